"""Export rules of ember's tensor ops: one function per op class (by class name), emitting the
ONNX nodes torch's TorchScript exporter emits for the same aten op at opset 20.

A rule is `rule(g, ctx, args, arrays, kwargs, out)`: `args` are the op's inputs as given
(Tensors and Python values), `arrays` the same promoted to arrays followed by the op's
non-tensor parameters, `out` the computed array(s). It returns the output name(s). The nn ops
(conv, pooling, activations, softmax) are in `_rules_nn`.
"""

import numpy as np

from .._tensor import Tensor
from ._graph import ExportError, inp
from ._graph import onnx_type as _onnx_type


def _unary(op):
    def rule(g, ctx, args, arrays, kwargs, out):
        return g.node(op, [inp(g, args, arrays, 0, op)])
    return rule


def _std_sqrt(g, ctx, args, arrays, kwargs, out):
    r = g.node("Sqrt", [inp(g, args, arrays, 0, "Sqrt")])
    if len(args) > 1 and args[1] is not None:  # a float32 std's variance is float64
        r = g.node("Cast", [r], to=_onnx_type(g, np.asarray(out).dtype))
    return r


def _binary(op):
    def rule(g, ctx, args, arrays, kwargs, out):
        return g.node(op, [inp(g, args, arrays, 0, op), inp(g, args, arrays, 1, op)])
    return rule


def _add(op):
    def rule(g, ctx, args, arrays, kwargs, out):  # x op alpha * y; Rsub: y - alpha * x
        first, second = (1, 0) if ctx.__class__.__name__ == "Rsub" else (0, 1)
        x, y = inp(g, args, arrays, first, op), inp(g, args, arrays, second, op)
        alpha = arrays[2] if len(arrays) > 2 else kwargs.get("alpha", 1)
        if alpha != 1:
            y = g.node("Mul", [y, g.const(alpha, np.asarray(out).dtype)])
        return g.node(op, [x, y])
    return rule


def _rsqrt(g, ctx, args, arrays, kwargs, out):
    one = g.const(1.0, np.asarray(out).dtype)
    return g.node("Div", [one, g.node("Sqrt", [inp(g, args, arrays, 0, "Sqrt")])])


def _shape_of(a):
    return tuple(np.shape(a))


def _reshape(g, ctx, args, arrays, kwargs, out):
    x = args[0]
    if np.asarray(out).dtype != x._data.dtype:
        raise ExportError("ONNX export: Tensor.view(dtype) is not supported")
    shape = g.shape_const(tuple(x.shape), _shape_of(out))
    return g.node("Reshape", [g.name(x, "Reshape"), shape], allowzero=0 if g.opset >= 14 else None)


def _transpose_perm(g, x, perm):
    return g.node("Transpose", [g.name(x, "Transpose")], perm=list(perm))


def _permute(g, ctx, args, arrays, kwargs, out):
    n = args[0].dim()
    return _transpose_perm(g, args[0], [d % n for d in arrays[1]])


def _transpose(g, ctx, args, arrays, kwargs, out):
    x = args[0]
    n = x.dim()
    perm = list(range(n))
    if ctx.__class__.__name__ == "T" or len(arrays) < 3:
        perm = perm[::-1]
    else:
        a, b = arrays[1] % n, arrays[2] % n
        perm[a], perm[b] = perm[b], perm[a]
    return _transpose_perm(g, x, perm)


def _squeeze_axes(big, small):
    """The axes of `big` that `small` lacks (size-1 axes; a greedy subsequence match)."""
    axes, j = [], 0
    for i, s in enumerate(big):
        if j < len(small) and small[j] == s:
            j += 1
        else:
            axes.append(i)
    return axes


def _squeeze(g, ctx, args, arrays, kwargs, out):
    x = args[0]
    axes = _squeeze_axes(tuple(x.shape), _shape_of(out))
    if not axes:
        return g.name(x, "Squeeze")
    return g.node("Squeeze", [g.name(x, "Squeeze"), g.const(axes)])


def _unsqueeze(g, ctx, args, arrays, kwargs, out):
    x = args[0]
    axes = _squeeze_axes(_shape_of(out), tuple(x.shape))
    return g.node("Unsqueeze", [g.name(x, "Unsqueeze"), g.const(axes)])


def _expand(g, ctx, args, arrays, kwargs, out):
    x = args[0]
    shape, ins = list(_shape_of(out)), tuple(x.shape)
    off = len(shape) - len(ins)
    shape = [1 if i >= off and ins[i - off] == s else s for i, s in enumerate(shape)]
    return g.node("Expand", [g.name(x, "Expand"), g.const(shape)])


def _identity(g, ctx, args, arrays, kwargs, out):
    return g.name(args[0], "Identity")


def _cat(g, ctx, args, arrays, kwargs, out):
    keep = kwargs.get("keep") or (True,) * len(args)
    names = [inp(g, args, arrays, i, "Concat") for i, k in enumerate(keep) if k]
    axis = kwargs["dim"] % np.ndim(out)
    return g.node("Concat", names, axis=axis)


def _stack(g, ctx, args, arrays, kwargs, out):
    axis = kwargs["dim"] % np.ndim(out)
    names = [g.node("Unsqueeze", [inp(g, args, arrays, i, "Unsqueeze"), g.const([axis])])
             for i in range(len(args))]
    return g.node("Concat", names, axis=axis)


def _reduce(op):
    def rule(g, ctx, args, arrays, kwargs, out):
        x = inp(g, args, arrays, 0, op)
        dt = np.asarray(out).dtype
        if dt != np.asarray(arrays[0]).dtype:  # sum(dtype=...) and bool sums: cast first
            x = g.node("Cast", [x], to=_onnx_type(g, dt))
        axes, keep = arrays[1], arrays[2]
        is_max = arrays[3] if len(arrays) > 3 and isinstance(arrays[3], bool) else True
        name = op if is_max else "ReduceMin"
        return reduce_node(g, name, x, axes, keep)
    return rule


def reduce_node(g, op, x, axes, keep):
    """A Reduce* node over `axes` (None: all); axes are an input from opset 18 (ReduceSum: 13),
    an attribute before."""
    if axes is not None:
        axes = [int(axes)] if isinstance(axes, (int, np.integer)) else [int(a) for a in axes]
    if axes is None or g.opset >= 18 or (op == "ReduceSum" and g.opset >= 13):
        ins = [x] if axes is None else [x, g.const(axes)]
        return g.node(op, ins, keepdims=int(bool(keep)))
    return g.node(op, [x], axes=axes, keepdims=int(bool(keep)))


def _max_all(g, ctx, args, arrays, kwargs, out):
    return g.node("ReduceMax" if arrays[1] else "ReduceMin", [inp(g, args, arrays, 0, "Reduce")],
                  keepdims=0)


def _max_dim(g, ctx, args, arrays, kwargs, out):
    x = inp(g, args, arrays, 0, "Reduce")
    d, keep, is_max = arrays[1], arrays[2], arrays[3]
    val = reduce_node(g, "ReduceMax" if is_max else "ReduceMin", x, [d], keep)
    idx = g.node("ArgMax" if is_max else "ArgMin", [x], axis=d, keepdims=int(keep))
    return [val, idx]


def _matmul(g, ctx, args, arrays, kwargs, out):
    return g.node("MatMul", [inp(g, args, arrays, 0, "MatMul"), inp(g, args, arrays, 1, "MatMul")])


def _addmm(g, ctx, args, arrays, kwargs, out):
    c, a, b = (inp(g, args, arrays, i, "Gemm") for i in range(3))
    return g.node("Gemm", [a, b, c], alpha=float(arrays[4]), beta=float(arrays[3]))


def _where(g, ctx, args, arrays, kwargs, out):
    return g.node("Where", [inp(g, args, arrays, i, "Where") for i in range(3)])


def _masked_fill(g, ctx, args, arrays, kwargs, out):
    x, mask = inp(g, args, arrays, 0, "Where"), inp(g, args, arrays, 1, "Where")
    v = arrays[2]
    v = inp(g, args, arrays, 2, "Where") if len(args) > 2 and isinstance(args[2], Tensor) else \
        g.const(v, np.asarray(out).dtype)
    return g.node("Where", [mask, v, x])


def _clamp(g, ctx, args, arrays, kwargs, out):
    dt = np.asarray(out).dtype
    lo, hi = arrays[1], arrays[2]
    ins = [inp(g, args, arrays, 0, "Clip"), "" if lo is None else g.const(lo, dt),
           "" if hi is None else g.const(hi, dt)]
    while ins[-1] == "":
        ins.pop()
    return g.node("Clip", ins)


def _clamp_tensor(g, ctx, args, arrays, kwargs, out):
    r = inp(g, args, arrays, 0, "Max")
    if args[1] is not None:
        r = g.node("Max", [r, inp(g, args, arrays, 1, "Max")])
    if args[2] is not None:
        r = g.node("Min", [r, inp(g, args, arrays, 2, "Min")])
    return r


def _to_copy(g, ctx, args, arrays, kwargs, out):
    return g.node("Cast", [g.name(args[0], "Cast")], to=_onnx_type(g, np.asarray(out).dtype))


def _index(g, a, op):
    """An index operand given as a Tensor or as the array of one (gather passes index._data)."""
    if isinstance(a, Tensor):
        return g.name(a, op)
    t = g.by_array.get(id(a))
    if t is not None:
        return g.name(t, op)
    return g.const(np.asarray(a, np.int64))


def _gather(g, ctx, args, arrays, kwargs, out):  # torch.gather(x, d, idx)
    x = inp(g, args, arrays, 0, "GatherElements")
    idx = _index(g, args[2], "GatherElements")
    return g.node("GatherElements", [x, idx], axis=int(arrays[1]) % np.ndim(out))


def _index_select(g, ctx, args, arrays, kwargs, out):
    x = inp(g, args, arrays, 0, "Gather")
    idx = _index(g, args[2], "Gather")
    return g.node("Gather", [x, idx], axis=int(arrays[1]) % np.ndim(out))


def _cumsum(g, ctx, args, arrays, kwargs, out):
    r = g.node("CumSum", [inp(g, args, arrays, 0, "CumSum"), g.const(arrays[1])])
    if np.asarray(out).dtype != np.asarray(arrays[0]).dtype:
        r = g.node("Cast", [r], to=_onnx_type(g, np.asarray(out).dtype))
    return r


def _repeat(g, ctx, args, arrays, kwargs, out):
    x = g.name(args[0], "Tile")
    reps = list(arrays[1])
    if len(reps) > args[0].dim():
        x = g.node("Reshape", [x, g.const((1,) * (len(reps) - args[0].dim())
                                          + tuple(args[0].shape))])
    return g.node("Tile", [x, g.const(reps)])


def _topk(g, ctx, args, arrays, kwargs, out):
    x = args[0]
    d, descending = int(arrays[1]), bool(arrays[2])
    k = arrays[3] if len(arrays) > 3 and arrays[3] is not None else x.shape[d]
    if x.dim() == 0:
        raise ExportError("ONNX export: sorting a 0-d tensor is not supported")
    return g.node("TopK", [g.name(x, "TopK"), g.const([k])], n_out=2, axis=d,
                  largest=int(descending), sorted=1)


def _vector_norm(g, ctx, args, arrays, kwargs, out):
    p, axes, keep = arrays[1], arrays[2], arrays[3]
    op = {1: "ReduceL1", 2: "ReduceL2"}.get(p)
    if op is None:
        raise ExportError(f"ONNX export: vector norms of order {p} are not supported (1 and 2 "
                          "are)")
    return reduce_node(g, op, inp(g, args, arrays, 0, op), axes, keep)


def _tril(g, ctx, args, arrays, kwargs, out):
    return g.node("Trilu", [inp(g, args, arrays, 0, "Trilu"), g.const(int(arrays[1]))],
                  upper=int(bool(arrays[2])))


def _flip(g, ctx, args, arrays, kwargs, out):
    axes = [int(a) for a in arrays[1]]
    big = np.iinfo(np.int64)
    return g.node("Slice", [inp(g, args, arrays, 0, "Slice"), g.const([-1] * len(axes)),
                            g.const([big.min] * len(axes)), g.const(axes),
                            g.const([-1] * len(axes))])


RULES = {
    "Relu": _unary("Relu"), "Sigmoid": _unary("Sigmoid"), "Tanh": _unary("Tanh"),
    "Exp": _unary("Exp"), "Log": _unary("Log"), "Sqrt": _unary("Sqrt"), "Neg": _unary("Neg"),
    "Abs": _unary("Abs"), "Reciprocal": _unary("Reciprocal"), "Erf": _unary("Erf"),
    "Sin": _unary("Sin"), "Cos": _unary("Cos"), "Floor": _unary("Floor"),
    "Ceil": _unary("Ceil"), "Sign": _unary("Sign"), "Rsqrt": _rsqrt,
    "Add": _add("Add"), "Sub": _add("Sub"), "Rsub": _add("Sub"), "Mul": _binary("Mul"),
    "Div": _binary("Div"), "Pow": _binary("Pow"), "Maximum": _binary("Max"),
    "Minimum": _binary("Min"),
    "Eq": _binary("Equal"), "Lt": _binary("Less"), "Gt": _binary("Greater"),
    "Le": _binary("LessOrEqual"), "Ge": _binary("GreaterOrEqual"),
    "View": _reshape, "Permute": _permute, "Transpose": _transpose,
    "Squeeze": _squeeze, "Unsqueeze": _unsqueeze, "Expand": _expand, "Clone": _identity,
    "Cat": _cat, "Stack": _stack,
    "Sum": _reduce("ReduceSum"), "Mean": _reduce("ReduceMean"), "AMax": _reduce("ReduceMax"),
    "MaxAll": _max_all, "MaxDim": _max_dim,
    "MatMul": _matmul, "Addmm": _addmm, "Where": _where, "MaskedFill": _masked_fill,
    "Clamp": _clamp, "ClampTensor": _clamp_tensor, "ToCopy": _to_copy, "Gather": _gather,
    "IndexSelect": _index_select, "Cumsum": _cumsum, "Repeat": _repeat,
    "SortOp": _topk, "VectorNorm": _vector_norm, "StdSqrt": _std_sqrt, "Tril": _tril,
    "Flip": _flip,
}
