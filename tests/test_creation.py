"""Creation against torch: tensor() inference, as_tensor/from_numpy sharing, factories, ranges,
and the legacy constructors."""

import numpy as np
import pytest

import ember
from oracle import assert_same, check_error, requires_torch, torch


def both(fn):
    """fn(lib) on ember and torch; compares the (tensor) results."""
    e, t = fn(ember), fn(torch)
    es, ts = (e, t) if isinstance(e, tuple) else ((e,), (t,))
    for a, b in zip(es, ts):
        assert_same(a, b, rtol=0, atol=0)
        if ember.is_tensor(a):
            assert a.requires_grad == b.requires_grad
    return e


_DATA = {
    "int": 3, "float": 2.5, "bool": True, "neg": -7, "big_int": 2 ** 40,
    "list_int": [1, 2, 3], "list_float": [1.0, 2, 3], "list_bool": [True, False],
    "mixed_bool_int": [True, 2], "mixed_int_float": [1, 2.5], "mixed_bool_float": [True, 0.5],
    "nested": [[1, 2], [3, 4]], "nested_float": [[1.5], [2.0]], "empty": [],
    "empty_nested": [[], []], "tuple": (1, 2), "deep": [[[1.0]]],
    "np_f32_scalar": np.float32(1.5), "np_i32_scalar": np.int32(3), "np_f64": np.float64(2.0),
    "np_bool": np.bool_(True), "list_np_f64": [np.float64(1.0), np.float64(2.0)],
    "list_np_i16": [np.int16(1), np.int16(2)], "np_i16_array": np.array([1, 2], np.int16),
    "np_f64_array": np.array([[1.0, 2.0]]), "np_u8_array": np.array([1, 255], np.uint8),
    "np_bool_array": np.array([True, False]), "np_f16": np.array([1.5], np.float16),
    "inf_nan": [float("inf"), float("nan"), -0.0], "complex": [1 + 2j],
    "list_of_0d_tensors": "tensors",
}


@requires_torch
@pytest.mark.parametrize("name", list(_DATA))
def test_tensor_inference(name):
    data = _DATA[name]
    if isinstance(data, str):
        both(lambda L: L.tensor([L.tensor(1.0), L.tensor(2.0)]))
        return
    both(lambda L: L.tensor(data))


@requires_torch
@pytest.mark.parametrize("dtype", ["float64", "int32", "bool", "uint8", "float16", "int8"])
def test_tensor_dtype(dtype):
    both(lambda L: L.tensor([[1, 0], [2, 3]], dtype=getattr(L, dtype)))
    both(lambda L: L.tensor([1.7, 0.2, 3], dtype=getattr(L, dtype)))


@requires_torch
def test_tensor_default_dtype():
    try:
        ember.set_default_dtype(ember.float64)
        torch.set_default_dtype(torch.float64)
        both(lambda L: (L.tensor([1.0]), L.tensor([1]), L.zeros(2), L.arange(0.0, 1.0, 0.5),
                        L.tensor([1j])))
    finally:
        ember.set_default_dtype(ember.float32)
        torch.set_default_dtype(torch.float32)


@requires_torch
def test_tensor_requires_grad_and_copy():
    both(lambda L: L.tensor([1.0, 2.0], requires_grad=True))
    a = np.ones(3, np.float32)
    t = ember.tensor(a)
    a[0] = 5
    assert t[0].item() == 1.0
    x = ember.ones(2)
    y = ember.tensor(x)
    x.add_(1)
    assert y.tolist() == [1.0, 1.0]


_ERRORS = {
    "ragged": lambda L: L.tensor([[1, 2], [3]]),
    "ragged_deep": lambda L: L.tensor([[[1], [2]], [[3], [4, 5]]]),
    "ragged_scalar_seq": lambda L: L.tensor([1, [2]]),
    "str": lambda L: L.tensor("abc"),
    "list_str": lambda L: L.tensor(["a"]),
    "requires_grad_int": lambda L: L.tensor([1, 2], requires_grad=True),
    "none": lambda L: L.tensor(None),
    "negative_size": lambda L: L.zeros(-1),
    "negative_size_2": lambda L: L.ones(2, -3),
    "float_size": lambda L: L.zeros(2.5),
    "arange_zero_step": lambda L: L.arange(0, 3, 0),
    "arange_sign": lambda L: L.arange(0, 3, -1),
    "linspace_neg": lambda L: L.linspace(0, 1, -1),
    "from_numpy_list": lambda L: L.from_numpy([1, 2]),
    "from_numpy_object": lambda L: L.from_numpy(np.array(["a"])),
    "eye_neg": lambda L: L.eye(-1),
    "full_int_requires_grad": lambda L: L.full((2,), 1, requires_grad=True),
}


@pytest.mark.parametrize("name", list(_ERRORS))
def test_errors(name):
    check_error(_ERRORS[name])


_FACTORIES = {
    "zeros_args": lambda L: L.zeros(2, 3),
    "zeros_tuple": lambda L: L.zeros((2, 3)),
    "zeros_list": lambda L: L.zeros([2, 3]),
    "zeros_size": lambda L: L.zeros(L.Size([2, 3])),
    "zeros_0d": lambda L: L.zeros(()),
    "zeros_empty_call": lambda L: L.zeros([]),
    "zeros_dtype": lambda L: L.zeros(2, dtype=L.int64),
    "zeros_grad": lambda L: L.zeros(2, requires_grad=True),
    "ones": lambda L: L.ones(3, 1, dtype=L.float64),
    "ones_bool": lambda L: L.ones(2, dtype=L.bool),
    "full_float": lambda L: L.full((2, 2), 1.5),
    "full_int": lambda L: L.full((2,), 7),
    "full_bool": lambda L: L.full((2,), True),
    "full_dtype": lambda L: L.full([3], 2, dtype=L.float32),
    "full_size_int": lambda L: L.full((3,), -1.0),
    "empty_shape": lambda L: L.empty(2, 3).shape,
    "empty_dtype": lambda L: str(L.empty((2,), dtype=L.int32).dtype),
    "zeros_like": lambda L: L.zeros_like(L.ones(2, 3, dtype=L.int32)),
    "ones_like": lambda L: L.ones_like(L.ones(2, 3), dtype=L.float64),
    "full_like": lambda L: L.full_like(L.ones(2, dtype=L.int64), 2.7),
    "full_like_float": lambda L: L.full_like(L.ones(2), 2.7),
    "empty_like": lambda L: L.empty_like(L.ones(2, 3)).shape,
    "rand_like_dtype": lambda L: L.zeros_like(L.ones(2), requires_grad=True),
    "eye": lambda L: L.eye(3),
    "eye_rect": lambda L: L.eye(2, 4),
    "eye_dtype": lambda L: L.eye(3, dtype=L.int64),
    "eye_zero": lambda L: L.eye(0),
    "new_zeros": lambda L: L.ones(2, dtype=L.float64).new_zeros(3),
    "new_ones": lambda L: L.ones(2, dtype=L.int32).new_ones((2, 2)),
    "new_full": lambda L: L.ones(2).new_full((2,), 3),
    "new_tensor": lambda L: L.ones(2, dtype=L.float64).new_tensor([1, 2]),
    "new_empty": lambda L: L.ones(2).new_empty(3).shape,
    "tril_indices": lambda L: L.tril_indices(3, 3),
    "triu_indices": lambda L: L.triu_indices(3, 4, 1),
    "meshgrid": lambda L: L.meshgrid(L.arange(3), L.arange(2), indexing="ij"),
    "meshgrid_xy": lambda L: L.meshgrid(L.arange(3), L.arange(2), indexing="xy"),
}


@requires_torch
@pytest.mark.parametrize("name", list(_FACTORIES))
def test_factories(name):
    both(_FACTORIES[name])


_RANGES = [
    (5,), (2, 7), (1, 10, 3), (10, 1, -2), (0.0, 1.0, 0.1), (0, 1, 0.1), (-1.0, 1.0, 0.3),
    (1.5,), (0, 5.5), (0.5, 10.5, 1.5), (3, 3), (0, -1.0, -0.25), (0, 2, 0.3),
    (1e-3, 1e-2, 1e-3), (-5, 5, 0.7), (0, 100, 7), (2.5, -2.5, -0.35),
]


@requires_torch
@pytest.mark.parametrize("args", _RANGES, ids=str)
def test_arange(args):
    both(lambda L: L.arange(*args))
    both(lambda L: L.arange(*args, dtype=L.float64))


@requires_torch
@pytest.mark.parametrize("dtype", ["int32", "int64", "float16", "uint8"])
def test_arange_dtype(dtype):
    both(lambda L: L.arange(0, 10, 3, dtype=getattr(L, dtype)))
    both(lambda L: L.arange(0.5, 6, 1.5, dtype=getattr(L, dtype)))


@requires_torch
def test_arange_tensor_args():
    both(lambda L: L.arange(L.tensor(4)))
    both(lambda L: L.arange(L.tensor(1.0), 3))


_LIN = [(0, 1, 5), (-1.0, 1.0, 7), (0, 10, 1), (3, 3, 4), (0, 1, 0), (1, -1, 6), (0, 1, 100),
        (-3.3, 7.1, 33), (2, 9, 4)]


@requires_torch
@pytest.mark.parametrize("args", _LIN, ids=str)
def test_linspace(args):
    both(lambda L: L.linspace(*args))
    both(lambda L: L.linspace(*args, dtype=L.float64))
    # pow's last bit differs between libm and NumPy: logspace is compared to an ulp
    for kw in ({}, {"base": 2.0, "dtype": "float64"}):
        e, t = (L.logspace(*args, **{k: getattr(L, v) if k == "dtype" else v
                                     for k, v in kw.items()}) for L in (ember, torch))
        assert_same(e, t, rtol=1e-6 if e.dtype == ember.float32 else 1e-15, atol=0)


@requires_torch
def test_linspace_int():
    both(lambda L: L.linspace(0, 10, 4, dtype=L.int64))
    both(lambda L: L.linspace(-5, 5, 7, dtype=L.int32))


def test_as_tensor_and_from_numpy_share():
    for L in (ember,):
        a = np.arange(6, dtype=np.float32).reshape(2, 3)
        t = L.from_numpy(a)
        a[0, 0] = 100
        assert t[0, 0].item() == 100
        t[1, 2] = -1
        assert a[1, 2] == -1
        u = L.as_tensor(a)
        u[0, 1] = 7
        assert a[0, 1] == 7
        n = t.numpy()
        n[1, 1] = 42
        assert t[1, 1].item() == 42
        assert np.shares_memory(t.numpy(), a)
        c = L.as_tensor(a, dtype=L.float64)
        c[0, 0] = -5
        assert a[0, 0] == 100
        x = L.ones(3)
        assert L.as_tensor(x) is x
        assert L.asarray(x) is x
        v = x.numpy()
        v[0] = 9
        assert x[0].item() == 9


@requires_torch
def test_from_numpy_dtypes():
    for dt in ["float16", "float32", "float64", "int8", "int16", "int32", "int64", "uint8",
               "bool"]:
        both(lambda L: L.from_numpy(np.ones(2, dt)))
    both(lambda L: L.as_tensor([1, 2]))
    both(lambda L: L.as_tensor(np.array([1, 2], np.int16)))
    both(lambda L: L.as_tensor([1.0, 2.0], dtype=L.float64))


@requires_torch
def test_legacy_constructors():
    assert_same(ember.Tensor(np.arange(3)), torch.Tensor(np.arange(3)))
    assert_same(ember.Tensor([1, 2]), torch.Tensor([1, 2]))
    assert_same(ember.Tensor(2, 3).shape, torch.Tensor(2, 3).shape)
    assert_same(ember.Tensor(), torch.Tensor())
    assert_same(ember.FloatTensor([1, 2]), torch.FloatTensor([1, 2]))
    assert_same(ember.LongTensor([1.7, 2]), torch.LongTensor([1.7, 2]))
    assert_same(ember.DoubleTensor(2).shape, torch.DoubleTensor(2).shape)
    assert_same(ember.ByteTensor([1, 2]), torch.ByteTensor([1, 2]))
    assert_same(ember.BoolTensor([1, 0]), torch.BoolTensor([1, 0]))
    assert_same(ember.IntTensor(ember.Size([2])).shape, torch.IntTensor(torch.Size([2])).shape)
    e, t = ember.ones(2, dtype=ember.float64), torch.ones(2, dtype=torch.float64)
    assert_same(e.new(2, 3).shape, t.new(2, 3).shape)
    assert e.new(2, 3).dtype == ember.float64
    assert_same(e.new([1, 2]), t.new([1, 2]))
    assert_same(e.new(), t.new())
    assert_same(e.type(ember.FloatTensor), t.type(torch.FloatTensor))
    assert_same(e.type("torch.LongTensor"), t.type("torch.LongTensor"))
    assert e.type() == t.type()
    assert isinstance(ember.ones(2), ember.FloatTensor)
    assert not isinstance(ember.ones(2), ember.LongTensor)
    assert isinstance(ember.ones(2, dtype=ember.int64), ember.LongTensor)
    assert isinstance(ember.ones(2), ember.Tensor)
    assert repr(ember.FloatTensor) == repr(torch.FloatTensor)


def test_legacy_errors():
    check_error(lambda L: L.Tensor("abc"))
    check_error(lambda L: L.FloatTensor([[1], [2, 3]]))


@pytest.mark.parametrize("fn", [
    lambda L: L.Tensor(L.arange(3)),
    lambda L: L.Tensor(L.ones(3, 2).t()),
    lambda L: L.FloatTensor(L.arange(3.0)),
    lambda L: L.Tensor(L.ones(2, requires_grad=True)) * 2,
])
def test_legacy_constructor_of_a_tensor_is_an_alias(fn):
    e = fn(ember)
    if torch is None:
        pytest.skip("torch (the oracle) is not installed")
    t = fn(torch)
    assert (str(e.dtype), tuple(e.shape), e.stride(), e.requires_grad) == \
        (str(t.dtype), tuple(t.shape), t.stride(), t.requires_grad)


def test_legacy_constructor_shares_memory():
    t = ember.arange(3.0)
    a = ember.Tensor(t)
    a.add_(1)
    assert t.tolist() == [1.0, 2.0, 3.0]


@pytest.mark.parametrize("fn", [lambda L: L.DoubleTensor(L.ones(2)),
                                lambda L: L.FloatTensor(L.ones(2, dtype=L.float16)),
                                lambda L: L.LongTensor(L.ones(2))])
def test_typed_legacy_constructor_refuses_another_dtype(fn):
    check_error(fn)
