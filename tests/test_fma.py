"""add / sub / rsub with alpha, and the optimizers' p.add_(g, alpha=-lr), round once as torch's
fused multiply-add does (ember._fma): float32 and float64 through the BLAS's axpy when it passes
its check and through the emulations otherwise, half types fused in float32 with alpha cast to
the half type. Without torch the values are checked against the exact result (Fractions)."""

import warnings
from fractions import Fraction

import numpy as np
import pytest

import ember
import ember.optim  # noqa: F401
from cuda_devices import cuda  # noqa: F401 - the fixture
from ember import _fma
from oracle import requires_torch, torch

F32, F64 = np.dtype(np.float32), np.dtype(np.float64)


@pytest.fixture(params=["blas", "emulated"])
def path(request, monkeypatch):
    """Runs a test through the checked BLAS axpy and through the emulations."""
    if request.param == "blas":
        if _fma._checked_axpy(F32) is None or _fma._checked_axpy(F64) is None:
            pytest.skip("no BLAS axpy with a fused kernel here (the emulated run covers this)")
    else:
        monkeypatch.setattr(_fma, "_axpy", {F32: None, F64: None})
    return request.param


def _data(dt, n=20011, seed=0):
    rng = np.random.default_rng(seed)
    a = rng.standard_normal(n).astype(dt)
    b = (rng.standard_normal(n) * rng.choice([1e-4, 1.0, 1e4], n)).astype(dt)
    return a, b


def _exact(a, b, alpha, dt):
    """round(a + alpha * b) to dt, from the exact rational value (float64: Fractions; float32:
    the exact float64 product plus a, rounded once to float64 then to float32, which equals the
    fused value unless the float64 sum lands on a float32 tie)."""
    al = dt.type(alpha)
    if dt == F32:
        return (b.astype(np.float64) * np.float64(al) + a.astype(np.float64)).astype(np.float32)
    return np.array([float(Fraction(float(x)) + Fraction(float(al)) * Fraction(float(y)))
                     for x, y in zip(a, b)])


@pytest.mark.parametrize("dt", [F32, F64])
@pytest.mark.parametrize("alpha", [-0.01, 3.7, 1e-7])
def test_add_alpha_is_one_rounding(dt, alpha, path):
    a, b = _data(dt, 2011 if dt == F64 else 100003)
    got = ember.add(ember.from_numpy(a), ember.from_numpy(b), alpha=alpha).numpy()
    assert got.dtype == dt
    np.testing.assert_array_equal(got, _exact(a, b, alpha, dt))
    unfused = a + b * dt.type(alpha)
    assert (got != unfused).any()  # the data tells the two apart


@requires_torch
@pytest.mark.parametrize("dt", ["float32", "float64"])
def test_add_sub_rsub_alpha_match_torch(dt, path):
    a, b = _data(np.dtype(dt), 50021, seed=2)
    ta, tb = torch.from_numpy(a), torch.from_numpy(b)
    ea, eb = ember.from_numpy(a), ember.from_numpy(b)
    for alpha in (-0.01, 0.3, 2):
        np.testing.assert_array_equal(ember.add(ea, eb, alpha=alpha).numpy(),
                                      torch.add(ta, tb, alpha=alpha).numpy())
        np.testing.assert_array_equal(ember.sub(ea, eb, alpha=alpha).numpy(),
                                      torch.sub(ta, tb, alpha=alpha).numpy())
        np.testing.assert_array_equal(ember.rsub(ea, eb, alpha=alpha).numpy(),
                                      torch.rsub(ta, tb, alpha=alpha).numpy())
        # in place, a broadcast operand, a transposed one, a Python number, out=
        x, tx = ember.from_numpy(a.copy()), torch.from_numpy(a.copy())
        x.add_(eb, alpha=alpha)
        tx.add_(tb, alpha=alpha)
        np.testing.assert_array_equal(x.numpy(), tx.numpy())
        m = a[:50000].reshape(100, 500)
        row = b[:500]
        np.testing.assert_array_equal(
            ember.add(ember.from_numpy(m), ember.from_numpy(row), alpha=alpha).numpy(),
            torch.add(torch.from_numpy(m), torch.from_numpy(row), alpha=alpha).numpy())
        np.testing.assert_array_equal(
            ember.from_numpy(m).T.sub(ember.from_numpy(m.T.copy()), alpha=alpha).numpy(),
            torch.from_numpy(m).T.sub(torch.from_numpy(m.T.copy()), alpha=alpha).numpy())
        np.testing.assert_array_equal(ember.add(ea, 1.2345, alpha=alpha).numpy(),
                                      torch.add(ta, 1.2345, alpha=alpha).numpy())
        out, tout = ember.empty(a.shape, dtype=ea.dtype), torch.empty(a.shape, dtype=ta.dtype)
        ember.add(ea, eb, alpha=alpha, out=out)
        torch.add(ta, tb, alpha=alpha, out=tout)
        np.testing.assert_array_equal(out.numpy(), tout.numpy())


@requires_torch
@pytest.mark.parametrize("dt", ["float16", "bfloat16"])
def test_half_types_fuse_in_float32_with_alpha_in_the_type(dt):
    a, b = _data(F32, 40000, seed=3)
    ta, tb = (torch.from_numpy(v).to(getattr(torch, dt)) for v in (a, b))
    ea, eb = (ember.from_numpy(v).to(getattr(ember, dt)) for v in (a, b))
    for alpha in (-0.0123, 3.7):
        # 40000 elements: torch's vector loop covers every one (its scalar tail does not fuse)
        want = torch.add(ta, tb, alpha=alpha).float().numpy()
        got = ember.add(ea, eb, alpha=alpha).float().numpy()
        np.testing.assert_array_equal(got, want)
        np.testing.assert_array_equal(ember.sub(ea, eb, alpha=alpha).float().numpy(),
                                      torch.sub(ta, tb, alpha=alpha).float().numpy())


def test_half_types_without_torch():
    a, b = _data(F32, 4000, seed=3)
    a16, b16 = a.astype(np.float16), b.astype(np.float16)
    al = np.float64(np.float16(3.7))
    with np.errstate(over="ignore"):
        want = (a16.astype(np.float64) + b16.astype(np.float64) * al).astype(
            np.float32).astype(np.float16)
    got = ember.add(ember.from_numpy(a16), ember.from_numpy(b16), alpha=3.7).numpy()
    np.testing.assert_array_equal(got, want)


def test_integers_and_autograd_unchanged():
    a = ember.tensor([1, 2, 3], dtype=ember.uint8)
    assert ember.sub(a, ember.tensor([1, 1, 1], dtype=ember.uint8), alpha=1).tolist() == [0, 1, 2]
    assert ember.add(a, a, alpha=3).tolist() == [4, 8, 12]
    x = ember.tensor([1.0, 2.0], requires_grad=True)
    y = ember.tensor([3.0, 4.0], requires_grad=True)
    ember.sub(x, y, alpha=0.5).sum().backward()
    assert x.grad.tolist() == [1.0, 1.0] and y.grad.tolist() == [-0.5, -0.5]


def test_special_values(path):
    inf, nan = np.inf, np.nan
    for dt in (F32, F64):
        big = 1e300 if dt == F64 else 1e30
        a = np.array([1.0, -0.0, inf, 1.0, nan, 2.0, -0.0, big], dt)
        b = np.array([inf, 0.0, -1.0, nan, 1.0, 0.0, 1.0, big], dt)
        for alpha in (0.0, -2.0, 1e10):
            with warnings.catch_warnings():  # inf * 0 and overflow are silent, as in torch
                warnings.simplefilter("error")
                got = ember.add(ember.from_numpy(a), ember.from_numpy(b), alpha=alpha).numpy()
            with np.errstate(all="ignore"):
                want = a + b * dt.type(alpha)
            finite = np.isfinite(want) & (np.abs(want.astype(np.float64)) < 1e290)
            np.testing.assert_array_equal(got[~finite], want[~finite])
            np.testing.assert_array_equal(np.signbit(got), np.signbit(want))


def test_check_rejects_an_unfused_kernel():
    def unfused(y, x, alpha):
        y += x * alpha
    assert not _fma._passes_check(unfused, F32)
    assert not _fma._passes_check(unfused, F64)

    def fused(y, x, alpha):
        y[...] = _fma._emulate(y, x, alpha)
    assert _fma._passes_check(fused, F32) and _fma._passes_check(fused, F64)


def _fake_blas(dt, block, fused_bulk=True):
    """A raw axpy fn(n, alpha, px, incx, py, incy) as OpenBLAS's Haswell kernels compute it:
    the first n - n % block elements fused (or not), the rest unfused."""
    import ctypes
    c = ctypes.POINTER(ctypes.c_float if dt == F32 else ctypes.c_double)

    def fn(n, alpha, px, incx, py, incy):
        x = np.ctypeslib.as_array(ctypes.cast(px, c), (n,))
        y = np.ctypeslib.as_array(ctypes.cast(py, c), (n,))
        bulk = n - n % block
        if fused_bulk:
            y[:bulk] = _fma._emulate(y[:bulk], x[:bulk], alpha)
        else:
            y[:bulk] += x[:bulk] * dt.type(alpha)
        y[bulk:] += x[bulk:] * dt.type(alpha)
    return fn


@pytest.mark.parametrize("dt", [F32, F64])
def test_a_kernel_fused_in_blocks_takes_its_bulk_and_emulates_the_tail(dt):
    for block in (16, 32):
        calls = []
        fake = _fake_blas(dt, block)
        axpy = _fma._checked_form(lambda *a: calls.append(a[0]) or fake(*a), dt)
        assert axpy is not None and axpy.__name__ == "blocked"
        a, b = _data(dt, 3 * _fma._CHUNK + 45)
        calls.clear()
        y = a.copy()
        axpy(y, b, dt.type(-0.01))
        np.testing.assert_array_equal(y, _exact(a, b, -0.01, dt))
        # the bulk in chunks, each a whole number of blocks, no longer than _CHUNK
        assert sum(calls) == len(a) - len(a) % block and max(calls) <= _fma._CHUNK
        assert all(c % block == 0 for c in calls)
    # with a BLAS on one thread, the bulk in one call
    calls = []
    axpy = _fma._checked_form(lambda *a: calls.append(a[0]) or fake(*a), dt, lambda: 1)
    a, b = _data(dt, 3 * _fma._CHUNK + 45)
    calls.clear()
    axpy(a, b, dt.type(0.5))
    assert calls == [len(a) - len(a) % 32]
    assert _fma._checked_form(_fake_blas(dt, 1), dt).__name__ == "whole"  # fused throughout
    assert _fma._checked_form(_fake_blas(dt, 32, fused_bulk=False), dt) is None


@pytest.mark.parametrize("dt", [F32, F64])
def test_sgd_step_is_one_rounding(dt, path):
    p, g = _data(dt, 2 * _fma._BLOCK + 12345 if dt == F32 else 3001, seed=1)
    w = ember.from_numpy(p.copy()).requires_grad_()
    w.grad = ember.from_numpy(g.copy())
    ember.optim.SGD([w], lr=0.01).step()
    np.testing.assert_array_equal(w.detach().numpy(), _exact(p, g, -0.01, dt))


@requires_torch
@pytest.mark.parametrize("dt", ["float32", "float64"])
def test_sgd_momentum_matches_torch(dt, path):
    rng = np.random.default_rng(5)
    p0 = rng.standard_normal((300, 70)).astype(dt)
    grads = [rng.standard_normal((300, 70)).astype(dt) for _ in range(3)]
    out = []
    for L in (ember, torch):
        w = L.from_numpy(p0.copy()).requires_grad_()
        opt = L.optim.SGD([w], lr=0.03, momentum=0.9, weight_decay=1e-3)
        for g in grads:
            w.grad = L.from_numpy(g.copy())
            opt.step()
        out.append(w.detach().numpy())
    np.testing.assert_array_equal(out[0], out[1])


@requires_torch
@pytest.mark.parametrize("dt", ["float32", "float64", "float16", "bfloat16"])
def test_addcmul_addcdiv_lerp_match_torch(dt):
    """torch: addcmul = fma(value * t1, t2, self); addcdiv = self + (value * t1) / t2 (no
    fusion); lerp = fma(w or w - 1, end - start, start or end). Half types in float32."""
    rng = np.random.default_rng(4)
    a, b, c = (rng.standard_normal(30011).astype(np.float32) for _ in range(3))
    w = (rng.random(30011) * 1.6 - 0.3).astype(np.float32)
    T = [torch.from_numpy(x).to(getattr(torch, dt)) for x in (a, b, c, w)]
    E = [ember.from_numpy(x).to(getattr(ember, dt)) for x in (a, b, c, w)]

    def same(e, t):
        np.testing.assert_array_equal(e.float().numpy(), t.float().numpy())
    for v in (0.37, 1, -0.001):
        same(ember.addcmul(*E[:3], value=v), torch.addcmul(*T[:3], value=v))
        same(ember.addcdiv(*E[:3], value=v), torch.addcdiv(*T[:3], value=v))
        same(E[0].clone().addcmul_(E[1], E[2], value=v), T[0].clone().addcmul_(T[1], T[2], value=v))
    for weight in (0.3, 0.7, -0.2):
        same(ember.lerp(E[0], E[1], weight), torch.lerp(T[0], T[1], weight))
    same(ember.lerp(E[0], E[1], E[3]), torch.lerp(T[0], T[1], T[3]))


def test_lerp_addcmul_exact_without_torch():
    rng = np.random.default_rng(6)
    a, b, c = (rng.standard_normal(5003).astype(np.float32) for _ in range(3))
    f64 = np.float64
    got = ember.addcmul(*(ember.from_numpy(x) for x in (a, b, c)), value=0.37).numpy()
    want = ((np.float32(0.37) * b).astype(f64) * c.astype(f64) + a.astype(f64)).astype(np.float32)
    np.testing.assert_array_equal(got, want)
    got = ember.lerp(ember.from_numpy(a), ember.from_numpy(b), 0.7).numpy()
    d = (b - a).astype(f64)
    want = (d * f64(np.float32(0.7) - np.float32(1)) + b.astype(f64)).astype(np.float32)
    np.testing.assert_array_equal(got, want)


@requires_torch
@pytest.mark.parametrize("name, kw, state", [
    ("Adam", {"lr": 0.01, "weight_decay": 0.1}, ("exp_avg", "exp_avg_sq")),
    ("RMSprop", {"lr": 0.01, "centered": True, "momentum": 0.9}, ("square_avg", "grad_avg")),
    ("Adadelta", {"lr": 1.0}, ("square_avg",)),
    ("SGD", {"lr": 0.01, "momentum": 0.9, "dampening": 0.1, "weight_decay": 0.1}, ()),
    ("SGD", {"lr": 0.01, "momentum": 0.9, "nesterov": True}, ()),
])
def test_optimizer_states_match_torch_bit_for_bit(name, kw, state, path):
    """The moments (and SGD's parameters) equal torch's exactly, step after step; parameters
    behind a square root may differ in their last bit (torch's float32 sqrt is not correctly
    rounded where it calls MKL's on a non-Intel CPU: 17 % of its results there), so each step
    starts from torch's parameter (Adam's L2 decay feeds it into the moments)."""
    rng = np.random.default_rng(5)
    p0 = rng.standard_normal((200, 50)).astype(np.float32)
    grads = [rng.standard_normal((200, 50)).astype(np.float32) for _ in range(3)]
    ws = [L.from_numpy(p0.copy()).requires_grad_() for L in (ember, torch)]
    opts = [getattr(L.optim, name)([w], **kw) for L, w in zip((ember, torch), ws)]
    for g in grads:
        for L, w, opt in zip((ember, torch), ws, opts):
            w.grad = L.from_numpy(g.copy())
            opt.step()
        e, t = (w.detach().numpy() for w in ws)
        for k in state:
            np.testing.assert_array_equal(opts[0].state[ws[0]][k].numpy(),
                                          opts[1].state[ws[1]][k].numpy())
        if name == "SGD":
            np.testing.assert_array_equal(e, t)
        else:  # a last-bit difference in the step, lr / sqrt(...) * g, and one in p + step
            np.testing.assert_allclose(e, t, rtol=0, atol=1e-6 * np.abs(t).max())
        e[...] = t


def test_meta_tensors_stay_meta():
    a, b = ember.empty(3, 4, device="meta"), ember.empty(3, 4, device="meta")
    for r in (ember.add(a, b, alpha=2), ember.sub(a, b, alpha=0.5), ember.lerp(a, b, 0.3),
              ember.lerp(a, b, b), ember.addcmul(a, a, b, value=0.2)):
        assert r.device.type == "meta" and r.shape == (3, 4)


@pytest.mark.usefixtures("cuda")
def test_cuda_float32_is_one_rounding():
    """On the GPU path float32 goes through float64 (CuPy's own a + b * alpha is two kernels)."""
    a, b = _data(F32, 3001, seed=8)
    want = _exact(a, b, -0.01, F32)
    got = ember.add(ember.from_numpy(a).to("cuda"), ember.from_numpy(b).to("cuda"), alpha=-0.01)
    np.testing.assert_array_equal(got.cpu().numpy(), want)
    w = ember.from_numpy(a.copy()).to("cuda").requires_grad_()
    w.grad = ember.from_numpy(b.copy()).to("cuda")
    ember.optim.SGD([w], lr=0.01).step()
    np.testing.assert_array_equal(w.detach().cpu().numpy(), want)
