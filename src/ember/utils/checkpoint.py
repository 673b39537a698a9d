"""torch.utils.checkpoint: trade compute for memory by recomputing a segment in backward.

Both of torch's variants keep only the segment's inputs and the RNG state, and run the segment
again in backward with the RNG restored (so dropout draws the same mask):
- reentrant (`use_reentrant=True`, torch's default when unset): CheckpointFunction, an autograd
  Function whose forward runs under no_grad and whose backward recomputes with grad on and calls
  backward on the recomputed graph (parameters get their grads there). As torch's, it needs an
  input that requires grad, refuses autograd.grad(), and takes no keyword arguments.
- non-reentrant (`use_reentrant=False`): the segment runs with grad on; ember then keeps its
  outputs, notes the graph's boundary (the tensor arguments and the leaves the segment reached)
  and drops the graph, so no activation stays alive. Backward recomputes and differentiates to
  that boundary with autograd.grad, so it also works under autograd.grad and with kwargs. Unlike
  torch, the outputs' grad_fn is one CheckpointBackward node, not the segment's last op;
  a segment closing over a non-leaf tensor that requires grad is differentiated through that
  tensor's own history, which must then still be alive.
Selective activation checkpointing (policies per op) needs torch's dispatcher and is refused.
"""

import contextlib
import enum
import sys
import warnings

from .. import autograd
from .._args import EmberNotImplementedError
from .._tensor import Tensor
from ..autograd import Function
from ..autograd.grad_mode import enable_grad, is_grad_enabled
from ..random import fork_rng, get_rng_state, set_rng_state

__all__ = ["checkpoint", "checkpoint_sequential", "CheckpointError", "CheckpointFunction",
           "check_backward_validity", "detach_variable", "get_device_states",
           "set_device_states", "noop_context_fn", "set_checkpoint_early_stop",
           "DefaultDeviceType", "set_checkpoint_debug_enabled", "CheckpointPolicy",
           "SelectiveCheckpointContext", "create_selective_checkpoint_contexts",
           "SAC_IGNORED_OPS", "GraphExecGroup"]

_STATE = {"early_stop": None, "debug": None}


class CheckpointError(RuntimeError):
    pass


def noop_context_fn():
    return contextlib.nullcontext(), contextlib.nullcontext()


def detach_variable(inputs):
    """Matches torch: each tensor detached, keeping its requires_grad."""
    if not isinstance(inputs, tuple):
        raise RuntimeError("Only tuple of tensors is supported. Got Unsupported input type: "
                           f"{type(inputs).__name__}")
    out = []
    for inp in inputs:
        if not isinstance(inp, Tensor):
            out.append(inp)
            continue
        x = inp.detach()
        x.requires_grad = inp.requires_grad
        out.append(x)
    return tuple(out)


def check_backward_validity(inputs):
    if not any(isinstance(inp, Tensor) and inp.requires_grad for inp in inputs):
        warnings.warn("None of the inputs have requires_grad=True. Gradients will be None",
                      stacklevel=2)


def get_device_states(*args):
    """torch records each GPU's RNG state; ember's devices all draw from the CPU generator."""
    return [], []


def set_device_states(devices, states, *, device_type=None):
    if devices or states:
        raise EmberNotImplementedError("ember does not implement torch.utils.checkpoint."
                                       "set_device_states yet: ember keeps no per-device RNG "
                                       "state (every device draws from the CPU generator)")


class DefaultDeviceType:
    _default_device_type = "cuda"

    @staticmethod
    def set_device_type(device="cuda"):
        DefaultDeviceType._default_device_type = device

    @staticmethod
    def get_device_type():
        return DefaultDeviceType._default_device_type


@contextlib.contextmanager
def set_checkpoint_early_stop(enable):
    """Matches torch: early stop only saves recomputation time, never changes a result."""
    saved, _STATE["early_stop"] = _STATE["early_stop"], enable
    try:
        yield
    finally:
        _STATE["early_stop"] = saved


@contextlib.contextmanager
def set_checkpoint_debug_enabled(enabled):
    saved, _STATE["debug"] = _STATE["debug"], enabled
    try:
        yield
    finally:
        _STATE["debug"] = saved


class CheckpointPolicy(enum.Enum):
    MUST_SAVE = 0
    PREFER_SAVE = 1
    MUST_RECOMPUTE = 2
    PREFER_RECOMPUTE = 3


SAC_IGNORED_OPS = set()
_NO_SAC = ("ember does not implement torch.utils.checkpoint.{} yet: selective activation "
           "checkpointing decides per operator through torch's dispatcher, which ember does not "
           "have; checkpoint() recomputes the whole segment")


class SelectiveCheckpointContext:
    def __init__(self, *, is_recompute):
        raise EmberNotImplementedError(_NO_SAC.format("SelectiveCheckpointContext"))


def create_selective_checkpoint_contexts(policy_fn_or_list, allow_cache_entry_mutation=False):
    raise EmberNotImplementedError(_NO_SAC.format("create_selective_checkpoint_contexts"))


class GraphExecGroup:
    """Matches torch's context manager (no nesting). torch recomputes a segment at most once for
    the backward calls inside it; ember recomputes on each call, with the same results."""

    _current = None

    def __enter__(self):
        if GraphExecGroup._current is not None:
            raise RuntimeError("GraphExecGroup contexts cannot be nested. Already inside group "
                               f"{GraphExecGroup._current}")
        GraphExecGroup._current = self
        return self

    def __exit__(self, *args):
        GraphExecGroup._current = None


# ---------------------------------------------------------------- the reentrant variant
def _is_checkpoint_valid():
    """torch's test: the running backward accumulates into every leaf (no `inputs`, not
    autograd.grad). ember's engine keeps that in run_backward's `capture` (None without inputs);
    the innermost run_backward on the stack is the one running this node."""
    from ..autograd import engine
    f = sys._getframe(1)
    while f is not None and f.f_code is not engine.run_backward.__code__:
        f = f.f_back
    return f is None or f.f_locals.get("capture") is None



class CheckpointFunction(Function):
    """torch's reentrant checkpoint: forward without a graph, backward by recomputing."""

    @staticmethod
    def forward(ctx, run_function, preserve_rng_state, *args):
        check_backward_validity(args)
        ctx.run_function = run_function
        ctx.preserve_rng_state = preserve_rng_state
        if preserve_rng_state:
            ctx.fwd_cpu_state = get_rng_state()
        ctx.inputs = [None if isinstance(a, Tensor) else a for a in args]
        ctx.tensor_indices = [i for i, a in enumerate(args) if isinstance(a, Tensor)]
        ctx.save_for_backward(*[a for a in args if isinstance(a, Tensor)])
        return run_function(*args)  # Function.apply runs forward under no_grad

    @staticmethod
    def backward(ctx, *grads):
        if not _is_checkpoint_valid():
            raise RuntimeError(
                "When use_reentrant=True, torch.utils.checkpoint is incompatible with .grad() or "
                "passing an `inputs` parameter to .backward(). To resolve this error, you can "
                "either set use_reentrant=False, or call .backward() without passing the `inputs` "
                "argument.")
        inputs = list(ctx.inputs)
        for i, t in zip(ctx.tensor_indices, ctx.saved_tensors):
            inputs[i] = t
        detached = detach_variable(tuple(inputs))
        with fork_rng(enabled=ctx.preserve_rng_state):
            if ctx.preserve_rng_state:
                set_rng_state(ctx.fwd_cpu_state)
            with enable_grad():
                outputs = ctx.run_function(*detached)
        if isinstance(outputs, Tensor):
            outputs = (outputs,)
        pairs = [(o, g) for o, g in zip(outputs, grads)
                 if isinstance(o, Tensor) and o.requires_grad]
        if not pairs:
            raise RuntimeError("none of output has requires_grad=True, this checkpoint() is not "
                               "necessary")
        autograd.backward([o for o, _ in pairs], [g for _, g in pairs])
        return (None, None) + tuple(t.grad if isinstance(t, Tensor) else None for t in detached)


# ---------------------------------------------------------------- the non-reentrant variant
def _boundary(outputs, args):
    """The tensors the recomputed segment is differentiated to: the tensor arguments that
    require grad and every leaf requiring grad that the segment's graph reaches."""
    stops = {id(t.grad_fn): t for t in args if t.grad_fn is not None}
    found, leaves, seen = [t for t in args if t.requires_grad], [], set()
    stack = [o.grad_fn for o in outputs if o.grad_fn is not None]
    while stack:
        node = stack.pop()
        if node is None or id(node) in seen:
            continue
        seen.add(id(node))
        if id(node) in stops:
            continue
        leaf = getattr(node, "variable", None)
        if leaf is not None:
            if not any(leaf is t for t in found):
                leaves.append(leaf)
            continue
        stack.extend(n for n, _ in node._edges)
    return found, leaves


class _Recompute(Function):
    """One node for a non-reentrant segment: inputs are its boundary tensors."""

    @staticmethod
    def forward(ctx, plan, *boundary):
        ctx.plan = plan
        return tuple(o.detach() for o in plan["outputs"])

    @staticmethod
    def backward(ctx, *grads):
        plan = ctx.plan
        args, kwargs = plan["args"], plan["kwargs"]
        create = is_grad_enabled()  # backward(create_graph=True): the recomputed graph hangs
        # off the arguments themselves, so the gradients stay differentiable in them
        fresh = tuple(args) if create else detach_variable(tuple(args))
        swap = {id(a): f for a, f in zip(args, fresh) if isinstance(a, Tensor)}
        with fork_rng(enabled=plan["rng"] is not None):
            if plan["rng"] is not None:
                set_rng_state(plan["rng"])
            with enable_grad(), plan["recompute_ctx"]:
                out = plan["function"](*fresh, **kwargs)
        outputs = [o for o in _tensors(out) if o.requires_grad]
        if plan["check"]:
            _check_same(plan["meta"], outputs)
        targets = [swap[id(t)] for t in plan["args_rg"]] + plan["leaves"]
        pairs = [(o, g) for o, g in zip(outputs, grads) if g is not None]
        got = autograd.grad([o for o, _ in pairs], targets, [g for _, g in pairs],
                            allow_unused=True, create_graph=create) if pairs else \
            [None] * len(targets)
        return (None,) + tuple(got)


_Recompute._backward_cls._name = "CheckpointBackward"


def _check_same(meta, outputs):
    now = [(tuple(o.shape), o.dtype, o.device) for o in outputs]
    if now != meta:
        raise CheckpointError(
            "torch.utils.checkpoint: Recomputed values for the following tensors have different "
            f"metadata than during the forward pass.\nforward: {meta}\nrecomputed: {now}")


def _tensors(out):
    if isinstance(out, Tensor):
        return [out]
    if isinstance(out, (tuple, list)):
        return [t for o in out for t in _tensors(o)]
    if isinstance(out, dict):
        return [t for o in out.values() for t in _tensors(o)]
    return []


def _replace(out, new):
    if isinstance(out, Tensor):
        return new.get(id(out), out)
    if isinstance(out, (tuple, list)):
        items = [_replace(o, new) for o in out]
        return type(out)(*items) if hasattr(out, "_fields") else type(out)(items)
    if isinstance(out, dict):
        return type(out)((k, _replace(v, new)) for k, v in out.items())
    return out


def _non_reentrant(function, preserve, context_fn, determinism_check, args, kwargs):
    if determinism_check not in ("default", "none"):
        raise ValueError("determinism_check should be one of ['default', 'none'], but got "
                         f"{determinism_check}")
    forward_ctx, recompute_ctx = context_fn()
    rng = get_rng_state() if preserve else None
    with forward_ctx:
        out = function(*args, **kwargs)
    outputs = [o for o in _tensors(out) if o.grad_fn is not None]
    if not is_grad_enabled() or not outputs:
        return out
    tensor_args = [a for a in args if isinstance(a, Tensor)]
    args_rg, leaves = _boundary(outputs, tensor_args)
    plan = {"function": function, "args": args, "kwargs": kwargs, "rng": rng,
            "outputs": outputs, "args_rg": args_rg, "leaves": leaves,
            "recompute_ctx": recompute_ctx, "check": determinism_check == "default",
            "meta": [(tuple(o.shape), o.dtype, o.device) for o in outputs]}
    new = _Recompute.apply(plan, *args_rg, *leaves)
    new = new if isinstance(new, tuple) else (new,)
    plan["outputs"] = None  # the graph and its activations go with the original outputs
    return _replace(out, {id(o): n for o, n in zip(outputs, new)})


# ---------------------------------------------------------------- the public functions
def checkpoint(function, *args, use_reentrant=None, context_fn=noop_context_fn,
               determinism_check="default", debug=False, early_stop=True, **kwargs):
    """Matches torch.utils.checkpoint.checkpoint (see the module docstring for the variants).
    `debug` only adds operator traces to torch's error messages and `early_stop` only stops
    recomputation early; neither changes a result."""
    if use_reentrant is None:
        warnings.warn(
            "torch.utils.checkpoint: the use_reentrant parameter should be passed explicitly. "
            "Starting in PyTorch 2.9, calling checkpoint without use_reentrant will raise an "
            "exception. use_reentrant=False is recommended, but if you need to preserve the "
            "current default behavior, you can pass use_reentrant=True. Refer to docs for more "
            "details on the differences between the two variants.", stacklevel=2)
        use_reentrant = True
    preserve = kwargs.pop("preserve_rng_state", True)
    if kwargs and use_reentrant:
        raise ValueError("Unexpected keyword arguments: " + ",".join(arg for arg in kwargs))
    if use_reentrant:
        if context_fn is not noop_context_fn or debug is not False:
            raise ValueError("Passing `context_fn` or `debug` is only supported when "
                             "use_reentrant=False.")
        return CheckpointFunction.apply(function, preserve, *args)
    del early_stop  # recomputation always runs the whole segment in ember
    return _non_reentrant(function, preserve, context_fn, determinism_check, args, kwargs)


def checkpoint_sequential(functions, segments, input, use_reentrant=None, **kwargs):
    """Matches torch.utils.checkpoint.checkpoint_sequential: all but the last segment are
    checkpointed; the last runs normally."""
    if use_reentrant is None:
        warnings.warn(
            "torch.utils.checkpoint.checkpoint_sequential: the use_reentrant parameter should be "
            "passed explicitly. In version 2.9 we will raise an exception if use_reentrant is not "
            "passed. use_reentrant=False is recommended, but if you need to preserve the current "
            "default behavior, you can pass use_reentrant=True. Refer to docs for more details on "
            "the differences between the two variants.", stacklevel=2)
        use_reentrant = True
    preserve = kwargs.pop("preserve_rng_state", True)
    if kwargs:
        raise ValueError("Unexpected keyword arguments: " + ",".join(arg for arg in kwargs))

    def run_function(start, end, functions):
        def forward(input):
            for j in range(start, end + 1):
                input = functions[j](input)
            return input
        return forward

    from ..nn import Sequential
    if isinstance(functions, Sequential):
        functions = list(functions.children())
    segment_size = len(functions) // segments
    end = -1
    for start in range(0, segment_size * (segments - 1), segment_size):
        end = start + segment_size - 1
        input = checkpoint(run_function(start, end, functions), input,
                           use_reentrant=use_reentrant, preserve_rng_state=preserve)
    return run_function(end + 1, len(functions) - 1, functions)(input)
