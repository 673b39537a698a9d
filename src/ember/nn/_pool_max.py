"""Max pooling's kernels and primitives (the functions are in `_pool.py`).

Windowed max pool loops over the k kernel offsets (never over pixels): each offset is one strided
slice of the padded input, so the pool is k compare-and-copy passes that also record which offset
won (`arg`); backward runs the same offsets in reverse (`MaxPoolGrad`, and `MaxPoolGather`, its
adjoint, for double backward and forward AD).

Tiling max pool (kernel == stride, no padding or dilation; the CNN case) is `MaxPoolTiled`: the
input viewed as (..., L, k, ...) tiles, reduced one spatial dim at a time, last dim first, each a
running np.maximum over that dim's k offsets. Backward finds each window's winner the same way,
torch's tie rule included (the first offset in window order equal to the max: the first row
holding the max, then the first cell of that row), and writes every cell of a fresh dx once.
It keeps no index array; windows holding a NaN (or a non-finite gradient), return_indices and
double backward go through `_max_fwd`'s `arg`.
"""


import numpy as np

from .. import _meta
from .._meta import MetaArray
from .._select import copy_where, select
from .._tensor import _wrap
from ..autograd import forward_ad as _fwd
from ..autograd import grad_mode as _gm
from ..autograd.function import Op
from ._conv_kernels import _scratch, _xp, _zero_pad
from ._pool_common import _offsets, _pads

_enabled = _gm._enabled


def _max_fwd(x, geo):
    k, s, p, d, L = geo
    xp = _xp(x)
    nd = len(k)
    low = -np.inf if x.dtype.kind == "f" else np.iinfo(x.dtype).min
    xpad = _zero_pad(x, _pads(x.shape[-nd:], k, s, p, d, L), low)
    check_nan = x.dtype.kind == "f" and bool(xp.isnan(x).any())
    out = arg = None
    for j, key in _offsets(k, d, s, L):
        v = xpad[key]
        if out is None:
            out, arg = v.copy(), xp.zeros(v.shape, np.int32)
            continue
        m = v > out
        if check_nan:
            m |= xp.isnan(v)
        copy_where(out, v, m, xp)  # bitwise: a random mask makes copyto(where=) branch badly
        copy_where(arg, j, m, xp)
    if any(p):  # a window whose every cell is the lowest value: torch keeps its first real
        low_win = out == low  # (unpadded) cell, where the loop kept its first, padded one
        if low_win.any():
            xp.copyto(arg, xp.asarray(_first_valid(k, s, p, d, L), np.int32), where=low_win)
    return out, arg


def _first_valid(k, s, p, d, L):
    """Each window's first kernel offset (flat, over k) that falls inside the input."""
    first = 0
    for i in range(len(k)):
        start = np.arange(L[i]) * s[i] - p[i]
        ki = np.where(start < 0, (-start + d[i] - 1) // d[i], 0)
        shape = [1] * len(k)
        shape[i] = L[i]
        first = first * k[i] + ki.reshape(shape)
    return first


def _flat_index(arg, S, geo):
    """torch's indices: the winner's flat position in the unpadded input plane."""
    k, s, p, d, L = geo
    xp = _xp(arg)
    nd = len(k)
    offs = xp.unravel_index(arg, k)
    idx = 0
    for i in range(nd):
        shape = [1] * nd
        shape[i] = L[i]
        pos = (xp.arange(L[i]) * s[i] - p[i]).reshape(shape) + offs[i] * d[i]
        idx = idx * S[i] + pos
    return idx.astype(np.int64)


def _max_scatter(g, arg, S, geo):
    k, s, p, d, L = geo
    xp = _xp(g)
    nd = len(k)
    pads = _pads(S, k, s, p, d, L)
    lead = g.shape[:-nd]
    out = xp.zeros(lead + tuple(n + lo + hi for n, (lo, hi) in zip(S, pads)), g.dtype)
    zero = g.dtype.type(0)
    disjoint = all(si >= di * (ki - 1) + 1 for si, di, ki in zip(s, d, k))
    if disjoint:  # torch adds each gradient into zeros: 0 + (-0.0) is +0.0
        g = g + zero
    for j, key in _offsets(k, d, s, L):
        if disjoint:  # windows do not overlap: each input cell is written at most once
            copy_where(out[key], g, arg == j, xp)
        else:
            out[key] += select(arg == j, g, zero, xp)
    return out[(Ellipsis,) + tuple(slice(lo, lo + n) for n, (lo, _) in zip(S, pads))]


def _max_gather(gg, arg, geo):
    k, s, p, d, L = geo
    nd = len(k)
    xp = _xp(gg)
    ggp = _zero_pad(gg, _pads(gg.shape[-nd:], k, s, p, d, L))
    out = xp.zeros(arg.shape, gg.dtype)
    for j, key in _offsets(k, d, s, L):
        copy_where(out, ggp[key], arg == j, xp)
    return out


def _torch_indices(ctx):
    """Under saved-tensor hooks: torch's int64 indices, which torch's node saves (`result1`);
    ember's backward reads each window's winner instead, so they are only packed."""
    arg = ctx.__dict__.get("arg")
    if arg is None:  # the tiled kernel: the winners found again
        arg = _max_fwd(ctx._saved[0]._data, ctx.geo)[1]
    return (_flat_index(arg, ctx.S, ctx.geo),)


class MaxPool(Op):
    _name = "MaxPool2DWithIndicesBackward0"
    nondiff_outputs = (1,)
    save_inputs = (0,)  # as torch's node: saved-tensor hooks see the input
    _extra_packs = _torch_indices

    def forward(ctx, x, geo, with_indices):
        ctx.geo, ctx.S = geo, x.shape[-len(geo[0]):]
        if type(x) is MetaArray:  # shapes only
            shape = x.shape[:-len(geo[0])] + tuple(geo[4])
            out, ctx.arg = _meta.empty(shape, x.dtype), _meta.empty(shape, np.int32)
        else:
            out, ctx.arg = _max_fwd(x, geo)
        if with_indices:
            return out, _flat_index(ctx.arg, ctx.S, geo)
        return out

    def backward(ctx, grad, *_):
        return MaxPoolGrad.apply(grad, ctx.arg, ctx.S, ctx.geo), None, None

    def jvp(ctx, t, *_):  # the tangent at each window's winner
        out = MaxPoolGather.apply(t, ctx.arg, ctx.geo)
        return (out, None) if ctx.result.__class__ is tuple else out


class MaxPoolGrad(Op):
    _name = "MaxPool2DWithIndicesBackwardBackward0"
    jvp = _fwd.linear

    def forward(ctx, g, arg, S, geo):
        ctx.arg, ctx.geo = arg, geo
        if type(g) is MetaArray:
            return _meta.empty(g.shape[:-len(S)] + tuple(S), g.dtype)
        return _max_scatter(g, arg, S, geo)

    def backward(ctx, grad):
        return MaxPoolGather.apply(grad, ctx.arg, ctx.geo), None, None, None


class MaxPoolGather(Op):
    """Adjoint of MaxPoolGrad: each output takes the value at its window's winner."""

    _name = "MaxPool2DWithIndicesBackwardBackward1"
    jvp = _fwd.linear

    def forward(ctx, gg, arg, geo):
        ctx.arg, ctx.geo, ctx.S = arg, geo, gg.shape[-len(geo[0]):]
        if type(gg) is MetaArray:
            return _meta.empty(arg.shape, gg.dtype)
        return _max_gather(gg, arg, geo)

    def backward(ctx, grad):
        return MaxPoolGrad.apply(grad, ctx.arg, ctx.S, ctx.geo), None, None


def _whole(x, k, L):
    """The key of x's whole tiles (the cells past the last whole window cropped)."""
    return (Ellipsis,) + tuple(slice(0, li * ki) for li, ki in zip(L, k))


def _split(a, ax, L, k):
    """a (a view) with axis `ax`, of size L*k, split into (L, k): a view too."""
    return a.reshape(a.shape[:ax] + (L, k) + a.shape[ax + 1:])


def _stages(x, k, L):
    """Max over whole tiles, one spatial dim at a time, last dim first: [(parts, result)], where
    parts are the k strided views of that stage's input (one per offset along its dim)."""
    xp = _xp(x)
    nd = len(k)
    cur, out = x[_whole(x, k, L)], []
    for i in reversed(range(nd)):
        ax = cur.ndim - nd + i
        v = _split(cur, ax, L[i], k[i])
        parts = [v[(slice(None),) * (ax + 1) + (j,)] for j in range(k[i])]
        res = xp.maximum(parts[0], parts[1]) if k[i] > 1 else parts[0].copy()
        for p in parts[2:]:
            xp.maximum(res, p, out=res)  # NaN propagates, as torch's
        out.append((parts, res))
        cur = res
    return out


def _route(g, parts, res, dst):
    """Writes g (res's shape) into dst, the stage input's gradient as (k, ...) offset views: each
    value goes to the first offset whose part equals res, 0 to the others (g is finite)."""
    xp = _xp(g)
    k = len(parts)
    if k == 1:
        xp.copyto(dst[0], g)
        return
    m = _scratch("pool_mask", res.shape, bool, xp)
    if k == 2:
        if parts[0].strides[-1] != parts[0].itemsize:  # the last dim's stage: no NaN here, so
            xp.greater_equal(parts[0], parts[1], out=m)  # the same mask, a faster strided loop
        else:
            xp.equal(parts[0], res, out=m)
        xp.multiply(g, m, out=dst[0])
        xp.subtract(g, dst[0], out=dst[1])  # the rest: g - g*m is g or an exact 0
        return
    xp.equal(parts[0], res, out=m)
    xp.multiply(g, m, out=dst[0])
    taken = m.copy()
    for j in range(1, k - 1):
        xp.equal(parts[j], res, out=m)
        xp.greater(m, taken, out=m)  # equal, and no earlier offset was
        xp.logical_or(taken, m, out=taken)
        xp.multiply(g, m, out=dst[j])
    xp.logical_not(taken, out=m)
    xp.multiply(g, m, out=dst[k - 1])


def _tiled(geo, S):
    k, s, p, d, L = geo
    return (k == s and not any(p) and all(v == 1 for v in d)
            and all(li * ki <= n for li, ki, n in zip(L, k, S)))


class MaxPoolTiled(Op):
    """Max pool with kernel == stride, no padding/dilation, every window whole."""

    _name = "MaxPool2DWithIndicesBackward0"
    save_inputs = (0,)
    _extra_packs = _torch_indices

    def forward(ctx, x, geo):
        ctx.geo, ctx.S = geo, x.shape[-len(geo[0]):]
        stages = _stages(x, geo[0], geo[4])
        out = stages[-1][1]
        # backward reads every stage; the caller may change `out` in place: a copy of it
        ctx.stages = stages[:-1] + [(stages[-1][0], out.copy())] if _enabled[0] else None
        return out

    def jvp(ctx, t, _):  # the tangent at each window's winner (found again, with the index)
        _, arg = _max_fwd(ctx.inputs[0]._data, ctx.geo)
        return MaxPoolGather.apply(t, arg, ctx.geo)

    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        geo = ctx.geo
        k, L = geo[0], geo[4]
        nd = len(k)
        S = x.shape[-nd:]
        stages = ctx.stages or _stages(x._data, k, L)
        out = stages[-1][1]
        g = grad._data
        xp = _xp(g)
        # create_graph, a NaN max, or an inf/NaN gradient (g * False would be NaN, not 0):
        # the indexed path. A sum is finite only where every term is (or it overflows, which
        # only sends finite values down the slower path)
        if _enabled[0] or not (xp.isfinite(out.sum()) and xp.isfinite(g.sum())):
            arg = _max_fwd(x._data, geo)[1]
            return MaxPoolGrad.apply(grad, arg, S, geo), None
        dx = xp.empty(x.shape, g.dtype)
        dxw = dx
        if any(li * ki != n for li, ki, n in zip(L, k, S)):
            dx[...] = 0  # cells past the last whole window
            dxw = dx[_whole(dx, k, L)]
        for i, (parts, res) in zip(range(nd), reversed(stages)):  # first dim's stage first
            ax = g.ndim - nd + i
            if i == nd - 1:
                dst = dxw
            else:  # this stage's input gradient: dims before i expanded already, i now
                dst = _scratch(("pool", i), g.shape[:ax] + (L[i] * k[i],) + g.shape[ax + 1:],
                               g.dtype, xp)
            v = _split(dst, ax, L[i], k[i])
            _route(g, parts, res, [v[(slice(None),) * (ax + 1) + (j,)] for j in range(k[i])])
            g = dst
        dx += 0  # torch adds each gradient into zeros: every zero +0.0 (g * False and a -0.0
        # gradient gave -0.0)
        return _wrap(dx), None

    def _release(self):
        self.stages = None
        Op._release(self)
