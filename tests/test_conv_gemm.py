"""Convolution's shared-GEMM chunks (`_conv_kernels._conv_fwd_wide`): one GEMM over a chunk's
samples laid out (C*K, m, L) against the per-sample GEMMs it replaces, and against torch.

Where the wide path runs (float32 on NumPy, per-sample GEMMs above `_WIDE` multiply-adds) and
the BLAS computes every element's dot product in the same order either way (OpenBLAS's SkylakeX
kernels; `_wide_same_bits`), the outputs, the input gradients (the stride-1 ones reuse the
forward kernel) and the weight gradients read from the kept chunked columns must equal the
per-sample path bit for bit. With another BLAS or kernel (OpenBLAS's Haswell kernels sum in
another order) only closeness is asserted.
"""

import numpy as np
import pytest

import ember
from ember.nn import _conv_kernels as K
from oracle import arr, check

F = ember.nn.functional


def _openblas():
    try:
        blas = np.show_config(mode="dicts")["Build Dependencies"]["blas"]["name"]
    except Exception:  # noqa: BLE001 - an older NumPy without the dict form
        return False
    return "openblas" in str(blas).lower()


def _wide_same_bits():
    """Whether one GEMM over several samples' columns gives the per-sample GEMMs' float32 bits
    with this BLAS, at shapes of the course CNN's and odd ones."""
    rng = np.random.default_rng(0)
    for O, CK, L, m in ((32, 144, 256, 3), (64, 288, 64, 4), (33, 153, 437, 2), (128, 64, 144, 3),
                        (40, 112, 300, 2)):
        w = rng.standard_normal((O, CK)).astype(np.float32)
        c = rng.standard_normal((CK, m, L)).astype(np.float32)
        one = np.matmul(w, c.reshape(CK, m * L)).reshape(O, m, L)
        for i in range(m):
            if not np.array_equal(one[:, i], np.matmul(w, np.ascontiguousarray(c[:, i]))):
                return False
    return True


_EXACT = _openblas() and _wide_same_bits()

# (N, C, O, spatial, kernel, stride, padding, dilation, groups)
GEOMETRIES = [
    (5, 16, 32, (16, 16), (3, 3), (1, 1), (1, 1), (1, 1), 1),  # the course CNN's conv2
    (7, 32, 64, (8, 8), (3, 3), (1, 1), (1, 1), (1, 1), 1),  # conv3 (rows grid L = 8*9)
    (1, 32, 64, (8, 8), (3, 3), (1, 1), (1, 1), (1, 1), 1),  # N = 1: one sample per GEMM
    (13, 17, 33, (19, 23), (3, 3), (1, 1), (1, 1), (1, 1), 1),  # odd sizes
    (6, 64, 64, (9, 9), (3, 3), (1, 1), (0, 0), (1, 1), 1),  # no padding
    (6, 64, 64, (12, 12), (3, 3), (2, 2), (1, 1), (1, 1), 1),  # strided
    (4, 24, 48, (20, 20), (3, 3), (1, 1), (2, 2), (2, 2), 1),  # dilated
    (4, 32, 64, (13, 11), (3, 5), (1, 2), (2, 1), (2, 1), 1),  # mixed per-axis geometry
    (5, 64, 128, (12, 12), (1, 1), (1, 1), (0, 0), (1, 1), 1),  # 1x1
    (3, 64, 128, (10, 10), (3, 3), (1, 1), (1, 1), (1, 1), 2),  # groups
    (6, 16, 40, (300,), (7,), (1,), (3,), (1,), 1),  # 1-d
    (6, 32, 64, (301,), (5,), (2,), (1,), (2,), 1),  # 1-d strided, dilated
    (3, 16, 64, (4, 5, 6), (3, 3, 3), (1, 1, 1), (1, 1, 1), (1, 1, 1), 1),  # 3-d
]


def _geo(case):
    _, _, _, _, k, stride, pad, dil, groups = case
    return (k, stride, tuple((p, p) for p in pad), dil, groups)


def _data(case, dtype=np.float32, seed=0):
    N, C, O, S, k, _, _, _, groups = case
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((N, C) + S).astype(dtype)
    w = rng.standard_normal((O, C // groups) + k).astype(dtype)
    b = rng.standard_normal(O).astype(dtype)
    return x, w, b


def _same(a, b):
    if _EXACT:
        assert a.dtype == b.dtype and a.shape == b.shape
        assert np.array_equal(a, b), np.abs(a - b).max()
    else:
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=4e-6 * max(1.0, np.abs(b).max()))


@pytest.fixture
def wide_calls(monkeypatch):
    """Counts the wide path's calls."""
    calls = []
    inner = K._conv_fwd_wide

    def counted(*a):
        calls.append(a[0].shape)
        return inner(*a)
    monkeypatch.setattr(K, "_conv_fwd_wide", counted)
    return calls


def _per_sample(monkeypatch, fn):
    """fn() with the wide path switched off (every GEMM one sample's)."""
    with monkeypatch.context() as m:
        m.setattr(K, "_WIDE", float("inf"))
        return fn()


@pytest.mark.parametrize("case", GEOMETRIES)
def test_wide_forward_equals_per_sample(case, monkeypatch, wide_calls):
    x, w, b = _data(case)
    geo = _geo(case)
    for keep in (False, True):
        for bias in (None, b):
            ref = _per_sample(monkeypatch, lambda: K._conv_fwd(x, w, geo, keep, bias)[0])
            del wide_calls[:]
            y, cols, buf = K._conv_fwd(x, w, geo, keep, bias)
            _same(y, ref)
            if keep:
                K._give(buf)
    if case[0] > 1:
        assert wide_calls, "the wide path did not run"


@pytest.mark.parametrize("case", GEOMETRIES)
def test_kept_chunks_give_the_same_weight_grad(case, monkeypatch):
    x, w, b = _data(case, seed=1)
    geo = _geo(case)
    y, cols, buf = K._conv_fwd(x, w, geo, True, b)
    if case[0] > 1:
        assert type(cols) is tuple  # the chunked layout
    g = np.random.default_rng(2).standard_normal(y.shape).astype(np.float32)
    ref = _per_sample(monkeypatch, lambda: K._conv_weight_grad(x, g, w.shape, geo))
    _same(K._conv_weight_grad(x, g, w.shape, geo, cols), ref)
    K._give(buf)


@pytest.mark.parametrize("case", GEOMETRIES)
def test_wide_input_grad_equals_per_sample(case, monkeypatch):
    x, w, b = _data(case, seed=3)
    geo = _geo(case)
    y = K._conv_fwd(x, w, geo)[0]
    g = np.random.default_rng(4).standard_normal(y.shape).astype(np.float32)
    S = x.shape[2:]
    ref = _per_sample(monkeypatch, lambda: K._conv_input_grad(g, w, S, geo))
    _same(K._conv_input_grad(g, w, S, geo), ref)


def test_float64_keeps_per_sample_gemms(wide_calls):
    # dgemm's order differs between the layouts at some sizes: float64 stays per sample
    case = GEOMETRIES[0]
    x, w, b = _data(case, np.float64)
    K._conv_fwd(x, w, _geo(case), False, b)
    assert not wide_calls


@pytest.mark.parametrize("case", [GEOMETRIES[i] for i in (0, 1, 3, 5, 6, 9, 10, 12)])
def test_wide_conv_against_torch(case, wide_calls):
    N, C, O, S, k, stride, pad, dil, groups = case
    conv = {1: "conv1d", 2: "conv2d", 3: "conv3d"}[len(k)]
    check(lambda L, x, w, b: getattr(L.nn.functional, conv)(
        x, w, b, stride=stride, padding=pad, dilation=dil, groups=groups),
        arr((N, C) + S, seed=5), arr((O, C // groups) + k, seed=6, low=-0.3, high=0.3),
        arr((O,), seed=7), rtol=1e-4, atol=1e-4)
    if N > 1:
        assert wide_calls


def test_course_cnn_training_step_against_torch():
    # forward, then backward through the kept chunked columns
    def step(L, x, w1, w2):
        h = L.nn.functional.conv2d(x, w1, padding=1).relu()
        return L.nn.functional.conv2d(h, w2, padding=1)
    check(step, arr((20, 16, 16, 16), seed=8), arr((32, 16, 3, 3), seed=9, low=-0.2, high=0.2),
          arr((64, 32, 3, 3), seed=10, low=-0.1, high=0.1), rtol=1e-4, atol=1e-4)
