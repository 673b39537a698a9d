"""gelu(approximate='none') bit for bit with torch's CPU kernels (src/ember/nn/_gelu.py).

Without torch: properties of the emulated kernels (zero and its sign, odd erf, monotone for
x > 0, close to a float64 reference, the C library pieces against float64 erf/exp, the array
backward against the differentiable formula). With torch: element counts of bit mismatches,
which must be zero, for the oneDNN path (contiguous), ATen's vector loop and scalar rest
(non-contiguous, one element, oneDNN disabled), 16-bit types, and the autograd entry points.
"""

import math

import numpy as np
import pytest

import ember
import ember.nn.functional as F
from cuda_devices import fake_cuda  # noqa: F401 - the fixture
from ember.nn import _gelu
from ember.ops import _special
from oracle import requires_torch

try:
    import torch
except ImportError:
    torch = None

_AVX512 = torch is not None and torch.backends.cpu.get_cpu_capability() == "AVX512"
needs_avx512 = pytest.mark.skipif(not _AVX512, reason="the emulation mirrors torch's AVX512 "
                                  "kernels; torch is missing or dispatches another capability")


def _ref(x):
    x = x.astype(np.float64)
    return x * 0.5 * (1 + _special.erf(np, x / math.sqrt(2)))


def _strided(x):
    """x's values in an array whose last axis has stride 2 (ATen's scalar loop)."""
    return np.stack([x, x], -1)[..., 0]


def _data():
    rng = np.random.default_rng(0)
    return {
        "normal": rng.standard_normal(1 << 16).astype(np.float32),
        "wide": rng.uniform(-10, 10, 1 << 15).astype(np.float32),
        "tiny": (rng.standard_normal(1 << 12) * 10.0 ** rng.uniform(-44, -3, 1 << 12)
                 ).astype(np.float32),
        "special": np.array([0.0, -0.0, np.inf, -np.inf, np.nan, 1e-45, -1e-45, 1.2e-38,
                             -1.2e-38, 3.4e38, -3.4e38, 5.5, 5.55, -5.55, 6.0, 14.0, -14.0,
                             0.5, 1.0, 1.25, 2.0, -2.0, 4.0], np.float32),
    }


# ---- without torch ----

def test_zero_and_sign():
    """gelu(-0.0) is -0.0 through oneDNN's AVX-512 kernel and the C library's erff (ATen's
    scalar rest), +0.0 through oneDNN's kernel below AVX-512 (x/2 + x/2 erf, fused)."""
    keeps = _gelu._isa()[1]
    for x, sign in ((np.array([0.0, -0.0, 0.0], np.float32), keeps),
                    (_strided(np.array([0.0, -0.0], np.float32)), True)):
        y = _gelu.gelu_fwd(np, x)
        assert (y == 0).all()
        assert (np.signbit(y) == (np.signbit(x) & sign)).all()


@pytest.mark.parametrize("layout", [lambda x: x, _strided])
def test_close_to_float64(layout):
    x = np.linspace(-6, 10, 200001).astype(np.float32)
    y = _gelu.gelu_fwd(np, layout(x)).astype(np.float64)
    r = _ref(x)
    assert np.abs(y - r).max() < 1.5e-6  # erf's absolute error, times |x| / 2
    pos = x > 0
    ulp = np.spacing(r[pos].astype(np.float32)).astype(np.float64)
    # oneDNN's AVX-512 quintics are within a few ulp of the true gelu; the Abramowitz-Stegun
    # erf (below AVX-512; 1.5e-7 absolute, evaluated in float32: 4.6e-7 seen) is not, near 0
    bound = 5 * ulp if _gelu._isa()[1] or layout is _strided else np.maximum(
        5 * ulp, 8e-7 * x[pos] / 2)
    assert (np.abs(y[pos] - r[pos]) <= bound).all()


@pytest.mark.parametrize("layout", [lambda x: x, _strided])
def test_odd_erf_and_monotone(layout):
    x = np.unique(np.linspace(1e-6, 8, 300001).astype(np.float32))
    y = _gelu.gelu_fwd(np, layout(x))
    assert (np.diff(y) >= 0).all()
    yn = _gelu.gelu_fwd(np, layout(-x)).astype(np.float64)
    np.testing.assert_allclose(y.astype(np.float64) - yn, x, rtol=3e-7, atol=1e-30)


def test_libm_pieces_close_to_float64():
    rng = np.random.default_rng(1)
    z = np.concatenate([rng.standard_normal(20000) * 2, rng.uniform(-7, 7, 5000),
                        [0.84375, 1.25, 2.857, 6.0, -6.0]]).astype(np.float32)
    e = _gelu._libm_erf(np, z).astype(np.float64)
    r = _special.erf(np, z.astype(np.float64))
    assert (np.abs(e - r) <= np.spacing(np.abs(r).astype(np.float32)).astype(np.float64)).all()
    d = -np.abs(z) * 10
    e = _gelu._libm_exp(np, d).astype(np.float64)
    r = np.exp(d.astype(np.float64))
    assert (np.abs(e - r) <= np.spacing(r.astype(np.float32)).astype(np.float64)).all()


def test_backward_array_path_matches_formula():
    rng = np.random.default_rng(2)
    a = rng.standard_normal((8, 40)).astype(np.float32)
    w = ember.tensor(rng.standard_normal((8, 40)).astype(np.float32))
    for layout in (lambda t: t, lambda t: t.T):
        x = ember.tensor(a, requires_grad=True)
        (F.gelu(layout(x)) * layout(w)).sum().backward()  # array path (no create_graph)
        x2 = ember.tensor(a, requires_grad=True)
        (g,) = ember.autograd.grad((F.gelu(layout(x2)) * layout(w)).sum(), x2,
                                   create_graph=True)  # the differentiable formula
        np.testing.assert_allclose(x.grad.numpy(), g.detach().numpy(), rtol=1e-5, atol=1e-6)
        assert g.requires_grad


def test_half_types_round_the_float32_result():
    x = np.random.default_rng(3).standard_normal(257).astype(np.float16)
    y = F.gelu(ember.tensor(x)).numpy()
    assert y.dtype == np.float16
    np.testing.assert_array_equal(y, _gelu.gelu_fwd(np, x).astype(np.float16))


@pytest.mark.usefixtures("fake_cuda")
def test_same_bits_on_cuda_stand_in():
    """The kernels run unchanged on CuPy (here its strict stand-in), all three walks."""
    rng = np.random.default_rng(9)
    a = rng.standard_normal((40, 70)).astype(np.float32)
    w = rng.standard_normal((70, 70)).astype(np.float32)
    for layout in (lambda t: t, lambda t: t.T, lambda t: t[:, ::2]):
        out = []
        for dev in ("cpu", "cuda"):
            x = ember.tensor(a, device=dev, requires_grad=True)
            y = F.gelu(layout(x))
            (y * ember.tensor(w, device=dev)[:y.shape[0], :y.shape[1]]).sum().backward()
            out.append((y.detach().cpu().numpy(), x.grad.cpu().numpy()))
        np.testing.assert_array_equal(out[0][0], out[1][0])
        np.testing.assert_array_equal(out[0][1], out[1][1])


# ---- against torch ----

def _mismatches(a, b):
    a, b = np.ascontiguousarray(a), np.ascontiguousarray(b)
    both_nan = np.isnan(a.astype(np.float32)) & np.isnan(b.astype(np.float32))
    return int(((a.view(np.uint8).reshape(a.size, -1) != b.view(np.uint8).reshape(b.size, -1)
                 ).any(1) & ~both_nan.ravel()).sum())


def _torch_pair(x, g, layout):
    tx, tg = torch.from_numpy(x), torch.from_numpy(g)
    tx, tg = layout(tx), layout(tg)
    return (torch.nn.functional.gelu(tx).numpy(),
            torch.ops.aten.gelu_backward(tg, tx).numpy())


@requires_torch
@needs_avx512
@pytest.mark.parametrize("layout", ["contiguous", "strided", "transposed"])
def test_bit_equal_with_torch(layout):
    rng = np.random.default_rng(4)
    for name, x in _data().items():
        g = rng.standard_normal(x.size).astype(np.float32)
        if layout == "strided":
            x, g = np.stack([x, x], -1), np.stack([g, g], -1)
            lay_np, lay_t = (lambda a: a[..., 0]), (lambda t: t[..., 0])
        elif layout == "transposed":
            x, g = x.reshape(-1, 1 if x.size < 64 else 64), g.reshape(-1, 1 if x.size < 64 else 64)
            lay_np, lay_t = (lambda a: a.T), (lambda t: t.T)
        else:
            lay_np = lay_t = (lambda a: a)
        tf, tb = _torch_pair(x, g, lay_t)
        assert _mismatches(_gelu.gelu_fwd(np, lay_np(x)), tf) == 0, name
        assert _mismatches(_gelu.gelu_bwd(np, lay_np(g), lay_np(x)), tb) == 0, name


@requires_torch
@needs_avx512
@pytest.mark.filterwarnings("ignore:TF32 acceleration")
def test_bit_equal_lengths_and_aten_path():
    rng = np.random.default_rng(5)
    torch_flags = torch.backends.mkldnn.flags
    for enabled in (True, False):
        with torch_flags(enabled=enabled), ember.backends.mkldnn.flags(enabled=enabled):
            for n in list(range(1, 40)) + [65, 1000, 4099]:
                x = rng.standard_normal(n).astype(np.float32)
                g = rng.standard_normal(n).astype(np.float32)
                tf, tb = _torch_pair(x, g, lambda a: a)
                assert _mismatches(_gelu.gelu_fwd(np, x), tf) == 0, (enabled, n)
                assert _mismatches(_gelu.gelu_bwd(np, g, x), tb) == 0, (enabled, n)


@requires_torch
@needs_avx512
@pytest.mark.parametrize("dtype", ["float16", "bfloat16"])
def test_bit_equal_16_bit(dtype):
    rng = np.random.default_rng(6)
    td = getattr(torch, dtype)
    for n, layout in ((5000, lambda t: t), (3001, lambda t: t), (4000, lambda t: t[::2])):
        x = ember.tensor(rng.standard_normal(n).astype(np.float32)).to(getattr(ember, dtype))
        w = ember.tensor(rng.standard_normal(n).astype(np.float32)).to(getattr(ember, dtype))
        tx = torch.tensor(x.float().numpy()).to(td)
        tw = torch.tensor(w.float().numpy()).to(td)
        x.requires_grad_(True)
        tx.requires_grad_(True)
        y, ty = F.gelu(layout(x)), torch.nn.functional.gelu(layout(tx))
        (y * layout(w)).sum().backward()
        (ty * layout(tw)).sum().backward()
        assert _mismatches(y.detach().float().numpy(), ty.detach().float().numpy()) == 0
        assert _mismatches(x.grad.float().numpy(), tx.grad.float().numpy()) == 0


@requires_torch
@needs_avx512
def test_bit_equal_through_autograd():
    rng = np.random.default_rng(7)
    a = rng.standard_normal((64, 300)).astype(np.float32)
    for how in ("sum", "weights", "module", "transposed"):
        x, tx = ember.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
        if how == "module":
            y, ty = ember.nn.GELU()(x), torch.nn.GELU()(tx)
        elif how == "transposed":
            y, ty = F.gelu(x.T), torch.nn.functional.gelu(tx.T)
        else:
            y, ty = F.gelu(x), torch.nn.functional.gelu(tx)
        if how == "sum":
            y.sum().backward()
            ty.sum().backward()
        else:
            w = rng.standard_normal(y.shape).astype(np.float32)
            (y * ember.tensor(w)).sum().backward()
            (ty * torch.tensor(w)).sum().backward()
        assert _mismatches(y.detach().numpy(), ty.detach().numpy()) == 0, how
        assert _mismatches(x.grad.numpy(), tx.grad.numpy()) == 0, how


@requires_torch
@needs_avx512
@pytest.mark.filterwarnings("ignore:TF32 acceleration")
def test_bit_equal_thread_ranges(monkeypatch):
    """ATen's loop splits a large walk into one range per thread; each range's end leaves its
    own scalar rest (torch's thread count is read from ember's, set alike here)."""
    from ember import _threads
    rng = np.random.default_rng(8)
    before = torch.get_num_threads()
    try:
        for threads in (1, 3):
            torch.set_num_threads(threads)
            monkeypatch.setattr(_threads, "get_num_threads", lambda t=threads: t)
            x = rng.standard_normal((70001,)).astype(np.float32)
            g = rng.standard_normal((70001,)).astype(np.float32)
            with torch.backends.mkldnn.flags(enabled=False), \
                    ember.backends.mkldnn.flags(enabled=False):
                tf, tb = _torch_pair(x, g, lambda a: a)
                assert _mismatches(_gelu.gelu_fwd(np, x), tf) == 0, threads
                assert _mismatches(_gelu.gelu_bwd(np, g, x), tb) == 0, threads
            x, g = x[:69000].reshape(1000, 69), g[:69000].reshape(1000, 69)
            tf, tb = _torch_pair(x, g, lambda t: t.T)
            assert _mismatches(_gelu.gelu_fwd(np, x.T), tf) == 0, threads
            assert _mismatches(_gelu.gelu_bwd(np, g.T, x.T), tb) == 0, threads
    finally:
        torch.set_num_threads(before)


def test_erf_erfc_gelu_of_huge_float64():
    """erf/erfc of |x| past 1e154 (x * x overflows) and the gelu built on them: torch's limits
    1, 0 and x (ember gave NaN)."""
    import ember as E
    x = E.tensor([1e308, -1e308, 1e200, 30.0, -28.0], dtype=E.float64)
    assert E.erf(x).tolist() == [1.0, -1.0, 1.0, 1.0, -1.0]
    assert E.erfc(x).tolist() == [0.0, 2.0, 0.0, 0.0, 2.0]
    g = E.nn.functional.gelu(E.tensor([1e308, -1e308], dtype=E.float64))
    assert g.tolist() == [1e308, 0.0] and str(g[1].item()) == "-0.0"
