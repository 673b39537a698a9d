"""ember.vision: torchvision's API under ember's name (datasets and image utilities)."""

from . import datasets, utils

__all__ = ["datasets", "utils"]
