"""ember's hints for learners (ember._hints): each hint's trigger, its note text, torch's exact
exception type and message underneath (the oracle: the same call under torch raises the same type
and text), `set_hints(False)`, and the `--explain` detectors."""

import os
import subprocess
import sys
import warnings

import pytest

import ember
from ember import _hints
from oracle import check_error


@pytest.fixture(autouse=True)
def _hints_on():
    ember.set_hints(True)
    yield
    ember.set_hints(True)


def _note(e):
    notes = [n for n in getattr(e, "__notes__", ()) if n.startswith("ember hint: ")]
    assert len(notes) == 1, getattr(e, "__notes__", None)
    assert e.__ember_hint__ == notes[0]
    return notes[0]


def _net(L, in2=128):
    class Net(L.nn.Module):
        def __init__(self):
            super().__init__()
            self.fc1 = L.nn.Linear(784, 128)
            self.fc2 = L.nn.Linear(in2, 10)

        def forward(self, x):
            return self.fc2(L.relu(self.fc1(x)))
    return Net()


# ---------------------------------------------------------------- shape mismatch in a module
def _wrong_in_features(L):
    model = _net(L, in2=100)
    return model(L.zeros(64, 784))


def test_shape_mismatch_names_module_path_input_and_fix():
    e = check_error(_wrong_in_features, exc=RuntimeError,
                    match="mat1 and mat2 shapes cannot be multiplied (64x128 and 100x10)")
    note = _note(e)
    assert note.startswith("ember hint: raised in model.fc2 (Linear(in_features=100, "
                           "out_features=10, bias=True)), whose input has shape [64, 128] "
                           "(torch.float32); it expects [*, 100].\n"), note
    assert "build this layer as nn.Linear(128, 10)" in note


def _nested(L):
    class Net(L.nn.Module):
        def __init__(self):
            super().__init__()
            self.features = L.nn.Sequential(L.nn.Conv2d(3, 8, 3), L.nn.ReLU())

        def forward(self, x):
            return self.features(x)
    network = Net()
    return network(L.zeros(2, 1, 8, 8))


def test_nested_module_path_uses_the_callers_variable_name():
    e = check_error(_nested, exc=RuntimeError,
                    match="Given groups=1, weight of size [8, 3, 3, 3], expected input[2, 1, 8, 8]"
                          " to have 3 channels, but got 1 channels instead")
    note = _note(e)
    assert "raised in network.features.0 (Conv2d(3, 8, kernel_size=(3, 3), stride=(1, 1)))" in note
    assert "in_channels=3 but the input has 1 channel (dimension 1" in note


def _missing_flatten(L):
    model = _net(L)
    return model(L.zeros(8, 1, 28, 28))


def test_missing_flatten_before_linear():
    e = check_error(_missing_flatten, exc=RuntimeError,
                    match="mat1 and mat2 shapes cannot be multiplied (224x28 and 784x128)")
    note = _note(e)
    assert "raised in model.fc1 (" in note and "input has shape [8, 1, 28, 28]" in note
    assert "Each sample has 1*28*28 = 784 values" in note and "x = x.flatten(1)" in note


@pytest.mark.parametrize("dtype,name,fix", [
    ("int64", "Long", "convert it with x.float(). Tensors made from Python ints"),
    ("uint8", "Byte", "x.float() (uint8 pixels 0..255 usually also want / 255)"),
    ("float64", "Double", "torch.from_numpy keeps that"),
])
def test_integer_or_double_input_to_float_model(dtype, name, fix):
    def fn(L):
        model = _net(L)
        return model(L.zeros(4, 784, dtype=getattr(L, dtype)))
    e = check_error(fn, exc=RuntimeError,
                    match=f"mat1 and mat2 must have the same dtype, but got {name} and Float")
    note = _note(e)
    assert f"input has shape [4, 784] (torch.{dtype})" in note and fix in note


LAYER_CASES = [  # (layer, input, exception, torch's text, part of the hint)
    (lambda L: L.nn.BatchNorm1d(10), lambda L: L.zeros(5, 20), RuntimeError,
     "running_mean should contain 20 elements not 10", "build it with num_features=20"),
    (lambda L: L.nn.Embedding(10, 3), lambda L: L.tensor([1, 10]), IndexError,
     "index out of range in self", "this input has 10: build it with num_embeddings=11"),
    (lambda L: L.nn.LSTM(10, 20), lambda L: L.zeros(5, 3, 8), RuntimeError,
     "input.size(-1) must be equal to input_size. Expected 10, got 8",
     "build the layer with input_size=8"),
    (lambda L: L.nn.Conv2d(1, 4, 3), lambda L: L.zeros(5, 784), RuntimeError,
     "Expected 3D (unbatched) or 4D (batched) input to conv2d, but got input of size: [5, 784]",
     "x.view(-1, 1, 28, 28)"),
    (lambda L: L.nn.Conv2d(3, 4, 3), lambda L: L.zeros(2, 8, 8, 3), RuntimeError,
     "Given groups=1, weight of size [4, 3, 3, 3], expected input[2, 8, 8, 3] to have 3 channels,"
     " but got 8 channels instead", "x.permute(0, 3, 1, 2)"),
    (lambda L: L.nn.LayerNorm(10), lambda L: L.zeros(5, 8), RuntimeError,
     "Given normalized_shape=[10], expected input with shape [*, 10], but got input of size[5, 8]",
     "here [8]"),
]


@pytest.mark.parametrize("case", range(len(LAYER_CASES)))
def test_layer_hints(case):
    layer, x, exc, text, fix = LAYER_CASES[case]

    def fn(L):
        model = layer(L)
        return model(x(L))
    note = _note(check_error(fn, exc=exc, match=text))
    assert note.startswith("ember hint: raised in model (") and fix in note, note


def test_direct_call_of_a_submodule_names_it_through_its_parent():
    model = _net(ember)
    with pytest.raises(RuntimeError) as ei:
        model.fc2(ember.zeros(3, 784))
    assert "raised in model.fc2 (Linear(" in _note(ei.value)


def test_an_unnamed_module_is_described_by_its_repr():
    with pytest.raises(RuntimeError) as ei:
        ember.nn.Linear(3, 2)(ember.zeros(1, 4))
    assert _note(ei.value).startswith("ember hint: raised in Linear(in_features=3, "
                                      "out_features=2, bias=True), whose input")


def test_hooks_path_and_errors_ember_does_not_explain():
    model = _net(ember)
    handle = model.fc1.register_forward_pre_hook(lambda m, a: None)
    try:
        with pytest.raises(RuntimeError) as ei:
            model(ember.zeros(2, 100))
        assert "raised in model.fc1 (" in _note(ei.value)
    finally:
        handle.remove()

    class Bad(ember.nn.Module):
        def forward(self, x):
            if x.numel() == 1:
                raise KeyError("mine")
            if x.numel() == 2:
                raise RuntimeError("not about the data")
            return x.view(-1, 320)
    bad = Bad()
    for n, exc in ((1, KeyError), (2, RuntimeError)):
        with pytest.raises(exc) as ei:
            bad(ember.zeros(n))
        assert not hasattr(ei.value, "__ember_hint__")
    with pytest.raises(RuntimeError) as ei:  # no rule, but about shapes: where it happened
        bad(ember.zeros(4, 500))
    assert str(ei.value) == "shape '[-1, 320]' is invalid for input of size 2000"
    assert _note(ei.value) == ("ember hint: raised in bad (Bad()), whose input has shape [4, 500] "
                               "(torch.float32).")


# ---------------------------------------------------------------- losses
def _x(L):
    return L.tensor([[0.5, -1.0, 2.0], [0.1, 0.2, 0.3], [1.0, 0.0, -1.0], [0.3, 0.3, 0.9]],
                    requires_grad=True)


LOSS_CASES = [  # (call, exception, torch's text, parts of the hint)
    (lambda L: L.nn.functional.cross_entropy(_x(L), L.tensor([0., 1., 2., 0.])), RuntimeError,
     "expected target dtype to be Long or Byte, but got Float",
     ["cross_entropy takes class indices as int64: use target.long()"]),
    (lambda L: L.nn.functional.nll_loss(_x(L), L.tensor([[0], [1], [2], [0]])), RuntimeError,
     "0D or 1D target tensor expected, multi-target not supported",
     ["shape [4, 1]; nll_loss wants one class index per sample", "target.squeeze(1)"]),
    (lambda L: L.nn.functional.cross_entropy(_x(L), L.eye(3, dtype=L.long)[[0, 1, 2, 0]]),
     RuntimeError, "Expected floating point type for target with class probabilities, got Long",
     ["reads it as class probabilities", "target.argmax(dim=1)"]),
    (lambda L: L.nn.functional.cross_entropy(_x(L), L.tensor([0, 1])), ValueError,
     "Expected input batch_size (4) to match target batch_size (2).",
     ["x.view(x.size(0), -1) keeps it"]),
    (lambda L: L.nn.functional.cross_entropy(_x(L), L.tensor([1, 2, 3, 3])), IndexError,
     "Target 3 is out of bounds.",
     ["scores for 3 classes, so targets must be 0..2", "out_features=4",
      "labels count from 1, use target - 1"]),
    (lambda L: L.nn.CrossEntropyLoss()(_x(L).log_softmax(1), L.tensor([0., 1., 2., 0.])),
     RuntimeError, "expected target dtype to be Long or Byte, but got Float",
     ["Also: this input comes out of log_softmax", "use nll_loss (nn.NLLLoss)"]),
]


@pytest.mark.parametrize("case", range(len(LOSS_CASES)))
def test_loss_target_hints(case):
    call, exc, text, parts = LOSS_CASES[case]
    note = _note(check_error(call, exc=exc, match=text))
    assert all(p in note for p in parts), note


def test_loss_module_names_itself_and_both_shapes():
    criterion = ember.nn.CrossEntropyLoss()
    with pytest.raises(RuntimeError) as ei:
        criterion(_x(ember), ember.tensor([0., 1., 2., 0.]))
    assert _note(ei.value).startswith(
        "ember hint: raised in criterion (CrossEntropyLoss()), whose inputs have shapes [4, 3] "
        "(torch.float32), [4] (torch.float32).\nLikely fix: cross_entropy takes class indices")


# ---------------------------------------------------------------- autograd and tensors
def _inplace_sub(L):
    w = L.ones(3, requires_grad=True)
    w -= 0.1


AUTOGRAD_CASES = [
    (lambda L: (_x(L) * 2).backward(), "grad can be implicitly created only for scalar outputs",
     "this tensor has shape [4, 3]. Reduce it first (loss.mean() or loss.sum()"),
    (_inplace_sub, "a leaf Variable that requires grad is being used in an in-place operation.",
     "Update weights under `with torch.no_grad():` (w -= lr * w.grad)"),
    (lambda L: _x(L)[0].add_(1), "a view of a leaf Variable that requires grad is being used in "
     "an in-place operation.", "a leaf that requires grad"),
    (lambda L: _x(L).numpy(), "Can't call numpy() on Tensor that requires grad. Use "
     "tensor.detach().numpy() instead.", "t.detach().cpu().numpy() for a GPU tensor"),
]


@pytest.mark.parametrize("case", range(len(AUTOGRAD_CASES)))
def test_autograd_hints(case):
    call, text, part = AUTOGRAD_CASES[case]
    note = _note(check_error(call, exc=RuntimeError, match=text))
    assert part in note, note


# ---------------------------------------------------------------- switching hints off
@pytest.mark.parametrize("call", [_wrong_in_features, LOSS_CASES[0][0], LOSS_CASES[5][0],
                                  AUTOGRAD_CASES[0][0], AUTOGRAD_CASES[3][0]])
def test_set_hints_false_removes_notes(call):
    ember.set_hints(False)
    with pytest.raises(Exception) as ei:
        call(ember)
    assert not getattr(ei.value, "__notes__", None)
    assert not hasattr(ei.value, "__ember_hint__")


def test_set_hints_is_lazy_and_public():
    assert ember.set_hints is _hints.set_hints and "set_hints" in ember.__all__


# ---------------------------------------------------------------- --explain detectors
def _train(steps, zero_grad):
    ember.manual_seed(0)
    model = ember.nn.Linear(4, 2)
    opt = ember.optim.SGD(model.parameters(), lr=0.1)
    x, y = ember.randn(8, 4), ember.tensor([0, 1] * 4)
    for _ in range(steps):
        if zero_grad:
            opt.zero_grad()
        ember.nn.functional.cross_entropy(model(x), y).backward()
        opt.step()


@pytest.mark.parametrize("zero_grad", [False, True])
def test_watch_zero_grad_warns_once(zero_grad):
    stop = _hints.watch_zero_grad()
    try:
        with warnings.catch_warnings(record=True) as seen:
            warnings.simplefilter("always")
            _train(6, zero_grad)
    finally:
        stop()
    hinted = [w for w in seen if issubclass(w.category, _hints.HintWarning)]
    assert len(hinted) == (0 if zero_grad else 1)
    if hinted:
        text = str(hinted[0].message)
        assert "zero_grad() is missing" in text and "gradient norm of one weight" in text
        assert hinted[0].filename == __file__


@pytest.mark.parametrize("mode", ["train", "eval"])
def test_watch_train_mode_warns_under_no_grad(mode):
    model = ember.nn.Sequential(ember.nn.Linear(4, 4), ember.nn.Dropout(0.5))
    getattr(model, mode)()
    stop = _hints.watch_train_mode()
    try:
        with warnings.catch_warnings(record=True) as seen:
            warnings.simplefilter("always")
            with ember.no_grad():
                model(ember.ones(2, 4))
                model(ember.ones(2, 4))
            model(ember.ones(2, 4))  # training under grad: no warning
    finally:
        stop()
    hinted = [str(w.message) for w in seen if issubclass(w.category, _hints.HintWarning)]
    if mode == "eval":
        assert hinted == []
    else:
        assert len(hinted) == 1 and hinted[0].startswith(
            "ember hint: model.1 (Dropout(p=0.5, inplace=False)) ran in training mode under "
            "torch.no_grad(): it drops values at random"), hinted
        assert "Call model.eval() before evaluating" in hinted[0]


# ---------------------------------------------------------------- ember run
SCRIPT = """
import torch
model = torch.nn.Sequential(torch.nn.Linear(784, 128), torch.nn.Linear(100, 10))
model(torch.zeros(2, 784))
"""


def _ember_run(args, cwd):
    return subprocess.run([sys.executable, "-m", "ember", "run"] + args, cwd=cwd, text=True,
                          capture_output=True, timeout=120, env=dict(os.environ))


def test_ember_run_shows_the_hint_under_torchs_error(tmp_path):
    (tmp_path / "bad.py").write_text(SCRIPT)
    r = _ember_run(["bad.py"], tmp_path)
    assert r.returncode == 1
    err = r.stderr.splitlines()
    at = err.index("RuntimeError: mat1 and mat2 shapes cannot be multiplied (2x128 and 100x10)")
    assert err[at + 1].startswith("ember hint: raised in model.1 (Linear(in_features=100, "), err


def test_ember_run_explain_flag(tmp_path):
    (tmp_path / "t.py").write_text(
        "import torch\nm = torch.nn.Dropout(0.5)\nwith torch.no_grad():\n    m(torch.ones(3))\n")
    r = _ember_run(["--explain", "t.py"], tmp_path)
    assert r.returncode == 0 and "HintWarning: ember hint: m (Dropout(" in r.stderr, r.stderr
    assert "HintWarning" not in _ember_run(["t.py"], tmp_path).stderr


def test_hint_printer_for_python_3_10(monkeypatch, capsys):
    from ember import cli
    e = RuntimeError("x")
    e.__ember_hint__ = "ember hint: here"
    monkeypatch.setattr(cli, "_NOTES_SHOWN", False)
    cli._show_hint(e)
    monkeypatch.setattr(cli, "_NOTES_SHOWN", True)
    cli._show_hint(e)  # 3.11+: the traceback already printed it as a note
    assert capsys.readouterr().err == "ember hint: here\n"


def test_a_failing_rule_never_hides_the_error(monkeypatch):
    def broken(e, c):
        raise ZeroDivisionError
    monkeypatch.setattr(_hints, "_RULES", [("numpy", RuntimeError, broken, broken)])
    with pytest.raises(RuntimeError) as ei:
        _x(ember).numpy()
    assert not hasattr(ei.value, "__ember_hint__")
    monkeypatch.setattr(_hints, "_RULES", [("module", RuntimeError, broken, broken)])
    with pytest.raises(RuntimeError) as ei:
        ember.nn.Linear(3, 2)(ember.zeros(1, 4))
    assert str(ei.value) == "mat1 and mat2 shapes cannot be multiplied (1x4 and 3x2)"


def test_log_keeps_each_hint_for_ember_explain():
    start = len(_hints.log)
    with pytest.raises(RuntimeError) as ei:
        _x(ember).numpy()
    assert [h.text() for h in _hints.log[start:]] == [ei.value.__ember_hint__]
