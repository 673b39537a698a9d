"""Window functions (torch.hann_window, hamming_window, blackman_window, bartlett_window,
kaiser_window), by torch's formulas in the window's dtype: arange(n) scaled, then the cosine
sum; a periodic window is the symmetric one of n + 1 points without its last. Lengths 0 and 1
give an empty window and [1]."""

import math

import numpy as np

from .. import _dtype as D
from .._tensor import _CPP_NAMES
from . import _gamma
from ._util import check_factory
from .creation import _finish

__all__ = ["hann_window", "hamming_window", "blackman_window", "bartlett_window",
           "kaiser_window"]


def _window(name, n, periodic, fill, dtype, layout, device, pin_memory, requires_grad):
    if layout is not None or pin_memory:
        check_factory(f"torch.{name}", layout, pin_memory)
    dtype = D.get_default_dtype() if dtype is None else dtype
    if n < 0:
        raise RuntimeError(f"{name} requires non-negative window_length, got window_length={n}")
    if not dtype.is_floating_point:
        raise RuntimeError(
            f"{name} expects floating point dtypes, got: TensorOptions(dtype="
            f"{_CPP_NAMES[dtype.np]}, device=cpu, layout=Strided (default), requires_grad=false "
            "(default), pinned_memory=false, memory_format=(nullopt))")
    dt = dtype.np
    if n <= 1:
        w = np.ones((n,), dt)
    else:
        m = n + 1 if periodic else n
        w = fill(np.arange(m, dtype=dt), m, dt.type)[:n]
    t = _finish(np.ascontiguousarray(w), device)
    return t.requires_grad_() if requires_grad else t


def hamming_window(window_length, periodic=True, alpha=0.54, beta=0.46, *, dtype=None,
                   layout=None, device=None, pin_memory=False, requires_grad=False):
    def fill(x, m, t):
        x *= t(math.pi * 2.0 / (m - 1))
        return np.cos(x) * t(-beta) + t(alpha)
    return _window("hamming_window", window_length, periodic, fill, dtype, layout, device,
                   pin_memory, requires_grad)


def hann_window(window_length, periodic=True, *, dtype=None, layout=None, device=None,
                pin_memory=False, requires_grad=False):
    def fill(x, m, t):
        x *= t(math.pi * 2.0 / (m - 1))
        return np.cos(x) * t(-0.5) + t(0.5)
    return _window("hann_window", window_length, periodic, fill, dtype, layout, device,
                   pin_memory, requires_grad)


def blackman_window(window_length, periodic=True, *, dtype=None, layout=None, device=None,
                    pin_memory=False, requires_grad=False):
    def fill(x, m, t):
        x *= t(math.pi / (m - 1))
        return np.cos(x * t(4)) * t(0.08) - np.cos(x * t(2)) * t(0.5) + t(0.42)
    return _window("blackman_window", window_length, periodic, fill, dtype, layout, device,
                   pin_memory, requires_grad)


def bartlett_window(window_length, periodic=True, *, dtype=None, layout=None, device=None,
                    pin_memory=False, requires_grad=False):
    def fill(x, m, t):
        x *= t(2.0 / (m - 1))
        half = ((m - 1) >> 1) + 1
        x[half:] = x[half:] * t(-1) + t(2)
        return x
    return _window("bartlett_window", window_length, periodic, fill, dtype, layout, device,
                   pin_memory, requires_grad)


def kaiser_window(window_length, periodic=True, beta=12.0, *, dtype=None, layout=None,
                  device=None, pin_memory=False, requires_grad=False):
    def fill(x, m, t):  # i0(beta sqrt(|1 - ((k - a) / a)^2|)) / i0(beta), a = (m - 1) / 2,
        # one kernel: half types computed in float32 (torch's opmath), rounded once
        y = x.astype(np.float32) if x.dtype.itemsize < 4 else x
        u = y.dtype.type
        a = u((m - 1) / 2.0)
        arg = u(beta) * np.sqrt(np.abs(1 - ((y - a) / a) ** 2))
        return (_gamma.i0(arg) / _gamma.i0(np.array(beta, y.dtype))).astype(x.dtype)
    return _window("kaiser_window", window_length, periodic, fill, dtype, layout, device,
                   pin_memory, requires_grad)
