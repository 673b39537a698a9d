"""ember.onnx.export of the vision models (ember.vision.models) at small input sizes: each
passes onnx.checker and runs in onnxruntime as ember's forward, at the traced batch size and at
another one (dynamic_axes). vgg and alexnet keep their layers but get narrow classifiers, so
the test stays fast (their 4096-wide layers alone hold 100M+ parameters). With torch, each family
is also exported by torch 2.13 from its
torch twins (tests/_vision_twins.py: ember's model source run on torch, as torchvision is not
installed) with the same weights: the outputs in onnxruntime and the input, output and
initializer names (BatchNorm folded into the convolutions, as torch folds it) are the same,
for a resnet, squeezenet1_1, vgg11_bn, alexnet, mobilenet_v2 and a one-layer-per-block densenet
(vgg and alexnet pooled to 1x1 before a narrow classifier, see `_build`)."""

import numpy as np
import pytest

pytest.importorskip("onnx")
pytest.importorskip("onnxruntime")

import ember  # noqa: E402
from ember import nn  # noqa: E402
from ember.vision import models  # noqa: E402
from onnx_helpers import (  # noqa: E402
    assert_runs_as_ember,
    checked,
    export_bytes,
    names,
    run_ort,
    torch_twin,
)
from oracle import requires_torch, torch  # noqa: E402

TOL = 1e-5


def _narrow(model, width, classes=10):
    """model.classifier with the same layers, `width` wide instead of 4096."""
    layers = []
    linears = [m for m in model.classifier if isinstance(m, nn.Linear)]
    for m in model.classifier:
        if isinstance(m, nn.Linear):
            i = linears.index(m)
            fan_in = m.in_features if i == 0 else width
            fan_out = classes if i == len(linears) - 1 else width
            m = nn.Linear(fan_in, fan_out)
        layers.append(m)
    model.classifier = nn.Sequential(*layers)
    return model


def _big(name, monkeypatch):
    with monkeypatch.context() as mp:  # the 4096-wide layers are replaced: skip their init
        mp.setattr(nn.Linear, "reset_parameters", lambda self: None)
        kw = {"init_weights": False} if name.startswith("vgg") else {}
        model = getattr(models, name)(num_classes=10, **kw)
    ember.manual_seed(0)
    return _narrow(model, 32)


def _randomize(model):
    """Non-trivial statistics and biases, so BatchNorm folding is checked (and torch's exporter
    finds no equal initializers to merge)."""
    with ember.no_grad():
        for m in model.modules():
            if isinstance(m, nn.BatchNorm2d):
                m.running_mean.uniform_(-0.5, 0.5)
                m.running_var.uniform_(0.5, 1.5)
                m.weight.uniform_(0.5, 1.5)
            if getattr(m, "bias", None) is not None:
                m.bias.uniform_(-0.2, 0.2)
    return model


@pytest.mark.parametrize("name,size", [("resnet18", 32), ("squeezenet1_1", 33),
                                       ("mobilenet_v2", 32), ("densenet121", 32),
                                       ("vgg11_bn", 32), ("alexnet", 63)])
def test_vision_model_runs_in_onnxruntime(name, size, monkeypatch):
    ember.manual_seed(0)
    if name.startswith(("vgg", "alexnet")):
        model = _big(name, monkeypatch)
    else:
        model = getattr(models, name)(num_classes=10)
    _randomize(model.eval())
    x = np.random.default_rng(0).standard_normal((2, 3, size, size)).astype(np.float32)
    dynamic = name != "densenet121"  # (the largest graph: traced once, to keep the test fast)
    axes = {"images": {0: "batch"}, "logits": {0: "batch"}} if dynamic else None
    data = export_bytes(ember, model, (ember.from_numpy(x),), input_names=["images"],
                        output_names=["logits"], dynamic_axes=axes)
    graph = checked(data).graph
    assert [i.name for i in graph.input] == ["images"]
    assert [o.name for o in graph.output] == ["logits"]
    assert_runs_as_ember(model, data, x, tol=TOL)
    if dynamic:
        assert graph.output[0].type.tensor_type.shape.dim[0].dim_param == "batch"
        x3 = np.random.default_rng(1).standard_normal((3, 3, size, size)).astype(np.float32)
        assert_runs_as_ember(model, data, x3, tol=TOL)


def _build(module, name, L):
    """The model `name` from ember's model source `module` (ember's or its torch twin), small:
    resnet10 is resnet18's blocks one per stage, densenet_small densenet121's layout with one
    layer per dense block; vgg and alexnet pool to 1x1 before a 32-wide classifier, as torch's
    exporter refuses adaptive pooling to a size that does not divide the input (1x1 to 7x7)."""
    if name == "resnet10":
        return module.ResNet(module.BasicBlock, [1, 1, 1, 1], num_classes=10)
    if name == "densenet_small":
        return module.DenseNet(16, (1, 1, 1, 1), 32, num_classes=10)
    if name not in ("vgg11_bn", "alexnet"):
        return getattr(module, name)(num_classes=10)
    kw = {"init_weights": False} if name.startswith("vgg") else {}  # (a slow init, replaced)
    model = getattr(module, name)(num_classes=10, **kw)
    model.avgpool = L.nn.AdaptiveAvgPool2d(1)
    nn = L.nn
    feat = 512 if name.startswith("vgg") else 256
    if name.startswith("vgg"):
        model.classifier = nn.Sequential(nn.Linear(feat, 32), nn.ReLU(True), nn.Dropout(),
                                         nn.Linear(32, 32), nn.ReLU(True), nn.Dropout(),
                                         nn.Linear(32, 10))
    else:
        model.classifier = nn.Sequential(nn.Dropout(), nn.Linear(feat, 32), nn.ReLU(True),
                                         nn.Dropout(), nn.Linear(32, 32), nn.ReLU(True),
                                         nn.Linear(32, 10))
    return model


@requires_torch
@pytest.mark.parametrize("family,name,size", [("resnet", "resnet10", 32),
                                              ("squeezenet", "squeezenet1_1", 33),
                                              ("vgg", "vgg11_bn", 32), ("alexnet", "alexnet", 63),
                                              ("mobilenetv2", "mobilenet_v2", 32),
                                              ("densenet", "densenet_small", 32)])
def test_vision_model_matches_torch_export(family, name, size, monkeypatch):
    import importlib

    from _vision_twins import twin
    ember.manual_seed(0)
    with monkeypatch.context() as mp:  # vgg/alexnet: the 4096-wide layers are replaced
        if family in ("vgg", "alexnet"):
            mp.setattr(nn.Linear, "reset_parameters", lambda self: None)
            mp.setattr(torch.nn.Linear, "reset_parameters", lambda self: None)
        model = _build(importlib.import_module(f"ember.vision.models.{family}"), name, ember)
        ember.manual_seed(0)
        for m in model.modules():
            if isinstance(m, nn.Linear):
                nn.Linear.reset_parameters(m)
        tmodel = _build(twin(family), name, torch)
    model = _randomize(model.eval())
    tmodel = torch_twin(model, tmodel)
    x = np.random.default_rng(0).standard_normal((2, 3, size, size)).astype(np.float32)
    kw = {"input_names": ["images"], "output_names": ["logits"],
          "dynamic_axes": {"images": {0: "batch"}, "logits": {0: "batch"}}}
    ours = export_bytes(ember, model, (ember.from_numpy(x),), **kw)
    theirs = export_bytes(torch, tmodel, (torch.from_numpy(x),), **kw)
    assert names(checked(ours)) == names(checked(theirs))
    x3 = np.random.default_rng(1).standard_normal((3, 3, size, size)).astype(np.float32)
    np.testing.assert_allclose(run_ort(ours, x3)[0], run_ort(theirs, x3)[0], rtol=1e-5,
                               atol=1e-5)
