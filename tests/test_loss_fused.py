"""mse_loss and smooth_l1_loss: the fused kernels (nn/_loss_fused.py) against the composite they
replace (forward bit for bit) and against torch (values bit for bit: the reduction sums in
torch's order; gradients bit for bit: torch's backward formulas), with torch's one node, its
saved values and double backward."""

import numpy as np
import pytest

import ember
from ember.nn import _loss_fused
from oracle import requires_torch, torch

SHAPES = [(64, 100), (3,), (2, 3, 4), (), (5, 0)]
REDUCTIONS = ["mean", "sum", "none"]


def _data(shape, dt, beta, seed):
    rng = np.random.default_rng(seed)
    x = (rng.standard_normal(shape) * 1.5).astype(dt)
    y = rng.standard_normal(shape).astype(dt)
    if x.size > 10:  # special values, and a difference exactly at beta
        x.flat[:6] = [np.nan, np.inf, -np.inf, -0.0, 0.0, y.flat[5] + dt(beta)]
    g = rng.standard_normal(shape).astype(dt)
    return x, y, g


def _run(L, name, x, y, g, reduction, beta, fused=True, monkeypatch=None):
    if not fused:
        monkeypatch.setattr(_loss_fused, "eligible", lambda a, b: False)
    a, b = L.tensor(x, requires_grad=True), L.tensor(y, requires_grad=True)
    f = L.nn.functional
    loss = f.mse_loss(a, b, reduction=reduction) if name == "mse" else \
        f.smooth_l1_loss(a, b, reduction=reduction, beta=beta)
    loss.backward(L.tensor(g) if reduction == "none" else None)
    if not fused:
        monkeypatch.undo()
    return loss, a.grad.numpy(), b.grad.numpy()


@pytest.mark.parametrize("name", ["mse", "smooth_l1"])
@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("dt", [np.float32, np.float64])
def test_fused_equals_composite_and_torch(name, shape, reduction, dt, monkeypatch):
    beta = 0.5
    x, y, g = _data(shape, dt, beta, 1)
    loss, gx, gy = _run(ember, name, x, y, g, reduction, beta)
    ref, rx, ry = _run(ember, name, x, y, g, reduction, beta, False, monkeypatch)
    np.testing.assert_array_equal(loss.detach().numpy(), ref.detach().numpy())
    ok = np.isfinite(x)  # at inf the composite's where() differentiates inf - inf: NaN
    np.testing.assert_allclose(gx[ok], rx[ok], rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(gy[ok], ry[ok], rtol=1e-6, atol=1e-7)
    if torch is None:
        return
    tl, tx, ty = _run(torch, name, x, y, g, reduction, beta)
    np.testing.assert_array_equal(gx, tx)
    np.testing.assert_array_equal(gy, ty)
    np.testing.assert_array_equal(loss.detach().numpy(), tl.detach().numpy())  # torch's order
    assert loss.grad_fn.name() == tl.grad_fn.name()
    assert loss.grad_fn._saved_reduction == tl.grad_fn._saved_reduction
    if name == "smooth_l1":
        assert loss.grad_fn._saved_beta == tl.grad_fn._saved_beta
    assert [type(n).__name__ if n is not None else None for n, _ in
            loss.grad_fn.next_functions] == [type(n).__name__ if n is not None else None
                                             for n, _ in tl.grad_fn.next_functions]


def test_smooth_l1_band_edges_and_betas():
    """x / beta clipped to [-1, 1] is torch's three-way rule, also just inside the band."""
    y = np.zeros(9, np.float32)
    for beta in (1.0, 0.1, 3.0):
        x = np.float32(beta) * np.array([-2, -1, -0.9999999, -0.5, 0, 0.5, 0.9999999, 1, 2],
                                        np.float32)
        a = ember.tensor(x, requires_grad=True)
        ember.nn.functional.smooth_l1_loss(a, ember.tensor(y), reduction="sum",
                                           beta=beta).backward()
        want = np.clip(x / np.float32(beta), -1, 1)
        np.testing.assert_array_equal(a.grad.numpy(), want)


@pytest.mark.parametrize("name", ["mse", "smooth_l1"])
def test_double_backward_uses_the_composite(name):
    x = np.random.default_rng(2).standard_normal(20)
    a, b = ember.tensor(x, requires_grad=True), ember.tensor(x[::-1].copy(), requires_grad=True)
    f = ember.nn.functional
    loss = f.mse_loss(a, b) if name == "mse" else f.smooth_l1_loss(a, b, beta=10.0)
    ga, = ember.autograd.grad(loss, a, create_graph=True)
    ga.sum().backward()  # inside the band both are quadratic: d/da sum(dL/da) = 2/n or 1/(n b)
    want = 2 / 20 if name == "mse" else 1 / (20 * 10.0)
    np.testing.assert_allclose(a.grad.numpy(), np.full(20, want), rtol=1e-12)


@requires_torch
def test_retain_graph_and_freed_error():
    a = ember.randn(4, requires_grad=True)
    loss = ember.nn.functional.smooth_l1_loss(a, ember.zeros(4))
    loss.backward(retain_graph=True)
    loss.backward()
    with pytest.raises(RuntimeError, match="Trying to backward through the graph a second time"):
        loss.backward()
