"""ExponentialFamily: distributions whose density is exp(<t(x), theta> - F(theta) + k(x))."""
import ember
from ember.distributions.distribution import Distribution

__all__ = ["ExponentialFamily"]


class ExponentialFamily(Distribution):
    """Base for exponential-family distributions; entropy comes from the log normalizer F
    through the Bregman divergence: H = F(theta) - <theta, grad F(theta)> - E[k(x)]."""

    @property
    def _natural_params(self):
        raise NotImplementedError

    def _log_normalizer(self, *natural_params):
        raise NotImplementedError

    @property
    def _mean_carrier_measure(self):
        raise NotImplementedError

    def entropy(self):
        result = -self._mean_carrier_measure
        params = [p.detach().requires_grad_() for p in self._natural_params]
        lognorm = self._log_normalizer(*params)
        grads = ember.autograd.grad(lognorm.sum(), params, create_graph=True)
        result += lognorm
        for p, g in zip(params, grads):
            result -= (p * g).reshape(self._batch_shape + (-1,)).sum(-1)
        return result
