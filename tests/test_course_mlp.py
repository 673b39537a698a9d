"""The course's MNIST MLP (784-256-128-64-10, built in benchmarks/course_models.py) trained side
by side with torch: torch's initial weights, identical batches, 100 steps; the loss sequences
agree to 1e-4 relative and the validation accuracy (model.eval() under no_grad) is identical. A
CrossEntropyLoss + Dropout variant trains with Adam when ember.optim is present (dropout masks
follow torch's stream)."""

import numpy as np
from benchmarks.course_models import mlp

import ember
import ember.nn  # noqa: F401
from oracle import requires_torch, torch

STEPS, BATCH = 100, 64


def data():
    rng = np.random.default_rng(0)
    centers = rng.standard_normal((10, 784)).astype(np.float32)
    y = rng.integers(0, 10, STEPS * BATCH + 512)
    x = (centers[y] + 4.0 * rng.standard_normal((len(y), 784))).astype(np.float32)
    return x, y.astype(np.int64)


def train(L, model, opt_name, criterion, x, y, lr):
    if opt_name == "manual":
        params = list(model.parameters())
    else:
        opt = getattr(L.optim, opt_name)(model.parameters(), lr=lr)
    losses = []
    L.manual_seed(123)
    model.train()
    for i in range(STEPS):
        xb = L.from_numpy(x[i * BATCH:(i + 1) * BATCH])
        yb = L.from_numpy(y[i * BATCH:(i + 1) * BATCH])
        if opt_name == "manual":
            model.zero_grad()
        else:
            opt.zero_grad()
        loss = criterion(model(xb), yb)
        loss.backward()
        if opt_name == "manual":
            with L.no_grad():
                for p in params:
                    p -= lr * p.grad
        else:
            opt.step()
        losses.append(loss.item())
    model.eval()
    with L.no_grad():
        xv, yv = L.from_numpy(x[-512:]), L.from_numpy(y[-512:])
        out = model(xv)
        _, pred = L.max(out, 1)
        acc = (pred == yv).sum().item()
    return np.array(losses), acc, out


def run_both(dropout, opt_name, criterion, lr):
    x, y = data()
    torch.manual_seed(0)
    tm = mlp(torch, dropout, log_softmax=not dropout)
    em = mlp(ember, dropout, log_softmax=not dropout)
    em.load_state_dict({k: ember.from_numpy(v.numpy().copy())
                        for k, v in tm.state_dict().items()})
    tl, tacc, tout = train(torch, tm, opt_name, getattr(torch.nn, criterion)(), x, y, lr)
    el, eacc, eout = train(ember, em, opt_name, getattr(ember.nn, criterion)(), x, y, lr)
    np.testing.assert_allclose(el, tl, rtol=1e-4)
    assert eacc == tacc
    np.testing.assert_allclose(eout.numpy(), tout.numpy(), rtol=1e-3, atol=1e-4)
    return tl


@requires_torch
def test_course_mlp_nll_optim_sgd():
    run_both(0.0, "SGD", "NLLLoss", 0.03)


@requires_torch
def test_course_mlp_nll_manual_sgd():
    losses = run_both(0.0, "manual", "NLLLoss", 0.03)
    assert losses[-1] < losses[0] * 0.8  # it really trains


@requires_torch
def test_course_mlp_cross_entropy_dropout_adam():
    losses = run_both(0.2, "Adam", "CrossEntropyLoss", 1e-3)
    assert losses[-1] < losses[0]


@requires_torch
def test_course_model_repr_and_state_dict():
    torch.manual_seed(0)
    ember.manual_seed(0)
    tm, em = mlp(torch, 0.2, log_softmax=False), mlp(ember, 0.2, log_softmax=False)
    assert repr(em) == repr(tm)
    assert list(em.state_dict()) == list(tm.state_dict())
    for a, b in zip(em.parameters(), tm.parameters()):  # init follows torch's stream
        np.testing.assert_array_equal(a.detach().numpy(), b.detach().numpy())


