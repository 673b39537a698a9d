"""var / std / var_mean / std_mean as torch's CPU kernels compute them (ember.ops.moments):
a one-element var or std is std_var_all (torch's mean, then the squared deviations added in
order in double); otherwise, and for var_mean / std_mean, Welford in double (float64 inputs;
float32 keeps two passes in double, which round to the same float32 almost always)."""

import warnings

import numpy as np
import pytest
from tests.oracle import requires_torch, torch

import ember
from ember.ops import moments


def _cases(rng, count, dtype):
    for _ in range(count):
        nd = int(rng.integers(1, 4))
        shape = tuple(int(rng.integers(1, 18)) for _ in range(nd))
        x = rng.standard_normal(shape) * 10.0 ** rng.integers(-3, 4) + rng.standard_normal() * 50
        k = int(rng.integers(0, nd + 1))
        dims = tuple(sorted(rng.choice(nd, k, replace=False).tolist())) if k else None
        yield x.astype(dtype), dims, int(rng.integers(0, 3)), bool(rng.integers(0, 2))


def _run(lib, name, x, dims, c, keepdim):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # (degrees of freedom <= 0)
        f, xx = getattr(lib, name), lib.from_numpy(x)
        r = f(xx, dims, correction=c, keepdim=keepdim) if dims is not None else f(
            xx, correction=c)
    return [t.detach().numpy() for t in (r if isinstance(r, tuple) else (r,))]


@requires_torch
@pytest.mark.parametrize("name", ["var", "std", "var_mean", "std_mean"])
def test_float64_bits(name):
    rng = np.random.default_rng(len(name))
    for x, dims, c, keepdim in _cases(rng, 80, np.float64):
        for e, t in zip(_run(ember, name, x, dims, c, keepdim), _run(torch, name, x, dims, c,
                                                                     keepdim)):
            assert e.shape == t.shape and (e.tobytes() == t.tobytes() or (
                np.isnan(e).all() and np.isnan(t).all())), (x.shape, dims, c)


@requires_torch
@pytest.mark.parametrize("name", ["var", "std"])
def test_float32_one_element_results_bits(name):
    rng = np.random.default_rng(5)
    for x, _, c, _ in _cases(rng, 80, np.float32):
        e, t = _run(ember, name, x, None, c, False)[0], _run(torch, name, x, None, c, False)[0]
        assert e.tobytes() == t.tobytes() or (np.isnan(e) and np.isnan(t))


@requires_torch
def test_with_requires_grad_the_value_is_torchs_too():
    rng = np.random.default_rng(6)
    x = (rng.standard_normal((7, 9)) * 1e-3 + 40).astype(np.float64)
    e = ember.from_numpy(x).requires_grad_()
    t = torch.from_numpy(x).requires_grad_()
    for args in ((1,), ()):
        ev, tv = e.var(*args), t.var(*args)
        assert ev.detach().numpy().tobytes() == tv.detach().numpy().tobytes()
        ev.sum().backward()
        tv.sum().backward()
    np.testing.assert_allclose(e.grad.numpy(), t.grad.numpy(), rtol=1e-12)


def test_welford_is_the_sequential_recurrence():
    rng = np.random.default_rng(7)
    a = rng.standard_normal((5, 40)) * 3 + 7
    var, mean = moments._welford(a, (1,), False, 40 - 1)
    for row in range(5):
        m = m2 = 0.0
        for k, x in enumerate(a[row]):
            d = x - m
            m += d / (k + 1)
            m2 += d * (x - m)
        assert var[row] == m2 / 39 and mean[row] == m
    assert moments._welford(a.astype(np.float32), (1,), False, 39) is None  # float32: 2 passes
