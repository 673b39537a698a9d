"""nn layers, losses, optimizers, save/load and the course models' training steps on cuda, against
torch (on its cuda when it has one, else its cpu).

Each test runs on the `cuda` fixture's devices (tests/cuda_devices.py): the strict CuPy stand-in
and a real GPU (skipped where there is none). Modules get torch's initial weights, ember's copy
moves to cuda with `.to("cuda")`, and outputs, input gradients and parameter gradients come back
with `.cpu()` to be compared with torch's.
"""

import io

import numpy as np
import pytest
from benchmarks.course_models import char_rnn, cifar_cnn, mlp, random_batches, text_batches

import ember
import ember.nn  # noqa: F401
import ember.optim  # noqa: F401
from cuda_devices import TORCH_DEVICE, cuda  # noqa: F401 - the fixture
from oracle import arr, requires_torch, torch

pytestmark = pytest.mark.usefixtures("cuda")


def _host(t):
    return t.detach().cpu().numpy()


def _twins(make_torch, make_ember):
    """A torch module on TORCH_DEVICE and its ember twin (torch's weights) on cuda."""
    torch.manual_seed(0)
    t = make_torch()
    e = make_ember()
    e.load_state_dict({k: ember.from_numpy(_host(v).copy()) for k, v in t.state_dict().items()})
    return t.to(TORCH_DEVICE), e.to("cuda")


def _close(e, t, rtol=1e-4, atol=1e-5, what=""):
    assert e.device.type == "cuda", f"{what} is on {e.device}"
    assert tuple(e.shape) == tuple(t.shape), what
    np.testing.assert_allclose(_host(e), _host(t), rtol=rtol, atol=atol, err_msg=what)


def _run_layer(make, x, train=True, rtol=1e-4, atol=1e-5, target=None):
    """Forward and backward of a layer (make(lib) builds it) on both; compares everything."""
    t, e = _twins(lambda: make(torch), lambda: make(ember))
    t.train(train)
    e.train(train)
    tx = torch.tensor(x, device=TORCH_DEVICE, requires_grad=x.dtype.kind == "f")
    ex = ember.tensor(x, device="cuda", requires_grad=x.dtype.kind == "f")
    to, eo = t(tx), e(ex)
    if isinstance(to, tuple):  # LSTM: (out, (h, c))
        to, eo = to[0], eo[0]
    _close(eo, to, rtol, atol, "output")
    w = np.random.default_rng(1).standard_normal(tuple(to.shape)).astype(np.float32)
    (to * torch.tensor(w, device=TORCH_DEVICE)).sum().backward()
    (eo * ember.tensor(w, device="cuda")).sum().backward()
    if tx.requires_grad:
        _close(ex.grad, tx.grad, rtol, atol, "input grad")
    for (name, tp), ep in zip(t.named_parameters(), e.parameters()):
        _close(ep.grad, tp.grad, rtol, atol, f"grad of {name}")
    for (name, tb), eb in zip(t.named_buffers(), e.buffers()):
        if tb.dtype.is_floating_point:
            _close(eb, tb, rtol, atol, f"buffer {name}")


@requires_torch
@pytest.mark.parametrize("name,make,shape", [
    ("Linear", lambda L: L.nn.Linear(5, 3), (4, 5)),
    ("Conv2d", lambda L: L.nn.Conv2d(3, 4, 3, padding=1), (2, 3, 6, 6)),
    ("Conv2d_stride", lambda L: L.nn.Conv2d(2, 3, 3, stride=2), (2, 2, 7, 7)),
    ("MaxPool2d", lambda L: L.nn.MaxPool2d(2, 2), (2, 3, 6, 6)),
    ("ReLU", lambda L: L.nn.ReLU(), (3, 4)),
    ("BatchNorm1d", lambda L: L.nn.BatchNorm1d(4), (6, 4)),
    ("BatchNorm2d", lambda L: L.nn.BatchNorm2d(3), (4, 3, 5, 5)),
    ("LSTM", lambda L: L.nn.LSTM(5, 4, 2, batch_first=True), (3, 6, 5)),
    ("LogSoftmax", lambda L: L.nn.LogSoftmax(dim=1), (3, 4)),
    ("LSTM_bidirectional", lambda L: L.nn.LSTM(5, 3, bidirectional=True), (4, 2, 5)),
    ("GRU", lambda L: L.nn.GRU(5, 4, batch_first=True), (3, 6, 5)),
    ("RNN", lambda L: L.nn.RNN(5, 4, nonlinearity="relu"), (6, 3, 5)),
    ("Embedding", lambda L: L.nn.Embedding(10, 3), None),
    ("LayerNorm", lambda L: L.nn.LayerNorm(4), (3, 4)),
    ("Conv2d_groups", lambda L: L.nn.Conv2d(4, 4, 3, groups=2, bias=False), (1, 4, 5, 5)),
    ("AvgPool2d", lambda L: L.nn.AvgPool2d(2), (2, 3, 4, 4)),
    ("Conv1d", lambda L: L.nn.Conv1d(3, 4, 3, padding=1), (2, 3, 7)),
    ("ConvTranspose2d", lambda L: L.nn.ConvTranspose2d(3, 2, 3, stride=2), (1, 3, 4, 4)),
    ("GroupNorm", lambda L: L.nn.GroupNorm(2, 4), (2, 4, 3, 3)),
    ("Upsample", lambda L: L.nn.Upsample(scale_factor=2, mode="bilinear"), (1, 2, 3, 3)),
    ("LSTMCell", lambda L: L.nn.LSTMCell(4, 3), (2, 4)),
    ("GRUCell", lambda L: L.nn.GRUCell(4, 3), (2, 4)),
    ("EmbeddingBag", lambda L: L.nn.EmbeddingBag(10, 3, mode="mean"), None),
    ("TransformerEncoderLayer", lambda L: L.nn.TransformerEncoderLayer(
        8, 2, 16, dropout=0.0, batch_first=True), (2, 5, 8)),
])
def test_layers(name, make, shape):
    _run_layer(make, arr(shape) if shape else np.array([[1, 4, 4], [9, 0, 1]]))


@requires_torch
def test_batchnorm_eval():
    _run_layer(lambda L: L.nn.BatchNorm2d(3), arr((2, 3, 4, 4)), train=False)


def test_dropout():
    ember.manual_seed(0)
    x = ember.ones(4000, device="cuda", requires_grad=True)
    y = ember.nn.Dropout(0.25)(x)
    y.sum().backward()
    kept = _host(y) != 0
    assert y.device.type == "cuda" and 0.7 < kept.mean() < 0.8
    np.testing.assert_allclose(_host(y)[kept], 1 / 0.75, rtol=1e-6)
    np.testing.assert_array_equal(_host(x.grad), _host(y))
    assert ember.nn.Dropout(0.25).eval()(x) is not None


@requires_torch
@pytest.mark.parametrize("name,loss", [
    ("CrossEntropyLoss", lambda L: L.nn.CrossEntropyLoss()),
    ("CrossEntropyLoss_smooth", lambda L: L.nn.CrossEntropyLoss(label_smoothing=0.1)),
    ("NLLLoss", lambda L: L.nn.NLLLoss()),
    ("MSELoss", None),
])
def test_losses(name, loss):
    x = arr((5, 4))
    tx = torch.tensor(x, device=TORCH_DEVICE, requires_grad=True)
    ex = ember.tensor(x, device="cuda", requires_grad=True)
    if loss is None:
        y = arr((5, 4), seed=3)
        tl = torch.nn.MSELoss()(tx, torch.tensor(y, device=TORCH_DEVICE))
        el = ember.nn.MSELoss()(ex, ember.tensor(y, device="cuda"))
    else:
        y = np.array([0, 3, 1, 1, 2])
        tl = loss(torch)(tx, torch.tensor(y, device=TORCH_DEVICE))
        el = loss(ember)(ex, ember.tensor(y, device="cuda"))
    tl.backward()
    el.backward()
    _close(el, tl, what="loss")
    _close(ex.grad, tx.grad, what="grad")


@requires_torch
@pytest.mark.parametrize("name,make", [
    ("SGD", lambda L, p: L.optim.SGD(p, lr=0.1)),
    ("SGD_momentum", lambda L, p: L.optim.SGD(p, lr=0.1, momentum=0.9, weight_decay=0.01,
                                              nesterov=True)),
    ("Adam", lambda L, p: L.optim.Adam(p, lr=0.01)),
    ("AdamW", lambda L, p: L.optim.AdamW(p, lr=0.01, amsgrad=True)),
])
def test_optimizer_steps(name, make):
    t, e = _twins(lambda: torch.nn.Linear(4, 3), lambda: ember.nn.Linear(4, 3))
    topt, eopt = make(torch, t.parameters()), make(ember, e.parameters())
    for step in range(3):
        x = arr((5, 4), seed=step)
        for lib, m, opt, dev in ((torch, t, topt, TORCH_DEVICE), (ember, e, eopt, "cuda")):
            opt.zero_grad()
            (m(lib.tensor(x, device=dev)) ** 2).mean().backward()
            opt.step()
    _close(e.weight, t.weight, what="weight")
    _close(e.bias, t.bias, what="bias")
    for st in eopt.state.values():
        for k, v in st.items():
            if ember.is_tensor(v) and v.dim():
                assert v.device.type == "cuda", k


def test_save_load_map_location():
    e = ember.nn.Linear(3, 2).to("cuda")
    buf = io.BytesIO()
    ember.save({"model": e.state_dict(), "x": ember.arange(4.0, device="cuda")}, buf)
    buf.seek(0)
    on_cpu = ember.load(buf, map_location="cpu")
    assert on_cpu["x"].device.type == "cpu" and on_cpu["x"].tolist() == [0.0, 1.0, 2.0, 3.0]
    np.testing.assert_array_equal(on_cpu["model"]["weight"].numpy(), _host(e.weight))
    buf.seek(0)
    kept = ember.load(buf)
    assert kept["x"].device.type == "cuda"
    buf.seek(0)
    moved = ember.load(buf, map_location=lambda s, loc: s)  # storages stay on the host
    assert moved["x"].device.type == "cpu"
    host = io.BytesIO()
    ember.save(ember.nn.Linear(3, 2).state_dict(), host)
    host.seek(0)
    back = ember.load(host, map_location="cuda")
    assert back["weight"].device.type == "cuda"
    m = ember.nn.Linear(3, 2).to("cuda")
    m.load_state_dict(ember.load(io.BytesIO(buf.getvalue()), map_location="cpu")["model"])
    assert m.weight.device.type == "cuda"  # copied into the module's cuda parameters


def _no_dropout(m):
    for mod in m.modules():
        if hasattr(mod, "p") and type(mod).__name__ == "Dropout":
            mod.p = 0.0
        if type(mod).__name__ == "LSTM":
            mod.dropout = 0.0
    return m


@requires_torch
@pytest.mark.parametrize("name", ["mlp", "cnn", "lstm"])
def test_course_training_step(name):
    """Two SGD/Adam steps of a course model on cuda give torch's losses and weights (dropout off:
    torch's cuda dropout draws from another generator than its cpu)."""
    if name == "mlp":
        build = mlp
        xs, ys = random_batches(2, (8, 784))
    elif name == "cnn":
        build = cifar_cnn
        xs, ys = random_batches(2, (4, 3, 32, 32))
    else:
        build = lambda L: char_rnn(L, hidden=32)  # noqa: E731
        xs, ys = text_batches(2, 4, 10)
    t, e = _twins(lambda: _no_dropout(build(torch)), lambda: _no_dropout(build(ember)))
    results = []
    for lib, m, dev in ((torch, t, TORCH_DEVICE), (ember, e, "cuda")):
        opt = (lib.optim.Adam(m.parameters(), lr=0.001) if name == "lstm" else
               lib.optim.SGD(m.parameters(), lr=0.01, momentum=0.9))
        crit = lib.nn.NLLLoss() if name == "mlp" else lib.nn.CrossEntropyLoss()
        losses = []
        for x, y in zip(xs, ys):
            opt.zero_grad()
            x, y = lib.tensor(x, device=dev), lib.tensor(y, device=dev)
            if name == "lstm":
                out, _ = m(x, None)
                loss = crit(out, y.view(-1))
            else:
                loss = crit(m(x), y)
            loss.backward()
            if name == "lstm":
                lib.nn.utils.clip_grad_norm_(m.parameters(), 5)
            opt.step()
            losses.append(loss.item())
        results.append(losses)
    np.testing.assert_allclose(results[1], results[0], rtol=1e-4)
    for (k, tp), ep in zip(t.named_parameters(), e.parameters()):
        _close(ep, tp, rtol=1e-3, atol=1e-5, what=k)


def test_dataloader_batches_to_cuda():
    from ember.utils.data import DataLoader, TensorDataset
    ds = TensorDataset(ember.arange(10.0), ember.arange(10))
    seen = []
    for x, y in DataLoader(ds, batch_size=4, pin_memory=True):
        x, y = x.to("cuda", non_blocking=True), y.cuda(non_blocking=True)
        assert x.device.type == "cuda" and y.device.type == "cuda"
        seen += (x * 2).cpu().tolist()
    assert seen == [2.0 * i for i in range(10)]
