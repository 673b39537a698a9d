"""Saved values of graph nodes: saved-tensor hooks and torch's `_saved_*` attributes.

`pack_all` runs the innermost `saved_tensors_hooks` pack hook on everything `_record` (or a
custom Function's `save_for_backward`) saved, keeping only what it returns (`Packed`); backward
unpacks on use and re-attaches the graph edge the original tensor had, as torch does.
Index arrays a node keeps (`_packed_arrays`: gather's, sort's, embedding's indices) and values
torch saves that ember recomputes (`_extra_packs`: max pooling's indices) go through the same
hooks, and backward unpacks every packed value once (`backward_unpacked`), as torch's nodes.
`attribute` answers `node._saved_<name>` / `node._raw_saved_<name>` from `_SPECS`: per torch
node name, how to read each of torch's saved variables from ember's node.
"""

import weakref

from . import function as _fn

_REGISTERED_TWICE = ("Calling register_hooks on a saved tensor whose hooks have already been "
                     "set. Hint: only one pair of hooks is allowed at a time.")
_REGISTER_FREED = (
    "Calling register_hooks on a saved tensor after it has been freed. Saved intermediate values "
    "of the graph are freed when you call .backward() or autograd.grad(). Specify "
    "retain_graph=True if you need to backward through the graph a second time or if you need "
    "to access saved variables after calling backward.")


class Packed:
    """What a pack hook returned for one saved tensor, and how to rebuild the tensor."""

    __slots__ = ("value", "unpack_hook", "fn", "nr", "accum", "strides")

    def __init__(self, tensor, pack, unpack, is_output):
        self.unpack_hook = unpack
        self.strides = tensor._data.strides  # torch's mm nodes answer them after backward
        self.fn = self.accum = None
        self.nr = 0
        if tensor is not None and not is_output:
            if tensor.grad_fn is not None:
                self.fn, self.nr = tensor.grad_fn, tensor._output_nr
            elif tensor._rg:
                self.accum = tensor._accumulator()
        self.value = pack(tensor)

    def unpack(self):
        t = self.unpack_hook(self.value)
        if not isinstance(t, _fn.Tensor):
            raise TypeError("Output of saved tensor unpack_hook expected to be a Tensor but got "
                            f"result of type {type(t).__name__}")
        if self.fn is not None and t.grad_fn is not self.fn:  # torch re-attaches the edge
            t = _fn._wrap(t._data, True, self.fn, self.nr)
        elif self.accum is not None:  # a leaf: its gradient still reaches the leaf's node
            ref = t._accum_ref
            if ref is None or ref() is not self.accum:
                t = _fn._wrap(t._data, True)
                t._accum_ref = weakref.ref(self.accum)
        return t


def pack_all(ctx, result):
    """Packs ctx's saved inputs (and its saved output, `result`) with the current hooks."""
    pack, unpack = _fn._pack_hooks[0]
    extra = getattr(type(ctx), "_extra_packs", None)  # what torch saves and ember recomputes
    extra = extra(ctx) if extra is not None else ()
    saved = ctx.__dict__.get("_saved")
    if saved:
        ctx._saved = tuple(Packed(t, pack, unpack, False) if isinstance(t, _fn.Tensor) else t
                           for t in saved)
    if result is not None and ctx.__dict__.get("_out") is not None:
        ctx._out = Packed(result, pack, unpack, True)
    if extra:
        ctx._extra = tuple(PackedArray(a, pack, unpack) for a in extra)
    for name in getattr(type(ctx), "_packed_arrays", ()):
        a = ctx.__dict__.get(name)
        if a is not None:
            ctx.__dict__[name] = PackedArray(a, pack, unpack)
    ctx._packed = True


class PackedArray:
    """An index array a node keeps (torch saves it as an int64 tensor), through a pack hook."""

    __slots__ = ("value", "unpack_hook")

    def __init__(self, a, pack, unpack):
        self.unpack_hook = unpack
        self.value = pack(_fn._wrap(a))

    def unpack(self):
        t = self.unpack_hook(self.value)
        if not isinstance(t, _fn.Tensor):
            raise TypeError("Output of saved tensor unpack_hook expected to be a Tensor but got "
                            f"result of type {type(t).__name__}")
        return t._data


def array(node, name):
    """node's index array `name`, unpacked when it went through a pack hook."""
    a = node.__dict__[name]
    return a.unpack() if a.__class__ is PackedArray else a


def backward_unpacked(node, grads):
    """node.backward(*grads) for a node whose saved values went through pack hooks: torch
    unpacks each of them once per backward, whether or not its formula reads it."""
    restore_arrays(node)
    for p in node.__dict__.get("_extra", ()):
        p.unpack()
    saved, vc = node._saved, node.__dict__.get("_saved_vc")
    node._saved = unpack_all(saved)
    node._saved_vc = (None,) * len(saved)  # no version check on unpacked values, as torch
    node._packed = False
    try:
        return node.backward(*grads)
    finally:
        node._saved, node._packed = saved, True
        if vc is not None:
            node._saved_vc = vc


def restore_arrays(node):
    """Before backward: the packed index arrays, unpacked for the node's own formulas."""
    for name in getattr(type(node), "_packed_arrays", ()):
        a = node.__dict__.get(name)
        if a.__class__ is PackedArray:
            node.__dict__[name] = a.unpack()


def unpack_all(saved):
    return tuple(p.unpack() if p.__class__ is Packed else p for p in saved)


class SavedTensor:
    """Matches torch._C._autograd.SavedTensor: one saved value of a node (`_raw_saved_*`)."""

    def __init__(self, node, slot):
        self._node, self._slot = node, slot  # slot: an index into node._saved, or "out"

    def register_hooks(self, pack_hook, unpack_hook):
        node, slot = self._node, self._slot
        if node._freed:
            raise RuntimeError(_REGISTER_FREED)
        if slot == "out":
            if node._out.__class__ is Packed:
                raise RuntimeError(_REGISTERED_TWICE)
            res = node.output
            node._out = Packed(res, pack_hook, unpack_hook, True)
        else:
            saved = list(node._saved)
            if saved[slot].__class__ is Packed:
                raise RuntimeError(_REGISTERED_TWICE)
            saved[slot] = Packed(saved[slot], pack_hook, unpack_hook, False)
            node._saved = tuple(saved)
        node._packed = True


# ---------------------------------------------------------------- torch's saved variables
class _In:
    """A saved input (torch returns the tensor itself): argument `pos`, saved by torch only when
    the gradient of input `when` is needed (None: always)."""

    def __init__(self, pos, when=None, scalar_tensor=True):
        self.pos, self.when, self.scalar_tensor = pos, when, scalar_tensor

    def slot(self, node):
        save = getattr(type(node), "save_inputs", ())
        if self.pos not in save:
            return None
        return save.index(self.pos)

    def get(self, node):
        if self.when is not None and node._edges[self.when][0] is None:
            return None
        k = self.slot(node)
        if k is None:
            if node._in_meta[self.pos] is None:  # an optional tensor argument left out
                return None
            raise _refuse(node, self)
        v = node.saved_tensors[k]
        if isinstance(v, _fn.Tensor) or not self.scalar_tensor:
            return v
        from .. import _dtype as D
        from ..ops.creation import tensor
        return tensor(v, dtype=D.float64 if isinstance(v, float) else None)  # a wrapped number


class _Result:
    def get(self, node):
        return node.output


def _refuse(node, spec):
    from .._compat import EmberNotImplemented
    return EmberNotImplemented(f"ember does not implement {node.name()}.{spec.attr} yet")


def EmberNotImplemented_for(node):  # noqa: N802 - an exception for a reader that cannot answer
    from .._compat import EmberNotImplemented
    return EmberNotImplemented(f"ember does not implement {node.name()}'s saved values for this "
                               "call yet")


def _int_dims(dims):
    return tuple(d % (1 << 64) for d in dims)  # torch shows its int64 dims as uint64


def _sizes(pos):
    return lambda n: tuple(n._in_meta[pos][0])


def _strides(pos):
    def get(n):
        k = _In(pos).slot(n)
        if k is None:
            return None
        if n._freed:  # kept by _release
            st, itemsize = n.__dict__["_strides"][k], n._in_meta[pos][1].itemsize
            return tuple(s // itemsize for s in st)
        return tuple(n.saved_tensors[k].stride())
    return get


def _attr(name, f=None):
    return lambda n: (f or (lambda v: v))(n.__dict__[name])


def _dims(n):
    dim = n.__dict__.get("_dim_arg")
    if dim is None:
        return tuple(n.axes) if n.axes is not None else ()
    return _int_dims((dim,) if isinstance(dim, int) else tuple(dim))


def _numel(n):
    size = 1
    for s in n._in_meta[0][0]:
        size *= s
    return size


_ALPHA = {"alpha": _attr("alpha")}
_RESULT = {"result": _Result()}
_SELF = {"self": _In(0)}
_SPECS = {
    "AddBackward0": _ALPHA, "SubBackward0": _ALPHA, "RsubBackward1": _ALPHA,
    "MulBackward0": {"self": _In(0, when=1), "other": _In(1, when=0)},
    "DivBackward0": {"self": _In(0, when=1), "other": _In(1)},
    "PowBackward0": {"self": _In(0), "exponent": _In(1, scalar_tensor=False)},
    "PowBackward1": {"self": _In(0), "exponent": _In(1), "result": _Result()},
    "PowBackward2": {"self": _In(0, scalar_tensor=False), "exponent": _In(1),
                     "result": _Result()},
    "ExpBackward0": _RESULT, "TanhBackward0": _RESULT, "SigmoidBackward0": _RESULT,
    "ReluBackward0": _RESULT, "SqrtBackward0": _RESULT, "RsqrtBackward0": _RESULT,
    "LogBackward0": _SELF, "AbsBackward0": _SELF, "SinBackward0": _SELF, "CosBackward0": _SELF,
    "NegBackward0": {}, "TBackward0": {}, "CloneBackward0": {},
    "MmBackward0": {"self": _In(0, when=1), "mat2": _In(1, when=0),
                    "self_sym_sizes": _sizes(0), "self_sym_strides": _strides(0),
                    "mat2_sym_sizes": _sizes(1), "mat2_sym_strides": _strides(1)},
    "AddmmBackward0": {"alpha": _attr("alpha"), "beta": _attr("beta"),
                       "mat1": _In(1, when=2), "mat2": _In(2, when=1),
                       "mat1_sym_sizes": _sizes(1), "mat1_sym_strides": _strides(1),
                       "mat2_sym_sizes": _sizes(2), "mat2_sym_strides": _strides(2)},
    "ViewBackward0": {"self_sym_sizes": _sizes(0)},
    "UnsafeViewBackward0": {"self_sym_sizes": _sizes(0)},
    "SumBackward0": {"self_sym_sizes": _sizes(0)},
    "SumBackward1": {"dim": _dims, "keepdim": _attr("keepdim"), "self_sym_sizes": _sizes(0)},
    "MeanBackward0": {"self_sym_numel": _numel, "self_sym_sizes": _sizes(0)},
    "MeanBackward1": {"dim": _dims, "keepdim": _attr("keepdim"), "self_sym_numel": _numel,
                      "self_sym_sizes": _sizes(0)},
    "SoftmaxBackward0": {"dim": _attr("dim"), "result": _Result()},
    "LogSoftmaxBackward0": {"dim": _attr("dim"), "result": _Result()},
    "StackBackward0": {"dim": _attr("dim")},
    "ExpandBackward0": {"self_sym_sizes": _sizes(0)},
    "WhereBackward0": {"condition": lambda n: _live(n) and _fn._wrap(n.cond)},
}


def _live(node):
    if node._freed:
        raise RuntimeError(_fn._FREED)
    return node
_nn_loaded = []


def _install_names():
    for name, spec in _SPECS.items():
        for attr, s in spec.items():
            if hasattr(s, "get"):
                s.attr = "_saved_" + attr


_install_names()


def extend(specs):
    """Adds node specs defined next to their ops (nn's nodes register theirs)."""
    _SPECS.update(specs)
    _install_names()


def _spec(node):
    if not _nn_loaded:  # nn's nodes register their specs
        from ..nn import _saved_specs  # noqa: F401
        from . import _saved_ops  # noqa: F401
        _nn_loaded.append(True)
    own = getattr(type(node), "_torch_saved", None)  # a fused node shows torch's by its name
    return own is not None, (own.get(node.name()) if own is not None else
                             _SPECS.get(node.name()))


def names(node):
    """torch's saved attribute names of `node` (for dir())."""
    own, spec = _spec(node)
    out = set()
    for key, s in (spec or {}).items():
        out.add("_saved_" + key)
        if not own and isinstance(s, (_In, _Result)):
            out.add("_raw_saved_" + key)
    return out


def attribute(node, name):
    """node._saved_<x> / node._raw_saved_<x>, as torch's node classes answer them."""
    raw = name.startswith("_raw_saved_")
    key = name[len("_raw_saved_"):] if raw else name[len("_saved_"):]
    from .._compat import EmberNotImplemented
    own, spec = _spec(node)
    if spec is None:
        raise EmberNotImplemented(f"ember does not implement {node.name()}.{name} yet")
    s = spec.get(key)
    if own and s is not None and raw:
        raise EmberNotImplemented(f"ember does not implement {node.name()}.{name} yet")
    if s is None or (raw and not isinstance(s, (_In, _Result))):
        raise AttributeError(f"'{node.name()}' object has no attribute '{name}'")
    if raw:
        if node._freed:
            return SavedTensor(node, None)
        if isinstance(s, _Result):
            return SavedTensor(node, "out")
        k = s.slot(node)
        if k is None:
            raise _refuse(node, s)
        return SavedTensor(node, k)
    if hasattr(s, "get"):
        return s.get(node)
    return s(node)
