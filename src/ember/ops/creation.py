"""Creation: tensor/as_tensor/from_numpy, zeros/ones/full/empty(+_like), arange, linspace,
logspace, eye, the legacy constructors (Tensor(...), FloatTensor, Tensor.new) and new_*.

`tensor()` infers dtypes as torch does (Python floats take the default dtype, ints int64,
NumPy values keep theirs) and reports ragged input with torch's message.
"""

import math
import numbers

import numpy as np

from .. import _dtype as D
from .._device import as_device, to_device
from .._tensor import Size, Tensor, _wrap
from ._util import method, size_args


def _finish(arr, device=None, requires_grad=False):
    if device is not None:
        dev = as_device(device)
        if dev.type != "cpu":
            arr = to_device(arr, dev)
    t = _wrap(arr)
    if requires_grad:
        t.requires_grad_(True)
    return t


def _leaf(data):
    while isinstance(data, (list, tuple)) and data:
        data = data[0]
    return data


def _ragged_error(data, dim=0):
    if not isinstance(data, (list, tuple)):
        return None
    lens = None
    for item in data:
        if isinstance(item, (list, tuple)):
            if lens is None:
                lens = len(item)
            elif len(item) != lens:
                return ValueError(f"expected sequence of length {lens} at dim {dim + 1} "
                                  f"(got {len(item)})")
        elif lens is not None:
            return TypeError(f"not a sequence")
    for item in data:
        e = _ragged_error(item, dim + 1)
        if e is not None:
            return e
    return None


def _infer_array(data):
    if isinstance(data, Tensor):
        return data._data.copy() if isinstance(data._data, np.ndarray) else data._data.get()
    if isinstance(data, np.ndarray):
        return data.copy()
    if isinstance(data, str):
        raise TypeError("new(): invalid data type 'str'")
    if isinstance(data, (list, tuple)) and any(isinstance(d, Tensor) for d in data):
        parts = [_infer_array(d) for d in data]
        return np.stack(parts) if parts else np.zeros((0,), D.get_default_dtype().np)
    leaf = _leaf(data)
    try:
        arr = np.array(data)
    except ValueError:
        e = _ragged_error(data)
        raise e or ValueError("could not convert the data to a tensor") from None
    if arr.dtype == object:
        e = _ragged_error(data)
        if e is not None:
            raise e
        raise TypeError(f"new(): invalid data type '{type(leaf).__name__}'")
    if arr.dtype.kind in "US":
        raise TypeError(f"new(): invalid data type '{type(leaf).__name__}'")
    if isinstance(leaf, np.generic):
        return arr
    if arr.dtype == np.float64 and not (isinstance(leaf, np.float64)):
        return arr.astype(D.get_default_dtype().np)
    if arr.dtype.kind == "c" and not isinstance(leaf, np.generic):
        return arr.astype(D.get_default_dtype().to_complex().np)
    if arr.dtype.kind in "iu" and not isinstance(leaf, np.generic):
        return arr.astype(np.int64)
    if arr.size == 0 and arr.dtype == np.float64:
        return arr.astype(D.get_default_dtype().np)
    return arr


def tensor(data, *, dtype=None, device=None, requires_grad=False, pin_memory=False):
    """Matches torch.tensor."""
    arr = _infer_array(data)
    if dtype is not None:
        arr = arr.astype(dtype.np, copy=False)
    if requires_grad and arr.dtype.kind not in "fc":
        raise RuntimeError("Only Tensors of floating point and complex dtype can require "
                           "gradients")
    return _finish(arr, device, requires_grad)


def as_tensor(data, dtype=None, device=None):
    if isinstance(data, Tensor):
        r = data
        if dtype is not None and dtype is not data.dtype:
            r = r.to(dtype)
        if device is not None:
            r = r.to(device)
        return r
    if isinstance(data, np.ndarray):
        arr = data if dtype is None else data.astype(dtype.np, copy=False)
        D.from_numpy_dtype(arr.dtype)
        return _finish(arr, device)
    return tensor(data, dtype=dtype, device=device)


asarray = as_tensor


def from_numpy(ndarray):
    if not isinstance(ndarray, np.ndarray):
        raise TypeError(f"expected np.ndarray (got {type(ndarray).__name__})")
    D.from_numpy_dtype(ndarray.dtype)
    if not ndarray.dtype.isnative:
        raise ValueError("given numpy array has byte order different from the native byte "
                         "order. Conversion between byte orders is currently not supported.")
    return _wrap(ndarray)


def _dt(dtype):
    return (dtype or D.get_default_dtype()).np


def zeros(*size, out=None, dtype=None, layout=None, device=None, requires_grad=False,
          pin_memory=False, memory_format=None):
    return _finish(np.zeros(size_args(size), _dt(dtype)), device, requires_grad)


def ones(*size, out=None, dtype=None, layout=None, device=None, requires_grad=False,
         pin_memory=False, memory_format=None):
    return _finish(np.ones(size_args(size), _dt(dtype)), device, requires_grad)


def empty(*size, out=None, dtype=None, layout=None, device=None, requires_grad=False,
          pin_memory=False, memory_format=None):
    return _finish(np.empty(size_args(size), _dt(dtype)), device, requires_grad)


def empty_strided(size, stride, *, dtype=None, device=None, requires_grad=False):
    dt = _dt(dtype)
    n = 1 + sum((s - 1) * st for s, st in zip(size, stride)) if all(size) else 0
    base = np.empty(max(n, 0), dt)
    arr = np.lib.stride_tricks.as_strided(base, tuple(size),
                                          tuple(st * dt.itemsize for st in stride))
    return _finish(arr, device, requires_grad)


def _fill_dtype(value):
    if isinstance(value, Tensor):
        return value.dtype
    return D.scalar_dtype(value.item() if isinstance(value, np.generic) else value)


def full(size, fill_value, *, out=None, dtype=None, layout=None, device=None,
         requires_grad=False, pin_memory=False):
    dt = dtype or _fill_dtype(fill_value)
    if isinstance(fill_value, Tensor):
        fill_value = fill_value.item()
    return _finish(np.full(size_args((size,)), fill_value, dt.np), device, requires_grad)


def _like(fn):
    def like(input, *, dtype=None, layout=None, device=None, requires_grad=False,
             memory_format=None, **kw):
        return fn(input.shape, dtype=dtype or input.dtype,
                  device=device if device is not None else input.device,
                  requires_grad=requires_grad, **kw)
    return like


zeros_like = _like(zeros)
ones_like = _like(ones)
empty_like = _like(empty)


def full_like(input, fill_value, *, dtype=None, layout=None, device=None, requires_grad=False,
              memory_format=None):
    return full(input.shape, fill_value, dtype=dtype or input.dtype,
                device=device if device is not None else input.device,
                requires_grad=requires_grad)


def _num(v):
    return v.item() if isinstance(v, (Tensor, np.generic)) else v


def arange(start=0, end=None, step=1, *, out=None, dtype=None, layout=None, device=None,
           requires_grad=False, pin_memory=False):
    start, end, step = _num(start), _num(end), _num(step)
    if end is None:
        start, end = 0, start
    if step == 0:
        raise RuntimeError("step must be nonzero")
    if (end - start) / step < 0:
        raise RuntimeError("upper bound and larger bound inconsistent with step sign")
    if dtype is None:
        floating = any(isinstance(v, float) for v in (start, end, step))
        dtype = D.get_default_dtype() if floating else D.int64
    n = int(math.ceil((end - start) / step))
    if dtype.is_floating_point:
        arr = (start + np.arange(n, dtype=np.float64) * step).astype(dtype.np)
    else:
        arr = (start + np.arange(n, dtype=np.int64) * step).astype(dtype.np) \
            if all(isinstance(v, numbers.Integral) for v in (start, end, step)) else \
            (start + np.arange(n, dtype=np.float64) * step).astype(dtype.np)
    return _finish(arr, device, requires_grad)


def range(start=0, end=None, step=1, *, dtype=None, device=None, requires_grad=False):
    if end is None:
        start, end = 0, start
    n = int(math.floor((end - start) / step)) + 1
    dt = dtype or D.get_default_dtype()
    arr = (start + np.arange(n, dtype=np.float64) * step).astype(dt.np)
    return _finish(arr, device, requires_grad)


def linspace(start, end, steps, *, out=None, dtype=None, layout=None, device=None,
             requires_grad=False):
    start, end = _num(start), _num(end)
    if steps < 0:
        raise RuntimeError("number of steps must be non-negative")
    dt = dtype or D.get_default_dtype()
    work = dt.np if dt.is_floating_point else np.float64
    if steps == 1:
        arr = np.array([start], dtype=work)
    else:
        # torch fills the first half forward from start and the second half back from end
        step = (work.type(end) - work.type(start)) / work.type(steps - 1)
        i = np.arange(steps, dtype=work)
        half = steps // 2
        arr = np.where(i < half, work.type(start) + step * i,
                       work.type(end) - step * (work.type(steps - 1) - i))
    return _finish(arr.astype(dt.np), device, requires_grad)


def logspace(start, end, steps, base=10.0, *, out=None, dtype=None, layout=None, device=None,
             requires_grad=False):
    dt = dtype or D.get_default_dtype()
    exps = linspace(start, end, steps, dtype=D.float64)._data
    return _finish(np.power(base, exps).astype(dt.np), device, requires_grad)


def eye(n, m=None, *, out=None, dtype=None, layout=None, device=None, requires_grad=False):
    return _finish(np.eye(n, n if m is None else m, dtype=_dt(dtype)), device, requires_grad)


def complex(real, imag):
    return _wrap(real._data + 1j * imag._data)


def polar(abs, angle):
    return _wrap(abs._data * np.exp(1j * angle._data))


# ---------------------------------------------------------------- legacy constructors
def _legacy_new(cls, dtype, args, device):
    if cls is not Tensor and cls not in _LEGACY.values():
        from .._tensor import _as_subclass
        return _as_subclass(_legacy_new(Tensor, dtype, args, device), cls)
    if not args:
        return _finish(np.zeros((0,), dtype.np), device)
    if len(args) == 1 and not isinstance(args[0], (numbers.Integral, Size)):
        data = args[0]
        if isinstance(data, Tensor):
            return data.to(dtype)
        return _finish(np.asarray(_infer_array(data)).astype(dtype.np), device)
    return _finish(np.zeros(size_args(args), dtype.np), device)


class _LegacyMeta(type):
    def __instancecheck__(cls, obj):
        return isinstance(obj, Tensor) and obj.dtype is cls._legacy_dtype

    def __call__(cls, *args, device=None):
        return _legacy_new(Tensor, cls._legacy_dtype, args, device)

    def __repr__(cls):
        return f"<class 'torch.{cls.__name__}'>"


_LEGACY = {}
for _d in D.ALL:
    _LEGACY[_d._legacy] = _LegacyMeta(_d._legacy, (), {"_legacy_dtype": _d, "dtype": _d})
FloatTensor, DoubleTensor, HalfTensor = (_LEGACY[n] for n in ("FloatTensor", "DoubleTensor",
                                                             "HalfTensor"))
LongTensor, IntTensor, ShortTensor = (_LEGACY[n] for n in ("LongTensor", "IntTensor",
                                                          "ShortTensor"))
CharTensor, ByteTensor, BoolTensor = (_LEGACY[n] for n in ("CharTensor", "ByteTensor",
                                                          "BoolTensor"))


@method("new")
def _new(self, *args, device=None):
    return _legacy_new(Tensor, self.dtype, args, device if device is not None else self.device)


def _new_like(fn):
    def op(self, *size, dtype=None, device=None, requires_grad=False, **kw):
        return fn(*size, dtype=dtype or self.dtype,
                  device=device if device is not None else self.device,
                  requires_grad=requires_grad, **kw)
    return op


Tensor.new_zeros = _new_like(zeros)
Tensor.new_ones = _new_like(ones)
Tensor.new_empty = _new_like(empty)


@method("new_full")
def _new_full(self, size, fill_value, *, dtype=None, device=None, requires_grad=False):
    return full(size, fill_value, dtype=dtype or self.dtype,
                device=device if device is not None else self.device,
                requires_grad=requires_grad)


@method("new_tensor")
def _new_tensor(self, data, *, dtype=None, device=None, requires_grad=False):
    return tensor(data, dtype=dtype or self.dtype,
                  device=device if device is not None else self.device,
                  requires_grad=requires_grad)


def meshgrid(*tensors, indexing="ij"):
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    n = len(tensors)
    shape = [t.numel() for t in tensors]
    if indexing == "xy" and n >= 2:
        shape[0], shape[1] = shape[1], shape[0]
    out = []
    for i, t in enumerate(tensors):
        sh = [1] * n
        pos = i
        if indexing == "xy" and n >= 2 and i < 2:
            pos = 1 - i
        sh[pos] = -1
        out.append(t.reshape(sh).expand(shape))
    return tuple(out)


def tril_indices(row, col, offset=0, *, dtype=None, device=None):
    r, c = np.tril_indices(row, offset, col)
    return _wrap(np.stack([r, c]).astype((dtype or D.int64).np))


def triu_indices(row, col, offset=0, *, dtype=None, device=None):
    r, c = np.triu_indices(row, offset, col)
    return _wrap(np.stack([r, c]).astype((dtype or D.int64).np))
