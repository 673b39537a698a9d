"""torch functions that real code calls and ember lacked: combinations, vander /
linalg.vander, pdist, renorm, addr, channel_shuffle (nn.ChannelShuffle), linalg.solve_ex,
cholesky_solve / cholesky_inverse, triangular_solve, linalg.tensorinv / tensorsolve,
linalg.diagonal. Values against NumPy / itertools definitions, gradients by finite differences
(oracle.check), and against torch where installed."""

import itertools
import warnings

import numpy as np
import pytest

import ember
from oracle import arr, check, torch

X4 = np.array([1.0, 2.0, 3.0, 4.0])
SPD = np.array([[4.0, 1, 0], [1, 3, 1], [0, 1, 2]])
RHS = np.array([[1.0, 2], [3, 4], [5, 6]])


@pytest.mark.parametrize("r,rep", [(2, False), (3, False), (2, True), (0, False), (5, False)])
def test_combinations(r, rep):
    got = ember.combinations(ember.tensor(X4), r, rep).numpy()
    pick = itertools.combinations_with_replacement if rep else itertools.combinations
    want = np.array(list(pick(X4, r))).reshape(-1, r) if r else np.zeros(0)
    np.testing.assert_array_equal(got, want)
    if r:
        check(lambda L, x: L.combinations(x, r, rep), arr((4,), "float64"))


def test_combinations_errors():
    with pytest.raises(RuntimeError, match=r"Expect a 1D vector, but got shape \[2, 2\]"):
        ember.combinations(ember.ones(2, 2))
    with pytest.raises(RuntimeError, match="Expect a non-negative number, but got -1"):
        ember.combinations(ember.tensor(X4), -1)


def test_vander():
    np.testing.assert_array_equal(ember.vander(ember.tensor(X4)).numpy(), np.vander(X4))
    np.testing.assert_array_equal(ember.vander(ember.tensor(X4), N=2, increasing=True).numpy(),
                                  np.vander(X4, 2, increasing=True))
    assert ember.vander(ember.tensor([1, 2], dtype=ember.int32)).dtype == ember.int64
    np.testing.assert_array_equal(ember.linalg.vander(ember.tensor([[1.0, 2, 3], [2, 3, 4]]))
                                  .numpy(), [np.vander(r, increasing=True) for r in
                                             [[1.0, 2, 3], [2, 3, 4]]])
    with pytest.raises(RuntimeError, match="x must be a one-dimensional tensor."):
        ember.vander(ember.ones(2, 2))
    with pytest.raises(RuntimeError, match="N must be greater than 1."):
        ember.linalg.vander(ember.tensor(X4), N=1)
    check(lambda L, x: L.linalg.vander(x, N=3), arr((2, 3), "float64"))


@pytest.mark.parametrize("p", [1, 2, 3])
def test_pdist(p):
    x = np.array([[0.0, 0], [3, 4], [6, 8], [1, -1]])
    i, j = np.triu_indices(4, 1)
    want = (np.abs(x[i] - x[j]) ** p).sum(1) ** (1 / p)
    np.testing.assert_allclose(ember.pdist(ember.tensor(x), p).numpy(), want, rtol=1e-12)
    np.testing.assert_allclose(ember.nn.functional.pdist(ember.tensor(x), p).numpy(), want,
                               rtol=1e-12)
    check(lambda L, t: L.pdist(t, p), arr((4, 3), "float64"))
    with pytest.raises(RuntimeError, match="pdist only supports 2D tensors, got: 1D"):
        ember.pdist(ember.ones(3))


def test_renorm():
    x = np.array([[1.0, 2], [3, 4]])
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    want = x * np.where(norms > 3, 3 / (norms + 1e-7), 1)
    np.testing.assert_allclose(ember.renorm(ember.tensor(x), 2, 0, 3).numpy(), want)
    np.testing.assert_allclose(ember.tensor(x).renorm(2, 0, 3).numpy(), want)
    check(lambda L, t: L.renorm(t, 2, 0, 3), arr((3, 4), "float64", low=-3, high=3))


def test_addr():
    m, a, b = np.ones((2, 3)), np.array([1.0, 2]), np.array([1.0, 2, 3])
    np.testing.assert_allclose(ember.addr(ember.tensor(m), ember.tensor(a), ember.tensor(b),
                                          beta=0.5, alpha=2).numpy(), 0.5 * m + 2 * np.outer(a, b))
    nan = ember.tensor([[np.nan]], requires_grad=True)
    r = ember.addr(nan, ember.tensor([1.0]), ember.tensor([2.0]), beta=0)
    assert r.item() == 2.0
    r.sum().backward()
    assert nan.grad.item() == 0.0
    np.testing.assert_allclose(ember.tensor(m).addr(ember.tensor(a), ember.tensor(b)).numpy(),
                               m + np.outer(a, b))
    check(lambda L, m, a, b: L.addr(m, a, b, beta=0.5, alpha=2), arr((2, 3), "float64"),
          arr((2,), "float64", seed=1), arr((3,), "float64", seed=2))


def test_channel_shuffle():
    x = ember.arange(16.0).reshape(1, 4, 2, 2)
    got = ember.nn.functional.channel_shuffle(x, 2).numpy()
    np.testing.assert_array_equal(got, x.numpy()[:, [0, 2, 1, 3]])
    assert repr(ember.nn.ChannelShuffle(2)) == "ChannelShuffle(groups=2)"
    np.testing.assert_array_equal(ember.nn.ChannelShuffle(2)(x).numpy(), got)
    np.testing.assert_array_equal(ember.channel_shuffle(x, 2).numpy(), got)
    with pytest.raises(RuntimeError, match="Number of channels must be divisible by groups. "
                                           "Got 3 channels and 2 groups."):
        ember.nn.functional.channel_shuffle(ember.ones(1, 3, 2), 2)


def test_solve_ex():
    x, info = ember.linalg.solve_ex(ember.tensor(SPD), ember.tensor(RHS))
    np.testing.assert_allclose(x.numpy(), np.linalg.solve(SPD, RHS))
    assert info.dtype == ember.int32 and info.item() == 0
    x, info = ember.linalg.solve_ex(ember.zeros(2, 2), ember.ones(2))
    assert info.item() == 1 and not np.isfinite(x.numpy()).all()
    with pytest.raises(RuntimeError, match="torch.linalg.solve_ex: The solver failed because the "
                                           "input matrix is singular."):
        ember.linalg.solve_ex(ember.zeros(2, 2), ember.ones(2), check_errors=True)


@pytest.mark.parametrize("upper", [False, True])
def test_cholesky_solve_and_inverse(upper):
    low = np.linalg.cholesky(SPD)
    f = low.T if upper else low
    np.testing.assert_allclose(ember.cholesky_solve(ember.tensor(RHS), ember.tensor(f), upper)
                               .numpy(), np.linalg.solve(SPD, RHS), rtol=1e-12)
    np.testing.assert_allclose(ember.cholesky_inverse(ember.tensor(f), upper).numpy(),
                               np.linalg.inv(SPD), rtol=1e-12)
    def through_cholesky(L, b, m):  # torch's gradient treats the factor as a full matrix:
        f = L.linalg.cholesky(m @ m.mT + L.eye(3))  # through cholesky it is the derivative
        return L.cholesky_solve(b, f.mT if upper else f, upper)
    check(through_cholesky, arr((3, 2), "float64"), arr((3, 3), "float64", seed=3))


def test_cholesky_solve_factor_gradient_is_torchs():
    """The gradient in the factor is torch's -(gB X^H + X gB^H) L, a full matrix (the upper
    triangle too), though the solve reads only the lower one."""
    low = np.linalg.cholesky(SPD)
    f = ember.tensor(low, requires_grad=True)
    b = ember.tensor(RHS, requires_grad=True)
    x = ember.cholesky_solve(b, f)
    x.backward(ember.tensor(np.ones_like(RHS)))
    xv = np.linalg.solve(SPD, RHS)
    gb = np.linalg.solve(SPD, np.ones_like(RHS))
    common = gb @ xv.T
    np.testing.assert_allclose(b.grad.numpy(), gb, rtol=1e-12)
    np.testing.assert_allclose(f.grad.numpy(), -(common + common.T) @ low, rtol=1e-12)


def test_triangular_solve():
    u = np.triu(SPD)
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        x, a = ember.triangular_solve(ember.tensor(RHS), ember.tensor(u))
    assert any("torch.triangular_solve is deprecated" in str(m.message) for m in w)
    np.testing.assert_allclose(x.numpy(), np.linalg.solve(u, RHS), rtol=1e-12)
    np.testing.assert_array_equal(a.numpy(), u)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        x, _ = ember.triangular_solve(ember.tensor(RHS), ember.tensor(u), transpose=True)
    np.testing.assert_allclose(x.numpy(), np.linalg.solve(u.T, RHS), rtol=1e-12)


def test_tensorinv_tensorsolve_diagonal():
    a = np.random.default_rng(0).standard_normal((2, 3, 6))
    got = ember.linalg.tensorinv(ember.tensor(a), ind=2).numpy()
    np.testing.assert_allclose(got, np.linalg.tensorinv(a, ind=2), rtol=1e-10)
    b = np.ones((2, 3))
    np.testing.assert_allclose(ember.linalg.tensorsolve(ember.tensor(a), ember.tensor(b)).numpy(),
                               np.linalg.tensorsolve(a, b), rtol=1e-10)
    m = np.arange(9.0).reshape(3, 3)
    np.testing.assert_array_equal(ember.linalg.diagonal(ember.tensor(m), offset=1).numpy(),
                                  np.diagonal(m, 1))


def test_against_torch():
    if torch is None:
        pytest.skip("torch (the oracle) is not installed")
    pairs = [
        lambda L: L.combinations(L.tensor(X4), 3, True),
        lambda L: L.vander(L.tensor(X4), 3),
        lambda L: L.pdist(L.tensor(SPD), 3),
        lambda L: L.renorm(L.tensor(SPD), 1, 1, 4),
        lambda L: L.addr(L.tensor(RHS[:2]), L.tensor(X4[:2]), L.tensor(X4[:2]), alpha=3),
        lambda L: L.cholesky_inverse(L.linalg.cholesky(L.tensor(SPD))),
        lambda L: L.linalg.solve_ex(L.tensor(SPD), L.tensor(RHS), left=True)[0],
        lambda L: L.linalg.tensorsolve(L.eye(6).reshape(2, 3, 6) * 2, L.ones(2, 3)),
    ]
    for f in pairs:
        np.testing.assert_allclose(f(ember).numpy(), f(torch).numpy(), rtol=1e-10)


def test_view_scatters():
    """select_scatter / slice_scatter / diagonal_scatter: input with the view's elements
    replaced by src; gradients to both (the view's part of input's gradient is 0)."""
    a = ember.zeros(3, 4, requires_grad=True)
    s = ember.ones(4, requires_grad=True)
    r = ember.select_scatter(a, s * 2, 0, 1)
    want = np.zeros((3, 4))
    want[1] = 2
    np.testing.assert_array_equal(r.detach().numpy(), want)
    (r * ember.arange(12.0).reshape(3, 4)).sum().backward()
    np.testing.assert_array_equal(a.grad.numpy(), np.where(np.arange(12).reshape(3, 4) // 4 == 1,
                                                           0, np.arange(12.0).reshape(3, 4)))
    np.testing.assert_array_equal(s.grad.numpy(), 2 * np.arange(4.0, 8.0))
    assert r.grad_fn.name() == "SelectScatterBackward0"
    np.testing.assert_array_equal(ember.slice_scatter(ember.zeros(8), ember.ones(2), 0, 1, 6, 3)
                                  .numpy(), [0, 1, 0, 0, 1, 0, 0, 0])
    d = ember.diagonal_scatter(ember.zeros(3, 4), ember.ones(3), 1).numpy()
    np.testing.assert_array_equal(d, np.eye(3, 4, 1))
    with pytest.raises(RuntimeError, match=r"expected src to have a size equal to the slice of "
                                           r"self. src size = \[3\], slice size = \[4\]"):
        ember.select_scatter(ember.zeros(3, 4), ember.ones(3), 0, 1)
    z = ember.tensor([1 + 2j])
    assert ember.conj_physical(z).item() == 1 - 2j and z.conj_physical_().item() == 1 - 2j


_RNG = np.random.default_rng(5)
_A = _RNG.normal(size=(3, 4))
INPLACE_MORE = {
    "addmm_": lambda L, a: a.addmm_(L.tensor(_RNG.normal(size=(3, 5)) * 0 + 0.5),
                                    L.tensor(np.arange(20.0).reshape(5, 4) / 10), beta=0.5,
                                    alpha=2),
    "addmv_": lambda L, a: a[:, 0].addmv_(L.tensor(np.arange(15.0).reshape(3, 5) / 7),
                                          L.tensor(np.arange(5.0))),
    "addbmm_": lambda L, a: a.addbmm_(L.tensor(np.ones((2, 3, 5))), L.tensor(np.ones((2, 5, 4)))),
    "baddbmm_": lambda L, a: a[None].baddbmm_(L.tensor(np.ones((1, 3, 5))),
                                              L.tensor(np.ones((1, 5, 4))), alpha=0.5),
    "addr_": lambda L, a: a.addr_(L.tensor([1.0, 2.0, 3.0]), L.tensor([1.0, 0.0, -1.0, 2.0]),
                                  alpha=3),
    "renorm_": lambda L, a: a.renorm_(2, 0, 1.0),
    "arctan2_": lambda L, a: a.arctan2_(L.tensor(_A[::-1].copy())),
    "greater_": lambda L, a: a.greater_(0.0), "less_equal_": lambda L, a: a.less_equal_(0.1),
    "not_equal_": lambda L, a: a.not_equal_(L.tensor(_A[0])), "less_": lambda L, a: a.less_(0.0),
    "greater_equal_": lambda L, a: a.greater_equal_(L.tensor(_A[1])),
    "gt_": lambda L, a: a.gt_(0.0), "eq_": lambda L, a: a.eq_(L.tensor(_A)),
}


@pytest.mark.parametrize("name", sorted(INPLACE_MORE))
def test_more_inplace_methods(name):
    """In-place methods ember lacked, and the comparisons' in-place forms: values, and the
    gradient torch gives (a comparison written in place passes zero to the old history; ember
    let the gradient through as if nothing changed)."""
    fn = INPLACE_MORE[name]
    got = []
    for L in [ember] + ([torch] if torch is not None else []):
        a = L.tensor(_A.copy())
        fn(L, a)
        w = L.tensor(_A.copy(), requires_grad=True)
        y = w * 2
        fn(L, y)
        g, = L.autograd.grad(y.sum(), w)
        got.append((a.numpy().copy(), g.numpy().copy(), y.grad_fn.name()))
    if name in ("greater_", "less_equal_", "not_equal_", "less_", "greater_equal_", "gt_",
                "eq_"):
        assert not got[0][1].any()  # a zero gradient to the old history
        assert got[0][2].endswith(("Backward0", "Backward1"))
    if torch is None:
        pytest.skip("torch (the oracle) is not installed")
    np.testing.assert_allclose(got[0][0], got[1][0], rtol=1e-12)
    np.testing.assert_allclose(got[0][1], got[1][1], rtol=1e-12)
    assert got[0][2].rpartition("::")[2] == got[1][2].rpartition("::")[2]
