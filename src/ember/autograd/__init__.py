"""ember.autograd: backward, grad, Function, grad modes, gradcheck and anomaly detection."""

from . import grad_mode
from .anomaly import detect_anomaly, is_anomaly_enabled, set_detect_anomaly
from .engine import run_backward
from .function import Function, FunctionCtx, once_differentiable
from .grad_mode import (enable_grad, inference_mode, is_grad_enabled, no_grad,
                        set_grad_enabled)
from .gradcheck import gradcheck, gradgradcheck

__all__ = ["backward", "grad", "Function", "Variable", "no_grad", "enable_grad",
           "set_grad_enabled", "inference_mode", "gradcheck", "gradgradcheck",
           "detect_anomaly", "set_detect_anomaly"]


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False, inputs=None):
    """Matches torch.autograd.backward."""
    if inputs is not None:
        from .._tensor import Tensor
        inputs = (inputs,) if isinstance(inputs, Tensor) else tuple(inputs)
        grads = run_backward(tensors, grad_tensors, retain_graph, create_graph, inputs=inputs,
                             allow_unused=True, accumulate=False)
        for t, g in zip(inputs, grads):
            if g is not None:
                t.grad = g if t.grad is None else t.grad + g
        return
    run_backward(tensors, grad_tensors, retain_graph, create_graph)


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False,
         only_inputs=True, allow_unused=None, is_grads_batched=False, materialize_grads=False):
    """Matches torch.autograd.grad."""
    from .._tensor import Tensor
    single = isinstance(inputs, Tensor)
    inputs = (inputs,) if single else tuple(inputs)
    if allow_unused is None:
        allow_unused = materialize_grads
    res = run_backward(outputs, grad_outputs, retain_graph, create_graph, inputs=inputs,
                       allow_unused=allow_unused, accumulate=False)
    if materialize_grads:
        res = tuple(r if r is not None else i.new_zeros(i.shape) for r, i in zip(res, inputs))
    return res


def Variable(data=None, requires_grad=False, volatile=False):
    """The legacy Variable wrapper: returns the tensor itself (optionally requiring grad)."""
    if requires_grad:
        data.requires_grad_(True)
    return data


class _Forward:
    pass


forward_ad = _Forward()
