"""Descending sort / topk of int64 with the minimum value: ember ordered by -x, which wraps
-2**63 to itself, so the minimum came first; ~x (= -x - 1) reverses the order exactly."""

import numpy as np
import pytest

import ember
from oracle import torch

CODES = ["L.sort(t, descending=True)", "L.sort(t, dim=0, descending=True, stable=True)",
         "L.argsort(t, descending=True)", "L.topk(t, 5)", "L.topk(t, 150)",
         "L.topk(t, 5, largest=False)", "L.kthvalue(t, 3)"]


@pytest.mark.parametrize("code", CODES)
def test_int64_minimum(code):
    rng = np.random.default_rng(0)
    x = rng.integers(-2 ** 63, 2 ** 63 - 1, (5, 200), dtype=np.int64)
    x[:, :3] = [-2 ** 63, 2 ** 63 - 1, 0]

    def run(L):
        o = eval(code, {"L": L, "t": L.tensor(x)})
        return [a.numpy() for a in (o if isinstance(o, tuple) else (o,))]
    got = run(ember)
    if code == "L.sort(t, descending=True)":
        np.testing.assert_array_equal(got[0], np.sort(x, axis=-1)[:, ::-1])
    if code == "L.topk(t, 5)":
        np.testing.assert_array_equal(got[0], np.sort(x, axis=-1)[:, ::-1][:, :5])
    if torch is not None:
        for a, b in zip(got, run(torch)):
            np.testing.assert_array_equal(a, b)
