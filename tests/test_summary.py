"""ember.summary against torchinfo 1.8 (the test-only oracle) on the torch twin of each model:
the printed table must be the same text (layer tree, shapes, Param #, totals, mult-adds, memory).
torchinfo on Python 3.11+ prints its mult-adds unit as `(Units.MEGABYTES)` (an enum formatting
change); ember prints `(M)` as torchinfo meant, so the comparison maps one to the other.
Without torch/torchinfo the comparisons skip; ember's own counts are still checked."""

import contextlib
import io

import numpy as np
import pytest
from benchmarks.course_models import char_rnn, cifar_cnn, mlp

import ember
from ember.vision import models

COLS = ("input_size", "output_size", "num_params", "params_percent", "kernel_size", "mult_adds",
        "trainable")
VISION = [("resnet", "resnet18", (1, 3, 32, 32)), ("vgg", "vgg11", (1, 3, 32, 32)),
          ("alexnet", "alexnet", (1, 3, 63, 63)), ("squeezenet", "squeezenet1_0", (1, 3, 64, 64)),
          ("mobilenetv2", "mobilenet_v2", (1, 3, 32, 32)),
          ("densenet", "densenet121", (1, 3, 32, 32))]


def _text(fn, model, **kw):
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        stats = fn(model, **kw)
    text = out.getvalue()
    for unit, letter in (("MEGABYTES", "M"), ("GIGABYTES", "G"), ("TERABYTES", "T")):
        text = text.replace(f"(Units.{unit})", f"({letter})")
    return text, stats


def _torchinfo():
    torch = pytest.importorskip("torch")
    return torch, pytest.importorskip("torchinfo")


def _counts(model, stats):
    params = list(model.parameters())
    assert stats.total_params == sum(p.numel() for p in params)
    assert stats.trainable_params == sum(p.numel() for p in params if p.requires_grad)


def _course(lib, name):
    if name == "mlp":
        return mlp(lib, dropout=0.2), {"input_size": (64, 784)}
    if name == "cnn":
        return cifar_cnn(lib), {"input_size": (8, 3, 32, 32)}
    hidden = (lib.zeros(2, 4, 256), lib.zeros(2, 4, 256))
    return char_rnn(lib), {"input_data": [lib.zeros(4, 50, 83), hidden]}


SETTINGS = [{}, {"col_names": COLS, "verbose": 2, "row_settings": ("depth", "var_names")},
            {"depth": 1}]


@pytest.mark.parametrize("name", ["mlp", "cnn", "rnn"])
def test_course_models_counts(name):
    model, kw = _course(ember, name)
    text, stats = _text(ember.summary, model, **kw)
    _counts(model, stats)
    assert text.count("\n") > 8 and "Total params" in text


@pytest.mark.parametrize("settings", SETTINGS)
@pytest.mark.parametrize("name", ["mlp", "cnn", "rnn"])
def test_course_models_match_torchinfo(name, settings):
    torch, torchinfo = _torchinfo()
    model, kw = _course(torch, name)
    want, _ = _text(torchinfo.summary, model, **kw, **settings)
    model, kw = _course(ember, name)
    got, _ = _text(ember.summary, model, **kw, **settings)
    assert got == want


def _shared_and_frozen(lib):
    nn = lib.nn

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.hidden = nn.ModuleList([nn.Linear(10, 20), nn.Linear(20, 20)])
            self.emb = nn.Embedding(30, 10)
            self.bn = nn.BatchNorm1d(20)
            self.out = nn.Linear(20, 3)
            self.out.weight.requires_grad_(False)

        def forward(self, x):
            x = self.emb(x).sum(1)
            for layer in self.hidden:
                x = lib.relu(layer(x))
            x = self.hidden[1](self.bn(x))  # called twice: "(recursive)"
            return self.out(x)
    return Net()


@pytest.mark.parametrize("settings", SETTINGS + [{"row_settings": ("ascii_only",)},
                                                 {"row_settings": ("hide_recursive_layers",)}])
def test_containers_shared_and_frozen_match_torchinfo(settings):
    torch, torchinfo = _torchinfo()
    want, _ = _text(torchinfo.summary, _shared_and_frozen(torch), input_size=(4, 5),
                    dtypes=[torch.long], **settings)
    model = _shared_and_frozen(ember)
    got, stats = _text(ember.summary, model, input_size=(4, 5), dtypes=[ember.long], **settings)
    assert got == want
    _counts(model, stats)


def test_no_input_lists_params_only():
    model = mlp(ember)
    text, stats = _text(ember.summary, model)
    _counts(model, stats)
    assert "Output Shape" not in text and "Total mult-adds" not in text
    torch, torchinfo = _torchinfo()
    assert text == _text(torchinfo.summary, mlp(torch))[0]


def test_verbose_zero_prints_nothing_and_returns_the_table():
    text, stats = _text(ember.summary, mlp(ember), input_size=(2, 784), verbose=0)
    assert text == ""
    assert str(stats).startswith("=" * 65) and "Linear: 1-1" in str(stats)


def test_numpy_input_data_and_batch_dim():
    model = mlp(ember)
    text, stats = _text(ember.summary, model, input_data=np.zeros((3, 784), np.float32))
    assert "[3, 10]" in text
    text, _ = _text(ember.summary, model, input_size=(784,), batch_dim=0)
    assert "[1, 10]" in text


def _vision_text(arch, size):
    with ember.device("meta"):  # shapes only: no weights drawn, no data computed
        model = getattr(models, arch)(num_classes=10)
    text, stats = _text(ember.summary, model, input_size=size, device="meta", depth=4)
    _counts(model, stats)
    return text, stats


@pytest.mark.parametrize("family,arch,size", VISION)
def test_vision_models_counts(family, arch, size):
    text, stats = _vision_text(arch, size)
    assert stats.summary_list[0].output_size == [1, 10]
    assert f"Total params: {stats.total_params:,}" in text


@pytest.mark.parametrize("family,arch,size", VISION)
def test_vision_models_match_torchinfo(family, arch, size):
    got, _ = _vision_text(arch, size)
    torch, torchinfo = _torchinfo()
    from _vision_twins import twin
    with torch.device("meta"):
        tmodel = getattr(twin(family), arch)(num_classes=10)
    want, _ = _text(torchinfo.summary, tmodel, input_size=size, device="meta", depth=4)
    assert got == want


@pytest.mark.parametrize("call,exc,msg", [
    (lambda m: ember.summary(m, input_size=(2, 784), col_width=0), ValueError,
     "Column width must be greater than 0: col_width=0"),
    (lambda m: ember.summary(m, input_size=(2, 784), verbose=3), ValueError,
     "Verbose must be either 0 (quiet), 1 (default), or 2 (verbose)."),
    (lambda m: ember.summary(m, input_size=(2, 784), input_data=ember.zeros(2, 784)),
     RuntimeError, "Only one of (input_data, input_size) should be specified."),
    (lambda m: ember.summary(m, col_names=("output_size",)), ValueError,
     "You must pass input_data or input_size in order to use columns: {'output_size'}"),
    (lambda m: ember.summary(m, input_size=(2, -1)), ValueError,
     "Input_data is invalid, or negative size found in input_data."),
    (lambda m: ember.summary(m, input_size=(2, 784), col_names=("shape",)), ValueError,
     "'shape' is not a valid ColumnSettings"),
])
def test_argument_errors(call, exc, msg):
    with pytest.raises(exc) as info:
        call(mlp(ember))
    assert str(info.value) == msg


def test_failing_forward_names_the_layers_that_ran():
    model = ember.nn.Sequential(ember.nn.Linear(4, 3), ember.nn.Linear(5, 2))
    with pytest.raises(RuntimeError, match=r"Executed layers up to: \[Linear: 1\]$") as info:
        ember.summary(model, input_size=(2, 4), verbose=0)
    assert "mat1 and mat2 shapes cannot be multiplied" in str(info.value.__cause__)


def test_lazy_module_counts_after_it_materializes():
    model = ember.nn.Sequential(ember.nn.LazyLinear(4), ember.nn.ReLU())
    model.register_forward_pre_hook(lambda m, a: None)  # the lazy hook removes itself meanwhile
    text, stats = _text(ember.summary, model, input_size=(2, 7))
    _counts(model, stats)
    assert stats.total_params == 32
    torch, torchinfo = _torchinfo()
    want, _ = _text(torchinfo.summary, torch.nn.Sequential(torch.nn.LazyLinear(4),
                                                           torch.nn.ReLU()), input_size=(2, 7))
    assert text == want
