"""Every layer of ember.nn with a zero-size batch, against torch.

The classes are enumerated from ember.nn itself, so a new layer fails `test_every_layer_listed`
until it is given a row in LAYERS (constructor arguments and zero-batch inputs). Each row runs in
torch and ember from the same state_dict: the same error (type and text) where torch raises,
otherwise the same output shapes and dtypes, and backward gives the same (empty or zero) grads
for the inputs and parameters, in training and in eval mode.
"""

import inspect

import numpy as np
import pytest

import ember
import ember.nn as enn
from oracle import assert_same, requires_torch, torch


def F(*shape):  # a float32 input
    return ("f", shape)


def Idx(high, *shape):  # an int64 input in [0, high)
    return ("i", shape, high)


# name: (constructor args, constructor kwargs, inputs with a zero-size batch)
LAYERS = {
    "AdaptiveAvgPool1d": ((2,), {}, [F(0, 3, 5)]),
    "AdaptiveAvgPool2d": ((2,), {}, [F(0, 3, 5, 5)]),
    "AdaptiveAvgPool3d": ((2,), {}, [F(0, 3, 4, 4, 4)]),
    "AdaptiveLogSoftmaxWithLoss": ((8, 10, [3, 6]), {}, [F(0, 8), Idx(10, 0)]),
    "AdaptiveMaxPool1d": ((2,), {}, [F(0, 3, 5)]),
    "AdaptiveMaxPool2d": ((2,), {"return_indices": True}, [F(0, 3, 5, 5)]),
    "AdaptiveMaxPool3d": ((2,), {"return_indices": True}, [F(0, 3, 4, 4, 4)]),
    "AlphaDropout": ((0.3,), {}, [F(0, 4)]),
    "AvgPool1d": ((2,), {}, [F(0, 3, 6)]),
    "AvgPool2d": ((2,), {}, [F(0, 3, 6, 6)]),
    "AvgPool3d": ((2,), {}, [F(0, 3, 4, 4, 4)]),
    "BCELoss": ((), {}, [("u", (0, 3)), ("u", (0, 3))]),
    "BCEWithLogitsLoss": ((), {}, [F(0, 3), ("u", (0, 3))]),
    "BatchNorm1d": ((3,), {}, [F(0, 3)]),
    "BatchNorm2d": ((3,), {}, [F(0, 3, 4, 4)]),
    "BatchNorm3d": ((3,), {}, [F(0, 3, 2, 2, 2)]),
    "SyncBatchNorm": ((3,), {}, [F(0, 3, 4, 4)]),
    "Bilinear": ((3, 4, 5), {}, [F(0, 3), F(0, 4)]),
    "CELU": ((), {}, [F(0, 4)]),
    "CircularPad1d": ((1,), {}, [F(0, 3, 4)]),
    "CircularPad2d": ((1,), {}, [F(0, 3, 4, 4)]),
    "CircularPad3d": ((1,), {}, [F(0, 3, 3, 3, 3)]),
    "ConstantPad1d": ((1, 2.0), {}, [F(0, 3, 4)]),
    "ConstantPad2d": ((1, 2.0), {}, [F(0, 3, 4, 4)]),
    "ConstantPad3d": ((1, 2.0), {}, [F(0, 3, 3, 3, 3)]),
    "Conv1d": ((3, 4, 3), {"padding": 1}, [F(0, 3, 6)]),
    "Conv2d": ((3, 4, 3), {"stride": 2}, [F(0, 3, 7, 7)]),
    "Conv3d": ((3, 4, 2), {}, [F(0, 3, 4, 4, 4)]),
    "ConvTranspose1d": ((3, 4, 3), {"stride": 2}, [F(0, 3, 5)]),
    "ConvTranspose2d": ((3, 4, 3), {}, [F(0, 3, 4, 4)]),
    "ConvTranspose3d": ((3, 4, 2), {}, [F(0, 3, 3, 3, 3)]),
    "CosineEmbeddingLoss": ((), {}, [F(0, 4), F(0, 4), ("s", (0,))]),
    "CosineSimilarity": ((), {}, [F(0, 4), F(0, 4)]),
    "CrossEntropyLoss": ((), {}, [F(0, 5), Idx(5, 0)]),
    "CTCLoss": ((), {}, [F(5, 0, 4), Idx(4, 0, 3), Idx(1, 0), Idx(1, 0)]),
    "Dropout": ((0.3,), {}, [F(0, 4)]),
    "Dropout1d": ((0.3,), {}, [F(0, 3, 4)]),
    "Dropout2d": ((0.3,), {}, [F(0, 3, 4, 4)]),
    "Dropout3d": ((0.3,), {}, [F(0, 3, 2, 2, 2)]),
    "ELU": ((), {}, [F(0, 4)]),
    "Embedding": ((10, 3), {}, [Idx(10, 0, 4)]),
    "EmbeddingBag": ((10, 3), {}, [Idx(10, 0, 4)]),
    "FeatureAlphaDropout": ((0.3,), {}, [F(0, 3, 4, 4)]),
    "Flatten": ((), {}, [F(0, 3, 4)]),
    "Fold": (((4, 4), 2), {}, [F(0, 12, 9)]),
    "FractionalMaxPool2d": ((2,), {"output_size": 2}, [F(0, 3, 5, 5)]),
    "FractionalMaxPool3d": ((2,), {"output_size": 2, "return_indices": True},
                            [F(0, 3, 5, 5, 5)]),
    "GELU": ((), {}, [F(0, 4)]),
    "GLU": ((), {}, [F(0, 4)]),
    "GRU": ((4, 5), {}, [F(3, 0, 4)]),
    "GRUCell": ((4, 5), {}, [F(0, 4)]),
    "GaussianNLLLoss": ((), {}, [F(0, 3), F(0, 3), ("u", (0, 3))]),
    "GroupNorm": ((2, 4), {}, [F(0, 4, 3)]),
    "Hardshrink": ((), {}, [F(0, 4)]),
    "Hardsigmoid": ((), {}, [F(0, 4)]),
    "Hardswish": ((), {}, [F(0, 4)]),
    "Hardtanh": ((), {}, [F(0, 4)]),
    "HingeEmbeddingLoss": ((), {}, [F(0, 4), ("s", (0, 4))]),
    "HuberLoss": ((), {}, [F(0, 4), F(0, 4)]),
    "Identity": ((), {}, [F(0, 4)]),
    "InstanceNorm1d": ((3,), {}, [F(0, 3, 5)]),
    "InstanceNorm2d": ((3,), {"affine": True}, [F(0, 3, 4, 4)]),
    "InstanceNorm3d": ((3,), {}, [F(0, 3, 2, 2, 2)]),
    "KLDivLoss": ((), {"reduction": "batchmean"}, [F(0, 4), ("u", (0, 4))]),
    "L1Loss": ((), {}, [F(0, 4), F(0, 4)]),
    "LPPool1d": ((2, 2), {}, [F(0, 3, 6)]),
    "LPPool2d": ((2, 2), {}, [F(0, 3, 6, 6)]),
    "LPPool3d": ((2, 2), {}, [F(0, 3, 4, 4, 4)]),
    "LSTM": ((4, 5), {"num_layers": 2}, [F(3, 0, 4)]),
    "LSTMCell": ((4, 5), {}, [F(0, 4)]),
    "LayerNorm": ((4,), {}, [F(0, 4)]),
    "LeakyReLU": ((), {}, [F(0, 4)]),
    "Linear": ((4, 3), {}, [F(0, 4)]),
    "LocalResponseNorm": ((2,), {}, [F(0, 3, 4)]),
    "LogSigmoid": ((), {}, [F(0, 4)]),
    "LogSoftmax": ((1,), {}, [F(0, 4)]),
    "MSELoss": ((), {}, [F(0, 4), F(0, 4)]),
    "MarginRankingLoss": ((), {}, [F(0,), F(0,), ("s", (0,))]),
    "MaxPool1d": ((2,), {}, [F(0, 3, 6)]),
    "MaxPool2d": ((3,), {"stride": 2, "padding": 1}, [F(0, 3, 7, 7)]),
    "MaxPool3d": ((2,), {}, [F(0, 3, 4, 4, 4)]),
    "MaxUnpool1d": ((2,), {}, [F(0, 3, 3), Idx(1, 0, 3, 3)]),
    "MaxUnpool2d": ((2,), {}, [F(0, 3, 3, 3), Idx(1, 0, 3, 3, 3)]),
    "MaxUnpool3d": ((2,), {}, [F(0, 3, 2, 2, 2), Idx(1, 0, 3, 2, 2, 2)]),
    "Mish": ((), {}, [F(0, 4)]),
    "MultiLabelMarginLoss": ((), {}, [F(0, 4), Idx(4, 0, 4)]),
    "MultiLabelSoftMarginLoss": ((), {}, [F(0, 4), ("u", (0, 4))]),
    "MultiMarginLoss": ((), {}, [F(0, 4), Idx(4, 0)]),
    "MultiheadAttention": ((4, 2), {}, [F(3, 0, 4), F(5, 0, 4), F(5, 0, 4)]),
    "NLLLoss": ((), {}, [F(0, 4), Idx(4, 0)]),
    "PairwiseDistance": ((), {}, [F(0, 4), F(0, 4)]),
    "PReLU": ((), {}, [F(0, 4)]),
    "PixelShuffle": ((2,), {}, [F(0, 8, 2, 2)]),
    "ChannelShuffle": ((2,), {}, [F(0, 4, 2, 2)]),
    "PixelUnshuffle": ((2,), {}, [F(0, 2, 4, 4)]),
    "PoissonNLLLoss": ((), {}, [F(0, 4), ("u", (0, 4))]),
    "RNN": ((4, 5), {"bidirectional": True}, [F(3, 0, 4)]),
    "RNNCell": ((4, 5), {}, [F(0, 4)]),
    "RReLU": ((), {}, [F(0, 4)]),
    "RMSNorm": ((4,), {}, [F(0, 4)]),
    "ReLU": ((), {}, [F(0, 4)]),
    "ReLU6": ((), {}, [F(0, 4)]),
    "ReflectionPad1d": ((1,), {}, [F(0, 3, 4)]),
    "ReflectionPad2d": ((1,), {}, [F(0, 3, 4, 4)]),
    "ReflectionPad3d": ((1,), {}, [F(0, 3, 3, 3, 3)]),
    "ReplicationPad1d": ((1,), {}, [F(0, 3, 4)]),
    "ReplicationPad2d": ((1,), {}, [F(0, 3, 4, 4)]),
    "ReplicationPad3d": ((1,), {}, [F(0, 3, 3, 3, 3)]),
    "SELU": ((), {}, [F(0, 4)]),
    "SiLU": ((), {}, [F(0, 4)]),
    "Sigmoid": ((), {}, [F(0, 4)]),
    "SmoothL1Loss": ((), {}, [F(0, 4), F(0, 4)]),
    "SoftMarginLoss": ((), {}, [F(0, 4), ("s", (0, 4))]),
    "Softmax": ((1,), {}, [F(0, 4)]),
    "Softmax2d": ((), {}, [F(0, 3, 2, 2)]),
    "Softmin": ((1,), {}, [F(0, 4)]),
    "Softplus": ((), {}, [F(0, 4)]),
    "Softshrink": ((), {}, [F(0, 4)]),
    "Softsign": ((), {}, [F(0, 4)]),
    "Tanh": ((), {}, [F(0, 4)]),
    "Tanhshrink": ((), {}, [F(0, 4)]),
    "Threshold": ((0.1, 2.0), {}, [F(0, 4)]),
    "Transformer": ((), {"d_model": 4, "nhead": 2, "num_encoder_layers": 1,
                         "num_decoder_layers": 1, "dim_feedforward": 6},
                    [F(3, 0, 4), F(2, 0, 4)]),
    "TransformerDecoderLayer": ((4, 2, 6), {}, [F(3, 0, 4), F(2, 0, 4)]),
    "TransformerEncoderLayer": ((4, 2, 6), {}, [F(3, 0, 4)]),
    "TripletMarginLoss": ((), {}, [F(0, 4), F(0, 4), F(0, 4)]),
    "TripletMarginWithDistanceLoss": ((), {}, [F(0, 4), F(0, 4), F(0, 4)]),
    "Unfold": ((2,), {}, [F(0, 3, 4, 4)]),
    "Unflatten": ((1, (2, 2)), {}, [F(0, 4)]),
    "Upsample": ((), {"scale_factor": 2, "mode": "bilinear"}, [F(0, 3, 2, 2)]),
    "UpsamplingBilinear2d": ((), {"scale_factor": 2}, [F(0, 3, 2, 2)]),
    "UpsamplingNearest2d": ((), {"scale_factor": 2}, [F(0, 3, 2, 2)]),
    "ZeroPad1d": ((1,), {}, [F(0, 3, 4)]),
    "ZeroPad2d": ((1,), {}, [F(0, 3, 4, 4)]),
    "ZeroPad3d": ((1,), {}, [F(0, 3, 3, 3, 3)]),
}

# layers built around another layer: a builder per class instead of constructor arguments
WRAPPERS = {
    "DataParallel": (lambda nn: nn.DataParallel(nn.Linear(4, 3)), [F(0, 4)]),
    "Sequential": (lambda nn: nn.Sequential(nn.Linear(4, 3), nn.ReLU()), [F(0, 4)]),
    "TransformerEncoder": (lambda nn: nn.TransformerEncoder(
        nn.TransformerEncoderLayer(4, 2, 6), 2, enable_nested_tensor=False), [F(3, 0, 4)]),
    "TransformerDecoder": (lambda nn: nn.TransformerDecoder(
        nn.TransformerDecoderLayer(4, 2, 6), 2, norm=nn.LayerNorm(4)), [F(3, 0, 4), F(2, 0, 4)]),
}

# lazy layers: (constructor args, zero-batch inputs); the parameters are drawn at that first call
# (seeded alike in both), so no state_dict is copied
LAZY = {
    "LazyBatchNorm1d": ((), [F(0, 3)]),
    "LazyBatchNorm2d": ((), [F(0, 3, 4, 4)]),
    "LazyBatchNorm3d": ((), [F(0, 3, 2, 2, 2)]),
    "LazyConv1d": ((4, 3), [F(0, 3, 6)]),
    "LazyConv2d": ((4, 3), [F(0, 3, 7, 7)]),
    "LazyConv3d": ((4, 2), [F(0, 3, 4, 4, 4)]),
    "LazyConvTranspose1d": ((4, 3), [F(0, 3, 5)]),
    "LazyConvTranspose2d": ((4, 3), [F(0, 3, 4, 4)]),
    "LazyConvTranspose3d": ((4, 2), [F(0, 3, 3, 3, 3)]),
    "LazyInstanceNorm1d": ((), [F(0, 3, 5)]),
    "LazyInstanceNorm2d": ((), [F(0, 3, 4, 4)]),
    "LazyInstanceNorm3d": ((), [F(0, 3, 2, 2, 2)]),
    "LazyLinear": ((3,), [F(0, 4)]),
}

# torch's value is not defined: multi_margin_loss's and multilabel_margin_loss's mean over an
# empty batch read uninitialised memory (a different number each run); only shape and dtype are
# compared
UNDEFINED_VALUE = {"MultiMarginLoss", "MultiLabelMarginLoss"}

# classes with no forward of their own (containers and bases), checked for torch's error instead
NO_FORWARD = {"Module": (), "ModuleList": (), "ModuleDict": (), "ParameterList": (),
              "ParameterDict": (), "RNNBase": ("GRU", 4, 5), "RNNCellBase": (4, 5, True, 3)}


def _layer_classes():
    return sorted(n for n, c in vars(enn).items()
                  if inspect.isclass(c) and issubclass(c, enn.Module))


def test_every_layer_listed():
    missing = [n for n in _layer_classes() if n not in LAYERS and n not in WRAPPERS
               and n not in LAZY and n not in NO_FORWARD]
    assert not missing, f"add a zero-size-batch row for {missing}"


def _arrays(specs):
    rng = np.random.default_rng(0)
    out = []
    for spec in specs:
        kind, shape = spec[0], spec[1]
        if kind == "f":
            out.append(rng.uniform(-1, 1, shape).astype(np.float32))
        elif kind == "u":  # in (0, 1): probabilities and variances
            out.append(rng.uniform(0.1, 0.9, shape).astype(np.float32))
        elif kind == "s":  # +-1 labels
            out.append(np.where(rng.random(shape) > 0.5, 1, -1).astype(np.float32))
        else:
            out.append(rng.integers(0, spec[2], shape).astype(np.int64))
    return out


def _build(lib, name):
    if name in WRAPPERS:
        return WRAPPERS[name][0](lib.nn)
    if name in LAZY:
        return getattr(lib.nn, name)(*LAZY[name][0])
    args, kw, _ = LAYERS[name]
    return getattr(lib.nn, name)(*args, **kw)


def _run(lib, module, arrays, grad_inputs):
    ins = [lib.from_numpy(a.copy()) for a in arrays]
    for i in grad_inputs:
        ins[i].requires_grad_(True)
    try:
        out = module(*ins)
    except Exception as e:  # noqa: BLE001 - compared with torch's
        return None, ins, e
    return out, ins, None


def _raised(fn):
    try:
        fn()
    except Exception as e:  # noqa: BLE001 - compared with torch's
        return e
    return None


def _same_error(ee, te):
    assert te is not None, f"ember raises {ee!r} where torch does not"
    assert ee is not None, f"torch raises {type(te).__name__}: {te}; ember does not"
    assert type(ee).__name__ == type(te).__name__, f"{ee!r} != {te!r}"
    assert str(ee) == str(te)


def _tensors(out, lib):
    if isinstance(out, (tuple, list)):
        return [t for o in out for t in _tensors(o, lib)]
    return [out] if isinstance(out, (lib.Tensor,)) else []


def _grad_inputs(specs):
    return [i for i, s in enumerate(specs) if s[0] == "f"]


@requires_torch
@pytest.mark.parametrize("train", [True, False], ids=["train", "eval"])
@pytest.mark.parametrize("name", sorted(LAYERS) + sorted(WRAPPERS) + sorted(LAZY))
def test_zero_batch(name, train):
    specs = LAYERS[name][2] if name in LAYERS else (WRAPPERS.get(name) or LAZY[name])[1]
    arrays = _arrays(specs)
    torch.manual_seed(0)
    ember.manual_seed(0)
    tm = _build(torch, name)
    em = _build(ember, name)
    if name not in LAZY:
        em.load_state_dict({k: ember.from_numpy(v.detach().numpy().copy())
                            for k, v in tm.state_dict().items()})
    tm.train(train)
    em.train(train)
    gi = _grad_inputs(specs)
    to, ti, te = _run(torch, tm, arrays, gi)
    eo, ei, ee = _run(ember, em, arrays, gi)
    if te is not None:
        _same_error(ee, te)
        return
    assert ee is None, f"ember raises {ee!r} where torch returns"
    tts, ets = _tensors(to, torch), _tensors(eo, ember)
    assert len(ets) == len(tts)
    for i, (e, t) in enumerate(zip(ets, tts)):
        if name in UNDEFINED_VALUE:
            t = torch.full_like(t, float("nan"))
        assert_same(e, t, what=f"output {i}")
    for k, v in tm.state_dict().items():  # running statistics after the empty batch
        assert_same(em.state_dict()[k], v, what=k)
    t_loss = sum((t.float().sum() for t in tts if t.requires_grad), torch.zeros(()))
    e_loss = sum((e.float().sum() for e in ets if e.requires_grad), ember.zeros(()))
    assert e_loss.requires_grad == t_loss.requires_grad
    if not t_loss.requires_grad:
        return
    te = _raised(t_loss.backward)
    ee = _raised(e_loss.backward)
    if te is not None or ee is not None:  # e.g. torch's pixel_shuffle of an empty batch
        _same_error(ee, te)
        return
    for i in gi:
        if ti[i].grad is None:
            assert ei[i].grad is None, f"input {i}: torch has no grad"
        else:
            assert_same(ei[i].grad, ti[i].grad, what=f"grad of input {i}")
    ep = dict(em.named_parameters())
    for k, p in tm.named_parameters():
        if p.grad is None:
            assert ep[k].grad is None, f"{k}: torch has no grad"
        else:
            assert ep[k].grad is not None, f"{k}: ember has no grad"
            assert_same(ep[k].grad, p.grad, what=f"grad of {k}")


@requires_torch
@pytest.mark.parametrize("name", sorted(NO_FORWARD))
def test_no_forward(name):
    args = NO_FORWARD[name]
    tm, em = getattr(torch.nn, name)(*args), getattr(enn, name)(*args)
    x = np.zeros((0, 4), np.float32)
    with pytest.raises(Exception) as te:
        tm(torch.from_numpy(x))
    with pytest.raises(Exception) as ee:
        em(ember.from_numpy(x))
    assert type(ee.value).__name__ == type(te.value).__name__
    assert str(ee.value) == str(te.value)
