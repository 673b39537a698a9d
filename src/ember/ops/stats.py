"""Order statistics and histograms: quantile, nanquantile, nanmedian, histc.

quantile is composed from sort, gather and lerp arithmetic, so its gradient flows to the two
order statistics around each rank as torch's does. NaN sorts last; quantile then answers NaN for
a slice holding one, while nanquantile/nanmedian rank only the slice's non-NaN values.
"""


import numpy as np

from .._tensor import Tensor, _dim, _wrap
from ._util import method
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


@method("quantile")
def quantile(input, q, dim=None, keepdim=False, *, interpolation="linear", out=None):
    return _quantile(input, q, dim, keepdim, interpolation, False)


@method("nanquantile")
def nanquantile(input, q, dim=None, keepdim=False, *, interpolation="linear", out=None):
    return _quantile(input, q, dim, keepdim, interpolation, True)


@method("nanmedian")
def nanmedian(input, dim=None, keepdim=False):
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


@method("histc")
def histc(input, bins=100, min=0, max=0, *, out=None):
    if not input.dtype.is_floating_point:
        raise NotImplementedError("\"histogram_cpu\" not implemented for "
                                  f"'{input.dtype._legacy[:-6]}'")
    if bins <= 0:
        raise RuntimeError("torch.histc(): bins must be > 0, but got " + str(bins) + " for "
                           "dimension 0")
    x = input._data.reshape(-1).astype(np.float64)
    lo, hi = float(min), float(max)
    if lo == hi and x.size:
        lo, hi = float(x.min()), float(x.max())
    if lo == hi:
        lo, hi = lo - 1, hi + 1
    if lo > hi:
        raise RuntimeError("torch.histc(): max must be larger than min")
    keep = x[(x >= lo) & (x <= hi)]
    b = ((keep - lo) * bins / (hi - lo)).astype(np.int64)
    b[b == bins] = bins - 1
    return _wrap(np.bincount(b, minlength=bins).astype(input.dtype.np))


