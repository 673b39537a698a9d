"""Sparse COO tensors against torch: construction and its checks, coalesce, to_dense/to_sparse,
indices/values, sparse x dense products with their gradients, sparse.sum, printing, and the
refusal of dense-only ops."""

import numpy as np
import pytest

import ember
from oracle import arr, check, check_error, requires_torch, torch

IDX = [[0, 2, 1, 0, 2], [1, 0, 2, 1, 0]]  # duplicates at (0, 1) and (2, 0), out of order
pytestmark = [pytest.mark.filterwarnings("ignore:Sparse invariant checks"),
              pytest.mark.filterwarnings("ignore:torch.sparse.SparseTensor")]


def _s(L, v, size=(3, 3), idx=IDX):
    return L.sparse_coo_tensor(L.tensor(idx), v, size)


def test_to_dense_sums_duplicates():
    check(lambda L, v: _s(L, v).to_dense(), arr((5,), "float64"))


def test_coalesce_order_and_sum():
    def fn(L, v):
        c = _s(L, v).coalesce()
        return c.indices(), c.values(), c._indices(), c.to_dense()
    check(fn, arr((5,), "float64"))


def test_dense_dims():
    check(lambda L, v: _s(L, v, (3, 3, 2)).coalesce().values(), arr((5, 2)))
    check(lambda L, v: _s(L, v, (3, 3, 2)).to_dense(), arr((5, 2), "float64"))


def test_metadata():
    for L in (ember, torch) if torch is not None else (ember,):
        s = _s(L, L.ones(5))
        assert (s._nnz(), s.sparse_dim(), s.dense_dim(), s.is_coalesced()) == (5, 2, 0, False)
        assert s.is_sparse and repr(s.layout) == "torch.sparse_coo"
        assert s.coalesce().is_coalesced() and s.coalesce()._nnz() == 3
        assert tuple(s.shape) == (3, 3) and s.dim() == 2 and str(s.dtype) == "torch.float32"
        assert s.layout is L.sparse_coo and L.ones(2).layout is L.strided
        assert not L.ones(2).is_sparse and L.ones(2, 3).dense_dim() == 2
        assert L.ones(2, 3).sparse_dim() == 0


def test_size_inferred_and_dtype():
    for L in (ember, torch) if torch is not None else (ember,):
        s = L.sparse_coo_tensor(L.tensor(IDX), L.ones(5), dtype=L.float64)
        assert tuple(s.shape) == (3, 3) and s.dtype is L.float64
        s = L.sparse_coo_tensor([[0, 3]], [1, 2])
        assert tuple(s.shape) == (4,) and s.dtype is L.int64


def test_to_sparse():
    # no finite differences: a step away from zero changes the sparsity pattern
    check(lambda L, x: x.to_sparse().values(), arr((3, 4), "float64") * 0, fd=False)
    x = arr((3, 4), "float64")
    x[1] = 0
    x[0, 2] = 0
    check(lambda L, x: (x.to_sparse().indices(), x.to_sparse().values()), x, fd=False)
    check(lambda L, x: x.to_sparse(1).values(), x, fd=False)
    check(lambda L, x: x.to_sparse().to_dense() * 2, x, fd=False)


@pytest.mark.parametrize("how", ["sparse.mm", "mm", "spmm", "matmul", "method", "@"])
def test_products_and_gradients(how):
    calls = {"sparse.mm": lambda L, s, d: L.sparse.mm(s, d), "mm": lambda L, s, d: L.mm(s, d),
             "spmm": lambda L, s, d: L.spmm(s, d), "matmul": lambda L, s, d: L.matmul(s, d),
             "method": lambda L, s, d: s.mm(d), "@": lambda L, s, d: s @ d}
    f = calls[how]
    check(lambda L, v, d: f(L, _s(L, v), d), arr((5,), "float64"), arr((3, 4), "float64"))
    check(lambda L, v, d: f(L, _s(L, v), d), arr((5,)), arr((3, 4), seed=2))


def test_grad_fn_names():
    for L in (ember, torch) if torch is not None else (ember,):
        s, d = _s(L, L.ones(5)), L.ones(3, 2, requires_grad=True)
        assert L.sparse.mm(s, d).grad_fn.name() == "SparseAddmmBackward0"
        assert L.mm(s, d).grad_fn.name() == "MmBackward0"
        v = L.ones(5, requires_grad=True)
        assert _s(L, v).grad_fn.name() == "SparseCooTensorWithDimsAndTensorsBackward0"


@requires_torch
def test_sparse_leaf_gradients():
    grads = []
    for L in (ember, torch):
        v = L.tensor(arr((5,), "float64"))
        d = L.tensor(arr((3, 2), "float64", seed=3), requires_grad=True)
        s = L.sparse_coo_tensor(L.tensor(IDX), v, (3, 3), requires_grad=True)
        L.sparse.mm(s, d).pow(2).sum().backward()
        L.sparse.mm(s, d).sum().backward()  # a second sparse gradient accumulates
        masked = (repr(s.grad), d.grad.numpy())
        s.grad = None
        L.mm(s, d).pow(2).sum().backward()
        grads.append((masked, s.grad.numpy()))
    (em, ed), (tm, td) = grads
    assert em[0] == tm[0]
    np.testing.assert_allclose(em[1], tm[1])
    np.testing.assert_allclose(ed, td)


def test_sparse_sum():
    check(lambda L, v: L.sparse.sum(_s(L, v)), arr((5,), "float64"))
    check(lambda L, v: L.sparse.sum(_s(L, v, (3, 3, 2))), arr((5, 2), "float64"))


@pytest.mark.parametrize("dim", [0, 1, -1, (0, 1), (1, 2), (0, 2), 2])
def test_sparse_sum_dim(dim):
    def fn(L, v):
        r = L.sparse.sum(_s(L, v, (3, 3, 2)), dim)
        return r.to_dense() if r.is_sparse else r
    check(fn, arr((5, 2), "float64"))
    if torch is not None:
        e, t = (repr(L.sparse.sum(_s(L, L.ones(5, 2), (3, 3, 2)), dim)) for L in (ember, torch))
        assert e == t


def test_degree_normalisation():
    """The GCN idiom: degrees by sparse.sum over a row, then D^-1/2 A D^-1/2 X."""
    def fn(L, x):
        a = _s(L, L.ones(5, dtype=x.dtype))
        deg = L.sparse.sum(a, dim=1).to_dense().clamp(min=1).pow(-0.5)
        return deg[:, None] * L.sparse.mm(a, deg[:, None] * x)
    check(fn, arr((3, 4), "float64"))


PRINT_CASES = {
    "basic": lambda L: _s(L, L.tensor([1.0, 2.5, -3.0, 4.0, 5.0])),
    "coalesced": lambda L: _s(L, L.tensor([1.0, 2.5, -3.0, 4.0, 5.0])).coalesce(),
    "float64": lambda L: _s(L, L.tensor([1.0, 2, 3, 4, 5], dtype=L.float64)),
    "int": lambda L: _s(L, L.tensor([1, 2, 3, 4, 5])),
    "int32": lambda L: _s(L, L.tensor([1, 2, 3, 4, 5], dtype=L.int32)),
    "empty": lambda L: L.zeros(2, 3).to_sparse(),
    "dense_dim": lambda L: _s(L, L.ones(5, 2), (3, 3, 2)),
    "requires_grad": lambda L: L.sparse_coo_tensor(L.tensor(IDX), L.ones(5), (3, 3),
                                                   requires_grad=True),
    "grad_fn": lambda L: _s(L, L.ones(5, requires_grad=True)),
    "values_0d": lambda L: L.sparse_coo_tensor(L.tensor([[0]]), L.tensor(1.0)),
    "float_indices": lambda L: L.sparse_coo_tensor(L.tensor([[0.0, 2.0]]), L.ones(2)),
    "legacy": lambda L: L.sparse.FloatTensor(L.tensor(IDX), L.ones(5), L.Size([3, 3])),
    "legacy_keeps_dtype": lambda L: L.sparse.FloatTensor(L.tensor(IDX), L.ones(5).double()),
    "legacy_empty": lambda L: L.sparse.DoubleTensor(2, 3),
    "one_dim": lambda L: L.tensor([0.0, 1.5, 0.0, 2.0]).to_sparse(),
    "wide": lambda L: L.sparse_coo_tensor(L.tensor([list(range(30))]), L.arange(30.0) / 7),
    "long_size": lambda L: L.sparse_coo_tensor(L.tensor([[0], [1]]), L.tensor([1e-5]),
                                               (123456789, 987654321),
                                               dtype=L.float64, requires_grad=True),
}


@pytest.mark.parametrize("case", sorted(PRINT_CASES))
def test_printing(case):
    text = repr(PRINT_CASES[case](ember))
    if torch is None:
        assert "layout=torch.sparse_coo" in text
        pytest.skip("torch (the oracle) is not installed")
    assert text == repr(PRINT_CASES[case](torch))
    assert str(PRINT_CASES[case](ember)) == text


ERRORS = {
    "size_rank": lambda L: _s(L, L.ones(5), (3,)),
    "nnz": lambda L: _s(L, L.ones(4)),
    "negative": lambda L: L.sparse_coo_tensor(L.tensor([[0, -1]]), L.ones(2), (3,),
                                              check_invariants=True),
    "bounds": lambda L: L.sparse_coo_tensor(L.tensor([[0, 3]]), L.ones(2), (3,),
                                            check_invariants=True),
    "indices_uncoalesced": lambda L: _s(L, L.ones(5)).indices(),
    "values_uncoalesced": lambda L: _s(L, L.ones(5)).values(),
    "dense_indices": lambda L: L.ones(2).indices(),
    "dense_values": lambda L: L.ones(2).values(),
    "dense_coalesce": lambda L: L.ones(2).coalesce(),
    "dense_is_coalesced": lambda L: L.ones(2).is_coalesced(),
    "mm_shape": lambda L: L.sparse.mm(_s(L, L.ones(5)), L.ones(2, 2)),
    "mm_dtype": lambda L: L.sparse.mm(_s(L, L.ones(5)), L.ones(3, 2, dtype=L.float64)),
    "torch_mm_dtype": lambda L: L.mm(_s(L, L.ones(5)), L.ones(3, 2, dtype=L.float64)),
    "mm_vector": lambda L: L.mm(_s(L, L.ones(5)), L.ones(3)),
    "torch_mm_shape": lambda L: L.mm(_s(L, L.ones(5)), L.ones(2, 2)),
}


@pytest.mark.parametrize("case", sorted(ERRORS))
def test_errors(case):
    check_error(lambda L: ERRORS[case](L), exc=IndexError if case == "mm_vector" else RuntimeError)


def _first_sentence(e):
    return str(e).split(" This could be")[0]


@pytest.mark.parametrize("op", ["exp", "view"])
def test_dense_only_ops_refuse(op):
    """torch names the op and the 'SparseCPU' backend; ember says the same first sentence."""
    s = _s(ember, ember.ones(5))
    with pytest.raises(NotImplementedError) as ei:
        getattr(s, op)(9) if op == "view" else getattr(s, op)()
    assert _first_sentence(ei.value) == (f"Could not run 'aten::{op}' with arguments from the "
                                         "'SparseCPU' backend.")
    if torch is not None:
        with pytest.raises(NotImplementedError) as ti:
            t = _s(torch, torch.ones(5))
            t.view(9) if op == "view" else t.exp()
        assert _first_sentence(ti.value) == _first_sentence(ei.value)


def test_dense_ops_never_densify():
    s = _s(ember, ember.ones(5))
    for fn in (lambda: ember.exp(s), lambda: s + 1, lambda: s.numpy(), lambda: s[0],
               lambda: ember.cat([s, s])):
        with pytest.raises((NotImplementedError, TypeError, RuntimeError)):
            fn()


def test_refusals():
    s = _s(ember, ember.ones(5))
    with pytest.raises(NotImplementedError, match=r"torch.sparse.sum\(dtype=torch.float64\)"):
        ember.sparse.sum(s, dtype=ember.float64)
    with pytest.raises(NotImplementedError, match=r"to_sparse\(blocksize"):
        ember.ones(2, 2).to_sparse(blocksize=(1, 1))


def test_dense_to_dense_is_self():
    x = ember.ones(2)
    assert x.to_dense() is x
    s = _s(ember, ember.ones(5))
    assert s.to_sparse() is s


def test_implicit_invariants_warning_text():
    from ember import _sparse
    assert _sparse._IMPLICIT.startswith("Sparse invariant checks are implicitly disabled.")


def test_legacy_types():
    for L in (ember, torch) if torch is not None else (ember,):
        s = L.sparse_coo_tensor(L.tensor(IDX), L.ones(5))
        assert isinstance(s, L.sparse.FloatTensor) and not isinstance(s, L.sparse.DoubleTensor)
        assert not isinstance(L.ones(2), L.sparse.FloatTensor)
        assert repr(L.sparse.FloatTensor) == "<class 'torch.sparse.FloatTensor'>"


@pytest.mark.parametrize("how", ["mm", "matmul", "@"])
def test_dense_times_sparse(how):
    calls = {"mm": lambda L, x, s: L.mm(x, s), "matmul": lambda L, x, s: L.matmul(x, s),
             "@": lambda L, x, s: x @ s}
    f = calls[how]
    check(lambda L, x, v: f(L, x, _s(L, v)), arr((4, 3), "float64"), arr((5,), "float64"))
    check(lambda L, x, v: f(L, x.detach(), _s(L, v.detach())), arr((4, 3)), arr((5,)),
          grad=False)


def test_dense_plus_sparse_and_casts():
    check(lambda L, x: L.eye(3) + L.sparse_coo_tensor(L.tensor(IDX), L.ones(5), (3, 3),
                                                      dtype=L.int64) + x, arr((3, 3)))
    check(lambda L, v: _s(L, v).double().to_dense(), arr((5,)))
    check_error(lambda L: _s(L, L.ones(5)) + L.ones(3, 3), exc=RuntimeError)


def test_gcn_example_pipeline():
    """pytorch/examples gcn/main.py: normalise A + I with sparse diagonals, then train a step."""
    edges = np.array([[0, 1], [1, 2], [2, 0], [3, 1], [4, 3]], dtype=np.int32)

    def fn(L, feats, w):
        a = L.sparse_coo_tensor(edges.T, L.ones(5), (5, 5), dtype=L.int64)
        a = L.eye(5, dtype=feats.dtype) + a
        deg = L.sqrt(1 / L.sum(a, dim=1))
        deg = L.diag(deg).to_sparse()
        a = (deg @ a @ deg).to_sparse()
        x = L.diag(1 / feats.sum(1)).to_sparse() @ feats
        h = L.spmm(a, L.mm(x.to_sparse(), w))
        return L.nn.functional.log_softmax(h, dim=1)
    check(fn, arr((5, 4), "float64", low=0.5, high=2), arr((4, 3), "float64", seed=5))
