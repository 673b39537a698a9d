"""Convolution family: conv1d/2d/3d, conv_transpose1d/2d/3d, unfold/fold, and pad.

A convolution is one bilinear map y = A(x, w). Its two adjoints are B (the input gradient, which
is also conv_transpose's forward) and C (the weight gradient). Each is a primitive whose backward
is written with the other two, so first and higher derivatives come from three array kernels:
  A: im2col through an as_strided window view, copied once to a (C*K, N*L) matrix, one GEMM.
  B: one GEMM to columns, then col2im by strided adds that loop over the K kernel offsets only.
  C: one GEMM of the output gradient against the columns (A's, reused when A saved them).
Groups add a leading batch axis to the GEMMs. `pad` is F.pad's logic (all four modes).

Big work arrays are reused, not made fresh each step (a fresh large array page-faults on first
touch): `_scratch` keeps per-thread arrays valid until the next call with the same key (padded
inputs, whose zero border is never written, the columns of a GEMM used at once, the per-sample
weight-gradient products); columns that Conv saves for backward are taken from `_POOL` and
handed back when the node is released or dropped. Arrays returned to callers are always fresh.
"""

import itertools
import math
import numbers
import threading

import numpy as np

from .. import _meta
from .._device import array_module as _xp
from .._meta import MetaArray
from ..amp import _hook as _amp
from ..autograd import forward_ad as _fwd
from ..autograd import grad_mode as _gm
from ..autograd.function import Op

_ndarray = np.ndarray
_enabled = _gm._enabled
_local = threading.local()
_POOL = {}  # (shape, dtype) -> free column arrays handed back by Conv nodes


def _scratch(tag, shape, dtype, xp=np):
    """A reused work array (zeros when first made) for this thread, tag and shape."""
    if xp is not np:
        return xp.zeros(shape, dtype)
    bufs = getattr(_local, "bufs", None)
    if bufs is None:
        bufs = _local.bufs = {}
    key = (tag, shape, dtype)
    buf = bufs.get(key)
    if buf is None:
        if len(bufs) >= 64:
            bufs.clear()
        buf = bufs[key] = np.zeros(shape, dtype)
    return buf


def _take(shape, dtype, xp=np):
    """An array to own (from the pool of handed-back ones when it has this shape)."""
    free = _POOL.get((shape, dtype)) if xp is np else None
    if free:
        try:
            return free.pop()
        except IndexError:  # another thread took it
            pass
    return xp.empty(shape, dtype)


def _give(a):
    """Hands an array from _take back to the pool."""
    if a.__class__ is _ndarray:
        if len(_POOL) >= 64:
            _POOL.clear()
        free = _POOL.setdefault((a.shape, a.dtype), [])
        if len(free) < 2:
            free.append(a)


def _strided(xp, a, shape, strides):
    return xp.lib.stride_tricks.as_strided(a, shape, strides)


def _prod(s):
    return math.prod(s)


def _none(a, shape):
    """The result when there is nothing to compute: zeros for an empty batch, or (meta input)
    a meta array of the shape."""
    if type(a) is MetaArray:
        return _meta.empty(shape, a.dtype)
    return _xp(a).zeros(shape, a.dtype)


# ---------------------------------------------------------------- array kernels
def _out_size(S, geo):
    """The output's spatial size for an input of spatial size S."""
    k, stride, pads, dil, _ = geo
    return tuple((n + lo + hi - d * (kk - 1) - 1) // s + 1
                 for n, kk, s, (lo, hi), d in zip(S, k, stride, pads, dil))


def _zero_pad(x, pads, value=0):
    """x with its trailing dims padded by (lo, hi) pairs (all >= 0)."""
    if not any(lo or hi for lo, hi in pads):
        return x
    xp = _xp(x)
    lead = x.ndim - len(pads)
    shape = x.shape[:lead] + tuple(s + lo + hi for s, (lo, hi) in zip(x.shape[lead:], pads))
    out = xp.full(shape, value, x.dtype) if value else xp.zeros(shape, x.dtype)
    out[(Ellipsis,) + tuple(slice(lo, lo + s) for s, (lo, _) in zip(x.shape[lead:], pads))] = x
    return out


def _windows(x, k, stride, dil, order):
    """A strided view of x (N, C, *S) as (N, C, *k, *L) windows, axes permuted by `order`."""
    nd = len(k)
    S = x.shape[2:]
    L = tuple((S[i] - dil[i] * (k[i] - 1) - 1) // stride[i] + 1 for i in range(nd))
    st = x.strides
    shape = x.shape[:2] + tuple(k) + L
    strides = st[:2] + tuple(st[2 + i] * dil[i] for i in range(nd)) + tuple(
        st[2 + i] * stride[i] for i in range(nd))
    v = _strided(_xp(x), x, shape, strides)
    return v.transpose(order), L


def _padded(x, pads):
    """x zero-padded in a reused array (its border stays zero: only the interior is written)."""
    if not any(lo or hi for lo, hi in pads):
        return x
    lead = x.ndim - len(pads)
    shape = x.shape[:lead] + tuple(s + lo + hi for s, (lo, hi) in zip(x.shape[lead:], pads))
    out = _scratch(("pad", pads), shape, x.dtype, _xp(x))
    out[(Ellipsis,) + tuple(slice(lo, lo + s) for s, (lo, _) in zip(x.shape[lead:], pads))] = x
    return out


def _rows(shape, geo):
    """(Z, Wq, Ho, Wo) when a stride-1 2-d conv takes its columns from rows: each input row is
    laid out as Z zeros then the W values (the next row's zeros pad its right side), so every
    kernel offset is one flat shift and its column copy runs over whole planes; the output
    grid is then Ho rows of Wq (Wo valid). None where that layout does not fit or wastes much."""
    k, stride, pads, dil, _ = geo
    if len(k) != 2 or stride != (1, 1):
        return None
    (pt, pb), (pl, pr) = pads
    H, W = shape[2:]
    Z = max(pl, pr)
    Ho, Wo = H + pt + pb - dil[0] * (k[0] - 1), W + pl + pr - dil[1] * (k[1] - 1)
    Wq = W + Z
    if Wo > Wq or 4 * Wq > 5 * Wo:
        return None
    return Z, Wq, Ho, Wo


def _im2col(x, geo, keep=False, lay=None):
    """Columns (N, g, C/g*K, L) of x (N, C, *S) for the GEMMs; L the output spatial size, or
    with `lay` from `_rows` its grid: Ho * Wq. They are a scratch array, or with `keep` one from
    _take; returns (cols, L, that array)."""
    k, stride, pads, dil, groups = geo
    xp = _xp(x)
    if lay is not None:
        Z, Wq, Ho, _ = lay
        N, C, H, W = x.shape
        (pt, pb), (pl, _) = pads
        P = (H + pt + pb) * Wq
        flat = _scratch(("rows", x.shape, pt, Z), (N * C * P + Z + dil[1] * k[1],), x.dtype, xp)
        flat[:N * C * P].reshape(N, C, -1, Wq)[:, :, pt:pt + H, Z:] = x  # the rest stays 0
        it = flat.itemsize
        v = _strided(xp, flat[Z - pl:], (N, C) + tuple(k) + (Ho * Wq,),
                     (C * P * it, P * it, dil[0] * Wq * it, dil[1] * it, it))
        L = (Ho * Wq,)
    else:
        x = _padded(x, pads)
        v, L = _windows(x, k, stride, dil, tuple(range(2 + 2 * len(k))))  # (N, C, *k, *L)
    buf = _take(v.shape, x.dtype, xp) if keep else _scratch("cols", v.shape, x.dtype, xp)
    xp.copyto(buf, v)
    return buf.reshape(x.shape[0], groups, -1, _prod(L)), L, buf


def _col2im(cols, S, geo, reuse=False):
    """Adjoint of the window view: cols (N, C, *k, *L) summed into (N, C, *S) (a fresh array;
    with `reuse`, a padded sum goes through a scratch array)."""
    k, stride, pads, dil, _ = geo
    nd = len(k)
    xp = _xp(cols)
    N, C = cols.shape[:2]
    L = cols.shape[2 + nd:]
    Sp = tuple(S[i] + pads[i][0] + pads[i][1] for i in range(nd))
    padded = any(lo or hi for lo, hi in pads)
    if reuse and padded:
        out = _scratch("col2im", (N, C) + Sp, cols.dtype, xp)
        out[...] = 0
    else:
        out = xp.zeros((N, C) + Sp, cols.dtype)
    for offs in itertools.product(*(range(n) for n in k)):
        key = (slice(None), slice(None)) + tuple(
            slice(o * d, o * d + s * (n - 1) + 1, s) for o, d, s, n in zip(offs, dil, stride, L))
        out[key] += cols[(slice(None), slice(None)) + offs]
    if padded:
        out = xp.ascontiguousarray(
            out[(Ellipsis,) + tuple(slice(lo, lo + s) for s, (lo, _) in zip(S, pads))])
    return out


def _conv_fwd(x, w, geo, keep=False, b=None):
    """(y + b, cols, cols' array); cols are scratch unless `keep` (then the caller owns them, in
    the plain layout, which the weight gradient's GEMMs prefer to the `_rows` grid)."""
    lay = None if keep else _rows(x.shape, geo)
    cols, L, buf = _im2col(x, geo, keep, lay)
    groups, O = geo[4], w.shape[0]
    N = x.shape[0]
    xp = _xp(x)
    wm = w.reshape(groups, O // groups, -1)
    if lay is None:
        y = (wm @ cols).reshape((N, O) + L)  # (N, g, O/g, L): NCHW with no transpose
        if b is not None:
            y += b.reshape((-1,) + (1,) * (y.ndim - 2))
        return y, cols, buf
    _, Wq, Ho, Wo = lay
    yq = _scratch("yq", (N, groups, O // groups, Ho * Wq), x.dtype, xp)
    xp.matmul(wm, cols, out=yq)
    yq = yq.reshape(N, O, Ho, Wq)[..., :Wo]
    y = xp.empty((N, O, Ho, Wo), x.dtype)
    if b is None:
        xp.copyto(y, yq)
    else:
        xp.add(yq, b.reshape(-1, 1, 1), out=y)
    return y, cols, buf


def _conv_input_grad(g, w, S, geo):
    k, stride, pads, dil, groups = geo
    if all(s == 1 for s in stride):  # a full correlation: im2col + GEMM beats col2im's adds
        return _full_corr(g, w, geo)
    O, Cg = w.shape[:2]
    N = g.shape[0]
    gm = g.reshape(N, groups, O // groups, -1)
    xp = _xp(g)
    cols = _scratch("dcols", (N, groups, Cg * _prod(k), gm.shape[-1]), g.dtype, xp)
    xp.matmul(w.reshape(groups, O // groups, -1).swapaxes(1, 2), gm, out=cols)
    return _col2im(cols.reshape((N, Cg * groups) + k + g.shape[2:]), S, geo, True)


def _full_corr(g, w, geo):
    """Stride-1 input gradient: g padded by d*(k-1) - pad, against the flipped, swapped w."""
    k, _, pads, dil, groups = geo
    nd = len(k)
    O, Cg = w.shape[:2]
    wt = w.reshape((groups, O // groups, Cg) + k).swapaxes(1, 2)
    wt = wt[(Ellipsis,) + (slice(None, None, -1),) * nd].reshape((groups * Cg, O // groups) + k)
    full = [d * (n - 1) for d, n in zip(dil, k)]
    crop = (Ellipsis,) + tuple(slice(max(lo - f, 0), g.shape[2 + i] - max(hi - f, 0))
                               for i, (f, (lo, hi)) in enumerate(zip(full, pads)))
    more = tuple((max(f - lo, 0), max(f - hi, 0)) for f, (lo, hi) in zip(full, pads))
    return _conv_fwd(g[crop], wt, (k, (1,) * nd, more, dil, groups))[0]


def _conv_weight_grad(x, g, wshape, geo, cols=None):
    groups = geo[4]
    if cols is None:
        cols = _im2col(x, geo)[0]
    N, O = g.shape[:2]
    xp = _xp(g)
    gm = g.reshape(N, groups, O // groups, -1)
    per = _scratch("dw", (N, groups, O // groups, cols.shape[2]), g.dtype, xp)
    xp.matmul(gm, cols.swapaxes(-1, -2), out=per)  # per-sample GEMMs, then summed
    return per.sum(0).reshape(wshape)


# ---------------------------------------------------------------- the three primitives
class Conv(Op):
    """A(x, w) + b: the convolution."""

    _name = "ConvolutionBackward0"
    save_inputs = (0, 1)

    def _grad_slots(self):  # torch's edges: input, weight and bias, (None, 0) without one
        return (0, 1, 2)

    def forward(ctx, x, w, b, geo):
        ctx.geo = geo
        if not x.shape[0] or type(x) is MetaArray:  # a zero-size batch or meta: no kernel
            ctx.cols = ctx.buf = None
            return _none(x, (x.shape[0], w.shape[0]) + _out_size(x.shape[2:], geo))
        keep = _enabled[0]  # a graph may be recorded: backward reuses the columns
        y, cols, buf = _conv_fwd(x, w, geo, keep, b)
        ctx.cols, ctx.buf = (cols, buf) if keep else (None, None)
        return y

    def backward(ctx, grad):
        x, w = ctx.saved_tensors
        need = ctx.needs_input_grad
        geo = ctx.geo
        dx = ConvInputGrad.apply(grad, w, x.shape[2:], geo) if need[0] else None
        dw = ConvWeightGrad.apply(x, grad, w.shape, geo, ctx.cols) if need[1] else None
        db = grad.sum(dim=(0,) + tuple(range(2, grad.dim()))) if need[2] else None
        return dx, dw, db, None

    def jvp(ctx, tx, tw, tb, _):  # conv(tx, w) + conv(x, tw) + tb
        x, w, _, geo = ctx.inputs
        out = None
        for a, b in ((tx, w), (x, tw)):
            if a is not None and b is not None:
                part = Conv.run((a, b, None, geo), (a._data, b._data, None, geo), {})
                out = part if out is None else out + part
        if tb is not None:
            tb = tb.reshape((-1,) + (1,) * (ctx.result.dim() - 2))
            out = tb.expand(ctx.result.shape) if out is None else out + tb
        return out

    def _release(self):
        buf = self.__dict__.get("buf")
        self.cols = self.buf = None
        if buf is not None:
            _give(buf)
        Op._release(self)

    def __del__(self):  # a graph dropped without backward, or no graph recorded
        buf = self.__dict__.get("buf")
        if buf is not None:
            self.cols = self.buf = None
            _give(buf)


class ConvInputGrad(Op):
    """B(g, w): adjoint of Conv in x (conv_transpose's forward), with S the input's size."""

    _name = "ConvolutionBackwardBackward0"
    jvp = _fwd.multilinear
    save_inputs = (0, 1)

    def forward(ctx, g, w, S, geo):
        ctx.geo = geo
        if not g.shape[0] or type(g) is MetaArray:
            return _none(g, (g.shape[0], w.shape[1] * geo[4]) + tuple(S))
        return _conv_input_grad(g, w, S, geo)

    def backward(ctx, grad):
        g, w = ctx.saved_tensors
        need = ctx.needs_input_grad
        dg = Conv.apply(grad, w, None, ctx.geo) if need[0] else None
        dw = ConvWeightGrad.apply(grad, g, w.shape, ctx.geo) if need[1] else None
        return dg, dw, None, None


class ConvWeightGrad(Op):
    """C(x, g): adjoint of Conv in w."""

    _name = "ConvolutionBackwardBackward0"
    jvp = _fwd.transposed
    save_inputs = (0, 1)

    def forward(ctx, x, g, wshape, geo, cols=None):
        ctx.geo = geo
        if not x.shape[0] or type(x) is MetaArray:
            return _none(g, wshape)
        return _conv_weight_grad(x, g, wshape, geo, cols)

    def backward(ctx, grad):
        x, g = ctx.saved_tensors
        need = ctx.needs_input_grad
        dx = ConvInputGrad.apply(g, grad, x.shape[2:], ctx.geo) if need[0] else None
        dg = Conv.apply(x, grad, None, ctx.geo) if need[1] else None
        return dx, dg, None, None, None


# ---------------------------------------------------------------- argument checks
def _ntuple(v, n, name):
    if isinstance(v, numbers.Integral):
        return (int(v),) * n
    v = tuple(int(a) for a in v)
    if len(v) == 1:
        return v * n
    if len(v) != n:
        raise RuntimeError(f"expected {name} to be a single integer value or a list of {n} values "
                           f"to match the convolution dimensions, but got {name}={list(v)}")
    return v


def _sz(s):
    return "[" + ", ".join(str(int(a)) for a in s) + "]"


def _check_dtypes(x, w, b):
    for t in (w, b):
        if t is not None and t.dtype is not x.dtype:
            raise RuntimeError(f"expected scalar type {x.dtype._legacy[:-6]} but found "
                               f"{t.dtype._legacy[:-6]}")


def _batched(input, nd, name):
    if input.dim() not in (nd + 1, nd + 2):
        raise RuntimeError(f"Expected {nd + 1}D (unbatched) or {nd + 2}D (batched) input to "
                           f"{name}, but got input of size: {_sz(input.shape)}")
    return input.dim() == nd + 2


def _geometry(input, weight, stride, padding, dilation, groups, nd):
    k = tuple(weight.shape[2:])
    stride = _ntuple(stride, nd, "stride")
    dil = _ntuple(dilation, nd, "dilation")
    if isinstance(padding, str):
        if padding == "valid":
            pads = ((0, 0),) * nd
        elif padding == "same":
            if any(s != 1 for s in stride):
                raise RuntimeError("padding='same' is not supported for strided convolutions")
            tot = [d * (n - 1) for d, n in zip(dil, k)]
            pads = tuple((t // 2, t - t // 2) for t in tot)
        else:
            raise RuntimeError(f"Invalid padding string: '{padding}'")
    else:
        p = _ntuple(padding, nd, "padding")
        if any(a < 0 for a in p):
            raise RuntimeError("negative padding is not supported")
        pads = tuple((a, a) for a in p)
    if any(s <= 0 for s in stride):
        raise RuntimeError("non-positive stride is not supported")
    if any(d <= 0 for d in dil):
        raise RuntimeError(f"dilation should be greater than zero, but got {list(dil)}")
    return k, stride, pads, dil, int(groups)


def _check_channels(input, weight, bias, groups, transposed):
    ws = _sz(weight.shape)
    if weight.shape[0] < groups:
        raise RuntimeError(f"Given groups={groups}, expected weight to be at least {groups} at "
                           f"dimension 0, but got weight of size {ws} instead")
    if weight.shape[0] % groups:
        raise RuntimeError(f"Given groups={groups}, expected weight to be divisible by {groups} "
                           f"at dimension 0, but got weight of size [{ws}] instead")
    want = weight.shape[0] if transposed else weight.shape[1] * groups
    if input.shape[1] != want:
        head = "Given transposed=1" if transposed else f"Given groups={groups}"
        raise RuntimeError(f"{head}, weight of size {ws}, expected input{_sz(input.shape)} to "
                           f"have {want} channels, but got {input.shape[1]} channels instead")
    out_c = weight.shape[1] * groups if transposed else weight.shape[0]
    if bias is not None and (bias.dim() != 1 or bias.shape[0] != out_c):
        raise RuntimeError(f"Given weight of size {ws}, expected bias to be 1-dimensional with "
                           f"{out_c} elements, but got bias of size {_sz(bias.shape)} instead")


def _check_size(input, geo):
    k, _, pads, dil, _ = geo
    S = input.shape[2:]
    Sp = [s + lo + hi for s, (lo, hi) in zip(S, pads)]
    kd = [d * (n - 1) + 1 for d, n in zip(dil, k)]
    if any(a < b for a, b in zip(Sp, kd)):
        raise RuntimeError(
            f"Calculated padded input size per channel: ({' x '.join(map(str, Sp))}). Kernel "
            f"size: ({' x '.join(map(str, kd))}). Kernel size can't be greater than actual input "
            "size")


def _check_empty(input):
    """torch's convolutions take a zero-size batch or channel count, no other empty input."""
    shape = input.shape
    if shape[0] and shape[1] and 0 in shape:
        if len(shape) == 3:  # torch reports a 1-d convolution's input as its 2-d view
            shape = shape[:2] + (1,) + shape[2:]
        raise RuntimeError("Only zero batch or zero channel inputs are supported, but got input "
                           f"shape: {_sz(shape)}")


def _conv(nd, name, input, weight, bias, stride, padding, dilation, groups):
    batched = _batched(input, nd, name)
    if not batched:
        input = input.unsqueeze(0)
    _check_dtypes(input, weight, bias)
    geo = _geometry(input, weight, stride, padding, dilation, groups, nd)
    _check_channels(input, weight, bias, geo[4], False)
    _check_size(input, geo)
    _check_empty(input)
    out = Conv.apply(input, weight, bias, geo)
    return out if batched else out.squeeze(0)


def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """Matches torch.nn.functional.conv1d."""
    if _amp.on and _amp.active():
        return _amp.lower(conv1d, input, weight, bias, stride, padding, dilation, groups)
    return _conv(1, "conv1d", input, weight, bias, stride, padding, dilation, groups)


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """Matches torch.nn.functional.conv2d."""
    if _amp.on and _amp.active():
        return _amp.lower(conv2d, input, weight, bias, stride, padding, dilation, groups)
    return _conv(2, "conv2d", input, weight, bias, stride, padding, dilation, groups)


def conv3d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """Matches torch.nn.functional.conv3d."""
    if _amp.on and _amp.active():
        return _amp.lower(conv3d, input, weight, bias, stride, padding, dilation, groups)
    return _conv(3, "conv3d", input, weight, bias, stride, padding, dilation, groups)


_AXES = ("depth", "height", "width")


def _conv_transpose(nd, name, input, weight, bias, stride, padding, output_padding, groups,
                    dilation):
    batched = _batched(input, nd, name)
    if not batched:
        input = input.unsqueeze(0)
    _check_dtypes(input, weight, bias)
    geo = _geometry(input, weight, stride, padding, dilation, groups, nd)
    op = _ntuple(output_padding, nd, "output_padding")
    _, stride, pads, dil, groups = geo
    if any(o >= s and o >= d for o, s, d in zip(op, stride, dil)):
        ax = _AXES[3 - nd:]
        raise RuntimeError(
            "output padding must be smaller than either stride or dilation, but got "
            + " ".join(f"output_padding_{a}: {o}" for a, o in zip(ax, op)) + " "
            + " ".join(f"stride_{a}: {s}" for a, s in zip(ax, stride)) + " "
            + " ".join(f"dilation_{a}: {d}" for a, d in zip(ax, dil)))
    _check_channels(input, weight, bias, groups, True)
    _check_empty(input)
    S = tuple((n - 1) * s - lo - hi + d * (k - 1) + o + 1 for n, s, (lo, hi), d, k, o in
              zip(input.shape[2:], stride, pads, dil, weight.shape[2:], op))
    out = ConvInputGrad.apply(input, weight, S, geo)
    if bias is not None:
        out = out + bias.reshape((-1,) + (1,) * nd)
    return out if batched else out.squeeze(0)


def conv_transpose1d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1,
                     dilation=1):
    """Matches torch.nn.functional.conv_transpose1d."""
    if _amp.on and _amp.active():
        return _amp.lower(conv_transpose1d, input, weight, bias, stride, padding, output_padding,
                          groups, dilation)
    return _conv_transpose(1, "conv_transpose1d", input, weight, bias, stride, padding,
                           output_padding, groups, dilation)


def conv_transpose2d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1,
                     dilation=1):
    """Matches torch.nn.functional.conv_transpose2d."""
    if _amp.on and _amp.active():
        return _amp.lower(conv_transpose2d, input, weight, bias, stride, padding, output_padding,
                          groups, dilation)
    return _conv_transpose(2, "conv_transpose2d", input, weight, bias, stride, padding,
                           output_padding, groups, dilation)


def conv_transpose3d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1,
                     dilation=1):
    """Matches torch.nn.functional.conv_transpose3d."""
    if _amp.on and _amp.active():
        return _amp.lower(conv_transpose3d, input, weight, bias, stride, padding, output_padding,
                          groups, dilation)
    return _conv_transpose(3, "conv_transpose3d", input, weight, bias, stride, padding,
                           output_padding, groups, dilation)


# ---------------------------------------------------------------- unfold / fold
class Unfold(Op):
    _name = "Im2ColBackward0"
    _aten = "im2col"
    jvp = _fwd.linear

    def forward(ctx, x, geo):
        ctx.geo, ctx.S = geo, x.shape[2:]
        nd = len(geo[0])
        if type(x) is MetaArray:  # shapes only
            k, stride, pads, dil, _ = geo
            L = tuple((s + lo + hi - d * (n - 1) - 1) // st + 1
                      for s, (lo, hi), d, n, st in zip(x.shape[2:], pads, dil, k, stride))
            return _meta.empty((x.shape[0], x.shape[1] * _prod(k), _prod(L)), x.dtype)
        v, L = _windows(_zero_pad(x, geo[2]), geo[0], geo[1], geo[3], tuple(range(2 + 2 * nd)))
        return _xp(x).ascontiguousarray(v).reshape(x.shape[0], x.shape[1] * _prod(geo[0]),
                                                   _prod(L))  # -1 fails on an empty batch

    def backward(ctx, grad):
        return Fold.apply(grad, ctx.S, ctx.geo), None


class Fold(Op):
    _name = "Col2ImBackward0"
    _aten = "col2im"
    jvp = _fwd.linear

    def forward(ctx, cols, S, geo):
        ctx.geo = geo
        k, stride, pads, dil, _ = geo
        L = tuple((s + lo + hi - d * (n - 1) - 1) // st + 1
                  for s, (lo, hi), d, n, st in zip(S, pads, dil, k, stride))
        N = cols.shape[0]
        C = cols.shape[1] // _prod(k)  # (not -1: an empty batch has size 0)
        return _col2im(cols.reshape((N, C) + tuple(k) + L), S, geo)

    def backward(ctx, grad):
        return Unfold.apply(grad, ctx.geo), None, None


def _fold_geo(kernel_size, dilation, padding, stride):
    k = _ntuple(kernel_size, 2, "kernel_size")
    p = _ntuple(padding, 2, "padding")
    return k, _ntuple(stride, 2, "stride"), tuple((a, a) for a in p), \
        _ntuple(dilation, 2, "dilation"), 1


def unfold(input, kernel_size, dilation=1, padding=0, stride=1):
    """Matches torch.nn.functional.unfold (4-d input, or 3-d unbatched)."""
    geo = _fold_geo(kernel_size, dilation, padding, stride)
    nd = input.dim()
    if nd < 3:  # torch's im2col reads size(nd) first
        raise IndexError("Dimension specified as 1 but tensor has no dimensions" if not nd else
                         f"Dimension out of range (expected to be in range of [{-nd}, {nd - 1}], "
                         f"but got {nd})")
    if nd > 4:
        raise RuntimeError("Expected 3D or 4D (batch mode) tensor with possibly 0 batch size and "
                           "other non-zero dimensions for input, but got: "
                           f"[{', '.join(map(str, input.shape))}]")
    batched = nd == 4
    if not batched:
        input = input.unsqueeze(0)
    out = Unfold.apply(input, geo)
    return out if batched else out.squeeze(0)


def fold(input, output_size, kernel_size, dilation=1, padding=0, stride=1):
    """Matches torch.nn.functional.fold (3-d input, or 2-d unbatched)."""
    geo = _fold_geo(kernel_size, dilation, padding, stride)
    S = _ntuple(output_size, 2, "output_size")
    if input.dim() not in (2, 3):
        raise RuntimeError("Expected 2D or 3D (batch mode) tensor for input with possibly 0 batch "
                           "size and non-zero dimensions for input, but got: "
                           f"[{', '.join(map(str, input.shape))}]")
    batched = input.dim() == 3
    if not batched:
        input = input.unsqueeze(0)
    kk = _prod(geo[0])
    if input.shape[1] % kk:
        raise RuntimeError(
            "Expected size of input's dimension 1 to be divisible by the product of kernel_size, "
            f"but got input.size(1)={input.shape[1]} and kernel_size={geo[0]}.")
    k, st, pads, dil, _ = geo
    L = [(s + lo + hi - d * (n - 1) - 1) // t + 1 for s, (lo, hi), d, n, t in
         zip(S, pads, dil, k, st)]
    if input.shape[2] != L[0] * L[1]:
        raise RuntimeError(
            f"Given output_size={S}, kernel_size={k}, dilation={dil}, padding="
            f"{tuple(p for p, _ in pads)}, stride={st}, expected size of input's dimension 2 to "
            f"match the calculated number of sliding blocks {L[0]} * {L[1]} = {L[0] * L[1]}, "
            f"but got input.size(2)={input.shape[2]}.")
    out = Fold.apply(input, S, geo)
    return out if batched else out.squeeze(0)


# ---------------------------------------------------------------- padding
def _pad_index(n, lo, hi, mode):
    j = np.arange(-lo, n + hi)
    if mode == "reflect":
        j = np.abs(j)
        return np.where(j >= n, 2 * (n - 1) - j, j)
    if mode == "replicate":
        return np.clip(j, 0, n - 1)
    # circular, as torch's: crop the negative pads first, then wrap around what is left (where
    # nothing is left torch reads memory it never wrote; ember reads the first element)
    m = n + min(lo, 0) + min(hi, 0)
    j = np.arange(-max(lo, 0), m + max(hi, 0))
    return (j % m if m > 0 else j * 0) + max(-lo, 0)


class Pad(Op):
    """Pads the trailing dims by (lo, hi) pairs; negative constant pads crop."""

    _name = "ConstantPadNdBackward0"

    def jvp(ctx, t, *_):  # linear in x; the constant fills with the tangent's zero
        return Pad.apply(t, ctx.inputs[1], ctx.inputs[2], 0)

    def forward(ctx, x, pads, mode, value):
        ctx.pads, ctx.mode, ctx.shape = pads, mode, x.shape
        if mode == "constant":
            lead = x.ndim - len(pads)
            crop = (Ellipsis,) + tuple(slice(max(-lo, 0), s - max(-hi, 0))
                                       for s, (lo, hi) in zip(x.shape[lead:], pads))
            pos = tuple((max(lo, 0), max(hi, 0)) for lo, hi in pads)
            y = _zero_pad(x[crop], pos, value)
            return y.copy() if y is x or y.base is x else y
        xp = _xp(x)
        for i, (lo, hi) in enumerate(pads):
            ax = x.ndim - len(pads) + i
            x = xp.take(x, xp.asarray(_pad_index(x.shape[ax], lo, hi, mode)), axis=ax)
        return x

    def backward(ctx, grad):
        return PadGrad.apply(grad, ctx.pads, ctx.mode, ctx.shape), None, None, None


class PadGrad(Op):
    """Adjoint of Pad: interior slice plus the pad borders added back where they came from."""

    _name = "ConstantPadNdBackwardBackward0"
    jvp = _fwd.linear

    def forward(ctx, g, pads, mode, shape):
        ctx.pads, ctx.mode = pads, mode
        xp = _xp(g)
        lead = g.ndim - len(pads)
        if mode == "constant":
            out = xp.zeros(shape, g.dtype)
            src = tuple(slice(max(lo, 0), max(lo, 0) + s - max(-lo, 0) - max(-hi, 0))
                        for s, (lo, hi) in zip(shape[lead:], pads))
            dst = tuple(slice(max(-lo, 0), s - max(-hi, 0))
                        for s, (lo, hi) in zip(shape[lead:], pads))
            out[(Ellipsis,) + dst] = g[(Ellipsis,) + src]
            return out
        for i, (lo, hi) in enumerate(pads):
            ax = lead + i
            n = shape[ax]
            idx = _pad_index(n, lo, hi, mode)
            if lo < 0 or hi < 0:  # a crop too: every output index adds into its source
                gm = xp.moveaxis(g, ax, 0)
                acc = xp.zeros((n,) + gm.shape[1:], g.dtype)
                xp.add.at(acc, xp.asarray(idx), gm)
                g = xp.ascontiguousarray(xp.moveaxis(acc, 0, ax))
                continue
            pre = (slice(None),) * ax
            acc = g[pre + (slice(lo, lo + n),)].copy()
            for j in itertools.chain(range(lo), range(lo + n, lo + n + hi)):
                acc[pre + (int(idx[j]),)] += g[pre + (j,)]
            g = acc
        return g

    def backward(ctx, grad):
        return Pad.apply(grad, ctx.pads, ctx.mode, 0), None, None, None


_PAD_HELP = ("Supported combinations for non-constant padding:\n"
             "  - 2D or 3D input: padding size = 2 (pads last dimension)\n"
             "  - 3D or 4D input: padding size = 4 (pads last 2 dimensions)\n"
             "  - 4D or 5D input: padding size = 6 (pads last 3 dimensions)")


def pad(input, pad, mode="constant", value=None):
    """Matches torch.nn.functional.pad: `pad` lists (lo, hi) from the last dim backwards."""
    pad = [int(p) for p in pad]
    if len(pad) % 2:
        raise RuntimeError("Padding length must be divisible by 2")
    if len(pad) // 2 > input.dim():
        raise RuntimeError("Padding length should be less than or equal to two times the input "
                           f"dimension but got padding length {len(pad)} and input of "
                           f"dimension {input.dim()}")
    pairs = tuple((pad[2 * i], pad[2 * i + 1]) for i in range(len(pad) // 2))[::-1]
    shape = tuple(input.shape)
    if mode == "constant":
        _check_crop(shape, pairs)
        r = Pad.apply(input, pairs, mode, 0 if value is None else value)
        if r.grad_fn is not None:
            r.grad_fn._given = tuple(pad)  # torch's saved `pad`
        return r
    if mode not in ("reflect", "replicate", "circular"):
        raise NotImplementedError(f"Unrecognised padding mode {mode}")
    n = len(pairs)
    if input.dim() not in (n + 1, n + 2) or n > 3:
        raise NotImplementedError(f"Padding size {len(pad)} is not supported for "
                                  f"{input.dim()}D input tensor.\n{_PAD_HELP}")
    if _amp.on and (n < 3 or mode == "replicate") and mode != "circular" and _amp.active():
        return _amp.fp32(_pad, input, pad, mode, value)  # torch's reflection/replication_pad
    if mode == "circular":
        _check_circular(shape, pairs)
    else:
        _check_border_pad(shape, pairs, mode)
    if mode == "circular":
        return Pad.apply(input, pairs, mode, 0)
    r = BorderPad.apply(input, pairs, mode, 0)
    if r.grad_fn is not None:  # torch's node per mode and rank, with its saved `padding`
        kind = "Reflection" if mode == "reflect" else "Replication"
        r.grad_fn._name = f"{kind}Pad{n}DBackward0"
        r.grad_fn._given = tuple(pad)
    return r


class BorderPad(Pad):
    """Reflect / replicate padding: torch's node saves the input."""

    save_inputs = (0,)


_pad = pad  # the function, which pad's own argument shadows


def _check_crop(shape, pairs):
    """torch crops a negative constant pad with narrow(), which refuses a negative length."""
    lead = len(shape) - len(pairs)
    for n, (lo, hi) in zip(shape[lead:], pairs):
        for p in (lo, hi):
            if p < 0:
                n += p
                if n < 0:
                    raise RuntimeError("narrow(): length must be non-negative.")


def _check_circular(shape, pairs):
    lead = len(shape) - len(pairs)
    for n, (lo, hi) in zip(shape[lead:], pairs):
        if lo > n or hi > n:
            raise RuntimeError("Padding value causes wrapping around more than once.")
        if n + lo + hi < 0:
            raise RuntimeError("Negative padding value is resulting in an empty dimension")


def _check_border_pad(shape, pairs, mode):
    """torch's checks of reflection / replication padding, in torch's order and words (the
    size check of a 2-d or 3-d pad passes while any output dim is positive)."""
    nd = len(pairs)
    if not all(shape[len(shape) == nd + 2:]):
        raise RuntimeError(f"Expected {nd + 1}D or {nd + 2}D (batch mode) tensor with possibly 0 "
                           "batch size and other non-zero dimensions for input, but got: "
                           f"{_sz(shape)}")
    lead = len(shape) - nd
    S = shape[lead:]
    if mode == "reflect":
        for i in reversed(range(nd)):  # W first, as torch
            lo, hi = pairs[i]
            if lo >= S[i] or hi >= S[i]:
                raise RuntimeError(
                    f"Argument #{4 + 2 * (nd - 1 - i)}: Padding size should be less than the "
                    f"corresponding input dimension, but got: padding ({lo}, {hi}) at dimension "
                    f"{lead + i} of input {_sz(shape)}")
    out = tuple(n + lo + hi for n, (lo, hi) in zip(S, pairs))
    if all(o < 1 for o in out):
        names = "DHW"[3 - nd:]
        if nd == 1:
            sizes = f"W: {S[0]})"
        elif nd == 2:
            sizes = f"H: {S[0]}, W: {S[1]}{' ' if mode == 'replicate' else ''})"
        else:
            sizes = f"D: {S[0]} H: {S[1]}, W: {S[2]})"
        raise RuntimeError(f"input ({sizes} is too small. Calculated output "
                           + " ".join(f"{a}: {o}" for a, o in zip(names, out)))
    neg = [o for o in out if o < 0]
    if neg:
        if nd == 2 and mode == "reflect":
            raise RuntimeError("numel: integer multiplication overflow")
        raise RuntimeError(f"Trying to create tensor with negative dimension {neg[0]}: "
                           f"{_sz(shape[:lead] + out)}")
