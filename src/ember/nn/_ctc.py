"""CTC loss (torch.nn.functional.ctc_loss): torch's forward-backward algorithm in log space.

`_CtcLoss` is the primitive (torch's `_ctc_loss`): the forward keeps log-alpha (batch, time,
2 * max_target + 1) and returns each sample's negative log-likelihood; the backward runs the beta
recursion and gathers alpha * beta per label into torch's gradient
exp(lp) - exp(log(sum alpha beta) + nll - lp), which assumes normalised log-probabilities as
torch's does. Both recursions loop over time and are vectorised over batch and target states.
The reductions, zero_infinity's masking and the unbatched form are composed around it, as ATen.
"""

import numpy as np

from .. import _dtype as D
from .._device import array_device, to_device, to_host
from .._tensor import Tensor, _wrap
from ..amp import _hook as _amp
from ..autograd import forward_ad as _fwd
from ..autograd import grad_mode as _gm
from ..autograd.function import Op

__all__ = ["ctc_loss"]

_WHERE = "(while checking arguments for ctc_loss_allocate_outputs)"


def _lse3(a, b, c):
    """log(exp(a) + exp(b) + exp(c)) as ATen writes it: shifted by the max (0 when all -inf)."""
    m = np.maximum(np.maximum(a, b), c)
    m[m == -np.inf] = 0
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.log(np.exp(a - m) + np.exp(b - m) + np.exp(c - m)) + m


class _CtcLoss(Op):
    """Inputs: log_probs (T, N, C), padded targets (N, S) int64 with lengths; output nll (N,)."""

    _name = "CtcLossBackward0"
    _aten = "_ctc_loss"
    jvp = _fwd.missing
    save_inputs = (0,)  # only for create_graph, to tie the gradient to log_probs as torch's

    def forward(ctx, lp, labels, il, tl, blank, zero_infinity):
        ctx.dev = array_device(lp)  # the recursions run on the host, like ATen's CPU kernel
        lp = to_host(lp)
        T, N, C = lp.shape
        dt = lp.dtype
        S = labels.shape[1] * 2 + 1
        # l' (the targets with blanks between), clipped so padding can index safely
        ext = np.full((N, S), blank, np.int64)
        ext[:, 1::2] = np.clip(labels, 0, C - 1)
        s = np.arange(S)
        skip = np.zeros((N, S), bool)  # alpha may jump over a blank into s (l'[s-2] != l'[s])
        skip[:, 2:] = ext[:, 2:] != ext[:, :-2]
        lpb = np.transpose(lp, (1, 0, 2))  # (N, T, C)
        emit = np.take_along_axis(lpb, np.broadcast_to(ext[:, None, :], (N, T, S)), 2)
        alpha = np.full((N, T, S), -np.inf, dt)
        alpha[:, 0, 0] = lpb[:, 0, blank]
        has = tl > 0
        alpha[has, 0, 1] = emit[has, 0, 1]
        ninf = np.full((N, 1), -np.inf, dt)
        for t in range(1, T):
            prev = alpha[:, t - 1]
            la2 = np.concatenate([ninf, prev[:, :-1]], 1)
            la3 = np.where(skip, np.concatenate([ninf, ninf, prev[:, :-2]], 1), -np.inf)
            alpha[:, t] = _lse3(prev, la2, la3) + emit[:, t]
        past = s[None, :] > 2 * tl[:, None]  # states past each target: -inf for the backward
        alpha[np.broadcast_to(past[:, None, :], alpha.shape)] = -np.inf
        nll = np.empty(N, dt)
        for b in range(N):
            n, L = il[b], tl[b]
            if n == 0:
                nll[b] = -0.0 if L == 0 else np.inf
            elif L == 0:
                nll[b] = -alpha[b, n - 1, 0]
            else:
                l1, l2 = alpha[b, n - 1, 2 * L], alpha[b, n - 1, 2 * L - 1]
                m = max(l1, l2)
                m = dt.type(0) if m == -np.inf else m
                with np.errstate(divide="ignore"):
                    nll[b] = -(np.log(np.exp(l1 - m) + np.exp(l2 - m)) + m)
        ctx.ctc = (lp, ext, skip, emit, alpha, nll, il, tl, blank, zero_infinity)
        return to_device(nll, ctx.dev)

    def backward(ctx, grad):
        lp, ext, skip, emit, alpha, nll, il, tl, blank, zero_infinity = ctx.ctc
        T, N, C = lp.shape
        S = ext.shape[1]
        dt = lp.dtype
        beta = np.full((N, T, S), -np.inf, dt)
        s = np.arange(S)
        live = s[None, :] <= 2 * tl[:, None]
        one = live & (s[None, :] < 2 * tl[:, None])           # may step to s + 1
        two = np.zeros((N, S), bool)                            # may jump to s + 2
        two[:, :-2] = skip[:, 2:] & (s[None, :-2] < 2 * tl[:, None] - 1)
        ninf = np.full((N, 1), -np.inf, dt)
        for t in range(T - 1, -1, -1):
            last = il - 1 == t
            if last.any():
                init = np.where(live & (s[None, :] >= 2 * tl[:, None] - 1), emit[:, t], -np.inf)
                beta[last, t] = init[last]
            inner = t < il - 1
            if inner.any():
                nxt = beta[:, t + 1]
                lb2 = np.where(one, np.concatenate([nxt[:, 1:], ninf], 1), -np.inf)
                lb3 = np.where(two, np.concatenate([nxt[:, 2:], ninf, ninf], 1), -np.inf)
                step = np.where(live, _lse3(nxt, lb2, lb3) + emit[:, t], -np.inf)
                beta[inner, t] = step[inner]
        ab = alpha + beta  # -inf wherever a state is unreachable or out of range
        idx = np.broadcast_to(ext[:, None, :], ab.shape)
        m = np.full((N, T, C), -np.inf, dt)
        np.maximum.at(m, (np.arange(N)[:, None, None], np.arange(T)[None, :, None], idx), ab)
        m0 = np.where(m == -np.inf, dt.type(0), m)
        acc = np.zeros((N, T, C), dt)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            np.add.at(acc, (np.arange(N)[:, None, None], np.arange(T)[None, :, None], idx),
                      np.exp(ab - np.take_along_axis(m0, idx, 2)))
            lcab = np.log(acc) + m0
        for b in range(N):  # ATen assigns (not log-adds) the last step's two states: a target
            n, L = il[b], tl[b]  # equal to the blank replaces the blank's share there
            if n > 0 and L > 0 and ext[b, 2 * L - 1] == blank:
                lcab[b, n - 1, blank] = ab[b, n - 1, 2 * L - 1]
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            lpb = np.transpose(lp, (1, 0, 2))
            g = to_host(grad._data).astype(dt, copy=False)
            out = (np.exp(lpb) - np.exp(lcab + nll[:, None, None] - lpb)) * g[:, None, None]
        out[np.arange(T)[None, :] >= il[:, None]] = 0
        if zero_infinity:
            out[nll == np.inf] = 0
        out = to_device(np.ascontiguousarray(np.transpose(out, (1, 0, 2))), ctx.dev)
        if _gm.is_grad_enabled():  # create_graph: a second derivative raises, as torch's
            from ._functional_loss import _BackwardError
            return (_BackwardError.run((grad, ctx.saved_tensors[0]), (out,), {
                "msg": "derivative for aten::_ctc_loss_backward is not implemented",
                "name": "CtcLossBackwardBackward0"}), None, None, None, None, None)
        return _wrap(out), None, None, None, None, None


def _ctc_overload_error(input_lengths, target_lengths):
    """torch's parser error for lengths that fit neither overload (its marks as observed: the
    int-array overload marks both lengths, the Tensor one the non-Tensors; the trailing
    arguments are marked in both)."""
    def name(v):
        return "Tensor" if isinstance(v, Tensor) else type(v).__name__

    def desc(v):
        if isinstance(v, (list, tuple)):
            return f"{type(v).__name__} of [{', '.join(name(e) for e in v)}]"
        return name(v)

    lengths = (input_lengths, target_lengths)
    got = ", ".join(["Tensor", "Tensor", *map(name, lengths), "int", "int", "bool"])
    tail = ["!int!", "!int!", "!bool!"]
    ints = ", ".join(["Tensor", "Tensor"] + [f"!{desc(v)}!" for v in lengths] + tail)
    tens = ", ".join(["Tensor", "Tensor"] + [
        "Tensor" if isinstance(v, Tensor) else f"!{desc(v)}!" for v in lengths] + tail)
    sig = ("(Tensor log_probs, Tensor targets, {0} input_lengths, {0} target_lengths, int blank "
           "= 0, int reduction = at::Reduction::Mean, bool zero_infinity = False)")
    why = "      didn't match because some of the arguments have invalid types: "
    return TypeError(
        f"ctc_loss() received an invalid combination of arguments - got ({got}), but expected "
        f"one of:\n * {sig.format('tuple of ints')}\n{why}({ints})\n * {sig.format('Tensor')}\n"
        f"{why}({tens})\n")


def _is_int(v):
    return isinstance(v, (int, np.integer)) and not isinstance(v, bool)


def _fits(v, want):
    if want == "Tensor":
        return isinstance(v, Tensor)
    return isinstance(v, (list, tuple)) and all(_is_int(e) for e in v)


def _lengths(v, name):
    if isinstance(v, Tensor):
        if not v.dtype.is_floating_point and not v.dtype.is_complex and v.dtype is not D.bool_:
            return to_host(v._data).reshape(-1).astype(np.int64)
        raise RuntimeError(f"{name} must be integral")
    return np.asarray([int(e) for e in v], np.int64)


def _check(lp, targets, il, tl, blank):
    if lp.numel() == 0:
        raise RuntimeError("log_probs tensor must not be empty")
    if lp.dim() != 3:
        raise RuntimeError(f"Expected 3-dimensional tensor, but got {lp.dim()}-dimensional "
                           f"tensor for argument #1 'log_probs' {_WHERE}")
    if not 1 <= targets.dim() <= 2:
        raise RuntimeError(f"Expected 1 to 2 dimensions, but got {targets.dim()}-dimensional "
                           f"tensor for argument #2 'targets' {_WHERE}")
    N, C = lp.shape[1], lp.shape[2]
    if not 0 <= blank < C:
        raise RuntimeError("blank must be in label range")
    if il.size != N:
        raise RuntimeError("input_lengths must be of size batch_size")
    if tl.size != N:
        raise RuntimeError("target_lengths must be of size batch_size")
    for L in tl:
        if L < 0:
            raise RuntimeError(f"Expected target_lengths to have value at least 0, but got value "
                               f"{L} {_WHERE}")
    max_len = int(tl.max()) if N else 0
    want = (int(tl.sum()), 0) if targets.dim() == 1 else (N, 0)
    if targets.shape[0] != want[0]:
        raise RuntimeError(f"Expected tensor to have size {want[0]} at dimension 0, but got size "
                           f"{targets.shape[0]} for argument #2 'targets' {_WHERE}")
    if targets.dim() == 2 and targets.shape[1] < max_len:
        raise RuntimeError(f"Expected tensor to have size at least {max_len} at dimension 1, but "
                           f"got size {targets.shape[1]} for argument #2 'targets' {_WHERE}")
    T = lp.shape[0]
    for n in il:
        if n < 0:
            raise RuntimeError(f"Expected input_lengths to have value at least 0, but got value "
                               f"{n} {_WHERE}")
        if n > T:
            raise RuntimeError(f"Expected input_lengths to have value at most {T}, but got value "
                               f"{n} {_WHERE}")
    return max_len


def _padded(targets, tl, max_len):
    t = to_host(targets._data).astype(np.int64)
    if t.ndim == 2:
        return np.ascontiguousarray(t[:, :max_len])
    out = np.zeros((tl.size, max_len), np.int64)
    pos = 0
    for b, L in enumerate(tl):
        out[b, :L] = t[pos:pos + L]
        pos += L
    return out


def ctc_loss(log_probs, targets, input_lengths, target_lengths, blank=0, reduction="mean",
             zero_infinity=False):
    """Matches torch.nn.functional.ctc_loss (torch's CPU algorithm, gradients included)."""
    if _amp.on and _amp.active():
        return _amp.fp32(ctc_loss, log_probs, targets, input_lengths, target_lengths, blank,
                         reduction, zero_infinity)
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(f"{reduction} is not a valid value for reduction")
    tensors = isinstance(input_lengths, Tensor), isinstance(target_lengths, Tensor)
    if not (all(tensors) or (not any(tensors) and _fits(input_lengths, "ints")
                             and _fits(target_lengths, "ints"))):
        raise _ctc_overload_error(input_lengths, target_lengths)
    il = _lengths(input_lengths, "input_lengths")
    tl = _lengths(target_lengths, "target_lengths")
    _fwd.refuse("_ctc_loss", log_probs)  # torch's kernel refuses a tangent before its checks
    batched = log_probs.dim() == 3
    lp = log_probs if batched else log_probs.unsqueeze(1)
    max_len = _check(lp, targets, il, tl, blank)
    if lp.dtype not in (D.float32, D.float64):
        raise NotImplementedError(f"\"ctc_loss_cpu\" not implemented for "
                                  f"'{lp.dtype._legacy[:-6]}'")
    labels = _padded(targets, tl, max_len)
    res = _CtcLoss.apply(lp, labels, il, tl, blank, bool(zero_infinity))
    if zero_infinity:
        from ..ops.ternary import where
        res = where(res == float("inf"), 0.0, res)
    if reduction == "mean":
        div = np.maximum(tl, 1) if tensors[1] else np.maximum(tl, 1).astype(res._data.dtype)
        div = _wrap(to_device(div, array_device(res._data)))
        return (res / div).mean()
    if reduction == "sum":
        return res.sum()
    return res if batched else res.squeeze(0)
