"""Small parameters stepped together (ember.optim._batched): the same bits as one by one and as
torch, state written back into the same tensors, batches split by step count and state."""

import copy

import numpy as np
import pytest
from tests.oracle import requires_torch, torch

import ember
from ember.optim import _batched

SHAPES = [(40, 30), (30,), (16, 3, 3, 3), (16,), (10, 64), (10,), (1,), (3, 1, 2), (9000,)]

# SGD is not batched by default (its update is cheaper than the gathering); `batch_sgd` turns it on
# to check the machinery on an optimizer whose state appears during its first update
CASES = [
    ("SGD", {"lr": 0.05}),
    ("SGD", {"lr": 0.05, "momentum": 0.9}),
    ("SGD", {"lr": 0.05, "momentum": 0.9, "nesterov": True, "weight_decay": 0.01}),
    ("SGD", {"lr": 0.05, "momentum": 0.8, "dampening": 0.3, "maximize": True}),
    ("Adam", {"lr": 0.01}),
    ("Adam", {"lr": 0.01, "amsgrad": True, "weight_decay": 0.1, "maximize": True}),
    ("AdamW", {"lr": 0.01, "betas": (0.8, 0.95)}),
]


@pytest.fixture(autouse=True)
def batch_sgd(monkeypatch):
    monkeypatch.setattr(ember.optim.SGD, "_batchable", True, raising=False)


def test_adam_is_batched_and_sgd_is_not_by_default(monkeypatch):
    monkeypatch.undo()
    assert ember.optim.Adam._batchable and ember.optim.AdamW._batchable
    assert not ember.optim.SGD._batchable
    calls = []
    real = _batched.step_batched
    monkeypatch.setattr(_batched, "step_batched", lambda *a: calls.append(a) or real(*a))
    _run(ember, "Adam", {"lr": 0.01}, steps=1)
    small = [s for s in SHAPES if np.prod(s) <= _batched.SMALL]
    assert len(calls) == 1 and len(calls[0][2]) == len(small) == len(SHAPES) - 1


def _run(lib, name, kw, steps=4, seed=0, dtype=np.float32):
    rng = np.random.default_rng(seed)
    ps = [lib.tensor(rng.standard_normal(s).astype(dtype), requires_grad=True) for s in SHAPES]
    opt = getattr(lib.optim, name)(ps, **kw)
    for _ in range(steps):
        for p in ps:
            p.grad = lib.tensor(rng.standard_normal(tuple(p.shape)).astype(dtype))
        opt.step()
    return ps, opt


def _state_arrays(opt, ps):
    out = []
    for p in ps:
        for k, v in sorted(opt.state[p].items()):
            out.append((k, np.array(v.detach().numpy())))
    return out


@pytest.mark.parametrize("name,kw", CASES)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_batched_equals_one_by_one(monkeypatch, name, kw, dtype):
    ps, opt = _run(ember, name, kw, dtype=dtype)
    monkeypatch.setattr(_batched, "SMALL", 0)  # every parameter alone
    qs, opt1 = _run(ember, name, kw, dtype=dtype)
    for p, q in zip(ps, qs):
        assert p.detach().numpy().tobytes() == q.detach().numpy().tobytes()
    a, b = _state_arrays(opt, ps), _state_arrays(opt1, qs)
    assert [k for k, _ in a] == [k for k, _ in b]
    for (_, x), (_, y) in zip(a, b):
        assert x.dtype == y.dtype and x.shape == y.shape and x.tobytes() == y.tobytes()


@requires_torch
@pytest.mark.parametrize("name,kw", CASES)
def test_batched_matches_torch(name, kw):
    ps, opt = _run(ember, name, kw)
    tps, topt = _run(torch, name, kw)
    # SGD: the same bits. Adam: torch's float32 sqrt (MKL's) is one ulp off on some CPUs (AMD),
    # so a few ulps here; the bits are checked step by step against torch in test_optim and
    # against the one-by-one path above
    check = np.testing.assert_array_equal if name == "SGD" else (
        lambda x, y: np.testing.assert_allclose(x, y, rtol=2e-6, atol=1e-7))
    for p, t in zip(ps, tps):
        check(p.detach().numpy(), t.detach().numpy())
    for (k, x), (tk, y) in zip(_state_arrays(opt, ps), _state_arrays(topt, tps)):
        assert k == tk
        assert x.dtype == y.dtype and x.shape == y.shape
        check(x, y)


def test_state_tensors_are_kept_and_written_in_place():
    ps, opt = _run(ember, "Adam", {"lr": 0.01}, steps=1)
    before = {id(p): (opt.state[p]["exp_avg"], opt.state[p]["step"]) for p in ps}
    snap = {id(p): opt.state[p]["exp_avg"].clone() for p in ps}
    views = [p.view(-1) for p in ps]  # views made before the step see its update
    for p in ps:
        p.grad = ember.ones(*p.shape)
    opt.step()
    for p, v in zip(ps, views):
        m, step = before[id(p)]
        assert opt.state[p]["exp_avg"] is m and opt.state[p]["step"] is step
        assert float(step) == 2.0
        assert not np.array_equal(m.numpy(), snap[id(p)].numpy())
        assert np.shares_memory(v.detach().numpy(), p.detach().numpy())
        np.testing.assert_array_equal(v.detach().numpy(), p.detach().numpy().reshape(-1))


def test_parameters_at_different_steps_keep_their_own_counts():
    a, b = ember.zeros(5, requires_grad=True), ember.zeros(7, requires_grad=True)
    opt = ember.optim.Adam([a, b], lr=0.1)
    a.grad = ember.ones(5)
    opt.step()  # b has no grad yet: its state starts later
    b.grad = ember.ones(7)
    a.grad = ember.ones(5)
    opt.step()
    assert float(opt.state[a]["step"]) == 2.0 and float(opt.state[b]["step"]) == 1.0
    if torch is not None:
        ta, tb = torch.zeros(5, requires_grad=True), torch.zeros(7, requires_grad=True)
        topt = torch.optim.Adam([ta, tb], lr=0.1)
        ta.grad = torch.ones(5)
        topt.step()
        tb.grad, ta.grad = torch.ones(7), torch.ones(5)
        topt.step()
        np.testing.assert_array_equal(a.detach().numpy(), ta.detach().numpy())
        np.testing.assert_array_equal(b.detach().numpy(), tb.detach().numpy())


def test_sgd_first_momentum_buffers_are_separate_arrays():
    ps, opt = _run(ember, "SGD", {"lr": 0.1, "momentum": 0.9}, steps=1)
    bufs = [opt.state[p]["momentum_buffer"] for p in ps]
    assert [tuple(b.shape) for b in bufs] == [tuple(p.shape) for p in ps]
    for i, b in enumerate(bufs):
        for c in bufs[i + 1:]:
            assert not np.shares_memory(b.numpy(), c.numpy())
    sd = copy.deepcopy(opt.state_dict())
    opt2 = ember.optim.SGD(ps, lr=0.1, momentum=0.9)
    opt2.load_state_dict(sd)
    for p in ps:
        p.grad = ember.ones(*p.shape)
    want = [p.detach().clone() for p in ps]
    opt.step()
    got = [p.detach().clone() for p in ps]
    for p, w in zip(ps, want):
        p.data.copy_(w)
    opt2.step()
    for p, g in zip(ps, got):
        assert p.detach().numpy().tobytes() == g.numpy().tobytes()
