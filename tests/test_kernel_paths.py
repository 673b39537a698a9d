"""The fast NumPy paths of adaptive max pooling, cumsum/cumprod and index padding (reflect,
replicate, circular) against plain NumPy references written here, and against torch.

Each kernel has more than one path (adaptive max pool: a running maximum for windows of up to
20 values, argmax for wider ones; padding: column copies for narrow borders, runs of slices for
wide ones, a gather where no source block exists), so the shapes below reach every path, with
ties, NaN, infinities and signed zeros.
"""

import math

import numpy as np
import pytest

import ember
from oracle import arr, check, requires_torch, torch

F = ember.nn.functional


def _special(shape, dtype, seed):
    """Small integers (many ties) with NaN, +-inf and -0.0 sprinkled in."""
    rng = np.random.default_rng(seed)
    a = rng.integers(-3, 4, shape).astype(np.float64)
    if a.size:
        flat = a.reshape(-1)
        for v, every in ((np.nan, 17), (np.inf, 13), (-np.inf, 11), (-0.0, 5)):
            flat[rng.integers(0, every):: every] = v
    return a.astype(dtype)


# ---------------------------------------------------------------- adaptive max pool
def _adaptive_max_ref(x, sizes):
    """Window max and its flat index, windows [floor(i n / o), ceil((i + 1) n / o)); the first
    maximum in row-major order wins, and every NaN takes over (torch's `val > max || isnan(val)`:
    the last NaN wins)."""
    nd = len(sizes)
    S = x.shape[-nd:]
    lead = x.shape[:-nd]
    vals = np.empty(lead + tuple(sizes), x.dtype)
    idx = np.empty(lead + tuple(sizes), np.int64)
    for o in np.ndindex(*sizes):
        ranges = [range(i * n // s, -(-(i + 1) * n // s)) for i, n, s in zip(o, S, sizes)]
        pos = [np.ravel_multi_index(tuple(r[k] for r, k in zip(ranges, p)), S)
               for p in np.ndindex(*map(len, ranges))]
        win = x.reshape(lead + (math.prod(S),))[..., pos]
        best = np.full(lead, -1, np.int64)
        for k in range(len(pos)):  # a strictly larger value, or any NaN
            v = win[..., k]
            cur = np.take_along_axis(win, np.maximum(best, 0)[..., None], -1)[..., 0]
            take = (best < 0) | (v > cur) | np.isnan(v)
            best = np.where(take, k, best)
        idx[(Ellipsis,) + o] = np.asarray(pos)[best]
        vals[(Ellipsis,) + o] = np.take_along_axis(win, best[..., None], -1)[..., 0]
    return vals, idx


@pytest.mark.parametrize("shape, size", [
    ((2, 3, 16, 16), (5, 5)),  # windows of 16: the running maximum
    ((2, 3, 14, 14), (7, 7)),  # windows of 4
    ((3, 13, 11), (4, 3)),  # unbatched, uneven windows
    ((2, 2, 20, 20), (3, 3)),  # windows of 49: argmax
    ((2, 3, 1, 9), (1, 9)),  # windows of one
    ((0, 2, 6, 6), (2, 2)),  # empty batch
])
@pytest.mark.parametrize("dtype", ["float32", "float64", "float16"])
def test_adaptive_max_pool2d_matches_reference(shape, size, dtype):
    x = _special(shape, dtype, seed=len(shape) * 7 + size[0])
    out, idx = F.adaptive_max_pool2d(ember.tensor(x), size, return_indices=True)
    want, want_idx = _adaptive_max_ref(x, size)
    np.testing.assert_array_equal(idx.numpy(), want_idx)
    assert out.numpy().tobytes() == want.tobytes()


@pytest.mark.parametrize("shape, size", [((2, 3, 100), 10), ((4, 50), 7), ((2, 3, 100), 3),
                                         ((2, 1, 9), 9)])
def test_adaptive_max_pool1d_matches_reference(shape, size):
    x = _special(shape, "float32", seed=size)
    out, idx = F.adaptive_max_pool1d(ember.tensor(x), size, return_indices=True)
    want, want_idx = _adaptive_max_ref(x, (size,))
    np.testing.assert_array_equal(idx.numpy(), want_idx)
    assert out.numpy().tobytes() == want.tobytes()


def test_adaptive_max_pool_blocks_of_rows():
    # enough rows for several blocks of the running maximum; every row's winner is checked
    rng = np.random.default_rng(5)
    x = rng.integers(0, 3, (70, 64, 8, 8)).astype(np.float32)  # ties everywhere
    out, idx = F.adaptive_max_pool2d(ember.tensor(x), 3, return_indices=True)
    want, want_idx = _adaptive_max_ref(x, (3, 3))
    np.testing.assert_array_equal(idx.numpy(), want_idx)
    np.testing.assert_array_equal(out.numpy(), want)


@pytest.mark.parametrize("shape, size", [((2, 3, 16, 16), 5), ((2, 3, 14, 14), 7),
                                         ((2, 2, 20, 20), 3), ((3, 13, 11), (4, None))])
def test_adaptive_max_pool2d_oracle(shape, size):
    # ties (no NaN: with several NaNs in a window torch reports the last one)
    x = np.random.default_rng(1).integers(-2, 3, shape).astype(np.float32)
    check(lambda L, a: L.nn.functional.adaptive_max_pool2d(a, size, return_indices=True), x)
    check(lambda L, a: L.nn.functional.adaptive_max_pool2d(a, size), arr(shape, seed=2))


def test_adaptive_max_pool1d_oracle():
    check(lambda L, a: L.nn.functional.adaptive_max_pool1d(a, 10, return_indices=True),
          arr((2, 3, 100), seed=3))


# ---------------------------------------------------------------- cumsum / cumprod
_WIDE = {"float16": np.float32, "float32": np.float64}


@pytest.mark.parametrize("op", ["cumsum", "cumprod"])
@pytest.mark.parametrize("dtype", ["float16", "float32", "float64", "int32", "int64"])
@pytest.mark.parametrize("shape", [(7,), (3, 50), (4, 5, 33), (2, 0, 3)])
def test_scan_matches_reference(op, dtype, shape):
    if np.dtype(dtype).kind == "f":
        x = _special(shape, dtype, seed=len(shape))
        x = np.where(np.isfinite(x) & (x != 0), x * 0.37, x).astype(dtype)
    else:
        x = np.random.default_rng(0).integers(-3, 4, shape).astype(dtype)
    xs = [x]
    if x.ndim > 1:
        xs.append(np.swapaxes(x, 0, -1))  # strided input
    for a in xs:
        for d in range(-a.ndim, a.ndim):
            got = getattr(ember.tensor(a), op)(d).numpy()
            acc = _WIDE.get(dtype, np.int64 if a.dtype.kind in "iu" else a.dtype)
            with np.errstate(over="ignore", invalid="ignore"):
                want = getattr(np, op)(a.astype(acc), axis=d).astype(
                    a.dtype if a.dtype.kind == "f" else np.int64)
            if op == "cumsum" and a.dtype.kind == "f":
                want += 0  # torch's sum starts at +0.0, so never -0.0
            assert got.dtype == want.dtype
            assert got.tobytes() == want.tobytes(), (op, dtype, shape, d)


@pytest.mark.parametrize("op", ["cumsum", "cumprod"])
def test_scan_dtype_argument(op):
    x = _special((3, 40), "float32", seed=4)
    for dt, acc in ((ember.float64, np.float64), (ember.float16, np.float32),
                    (ember.float32, np.float64)):
        got = getattr(ember.tensor(x), op)(1, dtype=dt).numpy()
        with np.errstate(over="ignore", invalid="ignore"):
            want = getattr(np, op)(x.astype(acc), axis=1).astype(got.dtype)
        assert got.tobytes() == want.tobytes()
    i = np.arange(-5, 25, dtype=np.int32).reshape(3, 10)
    got = getattr(ember.tensor(i), op)(1, dtype=ember.float32).numpy()
    assert got.tobytes() == getattr(np, op)(i.astype(np.float64), axis=1).astype(
        np.float32).tobytes()


@pytest.mark.parametrize("op", ["cumsum", "cumprod"])
@pytest.mark.parametrize("dim", [0, 1, -1])
def test_scan_oracle(op, dim):
    x = arr((3, 4, 6), seed=6, low=0.5, high=1.5)
    check(lambda L, a: getattr(a, op)(dim), x)
    check(lambda L, a: getattr(a, op)(dim), x.astype(np.float64))
    check(lambda L, a: getattr(a, op)(dim, dtype=L.float64), x)


# ---------------------------------------------------------------- reflect / replicate / circular
_NP_MODE = {"reflect": "reflect", "replicate": "edge", "circular": "wrap"}


@pytest.mark.parametrize("mode", ["reflect", "replicate", "circular"])
@pytest.mark.parametrize("shape, pad", [
    ((2, 3, 8), (2, 3)),
    ((2, 3, 9, 10), (2, 2, 1, 3)),
    ((3, 10, 12), (9, 8, 0, 9)),  # wide borders: runs of slices
    ((1, 2, 4, 5, 6), (1, 2, 3, 0, 2, 1)),
    ((0, 2, 5, 5), (1, 1, 2, 2)),
    ((2, 1, 1), (0, 0)),
])
@pytest.mark.parametrize("dtype", ["float32", "float64", "int64", "bool"])
def test_pad_matches_numpy_pad(mode, shape, pad, dtype):
    n = len(pad) // 2
    if mode == "reflect" and any(p >= s for p, s in zip(pad, np.repeat(shape[::-1][:n], 2))):
        pytest.skip("reflect pads must be smaller than the dim")
    if dtype == "bool":
        x = np.random.default_rng(0).random(shape) < 0.5
    else:
        x = _special(shape, dtype, seed=7) if dtype != "int64" else \
            np.arange(math.prod(shape)).reshape(shape)
    widths = [(0, 0)] * (len(shape) - n) + [(pad[2 * i], pad[2 * i + 1])
                                            for i in range(n)][::-1]
    strided = np.swapaxes(np.ascontiguousarray(np.swapaxes(x, -1, -2)), -1, -2)
    for a in (x, strided):  # the same values, column-major in the last two dims
        got = F.pad(ember.tensor(a), pad, mode=mode).numpy()
        want = np.pad(a, widths, mode=_NP_MODE[mode])
        assert got.dtype == want.dtype
        assert got.tobytes() == want.tobytes()


def test_pad_negative_pads_match_gather():
    # crops: circular (and reflect / replicate, which torch accepts) gathered index by index
    x = _special((2, 3, 7, 9), "float32", seed=8)
    cases = [("circular", (-2, 3, 1, -3)), ("circular", (-8, 8, 0, 0)), ("reflect", (-2, 3, 0, 0)),
             ("reflect", (-3, 2, -1, 6)), ("replicate", (-4, 10, 2, -5))]
    for mode, pad in cases:
        got = F.pad(ember.tensor(x), pad, mode=mode).numpy()
        want = x
        for ax, (lo, hi) in ((3, pad[:2]), (2, pad[2:])):
            n = x.shape[ax]
            j = np.arange(-lo, n + hi)
            if mode == "reflect":
                j = np.abs(j)
                j = np.where(j >= n, 2 * (n - 1) - j, j)
            elif mode == "replicate":
                j = np.clip(j, 0, n - 1)
            else:
                m = n + min(lo, 0) + min(hi, 0)
                j = np.arange(-max(lo, 0), m + max(hi, 0)) % m + max(-lo, 0)
            want = np.take(want, j, axis=ax)
        assert got.tobytes() == want.tobytes(), (mode, pad)


@pytest.mark.parametrize("mode", ["reflect", "replicate", "circular"])
@pytest.mark.parametrize("shape, pad", [((2, 3, 8), (2, 3)), ((2, 3, 9, 10), (2, 2, 1, 3)),
                                        ((1, 3, 10, 12), (9, 8, 0, 9)),
                                        ((1, 2, 4, 5, 6), (1, 2, 3, 0, 2, 1))])
def test_pad_oracle(mode, shape, pad):
    check(lambda L, a: L.nn.functional.pad(a, pad, mode=mode), arr(shape, seed=9))


def _raster_grad(g, shape, pad, mode):
    """The input gradient of reflect / replicate padding by torch's definition: zeros, then each
    output cell of each plane added into its source cell in raster order (a scalar loop)."""
    n = len(pad) // 2
    maps = []
    for ax in range(n):  # the trailing dims, first to last
        lo, hi = pad[2 * (n - 1 - ax)], pad[2 * (n - 1 - ax) + 1]
        size = shape[len(shape) - n + ax]
        j = np.arange(-lo, size + hi)
        if mode == "reflect":
            j = np.abs(j)
            j = np.where(j >= size, 2 * (size - 1) - j, j)
        else:
            j = np.clip(j, 0, size - 1)
        maps.append(j)
    want = np.zeros(shape, g.dtype)
    for lead in np.ndindex(*shape[:len(shape) - n]):
        for out in np.ndindex(*g.shape[len(shape) - n:]):
            src = tuple(int(m[o]) for m, o in zip(maps, out))
            want[lead + src] += g[lead + out]
    return want


@pytest.mark.parametrize("mode", ["reflect", "replicate"])
@pytest.mark.parametrize("shape, pad", [((2, 3, 8), (2, 3)), ((2, 2, 5, 6), (1, 2, 2, 1)),
                                        ((1, 2, 5, 6), (4, 3, 1, 4)),
                                        ((1, 2, 3, 4, 5), (1, 1, 2, 1, 1, 2)),
                                        ((2, 3, 6), (-1, 2)), ((1, 2, 5, 6), (-2, 3, 1, -1))])
def test_pad_gradient_sums_in_raster_order(mode, shape, pad):
    """Cells fed by several output cells (borders, and the corners of a 2-d / 3-d pad) get them
    in the output's raster order, from zero (a lone -0.0 gradient gives +0.0), as torch's kernel:
    summing one dim after the other rounds otherwise."""
    if mode == "reflect" and any(p >= s for p, s in zip(pad, np.repeat(shape[::-1], 2))):
        pytest.skip("reflect pads must be smaller than the dim")
    x = arr(shape, seed=12)
    t = ember.tensor(x, requires_grad=True)
    y = F.pad(t, pad, mode=mode)
    rng = np.random.default_rng(13)
    g = (rng.standard_normal(tuple(y.shape)) * 10.0 ** rng.integers(-3, 4, tuple(y.shape)))
    g = g.astype(np.float32)
    g[rng.random(g.shape) < 0.2] = -0.0
    y.backward(ember.tensor(g))
    want = _raster_grad(g, shape, pad, mode)
    assert t.grad.numpy().tobytes() == want.tobytes()
    if torch is not None:
        tt = torch.tensor(x, requires_grad=True)
        torch.nn.functional.pad(tt, pad, mode=mode).backward(torch.tensor(g))
        assert t.grad.numpy().tobytes() == tt.grad.numpy().tobytes()


def test_pad_oracle_negative_circular():
    check(lambda L, a: L.nn.functional.pad(a, (-2, 3, 1, -3), mode="circular"),
          arr((2, 3, 7, 9), seed=10))


@requires_torch
@pytest.mark.parametrize("nd", [1, 2])
@pytest.mark.parametrize("wide", [False, True])
def test_adaptive_max_indices_with_nans_equal_torch(nd, wide):
    """torch's window loop lets every NaN take over (`val > max || isnan(val)`): the last NaN of
    a window is its index, on both the running-maximum and the argmax paths."""
    rng = np.random.default_rng(nd + 2 * wide)
    for _ in range(20):
        shape = (2, 3) + tuple(int(v) for v in rng.integers(24 if wide else 3, 31 if wide else 12,
                                                            nd))
        x = rng.integers(0, 4, shape).astype(np.float32)
        x[rng.random(shape) < 0.15] = np.nan
        o = tuple(int(v) for v in rng.integers(1, 3, nd))
        f = f"adaptive_max_pool{nd}d"
        t = getattr(torch.nn.functional, f)(torch.from_numpy(x), o, return_indices=True)
        e = getattr(ember.nn.functional, f)(ember.from_numpy(x), o, return_indices=True)
        np.testing.assert_array_equal(e[1].numpy(), t[1].numpy())
        np.testing.assert_array_equal(e[0].numpy(), t[0].numpy())


@pytest.mark.parametrize("dt", ["float32", "float64"])
def test_scans_are_silent_on_inf_and_nan(dt):
    """torch's cumsum/cumprod give inf and NaN without a warning; so do ember's elementwise ops."""
    import warnings
    x = ember.tensor([float("inf"), 0.0, -float("inf"), 3e38, 3e38], dtype=getattr(ember, dt))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        p, s = ember.cumprod(x, 0), ember.cumsum(x, 0)
    assert np.isnan(p.numpy()[1:]).all() and np.isnan(s.numpy()[2:]).all()
