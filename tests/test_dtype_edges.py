"""Dtype edge cases where ember gave other numbers or dtypes than torch 2.13, or computed what
torch refuses. Expected values are torch's (compared with live torch where it is installed)."""

import numpy as np
import pytest

import ember
from oracle import torch

VALUES = {  # code -> torch's (tolist(), dtype name)
    "L.tensor([1.5, 2.25], dtype=L.bfloat16).sum(dtype=L.float32)": (3.75, "float32"),
    "L.tensor([1.5, 2.25], dtype=L.bfloat16).sum(0, dtype=L.float64)": (3.75, "float64"),
    "L.tensor([1.5, 2.25], dtype=L.bfloat16).prod(dtype=L.float32)": (3.375, "float32"),
    "L.tensor([1.5, 2.25], dtype=L.bfloat16).cumsum(0, dtype=L.float32)": ([1.5, 3.75],
                                                                           "float32"),
    "L.tensor([1.5, 2.25], dtype=L.bfloat16).cumprod(0, dtype=L.float32)": ([1.5, 3.375],
                                                                            "float32"),
    "L.tensor([1.5, 2.25], dtype=L.bfloat16).nansum(dtype=L.float32)": (3.75, "float32"),
    "L.nextafter(L.tensor([1.0, -2.0], dtype=L.bfloat16), "
    "L.tensor([2.0, -3.0], dtype=L.bfloat16)).float()": ([1.0078125, -2.015625], "float32"),
    "L.isclose(L.tensor([float('nan'), 1.0], dtype=L.bfloat16), "
    "L.tensor([float('nan'), 1.0], dtype=L.bfloat16), equal_nan=True)": ([True, True], "bool"),
    "2 // L.tensor(5, dtype=L.uint8)": (0, "uint8"),
    "2 % L.tensor(5, dtype=L.int8)": (2, "int8"),
    "-1 // L.tensor(5, dtype=L.uint8)": (51, "uint8"),
    "L.remainder(2, L.tensor(5, dtype=L.uint8))": (2, "uint8"),
    "L.tensor([0, 2, 1, -1, -2, 3]) ** L.tensor([-1, -1, -2, -3, -2, 0])": (
        [0, 0, 1, -1, 0, 1], "int64"),
    "L.tensor([5], dtype=L.uint8) ** L.tensor([-1], dtype=L.int8)": ([0], "int16"),
    "2 ** L.tensor([-1, 3], dtype=L.int8)": ([0, 8], "int8"),
    "(-1) ** L.tensor([-3, -2])": ([-1, 1], "int64"),
}

ERRORS = {  # code -> torch's (exception type, message)
    "L.erf(L.tensor([1 + 1j]))": (NotImplementedError,
                                   "\"erf_vml_cpu\" not implemented for 'ComplexFloat'"),
    "L.lgamma(L.tensor([1 + 1j], dtype=L.complex128))": (
        NotImplementedError, "\"lgamma_vml_cpu\" not implemented for 'ComplexDouble'"),
    "L.digamma(L.tensor([1 + 1j]))": (NotImplementedError,
                                      "\"digamma\" not implemented for 'ComplexFloat'"),
    "L.tensor([1 + 1j]).erfinv_()": (NotImplementedError,
                                     "\"erfinv_vml_cpu\" not implemented for 'ComplexFloat'"),
    "L.deg2rad(L.tensor([1 + 1j]))": (RuntimeError, "deg2rad is not supported for complex "
                                      "tensors."),
    "L.tensor([1 + 1j]).abs_()": (RuntimeError, "In-place abs is not supported for complex "
                                  "tensors."),
    "L.isclose(L.ones(2), L.ones(2), rtol=float('nan'))": (
        RuntimeError, "rtol must be greater than or equal to zero, but got nan"),
    "L.tensor(float('nan'), dtype=L.uint8)": (
        RuntimeError, "value cannot be converted to type uint8 without overflow"),
    "L.tensor([[1.5], [float('nan')]], dtype=L.int16)": (
        RuntimeError, "value cannot be converted to type int16 without overflow"),
    "L.tensor([1 + 1j], dtype=L.float32)": (TypeError, "must be real number, not complex"),
}


@pytest.mark.parametrize("code", sorted(VALUES))
def test_values(code):
    if "bfloat16" in code:
        pytest.importorskip("ml_dtypes")
    r = eval(code, {"L": ember})
    assert (r.tolist(), r.dtype.__repr__()[6:]) == VALUES[code]
    if torch is not None:
        t = eval(code, {"L": torch})
        assert (t.tolist(), repr(t.dtype)[6:]) == VALUES[code]


@pytest.mark.parametrize("code", sorted(ERRORS))
def test_refused(code):
    exc, msg = ERRORS[code]
    for lib in (ember,) if torch is None else (ember, torch):
        with pytest.raises(exc) as e:
            eval(code, {"L": lib})
        assert str(e.value) == msg


@pytest.mark.parametrize("name", ["exp", "log", "sqrt", "sin", "tanh", "sigmoid", "reciprocal",
                                  "rsqrt", "expm1"])
def test_complex_in_place_unary(name):
    """exp_() and the like on a complex tensor refused with a cast error (a check meant for
    integer tensors)."""
    x = ember.tensor([1 + 1j, -0.5 + 0.25j])
    want = getattr(ember, name)(x)
    getattr(x, name + "_")()
    np.testing.assert_allclose(x.numpy(), want.numpy())
    if torch is not None:
        t = torch.tensor([1 + 1j, -0.5 + 0.25j])
        getattr(t, name + "_")()
        np.testing.assert_allclose(x.numpy(), t.numpy(), rtol=1e-6)


@pytest.mark.parametrize("name", ["exp", "erfinv", "log1p", "relu", "sigmoid", "abs", "neg",
                                  "tanh", "lgamma", "sqrt", "floor", "logit"])
@pytest.mark.parametrize("value,kind", [(0.5, "float"), (2, "int"), ([1.0], "list"),
                                        (np.ones(2), "numpy.ndarray")])
def test_unary_of_a_non_tensor(name, value, kind):
    """torch's parser refuses a number, list or array where a unary op takes a Tensor (ember
    failed inside with an AttributeError; distributions' icdf(0.5) met it)."""
    msg = f"{name}(): argument 'input' (position 1) must be Tensor, not {kind}"
    for lib in (ember,) if torch is None else (ember, torch):
        with pytest.raises(TypeError) as e:
            getattr(lib, name)(value)
        assert str(e.value) == msg
