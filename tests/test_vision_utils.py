"""make_grid and save_image against hand computations of torchvision's documented layout:
tiles of `nrow` per row, `padding` of `pad_value` around and between, min-max normalization."""

import numpy as np
import pytest

import ember
from ember.vision.utils import make_grid, save_image


def batch(shape, seed=0):
    return np.random.default_rng(seed).uniform(-2, 3, shape).astype(np.float32)


def expected_grid(x, nrow, padding, pad_value):
    """The layout by hand: (C, rows*(H+p)+p, cols*(W+p)+p), tile k at row k//cols."""
    n, c, h, w = x.shape
    cols = min(nrow, n)
    rows = -(-n // cols)
    out = np.full((c, rows * (h + padding) + padding, cols * (w + padding) + padding),
                  pad_value, x.dtype)
    for k in range(n):
        top, left = (k // cols) * (h + padding) + padding, (k % cols) * (w + padding) + padding
        out[:, top:top + h, left:left + w] = x[k]
    return out


@pytest.mark.parametrize("n,nrow,padding,pad_value", [(5, 2, 1, 0.5), (3, 8, 2, 0.0),
                                                      (4, 4, 0, 1.0), (7, 3, 3, -1.0)])
def test_layout(n, nrow, padding, pad_value):
    x = batch((n, 3, 2, 3))
    grid = make_grid(ember.from_numpy(x), nrow=nrow, padding=padding, pad_value=pad_value)
    assert grid.dtype == ember.float32
    np.testing.assert_array_equal(grid.numpy(), expected_grid(x, nrow, padding, pad_value))


def test_channels_lists_and_single_images():
    x = batch((3, 1, 2, 2))
    grid = make_grid(ember.from_numpy(x), nrow=3, padding=1)
    np.testing.assert_array_equal(grid.numpy(), expected_grid(np.repeat(x, 3, 1), 3, 1, 0))
    listed = make_grid([ember.from_numpy(a) for a in x], nrow=3, padding=1)
    np.testing.assert_array_equal(listed.numpy(), grid.numpy())
    one = make_grid(ember.from_numpy(x[0]))  # one image: no padding, gray -> 3 channels
    np.testing.assert_array_equal(one.numpy(), np.repeat(x[0], 3, 0))
    assert tuple(make_grid(ember.zeros(4, 5)).shape) == (3, 4, 5)
    u8 = make_grid(ember.ones(2, 3, 2, 2, dtype=ember.uint8), pad_value=7)
    assert u8.dtype == ember.uint8 and u8.numpy()[0, 0, 0] == 7 and u8.numpy()[0, 2, 2] == 1
    with pytest.raises(TypeError, match="tensor or list of tensors expected"):
        make_grid(np.zeros((2, 3, 4, 4)))


def test_normalize():
    x = batch((2, 3, 2, 2))
    grid = make_grid(ember.from_numpy(x), normalize=True, padding=0).numpy()
    np.testing.assert_allclose(grid, expected_grid((x - x.min()) / (x.max() - x.min()), 8, 0,
                                                   0), rtol=1e-6)
    ranged = make_grid(ember.from_numpy(x), normalize=True, value_range=(-1, 1), padding=0)
    np.testing.assert_allclose(ranged.numpy(), expected_grid((np.clip(x, -1, 1) + 1) / 2, 8, 0,
                                                             0), rtol=1e-6)
    each = make_grid(ember.from_numpy(x), normalize=True, scale_each=True, padding=0).numpy()
    per = np.stack([(a - a.min()) / (a.max() - a.min()) for a in x])
    np.testing.assert_allclose(each, expected_grid(per, 8, 0, 0), rtol=1e-6)
    assert np.array_equal(x, batch((2, 3, 2, 2)))  # the input is left alone


def test_save_image(tmp_path):
    Image = pytest.importorskip("PIL.Image")
    x = np.random.default_rng(3).uniform(0, 1, (2, 3, 4, 5)).astype(np.float32)
    path = tmp_path / "grid.png"
    save_image(ember.from_numpy(x), str(path), nrow=1, padding=1, pad_value=1.0)
    grid = expected_grid(x, 1, 1, 1.0)
    want = np.clip(grid * 255 + 0.5, 0, 255).astype(np.uint8).transpose(1, 2, 0)
    np.testing.assert_array_equal(np.array(Image.open(path)), want)
