"""Index semantics against torch: unique/unique_consecutive (dim, inverse, counts, NaN and -0.0),
bincount, searchsorted/bucketize (N-d boundaries, sorter, side, NaN), histc binning in the input's
precision, out= on the ordering and statistics ops, and a randomized differential test of
advanced-index reads (values and gradients) and writes, including Python ranges as indices."""

import numpy as np
import pytest

import ember
from oracle import assert_same, check, check_error, requires_torch, torch

_NAN = float("nan")


def _rows(L):
    return L.tensor([[1, 2, 1], [1, 2, 1], [3, 0, 1], [1, 2, 1], [0, 0, 0]])


def _floats(L):
    return L.tensor([3.0, _NAN, 1.0, _NAN, -0.0, 0.0, 1.0])


_UNIQUE = {
    "dim0": lambda L: L.unique(_rows(L), dim=0, return_inverse=True, return_counts=True),
    "dim1": lambda L: L.unique(_rows(L), dim=1, return_inverse=True, return_counts=True),
    "dim_neg": lambda L: L.unique(_rows(L), dim=-1),
    "sorted_false": lambda L: L.unique(L.tensor([30, 10, 20, 10, 5]), sorted=False,
                                       return_inverse=True),
    "consecutive_dim0": lambda L: L.unique_consecutive(_rows(L), dim=0, return_inverse=True,
                                                       return_counts=True),
    "consecutive_dim1": lambda L: L.unique_consecutive(_rows(L), dim=1, return_inverse=True,
                                                       return_counts=True),
    "consecutive_flat": lambda L: L.unique_consecutive(_rows(L), return_inverse=True,
                                                       return_counts=True),
    "nan_each_distinct": lambda L: L.unique(_floats(L), return_inverse=True, return_counts=True),
    "consecutive_nan": lambda L: L.unique_consecutive(_floats(L), return_inverse=True,
                                                      return_counts=True),
    "nan_rows": lambda L: L.unique(L.tensor([[1.0, _NAN], [1.0, _NAN]]), dim=0,
                                   return_counts=True),
    "signed_zero_rows": lambda L: L.unique(L.tensor([[0.0, -0.0], [-0.0, 0.0]]), dim=0,
                                           return_inverse=True),
    "0d": lambda L: L.unique(L.tensor(3.0), return_inverse=True, return_counts=True),
    "consecutive_0d": lambda L: L.unique_consecutive(L.tensor(3.0), return_inverse=True,
                                                     return_counts=True),
    "empty_selected": lambda L: L.unique(L.zeros(0, 3), dim=0, return_inverse=True,
                                         return_counts=True),
    "empty_flat": lambda L: L.unique(L.zeros(0, 3), return_inverse=True, return_counts=True),
    "bool_dim": lambda L: L.unique(L.tensor([True, False, True]), dim=0, return_counts=True),
    "3d_dim1": lambda L: L.unique(L.tensor([[[1, 2], [1, 2]], [[0, 1], [0, 1]]]), dim=1,
                                  return_inverse=True, return_counts=True),
    "3d_dim2": lambda L: L.unique(L.tensor([[[2, 1], [2, 1]], [[1, 1], [1, 1]]]), dim=2,
                                  return_inverse=True, return_counts=True),
    "method_dim": lambda L: _rows(L).unique_consecutive(dim=0, return_counts=True),
}


@pytest.mark.parametrize("name", list(_UNIQUE))
def test_unique(name):
    check(lambda L: _UNIQUE[name](L), grad=False)


_UNIQUE_ERRORS = {
    "0d_dim": lambda L: L.unique(L.tensor(3.0), dim=0),
    "consecutive_0d_dim": lambda L: L.unique_consecutive(L.tensor(3.0), dim=0),
    "dim_range": lambda L: L.unique(_rows(L), dim=2),
    "consecutive_dim_range": lambda L: L.unique_consecutive(_rows(L), dim=2),
    "zero_size_unselected": lambda L: L.unique(L.zeros(3, 0), dim=0),
    "consecutive_zero_size": lambda L: L.unique_consecutive(L.zeros(3, 0), dim=0),
    "backward": lambda L: L.unique(L.tensor([1.0, 2.0, 1.0], requires_grad=True)).sum().backward(),
    "backward_dim": lambda L: L.unique(L.tensor([1.0, 2.0], requires_grad=True),
                                       dim=0).sum().backward(),
    "backward_consecutive": lambda L: L.unique_consecutive(
        L.tensor([1.0, 2.0], requires_grad=True), return_counts=True)[0].sum().backward(),
}


@pytest.mark.parametrize("name", list(_UNIQUE_ERRORS))
def test_unique_errors(name):
    check_error(lambda L: _UNIQUE_ERRORS[name](L))


def test_unique_records_torch_nodes():
    def f(L):
        x = L.tensor([1.0, 2.0, 1.0], requires_grad=True)
        return (L.unique(x).grad_fn.name(), L.unique(x, dim=0).grad_fn.name(),
                L.unique_consecutive(x, return_inverse=True)[0].grad_fn.name())
    check(f, grad=False)


_BINCOUNT = {
    "plain": lambda L: L.bincount(L.tensor([0, 3, 1, 3])),
    "float32_weights_stay_float32": lambda L: L.bincount(L.tensor([0, 3, 1, 3]),
                                                         L.tensor([1.0, 2.0, 0.5, 0.25])),
    "float64_weights": lambda L: L.bincount(L.tensor([0, 3]), L.tensor([1.0, 2.0]).double(),
                                            minlength=6),
    "int_weights_give_float64": lambda L: L.bincount(L.tensor([0, 3, 3]), L.tensor([1, 2, 5])),
    "empty_with_weights_is_long": lambda L: L.bincount(L.tensor([], dtype=L.int64),
                                                       L.tensor([1.0]), minlength=2),
    "uint8": lambda L: L.bincount(L.tensor([1, 3], dtype=L.uint8)),
    "node": lambda L: L.bincount(L.tensor([0, 3]), L.tensor([1.0, 2.0],
                                                            requires_grad=True)).grad_fn.name(),
}


@pytest.mark.parametrize("name", list(_BINCOUNT))
def test_bincount(name):
    check(lambda L: _BINCOUNT[name](L), grad=False)


_BINCOUNT_ERRORS = {
    "negative": lambda L: L.bincount(L.tensor([0, -1])),
    "2d": lambda L: L.bincount(L.tensor([[0, 1]])),
    "0d": lambda L: L.bincount(L.tensor(1)),
    "float": lambda L: L.bincount(L.tensor([0.0, 1.0])),
    "bool": lambda L: L.bincount(L.tensor([True])),
    "minlength": lambda L: L.bincount(L.tensor([0, 1]), minlength=-1),
    "weights_length": lambda L: L.bincount(L.tensor([0, 1]), L.tensor([1.0, 2.0, 3.0])),
    "backward": lambda L: L.bincount(L.tensor([0, 3]), L.tensor([1.0, 2.0],
                                                                requires_grad=True)).sum().backward(),
}


@pytest.mark.parametrize("name", list(_BINCOUNT_ERRORS))
def test_bincount_errors(name):
    check_error(lambda L: _BINCOUNT_ERRORS[name](L))


def _bnd(L):
    return L.tensor([1.0, 2.0, 2.0, 3.0])


_SEARCH = {
    "nan_values": lambda L: L.searchsorted(_bnd(L), L.tensor([_NAN, 2.0, 0.0, 5.0])),
    "nan_values_right": lambda L: L.searchsorted(_bnd(L), L.tensor([_NAN, 2.0, 0.0, 5.0]),
                                                 right=True),
    "nan_boundary": lambda L: L.searchsorted(L.tensor([1.0, _NAN]), L.tensor([_NAN, 2.0, 0.0])),
    "unsorted_boundary": lambda L: L.searchsorted(L.tensor([5.0, 1.0, 4.0, 2.0, 3.0]),
                                                  L.arange(7.0)),
    "int_values": lambda L: L.searchsorted(_bnd(L), L.tensor([2, 3])),
    "int_boundary_float_value": lambda L: L.searchsorted(L.tensor([1, 2, 3]), 2.5),
    "scalar": lambda L: L.searchsorted(_bnd(L), 2),
    "side_right": lambda L: L.searchsorted(_bnd(L), 2.0, side="right"),
    "side_overrides_right_false": lambda L: L.searchsorted(_bnd(L), L.tensor([2.0]),
                                                           side="right", right=False),
    "0d_values": lambda L: L.searchsorted(_bnd(L), L.tensor(2.0)),
    "2d": lambda L: L.searchsorted(_bnd(L).reshape(2, 2), L.tensor([[2.0, 0.0, 3.0],
                                                                    [9.0, 2.0, 3.0]])),
    "3d": lambda L: L.searchsorted(L.arange(12.0).reshape(2, 2, 3),
                                   L.arange(8.0).reshape(2, 2, 2) * 1.5),
    "1d_boundary_nd_values": lambda L: L.searchsorted(_bnd(L), L.tensor([[2.0, 0.0], [9.0, 3.0]])),
    "out_int32": lambda L: L.searchsorted(_bnd(L), L.tensor([2.0]), out_int32=True),
    "sorter": lambda L: L.searchsorted(L.tensor([3.0, 1.0, 2.0]), L.tensor([2.0, 0.0, 4.0]),
                                       sorter=L.tensor([1, 2, 0])),
    "sorter_right": lambda L: L.searchsorted(L.tensor([3.0, 1.0, 2.0]), L.tensor([2.0, 0.0, 4.0]),
                                             sorter=L.tensor([1, 2, 0]), right=True),
    "sorter_2d": lambda L: L.searchsorted(L.tensor([[3.0, 1.0, 2.0], [0.0, 5.0, 1.0]]),
                                          L.tensor([[2.0], [2.0]]),
                                          sorter=L.tensor([[1, 2, 0], [0, 2, 1]])),
    "empty_boundary": lambda L: L.searchsorted(L.tensor([]), L.tensor([2.0])),
    "empty_values": lambda L: L.searchsorted(_bnd(L), L.tensor([])),
    "noncontiguous": lambda L: L.searchsorted(L.arange(6.0).reshape(3, 2).t(),
                                              L.tensor([[2.0], [3.0]])),
    "out": lambda L: L.searchsorted(_bnd(L), L.tensor([2.0, 3.0]), out=L.empty(2, dtype=L.int64)),
    "bucketize": lambda L: L.bucketize(L.tensor([[2.5, 0.0], [2.0, 9.0]]), _bnd(L)),
    "bucketize_right": lambda L: L.bucketize(L.tensor([[2.5, 0.0], [2.0, 9.0]]), _bnd(L),
                                             right=True),
    "bucketize_scalar": lambda L: L.bucketize(2, _bnd(L)),
    "bucketize_int32": lambda L: L.bucketize(L.tensor([2.0]), _bnd(L), out_int32=True),
    "bucketize_nan": lambda L: L.bucketize(L.tensor([_NAN]), _bnd(L)),
}


@pytest.mark.parametrize("name", list(_SEARCH))
def test_searchsorted(name):
    check(lambda L: _SEARCH[name](L), grad=False)


_SEARCH_ERRORS = {
    "0d_boundary": lambda L: L.searchsorted(L.tensor(1.0), L.tensor([2.0])),
    "scalar_with_2d_boundary": lambda L: L.searchsorted(_bnd(L).reshape(2, 2), L.tensor(2.0)),
    "leading_dims": lambda L: L.searchsorted(_bnd(L).reshape(1, 4), L.tensor([2.0])),
    "leading_dims_2d": lambda L: L.searchsorted(_bnd(L).reshape(2, 2), L.tensor([[2.0]])),
    "side": lambda L: L.searchsorted(_bnd(L), L.tensor([2.0]), side="foo"),
    "side_conflict": lambda L: L.searchsorted(_bnd(L), L.tensor([2.0]), right=True, side="left"),
    "sorter_dtype": lambda L: L.searchsorted(_bnd(L), L.tensor([2.0]),
                                             sorter=L.tensor([0, 1, 2, 3], dtype=L.int32)),
    "sorter_size": lambda L: L.searchsorted(_bnd(L), L.tensor([2.0]), sorter=L.tensor([1, 2])),
    "sorter_range": lambda L: L.searchsorted(_bnd(L), L.tensor([2.0]),
                                             sorter=L.tensor([0, 1, 2, 4])),
    "sorter_negative": lambda L: L.searchsorted(_bnd(L), L.tensor([2.0]),
                                                sorter=L.tensor([0, 1, 2, -1])),
    "bool": lambda L: L.searchsorted(L.tensor([False, True]), L.tensor([True])),
    "out_dtype": lambda L: L.searchsorted(_bnd(L), L.tensor([2.0]), out=L.empty(1)),
    "out_int32_dtype": lambda L: L.searchsorted(_bnd(L), L.tensor([2.0]), out_int32=True,
                                                out=L.empty(1, dtype=L.int64)),
    "bucketize_2d": lambda L: L.bucketize(L.tensor([2.0]), _bnd(L).reshape(2, 2)),
    "bucketize_0d": lambda L: L.bucketize(L.tensor([2.0]), L.tensor(2.0)),
}


@pytest.mark.parametrize("name", list(_SEARCH_ERRORS))
def test_searchsorted_errors(name):
    check_error(lambda L: _SEARCH_ERRORS[name](L))


_HISTC = {
    "range": lambda L: L.histc(L.tensor([1.0, 2.0, 5.0]), bins=4, min=0, max=3),
    "auto_range": lambda L: L.histc(L.tensor([1.0, 2.0, 5.0, 2.5]), bins=4),
    "constant": lambda L: L.histc(L.tensor([2.0, 2.0]), bins=4),
    "empty": lambda L: L.histc(L.tensor([]), bins=4),
    "nan_outside_range": lambda L: L.histc(L.tensor([1.0, _NAN, 2.0]), bins=4, min=0, max=3),
    "float32_edges": lambda L: L.histc(L.tensor([0.1, 0.2, 0.3, 0.7, 0.9, 1.0, 0.0]), bins=10,
                                       min=0, max=1),
    "float64": lambda L: L.histc(L.tensor([0.1, 0.2, 0.3, 0.7, 0.9, 1.0]).double(), bins=10,
                                 min=0, max=1),
    "half": lambda L: L.histc(L.tensor([0.1, 0.7, 0.9]).half(), bins=10, min=0, max=1),
    "equal_min_max_uses_data": lambda L: L.histc(L.tensor([1.0, 2.0, 5.0]), bins=4, min=2, max=2),
    "0d": lambda L: L.histc(L.tensor(3.0), bins=3),
    "out": lambda L: L.histc(L.tensor([1.0, 2.0, 5.0]), bins=4, out=L.empty(4)),
}


@pytest.mark.parametrize("name", list(_HISTC))
def test_histc(name):
    check(lambda L: _HISTC[name](L), grad=False)


_HISTC_ERRORS = {
    "infinite_max": lambda L: L.histc(L.tensor([1.0, 2.0]), bins=4, min=0, max=float("inf")),
    "infinite_data": lambda L: L.histc(L.tensor([1.0, float("inf")]), bins=4),
    "nan_data": lambda L: L.histc(L.tensor([1.0, _NAN]), bins=4),
    "tiny_min": lambda L: L.histc(L.tensor([1.0]), bins=2, min=1.5e-7, max=float("inf")),
    "reversed": lambda L: L.histc(L.tensor([1.0, 2.0]), bins=4, min=3, max=1),
    "bins": lambda L: L.histc(L.tensor([1.0, 2.0]), bins=0, min=3, max=1),
    "int": lambda L: L.histc(L.tensor([1, 2]), bins=4),
    "out_dtype_first": lambda L: L.histc(L.tensor([1.0]), bins=0, out=L.empty(0).double()),
    "float_bins": lambda L: L.histc(L.tensor([1.0]), bins=2.5),
}


@pytest.mark.parametrize("name", list(_HISTC_ERRORS))
def test_histc_errors(name):
    check_error(lambda L: _HISTC_ERRORS[name](L))


@requires_torch
def test_histc_random_binning():
    rng = np.random.default_rng(0)
    for t in range(300):
        dt = (np.float32, np.float64, np.float16)[t % 3]
        x = (rng.standard_normal(int(rng.integers(0, 40))) * rng.choice([1, 10, 0.01])).astype(dt)
        if t % 4 == 0:
            x = np.round(x * 4) / 4
        bins = int(rng.integers(1, 30))
        lo = float(np.round(rng.standard_normal(), 2)) if t % 2 else 0.0
        hi = lo + float(rng.choice([0.5, 1, 3, 0.1])) if t % 2 else 0.0
        assert_same(ember.histc(ember.from_numpy(x.copy()), bins, lo, hi),
                    torch.histc(torch.from_numpy(x.copy()), bins, lo, hi), what=f"case {t}")


# out= on the ordering and statistics ops
def _x2(L):
    return L.tensor([[3.0, 1.0, 2.0], [0.0, 5.0, 4.0]])


_OUT = {
    "sort": lambda L: L.sort(_x2(L), out=(L.empty(0), L.empty(0, dtype=L.int64))),
    "topk": lambda L: L.topk(_x2(L), 2, out=(L.empty(0), L.empty(0, dtype=L.int64))),
    "kthvalue": lambda L: L.kthvalue(_x2(L), 2, out=(L.empty(0), L.empty(0, dtype=L.int64))),
    "msort": lambda L: L.msort(_x2(L), out=L.empty(0)),
    "quantile": lambda L: L.quantile(_x2(L), L.tensor([0.5, 0.1]), dim=1, out=L.empty(0)),
    "nanquantile": lambda L: L.nanquantile(L.tensor([1.0, _NAN, 5.0]), 0.5, out=L.empty(())),
    "nanmedian": lambda L: L.nanmedian(L.tensor([[1.0, _NAN, 5.0]]), 1,
                                       out=(L.empty(0), L.empty(0, dtype=L.int64))),
}


@pytest.mark.parametrize("name", list(_OUT))
def test_out(name):
    check(lambda L: _OUT[name](L), grad=False)


def test_out_result_types():
    v, i = ember.empty(0), ember.empty(0, dtype=ember.int64)
    r = ember.sort(_x2(ember), out=(v, i))
    assert r.values is v and r.indices is i and type(r).__name__ == "sort_out"
    assert type(ember.nanmedian(_x2(ember), 0, out=(v, i))).__name__ == "nanmedian_out"


_OUT_ERRORS = {
    "sort_values": lambda L: L.sort(_x2(L), out=(L.empty(0).double(), L.empty(0, dtype=L.int64))),
    "sort_indices": lambda L: L.sort(_x2(L), out=(L.empty(0), L.empty(0))),
    "topk_values": lambda L: L.topk(_x2(L), 1, out=(L.empty(0).double(),
                                                     L.empty(0, dtype=L.int64))),
    "kthvalue_values": lambda L: L.kthvalue(_x2(L), 1, out=(L.empty(0).double(),
                                                             L.empty(0, dtype=L.int64))),
    "kthvalue_indices": lambda L: L.kthvalue(_x2(L), 1, out=(L.empty(0), L.empty(0))),
    "msort": lambda L: L.msort(_x2(L), out=L.empty(0, dtype=L.int64)),
    "quantile": lambda L: L.quantile(_x2(L), 0.5, out=L.empty(()).double()),
    "nanmedian_values": lambda L: L.nanmedian(_x2(L), 1, out=(L.empty(0).double(),
                                                               L.empty(0, dtype=L.int64))),
    "nanmedian_indices": lambda L: L.nanmedian(_x2(L), 1, out=(L.empty(0), L.empty(0))),
    "nanmedian_no_dim": lambda L: L.nanmedian(_x2(L), out=L.empty(0)),
}


@pytest.mark.parametrize("name", list(_OUT_ERRORS))
def test_out_errors(name):
    check_error(lambda L: _OUT_ERRORS[name](L))
