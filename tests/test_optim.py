"""Optimizers against live torch: 50 steps on identical grads, state_dicts in torch's format.

Torch fuses multiply-adds and its float32 sqrt is not correctly rounded, so ember's in-place
NumPy updates agree to a few ulps: parameters are compared with rtol 1e-6 (1e-12 in float64)
plus the same tolerance relative to the largest parameter, for values that cancelled to near 0.
"""

import copy
import pickle
import re

import numpy as np
import pytest

import ember
import ember.optim
from ember.optim import _batched
from oracle import requires_torch, torch

SHAPES = [(7, 5), (5,), (3, 4, 2)]

CASES = [
    ("SGD", dict(lr=0.1)),
    ("SGD", dict(lr=0.1, momentum=0.9)),
    ("SGD", dict(lr=0.1, momentum=0.9, dampening=0.3, weight_decay=0.1)),
    ("SGD", dict(lr=0.05, momentum=0.9, nesterov=True, maximize=True)),
    ("Adam", dict(lr=0.01)),
    ("Adam", dict(lr=0.01, amsgrad=True, weight_decay=0.1, maximize=True)),
    ("Adam", dict(lr=0.01, weight_decay=0.1, decoupled_weight_decay=True)),
    ("AdamW", dict(lr=0.01)),
    ("AdamW", dict(lr=0.01, amsgrad=True, betas=(0.3, 0.6), eps=1e-3)),
    ("RMSprop", dict()),
    ("RMSprop", dict(centered=True)),
    ("RMSprop", dict(centered=True, momentum=0.9, weight_decay=0.1)),
    ("RMSprop", dict(momentum=0.5, maximize=True, alpha=0.7)),
    ("Adagrad", dict()),
    ("Adagrad", dict(lr_decay=0.01, weight_decay=0.1, initial_accumulator_value=0.5,
                     maximize=True)),
    ("Adadelta", dict()),
    ("Adadelta", dict(weight_decay=0.1, rho=0.5, maximize=True)),
    ("Adamax", dict()),
    ("Adamax", dict(weight_decay=0.1, maximize=True, betas=(0.5, 0.7))),
    ("NAdam", dict()),
    ("NAdam", dict(weight_decay=0.1, momentum_decay=0.01)),
    ("NAdam", dict(weight_decay=0.1, decoupled_weight_decay=True, maximize=True)),
    ("RAdam", dict()),
    ("RAdam", dict(weight_decay=0.1)),
    ("RAdam", dict(weight_decay=0.1, decoupled_weight_decay=True, betas=(0.5, 0.9))),
    ("ASGD", dict()),
    ("ASGD", dict(lr=0.05, lambd=0.01, alpha=0.5, t0=10, weight_decay=0.1, maximize=True)),
    ("Rprop", dict()),
    ("Rprop", dict(lr=0.05, etas=(0.3, 1.5), step_sizes=(1e-3, 0.2), maximize=True)),
    ("Adafactor", dict()),
    ("Adafactor", dict(lr=0.05, beta2_decay=-0.5, eps=(1e-20, 1e-2), d=2.0, weight_decay=0.1,
                       maximize=True)),
]
IDS = [f"{name}-{'-'.join(f'{k}={v}' for k, v in kw.items()) or 'default'}" for name, kw in CASES]


def _params(lib, arrays):
    return [lib.from_numpy(a.copy()).requires_grad_() for a in arrays]


def _pair(name, kw, dtype=np.float32, seed=0, groups=False):
    rng = np.random.default_rng(seed)
    init = [rng.standard_normal(s).astype(dtype) for s in SHAPES]
    ep, tp = _params(ember, init), _params(torch, init)
    if groups:  # two groups, the second with its own lr
        eo = getattr(ember.optim, name)([{"params": ep[:2]}, {"params": ep[2:], "lr": 0.003}],
                                        **kw)
        to = getattr(torch.optim, name)([{"params": tp[:2]}, {"params": tp[2:], "lr": 0.003}],
                                        **kw)
    else:
        eo, to = getattr(ember.optim, name)(ep, **kw), getattr(torch.optim, name)(tp, **kw)
    return rng, ep, tp, eo, to


def _feed(rng, ep, tp, skip=None):
    for i, (e, t) in enumerate(zip(ep, tp)):
        if i == skip:
            e.grad = t.grad = None
            continue
        g = rng.standard_normal(tuple(e.shape)).astype(e.detach().numpy().dtype)
        e.grad, t.grad = ember.from_numpy(g.copy()), torch.from_numpy(g.copy())


def _steps(rng, ep, tp, eo, to, n, skip=None):
    for i in range(n):
        _feed(rng, ep, tp, skip=skip if i % 3 == 1 else None)
        eo.step()
        to.step()


def _close(e, t, what=""):
    a = e.detach().numpy() if hasattr(e, "detach") else np.asarray(e)
    b = t.detach().numpy()
    assert a.dtype == b.dtype, what
    tol = 1e-6 if b.dtype == np.float32 else 1e-12
    scale = float(np.abs(b).max()) if b.size else 0.0
    np.testing.assert_allclose(a, b, rtol=tol, atol=tol * scale, err_msg=what)


def _same_params(ep, tp):
    for i, (e, t) in enumerate(zip(ep, tp)):
        _close(e, t, f"param {i}")


def _same_state_dict(esd, tsd):
    assert esd["param_groups"] == tsd["param_groups"]
    assert list(esd["state"]) == list(tsd["state"])
    for k, ts in tsd["state"].items():
        es = esd["state"][k]
        assert list(es) == list(ts), k
        for name, tv in ts.items():
            ev = es[name]
            assert isinstance(ev, ember.Tensor), name
            assert str(ev.dtype) == str(tv.dtype) and tuple(ev.shape) == tuple(tv.shape), name
            _close(ev, tv, f"state {k} {name}")


def _to_ember(obj):
    if isinstance(obj, torch.Tensor):
        return ember.from_numpy(obj.detach().numpy().copy())
    if isinstance(obj, dict):
        return {k: _to_ember(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return type(obj)(_to_ember(v) for v in obj)
    return obj


def _to_torch(obj):
    if isinstance(obj, ember.Tensor):
        return torch.from_numpy(obj.detach().numpy().copy())
    if isinstance(obj, dict):
        return {k: _to_torch(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return type(obj)(_to_torch(v) for v in obj)
    return obj


@requires_torch
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name,kw", CASES, ids=IDS)
def test_fifty_steps_match_torch(name, kw, dtype):
    rng, ep, tp, eo, to = _pair(name, kw, dtype)
    _steps(rng, ep, tp, eo, to, 50)
    _same_params(ep, tp)
    _same_state_dict(eo.state_dict(), to.state_dict())


@requires_torch
@pytest.mark.parametrize("name,kw", CASES, ids=IDS)
def test_groups_and_missing_grads(name, kw):
    rng, ep, tp, eo, to = _pair(name, kw, groups=True, seed=1)
    _steps(rng, ep, tp, eo, to, 12, skip=1)
    _same_params(ep, tp)
    _same_state_dict(eo.state_dict(), to.state_dict())


@requires_torch
@pytest.mark.parametrize("name,kw", CASES[1::2], ids=IDS[1::2])
def test_load_torch_state_dict_and_continue(name, kw):
    rng, ep, tp, eo, to = _pair(name, kw, groups=True, seed=2)
    _steps(rng, ep, tp, eo, to, 7)
    fresh = getattr(ember.optim, name)([{"params": ep[:2]}, {"params": ep[2:], "lr": 0.5}], **kw)
    fresh.load_state_dict(_to_ember(to.state_dict()))
    assert fresh.param_groups[1]["lr"] == 0.003
    _same_state_dict(fresh.state_dict(), to.state_dict())
    _steps(rng, ep, tp, fresh, to, 8)
    _same_params(ep, tp)
    # and back: ember's state_dict loads into torch
    tfresh = getattr(torch.optim, name)([{"params": tp[:2]}, {"params": tp[2:]}], **kw)
    tfresh.load_state_dict(_to_torch(fresh.state_dict()))
    _steps(rng, ep, tp, fresh, tfresh, 5)
    _same_params(ep, tp)


@requires_torch
def test_param_groups_keys_and_repr_match_torch():
    for name, kw in CASES:
        _, ep, tp, eo, to = _pair(name, kw)
        assert eo.param_groups[0].keys() == to.param_groups[0].keys(), name
        assert eo.defaults == to.defaults, name
        assert repr(eo) == repr(to), name


@requires_torch
def test_adagrad_state_exists_before_first_step():
    _, ep, tp, eo, to = _pair("Adagrad", dict(initial_accumulator_value=0.25))
    _same_state_dict(eo.state_dict(), to.state_dict())


@requires_torch
def test_float64_default_dtype_makes_float64_step():
    ember.set_default_dtype(ember.float64)
    torch.set_default_dtype(torch.float64)
    try:
        rng, ep, tp, eo, to = _pair("Adam", {})
        _steps(rng, ep, tp, eo, to, 2)
        _same_state_dict(eo.state_dict(), to.state_dict())
    finally:
        ember.set_default_dtype(ember.float32)
        torch.set_default_dtype(torch.float32)


@requires_torch
@pytest.mark.parametrize("make", [
    lambda L, p: L.optim.SGD(p, lr=-1),
    lambda L, p: L.optim.SGD(p, momentum=-0.1),
    lambda L, p: L.optim.SGD(p, weight_decay=-1),
    lambda L, p: L.optim.SGD(p, nesterov=True),
    lambda L, p: L.optim.Adam(p, betas=(1.0, 0.9)),
    lambda L, p: L.optim.Adam(p, betas=(0.9, 1.5)),
    lambda L, p: L.optim.Adam(p, betas=(0, 0.9)),
    lambda L, p: L.optim.Adam(p, eps=-1),
    lambda L, p: L.optim.RMSprop(p, alpha=-1),
    lambda L, p: L.optim.Adagrad(p, lr_decay=-1),
    lambda L, p: L.optim.Adagrad(p, initial_accumulator_value=-1),
    lambda L, p: L.optim.Adadelta(p, rho=1.5),
    lambda L, p: L.optim.NAdam(p, momentum_decay=-1),
    lambda L, p: L.optim.ASGD(p, lr=-1),
    lambda L, p: L.optim.ASGD(p, weight_decay=-1),
    lambda L, p: L.optim.Rprop(p, etas=(1.5, 1.2)),
    lambda L, p: L.optim.Adafactor(p, beta2_decay=0.5),
    lambda L, p: L.optim.Adafactor(p, eps=(-1, 1e-3)),
    lambda L, p: L.optim.Adafactor(p, d=0.5),
    lambda L, p: L.optim.Adafactor(p, lr=-1),
    lambda L, p: L.optim.SGD([], lr=0.1),
    lambda L, p: L.optim.SGD(p[0], lr=0.1),
    lambda L, p: L.optim.SGD([p[0], 3], lr=0.1),
    lambda L, p: L.optim.SGD([{"params": {p[0]}}], lr=0.1),
    lambda L, p: L.optim.SGD([{"params": p[:1]}, {"params": p[:2]}], lr=0.1),
    lambda L, p: L.optim.SGD([{"params": p[:1]}], lr=0.1).add_param_group(p[1]),
    lambda L, p: L.optim.SGD([p[0] * 2], lr=0.1),
    lambda L, p: L.optim.SGD([("a", p[0]), p[1]], lr=0.1),
    lambda L, p: L.optim.SGD([{"params": p[:1]}], lr=0.1).add_param_group({"params": 3}),
])
def test_errors_match_torch(make):
    results = []
    for lib in (ember, torch):
        p = [lib.zeros(2, requires_grad=True), lib.zeros(3, requires_grad=True)]
        with pytest.raises(Exception) as info:
            make(lib, p)
        results.append((type(info.value).__name__, str(info.value)))
    assert results[0] == results[1]


@requires_torch
def test_load_state_dict_errors_match_torch():
    for lib in (ember, torch):
        a, b = lib.zeros(2, requires_grad=True), lib.zeros(3, requires_grad=True)
        sd = lib.optim.SGD([a, b], lr=0.1).state_dict()
        with pytest.raises(ValueError, match="different number of parameter groups"):
            lib.optim.SGD([{"params": [a]}, {"params": [b]}], lr=0.1).load_state_dict(sd)
        with pytest.raises(ValueError, match="doesn't match the size"):
            lib.optim.SGD([a], lr=0.1).load_state_dict(sd)


def test_named_params_and_param_names_in_state_dict():
    a, b = ember.zeros(2, requires_grad=True), ember.zeros(3, requires_grad=True)
    opt = ember.optim.Adam([("w", a), ("b", b)])
    sd = opt.state_dict()
    assert sd["param_groups"][0]["param_names"] == ["w", "b"]
    assert sd["param_groups"][0]["params"] == [0, 1]


def test_step_updates_in_place_and_bumps_version():
    p = ember.ones(4, requires_grad=True)
    buf, version = p._data, p._version
    p.grad = ember.ones(4)
    opt = ember.optim.SGD([p], lr=0.5, momentum=0.9)
    opt.step()
    assert p._data is buf and p._version == version + 1
    np.testing.assert_array_equal(p.detach().numpy(), np.full(4, 0.5, np.float32))
    np.testing.assert_array_equal(p.grad.numpy(), np.ones(4, np.float32))  # grad untouched
    opt.step()  # b = 0.9 + 1 = 1.9: p = 0.5 - 0.95
    np.testing.assert_allclose(p.detach().numpy(), np.float32(0.5) - np.float32(0.95))


def test_no_state_for_plain_sgd_and_no_grad_params():
    a, b = ember.zeros(2, requires_grad=True), ember.zeros(3, requires_grad=True)
    a.grad = ember.ones(2)
    plain = ember.optim.SGD([a, b], lr=0.1)
    plain.step()
    assert plain.state_dict()["state"] == {}
    adam = ember.optim.Adam([a, b])
    adam.step()
    assert list(adam.state_dict()["state"]) == [0]


def test_zero_grad():
    p = ember.zeros(3, requires_grad=True)
    opt = ember.optim.SGD([p], lr=0.1)
    p.grad = ember.ones(3)
    g = p.grad
    opt.zero_grad(set_to_none=False)
    assert p.grad is g and not p.grad.detach().numpy().any()
    opt.zero_grad()
    assert p.grad is None


def test_closure_and_hooks():
    p = ember.ones(2, requires_grad=True)
    opt = ember.optim.SGD([p], lr=0.1)
    calls = []

    def closure():
        opt.zero_grad()
        loss = (p * p).sum()
        loss.backward()
        return loss

    h1 = opt.register_step_pre_hook(lambda o, a, k: calls.append("pre"))
    h2 = opt.register_step_post_hook(lambda o, a, k: calls.append("post"))
    loss = opt.step(closure)
    assert float(loss) == 2.0 and calls == ["pre", "post"]
    np.testing.assert_allclose(p.detach().numpy(), [0.8, 0.8])
    h1.remove()
    h2.remove()
    opt.step(closure)
    assert calls == ["pre", "post"]


def test_custom_subclass_with_its_own_step():
    class Plain(ember.optim.Optimizer):
        def __init__(self, params, lr):
            super().__init__(params, {"lr": lr})

        def step(self, closure=None):
            with ember.no_grad():
                for group in self.param_groups:
                    for p in group["params"]:
                        p.sub_(group["lr"] * p.grad)

    p = ember.ones(2, requires_grad=True)
    p.grad = ember.ones(2)
    opt = Plain([p], lr=0.25)
    seen = []
    opt.register_step_post_hook(lambda o, a, k: seen.append(1))
    opt.step()
    np.testing.assert_allclose(p.detach().numpy(), [0.75, 0.75])
    assert seen == [1]


def test_state_dict_roundtrip_without_torch():
    rng = np.random.default_rng(0)
    ps = [ember.from_numpy(rng.standard_normal(s).astype(np.float32)).requires_grad_()
          for s in SHAPES]
    grads = [[rng.standard_normal(s).astype(np.float32) for s in SHAPES] for _ in range(6)]

    def step(opt, params, gs):
        for p, g in zip(params, gs):
            p.grad = ember.from_numpy(g.copy())
        opt.step()

    a = ember.optim.Adam(ps, lr=0.01, amsgrad=True)
    for gs in grads[:3]:
        step(a, ps, gs)
    qs = [ember.from_numpy(p.detach().numpy().copy()).requires_grad_() for p in ps]
    b = ember.optim.Adam(qs, lr=0.5, amsgrad=True)
    b.load_state_dict(copy.deepcopy(a.state_dict()))
    for gs in grads[3:]:
        step(a, ps, gs)
        step(b, qs, gs)
    for p, q in zip(ps, qs):
        np.testing.assert_array_equal(p.detach().numpy(), q.detach().numpy())
    c = pickle.loads(pickle.dumps(a))
    assert c.param_groups[0]["lr"] == 0.01 and len(c.state) == 3


@requires_torch
@pytest.mark.parametrize("name,kw", [("SGD", dict(lr=0.05, momentum=0.9)), ("Adam", {})])
def test_training_loop_with_nn_linear(name, kw):
    import ember.nn  # noqa: F401

    torch.manual_seed(0)
    tm = torch.nn.Sequential(torch.nn.Linear(6, 5), torch.nn.ReLU(), torch.nn.Linear(5, 3))
    em = ember.nn.Sequential(ember.nn.Linear(6, 5), ember.nn.ReLU(), ember.nn.Linear(5, 3))
    em.load_state_dict({k: ember.from_numpy(v.numpy().copy()) for k, v in
                        tm.state_dict().items()})
    eo = getattr(ember.optim, name)(em.parameters(), **kw)
    to = getattr(torch.optim, name)(tm.parameters(), **kw)
    es = ember.optim.lr_scheduler.StepLR(eo, 3, gamma=0.5)
    ts = torch.optim.lr_scheduler.StepLR(to, 3, gamma=0.5)
    rng = np.random.default_rng(0)
    for _ in range(10):
        x = rng.standard_normal((8, 6)).astype(np.float32)
        y = rng.standard_normal((8, 3)).astype(np.float32)
        for lib, model, opt, sched in ((ember, em, eo, es), (torch, tm, to, ts)):
            opt.zero_grad()
            loss = ((model(lib.from_numpy(x.copy())) - lib.from_numpy(y.copy())) ** 2).mean()
            loss.backward()
            opt.step()
            sched.step()
    for (k, e), t in zip(em.state_dict().items(), tm.state_dict().values()):
        np.testing.assert_allclose(e.numpy(), t.numpy(), rtol=1e-5, atol=1e-6, err_msg=k)


def test_scratch_is_bounded_by_the_largest_parameter():
    shapes = [(40, 30), (30,), (30, 20), (20,), (20, 7), (7,)]
    ps = [ember.zeros(*s, requires_grad=True) for s in shapes]
    for p in ps:
        p.grad = ember.ones(*p.shape)
    opt = ember.optim.AdamW(ps, amsgrad=True, maximize=True)
    for _ in range(2):
        opt.step()
    # the largest parameter, or the largest batch of small ones stepped together
    biggest = max(40 * 30, sum(p.numel() for p in ps if p.numel() <= _batched.SMALL)) * 4
    assert sum(f.nbytes for f in opt._flat.values()) <= 6 * biggest
    many = [ember.zeros(8192, requires_grad=True) for _ in range(40)]  # 327,680 elements
    for p in many:
        p.grad = ember.ones(8192)
    opt = ember.optim.AdamW(many, amsgrad=True, maximize=True)
    opt.step()
    assert sum(f.nbytes for f in opt._flat.values()) <= 6 * _batched.LIMIT * 4


@requires_torch
def test_non_contiguous_parameters_and_grads():
    rng = np.random.default_rng(3)
    a = np.asfortranarray(rng.standard_normal((5, 4)).astype(np.float32))
    ep, tp = ember.from_numpy(a.copy(order="K")), torch.from_numpy(a.copy(order="K"))
    ep.requires_grad_()
    tp.requires_grad_()
    eo, to = ember.optim.Adam([ep], lr=0.1), torch.optim.Adam([tp], lr=0.1)
    for _ in range(5):
        g = rng.standard_normal((4, 5)).astype(np.float32).T  # a transposed view
        ep.grad, tp.grad = ember.from_numpy(g), torch.from_numpy(g)
        eo.step()
        to.step()
    assert ep.stride() == tp.stride()
    _close(ep, tp)


@requires_torch
def test_adafactor_refuses_complex_parameters_at_step():
    for lib in (ember, torch):
        p = lib.zeros(2, dtype=lib.complex64, requires_grad=True)
        p.grad = lib.ones(2, dtype=lib.complex64)
        with pytest.raises(RuntimeError, match="^Adafactor does not support complex parameters$"):
            lib.optim.Adafactor([p]).step()


@requires_torch
@pytest.mark.parametrize("name", ["ASGD", "Rprop"])
def test_complex_parameters_step_as_real_pairs(name):
    out = []
    for lib in (ember, torch):
        p = lib.tensor([1 + 2j, -3 + 0.5j], requires_grad=True)
        opt = getattr(lib.optim, name)([p], lr=0.1)
        for k in range(3):
            p.grad = lib.tensor([0.5 - 1j * k, -2 + 1j])
            opt.step()
        out.append(p.detach().numpy().copy())
    np.testing.assert_allclose(out[0], out[1], rtol=1e-6)



@pytest.mark.parametrize("name,what", [
    ("Adam", "params and state_steps"), ("AdamW", "params and state_steps"),
    ("Adamax", "params and state_steps"), ("RAdam", "params and state_steps"),
    ("RMSprop", "params and state_steps"), ("Rprop", "params and state_steps"),
    ("NAdam", "params, mu_products and state_steps"),
    ("ASGD", "params, mus, etas, and state_steps"), ("Adadelta", "params and state_steps")])
def test_capturable_on_cpu_refused_at_step(name, what):
    """capturable=True was stored and ignored; torch refuses it at step() for CPU parameters
    that have a grad (CUDA graphs cannot capture them)."""
    p = ember.nn.Parameter(ember.randn(3))
    opt = getattr(ember.optim, name)([p], lr=0.01, capturable=True)
    opt.step()  # no grad yet: nothing to check, as torch
    p.grad = ember.randn(3)
    with pytest.raises(AssertionError, match=f"If capturable=True, {re.escape(what)} must be on "
                                             "supported devices"):
        opt.step()


_ZERO_D = [("Adafactor", {}), ("SGD", dict(lr=0.0)),
           ("SGD", dict(lr=0.1, momentum=0.9, dampening=1.0)), ("Adam", dict(betas=(0.0, 0.99))),
           ("NAdam", dict(betas=(0.0, 0.99))), ("RAdam", dict(betas=(0.0, 0.99))),
           ("Adamax", dict(betas=(0.0, 0.99))), ("RMSprop", dict(alpha=0.0, centered=True))]


@pytest.mark.parametrize("name,kw", _ZERO_D)
def test_zero_dim_float32_parameter(name, kw):
    """A 0-d float32 parameter through a multiply-add whose factor is 0 (Adafactor's first
    step): NumPy's 0-d multiply gives a scalar, which the fused add could not write into."""
    def run(L):
        p = L.tensor(1.5, requires_grad=True)
        opt = getattr(L.optim, name)([p], **kw)
        for g in (0.3, -0.2, 0.1):
            p.grad = L.tensor(g)
            opt.step()
        return p.item()
    got = run(ember)
    assert got == got or name == "RMSprop"  # (torch's centered RMSprop with alpha 0 gives nan)
    if torch is not None:
        want = run(torch)
        assert got == want or (got != got and want != want)
