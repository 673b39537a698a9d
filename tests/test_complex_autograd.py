"""Gradients through complex tensors in torch's convention: for a real loss L of z = x + iy,
z.grad = dL/dx + i dL/dy (the conjugate Wirtinger derivative, times 2). A holomorphic op's
backward is then grad * conj(f'(z)); ember's formulas, written for real numbers, gave
grad * f'(z) (mul, div, pow, matmul, linear, einsum, exp, log, sqrt, sigmoid, prod, ...), and
conj was not differentiable. Not yet in that convention (left out here): pinv, eigh, lstsq,
and slogdet's sign. Checked by central differences on the real and imaginary parts,
and against torch where installed."""

import numpy as np
import pytest

import ember
from oracle import torch

rng = np.random.default_rng(0)
Z = rng.standard_normal((3, 4)) + 1j * rng.standard_normal((3, 4)) + 0.5
W = rng.standard_normal((3, 4)) + 1j * rng.standard_normal((3, 4)) + 0.5
M = rng.standard_normal((4, 2)) + 1j * rng.standard_normal((4, 2))
R = rng.standard_normal((3, 4))

OPS = {
    "mul": lambda L, z, w: z * w,
    "div": lambda L, z, w: z / w,
    "mul_scalar": lambda L, z, w: z * (2 + 1j),
    "pow2": lambda L, z, w: z ** 2,
    "pow_half": lambda L, z, w: z ** 0.5,
    "matmul": lambda L, z, w: z @ L.tensor(M),
    "mm_both": lambda L, z, w: z.mm(w.mT),
    "linear": lambda L, z, w: L.nn.functional.linear(z, w),
    "einsum": lambda L, z, w: L.einsum("ij,ij->i", z, w),
    "dot": lambda L, z, w: L.dot(z.reshape(-1), w.reshape(-1)),
    "vdot": lambda L, z, w: L.vdot(z.reshape(-1), w.reshape(-1)),
    "exp": lambda L, z, w: z.exp(),
    "log": lambda L, z, w: z.log(),
    "sin": lambda L, z, w: z.sin(),
    "tanh": lambda L, z, w: z.tanh(),
    "sqrt": lambda L, z, w: z.sqrt(),
    "reciprocal": lambda L, z, w: z.reciprocal(),
    "sigmoid": lambda L, z, w: z.sigmoid(),
    "prod": lambda L, z, w: z.prod(1),
    "cumprod": lambda L, z, w: z.cumprod(1),
    "conj": lambda L, z, w: z.conj() * w,
    "abs2": lambda L, z, w: (z * z.conj()).real,
    "real_times_complex": lambda L, z, w: L.tensor(R, requires_grad=False) * z,
    "lerp": lambda L, z, w: L.lerp(z, w, 0.3),
    "addcmul": lambda L, z, w: L.addcmul(z, z, w, value=0.5),
    "abs": lambda L, z, w: z.abs() * w.real,
    "addmm": lambda L, z, w: L.addmm(z[:, :3], z, w.mT),
    "det": lambda L, z, w: L.linalg.det(z[:, :3] + 2 * L.eye(3)),
    "inv": lambda L, z, w: L.linalg.inv(z[:, :3] + 2 * L.eye(3)),
    "solve": lambda L, z, w: L.linalg.solve(z[:, :3] + 2 * L.eye(3), w),
    "solve_triangular": lambda L, z, w: L.linalg.solve_triangular(
        z[:, :3].triu() + 2 * L.eye(3), w, upper=True),
    "logabsdet": lambda L, z, w: L.linalg.slogdet(z[:, :3] + 2 * L.eye(3))[1].real,
}


def _loss(L, y):
    return (y.abs() ** 2).sum() if y.is_complex() else (y * y).sum()


def _grads(L, fn, z, w):
    zt = L.tensor(z, requires_grad=True)
    wt = L.tensor(w, requires_grad=True)
    _loss(L, fn(L, zt, wt)).backward()
    return [None if t.grad is None else t.grad.resolve_conj().numpy() for t in (zt, wt)]


def _numeric(fn, z, w, which, h=1e-6):
    def value(z, w):
        with ember.no_grad():
            return float(_loss(ember, fn(ember, ember.tensor(z), ember.tensor(w))).item())
    base = [z, w][which]
    g = np.zeros_like(base)
    for i in np.ndindex(*base.shape):
        for unit in (1, 1j):
            hi, lo = base.copy(), base.copy()
            hi[i] += h * unit
            lo[i] -= h * unit
            args_hi = (hi, w) if which == 0 else (z, hi)
            args_lo = (lo, w) if which == 0 else (z, lo)
            g[i] += unit * (value(*args_hi) - value(*args_lo)) / (2 * h)
    return g


@pytest.mark.parametrize("name", sorted(OPS))
def test_complex_gradients_are_torch_convention(name):
    fn = OPS[name]
    got = _grads(ember, fn, Z, W)
    for which, g in enumerate(got):
        if g is None:
            continue
        np.testing.assert_allclose(g, _numeric(fn, Z, W, which), rtol=1e-5, atol=1e-6)
    if torch is not None:
        want = _grads(torch, fn, Z, W)
        for g, t in zip(got, want):
            assert (g is None) == (t is None)
            if g is not None:
                np.testing.assert_allclose(g, t, rtol=1e-10, atol=1e-12)


def test_complex_second_derivative_through_conj():
    z = ember.tensor(Z, requires_grad=True)
    (g,) = ember.autograd.grad(((z * z.conj()).real).sum(), z, create_graph=True)
    np.testing.assert_allclose(g.detach().numpy(), 2 * Z)  # d|z|^2 = 2z in torch's convention
    (gg,) = ember.autograd.grad((g.real * 3).sum(), z)
    np.testing.assert_allclose(gg.numpy(), np.full(Z.shape, 6.0))
