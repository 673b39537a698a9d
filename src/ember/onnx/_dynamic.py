"""Dynamic axes from two traces: where `dynamic_axes` names input axes, the model is traced a
second time with each such axis one longer, and the shape operands that changed between the two
graphs are rewritten to follow the input (a Reshape's 0 or -1, an Expand's 1, a Slice's open
end), as torch's tracer computes them from `Shape` at run time. A changed value that no such
rewrite can follow is refused rather than fixed at its traced size."""

import numpy as np

from .._tensor import Tensor
from ._graph import OnnxExporterError

_BIG = np.iinfo(np.int64).max


def grown_args(args, kwargs, names, dyn):
    """args and kwargs with each input axis `dyn` names one element longer (its first slice
    repeated at the end)."""
    it = iter(names)

    def grow(a):
        if not isinstance(a, Tensor):
            return a
        axes = dyn.get(next(it), {})
        x = np.asarray(a._data)
        for ax in axes:
            x = np.concatenate([x, x.take([0], axis=ax)], axis=ax)
        return _tensor(x)
    new_args = tuple(grow(a) for a in args)
    new_kwargs = {k: grow(v) for k, v in kwargs.items()}
    return new_args, new_kwargs


def _tensor(x):
    from ..ops.creation import from_numpy
    return from_numpy(np.ascontiguousarray(x))


def _const_value(onnx, node):
    return onnx.numpy_helper.to_array(node.attribute[0].t)


def generalize(g, g2):
    """Rewrite g's shape operands that differ in g2 (the same model traced with longer dynamic
    axes); False when the two graphs differ in structure (g is left as it is)."""
    onnx = g.onnx
    if [n.op_type for n in g.nodes] != [n.op_type for n in g2.nodes]:
        return False
    uses = {}
    for n in g.nodes:
        for k, i in enumerate(n.input):
            uses.setdefault(i, []).append((n, k))
    for n1, n2 in zip(g.nodes, g2.nodes):
        if n1.op_type != "Constant":
            continue
        v1, v2 = _const_value(onnx, n1), _const_value(onnx, n2)
        if v1.shape == v2.shape and np.array_equal(v1, v2):
            continue
        new = _follow(g, g2, n1.output[0], n2.output[0], v1, v2, uses.get(n1.output[0], []))
        n1.attribute[0].t.CopyFrom(onnx.numpy_helper.from_array(new))
    for (k1, a1), (k2, a2) in zip(g.inits.items(), g2.inits.items()):
        if np.shape(a1) != np.shape(a2):
            _refuse(f"the constant {k1}")
    return True


def _refuse(where):
    raise OnnxExporterError(
        f"ONNX export: a value computed from the size of a dynamic axis ({where}) cannot follow "
        "that axis in the exported graph; export without dynamic_axes or compute it from "
        "tensor ops")


def _follow(g, g2, name1, name2, v1, v2, uses):
    if v1.shape != v2.shape or v1.ndim != 1 or len(uses) != 1:
        _refuse("a constant")
    node, k = uses[0]
    op = node.op_type
    diff = [i for i in range(len(v1)) if v1[i] != v2[i]]
    out = v1.copy()
    if op == "Reshape" and k == 1:
        ins1, ins2 = g.reshape_in.get(name1), g2.reshape_in.get(name2)
        if ins1 is None or ins2 is None:
            _refuse("a reshape")
        rest = []
        for i in diff:
            if i < len(ins1) and ins1[i] == v1[i] and ins2[i] == v2[i]:
                out[i] = 0
            else:
                rest.append(i)
        if len(rest) > 1 or (rest and -1 in v1):
            _refuse("a reshape")
        for i in rest:
            out[i] = -1
        return out
    if op == "Expand" and k == 1:
        out[diff] = 1  # the input has the axis: ONNX's bidirectional broadcast keeps it
        return out
    if op == "Slice" and k == 2:
        out[diff] = _BIG
        return out
    return _refuse(f"an operand of {op}")
