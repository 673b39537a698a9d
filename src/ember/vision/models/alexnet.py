"""AlexNet (torchvision's single-GPU variant, with the 6x6 adaptive pool)."""

from ... import nn
from ...ops.shape import flatten
from ._api import Weights, _build, _enum

__all__ = ["AlexNet", "AlexNet_Weights", "alexnet"]


class AlexNet(nn.Module):
    """Matches torchvision.models.AlexNet (layers, names and default init)."""

    def __init__(self, num_classes=1000, dropout=0.5):
        super().__init__()
        conv, relu, pool = nn.Conv2d, lambda: nn.ReLU(inplace=True), lambda: nn.MaxPool2d(3, 2)
        self.features = nn.Sequential(
            conv(3, 64, kernel_size=11, stride=4, padding=2), relu(), pool(),
            conv(64, 192, kernel_size=5, padding=2), relu(), pool(),
            conv(192, 384, kernel_size=3, padding=1), relu(),
            conv(384, 256, kernel_size=3, padding=1), relu(),
            conv(256, 256, kernel_size=3, padding=1), relu(), pool())
        self.avgpool = nn.AdaptiveAvgPool2d((6, 6))
        self.classifier = nn.Sequential(
            nn.Dropout(p=dropout), nn.Linear(256 * 6 * 6, 4096), relu(),
            nn.Dropout(p=dropout), nn.Linear(4096, 4096), relu(),
            nn.Linear(4096, num_classes))

    def forward(self, x):
        x = self.avgpool(self.features(x))
        return self.classifier(flatten(x, 1))


AlexNet_Weights = _enum(
    "AlexNet_Weights", DEFAULT="IMAGENET1K_V1",
    IMAGENET1K_V1=Weights("https://download.pytorch.org/models/alexnet-owt-7be5be79.pth"))


def alexnet(*args, weights=None, progress=True, **kwargs):
    """Matches torchvision.models.alexnet."""
    return _build(AlexNet, AlexNet_Weights, AlexNet_Weights.IMAGENET1K_V1, weights, progress,
                  args, kwargs)
