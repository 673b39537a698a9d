"""Graph nodes: internal `Op`s (array forward, Tensor backward), the public `Function`, and
`AccumulateGrad` for leaves.

An op *class* defines forward and backward side by side; an *instance* is both the ctx and the
graph node. `Op.apply` runs forward on arrays and records a node only when grad mode is on and
an input requires grad. Saved tensors remember the version they had, so backward can refuse
a tensor modified in place since. Outputs are saved as bare arrays and rebuilt on unpack with
this node as grad_fn, so a node never holds its own output Tensor (no reference cycle).
Under anomaly detection, a recorded node also keeps the user's forward stack for the report.
Saved-tensor hooks (`autograd.graph.saved_tensors_hooks`) pack what `_record` saves; the check
is one read of `_pack_hooks` per recorded op, and `_saved.py` holds the packing and torch's
`_saved_*` attributes of each node.
"""

import math
import os
import re
import traceback

import numpy as np

from .. import _dtype as D
from .._compat import module_getattr as _module_getattr
from . import _saved, grad_mode

__all__ = ["Function", "FunctionCtx", "once_differentiable"]
__getattr__ = _module_getattr(__name__)

_enabled = grad_mode._enabled
_LOW = D.LOW_PRECISION  # bfloat16 arrays exist: ops compute them in float32
_anomaly = [False, True]  # anomaly detection: enabled, check_nan
_fw = [False]  # a forward-AD level is entered: Op.run hands results to forward_ad.dual_run
_pack_hooks = [None]  # the innermost saved_tensors_hooks' (pack, unpack), or None
_PKG = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
_FREED = ("Trying to backward through the graph a second time (or directly access saved tensors "
          "after they have already been freed). Saved intermediate values of the graph are freed "
          "when you call .backward() or autograd.grad(). Specify retain_graph=True if you need to "
          "backward through the graph a second time or if you need to access saved tensors after "
          "calling backward.")

Tensor = None  # set by ember._tensor to break the import cycle
_wrap = None


class Node:
    """A node of the backward graph (torch's grad_fn objects).

    `_edges` holds one (node, output_nr) per positional argument of the op, as the engine and
    backward formulas index them; `next_functions` shows torch's view of it, which has edges
    only for tensor inputs that could carry a gradient.
    """

    _name = None
    _edges = ()
    _custom = False  # a public autograd.Function's node
    _freed = False
    _packed = False  # some saved value went through a pack hook
    _keep_strides = False  # _release keeps the saved inputs' strides (torch's mm nodes)
    _grad_inplace = False  # backward may write into its incoming gradient when ctx._own says so
    _hooks = None
    _pre_hooks = None
    _tensor_hooks = None  # output_nr -> [hook]: hooks registered on non-leaf tensors

    def name(self):
        return self._name or type(self).__name__

    def __repr__(self):
        return f"<{self.name()} object at {hex(id(self))}>"

    @property
    def next_functions(self):
        edges = self._edges
        return tuple(edges[i] for i in self._grad_slots())

    def _grad_slots(self):
        """The positions in `_edges` of torch's next_functions (and hooks' grad_inputs)."""
        if self._name in _OPERAND_EDGES:  # torch wraps a Python scalar operand as a tensor
            return (0, 1)
        return tuple(i for i, m in enumerate(self._in_meta)
                     if m is not None and (m[1].is_floating_point or m[1].is_complex))

    def __getattr__(self, name):  # only for names not found: torch's _saved_* attributes
        if name.startswith(("_saved_", "_raw_saved_")):
            return _saved.attribute(self, name)
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def __dir__(self):  # torch's saved attributes instead of ember's bookkeeping
        return sorted({n for n in object.__dir__(self) if n not in ("_saved", "_saved_vc")}
                      | _saved.names(self))

    def register_hook(self, fn):
        if self._hooks is None:
            self._hooks = []
        self._hooks.append(fn)
        return _Handle(self._hooks, fn)

    def register_prehook(self, fn):
        if self._pre_hooks is None:
            self._pre_hooks = []
        self._pre_hooks.append(fn)
        return _Handle(self._pre_hooks, fn)

    @property
    def metadata(self):
        d = self.__dict__.get("_metadata")
        if d is None:
            d = self._metadata = {}
        return d

    def _add_tensor_hook(self, output_nr, fn):
        if self._tensor_hooks is None:
            self._tensor_hooks = {}
        lst = self._tensor_hooks.setdefault(output_nr, [])
        if lst and getattr(lst[-1], "_retains_grad", False):
            lst.insert(len(lst) - 1, fn)  # retain_grad sees the grad after every other hook
        else:
            lst.append(fn)
        return _Handle(lst, fn)


_OPERAND_EDGES = frozenset(("AddBackward0", "SubBackward0", "MulBackward0", "DivBackward0"))


class _Handle:
    """Matches torch.utils.hooks.RemovableHandle."""

    def __init__(self, lst, fn):
        self._lst, self._fn = lst, fn

    def remove(self):
        if self._fn in self._lst:
            self._lst.remove(self._fn)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.remove()


def _edge(t):
    """The (node, output_nr) an input tensor's gradient flows to."""
    fn = t.grad_fn
    if fn is not None:
        return (fn, t._output_nr)
    if t._rg:
        return (t._accumulator(), 0)
    return (None, 0)


class Op(Node):
    """Base of ember's primitives: forward on arrays, backward on Tensors."""

    save_inputs = ()      # indices of inputs whose Tensors backward reads (ctx.saved_tensors)
    _holomorphic = False  # backward is the real formula of a holomorphic function (below)
    _f32 = False          # backward runs on bfloat16 gradients: it reads everything in float32
    _half_opmath = False  # backward is one torch kernel: float16 computed in float32, rounded
    _low_grads = False    # backward takes bfloat16 gradients as they are (torch's kernel adds
    # them up in bfloat16, each addition rounded: the backward of x[idx] and of embedding)
    save_output = False   # backward reads ctx.output
    nondiff_outputs = ()  # output positions with no gradient (e.g. indices)
    jvp = None            # forward derivative: jvp(ctx, *tangents) -> output tangent(s)

    @property
    def needs_input_grad(self):
        return tuple(e[0] is not None for e in self._edges)

    @classmethod
    def apply(cls, *args, **kwargs):
        T = Tensor
        return cls.run(args, [a._data if isinstance(a, T) else a for a in args], kwargs)

    @classmethod
    def run(cls, args, arrays, kwargs):
        """Forward on `arrays` (already promoted), recording `args` as the graph inputs."""
        T = Tensor
        ctx = cls.__new__(cls)
        try:
            out = cls.forward(ctx, *arrays, **kwargs) if not _LOW[0] else (
                D.low_precision_forward(cls, ctx, arrays, kwargs))
        except _NUMPY_ERRORS as e:  # NumPy's errors leave as torch's
            err = torch_error(e, arrays)
            if err is e:
                raise
            raise err from None
        if _fw[0]:  # forward AD: the tangents follow (forward_ad.dual_run)
            return _dual_run(ctx, args, arrays, kwargs, out)
        if _enabled[0]:
            for a in args:
                if isinstance(a, T) and a._rg:
                    return _record(ctx, args, out)
        if out.__class__ is tuple:
            return tuple(_wrap(o) for o in out)
        return _wrap(out)

    @property
    def saved_tensors(self):
        saved = self._saved
        if saved is None:
            raise RuntimeError(_FREED)
        if self._packed:
            saved = _saved.unpack_all(saved)
            return D.float32_tensors(saved, self._f32 == 2) if self._f32 else saved
        for t, v in zip(saved, self._saved_vc):
            if v is not None and t._vc[0] != v:
                _raise_modified(t, v)
        return D.float32_tensors(saved, self._f32 == 2) if self._f32 else saved

    @property
    def output(self):
        out = self._out
        if out is None:
            raise RuntimeError(_FREED)
        if out.__class__ is _saved.Packed:
            out = out.unpack()._data
        elif self._out_vc[0] != self._out_v:
            t = _wrap(out)
            t._vc = self._out_vc  # report the output's current version
            _raise_modified(t, self._out_v, self)
        if self._f32:
            return D.float32_tensors((_wrap(out, True, self),), self._f32 == 2)[0]
        return _wrap(out, True, self)

    def _release(self):
        if self._keep_strides:  # torch's mm nodes still answer their inputs' strides
            self._strides = tuple(t._data.strides if isinstance(t, Tensor) else
                                  getattr(t, "strides", None) for t in self._saved)
        self._saved = None
        self._out = None
        self._freed = True

    def _call_backward(self, grads):
        if self._freed:
            raise RuntimeError(_FREED)
        if self._half_opmath and grads[0] is not None and grads[0].dtype is D.float16:
            grads = D.float32_tensors(grads, True)  # torch's backward kernel: float32 math,
            self._f32 = 2                           # one rounding (by the engine)
        if _LOW[0] and not self._low_grads:  # bfloat16 gradients: computed in float32 (the
            up = D.float32_tensors(grads)  # saved tensors too), rounded once per input by the
            # engine, as torch's kernels (not those that accumulate in bfloat16: _low_grads)
            if up is not grads:
                self._f32 = True
                grads = up
        if self._holomorphic and grads[0] is not None and grads[0].dtype.is_complex:
            return _conjugated(self, grads)  # (the flagged ops have one output)
        if self._packed:  # saved-tensor hooks: every saved value unpacked once, as torch's
            return _saved.backward_unpacked(self, grads)
        return self.backward(*grads)


def _conjugated(node, grads):
    """A holomorphic op's backward in torch's convention for complex tensors (the conjugate
    Wirtinger derivative: grad * conj(f'(z))). Its formula, written for real numbers, gives
    grad * f'(z); so it runs on the conjugated gradients and its results are conjugated back
    (for a real input the engine then keeps the real part, as torch)."""
    grads = [g.conj() if g is not None and g.dtype.is_complex else g for g in grads]
    res = _saved.backward_unpacked(node, grads) if node._packed else node.backward(*grads)
    if res.__class__ is not tuple:
        res = (res,)
    # conj(r) + (-0 + 0j): the imaginary zeros come out +0, as torch's grad * conj(f'(z)) gives
    # them (a plain conj turned the formula's +0 into -0, which prints as "3.-0.j")
    return tuple(r.conj() + _CONJ_ZERO if r is not None and r.dtype.is_complex else r
                 for r in res)


_CONJ_ZERO = complex(-0.0, 0.0)  # adds nothing to a real part, turns an imaginary -0 into +0


_NO_EDGE = (None, 0)
_dual_run = _custom_jvp = None  # set by forward_ad on import (which alone sets _fw)


def finish(ctx, args, out):
    """Op.run's ending: the output Tensor(s), recorded as a node when an input requires grad."""
    if _enabled[0]:
        T = Tensor
        for a in args:
            if isinstance(a, T) and a._rg:
                return _record(ctx, args, out)
    if out.__class__ is tuple:
        return tuple(_wrap(o) for o in out)
    return _wrap(out)


def _record(ctx, args, out):
    T = Tensor
    edges, meta = [], []
    for a in args:  # one plain loop: this runs once per recorded op
        if isinstance(a, T):
            fn = a.grad_fn
            if fn is not None:
                edges.append((fn, a._output_nr))
            elif a._rg:
                ref = a._accum_ref  # a._accumulator(), inlined for the common case
                node = ref() if ref is not None else None
                edges.append((node if node is not None else a._accumulator(), 0))
            else:
                edges.append(_NO_EDGE)
            meta.append((a._data.shape, a.dtype))
        else:
            edges.append(_NO_EDGE)
            meta.append(None)
    ctx._edges = tuple(edges)
    ctx._in_meta = tuple(meta)
    if _anomaly[0]:
        ctx._trace = _user_stack()
    cls = ctx.__class__
    if cls.save_inputs:
        saved = ctx._saved = tuple([args[i] for i in cls.save_inputs])
        ctx._saved_vc = tuple([t._vc[0] if isinstance(t, T) else None for t in saved])
    else:
        ctx._saved = ()
    if out.__class__ is tuple:
        nondiff = cls.nondiff_outputs
        res = tuple(_wrap(o) if i in nondiff else _wrap(o, True, ctx, i) for i, o in enumerate(out))
        ctx._out_meta = tuple((o.shape, r.dtype) for o, r in zip(out, res))
        if cls.save_output:
            ctx._out = out[0]
            ctx._out_vc = res[0]._vc
            ctx._out_v = 0
        if _pack_hooks[0] is not None:
            _saved.pack_all(ctx, res[0])
        return res
    res = _wrap(out, True, ctx)
    ctx._out_meta = ((out.shape, res.dtype),)
    if cls.save_output:
        ctx._out = out
        ctx._out_vc = res._vc
        ctx._out_v = 0
    if _pack_hooks[0] is not None:
        _saved.pack_all(ctx, res)
    return res


def _raise_modified(t, version, node=None):
    fn = node or t.grad_fn
    where = ""
    if fn is not None:
        nm = fn.name().rstrip("0123456789")
        if nm.endswith("Backward"):
            nm = nm[:-8]
        where = f", which is output {t._output_nr} of {nm},"
    shape = "[" + ", ".join(str(s) for s in t.shape) + "]"
    raise RuntimeError(
        "one of the variables needed for gradient computation has been modified by an inplace "
        f"operation: [torch.{t.dtype._legacy} {shape}]{where} is at version {t._vc[0]}; "
        f"expected version {version} instead. " + (_HINT_ANOMALY if _anomaly[0] else _HINT))


_HINT = ("Hint: enable anomaly detection to find the operation that failed to compute its "
         "gradient, with torch.autograd.set_detect_anomaly(True, check_nan=False).")
_HINT_ANOMALY = ("Hint: the backtrace further above shows the operation that failed to compute "
                 "its gradient. The variable in question was changed in there or anywhere later. "
                 "Good luck!")


def _user_stack():
    """The forward call stack outside ember, as anomaly mode reports it."""
    frames = [f for f in traceback.extract_stack()[:-2] if not f.filename.startswith(_PKG)]
    return "".join(traceback.format_list(frames))


class AccumulateGrad(Node):
    """The node that adds a gradient into a leaf's `.grad`."""

    _name = "torch::autograd::AccumulateGrad"
    next_functions = ()

    def __init__(self, leaf):
        self.variable = leaf
        self._out_meta = ((leaf._data.shape, leaf.dtype),)

    def __repr__(self):
        return f"<AccumulateGrad object at {hex(id(self))}>"


class FunctionCtx(Node):
    """ctx for the public Function; the node of a custom op."""

    _custom = True

    def _grad_slots(self):
        return tuple(i for i, m in enumerate(self._in_meta) if m is not None)

    def save_for_backward(self, *tensors):
        self._saved = tensors
        self._saved_vc = tuple(t._vc[0] if t is not None else 0 for t in tensors)
        if _pack_hooks[0] is not None:
            _saved.pack_all(self, None)

    @property
    def saved_tensors(self):
        saved = self.__dict__.get("_saved", ())
        if self.__dict__.get("_in_jvp"):  # inside jvp: what save_for_forward kept
            return self.__dict__.get("_saved_fw", ())
        if saved is None:
            raise RuntimeError(_FREED)
        if self._packed:
            return _saved.unpack_all(saved)
        for t, v in zip(saved, self._saved_vc):
            if t is not None and t._vc[0] != v:
                _raise_modified(t, v)
        return saved

    def save_for_forward(self, *tensors):
        self._saved_fw = tensors

    def mark_non_differentiable(self, *tensors):
        self._nondiff = {id(t) for t in tensors}

    def mark_dirty(self, *tensors):
        self._dirty = tensors

    def set_materialize_grads(self, value):
        self._materialize = bool(value)

    def _release(self):
        if "_saved" in self.__dict__:
            self._saved = None
        self._freed = True

    def _call_backward(self, grads):
        if self._freed:
            raise RuntimeError(_FREED)
        res = self._fn_cls.backward(self, *grads)
        return res if isinstance(res, tuple) else (res,)


class _FunctionMeta(type):
    def __init__(cls, name, bases, ns):
        super().__init__(name, bases, ns)
        cls._backward_cls = type(name + "Backward", (FunctionCtx,),
                                 {"_fn_cls": cls, "_name": name + "Backward"})


class Function(metaclass=_FunctionMeta):
    """Matches torch.autograd.Function: subclass with static forward(ctx, ...) / backward."""

    @staticmethod
    def forward(ctx, *args, **kwargs):
        raise NotImplementedError(
            "You must implement the forward function for custom autograd.Function.")

    @staticmethod
    def backward(ctx, *grad_outputs):
        raise NotImplementedError(
            "You must implement either the backward or vjp method for your custom "
            "autograd.Function to use it with backward mode AD.")

    vjp = backward

    @staticmethod
    def jvp(ctx, *grad_inputs):
        raise NotImplementedError(
            "You must implement the jvp function for custom autograd.Function to use it with "
            "forward mode AD.")

    @classmethod
    def apply(cls, *args, **kwargs):
        T = Tensor
        ctx = cls._backward_cls()
        ctx.needs_input_grad = tuple(isinstance(a, T) and a._rg for a in args)
        fw = _fw[0]
        _fw[0] = False  # forward sees no tangents; its ops propagate none (as torch's)
        try:
            with grad_mode.no_grad():
                out = cls.forward(ctx, *args, **kwargs)
        finally:
            _fw[0] = fw
        res = _connect(ctx, args, out)
        if fw:  # forward AD: the tangents of res come from cls.jvp
            _custom_jvp(cls, ctx, args, res)
        return res


def _connect(ctx, args, out):
    """A custom Function's outputs, recorded as ctx's when an input requires grad."""
    T = Tensor
    if not (_enabled[0] and any(ctx.needs_input_grad)):
        return out
    ctx._edges = tuple(_edge(a) if isinstance(a, T) else (None, 0) for a in args)
    ctx._in_meta = tuple((a._data.shape, a.dtype) if isinstance(a, T) else None
                         for a in args)
    if _anomaly[0]:
        ctx._trace = _user_stack()
    nondiff = ctx.__dict__.get("_nondiff", ())
    outs = out if isinstance(out, tuple) else (out,)
    res, meta = [], []
    inputs = {id(a) for a in args if isinstance(a, T)}
    for i, o in enumerate(outs):
        if isinstance(o, T):
            if id(o) in inputs and id(o) not in {id(d) for d in ctx.__dict__.get("_dirty", ())}:
                o = o.view_as(o)
            if id(o) not in nondiff and o.dtype.is_floating_point:
                o = _rebase(o, ctx, i)
            meta.append((o._data.shape, o.dtype))
        else:
            meta.append(None)
        res.append(o)
    ctx._out_meta = tuple(meta)
    return tuple(res) if isinstance(out, tuple) else res[0]


def _rebase(t, ctx, i):
    t.grad_fn = ctx
    t._output_nr = i
    t._rg = True
    return t


def once_differentiable(fn):
    """torch's decorator for a custom Function's backward that is not differentiable: it runs
    under no_grad, and where grad is on (a create_graph backward) and an input requires grad,
    its results come out of a DelayedError node whose own backward raises."""
    import functools

    @functools.wraps(fn)
    def wrapper(ctx, *args):
        from .grad_mode import no_grad
        with no_grad():
            outputs = fn(ctx, *args)
        if not _enabled[0] or not any(isinstance(a, Tensor) and a.requires_grad for a in args):
            return outputs
        single = not isinstance(outputs, tuple)
        outs = (outputs,) if single else outputs
        res = tuple(None if o is None else _DelayedError.apply(o.detach().requires_grad_())
                    for o in outs)
        return res[0] if single else res
    return wrapper


class _DelayedError(Op):
    _name = "torch::autograd::Error"

    def forward(ctx, x):
        return x

    def backward(ctx, grad):
        raise RuntimeError("trying to differentiate twice a function that was marked with "
                           "@once_differentiable")



# ---------------------------------------------------------------- NumPy's errors as torch's
# An op computes with NumPy, whose exceptions differ from torch's in type and text (ValueError
# for a broadcast, MemoryError for a failed allocation, AxisError for a bad dim). Op.run, and
# the fast paths and creation functions that call NumPy without it, pass what NumPy raised
# through `torch_error`, which answers torch's exception; try/except costs nothing until an
# exception is raised. An error ember raises on purpose (an explicit `raise` in ember's code)
# is left as it is.

class CPUAllocError(RuntimeError, MemoryError):
    """torch's failed CPU allocation: a RuntimeError, as torch raises, and a MemoryError."""


_NUMPY_ERRORS = (ValueError, IndexError, MemoryError)  # NumPy's AxisError is both of the first
_INT64_MAX = (1 << 63) - 1
_NUMPY_DIR = os.path.dirname(os.path.abspath(np.__file__))
_BINCOUNT = "bincount only supports 1-d non-negative integral inputs."


def alloc_error(nbytes):
    return CPUAllocError(
        "[enforce fail at alloc_cpu.cpp:127] err == 0. DefaultCPUAllocator: can't allocate "
        f"memory: you tried to allocate {nbytes} bytes. Error code 12 (Cannot allocate memory)")


def creation_error(e, shape, dtype, strides=None):
    """torch's error for exception `e` raised while allocating a `shape` array of `dtype` (a
    NumPy dtype or an ember dtype; `strides` for a strided storage): the storage-size overflow
    or the allocation failure."""
    shape = [int(s) for s in shape]
    itemsize = np.dtype(getattr(dtype, "np", dtype)).itemsize
    if strides is None:
        nbytes = math.prod(shape) * itemsize
    else:
        nbytes = (1 + sum((s - 1) * st for s, st in zip(shape, strides))) * itemsize
    if nbytes > _INT64_MAX and isinstance(e, (ValueError, MemoryError)):
        more = "" if strides is None else f" and strides={[int(s) for s in strides]}"
        return RuntimeError(f"Storage size calculation overflowed with sizes={shape}{more}")
    if isinstance(e, MemoryError):
        return alloc_error(nbytes)
    return torch_error(e)


def _broadcast_error(shapes):
    """torch's error for operands of `shapes` that do not broadcast, each broadcast in turn
    against the shape of those before it (None when they do broadcast)."""
    acc = tuple(shapes[0])
    for s in shapes[1:]:
        s = tuple(s)
        n = max(len(acc), len(s))
        a, b = (1,) * (n - len(acc)) + acc, (1,) * (n - len(s)) + s
        for i in range(n - 1, -1, -1):
            if a[i] != b[i] and a[i] != 1 and b[i] != 1:
                return RuntimeError(f"The size of tensor a ({a[i]}) must match the size of tensor "
                                    f"b ({b[i]}) at non-singleton dimension {i}")
        acc = tuple(y if x == 1 else x for x, y in zip(a, b))
    return None


def _shapes_in(text):
    """The shapes NumPy printed in a message, `(2,3)` -> (2, 3); only the originals of a
    `[original->remapped]` message."""
    if "remapped" in text:
        found = re.findall(r"\(([\d,\s]*)\)->", text)
    else:
        found = re.findall(r"\(([\d,\s]*)\)", text)
    return [tuple(int(v) for v in f.split(",") if v.strip()) for f in found]


def _fmt(shape):
    return "[" + ", ".join(str(s) for s in shape) + "]"


def _raised_by_numpy(e):
    """Whether NumPy raised `e`: in NumPy's Python code, or in the C code an op called (an
    explicit `raise` statement is ember's own, deliberate error, and stays as it is)."""
    tb = e.__traceback__
    if tb is None:
        return False
    while tb.tb_next is not None:
        tb = tb.tb_next
    code = tb.tb_frame.f_code
    if code.co_filename.startswith(_NUMPY_DIR):
        return True
    import opcode
    return code.co_code[tb.tb_lasti] not in (opcode.opmap["RAISE_VARARGS"],
                                              opcode.opmap["RERAISE"])


def torch_error(e, operands=None):
    """The exception torch raises where NumPy raised `e` inside an op on the arrays `operands`
    (in the op's argument order; None where unknown); `e` itself when it is not NumPy's.

    The broadcast error is computed from `operands` when they do not broadcast (torch broadcasts
    the inputs in argument order), else from the shapes NumPy's message names."""
    if isinstance(e, MemoryError):
        shape, dtype = getattr(e, "shape", None), getattr(e, "dtype", None)
        if shape is None or dtype is None:  # not NumPy's _ArrayMemoryError
            return e
        return creation_error(e, shape, dtype)
    if not _raised_by_numpy(e):
        return e
    msg = str(e)
    if isinstance(e, np.exceptions.AxisError):
        if e.axis is None or e.ndim is None:
            return IndexError(msg)
        n = max(e.ndim, 1)
        return IndexError(f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], "
                          f"but got {e.axis})")
    if msg.startswith(("operands could not be broadcast", "shape mismatch: objects cannot be")):
        shapes = [getattr(a, "shape", ()) for a in operands or () if hasattr(a, "shape")]
        err = _broadcast_error(shapes) if len(shapes) > 1 else None
        return err or _broadcast_error(_shapes_in(msg)) or RuntimeError(msg)
    m = re.match(r"non-broadcastable output operand with shape \(([\d,\s]*)\) doesn't match "
                 r"the broadcast shape \(([\d,\s]*)\)", msg)
    if m:
        out, full = _shapes_in(m.group(0))
        return RuntimeError(f"output with shape {_fmt(out)} doesn't match the broadcast shape "
                            f"{_fmt(full)}")
    m = re.fullmatch(r"index (-?\d+) is out of bounds for axis (\d+) with size (\d+)", msg)
    if m:
        return IndexError(f"index {m[1]} is out of bounds for dimension {m[2]} with size {m[3]}")
    m = re.fullmatch(r"cannot reshape array of size (\d+) into shape \(([\d,\s]*)\)", msg)
    if m:
        return RuntimeError(f"shape '{_fmt(_shapes_in(m.group(0))[0])}' is invalid for input of "
                            f"size {m[1]}")
    if msg in ("'list' argument must have no negative elements",
               "object too deep for desired array"):
        return RuntimeError(_BINCOUNT)
    if isinstance(e, np.linalg.LinAlgError):
        from ..ops.decomp import _LinAlgError
        return _LinAlgError(msg)
    if isinstance(e, IndexError):
        return e
    return RuntimeError(msg)
