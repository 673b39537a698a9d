"""Matrix products of arrays, routed around NumPy's slow paths (values unchanged).

NumPy's `matmul` sends a product whose inner dimension is 1 (an outer product: the weight
gradient of a batch of one, `(784, 1) @ (1, 256)`) to its unblocked C loop, about 10x slower than
BLAS there (250 us against 20 at that shape, float32, one thread); `np.dot` reaches BLAS for it
but at twice the padded product's time. With k padded to 2 by zeros, BLAS computes
`a * b + 0 * 0`: each element is the one rounded product, as the loop computes it.

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
            if (sa[-1] == 1 and sa[-2] * sb[-1] >= _PAD_MIN and a.dtype.char in _BLAS
                    and a.dtype == b.dtype):
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
