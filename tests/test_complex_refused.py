"""Operations torch refuses for complex tensors are refused with its errors. ember computed
them: floor / ceil / trunc / round returned the complex input unrounded, i0 dropped the
imaginary part, clamp / relu / hardtanh / maximum / ... compared complex numbers by NumPy's
lexicographic order. The messages are torch 2.13's."""

import pytest

import ember
from oracle import torch

Z = [1.5 + 2.5j]
CASES = {
    "floor": (lambda L, z: L.floor(z), NotImplementedError,
              "floor is not supported for complex inputs"),
    "ceil": (lambda L, z: L.ceil(z), NotImplementedError,
             "ceil is not supported for complex inputs"),
    "trunc": (lambda L, z: L.trunc(z), NotImplementedError,
              "trunc is not supported for complex inputs"),
    "fix": (lambda L, z: L.fix(z), NotImplementedError,
            "trunc is not supported for complex inputs"),
    "round": (lambda L, z: L.round(z), NotImplementedError,
              "\"round_vml_cpu\" not implemented for 'ComplexFloat'"),
    "round_decimals": (lambda L, z: L.round(z, decimals=2), NotImplementedError,
                       "\"round_cpu\" not implemented for 'ComplexFloat'"),
    "frac": (lambda L, z: L.frac(z), NotImplementedError,
             "\"frac_cpu\" not implemented for 'ComplexFloat'"),
    "i0": (lambda L, z: L.i0(z), NotImplementedError,
           "\"i0_vml_cpu\" not implemented for 'ComplexFloat'"),
    "clamp": (lambda L, z: L.clamp(z, 0, 1), NotImplementedError,
              "clamp is not supported for complex types"),
    "clamp_min": (lambda L, z: L.clamp_min(z, 0), NotImplementedError,
                  "clamp is not supported for complex types"),
    "relu": (lambda L, z: L.relu(z), NotImplementedError,
             "clamp is not supported for complex types"),
    "hardtanh": (lambda L, z: L.nn.functional.hardtanh(z), NotImplementedError,
                 "clamp is not supported for complex types"),
    "threshold": (lambda L, z: L.nn.functional.threshold(z, 0.5, 0.0), NotImplementedError,
                  "\"threshold_cpu\" not implemented for 'ComplexFloat'"),
    "maximum": (lambda L, z: L.maximum(z, z), RuntimeError,
                "maximum not implemented for complex tensors."),
    "fmin": (lambda L, z: L.fmin(z, z), RuntimeError, "fmin not implemented for complex tensors."),
    "heaviside": (lambda L, z: L.heaviside(z, z), RuntimeError,
                  "heaviside is not yet implemented for complex tensors."),
    "xlogy": (lambda L, z: L.xlogy(z, z), NotImplementedError,
              "\"xlogy_cpu\" not implemented for 'ComplexFloat'"),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_refused(name):
    fn, exc, msg = CASES[name]
    with pytest.raises(exc) as e:
        fn(ember, ember.tensor(Z))
    assert str(e.value) == msg
    if torch is not None:
        with pytest.raises(exc) as t:
            fn(torch, torch.tensor(Z))
        assert str(t.value) == msg


def test_silu_complex_forward_only():
    """torch's silu takes complex inputs (z sigmoid(z)) but refuses to differentiate them."""
    z = [1 + 2j, -0.5 + 0.1j]
    got = ember.nn.functional.silu(ember.tensor(z)).numpy()
    want = [v / (1 + complex(__import__("cmath").exp(-v))) for v in z]
    assert abs(got - want).max() < 1e-6
    with pytest.raises(RuntimeError, match="silu does not support automatic differentiation for "
                                           "outputs with complex dtype."):
        ember.nn.functional.silu(ember.tensor(z, requires_grad=True))


ORDERED = {  # torch has no complex kernel: NumPy's lexicographic order must not answer instead
    "sort": (lambda L, z: z.sort(), RuntimeError, " Sort does not support complex dtypes on CPU"),
    "argsort": (lambda L, z: z.argsort(), RuntimeError,
                " Sort does not support complex dtypes on CPU"),
    "topk": (lambda L, z: z.topk(1), RuntimeError, " topk does not support complex dtypes on CPU"),
    "max": (lambda L, z: z.max(), NotImplementedError,
            "\"max_all\" not implemented for 'ComplexFloat'"),
    "max_dim": (lambda L, z: z.max(0), RuntimeError, "max(): does not support complex input"),
    "amin": (lambda L, z: z.amin(), NotImplementedError,
             "\"min_values_cpu\" not implemented for 'ComplexFloat'"),
    "argmax": (lambda L, z: z.argmax(), RuntimeError, "argmax(): does not support complex input"),
    "cummax": (lambda L, z: z.cummax(0), NotImplementedError,
               "\"cummax_cpu\" not implemented for 'ComplexFloat'"),
    "median": (lambda L, z: z.median(), NotImplementedError,
               "\"median_cpu\" not implemented for 'ComplexFloat'"),
    "kthvalue": (lambda L, z: z.kthvalue(1), NotImplementedError,
                 "\"kthvalue_cpu\" not implemented for 'ComplexFloat'"),
    "mode": (lambda L, z: z.mode(), NotImplementedError,
             "\"mode_cpu\" not implemented for 'ComplexFloat'"),
    "unique": (lambda L, z: z.unique(), NotImplementedError,
               "\"unique\" not implemented for 'ComplexFloat'"),
    "nansum": (lambda L, z: z.nansum(), RuntimeError,
               "nansum on CPU does not support complex inputs"),
    "searchsorted": (lambda L, z: L.searchsorted(z, z), NotImplementedError,
                     "\"searchsorted_out_cpu\" not implemented for 'ComplexFloat'"),
}


@pytest.mark.parametrize("name", sorted(ORDERED))
def test_ordering_refused(name):
    fn, exc, msg = ORDERED[name]
    z = [1 + 2j, -1 + 0.5j, 0.5 - 1j]
    with pytest.raises(exc) as e:
        fn(ember, ember.tensor(z))
    assert str(e.value) == msg
    if torch is not None:
        with pytest.raises(exc) as t:
            fn(torch, torch.tensor(z))
        assert str(t.value) == msg
