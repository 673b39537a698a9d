"""quantile / nanquantile rank each q in the input's dtype, as torch's q * (n - 1): for float32,
0.6 * 5 rounds to 3.0, so 'higher' picks element 3 and 'midpoint' gives it (ember ranked in
float64: 3.0000001, element 4 and 3.5). A 0-d input keeps no dim under keepdim."""

import numpy as np
import pytest

import ember
from oracle import torch

X = np.arange(6, dtype=np.float32)


@pytest.mark.parametrize("q", [0.6, "tensor0d", "tensor1d"])
@pytest.mark.parametrize("fn", ["quantile", "nanquantile"])
def test_float32_rank(q, fn):
    qq = {"tensor0d": ember.tensor(0.6), "tensor1d": ember.tensor([0.6])}.get(q, q)
    f = getattr(ember, fn)
    rank = np.float32(0.6) * np.float32(5)  # 3.0 in float32 (3.0000001 in float64)
    assert rank == 3.0
    assert f(ember.tensor(X), qq, interpolation="higher").numpy().tolist() in ([3.0], 3.0)
    assert f(ember.tensor(X), qq, interpolation="midpoint").numpy().tolist() in ([3.0], 3.0)
    near = f(ember.tensor(X), ember.tensor([0.3, 0.7, 0.9]), interpolation="nearest")
    assert near.numpy().tolist() == [2.0, 4.0, 4.0]  # float32 0.7 * 5 = 3.5: half to even


def test_against_torch():
    if torch is None:
        pytest.skip("torch (the oracle) is not installed")
    rng = np.random.default_rng(0)
    for dt in (np.float32, np.float64):
        for n in (2, 5, 6, 7, 11, 100):
            x = rng.standard_normal(n).astype(dt)
            x[rng.random(n) < 0.1] = np.nan
            for q in [0.6, 0.3, 0.7, 0.9, 1 / 3, rng.random(5).astype(dt)]:
                for mode in ["higher", "lower", "nearest", "linear", "midpoint"]:
                    for fn in ("quantile", "nanquantile"):
                        tq, eq = (torch.tensor(q), ember.tensor(q)) if isinstance(
                            q, np.ndarray) else (q, q)
                        want = getattr(torch, fn)(torch.tensor(x), tq, interpolation=mode)
                        got = getattr(ember, fn)(ember.tensor(x), eq, interpolation=mode)
                        np.testing.assert_array_equal(got.numpy(), want.numpy())


@pytest.mark.parametrize("dim", [None, -1, 0])
def test_zero_dim_keepdim(dim):
    x = ember.tensor(3.0)
    assert ember.quantile(x, ember.tensor([0.5, 0.2]), dim=dim, keepdim=True).shape == (2,)
    assert ember.quantile(x, 0.5, dim=dim, keepdim=True).shape == ()
