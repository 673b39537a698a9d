"""Exact floating-point kernels behind ember's random streams: fused multiply-adds, glibc-equal
libm calls, and torch's two normal samplers (scalar Box-Muller, 16-wide block `normal_fill`).

x86-64 torch builds its AVX2 kernels with FMA contraction, so every `a*b + c` there rounds once.
NumPy has no FMA, so `fma32`/`fma64` emulate it exactly. float32 normals follow the AVX2 kernel's
Cephes `log256_ps`/`sincos256_ps` op for op; that uses only IEEE float32 arithmetic, so the bits
are the same on every machine. float64 paths use the C library's log/sin/cos (see `libm`).
"""

import math

import numpy as np

_F32, _F64, _U64 = np.float32, np.float64, np.uint64

# float32 midpoints are float64 values whose low 29 mantissa bits are exactly 1000...0
_MID_MASK, _MID_BITS = _U64(0x1FFFFFFF), _U64(0x10000000)


def _two_sum_err(a, b, s):
    bb = s - a
    return (a - (s - bb)) + (b - bb)


def _round_to_odd(s, err):
    """Turn s = RN(x) into RO(x) given err = x - s: an inexact s gets an odd last bit."""
    fix = (err != 0) & ((s.view(_U64) & _U64(1)) == 0)
    if fix.any():
        s = s.copy()
        s[fix] = np.nextafter(s[fix], np.where(err[fix] > 0, np.inf, -np.inf))
    return s


def fma32(a, b, c, normal_range=False):
    """float32 fused multiply-add, exact: the float64 product of two floats is exact, and the one
    rounding of the sum can only be wrong when it lands on a float32 midpoint (rare, fixed).
    `normal_range` promises no result is float32-subnormal (true inside the Cephes kernels)."""
    p = np.multiply(a, b, dtype=_F64)
    c64 = np.asarray(c, _F64)
    s = np.atleast_1d(p + c64)
    risky = (s.view(_U64) & _MID_MASK) == _MID_BITS
    if not normal_range:
        risky |= np.abs(s) < 2.0 ** -125
    if risky.any():
        pr, cr = np.broadcast_to(p, s.shape)[risky], np.broadcast_to(c64, s.shape)[risky]
        sr = s[risky]
        # round-to-odd in 53 bits, then to 24 bits: a correct single rounding
        s = s.copy()
        s[risky] = _round_to_odd(sr, _two_sum_err(pr, cr, sr))
    return s.astype(_F32)


def _split(a):
    t = a * 134217729.0  # 2^27 + 1, Veltkamp splitting
    hi = t - (t - a)
    return hi, a - hi


def fma64(a, b, c):
    """float64 fused multiply-add, exact (Boldo-Melquiond: exact product, 2Sum, round-to-odd)."""
    a, b, c = (np.asarray(v, _F64) for v in (a, b, c))
    uh = a * b
    ah, al = _split(a)
    bh, bl = _split(b)
    ul = ((ah * bh - uh) + ah * bl + al * bh) + al * bl  # exact: uh + ul == a * b
    th = c + uh
    tl = _two_sum_err(c, uh, th)
    v = tl + ul
    v = _round_to_odd(np.atleast_1d(v), np.atleast_1d(_two_sum_err(tl, ul, v)))
    out = th + v
    # products that are exact in float64 (the common case for uniforms) need no correction
    return np.where(np.isfinite(uh), out, uh + c)


def libm(name, x):
    """The C library's double `name`(x) elementwise, through `math` (CPython's libm). NumPy's own
    SIMD versions differ from glibc in the last bit (log1p in ~3 % of cases on AVX-512 hosts), and
    torch calls the C library, so exactness costs a Python-level map here (float64 paths only)."""
    x = np.asarray(x, _F64)
    f = getattr(math, name)
    flat = x.ravel().tolist()
    try:
        out = np.fromiter(map(f, flat), _F64, count=len(flat))
    except (ValueError, OverflowError):  # math raises where C returns -inf/nan/inf
        out = np.array([_call(f, v) for v in flat], _F64)
    return out.reshape(x.shape)


def _call(f, v):
    try:
        return f(v)
    except ValueError:
        return -math.inf if v == 0 or (f is math.log1p and v == -1) else math.nan
    except OverflowError:
        return math.inf


# ---- scalar Box-Muller (numel < 16 or non-contiguous): every dtype goes through double ----------

def normal_scalar(gen, n, mean, std):
    """n doubles from torch's cached Box-Muller; the spare sine value stays in gen's cache."""
    out = np.empty(n, _F64)
    i = 0
    if n and gen._normal_double is not None:
        out[0] = gen._normal_double
        gen._normal_double = None
        i = 1
    pairs = (n - i + 1) // 2
    if pairs:
        u = gen.uniform53(2 * pairs).reshape(pairs, 2)
        r = np.sqrt(-2.0 * libm("log1p", -u[:, 1]))
        theta = 2.0 * math.pi * u[:, 0]
        cos_, sin_ = r * libm("cos", theta), r * libm("sin", theta)
        z = np.stack([cos_, sin_], axis=1).ravel()
        take = n - i
        out[i:] = z[:take]
        if take % 2:
            gen._normal_double = float(z[take])
    if std != 1.0 or mean != 0.0:
        out = fma64(out, float(std), float(mean))
    return out


# ---- block normal_fill (numel >= 16, contiguous) ------------------------------------------------

def normal_fill(gen, n, np_dtype, mean, std):
    """torch's `normal_fill`: n uniforms, each 16-block maps j and j+8 through Box-Muller, and a
    ragged tail is redrawn as 16 fresh uniforms that overwrite the last 16 outputs. Reduced
    types (float16) draw block by block into a float buffer, so they skip the n-uniform prefill."""
    full = n // 16 * 16
    if np_dtype == _F64:
        draw, transform = gen.uniform53, _block_f64
    else:
        draw, transform = gen.uniform24, _block_f32  # float16 too: AVX2 kernel on a float buffer
    data = draw(n if np_dtype in (_F32, _F64) else full)
    out = np.empty(n, np_dtype)
    for start in range(0, full, 1 << 16):  # chunks keep the float64 temporaries in cache
        stop = min(full, start + (1 << 16))
        out[start:stop] = transform(data[start:stop], mean, std)
    if n % 16:
        out[n - 16:] = transform(draw(16), mean, std)
    return out


def _block_f64(d, mean, std):
    d = d.reshape(-1, 2, 8)
    radius = np.sqrt(-2.0 * libm("log", 1.0 - d[:, 0]))
    theta = 2.0 * math.pi * d[:, 1]
    res = np.empty_like(d)
    res[:, 0] = radius * libm("cos", theta)
    res[:, 1] = radius * libm("sin", theta)
    if std != 1.0 or mean != 0.0:
        res = fma64(res, float(std), float(mean))
    return res.ravel()


def _f32(bits):
    return np.array([bits], np.uint32).view(_F32)[0]


_TWO_PI = _f32(0x40C90FDB)
_SQRTHF = _f32(0x3F3504F3)
_LOG_P = [_f32(b) for b in (0x3D9021BB, 0xBDEBD1B8, 0x3DEF251A, 0xBDFE5D4F, 0x3E11E9BF,
                            0xBE2AAE50, 0x3E4CCEAC, 0xBE7FFFFC, 0x3EAAAAAA)]
_LOG_Q1, _LOG_Q2 = _f32(0xB95E8083), _f32(0x3F318000)
_FOPI = _f32(0x3FA2F983)
_MINUS_DP = [_f32(b) for b in (0xBF490000, 0xB97DA000, 0xB3222169)]
_SIN_P = [_f32(b) for b in (0xB94CA1F9, 0x3C08839E, 0xBE2AAAA3)]
_COS_P = [_f32(b) for b in (0x37CCF5CE, 0xBAB6061A, 0x3D2AAAA5)]
_FLT_MIN = np.finfo(_F32).tiny


def _log_avx2(x):
    """Cephes logf as compiled in torch's AVX2 kernel (x > 0 here; the FMAs are the compiler's)."""
    x = np.maximum(x, _FLT_MIN)
    bits = x.view(np.uint32)
    e = ((bits >> 23).astype(np.int32) - 127).astype(_F32) + _F32(1.0)
    m = ((bits & np.uint32(0x807FFFFF)) | np.uint32(0x3F000000)).view(_F32)
    small = m < _SQRTHF
    x = (m - _F32(1.0)) + np.where(small, m, _F32(0.0))
    e = e - small.astype(_F32)
    z = x * x
    y = np.full_like(x, _LOG_P[0])
    for p in _LOG_P[1:]:
        y = fma32(y, x, p, True)
    y = y * x
    y = fma32(y, z, e * _LOG_Q1, True)
    y = fma32(-z, _F32(0.5), y, True)
    return fma32(e, _LOG_Q2, x + y, True)


def _sincos_avx2(theta):
    """Cephes sincosf as compiled in torch's AVX2 kernel; theta >= 0 here."""
    a = np.abs(theta)
    j = (a * _FOPI).astype(np.int32)  # truncation, as cvttps
    j = (j + 1) & ~1
    y = j.astype(_F32)
    x = fma32(y, _MINUS_DP[0], a, True)
    x = fma32(y, _MINUS_DP[1], x, True)
    x = fma32(y, _MINUS_DP[2], x, True)
    sin_sign = ((j & 4) << 29).astype(np.uint32) ^ (theta.view(np.uint32) & np.uint32(0x80000000))
    cos_sign = (((~(j - 2)) & 4) << 29).astype(np.uint32)
    use_first = (j & 2) == 0
    z = x * x
    c = fma32(fma32(_COS_P[0], z, _COS_P[1], True), z, _COS_P[2], True)
    c = fma32(c * z, z, -(z * _F32(0.5)), True) + _F32(1.0)
    s = fma32(fma32(_SIN_P[0], z, _SIN_P[1], True), z, _SIN_P[2], True)
    s = fma32(s * z, x, x, True)
    sin_ = np.where(use_first, s, c).view(np.uint32) ^ sin_sign
    cos_ = np.where(use_first, c, s).view(np.uint32) ^ cos_sign
    return sin_.view(_F32), cos_.view(_F32)


def _block_f32(d, mean, std):
    d = d.reshape(-1, 2, 8)
    u1 = _F32(1.0) - d[:, 0]
    radius = np.sqrt(_F32(-2.0) * _log_avx2(u1))
    sin_, cos_ = _sincos_avx2(_TWO_PI * d[:, 1])
    res = np.empty(d.shape, _F32)
    res[:, 0] = radius * cos_
    res[:, 1] = radius * sin_
    if std == 1.0 and mean == 0.0:
        return (res + _F32(0.0)).ravel()  # fma(x, 1, +0) turns -0 into +0
    return fma32(res, _F32(std), _F32(mean)).ravel()
