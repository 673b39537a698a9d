"""The KL pairs torch registers among Gamma, Beta, Dirichlet and the other distributions
(registered on import, from ember.distributions)."""
import math

import ember
from ember.distributions.beta import Beta
from ember.distributions.dirichlet import Dirichlet
from ember.distributions.gamma import Gamma
from ember.distributions.kl import _infinite_like, register_kl
from ember.distributions.normal import Normal
from ember.distributions.uniform import Uniform


def _x_log_x(t):
    return ember.xlogy(t, t)


@register_kl(Beta, Beta)
def _kl_beta_beta(p, q):
    sp = p.concentration1 + p.concentration0
    sq = q.concentration1 + q.concentration0
    t1 = q.concentration1.lgamma() + q.concentration0.lgamma() + sp.lgamma()
    t2 = p.concentration1.lgamma() + p.concentration0.lgamma() + sq.lgamma()
    t3 = (p.concentration1 - q.concentration1) * ember.digamma(p.concentration1)
    t4 = (p.concentration0 - q.concentration0) * ember.digamma(p.concentration0)
    t5 = (sq - sp) * ember.digamma(sp)
    return t1 - t2 + t3 + t4 + t5


@register_kl(Dirichlet, Dirichlet)
def _kl_dirichlet_dirichlet(p, q):
    sp, sq = p.concentration.sum(-1), q.concentration.sum(-1)
    t1 = sp.lgamma() - sq.lgamma()
    t2 = (p.concentration.lgamma() - q.concentration.lgamma()).sum(-1)
    t3 = p.concentration - q.concentration
    t4 = p.concentration.digamma() - sp.digamma().unsqueeze(-1)
    return t1 - t2 + (t3 * t4).sum(-1)


@register_kl(Beta, Gamma)
def _kl_beta_gamma(p, q):
    a1, a0 = p.concentration1, p.concentration0
    t2 = q.concentration.lgamma() - q.concentration * q.rate.log()
    t3 = (q.concentration - 1) * (a1.digamma() - (a1 + a0).digamma())
    return -p.entropy() + t2 - t3 + q.rate * a1 / (a1 + a0)


@register_kl(Beta, Normal)
def _kl_beta_normal(p, q):
    a1, a0 = p.concentration1, p.concentration0
    mean = a1 / (a1 + a0)
    var = q.scale.pow(2)
    t2 = 0.5 * (var * 2 * math.pi).log()
    t3 = (mean * (1 - mean) / (a1 + a0 + 1) + mean.pow(2)) * 0.5
    return -p.entropy() + t2 + (t3 - q.loc * mean + q.loc.pow(2) * 0.5) / var


@register_kl(Beta, Uniform)
def _kl_beta_uniform(p, q):
    result = -p.entropy() + (q.high - q.low).log()
    result[(q.low > p.support.lower_bound) | (q.high < p.support.upper_bound)] = math.inf
    return result


@register_kl(Uniform, Beta)
def _kl_uniform_beta(p, q):
    width = p.high - p.low
    a1, a0 = q.concentration1, q.concentration0
    t2 = (a1 - 1) * (_x_log_x(p.high) - _x_log_x(p.low) - width) / width
    t3 = (a0 - 1) * (_x_log_x(1 - p.high) - _x_log_x(1 - p.low) + width) / width
    t4 = a1.lgamma() + a0.lgamma() - (a1 + a0).lgamma()
    result = t3 + t4 - ember.log(width) - t2
    result[(p.high > q.support.upper_bound) | (p.low < q.support.lower_bound)] = math.inf
    return result


@register_kl(Gamma, Beta)
@register_kl(Gamma, Uniform)
def _kl_gamma_infinity(p, q):
    return _infinite_like(p.concentration)


@register_kl(Normal, Beta)
@register_kl(Normal, Gamma)
def _kl_normal_infinity_more(p, q):
    return _infinite_like(p.loc)


@register_kl(Gamma, Gamma)
def _kl_gamma_gamma(p, q):
    t1 = q.concentration * (p.rate / q.rate).log()
    t2 = ember.lgamma(q.concentration) - ember.lgamma(p.concentration)
    t3 = (p.concentration - q.concentration) * ember.digamma(p.concentration)
    t4 = (q.rate - p.rate) * (p.concentration / p.rate)
    return t1 + t2 + t3 + t4


@register_kl(Gamma, Normal)
def _kl_gamma_normal(p, q):
    a, var = p.concentration, q.scale.pow(2)
    rate_sq = p.rate.pow(2)
    t1 = 0.5 * ember.log(rate_sq * var * 2 * math.pi) - a - a.lgamma()
    t2 = 0.5 * (a.pow(2) + a) / rate_sq
    t3 = q.loc * a / p.rate
    t4 = 0.5 * q.loc.pow(2)
    return t1 + (a - 1) * a.digamma() + (t2 - t3 + t4) / var


@register_kl(Uniform, Gamma)
def _kl_uniform_gamma(p, q):
    width = p.high - p.low
    a, b = q.concentration, q.rate
    xlx = ember.xlogy
    t3 = (1 - a) * (xlx(p.high, p.high) - xlx(p.low, p.low) - width) / width
    result = -width.log() + (a.lgamma() - a * b.log()) + t3 + b * (p.high + p.low) / 2
    result[p.low < q.support.lower_bound] = math.inf
    return result
