"""Clamps and activations at -0.0, NaN and tiny inputs, bit for bit as torch's CPU kernels.

torch's clamp (and relu, relu6, hardtanh, which are clamps) keeps x where it ties with a bound,
so relu(-0.0) is -0.0 (printed `-0.`), while NumPy's maximum(-0.0, 0) is 0.0; with a single
tensor bound torch runs its maximum / minimum kernel instead, whose tie is the bound. threshold,
hardshrink and softshrink pass NaN through. elu, selu and celu use expm1, so elu(-1e-4) does not
cancel as exp(x) - 1 does. Every case runs on a long input too, so NumPy's SIMD loops are seen.
(torch's NaN *gradients* of hardtanh and elu differ between its vector loop and its scalar tail,
so they are not compared, nor is the sign of softshrink's zeros.)"""

import math

import numpy as np
import pytest

import ember
from oracle import requires_torch, torch

F = ember.nn.functional
SPECIAL = [-0.0, 0.0, float("nan"), float("inf"), -float("inf"), 0.5, -0.5, 1.0, -1.0, 6.0, -6.0,
           3.0, -3.0, 1e-30, -1e-30, -1e-4, 0.25, -0.25]

CASES = {
    "relu": lambda L, t: L.relu(t),
    "relu_": lambda L, t: L.relu_(t.clone()),
    "relu6": lambda L, t: L.nn.functional.relu6(t),
    "ReLU": lambda L, t: L.nn.ReLU()(t),
    "hardtanh": lambda L, t: L.nn.functional.hardtanh(t),
    "hardtanh01": lambda L, t: L.nn.functional.hardtanh(t, 0.0, 1.0),
    "clamp01": lambda L, t: t.clamp(0, 1),
    "clamp10": lambda L, t: t.clamp(1, 0),
    "clamp_": lambda L, t: t.clone().clamp_(0, 1),
    "clamp_min": lambda L, t: t.clamp_min(0.0),
    "clamp_max": lambda L, t: t.clamp_max(0.0),
    "clamp_nan": lambda L, t: t.clamp(min=float("nan")),
    "clamp_tensors": lambda L, t: t.clamp(L.zeros(1), L.ones(1)),
    "clamp_min_tensor": lambda L, t: t.clamp(min=L.zeros(1)),
    "clamp_max_tensor": lambda L, t: t.clamp(max=-L.zeros(1)),
    "threshold": lambda L, t: L.nn.functional.threshold(t, 0.0, 0.0),
    "threshold2": lambda L, t: L.nn.functional.threshold(t, 0.5, -2.0),
    "hardshrink": lambda L, t: L.nn.functional.hardshrink(t),
    "softshrink": lambda L, t: L.nn.functional.softshrink(t),
    "elu": lambda L, t: L.nn.functional.elu(t),
    "elu_alpha": lambda L, t: L.nn.functional.elu(t, 0.7),
    "selu": lambda L, t: L.nn.functional.selu(t),
    "celu": lambda L, t: L.nn.functional.celu(t, 0.5),
    "elu64": lambda L, t: L.nn.functional.elu(t.double()),
    "relu_half": lambda L, t: L.relu(t.half()).float(),
    "clamp_int": lambda L, t: (t * 3).nan_to_num(0, 5, -5).int().clamp(-2, 2).float(),
}


def _values(n):
    return np.array(SPECIAL * n, np.float32)


def _bits(a):
    a = np.asarray(a)
    return a.view(np.uint64 if a.dtype == np.float64 else np.uint32)


@requires_torch
@pytest.mark.parametrize("n", [1, 7])
@pytest.mark.parametrize("name", sorted(CASES))
def test_forward_bits_equal_torch(name, n):
    x = _values(n)
    got = CASES[name](ember, ember.tensor(x)).numpy()
    want = CASES[name](torch, torch.tensor(x)).numpy()
    assert got.dtype == want.dtype
    nan = np.isnan(got) & np.isnan(want)  # a NaN's sign and payload are not compared
    bad = (_bits(got) != _bits(want)) & ~nan
    if name == "softshrink":  # torch's zero is +0.0 in its vector loop, x * 0 in its scalar
        bad &= ~((got == 0) & (want == 0))  # tail: only the sign of zero depends on position
    assert not bad.any(), (x[bad], got[bad], want[bad])


@requires_torch
def test_elu_float32_against_torch_on_a_range():
    """torch's expm1 is within an ulp; ember's (float64, rounded once) equals it on >= 95 %."""
    x = np.random.default_rng(0).uniform(-20, 0, 20000).astype(np.float32)
    got = F.elu(ember.tensor(x)).numpy()
    want = torch.nn.functional.elu(torch.tensor(x)).numpy()
    assert np.mean(got == want) > 0.95
    np.testing.assert_allclose(got, want, rtol=2e-7, atol=0)


def test_relu_and_clamp_keep_negative_zero():
    x = ember.tensor([-0.0] * 40)
    for y in (ember.relu(x), x.clamp(0, 1), x.clamp_min(0.0), F.hardtanh(x, 0.0, 1.0)):
        assert np.signbit(y.numpy()).all()
    assert not np.signbit(x.clamp(min=ember.zeros(1)).numpy()).any()  # maximum's tie


def test_nan_passes_threshold_and_shrinks():
    x = ember.tensor([float("nan"), 0.1, -0.1] * 20)
    for y in (F.threshold(x, 0.0, 0.0), F.hardshrink(x), F.softshrink(x)):
        assert np.isnan(y.numpy()[::3]).all()
        assert not np.isnan(y.numpy()[1::3]).any()


def test_elu_small_inputs_do_not_cancel():
    x = np.array([-1e-4, -1e-6, -1e-30, -3e-3] * 10, np.float32)
    got = F.elu(ember.tensor(x)).numpy()
    want = np.array([math.expm1(float(v)) for v in x], np.float64).astype(np.float32)
    np.testing.assert_array_equal(got, want)
    got = F.selu(ember.tensor(x.astype(np.float64))).numpy()
    alpha, scale = 1.6732632423543772848170429916717, 1.0507009873554804934193349852946
    want = np.array([math.expm1(float(v)) * (alpha * scale) for v in x])
    np.testing.assert_allclose(got, want, rtol=1e-15)
