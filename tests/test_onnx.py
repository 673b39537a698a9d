"""ember.onnx.export: the course models, common tensor ops and the export options, checked by
onnx.checker, run in onnxruntime against ember's forward, and (with torch) against the same model
exported by torch 2.13's TorchScript-based exporter."""

import io
import os

import numpy as np
import pytest

pytest.importorskip("onnx")
pytest.importorskip("onnxruntime")

import ember  # noqa: E402
from onnx_helpers import (  # noqa: E402
    assert_runs_as_ember,
    checked,
    export_bytes,
    names,
    run_ort,
    torch_twin,
)
from oracle import requires_torch, torch  # noqa: E402


def mlp(L):
    nn = L.nn
    return nn.Sequential(nn.Linear(6, 16), nn.ReLU(), nn.Dropout(0.2), nn.Linear(16, 4),
                         nn.LogSoftmax(dim=1))


def cnn(L):
    nn, F = L.nn, L.nn.functional

    class Net(nn.Module):  # the course's CIFAR CNN, at 16x16 inputs
        def __init__(self):
            super().__init__()
            self.conv1 = nn.Conv2d(3, 8, 3, padding=1)
            self.conv2 = nn.Conv2d(8, 16, 3, padding=1)
            self.pool = nn.MaxPool2d(2, 2)
            self.fc1 = nn.Linear(16 * 4 * 4, 32)
            self.fc2 = nn.Linear(32, 10)
            self.dropout = nn.Dropout(0.25)

        def forward(self, x):
            x = self.pool(F.relu(self.conv1(x)))
            x = self.pool(F.relu(self.conv2(x)))
            x = self.dropout(x.view(-1, 16 * 4 * 4))
            x = self.dropout(F.relu(self.fc1(x)))
            return self.fc2(x)
    return Net()


def bn_net(L):
    nn, F = L.nn, L.nn.functional

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = nn.Conv2d(3, 4, 3, padding=1, bias=False)
            self.bn = nn.BatchNorm2d(4)
            self.pool = nn.AvgPool2d(2)
            self.fc = nn.Linear(4 * 4 * 4, 5)
            self.bn1 = nn.BatchNorm1d(5)
            self.gap = nn.AdaptiveAvgPool2d((2, 2))

        def forward(self, x):
            x = self.pool(F.relu(self.bn(self.conv(x))))
            y = self.gap(x).flatten(1)
            x = x.flatten(1)
            return F.softmax(self.bn1(self.fc(x)), dim=1), y
    return Net()


def _randomize_bn(model):
    rng = np.random.default_rng(1)
    for name, b in model.named_buffers():
        if "running" in name:
            b.copy_(ember.from_numpy(rng.uniform(0.5, 1.5, tuple(b.shape)).astype(np.float32)))
    for name, p in model.named_parameters():
        if "bn" in name:
            with ember.no_grad():
                p.copy_(ember.from_numpy(rng.uniform(0.5, 1.5, tuple(p.shape)).astype(
                    np.float32)))
    return model


MODELS = {"mlp": (mlp, (3, 6)), "cnn": (cnn, (3, 3, 16, 16)), "bn": (bn_net, (3, 3, 8, 8))}
KW = {"input_names": ["input"], "output_names": ["output"],
      "dynamic_axes": {"input": {0: "batch"}, "output": {0: "batch"}}}


def _make(name):
    ember.manual_seed(0)
    build, shape = MODELS[name]
    model = build(ember)
    if name == "bn":
        _randomize_bn(model)
    return model.eval(), shape


@pytest.mark.parametrize("opset", [13, 20])
@pytest.mark.parametrize("name", sorted(MODELS))
def test_course_models_run_in_onnxruntime(name, opset):
    model, shape = _make(name)
    x = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
    data = export_bytes(ember, model, (ember.from_numpy(x),), opset_version=opset, **KW)
    assert checked(data).opset_import[0].version == opset
    assert_runs_as_ember(model, data, x)
    x5 = np.random.default_rng(1).standard_normal((5,) + shape[1:]).astype(np.float32)
    assert_runs_as_ember(model, data, x5)  # another batch size: dynamic_axes


@requires_torch
@pytest.mark.parametrize("name", sorted(MODELS))
def test_course_models_match_torch_export(name):
    model, shape = _make(name)
    build = MODELS[name][0]
    tmodel = torch_twin(model, build(torch))
    x = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
    kw = dict(KW)
    if name == "bn":
        kw = {"input_names": ["input"], "output_names": ["probs", "pooled"],
              "dynamic_axes": {"input": [0]}}
    ours = export_bytes(ember, model, (ember.from_numpy(x),), **kw)
    theirs = export_bytes(torch, tmodel, (torch.from_numpy(x),), **kw)
    assert names(checked(ours)) == names(checked(theirs))
    for a, b in zip(run_ort(ours, x), run_ort(theirs, x)):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-5)


def test_options_and_file_targets(tmp_path):
    model, shape = _make("mlp")
    x = ember.randn(*shape)
    path = tmp_path / "m.onnx"
    with pytest.warns(DeprecationWarning, match="legacy TorchScript-based ONNX export"):
        assert ember.onnx.export(model, x, str(path), dynamo=False) is None  # a bare Tensor
    m = checked(path.read_bytes())
    assert m.opset_import[0].version == 20  # torch 2.13's default opset
    assert [i.name for i in m.graph.initializer] == ["0.weight", "0.bias", "3.weight", "3.bias"]
    with open(tmp_path / "f.onnx", "wb") as fh, pytest.warns(DeprecationWarning):
        ember.onnx.export(model, (x,), fh, opset_version=17, export_params=False, dynamo=False)
    m = checked((tmp_path / "f.onnx").read_bytes())
    assert m.opset_import[0].version == 17
    assert not m.graph.initializer
    assert [i.name for i in m.graph.input] == ["input.1", "0.weight", "0.bias", "3.weight",
                                               "3.bias"]
    buf = io.BytesIO()
    with pytest.warns(DeprecationWarning):
        ember.onnx.export(model, (x,), buf, keep_initializers_as_inputs=True, dynamo=False)
    assert len(checked(buf.getvalue()).graph.input) == 5
    assert model.training is False


def test_dynamo_default_returns_a_program_and_saves_weights_beside(tmp_path):
    import onnx
    model, shape = _make("mlp")
    x = ember.randn(*shape)
    path = tmp_path / "m.onnx"
    program = ember.onnx.export(model, (x,), str(path))  # torch's default: dynamo=True
    assert type(program).__name__ == "ONNXProgram" and program.exported_program is None
    assert sorted(os.listdir(tmp_path)) == ["m.onnx", "m.onnx.data"]  # external_data=True
    m = onnx.load(str(path))  # reads the weights from m.onnx.data
    onnx.checker.check_model(m)
    assert [i.name for i in m.graph.initializer] == ["0.weight", "0.bias", "3.weight", "3.bias"]
    with ember.no_grad():
        expected = model(x).numpy()
    np.testing.assert_allclose(run_ort(str(path), x.numpy())[0], expected, rtol=1e-5, atol=1e-6)
    got = program(x)  # runs in onnxruntime
    assert isinstance(got, tuple) and isinstance(got[0], ember.Tensor)
    np.testing.assert_allclose(got[0].numpy(), expected, rtol=1e-5, atol=1e-6)
    program.optimize()
    program.release()
    inline = tmp_path / "inline" / "m.onnx"
    inline.parent.mkdir()
    ember.onnx.export(model, (x,), str(inline), external_data=False)
    assert os.listdir(inline.parent) == ["m.onnx"]
    program = ember.onnx.export(model, (x,))  # no f: only the program
    program.save(str(tmp_path / "k.onnx"), include_initializers=False,
                 keep_initializers_as_inputs=True)
    k = onnx.load(str(tmp_path / "k.onnx"))
    assert not k.graph.initializer and len(k.graph.input) == 5
    with pytest.raises(TypeError, match="destination must be a file path"):
        program.save(io.BytesIO())
    buf = io.BytesIO()
    with pytest.warns(DeprecationWarning, match="Saving ONNX model to a BytesIO object"):
        ember.onnx.export(model, (x,), buf)
    checked(buf.getvalue())


def test_training_mode_restored_and_dynamic_axes_names():
    model, shape = _make("mlp")
    model.train()
    buf = io.BytesIO()
    ember.onnx.export(model, (ember.randn(*shape),), buf, input_names=["x"],
                      dynamic_axes={"x": [0]})
    assert model.training is True
    dim = checked(buf.getvalue()).graph.input[0].type.tensor_type.shape.dim[0]
    assert dim.dim_param == "x_dynamic_axes_1"


def test_failed_export_leaves_no_file(tmp_path):
    class Bad(ember.nn.Module):
        def forward(self, x):
            return ember.linalg.inv(x)
    path = tmp_path / "bad.onnx"
    with pytest.raises(ember.onnx.OnnxExporterError, match="no export rule for op"):
        ember.onnx.export(Bad(), (ember.randn(2, 3, 3),), str(path))
    assert os.listdir(tmp_path) == []


def test_missing_rule_names_op_and_module():
    inner = ember.nn.Sequential(ember.nn.Linear(3, 3))

    class Cum(ember.nn.Module):
        def __init__(self):
            super().__init__()
            self.block = inner

        def forward(self, x):
            return self.block(x).cumprod(1)
    with pytest.raises(ember.onnx.OnnxExporterError) as e:
        ember.onnx.export(Cum(), (ember.randn(2, 3),), io.BytesIO())
    assert str(e.value) == ("ONNX export: ember has no export rule for op 'Cumprod' (torch's "
                            "CumprodBackward0), called in module '<top-level module>'")


def test_is_in_onnx_export():
    seen = []

    class M(ember.nn.Module):
        def forward(self, x):
            seen.append(ember.onnx.is_in_onnx_export())
            return x * 2
    assert ember.onnx.is_in_onnx_export() is False
    ember.onnx.export(M(), (ember.randn(2),), io.BytesIO())
    assert seen == [True]
    assert ember.onnx.is_in_onnx_export() is False


def test_refused_options():
    with pytest.raises(NotImplementedError,
                       match=r"ember does not implement torch.onnx.export\(dynamic_shapes="):
        ember.onnx.export(mlp(ember), (ember.randn(2, 6),), io.BytesIO(),
                          dynamic_shapes={"x": {0: "b"}})
    with pytest.raises(ValueError, match="opset_version 13 to 20"):
        ember.onnx.export(mlp(ember), (ember.randn(2, 6),), io.BytesIO(), opset_version=21)


def test_import_ember_does_not_import_onnx():
    import subprocess
    import sys
    code = "import sys, ember, ember.onnx; print('onnx' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.stdout.strip() == "False"


def test_example_trains_exports_and_checks(tmp_path, monkeypatch, capsys):
    import importlib.util
    import sys
    examples = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                            "examples")
    monkeypatch.syspath_prepend(examples)
    spec = importlib.util.spec_from_file_location(
        "onnx_export_cnn", os.path.join(examples, "onnx_export_cnn.py"))
    example = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(example)
    out = tmp_path / "cnn.onnx"
    monkeypatch.setattr(sys, "argv", ["onnx_export_cnn.py", "--steps", "1", "--out", str(out),
                                      "--data", str(tmp_path)])
    example.main()
    assert "onnxruntime vs ember: max abs difference" in capsys.readouterr().out
    import onnx
    onnx.checker.check_model(str(out))  # by path: the weights are in cnn.onnx.data beside it


def test_missing_onnx_names_the_extra(monkeypatch):
    import sys
    monkeypatch.setitem(sys.modules, "onnx", None)  # as if onnx were not installed
    with pytest.raises(ImportError, match=r"pip install ember\[onnx\]"):
        ember.onnx.export(mlp(ember), (ember.randn(2, 6),), io.BytesIO())


def test_verbose_prints_the_graph(capsys):
    ember.onnx.export(mlp(ember), (ember.randn(2, 6),), io.BytesIO(), verbose=True)
    out = capsys.readouterr().out
    assert "main_graph" in out and "Gemm" in out


def test_large_model_writes_external_data(tmp_path, monkeypatch):
    from ember.onnx import _export
    model, shape = _make("mlp")
    monkeypatch.setattr(_export, "_LARGE", 100)  # as if the model were over 2GB
    with pytest.raises(ember.onnx.OnnxExporterError, match="larger than 2GB"), \
            pytest.warns(DeprecationWarning):
        ember.onnx.export(model, (ember.randn(*shape),), io.BytesIO(), dynamo=False)
    path = tmp_path / "big.onnx"
    with pytest.warns(DeprecationWarning):  # the legacy exporter: external data only when big
        ember.onnx.export(model, (ember.randn(*shape),), str(path), dynamo=False)
    assert sorted(os.listdir(tmp_path)) == ["big.onnx", "big.onnx.data"]
    x = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
    import onnxruntime as ort
    sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    np.testing.assert_allclose(sess.run(None, {"input.1": x})[0],
                               model(ember.from_numpy(x)).detach().numpy(), rtol=1e-5,
                               atol=1e-5)
