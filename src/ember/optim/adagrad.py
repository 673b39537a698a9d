"""Adagrad (lr decay, weight decay, initial accumulator, maximize), torch's update rule.

    s += g * g;  p -= lr / (1 + (t - 1) * lr_decay) * g / (sqrt(s) + eps)
Like torch, state for the constructor's parameters exists before the first step.
"""

import numpy as np

from .optimizer import Optimizer, _advance, _check_lr, _check_nonneg, _full_like, _scalar


class Adagrad(Optimizer):
    """Matches torch.optim.Adagrad."""

    def __init__(self, params, lr=1e-2, lr_decay=0, weight_decay=0, initial_accumulator_value=0,
                 eps=1e-10, foreach=None, *, maximize=False, differentiable=False, fused=None):
        _check_lr(lr)
        _check_nonneg("lr_decay", lr_decay)
        _check_nonneg("weight_decay", weight_decay)
        _check_nonneg("initial_accumulator_value", initial_accumulator_value)
        _check_nonneg("epsilon", eps)
        defaults = {"lr": lr, "lr_decay": lr_decay, "eps": eps, "weight_decay": weight_decay,
                    "initial_accumulator_value": initial_accumulator_value, "foreach": foreach,
                    "maximize": maximize, "differentiable": differentiable, "fused": fused}
        super().__init__(params, defaults)
        if fused:
            if differentiable:
                raise RuntimeError("`fused` does not support `differentiable`")
            if foreach:
                raise RuntimeError("`fused` and `foreach` cannot be `True` together.")
        for group in self.param_groups:
            for p in group["params"]:
                self._init_state(p._data, self.state[p], group)

    def _init_state(self, p, state, group):
        state["step"] = _scalar(0.0)
        state["sum"] = _full_like(p, self.defaults["initial_accumulator_value"])

    def _update(self, p, g, state, group):
        step = _advance(state)
        g = self._grad(p, g, group)
        clr = float(group["lr"]) / (1 + (step - 1) * group["lr_decay"])
        s = state["sum"]._data
        self._addcmul_(s, g, g, 1)
        std = np.sqrt(s, out=self._tmp(p, 4))
        std += float(group["eps"])
        self._addcdiv_(p, g, std, -clr)
