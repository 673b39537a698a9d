"""Calls torch refuses, refused by ember with torch's words (ember computed something), and
torch forms ember refused. Messages and values are torch 2.13's (checked against live torch
where it is installed)."""

import numpy as np
import pytest

import ember
from oracle import torch

ERRORS = {
    "F.interpolate(L.ones(1, 2, 5), size=0)": (
        RuntimeError, "Input and output sizes should be greater than 0, but got input (W: 5) "
        "and output (W: 0)"),
    "F.interpolate(L.ones(1, 2, 5, 6), size=(0, 3))": (
        RuntimeError, "Input and output sizes should be greater than 0, but got input (H: 5, "
        "W: 6) output (H: 0, W: 3)"),
    "F.interpolate(L.ones(1, 2, 4, 5, 6), scale_factor=0.1)": (
        RuntimeError, "Input and output sizes should be greater than 0, but got input (D: 4, "
        "H: 5, W: 6) output (D: 0, H: 0, W: 0)"),
    "F.interpolate(L.ones(1, 2, 5, 6), size=(3, 4), recompute_scale_factor=True)": (
        ValueError, "recompute_scale_factor is not meaningful with an explicit size."),
    "F.pad(L.ones(1, 2, 4), (1, 1), mode='reflect', value=1.0)": (
        RuntimeError, 'Padding mode "reflect" doesn\'t take in value argument'),
    "F.pad(L.ones(1, 2, 4), (1, 1), mode='circular', value=2.0)": (
        RuntimeError, 'Padding mode "circular" doesn\'t take in value argument'),
    "L.repeat_interleave(L.tensor([1, 2, 3]), L.tensor([[1, 2, 1]]))": (
        RuntimeError, "repeats must be 0-dim or 1-dim tensor"),
    "L.repeat_interleave(L.tensor([1, 2, 3]), L.tensor([2, 1]), dim=0)": (
        RuntimeError, "repeats must have the same size as input along dim, but got "
        "repeats.size(0) = 2 and input.size(0) = 3"),
    "L.repeat_interleave(L.tensor([1, 2]), L.tensor([1.0, 2.0]))": (
        NotImplementedError, "\"repeat_interleave_cpu\" not implemented for 'Float'"),
    "L.repeat_interleave(L.tensor([[1, 2]]))": (
        RuntimeError, "repeat_interleave only accept 1D vector as repeat"),
    "L.tril_indices(3, -1)": (RuntimeError, "col must be non-negative, got-1"),
    "L.triu_indices(-2, 3)": (RuntimeError, "row must be non-negative, got-2"),
    "L.scalar_tensor(1 + 2j)": (RuntimeError,
                                "value cannot be converted to type float without overflow"),
    "L.full((), 1 + 2j, dtype=L.float16)": (
        RuntimeError, "value cannot be converted to type double without overflow"),
    "L.zeros(2, dtype=L.int32).fill_(2 + 1j)": (
        RuntimeError, "value cannot be converted to type int without overflow"),
    "F.scaled_dot_product_attention(Q, Q, Q, attn_mask=L.ones(3, 3, dtype=L.int64))": (
        RuntimeError, "Expected attn_mask dtype to be bool or float or to match query dtype, "
        "but got attn_mask.dtype: long int and  query.dtype: float instead."),
    "F.scaled_dot_product_attention(Q, Q, Q, attn_mask=L.ones(3, 3, dtype=L.float64))": (
        RuntimeError, "Expected attn_mask dtype to be bool or float or to match query dtype, "
        "but got attn_mask.dtype: double and  query.dtype: float instead."),
    "F.conv_transpose2d(L.ones(1, 2, 5, 5), L.ones(2, 2, 3, 3), padding='same')": (
        TypeError, "conv_transpose2d(): argument 'padding' must be tuple of ints, not str"),
}

VALUES = {
    "L.repeat_interleave(repeats=L.tensor([1, 2]))": [0, 1, 1],
    "L.repeat_interleave(L.tensor([1, 2, 3]), L.tensor([2]))": [1, 1, 2, 2, 3, 3],
    "L.scalar_tensor(True)": 1.0,
    "L.scalar_tensor(3, dtype=L.int32)": 3,
    "L.zeros(2, dtype=L.int32).fill_(2 + 0j)": [2, 2],
    "F.pad(L.ones(1, 1, 2), (1, 1), mode='replicate', value=0.0)": [[[1.0, 1.0, 1.0, 1.0]]],
}


@pytest.mark.parametrize("code", sorted(ERRORS))
def test_refused(code):
    exc, msg = ERRORS[code]
    for lib in (ember,) if torch is None else (ember, torch):
        with pytest.raises(exc) as e:
            eval(code, {"L": lib, "F": lib.nn.functional, "Q": lib.ones(1, 2, 3, 4)})
        assert str(e.value) == msg


@pytest.mark.parametrize("code", sorted(VALUES))
def test_accepted(code):
    for lib in (ember,) if torch is None else (ember, torch):
        r = eval(code, {"L": lib, "F": lib.nn.functional})
        assert r.tolist() == VALUES[code]
    assert ember.scalar_tensor(2).dtype is ember.float32
    np.testing.assert_array_equal(ember.scalar_tensor(2.5, dtype=ember.float64).numpy(), 2.5)
