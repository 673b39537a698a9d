"""Convolution's array kernels: im2col / col2im and the three GEMM directions (the primitives
that use them are in `_conv.py`).

A convolution is one bilinear map y = A(x, w). Its two adjoints are B (the input gradient, which
is also conv_transpose's forward) and C (the weight gradient). Each is a primitive whose backward
is written with the other two, so first and higher derivatives come from three array kernels:
  A: im2col through an as_strided window view (`_col_view`), copied to (N, C*K, L) columns,
     one GEMM per sample. The batch goes through in chunks of about `_CHUNK` bytes of columns,
     each copied, multiplied and given its bias while still in the core's cache. For float32
     GEMMs above `_WIDE` a chunk's columns are laid out (C*K, m, L) and one GEMM covers its m
     samples (`_conv_fwd_wide`): the same bits with OpenBLAS's SkylakeX kernels; its Haswell
     kernels (AVX2) sum in another order there, last bits apart (neither is torch's oneDNN).
  B: at stride 1 a full correlation of g with the flipped weight (A's kernel, chunked too);
     otherwise one GEMM to columns, then col2im by strided adds over the K kernel offsets only.
  C: per-sample GEMMs of the columns (A's, reused when A saved them, in either layout)
     against the output gradient, giving dW^T per sample, summed over the batch.
Groups add a leading batch axis to the GEMMs.

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

_ndarray = np.ndarray
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


def _col_view(x, geo, lay=None):
    """The strided view (N, C, *k, *L) of x whose copy is im2col's columns, and L (with `lay`
    from `_rows`: the rows grid, L = (Ho * Wq,))."""
    k, stride, pads, dil, _ = geo
    xp = _xp(x)
    if lay is None:
        x = _padded(x, pads)
        return _windows(x, k, stride, dil, tuple(range(2 + 2 * len(k))))
    Z, Wq, Ho, _ = lay
    N, C, H, W = x.shape
    (pt, pb), (pl, _) = pads
    P = (H + pt + pb) * Wq
    flat = _scratch(("rows", x.shape, pt, Z), (N * C * P + Z + dil[1] * k[1],), x.dtype, xp)
    flat[:N * C * P].reshape(N, C, -1, Wq)[:, :, pt:pt + H, Z:] = x  # the rest stays 0
    it = flat.itemsize
    v = _strided(xp, flat[Z - pl:], (N, C) + tuple(k) + (Ho * Wq,),
                 (C * P * it, P * it, dil[0] * Wq * it, dil[1] * it, it))
    return v, (Ho * Wq,)


def _im2col(x, geo, keep=False, lay=None):
    """Columns (N, g, C/g*K, L) of x (N, C, *S) for the GEMMs; L the output spatial size, or
    with `lay` from `_rows` its grid: Ho * Wq. They are a scratch array, or with `keep` one from
    _take; returns (cols, L, that array)."""
    xp = _xp(x)
    v, L = _col_view(x, geo, lay)
    buf = _take(v.shape, x.dtype, xp) if keep else _scratch("cols", v.shape, x.dtype, xp)
    xp.copyto(buf, v)
    return buf.reshape(x.shape[0], geo[4], -1, _prod(L)), L, buf


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


_CHUNK = 1 << 20  # bytes of columns per GEMM: they are still in the core's cache when it runs
# Multiply-adds of one sample's GEMM above which a chunk's samples share one GEMM (float32 on
# NumPy). OpenBLAS sums each element's dot product in one k order in its packed GEMM whatever
# the matrix sizes, so the shared GEMM gives the per-sample products' bits; at or below this
# size a per-sample GEMM may run OpenBLAS's small-matrix or direct kernels, whose order can
# differ (and float64's dgemm differs at some sizes above it too), so those keep one per sample.
_WIDE = 1_000_000


def _conv_fwd(x, w, geo, keep=False, b=None):
    """(y + b, cols, cols' array); cols are scratch unless `keep` (then the caller owns them, in
    the plain layout, which the weight gradient's GEMMs prefer to the `_rows` grid, or on the
    wide path as (flat array, m): chunks of m samples' (C*K, m, L) columns).

    The batch goes through in chunks of about _CHUNK bytes of columns: each chunk's columns are
    copied, multiplied and given their bias while they are still in cache (the chunks' GEMMs
    are the same per-sample products as one batched call, so the values do not change). Where
    `_WIDE` allows, a chunk's columns are laid out (C*K, m, L) so that one GEMM covers its m
    samples, and the (O, m, L) product is scattered into y's (m, O, L) slots with the bias."""
    lay = None if keep else _rows(x.shape, geo)
    xp = _xp(x)
    v, L = _col_view(x, geo, lay)
    groups, O = geo[4], w.shape[0]
    N = x.shape[0]
    wm = w.reshape(groups, O // groups, -1)
    per, Lf = _prod(v.shape[1:]), _prod(L)
    m = max(1, min(N, _CHUNK // (per * x.itemsize))) if xp is np else N
    wide = (xp is np and x.dtype == np.float32 and N > 1 and m > 1
            and wm.shape[1] * wm.shape[2] * Lf > _WIDE)
    if keep and wide:  # kept in the chunks' layout, which `_conv_weight_grad` reads
        buf = _take((N * per,), x.dtype)
        cols = (buf, m)
    elif keep:
        buf = _take(v.shape, x.dtype, xp)
        cols = buf.reshape(N, groups, -1, Lf)
    else:
        buf = cols = None
        if not wide:
            part = _scratch("cols", (m,) + v.shape[1:], x.dtype, xp)
            pcols = part.reshape(m, groups, -1, Lf)
    bias = None if b is None else b.reshape((-1,) + (1,) * (x.ndim - 2))
    if lay is None:
        y = xp.empty((N, groups, O // groups, Lf), x.dtype)  # NCHW with no transpose
    else:
        _, Wq, Ho, Wo = lay
        y = xp.empty((N, O, Ho, Wo), x.dtype)
    if wide:
        return _conv_fwd_wide(v, len(geo[0]), wm, y, lay, m, bias, buf), cols, buf
    if lay is not None:
        yq = _scratch("yq", (m, groups, O // groups, Ho * Wq), x.dtype, xp)
    for i in range(0, N, m):
        j = min(i + m, N)
        if keep:
            xp.copyto(buf[i:j], v[i:j])
            c = cols[i:j]
        else:
            xp.copyto(part[:j - i], v[i:j])
            c = pcols[:j - i]
        if lay is None:
            yi = y[i:j]
            xp.matmul(wm, c, out=yi)
            if bias is not None:
                yi = yi.reshape((j - i, O) + L)
                yi += bias
            continue
        q = yq[:j - i]
        xp.matmul(wm, c, out=q)
        q = q.reshape(j - i, O, Ho, Wq)[..., :Wo]
        if bias is None:
            xp.copyto(y[i:j], q)
        else:
            xp.add(q, bias, out=y[i:j])
    if lay is None:
        y = y.reshape((N, O) + L)
    if not keep:
        cols = None
    return y, cols, buf


def _conv_fwd_wide(v, nd, wm, y, lay, m, bias, buf):
    """`_conv_fwd`'s chunks with one GEMM per chunk (v has nd kernel axes): the columns of
    samples i:j are copied to (C*K, j-i, L) (in `buf`, flat, from element i*C*K*L, when they
    are kept), multiplied as (O, C*K) @ (C*K, (j-i)*L), and the (O, j-i, L) product is moved
    into y with the bias."""
    xp = np
    N = v.shape[0]
    groups, Og, CKg = wm.shape
    O = groups * Og
    Lsh = v.shape[2 + nd:]
    Lf = _prod(Lsh)
    dt = y.dtype
    per = _prod(v.shape[1:])
    flat = _scratch("colsT", (per * m,), dt) if buf is None else None
    qflat = _scratch("yT", (O * m * Lf,), dt)
    move = (1,) + tuple(range(2, 2 + nd)) + (0,) + tuple(range(2 + nd, v.ndim))
    yv = y.reshape(N, O, -1)
    for i in range(0, N, m):
        j = min(i + m, N)
        n = j - i
        part = flat[:per * n] if buf is None else buf[i * per:j * per]
        xp.copyto(part.reshape(v.shape[1:2 + nd] + (n,) + Lsh), v[i:j].transpose(move))
        q = qflat[:O * n * Lf].reshape(groups, Og, n * Lf)
        xp.matmul(wm, part.reshape(groups, CKg, n * Lf), out=q)
        q = q.reshape(O, n, Lf).transpose(1, 0, 2)
        if lay is None:
            dst = yv[i:j]
        else:
            _, Wq, Ho, Wo = lay
            q = q.reshape(n, O, Ho, Wq)[..., :Wo]
            dst = y[i:j]
        if bias is None:
            xp.copyto(dst, q)
        elif lay is None:
            xp.add(q, bias.reshape((O,) + (1,) * (q.ndim - 2)), out=dst)
        else:  # rows of Wo: the bias added to the contiguous product first (the same sums),
            # then one copy (NumPy's three-operand loop pays more per short row than a copy)
            qc = qflat[:O * n * Lf].reshape(O, n * Lf)
            xp.add(qc, bias.reshape(O, 1), out=qc)
            xp.copyto(dst, q)
    if lay is None:
        return y.reshape((N, O) + Lsh)
    return y


def _conv_input_grad(g, w, S, geo):
    k, stride, pads, dil, groups = geo
    if all(s == 1 for s in stride):  # a full correlation: im2col + GEMM beats col2im's adds
        # (conv_transpose's output_padding e, dilation > e: the high side is cut by hi - e,
        # which may be negative: then the output reaches past the last input's reach)
        pads = tuple((lo, hi - (n - (m + d * (kk - 1) - lo - hi))) for n, m, (lo, hi), d, kk in
                     zip(S, g.shape[2:], pads, dil, k))
        return _full_corr(g, w, (k, stride, pads, dil, groups))
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
    if type(cols) is tuple:  # `_conv_fwd_wide`'s kept chunks: (C*K, m, L) each, m at a time
        buf, m = cols
        L = gm.shape[-1]
        CKg = buf.size // (N * groups * L)
        per = _scratch("dw", (N, groups, CKg, O // groups), g.dtype, xp)
        for i in range(0, N, m):
            j = min(i + m, N)
            c = buf[i * CKg * groups * L:j * CKg * groups * L].reshape(groups, CKg, j - i, L)
            xp.matmul(c.transpose(2, 0, 1, 3), gm[i:j].swapaxes(-1, -2), out=per[i:j])
        return xp.ascontiguousarray(per.sum(0).swapaxes(-1, -2)).reshape(wshape)
    # per-sample GEMMs of dW^T = cols g^T, then summed: the transposed products are the same
    # dot products bit for bit, and OpenBLAS runs this orientation 20-30 % faster here
    per = _scratch("dw", (N, groups, cols.shape[2], O // groups), g.dtype, xp)
    xp.matmul(cols, gm.swapaxes(-1, -2), out=per)
    return xp.ascontiguousarray(per.sum(0).swapaxes(-1, -2)).reshape(wshape)


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
