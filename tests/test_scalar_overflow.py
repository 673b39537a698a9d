"""A Python number that does not fit the dtype it is converted to raises torch's "value cannot
be converted to type ... without overflow" (c10::checked_convert) in the ops that take a Scalar
argument; before, clamp / where / addcmul / threshold / pow wrapped it silently (uint8's clamp
to 300 gave 44) and others raised NumPy's OverflowError. An integer for an unsigned type may be
negative down to -max and wraps as in C++ (uint8 fill_(-1) is 255)."""

import numpy as np
import pytest

import ember
from oracle import torch

U8 = np.array([0, 5, 250], np.uint8)
I8 = np.array([1, 2, 100], np.int8)
F32 = np.array([1.0, 2.0], np.float32)
INF = float("inf")


def _t(L, a):
    return L.tensor(a)


ERRORS = {  # name -> (fn(L), the dtype named)
    "clamp": (lambda L: _t(L, U8).clamp(-5, 300), "uint8_t"),
    "clamp_min": (lambda L: _t(L, I8).clamp_min(-200), "int8_t"),
    "clamp_max": (lambda L: _t(L, I8).clamp_max(300), "int8_t"),
    "int32 clamp": (lambda L: L.tensor([1, 2], dtype=L.int32).clamp(-2 ** 40, 2 ** 40), "int"),
    "where": (lambda L: L.where(_t(L, I8) > 3, _t(L, I8), 300), "int8_t"),
    "addcmul": (lambda L: _t(L, I8).addcmul(_t(L, I8), _t(L, I8), value=300), "int8_t"),
    "addcdiv": (lambda L: _t(L, F32).addcdiv(_t(L, F32), _t(L, F32), value=1e300), "float"),
    "fill_": (lambda L: _t(L, I8).fill_(300), "int8_t"),
    "setitem": (lambda L: _t(L, I8).__setitem__(0, 300), "int8_t"),
    "masked_fill": (lambda L: _t(L, I8).masked_fill(_t(L, I8) > 1, 300), "int8_t"),
    "full": (lambda L: L.full((2,), 300, dtype=L.int8), "int8_t"),
    "new_full": (lambda L: _t(L, I8).new_full((2,), 300), "int8_t"),
    "add alpha": (lambda L: _t(L, I8).add(_t(L, I8), alpha=300), "int8_t"),
    "index_fill": (lambda L: _t(L, I8).index_fill(0, L.tensor([0]), 300), "int8_t"),
    "scatter": (lambda L: _t(L, I8).scatter(0, L.tensor([0]), 300), "int8_t"),
    "threshold": (lambda L: L.nn.functional.threshold(_t(L, I8), 5, 300), "int8_t"),
    "lerp": (lambda L: _t(L, F32).lerp(_t(L, F32), 1e300), "float"),
    "pow": (lambda L: _t(L, I8) ** 300, "int8_t"),
    "pow_": (lambda L: _t(L, I8).pow_(300), "int8_t"),
    "float32 fill_": (lambda L: _t(L, F32).fill_(1e300), "float"),
    "float32 setitem": (lambda L: _t(L, F32).__setitem__(0, 1e300), "float"),
    "float32 masked_fill": (lambda L: _t(L, F32).masked_fill(_t(L, F32) > 1, 1e300), "float"),
    "float32 clamp": (lambda L: _t(L, F32).clamp(max=1e300), "float"),
    "int fill_ nan": (lambda L: _t(L, I8).fill_(float("nan")), "int8_t"),
    "int setitem inf": (lambda L: _t(L, I8).__setitem__(0, INF), "int8_t"),
    "uint8 fill_ -256": (lambda L: _t(L, U8).fill_(-256), "uint8_t"),
    "uint8 fill_ -1.5": (lambda L: _t(L, U8).fill_(-1.5), "uint8_t"),
    "int8 fill_ 127.9": (lambda L: _t(L, I8).fill_(127.9), "int8_t"),
    "float16 fill_": (lambda L: _t(L, F32).half().fill_(1e5), "c10::Half"),
    "float16 fill_ 65504.5": (lambda L: _t(L, F32).half().fill_(65504.5), "c10::Half"),
    "bfloat16 full": (lambda L: L.full((2,), 3.39e38, dtype=L.bfloat16), "c10::BFloat16"),
    "float16 masked_fill": (lambda L: _t(L, F32).half().masked_fill(_t(L, F32) > 1, -1e9),
                            "c10::Half"),
    "float16 clamp": (lambda L: _t(L, F32).half().clamp(min=-1e9), "c10::Half"),
    "float16 add alpha": (lambda L: _t(L, F32).half().add(_t(L, F32).half(), alpha=1e5),
                          "c10::Half"),
    "bfloat16 addcmul": (lambda L: _t(L, F32).bfloat16().addcmul(
        _t(L, F32).bfloat16(), _t(L, F32).bfloat16(), value=1e39), "float"),
}


@pytest.mark.parametrize("case", sorted(ERRORS))
def test_overflowing_scalar_is_refused(case):
    if case.startswith("bfloat16"):
        pytest.importorskip("ml_dtypes")  # (ember's bfloat16 needs the bf16 extra)
    fn, name = ERRORS[case]
    text = f"value cannot be converted to type {name} without overflow"
    with pytest.raises(RuntimeError) as e:
        fn(ember)
    assert str(e.value) == text
    if torch is None:
        pytest.skip("torch (the oracle) is not installed")
    with pytest.raises(RuntimeError) as e:
        fn(torch)
    assert str(e.value) == text


def _filled(L, f):
    t = L.tensor(U8)
    r = f(L, t)
    return (t if r is None else r).tolist()


WRAPS = {  # torch's results (a negative integer into uint8 wraps)
    "fill_ -1": (lambda L, t: t.fill_(-1), [255, 255, 255]),
    "fill_ -255": (lambda L, t: t.fill_(-255), [1, 1, 1]),
    "setitem -1": (lambda L, t: t.__setitem__(0, -1), [255, 5, 250]),
    "full -1": (lambda L, t: L.full((2,), -1, dtype=L.uint8), [255, 255]),
    "masked_fill -1": (lambda L, t: t.masked_fill(t > 1, -1), [0, 255, 255]),
    "sub alpha -1": (lambda L, t: t.sub(t, alpha=-1), [0, 10, 244]),
    "where -1": (lambda L, t: L.where(t > 3, t, -1), [255, 5, 250]),
    "int8 fill_ 127.5 truncates": (lambda L, t: L.tensor(I8).fill_(-128.0), [-128] * 3),
    "float16 fill_ inf": (lambda L, t: L.tensor(F32).half().fill_(INF).float(), [INF, INF]),
    "float16 fill_ 65504": (lambda L, t: L.tensor(F32).half().fill_(65504.0).float(),
                            [65504.0] * 2),
    "clamp -5 wraps": (lambda L, t: t.clamp(-5, 255), [251, 251, 251]),
    # float16 / bfloat16 ops that read the number as float: it rounds to inf there
    "float16 where -1e9": (lambda L, t: L.where(t > 3, L.ones(3).half(), -1e9).float(),
                           [-INF, 1.0, 1.0]),
    "float16 addcmul 1e5": (lambda L, t: L.ones(2).half().addcmul(
        L.ones(2).half(), L.ones(2).half(), value=1e5).float(), [INF, INF]),
    "float16 lerp 1e5": (lambda L, t: L.ones(2).half().lerp(L.ones(2).half(), 1e5).float(),
                         [1.0, 1.0]),
    "float16 threshold 1e5": (lambda L, t: L.nn.functional.threshold(
        L.ones(2).half(), 1e5, 0.0).float(), [0.0, 0.0]),
    "clamp in range": (lambda L, t: t.clamp(1, 7), [1, 5, 7]),
}


@pytest.mark.parametrize("case", sorted(WRAPS))
def test_fitting_scalar_converts_as_torch(case):
    fn, want = WRAPS[case]
    assert _filled(ember, fn) == want
    if torch is None:
        pytest.skip("torch (the oracle) is not installed")
    assert _filled(torch, fn) == want
