"""Binomial distribution: number of successes in ``total_count`` Bernoulli trials."""
import math

import numpy as np

import ember
import ember._random as R
from ember.distributions import constraints
from ember.distributions.categorical import _check_one
from ember.distributions.distribution import Distribution
from ember.distributions.utils import broadcast_all, lazy_property, logits_to_probs, probs_to_logits

__all__ = ["Binomial"]


def _clamp_by_zero(x):
    # max(x, 0) whose gradient at 0 is 1/2, as torch's
    return (x.clamp(min=0) + x - x.clamp(max=0)) / 2


_TAIL = (0.0810614667953272, 0.0413406959554092, 0.0276779256849983, 0.02079067210376509,
         0.0166446911898211, 0.0138761288230707, 0.0118967099458917, 0.0104112652619720,
         0.00925546218271273, 0.00833056343336287)  # log k! minus Stirling's formula, k < 10


def _stirling_tail(k):
    if k <= 9:
        return _TAIL[int(k)]
    k1sq = (k + 1) * (k + 1)
    return (1.0 / 12 - (1.0 / 360 - 1.0 / 1260 / k1sq) / k1sq) / (k + 1)


def _inversion(n, p, T, uniform):
    """Counts geometric waiting times (drawn by inversion) until they pass n trials."""
    logq = float(np.log1p(-p))  # computed in the parameters' precision, as torch's
    total, hits = 0.0, 0
    while True:
        total += math.ceil(math.log(uniform()) / logq)
        if total > n:
            return hits
        hits += 1


def _btrs(n, p, T, uniform):
    """Hormann's transformed rejection with squeeze (BTRS) for n * p >= 10, p <= 1/2."""
    spq = float(np.sqrt(n * p * (T(1) - p)))
    b = 1.15 + 2.53 * spq
    a = -0.0873 + 0.0248 * b + 0.01 * float(p)
    c = float(n * p) + 0.5
    v_r = 0.92 - 4.2 / b
    r = float(p / (T(1) - p))
    alpha = (2.83 + 5.1 / b) * spq
    m = math.floor(float((n + T(1)) * p))
    nf = float(n)
    while True:
        u = uniform() - 0.5
        v = uniform()
        us = 0.5 - abs(u)
        k = math.floor((2 * a / us + b) * u + c)
        if k < 0 or k > nf:
            continue
        if us >= 0.07 and v <= v_r:
            return k
        v = math.log(v * alpha / (a / (us * us) + b))
        bound = ((m + 0.5) * math.log((m + 1) / (r * (nf - m + 1)))
                 + (nf + 1) * math.log((nf - m + 1) / (nf - k + 1))
                 + (k + 0.5) * math.log(r * (nf - k + 1) / (k + 1))
                 + _stirling_tail(m) + _stirling_tail(nf - m)
                 - _stirling_tail(k) - _stirling_tail(nf - k))
        if v <= bound:
            return k


def _binomial_one(n, p, T, uniform):
    if n <= 0 or p <= 0:
        return 0.0
    if p >= 1:
        return float(n)
    if p <= 0.5:
        return float((_btrs if n * p >= 10 else _inversion)(n, p, T, uniform))
    if p > 0.5:
        q = T(1.0 - float(p))
        return float(n) - (_btrs if n * q >= 10 else _inversion)(n, q, T, uniform)
    return math.nan


def _binomial_draw(count, prob):
    """torch.binomial's CPU sampler, element by element in order, on ember's default
    generator (each uniform is a 53-bit double, as torch's): BTRS when n * min(p, 1-p) >= 10,
    else inversion of geometric waiting times."""
    if prob.dtype not in (ember.float32, ember.float64):
        raise RuntimeError(f'"binomial_cpu" not implemented for '
                           f"'{str(prob.dtype).split('.')[-1].capitalize()}'")
    T = np.float32 if prob.dtype == ember.float32 else np.float64
    gen = R._gen(None)
    uniform = lambda: float(gen.uniform53(1)[0])  # noqa: E731
    n = np.ascontiguousarray(count.detach().numpy(), dtype=T).reshape(-1)
    p = np.ascontiguousarray(prob.detach().numpy(), dtype=T).reshape(-1)
    out = np.array([_binomial_one(ni, pi, T, uniform) for ni, pi in zip(n, p)], dtype=T)
    return ember.from_numpy(out.reshape(tuple(prob.shape))).to(prob.device)


class Binomial(Distribution):
    """Binomial(total_count, probs=...) or Binomial(total_count, logits=...)."""
    arg_constraints = {"total_count": constraints.nonnegative_integer,
                       "probs": constraints.unit_interval, "logits": constraints.real}
    has_enumerate_support = True

    def __init__(self, total_count=1, probs=None, logits=None, validate_args=None):
        _check_one(probs, logits)
        if probs is not None:
            self.total_count, self.probs = broadcast_all(total_count, probs)
            self.total_count = self.total_count.type_as(self.probs)
        else:
            self.total_count, self.logits = broadcast_all(total_count, logits)
            self.total_count = self.total_count.type_as(self.logits)
        self._param = self.probs if probs is not None else self.logits
        super().__init__(self._param.size(), validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(Binomial, _instance)
        batch_shape = ember.Size(batch_shape)
        new.total_count = self.total_count.expand(batch_shape)
        if "probs" in self.__dict__:
            new.probs = self.probs.expand(batch_shape)
            new._param = new.probs
        if "logits" in self.__dict__:
            new.logits = self.logits.expand(batch_shape)
            new._param = new.logits
        super(Binomial, new).__init__(batch_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    def _new(self, *args, **kwargs):
        return self._param.new(*args, **kwargs)

    @constraints.dependent_property(is_discrete=True, event_dim=0)
    def support(self):
        return constraints.integer_interval(0, self.total_count)

    @property
    def mean(self):
        return self.total_count * self.probs

    @property
    def mode(self):
        return ((self.total_count + 1) * self.probs).floor().clamp(max=self.total_count)

    @property
    def variance(self):
        return self.total_count * self.probs * (1 - self.probs)

    @lazy_property
    def logits(self):
        return probs_to_logits(self.probs, is_binary=True)

    @lazy_property
    def probs(self):
        return logits_to_probs(self.logits, is_binary=True)

    @property
    def param_shape(self):
        return self._param.size()

    def sample(self, sample_shape=ember.Size()):
        shape = self._extended_shape(sample_shape)
        with ember.no_grad():
            return _binomial_draw(self.total_count.expand(shape), self.probs.expand(shape))

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        n, logits = self.total_count, self.logits
        log_n_fact = ember.lgamma(n + 1)
        log_k_fact = ember.lgamma(value + 1)
        log_nk_fact = ember.lgamma(n - value + 1)
        # n * log(1 + exp(logits)), computed stably
        norm = (n * _clamp_by_zero(logits) + n * ember.log1p(ember.exp(-ember.abs(logits)))
                - log_n_fact)
        return value * logits - log_k_fact - log_nk_fact - norm

    def _homogeneous_count(self, what):
        count = int(self.total_count.max())
        if not self.total_count.min() == count:
            raise NotImplementedError(f"Inhomogeneous total count not supported by `{what}`.")
        return count

    def entropy(self):
        self._homogeneous_count("entropy")
        lp = self.log_prob(self.enumerate_support(False))
        return -(ember.exp(lp) * lp).sum(0)

    def enumerate_support(self, expand=True):
        count = self._homogeneous_count("enumerate_support")
        values = ember.arange(1 + count, dtype=self._param.dtype, device=self._param.device)
        values = values.view((-1,) + (1,) * len(self._batch_shape))
        if expand:
            values = values.expand((-1,) + tuple(self._batch_shape))
        return values
