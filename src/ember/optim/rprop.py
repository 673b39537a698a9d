"""Rprop (resilient backpropagation; maximize), torch's single-tensor update rule.

    s = sign(g * prev) mapped to etaplus (> 0), etaminus (< 0), 1 (= 0)
    step_size = clamp(step_size * s, *step_sizes);  g = 0 where s is etaminus
    p -= sign(g) * step_size;  prev = g
"""

import numpy as np

from .asgd import _real
from .optimizer import Optimizer, _check_lr, _full_like, _scalar


class Rprop(Optimizer):
    """Matches torch.optim.Rprop."""

    def __init__(self, params, lr=1e-2, etas=(0.5, 1.2), step_sizes=(1e-6, 50), *,
                 capturable=False, foreach=None, maximize=False, differentiable=False):
        _check_lr(lr)
        if not 0.0 < etas[0] < 1.0 < etas[1]:
            raise ValueError(f"Invalid eta values: {etas[0]}, {etas[1]}")
        defaults = {"lr": lr, "etas": etas, "step_sizes": step_sizes, "foreach": foreach,
                    "maximize": maximize, "differentiable": differentiable,
                    "capturable": capturable}
        super().__init__(params, defaults)

    def _init_state(self, p, state, group):
        state["step"] = _scalar(0.0)
        state["prev"] = _full_like(p)
        lr = float(group["lr"])
        state["step_size"] = _full_like(p, complex(lr, lr) if p.dtype.kind == "c" else lr)

    def _update(self, p, g, state, group):
        state["step"]._data[...] += 1
        if group["maximize"]:
            g = np.negative(g, out=self._tmp(g, 0))
        p, g = _real(p), _real(g)
        prev, size = _real(state["prev"]._data), _real(state["step_size"]._data)
        etaminus, etaplus = (p.dtype.type(e) for e in group["etas"])
        lo, hi = group["step_sizes"]
        s = np.multiply(g, prev, out=self._tmp(p, 1))
        np.sign(s, out=s)
        neg = s < 0
        s[s > 0] = etaplus
        s[neg] = etaminus
        s[s == 0] = 1
        size *= s
        np.clip(size, p.dtype.type(lo), p.dtype.type(hi), out=size)
        prev[...] = g
        prev[s == etaminus] = 0
        t = np.sign(prev, out=self._tmp(p, 2))
        t *= size
        p -= t
