"""Ordering: sort/argsort/msort, topk, kthvalue, unique(_consecutive), bincount, searchsorted.

Sorts are stable NumPy argsorts on a key that puts NaN where torch puts it (last ascending,
first descending), computed on exact integer keys by `_stable_order` (partial sorts for topk
and kthvalue). Each differentiable op keeps the chosen indices; its backward scatters the
gradient back to them with `index._scatter_into`, whose own backward gathers again. unique
compares with `!=` as torch does (every NaN is its own value, -0.0 equals 0.0); searchsorted runs
torch's bisection, vectorised over all values, so even unsorted or NaN boundaries answer as
torch's do.
"""

__all__ = ["sort", "argsort", "msort", "topk", "kthvalue", "unique", "unique_consecutive",
           "bincount", "searchsorted", "bucketize"]

import numpy as np

from .. import _dtype as D
from .._device import array_module as _xp
from .._tensor import Tensor, _dim, _wrap
from ..autograd.function import Op
from . import _stable_order as _so
from ._util import no_complex, on_device, on_host, result_type
from .index import _scatter_into
from .inplace import _out


def _argsort(x, d, descending):
    """Stable argsort along d; NaN sorts as the largest value, as in torch."""
    if x.dtype == bool:
        x = x.astype(np.int8)
    if not descending:
        return np.argsort(x, axis=d, kind="stable")
    if x.dtype.kind != "f":  # ~x = -x - 1 reverses the order (-x wraps the int64 minimum)
        return np.argsort(~x.astype(np.int64), axis=d, kind="stable")
    nan = np.isnan(x)
    idx = np.argsort(np.where(nan, 0, -x), axis=d, kind="stable")
    first = np.argsort(~np.take_along_axis(nan, idx, d), axis=d, kind="stable")  # NaN first
    return np.take_along_axis(idx, first, d)


def _order(x, d, descending, k=None):
    """int64 positions of the first k (None: all) elements of the stable order of x along d,
    along d: `_argsort`'s order, found on integer keys (a partial sort where k is small)."""
    key = _so.int_keys(x, descending) if type(x) is np.ndarray and x.size else None
    if key is None:
        idx = _argsort(x, d, descending)
        return idx if k is None else np.take(idx, np.arange(k), axis=d)
    n = x.shape[d]
    if k == 0:
        return np.zeros(x.shape[:d] + (0,) + x.shape[d + 1:], np.int64)
    r = _so.rows(key, d)
    if k is not None and n >= 64 and 4 * k <= n:
        return _so.unrows(_so.smallest(r, k), x.shape, d)
    idx = _so.stable_argsort(r)
    return _so.unrows(idx if k is None else idx[:, :k], x.shape, d)


class SortOp(Op):
    _name = "SortBackward0"
    _packed_arrays = ("idx",)  # torch saves the indices as a tensor: saved-tensor hooks see it
    nondiff_outputs = (1,)

    def forward(ctx, x, d, descending, k=None):
        ctx.shape, ctx.d = x.shape, d
        xp = np if isinstance(x, np.ndarray) else _xp(x)
        if x.ndim == 0:
            ctx.idx = xp.zeros((), np.int64)
            return x.copy(), xp.zeros((), np.int64)
        if xp is np:
            idx = _order(x, d, descending, k)
        else:
            idx = _argsort(x, d, descending)
            if k is not None:
                idx = xp.take(idx, xp.arange(k), axis=d)
        ctx.idx = idx
        return xp.take_along_axis(x, idx, d), idx.astype(np.int64)

    def backward(ctx, grad, _):
        g = grad if not ctx.shape else _scatter_into(grad, ctx.shape, ctx.d, ctx.idx)
        return g, None, None, None

    def jvp(ctx, t, *_):  # the tangent at the sorted positions
        return (t if not ctx.shape else t.gather(ctx.d, _wrap(ctx.idx))), None


class TopK(SortOp):
    _name = "TopkBackward0"


def _axis(input, dim):
    return _dim(dim, input._data.ndim) if input._data.ndim else _dim(dim, 0) * 0


def _pair_out(r, out, name, values_msg=None):
    """(values, indices) into out=(values, indices) with torch's dtype checks."""
    from .reduce import _tuple_out

    def check(vd, idd):
        if values_msg and vd is not r[0].dtype:
            raise RuntimeError(values_msg)
        if values_msg and idd is not D.int64:
            raise RuntimeError("output indices must be of scalar type Long")
    return _tuple_out(r, out, name, check)


def sort(input, dim=-1, descending=False, stable=False, *, out=None):
    no_complex(input, "sort")
    from .reduce import _sort_t
    v, i = SortOp.apply(input, _axis(input, dim), descending)  # always stable: torch's CPU too
    if v.grad_fn is not None:
        v.grad_fn._given = dim  # torch saves the dims as given
        if stable:
            v.grad_fn._name = "SortBackward1"
    r = _sort_t(v, i)
    return r if out is None else _pair_out(r, out, "sort")


def argsort(input, dim=-1, descending=False, stable=False):
    no_complex(input, "sort")
    return sort(input, dim, descending, stable).indices


def msort(input, *, out=None):
    no_complex(input, "sort")
    return _out(sort(input, 0).values, out, exact=True)


def topk(input, k, dim=-1, largest=True, sorted=True, *, out=None):
    no_complex(input, "topk")
    from .reduce import _topk_t
    d = _axis(input, dim)
    n = input._data.shape[d] if input._data.ndim else 1
    if k > n or k < 0:
        raise RuntimeError("selected index k out of range")
    v, i = TopK.apply(input, d, largest, k)
    if v.grad_fn is not None:
        v.grad_fn._given = dim  # torch saves the dims as given
    r = _topk_t(v, i)
    return r if out is None else _pair_out(r, out, "topk")


class KthValue(Op):
    _name = "KthvalueBackward0"
    nondiff_outputs = (1,)

    def forward(ctx, x, k, d, keepdim):
        ctx.shape, ctx.d, ctx.keepdim = x.shape, d, keepdim
        if x.ndim == 0:
            ctx.idx = None
            return x.copy(), np.zeros((), np.int64)
        key = _so.int_keys(x, False) if type(x) is np.ndarray and x.size else None
        if key is None or x.shape[d] < 64:
            idx = np.take(_argsort(x, d, False), [k - 1], axis=d)
        else:
            idx = _so.unrows(_so.kth(_so.rows(key, d), k), x.shape, d)
        ctx.idx = idx
        v = np.take_along_axis(x, idx, d)
        i = idx.astype(np.int64)
        return (v, i) if keepdim else (v.squeeze(d), i.squeeze(d))

    def backward(ctx, grad, _):
        if ctx.idx is None:
            return grad, None, None, None
        g = grad if ctx.keepdim else grad.unsqueeze(ctx.d)
        return _scatter_into(g, ctx.shape, ctx.d, ctx.idx), None, None, None

    def jvp(ctx, t, *_):  # the tangent at the k-th position
        if ctx.idx is None:
            return t, None
        v = t.gather(ctx.d, _wrap(ctx.idx))
        return (v if ctx.keepdim else v.squeeze(ctx.d)), None


def kthvalue(input, k, dim=-1, keepdim=False, *, out=None):
    no_complex(input, "kthvalue_cpu")
    from .reduce import _kth_t
    d = _axis(input, dim)
    n = input._data.shape[d] if input._data.ndim else 1
    if k < 1 or k > n:
        raise RuntimeError(f"kthvalue(): selected number k out of range for dimension {d}")
    r = _kth_t(*KthValue.apply(input, k, d, keepdim))
    return r if out is None else _pair_out(r, out, "kthvalue",
                                           "output values must be of same type as input")


# ---------------------------------------------------------------- unique
class _Unique(Op):
    """unique's values; torch records a node whose backward refuses."""

    _name = "Unique2Backward0"
    _aten = "_unique2"
    nondiff_outputs = (1, 2)

    def forward(ctx, x, fn, *args):
        return fn(x, *args)

    def backward(ctx, *grads):
        raise NotImplementedError(f"the derivative for '{ctx._aten}' is not implemented.")


class _UniqueDim(_Unique):
    _name, _aten = "UniqueDimBackward0", "unique_dim"


class _UniqueConsecutive(_Unique):
    _name, _aten = "UniqueConsecutiveBackward0", "unique_consecutive"


def _groups(keys, consecutive):
    """The order that sorts `keys` (rows of a 2-d array), and where each new value starts."""
    n = keys.shape[0]
    if consecutive:
        order = np.arange(n)
    elif keys.shape[1] == 1:
        order = np.argsort(keys[:, 0], kind="stable")  # NaN last, as torch
    else:
        order = np.lexsort(keys.T[::-1])
    s = keys[order]
    new = np.ones(n, bool)
    if n > 1:
        new[1:] = (s[1:] != s[:-1]).any(1)  # != as torch: NaN differs from NaN, -0.0 == 0.0
    return order, new


def _unique_arrays(x, d, consecutive):
    """(values, inverse, counts) of x, along dim d or over all elements (d None)."""
    if d is None:
        keys, shape = x.reshape(-1, 1), x.shape
    else:
        if not x.size:
            if x.shape[d]:
                raise RuntimeError("There are 0 sized dimensions, and they aren't selected, so "
                                   "unique cannot be applied")
            z = np.zeros(0, np.int64)
            return x.copy(), z, z
        moved = np.moveaxis(x, d, 0)
        keys, shape = moved.reshape(moved.shape[0], -1), (x.shape[d],)
    order, new = _groups(keys, consecutive)
    group = np.cumsum(new) - 1
    inverse = np.empty(len(order), np.int64)
    inverse[order] = group
    counts = np.diff(np.append(np.flatnonzero(new), len(order))).astype(np.int64)
    first = order[new]
    values = x.reshape(-1)[first] if d is None else np.moveaxis(np.moveaxis(x, d, 0)[first], 0, d)
    return values, inverse.reshape(shape), counts


def _unique(input, dim, return_inverse, return_counts, consecutive):
    dev = on_device(input)
    if dev is not None:  # a NumPy-only kernel
        return on_host(dev, _unique, input, dim, return_inverse, return_counts, consecutive)
    x = input._data
    if dim is not None:
        if not x.ndim:
            raise IndexError(f"Dimension specified as {dim} but tensor has no dimensions")
        dim = _dim(dim, x.ndim)
        cls = _UniqueConsecutive if consecutive else _UniqueDim
    else:
        cls = _UniqueConsecutive if consecutive else _Unique
    v, i, c = cls.run((input,), (x, _unique_arrays, dim, consecutive), {})
    if not return_inverse and not return_counts:
        return v
    return (v,) + ((i,) if return_inverse else ()) + ((c,) if return_counts else ())


def unique(input, sorted=True, return_inverse=False, return_counts=False, dim=None):
    no_complex(input, "unique")
    return _unique(input, dim, return_inverse, return_counts, False)


def unique_consecutive(input, return_inverse=False, return_counts=False, dim=None):
    no_complex(input, "unique")
    return _unique(input, dim, return_inverse, return_counts, True)


# ---------------------------------------------------------------- counting and bisection
class _NoDerivative(Op):
    """torch's NotImplemented node around an already computed result."""

    _name = "torch::autograd::NotImplemented"

    def forward(ctx, x, result, aten):
        ctx.aten = aten
        return result

    def backward(ctx, grad):
        raise RuntimeError(f"derivative for aten::{ctx.aten} is not implemented")


_BINCOUNT = "bincount only supports 1-d non-negative integral inputs."


def bincount(input, weights=None, minlength=0):
    if input.dtype.is_floating_point or input.dtype.is_complex or input.dtype is D.bool_:
        raise NotImplementedError("\"bincount_cpu\" not implemented for "
                                  f"'{input.dtype._legacy[:-6]}'")
    if minlength < 0:
        raise RuntimeError("minlength should be >= 0")
    x = input._data
    if x.ndim == 1 and not x.size:
        return _wrap(np.zeros(minlength, np.int64))
    if x.ndim != 1 or x.min() < 0:
        raise RuntimeError(_BINCOUNT)
    if weights is None:
        return _wrap(np.bincount(x, minlength=minlength).astype(np.int64))
    w = weights._data
    if w.ndim != 1 or w.shape[0] != x.shape[0]:
        raise RuntimeError("weights should be 1-d and have the same length as input")
    dt = np.float32 if weights.dtype is D.float32 else np.float64  # torch's two accumulators
    r = np.zeros(max(int(x.max()) + 1, minlength), dt)
    np.add.at(r, x, w.real.astype(dt) if w.dtype.kind == "c" else w.astype(dt))
    if weights._rg:
        return _NoDerivative.run((weights, None, None), (w, r, "bincount"), {})
    return _wrap(r)


def _bisect(bnd, vals, right, sorter):
    """torch's binary search for each row of vals (R, K) in the same row of bnd (R, M)."""
    rows, m = bnd.shape[0], bnd.shape[1]
    lo = np.zeros(vals.shape, np.int64)
    hi = np.full(vals.shape, m, np.int64)
    r = np.arange(rows)[:, None]
    while True:
        active = lo < hi
        if not active.any():
            return lo
        mid = lo + ((hi - lo) >> 1)
        pos = np.minimum(mid, m - 1)
        if sorter is not None:
            pos = sorter[r, pos]
        mv = bnd[r, pos]
        go = ~(mv > vals) if right else ~(mv >= vals)  # NaN compares false: torch's walk
        lo = np.where(active & go, mid + 1, lo)
        hi = np.where(active & ~go, mid, hi)


def _search_out(r, out, out_int32):
    if out is not None and isinstance(out, Tensor) and \
            out.dtype is not (D.int32 if out_int32 else D.int64):
        raise RuntimeError("torch.searchsorted(): output tensor's dtype is wrong, it can only be "
                           "Int(int32) or Long(int64) depending on whether out_int32 flag is "
                           f"True, but we got output tensor's dtype {out.dtype._legacy[:-6]} and "
                           f"out_int32 flag is {out_int32}")
    return _out(r, out)


def _search(bnd_t, values, right, out_int32, sorter):
    """searchsorted's result for boundaries bnd_t (..., M) and values (Tensor or scalar)."""
    dt = result_type(bnd_t, values)
    if dt is D.bool_:
        raise NotImplementedError("\"searchsorted_out_cpu\" not implemented for 'Bool'")
    bnd = bnd_t._data.astype(dt.np, copy=False)
    scalar = not isinstance(values, Tensor)
    v = np.asarray(values if scalar else values._data).astype(dt.np, copy=False)
    shape = v.shape
    if bnd.ndim == 1:
        b2, v2 = bnd.reshape(1, -1), v.reshape(1, -1)
        s2 = None if sorter is None else sorter.reshape(1, -1)
    else:
        b2, v2 = bnd.reshape(-1, bnd.shape[-1]), v.reshape(-1, v.shape[-1] if v.ndim else 1)
        s2 = None if sorter is None else sorter.reshape(-1, bnd.shape[-1])
    if not b2.shape[1] or not v2.size:
        res = np.zeros(v2.shape, np.int64)
    else:
        res = _bisect(b2, v2, right, s2)
    return _wrap(res.reshape(shape).astype(np.int32 if out_int32 else np.int64))


def searchsorted(sorted_sequence, input, *, out_int32=False, right=False, side=None,
                 sorter=None, out=None):
    no_complex(input if isinstance(input, Tensor) else sorted_sequence, "searchsorted_out_cpu")
    no_complex(sorted_sequence, "searchsorted_out_cpu")
    dev = on_device(sorted_sequence, input, sorter)
    if dev is not None:  # a NumPy-only kernel
        r = on_host(dev, searchsorted, sorted_sequence, input, out_int32=out_int32, right=right,
                    side=side, sorter=sorter)
        return r if out is None else _out(r, out)
    bshape = sorted_sequence.shape
    if not bshape:
        raise RuntimeError("torch.searchsorted(): boundaries tensor should have positive "
                           "dimension, but got 0 dimension")
    vshape = input.shape if isinstance(input, Tensor) else ()
    if len(bshape) != 1:
        if not vshape:
            raise RuntimeError("torch.searchsorted(): input value can be a scalar only when "
                               f"boundaries tensor dimension is 1, but we got boundaries tensor "
                               f"dim({len(bshape)}) and input value's dim(0) numel(1)")
        if bshape[:-1] != vshape[:-1]:
            raise RuntimeError("torch.searchsorted(): boundaries tensor should be 1 dimension or "
                               "the first N-1 dimensions of boundaries tensor and input value "
                               f"tensor must match, but we got boundaries tensor "
                               f"{_fmt(bshape)} and input value tensor {_fmt(vshape)}")
    if side is not None:
        if side not in ("left", "right"):
            raise RuntimeError("torch.searchsorted(): side can only be 'left' or 'right' but got "
                               f"{side}")
        if right and side == "left":
            raise RuntimeError("torch.searchsorted(): side and right can't be set to opposites, "
                               f"got side of {side} while right was True")
        right = side == "right"
    s = None
    if sorter is not None:
        if sorter.shape != bshape:
            raise RuntimeError("torch.searchsorted(): boundary and sorter must have the same "
                               f"size, but got boundary tensor {_fmt(bshape)}and got sorter "
                               f"tensor {_fmt(sorter.shape)}")
        if sorter.dtype is not D.int64:
            raise RuntimeError("torch.searchsorted(): sorter must be a tensor of long dtype but "
                               f"got dtype {sorter.dtype._legacy[:-6]}")
        s = sorter._data
        if s.size and (s.min() < 0 or s.max() >= bshape[-1]):
            raise RuntimeError("torch.searchsorted(): sorter index out of range")
    r = _search(sorted_sequence, input, right, out_int32, s)
    return _search_out(r, out, out_int32)


def bucketize(input, boundaries, *, out_int32=False, right=False, out=None):
    no_complex(input if isinstance(input, Tensor) else boundaries, "searchsorted_out_cpu")
    if boundaries.dim() != 1:
        raise RuntimeError("boundaries tensor must be 1 dimension, but got "
                           f"dim({boundaries.dim()})")
    return _search_out(_search(boundaries, input, right, out_int32, None), out, out_int32)


def _fmt(shape):
    return "[" + ", ".join(str(s) for s in shape) + "]"
