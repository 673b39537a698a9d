"""Pooling: max/avg pool 1d/2d/3d, max_unpool, adaptive avg/max pool, lp_pool.

Windowed pools loop over the k kernel offsets (never over pixels): each offset is one strided
slice of the padded input, so max pool is k compare-and-copy passes that also record which
offset won (`arg`), and avg pool is k adds. Backward runs the same offsets in reverse. Adaptive
average pooling (and interpolation, in _resample.py) is `Separable`: one small matrix per
spatial dim, applied by matmul, so it is its own adjoint's kind and differentiates to any order.
Indexed gathers/scatters (`GatherFlat`, `ScatterFlat`) serve adaptive max pool and max_unpool.

Tiling max pool (kernel == stride, no padding or dilation, no partial window; the CNN case) is
`MaxPoolTiled`: the input viewed as (..., L, k, ...) tiles, forward a running np.maximum over the
k offsets, backward routes each gradient to the first offset equal to the window's max (torch's
tie rule) with one "taken" mask, writing every cell of a fresh dx once. It keeps no index array;
windows holding a NaN (or a non-finite gradient), return_indices and double backward go
through `_max_fwd`'s `arg`.
"""

import itertools
import math
import numbers

import numpy as np

from .. import _meta
from .._meta import MetaArray
from .._tensor import _wrap
from ..amp import _hook as _amp
from ..autograd import forward_ad as _fwd
from ..autograd import grad_mode as _gm
from ..autograd.function import Op
from ._conv import _xp, _zero_pad

_enabled = _gm._enabled


def _tuple(v, n, name, fn):
    if v is None:
        return None
    if isinstance(v, numbers.Integral):
        return (int(v),) * n
    v = tuple(int(a) for a in v)
    if len(v) == 1:
        return v * n
    if len(v) != n:
        raise RuntimeError(f"{fn}: {name} must either be a single int, or a tuple of {n} ints")
    return v


def _offsets(k, dil, stride, L):
    """(offset index, slice key over the trailing dims) for each kernel offset."""
    for j, offs in enumerate(itertools.product(*(range(n) for n in k))):
        yield j, (Ellipsis,) + tuple(slice(o * d, o * d + s * (n - 1) + 1, s)
                                     for o, d, s, n in zip(offs, dil, stride, L))


def _out_len(n, k, s, p, d, ceil):
    span = n + 2 * p - d * (k - 1) - 1
    o = (span + (s - 1 if ceil else 0)) // s + 1
    if ceil and (o - 1) * s >= n + p:
        o -= 1
    return o


def _pads(S, k, s, p, d, L):
    """(lo, hi) pads so every window of the output fits in the padded input."""
    return tuple((pi, max((li - 1) * si + di * (ki - 1) + 1 - n - pi, 0))
                 for n, ki, si, pi, di, li in zip(S, k, s, p, d, L))


# ---------------------------------------------------------------- max pool
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
        xp.copyto(out, v, where=m)
        xp.copyto(arg, j, where=m)
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
    for j, key in _offsets(k, d, s, L):
        if disjoint:  # windows do not overlap: each input cell is written at most once
            xp.copyto(out[key], g, where=arg == j)
        else:
            out[key] += xp.where(arg == j, g, zero)
    return out[(Ellipsis,) + tuple(slice(lo, lo + n) for n, (lo, _) in zip(S, pads))]


def _max_gather(gg, arg, geo):
    k, s, p, d, L = geo
    nd = len(k)
    xp = _xp(gg)
    ggp = _zero_pad(gg, _pads(gg.shape[-nd:], k, s, p, d, L))
    out = xp.zeros(arg.shape, gg.dtype)
    for j, key in _offsets(k, d, s, L):
        xp.copyto(out, ggp[key], where=arg == j)
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


def _tiles(x, k, L):
    """x (..., *S) viewed as (..., L0, k0, L1, k1, ...) and the k-offset keys in window order."""
    nd = len(k)
    S = x.shape[-nd:]
    if any(n != li * ki for n, li, ki in zip(S, L, k)):
        x = x[(Ellipsis,) + tuple(slice(0, li * ki) for li, ki in zip(L, k))]
    v = x.reshape(x.shape[:-nd] + tuple(a for lk in zip(L, k) for a in lk))
    lead = (slice(None),) * (x.ndim - nd)
    keys = [lead + tuple(a for o in offs for a in (slice(None), o))
            for offs in itertools.product(*(range(n) for n in k))]
    return v, keys


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
        xp = _xp(x)
        v, keys = _tiles(x, geo[0], geo[4])
        out = v[keys[0]].copy()
        for key in keys[1:]:
            xp.maximum(out, v[key], out=out)  # NaN propagates, as torch's
        ctx.out = out.copy()  # the caller may change `out` in place
        return out

    def jvp(ctx, t, _):  # the tangent at each window's winner (found again, with the index)
        _, arg = _max_fwd(ctx.inputs[0]._data, ctx.geo)
        return MaxPoolGather.apply(t, arg, ctx.geo)

    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        geo, out = ctx.geo, ctx.out
        xp = _xp(out)
        S = x.shape[-len(geo[0]):]
        g = grad._data
        # create_graph, a NaN max, or an inf/NaN gradient (g * False would be NaN, not 0):
        # the indexed path
        if _enabled[0] or not (xp.isfinite(out).all() and xp.isfinite(g).all()):
            arg = _max_fwd(x._data, geo)[1]
            return MaxPoolGrad.apply(grad, arg, S, geo), None
        dx = xp.empty(x.shape, g.dtype)
        if any(li * ki != n for li, ki, n in zip(geo[4], geo[0], S)):
            dx[...] = 0  # cells past the last whole window
        xv, keys = _tiles(x._data, geo[0], geo[4])
        dv, _ = _tiles(dx, geo[0], geo[4])
        last = len(keys) - 1
        m = taken = xp.ones(out.shape, bool)  # a 1-cell window
        for i, key in enumerate(keys):
            if i == last and i:  # no earlier offset held the max: the last one does
                xp.logical_not(taken, out=m)
            elif i == 0:
                m = xp.equal(xv[key], out)
                taken = m.copy() if last > 1 else m
            elif i < last:
                xp.equal(xv[key], out, out=m)
                xp.greater(m, taken, out=m)  # equal, and no earlier offset was
                xp.logical_or(taken, m, out=taken)
            xp.multiply(g, m, out=dv[key])
        return _wrap(dx), None

    def _release(self):
        self.out = None
        Op._release(self)


def _pool_params(nd, name, kernel_size, stride, padding, dilation):
    fn = f"{name}"
    k = _tuple(kernel_size, nd, "kernel_size", fn)
    s = _tuple(stride, nd, "stride", fn) if stride not in (None, ()) and stride != [] else k
    p = _tuple(padding, nd, "padding", fn)
    d = _tuple(dilation, nd, "dilation", fn)
    if any(v == 0 for v in s):
        raise RuntimeError("stride should not be zero")
    if any(v <= 0 for v in d):
        raise RuntimeError("dilation should be greater than zero, but got "
                           + " ".join(f"dilation{a}: {v}" for a, v in zip("DHW"[-nd:], d)))
    if any(v < 0 for v in p):
        raise RuntimeError(f"pad must be non-negative, but got pad: {p[0]}")
    for ki, pi, di in zip(k, p, d):
        if pi > ((ki - 1) * di + 1) // 2:
            raise RuntimeError(f"pad should be at most half of effective kernel size, but got "
                               f"pad={pi}, kernel_size={ki} and dilation={di}")
    return k, s, p, d


def _pool_out(shape, nd, params, ceil_mode):
    """The geometry (k, s, p, d, L) for an input of `shape`; torch's error where L < 1."""
    k, s, p, d = params
    S = shape[-nd:]
    L = tuple(_out_len(*a, ceil_mode) for a in zip(S, k, s, p, d))
    if any(v <= 0 for v in L):
        lead = shape[-nd - 1:-nd]
        raise RuntimeError(f"Given input size: ({'x'.join(map(str, lead + S))}). Calculated "
                           f"output size: ({'x'.join(map(str, lead + L))}). Output size is too "
                           "small")
    return k, s, p, d, L


def _pool_geo(input, nd, name, kernel_size, stride, padding, dilation, ceil_mode):
    params = _pool_params(nd, name, kernel_size, stride, padding, dilation)
    return _pool_out(input.shape, nd, params, ceil_mode)


def _check_2d_shape(shape):
    """torch's pool2d_shape_check: an empty batch is allowed, no other empty dim."""
    if not ((len(shape) == 3 and all(shape)) or (len(shape) == 4 and all(shape[1:]))):
        raise RuntimeError("Expected 3D or 4D (batch mode) tensor with optional 0 dim batch size "
                           f"for input, but got:{list(shape)}")


def _check_3d_shape(shape, fn):
    """torch's pool3d_shape_check: an empty batch is allowed, no other empty dim."""
    if not all(shape[len(shape) == 5:]):
        raise RuntimeError(f"{fn}: Expected input's non-batch dimensions to have positive "
                           f"length, but input has a shape of {list(shape)} and non-batch "
                           "dimension 0 has length zero!")


def _max_pool1d_params(input, kernel_size, stride, padding, dilation, ceil_mode):
    """torch's own checks of max_pool1d (the path without indices)."""
    shape = input.shape
    if not ((len(shape) == 2 and all(shape)) or (len(shape) == 3 and all(shape[1:]))):
        raise RuntimeError("max_pool1d: Expected 2D or 3D (batch mode) tensor with optional 0 "
                           f"dim batch size for input, but got:{list(shape)}")
    args = [kernel_size, stride, padding, dilation]
    for i, (what, v) in enumerate(zip(("kernel_size", "stride", "padding", "dilation"), args)):
        if v is None or isinstance(v, numbers.Integral):
            continue
        v = tuple(v)
        if len(v) != 1 and not (what == "stride" and not v):
            kind = "None, an int" if what == "stride" else "an int"
            raise RuntimeError(f"max_pool1d() {what} must be {kind}, list of ints or tuple of "
                               f"ints of size 1 but got size {len(v)}")
        args[i] = v[0] if v else None
    k, s, p, d = (None if v is None else int(v) for v in args)
    s = k if s is None else s
    for bad, msg in ((k <= 0, f"kernel_size must be greater than zero, but got {k}"),
                     (s <= 0, f"stride must be greater than zero, but got {s}"),
                     (p < 0, f"padding must be non-negative, but got {p}"),
                     (p > k // 2, "padding should be at most half of kernel size, but got "
                                  f"padding={p} and kernel_size={k}"),
                     (d <= 0, f"dilation must be greater than zero, but got {d}")):
        if bad:
            raise RuntimeError(f"max_pool1d() {msg}")
    L = _out_len(shape[-1], k, s, p, d, ceil_mode)
    if L <= 0:
        raise RuntimeError(f"max_pool1d() Invalid computed output size: {L}")
    return (k,), (s,), (p,), (d,), (L,)


def _max_pool(nd, name, input, kernel_size, stride, padding, dilation, ceil_mode,
              return_indices):
    if nd == 1 and not return_indices:
        geo = _max_pool1d_params(input, kernel_size, stride, padding, dilation, ceil_mode)
    else:
        if input.dim() not in (nd + 1, nd + 2):
            if nd == 1:
                raise RuntimeError(f"Expected 2 to 3 dimensions, but got {input.dim()}-"
                                   "dimensional tensor for argument #1 'self' (while checking "
                                   "arguments for max_pool1d)")
            raise RuntimeError(f"non-empty {nd + 1}D or {nd + 2}D (batch mode) tensor expected "
                               "for input")
        params = _pool_params(nd, name, kernel_size, stride, padding, dilation)
        shape = tuple(input.shape)
        if nd == 3:
            _check_3d_shape(shape, "max_pool3d_with_indices_out_cpu_template()")
        else:  # max_pool1d with indices is max_pool2d of a (.., C, 1, L) view
            _check_2d_shape(shape if nd == 2 else shape[:-1] + (1,) + shape[-1:])
        geo = _pool_out(shape, nd, params, ceil_mode)
    if not return_indices and _tiled(geo, input.shape[-nd:]) and input.dtype.is_floating_point:
        r = MaxPoolTiled.apply(input, geo)
    else:
        r = MaxPool.apply(input, geo, bool(return_indices))
    fn = (r[0] if return_indices else r).grad_fn
    if nd == 3 and fn is not None:
        fn._name = "MaxPool3DWithIndicesBackward0"
    return r


def max_pool1d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False):
    """Matches torch.nn.functional.max_pool1d."""
    return _max_pool(1, "max_pool1d", input, kernel_size, stride, padding, dilation, ceil_mode,
                     return_indices)


def max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False):
    """Matches torch.nn.functional.max_pool2d."""
    r = _max_pool(2, "max_pool2d", input, kernel_size, stride, padding, dilation, ceil_mode,
                  return_indices)
    fn = (r[0] if return_indices else r).grad_fn
    if fn is not None and fn.name() == "MaxPool2DWithIndicesBackward0":  # torch's saved values
        fn._pool_args = (input, stride, ceil_mode)
    return r


def max_pool3d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False):
    """Matches torch.nn.functional.max_pool3d."""
    if _amp.on and not return_indices and _amp.active():
        return _amp.fp32(max_pool3d, input, kernel_size, stride, padding, dilation, ceil_mode,
                         return_indices)
    r = _max_pool(3, "max_pool3d", input, kernel_size, stride, padding, dilation, ceil_mode,
                  return_indices)
    fn = (r[0] if return_indices else r).grad_fn
    if fn is not None:  # torch's saved values
        fn._pool_args = (input, stride, ceil_mode)
    return r


# ---------------------------------------------------------------- avg pool
def _divisor(S, geo, count_include_pad, divisor_override, dtype):
    k, s, p, _, L = geo
    if divisor_override:
        return dtype.type(divisor_override)
    div = np.ones((), np.int64)
    for n, ki, si, pi, li in zip(S, k, s, p, L):
        start = np.arange(li) * si - pi
        end = np.minimum(start + ki, n + pi)
        if not count_include_pad:
            end, start = np.minimum(end, n), np.maximum(start, 0)
        div = np.multiply.outer(div, end - start)
    return div.astype(dtype)


class AvgPool(Op):
    _name = "AvgPool2DBackward0"
    jvp = _fwd.linear
    save_inputs = (0,)  # as torch's node: its _saved_self (and saved-tensor hooks) see the input

    def forward(ctx, x, geo, div):
        ctx.geo, ctx.div, ctx.S = geo, div, x.shape[-len(geo[0]):]
        k, s, p, d, L = geo
        xpad = _zero_pad(x, _pads(ctx.S, k, s, p, d, L))
        out = None
        for _, key in _offsets(k, d, s, L):
            out = xpad[key].copy() if out is None else out.__iadd__(xpad[key])
        out /= _xp(x).asarray(div)
        return out

    def backward(ctx, grad):
        return AvgPoolGrad.apply(grad, ctx.S, ctx.geo, ctx.div), None, None


class AvgPoolGrad(Op):
    _name = "AvgPool2DBackwardBackward0"
    jvp = _fwd.linear

    def forward(ctx, g, S, geo, div):
        ctx.geo, ctx.div = geo, div
        k, s, p, d, L = geo
        g = g / _xp(g).asarray(div)
        nd = len(k)
        pads = _pads(S, k, s, p, d, L)
        out = _xp(g).zeros(g.shape[:-nd] + tuple(n + lo + hi for n, (lo, hi) in zip(S, pads)),
                           g.dtype)
        for _, key in _offsets(k, d, s, L):
            out[key] += g
        return out[(Ellipsis,) + tuple(slice(lo, lo + n) for n, (lo, _) in zip(S, pads))]

    def backward(ctx, grad):
        return AvgPool.apply(grad, ctx.geo, ctx.div), None, None, None


def _avg_pool(nd, name, input, kernel_size, stride, padding, ceil_mode, count_include_pad,
              divisor_override):
    shape = tuple(input.shape)
    if nd == 1 and len(shape) not in (2, 3):
        raise RuntimeError(f"Expected 2 to 3 dimensions, but got {len(shape)}-dimensional "
                           "tensor for argument #1 'self' (while checking arguments for "
                           "avg_pool1d)")
    if nd == 2 and len(shape) < 3:
        raise IndexError(f"Dimension out of range (expected to be in range of [{-len(shape)}, "
                         f"{len(shape) - 1}], but got -3)")
    if nd == 3 and len(shape) not in (4, 5):
        raise RuntimeError("non-empty 4D or 5D (batch mode) tensor expected for input")
    if divisor_override is not None and divisor_override == 0:
        raise RuntimeError("divisor must be not zero")
    params = _pool_params(nd, name, kernel_size, stride, padding, 1)
    if nd == 3:
        _check_3d_shape(shape, "avg_pool3d()")
    else:  # avg_pool1d is avg_pool2d of a (.., C, 1, L) view
        _check_2d_shape(shape if nd == 2 else shape[:-1] + (1,) + shape[-1:])
    if nd == 1:  # torch reports the output size of that 2-d view
        _pool_out(shape[:-1] + (1,) + shape[-1:], 2, ((1,) + params[0], (1,) + params[1],
                                                      (0,) + params[2], (1, 1)), ceil_mode)
    geo = _pool_out(shape, nd, params, ceil_mode)
    div = _divisor(input.shape[-nd:], geo, count_include_pad, divisor_override,
                   input.dtype.np)
    r = AvgPool.apply(input, geo, div)
    if r.grad_fn is not None:  # torch's saved arguments (`_saved_kernel_size`, ...)
        r.grad_fn._given = (params, ceil_mode, count_include_pad, divisor_override,
                            stride is None or stride == () or stride == [])
        if nd == 3:
            r.grad_fn._name = "AvgPool3DBackward0"
    return r


def avg_pool1d(input, kernel_size, stride=None, padding=0, ceil_mode=False,
               count_include_pad=True):
    """Matches torch.nn.functional.avg_pool1d."""
    return _avg_pool(1, "avg_pool1d", input, kernel_size, stride, padding, ceil_mode,
                     count_include_pad, None)


def avg_pool2d(input, kernel_size, stride=None, padding=0, ceil_mode=False,
               count_include_pad=True, divisor_override=None):
    """Matches torch.nn.functional.avg_pool2d."""
    return _avg_pool(2, "avg_pool2d", input, kernel_size, stride, padding, ceil_mode,
                     count_include_pad, divisor_override)


def avg_pool3d(input, kernel_size, stride=None, padding=0, ceil_mode=False,
               count_include_pad=True, divisor_override=None):
    """Matches torch.nn.functional.avg_pool3d."""
    if _amp.on and _amp.active():
        return _amp.fp32(avg_pool3d, input, kernel_size, stride, padding, ceil_mode,
                         count_include_pad, divisor_override)
    return _avg_pool(3, "avg_pool3d", input, kernel_size, stride, padding, ceil_mode,
                     count_include_pad, divisor_override)


def lp_pool1d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    """Matches torch.nn.functional.lp_pool1d."""
    out = avg_pool1d(input.pow(norm_type), kernel_size, stride, 0, ceil_mode)
    return (out.sign() * out.abs().relu()).mul(kernel_size).pow(1.0 / norm_type)


def lp_pool2d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    """Matches torch.nn.functional.lp_pool2d."""
    kh, kw = _tuple(kernel_size, 2, "kernel_size", "lp_pool2d")
    out = avg_pool2d(input.pow(norm_type), (kh, kw), stride, 0, ceil_mode)
    return (out.sign() * out.abs().relu()).mul(kh * kw).pow(1.0 / norm_type)


# ---------------------------------------------------------------- separable linear maps
def _apply_mats(x, mats):
    """x with its trailing len(mats) dims each mapped by a (out, in) matrix."""
    xp = _xp(x)
    nd = len(mats)
    for i, m in enumerate(mats):
        if m is None:
            continue
        ax = x.ndim - nd + i
        if ax == x.ndim - 1:
            x = x @ m.T
        elif ax == x.ndim - 2:
            x = m @ x
        else:
            x = xp.moveaxis(xp.moveaxis(x, ax, -1) @ m.T, -1, ax)
    if type(x) is MetaArray:  # ascontiguousarray would give a plain (CPU) array
        return x.copy()
    return xp.ascontiguousarray(x)


class Separable(Op):
    """y = x mapped along each trailing dim by a matrix; its adjoint uses the transposes."""

    _name = "UpsampleBackward0"
    jvp = _fwd.linear

    def forward(ctx, x, mats):
        ctx.mats = mats
        xp = _xp(x)
        return _apply_mats(x, [None if m is None else xp.asarray(m, x.dtype) for m in mats])

    def backward(ctx, grad):
        return Separable.apply(grad, [None if m is None else m.T for m in ctx.mats]), None


class AdaptiveAvg(Separable):
    """Adaptive average pooling: a Separable map whose node is torch's (it saves the input)."""

    _name = "AdaptiveAvgPool2DBackward0"
    save_inputs = (0,)


def _adaptive_bounds(n, o):
    i = np.arange(o)
    return (i * n) // o, -((-(i + 1) * n) // o)


def _avg_matrix(n, o):
    start, end = _adaptive_bounds(n, o)
    j = np.arange(n)
    inside = (j >= start[:, None]) & (j < end[:, None])
    return inside / (end - start)[:, None]


def _adaptive_size(input, output_size, nd):
    if isinstance(output_size, numbers.Integral):
        return (int(output_size),) * nd
    v = tuple(output_size)
    v = v * nd if len(v) == 1 else v
    return tuple(input.shape[-nd + i] if a is None else int(a) for i, a in enumerate(v))


def _check_adaptive(nd, input, output_size, name):
    _check_adaptive_dims(nd, input, output_size, name)
    shape = tuple(input.shape)
    if name.startswith("adaptive_avg") and nd < 3:  # checks the last two dims of a 2-d pool
        name, first = "adaptive_avg_pool2d", len(shape) - 2 + (nd == 1)
        if nd == 1:
            shape = shape[:-1] + (1,) + shape[-1:]
    else:
        first = 1
    for i in range(first, len(shape)):
        if not shape[i]:
            raise RuntimeError(f"{name}(): Expected input to have non-zero size for non-batch "
                               f"dimensions, but input has sizes {list(shape)} with dimension "
                               f"{i} being empty")


def _check_adaptive_dims(nd, input, output_size, name):
    if not isinstance(output_size, numbers.Integral) and input.dim() <= len(output_size):
        raise ValueError(f"Input dimension should be at least {len(output_size) + 1}")
    if input.dim() not in (nd + 1, nd + 2):
        if nd == 1:
            raise RuntimeError(f"Expected 2 to 3 dimensions, but got {input.dim()}-dimensional "
                               f"tensor for argument #1 'self' (while checking arguments for "
                               f"{name})")
        sep = ":" if "max" in name else ""
        raise RuntimeError(f"{name}(): Expected {nd + 1}D or {nd + 2}D tensor, but got{sep} "
                           f"{list(input.shape)}")


def _adaptive_avg(nd, input, output_size):
    _check_adaptive(nd, input, output_size, f"adaptive_avg_pool{nd}d")
    sizes = _adaptive_size(input, output_size, nd)
    if nd == 1:  # torch pools the (.., 1, L) view in 2-d: its graph has the views
        return _adaptive_avg(2, input.unsqueeze(-2), (1, sizes[0])).squeeze(-2)
    if all(o == 1 for o in sizes):  # torch takes the mean (MeanBackward1) for a 1x1 output
        return input.mean(tuple(range(-1, -nd - 1, -1)), keepdim=True)
    S = input.shape[-nd:]
    mats = [None if n == o else _avg_matrix(n, o) for n, o in zip(S, sizes)]
    r = AdaptiveAvg.apply(input, mats)
    if nd == 3 and r.grad_fn is not None:
        r.grad_fn._name = "AdaptiveAvgPool3DBackward0"
    return r


def adaptive_avg_pool1d(input, output_size):
    """Matches torch.nn.functional.adaptive_avg_pool1d."""
    return _adaptive_avg(1, input, output_size)


def adaptive_avg_pool2d(input, output_size):
    """Matches torch.nn.functional.adaptive_avg_pool2d."""
    return _adaptive_avg(2, input, output_size)


def adaptive_avg_pool3d(input, output_size):
    """Matches torch.nn.functional.adaptive_avg_pool3d."""
    if _amp.on and _amp.active():
        return _amp.fp32(adaptive_avg_pool3d, input, output_size)
    return _adaptive_avg(3, input, output_size)


# ---------------------------------------------------------------- indexed gather / scatter
class GatherFlat(Op):
    """y[..., i] = x.reshape(..., P)[..., idx[..., i]] over the trailing `nd` dims."""

    _name = "AdaptiveMaxPool2DBackward0"
    jvp = _fwd.linear

    def forward(ctx, x, idx, nd):
        ctx.idx, ctx.S = idx, x.shape[-nd:]
        lead = x.shape[:-nd]
        flat = x.reshape(lead + (math.prod(ctx.S),))  # explicit sizes: a batch may be empty
        i = idx.reshape(idx.shape[:-nd] + (math.prod(idx.shape[-nd:]),))
        return _xp(x).take_along_axis(flat, i, -1).reshape(idx.shape)

    def backward(ctx, grad):
        return ScatterFlat.apply(grad, ctx.idx, ctx.S), None, None


class ScatterFlat(Op):
    """Adjoint of GatherFlat: g added at idx into zeros of trailing shape S."""

    _name = "MaxUnpool2DBackward0"
    jvp = _fwd.linear

    def forward(ctx, g, idx, S):
        ctx.idx, ctx.nd = idx, len(S)
        nd = ctx.nd
        xp = _xp(g)
        lead = g.shape[:-nd]
        P = math.prod(S)
        rows = math.prod(lead)
        flat = idx.reshape(rows, g.size // max(rows, 1)) + (xp.arange(rows) * P)[:, None]
        out = xp.bincount(flat.ravel(), weights=g.reshape(-1), minlength=rows * P)
        return out.astype(g.dtype, copy=False).reshape(lead + tuple(S))

    def backward(ctx, grad):
        return GatherFlat.apply(grad, ctx.idx, ctx.nd), None, None


class MaxUnpool(Op):
    """Writes x at idx into zeros (a write, as torch's: repeated indices hold one value)."""

    _name = "MaxUnpool2DBackward0"
    jvp = _fwd.linear

    def forward(ctx, x, idx, S):
        ctx.idx, ctx.nd = idx, len(S)
        xp = _xp(x)
        rows = math.prod(x.shape[:-ctx.nd])
        out = xp.zeros((rows, math.prod(S)), x.dtype)
        cols = x.size // max(rows, 1)  # explicit sizes: a batch may be empty
        xp.put_along_axis(out, idx.reshape(rows, cols), x.reshape(rows, cols), -1)
        return out.reshape(x.shape[:-ctx.nd] + tuple(S))

    def backward(ctx, grad):
        return GatherFlat.apply(grad, ctx.idx, ctx.nd), None, None


def _adaptive_max(nd, input, output_size, return_indices):
    _check_adaptive(nd, input, output_size, f"adaptive_max_pool{nd}d")
    sizes = _adaptive_size(input, output_size, nd)
    S = input.shape[-nd:]
    x = input._data
    xp = _xp(x)
    idx_parts, widths = [], []
    for i, (n, o) in enumerate(zip(S, sizes)):
        start, end = _adaptive_bounds(n, o)
        w = int((end - start).max())
        ix = np.minimum(start[:, None] + np.arange(w), end[:, None] - 1)  # repeats stay in-window
        idx_parts.append(ix)
        widths.append(w)
    flat = 0
    for i, ix in enumerate(idx_parts):  # (o1, w1, o2, w2, ...) flat positions
        shape = [1] * (2 * nd)
        shape[2 * i], shape[2 * i + 1] = ix.shape
        flat = flat * S[i] + ix.reshape(shape)
    perm = tuple(range(0, 2 * nd, 2)) + tuple(range(1, 2 * nd, 2))
    flat = flat.transpose(perm).reshape(tuple(sizes) + (-1,))  # (*o, prod(w))
    lead = x.shape[:-nd]
    vals = x.reshape(lead + (math.prod(S),))[..., xp.asarray(flat)]  # (*lead, *o, W)
    best = vals.argmax(-1)
    idx = xp.take_along_axis(xp.broadcast_to(xp.asarray(flat), vals.shape),
                             best[..., None], -1)[..., 0]
    out = GatherFlat.apply(input, idx, nd)
    if return_indices:
        from .._tensor import _wrap
        return out, _wrap(idx.astype(np.int64))
    return out


def adaptive_max_pool1d(input, output_size, return_indices=False):
    """Matches torch.nn.functional.adaptive_max_pool1d."""
    return _adaptive_max(1, input, output_size, return_indices)


def adaptive_max_pool2d(input, output_size, return_indices=False):
    """Matches torch.nn.functional.adaptive_max_pool2d."""
    return _adaptive_max(2, input, output_size, return_indices)


def _as_tuple(v, n):
    """torch's _single / _pair: an int repeated, any other iterable taken as it is."""
    return (int(v),) * n if isinstance(v, numbers.Integral) else tuple(v)


def _unpool_size(input, k, s, p, output_size):
    """torch's _unpool_output_size (Python-side), in its order and words."""
    S = input.shape
    default = [(S[-len(k) + d] - 1) * s[d] + k[d] - 2 * p[d] for d in range(len(k))]
    if output_size is None:
        ret = default
    else:
        if len(output_size) == len(k) + 2:
            output_size = output_size[2:]
        if len(output_size) != len(k):
            raise ValueError(f"output_size should be a sequence containing {len(k)} or "
                             f"{len(k) + 2} elements, but it has a length of "
                             f"'{len(output_size)}'")
        for d in range(len(k)):
            lo, hi = default[d] - s[d], default[d] + s[d]
            if not lo < output_size[d] < hi:
                raise ValueError(f'invalid output_size "{output_size}" (dim {d} must be between '
                                 f"{lo} and {hi})")
        ret = output_size
    for d in range(len(k)):
        if ret[d] < 0:
            raise ValueError("max_unpooling: output_size must contain non-negative spatial "
                             f"dimensions, but got output_size[{d}]={ret[d]}")
    return list(ret)


def _check_unpool(shape, ishape, idtype, out):
    """torch's max_unpool2d checks (a 1-d unpool is checked as its (.., L, 1) 2-d view)."""
    for i, v in enumerate(out):
        if not isinstance(v, numbers.Integral):
            raise TypeError(f"max_unpool2d(): argument 'output_size' failed to unpack the object "
                            f"at pos {i + 1} with error \"type must be tuple of ints,but got "
                            f"{type(v).__name__}\"")
    if idtype.name != "int64":
        raise RuntimeError("elements in indices should be type int64 but got: "
                           f"{idtype._legacy[:-6]}")
    if len(out) != 2:
        raise RuntimeError("There should be exactly two elements (height, width) in output_size, "
                           f"but got {len(out)} elements.")
    if len(shape) not in (3, 4):
        raise RuntimeError("Input to max_unpooling2d should be a 3d or 4d Tensor, but got a "
                           f"tensor with {len(shape)} dimensions.")
    if tuple(shape) != tuple(ishape):
        raise RuntimeError("Expected shape of indices to be same as that of the input tensor "
                           f"({list(shape)}) but got indices tensor with shape: {list(ishape)}")
    for i in range(1, len(shape)):
        if not shape[i]:
            raise RuntimeError("max_unpooling2d_forward_out_cpu(): Expected input to have "
                               "non-zero size for non-batch dimensions, but got "
                               f"{list(shape)} with dimension {i} being empty.")


def _max_unpool(nd, input, indices, kernel_size, stride, padding, output_size):
    k = _as_tuple(kernel_size, nd)
    s = _as_tuple(stride, nd) if stride is not None else k
    out = _unpool_size(input, k, s, _as_tuple(padding, nd), output_size)
    view = (1,) if nd == 1 else ()
    _check_unpool(tuple(input.shape) + view, tuple(indices.shape) + view, indices.dtype,
                  out + [1] if nd == 1 else out)
    out = tuple(int(v) for v in out)
    idx = indices._data
    P = math.prod(out)
    bad = (idx < 0) | (idx >= P)
    if bad.any():  # torch's kernel reports the last invalid index it met
        flat = idx.reshape(-1)
        last = int(flat[bad.size - 1 - int(np.argmax(bad.reshape(-1)[::-1]))])
        size = "x".join(map(str, out + (1,) if nd == 1 else out))
        raise RuntimeError(f"Found an invalid max index: {last} (output volumes are of size "
                           f"{size})")
    return MaxUnpool.apply(input, idx, out)


def max_unpool1d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """Matches torch.nn.functional.max_unpool1d."""
    return _max_unpool(1, input, indices, kernel_size, stride, padding, output_size)


def max_unpool2d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """Matches torch.nn.functional.max_unpool2d."""
    if _amp.on and _amp.active():
        return _amp.fp32(max_unpool2d, input, indices, kernel_size, stride, padding, output_size)
    return _max_unpool(2, input, indices, kernel_size, stride, padding, output_size)
