"""torch.backends.nnpack: ember does not compute with NNPACK (not available); its enabled flag is
kept and restored as torch's."""

import contextlib

from .._compat import module_getattr as _module_getattr
from ._simple import not_available as is_available

__all__ = ["is_available", "flags", "set_flags"]
__getattr__ = _module_getattr(__name__)
_STATE = {"enabled": True}


def set_flags(_enabled):
    orig = (_STATE["enabled"],)
    _STATE["enabled"] = _enabled
    return orig


@contextlib.contextmanager
def flags(enabled=False):
    from . import _allow_mutation
    with _allow_mutation():
        orig = set_flags(enabled)
    try:
        yield
    finally:
        with _allow_mutation():
            set_flags(orig[0])
