"""LBFGS against live torch: parameter trajectories on Rosenbrock and a linear regression, with
fixed steps and the strong-Wolfe line search, state_dicts (torch's keys, loaded across the two
frameworks), repr and errors. float64 runs agree to rounding (torch fuses multiply-adds);
float32 runs to a few ulps of the loss, which can flip a line-search decision late in a run, so
their evaluation counts are compared in float64 only."""

import copy
import io

import numpy as np
import pytest

import ember
import ember.optim
from oracle import check_error, requires_torch, torch

X0 = np.array([-1.5, 2.0, 0.5, -0.3, 1.1])


def _rosenbrock(x):
    return ((1 - x[:-1]) ** 2).sum() + (100 * (x[1:] - x[:-1] ** 2) ** 2).sum()


def _regression_data(dtype):
    rng = np.random.default_rng(5)
    x = rng.standard_normal((20, 3)).astype(dtype)
    y = (x @ np.array([[1.5], [-2.0], [0.5]]) + 0.3 + 0.1 * rng.standard_normal((20, 1)))
    w = rng.standard_normal((1, 3)).astype(dtype)
    return x, y.astype(dtype), w, np.array([0.1], dtype)


def _run_rosenbrock(lib, dtype, steps, **kw):
    x = lib.tensor(X0.astype(dtype), requires_grad=True)
    opt = lib.optim.LBFGS([x], **kw)

    def closure():
        opt.zero_grad()
        loss = _rosenbrock(x)
        loss.backward()
        return loss

    traj, losses = [], []
    for _ in range(steps):
        losses.append(float(opt.step(closure).detach()))
        traj.append(x.detach().numpy().copy())
    return np.array(traj), losses, opt


def _run_regression(lib, dtype, steps, **kw):
    xs, ys, w, b = _regression_data(dtype)
    weight = lib.tensor(w, requires_grad=True)
    bias = lib.tensor(b, requires_grad=True)
    opt = lib.optim.LBFGS([weight, bias], **kw)
    x, y = lib.from_numpy(xs), lib.from_numpy(ys)

    def closure():
        opt.zero_grad()
        loss = ((x @ weight.T + bias - y) ** 2).mean()
        loss.backward()
        return loss

    traj = []
    for _ in range(steps):
        opt.step(closure)
        traj.append(np.concatenate([weight.detach().numpy().ravel(), bias.detach().numpy()]))
    return np.array(traj), opt


def _same_state(es, ts, rtol):
    assert list(es) == list(ts)
    for key, t in ts.items():
        e = es[key]
        if isinstance(t, list):
            assert len(e) == len(t), key
            for a, b in zip(e, t):
                _same_value(a, b, rtol, key)
        else:
            _same_value(e, t, rtol, key)


def _same_value(e, t, rtol, key):
    if isinstance(t, torch.Tensor):
        assert isinstance(e, ember.Tensor), key
        assert str(e.dtype) == str(t.dtype) and tuple(e.shape) == tuple(t.shape), key
        np.testing.assert_allclose(e.numpy(), t.numpy(), rtol=rtol, atol=rtol, err_msg=key)
    elif t is None:
        assert e is None, key
    else:
        assert type(e) is type(t), key
        assert e == pytest.approx(t, rel=rtol, abs=rtol), key


RUNS = [dict(lr=0.01, max_iter=15, history_size=4),
        dict(lr=1, max_iter=12, history_size=3, line_search_fn="strong_wolfe"),
        dict(lr=0.5, max_iter=8, max_eval=10, line_search_fn="strong_wolfe"),
        dict(lr=0.002, max_iter=5, tolerance_change=1e-3)]


@requires_torch
@pytest.mark.parametrize("kw", RUNS)
def test_rosenbrock_float64_follows_torch(kw):
    et, el, eo = _run_rosenbrock(ember, np.float64, 5, **kw)
    tt, tl, to = _run_rosenbrock(torch, np.float64, 5, **kw)
    np.testing.assert_allclose(et, tt, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(el, tl, rtol=1e-9)
    _same_state(eo.state_dict()["state"][0], to.state_dict()["state"][0], 1e-7)
    assert eo.state_dict()["param_groups"] == to.state_dict()["param_groups"]


@requires_torch
@pytest.mark.parametrize("kw", RUNS[:2])
def test_rosenbrock_float32_follows_torch(kw):
    # Rosenbrock is ill-conditioned: MKL's float32 dot rounds differently from NumPy's, and
    # a second step can amplify that to 1e-4, so one step is compared
    et, _, eo = _run_rosenbrock(ember, np.float32, 1, **kw)
    tt, _, to = _run_rosenbrock(torch, np.float32, 1, **kw)
    np.testing.assert_allclose(et, tt, rtol=1e-5, atol=1e-5)
    assert eo.state[next(iter(eo.state))]["d"].dtype == ember.float32


@requires_torch
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("line_search_fn", [None, "strong_wolfe"])
def test_linear_regression_follows_torch(dtype, line_search_fn):
    kw = dict(lr=0.3 if line_search_fn is None else 1, max_iter=6,
              line_search_fn=line_search_fn)
    et, eo = _run_regression(ember, dtype, 4, **kw)
    tt, to = _run_regression(torch, dtype, 4, **kw)
    tol = 1e-10 if dtype == np.float64 else 2e-5
    np.testing.assert_allclose(et, tt, rtol=tol, atol=tol)
    es, ts = eo.state_dict()["state"][0], to.state_dict()["state"][0]
    if dtype == np.float64:
        _same_state(es, ts, 1e-7)
    else:
        assert list(es) == list(ts)


def test_regression_converges_without_torch():
    traj, opt = _run_regression(ember, np.float64, 3, line_search_fn="strong_wolfe")
    xs, ys, _, _ = _regression_data(np.float64)
    a = np.hstack([xs, np.ones((20, 1))])
    exact = np.linalg.lstsq(a, ys[:, 0], rcond=None)[0]
    np.testing.assert_allclose(traj[-1], exact, rtol=1e-6, atol=1e-8)
    assert opt.state_dict()["state"][0]["n_iter"] >= 3


@requires_torch
def test_state_dict_crosses_frameworks():
    kw = dict(lr=1, max_iter=4, history_size=3, line_search_fn="strong_wolfe")
    _, _, eo = _run_rosenbrock(ember, np.float64, 2, **kw)
    buf = io.BytesIO()
    ember.save(eo.state_dict(), buf)
    buf.seek(0)
    loaded = torch.load(buf)
    # continue both from ember's state: torch from the saved file, ember from its own dict
    results = []
    for lib, sd in ((torch, loaded), (ember, eo.state_dict())):
        x = lib.tensor(eo.param_groups[0]["params"][0].detach().numpy().copy(),
                       requires_grad=True)
        opt = lib.optim.LBFGS([x], lr=5, max_iter=1)
        opt.load_state_dict(sd)
        assert opt.param_groups[0]["lr"] == 1 and "differentiable" not in opt.param_groups[0]

        def closure():
            opt.zero_grad()
            loss = _rosenbrock(x)
            loss.backward()
            return loss

        for _ in range(2):
            opt.step(closure)
        results.append((x.detach().numpy().copy(), opt.state_dict()))
    np.testing.assert_allclose(results[1][0], results[0][0], rtol=1e-9)
    _same_state(results[1][1]["state"][0], results[0][1]["state"][0], 1e-7)


@requires_torch
def test_torch_checkpoint_loads_into_ember():
    kw = dict(lr=1, max_iter=4, history_size=3, line_search_fn="strong_wolfe")
    _, _, to = _run_rosenbrock(torch, np.float64, 2, **kw)
    buf = io.BytesIO()
    torch.save(to.state_dict(), buf)
    buf.seek(0)
    x = ember.tensor(to.param_groups[0]["params"][0].detach().numpy().copy(),
                     requires_grad=True)
    eo = ember.optim.LBFGS([x])
    eo.load_state_dict(ember.load(buf))
    _same_state(eo.state_dict()["state"][0], to.state_dict()["state"][0], 0)
    assert repr(eo) == repr(to)


def test_state_dict_round_trip_continues_identically():
    kw = dict(lr=1, max_iter=3, history_size=2, line_search_fn="strong_wolfe")
    _, _, a = _run_rosenbrock(ember, np.float64, 2, **kw)
    pa = a.param_groups[0]["params"][0]
    pb = ember.tensor(pa.detach().numpy().copy(), requires_grad=True)
    b = ember.optim.LBFGS([pb])
    b.load_state_dict(copy.deepcopy(a.state_dict()))  # as a checkpoint file would
    assert repr(b) == repr(a)
    for opt, p in ((a, pa), (b, pb)):
        def closure():
            opt.zero_grad()
            loss = _rosenbrock(p)
            loss.backward()
            return loss
        for _ in range(2):
            opt.step(closure)
    np.testing.assert_array_equal(pa.detach().numpy(), pb.detach().numpy())
    assert a.state_dict()["state"][0]["func_evals"] == b.state_dict()["state"][0]["func_evals"]


@requires_torch
def test_complex_parameters_follow_torch():
    z0 = np.array([1 + 2j, -0.5 + 0.3j, 0.2 - 1j])
    out = []
    for lib in (ember, torch):
        z = lib.tensor(z0.copy())
        opt = lib.optim.LBFGS([z], lr=0.2, max_iter=4)

        def closure():  # |z - c|^2 with its gradient set by hand: 2 (z - c)
            c = lib.tensor([0.5 + 0.5j, 1.0 + 0j, -1j])
            z.grad = 2 * (z.detach() - c)
            return float((abs(z.detach() - c) ** 2).sum())

        opt.step(closure)
        out.append(z.numpy().copy())
    np.testing.assert_allclose(out[0], out[1], rtol=1e-12)


@requires_torch
def test_optimal_start_returns_first_loss_at_once():
    for lib in (ember, torch):
        x = lib.ones(3, requires_grad=True)
        opt = lib.optim.LBFGS([x])
        calls = []

        def closure():
            calls.append(1)
            opt.zero_grad()
            loss = ((x - 1) ** 2).sum()
            loss.backward()
            return loss

        loss = opt.step(closure)
        assert float(loss.detach()) == 0 and len(calls) == 1
        assert opt.state_dict()["state"][0] == {"func_evals": 1, "n_iter": 0}


@requires_torch
def test_repr_and_defaults_match_torch():
    for kw in ({}, dict(lr=0.5, max_iter=7, line_search_fn="strong_wolfe")):
        e = ember.optim.LBFGS([ember.zeros(2, requires_grad=True)], **kw)
        t = torch.optim.LBFGS([torch.zeros(2, requires_grad=True)], **kw)
        assert repr(e) == repr(t)
        assert e.defaults == t.defaults


@requires_torch
def test_errors_match_torch():
    def groups(L):
        a, b = L.zeros(2, requires_grad=True), L.zeros(2, requires_grad=True)
        L.optim.LBFGS([{"params": [a]}, {"params": [b], "lr": 0.1}])

    def bad_line_search(L):
        x = L.ones(2, requires_grad=True)
        opt = L.optim.LBFGS([x], line_search_fn="armijo")

        def closure():
            opt.zero_grad()
            loss = (x * x).sum()
            loss.backward()
            return loss
        opt.step(closure)

    check_error(lambda L: L.optim.LBFGS([L.zeros(2, requires_grad=True)], lr=-1.0),
                exc=ValueError, match="Invalid learning rate: -1.0")
    check_error(groups, exc=ValueError,
                match="LBFGS doesn't support per-parameter options (parameter groups)")
    check_error(bad_line_search, exc=RuntimeError, match="only 'strong_wolfe' is supported")
    check_error(lambda L: L.optim.LBFGS([L.zeros(2, requires_grad=True)]).step(), exc=TypeError)


@requires_torch
def test_step_hooks_see_the_closure():
    for lib in (ember, torch):
        x = lib.ones(2, requires_grad=True)
        opt = lib.optim.LBFGS([x], max_iter=2)
        seen = []
        opt.register_step_pre_hook(lambda o, args, kwargs: seen.append(("pre", len(args))))
        opt.register_step_post_hook(lambda o, args, kwargs: seen.append(("post", len(args))))

        def closure():
            seen.append("closure")
            opt.zero_grad()
            loss = (x * x).sum()
            loss.backward()
            return loss
        opt.step(closure)
        assert seen == [("pre", 2), "closure", "closure", ("post", 2)], lib.__name__


def _sequence_model(lib):
    """pytorch/examples' time_sequence_prediction model, small: two LSTMCells and a Linear."""
    class Sequence(lib.nn.Module):
        def __init__(self):
            super().__init__()
            self.lstm1 = lib.nn.LSTMCell(1, 6)
            self.lstm2 = lib.nn.LSTMCell(6, 6)
            self.linear = lib.nn.Linear(6, 1)

        def forward(self, x):
            h = c = lib.zeros(x.size(0), 6, dtype=lib.double)
            h2 = c2 = lib.zeros(x.size(0), 6, dtype=lib.double)
            outputs = []
            for x_t in x.split(1, dim=1):
                h, c = self.lstm1(x_t, (h, c))
                h2, c2 = self.lstm2(h, (h2, c2))
                outputs.append(self.linear(h2))
            return lib.cat(outputs, dim=1)
    return Sequence().double()


@requires_torch
def test_time_sequence_prediction_example_follows_torch():
    torch.manual_seed(0)
    tm = _sequence_model(torch)
    em = _sequence_model(ember)
    em.load_state_dict({k: ember.from_numpy(v.numpy().copy()) for k, v in
                        tm.state_dict().items()})
    t = np.arange(12)[None, :] + np.arange(3)[:, None] * 4
    data = np.sin(t / 4.0)
    results = []
    for lib, model in ((ember, em), (torch, tm)):
        x, y = lib.from_numpy(data[:, :-1].copy()), lib.from_numpy(data[:, 1:].copy())
        opt = lib.optim.LBFGS(model.parameters(), lr=0.8, max_iter=4)
        losses = []

        def closure():
            opt.zero_grad()
            loss = ((model(x) - y) ** 2).mean()
            losses.append(loss.item())
            loss.backward()
            return loss
        for _ in range(2):
            opt.step(closure)
        results.append((losses, [p.detach().numpy().copy() for p in model.parameters()]))
    np.testing.assert_allclose(results[0][0], results[1][0], rtol=1e-9)
    for e, t in zip(results[0][1], results[1][1]):
        np.testing.assert_allclose(e, t, rtol=1e-8, atol=1e-10)


def test_float64_step_is_one_fused_multiply_add():
    """torch's p.add_(d, alpha=t) rounds a float64 x + t*d once; ember rounded the product and
    the sum apart, a last-bit drift that grew over iterations."""
    from fractions import Fraction
    x0 = [-1.5, 2.0, 0.5, 0.3]
    c = [3.3, -1.7, 0.123456789, 2.2]

    def run(L):
        x = L.tensor(x0, dtype=L.float64, requires_grad=True)
        w = L.tensor(c, dtype=L.float64)
        opt = L.optim.LBFGS([x], max_iter=1)

        def closure():
            opt.zero_grad()
            loss = (x * w).sum()
            loss.backward()
            return loss
        opt.step(closure)
        return x.detach().numpy()
    got = run(ember)
    # first step: d = -g = -c, t = min(1, 1 / |g|_1) * lr (lr 1): x + t d, rounded once
    t = min(1.0, 1.0 / sum(abs(v) for v in c))
    want = [float(Fraction(a) + Fraction(t) * Fraction(-v)) for a, v in zip(x0, c)]
    np.testing.assert_array_equal(got, np.array(want))
    if torch is not None:
        np.testing.assert_array_equal(got, run(torch))
