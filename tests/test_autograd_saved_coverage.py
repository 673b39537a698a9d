"""Coverage of torch's `grad_fn._saved_*` attributes over the nodes ember records: for each op,
the node's name, the sorted `_saved_*` names of `dir(grad_fn)` and every value (tensors by
value, dtype and shape; ints, floats, strings and tuples exactly) equal torch's. A node that
loses an attribute, or reads it differently, fails here."""

import numpy as np
import pytest

import ember
from oracle import arr, requires_torch, torch


def _x(L, *shape, seed=0):
    return L.from_numpy(arr(shape, seed=seed)).requires_grad_()


def F(L):
    return L.nn.functional


_CASES = {
    # views and shape ops: dims as given (a negative dim reads as torch's uint64)
    "cat": lambda L: L.cat([_x(L, 2, 3), _x(L, 2, 3, seed=1)], -1),
    "transpose": lambda L: _x(L, 2, 3, 4).transpose(0, -1),
    "permute": lambda L: _x(L, 2, 3, 4).permute(2, -3, 1),
    "unsqueeze": lambda L: _x(L, 2, 3).unsqueeze(-1),
    "squeeze": lambda L: _x(L, 2, 1, 3).squeeze(),
    "squeeze_dim": lambda L: _x(L, 2, 1, 3).squeeze(-2),
    "squeeze_dims": lambda L: _x(L, 2, 1, 1, 3).squeeze((1, -2)),
    "repeat": lambda L: _x(L, 2, 3).repeat(2, 1),
    "split": lambda L: _x(L, 4, 3).split(2)[1],
    "chunk": lambda L: _x(L, 4, 3).chunk(2, 1)[0],
    "unbind": lambda L: _x(L, 4, 3).unbind(1)[0],
    "narrow": lambda L: _x(L, 4, 3).narrow(0, 1, 2),
    "flip": lambda L: _x(L, 4, 3).flip(0),
    "roll": lambda L: _x(L, 4, 3).roll(1, 0),
    "tril": lambda L: _x(L, 3, 3).tril(),
    "triu": lambda L: _x(L, 3, 3).triu(1),
    "unfold": lambda L: _x(L, 6).unfold(0, 2, 2),
    "diagonal": lambda L: _x(L, 3, 3).diagonal(),
    "expand": lambda L: _x(L, 1, 4).expand(3, 4),
    "reshape": lambda L: _x(L, 3, 4).reshape(4, 3),
    # indexing, gathers and scatters
    "select": lambda L: _x(L, 3, 4)[1],
    "select_neg_index": lambda L: _x(L, 3, 4)[-1],
    "select_method": lambda L: _x(L, 3, 4).select(-1, -2),
    "select_dim1": lambda L: _x(L, 3, 4)[:, 1],
    "slice": lambda L: _x(L, 5, 4)[1:4:2],
    "slice_open": lambda L: _x(L, 5, 4)[:, 1:],
    "slice_neg": lambda L: _x(L, 5, 4)[-2:],
    "slice_ellipsis": lambda L: _x(L, 5, 4)[..., 1:3],
    "index": lambda L: _x(L, 5, 4)[L.tensor([0, 2])],
    "index_bool": lambda L: _x(L, 5, 4)[L.tensor([True, False, True, False, True])],
    "index_dim1": lambda L: _x(L, 5, 4)[:, L.tensor([0, 1])],
    "index_select": lambda L: _x(L, 5, 4).index_select(1, L.tensor([0, 2])),
    "index_select_neg": lambda L: _x(L, 5, 4).index_select(-1, L.tensor([3])),
    "gather": lambda L: _x(L, 3, 4).gather(1, L.tensor([[0], [1], [2]])),
    "scatter": lambda L: _x(L, 3, 4).scatter(1, L.tensor([[0], [1], [2]]), _x(L, 3, 1, seed=1)),
    "scatter_add": lambda L: _x(L, 3, 4).scatter_add(-1, L.tensor([[0], [1], [2]]),
                                                     _x(L, 3, 1, seed=1)),
    "masked_fill": lambda L: _x(L, 3).masked_fill(L.tensor([True, False, True]), 0.0),
    # clamps and activations: Python scalars as given
    "clamp": lambda L: _x(L, 3).clamp(-0.5, 0.5),
    "clamp_min": lambda L: _x(L, 3).clamp(min=-0.5),
    "clamp_max_int": lambda L: _x(L, 3).clamp(max=1),
    "clamp_tensors": lambda L: _x(L, 3).clamp(L.zeros(3), L.ones(3)),
    "gelu": lambda L: F(L).gelu(_x(L, 3)),
    "gelu_tanh": lambda L: F(L).gelu(_x(L, 3), approximate="tanh"),
    "leaky_relu": lambda L: F(L).leaky_relu(_x(L, 3), 0.2),
    "leaky_relu_default": lambda L: F(L).leaky_relu(_x(L, 3)),
    "elu": lambda L: F(L).elu(_x(L, 3), 1.5),
    "elu_int_alpha": lambda L: F(L).elu(_x(L, 3), 2),
    "selu": lambda L: F(L).selu(_x(L, 3)),
    "celu": lambda L: F(L).celu(_x(L, 3), 0.5),
    "softplus": lambda L: F(L).softplus(_x(L, 3), 2, 10),
    "softplus_default": lambda L: F(L).softplus(_x(L, 3)),
    "hardtanh": lambda L: F(L).hardtanh(_x(L, 3), -0.5, 0.5),
    "relu6": lambda L: F(L).relu6(_x(L, 3)),
    "relu6_module": lambda L: L.nn.ReLU6()(_x(L, 3)),
    "silu": lambda L: F(L).silu(_x(L, 3)),
    "mish": lambda L: F(L).mish(_x(L, 3)),
    "hardswish": lambda L: F(L).hardswish(_x(L, 3)),
    "hardsigmoid": lambda L: F(L).hardsigmoid(_x(L, 3)),
    "logsigmoid": lambda L: F(L).logsigmoid(_x(L, 3)),
    "softmax_neg_dim": lambda L: _x(L, 3, 4).softmax(-1),
    "log_softmax_neg_dim": lambda L: F(L).log_softmax(_x(L, 3, 4), -1),
    # losses
    "bce": lambda L: F(L).binary_cross_entropy(_x(L, 3).sigmoid(), L.ones(3) * 0.3),
    "bce_weight": lambda L: F(L).binary_cross_entropy(
        _x(L, 3).sigmoid(), L.ones(3) * 0.3, weight=L.ones(3) * 2, reduction="sum"),
    "bce_logits": lambda L: F(L).binary_cross_entropy_with_logits(_x(L, 3), L.ones(3) * 0.3),
    "bce_logits_pos_weight": lambda L: F(L).binary_cross_entropy_with_logits(
        _x(L, 3), L.ones(3) * 0.3, weight=L.ones(3), pos_weight=L.ones(3) * 2),
    # pooling
    "avg_pool2d": lambda L: F(L).avg_pool2d(_x(L, 1, 2, 4, 4), 2),
    "avg_pool2d_args": lambda L: F(L).avg_pool2d(_x(L, 1, 2, 5, 5), 3, 2, 1, True, False, 2),
    "avg_pool2d_module": lambda L: L.nn.AvgPool2d(2)(_x(L, 1, 2, 4, 4)),
    "avg_pool3d": lambda L: F(L).avg_pool3d(_x(L, 1, 1, 4, 4, 4), 2),
    "max_pool2d": lambda L: F(L).max_pool2d(_x(L, 1, 1, 4, 4), 2),
    "max_pool2d_padded": lambda L: F(L).max_pool2d(_x(L, 1, 1, 5, 5), 3, 2, 1),
    "max_pool3d": lambda L: F(L).max_pool3d(_x(L, 1, 1, 4, 4, 4), 2),
    "max_pool3d_stride": lambda L: F(L).max_pool3d(_x(L, 1, 1, 4, 4, 4), 2, 1),
    "embedding": lambda L: F(L).embedding(L.tensor([1, 2]), _x(L, 4, 3)),
    "embedding_padding": lambda L: F(L).embedding(L.tensor([1, 2]), _x(L, 4, 3), padding_idx=-1),
    # matrix products
    "bmm": lambda L: L.bmm(_x(L, 2, 3, 4), _x(L, 2, 4, 5, seed=1)),
    "mv": lambda L: _x(L, 3, 4) @ _x(L, 4, seed=1),
    "dot": lambda L: _x(L, 4) @ _x(L, 4, seed=1),
    "mm": lambda L: _x(L, 3, 4) @ _x(L, 4, 2, seed=1),
    # reductions, sorting, scans
    "norm": lambda L: _x(L, 3, 4).norm(),
    "norm_dim": lambda L: _x(L, 3, 4).norm(dim=1),
    "norm_p_keepdim": lambda L: _x(L, 3, 4).norm(p=3, dim=-1, keepdim=True),
    "vector_norm": lambda L: L.linalg.vector_norm(_x(L, 3, 4), 2, -1),
    "max": lambda L: _x(L, 3, 4).max(),
    "min": lambda L: _x(L, 3, 4).min(),
    "max_dim": lambda L: _x(L, 3, 4).max(1)[0],
    "min_dim_keepdim": lambda L: _x(L, 3, 4).min(-1, keepdim=True)[0],
    "amax": lambda L: _x(L, 3, 4).amax(1),
    "amin": lambda L: _x(L, 3, 4).amin(0, keepdim=True),
    "maximum": lambda L: L.maximum(_x(L, 3), _x(L, 3, seed=1)),
    "minimum": lambda L: L.minimum(_x(L, 3), _x(L, 3, seed=1)),
    "sort": lambda L: _x(L, 3, 4).sort(1)[0],
    "sort_default": lambda L: _x(L, 3, 4).sort(descending=True)[0],
    "topk": lambda L: _x(L, 3, 4).topk(2)[0],
    "topk_dim0": lambda L: _x(L, 3, 4).topk(1, 0)[0],
    "cumsum": lambda L: _x(L, 3, 4).cumsum(-1),
    "cumprod": lambda L: _x(L, 3, 4).cumprod(1),
    "prod": lambda L: _x(L, 3).prod(),
    "prod_dim": lambda L: _x(L, 3, 2).prod(1),
    "mean_dims": lambda L: _x(L, 3, 2).mean((-1, -2)),
    "sum_keepdim": lambda L: _x(L, 3, 2).sum(0, keepdim=True),
    "var": lambda L: _x(L, 3, 4).var(),
    "var_dim": lambda L: _x(L, 3, 4).var(1, keepdim=True),
    "var_biased": lambda L: _x(L, 3, 4).var(unbiased=False),
    "var_correction": lambda L: L.var(_x(L, 3, 4), (0, -1), correction=2),
    "std": lambda L: _x(L, 3, 4).std(),
    "std_dim": lambda L: _x(L, 3, 4).std(-1, unbiased=False),
    # interpolation: torch's node per mode, with the sizes and scales it was given
    "nearest": lambda L: F(L).interpolate(_x(L, 1, 1, 2, 2), scale_factor=2),
    "nearest_size": lambda L: F(L).interpolate(_x(L, 1, 1, 2, 2), size=(3, 5)),
    "nearest_1d": lambda L: F(L).interpolate(_x(L, 1, 1, 3), scale_factor=2),
    "nearest_exact": lambda L: F(L).interpolate(_x(L, 1, 1, 2, 2), scale_factor=2,
                                                mode="nearest-exact"),
    "linear": lambda L: F(L).interpolate(_x(L, 1, 1, 3), scale_factor=2, mode="linear"),
    "bilinear": lambda L: F(L).interpolate(_x(L, 1, 1, 2, 2), scale_factor=2, mode="bilinear"),
    "bilinear_align": lambda L: F(L).interpolate(_x(L, 1, 1, 2, 2), size=4, mode="bilinear",
                                                 align_corners=True),
    "bilinear_antialias": lambda L: F(L).interpolate(_x(L, 1, 1, 4, 4), scale_factor=0.5,
                                                     mode="bilinear", antialias=True),
    "bicubic": lambda L: F(L).interpolate(_x(L, 1, 1, 2, 2), scale_factor=2, mode="bicubic"),
    "trilinear": lambda L: F(L).interpolate(_x(L, 1, 1, 2, 2, 2), scale_factor=2,
                                            mode="trilinear"),
    "upsample_module": lambda L: L.nn.Upsample(scale_factor=2, mode="bilinear")(
        _x(L, 1, 1, 2, 2)),
    "adaptive_avg_pool2d": lambda L: F(L).adaptive_avg_pool2d(_x(L, 1, 2, 4, 4), 3),
    "adaptive_avg_pool3d": lambda L: F(L).adaptive_avg_pool3d(_x(L, 1, 1, 4, 4, 4), 2),
    "matmul_3d_2d": lambda L: _x(L, 2, 3, 4) @ _x(L, 4, 5, seed=1),
    # pointwise
    "tan": lambda L: _x(L, 3).tan(),
    "reciprocal": lambda L: _x(L, 3).reciprocal(),
    "log1p": lambda L: _x(L, 3).abs().log1p(),
    "erf": lambda L: _x(L, 3).erf(),
    "atan2": lambda L: L.atan2(_x(L, 3), _x(L, 3, seed=1)),
    "lerp": lambda L: L.lerp(_x(L, 3), _x(L, 3, seed=1), 0.3),
    "addcmul": lambda L: L.addcmul(_x(L, 3), _x(L, 3, seed=1), _x(L, 3, seed=2), value=2),
    "addcdiv": lambda L: L.addcdiv(_x(L, 3), _x(L, 3, seed=1), _x(L, 3, seed=2).exp(),
                                   value=0.5),
    "pad": lambda L: F(L).pad(_x(L, 2, 3), (1, 2)),
    "pad_value": lambda L: F(L).pad(_x(L, 1, 2, 3), (1, 1, 0, 1), value=2.0),
    "pad_reflect": lambda L: F(L).pad(_x(L, 1, 2, 3), (1, 1), mode="reflect"),
    "pad_reflect_2d": lambda L: F(L).pad(_x(L, 1, 1, 3, 3), (1, 1, 1, 0), mode="reflect"),
    "pad_replicate": lambda L: F(L).pad(_x(L, 1, 1, 2, 2, 2), (1, 0, 0, 1, 1, 1),
                                        mode="replicate"),
    "dropout": lambda L: (L.manual_seed(0), F(L).dropout(_x(L, 3, 4), 0.5))[1],
    "conv1d": lambda L: F(L).conv1d(_x(L, 1, 2, 5), _x(L, 3, 2, 2, seed=1)),
}


def _describe(v):
    if isinstance(v, tuple) and any(hasattr(t, "dtype") for t in v):
        return tuple(_describe(t) for t in v)
    if hasattr(v, "detach") and hasattr(v, "dtype"):
        a = v.detach().numpy()
        return ("T", tuple(v.shape), str(v.dtype), np.round(a.astype(np.float64), 4).tolist())
    return (type(v).__name__, repr(v))


def _saved(lib, case):
    fn = _CASES[case](lib).grad_fn
    names = sorted(n for n in dir(fn) if n.startswith("_saved_"))
    return fn.name(), names, {n: _describe(getattr(fn, n)) for n in names}


@requires_torch
@pytest.mark.parametrize("case", sorted(_CASES))
def test_saved_attributes_match_torch(case):
    e, t = _saved(ember, case), _saved(torch, case)
    assert e[0] == t[0]  # the node
    assert e[1] == t[1]  # its saved attribute names
    for name in t[1]:
        assert e[2][name] == t[2][name], name


def test_every_case_reads_without_torch():
    """Without the oracle: each node still answers every saved attribute it lists."""
    for case in _CASES:
        name, names, values = _saved(ember, case)
        assert names, case  # every node above saves something in torch
        assert len(values) == len(names)


# ---------------------------------------------------------------- graph shapes
def chain(t, depth=4):
    def walk(n, d):
        if n is None:
            return "None"
        kids = [walk(c, d + 1) for c, _ in n.next_functions] if d < depth else []
        return n.name() + ("(" + ", ".join(kids) + ")" if kids else "")
    return walk(t.grad_fn, 0)


def _rnn(kind, **kw):
    def run(L):
        L.manual_seed(0)
        out, state = getattr(L.nn, kind)(3, 4, **kw)(_x(L, 5, 2, 3))
        return [out] + (list(state) if isinstance(state, tuple) else [state])
    return run


_GRAPHS = {
    "matmul_3d_2d": lambda L: [_x(L, 2, 3, 4) @ _x(L, 4, 5, seed=1)],
    "matmul_3d_2d_frozen_weight": lambda L: [_x(L, 2, 3, 4) @ L.ones(4, 5)],
    "matmul_3d_2d_frozen_input": lambda L: [L.ones(2, 3, 4) @ _x(L, 4, 5)],
    "matmul_4d_1d": lambda L: [_x(L, 2, 2, 3, 4) @ _x(L, 4, seed=1)],
    "adaptive_avg_pool2d_1": lambda L: [F(L).adaptive_avg_pool2d(_x(L, 1, 2, 4, 4), 1)],
    "adaptive_avg_pool2d_module_1": lambda L: [L.nn.AdaptiveAvgPool2d((1, 1))(_x(L, 2, 4, 4))],
    "adaptive_avg_pool2d_2": lambda L: [F(L).adaptive_avg_pool2d(_x(L, 1, 2, 4, 4), 2)],
    "adaptive_avg_pool2d_none": lambda L: [F(L).adaptive_avg_pool2d(_x(L, 1, 2, 4, 4),
                                                                    (None, 1))],
    "adaptive_avg_pool1d_1": lambda L: [F(L).adaptive_avg_pool1d(_x(L, 1, 2, 4), 1)],
    "adaptive_avg_pool1d_2": lambda L: [F(L).adaptive_avg_pool1d(_x(L, 1, 2, 4), 2)],
    "adaptive_avg_pool3d_1": lambda L: [F(L).adaptive_avg_pool3d(_x(L, 1, 2, 4, 4, 4), 1)],
    "adaptive_avg_pool3d_2": lambda L: [F(L).adaptive_avg_pool3d(_x(L, 1, 1, 4, 4, 4), 2)],
    "lstm": _rnn("LSTM"),
    "lstm_2_layers": _rnn("LSTM", num_layers=2),
    "lstm_bidirectional": _rnn("LSTM", bidirectional=True),
    "lstm_batch_first": _rnn("LSTM", batch_first=True),
    "lstm_no_bias": _rnn("LSTM", bias=False),
}


@requires_torch
@pytest.mark.parametrize("case", sorted(_GRAPHS))
def test_graph_shape(case):
    e = [chain(t) for t in _GRAPHS[case](ember)]
    t = [chain(t) for t in _GRAPHS[case](torch)]
    assert e == t


@requires_torch
@pytest.mark.parametrize("case", ["matmul_3d_2d", "matmul_4d_1d", "adaptive_avg_pool2d_1",
                                  "adaptive_avg_pool2d_2", "adaptive_avg_pool1d_2"])
def test_graph_saved_values_and_gradients(case):
    def run(L):
        out = _GRAPHS[case](L)[0]
        fn = out.grad_fn
        saved = {n: _describe(getattr(fn, n)) for n in dir(fn) if n.startswith("_saved_")}
        leaves = []

        def walk(n):
            for c, _ in n.next_functions:
                if c is not None and hasattr(c, "variable"):
                    leaves.append(c.variable)
                elif c is not None:
                    walk(c)
        walk(fn)
        (out * out).sum().backward()
        return saved, [v.grad.numpy() for v in leaves]
    e, t = run(ember), run(torch)
    assert e[0] == t[0]
    assert len(e[1]) == len(t[1]) == (1 if "pool" in case else 2)
    for a, b in zip(e[1], t[1]):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-5)


# torch 2.13's CPU RNN and GRU run as per-step decompositions, not fused nodes: nn.RNN's output
# is StackBackward0(TanhBackward0(AddBackward0(AddmmBackward0, UnbindBackward0)), ...) with one
# branch per time step, nn.GRU's StackBackward0(AddBackward0(MulBackward0(SubBackward0,
# SigmoidBackward0), TanhBackward0(AddBackward0)), ...). ember computes each layer in one fused
# node (RnnTanhBackward0 / RnnReluBackward0 / MkldnnRnnLayerBackward0), so those chains differ:
# showing torch's would take one display node per step and gate. nn.LSTM matches (above).
_RNN_DIFFERS = {"rnn": _rnn("RNN"), "gru": _rnn("GRU")}


@requires_torch
@pytest.mark.parametrize("case", sorted(_RNN_DIFFERS))
def test_fused_rnn_and_gru_graphs_differ_from_torchs_steps(case):
    e = _RNN_DIFFERS[case](ember)[0].grad_fn
    t = _RNN_DIFFERS[case](torch)[0].grad_fn
    assert t.name() == "StackBackward0" and len(t.next_functions) == 5  # one per step
    assert e.name() in ("RnnTanhBackward0", "MkldnnRnnLayerBackward0")  # fused: see above


# ---------------------------------------------------------------- what pack hooks see
_PACKED = {
    "conv2d": lambda L: F(L).conv2d(_x(L, 1, 2, 5, 5), _x(L, 3, 2, 3, 3, seed=1),
                                    _x(L, 3, seed=2)),
    "conv2d_frozen_input": lambda L: F(L).conv2d(L.ones(1, 2, 5, 5), _x(L, 3, 2, 3, 3, seed=1)),
    "embedding": lambda L: F(L).embedding(L.tensor([1, 2, 1]), _x(L, 4, 3)),
    "embedding_module": lambda L: (L.manual_seed(0),
                                   L.nn.Embedding(5, 3, padding_idx=0)(L.tensor([[0, 4, 2]])))[1],
    "gather": lambda L: _x(L, 3, 4).gather(1, L.tensor([[0], [1], [2]])),
    "index_select": lambda L: _x(L, 5, 4).index_select(1, L.tensor([0, 2])),
    "max_dim": lambda L: _x(L, 3, 4).max(1)[0],
    "sort": lambda L: _x(L, 3, 4).sort(1)[0],
    "topk": lambda L: _x(L, 3, 4).topk(2)[0],
    "avg_pool2d": lambda L: F(L).avg_pool2d(_x(L, 1, 2, 4, 4), 2),
    "adaptive_avg_pool2d": lambda L: F(L).adaptive_avg_pool2d(_x(L, 1, 2, 4, 4), 3),
    "max_pool2d": lambda L: F(L).max_pool2d(_x(L, 1, 2, 4, 4), 2),
    "max_pool2d_padded": lambda L: F(L).max_pool2d(_x(L, 1, 2, 5, 5), 3, 2, 1),
    "max_pool2d_indices": lambda L: F(L).max_pool2d(_x(L, 1, 2, 4, 4), 2,
                                                    return_indices=True)[0],
    "max_pool3d": lambda L: F(L).max_pool3d(_x(L, 1, 1, 4, 4, 4), 2),
}


def _packs(L, case):
    log = []

    def pack(t):
        log.append(("pack", tuple(t.shape), str(t.dtype), t.requires_grad))
        return t.detach().numpy().copy()  # anything may stand for the tensor

    def unpack(a):
        log.append(("unpack", a.shape, str(a.dtype)))
        return L.from_numpy(a)
    with L.autograd.graph.saved_tensors_hooks(pack, unpack):
        out = _PACKED[case](L)
    (out * out).sum().backward()
    leaves = [c.variable for c, _ in out.grad_fn.next_functions
              if c is not None and hasattr(c, "variable")]
    return sorted(log), [v.grad.numpy() for v in leaves]


@requires_torch
@pytest.mark.parametrize("case", sorted(_PACKED))
def test_pack_hooks_see_what_torch_saves(case):
    e, t = _packs(ember, case), _packs(torch, case)
    assert e[0] == t[0]  # each saved tensor (index tensors too) packed and unpacked once
    assert len(e[1]) == len(t[1])  # backward reads the unpacked values
    for a, b in zip(e[1], t[1]):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-5)


def test_packed_index_arrays_come_back_through_unpack():
    calls = []
    x = _x(ember, 3, 4)
    with ember.autograd.graph.saved_tensors_hooks(
            lambda t: calls.append("pack") or t.detach().numpy().copy(),
            lambda a: calls.append("unpack") or ember.from_numpy(np.zeros_like(a))):
        y = x.gather(1, ember.tensor([[3], [1], [2]]))
    y.sum().backward()  # the unpack hook's all-zero indices route every gradient to column 0
    assert calls.count("pack") == 2 and calls.count("unpack") == 2
    assert x.grad.numpy()[:, 0].tolist() == [1.0, 1.0, 1.0] and x.grad.numpy().sum() == 3


@pytest.mark.parametrize("shape", [(3, 4), (4,)])
def test_cross_entropy_shows_log_softmax_saved_values(shape):
    """cross_entropy is one fused node in ember; the LogSoftmaxBackward0 torch's graph shows
    under NllLossBackward0 answers torch's saved dim and result (the log-probabilities)."""
    def run(L):
        x = _x(L, *shape)
        y = L.tensor([0, 1, 2]) if len(shape) == 2 else L.tensor(1)
        loss = F(L).cross_entropy(x, y)
        lsm = loss.grad_fn.next_functions[0][0]
        got = (lsm.name(), lsm._saved_dim, _describe(lsm._saved_result),
               lsm._saved_result.grad_fn is lsm)
        result = lsm._saved_result.detach().numpy().copy()
        loss.backward()
        with pytest.raises(RuntimeError, match="^Trying to backward through the graph a second"):
            lsm._saved_result
        return got, result, F(L).log_softmax(x.detach(), -1).numpy()
    e, result, expected = run(ember)
    assert e[0] == "LogSoftmaxBackward0" and e[1] == len(shape) - 1 and e[3]
    np.testing.assert_allclose(result, expected, rtol=1e-6)
    if torch is not None:
        assert run(torch)[0] == e
