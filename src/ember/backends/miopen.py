"""torch.backends.miopen: ROCm's MIOpen, which ember does not use; its `immediate` flag is kept
as torch's."""

import contextlib

from .._compat import module_getattr as _module_getattr
from . import ContextProp, _allow_mutation, bool_setter, flag_module

__all__ = ["set_flags", "flags"]
_STATE = {"immediate": False}
_set_immediate = bool_setter(_STATE, "immediate", "set_immediate_miopen")


def set_flags(_immediate=None):
    orig = (_STATE["immediate"],)
    if _immediate is not None:
        _set_immediate(_immediate)
    return orig


@contextlib.contextmanager
def flags(immediate=False):
    with _allow_mutation():
        orig = set_flags(immediate)
    try:
        yield
    finally:
        with _allow_mutation():
            set_flags(*orig)


flag_module(__name__, immediate=ContextProp(lambda: _STATE["immediate"], _set_immediate))
__getattr__ = _module_getattr(__name__)
