"""ember's random streams against torch's: the committed vectors (tests/data/rng_vectors.json, made
by tools/gen_rng_vectors.py) always, and live torch on extra seeds, sizes and dtypes when installed.

Array-level tests drive `ember._random` directly; tensor-level tests run the same snippets with
`ember` standing in for `torch` once the core provides the non-random pieces they use.
"""

import hashlib
import json
import math
import os
from fractions import Fraction

import numpy as np
import pytest

import ember
from ember import _random as R
from ember import _random_normal as RN
from oracle import torch

DATA = os.path.join(os.path.dirname(__file__), "data", "rng_vectors.json")
with open(DATA) as _f:
    VECTORS = {c["id"]: c for c in json.load(_f)["cases"]}
F32, F64 = np.float32, np.float64


def expected(rec):
    if "python" in rec:
        return rec["python"]
    dt = np.dtype("bool" if rec["dtype"] == "bool" else rec["dtype"])
    if "hex" in rec:
        bits = np.array([int(h, 16) for h in rec["hex"]], np.uint64)
        return bits.astype(f"u{dt.itemsize}").view(dt)
    return np.array(rec["values"], dt)


def check(case_id, name, got):
    rec = VECTORS[case_id]["outputs"][name]
    if "python" in rec:
        assert got == rec["python"], (case_id, name)
        return
    got = np.ascontiguousarray(got)
    assert got.dtype == np.dtype(rec["dtype"]) and list(got.shape) == rec["shape"], (case_id, name)
    want = expected(rec)
    if "sha256" in rec:
        assert np.array_equal(got.reshape(-1)[:16].view(np.uint8), want.view(np.uint8))
        assert hashlib.sha256(got.tobytes()).hexdigest() == rec["sha256"], (case_id, name)
    else:
        assert np.array_equal(got.reshape(-1).view(np.uint8), want.view(np.uint8)), (case_id, name)


def gen(seed):
    return R.Generator().manual_seed(seed)


def randn(g, shape, dtype=F32, mean=0.0, std=1.0):
    arr = np.empty(shape, dtype)
    R.normal_(g, arr, mean, std)
    return arr


def linear_init(g, fan_out, fan_in, kernel=1):
    """nn.Linear/Conv reset_parameters: kaiming_uniform_(a=sqrt(5)) then the bias uniform."""
    fan = fan_in * kernel
    gain = math.sqrt(2.0 / (1 + math.sqrt(5) ** 2))
    bound = math.sqrt(3.0) * gain / math.sqrt(fan)
    w = R.uniform_values(g, fan_out * fan, F32, -bound, bound)
    b = R.uniform_values(g, fan_out, F32, -1 / math.sqrt(fan), 1 / math.sqrt(fan))
    return w, b


# ---- every committed vector, reproduced with the array-level engine ------------------------------

def _randn_cases():
    for dt in ("float32", "float64"):
        for n in (1, 15, 16, 17, 33, 1000):
            for seed in (0, 7):
                yield f"randn_{dt}_n{n}_seed{seed}", dt, n, seed


@pytest.mark.parametrize("cid,dt,n,seed", list(_randn_cases()))
def test_vectors_randn(cid, dt, n, seed):
    g = gen(seed)
    check(cid, "a", randn(g, n, np.dtype(dt)))
    check(cid, "b", randn(g, n, np.dtype(dt)))


@pytest.mark.parametrize("dt", ["float32", "float64"])
def test_vectors_rand_normal_uniform(dt):
    g = gen(3)
    check(f"rand_{dt}_sizes_1_to_40", "a",
          np.concatenate([R.uniform_values(g, n, dt) for n in range(1, 41)]))
    g = gen(5)
    check(f"normal_mean2_std3_{dt}", "small", randn(g, 3, dt, 2.0, 3.0))
    check(f"normal_mean2_std3_{dt}", "big", randn(g, 37, dt, 2.0, 3.0))
    check(f"uniform_m0.3_1.7_{dt}", "a", R.uniform_values(gen(5), 64, dt, -0.3, 1.7))


def test_vectors_notebook_and_cache():
    g = gen(7)
    features, weights, bias = randn(g, (1, 5)), randn(g, (1, 5)), randn(g, (1, 1))
    for name, v in (("features", features), ("weights", weights), ("bias", bias)):
        check("notebook_seed7", name, v)
    want = expected(VECTORS["notebook_seed7"]["outputs"]["result"])
    assert np.allclose(features @ weights.T + bias, want.reshape(1, 1), rtol=1e-6)
    g = gen(3)
    for name, v in (("a", randn(g, 3)), ("b", randn(g, 16)), ("c", randn(g, 1)),
                    ("d", R.uniform_values(g, 2, F32))):
        check("randn_cache_interplay", name, v)


def test_vectors_noncontiguous():
    g = gen(4)
    a = np.empty((8, 4), F32).T
    R.normal_(g, a)
    check("randn_noncontiguous", "a", a)
    check("randn_noncontiguous", "a_memory_order", a.T.reshape(-1))


def test_vectors_integers():
    g = gen(0)
    check("randint", "a", R.randint_values(g, 50, 0, 10, np.int64))
    check("randint", "b", R.randint_values(g, 20, -5, 2 ** 40, np.int64))
    check("randint", "c", R.randint_values(g, 10, 3, 2 ** 28 + 3, np.int64))
    check("randint", "d", R.randint_values(g, 10, 0, 2 ** 28 - 1, np.int64))
    check("randint", "e", R.randint_values(g, 6, 0, 10, np.int32).reshape(2, 3))
    check("randint", "f", R.randint_values(g, 5, *R.float_bounds(0, 100, F32), F32))
    g = gen(0)
    for name, dt, n in (("i64", np.int64, 5), ("i32", np.int32, 5), ("u8", np.uint8, 5),
                        ("f32", F32, 5), ("f64", F64, 5), ("b", np.bool_, 8)):
        check("random_defaults", name, R.random_default_values(g, n, dt))
    check("random_defaults", "r", R.randint_values(g, 5, 7, 12, np.int64))


def test_vectors_randperm():
    g = gen(0)
    for name, n in (("p10", 10), ("p100000", 100000), ("p1", 1), ("p0", 0)):
        check("randperm", name, R.randperm_values(g, n))
    check("randperm", "after", R.uniform_values(g, 3, F32))


def test_vectors_layer_init():
    w, b = linear_init(gen(0), 128, 784)
    check("linear_784_128_seed0", "weight", w.reshape(128, 784))
    check("linear_784_128_seed0", "bias", b)
    g = gen(0)
    w0, b0 = linear_init(g, 3, 4)
    w2, b2 = linear_init(g, 2, 3)
    for name, v in (("w0", w0.reshape(3, 4)), ("b0", b0), ("w2", w2.reshape(2, 3)), ("b2", b2)):
        check("sequential_small_seed0", name, v)
    w, b = linear_init(gen(0), 8, 3, kernel=25)
    check("conv2d_3_8_5_seed0", "weight", w.reshape(8, 3, 5, 5))
    check("conv2d_3_8_5_seed0", "bias", b)


def test_vectors_bernoulli_dropout_exponential_multinomial():
    g = gen(0)
    check("bernoulli_dropout", "scalar_p", R.bernoulli_scalar_values(g, 100, 0.3).astype(F32))
    probs = R.uniform_values(g, 50, F32)
    check("bernoulli_dropout", "probs", probs)
    check("bernoulli_dropout", "from_probs", R.bernoulli_tensor_values(g, probs).astype(F32))
    probs64 = R.uniform_values(g, 50, F64)
    check("bernoulli_dropout", "probs64", probs64)
    check("bernoulli_dropout", "from_probs64", R.bernoulli_tensor_values(g, probs64).astype(F64))
    g = gen(0)  # dropout(x, 0.2): mask = bernoulli_(0.8), scaled by 1/0.8 in float32
    noise = R.bernoulli_scalar_values(g, 40, 0.8).astype(F32) / F32(0.8)
    check("bernoulli_dropout", "dropped", np.arange(1, 41, dtype=F32) * noise)
    g = gen(0)
    check("exponential_multinomial", "e32", R.exponential_values(g, 30, 1.0).astype(F32))
    check("exponential_multinomial", "e64", R.exponential_values(g, 30, 2.5))
    w = np.array([[0.1, 0.2, 0.3, 0.4]], F32)
    g = gen(0)
    check("exponential_multinomial", "m1", R.multinomial_values(g, w, 1, False)[0])
    check("exponential_multinomial", "m3", R.multinomial_values(g, w, 3, False)[0])
    check("exponential_multinomial", "m10r", R.multinomial_values(g, w, 10, True)[0])
    two = np.array([[1.0, 0.0, 3.0], [0.0, 5.0, 5.0]], F32)
    check("exponential_multinomial", "m2d", R.multinomial_values(g, two, 2, False))


def test_vectors_generators_and_state():
    g = gen(1234)
    check("generator_objects", "a", randn(g, 20))
    check("generator_objects", "b", R.uniform_values(g, 5, F32))
    check("generator_objects", "c", R.randint_values(g, 5, 0, 1000, np.int64))
    check("generator_objects", "fresh_seed", R.Generator().initial_seed())
    check("generator_objects", "fresh", R.uniform_values(R.Generator(), 4, F32))
    check("generator_objects", "global_seed", gen(1).initial_seed())
    check("generator_objects", "state_len", gen(1)._get_state_array().size)
    g = gen(9)
    randn(g, 1)
    state = g._get_state_array()
    check("rng_state_bytes_after_seed9_randn1", "header", state[:24])
    check("rng_state_bytes_after_seed9_randn1", "first_words", state[24:56].view(np.int64))
    check("rng_state_bytes_after_seed9_randn1", "tail", state[5016:])


def test_vectors_dataloader_shuffle():
    g = gen(0)
    for epoch in ("epoch1", "epoch2"):
        g.random64(1)  # the loader's _base_seed
        seed = int(R.random_default_values(g, 1, np.int64)[0])  # RandomSampler's seed
        check("dataloader_shuffle", epoch, R.randperm_values(gen(seed), 10))
    check("dataloader_shuffle", "after", R.uniform_values(g, 3, F32))


# ---- engine, seeding and state ------------------------------------------------------------------

def test_seed_rules():
    assert np.array_equal(gen(2 ** 32 + 5).random32(50), gen(5).random32(50))
    g = gen(-1)
    assert g.initial_seed() == 2 ** 64 - 1
    assert np.array_equal(g.random32(10), gen(2 ** 32 - 1).random32(10))
    for bad in (-(2 ** 63) - 1, 2 ** 64):
        with pytest.raises(ValueError, match="Overflow when unpacking long long"):
            R.Generator().manual_seed(bad)
    assert R.Generator().initial_seed() == 67280421310721


def test_random64_is_high_then_low_and_streams_split_freely():
    words = gen(11).random32(4000).astype(np.uint64)
    assert np.array_equal(gen(11).random64(2000), (words[0::2] << 32) | words[1::2])
    g = gen(11)
    parts = [g.random32(n) for n in (1, 622, 1, 1, 1248, 3, 2124)]
    assert np.array_equal(np.concatenate(parts), words.astype(np.uint32))


def test_state_roundtrip_restores_stream_and_normal_caches():
    g = gen(21)
    randn(g, 3)  # leaves a cached double normal
    state = g._get_state_array()
    after = randn(g, 5), R.uniform_values(g, 700, F32)
    h = R.Generator()
    h._set_state_array(state)
    again = randn(h, 5), R.uniform_values(h, 700, F32)
    assert all(np.array_equal(x, y) for x, y in zip(after, again))
    with pytest.raises(RuntimeError, match="size 5056 but found the input RNG state size to be 7"):
        h._set_state_array(np.zeros(7, np.uint8))
    bad = state.copy()
    bad[8:12] = 0
    with pytest.raises(RuntimeError, match="Invalid mt19937 state"):
        h._set_state_array(bad)


def test_seeding_clears_the_cached_normal():
    g = gen(3)
    randn(g, 1)
    assert g._normal_double is not None
    g.manual_seed(3)
    assert g._normal_double is None
    assert np.array_equal(randn(g, 1), randn(gen(3), 1))


# ---- exact arithmetic helpers -------------------------------------------------------------------

def test_fma_helpers_round_once():
    rng = np.random.default_rng(0)
    a, b, c = (rng.standard_normal(3000) * 2.0 ** rng.integers(-30, 30, 3000) for _ in range(3))
    c[:1000] = -(a[:1000] * b[:1000])  # hard cases: c cancels most of a*b
    exact = [Fraction(x) * Fraction(y) + Fraction(z) for x, y, z in zip(a, b, c)]
    assert np.array_equal(RN.fma64(a, b, c), np.array([float(q) for q in exact]))
    a32, b32, c32 = (v.astype(F32) for v in (a, b, c))
    # a*b = 2^-24 - 2^-70 onto odd c: the float64 sum is a float32 midpoint (double rounding)
    c32[1000:1100] = F32(1.0) + F32(2.0 ** -23) * (2 * np.arange(100, dtype=F32) + 1)
    a32[1000:1100] = F32(2.0 ** -12 * (1 + 2.0 ** -23))
    b32[1000:1100] = F32(2.0 ** -12 * (1 - 2.0 ** -23))
    naive = (a32.astype(F64) * b32 + c32).astype(F32)
    exact = [Fraction(float(x)) * Fraction(float(y)) + Fraction(float(z))
             for x, y, z in zip(a32, b32, c32)]
    want = np.array([_round_f32(q) for q in exact], F32)
    assert np.array_equal(RN.fma32(a32, b32, c32).view(np.uint32), want.view(np.uint32))
    assert not np.array_equal(naive[1000:1100], want[1000:1100])


@pytest.mark.parametrize("b,c", [(2.0, 1.0), (0.02, 0.5), (3.0, 2.0 ** -70), (1.0, -(2.0 ** -130)),
                                 (2.0 ** -12 * (1 - 2.0 ** -23), 1.0 + 2.0 ** -22),
                                 (1e-30, 1e-38), (-7.5, 0.0)])
def test_fma32_scalar_rounds_once(b, c):
    """The scalar-operand FMA (normal_'s mean/std, uniform_'s fallback) equals the exact
    rounding, including sums on float32 midpoints and float32-subnormal results."""
    rng = np.random.default_rng(2)
    x = (rng.standard_normal(4000) * 2.0 ** rng.integers(-40, 5, 4000)).astype(F32)
    x[:200] = F32(2.0 ** -12 * (1 + 2.0 ** -23)) * (1 + np.arange(200, dtype=F32) * F32(2 ** -23))
    x[200:300] = -x[200:300]
    b32, c32 = F32(b), F32(c)
    exact = [Fraction(float(v)) * Fraction(float(b32)) + Fraction(float(c32)) for v in x]
    want = np.array([_round_f32(q) for q in exact], F32)
    got = RN.fma32_scalar(x, b32, c32)
    assert np.array_equal(got.view(np.uint32), want.view(np.uint32))


def _round_f32(q):
    """float32 nearest to the Fraction q, ties to even."""
    mid = F32(float(q))
    cands = [np.nextafter(mid, F32(-np.inf)), mid, np.nextafter(mid, F32(np.inf))]
    errs = [abs(Fraction(float(x)) - q) for x in cands]
    ties = [x for x, e in zip(cands, errs) if e == min(errs)]
    return min(ties, key=lambda x: int(np.array(x, F32).view(np.uint32)) & 1)


def test_libm_matches_math_module():
    x = np.random.default_rng(1).random(500)
    for name in ("log", "log1p", "sin", "cos", "tan", "exp"):
        got = RN.libm(name, x)
        assert np.array_equal(got, [getattr(math, name)(v) for v in x])
    assert RN.libm("log", np.array([0.0]))[0] == -np.inf
    theta = np.concatenate([x * 2 * math.pi, [0.0, -0.0, 1e-300, 3.0e5, -7.25, math.pi]])
    cos_, sin_ = RN.libm_cos_sin(theta)
    assert np.array_equal(cos_, [math.cos(v) for v in theta])
    assert np.array_equal(sin_, [math.sin(v) for v in theta])
    assert np.array_equal(np.signbit(sin_), np.signbit([math.sin(v) for v in theta]))


def test_large_draw_is_vectorised():
    import time
    g = gen(0)
    start = time.perf_counter()
    out = randn(g, 1_000_000)
    assert time.perf_counter() - start < 2.0  # a per-element Python loop takes far longer
    assert abs(float(out.mean())) < 0.01 and abs(float(out.std()) - 1) < 0.01


# ---- the fast float32 normal kernels against an op-for-op reference -----------------------------

def _ref_log_avx2(x):
    """Cephes logf of torch's AVX2 kernel, every FMA rounded exactly by `fma32` (reference)."""
    x = np.maximum(x, np.finfo(F32).tiny)
    bits = x.view(np.uint32)
    e = ((bits >> 23).astype(np.int32) - 127).astype(F32) + F32(1.0)
    m = ((bits & np.uint32(0x807FFFFF)) | np.uint32(0x3F000000)).view(F32)
    small = m < RN._SQRTHF
    x = (m - F32(1.0)) + np.where(small, m, F32(0.0))
    e = e - small.astype(F32)
    z = x * x
    y = np.full_like(x, RN._LOG_P[0])
    for p in RN._LOG_P[1:]:
        y = RN.fma32(y, x, p)
    y = y * x
    y = RN.fma32(y, z, e * RN._LOG_Q1)
    y = RN.fma32(-z, F32(0.5), y)
    return RN.fma32(e, RN._LOG_Q2, x + y)


def _ref_sincos_avx2(theta):
    """Cephes sincosf of torch's AVX2 kernel, every FMA rounded exactly (reference)."""
    a = np.abs(theta)
    j = (a * RN._FOPI).astype(np.int32)
    j = (j + 1) & ~1
    y = j.astype(F32)
    x = RN.fma32(y, RN._MINUS_DP[0], a)
    x = RN.fma32(y, RN._MINUS_DP[1], x)
    x = RN.fma32(y, RN._MINUS_DP[2], x)
    sin_sign = ((j & 4) << 29).astype(np.uint32) ^ (theta.view(np.uint32) & np.uint32(0x80000000))
    cos_sign = (((~(j - 2)) & 4) << 29).astype(np.uint32)
    first = (j & 2) == 0
    z = x * x
    c = RN.fma32(RN.fma32(RN._COS_P[0], z, RN._COS_P[1]), z, RN._COS_P[2])
    c = RN.fma32(c * z, z, -(z * F32(0.5))) + F32(1.0)
    s = RN.fma32(RN.fma32(RN._SIN_P[0], z, RN._SIN_P[1]), z, RN._SIN_P[2])
    s = RN.fma32(s * z, x, x)
    sin_ = np.where(first, s, c).view(np.uint32) ^ sin_sign
    cos_ = np.where(first, c, s).view(np.uint32) ^ cos_sign
    return sin_.view(F32), cos_.view(F32)


def _kernel_inputs():
    """The 24-bit uniforms k * 2^-24 the kernels can get: all 2^24 of them with
    EMBER_EXHAUSTIVE=1 (some seconds), else the edges and every 97th."""
    if os.environ.get("EMBER_EXHAUSTIVE"):
        return [np.arange(s, s + (1 << 20)) for s in range(0, 1 << 24, 1 << 20)]
    edge = np.arange(-2048, 2048)
    ks = np.concatenate([np.arange(0, 1 << 24, 97), edge + 2048, (1 << 24) - 2049 - edge,
                         (1 << 23) + edge, (1 << 22) + edge])
    return [ks]


def test_fast_normal_kernels_equal_the_exact_reference():
    """The fast kernels round each FMA once in float64 without the midpoint check; that is exact
    for every input they can get, which this compares (all of them with EMBER_EXHAUSTIVE=1)."""
    for ks in _kernel_inputs():
        d = ks.astype(F32) * F32(2.0 ** -24)
        u1 = F32(1.0) - d
        assert np.array_equal(RN._log_avx2(u1).view(np.uint32),
                              _ref_log_avx2(u1).view(np.uint32))
        theta = RN._TWO_PI * d
        for got, want in zip(RN._sincos_avx2(theta), _ref_sincos_avx2(theta)):
            assert np.array_equal(got.view(np.uint32), want.view(np.uint32))


@pytest.mark.parametrize("low,high", [(-0.05, 0.05), (0.0, 3.0), (-2.5, -0.5), (1000.0, 1000.001),
                                      (-1e-30, 1e30), (3.0, 3.0), (-7.0, 2 ** 24 + 1.0),
                                      (1e-3, 1.0), (-1.0, 1.0)])
def test_uniform_fast_path_is_the_exact_fma(low, high):
    """float uniform_: the float64 multiply-add (taken when it is exact) equals the exact FMA."""
    a, b = F32(low), F32(high)
    words = gen(8).random32(20000)
    x = (words & np.uint32(0xFFFFFF)).astype(F32) * F32(2.0 ** -24)
    want = RN.fma32(x, b - a, a)
    want = np.where(want == b, a, want)
    got = R.uniform_values(gen(8), 20000, F32, low, high)
    assert np.array_equal(got.view(np.uint32), want.view(np.uint32))


def test_swap_shuffle_equals_the_sequential_swaps():
    def loop(targets, n):
        perm = list(range(n))
        for i, j in enumerate(targets.tolist()):
            perm[i], perm[j] = perm[j], perm[i]
        return np.array(perm)
    rng = np.random.default_rng(1)
    for trial in range(600):
        n = int(rng.integers(2, 40)) if trial < 500 else int(rng.integers(2, 5000))
        i = np.arange(n - 1)
        if trial % 3 == 0:  # uniform targets, as randperm draws them
            t = i + rng.integers(0, n - i)
        elif trial % 3 == 1:  # many self-swaps and hits on the last position: long chains
            t = np.where(rng.random(n - 1) < 0.5, i, np.where(rng.random(n - 1) < 0.5, n - 1, i))
        else:  # short hops
            t = np.minimum(n - 1, i + rng.integers(0, 3, n - 1))
        assert np.array_equal(R.swap_shuffle(t.astype(np.int64), n), loop(t, n)), (n, t)


def test_chunked_draws_continue_the_stream():
    """Draws larger than one chunk are one stream: the same values as the same draw cut in
    pieces, and a ragged normal draw's full blocks equal those of the next multiple of 16."""
    n = R._CHUNK * 2 + 21
    a, b = randn(gen(6), n), randn(gen(6), n - 5)
    assert np.array_equal(a[:n - 16], b[:n - 16])
    g, h = gen(6), gen(6)
    big = R.uniform_values(g, n, F64, -1.0, 2.0)
    parts = [R.uniform_values(h, m, F64, -1.0, 2.0) for m in (5, R._CHUNK, n - 5 - R._CHUNK)]
    assert np.array_equal(big, np.concatenate(parts))
    assert np.array_equal(g._get_state_array(), h._get_state_array())


def test_empty_draw_keeps_a_fresh_state():
    g = gen(4)
    R.uniform_values(g, 0, F32)
    R.bernoulli_tensor_values(g, np.zeros(0, F32))
    assert np.array_equal(g._get_state_array(), gen(4)._get_state_array())


# ---- live torch on other seeds, sizes and dtypes (skipped without torch) ------------------------

def _torch():
    torch = pytest.importorskip("torch")
    if torch.backends.cpu.get_cpu_capability() not in ("AVX2", "AVX512"):
        pytest.skip("float32 normals follow torch's AVX2 kernel")
    return torch


def _same(got, want):
    want = want.numpy() if hasattr(want, "numpy") else np.asarray(want)
    got = np.ascontiguousarray(got)
    assert got.dtype == want.dtype and got.shape == want.shape
    assert np.array_equal(got.view(np.uint8), want.view(np.uint8))


def _pair(torch, seed):
    return gen(seed), torch.Generator().manual_seed(seed)


@pytest.mark.parametrize("seed", [1, 123456, 2 ** 40 + 17])
@pytest.mark.parametrize("dt", ["float32", "float64", "float16"])
def test_live_normal_uniform(seed, dt):
    torch = _torch()
    tdt = getattr(torch, dt)
    g, t = _pair(torch, seed)
    for n, mean, std in ((5, 0.0, 1.0), (31, 0.5, 2.0), (4099, -1.0, 0.25), (16, 0.0, 1.0)):
        _same(randn(g, n, dt, mean, std), torch.empty(n, dtype=tdt).normal_(mean, std,
                                                                             generator=t))
        _same(R.uniform_values(g, n, dt, -0.7, 0.2),
              torch.empty(n, dtype=tdt).uniform_(-0.7, 0.2, generator=t))
    _same(g._get_state_array(), t.get_state())


@pytest.mark.filterwarnings("ignore:to - 1 is out of bounds")
def test_live_integer_and_other_distributions():
    torch = _torch()
    g, t = _pair(torch, 99)
    for lo, hi, dt in ((0, 2 ** 28, "int32"), (-9, 2 ** 33, "int64"), (0, 255, "uint8"),
                       (0, 2 ** 30, "float32"), (5, 2 ** 60, "float64")):
        npd = np.dtype(dt)
        bounds = R.float_bounds(lo, hi, npd) if npd.kind == "f" else (lo, hi)
        _same(R.randint_values(g, 40, *bounds, npd),
              torch.empty(40, dtype=getattr(torch, dt)).random_(lo, hi, generator=t))
    _same(R.random_full_values(g, 9, np.int64),
          torch.empty(9, dtype=torch.int64).random_(-2 ** 63, None, generator=t))
    for dt in ("float32", "float64"):
        tdt = getattr(torch, dt)
        _same(R.exponential_values(g, 500, 0.5).astype(dt),
              torch.empty(500, dtype=tdt).exponential_(0.5, generator=t))
        _same(R.geometric_values(g, 500, 0.2).astype(dt),
              torch.empty(500, dtype=tdt).geometric_(0.2, generator=t))
        _same(R.cauchy_values(g, 500, 1.0, 3.0).astype(dt),
              torch.empty(500, dtype=tdt).cauchy_(1.0, 3.0, generator=t))
        _same(R.log_normal_values(g, 501, 0.2, 0.7).astype(dt),
              torch.empty(501, dtype=tdt).log_normal_(0.2, 0.7, generator=t))
    _same(R.randperm_values(g, 3000), torch.randperm(3000, generator=t))
    rates = np.array([0.0, 0.3, 4.0, 9.5, 10.0, 37.5, 2000.0] * 5)
    _same(R.poisson_values(g, rates), torch.poisson(torch.tensor(rates), generator=t))
    probs = R.uniform_values(gen(5), 60, F32).reshape(4, 15)
    for k, rep in ((1, False), (6, False), (1, True), (25, True)):
        _same(R.multinomial_values(g, probs, k, rep),
              torch.multinomial(torch.tensor(probs), k, rep, generator=t))
    _same(g._get_state_array(), t.get_state())


# ---- tensor level: ember's public API -----------------------------------------------------------

@pytest.fixture
def S():
    from ember.ops import sampling
    return sampling


def _np(t):
    return t._data


def test_api_global_seed_and_state(S):
    import ember.random as ER
    ER.manual_seed(7)
    check("notebook_seed7", "features", _np(S.randn((1, 5))))
    state = ER.get_rng_state()
    assert state.dtype.name == "uint8" and tuple(state.shape) == (5056,)
    a = _np(S.randn(3))
    ER.set_rng_state(state)
    assert np.array_equal(_np(S.randn(3)), a)
    with ER.fork_rng():
        S.rand(100)
    forked = _np(S.randn(3))
    ER.set_rng_state(state)
    S.randn(3)
    assert np.array_equal(_np(S.randn(3)), forked)
    ER.manual_seed(2 ** 64 - 1)
    assert ER.initial_seed() == 2 ** 64 - 1
    assert isinstance(ER.seed(), int)


def test_api_signatures(S):
    import ember._dtype as D
    g = R.Generator().manual_seed(3)
    assert tuple(S.rand(2, 3, generator=g).shape) == (2, 3)
    assert tuple(S.rand([2, 3]).shape) == (2, 3) and tuple(S.randn(()).shape) == ()
    assert S.randn(4, dtype=D.float64).dtype is D.float64
    assert S.rand(3, requires_grad=True).requires_grad
    out = S.randn(5)
    assert S.randn(5, out=out) is out
    r = S.randint(10, (3, 4))
    assert r.dtype is D.int64 and tuple(r.shape) == (3, 4)
    assert S.randint(3, 10, (50,), dtype=D.int32)._data.min() >= 3
    assert S.randint_like(r, 5)._data.max() < 5 and S.randint_like(r, 5, 7)._data.min() >= 5
    assert sorted(_np(S.randperm(20)).tolist()) == list(range(20))
    assert S.rand_like(S.randn(2, 2, dtype=D.float64)).dtype is D.float64
    x = S.randn(4, 4)
    assert x.uniform_(2, 3) is x and (_np(x) >= 2).all()
    assert x.normal_() is x and x.random_(0, 5) is x and x.bernoulli_(0.5) is x
    assert x.exponential_() is x and x.geometric_(0.5) is x and x.cauchy_() is x
    assert x.log_normal_() is x and (_np(x) > 0).all()
    with pytest.raises(RuntimeError, match="random_ expects 'from' to be less than 'to'"):
        x.random_(5, 2)
    with pytest.raises(RuntimeError, match="normal expects std >= 0.0"):
        x.normal_(0, -1)
    with pytest.raises(RuntimeError, match="without replacement"):
        S.multinomial(S.rand(3), 4)


def test_api_matches_torch(S):
    torch = _torch()
    import ember._dtype as D
    g, t = _pair(torch, 31)
    _same(_np(S.randn(2, 17, generator=g)), torch.randn(2, 17, generator=t))
    _same(_np(S.rand(3, 5, dtype=D.float64, generator=g)),
          torch.rand(3, 5, dtype=torch.float64, generator=t))
    _same(_np(S.randint(-3, 9, (7,), generator=g)), torch.randint(-3, 9, (7,), generator=t))
    m, s = S.rand(6, generator=g), S.rand(6, generator=g)
    tm, ts = torch.rand(6, generator=t), torch.rand(6, generator=t)
    _same(_np(S.normal(m, s, generator=g)), torch.normal(tm, ts, generator=t))
    _same(_np(S.normal(m, 2.0, generator=g)), torch.normal(tm, 2.0, generator=t))
    _same(_np(S.normal(1.0, s, generator=g)), torch.normal(1.0, ts, generator=t))
    _same(_np(S.normal(1.0, 2.0, (3, 7), generator=g)),
          torch.normal(1.0, 2.0, (3, 7), generator=t))
    _same(_np(S.bernoulli(m, generator=g)), torch.bernoulli(tm, generator=t))
    _same(_np(m.bernoulli(generator=g)), tm.bernoulli(generator=t))
    _same(_np(m.multinomial(3, generator=g)), tm.multinomial(3, generator=t))
    _same(_np(S.poisson(s * 20, generator=g)), torch.poisson(ts * 20, generator=t))
    x = S.randn(6, 5, generator=g)
    tx = torch.randn(6, 5, generator=t)
    _same(_np(x), tx)
    _same(g._get_state_array(), t.get_state())


def test_course_sequence_repr(S):
    import ember.random as ER
    ER.manual_seed(7)
    features = S.randn((1, 5))
    weights = S.randn_like(features)
    bias = S.randn((1, 1))
    for name, v in (("features", features), ("weights", weights), ("bias", bias)):
        check("notebook_seed7", name, _np(v))
    text = repr(features.matmul(weights.T) + bias)
    assert text == "tensor([[-1.6619]])"


def test_two_layer_network_matches_torch(S):
    torch = _torch()
    import ember.random as ER

    def run(lib, randn, seed_fn):
        seed_fn(7)
        features = randn((1, 3))
        w1, w2 = randn(3, 2), randn(2, 1)
        b1, b2 = randn((1, 2)), randn((1, 1))
        hidden = (features.matmul(w1) + b1).sigmoid()
        return repr((hidden.matmul(w2) + b2).sigmoid())

    want = run(torch, torch.randn, torch.manual_seed)
    got = run(None, S.randn, ER.manual_seed)
    assert got == want


@pytest.mark.parametrize("cid", sorted(VECTORS))
def test_vector_snippets_run_under_ember(cid):
    """The exact torch snippet, exec'd with ember as torch."""
    import ember
    ns = {"torch": ember}
    exec(VECTORS[cid]["code"].replace("from torch.", "from ember."), ns)
    for name, rec in VECTORS[cid]["outputs"].items():
        v = ns[name]
        got = v if "python" in rec else np.asarray(v.detach()._data)
        if name == "result":  # a float32 matmul: summation order is the core's business
            assert np.allclose(got, expected(rec).reshape(got.shape), rtol=1e-6)
        else:
            check(cid, name, got)


# ---- torch's argument parser: every call form, value, error and warning against live torch ------

def test_randint_size_keyword_is_the_size():
    """The reported bug: `size=` by keyword was taken as something else (huge numbers)."""
    import ember
    ember.manual_seed(0)
    a = ember.randint(10, size=(3,))
    ember.manual_seed(0)
    assert a.tolist() == ember.randint(10, (3,)).tolist()
    ember.manual_seed(0)
    assert ember.randint(low=0, high=10, size=(3,)).tolist() == a.tolist()
    assert a.dtype is ember.int64 and (a._data >= 0).all() and (a._data < 10).all()
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    assert a.tolist() == torch.randint(10, size=(3,)).tolist()


# Each snippet runs with L = torch and L = ember after manual_seed(3); the outcomes must agree:
# the same exception type and text, or the same dtype, shape, strides, bits, requires_grad and
# grad_fn presence; the same warnings; and the same generator state afterwards.
CALL_FORMS = [
    'L.randint(10, size=(3,))',
    'L.randint(low=0, high=10, size=(3,))',
    'L.randint(high=10, size=(3,))',
    'L.randint(3, 10, size=(3,))',
    'L.randint(3, high=10, size=(3,))',
    'L.randint(10, (3,), dtype=L.int32)',
    'L.randint(10, [3, 2])',
    'L.randint(0, 10, L.Size([2]))',
    'L.randint(L.tensor(10), (3,))',
    'L.randint(low=3, high=10, size=(3,), generator=L.Generator().manual_seed(5))',
    'L.randint(10, (3,), generator=None)',
    'L.randint(-3, 9, (7,), dtype=L.int16)',
    'L.randint(2, (5,), dtype=L.bool)',
    'L.randint(0, 100, (6,), dtype=L.float32)',
    'L.randint(10, (3,), dtype=L.float32, requires_grad=True)',
    'L.randint(10, (2,), out=L.empty(2, dtype=L.int64))',
    'L.randint(10, (3,), out=L.empty(3))',
    'L.randint(10, (3,), out=L.empty(2, dtype=L.int32))',
    "L.randint(10, (3,), layout=L.strided, device='cpu')",
    'L.randint(-2**63, 2**63-1, (3,))',
    'L.randint(0, 2**40, (4,))',
    'L.randint(10)',
    'L.randint(size=(3,))',
    'L.randint(low=2, size=(3,))',
    'L.randint(10, 3)',
    'L.randint(10, (3,), (3,))',
    'L.randint(1, 2, 3, 4)',
    'L.randint(10.5, (3,))',
    'L.randint(10, 3, (2,))',
    'L.randint(10, (3,), foo=1)',
    'L.randint(10, size=3)',
    'L.randint(10, (3,), requires_grad=True)',
    'L.randint(True, (3,))',
    'L.randint(10, (3.0,))',
    'L.randint(0, 0, (3,))',
    'L.randint(10, (True,))',
    'L.randint(10, high=20, low=0, size=(3,))',
    'L.randint(low=0, high=10, size=(3,), foo=1)',
    'L.randint(10, (3,), dtype=L.float32, layout=1)',
    'L.randint(10, (3,), generator=1)',
    'L.randint(10, 2.5, (3,))',
    'L.randint(0, 200, (3,), dtype=L.int8)',
    'L.randint(-200, 2, (3,), dtype=L.int8)',
    'L.randint(0, 2**40, (3,), dtype=L.int16)',
    'L.randint(0, 2**40, (3,), dtype=L.float16)',
    'L.randint(0, 2**70, (3,), dtype=L.float32)',
    'L.randint(0, 10, (3,), dtype=L.complex64)',
    'L.randint(0, 2**63, (3,))',
    'L.randint(10, (3,), dtype=L.int64, out=L.empty(3, dtype=L.int32))',
    "L.randint(10, (2, 'a'))",
    'L.randint(10, torch_np_array)',
    'L.randn(size=(2, 3))',
    'L.randn(2, 3)',
    'L.randn((2, 3))',
    'L.randn([2, 3])',
    'L.randn(L.Size([4]))',
    'L.randn(())',
    'L.randn([])',
    'L.rand(size=[])',
    'L.randn(2, True)',
    'L.randn(L.tensor(3))',
    'L.randn(3, L.tensor(2))',
    'L.randn(17, dtype=L.float64)',
    'L.randn(40, dtype=L.float16)',
    'L.randn(9, dtype=L.complex64)',
    'L.randn(20, dtype=L.complex128)',
    'L.rand(size=(5,))',
    'L.rand(6, dtype=L.complex64)',
    'L.rand(7, dtype=L.float16)',
    'L.rand(2, requires_grad=True)',
    'L.rand(size=[2], out=L.empty(2))',
    'L.randn(3, out=L.empty(2))',
    'L.randn(3, out=L.empty(3, dtype=L.float64))',
    'L.randn(2, out=L.empty(2), requires_grad=True)',
    'L.randn(3, generator=None, out=None, dtype=None, layout=None, device=None, '
    'pin_memory=None, requires_grad=None)',
    'L.randn(2, 3, size=(2, 3))',
    'L.randn(2, size=3)',
    'L.randn(size=3)',
    'L.randn()',
    'L.randn((2, 3), 4)',
    'L.randn(2.5)',
    'L.randn(2, 3, foo=1)',
    'L.randn(2, dtype=L.int64)',
    'L.randn(-1)',
    'L.randn(2, -3)',
    'L.randn((2, 2.5))',
    'L.randn(2, 2.5)',
    'L.randn((2, None))',
    'L.randn(True)',
    'L.randn(L.tensor([2, 3]))',
    'L.randn(2, foo=1, bar=2)',
    'L.randn(2, bar=1, foo=2)',
    'L.randn(3, generator=5)',
    'L.randn(3, dtype=5)',
    'L.randn(3, requires_grad=1)',
    'L.randn(2, names=None)',
    'L.rand(2, dtype=L.int32)',
    'L.rand(2, dtype=L.int64, requires_grad=True)',
    'L.randn(3, dtype=L.float64, out=L.empty(3))',
    'L.randn(3, out=L.empty(3, dtype=L.int64))',
    'L.randn(3, out=L.empty(3, requires_grad=True))',
    'L.randn(3, layout=L.strided)',
    'L.randn(3, pin_memory=True)',
    'L.randn(2, 3, out=L.Generator())',
    'L.randn((2,), size=(2,))',
    'L.rand(2, generator=L.Generator(), foo=1)',
    'L.randn(3, generator=None, generator2=None)',
    'L.randperm(n=5)',
    'L.randperm(5, dtype=L.float32)',
    'L.randperm(300, dtype=L.int16)',
    'L.randperm(7, dtype=L.float16)',
    'L.randperm(5, generator=L.Generator())',
    'L.randperm(0)',
    'L.randperm(1)',
    'L.randperm(L.tensor(5))',
    'L.randperm(4, out=L.empty(2))',
    'L.randperm(4, out=L.empty(4, dtype=L.int32))',
    'L.randperm(5, dtype=L.float32, requires_grad=True)',
    'L.randperm(5, dtype=L.bool)',
    'L.randperm(-1)',
    'L.randperm(5.0)',
    'L.randperm()',
    'L.randperm(5, 6)',
    'L.randperm(5, requires_grad=True)',
    'L.randperm(300, dtype=L.uint8)',
    'L.randperm(129, dtype=L.int8)',
    'L.randperm(128, dtype=L.int8)',
    'L.randperm(3000, dtype=L.float16)',
    'L.randperm(40000, dtype=L.int16)',
    'L.randperm(5, dtype=L.complex64)',
    'L.randperm(True)',
    'L.randperm(5, n=5)',
    'L.randperm(4, dtype=L.int64, out=L.empty(4, dtype=L.int32))',
    'L.randperm(5, out=L.empty(5, requires_grad=True))',
    'L.normal(0.0, 1.0, size=(2,))',
    'L.normal(0.0, 1.0, (20,))',
    'L.normal(mean=0.5, std=2.0, size=(17,))',
    'L.normal(2, 3, (2,))',
    'L.normal(0.0, 1.0, (2,), dtype=L.float64)',
    'L.normal(0.0, 1.0, (2,), requires_grad=True)',
    'L.normal(True, 2.0, (2,))',
    'L.normal(1.0, 2.0, (2,), generator=None)',
    'L.normal(0., 1., (3,), out=L.empty(2))',
    'L.normal(0., 1., (3,), out=L.empty(3, dtype=L.float64))',
    'L.normal(L.zeros(20), 1.0)',
    'L.normal(mean=L.zeros(20))',
    'L.normal(L.zeros(20))',
    'L.normal(mean=L.zeros(3), std=L.ones(3))',
    'L.normal(L.zeros(20), 2)',
    'L.normal(L.zeros(20), std=2)',
    'L.normal(1, L.ones(20))',
    'L.normal(mean=1.0, std=L.ones(20))',
    'L.normal(L.zeros(3, 1), L.ones(3))',
    'L.normal(L.zeros(20), L.ones(20, dtype=L.float64))',
    'L.normal(L.zeros(20, dtype=L.float64), L.ones(20))',
    'L.normal(L.zeros(3), True)',
    'L.normal(L.zeros(3), 1., out=L.empty(3, dtype=L.float64))',
    'L.normal(L.zeros(3), L.ones(3), out=L.empty(5))',
    'L.normal(1., L.ones(3), out=L.empty(5))',
    'L.normal(L.zeros(3,1), L.ones(3), out=L.empty(0))',
    'L.normal(L.zeros(3), 1., out=L.empty(0))',
    'L.normal(L.zeros(3), 1., out=L.empty(2))',
    'L.normal(L.zeros(3), L.ones(2))',
    'L.normal(L.zeros(3, dtype=L.float16), 1.)',
    'L.normal(L.zeros(3), L.ones(3), out=L.empty(3, dtype=L.int64))',
    'L.normal(L.zeros(3, dtype=L.int64), 1.)',
    'L.normal(0.0, 1.0)',
    'L.normal(L.zeros(2), 1.0, size=(2,))',
    'L.normal(std=L.ones(2))',
    'L.normal(L.zeros(2), L.ones(2), dtype=L.float64)',
    'L.normal(0.0, -1.0, (2,))',
    'L.normal(L.zeros(3), -1.)',
    'L.normal(L.zeros(3), L.full((3,), -1.))',
    'L.normal(0., L.full((3,), -1.))',
    'L.normal(1.0, 2.0, (2,), 3)',
    'L.normal(L.zeros(2), L.ones(2), (2,))',
    'L.normal(1.0, 2.0, size=3)',
    'L.normal(L.zeros(2), L.ones(2), generator=1)',
    'L.normal(L.zeros(0), -1.)',
    'L.normal(L.zeros(3, requires_grad=True), 1.)',
    'L.normal(L.zeros(3), 1., out=L.empty(3, requires_grad=True))',
    'L.randint_like(L.zeros(3), 10)',
    'L.randint_like(L.zeros(3), high=10)',
    'L.randint_like(L.zeros(3), low=2, high=10)',
    'L.randint_like(L.zeros(3), 2, high=10)',
    'L.randint_like(input=L.zeros(3), high=4)',
    'L.randint_like(L.zeros(3), 4, dtype=L.int64)',
    'L.randint_like(L.zeros(3), L.tensor(5))',
    'L.randint_like(L.zeros(3, 4).T, 5)',
    'L.randint_like(L.zeros(3), 2, dtype=L.bool)',
    'L.randint_like(L.zeros(3), 2, requires_grad=True)',
    'L.randint_like(L.zeros(3))',
    'L.randint_like(L.zeros(3), low=3)',
    'L.randint_like(L.zeros(3), 2.5)',
    'L.randint_like(L.zeros(3), L.tensor([5, 6, 7]))',
    'L.randint_like(L.zeros(3), 1, 2, 3)',
    'L.randint_like(L.zeros(3), 5, dtype=L.bool)',
    'L.randint_like(L.zeros(3, dtype=L.int64), 2, requires_grad=True)',
    'L.rand_like(input=L.zeros(2))',
    'L.rand_like(L.zeros(3, 4).T)',
    'L.randn_like(L.zeros(3, 8).T)',
    'L.randn_like(L.zeros(2, 9))',
    'L.rand_like(L.zeros(3, 4).T, memory_format=L.contiguous_format)',
    'L.rand_like(L.zeros(3, 4)[:, ::2])',
    'L.randn_like(L.zeros(2), requires_grad=True)',
    'L.rand_like(L.zeros(2), memory_format=L.preserve_format)',
    'L.rand_like(L.zeros(3), generator=L.Generator())',
    "L.rand_like(L.zeros(2), device='cpu', layout=L.strided, pin_memory=False)",
    'L.rand_like(L.zeros(3), dtype=L.int64)',
    'L.randn_like(L.zeros(3, dtype=L.int64))',
    'L.rand_like(L.zeros(3), 1)',
    'L.randn_like(L.zeros(3), dtype=L.float64, foo=1)',
    'L.rand_like([1.0])',
    'L.rand_like(L.zeros(2), pin_memory=True)',
    'L.randn_like(L.zeros(3, requires_grad=True))',
    'L.bernoulli(L.rand(30))',
    'L.bernoulli(L.rand(3), p=0.5)',
    'L.bernoulli(input=L.rand(3))',
    'L.bernoulli(L.rand(3), 0.5, generator=None)',
    'L.bernoulli(L.rand(3, dtype=L.float64))',
    'L.bernoulli(L.tensor([0, 1]), 0.5)',
    'L.bernoulli(L.tensor([True, False]), 0.5)',
    'L.bernoulli(L.rand(3), out=L.empty(2))',
    'L.bernoulli(L.rand(3), out=L.empty(3, dtype=L.float64))',
    'L.bernoulli(L.rand(3), out=L.empty(3, dtype=L.int64))',
    'L.bernoulli(L.rand(4, 3).T)',
    'L.bernoulli(L.rand(4, 3).T, 0.3)',
    'L.bernoulli(L.rand(3), 0.5, out=L.empty(3))',
    'L.bernoulli(L.tensor([0, 1]))',
    'L.bernoulli(L.full((3,), 2.))',
    'L.bernoulli(L.rand(3), 2.)',
    'L.bernoulli(L.rand(2), L.rand(2))',
    'L.bernoulli(L.rand(2), p=L.rand(2))',
    'L.bernoulli(0.5)',
    'L.bernoulli(L.rand(2), None)',
    'L.bernoulli(L.rand(3, requires_grad=True))',
    'L.bernoulli(L.rand(3), out=L.empty(3, requires_grad=True))',
    'L.multinomial(L.rand(3), 2, replacement=True)',
    'L.multinomial(input=L.rand(3), num_samples=2)',
    'L.multinomial(L.rand(3), 2, out=L.empty(5, dtype=L.int64))',
    'L.multinomial(L.rand(3), 2, out=L.empty(2))',
    'L.multinomial(L.rand(3), 2.0)',
    'L.multinomial(L.rand(3), 2, 1)',
    'L.multinomial(L.rand(3), L.tensor(2))',
    'L.multinomial()',
    'L.multinomial(L.rand(2), 1, None)',
    'L.multinomial(L.rand(3, requires_grad=True), 2)',
    'L.poisson(L.rand(3) * 5, None)',
    'L.poisson(input=L.rand(3), generator=None)',
    'L.poisson(L.rand(3), L.Generator())',
    'L.poisson(L.rand(3), 1)',
    'L.poisson()',
    'L.poisson(L.tensor([1, 2]))',
    'L.poisson(L.tensor([1., -2.]))',
    'L.poisson(L.rand(3, requires_grad=True))',
    'L.zeros(3).uniform_(to=3)',
    "L.zeros(3).uniform_(**{'from': 0.5})",
    'L.zeros(3).uniform_(-1, 1)',
    'L.zeros(3).uniform_(1, 2, 3)',
    "L.zeros(3).uniform_('a')",
    'L.zeros(2).uniform_(L.tensor(0.5), 1)',
    'L.zeros(2).uniform_(L.tensor([0.5]), 1)',
    'L.zeros(2).uniform_(True)',
    'L.zeros(3).uniform_(generator=1)',
    'L.zeros(2).uniform_(None)',
    'L.zeros(2).uniform_(0, 1, generator=None, foo=2)',
    'L.zeros(3).uniform_(foo=1)',
    "L.zeros(3).uniform_(0, float('inf'))",
    'L.zeros(3).uniform_(2, 1)',
    'L.zeros(3).uniform_(-3e38, 3e38)',
    'L.zeros(3, dtype=L.int64).uniform_()',
    'L.zeros(3, dtype=L.complex64).uniform_()',
    'L.zeros(3, dtype=L.float16).uniform_(0.1, 0.7)',
    'L.zeros(3).normal_(std=2)',
    'L.zeros(3).normal_(0, 1, None)',
    'L.zeros(3).normal_(foo=1)',
    'L.zeros(3, dtype=L.int64).normal_()',
    "L.zeros(3).normal_(0, float('nan'))",
    'L.zeros(0, dtype=L.int64).normal_()',
    'L.zeros(3, dtype=L.int64).normal_(0, -1)',
    'L.zeros(20, dtype=L.complex64).normal_(1.0, 2.0)',
    'L.zeros(3).random_(2, to=5)',
    'L.zeros(3).random_(to=5)',
    'L.zeros(3).random_(2, None)',
    "L.zeros(3).random_(**{'from': 2})",
    'L.zeros(3).random_(2.5)',
    'L.zeros(3).random_(1, 2, 3)',
    'L.zeros(3).random_(None)',
    'L.zeros(3).random_(None, 5)',
    'L.zeros(3).random_(from_=1)',
    'L.zeros(3).random_(foo=1)',
    'L.zeros(3, dtype=L.int64).random_(2**40)',
    'L.zeros(3, dtype=L.int32).random_(2**40)',
    'L.zeros(3, dtype=L.complex64).random_()',
    'L.zeros(3, dtype=L.float16).random_(5, None)',
    'L.zeros(3, dtype=L.float16).random_(3000, None)',
    'L.zeros(3).random_(-2**63, None)',
    'L.zeros(3, dtype=L.int32).random_(-2**63, None)',
    'L.zeros(3).random_()',
    'L.zeros(3, dtype=L.uint8).random_()',
    'L.zeros(3, dtype=L.bool).random_()',
    'L.zeros(3).bernoulli_(p=0.3)',
    'L.zeros(3).bernoulli_(L.rand(3))',
    'L.zeros(3).bernoulli_(None)',
    'L.zeros(3).bernoulli_(foo=1)',
    'L.zeros(3, dtype=L.int64).bernoulli_(0.5)',
    'L.zeros(3, dtype=L.int64).bernoulli_(L.rand(3))',
    'L.zeros(3).bernoulli_(L.tensor([0, 1, 1]))',
    'L.zeros(3).bernoulli_(L.rand(2))',
    'L.zeros(3).bernoulli_(L.rand(1))',
    'L.zeros(3).bernoulli_(-0.1)',
    "L.zeros(3).bernoulli_(float('nan'))",
    'L.zeros(3, dtype=L.complex64).bernoulli_(0.5)',
    'L.zeros(3).bernoulli_(L.rand(2, 3))',
    'L.zeros(3).exponential_(lambd=2)',
    'L.zeros(3).exponential_(foo=1)',
    'L.zeros(3).exponential_(1, 2)',
    'L.zeros(3).exponential_(-1)',
    'L.zeros(3).exponential_(0)',
    'L.zeros(3, dtype=L.int64).exponential_()',
    'L.zeros(3, dtype=L.complex64).exponential_()',
    "L.zeros(3).exponential_(float('nan'))",
    'L.zeros(0).exponential_(-1)',
    'L.zeros(3, dtype=L.int64).exponential_(-1)',
    'L.zeros(3).geometric_(p=0.5)',
    'L.zeros(3).geometric_(0.5, 1)',
    'L.zeros(3).geometric_(foo=1)',
    'L.zeros(3).geometric_(0)',
    'L.zeros(3).geometric_(1)',
    'L.zeros(3, dtype=L.int64).geometric_(0.5)',
    "L.zeros(3).geometric_(float('nan'))",
    'L.zeros(3).log_normal_(std=3)',
    'L.zeros(3).log_normal_(foo=1)',
    'L.zeros(3).log_normal_(0, 0)',
    'L.zeros(3, dtype=L.int64).log_normal_()',
    'L.zeros(3, dtype=L.int64).log_normal_(0, -1)',
    'L.zeros(3).cauchy_(sigma=2)',
    'L.zeros(3).cauchy_(foo=1)',
    'L.zeros(3).cauchy_(0, -1)',
    'L.zeros(3).cauchy_(0, 0)',
    'L.zeros(3, dtype=L.int64).cauchy_()',
    'L.zeros(3, dtype=L.int64).cauchy_(0, -1)',
    'L.zeros(3).bernoulli(p=0.3)',
    'L.zeros(3).bernoulli(0.3, generator=None)',
    'L.rand(3).bernoulli()',
    'L.zeros(2).bernoulli(foo=1)',
    'L.rand(3).multinomial(num_samples=2, replacement=True)',
    'L.zeros(2).multinomial(foo=1)',
    'L.rand(3, requires_grad=True).uniform_()',
    "L.randn(3, device='cuda')",
    "L.rand_like(L.zeros(2), device='cuda')",
    'L.zeros(3).random_(1.5, 2)',
    'L.randn(2, dtype=L.float64, foo=3)',
    'L.zeros(3).bernoulli_(1, 2)',
    'L.zeros(3).random_(generator=None, foo=1)',
    'L.bernoulli(L.rand(2), 0.5, 1, 2)',
    "L.bernoulli(L.rand(2), (1,), [2.0], (3, 'a'))",
    'L.randint(1, 2, 3, 4, 5, 6, 7, 8, 9)',
    'L.randint(low=1, high=2, size=(3,), generator=None, out=None, dtype=None, '
    'layout=None, device=None, pin_memory=None, requires_grad=None, foo=1)',
    'L.randint(low=1, high=2, size=(3,), dtype=None, layout=None, device=None, '
    'pin_memory=None, requires_grad=None, bar=1)',
    'L.randn_like(L.zeros(2), 1, 2, 3, 4, 5, 6, 7)',
    'L.randperm(3, dtype=None, layout=None, device=None, pin_memory=None, '
    'requires_grad=None, out=None, x=1)',
    'L.normal(L.zeros(2), L.ones(2), L.ones(2), 1)',
    'L.normal(1.0, 2.0, (2,), L.Generator())',
    'L.normal(1.0, 2.0, (2,), generator=L.Generator(), out=None, dtype=L.float64)',
    'L.zeros(4, 5).T.uniform_(-2, 2)',
    'L.zeros(4, 5).T.normal_()',
    'L.zeros(4, 8).T.normal_(1, 2)',
    'L.zeros(40, 8).T.random_(0, 9)',
    'L.zeros(4, 5).T.bernoulli_(0.4)',
    'L.zeros(4, 5).T.bernoulli_(L.rand(5, 4))',
    'L.zeros(4, 5).T.exponential_()',
    'L.zeros(6, 5)[::2].geometric_(0.3)',
    'L.zeros(7, dtype=L.float64).cauchy_(1, 2)',
    'L.zeros(7, dtype=L.float16).log_normal_()',
    'L.zeros(3, 4)[:, 1].uniform_()',
    'L.randint(3, 10, (2, 3), dtype=L.uint8)',
    'L.randint(-2**63, 2**63 - 1, (3,), dtype=L.float64)',
    'L.bernoulli(x=L.rand(3))',
    'L.bernoulli(a=L.rand(3), p=0.3)',
    'L.rand_like(x1=L.zeros(2))',
    'L.multinomial(x=L.rand(3), num_samples=2)',
    'L.poisson(a=L.rand(3))',
    'L.randint_like(x=L.zeros(2), high=3)',
    'L.bernoulli(L.rand(2), x=L.rand(2))',
    'L.randn(2, x=3)',
    'L.randn(size=(2, 3), dtype=L.float64)',
    'L.rand(size=(3,), generator=L.Generator().manual_seed(2))',
]


def _outcome(L, code):
    import re
    import warnings
    L.manual_seed(3)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            res = ("ok", eval(code, {"L": L, "torch_np_array": np.array([2])}))
        except Exception as e:  # noqa: BLE001 - the exception is the outcome compared
            res = ("error", type(e).__name__, str(e))
    said = [re.sub(r" \(Triggered internally at .*\)$", "", str(w.message)) for w in caught]
    return res, said, np.asarray(L.get_rng_state()).tobytes()


@pytest.mark.parametrize("code", CALL_FORMS)
def test_call_form_matches_torch(code):
    torch = _torch()
    import ember
    (t, t_warn, t_state), (e, e_warn, e_state) = _outcome(torch, code), _outcome(ember, code)
    assert t[0] == e[0], (t, e)
    if t[0] == "error":
        assert e[1:] == t[1:]
    else:
        tr, er = t[1], e[1]
        assert str(er.dtype) == str(tr.dtype) and tuple(er.shape) == tuple(tr.shape)
        assert er.stride() == tr.stride()
        assert er.requires_grad == tr.requires_grad
        assert (er.grad_fn is None) == (tr.grad_fn is None)
        bits = [np.array(x).reshape(-1).view(np.uint8) for x in (er.detach()._data,
                                                                  tr.detach().numpy())]
        assert np.array_equal(*bits)
    assert e_warn == t_warn
    assert e_state == t_state


FILLS = {"NormalBackward0": lambda b: b.normal_(), "UniformBackward0": lambda b: b.uniform_(),
         "RandomBackward0": lambda b: b.random_(0, 5), "RandomBackward1": lambda b: b.random_(5),
         "RandomBackward2": lambda b: b.random_(),
         "BernoulliBackward2": lambda b: b.bernoulli_(0.5),
         "BernoulliBackward1": lambda b: b.bernoulli_(b.detach() * 0 + 0.5),
         "ExponentialBackward0": lambda b: b.exponential_(),
         "GeometricBackward0": lambda b: b.geometric_(0.5),
         "CauchyBackward0": lambda b: b.cauchy_(), "LogNormalBackward0": lambda b: b.log_normal_()}


@pytest.mark.parametrize("name", sorted(FILLS))
def test_random_fill_cuts_the_gradient(name):
    """An in-place random fill replaces the values: torch's node for it passes a zero gradient
    to the old history (before, the gradient flowed through as if nothing had changed)."""
    a = ember.ones(4, requires_grad=True)
    b = a * 2
    v = b._version
    assert FILLS[name](b) is b
    assert b.grad_fn.name() == name and b._version == v + 1
    g, = ember.autograd.grad(b.sum(), a)
    assert g.tolist() == [0.0] * 4
    b = a * 2  # a view: only its part of the base is cut (CopySlices)
    FILLS[name](b[:2])
    g, = ember.autograd.grad(b.sum(), a)
    assert b.grad_fn.name() == "torch::autograd::CopySlices" and g.tolist() == [0, 0, 2, 2]
    with ember.no_grad():  # nothing recorded without grad mode
        c = a * 2
    FILLS[name](c)
    assert c.grad_fn is None


def test_random_fill_on_non_leaf_draws_as_torch():
    if torch is None:
        pytest.skip("torch (the oracle) is not installed")
    got = []
    for L in (ember, torch):
        L.manual_seed(3)
        b = L.ones(5, requires_grad=True) * 2
        b.normal_()
        got.append((b.detach().numpy().copy(), L.rand(2).numpy()))
    np.testing.assert_array_equal(got[0][0], got[1][0])
    np.testing.assert_array_equal(got[0][1], got[1][1])


INF = float("inf")
EXTREME = {  # torch's values: an exact float64 fma, infinite means and overflow handled
    "normal -inf": lambda L: L.empty(3).normal_(-INF, 1.0),
    "normal(inf, 0)": lambda L: L.normal(INF, 0.0, (5,)),
    "log_normal inf": lambda L: L.empty(3).log_normal_(INF, 1.0),
    "cauchy inf": lambda L: L.empty(20).cauchy_(INF, 1.0),
    "normal 1e308": lambda L: L.empty(3, dtype=L.float64).normal_(1e308, 1e308),
    "normal -1e308": lambda L: L.empty(3, dtype=L.float64).normal_(-1e308, 1e308),
    "normal 1.7e308": lambda L: L.empty(64, dtype=L.float64).normal_(1e308, 1.7e308),
    "normal std inf": lambda L: L.empty(20).normal_(0.0, INF),
    "normal -inf 1e308": lambda L: L.empty(64, dtype=L.float64).normal_(-INF, 1e308),
}


@pytest.mark.parametrize("case", sorted(EXTREME))
def test_extreme_means_and_scales(case):
    """NaN came out where the product or the split in the fused multiply-add overflowed, or
    the mean was infinite."""
    ember.manual_seed(0)
    got = EXTREME[case](ember).numpy()
    if case in ("normal -inf", "normal -inf 1e308"):
        assert (got == -INF).all()
    elif case in ("normal(inf, 0)", "log_normal inf", "cauchy inf"):
        assert (got == INF).all()
    assert not np.isnan(got).any()
    if case == "normal 1e308":  # z std + mean exactly: finite although z std overflows
        ember.manual_seed(0)
        z = ember.empty(3, dtype=ember.float64).normal_().numpy()
        want = [float(Fraction(v) * Fraction(1e308) + Fraction(1e308)) if abs(
            Fraction(v) * Fraction(1e308) + Fraction(1e308)) < Fraction(1.7976931348623157e308)
            else math.copysign(INF, v) for v in z]
        np.testing.assert_array_equal(got, want)
    if torch is None:
        pytest.skip("torch (the oracle) is not installed")
    torch.manual_seed(0)
    np.testing.assert_array_equal(got, EXTREME[case](torch).numpy())


def test_dropout_with_a_tensor_p_draws_as_torch():
    """A 0-d float32 tensor p drew its mask through bernoulli_'s tensor path (another stream)."""
    got = []
    for L in [ember] + ([torch] if torch is not None else []):
        F = L.nn.functional
        L.manual_seed(0)
        a = F.dropout(L.ones(7), L.tensor(0.5))
        b = L.nn.Dropout(L.tensor(0.2))(L.ones(5))
        got.append((a.tolist(), b.tolist(), L.rand(1).item()))
    ember.manual_seed(0)
    assert got[0][0] == ember.nn.functional.dropout(ember.ones(7), 0.5).tolist()  # a float p
    if torch is None:
        pytest.skip("torch (the oracle) is not installed")
    assert got[0] == got[1]


DTYPE_CASES = {
    "bfloat16 random_()": lambda L: L.empty(2, dtype=L.bfloat16).random_(),
    "bool geometric_": lambda L: L.empty(3, dtype=L.bool).geometric_(0.5),
    "int64 dropout": lambda L: L.nn.functional.dropout(L.ones(3, dtype=L.int64), 0.5),
    "bool dropout": lambda L: L.nn.functional.dropout(L.ones(3, dtype=L.bool), 0.5),
    "int32 dropout p=1": lambda L: L.nn.functional.dropout(L.ones(3, dtype=L.int32), 1.0),
    "int64 alpha_dropout": lambda L: L.nn.functional.alpha_dropout(L.ones(3, dtype=L.int64),
                                                                   0.5, True),
    "1-d feature_alpha_dropout": lambda L: L.nn.functional.feature_alpha_dropout(
        L.ones(3), 0.5, True),
    "0-d feature_alpha_dropout": lambda L: L.nn.functional.feature_alpha_dropout(
        L.tensor(1.0), 0.5, True),
    "1-d feature_alpha_dropout p=1": lambda L: L.nn.functional.feature_alpha_dropout(
        L.ones(3), 1.0, True),
}
DTYPE_WANT = {  # torch's answers
    "bfloat16 random_()": [149.0, 179.0],
    "bool geometric_": (NotImplementedError, "\"geometric_cpu\" not implemented for 'Bool'"),
    "int64 dropout": (RuntimeError, "result type Float can't be cast to the desired output "
                                    "type Long"),
    "bool dropout": (RuntimeError, "result type Float can't be cast to the desired output "
                                   "type Bool"),
    "int32 dropout p=1": [0, 0, 0],
    "int64 alpha_dropout": (RuntimeError, "result type Float can't be cast to the desired "
                                          "output type Long"),
    "1-d feature_alpha_dropout": (RuntimeError, "Feature dropout requires at least 2 "
                                                "dimensions in the input"),
    "0-d feature_alpha_dropout": (RuntimeError, "Feature dropout requires at least 2 "
                                                "dimensions in the input"),
    "1-d feature_alpha_dropout p=1": [0.0, 0.0, 0.0],
}


@pytest.mark.parametrize("case", sorted(DTYPE_CASES))
def test_random_ops_dtypes_as_torch(case):
    """bfloat16 random_() crashed; bool geometric_ and integer dropout computed where torch
    refuses; feature dropout of a 0-d / 1-d input ran without torch's error."""
    want = DTYPE_WANT[case]
    if case.startswith("bfloat16") and not ember._dtype.has_bfloat16():
        import importlib.util
        if importlib.util.find_spec("ml_dtypes") is None:
            pytest.skip("bfloat16 needs ml_dtypes (ember[bf16])")
    for L in [ember] + ([torch] if torch is not None else []):
        L.manual_seed(0)
        if isinstance(want, tuple):
            with pytest.raises(want[0]) as e:
                DTYPE_CASES[case](L)
            assert str(e.value) == want[1]
        else:
            assert DTYPE_CASES[case](L).tolist() == want
    if torch is None:
        pytest.skip("torch (the oracle) is not installed")


@pytest.mark.parametrize("dt", ["float16", "bfloat16"])
def test_gamma_family_half_types_refused_as_torch(dt):
    """Dirichlet / Beta sampled float16 as float64; Gamma raised a RuntimeError naming
    'Float16' where torch raises NotImplementedError for 'Half'."""
    if dt == "bfloat16" and not ember._dtype.has_bfloat16():
        import importlib.util
        if importlib.util.find_spec("ml_dtypes") is None:
            pytest.skip("bfloat16 needs ml_dtypes (ember[bf16])")
    name = {"float16": "Half", "bfloat16": "BFloat16"}[dt]
    for L in [ember] + ([torch] if torch is not None else []):
        D, t = L.distributions, getattr(L, dt)
        cases = [(lambda: D.Gamma(L.tensor([1.0], dtype=t), 1.0).sample(), "gamma_cpu"),
                 (lambda: D.Dirichlet(L.tensor([1.0, 2.0], dtype=t)).sample(), "dirichlet"),
                 (lambda: D.Beta(L.tensor([1.0], dtype=t), L.tensor([1.0], dtype=t)).sample(),
                  "dirichlet")]
        for fn, kernel in cases:
            with pytest.raises(NotImplementedError) as e:
                fn()
            assert str(e.value) == f"\"{kernel}\" not implemented for '{name}'"
