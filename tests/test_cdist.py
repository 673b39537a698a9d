"""cdist's matmul form (p=2 with more than 25 rows, or compute_mode='use_mm_for_euclid_dist'):
torch clamps |a|^2 + |b|^2 - 2ab at 0, so a point's distance to itself is 0 (ember clamped at
1e-30 and gave 1e-15), and its gradient is torch's _cdist_backward, 0 for a zero distance."""

import numpy as np
import pytest

import ember
from oracle import torch


def _run(L, a, b, g, mode):
    x1, x2 = L.tensor(a, requires_grad=True), L.tensor(b, requires_grad=True)
    d = L.cdist(x1, x2, compute_mode=mode)
    d.backward(L.tensor(g))
    return d.detach().numpy(), x1.grad.numpy(), x2.grad.numpy()


def _sum_to(x, shape):
    while x.ndim > len(shape):
        x = x.sum(0)
    return x.sum(tuple(i for i, n in enumerate(shape) if n == 1 and x.shape[i] != 1),
                 keepdims=True)


@pytest.mark.parametrize("mode", ["use_mm_for_euclid_dist_if_necessary",
                                  "use_mm_for_euclid_dist"])
@pytest.mark.parametrize("shapes", [((30, 3), (30, 3)), ((2, 30, 3), (28, 3)),
                                    ((1, 30, 4), (2, 27, 4))])
def test_matmul_form_zero_distance(mode, shapes):
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal(shapes[0]), rng.standard_normal(shapes[1])
    b[..., :2, :] = a[..., :2, :] if a.ndim == b.ndim else a[0, :2]  # the same points
    ea = np.broadcast_to(a, np.broadcast_shapes(a.shape[:-2], b.shape[:-2]) + a.shape[-2:])
    g = rng.standard_normal(ea.shape[:-1] + (b.shape[-2],))
    d, g1, g2 = _run(ember, a, b, g, mode)
    first = (0,) * (d.ndim - 2)
    assert d[first + (0, 0)] == 0 and d[first + (1, 1)] == 0
    diff = ea[..., :, None, :] - b[..., None, :, :]
    exact = np.sqrt((diff ** 2).sum(-1))
    np.testing.assert_allclose(d, exact, rtol=1e-12, atol=1e-12)
    r = np.where(exact == 0, 0, g / np.where(exact == 0, 1, exact))[..., None] * diff
    np.testing.assert_allclose(g1, _sum_to(r.sum(-2), a.shape), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(g2, _sum_to(-r.sum(-3), b.shape), rtol=1e-10, atol=1e-12)
    if torch is not None:
        t = _run(torch, a, b, g, mode)
        assert t[0][first + (0, 0)] == 0
        for x, y in zip((d, g1, g2), t):
            np.testing.assert_allclose(x, y, rtol=1e-12, atol=1e-13)


def test_pdist_p0_gradient_is_zero():
    """pdist(p=0) counts differing coordinates; torch's backward gives the input a zero
    gradient (ember's was None)."""
    x = ember.tensor(np.arange(12.0).reshape(4, 3) % 5, requires_grad=True)
    d = ember.pdist(x, 0)
    d.sum().backward()
    assert d.tolist() == [3.0] * 6
    assert x.grad is not None and x.grad.abs().sum().item() == 0
    if torch is not None:
        t = torch.tensor(np.arange(12.0).reshape(4, 3) % 5, requires_grad=True)
        torch.pdist(t, 0).sum().backward()
        np.testing.assert_array_equal(x.grad.numpy(), t.grad.numpy())
