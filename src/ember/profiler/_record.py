"""Recording: the hooks a profiler installs while it is active, and the raw records they make.

Nothing here runs unless a profiler is recording. Starting the first recording session swaps in
recording wrappers; stopping the last one puts every original object back, so with no profiler
active `Op.run`, the Tensor methods and the module functions are exactly the unwrapped ones and
an op pays nothing for the profiler's existence. The wrappers:

- `Op.run` (every primitive's forward): a record named after the op's aten name, derived from its
  backward node's name (`AddmmBackward0` -> `aten::addmm`), unless the innermost open record
  already has that name (the public function that called it);
- the Tensor methods and operators, `ember.<op>` and `ember.nn.functional.<fn>`: a record named
  `aten::<name>` (`t + u` -> `aten::add`, `t += u` -> `aten::add_`, `F.linear` -> `aten::linear`),
  so calls that take a fast path with no Op are recorded too;
- the autograd engine's `_apply` and `_accumulate` (module globals looked up per node): torch's
  `autograd::engine::evaluate_function: <Node>` around `<Node>`, and
  `torch::autograd::AccumulateGrad` for leaves; ops a backward formula runs nest inside
  (`ember.autograd.run_backward` closes the last node's record);
- layers' `_fn` functionals, optimizers' step/zero_grad, DataLoader iterators' `__next__`.

A record's time is `time.perf_counter_ns`; memory is the bytes of the arrays an op's result owns
(views own none), charged to the record that allocated them, less the bytes of charged arrays
freed while it is the innermost open record (a free outside every record is a `[memory]` row,
as torch's); FLOPs follow torch's formulas for matrix products, convolutions and elementwise
add/mul.
"""

import sys
import threading
import time
import weakref

_sessions = []        # active collectors: lists that every finished record is appended to
_flags = {"shapes": False, "memory": False, "flops": False, "stack": False}
_tls = threading.local()
_saved = []           # (owner, attribute, original) swapped by _install
_lock = threading.Lock()
_now = time.perf_counter_ns


class _Rec:
    __slots__ = ("name", "start", "end", "parent", "shapes", "mem", "child_mem", "freed",
                 "flops", "tid", "scope", "user", "py")

    def __init__(self, name, parent, scope=0, user=False):
        self.name, self.parent, self.scope, self.user = name, parent, scope, user
        self.py = False  # a Python frame's row (with_stack)
        self.shapes = None
        self.mem = self.child_mem = self.freed = self.flops = 0
        self.tid = threading.get_native_id()
        self.end = None
        self.start = _now()


def _stack():
    st = getattr(_tls, "stack", None)
    if st is None:
        st = _tls.stack = []
    return st


def begin(name, args=(), kwargs=None, scope=0, user=False, shapes=None):
    st = _stack()
    rec = _Rec(name, st[-1] if st else None, scope, user)
    if _flags["shapes"] or _flags["flops"]:
        rec.shapes = _shapes(args, kwargs) if shapes is None else shapes
    st.append(rec)
    return rec


def end(rec, result=None):
    rec.end = _now()
    st = _stack()
    if st and st[-1] is rec:
        st.pop()
    elif rec in st:
        st.remove(rec)
    if _flags["memory"]:
        rec.mem = _account(result) - rec.freed + rec.child_mem
        if rec.parent is not None:
            rec.parent.child_mem += rec.mem
    if _flags["flops"]:
        rec.flops = _flops(rec.name, rec.shapes, result)
    for s in _sessions:
        s.append(rec)


# ------------------------------------------------------------------ argument details
def _tensor_cls():
    from .._tensor import Tensor
    return Tensor


def _shapes(args, kwargs):
    T = _tensor_cls()
    vals = list(args) + (list(kwargs.values()) if kwargs else [])
    return [list(a.shape) if isinstance(a, T) else [] for a in vals]


_counted = {}  # id(array) -> bytes: arrays charged to the record that allocated them, alive


def _account(result):
    """Bytes of the arrays `result` owns that no record has been charged for yet; each is
    watched so that its free is charged too (to the open record, or as a `[memory]` row)."""
    T = _tensor_cls()
    items = result if isinstance(result, (tuple, list)) else (result,)
    n = 0
    for r in items:
        a = r._data if isinstance(r, T) else None
        if a is None or getattr(a, "base", 0) is not None or id(a) in _counted:
            continue
        try:
            weakref.finalize(a, _on_free, id(a)).atexit = False
        except TypeError:  # an array type without weak references: not tracked
            continue
        _counted[id(a)] = a.nbytes
        n += a.nbytes
    return n


def _on_free(key):
    n = _counted.pop(key, 0)
    if not n or not _sessions:
        return
    st = _stack()
    if st:
        st[-1].freed += n
        return
    rec = _Rec("[memory]", None)
    rec.end = rec.start
    rec.mem = -n
    for s in _sessions:
        s.append(rec)


def _numel(shape):
    n = 1
    for s in shape:
        n *= s
    return n


def _flops(name, shapes, result):
    """torch's FLOP counts: 2*M*N*K for matrix products, 2 * output * (Cin/groups * kernel) for
    convolutions, one per output element for add and mul; 0 for every other op."""
    T = _tensor_cls()
    out = result[0] if isinstance(result, tuple) and result else result
    if not isinstance(out, T) or not shapes:
        return 0
    op = name[6:] if name.startswith("aten::") else None
    if op in ("mm", "addmm", "bmm", "baddbmm"):
        mats = [s for s in shapes if len(s) >= 2]
        return 2 * out.numel() * mats[0][-1] if mats else 0
    if op in ("conv1d", "conv2d", "conv3d") and len(shapes) > 1 and len(shapes[1]) >= 3:
        return 2 * out.numel() * _numel(shapes[1][1:])
    if op in ("add", "mul", "add_", "mul_"):
        return out.numel()
    return 0


# ------------------------------------------------------------------ names
_DUNDER = {"add": "add", "radd": "add", "iadd": "add_", "sub": "sub", "rsub": "rsub",
           "isub": "sub_", "mul": "mul", "rmul": "mul", "imul": "mul_", "truediv": "div",
           "rtruediv": "div", "itruediv": "div_", "floordiv": "floor_divide",
           "rfloordiv": "floor_divide", "ifloordiv": "floor_divide_", "mod": "remainder",
           "rmod": "remainder", "imod": "remainder_", "pow": "pow", "rpow": "pow",
           "ipow": "pow_", "matmul": "matmul", "rmatmul": "matmul", "neg": "neg", "abs": "abs",
           "pos": "positive", "invert": "bitwise_not", "eq": "eq", "ne": "ne", "lt": "lt",
           "le": "le", "gt": "gt", "ge": "ge", "and": "__and__", "rand": "__and__",
           "iand": "__iand__", "or": "__or__", "ror": "__or__", "ior": "__ior__",
           "xor": "__xor__", "rxor": "__xor__", "ixor": "__ixor__", "lshift": "__lshift__",
           "rlshift": "__lshift__", "ilshift": "__ilshift__", "rshift": "__rshift__",
           "rrshift": "__rshift__", "irshift": "__irshift__"}
# Tensor methods that are no operator in torch's profile (metadata, conversions to Python)
_NOT_OPS = frozenset(("is_cpu", "is_inference", "is_same_size", "new", "__getitem__",
                      "__setitem__", "_real", "_imag", "allclose", "equal", "is_nonzero",
                      "contiguous"))
# functions whose torch operator has another name
_RENAMED = {"cross_entropy": "cross_entropy_loss", "tensor": "lift_fresh",
            "from_numpy": "lift_fresh"}
# Tensor methods of the class body (not in the op table) that torch dispatches as operators
_CLASS_METHODS = {"to": "aten::to", "float": "aten::to", "double": "aten::to",
                  "half": "aten::to", "bfloat16": "aten::to", "int": "aten::to",
                  "long": "aten::to", "short": "aten::to", "char": "aten::to",
                  "byte": "aten::to", "bool": "aten::to", "cpu": "aten::to",
                  "detach": "aten::detach", "detach_": "aten::detach_", "item": "aten::item"}


def method_aten_name(name):
    if name.startswith("__") and name.endswith("__"):
        base = _DUNDER.get(name[2:-2])
        return None if base is None else "aten::" + base
    return "aten::" + _RENAMED.get(name, name)


_OP_NAMES = {}
_PRODUCTS = {(2, 2): "aten::mm", (3, 3): "aten::bmm", (2, 1): "aten::mv", (1, 1): "aten::dot"}


def op_aten_name(cls):
    name = _OP_NAMES.get(cls)
    if name is None:
        raw = cls._name or cls.__name__
        base = raw.rstrip("0123456789")
        if base.endswith("Backward"):
            base = base[:-8]
        base = base.lstrip("_")
        snake = "".join("_" + c.lower() if c.isupper() and i and (
            base[i - 1].islower() or (base[i - 1].isupper() and base[i + 1:i + 2].islower()))
            else c.lower() for i, c in enumerate(base))
        name = _OP_NAMES[cls] = "aten::" + snake
    return name


# ------------------------------------------------------------------ wrappers
_VIEWS = frozenset(("aten::select", "aten::slice", "aten::unsqueeze", "aten::alias"))


def _index_name(t, key, *_):
    """torch's first operator for `t[key]`: select (int), slice, unsqueeze (None), index."""
    T = _tensor_cls()
    full = False
    for k in (key if isinstance(key, tuple) else (key,)):
        if k is Ellipsis or (isinstance(k, slice) and k == slice(None)):
            full = full or k is not Ellipsis
            continue
        if isinstance(k, int) and not isinstance(k, bool):
            return "aten::select"
        if isinstance(k, slice):
            return "aten::slice"
        if k is None:
            return "aten::unsqueeze"
        if isinstance(k, T) and k.dim() == 0 and not k.dtype.is_floating_point and \
                k.dtype.name != "bool":
            return "aten::select"
        return "aten::index"
    return "aten::slice" if full else "aten::alias"


def _record_call(name, fn, when=None):
    """`fn` recording a call named `name` (or `name(*args)` when callable), only when
    `when(*args)` (when given) says torch dispatches an operator."""
    def recorded(*args, **kwargs):
        n = name(*args) if callable(name) else name
        st = _stack()
        if (st and st[-1].name == n) or (when is not None and not when(*args, **kwargs)):
            return fn(*args, **kwargs)
        rec = begin(n, args, kwargs)
        out = None
        try:
            out = fn(*args, **kwargs)
            return out
        finally:
            end(rec, out)
    recorded.__wrapped__ = fn
    recorded.__name__ = getattr(fn, "__name__", "recorded")
    recorded.__doc__ = getattr(fn, "__doc__", None)
    return recorded


def _recording_run(run):
    def recorded_run(cls, args, arrays, kwargs):
        name = _OP_NAMES.get(cls) or op_aten_name(cls)
        shapes = None
        if name == "aten::mm" and cls.__name__ == "MatMul":  # one primitive, torch's four ops
            name = _PRODUCTS.get(tuple(getattr(a, "ndim", 0) for a in arrays[:2]),
                                 "aten::matmul")
        elif cls.__name__ == "_Linear":
            name, shapes = _linear_as_torch(arrays)
        st = _stack()
        if st and (st[-1].name == name or (name == "aten::index" and st[-1].name in _VIEWS)):
            return run(cls, args, arrays, kwargs)  # the caller's record names this op
        rec = begin(name, args, shapes=shapes)
        out = None
        try:
            out = run(cls, args, arrays, kwargs)
            return out
        finally:
            end(rec, out)
    return recorded_run


def _linear_as_torch(arrays):
    """ember's one linear primitive as the op torch's linear dispatches to: addmm(bias, input
    as rows, weight.T, beta, alpha), or mm(input as rows, weight.T) without a bias."""
    x, w, b = arrays[:3]
    n_out, n_in = w.shape
    rows = [_numel(x.shape[:-1]), n_in]
    if b is None:
        return "aten::mm", [rows, [n_in, n_out]]
    return "aten::addmm", [list(b.shape), rows, [n_in, n_out], [], []]


def _close_pending():
    """Ends the evaluate_function record left open after its node ran: torch's spans also
    cover adding the node's gradients into the next nodes' buffers, which the engine does after
    `_apply` returns; the next node, or the end of the backward pass, closes it."""
    rec = getattr(_tls, "pending", None)
    if rec is not None:
        _tls.pending = None
        end(rec)


def _recording_apply(apply):
    def recorded_apply(node, grads):
        _close_pending()
        name = node.name()
        outer = begin("autograd::engine::evaluate_function: " + name, scope=1)
        ok = False
        try:
            inner = begin(name, grads, scope=1)
            out = None
            try:
                out = apply(node, grads)
                ok = True
                return out
            finally:
                end(inner, out)
        finally:
            if ok:
                _tls.pending = outer
            else:
                end(outer)
    return recorded_apply


def _recording_accumulate(accumulate):
    name = "torch::autograd::AccumulateGrad"

    def recorded_accumulate(leaf, g, *rest, **kw):
        _close_pending()
        outer = begin("autograd::engine::evaluate_function: " + name, scope=1)
        try:
            inner = begin(name, (g,), scope=1)
            try:
                return accumulate(leaf, g, *rest, **kw)
            finally:
                end(inner)
        finally:
            end(outer)
    return recorded_accumulate


def _recording_backward(run_backward):
    def recorded_backward(*args, **kwargs):
        try:
            return run_backward(*args, **kwargs)
        finally:
            _close_pending()
    recorded_backward.__wrapped__ = run_backward
    return recorded_backward


def _swap(owner, attr, new):
    _saved.append((owner, attr, owner.__dict__[attr]))
    setattr(owner, attr, new)


def _subclasses(cls):
    out, todo = [], [cls]
    while todo:
        c = todo.pop()
        out.append(c)
        todo.extend(c.__subclasses__())
    return out


def _install():
    import importlib
    import types

    import ember

    from .._tensor_methods import METHODS
    from ..autograd import engine, function
    F = importlib.import_module("ember.nn.functional")
    Tensor = _tensor_cls()
    _swap(function.Op, "run", classmethod(_recording_run(function.Op.__dict__["run"].__func__)))
    for name in METHODS:
        fn = Tensor.__dict__.get(name)
        aten = None if name in _NOT_OPS else method_aten_name(name)
        if aten is not None and isinstance(fn, types.FunctionType):
            _swap(Tensor, name, _record_call(aten, fn))
    for name, aten in _CLASS_METHODS.items():
        fn = Tensor.__dict__.get(name)
        if isinstance(fn, types.FunctionType):
            _swap(Tensor, name, _record_call(aten, fn))
    _swap(Tensor, "contiguous", _record_call("aten::contiguous", Tensor.__dict__["contiguous"],
                                             when=lambda t, *a, **k: not t.is_contiguous()))
    _swap(Tensor, "__getitem__", _record_call(_index_name, Tensor.__dict__["__getitem__"]))
    # nn.functional's functions, also where they are defined (ember.nn._conv, ._norm, ...), for
    # the modules that call them there
    nn_impl = [m for k, m in list(sys.modules.items())
               if k.startswith("ember.nn._") and k.count(".") == 2 and m is not None]
    for mod, names in [(ember, [n for m in ember._OPS for n in m.__all__]), (F, F.__all__)] + [
            (m, F.__all__) for m in nn_impl]:
        for name in names:
            fn = mod.__dict__.get(name)
            if isinstance(fn, types.FunctionType) and name not in _NOT_OPS:
                _swap(mod, name, _record_call(method_aten_name(name), fn))
    # the layers that hold their functional as a class attribute (Conv2d._fn = conv2d)
    fnames = set(F.__all__)
    for cls in _subclasses(ember.nn.Module):
        fn = cls.__dict__.get("_fn")
        if isinstance(fn, staticmethod) and getattr(fn.__func__, "__name__", "") in fnames:
            _swap(cls, "_fn", staticmethod(_record_call("aten::" + fn.__func__.__name__,
                                                        fn.__func__)))
    from . import _pytrace
    _swap(ember.nn.Module, "__call__", _pytrace.module_call(ember.nn.Module.__dict__["__call__"]))
    # torch's optimizers record their step and zero_grad, its DataLoader iterators each batch
    for modname, base, attrs, label in (
            ("ember.optim.optimizer", "Optimizer", ("step", "zero_grad"), "Optimizer.{a}"),
            ("ember.utils.data.dataloader", "_BaseDataLoaderIter", ("__next__",),
             "enumerate(DataLoader)")):
        mod = sys.modules.get(modname)
        if mod is None:
            continue
        for cls in _subclasses(getattr(mod, base)):
            for attr in attrs:
                fn = cls.__dict__.get(attr)
                if isinstance(fn, types.FunctionType):
                    _swap(cls, attr, _record_method(label.format(a=attr), attr, fn))
    autograd = sys.modules["ember.autograd"]
    _swap(autograd, "run_backward", _recording_backward(autograd.run_backward))
    _swap(engine, "_apply", _recording_apply(engine._apply))
    _swap(engine, "_accumulate", _recording_accumulate(engine._accumulate))


def _record_method(label, attr, fn):
    """A method recorded as torch's `label#Class.attr` range (a subclass's override calling
    its parent's makes one record)."""
    def recorded(self, *args, **kwargs):
        name = f"{label}#{type(self).__name__}.{attr}"
        st = _stack()
        if st and st[-1].name == name:
            return fn(self, *args, **kwargs)
        rec = begin(name, user=True)
        try:
            return fn(self, *args, **kwargs)
        finally:
            end(rec)
    recorded.__wrapped__ = fn
    recorded.__name__ = fn.__name__
    recorded.__doc__ = fn.__doc__
    from ._pytrace import through
    return through(recorded)


def _uninstall():
    while _saved:
        owner, attr, orig = _saved.pop()
        setattr(owner, attr, orig)
    _counted.clear()


def start_session(collector, record_shapes=False, profile_memory=False, with_flops=False,
                  with_stack=False):
    """Starts recording into `collector` (a list); the hooks go in with the first session,
    the Python tracer with the first with_stack one."""
    with _lock:
        if not _sessions:
            _install()
        _sessions.append(collector)
        collector._opts = (record_shapes, profile_memory, with_flops, with_stack)
        _refresh_flags()
    if with_stack:
        from . import _pytrace
        _pytrace.start()


def stop_session(collector):
    _close_pending()
    from . import _pytrace
    with _lock:
        if any(s is collector for s in _sessions):
            rest = [s for s in _sessions if s is not collector]
            if not any(s._opts[3] for s in rest):
                _pytrace.stop()  # its open rows end while the session still collects
            _sessions[:] = rest
            _refresh_flags()
            if not _sessions:
                _uninstall()


def _refresh_flags():
    opts = [s._opts for s in _sessions]
    for i, k in enumerate(("shapes", "memory", "flops", "stack")):
        _flags[k] = any(o[i] for o in opts)


def is_recording():
    return bool(_sessions)


class Collector(list):
    """The finished records of one recording session, in the order they ended."""

    _opts = (False, False, False, False)
