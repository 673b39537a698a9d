"""torch's saved values (`grad_fn._saved_*`) of nn's nodes: losses, convolution, pooling,
normalisation, embedding, activations, interpolation and padding, read from ember's nodes (see
`autograd._saved`; Python scalars and sizes as given, kept by the functions as `node._given`).

A tensor value raises torch's "already freed" error once backward has freed the node; an int,
tuple or flag stays readable, as in torch.
"""

import math

import numpy as np

from .._compat import EmberNotImplemented
from .._tensor import _wrap
from ..autograd import _saved
from ..autograd.function import _FREED

_REDUCTION = {"none": 0, "mean": 1, "sum": 2}


def _live(node):
    if node._freed:
        raise RuntimeError(_FREED)
    return node


def _refuse(node, attr):
    raise EmberNotImplemented(f"ember does not implement {node.name()}._saved_{attr} yet")


def _u64(v):
    return v % (1 << 64)  # torch shows a negative int64 index as its uint64 value


# ---------------------------------------------------------------- nll / cross entropy
def _nll_self(n):
    if type(n).__name__ == "_CrossEntropy":  # torch saves log_softmax's output
        if len(n._in_meta[0][0]) != 2:
            _refuse(n, "self")
        return _wrap(_live(n).lp)
    return _live(n)._nll_args[0]


def _total_weight(n):
    tw = n.__dict__.get("tw")
    return _wrap(np.asarray(tw if tw is not None else _live(n).wt.sum(dtype=n.wt.dtype)))


_NLL = {
    "ignore_index": lambda n: _u64(n._nll_args[3]),
    "reduction": lambda n: _REDUCTION[n.reduction],
    "self": _nll_self,
    "target": lambda n: _live(n)._nll_args[1],
    "total_weight": lambda n: _total_weight(_live(n)),
    "weight": lambda n: None if n._nll_args[2] is None else _live(n)._nll_args[2],
}


# ---------------------------------------------------------------- convolution
def _conv(n, attr):
    if type(n).__name__ != "Conv":
        _refuse(n, attr)
    return n.geo  # (kernel, stride, pads, dilation, groups)


_CONV = {
    "bias_sym_sizes_opt": lambda n: (n._in_meta[1][0][0],) if n._in_meta[2] is not None
    else (0,),
    "dilation": lambda n: tuple(_conv(n, "dilation")[3]),
    "groups": lambda n: _conv(n, "groups")[4],
    "input": lambda n: n.saved_tensors[0],
    "output_padding": lambda n: (0,) * len(_conv(n, "output_padding")[0]),
    "padding": lambda n: tuple(a for a, _ in _conv(n, "padding")[2]),
    "stride": lambda n: tuple(_conv(n, "stride")[1]),
    "transposed": lambda n: _conv(n, "transposed") is None,  # ember's Conv: never transposed
    "weight": lambda n: n.saved_tensors[1],
}


# ---------------------------------------------------------------- max pooling
def _pool(n, attr):
    args = n.__dict__.get("_pool_args")
    if args is None:
        _refuse(n, attr)
    return args  # (input, stride as given, ceil_mode)


def _pool_indices(n):
    from ..autograd.grad_mode import no_grad
    from ._pool import max_pool2d, max_pool3d
    k, _, p, d, _ = n.geo
    pool = max_pool3d if len(k) == 3 else max_pool2d
    with no_grad():  # recomputed: ember's node keeps each window's winner, not torch's index
        return pool(_pool(_live(n), "result1")[0], k, n.geo[1], p, d,
                    n._pool_args[2], return_indices=True)[1]


def _stride(n):
    s = _pool(n, "stride")[1]
    if s is None or s == () or s == []:
        return ()
    return tuple(n.geo[1])


_MAX_POOL = {
    "ceil_mode": lambda n: bool(_pool(n, "ceil_mode")[2]),
    "dilation": lambda n: tuple(n.geo[3]),
    "kernel_size": lambda n: tuple(n.geo[0]),
    "padding": lambda n: tuple(n.geo[2]),
    "result1": _pool_indices,
    "self": lambda n: _pool(_live(n), "self")[0],
    "stride": _stride,
}


# ---------------------------------------------------------------- composites
def _bn_stat(n, k):
    _live(n)
    stats = n.__dict__.get("_stats")
    if stats is None:  # evaluation: torch saves empty statistics
        return _wrap(np.empty((0,), n._in_meta[0][1].np))
    if k == 0:
        return _wrap(stats[0].copy())
    return _wrap((1 / np.sqrt(stats[1] + n._kw["eps"])).astype(stats[1].dtype))  # invstd


def _kw_tensor(key):
    return lambda n: _live(n)._kw[key]


def _ln_stat(n, k):
    x = _live(n).saved_tensors[0]._data
    axes = tuple(range(x.ndim - len(n._kw["normalized_shape"]), x.ndim))
    mean = x.mean(axis=axes, keepdims=True)
    if k == 0:
        return _wrap(mean)
    var = ((x - mean) ** 2).mean(axis=axes, keepdims=True)
    return _wrap((1 / np.sqrt(var + n._kw["eps"])).astype(x.dtype))  # rstd


_BATCH_NORM = {
    "eps": lambda n: n._kw["eps"],
    "input": _saved._In(0),
    "result1": lambda n: _bn_stat(n, 0),
    "result2": lambda n: _bn_stat(n, 1),
    "running_mean": _kw_tensor("running_mean"),
    "running_var": _kw_tensor("running_var"),
    "training": lambda n: n._kw["training"],
    "weight": _saved._In(1),
}
_LAYER_NORM = {
    "bias": _saved._In(2),
    "input": _saved._In(0),
    "normalized_shape": lambda n: n._kw["normalized_shape"],
    "result1": lambda n: _ln_stat(n, 0),
    "result2": lambda n: _ln_stat(n, 1),
    "weight": _saved._In(1),
}


def _gn_stat(n, k):
    x = _live(n).saved_tensors[0]._data
    g = n._kw["num_groups"]
    x = x.reshape(x.shape[0], g, -1)
    mean = x.mean(axis=2)
    if k == 0:
        return _wrap(mean)
    var = ((x - mean[..., None]) ** 2).mean(axis=2)
    return _wrap((1 / np.sqrt(var + n._kw["eps"])).astype(x.dtype))  # rstd


def _gn_size(n, what):
    shape = _live(n)._in_meta[0][0]
    return {"N": shape[0], "C": shape[1], "HxW": math.prod(shape[2:])}[what]


_GROUP_NORM = {
    "C": lambda n: _gn_size(n, "C"),
    "HxW": lambda n: _gn_size(n, "HxW"),
    "N": lambda n: _gn_size(n, "N"),
    "eps": lambda n: n._kw["eps"],
    "group": lambda n: n._kw["num_groups"],
    "input": _saved._In(0),
    "result1": lambda n: _gn_stat(n, 0),
    "result2": lambda n: _gn_stat(n, 1),
    "weight": _saved._In(1),
}
_MSE = {"reduction": lambda n: _REDUCTION[n._kw["reduction"]],
        "self": _saved._In(0), "target": _saved._In(1)}
_SMOOTH_L1 = {**_MSE, "beta": lambda n: n._kw["beta"]}


# ---------------------------------------------------------------- embedding
_EMBEDDING = {
    "indices": lambda n: _wrap(_saved.array(_live(n), "idx")),
    "padding_idx": lambda n: _u64(-1 if n.padding_idx is None else n.padding_idx),
    "scale_grad_by_freq": lambda n: bool(n.scale),
    "sparse": lambda n: False,
    "weight_sym_argsize_0": lambda n: n.n,
}

# ---------------------------------------------------------------- activations
def _given(k):
    def get(n):
        g = n.__dict__.get("_given")
        if g is None:
            _refuse(n, "scalars")
        return g[k]
    return get


def _logsigmoid_buffer(n):
    x = _live(n).saved_tensors[0]._data
    xp = np if isinstance(x, np.ndarray) else __import__("cupy")
    return _wrap(xp.exp(-xp.abs(x)).astype(x.dtype, copy=False))  # torch's CPU buffer


_X = _saved._In(0)
_ACTIVATIONS = {
    "GeluBackward0": {"approximate": lambda n: n.params[0], "self": _X},
    "LeakyReluBackward0": {"negative_slope": _given(0), "self": _X},
    "EluBackward0": {"alpha": _given(0), "input_scale": _given(2), "scale": _given(1),
                     "self": _X},
    "CeluBackward0": {"alpha": _given(0), "self": _X},
    "SoftplusBackward0": {"beta": _given(0), "self": _X, "threshold": _given(1)},
    "HardtanhBackward0": {"max_val": _given(1), "min_val": _given(0), "self": _X},
    "SiluBackward0": {"self": _X}, "MishBackward0": {"self": _X},
    "HardswishBackward0": {"self": _X}, "HardsigmoidBackward0": {"self": _X},
    "LogSigmoidBackward0": {"buffer": _logsigmoid_buffer, "self": _X},
}


# ---------------------------------------------------------------- binary cross entropy
def _opt_tensor(attr):
    def get(n):
        v = _live(n).__dict__[attr]
        return v if v is None or hasattr(v, "_data") else _wrap(v)
    return get


_BCE = {"reduction": lambda n: _REDUCTION[n.reduction], "self": _saved._In(0),
        "target": _saved._In(1), "weight": _opt_tensor("w")}
_BCE_LOGITS = dict(_BCE, pos_weight=_opt_tensor("pw"))


# ---------------------------------------------------------------- average pooling
def _avg(k):
    def get(n):
        g = n.__dict__.get("_given")
        if g is None:
            _refuse(n, "kernel_size")
        params, ceil_mode, include_pad, divisor, no_stride = g
        stride = () if no_stride else tuple(params[1])  # torch keeps an omitted stride empty
        return (tuple(params[0]), stride, tuple(params[2]), bool(ceil_mode),
                bool(include_pad), divisor)[k]
    return get


_AVG_POOL = {"ceil_mode": _avg(3), "count_include_pad": _avg(4), "divisor_override": _avg(5),
             "kernel_size": _avg(0), "padding": _avg(2), "self": _saved._In(0),
             "stride": _avg(1)}

# ---------------------------------------------------------------- interpolation
def _up(k):
    def get(n):
        g = n.__dict__.get("_given")
        if g is None:
            _refuse(n, "output_size")
        return g[k]
    return get


def _scale(i):
    return lambda n: _up(1)(n)[i]


def _upsample_specs():
    specs = {}
    for mode in ("Nearest", "NearestExact", "Linear", "Bilinear", "Bicubic", "Trilinear"):
        for nd in (1, 2, 3):
            names = {1: ("scales",), 2: ("scales_h", "scales_w"),
                     3: ("scales_d", "scales_h", "scales_w")}[nd]
            spec = {"output_size": _up(0), "self_sym_sizes": _saved._sizes(0)}
            spec.update({s: _scale(i) for i, s in enumerate(names)})
            if not mode.startswith("Nearest"):
                spec["align_corners"] = lambda n: bool(_up(2)(n))
            for aa in ("", "Aa"):
                specs[f"Upsample{mode}{nd}D{aa}Backward0"] = spec
    return specs


def _pad_given(n):
    g = n.__dict__.get("_given")
    if g is None:
        _refuse(n, "pad")
    return g


_BORDER_PAD = {"padding": _pad_given, "self": _saved._In(0)}

_saved.extend({
    "ConstantPadNdBackward0": {"pad": _pad_given},
    **{f"{k}Pad{nd}DBackward0": _BORDER_PAD for k in ("Reflection", "Replication")
       for nd in (1, 2, 3)},
    **_ACTIVATIONS, **_upsample_specs(), "BinaryCrossEntropyBackward0": _BCE,
    "BinaryCrossEntropyWithLogitsBackward0": _BCE_LOGITS,
    "AvgPool2DBackward0": _AVG_POOL, "AvgPool3DBackward0": _AVG_POOL,
    "AdaptiveAvgPool2DBackward0": {"self": _saved._In(0)},
    "AdaptiveAvgPool3DBackward0": {"self": _saved._In(0)},
})
_saved.extend({
    "NllLossBackward0": _NLL, "ConvolutionBackward0": _CONV,
    "MaxPool2DWithIndicesBackward0": _MAX_POOL, "MaxPool3DWithIndicesBackward0": _MAX_POOL,
    "NativeBatchNormBackward0": _BATCH_NORM,
    "NativeLayerNormBackward0": _LAYER_NORM, "MseLossBackward0": _MSE,
    "SmoothL1LossBackward0": _SMOOTH_L1,
    "NativeGroupNormBackward0": _GROUP_NORM,
    "EmbeddingBackward0": _EMBEDDING,
})
