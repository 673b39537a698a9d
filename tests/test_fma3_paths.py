"""ember._fma.fma3 / fma3_ (x * y + z rounded once) on every float32 path: the whole-array float64
formula for small results, the blocked float64 scratch loop for large or broadcast ones (C-order
blocks over the broadcast operands; `_BLOCK` is shrunk here so that small arrays cross many
block boundaries), scalar operands, in place into z, and the half types. Each result is compared
bit for bit with the float64 value x * y + z rounded once to float32 (NaN against NaN), and,
with torch, addcmul / lerp / batch_norm in evaluation against torch's fused kernels."""

import numpy as np
import pytest

import ember
from ember import _fma
from oracle import requires_torch, torch

F32 = np.float32
pytestmark = [pytest.mark.filterwarnings("ignore:invalid value:RuntimeWarning"),  # inf * 0
              pytest.mark.filterwarnings("ignore:overflow:RuntimeWarning")]


def _values(rng, shape, dtype=F32):
    """Normal values with ±0, ±inf, NaN, subnormals and near-overflow numbers sprinkled in."""
    a = np.array(rng.standard_normal(shape) * rng.choice([1e-3, 1.0, 1e3], shape), dtype)
    special = np.array([0.0, -0.0, np.inf, -np.inf, np.nan, 1e-40, -3e-42, 3e38, -2e38],
                       dtype)
    mask = rng.random(shape) < 0.08
    a[mask] = rng.choice(special, int(mask.sum()))
    return a


def _want(x, y, z):
    """The float64 x * y + z rounded once to float32 (the fused result but for double
    rounding, which these data do not hit)."""
    with np.errstate(all="ignore"):
        r = np.asarray(x, np.float64) * np.asarray(y, np.float64) + np.asarray(z, np.float64)
        return r.astype(F32)


def _same_bits(got, want):
    got, want = np.asarray(got), np.asarray(want)
    assert got.shape == want.shape and got.dtype == want.dtype
    nan = np.isnan(want)
    assert np.array_equal(np.isnan(got), nan)
    assert np.array_equal(got[~nan].view(np.uint32), want[~nan].view(np.uint32))


@pytest.fixture(params=[64, 1 << 15], ids=["block64", "block32k"])
def block(request, monkeypatch):
    """Runs with tiny blocks (every path, many block edges, on small arrays) and the real ones."""
    n = request.param
    monkeypatch.setattr(_fma, "_BLOCK", n)
    monkeypatch.setattr(_fma._local, "bufs", (np.empty(n), np.empty(n)), raising=False)
    return n


SHAPES = [  # (x, y, z): same shape, channels (batch_norm eval), rows, columns, outer, scalars
    ((5, 7, 11), (5, 7, 11), (5, 7, 11)),
    ((6, 5, 4, 3), (1, 5, 1, 1), (1, 5, 1, 1)),
    ((6, 5, 9), (5, 1), (5, 1)),
    ((13, 37), (37,), (13, 37)),
    ((13, 37), (13, 1), (1, 37)),
    ((13, 1), (1, 37), (13, 37)),
    ((17, 1), (1, 29), ()),
    ((3, 1, 41), (1, 7, 1), (7, 41)),
    ((33, 65), (), ()),
    ((), (33, 65), ()),
    ((), (), (33, 65)),
    ((129,), (129,), (1,)),
    ((2, 3, 4, 5, 6), (3, 1, 5, 1), (1, 4, 1, 6)),
    ((257, 3), (257, 1), (3,)),
]


@pytest.mark.parametrize("shapes", SHAPES, ids=lambda s: "x".join(map(str, s[0])) or "0d")
@pytest.mark.parametrize("scale", [1, 40], ids=["small", "large"])
def test_fma3_float32_is_one_rounding(shapes, scale, block):
    rng = np.random.default_rng(len(shapes[0]) * 7 + scale)
    ops = [_values(rng, s) for s in shapes]
    full = np.broadcast_shapes(*shapes)
    if scale > 1:  # a larger result: more blocks (and past the whole-array formula's limit)
        ops = [np.concatenate([a] * scale) if a.ndim == len(full) and a.shape[0] > 1 else a
               for a in ops]
    _same_bits(_fma.fma3(*ops), _want(*ops))


@pytest.mark.parametrize("n", [1, 63, 64, 65, 127, 128, 129, 200, 1000, 65536, 65537, 98305])
def test_fma3_sizes_across_block_edges(n, block):
    rng = np.random.default_rng(n)
    x, y, z = (_values(rng, (n,)) for _ in range(3))
    _same_bits(_fma.fma3(x, y, z), _want(x, y, z))
    row = _values(rng, (3,))
    big = _values(rng, (n, 3))
    _same_bits(_fma.fma3(big, row, big[:1]), _want(big, row, big[:1]))
    _same_bits(_fma.fma3(row, big, np.float32(0.5)), _want(row, big, np.float32(0.5)))


def test_fma3_scalars_and_noncontiguous(block):
    rng = np.random.default_rng(3)
    x = _values(rng, (40, 30))
    _same_bits(_fma.fma3(x, 0.1, 1.5), _want(x, 0.1, 1.5))  # Python floats: their float64 values
    _same_bits(_fma.fma3(2, x, -3), _want(2, x, -3))
    a, b, c = x[:30, :30].T, x[10:, ::-1][:, :30], x[::-1, ::2][:30, :1]
    _same_bits(_fma.fma3(a, b, c), _want(a, b, c))
    r = _fma.fma3(np.float32(3.0), np.float32(2.0), np.float32(1e-8))
    assert isinstance(r, np.float32) and r == F32(6.0)  # 0-d operands: a NumPy scalar, as before
    assert _fma.fma3(x[:0], x[0], 1.0).shape == (0, 30)


def test_fma3_overflow_is_inf_without_warnings(block):
    x = np.full((300,), 3e38, F32)
    with np.errstate(over="raise"):
        r = _fma.fma3(x, np.float32(2.0), np.float32(1.0))
    assert np.isinf(r).all() and r.dtype == F32


@pytest.mark.parametrize("shape", [(5, 7), (300, 5), (70, 3, 4)])
def test_fma3_inplace(shape, block):
    rng = np.random.default_rng(1)
    z0 = _values(rng, shape)
    for x, y in [(_values(rng, shape), _values(rng, shape)),
                 (_values(rng, shape[-1:]), _values(rng, shape[:1] + (1,) * (len(shape) - 1))),
                 (np.float32(0.3), _values(rng, shape)), (-1.0, _values(rng, shape))]:
        z = z0.copy()
        _fma.fma3_(z, x, y)
        _same_bits(z, _want(x, y, z0))
    z = z0.copy()
    _fma.fma3_(z, z, z)  # operands that are z itself: each element read before it is written
    _same_bits(z, _want(z0, z0, z0))
    z = z0.copy()
    _fma.fma3_(z, z[::-1].copy(), z[::-1])  # overlapping views other than z: the safe path
    _same_bits(z, _want(z0[::-1], z0[::-1], z0))


@pytest.mark.parametrize("dt", ["float16", "bfloat16"])
def test_fma3_half_types_round_through_float32(dt, block):
    if dt == "bfloat16":
        pytest.importorskip("ml_dtypes")  # the optional bfloat16 arrays
    dtype = np.dtype(ember.bfloat16.np if dt == "bfloat16" else dt)
    rng = np.random.default_rng(2)
    x, y, z = (rng.standard_normal(s).astype(dtype) for s in [(90, 8), (8,), (90, 1)])
    got = _fma.fma3(x, y, z)
    assert got.dtype == dtype
    want = _want(x.astype(F32), y.astype(F32), z.astype(F32)).astype(dtype)
    assert np.array_equal(got.astype(np.float64), want.astype(np.float64))


def _t(a):
    return torch.from_numpy(np.array(a))


@requires_torch
@pytest.mark.parametrize("shapes", [((64, 1024), (1024,), (64, 1)), ((70000,), (1,), (70000,)),
                                    ((3, 200, 129), (200, 1), (1, 129))],
                         ids=["rows", "long", "planes"])
def test_addcmul_and_lerp_broadcast_match_torch(shapes):
    rng = np.random.default_rng(4)
    a, b, c = (rng.standard_normal(s).astype(F32) for s in shapes)
    got = ember.addcmul(ember.from_numpy(c), ember.from_numpy(a), ember.from_numpy(b), value=0.7)
    want = torch.addcmul(_t(c), _t(a), _t(b), value=0.7)
    _same_bits(got.numpy(), want.numpy())
    w = rng.random(shapes[2]).astype(F32)
    got = ember.lerp(ember.from_numpy(a), ember.from_numpy(b), ember.from_numpy(w))
    _same_bits(got.numpy(), torch.lerp(_t(a), _t(b), _t(w)).numpy())


@requires_torch
@pytest.mark.parametrize("shape", [(8, 64, 16, 16), (40, 30), (3, 5, 7)])
def test_batch_norm_eval_matches_torch(shape):
    rng = np.random.default_rng(5)
    C = shape[1]
    x = rng.standard_normal(shape).astype(F32)
    mean, w, b = (rng.standard_normal(C).astype(F32) for _ in range(3))
    var = rng.random(C).astype(F32) + 0.5
    args = [mean, var, w, b]
    got = ember.nn.functional.batch_norm(ember.from_numpy(x), *map(ember.from_numpy, args))
    want = torch.nn.functional.batch_norm(_t(x), *map(_t, args))
    _same_bits(got.numpy(), want.numpy())
