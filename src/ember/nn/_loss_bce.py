"""binary_cross_entropy and binary_cross_entropy_with_logits (split from _functional_loss.py,
which re-exports them): torch's kernels' formulas, their reductions in torch's order
(`_loss_fused._reduced`) and their gradients in torch's order of operations (the formula times
the upstream gradient, then the weight, then / n).
"""

import numpy as np

from .. import _dtype as D
from .._tensor import _wrap
from ..amp import _hook as _amp
from ..autograd import forward_ad as _fwd
from ..autograd import grad_mode as _gm
from ..autograd.function import Op
from ._functional_loss import _arr, _reduce, _resolve


class _BinaryCrossEntropy(Op):
    _name = "BinaryCrossEntropyBackward0"
    jvp = _fwd.transposed
    save_inputs = (0, 1)

    def forward(ctx, x, t, w, reduction):
        ctx.w, ctx.reduction = w, reduction
        with np.errstate(divide="ignore"):
            loss = (t - 1) * np.maximum(np.log1p(-x), -100) - t * np.maximum(np.log(x), -100)
        if w is not None:
            loss = loss * w
        if reduction == "none":
            return loss
        if type(loss) is np.ndarray:  # torch's apply_loss_reduction: its sum's order
            from ._loss_fused import _reduced
            return _reduced(loss, reduction)
        return _arr(loss.sum(dtype=x.dtype) if reduction == "sum" else loss.mean(
            dtype=x.dtype), np.asarray)

    def backward(ctx, grad):
        # torch's kernels: g (x - t) / max((1 - x) x, 1e-12) and -logit(x) g (unclamped: inf at
        # x = 0, -inf at 1), then times the weight, then / n for a mean
        x, t = ctx.saved_tensors
        g = grad if ctx.reduction == "none" else grad.expand(x.shape)
        need = ctx.needs_input_grad
        out = [g * (x - t) / ((1 - x) * x).clamp_min(1e-12) if need[0] else None,
               -x.logit() * g if need[1] else None]
        for i, r in enumerate(out):
            if r is not None:
                if ctx.w is not None:
                    r = r * _wrap(ctx.w)
                out[i] = r / x.numel() if ctx.reduction == "mean" else r
        return out[0], out[1], None, None


def binary_cross_entropy(input, target, weight=None, size_average=None, reduce=None,
                         reduction="mean"):
    """Matches torch.nn.functional.binary_cross_entropy (logs clamped at -100)."""
    if _amp.on and _amp.active():
        return _amp.fp32(binary_cross_entropy, input, target, weight, size_average, reduce,
                         reduction)
    reduction = _resolve(size_average, reduce, reduction)
    if target.shape != input.shape:
        raise ValueError(f"Using a target size ({target.shape}) that is different to the input "
                         f"size ({input.shape}) is deprecated. Please ensure they have the same "
                         "size.")
    if weight is not None:
        from ..ops.shape import broadcast_shapes
        wshape = tuple(broadcast_shapes(target.shape, weight.shape))
        if wshape != tuple(input.shape):  # torch multiplies the loss by it in place
            raise RuntimeError(f"output with shape {list(input.shape)} doesn't match the "
                               f"broadcast shape {list(wshape)}")
    if target.dtype is not input.dtype:  # one kernel over input and target: one dtype
        raise RuntimeError(f"Found dtype {target.dtype._legacy[:-6]} but expected "
                           f"{input.dtype._legacy[:-6]}")
    if not input.dtype.is_floating_point:
        raise NotImplementedError("\"binary_cross_entropy\" not implemented for "
                                  f"'{input.dtype._legacy[:-6]}'")
    xd, td = input._data, target._data
    if not ((xd >= 0) & (xd <= 1)).all():
        raise RuntimeError("all elements of input should be between 0 and 1")
    if not ((td >= 0) & (td <= 1)).all():
        raise RuntimeError("all elements of target should be between 0 and 1")
    w = None
    if weight is not None:
        w = np.broadcast_to(weight._data, xd.shape).astype(xd.dtype, copy=False)
    return _BinaryCrossEntropy.run((input, target), (xd, td), {"w": w, "reduction": reduction})


class _BCEWithLogits(Op):
    """The loss (computed by the caller with torch's in-place steps, so with torch's dtype and
    shape rules) with torch's own gradients: (sigmoid(x) - t) for x, -x for t (pos_weight:
    (p t + 1 - t) sigmoid(x) - p t and log_sigmoid(-x) - p log_sigmoid(x))."""

    _name = "BinaryCrossEntropyWithLogitsBackward0"
    jvp = _fwd.transposed
    save_inputs = (0, 1)

    def forward(ctx, loss, _t, w, pw, reduction):
        ctx.w, ctx.pw, ctx.reduction = w, pw, reduction
        return loss

    def backward(ctx, grad):
        x, t = ctx.saved_tensors
        w, pw = ctx.w, ctx.pw
        need = ctx.needs_input_grad
        gx = gt = None
        if need[0]:
            if pw is None:
                gx = x.sigmoid() - t
            else:
                pt = pw * t
                gx = (pt + 1 - t) * x.sigmoid() - pt
        if need[1]:
            if pw is None:
                gt = -x
            else:
                from .functional import logsigmoid
                gt = logsigmoid(-x) - logsigmoid(x) * pw
        out = []
        for g in (gx, gt):  # torch's order: times the upstream gradient, the weight, then / n
            if g is not None:
                g = g * grad
                if w is not None:
                    g = g * w
                if ctx.reduction == "mean":
                    g = g / x.numel()
            out.append(g)
        return out[0], out[1], None, None, None


def binary_cross_entropy_with_logits(input, target, weight=None, size_average=None, reduce=None,
                                     reduction="mean", pos_weight=None):
    """Matches torch.nn.functional.binary_cross_entropy_with_logits:
    (1 - t) x - log_weight * logsigmoid(x), log_weight = (pos_weight - 1) t + 1, with torch's
    in-place steps (so the dtype and shape rules are torch's) and torch's gradients."""
    if _amp.on and _amp.active():
        return _amp.fp32(binary_cross_entropy_with_logits, input, target, weight, size_average,
                         reduce, reduction, pos_weight)
    reduction = _resolve(size_average, reduce, reduction)
    if target.shape != input.shape:
        raise ValueError(f"Target size ({target.shape}) must be the same as input size "
                         f"({input.shape})")
    from .functional import logsigmoid
    with _gm.no_grad():
        ls = logsigmoid(input)
        if target.dtype is D.bool_:  # torch's 1 - target, with the scalar as a bool
            raise RuntimeError("Subtraction, the `-` operator, with two bool tensors is not "
                               "supported. Use the `^` or `logical_xor()` operator instead.")
        if pos_weight is not None:
            ls = ls.mul_((pos_weight - 1).mul(target).add_(1))
        loss = (1 - target).mul_(input).sub_(ls)
        if weight is not None:
            loss = loss.mul_(weight)
        loss = _reduce(loss, reduction)
    return _BCEWithLogits.run((input, target), (loss._data, None), {
        "w": weight, "pw": pos_weight, "reduction": reduction})


# ---------------------------------------------------------------- distribution losses
