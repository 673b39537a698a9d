"""The loss functions of torch.nn.functional (re-exported by `nn.functional`).

`nll_loss` and the class-index `cross_entropy` are primitives: a row gather forward and a
scatter backward, fused with a stable log-softmax for cross_entropy (d/dx = softmax * s - c,
where c is the nll coefficient matrix and s its row sums). Label smoothing, probability
targets and the other losses are compositions that follow ATen's formulas step by step.
"""

import math
import warnings

import numpy as np

from .. import _dtype as D
from .._device import array_module as _xp
from .._dtype import F32_64 as _F32_64
from .._tensor import _wrap
from ..amp import _hook as _amp
from ..autograd import forward_ad as _fwd
from ..autograd import grad_mode as _gm
from ..autograd.function import Op
from ..ops.ternary import where
from . import _nll_sum

__all__ = ["nll_loss", "cross_entropy", "l1_loss", "mse_loss", "smooth_l1_loss", "huber_loss",
           "binary_cross_entropy", "binary_cross_entropy_with_logits", "kl_div",
           "poisson_nll_loss", "gaussian_nll_loss"]

_enabled = _gm._enabled
_REDUCTIONS = ("none", "mean", "sum")


# ---------------------------------------------------------------- reduction plumbing
def _legacy_reduction(size_average, reduce):
    size_average = True if size_average is None else size_average
    reduce = True if reduce is None else reduce
    ret = "mean" if size_average and reduce else "sum" if reduce else "none"
    warnings.warn(f"size_average and reduce args will be deprecated, please use "
                  f"reduction='{ret}' instead.", stacklevel=3)
    return ret


def _resolve(size_average, reduce, reduction):
    if size_average is not None or reduce is not None:
        return _legacy_reduction(size_average, reduce)
    if reduction not in _REDUCTIONS:
        raise ValueError(f"{reduction} is not a valid value for reduction")
    return reduction


def _reduce(loss, reduction, name=None):
    """The reduced loss; `name` is torch's node name for a loss ember composes from ops, so that
    printing shows e.g. grad_fn=<MseLossBackward0>."""
    if reduction == "mean":
        loss = loss.mean()
    elif reduction == "sum":
        loss = loss.sum()
    if name is not None and loss.grad_fn is not None:
        loss.grad_fn._name = name
    return loss


def _size_warning(input, target, warn=True):
    if warn and target.shape != input.shape:
        warnings.warn(f"Using a target size ({target.shape}) that is different to the input size "
                      f"({input.shape}). This will likely lead to incorrect results due to "
                      "broadcasting. Please ensure they have the same size.", stacklevel=3)
    from ..ops.shape import broadcast_tensors
    return broadcast_tensors(input, target)


# ---------------------------------------------------------------- nll / cross entropy
def _rows(x):
    """(C,) / (N, C) / (N, C, d...) -> (M, C): one row of class scores per target element."""
    if x.ndim == 1:
        return x[None]
    if x.ndim == 2:
        return x
    return np.moveaxis(x, 1, -1).reshape(-1, x.shape[1])


def _unrows(g2, shape):
    if len(shape) == 1:
        return g2[0]
    if len(shape) == 2:
        return g2
    return np.moveaxis(g2.reshape((shape[0],) + tuple(shape[2:]) + (shape[1],)), -1, 1)


def _row_weight(ctx):
    """Each row's weight in the loss (a scalar when all targets count once: ctx.wt is None)."""
    wt = ctx.tw.dtype.type(1) if ctx.wt is None else ctx.wt
    return wt if ctx.reduction != "mean" else wt / ctx.tw


def _target_grad(ctx, gd):
    """The input gradient at each row's target as torch's nll_loss backward computes it:
    w[t] * -(g / total_weight) for 'mean', w[t] * -g otherwise (g per row for 'none'), and
    +0.0 for an ignored row (torch writes into zeros only at the targets it counts)."""
    g = gd.reshape(-1)  # (one element unless 'none')
    gval = -(g / float(ctx.tw)) if ctx.reduction == "mean" else -g  # (a weak Python float:
    # the division in g's dtype, by the total weight's exact value)
    if ctx.wt is None:
        return gval
    v = ctx.wt * gval
    valid = ctx.__dict__.get("valid")
    return v if valid is None else _xp(v).where(valid, v, v.dtype.type(0))


def _nll_grad(ctx, gd):
    """torch's nll_loss input gradient as an (M, C) array: zeros, each row's target written."""
    m, c = ctx.m_c
    xp = np if isinstance(ctx.tc, np.ndarray) else _xp(ctx.tc)  # the targets' device
    g2 = xp.zeros((m, c), gd.dtype)
    g2[xp.arange(m), ctx.tc] = _target_grad(ctx, gd)
    return g2


def _nll_coef(ctx, dtype):
    """The (M, C) matrix c with loss = sum(c * x) (before the upstream gradient)."""
    m, c = ctx.m_c
    xp = np if isinstance(ctx.tc, np.ndarray) else _xp(ctx.tc)  # the targets' device
    coef = xp.zeros((m, c), dtype)
    coef[xp.arange(m), ctx.tc] = -_row_weight(ctx)
    return coef


def _arr(v, conv=np.asanyarray):
    """conv(v) for a NumPy result (a scalar becomes a 0-d array); a device array as it is."""
    return conv(v) if isinstance(v, (np.ndarray, np.generic)) else v




def _nll_forward(ctx, x2, t, w, ignore_index, reduction, in_range=False):
    """`in_range`: _check_nll found every target in [0, C) with a negative ignore_index."""
    m = len(t)
    if w is None and type(x2) is np.ndarray and x2.dtype in _F32_64 and 0 < m <= 1 << 24 \
            and (in_range or ignore_index < 0 and t.min() >= 0):
        # no target is ignored (_check_nll saw all in range): all weights are 1, so skip them;
        # -x is -(x * 1) and m is the sum of m ones, bit for bit
        losses = -x2[np.arange(m), t]
        ctx.tc, ctx.wt, ctx.tw, ctx.reduction, ctx.m_c = t, None, x2.dtype.type(m), \
            reduction, x2.shape
        if reduction == "none":
            return losses
        total = _nll_sum.cascade(losses)  # torch's order of additions
        return np.asanyarray(total if reduction == "sum" else total / ctx.tw)
    valid = t != ignore_index
    ctx.valid = None if bool(valid.all()) else valid
    tc = np.where(valid, t, 0)
    wt = valid.astype(x2.dtype) if w is None else w[tc] * valid
    rows = np.arange(len(tc)) if isinstance(tc, np.ndarray) else _xp(tc).arange(len(tc))
    losses = -(x2[rows, tc] * wt)
    if ctx.valid is not None:  # an ignored row's loss is +0 (torch does not read its input)
        losses = _xp(losses).where(valid, losses, losses.dtype.type(0))
    ctx.tc, ctx.wt, ctx.reduction, ctx.m_c = tc, wt, reduction, x2.shape
    if reduction == "none":
        return losses
    exact = type(losses) is np.ndarray and losses.dtype in _F32_64  # (not a meta array)
    total = _nll_sum.cascade(losses, ctx.valid) if exact else losses.sum(dtype=x2.dtype)
    if reduction == "sum":
        return _arr(total)  # asany: a meta result stays meta
    ctx.tw = _nll_sum.cascade(wt, ctx.valid) if exact and w is not None else \
        wt.sum(dtype=x2.dtype)  # (a count of ones: exact in any order)
    with np.errstate(invalid="ignore", divide="ignore"):
        return _arr(total / ctx.tw)


def _scale(ctx, coef_t, grad):
    """coef * upstream grad, with grad per row for reduction='none'."""
    return coef_t * (grad.reshape(-1, 1) if ctx.reduction == "none" else grad)


class _NllLoss(Op):
    _name = "NllLossBackward0"
    jvp = _fwd.linear

    def forward(ctx, x, t, w, ignore_index, reduction, in_range=False):
        ctx.in_shape = x.shape
        out = _nll_forward(ctx, _rows(x), t.reshape(-1), w, ignore_index, reduction, in_range)
        return out.reshape(t.shape) if reduction == "none" else out

    def backward(ctx, grad):
        if _enabled[0]:
            g2 = _scale(ctx, _wrap(_nll_coef(ctx, grad._data.dtype)), grad)
            g = _unrows_t(g2, ctx.in_shape)
            x = getattr(ctx, "_nll_args", (None,))[0]
            if x is not None and x._rg:  # torch's double-backward node reads the input too
                g = _NllLossDouble.run((g, x), (g._data, x._data), {})
            return g, None, None
        return _wrap(_unrows(_nll_grad(ctx, grad._data), ctx.in_shape)), None, None


class _NllLossDouble(Op):
    """nll_loss's gradient, linear in grad_output and constant in the input: torch's node takes
    both, so the gradient requires grad when the input does, with zeros for the input."""

    _name = "NllLossBackwardBackward0"

    def forward(ctx, g, x):
        return g

    def backward(ctx, grad):
        return grad, grad.new_zeros(ctx._in_meta[1][0]) if ctx.needs_input_grad[1] else None


def _unrows_t(g2, shape):
    if len(shape) == 1:
        return g2[0]
    if len(shape) == 2:
        return g2
    return g2.reshape((shape[0],) + tuple(shape[2:]) + (shape[1],)).movedim(-1, 1)


class _CrossEntropy(Op):
    """log_softmax and nll_loss fused: torch's graph shows NllLossBackward0(LogSoftmaxBackward0)."""

    _name = "NllLossBackward0"
    save_inputs = (0,)

    @property
    def next_functions(self):
        x = self._edges[0]
        if x[0] is None:
            return (x,)
        from ..autograd._composite import shown
        return ((shown(self, "lsm", "LogSoftmaxBackward0", (x,), _LSM_SAVED), 0),)

    def register_hook(self, fn):
        from .._compat import EmberNotImplemented
        raise EmberNotImplemented("ember does not implement register_hook on cross_entropy's "
                                  "NllLossBackward0 yet (ember computes it fused)")

    def forward(ctx, x, t, w, ignore_index, reduction, in_range=False):
        ctx.in_shape = x.shape
        x2 = _rows(x)
        if x2.__class__ is np.ndarray:  # the ufuncs' reduce directly: the methods add ~1 us each
            lp = x2 - np.maximum.reduce(x2, axis=1, keepdims=True)
            lp -= np.log(np.add.reduce(np.exp(lp), axis=1, keepdims=True))
        else:
            lp = x2 - x2.max(axis=1, keepdims=True)
            lp -= np.log(np.exp(lp).sum(axis=1, keepdims=True))
        ctx.lp = lp
        out = _nll_forward(ctx, lp, t.reshape(-1), w, ignore_index, reduction, in_range)
        return out.reshape(t.shape) if reduction == "none" else out

    def backward(ctx, grad):
        if _enabled[0]:
            x, = ctx.saved_tensors
            x2 = x.reshape(1, -1) if x.dim() == 1 else \
                x if x.dim() == 2 else x.movedim(1, -1).reshape(-1, x.shape[1])
            gl = _scale(ctx, _wrap(_nll_coef(ctx, grad._data.dtype)), grad)
            g2 = gl - x2.softmax(1) * gl.sum(1, keepdim=True)
            return _unrows_t(g2, ctx.in_shape), None, None
        gd = grad._data
        if ctx.reduction != "none" and gd.dtype == ctx.lp.dtype and ctx.lp.shape[1] > 1 \
                and ctx.lp.__class__ is np.ndarray and np.isfinite(gd):
            return _wrap(_unrows(_ce_grad(ctx, gd), ctx.in_shape)), None, None
        coef = _nll_grad(ctx, gd)
        g2 = coef - np.exp(ctx.lp) * coef.sum(axis=1, keepdims=True)  # dlogsoftmax
        return _wrap(_unrows(g2, ctx.in_shape)), None, None

    def jvp(ctx, t, *others):  # nll (linear) of log_softmax's tangent
        if any(o is not None for o in others):
            return _fwd.missing(ctx)
        d = 0 if t.dim() == 1 else 1
        lt = t - (ctx.inputs[0].softmax(d) * t).sum(d, keepdim=True)
        return _NllLoss.run((lt,) + tuple(ctx.inputs[1:]), (lt._data,) + tuple(ctx.arrays[1:]),
                            ctx.kwargs)


def _ce_grad(ctx, gd):
    """g - softmax * rowsum(g) for torch's nll gradient g without the dense g: its row holds c
    (`_target_grad`) at the target and +0.0 elsewhere (gd a finite scalar), so the row sum is
    c + 0 exactly, and every entry is what the dense formula gives, bit for bit."""
    rows = np.arange(ctx.lp.shape[0])
    c = _target_grad(ctx, gd)
    z = gd.dtype.type(0)  # torch's nll gradient is written into zeros: +0.0 off the targets
    g2 = np.exp(ctx.lp)
    g2 *= np.reshape(c + z, (-1, 1))  # (c: one value, or one per row with class weights)
    at = g2[rows, ctx.tc]
    np.subtract(z, g2, out=g2)  # dlogsoftmax
    g2[rows, ctx.tc] = c - at
    return g2


# what torch's LogSoftmaxBackward0 inside cross_entropy saved: the class dim and the log-probs
_LSM_SAVED = {"dim": lambda n, node: 0 if len(n.in_shape) == 1 else 1,
              "result": lambda n, node: _wrap(_unrows(n.lp, n.in_shape), True, node)}


def _check_nll(input, target, weight, ignore_index):
    xs, ts = input._data.shape, target._data.shape  # (plain tuples: this runs every step)
    nd, td = len(xs), len(ts)
    if nd < 1:
        raise ValueError(f"Expected 1 or more dimensions (got {nd})")
    if nd != 1 and td and xs[0] != ts[0]:
        raise ValueError(f"Expected input batch_size ({xs[0]}) to match target "
                         f"batch_size ({ts[0]}).")
    if target.dtype not in (D.int64, D.uint8):
        raise RuntimeError(f"expected target dtype to be Long or Byte, but got "
                           f"{target.dtype._legacy[:-6]}")
    if nd <= 2:
        if td > 1:
            raise RuntimeError("0D or 1D target tensor expected, multi-target not supported")
        if nd == 1 and td == 1 and ts[0] != 1:
            raise ValueError(f"For 1D input, 1D target must have size 1, but got target size: "
                             f"{ts[0]}")
    else:
        expected = (xs[0],) + tuple(xs[2:])
        if tuple(ts) != expected:
            raise RuntimeError(f"Expected target size {list(expected)}, got {list(ts)}")
    c = xs[1] if nd > 1 else xs[0]
    t = target._data.astype(np.int64, copy=False)
    # every target in [0, c) (a negative one is a huge unsigned number): then none is ignored
    u = t.view(np.uint64)
    in_range = ignore_index < 0 and t.size and (
        np.maximum.reduce(u, axis=None) if u.__class__ is np.ndarray else u.max()) < c
    if not in_range:
        bad = (t != ignore_index) & ((t < 0) | (t >= c))
        if bad.any():
            raise IndexError(f"Target {t[bad].flat[0]} is out of bounds.")
    if weight is not None and weight.numel() != c:
        raise RuntimeError(f"weight tensor should be defined either for all {c} classes or no "
                           f"classes but got weight tensor of shape: {list(weight.shape)}")
    if weight is not None and weight.dtype is not input.dtype:
        raise RuntimeError(f"expected scalar type {input.dtype._legacy[:-6]} but found "
                           f"{weight.dtype._legacy[:-6]}")
    return (t.reshape(()) if nd == 1 else t), bool(in_range)  # ((1,): a 1-d input's sample)


def _nll_like(cls, input, target, weight, ignore_index, reduction, called=None):
    """`called`: (name, input) of the loss the user called, when it is not this one (a
    label-smoothed cross_entropy computes nll_loss of its log_softmax), for the hint."""
    try:
        t, in_range = _check_nll(input, target, weight, ignore_index)
    except Exception as e:  # a hint on the way out (ember._hints); torch's error is unchanged
        from .._hints import attach
        fn, shown = called or ("cross_entropy" if cls is _CrossEntropy else "nll_loss", input)
        attach(e, "loss", fn=fn, input=shown, target=target)
        raise
    w = None if weight is None else weight._data.astype(input.dtype.np, copy=False)
    out = cls.run((input,), (input._data,), {"t": t, "w": w, "ignore_index": ignore_index,
                                             "reduction": reduction, "in_range": in_range})
    if out.grad_fn is not None:  # torch's saved values (autograd._saved)
        out.grad_fn._nll_args = (input, target, weight, ignore_index)
    return out


def nll_loss(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None,
             reduction="mean"):
    """Matches torch.nn.functional.nll_loss: -weight[t] * input[t], reduced over targets."""
    if _amp.on and _amp.active():
        return _amp.fp32(nll_loss, input, target, weight, size_average, ignore_index, reduce,
                         reduction)
    reduction = _resolve(size_average, reduce, reduction)
    return _nll_like(_NllLoss, input, target, weight, ignore_index, reduction)


def cross_entropy(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None,
                  reduction="mean", label_smoothing=0.0):
    """Matches torch.nn.functional.cross_entropy (class indices or class probabilities)."""
    if _amp.on and _amp.active():
        return _amp.fp32(cross_entropy, input, target, weight, size_average, ignore_index, reduce,
                         reduction, label_smoothing)
    reduction = _resolve(size_average, reduce, reduction)
    if input.shape == target.shape:
        if not target.dtype.is_floating_point:
            from .._hints import attach
            raise attach(RuntimeError("Expected floating point type for target with class "
                                      f"probabilities, got {target.dtype._legacy[:-6]}"),
                         "loss", fn="cross_entropy", input=input, target=target)
        if ignore_index >= 0:
            raise RuntimeError("ignore_index is not supported for floating point target")
        return _cross_entropy_probs(input, target, weight, reduction, label_smoothing)
    if label_smoothing > 0.0:
        if label_smoothing > 1.0:
            raise RuntimeError(f"label_smoothing must be between 0.0 and 1.0. Got: "
                               f"{label_smoothing}")
        return _cross_entropy_smoothed(input, target, weight, ignore_index, reduction,
                                       label_smoothing)
    return _nll_like(_CrossEntropy, input, target, weight, ignore_index, reduction)


def _class_weight(weight, nd, class_dim):
    shape = [1] * nd
    shape[class_dim] = weight.shape[0]
    return weight.reshape(shape)


def _cross_entropy_probs(input, target, weight, reduction, eps):
    class_dim = 0 if input.dim() == 1 else 1
    n_classes = input.shape[class_dim]
    from .functional import log_softmax
    lp = log_softmax(input, class_dim)
    if eps > 0:
        target = target * (1 - eps) + eps / n_classes
    prod = lp * target
    if weight is not None:
        prod = prod * _class_weight(weight, input.dim(), class_dim)
    if reduction == "mean":
        return -prod.sum() / (input.numel() / n_classes)
    if reduction == "sum":
        return -prod.sum()
    return -prod.sum(class_dim)


def _cross_entropy_smoothed(input, target, weight, ignore_index, reduction, eps):
    class_dim = 0 if input.dim() == 1 else 1
    n_classes = input.shape[class_dim]
    from .functional import log_softmax
    lp = log_softmax(input, class_dim)
    nll = _nll_like(_NllLoss, lp, target, weight, ignore_index, reduction,
                    called=("cross_entropy", input))
    ignore = target == ignore_index
    if weight is not None:
        smooth = -(lp * _class_weight(weight, input.dim(), class_dim)).sum(class_dim)
    else:
        smooth = -lp.sum(class_dim)
    smooth = smooth.masked_fill(ignore, 0.0)
    if reduction == "mean":
        if weight is not None:
            kept = target[~ignore].reshape(-1)
            ret = smooth.sum() / weight.gather(0, kept).sum()
        else:
            ret = smooth.sum() / (~ignore).sum()
    elif reduction == "sum":
        ret = smooth.sum()
    else:
        ret = smooth
    return (1 - eps) * nll + ret * (eps / n_classes)


# ---------------------------------------------------------------- regression losses
def _kernel_inputs(input, target, kernel):
    """input and target broadcast (warned already), for a loss that torch computes in one fused
    kernel: its dtype is the promoted one (a bool operand is promoted, not subtracted), and an
    integral one has no kernel."""
    x, y = _size_warning(input, target, warn=False)
    dt = D.promote_types(x.dtype, y.dtype)
    if not (dt.is_floating_point or dt.is_complex):
        raise NotImplementedError(f'"{kernel}" not implemented for \'{dt._legacy[:-6]}\'')
    return (x if x.dtype is dt else x.to(dt)), (y if y.dtype is dt else y.to(dt))


class _BackwardError(Op):
    """Identity whose backward raises torch's error where torch's backward kernel refuses what
    its forward took (e.g. operands of two dtypes that the forward promoted)."""

    def forward(ctx, x, msg, name):
        ctx.msg, ctx._name = msg, name
        return x

    def backward(ctx, grad):
        raise RuntimeError(ctx.msg)


def _weighted(loss, weight, input, reduction):
    """torch's weighted l1 / mse loss: the weighted mean divides by the weights' sum."""
    if weight.shape != input.shape:
        raise ValueError("Weights and input must have the same size.")
    loss = loss * weight
    if reduction == "none":
        return loss
    if reduction == "sum":
        return loss.sum()
    if reduction == "mean":
        return loss.sum() / weight.sum()
    raise ValueError(f"Invalid reduction mode: {reduction}. Expected one of 'none', 'mean', "
                     "'sum'.")


def _warn_then_reduction(input, target, size_average, reduce, reduction):
    """torch's order: the size warning, then the legacy-argument one."""
    if target.shape != input.shape:
        _size_warning(input, target)
    if size_average is not None or reduce is not None:
        return _legacy_reduction(size_average, reduce)
    return reduction


def l1_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    """Matches torch.nn.functional.l1_loss: |x - y| (optionally weighted)."""
    if _amp.on and _amp.active():
        return _amp.fp32(l1_loss, input, target, size_average, reduce, reduction, weight)
    reduction = _warn_then_reduction(input, target, size_average, reduce, reduction)
    x, y = _size_warning(input, target, warn=False)
    if weight is not None:
        return _weighted((x - y).abs(), weight, input, reduction)
    return _reduce((x - y).abs(), _resolve(None, None, reduction))


def mse_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    """Matches torch.nn.functional.mse_loss: (x - y)^2 (optionally weighted)."""
    if _amp.on and _amp.active():
        return _amp.fp32(mse_loss, input, target, size_average, reduce, reduction, weight)
    reduction = _warn_then_reduction(input, target, size_average, reduce, reduction)
    if weight is not None:
        x, y = _size_warning(input, target, warn=False)
        return _weighted((x - y).pow(2), weight, input, reduction)
    reduction = _resolve(None, None, reduction)
    x, y = _kernel_inputs(input, target, "mse_cpu")
    from ..autograd import _composite
    from . import _loss_fused as lf
    return _composite.record("MseLossBackward0", _mse, (x, y), {"reduction": reduction},
                             fast=(lf.mse_fwd, lf.mse_bwd) if lf.eligible(x, y) else None)


def _mse(x, y, reduction):
    """mse_loss's arithmetic, recorded as torch's one MseLossBackward0 node."""
    d = x - y
    return _reduce(d * d, reduction)


def smooth_l1_loss(input, target, size_average=None, reduce=None, reduction="mean", beta=1.0):
    """Matches torch.nn.functional.smooth_l1_loss: 0.5 d^2 / beta if |d| < beta, else
    |d| - beta / 2."""
    if _amp.on and _amp.active():
        return _amp.fp32(smooth_l1_loss, input, target, size_average, reduce, reduction, beta)
    reduction = _warn_then_reduction(input, target, size_average, reduce, reduction)
    if beta == 0:
        x, y = _size_warning(input, target, warn=False)
        return _reduce((x - y).abs(), _resolve(None, None, reduction))
    reduction = _resolve(None, None, reduction)
    if beta < 0:
        raise RuntimeError("smooth_l1_loss does not support negative values for beta.")
    x, y = _kernel_inputs(input, target, "smooth_l1_cpu")
    from ..autograd import _composite
    from . import _loss_fused as lf
    return _composite.record("SmoothL1LossBackward0", _smooth_l1, (x, y),
                             {"reduction": reduction, "beta": float(beta)},
                             fast=(lf.smooth_l1_fwd, lf.smooth_l1_bwd)
                             if lf.eligible(x, y) else None)


def _smooth_l1(x, y, reduction, beta):
    """smooth_l1_loss's arithmetic, recorded as torch's one SmoothL1LossBackward0 node."""
    d = x - y
    z = d.abs()
    return _reduce(where(z < beta, 0.5 * d * d / beta, z - 0.5 * beta), reduction)


def huber_loss(input, target, reduction="mean", delta=1.0, weight=None):
    """Matches torch.nn.functional.huber_loss: 0.5 d^2 if |d| < delta else delta (|d| - delta/2),
    in the input's dtype (optionally weighted)."""
    if _amp.on and _amp.active():
        return _amp.fp32(huber_loss, input, target, reduction, delta, weight)
    _warn_then_reduction(input, target, None, None, reduction)
    if weight is None:
        reduction = _resolve(None, None, reduction)
    elif weight.shape != input.shape:
        raise ValueError("Weights and input must have the same size.")
    dt = D.promote_types(input.dtype, target.dtype)
    if not D.can_cast(dt, input.dtype):
        from ..ops.inplace import _cast_error
        raise _cast_error(dt, input.dtype)
    x, y = _kernel_inputs(input, target, "huber_cpu")
    if delta <= 0:
        raise RuntimeError("huber_loss does not support non-positive values for delta.")
    from . import _loss_fused as lf
    if weight is None and target.dtype is input.dtype and lf.eligible(x, y):
        from ..autograd import _composite
        return _composite.record("HuberLossBackward0", _huber, (x, y),
                                 {"reduction": reduction, "delta": float(delta)},
                                 fast=(lf.huber_fwd, lf.huber_bwd))
    return _huber(x, y, reduction, delta, input, target, weight)


def _huber(x, y, reduction, delta, input=None, target=None, weight=None):
    """huber_loss's arithmetic, recorded as torch's one HuberLossBackward0 node (the fused
    kernels give torch's gradient; this composite is what double backward differentiates)."""
    d = x - y
    z = d.abs()
    # d is zeroed where |d| >= delta so that 0.5 d^2's gradient there is 0, not 0 * inf = NaN
    dd = where(z >= delta, 0.0, d)  # where d is infinite (torch's is +-delta); NaN stays NaN
    loss = where(z < delta, 0.5 * dd * dd, delta * (z - 0.5 * delta))
    if input is None:
        return _reduce(loss, reduction)
    if loss.dtype is not input.dtype:
        loss = loss.to(input.dtype)
    if target.dtype is not input.dtype and loss.requires_grad:
        loss = _BackwardError.run((loss,), (loss._data,), {
            "msg": f"Found dtype {target.dtype._legacy[:-6]} but expected "
                   f"{input.dtype._legacy[:-6]}", "name": "HuberLossBackward0"})
    if weight is None:
        return _reduce(loss, reduction, "HuberLossBackward0")
    loss = loss * weight
    if reduction in ("none", "sum", "mean"):
        return loss if reduction == "none" else loss.sum() if reduction == "sum" else loss.mean()
    raise ValueError(f"Invalid reduction mode: {reduction}. Expected one of 'none', 'mean', "
                     "'sum'.")


# ---------------------------------------------------------------- binary losses
def kl_div(input, target, size_average=None, reduce=None, reduction="mean", log_target=False):
    """Matches torch.nn.functional.kl_div: target * (log target - input), pointwise."""
    if _amp.on and _amp.active():
        return _amp.fp32(kl_div, input, target, size_average, reduce, reduction, log_target)
    if size_average is not None or reduce is not None:
        reduction = _legacy_reduction(size_average, reduce)
    elif reduction == "mean":
        warnings.warn("reduction: 'mean' divides the total loss by both the batch size and the "
                      "support size.'batchmean' divides only by the batch size, and aligns with "
                      "the KL div math definition.'mean' will be changed to behave the same as "
                      "'batchmean' in the next major release.", stacklevel=2)
    if reduction not in _REDUCTIONS + ("batchmean",):
        raise ValueError(f"{reduction} is not a valid value for reduction")
    if not (input.dtype.is_floating_point or input.dtype.is_complex) or not (
            target.dtype.is_floating_point or target.dtype.is_complex):
        raise RuntimeError("kl_div: Integral inputs not supported.")
    if log_target:
        loss = target.exp() * (target - input)
    else:
        with np.errstate(divide="ignore", invalid="ignore"):  # xlogy(t, t): 0 where t == 0
            loss = where(target == 0, 0.0, target * target.log()) - target * input
    if reduction == "batchmean":
        s = loss.sum()
        return s / input.shape[0] if input.dim() else s
    return _reduce(loss, reduction)


def poisson_nll_loss(input, target, log_input=True, full=False, size_average=None, eps=1e-8,
                     reduce=None, reduction="mean"):
    """Matches torch.nn.functional.poisson_nll_loss."""
    if _amp.on and _amp.active():
        return _amp.fp32(poisson_nll_loss, input, target, log_input, full, size_average, eps,
                         reduce, reduction)
    reduction = _resolve(size_average, reduce, reduction)
    if log_input:
        loss = input.exp() - target * input
    else:
        loss = input - target * (input + eps).log()
    if full:
        st = target * target.log() - target + 0.5 * (2 * math.pi * target).log()
        loss = loss + st.masked_fill(target <= 1, 0)
    return _reduce(loss, reduction)


def gaussian_nll_loss(input, target, var, full=False, eps=1e-6, reduction="mean"):
    """Matches torch.nn.functional.gaussian_nll_loss: 0.5 (log var + (x - y)^2 / var)."""
    if isinstance(var, float):
        if var < 0:
            raise ValueError("var has negative entry/entries")
        from ..ops.creation import ones_like
        var = var * ones_like(input)
    elif bool((var < 0).any()):
        raise ValueError("var has negative entry/entries")
    if var.shape != input.shape:
        if input.shape[:-1] == var.shape:
            var = var.unsqueeze(-1)
        elif not (input.dim() == var.dim() and sum(
                b for a, b in zip(input.shape, var.shape) if a != b) == 1):
            raise ValueError("var is of incorrect size")
    if reduction not in _REDUCTIONS:
        raise ValueError(reduction + " is not valid")
    var = var.clone()
    with _gm.no_grad():
        var.clamp_(min=eps)
    d = input - target
    loss = 0.5 * (var.log() + d ** 2 / var)  # torch's ** 2: its gradient 2 d may overflow
    if full:
        loss = loss + 0.5 * math.log(2 * math.pi)
    return _reduce(loss, reduction)


from ._loss_bce import binary_cross_entropy, binary_cross_entropy_with_logits  # noqa: E402,F401
