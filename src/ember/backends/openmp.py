"""torch.backends.openmp: ember does not compute with this library, so it is not available."""

from .._compat import module_getattr as _module_getattr
from ._simple import not_available as is_available

__all__ = ["is_available"]
__getattr__ = _module_getattr(__name__)
