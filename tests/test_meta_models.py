"""Meta tensors through whole models: shape inference forward *and* backward (loss.backward() on
meta gives meta gradients of the parameters' shapes), with no data computed; printing, errors,
to_empty and empty_like as torch 2.13's."""

import re

import pytest

import ember
from oracle import torch


def _meta_step(lib, build, make_input, loss="sum"):
    """Builds under `with device('meta')`, runs forward and backward; returns what torch would
    show: output shape/device/dtype and every parameter's grad shape/device."""
    lib.manual_seed(0)
    with lib.device("meta"):
        model = build(lib)
        x = make_input(lib)
    y = model(*x) if isinstance(x, tuple) else model(x)
    out = y[0] if isinstance(y, tuple) else y
    if loss == "ce":
        target = lib.zeros(out.shape[0], dtype=lib.int64, device="meta")
        value = lib.nn.functional.cross_entropy(out, target)
    else:
        value = out.sum()
    value.backward()
    grads = [(n, p.grad.device.type, tuple(p.grad.shape), tuple(p.shape))
             for n, p in model.named_parameters()]
    return (out.device.type, tuple(out.shape), str(out.dtype).split(".")[-1],
            value.device.type), grads


NN_MODELS = {
    "transformer": (lambda T: T.nn.Transformer(16, 2, 1, 1, 32),
                    lambda T: (T.randn(5, 2, 16), T.randn(4, 2, 16))),
    "encoder": (lambda T: T.nn.TransformerEncoder(
        T.nn.TransformerEncoderLayer(16, 2, 32, batch_first=True), 2, enable_nested_tensor=False),
        lambda T: T.randn(2, 5, 16)),
    "mha": (lambda T: T.nn.MultiheadAttention(16, 2), lambda T: (T.randn(5, 2, 16),) * 3),
    "lstm": (lambda T: T.nn.LSTM(4, 8, num_layers=2, bidirectional=True),
             lambda T: T.randn(5, 2, 4)),
    "gru": (lambda T: T.nn.GRU(4, 8, batch_first=True), lambda T: T.randn(2, 5, 4)),
    "rnn": (lambda T: T.nn.RNN(4, 8, nonlinearity="relu"), lambda T: T.randn(5, 2, 4)),
    "lstm_cell": (lambda T: T.nn.LSTMCell(4, 8), lambda T: T.randn(2, 4)),
    "cnn_bn": (lambda T: T.nn.Sequential(
        T.nn.Conv2d(3, 4, 3, stride=2, padding=1), T.nn.BatchNorm2d(4), T.nn.ReLU(),
        T.nn.Conv2d(4, 4, 3, groups=2), T.nn.AdaptiveAvgPool2d(1), T.nn.Flatten(),
        T.nn.Linear(4, 3)), lambda T: T.randn(2, 3, 9, 9)),
    "conv1d": (lambda T: T.nn.Conv1d(3, 4, 3, padding=1), lambda T: T.randn(2, 3, 8)),
    "conv3d": (lambda T: T.nn.Conv3d(2, 3, 3), lambda T: T.randn(1, 2, 5, 5, 5)),
    "conv_transpose": (lambda T: T.nn.ConvTranspose2d(3, 4, 3, stride=2),
                       lambda T: T.randn(2, 3, 5, 5)),
    "embedding": (lambda T: T.nn.Embedding(10, 4, padding_idx=0),
                  lambda T: T.randint(10, (3, 5))),
    "batchnorm1d": (lambda T: T.nn.BatchNorm1d(4), lambda T: T.randn(3, 4)),
}


@pytest.mark.parametrize("name", NN_MODELS)
def test_nn_model_on_meta(name):
    build, make_input = NN_MODELS[name]
    got = _meta_step(ember, build, make_input)
    out, grads = got
    assert out[0] == "meta" and out[3] == "meta"
    assert all(dev == "meta" and shape == pshape for _, dev, shape, pshape in grads), grads
    if torch is not None:
        assert got == _meta_step(torch, build, make_input)


@pytest.mark.parametrize("loss", ["cross_entropy", "nll_loss", "mse_loss", "ce_probs",
                                  "ce_smoothing", "bce_logits", "l1_loss"])
def test_losses_on_meta(loss):
    def run(T):
        F = T.nn.functional
        with T.device("meta"):
            x = T.randn(4, 5, requires_grad=True)
            t = T.randint(5, (4,))
            p = T.rand(4, 5)
        value = {"cross_entropy": lambda: F.cross_entropy(x, t),
                 "nll_loss": lambda: F.nll_loss(F.log_softmax(x, 1), t, reduction="sum"),
                 "mse_loss": lambda: F.mse_loss(x, p),
                 "ce_probs": lambda: F.cross_entropy(x, p),
                 "ce_smoothing": lambda: F.cross_entropy(x, t, label_smoothing=0.1),
                 "bce_logits": lambda: F.binary_cross_entropy_with_logits(x, p),
                 "l1_loss": lambda: F.l1_loss(x, p, reduction="none").sum()}[loss]()
        value.backward()
        return value.device.type, tuple(value.shape), x.grad.device.type, tuple(x.grad.shape)
    got = run(ember)
    assert got == ("meta", (), "meta", (4, 5))
    if torch is not None:
        assert got == run(torch)


def _vision_names():
    import ember.vision.models as M
    return [n for n in dir(M) if n.islower() and not n.startswith("_")
            and callable(getattr(M, n)) and n not in ("get_model", "list_models", "get_weight",
                                                      "get_model_weights")]


VISION = _vision_names()


@pytest.mark.parametrize("name", VISION)
def test_vision_model_on_meta(name):
    """Every parameter gets a meta gradient of its shape; nothing leaves meta."""
    import ember.vision.models as M
    out, grads = _meta_step(ember, lambda T: getattr(M, name)(),
                            lambda T: T.randn(2, 3, 224, 224), loss="ce")
    assert out == ("meta", (2, 1000), "float32", "meta")
    assert grads and all(dev == "meta" and shape == pshape for _, dev, shape, pshape in grads)


EXPRS = ["x.item()", "x.numpy()", "x.tolist()", "float(x[0, 0])", "bool(x[0, 0])",
         "int(x[0, 0])", "x[0, 0].item()", "x.cpu()", "x.to('cpu')", "repr(x)", "str(x)",
         "repr(x.sum())", "repr(T.empty(0, device='meta'))",
         "repr(T.empty((), device='meta', dtype=T.int64))",
         "repr(T.nn.Parameter(T.empty(2, device='meta')))",
         "repr(T.nn.Linear(2, 2, device='meta').weight)",
         "repr(T.empty(2, device='meta', requires_grad=True))",
         "repr(T.empty(2, device='meta', requires_grad=True) * 2)", "repr(T.empty_like(x))",
         "T.empty_like(x).device", "repr(x == x)", "x.is_meta", "len(x)",
         "repr(T.zeros_like(x, dtype=T.float64))", "T.allclose(x, x)"]


@pytest.mark.parametrize("expr", EXPRS)
def test_meta_tensor_behaves_as_torch(expr):
    if torch is None:
        pytest.skip("torch (the oracle) is not installed")

    def run(T):
        x = T.randn(2, 3, device="meta")
        try:
            r = eval(expr, {"T": T, "x": x})
            return ("ok", re.sub(r"\btorch\b", "T", repr(r)))
        except Exception as e:  # noqa: BLE001 - the exception is the outcome compared
            return ("error", type(e).__name__, str(e))
    assert run(ember) == run(torch)


def test_to_empty():
    results = []
    for T in [ember] + ([torch] if torch is not None else []):
        m = T.nn.Sequential(T.nn.Linear(2, 3, device="meta"), T.nn.BatchNorm1d(3, device="meta"))
        same = m.to_empty(device="cpu", recurse=False) is m
        shallow = [p.device.type for p in m.parameters()]
        m.to_empty(device="cpu")
        deep = [t.device.type for t in list(m.parameters()) + list(m.buffers())]
        shapes = [tuple(p.shape) for p in m.parameters()]
        results.append((same, shallow, deep, shapes, m[0].weight.requires_grad,
                        type(m[0].weight).__name__))
    assert results[0][2] == ["cpu"] * 7
    if torch is not None:
        assert results[0] == results[1]


def test_init_on_meta_needs_no_data():
    """nn.init functions run on meta parameters (as reset_parameters does under meta)."""
    with ember.device("meta"):
        w = ember.nn.Parameter(ember.empty(4, 3))
    init = ember.nn.init
    for fn in (init.kaiming_uniform_, init.kaiming_normal_, init.xavier_uniform_,
               init.xavier_normal_, init.orthogonal_, init.trunc_normal_, init.zeros_,
               init.ones_, init.normal_, init.uniform_):
        assert fn(w) is w and w.is_meta
    init.constant_(w, 0.5)
    init.eye_(w)
