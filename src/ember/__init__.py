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
    bool_ as bool,
)
from ._dtype import (  # noqa: E402
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
from .ops import gather as _gather  # noqa: E402
from .ops import index as _index  # noqa: E402
from .ops import linalg as _linalg  # noqa: E402
from .ops import pointwise as _pointwise  # noqa: E402
from .ops import rearrange as _rearrange  # noqa: E402
from .ops import reduce as _reduce  # noqa: E402
from .ops import sampling as _sampling  # noqa: E402
from .ops import scan as _scan  # noqa: E402
from .ops import shape as _shape  # noqa: E402
from .ops import sorting as _sorting  # noqa: E402
from .ops import stats as _stats  # noqa: E402
from .ops import ternary as _ternary  # noqa: E402
from .ops import unary as _unary  # noqa: E402
from .ops import views as _views  # noqa: E402
from .ops._util import result_type  # noqa: E402
from .ops.binary import *  # noqa: E402,F403
from .ops.compare import *  # noqa: E402,F403
from .ops.creation import *  # noqa: E402,F403
from .ops.decomp import *  # noqa: E402,F403
from .ops.gather import *  # noqa: E402,F403
from .ops.index import *  # noqa: E402,F403
from .ops.linalg import *  # noqa: E402,F403
from .ops.pointwise import *  # noqa: E402,F403
from .ops.rearrange import *  # noqa: E402,F403
from .ops.reduce import *  # noqa: E402,F403
from .ops.sampling import *  # noqa: E402,F403
from .ops.scan import *  # noqa: E402,F403
from .ops.shape import *  # noqa: E402,F403
from .ops.sorting import *  # noqa: E402,F403
from .ops.stats import *  # noqa: E402,F403
from .ops.ternary import *  # noqa: E402,F403
from .ops.unary import *  # noqa: E402,F403
from .ops.views import *  # noqa: E402,F403
from .random import get_rng_state, initial_seed, manual_seed, seed, set_rng_state  # noqa: E402

_OPS = (_binary, _compare, _creation, _decomp, _gather, _index, _linalg, _pointwise, _rearrange,
        _reduce, _sampling, _scan, _shape, _sorting, _stats, _ternary, _unary, _views)

__version__ = "0.1.0"

half, float, double = float16, float32, float64
short, int, long = int16, int32, int64
cfloat, cdouble = complex64, complex128
strided = "torch.strided"


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
    set_default_dtype(t.dtype if hasattr(t, "dtype") else {"torch.FloatTensor": float32,
                                                            "torch.DoubleTensor": float64}[t])


def get_num_threads():
    return 1


def set_num_threads(n):
    pass


def use_deterministic_algorithms(mode, *, warn_only=False):
    pass


def compile(model=None, **kw):
    return model if model is not None else (lambda m: m)


# The heavier subpackages load on first use (PEP 562), so `import ember` stays fast; `ember.nn`,
# `import ember.nn` and `from ember import nn` all work as with eager imports. A torch name ember
# lacks raises `ember does not implement torch.X yet` (an AttributeError).
_LAZY = {"nn": (".nn", None), "optim": (".optim", None), "utils": (".utils", None),
         "vision": (".vision", None), "serialization": (".serialization", None),
         "linalg": (".linalg", None), "save": (".serialization", "save"),
         "load": (".serialization", "load"), "softmax": (".nn.functional", "softmax"),
         "log_softmax": (".nn.functional", "log_softmax")}
__getattr__ = _compat.module_getattr(__name__, _LAZY)

__all__ = ["Tensor", "Size", "device", "dtype", "bool", "uint8", "int8", "int16", "int32",
           "int64", "float16", "float32", "float64", "complex64", "complex128", "half", "float",
           "double", "short", "int", "long", "cfloat", "cdouble", "strided", "memory_format",
           "channels_last", "channels_last_3d", "contiguous_format", "preserve_format",
           "get_default_dtype", "set_default_dtype", "set_default_tensor_type", "promote_types",
           "can_cast", "result_type", "no_grad", "enable_grad", "set_grad_enabled",
           "is_grad_enabled", "inference_mode", "is_inference_mode_enabled", "is_anomaly_enabled",
           "is_anomaly_check_nan_enabled", "Generator", "default_generator", "manual_seed", "seed",
           "initial_seed", "get_rng_state", "set_rng_state", "set_printoptions", "is_tensor",
           "is_floating_point", "is_complex", "is_nonzero", "numel", "get_num_threads",
           "set_num_threads", "use_deterministic_algorithms", "compile"]
__all__ += [_n for _m in _OPS for _n in _m.__all__]
__all__ += [_n for _n, (_where, _attr) in _LAZY.items() if _attr is not None]


def _tensor_softmax(self, dim=None, **kwargs):
    from .nn.functional import softmax as f
    return f(self, dim, **kwargs)


def _tensor_log_softmax(self, dim=None, **kwargs):
    from .nn.functional import log_softmax as f
    return f(self, dim, **kwargs)


Tensor.softmax = _tensor_softmax  # nn.functional rebinds them when it loads
Tensor.log_softmax = _tensor_log_softmax
