"""Ops whose float results equal torch's bit for bit because ember computes them in torch's
CPU kernel's order: tensor ** {2, 3, -1, -2, -0.5} by formula (x * x * x, 1 / (x * x), ...),
cumsum / cumprod accumulated in double (torch's acc_type) and rounded once per output, and
batch_norm in eval mode as x * alpha + beta with one rounding (alpha = invstd * weight, beta =
bias - mean * alpha, fused). Without torch, the same formulas are checked in NumPy."""

import numpy as np
import pytest

import ember
from oracle import requires_torch, torch

F64 = np.float64


def _x(shape=(64, 100), seed=0, dtype=np.float32):
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_pow_specialised_exponents(dtype):
    x = _x(dtype=dtype)
    e = ember.from_numpy(x)
    np.testing.assert_array_equal((e ** 3).numpy(), x * x * x)
    np.testing.assert_array_equal((e ** 3.0).numpy(), x * x * x)
    np.testing.assert_array_equal((e ** -2).numpy(), 1 / (x * x))
    np.testing.assert_array_equal((e ** 2).numpy(), x * x)
    np.testing.assert_array_equal((e ** -1).numpy(), 1 / x)
    a = np.abs(x) + dtype(0.1)
    np.testing.assert_array_equal((ember.from_numpy(a) ** -0.5).numpy(), 1 / np.sqrt(a))
    assert ((e ** 3).numpy() != np.power(x, dtype(3))).any()  # the data tells them apart


@requires_torch
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_pow_matches_torch(dtype):
    x = _x(dtype=dtype)
    for exp in (2, 3, 3.0, -1, -2, -0.5, 2.0):
        base = np.abs(x) + 0.1 if exp == -0.5 else x
        np.testing.assert_array_equal((ember.from_numpy(base) ** exp).numpy(),
                                      (torch.from_numpy(base) ** exp).numpy())
    # the gradient of x ** 3 is grad * (3 * x ** 2), in that order
    et, tt = ember.from_numpy(x).requires_grad_(), torch.from_numpy(x).requires_grad_()
    g = _x(seed=1, dtype=dtype)
    (et ** 3).backward(ember.from_numpy(g))
    (tt ** 3).backward(torch.from_numpy(g))
    np.testing.assert_array_equal(et.grad.numpy(), tt.grad.numpy())


def test_complex_negative_integer_power_allowed():
    z = ember.tensor([1 + 1j, 2 - 1j], dtype=ember.complex64)
    np.testing.assert_allclose((z ** -1).numpy(), 1 / np.array([1 + 1j, 2 - 1j]), rtol=1e-6)
    with pytest.raises(RuntimeError, match="Integers to negative integer powers"):
        ember.tensor([1, 2]) ** -1


@pytest.mark.parametrize("fn", ["cumsum", "cumprod"])
def test_scans_accumulate_in_double(fn):
    x = _x(seed=2) * np.float32(0.9 if fn == "cumprod" else 1)
    for d in (0, 1):
        got = getattr(ember.from_numpy(x), fn)(d).numpy()
        want = getattr(np, fn)(x.astype(F64), axis=d).astype(np.float32)
        np.testing.assert_array_equal(got, want)
        assert got.dtype == np.float32
    assert (getattr(np, fn)(x, axis=1) != getattr(ember.from_numpy(x), fn)(1).numpy()).any()


@requires_torch
@pytest.mark.parametrize("dtype", ["float32", "float16", "bfloat16", "float64"])
def test_scans_match_torch(dtype):
    x = _x(seed=3)
    T = torch.from_numpy(x).to(getattr(torch, dtype))
    E = ember.from_numpy(x).to(getattr(ember, dtype))
    for fn in ("cumsum", "cumprod"):
        for d in (0, 1):
            np.testing.assert_array_equal(getattr(E, fn)(d).float().numpy(),
                                          getattr(T, fn)(d).float().numpy())
    np.testing.assert_array_equal(E.cumsum(1, dtype=ember.float64).numpy(),
                                  T.cumsum(1, dtype=torch.float64).numpy())


def _bn_params(C):
    lin = (lambda a, b: np.linspace(a, b, C, dtype=np.float32))
    return lin(0.5, 1.5), lin(-0.3, 0.3), lin(-0.2, 0.2), lin(0.5, 2.0)


def test_batch_norm_eval_is_one_rounding():
    x = _x((8, 16, 12, 12), seed=4)
    w, b, rm, rv = _bn_params(16)
    got = ember.nn.functional.batch_norm(*(ember.from_numpy(a) for a in (x, rm, rv, w, b)),
                                         training=False, eps=1e-5).numpy()
    alpha = np.float32(1) / np.sqrt(rv + np.float32(1e-5)) * w
    beta = ((-rm).astype(F64) * alpha + b).astype(np.float32)
    shape = (1, 16, 1, 1)
    want = (x.astype(F64) * alpha.reshape(shape) + beta.reshape(shape)).astype(np.float32)
    np.testing.assert_array_equal(got, want)


@requires_torch
@pytest.mark.parametrize("shape", [(8, 16, 12, 12), (64, 16), (4, 16, 30)])
@pytest.mark.parametrize("affine", [True, False])
def test_batch_norm_eval_matches_torch(shape, affine):
    x = _x(shape, seed=5)
    outs = []
    for L in (ember, torch):
        m = {2: L.nn.BatchNorm1d, 3: L.nn.BatchNorm1d, 4: L.nn.BatchNorm2d}[len(shape)](
            16, affine=affine).eval()
        w, b, rm, rv = _bn_params(16)
        with L.no_grad():
            m.running_mean.copy_(L.from_numpy(rm))
            m.running_var.copy_(L.from_numpy(rv))
            if affine:
                m.weight.copy_(L.from_numpy(w))
                m.bias.copy_(L.from_numpy(b))
        xt = L.from_numpy(x.copy()).requires_grad_()
        y = m(xt)
        y.backward(L.from_numpy(_x(shape, seed=6)))
        outs.append((y.detach().numpy(), xt.grad.numpy()))
    np.testing.assert_array_equal(outs[0][0], outs[1][0])
    np.testing.assert_allclose(outs[0][1], outs[1][1], rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("dtype", ["float32", "float64", "float16"])
def test_relu_backward_is_threshold_backward(dtype):
    """torch: grad where the output > 0 (or NaN), else 0 -- an inf or NaN gradient at an
    inactive unit gives 0 (not inf * 0 = NaN), and a NaN output passes its gradient."""
    x = np.array([-1.0, 0.0, 2.0, np.nan, -3.0, 4.0, -0.0], dtype)
    g = np.array([np.inf, np.nan, 1.0, 5.0, -np.inf, np.inf, 7.0], dtype)
    want = np.array([0.0, 0.0, 1.0, 5.0, 0.0, np.inf, 0.0], dtype)
    for fresh in (False, True):  # the gradient array owned by the engine (in place) or not
        t = ember.from_numpy(x.copy()).requires_grad_()
        y = ember.relu(t * 1 if fresh else t)
        y.backward(ember.from_numpy(g.copy()))
        np.testing.assert_array_equal(t.grad.numpy(), want)
        assert not np.signbit(t.grad.numpy()).any()
    t = ember.from_numpy(x.copy()).requires_grad_()
    (gg,) = ember.autograd.grad(ember.relu(t), t, ember.from_numpy(g.copy()), create_graph=True)
    np.testing.assert_array_equal(gg.detach().numpy(), want)


@requires_torch
def test_relu_backward_special_values_match_torch():
    x = np.array([-1.0, 0.0, 2.0, np.nan, -3.0, 4.0], np.float32)
    g = np.array([np.inf, np.nan, 1.0, 5.0, -np.inf, np.inf], np.float32)
    grads = []
    for L in (ember, torch):
        t = L.from_numpy(x.copy()).requires_grad_()
        L.nn.functional.relu(t).backward(L.from_numpy(g.copy()))
        grads.append(t.grad.numpy())
    np.testing.assert_array_equal(grads[0], grads[1])
