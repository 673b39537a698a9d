"""Attention: scaled_dot_product_attention and multi_head_attention_forward, composed from ember
ops (so gradients, including double backward, come for free), in torch's order of operations.

Masks as torch: for scaled_dot_product_attention a boolean mask says where attention is
*allowed*; for multi-head attention a boolean attn_mask / key_padding_mask says where it is
*not* (True = masked out). Float masks are added to the scores in both.
"""

import math

import numpy as np

from .._tensor import _wrap
from ..ops.shape import cat


def _F():
    from . import functional
    return functional


def scaled_dot_product_attention(query, key, value, attn_mask=None, dropout_p=0.0,
                                 is_causal=False, scale=None, enable_gqa=False):
    L, S = query.shape[-2], key.shape[-2]
    scale_factor = 1 / math.sqrt(query.shape[-1]) if scale is None else scale
    bias = None
    if is_causal:
        allowed = np.tril(np.ones((L, S), bool))
        bias = _wrap(np.where(allowed, 0.0, -np.inf).astype(query.dtype.np))
    if attn_mask is not None:
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
    w = _F().softmax(w, dim=-1)
    if dropout_p > 0.0:
        w = _F().dropout(w, dropout_p, True)
    return w @ value


def _bool_to_float(mask, dtype):
    if mask is None or not mask.dtype.is_bool:
        return mask
    return _wrap(np.where(mask._data, -np.inf, 0.0).astype(dtype.np))


def multi_head_attention_forward(query, key, value, embed_dim_to_check, num_heads,
                                 in_proj_weight, in_proj_bias, bias_k, bias_v, add_zero_attn,
                                 dropout_p, out_proj_weight, out_proj_bias, training=True,
                                 key_padding_mask=None, need_weights=True, attn_mask=None,
                                 use_separate_proj_weight=False, q_proj_weight=None,
                                 k_proj_weight=None, v_proj_weight=None, static_k=None,
                                 static_v=None, average_attn_weights=True, is_causal=False):
    """Matches torch.nn.functional.multi_head_attention_forward (sequence-first inputs)."""
    F = _F()
    unbatched = query.dim() == 2
    if unbatched:
        query, key, value = query.unsqueeze(1), key.unsqueeze(1), value.unsqueeze(1)
        if key_padding_mask is not None:
            key_padding_mask = key_padding_mask.unsqueeze(0)
    tgt_len, bsz, embed_dim = query.shape
    src_len = key.shape[0]
    if embed_dim != embed_dim_to_check:
        raise AssertionError(f"was expecting embedding dimension of {embed_dim_to_check}, but "
                             f"got {embed_dim}")
    head_dim = embed_dim // num_heads
    if head_dim * num_heads != embed_dim:
        raise AssertionError(f"embed_dim {embed_dim} not divisible by num_heads {num_heads}")
    if is_causal and attn_mask is None:
        attn_mask = _wrap(np.triu(np.ones((tgt_len, src_len), bool), 1))
    key_padding_mask = _bool_to_float(key_padding_mask, query.dtype)
    attn_mask = _bool_to_float(attn_mask, query.dtype)
    if not use_separate_proj_weight:
        w_q, w_k, w_v = in_proj_weight.chunk(3)
    else:
        w_q, w_k, w_v = q_proj_weight, k_proj_weight, v_proj_weight
    b_q = b_k = b_v = None
    if in_proj_bias is not None:
        b_q, b_k, b_v = in_proj_bias.chunk(3)
    q = F.linear(query, w_q, b_q)
    k = F.linear(key, w_k, b_k)
    v = F.linear(value, w_v, b_v)
    if attn_mask is not None and attn_mask.dim() == 2:
        attn_mask = attn_mask.unsqueeze(0)
    if bias_k is not None and bias_v is not None:
        k = cat([k, bias_k.repeat(1, bsz, 1)])
        v = cat([v, bias_v.repeat(1, bsz, 1)])
        if attn_mask is not None:
            attn_mask = F.pad(attn_mask, (0, 1))
        if key_padding_mask is not None:
            key_padding_mask = F.pad(key_padding_mask, (0, 1))
    q = q.view(tgt_len, bsz * num_heads, head_dim).transpose(0, 1)
    k = k.view(k.shape[0], bsz * num_heads, head_dim).transpose(0, 1)
    v = v.view(v.shape[0], bsz * num_heads, head_dim).transpose(0, 1)
    if add_zero_attn:
        zeros = q.new_zeros((bsz * num_heads, 1, head_dim))
        k = cat([k, zeros], 1)
        v = cat([v, zeros], 1)
        if attn_mask is not None:
            attn_mask = F.pad(attn_mask, (0, 1))
        if key_padding_mask is not None:
            key_padding_mask = F.pad(key_padding_mask, (0, 1))
    src_len = k.shape[1]
    if key_padding_mask is not None:
        kpm = key_padding_mask.view(bsz, 1, 1, src_len).expand(
            bsz, num_heads, 1, src_len).reshape(bsz * num_heads, 1, src_len)
        attn_mask = kpm if attn_mask is None else attn_mask + kpm
    if not training:
        dropout_p = 0.0
    q_scaled = q * math.sqrt(1.0 / float(head_dim))
    w = q_scaled @ k.transpose(-2, -1)
    if attn_mask is not None:
        w = w + attn_mask
    w = F.softmax(w, dim=-1)
    if dropout_p > 0.0:
        w = F.dropout(w, p=dropout_p)
    out = (w @ v).transpose(0, 1).contiguous().view(tgt_len * bsz, embed_dim)
    out = F.linear(out, out_proj_weight, out_proj_bias).view(tgt_len, bsz, embed_dim)
    weights = None
    if need_weights:
        weights = w.view(bsz, num_heads, tgt_len, src_len)
        if average_attn_weights:
            weights = weights.mean(dim=1)
        if unbatched:
            weights = weights.squeeze(0)
    if unbatched:
        out = out.squeeze(1)
    return out, weights
