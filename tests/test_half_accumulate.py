"""How torch 2.13's CPU kernels accumulate repeated indices in float16 and bfloat16.

Its scatter kernels (scatter_add_, scatter_reduce_, scatter_ with reduce=, the backward of
gather, and index_add_ where it hands the work to scatter_add_: a 2-d+ self, an int64 index,
the first or last dim, alpha 1) add into a float32 buffer and round once; index_add_'s own loop,
index_put_(accumulate=True) (and the backward of x[idx]), put_, index_reduce_ and embedding's
backward round every addition to the dtype. 2000 additions of 0.1 tell them apart: 200 against
230.125 (float16) or 32 (bfloat16). The expected numbers below are torch's (checked against live
torch where it is installed).
"""

import numpy as np
import pytest

import ember

try:
    import torch
except ImportError:
    torch = None

N = 2000
DT = ["float16"]  # the dtype under test (set by the test)


def _dt(L):
    return getattr(L, DT[0])


def _src(L, *shape):
    return L.full(shape, 0.1, dtype=_dt(L))


def _idx(L):
    return L.zeros(N, dtype=L.long)


def _grad_of(L, forward, shape, grad):
    x = L.zeros(shape, dtype=_dt(L), requires_grad=True)
    return L.autograd.grad(forward(L, x), x, grad)[0]


# name -> (fn(lib) -> tensor, torch's first element)
CASES = {
    "scatter_add_": (lambda L: L.zeros(3, dtype=_dt(L)).scatter_add_(0, _idx(L), _src(L, N)),
                     200.0),
    "scatter_add_ dim 1": (lambda L: L.zeros(2, 3, dtype=_dt(L)).scatter_add_(
        1, _idx(L)[None].expand(2, N).contiguous(), _src(L, 2, N)), 200.0),
    "scatter_reduce_ sum": (lambda L: L.zeros(3, dtype=_dt(L)).scatter_reduce_(
        0, _idx(L), _src(L, N), "sum"), 200.0),
    "scatter_reduce_ mean": (lambda L: L.zeros(3, dtype=_dt(L)).scatter_reduce_(
        0, _idx(L), _src(L, N), "mean"), 0.0999755859375),
    "scatter_reduce_ mean past 2048": (lambda L: L.zeros(3, dtype=_dt(L)).scatter_reduce_(
        0, L.zeros(3000, dtype=L.long), _src(L, 3000), "mean", include_self=False),
        0.0999755859375),
    "scatter_reduce_ prod": (lambda L: L.ones(3, dtype=_dt(L)).scatter_reduce_(
        0, _idx(L)[:50], _src(L, 50) + 1, "prod"), 115.3125),
    "scatter_ reduce=add": (lambda L: L.zeros(3, dtype=_dt(L)).scatter_(
        0, _idx(L), _src(L, N), reduce="add"), 200.0),
    "index_add_ 1-d": (lambda L: L.zeros(3, dtype=_dt(L)).index_add_(0, _idx(L), _src(L, N)),
                       230.125),
    "index_add_ 2-d dim 0": (lambda L: L.zeros(3, 2, dtype=_dt(L)).index_add_(
        0, _idx(L), _src(L, N, 2)), 200.0),
    "index_add_ 2-d dim 1": (lambda L: L.zeros(2, 3, dtype=_dt(L)).index_add_(
        1, _idx(L), _src(L, 2, N)), 200.0),
    "index_add_ 3-d middle dim": (lambda L: L.zeros(2, 3, 2, dtype=_dt(L)).index_add_(
        1, _idx(L), _src(L, 2, N, 2)), 230.125),
    "index_add_ alpha 2": (lambda L: L.zeros(3, 2, dtype=_dt(L)).index_add_(
        0, _idx(L), _src(L, N, 2), alpha=2), 460.25),
    "index_add_ int32 index": (lambda L: L.zeros(3, 2, dtype=_dt(L)).index_add_(
        0, _idx(L).int(), _src(L, N, 2)), 230.125),
    "index_put_ accumulate": (lambda L: L.zeros(3, dtype=_dt(L)).index_put_(
        (_idx(L),), _src(L, N), accumulate=True), 230.125),
    "put_ accumulate": (lambda L: L.zeros(3, dtype=_dt(L)).put_(
        _idx(L), _src(L, N), accumulate=True), 230.125),
    "index_reduce_ mean": (lambda L: L.zeros(3, dtype=_dt(L)).index_reduce_(
        0, _idx(L), _src(L, N), "mean"), 0.114990234375),
    "index_reduce_ prod": (lambda L: L.ones(3, 2, dtype=_dt(L)).index_reduce_(
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


# torch's first element of each case in bfloat16 (its float32 buffer rounds 200.29 to 200;
# bfloat16 steps of 0.1 stall at 32)
BF16 = {
    "embedding backward": 32.0, "gather backward": 200.0, "index_add_ 1-d": 32.0,
    "index_add_ 2-d dim 0": 200.0, "index_add_ 2-d dim 1": 200.0,
    "index_add_ 3-d middle dim": 32.0, "index_add_ alpha 2": 64.0,
    "index_add_ int32 index": 32.0, "index_put_ accumulate": 32.0, "index_reduce_ mean": 0.125,
    "index_reduce_ prod": 124.5, "index_select backward": 200.0,
    "index_select backward int32": 32.0, "put_ accumulate": 32.0, "scatter_ reduce=add": 200.0,
    "scatter_add_": 200.0, "scatter_add_ dim 1": 200.0, "scatter_reduce_ mean": 0.10009765625,
    "scatter_reduce_ mean past 2048": 0.099609375, "scatter_reduce_ prod": 126.0,
    "scatter_reduce_ sum": 200.0, "x[idx] backward": 32.0,
}


@pytest.fixture(params=["float16", "bfloat16"])
def dtype(request):
    if request.param == "bfloat16":
        pytest.importorskip("ml_dtypes")
    DT[0] = request.param
    yield request.param
    DT[0] = "float16"


@pytest.mark.filterwarnings("ignore:index_reduce")
@pytest.mark.filterwarnings("ignore:The reduce argument")
@pytest.mark.parametrize("name", sorted(CASES))
def test_accumulation(name, dtype):
    fn, first = CASES[name]
    if dtype == "bfloat16":
        first = BF16[name]
    got = fn(ember)
    assert got.dtype is getattr(ember, dtype)
    assert got.reshape(-1)[0].item() == first
    if torch is None:
        pytest.skip("torch (the oracle) is not installed: the rest not compared")
    want = fn(torch)
    assert want.reshape(-1)[0].item() == first  # the table is torch's
    np.testing.assert_array_equal(got.float().numpy(), want.float().numpy())


def test_embedding_scaled_by_frequency(dtype):
    """A float16/bfloat16 gradient scaled by frequency: torch scales each row in the dtype
    (1/count in the dtype, the product rounded), then adds the rows up in the dtype."""
    rng = np.random.default_rng(0)
    w0, ids, g0 = rng.standard_normal((5, 3)), rng.integers(0, 5, (40, 30)), \
        rng.standard_normal((40, 30, 3))

    def grad(L):
        w = L.tensor(w0, dtype=getattr(L, dtype), requires_grad=True)
        out = L.nn.functional.embedding(L.tensor(ids), w, scale_grad_by_freq=True)
        return L.autograd.grad(out, w, L.tensor(g0, dtype=getattr(L, dtype)))[0].float().numpy()
    got = grad(ember)
    low = ember.tensor(g0, dtype=getattr(ember, dtype)).float().numpy().reshape(-1, 3)
    rows = ids.reshape(-1)
    inv = ember.tensor(1.0 / np.bincount(rows, minlength=5), dtype=getattr(ember, dtype))
    scaled = ember.tensor(low * inv.float().numpy()[rows, None]).to(getattr(ember, dtype))
    want = ember.zeros(5, 3, dtype=getattr(ember, dtype))
    for i, r in enumerate(rows):  # one row at a time, each sum rounded to the dtype
        want[r] = want[r] + scaled[i]
    np.testing.assert_array_equal(got, want.float().numpy())
    if torch is not None:
        np.testing.assert_array_equal(got, grad(torch))


@pytest.mark.filterwarnings("ignore:index_reduce")
@pytest.mark.skipif(torch is None, reason="torch (the oracle) is not installed")
@pytest.mark.parametrize("seed", range(6))
def test_scatter_random(seed, dtype):
    rng = np.random.default_rng(seed)
    n, m = int(rng.integers(100, 4000)), int(rng.integers(1, 5))
    src = rng.standard_normal((n, 3)) * 10 ** rng.uniform(-3, 2)
    idx = rng.integers(0, m, n)
    base = rng.standard_normal((m, 3))

    def run(L):
        dt = getattr(L, dtype)
        x, i, s = L.tensor(base, dtype=dt), L.tensor(idx), L.tensor(src, dtype=dt)
        ie = i[:, None].expand(n, 3).contiguous()
        return [x.scatter_add(0, ie, s), x.index_add(0, i, s), x.index_add(0, i.int(), s),
                x.index_put((i,), s, accumulate=True),
                *(x.scatter_reduce(0, ie, s, r, include_self=k)
                  for r in ("sum", "mean", "amax") for k in (True, False)),
                *(x.index_reduce(0, i, s, r, include_self=k)
                  for r in ("mean", "amin") for k in (True, False))]
    for a, b in zip(run(ember), run(torch)):
        np.testing.assert_array_equal(a.float().numpy(), b.float().numpy())
