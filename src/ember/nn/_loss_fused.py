"""Fused array kernels of mse_loss, smooth_l1_loss and huber_loss (the `fast` path of
`autograd._composite.record`; the composites in `_functional_loss` stay the reference that double
backward differentiates).

Forward: the same arithmetic as the composite, on arrays, without the ~6 Tensor ops of its inner
graph. Backward: torch's CPU kernels' formulas, with norm = 1/n for a mean (2/n for mse), cast
to the computing dtype as torch casts its scalar:
  mse:       dx = (norm * (x - y)) * g
  smooth_l1: dx = (s * norm) * g,  s = x - y over beta where |x - y| < beta, else its sign
  huber:     dx = (norm * d) * g inside the band, (+-norm * g) * delta outside
and the target's gradient is the same formula at y - x (as torch's: not -dx, whose zeros have
the other sign).
"""

import numpy as np

from .._dtype import F32_64 as _F32_64
from .._select import copy_where
from ..ops._cascade import cascade_sum


def eligible(x, y):
    """Float32/float64 NumPy operands of one dtype and shape (what `_kernel_inputs` gives)."""
    a, b = x._data, y._data  # type(): a meta array answers __class__ as ndarray
    return (type(a) is np.ndarray and type(b) is np.ndarray and a.dtype in _F32_64
            and a.dtype == b.dtype and a.shape == b.shape)


def _reduced(d, reduction):
    """The loss array reduced as torch's apply_loss_reduction: its sum in torch's order
    (`ops/_cascade.py`), divided by n for a mean, so the printed loss is torch's bit for bit."""
    if reduction == "none":
        return d
    s = cascade_sum(d, None, False)
    if s is None:  # a layout _cascade does not cover (or empty): NumPy's sum
        if reduction == "mean":
            return d.mean(dtype=d.dtype) if d.size else np.asarray(np.nan, d.dtype)
        return np.asarray(np.add.reduce(d, axis=None))
    return np.true_divide(s, d.dtype.type(d.size), out=s) if reduction == "mean" else s


def _norm(d, reduction, scale):
    if reduction != "mean":
        return d.dtype.type(scale)
    return d.dtype.type(scale / d.size if d.size else float("nan"))  # (no element to scale)


def _grads(f, state, needs):
    """f(x - y) for the input and, as torch's, f(y - x) for the target (not -f(x - y): a zero
    difference's sign differs)."""
    d, x, y = state[0], state[-2], state[-1]
    return f(d) if needs[0] else None, f(np.subtract(y, x)) if needs[1] else None


def _new(a):
    return np.empty(a.shape, a.dtype)  # an out= array: 0-d results stay arrays


def mse_fwd(xp, x, y, reduction):
    d = np.subtract(x, y, out=_new(x))
    out = _reduced(np.multiply(d, d, out=_new(d)), reduction)
    return np.asarray(out), (d, reduction, x, y)


def mse_bwd(state, g, needs):
    def f(d):
        dx = np.multiply(d, _norm(d, state[1], 2.0), out=_new(d))
        dx *= g
        return dx
    return _grads(f, state, needs)


def smooth_l1_fwd(xp, x, y, reduction, beta):
    d = np.subtract(x, y, out=_new(x))
    loss = np.abs(d, out=_new(d))  # z = |x - y|, then torch's z - 0.5 * beta where z >= beta
    band = loss < beta
    small = np.multiply(loss, 0.5, out=_new(loss))  # and 0.5 * z * z / beta where z < beta
    small *= loss
    small /= beta
    loss -= 0.5 * beta
    copy_where(loss, small, band)  # a bit select: no mispredicted branch
    return np.asarray(_reduced(loss, reduction)), (d, reduction, beta, x, y)


def _scalar_tail(state):
    """Where torch's backward kernel leaves its vector loop (2 vectors a step: 16 float32 / 8
    float64 elements) for its scalar lambda, which reads beta / delta as a double: the index in
    the flat gradient of the first such element, for C-contiguous operands (one loop over all
    elements); None for other layouts (their loops are not modelled)."""
    x, y = state[-2], state[-1]
    if not (x.flags.c_contiguous and y.flags.c_contiguous):
        return None
    n = x.size
    k = n - n % (16 if x.dtype == np.float32 else 8)
    return k if k < n else None


def _tail_parts(d, g, k):
    """d's and the (broadcast) upstream gradient's flat elements from k on, and d's dtype."""
    return d.reshape(-1)[k:], np.broadcast_to(g, d.shape).reshape(-1)[k:], d.dtype.type


def smooth_l1_bwd(state, g, needs):
    _, reduction, beta = state[:3]
    k = _scalar_tail(state)

    def f(d):
        # x / beta inside the band, its sign outside: the band's |x / beta| < 1 (or rounds to
        # 1), so clipping x / beta to [-1, 1] gives each of torch's values (NaN stays NaN)
        s = np.divide(d, d.dtype.type(beta), out=_new(d))
        np.clip(s, -1.0, 1.0, out=s)
        norm = _norm(d, reduction, 1.0)
        s *= norm
        s *= g
        if k is not None:  # torch's scalar tail: (norm x g) / beta in double, the band in double
            dt, gt, t = _tail_parts(d, g, k)
            wide = dt.astype(np.float64)
            with np.errstate(all="ignore"):
                inner = (((norm * dt) * gt).astype(np.float64) / beta).astype(t)
                s.reshape(-1)[k:] = np.where(wide <= -beta, -norm * gt,
                                             np.where(wide >= beta, norm * gt, inner))
        return s
    return _grads(f, state, needs)


def huber_fwd(xp, x, y, reduction, delta):
    d = np.subtract(x, y, out=_new(x))
    z = np.abs(d)
    t = d.dtype.type
    loss = np.subtract(z, t(0.5) * t(delta), out=_new(z))  # delta (z - delta / 2) where z >= delta
    loss *= t(delta)
    small = np.multiply(z, t(0.5), out=_new(z))  # and 0.5 z z where z < delta
    small *= z
    copy_where(loss, small, z < delta)
    return np.asarray(_reduced(loss, reduction)), (d, reduction, delta, x, y)


def _huber_grad(d, g, norm, delta, k):
    """torch's huber_loss_backward: (norm * d) * g inside (-delta, delta), (norm * +-delta) * g
    outside (NaN stays NaN); from flat index k on (its scalar tail, `_scalar_tail`) the band
    and the outside's (+-norm * g) * delta are taken with delta a double."""
    out = np.multiply(d, norm, out=_new(d))
    out *= g
    t = d.dtype.type
    hi, lo = d >= t(delta), d <= -t(delta)
    if hi.any() or lo.any():
        edge = np.multiply(np.multiply(norm, t(delta)), g)
        out = np.where(hi, edge, np.where(lo, np.multiply(np.multiply(norm, -t(delta)), g),
                                          out)).astype(d.dtype, copy=False)
    if k is not None:
        dt, gt, t = _tail_parts(d, g, k)
        wide = dt.astype(np.float64)
        with np.errstate(all="ignore"):
            up = ((norm * gt).astype(np.float64) * delta).astype(t)
            down = ((-norm * gt).astype(np.float64) * delta).astype(t)
            out.reshape(-1)[k:] = np.where(wide <= -delta, down, np.where(
                wide >= delta, up, (norm * dt) * gt))
    return out


def huber_bwd(state, g, needs):
    d, reduction, delta = state[:3]
    norm = _norm(d, reduction, 1.0)
    k = _scalar_tail(state)
    return _grads(lambda e: _huber_grad(e, g, norm, delta, k), state, needs)
