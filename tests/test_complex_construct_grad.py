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


def test_angle_values_and_gradient():
    """torch.angle: pi for negative reals, 0 otherwise (NaN kept), the argument of a complex
    number in its real dtype; gradient 0 for reals, grad * z / |z|^2 * i for complex, 0 at 0."""
    x = ember.tensor([1.0, -2.0, 0.0, -0.0, float("nan"), -float("inf")], requires_grad=True)
    y = ember.angle(x)
    y.sum().backward()
    pi = np.float32(np.pi)
    np.testing.assert_array_equal(y.detach().numpy(), [0, pi, 0, 0, np.nan, pi])
    assert y.grad_fn.name() == "AngleBackward0" and not x.grad.numpy().any()
    assert ember.angle(ember.tensor([1, -2])).dtype is ember.float32
    zs = np.array([1 + 1j, -2 + 0.5j, 0j, 3 - 4j], np.complex64)
    z = ember.tensor(zs, requires_grad=True)
    a = z.angle()
    assert a.dtype is ember.float32
    np.testing.assert_allclose(a.detach().numpy(), np.arctan2(zs.imag, zs.real), rtol=1e-6)
    (a * ember.tensor([1.0, 2.0, 3.0, 4.0])).sum().backward()
    w = np.array([1.0, 2.0, 3.0, 4.0])
    want = np.where(zs == 0, 0, w * zs / np.abs(zs) ** 2 * 1j)
    np.testing.assert_allclose(z.grad.numpy(), want, rtol=1e-6, atol=1e-7)
    if torch is not None:
        t = torch.tensor(zs, requires_grad=True)
        ta = t.angle()
        (ta * torch.tensor([1.0, 2.0, 3.0, 4.0])).sum().backward()
        assert a.detach().numpy().tobytes() == ta.detach().numpy().tobytes()
        np.testing.assert_array_equal(z.grad.numpy(), t.grad.resolve_conj().numpy())
