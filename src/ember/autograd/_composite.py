"""Composites recorded as torch's single node, and display-only nodes for fused primitives.

`record` runs a composite (mse_loss, batch_norm, layer_norm: written from primitives) on
detached stand-ins of its tensor arguments and records one node, named as torch's, whose edges
are the arguments themselves: next_functions, hooks and saved values are torch's, while backward
runs the inner graph (or, under create_graph, recomputes the composite from the saved arguments
so that its gradient stays differentiable). With `fast` kernels (arrays in, arrays out) the
forward skips the inner graph and backward runs the fused gradient, except under create_graph,
saved-tensor hooks or forward AD, where the composite is recomputed as above. `Shown` is a node
that exists only in the view a fused primitive gives of itself (the TBackward0 of linear's
weight), as torch's graph has it.
"""

from .._compat import EmberNotImplemented
from . import function as _fn
from . import grad_mode

_CLASSES = {}


class Composite(_fn.Op):
    """A composite op's node: edges to its arguments, backward through its inner graph."""

    _fast = None  # the fused kernels' saved state (`record`'s fast path)

    def _grad_slots(self):  # torch's edges: every tensor argument, (None, 0) for one left out
        return tuple(range(len(self._edges)))

    def _call_backward(self, grads):
        if self._freed:
            raise RuntimeError(_fn._FREED)
        from .engine import run_backward
        create = grad_mode._enabled[0]
        if not create and self._fast is not None:
            return self._fast_backward(grads[0])
        if create or self._inner is None:  # recompute from the saved (maybe packed) arguments
            args = list(self._args)
            for i, t in zip(self.save_inputs, self.saved_tensors):
                args[i] = t if create or self._edges[i][0] is None else \
                    t.detach().requires_grad_()
            with grad_mode.enable_grad():
                out = self._run(*args, **self._kw)
            wrt = [args[i] for i in self.save_inputs if self._edges[i][0] is not None]
        else:
            out, wrt = self._inner, self._stand
        got = iter(run_backward((out,), tuple(grads), True, create, inputs=tuple(wrt),
                                allow_unused=True, accumulate=False) if wrt else ())
        return tuple(next(got) if self._edges[i][0] is not None else None
                     for i in range(len(self._edges)))

    def _fast_backward(self, grad):
        self.saved_tensors  # noqa: B018 -- torch's error for an argument modified in place
        needs = tuple(e[0] is not None for e in self._edges)
        got = self._fast_bwd(self._fast, grad._data, needs)
        wrap = _fn._wrap
        return tuple(wrap(g) if n and g is not None else None for g, n in zip(got, needs))

    def _release(self):
        self._inner = self._stand = self._fast = None
        _fn.Op._release(self)


def _composite_class(name, slots):
    key = (name, slots)
    cls = _CLASSES.get(key)
    if cls is None:
        cls = _CLASSES[key] = type(name, (Composite,), {"_name": name, "save_inputs": slots})
    return cls


def record(name, run, args, kw, first=None, fast=None):
    """run(*args, **kw, **first) recorded as one node `name` (torch's) with an edge per argument
    that is a Tensor (`first`: keywords for this first run only, e.g. a sink for statistics).
    `fast`: (forward, backward) fused kernels on arrays, forward(xp, *arrays, **kw, **first) ->
    (out array, state) and backward(state, grad array, needs) -> one array (or None) per
    argument; used unless forward AD, saved-tensor hooks or (in backward) create_graph need the
    composite."""
    T = _fn.Tensor
    first = first or {}
    if fast is not None and _fn._fw[0]:
        fast = None
    if not (grad_mode._enabled[0] and any(isinstance(a, T) and a._rg for a in args)):
        if fast is None:
            return run(*args, **kw, **first)
        return _fn._wrap(_fast_forward(fast[0], args, kw, first)[0])
    if _fn._pack_hooks[0] is not None:
        fast = None
    stand = [a.detach().requires_grad_() if isinstance(a, T) and a._rg else a for a in args]
    if _fn._fw[0]:  # forward AD: the stand-ins carry the arguments' tangents
        from .forward_ad import pass_tangents
        pass_tangents(args, stand)
    slots = tuple(i for i, a in enumerate(args) if isinstance(a, T))
    ctx = _composite_class(name, slots).__new__(_composite_class(name, slots))
    ctx._run, ctx._kw, ctx._args = run, kw, tuple(None if isinstance(a, T) else a for a in args)
    ctx._fast = None
    if fast is not None:
        out, ctx._fast = _fast_forward(fast[0], args, kw, first)
        ctx._fast_bwd = fast[1]
        ctx._inner = ctx._stand = None
    elif _fn._pack_hooks[0] is None:
        inner = run(*stand, **kw, **first)
        out = inner._data
        ctx._inner = inner
        ctx._stand = [s for s, a in zip(stand, args) if isinstance(a, T) and a._rg]
    else:  # saved-tensor hooks: torch saves the arguments only, so backward recomputes
        with grad_mode.no_grad():
            inner = run(*stand, **kw, **first)
        out = inner._data
        ctx._inner = ctx._stand = None
    ctx._edges = tuple(_fn._edge(a) if isinstance(a, T) else _fn._NO_EDGE for a in args)
    ctx._in_meta = tuple((a._data.shape, a.dtype) if isinstance(a, T) else None for a in args)
    ctx._saved = tuple(args[i] for i in slots)
    ctx._saved_vc = tuple(t._vc[0] for t in ctx._saved)
    if _fn._anomaly[0]:
        ctx._trace = _fn._user_stack()
    res = _fn._wrap(out, True, ctx)
    if _fn._fw[0]:
        pass_tangents((inner,), (res,))
    ctx._out_meta = ((out.shape, res.dtype),)
    if _fn._pack_hooks[0] is not None:
        from . import _saved
        _saved.pack_all(ctx, None)
    return res


def _fast_forward(forward, args, kw, first):
    """forward on the arguments' arrays (Tensor keywords as given): (out array, state)."""
    T = _fn.Tensor
    arrays = [a._data if isinstance(a, T) else a for a in args]
    from .._device import array_module
    return forward(array_module(arrays[0]), *arrays, **kw, **first)


class Shown(_fn.Node):
    """A node only in the view of a fused primitive (`owner`): torch's graph has it there."""

    def __init__(self, name, owner, edges, saved=None):
        self._name, self._owner, self._shown = name, owner, tuple(edges)
        self._values = saved or {}  # torch's saved attribute -> f(owner, node) giving its value

    def __getattr__(self, name):
        if name.startswith("_saved_") and name[7:] in self.__dict__.get("_values", ()):
            if self._owner._freed:
                raise RuntimeError(_fn._FREED)
            return self._values[name[7:]](self._owner, self)
        return super().__getattr__(name)

    @property
    def next_functions(self):
        return self._shown

    def _refuse(self, what):
        raise EmberNotImplemented(
            f"ember does not implement {what} on {self._name} inside {self._owner.name()} yet "
            "(ember computes it fused)")

    def register_hook(self, fn):
        self._refuse("register_hook")

    def register_prehook(self, fn):
        self._refuse("register_prehook")


def shown(owner, key, name, edges, saved=None):
    """The Shown node `key` of `owner`, made once (torch returns the same node each time);
    `saved` answers its _saved_* attributes from the owner."""
    d = owner.__dict__.setdefault("_shown_nodes", {})
    node = d.get(key)
    if node is None:
        node = d[key] = Shown(name, owner, edges, saved)
    return node
