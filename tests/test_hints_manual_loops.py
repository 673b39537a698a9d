"""More learner hints (ember._hints, ember._hints_watch): the missing-zero_grad detector in loops
that update weights by hand (no optimizer), warning once, and not for loops that reset the grads
or accumulate on purpose; and the loss hints of a label-smoothed cross_entropy, which name the
function the user called (torch's own texts unchanged, checked against torch)."""

import os
import subprocess
import sys
import warnings

import pytest

import ember
from ember import _hints
from oracle import check_error
from test_hints import _hints_on, _note  # noqa: E402,F401  (the autouse fixture too)


# ---------------------------------------------------------------- manual SGD loops
def _manual_sgd(reset, steps=6, style="no_grad"):
    """The course's linear regression: w -= lr * w.grad under no_grad, with or without resets."""
    ember.manual_seed(0)
    x = ember.randn(32, 3)
    y = x @ ember.tensor([1.0, -2.0, 0.5]) + 0.3
    w = ember.zeros(3, requires_grad=True)
    b = ember.zeros(1, requires_grad=True)
    for _ in range(steps):
        loss = ((x @ w + b - y) ** 2).mean()
        loss.backward()
        if style == "no_grad":
            with ember.no_grad():
                w -= 0.1 * w.grad
                b -= 0.1 * b.grad
                if reset == "zero_":
                    w.grad.zero_()
                    b.grad.zero_()
        else:  # the older `.data` style
            w.data -= 0.1 * w.grad.data
            b.data -= 0.1 * b.grad.data
        if reset == "none":
            w.grad = None
            b.grad = None
    return loss


def _hinted(fn, *args, **kwargs):
    stop = _hints.watch_zero_grad()
    try:
        with warnings.catch_warnings(record=True) as seen:
            warnings.simplefilter("always")
            fn(*args, **kwargs)
    finally:
        stop()
    return [w for w in seen if issubclass(w.category, _hints.HintWarning)]


@pytest.mark.parametrize("style", ["no_grad", "data"])
def test_manual_update_without_reset_warns_once(style):
    hinted = _hinted(_manual_sgd, None, style=style)
    assert len(hinted) == 1, [str(w.message) for w in hinted]
    text = str(hinted[0].message)
    assert text.startswith("ember hint: loss.backward() is adding to "), text
    name = "b" if "adding to b.grad" in text else "w"
    assert (f"{name}.grad, left over from before {name} was last updated" in text
            and f"{name}.grad.zero_() (or {name}.grad = None)" in text), text
    assert hinted[0].filename == __file__  # at the user's loss.backward() line


@pytest.mark.parametrize("reset", ["zero_", "none"])
def test_manual_update_with_reset_does_not_warn(reset):
    assert _hinted(_manual_sgd, reset) == []


def test_accumulating_on_purpose_does_not_warn():
    def accumulate():  # several backward() calls per update, then one reset: correct
        w = ember.ones(3, requires_grad=True)
        for _ in range(4):
            for _ in range(3):
                (w * w).sum().backward()
            with ember.no_grad():
                w -= 0.01 * w.grad
                w.grad.zero_()
    assert _hinted(accumulate) == []


def test_optimizer_loop_without_zero_grad_warns_once_not_twice():
    def train():
        ember.manual_seed(0)
        model = ember.nn.Linear(4, 2)
        opt = ember.optim.SGD(model.parameters(), lr=0.1)
        x, y = ember.randn(8, 4), ember.tensor([0, 1] * 4)
        for _ in range(6):
            ember.nn.functional.cross_entropy(model(x), y).backward()
            opt.step()
    hinted = _hinted(train)
    assert len(hinted) == 1 and "optimizer.zero_grad()" in str(hinted[0].message)


def test_set_hints_false_silences_the_detector():
    ember.set_hints(False)
    assert _hinted(_manual_sgd, None) == []


def test_stop_removes_the_engine_watcher():
    from ember.autograd import engine
    before = list(engine.accumulate_watch)
    _hints.watch_zero_grad()()
    assert engine.accumulate_watch == before


def test_ember_run_explain_warns_for_a_manual_loop(tmp_path):
    (tmp_path / "sgd.py").write_text(
        "import torch\nx = torch.randn(16, 2)\ny = x.sum(1)\n"
        "w = torch.zeros(2, requires_grad=True)\n"
        "for step in range(5):\n"
        "    loss = ((x @ w - y) ** 2).mean()\n"
        "    loss.backward()\n"
        "    with torch.no_grad():\n"
        "        w -= 0.1 * w.grad\n")
    env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1")
    r = subprocess.run([sys.executable, "-m", "ember", "run", "--explain", "sgd.py"],
                       cwd=tmp_path, text=True, capture_output=True, timeout=120, env=env)
    assert r.returncode == 0, r.stderr
    assert r.stderr.count("HintWarning: ember hint: loss.backward() is adding to w.grad") == 1, \
        r.stderr


# ---------------------------------------------------------------- label smoothing
def _x(L):
    return L.zeros(4, 3)


SMOOTHED = [  # (call, exception, torch's text, parts of the hint)
    (lambda L: L.nn.functional.cross_entropy(_x(L), L.tensor([0., 1., 2., 0.]),
                                             label_smoothing=0.1),
     RuntimeError, "expected target dtype to be Long or Byte, but got Float",
     "cross_entropy takes class indices as int64: use target.long()"),
    (lambda L: L.nn.CrossEntropyLoss(label_smoothing=0.2)(_x(L), L.tensor([[0], [1], [2], [0]])),
     RuntimeError, "0D or 1D target tensor expected, multi-target not supported",
     "shape [4, 1]; cross_entropy wants one class index per sample"),
    (lambda L: L.nn.functional.cross_entropy(_x(L), L.tensor([1, 2, 3, 3]), label_smoothing=0.1),
     IndexError, "Target 3 is out of bounds.", "targets must be 0..2"),
]


@pytest.mark.parametrize("case", range(len(SMOOTHED)))
def test_label_smoothing_hints_name_cross_entropy(case):
    call, exc, text, part = SMOOTHED[case]
    note = _note(check_error(call, exc=exc, match=text))
    assert part in note and "nll_loss" not in note, note


def test_label_smoothing_log_probs_hint_reads_the_users_input():
    # the smoothed loss computes nll_loss of its own log_softmax: that must not count as the
    # user's input coming out of log_softmax ...
    x = ember.zeros(4, 3, requires_grad=True)
    with pytest.raises(RuntimeError) as ei:
        ember.nn.functional.cross_entropy(x * 1, ember.tensor([0., 1., 2., 0.]),
                                          label_smoothing=0.1)
    assert "comes out of log_softmax" not in _note(ei.value)
    # ... while log-probabilities the user passes are still named
    with pytest.raises(RuntimeError) as ei:
        ember.nn.functional.cross_entropy(x.log_softmax(1), ember.tensor([0., 1., 2., 0.]),
                                          label_smoothing=0.1)
    assert "Also: this input comes out of log_softmax" in _note(ei.value)
