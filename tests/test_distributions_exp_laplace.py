"""ember.distributions Exponential, Laplace and Chi2 against torch: torch's draws for a seed,
rsample gradients, values, shapes, validation errors, reprs and their KL pairs."""
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


def stats(d):
    return d.mean, d.mode, d.variance, d.stddev, d.entropy()


def shapes(d, sample_shape=(2,)):
    s = d.sample(sample_shape)
    return tuple(d.batch_shape), tuple(d.event_shape), tuple(s.shape), str(s.dtype)


# --- sampling: torch's exact draws for a seed, and rsample gradients -----------------------

@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_exponential_samples_and_gradients(dtype):
    rate = arr((2, 3), dtype=dtype, low=0.2, high=5.0)

    def f(L, rate):
        L.manual_seed(3)
        s = D(L).Exponential(rate).rsample((4,))
        return s, L.randn(3, dtype=s.dtype)
    check(f, rate)
    check(lambda L: (L.manual_seed(0), D(L).Exponential(2.0).sample((6,)))[1])
    check(lambda L, r: (L.manual_seed(7), D(L).Exponential(r).sample())[1], rate)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_laplace_samples_and_gradients(dtype):
    loc = arr((2, 3), dtype=dtype)
    scale = arr((2, 3), dtype=dtype, seed=1, low=0.2, high=3.0)

    def f(L, loc, scale):
        L.manual_seed(4)
        s = D(L).Laplace(loc, scale).rsample((5,))
        return s, L.randn(3, dtype=s.dtype)
    check(f, loc, scale)
    check(lambda L: (L.manual_seed(0), D(L).Laplace(1.0, 2.0).sample((6,)))[1])
    check(lambda L, m, s: (L.manual_seed(9), D(L).Laplace(m, s).sample())[1], loc, scale)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_chi2_samples_and_gradients(dtype):
    df = np.array([0.3, 1.0, 2.0, 3.5, 10.0, 60.0], dtype=dtype)

    def f(L, df):
        L.manual_seed(5)
        s = D(L).Chi2(df).rsample((8,))
        return s, L.randn(3, dtype=s.dtype)
    # as for Gamma: torch evaluates some float32 gradient branches in float32, ember in double
    check(f, df, fd=False, grad_rtol=1e-5, grad_atol=1e-6)
    check(lambda L: (L.manual_seed(0), D(L).Chi2(3.0).sample((6,)))[1])


# --- values -------------------------------------------------------------------------------

def test_exponential_values():
    rate = arr((3,), low=0.3, high=4.0)
    v = arr((2, 3), seed=2, low=0.0, high=3.0)
    u = arr((2, 3), seed=3, low=0.01, high=0.99)
    check(lambda L, r, v: D(L).Exponential(r).log_prob(v), rate, v)
    check(lambda L, r, v: D(L).Exponential(r).cdf(v), rate, v)
    check(lambda L, r, u: D(L).Exponential(r).icdf(u), rate, u)
    check(lambda L, r: stats(D(L).Exponential(r)), rate)
    check(lambda L, r: stats(D(L).Exponential(r)), rate.astype("float64"))
    check(lambda L: stats(D(L).Exponential(L.tensor(2.5, dtype=L.float64))))
    check(lambda L, r: D(L).Exponential(r).log_prob(L.tensor(0.0)), rate)
    check(lambda L, r, v: D(L).Exponential(r).log_prob(v).exp().log(), rate, v)


def test_laplace_values():
    loc, scale = arr((3,)), arr((3,), seed=1, low=0.3, high=3.0)
    v = arr((2, 3), seed=2, low=-4.0, high=4.0)
    u = arr((2, 3), seed=3, low=0.01, high=0.99)
    check(lambda L, m, s, v: D(L).Laplace(m, s).log_prob(v), loc, scale, v)
    check(lambda L, m, s, v: D(L).Laplace(m, s).cdf(v), loc, scale, v)
    check(lambda L, m, s, u: D(L).Laplace(m, s).icdf(u), loc, scale, u)
    check(lambda L, m, s: stats(D(L).Laplace(m, s)), loc, scale)
    check(lambda L, m, s: stats(D(L).Laplace(m, s)), loc.astype("float64"),
          scale.astype("float64"))
    check(lambda L, s: D(L).Laplace(0.0, s).log_prob(L.zeros(3)), scale)
    check(lambda L: stats(D(L).Laplace(1.0, 2.0)))
    # at value == loc, torch's |.| and sign() backwards give 0
    check(lambda L, m, s, v: (D(L).Laplace(m, s).cdf(v), D(L).Laplace(m, s).log_prob(v)),
          loc, scale, loc.copy(), fd=False)


# ember's NumPy kernels warn on log1p(-1) and 1/0, where torch is silent
@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_icdf_at_the_ends():
    # torch's icdf is -inf/inf at 0/1, with inf gradients (sign() has a zero backward)
    loc, scale = arr((3,)), arr((3,), seed=1, low=0.3, high=3.0)
    ends = np.array([0.0, 0.5, 1.0], "float32")
    check(lambda L, m, s, u: D(L).Laplace(m, s).icdf(u), loc, scale, ends, fd=False)
    check(lambda L, r, u: D(L).Exponential(r).icdf(u), loc + 3, ends, fd=False)


def test_chi2_values():
    df = arr((3,), low=0.5, high=8.0)
    v = arr((2, 3), seed=2, low=0.05, high=6.0)
    check(lambda L, df, v: D(L).Chi2(df).log_prob(v), df, v)
    check(lambda L, df: (D(L).Chi2(df).df, D(L).Chi2(df).concentration, D(L).Chi2(df).rate),
          df)
    check(lambda L, df: stats(D(L).Chi2(df)), df)
    check(lambda L, df: stats(D(L).Chi2(df)), df.astype("float64"))
    check(lambda L: stats(D(L).Chi2(L.tensor([1.5, 4.0]))))
    check(lambda L: (D(L).Chi2(3).df, D(L).Chi2(L.tensor([1, 4])).df), grad=False)


def test_chi2_cdf():
    # Chi2.cdf is Gamma.cdf: torch.special.gammainc, which needs SciPy (ember[special])
    pytest.importorskip("scipy")
    v = arr((2, 3), seed=2, low=0.05, high=6.0)
    check(lambda L, v: D(L).Chi2(L.tensor([1.0, 3.0, 7.5])).cdf(v), v)
    got = ember.distributions.Chi2(2.0).cdf(ember.tensor(1.0, dtype=ember.float64)).item()
    assert got == pytest.approx(1 - np.exp(-0.5), rel=1e-14)  # chi2(2) is Exponential(1/2)


# --- shapes, expand, repr, validation -----------------------------------------------------

def test_shapes_and_expand():
    check(lambda L: shapes(D(L).Exponential(2.0)), grad=False)
    check(lambda L: shapes(D(L).Exponential(L.ones(3, 1)), (4,)), grad=False)
    check(lambda L: shapes(D(L).Laplace(0.0, 1.0), ()), grad=False)
    check(lambda L: shapes(D(L).Laplace(L.zeros(3), 1.0)), grad=False)
    check(lambda L: shapes(D(L).Laplace(0.0, L.ones(2, 1, dtype=L.float64)), (5,)), grad=False)
    check(lambda L: shapes(D(L).Chi2(4.0)), grad=False)
    check(lambda L: shapes(D(L).Chi2(L.ones(2, 3))), grad=False)
    rate = arr((3,), low=0.3, high=4.0)
    loc, scale = arr((3,)), arr((3,), seed=1, low=0.3, high=3.0)

    def exp_expand(L, r):
        d = D(L).Exponential(r).expand((2, 3))
        L.manual_seed(1)
        return (d.rate, d.rsample(), d.log_prob(L.ones(2, 3)), type(d).__name__,
                tuple(d.batch_shape), d._validate_args)
    check(exp_expand, rate)

    def laplace_expand(L, m, s):
        d = D(L).Laplace(m, s).expand(L.Size([4, 3]))
        L.manual_seed(2)
        return d.loc, d.scale, d.rsample(), type(d).__name__, tuple(d.batch_shape)
    check(laplace_expand, loc, scale)

    def chi2_expand(L, df):
        d = D(L).Chi2(df).expand((2, 3))
        return d.df, d.rate, type(d).__name__, tuple(d.batch_shape), d.mean
    check(chi2_expand, rate)
    check(lambda L: D(L).Exponential(L.ones(3), validate_args=True).expand((2, 3))._validate_args,
          grad=False)


def test_repr():
    same_repr(lambda L: D(L).Exponential(2.0))
    same_repr(lambda L: D(L).Exponential(L.tensor([1.0, 2.0])))
    same_repr(lambda L: D(L).Laplace(0.0, 1.0))
    same_repr(lambda L: D(L).Laplace(L.zeros(2), L.ones(2)))
    same_repr(lambda L: D(L).Laplace(L.zeros(2), L.ones(2)).expand((3, 2)))
    same_repr(lambda L: D(L).Chi2(3.0))
    same_repr(lambda L: D(L).Chi2(L.tensor([1.0, 5.0])))
    same_repr(lambda L: D(L).Chi2(L.ones(2, 3)).expand((4, 2, 3)))


def test_validation_errors():
    check_error(lambda L: D(L).Exponential(-1.0, validate_args=True), exc=ValueError)
    check_error(lambda L: D(L).Exponential(L.tensor([1.0, 0.0]), validate_args=True),
                exc=ValueError)
    check_error(lambda L: D(L).Exponential(L.tensor([1.0, float("nan")]), validate_args=True),
                exc=ValueError)
    check_error(lambda L: D(L).Laplace(0.0, -1.0, validate_args=True), exc=ValueError)
    check_error(lambda L: D(L).Laplace(L.tensor([0.0, float("nan")]), 1.0, validate_args=True),
                exc=ValueError)
    check_error(lambda L: D(L).Laplace(L.zeros(2), L.tensor([1.0, -2.0]), validate_args=True),
                exc=ValueError)
    check_error(lambda L: D(L).Chi2(-2.0, validate_args=True), exc=ValueError)
    check_error(lambda L: D(L).Chi2(L.tensor([3.0, 0.0]), validate_args=True), exc=ValueError)
    check_error(lambda L: D(L).Exponential(1.0, validate_args=True).log_prob(L.tensor(-1.0)),
                exc=ValueError)
    check_error(lambda L: D(L).Exponential(1.0, validate_args=True).cdf(L.tensor([-1.0, 1.0])),
                exc=ValueError)
    check_error(lambda L: D(L).Laplace(0.0, 1.0, validate_args=True).log_prob(
                L.tensor(float("nan"))), exc=ValueError)
    check_error(lambda L: D(L).Chi2(2.0, validate_args=True).log_prob(L.tensor(-0.5)),
                exc=ValueError)
    check_error(lambda L: D(L).Exponential(L.ones(2, 3)).expand((4, 3)), exc=RuntimeError)
    check_error(lambda L: D(L).Laplace(L.zeros(3), 1.0).expand((2,)), exc=RuntimeError)
    check_error(lambda L: D(L).Laplace(L.zeros(3), L.ones(2)), exc=RuntimeError)
    # out-of-support values are allowed (and computed) without validation
    check(lambda L: D(L).Exponential(2.0, validate_args=False).log_prob(L.tensor(-1.0)))


def test_arg_constraints_and_support():
    def f(L):
        out = []
        for d in (D(L).Exponential(1.0), D(L).Laplace(0.0, 1.0), D(L).Chi2(1.0)):
            out += [sorted(d.arg_constraints), repr(d.support), d.has_rsample,
                    d.support.is_discrete, d.support.event_dim]
        return out
    check(f, grad=False)
    assert issubclass(ember.distributions.Chi2, ember.distributions.Gamma)
    assert issubclass(ember.distributions.Exponential, ember.distributions.ExponentialFamily)


# --- KL pairs -----------------------------------------------------------------------------

def test_kl_exponential_laplace_pairs():
    r1, r2 = arr((3,), seed=6, low=0.5, high=5.0), arr((3,), seed=7, low=0.5, high=5.0)
    m1, m2 = arr((3,)), arr((3,), seed=1)
    s1, s2 = arr((3,), seed=2, low=0.3, high=2.0), arr((3,), seed=3, low=0.3, high=2.0)
    check(lambda L, a, b: kl(L, D(L).Exponential(a), D(L).Exponential(b)), r1, r2)
    check(lambda L, a, b: kl(L, D(L).Exponential(a), D(L).Exponential(b)),
          r1.astype("float64"), r2.astype("float64"))
    check(lambda L, a, b, c, d: kl(L, D(L).Laplace(a, c), D(L).Laplace(b, d)), m1, m2, s1, s2)
    check(lambda L, a, b, c, d: kl(L, D(L).Laplace(a, c), D(L).Laplace(b, d)),
          *(x.astype("float64") for x in (m1, m2, s1, s2)))
    check(lambda L, a, b: kl(L, D(L).Exponential(a), D(L).Gamma(b, a)), r1, r2)
    check(lambda L, a, m, s: kl(L, D(L).Exponential(a), D(L).Normal(m, s)), r1, m1, s1)
    check(lambda L, a, b, r: kl(L, D(L).Gamma(a, b), D(L).Exponential(r)), r1, r2, s1)
    check(lambda L, a, b, c, d: kl(L, D(L).Laplace(a, c), D(L).Normal(b, d)), m1, m2, s1, s2)
    check(lambda L, a, b, c, d: kl(L, D(L).Normal(a, c), D(L).Laplace(b, d)), m1, m2, s1, s2)
    check(lambda L, a, b, r: kl(L, D(L).Beta(a, b), D(L).Exponential(r)), r1, r2, s1)


def test_kl_uniform_exponential():
    lo = np.array([0.1, 0.5, -0.5, 2.0], "float32")
    r = np.array([0.5, 2.0, 1.0, 3.0], "float32")
    check(lambda L, lo, r: kl(L, D(L).Uniform(lo, lo + 1.5), D(L).Exponential(r)),
          lo[[0, 1, 3]], r[[0, 1, 3]])
    check(lambda L: (kl(L, D(L).Uniform(0.5, 1.0), D(L).Exponential(2.0)),
                     kl(L, D(L).Uniform(-0.5, 1.0), D(L).Exponential(2.0))), grad=False)
    check(lambda L, lo, r: kl(L, D(L).Uniform(lo, lo + 1.5), D(L).Exponential(r)), lo, r,
          grad=False)


def test_kl_infinite_pairs():
    r, m, s = arr((3,), seed=6, low=0.5, high=5.0), arr((3,)), arr((3,), seed=2, low=0.3, high=2.0)
    check(lambda L, r, s: kl(L, D(L).Exponential(r), D(L).Beta(r, s)), r, s, grad=False)
    check(lambda L, r, m: kl(L, D(L).Exponential(r), D(L).Uniform(m, m + 1)), r, m, grad=False)
    check(lambda L, m, s: kl(L, D(L).Laplace(m, s), D(L).Beta(s, s)), m, s, grad=False)
    check(lambda L, m, s: kl(L, D(L).Laplace(m, s), D(L).Exponential(s)), m, s, grad=False)
    check(lambda L, m, s: kl(L, D(L).Laplace(m, s), D(L).Gamma(s, s)), m, s, grad=False)
    check(lambda L, m, s: kl(L, D(L).Laplace(m, s), D(L).Uniform(m, m + s)), m, s, grad=False)
    check(lambda L, m, s: kl(L, D(L).Normal(m, s), D(L).Exponential(s)), m, s, grad=False)
    check(lambda L, m, s: kl(L, D(L).Laplace(m, s), D(L).Chi2(s)), m, s, grad=False)
    check(lambda L, m, s: kl(L, D(L).Laplace(m, s).expand((2, 3)), D(L).Exponential(s)), m, s,
          grad=False)


def test_kl_chi2_pairs():
    d1, d2 = arr((3,), seed=8, low=0.5, high=6.0), arr((3,), seed=9, low=0.5, high=6.0)
    r, m, s = arr((3,), seed=6, low=0.5, high=5.0), arr((3,)), arr((3,), seed=2, low=0.3, high=2.0)
    check(lambda L, a, b: kl(L, D(L).Chi2(a), D(L).Chi2(b)), d1, d2)
    check(lambda L, a, b: kl(L, D(L).Chi2(a), D(L).Gamma(b, a)), d1, d2)
    check(lambda L, a, r: kl(L, D(L).Chi2(a), D(L).Exponential(r)), d1, r)
    check(lambda L, r, a: kl(L, D(L).Exponential(r), D(L).Chi2(a)), r, d1)
    check(lambda L, a, m, s: kl(L, D(L).Chi2(a), D(L).Normal(m, s)), d1, m, s)
    check(lambda L, lo, a: kl(L, D(L).Uniform(lo, lo + 1), D(L).Chi2(a)), s, d1)
    check(lambda L, a, b: kl(L, D(L).Beta(a, b), D(L).Chi2(a)), d1, d2)
    check(lambda L, a, m: kl(L, D(L).Chi2(a), D(L).Uniform(m, m + 1)), d1, m, grad=False)
    check(lambda L, a, b: kl(L, D(L).Chi2(a), D(L).Beta(a, b)), d1, d2, grad=False)
    check(lambda L, m, s, a: kl(L, D(L).Normal(m, s), D(L).Chi2(a)), m, s, d1, grad=False)


def test_kl_unregistered_pairs_are_refused():
    check_error(lambda L: kl(L, D(L).Exponential(1.0), D(L).Laplace(0.0, 1.0)),
                exc=NotImplementedError)
    check_error(lambda L: kl(L, D(L).Laplace(0.0, 1.0), D(L).Poisson(1.0)),
                exc=NotImplementedError)
    check_error(lambda L: kl(L, D(L).Exponential(1.0), D(L).Poisson(1.0)),
                exc=NotImplementedError)
