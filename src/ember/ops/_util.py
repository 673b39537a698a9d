"""Argument plumbing shared by the op families: operand promotion, dims, sizes, method binding."""

import numbers

import numpy as np

from .. import _dtype as D
from .._args import unsupported
from .._tensor import Tensor, _dim, _wrap

_SCALARS = (bool, int, float, complex, np.generic)
_ndarray = np.ndarray


def method(*names):
    """Binds a function as Tensor method(s)."""
    def deco(fn):
        for n in names or (fn.__name__,):
            setattr(Tensor, n, fn)
        return fn
    return deco


def scalar_type(v):
    if isinstance(v, np.generic):
        v = v.item()
    return D.scalar_dtype(v)


def result_type(*args):
    dims, zeros, scalars = [], [], []
    for a in args:
        if isinstance(a, Tensor):
            (dims if a._data.ndim else zeros).append(a.dtype)
        elif isinstance(a, _SCALARS):
            scalars.append(scalar_type(a))
        elif isinstance(a, D.dtype):
            dims.append(a)
        else:
            raise TypeError(f"result_type(): argument of unsupported type {type(a).__name__}")
    return D.result_type_of(dims, zeros, scalars)


def operand(a, dt, like=None):
    """`a` (Tensor or scalar) as an array or NumPy scalar of dtype `dt`."""
    if isinstance(a, Tensor):
        x = a._data
        return x if x.dtype is dt.np or x.dtype == dt.np else x.astype(dt.np)
    if isinstance(a, np.generic):
        a = a.item()
    try:
        return dt.np.type(a)
    except OverflowError:
        return np.array(a).astype(dt.np)[()]
    except TypeError:
        if isinstance(a, complex):
            raise RuntimeError(
                f"value cannot be converted to type {dt.name} without overflow") from None
        raise


def as_tensor_arg(a, name="other"):
    if isinstance(a, Tensor):
        return a
    if isinstance(a, _SCALARS):
        return a
    if isinstance(a, (list, tuple)) or isinstance(a, _ndarray):
        from .creation import tensor
        return tensor(a)
    raise TypeError(f"unsupported operand type: {type(a).__name__}")


def broadcast_error(a, b):
    sa, sb = list(np.shape(a)), list(np.shape(b))
    n = max(len(sa), len(sb))
    sa, sb = [1] * (n - len(sa)) + sa, [1] * (n - len(sb)) + sb
    for i in range(n - 1, -1, -1):
        if sa[i] != sb[i] and sa[i] != 1 and sb[i] != 1:
            return RuntimeError(f"The size of tensor a ({sa[i]}) must match the size of tensor b "
                                f"({sb[i]}) at non-singleton dimension {i}")
    return RuntimeError("shapes cannot be broadcast")


def dims(dim, ndim):
    """Normalises an int / tuple / None dim argument to a sorted tuple of axes (None: all)."""
    if dim is None:
        return None
    if isinstance(dim, numbers.Integral):
        return (_dim(dim, ndim),)
    out = tuple(sorted(_dim(d, ndim) for d in dim))
    if len(set(out)) != len(out):
        raise RuntimeError(f"dim {out[0]} appears multiple times in the list of dims")
    return out


def size_args(size):
    """zeros(2, 3), zeros((2, 3)), zeros([2, 3]), zeros(Size) -> (2, 3)."""
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = size[0]
    out = []
    for s in size:
        if isinstance(s, Tensor):
            s = int(s)
        if not isinstance(s, numbers.Integral):
            raise TypeError(f"empty(): argument 'size' must be tuple of ints, but found element "
                            f"of type {type(s).__name__} at pos {len(out)}")
        out.append(int(s))
    for s in out:
        if s < 0:
            raise RuntimeError(f"Trying to create tensor with negative dimension {s}: {out}")
    return tuple(out)


def wrap(a):
    return _wrap(a)


def xp_of(t):
    return np if t._data.__class__ is _ndarray else t.device.xp


_PIN = ("pin_memory=True requires a CUDA or other accelerator backend; no pinned memory allocator "
        "is available on this system.")


def check_factory(api, layout=None, pin_memory=False):
    """A factory's layout= (strided only: others are refused) and pin_memory= (page-locking
    only speeds host-to-GPU copies, so it is honoured as a no-op where a GPU exists and refused
    with torch's error where none does). Call it only when either is given."""
    if layout is not None and layout != "torch.strided":
        unsupported(api, "layout", layout)
    if pin_memory:
        from .._device import cuda_available
        if not cuda_available():
            raise RuntimeError(_PIN)
