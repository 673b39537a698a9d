"""ember.onnx.export of common tensor ops and activations: each op in a one-line module, run
in onnxruntime against ember's forward (at the traced batch size and another one, with
dynamic_axes) and, with torch, against torch 2.13's export of the same module."""

import numpy as np
import pytest

pytest.importorskip("onnx")
pytest.importorskip("onnxruntime")

import ember  # noqa: E402
from onnx_helpers import assert_runs_as_ember, checked, export_bytes, run_ort  # noqa: E402
from oracle import torch  # noqa: E402

OPS = {
    "reshape": lambda L, x: x.reshape(x.shape[0], -1) * 2,
    "view_flatten": lambda L, x: x.view(-1, 12).flatten() + L.flatten(x, 1).sum(),
    "permute_transpose": lambda L, x: x.permute(0, 2, 1).transpose(1, 2) - x,
    "cat_stack": lambda L, x: L.cat([x, x * 2], dim=1) + L.stack([x, x], 1).sum(1).repeat(1, 2, 1),
    "slice_getitem": lambda L, x: x[:, 1:3, ::2] + x[:, 0:1, 1::2] * x[:, -1, None, :2],
    "index_none_ellipsis": lambda L, x: x[..., 1] + x[:, :, None, 0].squeeze(2),
    "gather": lambda L, x: L.gather(x, 2, x.argmax(2, keepdim=True)) + x.gather(
        1, x[:, :2].argmin(1, keepdim=True)).sum(1, keepdim=True),
    "where_clamp": lambda L, x: L.where(x > 0, x, x * 0.1).clamp(-0.5, 0.5),
    "reductions": lambda L, x: x.sum(1) + x.mean(dim=(1, 2), keepdim=True).squeeze(2)
    + x.max(dim=1).values + x.amax(1),
    "max_indices": lambda L, x: x.max(dim=2)[1].to(L.float32) + x.argmax(2).to(L.float32)
    + (x.argmin() + (x == x.max()).logical_not().sum()).to(L.float32),
    "matmul": lambda L, x: (x @ x.transpose(1, 2)).sum(-1) + L.matmul(x, L.ones(4, 3)).sum(-1),
    "softmax": lambda L, x: L.softmax(x, -1) + L.log_softmax(x, dim=1),
    "activations": lambda L, x: L.sigmoid(x) + L.tanh(x) + L.nn.functional.gelu(x)
    + L.nn.functional.leaky_relu(x, 0.1) + L.nn.functional.elu(x) + L.nn.functional.silu(x)
    + L.nn.functional.relu6(x * 4) + L.nn.functional.hardswish(x),
    "arith": lambda L, x: (x + 1) * (x - 2) / (x.abs() + 1) + x.exp().log() - x ** 2
    + x.abs().sqrt() + 1 - x + L.rsqrt(x * x + 1) + (x != 0).to(L.float32),
    "alpha_rsub": lambda L, x: L.sub(x, x * 2, alpha=3) + L.add(x, 2.0, alpha=0.5) + (2 - x * 3),
    "unsqueeze_expand": lambda L, x: x.unsqueeze(1).expand(-1, 2, 3, 4).sum(1) + x.neg(),
    "embedding_like_index_select": lambda L, x: L.index_select(x, 1, L.tensor([2, 0])),
    "sort_topk": lambda L, x: x.sort(2).values + x.sort(1, descending=True).values.sum(1,
                                                                                      True)
    + x.topk(2, dim=2).values.sum(2, True) + x.topk(1, dim=1, largest=False)[1],
    "norms_std": lambda L, x: x.norm(dim=2, keepdim=True) + L.linalg.vector_norm(x, 1, dim=1,
                                                                                  keepdim=True)
    + x.std(2, keepdim=True) + x.var(1, keepdim=True) + L.nn.functional.normalize(x, dim=2),
    "tril_flip": lambda L, x: x.tril() + x.triu(1).flip(2) + x.flip(1, 2),
    "cast": lambda L, x: (x > 0).to(L.float32) + (x * 3).to(L.int64).to(L.float32),
}


def _module(L, fn):
    class M(L.nn.Module):
        def forward(self, x):
            return fn(L, x)
    return M()


def _x(n, seed=0):
    return np.random.default_rng(seed).uniform(-2, 2, (n, 3, 4)).astype(np.float32)


KW = {"input_names": ["x"], "output_names": ["y"], "dynamic_axes": {"x": {0: "n"}}}


@pytest.mark.parametrize("name", sorted(OPS))
def test_op_exports(name):
    model = _module(ember, OPS[name])
    x = _x(2)
    data = export_bytes(ember, model, (ember.from_numpy(x),), **KW)
    checked(data)
    assert_runs_as_ember(model, data, x)
    assert_runs_as_ember(model, data, _x(5, 1))
    if torch is not None:
        theirs = export_bytes(torch, _module(torch, OPS[name]), (torch.from_numpy(x),), **KW)
        np.testing.assert_allclose(run_ort(data, _x(5, 1))[0], run_ort(theirs, _x(5, 1))[0],
                                   rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("opset", [13, 17])
def test_older_opsets(opset):
    """Reductions take axes as an attribute before opset 18; Gelu is composed before 20."""
    for name in ("reductions", "max_indices", "activations", "softmax"):
        model = _module(ember, OPS[name])
        data = export_bytes(ember, model, (ember.from_numpy(_x(2)),), opset_version=opset, **KW)
        assert checked(data).opset_import[0].version == opset
        assert_runs_as_ember(model, data, _x(5, 1))
