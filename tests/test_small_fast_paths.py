"""The cheaper paths small tensors take (per-op overhead, issue 15) give what the general paths
give: expand views made by ndarray's constructor, the read-only broadcast gradient of a full
sum, ReLU's gradient by `where` below the bit-mask size, and the engine's skipped sum_to."""

import numpy as np
import pytest
from tests.oracle import torch

import ember
from ember import _layout

requires_torch = pytest.mark.skipif(torch is None, reason="torch (the oracle) is not installed")


def test_as_strided_views_a_contiguous_array():
    a = np.arange(12, dtype=np.float32).reshape(3, 4)
    v = _layout._as_strided(a, (2, 3, 4), (0, 16, 4))
    assert np.shares_memory(v, a) and v.flags.writeable
    np.testing.assert_array_equal(v, np.broadcast_to(a, (2, 3, 4)))
    a[1, 2] = -7.0  # the same memory
    assert v[0, 1, 2] == v[1, 1, 2] == -7.0
    ro = a.copy()
    ro.flags.writeable = False
    assert not _layout._as_strided(ro, (2, 3, 4), (0, 16, 4)).flags.writeable


def test_as_strided_outside_the_array_falls_back():
    base = np.arange(10, dtype=np.float64)
    head = base[:3]  # contiguous, but the view reaches past its three elements
    v = _layout._as_strided(head, (5,), (8,))
    np.testing.assert_array_equal(v, base[:5])
    nc = base[::2]  # not contiguous: as_strided's way
    np.testing.assert_array_equal(_layout._as_strided(nc, (2, 5), (0, 16)),
                                  np.broadcast_to(nc, (2, 5)))


def test_expand_shares_memory_and_its_grad_sums_back():
    x = ember.tensor([[1.0], [2.0]], requires_grad=True)
    y = x.expand(2, 3)
    assert y.stride() == (1, 0)
    with ember.no_grad():
        x[1, 0] = 5.0
    assert y.tolist() == [[1.0, 1.0, 1.0], [5.0, 5.0, 5.0]]
    (y * ember.tensor([1.0, 2.0, 3.0])).sum().backward()
    assert x.grad.tolist() == [[6.0], [6.0]]


def test_full_sum_gradient_is_a_fresh_leaf_grad():
    x = ember.ones(3, 4, requires_grad=True)
    x.sum().backward()
    g = x.grad
    assert g.shape == (3, 4) and g.tolist() == [[1.0] * 4] * 3
    g.add_(1.0)  # the leaf's grad is its own writable array, not the broadcast view
    assert g.tolist() == [[2.0] * 4] * 3
    z = ember.ones(2, requires_grad=True) * 1.0
    z.retain_grad()
    z.sum().backward()
    assert z.grad.tolist() == [1.0, 1.0]
    if torch is not None:  # the retained grad's layout is torch's
        t = torch.ones(2, requires_grad=True) * 1.0
        t.retain_grad()
        t.sum().backward()
        assert z.grad.stride() == t.grad.stride()


@requires_torch
@pytest.mark.parametrize("shape", [(4, 16), (3, 5), (64, 128)])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_relu_grad_small_and_large_match_torch(shape, dtype):
    rng = np.random.default_rng(3)
    x = rng.standard_normal(shape).astype(dtype)
    g = rng.standard_normal(shape).astype(dtype)
    x.reshape(-1)[:4] = [0.0, -0.0, np.nan, np.inf]
    g.reshape(-1)[4:8] = [np.nan, np.inf, -0.0, -np.inf]
    x.reshape(-1)[4:8] = [1.0, 2.0, 3.0, -1.0]
    got, want = [], []
    for lib, out in ((ember, got), (torch, want)):
        t = lib.tensor(x, requires_grad=True)
        lib.relu(t).backward(lib.tensor(g))
        out.append(t.grad.numpy())
    assert got[0].dtype == want[0].dtype
    assert np.array_equal(got[0], want[0], equal_nan=True)
    assert np.array_equal(np.signbit(got[0]), np.signbit(want[0]))


def test_engine_still_sums_broadcast_gradients():
    b = ember.zeros(3, requires_grad=True)
    x = ember.ones(4, 3)
    (x + b).sum().backward()
    assert b.grad.shape == (3,) and b.grad.tolist() == [4.0, 4.0, 4.0]
    h = ember.zeros(1, dtype=ember.float64, requires_grad=True)
    (ember.ones(2, 3, dtype=ember.float64) * h).sum().backward()
    assert h.grad.tolist() == [6.0]
