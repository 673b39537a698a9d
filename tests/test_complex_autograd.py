"""Gradients through complex tensors in torch's convention: for a real loss L of z = x + iy,
z.grad = dL/dx + i dL/dy (the conjugate Wirtinger derivative, times 2). A holomorphic op's
backward is then grad * conj(f'(z)); ember's formulas, written for real numbers, gave
grad * f'(z) (mul, div, pow, matmul, linear, einsum, exp, log, sqrt, sigmoid, prod, ...), and
conj was not differentiable. The non-holomorphic decompositions (cholesky, qr, eigh, svd, and
pinv / lstsq through them) take their conjugate transposes (A = L L^H, V^H gV, ...), sgn has
its own formula, and logsumexp shifts by the real parts' max. Checked by central differences
on the real and imaginary parts, and against torch where installed."""

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
    "slogdet_sign": lambda L, z, w: L.linalg.slogdet(z[:, :3] + 2 * L.eye(3))[0] + w[0, 0],
    "sgn": lambda L, z, w: z.sgn() + w,
    "pow_complex": lambda L, z, w: z ** (w * 0.3),
    "rpow_complex": lambda L, z, w: 2.5 ** (w * 0.3),
    "acosh": lambda L, z, w: (z - 1.2).acosh(),  # re(z) < 0 in places: the branch matters
    "logsumexp": lambda L, z, w: L.logsumexp(z * w, 1),
    "cholesky": lambda L, z, w: L.linalg.cholesky(_herm(L, z)),
    "qr_q": lambda L, z, w: L.linalg.qr(z.mT)[0] * L.tensor(R.T),
    "qr_r": lambda L, z, w: L.linalg.qr(z.mT)[1],
    "qr_wide": lambda L, z, w: L.linalg.qr(z)[1] * L.tensor(R),
    "eigvalsh": lambda L, z, w: L.linalg.eigvalsh(_herm(L, z)),
    "eigh_vectors": lambda L, z, w: L.linalg.eigh(_herm(L, z))[1].abs() * L.tensor(R[:, :3]),
    "svdvals": lambda L, z, w: L.linalg.svdvals(z),
    "svd_u": lambda L, z, w: L.linalg.svd(z, full_matrices=False)[0].abs() * L.tensor(R[:, :3]),
    "svd_vh": lambda L, z, w: L.linalg.svd(z.mT, full_matrices=False)[2].abs() * L.tensor(R[:, :3]),
    "svd_old_v": lambda L, z, w: L.svd(z)[2].abs() * L.tensor(R.T[:, :3]),
    "pinv": lambda L, z, w: L.linalg.pinv(z),
    "pinv_hermitian": lambda L, z, w: L.linalg.pinv(_herm(L, z), hermitian=True),
    "lstsq": lambda L, z, w: L.linalg.lstsq(z.mT, w.mT[:, :2]).solution,
}


def _herm(L, z):
    """A Hermitian positive definite matrix made from z (3 x 3)."""
    a = z[:, :3]
    return a @ a.mH + L.eye(3)


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


def test_complex_decomposition_values():
    """pinv and lstsq take conjugate transposes (they were A^+ with V^T / U^T); torch.svd's V is
    Vh^H; slogdet's log|det| is real; torch.sign refuses complex numbers (torch.sgn takes them)."""
    a = ember.tensor(Z)
    np.testing.assert_allclose(ember.linalg.pinv(a).numpy(), np.linalg.pinv(Z), atol=1e-12)
    h = Z[:, :3] @ Z[:, :3].conj().T + np.eye(3)
    np.testing.assert_allclose(ember.linalg.pinv(ember.tensor(h), hermitian=True).numpy(),
                               np.linalg.inv(h), atol=1e-12)
    b = W.T[:, :2].copy()
    x = ember.linalg.lstsq(ember.tensor(Z.T.copy()), ember.tensor(b)).solution.numpy()
    np.testing.assert_allclose(x, np.linalg.lstsq(Z.T, b, rcond=None)[0], atol=1e-12)
    u, s, v = ember.svd(a)
    np.testing.assert_allclose((u.numpy() * s.numpy()) @ v.numpy().conj().T, Z, atol=1e-12)
    sign, logabs = ember.linalg.slogdet(ember.tensor(h * 1j))
    assert logabs.dtype == ember.float64 and sign.dtype == ember.complex128
    np.testing.assert_allclose(logabs.item(), np.log(abs(np.linalg.det(h))))
    r = ember.tensor(R[:, :3], requires_grad=True)  # a real matrix's sign: no gradient, as torch
    sign, logabs = ember.linalg.slogdet(r)
    assert sign.requires_grad and sign.grad_fn is logabs.grad_fn
    (sign * 3).backward()
    assert r.grad is None
    with pytest.raises(NotImplementedError, match="torch.sign is not intended to support complex"):
        ember.sign(a)


@pytest.mark.parametrize("which", ["svd", "eigh"])
def test_complex_phase_dependent_loss_raises(which):
    """A loss that depends on the arbitrary phases of complex singular / eigen vectors has no
    gradient: torch's error."""
    a = ember.tensor(Z[:, :3], requires_grad=True)
    with pytest.raises(RuntimeError, match="specified up to multiplication by e\\^\\{i phi\\}"):
        if which == "svd":
            ember.linalg.svd(a)[0].real.sum().backward()
        else:
            ember.linalg.eigh(_herm(ember, a))[1].real.sum().backward()


def test_complex_gradient_zero_imaginary_parts_are_positive():
    """torch's grad * conj(f'(z)) leaves an exact zero imaginary part +0 for real-valued
    complex numbers; conjugating the real formula's result made it -0 ("3.-0.j" printed)."""
    z = ember.tensor([1 + 0j, 2 + 0j], requires_grad=True)
    (z * ember.tensor([3 + 0j, 0j])).backward(ember.ones(2, dtype=ember.complex64))
    assert not np.signbit(z.grad.numpy().imag).any()
    assert repr(z.grad) == "tensor([3.+0.j, 0.+0.j])"
    z = ember.tensor([1 + 0j, 2 + 0j], requires_grad=True)
    z.exp().sum().real.backward()
    assert not np.signbit(z.grad.numpy().imag).any()
    if torch is not None:
        t = torch.tensor([1 + 0j, 2 + 0j], requires_grad=True)
        t.exp().sum().real.backward()
        assert repr(z.grad) == repr(t.grad)


def test_logdet_negative_determinant():
    """torch's logdet of a real matrix is where(sign == -1, nan, log|det|): NaN with no gradient
    for a negative determinant (ember's log|det| + log(sign) gave A^-T); complex: log(sign) +
    log|det|."""
    x = ember.tensor([[1.0, 2.0], [3.0, 1.0]], dtype=ember.float64, requires_grad=True)
    y = ember.logdet(x)
    y.backward()
    assert np.isnan(y.item()) and (x.grad.numpy() == 0).all()
    assert y.grad_fn.name() == "WhereBackward0"
    p = ember.tensor([[2.0, 1.0], [1.0, 3.0]], dtype=ember.float64, requires_grad=True)
    ember.logdet(p).backward()
    np.testing.assert_allclose(p.grad.numpy(), np.linalg.inv(p.detach().numpy()).T)
    c = ember.tensor(Z[:, :3] + 2 * np.eye(3))
    np.testing.assert_allclose(ember.logdet(c).numpy(), np.log(np.linalg.det(c.numpy())))


@pytest.mark.parametrize("fn", ["det", "slogdet", "logdet"])
def test_singular_matrix_first_order_gradient(fn):
    """A singular matrix's det / slogdet / logdet backward: torch solves with its LU factors,
    so there is no error: det's gradient is 0 (its zero pivots nudged to eps, times det 0),
    slogdet's and logdet's inf / nan. ember's inverse raised."""
    x = ember.tensor([[1.0, 2.0], [2.0, 4.0]], dtype=ember.float64, requires_grad=True)
    y = {"det": lambda: ember.linalg.det(x), "slogdet": lambda: ember.linalg.slogdet(x)[1],
         "logdet": lambda: ember.logdet(x)}[fn]()
    y.backward()
    g = x.grad.numpy()
    if fn == "det":
        assert (g == 0).all()
    else:
        np.testing.assert_array_equal(g, [[-np.inf, np.inf], [np.inf, -np.inf]])
    if torch is not None:
        t = torch.tensor([[1.0, 2.0], [2.0, 4.0]], dtype=torch.float64, requires_grad=True)
        {"det": lambda: torch.linalg.det(t), "slogdet": lambda: torch.linalg.slogdet(t)[1],
         "logdet": lambda: torch.logdet(t)}[fn]().backward()
        np.testing.assert_array_equal(np.abs(g), np.abs(t.grad.numpy()))
