"""Gradients that add in torch's order: avg_pool's (each output adds its share, g / divisor, to
its window, outputs in order, so overlapping windows add up by output index: ember's kernel
offsets from the last to the first) and circular padding's (the right pad, then the left)."""

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


@requires_torch
def test_circular_pad_gradient_adds_the_right_pad_first():
    # torch's circular padding is copies, dim by dim: its backward adds the right pad's
    # gradient into the interior, then the left's
    rng = np.random.default_rng(0)
    for it in range(60):
        nd = 1 + it % 3
        sizes = tuple(int(rng.integers(2, 8)) for _ in range(nd))
        pads = []
        for s in reversed(sizes):
            pads += [int(rng.integers(0, s + 1)), int(rng.integers(0, s + 1))]
        x = rng.standard_normal((1, 2) + sizes).astype(np.float32)
        g, res = None, []
        for lib in (ember, torch):
            xx = lib.from_numpy(x.copy()).requires_grad_()
            y = lib.nn.functional.pad(xx, tuple(pads), mode="circular")
            if g is None:
                g = rng.standard_normal(tuple(y.shape)).astype(np.float32)
            y.backward(lib.from_numpy(g))
            res.append(xx.grad.numpy())
        assert res[0].tobytes() == res[1].tobytes(), (sizes, pads)
