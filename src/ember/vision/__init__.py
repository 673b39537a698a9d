"""ember.vision: torchvision's API under ember's name (datasets, io, transforms, models, utils)."""

from .._compat import module_getattr as _module_getattr
from . import datasets, io, models, transforms, utils

__all__ = ["datasets", "io", "models", "transforms", "utils"]
__getattr__ = _module_getattr(__name__, {"tv_tensors": (".tv_tensors", None)})
