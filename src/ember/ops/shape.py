"""Shape and view ops: view/reshape, permute/transpose, squeeze/unsqueeze, expand, cat/stack,
split/chunk/unbind, flip/roll/repeat, tril/triu.

A view op returns a tensor on a NumPy view of its input's array, sharing the version counter,
and records how it was made (`_view_fn`: a chain of (op, args) from the base) so that an
in-place op on the view can rebase the base's history (`_rebase_view`, torch's CopySlices).
"""

import numbers

import numpy as np

from .._tensor import Size, Tensor, _dim, _wrap
from ..autograd.function import Op
from ._util import method, size_args, xp_of

_ndarray = np.ndarray


def _view(cls, input, *args):
    r = cls.run((input,), (input._data,) + args, {})
    r._vc = input._vc
    base = input._base
    r._base = input if base is None else base
    chain = input.__dict__.get("_view_fn") if base is not None else None
    r._view_fn = (chain or ()) + ((cls, args),)
    return r


Tensor._view_fn = None


def _replay(t, chain):
    for cls, args in chain:
        t = _view(cls, t, *args)
    return t


class CopySlices(Op):
    _name = "CopySlices"

    def forward(ctx, base, result, chain):
        ctx.chain = chain
        ctx.shape = base.shape
        return base

    def backward(ctx, grad):
        mask = _wrap(np.ones(ctx.shape, grad.dtype.np))
        region = _replay(mask, ctx.chain)
        region._data[...] = 0
        return grad * mask, _replay(grad, ctx.chain), None


def _rebase_view(view, result):
    base = view._base
    chain = view._view_fn
    old = _wrap(base._data, base._rg, base.grad_fn, base._output_nr)
    old._vc = base._vc
    if base.grad_fn is None and base._rg:
        old = base
    node = CopySlices.run((old, result, None), (base._data, result._data, chain), {})
    base.grad_fn = node.grad_fn
    base._output_nr = 0
    base._rg = True
    again = _replay(base, chain)
    view.grad_fn = again.grad_fn
    view._output_nr = again._output_nr
    view._rg = True


# ---------------------------------------------------------------- reshaping
def _infer(shape, numel):
    shape = list(shape)
    neg = [i for i, s in enumerate(shape) if s == -1]
    if len(neg) > 1:
        raise RuntimeError("only one dimension can be inferred")
    known = 1
    for s in shape:
        if s != -1:
            if s < 0:
                raise RuntimeError(f"invalid shape dimension {s}")
            known *= s
    if neg:
        if known == 0 or numel % known:
            raise RuntimeError(f"shape '{_fmt(shape)}' is invalid for input of size {numel}")
        shape[neg[0]] = numel // known
    elif known != numel:
        raise RuntimeError(f"shape '{_fmt(shape)}' is invalid for input of size {numel}")
    return tuple(shape)


def _fmt(shape):
    return "[" + ", ".join(str(s) for s in shape) + "]"


class View(Op):
    _name = "ViewBackward0"

    def forward(ctx, x, shape):
        ctx.in_shape = x.shape
        return np.reshape(x, shape, copy=False) if x.__class__ is _ndarray else x.view().reshape(
            shape)

    def backward(ctx, grad):
        return grad.reshape(ctx.in_shape), None


class UnsafeView(View):
    _name = "UnsafeViewBackward0"

    def forward(ctx, x, shape):
        ctx.in_shape = x.shape
        return x.reshape(shape)


@method("view")
def view(self, *shape, dtype=None):
    from .._dtype import dtype as _dt
    if dtype is not None or (len(shape) == 1 and isinstance(shape[0], _dt)):
        return _view_dtype(self, dtype if dtype is not None else shape[0])
    shape = _infer(_shape_arg(shape), self._data.size)
    try:
        return _view(View, self, shape)
    except ValueError:
        raise RuntimeError(
            "view size is not compatible with input tensor's size and stride (at least one "
            "dimension spans across two contiguous subspaces). Use .reshape(...) instead."
        ) from None


def _view_dtype(self, dtype):
    return _wrap(self._data.view(dtype.np))


def _shape_arg(shape):
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = shape[0]
    return tuple(int(s) for s in shape)


@method("reshape")
def reshape(input, *shape):
    shape = _infer(_shape_arg(shape), input._data.size)
    try:
        return _view(View, input, shape)
    except ValueError:
        return UnsafeView.run((input,), (input._data, shape), {})


@method("view_as")
def view_as(self, other):
    return self.view(other.shape)


@method("reshape_as")
def reshape_as(self, other):
    return self.reshape(other.shape)


@method("flatten")
def flatten(input, start_dim=0, end_dim=-1):
    nd = input._data.ndim
    if nd == 0:
        return input.reshape(1)
    s, e = _dim(start_dim, nd), _dim(end_dim, nd)
    if s > e:
        raise RuntimeError("flatten() has invalid args: start_dim cannot come after end_dim")
    if s == e:
        return input
    shp = input._data.shape
    n = 1
    for d in shp[s:e + 1]:
        n *= d
    return input.reshape(shp[:s] + (n,) + shp[e + 1:])


@method("unflatten")
def unflatten(input, dim, sizes):
    d = _dim(dim, input._data.ndim)
    shp = input._data.shape
    sizes = list(sizes)
    if -1 in sizes:
        known = int(np.prod([s for s in sizes if s != -1]))
        sizes[sizes.index(-1)] = shp[d] // known if known else 0
    if int(np.prod(sizes)) != shp[d]:
        raise RuntimeError(f"unflatten: Provided sizes {sizes} don't multiply up to the size of "
                           f"dim {dim} ({shp[d]}) in the input tensor")
    return input.view(shp[:d] + tuple(sizes) + shp[d + 1:])


class Permute(Op):
    _name = "PermuteBackward0"

    def forward(ctx, x, perm):
        ctx.inv = tuple(np.argsort(perm))
        return x.transpose(perm)

    def backward(ctx, grad):
        return grad.permute(ctx.inv), None


@method("permute")
def permute(input, *dims):
    if len(dims) == 1 and isinstance(dims[0], (tuple, list)):
        dims = dims[0]
    nd = input._data.ndim
    if len(dims) != nd:
        raise RuntimeError(f"permute(sparse_coo): number of dimensions in the tensor input does "
                           f"not match the length of the desired ordering of dimensions i.e. "
                           f"input.dim() = {nd} is not equal to len(dims) = {len(dims)}")
    perm = tuple(_dim(d, nd) for d in dims)
    if len(set(perm)) != nd:
        raise RuntimeError("permute(): duplicate dims are not allowed.")
    return _view(Permute, input, perm)


class Transpose(Op):
    _name = "TransposeBackward0"

    def forward(ctx, x, d0, d1):
        ctx.d = (d0, d1)
        return x.swapaxes(d0, d1)

    def backward(ctx, grad):
        return grad.transpose(*ctx.d), None, None


@method("transpose", "swapaxes", "swapdims")
def transpose(input, dim0, dim1=None):
    if dim1 is None and isinstance(dim0, (tuple, list)):  # np.transpose(t, axes)
        return permute(input, dim0)
    nd = input._data.ndim
    return _view(Transpose, input, _dim(dim0, nd), _dim(dim1, nd))


swapaxes = swapdims = transpose


class T(Transpose):
    _name = "TBackward0"

    def backward(ctx, grad):
        return grad.t(), None, None


@method("t")
def t(input):
    nd = input._data.ndim
    if nd > 2:
        raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is {nd}D")
    if nd < 2:
        return _view(T, input, 0, 0)
    return _view(T, input, 0, 1)


@method("adjoint")
def adjoint(input):
    return input.mT


@method("movedim", "moveaxis")
def movedim(input, source, destination):
    nd = input._data.ndim
    src = [source] if isinstance(source, int) else list(source)
    dst = [destination] if isinstance(destination, int) else list(destination)
    src, dst = [_dim(s, nd) for s in src], [_dim(d, nd) for d in dst]
    order = [i for i in range(nd) if i not in src]
    for d, s in sorted(zip(dst, src)):
        order.insert(d, s)
    return permute(input, order)


moveaxis = movedim


class Squeeze(Op):
    _name = "SqueezeBackward0"

    def forward(ctx, x, axes):
        ctx.in_shape = x.shape
        return x.reshape(tuple(s for i, s in enumerate(x.shape) if i not in axes))

    def backward(ctx, grad):
        return grad.reshape(ctx.in_shape), None


@method("squeeze")
def squeeze(input, dim=None, *, axis=None):
    if dim is None:
        dim = axis
    shp = input._data.shape
    nd = len(shp)
    if dim is None:
        axes = tuple(i for i, s in enumerate(shp) if s == 1)
    else:
        ds = (dim,) if isinstance(dim, numbers.Integral) else tuple(dim)
        axes = tuple(a for a in (_dim(d, nd) for d in ds) if nd and shp[a] == 1)
    r = _view(Squeeze, input, axes)
    if dim is not None and r.grad_fn is not None:
        r.grad_fn._name = "SqueezeBackward1"
    return r


class Unsqueeze(Op):
    _name = "UnsqueezeBackward0"

    def forward(ctx, x, d):
        ctx.in_shape = x.shape
        return x.reshape(x.shape[:d] + (1,) + x.shape[d:])

    def backward(ctx, grad):
        return grad.reshape(ctx.in_shape), None


@method("unsqueeze")
def unsqueeze(input, dim):
    return _view(Unsqueeze, input, _dim(dim, input._data.ndim + 1))


class Expand(Op):
    _name = "ExpandBackward0"

    def forward(ctx, x, shape):
        ctx.in_shape = x.shape
        xp = np if x.__class__ is _ndarray else None
        pad = (1,) * (len(shape) - x.ndim) + x.shape
        strides = (0,) * (len(shape) - x.ndim) + x.strides
        strides = tuple(0 if p == 1 and s != 1 else st for p, s, st in zip(pad, shape, strides))
        if xp is np:
            return np.lib.stride_tricks.as_strided(x, shape, strides)
        return x.reshape(pad) + 0 * x.reshape(pad)  # cupy: materialise (rare path)

    def backward(ctx, grad):
        return grad.sum_to_size(ctx.in_shape), None


@method("expand")
def expand(input, *sizes):
    sizes = _shape_arg(sizes)
    shp = input._data.shape
    if len(sizes) < len(shp):
        raise RuntimeError(f"expand(torch.FloatTensor{{{_fmt(shp)}}}, size={_fmt(sizes)}): the "
                           "number of sizes provided (" + str(len(sizes)) + ") must be greater "
                           "or equal to the number of dimensions in the tensor (" + str(len(shp))
                           + ")")
    pad = (1,) * (len(sizes) - len(shp)) + shp
    out = []
    for i, (p, s) in enumerate(zip(pad, sizes)):
        if s == -1:
            if i < len(sizes) - len(shp):
                raise RuntimeError(f"The expanded size of the tensor (-1) isn't allowed in a "
                                   f"leading, non-existing dimension {i}")
            s = p
        if p != s and p != 1:
            raise RuntimeError(f"The expanded size of the tensor ({s}) must match the existing "
                               f"size ({p}) at non-singleton dimension {i}.  Target sizes: "
                               f"{_fmt(sizes)}.  Tensor sizes: {_fmt(shp)}")
        out.append(s)
    return _view(Expand, input, tuple(out))


@method("expand_as")
def expand_as(self, other):
    return self.expand(other.shape)


def broadcast_to(input, size):
    return input.expand(size)


Tensor.broadcast_to = broadcast_to


def broadcast_tensors(*tensors):
    shape = np.broadcast_shapes(*(t.shape for t in tensors))
    return tuple(t.expand(shape) for t in tensors)


def broadcast_shapes(*shapes):
    return Size(np.broadcast_shapes(*shapes))


@method("contiguous")
def contiguous(self, memory_format=None):
    if self.is_contiguous():
        return self
    return Clone.apply(self)


class Clone(Op):
    _name = "CloneBackward0"

    def forward(ctx, x):
        return x.copy()

    def backward(ctx, grad):
        return grad


@method("clone")
def clone(input, *, memory_format=None):
    return Clone.apply(input)


class SumToSize(Op):
    _name = "SumBackward1"

    def forward(ctx, x, shape):
        ctx.in_shape = x.shape
        lead = x.ndim - len(shape)
        axes = tuple(range(lead)) + tuple(i + lead for i, s in enumerate(shape)
                                          if s == 1 and x.shape[i + lead] != 1)
        r = x.sum(axis=axes, keepdims=True) if axes else x
        return r.reshape(shape)

    def backward(ctx, grad):
        return grad.expand(ctx.in_shape), None


@method("sum_to_size")
def sum_to_size(self, *size):
    shape = _shape_arg(size)
    if self._data.shape == shape:
        return self
    return SumToSize.apply(self, shape)


# ---------------------------------------------------------------- joining and splitting
class Cat(Op):
    _name = "CatBackward0"

    def forward(ctx, *arrays, dim):
        ctx.dim = dim
        ctx.sizes = [a.shape[dim] if a.ndim else 0 for a in arrays]
        xp = np if arrays[0].__class__ is _ndarray else None
        return (xp or _cp()).concatenate(arrays, axis=dim)

    def backward(ctx, grad):
        out, start = [], 0
        for s in ctx.sizes:
            out.append(grad.narrow(ctx.dim, start, s) if s else None)
            start += s
        return tuple(out)


def _cp():
    import importlib
    return importlib.import_module("cupy")


def cat(tensors, dim=0, *, out=None, axis=None):
    from ._util import result_type
    if axis is not None:
        dim = axis
    tensors = list(tensors)
    if not tensors:
        raise RuntimeError("torch.cat(): expected a non-empty list of Tensors")
    # legacy rule: 1-d empty tensors are skipped
    real = [t for t in tensors if not (t._data.ndim == 1 and t._data.shape[0] == 0)]
    if not real:
        return tensors[0].clone()
    ref = real[0]
    nd = ref._data.ndim
    if nd == 0:
        raise RuntimeError("zero-dimensional tensor (at position 0) cannot be concatenated")
    d = _dim(dim, nd)
    dt = result_type(*real)
    for i, t in enumerate(real):
        if t._data.ndim != nd:
            raise RuntimeError(f"Tensors must have same number of dimensions: got {nd} and "
                               f"{t._data.ndim}")
        for k in range(nd):
            if k != d and t._data.shape[k] != ref._data.shape[k]:
                raise RuntimeError(f"Sizes of tensors must match except in dimension {d}. "
                                   f"Expected size {ref._data.shape[k]} but got size "
                                   f"{t._data.shape[k]} for tensor number {tensors.index(t)} "
                                   "in the list.")
    arrays = [t._data if t.dtype is dt else t._data.astype(dt.np) for t in real]
    r = Cat.run(tuple(real), arrays, {"dim": d})
    if out is not None:
        from .pointwise import _out
        return _out(r, out)
    return r


concat = concatenate = cat


def stack(tensors, dim=0, *, out=None):
    tensors = list(tensors)
    if not tensors:
        raise RuntimeError("stack expects a non-empty TensorList")
    s0 = tensors[0].shape
    for i, t in enumerate(tensors):
        if t.shape != s0:
            raise RuntimeError(f"stack expects each tensor to be equal size, but got {_fmt(s0)} "
                               f"at entry 0 and {_fmt(t.shape)} at entry {i}")
    d = _dim(dim, len(s0) + 1)
    r = cat([t.unsqueeze(d) for t in tensors], d, out=out)
    if r.grad_fn is not None:
        r.grad_fn._name = "StackBackward0"
    return r


def hstack(tensors):
    return cat(tensors, 0 if tensors[0].dim() == 1 else 1)


def vstack(tensors):
    return cat([t.reshape(1, -1) if t.dim() < 2 else t for t in tensors], 0)


def dstack(tensors):
    return cat([t.reshape(1, -1, 1) if t.dim() == 1 else t.unsqueeze(-1) if t.dim() == 2
                else t for t in tensors], 2)


def column_stack(tensors):
    return cat([t.reshape(-1, 1) if t.dim() < 2 else t for t in tensors], 1)


class Narrow(Op):
    _name = "SliceBackward0"

    def forward(ctx, x, dim, start, length):
        ctx.in_shape, ctx.dim, ctx.start = x.shape, dim, start
        idx = (slice(None),) * dim + (slice(start, start + length),)
        return x[idx]

    def backward(ctx, grad):
        from .index import _pad_into
        return _pad_into(grad, ctx.in_shape, ctx.dim, ctx.start), None, None, None


@method("narrow")
def narrow(input, dim, start, length):
    d = _dim(dim, input._data.ndim)
    size = input._data.shape[d]
    if isinstance(start, Tensor):
        start = int(start)
    if start < 0:
        start += size
    if start < 0 or start + length > size:
        raise RuntimeError(f"start ({start}) + length ({length}) exceeds dimension size "
                           f"({size}).")
    return _view(Narrow, input, d, start, length)


class Split(Op):
    _name = "SplitBackward0"

    def forward(ctx, x, dim, sizes):
        ctx.dim, ctx.in_shape = dim, x.shape
        out, start = [], 0
        for s in sizes:
            out.append(x[(slice(None),) * dim + (slice(start, start + s),)])
            start += s
        return tuple(out)

    def backward(ctx, *grads):
        return cat(list(grads), ctx.dim), None, None


def _split_views(input, d, sizes, name="SplitBackward0"):
    outs = Split.run((input,), (input._data, d, sizes), {})
    if outs and outs[0].grad_fn is not None:
        outs[0].grad_fn._name = name
    base = input if input._base is None else input._base
    for o in outs:
        o._vc = input._vc
        o._base = base
    return outs


@method("split")
def split(tensor, split_size_or_sections, dim=0):
    d = _dim(dim, tensor._data.ndim)
    n = tensor._data.shape[d]
    if isinstance(split_size_or_sections, int):
        s = split_size_or_sections
        sizes = [s] * (n // s) + ([n % s] if n % s else []) if s else [0]
        if n == 0:
            sizes = [0]
    else:
        sizes = list(split_size_or_sections)
        if sum(sizes) != n:
            raise RuntimeError(f"split_with_sizes expects split_sizes to sum exactly to {n} "
                               f"(input tensor's size at dimension {d}), but got split_sizes="
                               f"{sizes}")
        outs = _split_views(tensor, d, sizes)
        if outs and outs[0].grad_fn is not None:
            outs[0].grad_fn._name = "SplitWithSizesBackward0"
        return outs
    return _split_views(tensor, d, sizes)


@method("chunk")
def chunk(input, chunks, dim=0):
    d = _dim(dim, input._data.ndim)
    n = input._data.shape[d]
    size = -(-n // chunks) if chunks else 0
    return split(input, max(size, 1) if n else 1, d) if n else split(input, [0], d)


@method("tensor_split")
def tensor_split(input, indices_or_sections, dim=0):
    d = _dim(dim, input._data.ndim)
    n = input._data.shape[d]
    if isinstance(indices_or_sections, int):
        k = indices_or_sections
        sizes = [n // k + 1] * (n % k) + [n // k] * (k - n % k)
    else:
        idx = [0] + list(indices_or_sections) + [n]
        sizes = [max(min(b, n) - min(a, n), 0) for a, b in zip(idx, idx[1:])]
    return _split_views(input, d, sizes)


class Unbind(Op):
    _name = "UnbindBackward0"

    def forward(ctx, x, dim):
        ctx.dim = dim
        return tuple(x[(slice(None),) * dim + (i,)] for i in range(x.shape[dim]))

    def backward(ctx, *grads):
        return stack(list(grads), ctx.dim), None


@method("unbind")
def unbind(input, dim=0):
    d = _dim(dim, input._data.ndim)
    outs = Unbind.run((input,), (input._data, d), {})
    base = input if input._base is None else input._base
    for o in outs:
        o._vc = input._vc
        o._base = base
    return outs


class Flip(Op):
    _name = "FlipBackward0"

    def forward(ctx, x, axes):
        ctx.axes = axes
        xp = np if x.__class__ is _ndarray else _cp()
        return xp.flip(x, axes).copy()

    def backward(ctx, grad):
        return grad.flip(ctx.axes), None


@method("flip")
def flip(input, *dims):
    if len(dims) == 1 and isinstance(dims[0], (tuple, list)):
        dims = dims[0]
    nd = input._data.ndim
    return Flip.apply(input, tuple(_dim(d, nd) for d in dims))


@method("fliplr")
def fliplr(input):
    return flip(input, 1)


@method("flipud")
def flipud(input):
    return flip(input, 0)


class Roll(Op):
    _name = "RollBackward0"

    def forward(ctx, x, shifts, dims):
        ctx.shifts, ctx.dims = shifts, dims
        xp = np if x.__class__ is _ndarray else _cp()
        return xp.roll(x, shifts, dims)

    def backward(ctx, grad):
        neg = tuple(-s for s in ctx.shifts) if isinstance(ctx.shifts, tuple) else -ctx.shifts
        return grad.roll(neg, ctx.dims), None, None


@method("roll")
def roll(input, shifts, dims=None):
    if dims is None:
        return Roll.apply(input.flatten(), shifts, None).view(input.shape)
    if isinstance(shifts, int):
        shifts, dims = (shifts,), (dims,) if isinstance(dims, int) else tuple(dims)
    return Roll.apply(input, tuple(shifts), tuple(_dim(d, input._data.ndim) for d in dims))


class Repeat(Op):
    _name = "RepeatBackward0"

    def forward(ctx, x, reps):
        ctx.in_shape = x.shape
        ctx.reps = reps
        xp = np if x.__class__ is _ndarray else _cp()
        return xp.tile(x, reps)

    def backward(ctx, grad):
        reps, shp = ctx.reps, ctx.in_shape
        lead = len(reps) - len(shp)
        full = (1,) * lead + tuple(shp)
        inter = []
        for r, s in zip(reps, full):
            inter += [r, s]
        g = grad.reshape(inter).sum(tuple(range(0, 2 * len(reps), 2)))
        return g.reshape(shp), None


@method("repeat")
def repeat(input, *sizes):
    reps = _shape_arg(sizes)
    if len(reps) < input._data.ndim:
        raise RuntimeError("Number of dimensions of repeat dims can not be smaller than number "
                           "of dimensions of tensor")
    return Repeat.apply(input, reps)


@method("tile")
def tile(input, dims):
    dims = tuple(dims)
    dims = (1,) * (input._data.ndim - len(dims)) + dims
    return repeat(input, dims)


@method("repeat_interleave")
def repeat_interleave(input, repeats=None, dim=None, *, output_size=None):
    if repeats is None:  # torch.repeat_interleave(repeats_tensor)
        reps = input._data
        return _wrap(np.repeat(np.arange(len(reps)), reps))
    if dim is None:
        input, dim = input.flatten(), 0
    d = _dim(dim, input._data.ndim)
    if isinstance(repeats, Tensor):
        if repeats._data.ndim == 0 or repeats._data.size == 1:
            repeats = int(repeats)
        else:
            from .index import index_select
            idx = np.repeat(np.arange(input._data.shape[d]), repeats._data)
            return index_select(input, d, _wrap(idx))
    shp = input._data.shape
    r = input.unsqueeze(d + 1).expand(shp[:d + 1] + (repeats,) + shp[d + 1:])
    return r.reshape(shp[:d] + (shp[d] * repeats,) + shp[d + 1:])


class Tril(Op):
    _name = "TrilBackward0"

    def forward(ctx, x, k, upper):
        ctx.k, ctx.upper = k, upper
        xp = np if x.__class__ is _ndarray else _cp()
        return xp.triu(x, k) if upper else xp.tril(x, k)

    def backward(ctx, grad):
        return (grad.triu(ctx.k) if ctx.upper else grad.tril(ctx.k)), None, None


@method("tril")
def tril(input, diagonal=0, *, out=None):
    if input._data.ndim < 2:
        raise RuntimeError("tril: input tensor must have at least 2 dimensions")
    return Tril.apply(input, diagonal, False)


@method("triu")
def triu(input, diagonal=0, *, out=None):
    if input._data.ndim < 2:
        raise RuntimeError("triu: input tensor must have at least 2 dimensions")
    r = Tril.apply(input, diagonal, True)
    if r.grad_fn is not None:
        r.grad_fn._name = "TriuBackward0"
    return r


@method("tril_")
def tril_(self, diagonal=0):
    from .pointwise import _inplace
    return _inplace(self, tril(self, diagonal))


@method("triu_")
def triu_(self, diagonal=0):
    from .pointwise import _inplace
    return _inplace(self, triu(self, diagonal))


@method("resize_")
def resize_(self, *sizes):
    shape = size_args(sizes)
    n = int(np.prod(shape))
    flat = self._data.reshape(-1) if self._data.flags.c_contiguous else self._data.ravel()
    if n <= flat.size:
        self._data = flat[:n].reshape(shape)
    else:
        xp = xp_of(self)
        new = xp.zeros(n, self._data.dtype)
        new[:flat.size] = flat
        self._data = new.reshape(shape)
    self._bump()
    return self


@method("resize_as_")
def resize_as_(self, other):
    return resize_(self, other.shape)


def atleast_1d(t):
    return t.reshape(1) if t.dim() == 0 else t


def atleast_2d(t):
    return t.reshape(1, -1) if t.dim() < 2 else t
