"""Batching rules for the nn.functional losses and distances not in `_nn_rules`.

Each loss runs once with reduction='none' on the batch's values, then every batch entry is
reduced as torch reduces one call: pointwise losses align their tensors by rank; losses over
rows ((N, C) inputs or one (C,) sample) fold the batch into N.
"""

import warnings

from .._tensor import Tensor
from ._batched import _CONTROL, RULES, make
from ._batching_rules import _batched, _expand, _pad, _shift
from ._layer_rules import _bind

_KL_MEAN = ("reduction: 'mean' divides the total loss by both the batch size and the support "
            "size.'batchmean' divides only by the batch size, and aligns with the KL div math "
            "definition.'mean' will be changed to behave the same as 'batchmean' in the next "
            "major release.")


def _reduce(loss, level, size, reduction, batchmean=None):
    if reduction == "none":
        return make(loss, level)
    flat = loss.reshape(size, -1)
    if reduction == "batchmean":
        s = flat.sum(1)
        return make(s / batchmean if batchmean is not None else s, level)
    return make(flat.sum(1) if reduction == "sum" else flat.mean(1), level)


def _legacy(a):
    return a.get("size_average") is not None or a.get("reduce") is not None


def _pointwise(name, names, tensors, default="mean"):
    """Elementwise losses (all tensors broadcast against each other)."""
    def rule(call, level, size, args, kwargs):
        a = _bind(names, args, kwargs)
        if _legacy(a):
            return NotImplemented
        a.pop("size_average", None)
        a.pop("reduce", None)
        present = [k for k in tensors if isinstance(a.get(k), Tensor)]
        rank = max(a[k].dim() for k in present)
        for k in present:
            a[k] = _pad(_expand(a[k], level, size), rank - a[k].dim())
        reduction = a.get("reduction", default)
        if reduction == "mean" and name == "kl_div":
            warnings.warn(_KL_MEAN, stacklevel=4)
        first = _bind(names, args, kwargs)[names[0]]
        bm = (first.shape[0] if first.dim() else None) if reduction == "batchmean" else None
        a["reduction"] = "none"
        return _reduce(call(**a), level, size, reduction, bm)
    return rule


def _register_pointwise(name, names, tensors):
    RULES[name] = _pointwise(name, names, tensors)


_LEG = ("size_average", "reduce", "reduction")
_register_pointwise("binary_cross_entropy", ("input", "target", "weight") + _LEG,
                    ("input", "target", "weight"))
_register_pointwise("binary_cross_entropy_with_logits",
                    ("input", "target", "weight") + _LEG + ("pos_weight",),
                    ("input", "target", "weight", "pos_weight"))
_register_pointwise("kl_div", ("input", "target") + _LEG + ("log_target",),
                    ("input", "target"))
_register_pointwise("soft_margin_loss", ("input", "target") + _LEG, ("input", "target"))
_register_pointwise("hinge_embedding_loss", ("input", "target", "margin") + _LEG,
                    ("input", "target"))
_register_pointwise("poisson_nll_loss", ("input", "target", "log_input", "full",
                                         "size_average", "eps", "reduce", "reduction"),
                    ("input", "target"))
_register_pointwise("margin_ranking_loss", ("input1", "input2", "target", "margin") + _LEG,
                    ("input1", "input2", "target"))


def _gaussian(call, level, size, args, kwargs):
    a = _bind(("input", "target", "var", "full", "eps", "reduction"), args, kwargs)
    var = a["var"]
    if isinstance(var, Tensor) and _batched(var, level):
        raise RuntimeError(_CONTROL)  # torch's check of var's sign is a Python `if`
    if isinstance(var, Tensor) and var.dim() != max(a["input"].dim(), a["target"].dim()):
        return NotImplemented
    return _pointwise("gaussian_nll_loss", ("input", "target", "var", "full", "eps", "reduction"),
                      ("input", "target", "var"))(call, level, size, args, kwargs)


RULES["gaussian_nll_loss"] = _gaussian


def _rows(names, tensors, full, main=None, default="mean", unbatched=()):
    """Losses over rows: `full` is the rank of the main input with its N dim."""
    main = main or tensors[0]

    def rule(call, level, size, args, kwargs):
        a = _bind(names, args, kwargs)
        if _legacy(a) or any(isinstance(a.get(k), Tensor) and _batched(a[k], level)
                             for k in unbatched):
            return NotImplemented
        a.pop("size_average", None)
        a.pop("reduce", None)
        x = a[main]
        if x.dim() not in (full, full - 1):
            return NotImplemented
        present = [k for k in tensors if isinstance(a.get(k), Tensor)]
        if x.dim() == full:
            n = x.shape[0]
            for k in present:
                t = a[k]
                a[k] = _expand(t, level, size).reshape((size * n,) + tuple(t.shape[1:]))
        else:
            for k in present:
                a[k] = _expand(a[k], level, size)
        reduction = a.get("reduction", default)
        a["reduction"] = "none"
        return _reduce(call(**a), level, size, reduction)
    return rule


RULES["cosine_embedding_loss"] = _rows(("input1", "input2", "target", "margin") + _LEG,
                                       ("input1", "input2", "target"), 2)
RULES["multi_margin_loss"] = _rows(("input", "target", "p", "margin", "weight") + _LEG,
                                   ("input", "target"), 2, unbatched=("weight",))
RULES["multilabel_margin_loss"] = _rows(("input", "target") + _LEG, ("input", "target"), 2)
RULES["multilabel_soft_margin_loss"] = _rows(("input", "target", "weight") + _LEG,
                                             ("input", "target"), 2, unbatched=("weight",))
RULES["triplet_margin_loss"] = _rows(
    ("anchor", "positive", "negative", "margin", "p", "eps", "swap") + _LEG,
    ("anchor", "positive", "negative"), 2)


# ---- distances ----
def _cosine_similarity(call, level, size, args, kwargs):
    a = _bind(("x1", "x2", "dim", "eps"), args, kwargs)
    x1, x2 = a["x1"], a["x2"]
    rank = max(x1.dim(), x2.dim())
    a["dim"] = _shift(a.get("dim", 1), rank)
    a["x1"] = _pad(_expand(x1, level, size), rank - x1.dim())
    a["x2"] = _pad(_expand(x2, level, size), rank - x2.dim())
    return make(call(**a), level)


def _pairwise_distance(call, level, size, args, kwargs):
    a = _bind(("x1", "x2", "p", "eps", "keepdim"), args, kwargs)
    x1, x2 = a["x1"], a["x2"]
    rank = max(x1.dim(), x2.dim())
    if rank == 0:
        return NotImplemented
    a["x1"] = _pad(_expand(x1, level, size), rank - x1.dim())
    a["x2"] = _pad(_expand(x2, level, size), rank - x2.dim())
    return make(call(**a), level)


RULES["cosine_similarity"] = _cosine_similarity
RULES["pairwise_distance"] = _pairwise_distance


def _bilinear(call, level, size, args, kwargs):
    import ember
    a = _bind(("input1", "input2", "weight", "bias"), args, kwargs)
    x1, x2, w, b = a["input1"], a["input2"], a["weight"], a.get("bias")
    lead = tuple(x1.shape[:-1])
    X1 = _expand(x1, level, size).reshape(size, -1, x1.shape[-1])
    X2 = _expand(x2, level, size).reshape(size, -1, x2.shape[-1])
    if not _batched(w, level) and not (b is not None and _batched(b, level)):
        out = call(X1.reshape(-1, x1.shape[-1]), X2.reshape(-1, x2.shape[-1]), w, b)
        return make(out.reshape((size,) + lead + (w.shape[0],)), level)
    y = ember.einsum("bmi,boij,bmj->bmo", X1, _expand(w, level, size), X2)
    if b is not None:
        y = y + _expand(b, level, size).unsqueeze(1)
    return make(y.reshape((size,) + lead + (w.shape[0],)), level)


RULES["bilinear"] = _bilinear


def _ctc(call, level, size, args, kwargs):
    import ember
    a = _bind(("log_probs", "targets", "input_lengths", "target_lengths", "blank", "reduction",
               "zero_infinity"), args, kwargs)
    lp, tg = a["log_probs"], a["targets"]
    single = lp.dim() == 2
    if lp.dim() not in (2, 3) or tg.dim() != lp.dim() - 1:
        return NotImplemented
    n = 1 if single else lp.shape[1]
    LP = _expand(lp, level, size)
    LP = LP.unsqueeze(2) if single else LP
    a["log_probs"] = LP.movedim(0, 1).reshape((lp.shape[0], size * n, lp.shape[-1]))
    a["targets"] = _expand(tg, level, size).reshape(size * n, -1)
    lengths = {}
    for k in ("input_lengths", "target_lengths"):
        v = a[k]
        if not isinstance(v, Tensor):
            v = ember.tensor(v if isinstance(v, (list, tuple)) else [v], dtype=ember.int64)
        lengths[k] = _expand(v, level, size).reshape(size * n)
        a[k] = lengths[k]
    reduction = a.get("reduction", "mean")
    a["reduction"] = "none"
    loss = call(**a).reshape(size, n)
    if reduction == "none":
        return make(loss.reshape(size) if single else loss, level)
    if reduction == "sum":
        return make(loss.sum(1), level)
    tl = lengths["target_lengths"].reshape(size, n).clamp(min=1).to(loss.dtype)
    return make((loss / tl).mean(1), level)


RULES["ctc_loss"] = _ctc
