"""benchmarks/bench_conv.py times like against like: each direction's ember kernel computes what
the torch call beside it computes, and each ceiling GEMM has the shape the direction needs."""

import numpy as np
import pytest
from benchmarks import bench_conv

try:
    import torch
except ImportError:
    torch = None


def test_ceiling_gemms_have_the_directions_shapes():
    rows = bench_conv.cases(2, np.random.default_rng(0))
    assert [(n, d) for n, d, *_ in rows] == [
        ("conv 3->16 32x32", "forward"), ("conv 3->16 32x32", "weight grad"),
        ("conv 16->32 16x16", "forward"), ("conv 16->32 16x16", "input grad"),
        ("conv 16->32 16x16", "weight grad"), ("conv 32->64 8x8", "forward"),
        ("conv 32->64 8x8", "input grad"), ("conv 32->64 8x8", "weight grad")]
    for name, d, ef, _, gemms in rows:
        c, o = (int(v) for v in name.split()[1].split("->"))
        s = int(name.split()[2].split("x")[0])
        m, n = {"forward": (o, 2 * s * s), "input grad": (c, 2 * s * s),
                "weight grad": (o, 9 * c)}[d]
        a, b = (f() for f in gemms)
        assert a.shape == (m, n) and b.shape == (n, m)
        assert ef().shape == {"forward": (2, o, s, s), "input grad": (2, c, s, s),
                              "weight grad": (o, c, 3, 3)}[d]


@pytest.mark.skipif(torch is None, reason="torch (the oracle) is not installed")
def test_ember_and_torch_compute_the_same():
    for name, d, ef, tf, _ in bench_conv.cases(2, np.random.default_rng(1)):
        want = tf()
        if d != "forward":
            want = want[0 if d == "input grad" else 1]
        np.testing.assert_allclose(ef(), want.numpy(), rtol=1e-4, atol=1e-4, err_msg=name + d)
    for name, d, ef, tf, _ in bench_conv.pool_cases(2, np.random.default_rng(2)):
        e, t = ef(), tf()
        if d == "forward":
            np.testing.assert_array_equal(e.detach().numpy(), t.detach().numpy())
