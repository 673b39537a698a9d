"""ember.onnx.export of MultiheadAttention and TransformerEncoderLayer: onnx.checker, onnxruntime
against ember's forward at the traced and another batch size (dynamic_axes), and, with torch,
against torch 2.13's export of the same layers (outputs, and input and initializer names; the
LayerNorm parameters are randomized first, since torch's exporter merges equal initializers)."""

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

CASES = {  # name: (layer, batch axis)
    "mha": (lambda nn: nn.MultiheadAttention(8, 2), 1),
    "mha_batch_first": (lambda nn: nn.MultiheadAttention(8, 2, batch_first=True), 0),
    "encoder": (lambda nn: nn.TransformerEncoderLayer(8, 2, dim_feedforward=16, dropout=0.0), 1),
    "encoder_norm_first_gelu": (lambda nn: nn.TransformerEncoderLayer(
        8, 2, dim_feedforward=16, batch_first=True, norm_first=True, activation="gelu"), 0),
}


def _wrapped(L, name):
    layer = CASES[name][0](L.nn)

    class M(L.nn.Module):
        def __init__(self):
            super().__init__()
            self.layer = layer

        def forward(self, x):
            if isinstance(self.layer, L.nn.MultiheadAttention):
                return self.layer(x, x, x)
            return self.layer(x)
    return M().eval()


def _x(name, batch, seed=0):
    shape = [4, 4, 8]
    shape[CASES[name][1]] = batch
    return np.random.default_rng(seed).standard_normal(shape).astype(np.float32)


@pytest.mark.parametrize("name", sorted(CASES))
def test_attention_exports(name):
    ember.manual_seed(0)
    model = _wrapped(ember, name)
    with ember.no_grad():
        for pname, p in model.named_parameters():
            if "norm" in pname:
                p.uniform_(0.5, 1.5)
    x = _x(name, 3)
    kw = {"input_names": ["x"], "dynamic_axes": {"x": {CASES[name][1]: "batch"}}}
    data = export_bytes(ember, model, (ember.from_numpy(x),), **kw)
    checked(data)
    assert_runs_as_ember(model, data, x)
    assert_runs_as_ember(model, data, _x(name, 5, 1))
    if torch is not None:
        theirs = export_bytes(torch, torch_twin(model, _wrapped(torch, name)),
                              (torch.from_numpy(x),), **kw)
        assert names(checked(data))[::2] == names(checked(theirs))[::2]  # (not outputs)
        for a, b in zip(run_ort(data, x), run_ort(theirs, x)):
            np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-5)


def test_encoder_stack_with_masks_and_cross_attention():
    """A causal mask, a padding mask given as a graph input (bool -> 0/-inf traced as Where),
    and cross-attention without weights, at two batch sizes."""
    import warnings
    ember.manual_seed(0)
    nn = ember.nn
    layer = nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0, batch_first=True)

    class M(nn.Module):
        def __init__(self):
            super().__init__()
            self.enc = nn.TransformerEncoder(layer, 2, enable_nested_tensor=False)
            self.cross = nn.MultiheadAttention(8, 2, batch_first=True)

        def forward(self, x, pad):
            mask = nn.Transformer.generate_square_subsequent_mask(x.shape[1])
            y = self.enc(x, mask=mask, src_key_padding_mask=pad)
            return self.cross(y, x, x, need_weights=False)[0]
    model = M().eval()
    x = np.random.default_rng(0).standard_normal((3, 4, 8)).astype(np.float32)
    pad = np.zeros((3, 4), bool)
    pad[0, 3] = True
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch's (and ember's) mismatched-mask-type warning
        data = export_bytes(ember, model, (ember.from_numpy(x), ember.from_numpy(pad)),
                            input_names=["x", "pad"], dynamic_axes={"x": [0], "pad": [0]})
        checked(data)
        assert_runs_as_ember(model, data, x, pad)
        assert_runs_as_ember(model, data, np.concatenate([x, x[:2]]),
                             np.concatenate([pad, pad[:2]]))
