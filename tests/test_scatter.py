"""ember._scatter (through _device.scatter_add): `a[idx] += v` with repeated indices gives the
values of adding one occurrence at a time in index order (np.add.at's, and torch's CPU
index_add_/scatter_add_/embedding backward), bit for bit, through NumPy's one-dimensional
add.at on flat positions; fma_rows does the same with one fused multiply-add per step."""

from fractions import Fraction

import numpy as np
import pytest

import ember
from ember import _device, _scatter
from oracle import requires_torch, torch


def _indices(kind, n, m, rng):
    if kind == "uniform":
        return rng.integers(0, m, n)
    if kind == "zipf":  # a few rows named hundreds of times: the running-sum path
        return np.minimum(rng.zipf(1.3, n), m) - 1
    if kind == "same":
        return np.full(n, m // 2)
    if kind == "negative":  # -1 and m-1 are one row
        return rng.integers(-m, m, n)
    raise ValueError(kind)


def _loop(a, idx, v):
    out = a.copy()
    for i, j in enumerate(idx):
        out[j] += v[i]
    return out


def _values(shape, dt, rng):
    v = rng.standard_normal(shape) * rng.choice([1e-3, 1.0, 1e3], shape)
    if np.dtype(dt).kind == "c":
        v = v + 1j * rng.standard_normal(shape)
    if np.dtype(dt).kind in "iu":
        v = rng.integers(-50, 50, shape)
    return v.astype(dt)


@pytest.mark.parametrize("kind", ["uniform", "zipf", "same", "negative"])
@pytest.mark.parametrize("dt", ["float32", "float64", "float16", "complex64", "int64"])
@pytest.mark.parametrize("row", [(8,), (3, 4), (1,)])
def test_rows_added_in_order(kind, dt, row, monkeypatch):
    rng = np.random.default_rng(0)
    m, n = 40, 700
    idx = _indices(kind, n, m, rng)
    a = _values((m,) + row, dt, rng)  # a nonzero start: each row's sum begins from its value
    v = _values((n,) + row, dt, rng)
    want = _loop(a, idx, v)
    at = a.copy()
    np.add.at(at, idx, v)
    np.testing.assert_array_equal(at, want)
    calls = _spy(monkeypatch)
    got = a.copy()
    _device.scatter_add(got, idx, v)
    assert calls == [True]  # the flat path ran
    np.testing.assert_array_equal(got, want)


def _spy(monkeypatch):
    calls = []
    real = _scatter.add_cells
    monkeypatch.setattr(_scatter, "add_cells", lambda *args: calls.append(real(*args)) or calls[-1])
    return calls


def _same_as_add_at(a, key, v, monkeypatch):
    """scatter_add through the flat path gives np.add.at's array, bit for bit."""
    want = a.copy()
    np.add.at(want, key, v)
    calls = _spy(monkeypatch)
    got = a.copy()
    _device.scatter_add(got, key, v)
    assert calls == [True]
    np.testing.assert_array_equal(got, want)
    monkeypatch.undo()


@pytest.mark.parametrize("d", [0, 1, 2])
def test_scatter_add_along_an_axis(d, monkeypatch):
    rng = np.random.default_rng(1)
    shape = [6, 7, 8]
    idx = rng.integers(0, shape[d], 300)
    vshape = list(shape)
    vshape[d] = len(idx)
    a = rng.standard_normal(shape).astype(np.float32)
    v = rng.standard_normal(vshape).astype(np.float32)
    _same_as_add_at(a, (slice(None),) * d + (idx,), v, monkeypatch)


def test_grids_and_broadcast_values(monkeypatch):
    rng = np.random.default_rng(3)
    a = rng.standard_normal((30, 16)).astype(np.float32)
    idx = np.broadcast_to(rng.integers(0, 30, (500, 1)), (500, 16))  # expanded, as in GNN code
    key = (idx, np.arange(16)[None, :])
    for v in (rng.standard_normal((500, 16)).astype(np.float32),
              rng.standard_normal((1, 16)).astype(np.float32)):
        _same_as_add_at(a, key, v, monkeypatch)


def test_declines_what_it_does_not_cover():
    a = np.zeros((10, 8), np.float32)
    ones = np.ones((100, 8), np.float32)
    idx = np.arange(100) % 10
    grid = _scatter.grid(a.shape, 0, idx)
    assert _scatter.add_cells(a.copy(), grid, ones)  # what it covers, for contrast
    assert not _scatter.add_cells(a, grid, ones.astype(np.float64))  # another dtype
    assert not _scatter.add_cells(a, _scatter.grid(a.shape, 0, idx + 5), ones)  # out of range
    assert not _scatter.add_cells(a.T, _scatter.grid(a.T.shape, 0, idx % 8), ones)  # strided
    assert not a.any()
    with pytest.raises(IndexError):  # np.add.at's own error, nothing written
        _device.scatter_add(a, idx + 5, ones)
    assert not a.any()


@pytest.mark.parametrize("dt", ["float32", "float64"])
def test_fma_rows_is_the_fused_loop(dt):
    rng = np.random.default_rng(4)
    idx = np.minimum(rng.zipf(1.3, 400), 20) - 1
    a = _values((20, 8), dt, rng)
    v, sc = _values((400, 8), dt, rng), rng.uniform(0.01, 1, 400).astype(dt)
    want = a.copy()
    for i, j in enumerate(idx):  # exact through Fractions: one rounding per step
        want[j] = [float(Fraction(float(x)) * Fraction(float(sc[i])) + Fraction(float(y)))
                   for x, y in zip(v[i], want[j])]
    got = a.copy()
    _scatter.fma_rows(got, idx, v, sc)
    np.testing.assert_array_equal(got, want)


@requires_torch
@pytest.mark.parametrize("opts", [{}, {"padding_idx": 3}, {"scale_grad_by_freq": True}])
def test_embedding_and_index_gradients_equal_torch(opts):
    rng = np.random.default_rng(2)
    idx = np.minimum(rng.zipf(1.2, (16, 40)), 50) - 1  # heavy and light rows
    w = rng.standard_normal((50, 24)).astype(np.float32)
    g = (rng.standard_normal((16, 40, 24)) * rng.choice([1e-3, 1.0, 1e3], (16, 40, 24))
         ).astype(np.float32)
    grads = []
    for lib in (ember, torch):
        tw = lib.from_numpy(w.copy()).requires_grad_(True)
        ti = lib.from_numpy(idx)
        lib.nn.functional.embedding(ti, tw, **opts).backward(lib.from_numpy(g))
        x = lib.from_numpy(w.copy()).requires_grad_(True)
        flat = ti.reshape(-1)
        (x[flat] * lib.from_numpy(g.reshape(-1, 24))).sum().backward()
        y = lib.from_numpy(w.copy()).requires_grad_(True)
        y.index_select(0, flat).backward(lib.from_numpy(g.reshape(-1, 24)))
        grads.append([tw.grad.numpy(), x.grad.numpy(), y.grad.numpy()])
    for e, t in zip(*grads):
        np.testing.assert_array_equal(e, t)


def test_embedding_skips_the_padding_index():
    idx = ember.tensor([[0, 2, 0, 1]] * 20)
    w = ember.randn(4, 3, requires_grad=True)
    g = ember.ones(20, 4, 3)
    g[:, 0] = float("inf")  # torch never adds the padding rows' gradient: no inf, no NaN
    ember.nn.functional.embedding(idx, w, padding_idx=0).backward(g)
    np.testing.assert_array_equal(w.grad.numpy(), [[0] * 3, [20] * 3, [20] * 3, [0] * 3])
    if torch is not None:
        tw = torch.from_numpy(w.detach().numpy()).requires_grad_(True)
        torch.nn.functional.embedding(torch.from_numpy(idx.numpy()), tw, padding_idx=0).backward(
            torch.from_numpy(g.numpy()))
        np.testing.assert_array_equal(w.grad.numpy(), tw.grad.numpy())


def test_embedding_skips_the_padding_index_with_create_graph():
    idx = ember.tensor([[0, 2, 0, 1]] * 20)
    w = ember.randn(4, 3, requires_grad=True)
    g = ember.ones(20, 4, 3)
    g[:, 0] = float("inf")
    out = ember.nn.functional.embedding(idx, w, padding_idx=0)
    gw, = ember.autograd.grad(out, w, g, create_graph=True)
    np.testing.assert_array_equal(gw.detach().numpy(), [[0] * 3, [20] * 3, [20] * 3, [0] * 3])


@pytest.mark.parametrize("kind", ["unique", "few", "many"])
@pytest.mark.parametrize("dt", ["float32", "float64"])
def test_embedding_gradient_rows_once_and_repeated(kind, dt):
    """Embedding's backward assigns the rows looked up once (0 + g: -0.0 becomes +0.0) and adds
    the repeated ones in order: the loop's bits from zeros, and torch's, zeros' signs included."""
    rng = np.random.default_rng(9)
    n = {"unique": 10000, "few": 3000, "many": 40}[kind]
    idx = rng.permutation(n)[:300] if kind == "unique" else rng.integers(0, n, 300)
    g = _values((300, 16), dt, rng)
    g[rng.random(g.shape) < 0.1] = -0.0
    w = ember.zeros(n, 16, dtype=getattr(ember, dt), requires_grad=True)
    ember.nn.functional.embedding(ember.from_numpy(idx), w).backward(ember.from_numpy(g))
    want = _loop(np.zeros((n, 16), dt), idx, g)
    assert w.grad.numpy().tobytes() == want.tobytes()
    if torch is not None:
        tw = torch.zeros(n, 16, dtype=getattr(torch, dt), requires_grad=True)
        torch.nn.functional.embedding(torch.from_numpy(idx), tw).backward(torch.from_numpy(g))
        assert w.grad.numpy().tobytes() == tw.grad.numpy().tobytes()


@pytest.mark.parametrize("include_self", [True, False])
def test_scatter_reduce_max_min_spellings(include_self):
    """torch 2.13's scatter_reduce takes reduce='max' / 'min' as amax / amin (ember refused)."""
    x = ember.tensor([1.0, 2.0, 7.0])
    i = ember.tensor([0, 0, 2])
    s = ember.tensor([5.0, -1.0, 3.0])
    for short, full in (("max", "amax"), ("min", "amin")):
        got = x.scatter_reduce(0, i, s, short, include_self=include_self)
        assert got.tolist() == x.scatter_reduce(0, i, s, full, include_self=include_self).tolist()
        if torch is not None:
            t = torch.tensor([1.0, 2.0, 7.0]).scatter_reduce(
                0, torch.tensor([0, 0, 2]), torch.tensor([5.0, -1.0, 3.0]), short,
                include_self=include_self)
            assert got.tolist() == t.tolist()
    want = {True: [5.0, 2.0, 7.0], False: [5.0, 2.0, 3.0]}[include_self]
    assert x.scatter_reduce(0, i, s, "max", include_self=include_self).tolist() == want
