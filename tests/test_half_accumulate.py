"""How torch 2.13's CPU kernels accumulate repeated indices in float16.

Its scatter kernels (scatter_add_, scatter_reduce_, scatter_ with reduce=, the backward of
gather, and index_add_ where it hands the work to scatter_add_: a 2-d+ self, an int64 index,
the first or last dim, alpha 1) add into a float32 buffer and round once; index_add_'s own loop,
index_put_(accumulate=True), put_, index_reduce_ and embedding's backward round every addition
to float16. 2000 additions of 0.1 tell them apart: 200 against 230.125. The expected numbers
below are torch's (checked against live torch where it is installed).
"""

import numpy as np
import pytest

import ember

try:
    import torch
except ImportError:
    torch = None

N = 2000


def _src(L, *shape):
    return L.full(shape, 0.1, dtype=L.float16)


def _idx(L):
    return L.zeros(N, dtype=L.long)


def _grad_of(L, forward, shape, grad):
    x = L.zeros(shape, dtype=L.float16, requires_grad=True)
    return L.autograd.grad(forward(L, x), x, grad)[0]


# name -> (fn(lib) -> tensor, torch's first element)
CASES = {
    "scatter_add_": (lambda L: L.zeros(3, dtype=L.float16).scatter_add_(0, _idx(L), _src(L, N)),
                     200.0),
    "scatter_add_ dim 1": (lambda L: L.zeros(2, 3, dtype=L.float16).scatter_add_(
        1, _idx(L)[None].expand(2, N).contiguous(), _src(L, 2, N)), 200.0),
    "scatter_reduce_ sum": (lambda L: L.zeros(3, dtype=L.float16).scatter_reduce_(
        0, _idx(L), _src(L, N), "sum"), 200.0),
    "scatter_reduce_ mean": (lambda L: L.zeros(3, dtype=L.float16).scatter_reduce_(
        0, _idx(L), _src(L, N), "mean"), 0.0999755859375),
    "scatter_reduce_ mean past 2048": (lambda L: L.zeros(3, dtype=L.float16).scatter_reduce_(
        0, L.zeros(3000, dtype=L.long), _src(L, 3000), "mean", include_self=False),
        0.0999755859375),
    "scatter_reduce_ prod": (lambda L: L.ones(3, dtype=L.float16).scatter_reduce_(
        0, _idx(L)[:50], _src(L, 50) + 1, "prod"), 115.3125),
    "scatter_ reduce=add": (lambda L: L.zeros(3, dtype=L.float16).scatter_(
        0, _idx(L), _src(L, N), reduce="add"), 200.0),
    "index_add_ 1-d": (lambda L: L.zeros(3, dtype=L.float16).index_add_(0, _idx(L), _src(L, N)),
                       230.125),
    "index_add_ 2-d dim 0": (lambda L: L.zeros(3, 2, dtype=L.float16).index_add_(
        0, _idx(L), _src(L, N, 2)), 200.0),
    "index_add_ 2-d dim 1": (lambda L: L.zeros(2, 3, dtype=L.float16).index_add_(
        1, _idx(L), _src(L, 2, N)), 200.0),
    "index_add_ 3-d middle dim": (lambda L: L.zeros(2, 3, 2, dtype=L.float16).index_add_(
        1, _idx(L), _src(L, 2, N, 2)), 230.125),
    "index_add_ alpha 2": (lambda L: L.zeros(3, 2, dtype=L.float16).index_add_(
        0, _idx(L), _src(L, N, 2), alpha=2), 460.25),
    "index_add_ int32 index": (lambda L: L.zeros(3, 2, dtype=L.float16).index_add_(
        0, _idx(L).int(), _src(L, N, 2)), 230.125),
    "index_put_ accumulate": (lambda L: L.zeros(3, dtype=L.float16).index_put_(
        (_idx(L),), _src(L, N), accumulate=True), 230.125),
    "put_ accumulate": (lambda L: L.zeros(3, dtype=L.float16).put_(
        _idx(L), _src(L, N), accumulate=True), 230.125),
    "index_reduce_ mean": (lambda L: L.zeros(3, dtype=L.float16).index_reduce_(
        0, _idx(L), _src(L, N), "mean"), 0.114990234375),
    "index_reduce_ prod": (lambda L: L.ones(3, 2, dtype=L.float16).index_reduce_(
        0, _idx(L)[:50], _src(L, 50, 2) + 1, "prod"), 115.25),
    "gather backward": (lambda L: _grad_of(
        L, lambda L, x: x.gather(0, _idx(L)), (3,), _src(L, N)), 200.0),
    "index_select backward": (lambda L: _grad_of(
        L, lambda L, x: x.index_select(0, _idx(L)), (3, 2), _src(L, N, 2)), 200.0),
    "index_select backward int32": (lambda L: _grad_of(
        L, lambda L, x: x.index_select(0, _idx(L).int()), (3, 2), _src(L, N, 2)), 230.125),
    "x[idx] backward": (lambda L: _grad_of(
        L, lambda L, x: x[_idx(L)], (3,), _src(L, N)), 230.125),
    "embedding backward": (lambda L: _grad_of(
        L, lambda L, w: L.nn.functional.embedding(_idx(L), w), (3, 2), _src(L, N, 2)), 230.125),
}


@pytest.mark.filterwarnings("ignore:index_reduce")
@pytest.mark.filterwarnings("ignore:The reduce argument")
@pytest.mark.parametrize("name", sorted(CASES))
def test_float16_accumulation(name):
    fn, first = CASES[name]
    got = fn(ember)
    assert got.dtype is ember.float16
    assert got.reshape(-1)[0].item() == first
    if torch is None:
        pytest.skip("torch (the oracle) is not installed: the rest not compared")
    want = fn(torch)
    assert want.reshape(-1)[0].item() == first  # the table is torch's
    np.testing.assert_array_equal(got.float().numpy(), want.float().numpy())


@pytest.mark.skipif(torch is None, reason="torch (the oracle) is not installed")
@pytest.mark.parametrize("seed", range(6))
def test_float16_scatter_random(seed):
    rng = np.random.default_rng(seed)
    n, m = int(rng.integers(100, 4000)), int(rng.integers(1, 5))
    src = (rng.standard_normal((n, 3)) * 10 ** rng.uniform(-3, 2)).astype(np.float16)
    idx = rng.integers(0, m, n)
    base = rng.standard_normal((m, 3)).astype(np.float16)

    def run(L):
        x, i, s = L.tensor(base), L.tensor(idx), L.tensor(src)
        ie = i[:, None].expand(n, 3).contiguous()
        return [x.scatter_add(0, ie, s), x.index_add(0, i, s),
                *(x.scatter_reduce(0, ie, s, r, include_self=k)
                  for r in ("sum", "mean", "amax") for k in (True, False))]
    for a, b in zip(run(ember), run(torch)):
        np.testing.assert_array_equal(a.float().numpy(), b.float().numpy())
