"""torch's order of additions for nll_loss's reduced loss and total weight (CPU, float32/64).

ATen's nll_loss walks the rows in order, skipping the ignored ones, and subtracts each counted
row's `input[t] * weight[t]` from a level-0 partial sum (the weight going to a matching sum of
weights). After a counted row b whose index is a multiple of 16 (b = 0 included), level 0 is
added into level 1 and zeroed; where b is also a multiple of 256, level 1 into level 2, and so
on up to level 7 (16 rows per level for any batch below 2**32). The result is 0 + level 0 +
level 1 + ... + level 7, in that order. NumPy's pairwise sum gives other bits on most batches
(about 4 in 5 random losses a last bit apart).

`cascade(v, counted)` reproduces it for v, the per-row terms (-input[t] * weight[t], and 0 for
an ignored row), with `counted` None when every row counts: when every multiple of 16 counts,
levels are sums of whole runs of 16, taken with NumPy in order (accumulate); otherwise the rows
are walked run by run.
"""

import numpy as np

_STEP = 16
_LEVELS = 8


def _in_order(a, dtype):
    """0 + a[0] + a[1] + ... (a 1-d array), in order."""
    if not a.size:
        return dtype.type(0)
    return np.add.accumulate(np.concatenate((np.zeros(1, dtype), a)))[-1]


def _regular(v):
    """The cascade when every multiple of 16 is a counted row. Row 0 climbs to the top level
    at once; the rows after it, in runs of 16, are summed in order into level 1 (accumulate is
    in order, where reduce may pair), whose items after the first climb likewise; each level
    keeps its tail. Sums here start from their first item, not from 0: that changes only the
    sign of a zero, and every level enters the result as `total + level` with a total that is
    never -0 (it starts at +0), where both signs give the same."""
    total = v.dtype.type(0)
    y = v[1:]
    for _ in range(_LEVELS - 1):
        m = y.size // _STEP
        if m * _STEP < y.size:
            total = total + np.add.accumulate(y[m * _STEP:])[-1]  # this level's tail
        if not m:
            return total + v[0]
        y = np.add.accumulate(y[:m * _STEP].reshape(m, _STEP), axis=1)[:, -1]
    return total + np.add.accumulate(np.concatenate((v[:1], y)))[-1]  # the top level's flushes


def _walked(v, counted):
    """The cascade row run by row run (some multiple of 16 is an ignored row)."""
    dt = v.dtype
    parts = [dt.type(0)] * _LEVELS
    n = v.size
    start = 0
    for b in range(0, n, _STEP):  # rows start..b go into level 0 (ignored ones add 0)
        if not counted[b]:
            continue
        parts[0] = _in_order(np.concatenate(([parts[0]], v[start:b + 1])), dt)
        start = b + 1
        for j in range(_LEVELS - 1):
            parts[j + 1] = parts[j + 1] + parts[j]
            parts[j] = dt.type(0)
            if b % (_STEP ** (j + 2)):
                break
    parts[0] = _in_order(np.concatenate(([parts[0]], v[start:])), dt)
    return _in_order(np.array(parts, dt), dt)


def cascade(v, counted=None):
    """torch's sum of the per-row terms v (1-d float32/float64; 0 where a row is ignored)."""
    if not v.size:
        return v.dtype.type(0)
    if counted is None or counted[::_STEP].all():
        return _regular(v)
    return _walked(v, counted)
