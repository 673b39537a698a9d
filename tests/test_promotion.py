"""dtypes and type promotion against torch: promote_types / can_cast / result_type over every
dtype pair, 0-d tensors and Python scalars promoting weakly, true and floor division of ints,
in-place cast errors, and set_default_dtype's effect."""

import itertools

import numpy as np
import pytest

import ember
from oracle import check, check_error, requires_torch, torch

NAMES = ["bool", "uint8", "int8", "int16", "int32", "int64", "float16", "float32", "float64",
         "complex64", "complex128"]
# torch promotes float16 with a 0-d complex / complex scalar to complex32, which ember lacks
_COMPLEX32 = {("float16", "complex64"), ("float16", "complex128"), ("complex64", "float16"),
              ("complex128", "float16")}
PAIRS = list(itertools.product(NAMES, NAMES))
SCALARS = [True, 3, -2, 2.5, 1 + 2j]


def _dt(lib, name):
    return getattr(lib, name)


def _t(lib, name, shape=(2,)):
    return lib.ones(shape, dtype=_dt(lib, name))


@pytest.fixture
def default_float64():
    ember.set_default_dtype(ember.float64)
    if torch is not None:
        torch.set_default_dtype(torch.float64)
    yield
    ember.set_default_dtype(ember.float32)
    if torch is not None:
        torch.set_default_dtype(torch.float32)


@requires_torch
@pytest.mark.parametrize("a", NAMES)
def test_promote_types_and_can_cast(a):
    for b in NAMES:
        e = ember.promote_types(_dt(ember, a), _dt(ember, b))
        t = torch.promote_types(_dt(torch, a), _dt(torch, b))
        assert str(e) == str(t), (a, b)
        assert ember.can_cast(_dt(ember, a), _dt(ember, b)) == \
            torch.can_cast(_dt(torch, a), _dt(torch, b)), (a, b)


@requires_torch
@pytest.mark.parametrize("a", NAMES)
def test_result_type_levels(a):
    """dim>0 tensor vs 0-d tensor vs Python scalar: lower levels only win by category."""
    for b in NAMES:
        for shapes in (((2,), (2,)), ((2,), ()), ((), (2,)), ((), ())):
            if (a, b) in _COMPLEX32 and shapes[0] != shapes[1]:
                continue
            e = ember.result_type(_t(ember, a, shapes[0]), _t(ember, b, shapes[1]))
            t = torch.result_type(_t(torch, a, shapes[0]), _t(torch, b, shapes[1]))
            assert str(e) == str(t), (a, b, shapes)
    for s in SCALARS:
        if a == "float16" and isinstance(s, complex):
            continue
        for shape in ((2,), ()):
            e = ember.result_type(_t(ember, a, shape), s)
            t = torch.result_type(_t(torch, a, shape), s)
            assert str(e) == str(t), (a, s, shape)


ARITH = [lambda a, b: a + b, lambda a, b: a * b, lambda a, b: a / b, lambda a, b: b - a,
         lambda a, b: a == b, lambda a, b: a < b]


@requires_torch
@pytest.mark.parametrize("a", NAMES)
def test_op_dtypes_all_pairs(a):
    """The dtype of real ops (not just result_type) over every pair and both operand orders."""
    for b, i in itertools.product(NAMES, range(len(ARITH))):
        for sa, sb in (((2,), (2,)), ((2,), ())):
            if (a, b) in _COMPLEX32 and sa != sb:
                continue
            outs = []
            for lib in (ember, torch):
                x, y = _t(lib, a, sa), _t(lib, b, sb)
                try:
                    outs.append(str(ARITH[i](x, y).dtype))
                except Exception as err:  # bool subtraction, for one
                    outs.append(type(err).__name__ + ": " + str(err))
            assert outs[0] == outs[1], (a, b, i, sa, sb)


@pytest.mark.parametrize("a", ["bool", "uint8", "int32", "int64", "float16", "float32",
                               "float64"])
def test_scalar_ops(a):
    x = np.ones(3, a) if a == "bool" else (np.arange(3) + 1).astype(a)
    for s in (True, 2, -3, 2.5):
        for fn in (lambda L, x: x + s, lambda L, x: s * x, lambda L, x: x / s, lambda L, x: s / x,
                   lambda L, x: x // 2, lambda L, x: x ** 2, lambda L, x: x > s,
                   lambda L, x: L.where(x > 1, x, s), lambda L, x: L.maximum(x, L.tensor(s))):
            check(fn, x, grad=False)


INT_DIV = [lambda L, a, b: a / b, lambda L, a, b: a // b, lambda L, a, b: a % b,
           lambda L, a, b: L.div(a, b, rounding_mode="trunc"),
           lambda L, a, b: L.div(a, b, rounding_mode="floor"), lambda L, a, b: L.true_divide(a, 2),
           lambda L, a, b: a // 2.5, lambda L, a, b: -7 // b, lambda L, a, b: L.fmod(a, b),
           lambda L, a, b: L.remainder(a, -3)]


@pytest.mark.parametrize("dtype", ["int64", "int32", "int8", "uint8"])
@pytest.mark.parametrize("i", range(len(INT_DIV)))
def test_int_division(i, dtype):
    a = np.array([7, 8, 0, 5, 9, 1], dtype) if dtype == "uint8" else \
        np.array([7, -7, 0, 5, -9, 1], dtype)
    b = np.array([2, 3, 4, 5, 7, 3], dtype) if dtype == "uint8" else \
        np.array([2, -3, 4, 5, 7, -3], dtype)
    check(INT_DIV[i], a, b)


INPLACE_ERRORS = [
    (lambda L, a: a.add_(1.5), "int64"), (lambda L, a: a.mul_(L.ones(2)), "int64"),
    (lambda L, a: a.div_(2), "int32"), (lambda L, a: a.exp_(), "int64"),
    (lambda L, a: a.add_(1), "bool"), (lambda L, a: a.sqrt_(), "uint8"),
    (lambda L, a: a.pow_(0.5), "int64"), (lambda L, a: a.__itruediv__(2), "int64"),
    (lambda L, a: a.sub_(L.ones(2, dtype=L.float64)), "float32"),
    (lambda L, a: a.add_(1j), "float32"),
]


@pytest.mark.parametrize("i", range(len(INPLACE_ERRORS)))
def test_inplace_cast_error(i):
    fn, dtype = INPLACE_ERRORS[i]
    if i == 8:  # float64 into float32 is allowed (same category)
        check(fn, np.ones(2, dtype), grad=False)
        return
    err = check_error(fn, np.ones(2, dtype))
    if i == 0:
        assert str(err) == "result type Float can't be cast to the desired output type Long"


def test_inplace_same_category_ok():
    check(lambda L, a: a.add_(L.ones(2, dtype=L.int64)), np.ones(2, "int8"), grad=False)
    check(lambda L, a: a.mul_(2), np.ones(2, "uint8"), grad=False)
    check(lambda L, a: a.add_(True), np.ones(2, "int16"), grad=False)


def test_default_dtype(default_float64):
    assert ember.get_default_dtype() is ember.float64
    check(lambda L, a: a / 2, np.arange(3), grad=False)
    check(lambda L, a: a * 1.5, np.arange(3, dtype="int32"), grad=False)
    check(lambda L, a: a.exp(), np.arange(3), grad=False)
    check(lambda L, a: a + 1.5, np.ones(3, "float32"), grad=False)
    check(lambda L, a: L.tensor([1.0, 2.0]) * a, np.ones(2, "int64"), grad=False)
    check(lambda L, a: a * 1j, np.ones(2, "int64"), grad=False)


def test_default_dtype_restored():
    assert ember.get_default_dtype() is ember.float32
    check(lambda L, a: a / 2, np.arange(3), grad=False)
    check_error(lambda L: L.set_default_dtype(L.int64))


def test_zero_dim_weak():
    x = np.ones(3, "float16")
    check(lambda L, a: a + L.tensor(1.0, dtype=L.float64), x, grad=False)
    check(lambda L, a: a + L.tensor([1.0], dtype=L.float64), x, grad=False)
    check(lambda L, a: a * L.tensor(2), np.ones(3, "int8"), grad=False)
    check(lambda L, a: a * L.tensor(2.0), np.ones(3, "int8"), grad=False)
    check(lambda L, a: L.tensor(2, dtype=L.int64) + a, np.ones(3, "uint8"), grad=False)
