"""SqueezeNet 1.0 and 1.1: Fire modules (1x1 squeeze, then 1x1 and 3x3 expands concatenated)
and a convolutional classifier, with torchvision's names and init."""

from ... import nn
from ...nn import init
from ...ops.shape import cat, flatten
from ._api import Weights, _build, _enum

__all__ = ["SqueezeNet", "SqueezeNet1_0_Weights", "SqueezeNet1_1_Weights", "squeezenet1_0",
           "squeezenet1_1"]


class Fire(nn.Module):
    def __init__(self, inplanes, squeeze_planes, expand1x1_planes, expand3x3_planes):
        super().__init__()
        self.inplanes = inplanes
        self.squeeze = nn.Conv2d(inplanes, squeeze_planes, kernel_size=1)
        self.squeeze_activation = nn.ReLU(inplace=True)
        self.expand1x1 = nn.Conv2d(squeeze_planes, expand1x1_planes, kernel_size=1)
        self.expand1x1_activation = nn.ReLU(inplace=True)
        self.expand3x3 = nn.Conv2d(squeeze_planes, expand3x3_planes, kernel_size=3, padding=1)
        self.expand3x3_activation = nn.ReLU(inplace=True)

    def forward(self, x):
        x = self.squeeze_activation(self.squeeze(x))
        return cat([self.expand1x1_activation(self.expand1x1(x)),
                    self.expand3x3_activation(self.expand3x3(x))], 1)


def _pool():
    return nn.MaxPool2d(kernel_size=3, stride=2, ceil_mode=True)


class SqueezeNet(nn.Module):
    """Matches torchvision.models.SqueezeNet."""

    def __init__(self, version="1_0", num_classes=1000, dropout=0.5):
        super().__init__()
        self.num_classes = num_classes
        if version == "1_0":
            self.features = nn.Sequential(
                nn.Conv2d(3, 96, kernel_size=7, stride=2), nn.ReLU(inplace=True), _pool(),
                Fire(96, 16, 64, 64), Fire(128, 16, 64, 64), Fire(128, 32, 128, 128), _pool(),
                Fire(256, 32, 128, 128), Fire(256, 48, 192, 192), Fire(384, 48, 192, 192),
                Fire(384, 64, 256, 256), _pool(), Fire(512, 64, 256, 256))
        elif version == "1_1":
            self.features = nn.Sequential(
                nn.Conv2d(3, 64, kernel_size=3, stride=2), nn.ReLU(inplace=True), _pool(),
                Fire(64, 16, 64, 64), Fire(128, 16, 64, 64), _pool(),
                Fire(128, 32, 128, 128), Fire(256, 32, 128, 128), _pool(),
                Fire(256, 48, 192, 192), Fire(384, 48, 192, 192), Fire(384, 64, 256, 256),
                Fire(512, 64, 256, 256))
        else:
            raise ValueError(f"Unsupported SqueezeNet version {version}: 1_0 or 1_1 expected")
        final_conv = nn.Conv2d(512, self.num_classes, kernel_size=1)
        self.classifier = nn.Sequential(nn.Dropout(p=dropout), final_conv, nn.ReLU(inplace=True),
                                        nn.AdaptiveAvgPool2d((1, 1)))
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                if m is final_conv:
                    init.normal_(m.weight, mean=0.0, std=0.01)
                else:
                    init.kaiming_uniform_(m.weight)
                if m.bias is not None:
                    init.constant_(m.bias, 0)

    def forward(self, x):
        return flatten(self.classifier(self.features(x)), 1)


_URL = "https://download.pytorch.org/models/"
SqueezeNet1_0_Weights = _enum("SqueezeNet1_0_Weights", DEFAULT="IMAGENET1K_V1",
                              IMAGENET1K_V1=Weights(_URL + "squeezenet1_0-b66bff10.pth"))
SqueezeNet1_1_Weights = _enum("SqueezeNet1_1_Weights", DEFAULT="IMAGENET1K_V1",
                              IMAGENET1K_V1=Weights(_URL + "squeezenet1_1-b8a52dc0.pth"))


def squeezenet1_0(*args, weights=None, progress=True, **kwargs):
    """Matches torchvision.models.squeezenet1_0."""
    return _build(lambda **kw: SqueezeNet("1_0", **kw), SqueezeNet1_0_Weights,
                  SqueezeNet1_0_Weights.IMAGENET1K_V1, weights, progress, args, kwargs)


def squeezenet1_1(*args, weights=None, progress=True, **kwargs):
    """Matches torchvision.models.squeezenet1_1."""
    return _build(lambda **kw: SqueezeNet("1_1", **kw), SqueezeNet1_1_Weights,
                  SqueezeNet1_1_Weights.IMAGENET1K_V1, weights, progress, args, kwargs)
