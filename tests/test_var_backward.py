"""var / std gradients as torch's var_backward computes them, in the input's dtype:
((2 / dof) * grad) * (x - x.mean(dims, keepdim=True)); std's gradient first goes through
grad / (2 * std) (0 where the std is 0). ember used to differentiate its float64 accumulation of
the variance, whose gradient was last bits apart from torch's (and lost a -0.0 gradient's sign).
"""

import numpy as np
import pytest

import ember
from oracle import requires_torch, torch

CONFIGS = [dict(), dict(dim=0), dict(dim=-1, keepdim=True), dict(unbiased=False),
           dict(dim=1, correction=2), dict(dim=0, correction=0, keepdim=True)]


def _data(shape, dt, seed=0):
    rng = np.random.default_rng(seed)
    return (rng.standard_normal(shape) * 10.0 ** rng.integers(-2, 3, shape)).astype(dt)


def _grad(lib, fname, x, kw, g):
    t = lib.tensor(x, requires_grad=True)
    y = getattr(t, fname)(**kw)
    y.backward(lib.tensor(g))
    return y.detach().numpy(), t.grad.numpy()


@pytest.mark.parametrize("kw", CONFIGS)
@pytest.mark.parametrize("dt", [np.float32, np.float64])
def test_var_gradient_is_torch_formula(kw, dt):
    x = _data((5, 7, 3), dt)
    out = ember.tensor(x).var(**kw)
    g = _data(tuple(out.shape), dt, 1)
    g.reshape(-1)[0] = -0.0
    _, got = _grad(ember, "var", x, kw, g)
    dim = kw.get("dim")
    axes = None if dim is None else (dim % 3,)
    n = x.size if axes is None else x.shape[axes[0]]
    c = kw.get("correction", 0 if kw.get("unbiased") is False else 1)
    mu = ember.tensor(x).mean(dim, keepdim=True).numpy() if dim is not None else \
        ember.tensor(x).mean().numpy()
    gk = g if kw.get("keepdim") or axes is None else np.expand_dims(g, axes[0])
    want = (dt(2.0 / (n - c)) * gk) * (x - mu)
    assert got.dtype == dt and got.tobytes() == want.astype(dt).tobytes()


@requires_torch
@pytest.mark.parametrize("fname", ["var", "std"])
@pytest.mark.parametrize("kw", CONFIGS)
@pytest.mark.parametrize("shape", [(4, 5, 6), (2, 3, 50)])
def test_float32_var_std_gradients_equal_torch(fname, kw, shape):
    x = _data(shape, np.float32, 2)
    out = getattr(ember.tensor(x), fname)(**kw)
    g = _data(tuple(out.shape), np.float32, 3)
    g.reshape(-1)[0] = -0.0
    ey, eg = _grad(ember, fname, x, kw, g)
    ty, tg = _grad(torch, fname, x, kw, g)
    assert ey.tobytes() == ty.tobytes()
    assert eg.tobytes() == tg.tobytes()


def test_var_std_second_derivatives():
    x = _data((4, 6), np.float64, 4)
    for fname in ("var", "std"):
        t = ember.tensor(x, requires_grad=True)
        y = getattr(t, fname)(1)
        (gx,) = ember.autograd.grad(y.sum(), t, create_graph=True)
        (gxx,) = ember.autograd.grad((gx * gx).sum(), t)
        eps = 1e-6
        num = np.zeros_like(x)
        for i in np.ndindex(*x.shape):
            for s in (1, -1):
                xp = x.copy()
                xp[i] += s * eps
                tp = ember.tensor(xp, requires_grad=True)
                (g2,) = ember.autograd.grad(getattr(tp, fname)(1).sum(), tp)
                num[i] += s * (g2.numpy() ** 2).sum() / (2 * eps)
        np.testing.assert_allclose(gxx.numpy(), num, rtol=1e-5, atol=1e-7)


def test_std_gradient_is_zero_where_the_std_is():
    x = np.array([[1.0, 1.0, 1.0], [1.0, 2.0, 4.0]], np.float32)
    t = ember.tensor(x, requires_grad=True)
    t.std(1).sum().backward()
    assert np.array_equal(t.grad.numpy()[0], np.zeros(3, np.float32))
    assert np.all(np.isfinite(t.grad.numpy()))


@pytest.mark.filterwarnings("ignore:.*degrees of freedom")
@pytest.mark.parametrize("values,kw,want", [
    # without dims and no degrees of freedom left, torch's gradient is inf (nan where x is its
    # mean), not 2 / dof * (x - mean): these numbers are torch 2.13's
    ([1.0, 2.0, 4.0], dict(correction=5), [np.inf, np.inf, np.inf]),
    ([1.0, 2.0, 4.0], dict(correction=3), [np.inf, np.inf, np.inf]),
    ([1.0, 2.0, 3.0], dict(correction=4), [np.inf, np.nan, np.inf]),
    ([1.0], dict(), [np.nan]),
    # with dims the formula stands, whatever the sign of dof
    ([1.0, 2.0, 4.0], dict(dim=0, correction=5), [4 / 3, 1 / 3, -5 / 3]),
    ([1.0, 2.0, 4.0], dict(dim=0, correction=3), [-np.inf, -np.inf, np.inf]),
])
@pytest.mark.parametrize("dt", ["float32", "float64"])
def test_var_gradient_without_degrees_of_freedom(values, kw, want, dt):
    def grad(lib):
        t = lib.tensor(values, dtype=getattr(lib, dt), requires_grad=True)
        return lib.autograd.grad(t.var(**kw), t)[0].numpy()
    got = grad(ember)
    np.testing.assert_allclose(got, np.array(want, dt), rtol=1e-6)
    if torch is not None:
        np.testing.assert_array_equal(got, grad(torch))
