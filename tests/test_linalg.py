"""Products against torch: matmul over every rank pair, mm/bmm/mv/dot/outer/addmm, einsum."""

import itertools

import numpy as np
import pytest

from oracle import arr, check, check_error

_SHAPES = {1: (3,), 2: (4, 3), 3: (2, 4, 3), 4: (2, 1, 4, 3)}
_RHS = {1: (3,), 2: (3, 5), 3: (2, 3, 5), 4: (1, 2, 3, 5)}


def _gname(out):
    return out.grad_fn.name() if out.grad_fn is not None else None


@pytest.mark.parametrize("na,nb", list(itertools.product([1, 2, 3, 4], repeat=2)))
def test_matmul_ranks(na, nb):
    out = check(lambda L, a, b: (L.matmul(a, b), _gname(a @ b)),
                arr(_SHAPES[na]), arr(_RHS[nb], seed=1))
    assert out[0].shape == out[0].shape


@pytest.mark.parametrize("dtype", ["float64", "int64"])
def test_matmul_dtypes(dtype):
    check(lambda L, a, b: a @ b, arr((2, 3), dtype), arr((3, 2), dtype, seed=1))


@pytest.mark.parametrize("noncontig", [False, True])
def test_matmul_noncontig_and_broadcast(noncontig):
    check(lambda L, a, b: a.mT @ b, arr((3, 4, 2), noncontig=noncontig),
          arr((1, 4, 5), seed=1, noncontig=noncontig))


def test_matmul_empty():
    check(lambda L, a, b: a @ b, arr((0, 3)), arr((3, 2), seed=1))
    check(lambda L, a, b: a @ b, arr((2, 0)), arr((0, 2), seed=1))


_OPS = {
    "mm": (lambda L, a, b: (L.mm(a, b), _gname(L.mm(a, b))), [(2, 3), (3, 4)]),
    "mm_method": (lambda L, a, b: a.mm(b), [(2, 3), (3, 4)]),
    "bmm": (lambda L, a, b: (L.bmm(a, b), _gname(L.bmm(a, b))), [(2, 2, 3), (2, 3, 4)]),
    "mv": (lambda L, a, b: (L.mv(a, b), _gname(a.mv(b))), [(2, 3), (3,)]),
    "dot": (lambda L, a, b: (L.dot(a, b), _gname(a.dot(b))), [(3,), (3,)]),
    "inner": (lambda L, a, b: L.inner(a, b), [(3,), (3,)]),
    "outer": (lambda L, a, b: (L.outer(a, b), _gname(L.outer(a, b))), [(3,), (4,)]),
    "ger": (lambda L, a, b: a.outer(b), [(3,), (2,)]),
    "addmm": (lambda L, c, a, b: (L.addmm(c, a, b), _gname(L.addmm(c, a, b))),
              [(2, 4), (2, 3), (3, 4)]),
    "addmm_bcast": (lambda L, c, a, b: L.addmm(c, a, b), [(4,), (2, 3), (3, 4)]),
    "addmm_beta_alpha": (lambda L, c, a, b: L.addmm(c, a, b, beta=0.5, alpha=2.0),
                         [(2, 4), (2, 3), (3, 4)]),
    "addmm_beta0": (lambda L, c, a, b: c.addmm(a, b, beta=0, alpha=-1.5),
                    [(1, 4), (2, 3), (3, 4)]),
    "addmv": (lambda L, c, a, b: L.addmv(c, a, b, beta=2, alpha=0.5), [(2,), (2, 3), (3,)]),
    "baddbmm": (lambda L, c, a, b: L.baddbmm(c, a, b, beta=0.5, alpha=2),
                [(2, 2, 4), (2, 2, 3), (2, 3, 4)]),
    "einsum_mm": (lambda L, a, b: L.einsum("ij,jk->ik", a, b), [(2, 3), (3, 4)]),
    "einsum_implicit": (lambda L, a, b: L.einsum("ij,jk", a, b), [(2, 3), (3, 4)]),
    "einsum_implicit_order": (lambda L, a, b: L.einsum("ba,ac", a, b), [(2, 3), (3, 4)]),
    "einsum_trace": (lambda L, a: L.einsum("ii", a), [(3, 3)]),
    "einsum_diag": (lambda L, a: L.einsum("ii->i", a), [(3, 3)]),
    "einsum_transpose": (lambda L, a: L.einsum("ij->ji", a), [(2, 3)]),
    "einsum_sum": (lambda L, a: L.einsum("ijk->", a), [(2, 3, 4)]),
    "einsum_bmm": (lambda L, a, b: L.einsum("bij,bjk->bik", a, b), [(2, 2, 3), (2, 3, 4)]),
    "einsum_outer": (lambda L, a, b: L.einsum("i,j->ij", a, b), [(3,), (4,)]),
    "einsum_three": (lambda L, a, b, c: L.einsum("ij,jk,kl->il", a, b, c),
                     [(2, 3), (3, 4), (4, 2)]),
    "einsum_list": (lambda L, a, b: L.einsum("i,i->", [a, b]), [(3,), (3,)]),
    "einsum_reduce_in": (lambda L, a, b: L.einsum("ij,k->i", a, b), [(2, 3), (4,)]),
    "einsum_ellipsis": (lambda L, a, b: L.einsum("...ij,...jk->...ik", a, b),
                        [(2, 2, 3), (2, 3, 4)]),
    "einsum_spaces": (lambda L, a, b: L.einsum("i j , j k -> i k", a, b), [(2, 3), (3, 4)]),
    "matmul_method": (lambda L, a, b: a.matmul(b), [(2, 3), (3,)]),
    "rmatmul_chain": (lambda L, a, b: (a @ b @ b.T).sum(-1), [(2, 3), (3, 3)]),
}


@pytest.mark.parametrize("name", list(_OPS))
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_ops(name, dtype):
    fn, shapes = _OPS[name]
    check(fn, *[arr(s, dtype, seed=i) for i, s in enumerate(shapes)])


_ERRORS = {
    "mm_shapes": (lambda L, a, b: L.mm(a, b), [(1, 5), (1, 5)]),
    "mm_1d": (lambda L, a, b: L.mm(a, b), [(3,), (3, 2)]),
    "mm_1d_b": (lambda L, a, b: L.mm(a, b), [(2, 3), (3,)]),
    "matmul_2d_2d": (lambda L, a, b: a @ b, [(2, 3), (2, 3)]),
    "matmul_2d_1d": (lambda L, a, b: a @ b, [(2, 3), (2,)]),
    "matmul_1d_1d": (lambda L, a, b: a @ b, [(3,), (2,)]),
    "matmul_1d_2d": (lambda L, a, b: a @ b, [(2,), (3, 4)]),
    "matmul_3d_2d": (lambda L, a, b: a @ b, [(2, 2, 3), (4, 5)]),
    "matmul_3d_3d": (lambda L, a, b: a @ b, [(2, 2, 3), (2, 4, 5)]),
    "matmul_0d": (lambda L, a, b: a @ b, [(), (3,)]),
    "bmm": (lambda L, a, b: L.bmm(a, b), [(2, 3, 4), (2, 5, 6)]),
    "bmm_2d": (lambda L, a, b: L.bmm(a, b), [(3, 4), (2, 4, 6)]),
    "mv": (lambda L, a, b: L.mv(a, b), [(2, 3), (4,)]),
    "dot": (lambda L, a, b: L.dot(a, b), [(3,), (4,)]),
    "dot_2d": (lambda L, a, b: L.dot(a, b), [(3, 1), (3,)]),
    "addmm": (lambda L, c, a, b: L.addmm(c, a, b), [(2, 2), (2, 3), (2, 3)]),
}


@pytest.mark.parametrize("name", list(_ERRORS))
def test_errors(name):
    fn, shapes = _ERRORS[name]
    check_error(fn, *[arr(s, seed=i) for i, s in enumerate(shapes)])


@pytest.mark.parametrize("sa,sb", [((3,), (3,)), ((3, 3), (3,)), ((2, 3, 3), (3,)),
                                   ((3,), (3, 2)), ((2, 3), (3, 3)), ((2, 3, 3), (3, 3)),
                                   ((3,), (2, 3, 3)), ((3, 3), (2, 3, 3)),
                                   ((2, 3, 3), (2, 3, 3))])
@pytest.mark.parametrize("da,db", [("float32", "float64"), ("float64", "float32"),
                                   ("int64", "float32")])
def test_dtype_mismatch(sa, sb, da, db):
    check_error(lambda L, a, b: a @ b, arr(sa, da), arr(sb, db))


def test_dtype_mismatch_named():
    check_error(lambda L, a, b: L.mm(a, b), arr((2, 2), "int64"), arr((2, 2)))
    check_error(lambda L, a, b: L.bmm(a, b), arr((1, 2, 2), "float64"), arr((1, 2, 2)))
    check_error(lambda L, a, b: L.dot(a, b), arr((2,), "float64"), arr((2,)))
    check_error(lambda L, a, b: L.mv(a, b), arr((2, 2), "float64"), arr((2,)))


@pytest.mark.parametrize("eq,shapes", [("ij,jk->ik", [(2, 3)]), ("ij", [(2, 3), (2,)]),
                                       ("ijk", [(2, 3)])])
def test_einsum_errors(eq, shapes):
    check_error(lambda L, *xs: L.einsum(eq, *xs), *[arr(s) for s in shapes])


def test_einsum_double_backward():
    import ember
    a = ember.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    (g,) = ember.autograd.grad(ember.einsum("ij,jk->", a, a), a, create_graph=True)
    (gg,) = ember.autograd.grad(g.sum(), a)
    # d/da[p,q] of sum_ijk a[i,j] a[j,k] is rowsum(a)[q] + colsum(a)[p]; its sum's gradient is
    # 2 * (n row and column counts) = 4 everywhere for a 2x2 matrix
    n = a.detach().numpy()
    assert np.allclose(g.detach().numpy(), n.sum(1)[None, :] + n.sum(0)[:, None])
    assert gg.tolist() == [[4.0, 4.0], [4.0, 4.0]]
    torch = pytest.importorskip("torch")
    ta = torch.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    (tg,) = torch.autograd.grad(torch.einsum("ij,jk->", ta, ta), ta, create_graph=True)
    (tgg,) = torch.autograd.grad(tg.sum(), ta)
    assert g.tolist() == tg.tolist() and gg.tolist() == tgg.tolist()


# ---- torch's errors for products (not NumPy's) ------------------------------------------------
@pytest.mark.parametrize("fn", [
    lambda L: L.matmul(L.zeros(2, 2, 3), L.zeros(3, 3, 2)),
    lambda L: L.matmul(L.zeros(2, 2, 4), L.zeros(3, 3, 2)),
    lambda L: L.matmul(L.zeros(5, 2, 3), L.zeros(4, 3)),
    lambda L: L.outer(L.zeros(2, 3), L.zeros(3)), lambda L: L.outer(L.zeros(3), L.zeros(2, 3)),
    lambda L: L.addmm(L.zeros(5), L.zeros(2, 3), L.zeros(3, 3)),
    lambda L: L.addmm(L.zeros(3, 3), L.zeros(3, 2), L.zeros(2, 3).long()),
    lambda L: L.addmm(L.zeros(3, 3).long(), L.zeros(3, 2), L.zeros(2, 3)),
    lambda L: L.addmm(L.zeros(3, 3), L.zeros(3, 2).long(), L.zeros(2, 3)),
    lambda L: L.addmm(L.zeros(3, 3), L.zeros(3), L.zeros(2, 3)),
    lambda L: L.addmm(L.zeros(3, 3), L.zeros(3, 2), L.zeros(2)),
    lambda L: L.addmv(L.zeros(3), L.zeros(2, 3), L.zeros(3)),
    lambda L: L.addmv(L.zeros(2), L.zeros(2, 3), L.zeros(2)),
    lambda L: L.addmv(L.zeros(2), L.zeros(2, 3).long(), L.zeros(3)),
    lambda L: L.addmv(L.zeros(2, 2), L.zeros(2, 3), L.zeros(3)),
    lambda L: L.baddbmm(L.zeros(2, 2, 2).long(), L.zeros(2, 2, 3), L.zeros(2, 3, 2)),
    lambda L: L.baddbmm(L.zeros(5), L.zeros(2, 2, 3), L.zeros(2, 3, 3)),
    lambda L: L.addbmm(L.zeros(5), L.zeros(2, 2, 3), L.zeros(2, 3, 3)),
    lambda L: L.addbmm(L.zeros(2, 2), L.zeros(2, 2, 3), L.zeros(3, 3, 2)),
    lambda L: L.einsum("ij,jk->ik", L.zeros(2, 3), L.zeros(2, 3)),
    lambda L: L.einsum("ij->k", L.zeros(2, 3)), lambda L: L.einsum("ii", L.zeros(2, 3)),
    lambda L: L.einsum("ij->jj", L.zeros(2, 3)), lambda L: L.einsum("ij,ij", L.zeros(2, 3),
                                                                  L.zeros(3)),
    lambda L: L.var_mean(L.arange(6)), lambda L: L.std_mean(L.arange(6)),
])
def test_product_errors_match_torch(fn):
    check_error(lambda L, z: fn(L), np.zeros(1))


@pytest.mark.parametrize("fn,fd", [
    (lambda L, a, b, c: L.addmv(a[0], b, c[:, 0], beta=0.5, alpha=2), True),
    (lambda L, a, b, c: L.baddbmm(a, b.expand(2, 3, 4), c.expand(2, 4, 3), beta=2, alpha=0.5),
     True),
    (lambda L, a, b, c: L.addbmm(a, b.expand(2, 3, 4), c.expand(2, 4, 3)), True),
    # beta=0 ignores a non-finite input: its gradient is nan * 0, which finite differences
    # (0) cannot confirm; torch's gradient is the oracle there
    (lambda L, a, b, c: L.addmm(a * float("nan"), b, c, beta=0), False),
    (lambda L, a, b, c: L.baddbmm(a * float("inf"), b.expand(2, 3, 4), c.expand(2, 4, 3),
                                  beta=0), False),
])
def test_fused_products(fn, fd):
    check(fn, arr((3, 3)), arr((3, 4), seed=1), arr((4, 3), seed=2), fd=fd)


@pytest.mark.parametrize("fn", [
    lambda L, o: L.addmv(L.ones(2), L.ones(2, 3), L.ones(3), out=o),
    lambda L, o: L.baddbmm(L.ones(2, 2, 2), L.ones(2, 2, 3), L.ones(2, 3, 2), out=o),
    lambda L, o: L.addbmm(L.ones(2, 2), L.ones(2, 2, 3), L.ones(2, 3, 2), out=o),
    lambda L, o: L.outer(L.ones(2), L.ones(3), out=o),
    lambda L, o: L.addmm(L.ones(2, 2), L.ones(2, 3), L.ones(3, 2), out=o),
])
def test_product_out(fn):
    torch = pytest.importorskip("torch")
    import ember
    for dt in ("float32", "int64"):
        res = []
        for L in (ember, torch):
            o = L.empty(0, dtype=getattr(L, dt))
            try:
                r = fn(L, o)
                res.append((r is o, r.tolist()))
            except RuntimeError as e:
                res.append(str(e))
        assert res[0] == res[1]


# ---- tensordot and rsub ------------------------------------------------------------------------
@pytest.mark.parametrize("dims,bshape", [
    (2, (3, 4, 5)), (0, (2, 2)), (1, (4, 5)), (([1, 2], [0, 1]), (3, 4, 5)),
    (([2, 1], [1, 0]), (3, 4, 5)), (([-1], [-2]), (3, 4, 5)), ([[0], [2]], (3, 4, 2)),
    ("t1", (4, 5)), ("t2", (3, 4, 5)),
])
def test_tensordot(dims, bshape):
    def fn(L, a, b):
        d = {"t1": L.tensor(1), "t2": L.tensor([[1, 2], [0, 1]])}.get(dims, dims) \
            if isinstance(dims, str) else dims
        return L.tensordot(a, b, d)
    check(fn, arr((2, 3, 4), "float64"), arr(bshape, "float64", seed=1))


@pytest.mark.parametrize("fn", [
    lambda L, a, b: L.tensordot(a, b, 1), lambda L, a, b: L.tensordot(a, b, -1),
    lambda L, a, b: L.tensordot(a, b, 4), lambda L, a, b: L.tensordot(a, b, ([1], [0, 1])),
    lambda L, a, b: L.tensordot(a, b, ([0], [0])), lambda L, a, b: L.tensordot(a, b, 2.0),
    lambda L, a, b: L.tensordot(a, b, ([1, 1], [0, 0])), lambda L, a, b: L.tensordot(a, b, (1, 0)),
    lambda L, a, b: L.tensordot(a, b.double(), 1), lambda L, a, b: L.tensordot(a, b, ([3], [0])),
])
def test_tensordot_errors(fn):
    check_error(fn, arr((2, 3, 4)), arr((3, 4, 5), seed=1))


@pytest.mark.parametrize("fn", [
    lambda L, x, y: L.rsub(x, y), lambda L, x, y: L.rsub(x, 2),
    lambda L, x, y: L.rsub(x, y, alpha=2),
    lambda L, x, y: L.rsub(x, 2.5, alpha=3), lambda L, x, y: L.rsub(x, y[:1]),
    lambda L, x, y: (L.rsub(x, y).grad_fn.name(), L.rsub(x, 2).grad_fn.name()),
])
def test_rsub(fn):
    check(fn, arr((2, 3), "float64"), arr((2, 3), "float64", seed=1))


@pytest.mark.parametrize("fn", [
    lambda L, i: L.rsub(i, 3), lambda L, i: L.rsub(i, 2.5), lambda L, i: L.rsub(i, i, alpha=2),
])
def test_rsub_integers(fn):
    check(fn, arr((4,), "int64"), grad=False)


@pytest.mark.parametrize("fn", [
    lambda L, i: L.rsub(i, i, alpha=0.5), lambda L, i: L.rsub(i.bool(), i),
    lambda L, i: L.rsub(i, True), lambda L, i: L.rsub(2, i),
])
def test_rsub_errors(fn):
    check_error(fn, arr((4,), "int64"))


@pytest.mark.parametrize("fn,shapes", [
    (lambda L, a, b: L.inner(a, b), ((2, 3), (4, 3))),
    (lambda L, a, b: L.inner(a, b), ((3,), (3,))),
    (lambda L, a, b: L.inner(a, b), ((2, 1, 3), (3,))),
    (lambda L, a, b: a.inner(b), ((3,), ())),
    (lambda L, a, b: L.vdot(a, b), ((3,), (3,))),
    (lambda L, a, b: a.vdot(b), ((3,), (3,))),
    (lambda L, a, b: L.dot(a, tensor=b), ((3,), (3,))),
])
def test_inner_vdot_dot(fn, shapes):
    check(fn, arr(shapes[0]), arr(shapes[1], seed=1))


def test_vdot_conjugates_the_first_vector():
    a = np.array([1 + 1j, 2], np.complex64)
    b = np.array([1 + 0j, 1], np.complex64)
    import ember
    assert ember.vdot(ember.from_numpy(a), ember.from_numpy(b)).item() == np.vdot(a, b)


@pytest.mark.parametrize("fn", [
    lambda L: L.inner(L.ones(2, 3), L.ones(2, 2)),
    lambda L: L.vdot(L.ones(2, 2), L.ones(2, 2)),
    lambda L: L.inner(L.ones(2), L.ones(2, dtype=L.float64)),
    lambda L: L.vdot(L.ones(2, dtype=L.int64), L.ones(2)),
])
def test_inner_vdot_errors(fn):
    check_error(lambda L, z: fn(L), np.zeros(1))
