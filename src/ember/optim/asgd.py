"""ASGD (averaged SGD; weight decay, maximize), torch's single-tensor update rule.

    p *= 1 - lambd * eta;  p -= eta * g;  ax += mu * (p - ax)   (ax = p while mu is 1)
    eta = lr / (1 + lambd * lr * t) ** alpha;  mu = 1 / max(1, t - t0)

eta and mu are 0-d state tensors in torch's scalar dtype, so the updates use their rounded
values, as torch's `.item()` does.
"""

import numpy as np

from .optimizer import Optimizer, _check_lr, _check_nonneg, _full_like, _scalar


class ASGD(Optimizer):
    """Matches torch.optim.ASGD."""

    _CAPTURED = "params, mus, etas, and state_steps"

    def __init__(self, params, lr=1e-2, lambd=1e-4, alpha=0.75, t0=1e6, weight_decay=0,
                 foreach=None, maximize=False, differentiable=False, capturable=False):
        _check_lr(lr)
        _check_nonneg("weight_decay", weight_decay)
        defaults = {"lr": lr, "lambd": lambd, "alpha": alpha, "t0": t0,
                    "weight_decay": weight_decay, "foreach": foreach, "maximize": maximize,
                    "differentiable": differentiable, "capturable": capturable}
        super().__init__(params, defaults)

    def _init_state(self, p, state, group):
        state["step"] = _scalar(0.0)
        state["eta"] = _scalar(float(group["lr"]))
        state["mu"] = _scalar(1.0)
        state["ax"] = _full_like(p)

    def _update(self, p, g, state, group):
        p, g, ax = _real(p), _real(g), _real(state["ax"]._data)
        step_t = state["step"]._data
        step_t += 1
        g = self._grad(p, g, group)
        eta_t, mu_t = state["eta"]._data, state["mu"]._data
        eta, mu = float(eta_t), float(mu_t)
        lambd, lr = float(group["lambd"]), float(group["lr"])
        p *= p.dtype.type(1 - lambd * eta)
        self._fma_(p, g, -eta)
        if mu != 1:
            d = np.subtract(p, ax, out=self._tmp(p, 2))
            d *= mu_t.astype(p.dtype) if p.dtype != mu_t.dtype else mu_t
            ax += d
        else:
            ax[...] = p
        step = float(step_t)
        eta_t[...] = lr / ((1 + lambd * lr * step) ** float(group["alpha"]))  # rounded to the
        mu_t[...] = 1 / max(1, step - float(group["t0"]))  # scalar dtype, as torch's copy_


def _real(a):
    """A complex array as its real pairs (torch: view_as_real), else itself."""
    return a.view(a.real.dtype).reshape(a.shape + (2,)) if a.dtype.kind == "c" else a
