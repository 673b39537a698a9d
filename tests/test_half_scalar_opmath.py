"""float16 times / divided by a number: torch's CPU kernels read the number as float32
(original_scalar_value<opmath_t>) and round the float32 result once, as they do for bfloat16;
ember rounded the number to float16 first (3 * 0.1 gave 0.2998 for torch's 0.3)."""

import numpy as np
import pytest

import ember
from oracle import torch

CODES = ["t * s", "s * t", "t / s", "s / t", "t.mul(s)", "t.div(s)", "t * S32", "t / S64",
         "t * S16", "t.clone().mul_(s)", "t.clone().div_(s)"]


def _run(L, code, s):
    x = (np.random.default_rng(0).standard_normal(500) * 10).astype(np.float16)
    env = {"t": L.tensor(x), "s": s, "S32": L.tensor(s, dtype=L.float32),
           "S64": L.tensor(s, dtype=L.float64), "S16": L.tensor(s, dtype=L.float16)}
    r = eval(code, env)
    assert r.dtype is L.float16
    return x, r.float().numpy()


@pytest.mark.parametrize("s", [0.1, 3, 1 / 3, 1e-5, -0.3, 2.0 ** 40])
@pytest.mark.parametrize("code", CODES)
def test_number_read_as_float32(code, s):
    x, got = _run(ember, code, s)
    if code in ("t * s", "t.mul(s)", "t * S32", "t.clone().mul_(s)"):
        with np.errstate(over="ignore"):
            want = (x.astype(np.float32) * np.float32(s)).astype(np.float16)
        np.testing.assert_array_equal(got, want.astype(np.float32))
    if torch is not None:
        np.testing.assert_array_equal(got, _run(torch, code, s)[1])


def test_three_times_a_tenth():
    assert (ember.tensor([3.0], dtype=ember.float16) * 0.1).item() == float(np.float16(0.3))
