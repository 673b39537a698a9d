"""ember.distributions Beta and Dirichlet against torch: torch's draws for a seed, the implicit
reparameterisation gradients, values, KL pairs."""
import numpy as np
import pytest

from oracle import arr, check, check_error

try:
    import torch
except ImportError:
    torch = None

import ember


def D(L):
    return L.distributions


def kl(L, p, q):
    return D(L).kl_divergence(p, q)


def same_repr(fn):
    e = fn(ember)
    if torch is None:
        pytest.skip("torch (the oracle) is not installed")
    assert repr(e) == repr(fn(torch))


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_beta_samples_and_gradients(dtype):
    a = np.array([0.05, 0.3, 0.9, 1.0, 2.5, 7.0, 20.0, 100.0], dtype=dtype)
    b = np.array([3.0, 0.4, 2.0, 1.0, 8.0, 9.0, 30.0, 0.5], dtype=dtype)

    def f(L, a, b):
        L.manual_seed(1)
        s = D(L).Beta(a, b).rsample((20,))
        return s, L.randn(3, dtype=s.dtype)
    # torch evaluates some float32 gradient branches in float32, ember in double
    check(f, a, b, fd=False, grad_rtol=1e-5, grad_atol=1e-6)
    check(lambda L: (L.manual_seed(0), D(L).Beta(0.4, 0.4).sample((6,)))[1])


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_dirichlet_samples_and_gradients(dtype):
    c = arr((3, 4), dtype=dtype, low=0.2, high=9.0)

    def f(L, c):
        L.manual_seed(2)
        return D(L).Dirichlet(c).rsample((5,))
    check(f, c, fd=False, grad_rtol=1e-5, grad_atol=1e-6)


def test_beta_dirichlet_values():
    a, b = arr((3,), low=0.5, high=4.0), arr((3,), seed=1, low=0.5, high=4.0)
    v = arr((2, 3), seed=2, low=0.05, high=0.95)
    check(lambda L, a, b, v: D(L).Beta(a, b).log_prob(v), a, b, v)
    check(lambda L, a, b: (D(L).Beta(a, b).entropy(), D(L).Beta(a, b).mean,
                           D(L).Beta(a, b).variance, D(L).Beta(a, b).mode), a, b)
    check_error(lambda L, a, b: D(L).ExponentialFamily.entropy(D(L).Beta(a, b)), a, b,
                exc=NotImplementedError)
    c = arr((2, 4), seed=3, low=0.3, high=4.0)
    x = np.array([[0.1, 0.2, 0.3, 0.4], [0.25, 0.25, 0.4, 0.1]], "float32")
    check(lambda L, c, x: D(L).Dirichlet(c).log_prob(x), c, x)
    check(lambda L, c: (D(L).Dirichlet(c).entropy(), D(L).Dirichlet(c).mean,
                        D(L).Dirichlet(c).variance), c)
    check(lambda L: D(L).Dirichlet(L.tensor([[0.5, 0.7, 0.2], [2.0, 3.0, 1.5]])).mode)
    same_repr(lambda L: D(L).Beta(2.0, 3.0))
    same_repr(lambda L: D(L).Dirichlet(L.ones(3)))
    check_error(lambda L: D(L).Beta(-1.0, 1.0), exc=ValueError)
    check_error(lambda L: D(L).Dirichlet(L.tensor(1.0)), exc=ValueError)
    check_error(lambda L: D(L).Dirichlet(L.tensor([1.0, -1.0])), exc=ValueError)
    check_error(lambda L: D(L).Beta(1.0, 1.0).log_prob(L.tensor(1.5)), exc=ValueError)


def test_beta_dirichlet_kl_pairs():
    a, b = arr((3,), low=0.5, high=4.0), arr((3,), seed=1, low=0.5, high=4.0)
    lo = arr((3,), seed=4, low=0.05, high=0.4)
    check(lambda L, a, b: kl(L, D(L).Beta(a, b), D(L).Beta(b, a)), a, b)
    check(lambda L, a, b: kl(L, D(L).Dirichlet(L.stack([a, b], -1)),
                             D(L).Dirichlet(L.stack([b, a], -1))), a, b)
    check(lambda L, a, b: kl(L, D(L).Beta(a, b), D(L).Gamma(b, a)), a, b)
    check(lambda L, a, b: kl(L, D(L).Beta(a, b), D(L).Normal(a, b)), a, b)
    check(lambda L, a, b: kl(L, D(L).Beta(a, b), D(L).Uniform(a * 0 - 1, b * 0 + 2)), a, b)
    check(lambda L, a, b: kl(L, D(L).Beta(a, b), D(L).Uniform(a * 0 + 0.5, b * 0 + 2)), a, b,
          grad=False)
    check(lambda L, lo, a, b: kl(L, D(L).Uniform(lo, lo + 0.5), D(L).Beta(a, b)), lo, a, b)
    check(lambda L, a, b: kl(L, D(L).Gamma(a, b), D(L).Beta(a, b)), a, b, grad=False)
    check(lambda L, a, b: kl(L, D(L).Normal(a, b), D(L).Beta(a, b)), a, b, grad=False)
    check(lambda L, a, b: kl(L, D(L).Normal(a, b), D(L).Gamma(a, b)), a, b, grad=False)
