"""Composites recorded as torch's single node, and display-only nodes for fused primitives.

`record` runs a composite (mse_loss, batch_norm, layer_norm: written from primitives) on
detached stand-ins of its tensor arguments and records one node, named as torch's, whose edges
are the arguments themselves: next_functions, hooks and saved values are torch's, while backward
runs the inner graph (or, under create_graph, recomputes the composite from the saved arguments
so that its gradient stays differentiable). `Shown` is a node that exists only in the view a
fused primitive gives of itself (the TBackward0 of linear's weight), as torch's graph has it.
"""

from .._compat import EmberNotImplemented
from . import function as _fn
from . import grad_mode

_CLASSES = {}


class Composite(_fn.Op):
    """A composite op's node: edges to its arguments, backward through its inner graph."""

    def _grad_slots(self):  # torch's edges: every tensor argument, (None, 0) for one left out
        return tuple(range(len(self._edges)))

    def _call_backward(self, grads):
        if self._freed:
            raise RuntimeError(_fn._FREED)
        from .engine import run_backward
        create = grad_mode._enabled[0]
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

    def _release(self):
        self._inner = self._stand = None
        _fn.Op._release(self)


def _composite_class(name, slots):
    key = (name, slots)
    cls = _CLASSES.get(key)
    if cls is None:
        cls = _CLASSES[key] = type(name, (Composite,), {"_name": name, "save_inputs": slots})
    return cls


def record(name, run, args, kw, first=None):
    """run(*args, **kw, **first) recorded as one node `name` (torch's) with an edge per argument
    that is a Tensor (`first`: keywords for this first run only, e.g. a sink for statistics)."""
    T = _fn.Tensor
    first = first or {}
    if not (grad_mode._enabled[0] and any(isinstance(a, T) and a._rg for a in args)):
        return run(*args, **kw, **first)
    stand = [a.detach().requires_grad_() if isinstance(a, T) and a._rg else a for a in args]
    if _fn._fw[0]:  # forward AD: the stand-ins carry the arguments' tangents
        from .forward_ad import pass_tangents
        pass_tangents(args, stand)
    slots = tuple(i for i, a in enumerate(args) if isinstance(a, T))
    ctx = _composite_class(name, slots).__new__(_composite_class(name, slots))
    ctx._run, ctx._kw, ctx._args = run, kw, tuple(None if isinstance(a, T) else a for a in args)
    if _fn._pack_hooks[0] is None:
        inner = run(*stand, **kw, **first)
        ctx._inner = inner
        ctx._stand = [s for s, a in zip(stand, args) if isinstance(a, T) and a._rg]
    else:  # saved-tensor hooks: torch saves the arguments only, so backward recomputes
        with grad_mode.no_grad():
            inner = run(*stand, **kw, **first)
        ctx._inner = ctx._stand = None
    ctx._edges = tuple(_fn._edge(a) if isinstance(a, T) else _fn._NO_EDGE for a in args)
    ctx._in_meta = tuple((a._data.shape, a.dtype) if isinstance(a, T) else None for a in args)
    ctx._saved = tuple(args[i] for i in slots)
    ctx._saved_vc = tuple(t._vc[0] for t in ctx._saved)
    if _fn._anomaly[0]:
        ctx._trace = _fn._user_stack()
    res = _fn._wrap(inner._data, True, ctx)
    if _fn._fw[0]:
        pass_tangents((inner,), (res,))
    ctx._out_meta = ((inner._data.shape, res.dtype),)
    if _fn._pack_hooks[0] is not None:
        from . import _saved
        _saved.pack_all(ctx, None)
    return res


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
