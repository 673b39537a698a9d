"""ember.distributions against torch.distributions: samples for a seed, log_prob, entropy,
moments, gradients, reprs, validation errors and KL pairs."""
from math import lgamma

import numpy as np
import pytest

import ember
from oracle import arr, check, check_error, requires_torch

try:
    import torch
except ImportError:
    torch = None


def D(L):
    return L.distributions


def seeded(L, fn, seed=0):
    L.manual_seed(seed)
    return fn()


def probs_arr(shape, seed=0):
    a = arr(shape, seed=seed, low=0.05, high=1.0)
    return (a / a.sum(-1, keepdims=True)).astype("float32")


def same_repr(fn):
    e = fn(ember)
    if torch is None:
        pytest.skip("torch (the oracle) is not installed")
    assert repr(e) == repr(fn(torch))


# ---------------------------------------------------------------- Categorical

@pytest.mark.parametrize("shape", [(4,), (2, 3, 5)])
@pytest.mark.parametrize("sample_shape", [(), (7,), (2, 3)])
def test_categorical_sample_matches_seed(shape, sample_shape):
    check(lambda L, p: seeded(L, lambda: D(L).Categorical(probs=p).sample(sample_shape)),
          probs_arr(shape), grad=False)
    check(lambda L, z: seeded(L, lambda: D(L).Categorical(logits=z).sample(sample_shape), 5),
          arr(shape), grad=False)


def test_categorical_log_prob_entropy_grads():
    v = np.array([[0, 2, 1], [1, 1, 0]], dtype="int64")
    check(lambda L, z, v: D(L).Categorical(logits=z).log_prob(v), arr((2, 3, 4)), v)
    check(lambda L, p, v: D(L).Categorical(probs=p).log_prob(v), probs_arr((2, 3, 4)), v)
    check(lambda L, z: D(L).Categorical(logits=z).entropy(), arr((2, 3, 4)))
    check(lambda L, p: D(L).Categorical(probs=p).entropy(), probs_arr((3, 4)))
    check(lambda L, p: D(L).Categorical(probs=p).perplexity(), probs_arr((3, 4)))
    check(lambda L, p: (D(L).Categorical(probs=p).logits, D(L).Categorical(probs=p).mode,
                        D(L).Categorical(probs=p).mean, D(L).Categorical(probs=p).variance),
          probs_arr((3, 4)))
    check(lambda L, z: D(L).Categorical(logits=z).probs, arr((3, 4)))


def test_categorical_probs_with_zero_entropy():
    p = np.array([[0.0, 0.5, 0.5], [1.0, 0.0, 0.0]], dtype="float32")
    h = D(ember).Categorical(probs=ember.from_numpy(p.copy())).entropy()
    np.testing.assert_allclose(h.numpy(), [np.log(2.0), 0.0], rtol=1e-6, atol=1e-6)
    # no finite differences: a zero probability is the simplex's edge (a step below it is an
    # invalid probs), where p*log(p) has no derivative and torch's gradient is its clamp's
    check(lambda L, p: D(L).Categorical(probs=p).entropy(), p, fd=False)


def test_categorical_enumerate_expand_and_shapes():
    def f(L, p):
        c = D(L).Categorical(probs=p)
        e = c.expand((4, 3))
        return (c.enumerate_support(), c.enumerate_support(False), e.sample((2,)) * 0,
                e.log_prob(e.enumerate_support()[:2]), tuple(e.batch_shape),
                tuple(e.event_shape), tuple(c.param_shape))
    check(f, probs_arr((3, 5)), grad=False)


def test_categorical_reprs_and_errors():
    same_repr(lambda L: D(L).Categorical(probs=L.tensor([0.2, 0.3, 0.5])))
    same_repr(lambda L: D(L).Categorical(logits=L.tensor([[0.2, 0.3], [1.0, 2.0]])))

    def both(L):
        c = D(L).Categorical(probs=L.tensor([0.2, 0.3, 0.5]))
        c.logits
        return c
    same_repr(both)
    check_error(lambda L: D(L).Categorical(probs=L.tensor([-0.5, 0.7])), exc=ValueError)
    check_error(lambda L: D(L).Categorical(logits=L.tensor([0.0, float("nan")])),
                exc=ValueError)
    check_error(lambda L: D(L).Categorical(), exc=ValueError)
    check_error(lambda L: D(L).Categorical(probs=L.tensor(1.0)), exc=ValueError)
    check_error(lambda L: D(L).Categorical(probs=L.tensor([0.5, 0.5])).log_prob(L.tensor([2])),
                exc=ValueError)
    check_error(lambda L: D(L).Categorical(probs=L.ones(2, 3)).log_prob(L.zeros(4).long()),
                exc=ValueError)
    check_error(lambda L: D(L).Categorical(probs=L.ones(3)).log_prob([1]), exc=ValueError)
    # validate_args=False lets the same values through
    check(lambda L: D(L).Categorical(probs=L.tensor([-0.5, 1.5]), validate_args=False)
          .log_prob(L.tensor([0, 1])), grad=False)
    check_error(lambda L: D(L).Categorical(probs=L.tensor([0.5, 0.5]), validate_args=False)
                .log_prob(L.tensor([3])), exc=RuntimeError)


@requires_torch
def test_set_default_validate_args():
    for L in (ember, torch):
        L.distributions.Distribution.set_default_validate_args(False)
        try:
            L.distributions.Normal(0.0, -1.0)  # accepted without validation
        finally:
            L.distributions.Distribution.set_default_validate_args(True)
    check_error(lambda L: D(L).Distribution.set_default_validate_args(3), exc=ValueError)


def test_reinforce_step():
    def step(L, w, x):
        probs = L.softmax(x @ w, dim=-1)
        m = D(L).Categorical(probs)
        L.manual_seed(3)
        action = m.sample()
        reward = L.tensor([1.0, -0.5, 2.0, 0.3])
        loss = (-m.log_prob(action) * reward).sum()
        return loss, action
    check(step, arr((5, 3), seed=1), arr((4, 5), seed=2))


# ---------------------------------------------------------------- Normal

@pytest.mark.parametrize("sample_shape", [(), (6,), (2, 3)])
def test_normal_sample_and_rsample_match_seed(sample_shape):
    def f(L, m, s):
        n = D(L).Normal(m, s)
        L.manual_seed(4)
        a = n.sample(sample_shape)
        b = n.rsample(sample_shape)
        return a, b, a.requires_grad
    m, s = arr((2, 3)), arr((2, 3), seed=1, low=0.1, high=2.0)
    # sample() is detached (torch's too) while its value moves with m and s, so the
    # finite-difference check takes rsample() alone; then both against torch
    check(lambda L, m, s: seeded(L, lambda: D(L).Normal(m, s).rsample(sample_shape), 4), m, s)
    check(f, m, s, fd=False)
    check(lambda L: seeded(L, lambda: D(L).Normal(0.0, 1.0).rsample(sample_shape)))


def test_normal_log_prob_cdf_icdf_entropy_grads():
    m, s = arr((3, 4)), arr((3, 4), seed=1, low=0.2, high=2.0)
    v, u = arr((2, 3, 4), seed=2), arr((3, 4), seed=3, low=0.05, high=0.95)
    check(lambda L, m, s, v: D(L).Normal(m, s).log_prob(v), m, s, v)
    check(lambda L, m, s, v: D(L).Normal(m, s).cdf(v), m, s, v)
    check(lambda L, m, s, u: D(L).Normal(m, s).icdf(u), m, s, u, rtol=1e-4)
    check(lambda L, m, s: D(L).Normal(m, s).entropy(), m, s)
    check(lambda L, m, s: (D(L).Normal(m, s).mean, D(L).Normal(m, s).stddev,
                           D(L).Normal(m, s).variance, D(L).Normal(m, s).mode), m, s)
    check(lambda L, v: D(L).Normal(0.5, 2.0).log_prob(v), v)
    check(lambda L, m: D(L).Normal(m, 2.0).expand((5, 3, 4)).log_prob(m), m)


def test_normal_exp_family_entropy():
    # the Bregman-divergence entropy of ExponentialFamily (Normal overrides it)
    m, s = arr((3,)), arr((3,), seed=1, low=0.2, high=2.0)
    em, es = (ember.from_numpy(a.copy()).requires_grad_() for a in (m, s))
    h = D(ember).ExponentialFamily.entropy(D(ember).Normal(em, es))
    np.testing.assert_allclose(h.detach().numpy(), 0.5 + 0.5 * np.log(2 * np.pi) + np.log(s),
                               rtol=1e-5, atol=1e-6)
    # it differentiates detached copies of the natural parameters (as torch does), so the
    # entropy has no gradient to m and s: finite differences, which see it move, do not apply
    assert h.requires_grad
    assert ember.autograd.grad(h.sum(), [em, es], allow_unused=True) == (None, None)
    check(lambda L, m, s: D(L).ExponentialFamily.entropy(D(L).Normal(m, s)), m, s, fd=False)


def test_normal_reprs_and_errors():
    same_repr(lambda L: D(L).Normal(0.0, 1.0))
    same_repr(lambda L: D(L).Normal(L.zeros(2), 1.0))
    check_error(lambda L: D(L).Normal(0.0, 0.0), exc=ValueError)
    check_error(lambda L: D(L).Normal(L.zeros(2), L.tensor([1.0, -1.0])), exc=ValueError)
    check_error(lambda L: D(L).Normal(0.0, 1.0).log_prob(L.tensor([float("nan")])),
                exc=ValueError)
    check_error(lambda L: D(L).Normal(0.0, 1.0).log_prob(0.5), exc=ValueError)
    check_error(lambda L: D(L).Normal(0.0, "a"), exc=ValueError)
    check_error(lambda L: D(L).Normal(L.zeros(2), 1.0).mode.foo, exc=AttributeError)


# ---------------------------------------------------------------- Bernoulli

def test_bernoulli():
    p = arr((3, 4), low=0.05, high=0.95)
    v = (arr((3, 4), seed=2) > 0).astype("float32")
    check(lambda L, p: seeded(L, lambda: D(L).Bernoulli(p).sample((2,))), p, grad=False)
    check(lambda L: seeded(L, lambda: D(L).Bernoulli(0.3).sample((5,))))
    check(lambda L, z: seeded(L, lambda: D(L).Bernoulli(logits=z).sample()), arr((4,)),
          grad=False)
    check(lambda L, p, v: D(L).Bernoulli(p).log_prob(v), p, v)
    check(lambda L, z, v: D(L).Bernoulli(logits=z).log_prob(v), arr((3, 4)), v)
    check(lambda L, p: D(L).Bernoulli(p).entropy(), p)
    check(lambda L, z: D(L).Bernoulli(logits=z).entropy(), arr((3, 4)))
    check(lambda L, p: (D(L).Bernoulli(p).mean, D(L).Bernoulli(p).variance,
                        D(L).Bernoulli(p).logits, D(L).Bernoulli(p).stddev), p)
    check(lambda L: D(L).Bernoulli(L.tensor([0.2, 0.5, 0.7])).mode)
    check(lambda L: (D(L).Bernoulli(L.tensor([0.2, 0.6])).enumerate_support(),
                     D(L).Bernoulli(L.tensor([0.2, 0.6])).enumerate_support(False)))
    check(lambda L, p: D(L).ExponentialFamily.entropy(D(L).Bernoulli(p)), p)
    same_repr(lambda L: D(L).Bernoulli(0.3))
    same_repr(lambda L: D(L).Bernoulli(logits=L.zeros(3)))
    check_error(lambda L: D(L).Bernoulli(1.5), exc=ValueError)
    check_error(lambda L: D(L).Bernoulli(0.5).log_prob(L.tensor(0.5)), exc=ValueError)
    check_error(lambda L: D(L).Bernoulli(0.5, logits=0.0), exc=ValueError)


# ---------------------------------------------------------------- Uniform

def test_uniform():
    lo, w = arr((3,)), arr((3,), seed=1, low=0.5, high=2.0)
    check(lambda L, lo, w: seeded(L, lambda: D(L).Uniform(lo, lo + w).rsample((4,))), lo, w)
    check(lambda L, lo, w: seeded(L, lambda: D(L).Uniform(lo, lo + w).sample()), lo, w)
    v = lo + w * np.array([0.1, 0.5, 1.2], dtype="float32")
    check(lambda L, lo, w, v: D(L).Uniform(lo, lo + w, validate_args=False).log_prob(v),
          lo, w, v)
    check(lambda L, lo, w, v: D(L).Uniform(lo, lo + w, validate_args=False).cdf(v), lo, w, v)
    check(lambda L, lo, w: D(L).Uniform(lo, lo + w).icdf(L.tensor([0.1, 0.5, 0.9])), lo, w)
    check(lambda L, lo, w: (D(L).Uniform(lo, lo + w).entropy(), D(L).Uniform(lo, lo + w).mean,
                            D(L).Uniform(lo, lo + w).stddev, D(L).Uniform(lo, lo + w).variance,
                            D(L).Uniform(lo, lo + w).mode), lo, w)
    same_repr(lambda L: D(L).Uniform(0.0, 2.0))
    same_repr(lambda L: D(L).Uniform(L.zeros(2), 2.0).support)
    check_error(lambda L: D(L).Uniform(1.0, 0.0), exc=ValueError)
    check_error(lambda L: D(L).Uniform(0.0, 1.0).log_prob(L.tensor(1.5)), exc=ValueError)


# ---------------------------------------------------------------- Poisson

def test_poisson():
    r = arr((2, 3), low=0.5, high=20.0)
    v = np.array([[0, 1, 4], [7, 2, 12]], dtype="float32")
    check(lambda L, r: seeded(L, lambda: D(L).Poisson(r).sample((3,))), r, grad=False)
    check(lambda L, r, v: D(L).Poisson(r).log_prob(v), r, v)
    check(lambda L, r: (D(L).Poisson(r).mean, D(L).Poisson(r).mode, D(L).Poisson(r).variance),
          r)
    check_error(lambda L, r: D(L).Poisson(r).entropy(), r, exc=NotImplementedError)
    same_repr(lambda L: D(L).Poisson(2.0))
    check_error(lambda L: D(L).Poisson(-1.0), exc=ValueError)
    check_error(lambda L: D(L).Poisson(1.0).log_prob(L.tensor(0.5)), exc=ValueError)


# ---------------------------------------------------------------- Binomial

def test_binomial_values():
    p = arr((2, 3), low=0.05, high=0.95)
    v = np.array([[0, 3, 10], [5, 2, 1]], dtype="float32")
    k, q = v.astype("float64"), p.astype("float64")
    log_choose = np.vectorize(lambda k: lgamma(11) - lgamma(k + 1) - lgamma(11 - k))(k)
    np.testing.assert_allclose(
        D(ember).Binomial(10, ember.from_numpy(p.copy())).log_prob(ember.from_numpy(v.copy()))
        .numpy(), log_choose + k * np.log(q) + (10 - k) * np.log1p(-q), rtol=1e-5, atol=1e-5)
    check_error(lambda L: D(L).Binomial(L.tensor([1.0, 2.0]), L.tensor([0.2, 0.6])).entropy(),
                exc=NotImplementedError)
    check_error(lambda L: D(L).Binomial(2.5, L.tensor([0.2])), exc=ValueError)
    check_error(lambda L: D(L).Binomial(2, L.tensor([0.2])).log_prob(L.tensor([3.0])),
                exc=ValueError)
    # the values and errors above are checked with or without torch; each check below skips
    # without it. validate_args=False: the finite-difference check moves v off the integers
    check(lambda L, p, v: D(L).Binomial(10, p, validate_args=False).log_prob(v), p, v)
    check(lambda L, z, v: D(L).Binomial(L.tensor([10.0, 12.0, 11.0]), logits=z,
                                        validate_args=False).log_prob(v), arr((2, 3)), v)
    check(lambda L, p: D(L).Binomial(10, p).entropy(), p, rtol=1e-5, atol=1e-5)
    check(lambda L, p: (D(L).Binomial(10, p).mean, D(L).Binomial(10, p).variance,
                        D(L).Binomial(10, p).mode, D(L).Binomial(10, p).logits), p)
    check(lambda L: D(L).Binomial(3, L.tensor([0.2, 0.6])).enumerate_support())
    same_repr(lambda L: D(L).Binomial(5, L.tensor([0.2, 0.6])))
    same_repr(lambda L: D(L).Binomial(5, L.tensor([0.2, 0.6])).support)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_binomial_samples_match_seed(dtype):
    # torch.binomial's CPU sampler (inversion below n*p = 10, BTRS above), drawn in order
    n = np.array([[0, 1, 5, 12], [40, 100, 1000, 7]], dtype=dtype)
    p = arr((2, 4), dtype=dtype, low=0.0, high=1.0)
    p[1, 3] = 1.0
    check(lambda L, n, p: seeded(L, lambda: D(L).Binomial(n, p).sample((3,))), n, p,
          grad=False)
    check(lambda L, z: seeded(L, lambda: D(L).Binomial(50, logits=z).sample()), p * 4 - 2,
          grad=False)
    check(lambda L, p: seeded(L, lambda: D(L).Binomial(30, p).expand((3, 2, 4)).sample()), p,
          grad=False)
    check(lambda L: seeded(L, lambda: D(L).Multinomial(20, L.tensor([0.1, 0.3, 0.6]))
                           ._binomial.sample((6,))))


# ---------------------------------------------------------------- Multinomial, OneHot

def test_multinomial():
    p = probs_arr((2, 4))
    v = np.array([[1, 0, 3, 2], [0, 6, 0, 0]], dtype="float32")
    check(lambda L, p: seeded(L, lambda: D(L).Multinomial(6, p).sample((3,))), p, grad=False)
    check(lambda L, p, v: D(L).Multinomial(6, p).log_prob(v), p, v)
    check(lambda L, p: D(L).Multinomial(6, p).entropy(), p, atol=1e-5)
    check(lambda L, p: (D(L).Multinomial(6, p).mean, D(L).Multinomial(6, p).variance), p)
    check(lambda L: D(L).Multinomial(2, L.tensor([0.0, 0.5, 0.5])).log_prob(
        L.tensor([0.0, 1.0, 1.0])))
    same_repr(lambda L: D(L).Multinomial(3, L.tensor([0.2, 0.8])))
    check_error(lambda L: D(L).Multinomial(L.tensor(3), L.tensor([0.2, 0.8])),
                exc=NotImplementedError)
    check_error(lambda L: D(L).Multinomial(3, L.tensor([0.2, 0.8])).log_prob(
        L.tensor([3.0, 1.0])), exc=ValueError)


def test_one_hot_categorical():
    p = probs_arr((3, 4))
    v = np.eye(4, dtype="float32")[[1, 3, 0]]
    check(lambda L, p: seeded(L, lambda: D(L).OneHotCategorical(p).sample((2,))), p, grad=False)
    check(lambda L, p, v: D(L).OneHotCategorical(p).log_prob(v), p, v)
    check(lambda L, p: (D(L).OneHotCategorical(p).entropy(), D(L).OneHotCategorical(p).mode,
                        D(L).OneHotCategorical(p).mean, D(L).OneHotCategorical(p).variance),
          p)
    check(lambda L, p: D(L).OneHotCategorical(p).enumerate_support(), p, grad=False)
    check(lambda L, p: seeded(
        L, lambda: D(L).OneHotCategoricalStraightThrough(p).rsample((2,))), p)
    same_repr(lambda L: D(L).OneHotCategorical(L.tensor([0.2, 0.8])))
    check_error(lambda L: D(L).OneHotCategorical(L.tensor([0.2, 0.8])).log_prob(
        L.tensor([1.0, 1.0])), exc=ValueError)


# ---------------------------------------------------------------- Independent

def test_independent():
    m, s = arr((2, 3)), arr((2, 3), seed=1, low=0.2, high=2.0)
    v = arr((5, 2, 3), seed=2)

    def f(L, m, s, v):
        ind = D(L).Independent(D(L).Normal(m, s), 1)
        L.manual_seed(1)
        return (ind.log_prob(v), ind.entropy(), ind.rsample((2,)), ind.mean, ind.variance,
                tuple(ind.batch_shape), tuple(ind.event_shape), ind.has_rsample,
                ind.expand((4, 2)).log_prob(v[:4]))
    check(f, m, s, v)
    same_repr(lambda L: D(L).Independent(D(L).Normal(L.zeros(2, 3), 1.0), 2))
    same_repr(lambda L: D(L).Independent(D(L).Normal(L.zeros(2, 3), 1.0), 1).support)
    check_error(lambda L: D(L).Independent(D(L).Normal(L.zeros(2), 1.0), 2), exc=ValueError)
    check_error(lambda L: D(L).Independent(D(L).Bernoulli(L.ones(2) / 2), 1)
                .enumerate_support(), exc=NotImplementedError)


# ---------------------------------------------------------------- base class

def test_base_class_behaviour():
    def sample_n(L):
        with pytest.warns(FutureWarning, match="sample_n"):
            return seeded(L, lambda: D(L).Normal(L.zeros(2), 1.0).sample_n(3))
    check(sample_n, grad=False)
    check(lambda L, s: D(L).Normal(0.5, s).perplexity(), arr((3,), low=0.2, high=2.0))
    check(lambda L: seeded(L, lambda: D(L).Normal(L.zeros(2, dtype=L.float64), 1.0)
                           .rsample((2,))))

    def custom_init(L):
        class MyNormal(D(L).Normal):
            def __init__(self, loc):
                super().__init__(loc, 1.0)
        return MyNormal(L.zeros(2)).expand((3, 2))
    check_error(custom_init, exc=NotImplementedError)
    check_error(lambda L: D(L).Distribution(validate_args=False).mode, exc=NotImplementedError)
    check_error(lambda L: D(L).Distribution(validate_args=False).sample(), exc=NotImplementedError)
    check(lambda L: (D(L).Distribution(validate_args=False).batch_shape,
                     D(L).Normal(L.zeros(2), 1.0).stddev, D(L).Normal(0.0, 1.0).has_rsample,
                     D(L).Categorical.has_enumerate_support),
          grad=False)


def test_unimplemented_distributions_are_refused():
    with pytest.raises(AttributeError,  # ember's EmberNotImplemented, as for ember.X
                       match=r"^ember does not implement torch.distributions.StudentT yet$"):
        ember.distributions.StudentT
    assert not hasattr(ember.distributions, "TransformedDistribution")


@requires_torch
def test_validation_warnings_match():
    import warnings

    def texts(L):
        class NoSupport(L.distributions.Distribution):
            arg_constraints = {}
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            L.distributions.Distribution()
            NoSupport()._validate_sample(L.zeros(()))
        return [(type(x.message), str(x.message).replace("test_distributions", "")) for x in w]
    got, want = texts(ember), texts(torch)
    assert len(got) == 2 and got == want
