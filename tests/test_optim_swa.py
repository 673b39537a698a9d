"""torch.optim.swa_utils against live torch: AveragedModel (SWA by default, avg_fn, multi_avg_fn,
use_buffers, integer buffers), the four avg-fn factories, SWALR's lr schedule and state_dict,
update_bn's statistics, and SparseAdam (which torch refuses for the dense gradients ember has)."""

import numpy as np
import pytest

import ember
import ember.optim
from oracle import check_error, requires_torch, torch


def _model(lib, state=None):
    lib.manual_seed(0)
    m = lib.nn.Sequential(lib.nn.Linear(3, 4), lib.nn.BatchNorm1d(4), lib.nn.ReLU(),
                          lib.nn.Linear(4, 2))
    if state is not None:
        m.load_state_dict({k: lib.from_numpy(v.copy()) for k, v in state.items()})
    return m


def _state(m):
    return {k: v.detach().numpy().copy() for k, v in m.state_dict().items()}


def _averaging(lib, steps=4, **kw):
    """Trains a small model a few SGD steps, averaging after each, and returns the averaged
    model's state, n_averaged and its output."""
    swa = lib.optim.swa_utils
    base = _state(_model(ember))
    model = _model(lib, base)
    for name in ("avg_fn", "multi_avg_fn"):
        if isinstance(kw.get(name), tuple):
            factory, args = kw[name]
            kw[name] = getattr(swa, factory)(*args)
    averaged = swa.AveragedModel(model, **kw)
    opt = lib.optim.SGD(model.parameters(), lr=0.1)
    rng = np.random.default_rng(0)
    for _ in range(steps):
        x = lib.from_numpy(rng.standard_normal((5, 3)).astype(np.float32))
        opt.zero_grad()
        model(x).pow(2).mean().backward()
        opt.step()
        averaged.update_parameters(model)
    out = averaged(lib.from_numpy(rng.standard_normal((5, 3)).astype(np.float32)))
    return _state(averaged), int(averaged.n_averaged), out.detach().numpy()


CASES = [
    {},
    dict(use_buffers=True),
    dict(avg_fn=("get_ema_avg_fn", (0.9,))),
    dict(multi_avg_fn=("get_ema_multi_avg_fn", (0.7,)), use_buffers=True),
    dict(multi_avg_fn=("get_swa_multi_avg_fn", ())),
    dict(avg_fn=("get_ema_avg_fn", (0.5,)), use_buffers=True),
]


@requires_torch
@pytest.mark.parametrize("kw", CASES, ids=[str(sorted(k.items())) for k in CASES])
def test_averaged_model_follows_torch(kw):
    es, en, eo = _averaging(ember, **dict(kw))
    ts, tn, to = _averaging(torch, **dict(kw))
    assert list(es) == list(ts) and en == tn == 4
    for k in ts:
        assert es[k].dtype == ts[k].dtype, k
        np.testing.assert_allclose(es[k], ts[k], rtol=1e-6, atol=1e-7, err_msg=k)
    np.testing.assert_allclose(eo, to, rtol=1e-5, atol=1e-6)


def test_swa_average_is_the_running_mean_without_torch():
    p = ember.nn.Linear(2, 1)
    avg = ember.optim.swa_utils.AveragedModel(p)
    seen = []
    for v in (1.0, 2.0, 6.0):
        with ember.no_grad():
            p.weight.fill_(v)
        avg.update_parameters(p)
        seen.append(v)
    np.testing.assert_allclose(avg.module.weight.detach().numpy(), [[3.0, 3.0]])
    assert avg.n_averaged.dtype == ember.int64 and int(avg.n_averaged) == 3


@requires_torch
def test_integer_buffers_with_swa_multi_avg_fn_fail_as_torch():
    def run(L):
        m = L.nn.BatchNorm1d(2)
        avg = L.optim.swa_utils.AveragedModel(
            m, multi_avg_fn=L.optim.swa_utils.get_swa_multi_avg_fn(), use_buffers=True)
        avg.update_parameters(m)
        avg.update_parameters(m)
    check_error(run)


@requires_torch
def test_avg_fn_factories_follow_torch():
    a = np.array([1.0, -2.0, 3.5], np.float32)
    b = np.array([0.5, 4.0, -1.0], np.float32)
    for name, args in (("get_ema_avg_fn", ()), ("get_ema_avg_fn", (0.25,)),
                       ("get_swa_avg_fn", ())):
        for n in (0, 3):
            e = getattr(ember.optim.swa_utils, name)(*args)(
                ember.from_numpy(a), ember.from_numpy(b), ember.tensor(n))
            t = getattr(torch.optim.swa_utils, name)(*args)(
                torch.from_numpy(a), torch.from_numpy(b), torch.tensor(n))
            np.testing.assert_allclose(e.numpy(), t.numpy(), rtol=1e-7)
            assert str(e.dtype) == str(t.dtype)
    for name in ("get_ema_avg_fn", "get_ema_multi_avg_fn"):
        check_error(lambda L, name=name: getattr(L.optim.swa_utils, name)(1.5), exc=ValueError,
                    match="Invalid decay value 1.5 provided. Please provide a value in [0,1] "
                          "range.")
    ints = []
    for lib in (ember, torch):  # the non-float branch of the EMA list update
        x, y = lib.tensor([10, 20]), lib.tensor([0, 7])
        lib.optim.swa_utils.get_ema_multi_avg_fn(0.5)([x], [y], 1)
        ints.append(x.tolist())
    assert ints[0] == ints[1]


def _swalr(lib, strategy, anneal_epochs, swa_lr, steps=14):
    a, b = lib.zeros(2, requires_grad=True), lib.zeros(2, requires_grad=True)
    opt = lib.optim.SGD([{"params": [a]}, {"params": [b], "lr": 0.3}], lr=1.0)
    sched = lib.optim.swa_utils.SWALR(opt, swa_lr, anneal_epochs=anneal_epochs,
                                      anneal_strategy=strategy)
    lrs = [sched.get_last_lr()]
    for _ in range(steps):
        opt.step()
        sched.step()
        lrs.append(sched.get_last_lr())
    return lrs, sched, opt


@requires_torch
@pytest.mark.parametrize("strategy", ["cos", "linear"])
@pytest.mark.parametrize("anneal_epochs,swa_lr", [(10, 0.05), (3, [0.05, 0.5]), (0, 0.01),
                                                  (1, 0.2)])
def test_swalr_lrs_follow_torch(strategy, anneal_epochs, swa_lr):
    el, es, eo = _swalr(ember, strategy, anneal_epochs, swa_lr)
    tl, ts, to = _swalr(torch, strategy, anneal_epochs, swa_lr)
    np.testing.assert_allclose(el, tl, rtol=1e-13)
    assert [g["swa_lr"] for g in eo.param_groups] == [g["swa_lr"] for g in to.param_groups]
    esd, tsd = es.state_dict(), ts.state_dict()
    assert list(esd) == list(tsd)
    for k in tsd:
        assert esd[k] == pytest.approx(tsd[k]), k


@requires_torch
def test_swalr_state_dict_round_trip_and_errors():
    _, sched, _ = _swalr(ember, "linear", 5, 0.1, steps=2)
    _, other, _ = _swalr(ember, "cos", 5, 0.1, steps=0)
    other.load_state_dict(sched.state_dict())
    assert other.anneal_func is other._linear_anneal and other._step_count == sched._step_count
    p = ember.zeros(1, requires_grad=True)
    with pytest.warns(UserWarning, match="please use `get_last_lr\\(\\)`"):
        ember.optim.swa_utils.SWALR(ember.optim.SGD([p], lr=1.0), 0.1).get_lr()

    def opt(L):
        return L.optim.SGD([L.zeros(1, requires_grad=True)], lr=1.0)
    check_error(lambda L: L.optim.swa_utils.SWALR(opt(L), 0.1, anneal_strategy="step"),
                exc=ValueError, match="anneal_strategy must be one of 'cos' or 'linear', "
                                      "instead got step")
    check_error(lambda L: L.optim.swa_utils.SWALR(opt(L), 0.1, anneal_epochs=2.0),
                exc=ValueError, match="anneal_epochs must be equal or greater than 0, got 2.0")
    check_error(lambda L: L.optim.swa_utils.SWALR(opt(L), [0.1, 0.2]), exc=ValueError)
    check_error(lambda L: L.optim.swa_utils.AveragedModel(
        L.nn.Linear(1, 1), avg_fn=len, multi_avg_fn=len), exc=AssertionError,
        match="Only one of avg_fn and multi_avg_fn should be provided")


def _update_bn(lib, as_tuples):
    model = _model(lib, _state(_model(ember)))
    model.eval()
    bn = model[1]
    bn.momentum = 0.3
    rng = np.random.default_rng(1)
    batches = [lib.from_numpy(rng.standard_normal((6, 3)).astype(np.float32)) for _ in range(3)]
    loader = [(x, 0) for x in batches] if as_tuples else batches
    lib.optim.swa_utils.update_bn(loader, model, device="cpu")
    return ([bn.running_mean.numpy().copy(), bn.running_var.numpy().copy(),
             int(bn.num_batches_tracked)], bn.momentum, model.training)


@requires_torch
@pytest.mark.parametrize("as_tuples", [False, True])
def test_update_bn_follows_torch(as_tuples):
    (em, ev, en), emom, etrain = _update_bn(ember, as_tuples)
    (tm, tv, tn), tmom, ttrain = _update_bn(torch, as_tuples)
    np.testing.assert_allclose(em, tm, rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(ev, tv, rtol=1e-5, atol=1e-7)
    assert en == tn == 3 and emom == tmom == 0.3 and etrain is ttrain is False


def test_update_bn_without_batchnorm_does_not_iterate():
    def loader():
        raise AssertionError("iterated")
        yield
    ember.optim.swa_utils.update_bn(loader(), ember.nn.Linear(2, 2))


@requires_torch
def test_sparse_adam_follows_torch_on_dense_gradients():
    def step_with_grad(L):
        p = L.ones(2, requires_grad=True)
        opt = L.optim.SparseAdam([p])
        (p * p).sum().backward()
        opt.step()

    check_error(step_with_grad, exc=RuntimeError,
                match="SparseAdam does not support dense gradients, please consider Adam instead")
    check_error(lambda L: L.optim.SparseAdam([L.zeros(2, dtype=L.complex64)]), exc=ValueError,
                match="Complex params at indices [[0, 0]]: SparseAdam does not support complex "
                      "parameters")
    for kw in (dict(lr=0.0), dict(eps=0.0), dict(betas=(1.0, 0.9)), dict(betas=(0.9, -0.1))):
        check_error(lambda L, kw=kw: L.optim.SparseAdam([L.zeros(2)], **kw), exc=ValueError)
    for lib in (ember, torch):  # no gradients: the step only runs the closure
        p = lib.ones(2, requires_grad=True)
        opt = lib.optim.SparseAdam([p], lr=0.1, maximize=True)
        assert opt.step(lambda: 7) == 7 and not opt.state
    e = ember.optim.SparseAdam([ember.zeros(2, requires_grad=True)], lr=0.01)
    t = torch.optim.SparseAdam([torch.zeros(2, requires_grad=True)], lr=0.01)
    assert repr(e) == repr(t) and e.state_dict() == t.state_dict()
