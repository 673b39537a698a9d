"""ember.onnx.export emits torch 2.13's TorchScript-exporter graph for layers ember computes
with several ops (PReLU, ConvTranspose with bias, Upsample/interpolate, GroupNorm,
cross-attention): the same node types in the same order, the same node attributes, the same
input and initializer names, and the same outputs in onnxruntime."""

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
from oracle import torch  # noqa: E402


def _fn(L, **kw):
    class M(L.nn.Module):
        def forward(self, x):
            return L.nn.functional.interpolate(x, **kw)
    return M()


CASES = {  # name: (layer, input shape)
    "prelu": (lambda L: L.nn.PReLU(3), (2, 3, 5, 5)),
    "prelu_one": (lambda L: L.nn.PReLU(), (2, 3, 5)),
    "prelu_2d": (lambda L: L.nn.PReLU(4), (2, 4)),
    "conv_transpose2d": (lambda L: L.nn.ConvTranspose2d(3, 4, 3, stride=2, padding=1,
                                                       output_padding=1), (2, 3, 5, 5)),
    "conv_transpose1d_groups": (lambda L: L.nn.ConvTranspose1d(4, 6, 3, groups=2, dilation=2),
                                (2, 4, 7)),
    "conv_transpose_no_bias": (lambda L: L.nn.ConvTranspose2d(3, 2, 2, stride=2, bias=False),
                               (2, 3, 4, 4)),
    "upsample_nearest": (lambda L: L.nn.Upsample(scale_factor=2), (2, 3, 5, 5)),
    "upsample_bilinear": (lambda L: L.nn.Upsample(scale_factor=2, mode="bilinear"),
                          (2, 3, 5, 5)),
    "upsample_size": (lambda L: L.nn.Upsample(size=(7, 9)), (2, 3, 5, 5)),
    "bilinear_align": (lambda L: _fn(L, scale_factor=(2, 3), mode="bilinear",
                                     align_corners=True), (2, 3, 5, 5)),
    "bicubic": (lambda L: _fn(L, scale_factor=2, mode="bicubic"), (2, 3, 5, 5)),
    "linear_1d": (lambda L: _fn(L, scale_factor=1.5, mode="linear"), (2, 3, 6)),
    "linear_size": (lambda L: _fn(L, size=11, mode="linear"), (2, 3, 6)),
    "flatten": (lambda L: L.nn.Flatten(), (2, 3, 5, 5)),
    "flatten_2d": (lambda L: L.nn.Flatten(), (2, 6)),
    "flatten_leading": (lambda L: L.nn.Flatten(0, -2), (2, 3, 5, 5)),
    "cnn": (lambda L: L.nn.Sequential(L.nn.Conv2d(3, 4, 3), L.nn.ReLU(), L.nn.MaxPool2d(2),
                                      L.nn.Flatten(), L.nn.Linear(4, 5)), (2, 3, 5, 5)),
    "group_norm": (lambda L: L.nn.GroupNorm(1, 3), (2, 3, 5, 5)),
    "group_norm_1d": (lambda L: L.nn.GroupNorm(3, 6), (2, 6, 5)),
    "group_norm_no_affine": (lambda L: L.nn.GroupNorm(2, 4, affine=False), (2, 4, 3, 3)),
    "trilinear": (lambda L: L.nn.Upsample(scale_factor=2, mode="trilinear"), (1, 2, 3, 3, 3)),
    "conv_transpose3d": (lambda L: L.nn.ConvTranspose3d(2, 3, 2, stride=2), (1, 2, 3, 3, 3)),
}


def _graph(model):
    import onnx.helper
    nodes = []
    for n in model.graph.node:
        attrs = {a.name: onnx.helper.get_attribute_value(a) for a in n.attribute}
        if n.op_type == "Constant":
            attrs = {"value": onnx.numpy_helper.to_array(attrs["value"]).tolist()}
        nodes.append((n.op_type, len(n.input), attrs))
    return nodes


def _randomized(model):
    with ember.no_grad():
        for p in model.parameters():
            p.uniform_(-1.0, 1.0)
    return model.eval()


@pytest.mark.parametrize("fold", [True, False])
@pytest.mark.parametrize("name", sorted(CASES))
def test_graph_as_torch(name, fold):
    build, shape = CASES[name]
    ember.manual_seed(0)
    model = _randomized(build(ember))
    x = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
    kw = {"input_names": ["x"], "dynamic_axes": {"x": [0]}, "do_constant_folding": fold}
    data = export_bytes(ember, model, (ember.from_numpy(x),), **kw)
    ours = checked(data)
    assert_runs_as_ember(model, data, x, tol=1e-4)
    x3 = np.concatenate([x, x[:1] * 2])
    assert_runs_as_ember(model, data, x3, tol=1e-4)
    if torch is None:
        pytest.skip("torch (the oracle) is not installed")
    theirs = checked(export_bytes(torch, torch_twin(model, build(torch)),
                                  (torch.from_numpy(x),), **kw))
    assert names(ours)[::2] == names(theirs)[::2]
    assert _graph(ours) == _graph(theirs)
    for a, b in zip(run_ort(data, x3), run_ort(theirs.SerializeToString(), x3)):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-5)


def test_no_constant_folding_keeps_parameter_names():
    """do_constant_folding=False: the weight stays an initializer under its own name, and the
    broadcasting is an Unsqueeze node, as torch writes it."""
    ember.manual_seed(0)
    model = _randomized(ember.nn.PReLU(3))
    x = np.random.default_rng(1).standard_normal((2, 3, 4)).astype(np.float32)
    data = export_bytes(ember, model, (ember.from_numpy(x),), input_names=["x"],
                        do_constant_folding=False)
    assert_runs_as_ember(model, data, x)
    ours = checked(data)
    assert [n.op_type for n in ours.graph.node] == ["Constant", "Unsqueeze", "PRelu"]
    assert [i.name for i in ours.graph.initializer] == ["weight"]
    if torch is not None:
        theirs = checked(export_bytes(torch, torch_twin(model, torch.nn.PReLU(3)),
                                      (torch.from_numpy(x),), input_names=["x"],
                                      do_constant_folding=False))
        assert _graph(ours) == _graph(theirs)
        assert names(ours)[::2] == names(theirs)[::2]


def _cross(L):
    class M(L.nn.Module):
        def __init__(self):
            super().__init__()
            self.a = L.nn.MultiheadAttention(8, 2)

        def forward(self, q, k):
            return self.a(q, k, k)
    return M()


def test_cross_attention_names_as_torch():
    """key is value (not the query): torch projects the query alone and key and value with
    one packed MatMul, so its initializers are two MatMul and two Add constants."""
    ember.manual_seed(0)
    model = _randomized(_cross(ember))
    rng = np.random.default_rng(0)
    q = rng.standard_normal((4, 3, 8)).astype(np.float32)
    k = rng.standard_normal((5, 3, 8)).astype(np.float32)
    kw = {"input_names": ["q", "k"]}
    data = export_bytes(ember, model, (ember.from_numpy(q), ember.from_numpy(k)), **kw)
    ours = checked(data)
    assert_runs_as_ember(model, data, q, k)
    inits = names(ours)[2]
    assert inits.count("onnx::MatMul") == 2 and inits.count("onnx::Add") == 2
    if torch is not None:
        theirs = export_bytes(torch, torch_twin(model, _cross(torch)),
                              (torch.from_numpy(q), torch.from_numpy(k)), **kw)
        assert names(ours)[::2] == names(checked(theirs))[::2]
        for a, b in zip(run_ort(data, q, k), run_ort(theirs, q, k)):
            np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-5)
