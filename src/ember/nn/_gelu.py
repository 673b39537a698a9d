"""gelu(approximate='none') for 32- and 16-bit floats, bit for bit as torch's CPU computes it.

torch does not round the true gelu: its float32 kernels each approximate erf to ~1e-7, so a
correctly rounded gelu differs from torch's in a third to half of the elements. This file replays
those kernels' float32 steps. A contiguous input of more than one element (float32; bfloat16 and
float16 where the CPU has oneDNN support) goes to oneDNN's eltwise gelu_erf, anything else to
ATen's own loop (16-bit types are computed in float32 and rounded once):

- oneDNN, AVX-512: erf(x / sqrt 2) as a piecewise quintic in |x| (pieces picked by the exponent
  and two mantissa bits of |x|; 1 past 5.54), then x (1 + erf) / 2. Below AVX-512 the forward,
  and always the backward, use the Abramowitz-Stegun 7.1.26 erf, sign(z) (1 - t P(t) e^(-z^2)),
  t = 1 / (1 + p|z|), with oneDNN's exp (floor(x log2 e + 1/2) reduction, a quintic, 2^(n-1)
  built from exponent bits, times 2); backward 1/2 + z e^(-z^2) / sqrt(pi) + erf(z) / 2.
- ATen: x / 2 (1 + erf(x / sqrt 2)) and dy (cdf + x pdf), vector steps of two registers (32
  floats on AVX-512, 16 on AVX2) with the same Abramowitz-Stegun erf over SLEEF's u10 expf; the
  elements a range leaves over (innermost runs of the walk, cut at each thread's range) go
  through glibc's erff/expf, replayed here too (fdlibm's rational fits; table-driven expf).

Each fused multiply-add a*b + c is computed in float64, where the product of two float32
numbers is exact, and rounded once to float32; that differs from a single rounding only when
the float64 sum falls exactly on a float32 midpoint (~2^-29 per step; none seen in 10^7 tests).
The CPU variant follows ATEN_CPU_CAPABILITY / ONEDNN_MAX_CPU_ISA, else /proc/cpuinfo; torch's
thread count for ATen's ranges is read from ember.get_num_threads(). Plain ufuncs on `xp`;
the oneDNN kernels run in blocks of 16384 elements on work arrays kept per thread (a fresh large
array costs more in page faults than the arithmetic). float64 keeps ember's own erf.
"""

import math
import os
import threading

import numpy as np

from .. import _dtype as D
from .._device import take_into
from ._conv_dtypes import _low_precision_cpu, _mkldnn_enabled

_F32 = np.float32
_F64 = np.float64
_I32 = np.int32
_SIGN = -0x80000000  # the float32 sign bit, as an int32


def _words(*rows):
    """float32 values from their bit patterns written in hex."""
    return np.array([[int(w, 16) for w in r.split()] for r in rows], np.uint32).view(_F32)


# oneDNN's minimax erf(x / sqrt 2) pieces: row k holds the degree-k coefficient of each piece
_PIECES = _words(
    "a6f2cb94 32827792 3381cc0c 34523d4a 351ac44d 35f36d88 36ee8229 37b8a3bb 3867a213 3940033b"
    " 3a2a5a1d 3ae35863 3b7828f2 3c08b14b 3c515ed3 bb503236 bd8d8e5e be8abcd9 bf0c19a2 beccb328"
    " 3e176ced 3f470d99 3f7abb28 3f800000 00000000",
    "3f4c422a 3f4c421f 3f4c4207 3f4c41cb 3f4c413b 3f4c3fad 3f4c3a2f 3f4c2d40 3f4c146a 3f4bc341"
    " 3f4ad08c 3f48f8cf 3f45fac7 3f404e07 3f3b980f 3f48dff3 3f78b21b 3fbb0704 40019c32 3fe536d6"
    " 3f81331e 3e6c8684 3c98f936 00000000 3f800000",
    "b62173f4 3735e4cf 37f2ff89 388c23be 3917535c 39ab2ab0 3a60fadb 3af9b960 3b6e5491 3c0a4ec5"
    " 3ca5aa8c 3d2138d9 3d8737d4 3ddfb660 3e0f27ab 3d94004b be0efdeb bf1d96c3 bf89db58 bf6d9897"
    " bef69fb8 bdc4f8a8 bbde6422 00000000 00000000",
    "be081a19 be084570 be08639b be089837 be08f409 be09ab95 be0b66d0 be0e400a be124df8 be1bde02"
    " be2f19c9 be4931bf be685fbc be89c95f be96cbca be8044aa be0550f2 3dcfd6a1 3e94c826 3e79345f"
    " 3decec91 3ca46568 3aa1e00a 00000000 00000000",
    "ba3d61db 39f097a3 3a5845dc 3ab1fa35 3b0cefb8 3b653ab6 3bcae527 3c221712 3c6c5840 3cc0a703"
    " 3d1dcc19 3d63656d 3d955907 3dbf9910 3dd53f69 3db7dcef 3d639ebe ba6ede48 bd22be69 bd041cf1"
    " bc64f5ab bb097a32 b8ebf380 00000000 00000000",
    "3cb7d80c 3c9b6050 3c978d11 3c92e850 3c8d058b 3c848454 3c6cd623 3c4c824b 3c2a7935 3be0b390"
    " 3b0651ac bb232f53 bbd42fa0 bc2c5366 bc492c9e bc2a7aa6 bbd55d04 ba823a76 3b102aa8 3ae25a7e"
    " 3a31f792 38b84375 3689bb5a 00000000 00000000").astype(_F64)
_PIECE_END = float(_words("40b15cee")[0, 0])  # beyond it, the piece that is 1
# oneDNN picks piece clip((bits(|x|) + 0xc21fffff) >> 21, 1, 24), and 23 (erf = 1) past the
# end. Shifted by 512 (so the key stays a non-negative uint32), a table of every key holds
# that clip, so one key (+1 past the end, which keys 22 and above all map to 23) picks it.
_KEY_BIAS = 0xC21FFFFF + (512 << 21) - (1 << 32)  # as added to a uint32 (wraps)
_PIECES_BY_KEY = _PIECES[:, np.clip(np.arange(1041) - 512, 1, 23)]
# Abramowitz-Stegun 7.1.26 (oneDNN and ATen round the same decimals to the same floats)
_AS_P, _INV_SQRT2, _INV_SQRTPI = (float(v) for v in _words("3ea7ba05 3f3504f3 3f106eba")[0])
_AS_POLY = [float(v) for v in _words("3f87dc22 bfba00e3 3fb5f0e3 be91a98e 3e827906")[0]]
# oneDNN exp: clamp bounds, log2(e), ln 2, and the polynomial from degree 5 down to 1
_LN_MIN, _LN_MAX, _LOG2E, _LN2 = (float(v) for v in
                                  _words("c2aeac50 42b17218 3fb8aa3b 3f317218")[0])
_DNNL_EXP = [float(v) for v in _words("3c07cfce 3d2b9d0d 3e2aad40 3efffee3 3f7ffffb")[0]]
# SLEEF expf u10: log2(e), ln 2 in two pieces, the polynomial from degree 7 down to 2
_S_LOG2E = float(_F32(1.442695040888963407359924681001892137426645954152985934135449406931))
_S_LN2_HI = float(_F32(0.693145751953125))
_S_LN2_LO = float(_F32(1.428606765330187045e-06))
_S_EXP = [float(_F32(c)) for c in (0.000198527617612853646278381, 0.00139304355252534151077271,
                                   0.00833336077630519866943359, 0.0416664853692054748535156,
                                   0.166666671633720397949219, 0.5)]
# glibc's erff (fdlibm): erx and the rational fits, as float32 bit patterns, lowest degree first
_ERX = float(_words("3f58560b")[0, 0])
_ERF_PP, _ERF_QQ, _ERF_PA, _ERF_QA, _ERF_RA, _ERF_SA, _ERF_RB, _ERF_SB = (
    [float(v) for v in _words(w)[0]] for w in (
        "3e0375d4 bea66beb bce9528f bbbd1489 b7c756b1",
        "3ecbbbce 3d852a63 3ba68116 390aee49 b684e21a",
        "bb1acdc6 3ed46805 bebe9208 3ea2fe54 bde31cc2 3d1151b3 bb0df9c0",
        "3dd9f331 3f0a5785 3d931ae7 3e013307 3c5f6e13 3c445aa3",
        "bc21a093 bf31a0b7 c128f022 c2798057 c322658c c3389ae7 c2a2932b c11d077e",
        "419d35ce 4309a863 43d9486f 442158c9 43d6810b 42d9451f 40d23f7c bd777f97",
        "bc21a092 bf4c9dd4 c18e104b c320a2ea c41f6441 c480230b c3f1c275",
        "41f2b459 43a2e571 44c01759 4547fdbb 451f90ce 43ed43a7 c1b38712"))
# glibc's expf: 2^(i/32) less i << 47 as int64 bits, 32/ln 2, the rounding shift, the cubic
_EXPF_TAB = np.array([int(w, 16) for w in (
    "3ff0000000000000 3fefd9b0d3158574 3fefb5586cf9890f 3fef9301d0125b51 3fef72b83c7d517b"
    " 3fef54873168b9aa 3fef387a6e756238 3fef1e9df51fdee1 3fef06fe0a31b715 3feef1a7373aa9cb"
    " 3feedea64c123422 3feece086061892d 3feebfdad5362a27 3feeb42b569d4f82 3feeab07dd485429"
    " 3feea47eb03a5585 3feea09e667f3bcd 3fee9f75e8ec5f74 3feea11473eb0187 3feea589994cce13"
    " 3feeace5422aa0db 3feeb737b0cdc5e5 3feec49182a3f090 3feed503b23e255d 3feee89f995ad3ad"
    " 3feeff76f2fb5e47 3fef199bdd85529c 3fef3720dcef9069 3fef5818dcfba487 3fef7c97337b9b5f"
    " 3fefa4afa2a490da 3fefd0765b6e4540").split()], np.uint64).view(np.int64)
_EXPF_INVLN2N = float.fromhex("0x1.71547652b82fep+0") * 32
_EXPF_SHIFT = float.fromhex("0x1.8p+52")
_EXPF_C = [float.fromhex(h) / 32 ** (3 - i) for i, h in enumerate(
    ("0x1.c6af84b912394p-5", "0x1.ebfce50fac4f3p-3", "0x1.62e42ff0c52d6p-1"))]
_BETA = float(_F32(2 / math.sqrt(math.pi) * math.sqrt(0.5) * 0.5))  # 1/sqrt(2 pi), ATen's pdf


def _fma(a, b, c):
    """a*b + c rounded once to float32 (via float64: the product is exact, the sum rounds)."""
    return (a.astype(_F64) * b + c).astype(_F32)


def _flip_sign(xp, v, like, out, bits):
    """out := v with the sign bit of `like` xor-ed in (float32 arrays; bits: int32 scratch)."""
    xp.bitwise_and(like.view(_I32), _SIGN, out=bits)
    xp.bitwise_xor(v.view(_I32), bits, out=out.view(_I32))
    return out


class _Work:
    """Named work arrays of one size, kept per thread for the next call of that size: a fresh
    large array costs a page fault per 4 KiB, more than the arithmetic done in it."""

    _local = threading.local()

    @classmethod
    def get(cls, xp, x):
        key = (xp, x.size, str(getattr(x, "device", "")))
        kept = getattr(cls._local, "kept", None)
        if kept is None:
            kept = cls._local.kept = {}
        w = kept.get(key)
        if w is None:
            w = cls()
            w.key, w.xp, w.arrays = key, xp, {}
            if x.size <= _KEEP:
                if len(kept) > 1:  # a block size and one other
                    kept.pop(next(iter(kept)))
                kept[key] = w
        return w

    def __call__(self, name, dtype):
        a = self.arrays.get(name)
        if a is None:
            a = self.arrays[name] = self.xp.empty(self.key[1], dtype)
        return a

    def fma_round(self, r):
        """r (float64) := r rounded to float32; returns the float32 copy (a work array)."""
        buf = self("buf", _F32)
        buf[...] = r
        r[...] = buf
        return buf

    def horner(self, t64, coefs, r):
        """r := Horner in t64 over coefs (highest degree first), each step a float32 fma."""
        r[...] = coefs[0]
        for c in coefs[1:]:
            r *= t64
            r += c
            buf = self.fma_round(r)
        return buf


_BLOCK = 1 << 14  # elements per pass of the oneDNN kernels: their work arrays stay in cache
_KEEP = 1 << 16  # elements: larger work arrays (ATen's path) are not kept (~2 MB at most)


def _blocks(xp, kernel, x):
    """kernel(xp, block, out block) over x (flat float32) in blocks, into a new array."""
    out = xp.empty(x.shape, _F32)
    for i in range(0, x.size, _BLOCK):
        kernel(xp, x[i:i + _BLOCK], out[i:i + _BLOCK])
    return out


# ---- oneDNN (contiguous inputs of more than one element) ----

def _dnnl_fwd(xp, x, out):
    w = _Work.get(xp, x)
    a = xp.abs(x, out=w("a", _F32))
    key = xp.add(a.view(np.uint32), _KEY_BIAS, out=w("key", np.uint32))
    xp.right_shift(key, 21, out=key)
    key += xp.greater(a, _F32(_PIECE_END), out=w("m", np.bool_))
    idx = w("idx", np.intp)
    idx[...] = key
    a64, r, c = w("a64", _F64), w("r", _F64), w("c", _F64)
    a64[...] = a
    tbl = xp.asarray(_PIECES_BY_KEY)
    take_into(tbl[5], idx, r)
    for k in (4, 3, 2, 1, 0):
        r *= a64
        r += take_into(tbl[k], idx, c)
        p = w.fma_round(r)
    xp.copysign(p, x, out=out)  # erf(x / sqrt 2) (every piece is positive: copysign is xor)
    out += _F32(1)
    out *= x
    out *= _F32(0.5)
    return out


def _dnnl_exp(w, d, out):
    """out := oneDNN's exp(d) (d: float32 work array, <= 0 or NaN, clobbered)."""
    xp = w.xp
    xp.clip(d, _F32(_LN_MIN), _F32(_LN_MAX), out=d)
    n = xp.multiply(d, _F32(_LOG2E), out=w("n", _F32))
    n += _F32(0.5)
    xp.floor(n, out=n)
    r, t64 = w("r", _F64), w("t64", _F64)
    r[...] = n
    r *= -_LN2
    r += d  # fma(n, -ln 2, d)
    t64[...] = w.fma_round(r)
    p = w.horner(t64, _DNNL_EXP + [1.0], r)
    e = w("i", _I32)
    e[...] = n
    e += 126  # 2^(n-1) from its exponent bits: n - 1 = -127 (d at the clamp) gives +0
    xp.left_shift(e, 23, out=e)
    xp.multiply(p, e.view(_F32), out=out)
    out *= _F32(2)
    return out


def _as_erf(w, z, e, out):
    """out := sign(z) (1 - t P(t) e), t = 1 / (1 + p|z|); e (float32) is exp(-z^2)."""
    xp = w.xp
    r, t64, c = w("r", _F64), w("t64", _F64), w("c", _F64)
    xp.abs(z, out=out)
    r[...] = out
    r *= _AS_P
    r += 1.0
    xp.divide(_F32(1), w.fma_round(r), out=out)  # t
    t64[...] = out
    w.horner(t64, _AS_POLY, r)
    c[...] = e
    c *= t64
    c *= -1.0
    out[...] = c  # (-e) t, rounded
    c[...] = out
    c *= r
    c += 1.0
    out[...] = c  # fma((-e) t, P(t), 1)
    return _flip_sign(xp, out, z, out, w("i", _I32))


def _dnnl_grad(xp, x, out):
    """out := d gelu / dx as oneDNN's backward computes it (before the product with dy)."""
    w = _Work.get(xp, x)
    z = xp.multiply(x, _F32(_INV_SQRT2), out=w("z", _F32))
    d = xp.multiply(z, z, out=w("d", _F32))
    d *= _F32(-1)
    q = _dnnl_exp(w, d, w("q", _F32))
    erf = _as_erf(w, z, q, w("erf", _F32))
    z *= _F32(_INV_SQRTPI)
    z *= q
    z += _F32(0.5)  # 1/2 + z exp(-z^2) / sqrt pi
    r = w("r", _F64)
    r[...] = erf
    r *= 0.5
    r += z
    out[...] = r  # fma(erf, 1/2, that)
    return out


def _dnnl_fwd_as(xp, x, out):
    """oneDNN's forward below AVX-512: Abramowitz-Stegun erf, then fma(erf, x/2, x/2)."""
    w = _Work.get(xp, x)
    z = xp.multiply(x, _F32(_INV_SQRT2), out=w("z", _F32))
    d = xp.multiply(z, z, out=w("d", _F32))
    d *= _F32(-1)
    erf = _as_erf(w, z, _dnnl_exp(w, d, w("q", _F32)), w("erf", _F32))
    half = xp.multiply(x, _F32(0.5), out=w("d", _F32))
    r = w("r", _F64)
    r[...] = erf
    r *= half
    r += half
    out[...] = r
    return out


_ISA = []
_AVX512 = {"avx512f", "avx512bw", "avx512vl", "avx512dq"}


def _isa():
    """(float32 elements per step of ATen's vector loop, 0 where it maps the C library's
    erff; whether oneDNN runs its AVX-512 code), as torch picks them in this process: the
    ATEN_CPU_CAPABILITY and ONEDNN_MAX_CPU_ISA variables, else the CPU's flags."""
    if not _ISA:
        try:
            with open("/proc/cpuinfo") as f:
                flags = set(next((ln for ln in f if ln.startswith("flags")), "").split())
        except OSError:
            flags = _AVX512 | {"avx2", "fma"}  # (taken as an AVX-512 machine)
        cpu = 32 if _AVX512 <= flags else 16 if {"avx2", "fma"} <= flags else 0
        aten = {"avx512": 32, "avx2": 16, "default": 0}.get(
            os.environ.get("ATEN_CPU_CAPABILITY", ""), cpu)
        isa = os.environ.get("ONEDNN_MAX_CPU_ISA", "ALL").upper()
        dnnl = cpu == 32 and (isa == "ALL" or isa.startswith(("AVX512", "AVX10")))
        _ISA[:] = [min(aten, cpu) if aten else 0, dnnl]
    return _ISA


# ---- ATen's loop: vector steps, and the C library's erff/expf on what they leave over ----

def _sleef_exp(xp, d):
    dc = xp.clip(d, _F32(-104.5), _F32(100.5))  # outside, the answer is fixed below
    q = xp.rint(dc * _F32(_S_LOG2E))
    s = _fma(q, -_S_LN2_HI, dc)
    s = _fma(q, -_S_LN2_LO, s)
    w = _Work.get(xp, s)
    u = w.horner(s.astype(_F64).reshape(-1), _S_EXP, w("r", _F64)).reshape(s.shape)
    u = _fma(s * s, u, s) + _F32(1)
    u = xp.ldexp(u, q.astype(_I32))  # one rounding, as SLEEF's two-step scale (exact first)
    u = xp.where(d < -104, _F32(0), u)
    return xp.where(d > 100, _F32(np.inf), u)  # (NaN stays NaN through the arithmetic)


def _vec_erf(xp, z):
    shape = z.shape
    z = xp.ascontiguousarray(z).reshape(-1)
    e = _sleef_exp(xp, -(z * z))
    return _as_erf(_Work.get(xp, z), z, e, xp.empty(z.shape, _F32)).reshape(shape)


def _poly32(z, coefs):
    """coefs[0] + z (coefs[1] + z (...)) in float32 steps, no fused multiply-add."""
    r = coefs[-1]
    for c in coefs[-2::-1]:
        r = _F32(c) + z * r
    return r


def _libm_erf(xp, x):
    """glibc's (2.36, from fdlibm) erff in float32 steps: rational fits on [0, 0.84375) and
    [0.84375, 1.25), erfc as exp(-x^2 - 0.5625 + R/S(1/x^2)) / x on [1.25, 6), 1 beyond."""
    a = xp.abs(x)
    bits = a.view(_I32)
    out = xp.where(x < 0, _F32(-1), _F32(1))  # |x| >= 6 (and infinities)
    out = xp.where(a != a, a, out)
    near = bits < 0x3F580000
    if near.any():
        v = x[near]
        z = v * v
        y = _poly32(z, _ERF_PP) / (_F32(1) + z * _poly32(z, _ERF_QQ))
        tiny = xp.abs(v) < _F32(2.0 ** -28)  # erf(x) = x + efx x there (no underflow in ours)
        out[near] = xp.where(tiny, v + _F32(_ERF_PP[0]) * v, v + v * y)
    mid = (bits >= 0x3F580000) & (bits < 0x3FA00000)
    if mid.any():
        v = x[mid]
        t = xp.abs(v) - _F32(1)
        q = _poly32(t, _ERF_PA) / (_F32(1) + t * _poly32(t, _ERF_QA))
        out[mid] = xp.where(v < 0, -_F32(_ERX) - q, _F32(_ERX) + q)
    far = (bits >= 0x3FA00000) & (bits < 0x40C00000)
    if far.any():
        v = x[far]
        av = xp.abs(v)
        t = _F32(1) / (av * av)
        lo = av.view(_I32) < 0x4036DB6E
        r_s = xp.where(lo, _poly32(t, _ERF_RA) / (_F32(1) + t * _poly32(t, _ERF_SA)),
                       _poly32(t, _ERF_RB) / (_F32(1) + t * _poly32(t, _ERF_SB)))
        z = (av.view(_I32) & -0x1000).view(_F32)  # |x| with its low 12 bits cleared
        e = _libm_exp(xp, -z * z - _F32(0.5625)) * _libm_exp(xp, (z - av) * (z + av) + r_s)
        out[far] = xp.where(v < 0, e / av - _F32(1), _F32(1) - e / av)
    return out


def _libm_exp(xp, x):
    """glibc's (2.27+) expf: 2^(k/32) from a table times a cubic in the remainder, in double
    (its FMA build fuses the cubic's steps; that changes the float result ~1e-9 of the time)."""
    xd = x.astype(_F64)
    z = xd * _EXPF_INVLN2N
    kd = z + _EXPF_SHIFT
    kd -= _EXPF_SHIFT  # z rounded to an integer, ties to even
    r = z - kd
    k = xp.clip(kd, -160 * 32, 160 * 32).astype(xp.int64)  # (NaN / inf: answered below)
    t = xp.asarray(_EXPF_TAB).take(k & 31) + (k << 47)
    y = (_EXPF_C[0] * r + _EXPF_C[1]) * (r * r) + (_EXPF_C[2] * r + 1.0)
    y = (y * t.view(_F64)).astype(_F32)
    y = xp.where(xd < -103.97207641601562, _F32(0), y)  # (x < log 2^-150)
    y = xp.where(xd > 88.72283935546875, _F32(np.inf), y)
    return xp.where(x != x, x, y)


def _aten_layout(x, g):
    """How TensorIterator walks x (and g): the axis order (outermost first), the length of
    an innermost run, and the vector step (0: all scalar)."""
    ops = [x] if g is None else [g, x]
    dims = [i for i in range(x.ndim) if x.shape[i] > 1]
    lead = next((a for a in ops if all(a.strides[i] for i in dims)), x)  # decides the order
    order = sorted(dims, key=lambda i: -abs(lead.strides[i]))
    perm = [i for i in range(x.ndim) if i not in dims] + order
    if not order:
        return perm, 1, 0
    inner, k = x.shape[order[-1]], len(order) - 1
    while k and all(a.strides[order[k - 1]] == a.strides[order[k]] * x.shape[order[k]]
                    for a in ops):  # merge dims every operand walks contiguously
        k -= 1
        inner *= x.shape[order[k]]
    unit = x.strides[order[-1]] == x.itemsize and (
        g is None or g.strides[order[-1]] in (0, g.itemsize))  # else no vector steps at all
    step = _isa()[0] * (1 if x.dtype == _F32 else 2)  # two vector registers of x's type
    return perm, inner, step if unit else 0


def _vector_mask(n, inner, step, grain):
    """Which elements (in walk order) the vector steps take: each thread's range of the walk
    (at::parallel_for over `grain`) is cut at the ends of innermost runs, and each piece
    leaves its last (length mod step) elements to the scalar code."""
    chunk = n
    if n > 16384 if grain is None else n >= grain:
        from .. import _threads
        threads = _threads.get_num_threads()  # (torch's count when both are set alike)
        if threads > 1:
            grain = grain or n // threads  # the forward: one range per thread
            chunk = -(-n // min(threads, -(-n // grain)))
    i = np.arange(n)
    start = np.maximum(i // inner * inner, i // chunk * chunk)
    length = np.minimum(i // inner * inner + inner, i // chunk * chunk + chunk)
    length -= start
    return i - start < length - length % step


def _aten_map(xp, x, fn, g=None, grain=None):
    """fn(erf, exp, fused, x values, g values) over the vector part and the scalar rest, in
    torch's walk order (float32)."""
    perm, inner, step = _aten_layout(x, g)
    shape = [x.shape[i] for i in perm]
    flat = x.transpose(perm).astype(_F32).reshape(-1)
    gf = flat if g is None else g.transpose(perm).astype(_F32).reshape(-1)
    vec = xp.asarray(_vector_mask(flat.size, inner, step, grain)) if step else None
    out = xp.empty(flat.shape, _F32)
    if vec is None:
        out[...] = fn(_libm_erf, _libm_exp, False, flat, gf)
    else:
        out[vec] = fn(_vec_erf, _sleef_exp, True, flat[vec], gf[vec])
        rest = ~vec
        out[rest] = fn(_libm_erf, _libm_exp, False, flat[rest], gf[rest])
    res = xp.empty(x.shape, _F32)
    res.transpose(perm)[...] = out.reshape(shape)
    return res


def _erf_of(xp, erf, v):
    return erf(xp, v * _F32(_INV_SQRT2))


def _aten_fwd(xp, x):
    return _aten_map(xp, x, lambda erf, exp, fused, v, g: v * _F32(0.5) * (
        _F32(1) + _erf_of(xp, erf, v)))


def _aten_bwd(xp, g, x):
    def fn(erf, exp, fused, v, gv):
        cdf = _F32(0.5) * (_F32(1) + _erf_of(xp, erf, v))
        pdf = _F32(_BETA) * exp(xp, v * v * _F32(-0.5))
        return gv * (_fma(v, pdf, cdf) if fused else cdf + v * pdf)  # vector code fuses it
    return _aten_map(xp, x, fn, g, 32768)  # (the backward keeps the default grain)


# ---- entry points ----

def _onednn(x):
    """torch's use_mkldnn(input) for gelu: enabled, contiguous, more than one element, and
    float32 or a 16-bit type this CPU's oneDNN supports."""
    return (x.size > 1 and x.flags.c_contiguous and _mkldnn_enabled()
            and (x.dtype == _F32 or _low_precision_cpu(D.from_numpy_dtype(x.dtype))))


def gelu_fwd(xp, x):
    """torch's gelu(x) for a float32/float16/bfloat16 array x, as float32 (round to x's type)."""
    with np.errstate(invalid="ignore", over="ignore", under="ignore"):
        if _onednn(x):
            flat = x.astype(_F32, copy=False).reshape(-1)
            return _blocks(xp, _dnnl_fwd if _isa()[1] else _dnnl_fwd_as, flat).reshape(x.shape)
        return _aten_fwd(xp, x)


def gelu_bwd(xp, g, x):
    """torch's gelu_backward(g, x) on arrays (g broadcast to x's shape), as float32."""
    g = xp.broadcast_to(g, x.shape)
    with np.errstate(invalid="ignore", over="ignore", under="ignore", divide="ignore"):
        if _onednn(x):
            flat = x.astype(_F32, copy=False).reshape(-1)
            out = _blocks(xp, _dnnl_grad, flat).reshape(x.shape)
            out *= g
            return out
        return _aten_bwd(xp, g, x)
