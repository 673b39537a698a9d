"""NAdam (momentum decay, L2 or decoupled weight decay, maximize), torch's update rule.

    mu_t = beta1 * (1 - 0.5 * 0.96^(t * momentum_decay));  P_t = mu_1 * ... * mu_t (in float32)
    m = lerp(m, g, 1 - beta1);  v = beta2 * v + (1 - beta2) * g^2;  d = sqrt(v / (1-beta2^t)) + eps
    p -= lr * (1 - mu_t) / (1 - P_t) * g / d + lr * mu_{t+1} / (1 - P_t * mu_{t+1}) * m / d
"""

import numpy as np

from .optimizer import (
    Optimizer,
    _advance,
    _check_adam_args,
    _check_nonneg,
    _full_like,
    _scalar,
)


class NAdam(Optimizer):
    """Matches torch.optim.NAdam."""

    _CAPTURED = "params, mu_products and state_steps"

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 momentum_decay=4e-3, decoupled_weight_decay=False, *, foreach=None,
                 maximize=False, capturable=False, differentiable=False):
        _check_adam_args(lr, eps, betas, weight_decay)
        _check_nonneg("momentum_decay", momentum_decay)
        defaults = {"lr": lr, "betas": betas, "eps": eps, "weight_decay": weight_decay,
                    "momentum_decay": momentum_decay,
                    "decoupled_weight_decay": decoupled_weight_decay, "maximize": maximize,
                    "foreach": foreach, "capturable": capturable,
                    "differentiable": differentiable}
        super().__init__(params, defaults)

    def _init_state(self, p, state, group):
        state["step"] = _scalar(0.0)
        state["mu_product"] = _scalar(1.0)
        state["exp_avg"] = _full_like(p)
        state["exp_avg_sq"] = _full_like(p)

    def _update(self, p, g, state, group):
        step = _advance(state)
        lr = float(group["lr"])
        beta1, beta2 = map(float, group["betas"])
        decay = float(group["momentum_decay"])
        bias_correction2 = 1 - beta2 ** step
        g = self._adam_grad(p, g, group, lr)
        mu = beta1 * (1.0 - 0.5 * (0.96 ** (step * decay)))
        mu_next = beta1 * (1.0 - 0.5 * (0.96 ** ((step + 1) * decay)))
        mu_product = state["mu_product"]._data
        mu_product *= mu
        mu_product = float(mu_product)
        m, v = state["exp_avg"]._data, state["exp_avg_sq"]._data
        self._adam_moments_(m, v, g, beta1, beta2)
        denom = np.divide(v, bias_correction2, out=self._tmp(p, 4))
        np.sqrt(denom, out=denom)
        denom += float(group["eps"])
        self._addcdiv_(p, g, denom, -lr * (1.0 - mu) / (1.0 - mu_product))
        self._addcdiv_(p, m, denom, (-lr * mu_next) / (1.0 - mu_product * mu_next))
