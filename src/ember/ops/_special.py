"""Special functions NumPy lacks (erf, erfinv) and the activation kernels, on arrays.

erf is evaluated in float64 whatever the input: a positive-term series
erf(x) = 2/sqrt(pi) exp(-x^2) sum 2^n x^(2n+1) / (1*3*...*(2n+1)) for |x| < 3 (no cancellation),
and the continued fraction of erfc for |x| >= 3, so float64 results are accurate to a few ulp.
erfinv starts from Giles' single-precision approximation and takes two Newton steps on erf.
"""

import math

import numpy as np

_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)


def sigmoid(xp, x):
    # 1 / (1 + exp(-x)) overflows harmlessly to 0 for very negative x
    with np.errstate(over="ignore"):
        return 1 / (1 + xp.exp(-x))


def relu(xp, x):
    return xp.maximum(x, 0) if x.dtype != bool else x.copy()


def erf(xp, x):
    z = x.astype(xp.float64) if x.dtype != xp.float64 else x
    a = xp.abs(z)
    out = xp.empty_like(z)
    small = a < 3.0
    if small.any():
        s = z[small]
        s2 = s * s
        term = s.copy()
        total = s.copy()
        for n in range(1, 200):
            term = term * (2.0 * s2 / (2 * n + 1))
            total += term
            if xp.all(xp.abs(term) <= 1e-17 * xp.abs(total)):
                break
        out[small] = _TWO_OVER_SQRT_PI * xp.exp(-s2) * total
    big = ~small & ~xp.isnan(z)
    if big.any():
        b = a[big]
        frac = xp.zeros_like(b)
        for k in range(60, 0, -1):  # erfc(x) = e^{-x^2}/sqrt(pi) / (x + (1/2)/(x + 1/(x + ...)))
            frac = (k / 2.0) / (b + frac)
        erfc = xp.exp(-b * b) / math.sqrt(math.pi) / (b + frac)
        out[big] = xp.sign(z[big]) * (1.0 - erfc)
    nan = xp.isnan(z)
    if nan.any():
        out[nan] = xp.nan
    return out.astype(x.dtype) if x.dtype != xp.float64 else out


def erfinv(xp, y):
    yd = y.astype(xp.float64) if y.dtype != xp.float64 else y
    with np.errstate(divide="ignore", invalid="ignore"):
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
        for _ in range(2):  # Newton on erf(x) - y
            err = erf(xp, x) - yd
            x = x - err / (_TWO_OVER_SQRT_PI * xp.exp(-x * x))
        x = xp.where(yd == 1.0, xp.inf, xp.where(yd == -1.0, -xp.inf, x))
        x = xp.where(xp.abs(yd) > 1.0, xp.nan, x)
    return x.astype(y.dtype) if y.dtype != xp.float64 else x
