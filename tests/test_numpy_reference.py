"""The hand-written NumPy reference of the course workloads (benchmarks/numpy_reference*.py).

With dropout off, two training steps of the reference from the same weights and batch as a torch
model (the oracle) give torch's losses, gradients and updated parameters (SGD with momentum, Adam,
clip_grad_norm_ with clipping happening), and its inference output equals torch's. The same
comparison runs against ember (it needs no torch). Dropout masks drop about p and scale by 1/keep.
"""

import numpy as np
import pytest
from benchmarks.course_models import char_rnn, cifar_cnn, mlp, random_batches, text_batches
from benchmarks.numpy_reference import (
    SGD,
    Adam,
    Dropout,
    clip_grad_norm,
    make_cnn_train,
    make_lstm_train,
    make_mlp_infer,
    make_mlp_train,
)

import ember

LSTM_SIZES = dict(seq=5, batch=4, vocab=7, hidden=8, layers=2)
WIDE_LSTM = dict(seq=3, batch=32, vocab=83, hidden=256, layers=2)  # the row-blocked GEMMs
LSTM_CLIP = 0.05  # small enough that the sizes above clip


def _lib(name):
    return ember if name == "ember" else pytest.importorskip("torch")


def _np(t):
    return t.detach().cpu().numpy()


def _framework(lib, workload):
    """(model, step) of `workload` in `lib` with dropout off, built as benchmarks/run.py does
    (same seed, same fixed batch); step() returns (loss, grads, clip total or None)."""
    lib.manual_seed(0)
    clip = None
    if workload in ("sgd", "adam"):
        model = mlp(lib)
        opt = (lib.optim.SGD(model.parameters(), lr=0.01, momentum=0.9) if workload == "sgd"
               else lib.optim.Adam(model.parameters(), lr=0.003))
        xs, ys = random_batches(1, (8, 784))
        x, y, crit = lib.from_numpy(xs[0]), lib.from_numpy(ys[0]), lib.nn.NLLLoss()
        run = lambda: model(x)  # noqa: E731
    elif workload == "cnn":
        model = cifar_cnn(lib).eval()  # eval: dropout off, nothing else changes
        opt = lib.optim.SGD(model.parameters(), lr=0.01)
        xs, ys = random_batches(1, (2, 3, 32, 32))
        x, y, crit = lib.from_numpy(xs[0]), lib.from_numpy(ys[0]), lib.nn.CrossEntropyLoss()
        run = lambda: model(x)  # noqa: E731
    else:
        s = LSTM_SIZES if workload == "lstm" else WIDE_LSTM
        model = char_rnn(lib, s["vocab"], s["hidden"], s["layers"]).eval()
        opt = lib.optim.Adam(model.parameters(), lr=0.001)
        xs, ys = text_batches(1, s["batch"], s["seq"], vocab=s["vocab"], seed=0)
        x, y = lib.from_numpy(xs[0]), lib.from_numpy(ys[0].reshape(-1))
        crit, clip = lib.nn.CrossEntropyLoss(), LSTM_CLIP
        zeros = lambda: lib.zeros(s["layers"], s["batch"], s["hidden"])  # noqa: E731
        run = lambda: model(x, (zeros(), zeros()))[0]  # noqa: E731

    def step():
        opt.zero_grad()
        loss = crit(run(), y)
        loss.backward()
        total = lib.nn.utils.clip_grad_norm_(model.parameters(), clip) if clip else None
        grads = {n: _np(p.grad).copy() for n, p in model.named_parameters()}
        opt.step()
        return loss.item(), grads, total
    return model, step


def _reference(lib, workload):
    if workload in ("sgd", "adam"):
        return make_mlp_train(lib, workload, batch=8)
    if workload == "cnn":
        return make_cnn_train(lib, 2, dropout=False)
    sizes = LSTM_SIZES if workload == "lstm" else WIDE_LSTM
    return make_lstm_train(lib, dropout=False, max_norm=LSTM_CLIP, **sizes)


def _close(name, got, want, rtol=1e-4, atol=1e-5):
    """rtol relative to each element, atol relative to the tensor's largest magnitude."""
    scale = max(float(np.abs(want).max()), 1e-30)
    np.testing.assert_allclose(got, want, rtol=rtol, atol=atol * scale, err_msg=name)


@pytest.mark.parametrize("libname", ["torch", "ember"])
@pytest.mark.parametrize("workload", ["sgd", "adam", "cnn", "lstm", "wide lstm"])
def test_train_steps_match_framework(libname, workload):
    lib = _lib(libname)
    model, step = _framework(lib, workload)
    ref = _reference(lib, workload)
    assert ref.model.p.keys() == dict(model.named_parameters()).keys()
    for _ in range(2):  # the second step uses the momentum buffer / Adam's moments
        loss, grads, total = step()
        ref_loss = ref()
        np.testing.assert_allclose(ref_loss, loss, rtol=1e-5)
        for name, g in grads.items():
            _close(f"grad {name}", ref.last_grads[name], g)
        if total is not None:
            assert float(total) > LSTM_CLIP  # clipping happened
        for name, p in model.named_parameters():
            if workload != "sgd" and workload != "cnn":
                # Adam turns a gradient's float32 noise where it is ~1e-9 into up to ~lr: here
                # within 5% of lr; tightly, with the same gradients, in test_optimizers_match_*
                got, want = ref.model.p[name], _np(p)
                np.testing.assert_allclose(got, want, rtol=0, atol=0.05 * ref.opt.lr,
                                           err_msg=name)
                assert (abs(got - want) <= 1e-6 + 1e-5 * abs(want)).mean() > 0.999, name
            else:
                _close(f"param {name}", ref.model.p[name], _np(p), rtol=1e-5, atol=1e-6)
            ref.model.p[name][...] = _np(p)  # the next step starts from the same weights


@pytest.mark.parametrize("libname", ["torch", "ember"])
def test_optimizers_match_framework(libname):
    """Three steps of SGD(momentum), Adam and clip_grad_norm_ fed the same gradients."""
    lib = _lib(libname)
    rng = np.random.default_rng(1)
    shapes = {"a": (5, 3), "b": (7,)}
    init = {n: rng.standard_normal(s).astype(np.float32) for n, s in shapes.items()}
    grads = [{n: rng.standard_normal(s).astype(np.float32) for n, s in shapes.items()}
             for _ in range(3)]
    for kind in ("sgd", "adam", "clip+adam"):
        ps = {n: lib.from_numpy(a.copy()).requires_grad_() for n, a in init.items()}
        ref_ps = {n: a.copy() for n, a in init.items()}
        if kind == "sgd":
            opt, ref_opt = lib.optim.SGD(ps.values(), lr=0.1, momentum=0.9), SGD(ref_ps, 0.1, 0.9)
        else:
            opt, ref_opt = lib.optim.Adam(ps.values(), lr=0.01), Adam(ref_ps, lr=0.01)
        for g in grads:
            for n, p in ps.items():
                p.grad = lib.from_numpy(g[n].copy())
            ref_g = {n: a.copy() for n, a in g.items()}
            if kind == "clip+adam":
                total = lib.nn.utils.clip_grad_norm_(ps.values(), 1.0)
                ref_total = clip_grad_norm(ref_g, 1.0)
                np.testing.assert_allclose(ref_total, float(total), rtol=1e-6)
                assert ref_total > 1.0
                for n, p in ps.items():
                    np.testing.assert_allclose(ref_g[n], _np(p.grad), rtol=1e-6, atol=1e-7)
            opt.step()
            ref_opt.step(ref_g)
            for n, p in ps.items():
                np.testing.assert_allclose(ref_ps[n], _np(p), rtol=1e-6, atol=1e-7,
                                           err_msg=f"{kind} {n}")


@pytest.mark.parametrize("libname", ["torch", "ember"])
@pytest.mark.parametrize("batch", [1, 5])
def test_mlp_inference_matches_framework(libname, batch):
    lib = _lib(libname)
    lib.manual_seed(0)
    model = mlp(lib).eval()
    x = random_batches(1, (batch, 784))[0][0]
    with lib.no_grad():
        want = _np(model(lib.from_numpy(x)))
    got = make_mlp_infer(lib, batch)()
    assert got.dtype == np.float32 and got.shape == (batch, 10)
    _close("log-probs", got, want, rtol=1e-5, atol=1e-6)


def test_dropout_masks():
    d = Dropout(0.25, np.random.default_rng(0))
    x = np.ones((400, 500), np.float32)
    y = d.forward(x)
    assert y.dtype == np.float32
    assert abs((y == 0).mean() - 0.25) < 0.005
    np.testing.assert_allclose(y[y != 0], 1 / 0.75, rtol=1e-6)
    g = d.backward(np.full_like(x, 2.0))
    np.testing.assert_array_equal(g, 2 * y)  # backward uses the same mask
    off = Dropout(0.25, np.random.default_rng(0), on=False)
    assert off.forward(x) is x and off.mask is None


def test_dropout_on_in_models():
    step = make_lstm_train(ember, **LSTM_SIZES)
    assert np.isfinite(step())
    for d in step.model.drops:  # between the LSTM layers and before fc
        assert d.mask.size == LSTM_SIZES["seq"] * LSTM_SIZES["batch"] * LSTM_SIZES["hidden"]
        assert set(np.unique(d.mask)) <= {0.0, 2.0} and 0.2 < (d.mask == 0).mean() < 0.8
    cnn = make_cnn_train(ember, 2)
    off = make_cnn_train(ember, 2, dropout=False)
    assert cnn() != off()  # the same weights and batch: only the masks differ
    m1, m2 = cnn.model.drop1.mask, cnn.model.drop2.mask
    assert m1.shape == (2, 1024) and m2.shape == (2, 500)
    assert abs((m1 == 0).mean() - 0.25) < 0.05
    np.testing.assert_allclose(m1[m1 != 0], 1 / 0.75, rtol=1e-6)


@pytest.mark.parametrize("workload, scale", [("cnn", 0.01), ("lstm", 1.0)])
def test_dropout_on_gradients_by_finite_differences(workload, scale):
    """With dropout on (masks held fixed), the hand-written backward is the loss's derivative:
    a central difference along a random direction of all parameters matches sum(grad * dir)."""
    step = _reference(ember, workload)
    model = step.model
    drops = [model.drop1, model.drop2] if workload == "cnn" else model.drops
    for d in drops:
        d.on = True

    def loss_grads():
        for k, d in enumerate(drops):  # the same masks at every evaluation
            d.rng = np.random.default_rng(k)
        return model.loss_and_grads(step.x, step.y)

    _, grads = loss_grads()
    assert all((d.mask == 0).any() for d in drops)
    rng = np.random.default_rng(5)
    direction = {n: rng.standard_normal(p.shape).astype(np.float32) * scale  # CNN: ReLU kinks
                 for n, p in model.p.items()}
    want = sum(float((grads[n].astype(np.float64) * direction[n]).sum()) for n in model.p)
    start = {n: p.copy() for n, p in model.p.items()}
    eps = 1e-3
    losses = []
    for sign in (1, -1):
        for n, p in model.p.items():
            p[...] = start[n] + sign * eps * direction[n]
        losses.append(float(loss_grads()[0]))
    np.testing.assert_allclose((losses[0] - losses[1]) / (2 * eps), want, rtol=2e-2)
