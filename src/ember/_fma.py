"""a + alpha * b rounded once: torch's CPU add/sub with `alpha` and the optimizers' p.add_(g,
alpha=-lr) (SGD, ASGD, Adafactor).

torch computes `self + alpha * other` in its CPU kernels with the multiply and the add contracted
into one fused multiply-add for float32 and float64 (one rounding), and for float16 / bfloat16
casts alpha to that type, computes the fused multiply-add in float32 and rounds the result to
the half type. NumPy has no fused multiply-add, and `a + b * alpha` rounds twice: on random
data about 2 % of the float32 results then differ from torch's in the last bit.

Three ways to the one rounding, fastest first:
- the BLAS's axpy (y += alpha * x), where it is NumPy's bundled OpenBLAS (its ILP64 symbols,
  named with the `64_` suffix), found among this process's mapped libraries, and its kernel
  passes a one-time check against the exact result (lengths 1-40 and longer, so every tail of
  its vector loop is seen; unaligned starts). Checked per dtype. OpenBLAS's SkylakeX and ARM
  kernels are fused throughout; its Haswell kernels (AVX2 machines, AMD's included) fuse their
  vector loop, 32 float32 / 16 float64 elements a step, and leave the rest to an unfused
  scalar loop: there the bulk goes through the BLAS and the last n % 32 (16) elements through
  the emulation below.
- float32 otherwise: the product of two float32 values is exact in float64, so the float64 sum
  rounded to float32 is the fused result (except when the float64 sum lands exactly halfway
  between two float32 values after rounding, which needs an exponent gap of ~29 bits and a
  rare bit pattern).
- float64 otherwise: Dekker's exact product, an exact sum, and the two low parts added with
  rounding to odd (Boldo and Melquiond's emulation of a correctly rounded FMA), ~20 passes.
Non-finite results take the plain formula (whose inf / NaN are the fused one's). CuPy float32
goes through float64 as the second way; other dtypes, and CuPy float64, use a + b * alpha.
torch's scalar loop (the last elements of each chunk past its vector loop) computes half types
without the fusion; ember fuses every element, as torch's vector loop (the bulk) does.
`fma3` / `fma3_` (x * y + z, as addcmul, lerp and batch_norm's evaluation compute it) take
float32 through float64 the same way; large results block by block in reused float64 scratch,
broadcast operands included.
"""

import threading

import numpy as np

_local = threading.local()
_SYMBOLS = {np.dtype(np.float32): ("scipy_cblas_saxpy64_", "cblas_saxpy64_"),
            np.dtype(np.float64): ("scipy_cblas_daxpy64_", "cblas_daxpy64_")}
_axpy = {}  # dtype -> a checked BLAS axpy, or None
_F32, _F64 = np.dtype(np.float32), np.dtype(np.float64)


def _blas_library():
    """NumPy's OpenBLAS, as mapped into this process (Linux), or None."""
    import ctypes
    try:
        with open("/proc/self/maps") as f:
            paths = {f[5] for f in (line.split(None, 5) for line in f) if len(f) == 6}
    except OSError:
        return None
    for path in sorted(paths):
        path = path.strip()
        name = path.rsplit("/", 1)[-1].lower()
        if "openblas" in name and ".so" in name:
            try:
                return ctypes.CDLL(path)
            except OSError:
                continue
    return None


def _find_axpy(dtype):
    """The BLAS's ILP64 axpy for dtype, wrapped to round once on every element: the whole call
    when its kernel is fused throughout; else, when its vector loop is fused in blocks of 16, 32
    or 64 elements (OpenBLAS's x86-64 Haswell kernels leave the last n % 32 float32 / n % 16
    float64 elements to an unfused scalar loop), that bulk through the BLAS in chunks small
    enough that it runs them on one thread (its threads would each leave a tail) and the tail
    emulated. None when no form passes the check."""
    import ctypes
    lib = _blas_library()
    fn = None
    for sym in _SYMBOLS[dtype] if lib is not None else ():
        fn = getattr(lib, sym, None)
        if fn is not None:
            break
    if fn is None:
        return None
    c = ctypes.c_float if dtype == _F32 else ctypes.c_double
    fn.argtypes = (ctypes.c_int64, c, ctypes.c_void_p, ctypes.c_int64, ctypes.c_void_p,
                   ctypes.c_int64)
    fn.restype = None
    threads = getattr(lib, "scipy_openblas_get_num_threads64_", None) or getattr(
        lib, "openblas_get_num_threads64_", None)  # NumPy's OpenBLAS: newer and older names
    if threads is not None:
        threads.argtypes, threads.restype = (), ctypes.c_int
    return _checked_form(fn, dtype, threads)


def _checked_form(fn, dtype, threads=None):
    """The first form of the raw axpy fn(n, alpha, x pointer, 1, y pointer, 1) that passes the
    check (`_find_axpy`), or None; threads() is the BLAS's pool size (None: unknown)."""
    size = dtype.itemsize

    def whole(y, x, alpha):  # y += alpha * x, both C-contiguous, same dtype and size
        fn(y.size, alpha, x.ctypes.data, 1, y.ctypes.data, 1)
    if _passes_check(whole, dtype):
        return whole
    for block in (16, 32, 64):
        def blocked(y, x, alpha, block=block):
            n = y.size
            bulk = n - n % block
            if bulk <= _CHUNK or (threads is not None and threads() == 1):
                if bulk:
                    fn(bulk, alpha, x.ctypes.data, 1, y.ctypes.data, 1)
            else:
                px, py = x.ctypes.data, y.ctypes.data
                for i in range(0, bulk, _CHUNK):
                    off = i * size
                    fn(min(_CHUNK, bulk - i), alpha, px + off, 1, py + off, 1)
            if bulk < n:
                yt = y.reshape(-1)[bulk:]
                _emulate(yt, x.reshape(-1)[bulk:], alpha, out=yt)
        if _passes_check(blocked, dtype):
            return blocked
    return None


# elements per BLAS call in the blocked form when the BLAS may use threads: OpenBLAS splits an
# axpy of more than 10000 elements between its threads, and each thread's part leaves a tail
_CHUNK = 8192


def _passes_check(axpy, dtype):
    """axpy's results equal the emulation's, at lengths 1-40 and longer ones (every tail of a
    vector loop is seen), at unaligned starts, and past one chunk."""
    rng = np.random.default_rng(12345)
    alpha = dtype.type(-0.0123456789)
    for n in list(range(1, 41)) + [67, 131, 1031, 2 * _CHUNK + 1000]:
        for off in (0, 1, 3) if n > 40 else (0,):
            a = rng.standard_normal(n + off).astype(dtype)[off:]
            b = rng.standard_normal(n + off).astype(dtype)[off:]
            want = _emulate(a, b, alpha)
            y = a.copy() if not off else a
            axpy(y, b, alpha)
            if not np.array_equal(y, want):
                return False
    return True


def _checked_axpy(dtype):
    try:
        return _axpy[dtype]
    except KeyError:
        fn = _axpy[dtype] = _find_axpy(dtype)
        return fn


# ---------------------------------------------------------------- emulation
_BLOCK = 1 << 15  # float32 elements per float64 block (256 KiB, stays in cache)


def _emulate(a, b, alpha, out=None):
    """a + alpha * b rounded once; a, b arrays of the dtype (out: where to write, may be a)."""
    dt = np.result_type(a, b)
    if dt == _F32:
        return _fma32(a, b, float(alpha), out)
    r = _fma64(np.asarray(b, np.float64), float(alpha), np.asarray(a, np.float64))
    if out is None:
        return r
    out[...] = r
    return out


def _scratch64():
    """Two float64 work arrays of _BLOCK elements, reused per thread (fresh ones would be
    mapped and page-faulted on every call)."""
    bufs = getattr(_local, "bufs", None)
    if bufs is None:
        bufs = _local.bufs = (np.empty(_BLOCK, np.float64), np.empty(_BLOCK, np.float64))
    return bufs


@np.errstate(all="ignore")  # inf * 0 and float32 overflow give NaN / inf, silently, as torch
def _fma32(a, b, alpha, out):
    alpha = np.float64(alpha)  # a float64 scalar: the products are taken in float64
    shape = np.broadcast_shapes(a.shape, b.shape)
    if out is None:
        out = np.empty(shape, _F32)
    if out.flags.c_contiguous and a.shape == b.shape == shape and out.size > 2 * _BLOCK \
            and a.flags.c_contiguous and b.flags.c_contiguous:
        af, bf, of = a.reshape(-1), b.reshape(-1), out.reshape(-1)
        buf = _scratch64()[0]
        for i in range(0, of.size, _BLOCK):
            j = min(i + _BLOCK, of.size)
            t = np.multiply(bf[i:j], alpha, out=buf[:j - i])
            t += af[i:j]
            of[i:j] = t
        return out
    t = np.multiply(b, alpha, dtype=np.float64)
    t = np.add(t, a, out=t if type(t) is np.ndarray and t.shape == shape else None)  # (0-d:
    # NumPy's multiply gives a scalar)
    out[...] = t
    return out


_SPLIT = 134217729.0  # 2**27 + 1: Dekker's splitter for float64


def _split(x):
    t = x * _SPLIT
    hi = t - (t - x)
    return hi, x - hi


@np.errstate(all="ignore")
def _fma64(x, y, z):
    """x * y + z correctly rounded, float64 arrays or scalars: Dekker's exact product (ph + pl),
    the exact sum z + ph = th + tl, then th + RO(tl + pl), with RO rounding to odd."""
    ph = x * y
    xh, xl = _split(x)
    yh, yl = _split(y)
    pl = ((xh * yh - ph) + xh * yl + xl * yh) + xl * yl
    th = z + ph
    zz = th - z
    tl = (z - (th - zz)) + (ph - zz)
    v = tl + pl
    vv = v - tl
    ev = (tl - (v - vv)) + (pl - vv)  # v + ev == tl + pl exactly
    v = np.asarray(v)
    even = (v.view(np.int64) & 1) == 0
    fix = even & (ev != 0)  # inexact and even: the odd neighbour on the exact value's side
    if fix.any():
        v = np.where(fix, np.nextafter(v, np.where(ev > 0, np.inf, -np.inf)), v)
    r = th + v
    bad = ~np.isfinite(r) | ~np.isfinite(ph) | (np.abs(x) > 1e290) | (np.abs(y) > 1e290) | (
        r == 0)
    if bad.any():  # inf / NaN, a split that would overflow, or an exact 0 (whose sign the
        # plain formula gets right: then x * y is exact): the plain formula's value
        r = np.where(bad, z + ph, r)
    return r


# ---------------------------------------------------------------- entry points
def _kind(dt, *arrays):
    """'blas' (float32/64), 'half' (float16/bfloat16), 'xp32' (another array module's float32)
    or None (the plain formula: other dtypes, NumPy subclasses such as meta arrays, and other
    array modules' float64)."""
    numpy = True
    for a in arrays:
        if type(a) is not np.ndarray and not isinstance(a, (np.generic, float, int)):
            if isinstance(a, np.ndarray):  # a subclass (meta arrays, which report ndarray as
                # their __class__): its own arithmetic
                return None
            numpy = False
    if not numpy:  # CuPy: float32 through float64
        return "xp32" if dt == _F32 else None
    if dt in _SYMBOLS:
        return "blas"
    return "half" if dt == np.float16 or dt.name == "bfloat16" else None


def fma(a, b, alpha, negate=False):
    """a + alpha * b (a - alpha * b with `negate`) as torch's add (sub) with alpha computes it:
    a fresh array; a and b are arrays of the result dtype, broadcastable."""
    dt = np.result_type(a, b)
    kind = _kind(dt, a, b)
    if kind is None:
        if dt == np.bool_:  # torch casts alpha to the result's dtype: a bool stays a bool
            alpha = bool(alpha)
        return a - b * alpha if negate else a + b * alpha
    if negate:
        alpha = -alpha
    if kind == "xp32":
        t = b.astype("float64") * np.float64(np.float32(alpha))
        t += a
        return t.astype(dt)
    if kind == "half":  # alpha cast to the half type, the fused multiply-add in float32
        r = _fma32(np.asarray(a, np.float32), np.asarray(b, np.float32), float(dt.type(alpha)),
                   None)
        with np.errstate(over="ignore"):
            return r.astype(dt)
    alpha = dt.type(alpha)
    a, b = np.asarray(a, dt), np.asarray(b, dt)
    axpy = _checked_axpy(dt) if alpha != 0 else None
    if axpy is None:
        return _emulate(a, b, alpha)
    shape = np.broadcast_shapes(a.shape, b.shape)
    out = np.array(np.broadcast_to(a, shape), dt, order="C")
    if out.size:
        axpy(out, np.ascontiguousarray(np.broadcast_to(b, shape)), alpha)
    return out


def fma_(p, g, alpha):
    """p += alpha * g in place, rounded once (torch's p.add_(g, alpha=alpha)); p and g are
    arrays of one dtype and shape."""
    dt = p.dtype
    kind = _kind(dt, p, g)
    if kind is None:
        p += g * alpha
    elif kind == "xp32":
        t = g.astype("float64") * np.float64(np.float32(alpha))
        t += p
        p[...] = t
    elif kind == "half":
        p[...] = fma(p, g, alpha)
    else:
        alpha = dt.type(alpha)
        axpy = _checked_axpy(dt) if alpha != 0 else None
        if axpy is not None and p.flags.c_contiguous and g.flags.c_contiguous \
                and g.dtype == dt and g.shape == p.shape:
            if p.size:
                axpy(p, g, alpha)
        else:
            _emulate(p, g, alpha, out=p)


def fma3(x, y, z):
    """x * y + z rounded once (torch's contracted `z + x * y`, as in addcmul and lerp): a fresh
    array of the arrays' result dtype; x, y, z broadcastable arrays or scalars of that dtype."""
    dt = np.result_type(x, y, z)
    kind = _kind(dt, x, y, z)
    if kind is None:
        return z + x * y
    if kind == "xp32":
        return (x.astype("float64") * y + z).astype(dt) if hasattr(x, "astype") else (
            z + x * y)
    if kind == "half" or dt == _F32:
        with np.errstate(over="ignore"):  # float32 overflow: inf, as the fused result
            r = _fma3_32([np.asarray(x), np.asarray(y), np.asarray(z)], None)
            r = r.astype(np.float32, copy=False)
            return r.astype(dt) if kind == "half" else r
    return _fma64(np.asarray(x, dt), np.asarray(y, dt), np.asarray(z, dt))


def _blocks(shape):
    """Index tuples of consecutive C-order blocks of an array of `shape` (at least one dim):
    each block contiguous, of at most _BLOCK elements and at least half that (but the last of
    each run along the split axis)."""
    k, inner = len(shape), 1
    while k and inner * shape[k - 1] <= _BLOCK:
        k -= 1
        inner *= shape[k]
    if not k:
        return [()]
    step = _BLOCK // inner  # >= 1, below shape[k - 1]
    n = shape[k - 1]
    runs = [slice(a, min(a + step, n)) for a in range(0, n, step)]
    return [i + (r,) for i in np.ndindex(*shape[:k - 1]) for r in runs]


def _fma3_32(ops, out):
    """x * y + z rounded once to float32, ops = [x, y, z] broadcastable arrays (into `out`, a
    C-contiguous float32 array of their shape, which may be z; or a fresh one). Small results
    (up to 2 * _BLOCK elements, _BLOCK for same-shape operands): the float64 formula on whole
    arrays, returned in float64 when `out` is None. Larger ones: each C-order block taken
    exactly in float64 scratch (the product of two float32 values is exact there) and rounded
    once, with no temporaries of the result's size (fresh ones of a few MB are page-faulted in
    on every call). Operands smaller than the result are converted to float64 once and
    broadcast per block; full float32 ones are cast into scratch (NumPy's mixed-dtype loops are
    slower than a cast and a float64 loop). The caller sets the errstate."""
    b = np.broadcast(*ops)
    shape, size = b.shape, b.size
    same = size > _BLOCK and all(a.shape == shape and a.flags.c_contiguous for a in ops)
    if size <= 2 * _BLOCK and not same:
        # small: whole-array float64 temporaries cost less than the blocks' calls
        r = np.multiply(np.asarray(ops[0], np.float64), np.asarray(ops[1], np.float64))
        if np.shape(r) == shape:
            r += np.asarray(ops[2], np.float64)
        else:
            r = r + np.asarray(ops[2], np.float64)
        if out is None:
            return r  # float64: the caller rounds it (a 0-d result stays a NumPy scalar)
        out[...] = r
        return out
    if out is None:
        out = np.empty(shape, _F32)
    buf, buf2 = _scratch64()
    if same:  # flat blocks
        xf, yf, zf, of = (a.reshape(-1) for a in (*ops, out))
        for i in range(0, size, _BLOCK):
            j = min(i + _BLOCK, size)
            t, u = buf[:j - i], buf2[:j - i]
            t[...] = xf[i:j]
            u[...] = yf[i:j]
            t *= u
            t += zf[i:j]
            of[i:j] = t
        return out
    # a one-element operand: a float64 scalar; another broadcast one: its float64 copy
    ops = [a if a.shape == shape else np.asarray(a, np.float64) for a in ops]
    ops = [a.reshape(-1)[0] if a.size == 1 and a.shape != shape else a for a in ops]
    ops = [np.broadcast_to(a, shape) if a.ndim else a for a in ops]  # blocks index these
    copy = np.copyto
    for key in _blocks(shape):
        ob = out[key]
        xb, yb, zb = (a[key] if a.ndim else a for a in ops)
        m = ob.size
        t, u = buf[:m].reshape(ob.shape), buf2[:m].reshape(ob.shape)
        copy(t, xb)
        if yb.dtype != t.dtype:  # float32 (or another type's) values: cast first
            copy(u, yb)
            yb = u
        t *= yb
        if zb.dtype != t.dtype:
            copy(u, zb)
            zb = u
        t += zb
        copy(ob, t, casting="same_kind")
    return out


def fma3_(z, x, y):
    """z += x * y in place, rounded once (torch's z.addcmul_ after its value * t1); all three
    arrays of z's dtype, x and y broadcastable to z."""
    dt = z.dtype
    if dt == _F32 and type(z) is np.ndarray and z.flags.c_contiguous and z.size > 64 \
            and np.shape(x) == np.shape(y) == z.shape and x.flags.c_contiguous \
            and y.flags.c_contiguous:
        zf, xf, yf = z.reshape(-1), x.reshape(-1), y.reshape(-1)
        buf, buf2 = _scratch64()
        for i in range(0, zf.size, _BLOCK):
            j = min(i + _BLOCK, zf.size)
            t, u = buf[:j - i], buf2[:j - i]
            t[...] = xf[i:j]
            u[...] = yf[i:j]
            t *= u
            t += zf[i:j]
            zf[i:j] = t
        return
    if dt == _F32 and type(z) is np.ndarray and z.flags.c_contiguous and z.size > 2 * _BLOCK \
            and np.result_type(x, y, z) == _F32 and _kind(_F32, x, y) == "blas" \
            and not any(np.may_share_memory(a, z) for a in (x, y)):  # broadcast operands
        with np.errstate(over="ignore"):
            _fma3_32([np.asarray(x), np.asarray(y), z], z)
        return
    z[...] = fma3(x, y, z)
