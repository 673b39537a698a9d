"""torch.complex and torch.polar are differentiable (ComplexBackward0 / PolarBackward0); ember
returned their results detached, so gradients through them were silently lost."""

import numpy as np

import ember
from oracle import torch


def _grads(lib, make, reduce):
    a = lib.tensor([1.0, 2.0, 0.5, 3.0], requires_grad=True)
    b = lib.tensor([0.3, -1.0, 2.0, 1.0], requires_grad=True)
    z = make(lib, a, b)
    reduce(lib, z).backward()
    return z, a.grad.numpy(), b.grad.numpy()


CASES = [
    (lambda L, a, b: L.complex(a, b), lambda L, z: z.abs().sum()),
    (lambda L, a, b: L.complex(a, b), lambda L, z: (z.imag * L.tensor([1.0, 2, 3, 4])).sum()),
    (lambda L, a, b: L.polar(a, b), lambda L, z: (z.real * L.tensor([1.0, 2, 3, 4])).sum()),
    (lambda L, a, b: L.polar(a, b), lambda L, z: (z.imag * L.tensor([1.0, 2, 3, 4])).sum()),
]


def test_complex_and_polar_gradients():
    z, ga, gb = _grads(ember, *CASES[0])
    a, b = np.array([1.0, 2.0, 0.5, 3.0]), np.array([0.3, -1.0, 2.0, 1.0])
    r = np.hypot(a, b)
    assert z.grad_fn.name() == "ComplexBackward0"
    np.testing.assert_allclose(ga, a / r, rtol=1e-6)  # d|a + ib| / da
    np.testing.assert_allclose(gb, b / r, rtol=1e-6)
    z, ga, gb = _grads(ember, *CASES[2])
    assert z.grad_fn.name() == "PolarBackward0"
    w = np.array([1.0, 2, 3, 4])
    np.testing.assert_allclose(ga, w * np.cos(b), rtol=1e-6)  # d(r cos t) / dr
    np.testing.assert_allclose(gb, -w * a * np.sin(b), rtol=1e-6)
    if torch is not None:
        for make, reduce in CASES:
            for e, t in zip(_grads(ember, make, reduce)[1:], _grads(torch, make, reduce)[1:]):
                np.testing.assert_allclose(e, t, rtol=1e-6, atol=1e-7)


def test_complex_keeps_its_parts():
    z = ember.complex(ember.tensor([1.0, -0.0]), ember.tensor([float("inf"), -0.0])).numpy()
    assert z[0].imag == np.inf and np.signbit(z[1].real) and np.signbit(z[1].imag)
