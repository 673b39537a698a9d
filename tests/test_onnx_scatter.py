"""ember.onnx.export of einsum, scatter (scatter, scatter_, scatter_add), index assignment
(`x[idx] = v`) and nonzero: the op types torch 2.13's exporter emits (Einsum, ScatterElements,
ScatterND, NonZero + Transpose), checked in onnxruntime against ember's forward and, with torch,
against torch's export of the same module. cumprod, which torch's exporter refuses too, keeps
ember's error naming the op and module (tests/test_onnx.py)."""

import numpy as np
import pytest

pytest.importorskip("onnx")
pytest.importorskip("onnxruntime")

import ember  # noqa: E402
from onnx_helpers import assert_runs_as_ember, checked, export_bytes, run_ort  # noqa: E402
from oracle import torch  # noqa: E402


def _index_put(L, a):
    b = a.clone()
    b[:, L.tensor([0, 2])] = a[:, 1:3] * 2
    b[0, 1] = 7.0
    return b


def _index_put_const(L, a):  # a constant buffer written with traced values
    z = L.zeros(2, 5)
    z[:, L.tensor([1, 3])] = a[:, 0, :2]
    return z


_IDX = [[[1, 0], [2, 3], [0, 1]]] * 2
CASES = {  # name: (fn, the op types torch's graph has, beyond Constant)
    "einsum": (lambda L, a: L.einsum("bij,bkj->bik", a, a), ["Einsum"]),
    "scatter": (lambda L, a: a.scatter(2, L.tensor(_IDX), a[:, :, :2] * 3),
                ["Mul", "ScatterElements", "Slice"]),
    "scatter_value": (lambda L, a: L.scatter(a, 1, L.tensor([[[1, 0, 2, 0]]] * 2), 5.0),
                      ["Expand", "ScatterElements"]),
    "scatter_inplace": (lambda L, a: a.clone().scatter_(2, L.tensor(_IDX), a[:, :, :2]),
                        ["Slice", "ScatterElements"]),
    "scatter_add": (lambda L, a: a.scatter_add(2, L.tensor(_IDX), a[:, :, :2]),
                    ["Slice", "ScatterElements"]),
    "nonzero": (lambda L, a: (a > 1).nonzero(), ["Greater", "NonZero", "Transpose"]),
    "index_put": (_index_put, None),
    "index_put_const": (_index_put_const, None),
}


def _module(L, fn):
    class M(L.nn.Module):
        def forward(self, a):
            return fn(L, a)
    return M()


def _ops(model_proto):
    return [n.op_type for n in model_proto.graph.node if n.op_type != "Constant"]


@pytest.mark.parametrize("name", sorted(CASES))
def test_op_exports_as_torch(name):
    fn, torch_ops = CASES[name]
    x = np.random.default_rng(0).uniform(0.5, 1.5, (2, 3, 4)).astype(np.float32)
    model = _module(ember, fn)
    data = export_bytes(ember, model, (ember.from_numpy(x),), input_names=["a"])
    ours = checked(data)
    assert_runs_as_ember(model, data, x)
    if name.startswith("index_put"):
        assert _ops(ours)[-1] == "ScatterND"  # torch's index_put_ ends in ScatterND
    if name == "index_put":  # (torch's own graph of this one fails in onnxruntime)
        return
    if torch is None:
        return
    theirs_data = export_bytes(torch, _module(torch, fn), (torch.from_numpy(x),),
                               input_names=["a"])
    theirs = checked(theirs_data)
    if torch_ops is not None:
        assert sorted(_ops(ours)) == sorted(_ops(theirs)) == sorted(torch_ops)
        for a, b in zip(run_ort(data, x), run_ort(theirs_data, x)):
            np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-6)
    else:
        assert _ops(theirs)[-1] == "ScatterND"
    if name == "nonzero":  # the count of nonzeros is a symbolic size in both
        for m in (ours, theirs):
            assert m.graph.output[0].type.tensor_type.shape.dim[0].dim_param


def test_larger_src_and_refused_forms():
    import io

    def export(fn):
        ember.onnx.export(_module(ember, fn), (ember.rand(2, 3, 4),), io.BytesIO())
    with pytest.raises(ember.onnx.OnnxExporterError, match=r"nonzero\(as_tuple=True\)"):
        export(lambda L, a: a.nonzero(as_tuple=True)[0])
    model = _module(ember, lambda L, a: a.scatter(2, L.tensor(_IDX), a))  # a larger src: cut
    x = np.random.default_rng(0).uniform(0.5, 1.5, (2, 3, 4)).astype(np.float32)
    assert_runs_as_ember(model, export_bytes(ember, model, (ember.from_numpy(x),)), x)
    with pytest.raises(ember.onnx.OnnxExporterError, match="reduce='mean'"):
        export(lambda L, a: a.scatter_reduce(2, L.tensor(_IDX), a[:, :, :2], "mean"))
