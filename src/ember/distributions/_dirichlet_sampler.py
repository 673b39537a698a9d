"""torch._sample_dirichlet's CPU sampler and torch._dirichlet_grad, on ember's default generator.

Draws: a double-precision Gamma(alpha) per element (torch's sampler, _gamma_sampler.py), in
order, normalised over the last dimension and clamped into [tiny, 1) of the dtype: equal to
torch's. Gradients: torch's approximations of d x / d alpha (Taylor series near 0 and 1, a Rice
saddle point expansion for large parameters, else a rational correction), evaluated in double
(torch evaluates some float32 branches in float32: expect agreement to float32 rounding).
"""
import math

import numpy as np

import ember
import ember._random as R
from ember._random_normal import normal_scalar
from ember.distributions._gamma_sampler import _digamma, _gamma_one


def sample_dirichlet(conc):
    if conc.dtype not in (ember.float32, ember.float64):
        raise NotImplementedError(f'"dirichlet" not implemented for '
                                  f"'{conc.dtype._legacy[:-6]}'")
    T = np.float32 if conc.dtype == ember.float32 else np.float64
    gen = R._gen(None)
    uniform = lambda: float(gen.uniform53(1)[0])  # noqa: E731
    normal = lambda: float(normal_scalar(gen, 1, 0.0, 1.0)[0])  # noqa: E731
    a = np.ascontiguousarray(conc.detach().numpy()).astype(np.float64).reshape(-1)
    tiny64 = np.finfo(np.float64).tiny
    g = np.array([max(tiny64, _gamma_one(ai, np.float64, uniform, normal)) for ai in a])
    g = g.reshape(tuple(conc.shape))
    x = (g / g.sum(-1, keepdims=True)).astype(T)
    x = np.minimum(np.nextafter(T(1), T(0)), np.maximum(np.finfo(T).tiny, x))
    return ember.from_numpy(np.ascontiguousarray(x)).to(conc.device)


def _grad_alpha_small(x, alpha, beta):
    factor = _digamma(alpha) - _digamma(alpha + beta) - math.log(x)
    numer = 1.0
    series = numer / alpha * (factor + 1 / alpha)
    for i in range(1, 11):
        numer *= (i - beta) * x / i
        denom = alpha + i
        series += numer / denom * (factor + 1 / denom)
    r = x * math.pow(1 - x, -beta) * series
    return 0.0 if math.isnan(r) else r


def _grad_beta_small(x, alpha, beta):
    factor = _digamma(alpha + beta) - _digamma(beta)
    numer, betas, dbetas, series = 1.0, 1.0, 0.0, factor / alpha
    for i in range(1, 9):
        numer *= -x / i
        dbetas = dbetas * (beta - i) + betas
        betas = betas * (beta - i)
        series += numer / (alpha + i) * (dbetas + factor * betas)
    r = -math.pow(1 - x, 1 - beta) * series
    return 0.0 if math.isnan(r) else r


def _grad_alpha_mid(x, alpha, beta):
    total = alpha + beta
    mean = alpha / total
    std = math.sqrt(alpha * beta / (total + 1)) / total
    if mean - 0.1 * std <= x <= mean + 0.1 * std:  # avoid the singularity at x = mean
        bb = beta * beta
        poly = 47 * x * bb * bb + alpha * (
            (43 + 20 * (16 + 27 * beta) * x) * bb * beta + alpha * (
                3 * (59 + 180 * beta - 90 * x) * bb + alpha * (
                    (453 + 1620 * beta * (1 - x) - 455 * x) * beta + alpha * (
                        8 * (1 - x) * (135 * beta - 11)))))
        pre_num = (1 + 12 * alpha) * (1 + 12 * beta) / (total * total)
        pre_den = 12960 * alpha * alpha * alpha * beta * beta * (1 + 12 * total)
        return pre_num / (1 - x) * poly / pre_den
    prefactor = -x / math.sqrt(2 * alpha * beta / total)
    stirling = ((1 + 1 / (12 * alpha) + 1 / (288 * alpha * alpha))
                * (1 + 1 / (12 * beta) + 1 / (288 * beta * beta))
                / (1 + 1 / (12 * total) + 1 / (288 * total * total)))
    t1_num = 2 * (alpha * alpha) * (x - 1) + alpha * beta * (x - 1) - x * (beta * beta)
    axbx = alpha * (x - 1) + beta * x
    t1 = t1_num / (math.sqrt(2 * alpha / beta) * math.pow(total, 1.5) * axbx * axbx)
    t2 = 0.5 * math.log(alpha / (total * x))
    t3 = math.sqrt(8 * alpha * beta / total) / (beta * x + alpha * (x - 1))
    t4 = math.pow(beta * math.log(beta / (total * (1 - x)))
                  + alpha * math.log(alpha / (total * x)), -1.5)
    return stirling * prefactor * (t1 + t2 * (t3 + (t4 if x < mean else -t4)))


_C = (((( 1.003668233, -0.01061107488, -0.0657888334, 0.01201642863),  # noqa: E201
        ( 0.6336835991, -0.3557432599, 0.05486251648, -0.001465281033),  # noqa: E201
        (-0.03276231906, 0.004474107445, 0.002429354597, -0.0001557569013)),
       (( 0.221950385, -0.3187676331, 0.01799915743, 0.01074823814),  # noqa: E201
        (-0.2951249643, 0.06219954479, 0.01535556598, 0.001550077057),
        ( 0.02155310298, 0.004170831599, 0.001292462449, 6.976601077e-05)),  # noqa: E201
       ((-0.05980841433, 0.008441916499, 0.01085618172, 0.002319392565),
        ( 0.02911413504, 0.01400243777, -0.002721828457, 0.000751041181),  # noqa: E201
        ( 0.005900514878, -0.001936558688, -9.495446725e-06, 5.385558597e-05))),  # noqa: E201
      ((( 1, -0.02924021934, -0.04438342661, 0.007285809825),  # noqa: E201
        ( 0.6357567472, -0.3473456711, 0.05454656494, -0.002407477521),  # noqa: E201
        (-0.03301322327, 0.004845219414, 0.00231480583, -0.0002307248149)),
       (( 0.5925320577, -0.1757678135, 0.01505928619, 0.000564515273),  # noqa: E201
        ( 0.1014815858, -0.06589186703, 0.01272886114, -0.0007316646956),  # noqa: E201
        (-0.007258481865, 0.001096195486, 0.0003934994223, -4.12701925e-05)),
       (( 0.06469649321, -0.0236701437, 0.002902096474, -5.896963079e-05),  # noqa: E201
        ( 0.001925008108, -0.002869809258, 0.0008000589141, -6.063713228e-05),  # noqa: E201
        (-0.0003477407336, 6.959756487e-05, 1.097287507e-05, -1.650964693e-06))))


def _dirichlet_grad_one(x, alpha, total, T):
    beta_t = T(total) - T(alpha)  # the branch tests run in the dtype, as torch's
    boundary = T(total) * T(x) * (T(1) - T(x))
    x, alpha, total = float(x), float(alpha), float(total)
    if x <= 0.5 and boundary < 2.5:
        return _grad_alpha_small(x, alpha, float(beta_t))
    if x >= 0.5 and boundary < 0.75:
        return -_grad_beta_small(1 - x, float(beta_t), alpha)
    beta = total - alpha
    if alpha > 6 and beta_t > 6:
        return _grad_alpha_mid(x, alpha, beta)
    u = math.log(x)
    a = math.log(alpha) - u
    b = math.log(total) - a
    p = q = 0.0
    for i, pu in enumerate((1.0, u, u * u)):
        for j, pa in enumerate((1.0, a, a * a)):
            ua = pu * pa
            c0, c1 = _C[0][i][j], _C[1][i][j]
            p += ua * (c0[0] + b * (c0[1] + b * (c0[2] + b * c0[3])))
            q += ua * (c1[0] + b * (c1[1] + b * (c1[2] + b * c1[3])))
    approx = x * (_digamma(total) - _digamma(alpha)) / beta
    return p / q * approx


def dirichlet_grad(x, alpha, total):
    T = np.float32 if x.dtype == ember.float32 else np.float64
    xs, al, to = (np.ascontiguousarray(t.detach().numpy(), dtype=T).reshape(-1)
                  for t in (x, alpha, total))
    out = np.array([_dirichlet_grad_one(a, b, c, T) for a, b, c in zip(xs, al, to)], dtype=T)
    return ember.from_numpy(out.reshape(tuple(x.shape))).to(x.device)


class SampleDirichlet(ember.autograd.Function):
    """Differentiable Dirichlet sample (implicit reparameterisation)."""

    @staticmethod
    def forward(ctx, conc):
        x = sample_dirichlet(conc)
        ctx.save_for_backward(x, conc)
        return x

    @staticmethod
    def backward(ctx, grad):
        x, conc = ctx.saved_tensors
        total = conc.sum(-1, True).expand_as(conc)
        g = dirichlet_grad(x, conc, total)
        return g * (grad - (x * grad).sum(-1, True))
