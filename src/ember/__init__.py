"""ember: a deep-learning framework with the PyTorch API, on NumPy.

`import ember as torch` gives torch's tensors, autograd, nn, optim and data loading with
torch's semantics: dtypes and promotion, views, printing, random streams and error messages.

ember's top-level names are exactly `__all__` below: the names imported here, each ops module's
own `__all__` (ops/*.py list their public functions; Tensor-only methods and helpers stay
inside), and the lazily loaded subpackages and functions.
"""

import warnings as _warnings

# torch computes log(0), 1/0 and exp(1000) silently; NumPy warns. Silence NumPy's floating-point
# RuntimeWarnings only where ember's own code calls NumPy (a user's NumPy is untouched), which
# costs nothing per op, unlike np.errstate.
_warnings.filterwarnings("ignore", category=RuntimeWarning, module=r"ember\.")

from . import _compat, _dtype, autograd, cuda, random  # noqa: E402
from ._device import device  # noqa: E402
from ._dtype import (  # noqa: E402
    bfloat16,
    can_cast,
    channels_last,
    channels_last_3d,
    complex64,
    complex128,
    contiguous_format,
    dtype,
    float16,
    float32,
    float64,
    get_default_dtype,
    int8,
    int16,
    int32,
    int64,
    memory_format,
    preserve_format,
    promote_types,
    set_default_dtype,
    uint8,
)
from ._dtype import (  # noqa: E402
    bool_ as bool,
)
from ._printing import set_printoptions  # noqa: E402
from ._random import Generator, default_generator  # noqa: E402
from ._tensor import Size, Tensor  # noqa: E402
from .autograd.anomaly import is_anomaly_check_nan_enabled, is_anomaly_enabled  # noqa: E402
from .autograd.grad_mode import (  # noqa: E402
    enable_grad,
    inference_mode,
    is_grad_enabled,
    is_inference_mode_enabled,
    no_grad,
    set_grad_enabled,
)
from .ops import binary as _binary  # noqa: E402
from .ops import compare as _compare  # noqa: E402
from .ops import creation as _creation  # noqa: E402
from .ops import decomp as _decomp  # noqa: E402
from .ops import foreach as _foreach  # noqa: E402
from .ops import gather as _gather  # noqa: E402
from .ops import grids as _grids  # noqa: E402
from .ops import index as _index  # noqa: E402
from .ops import linalg as _linalg  # noqa: E402
from .ops import masked as _masked  # noqa: E402
from .ops import moments as _moments  # noqa: E402
from .ops import pointwise as _pointwise  # noqa: E402
from .ops import rearrange as _rearrange  # noqa: E402
from .ops import reduce as _reduce  # noqa: E402
from .ops import sampling as _sampling  # noqa: E402
from .ops import scan as _scan  # noqa: E402
from .ops import shape as _shape  # noqa: E402
from .ops import sorting as _sorting  # noqa: E402
from .ops import split as _split  # noqa: E402
from .ops import stats as _stats  # noqa: E402
from .ops import ternary as _ternary  # noqa: E402
from .ops import unary as _unary  # noqa: E402
from .ops import view_copy as _view_copy  # noqa: E402
from .ops import views as _views  # noqa: E402
from .ops._util import result_type  # noqa: E402
from .ops.binary import *  # noqa: E402,F403
from .ops.compare import *  # noqa: E402,F403
from .ops.creation import *  # noqa: E402,F403
from .ops.decomp import *  # noqa: E402,F403
from .ops.foreach import *  # noqa: E402,F403
from .ops.gather import *  # noqa: E402,F403
from .ops.grids import *  # noqa: E402,F403
from .ops.index import *  # noqa: E402,F403
from .ops.linalg import *  # noqa: E402,F403
from .ops.masked import *  # noqa: E402,F403
from .ops.moments import *  # noqa: E402,F403
from .ops.pointwise import *  # noqa: E402,F403
from .ops.rearrange import *  # noqa: E402,F403
from .ops.reduce import *  # noqa: E402,F403
from .ops.sampling import *  # noqa: E402,F403
from .ops.scan import *  # noqa: E402,F403
from .ops.shape import *  # noqa: E402,F403
from .ops.sorting import *  # noqa: E402,F403
from .ops.split import *  # noqa: E402,F403
from .ops.stats import *  # noqa: E402,F403
from .ops.ternary import *  # noqa: E402,F403
from .ops.unary import *  # noqa: E402,F403
from .ops.view_copy import *  # noqa: E402,F403
from .ops.views import *  # noqa: E402,F403
from .random import get_rng_state, initial_seed, manual_seed, seed, set_rng_state  # noqa: E402

_OPS = (_binary, _compare, _creation, _decomp, _foreach, _gather, _grids, _index, _linalg, _masked,
        _moments, _pointwise, _rearrange, _reduce, _sampling, _scan, _shape, _sorting, _split,
        _stats, _ternary, _unary, _view_copy, _views)

from .version import __version__  # noqa: E402

pi, e, inf, nan, newaxis = 3.141592653589793, 2.718281828459045, float("inf"), float("nan"), None

half, float, double = float16, float32, float64
short, int, long = int16, int32, int64
cfloat, cdouble = complex64, complex128
from ._dtype import layout, sparse_coo, strided  # noqa: E402


def is_tensor(obj):
    return isinstance(obj, Tensor)


def is_floating_point(input):
    return input.dtype.is_floating_point


def is_complex(input):
    return input.dtype.is_complex


def numel(input):
    return input.numel()


def is_nonzero(input):
    if input.numel() != 1:
        raise RuntimeError("Boolean value of Tensor with more than one value is ambiguous")
    return input.item() != 0


def set_default_tensor_type(t):
    """Matches torch.set_default_tensor_type (deprecated there): a CPU floating type sets the
    default dtype; a CUDA type would also move the default device, which ember refuses."""
    if not _DEPRECATION_SHOWN:
        _DEPRECATION_SHOWN.append(True)
        _warnings.warn("torch.set_default_tensor_type() is deprecated as of PyTorch 2.1, please "
                       "use torch.set_default_dtype() and torch.set_default_device() as "
                       "alternatives.", UserWarning, stacklevel=2)
    if isinstance(t, str):
        head, _, name = t.rpartition(".")
        if head == "torch.cuda":
            if not cuda.is_available():
                raise TypeError(f"type {t} not available. Torch not compiled with CUDA enabled.")
            from ._args import unsupported
            unsupported("torch.set_default_tensor_type", "t", t)
        if head != "torch" or name not in _creation._LEGACY:
            raise ModuleNotFoundError(f"No module named '{t.split('.')[0]}'")
        t = _creation._LEGACY[name]
    dt = getattr(t, "_legacy_dtype", None)
    if dt is None:
        raise TypeError("invalid type object: only floating-point types are supported as the "
                        "default type")
    if not dt.is_floating_point:
        raise TypeError("only floating-point types are supported as the default type")
    set_default_dtype(dt)


_DEPRECATION_SHOWN = []


from ._threads import (  # noqa: E402
    get_num_interop_threads,
    get_num_threads,
    set_num_interop_threads,
    set_num_threads,
)


class _InvalidBackend(RuntimeError):
    """torch._dynamo.exc.InvalidBackend (a RuntimeError)."""


_InvalidBackend.__name__ = _InvalidBackend.__qualname__ = "InvalidBackend"
_COMPILE_MODES = ("default", "lite", "reduce-overhead", "max-autotune-no-cudagraphs",
                  "max-autotune")
_COMPILE_BACKENDS = ("inductor", "eager", "aot_eager", "aot_eager_decomp_partition",
                     "cudagraphs", "onnxrt", "openxla", "openxla_eval", "tvm", "ts", "aot_ts")


def compile(model=None, *, fullgraph=False, dynamic=None, backend=None, mode=None, options=None,
            name=None, disable=False, recompile_limit=None, isolate_recompiles=False,
            shapes_spec=None):
    """Matches torch.compile's arguments and errors. ember runs eagerly and compiling never
    changes what a model computes, so the model comes back as it is; a custom backend (a
    callable, which would run its own code on the graph) is refused."""
    if mode is not None and options is not None:
        raise RuntimeError("Either mode or options can be specified, but both can't be "
                           "specified at the same time.")
    if mode is not None and mode not in _COMPILE_MODES:
        raise RuntimeError(f"Unrecognized mode={mode}, should be one of: "
                           f"{', '.join(_COMPILE_MODES)}")
    if backend is not None and not isinstance(backend, str):
        from ._args import unsupported
        unsupported("torch.compile", "backend", backend)
    if backend is not None and backend not in _COMPILE_BACKENDS:
        raise _InvalidBackend(f"Invalid backend: {backend!r}, see "
                              "`torch._dynamo.list_backends()` for available backends.")
    if model is None:
        return lambda m: compile(m, fullgraph=fullgraph, dynamic=dynamic, backend=backend,
                                 mode=mode, options=options, name=name, disable=disable,
                                 recompile_limit=recompile_limit,
                                 isolate_recompiles=isolate_recompiles, shapes_spec=shapes_spec)
    if not callable(model):
        raise AssertionError(f"A callable function is expected, but {type(model)} is provided.")
    return model


# The heavier subpackages load on first use (PEP 562), so `import ember` stays fast; `ember.nn`,
# `import ember.nn` and `from ember import nn` all work as with eager imports. A torch name ember
# lacks raises `ember does not implement torch.X yet` (an AttributeError).
_LAZY = {"nn": (".nn", None), "optim": (".optim", None), "utils": (".utils", None),
         "vision": (".vision", None), "serialization": (".serialization", None),
         "linalg": (".linalg", None), "save": (".serialization", "save"),
         "load": (".serialization", "load"), "softmax": (".nn.functional", "softmax"),
         "log_softmax": (".nn.functional", "log_softmax"),
         "channel_shuffle": (".nn.functional", "channel_shuffle"),
         # torch's top-level activations (torch.selu, torch.threshold_, ...)
         **{_n: (".nn.functional", _n) for _n in (
             "selu", "selu_", "celu", "celu_", "rrelu", "rrelu_", "threshold", "threshold_",
             "hardshrink", "prelu")},
         **{_n: (".linalg", _n) for _n in ("cholesky_solve", "cholesky_inverse",
                                            "triangular_solve")},
         # the rest of torch's namespace (issue 13): modules that load on first use
         "accelerator": (".accelerator", None), "backends": (".backends", None),
         "mps": (".mps", None), "amp": (".amp", None), "jit": (".jit", None),
         "compiler": (".compiler", None), "export": (".export", None),
         "testing": (".testing", None), "profiler": (".profiler", None),
         "multiprocessing": (".multiprocessing", None), "functional": (".functional", None),
         "version": (".version", None)}
# top-level functions of those areas, one table per area: name -> (module, attribute)
_LAZY_DEVICES = {"cpu": (".cpu", None),
                 **{_n: ("._device", _n) for _n in (
                     "set_default_device", "get_default_device", "get_device_module")},
                 **{_n: (".backends", _n) for _n in (
                     "set_float32_matmul_precision", "get_float32_matmul_precision")}}
_LAZY_PRECISION = {"finfo": ("._finfo", "finfo"), "iinfo": ("._finfo", "iinfo")}
_LAZY_AUTOCAST = {"autocast": (".amp.autocast_mode", "autocast"),
                  **{_n: (".amp._state", _n) for _n in (
    "is_autocast_enabled", "set_autocast_enabled", "get_autocast_dtype", "set_autocast_dtype",
    "is_autocast_cache_enabled", "set_autocast_cache_enabled", "clear_autocast_cache",
    "autocast_increment_nesting", "autocast_decrement_nesting", "get_autocast_cpu_dtype",
    "get_autocast_gpu_dtype", "get_autocast_ipu_dtype", "get_autocast_xla_dtype",
    "set_autocast_cpu_dtype", "set_autocast_gpu_dtype", "set_autocast_ipu_dtype",
    "set_autocast_xla_dtype", "is_autocast_cpu_enabled", "is_autocast_ipu_enabled",
    "is_autocast_xla_enabled", "set_autocast_cpu_enabled", "set_autocast_ipu_enabled",
    "set_autocast_xla_enabled")}}
_LAZY_JIT = {"_assert": (".jit", "_assert"), "_dynamo": ("._dynamo", None),
             **{_n: (".functional", _n) for _n in (
                 "cartesian_prod", "block_diag", "cdist", "chain_matmul", "unravel_index", "lu",
                 "svd_lowrank", "pca_lowrank", "stft", "istft", "combinations", "vander", "pdist",
                 "renorm", "addr")}}
_LAZY_MISC = {"distributions": (".distributions", None), "fft": (".fft", None),
              "special": (".special", None),
              "summary": ("._summary", "summary"), "viz": (".viz", None),  # issue 18
              "onnx": (".onnx", None),
              "distributed": (".distributed", None),
              "hub": (".hub", None), "futures": (".futures", None),
              "func": (".func", None), "vmap": (".func", "vmap"),
              "set_hints": ("._hints", "set_hints"),  # ember's hints on errors (issue 18)
              **{_n: (".ops.integration", _n) for _n in (
                  "trapezoid", "trapz", "cumulative_trapezoid")},
              "cov": (".ops.correlation", "cov"), "corrcoef": (".ops.correlation", "corrcoef"),
              "igamma": (".ops.special_fns", "igamma"),
              "igammac": (".ops.special_fns", "igammac"),
              **{_n: (".ops.windows", _n) for _n in (
                  "hann_window", "hamming_window", "blackman_window", "bartlett_window",
                  "kaiser_window")}}
_LAZY_SPARSE = {"sparse": (".sparse", None), "spmm": (".sparse._products", "spmm"),
                "sparse_coo_tensor": ("._sparse", "sparse_coo_tensor")}
for _d in (_LAZY_SPARSE, _LAZY_DEVICES, _LAZY_PRECISION, _LAZY_AUTOCAST, _LAZY_JIT, _LAZY_MISC):
    _LAZY.update(_d)
__getattr__ = _compat.module_getattr(__name__, _LAZY)

__all__ = ["Tensor", "Size", "device", "dtype", "bool", "uint8", "int8", "int16", "int32",
           "int64", "float16", "bfloat16", "float32", "float64", "complex64", "complex128",
           "half", "float", "double", "short", "int", "long", "cfloat", "cdouble", "strided",
           "layout", "sparse_coo",
           "memory_format",
           "channels_last", "channels_last_3d", "contiguous_format", "preserve_format",
           "get_default_dtype", "set_default_dtype", "set_default_tensor_type", "promote_types",
           "can_cast", "result_type", "no_grad", "enable_grad", "set_grad_enabled",
           "is_grad_enabled", "inference_mode", "is_inference_mode_enabled", "is_anomaly_enabled",
           "is_anomaly_check_nan_enabled", "Generator", "default_generator", "manual_seed", "seed",
           "initial_seed", "get_rng_state", "set_rng_state", "set_printoptions", "is_tensor",
           "is_floating_point", "is_complex", "is_nonzero", "numel", "get_num_threads",
           "set_num_threads", "get_num_interop_threads", "set_num_interop_threads",
           "compile", "pi", "e", "inf", "nan", "newaxis"]
__all__ += [_n for _m in _OPS for _n in _m.__all__]
__all__ += [_n for _n, (_where, _attr) in _LAZY.items()
            if _attr is not None and not _n.startswith("_")]  # torch._assert is not in torch's


# every op method of Tensor, bound from one table (_tensor_methods.py)
from . import _tensor_methods  # noqa: E402

_tensor_methods.bind()

# torch's keyword spellings (axis=, keepdims=, x1=, size=...) for the functions and methods
from .ops._util import install_torch_args as _install_torch_args  # noqa: E402

_install_torch_args(globals())
