"""interpolate, Upsample, pixel (un)shuffle, affine_grid and grid_sample against torch."""

import numpy as np
import pytest

import ember
from ember.nn import _resample
from oracle import arr, check, check_error, requires_torch, torch


def F(L):
    return _resample if L is ember else torch.nn.functional


INTERP = [
    ((2, 3, 5), dict(size=8, mode="nearest")),
    ((2, 3, 5, 4), dict(scale_factor=2, mode="nearest")),
    ((2, 3, 5, 4), dict(scale_factor=1.7, mode="nearest")),
    ((2, 3, 5, 4), dict(size=(3, 7), mode="nearest-exact")),
    ((2, 3, 9, 8), dict(size=(4, 3), mode="nearest")),
    ((2, 3, 5), dict(size=8, mode="linear")),
    ((2, 3, 5, 4), dict(size=(7, 9), mode="bilinear")),
    ((2, 3, 5, 4), dict(size=(7, 9), mode="bilinear", align_corners=True)),
    ((2, 3, 6, 5), dict(scale_factor=0.6, mode="bilinear")),
    ((2, 3, 6, 5), dict(scale_factor=1.5, mode="bilinear", recompute_scale_factor=True)),
    ((2, 3, 5, 4), dict(size=(8, 7), mode="bicubic")),
    ((2, 3, 5, 4), dict(scale_factor=2, mode="bicubic", align_corners=True)),
    ((1, 2, 3, 4, 3), dict(size=(5, 3, 4), mode="trilinear")),
    ((2, 3, 7, 9), dict(size=(3, 4), mode="area")),
]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("shape,kw", INTERP)
def test_interpolate(shape, kw, dtype):
    check(lambda L, x: F(L).interpolate(x, **kw), arr(shape, dtype), rtol=1e-4, atol=1e-5)


def test_pixel_shuffle():
    check(lambda L, x: F(L).pixel_shuffle(x, 2), arr((2, 8, 3, 4)))
    check(lambda L, x: F(L).pixel_shuffle(x, 3), arr((9, 2, 3)))
    check(lambda L, x: F(L).pixel_unshuffle(x, 2), arr((2, 3, 4, 6)))


def test_affine_grid_and_grid_sample():
    for ac in (True, False):
        check(lambda L, t: F(L).affine_grid(t, (2, 3, 4, 5), align_corners=ac),
              arr((2, 2, 3), seed=1, low=-1, high=1))
        for mode in ("bilinear", "nearest"):
            for pm in ("zeros", "border"):
                check(lambda L, x, g: L.nn.functional.grid_sample(x, g, mode=mode,
                                                                  padding_mode=pm,
                                                                  align_corners=ac),
                      arr((2, 3, 5, 4)), arr((2, 3, 6, 2), seed=1, low=-1.2, high=1.2),
                      rtol=1e-4, atol=1e-5)


ERRORS = [
    lambda L, x: F(L).interpolate(x, mode="bilinear"),
    lambda L, x: F(L).interpolate(x, size=4, scale_factor=2),
    lambda L, x: F(L).interpolate(x, size=4, mode="nearest", align_corners=True),
    lambda L, x: F(L).interpolate(x, size=4, mode="foo"),
    lambda L, x: F(L).interpolate(x[0], size=4, mode="bilinear"),
    lambda L, x: F(L).interpolate(x, size=4, mode="linear"),
    lambda L, x: F(L).interpolate(x, size=(4, 4, 4)),
    lambda L, x: F(L).interpolate(x, scale_factor=(2, 2, 2)),
    lambda L, x: F(L).interpolate(x[0, 0], size=4),
    lambda L, x: F(L).pixel_shuffle(x, 2),
    lambda L, x: F(L).pixel_unshuffle(x, 3),
    lambda L, x: F(L).interpolate(x, scale_factor=2, mode="nearest", antialias=True),
    lambda L, x: L.nn.functional.grid_sample(x, x[..., :2], mode="bogus"),
    lambda L, x: L.nn.functional.grid_sample(x, x[..., :2], padding_mode="bogus"),
    lambda L, x: L.nn.functional.grid_sample(x[0], x[0, ..., :2], align_corners=False),
    lambda L, x: L.nn.functional.grid_sample(x, x[..., :3], align_corners=False),
    lambda L, x: L.nn.functional.grid_sample(x, x.expand(2, 3, 8, 8)[..., :2],
                                             align_corners=False),
    lambda L, x: L.nn.functional.grid_sample(x, x[..., :2].double(), align_corners=False),
    lambda L, x: L.nn.functional.grid_sample(x.long(), x[..., :2].long(), align_corners=False),
    lambda L, x: L.nn.functional.grid_sample(x[..., :0], x[..., :2], align_corners=False),
    lambda L, x: L.nn.functional.grid_sample(x, x[0, 0, :, :2], align_corners=False),
]


@pytest.mark.parametrize("fn", ERRORS)
def test_errors(fn):
    check_error(fn, arr((1, 3, 8, 8)))


@requires_torch
@pytest.mark.parametrize("name,args,kw", [
    ("Upsample", (), dict(scale_factor=2, mode="nearest")),
    ("Upsample", ((5, 7),), dict(mode="bilinear", align_corners=False)),
    ("UpsamplingNearest2d", (), dict(scale_factor=3)),
    ("UpsamplingBilinear2d", ((6, 6),), dict()),
    ("PixelShuffle", (2,), dict()),
    ("PixelUnshuffle", (2,), dict()),
])
def test_modules(name, args, kw):
    e, t = getattr(ember.nn, name)(*args, **kw), getattr(torch.nn, name)(*args, **kw)
    assert repr(e) == repr(t)
    check(lambda L, x: (e if L is ember else t)(x), arr((2, 4, 4, 6)), rtol=1e-4, atol=1e-5)


# ---------------------------------------------------------------- grid_sample, bit for bit
def _exact():
    """torch's kernel fuses multiply-adds on AVX2 / AVX512 CPUs, where ember reproduces it
    bit for bit; elsewhere the last bit may differ."""
    return torch.backends.cpu.get_cpu_capability() in ("AVX2", "AVX512")


def _grid_case(lib, dtype, layout, mode, padding, align, n=2):
    rng = np.random.default_rng(3)
    x = lib.from_numpy(rng.standard_normal((n, 3, 8, 7)).astype(dtype)).requires_grad_()
    g = rng.uniform(-1.2, 1.2, (n, 11, 13, 2)).astype(dtype)  # 143 points: 17 vectors + 7
    if layout == "planes":  # the (N, 2, H, W) output of a conv, permuted
        g = lib.from_numpy(np.ascontiguousarray(g.transpose(0, 3, 1, 2))).permute(0, 2, 3, 1)
    elif layout == "rows":  # walked row by row
        g = lib.from_numpy(np.ascontiguousarray(g.transpose(0, 2, 1, 3))).transpose(1, 2)
    else:
        g = lib.from_numpy(g)
    g.requires_grad_()
    y = lib.nn.functional.grid_sample(x, g, mode=mode, padding_mode=padding, align_corners=align)
    y.backward(lib.from_numpy(rng.standard_normal(tuple(y.shape)).astype(dtype)))
    return [y.detach().numpy(), x.grad.numpy(), g.grad.numpy()]


@requires_torch
@pytest.mark.parametrize("layout", ["contiguous", "planes", "rows"])
@pytest.mark.parametrize("padding", ["zeros", "border", "reflection"])
@pytest.mark.parametrize("align", [False, True])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_grid_sample_matches_torchs_kernel(dtype, align, padding, layout):
    """Values and both gradients as torch's CPU kernel gives them: the same fused
    multiply-adds and the same order of accumulation into each input pixel (the composition
    ember used before was up to ~6e-6 away in the grid's float32 gradient)."""
    for mode in ("bilinear", "nearest"):
        t = _grid_case(torch, dtype, layout, mode, padding, align)
        e = _grid_case(ember, dtype, layout, mode, padding, align)
        for what, a, b in zip(("output", "input grad", "grid grad"), e, t):
            if _exact():
                np.testing.assert_array_equal(a, b, err_msg=f"{mode} {what}")
            else:
                np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-6, err_msg=f"{mode} {what}")


@requires_torch
@pytest.mark.parametrize("padding", ["zeros", "border", "reflection"])
@pytest.mark.parametrize("mode", ["bilinear", "nearest"])
def test_grid_sample_double_backward(mode, padding):
    def f(L, x, g):
        y = L.nn.functional.grid_sample(x, g, mode=mode, padding_mode=padding,
                                        align_corners=False)
        gx, gg = L.autograd.grad((y * y).sum(), (x, g), create_graph=True)
        return gx, gg
    check(f, arr((2, 2, 4, 5), "float64"), arr((2, 3, 3, 2), "float64", seed=1, low=-1.1,
                                               high=1.1), fd=False)


@requires_torch
def test_grid_sample_empty_batch_and_grid():
    for n, shape in ((0, (0, 3, 4, 2)), (2, (2, 0, 4, 2))):
        check(lambda L, x, g: L.nn.functional.grid_sample(x, g, align_corners=True),
              arr((n, 2, 3, 3)), arr(shape, seed=1, low=-1, high=1))
