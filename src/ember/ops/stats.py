"""Order statistics and histograms: quantile, nanquantile, nanmedian, histc.

quantile is composed from sort, gather and lerp arithmetic, so its gradient flows to the two
order statistics around each rank as torch's does. NaN sorts last; quantile then answers NaN for
a slice holding one, while nanquantile/nanmedian rank only the slice's non-NaN values.
"""

__all__ = ["quantile", "nanquantile", "nanmedian", "histc"]


import numpy as np

from .. import _dtype as D
from .._tensor import Tensor, _dim, _wrap
from ..amp import _hook as _amp
from .inplace import _out
from .reduce import _ret

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
        return qa.reshape(-1).astype(np.float64), q.dim() == 1
    if not 0 <= q <= 1:
        raise RuntimeError(f"quantile() q must be in the range [0, 1] but got {q}")
    return np.array([float(q)]), False


def _quantile(input, q, dim, keepdim, interpolation, ignore_nan):
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
    rank = qs.reshape((-1,) + (1,) * (x.dim() - 1)) * np.maximum(valid - 1, 0)
    if not ignore_nan:  # a slice with NaN ranks its last (NaN) element, as torch
        rank = np.where(nan.any(-1, keepdims=True), n - 1.0, rank)
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
    r = lo + (hi - lo) * w if interpolation in ("linear", "midpoint") else lo
    r = r.squeeze(-1)
    if keepdim:
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


def nanmedian(input, dim=None, keepdim=False, *, out=None):
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
        k = int((~np.isnan(flat._data)).sum()) if input.dtype.is_floating_point else flat.numel()
        s = flat.sort().values
        r = s[((k or flat.numel()) - 1) // 2]  # all NaN: torch's middle position
        if r.grad_fn is not None:
            r.grad_fn._name = "NanmedianBackward0"
        return r
    nd = input.dim()
    d = _dim(dim, nd)
    x = input if nd else input.reshape(1)
    srt = x.sort(d)
    nan = np.isnan(x._data) if x.dtype.is_floating_point else np.zeros(x.shape, bool)
    k = x.shape[d] - nan.sum(d, keepdims=True)
    pos = _wrap(((np.where(k == 0, x.shape[d], k) - 1) // 2).astype(np.int64))  # all-NaN: torch's
    v, i = srt.values.gather(d, pos), srt.indices.gather(d, pos)
    if not keepdim or not nd:
        v, i = v.squeeze(d), i.squeeze(d)
    if v.grad_fn is not None:
        v.grad_fn._name = "NanmedianBackward1"
    return _nanmedian_t(v, i)


def histc(input, bins=100, min=0, max=0, *, out=None):
    """Matches torch.histc: bins of equal width, counted in the input's dtype as torch does."""
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
