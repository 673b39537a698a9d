"""Embeddings: `embedding` (one gather forward; backward adds the gradient rows into a zero
table in index order, as torch's loop, skipping padding positions; `scale_grad_by_freq` adds
each row as fma(grad, 1/count, acc)), `max_norm` renormalisation, and `embedding_bag`.
Re-exported by ember.nn.functional."""

__all__ = ["embedding", "embedding_bag"]

import warnings

import numpy as np

from .. import _dtype as D
from .._device import scatter_add as _scatter_add
from .._scatter import fma_rows as _fma_rows
from .._tensor import _wrap
from ..autograd import forward_ad as _fwd
from ..autograd import grad_mode as _gm
from ..autograd.function import Op

_enabled = _gm._enabled

class _Embedding(Op):
    _name = "EmbeddingBackward0"
    _packed_arrays = ("idx",)  # torch saves the indices as a tensor: saved-tensor hooks see it
    jvp = _fwd.multilinear  # linear in the weight (the indices have no tangent)
    _low_grads = True  # torch adds a bfloat16 gradient's rows up in bfloat16

    def forward(ctx, idx, w, padding_idx, scale_grad_by_freq):
        ctx.idx, ctx.n = idx, w.shape[0]
        ctx.padding_idx, ctx.scale = padding_idx, scale_grad_by_freq
        return w[idx]

    def backward(ctx, grad):
        idx = ctx.idx.reshape(-1)
        g = grad._data
        if not _enabled[0] and type(g) is np.ndarray:  # torch's loop, written in place
            g = g.reshape(-1, g.shape[-1])
            if ctx.padding_idx is not None:  # skipped (an inf there does not reach the row)
                keep = idx != ctx.padding_idx
                idx, g = idx[keep], g[keep]
            gw = np.zeros((ctx.n, g.shape[-1]), g.dtype)
            if ctx.scale and g.itemsize == 2:  # float16 / bfloat16: torch scales the rows in
                inv = (1.0 / np.maximum(np.bincount(idx, minlength=ctx.n), 1)).astype(g.dtype)
                g = (g.astype(np.float32) * inv[idx, None].astype(np.float32)).astype(g.dtype)
                _scatter_add(gw, idx, g)  # the dtype, then adds them up in it
            elif ctx.scale:  # each row added as fma(g, 1/count, acc), in index order
                inv = (1.0 / np.maximum(np.bincount(idx, minlength=ctx.n), 1)).astype(g.dtype)
                _fma_rows(gw, idx, g, inv[idx])
            elif g.dtype.char in "fd" and idx.size > 64:
                _add_rows(gw, idx, g)
            else:
                _scatter_add(gw, idx, g)  # in index order, as torch's
            return None, _wrap(gw), None, None
        g = grad.reshape(-1, grad.shape[-1])  # create_graph (or a device): differentiable
        if ctx.padding_idx is not None:
            keep = idx != ctx.padding_idx
            idx, g = idx[keep], g[_wrap(keep)]
        if ctx.scale:
            counts = np.bincount(idx, minlength=ctx.n)
            g = g / _wrap(counts[idx].astype(g.dtype.np)[:, None])
        from ..ops.creation import zeros
        gw = zeros((ctx.n, g.shape[-1]), dtype=g.dtype, device=g.device)
        return None, gw.index_add(0, _wrap(idx), g), None, None


def _add_rows(gw, idx, g):
    """gw[idx] += g from zeros, in index order, as torch's index_add (0 + the first row, then
    each repeat in turn): the rows looked up once are assigned (0 + g: a -0.0 becomes +0.0),
    only the repeated ones go through the ordered scatter. A batch of 32 x 50 tokens from
    10000 has ~250 repeats in 1600: 590 -> 370 us with the dense gradient's zeros."""
    once = np.bincount(idx, minlength=gw.shape[0])[idx] == 1
    if once.all():
        gw[idx] = g + 0.0
        return
    gw[idx[once]] = g[once] + 0.0
    rest = ~once
    _scatter_add(gw, idx[rest], g[rest])


def _index_dtype_error(t, arg, fn):
    return RuntimeError(f"Expected tensor for argument #{arg} '{t}' to have one of the following "
                        "scalar types: Long, Int; but got torch.{} instead (while checking "
                        f"arguments for {fn})")


def _renorm_rows(weight, input, max_norm, norm_type):
    """Matches torch.embedding_renorm_: each distinct looked-up row (in sorted order, negative
    ones wrapped as select() does) whose norm exceeds max_norm is scaled down in place."""
    if weight.dim() != 2:
        raise RuntimeError(f"Expected 2-dimensional tensor, but got {weight.dim()}-dimensional "
                           "tensor for argument #1 'self' (while checking arguments for "
                           "embedding_renorm_)")
    if input.dtype not in (D.int64, D.int32):
        raise RuntimeError(str(_index_dtype_error("indices", 2, "embedding_renorm_")).format(
            input.dtype._legacy))
    n = weight.shape[0]
    rows = np.unique(input._data.reshape(-1))
    bad = (rows < -n) | (rows >= n)
    if bad.any():
        first = int(np.argmax(bad))
        _renorm(weight, rows[:first], max_norm, norm_type)  # torch got this far first
        raise IndexError(f"select(): index {int(rows[first])} out of range for tensor of size "
                         f"[{n}, {weight.shape[1]}] at dimension 0")
    _renorm(weight, rows, max_norm, norm_type)


def _renorm(weight, rows, max_norm, norm_type):
    if not len(rows):
        return
    rows = np.unique(np.where(rows < 0, rows + weight.shape[0], rows))
    norms = weight.detach()[_wrap(rows)].norm(norm_type, dim=1)._data.astype(np.float64)
    big = norms > max_norm
    if big.any():
        w = weight._data
        scale = max_norm / (norms[big] + 1e-7)
        w[rows[big]] *= scale.astype(w.dtype)[:, None]
        weight._bump()


def embedding(input, weight, padding_idx=None, max_norm=None, norm_type=2.0,
              scale_grad_by_freq=False, sparse=False):
    """Matches torch.nn.functional.embedding: rows of weight picked by integer input (never
    wrapped: a negative or too large index is torch's IndexError)."""
    if padding_idx is not None:
        n = weight.size(0)
        if padding_idx > 0:
            if padding_idx >= n:
                raise AssertionError("Padding_idx must be within num_embeddings")
        elif padding_idx < 0:
            if padding_idx < -n:
                raise AssertionError("Padding_idx must be within num_embeddings")
            padding_idx = n + padding_idx
    if max_norm is not None:
        with _gm.no_grad():
            _renorm_rows(weight, input, max_norm, norm_type)
    if sparse:
        from .._args import unsupported
        unsupported("torch.nn.functional.embedding", "sparse", sparse)
    if weight.dim() != 2:
        raise RuntimeError("'weight' must be 2-D")
    if input.dtype not in (D.int64, D.int32):
        raise RuntimeError(str(_index_dtype_error("indices", 1, "embedding")).format(
            input.dtype._legacy))
    idx = input._data
    if idx.size and (idx.min() < 0 or idx.max() >= weight.size(0)):
        raise IndexError("index out of range in self")
    return _Embedding.run((None, weight), (idx, weight._data),
                          {"padding_idx": padding_idx, "scale_grad_by_freq": scale_grad_by_freq})


def embedding_bag(input, weight, offsets=None, max_norm=None, norm_type=2, scale_grad_by_freq=False,
                  mode="mean", sparse=False, per_sample_weights=None, include_last_offset=False,
                  padding_idx=None):
    """Matches torch.nn.functional.embedding_bag (sum / mean / max over each bag), with torch's
    checks in torch's order."""
    if weight.dtype is D.int64 and input.dtype.is_floating_point:
        warnings.warn("Argument order of nn.functional.embedding_bag was changed. Usage "
                      "`embedding_bag(weight, input, ...)` is deprecated, and should now be "
                      "`embedding_bag(input, weight, ...)`.", stacklevel=2)
        weight, input = input, weight
    if per_sample_weights is not None and input.shape != per_sample_weights.shape:
        raise ValueError(f"embedding_bag: If per_sample_weights ({per_sample_weights.shape!r}) "
                         f"is not None, then it must have the same shape as the input "
                         f"({input.shape!r})")
    if weight.dim() != 2:
        raise ValueError(f"weight has to be a 2D Tensor, but got Tensor of dimension "
                         f"{weight.dim()}")
    input, offsets, include_last_offset, per_sample_weights = _bags(
        input, offsets, include_last_offset, per_sample_weights)
    if mode == "max":
        if scale_grad_by_freq:
            raise ValueError("max mode does not support scaling the gradient by the frequency")
        if sparse:
            raise ValueError("max mode does not support sparse weights")
    elif mode not in ("sum", "mean"):
        raise ValueError("mode has to be one of sum, mean or max")
    if max_norm is not None:
        with _gm.no_grad():
            _renorm_rows(weight, input, max_norm, norm_type)
    if per_sample_weights is not None and mode != "sum":
        raise NotImplementedError("embedding_bag: per_sample_weights was not None. "
                                  "per_sample_weights is only supported for mode='sum' (got "
                                  f"mode='{mode}'). Please open a feature request on GitHub.")
    if sparse:
        from .._args import unsupported
        unsupported("torch.nn.functional.embedding_bag", "sparse", sparse)
    _fwd.refuse("_embedding_bag", weight)
    _fwd.refuse("_embedding_bag_forward_only", per_sample_weights)
    padding_idx = _check_bag_arrays(input, weight, offsets, mode, per_sample_weights,
                                    include_last_offset, padding_idx)
    return _bag_sums(input, weight, offsets, mode, per_sample_weights, include_last_offset,
                     padding_idx, scale_grad_by_freq)


def _bags(input, offsets, include_last_offset, per_sample_weights):
    """torch's Python-side handling of a 2-d (fixed-length bags) or 1-d input."""
    from ..ops.creation import arange
    if input.dim() == 2:
        if offsets is not None:
            raise ValueError("if input is 2D, then offsets has to be None, as input is treated is "
                             "a mini-batch of fixed length sequences. However, found offsets of "
                             f"type {type(offsets)}")
        offsets = arange(0, input.numel(), input.size(1), dtype=input.dtype)
        input = input.reshape(-1)
        if per_sample_weights is not None:
            per_sample_weights = per_sample_weights.reshape(-1)
        return input, offsets, False, per_sample_weights
    if input.dim() == 1:
        if offsets is None:
            raise ValueError("offsets has to be a 1D Tensor but got None")
        if offsets.dim() != 1:
            raise ValueError("offsets has to be a 1D Tensor")
        return input, offsets, include_last_offset, per_sample_weights
    raise ValueError(f"input has to be 1D or 2D Tensor, but got Tensor of dimension "
                     f"{input.dim()}")


def _check_bag_arrays(input, weight, offsets, mode, psw, include_last_offset, padding_idx):
    """torch's C++ checks of embedding_bag; returns padding_idx wrapped (or None)."""
    n = weight.shape[0]
    if padding_idx is not None:
        if not -n <= padding_idx < n:
            raise RuntimeError(f"padding_idx must be within the number of embeddings, -{n} "
                               f"through {n - 1}, but got {padding_idx}")
        padding_idx %= n
    for t, what in ((input, "indices"), (offsets, "offsets")):
        if t.dtype not in (D.int64, D.int32):
            raise RuntimeError(str(_index_dtype_error(what, 1, "embedding_bag")).format(
                t.dtype._legacy))
    if input.dtype is not offsets.dtype:
        raise RuntimeError(f"Expected tensor for argument #1 'indices' to have the same type as "
                           f"tensor for argument #1 'offsets'; but type "
                           f"torch.{input.dtype._legacy} does not equal "
                           f"torch.{offsets.dtype._legacy} (while checking arguments for "
                           "embedding_bag)")
    if not weight.dtype.is_floating_point:
        raise RuntimeError("Expected tensor for argument #1 'weight' to have one of the "
                           "following scalar types: Half, BFloat16, Float, Double; but got "
                           f"torch.{weight.dtype._legacy} instead (while checking arguments for "
                           "embedding_bag)")
    off, idx = offsets._data, input._data
    if off.size:
        if off[0] != 0:
            raise RuntimeError("offsets[0] has to be 0, i.e., the first sequence in the "
                               "mini-batch has to start from position 0. However, got "
                               f"{int(off[0])}\n[ torch.{offsets.dtype._legacy}{{}} ]")
        if off[-1] > idx.size:
            raise RuntimeError(f"offsets[-1] can not be greater than input's length {idx.size} "
                               f"but got offsets[-1] of {int(off[-1])}")
    if psw is not None and psw.dtype is not weight.dtype:
        raise RuntimeError(f"Expected tensor for argument #1 'weight' to have the same type as "
                           f"tensor for argument #1 'per_sample_weights'; but type "
                           f"torch.{weight.dtype._legacy} does not equal "
                           f"torch.{psw.dtype._legacy} (while checking arguments for "
                           "embedding_bag)")
    if include_last_offset and not off.size:
        raise RuntimeError("include_last_offset: number of offset should be at least 1")
    if off.size and ((off < 0) | (off > idx.size)).any():
        raise IndexError("index out of range in self")
    bad = (idx < 0) | (idx >= n)
    if bad.any():
        i = int(np.argmax(bad))
        if mode != "max" and padding_idx is None and weight.dtype is not D.float64:
            raise RuntimeError(f"Index {i} of input takes value {int(idx[i])} which is not in "
                               f"the valid range [0, {n})")  # the fast kernel's words
        raise RuntimeError("embedding_bag: Expected idx >= 0 && idx < num_embeddings but found "
                           f"idx to be {int(idx[i])}")
    return padding_idx


def _bag_sums(input, weight, offsets, mode, psw, include_last_offset, padding_idx, scale):
    """The bags' sums / means / maxima from ember ops (so every gradient comes for free)."""
    from .._device import to_host
    from ..ops.creation import tensor as _tensor
    from ..ops.creation import zeros as _zeros
    dev = weight.device  # the bags' bookkeeping runs on the host, the sums on the weight's device

    def tensor(a):
        return _tensor(a, device=dev)

    def zeros(*size, dtype):
        return _zeros(*size, dtype=dtype, device=dev)
    off = to_host(offsets._data).astype(np.int64)
    n_bags = len(off) - 1 if include_last_offset else len(off)
    ends = np.append(off[1:], input.numel())[:n_bags] if not include_last_offset else off[1:]
    bag = np.repeat(np.arange(n_bags), np.maximum(ends - off[:n_bags], 0))
    m = len(bag)
    idx = to_host(input._data)[:m]
    keep = np.ones(m, bool) if padding_idx is None else idx != padding_idx
    emb = embedding(tensor(idx[keep]), weight, None, None, 2.0, scale)
    d = weight.size(1)
    if mode == "max":
        rows = []
        for i in range(n_bags):
            sel = np.nonzero(bag[keep] == i)[0]
            # max(0), not amax: its gradient goes whole to the first maximum in bag order (torch's
            # max_indices), where amax shares it between tied rows
            rows.append(emb[tensor(sel)].max(0)[0] if len(sel) else zeros(d, dtype=weight.dtype))
        from ..ops.shape import stack
        return stack(rows) if rows else zeros((0, d), dtype=weight.dtype)
    if psw is not None:
        emb = emb * psw[tensor(np.nonzero(keep)[0])].unsqueeze(1)
    out = zeros((n_bags, d), dtype=weight.dtype).index_add(0, tensor(bag[keep]), emb)
    if mode == "mean":
        counts = np.bincount(bag[keep], minlength=n_bags).astype(weight.dtype.np)
        out = out / tensor(np.maximum(counts, 1)[:, None])
    return out
