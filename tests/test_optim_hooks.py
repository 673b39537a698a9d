"""Optimizer step hooks (per instance and module-wide) and `differentiable=True`, against torch.

The same scenario runs on both frameworks and records what each hook saw: the order of global
and per-instance hooks, the (args, kwargs) of the call (self included in args, as torch's),
a pre-hook replacing the arguments, a bad return value and removal through the handle.
ember's updates record no graph, so `differentiable=True` is refused when a step would use it.
"""

import re

import numpy as np
import pytest

import ember
import ember.optim
from oracle import requires_torch, torch


def _opt_module(lib):
    import importlib
    return importlib.import_module(lib.__name__ + ".optim.optimizer")


def _scenario(lib):
    """Runs two steps with hooks of every kind and returns what they saw."""
    p = lib.ones(2, requires_grad=True)
    opt = lib.optim.SGD([p], lr=0.5)
    seen = []

    def closure_a():
        seen.append("closure_a")
        opt.zero_grad()
        loss = (p * p).sum()
        loss.backward()
        return loss

    def closure_b():
        seen.append("closure_b")
        opt.zero_grad()
        loss = (3 * p).sum()
        loss.backward()
        return loss

    def swap(o, args, kwargs):
        seen.append(("swap", o is opt, len(args), args[0] is opt, sorted(kwargs)))
        return (args[0],), {"closure": closure_b}

    m = _opt_module(lib)
    handles = [
        m.register_optimizer_step_pre_hook(lambda o, a, k: seen.append("global_pre")),
        m.register_optimizer_step_post_hook(lambda o, a, k: seen.append(("global_post",
                                                                        sorted(k)))),
        opt.register_step_pre_hook(lambda o, a, k: seen.append(("pre", len(a), sorted(k)))),
        opt.register_step_post_hook(lambda o, a, k: seen.append("post")),
    ]
    try:
        loss = opt.step(closure=closure_a)
        seen.append(float(loss.detach()))
        swapper = opt.register_step_pre_hook(swap)
        loss = opt.step(closure_a)
        seen.append(float(loss.detach()))
        swapper.remove()
        handles[0].remove()
        opt.step(closure_a)
    finally:
        for h in handles:
            h.remove()
    opt.step(closure_a)
    seen.append(p.detach().numpy().tolist())
    return seen


@requires_torch
def test_step_hooks_follow_torch():
    e, t = _scenario(ember), _scenario(torch)
    assert e == t
    assert "closure_b" in e and e.count("global_pre") == 2


@requires_torch
@pytest.mark.parametrize("name,kw", [("Adam", {}), ("LBFGS", {}), ("SparseAdam", {})])
def test_every_optimizer_runs_the_hooks(name, kw):
    out = []
    for lib in (ember, torch):
        p = lib.ones(2, requires_grad=True)
        opt = getattr(lib.optim, name)([p], **kw)
        seen = []
        opt.register_step_pre_hook(lambda o, a, k: seen.append(("pre", len(a), sorted(k))))
        opt.register_step_post_hook(lambda o, a, k: seen.append("post"))

        def closure():
            seen.append("closure")
            opt.zero_grad()
            loss = (p * p).sum()
            if name != "SparseAdam":  # its dense gradient would be refused
                loss.backward()
            return loss
        opt.step(closure)
        out.append(seen)
    assert out[0] == out[1]


@requires_torch
def test_bad_pre_hook_return_is_refused_as_torch():
    texts = []
    for lib in (ember, torch):
        p = lib.ones(2, requires_grad=True)
        opt = lib.optim.SGD([p], lr=0.1)
        opt.register_step_pre_hook(lambda o, a, k: 3)
        with pytest.raises(RuntimeError) as info:
            opt.step()
        # the message shows the step function, whose address differs
        texts.append(re.sub(r" at 0x[0-9a-f]+", "", str(info.value)))
    assert texts[0] == texts[1]
    assert texts[0] == ("<function SGD.step> must return None or a tuple of (new_args, "
                        "new_kwargs), but got 3.")


def test_global_hooks_without_torch():
    p = ember.ones(2, requires_grad=True)
    p.grad = ember.ones(2)
    opt = ember.optim.Adam([p])
    calls = []
    h = ember.optim.optimizer.register_optimizer_step_post_hook(
        lambda o, a, k: calls.append((o is opt, a[0] is opt)))
    opt.step()
    h.remove()
    opt.step()
    assert calls == [(True, True)]


@requires_torch
@pytest.mark.parametrize("name", ["SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "Adadelta",
                                  "Adamax", "NAdam", "RAdam"])
def test_differentiable_is_refused_where_torch_would_record_a_graph(name):
    # torch records the update into the graph (its leaf case fails on the in-place update);
    # ember's array updates cannot, so the step refuses before changing anything
    p = ember.ones(2, requires_grad=True)
    p.grad = ember.ones(2)
    opt = getattr(ember.optim, name)([p], differentiable=True)
    with pytest.raises(NotImplementedError) as info:
        opt.step()
    assert str(info.value) == (f"ember does not implement torch.optim.{name}"
                               "(differentiable=True) yet")
    assert p.detach().numpy().tolist() == [1.0, 1.0]
    tp = torch.ones(2, requires_grad=True)
    tp.grad = torch.ones(2)
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        getattr(torch.optim, name)([tp], differentiable=True).step()


def test_differentiable_false_and_a_group_asking_for_it():
    p, q = ember.ones(2, requires_grad=True), ember.ones(2, requires_grad=True)
    p.grad, q.grad = ember.ones(2), ember.ones(2)
    opt = ember.optim.SGD([p], lr=0.5, differentiable=False)
    opt.step()
    np.testing.assert_array_equal(p.detach().numpy(), [0.5, 0.5])
    opt.add_param_group({"params": [q], "differentiable": True})
    with pytest.raises(NotImplementedError, match=r"torch\.optim\.SGD\(differentiable=True\)"):
        opt.step()
