"""torch's CPU order for float sums ("cascade" sums), so float32/float64 sum and mean give
torch's bits rather than NumPy's pairwise rounding.

ATen sums a contiguous run of n elements in vectors of V lanes (V = 8 float32 / 4 float64: its
sum kernel uses 32-byte vectors even on AVX-512 machines): the n // V whole vectors are taken in
groups of 4 (four independent vector accumulators, so 4V running lanes), and each lane adds its
items in a *cascade*: runs of L = 2**max(4, ceil(log2 S) // 4) items (S items per lane) are
summed from zero, every L run sums are added into a level-1 sum that is flushed into level 2
after L of them, level 2 into level 3 likewise; at the end lane = ((run tail + level 1) +
level 2) + level 3. The vectors left over after the groups of 4 are added into accumulator 0,
then accumulator 0 += 1, += 2, += 3; the row's sum is 0 + its last (n mod V) elements in order
+ the V lanes in order. A reduction over the leading dimension of an (n0, n1) block runs the
same cascade down each column (columns in blocks of 4V, or of 4 when n1 < V), and the columns
left over use the scalar row sum: rows taken 4 at a time (4 running lanes per column), the
rows left over added into lane 0, then lane 0 + 1 + 2 + 3. Rows shorter than V use that scalar
row sum too. A reduction over outer and inner dimensions around kept ones (a conv bias's
(0, 2, 3)) sums each inner row so, and adds the rows of successive outer indices into the output
in order. The result is stored as 0 + sum, so a zero sum is +0.

Here every running lane is a column of a NumPy array and each "in order" sum is
`np.add.reduce` over a non-last axis (elementwise adds, which NumPy performs in order),
`np.einsum` over such an axis with 4 or more contiguous lanes (the same adds, see `_by_axis`)
or `np.add.accumulate`, never the pairwise inner-axis reduce. It costs about 1.5-4x NumPy's own
sum (more lanes, shorter loops) and ~5 us more on tiny arrays. `cascade_sum` returns None for
what it does not cover (then the caller keeps NumPy's sum): other dtypes, non-contiguous or
empty arrays, reductions over dimensions other than all, the trailing ones, the leading ones, a
middle run or the outer and inner ones around a middle run, and machines other than x86-64.
"""

import platform

import numpy as np

_F32, _F64 = np.dtype(np.float32), np.dtype(np.float64)
_BLOCK = 65536  # elements per block copied by _by_axis
_WIDE = 256  # lanes from which NumPy's reduce runs fast as it is
_SMALL = 4096  # elements below which the copy does not pay
# ATen builds its sum kernel with 32-byte vectors on x86-64 whatever the CPU capability
# (AVX-512, AVX2 and the default build all give these bits); other machines keep NumPy's sum.
_X86 = platform.machine().lower() in ("x86_64", "amd64", "i686", "i386")


def _subscripts(nd, ax):
    """einsum's spelling of the sum over axis `ax` of an nd-dim array ("abc->ac" for 3, 1)."""
    names = "abcdefgh"[:nd]
    return names + "->" + names[:ax] + names[ax + 1:]


_SUBSCRIPTS = [[_subscripts(nd, ax) for ax in range(nd)] for nd in range(9)]


def _ceil_log2(n):
    return 1 if n <= 2 else (n - 1).bit_length()


def _by_axis(v, axis):
    """Sum of v over `axis` (not the last), slice after slice. With few lanes after `axis`,
    NumPy's reduce would loop over short rows. For a C-contiguous v with 4 or more lanes,
    `np.einsum` sums it: its iterator keeps the lanes as the inner loop and adds one slice at a
    time into a zeroed output, in order (0 + the first slice: only a zero's sign can differ,
    and cascade_sum's last 0 + settles it), 2-2.5x faster than the copy below. With a single
    lane its inner loop becomes the summed axis, with several accumulators (not in order):
    never used there. Otherwise blocks of v are first copied with `axis` in front (about
    _BLOCK elements each, so they stay in cache) and reduced along long contiguous rows."""
    lanes = v[(0,) * (axis + 1)].size
    if lanes >= _WIDE or v.size < _SMALL:
        return np.add.reduce(v, axis=axis)
    if lanes >= 4 and v.flags.c_contiguous:
        return np.einsum(_SUBSCRIPTS[v.ndim][axis], v)
    w = np.moveaxis(v, axis, 0)
    out = np.empty(w.shape[1:], v.dtype)
    step = max(1, _BLOCK // (w[:, 0].size))
    for i in range(0, w.shape[1], step):
        np.add.reduce(np.ascontiguousarray(w[:, i:i + step]), axis=0, out=out[i:i + step])
    return out


def _in_order(a):
    """(A, S, *lanes) -> (A, *lanes): each lane's S items added in order."""
    if a.shape[1] == 1:
        return a[:, 0]
    return _by_axis(a, 1)


def _runs(a, step):
    """(A, k * step, *lanes) -> (A, k, *lanes): the sums of runs of `step` items (a batch of
    A > 1 first made contiguous, for `_by_axis`'s in-order einsum)."""
    if a.shape[0] > 1 and not a.flags.c_contiguous and a[0, 0].size >= 4:
        a = np.ascontiguousarray(a)
    v = a.reshape(a.shape[0], a.shape[1] // step, step, *a.shape[2:])
    if v.shape[0] == 1:
        return _by_axis(v[0], 1)[None]
    return _by_axis(v, 2)


def _cascade(a):
    """(A, S, *lanes) -> (A, *lanes): each lane's S items summed in ATen's cascade."""
    s = a.shape[1]
    if s < 16:  # no whole run: the tail only
        return _in_order(a) if s else np.zeros(a.shape[:1] + a.shape[2:], a.dtype)
    step = 1 << max(4, _ceil_log2(s) // 4)
    parts = []
    for _ in range(3):  # the tail of each level, then the level above
        whole = a.shape[1] // step * step
        if whole < a.shape[1]:
            parts.append(_in_order(a[:, whole:]))
        if not whole:
            break
        a = _runs(a[:, :whole], step)
    else:
        parts.append(_in_order(a))
    if not parts:
        return np.zeros(a.shape[:1] + a.shape[2:], a.dtype)
    r = parts[0]
    for p in parts[1:]:
        r = r + p
    return r


def _chain(pieces):
    """Left-to-right sum of the (R, k) pieces laid side by side: an (R,) array."""
    row = np.concatenate(pieces, axis=1) if len(pieces) > 1 else pieces[0]
    if row.shape[0] < 32:
        return np.add.accumulate(row, axis=1)[:, -1]
    return np.add.reduce(np.ascontiguousarray(row.T), axis=0)  # rows of R lanes, in order


def _scalar_rows(x):
    """ATen's scalar row sum of each row of (R, n) (4 running lanes), as (R,)."""
    r, n = x.shape
    m = n // 4
    if m < 2:  # at most one item per lane: one chain
        return _chain([x[:, [0, *range(4, n), 1, 2, 3]] if m else x])
    acc = _cascade(x[:, :4 * m].reshape(r, m, 4))
    return _chain([acc[:, :1], x[:, 4 * m:], acc[:, 1:]])


def _inner(x, v):
    """Sums of the rows of a C-contiguous (R, n) array, as (R,)."""
    r, n = x.shape
    if n < v:
        return _scalar_rows(x)
    nv = n // v
    m = nv // 4
    left = x[:, 4 * v * m:nv * v].reshape(r, -1, v)  # the vectors after the groups of 4
    if m:  # accumulator 0, the vectors left, accumulators 1, 2, 3
        acc = _cascade(x[:, :4 * v * m].reshape(r, m, 4 * v)).reshape(r, 4, v)
        left = np.concatenate([acc[:, :1], left, acc[:, 1:]], axis=1) if nv % 4 else acc
    lanes = _in_order(left)
    if nv * v == n:
        return _chain([lanes])
    return _chain([x[:, nv * v:], lanes])


def _short(x, v):
    """`_inner` of one row of fewer than 16 items per lane (no cascade run yet), returned as a
    (1,) array, in as few NumPy calls as the count allows: the per-call cost dominates at this
    size (x.sum() of 8x8). Binary adds (about 0.5 us a call) where there are few operands, a
    reduce (about 1.5 us) where there are more; the zeros' signs are fixed by the caller's 0 +."""
    n = x.size
    nv = n // v
    m = nv // 4
    w = 4 * v
    if m:  # the 4 accumulators (a lane each per position), each the sum of its m items in order
        if m == 1:
            acc = x[:w]
        elif m == 2:
            acc = x[:w] + x[w:2 * w]
        else:
            acc = np.add.reduce(x[:w * m].reshape(m, w), axis=0)
        left = x[w * m:nv * v]  # accumulator 0, the vectors left, accumulators 1, 2, 3
        if left.size:
            acc = np.concatenate((acc[:v], left, acc[v:]))
        lanes = np.add.reduce(acc.reshape(-1, v), axis=0)
    elif nv == 1:
        lanes = x[:v]
    else:
        lanes = np.add.reduce(x[:nv * v].reshape(nv, v), axis=0)
    if nv * v < n:  # 0 + the last n mod v items in order + the v lanes in order
        lanes = np.concatenate((x[nv * v:], lanes))
    return np.add.accumulate(lanes)[-1:]


def _outer(x, v):
    """Sums down the columns of a C-contiguous (n0, n1) array, as (n1,); of a (B, n0, n1) one
    (a middle dim reduced), each of the B blocks so, as (B, n1)."""
    if x.ndim == 2:
        return _outer(x[None], v)[0]
    b, n0, n1 = x.shape
    width = 4 * v if n1 >= v else 4
    j = n1 // width * width
    out = []
    if j:
        out.append(_cascade(x[:, :, :j]))
    if j < n1:
        m = n0 // 4
        rest = x[:, :, j:]
        acc = _cascade(rest[:, :4 * m].reshape(b, m, 4, n1 - j))  # (B, 4, columns)
        a0 = acc[:, 0]
        for k in range(4 * m, n0):
            a0 = a0 + rest[:, k]
        for k in range(1, 4):
            a0 = a0 + acc[:, k]
        out.append(a0)
    return np.concatenate(out, axis=1) if len(out) > 1 else out[0]


def _columns(x):
    """`_outer` of an (n0, n1) array with 1 < n0 < 256 rows whose columns are each a lane of
    their own (n1 a multiple of 4V, or of 4 below V columns): below 256 items a lane holds at
    most 15 whole runs of 16 (one level), so its sum is (the rows after the runs, in order) +
    (the runs, in order)."""
    n0, n1 = x.shape
    k = n0 >> 4
    if not k:
        return np.add.reduce(x, axis=0)
    runs = np.add.reduce(x[:k << 4].reshape(k, 16, n1), axis=1)
    level = np.add.reduce(runs, axis=0) if k > 1 else runs[0]
    if k << 4 == n0:
        return level
    return np.add.reduce(x[k << 4:], axis=0) + level


def _scalar_columns(x):
    """`_outer` of a C-contiguous (n0, n1) array with 4 <= n0 < 1024 whose columns all take the
    scalar row sum (V <= n1 < 4V, or the columns left of a wider one): 4 running lanes each, at
    most 255 items a lane, so one level of runs."""
    n0, n1 = x.shape
    m = n0 >> 2
    acc = (_columns(x[:m << 2].reshape(m, 4 * n1)) if m > 1 else x[:4].reshape(-1))
    acc = acc.reshape(4, n1)
    r = acc[0]
    for k in range(m << 2, n0):
        r = r + x[k]
    return r + acc[1] + acc[2] + acc[3]


def column_sum(x):
    """torch's x.sum(0) of a 2-d NumPy array in the layouts a linear layer's bias gradient takes
    (fewer than 4 rows; or 4 <= n0 < 256 rows and any n1: the first n1 // W * W columns each a
    lane of its own (W = 4V, or 4 when n1 < V), the columns left taking the scalar row sum; or
    V <= n1 < 4V and 4 <= n0 < 1024), in few NumPy calls; None otherwise (cascade_sum then
    covers it). Checks inline: the bias gradient takes this path on every step."""
    dt = x.dtype
    if dt is _F32:
        v = 8
    elif dt is _F64:
        v = 4
    else:
        return None
    if type(x) is not np.ndarray or not _X86 or not x.flags.c_contiguous:
        return None
    n0, n1 = x.shape
    if n0 < 4 and x.size:  # every layout adds fewer than 4 rows in order, from 0 (r += 0 below)
        r = np.add.reduce(x, axis=0) if n0 > 1 else x[0].copy()
    elif 3 < n0 < 256 and n1 > 1:  # (n0, 1) is a whole-array sum to ATen
        width = 4 * v if n1 >= v else 4
        j = n1 // width * width
        if j == n1:
            r = _columns(x)
        elif not j:
            r = _scalar_columns(x)
        else:
            r = np.concatenate((_columns(x[:, :j]),
                                _scalar_columns(np.ascontiguousarray(x[:, j:]))))
    elif 3 < n0 < 1024 and v <= n1 < 4 * v:
        r = _scalar_columns(x)
    else:
        return None
    r += 0  # ATen stores 0 + sum (a zero sum is +0); r is a fresh array
    return r


def _layout(shape, axes):
    """The (size, reduced) runs left once size-1 dimensions go and neighbours of the same kind
    merge, as ATen's iterator sees a contiguous tensor."""
    runs = []
    for i, s in enumerate(shape):
        if s == 1:
            continue
        red = axes is None or i in axes
        if runs and runs[-1][1] == red:
            runs[-1][0] *= s
        else:
            runs.append([s, red])
    return runs


def cascade_sum(x, axes, keepdim):
    """torch's float sum of the NumPy array x over `axes` (sorted tuple or None), or None where
    this file does not reproduce torch's order (type(): a meta array answers __class__ as a
    NumPy array)."""
    dt = x.dtype
    if type(x) is not np.ndarray or (dt != _F32 and dt != _F64) or not _X86 or not x.size:
        return None
    if not x.flags.c_contiguous:
        return _permuted(x, axes, keepdim)
    v = 8 if dt == _F32 else 4  # elements per 32-byte vector
    if axes is None or len(axes) == x.ndim:
        n = x.size
        r = _short(x.reshape(-1), v) if v <= n < 64 * v else _inner(x.reshape(1, -1), v)
        if not r[0]:  # ATen stores 0 + sum: a zero sum is +0 (r is a fresh array)
            r[0] = 0.0
        return r.reshape((1,) * x.ndim) if keepdim else r.reshape(())
    if axes == (0,) and x.ndim == 2:
        r = column_sum(x)
        if r is not None:
            return r.reshape(1, -1) if keepdim else r
    runs = _layout(x.shape, axes)
    kinds = [red for _, red in runs]
    if kinds == [True]:
        r = _inner(x.reshape(1, -1), v)
    elif kinds == [False, True]:
        r = _inner(x.reshape(runs[0][0], -1), v)
    elif kinds == [True, False]:
        r = _outer(x.reshape(runs[0][0], -1), v)
    elif kinds == [False, True, False]:  # a middle dim: each outer block down its columns
        r = _outer(x.reshape(runs[0][0], runs[1][0], -1), v).reshape(-1)
    elif kinds == [True, False, True]:  # outer and inner dims (a conv bias's (0, 2, 3)): ATen
        # sums each inner row, and adds the rows of successive outer indices into the output
        # in order (accumulate: in order where reduce may pair)
        a, b = runs[0][0], runs[1][0]
        rows = _inner(x.reshape(a * b, -1), v).reshape(a, b)
        r = np.add.accumulate(rows, axis=0)[-1]
    elif kinds in ([], [False]):  # nothing left to add up
        r = x.reshape(-1)
    else:
        return None
    r = r + dt.type(0)  # ATen stores 0 + sum: a zero sum is +0
    return r.reshape([1 if i in axes else s for i, s in enumerate(x.shape)
                      if keepdim or i not in axes])


def _permuted(x, axes, keepdim):
    """cascade_sum of a permutation of a C-contiguous array (a transpose, `permute`, `.mT`):
    ATen's iterator walks the elements in memory order where the output's own (contiguous)
    layout does not order the kept dimensions otherwise, so the sum is then the contiguous
    array's over the same dimensions, laid back in x's order. None for other layouts and where
    the kept dimensions lie in memory in another order than x's (the output's strides then
    decide ATen's loop order)."""
    order = sorted(range(x.ndim), key=lambda i: -x.strides[i] if x.shape[i] > 1 else 0)
    y = x.transpose(order)
    if not y.flags.c_contiguous:
        return None
    if axes is None or len(axes) == x.ndim:
        return cascade_sum(y, None, keepdim)
    kept = [order.index(i) for i in range(x.ndim) if i not in axes and x.shape[i] > 1]
    if kept != sorted(kept):
        return None
    r = cascade_sum(y, tuple(sorted(order.index(a) for a in axes)), True)
    if r is None:
        return None
    r = r.transpose(np.argsort(order))
    return r if keepdim else r.reshape([s for i, s in enumerate(x.shape) if i not in axes])
