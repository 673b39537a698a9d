"""linalg.vector_norm: negative orders go through the p-norm op, whose gradient is torch's
sgn(x) |x|^(p-1) (0 at 0) * grad * norm^(1-p) for p < 1: 0, not NaN, where an element is 0
(the composite gave NaN there); dtype= reaches the norm (it landed in out=, a TypeError)."""

import numpy as np
import pytest

import ember
from oracle import torch


@pytest.mark.parametrize("p", [-3, -2, -1, -0.5, 0.3, 0.5, 1.5, 3])
def test_gradient_at_zero_elements(p):
    x = ember.tensor([0.0, 2.0, 3.0], dtype=ember.float64, requires_grad=True)
    y = ember.linalg.vector_norm(x, p)
    y.backward()
    g = x.grad.numpy()
    assert np.isfinite(g).all()
    if p < 0:  # a zero element makes the norm 0, and every gradient with it
        assert y.item() == 0 and (g == 0).all()
    v = np.array([0.5, 2.0, 3.0])  # away from 0: d/dx (sum |x|^p)^(1/p)
    xt = ember.tensor(v, requires_grad=True)
    ember.linalg.vector_norm(xt, p).backward()
    n = (np.abs(v) ** p).sum() ** (1 / p)
    np.testing.assert_allclose(xt.grad.numpy(), np.sign(v) * np.abs(v) ** (p - 1) * n ** (1 - p),
                               rtol=1e-12)
    if torch is not None:
        t = torch.tensor([0.0, 2.0, 3.0], dtype=torch.float64, requires_grad=True)
        torch.linalg.vector_norm(t, p).backward()
        np.testing.assert_allclose(g, t.grad.numpy(), rtol=1e-12)


def test_dtype():
    x = ember.tensor(np.random.default_rng(0).standard_normal((4, 5)).astype(np.float32))
    for r in (ember.linalg.vector_norm(x, dtype=ember.float64),
              ember.linalg.vector_norm(x, 3, dim=1, dtype=ember.float64),
              ember.linalg.norm(x[0], dtype=ember.float64)):
        assert r.dtype == ember.float64
    np.testing.assert_allclose(ember.linalg.vector_norm(x, dtype=ember.float64).item(),
                               np.linalg.norm(x.numpy().astype(np.float64)), rtol=1e-12)
