"""ember.vision: torchvision's API under ember's name (datasets, transforms, models, utils)."""

from .._compat import module_getattr as _module_getattr
from . import datasets, models, transforms, utils

__all__ = ["datasets", "models", "transforms", "utils"]
__getattr__ = _module_getattr(__name__)
