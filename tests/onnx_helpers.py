"""Helpers of the ONNX export tests: export a model (ember or torch) to bytes, run it in
onnxruntime, copy ember weights into a torch twin, and compare graph names."""

import io
import re
import warnings

import numpy as np

import ember

try:
    import torch
except ImportError:  # the oracle is optional
    torch = None


def export_bytes(lib, model, args, **kw):
    buf = io.BytesIO()
    with warnings.catch_warnings():  # the legacy exporter's deprecation warning, in both
        warnings.simplefilter("ignore", DeprecationWarning)
        lib.onnx.export(model, args, buf, dynamo=False, **kw)
    return buf.getvalue()


def run_ort(data, *arrays):
    import onnxruntime as ort
    sess = ort.InferenceSession(data, providers=["CPUExecutionProvider"])
    feeds = {i.name: a for i, a in zip(sess.get_inputs(), arrays)}
    return sess.run(None, feeds)


def checked(data):
    import onnx
    model = onnx.load_from_string(data)
    onnx.checker.check_model(model)
    return model


def ember_forward(model, *arrays):
    with ember.no_grad():
        out = model.eval()(*[ember.from_numpy(a) for a in arrays])
    outs = out if isinstance(out, (tuple, list)) else (out,)
    flat = []
    for o in outs:
        flat.extend(o if isinstance(o, (tuple, list)) else (o,))
    return [o.numpy() for o in flat]


def assert_runs_as_ember(model, data, *arrays, tol=1e-5):
    got = run_ort(data, *arrays)
    want = ember_forward(model, *arrays)
    assert len(got) == len(want)
    for g, w in zip(got, want):
        assert g.shape == w.shape
        np.testing.assert_allclose(g, w, rtol=tol, atol=tol)
    return got


def torch_twin(ember_model, torch_model):
    """`torch_model` with `ember_model`'s weights and buffers (through the state_dict)."""
    sd = {k: torch.from_numpy(v.numpy().copy()) for k, v in ember_model.state_dict().items()}
    torch_model.load_state_dict(sd)
    return torch_model.eval()


def names(model):
    """Inputs, outputs and initializer names of an ONNX model; the numbers of torch's
    generated `onnx::<Op>_<n>` names dropped (they count TorchScript values)."""
    g = model.graph
    inits = sorted(re.sub(r"^(onnx::\w+?)_\d+$", r"\1", i.name) for i in g.initializer)
    return [i.name for i in g.input], [o.name for o in g.output], inits
