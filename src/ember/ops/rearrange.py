"""Shape ops that copy: cat/stack (and the h/v/d/column forms), flip, roll, repeat/tile,
repeat_interleave, tril/triu.

Their outputs own fresh memory, unlike the views of `shape.py`. Each backward is a view or
another op of this family on the gradient, so double backward works.
"""

__all__ = ["cat", "concat", "concatenate", "stack", "hstack", "vstack", "row_stack", "dstack",
           "column_stack", "atleast_1d", "atleast_2d", "atleast_3d", "flip", "fliplr", "flipud",
           "roll", "tile", "repeat_interleave", "tril", "triu"]

import numbers

import numpy as np

from .. import _dtype as D
from .._device import array_module as _xp
from .._tensor import Tensor, _check_inplace, _dim, _wrap
from ..amp import _hook as _amp
from ..autograd import forward_ad as _fwd
from ..autograd.function import Op
from ._util import dims, result_type
from .shape import _fmt, _int_list, _tname

_ndarray = np.ndarray


# ---------------------------------------------------------------- joining
class Cat(Op):
    _name = "CatBackward0"
    jvp = _fwd.linear_all

    def forward(ctx, *arrays, dim, keep):
        ctx.dim, ctx.keep = dim, keep
        real = [a for a, k in zip(arrays, keep) if k]
        ctx.sizes = [a.shape[dim] for a in real]
        return _xp(real[0]).concatenate(real, axis=dim)

    def backward(ctx, grad):
        sizes, start, out = iter(ctx.sizes), 0, []
        for k in ctx.keep:
            if not k:  # a skipped 1-d empty input: its gradient is empty too
                out.append(grad.new_zeros(0))
                continue
            s = next(sizes)
            out.append(grad.narrow(ctx.dim, start, s))
            start += s
        return tuple(out)


def _is_skipped(t):
    """torch's legacy rule: 1-d empty tensors take no part in cat's shape checks."""
    return t._data.ndim == 1 and t._data.shape[0] == 0


def _tensor_list(name, tensors):
    """torch's checks on a sequence-of-Tensors argument."""
    if not isinstance(tensors, (tuple, list)):
        raise TypeError(f"{name}(): argument 'tensors' (position 1) must be tuple of Tensors, "
                        f"not {_tname(tensors)}")
    for i, t in enumerate(tensors):
        if not isinstance(t, Tensor):
            raise TypeError(f"expected Tensor as element {i} in argument 0, but got "
                            f"{_tname(t)}")
    return list(tensors)


def cat(tensors, dim=0, *, out=None):
    """Matches torch.cat (axis= comes through _util.install_torch_args)."""
    if _amp.on and out is None and _amp.active():
        return _amp.promote(cat, tensors, dim)
    tensors = _tensor_list("cat", tensors)
    if not tensors:
        raise ValueError("torch.cat(): expected a non-empty list of Tensors")
    keep = tuple(not _is_skipped(t) for t in tensors)
    dt = result_type(*tensors)
    if not any(keep):
        r = _wrap(_xp(tensors[0]._data).zeros((0,), dt.np))
        return r if out is None else _into(r, out, tensors)
    ref = next(t for t, k in zip(tensors, keep) if k)
    nd = ref._data.ndim
    d = _dim(dim, nd)
    for i, (t, k) in enumerate(zip(tensors, keep)):
        if not k:
            continue
        if t._data.ndim == 0:
            raise RuntimeError(f"zero-dimensional tensor (at position {i}) cannot be "
                               "concatenated")
        if t._data.ndim != nd:
            raise RuntimeError(f"Tensors must have same number of dimensions: got {nd} and "
                               f"{t._data.ndim}")
        for j in range(nd):
            if j != d and t._data.shape[j] != ref._data.shape[j]:
                raise RuntimeError(f"Sizes of tensors must match except in dimension {d}. "
                                   f"Expected size {ref._data.shape[j]} but got size "
                                   f"{t._data.shape[j]} for tensor number {i} in the list.")
    arrays = [t._data if t.dtype is dt else t._data.astype(dt.np) for t in tensors]
    r = Cat.run(tuple(tensors), arrays, {"dim": d, "keep": keep})
    if r.grad_fn is not None:
        r.grad_fn._given = dim  # torch saves the dims as given
    return r if out is None else _into(r, out, tensors)


def _into(r, out, tensors):
    from .inplace import _out
    return _out(r, out, inputs=tensors, full=True)  # torch's cat refuses any shared memory


concat = concatenate = cat


def stack(tensors, dim=0, *, out=None):
    """Matches torch.stack."""
    if _amp.on and out is None and _amp.active():
        return _amp.promote(stack, tensors, dim)
    tensors = _tensor_list("stack", tensors)
    if not tensors:
        raise RuntimeError("stack expects a non-empty TensorList")
    s0 = tensors[0].shape
    d = _dim(dim, len(s0) + 1)
    for i, t in enumerate(tensors):
        if t.shape != s0:
            raise RuntimeError(f"stack expects each tensor to be equal size, but got {_fmt(s0)} "
                               f"at entry 0 and {_fmt(t.shape)} at entry {i}")
    if out is not None:
        return cat([t.unsqueeze(d) for t in tensors], d, out=out)
    dt = result_type(*tensors)
    arrays = [t._data if t.dtype is dt else t._data.astype(dt.np) for t in tensors]
    return Stack.run(tuple(tensors), arrays, {"dim": d})


class Stack(Op):
    """torch.stack's one node (an edge per tensor); backward unbinds the gradient."""

    _name = "StackBackward0"
    jvp = _fwd.linear_all

    def forward(ctx, *arrays, dim):
        ctx.dim = dim
        return _xp(arrays[0]).stack(arrays, axis=dim)

    def backward(ctx, grad):
        return grad.unbind(ctx.dim)


def _non_empty(name, tensors):
    tensors = _tensor_list(name, tensors)
    if not tensors:
        raise RuntimeError(f"{name} expects a non-empty TensorList")
    return tensors


def hstack(tensors, *, out=None):
    tensors = [atleast_1d(t) for t in _non_empty("hstack", tensors)]
    return cat(tensors, 0 if tensors[0].dim() == 1 else 1, out=out)


def vstack(tensors, *, out=None):
    return cat([atleast_2d(t) for t in _non_empty("vstack", tensors)], 0, out=out)


row_stack = vstack


def dstack(tensors, *, out=None):
    return cat([atleast_3d(t) for t in _non_empty("dstack", tensors)], 2, out=out)


def column_stack(tensors, *, out=None):
    return cat([t.reshape(-1, 1) if t.dim() < 2 else t
                for t in _non_empty("column_stack", tensors)], 1, out=out)


def atleast_1d(*tensors):
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        return tuple(atleast_1d(t) for t in tensors[0])
    r = tuple(t.reshape(1) if t.dim() == 0 else t for t in tensors)
    return r[0] if len(r) == 1 else r


def atleast_2d(*tensors):
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        return tuple(atleast_2d(t) for t in tensors[0])
    r = tuple(t.reshape(1, 1) if t.dim() == 0 else t.unsqueeze(0) if t.dim() == 1 else t
              for t in tensors)
    return r[0] if len(r) == 1 else r


def atleast_3d(*tensors):
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        return tuple(atleast_3d(t) for t in tensors[0])
    r = tuple(t.reshape(1, 1, 1) if t.dim() == 0 else t.reshape(1, -1, 1) if t.dim() == 1
              else t.unsqueeze(-1) if t.dim() == 2 else t for t in tensors)
    return r[0] if len(r) == 1 else r


# ---------------------------------------------------------------- reordering
class Flip(Op):
    _name = "FlipBackward0"
    jvp = _fwd.linear

    def forward(ctx, x, axes):
        ctx.axes = axes
        return _xp(x).flip(x, axes).copy() if axes else x.copy()

    def backward(ctx, grad):
        return grad.flip(ctx.axes), None


def flip(input, *dims_):
    axes = dims(_int_list("flip", "dims", dims_), input._data.ndim)
    return Flip.apply(input, axes if input._data.ndim else ())


def fliplr(input):
    if input._data.ndim < 2:
        raise RuntimeError("Input must be >= 2-d.")
    return flip(input, 1)


def flipud(input):
    if input._data.ndim < 1:
        raise RuntimeError("Input must be >= 1-d.")
    return flip(input, 0)


class Roll(Op):
    _name = "RollBackward0"
    jvp = _fwd.linear

    def forward(ctx, x, shifts, axes):
        ctx.shifts, ctx.axes = shifts, axes
        return _xp(x).roll(x, shifts, axes)

    def backward(ctx, grad):
        neg = tuple(-s for s in ctx.shifts) if isinstance(ctx.shifts, tuple) else -ctx.shifts
        return Roll.apply(grad, neg, ctx.axes), None, None


def roll(input, shifts, dims=None):
    s = (shifts,) if isinstance(shifts, numbers.Integral) else tuple(shifts)
    ds = () if dims is None else (dims,) if isinstance(dims, numbers.Integral) else tuple(dims)
    if dims is None and len(s) == 1:
        return Roll.apply(input, int(s[0]), None)
    if len(s) != len(ds):
        raise RuntimeError(f"shifts and dimensions must align. shifts: {len(s)}, dims:"
                           f"{len(ds)}")
    nd = input._data.ndim
    if nd == 0:
        raise IndexError("Dimension specified as 0 but tensor has no dimensions")
    return Roll.apply(input, tuple(int(v) for v in s), tuple(_dim(d, nd) for d in ds))


# ---------------------------------------------------------------- repeating
class Repeat(Op):
    _name = "RepeatBackward0"
    jvp = _fwd.linear

    def forward(ctx, x, reps):
        ctx.in_shape, ctx.reps = x.shape, reps
        return _xp(x).tile(x, reps)

    def backward(ctx, grad):
        reps, shp = ctx.reps, ctx.in_shape
        full = (1,) * (len(reps) - len(shp)) + tuple(shp)
        inter = []
        for r, s in zip(reps, full):
            inter += [r, s]
        g = grad.reshape(inter).sum(tuple(range(0, 2 * len(reps), 2)))  # sum over the copies
        return g.reshape(shp), None


def repeat(input, *sizes):
    reps = _int_list("repeat", "repeats", sizes)
    if len(reps) < input._data.ndim:
        raise RuntimeError("Number of dimensions of repeat dims can not be smaller than number "
                           "of dimensions of tensor")
    full = (1,) * (len(reps) - input._data.ndim) + input._data.shape
    out = [r * s for r, s in zip(reps, full)]
    for o in out:
        if o < 0:
            raise RuntimeError(f"Trying to create tensor with negative dimension {o}: "
                               f"{_fmt(out)}")
    return Repeat.apply(input, reps)


def tile(input, *dims_):
    reps = _int_list("tile", "dims", dims_)
    reps = (1,) * (input._data.ndim - len(reps)) + reps
    return repeat(input, reps)


def repeat_interleave(input=None, repeats=None, dim=None, *, output_size=None):
    if input is None:  # torch.repeat_interleave(repeats=...): the one-argument form
        input, repeats = repeats, None
    if repeats is None:  # torch.repeat_interleave(repeats_tensor)
        reps = input._data
        if reps.ndim != 1:
            raise RuntimeError("repeat_interleave only accept 1D vector as repeat")
        _repeats_dtype(input)
        if reps.size and reps.min() < 0:
            raise RuntimeError("repeats can not be negative")
        _check_size(int(reps.sum()), output_size)
        return _wrap(_xp(reps).repeat(_xp(reps).arange(len(reps)), reps).astype(np.int64))
    if dim is None:
        input, dim = input.flatten(), 0
    d = _dim(dim, input._data.ndim)
    if isinstance(repeats, Tensor):
        if repeats._data.ndim > 1:
            raise RuntimeError("repeats must be 0-dim or 1-dim tensor")
        _repeats_dtype(repeats)
        reps = repeats._data.reshape(-1)
        if reps.size and reps.min() < 0:
            raise RuntimeError("repeats can not be negative")
        if reps.size == 1:
            reps = np.repeat(reps, input._data.shape[d])
        elif reps.size != input._data.shape[d]:
            raise RuntimeError("repeats must have the same size as input along dim, but got "
                               f"repeats.size(0) = {reps.size} and input.size({d}) = "
                               f"{input._data.shape[d]}")
        from .gather import index_select
        idx = np.repeat(np.arange(input._data.shape[d]), reps)
        _check_size(idx.size, output_size)
        return index_select(input, d, _wrap(idx))
    if repeats < 0:
        raise RuntimeError("Repeats must be non-negative")
    shp = input._data.shape
    if output_size is not None and output_size != shp[d] * repeats:
        raise RuntimeError(f"repeat_interleave: Invalid output_size, expected "
                           f"{shp[d] * repeats} but got {output_size}")
    r = input.unsqueeze(d + 1).expand(shp[:d + 1] + (repeats,) + shp[d + 1:]).contiguous()
    return r.view(shp[:d] + (shp[d] * repeats,) + shp[d + 1:])


def _repeats_dtype(repeats):
    if repeats.dtype not in (D.int64, D.int32):
        raise NotImplementedError("\"repeat_interleave_cpu\" not implemented for "
                                  f"'{repeats.dtype._legacy[:-6]}'")


def _check_size(n, output_size):
    if output_size is not None and output_size != n:
        raise RuntimeError("allocated size does not match required size")


# ---------------------------------------------------------------- triangles
class Tril(Op):
    _name = "TrilBackward0"
    jvp = _fwd.linear

    def forward(ctx, x, k, upper):
        ctx.k, ctx.upper = k, upper
        xp = _xp(x)
        return xp.triu(x, k) if upper else xp.tril(x, k)

    def backward(ctx, grad):
        return (grad.triu(ctx.k) if ctx.upper else grad.tril(ctx.k)), None, None


def _triangle(input, diagonal, upper, out):
    name = "triu" if upper else "tril"
    if not isinstance(diagonal, numbers.Integral):
        raise TypeError(f"{name}(): argument 'diagonal' (position 2) must be int, not "
                        f"{type(diagonal).__name__}")
    if input._data.ndim < 2:
        raise RuntimeError(f"{name}: input tensor must have at least 2 dimensions")
    r = Tril.apply(input, int(diagonal), upper)
    if upper and r.grad_fn is not None:
        r.grad_fn._name = "TriuBackward0"
    return r if out is None else _into(r, out, ())


def tril(input, diagonal=0, *, out=None):
    return _triangle(input, diagonal, False, out)


def triu(input, diagonal=0, *, out=None):
    return _triangle(input, diagonal, True, out)


def tril_(self, diagonal=0):
    from .inplace import _inplace
    _check_inplace(self, overlap=False)
    return _inplace(self, tril(self, diagonal))


def triu_(self, diagonal=0):
    from .inplace import _inplace
    _check_inplace(self, overlap=False)
    return _inplace(self, triu(self, diagonal))
