"""Full backward hooks: the machinery behind `Module.register_full_backward_(pre_)hook`.

As torch's BackwardHook does, it wraps the module's tensor inputs and outputs in an identity
autograd Function; the output identity's backward runs the pre-hooks on grad_output, the input
identity's backward runs the hooks on grad_input. Registration stays in `module.py`.
"""

from ..._tensor import Tensor
from ...autograd import grad_mode
from ...autograd.function import Function


class _BackwardHookState:
    """Routes a module's input and output gradients to its full backward (pre-)hooks."""

    def __init__(self, module):
        self.module = module
        self.grad_outputs = None
        self.n_inputs = 0

    def wrap_inputs(self, args):
        idx = [i for i, a in enumerate(args) if isinstance(a, Tensor) and a.requires_grad]
        self.n_inputs = len(args)
        if not idx or not grad_mode.is_grad_enabled():
            return args
        self.input_idx = idx
        outs = _HookIdentity.apply(self, "input", *[args[i] for i in idx])
        outs = outs if isinstance(outs, tuple) else (outs,)
        args = list(args)
        for i, o in zip(idx, outs):
            args[i] = o
        return tuple(args)

    def wrap_outputs(self, result):
        single = isinstance(result, Tensor)
        outs = (result,) if single else result
        if not isinstance(outs, tuple):
            return result
        idx = [i for i, o in enumerate(outs) if isinstance(o, Tensor) and o.requires_grad]
        if not idx or not grad_mode.is_grad_enabled():
            return result
        self.output_idx, self.n_outputs = idx, len(outs)
        new = _HookIdentity.apply(self, "output", *[outs[i] for i in idx])
        new = new if isinstance(new, tuple) else (new,)
        outs = list(outs)
        for i, o in zip(idx, new):
            outs[i] = o
        return outs[0] if single else tuple(outs)

    def on_output_grads(self, grads):
        full = [None] * self.n_outputs
        for i, g in zip(self.output_idx, grads):
            full[i] = g
        full = tuple(full)
        for hook in self.module._backward_pre_hooks.values():
            res = hook(self.module, full)
            if res is not None:
                full = tuple(res)
        self.grad_outputs = full
        if not hasattr(self, "input_idx"):  # no input needs grad: hooks see grad_input None
            for hook in self.module._backward_hooks.values():
                hook(self.module, (None,) * self.n_inputs, full)
        return tuple(full[i] for i in self.output_idx)

    def on_input_grads(self, grads):
        full = [None] * self.n_inputs
        for i, g in zip(self.input_idx, grads):
            full[i] = g
        full = tuple(full)
        for hook in self.module._backward_hooks.values():
            res = hook(self.module, full, self.grad_outputs)
            if res is not None:
                full = tuple(res)
        return tuple(full[i] for i in self.input_idx)


class _HookIdentity(Function):
    @staticmethod
    def forward(ctx, state, kind, *tensors):
        ctx.state, ctx.kind = state, kind
        outs = tuple(t.view_as(t) for t in tensors)
        return outs if len(outs) > 1 else outs[0]

    @staticmethod
    def backward(ctx, *grads):
        if ctx.kind == "output":
            res = ctx.state.on_output_grads(grads)
        else:
            res = ctx.state.on_input_grads(grads)
        return (None, None) + tuple(res)
