"""The margin and embedding losses of torch.nn.functional: soft_margin_loss, the pairwise
losses (cosine_embedding, margin_ranking, hinge_embedding), multi_margin_loss,
multilabel_soft_margin_loss and triplet_margin_loss following ATen's formulas step by step;
multilabel_margin_loss (ATen's per-sample hinge over target/non-target class pairs, composed from
ember ops so its gradient is autograd's) and triplet_margin_with_distance_loss (torch's Python
composition around any distance function). The reductions and their legacy arguments are
`_functional_loss.py`'s.
"""

import numpy as np

from .. import _dtype as D
from .._device import array_device, to_device, to_host
from .._tensor import _wrap
from ..amp import _hook as _amp
from ..autograd import forward_ad as _fwd
from ..autograd import grad_mode as _gm
from ..autograd.function import Op
from ..ops.ternary import where
from ._functional_loss import _REDUCTIONS, _BackwardError, _legacy_reduction, _reduce, _resolve

__all__ = ["cosine_embedding_loss", "margin_ranking_loss", "hinge_embedding_loss",
           "multi_margin_loss", "multilabel_soft_margin_loss", "soft_margin_loss",
           "triplet_margin_loss", "multilabel_margin_loss", "triplet_margin_with_distance_loss"]

_enabled = _gm._enabled


def soft_margin_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    """Matches torch.nn.functional.soft_margin_loss: log(1 + exp(-y x)), in the input's dtype
    and shape (torch writes each step into -input in place)."""
    if _amp.on and _amp.active():
        return _amp.fp32(soft_margin_loss, input, target, size_average, reduce, reduction)
    reduction = _resolve(size_average, reduce, reduction)
    if target.requires_grad and _enabled[0]:
        raise RuntimeError("The function 'soft_margin_loss' is not differentiable with respect "
                           "to argument 'target'. This input cannot have requires_grad True.")
    if _fwd._fw[0] and _fwd.tangent_of(target) is not None:  # torch's target has no tangent,
        _fwd.refuse("soft_margin_loss_backward", input)  # and with the input's it raises
        target = target.detach()
    neg = -input
    _check_into(neg, target)
    if not neg.dtype.is_floating_point:  # exp_ of an integral tensor in place
        from ..ops.inplace import _cast_error
        raise _cast_error(D.get_default_dtype(), neg.dtype)
    loss = (neg * target).exp().log1p()
    if loss.dtype is not input.dtype:
        loss = loss.to(input.dtype)
    if target.dtype is D.bool_ and loss.requires_grad:  # torch's backward negates the target
        loss = _BackwardError.run((loss,), (loss._data,), {
            "msg": "Negation, the `-` operator, on a bool tensor is not supported. If you are "
                   "trying to invert a mask, use the `~` or `logical_not()` operator instead.",
            "name": "SoftMarginLossBackward0"})
    return _reduce(loss, reduction, "SoftMarginLossBackward0")


def _check_into(out, other):
    """torch's errors for `out.op_(other)`: the broadcast must keep out's shape, and the
    promoted dtype must cast to out's."""
    shape = tuple(np.broadcast_shapes(out.shape, other.shape)) if _broadcastable(out, other) \
        else ()
    if shape != tuple(out.shape):
        raise RuntimeError(f"output with shape {list(out.shape)} doesn't match the broadcast "
                           f"shape {list(shape)}")
    dt = D.promote_types(out.dtype, other.dtype)
    if not D.can_cast(dt, out.dtype):
        from ..ops.inplace import _cast_error
        raise _cast_error(dt, out.dtype)


def cosine_embedding_loss(input1, input2, target, margin=0, size_average=None, reduce=None,
                          reduction="mean"):
    """Matches torch.nn.functional.cosine_embedding_loss."""
    if _amp.on and _amp.active():
        return _amp.fp32(cosine_embedding_loss, input1, input2, target, margin, size_average,
                         reduce, reduction)
    reduction = _resolve(size_average, reduce, reduction)
    dim = target.dim()
    if dim not in (0, 1):
        raise RuntimeError("0D or 1D target tensor expected, multi-target not supported")
    if input1.dim() != dim + 1 or input2.dim() != dim + 1:
        raise RuntimeError(f"{dim}D target tensor expects {dim + 1}D input tensors, but found "
                           f"inputs with sizes {list(input1.shape)} and {list(input2.shape)}.")
    prod = (input1 * input2).sum(dim)
    m1 = (input1 * input1).sum(dim) + 1e-12
    m2 = (input2 * input2).sum(dim) + 1e-12
    cos = prod / (m1 * m2).sqrt()
    _broadcastable(target, cos)
    zeros = cos.detach() * 0
    pos = where(target == 1, 1 - cos, zeros)
    neg = where(target == -1, (cos - margin).clamp_min(0), zeros)
    return _reduce(pos + neg, reduction)


def _broadcastable(a, b):
    """torch's broadcasting error (naming a and b) where a and b do not broadcast."""
    from ..ops.shape import broadcast_tensors
    broadcast_tensors(a, b)
    return True


def margin_ranking_loss(input1, input2, target, margin=0, size_average=None, reduce=None,
                        reduction="mean"):
    """Matches torch.nn.functional.margin_ranking_loss: max(0, -y (x1 - x2) + margin)."""
    if _amp.on and _amp.active():
        return _amp.fp32(margin_ranking_loss, input1, input2, target, margin, size_average, reduce,
                         reduction)
    reduction = _resolve(size_average, reduce, reduction)
    if input1.dim() != input2.dim() or input1.dim() != target.dim():
        raise RuntimeError(f"margin_ranking_loss : All input tensors should have same dimension "
                           f"but got sizes: input1: {input1.shape}, input2: {input2.shape}, "
                           f"target: {target.shape} ")
    return _reduce((-target * (input1 - input2) + margin).clamp_min(0), reduction)


def hinge_embedding_loss(input, target, margin=1.0, size_average=None, reduce=None,
                         reduction="mean"):
    """Matches torch.nn.functional.hinge_embedding_loss."""
    if _amp.on and _amp.active():
        return _amp.fp32(hinge_embedding_loss, input, target, margin, size_average, reduce,
                         reduction)
    reduction = _resolve(size_average, reduce, reduction)
    _broadcastable(target, input)
    zeros = input.detach().new_zeros(input.shape)  # not input * 0: -0.0, and NaN at inf
    out_margin = where(target != 1, (margin - input).clamp_min(0), zeros)
    out_self = where(target != -1, input, zeros)
    return _reduce(out_margin + out_self, reduction)


def multi_margin_loss(input, target, p=1, margin=1.0, weight=None, size_average=None,
                      reduce=None, reduction="mean"):
    """Matches torch.nn.functional.multi_margin_loss:
    sum_{j != y} max(0, margin - x[y] + x[j])^p * w[y] / C per sample."""
    if _amp.on and _amp.active():
        return _amp.fp32(multi_margin_loss, input, target, p, margin, weight, size_average, reduce,
                         reduction)
    reduction = _resolve(size_average, reduce, reduction)
    if p not in (1, 2):
        raise ValueError("only p == 1 and p == 2 supported")
    if weight is not None and weight.dim() != 1:
        raise ValueError("weight must be one-dimensional")
    c, rows = _check_multi_margin(input, target, weight)
    _fwd.refuse("multi_margin_loss", input, weight)
    w = None if weight is None else weight._data
    loss = _MultiMargin.run((input, target, weight), (input._data.reshape(rows, c),
                            target._data.reshape(-1), w),
                            {"p": p, "margin": margin, "reduction": reduction,
                             "shape": tuple(target.shape)})  # ('none': the target's shape)
    return loss


class _MultiMargin(Op):
    """ATen's multi_margin_loss kernel: each sample's loss is 0 + h_j over the other classes j in
    order, in the input's dtype, h_j = max(0, margin - x[y] + x[j])^p * w[y] (margin - x[y]
    rounded first), divided by C; 'mean' and 'sum' add the samples' losses in order in double
    precision (its CPU accumulate type) and divide by N there. The backward is its kernel's
    g = 1 / (N C) or 1 / C, h = g or 2 g z (times w[y]) at the classes with z > 0, the target
    class 0 - h_j in order, all times the upstream gradient; a second derivative raises, as
    torch's."""

    _name = "MultiMarginLossBackward0"
    save_inputs = (0,)

    def forward(ctx, x, t, w, p, margin, reduction, shape):
        dt = x.dtype
        n, c = x.shape
        rows = np.arange(n)
        z = (dt.type(margin) - x[rows, t])[:, None] + x
        keep = z > 0
        keep[rows, t] = False
        h = z if p == 1 else z * z
        if w is not None:
            h = h * w[t][:, None]
        h = np.where(keep, h, dt.type(0))
        ctx.z, ctx.keep, ctx.t, ctx.w, ctx.p, ctx.reduction = z, keep, t, w, p, reduction
        loss = np.add.accumulate(h, axis=1)[:, -1] + dt.type(0)  # (0 + the first: +0 for none)
        loss /= dt.type(c)
        if reduction == "none":
            return loss.reshape(shape)
        total = np.add.accumulate(loss.astype(np.float64))[-1] + 0.0 if n else np.float64(0)
        if reduction == "mean":  # (an empty batch: NaN; torch leaves the result unwritten)
            with np.errstate(invalid="ignore"):
                total = total / np.float64(n)
        return np.asarray(total, dt)

    def backward(ctx, grad):
        z, keep, t = ctx.z, ctx.keep, ctx.t
        dt = z.dtype
        n, c = z.shape
        g = dt.type(1.0 / (n * c) if ctx.reduction == "mean" and n else 1.0 / c)
        h = np.full(z.shape, g) if ctx.p == 1 else (dt.type(2) * g) * z
        if ctx.w is not None:
            h *= ctx.w[t][:, None]
        gi = np.where(keep, h, dt.type(0))
        tgt = np.add.accumulate(np.where(keep, -h, dt.type(0)), axis=1)[:, -1]
        gi[np.arange(n), t] = tgt + dt.type(0)  # 0 - h_j in order
        gd = grad._data
        gi *= gd if gd.ndim == 0 else gd.reshape(-1, 1)
        shape = ctx._in_meta[0][0]
        out = _wrap(gi.reshape(shape))
        if _enabled[0]:  # create_graph: the second derivative raises, as torch's
            out = _BackwardError.run((grad, ctx.saved_tensors[0]), (gi.reshape(shape),), {
                "msg": "derivative for aten::multi_margin_loss_backward is not implemented",
                "name": "torch::autograd::NotImplemented"})
        return out, None, None


def _check_multi_margin(input, target, weight):
    """torch's checks of multi_margin_loss, in its order; (classes, samples)."""
    shape = list(input.shape)
    nd = len(shape)
    if not ((nd == 2 and shape[1]) or (nd == 1 and shape[0]) or nd == 0):
        raise RuntimeError("Expected non-empty vector or matrix with optional 0-dim batch size, "
                           f"but got: {shape}")
    rows, c = (shape[0], shape[1]) if nd == 2 else (1, shape[0] if nd else 1)
    if target.dim() > 1 or target.numel() != rows:
        raise RuntimeError("multi_margin_loss: target tensor should be 1-D with size equal to the "
                           "number of input samples (batch size). Expected target size "
                           f"[{rows}], but got {list(target.shape)}. Input has shape {shape}.")
    if weight is not None and weight.numel() != c:
        raise RuntimeError(f"inconsistent weight size, expected {c} but got "
                           f"{list(weight.shape)}")
    if not input.dtype.is_floating_point:
        raise NotImplementedError("\"multi_margin_loss_cpu_kernel\" not implemented for "
                                  f"'{input.dtype._legacy[:-6]}'")
    for t, want in ((target, D.int64), (weight, input.dtype)):
        if t is not None and t.dtype is not want:
            raise RuntimeError(f"expected scalar type {want._legacy[:-6]} but found "
                               f"{t.dtype._legacy[:-6]}")
    td = target._data
    if td.size and (td.min() < 0 or td.max() >= c):
        raise RuntimeError("target out of range")
    return c, rows


def multilabel_soft_margin_loss(input, target, weight=None, size_average=None, reduce=None,
                                reduction="mean"):
    """Matches torch.nn.functional.multilabel_soft_margin_loss."""
    if size_average is not None or reduce is not None:
        reduction = _legacy_reduction(size_average, reduce)
    from .functional import logsigmoid
    loss = -(target * logsigmoid(input) + (1 - target) * logsigmoid(-input))
    if weight is not None:
        loss = loss * weight
    class_dim = input.dim() - 1
    loss = loss.sum(class_dim) / input.shape[class_dim]
    if reduction not in _REDUCTIONS:
        raise ValueError(reduction + " is not valid")
    return _reduce(loss, reduction)


def triplet_margin_loss(anchor, positive, negative, margin=1.0, p=2, eps=1e-6, swap=False,
                        size_average=None, reduce=None, reduction="mean"):
    """Matches torch.nn.functional.triplet_margin_loss: max(d(a, p) - d(a, n) + margin, 0)."""
    if _amp.on and _amp.active():
        return _amp.fp32(triplet_margin_loss, anchor, positive, negative, margin, p, eps, swap,
                         size_average, reduce, reduction)
    reduction = _resolve(size_average, reduce, reduction)
    if margin <= 0:
        raise ValueError(f"margin must be greater than 0, got {margin}")
    a, po, n = anchor.dim(), positive.dim(), negative.dim()
    if not a == po == n:
        raise RuntimeError(f"The anchor, positive, and negative tensors are expected to have the "
                           f"same number of dimensions, but got: anchor {a}D, positive {po}D, "
                           f"and negative {n}D inputs")
    from .functional import pairwise_distance
    d_pos = pairwise_distance(anchor, positive, p, eps)
    d_neg = pairwise_distance(anchor, negative, p, eps)
    if swap:
        from ..ops.pointwise import minimum
        d_neg = minimum(d_neg, pairwise_distance(positive, negative, p, eps))
    return _reduce((margin + d_pos - d_neg).clamp_min(0), reduction)


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
