"""Adafactor (factored second moments; decoupled weight decay, maximize), torch's single-tensor
update rule.

For a gradient with two or more dims the second moment is kept as row and column means of g^2
(lerped with weight t ** beta2_decay) and estimated as their outer product over the mean row;
for a vector it is kept whole. The update is g / sqrt(estimate), scaled down by its RMS over d,
with step size max(eps2, RMS(p)) * min(lr, 1 / sqrt(t)).
"""

import math

import numpy as np

from .optimizer import Optimizer, _full_like, _scalar


class Adafactor(Optimizer):
    """Matches torch.optim.Adafactor."""

    def __init__(self, params, lr=1e-2, beta2_decay=-0.8, eps=(None, 1e-3), d=1.0,
                 weight_decay=0.0, *, foreach=None, maximize=False):
        if hasattr(lr, "numel") and lr.numel() != 1:
            raise ValueError("Tensor lr must be 1-element")
        if not 0.0 <= lr:
            raise ValueError(f"Learning rate should be >= 0 but is: {lr}")
        if not 0.0 >= beta2_decay:
            raise ValueError(f"beta2_decay should be <= 0 but is: {beta2_decay}")
        if eps[0] is not None and not 0.0 <= eps[0]:
            raise ValueError(f"epsilon1 should be >= 0 but is: {eps[0]}")
        if not 0.0 <= eps[1]:
            raise ValueError(f"epsilon2 should be >= 0 but is: {eps[1]}")
        if not 1.0 <= d:
            raise ValueError(f"Clipping threshold d should be >= 1 but is: {d}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"weight_decay should be >= 0 but is: {weight_decay}")
        defaults = {"lr": lr, "beta2_decay": beta2_decay, "eps": eps, "d": d,
                    "weight_decay": weight_decay, "foreach": foreach, "maximize": maximize}
        super().__init__(params, defaults)

    def _init_state(self, p, state, group):
        state["step"] = _scalar(0.0)
        if p.ndim > 1:
            state["row_var"] = _full_like(p[..., :1])
            state["col_var"] = _full_like(p[..., :1, :])
        else:
            state["variance"] = _full_like(p)

    def step(self, closure=None):
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is not None and p.dtype.is_complex:
                    raise RuntimeError("Adafactor does not support complex parameters")
        return super().step(closure)

    def _update(self, p, g, state, group):
        if group["maximize"]:
            g = np.negative(g, out=self._tmp(g, 0))
        step_t = state["step"]._data
        step_t += 1
        t = float(step_t)
        eps1, eps2 = group["eps"]
        if eps1 is None:
            eps1 = float(np.finfo(p.dtype).eps)
        lr, d = float(group["lr"]), float(group["d"])
        beta = t ** float(group["beta2_decay"])
        rho = min(lr, 1 / (t ** 0.5))
        alpha = max(eps2, _norm(p) / (p.size ** 0.5)) * rho
        wd = float(group["weight_decay"])
        if wd != 0:
            p *= p.dtype.type(1 - lr * wd)
        if g.ndim > 1:
            row, col = state["row_var"]._data, state["col_var"]._data
            sq = np.multiply(g, g, out=self._tmp(p, 1))
            self._lerp_(row, _mean_square(sq, -1, g.shape[-1]), beta)
            self._lerp_(col, _mean_square(sq, -2, g.shape[-2]), beta)
            est = np.matmul(row, col)
            est /= np.maximum(row.mean(axis=-2, keepdims=True), p.dtype.type(eps1))
        else:
            v = state["variance"]._data
            self._lerp_(v, np.multiply(g, g), beta)
            est = v.copy()
        np.maximum(est, p.dtype.type(eps1 * eps1), out=est)
        np.sqrt(est, out=est)
        np.divide(p.dtype.type(1), est, out=est)
        est *= g
        denom = max(1.0, _norm(est) / ((est.size ** 0.5) * d))
        self._fma_(p, est, -alpha / denom)


def _norm(a):
    """The 2-norm as a Python float (torch's `.norm(2).item()`)."""
    return math.sqrt(float(np.sum(np.multiply(a, a), dtype=a.dtype)))


def _mean_square(sq, axis, n):
    """torch's norm(g, dim, keepdim).square_().div_(n), from the squares `sq`."""
    r = np.sqrt(np.sum(sq, axis=axis, keepdims=True))
    r *= r
    r /= r.dtype.type(n)
    return r
