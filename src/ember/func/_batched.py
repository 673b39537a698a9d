"""vmap's BatchedTensor, its level stack and the dispatcher that sends ops to batching rules.

A `BatchedTensor` is a Tensor whose logical shape omits one batch dimension: it wraps a value
(a Tensor, or a BatchedTensor of an outer vmap level) whose dim 0 is the batch. Ops reach the
dispatcher two ways: its own methods (every entry of Tensor's method table), and the public op
functions of `ember`, `ember.nn.functional` and the nn modules' function modules, which
`activate()` swaps for dispatching wrappers while a vmap runs (and puts back after it).
`_dispatch` finds the innermost level among the arguments and runs that op's rule
(`_batching_rules.RULES`), which moves batch dims and calls the op once on the values; an op
with no rule runs once per batch entry and is counted in `_fallback_counts`. Reading `_data` of
a BatchedTensor (an op reached some other way) raises instead of computing on the wrong shape.
"""

import collections
import contextlib
import functools

from .._tensor import Size, Tensor

_STACK = []  # active vmap frames, innermost last: [level, batch_size, randomness]
PHYSICAL = [0]  # rules running: their unbatched draws are physical ones, drawn as they are
GUARDS = []  # randomness flags of the running jacfwd calls (no batch of their own)
_fallback_counts = collections.Counter()
_next_level = [0]
RULES = {}      # op name -> rule(call, level, batch_size, args, kwargs)
RANDOM = set()  # op names that draw random numbers (vmap's randomness flag applies)

_NO_DATA = ("vmap: an ember op read a BatchedTensor's storage directly, so it has no batching "
            "rule here; call it through ember.*, torch.nn.functional or a Tensor method")
_RANDOM_ERROR = ("vmap: called random operation while in randomness error mode. Please either "
                 "use the 'same' or 'different' randomness flags on vmap or perform the "
                 "randomness operation out of vmap")
_ITEM = ("vmap: It looks like you're calling .item() on a Tensor. We don't support vmap over "
         "calling .item() on a Tensor, please try to rewrite what you're doing with other "
         "operations. If error is occurring somewhere inside PyTorch internals, please file a "
         "bug report.")
_CONTROL = ("vmap: It looks like you're attempting to use a Tensor in some data-dependent "
            "control flow. We don't support that yet, please file an issue at "
            "https://github.com/pytorch/pytorch/issues .")


def _new_level(batch_size, randomness):
    _next_level[0] += 1
    return [_next_level[0], batch_size, randomness]


def _batch_size(level):
    for frame in _STACK:
        if frame[0] == level:
            return frame[1]
    raise RuntimeError("vmap: a BatchedTensor was used outside the vmap that made it")


class BatchedTensor(Tensor):
    """A tensor batched over one vmap level (torch's functorch BatchedTensor)."""

    __slots__ = ("_value", "_level")

    @property
    def _data(self):
        raise RuntimeError(_NO_DATA)

    @property
    def shape(self):
        return Size(self._value.shape[1:])

    def size(self, dim=None):
        shape = self._value.shape[1:]
        if dim is None:
            return Size(shape)
        return shape[_norm_dim(dim, len(shape))]

    def dim(self):
        return self._value.dim() - 1

    ndimension = dim

    @property
    def ndim(self):
        return self._value.dim() - 1

    def numel(self):
        n = 1
        for s in self._value.shape[1:]:
            n *= s
        return n

    nelement = numel

    def __len__(self):
        if self.dim() == 0:
            raise TypeError("len() of a 0-d tensor")
        return self._value.shape[1]

    def __iter__(self):
        return iter([self[i] for i in range(len(self))])

    @property
    def device(self):
        return self._value.device

    @property
    def requires_grad(self):
        return self._value.requires_grad

    @property
    def is_leaf(self):
        return True

    @property
    def T(self):
        n = self.dim()
        return self.permute(*range(n - 1, -1, -1))

    @property
    def mT(self):
        return self.transpose(-2, -1)

    @property
    def data(self):
        return self.detach()

    def __repr__(self, *, tensor_contents=None):
        body = repr(self._value).replace("\n", "\n    ")
        return f"BatchedTensor(lvl={self._level}, bdim=0, value=\n    {body}\n)"

    def item(self):
        raise RuntimeError(_ITEM)

    def tolist(self):
        raise RuntimeError(_ITEM)

    def __bool__(self):
        raise RuntimeError(_CONTROL)

    __float__ = __int__ = __index__ = __complex__ = __bool__

    def numpy(self, *, force=False):
        raise RuntimeError("vmap: cannot convert a BatchedTensor to NumPy inside vmap")

    def __array__(self, dtype=None, copy=None):
        return self.numpy()

    def backward(self, gradient=None, retain_graph=None, create_graph=False, inputs=None):
        raise RuntimeError("vmap: calling .backward() inside vmap is not supported; use "
                           "torch.func.grad or torch.func.vjp instead")

    def __hash__(self):
        return id(self)


def _norm_dim(dim, ndim):
    lo = -max(ndim, 1)
    hi = max(ndim, 1) - 1
    if not lo <= dim <= hi:
        raise IndexError(f"Dimension out of range (expected to be in range of [{lo}, {hi}], "
                         f"but got {dim})")
    return dim % max(ndim, 1)


def make(value, level):
    """A BatchedTensor at `level` whose batch is dim 0 of `value`."""
    t = object.__new__(BatchedTensor)
    t._value = value
    t._level = level
    t.dtype = value.dtype
    t._rg = False
    t._grad = None
    t.grad_fn = None
    t._vc = [0]
    t._output_nr = 0
    t._base = None
    return t


def level_of(x):
    return x._level if x.__class__ is BatchedTensor else None


def _max_level(args, kwargs):
    best = None
    for group in (args, kwargs.values()):
        for a in group:
            if a.__class__ is BatchedTensor:
                if best is None or a._level > best:
                    best = a._level
            elif a.__class__ in (list, tuple):
                for b in a:
                    if b.__class__ is BatchedTensor and (best is None or b._level > best):
                        best = b._level
    return best


def rewrap(out, level):
    """Wrap an op's output (a tensor or a tuple of them) at `level`."""
    if isinstance(out, Tensor):
        return make(out, level)
    if isinstance(out, tuple):
        items = [rewrap(o, level) for o in out]
        if type(out) is tuple:
            return tuple(items)
        try:
            return type(out)(*items)
        except TypeError:
            return type(out)(items)
    if isinstance(out, list):
        return [rewrap(o, level) for o in out]
    raise RuntimeError(f"vmap: an op returned {type(out).__name__}, which cannot be batched")


def _dispatch(name, fn, args, kwargs):
    level = _max_level(args, kwargs)
    if name in RANDOM:
        from ._randomness import random_op
        return random_op(name, fn, level, args, kwargs)
    if level is None:
        return fn(*args, **kwargs)
    return run_rule(name, fn, level, args, kwargs)


def run_rule(name, fn, level, args, kwargs):
    """Run `name` at `level`: its rule when it has one that applies, else the per-entry loop."""
    def call(*a, **k):
        if name in RANDOM and _max_level(a, k) is None:
            return fn(*a, **k)  # the rule's own call: the draw was checked at the outer one
        return _dispatch(name, fn, a, k)
    size = _batch_size(level)
    rule = RULES.get(name)
    PHYSICAL[0] += 1
    try:
        if rule is not None:
            out = rule(call, level, size, args, kwargs)
            if out is not NotImplemented:
                return out
        return fallback(name, call, level, size, args, kwargs)
    finally:
        PHYSICAL[0] -= 1


def _entry(a, level, b):
    if a.__class__ is BatchedTensor and a._level == level:
        return a._value[b]
    if a.__class__ in (list, tuple):
        return type(a)(_entry(x, level, b) for x in a)
    return a


def fallback(name, call, level, size, args, kwargs):
    """One call per batch entry, stacked: for ops without a batching rule (counted)."""
    _fallback_counts[name] += 1
    outs = [call(*[_entry(a, level, b) for a in args],
                 **{k: _entry(v, level, b) for k, v in kwargs.items()}) for b in range(size)]
    if name.endswith("_") and not name.endswith("__") and args and \
            args[0].__class__ is BatchedTensor:
        return args[0]  # in place: the slices were written through views
    return _stack_outputs(outs, level)


def _stack_outputs(outs, level):
    import ember
    first = outs[0]
    if isinstance(first, Tensor):
        return make(ember.stack(outs), level)
    if isinstance(first, tuple):
        parts = [_stack_outputs([o[i] for o in outs], level) for i in range(len(first))]
        if type(first) is tuple:
            return tuple(parts)
        try:
            return type(first)(*parts)
        except TypeError:
            return type(first)(parts)
    raise RuntimeError(f"vmap: an op returned {type(first).__name__} per batch entry, which "
                       "cannot be batched")


# ---- installing the dispatcher ----
_SWAPS = []  # (owner, attribute, original, wrapper), found once
_active = [0]  # vmap calls running: the wrappers are in place only while one runs
_WRAPPERS = {}  # id(function) -> its dispatching wrapper


def _wrapper(name, fn):
    cache = _WRAPPERS
    w = cache.get(id(fn))
    if w is not None:
        return w

    @functools.wraps(fn)
    def w(*args, **kwargs):
        if _STACK or GUARDS:
            return _dispatch(name, fn, args, kwargs)
        return fn(*args, **kwargs)

    cache[id(fn)] = w
    cache[id(w)] = w
    return w


def _method(name, fn):
    def m(self, *args, **kwargs):
        return _dispatch(name, fn, (self,) + args, kwargs)
    m.__name__ = name
    return m


_SKIP = frozenset(("is_tensor", "is_floating_point", "is_complex", "is_nonzero", "numel",
                   "is_storage", "is_grad_enabled", "set_grad_enabled", "result_type",
                   "can_cast", "promote_types", "get_default_dtype", "manual_seed", "seed",
                   "equal", "allclose", "is_same_size", "is_conj", "is_neg",
                   "is_inference", "broadcast_shapes"))
_PASS_METHODS = ("to", "float", "double", "half", "long", "int", "short", "char", "byte",
                 "bool", "cfloat", "cdouble", "cpu", "cuda", "type_as", "detach",
                 "requires_grad_")


def _find(mod, names):
    for n in dict.fromkeys(names):
        if n in _SKIP or n.startswith("__"):
            continue
        fn = mod.__dict__.get(n)
        if callable(fn) and not isinstance(fn, type) and \
                (getattr(fn, "__module__", "") or "").startswith("ember"):
            _SWAPS.append((mod, n, fn, _wrapper(n, fn)))


def _collect():
    import ember
    from ember import _tensor_methods
    from ember.nn import (
        _activation,
        _attention,
        _conv,
        _ctc,
        _functional_loss,
        _margin_loss,
        _norm,
        _pool,
        _resample,
    )
    from ember.nn import functional as F
    from ember.nn.modules import conv, pooling

    from . import _batching_rules, _randomness  # noqa: F401  (fill RULES and RANDOM)

    _find(ember, [n for n in ember.__all__ if n in ember.__dict__])
    for mod in (F, _conv, _pool, _functional_loss, _activation, _norm, _resample, _ctc):
        _find(mod, list(getattr(mod, "__all__", ())) + [
            n for n in vars(mod) if not n.startswith("_")])
    # composites of batched ops stay themselves; only their kernels dispatch
    _find(_attention, ["scaled_dot_product_attention"])
    _find(_margin_loss, [n for n in _margin_loss.__all__
                         if n != "triplet_margin_with_distance_loss"])
    for mod in (conv, pooling):
        for cls in vars(mod).values():
            if isinstance(cls, type) and isinstance(cls.__dict__.get("_fn"), staticmethod):
                fn = cls.__dict__["_fn"]
                _SWAPS.append((cls, "_fn", fn, staticmethod(_wrapper(fn.__func__.__name__,
                                                                     fn.__func__))))
    for name, fn in _tensor_methods.METHODS.items():
        if callable(fn):
            setattr(BatchedTensor, name, _method(name, fn))
    for name, fn in list(Tensor.__dict__.items()):
        if _inplace_name(name) and callable(fn) and not isinstance(fn, type):
            # an unbatched tensor written in place with a batched argument: torch's error
            _SWAPS.append((Tensor, name, fn, _wrapper(name, fn)))
    _recurrent()
    for name in ("__getitem__", "__setitem__"):  # a plain tensor indexed by a batched one
        fn = Tensor.__dict__[name]
        _SWAPS.append((Tensor, name, fn, _wrapper(name, fn)))
    for name in _PASS_METHODS:
        setattr(BatchedTensor, name, _method(name, getattr(Tensor, name)))


def _recurrent():
    """nn.RNN/LSTM/GRU's forward and the fused layer kernels' `apply` (the cells run these)."""
    from ember.nn import _rnn
    from ember.nn.modules import rnn

    for cls in (rnn.RNN, rnn.LSTM, rnn.GRU):
        fn = cls.__dict__["forward"]
        _SWAPS.append((cls, "forward", fn, _wrapper("rnn_module_forward", fn)))
    for cls, name in ((_rnn.RNNLayer, "rnn_layer"), (_rnn.GRULayer, "gru_layer"),
                      (_rnn.LSTMLayer, "lstm_layer_op"), (_rnn.LSTMCellOp, "lstm_cell_op")):
        orig = next(c.__dict__["apply"] for c in cls.__mro__ if "apply" in c.__dict__)
        _SWAPS.append((cls, "apply", orig, staticmethod(_wrapper(name, cls.apply))))


def _inplace_name(name):
    return (name.endswith("_") and not name.endswith("__")) or (
        name.startswith("__i") and name.endswith("__") and name not in ("__init__", "__iter__",
                                                                        "__index__", "__int__"))


def dispatching(func):
    """The dispatching form of `func` when it is one of the swapped op functions (vmap(ember.mul)
    names the original, which never sees the dispatcher otherwise)."""
    if not _SWAPS:
        _collect()
    return _WRAPPERS.get(id(func), func)


def activate():
    """Route ember's public op functions and the nn layers through the dispatcher while a vmap
    runs; `deactivate` puts the originals back when the outermost one ends, so outside vmap
    every function is itself again and costs nothing extra."""
    if not _SWAPS:
        _collect()
    if _active[0] == 0:
        for owner, name, _, w in _SWAPS:
            setattr(owner, name, w)
    _active[0] += 1


@contextlib.contextmanager
def random_guard(randomness):
    """Check random ops against `randomness` while a transform without a batch of its own runs
    (jacfwd): 'error' refuses them as vmap does."""
    GUARDS.append(randomness)
    activate()
    try:
        yield
    finally:
        GUARDS.pop()
        deactivate()


def deactivate():
    _active[0] -= 1
    if _active[0] == 0:
        for owner, name, fn, _ in _SWAPS:
            setattr(owner, name, fn)
