"""torch.sparse's products and sums: sparse @ dense (torch.sparse.mm keeps the sparse operand's
gradient on its pattern, torch.mm/spmm/@ give it a dense one), dense @ sparse, and
torch.sparse.sum over all or some dimensions. Each is an `Op` whose forward reads the
`SparseCOO` data of ember/_sparse.py.
"""

import numpy as np

from .._sparse import SparseCOO, _coalesce, _dense_of, _dense_only
from .._tensor import _wrap
from ..autograd.function import Op


def _check_mm(s, y, name):
    if len(s.shape) != 2 or s.indices.shape[0] != 2:
        raise _dense_only(name)
    if y.ndim != 2:
        raise IndexError(f"Dimension out of range (expected to be in range of "
                         f"[{-max(y.ndim, 1)}, {max(y.ndim, 1) - 1}], but got 1)")
    if s.shape[1] != y.shape[0]:
        raise RuntimeError(f"addmm: Argument #3 (dense): Expected dim 0 size {s.shape[1]}, "
                           f"got {y.shape[0]}")


class SparseMM(Op):
    """sparse (m, k) @ dense (k, n). torch.sparse.mm gives the sparse operand a gradient masked
    to its pattern (SparseAddmmBackward0); torch.mm/spmm/@ a dense one (MmBackward0)."""
    _name = "MmBackward0"

    def forward(ctx, s, y, masked):
        _check_mm(s, y, "mm")
        ctx.s, ctx.y, ctx.masked = s, y, masked
        rows, cols = s.indices
        out = np.zeros((s.shape[0], y.shape[1]), np.result_type(s.values, y))
        np.add.at(out, rows, s.values[:, None] * y[cols])
        return out

    def backward(ctx, grad):
        s, y, g = ctx.s, ctx.y, grad._data
        rows, cols = s.indices
        gy = np.zeros(y.shape, g.dtype)
        np.add.at(gy, cols, s.values[:, None] * g[rows])  # d y = S^T grad
        if not ctx.masked:
            return _wrap(g @ y.T), _wrap(gy), None  # d S = grad y^T, dense
        idx = _coalesce(s)[0]
        vals = (g[idx[0]] * y[idx[1]]).sum(axis=1)
        return _wrap(SparseCOO(idx, vals, s.shape, True)), _wrap(gy), None


def _check_mm_right(x, s):
    if len(s.shape) != 2 or s.indices.shape[0] != 2 or x.ndim != 2:
        raise _dense_only("mm")
    if x.shape[1] != s.shape[0]:
        raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({x.shape[0]}x"
                           f"{x.shape[1]} and {s.shape[0]}x{s.shape[1]})")


def _dense_sparse(x, s):
    rows, cols = s.indices
    out = np.zeros((s.shape[1], x.shape[0]), np.result_type(x, s.values))
    np.add.at(out, cols, s.values[:, None] * x.T[rows])  # (x S)^T = S^T x^T
    return out.T.copy()


class DenseSparseMM(Op):
    """dense (m, k) @ sparse (k, n), as torch.mm: both gradients dense (MmBackward0)."""
    _name = "MmBackward0"

    def forward(ctx, x, s):
        _check_mm_right(x, s)
        ctx.x, ctx.s = x, s
        return _dense_sparse(x, s)

    def backward(ctx, grad):
        x, s, g = ctx.x, ctx.s, grad._data
        rows, cols = s.indices
        gx = np.zeros(x.shape, g.dtype)
        np.add.at(gx.T, rows, s.values[:, None] * g.T[cols])  # d x = grad S^T
        return _wrap(gx), _wrap(x.T @ g)  # d S = x^T grad, dense as torch's


class SparseSum(Op):
    _name = "SumBackward0"

    def forward(ctx, s):
        ctx.s = s
        return np.asarray(s.values.sum(), s.values.dtype)

    def backward(ctx, grad):
        s = ctx.s
        idx = _coalesce(s)[0]
        vals = np.broadcast_to(grad._data, (idx.shape[1],) + s.values.shape[1:]).copy()
        return (_wrap(SparseCOO(idx, vals, s.shape, True)),)


class SparseSumDim(Op):
    """torch.sparse.sum over `dims`: sparse while a sparse dim is left, else dense."""
    _name = "SparseSumBackward0"

    def forward(ctx, s, dims):
        sd = s.indices.shape[0]
        idx, val = _coalesce(s)
        dense_axes = tuple(d - sd + 1 for d in dims if d >= sd)
        keep = [d for d in range(sd) if d not in dims]
        ctx.idx, ctx.keep, ctx.dense_axes, ctx.s = idx, keep, dense_axes, s
        val = val.sum(axis=dense_axes) if dense_axes else val
        if not keep:
            return np.asarray(val.sum(axis=0), val.dtype)
        shape = tuple(s.shape[d] for d in keep) + val.shape[1:]
        return SparseCOO(*_coalesce(SparseCOO(idx[keep], val, shape, False)), shape, True)

    def backward(ctx, grad):  # every entry takes the gradient of the position it summed into
        g = _dense_of(grad)
        idx, s = ctx.idx, ctx.s
        per = g[tuple(idx[ctx.keep])] if ctx.keep else np.broadcast_to(g, (idx.shape[1],) + g.shape)
        for ax in ctx.dense_axes:
            per = np.expand_dims(per, ax)
        vals = np.broadcast_to(per, (idx.shape[1],) + s.values.shape[1:]).copy()
        return _wrap(SparseCOO(idx, vals, s.shape, True)), None


def spmm(input, mat2):
    """torch.mm(sparse, dense) (torch.spmm): the sparse operand's gradient is dense."""
    return _mm(input, mat2, False)


_SCALAR = {"float32": "Float", "float64": "Double", "float16": "Half", "bfloat16": "BFloat16",
           "int64": "Long", "int32": "Int", "int16": "Short", "int8": "Char", "uint8": "Byte",
           "bool": "Bool", "complex64": "ComplexFloat", "complex128": "ComplexDouble"}


def _mm(a, b, masked):
    if a._data.__class__ is not SparseCOO:
        if masked or b._data.__class__ is not SparseCOO:
            raise _dense_only("mm")
        if a.dtype is not b.dtype:
            raise RuntimeError(f"expected scalar type {_SCALAR[a.dtype.name]} but found "
                               f"{_SCALAR[b.dtype.name]}")
        return DenseSparseMM.apply(a, b)
    if b._data.__class__ is SparseCOO:
        raise _dense_only("mm")
    if a.dtype is not b.dtype:
        raise RuntimeError(f"expected scalar type {_SCALAR[a.dtype.name]} but found "
                           f"{_SCALAR[b.dtype.name]}")
    out = SparseMM.apply(a, b, masked)
    if masked and out.grad_fn is not None:
        out.grad_fn._name = "SparseAddmmBackward0"
    return out
