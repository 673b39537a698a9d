"""ember.onnx.export of more layers (transposed and 1-D convolution, upsampling, padding,
normalization layers, embedding, chunk/split, pooling variants): onnx.checker, onnxruntime
against ember's forward at two batch sizes, and, with torch, torch 2.13's export of the same
layer gives the same outputs (and the same initializer names where ember emits torch's ops)."""

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


def _chunks(L):
    class C(L.nn.Module):
        def forward(self, x):
            a, b = x.chunk(2, dim=1)
            c, d = L.split(x, [2, 4], dim=1)
            return a * b + c.sum(1, keepdim=True) + d[:, :3]
    return C()


# name: (layer, input shape (None: int64 indices), torch's export has the same initializers)
CASES = {
    "conv_transpose": (lambda L: L.nn.ConvTranspose2d(3, 4, 3, stride=2, padding=1,
                                                     output_padding=1), (2, 3, 5, 5), True),
    "upsample_nearest": (lambda L: L.nn.Upsample(scale_factor=2), (2, 3, 5, 5), True),
    "upsample_bilinear": (lambda L: L.nn.Upsample(scale_factor=2, mode="bilinear"),
                          (2, 3, 5, 5), True),
    "prelu": (lambda L: L.nn.PReLU(3), (2, 3, 5, 5), True),
    "group_norm": (lambda L: L.nn.GroupNorm(1, 3), (2, 3, 5, 5), True),
    "instance_norm": (lambda L: L.nn.InstanceNorm2d(3), (2, 3, 5, 5), True),
    "layer_norm": (lambda L: L.nn.LayerNorm(5), (2, 3, 5), True),
    "embedding": (lambda L: L.nn.Embedding(10, 4), None, True),
    "zero_pad": (lambda L: L.nn.ZeroPad2d((1, 2, 0, 1)), (2, 3, 5, 5), True),
    "reflection_pad": (lambda L: L.nn.ReflectionPad2d(1), (2, 3, 5, 5), True),
    "flatten": (lambda L: L.nn.Flatten(), (2, 3, 5, 5), True),
    "chunk_split": (_chunks, (2, 6, 5), True),
    "conv1d_dilated": (lambda L: L.nn.Conv1d(3, 4, 3, dilation=2), (2, 3, 9), True),
    "max_pool_ceil": (lambda L: L.nn.MaxPool2d(3, 2, ceil_mode=True), (2, 3, 8, 8), True),
    "avg_pool_exclusive": (lambda L: L.nn.AvgPool2d(3, 2, padding=1, count_include_pad=False),
                           (2, 3, 8, 8), True),
}


def _input(shape):
    if shape is None:
        return np.array([[1, 2, 3], [4, 5, 9]], dtype=np.int64)
    return np.random.default_rng(0).standard_normal(shape).astype(np.float32)


@pytest.mark.parametrize("name", sorted(CASES))
def test_layer_exports(name):
    build, shape, same_names = CASES[name]
    ember.manual_seed(0)
    model = build(ember).eval()
    x = _input(shape)
    kw = {"input_names": ["x"], "dynamic_axes": {"x": [0]}}
    data = export_bytes(ember, model, (ember.from_numpy(x),), **kw)
    checked(data)
    assert_runs_as_ember(model, data, x)
    x3 = np.concatenate([x, x[:1] * 2])
    assert_runs_as_ember(model, data, x3)
    if torch is not None:
        theirs = export_bytes(torch, torch_twin(model, build(torch)), (torch.from_numpy(x),),
                              **kw)
        if same_names:
            assert names(checked(data))[::2] == names(checked(theirs))[::2]  # (not outputs)
        for a, b in zip(run_ort(data, x3), run_ort(theirs, x3)):
            np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-5)
