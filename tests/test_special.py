"""torch.special: the aliases of top-level ops (expit, gammaln, psi, multigammaln, ...), and
entr, ndtr, xlog1py, mvlgamma with torch's values, special cases and gradients. Checked
against their definitions (math.lgamma / math.erf), and against torch where installed."""

import math

import numpy as np
import pytest

import ember
from oracle import torch

S = ember.special


def test_entr():
    x = np.array([0.0, 0.5, -1.0, 2.0, np.nan, np.inf])
    got = S.entr(ember.tensor(x)).numpy()
    with np.errstate(all="ignore"):
        want = np.where(x > 0, -x * np.log(x), np.where(x == 0, 0.0, np.where(x < 0, -np.inf, x)))
    np.testing.assert_array_equal(got, want)
    t = ember.tensor([0.0, 0.5, -1.0, 2.0], dtype=ember.float64, requires_grad=True)
    S.entr(t).sum().backward()  # torch's -(1 + log x) everywhere: inf at 0, NaN below
    np.testing.assert_array_equal(t.grad.numpy(), [np.inf, -(1 + np.log(0.5)), np.nan,
                                                   -(1 + np.log(2.0))])


def test_ndtr():
    x = np.array([-3.0, -1.0, 0.0, 0.5, 2.0])
    got = S.ndtr(ember.tensor(x)).numpy()
    np.testing.assert_allclose(got, [0.5 * (1 + math.erf(v / math.sqrt(2))) for v in x],
                               rtol=1e-14)
    assert S.ndtr(ember.tensor([1, 2])).dtype == ember.float32
    t = ember.tensor(x, requires_grad=True)
    S.ndtr(t).sum().backward()
    np.testing.assert_allclose(t.grad.numpy(), np.exp(-x * x / 2) / math.sqrt(2 * math.pi),
                               rtol=1e-14)


def test_xlog1py():
    x = ember.tensor([0.0, 1.0, 0.0, 2.0], dtype=ember.float64, requires_grad=True)
    y = ember.tensor([1.0, -1.0, -1.0, np.nan], dtype=ember.float64, requires_grad=True)
    r = S.xlog1py(x, y)
    np.testing.assert_array_equal(r.detach().numpy(), [0.0, -np.inf, 0.0, np.nan])
    r.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [np.log(2.0), -np.inf, 0.0, np.nan])
    np.testing.assert_array_equal(y.grad.numpy(), [0.0, np.inf, np.nan, np.nan])
    np.testing.assert_allclose(S.xlog1py(2, ember.tensor([1.0, 2.0])).numpy(),
                               [2 * np.log(2.0), 2 * np.log(3.0)], rtol=1e-6)


@pytest.mark.parametrize("p", [1, 2, 3])
def test_mvlgamma(p):
    x = np.array([2.5, 3.0, 4.25])
    want = [sum(math.lgamma(v - j / 2) for j in range(p)) + p * (p - 1) / 4 * math.log(math.pi)
            for v in x]
    for got in (ember.mvlgamma(ember.tensor(x), p), S.multigammaln(ember.tensor(x), p),
                ember.tensor(x).mvlgamma(p)):
        np.testing.assert_allclose(got.numpy(), want, rtol=1e-12)
    with pytest.raises(RuntimeError, match="p has to be greater than or equal to 1"):
        ember.mvlgamma(ember.tensor(x), 0)
    with pytest.raises(RuntimeError, match="may not be a boolean tensor"):
        ember.mvlgamma(ember.tensor([True]), 2)


ALIASES = ["expit", "logit", "erf", "erfc", "erfinv", "exp2", "expm1", "log1p", "digamma", "psi",
           "gammaln", "i0", "sinc", "round"]


@pytest.mark.parametrize("name", ALIASES)
def test_aliases(name):
    top = {"expit": "sigmoid", "psi": "digamma", "gammaln": "lgamma"}.get(name, name)
    x = ember.tensor([0.3, 0.7, 0.1])
    np.testing.assert_array_equal(getattr(S, name)(x).numpy(), getattr(ember, top)(x).numpy())


def test_against_torch():
    if torch is None:
        pytest.skip("torch (the oracle) is not installed")
    rng = np.random.default_rng(0)
    x = np.concatenate([rng.standard_normal(200) * 3, [0.0, -1.0, np.nan, np.inf]])
    for dt in (np.float32, np.float64):
        xs = x.astype(dt)
        pos = np.abs(xs) + 1
        for name, args in [("entr", (xs,)), ("ndtr", (xs,)), ("xlog1py", (xs, pos - 1.5)),
                           ("multigammaln", (pos + 1, 3)), ("expit", (xs,)),
                           ("gammaln", (pos,)), ("softmax", (xs.reshape(-1, 4), 1)),
                           ("log_softmax", (xs.reshape(-1, 4), 0)),
                           ("logsumexp", (xs.reshape(-1, 4), 1))]:
            def call(L):
                return getattr(L.special, name)(*[L.tensor(a) if isinstance(a, np.ndarray) else a
                                                  for a in args])
            np.testing.assert_allclose(call(ember).numpy(), call(torch).numpy(), rtol=2e-6,
                                       atol=1e-7, err_msg=name)
