"""gather/scatter (and scatter_add, scatter_reduce), index_select/index_add/index_fill/
index_copy, masked_fill/masked_scatter/masked_select, take and take_along_dim.

Each is a primitive whose backward reuses `index.IndexGrad` (write a gradient into zeros at a
key) or another op of this family, so double backward works. The `*_` forms go through
`inplace._inplace`.
"""

import numpy as np

from .. import _dtype as D
from .._tensor import Tensor, _check_inplace, _wrap
from ..autograd.function import Op
from ._util import method
from .index import IndexGrad, IndexPut, Select, _along, _xp

_ndarray = np.ndarray


def _check_index(index, name):
    if index.dtype is not D.int64 and index.dtype is not D.int32:
        raise RuntimeError(f"{name}(): Expected dtype int32/int64 for index")


class Gather(Op):
    _name = "GatherBackward0"

    def forward(ctx, x, d, idx):
        ctx.shape, ctx.d, ctx.idx = x.shape, d, idx
        return x[_along(idx, d)]

    def backward(ctx, grad):
        return IndexGrad.apply(grad, ctx.shape, _along(ctx.idx, ctx.d), True), None, None


@method("gather")
def gather(input, dim, index, *, sparse_grad=False):
    _check_index(index, "gather")
    from .._tensor import _dim
    d = _dim(dim, input._data.ndim)
    idx = index._data.astype(np.int64, copy=False)
    if idx.ndim != input._data.ndim and idx.size:
        raise RuntimeError("Index tensor must have the same number of dimensions as input tensor")
    if idx.size and (idx.max() >= input.shape[d] or idx.min() < -input.shape[d]):
        raise RuntimeError(f"index {int(idx.max())} is out of bounds for dimension {d} with "
                           f"size {input.shape[d]}")
    return Gather.apply(input, d, idx)


class Scatter(Op):
    """scatter / scatter_add / scatter_reduce; `reduce` None overwrites."""

    _name = "ScatterBackward0"

    def forward(ctx, x, src, d, idx, reduce, include_self=True):
        ctx.d, ctx.idx, ctx.reduce, ctx.incl = d, idx, reduce, include_self
        ctx.src_shape = src.shape if isinstance(src, _ndarray) else None
        xp = _xp(x)
        out = x.copy()
        key = _along(idx, d)
        s = src[tuple(slice(0, n) for n in idx.shape)] if isinstance(src, _ndarray) and \
            src.ndim else src
        if reduce is None:
            out[key] = s
            return out
        if not include_self:
            out[key] = {"amax": -np.inf, "amin": np.inf, "prod": 1, "multiply": 1}.get(reduce, 0)
        if reduce in ("add", "sum", "mean"):
            xp.add.at(out, key, s)
        elif reduce in ("multiply", "prod"):
            xp.multiply.at(out, key, s)
        elif reduce == "amax":
            xp.maximum.at(out, key, s)
        elif reduce == "amin":
            xp.minimum.at(out, key, s)
        if reduce == "mean":
            count = xp.full(x.shape, 1 if include_self else 0, x.dtype)
            xp.add.at(count, key, 1)
            ctx.count = xp.maximum(count, 1)
            out = out / ctx.count if out.dtype.kind in "fc" else out // ctx.count
        return out.astype(x.dtype, copy=False)

    def backward(ctx, grad):
        key = _along(ctx.idx, ctx.d)
        if ctx.reduce is None:
            keep = _wrap(_xp(grad._data).ones(grad.shape, grad.dtype.np))
            keep._data[key] = 0
            gx, gsrc = grad * keep, grad.gather(ctx.d, _wrap(ctx.idx))
        else:
            gx, gsrc = _reduce_grads(ctx, grad, key)
        if ctx.src_shape is not None and gsrc.shape != ctx.src_shape:
            gsrc = IndexGrad.apply(gsrc, ctx.src_shape, tuple(slice(0, n) for n in gsrc.shape),
                                   False)
        return gx, (gsrc if ctx.src_shape is not None else None), None, None, None, None


def _reduce_grads(ctx, grad, key):
    """Gradients of scatter_reduce for self and src, as torch defines them."""
    d, idx = ctx.d, _wrap(ctx.idx)
    keep = _wrap(_xp(grad._data).ones(grad.shape, grad.dtype.np))
    if not ctx.incl:
        keep._data[key] = 0  # self's values at scattered positions were not used
    r = ctx.reduce
    if r in ("add", "sum"):
        return grad * keep, grad.gather(d, idx)
    if r == "mean":
        g = grad / _wrap(ctx.count.astype(grad.dtype.np))
        return g * keep, g.gather(d, idx)
    x, src = ctx.saved_tensors
    out = ctx.output
    if r in ("multiply", "prod"):
        g = grad * out
        return g * keep / x, g.gather(d, idx) / src  # d prod / d v = prod / v (v != 0)
    hit_x = (x == out) * keep
    hit_s = src == out.gather(d, idx)
    n = hit_x + _wrap(_xp(grad._data).zeros(grad.shape, grad.dtype.np)).scatter_add(
        d, idx, hit_s.to(grad.dtype))
    g = grad / n  # ties share the gradient equally
    return g * hit_x, g.gather(d, idx) * hit_s


class ScatterReduce(Scatter):
    _name = "ScatterReduceBackward0"
    save_inputs = (0, 1)
    save_output = True


class ScatterAdd(Scatter):
    _name = "ScatterAddBackward0"


def _scatter(cls, input, dim, index, src, reduce, include_self=True, name=None):
    from .._tensor import _dim
    d = _dim(dim, input._data.ndim)
    if index._data.ndim != input._data.ndim and index._data.size:
        raise RuntimeError("Index tensor must have the same number of dimensions as self tensor")
    if isinstance(src, Tensor):
        src = src.to(input.dtype)
        r = cls.apply(input, src, d, index._data.astype(np.int64), reduce, include_self)
    else:
        r = cls.run((input, None), (input._data, src, d, index._data.astype(np.int64), reduce,
                                    include_self), {})
        name = name or "ScatterBackward1"
    if name and r.grad_fn is not None:
        r.grad_fn._name = name
    return r


@method("scatter")
def scatter(input, dim, index, src=None, *, value=None, reduce=None):
    _check_index(index, "scatter")
    if src is None:
        src = value
    name = "torch::autograd::NotImplemented" if reduce is not None else None
    if reduce is not None:
        reduce = {"add": "sum", "multiply": "prod"}.get(reduce, reduce)
        return _scatter(_NoGrad, input, dim, index, src, reduce, name=name)
    return _scatter(Scatter, input, dim, index, src, None)


class _NoGrad(Scatter):
    def backward(ctx, grad):
        raise NotImplementedError("the derivative for 'scatter' with a reduce argument is not "
                                  "implemented; use scatter_reduce")


@method("scatter_add")
def scatter_add(input, dim, index, src):
    _check_index(index, "scatter_add")
    return _scatter(ScatterAdd, input, dim, index, src, "sum")


@method("scatter_reduce")
def scatter_reduce(input, dim, index, src, reduce, *, include_self=True):
    _check_index(index, "scatter_reduce")
    if reduce not in ("sum", "prod", "mean", "amax", "amin"):
        raise RuntimeError("reduce argument must be either sum, prod, mean, amax or amin, got "
                           f"{reduce}")
    return _scatter(ScatterReduce, input, dim, index, src, reduce, include_self)


def _inplace_version(fn, overlap=True):
    def op(self, *args, **kwargs):
        _check_inplace(self, overlap)
        from .inplace import _inplace
        return _inplace(self, fn(self, *args, **kwargs))
    return op


for _n, _f in (("scatter_", scatter), ("scatter_add_", scatter_add),
               ("scatter_reduce_", scatter_reduce)):
    setattr(Tensor, _n, _inplace_version(_f))


class IndexSelect(Op):
    _name = "IndexSelectBackward0"

    def forward(ctx, x, d, idx):
        ctx.shape, ctx.d, ctx.idx = x.shape, d, idx
        return _xp(x).take(x, idx, axis=d)

    def backward(ctx, grad):
        key = (slice(None),) * ctx.d + (ctx.idx,)
        return IndexGrad.apply(grad, ctx.shape, key, True), None, None


@method("index_select")
def index_select(input, dim, index):
    from .._tensor import _dim
    d = _dim(dim, input._data.ndim)
    if index.dtype is not D.int64 and index.dtype is not D.int32:
        raise RuntimeError("index_select(): Expected dtype int32 or int64 for index")
    if index._data.ndim > 1:
        raise IndexError("index_select(): Index is supposed to be a vector")
    idx = index._data.reshape(-1).astype(np.int64, copy=False)
    if idx.size and (idx.max() >= max(input.shape[d] if input.dim() else 1, 1)
                     or idx.min() < 0):
        raise IndexError("index out of range in self")
    return IndexSelect.apply(input, d, idx)


@method("index_add")
def index_add(input, dim, index, source, *, alpha=1):
    from .._tensor import _dim
    d = _dim(dim, input._data.ndim)
    if index.numel() != (source.shape[d] if source.dim() else 1):
        raise RuntimeError(f"index_add_(): Number of indices ({index.numel()}) should be equal "
                           f"to source.size(dim): ({source.shape[d]}), for dim: {d}")
    key = (slice(None),) * d + (index._data.reshape(-1),)
    src = source if alpha == 1 else source * alpha
    r = IndexPut.apply(input, src.to(input.dtype), key, True)
    if r.grad_fn is not None:
        r.grad_fn._name = "IndexAddBackward0"
    return r


Tensor.index_add_ = _inplace_version(index_add)


@method("index_fill")
def index_fill(input, dim, index, value):
    from .._tensor import _dim
    d = _dim(dim, input._data.ndim)
    mask = np.zeros(input.shape, bool)
    mask[(slice(None),) * d + (index._data.reshape(-1),)] = True
    return _named(masked_fill(input, _wrap(mask), value), "IndexFillBackward0")


def _named(r, name):
    if r.grad_fn is not None:
        r.grad_fn._name = name
    return r


Tensor.index_fill_ = _inplace_version(index_fill, overlap=False)


@method("index_copy")
def index_copy(input, dim, index, source):
    from .._tensor import _dim
    d = _dim(dim, input._data.ndim)
    key = (slice(None),) * d + (index._data.reshape(-1),)
    return _named(IndexPut.apply(input, source.to(input.dtype), key, False),
                  "IndexCopyBackward0")


Tensor.index_copy_ = _inplace_version(index_copy)


class MaskedFill(Op):
    _name = "MaskedFillBackward0"

    def forward(ctx, x, mask, value):
        ctx.mask = mask
        return _xp(x).where(mask, value, x).astype(x.dtype, copy=False)

    def backward(ctx, grad):
        m = _wrap(ctx.mask)
        gv = None
        if ctx.needs_input_grad[2]:
            gv = (grad * m).sum()
        return grad.masked_fill(m, 0), None, gv


@method("masked_fill")
def masked_fill(input, mask, value):
    if mask.dtype is not D.bool_:
        from .linalg import _C_NAMES
        raise RuntimeError(f"masked_fill_ only supports boolean masks, but got mask with dtype "
                           f"{_C_NAMES.get(mask.dtype.name, mask.dtype.name)}")
    m = mask._data
    try:
        if isinstance(value, Tensor):
            if value._data.ndim:
                raise RuntimeError("masked_fill_ only supports a 0-dimensional value tensor, but "
                                   f"got tensor with {value.dim()} dimension(s).")
            r = MaskedFill.run((input, None, value), (input._data, m,
                                                      value._data.astype(input.dtype.np)), {})
            return _named(r, "MaskedFillBackward1")
        return MaskedFill.run((input, None, None), (input._data, m,
                                                    input.dtype.np.type(value)), {})
    except ValueError:
        from ._util import broadcast_error
        raise broadcast_error(input._data, m) from None


Tensor.masked_fill_ = _inplace_version(masked_fill, overlap=False)


class MaskedScatter(Op):
    _name = "MaskedScatterBackward0"

    def forward(ctx, x, src, m):
        ctx.m, ctx.src_shape = m, src.shape
        out = x.copy()
        out[m] = src.reshape(-1)[:int(m.sum())]
        return out

    def backward(ctx, grad):
        m = _wrap(ctx.m)
        taken = grad.masked_select(m)  # source's first k elements went to the masked places
        n = 1
        for s in ctx.src_shape:
            n *= s
        gsrc = IndexGrad.apply(taken, (n,), (slice(0, taken.shape[0]),), False)
        return grad.masked_fill(m, 0), gsrc.reshape(ctx.src_shape), None


@method("masked_scatter")
def masked_scatter(input, mask, source):
    m = np.broadcast_to(mask._data, input.shape)
    return MaskedScatter.run((input, source.to(input.dtype), None),
                             (input._data, source._data.astype(input.dtype.np, copy=False), m),
                             {})


Tensor.masked_scatter_ = _inplace_version(masked_scatter)


@method("masked_select")
def masked_select(input, mask):
    if mask.dtype is not D.bool_:
        raise RuntimeError("masked_select: expected BoolTensor for mask")
    shape = np.broadcast_shapes(input.shape, mask.shape)
    x = input.expand(shape) if input.shape != shape else input
    m = np.broadcast_to(mask._data, shape)
    r = Select.apply(x, (m,), True)
    if r.grad_fn is not None:
        r.grad_fn._name = "MaskedSelectBackward0"
    return r


@method("take")
def take(input, index):
    flat = input.reshape(-1)
    idx = index._data
    n = flat.shape[0]
    if idx.size and (idx.max() >= n or idx.min() < -n):
        raise IndexError(f"out of range: tried to access index {int(idx.max())} on a tensor of "
                         f"{n} elements.")
    r = Select.apply(flat, (idx,), True)
    if r.grad_fn is not None:
        r.grad_fn._name = "TakeBackward0"
    return r


@method("take_along_dim")
def take_along_dim(input, indices, dim=None):
    if dim is None:
        return take(input, indices.reshape(-1))
    return gather(input, dim, indices.expand(
        [s if i != (dim % input.dim()) else indices.shape[i] for i, s in enumerate(input.shape)]))




@method("put")
def put(input, index, source, accumulate=False):
    """Matches torch.put: writes source into input's flattened (row-major) positions."""
    n = input.numel()
    idx = index._data.reshape(-1).astype(np.int64)
    if idx.size and (idx.max() >= n or idx.min() < -n):
        bad = int(idx.max()) if idx.max() >= n else int(idx.min())
        raise IndexError(f"out of range: tried to access index {bad} on a tensor of {n} "
                         "elements.")
    if index.numel() != source.numel():
        raise RuntimeError(f"put_(): Expected source and index to have the same number of "
                           f"elements, but got source.numel() = {source.numel()}, "
                           f"index.numel() = {index.numel()}")
    flat = IndexPut.apply(input.reshape(-1), source.reshape(-1).to(input.dtype),
                          (idx % max(n, 1),), bool(accumulate))
    return _named(flat, "PutBackward0").view(input.shape)


Tensor.put_ = _inplace_version(put)


@method("index_reduce")
def index_reduce(input, dim, index, source, reduce, *, include_self=True):
    """Matches torch.index_reduce: scatter_reduce with index broadcast along dim."""
    from .._tensor import _dim
    if reduce not in ("prod", "mean", "amax", "amin"):
        raise RuntimeError("index_reduce(): Expected reduce to be one of prod, mean, amax or "
                           f"amin but got {reduce}.")
    d = _dim(dim, input.dim())
    if index.dim() > 1:
        raise IndexError("index_reduce_(): Index is supposed to be a vector")
    sd = source.shape[d] if source.dim() else 1
    if index.numel() != sd:
        raise RuntimeError(f"index_reduce_(): Number of indices ({index.numel()}) should be "
                           f"equal to source.size(dim) ({sd})")
    src = source if source.dim() else source.reshape(1)
    shape = [1] * src.dim()
    shape[d] = -1
    full = np.broadcast_to(index._data.reshape(shape).astype(np.int64), src.shape)
    r = _scatter(ScatterReduce, input, d, _wrap(np.ascontiguousarray(full)), src, reduce,
                 include_self)
    return _named(r, "IndexReduceBackward0")


Tensor.index_reduce_ = _inplace_version(index_reduce)
