"""Margin losses beyond `_functional_loss.py`: multilabel_margin_loss (ATen's per-sample hinge
over target/non-target class pairs, composed from ember ops so its gradient is autograd's) and
triplet_margin_with_distance_loss (torch's Python composition around any distance function).
"""

import numpy as np

from .. import _dtype as D
from .._device import array_device, to_device, to_host
from .._tensor import _wrap
from ..amp import _hook as _amp
from ..autograd import forward_ad as _fwd
from ..ops.ternary import where
from ._functional_loss import _REDUCTIONS, _resolve

__all__ = ["multilabel_margin_loss", "triplet_margin_with_distance_loss"]


def _check_multilabel(input, target):
    """ATen's shape, dtype and range checks, in its order; (samples, classes)."""
    shape = list(input.shape)
    nd = len(shape)
    if not ((nd == 2 and shape[1]) or (nd == 1 and shape[0]) or nd == 0):
        raise RuntimeError("Expected non-empty vector or matrix with optional 0-dim batch size, "
                           f"but got: {shape}")
    rows, c = (shape[0], shape[1]) if nd == 2 else (1, shape[0] if nd else 1)
    ok = (target.dim() == 2 and list(target.shape) == [rows, c]) if nd == 2 else (
        target.dim() <= 1 and target.numel() == c)
    if not ok:
        raise RuntimeError(f"inconsistent target size: {list(target.shape)} for input of size: "
                           f"{shape}")
    if input.dtype not in (D.float32, D.float64):
        raise NotImplementedError("\"multilabel_margin_loss_forward_out_frame\" not implemented "
                                  f"for '{input.dtype._legacy[:-6]}'")
    if target.dtype is not D.int64:
        raise RuntimeError(f"expected scalar type Long but found {target.dtype._legacy[:-6]}")
    t = to_host(target._data).reshape(rows, c)
    if t.size and (t.min() < -1 or t.max() >= c):
        raise RuntimeError("argument #2 'target' is out of range")
    return rows, c, t


def _target_counts(t, c):
    """Per sample: how often each class is named before the first -1, and whether it is."""
    counts = np.zeros(t.shape, np.int64)
    for row, labels in enumerate(t):
        for k in labels:
            if k < 0:
                break
            counts[row, k] += 1
    return counts, counts > 0


def multilabel_margin_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    """Matches torch.nn.functional.multilabel_margin_loss: per sample,
    sum over named targets j and classes i not named of max(0, 1 - (x[j] - x[i])) / C."""
    if _amp.on and _amp.active():
        return _amp.fp32(multilabel_margin_loss, input, target, size_average, reduce, reduction)
    reduction = _resolve(size_average, reduce, reduction)
    rows, c, t = _check_multilabel(input, target)
    _fwd.refuse("multilabel_margin_loss_forward", input)
    counts, named = _target_counts(t, c)
    dt = input._data.dtype
    pair = counts[:, :, None] * ~named[:, None, :]  # weight of (target j, other class i)
    x = input.reshape(rows, c)
    z = 1 - x.unsqueeze(2) + x.unsqueeze(1)
    h = where(z > 0, z, 0.0) * _wrap(to_device(pair.astype(dt), array_device(input._data)))
    loss = h.sum((1, 2)) / c
    if reduction == "mean":
        out = loss.mean()  # NaN for an empty batch, where torch's value is undefined
    elif reduction == "sum":
        out = loss.sum()
    else:
        out = loss.reshape(()) if input.dim() <= 1 else loss
    if out.grad_fn is not None:
        out.grad_fn._name = "MultilabelMarginLossBackward0"
    return out


def triplet_margin_with_distance_loss(anchor, positive, negative, *, distance_function=None,
                                      margin=1.0, swap=False, reduction="mean"):
    """Matches torch.nn.functional.triplet_margin_with_distance_loss:
    max(d(a, p) - d(a, n) + margin, 0), d defaulting to pairwise_distance."""
    if reduction not in _REDUCTIONS:
        raise ValueError(f"{reduction} is not a valid value for reduction")
    if margin <= 0:
        raise ValueError(f"margin must be greater than 0, got {margin}")
    a, p, n = anchor.dim(), positive.dim(), negative.dim()
    if not a == p == n:
        raise RuntimeError(f"The anchor, positive, and negative tensors are expected to have the "
                           f"same number of dimensions, but got: anchor {a}D, positive {p}D, "
                           f"and negative {n}D inputs")
    if distance_function is None:
        from .functional import pairwise_distance as distance_function
    dist_pos = distance_function(anchor, positive)
    dist_neg = distance_function(anchor, negative)
    if swap:
        from ..ops.pointwise import minimum
        dist_neg = minimum(dist_neg, distance_function(positive, negative))
    loss = (margin + dist_pos - dist_neg).clamp_min(0)
    if reduction == "sum":
        return loss.sum()
    if reduction == "mean":
        return loss.mean()
    return loss
