"""torch.special's Bessel functions, erfcx, log_ndtr, ndtri, i0e / i1 / i1e, zeta, gammainc /
gammaincc (torch.igamma / igammac) and the orthogonal polynomials: values, dtypes, errors and
gradients. Checked against identities and NumPy's polynomial module (always), and against torch
where it is installed. The SciPy-backed functions need the `special` extra (installed by the
test extra); without SciPy they must raise an ImportError naming the extra."""

import importlib.util
import math
import sys

import numpy as np
import pytest

import ember
from oracle import torch

S = ember.special
needs_scipy = pytest.mark.skipif(importlib.util.find_spec("scipy") is None,
                                 reason="SciPy (ember[special]) is not installed")
rng = np.random.default_rng(0)
X = np.concatenate([rng.normal(0, 3, 60), [0.0, -0.0, 1.0, -1.0, 0.5, 8.0, 8.5, -30.0, 30.0,
                                           700.0, -700.0, 1e-30, np.inf, -np.inf, np.nan]])
P = np.concatenate([rng.uniform(0, 1, 40), [0.0, 1.0, -0.1, 1.1, 0.5, 1 - 1e-7, 1e-30, np.nan]])

# name -> (float64 rtol, atol) against torch: torch's own airy_ai is accurate to about 2e-5 and
# its J / Y to about 2e-7 absolute (SciPy's, and so ember's, to double precision: see
# test_identities)
UNARY = {"airy_ai": (1e-4, 1e-6), "bessel_j0": (1e-5, 1e-6), "bessel_j1": (1e-5, 1e-6),
         "bessel_y0": (1e-5, 1e-6), "bessel_y1": (1e-5, 1e-6), "modified_bessel_i0": (1e-12, 0),
         "modified_bessel_i1": (1e-12, 0), "modified_bessel_k0": (1e-12, 0),
         "modified_bessel_k1": (1e-12, 0), "scaled_modified_bessel_k0": (1e-12, 0),
         "scaled_modified_bessel_k1": (1e-12, 0), "spherical_bessel_j0": (1e-14, 0),
         "erfcx": (1e-12, 0), "i0e": (1e-12, 0), "i1": (1e-12, 0), "i1e": (1e-12, 0),
         "log_ndtr": (1e-12, 0), "ndtri": (1e-12, 0)}
SCIPY_FREE = {"spherical_bessel_j0", "i1"}
POLYS = ["chebyshev_polynomial_t", "chebyshev_polynomial_u", "chebyshev_polynomial_v",
         "chebyshev_polynomial_w", "shifted_chebyshev_polynomial_t",
         "shifted_chebyshev_polynomial_u", "shifted_chebyshev_polynomial_v",
         "shifted_chebyshev_polynomial_w", "hermite_polynomial_h", "hermite_polynomial_he",
         "laguerre_polynomial_l", "legendre_polynomial_p"]


def _np(t):
    return t.detach().numpy()


@needs_scipy
def test_identities():
    """Values against definitions that use neither SciPy nor torch."""
    x = ember.tensor(np.linspace(0.3, 25, 200), dtype=ember.float64)
    xs = x.numpy()
    j0, j1, y0, y1 = (_np(getattr(S, n)(x)) for n in ("bessel_j0", "bessel_j1", "bessel_y0",
                                                       "bessel_y1"))
    np.testing.assert_allclose(j1 * y0 - j0 * y1, 2 / (np.pi * xs), rtol=1e-13)  # Wronskian
    i0, i1, k0, k1 = (_np(getattr(S, n)(x)) for n in ("modified_bessel_i0", "modified_bessel_i1",
                                                       "modified_bessel_k0", "modified_bessel_k1"))
    np.testing.assert_allclose(i0 * k1 + i1 * k0, 1 / xs, rtol=1e-13)
    np.testing.assert_allclose(i0, _np(ember.i0(x)), rtol=1e-13)
    np.testing.assert_allclose(_np(S.i0e(x)), i0 * np.exp(-xs), rtol=1e-13)
    np.testing.assert_allclose(_np(S.i1e(-x)), -i1 * np.exp(-xs), rtol=1e-13)
    np.testing.assert_allclose(_np(S.i1(x)), i1, rtol=1e-13)
    np.testing.assert_allclose(_np(S.scaled_modified_bessel_k0(x)), k0 * np.exp(xs), rtol=1e-13)
    np.testing.assert_allclose(_np(S.scaled_modified_bessel_k1(x)), k1 * np.exp(xs), rtol=1e-13)
    # J0 by its power series (terms shrink from k ~ x / 2; the sum is exact to ~1e-15 for x < 5)
    small = xs[xs < 5]
    series = sum((-1) ** k * (small / 2) ** (2 * k) / math.factorial(k) ** 2 for k in range(40))
    np.testing.assert_allclose(j0[: small.size], series, rtol=1e-12, atol=1e-14)
    assert S.airy_ai(ember.tensor(0.0, dtype=ember.float64)).item() == pytest.approx(
        1 / (3 ** (2 / 3) * math.gamma(2 / 3)), rel=1e-15)
    m = ember.tensor(np.linspace(-5, 5, 41), dtype=ember.float64)
    ms = m.numpy()
    np.testing.assert_allclose(_np(S.erfcx(m)), np.exp(ms * ms) * _np(ember.erfc(m)), rtol=1e-12)
    log_phi = [math.log(math.erfc(-v / math.sqrt(2)) / 2) if v < 0 else
               math.log1p(-math.erfc(v / math.sqrt(2)) / 2) for v in ms]
    np.testing.assert_allclose(_np(S.log_ndtr(m)), log_phi, rtol=1e-12)
    np.testing.assert_allclose(_np(S.ndtri(S.ndtr(m))), ms, rtol=1e-10, atol=1e-13)
    # far tails, where the naive formulas fail: erfcx ~ 1 / (x sqrt pi), log_ndtr ~ -x^2 / 2
    assert S.erfcx(ember.tensor(1e4, dtype=ember.float64)).item() == pytest.approx(
        1 / (1e4 * math.sqrt(math.pi)), rel=1e-8)
    assert S.log_ndtr(ember.tensor(-40.0, dtype=ember.float64)).item() == pytest.approx(
        -800 - math.log(40 * math.sqrt(2 * math.pi)), rel=1e-5)
    assert S.ndtri(ember.tensor(1e-300, dtype=ember.float64)).item() == pytest.approx(
        -37.0471, rel=1e-5)
    assert S.zeta(ember.tensor(2.0, dtype=ember.float64), 1.0).item() == pytest.approx(
        math.pi ** 2 / 6, rel=1e-15)
    assert S.zeta(ember.tensor(4.0, dtype=ember.float64), 1.0).item() == pytest.approx(
        math.pi ** 4 / 90, rel=1e-15)
    a, z = ember.tensor([0.5, 1.0, 3.5], dtype=ember.float64), ember.tensor([0.7, 2.0, 1.5],
                                                                          dtype=ember.float64)
    np.testing.assert_allclose(_np(S.gammainc(a, z) + S.gammaincc(a, z)), 1.0, rtol=1e-14)
    np.testing.assert_allclose(_np(S.gammainc(ember.ones(3, dtype=ember.float64), z)),
                               1 - np.exp(-z.numpy()), rtol=1e-14)
    np.testing.assert_allclose(_np(S.gammainc(ember.tensor([0.5], dtype=ember.float64), z)),
                               [math.erf(math.sqrt(v)) for v in z.numpy()], rtol=1e-14)


def test_spherical_bessel_j0():
    x = np.array([0.0, 0.1, -0.4, 0.5, 2.0, -7.5, np.inf, -np.inf, np.nan])
    got = _np(S.spherical_bessel_j0(ember.tensor(x, dtype=ember.float64)))
    with np.errstate(invalid="ignore"):
        want = np.where(x == 0, 1.0, np.sin(x) / x)
    want[np.isinf(x)] = 0.0
    np.testing.assert_allclose(got, want, rtol=1e-15)


@pytest.mark.parametrize("name", sorted(UNARY))
def test_unary_against_torch(name):
    if name not in SCIPY_FREE and importlib.util.find_spec("scipy") is None:
        pytest.skip("SciPy (ember[special]) is not installed")
    if torch is None:
        pytest.skip("torch (the oracle) is not installed")
    rtol, atol = UNARY[name]
    for dt, rt, at in (("float64", rtol, atol), ("float32", max(rtol, 1e-5), max(atol, 1e-6))):
        x = (P if name == "ndtri" else X).astype(dt)
        got = _np(getattr(S, name)(ember.tensor(x)))
        want = getattr(torch.special, name)(torch.tensor(x)).numpy()
        if dt == "float32":  # torch's float32 kernels lose accuracy for large |x|
            keep = ~(np.abs(x) > 100)
            got, want = got[keep], want[keep]
        assert got.dtype == want.dtype
        np.testing.assert_allclose(got, want, rtol=rt, atol=at, err_msg=f"{name} {dt}")


GRADS = {"erfcx": X[:60], "i0e": X[:62], "i1": X[:62], "i1e": X[:62], "log_ndtr": X[:60],
         "ndtri": np.clip(P[:40], 0.01, 0.99)}


@pytest.mark.parametrize("name", sorted(GRADS))
def test_unary_gradients(name):
    if name != "i1" and importlib.util.find_spec("scipy") is None:
        pytest.skip("SciPy (ember[special]) is not installed")
    x = GRADS[name]
    t = ember.tensor(x, dtype=ember.float64, requires_grad=True)
    y = getattr(S, name)(t)
    assert y.grad_fn.name() == {"i0e": "SpecialI0EBackward0", "i1e": "SpecialI1EBackward0",
                                "log_ndtr": "SpecialLogNdtrBackward0", "i1": "SpecialI1Backward0",
                                "erfcx": "SpecialErfcxBackward0",
                                "ndtri": "SpecialNdtriBackward0"}[name]
    g = np.linspace(-1, 1, x.size)
    y.backward(ember.tensor(g))
    h = 1e-6  # central differences (away from 0, where i0e and i1e have a kink)
    up = _np(getattr(S, name)(ember.tensor(x + h, dtype=ember.float64)))
    down = _np(getattr(S, name)(ember.tensor(x - h, dtype=ember.float64)))
    away = np.abs(x) > 1e-3
    np.testing.assert_allclose(t.grad.numpy()[away], (g * (up - down) / (2 * h))[away],
                               rtol=1e-6, atol=1e-9)
    if name in ("i1", "i1e"):
        assert t.grad.numpy()[x == 0] == pytest.approx(0.5 * g[x == 0])
    if torch is None:
        pytest.skip("torch (the oracle) is not installed")
    for dt in ("float64", "float32"):
        e = ember.tensor(x.astype(dt), requires_grad=True)
        tt = torch.tensor(x.astype(dt), requires_grad=True)
        getattr(S, name)(e).backward(ember.tensor(g.astype(dt)))
        getattr(torch.special, name)(tt).backward(torch.tensor(g.astype(dt)))
        np.testing.assert_allclose(e.grad.numpy(), tt.grad.numpy(),
                                   rtol=1e-12 if dt == "float64" else 1e-5,
                                   atol=0 if dt == "float64" else 1e-7)


@needs_scipy
@pytest.mark.parametrize("name", ["zeta", "gammainc", "gammaincc"])
def test_binary(name):
    x = np.concatenate([rng.uniform(0.5, 6, 30), [1, 1, 2, 2, 2.5, 3, 0.5, np.inf, np.nan]])
    q = np.concatenate([rng.uniform(-3, 6, 30), [2, 0, 0, -1, -1.5, -2.5, 1, 2, 1]])
    a, b = (x, q) if name == "zeta" else (np.abs(q), x)
    fn = getattr(S, name)
    # gradient in the second argument, by central differences
    a2, b2 = rng.uniform(1.5, 4, 10), rng.uniform(0.5, 4, 10)
    tb = ember.tensor(b2, requires_grad=True)
    fn(ember.tensor(a2), tb).sum().backward()
    h = 1e-6
    fd = (_np(fn(ember.tensor(a2), ember.tensor(b2 + h))) -
          _np(fn(ember.tensor(a2), ember.tensor(b2 - h)))) / (2 * h)
    np.testing.assert_allclose(tb.grad.numpy(), fd, rtol=1e-6)
    ta = ember.tensor(a2, requires_grad=True)
    what = {"zeta": "zeta", "gammainc": "igamma: input", "gammaincc": "igammac: input"}[name]
    with pytest.raises(NotImplementedError, match=f"^the derivative for '{what}' is not "
                                                  "implemented.$"):
        fn(ta, ember.tensor(b2)).sum().backward()
    if torch is None:
        pytest.skip("torch (the oracle) is not installed")
    for dt in ("float64", "float32"):
        got = _np(fn(ember.tensor(a.astype(dt)), ember.tensor(b.astype(dt))))
        want = getattr(torch.special, name)(torch.tensor(a.astype(dt)),
                                            torch.tensor(b.astype(dt))).numpy()
        assert got.dtype == want.dtype
        np.testing.assert_allclose(got, want, rtol=1e-10 if dt == "float64" else 1e-5,
                                   err_msg=f"{name} {dt}")
        e = ember.tensor(b2.astype(dt), requires_grad=True)
        t = torch.tensor(b2.astype(dt), requires_grad=True)
        fn(ember.tensor(a2.astype(dt)), e).sum().backward()
        getattr(torch.special, name)(torch.tensor(a2.astype(dt)), t).sum().backward()
        np.testing.assert_allclose(e.grad.numpy(), t.grad.numpy(),
                                   rtol=1e-10 if dt == "float64" else 1e-5)


@needs_scipy
def test_zeta_number_overloads():
    q = ember.tensor([0.5, 2.0])
    np.testing.assert_allclose(_np(S.zeta(2.0, q)), [math.pi ** 2 / 2, math.pi ** 2 / 6 - 1],
                               rtol=1e-6)
    assert S.zeta(ember.tensor([2]), 3).dtype == ember.float32
    assert S.zeta(2, ember.tensor([3.0], dtype=ember.float64)).dtype == ember.float64
    with pytest.raises(TypeError, match=r"^special_zeta\(\) received an invalid combination of "
                                        r"arguments - got \(int, int\)"):
        S.zeta(2, 3)


@needs_scipy
def test_igamma_top_level_and_methods():
    a, x = ember.tensor([1.0, 2.0]), ember.tensor([1.0, 1.0])
    want = [1 - math.exp(-1), 1 - 2 * math.exp(-1)]
    np.testing.assert_allclose(_np(ember.igamma(a, x)), want, rtol=1e-6)
    np.testing.assert_allclose(_np(a.igamma(x)), want, rtol=1e-6)
    np.testing.assert_allclose(_np(a.igammac(x)), 1 - np.array(want), rtol=1e-6)
    b = a.clone()
    assert b.igamma_(x) is b
    np.testing.assert_allclose(b.numpy(), want, rtol=1e-6)
    with pytest.raises(NotImplementedError, match="^\"igamma_cpu\" not implemented for 'Long'$"):
        ember.igamma(ember.tensor([1]), ember.tensor([2]))
    with pytest.raises(TypeError, match=r"^special_gammainc\(\): argument 'input' \(position 1\) "
                                        "must be Tensor, not float$"):
        S.gammainc(2.0, x)
    with pytest.raises(TypeError, match=r"^igammac\(\): argument 'other' \(position 2\) "
                                        "must be Tensor, not int$"):
        ember.igammac(x, 2)
    assert ember.igamma(a.half(), x.half()).dtype == ember.float16


@pytest.mark.parametrize("name", sorted(UNARY))
def test_unary_dtypes_and_errors(name):
    if name not in SCIPY_FREE and importlib.util.find_spec("scipy") is None:
        pytest.skip("SciPy (ember[special]) is not installed")
    fn = getattr(S, name)
    arg = 0.5 if name == "ndtri" else 1
    assert fn(ember.tensor([arg])).dtype == ember.float32
    assert fn(ember.tensor([True])).dtype == ember.float32
    kernel = f'"{name}_cpu" not implemented for '
    with pytest.raises(NotImplementedError, match=f"^{kernel}'ComplexFloat'$"):
        fn(ember.tensor([1j]))
    if name in ("i0e", "i1", "i1e"):
        assert fn(ember.tensor([0.5]).half()).dtype == ember.float16
    else:
        with pytest.raises(NotImplementedError, match=f"^{kernel}'Half'$"):
            fn(ember.tensor([0.5]).half())
    with pytest.raises(TypeError, match=rf"^special_{name}\(\): argument 'input' \(position 1\) "
                                        "must be Tensor, not float$"):
        fn(0.5)
    out = ember.empty(2, dtype=ember.float64)
    x = ember.tensor([0.25, 0.75], dtype=ember.float64)
    assert fn(x, out=out) is out
    np.testing.assert_array_equal(out.numpy(), fn(x).numpy())
    # no derivative in torch: the result does not require grad (and out= is allowed)
    r = fn(ember.tensor([0.25, 0.75], requires_grad=True))
    assert r.requires_grad == (name in GRADS)


def _cheb_t(x, n):
    return np.polynomial.chebyshev.chebval(x, [0] * n + [1])


# definitions of each polynomial of degree n at x (|x| < 1 for the trigonometric ones)
def _definition(name, x, n):
    P = np.polynomial
    e = [0] * n + [1]
    shifted = name.startswith("shifted")
    y = 2 * x - 1 if shifted else x
    kind = name[-1]
    th = np.arccos(np.clip(y, -1, 1))
    if name.endswith("hermite_polynomial_h"):
        return P.hermite.hermval(x, e)
    if name.endswith("hermite_polynomial_he"):
        return P.hermite_e.hermeval(x, e)
    if name.startswith("laguerre"):
        return P.laguerre.lagval(x, e)
    if name.startswith("legendre"):
        return P.legendre.legval(x, e)
    if kind == "t":
        return _cheb_t(y, n)
    if kind == "u":
        return np.sin((n + 1) * th) / np.sin(th)
    if kind == "v":
        return np.cos((n + 0.5) * th) / np.cos(th / 2)
    return np.sin((n + 0.5) * th) / np.sin(th / 2)


@pytest.mark.parametrize("name", POLYS)
def test_polynomials(name):
    fn = getattr(S, name)
    shifted = name.startswith("shifted")
    x = np.array([-0.9, -0.35, 0.1, 0.6, 0.95])
    if shifted:
        x = (x + 1) / 2
    for n in range(0, 13):  # both the recurrence (n <= 6 or 8) and the trigonometric branch
        got = _np(fn(ember.tensor(x, dtype=ember.float64), n))
        np.testing.assert_allclose(got, _definition(name, x, n), rtol=1e-11, atol=1e-11,
                                   err_msg=f"{name} n={n}")
    n = ember.tensor([-2, -1, 3])  # a negative degree is 0; int degrees make float32 values
    got = fn(ember.tensor([0.3, 0.3, 0.3]), n)
    assert got.dtype == ember.float32 and got[:2].tolist() == [0.0, 0.0]
    # a float degree is truncated (NaN is negative)
    a = fn(ember.tensor([0.3, 0.3, 0.3], dtype=ember.float64),
           ember.tensor([2.9, float("nan"), 2.0], dtype=ember.float64)).tolist()
    assert a[0] == a[2] and a[1] == 0.0
    kernel = f'"{name}_cpu" not implemented for '
    with pytest.raises(NotImplementedError, match=f"^{kernel}'Half'$"):
        fn(ember.tensor([0.5]).half(), 2)
    with pytest.raises(TypeError, match=rf"^special_{name}\(\) received an invalid combination "
                                        r"of arguments - got \(float, int\)"):
        fn(0.5, 2)
    np.testing.assert_allclose(_np(fn(0.5 if not shifted else 0.75, ember.tensor([3]))),
                               _np(fn(ember.tensor([0.5 if not shifted else 0.75]), 3)))
    assert not fn(ember.tensor([0.5], requires_grad=True), 2).requires_grad


def test_polynomials_against_torch():
    if torch is None:
        pytest.skip("torch (the oracle) is not installed")
    xv = np.array([-1, 1, 0, 0.5, -0.5, 0.25, 0.75, -0.999, 2, -2, 1.5, 3, -3, 0.1, 1e-3, 10,
                   np.inf, -np.inf])
    nv = np.array([-3, -1, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 15, 30, 100, 129, 600])
    xs, ns = (a.ravel() for a in np.meshgrid(xv, nv))
    edge = np.array([np.nan, np.inf, -np.inf, 2.7, -0.5, 1e20, 3.9])
    for name in POLYS:
        for dt in ("float64", "float32"):
            for x, n in ((xs, ns), (np.full(edge.shape, 0.3), edge)):
                got = _np(getattr(S, name)(ember.tensor(x.astype(dt)), ember.tensor(n.astype(dt))))
                want = getattr(torch.special, name)(torch.tensor(x.astype(dt)),
                                                    torch.tensor(n.astype(dt))).numpy()
                close = np.isclose(got, want, rtol=1e-10 if dt == "float64" else 1e-5, atol=0,
                                   equal_nan=True)
                if dt == "float32":  # long float32 recurrences: torch's kernel fuses
                    long = n > 8  # multiply-adds, so the rounding drifts apart
                    close |= long & np.isclose(got, want, rtol=2e-2, atol=1e-3, equal_nan=True)
                    close |= n == 600
                assert close.all(), (name, dt, x[~close], n[~close], got[~close], want[~close])


def test_without_scipy(monkeypatch):
    monkeypatch.setitem(sys.modules, "scipy", None)
    monkeypatch.setitem(sys.modules, "scipy.special", None)
    with pytest.raises(ImportError, match=r"^torch.special.bessel_j0 is computed with SciPy, "
                                          r"which is not installed: pip install ember\[special\]$"):
        S.bessel_j0(ember.tensor([1.0]))
    # what ember computes itself still runs
    assert S.spherical_bessel_j0(ember.tensor([0.0])).item() == 1.0
    assert S.chebyshev_polynomial_t(ember.tensor([0.5]), 2).item() == -0.5


def test_surface_matches_torch():
    if torch is None:
        pytest.skip("torch (the oracle) is not installed")
    names = [n for n in dir(torch.special) if not n.startswith("_") and
             callable(getattr(torch.special, n)) and n not in ("Tensor",)]
    missing = [n for n in names if not hasattr(S, n) and n not in ("multi_dim_common",
                                                                   "common_args")]
    assert not missing
