"""Adaptive pools and the indexed pools: adaptive avg/max pool, max_unpool.

Adaptive average pooling (and interpolation, in _resample.py) is `Separable`: one small matrix per
spatial dim, applied by matmul, so it is its own adjoint's kind and differentiates to any order.
For float32/float64 adaptive average pooling computes its values and first gradient as torch's
kernels do instead (`AdaptiveAvg`: window sums in raster order), the matrices staying for
double backward.
Indexed gathers/scatters (`GatherFlat`, `ScatterFlat`) serve adaptive max pool and max_unpool.
"""

import itertools
import math
import numbers

import numpy as np

from .._dtype import F32_64 as _F32_64
from .._meta import MetaArray
from .._tensor import _wrap
from ..amp import _hook as _amp
from ..autograd import forward_ad as _fwd
from ..autograd import grad_mode as _gm
from ..autograd.function import Op
from ._conv_kernels import _xp

_enabled = _gm._enabled


def _apply_mats(x, mats):
    """x with its trailing len(mats) dims each mapped by a (out, in) matrix: matmul, or where x
    holds inf or NaN, each output as the sum of its nonzero taps only (a 0 * inf in the product
    would make every output of the row NaN; torch reads only the taps)."""
    xp = _xp(x)
    nd = len(mats)
    if type(x) is not MetaArray and x.dtype.kind in "fc" and x.size and \
            not bool(xp.isfinite(x.sum())):  # a sum that overflows also takes the taps
        return _apply_taps(x, mats)
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


def _apply_taps(x, mats):
    """`_apply_mats` reading only each output's nonzero taps, in increasing input order."""
    xp = _xp(x)
    nd = len(mats)
    for i, m in enumerate(mats):
        if m is None:
            continue
        m = np.asarray(m.get() if hasattr(m, "get") else m)
        ax = x.ndim - nd + i
        bshape = [1] * x.ndim
        bshape[ax] = -1
        rows, cols = np.nonzero(m)  # row by row, columns increasing
        rank = np.arange(rows.size) - np.searchsorted(rows, rows)  # a tap's place in its row
        y = None
        for t in range(int(rank.max()) + 1 if rank.size else 0):
            sel = rank == t
            idx = np.zeros(m.shape[0], np.int64)
            idx[rows[sel]] = cols[sel]
            w = np.zeros(m.shape[0], x.dtype)
            w[rows[sel]] = m[rows[sel], cols[sel]]
            term = xp.take(x, xp.asarray(idx), axis=ax) * xp.asarray(w).reshape(bshape)
            has = np.zeros(m.shape[0], bool)
            has[rows[sel]] = True
            if y is None:
                y = term if has.all() else xp.where(xp.asarray(has).reshape(bshape), term, 0)
            else:
                y = xp.where(xp.asarray(has).reshape(bshape), y + term, y)
        x = y if y is not None else xp.zeros(x.shape[:ax] + (m.shape[0],) + x.shape[ax + 1:],
                                             x.dtype)
    return xp.ascontiguousarray(x)


class Separable(Op):
    """y = x mapped along each trailing dim by a matrix; its adjoint uses the transposes."""

    _name = "UpsampleBackward0"
    jvp = _fwd.linear

    def forward(ctx, x, mats):
        ctx.mats = mats
        xp = _xp(x)
        if x.dtype.kind == "u" or x.dtype.itemsize < 4 and x.dtype.kind in "fV":
            # uint8 images and the half types: weights and sums in float32 (torch's opmath),
            # rounded once at the end (uint8 to the nearest integer, clipped)
            y = _apply_mats(x.astype(np.float32), [None if m is None else
                                                   xp.asarray(m, np.float32) for m in mats])
            if x.dtype.kind == "u":
                return xp.clip(xp.floor(y + np.float32(0.5)), 0, 255).astype(x.dtype)
            return y.astype(x.dtype)
        return _apply_mats(x, [None if m is None else xp.asarray(m, x.dtype) for m in mats])

    def backward(ctx, grad):
        return Separable.apply(grad, [None if m is None else m.T for m in ctx.mats]), None


class AdaptiveAvg(Separable):
    """Adaptive average pooling: a Separable map whose node is torch's (it saves the input).
    float32/float64 arrays take torch's kernels: each output sums its window in raster order
    (from 0) and divides by the window's size one dim at a time; the gradient g / k_1 / k_2 ...
    is added into zeros over each output's window, outputs in raster order (windows overlap
    where a size does not divide). Other dtypes, large pools whose windows are not whole tiles
    (`_EXACT_MAX`) and double backward use the weight matrices."""

    _name = "AdaptiveAvgPool2DBackward0"
    save_inputs = (0,)

    def forward(ctx, x, mats):
        ctx.exact, ctx.mats = False, mats
        if type(x) is np.ndarray and x.dtype in _F32_64 and x.size:
            bounds = _bounds_of(x.shape, mats)
            if _tiles(x.shape, bounds) is not None or _gather_work(x.size, bounds) <= _EXACT_MAX:
                ctx.exact = True
                return _windows_avg(x, bounds)
        return Separable.forward(ctx, x, mats)

    def backward(ctx, grad):
        g = grad._data
        if ctx.exact and not _enabled[0] and type(g) is np.ndarray and g.size:
            shape = ctx._in_meta[0][0]
            return _wrap(_windows_grad(g, shape, _bounds_of(shape, ctx.mats))), None
        return Separable.backward(ctx, grad)


# element visits of the gathering path (windows that are not whole tiles) up to which it runs;
# above it the weight matrices (a GEMM: last bits apart from torch's window sums) are faster
_EXACT_MAX = 1 << 21


def _gather_work(size, bounds):
    return size * math.prod(int((end - start).max()) for start, end in bounds)




def _bounds_of(shape, mats):
    """Per trailing dim: (window starts, window ends) of an adaptive pool to the mats' sizes."""
    nd = len(mats)
    out = []
    for n, m in zip(shape[-nd:], mats):
        out.append(_adaptive_bounds(n, n if m is None else m.shape[0]))
    return out


def _offsets_taken(bounds):
    """Per dim: the (out, kmax) input index of each window offset (clipped) and its mask."""
    res = []
    for start, end in bounds:
        k = int((end - start).max())
        idx = start[:, None] + np.arange(k)
        res.append((np.minimum(idx, end[:, None] - 1), idx < end[:, None], k))
    return res


def _tiles(shape, bounds):
    """(o_1, k_1, o_2, k_2, ...) when every window is a whole tile (each size divides), else
    None."""
    nd = len(bounds)
    dims = []
    for n, (start, _) in zip(shape[-nd:], bounds):
        o = len(start)
        if n % o:
            return None
        dims += [o, n // o]
    return tuple(dims)


def _windows_avg(x, bounds):
    nd = len(bounds)
    lead = x.shape[:-nd]
    outs = tuple(len(b[0]) for b in bounds)
    s = np.zeros(lead + outs, x.dtype)
    tiles = _tiles(x.shape, bounds)
    if tiles is not None:  # whole tiles: strided views of x, no gathers
        xr = x.reshape(lead + tiles)
        for offs in itertools.product(*(range(k) for k in tiles[1::2])):
            s += xr[(Ellipsis,) + tuple(v for o in offs for v in (slice(None), o))]
        for k in tiles[1::2]:
            s /= x.dtype.type(k)
        return s
    taken = _offsets_taken(bounds)
    for offs in itertools.product(*(range(k) for _, _, k in taken)):
        v, keep = x, None
        for d, ((idx, mask, _), o) in enumerate(zip(taken, offs)):
            ax = len(lead) + d
            v = np.take(v, idx[:, o], axis=ax)
            m = mask[:, o].reshape((-1,) + (1,) * (nd - d - 1))
            keep = m if keep is None else keep & m
        s += np.where(keep, v, x.dtype.type(0))  # (a window's cells in raster order)
    for d, (start, end) in enumerate(bounds):
        s /= (end - start).astype(x.dtype).reshape((-1,) + (1,) * (nd - d - 1))
    return s


def _windows_grad(g, shape, bounds):
    """Each output's g / k_1 / k_2 ... added into zeros over its window, outputs in raster order:
    a cell two windows share (sizes that do not divide) gets the lower output's share first,
    which sits at the larger kernel offset, so the offsets go from the last to the first. At one
    offset the outputs reach distinct cells (a clipped, masked one only its own last cell)."""
    nd = len(bounds)
    lead = g.shape[:-nd]
    gd = g.copy()
    for d, (start, end) in enumerate(bounds):
        gd /= (end - start).astype(g.dtype).reshape((-1,) + (1,) * (nd - d - 1))
    tiles = _tiles(shape, bounds)
    if tiles is not None:  # whole tiles: each cell is 0 + its one output's share
        acc = np.empty(lead + tiles, g.dtype)
        acc[...] = gd.reshape(lead + tuple(v for o in tiles[0::2] for v in (o, 1)))
        acc += g.dtype.type(0)
        return acc.reshape(shape)
    S = shape[-nd:]
    if any(len(start) > n for (start, _), n in zip(bounds, S)):
        # more outputs than cells along a dim (outputs share cells at one kernel offset): every
        # (output, cell) pair listed in the outputs' raster order, added in that order
        cells, owners = [], []
        outs = [len(b[0]) for b in bounds]
        for flat, op in enumerate(itertools.product(*(range(o) for o in outs))):
            for ip in itertools.product(*(range(b[0][p], b[1][p]) for b, p in zip(bounds, op))):
                cells.append(np.ravel_multi_index(ip, S))
                owners.append(flat)
        acc = np.zeros((math.prod(S),) + lead, g.dtype)  # cells first: add.at adds rows in order
        np.add.at(acc, np.asarray(cells), np.moveaxis(gd.reshape(lead + (-1,))[..., owners],
                                                      -1, 0))
        return np.ascontiguousarray(np.moveaxis(acc, 0, -1)).reshape(shape)
    taken = _offsets_taken(bounds)
    acc = np.zeros(shape, g.dtype)
    zero = g.dtype.type(0)
    for offs in reversed(list(itertools.product(*(range(k) for _, _, k in taken)))):
        keep, key = None, []
        for d, ((idx, mask, _), o) in enumerate(zip(taken, offs)):
            shp = (-1,) + (1,) * (nd - d - 1)
            key.append(idx[:, o].reshape(shp))
            m = mask[:, o].reshape(shp)
            keep = m if keep is None else keep & m
        acc[(Ellipsis,) + tuple(key)] += np.where(keep, gd, zero)
    return acc


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
    if input.dtype.np.kind in "biu":  # (ember's weight matrices would give zeros)
        kernel = "adaptive_avg_pool3d_cpu" if nd == 3 else "adaptive_avg_pool2d"
        raise NotImplementedError(f'"{kernel}" not implemented for '
                                  f"'{input.dtype._legacy[:-6]}'")
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


def _first_max(x2, flat):
    """For rows x2 (R, P) and windows `flat` (*o, W) of positions in P: each window's offset of
    its maximum as torch's loop picks it (the first maximum; with NaNs, the last NaN), as
    (R, *o)."""
    xp = _xp(x2)
    W = flat.shape[-1]
    if type(x2) is not np.ndarray or x2.dtype.kind not in "fiub" or W > _LOOP_W:
        vals = xp.take(x2, xp.asarray(flat), axis=-1)  # (take: not x2[..., flat])
        at = vals.argmax(-1)
        if vals.dtype.kind in "fc":  # torch's loop: every NaN takes over, so the last one wins
            nan = xp.isnan(vals)
            last = W - 1 - nan[..., ::-1].argmax(-1)
            at = xp.where(nan.any(-1), last, at)
        return at
    # NumPy's argmax costs ~30 ns a row, whatever its length: for short windows a running
    # maximum over the W offsets is faster, in blocks of rows that stay in cache
    out = np.empty(x2.shape[:1] + flat.shape[:-1], np.uint8)
    step = max(1, _BLOCK // max(flat.size * x2.itemsize, 1))
    for s in range(0, len(x2), step):
        out[s:s + step] = _running_first_max(np.take(x2[s:s + step], flat, axis=-1))
    return out


_LOOP_W = 20  # the widest window the running maximum serves (argmax wins on longer ones)
_BLOCK = 1 << 19  # bytes of window values per block


def _running_first_max(vals):
    """torch's window loop as uint8 offsets: the first maximum, except that every NaN takes over
    (so the last NaN wins); one pass per offset: an offset takes over where it is larger or
    NaN."""
    best = vals[..., 0].copy()
    at = np.zeros(best.shape, np.uint8)
    take = np.empty(best.shape, bool)
    ok = np.empty(best.shape, bool)
    for w in range(1, vals.shape[-1]):
        c = vals[..., w]
        if vals.dtype.kind == "f":  # c > best or c NaN
            np.greater(c, best, out=take)
            np.not_equal(c, c, out=ok)
            take |= ok
        else:
            np.greater(c, best, out=take)
        np.maximum(best, c, out=best)  # a NaN stays: later offsets never take over from it
        np.maximum(at, take.view(np.uint8) * np.uint8(w), out=at)  # the last take-over wins
    return at


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
    rows = math.prod(lead)  # explicit sizes: a batch may be empty
    best = _first_max(x.reshape((rows, math.prod(S))), flat)  # (rows, *o): offsets in windows
    W, O = flat.shape[-1], math.prod(sizes)
    at = xp.asarray(np.arange(O).reshape(sizes) * W) + best  # each window's winner in flat
    idx = xp.take(xp.asarray(flat.reshape(-1)), at).reshape(lead + tuple(sizes))
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
