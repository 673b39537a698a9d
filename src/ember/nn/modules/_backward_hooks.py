"""Full backward hooks: the machinery behind `Module.register_full_backward_(pre_)hook`.

As torch's BackwardHook does, it wraps the module's tensor inputs and outputs (all of them, once
any requires grad) in an identity autograd Function; the output identity's backward runs the
pre-hooks on grad_output, the input identity's backward runs the hooks on grad_input. What a
hook hands back is checked as torch checks it (count, then each gradient's type, dtype and
size). Registration stays in `module.py`.
"""

import warnings

from ..._tensor import Tensor
from ...autograd import grad_mode
from ...autograd.function import Function

_NO_INPUT_GRAD = ("Full backward hook is firing when gradients are computed with respect to "
                  "module outputs since no inputs require gradients. See "
                  "https://docs.pytorch.org/docs/main/generated/torch.nn.Module.html"
                  "#torch.nn.Module.register_full_backward_hook for more details.")


class _BackwardHookState:
    """Routes a module's input and output gradients to its full backward (pre-)hooks."""

    def __init__(self, module, hooks, pre_hooks):
        self.module, self.hooks, self.pre_hooks = module, hooks, pre_hooks
        self.grad_outputs = None
        self.n_inputs = self.n_outputs = -1
        self.input_idx = self.output_idx = None

    def _wrap(self, kind, args):
        idx = [i for i, a in enumerate(args) if isinstance(a, Tensor)]
        if not (any(args[i].requires_grad for i in idx) and grad_mode.is_grad_enabled()):
            return args, None
        new = _HookIdentity.apply(self, kind, *[args[i] for i in idx])
        new = new if isinstance(new, tuple) else (new,)
        out = list(args)
        for i, t in zip(idx, new):
            out[i] = t
        return tuple(out), idx

    def wrap_inputs(self, args):
        args, self.input_idx = self._wrap("input", args)
        self.n_inputs = len(args)
        return args

    def wrap_outputs(self, result):
        if not isinstance(result, (Tensor, tuple)):
            warnings.warn("For backward hooks to be called, module output should be a Tensor or a "
                          f"tuple of Tensors but received {type(result)}", stacklevel=3)
        single = not isinstance(result, tuple)
        outs, self.output_idx = self._wrap("output", (result,) if single else result)
        self.n_outputs = 1 if single else len(result)
        return outs[0] if single else outs

    def on_output_grads(self, grads):
        self.grad_outputs = _pack(self.output_idx, grads, self.n_outputs)
        expected = len(self.grad_outputs)
        for hook in self.pre_hooks:
            res = hook(self.module, self.grad_outputs)
            if res is None:
                continue
            if len(res) != expected:
                raise RuntimeError("Backward pre hook returned an invalid number of grad_output, "
                                   f"got {len(res)}, but expected {expected}")
            self.grad_outputs = res
        local = self.grad_outputs
        if self.input_idx is None:  # no input needs a gradient: the hooks run now
            warnings.warn(_NO_INPUT_GRAD, stacklevel=2)
            none = (None,) * self.n_inputs
            for hook in self.hooks:
                res = hook(self.module, none, self.grad_outputs)
                if res is not None and not (isinstance(res, tuple)
                                            and all(r is None for r in res)):
                    raise RuntimeError("Backward hook for Modules where no input requires "
                                       "gradient should always return None or None for all "
                                       "gradients.")
            self.grad_outputs = None
        return tuple(local[i] for i in self.output_idx)

    def on_input_grads(self, grads):
        if self.grad_outputs is None:  # reached the inputs without passing the outputs
            return grads
        res = _pack(self.input_idx, grads, self.n_inputs)
        for hook in self.hooks:
            out = hook(self.module, res, self.grad_outputs)
            if out is None:
                continue
            if len(out) != len(res):
                raise RuntimeError("Backward hook returned an invalid number of grad_input, "
                                   f"got {len(out)}, but expected {len(res)}")
            res = out
        self.grad_outputs = None
        return tuple(res[i] for i in self.input_idx)


def _pack(idx, values, n):
    res = [None] * n
    for i, v in zip(idx, values):
        res[i] = v
    return tuple(res)


def _check_result(original, result):
    """torch's check of a value a gradient hook returned in place of `original`."""
    if result is None:
        return
    if original is None:
        raise RuntimeError("can't replace a None gradient with a non-None value")
    if not isinstance(result, Tensor):
        raise TypeError(f"expected Variable, but hook returned '{type(result).__name__}'")
    if result.dtype is not original.dtype:
        raise RuntimeError(f"hook 'hook' has changed the type of value (was "
                           f"torch.{original.dtype._legacy} got torch.{result.dtype._legacy})")
    if tuple(result.shape) != tuple(original.shape):
        raise RuntimeError("hook 'hook' has changed the size of value")


class _HookIdentity(Function):
    @staticmethod
    def forward(ctx, state, kind, *tensors):
        ctx.state, ctx.kind = state, kind
        ctx.set_materialize_grads(False)  # the hooks see None for an unused output, as torch's
        outs = tuple(t.view_as(t) for t in tensors)
        ctx.mark_non_differentiable(*[o for o, t in zip(outs, tensors) if not t.requires_grad])
        return outs if len(outs) > 1 else outs[0]

    @staticmethod
    def backward(ctx, *grads):
        if ctx.kind == "output":
            res = ctx.state.on_output_grads(grads)
        else:
            res = ctx.state.on_input_grads(grads)
        for g, r in zip(grads, res):
            _check_result(g, r)
        return (None, None) + tuple(res)
