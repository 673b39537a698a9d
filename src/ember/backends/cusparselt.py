"""torch.backends.cusparselt: ember does not use cuSPARSELt (not available, no version)."""

from .._compat import module_getattr as _module_getattr
from ._simple import not_available as is_available

__all__ = ["is_available", "version", "get_max_alg_id"]
__getattr__ = _module_getattr(__name__)


def version():
    return None


def get_max_alg_id():
    return None
