"""ember: a deep-learning framework with the PyTorch API, on NumPy.

`import ember as torch` gives torch's tensors, autograd, nn, optim and data loading with
torch's semantics: dtypes and promotion, views, printing, random streams and error messages.
"""

import warnings as _warnings

# torch computes log(0), 1/0 and exp(1000) silently; NumPy warns. Silence NumPy's floating-point
# RuntimeWarnings only where ember's own code calls NumPy (a user's NumPy is untouched), which
# costs nothing per op, unlike np.errstate.
_warnings.filterwarnings("ignore", category=RuntimeWarning, module=r"ember\.")

from . import _dtype, autograd, cuda  # noqa: E402
from ._device import device
from ._dtype import (
    bool_ as bool,
)
from ._dtype import (
    can_cast,
    complex64,
    complex128,
    dtype,
    float16,
    float32,
    float64,
    get_default_dtype,
    int8,
    int16,
    int32,
    int64,
    promote_types,
    set_default_dtype,
    uint8,
)
from ._tensor import Size, Tensor
from .autograd.anomaly import is_anomaly_check_nan_enabled, is_anomaly_enabled
from .autograd.grad_mode import (
    enable_grad,
    inference_mode,
    is_grad_enabled,
    is_inference_mode_enabled,
    no_grad,
    set_grad_enabled,
)
from .ops import binary as _binary
from .ops import compare as _compare
from .ops import creation as _creation
from .ops import decomp as _decomp
from .ops import gather as _gather
from .ops import index as _index
from .ops import linalg as _linalg
from .ops import pointwise as _pointwise
from .ops import rearrange as _rearrange
from .ops import reduce as _reduce
from .ops import scan as _scan
from .ops import shape as _shape
from .ops import sorting as _sorting
from .ops import stats as _stats
from .ops import ternary as _ternary
from .ops import unary as _unary
from .ops import views as _views

__version__ = "0.1.0"

half, float, double = float16, float32, float64
short, int, long = int16, int32, int64
cfloat, cdouble = complex64, complex128
strided = "torch.strided"
from ._dtype import (  # noqa: E402
    channels_last,
    channels_last_3d,
    contiguous_format,
    memory_format,
    preserve_format,
)


def _export(module):
    g = globals()
    for name, value in vars(module).items():
        if not name.startswith("_") and callable(value) and not isinstance(value, type) and \
                getattr(value, "__module__", None) == module.__name__ and name not in g:
            g[name] = value


for _m in (_pointwise, _unary, _ternary, _compare, _reduce, _shape, _rearrange, _index, _gather,
           _sorting, _linalg, _decomp, _creation, _binary, _views, _scan, _stats):
    _export(_m)
from .ops._util import result_type  # noqa: E402
from .ops.creation import (  # noqa: E402
    BoolTensor,
    ByteTensor,
    CharTensor,
    DoubleTensor,
    FloatTensor,
    HalfTensor,
    IntTensor,
    LongTensor,
    ShortTensor,
)
from .ops.reduce import all, any, max, min, sum  # noqa: E402
from .ops.unary import abs, absolute, arccos, arcsin, arctan, fix, negative, round  # noqa: E402

globals().update({n: getattr(_unary, n) for n in _unary._UNARY_FNS if not n.startswith(
    "_")})
from . import random  # noqa: E402
from ._printing import get_printoptions, set_printoptions  # noqa: E402
from ._random import Generator, default_generator  # noqa: E402
from .ops import sampling as _sampling  # noqa: E402
from .ops.sampling import *  # noqa: E402,F401,F403
from .random import get_rng_state, initial_seed, manual_seed, seed, set_rng_state  # noqa: E402


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
# `import ember.nn` and `from ember import nn` all work as with eager imports.
_LAZY_MODULES = ("nn", "optim", "utils", "vision", "serialization", "linalg")
_LAZY_NAMES = {"save": "serialization", "load": "serialization",
               "softmax": "nn.functional", "log_softmax": "nn.functional"}


def __getattr__(name):
    import importlib
    if name in _LAZY_MODULES:
        module = importlib.import_module("." + name, __name__)
        globals()[name] = module
        return module
    where = _LAZY_NAMES.get(name)
    if where is not None:
        value = getattr(importlib.import_module("." + where, __name__), name)
        globals()[name] = value
        return value
    if name.startswith("__"):
        raise AttributeError(name)
    raise AttributeError(f"module 'ember' has no attribute '{name}' "
                         f"(ember does not implement torch.{name} yet)")


def _tensor_softmax(self, dim=None, **kwargs):
    from .nn.functional import softmax as f
    return f(self, dim, **kwargs)


def _tensor_log_softmax(self, dim=None, **kwargs):
    from .nn.functional import log_softmax as f
    return f(self, dim, **kwargs)


Tensor.softmax = _tensor_softmax  # nn.functional rebinds them when it loads
Tensor.log_softmax = _tensor_log_softmax
