"""Creation: tensor/as_tensor/from_numpy, zeros/ones/full/empty(+_like), arange, linspace,
logspace, eye, the legacy constructors (Tensor(...), FloatTensor, Tensor.new) and new_*.

`tensor()` infers dtypes as torch does (Python floats take the default dtype, ints int64,
NumPy values keep theirs) and reports ragged input with torch's message.
"""

__all__ = ["scalar_tensor", "tensor", "as_tensor", "asarray", "from_numpy", "zeros", "ones",
           "empty",
           "empty_strided", "full", "zeros_like", "ones_like", "empty_like", "full_like", "arange",
           "range", "linspace", "logspace", "eye", "complex", "polar", "FloatTensor",
           "DoubleTensor", "HalfTensor", "LongTensor", "IntTensor", "ShortTensor", "CharTensor",
           "ByteTensor", "BoolTensor", "BFloat16Tensor",
           "use_deterministic_algorithms", "are_deterministic_algorithms_enabled",
           "is_deterministic_algorithms_warn_only_enabled"]

import builtins
import math
import numbers
import warnings

import numpy as np

from .. import _dtype as D
from .. import _meta
from .._device import _default, as_device, to_device
from .._device import array_module as _xp
from .._layout import format_rank, format_strides
from .._tensor import Size, Tensor, _wrap
from ..amp import _hook as _amp
from ..autograd import grad_mode as _gm
from ..autograd.function import _NUMPY_ERRORS, Op, creation_error, torch_error
from ._util import check_factory, checked, size_args, user_stacklevel
from .inplace import _out


def _finish(arr, device=None, requires_grad=False, moving=False):
    """A tensor of `arr` on `device` (moving: tensor()/as_tensor, which copy from the host and
    fail as a move does where the device has no memory here)."""
    if device is None and _default:  # inside `with torch.device(...)`
        device = _default[-1]
    if device is not None:
        dev = as_device(device, moving)
        if dev.type != "cpu":
            arr = to_device(arr, dev)
    t = _wrap(arr)
    if requires_grad:
        if arr.dtype.kind not in "fcV":  # V: bfloat16 (ml_dtypes)
            raise RuntimeError("Only Tensors of floating point and complex dtype can require "
                               "gradients")
        t._rg = True
    return t


_PY_SCALARS = (bool, int, float, builtins.complex)  # this module defines complex() and range()


def _leaf_dtype(v):
    """The dtype torch infers for one leaf of tensor()'s data."""
    if isinstance(v, Tensor):
        return v.dtype
    if isinstance(v, (np.generic, np.ndarray)):
        return D.from_numpy_dtype(v.dtype)
    if isinstance(v, _PY_SCALARS):
        return D.scalar_dtype(v)
    if isinstance(v, str):
        raise TypeError("new(): invalid data type 'str'")
    raise RuntimeError(f"Could not infer dtype of {type(v).__name__}")


def _infer_dtype(data):
    """Promotes the dtypes of all leaves (Python floats count as the default dtype)."""
    types, typed = set(), []
    stack = [data]
    while stack:
        seq = stack.pop()
        for v in seq:
            if isinstance(v, (list, tuple)):
                stack.append(v)
            elif isinstance(v, (Tensor, np.ndarray)):
                typed.append(v.dtype if isinstance(v, Tensor) else D.from_numpy_dtype(v.dtype))
            else:
                types.add(type(v) if not isinstance(v, np.generic) else v.dtype)
    dt = None
    for t in types:
        if isinstance(t, np.dtype):
            d = D.from_numpy_dtype(t)
        elif issubclass(t, _PY_SCALARS):
            d = D.scalar_dtype(t(0))
        elif issubclass(t, str):
            raise TypeError("new(): invalid data type 'str'")
        else:
            raise RuntimeError(f"Could not infer dtype of {t.__name__}")
        dt = d if dt is None else D.promote_types(dt, d)
    for d in typed:
        dt = d if dt is None else D.promote_types(dt, d)
    return dt or D.get_default_dtype()


def _shape_error(data, dt):
    """torch's error for data that is not a regular nested sequence."""
    shape, v = [], data
    while isinstance(v, (list, tuple, str)):
        if isinstance(v, str):
            raise ValueError("too many dimensions 'str'")
        shape.append(len(v))
        if not v:
            break
        v = v[0]

    def walk(seq, dim):
        if len(seq) != shape[dim]:
            return ValueError(f"expected sequence of length {shape[dim]} at dim {dim} "
                              f"(got {len(seq)})")
        for item in seq:
            if dim + 1 < len(shape):
                if not isinstance(item, (list, tuple)):
                    return TypeError("not a sequence")
                e = walk(item, dim + 1)
                if e is not None:
                    return e
            elif isinstance(item, (list, tuple)):
                return TypeError("must be real number, not " + type(item).__name__
                                 if dt.is_floating_point or dt.is_complex else
                                 f"'{type(item).__name__}' object cannot be interpreted as an "
                                 "integer")
        return None
    return walk(data, 0) or ValueError("could not convert the data to a tensor")


def _nested_array(data):
    """A NumPy array of `data` (lists holding tensors or arrays are stacked)."""
    if isinstance(data, Tensor):
        from .._device import to_host
        return np.array(to_host(data._data))
    if isinstance(data, np.ndarray):
        return data
    if isinstance(data, (list, tuple)) and any(isinstance(d, (Tensor, np.ndarray, list, tuple))
                                               for d in data):
        parts = [_nested_array(d) for d in data]
        if any(isinstance(p, np.ndarray) for p in parts):
            shapes = {np.shape(p) for p in parts}
            if len(shapes) > 1:
                raise ValueError
            return np.stack([np.asarray(p) for p in parts]) if parts else np.zeros(0)
    return np.array(data)


def _checked_cast(arr, dt, from_python):
    """Casts as torch.tensor(data, dtype=) does: Python values that overflow an int type raise."""
    if from_python and arr.dtype.kind in "fiu" and dt.np.kind in "iu" and arr.size:
        info = np.iinfo(dt.np)
        lo = -info.max if (arr.dtype.kind in "iu" and dt.np.kind == "u") else info.min
        if arr.min() < lo or arr.max() > info.max or arr.dtype.kind == "f" and bool(
                np.isnan(arr).any()):  # (NaN compares false to both bounds)
            raise RuntimeError(f"value cannot be converted to type {dt.name} without overflow")
    if from_python and arr.dtype.kind == "c" and not (dt.is_complex or dt is D.bool_):
        raise TypeError("'complex' object cannot be interpreted as an integer"  # torch's
                        if dt.np.kind in "iu" else "must be real number, not complex")  # words
    if dt is D.bfloat16 or dt is D.float16:  # through float32, as torch rounds
        return D.cast_array(arr, dt)
    return arr.astype(dt.np, copy=False)


def _infer_array(data, dtype=None):
    """data as a NumPy array of the dtype torch.tensor(data) would have."""
    if isinstance(data, Tensor):
        from .._device import to_host
        arr = np.array(to_host(data._data))
        return arr if dtype is None else D.cast_array(arr, dtype)
    if isinstance(data, np.ndarray):
        D.from_numpy_dtype(data.dtype)
        return data.copy() if dtype is None else D.cast_array(data, dtype)
    if isinstance(data, str):
        raise TypeError("new(): invalid data type 'str'")
    seq = isinstance(data, (list, tuple))
    if seq and isinstance(_first(data), str):
        raise ValueError("too many dimensions 'str'")
    dt = _infer_dtype(data) if seq else _leaf_dtype(data)
    try:
        arr = _nested_array(data) if seq else np.array(data)
    except (ValueError, TypeError):
        raise _shape_error(data, dt) from None
    if arr.dtype == object or arr.dtype.kind in "USV":
        if arr.dtype == object and all(isinstance(v, int) for v in np.ravel(arr)):
            raise ValueError("Overflow when unpacking long long")
        raise _shape_error(data, dt)
    if arr.dtype.kind == "u" and not isinstance(_first(data), np.generic):
        raise ValueError("Overflow when unpacking long long")
    if dtype is not None:
        return _checked_cast(arr, dtype, not isinstance(_first(data), (np.generic, Tensor)))
    return arr.astype(dt.np, copy=False)


def _first(data):
    while isinstance(data, (list, tuple)) and data:
        data = data[0]
    return data


def tensor(data, *, dtype=None, device=None, requires_grad=False, pin_memory=False):
    """Matches torch.tensor: always copies, infers the dtype as torch does."""
    if pin_memory:
        check_factory("torch.tensor", None, pin_memory)
    if isinstance(data, Tensor):
        import warnings
        warnings.warn("To copy construct from a tensor, it is recommended to use "
                      "sourceTensor.detach().clone() or sourceTensor.detach().clone()"
                      ".requires_grad_(True), rather than torch.tensor(sourceTensor).",
                      UserWarning, stacklevel=user_stacklevel())
    arr = _infer_array(data, dtype)
    if requires_grad and arr.dtype.kind not in "fcV":  # V: bfloat16 (ml_dtypes)
        raise RuntimeError("Only Tensors of floating point and complex dtype can require "
                           "gradients")
    return _finish(arr, device, requires_grad, moving=True)


def as_tensor(data, dtype=None, device=None):
    if isinstance(data, Tensor):
        r = data
        if dtype is not None and dtype is not data.dtype:
            r = r.to(dtype)
        if device is None and _default:  # torch moves it to the `torch.device` default
            device = _default[-1]
        if device is not None:
            r = r.to(device)
        return r
    if isinstance(data, np.ndarray):
        D.from_numpy_dtype(data.dtype)
        arr = data if dtype is None or data.dtype == dtype.np else D.cast_array(data, dtype)
        return _finish(arr, device, moving=True)
    return tensor(data, dtype=dtype, device=device)


asarray = as_tensor


def from_numpy(ndarray):
    """Matches torch.from_numpy: the tensor shares the array's memory."""
    if not isinstance(ndarray, np.ndarray):
        raise TypeError(f"expected np.ndarray (got {type(ndarray).__name__})")
    if D._BY_NP.get(ndarray.dtype) is D.bfloat16:
        D.from_numpy_dtype(ndarray.dtype)  # torch's TypeError for ml_dtypes' bfloat16
    if ndarray.dtype not in D._BY_NP:
        raise TypeError(f"can't convert np.ndarray of type numpy.{ndarray.dtype.type.__name__}. "
                        "The only supported types are: float64, float32, float16, complex64, "
                        "complex128, int64, int32, int16, int8, uint64, uint32, uint16, uint8, "
                        "and bool.")
    if not ndarray.dtype.isnative:
        raise ValueError("given numpy array has byte order different from the native byte "
                         "order. Conversion between byte orders is currently not supported.")
    if any(s < 0 for s in ndarray.strides):
        raise ValueError("At least one stride in the given numpy array is negative, and tensors "
                         "with negative strides are not currently supported. (You can probably "
                         "work around this by making a copy of your array  with array.copy().) ")
    return _wrap(ndarray)


_DETERMINISTIC = [False, False]  # use_deterministic_algorithms(mode, warn_only=)


def use_deterministic_algorithms(mode, *, warn_only=False):
    """Matches torch.use_deterministic_algorithms. ember's kernels are deterministic already
    (none would raise or warn); as in torch, the mode fills the memory that empty, empty_like,
    new_empty, empty_strided and a growing resize_ leave uninitialised."""
    for name, v, where in (("mode", mode, " (position 1)"), ("warn_only", warn_only, "")):
        if not isinstance(v, bool):
            raise TypeError(f"_set_deterministic_algorithms(): argument '{name}'{where} must be "
                            f"bool, not {type(v).__name__}")
    _DETERMINISTIC[:] = [mode, warn_only]


def are_deterministic_algorithms_enabled():
    return _DETERMINISTIC[0]


def is_deterministic_algorithms_warn_only_enabled():
    return _DETERMINISTIC[1]


def _fill_uninitialized(arr):
    """torch's deterministic fill: NaN for floats, the largest value for integers, True."""
    k = arr.dtype.kind
    arr[...] = np.nan if k in "fc" else True if k == "b" else np.iinfo(arr.dtype).max
    return arr


def _dt(dtype):
    return (dtype or D.get_default_dtype()).np


def _size(name, size):
    """zeros(2, 3) / zeros((2, 3)) / zeros([2, 3]) / zeros(Size) -> (2, 3), checked as torch."""
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = size[0]
    elif len(size) == 1 and (not isinstance(size[0], (numbers.Integral, Tensor))
                             or isinstance(size[0], bool)):
        raise TypeError(f"{name}(): argument 'size' (position 1) must be tuple of ints, not "
                        f"{type(size[0]).__name__}")
    out = []
    for i, v in enumerate(size):
        if isinstance(v, Tensor) and not v.dtype.is_floating_point and v.numel() == 1:
            v = int(v)
        if not isinstance(v, numbers.Integral):
            raise TypeError(f"{name}(): argument 'size' failed to unpack the object at pos "
                            f"{i + 1} with error \"type must be tuple of ints,but got "
                            f"{type(v).__name__}\"")
        out.append(int(v))
    if any(v < 0 for v in out):
        if name == "zeros":
            raise RuntimeError("zeros: Dimension size must be non-negative.")
        neg = next(v for v in out if v < 0)
        raise RuntimeError(f"Trying to create tensor with negative dimension {neg}: {out}")
    return tuple(out)


def _out_dtype(dtype, device, out):
    """A factory writing into `out=` makes out's dtype unless dtype= says otherwise (refused)."""
    if dtype is not None and dtype is not out.dtype:
        raise RuntimeError(f"dtype {dtype._legacy[:-6]} does not match dtype of out parameter "
                           f"({out.dtype._legacy[:-6]})")
    if device is not None and as_device(device).type != out.device.type:
        raise RuntimeError(f"device type {as_device(device).type} does not match device type of "
                           f"out parameter ({out.device.type})")
    return out.dtype


def _into(t, out, name):
    """The factory's result written into out= (resized silently, as torch's factories do)."""
    return _out(t, out, name="aten::" + name, warn=False)


def _factory(name, fill, size, out, dtype, layout, device, requires_grad, pin_memory):
    if layout is not None or pin_memory:
        check_factory("torch." + name, layout, pin_memory)
    shape = _size(name, size)
    dt = _dt(dtype) if out is None else _out_dtype(dtype, device, out).np
    if out is None and (device is not None or _default) and _meta.wanted(device):  # no data
        return _finish(_meta.empty(shape, dt), device, requires_grad)
    try:
        arr = fill(shape, dt)
    except _NUMPY_ERRORS as e:
        raise creation_error(e, shape, dt) from None
    if out is None:
        return _finish(arr, device, requires_grad)
    return _into(_finish(arr, out.device), out, name)


def zeros(*size, out=None, dtype=None, layout=None, device=None, requires_grad=False,
          pin_memory=False):
    return _factory("zeros", np.zeros, size, out, dtype, layout, device, requires_grad,
                    pin_memory)


def ones(*size, out=None, dtype=None, layout=None, device=None, requires_grad=False,
         pin_memory=False):
    return _factory("ones", np.ones, size, out, dtype, layout, device, requires_grad, pin_memory)


def empty(*size, out=None, dtype=None, layout=None, device=None, requires_grad=False,
          pin_memory=False, memory_format=None):
    if layout is not None or pin_memory:
        check_factory("torch.empty", layout, pin_memory)
    shape = _size("empty", size)
    if out is not None:
        _out_dtype(dtype, device, out)
        if _gm._enabled[0] and out._rg:
            raise RuntimeError("cannot resize variables that require grad")
        if out._data.shape != shape:
            v = out._vc[0]
            out.resize_(shape)
            out._vc[0] = v
        if _DETERMINISTIC[0]:
            _fill_uninitialized(out._data)
        return out  # torch's empty(out=) only resizes (and fills, in deterministic mode)
    if (device is not None or _default) and _meta.wanted(device):  # shape and dtype only
        if memory_format is not None:
            format_rank(memory_format, len(shape))
        st = None if memory_format is None else format_strides(shape, memory_format)
        return _finish(_meta.empty(shape, _dt(dtype), st), device, requires_grad)
    try:
        if memory_format is None or memory_format is D.contiguous_format:
            arr = np.empty(shape, _dt(dtype))
        else:
            arr = _empty_format(shape, _dt(dtype), memory_format)
    except _NUMPY_ERRORS as e:
        raise creation_error(e, shape, _dt(dtype)) from None
    if _DETERMINISTIC[0]:
        _fill_uninitialized(arr)
    return _finish(arr, device, requires_grad)


def _empty_format(shape, dt, memory_format):
    """An uninitialised array in channels_last(_3d) order: the channel dim moves innermost."""
    rank = {D.channels_last: 4, D.channels_last_3d: 5}.get(memory_format)
    if rank is None:
        raise RuntimeError("unsupported memory format " + {
            D.preserve_format: "Preserve"}.get(memory_format, str(memory_format)))
    if len(shape) != rank:
        raise RuntimeError(f"required rank {rank} tensor to use {str(memory_format)[6:]} format")
    order = (0, *builtins.range(2, rank), 1)
    a = np.empty([shape[i] for i in order], dt)
    return a.transpose(0, rank - 1, *builtins.range(1, rank - 1))


def empty_strided(size, stride, *, dtype=None, device=None, requires_grad=False):
    dt = _dt(dtype)
    n = 1 + sum((s - 1) * st for s, st in zip(size, stride)) if all(size) else 0
    try:
        base = np.empty(max(n, 0), dt)
    except _NUMPY_ERRORS as e:
        raise creation_error(e, size, dt, stride) from None
    if _DETERMINISTIC[0]:
        _fill_uninitialized(base)
    arr = np.lib.stride_tricks.as_strided(base, tuple(size),
                                          tuple(st * dt.itemsize for st in stride))
    return _finish(arr, device, requires_grad)


def _fill_dtype(value):
    if isinstance(value, Tensor):
        return value.dtype
    return D.scalar_dtype(value.item() if isinstance(value, np.generic) else value)


def scalar_tensor(s, *, dtype=None, layout=None, device=None, requires_grad=False,
                  pin_memory=False):
    """Matches torch.scalar_tensor: a 0-d tensor of the number, of the default float dtype
    unless `dtype` says otherwise (whatever the number's type)."""
    return full((), s, dtype=dtype or D.get_default_dtype(), layout=layout, device=device,
                requires_grad=requires_grad, pin_memory=pin_memory)


def full(size, fill_value, *, out=None, dtype=None, layout=None, device=None,
         requires_grad=False, pin_memory=False):
    if layout is not None or pin_memory:
        check_factory("torch.full", layout, pin_memory)
    dt = dtype or _fill_dtype(fill_value) if out is None else _out_dtype(dtype, device, out)
    if isinstance(fill_value, Tensor):
        fill_value = fill_value.item()
    fill_value = checked(fill_value, dt)
    shape = _size("full", (size,))
    try:
        t = np.full(shape, fill_value, dt.np)
    except _NUMPY_ERRORS as e:
        raise creation_error(e, shape, dt) from None
    if out is None:
        return _finish(t, device, requires_grad)
    return _into(_finish(t, out.device), out, "full")


def _like(fn):
    def like(input, *, dtype=None, layout=None, device=None, requires_grad=False,
             memory_format=None, **kw):
        if layout is not None:
            check_factory(f"torch.{fn.__name__}_like", layout)
        return _keep_layout(fn(input.shape, dtype=dtype or input.dtype,
                               device=device if device is not None else input.device,
                               requires_grad=requires_grad, **kw), input, memory_format)
    return like


def _keep_layout(t, input, memory_format):
    """torch's preserve_format: a tensor made like a dense input that is not row-major (a
    transposed one) takes its strides."""
    a, b = input._data, t._data
    if (memory_format is D.channels_last or memory_format is D.channels_last_3d) and \
            b.__class__ is np.ndarray:
        out = _empty_format(b.shape, b.dtype, memory_format)
        out[...] = b
        t._data = out
        return t
    if memory_format is D.contiguous_format or a.__class__ is not np.ndarray or \
            b.__class__ is not np.ndarray:
        return t
    from .._layout import copy_to, like_strides
    st = like_strides(a, None)  # preserve: a dense input's strides, else dense in its order
    if st is not None:
        t._data = copy_to(b, st)
    return t


zeros_like = _like(zeros)
ones_like = _like(ones)
empty_like = _like(empty)


def full_like(input, fill_value, *, dtype=None, layout=None, device=None, requires_grad=False,
              memory_format=None):
    if layout is not None:
        check_factory("torch.full_like", layout)
    return _keep_layout(full(input.shape, fill_value, dtype=dtype or input.dtype,
                             device=device if device is not None else input.device,
                             requires_grad=requires_grad), input, memory_format)


def _num(v):
    return v.item() if isinstance(v, (Tensor, np.generic)) else v


_EXTENDED = np.finfo(np.longdouble).nmant >= 63
_INT64_MAX = (1 << 63) - 1


def _fma(a, i, c):
    """a * i + c with one rounding to float64, as torch's range kernels compute it (fused
    multiply-add); long double holds the product exactly for the index sizes met in practice."""
    if _EXTENDED:
        return (np.longdouble(a) * i.astype(np.longdouble) + np.longdouble(c)).astype(np.float64)
    return a * i.astype(np.float64) + c


def arange(start=0, end=None, step=1, *, out=None, dtype=None, layout=None, device=None,
           requires_grad=False, pin_memory=False):
    """Matches torch.arange, values included (fused multiply-add in double)."""
    if layout is not None or pin_memory:
        check_factory("torch.arange", layout, pin_memory)
    if out is not None:
        dtype, device = _out_dtype(dtype, device, out), out.device
    start, end, step = _num(start), _num(end), _num(step)
    if end is None:
        start, end = 0, start
    if step == 0:
        raise RuntimeError("step must be nonzero")
    if any(isinstance(v, float) and not math.isfinite(v) for v in (start, end)):
        raise RuntimeError(f"unsupported range: {start:g} -> {end:g}")
    if (end - start) / step < 0:
        raise RuntimeError("upper bound and lower bound inconsistent with step sign")
    if dtype is None:
        floating = any(isinstance(v, float) for v in (start, end, step))
        dtype = D.get_default_dtype() if floating else D.int64
    if dtype is D.int64:  # torch sizes an int64 range in int64 arithmetic, others in double
        if not int(step):
            raise ValueError("step must be nonzero")  # torch's, once the step is truncated
        if not (-_INT64_MAX - 1 <= start <= _INT64_MAX and -_INT64_MAX - 1 <= end <= _INT64_MAX):
            raise RuntimeError("value cannot be converted to type int64_t without overflow")
        n = -(-(int(end) - int(start)) // int(step))
    else:
        n = int(math.ceil((end - start) / step))
    if n > _INT64_MAX:  # NumPy's arange would answer an empty array
        raise RuntimeError("invalid size, possible overflow?")
    try:
        i = np.arange(max(n, 0), dtype=np.int64)
        if dtype.is_floating_point or dtype.is_complex:
            arr = _fma(float(step), i, float(start)).astype(dtype.np)
        else:
            arr = (int(start) + i * int(step)).astype(dtype.np)
    except _NUMPY_ERRORS as e:
        raise creation_error(e, (n,), dtype) from None
    if out is None:
        return _finish(arr, device, requires_grad)
    if out._data.size != arr.size:
        if out._data.size:
            warnings.warn(f"The number of elements in the out tensor of shape {list(out.shape)} "
                          f"is {out._data.size} which does not match the computed number of "
                          f"elements {arr.size}. Note that this may occur as a result of rounding "
                          f"error. The out tensor will be resized to a tensor of shape "
                          f"({arr.size},).", UserWarning, stacklevel=user_stacklevel())
    else:
        arr = arr.reshape(out._data.shape)  # the same count keeps out's shape
    return _into(_finish(arr, device), out, "arange")


def range(start=0, end=None, step=1, *, out=None, dtype=None, layout=None, device=None,
          requires_grad=False):
    """Matches torch.range (deprecated there too): `end` included."""
    warnings.warn("torch.range is deprecated and will be removed in a future release because its "
                  "behavior is inconsistent with Python's range builtin. Instead, use "
                  "torch.arange, which produces values in [start, end).", UserWarning,
                  stacklevel=user_stacklevel())
    if layout is not None:
        check_factory("torch.range", layout)
    if out is not None:
        dtype, device = _out_dtype(dtype, device, out), out.device
    if end is None:
        start, end = 0, start
    if any(isinstance(v, float) and not math.isfinite(v) for v in (start, end)):
        raise RuntimeError(f"unsupported range: {start:g} -> {end:g}")
    n = int(math.floor((end - start) / step)) + 1
    dt = dtype or D.get_default_dtype()
    try:
        arr = _fma(float(step), np.arange(n), float(start)).astype(dt.np)
    except _NUMPY_ERRORS as e:
        raise creation_error(e, (n,), dt) from None
    if out is None:  # torch.range ignores the `torch.device` default
        return _finish(arr, device if device is not None else "cpu", requires_grad)
    if out._data.size == arr.size:
        arr = arr.reshape(out._data.shape)  # the same count keeps out's shape
    return _into(_finish(arr, device), out, "range")


def _linspace_values(start, end, steps, dt):
    """torch's linspace: the first half forward from start, the second back from end."""
    if steps == 1:
        return np.array([start], np.float64)
    work = np.float32 if dt == np.float32 else np.float64
    s, e = work(start), work(end)
    step = (e - s) / work(steps - 1)
    i = np.arange(steps, dtype=np.int64)
    half = steps // 2
    lo = _fma(float(step), i, float(s))
    hi = _fma(-float(step), steps - 1 - i, float(e))
    return np.where(i < half, lo, hi)


def linspace(start, end, steps, *, out=None, dtype=None, layout=None, device=None,
             requires_grad=False, pin_memory=False):
    """Matches torch.linspace, values included."""
    if layout is not None or pin_memory:
        check_factory("torch.linspace", layout, pin_memory)
    if out is not None:
        dtype, device = _out_dtype(dtype, device, out), out.device
    start, end = _num(start), _num(end)
    if steps < 0:
        raise RuntimeError("number of steps must be non-negative")
    dt = dtype or D.get_default_dtype()
    try:
        arr = _linspace_values(start, end, steps, dt.np)
    except _NUMPY_ERRORS as e:
        raise creation_error(e, (steps,), dt) from None
    if out is None:
        return _finish(arr.astype(dt.np), device, requires_grad)
    return _into(_finish(arr.astype(dt.np), device), out, "linspace")


def logspace(start, end, steps, base=10.0, *, out=None, dtype=None, layout=None, device=None,
             requires_grad=False, pin_memory=False):
    """Matches torch.logspace to an ulp: base ** linspace(start, end, steps), pow in double
    (libm's and NumPy's pow can differ in the last bit)."""
    if layout is not None or pin_memory:
        check_factory("torch.logspace", layout, pin_memory)
    if out is not None:
        dtype, device = _out_dtype(dtype, device, out), out.device
    if steps < 0:
        raise RuntimeError("number of steps must be non-negative")
    dt = dtype or D.get_default_dtype()
    start, end = _num(start), _num(end)
    if dt.np == np.float32:
        start, end = float(np.float32(start)), float(np.float32(end))
    try:
        exps = _linspace_values(start, end, steps, np.dtype(np.float64))
        arr = np.power(float(base), exps).astype(dt.np)
    except _NUMPY_ERRORS as e:
        raise creation_error(e, (steps,), dt) from None
    return _finish(arr, device, requires_grad) if out is None else \
        _into(_finish(arr, device), out, "logspace")


def eye(n, m=None, *, out=None, dtype=None, layout=None, device=None, requires_grad=False,
        pin_memory=False):
    if layout is not None or pin_memory:
        check_factory("torch.eye", layout, pin_memory)
    if out is not None:
        dtype, device = _out_dtype(dtype, device, out), out.device
    if n < 0:
        raise RuntimeError(f"n must be greater or equal to 0, got {n}")
    if m is not None and m < 0:
        raise RuntimeError(f"m must be greater or equal to 0, got {m}")
    try:
        arr = np.eye(n, n if m is None else m, dtype=_dt(dtype))
    except _NUMPY_ERRORS as e:
        raise creation_error(e, (n, n if m is None else m), _dt(dtype)) from None
    return _finish(arr, device, requires_grad) if out is None else \
        _into(_finish(arr, device), out, "eye")


def complex(real, imag, *, out=None):
    """Matches torch.complex: the parts are set, not added (keeps -0.0 and inf imaginary);
    differentiable (ComplexBackward0: the gradient's real and imaginary parts)."""
    try:
        np.broadcast_shapes(real._data.shape, imag._data.shape)
    except _NUMPY_ERRORS as e:
        raise torch_error(e, (real._data, imag._data)) from None
    r = _Complex.apply(real, imag)
    return r if out is None else _out(r, out, "complex", (real, imag), exact=_SCALAR_TYPE)


class _Complex(Op):
    _name = "ComplexBackward0"

    def forward(ctx, re, im):
        dt = np.result_type(re.dtype, im.dtype, np.complex64)
        xp = _xp(re)
        r = xp.empty(np.broadcast_shapes(re.shape, im.shape), dt)
        r.real = re
        r.imag = im
        return r

    def backward(ctx, grad):
        return grad.real, grad.imag


def polar(abs, angle, *, out=None):
    if _amp.on and out is None and _amp.active():
        return _amp.fp32(polar, abs, angle)
    try:
        np.broadcast_shapes(abs._data.shape, angle._data.shape)
    except _NUMPY_ERRORS as e:
        raise torch_error(e, (abs._data, angle._data)) from None
    r = _Polar.apply(abs, angle)
    return r if out is None else _out(r, out, "polar", (abs, angle), exact=_SCALAR_TYPE)


class _Polar(Op):
    """abs * e^(i angle); torch's PolarBackward0: grad_abs = re(conj(g) sgn(r)), grad_angle =
    re(conj(g) i r)."""

    _name = "PolarBackward0"
    save_output = True

    def forward(ctx, a, ang):
        return a * _xp(a).exp(1j * ang)

    def backward(ctx, grad):
        r = ctx.output
        gc = grad.conj()
        return (gc * r.sgn()).real, (gc * (r * 1j)).real


_SCALAR_TYPE = ("Expected object of scalar type {result} but got scalar type {out} for argument "
                "'out'")


# ---------------------------------------------------------------- legacy constructors
_OPTIONS = ("TensorOptions(dtype={}, device=cpu, layout=Strided, requires_grad=false (default), "
            "pinned_memory=false (default), memory_format=(nullopt))")


def _legacy_new(cls, dtype, args, device, typed=False):
    if device is None:
        device = "cpu"  # the legacy constructors ignore the `torch.device` default, as torch's
    if cls is not Tensor and cls not in _LEGACY.values():
        from .._tensor import _as_subclass
        return _as_subclass(_legacy_new(Tensor, dtype, args, device), cls)
    if not args:
        return _finish(np.zeros((0,), dtype.np), device)
    if len(args) == 1 and not isinstance(args[0], (numbers.Integral, Size)):
        data = args[0]
        if isinstance(data, Tensor):  # torch: an alias of it (a typed class checks its dtype)
            if typed and data.dtype is not dtype:
                from .._tensor import _CPP_NAMES
                raise TypeError(f"expected {_OPTIONS.format(_CPP_NAMES[dtype.np])} (got "
                                f"{_OPTIONS.format(_CPP_NAMES[data.dtype.np])})")
            r = data.view(data.shape)
            if r.grad_fn is not None:
                r.grad_fn._name = "AliasBackward0"
            return r
        return _finish(np.asarray(_infer_array(data)).astype(dtype.np), device)
    return _finish(np.zeros(size_args(args), dtype.np), device)


class _LegacyMeta(type):
    def __instancecheck__(cls, obj):
        return isinstance(obj, Tensor) and obj.dtype is cls._legacy_dtype

    def __call__(cls, *args, device=None):
        return _legacy_new(Tensor, cls._legacy_dtype, args, device, typed=True)

    def __repr__(cls):
        return f"<class 'torch.{cls.__name__}'>"


_LEGACY = {}
for _d in D.ALL:
    _LEGACY[_d._legacy] = _LegacyMeta(_d._legacy, (Tensor,), {"_legacy_dtype": _d, "dtype": _d,
                                                               "__slots__": ()})
FloatTensor, DoubleTensor, HalfTensor = (_LEGACY[n] for n in ("FloatTensor", "DoubleTensor",
                                                             "HalfTensor"))
LongTensor, IntTensor, ShortTensor = (_LEGACY[n] for n in ("LongTensor", "IntTensor",
                                                          "ShortTensor"))
CharTensor, ByteTensor, BoolTensor = (_LEGACY[n] for n in ("CharTensor", "ByteTensor",
                                                          "BoolTensor"))
BFloat16Tensor = _LEGACY["BFloat16Tensor"]


def _new(self, *args, device=None):
    return _legacy_new(Tensor, self.dtype, args, device if device is not None else self.device)


def _new_like(fn):
    def op(self, *size, dtype=None, device=None, requires_grad=False, **kw):
        return fn(*size, dtype=dtype or self.dtype,
                  device=device if device is not None else self.device,
                  requires_grad=requires_grad, **kw)
    return op


def _new_full(self, size, fill_value, *, dtype=None, device=None, requires_grad=False):
    return full(size, fill_value, dtype=dtype or self.dtype,
                device=device if device is not None else self.device,
                requires_grad=requires_grad)


def _new_tensor(self, data, *, dtype=None, device=None, requires_grad=False):
    return tensor(data, dtype=dtype or self.dtype,
                  device=device if device is not None else self.device,
                  requires_grad=requires_grad)
