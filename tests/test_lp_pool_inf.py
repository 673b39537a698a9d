"""lp_pool1d/2d with an infinite norm are torch's max_pool of |x| (-inf: minus max_pool of
-|x|), gradient included; ember computed (sum x^inf)^0 = 1 with NaN gradients."""

import numpy as np
import pytest

import ember
from oracle import torch


@pytest.mark.parametrize("p", [float("inf"), -float("inf")])
@pytest.mark.parametrize("dims", [1, 2])
def test_infinite_norm(p, dims):
    rng = np.random.default_rng(dims)
    x0 = rng.standard_normal((2, 3, 7) if dims == 1 else (2, 3, 5, 6)).astype(np.float32)

    def run(L):
        x = L.tensor(x0, requires_grad=True)
        pool = L.nn.functional.lp_pool1d if dims == 1 else L.nn.functional.lp_pool2d
        y = pool(x, p, 2, stride=1 if dims == 2 else None)
        y.backward(L.ones_like(y))
        return y.detach().numpy(), x.grad.numpy()
    y, g = run(ember)
    a = np.abs(x0)
    if dims == 1:
        win = np.stack([a[..., 0:6:2], a[..., 1:7:2]], -1)  # stride = kernel 2, last dropped
    else:
        win = np.stack([a[..., i:i + 4, j:j + 5] for i in (0, 1) for j in (0, 1)], -1)
    np.testing.assert_array_equal(y, win.max(-1) if p > 0 else win.min(-1))
    assert np.isfinite(g).all()
    if torch is not None:
        ty, tg = run(torch)
        np.testing.assert_array_equal(y, ty)
        np.testing.assert_array_equal(g, tg)
