"""ember.autograd.graph: torch.autograd.graph's view of the backward graph and its hooks.

`Node` is the abstract class every grad_fn is an instance of (ember's nodes are registered as
virtual subclasses); saved-tensor hooks set `function._pack_hooks`, which `_record` reads once
per recorded op; `register_multi_grad_hook` asks the engine which backward pass is running and
which nodes it will run.
"""

import abc
import contextlib
import functools
import threading
from collections import defaultdict
from typing import NamedTuple

from .._compat import module_getattr as _module_getattr
from . import engine as _engine
from . import function as _function

__all__ = ["saved_tensors_hooks", "save_on_cpu", "disable_saved_tensors_hooks",
           "register_multi_grad_hook", "Node", "GradientEdge", "get_gradient_edge",
           "increment_version"]
__getattr__ = _module_getattr(__name__)

_stack = []  # the entered saved_tensors_hooks' (pack, unpack), innermost last
_disabled = [None]  # the error message while disable_saved_tensors_hooks is active


class Node(abc.ABC):
    """Matches torch.autograd.graph.Node: the abstract class of grad_fn objects."""

    @abc.abstractmethod
    def name(self):
        raise NotImplementedError

    @property
    @abc.abstractmethod
    def next_functions(self):
        raise NotImplementedError

    @property
    @abc.abstractmethod
    def metadata(self):
        raise NotImplementedError

    @abc.abstractmethod
    def register_hook(self, fn):
        raise NotImplementedError

    @abc.abstractmethod
    def register_prehook(self, fn):
        raise NotImplementedError


Node.register(_function.Node)


class GradientEdge(NamedTuple):
    """Matches torch.autograd.graph.GradientEdge: where a tensor's gradient is computed."""

    node: Node
    output_nr: int
    ownership_token: object = None


def _node_of(t):
    if isinstance(t, GradientEdge):
        return t.node
    if t.grad_fn is not None:
        return t.grad_fn
    return t._accumulator()


def get_gradient_edge(tensor):
    """Matches torch.autograd.graph.get_gradient_edge."""
    if not tensor.requires_grad:
        raise RuntimeError("It is not possible to get the gradient edge for a Tensor that does "
                           "not require gradients")
    return GradientEdge(_node_of(tensor), tensor._output_nr)


def increment_version(tensor):
    """Matches torch.autograd.graph.increment_version: bumps the in-place version counter."""
    from .._tensor import Tensor
    for t in (tensor,) if isinstance(tensor, Tensor) else tensor:
        if not t.is_inference():
            t._bump()


class saved_tensors_hooks:
    """Matches torch.autograd.graph.saved_tensors_hooks: pack_hook runs on each tensor a
    recorded op saves, unpack_hook on what it returned when backward needs the tensor."""

    def __init__(self, pack_hook, unpack_hook):
        self.pack_hook = pack_hook
        self.unpack_hook = unpack_hook

    def __enter__(self):
        if _disabled[0] is not None:
            raise RuntimeError(_disabled[0])
        _stack.append((self.pack_hook, self.unpack_hook))
        _function._pack_hooks[0] = _stack[-1]

    def __exit__(self, *args):
        _stack.pop()
        _function._pack_hooks[0] = _stack[-1] if _stack else None


class save_on_cpu(saved_tensors_hooks):
    """Matches torch.autograd.graph.save_on_cpu: saved tensors live on the CPU until backward."""

    def __init__(self, pin_memory=False, device_type="cuda"):
        import ember

        from .. import cuda
        device_module = getattr(ember, device_type, cuda)

        def pack_to_cpu(tensor):
            if not pin_memory:
                return tensor.device, tensor.cpu()
            if device_module.is_available():
                from .._args import unsupported
                unsupported("torch.autograd.graph.save_on_cpu", "pin_memory", True)
            packed = ember.empty(tensor.size(), dtype=tensor.dtype)  # not pinnable: a copy
            packed.copy_(tensor)
            return tensor.device, packed

        def unpack_from_cpu(packed):
            device, tensor = packed
            return tensor.to(device)

        super().__init__(pack_to_cpu, unpack_from_cpu)


@contextlib.contextmanager
def disable_saved_tensors_hooks(error_message):
    """Matches torch.autograd.graph.disable_saved_tensors_hooks."""
    if _stack:
        raise RuntimeError(error_message)
    prev = _disabled[0]
    _disabled[0] = error_message
    try:
        yield
    finally:
        _disabled[0] = prev


class _MultiHandle:
    """Matches torch.autograd.graph._MultiHandle: removes every hook it holds."""

    def __init__(self, handles):
        self.handles = handles

    def remove(self):
        for h in self.handles:
            h.remove()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.remove()


def register_multi_grad_hook(tensors, fn, *, mode="all"):
    """Matches torch.autograd.graph.register_multi_grad_hook: with mode "all", fn gets every
    tensor's gradient (None where the pass computes none) once all that the running backward
    computes have arrived; with "any", fn gets the first gradient computed."""
    modes = ("all", "any")
    if mode not in modes:
        raise ValueError(f"Expects mode to be one of {modes} but got {mode}")
    lock = threading.Lock()
    if mode == "any":
        ran = defaultdict(bool)

        @functools.wraps(fn)
        def wrapped(grad):
            task = _engine.current_graph_task()[0]
            with lock:
                prev, ran[task] = ran[task], True
            if not prev:
                fn(grad)
        return _MultiHandle(tuple(t.register_hook(wrapped) for t in tensors if t.requires_grad))
    nodes = [_node_of(t) for t in tensors]
    count, buffer, expected = {}, {}, {}

    def inner(idx):
        def hook(grad):
            task = _engine.current_graph_task()[0]
            with lock:
                seen = count.get(task, 0)
                count[task] = seen + 1
                if seen == 0:
                    expected[task] = sum(map(_engine.will_execute, nodes))
                    buffer[task] = [None] * len(nodes)
            buffer[task][idx] = grad
            if seen == expected[task] - 1:
                grads = buffer.pop(task)
                del count[task], expected[task]
                fn(grads)
        return hook
    return _MultiHandle(tuple(t.register_hook(inner(i)) for i, t in enumerate(tensors)))
