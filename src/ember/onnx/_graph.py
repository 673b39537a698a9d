"""The ONNX graph a trace builds: value names for traced Tensors, nodes named by module scope as
torch names them (`/fc1/Gemm`, output `/fc1/Gemm_output_0`), initializers for parameters and
buffers (their state_dict names) and for folded constants (`onnx::<Op>_<n>`), and Constant nodes
for the small integer operands ONNX takes as inputs (shapes, axes, slice bounds).

A value is dynamic (it depends on a graph input), a parameter, or a constant array. Shapes are
traced as numbers; `dyn_sizes` holds the sizes of the axes `dynamic_axes` names, so a shape
operand can copy such an axis from its input (Reshape's 0) instead of fixing it.
"""

import numpy as np

from .._tensor import Tensor


class OnnxExporterError(RuntimeError):
    """Matches torch.onnx.errors.OnnxExporterError: what the exporter cannot translate."""


ExportError = OnnxExporterError


class Graph:
    """The nodes, initializers and value names of one trace."""

    def __init__(self, onnx, opset, params, fold):
        self.onnx, self.opset, self.fold = onnx, opset, fold
        self.params = params          # id(tensor) -> state_dict name
        self.nodes = []
        self.inits = {}               # name -> array (parameters first, in state_dict order)
        self.used_params = set()
        self.values = {}              # id(tensor) -> (name or None, constant array or None, vc)
        self.keep = []                # the traced tensors, alive so their ids stay theirs
        self.scope = []               # the module path of the running forward
        self.counts = {}
        self.dyn_sizes = set()
        self.inputs = []              # graph inputs: (name, tensor)
        self.by_array = {}            # id(array) -> the traced Tensor holding it
        self.reshape_in = {}          # a Reshape's shape operand -> the input's traced shape
        self.unknown_dims = {}        # value name -> its axes whose size depends on the data
        self.train, self.mode = False, None  # training-amenable export; its TrainingMode

    # ---------------------------------------------------------------- values
    def bind(self, t, name=None, const=None):
        self.keep.append(t)
        self.values[id(t)] = (name, const, (t._vc, t._vc[0]))
        self.by_array[id(t._data)] = t

    def is_dynamic(self, t):
        v = self.values.get(id(t))
        return v is not None and v[0] is not None

    def constant_of(self, t):
        """The array of a non-dynamic tensor (a folded value, a parameter or a literal)."""
        v = self.values.get(id(t))
        if v is not None and v[1] is not None:
            return v[1]
        return np.asarray(t._data)

    def name(self, t, consumer="Op"):
        """The graph name of Tensor `t` as an input of a `consumer` node."""
        v = self.values.get(id(t))
        if v is not None and v[0] is not None:
            if v[2][0] is t._vc and v[2][1] != t._vc[0]:  # (a view shares its base's later)
                raise ExportError("ONNX export: a traced tensor was modified in place by an op "
                                  "the exporter cannot see; export the model without that "
                                  "in-place operation")
            return v[0]
        p = self.params.get(id(t))
        if p is not None:
            if p not in self.inits:
                self.inits[p] = np.asarray(t._data)
            self.used_params.add(p)
            return p
        arr = v[1] if v is not None and v[1] is not None else np.asarray(t._data)
        nm = self.initializer(arr, consumer)
        self.bind(t, nm)
        return nm

    def initializer(self, arr, consumer):
        nm = f"onnx::{consumer}_{self._next('onnx::')}"
        self.inits[nm] = np.asarray(arr)
        return nm

    def _next(self, key):
        n = self.counts.get(key, 0)
        self.counts[key] = n + 1
        return n

    # ---------------------------------------------------------------- nodes
    def node(self, op, inputs, n_out=1, **attrs):
        """Append node `op`; returns its output name (or the list of them when n_out > 1)."""
        base = "/" + "/".join(self.scope) + "/" + op if self.scope else "/" + op
        k = self._next(base)
        nm = base if k == 0 else f"{base}_{k}"
        outs = [f"{nm}_output_{i}" for i in range(n_out)]
        attrs = {k: v for k, v in attrs.items() if v is not None}
        self.nodes.append(self.onnx.helper.make_node(op, list(inputs), outs, name=nm, **attrs))
        return outs[0] if n_out == 1 else outs

    def const(self, value, dtype=np.int64):
        """A Constant node holding `value` (shape operands, scalars)."""
        arr = np.asarray(value, dtype=dtype)
        tensor = self.onnx.numpy_helper.from_array(arr)
        return self.node("Constant", [], value=tensor)

    def shape_const(self, in_shape, out_shape):
        """A Reshape's shape operand: an axis of the traced size of a dynamic axis is copied
        from the input (0) where it sits at the same place, else inferred (-1, once)."""
        shape, inferred = [], False
        for i, s in enumerate(out_shape):
            if s in self.dyn_sizes and i < len(in_shape) and in_shape[i] == s:
                shape.append(0)
            elif s in self.dyn_sizes and not inferred:
                shape.append(-1)
                inferred = True
            else:
                shape.append(s)
        dyn_in = [i for i, s in enumerate(in_shape) if s in self.dyn_sizes]
        if dyn_in and 0 not in shape and -1 not in shape:  # a dynamic axis merged into one
            d = in_shape[dyn_in[0]]                       # of the output's: that one is -1
            fits = [i for i, s in enumerate(shape) if s > 0 and s % d == 0]
            if fits:
                shape[dyn_in[0] if dyn_in[0] in fits else fits[0]] = -1
        name = self.const(shape)
        self.reshape_in[name] = tuple(in_shape)
        return name


def inp(g, args, arrays, i, op):
    """Name of op input `i`, cast to the dtype the op computed it in when promotion changed it
    (a Python scalar becomes a Constant of that dtype)."""
    a = args[i]
    if a is None:  # an op given a Tensor's array alone (where's condition)
        a = g.by_array.get(id(arrays[i]))
        if a is None:
            return g.initializer(np.asarray(arrays[i]), op)
    if not isinstance(a, Tensor):
        return g.const(a, dtype=np.asarray(arrays[i]).dtype)
    nm = g.name(a, op)
    want = getattr(arrays[i], "dtype", None)
    if want is not None and np.dtype(want) != np.dtype(a._data.dtype):
        nm = g.node("Cast", [nm], to=onnx_type(g, want))
    return nm


def onnx_type(g, dtype):
    return g.onnx.helper.np_dtype_to_tensor_dtype(np.dtype(dtype))
