"""Adadelta (weight decay, maximize), torch's update rule.

    v = rho * v + (1 - rho) * g * g;  d = sqrt(u + eps) / sqrt(v + eps) * g
    u = rho * u + (1 - rho) * d * d;  p -= lr * d
"""

import numpy as np

from .optimizer import Optimizer, _advance, _check_lr, _check_nonneg, _full_like, _scalar


class Adadelta(Optimizer):
    """Matches torch.optim.Adadelta."""

    _CAPTURE_XLA = False

    def __init__(self, params, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0, foreach=None, *,
                 capturable=False, maximize=False, differentiable=False):
        _check_lr(lr)
        if not 0.0 <= rho <= 1.0:
            raise ValueError(f"Invalid rho value: {rho}")
        _check_nonneg("epsilon", eps)
        _check_nonneg("weight_decay", weight_decay)
        defaults = {"lr": lr, "rho": rho, "eps": eps, "weight_decay": weight_decay,
                    "maximize": maximize, "capturable": capturable, "foreach": foreach,
                    "differentiable": differentiable}
        super().__init__(params, defaults)

    def _init_state(self, p, state, group):
        state["step"] = _scalar(0.0)
        state["square_avg"] = _full_like(p)
        state["acc_delta"] = _full_like(p)

    def _update(self, p, g, state, group):
        _advance(state)
        g = self._grad(p, g, group)
        rho, eps = float(group["rho"]), float(group["eps"])
        v, u = state["square_avg"]._data, state["acc_delta"]._data
        v *= rho
        self._addcmul_(v, g, g, 1 - rho)
        std = np.add(v, eps, out=self._tmp(p, 4))
        np.sqrt(std, out=std)
        delta = np.add(u, eps, out=self._tmp(p, 5))
        np.sqrt(delta, out=delta)
        delta /= std
        delta *= g
        u *= rho
        self._addcmul_(u, delta, delta, 1 - rho)
        self._fma_(p, delta, -float(group["lr"]))  # torch's p.add_(delta, alpha=-lr)
