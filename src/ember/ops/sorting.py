"""Ordering: sort/argsort/msort, topk, kthvalue, unique(_consecutive), bincount, searchsorted.

Sorts are stable NumPy argsorts on a key that puts NaN where torch puts it (last ascending,
first descending). Each differentiable op keeps the chosen indices; its backward scatters the
gradient back to them with `index._scatter_into`, whose own backward gathers again.
"""

import numpy as np

from .._tensor import Tensor, _dim, _wrap
from ..autograd.function import Op
from ._util import method
from .index import _scatter_into


def _argsort(x, d, descending):
    """Stable argsort along d; NaN sorts as the largest value, as in torch."""
    if x.dtype == bool:
        x = x.astype(np.int8)
    if not descending:
        return np.argsort(x, axis=d, kind="stable")
    if x.dtype.kind != "f":
        return np.argsort(-x.astype(np.int64), axis=d, kind="stable")
    nan = np.isnan(x)
    idx = np.argsort(np.where(nan, 0, -x), axis=d, kind="stable")
    first = np.argsort(~np.take_along_axis(nan, idx, d), axis=d, kind="stable")  # NaN first
    return np.take_along_axis(idx, first, d)


class SortOp(Op):
    _name = "SortBackward0"
    nondiff_outputs = (1,)

    def forward(ctx, x, d, descending, k=None):
        ctx.shape, ctx.d = x.shape, d
        if x.ndim == 0:
            ctx.idx = np.zeros((), np.int64)
            return x.copy(), np.zeros((), np.int64)
        idx = _argsort(x, d, descending)
        if k is not None:
            idx = np.take(idx, np.arange(k), axis=d)
        ctx.idx = idx
        return np.take_along_axis(x, idx, d), idx.astype(np.int64)

    def backward(ctx, grad, _):
        g = grad if not ctx.shape else _scatter_into(grad, ctx.shape, ctx.d, ctx.idx)
        return g, None, None, None


class TopK(SortOp):
    _name = "TopkBackward0"


def _axis(input, dim):
    return _dim(dim, input._data.ndim) if input._data.ndim else _dim(dim, 0) * 0


@method("sort")
def sort(input, dim=-1, descending=False, stable=False):
    from .reduce import _sort_t
    v, i = SortOp.apply(input, _axis(input, dim), descending)
    if stable and v.grad_fn is not None:
        v.grad_fn._name = "SortBackward1"
    return _sort_t(v, i)


@method("argsort")
def argsort(input, dim=-1, descending=False, stable=False):
    return sort(input, dim, descending, stable).indices


@method("msort")
def msort(input):
    return sort(input, 0).values


@method("topk")
def topk(input, k, dim=-1, largest=True, sorted=True):
    from .reduce import _topk_t
    d = _axis(input, dim)
    n = input._data.shape[d] if input._data.ndim else 1
    if k > n or k < 0:
        raise RuntimeError("selected index k out of range")
    v, i = TopK.apply(input, d, largest, k)
    return _topk_t(v, i)


class KthValue(Op):
    _name = "KthvalueBackward0"
    nondiff_outputs = (1,)

    def forward(ctx, x, k, d, keepdim):
        ctx.shape, ctx.d, ctx.keepdim = x.shape, d, keepdim
        if x.ndim == 0:
            ctx.idx = None
            return x.copy(), np.zeros((), np.int64)
        idx = np.take(_argsort(x, d, False), [k - 1], axis=d)
        ctx.idx = idx
        v = np.take_along_axis(x, idx, d)
        i = idx.astype(np.int64)
        return (v, i) if keepdim else (v.squeeze(d), i.squeeze(d))

    def backward(ctx, grad, _):
        if ctx.idx is None:
            return grad, None, None, None
        g = grad if ctx.keepdim else grad.unsqueeze(ctx.d)
        return _scatter_into(g, ctx.shape, ctx.d, ctx.idx), None, None, None


@method("kthvalue")
def kthvalue(input, k, dim=-1, keepdim=False):
    from .reduce import _kth_t
    d = _axis(input, dim)
    n = input._data.shape[d] if input._data.ndim else 1
    if k < 1 or k > n:
        raise RuntimeError(f"kthvalue(): selected number k out of range for dimension {d}")
    return _kth_t(*KthValue.apply(input, k, d, keepdim))


@method("unique")
def unique(input, sorted=True, return_inverse=False, return_counts=False, dim=None):
    x = input._data
    res = np.unique(x, return_inverse=return_inverse, return_counts=return_counts, axis=dim)
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
    keep = np.concatenate([[True], x[1:] != x[:-1]]) if x.size else np.zeros(0, bool)
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


def searchsorted(sorted_sequence, values, *, right=False, side=None, out_int32=False):
    side = side or ("right" if right else "left")
    v = values._data if isinstance(values, Tensor) else values
    r = np.searchsorted(sorted_sequence._data, v, side=side)
    return _wrap(np.asarray(r).astype(np.int32 if out_int32 else np.int64))


def bucketize(input, boundaries, *, right=False, out_int32=False):
    r = np.searchsorted(boundaries._data, input._data, side="right" if right else "left")
    return _wrap(np.asarray(r).astype(np.int32 if out_int32 else np.int64))
