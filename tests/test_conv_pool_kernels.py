"""The fast conv / max-pool kernels: chunked conv forward and the staged tiling max pool give the
values of the plain kernels (bit for bit where the products are the same), and torch's."""

import itertools

import numpy as np
import pytest

import ember
from ember.nn import _conv, _conv_kernels, _pool, _pool_max
from oracle import arr, check, requires_torch, torch


def F(L):
    return _pool if L is ember else torch.nn.functional


# ---------------------------------------------------------------- conv forward in chunks
CONVS = [  # (x shape, w shape, geo): plain and `_rows` layouts, groups, dilation, 1-d, 3-d
    ((5, 3, 9, 8), (4, 3, 3, 3), ((3, 3), (1, 1), ((1, 1), (1, 1)), (1, 1), 1)),
    ((5, 4, 9, 8), (6, 2, 3, 2), ((3, 2), (2, 1), ((1, 1), (0, 0)), (1, 2), 2)),
    ((4, 3, 10), (5, 3, 3), ((3,), (1,), ((1, 1),), (1,), 1)),
    ((3, 2, 5, 6, 4), (3, 2, 3, 2, 3), ((3, 2, 3), (1, 2, 1), ((1, 1),) * 3, (1, 1, 1), 1)),
]


@pytest.mark.parametrize("xs,ws,geo", CONVS)
@pytest.mark.parametrize("keep", [False, True])
@pytest.mark.parametrize("bias", [False, True])
def test_conv_forward_chunks_change_nothing(monkeypatch, xs, ws, geo, keep, bias):
    x, w = arr(xs, seed=1), arr(ws, seed=2)
    b = arr((ws[0],), seed=3) if bias else None
    whole, cols, buf = _conv_kernels._conv_fwd(x, w, geo, keep, b)
    whole = whole.copy()
    cols = None if cols is None else cols.copy()
    monkeypatch.setattr(_conv_kernels, "_CHUNK", 1)  # one sample per chunk
    one, cols1, buf1 = _conv_kernels._conv_fwd(x, w, geo, keep, b)
    np.testing.assert_array_equal(one, whole)
    if keep:
        np.testing.assert_array_equal(cols1, cols)
        _conv_kernels._give(buf)
        _conv_kernels._give(buf1)
    else:
        assert cols1 is None


def test_conv_forward_chunks_match_one_batched_gemm(monkeypatch):
    """Chunks of 2 samples (the last one short) against the unchunked batched product."""
    geo = ((3, 3), (1, 1), ((1, 1), (1, 1)), (1, 1), 1)
    x, w, b = arr((5, 3, 6, 7), seed=4), arr((4, 3, 3, 3), seed=5), arr((4,), seed=6)
    cols = np.ascontiguousarray(_conv_kernels._col_view(x, geo)[0]).reshape(5, 1, 27, 42)
    want = (w.reshape(1, 4, 27) @ cols).reshape(5, 4, 6, 7) + b.reshape(-1, 1, 1)
    monkeypatch.setattr(_conv_kernels, "_CHUNK", 2 * 27 * 42 * 4)
    for keep in (False, True):
        y, _, buf = _conv_kernels._conv_fwd(x, w, geo, keep, b)
        np.testing.assert_allclose(y, want, rtol=1e-6, atol=1e-6)
        if buf is not None:
            _conv_kernels._give(buf)


@requires_torch
@pytest.mark.parametrize("batch", [1, 7])
def test_conv_train_step_shapes_against_torch(monkeypatch, batch):
    monkeypatch.setattr(_conv_kernels, "_CHUNK", 3 * 27 * 64 * 4)  # several chunks, one short
    check(lambda L, x, w, b: (L.nn.functional.conv2d(x, w, b, padding=1).relu() ** 2).sum(),
          arr((batch, 3, 8, 8)), arr((16, 3, 3, 3), seed=1), arr((16,), seed=2),
          rtol=1e-4, atol=1e-4)
    check(lambda L, x, w: _conv.conv2d(x, w, padding=1) if L is ember else
          torch.nn.functional.conv2d(x, w, padding=1),
          arr((batch, 4, 6, 5), "float64"), arr((3, 4, 3, 3), "float64", seed=1),
          rtol=1e-10, atol=1e-10)


# ---------------------------------------------------------------- staged tiling max pool
def _indexed_grad(x, k, g):
    """dx of a tiling max pool through the indexed kernel (`_max_fwd`'s winners)."""
    L = tuple(n // kk for n, kk in zip(x.shape[-len(k):], k))
    geo = (k, k, (0,) * len(k), (1,) * len(k), L)
    _, arg = _pool_max._max_fwd(x, geo)
    return _pool_max._max_scatter(g, arg, x.shape[-len(k):], geo), geo


@pytest.mark.parametrize("shape,k", [
    ((2, 3, 8, 6), (2, 2)), ((2, 2, 9, 7), (2, 2)), ((2, 2, 9, 8), (3, 2)),
    ((2, 2, 6, 9), (2, 3)), ((1, 2, 9, 9), (3, 3)), ((2, 3, 10), (3,)),
    ((1, 2, 4, 6, 5), (2, 3, 2)), ((2, 2, 5, 4), (1, 2)),
])
def test_tiled_max_pool_routes_as_the_indexed_kernel(shape, k):
    """Every tie pattern of small integers: the staged kernel picks torch's winner (the first
    offset in window order holding the max), as the indexed kernel does; no torch needed."""
    rng = np.random.default_rng(0)
    x = rng.integers(0, 3, shape).astype(np.float64)  # ties everywhere
    xt = ember.from_numpy(x).requires_grad_()
    y = _pool.max_pool1d(xt, k) if len(k) == 1 else (
        _pool.max_pool2d(xt, k) if len(k) == 2 else _pool.max_pool3d(xt, k))
    assert type(y.grad_fn).__name__ == "MaxPoolTiled"
    g = rng.standard_normal(y.shape)
    y.backward(ember.from_numpy(g))
    want, geo = _indexed_grad(x, k, g)
    np.testing.assert_array_equal(xt.grad.numpy(), want)
    np.testing.assert_array_equal(y.detach().numpy(), _pool_max._max_fwd(x, geo)[0])


def test_tiled_max_pool_row_major_tie_rule():
    """A 2x2 window whose max sits in (0, 1) and (1, 0): the row-major first, (0, 1), wins,
    though column 0 comes first in a column-first reduction."""
    for cells in itertools.permutations([(0, 0), (0, 1), (1, 0), (1, 1)], 2):
        x = np.zeros((1, 1, 2, 2))
        for r, c in cells:
            x[0, 0, r, c] = 5.0
        xt = ember.from_numpy(x).requires_grad_()
        _pool.max_pool2d(xt, 2).sum().backward()
        first = min(cells)
        want = np.zeros_like(x)
        want[0, 0][first] = 1.0
        np.testing.assert_array_equal(xt.grad.numpy(), want)


@requires_torch
@pytest.mark.parametrize("fn,shape", [
    (lambda L, x: F(L).max_pool2d(x.relu(), 2), (3, 4, 8, 8)),
    (lambda L, x: F(L).max_pool2d(x, (2, 3)), (2, 3, 7, 10)),
    (lambda L, x: F(L).max_pool3d(x, 2), (1, 2, 5, 4, 6)),
])
def test_tiled_max_pool_against_torch(fn, shape):
    x = np.round(arr(shape, "float64", seed=7) * 2) / 2  # ties
    check(fn, x)


def test_tiled_max_pool_no_grad_keeps_nothing():
    x = ember.from_numpy(arr((2, 3, 4, 4)))
    with ember.no_grad():
        y = _pool.max_pool2d(x, 2)
    assert y.grad_fn is None
    xt = x.clone().requires_grad_()
    y = _pool.max_pool2d(xt, 2)
    assert len(y.grad_fn.stages) == 2
    y.sum().backward()
    assert y.grad_fn.__dict__.get("stages") is None  # released with the graph
