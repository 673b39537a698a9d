"""Tracing one forward pass into a `Graph`.

Export rides on the hook forward-mode AD already has in the op dispatch: while a trace runs,
`function._fw[0]` is True, so every op goes through `Op.run` (the fast paths step aside, as they
do for forward AD) and `Op.run` hands its result to `function._dual_run`, which the trace
replaces with `_on_op`. Outside an export nothing changes: the disabled path still costs the
one flag read forward AD already pays. In-place ops report through `inplace_tangent`, which the
trace replaces likewise, so the written tensor takes the new value's name.

`_on_op` finds the op class's rule (`_rules.RULES`, by class name along the MRO) and binds the
output Tensors to the names it emits. Ops on constants only are folded: their outputs keep their
arrays and become initializers where a node reads them. Modules whose torch export is one ONNX
node (BatchNorm, the recurrent layers) have module rules (`_rules_nn.MODULE_RULES`) that stand in
for their forward during the trace, computing the output untraced and emitting that node.
Functions that compute without an Op (comparisons, argmax, casts) are swapped for traced
wrappers (`_rules_fn`), and so are the layer functions torch exports as one node (prelu,
group_norm, interpolate, flatten, conv_transpose, training-mode dropout: `_rules_layers`);
every other `_wrap` of a result computed from the model's inputs outside an op is refused
(`_guard_wrap`), so no input-dependent value is silently frozen.
"""

import contextlib

from .._tensor import Tensor, _wrap
from ..autograd import forward_ad as _fwd
from ..autograd import function as _function
from ..nn.modules import module as _module
from ..ops import inplace as _inplace
from ._graph import ExportError

_state = {"graph": None}
_active = [False]


_RULES = {}


def _rule_for(cls):
    if not _RULES:
        from . import _rules, _rules_index, _rules_nn, _rules_scatter
        for table in (_rules.RULES, _rules_nn.RULES, _rules_index.RULES, _rules_scatter.RULES):
            _RULES.update(table)
    for c in cls.__mro__:
        r = _RULES.get(c.__name__)
        if r is not None:
            return r
    return None


def _wrap_out(out):
    if out.__class__ is tuple:
        return tuple(_wrap(o) for o in out)
    return _wrap(out)


def _where(g):
    return ".".join(g.scope) or "<top-level module>"


def _on_op(ctx, args, arrays, kwargs, out):
    g = _state["graph"]
    res = _wrap_out(out)
    outs = res if res.__class__ is tuple else (res,)
    tensors = [a for a in args if isinstance(a, Tensor)]
    tensors += [g.by_array[id(arrays[i])] for i, a in enumerate(args)  # given as bare arrays
                if a is None and id(arrays[i]) in g.by_array]
    dynamic = any(g.is_dynamic(t) for t in tensors)
    param = any(id(t) in g.params for t in tensors)
    if not dynamic and (g.fold or not param):  # constant folding
        for o in outs:
            g.bind(o, None, o._data)
        return res
    cls = type(ctx)
    rule = _rule_for(cls)
    if rule is None:
        raise ExportError(
            f"ONNX export: ember has no export rule for op '{cls.__name__}' (torch's "
            f"{ctx._name or cls.__name__}), called in module '{_where(g)}'")
    names = rule(g, ctx, args, arrays, kwargs, out)
    if not isinstance(names, (list, tuple)):
        names = (names,)
    for o, n in zip(outs, names):
        g.bind(o, n)
    return res


def _on_inplace(self, result):
    g = _state["graph"]
    if self._base is not None and g.is_dynamic(self):
        raise ExportError(f"ONNX export: an in-place op on a view is not supported (in module "
                          f"'{_where(g)}'); use the out-of-place op")
    v = g.values.get(id(result))
    if v is not None:
        g.values[id(self)] = (v[0], v[1], (self._vc, self._vc[0]))
        g.keep.append(self)


def _on_custom(cls, ctx, args, res):
    raise ExportError(f"ONNX export: ember cannot export the custom autograd.Function "
                      f"'{cls.__name__}' (in module '{_where(_state['graph'])}')")


@contextlib.contextmanager
def paused():
    """Run ember ops untraced (a module rule computing its output)."""
    from ._rules_fn import _depth
    prev = _function._fw[0]
    _function._fw[0] = False
    _depth[0] += 1  # the comparison wrappers pass through too
    try:
        yield
    finally:
        _depth[0] -= 1
        _function._fw[0] = prev


@contextlib.contextmanager
def tracing(g, model):
    """Every op run inside feeds graph `g`; `model`'s modules name the scopes."""
    from ._rules_nn import MODULE_RULES
    if _function._fw[0]:
        raise RuntimeError("ONNX export cannot run inside a forward-AD dual level")
    names = {id(m): n for n, m in model.named_modules()}

    def pre(mod, inp):
        n = names.get(id(mod))
        if n:
            g.scope.append(n.rsplit(".", 1)[-1] if g.scope else n)
        return None

    def post(mod, inp, out):
        if names.get(id(mod)) and g.scope:
            g.scope.pop()
        return None

    swapped = []
    for m in model.modules():
        rule = MODULE_RULES.get(type(m).__name__)
        if rule is not None and "forward" not in m.__dict__:
            m.__dict__["forward"] = _module_forward(rule, m, g)
            swapped.append(m)
    saved = (_function._dual_run, _function._custom_jvp, _inplace.inplace_tangent,
             _fwd.inplace_tangent)
    h1 = _module.register_module_forward_pre_hook(pre)
    h2 = _module.register_module_forward_hook(post)
    _function._dual_run, _function._custom_jvp = _on_op, _on_custom
    _inplace.inplace_tangent = _fwd.inplace_tangent = _on_inplace
    from . import _rules_fn, _rules_layers
    from ._rules_nn import packed_projection
    from ._rules_scatter import traced_setitem
    undo = (_rules_fn.install(g) + _rules_layers.install(g) + _guard_wrap(g)
            + packed_projection())
    undo.append((Tensor, "__setitem__", Tensor.__setitem__))
    Tensor.__setitem__ = traced_setitem(g, Tensor.__setitem__)
    _state["graph"] = g
    _active[0] = True
    _function._fw[0] = True
    try:
        yield
    finally:
        _function._fw[0] = False
        _active[0] = False
        _state["graph"] = None
        (_function._dual_run, _function._custom_jvp, _inplace.inplace_tangent,
         _fwd.inplace_tangent) = saved
        _rules_fn.uninstall(undo)
        h1.remove()
        h2.remove()
        for m in swapped:
            del m.__dict__["forward"]


def _guard_wrap(g):
    """Every module's `_wrap` (how a result array becomes a Tensor) checks, while the trace
    runs, that it is not wrapping a result computed from the model's inputs outside any op
    (a no-grad fast path): such a value would be fixed in the graph at its traced value."""
    import sys

    from ._rules_fn import _depth
    original = _wrap

    def guarded(*args, **kwargs):
        t = original(*args, **kwargs)
        if not _depth[0] and _function._fw[0]:
            caller = sys._getframe(1)
            if any(isinstance(v, Tensor) and g.is_dynamic(v) for v in caller.f_locals.values()):
                code = caller.f_code
                mod = caller.f_globals.get("__name__", "?")
                raise ExportError(
                    f"ONNX export: ember has no export rule for {mod}.{code.co_name}, which "
                    f"computed a tensor from the model's inputs (in module '{_where(g)}')")
        return t
    undo = []
    for name, m in list(sys.modules.items()):
        if m is None or not (name == "ember" or name.startswith("ember.")) or \
                name.startswith("ember.onnx"):
            continue
        if m.__dict__.get("_wrap") is original:
            undo.append((m, "_wrap", original))
            m._wrap = guarded
    return undo


def _module_forward(rule, module, g):
    original = type(module).forward.__get__(module)

    def forward(*args, **kwargs):
        return rule(g, module, original, args, kwargs)
    return forward
