"""ember.distributions against torch.distributions: samples for a seed, log_prob, entropy,
moments, gradients, reprs, validation errors and KL pairs."""
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
    check(lambda L, p: D(L).Categorical(probs=p).entropy(), p)


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
    check(f, arr((2, 3)), arr((2, 3), seed=1, low=0.1, high=2.0))
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
    check(lambda L, m, s: D(L).ExponentialFamily.entropy(D(L).Normal(m, s)),
          arr((3,)), arr((3,), seed=1, low=0.2, high=2.0))


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
