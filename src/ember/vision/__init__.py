"""ember.vision: torchvision's API under ember's name (datasets, transforms, models, utils)."""

from . import datasets, models, transforms, utils

__all__ = ["datasets", "models", "transforms", "utils"]
