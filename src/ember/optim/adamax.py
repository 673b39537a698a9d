"""Adamax (Adam with the infinity norm; weight decay, maximize), torch's update rule.

    m = lerp(m, g, 1 - beta1);  u = max(beta2 * u, |g| + eps);  p -= lr / (1 - beta1^t) * m / u
"""

import numpy as np

from .optimizer import (
    Optimizer,
    _advance,
    _check_adam_args,
    _full_like,
    _scalar,
)


class Adamax(Optimizer):
    """Matches torch.optim.Adamax."""

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 foreach=None, *, maximize=False, differentiable=False, capturable=False):
        _check_adam_args(lr, eps, betas, weight_decay)
        defaults = {"lr": lr, "betas": betas, "eps": eps, "weight_decay": weight_decay,
                    "foreach": foreach, "maximize": maximize, "differentiable": differentiable,
                    "capturable": capturable}
        super().__init__(params, defaults)

    def _init_state(self, p, state, group):
        state["step"] = _scalar(0.0)
        state["exp_avg"] = _full_like(p)
        state["exp_inf"] = _full_like(p)

    def _update(self, p, g, state, group):
        step = _advance(state)
        g = self._grad(p, g, group)
        beta1, beta2 = map(float, group["betas"])
        m, u = state["exp_avg"]._data, state["exp_inf"]._data
        self._lerp_(m, g, 1 - beta1)
        u *= beta2
        t = np.abs(g, out=self._tmp(p, 4))
        t += float(group["eps"])
        np.maximum(u, t, out=u)
        clr = float(group["lr"]) / (1 - beta1 ** step)
        self._addcdiv_(p, m, u, -clr)
