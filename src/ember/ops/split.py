"""Slicing and splitting views: narrow, split/split_with_sizes, chunk, tensor_split, unbind.

Each output is a view of the input (shape._view / shape._torch_view give it torch's geometry);
the outputs of one split share the input's version counter and refuse in-place ops on
themselves as torch's do (`_MULTI`).
"""

__all__ = ["narrow", "split", "chunk", "tensor_split", "unbind"]

import numbers

from .._tensor import _dim
from ..autograd import forward_ad as _fwd
from ..autograd.function import Op
from .shape import _MULTI, _fmt, _int_arg, _select_geom, _tname, _torch_view, _view


class Narrow(Op):
    _name = "SliceBackward0"
    jvp = _fwd.linear

    def forward(ctx, x, dim, start, length):
        ctx.in_shape, ctx.dim, ctx.start = x.shape, dim, start
        idx = (slice(None),) * dim + (slice(start, start + length),)
        return x[idx]

    def backward(ctx, grad):
        from .index import _pad_into
        return _pad_into(grad, ctx.in_shape, ctx.dim, ctx.start), None, None, None

    def _geom(shape, strides, dim, start, length):
        return strides, start * strides[dim]


def narrow(input, dim, start, length):
    if input._data.ndim == 0:
        raise RuntimeError("narrow() cannot be applied to a 0-dim tensor.")
    d = _dim(dim, input._data.ndim)
    size = input._data.shape[d]
    start, length = int(start), int(length)
    if length < 0:
        raise RuntimeError("narrow(): length must be non-negative.")
    if start < -size or start > size:
        raise IndexError(f"start out of range (expected to be in range of [{-size}, {size}], "
                         f"but got {start})")
    if start < 0:
        start += size
    if start + length > size:
        raise RuntimeError(f"start ({start}) + length ({length}) exceeds dimension size "
                           f"({size}).")
    return _view(Narrow, input, d, start, length)


class Split(Op):
    _name = "SplitBackward0"
    jvp = _fwd.linear

    def forward(ctx, x, dim, sizes):
        ctx.dim = dim
        out, start = [], 0
        for s in sizes:
            a = x[(slice(None),) * dim + (slice(start, start + s),)]
            out.append(_torch_view(x, a, Narrow._geom, (dim, start, s)))
            start += s
        return tuple(out)

    def backward(ctx, *grads):
        from .rearrange import cat
        return cat(list(grads), ctx.dim), None, None


def _multi_views(input, outs):
    base = input if input._base is None else input._base
    for o in outs:
        o._vc = input._vc
        o._base = base
        o._view_fn = _MULTI
    return outs


def _split_views(input, d, sizes, name="SplitBackward0"):
    outs = Split.run((input,), (input._data, d, sizes), {})
    if outs and outs[0].grad_fn is not None:
        outs[0].grad_fn._name = name
    return _multi_views(input, outs)


def split(tensor, split_size_or_sections, dim=0):
    d = _dim(dim, tensor._data.ndim)
    n = tensor._data.shape[d]
    if isinstance(split_size_or_sections, numbers.Integral):
        s = int(split_size_or_sections)
        if s < 0:
            raise RuntimeError(f"split expects split_size be non-negative, but got "
                               f"split_size={s}")
        if s == 0 and n:
            raise RuntimeError(f"split_size can only be 0 if dimension size is 0, but got "
                               f"dimension size of {n}")
        sizes = [s] * (n // s) + ([n % s] if n % s else []) if n else [0]
        return _split_views(tensor, d, sizes)
    if not isinstance(split_size_or_sections, (tuple, list)):
        raise TypeError(f"split_with_sizes(): argument 'split_sizes' (position 2) must be tuple "
                        f"of ints, not {_tname(split_size_or_sections)}")
    sizes = [int(v) for v in split_size_or_sections]
    if sum(sizes) != n or any(v < 0 for v in sizes):
        raise RuntimeError(f"split_with_sizes expects split_sizes to sum exactly to {n} "
                           f"(input tensor's size at dimension {d}), but got split_sizes="
                           f"{_fmt(sizes)}")
    return _split_views(tensor, d, sizes, "SplitWithSizesBackward0")


def chunk(input, chunks, dim=0):
    _int_arg("chunk", "chunks", chunks, 1)
    _int_arg("chunk", "dim", dim, 2)
    if input._data.ndim == 0:
        raise RuntimeError("chunk expects at least a 1-dimensional tensor")
    if chunks <= 0:
        raise RuntimeError(f"chunk expects `chunks` to be greater than 0, got: {chunks}")
    d = _dim(dim, input._data.ndim)
    n = input._data.shape[d]
    return split(input, -(-n // chunks) if n else 0, d)


def tensor_split(input, indices_or_sections, dim=0):
    d = _dim(dim, input._data.ndim)
    n = input._data.shape[d]
    if isinstance(indices_or_sections, numbers.Integral):
        k = int(indices_or_sections)
        if k <= 0:
            raise RuntimeError(f"number of sections must be larger than 0, got {k}")
        sizes = [n // k + 1] * (n % k) + [n // k] * (k - n % k)
    else:
        idx = [0] + [int(i) for i in indices_or_sections] + [n]
        sizes = [max(min(b, n) - min(a, n), 0) for a, b in zip(idx, idx[1:])]
    out, start = [], 0
    for s in sizes:
        out.append(narrow(input, d, min(start, n), s))
        start += s
    return tuple(out)


class Unbind(Op):
    _name = "UnbindBackward0"
    jvp = _fwd.linear

    def forward(ctx, x, dim):
        ctx.dim = dim
        return tuple(_torch_view(x, x[(slice(None),) * dim + (i, Ellipsis)], _select_geom, (dim, i))
                     for i in range(x.shape[dim]))

    def backward(ctx, *grads):
        from .rearrange import stack
        return stack(list(grads), ctx.dim), None


def unbind(input, dim=0):
    if input._data.ndim == 0:
        raise IndexError("Dimension specified as 0 but tensor has no dimensions")
    d = _dim(dim, input._data.ndim)
    return _multi_views(input, Unbind.run((input,), (input._data, d), {}))
