"""gather/scatter (and scatter_add, scatter_reduce), index_select/index_add/index_fill/
index_copy/index_reduce, take, take_along_dim and put (the masked ops are in `masked.py`).

Each is a primitive whose backward reuses `index.IndexGrad` (write a gradient into zeros at a
key) or another op of this family, so double backward works. The `*_` forms go through
`inplace._inplace`. Every index is checked against its dimension before NumPy sees it (one
min and one max pass): NumPy would wrap a negative index where torch raises, and word its own
errors. Which ops accept negative indices, and the exception each raises, follow torch's CPU
kernels: gather/scatter/index_add/index_copy/index_reduce/index_select refuse them, index_fill,
take, put and take_along_dim (modulo the size) resolve them from the end.
"""

__all__ = ["gather", "scatter", "scatter_add", "scatter_reduce", "index_select", "index_add",
           "index_fill", "index_copy", "take", "take_along_dim", "put", "index_reduce"]

import warnings

import numpy as np

from .. import _dtype as D
from .._args import refuse_if
from .._device import scatter_add as _scatter_add
from .._device import ufunc_at
from .._meta import MetaArray
from .._tensor import Tensor, _check_inplace, _dim, _expanded, _wrap
from ..amp import _hook as _amp
from ..autograd import forward_ad as _fwd
from ..autograd import grad_mode as _gm
from ..autograd.function import Op
from ._util import broadcast_error, checked, user_stacklevel
from .index import IndexGrad, IndexPut, Select, _along, _fmt, _xp
from .inplace import _check_alias, _out

_ndarray = np.ndarray
_INT_INDEX = (D.int64, D.int32)
_enabled = _gm._enabled


def _st(dtype):
    """torch's scalar type name (Float, Long, ComplexFloat) for error messages."""
    return dtype._legacy[:-6]


def _shape_error(a, b):
    """torch's broadcast error for shapes a and b."""
    return broadcast_error(np.broadcast_to(0, a), np.broadcast_to(0, b))


def _same_dtype_out(input, out, msg):
    if out is not None and isinstance(out, Tensor) and out.dtype is not input.dtype:
        raise RuntimeError(msg)


def _first_bad(a, lo, hi):
    """The first value of int array `a` (C order) outside [lo, hi), or None (meta: no values to
    check, as torch's meta kernels)."""
    if type(a) is MetaArray or not a.size or (a.min() >= lo and a.max() < hi):
        return None
    flat = a.reshape(-1)
    return int(flat[int(((flat < lo) | (flat >= hi)).argmax())])


def _size(shape, i):
    """torch's ensure_nonempty_size: a 0-d tensor counts as one element along dim 0."""
    return shape[i] if shape else 1


def _scalar_to(value, dtype, name):
    """A Python scalar as `dtype`'s NumPy scalar, refusing complex into a real dtype as torch."""
    if isinstance(value, Tensor):
        value = value.item()
    if isinstance(value, complex) and not dtype.is_complex:
        if name:
            raise RuntimeError(f"{name}(): Converting complex Scalar to non-complex type is not "
                               "supported")
        from .linalg import _C_NAMES
        raise RuntimeError(f"value cannot be converted to type {_C_NAMES.get(dtype.name)} "
                           "without overflow")
    return dtype.np.type(checked(value, dtype))


# ---------------------------------------------------------------- gather
class Gather(Op):
    _name = "GatherBackward0"
    _packed_arrays = ("idx",)  # torch saves the indices as a tensor: saved-tensor hooks see it
    jvp = _fwd.linear
    save_inputs = (0,)  # torch's node saves the input (`_saved_self`, saved-tensor hooks)

    def forward(ctx, x, d, idx):
        ctx.shape, ctx.d, ctx.idx = x.shape, d, idx
        if x.ndim and idx.ndim:
            return x[_along(idx, d)]
        if not idx.size:  # torch checks nothing about an empty index
            return _xp(x).zeros(idx.shape, x.dtype)
        i1 = idx.reshape(-1)  # torch treats a 0-d input or index as one element along dim 0
        ctx.idx = i1
        return x.reshape(-1)[_along(i1, d)].reshape(idx.shape)

    def backward(ctx, grad):
        idx = ctx.idx
        if not idx.size:
            return _wrap(_xp(grad._data).zeros(ctx.shape, grad.dtype.np)), None, None
        if grad.shape != idx.shape:
            grad = grad.reshape(idx.shape)
        shape = ctx.shape or (1,)  # torch's scatter_add_ into zeros (float32 for float16)
        return IndexGrad.apply(grad, shape, _along(idx, ctx.d), "opmath"), None, None


def _gather_checks(input, d, index, name="gather"):
    ia = index._data
    if not ia.size:
        return
    if index.dtype not in _INT_INDEX:
        raise RuntimeError(f"{name}(): Expected dtype int32/int64 for index")
    shape, ishape = input._data.shape, ia.shape
    nd = max(len(shape), 1)
    if nd != max(len(ishape), 1):
        raise RuntimeError("Index tensor must have the same number of dimensions as input tensor")
    for i in range(nd):
        if i != d and _size(ishape, i) > _size(shape, i):
            raise RuntimeError(f"Size does not match at dimension {i} expected index "
                               f"{_fmt(ishape)} to be no larger than self {_fmt(shape)} apart "
                               f"from dimension {d}")
    n = _size(shape, d)
    bad = _first_bad(ia, 0, n)
    if bad is not None:
        raise RuntimeError(f"index {bad} is out of bounds for dimension {d} with size {n}")


def gather(input, dim, index, *, sparse_grad=False, out=None):
    refuse_if("torch.gather", "sparse_grad", sparse_grad, False)
    d = _dim(dim, input._data.ndim)
    _gather_checks(input, d, index)
    r = Gather.apply(input, d, index._data.astype(np.int64, copy=False))
    if r.grad_fn is not None:
        r.grad_fn._given = dim  # torch saves the dims as given
    return _out(r, out, exact=True)


# ---------------------------------------------------------------- scatter family
_REDUCE_INIT = {"sum": 0, "mean": 0, "prod": 1, "amax": "low", "amin": "high"}


def _init_value(reduce, dtype):
    """What torch writes over self's scattered positions when include_self=False."""
    v = _REDUCE_INIT[reduce]
    if not isinstance(v, str):
        return v
    if dtype.kind == "f" or dtype.kind == "c" or dtype.name == "bfloat16":
        return -np.inf if v == "low" else np.inf
    if dtype.kind == "b":
        return v != "low"
    info = np.iinfo(dtype)
    return info.min if v == "low" else info.max


class Scatter(Op):
    """scatter / scatter_add / scatter_reduce; `reduce` None overwrites.

    `src` is an array at least as large as `idx` in every dim, or a scalar; x and idx are at
    least 1-d (a 0-d self is scattered as one element and reshaped back)."""

    _name = "ScatterBackward0"
    jvp = _fwd.transposed
    _opmath = True  # float16 accumulates in float32 (torch's scatter kernels buffer it)
    in_dtype = True  # bfloat16 too, rounded to bfloat16 where torch's kernel stores (the sum,
    # mean's counts and quotient): not one float32 computation rounded at the end

    @staticmethod
    def _counts_wide(x):  # mean's counts: in float32 too (float16 counts past 2048 exactly)
        return True

    def forward(ctx, x, src, d, idx, reduce, include_self=True):
        ctx.d, ctx.idx, ctx.reduce, ctx.incl = d, idx, reduce, include_self
        xp = _xp(x)
        out = x.reshape(-1).copy() if not x.ndim else x.copy()
        key = _along(idx, d)
        s = src
        if isinstance(src, _ndarray) or xp is not np and not np.isscalar(src):
            s = src.reshape(-1) if not src.ndim else src
            if s.shape != idx.shape:
                s = s[tuple(slice(0, n) for n in idx.shape)]
        if reduce is None:
            out[key] = s
            return out if x.ndim else out.reshape(())
        if not include_self:
            out[key] = _init_value(reduce, out.dtype)
        if reduce in ("sum", "mean"):  # (float16 accumulates in float32, as torch's buffer)
            _scatter_add(out, key, s, ctx._opmath)
        elif reduce == "prod":
            ufunc_at("multiply", out, key, s, ctx._opmath)
        elif reduce == "amax":
            ufunc_at("maximum", out, key, s)
        elif reduce == "amin":
            ufunc_at("minimum", out, key, s)
        if reduce == "mean":
            count = xp.full(out.shape, 1 if include_self else 0, out.dtype)
            ufunc_at("add", count, key, 1, ctx._opmath or ctx._counts_wide(x))
            ctx.count = xp.maximum(count, 1)
            out = out / ctx.count if out.dtype.kind in "fc" or out.dtype.name == "bfloat16" \
                else out // ctx.count
        out = out.astype(x.dtype, copy=False)
        return out if x.ndim else out.reshape(())

    def backward(ctx, grad):
        if not grad.shape:
            grad = grad.reshape(1)
        key = _along(ctx.idx, ctx.d)
        if ctx.reduce is None:
            gx, gsrc = grad, grad.gather(ctx.d, _wrap(ctx.idx))
        else:
            gx, gsrc = _reduce_grads(ctx, grad)
        if ctx.reduce is None or not ctx.incl:  # self's values there were overwritten
            gx = IndexPut.apply(gx, _wrap(_xp(grad._data).zeros((), grad.dtype.np)), key, False)
        return gx, (gsrc if ctx.needs_input_grad[1] else None), None, None, None, None


def _reduce_grads(ctx, grad):
    """Gradients of scatter_reduce for self and src, as torch defines them (the src gradient
    has the index's shape; the engine refuses it for a larger src, as torch's does)."""
    d, idx = ctx.d, _wrap(ctx.idx)
    r = ctx.reduce
    if r == "sum":
        return grad, grad.gather(d, idx)
    if r == "mean":
        g = grad / _wrap(ctx.count.astype(grad.dtype.np))
        return g, g.gather(d, idx)
    x, src = ctx.saved_tensors
    x, out = x.reshape(grad.shape), ctx.output.reshape(grad.shape)
    try:  # torch's formula compares src with out.gather(idx) first
        np.broadcast_shapes(src.shape, ctx.idx.shape)
    except ValueError:
        raise _shape_error(src.shape, ctx.idx.shape) from None
    if r == "prod":
        return _prod_grads(ctx, grad, x, src, out)
    hit_x = (x == out).to(grad.dtype)
    hit_s = src == out.gather(d, idx)
    n = hit_x.scatter_add(d, idx, hit_s.to(grad.dtype))  # self counts in a tie even if excluded
    g = grad / n  # ties share the gradient equally
    return g * hit_x, g.gather(d, idx) * hit_s


def _prod_grads(ctx, grad, x, src, out):
    """d prod / d v is the product of the other values: prod / v, recomputed with v set to 1
    where v is 0 (a single zero in a group keeps a gradient, as torch's formula does)."""
    d, idx, incl = ctx.d, _wrap(ctx.idx), ctx.incl
    mx = x.masked_fill(x == 0, 1)
    gx = grad * mx.scatter_reduce(d, idx, src, "prod", include_self=incl) / mx
    src_zero = src == 0
    zeros = _wrap(_xp(grad._data).zeros(grad.shape, grad.dtype.np))
    n_zero = zeros.scatter_add(d, idx, src_zero.to(grad.dtype)).gather(d, idx)
    single = src_zero & (n_zero == 1)
    others = x.scatter_reduce(d, idx, src.masked_fill(single, 1), "prod", include_self=incl)
    gsrc = (grad * others).gather(d, idx).where(
        single, (grad * out).gather(d, idx) / src.masked_fill(src_zero, 1))
    return gx, gsrc


class ScatterReduce(Scatter):
    _name = "ScatterReduceBackward0"
    save_inputs = (0, 1)
    save_output = True

    def jvp(ctx, *tangents):  # torch gives reduce="prod" no tangent
        return None if ctx.reduce == "prod" else _fwd.transposed(ctx, *tangents)


class ScatterAdd(Scatter):
    _name = "ScatterAddBackward0"


class IndexReduce(ScatterReduce):
    _name = "IndexReduceBackward0"
    _opmath = False  # torch's index_reduce_ rounds each step to self's dtype (bfloat16's too)

    @staticmethod
    def _counts_wide(x):  # torch counts a 2-d+ self's hits with index_add_ (its scatter path)
        return x.ndim > 1

class _NoGrad(Scatter):
    jvp = _fwd.missing
    def backward(ctx, grad):  # torch has no derivative for scatter's reduce= form
        raise RuntimeError("derivative for aten::scatter is not implemented")


def _scatter_checks(input, d, index, src):
    """torch's scatter meta checks, in its order; False when the index is empty (a no-op)."""
    ia = index._data
    if ia.size and index.dtype not in _INT_INDEX:
        raise RuntimeError("scatter(): Expected dtype int32/int64 for index")
    if isinstance(src, Tensor) and src.dtype is not input.dtype:
        raise RuntimeError("scatter(): Expected self.dtype to be equal to src.dtype")
    if not ia.size:
        return False
    shape, ishape = input._data.shape, ia.shape
    nd = max(len(shape), 1)
    if nd != max(len(ishape), 1):
        raise RuntimeError("Index tensor must have the same number of dimensions as self tensor")
    if ishape != shape:  # the common case, an index shaped like self, passes at once
        wrong = any(i != d and _size(ishape, i) > _size(shape, i) for i in range(nd))
    else:
        wrong = False
    tensor_src = isinstance(src, Tensor)
    if tensor_src:
        sshape = src._data.shape
        if sshape != ishape:
            for i in range(nd):  # torch reads src.size(i) first: a src of fewer dims fails here
                if wrong or _size(ishape, i) > _size(sshape, _dim(i, len(sshape)) if sshape
                                                      else 0):
                    wrong = True
                    break
            if max(len(sshape), 1) != max(len(ishape), 1):
                raise RuntimeError("Index tensor must have the same number of dimensions as src "
                                   "tensor")
    if wrong:
        raise RuntimeError(f"Expected index {_fmt(ishape)} to be no larger than self "
                           f"{_fmt(shape)} apart from dimension {d}" +
                           (f" and to be no larger size than src {_fmt(sshape)}" if tensor_src
                            else ""))
    n = _size(shape, d)
    bad = _first_bad(ia, 0, n)
    if bad is not None:
        raise RuntimeError(f"index {bad} is out of bounds for dimension {d} with size {n}")
    return True


def _scatter(cls, input, dim, index, src, reduce, include_self=True, name=None):
    d = _dim(dim, input._data.ndim)
    tensor_src = isinstance(src, Tensor)
    if not tensor_src:
        name = name or "ScatterBackward1"
    if not _scatter_checks(input, d, index, src):
        return _named(input.clone(), name or cls._name)  # an empty index writes nothing
    idx = index._data.astype(np.int64, copy=False)
    if idx.ndim == 0:
        idx = idx.reshape(1)
    if tensor_src:
        r = cls.apply(input, src, d, idx, reduce, include_self)
    else:
        r = cls.run((input, None), (input._data, _scalar_to(src, input.dtype, None), d, idx,
                                    reduce, include_self), {})
    if r.grad_fn is not None:
        r.grad_fn._given = dim  # torch saves the dims as given
    return _named(r, name) if name else r


_SCATTER_SIGS = (("int dim", "Tensor index", "Tensor src"),
                 ("int dim", "Tensor index", "Tensor src", "*", "str reduce"),
                 ("int dim", "Tensor index", "Number value"),
                 ("int dim", "Tensor index", "Number value", "*", "str reduce"))


def _type_name(v):
    return "Tensor" if isinstance(v, Tensor) else type(v).__name__


def _bad_scatter_args(fn, args, kwargs):
    """torch's TypeError for scatter called with neither or both of src and value."""
    got = [_type_name(a) for a in args] + [f"{k}={_type_name(v)}" for k, v in kwargs.items()
                                           if k != "src"]
    if "src" in kwargs:  # shown where it is usually passed: third, positionally
        got.insert(len(args), _type_name(kwargs["src"]))
    sigs = [s if fn != "torch" else ("Tensor input",) + s for s in _SCATTER_SIGS]
    lines = []
    for s in sigs:
        s = list(s)
        if fn == "torch":
            s = s + (["Tensor out = None"] if "*" in s else ["*", "Tensor out = None"])
        lines.append(" * (" + ", ".join(s) + ")\n")
    name = "scatter_" if fn == "inplace" else "scatter"
    return TypeError(f"{name}() received an invalid combination of arguments - got "
                     f"({', '.join(got)}), but expected one of:\n" + "".join(lines))


_warned = [False, False]  # torch warns once per process


def _scatter_impl(input, dim, index, src, value, reduce, fn):
    if (src is None) == (value is None):
        args = (input, dim, index) if fn == "torch" else (dim, index)
        kw = {k: v for k, v in (("src", src), ("value", value), ("reduce", reduce))
              if v is not None}
        raise _bad_scatter_args(fn, args, kw)
    if value is not None:  # value= takes a number; a one-element tensor converts
        src = value.item() if isinstance(value, Tensor) else value
    if reduce is None:
        return _scatter(Scatter, input, dim, index, src, None)
    _check_index(index, "scatter")
    if reduce not in ("add", "multiply"):
        raise RuntimeError("reduce argument must be either add or multiply.")
    if isinstance(src, Tensor) and not _warned[0]:
        _warned[0] = True
        warnings.warn("The reduce argument of torch.scatter with Tensor src is deprecated and "
                      "will be removed in a future PyTorch release. Use torch.scatter_reduce "
                      "instead for more reduction options.", UserWarning,
                      stacklevel=user_stacklevel())
    reduce = {"add": "sum", "multiply": "prod"}[reduce]
    return _scatter(_NoGrad, input, dim, index, src, reduce,
                    name="torch::autograd::NotImplemented")


def _check_index(index, name):
    if index._data.size and index.dtype not in _INT_INDEX:
        raise RuntimeError(f"{name}(): Expected dtype int32/int64 for index")


def scatter(input, dim, index, src=None, *, value=None, reduce=None, out=None):
    return _out(_scatter_impl(input, dim, index, src, value, reduce, "torch"), out, exact=True)


def _scatter_method(self, dim, index, src=None, *, value=None, reduce=None):
    return _scatter_impl(self, dim, index, src, value, reduce, "method")


def scatter_add(input, dim, index, src, *, out=None):
    return _out(_scatter(ScatterAdd, input, dim, index, src, "sum"), out, exact=True)


def scatter_reduce(input, dim, index, src, reduce, *, include_self=True, out=None):
    reduce = {"max": "amax", "min": "amin"}.get(reduce, reduce)  # (torch 2.13 takes both)
    if reduce not in ("sum", "prod", "mean", "amax", "amin"):
        raise RuntimeError("reduce argument must be either sum, prod, mean, amax or amin, got "
                           f"{reduce}")
    r = _scatter(ScatterReduce, input, dim, index, src, reduce, include_self)
    return _out(r, out, exact=True)


def _inplace_version(fn, overlap=True, saves=False, alias=True):
    """`self.op_(...)` from `op`. An op that `saves` its input and output for backward runs on a
    clone of self while recording, and its node then watches self as its output, as torch's
    does: a later write to self is refused at backward. With `alias`, self may share no memory
    with a tensor argument (torch's index ops: the index, the source)."""
    def op(self, *args, **kwargs):
        _check_inplace(self, overlap)
        from .inplace import _inplace
        rec = saves and _enabled[0] and (self._rg or any(isinstance(a, Tensor) and a._rg
                                                         for a in args))
        r = fn(self.clone() if rec else self, *args, **kwargs)
        if alias:
            _check_alias(self, args, full=True)
        _inplace(self, r)
        node = r.grad_fn
        if rec and node is not None:
            node._out, node._out_vc, node._out_v = self._data, self._vc, self._vc[0]
        return self
    return op


def _scatter_inplace(self, dim, index, src=None, *, value=None, reduce=None):
    _check_inplace(self, True)
    from .inplace import _inplace
    r = _scatter_impl(self, dim, index, src, value, reduce, "inplace")
    _check_alias(self, (index, src), full=True)
    return _inplace(self, r)


# ---------------------------------------------------------------- index_* family
class IndexSelect(Op):
    _name = "IndexSelectBackward0"
    _low_grads = True  # its backward (index_add_) adds a bfloat16 gradient up as torch's does
    _packed_arrays = ("idx",)  # torch saves the indices as a tensor: saved-tensor hooks see it
    jvp = _fwd.linear

    def forward(ctx, x, d, idx, long=True):
        ctx.shape, ctx.d, ctx.idx, ctx.long = x.shape, d, idx, long
        if not x.ndim:
            return x.copy()  # torch keeps a 0-d self 0-d, whatever the (valid) index
        return _xp(x).take(x, idx, axis=d)

    def backward(ctx, grad):
        if not ctx.shape:
            return grad * ctx.idx.size, None, None, None
        key = (slice(None),) * ctx.d + (ctx.idx,)
        # torch's backward is zeros.index_add_(d, index, grad): its scatter_add_ path or not
        acc = "opmath" if _scatter_path(ctx.shape, ctx.d, ctx.long, 1) else True
        return IndexGrad.apply(grad, ctx.shape, key, acc), None, None, None


_OOR = "index out of range in self"


def index_select(input, dim, index, *, out=None):
    shape = input._data.shape
    d = _dim(dim, len(shape))
    ia = index._data
    if ia.ndim > 1:
        raise IndexError("index_select(): Index is supposed to be a vector")
    if index.dtype not in _INT_INDEX:
        raise RuntimeError("index_select(): Expected dtype int32 or int64 for index")
    idx = ia.reshape(-1).astype(np.int64, copy=False)
    if len(shape) > 1:
        if idx.size and not input._data.size and shape[d] <= 0:
            raise RuntimeError("index_select(): self indexing axis dim should be positive")
        bad = _first_bad(idx, 0, shape[d])
        if bad is not None:
            if d == 1 or not input._data.size:  # torch's dim-1 fast path words it differently
                raise RuntimeError(f"INDICES element is out of DATA bounds, id={bad} "
                                   f"axis_dim={shape[d]}")
            raise IndexError(_OOR)
    elif _first_bad(idx, 0, input._data.size) is not None:
        raise IndexError(_OOR)
    _same_dtype_out(input, out, "index_select(): self and result must have the same scalar type")
    r = IndexSelect.apply(input, d, idx, index.dtype is D.int64)
    if r.grad_fn is not None:
        r.grad_fn._given = dim  # torch saves the dims as given
    return _out(r, out)


def _index_func_checks(input, d, index, source, func):
    """torch's index_add/index_reduce meta checks, in its order."""
    ia = index._data
    if ia.ndim > 1:
        raise IndexError(f"{func}_(): Index is supposed to be a vector, but got dim: {ia.ndim} "
                         f"with type: {_st(index.dtype)} and size: {_fmt(ia.shape)}")
    if index.dtype not in _INT_INDEX:
        raise RuntimeError(f"{func}_(): Expected dtype int32/int64 for index but got: "
                           f"{_st(index.dtype)}")
    if input.dtype is not source.dtype:
        raise RuntimeError(f"{func}_(): self ({_st(input.dtype)}) and source "
                           f"({_st(source.dtype)}) must have the same scalar type")
    sshape, shape = source._data.shape, input._data.shape
    if not (d == 0 or d < len(sshape)):
        raise RuntimeError(f"{func}_(): Indexing dim {d} is out of bounds of the source tensor "
                           f"with dim {len(sshape)}")
    sd = sshape[d] if sshape else 1
    if ia.size != sd:
        raise RuntimeError(f"{func}_(): Number of indices ({ia.size}) should be equal to "
                           f"source.size(dim): ({sd}), for dim: {d}")
    if len(sshape) != len(shape) or any(a != b for i, (a, b) in enumerate(zip(shape, sshape))
                                        if i != d):
        raise RuntimeError("source tensor shape must match self tensor shape, excluding the "
                           f"specified dimension. Got self.shape = {_fmt(shape)} source.shape = "
                           f"{_fmt(sshape)}")


def _dim_key(d, idx, ndim):
    return (slice(None),) * d + (idx,) if ndim else ()


def index_add(input, dim, index, source, *, alpha=1, out=None):
    shape = input._data.shape
    d = _dim(dim, len(shape))
    _index_func_checks(input, d, index, source, "index_add")
    idx = index._data.reshape(-1).astype(np.int64, copy=False)
    n = shape[d] if shape else 1
    bad = _first_bad(idx, 0, n)
    scatter = _scatter_path(shape, d, index.dtype is D.int64, alpha)
    if bad is not None:
        if scatter:
            raise RuntimeError(f"index {bad} is out of bounds for dimension {d} with size {n}")
        raise IndexError(_OOR)
    a = _scalar_to(alpha, input.dtype, None)
    src = source if a == 1 else source * _wrap(np.asarray(a))
    r = IndexPut.apply(input, src, _dim_key(d, idx, len(shape)), "opmath" if scatter else True)
    return _out(_named(r, "IndexAddBackward0"), out, exact=True)


def _scatter_path(shape, d, long, alpha):
    """Whether torch's index_add_ hands the work to scatter_add_ (a 2-d+ self, an int64 index,
    along the first or last dim, alpha 1): its errors, and float32 accumulation for float16."""
    return len(shape) > 1 and d in (0, len(shape) - 1) and long and alpha == 1


def _named(r, name):
    if r.grad_fn is not None:
        r.grad_fn._name = name
    return r


def index_fill(input, dim, index, value):
    from .masked import masked_fill  # (masked.py imports this file's helpers)
    return _named(masked_fill(input, _wrap(_index_fill_mask(input, dim, index, value)), value),
                  "IndexFillBackward0")


def index_fill_(self, dim, index, value):
    _check_inplace(self, False)
    _check_alias(self, (index,), full=True)  # (not the value: torch reads it as a number)
    if _expanded(self, "index_fill_", "tensor[mask] = scalar"):
        mask = _index_fill_mask(self, dim, index, value)
        v = value.item() if isinstance(value, Tensor) else value
        self._data[mask] = _scalar_to(v, self.dtype, "index_fill_")  # only the selected
        self._bump()                                 # elements, through the shared memory
        return self
    return _index_fill_(self, dim, index, value)


def _index_fill_mask(input, dim, index, value):
    """index_fill's argument checks, then the mask of the elements it fills."""
    if isinstance(value, Tensor) and value._data.ndim:
        raise RuntimeError("index_fill_ only supports a 0-dimensional value tensor, but got "
                           f"tensor with {value.dim()} dimension(s).")
    if index.dtype is not D.int64:
        raise IndexError("index_fill_(): Expected dtype int64 for index.")
    _scalar_to(value, input.dtype, "index_fill_")
    shape = input._data.shape
    d = _dim(dim, len(shape))
    if index._data.ndim > 1:
        raise RuntimeError("Index has to be a vector/scalar")
    idx = index._data.reshape(-1)
    n = shape[d] if shape else 1
    bad = _first_bad(idx, -n, n)
    if bad is not None:
        raise IndexError(f"index {bad} is out of bounds for dimension {d} with size {n}")
    mask = np.zeros(shape, bool)
    if shape:
        mask[_dim_key(d, idx, 1)] = True
    else:
        mask[()] = bool(idx.size)
    return mask


_index_fill_ = _inplace_version(index_fill, overlap=False, alias=False)


def index_copy(input, dim, index, source, *, out=None):
    if _amp.on and out is None and _amp.active():
        return _amp.promote(index_copy, input, dim, index, source)
    shape, sshape = input._data.shape, source._data.shape
    d = _dim(dim, len(shape))
    ia = index._data
    if ia.ndim > 1:
        raise IndexError(f"index_copy_(): Index should have dimension 1 or 0 (got {ia.ndim})")
    if not sshape and ia.size != 1:
        raise IndexError("index_copy_(): When source is scalar, index should have one element "
                         f"(got {ia.size})")
    if len(sshape) != len(shape) and sshape and shape:
        raise IndexError("index_copy_(): When source and destination are not scalars, their "
                         f"dimensionality must match. Source dimensionality ({len(sshape)}), "
                         f"destination dimensionality ({len(shape)})")
    if index.dtype is not D.int64:
        raise RuntimeError("index_copy_(): Expected a long tensor for index, but got "
                           f"{_st(index.dtype)}")
    if input.dtype is not source.dtype:
        raise RuntimeError("index_copy_(): self and source expected to have the same dtype, but "
                           f"got (self) {_st(input.dtype)} and (source) {_st(source.dtype)}")
    a, b = list(shape), list(sshape)
    if a:
        del a[d]
    if b:
        del b[d]
    if a != b:
        raise RuntimeError("index_copy_(): Source/destination tensor must have same slice "
                           f"shapes. Destination slice shape: {' '.join(map(str, a))} at "
                           f"dimension {d} and source slice shape: {' '.join(map(str, b))} at "
                           "dimension 0.")
    if sshape and ia.size != sshape[d]:
        raise IndexError(f"index_copy_(): Number of indices ({ia.size}) should be equal to "
                         f"source.size(dim) ({sshape[d]})")
    idx = ia.reshape(-1)
    n = shape[d] if shape else 1
    bad = _first_bad(idx, 0, n)
    if bad is not None:
        raise IndexError(f"index_copy_(): index {bad} is out of bounds for dimension {d} with "
                         f"size {n}")
    src = source if len(sshape) == len(shape) else source.reshape((1,) * len(shape))
    r = IndexPut.apply(input, src, _dim_key(d, idx, len(shape)), False)
    return _out(_named(r, "IndexCopyBackward0"), out, exact=True)


def index_reduce(input, dim, index, source, reduce, *, include_self=True, out=None):
    """Matches torch.index_reduce: scatter_reduce with index broadcast along dim."""
    if reduce not in ("prod", "mean", "amax", "amin"):
        raise RuntimeError("index_reduce(): Expected reduce to be one of prod, mean, amax or "
                           f"amin but got {reduce}.")
    if not _warned[1]:
        _warned[1] = True
        warnings.warn("index_reduce() is in beta and the API may change at any time.",
                      UserWarning, stacklevel=user_stacklevel())
    shape = input._data.shape
    d = _dim(dim, len(shape))
    _index_func_checks(input, d, index, source, "index_reduce")
    idx = index._data.reshape(-1).astype(np.int64)
    if _first_bad(idx, 0, shape[d] if shape else 1) is not None:
        raise IndexError(_OOR)
    src = source if source.dim() else source.reshape(1)
    bshape = [1] * src.dim()
    bshape[d] = -1
    full = np.broadcast_to(idx.reshape(bshape), src.shape)
    r = _scatter(IndexReduce, input, d, _wrap(np.ascontiguousarray(full)), src, reduce,
                 include_self)
    return _out(r, out, exact=True)


# ---------------------------------------------------------------- take / put
def take(input, index, *, out=None):
    if index.dtype is not D.int64:
        raise RuntimeError(f"take(): Expected a long tensor for index, but got {_st(index.dtype)}")
    idx = index._data
    n = input.numel()
    if idx.size and not n:
        raise IndexError("take(): tried to take from an empty tensor")
    bad = _first_bad(idx, -n, n)
    if bad is not None:
        raise IndexError(f"out of range: tried to access index {bad} on a tensor of {n} "
                         "elements.")
    r = Select.apply(input.reshape(-1), (idx,), True)
    if out is not None:
        _same_dtype_out(input, out, "take(): self and out expected to have the same dtype, but got "
                        f"self.dtype = {_st(input.dtype)} and out.dtype = {_st(out.dtype)}")
    return _out(_named(r, "TakeBackward0"), out)


def take_along_dim(input, indices, dim=None, *, out=None):
    if dim is None:
        return _out(gather(input.reshape(-1), 0, indices.reshape(-1)), out, exact=True)
    nd, ni = input.dim(), indices.dim()
    if nd != ni:
        raise RuntimeError("torch.take_along_dim(): input and indices should have the same "
                           f"number of dimensions, but got {nd} dimensions for input, and {ni} "
                           "dimensions for indices")
    if indices.dtype is not D.int64:
        raise RuntimeError("torch.take_along_dim(): dtype of indices should be Long but got "
                           f"{_st(indices.dtype)}")
    if not nd:
        raise IndexError(f"Dimension specified as {dim} but tensor has no dimensions")
    d = _dim(dim, nd)
    a = list(input.shape)
    a[d] = indices.shape[d]
    try:
        ishape = np.broadcast_shapes(tuple(a), indices.shape)
    except ValueError:
        raise _shape_error(tuple(a), indices.shape) from None
    b = list(indices.shape)
    b[d] = input.shape[d]
    xshape = np.broadcast_shapes(tuple(b), input.shape)
    n = input.shape[d]
    if not n and indices.numel():
        raise RuntimeError("ZeroDivisionError")
    idx = indices._data
    if idx.size and (idx.min() < 0 or idx.max() >= n):
        idx = idx % n  # torch resolves any index modulo the size here
    x = input.expand(xshape) if xshape != input.shape else input
    i = np.broadcast_to(idx, ishape) if ishape != idx.shape else idx
    return _out(gather(x, d, _wrap(np.ascontiguousarray(i))), out, exact=True)


def put(input, index, source, accumulate=False):
    """Matches torch.put: writes source into input's flattened (row-major) positions."""
    if index.dtype is not D.int64:
        raise RuntimeError(f"put_(): Expected a long tensor for index, but got {_st(index.dtype)}")
    if input.dtype is not source.dtype:
        raise RuntimeError("put_(): self and source expected to have the same dtype, but got "
                           f"self.dtype = {_st(input.dtype)} and source.dtype = "
                           f"{_st(source.dtype)}")
    if index.numel() != source.numel():
        raise IndexError("put_(): Expected source and index to have the same number of "
                         f"elements, but got source.numel() = {source.numel()}, index.numel() = "
                         f"{index.numel()}")
    n = input.numel()
    idx = index._data.reshape(-1).astype(np.int64, copy=False)
    if idx.size and not n:
        raise IndexError("put_(): Tried to put elements into an empty tensor")
    bad = _first_bad(idx, -n, n)
    if bad is not None:
        raise IndexError(f"out of range: tried to access index {bad} on a tensor of {n} "
                         "elements.")
    flat = IndexPut.apply(input.reshape(-1), source.reshape(-1), (idx % max(n, 1),),
                          bool(accumulate))
    return _named(flat, "PutBackward0").view(input.shape)


