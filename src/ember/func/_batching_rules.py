"""Batching rules: each moves the batch dim of its arguments and calls the op once.

A rule is `rule(call, level, size, args, kwargs)`: `call` re-enters the dispatcher for the same
op (so values batched at an outer level are handled by that level's rule), `level` is the vmap
level being removed and `size` its batch size. The batch of a BatchedTensor is always dim 0 of
its value. A rule returns NotImplemented for a case it does not cover; the dispatcher then runs
the op once per batch entry (counted in `_fallback_counts`).
"""

from .._tensor import Tensor
from ..ops import binary, compare, pointwise, ternary, unary
from ._batched import RULES, BatchedTensor, _norm_dim, make, rewrap


def _batched(x, level):
    return x.__class__ is BatchedTensor and x._level == level


def _expand(x, level, size):
    """x's value with the batch at dim 0, broadcasting x over the batch when it has none."""
    if _batched(x, level):
        return x._value
    return x.unsqueeze(0).expand((size,) + tuple(x.shape))


def _pad(v, k):
    """Insert k size-1 dims after the batch dim of a value."""
    return v[(slice(None),) + (None,) * k] if k else v


def _shift(dim, ndim):
    if isinstance(dim, (tuple, list)):
        return tuple(_norm_dim(d, ndim) + 1 for d in dim)
    return _norm_dim(dim, ndim) + 1


def _register(names, rule):
    for n in names:
        RULES[n] = rule


# ---- elementwise ----
_NOT_ELEMENTWISE = {"allclose", "kron", "dist", "equal", "polygamma"}
_ACTIVATIONS = ("relu", "relu6", "gelu", "silu", "mish", "elu", "celu", "selu", "leaky_relu",
                "softplus", "hardtanh", "hardsigmoid", "hardswish", "logsigmoid", "softsign",
                "tanhshrink", "threshold", "hardshrink", "softshrink", "sigmoid", "tanh",
                "relu_", "elu_", "leaky_relu_", "hardtanh_", "threshold_", "celu_", "selu_",
                "rrelu_")
_DUNDER = ("add", "sub", "mul", "truediv", "floordiv", "pow", "mod", "and", "or", "xor",
           "lshift", "rshift")
ELEMENTWISE = set()
for _m in (unary, pointwise, binary, compare, ternary):
    ELEMENTWISE.update(n for n in _m.__all__ if n not in _NOT_ELEMENTWISE)
ELEMENTWISE.update(_ACTIVATIONS)
ELEMENTWISE.update(n + "_" for n in list(ELEMENTWISE) if not n.endswith("_"))
for _d in _DUNDER:
    ELEMENTWISE.update((f"__{_d}__", f"__r{_d}__", f"__i{_d}__"))
ELEMENTWISE.update(("__neg__", "__pos__", "__abs__", "__invert__", "__eq__", "__ne__", "__lt__",
                    "__le__", "__gt__", "__ge__", "__rsub__", "__rtruediv__", "_rsub",
                    "bernoulli", "bernoulli_", "uniform_", "normal_", "random_",
                    "exponential_", "geometric_", "log_normal_", "cauchy_", "zero_", "fill_",
                    "copy_", "masked_fill", "masked_fill_", "type_as", "float", "double",
                    "half", "long", "int", "short", "char", "byte", "bool", "cfloat", "cdouble",
                    "to", "cpu", "cuda", "detach", "requires_grad_", "clone", "contiguous",
                    "zeros_like", "ones_like", "empty_like", "full_like", "rand_like",
                    "randn_like", "randint_like", "dropout", "dropout_", "alpha_dropout",
                    "feature_alpha_dropout", "square_", "poisson"))


def _is_inplace(name):
    return (name.endswith("_") and not name.endswith("__")) or (
        name.startswith("__i") and name[3:-2] in _DUNDER)


_INPLACE_ERROR = (
    "vmap: inplace arithmetic(self, *extra_args) is not possible because there exists a Tensor "
    "`other` in extra_args that has more elements than `self`. This happened due to `other` "
    "being vmapped over but `self` not being vmapped over in a vmap. Please try to use "
    "out-of-place operators instead of inplace arithmetic. If said operator is being called "
    "inside the PyTorch framework, please file a bug report instead.")


_ARITHMETIC = ("mul_", "sub_", "div_", "copy_", "masked_fill_", "true_divide_", "multiply_",
               "subtract_", "divide_", "__imul__", "__isub__", "__itruediv__")


def inplace_error(name, self, tensors, size, level):
    """torch's error for an unbatched tensor written in place with a batched argument."""
    if name in ("add_", "__iadd__"):
        import ember
        shape = ember.broadcast_shapes(*(tuple(t.shape) for t in tensors))
        return RuntimeError(f"output with shape {list(self.shape)} doesn't match the broadcast "
                            f"shape {[size] + list(shape)}")
    if name in _ARITHMETIC:
        return RuntimeError(_INPLACE_ERROR)
    if name == "fill_":
        return RuntimeError(_INPLACE_ERROR.replace("inplace arithmetic", "fill_"))
    from ._batched import _STACK
    depth = next(i for i, f in enumerate(_STACK) if f[0] == level) + 1  # torch's level number
    op = f"aten::{name}"
    return RuntimeError(_INPLACE_ERROR.replace("inplace arithmetic", op).replace(
        "in a vmap", f"at level {depth}"))


def _elementwise_for(name):
    inplace = _is_inplace(name)

    def rule(call, level, size, args, kwargs):
        tensors = [a for a in (*args, *kwargs.values()) if isinstance(a, Tensor)]
        if name == "where" and len(args) == 1:
            return NotImplemented
        rank = max(t.dim() for t in tensors)
        if inplace:
            if not _batched(args[0], level):
                raise inplace_error(name, args[0], tensors, size, level)
            rank = args[0].dim()

        def align(a):
            if _batched(a, level):
                return _pad(a._value, rank - a.dim())
            return a
        out = call(*[align(a) for a in args], **{k: align(v) for k, v in kwargs.items()})
        return args[0] if inplace else rewrap(out, level)
    return rule


for _n in ELEMENTWISE:
    RULES[_n] = _elementwise_for(_n)


# ---- reductions and other ops with one `dim` argument at position 1 ----
_FLATTENABLE = {"sum", "mean", "prod", "nansum", "nanmean", "amax", "amin", "argmax", "argmin",
                "all", "any", "std", "var", "count_nonzero", "max", "min", "median",
                "nanmedian", "logsumexp"}


def _dim_rule(name):
    def rule(call, level, size, args, kwargs):
        x = args[0]
        if len(args) > 1 and isinstance(args[1], Tensor):
            if name in ("max", "min"):  # max(x, other) is elementwise
                return _elementwise_for(name)(call, level, size, args, kwargs)
            return NotImplemented
        if not _batched(x, level) or any(_batched(a, level) for a in args[1:]):
            return NotImplemented
        key = "dim" if "dim" in kwargs else "axis" if "axis" in kwargs else None
        dim = kwargs[key] if key else (args[1] if len(args) > 1 else None)
        if isinstance(dim, bool):  # std(x, unbiased)
            dim = None
        r = x.dim()
        v = x._value
        if r == 0 and dim is not None:
            return NotImplemented
        kw = dict(kwargs)
        if dim is None:
            if name not in _FLATTENABLE or kw.get("keepdim") or (len(args) > 2 and args[2]):
                return NotImplemented
            v = v.reshape(size, -1)
            if name in ("max", "min", "median", "nanmedian") and len(args) == 1 and not kw:
                return make(call(v, 1)[0], level)
            new = 1
        else:
            new = _shift(dim, r)
        if key:
            kw[key] = new
            rest = args[1:]
        else:
            rest = (new,) + tuple(args[2:])
        return rewrap(call(v, *rest, **kw), level)
    return rule


for _n in ("sum", "mean", "prod", "nansum", "nanmean", "amax", "amin", "argmax", "argmin", "max",
           "min", "all", "any", "std", "var", "std_mean", "var_mean", "median", "nanmedian",
           "mode", "count_nonzero", "logsumexp", "cumsum", "cumprod", "cummax", "cummin",
           "logcumsumexp", "softmax", "log_softmax", "softmin", "sort", "argsort", "unbind",
           "select", "narrow", "index_select", "squeeze"):
    RULES[_n] = _dim_rule(_n)


def _squeeze(call, level, size, args, kwargs):
    x = args[0]
    dim = kwargs.get("dim", args[1] if len(args) > 1 else None)
    if dim is not None:
        return RULES["_squeeze_dim"](call, level, size, args, kwargs)
    dims = tuple(i + 1 for i, s in enumerate(x.shape) if s == 1)
    return make(x._value.squeeze(dims) if dims else x._value, level)


RULES["_squeeze_dim"] = RULES["squeeze"]
RULES["squeeze"] = _squeeze
def _flip(call, level, size, args, kwargs):
    dims = kwargs["dims"] if "dims" in kwargs else args[1] if len(args) == 2 else args[1:]
    dims = (dims,) if isinstance(dims, int) else tuple(dims)
    return make(args[0]._value.flip(_shift(dims, args[0].dim())), level)


RULES["flip"] = _flip


def _split_rule(call, level, size, args, kwargs):  # split/chunk: (x, n, dim=0)
    x = args[0]
    dim = kwargs.pop("dim", args[2] if len(args) > 2 else 0)
    return rewrap(call(x._value, args[1], _shift(dim, x.dim()), **kwargs), level)


_register(("split", "chunk", "tensor_split"), _split_rule)


def _new_factory(call, level, size, args, kwargs):
    """x.new_zeros(shape) and friends: a tensor of the given shape, not batched."""
    if any(_batched(a, level) for a in (*args[1:], *kwargs.values())):
        return NotImplemented
    return call(args[0]._value, *args[1:], **kwargs)


_register(("new_zeros", "new_ones", "new_empty", "new_full", "new_tensor"), _new_factory)


# ---- views and shape ops ----
def _sizes(args):
    if len(args) == 1 and isinstance(args[0], (tuple, list)):
        return tuple(args[0])
    return tuple(args)


def _view(call, level, size, args, kwargs):
    x = args[0]
    shape = _sizes(args[1:]) if len(args) > 1 else tuple(
        kwargs.get("shape", kwargs.get("size", ())))
    if not all(isinstance(s, int) for s in shape):
        return rewrap(call(x._value, *args[1:], **kwargs), level)  # view(dtype)
    try:
        return make(call(x._value, (size,) + shape), level)
    except RuntimeError:
        return make(x._value.reshape((size,) + shape), level)  # a broadcast value


_register(("view", "reshape"), _view)
RULES["view_as"] = RULES["reshape_as"] = lambda call, level, size, args, kwargs: make(
    args[0]._value.reshape((size,) + tuple(args[1].shape)), level)


def _flatten(call, level, size, args, kwargs):
    x = args[0]
    r = x.dim()
    if r == 0:
        return make(x._value.reshape(size, 1), level)
    start = kwargs.get("start_dim", args[1] if len(args) > 1 else 0)
    end = kwargs.get("end_dim", args[2] if len(args) > 2 else -1)
    return make(x._value.flatten(_shift(start, r), _shift(end, r)), level)


RULES["flatten"] = _flatten
RULES["unflatten"] = lambda call, level, size, args, kwargs: make(
    args[0]._value.unflatten(_shift(args[1], args[0].dim()), args[2]), level)
RULES["permute"] = lambda call, level, size, args, kwargs: make(args[0]._value.permute(
    (0,) + _shift(_sizes(args[1:]) or tuple(kwargs["dims"]), args[0].dim())), level)


def _transpose(call, level, size, args, kwargs):
    x = args[0]
    if x.dim() == 0:
        return NotImplemented
    d0 = kwargs.get("dim0", args[1] if len(args) > 1 else None)
    d1 = kwargs.get("dim1", args[2] if len(args) > 2 else None)
    return make(x._value.transpose(_shift(d0, x.dim()), _shift(d1, x.dim())), level)


_register(("transpose", "swapaxes", "swapdims"), _transpose)
RULES["t"] = lambda call, level, size, args, kwargs: make(
    args[0]._value.transpose(1, 2) if args[0].dim() == 2 else args[0]._value, level)
RULES["movedim"] = RULES["moveaxis"] = lambda call, level, size, args, kwargs: make(
    args[0]._value.movedim(_shift(args[1], args[0].dim()), _shift(args[2], args[0].dim())),
    level)


def _unsqueeze(call, level, size, args, kwargs):
    x = args[0]
    dim = kwargs.get("dim", args[1] if len(args) > 1 else None)
    return make(x._value.unsqueeze(_norm_dim(dim, x.dim() + 1) + 1), level)


RULES["unsqueeze"] = _unsqueeze


def _expand_rule(call, level, size, args, kwargs):
    x = args[0]
    sizes = _sizes(args[1:]) if len(args) > 1 else tuple(kwargs["size"])
    v = _pad(x._value, len(sizes) - x.dim())
    return make(v.expand((size,) + sizes), level)


RULES["expand"] = _expand_rule
RULES["expand_as"] = lambda call, level, size, args, kwargs: _expand_rule(
    call, level, size, (args[0], tuple(args[1].shape)), {})


def _cat_rule(stack):
    def rule(call, level, size, args, kwargs):
        tensors = args[0]
        dim = kwargs.pop("dim", args[1] if len(args) > 1 else 0)
        r = tensors[0].dim() + (1 if stack else 0)
        vals = [_expand(t, level, size) for t in tensors]
        return make(call(vals, _shift(dim, r), **kwargs), level)
    return rule


_register(("cat", "concat", "concatenate"), _cat_rule(False))
RULES["stack"] = _cat_rule(True)


def _has_adv(i):
    return isinstance(i, (Tensor, list)) or hasattr(i, "__array__")


def _index_tuple(idx):
    idx = idx if isinstance(idx, tuple) else (idx,)
    if any(i.__class__ is BatchedTensor for i in idx):
        return None
    adv = [k for k, i in enumerate(idx) if _has_adv(i) or (isinstance(i, int) and any(
        _has_adv(j) for j in idx))]
    if adv and adv[-1] - adv[0] != len(adv) - 1:
        return None  # separated advanced indices move to the front: loop instead
    return (slice(None),) + idx


def _getitem(call, level, size, args, kwargs):
    x, idx = args
    idx = _index_tuple(idx) if _batched(x, level) else None
    if idx is None:
        return NotImplemented
    return make(x._value[idx], level)


def _setitem(call, level, size, args, kwargs):
    x, idx, value = args
    pidx = _index_tuple(idx) if _batched(x, level) else None
    if pidx is None:
        if not _batched(x, level):
            raise RuntimeError(_INPLACE_ERROR)
        return NotImplemented
    if _batched(value, level):
        value = _pad(value._value, x[idx].dim() - value.dim())
    x._value[pidx] = value


RULES["__getitem__"] = _getitem
RULES["__setitem__"] = _setitem


# ---- matmul family ----
def _matmul(call, level, size, args, kwargs):
    import ember
    a, b = args[0], args[1]
    ra, rb = a.dim(), b.dim()
    if ra == 0 or rb == 0 or kwargs:
        return NotImplemented
    if not _batched(b, level) and rb <= 2:
        return make(ember.matmul(a._value, b), level)
    A, B = _expand(a, level, size), _expand(b, level, size)
    if ra == 1:
        A = A.unsqueeze(1)
    if rb == 1:
        B = B.unsqueeze(-1)
    na, nb = A.dim(), B.dim()
    A, B = _pad(A, nb - na), _pad(B, na - nb)
    out = ember.matmul(A, B)
    if ra == 1:
        out = out.squeeze(-2)
    if rb == 1:
        out = out.squeeze(-1)
    return make(out, level)


_register(("matmul", "__matmul__", "mm", "bmm", "mv", "dot", "inner", "vdot"), _matmul)
RULES["__rmatmul__"] = lambda call, level, size, args, kwargs: _matmul(
    call, level, size, (args[1], args[0]), kwargs)


def _linear(call, level, size, args, kwargs):
    import ember
    x, w = args[0], args[1] if len(args) > 1 else kwargs["weight"]
    b = args[2] if len(args) > 2 else kwargs.get("bias")
    if not _batched(w, level) and not (b is not None and _batched(b, level)):
        return make(call(x._value, w, b), level)
    lead = tuple(x.shape[:-1])
    X = _expand(x, level, size).reshape(size, -1, x.shape[-1])
    y = ember.matmul(X, _expand(w, level, size).transpose(1, 2))
    if b is not None:
        y = y + _expand(b, level, size).unsqueeze(1)
    return make(y.reshape((size,) + lead + (w.shape[0],)), level)


RULES["linear"] = _linear

from . import (  # noqa: E402,F401
    _index_rules,
    _layer_rules,
    _loss_rules,
    _nn_rules,
    _rnn_rules,
)
