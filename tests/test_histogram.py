"""torch.histogram, torch.histogramdd and torch.histc against torch 2.13: bin edges, the
rightmost-edge rule, values on edges in float32 and float64, weights, density, out=, reprs and
errors."""

import numpy as np
import pytest

import ember
from oracle import arr, check, check_error

try:
    import torch
except ImportError:  # the torch comparisons skip; ember's own checks still run
    torch = None


def edgy(dtype="float32"):
    """Values on and next to equal-width bin edges, where the bin choice is most fragile."""
    a = np.concatenate([np.linspace(-1, 1, 41), np.arange(0, 1, 0.1), [1.0, -1.0, 0.3, 0.7],
                        arr((50,), "float64", seed=3)])
    return a.astype(dtype)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("bins", [1, 3, 7, 10, 30])
def test_int_bins(dtype, bins):
    check(lambda L, x: tuple(L.histogram(x, bins)), edgy(dtype), grad=False)
    check(lambda L, x: tuple(L.histogram(x, bins, range=(-0.7, 0.9))), edgy(dtype), grad=False)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_weights_and_density(dtype):
    x, w = arr((6, 5), dtype), arr((30,), dtype, seed=1, low=0, high=3)
    check(lambda L, x, w: tuple(L.histogram(x, 4, weight=w)), x, w, grad=False)
    check(lambda L, x, w: tuple(L.histogram(x, 4, weight=w, density=True)), x, w, grad=False)
    check(lambda L, x: tuple(L.histogram(x, 5, range=(-1.0, 3.0), density=True)), x,
          grad=False)
    check(lambda L, x, w: tuple(L.histogram(x, 4, weight=w.reshape(5, 6))), x, w, grad=False)


def test_edge_tensors():
    x = edgy("float64")
    e = np.array([-1.0, -0.3, 0.0, 0.1, 0.7, 1.0])
    check(lambda L, x, e: tuple(L.histogram(x, e)), x, e, grad=False)
    check(lambda L, x, e: tuple(L.histogram(x, e, density=True)), x, e, grad=False)
    check(lambda L, x, e: tuple(L.histogram(x, e, weight=x.abs())), x, e, grad=False)
    check(lambda L, x, e: tuple(L.histogram(x, e)), x.astype(np.float16),
          e.astype(np.float16), grad=False)
    check(lambda L, x: tuple(L.histogram(x, L.tensor([1.0, 1.0]))), np.ones(3, np.float32),
          grad=False)


def test_special_inputs():
    for x in (np.array([], np.float32), np.array(2.0, np.float32), np.ones(4, np.float32),
              np.array([1.0, np.nan, np.inf, -np.inf, 0.5], np.float32)):
        check(lambda L, x: tuple(L.histogram(x, 3, range=(0.0, 2.0))), x, grad=False)
    for x in (np.array([], np.float32), np.array(2.0, np.float32), np.ones(4, np.float32)):
        check(lambda L, x: tuple(L.histogram(x, 3)), x, grad=False)
    check(lambda L, x: tuple(L.histogram(x, 2, range=(1.0, 1.0))), np.ones(3, np.float32),
          grad=False)


def test_types_reprs_and_method():
    e = ember.histogram(ember.tensor([1.0, 2, 1, 4, 2.5]), 3)
    assert type(e).__name__ == "histogram" and e._fields == ("hist", "bin_edges")
    assert repr(ember.ones(3).histogram(2)) == repr(ember.histogram(ember.ones(3), 2))
    dd = ember.histogramdd(ember.ones(4, 2), [2, 3])
    assert type(dd).__name__ == "histogramdd" and isinstance(dd.bin_edges, tuple)
    if torch is not None:
        assert repr(e) == repr(torch.histogram(torch.tensor([1.0, 2, 1, 4, 2.5]), 3))
        assert repr(dd) == repr(torch.histogramdd(torch.ones(4, 2), [2, 3]))
        assert repr(ember.ones(3).histogram(2)) == repr(torch.ones(3).histogram(2))


def test_out():
    def run(L):
        h, e = L.empty(0), L.empty(0)
        r = L.histogram(L.tensor([1.0, 2, 1, 4, 2.5]), 2, out=(h, e))
        return type(r).__name__, r.hist is h, r.bin_edges is e, h.tolist(), e.tolist()
    er = run(ember)
    assert er[:3] == ("histogram_out", True, True)
    assert torch is None or er == run(torch)
    check_error(lambda L: L.histogram(L.ones(3), 2, out=(L.empty(0, dtype=L.float64),
                                                         L.empty(0))))


@pytest.mark.parametrize("case", [
    lambda L, x, w: L.histogramdd(x, bins=[3, 3], weight=w),
    lambda L, x, w: L.histogramdd(x, bins=[2, 4], range=[0.0, 1.0, -1.0, 2.0], density=True),
    lambda L, x, w: L.histogramdd(x, bins=2),
    lambda L, x, w: L.histogramdd(x, bins=(2, 5), weight=w, density=True),
    lambda L, x, w: L.histogramdd(x, bins=[L.tensor([-1.0, 0.0, 2.0]), L.tensor([-2.0, 2.0])]),
    lambda L, x, w: L.histogramdd(x, bins=[L.tensor([-1.0, 0.0, 2.0]), L.tensor([-2.0, 2.0])],
                                  range=[0.0, 1.0, 0.0, 1.0]),
    lambda L, x, w: L.histogramdd(x.reshape(2, 6, 2), bins=[2, 2], weight=w.reshape(2, 6)),
    lambda L, x, w: L.histogramdd(x[:0], bins=[2, 2]),
    lambda L, x, w: L.histogramdd(L.cat([x, x[:, :1]], 1), bins=[2, 3, 2])])
def test_histogramdd(case):
    def run(L, x, w):
        r = case(L, x, w)
        return (r.hist,) + tuple(r.bin_edges)
    check(run, arr((12, 2)), arr((12,), seed=1, low=0, high=2), grad=False)


@pytest.mark.parametrize("fn", [
    lambda L: L.histogram(L.tensor([1, 2]), 3), lambda L: L.histogram(L.ones(3), 0),
    lambda L: L.histogram(L.ones(3), -1), lambda L: L.histogram(L.ones(3), 2.5),
    lambda L: L.histogram(L.tensor([1, 2]), 0), lambda L: L.histogram(L.tensor([1, 2]), 2,
                                                                     range=(0.0, 1.0)),
    lambda L: L.histogram(L.tensor([1, 2]), L.tensor([0, 1, 3])),
    lambda L: L.histogram(L.ones(3), L.tensor([0.0, 1]).double()),
    lambda L: L.histogram(L.ones(3), L.tensor([[0.0, 1]])),
    lambda L: L.histogram(L.ones(3), L.tensor([1.0])),
    lambda L: L.histogram(L.ones(3), L.tensor([])),
    lambda L: L.histogram(L.ones(3), 3, range=(5.0, 1.0)),
    lambda L: L.histogram(L.ones(3), 3, range=(0.0, float("inf"))),
    lambda L: L.histogram(L.ones(3), 3, range=(0.0, 1.0, 2.0)),
    lambda L: L.histogram(L.ones(2, 3), 3, weight=L.ones(5)),
    lambda L: L.histogram(L.ones(3), 3, weight=L.ones(3).double()),
    lambda L: L.histogram(L.tensor([1.0, float("nan")]), 3),
    lambda L: L.histogram(L.tensor([1.0, float("inf")]), 3),
    lambda L: L.histogram(L.ones(3), L.tensor([0.0, 1, 3]), range=(0.0, 1.0)),
    lambda L: L.histogram(L.ones(3).half(), 2),
    lambda L: L.histogramdd(L.ones(4, 2), bins=[2]),
    lambda L: L.histogramdd(L.ones(3), bins=[2]),
    lambda L: L.histogramdd(L.ones(4, 2), bins=[2, 2], range=[0.0, 1.0]),
    lambda L: L.histogramdd(L.ones(4, 2), bins=[2, 2], weight=L.ones(3)),
    lambda L: L.histogramdd(L.ones(4, 2), bins=(2, 2), range=[0.0, 1.0, 1, 0]),
    lambda L: L.histogramdd(L.ones(4, 2), bins=L.tensor([0.0, 1, 2])),
    lambda L: L.histogramdd(L.ones(4, 2), bins=[L.tensor([0.0, 1, 2])]),
    lambda L: L.histogramdd(L.ones(4, 2), bins=[2, 2], weight=L.ones(4).double())])
def test_errors(fn):
    check_error(fn)


def test_histc_still_matches():
    check(lambda L, x: L.histc(x, 7), edgy("float32"), grad=False)
    check(lambda L, x: L.histc(x, 4, min=-0.5, max=0.5), edgy("float64"), grad=False)
