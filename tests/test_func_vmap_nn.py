"""vmap over every nn layer of ember.nn against torch.func.vmap: outputs (eval and train),
per-sample gradients (vmap(grad(...)) through functional_call) and torch's errors; and no layer
falls back to the per-entry loop (`ember.func._fallback_counts`) except those listed in
FALLBACK, so a new fallback fails here.

The layer table and inputs come from test_nn_zero_size.py (its zero-size batch becomes 2 and
vmap maps over a new leading dim of 3)."""

import numpy as np
import pytest

import ember
import test_nn_zero_size as Z
from ember.func import _batched
from oracle import requires_torch, torch

B = 3

# layers whose ops still run once per batch entry, with the reason
FALLBACK = {}

# inputs that the zero-size table cannot give (valid CTC lengths)
INPUTS = {"CTCLoss": [("l", (B, 5, 2, 4)), ("t", (B, 2, 3), 4), ("n", (B, 2), 5),
                      ("n", (B, 2), 2)]}

# layers that draw random numbers in training: only shapes and dtypes are compared there
RANDOM_TRAIN = {"AlphaDropout", "Dropout", "Dropout1d", "Dropout2d", "Dropout3d",
                "FeatureAlphaDropout", "Transformer", "TransformerDecoderLayer",
                "TransformerEncoderLayer", "TransformerDecoder", "TransformerEncoder"}
RANDOM_ALWAYS = {"FractionalMaxPool2d", "FractionalMaxPool3d"}

# layers whose per-sample gradients are not compared, with the reason
NO_GRAD = {
    # torch raises in the forward already (compared by test_vmap_layer)
    "AdaptiveLogSoftmaxWithLoss": "forward raises", "GaussianNLLLoss": "forward raises",
    "RReLU": "forward raises", "LSTM": "forward raises", "GRU": "forward raises",
    "RNN": "forward raises", "LSTMCell": "forward raises",
    # torch's cells add the batched weights' product into an unbatched hidden-state buffer:
    # "output with shape [2, 5] doesn't match the broadcast shape [3, 2, 5]"
    "RNNCell": "torch raises", "GRUCell": "torch raises",
    "DataParallel": "torch's functional_call refuses DataParallel",
    # torch renorms the unbatched weight in place with batched indices and raises; ember's
    # grad lifts the weight to a batched one, so it renorms per entry instead
    "Embedding_max_norm": "torch raises",
    "CTCLoss": "no parameters", "FractionalMaxPool2d": "random",
    "FractionalMaxPool3d": "random",
}


# module configurations beyond the table's (built the same way in both libraries)
EXTRA = {
    "BatchNorm2d_no_running_stats": (lambda nn: nn.BatchNorm2d(3, track_running_stats=False),
                                     [Z.F(0, 3, 4, 4)]),
    "InstanceNorm1d_running_stats": (lambda nn: nn.InstanceNorm1d(
        3, affine=True, track_running_stats=True), [Z.F(0, 3, 5)]),
    "GroupNorm_no_affine": (lambda nn: nn.GroupNorm(2, 4, affine=False), [Z.F(0, 4, 3)]),
    "Embedding_max_norm": (lambda nn: nn.Embedding(10, 3, max_norm=1.0), [Z.Idx(10, 0, 4)]),
    "Upsample_nearest3d": (lambda nn: nn.Upsample(scale_factor=2), [Z.F(0, 2, 2, 2, 2)]),
    "MultiheadAttention_batch_first": (lambda nn: nn.MultiheadAttention(
        4, 2, batch_first=True, kdim=3, vdim=5), [Z.F(0, 3, 4), Z.F(0, 2, 3), Z.F(0, 2, 5)]),
}
Z.WRAPPERS.update({k: v for k, v in EXTRA.items() if k not in Z.WRAPPERS})


def _specs(name):
    if name in INPUTS:
        return INPUTS[name]
    specs = Z.LAYERS[name][2] if name in Z.LAYERS else (Z.WRAPPERS.get(name) or Z.LAZY[name])[1]
    return [(s[0], (B,) + tuple(2 if d == 0 else d for d in s[1])) + tuple(s[2:])
            for s in specs]


def _arrays(specs):
    rng = np.random.default_rng(1)
    out = []
    for s in specs:
        if s[0] == "l":
            out.append(np.log(rng.dirichlet(np.ones(s[1][-1]), s[1][:-1])).astype(np.float32))
        elif s[0] == "n":
            out.append(np.full(s[1], s[2], np.int64))
        elif s[0] == "t":  # CTC targets: never the blank
            out.append(rng.integers(1, s[2], s[1]).astype(np.int64))
        else:
            out.append(Z._arrays([s])[0])
    return out


def _pair(name, train):
    torch.manual_seed(0)
    ember.manual_seed(0)
    tm, em = Z._build(torch, name), Z._build(ember, name)
    if name in Z.LAZY:
        x = [torch.from_numpy(a[0].copy()) for a in _arrays(_specs(name))]
        tm(*x)
        em(*[ember.from_numpy(a.numpy().copy()) for a in x])
    em.load_state_dict({k: ember.from_numpy(v.detach().numpy().copy())
                        for k, v in tm.state_dict().items()})
    tm.train(train)
    em.train(train)
    return tm, em


def _outcome(fn):
    try:
        return fn(), None
    except Exception as e:  # noqa: BLE001 - compared with torch's
        return None, e


def _compare(eo, to, name, values=True):
    ets, tts = Z._tensors(eo, ember), Z._tensors(to, torch)
    assert len(ets) == len(tts), name
    for e, t in zip(ets, tts):
        assert tuple(e.shape) == tuple(t.shape), name
        assert str(e.dtype).split(".")[-1] == str(t.dtype).split(".")[-1], name
        if values:
            np.testing.assert_allclose(e.detach().numpy(), t.detach().numpy(), rtol=1e-4,
                                       atol=1e-5, err_msg=name)


_NAMES = sorted(Z.LAYERS) + sorted(Z.WRAPPERS) + sorted(Z.LAZY)


def _has_parameters(name):
    return any(True for _ in Z._build(ember, name).parameters())


def _train_matters(name):
    """Layers whose training mode differs (draws, batch statistics, dropout inside)."""
    return any(k in name for k in ("Dropout", "Norm", "RReLU", "Transformer", "Multihead",
                                   "Fractional", "RNN", "LSTM", "GRU", "Sequential"))


_MODES = [(n, False) for n in _NAMES] + [(n, True) for n in _NAMES if _train_matters(n)]


@requires_torch
@pytest.mark.parametrize("name,train", _MODES,
                         ids=[f"{n}-{'train' if t else 'eval'}" for n, t in _MODES])
def test_vmap_layer(name, train):
    arrays = _arrays(_specs(name))
    tm, em = _pair(name, train)
    mode = "different" if train or name in RANDOM_ALWAYS else "error"
    _batched._fallback_counts.clear()
    to, te = _outcome(lambda: torch.func.vmap(lambda *xs: tm(*xs), randomness=mode)(
        *[torch.from_numpy(a.copy()) for a in arrays]))
    eo, ee = _outcome(lambda: ember.func.vmap(lambda *xs: em(*xs), randomness=mode)(
        *[ember.from_numpy(a.copy()) for a in arrays]))
    fell_back = dict(_batched._fallback_counts)
    if te is not None:
        Z._same_error(ee, te)
    else:
        assert ee is None, f"ember raises {ee!r} where torch returns"
        random = name in RANDOM_ALWAYS or (train and name in RANDOM_TRAIN)
        _compare(eo, to, name, values=not random)
    if name in FALLBACK:
        assert fell_back, f"{name} no longer falls back: remove it from FALLBACK"
    else:
        assert not fell_back, f"{name} fell back to the loop for {fell_back}"


def _loss(lib, module, names):
    def f(params, *xs):
        out = lib.func.functional_call(module, params, xs)
        return sum(t.float().sum() for t in Z._tensors(out, lib) if t.is_floating_point())
    return f


@requires_torch
@pytest.mark.parametrize("name", [n for n in _NAMES if n not in NO_GRAD and _has_parameters(n)])
def test_vmap_grad_layer(name):
    """Per-sample gradients of every parameter (eval mode: no draws, running stats read)."""
    arrays = _arrays(_specs(name))
    tm, em = _pair(name, False)
    tp = {k: v.detach() for k, v in tm.named_parameters()}
    ep = {k: ember.from_numpy(v.numpy().copy()) for k, v in tp.items()}
    dims = (None,) + (0,) * len(arrays)
    _batched._fallback_counts.clear()
    tg = torch.func.vmap(torch.func.grad(_loss(torch, tm, tp)), in_dims=dims)(
        tp, *[torch.from_numpy(a.copy()) for a in arrays])
    eg = ember.func.vmap(ember.func.grad(_loss(ember, em, ep)), in_dims=dims)(
        ep, *[ember.from_numpy(a.copy()) for a in arrays])
    fell_back = dict(_batched._fallback_counts)
    for k in tg:
        np.testing.assert_allclose(eg[k].numpy(), tg[k].numpy(), rtol=1e-4, atol=1e-5,
                                   err_msg=f"{name}.{k}")
    if name in FALLBACK:
        assert fell_back, f"{name} no longer falls back: remove it from FALLBACK"
    else:
        assert not fell_back, f"{name} fell back to the loop for {fell_back}"


def test_functions_restored_outside_vmap():
    """The dispatching wrappers are in place only while a vmap runs."""
    F = ember.nn.functional
    before = (F.layer_norm, ember.Tensor.add_, ember.Tensor.__getitem__, ember.add)
    ember.vmap(lambda t: F.layer_norm(t.clone().add_(1)[0:], (2,)) + ember.add(t, t))(
        ember.ones(3, 2))
    assert (F.layer_norm, ember.Tensor.add_, ember.Tensor.__getitem__, ember.add) == before
    assert _batched._SWAPS
    for owner, attr, original, wrapper in _batched._SWAPS:
        assert owner.__dict__[attr] is original, f"{owner.__name__}.{attr}"
