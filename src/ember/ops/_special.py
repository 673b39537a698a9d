"""Special functions NumPy lacks (erf, erfc, erfinv) and the activation kernels, on arrays.

erf and erfc are piecewise Chebyshev interpolants evaluated in float64 whatever the input:
erf(x) = x h(x^2) for |x| < 1, and erfc(x) = exp(-x^2) g(x) beyond, with g fitted on [1, 4]
in x and on (0, 1/4] in t = 1/x. The coefficients are not tabulated: they are interpolated once,
on first use, from Python's libm `math.erf`/`math.erfc` (accurate to an ulp), so results agree
with torch's to a few ulp. exp(-x^2) uses an exact split of x^2 so erfc keeps its relative
accuracy in the far tail. erfinv starts from Giles' approximation and polishes with Newton steps
on erf (|y| < 0.5) or on log erfc (|y| >= 0.5, where 1 - |y| is exact and erf would cancel).
"""

import math

import numpy as np

_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)
_SQRT_PI = math.sqrt(math.pi)
_FITS = []  # [h on u in [0, 1], g on x in [1, 4], q on t in (0, 1/4]]


def sigmoid(xp, x):
    # 1 / (1 + exp(-x)) overflows harmlessly to 0 for very negative x
    with np.errstate(over="ignore"):
        return 1 / (1 + xp.exp(-x))


def relu(xp, x):
    """torch's clamp_min(x, 0): x unless x < 0, so -0.0 and NaN stay (maximum(-0.0, 0) is 0.0);
    clip keeps x on a tie, and NumPy's float clip is also faster than maximum."""
    if x.dtype.kind == "f":
        return clip(xp, x, 0.0, _INF)
    return xp.maximum(x, 0) if x.dtype != bool else x.copy()


def clip(xp, x, lo, hi):
    """`xp.clip(x, lo, hi)`; on NumPy its ufunc directly (np.clip's Python wrapper costs ~2 us a
    call, four times the 8x8 arithmetic)."""
    return _np_clip(x, lo, hi) if xp is np else xp.clip(x, lo, hi)


_INF = float("inf")
_np_clip = np._core.umath.clip  # the ufunc behind np.clip (NumPy >= 2, as pyproject requires)


def _split_sq(x):
    """x*x as hi + lo exactly (Dekker), so exp(-x^2) loses nothing to rounding of x^2."""
    c = 134217729.0 * x
    xh = c - (c - x)
    xl = x - xh
    hi = x * x
    return hi, ((xh * xh - hi) + 2 * xh * xl) + xl * xl


def _erfcx_ref(x):
    """exp(x^2) erfc(x) in double precision, for fitting (x > 0)."""
    if x > 26.0:  # asymptotic series, converged to rounding here
        s, term = 1.0, 1.0
        for n in range(1, 12):
            term *= -(2 * n - 1) / (2 * x * x)
            s += term
        return s / (x * _SQRT_PI)
    hi, lo = _split_sq(x)
    return math.erfc(x) * math.exp(hi) * (1 + lo)


def _cheb(f, lo, hi, n):
    """Chebyshev coefficients of f on [lo, hi], interpolated at n first-kind nodes (n is where
    the coefficients reach 1e-16: more would only fit the reference's rounding noise)."""
    k = np.arange(n)
    t = np.cos(np.pi * (k + 0.5) / n)
    y = np.array([f((hi - lo) / 2 * v + (hi + lo) / 2) for v in t])
    # the cosine's argument reduced exactly mod 2 pi, else its rounding swamps small coefficients
    c = np.array([2.0 / n * math.fsum(y * np.cos((j * (2 * k + 1) % (4 * n)) * np.pi / (2 * n)))
                  for j in range(n)])
    c[0] /= 2
    return (lo, hi, [float(v) for v in c])


def _fits():
    if not _FITS:
        _FITS.append(_cheb(lambda u: math.erf(math.sqrt(u)) / math.sqrt(u) if u else
                           _TWO_OVER_SQRT_PI, 0.0, 1.0, 16))
        _FITS.append(_cheb(_erfcx_ref, 1.0, 4.0, 24))
        _FITS.append(_cheb(lambda t: _erfcx_ref(1 / t) / t if t else 1 / _SQRT_PI, 0.0, 0.25, 18))
    return _FITS


def _clenshaw(fit, x):
    lo, hi, c = fit
    t = (2.0 / (hi - lo)) * x - (hi + lo) / (hi - lo)
    t2 = 2 * t
    b1 = b2 = 0.0
    for ck in c[:0:-1]:
        b1, b2 = t2 * b1 - b2 + ck, b1
    return t * b1 - b2 + c[0]


def _erfc_pos(xp, a):
    """erfc(a) for a >= 1 (float64 array)."""
    _, gfit, qfit = _fits()
    g = xp.empty_like(a)
    mid = a <= 4.0
    if mid.any():
        g[mid] = _clenshaw(gfit, a[mid])
    far = ~mid
    if far.any():
        af = a[far]
        g[far] = _clenshaw(qfit, 1.0 / af) / af
    with np.errstate(under="ignore", over="ignore", invalid="ignore"):
        hi, lo = _split_sq(a)
        out = xp.exp(-hi) * (1 - lo) * g
    out[a >= 28.0] = 0.0  # erfc has underflowed there (and a * a overflows past 1e154: NaN)
    return out


def _erf_parts(xp, x):
    """(erf(x), erfc(|x|) for |x| >= 1 else None) in float64, with NaN passed through."""
    z = x.astype(xp.float64) if x.dtype != xp.float64 else x
    a = xp.abs(z)
    small = a < 1.0
    out = xp.empty_like(z)
    if small.any():
        s = z[small]
        out[small] = s * _clenshaw(_fits()[0], s * s)
    big = ~small & ~xp.isnan(z)
    tail = None
    if big.any():
        tail = _erfc_pos(xp, a[big])
        out[big] = xp.where(z[big] < 0, tail - 1.0, 1.0 - tail)
    out[xp.isnan(z)] = xp.nan
    return z, out, big, tail


def erf(xp, x):
    _, out, _, _ = _erf_parts(xp, x)
    return out.astype(x.dtype) if x.dtype != xp.float64 else out


def erfc(xp, x):
    z, e, big, tail = _erf_parts(xp, x)
    out = xp.asarray(1.0 - e)  # (an array also for a 0-d x: NumPy's 1.0 - e is a scalar)
    if tail is not None:
        zb = z[big]
        out[big] = xp.where(zb < 0, 2.0 - tail, tail)
    return out.astype(x.dtype) if x.dtype != xp.float64 else out


def erfinv(xp, y):
    yd = y.astype(xp.float64) if y.dtype != xp.float64 else y
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        w = -xp.log((1.0 - yd) * (1.0 + yd))
        central = w < 5.0
        wc = w - 2.5
        pc = 2.81022636e-08
        for c in (3.43273939e-07, -3.5233877e-06, -4.39150654e-06, 0.00021858087,
                  -0.00125372503, -0.00417768164, 0.246640727, 1.50140941):
            pc = c + pc * wc
        wt = xp.sqrt(w) - 3.0
        pt = -0.000200214257
        for c in (0.000100950558, 0.00134934322, -0.00367342844, 0.00573950773,
                  -0.0076224613, 0.00943887047, 1.00167406, 2.83297682):
            pt = c + pt * wt
        x = xp.where(central, pc, pt) * yd
        ay = xp.abs(yd)
        near = ay >= 0.5
        tail = 1.0 - ay  # exact for |y| >= 0.5
        for _ in range(8):  # Newton; for |y| >= 0.5 on log erfc(|x|) = log(1 - |y|), which
            # is near-linear in x^2 (the guess is poor as |y| -> 1) and does not cancel
            slope = _TWO_OVER_SQRT_PI * xp.exp(-x * x)
            c = erfc(xp, xp.abs(x))
            step = xp.where(near, xp.log(c / tail) * c / slope * xp.sign(yd),
                            (yd - erf(xp, x)) / slope)
            x = x + step
            if not (xp.abs(step) > 1e-13 * xp.abs(x)).any():  # quadratic: done
                break
        x = xp.where(yd == 1.0, xp.inf, xp.where(yd == -1.0, -xp.inf, x))
        x = xp.where(ay > 1.0, xp.nan, xp.copysign(x, yd))  # odd: erfinv(-0.0) is -0.0
    return x.astype(y.dtype) if y.dtype != xp.float64 else x
