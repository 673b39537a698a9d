"""SGD with momentum, dampening, Nesterov, L2 weight decay and maximize (torch's update rule).

    g = -grad if maximize else grad;  g += weight_decay * p
    b = g on the first step, else momentum * b + (1 - dampening) * g
    g = g + momentum * b if nesterov else b;  p -= lr * g
"""


from .optimizer import Optimizer, _check_lr, _check_nonneg, _wrap


class SGD(Optimizer):
    """Matches torch.optim.SGD."""

    def __init__(self, params, lr=1e-3, momentum=0, dampening=0, weight_decay=0, nesterov=False,
                 *, maximize=False, foreach=None, differentiable=False, fused=None):
        _check_lr(lr)
        _check_nonneg("momentum", momentum)
        _check_nonneg("weight_decay", weight_decay)
        defaults = {"lr": lr, "momentum": momentum, "dampening": dampening,
                    "weight_decay": weight_decay, "nesterov": nesterov, "maximize": maximize,
                    "foreach": foreach, "differentiable": differentiable, "fused": fused}
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        super().__init__(params, defaults)
        if fused:
            if differentiable:
                raise RuntimeError("`fused` does not support `differentiable`")
            if foreach:
                raise RuntimeError("`fused` and `foreach` cannot be `True` together.")

    def _uses_state(self, group):
        return group["momentum"] != 0

    def _update(self, p, g, state, group):
        g = self._grad(p, g, group)
        momentum = float(group["momentum"])
        if momentum != 0:
            buf = state.get("momentum_buffer")
            if buf is None:
                b = g.copy(order="K")
                state["momentum_buffer"] = _wrap(b)
            else:
                b = buf._data
                b *= momentum
                dampening = float(group["dampening"])
                if dampening == 0:
                    b += g
                else:  # torch: buf.add_(grad, alpha=1 - dampening), one rounding
                    self._fma_(b, g, 1 - dampening)
            if group["nesterov"]:  # torch: grad.add(buf, alpha=momentum)
                g = self._plus(g, b, momentum, 3)
            else:
                g = b
        self._fma_(p, g, -float(group["lr"]))  # torch's p.add_(g, alpha=-lr)
