"""Gamma-family and Bessel kernels NumPy lacks (lgamma, digamma, polygamma, i0, i1), on arrays.

All but trigamma evaluate in float64 and cast back. lgamma and digamma shift x up by the recurrence
(Gamma(x+1) = x Gamma(x), psi(x+1) = psi(x) + 1/x) until x >= 10, where their Stirling series
converge to rounding with eight Bernoulli terms; negative x goes through the reflection formula.
polygamma(1) is torch's own trigamma (in x's type, so its truncation error is torch's);
polygamma(n >= 2) is (-1)^(n+1) n! zeta(n+1, x), the Hurwitz zeta summed directly below 10 and by
Euler-Maclaurin above. i0/i1 sum their power series, whose terms are all positive (no
cancellation), with as many terms as the largest |x| needs.
"""

import math

import numpy as np

# B_2k for k = 1..8
_BERN = (1 / 6, -1 / 30, 1 / 42, -1 / 30, 5 / 66, -691 / 2730, 7 / 6, -3617 / 510)
_HALF_LOG_2PI = 0.5 * math.log(2 * math.pi)
_SHIFT = 10.0


def _f64(x):
    return x.astype(np.float64) if x.dtype != np.float64 else x


def _back(r, x):
    if x.dtype == np.float64:
        return r
    with np.errstate(over="ignore"):  # beyond the type's range: inf, as torch's
        return r.astype(x.dtype)


def _shift_up(z, step):
    """Raises every finite z below _SHIFT to at least _SHIFT, calling step(z, mask) before
    each unit shift; returns the shifted z."""
    z = z.copy()
    while True:
        m = (z < _SHIFT) & np.isfinite(z)
        if not m.any():
            return z
        step(z, m)
        z[m] += 1.0


def _sin_pi(x):
    """sin(pi x) with the argument reduced exactly, so integers give exact zeros."""
    r = x - 2.0 * np.round(x / 2.0)  # in [-1, 1]
    return np.where(np.abs(r) == 1.0, 0.0, np.sin(np.pi * r))  # sin(pi) is 1.2e-16, not 0


def _lgamma_pos(z):
    """lgamma for z > 0."""
    log_prod = np.zeros_like(z)

    def step(z, m):
        log_prod[m] += np.log(z[m])
    w = _shift_up(z, step)
    inv = 1.0 / w
    inv2 = inv * inv
    s, p = np.zeros_like(w), inv
    for k, b in enumerate(_BERN, 1):
        s += b / (2 * k * (2 * k - 1)) * p
        p = p * inv2
    return (w - 0.5) * np.log(w) - w + _HALF_LOG_2PI + s - log_prod


def lgamma(x):
    z = _f64(x)
    out = np.empty_like(z)
    with np.errstate(all="ignore"):
        pos = z > 0
        out[pos] = _lgamma_pos(z[pos])
        neg = ~pos & ~np.isnan(z)
        if neg.any():
            zn = z[neg]
            s = np.abs(_sin_pi(zn))
            out[neg] = np.where(s == 0, np.inf,
                                np.log(np.pi / s) - _lgamma_pos(1.0 - zn))
        out[np.isnan(z)] = np.nan
        out[np.isinf(z)] = np.inf
    return _back(out, x)


def _digamma_pos(z):
    acc = np.zeros_like(z)

    def step(z, m):
        acc[m] -= 1.0 / z[m]
    w = _shift_up(z, step)
    inv2 = 1.0 / (w * w)
    s, p = np.zeros_like(w), inv2
    for k, b in enumerate(_BERN, 1):
        s += b / (2 * k) * p
        p = p * inv2
    return acc + np.log(w) - 0.5 / w - s


def digamma(x):
    z = _f64(x)
    out = np.empty_like(z)
    with np.errstate(all="ignore"):
        pos = z > 0
        out[pos] = _digamma_pos(z[pos])
        neg = ~pos & ~np.isnan(z)
        if neg.any():
            zn = z[neg]
            s = _sin_pi(zn)
            cot = np.cos(np.pi * (zn - 2.0 * np.round(zn / 2.0))) / s
            r = _digamma_pos(1.0 - zn) - np.pi * cot  # psi(x) = psi(1-x) - pi cot(pi x)
            r = np.where(zn == 0, np.copysign(np.inf, -zn), r)  # psi(+-0) = -+inf, as torch
            out[neg] = np.where((s == 0) & (zn != 0), np.nan, r)
        out[np.isnan(z)] = np.nan
        out[z == np.inf] = np.inf
    return _back(out, x)


def _zeta(s, z):
    """Hurwitz zeta(s, z) for integer s >= 2 and any non-integer-or-positive z."""
    acc = np.zeros_like(z)

    def step(z, m):
        acc[m] += z[m] ** -s
    w = _shift_up(z, step)
    r = acc + w ** (1 - s) / (s - 1) + 0.5 * w ** -s
    rising, p = float(s), w ** (-s - 1)  # s (s+1) ... (s+2k-2), w^(-s-2k+1)
    fact = 2.0
    for k, b in enumerate(_BERN, 1):
        r += b / fact * rising * p
        rising *= (s + 2 * k - 1) * (s + 2 * k)
        fact *= (2 * k + 1) * (2 * k + 2)
        p = p / (w * w)
    return r


def trigamma(x):
    """torch's trigamma (polygamma(1, x) and digamma's gradient), step for step in x's float
    type: reflection below 1/2 (sin(pi x) of the rounded pi x, so float32 poles are finite; a
    float32 sine correctly rounded, as glibc's sinf, not NumPy's SIMD one), six recurrence
    steps, a four-term asymptotic series."""
    t = x.dtype.type if x.dtype in (np.float32, np.float64) else np.float32
    z = x.astype(t(0).dtype, copy=True)
    one, pi = t(1), t(math.pi)
    with np.errstate(all="ignore"):
        refl = z < t(0.5)
        s = np.sin(pi * z) if t is np.float64 else np.sin((pi * z).astype(np.float64)).astype(t)
        result = np.where(refl, -((pi * pi) / (s * s)), t(0))
        z = np.where(refl, one - z, z)
        for _ in range(6):
            result += one / (z * z)
            z += one
        ixx = one / (z * z)
        result += (one + one / (t(2) * z) + ixx * (one / t(6) - ixx * (one / t(30) - ixx * (
            one / t(42))))) / z
        result = np.where(refl, -result, result)
    return result.astype(x.dtype, copy=False)


def polygamma(n, x):
    if n == 0:
        return digamma(x)
    if n == 1:
        return trigamma(x)
    z = _f64(x)
    with np.errstate(all="ignore"):
        pole = (z <= 0) & (z == np.round(z))  # kept out of _zeta: -1e30 + 1 never reaches 10
        if n == 1:
            pole &= z != -np.inf  # torch's trigamma(-inf) is NaN (the reflection's sin)
        refl = (z < 0.5) & ~pole if n == 1 else None  # psi1(x) = pi^2 / sin^2(pi x) - psi1(1 - x)
        w = np.where(pole, 1.0, z if refl is None else np.where(refl, 1.0 - z, z))
        if refl is None and bool((np.isfinite(z) & ~pole & (z < -1e6)).any()):
            from .._args import unsupported  # _zeta would shift x up 1e6+ times
            unsupported(f"torch.polygamma(n={n})", "input", "x < -1e6")
        out = (-1.0) ** (n + 1) * math.factorial(n) * _zeta(n + 1, w)
        if refl is not None:
            out = np.where(refl, (np.pi / _sin_pi(z)) ** 2 - out, out)
        out = np.where(pole, np.inf if n % 2 else -np.inf, out)
        out = np.where(z == np.inf, 0.0 if n == 1 else np.nan, out)  # torch's psi_n(inf), n > 1
    return _back(out, x)


def _bessel_series(x, order):
    """I_order(x) (order 0 or 1) by its power series in (x/2)^2."""
    z = _f64(x)
    q = (z * z) / 4.0
    term = np.ones_like(z) if order == 0 else z / 2.0
    out = term + 0.0  # i1(-0.0) is +0.0 in torch
    finite = np.abs(z[np.isfinite(z)])
    top = min(float(finite.max()) if finite.size else 0.0, 720.0)  # beyond, the result is inf
    n = int(top / 2 + 12 * math.sqrt(top / 2 + 1) + 20)
    with np.errstate(all="ignore"):
        for k in range(1, n):
            term = term * q / (k * (k + order))
            out += term
        big = np.abs(z) > 720.0
        inf = np.where(np.isinf(z), np.nan, np.inf)  # torch's i0(+-inf) and i1(+-inf) are NaN
        out = np.where(big, inf if order == 0 else np.copysign(inf, z), out)
    return _back(out, x)


def i0(x):
    return _bessel_series(x, 0)


def i1(x):
    return _bessel_series(x, 1)
