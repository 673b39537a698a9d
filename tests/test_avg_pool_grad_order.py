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


@requires_torch
@pytest.mark.parametrize("nd", [1, 2, 3])
def test_adaptive_avg_pool_and_area_interpolation_bits(nd):
    # each output's window summed in raster order, then / k per dim; the gradient g / k ...
    # added over the windows in the outputs' raster order (windows overlap, or outputs share
    # cells when there are more outputs than cells)
    rng = np.random.default_rng(10 + nd)
    for it in range(40):
        dtype = (np.float32, np.float64)[it % 2]
        shape = (int(rng.integers(1, 3)), int(rng.integers(1, 4))) + tuple(
            int(v) for v in rng.integers(1, 12, nd))
        outs = tuple(int(v) for v in rng.integers(1, 9, nd))
        if it % 4 == 0:  # whole tiles
            outs = tuple(max(1, n // int(rng.integers(1, 4))) for n in shape[2:])
        if all(o == 1 for o in outs):
            continue
        x = rng.standard_normal(shape).astype(dtype)
        for kind in ("pool", "area"):
            g, res = None, []
            for lib in (ember, torch):
                xx = lib.from_numpy(x.copy()).requires_grad_()
                F = lib.nn.functional
                y = (getattr(F, f"adaptive_avg_pool{nd}d")(xx, outs) if kind == "pool" else
                     F.interpolate(xx, size=outs, mode="area"))
                if g is None:
                    g = rng.standard_normal(tuple(y.shape)).astype(dtype)
                y.backward(lib.from_numpy(g))
                res.append((y.detach().numpy(), xx.grad.numpy(), y.grad_fn.name()))
            (ey, eg, en), (ty, tg, tn) = res
            assert ey.tobytes() == ty.tobytes() and eg.tobytes() == tg.tobytes(), (shape, outs)
            assert en == tn


@requires_torch
def test_affine_grid_values_and_node():
    # torch's base grid (linspace in the dtype, * (n - 1), / n) and its small bmm, each output
    # x0 t0 + x1 t1 + t2 left to right, unfused; gradients close (a matrix product over points)
    rng = np.random.default_rng(0)
    for it in range(40):
        nd, dtype = 2 + it % 2, (np.float32, np.float64)[it % 4 // 2]
        size = (int(rng.integers(1, 4)), 1) + tuple(int(rng.integers(2, 9)) for _ in range(nd))
        theta = rng.standard_normal((size[0], nd, nd + 1)).astype(dtype)
        res = []
        for lib in (ember, torch):
            t = lib.from_numpy(theta.copy()).requires_grad_()
            grid = lib.nn.functional.affine_grid(t, size, align_corners=bool(it % 3))
            grid.backward(lib.ones_like(grid))
            res.append((grid.detach().numpy(), t.grad.numpy(), grid.grad_fn.name()))
        assert res[0][0].tobytes() == res[1][0].tobytes() and res[0][2] == res[1][2]
        scale = np.abs(res[1][1]).max()  # (a sum over the points that cancels can be 0)
        np.testing.assert_allclose(res[0][1], res[1][1], rtol=1e-5, atol=1e-5 * scale)


@requires_torch
def test_batch_norm_evaluation_input_gradient():
    # torch's evaluation kernel: invstd = 1 / sqrt(running_var + eps) in double, rounded, and
    # dx = (dy * invstd) * w
    rng = np.random.default_rng(1)
    for it in range(40):
        dtype = (np.float32, np.float64)[it % 2]
        shape = (int(rng.integers(1, 20)), int(rng.integers(1, 6))) + tuple(
            int(rng.integers(1, 6)) for _ in range(it % 3))
        c = shape[1]
        x, g = (rng.standard_normal(shape).astype(dtype) for _ in range(2))
        w = rng.standard_normal(c).astype(dtype) if it % 4 < 2 else None
        rm, rv = rng.standard_normal(c).astype(dtype), rng.uniform(0.3, 3, c).astype(dtype)
        res = []
        for lib in (ember, torch):
            xx = lib.from_numpy(x.copy()).requires_grad_()
            y = lib.nn.functional.batch_norm(xx, lib.from_numpy(rm.copy()),
                                             lib.from_numpy(rv.copy()),
                                             None if w is None else lib.from_numpy(w),
                                             training=False)
            y.backward(lib.from_numpy(g))
            res.append((y.detach().numpy(), xx.grad.numpy()))
        assert res[0][0].tobytes() == res[1][0].tobytes()
        assert res[0][1].tobytes() == res[1][1].tobytes()
