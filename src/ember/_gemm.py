"""Matrix products of arrays, routed around NumPy's slow paths (values unchanged).

A product whose inner dimension is 1 (an outer product: the weight gradient of a batch of one,
`(784, 1) @ (1, 256)`) is, in torch, one `mm` (a's batch dimensions folded into its rows) whose
BLAS call (MKL's sgemm/dgemm with k = 1) returns the plain products `a * b`, the sign of a zero
product included (-0.0 where the signs differ): here `np.multiply`, broadcast, or for a large
2-d one the BLAS's ger (A += x y^T) on an array of -0.0, the same bits (checked once). A batched one
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
                    if len(sa) == 2 and out is None and a.size * sb[1] >= _GER_MIN:
                        ger = _ger.get(a.dtype, 0)
                        if ger == 0:
                            ger = _ger[a.dtype] = _find_ger(a.dtype)
                        if ger is not None:
                            return ger(a, b)
                    return np.multiply(a, b, out=out)
                if sa[-2] * sb[-1] >= _PAD_MIN:
                    return _padded(a, b, out)
            if (len(sa) == 2 and len(sb) == 2 and out is None
                    and sa[0] * sa[1] * sb[1] < _DOT_MAX
                    and (sa[1] > 1 or a.dtype.char in _BLAS)):
                return np.dot(a, b)
        return np.matmul(a, b, out=out)
    return _xp(a).matmul(a, b, out=out)


# ---------------------------------------------------------------- outer products by BLAS ger
_GER_MIN = 1 << 16  # output elements from which ger beats NumPy's broadcast multiply (784 x 256:
# 67 -> 46 us; at 256 x 128 they are even)
_ger = {}  # dtype -> checked outer product through the BLAS's ger, or None
_GER_SYMBOLS = {"f": ("scipy_cblas_sger64_", "cblas_sger64_"),
                "d": ("scipy_cblas_dger64_", "cblas_dger64_")}


def _find_ger(dtype):
    """(m, 1) @ (1, n) -> the plain products, through NumPy's OpenBLAS (its ILP64 cblas ger,
    A += x y^T) on an array filled with -0.0: each element is -0.0 + x_i y_j, whose rounding
    is the product's (fused or not), a zero product keeping its sign (-0.0 + -0.0 = -0.0,
    -0.0 + +0.0 = +0.0), inf and NaN as the multiply gives them (NumPy's broadcast multiply
    pays a cost per output row). None where that BLAS is not found or its results differ from
    np.multiply's bits on the check's values."""
    import ctypes

    from ._fma import _blas_library
    lib = _blas_library()
    fn = None
    for sym in _GER_SYMBOLS[dtype.char] if lib is not None else ():
        fn = getattr(lib, sym, None)
        if fn is not None:
            break
    if fn is None:
        return None
    c, i64 = (ctypes.c_float if dtype.char == "f" else ctypes.c_double), ctypes.c_int64
    fn.argtypes = (ctypes.c_int, i64, i64, c, ctypes.c_void_p, i64, ctypes.c_void_p, i64,
                   ctypes.c_void_p, i64)
    fn.restype = None

    def ger(a, b):
        x = a.reshape(-1) if a.flags.c_contiguous else np.ascontiguousarray(a).reshape(-1)
        y = b.reshape(-1) if b.flags.c_contiguous else np.ascontiguousarray(b).reshape(-1)
        m, n = x.size, y.size
        r = np.full((m, n), -0.0, dtype)
        fn(101, m, n, 1.0, x.ctypes.data, 1, y.ctypes.data, 1, r.ctypes.data, n)  # row-major
        return r
    return ger if _ger_passes(ger, dtype) else None


def _ger_passes(ger, dtype):
    """ger's results equal np.multiply's bit for bit on values with zeros of both signs,
    products that underflow, inf and NaN, at shapes that see every tail of a vector loop."""
    rng = np.random.default_rng(7)
    tiny = 1e-30 if dtype.char == "f" else 1e-200
    with np.errstate(all="ignore"):
        for m, n in [(1, 2), (3, 17), (37, 41), (70, 129), (5, 1000), (300, 64)]:
            a, b = (rng.standard_normal(s).astype(dtype) for s in ((m, 1), (1, n)))
            for v in (a.reshape(-1), b.reshape(-1)):
                k = rng.integers(0, 8, v.size)
                v[k == 0], v[k == 1], v[k == 2] = 0.0, -0.0, np.copysign(tiny, v[k == 2])
                v[k == 3] *= 1e20 if dtype.char == "f" else 1e200
            if m * n > 100:
                a[1, 0], b[0, 2], a[2, 0] = np.inf, -np.inf, np.nan
            want = np.multiply(a, b)
            got = ger(a, b)
            if got.shape != want.shape or got.tobytes() != want.tobytes():
                same_nan = np.isnan(got) & np.isnan(want)
                if not np.array_equal(np.where(same_nan, 0, got).view(f"u{dtype.itemsize}"),
                                      np.where(same_nan, 0, want).view(f"u{dtype.itemsize}")):
                    return False
    return True


def _padded(a, b, out):
    a2 = np.zeros(a.shape[:-1] + (2,), a.dtype)
    a2[..., :1] = a
    b2 = np.zeros(b.shape[:-2] + (2, b.shape[-1]), b.dtype)
    b2[..., :1, :] = b
    return np.matmul(a2, b2, out=out)
