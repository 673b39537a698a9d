"""ember.utils: helpers shaped like torch.utils (data loading)."""

from .._compat import module_getattr as _module_getattr
from . import data

__all__ = ["data"]
__getattr__ = _module_getattr(__name__)
