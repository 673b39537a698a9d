"""torch.backends.mkldnn: ember does not compute with oneDNN (NumPy's BLAS does the work), so it
is not available; its flags keep torch's defaults and checks (the fp32 precisions: see
ember.backends)."""

import contextlib

from .._compat import module_getattr as _module_getattr
from . import (
    ContextProp,
    _allow_mutation,
    _FP32Precision,
    bool_setter,
    flag_module,
    get_fp32_precision,
    set_fp32_precision,
)

__all__ = ["is_available", "set_flags", "flags", "verbose", "VERBOSE_OFF", "VERBOSE_ON",
           "VERBOSE_ON_CREATION"]

VERBOSE_OFF, VERBOSE_ON, VERBOSE_ON_CREATION = 0, 1, 2
_STATE = {"enabled": True, "deterministic": False}


def is_available():
    return False


class verbose:
    """torch.backends.mkldnn.verbose(level): oneDNN's logging, which ember has nothing to
    log for; only level VERBOSE_OFF is honoured."""

    def __init__(self, level):
        self.level = level

    def __enter__(self):
        if self.level != VERBOSE_OFF:
            from .._args import unsupported
            unsupported("torch.backends.mkldnn.verbose", "level", self.level)
        return self

    def __exit__(self, *exc):
        return False


def _set_allow_tf32(value):
    """oneDNN's TF32 is for Intel GPUs: torch warns and keeps None on a CPU build."""
    import warnings
    if value:
        warnings.warn("TF32 acceleration on top of oneDNN is available for Intel GPUs. The "
                      "current Torch version does not have Intel GPU Support.", UserWarning,
                      stacklevel=3)


def set_flags(_enabled=None, _deterministic=None, _allow_tf32=None, _fp32_precision="none"):
    orig = (_STATE["enabled"], _STATE["deterministic"], None,
            get_fp32_precision("mkldnn", "all"))
    if _enabled is not None:
        _set_enabled(_enabled)
    if _deterministic is not None:
        _set_deterministic(_deterministic)
    if _allow_tf32 is not None:
        _set_allow_tf32(_allow_tf32)
    if _fp32_precision is not None:
        set_fp32_precision("mkldnn", "all", _fp32_precision)
    return orig


@contextlib.contextmanager
def flags(enabled=False, deterministic=False, allow_tf32=True, fp32_precision="none"):
    with _allow_mutation():
        orig = set_flags(enabled, deterministic, allow_tf32, fp32_precision)
    try:
        yield
    finally:
        with _allow_mutation():
            set_flags(*orig)


_set_enabled = bool_setter(_STATE, "enabled", "set_enabled_mkldnn")
_set_deterministic = bool_setter(_STATE, "deterministic", "set_deterministic_mkldnn")
matmul = _FP32Precision("mkldnn", "matmul")
conv = _FP32Precision("mkldnn", "conv")
rnn = _FP32Precision("mkldnn", "rnn")
flag_module(__name__, enabled=ContextProp(lambda: _STATE["enabled"], _set_enabled),
            deterministic=ContextProp(lambda: _STATE["deterministic"], _set_deterministic),
            allow_tf32=ContextProp(lambda: None, _set_allow_tf32),
            # torch reads oneDNN's precision and writes the generic one
            fp32_precision=ContextProp(lambda: get_fp32_precision("mkldnn", "all"),
                                       lambda v: set_fp32_precision("generic", "all", v)))
__getattr__ = _module_getattr(__name__)
