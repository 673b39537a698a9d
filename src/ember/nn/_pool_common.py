"""Pooling's shared pieces: argument parsing, torch's shape checks and messages, the output
size, and the per-offset slices that the windowed kernels loop over."""

import itertools
import numbers

import numpy as np


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


def raster_add(xp, g, srcs, shape):
    """The adjoint of a separable gather, summed as torch's CPU kernels do: zeros of `shape`, then
    each cell of g added into its source cell in g's raster order (plane by plane). srcs[k] gives
    the source index along trailing dim k for each index of g there (nearest interpolation,
    reflect / replicate padding).

    A source cell's contributions come in the order of the raster positions feeding it, which is
    the order of their ranks along each dim, the first dim's rank first; so one add per tuple of
    ranks covers every cell having it. Along a dim the cells of a rank and the positions feeding
    them are cut into runs on regular grids (a border read backwards, an integer scale factor's
    stride), each a slice; where there would be many runs, one fancy index instead."""
    nd = len(srcs)
    lead = (slice(None),) * (len(shape) - nd)
    acc = xp.zeros(shape, g.dtype)
    if not g.size:
        return acc
    per_dim = []
    for n, m, src in zip(shape[len(shape) - nd:], g.shape[g.ndim - nd:], srcs):
        src = np.asarray(src, np.int64)
        order = np.argsort(src, kind="stable")  # g's indices grouped by source, increasing
        count = np.bincount(src, minlength=n)
        first = np.cumsum(count) - count
        ranks = []
        for a in range(int(count.max())):
            rows = np.flatnonzero(count > a)
            ranks.append(_runs_of(rows, order[first[rows] + a], n, m))
        per_dim.append(ranks)
    for combo in itertools.product(*per_dim):  # rank tuples, lexicographically
        for pieces in itertools.product(*combo):  # disjoint cells: any order
            dst, src = tuple(d for d, _ in pieces), tuple(s for _, s in pieces)
            if all(isinstance(k, slice) for k in dst + src):
                acc[lead + dst] += g[lead + src]
                continue
            di = np.ix_(*[np.arange(n)[d] if isinstance(d, slice) else d
                          for d, n in zip(dst, shape[len(shape) - nd:])])
            si = np.ix_(*[np.arange(m)[k] if isinstance(k, slice) else k
                          for k, m in zip(src, g.shape[g.ndim - nd:])])
            acc[lead + tuple(xp.asarray(i) for i in di)] += \
                g[lead + tuple(xp.asarray(i) for i in si)]
    return acc


def _runs_of(rows, outs, n, m, most=8):
    """[(dst, src)]: the cells `rows` (increasing) and the positions `outs` feeding them, cut into
    runs where rows step by 1 and outs by a constant, as slices; one (rows, outs) pair of index
    arrays when that takes more than `most` runs."""
    runs, i = [], 0
    while i < rows.size:
        j = i + 1
        step = int(outs[j] - outs[i]) if j < rows.size and rows[j] == rows[i] + 1 else None
        if step is not None and step != 0:
            while j + 1 < rows.size and rows[j + 1] == rows[j] + 1 and \
                    outs[j + 1] - outs[j] == step:
                j += 1
            j += 1
        else:
            step = 1
        if len(runs) == most:
            return [(rows, outs)]
        last = int(outs[j - 1]) + step
        runs.append((slice(int(rows[i]), int(rows[j - 1]) + 1),
                     slice(int(outs[i]), None if last < 0 else last, step)))
        i = j
    return runs
