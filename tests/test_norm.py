"""Normalisation ops and modules against torch, running statistics included."""

import numpy as np
import pytest

import ember
from ember.nn import _norm
from ember.nn.modules import batchnorm
from oracle import arr, check, check_error, requires_torch, torch


def F(L):
    return _norm if L is ember else torch.nn.functional


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("shape", [(4, 3), (3, 3, 5), (2, 3, 4, 5)])
def test_batch_norm_training(shape, dtype):
    C = shape[1]
    stats = {}

    def fn(L, x, w, b):
        rm, rv = L.zeros(C, dtype=getattr(L, dtype)), L.ones(C, dtype=getattr(L, dtype))
        y = F(L).batch_norm(x, rm, rv, w, b, training=True, momentum=0.3, eps=1e-3)
        stats[L.__name__] = (rm.numpy().copy(), rv.numpy().copy())
        return y
    check(fn, arr(shape, dtype), arr((C,), dtype, seed=1), arr((C,), dtype, seed=2),
          rtol=1e-4 if dtype == "float32" else 1e-9, atol=1e-5 if dtype == "float32" else 1e-9)
    if torch is not None:
        for a, b in zip(stats["ember"], stats["torch"]):
            np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_batch_norm_eval():
    rm, rv = arr((3,), seed=1), arr((3,), seed=2, low=0.5)  # running stats: not differentiated
    check(lambda L, x, w, b: F(L).batch_norm(x, L.tensor(rm), L.tensor(rv), w, b, training=False),
          arr((2, 3, 4, 4)), arr((3,), seed=3), arr((3,), seed=4))


def test_instance_norm():
    check(lambda L, x, w, b: F(L).instance_norm(x, weight=w, bias=b), arr((2, 3, 4, 5)),
          arr((3,), seed=1), arr((3,), seed=2), rtol=1e-4, atol=1e-5)


@requires_torch
def test_instance_norm_running_stats():
    x = arr((3, 2, 6))
    out = []
    for L in (ember, torch):
        rm, rv = L.zeros(2), L.ones(2)
        y = F(L).instance_norm(L.from_numpy(x), rm, rv, momentum=0.2)
        y2 = F(L).instance_norm(L.from_numpy(x), rm, rv, use_input_stats=False)
        out.append([y.numpy(), y2.numpy(), rm.numpy(), rv.numpy()])
    for a, b in zip(*out):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("shape,groups", [((2, 6, 5), 3), ((2, 4, 3, 3), 2), ((3, 4), 4)])
def test_group_norm(shape, groups):
    check(lambda L, x, w, b: F(L).group_norm(x, groups, w, b, eps=1e-4), arr(shape),
          arr((shape[1],), seed=1), arr((shape[1],), seed=2), rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("shape", [(2, 5, 7), (2, 6, 3, 4), (1, 4, 2, 3, 2)])
def test_local_response_norm(shape):
    check(lambda L, x: F(L).local_response_norm(x, 3, alpha=0.1, beta=0.6, k=2.0), arr(shape),
          rtol=1e-4, atol=1e-5)


ERRORS = [
    lambda L, x: F(L).batch_norm(x, L.zeros(4), L.ones(4)),
    lambda L, x: F(L).batch_norm(x, L.zeros(3), L.ones(3), weight=L.ones(4)),
    lambda L, x: F(L).batch_norm(x, None, None),
    lambda L, x: F(L).batch_norm(x[:1, :, 0, 0], L.zeros(3), L.ones(3), training=True),
    lambda L, x: F(L).group_norm(x, 2),
    lambda L, x: F(L).group_norm(x.reshape(2, 3, 16)[:, :2], 2, weight=L.ones(3)),
    lambda L, x: F(L).local_response_norm(x[0, 0], 2),
    lambda L, x: F(L).instance_norm(x[:, :, :1, 0]),
]


@pytest.mark.parametrize("fn", ERRORS)
def test_errors(fn):
    check_error(fn, arr((2, 3, 4, 4)))


def _pair(mod, name, *args, **kw):
    return getattr(mod, name)(*args, **kw), getattr(torch.nn, name)(*args, **kw)


@requires_torch
@pytest.mark.parametrize("name,kw,shape", [
    ("BatchNorm1d", dict(), (4, 3)),
    ("BatchNorm1d", dict(momentum=None), (4, 3, 5)),
    ("BatchNorm2d", dict(affine=False, eps=1e-3), (2, 3, 4, 4)),
    ("BatchNorm2d", dict(track_running_stats=False), (2, 3, 4, 4)),
    ("BatchNorm3d", dict(bias=False), (2, 3, 2, 3, 2)),
])
def test_batchnorm_modules(name, kw, shape):
    e, t = _pair(batchnorm, name, 3, **kw)
    assert repr(e) == repr(t)
    assert list(e.state_dict()) == list(t.state_dict())
    for step in range(3):
        x = arr(shape, seed=step)
        check(lambda L, x: (e if L is ember else t)(x * 2 + 1), x, rtol=1e-4, atol=1e-5)
    for k, v in t.state_dict().items():
        np.testing.assert_allclose(e.state_dict()[k].numpy(), v.numpy(), rtol=1e-5, atol=1e-6)
    e.eval()
    t.eval()
    check(lambda L, x: (e if L is ember else t)(x), arr(shape, seed=9), rtol=1e-4, atol=1e-5)


@requires_torch
def test_batchnorm_loads_old_state_dict():
    e = batchnorm.BatchNorm2d(3)
    sd = {k: v for k, v in e.state_dict().items() if k != "num_batches_tracked"}
    e.num_batches_tracked.add_(5)
    e.load_state_dict(sd)
    assert int(e.num_batches_tracked) == 5


@requires_torch
@pytest.mark.parametrize("name,args,kw,shape", [
    ("GroupNorm", (2, 4), dict(), (2, 4, 3, 3)),
    ("GroupNorm", (2, 4), dict(affine=False), (2, 4, 5)),
    ("InstanceNorm1d", (3,), dict(affine=True), (2, 3, 6)),
    ("InstanceNorm2d", (3,), dict(track_running_stats=True), (2, 3, 4, 4)),
    ("InstanceNorm2d", (3,), dict(), (3, 4, 4)),
    ("LocalResponseNorm", (2,), dict(), (2, 4, 3, 3)),
])
def test_other_norm_modules(name, args, kw, shape):
    e, t = _pair(ember.nn, name, *args, **kw)
    assert repr(e) == repr(t)
    assert list(e.state_dict()) == list(t.state_dict())
    check(lambda L, x: (e if L is ember else t)(x), arr(shape), rtol=1e-4, atol=1e-5)
    for k, v in t.state_dict().items():
        np.testing.assert_allclose(e.state_dict()[k].numpy(), v.numpy(), rtol=1e-5, atol=1e-6)
