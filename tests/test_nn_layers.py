"""Every layer against torch: the same state_dict loaded into both, the same input, then outputs,
input gradients and parameter gradients compared; reprs identical."""

import numpy as np
import pytest

import ember
import ember.nn  # noqa: F401
from oracle import arr, assert_same, requires_torch, torch


def copy_state(tm, em):
    """Loads torch module tm's state_dict into ember module em (through NumPy)."""
    sd = {k: ember.from_numpy(v.detach().numpy().copy()) for k, v in tm.state_dict().items()}
    em.load_state_dict(sd)


def compare_module(make, *inputs, train=True, rtol=1e-5, atol=1e-6, seed=0):
    """make(lib) builds the module; compares repr, output and every gradient."""
    tm, em = make(torch), make(ember)
    assert repr(em) == repr(tm)
    copy_state(tm, em)
    tm.train(train)
    em.train(train)
    ti = [torch.from_numpy(a.copy()).requires_grad_(a.dtype.kind == "f") for a in inputs]
    ei = [ember.from_numpy(a.copy()).requires_grad_(a.dtype.kind == "f") for a in inputs]
    torch.manual_seed(seed)
    ember.manual_seed(seed)
    to, eo = tm(*ti), em(*ei)
    to, eo = (to[0], eo[0]) if isinstance(to, tuple) else (to, eo)
    assert_same(eo, to, rtol, atol)
    if not to.requires_grad:
        return
    w = np.random.default_rng(1).standard_normal(tuple(to.shape)).astype(np.float32)
    (to * torch.from_numpy(w)).sum().backward()
    (eo * ember.from_numpy(w)).sum().backward()
    for i, (a, b) in enumerate(zip(ei, ti)):
        if b.grad is not None:
            assert_same(a.grad, b.grad, rtol * 10, atol * 10, f"input grad {i}")
    tp, ep = dict(tm.named_parameters()), dict(em.named_parameters())
    assert list(tp) == list(ep)
    for k in tp:
        if tp[k].grad is None:
            assert ep[k].grad is None, k
        else:
            assert_same(ep[k].grad, tp[k].grad, rtol * 10, atol * 10, f"grad of {k}")


X = arr((4, 6))
LAYERS = [
    ("Identity", (3, "x"), {}), ("Linear", (6, 3), {}), ("Linear", (6, 3), {"bias": False}),
    ("Flatten", (), {}), ("Flatten", (0, 1), {}), ("ReLU", (), {}), ("ReLU6", (), {}),
    ("LeakyReLU", (0.2,), {}), ("PReLU", (), {}), ("ELU", (0.5,), {}), ("SELU", (), {}),
    ("CELU", (1.2,), {}), ("GELU", (), {}), ("GELU", (), {"approximate": "tanh"}),
    ("SiLU", (), {}), ("Mish", (), {}), ("Sigmoid", (), {}), ("Tanh", (), {}),
    ("Hardtanh", (-0.5, 0.8), {}), ("Hardsigmoid", (), {}), ("Hardswish", (), {}),
    ("Softplus", (2.0, 5.0), {}), ("Softsign", (), {}), ("Tanhshrink", (), {}),
    ("Threshold", (0.1, 20.0), {}), ("Softmax", (1,), {}), ("LogSoftmax", (1,), {}),
    ("Softmin", (0,), {}), ("GLU", (), {}), ("LogSigmoid", (), {}), ("Hardshrink", (0.3,), {}),
    ("Softshrink", (), {}), ("LayerNorm", (6,), {}), ("LayerNorm", (6,), {"bias": False}),
    ("LayerNorm", (6,), {"elementwise_affine": False, "eps": 1e-3}),
    ("Dropout", (0.3,), {}), ("AlphaDropout", (0.2,), {}), ("ReLU", (), {"inplace": True}),
    ("LeakyReLU", (), {"inplace": True}), ("Dropout", (), {"inplace": True}),
]


@requires_torch
@pytest.mark.parametrize("name,args,kw", LAYERS, ids=lambda v: str(v))
def test_layer(name, args, kw):
    if kw.get("inplace"):
        def make(L):
            return L.nn.Sequential(L.nn.Linear(6, 6), getattr(L.nn, name)(*args, **kw))
    else:
        def make(L):
            return getattr(L.nn, name)(*args, **kw)
    compare_module(make, X)


@requires_torch
def test_layer_eval_and_shapes():
    compare_module(lambda L: L.nn.Dropout(0.5), X, train=False)
    compare_module(lambda L: L.nn.PReLU(3, 0.1), arr((2, 3, 4)))
    compare_module(lambda L: L.nn.LayerNorm([3, 4]), arr((2, 3, 4)))
    compare_module(lambda L: L.nn.Unflatten(1, (2, 3)), X)
    compare_module(lambda L: L.nn.Linear(4, 2), arr((2, 3, 4)))
    compare_module(lambda L: L.nn.Bilinear(6, 2, 3), X, arr((4, 2), seed=1))
    compare_module(lambda L: L.nn.Bilinear(6, 2, 3, bias=False), X, arr((4, 2), seed=1))


@requires_torch
def test_embedding_layers():
    idx = np.array([[0, 2, 4], [4, 3, 1]], np.int64)
    compare_module(lambda L: L.nn.Embedding(6, 3), idx)
    compare_module(lambda L: L.nn.Embedding(6, 3, padding_idx=-2), idx)
    compare_module(lambda L: L.nn.Embedding(6, 3, max_norm=1.0, scale_grad_by_freq=True), idx)
    compare_module(lambda L: L.nn.EmbeddingBag(6, 3), idx)
    compare_module(lambda L: L.nn.EmbeddingBag(6, 3, mode="max", padding_idx=2), idx)
    w = arr((4, 3))
    e = ember.nn.Embedding.from_pretrained(ember.from_numpy(w))
    t = torch.nn.Embedding.from_pretrained(torch.from_numpy(w))
    assert repr(e) == repr(t) and not e.weight.requires_grad
    i = np.array([3, 0], np.int64)
    assert_same(e(ember.from_numpy(i)), t(torch.from_numpy(i)))
    eb = ember.nn.EmbeddingBag.from_pretrained(ember.from_numpy(w), mode="sum")
    tb = torch.nn.EmbeddingBag.from_pretrained(torch.from_numpy(w), mode="sum")
    assert repr(eb) == repr(tb)


@requires_torch
@pytest.mark.parametrize("name,args,kw", [
    ("Linear", (784, 128), {}), ("Linear", (5, 3), {"bias": False}), ("Bilinear", (3, 4, 2), {}),
    ("Embedding", (10, 4), {"padding_idx": 1}), ("EmbeddingBag", (10, 4), {}),
    ("PReLU", (3,), {}), ("LayerNorm", (5,), {}),
])
def test_init_matches_torch_stream(name, args, kw):
    torch.manual_seed(0)
    tm = getattr(torch.nn, name)(*args, **kw)
    ember.manual_seed(0)
    em = getattr(ember.nn, name)(*args, **kw)
    for (k, a), (k2, b) in zip(em.state_dict().items(), tm.state_dict().items()):
        assert k == k2
        np.testing.assert_array_equal(a.numpy(), b.numpy(), err_msg=k)


@requires_torch
def test_linear_784_128_bit_exact():
    torch.manual_seed(0)
    tm = torch.nn.Linear(784, 128)
    ember.manual_seed(0)
    em = ember.nn.Linear(784, 128)
    assert np.array_equal(em.weight.detach().numpy(), tm.weight.detach().numpy())
    assert np.array_equal(em.bias.detach().numpy(), tm.bias.detach().numpy())


@requires_torch
def test_dropout_module_mask_matches_torch():
    for p in (0.2, 0.5):
        torch.manual_seed(11)
        t = torch.nn.Dropout(p)(torch.ones(8, 64))
        ember.manual_seed(11)
        e = ember.nn.Dropout(p)(ember.ones(8, 64))
        np.testing.assert_array_equal(e.numpy(), t.numpy())


@requires_torch
def test_activation_reprs():
    cases = [("ReLU", (True,)), ("ReLU6", (True,)), ("LeakyReLU", (0.1, True)), ("ELU", ()),
             ("CELU", (2.0, True)), ("SELU", (True,)), ("SiLU", (True,)), ("Mish", ()),
             ("Hardtanh", (-2.0, 2.0, True)), ("Threshold", (0.1, 0.0)), ("Softmax", ()),
             ("GELU", ("tanh",)), ("Softplus", ()), ("Hardshrink", ()), ("Softshrink", (0.2,)),
             ("GLU", (0,)), ("PReLU", (4, 0.5)), ("Dropout", (0.1, True)), ("AlphaDropout", ()),
             ("Flatten", (0, 2)), ("Unflatten", (1, (2, 2))), ("LayerNorm", ((2, 3),)),
             ("Embedding", (5, 2, None, 1.0, 1.0, True, True)), ("EmbeddingBag", (4, 2)),
             ("Identity", ()), ("Bilinear", (1, 2, 3, False)), ("RReLU", ())]
    for name, args in cases:
        assert repr(getattr(ember.nn, name)(*args)) == repr(getattr(torch.nn, name)(*args)), name
