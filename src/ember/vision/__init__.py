"""ember.vision: torchvision's API under ember's name (datasets, io, transforms, models, utils)."""

from .._compat import module_getattr as _module_getattr
from . import datasets, io, models, transforms, utils

__all__ = ["datasets", "io", "models", "transforms", "utils"]
# the torchvision release whose API ember.vision mirrors (torchvision 0.28 pairs with torch 2.13)
__version__ = "0.28.0"
__getattr__ = _module_getattr(__name__, {"tv_tensors": (".tv_tensors", None),
                                         "ops": (".ops", None)})
