"""torch.backends.mps: ember has no Metal backend (not built, not available)."""

from .._compat import module_getattr as _module_getattr

__all__ = ["is_built", "is_available", "is_macos_or_newer", "is_macos13_or_newer", "get_name",
           "get_core_count"]
__getattr__ = _module_getattr(__name__)


def is_built():
    return False


def is_available():
    return False


def is_macos_or_newer(major, minor):
    raise RuntimeError("Cannot execute isOnMacOSorNewer() without MPS backend.")


def is_macos13_or_newer(minor=0):
    return is_macos_or_newer(13, minor)


def get_name():
    raise AttributeError("module 'torch._C' has no attribute '_mps_get_name'")


def get_core_count():
    raise AttributeError("module 'torch._C' has no attribute '_mps_get_core_count'")
