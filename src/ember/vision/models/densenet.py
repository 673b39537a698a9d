"""DenseNet 121/161/169/201: dense blocks whose layers see every earlier feature map, joined by
transitions, with torchvision's names (denseblockN.denselayerM.norm1 ...) and init. Weight
files from before torchvision 0.3 spell `norm.1`; loading renames them as torchvision does."""

import re
from collections import OrderedDict

from ... import nn
from ...nn import functional as F
from ...ops.shape import cat, flatten
from ._api import Weights, _build, _enum

__all__ = ["DenseNet", "densenet121", "densenet161", "densenet169", "densenet201",
           "DenseNet121_Weights", "DenseNet161_Weights", "DenseNet169_Weights",
           "DenseNet201_Weights"]


class _DenseLayer(nn.Module):
    def __init__(self, num_input_features, growth_rate, bn_size, drop_rate,
                 memory_efficient=False):
        super().__init__()
        self.norm1 = nn.BatchNorm2d(num_input_features)
        self.relu1 = nn.ReLU(inplace=True)
        self.conv1 = nn.Conv2d(num_input_features, bn_size * growth_rate, kernel_size=1,
                               stride=1, bias=False)
        self.norm2 = nn.BatchNorm2d(bn_size * growth_rate)
        self.relu2 = nn.ReLU(inplace=True)
        self.conv2 = nn.Conv2d(bn_size * growth_rate, growth_rate, kernel_size=3, stride=1,
                               padding=1, bias=False)
        self.drop_rate = float(drop_rate)
        # accepted for torchvision's signature; ember has no checkpointing, so it is a no-op
        self.memory_efficient = memory_efficient

    def bn_function(self, inputs):
        return self.conv1(self.relu1(self.norm1(cat(inputs, 1))))

    def forward(self, input):
        prev = list(input) if isinstance(input, (list, tuple)) else [input]
        new = self.conv2(self.relu2(self.norm2(self.bn_function(prev))))
        if self.drop_rate > 0:
            new = F.dropout(new, p=self.drop_rate, training=self.training)
        return new


class _DenseBlock(nn.ModuleDict):
    def __init__(self, num_layers, num_input_features, bn_size, growth_rate, drop_rate,
                 memory_efficient=False):
        super().__init__()
        for i in range(num_layers):
            layer = _DenseLayer(num_input_features + i * growth_rate, growth_rate=growth_rate,
                                bn_size=bn_size, drop_rate=drop_rate,
                                memory_efficient=memory_efficient)
            self.add_module("denselayer%d" % (i + 1), layer)

    def forward(self, init_features):
        features = [init_features]
        for _, layer in self.items():
            features.append(layer(features))
        return cat(features, 1)


class _Transition(nn.Sequential):
    def __init__(self, num_input_features, num_output_features):
        super().__init__()
        self.norm = nn.BatchNorm2d(num_input_features)
        self.relu = nn.ReLU(inplace=True)
        self.conv = nn.Conv2d(num_input_features, num_output_features, kernel_size=1, stride=1,
                              bias=False)
        self.pool = nn.AvgPool2d(kernel_size=2, stride=2)


class DenseNet(nn.Module):
    """Matches torchvision.models.DenseNet."""

    def __init__(self, growth_rate=32, block_config=(6, 12, 24, 16), num_init_features=64,
                 bn_size=4, drop_rate=0, num_classes=1000, memory_efficient=False):
        super().__init__()
        self.features = nn.Sequential(OrderedDict([
            ("conv0", nn.Conv2d(3, num_init_features, kernel_size=7, stride=2, padding=3,
                                bias=False)),
            ("norm0", nn.BatchNorm2d(num_init_features)),
            ("relu0", nn.ReLU(inplace=True)),
            ("pool0", nn.MaxPool2d(kernel_size=3, stride=2, padding=1))]))
        num_features = num_init_features
        for i, num_layers in enumerate(block_config):
            block = _DenseBlock(num_layers=num_layers, num_input_features=num_features,
                                bn_size=bn_size, growth_rate=growth_rate, drop_rate=drop_rate,
                                memory_efficient=memory_efficient)
            self.features.add_module("denseblock%d" % (i + 1), block)
            num_features += num_layers * growth_rate
            if i != len(block_config) - 1:
                trans = _Transition(num_features, num_features // 2)
                self.features.add_module("transition%d" % (i + 1), trans)
                num_features //= 2
        self.features.add_module("norm5", nn.BatchNorm2d(num_features))
        self.classifier = nn.Linear(num_features, num_classes)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight)
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.constant_(m.weight, 1)
                nn.init.constant_(m.bias, 0)
            elif isinstance(m, nn.Linear):
                nn.init.constant_(m.bias, 0)

    def forward(self, x):
        out = F.relu(self.features(x), inplace=True)
        out = F.adaptive_avg_pool2d(out, (1, 1))
        return self.classifier(flatten(out, 1))


_OLD_KEY = re.compile(r"^(.*denselayer\d+\.(?:norm|relu|conv))\.((?:[12])\.(?:weight|bias|"
                      r"running_mean|running_var))$")


def _rename_old_keys(state_dict):
    """`...denselayer1.norm.1.weight` (old files) -> `...denselayer1.norm1.weight`."""
    out = OrderedDict()
    for key, value in state_dict.items():
        match = _OLD_KEY.match(key)
        out[match.group(1) + match.group(2) if match else key] = value
    return out


_URL = "https://download.pytorch.org/models/"


def _weights(name, file):
    return _enum(name, DEFAULT="IMAGENET1K_V1", IMAGENET1K_V1=Weights(_URL + file))


DenseNet121_Weights = _weights("DenseNet121_Weights", "densenet121-a639ec97.pth")
DenseNet161_Weights = _weights("DenseNet161_Weights", "densenet161-8d451a50.pth")
DenseNet169_Weights = _weights("DenseNet169_Weights", "densenet169-b2777c0a.pth")
DenseNet201_Weights = _weights("DenseNet201_Weights", "densenet201-c1103571.pth")


def _densenet(growth_rate, block_config, num_init_features, enum, weights, progress, args,
              kwargs):
    return _build(lambda **kw: DenseNet(growth_rate, block_config, num_init_features, **kw),
                  enum, enum.IMAGENET1K_V1, weights, progress, args, kwargs,
                  remap=_rename_old_keys)


def densenet121(*args, weights=None, progress=True, **kwargs):
    """Matches torchvision.models.densenet121."""
    return _densenet(32, (6, 12, 24, 16), 64, DenseNet121_Weights, weights, progress, args,
                     kwargs)


def densenet161(*args, weights=None, progress=True, **kwargs):
    """Matches torchvision.models.densenet161."""
    return _densenet(48, (6, 12, 36, 24), 96, DenseNet161_Weights, weights, progress, args,
                     kwargs)


def densenet169(*args, weights=None, progress=True, **kwargs):
    """Matches torchvision.models.densenet169."""
    return _densenet(32, (6, 12, 32, 32), 64, DenseNet169_Weights, weights, progress, args,
                     kwargs)


def densenet201(*args, weights=None, progress=True, **kwargs):
    """Matches torchvision.models.densenet201."""
    return _densenet(32, (6, 12, 48, 32), 64, DenseNet201_Weights, weights, progress, args,
                     kwargs)
