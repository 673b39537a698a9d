"""Binomial distribution: number of successes in ``total_count`` Bernoulli trials."""
import numpy as np

import ember
from ember.distributions import constraints
from ember.distributions.categorical import _check_one
from ember.distributions.distribution import Distribution
from ember.distributions.utils import broadcast_all, lazy_property, logits_to_probs, probs_to_logits

__all__ = ["Binomial"]


def _clamp_by_zero(x):
    # max(x, 0) whose gradient at 0 is 1/2, as torch's
    return (x.clamp(min=0) + x - x.clamp(max=0)) / 2


def _binomial_draw(count, prob):
    """Binomial draws for tensors ``count`` and ``prob`` of one shape.

    ember has no torch-exact binomial stream: the draws come from NumPy's binomial sampler,
    seeded from ember's default generator, so they are reproducible under ember.manual_seed
    and have the right distribution, but are not the values torch draws for the same seed."""
    seed = int(ember.randint(0, 2 ** 62, (), dtype=ember.int64))
    rng = np.random.default_rng(seed)
    n = count.detach().numpy().astype(np.int64)
    p = np.clip(prob.detach().numpy().astype(np.float64), 0.0, 1.0)
    out = rng.binomial(n, np.nan_to_num(p)).astype(np.float64)
    out[np.isnan(prob.detach().numpy())] = np.nan
    return ember.tensor(out, dtype=prob.dtype, device=prob.device)


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
