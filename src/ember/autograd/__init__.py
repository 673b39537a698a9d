"""ember.autograd: backward, grad, Function, grad modes, gradcheck and anomaly detection.

`function.py` holds the graph nodes, `engine.py` walks them, `grad_mode.py` and `anomaly.py`
hold the global switches; this file is the public surface, shaped as torch.autograd.
"""

import warnings

from . import anomaly as anomaly_mode
from . import function, grad_mode
from .anomaly import detect_anomaly, set_detect_anomaly
from .engine import run_backward
from .function import Function, once_differentiable
from .grad_mode import enable_grad, inference_mode, no_grad, set_grad_enabled
from .gradcheck import GradcheckError, gradcheck, gradgradcheck

__all__ = ["Variable", "Function", "backward", "grad", "grad_mode", "anomaly_mode", "function",
           "no_grad", "enable_grad", "set_grad_enabled", "inference_mode", "gradcheck",
           "gradgradcheck", "GradcheckError", "detect_anomaly", "set_detect_anomaly",
           "once_differentiable"]


def _tensor_cls():
    from .._tensor import Tensor
    return Tensor


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False, inputs=None):
    """Matches torch.autograd.backward."""
    if inputs is not None:
        inputs = (inputs,) if isinstance(inputs, _tensor_cls()) else tuple(inputs)
    run_backward(tensors, grad_tensors, retain_graph, create_graph, inputs=inputs)


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False,
         only_inputs=True, allow_unused=None, is_grads_batched=False, materialize_grads=False):
    """Matches torch.autograd.grad."""
    inputs = (inputs,) if isinstance(inputs, _tensor_cls()) else tuple(inputs)
    if allow_unused is None:
        allow_unused = materialize_grads
    res = run_backward(outputs, grad_outputs, retain_graph, create_graph, inputs=inputs,
                       allow_unused=allow_unused, accumulate=False)
    if materialize_grads:
        res = tuple(r if r is not None else i.new_zeros(i.shape) for r, i in zip(res, inputs))
    return res


class _VariableMeta(type):
    def __instancecheck__(cls, other):
        return isinstance(other, _tensor_cls())


class Variable(metaclass=_VariableMeta):
    """The legacy Variable: `Variable(t)` is a new leaf sharing t's data; every Tensor is one."""

    def __new__(cls, data=None, requires_grad=False, volatile=False):
        Tensor = _tensor_cls()
        if volatile:
            warnings.warn("volatile was removed and now has no effect. Use `with torch.no_grad():` "
                          "instead.", UserWarning, stacklevel=2)
        if data is None:
            from .. import tensor
            data = tensor([])
        if not isinstance(data, Tensor):
            raise TypeError(f"Variable data has to be a tensor, but got {type(data).__name__}")
        if requires_grad and not (data.dtype.is_floating_point or data.dtype.is_complex):
            raise RuntimeError("Only Tensors of floating point and complex dtype can require "
                               "gradients")
        return data.detach().requires_grad_(requires_grad)


class _Forward:
    pass


forward_ad = _Forward()
