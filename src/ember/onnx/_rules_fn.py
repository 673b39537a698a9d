"""Export rules of the functions that compute without an Op (no gradient, so no graph node):
comparisons, logical ops, the float predicates, argmax/argmin, dtype casts, attention masks.
While a trace runs, every binding of such a function (the ember namespace, Tensor's methods and
operators, the modules that imported it) is swapped for a wrapper that runs it untraced and
emits its ONNX node."""

import inspect

import numpy as np

from .._tensor import Tensor
from ..ops import compare as _compare
from ..ops import reduce as _reduce
from ._graph import onnx_type


def _promoted(g, args, consumer):
    from ..ops._util import result_type
    dt = np.dtype(result_type(args[0], args[1]).np) if isinstance(args[0], Tensor) else None
    names = []
    for a in args:
        if isinstance(a, Tensor):
            nm = g.name(a, consumer)
            if dt is not None and np.dtype(a._data.dtype) != dt:
                nm = g.node("Cast", [nm], to=onnx_type(g, dt))
            names.append(nm)
        else:
            names.append(g.const(a, dtype=dt))
    return names


def _cmp(op, negate=False):
    def rule(g, args, kwargs, out):
        other = args[1] if len(args) > 1 else kwargs["other"]
        r = g.node(op, _promoted(g, [args[0], other], op))
        return g.node("Not", [r]) if negate else r
    return rule


def _logical(op):
    def rule(g, args, kwargs, out):
        ins = []
        for a in args[:1 if op == "Not" else 2]:
            if not isinstance(a, Tensor):
                ins.append(g.const(bool(a), np.bool_))
            elif a._data.dtype != np.bool_:
                ins.append(g.node("Cast", [g.name(a, op)], to=onnx_type(g, np.bool_)))
            else:
                ins.append(g.name(a, op))
        return g.node(op, ins)
    return rule


def _not(g, args, kwargs, out):
    if str(args[0].dtype) != "torch.bool":
        from ._graph import OnnxExporterError
        raise OnnxExporterError("ONNX export: bitwise_not of an integer tensor is not supported")
    return g.node("Not", [g.name(args[0], "Not")])


def _unary(op):
    def rule(g, args, kwargs, out):
        return g.node(op, [g.name(args[0], op)])
    return rule


def _arg(op):
    def rule(g, args, kwargs, out):
        dim = args[1] if len(args) > 1 else kwargs.get("dim")
        keep = args[2] if len(args) > 2 else kwargs.get("keepdim", False)
        x = g.name(args[0], op)
        if dim is None:
            x = g.node("Reshape", [x, g.const([-1])])
            r = g.node(op, [x], axis=0, keepdims=int(bool(keep)))
            return g.node("Reshape", [r, g.const(list(out.shape))]) if keep else r
        return g.node(op, [x], axis=int(dim) % max(args[0].dim(), 1), keepdims=int(bool(keep)))
    return rule


def _cast(g, args, kwargs, out):
    if out is args[0]:
        return g.name(out, "Cast")
    return g.node("Cast", [g.name(args[0], "Cast")], to=onnx_type(g, out._data.dtype))


def _canonical_mask(g, args, kwargs, out):  # a bool attention mask as 0 / -inf
    mask = args[0]
    if out is mask:
        return g.name(mask, "Where")
    dt = out._data.dtype
    return g.node("Where", [g.name(mask, "Where"), g.const(-np.inf, dt), g.const(0.0, dt)])


def _table():
    from ..nn import _attention
    from ..ops import index, pointwise
    from ._rules_scatter import nonzero_rule
    c, r = _compare, _reduce
    return {pointwise._cast: _cast, _attention._canonical_mask: _canonical_mask,
            index.nonzero: nonzero_rule, index.argwhere: nonzero_rule,
            c.eq: _cmp("Equal"), c.ne: _cmp("Equal", True),
            c.lt: _cmp("Less"), c.gt: _cmp("Greater"), c.le: _cmp("LessOrEqual"),
            c.ge: _cmp("GreaterOrEqual"),
            c.logical_and: _logical("And"), c.logical_or: _logical("Or"),
            c.logical_xor: _logical("Xor"), c.logical_not: _logical("Not"),
            c.isnan: _unary("IsNaN"), c.isinf: _unary("IsInf"), c._invert: _not,
            c.bitwise_not: _not, r.argmax: _arg("ArgMax"), r.argmin: _arg("ArgMin")}


_depth = [0]


def _wrapper(g, fn, rule):
    from ._trace import paused

    def traced(*args, **kwargs):
        if _depth[0]:  # called by another traced function: that one emits the node
            return fn(*args, **kwargs)
        _depth[0] += 1
        try:
            with paused():
                out = fn(*args, **kwargs)
        finally:
            _depth[0] -= 1
        tensors = [a for a in args if isinstance(a, Tensor)]
        if isinstance(out, Tensor) and any(g.is_dynamic(t) for t in tensors):
            g.bind(out, rule(g, args, kwargs, out))
        elif isinstance(out, Tensor):
            g.bind(out, None, out._data)
        elif any(g.is_dynamic(t) for t in tensors):  # not a Tensor: the rule refuses it
            rule(g, args, kwargs, out)
        return out
    return traced


def install(g):
    """Swap every binding of the table's functions for its traced wrapper; returns the undo
    list of (namespace, name, original)."""
    import sys
    table = {inspect.unwrap(f): rule for f, rule in _table().items()}
    undo = []
    spaces = [m for n, m in list(sys.modules.items())
              if m is not None and (n == "ember" or n.startswith("ember."))]
    for ns in [Tensor] + spaces:
        d = ns.__dict__
        for name, value in list(d.items()):
            if not callable(value) or name.startswith("__") and ns is not Tensor:
                continue
            try:
                inner = inspect.unwrap(value)
            except ValueError:
                continue
            rule = table.get(inner)
            if rule is not None:
                undo.append((ns, name, value))
                setattr(ns, name, _wrapper(g, value, rule))
    return undo


def uninstall(undo):
    for ns, name, value in reversed(undo):
        setattr(ns, name, value)
