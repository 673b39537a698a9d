"""ember.onnx.export of RNN, LSTM and GRU as ONNX's recurrent ops: onnx.checker, onnxruntime
against ember's forward (another batch size through dynamic_axes), and, with torch, against the
same layers exported by torch 2.13 (outputs and input/output/initializer names)."""

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

CASES = {
    "lstm": lambda L: L.nn.LSTM(5, 7, num_layers=2),
    "lstm_bi_batch_first": lambda L: L.nn.LSTM(5, 7, batch_first=True, bidirectional=True),
    "gru": lambda L: L.nn.GRU(5, 7, num_layers=2, bidirectional=True),
    "rnn_relu": lambda L: L.nn.RNN(5, 7, nonlinearity="relu", bias=False),
    "rnn_tanh": lambda L: L.nn.RNN(5, 7, batch_first=True),
}


def _x(name, batch, seed=0):
    shape = (batch, 4, 5) if "batch_first" in name or name == "rnn_tanh" else (4, batch, 5)
    return np.random.default_rng(seed).standard_normal(shape).astype(np.float32)


def _kw(name):
    bdim = 0 if "batch_first" in name or name == "rnn_tanh" else 1
    outs = ["y", "h", "c"] if name.startswith("lstm") else ["y", "h"]
    return {"input_names": ["x"], "output_names": outs, "dynamic_axes": {"x": {bdim: "b"}}}


@pytest.mark.parametrize("name", sorted(CASES))
def test_recurrent_runs_in_onnxruntime(name):
    ember.manual_seed(0)
    model = CASES[name](ember).eval()
    data = export_bytes(ember, model, (ember.from_numpy(_x(name, 2)),), **_kw(name))
    checked(data)
    assert_runs_as_ember(model, data, _x(name, 2))
    assert_runs_as_ember(model, data, _x(name, 3, 1))


def test_lstm_with_initial_state():
    ember.manual_seed(0)
    model = ember.nn.LSTM(5, 7, num_layers=2).eval()
    x = _x("lstm", 2)
    h0 = np.random.default_rng(2).standard_normal((2, 2, 7)).astype(np.float32)
    c0 = np.random.default_rng(3).standard_normal((2, 2, 7)).astype(np.float32)

    class M(ember.nn.Module):
        def __init__(self):
            super().__init__()
            self.rnn = model

        def forward(self, x, h, c):
            y, (h, c) = self.rnn(x, (h, c))
            return y, h, c
    m = M()
    data = export_bytes(ember, m, tuple(ember.from_numpy(a) for a in (x, h0, c0)))
    checked(data)
    assert_runs_as_ember(m, data, x, h0, c0)


@requires_torch
@pytest.mark.parametrize("name", sorted(CASES))
def test_recurrent_matches_torch_export(name):
    ember.manual_seed(0)
    model = CASES[name](ember).eval()
    tmodel = torch_twin(model, CASES[name](torch))
    x = _x(name, 2)
    ours = export_bytes(ember, model, (ember.from_numpy(x),), **_kw(name))
    theirs = export_bytes(torch, tmodel, (torch.from_numpy(x),), **_kw(name))
    assert names(checked(ours)) == names(checked(theirs))
    for a, b in zip(run_ort(ours, _x(name, 3, 1)), run_ort(theirs, _x(name, 3, 1))):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-5)
