"""torch.backends.cudnn: ember never calls cuDNN, so it is not available and its version is None;
the flags keep torch's defaults and checks (they change nothing ember computes)."""

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

__all__ = ["is_available", "version", "is_acceptable", "set_flags", "flags"]

_STATE = {"enabled": True, "benchmark": False, "deterministic": False, "allow_tf32": True,
          "depthwise_kernel": "auto"}
benchmark_limit = None  # a plain attribute without cuDNN, as torch's


def is_available():
    return False


def version():
    return None


def is_acceptable(tensor):
    """Whether cuDNN would run on `tensor`: never in ember (torch warns that it lacks cuDNN
    when the tensor is one cuDNN takes)."""
    if not _STATE["enabled"]:
        return False
    from .. import float16, float32, float64
    if tensor.device.type != "cuda" or tensor.dtype not in (float16, float32, float64):
        return False
    import warnings
    warnings.warn("PyTorch was compiled without cuDNN/MIOpen support. To use cuDNN/MIOpen, "
                  "rebuild PyTorch making sure the library is visible to the build system.",
                  stacklevel=2)
    return False


def _set_depthwise_kernel(value):
    _STATE["depthwise_kernel"] = value


def set_flags(_enabled=None, _benchmark=None, _benchmark_limit=None, _deterministic=None,
              _allow_tf32=None, _fp32_precision="none", _depthwise_kernel=None):
    """Sets the given flags (None: unchanged) and returns the previous ones, as torch's."""
    orig = (_STATE["enabled"], _STATE["benchmark"], None, _STATE["deterministic"],
            _STATE["allow_tf32"], get_fp32_precision("cuda", "all"), _STATE["depthwise_kernel"])
    if _enabled is not None:
        _set_enabled(_enabled)
    if _benchmark is not None:
        _set_benchmark(_benchmark)
    # _benchmark_limit is only applied where cuDNN is available (never in ember), as torch's
    if _deterministic is not None:
        _set_deterministic(_deterministic)
    if _allow_tf32 is not None:
        _set_allow_tf32(_allow_tf32)
    if _fp32_precision is not None:
        set_fp32_precision("cuda", "all", _fp32_precision)
    if _depthwise_kernel is not None:
        _set_depthwise_kernel(_depthwise_kernel)
    return orig


@contextlib.contextmanager
def flags(enabled=False, benchmark=False, benchmark_limit=10, deterministic=False,
          allow_tf32=True, fp32_precision="none", depthwise_kernel="auto"):
    with _allow_mutation():
        orig = set_flags(enabled, benchmark, benchmark_limit, deterministic, allow_tf32,
                         fp32_precision, depthwise_kernel)
    try:
        yield
    finally:
        with _allow_mutation():
            set_flags(*orig)


_set_enabled = bool_setter(_STATE, "enabled", "set_enabled_cudnn")
_set_benchmark = bool_setter(_STATE, "benchmark", "set_benchmark_cudnn")
_set_deterministic = bool_setter(_STATE, "deterministic", "set_deterministic_cudnn")
_store_allow_tf32 = bool_setter(_STATE, "allow_tf32", "set_allow_tf32_cublas")  # torch's text


def _set_allow_tf32(value):
    _store_allow_tf32(value)
    for op in ("conv", "rnn"):  # the legacy flag sets the new per-op precisions
        set_fp32_precision("cuda", op, "tf32" if value else "none")


def _prop(key, setter):
    return ContextProp(lambda: _STATE[key], setter)


class _RNN:
    """torch.backends.cudnn.rnn: its fp32_precision."""

    fp32_precision = property(lambda self: get_fp32_precision("cuda", "rnn"),
                              lambda self, v: set_fp32_precision("cuda", "rnn", v))


rnn = _RNN()
conv = _FP32Precision("cuda", "conv")
flag_module(__name__, enabled=_prop("enabled", _set_enabled),
            benchmark=_prop("benchmark", _set_benchmark),
            deterministic=_prop("deterministic", _set_deterministic),
            allow_tf32=_prop("allow_tf32", _set_allow_tf32),
            depthwise_kernel=_prop("depthwise_kernel", _set_depthwise_kernel),
            fp32_precision=ContextProp(lambda: get_fp32_precision("cuda", "all"),
                                       lambda v: set_fp32_precision("cuda", "all", v)))
__getattr__ = _module_getattr(__name__)
