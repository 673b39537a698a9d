"""ember.distributions: parameterised probability distributions (torch.distributions).

Sampling uses ember's torch-exact random streams, so for the same seed ``sample()`` and
``rsample()`` give torch's values (Binomial runs torch's CPU binomial sampler, binomial.py).
"""
from ember import _compat
from ember.distributions import _kl_more, constraints  # noqa: F401  (_kl_more registers pairs)
from ember.distributions.bernoulli import Bernoulli
from ember.distributions.beta import Beta
from ember.distributions.binomial import Binomial
from ember.distributions.categorical import Categorical
from ember.distributions.dirichlet import Dirichlet
from ember.distributions.distribution import Distribution
from ember.distributions.exp_family import ExponentialFamily
from ember.distributions.gamma import Gamma
from ember.distributions.independent import Independent
from ember.distributions.kl import kl_divergence, register_kl
from ember.distributions.multinomial import Multinomial
from ember.distributions.multivariate_normal import MultivariateNormal
from ember.distributions.normal import Normal
from ember.distributions.one_hot_categorical import (
           OneHotCategorical,
           OneHotCategoricalStraightThrough,
)
from ember.distributions.poisson import Poisson
from ember.distributions.uniform import Uniform

__all__ = ["Bernoulli", "Beta", "Binomial", "Categorical", "Dirichlet", "Distribution",
           "ExponentialFamily", "Gamma", "Independent", "Multinomial", "MultivariateNormal",
           "Normal", "OneHotCategorical", "OneHotCategoricalStraightThrough", "Poisson", "Uniform",
           "constraints", "kl_divergence", "register_kl"]

# torch's other distributions (Exponential, Laplace, transforms, ...) are refused by name
__getattr__ = _compat.module_getattr(__name__)
