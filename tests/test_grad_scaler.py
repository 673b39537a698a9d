"""torch.amp.GradScaler against torch 2.13: scaling, unscale_, skipped steps on inf/nan, scale
growth and backoff, state_dict, errors, the disabled CUDA scaler on a machine without a GPU, and
the deprecated torch.cpu.amp / torch.cuda.amp aliases."""

import pickle
import warnings

import numpy as np
import pytest

import ember
from oracle import requires_torch

try:
    import torch
except ImportError:
    torch = None


def _model(lib):
    lib.manual_seed(0)
    return lib.nn.Sequential(lib.nn.Linear(4, 3), lib.nn.ReLU(), lib.nn.Linear(3, 2))


def _train(lib, steps, poison, fast=None, **kw):
    """SGD steps under GradScaler('cpu'); `poison[i]` puts inf or nan in a grad at step i;
    `fast`: the forward runs under autocast to that dtype."""
    model = _model(lib)
    opt = lib.optim.SGD(model.parameters(), lr=0.1)
    scaler = lib.amp.GradScaler("cpu", **kw)
    x = lib.from_numpy(np.random.default_rng(0).standard_normal((5, 4)).astype("float32"))
    log = []
    for i in range(steps):
        opt.zero_grad()
        with lib.autocast("cpu", dtype=getattr(lib, fast or "bfloat16"), enabled=bool(fast)):
            loss = model(x).square().mean()
        scaled = scaler.scale(loss)
        scaled.backward()
        if i in poison:
            model[0].weight.grad[0, 0] = poison[i]
        if i % 3 == 1:  # unscale first (gradient clipping's order), then step
            scaler.unscale_(opt)
            lib.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        scaler.step(opt)
        scaler.update()
        log.append((scaled.item(), scaler.get_scale(), scaler._get_growth_tracker(),
                    [p.detach().clone().numpy() for p in model.parameters()],
                    scaler.state_dict()))
    return log


@requires_torch
@pytest.mark.parametrize("fast", ["float16", "bfloat16"])
def test_steps_under_autocast_match_torch(fast):
    poison = {1: float("inf"), 4: float("nan")}
    kw = {"init_scale": 2.0**10, "growth_interval": 2}
    for e, t in zip(_train(ember, 6, poison, fast, **kw), _train(torch, 6, poison, fast, **kw)):
        assert e[0] == pytest.approx(t[0], rel=2e-2)
        assert e[1:3] == t[1:3]
        for pe, pt in zip(e[3], t[3]):
            np.testing.assert_allclose(pe, pt, rtol=2e-2, atol=2e-2)
        assert e[4] == t[4]


@requires_torch
@pytest.mark.parametrize("kw", [{}, {"init_scale": 4.0, "growth_interval": 2},
                                {"init_scale": 2.0**127, "growth_interval": 1},
                                {"growth_factor": 3.0, "backoff_factor": 0.25,
                                 "growth_interval": 3}])
def test_steps_match_torch(kw):
    poison = {2: float("inf"), 3: float("nan"), 6: float("-inf")}
    for e, t in zip(_train(ember, 9, poison, **kw), _train(torch, 9, poison, **kw)):
        assert e[0] == pytest.approx(t[0], rel=1e-5)
        assert e[1:3] == t[1:3]
        for pe, pt in zip(e[3], t[3]):
            np.testing.assert_allclose(pe, pt, rtol=1e-5, atol=1e-6)
        assert e[4] == t[4]


def _unscaled(lib, dtype):
    p = lib.nn.Parameter(lib.ones(3, dtype=getattr(lib, dtype)))
    opt = lib.optim.SGD([p], lr=1.0)
    scaler = lib.amp.GradScaler("cpu", init_scale=8.0)
    scaler.scale(p.sum() * 3).backward()
    before = p.grad.clone()
    scaler.unscale_(opt)
    state = scaler._per_optimizer_states[id(opt)]
    return (before.tolist(), p.grad.tolist(), str(p.grad.dtype),
            [float(v) for v in state["found_inf_per_device"].values()], state["stage"].name)


@requires_torch
@pytest.mark.parametrize("dtype", ["float32", "float64", "bfloat16"])
def test_unscale(dtype):
    assert _unscaled(ember, dtype) == _unscaled(torch, dtype)


def _outcome(f):
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        warnings.simplefilter("ignore", RuntimeWarning)  # NumPy's overflow note on a float16 cast
        try:
            r = f()
        except Exception as e:  # noqa: BLE001 - the oracle's exception is the expected value
            r = (type(e).__name__, str(e))
    return r, [(x.category.__name__, str(x.message)) for x in w]


def _misuse(lib, case):
    p = lib.nn.Parameter(lib.ones(2))
    opt = lib.optim.SGD([p], lr=1.0)
    s = lib.amp.GradScaler("cpu")
    if case == "unscale_twice":
        s.scale(p.sum()).backward()
        s.unscale_(opt)
        s.unscale_(opt)
    elif case == "unscale_after_step":
        s.scale(p.sum()).backward()
        s.step(opt)
        s.unscale_(opt)
    elif case == "step_twice":
        s.scale(p.sum()).backward()
        s.step(opt)
        s.step(opt)
    elif case == "step_before_scale":
        s.step(opt)
    elif case == "update_before_scale":
        s.update()
    elif case == "update_without_step":
        s.scale(p.sum())
        s.update()
    elif case == "closure":
        s.scale(p.sum())
        s.step(opt, closure=lambda: 0)
    elif case == "fp16_grads":
        q = lib.nn.Parameter(lib.ones(2, dtype=lib.float16))
        opt = lib.optim.SGD([q], lr=1.0)
        s.scale(q.sum()).backward()
        s.unscale_(opt)
    elif case == "bad_factors":
        lib.amp.GradScaler("cpu", growth_factor=1.0)
    elif case == "bad_backoff":
        lib.amp.GradScaler("cpu", backoff_factor=1.0)
    elif case == "scale_non_tensor":
        s.scale([p.sum(), 3])
    elif case == "load_empty":
        s.load_state_dict({})
    elif case == "new_scale_tensor":
        s.scale(p.sum())
        s.update(lib.tensor([2.0, 3.0]))
    elif case == "pickle_mid_step":
        s.scale(p.sum()).backward()
        s.unscale_(opt)
        pickle.dumps(s)
    return s.get_scale()


@requires_torch
@pytest.mark.parametrize("case", ["unscale_twice", "unscale_after_step", "step_twice",
                                  "step_before_scale", "update_before_scale",
                                  "update_without_step", "closure", "fp16_grads", "bad_factors",
                                  "bad_backoff", "scale_non_tensor", "load_empty",
                                  "new_scale_tensor", "pickle_mid_step"])
def test_errors(case):
    assert _outcome(lambda: _misuse(ember, case)) == _outcome(lambda: _misuse(torch, case))


def _api(lib):
    s = lib.amp.GradScaler("cpu", init_scale=16.0)
    out = [s.get_scale(), s.is_enabled(), s.state_dict(), s.get_growth_factor(),
           s.get_backoff_factor(), s.get_growth_interval()]
    s.set_growth_factor(4.0)
    s.set_backoff_factor(0.125)
    s.set_growth_interval(7)
    p = lib.nn.Parameter(lib.ones(2))
    scaled = s.scale([p.sum(), (p * 2, p.sum())])
    out.append(repr([scaled[0].item(), scaled[1][0].tolist(), scaled[1][1].item()]))
    s.update(32.0)
    out.append(s.state_dict())
    s.update(lib.tensor(64.0))
    out.append(s.state_dict())
    t = lib.amp.GradScaler("cpu")
    t.load_state_dict(s.state_dict())
    out.append((t.get_scale(), t.state_dict()))
    u = pickle.loads(pickle.dumps(s))
    out.append((u.get_scale(), u.state_dict()))
    return out


@requires_torch
def test_api_and_state_dict():
    assert _api(ember) == _api(torch)


def _disabled(lib):
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        s = lib.amp.GradScaler()
    p = lib.nn.Parameter(lib.ones(2))
    opt = lib.optim.SGD([p], lr=1.0)
    loss = p.sum()
    same = s.scale(loss) is loss
    loss.backward()
    s.unscale_(opt)
    s.step(opt)
    s.update()
    return ([(x.category.__name__, str(x.message)) for x in w], same, s.is_enabled(),
            s.get_scale(), s.state_dict(), p.tolist(), s.load_state_dict({}),
            lib.amp.GradScaler("cpu", enabled=False).state_dict())


@requires_torch
def test_cuda_scaler_without_gpu_is_disabled():
    assert _disabled(ember) == _disabled(torch)


@requires_torch
@pytest.mark.parametrize("expr", [
    "L.cpu.amp.GradScaler(init_scale=4.0).state_dict()",
    "L.cuda.amp.GradScaler().is_enabled()",
    "type(L.cpu.amp.autocast()).__name__",
    "str(L.cpu.amp.autocast().fast_dtype)",
    "type(L.cuda.amp.autocast()).__name__",
    "L.cuda.amp.autocast(enabled=False)._enabled",
    "str(L.cuda.amp.autocast_mode._cast([L.ones(2)], L.float16)[0].dtype)",
    "L.cuda.amp.grad_scaler.GradScaler.__mro__[1].__name__",
    "L.cuda.amp.grad_scaler.OptState.STEPPED.value",
    "L.cuda.amp.common.amp_definitely_not_available()",
    "L.cpu.amp.grad_scaler.GradScaler.__name__, L.cpu.amp.autocast_mode.autocast.__name__",
])
def test_deprecated_aliases(expr):
    assert _outcome(lambda: eval(expr, {"L": ember})) == _outcome(lambda: eval(expr, {"L": torch}))


@requires_torch
def test_cpu_amp_autocast_runs_in_bfloat16():
    for lib in (torch, ember):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)
            ctx = lib.cpu.amp.autocast()
        with ctx:
            assert str(lib.mm(lib.ones(2, 2), lib.ones(2, 2)).dtype) == "torch.bfloat16"


def _self_scaling(lib, with_kwarg, unscale_first):
    """An optimizer that unscales by itself (torch's fused optimizers) is handed the scale."""
    seen = []

    class Opt(lib.optim.SGD):
        _step_supports_amp_scaling = True

        def step(self, closure=None):
            seen.append((getattr(self, "grad_scale", None) is not None and
                         float(self.grad_scale), float(getattr(self, "found_inf", -1))))

    class OptKw(Opt):
        def step(self, closure=None, grad_scaler=None):
            seen.append(type(grad_scaler).__name__)

    p = lib.nn.Parameter(lib.ones(2))
    opt = (OptKw if with_kwarg else Opt)([p], lr=1.0)
    s = lib.amp.GradScaler("cpu", init_scale=4.0)
    s.scale(p.sum()).backward()
    p.grad[0] = float("inf")
    if unscale_first:
        s.unscale_(opt)
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        s.step(opt)
    s.update()
    return seen, [(x.category.__name__, str(x.message)) for x in w], s.get_scale(), \
        hasattr(opt, "grad_scale"), hasattr(opt, "found_inf")


@requires_torch
@pytest.mark.parametrize("with_kwarg", [False, True])
@pytest.mark.parametrize("unscale_first", [False, True])
def test_optimizer_that_unscales_itself(with_kwarg, unscale_first):
    assert (_outcome(lambda: _self_scaling(ember, with_kwarg, unscale_first))
            == _outcome(lambda: _self_scaling(torch, with_kwarg, unscale_first)))
