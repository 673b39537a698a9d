"""Branch-free `where` and masked copy for large NumPy arrays.

`np.where(c, x, y)` and `np.copyto(dst, src, where=c)` branch on every element: with a mask that
follows the data (x > 0 on random values) the branch predictor misses about half the time, ~4 ns
an element. `select` and `copy_where` compute the same results on the bits instead: with m the
mask widened to 0 / -1 integers of the element width, y ^ ((x ^ y) & m) on integer views of x and
y is x where c and y elsewhere, bit for bit (NaN payloads and -0.0 included), 6-8x faster.

They take that path only for exact ndarrays (not CuPy or meta arrays) whose common dtype is a
native 1/2/4/8-byte number (bfloat16 and the other ml_dtypes floats included), with at least
`_MIN` elements; anything else goes to `xp.where` / `xp.copyto`, so the result (values, dtype,
shape, memory order) and any error are always NumPy's own.
"""

__all__ = ["select", "copy_where"]

import numpy as np

_ndarray = np.ndarray
_BOOL = np.dtype(bool)
_INT = {1: np.dtype(np.int8), 2: np.dtype(np.int16), 4: np.dtype(np.int32),
        8: np.dtype(np.int64)}
_SCALARS = (int, float, bool, complex, np.generic)
_MIN = 2048  # below this np.where's loop is about as fast (measured on float32)
_TRUE = np.array(True)


def _int_type(dt):
    """The integer dtype to view `dt`'s elements as, or None when the bit path does not apply."""
    if not dt.isnative or dt.itemsize not in _INT:
        return None
    if dt.kind in "biufc":
        return _INT[dt.itemsize]
    if dt.kind == "V" and dt.fields is None and dt.type.__module__.startswith("ml_dtypes"):
        return _INT[dt.itemsize]  # bfloat16, float8_*
    return None


def _operand(a, dt):
    """`a` (an exact ndarray or a scalar) as an array of dtype `dt` converted exactly as
    np.where converts it, or None (a different array dtype, a subclass, a failed conversion)."""
    if type(a) is _ndarray:
        return a if a.dtype == dt else None
    try:  # a scalar: NumPy's own conversion (weak Python scalars, overflow checks)
        v = np.where(_TRUE, a, np.empty((), dt))
    except Exception:
        return None
    return v if v.dtype == dt else None


def _wide(c, it, minus_one):
    """c (bool) as integers of type `it`: -1 / 0 (or, `minus_one`, 0 / -1: c - 1)."""
    m = np.empty(c.shape, it)
    c8 = c.view(np.int8)
    if minus_one:
        np.add(c8, -1, out=m)
    else:
        np.negative(c8, out=m)
    return m


def _zero(a):
    return a.ndim == 0 and not a.view(_INT[a.itemsize])


def _out_like(c, x, y, dt, shape):
    """An empty result with np.where's shape and memory order."""
    if all(a.flags.c_contiguous for a in (c, x, y)):
        return np.empty(shape, dt)
    it = np.nditer([None, c, x, y], ["external_loop", "refs_ok", "zerosize_ok"],
                   [["writeonly", "allocate", "no_subtype"], ["readonly"],
                    ["readonly", "aligned"], ["readonly", "aligned"]],
                   op_dtypes=[dt, _BOOL, dt, dt], order="K", casting="unsafe")
    return it.operands[0]


def select(c, x, y, xp=np):
    """`xp.where(c, x, y)` with the same result; the bit path for large NumPy arrays.

    c: bool array; x, y: arrays or scalars; xp: the arrays' module (NumPy, CuPy, ...)."""
    if xp is np and type(c) is _ndarray and c.dtype == _BOOL:
        r = _select(c, x, y)
        if r is not None:
            return r
    return xp.where(c, x, y)


def _select(c, x, y):
    for a in (x, y):
        if type(a) is not _ndarray and not isinstance(a, _SCALARS):
            return None
    if max(c.size, getattr(x, "size", 1), getattr(y, "size", 1)) < _MIN:
        return None
    try:
        dt = np.result_type(x, y)
    except Exception:
        return None
    it = _int_type(dt)
    x, y = _operand(x, dt), _operand(y, dt)
    if it is None or x is None or y is None:
        return None
    try:
        shape = np.broadcast_shapes(c.shape, x.shape, y.shape)
    except ValueError:
        return None  # np.where raises its own error
    r = _out_like(c, x, y, dt, shape)
    ri, xi, yi = r.view(it), x.view(it), y.view(it)
    if _zero(y):  # y all zero bits (+0.0, 0): x & m
        np.bitwise_and(xi, _wide(c, it, False), out=ri)
    elif _zero(x):
        np.bitwise_and(yi, _wide(c, it, True), out=ri)
    else:
        np.bitwise_xor(xi, yi, out=ri)
        np.bitwise_and(ri, _wide(c, it, False), out=ri)
        np.bitwise_xor(ri, yi, out=ri)
    return r


def copy_where(dst, src, mask, xp=np):
    """`xp.copyto(dst, src, where=mask)`: dst takes src (broadcast) where mask is True; the bit
    path for large NumPy arrays."""
    if not (xp is np and type(dst) is _ndarray and type(mask) is _ndarray
            and mask.dtype == _BOOL and _copy_where(dst, src, mask)):
        xp.copyto(dst, src, where=mask)


def _copy_where(dst, src, mask):
    dt = dst.dtype
    it = _int_type(dt)
    if it is None or dst.size < _MIN or not dst.flags.writeable:
        return False
    if type(src) is _ndarray:
        if src.dtype != dt:
            return False
    elif isinstance(src, _SCALARS):
        v = np.empty((), dt)
        try:
            np.copyto(v, src)  # NumPy's own conversion and casting check
        except Exception:
            return False
        src = v
    else:
        return False
    try:
        if np.broadcast_shapes(dst.shape, src.shape, mask.shape) != dst.shape:
            return False
    except ValueError:
        return False
    di, si = dst.view(it), src.view(it)
    if _zero(src):  # dst &= (mask - 1)
        np.bitwise_and(di, _wide(mask, it, True), out=di)
        return True
    t = np.bitwise_xor(si, di)  # read before any write: src may overlap dst
    np.bitwise_and(t, _wide(mask, it, False), out=t)
    np.bitwise_xor(di, t, out=di)
    return True
