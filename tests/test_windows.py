"""Window functions (hann, hamming, blackman, bartlett, kaiser): torch's formulas, periodic and
symmetric, lengths 0 and 1, dtypes, requires_grad and torch's errors; checked against the
textbook definitions and against torch where installed."""

import math

import numpy as np
import pytest

import ember
from oracle import torch


def _reference(name, n, periodic, beta=12.0):
    if n <= 1:
        return np.ones(n)
    m = n + 1 if periodic else n
    k = np.arange(m)
    if name == "hann_window":
        w = 0.5 - 0.5 * np.cos(2 * math.pi * k / (m - 1))
    elif name == "hamming_window":
        w = 0.54 - 0.46 * np.cos(2 * math.pi * k / (m - 1))
    elif name == "blackman_window":
        w = (0.42 - 0.5 * np.cos(2 * math.pi * k / (m - 1))
             + 0.08 * np.cos(4 * math.pi * k / (m - 1)))
    elif name == "bartlett_window":
        w = 1 - np.abs(2 * k / (m - 1) - 1)
    else:
        a = (m - 1) / 2
        w = np.i0(beta * np.sqrt(1 - ((k - a) / a) ** 2)) / np.i0(beta)
    return w[:n]


NAMES = ["hann_window", "hamming_window", "blackman_window", "bartlett_window", "kaiser_window"]


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("periodic", [True, False])
def test_values(name, periodic):
    for n in (0, 1, 2, 5, 8, 33):
        got = getattr(ember, name)(n, periodic, dtype=ember.float64)
        assert got.dtype == ember.float64 and got.shape == (n,)
        np.testing.assert_allclose(got.numpy(), _reference(name, n, periodic), atol=1e-12)
        f32 = getattr(ember, name)(n, periodic)
        assert f32.dtype == ember.float32
        if torch is not None:
            np.testing.assert_allclose(f32.numpy(), getattr(torch, name)(n, periodic).numpy(),
                                       rtol=1e-6, atol=1e-7)


def test_arguments_and_errors():
    np.testing.assert_allclose(ember.hamming_window(6, True, 0.6, 0.3, dtype=ember.float64)
                               .numpy(), 0.6 - 0.3 * np.cos(2 * math.pi * np.arange(6) / 6))
    np.testing.assert_allclose(ember.kaiser_window(6, False, 5.0, dtype=ember.float64).numpy(),
                               _reference("kaiser_window", 6, False, 5.0), rtol=1e-12)
    assert ember.hann_window(5, requires_grad=True).requires_grad
    with pytest.raises(RuntimeError, match="hann_window requires non-negative window_length, "
                                           "got window_length=-1"):
        ember.hann_window(-1)
    with pytest.raises(RuntimeError, match=r"blackman_window expects floating point dtypes, got: "
                                           r"TensorOptions\(dtype=long int"):
        ember.blackman_window(3, dtype=ember.int64)


def test_stft_with_hann_window():
    x = ember.tensor(np.sin(np.arange(64) * 0.3))
    s = ember.stft(x, 16, window=ember.hann_window(16, dtype=ember.float64), return_complex=True)
    assert s.shape == (9, 17)  # hop 4, centred: 64 // 4 + 1 frames
