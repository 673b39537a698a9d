"""torch._foreach_* against torch 2.13: values, dtypes, returned types, autograd, errors."""

import numpy as np
import pytest

import ember
from ember.ops import foreach
from oracle import arr, assert_same, check, check_error, requires_torch, torch

UNARY = foreach._UNARY


def _pos(seed, shape=(3,)):
    return arr(shape, seed=seed, low=0.1, high=0.9)


@requires_torch
def test_the_91_names_are_torchs():
    names = {n for n in dir(torch) if n.startswith("_foreach")}
    assert names == set(foreach.__all__) and len(names) == 91
    assert all(hasattr(ember, n) for n in names)


@pytest.mark.parametrize("op", UNARY)
def test_unary(op):
    def fn(L, a, b):
        return getattr(L, f"_foreach_{op}")([a, b])
    check(fn, _pos(0), _pos(1, (2, 2)), atol=1e-5)


@requires_torch
@pytest.mark.parametrize("op", UNARY + ["zero"])
def test_unary_inplace_returns_self(op):
    out = {}
    for L in (ember, torch):
        xs = [L.from_numpy(_pos(0)), L.from_numpy(_pos(1, (2, 2)))]
        r = getattr(L, f"_foreach_{op}_")(xs)
        assert r is xs
        out[L] = xs
    for e, t in zip(out[ember], out[torch]):
        assert_same(e, t, atol=1e-5)


BINARY_CALLS = [
    ("add", lambda L, a, b: (2.5,), {}),
    ("add", lambda L, a, b: ([1, 2.5],), {}),
    ("add", lambda L, a, b: ([b, a],), {"alpha": 2}),
    ("add", lambda L, a, b: (L.tensor(3.0),), {}),
    ("sub", lambda L, a, b: ([b, a],), {"alpha": -0.5}),
    ("sub", lambda L, a, b: ([3, 4],), {}),
    ("mul", lambda L, a, b: ([b, a],), {}),
    ("mul", lambda L, a, b: (2,), {}),
    ("div", lambda L, a, b: ([b, a],), {}),
    ("div", lambda L, a, b: ([2.0, 4],), {}),
    ("clamp_min", lambda L, a, b: (0.5,), {}),
    ("clamp_max", lambda L, a, b: ([0.3, 0.6],), {}),
    ("clamp_min", lambda L, a, b: ([b, a],), {}),
    ("maximum", lambda L, a, b: ([b, a],), {}),
    ("minimum", lambda L, a, b: (0.4,), {}),
    ("pow", lambda L, a, b: (2,), {}),
    ("pow", lambda L, a, b: ([2, 0.5],), {}),
    ("pow", lambda L, a, b: ([b, a],), {}),
]


@pytest.mark.parametrize("op,other,kw", BINARY_CALLS)
def test_binary(op, other, kw):
    def fn(L, a, b):
        return getattr(L, f"_foreach_{op}")([a, b], *other(L, a, b), **kw)
    check(fn, _pos(0), _pos(1))


@requires_torch
@pytest.mark.parametrize("op,other,kw", BINARY_CALLS)
def test_binary_inplace(op, other, kw):
    out = {}
    for L in (ember, torch):
        a, b = L.from_numpy(_pos(0)), L.from_numpy(_pos(1))
        xs = [a.clone(), b.clone()]
        assert getattr(L, f"_foreach_{op}_")(xs, *other(L, a, b), **kw) is xs
        out[L] = xs
    for e, t in zip(out[ember], out[torch]):
        assert_same(e, t)


def test_pow_scalar_base_and_int_promotion():
    check(lambda L, a, b: L._foreach_pow(2, [a, b]), _pos(0), _pos(1))
    check(lambda L, a: L._foreach_add([a], [1.5]), arr((3,), "int64"), grad=False)
    check(lambda L, a: L._foreach_div([a], 2), arr((3,), "int64"), grad=False)
    check(lambda L, a: L._foreach_sqrt([a]), arr((3,), "int64", low=0, high=9), grad=False)


@pytest.mark.parametrize("op", ["addcmul", "addcdiv"])
@pytest.mark.parametrize("how", ["default", "value", "list", "tensor"])
def test_addcmul_addcdiv(op, how):
    def fn(L, a, b, c):
        extra = {"default": (), "value": (0.5,), "list": ([2, -1.5],),
                 "tensor": (L.tensor([2.0, -1.5]),)}[how]
        return getattr(L, f"_foreach_{op}")([a, b], [b, c], [c, a], *extra)
    # torch has no derivative for the packed-tensor-of-scalars overload
    check(fn, _pos(0), _pos(1), _pos(2), grad=how != "tensor")


@pytest.mark.parametrize("how", ["scalar", "list", "tensors"])
def test_lerp(how):
    def fn(L, a, b, c):
        w = {"scalar": 0.3, "list": [0.3, 0.8], "tensors": [c, b]}[how]
        return L._foreach_lerp([a, b], [c, a], w)
    check(fn, _pos(0), _pos(1), _pos(2))


@pytest.mark.parametrize("ord_", [2, 1, 3, 0, float("inf"), -float("inf")])
def test_norm_and_powsum(ord_):
    check(lambda L, a, b: L._foreach_norm([a, b], ord_), arr((4,), seed=0),
          arr((2, 3), seed=1), grad=ord_ not in (0,))
    check(lambda L, a, b: L._foreach_powsum([a, b], ord_), arr((4,), seed=0),
          arr((2, 3), seed=1), grad=False)


def test_norm_dtype_max_mm_clone():
    check(lambda L, a: L._foreach_norm([a], dtype=L.float64), arr((4,)))
    check(lambda L, a, b: L._foreach_norm([a, b]), arr((4,)), arr((3,), "float64"))
    check(lambda L, a, b: L._foreach_max([a, b]), arr((4,)), arr((3,), "int64"), grad=False)
    check(lambda L, a: L._foreach_powsum([a], 0), np.array([0.0, 2.0, 0.5], "float32"),
          grad=False)  # torch has no derivative for powsum
    check(lambda L, a: L._foreach_powsum([a], -1), np.array([0.0, 2.0, 0.5], "float32"),
          grad=False)
    check(lambda L, a, b: L._foreach_mm([a], [b]), arr((2, 3)), arr((3, 4), seed=1))
    check(lambda L, a, b: L._foreach_clone([a, b]), arr((2, 3)), arr((3,), seed=1))


@requires_torch
def test_copy_and_return_types():
    for L in (ember, torch):
        xs, src = [L.zeros(2), L.zeros(3)], [L.ones(2), L.arange(3)]
        assert L._foreach_copy_(xs, src) is xs
        assert xs[1].tolist() == [0.0, 1.0, 2.0]
        assert type(L._foreach_add(xs, 1)) is tuple
        assert type(L._foreach_norm(xs)) is tuple
        t = tuple(xs)
        assert L._foreach_mul_(t, 2) is t


def test_inplace_on_leaf_requiring_grad():
    check_error(lambda L, a: L._foreach_add_([a.requires_grad_()], 1), arr((2,)))


ERRORS = [
    lambda L, a: L._foreach_add([a], [a, a]),
    lambda L, a: L._foreach_add([], []),
    lambda L, a: L._foreach_exp([]),
    lambda L, a: L._foreach_add([a], [1.0, 2.0]),
    lambda L, a: L._foreach_add([a], 1, alpha=2),
    lambda L, a: L._foreach_add(a, 1),
    lambda L, a: L._foreach_add([a], ["x"]),
    lambda L, a: L._foreach_exp([a, 1]),
    lambda L, a: L._foreach_add([a], L.ones(2)),
    lambda L, a: L._foreach_addcmul([a], [a], [a, a]),
    lambda L, a: L._foreach_addcmul([a], [a], [a], L.tensor(2.0)),
    lambda L, a: L._foreach_addcmul([a], [a], [a], L.ones(2)),
    lambda L, a: L._foreach_norm([a], "fro"),
    lambda L, a: L._foreach_norm([a.int()]),
    lambda L, a: L._foreach_norm([a], dtype=L.int64),
    lambda L, a: L._foreach_norm([a.double()], dtype=L.float32),
    lambda L, a: L._foreach_powsum([a.long()]),
    lambda L, a: L._foreach_max([a, a[:0]]),
    lambda L, a: L._foreach_mm([a]),
    lambda L, a: L._foreach_mm([a], [a]),
    lambda L, a: L._foreach_max([a], 1),
    lambda L, a: L._foreach_abs(object()),
    lambda L, a: L._foreach_add_([a.int()], 1.5),
    lambda L, a: L._foreach_lerp([a], [a], "w"),
    lambda L, a: L._foreach_pow_(2, [a]),
    lambda L, a: L._foreach_copy_([a]),
    lambda L, a: L._foreach_zero_([a], 1),
    lambda L, a: L._foreach_norm([a], zz=1),
]


@pytest.mark.parametrize("fn", ERRORS)
def test_errors(fn):
    check_error(fn, arr((2,)))


def test_errors_known_text():
    check_error(lambda L, a: L._foreach_add([a, a], [a]), arr((2,)), exc=RuntimeError,
                match="Tensor lists must have the same number of tensors, got 2 and 1")
    check_error(lambda L, a: L._foreach_sqrt([]), arr((2,)), exc=RuntimeError,
                match="Tensor list must have at least one tensor.")
    assert np.isnan(ember._foreach_maximum([ember.tensor([float("nan"), 1.0])],
                                           [ember.tensor([1.0, float("nan")])])[0].numpy()).all()
