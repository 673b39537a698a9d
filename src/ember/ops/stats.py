"""Order statistics and histograms: median, mode, quantile, nanquantile, nanmedian, histc,
histogram(dd).

quantile is composed from sort, gather and lerp arithmetic, so its gradient flows to the two
order statistics around each rank as torch's does. NaN sorts last; quantile then answers NaN for
a slice holding one, while nanquantile/nanmedian rank only the slice's non-NaN values.
"""

__all__ = ["median", "mode", "quantile", "nanquantile", "nanmedian", "histc", "histogram",
           "histogramdd"]


import collections

import numpy as np

from .. import _dtype as D
from .._device import array_module as _xp
from .._tensor import Tensor, _dim, _wrap
from ..amp import _hook as _amp
from ..autograd import forward_ad as _fwd
from ..autograd import grad_mode as _gm
from ..autograd.function import Op
from ._util import no_complex, on_device, on_host
from .index import _scatter_into
from .inplace import _out
from .reduce import MaxAll, _legacy_name, _median_t, _mode_t, _ret, _tuple_out

_fw = _fwd._fw
_histogram_t = _ret("histogram", collections.namedtuple("histogram", ["hist", "bin_edges"]))
_histogram_out_t = _ret("histogram_out", collections.namedtuple("histogram_out",
                                                                ["hist", "bin_edges"]))
_histogramdd_t = _ret("histogramdd", collections.namedtuple("histogramdd", ["hist", "bin_edges"]))

_nanmedian_t = _ret("nanmedian")
_MODES = ("linear", "lower", "higher", "midpoint", "nearest")


def _q_arg(input, q):
    if isinstance(q, Tensor):
        if q.dtype is not input.dtype:
            raise RuntimeError("quantile() q tensor must be same dtype as the input tensor")
        if q.dim() > 1:
            raise RuntimeError("quantile() q must be a scalar or 1D tensor")
        qa = q._data
        if qa.size and not ((qa >= 0) & (qa <= 1)).all():
            raise RuntimeError("quantile() q values must be in the range [0, 1]")
        return qa.reshape(-1), q.dim() == 1
    if not 0 <= q <= 1:
        raise RuntimeError(f"quantile() q must be in the range [0, 1] but got {q}")
    return np.array([float(q)], input.dtype.np), False  # torch: a tensor of the input's dtype


def _quantile(input, q, dim, keepdim, interpolation, ignore_nan):
    dev = on_device(input, q)
    if dev is not None:  # a NumPy-only kernel
        return on_host(dev, _quantile, input, q, dim, keepdim, interpolation, ignore_nan)
    if not input.dtype.is_floating_point:
        raise RuntimeError("quantile() input tensor must be either float or double dtype")
    if interpolation not in _MODES:
        raise RuntimeError("quantile() interpolation must be one of linear, lower, higher, "
                           f"midpoint or nearest, but got {interpolation}")
    if input.numel() == 0:
        raise RuntimeError("quantile() input tensor must be non-empty")
    qs, vector = _q_arg(input, q)
    if dim is None:
        x, d = input.reshape(-1), 0
    else:
        x, d = (input.reshape(1), 0) if input.dim() == 0 else (input, _dim(dim, input.dim()))
    x = x.movedim(d, -1).unsqueeze(0)  # (1, ..., n): ranks for every q along dim 0
    s = x.sort(-1).values
    n = x.shape[-1]
    nan = np.isnan(x._data)
    valid = (n - nan.sum(-1, keepdims=True)) if ignore_nan else np.full(nan.shape[:-1] + (1,), n)
    # ranks in the input's dtype, as torch's q * (n - 1): a float32 0.6 * 5 is 3.0, not 3.0000001
    rank = qs.reshape((-1,) + (1,) * (x.dim() - 1)) * np.maximum(valid - 1, 0).astype(qs.dtype)
    if not ignore_nan:  # a slice with NaN ranks its last (NaN) element, as torch
        rank = np.where(nan.any(-1, keepdims=True), qs.dtype.type(n - 1), rank)
    lo_i, hi_i = np.floor(rank), np.ceil(rank)
    if interpolation == "lower":
        hi_i = lo_i
    elif interpolation == "higher":
        lo_i = hi_i
    elif interpolation == "nearest":
        lo_i = hi_i = np.round(rank)  # half to even, as torch
    shape = (len(qs),) + tuple(x.shape[1:-1]) + (1,)
    se = s.expand(len(qs), *s.shape[1:])
    lo = se.gather(-1, _wrap(np.broadcast_to(lo_i, shape).astype(np.int64)))
    hi = se.gather(-1, _wrap(np.broadcast_to(hi_i, shape).astype(np.int64)))
    w = 0.5 if interpolation == "midpoint" else _wrap((rank - lo_i).astype(x.dtype.np))
    r = lo.lerp(hi, w) if interpolation in ("linear", "midpoint") else lo  # lerp(-inf, 1, .5)
    # is -inf (torch's lerp), lo + (hi - lo) * w NaN
    r = r.squeeze(-1)
    if keepdim and input.dim():  # (a 0-d input keeps no dim, as torch)
        r = r.unsqueeze(d + 1) if dim is not None else r.reshape(
            (len(qs),) + (1,) * input.dim())
    return r if vector else r.squeeze(0)


def _quantile_out(input, r, out):
    if out is not None and isinstance(out, Tensor) and out.dtype is not input.dtype:
        raise RuntimeError("quantile() out tensor must be same dtype as the input tensor")
    return _out(r, out)


def quantile(input, q, dim=None, keepdim=False, *, interpolation="linear", out=None):
    if _amp.on and out is None and _amp.active():
        return _amp.fp32(quantile, input, q, dim, keepdim, interpolation=interpolation)
    return _quantile_out(input, _quantile(input, q, dim, keepdim, interpolation, False), out)


def nanquantile(input, q, dim=None, keepdim=False, *, interpolation="linear", out=None):
    if _amp.on and out is None and _amp.active():
        return _amp.fp32(nanquantile, input, q, dim, keepdim, interpolation=interpolation)
    return _quantile_out(input, _quantile(input, q, dim, keepdim, interpolation, True), out)


def _no_bool_median(input, dim):
    """torch's median kernels have no bool one."""
    if input.dtype is D.bool_:
        kernel = "median_cpu" if dim is None else "median_out"
        raise NotImplementedError(f'"{kernel}" not implemented for \'Bool\'')


def nanmedian(input, dim=None, keepdim=False, *, out=None):
    no_complex(input, "median_cpu")
    _no_bool_median(input, dim)
    if out is not None:
        if dim is None:
            raise TypeError('nanmedian() missing 1 required positional arguments: "dim"')
        from .reduce import _tuple_out

        def check(vd, idd):  # torch's median kernel words these
            if vd is not input.dtype:
                raise RuntimeError("Expected tensor for 'values' to have the same type as tensor "
                                   f"for argument #2 'self'; but type torch.{vd._legacy} does not "
                                   f"equal torch.{input.dtype._legacy} (while checking arguments "
                                   "for median)")
            if idd is not D.int64:
                raise RuntimeError("Expected tensor for argument #1 'indices' to have scalar type "
                                   f"Long; but got torch.{idd._legacy} instead (while checking "
                                   "arguments for median)")
        return _tuple_out(nanmedian(input, dim, keepdim), out, "nanmedian", check)
    if dim is None:
        flat = input.reshape(-1)
        if flat.shape[0] and input.dtype.is_floating_point:  # ties share the gradient, as torch
            return NanMedianAll.apply(input)
        if not flat.shape[0]:
            return _empty_median(input)
        k = int((~np.isnan(flat._data)).sum()) if input.dtype.is_floating_point else flat.numel()
        s = flat.sort().values
        r = s[((k or flat.numel()) - 1) // 2]  # all NaN: torch's middle position
        if r.grad_fn is not None:
            r.grad_fn._name = "NanmedianBackward0"
        return r
    nd = input.dim()
    d = _dim(dim, nd)
    x = input if nd else input.reshape(1)
    order = x.detach().sort(d).indices
    nan = np.isnan(x._data) if x.dtype.is_floating_point else np.zeros(x.shape, bool)
    k = x.shape[d] - nan.sum(d, keepdims=True)
    # an all-NaN slice: its middle position (torch's index there comes from its selection
    # algorithm: equal for up to 2 and 5 elements)
    pos = _wrap(((np.where(k == 0, x.shape[d], k) - 1) // 2).astype(np.int64))
    i = order.gather(d, pos)
    v = _Picked.apply(x, i._data, d, keepdim and nd)
    return _nanmedian_t(v, i if keepdim and nd else i.squeeze(d))


class _Picked(Op):
    """The values of x at idx along d, one per slice (nanmedian's, mode's): its gradient is
    written at idx, not added (torch's zeros().scatter_: a -0.0 stays -0.0)."""

    _name = "NanmedianBackward1"

    def forward(ctx, x, idx, d, keepdim):
        ctx.shape, ctx.d, ctx.idx, ctx.keepdim = x.shape, d, idx, keepdim
        v = _xp(x).take_along_axis(x, idx, d)
        return v if keepdim else v.squeeze(d)

    def backward(ctx, grad):
        g = grad if ctx.keepdim else grad.unsqueeze(ctx.d)
        return _scatter_into(g, ctx.shape, ctx.d, ctx.idx), None, None, None

    def jvp(ctx, t, *_):
        v = t.gather(ctx.d, _wrap(ctx.idx))
        return v if ctx.keepdim else v.squeeze(ctx.d)


def histc(input, bins=100, min=0, max=0, *, out=None):
    """Matches torch.histc: bins of equal width, counted in the input's dtype as torch does."""
    no_complex(input, "aminmax_cpu")
    if not input.dtype.is_floating_point:
        raise NotImplementedError("\"histogram_cpu\" not implemented for "
                                  f"'{input.dtype._legacy[:-6]}'")
    if isinstance(bins, float):
        raise TypeError("histc(): argument 'bins' must be int, not float")
    if out is not None and isinstance(out, Tensor) and out.dtype is not input.dtype:
        from .linalg import _C_NAMES
        raise RuntimeError("torch.histogram: input tensor and hist tensor should have the same "
                           f"dtype, but got input {_C_NAMES[input.dtype.name]} and hist "
                           f"{_C_NAMES[out.dtype.name]}")
    if bins <= 0:
        raise RuntimeError(f"torch.histogram(): bins must be > 0, but got {bins} for dimension 0")
    dt = input.dtype.np
    x = input._data.reshape(-1)
    lo, hi, shown = float(min), float(max), (_g(float(min)), _g(float(max)))
    if lo == hi and x.size:
        lo, hi = float(x.min()), float(x.max())
        shown = (_g(lo, "-nan"), _g(hi, "-nan"))  # a NaN from the data prints as torch's
    if lo == hi:
        lo, hi = lo - 1, hi + 1
        shown = (_g(lo), _g(hi))
    if not (np.isfinite(lo) and np.isfinite(hi)):
        raise RuntimeError(f"torch.histc: range of [{shown[0]}, {shown[1]}] is not finite")
    if lo > hi:
        raise RuntimeError("torch.histc: max must be larger than min")
    left, right = dt.type(lo), dt.type(hi)
    keep = x[(x >= left) & (x <= right)]  # NaN falls out here
    pos = ((keep - left) * dt.type(bins) / (right - left)).astype(np.int64)  # input's precision
    hist = np.bincount(np.minimum(pos, bins - 1), minlength=bins).astype(dt)
    return _out(_wrap(hist), out)


def _g(v, nan="nan"):
    """A double as C++'s stream prints it."""
    return nan if v != v else "%g" % v


# ---------------------------------------------------------------- histogram, histogramdd
# torch's CPU kernel: each coordinate outside [first edge, last edge] (or NaN) is skipped; the
# others go to the bin whose left edge is the last one <= the value, the last bin also taking its
# right edge. Equal-width bins (an int `bins`) use linear interpolation in the input's precision
# corrected by a look at the neighbouring edges, as torch's; edge tensors a binary search.
def _bin_index(col, e, linear):
    n = len(e)
    left, right = e[0], e[-1]
    if linear:
        with np.errstate(all="ignore"):
            pos = ((col - left) * e.dtype.type(n - 1) / (right - left))
        pos = np.clip(np.nan_to_num(pos), 0, n - 1).astype(np.int64)
        lo, hi = np.maximum(pos - 1, 0), np.minimum(pos + 2, n)
        count = np.zeros(col.shape, np.int64)
        for j in range(3):
            k = lo + j
            count += (k < hi) & (e[np.minimum(k, n - 1)] <= col)
        pos = lo + count - 1
    else:
        pos = np.searchsorted(e, col, side="right") - 1
    return np.where(pos == n - 1, pos - 1, pos)


def _histdd(x, edges, weight, density, linear):
    """x: (M, N) array; edges: N increasing arrays; the N-d histogram in x's dtype."""
    dt = x.dtype
    hist = np.zeros(tuple(len(e) - 1 for e in edges), dt)
    keep = np.ones(x.shape[0], bool)
    index = []
    for d, e in enumerate(edges):
        col = x[:, d]
        inside = (col >= e[0]) & (col <= e[-1])
        keep &= inside
        index.append(_bin_index(np.where(inside, col, e[0]), e, linear))
    flat = np.ravel_multi_index([i[keep] for i in index], hist.shape) if x.shape[1] else []
    w = weight[keep] if weight is not None else np.ones(int(keep.sum()), dt)
    np.add.at(hist.reshape(-1), flat, w)  # in order, in the input's precision, as torch's loop
    if density:
        hist = hist / dt.type(float(hist.sum()))
        for d, e in enumerate(edges):
            shape = [1] * len(edges)
            shape[d] = len(e) - 1
            hist = hist / np.diff(e).reshape(shape)
    return hist.astype(dt, copy=False)


def _not_implemented(kernel, dtype):
    raise NotImplementedError(f'"{kernel}" not implemented for \'{dtype._legacy[:-6]}\'')


def _outer_edges(x, rng):
    """torch's select_outer_bin_edges: the range, else the data's min and max per dimension."""
    n = x.shape[1]
    if rng is not None:
        if len(rng) != 2 * n:
            raise RuntimeError(f"torch.histogramdd: for a {n}-dimensional histogram range "
                               f"should have {2 * n} elements, but got {len(rng)}")
        lo, hi = [float(v) for v in rng[0::2]], [float(v) for v in rng[1::2]]
    elif x.shape[0]:
        lo, hi = [float(v) for v in x.min(0)], [float(v) for v in x.max(0)]
    else:
        lo, hi = [0.0] * n, [1.0] * n
    for d in range(n):
        if not (np.isfinite(lo[d]) and np.isfinite(hi[d])):
            raise RuntimeError(f"torch.histogramdd: dimension {d}'s range [{_g(lo[d])}, "
                               f"{_g(hi[d])}] is not finite")
        if lo[d] > hi[d]:
            raise RuntimeError("torch.histogramdd: min should not exceed max, but got min "
                               f"{_g(lo[d])} max {_g(hi[d])} for dimension {d}")
        if lo[d] == hi[d]:
            lo[d], hi[d] = lo[d] - 0.5, hi[d] + 0.5
    return lo, hi


def _check_weight(x2, weight, input_shape, flat):
    """The weight's dtype and shape; histogram (`flat`) takes any shape of one weight per
    element, histogramdd the input's shape without its last dimension."""
    if weight is None:
        return None
    if weight.dtype is not x2.dtype:
        raise RuntimeError("torch.histogramdd: if weight tensor is provided, input tensor and "
                           "weight tensor should have the same dtype, but got input("
                           f"{_c_name(x2.dtype)}), and weight({_c_name(weight.dtype)})")
    ok = weight.numel() == x2.shape[0] if flat else \
        list(weight.shape or [1]) == list(input_shape[:-1])
    if not ok:
        raise RuntimeError("torch.histogramdd: if weight tensor is provided it should have the "
                           "same shape as the input tensor excluding its innermost dimension, but "
                           f"got input with shape {list(input_shape)} and weight with shape "
                           f"{list(weight.shape)}")
    return weight._data.reshape(-1)


def _c_name(dtype):
    from .linalg import _C_NAMES
    return _C_NAMES[dtype.name]


def _edges_from_tensors(input, bins, n):
    if len(bins) != n:
        raise RuntimeError(f"torch.histogramdd: expected {n} sequences of bin edges for a "
                           f"{n}-dimensional histogram but got {len(bins)}")
    for d, b in enumerate(bins):
        if b.dtype is not input.dtype:
            raise RuntimeError("torch.histogramdd: input tensor and bins tensors should have the "
                               f"same dtype, but got input with dtype {_c_name(input.dtype)} and "
                               f"bins for dimension {d} with dtype {_c_name(b.dtype)}")
        if b.dim() != 1:
            raise RuntimeError("torch.histogramdd: bins tensor should have one dimension, but got "
                               f"{b.dim()} dimensions in the bins tensor for dimension {d}")
        if b.numel() == 0:
            raise RuntimeError("torch.histogramdd: bins tensor should have at least 1 element, but"
                               f" got 0 elements in the bins tensor for dimension {d}")
        if b.numel() == 1:
            raise RuntimeError(f"torch.histogram(): bins must be > 0, but got 0 for dimension {d}")
    if not input.dtype.is_floating_point:
        _not_implemented("histogram_cpu", input.dtype)
    return [b._data.reshape(-1) for b in bins]


def _edges_from_counts(input, x, counts, rng):
    for d, c in enumerate(counts):
        if c <= 0:
            raise RuntimeError(f"torch.histogram(): bins must be > 0, but got {c} for dimension "
                               f"{d}")
    if input.dtype not in (D.float32, D.float64):
        _not_implemented("histogramdd" if rng is None and x.size else "histogram_cpu",
                         input.dtype)
    from .creation import linspace
    lo, hi = _outer_edges(x, rng)
    return [linspace(a, b, c + 1, dtype=input.dtype)._data for a, b, c in zip(lo, hi, counts)]


def histogram(input, bins=100, *, range=None, weight=None, density=False, out=None):
    """Matches torch.histogram: (hist, bin_edges) for int `bins` (equal widths over `range` or
    the data's extent) or a tensor of increasing bin edges."""
    x2 = input.reshape(-1, 1)
    if isinstance(bins, Tensor):
        if range is not None:
            raise TypeError(_HIST_OVERLOADS.format("Tensor, Tensor, range=tuple"))
        edges = _edges_from_tensors(input, [bins], 1)
    elif isinstance(bins, bool) or not isinstance(bins, int):
        raise TypeError(_HIST_OVERLOADS.format(f"Tensor, {type(bins).__name__}"))
    else:
        edges = _edges_from_counts(input, x2._data, [bins], range)
    w = _check_weight(x2, weight, x2.shape, True)
    hist = _histdd(x2._data, edges, w, density, not isinstance(bins, Tensor))
    r = (_wrap(hist), _wrap(edges[0].copy()))
    if out is None:
        return _histogram_t(*r)
    if isinstance(out, (tuple, list)) and len(out) == 2 and out[0].dtype is not input.dtype:
        raise RuntimeError("torch.histogram: input tensor and hist tensor should have the same "
                           f"dtype, but got input {_c_name(input.dtype)} and hist "
                           f"{_c_name(out[0].dtype)}")
    return _histogram_out_t(*_out(r, out, "histogram"))


_HIST_OVERLOADS = (
    "histogram() received an invalid combination of arguments - got ({}), but expected one of:\n"
    " * (Tensor input, Tensor bins, *, Tensor weight = None, bool density = False, tuple of "
    "Tensors out = None)\n * (Tensor input, int bins = 100, *, tuple of floats range = None, "
    "Tensor weight = None, bool density = False, tuple of Tensors out = None)\n")


def histogramdd(input, bins, *, range=None, weight=None, density=False):
    """Matches torch.histogramdd: the last dimension of `input` holds each point's coordinates."""
    if input.dim() < 2:
        raise RuntimeError("torch.histogramdd: input tensor should have at least 2 dimensions")
    n = input.shape[-1]
    x2 = input.reshape(-1, n)
    if isinstance(bins, int) and not isinstance(bins, bool):
        bins = [bins] * n
    if isinstance(bins, Tensor) or not isinstance(bins, (list, tuple)):
        raise TypeError(_HISTDD_OVERLOADS.format(f"Tensor, bins={type(bins).__name__}"))
    tensors = bool(bins) and isinstance(bins[0], Tensor)
    if tensors:
        edges = _edges_from_tensors(input, list(bins), n)
    else:
        if len(bins) != n:
            raise RuntimeError("histogramdd: The size of bins must be equal to the innermost "
                               "dimension of the input.")
        edges = _edges_from_counts(input, x2._data, list(bins), range)
    w = _check_weight(x2, weight, tuple(input.shape), False)
    hist = _histdd(x2._data, edges, w, density, not tensors)
    return _histogramdd_t(_wrap(hist), tuple(_wrap(e.copy()) for e in edges))


_HISTDD_OVERLOADS = (
    "histogramdd() received an invalid combination of arguments - got ({}), but expected one "
    "of:\n * (Tensor input, int bins, tuple of floats range = None, Tensor weight = None, bool "
    "density = False)\n * (Tensor input, tuple of ints bins, tuple of floats range = None, "
    "Tensor weight = None, bool density = False)\n * (Tensor input, tuple of Tensors bins, "
    "tuple of floats range = None, Tensor weight = None, bool density = False)\n")


def _median_dtypes(input):
    def check(vd, id_):
        if vd is not input.dtype:
            raise RuntimeError(
                "Expected tensor for 'values' to have the same type as tensor for argument #2 "
                f"'self'; but type torch.{vd._legacy} does not equal torch.{input.dtype._legacy} "
                "(while checking arguments for median)")
        if id_ is not D.int64:
            raise RuntimeError("Expected tensor for argument #1 'indices' to have scalar type "
                               f"Long; but got torch.{id_._legacy} instead (while checking "
                               "arguments for median)")
    return check


class NanMedianAll(MaxAll):
    """torch's nanmedian(): the lower middle of the non-NaN values (NaN if all are); its
    gradient is shared evenly by every element equal to it (every NaN if it is NaN)."""

    _name = "NanmedianBackward0"

    def forward(ctx, x):
        from .._device import array_module
        xp = array_module(x)
        flat = x.reshape(-1)
        k = int((~xp.isnan(flat)).sum())
        return xp.asarray(xp.sort(flat)[((k or flat.size) - 1) // 2])

    def backward(ctx, grad):
        return MaxAll.backward(ctx, grad)[:1]


def median(input, dim=None, keepdim=False, *, out=None):
    no_complex(input, "median_cpu" if dim is None else "median_out")
    _no_bool_median(input, dim)
    if out is not None:
        if dim is None:
            raise TypeError('median() missing 1 required positional arguments: "dim"')
        return _tuple_out(median(input, dim, keepdim), out, "median", _median_dtypes(input))
    if dim is None:
        flat = input.reshape(-1)
        if flat.shape[0]:  # NaN if one is there; ties share the gradient
            from .reduce import MedianAll
            return MedianAll.apply(input)
        return _empty_median(input)
    if not input.dim():  # a 0-d input: its one element, index 0
        v, i = median(input.reshape(1), 0)
        return _median_t(v.reshape(()), i.reshape(()))
    s = input.sort(dim)
    k = (input.shape[dim] - 1) // 2
    v = s.values.narrow(dim, k, 1)
    i = s.indices.narrow(dim, k, 1)
    nan = input.isnan() if input.dtype.is_floating_point and input.dim() else None
    if nan is not None and bool(nan.any()):  # a row holding NaN: its first NaN (sort puts it last)
        i = nan.int().argmax(dim, keepdim=True).where(nan.any(dim, keepdim=True), i)
        v = input.gather(dim, i)
    if not keepdim:
        v, i = v.squeeze(dim), i.squeeze(dim)
    return _median_t(v, i)


def _empty_median(input):
    """torch's median / nanmedian of no elements: NaN in the input's dtype (an integer dtype's
    cast of NaN, its minimum)."""
    with np.errstate(invalid="ignore"):
        v = np.array(np.nan).astype(input.dtype.np)
    from .creation import tensor
    return tensor(v, device=input.device)


def _mode_dtypes(input):
    def check(vd, id_):
        for want, got, what in ((input.dtype, vd, "values"), (D.int64, id_, "indices")):
            if want is not got:
                raise RuntimeError(f"expected scalar type '{_legacy_name(want)}' but got "
                                   f"'{_legacy_name(got)}' for {what} output")
    return check


def mode(input, dim=-1, keepdim=False, *, out=None):
    no_complex(input, "mode_cpu")
    if out is not None:
        return _tuple_out(mode(input, dim, keepdim), out, "mode", _mode_dtypes(input))
    dev = on_device(input)
    if dev is not None:  # a NumPy-only kernel
        return on_host(dev, mode, input, dim, keepdim)
    if not input.dim():  # a 0-d input: its one element, index 0
        v, i = mode(input.reshape(1), 0)
        return _mode_t(v.reshape(()), i.reshape(()))
    x = input._data
    d = _dim(dim, x.ndim)
    xs = np.moveaxis(x, d, -1)
    vals = np.empty(xs.shape[:-1], x.dtype)
    idxs = np.empty(xs.shape[:-1], np.int64)
    for pos in np.ndindex(xs.shape[:-1]):
        row = xs[pos]
        u, c = np.unique(row, return_counts=True, equal_nan=False)  # NaNs count 1 each, as torch
        v = u[np.argmax(c)]
        vals[pos] = v
        idxs[pos] = np.nonzero(row == v)[0][-1] if v == v else np.argmax(np.isnan(row))
    v, i = _wrap(vals), _wrap(idxs)
    if input.requires_grad and _gm._enabled[0] and x.ndim and not _fw[0]:
        # torch's ModeBackward0: the gradient written at the mode's index
        v = _Picked.apply(input, np.expand_dims(idxs, d), d, keepdim)
        v.grad_fn._name = "ModeBackward0"
        return _mode_t(v, i.unsqueeze(d) if keepdim else i)
    if _fw[0]:  # computed without an Op: the tangent at the mode's index
        _fwd.gather_tangent(input, v, d, i.unsqueeze(d) if x.ndim else i, squeeze=True)
    if keepdim:
        v, i = v.unsqueeze(d), i.unsqueeze(d)
    return _mode_t(v, i)
