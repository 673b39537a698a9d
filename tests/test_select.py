"""ember._select (branch-free where / masked copy) against np.where / np.copyto, bit for bit, and
the ops that use it (where, the where-based activations and losses, max pooling) against torch."""

import numpy as np
import pytest

import ember
from ember._select import _MIN, _copy_where, _select, copy_where, select
from oracle import arr, check

try:
    import ml_dtypes
    _EXTRA = [ml_dtypes.bfloat16, ml_dtypes.float8_e4m3fn]
except ImportError:
    _EXTRA = []

DTYPES = [np.float16, np.float32, np.float64, np.int8, np.uint8, np.int16, np.int32, np.int64,
          np.uint64, np.bool_, np.complex64, np.complex128] + _EXTRA
SHAPES = [  # (c, x, y): same shape, broadcast, a 0-d operand, small (below _MIN)
    ((64, 96), (64, 96), (64, 96)),
    ((64, 96), (96,), (64, 1)),
    ((5000,), (), (5000,)),
    ((64, 1), (1, 96), (64, 96)),
    ((40,), (40,), (40,)),
]


def _data(shape, dt, seed):
    rng = np.random.default_rng(seed)
    dt = np.dtype(dt)
    if dt.kind in "iub":
        return rng.integers(0, 100, shape).astype(dt)
    a = rng.standard_normal(shape) * 3
    f = a.reshape(-1)
    f[::7], f[::11], f[::13], f[::17] = np.nan, -0.0, np.inf, -np.inf
    return a.astype(dt)


def _same(r, ref):
    if isinstance(ref, Exception):
        assert type(r) is type(ref)
        return
    assert not isinstance(r, Exception), r
    assert (r.dtype, r.shape, r.strides) == (ref.dtype, ref.shape, ref.strides)
    assert r.tobytes() == ref.tobytes()  # bitwise: NaN payloads, -0.0


def _call(f, *a):
    try:
        return f(*a)
    except Exception as e:  # noqa: BLE001 - the error itself is compared
        return e


@pytest.mark.parametrize("dt", DTYPES, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("shapes", SHAPES, ids=str)
def test_select_matches_where(dt, shapes):
    cs, xs, ys = shapes
    c = np.random.default_rng(0).random(cs) < 0.5
    x, y = _data(xs, dt, 1), _data(ys, dt, 2)
    others = [y, 0, 0.0, -0.0, 1.5, 300, -1, x.dtype.type(1), np.float64(2.5), True]
    for a, b in [(x, o) for o in others] + [(o, y) for o in others]:
        _same(_call(select, c, a, b), _call(np.where, c, a, b))


def test_select_takes_bit_path():
    c = np.random.default_rng(0).random((64, 64)) < 0.5
    x, y = _data((64, 64), np.float32, 1), _data((64, 64), np.float32, 2)
    for b in (y, 0.0, np.float32(-0.0)):
        r = _select(c, x, b)
        assert r is not None
        _same(r, np.where(c, x, b))
    assert _select(c[:8, :8], x[:8, :8], y[:8, :8]) is None  # small: np.where
    assert _select(c, x, y.astype(np.float64)) is None  # mixed dtypes: np.where casts
    assert _select(c, x, "a") is None  # not a number: np.where decides


def test_select_memory_order():
    rng = np.random.default_rng(3)
    c = rng.random((96, 64)) < 0.5
    x = _data((64, 96), np.float32, 1).T
    y = _data((96, 64), np.float32, 2)
    for cc, a, b in [(c, x, y), (np.asfortranarray(c), x, np.asfortranarray(y)),
                     (np.asfortranarray(c), x, x.copy(order="F")), (c[::-1], y[:, ::-1], 0.0)]:
        _same(select(cc, a, b), np.where(cc, a, b))


def test_select_errors_and_other_modules():
    c = np.ones((64, 64), bool)
    x = np.zeros((64, 64), np.float32)
    _same(_call(select, c, x, np.zeros((3, 64), np.float32)),
          _call(np.where, c, x, np.zeros((3, 64), np.float32)))
    _same(_call(select, c, x.astype(np.uint8), -1), _call(np.where, c, x.astype(np.uint8), -1))

    class XP:  # another array module (CuPy, meta): its where runs, never the bit path
        calls = []

        @staticmethod
        def where(*a):
            XP.calls.append("where")
            return "xp.where"

        @staticmethod
        def copyto(dst, src, where):
            XP.calls.append("copyto")

    assert select(c, x, x, XP) == "xp.where"
    copy_where(x, x, c, XP)
    assert XP.calls == ["where", "copyto"]


@pytest.mark.parametrize("dt", DTYPES, ids=lambda d: np.dtype(d).name)
def test_copy_where_matches_copyto(dt):
    rng = np.random.default_rng(4)
    d0 = _data((64, 96), dt, 1)
    cases = [(_data((64, 96), dt, 2), rng.random((64, 96)) < 0.5),
             (_data((96,), dt, 2), rng.random((64, 1)) < 0.5),
             (0, rng.random((64, 96)) < 0.5), (3, rng.random(96) < 0.5),
             (2.5, rng.random((64, 96)) < 0.5), (-1, rng.random((64, 96)) < 0.5),
             (_data((3, 96), dt, 2), rng.random((64, 96)) < 0.5)]
    for src, m in cases:
        a, b = d0.copy(), d0.copy()
        ea = _call(lambda: np.copyto(a, src, where=m))
        eb = _call(copy_where, b, src, m)
        assert type(ea) is type(eb)
        assert a.tobytes() == b.tobytes()
    # a strided destination, and a source overlapping it
    big = _data((64, 192), dt, 5)
    m = rng.random((64, 96)) < 0.5
    a, b = big.copy(), big.copy()
    np.copyto(a[:, ::2], a[:, 1::2], where=m)
    copy_where(b[:, ::2], b[:, 1::2], m)
    assert a.tobytes() == b.tobytes()


def test_copy_where_takes_bit_path():
    m = np.random.default_rng(0).random(_MIN) < 0.5
    d, s = _data(_MIN, np.float32, 1), _data(_MIN, np.float32, 2)
    ref = d.copy()
    np.copyto(ref, s, where=m)
    assert _copy_where(d, s, m)
    assert d.tobytes() == ref.tobytes()
    assert not _copy_where(d[:100], s[:100], m[:100])  # small: np.copyto


# ---------------------------------------------------------------- the ops that use it
def _nan_data(shape, seed=0):
    a = arr(shape, seed=seed, low=-3, high=3)
    f = a.reshape(-1)
    f[::13], f[::17], f[::19] = 0.0, -0.0, 1.0
    return a


F = [
    lambda L, x: L.nn.functional.leaky_relu(x, 0.1),
    lambda L, x: L.nn.functional.elu(x),
    lambda L, x: L.nn.functional.selu(x),
    lambda L, x: L.nn.functional.celu(x, 0.7),
    lambda L, x: L.nn.functional.softplus(x, 2, 3),
    lambda L, x: L.nn.functional.threshold(x, 0.3, -2.0),
    lambda L, x: L.nn.functional.hardshrink(x),
    lambda L, x: L.nn.functional.softshrink(x, 0.4),
    lambda L, x: L.nn.functional.hardtanh(x),
    lambda L, x: L.where(x > 0, x, x * 0.5),
    lambda L, x: L.where(x > 0.5, 0.0, x),
    lambda L, x: L.nn.functional.max_pool2d(x.reshape(4, 8, 16, 16), 3, 2, 1),
    lambda L, x: L.nn.functional.max_pool2d(x.reshape(4, 8, 16, 16), 2, 2, 1,
                                            return_indices=True),
    lambda L, x: L.nn.functional.max_pool1d(x.reshape(4, 32, 64), 3, 1, 1),
]


@pytest.mark.parametrize("i", range(len(F)))
def test_ops_against_torch(i):
    check(F[i], _nan_data((64, 128)))


@pytest.mark.parametrize("loss", ["smooth_l1_loss", "huber_loss"])
def test_losses_against_torch(loss):
    check(lambda L, x, y: getattr(L.nn.functional, loss)(x, y, reduction="none"),
          _nan_data((64, 128)), _nan_data((64, 128), seed=1))


def test_where_nan_bits():
    """ember.where keeps NaN payloads and -0.0 exactly as np.where (without torch too)."""
    c = np.random.default_rng(0).random((64, 128)) < 0.5
    x = _data((64, 128), np.float32, 1)
    y = x.view(np.int32) ^ np.int32(1)  # other NaN payloads
    y = y.view(np.float32)
    for dt in (ember.float32, ember.float16, ember.float64):
        with np.errstate(invalid="ignore"):
            a, b = x.astype(dt.np), y.astype(dt.np)
        r = ember.where(ember.from_numpy(c), ember.from_numpy(a), ember.from_numpy(b))
        assert r._data.tobytes() == np.where(c, a, b).tobytes()


@pytest.mark.parametrize("dt", ["float16", "float32", "float64"])
@pytest.mark.parametrize("s", [0.0, 0.01, 0.2, 1.0, 1.5, 100.0, -0.5, 1e-30, 5e-324])
def test_leaky_relu_is_torchs_select_bit_for_bit(dt, s):
    """leaky_relu's max(x, x*s) / min form equals x > 0 ? x : x * s on every element."""
    from ember.nn._activation import _leaky_relu_fwd
    rng = np.random.default_rng(0)
    x = (rng.standard_normal(5000) * rng.choice([1e-40, 1e-5, 1, 1e30], 5000)).astype(dt)
    fin = np.finfo(dt)
    x[:10] = [0, -0.0, np.inf, -np.inf, np.nan, -np.nan, fin.max, -fin.max, fin.tiny, -fin.tiny]
    with np.errstate(all="ignore"):
        want = np.where(x > 0, x, x * s)
        got = _leaky_relu_fwd(np, x, s)
    it = {2: np.int16, 4: np.int32, 8: np.int64}[x.itemsize]
    np.testing.assert_array_equal(got.view(it), want.view(it))
