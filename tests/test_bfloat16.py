"""bfloat16 as a real dtype, against torch 2.13: promotion, casts (bitwise), creation, arithmetic,
autograd, printing, NumPy interop and checkpoints.

bfloat16 arrays need the optional ml_dtypes (`ember[bf16]`). Without it, `_need_bf16` checks
ember's clear error and then skips: the missing extra is checked, never silently skipped.
"""

import subprocess
import sys

import numpy as np
import pytest

import ember
from ember import _dtype
from oracle import torch

BF16_DTYPES = ("bool", "uint8", "int8", "int16", "int32", "int64", "float16", "bfloat16",
               "float32", "float64", "complex64", "complex128")


def _need_bf16():
    """Skips after checking ember's error when ml_dtypes is missing."""
    if _dtype.has_bfloat16():
        return
    with pytest.raises(ImportError) as ei:
        ember.zeros(2, dtype=ember.bfloat16)
    assert str(ei.value) == _dtype.BF16_EXTRA
    pytest.skip("ml_dtypes is not installed (its error was checked)")


def _need_torch():
    _need_bf16()
    if torch is None:
        pytest.skip("torch (the oracle) is not installed")


def _bits(t):
    """A bfloat16 tensor's bit patterns (ember's or torch's) as uint16."""
    if ember.is_tensor(t):
        return np.asarray(t._data).view(np.uint16)
    return t.view(torch.int16).numpy().view(np.uint16)


def _same_bits(e, t):
    """Bit-exact equality, NaNs counted equal (torch's NaN payloads vary with its CPU path)."""
    assert str(e.dtype) == str(t.dtype)
    assert tuple(e.shape) == tuple(t.shape)
    if str(t.dtype) != "torch.bfloat16":
        a, b = e.detach().numpy(), t.detach().numpy()
        np.testing.assert_array_equal(a, b)
        return
    a, b = _bits(e.detach()), _bits(t.detach())
    nan_a = (a & 0x7FFF) > 0x7F80
    nan_b = (b & 0x7FFF) > 0x7F80
    np.testing.assert_array_equal(nan_a, nan_b)
    np.testing.assert_array_equal(a[~nan_a], b[~nan_b])


def _values(seed=0, n=64, scale=3.0):
    rng = np.random.default_rng(seed)
    x = (rng.standard_normal(n) * scale).astype(np.float32)
    return x


# ---------------------------------------------------------------- the dtype object
def test_dtype_without_ml_dtypes():
    """`import ember` and the dtype object need no ml_dtypes; a bfloat16 array needs it and
    says so."""
    code = ("import sys; sys.modules['ml_dtypes'] = None\n"
            "import ember\n"
            "d = ember.bfloat16\n"
            "assert 'ml_dtypes' not in sys.modules or sys.modules['ml_dtypes'] is None\n"
            "print(d, d.itemsize, d.is_floating_point, d.is_signed, ember.finfo(d).eps,\n"
            "      ember.promote_types(d, ember.float16))\n"
            "try:\n"
            "    ember.ones(2, dtype=d)\n"
            "except ImportError as e:\n"
            "    print(e)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.splitlines()
    assert out == ["torch.bfloat16 2 True True 0.0078125 torch.float32", _dtype.BF16_EXTRA]


def test_import_does_not_load_ml_dtypes():
    code = "import sys, ember; print('ml_dtypes' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out.strip() == "False"


def test_dtype_attributes():
    d = ember.bfloat16
    got = (repr(d), d.itemsize, d.is_floating_point, d.is_complex, d.is_signed,
           d.to_complex(), d.to_real())
    if torch is None:
        pytest.skip("torch (the oracle) is not installed")
    t = torch.bfloat16
    assert got == (repr(t), t.itemsize, t.is_floating_point, t.is_complex, t.is_signed,
                   _dtype._BY_NAME[t.to_complex().__repr__()[6:]], d)
    assert ember.BFloat16Tensor.dtype is d


def test_promotion_table():
    if torch is None:
        pytest.skip("torch (the oracle) is not installed")
    for a in BF16_DTYPES:
        for b in ("bfloat16",):
            ea, eb = _dtype._BY_NAME[a], _dtype._BY_NAME[b]
            ta, tb = getattr(torch, a), getattr(torch, b)
            assert repr(ember.promote_types(ea, eb)) == repr(torch.promote_types(ta, tb))
            assert repr(ember.promote_types(eb, ea)) == repr(torch.promote_types(tb, ta))
            assert ember.can_cast(ea, eb) == torch.can_cast(ta, tb)
            assert ember.can_cast(eb, ea) == torch.can_cast(tb, ta)


@pytest.mark.parametrize("other", [1, 2.5, True, 1j, "f16_0d", "f32_0d", "f64_0d", "i64",
                                   "f16", "f32", "c64_0d"])
def test_result_type_with_bf16(other):
    _need_torch()

    def make(L):
        x = L.ones(3, dtype=L.bfloat16)
        o = {"f16_0d": lambda: L.tensor(1.0, dtype=L.float16),
             "f32_0d": lambda: L.tensor(1.0), "f64_0d": lambda: L.tensor(1.0, dtype=L.float64),
             "i64": lambda: L.ones(3, dtype=L.int64), "f16": lambda: L.ones(3, dtype=L.float16),
             "f32": lambda: L.ones(3), "c64_0d": lambda: L.tensor(1j)}
        y = o[other]() if isinstance(other, str) else other
        return L.result_type(x, y), (x + y).dtype, (y * x).dtype
    assert tuple(map(repr, make(ember))) == tuple(map(repr, make(torch)))


def test_0d_bf16_with_other_tensors():
    _need_torch()
    for name in ("float16", "float32", "int64", "uint8", "bool"):
        def f(L):
            return (L.ones(2, dtype=getattr(L, name)) + L.tensor(1, dtype=L.bfloat16)).dtype
        assert repr(f(ember)) == repr(f(torch))


# ---------------------------------------------------------------- casts, bitwise
_SPECIAL = [0.0, -0.0, 1.0, 1 + 2 ** -8, 1 + 3 * 2 ** -8, 1 + 2 ** -8 + 2 ** -30, 3.4e38, -3.4e38,
            1e-40, -1e-45, 65504.0, 1e30, float("inf"), float("-inf"), float("nan"), 300.7,
            -2.5, 1.5, 0.1, 255.9]


@pytest.mark.parametrize("src", ["float32", "float64", "float16", "int64", "int32", "uint8",
                                 "int8", "bool", "complex64"])
def test_cast_to_bf16(src):
    _need_torch()
    if src in ("int64", "int32", "uint8", "int8"):
        info = np.iinfo(src)
        vals = np.array([0, 1, -1, 7, 257, -129, 255, info.max, info.min, 2 ** 24 + 1,
                         2 ** 62 + 2 ** 54 + 1], dtype=object)
        a = np.array([int(v) for v in vals if info.min <= v <= info.max], dtype=src)
    elif src == "bool":
        a = np.array([True, False])
    elif src == "complex64":
        a = (np.array(_SPECIAL[:10], np.float32) + 1j).astype(np.complex64)
    else:
        with np.errstate(over="ignore"):
            a = np.concatenate([np.array(_SPECIAL, dtype=src), _values().astype(src)])
    e = ember.from_numpy(a.copy()).to(ember.bfloat16)
    t = torch.from_numpy(a.copy()).to(torch.bfloat16)
    _same_bits(e, t)
    _same_bits(ember.from_numpy(a.copy()).bfloat16(), t)


@pytest.mark.parametrize("dst", ["float32", "float64", "float16", "int64", "int32", "uint8",
                                 "int8", "bool", "complex64"])
def test_cast_from_bf16(dst):
    _need_torch()
    vals = np.array([v for v in _SPECIAL if dst in ("float32", "float64", "complex64")
                     or np.isfinite(v) and abs(v) < 100], np.float32)
    e = ember.from_numpy(vals.copy()).bfloat16()
    t = torch.from_numpy(vals.copy()).bfloat16()
    _same_bits(e.to(getattr(ember, dst)), t.to(getattr(torch, dst)))
    if dst == "float32":
        _same_bits(e.float(), t.float())


def test_tensor_with_dtype():
    _need_torch()
    data = [[1 + 2 ** -8 + 2 ** -30, 0.1, -3.3], [1e30, 7, float("nan")]]
    _same_bits(ember.tensor(data, dtype=ember.bfloat16), torch.tensor(data, dtype=torch.bfloat16))
    _same_bits(ember.tensor(2.7, dtype=ember.bfloat16), torch.tensor(2.7, dtype=torch.bfloat16))
    _same_bits(ember.as_tensor([1, 2, 3], dtype=ember.bfloat16),
               torch.as_tensor([1, 2, 3], dtype=torch.bfloat16))
    for name in ("zeros", "ones", "empty"):
        e, t = getattr(ember, name)(2, 3, dtype=ember.bfloat16), getattr(torch, name)(
            2, 3, dtype=torch.bfloat16)
        assert (e.dtype, e.shape, e.element_size()) == (ember.bfloat16, (2, 3), 2)
        if name != "empty":
            _same_bits(e, t)
    _same_bits(ember.full((2,), 0.1, dtype=ember.bfloat16),
               torch.full((2,), 0.1, dtype=torch.bfloat16))
    _same_bits(ember.arange(0, 3, 0.7, dtype=ember.bfloat16),
               torch.arange(0, 3, 0.7, dtype=torch.bfloat16))
    _same_bits(ember.ones(2).type(ember.BFloat16Tensor), torch.ones(2).type(torch.BFloat16Tensor))
    assert ember.ones(2, dtype=ember.bfloat16).type() == "torch.BFloat16Tensor"
    _same_bits(ember.BFloat16Tensor([1.3, 2]), torch.BFloat16Tensor([1.3, 2]))


def test_tensor_properties():
    _need_bf16()
    x = ember.ones(2, 3, dtype=ember.bfloat16)
    assert (x.element_size(), x.is_floating_point(), ember.is_floating_point(x),
            x.is_complex(), x.nbytes, x.itemsize) == (2, True, True, False, 12, 2)
