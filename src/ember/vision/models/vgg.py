"""VGG 11/13/16/19, plain and with batch norm: `features` from a layer config, then a 7x7
adaptive pool and the three-layer classifier, with torchvision's names and init."""

from ... import nn
from ...ops.shape import flatten
from ._api import Weights, _build, _enum

__all__ = ["VGG", "vgg11", "vgg11_bn", "vgg13", "vgg13_bn", "vgg16", "vgg16_bn", "vgg19",
           "vgg19_bn", "VGG11_Weights", "VGG11_BN_Weights", "VGG13_Weights", "VGG13_BN_Weights",
           "VGG16_Weights", "VGG16_BN_Weights", "VGG19_Weights", "VGG19_BN_Weights"]

cfgs = {
    "A": [64, "M", 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"],
    "B": [64, 64, "M", 128, 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"],
    "D": [64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M"],
    "E": [64, 64, "M", 128, 128, "M", 256, 256, 256, 256, "M", 512, 512, 512, 512, "M", 512, 512,
          512, 512, "M"],
}


class VGG(nn.Module):
    """Matches torchvision.models.VGG."""

    def __init__(self, features, num_classes=1000, init_weights=True, dropout=0.5):
        super().__init__()
        self.features = features
        self.avgpool = nn.AdaptiveAvgPool2d((7, 7))
        self.classifier = nn.Sequential(
            nn.Linear(512 * 7 * 7, 4096), nn.ReLU(True), nn.Dropout(p=dropout),
            nn.Linear(4096, 4096), nn.ReLU(True), nn.Dropout(p=dropout),
            nn.Linear(4096, num_classes))
        if init_weights:
            for m in self.modules():
                if isinstance(m, nn.Conv2d):
                    nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
                    if m.bias is not None:
                        nn.init.constant_(m.bias, 0)
                elif isinstance(m, nn.BatchNorm2d):
                    nn.init.constant_(m.weight, 1)
                    nn.init.constant_(m.bias, 0)
                elif isinstance(m, nn.Linear):
                    nn.init.normal_(m.weight, 0, 0.01)
                    nn.init.constant_(m.bias, 0)

    def forward(self, x):
        x = self.avgpool(self.features(x))
        return self.classifier(flatten(x, 1))


def make_layers(cfg, batch_norm=False):
    """The `features` Sequential of a VGG config: 3x3 convs (+BN) + ReLU, "M" = 2x2 max pool."""
    layers, in_channels = [], 3
    for v in cfg:
        if v == "M":
            layers.append(nn.MaxPool2d(kernel_size=2, stride=2))
            continue
        layers.append(nn.Conv2d(in_channels, v, kernel_size=3, padding=1))
        if batch_norm:
            layers.append(nn.BatchNorm2d(v))
        layers.append(nn.ReLU(inplace=True))
        in_channels = v
    return nn.Sequential(*layers)


_URL = "https://download.pytorch.org/models/"


def _weights(name, file):
    return _enum(name, DEFAULT="IMAGENET1K_V1", IMAGENET1K_V1=Weights(_URL + file))


VGG11_Weights = _weights("VGG11_Weights", "vgg11-8a719046.pth")
VGG11_BN_Weights = _weights("VGG11_BN_Weights", "vgg11_bn-6002323d.pth")
VGG13_Weights = _weights("VGG13_Weights", "vgg13-19584684.pth")
VGG13_BN_Weights = _weights("VGG13_BN_Weights", "vgg13_bn-abd245e5.pth")
VGG16_Weights = _weights("VGG16_Weights", "vgg16-397923af.pth")
VGG16_BN_Weights = _weights("VGG16_BN_Weights", "vgg16_bn-6c64b313.pth")
VGG19_Weights = _weights("VGG19_Weights", "vgg19-dcbb9e9d.pth")
VGG19_BN_Weights = _weights("VGG19_BN_Weights", "vgg19_bn-c79401a0.pth")


def _vgg(cfg, batch_norm, enum, weights, progress, args, kwargs):
    if weights is not None or kwargs.get("pretrained") or (args and args[0]):
        kwargs["init_weights"] = False  # the file overwrites every tensor

    def make(**kw):
        return VGG(make_layers(cfgs[cfg], batch_norm=batch_norm), **kw)
    return _build(make, enum, enum.IMAGENET1K_V1, weights, progress, args, kwargs)


def vgg11(*args, weights=None, progress=True, **kwargs):
    """Matches torchvision.models.vgg11."""
    return _vgg("A", False, VGG11_Weights, weights, progress, args, kwargs)


def vgg11_bn(*args, weights=None, progress=True, **kwargs):
    """Matches torchvision.models.vgg11_bn."""
    return _vgg("A", True, VGG11_BN_Weights, weights, progress, args, kwargs)


def vgg13(*args, weights=None, progress=True, **kwargs):
    """Matches torchvision.models.vgg13."""
    return _vgg("B", False, VGG13_Weights, weights, progress, args, kwargs)


def vgg13_bn(*args, weights=None, progress=True, **kwargs):
    """Matches torchvision.models.vgg13_bn."""
    return _vgg("B", True, VGG13_BN_Weights, weights, progress, args, kwargs)


def vgg16(*args, weights=None, progress=True, **kwargs):
    """Matches torchvision.models.vgg16."""
    return _vgg("D", False, VGG16_Weights, weights, progress, args, kwargs)


def vgg16_bn(*args, weights=None, progress=True, **kwargs):
    """Matches torchvision.models.vgg16_bn."""
    return _vgg("D", True, VGG16_BN_Weights, weights, progress, args, kwargs)


def vgg19(*args, weights=None, progress=True, **kwargs):
    """Matches torchvision.models.vgg19."""
    return _vgg("E", False, VGG19_Weights, weights, progress, args, kwargs)


def vgg19_bn(*args, weights=None, progress=True, **kwargs):
    """Matches torchvision.models.vgg19_bn."""
    return _vgg("E", True, VGG19_BN_Weights, weights, progress, args, kwargs)
