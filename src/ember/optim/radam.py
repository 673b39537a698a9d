"""RAdam (rectified Adam; L2 or decoupled weight decay, maximize), torch's update rule.

    m = lerp(m, g, 1 - beta1);  v = beta2 * v + (1 - beta2) * g * g
    rho_inf = 2 / (1 - beta2) - 1;  rho_t = rho_inf - 2 t beta2^t / (1 - beta2^t)
    p -= lr * m / (1 - beta1^t) * [r_t * sqrt(1 - beta2^t) / (sqrt(v) + eps) if rho_t > 5 else 1]
with r_t = sqrt((rho_t - 4)(rho_t - 2) rho_inf / ((rho_inf - 4)(rho_inf - 2) rho_t)).
"""

import numpy as np

from .optimizer import (
    Optimizer,
    _advance,
    _check_adam_args,
    _full_like,
    _scalar,
)


class RAdam(Optimizer):
    """Matches torch.optim.RAdam."""

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 decoupled_weight_decay=False, *, foreach=None, maximize=False,
                 capturable=False, differentiable=False):
        _check_adam_args(lr, eps, betas, weight_decay)
        defaults = {"lr": lr, "betas": betas, "eps": eps, "weight_decay": weight_decay,
                    "maximize": maximize, "foreach": foreach, "capturable": capturable,
                    "decoupled_weight_decay": decoupled_weight_decay,
                    "differentiable": differentiable}
        super().__init__(params, defaults)

    def _init_state(self, p, state, group):
        state["step"] = _scalar(0.0)
        state["exp_avg"] = _full_like(p)
        state["exp_avg_sq"] = _full_like(p)

    def _update(self, p, g, state, group):
        step = _advance(state)
        lr = float(group["lr"])
        beta1, beta2 = map(float, group["betas"])
        g = self._adam_grad(p, g, group, lr)
        m, v = state["exp_avg"]._data, state["exp_avg_sq"]._data
        self._adam_moments_(m, v, g, beta1, beta2)
        bias_correction1 = 1 - beta1 ** step
        bias_correction2 = 1 - beta2 ** step
        upd = np.divide(m, bias_correction1, out=self._tmp(p, 3))
        upd *= lr
        rho_inf = 2 / (1 - beta2) - 1
        rho_t = rho_inf - 2 * step * (beta2 ** step) / bias_correction2
        if rho_t > 5.0:
            # torch's scalar / tensor is reciprocal(tensor) * scalar
            adaptive = np.sqrt(v, out=self._tmp(p, 4))
            adaptive += float(group["eps"])
            np.reciprocal(adaptive, out=adaptive)
            adaptive *= bias_correction2 ** 0.5
            upd *= adaptive
            upd *= ((rho_t - 4) * (rho_t - 2) * rho_inf
                    / ((rho_inf - 4) * (rho_inf - 2) * rho_t)) ** 0.5
        p -= upd
