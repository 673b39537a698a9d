"""RMSprop (centered, momentum, weight decay, maximize), torch's update rule.

    v = alpha * v + (1 - alpha) * g * g;  avg = sqrt(v - mean_g^2 if centered else v) + eps
    b = momentum * b + g / avg;  p -= lr * b      (without momentum: p -= lr * g / avg)
"""

import numpy as np

from .. import _fma
from .optimizer import Optimizer, _advance, _check_lr, _check_nonneg, _full_like, _scalar


class RMSprop(Optimizer):
    """Matches torch.optim.RMSprop."""

    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0,
                 centered=False, capturable=False, foreach=None, maximize=False,
                 differentiable=False):
        _check_lr(lr)
        _check_nonneg("epsilon", eps)
        _check_nonneg("momentum", momentum)
        _check_nonneg("weight_decay", weight_decay)
        _check_nonneg("alpha", alpha)
        defaults = {"lr": lr, "momentum": momentum, "alpha": alpha, "eps": eps,
                    "centered": centered, "weight_decay": weight_decay,
                    "capturable": capturable, "foreach": foreach, "maximize": maximize,
                    "differentiable": differentiable}
        super().__init__(params, defaults)

    def _init_state(self, p, state, group):
        state["step"] = _scalar(0.0)
        state["square_avg"] = _full_like(p)
        if group["momentum"] > 0:
            state["momentum_buffer"] = _full_like(p)
        if group["centered"]:
            state["grad_avg"] = _full_like(p)

    def _update(self, p, g, state, group):
        _advance(state)
        g = self._grad(p, g, group)
        alpha, lr, momentum = float(group["alpha"]), float(group["lr"]), float(group["momentum"])
        v = state["square_avg"]._data
        v *= alpha
        self._addcmul_(v, g, g, 1 - alpha)
        avg = self._tmp(p, 4)
        if group["centered"]:
            mean = state["grad_avg"]._data
            self._lerp_(mean, g, 1 - alpha)
            avg[...] = v  # torch: square_avg.addcmul(grad_avg, grad_avg, value=-1), fused
            _fma.fma3_(avg, np.negative(mean, out=self._tmp(p, 3)), mean)
            np.sqrt(avg, out=avg)
        else:
            np.sqrt(v, out=avg)
        avg += float(group["eps"])
        if momentum > 0:
            b = state["momentum_buffer"]._data
            b *= momentum
            t = np.divide(g, avg, out=self._tmp(p, 3))
            b += t
            self._fma_(p, b, -lr)  # torch's p.add_(buf, alpha=-lr)
        else:
            self._addcdiv_(p, g, avg, -lr)
