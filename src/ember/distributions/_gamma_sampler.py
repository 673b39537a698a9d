"""torch._standard_gamma's CPU sampler and its reparameterised gradient, on ember's default
generator: Marsaglia and Tsang's rejection method, each uniform a 53-bit double and each normal
torch's cached Box-Muller double, element by element in order, so the draws equal torch's."""
import math

import numpy as np

import ember
import ember._random as R
from ember._random_normal import normal_scalar

_F = lambda v: float(np.float32(v))  # noqa: E731  C float literals (0.0331f, ...)
_THIRD_F = _F(1.0 / 3.0)
_C0331 = _F(0.0331)


def _gamma_one(alpha, T, uniform, normal):
    scale = 1.0
    if alpha < 1:
        if alpha == 0:
            return 0.0
        scale *= math.pow(1 - uniform(), float(T(1) / alpha))
        alpha = alpha + T(1)
    d = float(alpha - T(_THIRD_F))
    c = 1.0 / math.sqrt(9.0 * d)
    while True:
        while True:
            x = normal()
            y = 1.0 + c * x
            if y > 0:
                break
        v = y * y * y
        u = 1 - uniform()
        xx = x * x
        if u < 1.0 - _C0331 * xx * xx:
            return scale * d * v
        if math.log(u) < 0.5 * xx + d * (1.0 - v + math.log(v)):
            return scale * d * v


def standard_gamma_values(conc):
    """Standard Gamma(conc) draws as an array of conc's dtype (float32 or float64)."""
    T = np.float32 if conc.dtype == ember.float32 else np.float64
    gen = R._gen(None)
    uniform = lambda: float(gen.uniform53(1)[0])  # noqa: E731
    normal = lambda: float(normal_scalar(gen, 1, 0.0, 1.0)[0])  # noqa: E731
    a = np.ascontiguousarray(conc.detach().numpy(), dtype=T).reshape(-1)
    tiny = np.finfo(T).tiny
    out = np.array([max(tiny, T(_gamma_one(ai, T, uniform, normal))) for ai in a], dtype=T)
    return out.reshape(tuple(conc.shape))


_PSI_10 = 2.25175258906672110764
_DIGAMMA_A = (8.33333333333333333333E-2, -2.10927960927960927961E-2,
              7.57575757575757575758E-3, -4.16666666666666666667E-3,
              3.96825396825396825397E-3, -8.33333333333333333333E-3,
              8.33333333333333333333E-2)


def _digamma(x):
    """Cephes' digamma for x > 0 (the only case the gradient needs)."""
    if x == 0:
        return math.inf
    result = 0.0
    while x < 10:
        result -= 1 / x
        x += 1
    if x == 10:
        return result + _PSI_10
    y = 0.0
    if x < 1.0e17:
        z = 1.0 / (x * x)
        p = _DIGAMMA_A[0]
        for a in _DIGAMMA_A[1:]:
            p = p * z + a
        y = z * p
    return result + math.log(x) - (0.5 / x) - y


_COEF_UV = ((0.16009398, -0.094634809, 0.025146376, -0.0030648343,
             1, 0.32668115, 0.10406089, 0.0014179084),
            (0.53487893, 0.1298071, 0.065735949, -0.0015649758,
             0.16639465, 0.020070113, -0.0035938915, -0.00058392623),
            (0.040121004, -0.0065914022, -0.0026286047, -0.0013441777,
             0.017050642, -0.0021309326, 0.00085092367, -1.5247877e-07))


def _gamma_grad_one(alpha, x):
    """-(d/dalpha CDF(x; alpha)) / pdf(x; alpha): d x / d alpha at fixed uniform noise."""
    if x < _F(0.8):  # Taylor series for small x
        numer, denom = 1.0, alpha
        s1, s2 = numer / denom, numer / (denom * denom)
        for i in range(1, 6):
            numer *= -x / i
            denom += 1
            s1 += numer / denom
            s2 += numer / (denom * denom)
        pow_xa = math.pow(x, alpha)
        pdf = math.pow(x, alpha - 1) * math.exp(-x)
        cdf = pow_xa * s1
        cdf_alpha = (math.log(x) - _digamma(alpha)) * cdf - pow_xa * s2
        r = -cdf_alpha / pdf
        return 0.0 if math.isnan(r) else r
    if alpha > 8.0:  # Rice saddle point expansion for large alpha
        if _F(0.9) * alpha <= x <= _F(1.1) * alpha:
            n1 = 1 + 24 * alpha * (1 + 12 * alpha)
            n2 = (1440 * (alpha * alpha) + 6 * x * (53 - 120 * x) - 65 * x * x / alpha
                  + alpha * (107 + 3600 * x))
            return n1 * n2 / (1244160 * (alpha * alpha) * (alpha * alpha))
        denom = math.sqrt(8 * alpha)
        t2 = denom / (alpha - x)
        t3 = math.pow(x - alpha - alpha * math.log(x / alpha), -1.5)
        t23 = t2 - t3 if x < alpha else t2 + t3
        t1 = (math.log(x / alpha) * t23
              - math.sqrt(2 / alpha) * (alpha + x) / ((alpha - x) * (alpha - x)))
        stirling = 1 + 1 / (12 * alpha) * (1 + 1 / (24 * alpha))
        return -stirling * (x * t1) / denom
    u, v = math.log(x / alpha), math.log(alpha)  # bivariate rational approximation
    cv = [_COEF_UV[0][i] + u * (_COEF_UV[1][i] + u * _COEF_UV[2][i]) for i in range(8)]
    p = cv[0] + v * (cv[1] + v * (cv[2] + v * cv[3]))
    q = cv[4] + v * (cv[5] + v * (cv[6] + v * cv[7]))
    return math.exp(p / q)


def standard_gamma_grad(alpha, x):
    """torch._standard_gamma_grad: elementwise d sample / d alpha as alpha's dtype."""
    T = np.float32 if alpha.dtype == ember.float32 else np.float64
    a = np.ascontiguousarray(alpha.detach().numpy(), dtype=T).reshape(-1)
    s = np.ascontiguousarray(x.detach().numpy(), dtype=T).reshape(-1)
    out = np.array([_gamma_grad_one(float(ai), float(si)) for ai, si in zip(a, s)], dtype=T)
    return ember.from_numpy(out.reshape(tuple(alpha.shape))).to(alpha.device)


class StandardGamma(ember.autograd.Function):
    """Differentiable standard Gamma sample (implicit reparameterisation)."""

    @staticmethod
    def forward(ctx, conc):
        if conc.dtype not in (ember.float32, ember.float64):
            raise NotImplementedError(f'"gamma_cpu" not implemented for '
                                      f"'{conc.dtype._legacy[:-6]}'")
        out = ember.from_numpy(standard_gamma_values(conc)).to(conc.device)
        ctx.save_for_backward(conc, out)
        return out

    @staticmethod
    def backward(ctx, grad):
        conc, out = ctx.saved_tensors
        return grad * standard_gamma_grad(conc, out)
