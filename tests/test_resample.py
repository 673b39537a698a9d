"""interpolate, Upsample, pixel (un)shuffle, affine_grid and grid_sample against torch."""

import pytest

import ember
from ember.nn import _resample
from ember.nn.modules import upsampling
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
                check(lambda L, x, g: F(L).grid_sample(x, g, mode=mode, padding_mode=pm,
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
    e, t = getattr(upsampling, name)(*args, **kw), getattr(torch.nn, name)(*args, **kw)
    assert repr(e) == repr(t)
    check(lambda L, x: (e if L is ember else t)(x), arr((2, 4, 4, 6)), rtol=1e-4, atol=1e-5)
