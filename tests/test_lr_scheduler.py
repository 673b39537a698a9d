"""LR schedulers against live torch: identical lrs (and momenta) step by step, same state_dict.

Schedulers are plain Python arithmetic, so lrs must match torch's exactly, not just closely.
"""

import warnings

import pytest

import ember
import ember.optim
from oracle import requires_torch, torch


class Halve:
    """A picklable callable lr_lambda with state (its __dict__ goes into state_dict)."""

    def __init__(self):
        self.calls = 0

    def __call__(self, epoch):
        self.calls += 1
        return 0.5 ** epoch


def _opt(lib, name="SGD"):
    a, b = lib.zeros(2, requires_grad=True), lib.zeros(3, requires_grad=True)
    groups = [{"params": [a]}, {"params": [b], "lr": 0.05}]
    if name == "SGD":
        return lib.optim.SGD(groups, lr=0.1, momentum=0.9)
    return lib.optim.Adam(groups, lr=0.1)


def _make(lib, kind, opt):
    S = lib.optim.lr_scheduler
    return {
        "lambda": lambda: S.LambdaLR(opt, lambda e: 0.95 ** e),
        "lambda_obj": lambda: S.LambdaLR(opt, [Halve(), lambda e: 1.0 / (e + 1)]),
        "multiplicative": lambda: S.MultiplicativeLR(opt, lambda e: 0.9),
        "step": lambda: S.StepLR(opt, step_size=3, gamma=0.5),
        "multistep": lambda: S.MultiStepLR(opt, milestones=[2, 5, 5, 9], gamma=0.3),
        "constant": lambda: S.ConstantLR(opt, factor=0.25, total_iters=4),
        "linear": lambda: S.LinearLR(opt, start_factor=0.2, end_factor=0.9, total_iters=7),
        "exponential": lambda: S.ExponentialLR(opt, gamma=0.9),
        "polynomial": lambda: S.PolynomialLR(opt, total_iters=8, power=2.0),
        "cosine": lambda: S.CosineAnnealingLR(opt, T_max=6, eta_min=0.001),
        "warm_restarts": lambda: S.CosineAnnealingWarmRestarts(opt, T_0=3, T_mult=2,
                                                               eta_min=0.01),
        "cyclic": lambda: S.CyclicLR(opt, base_lr=0.01, max_lr=[0.1, 0.2], step_size_up=4,
                                     step_size_down=3),
        "cyclic2": lambda: S.CyclicLR(opt, base_lr=0.01, max_lr=0.1, step_size_up=2,
                                      mode="triangular2"),
        "cyclic_exp": lambda: S.CyclicLR(opt, base_lr=0.01, max_lr=0.1, step_size_up=3,
                                         mode="exp_range", gamma=0.9),
        "onecycle": lambda: S.OneCycleLR(opt, max_lr=[0.5, 0.2], total_steps=25),
        "onecycle3": lambda: S.OneCycleLR(opt, max_lr=0.5, epochs=5, steps_per_epoch=5,
                                          anneal_strategy="linear", three_phase=True),
        "sequential": lambda: S.SequentialLR(opt, [S.ConstantLR(opt, factor=0.5, total_iters=3),
                                                   S.ExponentialLR(opt, gamma=0.8)],
                                             milestones=[4]),
        "chained": lambda: S.ChainedScheduler([S.ConstantLR(opt, factor=0.5, total_iters=3),
                                               S.ExponentialLR(opt, gamma=0.8)]),
    }[kind]()


KINDS = ["lambda", "lambda_obj", "multiplicative", "step", "multistep", "constant", "linear",
         "exponential", "polynomial", "cosine", "warm_restarts", "cyclic", "cyclic2",
         "cyclic_exp", "onecycle", "onecycle3", "sequential", "chained"]


def _groups(opt):
    keys = ("lr", "initial_lr", "momentum", "betas", "max_lr", "min_lr", "max_momentum",
            "base_momentum")
    return [{k: g[k] for k in keys if k in g} for g in opt.param_groups]


def _comparable(sd):
    return {k: v for k, v in sd.items() if k != "lr_lambdas"}


@requires_torch
@pytest.mark.parametrize("optim", ["SGD", "Adam"])
@pytest.mark.parametrize("kind", KINDS)
def test_schedule_matches_torch(kind, optim):
    if kind == "multistep" and optim == "Adam":
        pytest.skip("same code path as SGD")
    eo, to = _opt(ember, optim), _opt(torch, optim)
    es, ts = _make(ember, kind, eo), _make(torch, kind, to)
    assert _groups(eo) == _groups(to)
    assert es.get_last_lr() == ts.get_last_lr()
    for _ in range(24):
        eo.step()
        to.step()
        es.step()
        ts.step()
        assert es.get_last_lr() == ts.get_last_lr()
        assert _groups(eo) == _groups(to)
    esd, tsd = es.state_dict(), ts.state_dict()
    assert list(esd) == list(tsd)
    assert _comparable(esd) == _comparable(tsd)


@requires_torch
@pytest.mark.parametrize("kind", KINDS)
def test_load_torch_state_dict_and_continue(kind):
    eo, to = _opt(ember), _opt(torch)
    ts = _make(torch, kind, to)
    for _ in range(7):
        to.step()
        ts.step()
    es = _make(ember, kind, eo)
    es.load_state_dict(ts.state_dict())
    for eg, tg in zip(eo.param_groups, to.param_groups):
        eg.update({k: v for k, v in tg.items() if k != "params"})
    for _ in range(10):
        eo.step()
        to.step()
        es.step()
        ts.step()
        assert es.get_last_lr() == ts.get_last_lr()
        assert _groups(eo) == _groups(to)


@requires_torch
def test_lambda_state_dict_keeps_callable_objects_state():
    for lib in (ember, torch):
        opt = _opt(lib)
        sched = _make(lib, "lambda_obj", opt)
        sd = sched.state_dict()
        assert sd["lr_lambdas"][0] == {"calls": 1} and sd["lr_lambdas"][1] is None


@requires_torch
def test_reduce_on_plateau_matches_torch():
    metrics = [1.0, 0.9, 0.95, 0.95, 0.95, 0.94, 0.96, 0.97, 0.5, 0.6, 0.6, 0.6, 0.6, 0.6]
    for kw in [dict(patience=2), dict(mode="max", factor=0.5, patience=1, cooldown=2),
               dict(threshold_mode="abs", threshold=0.02, patience=0, min_lr=[0.02, 0.001]),
               dict(mode="max", threshold_mode="abs", patience=1, eps=0.5)]:
        eo, to = _opt(ember), _opt(torch)
        es = ember.optim.lr_scheduler.ReduceLROnPlateau(eo, **kw)
        ts = torch.optim.lr_scheduler.ReduceLROnPlateau(to, **kw)
        for m in metrics:
            es.step(m)
            ts.step(m)
            assert es.get_last_lr() == ts.get_last_lr(), kw
        assert es.state_dict() == ts.state_dict()


@requires_torch
def test_step_order_warning_like_torch():
    for lib in (ember, torch):
        opt = _opt(lib)
        sched = lib.optim.lr_scheduler.StepLR(opt, 2)
        with pytest.warns(UserWarning, match="before `optimizer.step\\(\\)`"):
            sched.step()
        opt2 = _opt(lib)
        sched2 = lib.optim.lr_scheduler.StepLR(opt2, 2)
        opt2.step()
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            sched2.step()


@requires_torch
@pytest.mark.parametrize("make", [
    lambda S, o: S.StepLR(o, 3, last_epoch=4),
    lambda S, o: S.ConstantLR(o, factor=1.5),
    lambda S, o: S.LinearLR(o, start_factor=0),
    lambda S, o: S.LinearLR(o, end_factor=2),
    lambda S, o: S.CosineAnnealingWarmRestarts(o, T_0=0),
    lambda S, o: S.CosineAnnealingWarmRestarts(o, T_0=2, T_mult=0),
    lambda S, o: S.OneCycleLR(o, max_lr=0.1),
    lambda S, o: S.OneCycleLR(o, max_lr=0.1, total_steps=5, pct_start=2.0),
    lambda S, o: S.OneCycleLR(o, max_lr=0.1, total_steps=5, anneal_strategy="x"),
    lambda S, o: S.OneCycleLR(o, max_lr=[0.1], total_steps=5),
    lambda S, o: S.CyclicLR(o, 0.1, 1.0, mode="zigzag"),
    lambda S, o: S.LambdaLR(o, [lambda e: 1.0]),
    lambda S, o: S.ReduceLROnPlateau(o, factor=1.0),
    lambda S, o: S.ReduceLROnPlateau(o, mode="avg"),
    lambda S, o: S.SequentialLR(o, [S.StepLR(o, 2)], milestones=[3]),
    lambda S, o: S.StepLR(object(), 3),
])
def test_errors_match_torch(make):
    results = []
    for lib in (ember, torch):
        with pytest.raises(Exception) as info:
            make(lib.optim.lr_scheduler, _opt(lib))
        results.append((type(info.value).__name__, str(info.value)))
    assert results[0] == results[1]


@requires_torch
def test_onecycle_past_total_steps_raises_like_torch():
    results = []
    for lib in (ember, torch):
        opt = _opt(lib)
        sched = lib.optim.lr_scheduler.OneCycleLR(opt, max_lr=0.1, total_steps=3)
        with pytest.raises(ValueError) as info:
            for _ in range(4):
                opt.step()
                sched.step()
        results.append(str(info.value))
    assert results[0] == results[1]


@requires_torch
def test_epoch_argument_uses_closed_form_like_torch():
    eo, to = _opt(ember), _opt(torch)
    es = ember.optim.lr_scheduler.StepLR(eo, 2, gamma=0.5)
    ts = torch.optim.lr_scheduler.StepLR(to, 2, gamma=0.5)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for epoch in (3, 7, 1):
            eo.step()
            to.step()
            es.step(epoch)
            ts.step(epoch)
            assert es.get_last_lr() == ts.get_last_lr()
