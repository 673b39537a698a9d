"""Clamps and activations at -0.0, NaN and tiny inputs, bit for bit as torch's CPU kernels.

torch's clamp (and relu, relu6, hardtanh, which are clamps) keeps x where it ties with a bound,
so relu(-0.0) is -0.0 (printed `-0.`), while NumPy's maximum(-0.0, 0) is 0.0; with a single
tensor bound torch runs its maximum / minimum kernel instead, whose tie is the bound. threshold,
hardshrink and softshrink pass NaN through. elu, selu and celu use expm1, so elu(-1e-4) does not
cancel as exp(x) - 1 does. Every case runs on a long input too, so NumPy's SIMD loops are seen.
(torch's NaN *gradients* of hardtanh and elu differ between its vector loop and its scalar tail,
so they are not compared, nor is the sign of softshrink's zeros.)

BINARY runs every pair of special values (remainder's zero has x's sign, fmax/fmin keep x on a
tie, heaviside(NaN) is 0); REDUCTIONS rows holding NaN, -0.0, inf and float32 extremes (median
and max/argmax pick a slice's first NaN, cummax a NaN's index, cumsum never gives -0.0, float32
var/std accumulate in double, quantile interpolates with torch's lerp)."""

import math

import numpy as np
import pytest

import ember
from oracle import requires_torch, torch

F = ember.nn.functional
SPECIAL = [-0.0, 0.0, float("nan"), float("inf"), -float("inf"), 0.5, -0.5, 1.0, -1.0, 6.0, -6.0,
           3.0, -3.0, 1e-30, -1e-30, -1e-4, 0.25, -0.25]

CASES = {
    "relu": lambda L, t: L.relu(t),
    "relu_": lambda L, t: L.relu_(t.clone()),
    "relu6": lambda L, t: L.nn.functional.relu6(t),
    "ReLU": lambda L, t: L.nn.ReLU()(t),
    "hardtanh": lambda L, t: L.nn.functional.hardtanh(t),
    "hardtanh01": lambda L, t: L.nn.functional.hardtanh(t, 0.0, 1.0),
    "clamp01": lambda L, t: t.clamp(0, 1),
    "clamp10": lambda L, t: t.clamp(1, 0),
    "clamp_": lambda L, t: t.clone().clamp_(0, 1),
    "clamp_min": lambda L, t: t.clamp_min(0.0),
    "clamp_max": lambda L, t: t.clamp_max(0.0),
    "clamp_nan": lambda L, t: t.clamp(min=float("nan")),
    "clamp_tensors": lambda L, t: t.clamp(L.zeros(1), L.ones(1)),
    "clamp_min_tensor": lambda L, t: t.clamp(min=L.zeros(1)),
    "clamp_max_tensor": lambda L, t: t.clamp(max=-L.zeros(1)),
    "threshold": lambda L, t: L.nn.functional.threshold(t, 0.0, 0.0),
    "threshold2": lambda L, t: L.nn.functional.threshold(t, 0.5, -2.0),
    "hardshrink": lambda L, t: L.nn.functional.hardshrink(t),
    "softshrink": lambda L, t: L.nn.functional.softshrink(t),
    "elu": lambda L, t: L.nn.functional.elu(t),
    "elu_alpha": lambda L, t: L.nn.functional.elu(t, 0.7),
    "selu": lambda L, t: L.nn.functional.selu(t),
    "celu": lambda L, t: L.nn.functional.celu(t, 0.5),
    "elu64": lambda L, t: L.nn.functional.elu(t.double()),
    "relu_half": lambda L, t: L.relu(t.half()).float(),
    "clamp_int": lambda L, t: (t * 3).nan_to_num(0, 5, -5).int().clamp(-2, 2).float(),
    "erfinv": lambda L, t: L.erfinv(t * 0.5),
    "lgamma": lambda L, t: L.lgamma(t),
    "i0_64": lambda L, t: L.i0(t.double()).isnan().float(),  # float32 i0(0) is 0.99999994 in torch
    "heaviside": lambda L, t: L.heaviside(t, L.tensor([0.5])),
    "remainder": lambda L, t: L.remainder(t, 1.5),
    "remainder_neg": lambda L, t: L.remainder(t, -0.5),
    "rremainder": lambda L, t: L.remainder(3.0, t),
    "fmax": lambda L, t: L.fmax(t, L.zeros_like(t)),
    "fmin": lambda L, t: L.fmin(t, -L.zeros_like(t)),
}

# pairs of special values, every x with every y (one long run and short runs of 8)
PAIRS = [-0.0, 0.0, float("nan"), float("inf"), -float("inf"), 1e-40, -1e-30, 1e30, -3e38, 1.0,
         -1.0, 0.5, -0.5, 2.5, -2.0, 3.0]
BINARY = {
    "remainder": lambda L, a, b: L.remainder(a, b),
    "fmod": lambda L, a, b: L.fmod(a, b),
    "fmax": lambda L, a, b: L.fmax(a, b),
    "fmin": lambda L, a, b: L.fmin(a, b),
    "heaviside": lambda L, a, b: L.heaviside(a, b),
    "hinge_embedding": lambda L, a, b: L.nn.functional.hinge_embedding_loss(
        a, L.sign(b), reduction="none"),
    "floor_divide": lambda L, a, b: L.floor_divide(a, b),
}


def _values(n):
    return np.array(SPECIAL * n, np.float32)


def _bits(a):
    a = np.asarray(a)
    return a.view(np.uint64 if a.dtype == np.float64 else np.uint32)


@requires_torch
@pytest.mark.parametrize("n", [1, 7])
@pytest.mark.parametrize("name", sorted(CASES))
def test_forward_bits_equal_torch(name, n):
    x = _values(n)
    got = CASES[name](ember, ember.tensor(x)).numpy()
    want = CASES[name](torch, torch.tensor(x)).numpy()
    assert got.dtype == want.dtype
    nan = np.isnan(got) & np.isnan(want)  # a NaN's sign and payload are not compared
    bad = (_bits(got) != _bits(want)) & ~nan
    if name == "softshrink":  # torch's zero is +0.0 in its vector loop, x * 0 in its scalar
        bad &= ~((got == 0) & (want == 0))  # tail: only the sign of zero depends on position
    assert not bad.any(), (x[bad], got[bad], want[bad])


@requires_torch
def test_elu_float32_against_torch_on_a_range():
    """torch's expm1 is within an ulp; ember's (float64, rounded once) equals it on >= 95 %."""
    x = np.random.default_rng(0).uniform(-20, 0, 20000).astype(np.float32)
    got = F.elu(ember.tensor(x)).numpy()
    want = torch.nn.functional.elu(torch.tensor(x)).numpy()
    assert np.mean(got == want) > 0.95
    np.testing.assert_allclose(got, want, rtol=2e-7, atol=0)


def test_relu_and_clamp_keep_negative_zero():
    x = ember.tensor([-0.0] * 40)
    for y in (ember.relu(x), x.clamp(0, 1), x.clamp_min(0.0), F.hardtanh(x, 0.0, 1.0)):
        assert np.signbit(y.numpy()).all()
    assert not np.signbit(x.clamp(min=ember.zeros(1)).numpy()).any()  # maximum's tie


def test_nan_passes_threshold_and_shrinks():
    x = ember.tensor([float("nan"), 0.1, -0.1] * 20)
    for y in (F.threshold(x, 0.0, 0.0), F.hardshrink(x), F.softshrink(x)):
        assert np.isnan(y.numpy()[::3]).all()
        assert not np.isnan(y.numpy()[1::3]).any()


def test_elu_small_inputs_do_not_cancel():
    x = np.array([-1e-4, -1e-6, -1e-30, -3e-3] * 10, np.float32)
    got = F.elu(ember.tensor(x)).numpy()
    want = np.array([math.expm1(float(v)) for v in x], np.float64).astype(np.float32)
    np.testing.assert_array_equal(got, want)
    got = F.selu(ember.tensor(x.astype(np.float64))).numpy()
    alpha, scale = 1.6732632423543772848170429916717, 1.0507009873554804934193349852946
    want = np.array([math.expm1(float(v)) * (alpha * scale) for v in x])
    np.testing.assert_allclose(got, want, rtol=1e-15)


@requires_torch
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name", sorted(BINARY))
def test_binary_bits_equal_torch(name, dtype):
    """Short runs (torch's scalar loop) must match everywhere; the long run where torch's vector
    loop agrees with its scalar one (float32 fmod(1.0, 1e-40) is NaN there, 8.45e-42 here)."""
    a = np.repeat(np.array(PAIRS, dtype), len(PAIRS))
    b = np.tile(np.array(PAIRS, dtype), len(PAIRS))

    def both(s):
        got = BINARY[name](ember, ember.tensor(a[s]), ember.tensor(b[s])).numpy()
        want = BINARY[name](torch, torch.tensor(a[s]), torch.tensor(b[s])).numpy()
        assert got.dtype == want.dtype
        return got, want

    def differ(u, v):
        return (_bits(u) != _bits(v)) & ~(np.isnan(u) & np.isnan(v))
    short = [both(slice(i, i + 8)) for i in range(0, len(a), 8)]
    got, want = (np.concatenate(r) for r in zip(*short))
    assert not differ(got, want).any(), (a[differ(got, want)], b[differ(got, want)])
    got_long, want_long = both(slice(0, None))
    bad = differ(got_long, want_long) & ~differ(want_long, want)
    assert not bad.any(), (a[bad], b[bad], got_long[bad], want_long[bad])


def test_signs_of_zero_in_remainder_fmax_fmin_erfinv():
    x = ember.tensor([-1.0, -0.0, 3.0, 0.0] * 10)
    assert np.array_equal(np.signbit(ember.remainder(x, 1.0).numpy()), np.signbit(x.numpy()))
    assert np.array_equal(np.signbit(ember.remainder(x, -1.0).numpy()), np.signbit(x.numpy()))
    z = ember.zeros(40)
    assert np.signbit(ember.fmax(-z, z).numpy()).all()  # a tie keeps the first argument
    assert not np.signbit(ember.fmin(z, -z).numpy()).any()
    assert np.signbit(ember.erfinv(-z).numpy()).all()


def test_gamma_poles_and_nan_passing():
    x = ember.tensor([-1.0, -2.0, -3.0, -7.0, -1e30], dtype=ember.float64)
    assert np.isposinf(ember.lgamma(x).numpy()).all()
    assert np.isnan(ember.digamma(x).numpy()).all()
    p1 = ember.polygamma(1, x).numpy()  # torch's trigamma: sin(pi x) at a float pole is tiny, not 0
    np.testing.assert_allclose(p1[:4], np.pi ** 2 / np.sin(np.pi * x.numpy()[:4]) ** 2, rtol=1e-12)
    assert np.isfinite(p1[4])  # -1e30 + 1 == -1e30: no endless loop
    assert np.isposinf(ember.polygamma(1, ember.tensor([0.0, -0.0])).numpy()).all()
    assert np.isnan(ember.polygamma(2, ember.tensor([float("inf")])).numpy()).all()
    assert np.isneginf(ember.polygamma(2, x).numpy()).all()
    y = ember.polygamma(1, ember.tensor([-1e10 + 0.5, 0.5], dtype=ember.float64)).numpy()
    np.testing.assert_allclose(y, [math.pi ** 2 - 1e-10, math.pi ** 2 / 2], rtol=1e-9)  # series
    h = ember.heaviside(ember.tensor([float("nan"), 0.0, -2.0, 2.0]), ember.tensor([0.5]))
    assert h.numpy().tolist() == [0.0, 0.5, 0.0, 1.0]
    t = ember.tensor([1.0, -1.0])
    loss = F.hinge_embedding_loss(ember.tensor([float("inf"), float("inf")]), t, reduction="none")
    assert loss.numpy().tolist() == [float("inf"), 0.0]


NAN, INF = float("nan"), float("inf")
ROWS = [[1.0, NAN, 2.0, -1.0], [-0.0, -0.0, -0.0], [INF, NAN, -INF], [1e20, -1e20, 3.0],
        [1e-40, -1e-40, 1e-40], [-INF, 1.0], [3.0, -1.0, 2.0, 0.25], [1.0, 2.0, NAN]]
REDUCTIONS = {
    "median": lambda L, t: t.median(),
    "median_dim": lambda L, t: L.stack([t, t.flip(0)]).median(1),
    "median_dim0": lambda L, t: L.stack([t, t.flip(0)]).median(0),
    "max_dim0": lambda L, t: L.stack([t, t.flip(0)]).max(0),
    "argmin_dim0": lambda L, t: L.stack([t, t.flip(0)]).argmin(0),
    "cummax": lambda L, t: t.cummax(0),
    "cumsum": lambda L, t: t.cumsum(0),
    "logcumsumexp": lambda L, t: t[:3].logcumsumexp(0),  # longer: NumPy's last ulps
    "std": lambda L, t: t.std(),
    "var_dim": lambda L, t: L.stack([t, t * 2]).var(1),
    "std_mean": lambda L, t: L.std_mean(t)[0],  # (its mean is Welford's: inf - inf is NaN)
    "quantile": lambda L, t: L.quantile(t, L.tensor([0.25, 0.5, 0.9])),
}


@requires_torch
@pytest.mark.parametrize("tile", [1, 40])
@pytest.mark.parametrize("name", sorted(REDUCTIONS))
def test_reductions_bits_equal_torch(name, tile):
    for row in ROWS:
        x = np.array(row * tile, np.float32)
        got = REDUCTIONS[name](ember, ember.tensor(x))
        want = REDUCTIONS[name](torch, torch.tensor(x))
        got, want = (list(r) if isinstance(r, tuple) else [r] for r in (got, want))
        for g, w in zip(got, want):
            g, w = g.numpy(), w.numpy()
            assert g.dtype == w.dtype and g.shape == w.shape
            if g.dtype.kind == "f":
                bad = (_bits(g) != _bits(w)) & ~(np.isnan(g) & np.isnan(w))
            else:
                bad = g != w
            assert not bad.any(), (row, g, w)


def test_nan_wins_median_and_max_per_slice():
    x = ember.tensor([[1.0, NAN, 2.0, -1.0], [-1.0, 2.0, NAN, 1.0]])
    assert x.max(0).values.numpy().tolist()[3] == 1.0  # the NaN of another column is not seen
    assert x.argmax(0).numpy().tolist() == [0, 0, 1, 1]
    m = x.median(1)
    assert np.isnan(m.values.numpy()).all() and m.indices.numpy().tolist() == [1, 2]
    assert np.isnan(x.median().numpy())
    assert x[:, :1].cummax(0).indices.numpy().tolist() == [[0], [0]]
    assert ember.tensor([1.0, NAN, 2.0]).cummax(0).indices.numpy().tolist() == [0, 1, 1]
    assert not np.signbit(ember.tensor([-0.0] * 3).cumsum(0).numpy()).any()
    assert np.isnan(ember.tensor([NAN] * 40).mode().values.item())  # raised IndexError


def test_float32_std_accumulates_wide():
    assert ember.tensor([1e20, -1e20]).std().item() == pytest.approx(math.sqrt(2) * 1e20)
    assert ember.tensor([1e-40, -1e-40, 1e-40]).std().item() > 0
    assert ember.quantile(ember.tensor([-INF, 1.0]), 0.5).item() == -INF


# ------------------------------------------------------------------ gradients at special values
# Each case: (function of the library and its float inputs, the inputs' values). Every input gets
# a gradient; the upstream gradient is ones, then a seeded random one; inputs run as given
# (torch's scalar loop) and tiled 13 times (its vector loop). Cases where torch's two loops
# disagree (hardtanh/relu6 at NaN, elu/selu/celu's NaN, logit(-0.0), max ties' picks by topk and
# kthvalue) are left out. Cases marked "ones" take only the ones upstream: with a random one
# their gradients differ from torch's in the last bits (sin and cos), not in kind.
_A = [-0.0, 0.0, NAN, INF, -INF, 1e-40, -1e-30, 1e30, -3e38, 1.0, -1.0, 0.5, -0.5, 2.5, -2.0, 3.0]
_PA = np.repeat(_A, len(_A)).tolist()
_PB = np.tile(_A, len(_A)).tolist()
GRAD = {
    "huber": (lambda L, a, b: L.nn.functional.huber_loss(a, b, reduction="none"), [_PA, _PB]),
    "huber_mean": (lambda L, a, b: L.nn.functional.huber_loss(a, b),
                   [[INF, -INF, 3.0, NAN, 0.5, -0.0], [0.0, 1.0, -INF, 1.0, 0.25, 0.0]]),
    "mse": (lambda L, a, b: L.nn.functional.mse_loss(a, b, reduction="none"), [_PA, _PB]),
    "smooth_l1": (lambda L, a, b: L.nn.functional.smooth_l1_loss(a, b), [_PA, _PB]),
    "div": (lambda L, a, b: a / b, [_PA, _PB]),
    "addcdiv": (lambda L, a, b: L.addcdiv(a, a, b, value=2), [_PA, _PB]),
    "addcmul": (lambda L, a, b: L.addcmul(a, a, b, value=2), [_PA, _PB]),
    "atan2": (lambda L, a, b: L.atan2(a, b), [_PA, _PB]),
    "copysign": (lambda L, a, b: L.copysign(a, b), [_PA, _PB]),
    "nextafter": (lambda L, a, b: L.nextafter(a, b), [_PA, _PB]),
    "logit": (lambda L, x: L.logit(x), [[0.0, NAN, INF, -INF, 1e-40, -1e-30, 1e30, 2.0, 0.25,
                                         1.0, 0.5, -3e38]]),
    "hardsigmoid": (lambda L, x: L.nn.functional.hardsigmoid(x), [_A]),
    "digamma": (lambda L, x: L.digamma(x), [[1.0, 0.5, -0.5, 2.5, -2.5, 7.25, -1.0, -2.0, -1e30,
                                             0.0, INF, 1e-30, 30.0]]),
    "polygamma1": (lambda L, x: L.polygamma(1, x), [[INF, -INF, 0.0, -0.0, -1.0, -2.0]]),
    "i0": (lambda L, x: L.i0(x), [[-0.0, 0.0, NAN]]),
    "prod_zeros": (lambda L, x: x.prod(), [[-0.5, 0.5, -0.0, 3.0, NAN, -INF, 0.0]]),
    "prod_one_zero": (lambda L, x: x.prod(), [[-0.5, 0.5, -0.0, 3.0, 2.0]]),
    "logsumexp": (lambda L, x: x.logsumexp(0), [[3e38, 3e38, 1e30, 1.0]]),
    "nanmedian": (lambda L, x: x.nanmedian(), [[1.0, NAN, 2.0, -1.0, 1.0, -0.0, 0.0]]),
    "nanmedian_nan": (lambda L, x: x.nanmedian(), [[NAN, NAN]]),
    "norm_inf": (lambda L, x: x.norm(INF), [[1.0, NAN, 2.0, -2.0, -1.0]]),
    "norm_ninf": (lambda L, x: L.linalg.vector_norm(x, -INF), [[1.0, NAN, -1.0, 3.0]]),
    "norm2": (lambda L, x: x.norm(), [[-0.0, 0.0, -0.0]]),
    "norm2_subnormal": (lambda L, x: x.norm(), [[1e-40, -1e-40, 1e-40]]),
    "cumprod_zeros": (lambda L, x: x.reshape(-1, 7).cumprod(1),
                      [[-0.5, 0.5, -0.0, 3.0, NAN, -INF, 1e-30]]),
    "cumprod_two_zeros": (lambda L, x: x.reshape(-1, 6).cumprod(1),
                          [[2.0, 0.0, 3.0, 0.0, 5.0, INF]]),
    "sinc": (lambda L, x: L.sinc(x), [[1e30, -1e30, -1e-40, 1e-30, 0.0, -0.0, INF, NAN]], "ones"),
    "pow_exponent": (lambda L, a, b: L.pow(a, b), [[0.0, -0.0, 0.0, 2.0, 0.5], [1.0, 0.0, 3.0, 2.0,
                                                                              -1.0]]),
    "rpow0": (lambda L, x: L.pow(0.0, x), [[0.0, -0.0, 1.0, -1.0, INF, NAN]]),
    "nan_to_num": (lambda L, x: L.nan_to_num(x), [[NAN, INF, -INF, 1.0, -0.0]]),
    "frexp": (lambda L, x: L.frexp(x)[0], [[1e-40, 3e38, 5.0, -3e38, 0.0, -0.0]]),
    "frexp_double": (lambda L, x: L.frexp(x.double())[0], [[1e-40, 3e38, -3e38]]),
    "nanmean_all_nan": (lambda L, x: L.nanmean(x.reshape(-1, 2), 1), [[NAN, NAN, NAN, 1.0]]),
    "gaussian_nll": (lambda L, a, b: L.nn.functional.gaussian_nll_loss(
        a, b, L.ones_like(a), reduction="none"),
        [[0.0, 1e30, -3e38, 3e38], [-3e38, 3e38, 1.0, 0.0]]),
}


@requires_torch
@pytest.mark.parametrize("tiles", [1, 13])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name", sorted(GRAD))
def test_grad_bits_equal_torch(name, dtype, tiles):
    fn, values, *only = GRAD[name]
    xs = [np.tile(np.array(v, dtype), tiles) for v in values]

    def grads(L, upstream):
        ts = [L.tensor(x, requires_grad=True) for x in xs]
        y = fn(L, *ts)
        y.backward(L.tensor(upstream(y.detach().numpy())))
        return [t.grad.numpy() for t in ts]
    upstreams = [np.ones_like,
                 lambda y: np.random.default_rng(3).standard_normal(y.shape).astype(y.dtype)]
    for upstream in upstreams[:1] if only else upstreams:
        for x, got, want in zip(xs, grads(ember, upstream), grads(torch, upstream)):
            bad = (_bits(got) != _bits(want)) & ~(np.isnan(got) & np.isnan(want))
            assert not bad.any(), (x[bad], got[bad], want[bad])


def _grad(fn, *values, dtype=None):
    ts = [ember.tensor(v, dtype=dtype, requires_grad=True) for v in values]
    fn(*ts).sum().backward()
    return [t.grad.numpy().tolist() for t in ts]


def test_grads_at_special_values_follow_the_math():
    assert _grad(lambda a, b: F.huber_loss(a, b, reduction="none"),
                 [INF, -INF, 3.0], [0.0, 0.0, INF]) == [[1.0, -1.0, -1.0], [-1.0, 1.0, 1.0]]
    assert _grad(lambda a, b: a / b, [0.0], [1e-40])[1] == [-0.0]  # (a / b) / b, not grad / b
    assert _grad(lambda a, b: ember.atan2(a, b), [0.0], [0.0]) == [[0.0], [-0.0]]  # not NaN
    assert _grad(lambda a, b: ember.nextafter(a, b), [1.0, 2.0], [1.0, 0.0])[0] == [0.0, 1.0]
    g = _grad(ember.logit, [-0.5, 1.5, 0.5])[0]
    assert np.isnan(g[:2]).all() and g[2] == 4.0
    assert _grad(F.hardsigmoid, [0.0], dtype=ember.float64)[0] == [
        float(np.float32(1 / 6))]
    assert _grad(lambda x: x.prod(), [0.0, NAN, 0.0, 2.0])[0] == [0.0] * 4
    assert _grad(lambda x: x.logsumexp(0), [3e38, 3e38])[0] == [1.0, 1.0]
    assert _grad(lambda x: x.nanmedian(), [1.0, NAN, 1.0, 5.0])[0] == [0.5, 0.0, 0.5, 0.0]
    assert _grad(lambda x: x.norm(INF), [1.0, NAN, -1.0])[0] == [0.0, 0.0, -0.0]
    assert _grad(lambda x: x.norm(INF), [1.0, 3.0, -3.0])[0] == [0.0, 0.5, -0.5]
    # d/dx_i of sum(cumprod): sums over k >= i of prod_{j <= k, j != i} x_j, whose terms past a
    # second zero vanish (torch drops them, NaN or inf there included)
    assert _grad(lambda x: x.cumprod(0), [2.0, 0.0, 3.0, 0.0, NAN])[0] == [1.0, 8.0, 0.0, 0.0, 0.0]
    assert _grad(lambda x: x.cumprod(0), [0.0, 2.0, 3.0])[0] == [9.0, 0.0, 0.0]
    assert np.isnan(_grad(lambda x: ember.nanmean(x), [NAN, NAN])[0]).all()  # grad / 0 * 0


@pytest.mark.parametrize("x0,d", [([1., 3., 2., 5., 5., float("nan"), 2.], 0),
                                  ([[1., 4.], [3., 2.], [0., 7.]], 0),
                                  ([[1., 4.], [3., 2.], [0., 7.]], -1)])
def test_cummax_values_carry_the_gradient(x0, d):
    """cummax's values are differentiable (CummaxBackward0): each value's gradient goes to the
    element it came from, as cummin's."""
    x = ember.tensor(x0, requires_grad=True)
    v, i = ember.cummax(x, d)
    g = np.arange(1, v.numel() + 1, dtype=np.float32).reshape(v.shape)
    v.backward(ember.tensor(g))
    want = np.zeros(np.shape(x0), np.float32)  # g scattered to the indices along d
    np.add.at(want, tuple(np.indices(g.shape)[k] if k != (d % g.ndim) else i.numpy()
                          for k in range(g.ndim)), g)
    np.testing.assert_array_equal(x.grad.numpy(), want)
    assert v.grad_fn.name() == "CummaxBackward0" and not i.requires_grad
    if torch is not None:
        t = torch.tensor(x0, requires_grad=True)
        tv, ti = torch.cummax(t, d)
        tv.backward(torch.tensor(g))
        np.testing.assert_array_equal(i.numpy(), ti.numpy())
        np.testing.assert_array_equal(x.grad.numpy(), t.grad.numpy())


def test_zero_norm_is_recorded_with_an_undefined_gradient():
    """torch records norm(0) (LinalgVectorNormBackward0) but its gradient is undefined: x.grad
    stays None and autograd.grad calls x unused."""
    x = ember.tensor([[1., 0., -2.], [0., 0., 3.]], requires_grad=True)
    y = x.norm(0)
    assert y.item() == 3.0 and y.grad_fn.name() == "LinalgVectorNormBackward0"
    y.backward()
    assert x.grad is None
    assert ember.autograd.grad(x.norm(p=0, dim=1).sum(), x, allow_unused=True) == (None,)
    with pytest.raises(RuntimeError, match="appears to not have been used in the graph"):
        ember.autograd.grad(ember.linalg.vector_norm(x, 0), x)


def test_batch_norm_eval_without_bias_gives_positive_zeros():
    """Without a bias torch's evaluation beta is 0 - mean * alpha: for a zero mean +0.0, so a
    -0.0 input comes out +0.0 (ember's -(mean * alpha) gave -0.0, printed -0.)."""
    x = np.zeros((2, 3, 4), np.float32)
    x[0] = -0.0
    y = F.batch_norm(ember.tensor(x), ember.zeros(3), ember.ones(3)).numpy()
    assert not np.signbit(y).any()
    if torch is not None:
        t = torch.nn.functional.batch_norm(torch.tensor(x), torch.zeros(3), torch.ones(3))
        assert y.tobytes() == t.numpy().tobytes()


def test_prod_gradient_with_zeros_beside_inf():
    """prod along a dim holding a zero: torch's exclusive cumulative products start from ones
    (ember built them as x * 0 + 1 from the first slice, NaN where that slice held an inf)."""
    x = np.array([[np.inf, -3, 0, 0, 2, 0], [1, 2, 0, 5, 3, 4], [np.inf, 0, 2, 3, 1, 1]],
                 np.float32)
    t = ember.tensor(x, requires_grad=True)
    t.prod(0).backward(ember.full((6,), -1.5))
    got = t.grad.numpy()
    assert np.isfinite(got[:, 1:]).all() and np.isinf(got[:, 0]).all()
    assert got[0, 2] == 0 and got[1, 2] == 0 and got[2, 2] == 0
    if torch is not None:
        tt = torch.tensor(x, requires_grad=True)
        tt.prod(0).backward(torch.full((6,), -1.5))
        assert got.tobytes() == tt.grad.numpy().tobytes()
