"""avg_pool's gradient in torch's order: each output adds its share (g / divisor) to its window,
outputs in order, so overlapping windows add up by output index (ember: kernel offsets from the
last to the first)."""

import numpy as np
import pytest
from tests.oracle import requires_torch, torch

import ember


@requires_torch
@pytest.mark.parametrize("nd", [1, 2, 3])
def test_overlapping_windows_gradient_bits(nd):
    rng = np.random.default_rng(nd)
    for it in range(60):
        k = int(rng.integers(2, 5))
        s, p = int(rng.integers(1, k)), int(rng.integers(0, k // 2 + 1))
        shape = (2, 3) + tuple(int(rng.integers(k, 10)) for _ in range(nd))
        dtype = (np.float32, np.float64)[it % 2]
        x = rng.standard_normal(shape).astype(dtype)
        kw = {"kernel_size": k, "stride": s, "padding": p, "ceil_mode": bool(it % 3 == 0),
              "count_include_pad": bool(it % 4)}
        g = None
        res = []
        for lib in (ember, torch):
            xx = lib.from_numpy(x.copy()).requires_grad_()
            y = getattr(lib.nn.functional, f"avg_pool{nd}d")(xx, **kw)
            if g is None:
                g = rng.standard_normal(tuple(y.shape)).astype(dtype)
            y.backward(lib.from_numpy(g))
            res.append((y.detach().numpy(), xx.grad.numpy()))
        (ey, eg), (ty, tg) = res
        assert ey.tobytes() == ty.tobytes() and eg.tobytes() == tg.tobytes(), kw
