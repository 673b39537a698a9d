"""Matrix products of arrays, routed around NumPy's slow paths (values unchanged).

A product whose inner dimension is 1 (an outer product: the weight gradient of a batch of one,
`(784, 1) @ (1, 256)`) is, in torch, one `mm` (a's batch dimensions folded into its rows) whose
BLAS call (MKL's sgemm/dgemm with k = 1) returns the plain products `a * b`, the sign of a zero
product included (-0.0 where the signs differ): here `np.multiply`, broadcast. A batched one
(b with batch dimensions: torch's bmm) and one with a single row or column (torch's gemv) come
out of a sum started at +0 in torch: each element the rounded product, +0.0 for a zero. NumPy's
`matmul` sends those to its unblocked C loop (same values), about 10x slower than BLAS from a
few hundred elements; `np.dot` reaches BLAS at twice the padded product's time. With k padded
to 2 by zeros, BLAS computes `a * b + 0 * 0`: the loop's values, at BLAS speed.

`np.dot` has less call overhead than `np.matmul` on small 2-d operands (0.5 against 1.0 us) and
more on large ones (about 6 % at 784x64x256); both give the same bits.

Complex, integer, CuPy and meta arrays go to their own `matmul` (BLAS rounds the two products in
a complex element's parts once, the loop twice); so do complex products with an inner dimension of
1 (NumPy's loop for matmul, BLAS for dot: their bits differ).
"""

import numpy as np

from ._device import array_module as _xp

_ndarray = np.ndarray
_BLAS = frozenset("fd")  # complex: BLAS fuses the parts of each product, the loop does not
_PAD_MIN = 256  # output elements from which the padded product beats the loop
_DOT_MAX = 1 << 15  # m * k * n under which np.dot's smaller overhead wins


def matmul(a, b, out=None):
    """`a @ b` for arrays (NumPy's matmul semantics: batch dims broadcast), into `out` if given."""
    if type(a) is _ndarray and type(b) is _ndarray:
        sa, sb = a.shape, b.shape
        if len(sa) > 1 and len(sb) > 1:
            if sa[-1] == 1 and a.dtype.char in _BLAS and a.dtype == b.dtype:
                if len(sb) == 2 and sb[1] > 1 and a.size > 1:  # torch's mm: signed zeros kept
                    return np.multiply(a, b, out=out)
                if sa[-2] * sb[-1] >= _PAD_MIN:
                    return _padded(a, b, out)
            if (len(sa) == 2 and len(sb) == 2 and out is None
                    and sa[0] * sa[1] * sb[1] < _DOT_MAX
                    and (sa[1] > 1 or a.dtype.char in _BLAS)):
                return np.dot(a, b)
        return np.matmul(a, b, out=out)
    return _xp(a).matmul(a, b, out=out)


def _padded(a, b, out):
    a2 = np.zeros(a.shape[:-1] + (2,), a.dtype)
    a2[..., :1] = a
    b2 = np.zeros(b.shape[:-2] + (2, b.shape[-1]), b.dtype)
    b2[..., :1, :] = b
    return np.matmul(a2, b2, out=out)
