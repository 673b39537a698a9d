"""Meta tensors: shape, dtype and strides with no data, as torch's `device='meta'`.

A meta tensor's `_data` is a `MetaArray`: an ndarray subclass that is a zero-strided view of a
single element, so it costs one element whatever its shape, and every view op works on it as on
any array. Its torch strides and storage offset live beside it (`_st`, `_off`; None means
contiguous from 0), set by the view machinery (`ops.shape._torch_view`, `_layout`). NumPy calls
on it are intercepted: ufuncs (elementwise, reductions, matmul) and the array functions ember's
ops use return meta results of the right shape and dtype without computing or allocating them;
writes into it do nothing. Anything that needs values (item, tolist, numpy, a copy to another
device) raises torch's error.
"""

import numpy as np

_NO_DATA = "Cannot copy out of meta tensor; no data!"


class MetaArray(np.ndarray):
    """The data of a meta tensor (see the module docstring)."""

    _st = None
    _off = 0

    @property
    def __class__(self):
        """ndarray to the `x.__class__ is np.ndarray` tests that pick NumPy for an op, so ops
        run their NumPy code on a meta array (and reach the hooks below); `type(x)` is still
        MetaArray, which is how ember tells a meta tensor."""
        return np.ndarray

    def __array_finalize__(self, obj):
        self._st, self._off = None, getattr(obj, "_off", 0)

    def __array_ufunc__(self, ufunc, method, *inputs, out=None, **kw):
        if out is not None:  # an in-place op: a meta tensor has nothing to write
            return out[0] if len(out) == 1 else out
        if method == "at":  # ufunc.at writes into its first operand: nothing to write
            return None
        if ufunc is np.matmul and method == "__call__":
            return _matmul(*inputs)
        shapes = [np.shape(i) for i in inputs]
        small = [_small(i) for i in inputs]
        with np.errstate(all="ignore"):
            r = getattr(ufunc, method)(*small, **kw)
        if method == "__call__":
            shape = np.broadcast_shapes(*shapes)
        elif method == "accumulate":
            shape = shapes[0]
        elif method == "reduce":
            shape = _reduced(shapes[0], kw.get("axis", 0), kw.get("keepdims", False))
        elif method == "outer":
            shape = shapes[0] + shapes[1]
        else:
            return NotImplemented
        if isinstance(r, tuple):
            return tuple(empty(shape, np.asarray(o).dtype) for o in r)
        return empty(shape, np.asarray(r).dtype)

    def __array_function__(self, func, types, args, kwargs):
        rule = _FUNCTIONS.get(func)
        if rule is not None:
            return rule(*args, **kwargs)
        # anything else runs on the zero-strided data (values are meaningless, the result is
        # made meta again): right in shape and dtype, though it may allocate its result
        r = func(*_plain(args), **_plain(kwargs))
        return _to_meta(r)

    def __setitem__(self, key, value):
        pass  # no data to write

    def fill(self, value):
        pass

    def copy(self, order="K"):
        return empty(self.shape, self.dtype)

    def astype(self, dtype, order="K", casting="unsafe", subok=True, copy=True):
        return empty(self.shape, np.dtype(dtype))

    def tolist(self):
        raise NotImplementedError(_NO_DATA)

    def item(self, *args):
        raise RuntimeError("Tensor.item() cannot be called on meta tensors")

    def __reduce__(self):
        raise NotImplementedError(_NO_DATA)


def empty(shape, dtype, strides=None, offset=0):
    """A meta array: `shape` and `dtype`, torch `strides` (None: contiguous), no data."""
    from ._layout import contiguous
    a = np.broadcast_to(np.zeros((), dtype), tuple(shape)).view(MetaArray)
    a._st = None if strides is None or tuple(strides) == contiguous(shape) else tuple(strides)
    a._off = offset
    return a


def wanted(device):
    """Whether a factory given `device` (None: the `with device(...)` default) makes meta."""
    if device is None:
        from ._device import _default
        device = _default[-1] if _default else None
        if device is None:
            return False
    return device == "meta" or getattr(device, "type", None) == "meta"


def strides(a):
    from ._layout import contiguous
    return a._st if a._st is not None else contiguous(a.shape)


def like(a):
    """The meta image of array `a`: same shape and dtype (torch's `to('meta')`)."""
    from ._layout import like_strides
    return empty(a.shape, a.dtype, like_strides(a, None))


def _small(x):
    """A one-element-per-dim stand-in for a meta array: the ufunc gives its result dtype."""
    if isinstance(x, MetaArray):
        return np.zeros((1,) * x.ndim, x.dtype)
    return x


def _plain(x):
    if isinstance(x, MetaArray):
        return x.view(np.ndarray)
    if isinstance(x, (list, tuple)):
        return type(x)(_plain(v) for v in x)
    if isinstance(x, dict):
        return {k: _plain(v) for k, v in x.items()}
    return x


def _to_meta(r):
    if isinstance(r, (np.ndarray, np.generic)):
        return empty(r.shape, r.dtype)
    if isinstance(r, tuple):
        return tuple(_to_meta(v) for v in r)
    if isinstance(r, list):
        return [_to_meta(v) for v in r]
    return r


def _reduced(shape, axis, keepdims):
    nd = len(shape)
    axes = range(nd) if axis is None else [a % nd for a in (
        axis if isinstance(axis, tuple) else (axis,))]
    if keepdims:
        return tuple(1 if i in axes else n for i, n in enumerate(shape))
    return tuple(n for i, n in enumerate(shape) if i not in axes)


def _matmul(a, b):
    sa, sb = np.shape(a), np.shape(b)
    dt = np.result_type(np.asarray(a).dtype if not isinstance(a, MetaArray) else a.dtype,
                        np.asarray(b).dtype if not isinstance(b, MetaArray) else b.dtype)
    if len(sa) == 1 and len(sb) == 1:
        return empty((), dt)
    if len(sa) == 1:
        return empty(sb[:-2] + sb[-1:], dt)
    if len(sb) == 1:
        return empty(sa[:-1], dt)
    return empty(np.broadcast_shapes(sa[:-2], sb[:-2]) + (sa[-2], sb[-1]), dt)


def _dot(a, b, out=None):
    return _matmul(a, b)


def _concatenate(arrays, axis=0, out=None, dtype=None, casting="same_kind"):
    arrays = list(arrays)
    shape = list(arrays[0].shape)
    shape[axis] = sum(a.shape[axis] for a in arrays)
    return empty(shape, dtype or np.result_type(*[a.dtype for a in arrays]))


def _einsum(*operands, **kw):
    eq, ops = operands[0], operands[1:]
    small = [np.zeros(o.shape, o.dtype) if isinstance(o, MetaArray) and o.size <= 4096
             else o for o in ops]
    if all(not isinstance(o, MetaArray) for o in small):
        return _to_meta(np.einsum(eq, *small, **{k: v for k, v in kw.items() if k != "out"}))
    return _to_meta(np.einsum(eq, *_plain(ops), **kw))


def _no_write(*args, **kwargs):
    return None


def _copy(a, *args, **kwargs):
    return empty(a.shape, a.dtype)


class _Namespace:
    """The array module `xp` of meta arrays (`_device.array_module`): NumPy, except that the
    functions that allocate (zeros, empty, full, ..., ascontiguousarray) make meta arrays, so a
    kernel that allocates its result with `xp` keeps a meta input's result meta."""

    def __getattr__(self, name):
        return getattr(np, name)

    @staticmethod
    def empty(shape, dtype=float, order="C", **kw):
        return empty((shape,) if isinstance(shape, (int, np.integer)) else shape,
                     np.dtype(dtype))

    zeros = ones = empty

    @staticmethod
    def full(shape, fill_value, dtype=None, order="C", **kw):
        dt = np.dtype(dtype) if dtype is not None else np.asarray(fill_value).dtype
        return empty((shape,) if isinstance(shape, (int, np.integer)) else shape, dt)

    @staticmethod
    def empty_like(a, dtype=None, order="K", subok=True, shape=None, **kw):
        return empty(np.shape(a) if shape is None else shape,
                     np.dtype(dtype) if dtype is not None else np.asarray(a).dtype)

    zeros_like = ones_like = empty_like

    @staticmethod
    def full_like(a, fill_value, dtype=None, order="K", subok=True, shape=None, **kw):
        return _Namespace.empty_like(a, dtype, shape=shape)

    @staticmethod
    def ascontiguousarray(a, dtype=None, **kw):
        if type(a) is MetaArray:
            return empty(a.shape, np.dtype(dtype) if dtype is not None else a.dtype)
        return np.ascontiguousarray(a, dtype, **kw)


xp = _Namespace()
_FUNCTIONS = {np.dot: _dot, np.concatenate: _concatenate, np.einsum: _einsum, np.copy: _copy,
              np.copyto: _no_write, np.put: _no_write, np.place: _no_write,
              np.fill_diagonal: _no_write}
