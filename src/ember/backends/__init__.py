"""ember.backends: torch.backends, the settings of the libraries torch computes with.

Modules are laid out as torch's (cudnn, cuda, mkldnn, mps, opt_einsum, mha, cpu, quantized, ...).
Each answers its queries for ember, which computes with NumPy (and CuPy on a GPU): cuDNN, MPS,
oneDNN, MKL, NNPACK and the other native libraries are never used, so their `is_available()` is
False; ember's GPU (when present) is reported by `cuda.is_built()`. The flags keep torch's
defaults, types, validation and error texts, read back what was set, and restore under the
`flags()` context managers. A flag that changes nothing ember computes is stored: cuDNN's
benchmark and determinism (GPU-only in torch), and the reduced float32 precisions on a CPU
(torch's oneDNN 'bf16'/'tf32' modes agree with float32 to its rounding on CPUs without AMX:
measured 7e-5 absolute on size-512 products; ember computes in float32). Allowing TF32 where ember
has a GPU is refused: torch's TF32 matmuls differ from ember's float32 ones by ~1e-3.

A flags module is a module whose class is swapped for a ModuleType subclass with properties
(`_FlagModule`), so `torch.backends.cudnn.benchmark = True` runs the setter's checks.
"""

import contextlib
import sys
import types

from .._compat import module_getattr as _module_getattr
from .._compat import torch_name

__all__ = ["cpu", "cuda", "cudnn", "cusparselt", "kleidiai", "mha", "miopen", "mkl", "mkldnn",
           "mps", "nnpack", "openmp", "opt_einsum", "quantized", "disable_global_flags",
           "flags_frozen", "flags", "set_flags"]

_mutation_allowed = [True]


def disable_global_flags():
    _mutation_allowed[0] = False


def flags_frozen():
    return not _mutation_allowed[0]


@contextlib.contextmanager
def _allow_mutation():
    old = _mutation_allowed[0]
    _mutation_allowed[0] = True
    try:
        yield
    finally:
        _mutation_allowed[0] = old


class ContextProp:
    """A module flag: reads `getter()`, writes `setter(value)` unless flags are frozen."""

    def __init__(self, getter, setter):
        self.getter, self.setter = getter, setter

    def __get__(self, obj, objtype):
        return self.getter()

    def __set__(self, obj, val):
        if flags_frozen():
            raise RuntimeError(f"not allowed to set {torch_name(obj.__name__)} flags after "
                               "disable_global_flags; please use flags() context manager "
                               "instead")
        self.setter(val)


def flag_module(name, **props):
    """Gives module `name` the properties `props` (ContextProps) by swapping its class."""
    module = sys.modules[name]
    module.__class__ = type(type(module).__name__, (types.ModuleType,), props)


def bool_setter(store, key, api):
    """A setter that stores a bool and refuses anything else with torch's RuntimeError."""
    def setter(value):
        if not isinstance(value, bool):
            raise RuntimeError(f"{api} expects a bool, but got {type(value).__name__}")
        store[key] = value
    return setter


# ---------------------------------------------------------------- fp32 precision
# (backend, op) -> 'none' | 'ieee' | 'tf32' | 'bf16'; 'none' inherits from the backend's 'all',
# which inherits from ('generic', 'all')
_FP32 = {("generic", "all"): "none", ("cuda", "all"): "none", ("cuda", "matmul"): "none",
         ("cuda", "conv"): "tf32", ("cuda", "rnn"): "tf32", ("mkldnn", "all"): "none",
         ("mkldnn", "matmul"): "none", ("mkldnn", "conv"): "none", ("mkldnn", "rnn"): "none"}
_PRECISIONS = {"generic": ("none", "ieee", "tf32", "bf16"), "cuda": ("none", "ieee", "tf32"),
               "mkldnn": ("none", "ieee", "tf32", "bf16")}


def get_fp32_precision(backend, op):
    value = _FP32[backend, op]
    if value == "none" and op != "all":
        value = _FP32[backend, "all"]
    if value == "none" and backend != "generic":
        value = _FP32["generic", "all"]
    return value


def set_fp32_precision(backend, op, value):
    if not isinstance(value, str):
        raise TypeError("_set_fp32_precision_setter(): incompatible function arguments. The "
                        "following argument types are supported:\n    1. (arg0: str, arg1: str, "
                        f"arg2: str) -> str\n\nInvoked with: '{backend}', '{op}', {value!r}")
    if value not in ("none", "ieee", "tf32", "bf16"):
        raise RuntimeError(f"Unknown precision: {value}")
    if value not in _PRECISIONS[backend]:
        raise RuntimeError(f"backend '{backend}' does not support precision '{value}'")
    _FP32[backend, op] = value
    if op == "matmul":
        _MATMUL_LEGACY[0] = False  # the new API: get_float32_matmul_precision checks the mix
    return value


# ---------------------------------------------------------------- float32 matmul precision
# torch.set_float32_matmul_precision sets cuBLAS's and oneDNN's matmul precisions together
_MATMUL = {"highest": ("ieee", "ieee"), "high": ("tf32", "tf32"), "medium": ("tf32", "bf16")}
_MATMUL_LEGACY = [False]  # whether the last word on matmul precision was a legacy API
_MIX = ("PyTorch is checking the matmul precision without a specific backend name,Current "
        "status indicate that you have used mix of the legacy and new APIs to set the matmul "
        "precision. We suggest only using the new API for matmul precision. See also: "
        "https://pytorch.org/docs/main/notes/cuda.html#tensorfloat-32-tf32-on-ampere-and-later"
        "-devices")


def set_float32_matmul_precision(precision):
    """torch.set_float32_matmul_precision: 'highest' | 'high' | 'medium'. ember computes float32
    matmuls in float32 whatever is allowed (torch's reduced modes agree with it to float32
    rounding on CPUs without AMX: measured 7e-5 absolute on products of size 512 under
    'medium'), so the setting is kept and read back."""
    import warnings
    if not isinstance(precision, str):
        raise RuntimeError("set_float32_matmul_precision expects a str, but got "
                           f"{type(precision).__name__}")
    if precision != "highest" and precision in _MATMUL:
        from .._device import cuda_available
        if cuda_available():  # torch's GPU matmuls would run in TF32, ember's stay float32
            from .._args import unsupported
            unsupported("torch.set_float32_matmul_precision", "precision", precision)
    if precision not in _MATMUL:
        warnings.warn(f"{precision} is not one of 'highest', 'high', or 'medium'; the current"
                      "setFloat32MatmulPrecision call has no effect.", UserWarning, stacklevel=2)
        return
    _FP32["cuda", "matmul"], _FP32["mkldnn", "matmul"] = _MATMUL[precision]
    _MATMUL_LEGACY[0] = True


def get_float32_matmul_precision():
    cuda, mkldnn = _FP32["cuda", "matmul"], _FP32["mkldnn", "matmul"]
    if not _MATMUL_LEGACY[0]:
        if cuda in ("none", "ieee") and mkldnn in ("none", "ieee"):
            return "highest"
        raise RuntimeError(_MIX)
    if cuda == "tf32":
        return "medium" if mkldnn == "bf16" else "high"
    return "highest"


class _FP32Precision:
    """`cudnn.conv`, `mkldnn.matmul`, ...: an object whose one attribute is fp32_precision."""

    def __init__(self, backend, op):
        object.__setattr__(self, "backend", backend)
        object.__setattr__(self, "op", op)

    def __setattr__(self, name, value):
        if name != "fp32_precision":
            raise AttributeError("Unknown attribute " + name)
        set_fp32_precision(self.backend, self.op, value)

    def __getattr__(self, name):
        if name != "fp32_precision":
            raise AttributeError("Unknown attribute " + name)
        return get_fp32_precision(self.backend, self.op)


_FP32Precision.__module__ = "torch.backends"


def set_flags(_fp32_precision="none"):
    orig = (get_fp32_precision("generic", "all"),)
    if _fp32_precision is not None:
        set_fp32_precision("generic", "all", _fp32_precision)
    return orig


@contextlib.contextmanager
def flags(fp32_precision="none"):
    with _allow_mutation():
        orig = set_flags(fp32_precision)
    try:
        yield
    finally:
        with _allow_mutation():
            set_flags(*orig)


flag_module(__name__, fp32_precision=ContextProp(
    lambda: get_fp32_precision("generic", "all"),
    lambda v: set_fp32_precision("generic", "all", v)))

from . import (  # noqa: E402
    cpu,
    cuda,
    cudnn,
    cusparselt,
    kleidiai,
    mha,
    miopen,
    mkl,
    mkldnn,
    mps,
    nnpack,
    openmp,
    opt_einsum,
    quantized,
)

__getattr__ = _module_getattr(__name__)
