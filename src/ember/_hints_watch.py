"""The `ember run --explain` detectors: warnings, once each, about training mistakes that raise no
error: a missing zero_grad() (with an optimizer, or in a loop that updates weights by hand) and
evaluation with dropout or batch norm still in train() mode. Each warns as a HintWarning at the
user's line, and logs the hint for `ember explain`'s report (see ember._hints)."""

import os
import sys
import warnings
import weakref

from ._hints import (
    HintWarning,
    _describe,
    _enabled,
    _Hint,
    _isa,
    _outer_call,
    _path,
    _root_name,
    log,
)


def _warn(text, frame):
    """Warns at `frame`, the user's line (through module and hook frames, stacklevel cannot)."""
    hint = _Hint()
    hint.lines.append(text)
    log.append(hint)
    if frame is None:
        warnings.warn(hint.text(), HintWarning, stacklevel=2)
        return
    registry = frame.f_globals.setdefault("__warningregistry__", {})
    warnings.warn_explicit(hint.text(), HintWarning, frame.f_code.co_filename, frame.f_lineno,
                           frame.f_globals.get("__name__"), registry)


def _user_frame():
    """The innermost frame outside ember (the user's line), else None."""
    here = __file__.rsplit(os.sep, 1)[0] + os.sep
    frame = sys._getframe(1)
    while frame is not None and frame.f_code.co_filename.startswith(here):
        frame = frame.f_back
    return frame


def watch_zero_grad():
    """Warns once when backward() adds into gradients left over from before the last update of
    the weights (a missing zero_grad()); returns a function that stops watching.

    Optimizer loops: after each step it remembers one parameter's grad; a gradient hook on that
    parameter sees, at the next backward, whether that (non-zero) grad is still there to be
    added to. Loops without an optimizer (`with torch.no_grad(): w -= lr * w.grad`): the
    autograd engine reports each accumulation into a leaf's existing grad; when that grad is
    non-zero and the leaf changed since the previous backward, the update left it in place."""
    from .autograd import engine
    from .optim.optimizer import register_optimizer_step_post_hook
    watched, state = {}, {"stale": 0, "warned": False}  # id(optimizer) -> _Watched
    managed, leaves = set(), {}  # ids of optimizers' parameters; id(leaf) -> _Leaf

    def after_step(opt, args, kwargs):
        w = watched.get(id(opt))
        if w is None:
            managed.update(id(p) for g in opt.param_groups for p in g["params"])
            p = next((p for g in opt.param_groups for p in g["params"] if p.grad is not None),
                     None)
            if p is None:
                return
            w = watched[id(opt)] = {"param": p, "norms": []}
            w["handle"] = p.register_hook(lambda grad: on_grad(w))
        w["grad"] = w["param"].grad
        if w["grad"] is not None:
            w["norms"].append(float(w["grad"].detach().norm()))

    def on_grad(w):
        g = w.get("grad")
        if (not _enabled[0] or state["warned"] or g is None or w["param"].grad is not g
                or not bool(g._data.any())):
            return
        state["stale"] += 1
        if state["stale"] >= 2:
            state["warned"] = True
            norms = ", ".join(f"{v:.4g}" for v in w["norms"][-5:])
            _warn("loss.backward() is adding to gradients left over from before the last "
                  "optimizer.step(): zero_grad() is missing, so the gradients pile up and each "
                  f"step is bigger than it should be (gradient norm of one weight at the last "
                  f"steps: {norms}). Call optimizer.zero_grad() before loss.backward() in "
                  f"every iteration.", _user_frame())

    def on_accumulate(leaf, old):
        if not _enabled[0] or state["warned"] or id(leaf) in managed:
            return
        sig = _signature(leaf)
        entry = leaves.get(id(leaf))
        if entry is None or entry["ref"]() is not leaf:
            leaves[id(leaf)] = {"ref": weakref.ref(leaf), "sig": sig, "stale": 0, "norms": []}
            return
        changed, entry["sig"] = entry["sig"] != sig, sig
        if old is None or not changed or not bool(old._data.any()):
            return
        entry["norms"].append(float(old.detach().norm()))
        entry["stale"] += 1
        if entry["stale"] >= 2:
            state["warned"] = True
            frame = _user_frame()
            name = _name_of(leaf, frame)
            norms = ", ".join(f"{v:.4g}" for v in entry["norms"][-5:])
            _warn(f"loss.backward() is adding to {name}.grad, left over from before {name} was "
                  f"last updated: the gradient is never reset, so it piles up and each update "
                  f"is bigger than it should be (norm of {name}.grad before the last backward() "
                  f"calls: {norms}). After updating, reset it in the same `with torch.no_grad():` "
                  f"block: {name}.grad.zero_() (or {name}.grad = None).", frame)

    handle = register_optimizer_step_post_hook(after_step)
    engine.accumulate_watch.append(on_accumulate)

    def stop():
        handle.remove()
        if on_accumulate in engine.accumulate_watch:
            engine.accumulate_watch.remove(on_accumulate)
        for w in watched.values():
            w["handle"].remove()
    return stop


def _signature(leaf):
    """What changes when a leaf is updated: its version (in-place ops), its array (a `.data`
    assignment) and its first values (an in-place op on `.data`)."""
    data = leaf._data
    return leaf._version, id(data), data.reshape(-1)[:8].tolist()


def _name_of(leaf, frame):
    """The user's name for `leaf` (a variable in the calling frame, or `model.fc.weight`)."""
    while frame is not None:
        for scope in (frame.f_locals, frame.f_globals):
            for name, value in scope.items():
                if value is leaf:
                    return name
        frame = frame.f_back
    return "the weight"


def watch_train_mode():
    """Warns once when dropout or batch norm runs in train() mode under no_grad (evaluation
    without model.eval()); returns a function that stops watching."""
    from .autograd.grad_mode import is_grad_enabled
    from .nn.modules.module import register_module_forward_pre_hook
    warned = []

    def pre(module, args):
        if (_enabled[0] and not warned and module.training and not is_grad_enabled()
                and _isa(module, "_DropoutNd", "_BatchNorm")):
            warned.append(True)
            root, caller = _outer_call(sys._getframe(1))
            name = _root_name(root or module, caller) or "model"
            what = ("drops values at random" if _isa(module, "_DropoutNd") else
                    "normalizes with this batch's statistics and updates its running averages")
            _warn(f"{name}{_path(root, module)} ({_describe(module)}) ran in training mode "
                  f"under torch.no_grad(): it {what}, so evaluation results are off. Call "
                  f"{name}.eval() before evaluating and {name}.train() before training again.",
                  caller)

    return register_module_forward_pre_hook(pre).remove


def watch():
    """Turns on every --explain detector; returns a function that turns them off."""
    stops = [watch_zero_grad(), watch_train_mode()]

    def stop():
        for s in stops:
            s()
    return stop
