"""ember.distributions: parameterised probability distributions (torch.distributions).

Sampling uses ember's torch-exact random streams, so for the same seed ``sample()`` and
``rsample()`` give torch's values (Binomial runs torch's CPU binomial sampler, binomial.py).
"""
from ember import _compat
from ember.distributions import _kl_exp_laplace, _kl_more, constraints  # noqa: F401  (register KL pairs)
from ember.distributions.bernoulli import Bernoulli
from ember.distributions.beta import Beta
from ember.distributions.binomial import Binomial
from ember.distributions.categorical import Categorical
from ember.distributions.chi2 import Chi2
from ember.distributions.dirichlet import Dirichlet
from ember.distributions.distribution import Distribution
from ember.distributions.exp_family import ExponentialFamily
from ember.distributions.exponential import Exponential
from ember.distributions.gamma import Gamma
from ember.distributions.independent import Independent
from ember.distributions.kl import kl_divergence, register_kl
from ember.distributions.laplace import Laplace
from ember.distributions.multinomial import Multinomial
from ember.distributions.multivariate_normal import MultivariateNormal
from ember.distributions.normal import Normal
from ember.distributions.one_hot_categorical import (
           OneHotCategorical,
           OneHotCategoricalStraightThrough,
)
from ember.distributions.poisson import Poisson
from ember.distributions.uniform import Uniform

__all__ = ["Bernoulli", "Beta", "Binomial", "Categorical", "Chi2", "Dirichlet", "Distribution",
           "Exponential", "ExponentialFamily", "Gamma", "Independent", "Laplace", "Multinomial",
           "MultivariateNormal", "Normal", "OneHotCategorical", "OneHotCategoricalStraightThrough",
           "Poisson", "Uniform", "constraints", "kl_divergence", "register_kl"]

# torch's other distributions (StudentT, Geometric, transforms, ...) are refused by name
__getattr__ = _compat.module_getattr(__name__)
