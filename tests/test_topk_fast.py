"""topk/kthvalue/sort/argsort on their fast paths (integer keys, partial sorts) against a plain
full stable sort written here, and against torch where installed."""

import numpy as np
import pytest

import ember
from oracle import arr, check

DTYPES = ["float16", "float32", "float64", "int8", "uint8", "int16", "int32", "int64", "bool"]


def _data(shape, dtype, seed, ties=True):
    rng = np.random.default_rng(seed)
    if dtype == "bool":
        return rng.random(shape) > 0.5
    if np.dtype(dtype).kind in "iu":
        if not ties:
            return rng.integers(-2 ** 20, 2 ** 20, shape).astype(dtype)
        lo = 0 if np.dtype(dtype).kind == "u" else -3
        return rng.integers(lo, 4, shape).astype(dtype)
    if not ties:
        return rng.standard_normal(shape).astype(dtype)
    x = (rng.integers(-4, 5, shape) * 0.5).astype(dtype)
    m = rng.random(shape)
    x[m < 0.05] = np.nan
    x[(m > 0.05) & (m < 0.08)] = -np.nan
    x[(m > 0.1) & (m < 0.13)] = np.inf
    x[(m > 0.13) & (m < 0.15)] = -np.inf
    x[(m > 0.2) & (m < 0.3)] = -0.0
    return x


def _ref_order(x, d, descending):
    """Stable order along d: NaN largest, -0.0 equal to 0.0, ties kept in position order."""
    x = np.moveaxis(x, d, -1)
    pos = np.broadcast_to(np.arange(x.shape[-1]), x.shape)
    if x.dtype.kind == "f":
        nan = np.isnan(x)
        v = np.where(nan, 0, x).astype(np.float64)
        v = np.where(v == 0, 0.0, v)  # -0.0 ties with 0.0
    else:
        nan = np.zeros(x.shape, bool)
        v = x.astype(np.int64)
    if descending:
        order = np.lexsort((pos, -v, ~nan), axis=-1)
    else:
        order = np.lexsort((pos, v, nan), axis=-1)
    return np.moveaxis(order, -1, d)


def _same(t, ref_values, ref_idx):
    v, i = t
    assert i.dtype is ember.int64
    assert np.array_equal(i.numpy(), ref_idx)
    assert np.array_equal(v.numpy(), ref_values, equal_nan=True)
    if v.numpy().dtype.kind == "f":  # -0.0 stays -0.0: the values are gathered, not computed
        assert np.array_equal(np.signbit(v.numpy()), np.signbit(ref_values))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", [(3, 200), (130, 5), (2, 70, 3)])
def test_topk_kthvalue_sort_match_stable_reference(dtype, shape):
    for seed, ties in ((0, True), (1, False)):
        x = _data(shape, dtype, seed, ties)
        e = ember.tensor(x)
        for d in range(x.ndim):
            n = x.shape[d]
            for desc in (False, True):
                order = _ref_order(x, d, desc)
                _same(ember.sort(e, d, descending=desc), np.take_along_axis(x, order, d), order)
                assert np.array_equal(ember.argsort(e, d, descending=desc).numpy(), order)
                for k in sorted({0, 1, 3, 10, n // 4, n // 2 + 1, n - 1, n} & set(range(n + 1))):
                    idx = np.take(order, np.arange(k), axis=d)
                    for srt in (True, False):
                        r = ember.topk(e, k, d, largest=desc, sorted=srt)
                        _same(r, np.take_along_axis(x, idx, d), idx)
            if dtype == "bool":
                continue  # torch has no kthvalue for bool
            order = _ref_order(x, d, False)
            for k in sorted({1, 2, n // 2, n}):
                idx = np.take(order, [k - 1], axis=d)
                _same(ember.kthvalue(e, k, d, keepdim=True), np.take_along_axis(x, idx, d), idx)


def test_topk_grad_after_partial_sort():
    x = np.random.default_rng(3).standard_normal((4, 300)).astype(np.float32)
    e = ember.tensor(x, requires_grad=True)
    v, i = ember.topk(e, 5)
    v.sum().backward()
    g = np.zeros_like(x)
    np.put_along_axis(g, i.numpy(), 1.0, 1)
    assert np.array_equal(e.grad.numpy(), g)


@pytest.mark.parametrize("dim", [0, 1, -1])
@pytest.mark.parametrize("largest", [True, False])
def test_topk_oracle(dim, largest):
    a = arr((70, 260), seed=5)
    check(lambda L, x: L.topk(x, 10, dim, largest=largest), a)
    check(lambda L, x: L.kthvalue(x, 17, dim), a)
    check(lambda L, x: L.sort(x, dim, descending=largest), a)
