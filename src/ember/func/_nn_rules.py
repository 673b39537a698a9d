"""Batching rules for nn.functional's layers: convolution, pooling and losses.

Convolution and pooling fold the batch into the input's N dim; a batched weight (per-sample
weights, as `vmap(grad(...))` makes) becomes one grouped convolution with the batch as groups.
Losses compute per element with reduction='none' once, then reduce each batch entry.
"""

from ._batched import RULES, make, rewrap
from ._batching_rules import _batched, _expand, _pad

_CONV_ARGS = ("input", "weight", "bias", "stride", "padding", "dilation", "groups")


def _conv_rule(nd):
    def rule(call, level, size, args, kwargs):
        a = dict(zip(_CONV_ARGS, args))
        a.update(kwargs)
        x, w, b = a["input"], a["weight"], a.get("bias")
        geo = [a.get(k, d) for k, d in (("stride", 1), ("padding", 0), ("dilation", 1))]
        groups = a.get("groups", 1)
        single = x.dim() == nd + 1  # an input without its N dim
        if not _batched(w, level) and not (b is not None and _batched(b, level)):
            v = x._value
            if single:
                return make(call(v, w, b, *geo, groups), level)
            n = x.shape[0]
            out = call(v.reshape((size * n,) + tuple(x.shape[1:])), w, b, *geo, groups)
            return make(out.reshape((size, n) + tuple(out.shape[1:])), level)
        X = _expand(x, level, size)
        if single:
            X = X.unsqueeze(1)
        n, c = X.shape[1], X.shape[2]
        o = w.shape[0]
        xg = X.transpose(0, 1).reshape((n, size * c) + tuple(X.shape[3:]))
        wg = _expand(w, level, size).reshape((size * o,) + tuple(w.shape[1:]))
        bg = None if b is None else _expand(b, level, size).reshape(size * o)
        out = call(xg, wg, bg, *geo, groups * size)
        out = out.reshape((n, size, o) + tuple(out.shape[2:])).transpose(0, 1)
        return make(out.select(1, 0) if single else out, level)
    return rule


for _nd in (1, 2, 3):
    RULES[f"conv{_nd}d"] = _conv_rule(_nd)


def _pool_rule(nd):
    def rule(call, level, size, args, kwargs):
        x = args[0]
        if not _batched(x, level) or any(_batched(t, level) for t in args[1:]):
            return NotImplemented
        if x.dim() == nd + 1:
            return rewrap(call(x._value, *args[1:], **kwargs), level)
        n = x.shape[0]
        out = call(x._value.reshape((size * n,) + tuple(x.shape[1:])), *args[1:], **kwargs)
        outs = out if isinstance(out, tuple) else (out,)
        outs = [make(o.reshape((size, n) + tuple(o.shape[1:])), level) for o in outs]
        return tuple(outs) if isinstance(out, tuple) else outs[0]
    return rule


for _nd in (1, 2, 3):
    for _kind in ("max_pool", "avg_pool", "adaptive_avg_pool", "adaptive_max_pool", "lp_pool"):
        RULES[f"{_kind}{_nd}d"] = _pool_rule(_nd)


def _reduce(loss, level, size, reduction):
    if reduction == "none":
        return make(loss, level)
    flat = loss.reshape(size, -1)
    return make(flat.sum(1) if reduction == "sum" else flat.mean(1), level)


def _pointwise_loss(call, level, size, args, kwargs):
    a = dict(zip(("input", "target", "size_average", "reduce", "reduction"), args))
    a.update(kwargs)
    if a.pop("size_average", None) is not None or a.pop("reduce", None) is not None:
        return NotImplemented
    if a.get("weight") is not None:
        return NotImplemented
    a.pop("weight", None)
    inp, tgt = a.pop("input"), a.pop("target")
    reduction = a.pop("reduction", "mean")
    rank = max(inp.dim(), tgt.dim())
    i = _pad(_expand(inp, level, size), rank - inp.dim())
    t = _pad(_expand(tgt, level, size), rank - tgt.dim())
    return _reduce(call(i, t, reduction="none", **a), level, size, reduction)


for _n in ("mse_loss", "l1_loss", "smooth_l1_loss", "huber_loss"):
    RULES[_n] = _pointwise_loss

_NLL_ARGS = ("input", "target", "weight", "size_average", "ignore_index", "reduce", "reduction",
             "label_smoothing")


def _class_loss(call, level, size, args, kwargs):
    import ember
    a = dict(zip(_NLL_ARGS, args))
    a.update(kwargs)
    inp, tgt, weight = a["input"], a["target"], a.get("weight")
    if a.get("size_average") is not None or a.get("reduce") is not None or \
            a.get("label_smoothing", 0.0) != 0.0 or tgt.is_floating_point() or \
            (weight is not None and _batched(weight, level)) or inp.dim() == 0:
        return NotImplemented
    ignore, reduction = a.get("ignore_index", -100), a.get("reduction", "mean")
    X, T = _expand(inp, level, size), _expand(tgt, level, size)
    if inp.dim() > 1:
        X = X.reshape((-1,) + tuple(inp.shape[1:]))
        T = T.reshape((-1,) + tuple(tgt.shape[1:]))
    loss = call(X, T, weight=weight, ignore_index=ignore, reduction="none").reshape(size, -1)
    if reduction == "none":
        return make(loss.reshape((size,) + tuple(tgt.shape)), level)
    if reduction == "sum":
        return make(loss.sum(1), level)
    T = T.reshape(size, -1)
    valid = T != ignore
    if weight is None:
        denom = valid.to(loss.dtype).sum(1)
    else:
        denom = (weight[ember.where(valid, T, 0)] * valid).sum(1)
    return make(loss.sum(1) / denom, level)


RULES["cross_entropy"] = RULES["nll_loss"] = _class_loss
