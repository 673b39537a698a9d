"""float32/float64 sum and mean in torch's CPU order (src/ember/ops/_cascade.py): bit-equal to
torch at one thread on many shapes and value ranges, and, without torch, equal to a slow
scalar walk of the documented order (a port of the loops, one add at a time)."""

import numpy as np
import pytest

import ember
from ember.ops._cascade import _X86, cascade_sum

try:
    import torch
except ImportError:
    torch = None

requires_torch = pytest.mark.skipif(torch is None, reason="torch (the oracle) is not installed")
x86 = pytest.mark.skipif(not _X86, reason="torch's order is reproduced on x86-64 only")


@pytest.fixture
def one_thread():
    n = torch.get_num_threads()
    torch.set_num_threads(1)  # with more threads torch splits big sums between them
    yield
    torch.set_num_threads(n)


def _values(rng, n, dt, kind):
    if kind == 0:  # magnitudes 1e-8..1e8, both signs: every order rounds differently
        return rng.standard_normal(n) * 10.0 ** rng.uniform(-8, 8, n)
    if kind == 1:
        return rng.standard_normal(n)
    return rng.uniform(-1, 1, n) * 1e4 + 1e7  # a large common part


def _same(e, t):
    a, b = e._data, t.detach().numpy()
    return a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()


# ---- with torch: the bits ----

@requires_torch
@x86
@pytest.mark.parametrize("dt", ["float32", "float64"])
def test_bits_equal_torch(one_thread, dt):
    rng = np.random.default_rng(7 if dt == "float32" else 8)
    misses = {}
    for i in range(60):
        kind = i % 3
        n = int(rng.integers(1, 5001))
        r, c = int(rng.integers(1, 40)), int(rng.integers(1, 1500))
        r0, c0 = int(rng.integers(1, 1500)), int(rng.integers(1, 150))
        cases = [
            (_values(rng, n, dt, kind), lambda L, x: x.sum()),
            (_values(rng, n, dt, kind), lambda L, x: x.mean()),
            (_values(rng, r * c, dt, kind).reshape(r, c), lambda L, x: x.sum(-1)),
            (_values(rng, r * c, dt, kind).reshape(r, c), lambda L, x: x.mean(-1, keepdim=True)),
            (_values(rng, r0 * c0, dt, kind).reshape(r0, c0), lambda L, x: x.sum(0)),
            (_values(rng, r0 * c0, dt, kind).reshape(r0, c0), lambda L, x: x.mean(0)),
            (_values(rng, r0 * c0, dt, kind).reshape(r0, c0), lambda L, x: L.sum(x)),
        ]
        for j, (a, fn) in enumerate(cases):
            a = a.astype(dt)
            if not _same(fn(ember, ember.tensor(a)), fn(torch, torch.tensor(a))):
                misses[j] = misses.get(j, 0) + 1
    assert not misses, misses  # case index -> shapes that differ, of 60 each


@requires_torch
@x86
@pytest.mark.parametrize("shape,dim,keepdim", [
    ((32, 50, 256), -1, False), ((32, 50, 256), 0, True), ((4, 5, 6), (1, 2), False),
    ((4, 5, 6), (0, 1), True), ((5, 1, 7), 0, False), ((1, 300), 0, False), ((300, 1), 0, True),
    ((4, 5, 6), 1, False), ((32, 50, 128), 1, True), ((3, 7, 9, 40), (1, 2), False),
    ((2, 3, 1), 2, False), ((70000,), None, False), ((9, 4000), 0, False), ((3, 9000), 1, True),
    ((), None, False), ((1,), 0, True)])
def test_layouts_equal_torch(one_thread, shape, dim, keepdim):
    a = (np.random.default_rng(3).standard_normal(shape) * 1e3).astype(np.float32)
    for fn in (lambda x: x.sum(dim, keepdim) if dim is not None else x.sum(),
               lambda x: x.mean(dim, keepdim) if dim is not None else x.mean()):
        e, t = fn(ember.tensor(a, requires_grad=True)), fn(torch.tensor(a, requires_grad=True))
        assert _same(e, t)


@requires_torch
@x86
@pytest.mark.parametrize("dt", ["float32", "float64"])
def test_bias_gradient_shapes_equal_torch(one_thread, dt):
    """sum(0) of (n0, n1) with n0 below 256 rows and any n1 (a linear layer's bias gradient:
    _cascade.column_sum's blocks of lanes and scalar columns)."""
    rng = np.random.default_rng(21)
    for n0 in [2, 3, 15, 16, 17, 31, 32, 33, 64, 100, 128, 200, 255, 256, 300]:
        for n1 in [1, 2, 3, 4, 5, 7, 32, 33, 45, 64, 70, 96, 129, 256] + (
                [8, 10, 31] if dt == "float32" else [4, 10, 15]):
            a = _values(rng, n0 * n1, dt, n0 % 3).astype(dt).reshape(n0, n1)
            for keep in (False, True):
                assert _same(ember.tensor(a).sum(0, keep), torch.tensor(a).sum(0, keep)), (n0, n1)


@requires_torch
def test_special_values_equal_torch(one_thread):
    for v in ([-0.0] * 20, [-0.0], [np.inf, -np.inf] + [1.0] * 30, [np.nan] + [1.0] * 40,
              [3e38] * 40, [1e30, -1e30] * 9):
        a = np.array(v, np.float32)
        assert _same(ember.tensor(a).sum(), torch.tensor(a).sum())
        b = np.repeat(a[:, None], 3, 1)
        assert _same(ember.tensor(b).sum(0), torch.tensor(b).sum(0))


# ---- without torch: the documented order, one add at a time ----

def _ceil_log2(n):
    return 1 if n <= 2 else (n - 1).bit_length()


def _lanes_cascade(item, lanes, size, zero):
    """ATen's multi-row cascade: `lanes` running sums over `size` items, four levels."""
    power = max(4, _ceil_log2(size) // 4)
    step = 1 << power
    acc = [[zero] * lanes for _ in range(4)]
    i = 0
    while i + step <= size:
        for _ in range(step):
            for k in range(lanes):
                acc[0][k] = acc[0][k] + item(i, k)
            i += 1
        for lvl in range(1, 4):
            for k in range(lanes):
                acc[lvl][k] = acc[lvl][k] + acc[lvl - 1][k]
                acc[lvl - 1][k] = zero
            if i & ((step - 1) << (lvl * power)):
                break
    for i in range(i, size):
        for k in range(lanes):
            acc[0][k] = acc[0][k] + item(i, k)
    for lvl in range(1, 4):
        for k in range(lanes):
            acc[0][k] = acc[0][k] + acc[lvl][k]
    return acc[0]


def _walk_row(get, size, zero):
    """The row sum: four interleaved running sums, the rest into the first, then 0+1+2+3."""
    part = _lanes_cascade(lambda i, k: get(4 * i + k), 4, size // 4, zero)
    for i in range(size // 4 * 4, size):
        part[0] = part[0] + get(i)
    return part[0] + part[1] + part[2] + part[3]


def _walk_inner(row, v):
    z = row.dtype.type(0)
    n = len(row)
    if n < v:
        return z + _walk_row(lambda i: row[i], n, z)
    nv = n // v
    vec = _walk_row(lambda i: row[i * v:(i + 1) * v], nv, np.zeros(v, row.dtype))
    s = z
    for k in range(nv * v, n):
        s = s + row[k]
    for k in range(v):
        s = s + vec[k]
    return z + s


def _walk_outer(x, v):
    n0, n1 = x.shape
    z = x.dtype.type(0)
    width = 4 * v if n1 >= v else 4
    j = n1 // width * width
    out = list(_lanes_cascade(lambda i, k: x[i, k], j, n0, z)) if j else []
    out += [_walk_row(lambda i, c=c: x[i, c], n0, z) for c in range(j, n1)]
    return np.array(out, x.dtype) + z


@x86
@pytest.mark.parametrize("dt", ["float32", "float64"])
def test_matches_scalar_walk(dt):
    rng = np.random.default_rng(11)
    v = 8 if dt == "float32" else 4
    for n in [1, 3, 4, 7, 8, 9, 16, 17, 31, 32, 33, 64, 65, 80, 95, 100, 511, 512, 513, 1000,
              2047, 4100, 9000]:
        a = _values(rng, n, dt, n % 3).astype(dt)
        assert cascade_sum(a, None, False).tobytes() == _walk_inner(a, v).tobytes(), n
    for shape in [(3, 5), (4, 40), (2, 700), (5, 1030)]:
        a = _values(rng, shape[0] * shape[1], dt, 0).astype(dt).reshape(shape)
        want = np.array([_walk_inner(row, v) for row in a])
        assert cascade_sum(a, (1,), False).tobytes() == want.tobytes(), shape
    for shape in [(9, 3), (20, 5), (50, 9), (70, 37), (300, 70), (700, 2),
                  (2, 32), (15, 64), (16, 32), (64, 256), (100, 96), (255, 32), (256, 64),
                  (4, 10), (7, 10), (8, 10), (64, 10), (67, 15), (1023, 12), (1024, 10),
                  # column_sum's mixed layouts: whole blocks of lanes, then scalar columns
                  (4, 33), (5, 3), (6, 5), (20, 45), (70, 10), (64, 70), (200, 39), (255, 129),
                  (17, 4), (33, 2), (100, 1), (4, 1)]:
        a = _values(rng, shape[0] * shape[1], dt, 0).astype(dt).reshape(shape)
        # one column is one contiguous run to ATen's iterator: a whole-array sum
        want = _walk_outer(a, v) if shape[1] > 1 else _walk_inner(a[:, 0], v).reshape(1)
        assert cascade_sum(a, (0,), False).tobytes() == want.tobytes(), shape


@x86
def test_big_levels_match_scalar_walk():
    """A row long enough for the third level of the cascade (4096 steps of 16 per lane)."""
    a = (np.random.default_rng(2).standard_normal(140_000) * 1e4).astype(np.float64)
    assert cascade_sum(a, None, False).tobytes() == _walk_inner(a, 4).tobytes()


@x86
@pytest.mark.parametrize("dt", ["float32", "float64"])
def test_einsum_runs_match_scalar_walk(dt):
    """Rows and columns long enough for _by_axis's einsum (4 or more contiguous lanes, 4096+
    elements), with runs of zeros of both signs: the documented order, and +0 for a zero sum."""
    rng = np.random.default_rng(31)
    v = 8 if dt == "float32" else 4
    for n in (5000, 33_000):
        a = _values(rng, n, dt, n % 3).astype(dt)
        a[100:3000] = -0.0
        assert cascade_sum(a, None, False).tobytes() == _walk_inner(a, v).tobytes(), n
    for shape in [(300, 20), (700, 9), (5000, 4)]:
        a = _values(rng, shape[0] * shape[1], dt, 0).astype(dt).reshape(shape)
        a[:, 1] = -0.0
        assert cascade_sum(a, (0,), False).tobytes() == _walk_outer(a, v).tobytes(), shape
    z = np.full(8192, -0.0, dt)
    assert cascade_sum(z, None, False).tobytes() == np.zeros((), dt).tobytes()


@requires_torch
@x86
@pytest.mark.parametrize("dt", ["float32", "float64"])
def test_big_sums_equal_torch(one_thread, dt):
    """Sizes past _by_axis's einsum threshold, over all, the last, the first and the leading
    dimensions (a batch's loss, an embedding output's sum)."""
    rng = np.random.default_rng(32)
    for i, shape in enumerate([(32, 50, 128), (200_001,), (7, 30_000), (3000, 70), (20, 40, 33)]):
        a = _values(rng, int(np.prod(shape)), dt, i % 3).astype(dt).reshape(shape)
        a.reshape(-1)[:2000] = -0.0
        for fn in (lambda x: x.sum(), lambda x: x.mean(), lambda x: x.sum(-1),
                   lambda x: x.sum(0), lambda x: x.sum(tuple(range(x.dim() - 1)))):
            assert _same(fn(ember.tensor(a)), fn(torch.tensor(a))), (shape, dt)


def test_integer_valued_sums_are_exact():
    rng = np.random.default_rng(5)
    for shape, dim in [((1000,), None), ((64, 1024), -1), ((1024, 64), 0), ((7, 3), 0)]:
        a = rng.integers(-1000, 1000, shape)
        e = ember.tensor(a.astype(np.float32))
        want = a.sum() if dim is None else a.sum(dim)
        assert np.array_equal(e.sum(dim)._data if dim is not None else e.sum()._data, want)
        assert e.sum().dtype == ember.float32


def test_zero_nan_inf_and_dtypes():
    z = ember.tensor(np.full(40, -0.0, np.float32)).sum()
    assert z.item() == 0 and not np.signbit(z._data)  # torch stores 0 + sum
    assert np.isnan(ember.tensor([1.0, float("nan")] * 20).sum().item())
    assert ember.tensor([float("inf")] * 20).sum().item() == float("inf")
    assert np.isnan(ember.tensor([float("inf"), -float("inf")] * 20).mean().item())
    x = ember.tensor(np.ones((3, 4), np.float64))
    assert x.mean(0, keepdim=True).shape == (1, 4) and x.mean(0).dtype == ember.float64
    assert ember.zeros(0, 3).sum(0).tolist() == [0.0, 0.0, 0.0]
    assert np.isnan(ember.zeros(0, 3).mean(0)._data).all()


def test_grad_unchanged():
    x = ember.tensor(np.arange(12.0, dtype=np.float32).reshape(3, 4), requires_grad=True)
    (x.sum(-1).sum() + x.mean(0).sum()).backward()
    assert np.allclose(x.grad._data, 1 + 1 / 3)


@x86
@pytest.mark.parametrize("dt", ["float32", "float64"])
def test_middle_dim_matches_scalar_walk(dt):
    """A middle dim summed (kept dims on both sides): each outer block down its columns, as
    torch's (N, C, L).sum(1) and var / mean over dim 1."""
    rng = np.random.default_rng(12)
    v = 8 if dt == "float32" else 4
    for shape in [(4, 5, 6), (3, 20, 5), (2, 50, 9), (5, 70, 37), (2, 300, 70), (6, 17, 64),
                  (3, 4, 10), (2, 1030, 3), (32, 50, 128)]:
        a = _values(rng, int(np.prod(shape)), dt, 0).astype(dt).reshape(shape)
        want = np.stack([_walk_outer(block, v) for block in a])
        assert cascade_sum(a, (1,), False).tobytes() == want.tobytes(), shape
        a4 = a.reshape(shape[:1] + (1,) + shape[1:])  # a size-1 dim merges away
        assert cascade_sum(a4, (2,), True).tobytes() == want[:, None, None].tobytes(), shape


def test_other_layouts_left_to_numpy():
    a = np.ones((4, 5, 6), np.float32)
    assert cascade_sum(np.ones((2, 3, 4, 5), np.float32), (1, 3), False) is None  # two runs
    assert cascade_sum(a[:, ::2], None, False) is None  # not contiguous
    assert cascade_sum(a.astype(np.float16), None, False) is None
    assert cascade_sum(np.zeros((0, 3), np.float32), (0,), False) is None
    assert ember.tensor(a).sum(1).tolist() == np.full((4, 6), 5.0).tolist()


@pytest.mark.parametrize("dt", ["float32", "float64"])
def test_column_sum_of_no_rows(dt):
    """column_sum leaves an empty array to the general path (None), whatever its width."""
    from ember.ops._cascade import column_sum
    for n1 in (0, 1, 3, 4, 5, 9, 12, 33, 64):
        assert column_sum(np.zeros((0, n1), dt)) is None, n1
