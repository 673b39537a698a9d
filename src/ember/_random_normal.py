"""Exact floating-point kernels behind ember's random streams: fused multiply-adds, glibc-equal
libm calls, and torch's two normal samplers (scalar Box-Muller, 16-wide block `normal_fill`).

x86-64 torch builds its AVX2 kernels with FMA contraction, so every `a*b + c` there rounds once.
NumPy has no FMA, so `fma32`/`fma64` emulate it exactly. float32 normals follow the AVX2 kernel's
Cephes `log256_ps`/`sincos256_ps` op for op; that uses only IEEE float32 arithmetic, so the bits
are the same on every machine. float64 paths use the C library's log/sin/cos (see `libm`).
"""

import cmath
import math

import numpy as np

_F32, _F64, _U64 = np.float32, np.float64, np.uint64
_U32, _I32 = np.uint32, np.int32

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


def fma32_scalar(x, b, c, out=None):
    """`fma32(x, b, c)` for a float32 array x and float32 scalars b, c (into `out`): fewer
    passes, and no subnormal check when |c| >= 2^-60, where no inexact result can be subnormal
    (a cancelling sum is a multiple of 2^-108, a non-cancelling one exceeds |c| / 2)."""
    b, c = float(_F32(b)), float(_F32(c))
    s = x.astype(_F64)
    s *= b
    s += c
    risky = (s.view(_U64) & _MID_MASK) == _MID_BITS
    if not abs(c) >= 2.0 ** -60:
        risky |= np.abs(s) < 2.0 ** -125
    if risky.any():  # exact sums on a midpoint are common for short operands: cheap indices
        i = np.flatnonzero(risky)
        p = x[i].astype(_F64) * b
        s[i] = _round_to_odd(s[i], _two_sum_err(p, np.full_like(p, c), s[i]))
    if out is None:
        return s.astype(_F32)
    np.copyto(out, s, casting="unsafe")
    return out


def _split(a):
    t = a * 134217729.0  # 2^27 + 1, Veltkamp splitting
    hi = t - (t - a)
    return hi, a - hi


def fma64(a, b, c):
    """float64 fused multiply-add, exact (Boldo-Melquiond: exact product, 2Sum, round-to-odd)."""
    with np.errstate(invalid="ignore", over="ignore"):  # (inf and NaN handled below)
        return _fma64(a, b, c)


def _fma64(a, b, c):
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
    # an infinite product or sum is the plain sum (2Sum's error terms are NaN there)
    out = np.where(np.isfinite(uh) & np.isfinite(th), out, uh + c)
    finite = np.isfinite(a) & np.isfinite(b)
    out = np.where(finite & np.isinf(c), c, out)  # (the product may overflow, the sum is c)
    # finite operands whose product (or Veltkamp's split, for |a| or |b| > ~1e300) overflowed:
    big = ~np.isfinite(out) & finite & np.isfinite(c)
    if big.any():  # the same fma on the larger factor and c scaled by 2^-600 (exact), then back
        i = np.flatnonzero(big)
        a, b, c = (np.broadcast_to(v, out.shape).reshape(-1)[i] for v in (a, b, c))
        scale_a = np.abs(a) > np.abs(b)
        a = np.where(scale_a, a * 2.0 ** -600, a)
        b = np.where(scale_a, b, b * 2.0 ** -600)
        out = np.array(out)
        out.reshape(-1)[i] = _fma64(a, b, c * 2.0 ** -600) * 2.0 ** 600
    return out


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


def libm_cos_sin(theta):
    """(cos, sin) of finite doubles, each exactly the C library's: cmath.exp(i*theta) is
    exp(0) * cos(theta) + i * exp(0) * sin(theta) with exp(0) = 1, one call for the pair."""
    z = np.zeros(np.shape(theta), np.complex128)
    z.imag = theta
    flat = z.ravel().tolist()
    r = np.fromiter(map(cmath.exp, flat), np.complex128, count=len(flat)).reshape(z.shape)
    return r.real, r.imag


def _call(f, v):
    try:
        return f(v)
    except ValueError:
        return -math.inf if v == 0 or (f is math.log1p and v == -1) else math.nan
    except OverflowError:
        return math.inf


# ---- scalar Box-Muller (numel < 16 or non-contiguous): every dtype goes through double ----------

def normal_scalar(gen, n, mean, std):
    """n doubles from torch's cached Box-Muller; the spare sine value stays in gen's cache.
    A few values (the usual case: this path serves tensors of under 16 elements) are computed
    on Python floats, more on arrays; both make the same calls in the same order."""
    i = 0
    head = []
    if n and gen._normal_double is not None:
        head = [gen._normal_double]
        gen._normal_double = None
        i = 1
    pairs = (n - i + 1) // 2
    take = n - i
    if pairs > 8:
        u = gen.uniform53(2 * pairs).reshape(pairs, 2)
        r = np.sqrt(-2.0 * libm("log1p", -u[:, 1]))
        cos_, sin_ = libm_cos_sin(2.0 * math.pi * u[:, 0])
        cos_, sin_ = r * cos_, r * sin_
        z = np.stack([cos_, sin_], axis=1).ravel()
        out = np.empty(n, _F64)
        out[:i] = head
        out[i:] = z[:take]
        if take % 2:
            gen._normal_double = float(z[take])
    else:
        z = []
        if pairs:
            w = gen.random32(4 * pairs).tolist()
            for k in range(0, 4 * pairs, 4):  # u1 = words k, k+1; u2 = words k+2, k+3
                u1 = (((w[k] & 0x1FFFFF) << 32) | w[k + 1]) * 2.0 ** -53
                u2 = (((w[k + 2] & 0x1FFFFF) << 32) | w[k + 3]) * 2.0 ** -53
                r = math.sqrt(-2.0 * math.log1p(-u2))  # u2 < 1
                theta = 2.0 * math.pi * u1
                z += (r * math.cos(theta), r * math.sin(theta))
            if take % 2:
                gen._normal_double = z[take]
        out = np.array(head + z[:take], _F64)
    if std != 1.0 or mean != 0.0:
        out = fma64(out, float(std), float(mean))
    return out


# ---- block normal_fill (numel >= 16, contiguous) ------------------------------------------------

_BLOCKS = 1024  # 16-element blocks per pass (see _random._CHUNK)


def normal_fill(gen, n, np_dtype, mean, std, out=None):
    """torch's `normal_fill` into `out` (flat, n values): n uniforms, each 16-block maps j and j+8
    through Box-Muller, and a ragged tail is redrawn as 16 fresh uniforms that overwrite the last
    16 outputs. float32/float64 draw all n uniforms before the tail (the ones past the last full
    block are overwritten unused); reduced types (float16) draw block by block into a float
    buffer, so they skip them. Done a chunk of blocks at a time, consuming the stream in order."""
    np_dtype = np.dtype(np_dtype)
    out = np.empty(n, np_dtype) if out is None else out
    full = n // 16 * 16
    if np_dtype == _F64:
        draw, transform = gen.uniform53, _block_f64
    else:
        draw, transform = gen.uniform24, _block_f32  # float16 too: AVX2 kernel on a float buffer
    step = _BLOCKS * 16
    for start in range(0, full, step):
        stop = min(full, start + step)
        transform(draw(stop - start), mean, std, out[start:stop])
    if n % 16:
        if np_dtype in (_F32, _F64):
            gen.random32((n - full) * (2 if np_dtype == _F64 else 1))
        transform(draw(16), mean, std, out[n - 16:])
    return out


def _block_f64(d, mean, std, out):
    d = d.reshape(-1, 2, 8)
    radius = libm("log", 1.0 - d[:, 0])
    radius *= -2.0
    np.sqrt(radius, out=radius)
    cos_, sin_ = libm_cos_sin(2.0 * math.pi * d[:, 1])
    res = out.reshape(-1, 2, 8)
    np.multiply(radius, cos_, out=res[:, 0])
    np.multiply(radius, sin_, out=res[:, 1])
    if std != 1.0 or mean != 0.0:
        out[...] = fma64(out, float(std), float(mean))


def _f32(bits):
    return np.array([bits], np.uint32).view(_F32)[0]


_TWO_PI = _f32(0x40C90FDB)
_SQRTHF = _f32(0x3F3504F3)
_SQRTHF_BITS = _I32(0x3F3504F3)
_LOG_P = [_f32(b) for b in (0x3D9021BB, 0xBDEBD1B8, 0x3DEF251A, 0xBDFE5D4F, 0x3E11E9BF,
                            0xBE2AAE50, 0x3E4CCEAC, 0xBE7FFFFC, 0x3EAAAAAA)]
_LOG_Q1, _LOG_Q2 = _f32(0xB95E8083), _f32(0x3F318000)
_FOPI = _f32(0x3FA2F983)
_MINUS_DP = [_f32(b) for b in (0xBF490000, 0xB97DA000, 0xB3222169)]
_SIN_P = [_f32(b) for b in (0xB94CA1F9, 0x3C08839E, 0xBE2AAAA3)]
_COS_P = [_f32(b) for b in (0x37CCF5CE, 0xBAB6061A, 0x3D2AAAA5)]
_LOG_P64 = [_F64(p) for p in _LOG_P]
_SIN_P64, _COS_P64 = [_F64(p) for p in _SIN_P], [_F64(p) for p in _COS_P]

# The kernels below evaluate each float32 FMA of torch's AVX2 kernel as a float64 product and sum
# rounded once to float32. That is exact whenever the float64 sum is, and it is for every input
# these kernels can get: a 24-bit uniform d = k * 2^-24 gives log(1 - d) and sincos(2pi * d), so
# there are 2^24 inputs each, and all of them agree bit for bit with the op-for-op emulation that
# rounds every FMA exactly (`fma32`); tests/test_random.py keeps that reference and compares.
# FMAs whose product is exact in float32 (Cody-Waite steps 1-2, z * 0.5) are plain float32 ops.


def _log_avx2(u1):
    """Cephes logf as compiled in torch's AVX2 kernel, for u1 = 1 - d in [2^-24, 1] (float32).
    Selections are bit masks (NumPy's masked and `where` paths cost more than the arithmetic)."""
    m, ei = np.frexp(u1)  # m in [0.5, 1): the kernel's mantissa; ei: its exponent - 126
    mb = m.view(_I32)
    small = mb - _SQRTHF_BITS
    small >>= 31  # -1 where m < sqrt(1/2), else 0
    ei += small
    e = ei.astype(_F32)
    x = m - _F32(1.0)
    mb &= small
    x += m  # (m - 1) + m where small, (m - 1) + 0 elsewhere
    x64 = x.astype(_F64)
    y = x64 * _LOG_P64[0]
    y32 = np.empty_like(x)
    last = len(_LOG_P64) - 1
    for i in range(1, last + 1):  # Horner: y = fma(y, x, p_i)
        y += _LOG_P64[i]
        y32[...] = y
        if i < last:
            y[...] = y32
            y *= x64
    z = x * x
    y32 *= x
    y[...] = y32
    np.copyto(x64, z)
    y *= x64
    eq = e * _LOG_Q1
    np.copyto(x64, eq)
    y += x64
    y32[...] = y  # fma(y, z, e * q1)
    z *= _F32(0.5)
    y32 -= z  # fma(-z, 0.5, y): the product is exact in float32
    y32 += x
    np.multiply(e, _LOG_Q2, out=eq)  # fma(e, q2, x + y): e * q2 is exact in float32 too
    y32 += eq
    return y32


def _sincos_avx2(theta):
    """Cephes sincosf as compiled in torch's AVX2 kernel, for theta = 2pi * d in [0, 2pi)."""
    j = (theta * _FOPI).astype(_I32)  # truncation, as cvttps
    j += 1
    j &= ~1
    yf = j.astype(_F32)
    x = yf * _MINUS_DP[0]
    x += theta
    yf2 = yf * _MINUS_DP[1]
    x += yf2
    t = yf.astype(_F64)
    t *= _F64(_MINUS_DP[2])
    z64 = x.astype(_F64)
    t += z64
    x[...] = t
    z = x * x
    np.copyto(z64, z)
    c64 = z64 * _COS_P64[0]
    c64 += _COS_P64[1]
    c = c64.astype(_F32)
    c64[...] = c
    c64 *= z64
    c64 += _COS_P64[2]
    c[...] = c64
    c *= z
    c64[...] = c
    c64 *= z64
    np.multiply(z, _F32(0.5), out=yf2)
    t[...] = yf2
    c64 -= t
    c[...] = c64
    c += _F32(1.0)
    np.multiply(z64, _SIN_P64[0], out=c64)
    c64 += _SIN_P64[1]
    s = c64.astype(_F32)
    c64[...] = s
    c64 *= z64
    c64 += _SIN_P64[2]
    s[...] = c64
    s *= z
    c64[...] = s
    t[...] = x
    c64 *= t
    c64 += t
    s[...] = c64
    # octants with j & 2 swap the polynomials: a bit-mask blend instead of np.where
    sb, cb = s.view(_U32), c.view(_U32)
    swap = j << 30
    swap >>= 31  # -1 where j & 2
    diff = sb ^ cb
    diff &= swap.view(_U32)
    sb ^= diff
    cb ^= diff
    sign = j & 4
    sign <<= 29
    sb ^= sign.view(_U32)  # sin flips where j & 4
    np.subtract(1, j, out=j)  # ~(j - 2) == 1 - j
    j &= 4
    j <<= 29
    cb ^= j.view(_U32)
    return s, c


def _block_f32(d, mean, std, out):
    d = d.reshape(-1, 2, 8)
    radius = _log_avx2(_F32(1.0) - d[:, 0])
    radius *= _F32(-2.0)
    np.sqrt(radius, out=radius)
    sin_, cos_ = _sincos_avx2(_TWO_PI * d[:, 1])
    direct = out.dtype == _F32
    res = out.reshape(-1, 2, 8) if direct else np.empty(d.shape, _F32)
    np.multiply(radius, cos_, out=res[:, 0])
    np.multiply(radius, sin_, out=res[:, 1])
    flat = res.reshape(-1)
    if mean == 0.0 and abs(std) >= 2.0 ** -60:
        # fma(x, std, +0): the product is exact in float64, so one float32 multiply rounds it
        # the same; adding +0 turns -0 into +0 (a tiny std could underflow: general path)
        if std != 1.0:
            flat *= _F32(std)
        flat += _F32(0.0)
    else:  # in pieces whose float64 temporaries malloc reuses (big ones are fresh pages)
        for i in range(0, flat.size, 8192):
            fma32_scalar(flat[i:i + 8192], std, mean, flat[i:i + 8192])
    if not direct:
        out[...] = flat
