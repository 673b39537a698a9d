"""Indexing: __getitem__/__setitem__, gather/scatter, index_select/index_add, masked ops,
take, topk/sort/argsort, nonzero, unique.

Basic indexing (ints, slices, None, Ellipsis) returns a view; advanced indexing (tensors, lists,
masks) copies, as in torch. Gradients of selections are written back into zeros by `IndexGrad`,
whose own backward selects again, so double backward works.
"""

import numbers

import numpy as np

from .. import _dtype as D
from .._tensor import Tensor, _check_inplace, _wrap
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
def _key(t, key):
    """Converts a torch index into a NumPy one, checking what torch checks."""
    if not isinstance(key, tuple):
        key = (key,)
    out = []
    advanced = False
    nd = t._data.ndim
    used = sum(1 for k in key if k is not None and k is not Ellipsis and not (
        isinstance(k, Tensor) and k.dtype is D.bool_ or isinstance(k, _ndarray)
        and k.dtype == bool))
    used += sum(k.dim() for k in key if isinstance(k, Tensor) and k.dtype is D.bool_)
    if used > nd:
        raise IndexError(f"too many indices for tensor of dimension {nd}")
    dim = 0
    for k in key:
        if isinstance(k, Tensor):
            if k.dtype is D.bool_ or k.dtype is D.uint8 and k.dim():
                advanced = True
                out.append(k._data.astype(bool))
                dim += k.dim()
                continue
            if k.dtype.is_floating_point:
                raise IndexError("tensors used as indices must be long, int, byte or bool "
                                 "tensors")
            if k._data.ndim == 0:
                k = int(k.item())
            else:
                advanced = True
                out.append(_bounds(k._data, t, dim))
                dim += 1
                continue
        if isinstance(k, bool):
            advanced = True
            out.append(k)
        elif isinstance(k, numbers.Integral):
            size = t._data.shape[dim]
            if k >= size or k < -size:
                raise IndexError(f"index {k} is out of bounds for dimension {dim} with size "
                                 f"{size}")
            out.append(int(k))
            dim += 1
        elif isinstance(k, slice):
            if k.step is not None and (int(k.step) <= 0):
                raise ValueError("step must be greater than zero")
            out.append(slice(*(None if v is None else int(v) for v in (k.start, k.stop,
                                                                        k.step))))
            dim += 1
        elif k is None or k is Ellipsis:
            if k is Ellipsis:
                dim = nd - (used - dim)
            out.append(k)
        elif isinstance(k, (list, tuple, _ndarray)):
            advanced = True
            a = np.asarray([int(v) if isinstance(v, Tensor) else v for v in k]
                           if isinstance(k, (list, tuple)) else k)
            if a.dtype == bool:
                out.append(a)
                dim += a.ndim
            else:
                out.append(_bounds(a.astype(np.int64), t, dim))
                dim += 1
        else:
            raise IndexError("only integers, slices (`:`), ellipsis (`...`), None and long or "
                             "byte Variables are valid indices (got " + type(k).__name__ + ")")
    return tuple(out), advanced


def _bounds(a, t, dim):
    if dim < t._data.ndim and a.size:
        size = t._data.shape[dim]
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
        return x[key]

    def backward(ctx, grad):
        return IndexGrad.apply(grad, ctx.in_shape, ctx.key, ctx.adv), None, None


def _basic_name(key):
    if any(isinstance(k, int) for k in key):
        return "SelectBackward0"
    if any(isinstance(k, slice) for k in key):
        return "SliceBackward0"
    if any(k is None for k in key):
        return "UnsqueezeBackward0"
    return "AliasBackward0"


@method("__getitem__")
def _getitem(self, key):
    k, advanced = _key(self, key)
    if advanced:
        return Select.apply(self, k, True)
    from .shape import _view
    r = _view(Select, self, k, False)
    if r.grad_fn is not None:
        r.grad_fn._name = _basic_name(k)
    return r


class IndexPut(Op):
    _name = "IndexPutBackward0"

    def forward(ctx, x, v, key, accumulate):
        ctx.key, ctx.shape, ctx.acc = key, x.shape, accumulate
        out = x.copy()
        if accumulate:
            np.add.at(out, key, v)
        else:
            out[key] = v
        return out

    def backward(ctx, grad):
        gx = grad
        if not ctx.acc:
            mask = np.ones(ctx.shape, grad.dtype.np)
            mask[ctx.key] = 0
            gx = grad * _wrap(mask)
        return gx, Select.apply(grad, ctx.key, True), None, None


@method("__setitem__")
def _setitem(self, key, value):
    k, _ = _key(self, key)
    if isinstance(value, Tensor):
        if value.dtype is not self.dtype:
            value = value.to(self.dtype)
    if _enabled[0] and (self._rg or isinstance(value, Tensor) and value._rg):
        if self._rg and self.grad_fn is None:
            raise RuntimeError("a view of a leaf Variable that requires grad is being used in "
                               "an in-place operation.")
        from .pointwise import _inplace
        if not isinstance(value, Tensor):
            value = _wrap(np.asarray(value, self.dtype.np))
        r = IndexPut.apply(self, value, k, False)
        r.grad_fn._name = "CopySlices"
        return _inplace(self, r)
    v = value._data if isinstance(value, Tensor) else value
    try:
        self._data[k] = v
    except ValueError as e:
        raise RuntimeError(_shape_msg(self._data[k], v)) from e
    self._bump()


def _shape_msg(dst, v):
    return (f"shape mismatch: value tensor of shape {list(np.shape(v))} cannot be broadcast to "
            f"indexing result of shape {list(np.shape(dst))}")


@method("index_put_")
def index_put_(self, indices, values, accumulate=False):
    _check_inplace(self)
    k, _ = _key(self, tuple(indices))
    from .pointwise import _inplace
    return _inplace(self, IndexPut.apply(self, values.to(self.dtype), k, accumulate))


@method("index_put")
def index_put(self, indices, values, accumulate=False):
    k, _ = _key(self, tuple(indices))
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


# ---------------------------------------------------------------- gather and scatter
def _check_index(index, name):
    if index.dtype is not D.int64:
        raise RuntimeError(f"{name}(): Expected dtype int64 for index")


class Gather(Op):
    _name = "GatherBackward0"

    def forward(ctx, x, d, idx):
        ctx.shape, ctx.d, ctx.idx = x.shape, d, idx
        return x[_along(idx, d)]

    def backward(ctx, grad):
        return IndexGrad.apply(grad, ctx.shape, _along(ctx.idx, ctx.d), True), None, None


@method("gather")
def gather(input, dim, index, *, sparse_grad=False):
    _check_index(index, "gather")
    from .._tensor import _dim
    d = _dim(dim, input._data.ndim)
    idx = index._data
    if idx.size and (idx.max() >= input.shape[d] or idx.min() < -input.shape[d]):
        raise RuntimeError(f"index {int(idx.max())} is out of bounds for dimension {d} with "
                           f"size {input.shape[d]}")
    return Gather.apply(input, d, idx)


class Scatter(Op):
    _name = "ScatterBackward0"

    def forward(ctx, x, src, d, idx, reduce):
        ctx.d, ctx.idx = d, idx
        out = x.copy()
        key = _along(idx, d)
        s = src[tuple(slice(0, n) for n in idx.shape)] if isinstance(src, _ndarray) and \
            src.ndim else src
        if reduce is None:
            out[key] = s
        elif reduce in ("add", "sum"):
            np.add.at(out, key, s)
        elif reduce in ("multiply", "prod"):
            np.multiply.at(out, key, s)
        elif reduce == "amax":
            np.maximum.at(out, key, s)
        elif reduce == "amin":
            np.minimum.at(out, key, s)
        return out

    def backward(ctx, grad):
        key = _along(ctx.idx, ctx.d)
        mask = np.ones(grad.shape, grad.dtype.np)
        mask[key] = 0
        return grad * _wrap(mask), Select.apply(grad, key, True), None, None, None


class ScatterAdd(Scatter):
    _name = "ScatterAddBackward0"

    def backward(ctx, grad):
        return grad, Select.apply(grad, _along(ctx.idx, ctx.d), True), None, None, None


def _scatter(cls, input, dim, index, src, reduce):
    from .._tensor import _dim
    d = _dim(dim, input._data.ndim)
    if isinstance(src, Tensor):
        src = src.to(input.dtype)
        return cls.apply(input, src, d, index._data, reduce)
    return cls.run((input, None), (input._data, src, d, index._data, reduce), {})


@method("scatter")
def scatter(input, dim, index, src=None, *, value=None, reduce=None):
    _check_index(index, "scatter")
    return _scatter(Scatter, input, dim, index, src if src is not None else value, reduce)


@method("scatter_add")
def scatter_add(input, dim, index, src):
    return _scatter(ScatterAdd, input, dim, index, src, "add")


@method("scatter_reduce")
def scatter_reduce(input, dim, index, src, reduce, *, include_self=True):
    if reduce == "mean" or not include_self:
        raise NotImplementedError("ember does not implement scatter_reduce with mean or "
                                  "include_self=False yet")
    return _scatter(Scatter, input, dim, index, src, reduce)


def _inplace_version(fn):
    def op(self, *args, **kwargs):
        _check_inplace(self)
        from .pointwise import _inplace
        return _inplace(self, fn(self, *args, **kwargs))
    return op


for _n, _f in (("scatter_", scatter), ("scatter_add_", scatter_add),
               ("scatter_reduce_", scatter_reduce)):
    setattr(Tensor, _n, _inplace_version(_f))


class IndexSelect(Op):
    _name = "IndexSelectBackward0"

    def forward(ctx, x, d, idx):
        ctx.shape, ctx.d, ctx.idx = x.shape, d, idx
        return _xp(x).take(x, idx, axis=d)

    def backward(ctx, grad):
        key = (slice(None),) * ctx.d + (ctx.idx,)
        return IndexGrad.apply(grad, ctx.shape, key, True), None, None


@method("index_select")
def index_select(input, dim, index):
    from .._tensor import _dim
    d = _dim(dim, input._data.ndim)
    idx = index._data.reshape(-1)
    if idx.size and (idx.max() >= max(input.shape[d] if input.dim() else 1, 1)
                     or idx.min() < 0):
        raise IndexError("index out of range in self")
    return IndexSelect.apply(input, d, idx)


@method("index_add")
def index_add(input, dim, index, source, *, alpha=1):
    from .._tensor import _dim
    d = _dim(dim, input._data.ndim)
    if index.numel() != (source.shape[d] if source.dim() else 1):
        raise RuntimeError(f"index_add_(): Number of indices ({index.numel()}) should be equal "
                           f"to source.size(dim): ({source.shape[d]}), for dim: {d}")
    key = (slice(None),) * d + (index._data.reshape(-1),)
    src = source if alpha == 1 else source * alpha
    r = IndexPut.apply(input, src.to(input.dtype), key, True)
    if r.grad_fn is not None:
        r.grad_fn._name = "IndexAddBackward0"
    return r


Tensor.index_add_ = _inplace_version(index_add)


@method("index_fill")
def index_fill(input, dim, index, value):
    from .._tensor import _dim
    d = _dim(dim, input._data.ndim)
    mask = np.zeros(input.shape, bool)
    mask[(slice(None),) * d + (index._data.reshape(-1),)] = True
    return masked_fill(input, _wrap(mask), value)


Tensor.index_fill_ = _inplace_version(index_fill)


@method("index_copy")
def index_copy(input, dim, index, source):
    from .._tensor import _dim
    d = _dim(dim, input._data.ndim)
    key = (slice(None),) * d + (index._data.reshape(-1),)
    return IndexPut.apply(input, source.to(input.dtype), key, False)


Tensor.index_copy_ = _inplace_version(index_copy)


class MaskedFill(Op):
    _name = "MaskedFillBackward0"

    def forward(ctx, x, mask, value):
        ctx.mask = mask
        return _xp(x).where(mask, value, x).astype(x.dtype, copy=False)

    def backward(ctx, grad):
        m = _wrap(ctx.mask)
        gv = None
        if ctx.next_functions[2][0] is not None:
            gv = (grad * m).sum()
        return grad.masked_fill(m, 0), None, gv


@method("masked_fill")
def masked_fill(input, mask, value):
    if mask.dtype is not D.bool_:
        raise RuntimeError(f"masked_fill_ only supports boolean masks, but got mask with dtype "
                           f"{mask.dtype.name}")
    m = mask._data
    if isinstance(value, Tensor):
        if value._data.ndim:
            raise RuntimeError("masked_fill_ only supports a 0-dimensional value tensor, but got "
                               f"tensor with {value.dim()} dimension(s).")
        if value._rg:
            return MaskedFill.run((input, None, value), (input._data, m,
                                                         value._data.astype(input.dtype.np)), {})
        value = value.item()
    try:
        return MaskedFill.run((input, None, None), (input._data, m,
                                                    input.dtype.np.type(value)), {})
    except ValueError:
        from ._util import broadcast_error
        raise broadcast_error(input._data, m) from None


Tensor.masked_fill_ = _inplace_version(masked_fill)


@method("masked_scatter")
def masked_scatter(input, mask, source):
    out = input._data.copy()
    m = np.broadcast_to(mask._data, out.shape)
    out[m] = source._data.reshape(-1)[:int(m.sum())]
    return _wrap(out)


@method("masked_select")
def masked_select(input, mask):
    shape = np.broadcast_shapes(input.shape, mask.shape)
    x = input.expand(shape) if input.shape != shape else input
    m = np.broadcast_to(mask._data, shape)
    r = Select.apply(x, (m,), True)
    if r.grad_fn is not None:
        r.grad_fn._name = "MaskedSelectBackward0"
    return r


@method("take")
def take(input, index):
    flat = input.reshape(-1)
    idx = index._data
    n = flat.shape[0]
    if idx.size and (idx.max() >= n or idx.min() < -n):
        raise IndexError(f"out of range: tried to access index {int(idx.max())} on a tensor of "
                         f"{n} elements.")
    r = Select.apply(flat, (idx,), True)
    if r.grad_fn is not None:
        r.grad_fn._name = "TakeBackward0"
    return r


@method("take_along_dim")
def take_along_dim(input, indices, dim=None):
    if dim is None:
        return take(input, indices.reshape(-1))
    return gather(input, dim, indices.expand(
        [s if i != (dim % input.dim()) else indices.shape[i] for i, s in enumerate(input.shape)]))


# ---------------------------------------------------------------- ordering
def _sort_key(x, descending):
    if x.dtype == bool:
        x = x.astype(np.int8)
    if not descending:
        return x
    if x.dtype.kind == "f":
        k = -x
        k[np.isnan(x)] = -np.inf
        return k
    return -x.astype(np.int64)


class SortOp(Op):
    _name = "SortBackward0"
    nondiff_outputs = (1,)

    def forward(ctx, x, d, descending):
        ctx.shape, ctx.d = x.shape, d
        if x.ndim == 0:
            ctx.idx = np.asarray(0)
            return x.copy(), np.zeros((), np.int64)
        idx = np.argsort(_sort_key(x, descending), axis=d, kind="stable")
        ctx.idx = idx
        return np.take_along_axis(x, idx, d), idx.astype(np.int64)

    def backward(ctx, grad, _):
        if not ctx.shape:
            return grad, None, None
        return _scatter_into(grad, ctx.shape, ctx.d, ctx.idx), None, None


_sort_ret = None


@method("sort")
def sort(input, dim=-1, descending=False, stable=False):
    from .._tensor import _dim
    from .reduce import _sort_t
    d = _dim(dim, input._data.ndim) if input._data.ndim else 0
    v, i = SortOp.apply(input, d, descending)
    return _sort_t(v, i)


@method("argsort")
def argsort(input, dim=-1, descending=False, stable=False):
    return sort(input, dim, descending, stable).indices


@method("msort")
def msort(input):
    return sort(input, 0).values


class TopK(SortOp):
    _name = "TopkBackward0"

    def forward(ctx, x, k, d, largest):
        ctx.shape, ctx.d = x.shape, d
        if x.ndim == 0:
            ctx.idx = np.zeros((), np.int64)
            return x.copy(), np.zeros((), np.int64)
        idx = np.argsort(_sort_key(x, largest), axis=d, kind="stable")
        idx = np.take(idx, np.arange(k), axis=d)
        ctx.idx = idx
        return np.take_along_axis(x, idx, d), idx.astype(np.int64)

    def backward(ctx, grad, _):
        if not ctx.shape:
            return grad, None, None, None
        return _scatter_into(grad, ctx.shape, ctx.d, ctx.idx), None, None, None


@method("topk")
def topk(input, k, dim=-1, largest=True, sorted=True):
    from .._tensor import _dim
    from .reduce import _topk_t
    d = _dim(dim, input._data.ndim) if input._data.ndim else 0
    n = input.shape[d] if input._data.ndim else 1
    if k > n or k < 0:
        raise RuntimeError("selected index k out of range")
    v, i = TopK.apply(input, k, d, largest)
    return _topk_t(v, i)


@method("kthvalue")
def kthvalue(input, k, dim=-1, keepdim=False):
    from .reduce import _kth_t
    s = sort(input, dim)
    v, i = s.values.narrow(dim, k - 1, 1), s.indices.narrow(dim, k - 1, 1)
    if not keepdim:
        v, i = v.squeeze(dim), i.squeeze(dim)
    return _kth_t(v, i)


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


@method("unique")
def unique(input, sorted=True, return_inverse=False, return_counts=False, dim=None):
    x = input._data
    res = np.unique(x if dim is None else x, return_inverse=return_inverse,
                    return_counts=return_counts, axis=dim)
    if not isinstance(res, tuple):
        return _wrap(res)
    out = [_wrap(res[0])]
    k = 1
    if return_inverse:
        out.append(_wrap(res[k].reshape(x.shape if dim is None else -1).astype(np.int64)))
        k += 1
    if return_counts:
        out.append(_wrap(res[k].astype(np.int64)))
    return tuple(out)


@method("unique_consecutive")
def unique_consecutive(input, return_inverse=False, return_counts=False, dim=None):
    x = input._data.reshape(-1)
    if x.size == 0:
        return _wrap(x.copy())
    keep = np.concatenate([[True], x[1:] != x[:-1]])
    out = [_wrap(x[keep])]
    if return_inverse:
        out.append(_wrap((np.cumsum(keep) - 1).reshape(input.shape).astype(np.int64)))
    if return_counts:
        out.append(_wrap(np.diff(np.append(np.nonzero(keep)[0], x.size)).astype(np.int64)))
    return out[0] if len(out) == 1 else tuple(out)


@method("bincount")
def bincount(input, weights=None, minlength=0):
    w = None if weights is None else weights._data
    r = np.bincount(input._data, w, minlength)
    return _wrap(r.astype(np.int64) if w is None else r)


def searchsorted(sorted_sequence, values, *, right=False, side=None):
    side = side or ("right" if right else "left")
    return _wrap(np.searchsorted(sorted_sequence._data, values._data if isinstance(
        values, Tensor) else values, side=side).astype(np.int64))


def bucketize(input, boundaries, *, right=False):
    return _wrap(np.searchsorted(boundaries._data, input._data,
                                 side="left" if not right else "right").astype(np.int64))
