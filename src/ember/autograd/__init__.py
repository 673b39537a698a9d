"""ember.autograd: backward, grad, Function, grad modes, gradcheck and anomaly detection.

`function.py` holds the graph nodes, `engine.py` walks them, `graph.py` is torch.autograd.graph
(saved-tensor hooks, multi-grad hooks, Node, GradientEdge), `grad_mode.py` and `anomaly.py`
hold the global switches; this file is the public surface, shaped as torch.autograd.
"""

import warnings

from .._compat import module_getattr as _module_getattr
from . import anomaly as anomaly_mode
from . import function, grad_mode
from .anomaly import detect_anomaly, set_detect_anomaly
from .engine import run_backward
from .function import Function
from .grad_mode import enable_grad, inference_mode, no_grad, set_grad_enabled
from .gradcheck import gradcheck, gradgradcheck

__all__ = ["Variable", "Function", "backward", "grad", "grad_mode", "anomaly_mode", "function",
           "no_grad", "enable_grad", "set_grad_enabled", "inference_mode", "gradcheck",
           "gradgradcheck", "detect_anomaly", "set_detect_anomaly", "graph"]
__getattr__ = _module_getattr(__name__, {"profiler": (".profiler", None),
                                         "forward_ad": (".forward_ad", None),
                                         "functional": (".functional", None),
                                         "graph": (".graph", None)})


def _tensor_cls():
    from .._tensor import Tensor
    return Tensor


_Tensor = [None]  # ember.Tensor, set by ember._tensor (this package loads first)


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False, inputs=None):
    """Matches torch.autograd.backward."""
    if inputs is None and tensors.__class__ is _Tensor[0]:  # the common call, loss.backward()
        return run_backward(tensors, grad_tensors, retain_graph, create_graph)
    from .graph import GradientEdge
    _refuse_edge_outputs(tensors, "backward")
    if inputs is not None:
        inputs = (inputs,) if isinstance(inputs, (_tensor_cls(), GradientEdge)) else \
            tuple(inputs)
        inputs = tuple(_leaf_of(i) if isinstance(i, GradientEdge) else i for i in inputs)
    run_backward(tensors, grad_tensors, retain_graph, create_graph, inputs=inputs)


def _leaf_of(edge):
    """The leaf a GradientEdge of an AccumulateGrad node accumulates into."""
    if edge.node.__class__ is function.AccumulateGrad:
        return edge.node.variable
    from .._compat import EmberNotImplemented
    raise EmberNotImplemented("ember does not implement torch.autograd.backward(inputs=...) "
                              "with the GradientEdge of a non-leaf tensor yet")


def _refuse_edge_outputs(outputs, api):
    from .graph import GradientEdge
    if isinstance(outputs, GradientEdge) or (isinstance(outputs, (tuple, list)) and any(
            isinstance(o, GradientEdge) for o in outputs)):
        from .._compat import EmberNotImplemented
        raise EmberNotImplemented(f"ember does not implement torch.autograd.{api} with "
                                  "GradientEdge outputs yet")


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False,
         only_inputs=True, allow_unused=None, is_grads_batched=False, materialize_grads=False):
    """Matches torch.autograd.grad. With is_grads_batched, the first dim of each grad_output is
    a batch: one backward per batch element (torch vmaps the same), stacked."""
    if materialize_grads and allow_unused is False:
        raise ValueError("Expected allow_unused to be True or not passed when "
                         "materialize_grads=True, but got: allow_unused=False.")
    if allow_unused is None:
        allow_unused = materialize_grads
    Tensor = _tensor_cls()
    keys = tuple(inputs) if type(inputs) is dict else None
    _refuse_edge_outputs(outputs, "grad")
    from .graph import GradientEdge
    inputs = (inputs,) if isinstance(inputs, (Tensor, GradientEdge)) else tuple(
        inputs.values() if keys is not None else inputs)
    if not inputs:
        raise RuntimeError("`inputs` argument to `grad()` cannot be empty.")
    if not only_inputs:
        warnings.warn("only_inputs argument is deprecated and is ignored now (defaults to True). "
                      "To accumulate gradient for other parts of the graph, please use "
                      "torch.autograd.backward.", FutureWarning, stacklevel=2)
    if is_grads_batched:
        res = _batched_grad(outputs, inputs, grad_outputs, retain_graph, create_graph,
                            allow_unused)
    else:
        res = run_backward(outputs, grad_outputs, retain_graph, create_graph, inputs=inputs,
                           allow_unused=allow_unused, accumulate=False)
    if materialize_grads:
        res = tuple(r if r is not None else i.new_zeros(i.shape).requires_grad_(create_graph)
                    for r, i in zip(res, inputs))
    return dict(zip(keys, res)) if keys is not None else res


def _batched_grad(outputs, inputs, grad_outputs, retain_graph, create_graph, allow_unused):
    """grad with the first dim of every grad_output a batch: a backward per element."""
    Tensor = _tensor_cls()
    outputs = (outputs,) if isinstance(outputs, Tensor) else tuple(outputs)
    grads = (grad_outputs,) if isinstance(grad_outputs, Tensor) or grad_outputs is None else \
        tuple(grad_outputs)
    if len(grads) == 1 and len(outputs) > 1 and grads[0] is None:
        grads = grads * len(outputs)
    sizes = []
    for i, (o, g) in enumerate(zip(outputs, grads)):
        if not isinstance(g, Tensor):
            raise NotImplementedError("ember does not implement torch.autograd.grad("
                                      "is_grads_batched=True) with a grad_output that is not a "
                                      "batched Tensor yet")
        if tuple(g.shape[1:]) != tuple(o.shape) or g.dim() == 0:
            raise RuntimeError(  # torch reports the shape of g[0] without its first dim
                "If `is_grads_batched=True`, we interpret the first dimension of each "
                "grad_output as the batch dimension. The sizes of the remaining dimensions are "
                "expected to match the shape of corresponding output, but a mismatch was "
                f"detected: grad_output[{i}] has a shape of {g.shape[2:]} and output[{i}] has a "
                f"shape of {o.shape}. If you only want some tensors in `grad_output` to be "
                "considered batched, consider using vmap.")
        sizes.append(g.shape[0])
    if len(set(sizes)) > 1:
        raise ValueError("vmap: Expected all tensors to have the same size in the mapped "
                         f"dimension, got sizes {sizes} for the mapped dimension")
    n = sizes[0]
    if retain_graph is None:
        retain_graph = create_graph
    per = [run_backward(outputs, [g[b] for g in grads], retain_graph or b < n - 1, create_graph,
                        inputs=inputs, allow_unused=allow_unused, accumulate=False)
           for b in range(n)]
    from ..ops.rearrange import stack
    out = []
    for k, inp in enumerate(inputs):
        if n == 0:
            out.append(inp.new_zeros((0, *inp.shape)))
        elif per[0][k] is None:
            out.append(None)
        else:
            out.append(stack([p[k] for p in per]))
    return tuple(out)


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

