"""torch.backends.opt_einsum: whether torch.einsum plans its contraction order with the
opt-einsum package. Without the package (as here) `enabled` is False and `strategy` None, both
plain attributes, as torch's; with it, `enabled` and `strategy` are checked flags, and ember's
einsum (NumPy's) contracts in an order of its own either way, with the same result."""

import contextlib
import functools

from .._compat import module_getattr as _module_getattr
from . import ContextProp, _allow_mutation, flag_module

__all__ = ["is_available", "get_opt_einsum", "set_flags", "flags", "enabled", "strategy"]


@functools.lru_cache(None)
def get_opt_einsum():
    try:
        import opt_einsum
    except ImportError:
        return None
    return opt_einsum


@functools.lru_cache(None)
def is_available():
    return get_opt_einsum() is not None


_STATE = {"enabled": False, "strategy": None}


def _set_enabled(value):
    if not is_available() and value:
        raise ValueError(f"opt_einsum is not available, so setting `enabled` to {value} will not "
                         "reap the benefits of calculating an optimal path for einsum. "
                         "torch.einsum will fall back to contracting from left to right. To "
                         "enable this optimal path calculation, please install opt-einsum.")
    _STATE["enabled"] = value


def _set_strategy(value):
    if not is_available():
        raise ValueError(f"opt_einsum is not available, so setting `strategy` to {value} will "
                         "not be meaningful. torch.einsum will bypass path calculation and simply"
                         " contract from left to right. Please install opt_einsum or unset "
                         "`strategy`.")
    if not _STATE["enabled"]:
        raise ValueError(f"opt_einsum is not enabled, so setting a `strategy` to {value} will "
                         "not be meaningful. torch.einsum will bypass path calculation and simply"
                         " contract from left to right. Please set `enabled` to `True` as well "
                         "or unset `strategy`.")
    if value not in ("auto", "greedy", "optimal"):
        raise ValueError("`strategy` must be one of the following: [auto, greedy, optimal] but "
                         f"is {value}")
    _STATE["strategy"] = value


def set_flags(_enabled=None, _strategy=None):
    orig = (_STATE["enabled"], _STATE["strategy"] if is_available() else None)
    if _enabled is not None:
        _set_enabled(_enabled)
    if _strategy is not None:
        _set_strategy(_strategy)
    return orig


@contextlib.contextmanager
def flags(enabled=None, strategy=None):
    with _allow_mutation():
        orig = set_flags(enabled, strategy)
    try:
        yield
    finally:
        with _allow_mutation():
            set_flags(*orig)


if is_available():
    _STATE.update(enabled=True, strategy="auto")
    flag_module(__name__, enabled=ContextProp(lambda: _STATE["enabled"], _set_enabled),
                strategy=ContextProp(lambda: _STATE["strategy"], _set_strategy))
else:  # torch's module attributes then (set freely, read back)
    enabled, strategy = False, None
__getattr__ = _module_getattr(__name__)
