"""ember.testing against torch.testing: assert_close's outcomes and messages byte for byte,
assert_allclose, make_tensor's values under a seed and its errors."""
import collections
import warnings

import numpy as np
import pytest

import ember
from oracle import requires_torch


def _outcome(fn, lib):
    try:
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            r = fn(lib)
    except Exception as e:  # the comparison's verdict: its type and exact text
        return type(e).__name__, str(e)
    return r, [(x.category.__name__, str(x.message)) for x in w]


def _same(fn):
    torch = pytest.importorskip("torch")
    want, got = _outcome(fn, torch), _outcome(fn, ember)
    assert got == want
    return got


def ac(*args, **kw):
    """A case: lib -> lib.testing.assert_close(*args(lib), **kw)."""
    return lambda lib: lib.testing.assert_close(*args[0](lib), **kw)


def t(values, dtype="float32"):
    return lambda lib: lib.tensor(values, dtype=getattr(lib, dtype))


def pair(a, b):
    return lambda lib: (a(lib), b(lib))


def plain(a, b):
    return lambda lib: (a, b)


CASES = {
    "equal": ac(pair(t([1.0, 2.0, 3.0]), t([1.0, 2.0, 3.0]))),
    "within_tol": ac(pair(t([1.0, 2.0, 3.0]), t([1.0, 2.0, 3.000001]))),
    "f32": ac(pair(t([1.0, 2.0, 3.0]), t([1.0, 2.0, 3.1]))),
    "f64": ac(pair(t([[1.0, 2.0], [3.0, 4.0]], "float64"), t([[1.0, 2.5], [3.0, 4.5]],
                                                              "float64"))),
    "f16": ac(pair(t([1.0, 2.0, 3.0], "float16"), t([1.0, 2.01, 3.0], "float16"))),
    "bf16": ac(pair(t([1.0, 2.0, 3.0], "bfloat16"), t([1.0, 2.5, 3.0], "bfloat16"))),
    "c64": ac(pair(t([1 + 1j, 2 - 1j], "complex64"), t([1 + 1j, 2 + 1j], "complex64"))),
    "i64": ac(pair(t([1, 2, 3], "int64"), t([1, 5, 0], "int64"))),
    "u8": ac(pair(t([1, 2, 3], "uint8"), t([3, 2, 1], "uint8"))),
    "bool_t": ac(pair(t([True, False], "bool"), t([True, True], "bool"))),
    "zero_d": ac(pair(t(1.5), t(1.25))),
    "zero_expected": ac(pair(t([1.0, 0.5]), t([1.0, 0.0]))),
    "nan": ac(pair(t([float("nan"), 1.0]), t([float("nan"), 1.0]))),
    "nan_equal": ac(pair(t([float("nan"), 1.0]), t([float("nan"), 1.0])), equal_nan=True),
    "nan_vs_num": ac(pair(t([1.0, 2.0]), t([float("nan"), 2.0]))),
    "inf": ac(pair(t([float("inf"), 1.0]), t([float("inf"), 1.0]))),
    "inf_sign": ac(pair(t([float("inf"), 1.0]), t([float("-inf"), 1.0]))),
    "shape": ac(pair(t([1.0, 2.0]), t([1.0, 2.0, 3.0]))),
    "dtype": ac(pair(t([1.0, 2.0]), t([1.0, 2.0], "float64"))),
    "dtype_unchecked": ac(pair(t([1, 2], "int64"), t([1.0, 2.5])), check_dtype=False),
    "stride": ac(lambda lib: (lib.zeros(2, 3).T, lib.zeros(3, 2)), check_stride=True),
    "stride_unchecked": ac(lambda lib: (lib.zeros(2, 3).T, lib.zeros(3, 2))),
    "device": ac(lambda lib: (lib.empty(2, device="meta"), lib.zeros(2))),
    "meta_both": ac(lambda lib: (lib.empty(2, device="meta"), lib.ones(2, device="meta"))),
    "tols": ac(pair(t([1.0, 2.0]), t([1.0, 2.1])), rtol=0.0, atol=0.2),
    "tols_exact": ac(pair(t([1.0, 2.0]), t([1.0, 2.1])), rtol=0, atol=0),
    "int_tols": ac(pair(t([10, 20], "int64"), t([11, 20], "int64")), rtol=0.0, atol=1.0),
    "rtol_only": ac(pair(t([1.0]), t([1.0])), rtol=0.1),
    "atol_only": ac(pair(t([1.0]), t([1.0])), atol=0.1),
    "msg_str": ac(pair(t([1.0, 2.0]), t([1.0, 3.0])), msg="custom message"),
    "msg_callable": ac(pair(t([1.0, 2.0]), t([1.0, 3.0])), msg=lambda m: f"Header\n\n{m}"),
    "big": ac(lambda lib: (lib.arange(24.0).reshape(2, 3, 4),
                           lib.arange(24.0).reshape(2, 3, 4) * 1.01)),
    "scalars": ac(plain(1.0, 1.1)),
    "scalars_close": ac(plain(1.0, 1.0 + 1e-9)),
    "scalars_int": ac(plain(3, 4)),
    "scalar_types": ac(plain(1, 1.0)),
    "scalar_types_unchecked": ac(plain(1, 1.0), check_dtype=False),
    "complex_scalars": ac(plain(1 + 2j, 1 + 3j)),
    "scalar_zero": ac(plain(0.5, 0.0)),
    "scalar_nan": ac(plain(float("nan"), float("nan"))),
    "scalar_nan_equal": ac(plain(float("nan"), float("nan")), equal_nan=True),
    "np_scalars": ac(plain(np.float32(1.5), np.float32(1.75))),
    "booleans": ac(plain(True, False)),
    "np_booleans": ac(plain(np.bool_(True), np.bool_(True))),
    "bool_int": ac(plain(True, 1)),
    "none": ac(plain(None, None)),
    "none_mismatch": ac(plain(None, 1)),
    "nested_none": ac(plain([None, 1], [None, None])),
    "np_arrays": ac(plain(np.array([1.0, 2.0]), np.array([1.0, 2.5]))),
    "np_f32": ac(plain(np.array([1.0, 2.0], "float32"), np.array([1.0, 2.5], "float32"))),
    "tensor_vs_np": ac(lambda lib: (lib.ones(2), np.ones(2))),
    "tensor_vs_float": ac(lambda lib: (lib.ones(()), 1.0)),
    "objects": ac(plain(object, object)),
    "strings": ac(plain("a", "a")),
    "subclass_ok": ac(lambda lib: (lib.nn.Parameter(lib.ones(2)), lib.ones(2))),
    "subclass_refused": ac(lambda lib: (lib.nn.Parameter(lib.ones(2)), lib.ones(2)),
                           allow_subclasses=False),
    "seq_len": ac(plain([1, 2], [1, 2, 3]), msg="ignored for structure"),
    "seq_item": ac(lambda lib: ([lib.ones(2), 2.0], (lib.ones(2), 2.5))),
    "seq_nested_msg": ac(lambda lib: ([[lib.ones(2)]], [[lib.zeros(2)]]), msg=lambda m: m + "!"),
    "map_keys": ac(plain({"a": 1, "b": 2}, {"a": 1, "c": 2})),
    "map_item": ac(lambda lib: (collections.OrderedDict(w=lib.ones(2), b=1.0),
                                {"b": 1.0, "w": lib.full((2,), 1.5)})),
    "map_mixed_keys": ac(plain({1: 1.0, "x": 2.0}, {1: 1.0, "x": 2.0})),
    "mixed_seq": ac(lambda lib: ([lib.tensor([1.0]), 2.0, np.array(3.0)],
                                 (lib.tensor([1.0]), 2.0, np.array(3.0)))),
    "size": ac(lambda lib: (lib.ones(2, 3).shape, (2, 3))),
    "tensor_vs_list": ac(lambda lib: (lib.ones(2), [1.0, 1.0])),
    "dict_vs_list": ac(plain({"a": 1}, [1])),
    "c128_zero_d": ac(pair(t(1 + 1j, "complex128"), t(1 + 2j, "complex128"))),
    "f16_zero_d": ac(pair(t(1.0, "float16"), t(1.5, "float16"))),
    "int_vs_int32": ac(pair(t([1, 2], "int32"), t([1, 3], "int64")), check_dtype=False),
    "bool_vs_float": ac(pair(t([True, False], "bool"), t([1.0, 0.5])), check_dtype=False),
    "empty": ac(pair(t([]), t([]))),
    "empty_shape": ac(lambda lib: (lib.ones(0, 2), lib.ones(2, 0))),
    "devices": ac(lambda lib: (lib.device("cpu"), lib.device("cpu"))),
    "modules": ac(lambda lib: (lib.nn.ReLU(), lib.nn.ReLU())),
}


def _random_case(seed):
    rng = np.random.default_rng(seed)
    dtype = ["float32", "float64", "float16", "int64", "int16", "complex64"][seed % 6]
    shape = tuple(rng.integers(1, 4, rng.integers(1, 4)))
    a = rng.normal(size=shape) * 10
    b = a.copy()
    flat = b.reshape(-1)
    for i in rng.integers(0, flat.size, rng.integers(0, 3)):
        flat[i] += rng.choice([1e-7, 1e-3, 1.0, np.inf, np.nan])
    if dtype.startswith("int"):
        a, b = np.nan_to_num(a, posinf=99), np.nan_to_num(b, posinf=99)
    if dtype == "complex64":
        a, b = a + 1j * a[::-1], b + 2j
    return ac(lambda lib: (lib.tensor(a.tolist(), dtype=getattr(lib, dtype)),
                           lib.tensor(b.tolist(), dtype=getattr(lib, dtype))))


CASES.update({f"random{i}": _random_case(i) for i in range(24)})


@requires_torch
@pytest.mark.parametrize("name", sorted(CASES))
def test_assert_close_matches_torch(name):
    _same(CASES[name])


def test_assert_close_without_oracle():
    # what does not need torch: a pass, a failure's type and head line
    ember.testing.assert_close(ember.ones(3), ember.ones(3))
    with pytest.raises(AssertionError, match="^Tensor-likes are not close!\n\nMismatched "):
        ember.testing.assert_close(ember.ones(3), ember.zeros(3))


ALLCLOSE = {
    "close": lambda lib: lib.testing.assert_allclose(lib.ones(3), [1.0, 1.0, 1.00001]),
    "far": lambda lib: lib.testing.assert_allclose(lib.ones(3), [1.0, 1.0, 1.1]),
    "nan": lambda lib: lib.testing.assert_allclose(lib.tensor([float("nan")]), [float("nan")]),
    "int_vs_float": lambda lib: lib.testing.assert_allclose([1, 2], lib.tensor([1.0, 2.5])),
    "msg": lambda lib: lib.testing.assert_allclose(lib.ones(2), lib.zeros(2), msg="mine"),
    "f64": lambda lib: lib.testing.assert_allclose(lib.ones(2, dtype=lib.float64),
                                                   lib.ones(2, dtype=lib.float64) + 1e-6),
}


@requires_torch
@pytest.mark.parametrize("name", sorted(ALLCLOSE))
def test_assert_allclose_matches_torch(name):
    _same(ALLCLOSE[name])


def mk(*shape, **kw):
    def run(lib):
        lib.manual_seed(7)
        kw2 = {k: getattr(lib, v) if k in ("dtype", "memory_format") else v
               for k, v in kw.items()}
        r = lib.testing.make_tensor(*shape, device="cpu", **kw2)
        return (r.tolist(), str(r.dtype), tuple(r.shape), r.stride(), r.is_contiguous(),
                r.requires_grad)
    return run


MAKE = {
    "f32": mk(3, 4, dtype="float32"), "f64": mk((2, 3), dtype="float64"),
    "f16": mk(5, dtype="float16"), "bf16": mk([5], dtype="bfloat16"),
    "c64": mk(2, 2, dtype="complex64"), "i64": mk(6, dtype="int64"),
    "i8": mk(6, dtype="int8", low=-200, high=200), "u8": mk(6, dtype="uint8"),
    "bool": mk(8, dtype="bool"), "range": mk(4, dtype="float32", low=0.5, high=0.75),
    "huge": mk(4, dtype="float32", low=-1e39, high=1e39),
    "noncontig": mk(2, 3, dtype="float32", noncontiguous=True),
    "grad": mk(2, dtype="float64", requires_grad=True),
    "exclude_zero": mk(20, dtype="int64", low=-1, high=2, exclude_zero=True),
    "exclude_zero_f": mk(4, dtype="float32", low=0, high=1e-45, exclude_zero=True),
    "channels_last": mk(1, 2, 2, 2, dtype="float32", memory_format="channels_last"),
    "err_low_high": mk(2, dtype="float32", low=3, high=1),
    "err_nan": mk(2, dtype="float32", low=float("nan")),
    "err_range": mk(2, dtype="uint8", low=-10, high=-1),
    "err_grad_int": mk(2, dtype="int64", requires_grad=True),
    "err_both": mk(2, dtype="float32", noncontiguous=True, memory_format="channels_last"),
    "warn_low_eq_high": mk(2, dtype="float32", low=1.0, high=1.0),
}


@requires_torch
@pytest.mark.parametrize("name", sorted(MAKE))
def test_make_tensor_matches_torch(name):
    _same(MAKE[name])


def test_filecheck_is_refused():
    with pytest.raises(NotImplementedError, match=r"^ember does not implement "
                       r"torch\.testing\.FileCheck yet$"):
        ember.testing.FileCheck()


@requires_torch
def test_not_close_error_metas_default_object_pairs_match_torch():
    from torch.testing._comparison import not_close_error_metas as want

    from ember.testing._comparison import not_close_error_metas as got
    for a, b in [([1, 2], [1, 3]), ({"a": "x"}, {"a": "y"}), ("ab", "ab"), ((1, [2]), (1, [2]))]:
        assert ([(m.type, m.msg, m.id) for m in got(a, b)]
                == [(m.type, m.msg, m.id) for m in want(a, b)])
