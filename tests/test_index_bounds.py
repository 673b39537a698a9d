"""Index-taking ops never wrap and never word NumPy's errors: each out-of-range or negative index
is refused, or resolved from the end, exactly where torch's CPU kernels do, with torch's exception
type and text; shape and dtype checks come in torch's order. Also scatter's keyword forms, the
gradient-shape check torch's engine applies to a node's output, and out=."""

import numpy as np
import pytest

import ember
from oracle import arr, check, check_error, requires_torch


def _x(L):
    return L.arange(12.0).reshape(3, 4)


def _i(L, *v, dtype=None):
    return L.tensor(list(v), dtype=dtype or L.int64)


# out-of-range and negative indices: torch raises (type and text compared)
_OOB = {
    "gather_neg": lambda L, x: L.gather(L.arange(5.0), 0, _i(L, -1)),
    "gather_neg_2d": lambda L, x: x.gather(1, L.tensor([[0], [-1]])),
    "gather_first_bad": lambda L, x: x.gather(1, L.tensor([[1, -7, 9], [0, 0, 0]])),
    "gather_first_bad_row": lambda L, x: x.gather(0, L.tensor([[0, 0, 0], [9, -7, 0]])),
    "gather_0d": lambda L, x: L.tensor(3.0).gather(0, L.tensor(1)),
    "gather_0d_neg": lambda L, x: L.tensor(3.0).gather(0, L.tensor(-1)),
    "scatter_neg": lambda L, x: L.zeros(5).scatter(0, _i(L, -1), L.ones(1)),
    "scatter_big": lambda L, x: L.zeros(5).scatter(0, _i(L, 5), L.ones(1)),
    "scatter__big": lambda L, x: L.zeros(5).scatter_(0, _i(L, 5), L.ones(1)),
    "scatter_value_neg": lambda L, x: L.zeros(5).scatter(0, _i(L, -1), 1.0),
    "scatter_2d": lambda L, x: x.scatter(1, L.tensor([[1, -7, 9], [0, 0, 0]]), 1.0),
    "scatter_0d": lambda L, x: L.tensor(3.0).scatter(0, L.tensor(1), 5.0),
    "scatter_add_neg": lambda L, x: L.zeros(5).scatter_add(0, _i(L, -1), L.ones(1)),
    "scatter_add_big": lambda L, x: L.zeros(5).scatter_add(0, _i(L, 7), L.ones(1)),
    "scatter_reduce_neg": lambda L, x: L.zeros(5).scatter_reduce(0, _i(L, -1), L.ones(1), "sum"),
    "scatter_reduce_big": lambda L, x: L.zeros(5).scatter_reduce(0, _i(L, 9), L.ones(1), "amax"),
    "scatter_reduce_kw_neg": lambda L, x: L.zeros(5).scatter(0, _i(L, -1), 1.0, reduce="add"),
    "index_select_neg": lambda L, x: L.arange(5.0).index_select(0, _i(L, -1)),
    "index_select_big": lambda L, x: L.arange(5.0).index_select(0, _i(L, 5)),
    "index_select_dim0": lambda L, x: x.index_select(0, _i(L, 9)),
    "index_select_dim1": lambda L, x: x.index_select(1, _i(L, -1)),
    "index_select_dim1_3d": lambda L, x: L.zeros(2, 3, 4).index_select(1, _i(L, 9)),
    "index_select_dim2": lambda L, x: L.zeros(2, 3, 4).index_select(2, _i(L, 4)),
    "index_select_dim1_int32": lambda L, x: x.index_select(1, _i(L, 9, dtype=L.int32)),
    "index_select_0d": lambda L, x: L.tensor(5.0).index_select(0, _i(L, -1)),
    "index_select_empty_self": lambda L, x: L.zeros(0, 3).index_select(0, _i(L, 0)),
    "index_select_empty_big": lambda L, x: L.zeros(0, 3).index_select(1, _i(L, 5)),
    "index_add_1d_neg": lambda L, x: L.zeros(5).index_add(0, _i(L, -1), L.ones(1)),
    "index_add_1d_big": lambda L, x: L.zeros(5).index_add(0, _i(L, 5), L.ones(1)),
    "index_add_last_neg": lambda L, x: x.index_add(1, _i(L, -1), L.ones(3, 1)),
    "index_add_first_big": lambda L, x: x.index_add(0, _i(L, 3), L.ones(1, 4)),
    "index_add_alpha": lambda L, x: x.index_add(1, _i(L, -1), L.ones(3, 1), alpha=2),
    "index_add_int32": lambda L, x: x.index_add(1, _i(L, -1, dtype=L.int32), L.ones(3, 1)),
    "index_add_mid_dim": lambda L, x: L.zeros(3, 5, 2).index_add(1, _i(L, -1), L.ones(3, 1, 2)),
    "index_add_0d": lambda L, x: L.zeros(()).index_add(0, _i(L, -1), L.ones(())),
    "index_copy_neg": lambda L, x: x.index_copy(1, _i(L, -1), L.ones(3, 1)),
    "index_copy_big": lambda L, x: x.index_copy(1, _i(L, 9), L.ones(3, 1)),
    "index_fill_below": lambda L, x: x.index_fill(1, _i(L, -5), 7.0),
    "index_fill_big": lambda L, x: x.index_fill(1, _i(L, 4), 7.0),
    "index_reduce_neg": lambda L, x: x.index_reduce(1, _i(L, -1), L.ones(3, 1), "prod"),
    "index_reduce_1d_big": lambda L, x: L.ones(5).index_reduce(0, _i(L, 5), L.ones(1), "amax"),
    "take_big": lambda L, x: L.take(L.arange(5.0), _i(L, 5)),
    "take_below": lambda L, x: L.take(L.arange(5.0), _i(L, -6)),
    "take_first_bad": lambda L, x: L.zeros(3).take(L.tensor([[0, -1], [-88, 99]])),
    "take_empty": lambda L, x: L.zeros(0).take(_i(L, 0)),
    "take_along_dim_flat_neg": lambda L, x: L.take_along_dim(L.arange(5.0), _i(L, -1)),
    "take_along_dim_empty_dim": lambda L, x: L.take_along_dim(L.zeros(3, 0), L.tensor([[1]]), 1),
    "put_below": lambda L, x: L.zeros(5).put(_i(L, -6), L.ones(1)),
    "put_big": lambda L, x: L.zeros(5).put(_i(L, 5), L.ones(1)),
    "put_acc_big": lambda L, x: x.put(_i(L, 0, 99), L.ones(2), accumulate=True),
    "put_empty": lambda L, x: L.zeros(0).put(_i(L, 0), L.ones(1)),
}


@pytest.mark.parametrize("name", list(_OOB))
def test_out_of_range_raises(name):
    check_error(_OOB[name], _x(ember).numpy())


# torch's shape and dtype checks, in torch's order
_CHECKS = {
    "gather_larger_index": lambda L, x: x.gather(1, L.zeros(4, 1, dtype=L.int64)),
    "gather_ndim": lambda L, x: x.gather(1, _i(L, 0)),
    "gather_int16": lambda L, x: x.gather(1, L.zeros(1, 2, dtype=L.int16)),
    "gather_float_index": lambda L, x: x.gather(1, L.zeros(1, 2)),
    "gather_dim": lambda L, x: x.gather(5, L.zeros(1, 1, dtype=L.int64)),
    "scatter_larger_index": lambda L, x: x.scatter(1, L.zeros(4, 1, dtype=L.int64), 1.0),
    "scatter_index_over_src": lambda L, x: x.scatter(1, L.zeros(2, 3, dtype=L.int64),
                                                     L.ones(2, 2)),
    "scatter_index_over_src_dim": lambda L, x: x.scatter(1, L.zeros(3, 6, dtype=L.int64),
                                                         L.ones(3, 5)),
    "scatter_src_dtype": lambda L, x: x.scatter(1, L.tensor([[0]]), L.ones(1, 1).double()),
    "scatter_add_src_dtype": lambda L, x: x.scatter_add(1, L.tensor([[0]]), L.ones(1, 1).double()),
    "scatter_reduce_src_dtype": lambda L, x: x.scatter_reduce(1, L.tensor([[0]]),
                                                              L.ones(1, 1).double(), "sum"),
    "scatter_float_index_first": lambda L, x: x.scatter(1, L.tensor([[0.0]]),
                                                        L.ones(1, 1).double()),
    "scatter_int16": lambda L, x: x.scatter(1, L.zeros(1, 1, dtype=L.int16), 1.0),
    "scatter_ndim": lambda L, x: x.scatter(1, _i(L, 0), 1.0),
    "scatter_src_fewer_dims": lambda L, x: x.scatter(1, L.zeros(1, 1, dtype=L.int64), L.ones(1)),
    "scatter_add_0d_src": lambda L, x: x.scatter_add(1, L.tensor([[0]]), L.tensor(1.0)),
    "scatter_reduce_kw_bad": lambda L, x: x.scatter(1, L.tensor([[0]]), 1.0, reduce="sum"),
    "scatter_reduce_kw_mean": lambda L, x: x.scatter(1, L.tensor([[0]]), x[:1, :1],
                                                     reduce="mean"),
    "scatter_complex_value": lambda L, x: x.scatter(1, L.tensor([[0]]), 1j),
    "index_select_2d_index": lambda L, x: x.index_select(1, L.tensor([[0]])),
    "index_select_float_index": lambda L, x: x.index_select(1, L.tensor([0.0])),
    "index_add_2d_index": lambda L, x: x.index_add(1, L.tensor([[1]]), L.ones(3, 1)),
    "index_add_float_index": lambda L, x: x.index_add(1, L.tensor([1.0]), L.ones(3, 1)),
    "index_add_dtype": lambda L, x: x.index_add(1, _i(L, 1), L.ones(3, 1).double()),
    "index_add_source_dim": lambda L, x: x.index_add(1, _i(L, 1), L.ones(3)),
    "index_add_count": lambda L, x: x.index_add(1, _i(L, 0, 1), x[:, :1]),
    "index_add_slice": lambda L, x: x.index_add(1, _i(L, 1), L.ones(2, 1)),
    "index_add_0d_source": lambda L, x: L.zeros(4).index_add(0, _i(L, 1), L.tensor(3.0)),
    "index_add_complex_alpha": lambda L, x: x.index_add(0, _i(L, 0), x[:1], alpha=1j),
    "index_copy_2d_index": lambda L, x: x.index_copy(1, L.tensor([[1]]), L.ones(3, 1)),
    "index_copy_int32": lambda L, x: x.index_copy(1, _i(L, 1, dtype=L.int32), L.ones(3, 1)),
    "index_copy_dtype": lambda L, x: x.index_copy(1, _i(L, 1), L.ones(3, 1).double()),
    "index_copy_slice": lambda L, x: L.zeros(3, 4, 2).index_copy(1, _i(L, 0), L.ones(2, 1, 2)),
    "index_copy_count": lambda L, x: x.index_copy(1, _i(L, 1, 2), L.ones(3, 1)),
    "index_copy_scalar_source": lambda L, x: L.zeros(4).index_copy(0, _i(L, 0, 1), L.ones(())),
    "index_copy_dims": lambda L, x: x.index_copy(1, _i(L, 1), L.ones(3, 1, 1)),
    "index_fill_int32": lambda L, x: x.index_fill(1, _i(L, 1, dtype=L.int32), 7.0),
    "index_fill_2d_index": lambda L, x: x.index_fill(1, L.tensor([[1]]), 7.0),
    "index_fill_value_dim": lambda L, x: x.index_fill(1, _i(L, 1), L.tensor([7.0])),
    "index_fill_complex": lambda L, x: x.index_fill(1, _i(L, 1), 1j),
    "index_reduce_dtype": lambda L, x: x.index_reduce(1, _i(L, 1), L.ones(3, 1).double(), "prod"),
    "index_reduce_slice": lambda L, x: x.index_reduce(1, _i(L, 1), L.ones(2, 1), "amax"),
    "take_int32": lambda L, x: x.take(_i(L, 1, dtype=L.int32)),
    "take_float": lambda L, x: x.take(L.tensor([1.0])),
    "put_int32": lambda L, x: x.put(_i(L, 1, dtype=L.int32), L.ones(1)),
    "put_dtype_before_count": lambda L, x: x.put(_i(L, 0, 1), L.ones(1).double()),
    "put_count": lambda L, x: x.put(_i(L, 0, 1), L.ones(1)),
    "take_along_dim_float": lambda L, x: L.take_along_dim(x, L.tensor([1.0])),
    "take_along_dim_int32": lambda L, x: L.take_along_dim(x, L.tensor([[1]], dtype=L.int32), 1),
    "take_along_dim_ndim": lambda L, x: L.take_along_dim(x, _i(L, 1), 1),
    "take_along_dim_bcast": lambda L, x: L.take_along_dim(x, L.tensor([[1], [2]]), 1),
    "take_along_dim_0d": lambda L, x: L.take_along_dim(L.tensor(6.0), L.tensor(0), 0),
    "masked_fill_bcast": lambda L, x: L.zeros(5).masked_fill(L.tensor([True] * 4), 1.0),
    "masked_fill_inplace_bcast": lambda L, x: L.zeros(4).masked_fill_(L.ones(2, 4).bool(), 1.0),
    "masked_scatter_short": lambda L, x: L.zeros(5).masked_scatter(L.ones(5).bool(), L.ones(2)),
    "masked_scatter_dtype": lambda L, x: L.zeros(4).masked_scatter(L.ones(4).bool(),
                                                                   L.ones(4).double()),
    "masked_scatter_mask_dtype": lambda L, x: L.zeros(4).masked_scatter(_i(L, 1, 0, 1, 0),
                                                                        L.ones(4)),
    "masked_scatter_bcast": lambda L, x: L.zeros(4).masked_scatter(L.ones(3).bool(), L.ones(4)),
    "masked_scatter_inplace_bcast": lambda L, x: L.zeros(4).masked_scatter_(L.ones(2, 4).bool(),
                                                                           L.ones(8)),
    "masked_select_bcast": lambda L, x: L.zeros(4).masked_select(L.ones(3).bool()),
}


@pytest.mark.parametrize("name", list(_CHECKS))
def test_checks_in_torch_order(name):
    check_error(_CHECKS[name], _x(ember).numpy())


# where torch accepts an index, ember computes the same values and gradients
_VALUES = {
    "index_fill_neg": lambda L, x: x.index_fill(1, _i(L, -1, 0), -2.0),
    "index_fill_0d": lambda L, x: x[0, 0].index_fill(0, _i(L, -1), 1.0),
    "take_neg": lambda L, x: L.take(x, L.tensor([[-1, 0], [-12, 5]])),
    "take_0d_index": lambda L, x: L.take(x, L.tensor(-2)),
    "put_neg": lambda L, x: x.put(_i(L, -1, 0), L.tensor([1.0, 2.0], dtype=x.dtype)),
    "put_acc_neg": lambda L, x: x.put(_i(L, -1, -1), L.tensor([1.0, 2.0], dtype=x.dtype),
                                      accumulate=True),
    "take_along_dim_wraps": lambda L, x: L.take_along_dim(x, L.tensor([[5, -1, -6, 100]]), 1),
    "take_along_dim_dim0": lambda L, x: L.take_along_dim(x, L.tensor([[-3], [7]]), 0),
    "take_along_dim_bcast": lambda L, x: L.take_along_dim(x, L.tensor([[1, -1]]), 1),
    "index_put_neg": lambda L, x: x.index_put((_i(L, -1),), x[0]),
    "index_put_acc_neg": lambda L, x: x.index_put((_i(L, -1, 2),), x[:2], accumulate=True),
    "gather_0d": lambda L, x: x[1, 1].gather(0, L.tensor(0)),
    "gather_0d_index_1d": lambda L, x: x[1, 1].gather(0, _i(L, 0, 0)),
    "gather_1d_index_0d": lambda L, x: x[1].gather(0, L.tensor(2)),
    "gather_int32": lambda L, x: x.gather(1, L.tensor([[3, 0]], dtype=L.int32)),
    "gather_empty_float_index": lambda L, x: x.gather(1, L.zeros(0, 1)),
    "gather_wider_along_dim": lambda L, x: x.gather(1, L.zeros(1, 6, dtype=L.int64)),
    "scatter_0d": lambda L, x: x[1, 1].scatter(0, L.tensor(0), 5.0),
    "scatter_int32": lambda L, x: x.scatter(1, L.zeros(1, 1, dtype=L.int32), 1.0),
    "scatter_wide_index": lambda L, x: x.scatter(1, L.zeros(3, 6, dtype=L.int64), 1.0),
    "scatter_empty_index": lambda L, x: x.scatter(1, L.zeros(0, dtype=L.int64), 1.0),
    "scatter_int_value_truncates": lambda L, x: x.long().scatter(1, L.tensor([[1]]), 2.7),
    "index_select_0d": lambda L, x: x[1, 1].index_select(0, _i(L, 0)),
    "index_select_0d_index": lambda L, x: x[1, 1].index_select(0, L.tensor(0)),
    "index_copy_0d": lambda L, x: x[1, 1].index_copy(0, _i(L, 0), x[0, 0]),
    "index_copy_1d_0d_source": lambda L, x: x[0].index_copy(0, _i(L, 2), x[1, 1]),
    "index_copy_duplicates": lambda L, x: x.index_copy(1, _i(L, 1, 1), x[:, :2]),
    "index_add_0d": lambda L, x: x[1, 1].index_add(0, _i(L, 0), x[0, 0]),
    "index_add_int_alpha_truncates": lambda L, x: x.long().index_add(1, _i(L, 1), x[:, :1].long(),
                                                                     alpha=2.5),
    "masked_scatter_bcast": lambda L, x: x[0].masked_scatter(L.ones(2, 4).bool(),
                                                             x[:2].reshape(-1)),
    "masked_fill_int_truncates": lambda L, x: x.long().masked_fill(x > 3, 1.5),
}


@pytest.mark.parametrize("name", list(_VALUES))
def test_accepted_indices_match(name):
    # torch's index_copy gradient gives every duplicate its grad, though only the last is written
    check(_VALUES[name], np.arange(12.0).reshape(3, 4), fd=name != "index_copy_duplicates")


# scatter's keyword forms (issue 12) and its argument errors
_SCATTER_KW = {
    "value_kw": lambda L, x: L.zeros(10).scatter_(0, _i(L, 1, 3), value=1),
    "value_kw_tensor": lambda L, x: L.zeros(10).scatter(0, _i(L, 1, 3), value=L.tensor(2.0)),
    "src_kw": lambda L, x: L.zeros(10, dtype=x.dtype).scatter_(0, _i(L, 1, 3), src=x[0, :2]),
    "reduce_kw": lambda L, x: L.zeros(10, dtype=x.dtype).scatter_(0, _i(L, 1, 1), x[0, :2],
                                                                  reduce="add"),
    "value_reduce": lambda L, x: L.ones(10).scatter_(0, _i(L, 1, 1), value=3.0, reduce="multiply"),
    "function_value": lambda L, x: L.scatter(x, 1, L.tensor([[2]]), value=-1.0),
    "function_reduce": lambda L, x: L.scatter(x, 1, L.tensor([[2, 2]]), x[:1, :2],
                                              reduce="multiply"),
}


@pytest.mark.parametrize("name", list(_SCATTER_KW))
def test_scatter_keywords(name):
    check(_SCATTER_KW[name], np.arange(12.0).reshape(3, 4), grad=False)


_SCATTER_ARGS = {
    "no_src": lambda L, x: L.zeros(10).scatter(0, _i(L, 1, 3)),
    "no_src_inplace": lambda L, x: L.zeros(10).scatter_(0, _i(L, 1, 3)),
    "no_src_function": lambda L, x: L.scatter(L.zeros(10), 0, _i(L, 1, 3)),
    "src_and_value": lambda L, x: L.zeros(10).scatter(0, _i(L, 1, 3), L.ones(2), value=2.0),
}


@pytest.mark.parametrize("name", list(_SCATTER_ARGS))
def test_scatter_argument_errors(name):
    check_error(_SCATTER_ARGS[name], _x(ember).numpy())


# issue 3: a src larger than the index gets an index-shaped gradient, which torch's engine refuses
def _scatter_grad(op, xs, ishape, ss, dim=1, **kw):
    def f(L, x, s):
        i = L.zeros(ishape, dtype=L.int64)
        return getattr(x, op)(dim, i, s, **kw)
    return f, arr(xs, "float64"), arr(ss, "float64", seed=1)


_GRAD_SHAPES = {
    "scatter_small_index": _scatter_grad("scatter", (3, 4), (2, 2), (3, 3)),
    "scatter_narrow_index": _scatter_grad("scatter", (3, 4), (3, 2), (3, 3)),
    "scatter_short_index": _scatter_grad("scatter", (3, 4), (2, 3), (2, 5)),
    "scatter_add_small_index": _scatter_grad("scatter_add", (3, 4), (2, 2), (3, 3)),
    "scatter_reduce_sum": _scatter_grad("scatter_reduce", (3, 4), (2, 2), (3, 3), reduce="sum"),
    "scatter_reduce_mean": _scatter_grad("scatter_reduce", (3, 4), (2, 2), (3, 3), reduce="mean"),
    "scatter_reduce_amax": _scatter_grad("scatter_reduce", (3, 4), (2, 2), (3, 3), reduce="amax"),
    "scatter_reduce_prod": _scatter_grad("scatter_reduce", (3, 4), (2, 2), (3, 3), reduce="prod"),
}


@pytest.mark.parametrize("name", list(_GRAD_SHAPES))
def test_backward_refuses_index_shaped_gradient(name):
    fn, x, s = _GRAD_SHAPES[name]

    def run(L, x, s):
        x.requires_grad_()
        s.requires_grad_()
        fn(L, x, s).sum().backward()
    check_error(run, x, s)


def test_backward_src_broadcastable_to_index():
    # src (3, 3) and index (1, 3): the amin/prod formulas broadcast, and torch accepts the result
    for red in ("amin", "prod"):
        fn, x, s = _scatter_grad("scatter_reduce", (3, 4), (1, 3), (3, 3), reduce=red)
        check(fn, x, s, fd=False)
    fn, x, s = _scatter_grad("scatter", (3, 4), (3, 3), (3, 3))
    check(fn, x, s, fd=False)  # duplicate indices: torch's formula, not the last write's


def test_engine_refuses_incompatible_custom_gradient():
    def run(L, x):
        class Bad(L.autograd.Function):
            @staticmethod
            def forward(ctx, a):
                return a * 2

            @staticmethod
            def backward(ctx, g):
                return g[:2]
        x.requires_grad_()
        Bad.apply(x).sum().backward()
    err = check_error(run, arr((3,)))
    assert "returned an invalid gradient at index 0" in str(err)


# scatter_reduce gradients: zeros in prod, ties in amax/amin with include_self either way
_X = np.array([[0.0, 2.0, 3.0], [1.0, 0.0, 2.0]])
_I = np.array([[0, 0, 1, 2], [1, 1, 1, 0]])
_S = {"one_zero": np.array([[1.0, 5.0, 0.0, 2.0], [3.0, 0.0, 0.0, 7.0]]),
      "zeros": np.array([[0.0, 5.0, 0.0, 2.0], [3.0, 0.0, 4.0, 7.0]])}


@pytest.mark.parametrize("src", list(_S))
@pytest.mark.parametrize("reduce", ["prod", "amax", "amin", "mean", "sum"])
@pytest.mark.parametrize("include_self", [True, False])
def test_scatter_reduce_grads_at_zeros_and_ties(src, reduce, include_self):
    check(lambda L, x, i, s: x.scatter_reduce(1, i, s, reduce, include_self=include_self),
          _X, _I, _S[src], fd=False)


def test_scatter_reduce_inplace_keeps_the_graph():
    def f(L, x, s):
        y = x * 1
        y.scatter_reduce_(1, L.tensor([[0, 0, 1, 2], [1, 1, 1, 0]]), s, "amax")
        z = y * 1
        z.index_reduce_(0, L.tensor([1]), s[:1, :3], "prod")
        return y, z
    check(f, _X, _S["one_zero"], fd=False)

    def g(L, x, s):  # writing over a saved output: both refuse the backward
        x.requires_grad_()
        y = x * 1
        y.scatter_reduce_(1, L.tensor([[0, 0, 1, 2], [1, 1, 1, 0]]), s, "amax")
        y.index_reduce_(0, L.tensor([1]), s[:1, :3], "prod")
        y.sum().backward()
    check_error(g, _X, _S["one_zero"])


def test_scatter_reduce_excluded_self_integers():
    for red in ("amax", "amin", "prod", "mean"):
        check(lambda L, x: x.long().scatter_reduce(1, L.tensor([[0, 0]]), -5 * L.ones(1, 2).long(),
                                                   red, include_self=False),
              np.arange(12.0).reshape(3, 4))
        check(lambda L, x: x.long().index_reduce(1, L.tensor([1, 1]), -4 * L.ones(3, 2).long(),
                                                 red, include_self=False),
              np.arange(12.0).reshape(3, 4))


@requires_torch
def test_out_arguments():
    def f(L, x):
        i, v = L.tensor([[0, 2]]), L.tensor([2, 0])
        outs = [L.empty(0, dtype=x.dtype) for _ in range(9)]
        L.gather(x, 1, i, out=outs[0])
        L.scatter(x, 1, i, x[:1, :2], out=outs[1])
        L.scatter_add(x, 1, i, x[:1, :2], out=outs[2])
        L.scatter_reduce(x, 1, i, x[:1, :2], "amax", out=outs[3])
        L.index_select(x, 1, v, out=outs[4])
        L.index_add(x, 1, v, x[:, :2], out=outs[5])
        L.index_copy(x, 1, v, x[:, :2], out=outs[6])
        L.take(x, v, out=outs[7])
        L.masked_select(x, x > 3, out=outs[8])
        o = L.empty(1, 2, dtype=x.dtype)
        r = L.take_along_dim(x, i, 1, out=o)
        return outs + [o, r is o]
    check(f, np.arange(12.0).reshape(3, 4), grad=False)


_OUT_DTYPE = {
    "gather": lambda L, x, o: L.gather(x, 1, L.tensor([[0]]), out=o),
    "scatter_add": lambda L, x, o: L.scatter_add(x, 1, L.tensor([[0]]), x[:1, :1], out=o),
    "index_add": lambda L, x, o: L.index_add(x, 1, L.tensor([0]), x[:, :1], out=o),
    "index_select": lambda L, x, o: L.index_select(x, 1, L.tensor([0]), out=o),
    "masked_select": lambda L, x, o: L.masked_select(x, x > 3, out=o),
    "take": lambda L, x, o: L.take(x, L.tensor([0]), out=o),
    "take_along_dim": lambda L, x, o: L.take_along_dim(x, L.tensor([[0]]), 1, out=o),
}


@pytest.mark.parametrize("name", list(_OUT_DTYPE))
def test_out_dtype_errors(name):
    check_error(lambda L, x: _OUT_DTYPE[name](L, x, L.empty(0, dtype=L.int64)),
                np.arange(12.0).reshape(3, 4))


def test_gather_sparse_grad_is_refused():
    with pytest.raises(NotImplementedError, match="sparse_grad"):
        ember.zeros(2, 2).gather(1, ember.zeros(2, 1, dtype=ember.int64), sparse_grad=True)
