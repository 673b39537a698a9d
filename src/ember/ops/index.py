"""Indexing: __getitem__/__setitem__, gather/scatter, index_select/index_add, masked ops,
take, topk/sort/argsort, nonzero, unique.

Basic indexing (ints, slices, None, Ellipsis) returns a view; advanced indexing (tensors, lists,
masks) copies, as in torch. Gradients of selections are written back into zeros by `IndexGrad`,
whose own backward selects again, so double backward works.
"""

import numbers

import numpy as np

from .. import _dtype as D
from .._tensor import Tensor, _check_inplace, _check_overlap, _wrap
from ..autograd import grad_mode as _gm
from ..autograd.function import Op
from ._util import method

_ndarray = np.ndarray
_enabled = _gm._enabled


def _xp(a):
    if a.__class__ is _ndarray:
        return np
    import importlib
    return importlib.import_module("cupy")


# ---------------------------------------------------------------- keys
_BAD_KEY = ("only integers, slices (`:`), ellipsis (`...`), None and long or byte Variables are "
            "valid indices (got {})")
_ZERO_DIM = ("invalid index of a 0-dim tensor. Use `tensor.item()` in Python or "
             "`tensor.item<T>()` in C++ to convert a 0-dim tensor to a number")


def _seq_as_tuple(key):
    """torch reads a short list holding sequences, slices, None or tensors as a tuple."""
    return len(key) < 32 and any(isinstance(k, (list, tuple, slice, Tensor, _ndarray)) or
                                 k is None or k is Ellipsis for k in key)


def _normalize(k):
    """One index item as an int, slice, None, Ellipsis, bool, or NumPy int/bool array."""
    if isinstance(k, Tensor):
        if k.dtype is D.bool_ or k.dtype is D.uint8 and k._data.ndim:
            return np.asarray(k._data, bool) if k._data.__class__ is _ndarray else k._data \
                .astype(bool)
        if k.dtype.is_floating_point or k.dtype.is_complex:
            raise IndexError("tensors used as indices must be long, int, byte or bool tensors")
        return int(k.item()) if k._data.ndim == 0 else k._data.astype(np.int64, copy=False)
    if isinstance(k, (bool, np.bool_)):
        return bool(k)
    if isinstance(k, numbers.Integral):
        return int(k)
    if isinstance(k, slice):
        if k.step is not None:
            step = int(k.step)
            if step == 0:
                raise ValueError("slice step cannot be zero")
            if step < 0:
                raise ValueError("step must be greater than zero")
        return slice(*(None if v is None else int(v) for v in (k.start, k.stop, k.step)))
    if k is None or k is Ellipsis:
        return k
    if isinstance(k, (list, tuple, _ndarray)):
        a = np.asarray([_normalize(v) if isinstance(v, Tensor) else v for v in k]
                       if not isinstance(k, _ndarray) else k)
        if a.dtype == bool:
            return a
        if a.size == 0 or a.dtype.kind in "iu":
            return a.astype(np.int64)
        raise IndexError("tensors used as indices must be long, int, byte or bool tensors")
    if isinstance(k, str):
        raise TypeError("new(): invalid data type 'str'")
    raise IndexError(_BAD_KEY.format(type(k).__name__))


def _key(t, key):
    """A torch index as a NumPy one, checked as torch checks it.

    Returns (key tuple, advanced?, grad_fn name of the last view op for a basic key)."""
    single_slice = isinstance(key, slice)
    if not isinstance(key, tuple):
        key = tuple(key) if isinstance(key, list) and _seq_as_tuple(key) else (key,)
    items = [_normalize(k) for k in key]
    shape = t._data.shape
    nd = len(shape)
    used = 0
    for k in items:
        if isinstance(k, _ndarray):
            used += k.ndim if k.dtype == bool else 1
        elif k is not None and k is not Ellipsis and not isinstance(k, bool):
            used += 1
    if nd == 0 and items and isinstance(items[0], int) and not isinstance(items[0], bool):
        raise IndexError(_ZERO_DIM)
    if nd == 0 and items and isinstance(items[0], slice):
        raise IndexError("slice() cannot be applied to a 0-dim tensor.")
    if used > nd:
        raise IndexError(f"too many indices for tensor of dimension {nd}")
    out, advanced, name, dim, n_adv, idx_shapes = [], False, "AliasBackward0", 0, 0, []
    for k in items:
        if k is Ellipsis:
            dim += nd - used
        elif k is None:
            name = "UnsqueezeBackward0"
        elif isinstance(k, bool):
            advanced = True
        elif isinstance(k, int):
            size = shape[dim]
            if k >= size or k < -size:
                raise IndexError(f"index {k} is out of bounds for dimension {dim} with size "
                                 f"{size}")
            name, dim = "SelectBackward0", dim + 1
        elif isinstance(k, slice):
            if single_slice or not _full(k, shape[dim]):
                name = "SliceBackward0"
            dim += 1
        elif k.dtype == bool:
            advanced = True
            _check_mask(k, shape, dim)
            idx_shapes.append((int(k.sum()),) if k.ndim else ())
            dim, n_adv = dim + k.ndim, n_adv + k.ndim
        else:
            advanced = True
            _bounds(k, n_adv, shape[dim])
            idx_shapes.append(k.shape)
            dim, n_adv = dim + 1, n_adv + 1
        out.append(k)
    if len(idx_shapes) > 1:
        try:
            np.broadcast_shapes(*idx_shapes)
        except ValueError:
            raise IndexError("shape mismatch: indexing tensors could not be broadcast together "
                             "with shapes " + ", ".join(_fmt(s) for s in idx_shapes)) from None
    return tuple(out), advanced, name


def _fmt(shape):
    return "[" + ", ".join(str(s) for s in shape) + "]"


def _full(k, size):
    """A slice torch skips inside a tuple key: it keeps the whole dimension."""
    return k.start in (None, 0) and (k.stop is None or k.stop >= size) and k.step in (None, 1)


def _check_mask(m, shape, dim):
    for j, s in enumerate(m.shape):
        if dim + j >= len(shape) or shape[dim + j] != s:
            raise IndexError(f"The shape of the mask {_fmt(m.shape)} at index {j} does not match "
                             f"the shape of the indexed tensor {_fmt(shape)} at index {dim + j}")


def _bounds(a, dim, size):
    """torch reports an advanced index out of range by its position among the index tensors."""
    if a.size:
        bad = (a >= size) | (a < -size)
        if bad.any():
            v = int(a[bad].reshape(-1)[0])
            raise IndexError(f"index {v} is out of bounds for dimension {dim} with size {size}")
    return a


class IndexGrad(Op):
    """Zeros of `shape` with `g` written (or added, for advanced keys) at `key`."""

    _name = "IndexBackwardBackward0"

    def forward(ctx, g, shape, key, accumulate):
        ctx.key = key
        xp = _xp(g)
        out = xp.zeros(shape, g.dtype)
        if accumulate:
            xp.add.at(out, key, g) if xp is np else out.__setitem__(key, g)
        else:
            out[key] = g
        return out

    def backward(ctx, grad):
        return Select.apply(grad, ctx.key, True), None, None, None


class Select(Op):
    _name = "IndexBackward0"

    def forward(ctx, x, key, advanced):
        ctx.in_shape, ctx.key, ctx.adv = x.shape, key, advanced
        if not advanced and None in key:
            from .shape import _restride
            return _restride(x[key], _none_strides(x, key))
        r = x[key]
        if not advanced and r.__class__ is not x.__class__:  # all ints: NumPy gives a scalar
            r = x[key + (Ellipsis,)]  # a 0-d view instead, so writes reach x as in torch
        return r

    def backward(ctx, grad):
        return IndexGrad.apply(grad, ctx.in_shape, ctx.key, ctx.adv), None, None


def _none_strides(x, key):
    """Strides (elements) of x[key] as torch makes them: a None is an unsqueeze, whose new dim
    gets the stride of the dim after it times that dim's size, at the moment it is inserted."""
    shape, st = list(x.shape), [v // x.itemsize for v in x.strides]
    pos = 0
    n_used = sum(1 for k in key if k is not None and k is not Ellipsis)
    for k in key:
        if k is Ellipsis:
            pos += x.ndim - n_used
        elif k is None:
            st.insert(pos, st[pos] * shape[pos] if pos < len(shape) else 1)
            shape.insert(pos, 1)
            pos += 1
        elif isinstance(k, int):
            del shape[pos], st[pos]
        else:
            n = len(range(*k.indices(shape[pos])))
            st[pos] *= k.step or 1
            shape[pos] = n
            pos += 1
    return st


@method("__getitem__")
def _getitem(self, key):
    k, advanced, name = _key(self, key)
    if advanced:
        return Select.apply(self, k, True)
    from .shape import _view
    r = _view(Select, self, k, False)
    if r.grad_fn is not None:
        r.grad_fn._name = name
    return r


class IndexPut(Op):
    _name = "IndexPutBackward0"

    def forward(ctx, x, v, key, accumulate):
        ctx.key, ctx.shape, ctx.acc = key, x.shape, accumulate
        out = x.copy()
        if accumulate:
            _xp(x).add.at(out, key, v)
        else:
            out[key] = v
        return out

    def backward(ctx, grad):
        gx = grad
        if not ctx.acc:  # overwritten positions get no gradient
            mask = _xp(grad._data).ones(ctx.shape, grad.dtype.np)
            mask[ctx.key] = 0
            gx = grad * _wrap(mask)
        return gx, Select.apply(grad, ctx.key, True), None, None


def _whole(key, k):
    """`t[...] = v` and `t[:] = v` write into t itself, not into a view of it."""
    return k == (Ellipsis,) or isinstance(key, slice) and _full(k[0], -1) and k[0].stop is None


@method("__setitem__")
def _setitem(self, key, value):
    k, advanced, _ = _key(self, key)
    if isinstance(value, (list, tuple, str, _ndarray, dict, set)):
        raise TypeError(f"can't assign a {_type_name(value)} to a torch.{self.dtype._legacy}")
    sub = self._data[k]
    target = sub.shape
    if not advanced:  # torch copies into the view: an expanded one is refused
        _check_overlap(sub)
    if isinstance(value, Tensor):
        value = _fit(value, target, advanced)
        if value.dtype is not self.dtype:
            value = value.to(self.dtype)
    whole = not advanced and _whole(key, k)
    if _enabled[0] and (self._rg or isinstance(value, Tensor) and value._rg):
        if self._rg and self.grad_fn is None:
            raise RuntimeError(("a leaf Variable" if advanced or whole else
                                "a view of a leaf Variable") +
                               " that requires grad is being used in an in-place operation.")
        _check_inplace(self, overlap=False)
        from .inplace import _inplace
        if not isinstance(value, Tensor):
            value = _wrap(np.asarray(value, self.dtype.np))
        r = IndexPut.apply(self, value, k, False)
        r.grad_fn._name = "IndexPutBackward0" if advanced else "torch::autograd::CopySlices" \
            if not whole else "CopyBackwards" if value._data.ndim else "FillBackward3"
        return _inplace(self, r)
    self._data[k] = value._data if isinstance(value, Tensor) else value
    self._bump()


def _type_name(v):
    return "numpy.ndarray" if isinstance(v, _ndarray) else type(v).__name__


def _fit(value, target, advanced):
    """value shaped for `target` as torch's copy_ and index_put_ take it (leading 1s dropped)."""
    shp = value._data.shape
    lead = 0
    while len(shp) - lead > len(target) and shp[lead] == 1:
        lead += 1
    if lead:
        value = value.reshape(shp[lead:])
    if advanced:
        try:
            np.broadcast_shapes(value._data.shape, target)
        except ValueError:
            raise RuntimeError(f"shape mismatch: value tensor of shape {_fmt(shp)} cannot be "
                               f"broadcast to indexing result of shape {_fmt(target)}") from None
        return value
    return value.expand(target) if value._data.shape != target else value


@method("index_put_")
def index_put_(self, indices, values, accumulate=False):
    _check_inplace(self, overlap=False)
    k, _, _ = _key(self, tuple(indices))
    from .inplace import _inplace
    return _inplace(self, IndexPut.apply(self, values.to(self.dtype), k, accumulate))


@method("index_put")
def index_put(self, indices, values, accumulate=False):
    k, _, _ = _key(self, tuple(indices))
    return IndexPut.apply(self, values.to(self.dtype), k, accumulate)


def _pad_into(grad, shape, dim, start):
    key = (slice(None),) * dim + (slice(start, start + grad.shape[dim]),)
    return IndexGrad.apply(grad, shape, key, False)


def _scatter_into(g, shape, d, idx):
    """Zeros of `shape` with g placed at idx along d (idx an int64 array shaped like g)."""
    return IndexGrad.apply(g, shape, _along(idx, d), True)


def _along(idx, d):
    """The full NumPy index tuple that addresses idx along axis d."""
    grid = list(np.indices(idx.shape, sparse=True))
    grid[d] = idx
    return tuple(grid)


# ---------------------------------------------------------------- nonzero
@method("nonzero")
def nonzero(input, *, as_tuple=False):
    nz = np.nonzero(input._data) if input._data.ndim else np.nonzero(input._data.reshape(1))
    if as_tuple:
        return tuple(_wrap(a.astype(np.int64)) for a in nz)
    if input._data.ndim == 0:
        return _wrap(np.zeros((int(bool(input._data)), 0), np.int64))
    return _wrap(np.stack(nz, axis=1).astype(np.int64) if nz else np.zeros((0, 0), np.int64))


@method("argwhere")
def argwhere(input):
    return nonzero(input)
