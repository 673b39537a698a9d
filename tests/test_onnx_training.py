"""ember.onnx.export(training=TrainingMode.TRAINING / PRESERVE): Dropout and BatchNormalization
in training mode as torch 2.13's TorchScript exporter writes them (node types, attributes,
inputs, outputs and initializer names), the same outputs in onnxruntime, BatchNorm's running
statistics updated once as torch's trace updates them, and torch's warnings and refusals."""

import copy
import warnings

import numpy as np
import pytest

pytest.importorskip("onnx")
pytest.importorskip("onnxruntime")

import ember  # noqa: E402
from onnx_helpers import checked, export_bytes, run_ort, torch_twin  # noqa: E402
from oracle import torch  # noqa: E402


def _net(L, p=0.0):
    nn = L.nn
    return nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(),
                         nn.Dropout(p), nn.Conv2d(4, 2, 1))


def _graph(model):
    import onnx.helper
    out = []
    for n in model.graph.node:
        attrs = {a.name: onnx.helper.get_attribute_value(a) for a in n.attribute}
        if n.op_type == "Constant":
            attrs = {"value": onnx.numpy_helper.to_array(attrs["value"]).tolist()}
        out.append((n.op_type, list(n.input), len(n.output), attrs))
    return out


def _io(model):
    g = model.graph
    return ([i.name for i in g.input], [o.name for o in g.output],
            sorted(i.name for i in g.initializer))


def _x(batch=2, seed=0):
    return np.random.default_rng(seed).standard_normal((batch, 3, 5, 5)).astype(np.float32)


def _mode(lib, name):
    return getattr(lib.onnx.TrainingMode, name)


def _randomized(model):
    """Distinct parameter and buffer values (torch's exporter merges equal initializers)."""
    with ember.no_grad():
        for t in list(model.parameters()) + [b for n, b in model.named_buffers()
                                             if "running" in n]:
            t.uniform_(0.5, 1.5)
    return model


def _export_both(build, mode, train, x=None, **kw):
    """ember's and torch's export of the same model (torch's twin made before ember's export
    touches the running statistics); the models afterwards, and the files."""
    ember.manual_seed(0)
    model = _randomized(build(ember)).train(train)
    x = _x() if x is None else x
    kw = dict(input_names=["x"], output_names=["y"], do_constant_folding=False, **kw)
    twin = torch_twin(model, build(torch)).train(train) if torch is not None else None
    data = export_bytes(ember, model, (ember.from_numpy(x),), training=_mode(ember, mode), **kw)
    theirs = None
    if twin is not None:
        theirs = export_bytes(torch, twin, (torch.from_numpy(x),),
                              training=_mode(torch, mode), **kw)
    return model, twin, data, theirs


@pytest.mark.parametrize("mode,train,dyn", [("TRAINING", False, False),
                                            ("PRESERVE", True, False),
                                            ("TRAINING", True, True)])
def test_train_mode_graph_as_torch(mode, train, dyn):
    kw = {"dynamic_axes": {"x": [0], "y": [0]}} if dyn else {}
    reference = _net(ember).train()  # ember's train-mode forward, from the same start
    ember.manual_seed(0)
    reference.load_state_dict(_randomized(_net(ember)).state_dict())
    model, twin, data, theirs = _export_both(_net, mode, train, **kw)
    assert model.training is train  # the mode given back
    ours = checked(data)
    ops = [n.op_type for n in ours.graph.node]
    assert "Dropout" in ops and "BatchNormalization" in ops
    bn = next(n for n in ours.graph.node if n.op_type == "BatchNormalization")
    assert len(bn.output) == 3
    x = _x()
    with ember.no_grad():
        want = reference(ember.from_numpy(x)).numpy()
    np.testing.assert_allclose(run_ort(data, x)[0], want, rtol=1e-4, atol=1e-5)
    # the running statistics were updated once, as by one train-mode forward
    np.testing.assert_allclose(model[1].running_mean.numpy(),
                               reference[1].running_mean.numpy(), rtol=1e-6, atol=1e-7)
    assert int(model[1].num_batches_tracked) == 1
    if torch is None:
        return
    other = checked(theirs)
    assert _io(ours) == _io(other)
    assert _graph(ours) == _graph(other)
    np.testing.assert_allclose(run_ort(data, x)[0], run_ort(theirs, x)[0], rtol=1e-5,
                               atol=1e-5)
    for a, b in zip(ours.graph.initializer, other.graph.initializer):
        import onnx.numpy_helper as nh
        np.testing.assert_allclose(nh.to_array(a), nh.to_array(b), rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(model[1].running_var.numpy(),
                               twin[1].running_var.detach().numpy(), rtol=1e-6, atol=1e-7)


def test_preserve_of_an_eval_model_keeps_batchnorm():
    """PRESERVE (eval model): eval-mode nodes, but no Conv+BatchNorm folding (torch runs its
    eval peephole pass only with training=EVAL)."""
    model, _, data, theirs = _export_both(_net, "PRESERVE", False)
    ours = checked(data)
    assert [n.op_type for n in ours.graph.node][:2] == ["Conv", "BatchNormalization"]
    assert "Dropout" not in [n.op_type for n in ours.graph.node]
    if torch is not None:
        assert _graph(ours) == _graph(checked(theirs))
        assert _io(ours) == _io(checked(theirs))


def test_dropout_ratio_as_torch():
    """p = 0.5 in training: torch's Dropout node (ratio as a float32 Constant, training_mode
    True); onnxruntime draws its own mask: each output is 0 or twice the input."""
    def build(L):
        return L.nn.Sequential(L.nn.Linear(6, 8), L.nn.Dropout(0.5))
    x = np.random.default_rng(0).standard_normal((4, 6)).astype(np.float32)
    model, _, data, theirs = _export_both(build, "TRAINING", True, x)
    ours = checked(data)
    with ember.no_grad():
        full = model[0](ember.from_numpy(x)).numpy()
    got = run_ort(data, x)[0]
    assert np.all(np.isclose(got, 0) | np.isclose(got, 2 * full, rtol=1e-5, atol=1e-6))
    if torch is not None:
        assert _graph(ours) == _graph(checked(theirs))


def test_training_warnings_as_torch():
    def messages(lib, model, **kw):
        import io
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            lib.onnx.export(model, (lib.randn(2, 6),), io.BytesIO(), dynamo=False, **kw)
        return sorted((x.category.__name__, str(x.message)) for x in w
                      if "legacy TorchScript" not in str(x.message)
                      and "will be removed. Please remove usage" not in str(x.message))

    m = ember.nn.Linear(6, 3)
    ours = messages(ember, m, training=ember.onnx.TrainingMode.TRAINING)
    assert ours[0][0] == "DeprecationWarning" and "Setting `training`" in ours[0][1]
    assert ours[1][0] == "UserWarning" and "constant folding be turned off" in ours[1][1]
    assert m.training  # (a new module is in train mode: given back so)
    if torch is not None:
        assert ours == messages(torch, torch.nn.Linear(6, 3),
                                training=torch.onnx.TrainingMode.TRAINING)
        assert messages(ember, m, training=ember.onnx.TrainingMode.PRESERVE,
                        do_constant_folding=False) == \
            messages(torch, torch.nn.Linear(6, 3), training=torch.onnx.TrainingMode.PRESERVE,
                     do_constant_folding=False) == []


@pytest.mark.parametrize("layer", ["Dropout2d", "AlphaDropout"])
def test_feature_and_alpha_dropout_refused_in_training(layer):
    from ember.onnx.errors import OnnxExporterError
    op = {"Dropout2d": "feature_dropout", "AlphaDropout": "alpha_dropout"}[layer]
    want = (f"Unsupported: ONNX export of operator aten::{op}, training mode. Please feel free "
            "to request support or submit a pull request on PyTorch GitHub: "
            "https://github.com/pytorch/pytorch/issues")
    model = getattr(ember.nn, layer)(0.3)
    with pytest.raises(OnnxExporterError) as e:
        export_bytes(ember, model, (ember.randn(2, 3, 4, 4),),
                     training=ember.onnx.TrainingMode.TRAINING)
    assert str(e.value) == want
    if torch is not None:
        with pytest.raises(torch.onnx.errors.OnnxExporterError) as t:
            export_bytes(torch, getattr(torch.nn, layer)(0.3), (torch.randn(2, 3, 4, 4),),
                         training=torch.onnx.TrainingMode.TRAINING)
        assert str(t.value).startswith(want)


def test_eval_export_of_a_train_model_is_unchanged():
    """EVAL (the default) of a train-mode model: eval-mode graph, Conv+BN folded, buffers
    untouched, the mode given back."""
    ember.manual_seed(0)
    model = _net(ember, 0.3).train()
    before = copy.deepcopy(model.state_dict())
    data = export_bytes(ember, model, (ember.from_numpy(_x()),))
    ops = [n.op_type for n in checked(data).graph.node]
    assert "BatchNormalization" not in ops and "Dropout" not in ops
    assert model.training
    for k, v in model.state_dict().items():
        np.testing.assert_array_equal(v.numpy(), before[k].numpy())


def test_dynamo_export_ignores_training():
    """dynamo=True (torch's default exporter) ignores the legacy `training` option: the
    eval-mode graph, without its warnings."""
    ember.manual_seed(0)
    model = _net(ember, 0.3).train()
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        program = ember.onnx.export(model, (ember.from_numpy(_x()),),
                                    training=ember.onnx.TrainingMode.TRAINING)
    assert not [x for x in w if "training" in str(x.message)]
    ops = [n.op_type for n in program.model_proto.graph.node]
    assert "Dropout" not in ops and "BatchNormalization" not in ops
    assert model.training
