"""ember: a deep-learning framework with the PyTorch API, on NumPy.

`import ember as torch` gives torch's tensors, autograd, nn, optim and data loading with
torch's semantics: dtypes and promotion, views, printing, random streams and error messages.
"""

import builtins as _builtins

from . import _dtype
from ._device import device
from ._dtype import (
    bool_ as bool, uint8, int8, int16, int32, int64, float16, float32, float64, complex64,
    complex128, get_default_dtype, set_default_dtype, promote_types, can_cast,
)
from ._dtype import dtype
from ._tensor import Size, Tensor
from .autograd.grad_mode import (enable_grad, inference_mode, is_grad_enabled,
                                 is_inference_mode_enabled, no_grad, set_grad_enabled)
from .autograd.anomaly import is_anomaly_check_nan_enabled, is_anomaly_enabled
from .ops import compare as _compare
from .ops import creation as _creation
from .ops import gather as _gather
from .ops import index as _index
from .ops import linalg as _linalg
from .ops import pointwise as _pointwise
from .ops import rearrange as _rearrange
from .ops import reduce as _reduce
from .ops import shape as _shape
from .ops import sorting as _sorting
from .ops import ternary as _ternary
from .ops import unary as _unary
from . import autograd, cuda  # noqa: E402

__version__ = "0.1.0"

half, float, double = float16, float32, float64
short, int, long = int16, int32, int64
cfloat, cdouble = complex64, complex128
strided = "torch.strided"
contiguous_format = preserve_format = channels_last = None


def _export(module):
    g = globals()
    for name, value in vars(module).items():
        if not name.startswith("_") and callable(value) and getattr(
                value, "__module__", None) == module.__name__ and name not in g:
            g[name] = value


for _m in (_pointwise, _unary, _ternary, _compare, _reduce, _shape, _rearrange, _index, _gather,
           _sorting, _linalg, _creation):
    _export(_m)
from .ops.creation import (BoolTensor, ByteTensor, CharTensor, DoubleTensor,  # noqa: E402
                           FloatTensor, HalfTensor, IntTensor, LongTensor, ShortTensor)
from .ops._util import result_type  # noqa: E402
from .ops.unary import (abs, absolute, arccos, arcsin, arctan, fix, negative,  # noqa: E402
                        round)
from .ops.reduce import all, any, max, min, sum  # noqa: E402

globals().update({n: getattr(_unary, n) for n in _unary._UNARY_FNS if not n.startswith(
    "_")})
from . import random  # noqa: E402
from ._printing import get_printoptions, set_printoptions  # noqa: E402
from ._random import Generator, default_generator  # noqa: E402
from . import serialization  # noqa: E402
from .serialization import load, save  # noqa: E402
from . import utils  # noqa: E402
from . import nn, optim  # noqa: E402
from .nn.functional import log_softmax, softmax  # noqa: E402
from .ops import sampling as _sampling  # noqa: E402
from .ops.sampling import *  # noqa: E402,F401,F403
from .random import (get_rng_state, initial_seed, manual_seed, seed,  # noqa: E402
                     set_rng_state)


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
    return _builtins.bool(input.item())


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


del _builtins
