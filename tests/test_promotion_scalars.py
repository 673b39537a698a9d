"""Scalars that do not take part in type promotion, as torch: add's alpha and addcmul's value
are cast to the result's dtype (a bool add stays bool; an integer addcmul truncates 0.5 to 0 and
wraps -1 in uint8), gcd / lcm compute in the result's dtype (a 0-d -3 meets uint8 as 253),
pow(bool, True / False) stays bool and a bool exponent of a bool has no kernel, and lerp takes
a 0-d weight of another real dtype. Each expectation is torch 2.13's result."""

import numpy as np
import pytest

import ember
from oracle import torch

CASES = {
    "add_bool_alpha": (lambda L: L.add(L.tensor([True, False]), L.tensor([True, True]), alpha=3),
                       [True, True], "bool"),
    "add_bool_scalar_alpha": (lambda L: L.add(L.tensor([False, False]), True, alpha=0),
                              [False, False], "bool"),
    "pow_bool_true": (lambda L: L.pow(L.tensor([True, False]), True), [True, False], "bool"),
    "pow_bool_false": (lambda L: L.pow(L.tensor([True, False]), False), [True, True], "bool"),
    "pow_bool_int": (lambda L: L.pow(L.tensor([True, False]), 2), [1, 0], "int64"),
    "addcmul_int_half": (lambda L: L.addcmul(L.tensor([1, 2]), L.tensor([3, -4]),
                                             L.tensor([-1, 1]), value=0.5), [1, 2], "int64"),
    "addcmul_int_2_7": (lambda L: L.addcmul(L.tensor([1, 2]), L.tensor([3, -4]),
                                            L.tensor([-1, 1]), value=2.7), [-5, -6], "int64"),
    "addcmul_uint8_wrap": (lambda L: L.addcmul(
        L.tensor([1, 2], dtype=L.uint8), L.tensor([3, 4], dtype=L.uint8),
        L.tensor([1, 1], dtype=L.uint8), value=-1), [254, 254], "uint8"),
    "gcd_uint8": (lambda L: L.gcd(L.tensor(-3), L.tensor([6, 3, 7], dtype=L.uint8)), [1, 1, 1],
                  "uint8"),
    "lcm_uint8": (lambda L: L.lcm(L.tensor(-3), L.tensor([6, 3, 7], dtype=L.uint8)),
                  [238, 247, 235], "uint8"),
    "lerp_0d_double_weight": (lambda L: L.lerp(L.tensor([1.0, 2.0]), L.tensor([3.0, 4.0]),
                                               L.tensor(0.5, dtype=L.float64)), [2.0, 3.0],
                              "float32"),
    "lerp_0d_int_weight": (lambda L: L.lerp(L.tensor([1.0, 2.0]), L.tensor([3.0, 4.0]),
                                            L.tensor(1)), [3.0, 4.0], "float32"),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_scalar_promotion(name):
    fn, want, dtype = CASES[name]
    got = fn(ember)
    assert got.tolist() == want and str(got.dtype) == f"torch.{dtype}"
    if torch is not None:
        t = fn(torch)
        assert t.tolist() == want and str(t.dtype) == f"torch.{dtype}"


@pytest.mark.parametrize("fn", [lambda L: L.pow(L.tensor([True]), L.tensor([True])),
                                lambda L: L.pow(True, L.tensor([True, False])),
                                lambda L: L.addcmul(L.tensor([True]), L.tensor([True]),
                                                    L.tensor([True]))])
def test_bool_kernels_refused(fn):
    with pytest.raises(NotImplementedError, match="not implemented for 'Bool'"):
        fn(ember)


def test_lerp_0d_weight_gradient_in_its_dtype():
    w = ember.tensor(0.5, dtype=ember.float64, requires_grad=True)
    ember.lerp(ember.tensor([1.0, 2.0]), ember.tensor([3.0, 4.0]), w).sum().backward()
    assert w.grad.dtype == ember.float64 and w.grad.item() == 4.0
    assert np.isfinite(w.grad.numpy())
