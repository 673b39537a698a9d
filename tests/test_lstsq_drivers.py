"""linalg.lstsq's drivers: 'gels' solves by QR (LQ when wide) with no rank decision, so rcond
does not apply and a nearly rank-deficient A gives LAPACK's huge values (ember truncated small
singular values, as gelsd); 'gelsy' decides the rank by pivoted QR, which ember does not
reproduce: with rcond making A rank-deficient it refuses (it returned gelsd's answer)."""

import numpy as np
import pytest

import ember
from ember._compat import EmberNotImplemented
from oracle import torch


def _near_deficient():
    rng = np.random.default_rng(1)
    a = rng.standard_normal((6, 3))
    a[:, 2] = a[:, 0] + 1e-7 * rng.standard_normal(6)
    return a, rng.standard_normal((6, 2))


def test_gels_ignores_rcond():
    a, b = _near_deficient()
    x = ember.linalg.lstsq(ember.tensor(a), ember.tensor(b), driver="gels").solution.numpy()
    x2 = ember.linalg.lstsq(ember.tensor(a), ember.tensor(b), rcond=1e-2,
                            driver="gels").solution.numpy()
    np.testing.assert_array_equal(x, x2)
    q, r = np.linalg.qr(a)
    np.testing.assert_allclose(x, np.linalg.solve(r, q.T @ b), rtol=1e-6)
    assert np.abs(x).max() > 1e5  # no truncation: the near-dependent columns blow up
    if torch is not None:
        t = torch.linalg.lstsq(torch.tensor(a), torch.tensor(b), rcond=1e-2,
                               driver="gels").solution.numpy()
        np.testing.assert_allclose(x, t, rtol=1e-4)


@pytest.mark.parametrize("shape", [(6, 3), (3, 5), (2, 6, 3)])
def test_gels_full_rank(shape):
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal(shape), rng.standard_normal(shape[:-1] + (2,))
    x = ember.linalg.lstsq(ember.tensor(a), ember.tensor(b), driver="gels").solution.numpy()
    want = np.stack([np.linalg.lstsq(ai, bi, rcond=None)[0]
                     for ai, bi in zip(a.reshape((-1,) + shape[-2:]),
                                       b.reshape((-1,) + b.shape[-2:]))]).reshape(x.shape)
    np.testing.assert_allclose(x, want, rtol=1e-10, atol=1e-12)


def test_gelsy_rank_deficient_at_rcond_refused():
    rng = np.random.default_rng(0)
    a = ember.tensor(rng.standard_normal((4, 5)).astype(np.float32))
    b = ember.tensor(rng.standard_normal((4, 2)).astype(np.float32))
    with pytest.raises(EmberNotImplemented, match="gelsy rank decision"):
        ember.linalg.lstsq(a, b, rcond=0.5)
    assert ember.linalg.lstsq(a, b, rcond=0.5, driver="gelsd").rank.item() < 4
    ember.linalg.lstsq(a, b)  # full rank at the default rcond: solved


@pytest.mark.parametrize("driver", ["gels", "gelsd", "gelss", "gelsy"])
def test_complex_residuals_are_real_squared_moduli(driver):
    """A complex lstsq's residuals are sum |r|^2 (real), its singular values real: ember summed
    r^2 (complex) and returned complex empties."""
    rng = np.random.default_rng(0)
    a = rng.standard_normal((5, 3)) + 1j * rng.standard_normal((5, 3))
    b = rng.standard_normal((5, 2)) + 1j * rng.standard_normal((5, 2))
    out = ember.linalg.lstsq(ember.tensor(a), ember.tensor(b), driver=driver)
    assert out.residuals.dtype is ember.float64 and out.singular_values.dtype is ember.float64
    if driver != "gelsy":
        x = np.linalg.lstsq(a, b, rcond=None)[0]
        np.testing.assert_allclose(out.residuals.numpy(), (np.abs(a @ x - b) ** 2).sum(0),
                                   rtol=1e-10)
    if torch is not None:
        t = torch.linalg.lstsq(torch.tensor(a), torch.tensor(b), driver=driver)
        np.testing.assert_allclose(out.residuals.numpy(), t.residuals.numpy(), rtol=1e-10)
        np.testing.assert_allclose(out.singular_values.numpy(), t.singular_values.numpy(),
                                   rtol=1e-12)
