"""torch.autograd.functional: vjp, jvp, jacobian, hessian, vhp and hvp on top of autograd.grad.

Inputs are re-made as graph leaves (or aliases, to keep an outer graph when create_graph), the
function runs once, and reverse mode gives everything: a jvp is the double-backward identity
J v = d(J^T u)/du . v, and a Jacobian is one backward pass per output element. The vectorized
and forward-mode strategies give the same numbers, so they share that path (with torch's
checks on the arguments they refuse).
"""

from .. import autograd
from .._tensor import Tensor
from .grad_mode import enable_grad, is_grad_enabled, set_grad_enabled

__all__ = ["vjp", "jvp", "jacobian", "hessian", "vhp", "hvp"]


def _tuple(x, arg, fn):
    """(was it a tuple, as a tuple), checking every entry is a Tensor."""
    is_tuple = isinstance(x, tuple)
    items = x if is_tuple else (x,)
    for i, el in enumerate(items):
        if not isinstance(el, Tensor):
            where = f"value at index {i}" if is_tuple else f"given {arg}"
            raise TypeError(f"The {arg} given to {fn} must be either a Tensor or a tuple of "
                            f"Tensors but the {where} has type {type(el)}.")
    return is_tuple, items


def _leaves(inputs, create_graph, need_graph):
    return tuple(t.view_as(t) if create_graph and t.requires_grad
                 else t.detach().requires_grad_(need_graph) for t in inputs)


def _finish(ts, create_graph):
    if ts and isinstance(ts[0], Tensor):
        return ts if create_graph else tuple(t.detach() for t in ts)
    return tuple(_finish(t, create_graph) for t in ts)


def _unpack(res, flags):
    """Undo the tuple wrapping for inputs/outputs given as single tensors."""
    if isinstance(flags, tuple):
        if not flags[1]:
            res = tuple(r[0] for r in res)
        return res if flags[0] else res[0]
    return res if flags else res[0]


def _check_v(v, other, other_is_tuple):
    if len(v) != len(other):
        if other_is_tuple:
            raise RuntimeError(f"v is a tuple of invalid length: should be {len(other)} but got "
                               f"{len(v)}.")
        raise RuntimeError("The given v should contain a single Tensor.")
    for i, (a, b) in enumerate(zip(v, other)):
        if a.size() != b.size():
            pre = f"Entry {i} in " if other_is_tuple else ""
            raise RuntimeError(f"{pre}v has invalid size: should be {b.size()} but got "
                               f"{a.size()}.")


_STRICT = {
    "outputs": ("Output {i} of the user-provided function does not require gradients. The "
                "outputs must be computed in a differentiable manner from the input when "
                "running in strict mode."),
    "grad_inputs": ("The gradient with respect to input {i} is independent of the inputs of "
                    "the user-provided function. This is not allowed in strict mode."),
    "jacobian": ("While computing the hessian, found that the jacobian of the user-provided "
                 "function with respect to input {i} is independent of the input. This is not "
                 "allowed in strict mode. You should ensure that your function is twice "
                 "differentiable and that the jacobian depends on the inputs (this would be "
                 "violated by a linear function for example)."),
    "hessian": ("The hessian of the user-provided function with respect to input {i} is "
                "independent of the input. This is not allowed in strict mode. You should "
                "ensure that your function is thrice differentiable and that the hessian "
                "depends on the inputs."),
}
_ZERO = {
    "back": ("The output of the user-provided function is independent of input {i}. This is "
             "not allowed in strict mode."),
    "back_trick": ("The gradient with respect to the input is independent of entry {i} in the "
                   "grad_outputs when using the double backward trick to compute forward mode "
                   "gradients. This is not allowed in strict mode."),
    "double_back": ("The jacobian of the user-provided function is independent of input {i}. "
                    "This is not allowed in strict mode."),
    "double_back_trick": ("The hessian of the user-provided function is independent of entry "
                          "{i} in the grad_jacobian. This is not allowed in strict mode as it "
                          "prevents from using the double backward trick to replace forward "
                          "mode AD."),
}
_NO_GRAPH = {
    False: ("The jacobian of the user-provided function is independent of input {i}. This is "
            "not allowed in strict mode when create_graph=True."),
    True: ("The hessian of the user-provided function is independent of input {i}. This is not "
           "allowed in strict mode when create_graph=True."),
}


def _strict(ts, kind, strict):
    if not strict:
        return
    for i, t in enumerate(ts):
        if t is None:
            raise RuntimeError(f"The output of the user-provided function is independent of "
                               f"input {i}. This is not allowed in strict mode.")
        if not t.requires_grad:
            raise RuntimeError(_STRICT[kind].format(i=i))


def _grad(outputs, inputs, grad_outputs=None, create_graph=False, retain_graph=None):
    """autograd.grad over the outputs that require grad; None per input when none does."""
    grad_outputs = (None,) * len(outputs) if grad_outputs is None else grad_outputs
    pairs = [(o, g) for o, g in zip(outputs, grad_outputs) if o is not None and o.requires_grad]
    if not pairs:
        return (None,) * len(inputs)
    return autograd.grad([o for o, _ in pairs], inputs, [g for _, g in pairs],
                         retain_graph=retain_graph, create_graph=create_graph, allow_unused=True)


def _zeros_for(grads, refs, strict, create_graph, stage):
    import ember
    out = []
    for i, g in enumerate(grads):
        if g is None:
            if strict:
                raise RuntimeError(_ZERO[stage].format(i=i))
            g = ember.zeros_like(refs[i])
        elif strict and create_graph and not g.requires_grad:
            raise RuntimeError(_NO_GRAPH["double" in stage].format(i=i))
        out.append(g)
    return tuple(out)


def _run(inputs, fn, create_graph, v):
    """Shared preamble: the inputs as leaves, and v (not yet checked against anything)."""
    is_in, inputs = _tuple(inputs, "inputs", fn)
    inputs = _leaves(inputs, create_graph, True)
    if v is not None:
        _, v = _tuple(v, "v", fn)
        v = _leaves(v, create_graph, False)
    return is_in, inputs, v


def vjp(func, inputs, v=None, create_graph=False, strict=False):
    """Matches torch.autograd.functional.vjp: (outputs, v^T J)."""
    with enable_grad():
        is_in, inputs, v = _run(inputs, "vjp", create_graph, v)
        is_out, outputs = _tuple(func(*inputs), "outputs of the user-provided function", "vjp")
        _strict(outputs, "outputs", strict)
        if v is not None:
            _check_v(v, outputs, is_out)
        elif len(outputs) != 1 or outputs[0].nelement() != 1:
            raise RuntimeError("The vector v can only be None if the user-provided function "
                               "returns a single Tensor with a single element.")
    with set_grad_enabled(True if create_graph else is_grad_enabled()):
        res = _zeros_for(_grad(outputs, inputs, v, create_graph), inputs, strict, create_graph,
                         "back")
    return (_unpack(_finish(outputs, create_graph), is_out),
            _unpack(_finish(res, create_graph), is_in))


def _single_element_v(v, inputs):
    if v is None and (len(inputs) != 1 or inputs[0].nelement() != 1):
        raise RuntimeError("The vector v can only be None if the input to the user-provided "
                           "function is a single Tensor with a single element.")


def jvp(func, inputs, v=None, create_graph=False, strict=False):
    """Matches torch.autograd.functional.jvp (J v through the double-backward trick)."""
    import ember
    with enable_grad():
        is_in, inputs, v = _run(inputs, "jvp", create_graph, v)
        if v is not None:
            _check_v(v, inputs, is_in)
        _single_element_v(v, inputs)
        is_out, outputs = _tuple(func(*inputs), "outputs of the user-provided function", "jvp")
        _strict(outputs, "outputs", strict)
        us = tuple(ember.zeros_like(o, requires_grad=True) for o in outputs)
        g = _grad(outputs, inputs, us, create_graph=True)
        _strict(g, "grad_inputs", strict)
    with set_grad_enabled(True if create_graph else is_grad_enabled()):
        res = _zeros_for(_grad(g, us, v, create_graph), outputs, strict, create_graph,
                         "back_trick")
    return (_unpack(_finish(outputs, create_graph), is_out),
            _unpack(_finish(res, create_graph), is_out))


def jacobian(func, inputs, create_graph=False, strict=False, vectorize=False,
             strategy="reverse-mode"):
    """Matches torch.autograd.functional.jacobian (every strategy gives the same numbers)."""
    if strategy not in ("forward-mode", "reverse-mode"):
        raise AssertionError('Expected strategy to be either "forward-mode" or "reverse-mode". '
                             'Hint: If your function has more outputs than inputs, '
                             '"forward-mode" tends to be more performant. Otherwise, prefer to '
                             'use "reverse-mode".')
    if strategy == "forward-mode":
        if create_graph:
            raise NotImplementedError(
                "torch.autograd.functional.jacobian: `create_graph=True` and "
                '`strategy="forward-mode"` are not supported together (yet). Please either set '
                '`create_graph=False` or `strategy="reverse-mode"`.')
        if strict:
            raise RuntimeError(
                "torch.autograd.functional.jacobian: `strict=True` and "
                '`strategy="forward-mode"` are not supported together (yet). Please either set '
                '`strict=False` or `strategy="reverse-mode"`.')
        _tuple(inputs, "inputs", "jacobian")
        if not vectorize:
            raise NotImplementedError("Computing Jacobian using forward-AD or forward-over-"
                                      "reverse Hessian isonly implemented for `vectorize=True`.")
    with enable_grad():
        is_in, inputs = _tuple(inputs, "inputs", "jacobian")
        inputs = _leaves(inputs, create_graph, True)
        is_out, outputs = _tuple(func(*inputs), "outputs of the user-provided function",
                                 "jacobian")
        _strict(outputs, "outputs", strict)
        if vectorize and strict:
            raise RuntimeError("torch.autograd.functional.jacobian: `strict=True` and "
                               "`vectorized=True` are not supported together. Please either "
                               "set `strict=False` or `vectorize=False`.")
        jac = tuple(_jacobian_of(i, out, inputs, create_graph, strict)
                    for i, out in enumerate(outputs))
    return _unpack(_finish(jac, create_graph), (is_out, is_in))


def _jacobian_of(i, out, inputs, create_graph, strict):
    import ember
    rows = [[] for _ in inputs]
    flat = out.reshape(-1)
    for j in range(out.nelement()):
        grads = _grad((flat[j],), inputs, retain_graph=True, create_graph=create_graph)
        for k, (g, inp) in enumerate(zip(grads, inputs)):
            if g is None:
                if strict:
                    raise RuntimeError(f"Output {i} of the user-provided function is "
                                       f"independent of input {k}. This is not allowed in "
                                       "strict mode.")
                g = ember.zeros_like(inp)
            elif strict and create_graph and not g.requires_grad:
                raise RuntimeError(_NO_GRAPH[False].format(i=i))
            rows[k].append(g)
    return tuple((ember.stack(r) if r else ember.zeros((0,) + tuple(inp.shape),
                                                       dtype=inp.dtype))
                 .view(tuple(out.shape) + tuple(inp.shape)) for r, inp in zip(rows, inputs))


def _scalar_output(func, strict, fn):
    def f(*inp):
        out = func(*inp)
        is_tuple, outs = _tuple(out, "outputs of the user-provided function", fn)
        _strict(outs, "outputs", strict)
        if is_tuple or not isinstance(out, Tensor):
            raise RuntimeError(f"The function given to {fn} should return a single Tensor")
        if out.nelement() != 1:
            raise RuntimeError(f"The Tensor returned by the function given to {fn} should "
                               "contain a single element")
        return out.squeeze()
    return f


def hessian(func, inputs, create_graph=False, strict=False, vectorize=False,
            outer_jacobian_strategy="reverse-mode"):
    """Matches torch.autograd.functional.hessian."""
    is_in, inputs = _tuple(inputs, "inputs", "hessian")
    if outer_jacobian_strategy not in ("forward-mode", "reverse-mode"):
        raise AssertionError('Expected strategy to be either "forward-mode" or "reverse-mode".')
    single = _scalar_output(func, strict, "hessian")

    def jac(*inp):
        if outer_jacobian_strategy == "forward-mode":
            inp = tuple(t.requires_grad_(True) for t in inp)
        j = jacobian(single, inp, create_graph=True)
        _strict(j, "jacobian", strict)
        return j
    res = jacobian(jac, inputs, create_graph=create_graph, strict=strict, vectorize=vectorize,
                   strategy=outer_jacobian_strategy)
    return _unpack(res, (is_in, is_in))


def _second_order(func, inputs, v, create_graph, strict, fn):
    """Inputs, outputs and the first gradient (with graph) for vhp/hvp."""
    with enable_grad():
        is_in, inputs, v = _run(inputs, fn, create_graph, v)
        if v is not None:
            _check_v(v, inputs, is_in)
        _single_element_v(v, inputs)
        out = func(*inputs)
        is_out, outputs = _tuple(out, "outputs of the user-provided function", fn)
        _strict(outputs, "outputs", strict)
        if is_out or not isinstance(outputs[0], Tensor):
            raise RuntimeError(f"The function given to {fn} should return a single Tensor")
        if outputs[0].nelement() != 1:
            raise RuntimeError(f"The Tensor returned by the function given to {fn} should "
                               "contain a single element")
        jac = _grad(outputs, inputs, create_graph=True)
        _strict(jac, "jacobian", strict)
    return is_in, inputs, v, is_out, outputs, jac


def vhp(func, inputs, v=None, create_graph=False, strict=False):
    """Matches torch.autograd.functional.vhp: (output, v^T H)."""
    is_in, inputs, v, is_out, outputs, jac = _second_order(func, inputs, v, create_graph,
                                                           strict, "vhp")
    with set_grad_enabled(True if create_graph else is_grad_enabled()):
        res = _zeros_for(_grad(jac, inputs, v, create_graph), inputs, strict, create_graph,
                         "double_back")
    return (_unpack(_finish(outputs, create_graph), is_out),
            _unpack(_finish(res, create_graph), is_in))


def hvp(func, inputs, v=None, create_graph=False, strict=False):
    """Matches torch.autograd.functional.hvp: (output, H v), through the double-backward
    trick on v^T H."""
    import ember
    is_in, inputs, v, is_out, outputs, jac = _second_order(func, inputs, v, create_graph,
                                                           strict, "hvp")
    with enable_grad():
        us = tuple(ember.zeros_like(t, requires_grad=True) for t in inputs)
        back = _grad(jac, inputs, us, create_graph=True)
        _strict(jac, "hessian", strict)
    with set_grad_enabled(True if create_graph else is_grad_enabled()):
        res = _zeros_for(_grad(back, us, v, create_graph), inputs, strict, create_graph,
                         "double_back_trick")
    return (_unpack(_finish(outputs, create_graph), is_out),
            _unpack(_finish(res, create_graph), is_in))
