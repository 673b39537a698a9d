"""Batching rules for nn.functional's layers beyond conv and pooling: normalisations,
embedding, padding, resampling, fold/unfold, transposed convolution, attention, einsum,
dropout and the channel-wise activations (glu, prelu).

Most layers treat dim 0 as independent samples, so the vmap batch folds into it (`_folded`);
ops that act on the trailing dims only take the value as it is. A batched weight or bias (what
`vmap(grad(...))` makes of parameters) is applied after an unweighted call, per batch entry.
"""

from .._tensor import Tensor
from ._batched import _RANDOM_ERROR, _STACK, RULES, make, rewrap
from ._batching_rules import _batched, _expand, _pad, _shift, inplace_error


def _bind(names, args, kwargs):
    a = dict(zip(names, args))
    a.update(kwargs)
    return a


def _any_batched(level, *ts):
    return any(t is not None and _batched(t, level) for t in ts)


def _unfold_out(out, level, size, n):
    """Split dim 0 (size * n) of an op's output(s) back into (size, n)."""
    if isinstance(out, tuple):
        return tuple(_unfold_out(o, level, size, n) for o in out)
    if n is None:
        return make(out, level)
    return make(out.reshape((size, n) + tuple(out.shape[1:])), level)


def _folded(call, level, size, a, key, full, others=()):
    """Call with a[key] (and a[k] for k in others, same leading dims) folded into dim 0:
    `full` is the rank that has an N dim (None: dim 0 is always N)."""
    x = a[key]
    keys = (key,) + tuple(k for k in others if a.get(k) is not None)
    if full is not None and x.dim() == full - 1:  # one sample: the batch becomes N
        for k in keys:
            a[k] = _expand(a[k], level, size)
        return _unfold_out(call(**a), level, size, None)
    n = x.shape[0]
    for k in keys:
        t = a[k]
        a[k] = _expand(t, level, size).reshape((size * n,) + tuple(t.shape[1:]))
    return _unfold_out(call(**a), level, size, n)


def _fold_rule(names, key, full=None, others=(), unbatched=()):
    """A rule folding the batch into dim 0 of `key`; NotImplemented when a tensor named in
    `unbatched` (weights) is batched."""
    def rule(call, level, size, args, kwargs):
        a = _bind(names, args, kwargs)
        if not _batched(a[key], level) and not _any_batched(level, *(a.get(k) for k in others)):
            return NotImplemented
        if any(isinstance(a.get(k), Tensor) and _batched(a[k], level) for k in unbatched):
            return NotImplemented
        if full is not None and a[key].dim() not in (full, full - 1):
            return NotImplemented
        return _folded(call, level, size, a, key, full, others)
    return rule


# ---- transposed convolution, fold/unfold, unpooling, resampling ----
_CT = ("input", "weight", "bias", "stride", "padding", "output_padding", "groups", "dilation")


def _conv_transpose(nd):
    fold = _fold_rule(_CT, "input", nd + 2, unbatched=("weight", "bias"))

    def rule(call, level, size, args, kwargs):
        a = _bind(_CT, args, kwargs)
        x, w, b = a["input"], a["weight"], a.get("bias")
        if not _any_batched(level, w, b):
            return fold(call, level, size, args, kwargs)
        if x.dim() not in (nd + 1, nd + 2):
            return NotImplemented
        # per-entry weights: one grouped transposed convolution, the entries as groups
        X = _expand(x, level, size)
        single = x.dim() == nd + 1
        if single:
            X = X.unsqueeze(1)
        n, c = X.shape[1], X.shape[2]
        W = _expand(w, level, size)
        o = W.shape[2] * a.get("groups", 1)
        a["input"] = X.transpose(0, 1).reshape((n, size * c) + tuple(X.shape[3:]))
        a["weight"] = W.reshape((size * w.shape[0],) + tuple(w.shape[1:]))
        a["bias"] = None if b is None else _expand(b, level, size).reshape(size * o)
        a["groups"] = a.get("groups", 1) * size
        out = call(**a)
        out = out.reshape((n, size, o) + tuple(out.shape[2:])).transpose(0, 1)
        return make(out.select(1, 0) if single else out, level)
    return rule


for _nd in (1, 2, 3):
    RULES[f"conv_transpose{_nd}d"] = _conv_transpose(_nd)
    RULES[f"max_unpool{_nd}d"] = _fold_rule(
        ("input", "indices", "kernel_size", "stride", "padding", "output_size"), "input",
        _nd + 2, others=("indices",))
RULES["unfold"] = _fold_rule(("input", "kernel_size", "dilation", "padding", "stride"),
                             "input", 4)
RULES["fold"] = _fold_rule(("input", "output_size", "kernel_size", "dilation", "padding",
                            "stride"), "input", 3)
_RESAMPLE = ("input", "size", "scale_factor", "mode", "align_corners",
             "recompute_scale_factor", "antialias")
RULES["interpolate"] = _fold_rule(_RESAMPLE, "input")
RULES["upsample"] = _fold_rule(_RESAMPLE[:5], "input")
RULES["upsample_nearest"] = _fold_rule(("input", "size", "scale_factor"), "input")
RULES["upsample_bilinear"] = _fold_rule(("input", "size", "scale_factor"), "input")
RULES["channel_shuffle"] = _fold_rule(("input", "groups"), "input")


def _trailing(call, level, size, args, kwargs):
    """Ops on the trailing dims only (pixel_shuffle and friends): the value as it is."""
    if any(_batched(t, level) for t in (*args[1:], *kwargs.values())):
        return NotImplemented
    return rewrap(call(args[0]._value, *args[1:], **kwargs), level)


RULES["pixel_shuffle"] = RULES["pixel_unshuffle"] = _trailing


# ---- padding ----
def _pad_rule(call, level, size, args, kwargs):
    a = _bind(("input", "pad", "mode", "value"), args, kwargs)
    x = a["input"]
    if isinstance(a.get("value"), Tensor):
        return NotImplemented
    if a.get("mode", "constant") == "constant":
        a["input"] = x._value
        return make(call(**a), level)
    k = len(a["pad"]) // 2
    if x.dim() not in (k + 1, k + 2):
        return NotImplemented
    return _folded(call, level, size, a, "input", k + 2)


RULES["pad"] = _pad_rule


# ---- normalisations ----
def _affine(y, level, size, weight, bias, lead):
    """y * weight + bias with per-entry weight/bias; `lead` logical dims precede the params."""
    if weight is not None:
        y = y * _pad(_expand(weight, level, size), lead)
    if bias is not None:
        y = y + _pad(_expand(bias, level, size), lead)
    return y


def _last_dims_norm(names):
    def rule(call, level, size, args, kwargs):
        a = _bind(names, args, kwargs)
        x, w, b = a["input"], a.get("weight"), a.get("bias")
        if not _batched(x, level):
            if not _any_batched(level, w, b):
                return NotImplemented
            a["input"] = x = make(_expand(x, level, size), level)
        a["input"] = x._value
        if not _any_batched(level, w, b):
            return make(call(**a), level)
        a["weight"] = None
        if "bias" in names:
            a["bias"] = None
        lead = x.dim() - len(a["normalized_shape"]) if not isinstance(
            a["normalized_shape"], int) else x.dim() - 1
        return make(_affine(call(**a), level, size, w, b, lead), level)
    return rule


RULES["layer_norm"] = _last_dims_norm(("input", "normalized_shape", "weight", "bias", "eps"))
RULES["rms_norm"] = _last_dims_norm(("input", "normalized_shape", "weight", "eps"))


def _channel_affine(y, level, size, w, b, ndim):
    """Per-channel (dim 1 of the logical input) weight and bias, batched or not."""
    def shaped(t):
        if t is None:
            return None
        v = _expand(t, level, size)
        return v.reshape((size, 1, -1) + (1,) * (ndim - 2))
    if w is not None:
        y = y * shaped(w)
    if b is not None:
        y = y + shaped(b)
    return y


def _group_norm(call, level, size, args, kwargs):
    a = _bind(("input", "num_groups", "weight", "bias", "eps"), args, kwargs)
    x, w, b = a["input"], a.get("weight"), a.get("bias")
    if not _batched(x, level) and not _any_batched(level, w, b):
        return NotImplemented
    if x.dim() < 2:
        return NotImplemented
    if not _any_batched(level, w, b):
        return _folded(call, level, size, a, "input", None)
    a["weight"] = a["bias"] = None
    X = _expand(x, level, size)
    n = x.shape[0]
    a["input"] = X.reshape((size * n,) + tuple(x.shape[1:]))
    y = call(**a).reshape(X.shape)
    return make(_channel_affine(y, level, size, w, b, x.dim()), level)


RULES["group_norm"] = _group_norm

_BN_ERROR = (
    "Batch norm got a batched tensor as input while the running_mean or running_var, which "
    "will be updated in place, were not batched.\nIf you are using a module and do not need "
    "eval mode, please set `track_running_stats` to be False.If you are using a prebuilt module "
    "and do not need eval mode, please see the functorch website for resources on how to "
    "patch your module to work with vmap")
_BN = ("input", "running_mean", "running_var", "weight", "bias", "training", "momentum", "eps")


def _batch_norm(call, level, size, args, kwargs):
    a = _bind(_BN, args, kwargs)
    x, rm, rv, w, b = (a.get(k) for k in _BN[:5])
    training = a.get("training", False)
    if x.dim() < 2:
        return NotImplemented
    if training and _batched(x, level) and (
            (rm is not None and not _batched(rm, level)) or
            (rv is not None and not _batched(rv, level))):
        raise RuntimeError(_BN_ERROR)
    if not training and not _any_batched(level, rm, rv):
        # running statistics shared by every entry: fold into N
        if _any_batched(level, w, b):
            a["weight"] = a["bias"] = None
            y = _folded(call, level, size, a, "input", None)._value
            return make(_channel_affine(y, level, size, w, b, x.dim()), level)
        return _folded(call, level, size, a, "input", None)
    # per-entry statistics (and per-entry running statistics): the entries become channels
    import ember
    X = _expand(x, level, size)  # (B, N, C, *)
    n, c = x.shape[0], x.shape[1]
    xc = X.transpose(0, 1).reshape((n, size * c) + tuple(x.shape[2:]))
    stats = {k: None if t is None else _expand(t, level, size).reshape(size * c)
             for k, t in (("running_mean", rm), ("running_var", rv))}
    a.update(input=xc, weight=None, bias=None, **stats)
    y = call(**a).reshape((n, size, c) + tuple(x.shape[2:])).transpose(0, 1)
    with ember.no_grad():  # the updated statistics back into each entry's buffer
        for t, flat in ((rm, stats["running_mean"]), (rv, stats["running_var"])):
            if training and t is not None and _batched(t, level):
                t._value.copy_(flat.reshape(size, c))
    return make(_channel_affine(y, level, size, w, b, x.dim()), level)


RULES["batch_norm"] = _batch_norm
_IN = ("input", "running_mean", "running_var", "weight", "bias", "use_input_stats", "momentum",
       "eps")


def _instance_norm(call, level, size, args, kwargs):
    a = _bind(_IN, args, kwargs)
    x, rm, rv, w, b = (a.get(k) for k in _IN[:5])
    training = a.get("use_input_stats", True)
    if training and _batched(x, level) and (
            (rm is not None and not _batched(rm, level)) or
            (rv is not None and not _batched(rv, level))):
        raise RuntimeError(_BN_ERROR)  # torch's instance norm is a batch norm of a view
    if _any_batched(level, rm, rv) or (rm is not None and training):
        return NotImplemented  # running statistics updated per entry: the counted loop
    if not _any_batched(level, w, b):
        return _folded(call, level, size, a, "input", None)
    a["weight"] = a["bias"] = None
    y = _folded(call, level, size, a, "input", None)._value
    return make(_channel_affine(y, level, size, w, b, x.dim()), level)


RULES["instance_norm"] = _instance_norm
RULES["local_response_norm"] = _fold_rule(("input", "size", "alpha", "beta", "k"), "input")


# ---- embedding ----
_EMB = ("input", "weight", "padding_idx", "max_norm", "norm_type", "scale_grad_by_freq",
        "sparse")


def _embedding(call, level, size, args, kwargs):
    import ember
    a = _bind(_EMB, args, kwargs)
    idx, w = a["input"], a["weight"]
    if not _batched(w, level):
        if a.get("max_norm") is not None:  # torch renorms the shared weight in place
            raise inplace_error("embedding_renorm_", w, [w, idx], size, level)
        a["input"] = idx._value
        return make(call(**a), level)
    if a.get("max_norm") is not None or a.get("scale_grad_by_freq") or a.get("sparse"):
        return NotImplemented
    W = w._value  # (B, V, D): index the rows of all entries as one table
    v = w.shape[0]
    off = ember.arange(size, device=W.device).reshape((size,) + (1,) * idx.dim()) * v
    pad = a.get("padding_idx")
    a.update(input=_expand(idx, level, size) + off, weight=W.reshape(size * v, -1),
             padding_idx=None)
    out = call(**a)
    if pad is not None:  # torch's padding row gets no gradient
        keep = (_expand(idx, level, size) != pad % v).unsqueeze(-1)
        out = ember.where(keep, out, out.detach())
    return make(out, level)


RULES["embedding"] = _embedding


# ---- channel-wise activations ----
def _glu(call, level, size, args, kwargs):
    x = args[0]
    dim = kwargs.get("dim", args[1] if len(args) > 1 else -1)
    return make(call(x._value, _shift(dim, x.dim())), level)


def _prelu(call, level, size, args, kwargs):
    import ember
    a = _bind(("input", "weight"), args, kwargs)
    x, w = a["input"], a["weight"]
    X = _expand(x, level, size)
    if w.numel() == 1:
        W = _expand(w, level, size).reshape((size,) + (1,) * x.dim())
    elif x.dim() >= 2:
        W = _expand(w, level, size).reshape((size, 1, -1) + (1,) * (x.dim() - 2))
    else:
        return NotImplemented
    return make(ember.where(X > 0, X, W * X), level)


RULES["glu"] = _glu
RULES["prelu"] = _prelu


# ---- attention and einsum ----
def _sdpa(call, level, size, args, kwargs):
    a = _bind(("query", "key", "value", "attn_mask", "dropout_p", "is_causal", "scale"),
              args, kwargs)
    if a.get("dropout_p", 0.0):
        mode = _STACK[-1][2]
        if mode == "error":
            raise RuntimeError(_RANDOM_ERROR)
        if mode == "same":
            from .._args import unsupported
            unsupported("torch.func.vmap(randomness='same') of "
                        "torch.nn.functional.scaled_dot_product_attention", "dropout_p",
                        a["dropout_p"])
    ts = [k for k in ("query", "key", "value", "attn_mask") if isinstance(a.get(k), Tensor)]
    rank = max(a[k].dim() for k in ts)
    for k in ts:
        if _batched(a[k], level):
            a[k] = _pad(a[k]._value, rank - a[k].dim())
    return make(call(**a), level)


RULES["scaled_dot_product_attention"] = _sdpa


def _einsum(call, level, size, args, kwargs):
    eq = args[0]
    ops = list(args[1:])
    if len(ops) == 1 and isinstance(ops[0], (list, tuple)):
        ops = list(ops[0])
    if kwargs or not isinstance(eq, str):
        return NotImplemented
    eq = eq.replace(" ", "")
    lhs, arrow, out = eq.partition("->")
    terms = lhs.split(",")
    if not arrow:
        letters = [c for c in lhs if c.isalpha()]
        out = ("..." if "..." in lhs else "") + "".join(
            sorted(c for c in set(letters) if letters.count(c) == 1))
    free = [c for c in "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ" if c not in eq]
    if len(terms) != len(ops) or not free:
        return NotImplemented
    z = free[0]
    new_terms, vals = [], []
    for t, o in zip(terms, ops):
        if _batched(o, level):
            new_terms.append(z + t)
            vals.append(o._value)
        else:
            new_terms.append(t)
            vals.append(o)
    return make(call(",".join(new_terms) + "->" + z + out, *vals), level)


RULES["einsum"] = _einsum


# ---- channel dropouts (randomness='different'): the batch folds into N, a mask per channel ----
_DROP = ("input", "p", "training", "inplace")
for _nd in (1, 2, 3):
    RULES[f"dropout{_nd}d"] = _fold_rule(_DROP, "input", _nd + 2)
RULES["feature_alpha_dropout"] = _fold_rule(_DROP, "input")


# ---- fractional max pooling: its draws follow vmap's randomness flag ----
def _fractional(nd):
    names = ("input", "kernel_size", "output_size", "output_ratio", "return_indices",
             "_random_samples")

    def rule(call, level, size, args, kwargs):
        import ember
        a = _bind(names, args, kwargs)
        x, s = a["input"], a.get("_random_samples")
        if x.dim() not in (nd + 1, nd + 2) or not _batched(x, level):
            return NotImplemented
        n = x.shape[0] if x.dim() == nd + 2 else 1
        if s is None:
            mode = _STACK[-1][2]
            if mode == "error":
                raise RuntimeError(_RANDOM_ERROR)
            if mode == "same":  # one draw, shared by every entry
                s = ember.rand(n, x.shape[-nd - 1], nd, dtype=x.dtype, device=x.device)
        if s is not None:
            S = _expand(s[:n], level, size)
            a["_random_samples"] = S.reshape((size * n,) + tuple(S.shape[2:]))
        if x.dim() == nd + 1:
            a["input"] = x._value
            return _unfold_out(call(**a), level, size, None)
        a["input"] = x._value.reshape((size * n,) + tuple(x.shape[1:]))
        return _unfold_out(call(**a), level, size, n)
    return rule


for _nd in (2, 3):
    RULES[f"fractional_max_pool{_nd}d"] = _fractional(_nd)
    RULES[f"fractional_max_pool{_nd}d_with_indices"] = _fractional(_nd)


def _embedding_bag(call, level, size, args, kwargs):
    a = _bind(("input", "weight", "offsets", "max_norm", "norm_type", "scale_grad_by_freq",
               "mode", "sparse", "per_sample_weights", "include_last_offset", "padding_idx"),
              args, kwargs)
    x, w, psw = a["input"], a["weight"], a.get("per_sample_weights")
    if a.get("offsets") is not None or x.dim() != 2:
        return NotImplemented
    n = x.shape[0]
    X = _expand(x, level, size)
    if _batched(w, level):  # per-entry tables: index the rows of all entries as one table
        import ember
        if a.get("max_norm") is not None or a.get("padding_idx") is not None or \
                a.get("scale_grad_by_freq") or a.get("sparse"):
            return NotImplemented
        v = w.shape[0]
        X = X + ember.arange(size, device=X.device).reshape(size, 1, 1) * v
        a["weight"] = w._value.reshape(size * v, -1)
    a["input"] = X.reshape(size * n, -1)
    if psw is not None:
        a["per_sample_weights"] = _expand(psw, level, size).reshape(size * n, -1)
    return _unfold_out(call(**a), level, size, n)


RULES["embedding_bag"] = _embedding_bag
