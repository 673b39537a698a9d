"""Export rules of einsum, scatter (scatter, scatter_, scatter_add, scatter_reduce), nonzero
and index assignment (`x[idx] = v`), as torch's exporter emits them at opset 20: Einsum,
ScatterElements, NonZero + Transpose, and ScatterND.

Index assignment computes outside any op, so while a trace runs `Tensor.__setitem__` is swapped
for `traced_setitem`: it runs the assignment as an out-of-place IndexPut (traced, its rule
emits the ScatterND), writes the value untraced, and renames the tensor as the in-place ops do.
The positions an assignment writes are fixed at their traced values (a constant index), as the
index tensors of the model are.
"""

import numpy as np

from .._tensor import Tensor
from ._graph import ExportError, inp

_REDUCTIONS = {None: "none", "sum": "add", "prod": "mul", "amax": "max", "amin": "min"}


def _einsum(g, ctx, args, arrays, kwargs, out):
    eq = ",".join(kwargs["parts"]) + "->" + kwargs["out"]
    names = [inp(g, args, arrays, i, "Einsum") for i in range(len(args))]
    return g.node("Einsum", names, equation=eq)


def _index_name(g, idx):
    t = g.by_array.get(id(idx))
    if t is not None:
        return g.name(t, "ScatterElements")
    return g.const(np.asarray(idx, np.int64))


def _scatter(g, ctx, args, arrays, kwargs, out):
    x, src, d, idx, reduce = arrays[0], arrays[1], arrays[2], arrays[3], arrays[4]
    include_self = arrays[5] if len(arrays) > 5 else True
    if reduce not in _REDUCTIONS or not include_self:
        raise ExportError(f"ONNX export: scatter_reduce with reduce='{reduce}' and "
                          f"include_self={include_self} is not supported")
    if reduce in ("amax", "amin") and g.opset < 18 or reduce == "prod" and g.opset < 16:
        raise ExportError(f"ONNX export: scatter_reduce with reduce='{reduce}' needs a newer "
                          "opset_version (ScatterElements' reduction)")
    if np.ndim(x) == 0:
        raise ExportError("ONNX export: scattering into a 0-d tensor is not supported")
    xn = inp(g, args, arrays, 0, "ScatterElements")
    ind = _index_name(g, idx)
    if isinstance(args[1], Tensor):
        s = inp(g, args, arrays, 1, "ScatterElements")
        if tuple(np.shape(src)) != tuple(np.shape(idx)):  # src larger than the index: cut
            n = np.ndim(idx)
            s = g.node("Slice", [s, g.const([0] * n), g.const(list(np.shape(idx))),
                                 g.const(list(range(n))), g.const([1] * n)])
    else:  # a scalar value, expanded to the index's shape
        s = g.node("Expand", [g.const(src, np.asarray(out).dtype),
                              g.const(list(np.shape(idx)))])
    red = _REDUCTIONS[reduce]
    return g.node("ScatterElements", [xn, ind, s], axis=int(d),
                  reduction=None if red == "none" else red)


def _index_put(g, ctx, args, arrays, kwargs, out):
    x, key, accumulate = arrays[0], arrays[2], arrays[3]
    shape = np.shape(x)
    flat = np.arange(int(np.prod(shape, dtype=np.int64)), dtype=np.int64).reshape(shape)[key]
    flat = np.asarray(flat)
    indices = np.stack(np.unravel_index(flat, shape), axis=-1).astype(np.int64) if shape \
        else np.zeros(flat.shape + (0,), np.int64)
    v = inp(g, args, arrays, 1, "ScatterND")
    if tuple(np.shape(arrays[1])) != flat.shape:
        v = g.node("Expand", [v, g.const(list(flat.shape))])
    if accumulate and g.opset < 16:
        raise ExportError("ONNX export: index_put_ with accumulate=True needs opset_version 16 "
                          "or newer")
    return g.node("ScatterND", [inp(g, args, arrays, 0, "ScatterND"),
                                g.initializer(indices, "ScatterND"), v],
                  reduction="add" if accumulate else None)


def nonzero_rule(g, args, kwargs, out):
    """torch.nonzero (as_tuple=False): NonZero gives (ndim, n); torch transposes it."""
    x = args[0]
    if not isinstance(out, Tensor):
        raise ExportError("ONNX export: nonzero(as_tuple=True) is not supported; use "
                          "nonzero() and index its columns")
    if x.dim() == 0:
        raise ExportError("ONNX export: nonzero of a 0-d tensor is not supported")
    y = g.node("Transpose", [g.node("NonZero", [g.name(x, "NonZero")])], perm=[1, 0])
    g.unknown_dims[y] = {0}  # the count of nonzeros: a symbolic size, as torch's
    return y


def traced_setitem(g, original):
    """Tensor.__setitem__ during a trace: an assignment that reads or writes a traced value is
    exported as the out-of-place IndexPut it equals."""
    from ..ops import index as _index
    from ._trace import _on_inplace, paused

    def setitem(self, key, value):
        dynamic = g.is_dynamic(self) or isinstance(value, Tensor) and g.is_dynamic(value)
        if not dynamic or key is False:
            return original(self, key, value)
        k, _, _ = _index._key(self, key)
        v = value if isinstance(value, Tensor) else _tensor_like(self, value)
        if v.dtype is not self.dtype:
            v = v.to(self.dtype)
        v = _index._fit(v, _index._target_shape(self._data, k, []), True)
        r = _index.IndexPut.apply(self, v, k, False)
        with paused():
            original(self, key, value)
        _on_inplace(self, r)
        return None
    return setitem


def _tensor_like(t, value):
    from .._tensor import _wrap
    from ._trace import paused
    with paused():  # a literal value: a constant
        return _wrap(np.asarray(value, np.dtype(t._data.dtype)))


RULES = {"Einsum": _einsum, "Scatter": _scatter, "IndexPut": _index_put}
