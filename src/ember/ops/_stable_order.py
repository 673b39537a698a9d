"""Exact fast kernels behind sort/topk/kthvalue: stable orders of NumPy arrays on integer keys.

`int_keys` maps an array to integers whose stable ascending order is the order `sort` gives
(floats: -0.0 ties with 0.0, every NaN ties with every other NaN and sorts as the largest
value, as in torch). On those keys `stable_argsort` packs (key, position) into one int64 and
runs NumPy's (SIMD) sort, which equals a stable argsort because no two packed values tie;
`smallest` finds the k first positions of the stable order without sorting the whole row: a
partition gives the k-th key t; where no other key equals t the k partitioned positions are
those, else the keys < t and the first ones == t in position order are kept (exactly those a
stable sort puts first); only the k kept keys are then sorted. `kth` likewise.
"""

import numpy as np

_SIGNED = {2: np.int16, 4: np.int32, 8: np.int64}


def int_keys(x, descending):
    """Integer keys of x (NumPy) ordering as the stable sort of x, or None for other dtypes."""
    kind = x.dtype.kind
    if kind == "b":
        x, kind = x.view(np.int8), "i"
    if kind in "iu":
        if not descending:
            return x
        return ~x  # -x - 1: order reversed with no overflow (-x wrapped the int64 minimum)
    if kind != "f" or x.dtype.itemsize not in _SIGNED:
        return None
    it = _SIGNED[x.dtype.itemsize]
    info = np.iinfo(it)
    b = (x + 0).view(it)  # + 0 turns -0.0 into 0.0
    key = b ^ ((b >> (8 * x.dtype.itemsize - 1)) & info.max)  # IEEE order as signed integers
    if descending:
        np.invert(key, out=key)
    nan = x != x
    if nan.any():
        np.putmask(key, nan, info.min if descending else info.max)
    return key


def _packable(key, n):
    return key.dtype.itemsize < 4 or (key.dtype.itemsize == 4 and n <= 2 ** 31)


def stable_argsort(key, pos=None):
    """Per row of the 2-d integer array key: the positions (pos, int64, increasing along each
    row; default 0, 1, ...) in the stable ascending order of the keys."""
    n = key.shape[1]
    if not _packable(key, n) or (pos is not None and pos.size and pos.max() >= 2 ** 31):
        order = np.argsort(key, axis=1, kind="stable")
        return order if pos is None else np.take_along_axis(pos, order, axis=1)
    p = key.astype(np.int64)
    if key.dtype == np.uint32:
        p -= 2 ** 31
    p <<= 32
    p |= np.arange(n, dtype=np.int64) if pos is None else pos
    p.sort(axis=1)
    p &= 0xFFFFFFFF
    return p


def _select(key, k):
    """Per row: the k-th smallest key t, the keys < t, the keys == t and how many of them count."""
    t = np.partition(key, k - 1, axis=1)[:, k - 1:k]
    lt = key < t
    eq = key == t
    need = k - np.count_nonzero(lt, axis=1)[:, None]
    return lt, eq, need


def smallest(key, k):
    """Positions of the k first elements of each row's stable ascending order, in that order."""
    part = np.argpartition(key, k - 1, axis=1)
    cols = part[:, :k]
    t = np.take_along_axis(key, part[:, k - 1:k], axis=1)
    if (np.count_nonzero(key <= t, axis=1) == k).all():  # no ties at the k-th key: the k first
        return stable_argsort(np.take_along_axis(key, cols, axis=1), cols)
    lt, eq, need = _select(key, k)
    take = lt | (eq & (np.cumsum(eq, axis=1) <= need))
    cols = np.nonzero(take)[1].reshape(key.shape[0], k)
    return stable_argsort(np.take_along_axis(key, cols, axis=1), cols)


def kth(key, k):
    """Position of the k-th (1-based) element of each row's stable ascending order, (rows, 1)."""
    at = np.argpartition(key, k - 1, axis=1)[:, k - 1:k]
    if (np.count_nonzero(key == np.take_along_axis(key, at, axis=1), axis=1) == 1).all():
        return at  # the k-th key is unique in every row
    _, eq, need = _select(key, k)
    return np.argmax(eq & (np.cumsum(eq, axis=1) == need), axis=1)[:, None]


def rows(a, d):
    """a with axis d moved last, as a C-contiguous 2-d array of rows."""
    a = np.moveaxis(a, d, -1)
    return np.ascontiguousarray(a.reshape(-1, a.shape[-1]))


def unrows(idx, shape, d):
    """The (rows, m) result of `rows(a, d)` in a's layout (axis d of length m), C-contiguous."""
    lead = shape[:d] + shape[d + 1:]
    return np.ascontiguousarray(np.moveaxis(idx.reshape(lead + (idx.shape[1],)), -1, d))
