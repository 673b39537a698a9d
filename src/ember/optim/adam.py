"""Adam and AdamW (amsgrad, L2 or decoupled weight decay, maximize), torch's update rule.

    m = lerp(m, g, 1 - beta1);  v = beta2 * v + (1 - beta2) * g * g   (v_max = max(v_max, v))
    p -= lr / (1 - beta1^t) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)
AdamW is Adam with decoupled weight decay: p *= 1 - lr * weight_decay before the update.
"""

import numpy as np

from .optimizer import (
    Optimizer,
    Tensor,
    _advance,
    _check_adam_args,
    _full_like,
    _scalar,
)


class Adam(Optimizer):
    """Matches torch.optim.Adam."""

    _batchable = True  # elementwise: small parameters step together (optim/_batched)

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 amsgrad=False, *, foreach=None, maximize=False, capturable=False,
                 differentiable=False, fused=None, decoupled_weight_decay=False):
        _check_adam_args(lr, eps, betas, weight_decay)
        if not all(isinstance(b, float) for b in betas[:2]) and not all(
                isinstance(b, Tensor) for b in betas[:2]):
            raise ValueError("betas must be either both floats or both Tensors")
        defaults = {"lr": lr, "betas": tuple(betas), "eps": eps, "weight_decay": weight_decay,
                    "amsgrad": amsgrad, "maximize": maximize, "foreach": foreach,
                    "capturable": capturable, "differentiable": differentiable, "fused": fused,
                    "decoupled_weight_decay": decoupled_weight_decay}
        super().__init__(params, defaults)
        if fused:
            if differentiable:
                raise RuntimeError("`fused` does not support `differentiable`")
            if foreach:
                raise RuntimeError("`fused` and `foreach` cannot be `True` together.")

    def _init_state(self, p, state, group):
        state["step"] = _scalar(0.0)
        state["exp_avg"] = _full_like(p)
        state["exp_avg_sq"] = _full_like(p)
        if group["amsgrad"]:
            state["max_exp_avg_sq"] = _full_like(p)

    def _update(self, p, g, state, group):
        step = _advance(state)
        lr = float(group["lr"])
        beta1, beta2 = map(float, group["betas"])
        g = self._adam_grad(p, g, group, lr)
        m, v = state["exp_avg"]._data, state["exp_avg_sq"]._data
        self._adam_moments_(m, v, g, beta1, beta2)
        bias_correction1 = 1 - beta1 ** step
        bias_correction2 = 1 - beta2 ** step
        step_size = lr / bias_correction1
        if group["amsgrad"]:
            v = np.maximum(state["max_exp_avg_sq"]._data, v, out=state["max_exp_avg_sq"]._data)
        denom = np.sqrt(v, out=self._tmp(p, 4))
        denom /= bias_correction2 ** 0.5
        denom += float(group["eps"])
        self._addcdiv_(p, m, denom, -step_size)


class AdamW(Adam):
    """Matches torch.optim.AdamW (Adam with decoupled weight decay)."""

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2,
                 amsgrad=False, *, maximize=False, foreach=None, capturable=False,
                 differentiable=False, fused=None):
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, foreach=foreach,
                         maximize=maximize, capturable=capturable,
                         differentiable=differentiable, fused=fused,
                         decoupled_weight_decay=True)

    def __setstate__(self, state):
        super().__setstate__(state)
        for group in self.param_groups:
            group["decoupled_weight_decay"] = True
