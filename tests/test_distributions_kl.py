"""ember.distributions: kl_divergence pairs, register_kl, constraints and utils against torch."""
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


def probs_arr(shape, seed=0):
    a = arr(shape, seed=seed, low=0.05, high=1.0)
    return (a / a.sum(-1, keepdims=True)).astype("float32")


def same_repr(fn):
    e = fn(ember)
    if torch is None:
        pytest.skip("torch (the oracle) is not installed")
    assert repr(e) == repr(fn(torch))


def kl(L, p, q):
    return D(L).kl_divergence(p, q)


def test_kl_pairs():
    m1, m2 = arr((3,)), arr((3,), seed=1)
    s1, s2 = arr((3,), seed=2, low=0.3, high=2.0), arr((3,), seed=3, low=0.3, high=2.0)
    p1, p2 = probs_arr((2, 4)), probs_arr((2, 4), seed=1)
    b1, b2 = arr((3,), seed=4, low=0.05, high=0.95), arr((3,), seed=5, low=0.05, high=0.95)
    r1, r2 = arr((3,), seed=6, low=0.5, high=5.0), arr((3,), seed=7, low=0.5, high=5.0)
    check(lambda L, a, b, c, d: kl(L, D(L).Normal(a, c), D(L).Normal(b, d)), m1, m2, s1, s2)
    check(lambda L, a, b: kl(L, D(L).Categorical(a), D(L).Categorical(b)), p1, p2)
    check(lambda L, a, b: kl(L, D(L).OneHotCategorical(a), D(L).OneHotCategorical(b)), p1, p2)
    check(lambda L, a, b: kl(L, D(L).Bernoulli(a), D(L).Bernoulli(b)), b1, b2)
    check(lambda L, a, b: kl(L, D(L).Poisson(a), D(L).Poisson(b)), r1, r2)
    check(lambda L, a, b: kl(L, D(L).Binomial(8, a), D(L).Binomial(8, b)), b1, b2)
    check(lambda L, a, b: kl(L, D(L).Binomial(9, a), D(L).Binomial(8, b)), b1, b2)
    check(lambda L, a, b: kl(L, D(L).Uniform(a, a + 3), D(L).Uniform(a - 1, a + 4)), m1, s1)
    check(lambda L, a, b: kl(L, D(L).Uniform(a, a + 1), D(L).Uniform(a + 0.5, a + 4)), m1, s1)
    check(lambda L, a, b: kl(L, D(L).Uniform(a, a + b), D(L).Normal(a, b)), m1, s1)
    check(lambda L, a, b: kl(L, D(L).Normal(a, b), D(L).Uniform(a, a + b)), m1, s1)
    check(lambda L, a, b: kl(L, D(L).Bernoulli(a), D(L).Poisson(b)), b1, r1)
    check(lambda L, a, b: kl(L, D(L).Poisson(a), D(L).Bernoulli(b)), r1, b1)
    check(lambda L, a, b, c, d: kl(L, D(L).Independent(D(L).Normal(a, c), 1),
                                   D(L).Independent(D(L).Normal(b, d), 1)), m1, m2, s1, s2)
    z = np.array([0.0, 1.0, 0.5], dtype="float32")
    check(lambda L, z, b: kl(L, D(L).Bernoulli(z), D(L).Bernoulli(b)), z, b1, grad=False)
    check(lambda L, b, z: kl(L, D(L).Bernoulli(b), D(L).Bernoulli(z)), b1, z, grad=False)


def test_kl_errors():
    check_error(lambda L: kl(L, D(L).Normal(0.0, 1.0), D(L).Categorical(L.ones(2))),
                exc=NotImplementedError)
    check_error(lambda L: kl(L, D(L).Normal(0.0, 1.0), D(L).Bernoulli(0.5)),
                exc=NotImplementedError)
    check_error(lambda L: kl(L, D(L).Binomial(2, L.tensor([0.5])),
                             D(L).Binomial(3, L.tensor([0.5]))), exc=NotImplementedError)


def test_register_kl_and_dispatch():
    def run(L):
        class MyNormal(D(L).Normal):
            pass

        @D(L).register_kl(MyNormal, D(L).Normal)
        def _kl_mine(p, q):
            return p.loc * 0 + 7.0
        p, q = MyNormal(L.zeros(2), 1.0), D(L).Normal(L.ones(2), 2.0)
        return kl(L, p, q), kl(L, q, p)  # the second falls back to Normal-Normal
    check(run, grad=False)


# ---------------------------------------------------------------- constraints

CONSTRAINTS = ["real", "positive", "nonnegative", "boolean", "nonnegative_integer",
               "positive_integer", "unit_interval", "simplex", "real_vector", "one_hot",
               "lower_triangular", "lower_cholesky", "square", "symmetric",
               "positive_definite", "positive_semidefinite", "corr_cholesky"]


@pytest.mark.parametrize("name", CONSTRAINTS)
def test_constraint_check_and_repr(name):
    vals = [np.array([[0.0, 1.0], [0.5, -1.0]], "float32"),
            np.array([[1.0, 0.0], [0.0, 1.0]], "float32"),
            np.array([[2.0, 0.0], [1.0, 3.0]], "float32"),
            np.array([[0.6, 0.8], [0.0, 1.0]], "float32"),
            np.array([[float("nan"), 0.3], [0.7, 0.0]], "float32")]
    for v in vals:
        check(lambda L, v: getattr(L.distributions.constraints, name).check(v), v, grad=False)
    if torch is not None:
        e, t = getattr(ember.distributions.constraints, name), \
            getattr(torch.distributions.constraints, name)
        assert (repr(e), e.event_dim, e.is_discrete) == (repr(t), t.event_dim, t.is_discrete)


@requires_torch
def test_parametrised_constraints():
    v = np.array([-1.0, 0.0, 0.5, 1.0, 2.0, 3.0], "float32")
    makers = [lambda c: c.interval(0.0, 2.0), lambda c: c.half_open_interval(0.0, 2.0),
              lambda c: c.integer_interval(0, 2), lambda c: c.greater_than(0.5),
              lambda c: c.greater_than_eq(0.5), lambda c: c.less_than(1.0),
              lambda c: c.independent(c.real, 1), lambda c: c.multinomial(3)]
    for mk in makers:
        check(lambda L, v: mk(L.distributions.constraints).check(v), v, grad=False)
        assert repr(mk(ember.distributions.constraints)) == \
            repr(mk(torch.distributions.constraints))
    check_error(lambda L: L.distributions.constraints.dependent.check(L.zeros(1)),
                exc=ValueError)
    check_error(lambda L: L.distributions.constraints.dependent.event_dim,
                exc=NotImplementedError)
    check_error(lambda L: L.distributions.constraints.independent(
        L.distributions.constraints.real, 2).check(L.zeros(1)), exc=ValueError)
    c = ember.distributions.constraints
    assert c.is_dependent(ember.distributions.Uniform.support)
    assert not c.is_dependent(c.real)


# ---------------------------------------------------------------- utils

def test_utils():
    check(lambda L, p: L.distributions.utils.probs_to_logits(p), probs_arr((2, 3)))
    check(lambda L, p: L.distributions.utils.probs_to_logits(p, is_binary=True),
          arr((4,), low=0.0, high=1.0))
    check(lambda L, z: (L.distributions.utils.logits_to_probs(z),
                        L.distributions.utils.logits_to_probs(z, True)), arr((2, 3)))
    check(lambda L, p: L.distributions.utils.clamp_probs(p),
          np.array([0.0, 0.5, 1.0], "float32"))
    check(lambda L, a: L.distributions.utils.broadcast_all(a, 2.0, L.zeros(3, 1)), arr((3,)))
    check(lambda L: L.distributions.utils.broadcast_all(1.0, 2), grad=False)
    check(lambda L, m: L.distributions.utils.tril_matrix_to_vec(m, -1), arr((2, 3, 3)))
    check(lambda L, v: L.distributions.utils.vec_to_tril_matrix(v), arr((2, 6)))
    check_error(lambda L: L.distributions.utils.broadcast_all(L.zeros(2), "x"),
                exc=ValueError)
    check_error(lambda L: L.distributions.utils.vec_to_tril_matrix(L.zeros(4)),
                exc=RuntimeError)
    check_error(lambda L: L.distributions.utils.vec_to_tril_matrix(L.zeros(5)),
                exc=ValueError)


# ---------------------------------------------------------------- MultivariateNormal

def _spd(n, seed, batch=()):
    a = arr(batch + (n, n), seed=seed)
    return (a @ np.swapaxes(a, -1, -2) + n * np.eye(n)).astype("float32")


def sym(S):
    """S made symmetric inside the function, so that the finite-difference check, which moves
    one entry at a time, stays on symmetric matrices: a cholesky reads one triangle while its
    gradient (torch's too) is the symmetric one."""
    return (S + S.mT) / 2


@pytest.mark.parametrize("param", ["covariance_matrix", "precision_matrix", "scale_tril"])
def test_multivariate_normal(param):
    loc, S = arr((2, 3)), _spd(3, 1)
    v = arr((4, 2, 3), seed=2)

    def mk(L, loc, S):
        S = sym(S)
        M = L.linalg.cholesky(S) if param == "scale_tril" else S
        return D(L).MultivariateNormal(loc, **{param: M})

    def f(L, loc, S, v):
        m = mk(L, loc, S)
        L.manual_seed(2)
        return (m.rsample((3,)), m.log_prob(v), m.entropy(), m.mean, m.variance,
                m.covariance_matrix, m.precision_matrix, m.scale_tril,
                m.expand((5, 2)).log_prob(v[0]), tuple(m.batch_shape), tuple(m.event_shape))

    def sample(L, loc, S):  # detached (torch's too), so apart from the finite differences
        m = mk(L, loc, S)
        L.manual_seed(2)
        s = m.sample()
        return s, s.requires_grad
    check(f, loc, S, v, rtol=1e-4, atol=1e-5)
    check(sample, loc, S, rtol=1e-4, atol=1e-5, fd=False)
    same_repr(lambda L: mk(L, L.from_numpy(loc), L.from_numpy(S)))


def test_multivariate_normal_batched_kl_and_errors():
    l1, l2 = arr((2, 3)), arr((3,), seed=1)
    S1, S2 = _spd(3, 2, (2,)), _spd(3, 3)
    check_error(lambda L: D(L).MultivariateNormal(L.zeros(2)), exc=ValueError)
    check_error(lambda L: D(L).MultivariateNormal(L.zeros(2), L.eye(2), scale_tril=L.eye(2)),
                exc=ValueError)
    check_error(lambda L: D(L).MultivariateNormal(L.tensor(0.0), L.eye(2)), exc=ValueError)
    check_error(lambda L: D(L).MultivariateNormal(L.zeros(2), L.ones(2)), exc=ValueError)
    check_error(lambda L: D(L).MultivariateNormal(L.zeros(2), L.ones(2, 2)), exc=ValueError)
    check_error(lambda L: D(L).MultivariateNormal(L.zeros(2), scale_tril=L.ones(2, 2)),
                exc=ValueError)
    check_error(lambda L: kl(L, D(L).MultivariateNormal(L.zeros(2), L.eye(2)),
                             D(L).MultivariateNormal(L.zeros(3), L.eye(3))), exc=ValueError)
    # the errors above are checked with or without torch; each check below skips without it
    check(lambda L, a, b, P, Q: kl(L, D(L).MultivariateNormal(a, sym(P)),
                                   D(L).MultivariateNormal(b, sym(Q))), l1, l2, S1, S2,
          rtol=1e-4, atol=1e-5)
    check(lambda L, a, P, v: D(L).MultivariateNormal(a, scale_tril=L.linalg.cholesky(sym(P)))
          .log_prob(v), l2, S1, arr((4, 1, 3), seed=5), rtol=1e-4, atol=1e-5)


@requires_torch
def test_cat_and_stack_constraints():
    v = np.array([[-1.0, 0.5, 2.0], [1.0, 0.0, 0.3]], "float32")

    def cat(c):
        return c.cat([c.real, c.positive, c.unit_interval], dim=1, lengths=[1, 1, 1])

    def stack(c):
        return c.stack([c.positive, c.unit_interval], dim=0)
    for mk in (cat, stack):
        check(lambda L, v: mk(L.distributions.constraints).check(v), v, grad=False)
        e, t = mk(ember.distributions.constraints), mk(torch.distributions.constraints)
        assert (repr(e), e.event_dim, e.is_discrete) == (repr(t), t.event_dim, t.is_discrete)


# ---------------------------------------------------------------- Gamma

def seeded(L, fn, seed=0):
    L.manual_seed(seed)
    return fn()


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_gamma_samples_and_reparameterised_gradients(dtype):
    # torch._standard_gamma's sampler and _standard_gamma_grad: same draws, same gradients
    a = np.array([0.05, 0.3, 0.9, 1.0, 2.5, 7.0, 20.0, 150.0], dtype=dtype)
    r = np.array([0.5, 1.0, 2.0, 3.0, 0.7, 1.5, 4.0, 0.1], dtype=dtype)

    def f(L, a, r):
        L.manual_seed(3)
        s = D(L).Gamma(a, r).rsample((4,))
        return s, L.randn(3, dtype=s.dtype)  # the normal cache is left as torch leaves it
    check(f, a, r, fd=False)
    check(lambda L: seeded(L, lambda: D(L).Gamma(2.0, 1.0).sample((5,))))


def test_gamma_values_and_kl():
    a, r = arr((3,), low=0.5, high=4.0), arr((3,), seed=1, low=0.5, high=3.0)
    v = arr((2, 3), seed=2, low=0.1, high=5.0)
    check(lambda L, a, r, v: D(L).Gamma(a, r).log_prob(v), a, r, v)
    check(lambda L, a, r: (D(L).Gamma(a, r).entropy(), D(L).Gamma(a, r).mean,
                           D(L).Gamma(a, r).mode, D(L).Gamma(a, r).variance), a, r)
    check(lambda L, a, r: D(L).ExponentialFamily.entropy(D(L).Gamma(a, r)), a, r, rtol=1e-4)
    check(lambda L, a, r: kl(L, D(L).Gamma(a, r), D(L).Gamma(r, a)), a, r)
    check(lambda L, a, r: kl(L, D(L).Gamma(a, r), D(L).Normal(a, r)), a, r)
    check(lambda L, a, r: kl(L, D(L).Gamma(a, r), D(L).Uniform(a, a + r)), a, r)
    check(lambda L, a, r: kl(L, D(L).Normal(a, r), D(L).Gamma(a, r)), a, r)
    check(lambda L, a, r: kl(L, D(L).Uniform(a, a + r), D(L).Gamma(a, r)), a, r)
    check(lambda L, a, r: kl(L, D(L).Uniform(a - 1, a + r), D(L).Gamma(a, r)), a, r,
          grad=False)
    same_repr(lambda L: D(L).Gamma(2.0, 1.0))
    check_error(lambda L: D(L).Gamma(-1.0, 1.0), exc=ValueError)
    check_error(lambda L: D(L).Gamma(1.0, 1.0).log_prob(L.tensor(-1.0)), exc=ValueError)


def test_gamma_cdf():
    pytest.importorskip("scipy")  # torch.special.gammainc (ember[special])
    v = np.array([0.3, 1.0, 2.5, 7.0], np.float32)
    check(lambda L, v: D(L).Gamma(L.tensor([0.5, 2.0, 3.5, 1.0]), L.tensor([1.5, 1.0, 0.5, 2.0]))
          .cdf(v), v)
    got = ember.distributions.Gamma(1.0, 2.0).cdf(ember.tensor(0.7, dtype=ember.float64)).item()
    assert got == pytest.approx(1 - np.exp(-1.4), rel=1e-14)  # Gamma(1, r) is Exponential(r)
