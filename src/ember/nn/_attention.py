"""Attention: scaled_dot_product_attention and multi_head_attention_forward, composed from ember
ops (so gradients, including double backward, come for free), in torch's order of operations.

Masks as torch: for scaled_dot_product_attention a boolean mask says where attention is
*allowed*; for multi-head attention a boolean attn_mask / key_padding_mask says where it is
*not* (True = masked out). Float masks are added to the scores in both.
"""

import math
import sys
import warnings

import numpy as np

from .._tensor import _wrap
from ..amp import _hook as _amp
from ..ops.shape import cat


def _F():
    from . import functional
    return functional


def scaled_dot_product_attention(query, key, value, attn_mask=None, dropout_p=0.0,
                                 is_causal=False, scale=None, enable_gqa=False):
    if _amp.on and _amp.active():
        return _amp.lower(scaled_dot_product_attention, query, key, value, attn_mask, dropout_p,
                          is_causal, scale, enable_gqa)
    flags = sys.modules.get("ember.backends.cuda")  # torch.backends.cuda's kernel switches
    if flags is not None and not flags._SDP["math"]:  # only the CPU flash kernel may run
        from .attention import _check_kernels
        _check_kernels(query, key, value, dropout_p)
    L, S = query.shape[-2], key.shape[-2]
    scale_factor = 1 / math.sqrt(query.shape[-1]) if scale is None else scale
    bias = None
    if is_causal:
        allowed = np.tril(np.ones((L, S), bool))
        bias = _wrap(np.where(allowed, 0.0, -np.inf).astype(query.dtype.np))
    if attn_mask is not None:
        md = attn_mask.dtype
        if not (md.is_bool or md.name == "float32" or md is query.dtype):  # torch's check
            from ..ops.inplace import _CPP
            raise RuntimeError("Expected attn_mask dtype to be bool or float or to match query "
                               f"dtype, but got attn_mask.dtype: {_CPP[md.name]} and  "
                               f"query.dtype: {_CPP[query.dtype.name]} instead.")
        if attn_mask.dtype.is_bool:
            m = _wrap(np.where(attn_mask._data, 0.0, -np.inf).astype(query.dtype.np))
            bias = m if bias is None else bias + m
        else:
            bias = attn_mask if bias is None else attn_mask + bias
    if enable_gqa and key.shape[-3] != query.shape[-3]:
        rep = query.shape[-3] // key.shape[-3]
        key = key.repeat_interleave(rep, -3)
        value = value.repeat_interleave(rep, -3)
    w = query @ key.transpose(-2, -1) * scale_factor
    if bias is not None:
        w = w + bias
    w = _F()._softmax_op(_F()._SafeSoftmax, w, -1, None)  # a fully masked row gives zeros
    if dropout_p > 0.0:
        w = _F().dropout(w, dropout_p, True)
    return w @ value


def _canonical_mask(mask, mask_name, other_type, other_name, target_type, check_other=True):
    """torch's _canonical_mask: a bool mask becomes 0 / -inf in target_type (True = masked)."""
    if mask is None:
        return None
    is_float = mask.dtype.is_floating_point
    if not mask.dtype.is_bool and not is_float:
        raise AssertionError(f"only bool and floating types of {mask_name} are supported")
    if check_other and other_type is not None and mask.dtype is not other_type:
        warnings.warn(f"Support for mismatched {mask_name} and {other_name} is deprecated. Use "
                      "same type for both instead.", stacklevel=3)
    if is_float:
        return mask
    return _wrap(np.where(mask._data, -np.inf, 0.0).astype(target_type.np))


def _none_or_dtype(t):
    return None if t is None else t.dtype


def _mha_shape_check(query, key, value, key_padding_mask, attn_mask, num_heads):
    """torch's checks of the inputs' ranks; True when the inputs are batched."""
    kpm, am = key_padding_mask, attn_mask
    if query.dim() == 3:
        if key.dim() != 3 or value.dim() != 3:
            raise AssertionError("For batched (3-D) `query`, expected `key` and `value` to be 3-D "
                                 f"but found {key.dim()}-D and {value.dim()}-D tensors "
                                 "respectively")
        if kpm is not None and kpm.dim() != 2:
            raise AssertionError("For batched (3-D) `query`, expected `key_padding_mask` to be "
                                 f"`None` or 2-D but found {kpm.dim()}-D tensor instead")
        if am is not None and am.dim() not in (2, 3):
            raise AssertionError("For batched (3-D) `query`, expected `attn_mask` to be `None`, "
                                 f"2-D or 3-D but found {am.dim()}-D tensor instead")
        return True
    if query.dim() == 2:
        if key.dim() != 2 or value.dim() != 2:
            raise AssertionError("For unbatched (2-D) `query`, expected `key` and `value` to be "
                                 f"2-D but found {key.dim()}-D and {value.dim()}-D tensors "
                                 "respectively")
        if kpm is not None and kpm.dim() != 1:
            raise AssertionError("For unbatched (2-D) `query`, expected `key_padding_mask` to be "
                                 f"`None` or 1-D but found {kpm.dim()}-D tensor instead")
        if am is not None:
            if am.dim() not in (2, 3):
                raise AssertionError("For unbatched (2-D) `query`, expected `attn_mask` to be "
                                     f"`None`, 2-D or 3-D but found {am.dim()}-D tensor instead")
            expected = (num_heads, query.shape[0], key.shape[0])
            if am.dim() == 3 and tuple(am.shape) != expected:
                raise AssertionError(f"Expected `attn_mask` shape to be {expected} but got "
                                     f"{am.shape}")
        return False
    raise AssertionError("query should be unbatched 2D or batched 3D tensor but received "
                         f"{query.dim()}-D query tensor")


def _in_projection(query, key, value, w, b, separate):
    """q, k, v projected: torch's packed weight (chunked) or three separate weights."""
    F = _F()
    if not separate:
        w_q, w_k, w_v = w.chunk(3)
        b_q, b_k, b_v = (None,) * 3 if b is None else b.chunk(3)
        return F.linear(query, w_q, b_q), F.linear(key, w_k, b_k), F.linear(value, w_v, b_v)
    (w_q, w_k, w_v), bias = w, b
    Eq, Ek, Ev = query.shape[-1], key.shape[-1], value.shape[-1]
    b_q, b_k, b_v = (None,) * 3 if bias is None else bias.chunk(3)
    for what, t, want in (("query weights", w_q, (Eq, Eq)), ("key weights", w_k, (Eq, Ek)),
                          ("value weights", w_v, (Eq, Ev)), ("query bias", b_q, (Eq,)),
                          ("key bias", b_k, (Eq,)), ("value bias", b_v, (Eq,))):
        if t is not None and tuple(t.shape) != want:
            raise AssertionError(f"expecting {what} shape of {want}, but got {t.shape}")
    return F.linear(query, w_q, b_q), F.linear(key, w_k, b_k), F.linear(value, w_v, b_v)


def _static(t, given, n, head_dim, what):
    """k or v as (bsz * num_heads, len, head_dim): projected, or the caller's static one."""
    if given is None:
        return t.view(t.shape[0], n, head_dim).transpose(0, 1)
    if given.size(0) != n:
        raise AssertionError(f"expecting static_{what}.size(0) of {n}, but got {given.size(0)}")
    if given.size(2) != head_dim:
        raise AssertionError(f"expecting static_{what}.size(2) of {head_dim}, but got "
                             f"{given.size(2)}")
    return given


def multi_head_attention_forward(query, key, value, embed_dim_to_check, num_heads,
                                 in_proj_weight, in_proj_bias, bias_k, bias_v, add_zero_attn,
                                 dropout_p, out_proj_weight, out_proj_bias, training=True,
                                 key_padding_mask=None, need_weights=True, attn_mask=None,
                                 use_separate_proj_weight=False, q_proj_weight=None,
                                 k_proj_weight=None, v_proj_weight=None, static_k=None,
                                 static_v=None, average_attn_weights=True, is_causal=False):
    """Matches torch.nn.functional.multi_head_attention_forward (sequence-first inputs), step
    by step: its checks, mask handling, static keys/values, and its two paths (explicit
    weights when need_weights, scaled_dot_product_attention otherwise)."""
    F = _F()
    batched = _mha_shape_check(query, key, value, key_padding_mask, attn_mask, num_heads)
    if not batched:
        query, key, value = query.unsqueeze(1), key.unsqueeze(1), value.unsqueeze(1)
        if key_padding_mask is not None:
            key_padding_mask = key_padding_mask.unsqueeze(0)
    tgt_len, bsz, embed_dim = query.shape
    src_len = key.shape[0]
    key_padding_mask = _canonical_mask(key_padding_mask, "key_padding_mask",
                                       _none_or_dtype(attn_mask), "attn_mask", query.dtype)
    if is_causal and attn_mask is None:
        raise RuntimeError("Need attn_mask if specifying the is_causal hint. You may use the "
                           "Transformer module method `generate_square_subsequent_mask` to "
                           "create this mask.")
    if is_causal and key_padding_mask is None and not need_weights:
        attn_mask = None  # the hint alone goes to scaled_dot_product_attention
    else:
        attn_mask = _canonical_mask(attn_mask, "attn_mask", None, "", query.dtype, False)
        if key_padding_mask is not None:
            is_causal = False  # merged with the padding mask: no longer causal
    if embed_dim != embed_dim_to_check:
        raise AssertionError(f"was expecting embedding dimension of {embed_dim_to_check}, but "
                             f"got {embed_dim}")
    head_dim = embed_dim // num_heads
    if head_dim * num_heads != embed_dim:
        raise AssertionError(f"embed_dim {embed_dim} not divisible by num_heads {num_heads}")
    q, k, v = _projections(query, key, value, in_proj_weight, in_proj_bias,
                           use_separate_proj_weight, q_proj_weight, k_proj_weight, v_proj_weight)
    attn_mask = _attn_mask_3d(attn_mask, tgt_len, src_len, bsz * num_heads)
    if bias_k is not None and bias_v is not None:
        if static_k is not None:
            raise AssertionError("bias cannot be added to static key.")
        if static_v is not None:
            raise AssertionError("bias cannot be added to static value.")
        k = cat([k, bias_k.repeat(1, bsz, 1)])
        v = cat([v, bias_v.repeat(1, bsz, 1)])
        attn_mask, key_padding_mask = _pad_masks(attn_mask, key_padding_mask)
    elif bias_k is not None:
        raise AssertionError("bias_k is set but bias_v is None")
    elif bias_v is not None:
        raise AssertionError("bias_v is set but bias_k is None")
    q = q.view(tgt_len, bsz * num_heads, head_dim).transpose(0, 1)
    k = _static(k, static_k, bsz * num_heads, head_dim, "k")
    v = _static(v, static_v, bsz * num_heads, head_dim, "v")
    if add_zero_attn:
        zeros = q.new_zeros((bsz * num_heads, 1, head_dim))
        k = cat([k, zeros.to(k.dtype)], 1)
        v = cat([v, zeros.to(v.dtype)], 1)
        attn_mask, key_padding_mask = _pad_masks(attn_mask, key_padding_mask)
    src_len = k.shape[1]
    if key_padding_mask is not None:
        if key_padding_mask.shape[0] != bsz:
            raise AssertionError(f"Expected key_padded_mask.shape[0] to be {bsz}, but got "
                                 f"{key_padding_mask.shape[0]}")
        if key_padding_mask.shape[1] != src_len:
            raise AssertionError(f"Expected key_padded_mask.shape[1] to be {src_len}, but got "
                                 f"{key_padding_mask.shape[1]}")
        kpm = key_padding_mask.view(bsz, 1, 1, src_len).expand(-1, num_heads, -1, -1).reshape(
            bsz * num_heads, 1, src_len)
        attn_mask = kpm if attn_mask is None else attn_mask + kpm
    if not training:
        dropout_p = 0.0
    if need_weights:
        out, weights = _explicit_attention(q, k, v, attn_mask, dropout_p, is_causal)
        out = out.transpose(0, 1).reshape(tgt_len * bsz, embed_dim)
        out = F.linear(out, out_proj_weight, out_proj_bias)
        out = out.view(tgt_len, bsz, out.shape[1])
        weights = weights.view(bsz, num_heads, tgt_len, src_len)
        if average_attn_weights:
            weights = weights.mean(dim=1)
        if not batched:
            out, weights = out.squeeze(1), weights.squeeze(0)
        return out, weights
    if attn_mask is not None:
        attn_mask = attn_mask.unsqueeze(0) if attn_mask.size(0) == 1 and attn_mask.dim() == 3 \
            else attn_mask.view(bsz, num_heads, -1, src_len)
    out = scaled_dot_product_attention(q.view(bsz, num_heads, tgt_len, head_dim),
                                       k.view(bsz, num_heads, src_len, head_dim),
                                       v.view(bsz, num_heads, src_len, head_dim), attn_mask,
                                       dropout_p, is_causal)
    out = out.permute(2, 0, 1, 3).reshape(bsz * tgt_len, embed_dim)
    out = F.linear(out, out_proj_weight, out_proj_bias)
    out = out.view(tgt_len, bsz, out.shape[1])
    return (out if batched else out.squeeze(1)), None


def _projections(query, key, value, in_proj_weight, in_proj_bias, separate, w_q, w_k, w_v):
    if separate:
        if key.shape[:2] != value.shape[:2]:
            raise AssertionError(f"key's sequence and batch dims {key.shape[:2]} do not match "
                                 f"value's {value.shape[:2]}")
        for what, w in (("q", w_q), ("k", w_k), ("v", w_v)):
            if w is None:
                raise AssertionError(f"use_separate_proj_weight is True but {what}_proj_weight "
                                     "is None")
        return _in_projection(query, key, value, (w_q, w_k, w_v), in_proj_bias, True)
    if key.shape != value.shape:
        raise AssertionError(f"key shape {key.shape} does not match value shape {value.shape}")
    if in_proj_weight is None:
        raise AssertionError("use_separate_proj_weight is False but in_proj_weight is None")
    return _in_projection(query, key, value, in_proj_weight, in_proj_bias, False)


def _attn_mask_3d(attn_mask, tgt_len, src_len, n):
    if attn_mask is None:
        return None
    if attn_mask.dim() == 2:
        if tuple(attn_mask.shape) != (tgt_len, src_len):
            raise RuntimeError(f"The shape of the 2D attn_mask is {attn_mask.shape}, but should "
                               f"be {(tgt_len, src_len)}.")
        return attn_mask.unsqueeze(0)
    if attn_mask.dim() == 3:
        if tuple(attn_mask.shape) != (n, tgt_len, src_len):
            raise RuntimeError(f"The shape of the 3D attn_mask is {attn_mask.shape}, but should "
                               f"be {(n, tgt_len, src_len)}.")
        return attn_mask
    raise RuntimeError(f"attn_mask's dimension {attn_mask.dim()} is not supported")


def _pad_masks(attn_mask, key_padding_mask):
    """One more key (bias_k or the zero attention): each mask gains a 0 column."""
    F = _F()
    return (None if attn_mask is None else F.pad(attn_mask, (0, 1)),
            None if key_padding_mask is None else F.pad(key_padding_mask, (0, 1)))


def _explicit_attention(q, k, v, attn_mask, dropout_p, is_causal):
    """The need_weights path: softmax(mask + q k^T / sqrt(E)) v, returning the weights too."""
    F = _F()
    q_scaled = q * math.sqrt(1.0 / float(q.shape[-1]))
    if is_causal and attn_mask is None:
        raise AssertionError("FIXME: is_causal not implemented for need_weights")
    w = q_scaled @ k.transpose(-2, -1)
    if attn_mask is not None:
        w = attn_mask + w
    w = F.softmax(w, dim=-1)
    if dropout_p > 0.0:
        w = F.dropout(w, p=dropout_p)
    return w @ v, w
