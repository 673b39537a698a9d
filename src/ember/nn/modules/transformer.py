"""The Transformer family, with torch's parameters, init order and math (MultiheadAttention
lives in activation.py, as torch's does; this module re-exports it as torch's does)."""

import copy
import warnings

import numpy as np

from ..._tensor import _wrap
from ...ops.creation import full
from .. import _attention, init
from .activation import MultiheadAttention
from .module import Module

__all__ = ["TransformerEncoderLayer", "TransformerDecoderLayer",
           "TransformerEncoder", "TransformerDecoder", "Transformer"]


def _nn():
    from ... import nn
    return nn


def _activation(name):
    """torch's _get_activation_fn for a string; a callable is used as it is."""
    if not isinstance(name, str):
        return name
    F = _nn().functional
    if name == "relu":
        return F.relu
    if name == "gelu":
        return F.gelu
    raise RuntimeError(f"activation should be relu/gelu, not {name}")


def _get_activation_fn(activation):
    """torch's private helper of the same name (model code imports it): strings only."""
    if isinstance(activation, str):
        return _activation(activation)
    raise RuntimeError(f"activation should be relu/gelu, not {activation}")


def _relu_or_gelu(act):
    """torch's activation_relu_or_gelu flag: 1 for relu, 2 for gelu, 0 for anything else."""
    nn = _nn()
    if act is nn.functional.relu or isinstance(act, nn.ReLU):
        return 1
    if act is nn.functional.gelu or isinstance(act, nn.GELU):
        return 2
    return 0


class TransformerEncoderLayer(Module):
    """Matches torch.nn.TransformerEncoderLayer."""

    def __init__(self, d_model, nhead, dim_feedforward=2048, dropout=0.1, activation="relu",
                 layer_norm_eps=1e-5, batch_first=False, norm_first=False, bias=True,
                 device=None, dtype=None):
        super().__init__()
        nn, f = _nn(), {"device": device, "dtype": dtype}
        self.self_attn = MultiheadAttention(d_model, nhead, dropout=dropout, bias=bias,
                                            batch_first=batch_first, **f)
        self.linear1 = nn.Linear(d_model, dim_feedforward, bias=bias, **f)
        self.dropout = nn.Dropout(dropout)
        self.linear2 = nn.Linear(dim_feedforward, d_model, bias=bias, **f)
        self.norm_first = norm_first
        self.norm1 = nn.LayerNorm(d_model, eps=layer_norm_eps, bias=bias, **f)
        self.norm2 = nn.LayerNorm(d_model, eps=layer_norm_eps, bias=bias, **f)
        self.dropout1 = nn.Dropout(dropout)
        self.dropout2 = nn.Dropout(dropout)
        activation = _activation(activation)
        self.activation_relu_or_gelu = _relu_or_gelu(activation)
        self.activation = activation

    def __setstate__(self, state):
        super().__setstate__(state)
        if not hasattr(self, "activation"):
            self.activation = _nn().functional.relu

    def forward(self, src, src_mask=None, src_key_padding_mask=None, is_causal=False):
        src_key_padding_mask = _attention._canonical_mask(
            src_key_padding_mask, "src_key_padding_mask", _attention._none_or_dtype(src_mask),
            "src_mask", src.dtype)
        src_mask = _attention._canonical_mask(src_mask, "src_mask", None, "", src.dtype, False)
        x = src
        if self.norm_first:
            x = x + self._sa_block(self.norm1(x), src_mask, src_key_padding_mask, is_causal)
            x = x + self._ff_block(self.norm2(x))
        else:
            x = self.norm1(x + self._sa_block(x, src_mask, src_key_padding_mask, is_causal))
            x = self.norm2(x + self._ff_block(x))
        return x

    def _sa_block(self, x, attn_mask, key_padding_mask, is_causal=False):
        x = self.self_attn(x, x, x, attn_mask=attn_mask, key_padding_mask=key_padding_mask,
                           need_weights=False, is_causal=is_causal)[0]
        return self.dropout1(x)

    def _ff_block(self, x):
        return self.dropout2(self.linear2(self.dropout(self.activation(self.linear1(x)))))


class TransformerDecoderLayer(Module):
    """Matches torch.nn.TransformerDecoderLayer."""

    def __init__(self, d_model, nhead, dim_feedforward=2048, dropout=0.1, activation="relu",
                 layer_norm_eps=1e-5, batch_first=False, norm_first=False, bias=True,
                 device=None, dtype=None):
        super().__init__()
        nn, f = _nn(), {"device": device, "dtype": dtype}
        self.self_attn = MultiheadAttention(d_model, nhead, dropout=dropout, bias=bias,
                                            batch_first=batch_first, **f)
        self.multihead_attn = MultiheadAttention(d_model, nhead, dropout=dropout, bias=bias,
                                                 batch_first=batch_first, **f)
        self.linear1 = nn.Linear(d_model, dim_feedforward, bias=bias, **f)
        self.dropout = nn.Dropout(dropout)
        self.linear2 = nn.Linear(dim_feedforward, d_model, bias=bias, **f)
        self.norm_first = norm_first
        self.norm1 = nn.LayerNorm(d_model, eps=layer_norm_eps, bias=bias, **f)
        self.norm2 = nn.LayerNorm(d_model, eps=layer_norm_eps, bias=bias, **f)
        self.norm3 = nn.LayerNorm(d_model, eps=layer_norm_eps, bias=bias, **f)
        self.dropout1 = nn.Dropout(dropout)
        self.dropout2 = nn.Dropout(dropout)
        self.dropout3 = nn.Dropout(dropout)
        self.activation = _activation(activation)

    def __setstate__(self, state):
        # torch's: a copy (TransformerDecoder clones its layer) whose activation was a module
        # (kept in _modules, not in the state's own keys) gets F.relu, which shadows it
        if "activation" not in state:
            state["activation"] = _nn().functional.relu
        super().__setstate__(state)

    def forward(self, tgt, memory, tgt_mask=None, memory_mask=None, tgt_key_padding_mask=None,
                memory_key_padding_mask=None, tgt_is_causal=False, memory_is_causal=False):
        x = tgt
        if self.norm_first:
            x = x + self._sa_block(self.norm1(x), tgt_mask, tgt_key_padding_mask, tgt_is_causal)
            x = x + self._mha_block(self.norm2(x), memory, memory_mask, memory_key_padding_mask,
                                    memory_is_causal)
            x = x + self._ff_block(self.norm3(x))
        else:
            x = self.norm1(x + self._sa_block(x, tgt_mask, tgt_key_padding_mask, tgt_is_causal))
            x = self.norm2(x + self._mha_block(x, memory, memory_mask, memory_key_padding_mask,
                                               memory_is_causal))
            x = self.norm3(x + self._ff_block(x))
        return x

    def _sa_block(self, x, attn_mask, key_padding_mask, is_causal=False):
        x = self.self_attn(x, x, x, attn_mask=attn_mask, key_padding_mask=key_padding_mask,
                           is_causal=is_causal, need_weights=False)[0]
        return self.dropout1(x)

    def _mha_block(self, x, mem, attn_mask, key_padding_mask, is_causal=False):
        x = self.multihead_attn(x, mem, mem, attn_mask=attn_mask,
                                key_padding_mask=key_padding_mask, is_causal=is_causal,
                                need_weights=False)[0]
        return self.dropout2(x)

    def _ff_block(self, x):
        return self.dropout3(self.linear2(self.dropout(self.activation(self.linear1(x)))))


def _clones(module, n):
    return _nn().ModuleList([copy.deepcopy(module) for _ in range(n)])


def _why_no_nested(layer):
    """torch's reason the encoder cannot run the nested-tensor path ('' when it can)."""
    sa, e = getattr(layer, "self_attn", None), "encoder_layer"
    if not isinstance(layer, TransformerEncoderLayer):
        return f"{e} was not TransformerEncoderLayer"
    for bad, why in ((layer.norm_first, "norm_first was True"),
                     (not sa.batch_first, "self_attn.batch_first was not True(use batch_first "
                                          "for better inference performance)"),
                     (not sa._qkv_same_embed_dim, "self_attn._qkv_same_embed_dim was not True"),
                     (sa.in_proj_bias is None, "self_attn was passed bias=False"),
                     (not layer.activation_relu_or_gelu, "activation_relu_or_gelu was not True"),
                     (layer.norm1.eps != layer.norm2.eps,
                      f"norm1.eps was not equal to {e}.norm2.eps"),
                     (sa.num_heads % 2 == 1, "self_attn.num_heads is odd")):
        if bad:
            return f"{e}.{why}"
    return ""


def _detect_is_causal_mask(mask, is_causal, size):
    """torch's: an explicit hint, or (hint None) whether `mask` is the causal mask."""
    if is_causal is not None or mask is None:
        return is_causal is True
    causal = Transformer.generate_square_subsequent_mask(size, dtype=mask.dtype)
    return tuple(mask.shape) == tuple(causal.shape) and bool((mask == causal).all())


def _seq_len(x, batch_first):
    return x.shape[0] if x.dim() == 2 else x.shape[1 if batch_first else 0]


class TransformerEncoder(Module):
    """Matches torch.nn.TransformerEncoder, including its nested-tensor inference path, whose
    only visible effect is that padded positions leave the layers as zeros."""

    def __init__(self, encoder_layer, num_layers, norm=None, enable_nested_tensor=True,
                 mask_check=True):
        super().__init__()
        self.layers = _clones(encoder_layer, num_layers)
        self.num_layers = num_layers
        self.norm = norm
        self.enable_nested_tensor = self.use_nested_tensor = enable_nested_tensor
        self.mask_check = mask_check
        why = _why_no_nested(encoder_layer)
        if enable_nested_tensor and why:
            warnings.warn(f"enable_nested_tensor is True, but self.use_nested_tensor is False "
                          f"because {why}", stacklevel=2)
            self.use_nested_tensor = False

    def forward(self, src, mask=None, src_key_padding_mask=None, is_causal=None):
        kpm = _attention._canonical_mask(src_key_padding_mask, "src_key_padding_mask",
                                         _attention._none_or_dtype(mask), "mask", src.dtype)
        mask = _attention._canonical_mask(mask, "mask", None, "", src.dtype, False)
        first = self.layers[0]
        valid = self._nested_rows(src, kpm, mask, first)
        if valid is not None:  # torch runs the layers on the unpadded rows only
            kpm = _attention._canonical_mask(_wrap(~valid), "src_key_padding_mask", None, "",
                                             src.dtype, False)
        is_causal = _detect_is_causal_mask(mask, is_causal,
                                           _seq_len(src, first.self_attn.batch_first))
        x = src
        for mod in self.layers:
            x = mod(x, src_mask=mask, is_causal=is_causal, src_key_padding_mask=kpm)
        if valid is not None:  # torch pads its nested result with zeros
            from ...ops.ternary import where
            x = where(_wrap(valid[:, :, None]), x, 0.0)
        return self.norm(x) if self.norm is not None else x

    def _nested_rows(self, src, kpm, mask, first):
        """The (batch, position) rows torch's nested path keeps, or None where torch takes
        the padded path: in eval mode, batched, with a padding mask and no other mask, with
        no gradient to record, and (mask_check) a left-aligned mask."""
        if not getattr(self, "use_nested_tensor", False) or first.training or \
                src.dim() != 3 or kpm is None or mask is not None:
            return None
        keep = kpm._data == 0
        count = keep.sum(1)
        rows = np.arange(keep.shape[1])[None, :] < count[:, None]
        if getattr(self, "mask_check", True) and not (rows == keep).all():
            return None
        from ...autograd import grad_mode
        sa = first.self_attn
        params = (src, sa.in_proj_weight, sa.in_proj_bias, sa.out_proj.weight, sa.out_proj.bias,
                  first.norm1.weight, first.norm1.bias, first.norm2.weight, first.norm2.bias,
                  first.linear1.weight, first.linear1.bias, first.linear2.weight,
                  first.linear2.bias)
        if grad_mode.is_grad_enabled() and any(p is not None and p.requires_grad
                                               for p in params):
            return None
        return rows  # torch takes the first count positions of each row as its sequence


class TransformerDecoder(Module):
    """Matches torch.nn.TransformerDecoder."""

    def __init__(self, decoder_layer, num_layers, norm=None):
        super().__init__()
        self.layers = _clones(decoder_layer, num_layers)
        self.num_layers = num_layers
        self.norm = norm

    def forward(self, tgt, memory, tgt_mask=None, memory_mask=None, tgt_key_padding_mask=None,
                memory_key_padding_mask=None, tgt_is_causal=None, memory_is_causal=False):
        x = tgt
        tgt_is_causal = _detect_is_causal_mask(
            tgt_mask, tgt_is_causal, _seq_len(tgt, self.layers[0].self_attn.batch_first))
        for mod in self.layers:
            x = mod(x, memory, tgt_mask=tgt_mask, memory_mask=memory_mask,
                    tgt_key_padding_mask=tgt_key_padding_mask,
                    memory_key_padding_mask=memory_key_padding_mask,
                    tgt_is_causal=tgt_is_causal, memory_is_causal=memory_is_causal)
        return self.norm(x) if self.norm is not None else x


class Transformer(Module):
    """Matches torch.nn.Transformer."""

    def __init__(self, d_model=512, nhead=8, num_encoder_layers=6, num_decoder_layers=6,
                 dim_feedforward=2048, dropout=0.1, activation="relu", custom_encoder=None,
                 custom_decoder=None, layer_norm_eps=1e-5, batch_first=False, norm_first=False,
                 bias=True, device=None, dtype=None):
        super().__init__()
        nn, f = _nn(), {"device": device, "dtype": dtype}
        if custom_encoder is not None:
            self.encoder = custom_encoder
        else:
            layer = TransformerEncoderLayer(d_model, nhead, dim_feedforward, dropout, activation,
                                            layer_norm_eps, batch_first, norm_first, bias, **f)
            self.encoder = TransformerEncoder(layer, num_encoder_layers, nn.LayerNorm(
                d_model, eps=layer_norm_eps, bias=bias, **f))
        if custom_decoder is not None:
            self.decoder = custom_decoder
        else:
            layer = TransformerDecoderLayer(d_model, nhead, dim_feedforward, dropout, activation,
                                            layer_norm_eps, batch_first, norm_first, bias, **f)
            self.decoder = TransformerDecoder(layer, num_decoder_layers, nn.LayerNorm(
                d_model, eps=layer_norm_eps, bias=bias, **f))
        self._reset_parameters()
        self.d_model, self.nhead, self.batch_first = d_model, nhead, batch_first

    def _reset_parameters(self):
        for p in self.parameters():
            if p.dim() > 1:
                init.xavier_uniform_(p)

    def forward(self, src, tgt, src_mask=None, tgt_mask=None, memory_mask=None,
                src_key_padding_mask=None, tgt_key_padding_mask=None,
                memory_key_padding_mask=None, src_is_causal=None, tgt_is_causal=None,
                memory_is_causal=False):
        batched = src.dim() == 3
        if batched and src.size(0 if self.batch_first else 1) != \
                tgt.size(0 if self.batch_first else 1):
            raise RuntimeError("the batch number of src and tgt must be equal")
        if src.size(-1) != self.d_model or tgt.size(-1) != self.d_model:
            raise RuntimeError("the feature number of src and tgt must be equal to d_model")
        memory = self.encoder(src, mask=src_mask, src_key_padding_mask=src_key_padding_mask,
                              is_causal=src_is_causal)
        return self.decoder(tgt, memory, tgt_mask=tgt_mask, memory_mask=memory_mask,
                            tgt_key_padding_mask=tgt_key_padding_mask,
                            memory_key_padding_mask=memory_key_padding_mask,
                            tgt_is_causal=tgt_is_causal, memory_is_causal=memory_is_causal)

    @staticmethod
    def generate_square_subsequent_mask(sz, device=None, dtype=None):
        """-inf above the diagonal, 0 elsewhere (torch's causal mask)."""
        return full((sz, sz), float("-inf"), dtype=dtype, device=device).triu(1)
