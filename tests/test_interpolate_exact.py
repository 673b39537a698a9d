"""Interpolation with special values, and nearest's gradient in torch's order.

nearest / nearest-exact copy each output's source pixel: -0.0, inf and NaN come out as they went
in (ember's weight-matrix product turned -0.0 into +0.0 and spread one inf or NaN over its whole
row as 0 * inf). Their gradient is torch's kernel's: zeros, then each output cell's gradient
added into its source in the output's raster order. The weighted modes (linear, cubic, area,
adaptive average pooling) read only an output's taps when the input is not finite.
"""

import itertools

import numpy as np
import pytest

import ember
from oracle import requires_torch, torch

F = ember.nn.functional
SPECIAL = np.array([[[[1.0, -0.0, np.inf, 2.0], [2.0, 3.0, np.nan, -1.0],
                      [-np.inf, 0.5, 4.0, -0.0]]]], np.float32)


def _source(n, o, exact):
    s = np.float32(n) / np.float32(o)
    d = np.arange(o, dtype=np.float32)
    src = np.floor((d + np.float32(0.5)) * s) if exact else np.floor(d * s)
    return np.minimum(src.astype(np.int64), n - 1)


@pytest.mark.parametrize("mode", ["nearest", "nearest-exact"])
@pytest.mark.parametrize("size", [(6, 8), (5, 7), (2, 3), (3, 4)])
def test_nearest_copies_special_values(mode, size):
    got = F.interpolate(ember.tensor(SPECIAL), size=size, mode=mode).numpy()
    rows, cols = (_source(n, o, mode == "nearest-exact") for n, o in zip(SPECIAL.shape[2:], size))
    want = SPECIAL[:, :, rows][:, :, :, cols]
    assert got.tobytes() == want.tobytes()


def _raster_grad(g, in_shape, srcs):
    """Zeros, then each output cell of each plane added into its source, in raster order."""
    want = np.zeros(in_shape, g.dtype)
    nd = len(srcs)
    for lead in np.ndindex(*in_shape[:-nd]):
        for out in itertools.product(*[range(len(s)) for s in srcs]):
            want[lead + tuple(int(s[o]) for s, o in zip(srcs, out))] += g[lead + out]
    return want


@pytest.mark.parametrize("shape,size,mode", [
    ((2, 3, 4, 5), (8, 10), "nearest"), ((1, 2, 4, 5), (12, 15), "nearest"),
    ((2, 2, 7, 9), (10, 20), "nearest"), ((1, 2, 16, 16), (5, 7), "nearest"),
    ((2, 3, 9), (22,), "nearest"), ((1, 2, 3, 4, 5), (4, 7, 11), "nearest"),
    ((2, 3, 8, 8), (5, 13), "nearest-exact"), ((2, 3, 6), (13,), "nearest-exact")])
def test_nearest_gradient_sums_in_raster_order(shape, size, mode):
    rng = np.random.default_rng(0)
    x = rng.standard_normal(shape).astype(np.float32)
    t = ember.tensor(x, requires_grad=True)
    y = F.interpolate(t, size=size, mode=mode)
    g = (rng.standard_normal(tuple(y.shape)) * 10.0 ** rng.integers(-3, 4, tuple(y.shape)))
    g = g.astype(np.float32)
    g[rng.random(g.shape) < 0.2] = -0.0
    y.backward(ember.tensor(g))
    srcs = [_source(n, o, mode == "nearest-exact") for n, o in zip(shape[2:], size)]
    assert t.grad.numpy().tobytes() == _raster_grad(g, shape, srcs).tobytes()
    if torch is not None:
        tt = torch.tensor(x, requires_grad=True)
        ty = torch.nn.functional.interpolate(tt, size=size, mode=mode)
        ty.backward(torch.tensor(g))
        assert y.detach().numpy().tobytes() == ty.detach().numpy().tobytes()
        assert t.grad.numpy().tobytes() == tt.grad.numpy().tobytes()
        assert y.grad_fn.name() == ty.grad_fn.name()


def test_nearest_second_derivative_is_the_gather():
    x = ember.tensor(np.arange(6.0).reshape(1, 1, 2, 3), requires_grad=True)
    y = F.interpolate(x, scale_factor=2, mode="nearest")
    g = ember.tensor(np.random.default_rng(1).standard_normal((1, 1, 4, 6)), requires_grad=True)
    (gx,) = ember.autograd.grad(y, x, g, create_graph=True)
    (gg,) = ember.autograd.grad(gx.sum(), g)
    assert np.array_equal(gg.numpy(), np.ones((1, 1, 4, 6)))  # each g cell lands once


@pytest.mark.parametrize("mode,kw", [("bilinear", {}), ("bilinear", {"align_corners": True}),
                                     ("bicubic", {}), ("area", {})])
def test_weighted_modes_keep_special_values_local(mode, kw):
    """An inf or NaN reaches only the outputs whose taps read it (the weight-matrix product
    made whole rows NaN)."""
    x = np.ones((1, 1, 6, 8), np.float32)
    x[0, 0, 1, 1] = np.inf
    x[0, 0, 4, 6] = np.nan
    y = F.interpolate(ember.tensor(x), size=(12, 16), mode=mode, **kw).numpy()[0, 0]
    assert np.isfinite(y[9:, :6]).all() and np.isfinite(y[:4, 10:]).all()  # far from both
    if torch is not None:
        t = torch.nn.functional.interpolate(torch.tensor(x), size=(12, 16), mode=mode, **kw)
        t = t.numpy()[0, 0]
        np.testing.assert_allclose(y[np.isfinite(t)], t[np.isfinite(t)], rtol=1e-5, atol=1e-5)
        assert np.isfinite(y).sum() >= np.isfinite(t).sum()  # (torch also reads zero weights)


def test_adaptive_avg_pool_keeps_special_values_local():
    got = F.adaptive_avg_pool2d(ember.tensor(SPECIAL), (1, 2)).numpy()
    assert got[0, 0, 0, 0] == np.float32((1.0 + 2.0 - np.inf + 0.5 - 0.0 + 3.0) / 6) or \
        np.isneginf(got[0, 0, 0, 0])
    assert np.isnan(got[0, 0, 0, 1])


@requires_torch
def test_adaptive_avg_pool_special_values_equal_torch():
    x = np.ones((1, 2, 6, 6), np.float32)
    x[0, 0, 0, 0], x[0, 1, 5, 5] = np.inf, np.nan
    for size in [(2, 2), (3, 4), (1, 1)]:
        e = F.adaptive_avg_pool2d(ember.tensor(x), size).numpy()
        t = torch.nn.functional.adaptive_avg_pool2d(torch.tensor(x), size).numpy()
        np.testing.assert_array_equal(np.isnan(e), np.isnan(t))
        np.testing.assert_array_equal(np.isinf(e), np.isinf(t))


# ---- a dim that keeps its size under scale_factor (floor(n * s) == n), as torch's kernels do:
# the linear kernels (and the anti-aliased ones) copy it; 2-d nearest copies it; 1-d / 3-d
# nearest and nearest-exact still step by 1 / s; bicubic uses the scale too. ember resampled
# the linear dims and copied the 1-d / 3-d nearest ones. Gradients stay the forward's adjoint
# (torch's nearest 1-d / 3-d and bicubic backward kernels copy such a dim although their forward
# does not, and its anti-aliased backward resamples it: there ember keeps the adjoint).
SAME = [  # (mode, input shape, scale_factor, antialias)
    ("linear", (1, 2, 3), (1.2,), False),
    ("linear", (1, 2, 4), (1.25,), False),
    ("bilinear", (1, 2, 3, 4), (1.0, 1.2), False),
    ("bilinear", (1, 2, 3, 4), (1.2, 1.25), False),
    ("trilinear", (1, 2, 2, 3, 4), (1.1, 1.2, 1.6), False),
    ("bilinear", (1, 2, 3, 4), (1.1, 1.1), True),
    ("bicubic", (1, 2, 3, 4), (1.2, 1.25), True),
    ("nearest", (1, 2, 3), (1.2,), False),
    ("nearest", (1, 2, 4, 3), (1.2, 1.3), False),
    ("nearest", (1, 2, 2, 3, 4), (1.0, 1.2, 1.2), False),
    ("nearest-exact", (1, 2, 3, 4), (1.2, 1.0), False),
]


def _kept_dim_reference(x, mode, sf):
    """What torch's forward does when every dim keeps its size, by its formulas."""
    nd = x.ndim - 2
    for i, s in enumerate(sf):
        n = x.shape[2 + i]
        o = int(np.floor(n * s))
        if o != n:
            continue
        if mode.startswith("nearest") and not (mode == "nearest" and nd == 2):
            d = np.arange(o, dtype=np.float32)
            step = np.float32(1.0 / s)
            src = np.floor((d + np.float32(0.5)) * step) if mode == "nearest-exact" else \
                np.floor(d * step)
            x = np.take(x, np.minimum(src.astype(np.int64), n - 1), axis=2 + i)
    return x


@pytest.mark.parametrize("case", SAME, ids=lambda c: f"{c[0]}-{c[2]}-aa{c[3]}")
def test_kept_size_dims(case):
    mode, shape, sf, aa = case
    x = np.random.default_rng(5).standard_normal(shape).astype(np.float32)
    kw = {"antialias": True} if aa else {}
    got = F.interpolate(ember.tensor(x), scale_factor=sf, mode=mode, **kw).numpy()
    if all(int(np.floor(n * s)) == n for n, s in zip(shape[2:], sf)):
        np.testing.assert_array_equal(got, _kept_dim_reference(x, mode, sf))
    # the gradient is the forward's adjoint: <f(x), y> = <x, f'(y)>
    xt = ember.tensor(x.astype(np.float64), requires_grad=True)
    out = F.interpolate(xt, scale_factor=sf, mode=mode, **kw)
    y = np.random.default_rng(6).standard_normal(tuple(out.shape))
    out.backward(ember.tensor(y))
    np.testing.assert_allclose((out.detach().numpy() * y).sum(), (x * xt.grad.numpy()).sum(),
                               rtol=1e-9)
    if torch is not None:
        want = torch.nn.functional.interpolate(torch.tensor(x), scale_factor=sf, mode=mode,
                                               **kw).numpy()
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)


# ---- uint8 and half inputs: ember built the weights in the input's dtype, so uint8 bilinear /
# bicubic gave zeros (fractional weights truncated) and bfloat16 bicubic was off by ~6 %
@pytest.mark.parametrize("mode,aa", [("bilinear", False), ("bicubic", False),
                                     ("bilinear", True), ("bicubic", True)])
def test_uint8_bilinear_bicubic(mode, aa):
    x = np.random.default_rng(3).integers(0, 256, (2, 3, 13, 17)).astype(np.uint8)
    for kw in ({"size": (20, 31)}, {"size": (7, 9)}, {"scale_factor": 0.5}):
        got = F.interpolate(ember.tensor(x), mode=mode, antialias=aa, **kw)
        assert got.dtype == ember.uint8
        # in float64, width pass then height pass, each rounded and clipped to 0..255 as torch's
        # fixed-point kernel does: within 1 of it (2 for bicubic's larger int16 weights' error)
        out, sf = tuple(got.shape[2:]), kw.get("scale_factor")
        first = {"size": (x.shape[2], out[1])} if sf is None else {"scale_factor": (1.0, sf)}
        then = {"size": out} if sf is None else {"scale_factor": (sf, 1.0)}
        w = F.interpolate(ember.tensor(x.astype(np.float64)), mode=mode, antialias=aa,
                          **first).numpy()
        w = np.clip(np.floor(w + 0.5), 0, 255)
        ref = F.interpolate(ember.tensor(w), mode=mode, antialias=aa, **then).numpy()
        assert np.abs(got.numpy().astype(float) - np.clip(ref, 0, 255)).max() <= (
            1.0 if mode == "bilinear" else 2.0)
        if torch is not None:  # torch's fixed-point passes, bit for bit
            want = torch.nn.functional.interpolate(torch.tensor(x), mode=mode, antialias=aa,
                                                   **kw).numpy()
            np.testing.assert_array_equal(got.numpy(), want)
    row = F.interpolate(ember.tensor([[[[0, 200]]]], dtype=ember.uint8), scale_factor=2,
                        mode="bilinear")
    if not aa and mode == "bilinear":
        assert row.tolist() == [[[[0, 50, 150, 200], [0, 50, 150, 200]]]]


@pytest.mark.parametrize("dt", ["bfloat16", "float16"])
def test_half_types_weights_in_float32(dt):
    if dt == "bfloat16":
        pytest.importorskip("ml_dtypes")  # (ember's bfloat16 needs the bf16 extra)
    x = ember.ones(1, 1, 4, 4, dtype=getattr(ember, dt))
    assert F.interpolate(x, scale_factor=2, mode="bicubic").unique().tolist() == [1.0]
    y = ember.tensor(np.random.default_rng(0).standard_normal((1, 2, 6, 7)).astype(np.float32))
    got = F.interpolate(y.to(getattr(ember, dt)), scale_factor=2.5, mode="bicubic").float()
    ref = F.interpolate(y.double(), scale_factor=2.5, mode="bicubic")
    tol = 0.01 if dt == "bfloat16" else 0.001
    assert (got.double() - ref).abs().max().item() < tol


@pytest.mark.parametrize("dt,mode,shape,kernel", [
    ("int64", "bilinear", (1, 3, 4, 4), "upsample_bilinear2d_channels_last"),
    ("int32", "bicubic", (1, 3, 4, 4), "compute_indices_weights_cubic"),
    ("int64", "nearest", (1, 3, 4), "compute_indices_weights_nearest"),
    ("bool", "nearest", (1, 3, 4, 4), "upsample_nearest2d_channels_last"),
    ("uint8", "linear", (1, 3, 4), "compute_indices_weights_linear"),
    ("uint8", "area", (1, 3, 4, 4), "adaptive_avg_pool2d"),
    ("int8", "trilinear", (1, 3, 4, 4, 4), "compute_indices_weights_linear")])
def test_integer_inputs_torch_refuses(dt, mode, shape, kernel):
    x = ember.ones(shape, dtype=getattr(ember, dt))
    with pytest.raises(NotImplementedError, match=f'"{kernel}" not implemented for'):
        F.interpolate(x, scale_factor=2, mode=mode)
