"""Shape and view ops: view/reshape, permute/transpose, squeeze/unsqueeze, expand, cat/stack,
split/chunk/unbind, flip/roll/repeat, tril/triu.

A view op returns a tensor on a NumPy view of its input's array, sharing the version counter,
and records how it was made (`_view_fn`: a chain of (op, args) from the base) so that an
in-place op on the view can rebase the base's history (`_rebase_view`, torch's CopySlices).
"""

import numbers
from weakref import WeakSet

import numpy as np

from .. import _dtype as D
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
    if r._rg:
        root = r._base
        if root.grad_fn is not None:  # an in-place op on root may later change its history
            views = root.__dict__.get("_views")
            if views is None:
                views = root.__dict__["_views"] = WeakSet()
            views.add(r)
    return r


Tensor._view_fn = None


def _refresh_views(t):
    """After an in-place op recorded on `t`, the other live views of its base take their
    grad_fn from the base's new history, as torch regenerates them (AsStridedBackward0)."""
    root = t if t._base is None else t._base
    views = root.__dict__.get("_views")
    if not views:
        return
    for v in list(views):
        chain = v._view_fn
        if v is t or chain is None or chain is _MULTI:
            continue
        again = _replay(root, chain)
        if again.grad_fn is not None:
            again.grad_fn._name = "AsStridedBackward0"
            v.grad_fn, v._output_nr, v._rg = again.grad_fn, again._output_nr, True


def _replay(t, chain):
    for cls, args in chain:
        t = _view(cls, t, *args)
    return t


class CopySlices(Op):
    _name = "torch::autograd::CopySlices"

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
    if chain is _MULTI:
        name = view.grad_fn.name().replace("Backward0", "") if view.grad_fn is not None \
            else "a multi-output view op"
        raise RuntimeError(
            f"Output {view._output_nr} of {name} is a view and is being modified inplace. This "
            "view is the output of a function that returns multiple views. Such functions do "
            "not allow the output views to be modified inplace. You should replace the inplace "
            "operation by an out-of-place one.")
    old = _wrap(base._data, base._rg, base.grad_fn, base._output_nr)
    old._vc = base._vc
    if base.grad_fn is None and base._rg:
        old = base
    node = CopySlices.run((old, result, None), (base._data, result._data, chain), {})
    base.grad_fn = node.grad_fn
    base._output_nr = 0
    base._rg = True
    again = _replay(base, chain)
    if again.grad_fn is not None:
        again.grad_fn._name = "AsStridedBackward0"  # torch regenerates the view as as_strided
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
    for i, s in enumerate(shape):
        if s != -1:
            if s < 0:
                raise RuntimeError(f"invalid shape dimension {s} at index {i} of shape "
                                   f"{_fmt(shape)}")
            known *= s
    if neg:
        if known == 0 and numel == 0:
            raise RuntimeError(f"cannot reshape tensor of 0 elements into shape {_fmt(shape)} "
                               "because the unspecified dimension size -1 can be any value and "
                               "is ambiguous")
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


class ReshapeAlias(View):
    _name = "ReshapeAliasBackward0"


@method("reshape")
def reshape(input, *shape):
    shape = _infer(_shape_arg(shape), input._data.size)
    try:
        return _view(View if input.is_contiguous() else ReshapeAlias, input, shape)
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
        return x.swapaxes(d0, d1) if x.ndim else x.view()

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
    return _view(T, input, 0, min(nd, 2) - 1) if nd else _view(T, input, -1, -1)


@method("adjoint")
def adjoint(input):
    return input.mT


@method("movedim", "moveaxis")
def movedim(input, source, destination):
    nd = input._data.ndim
    src = [source] if isinstance(source, numbers.Integral) else list(source)
    dst = [destination] if isinstance(destination, numbers.Integral) else list(destination)
    if len(src) != len(dst):
        raise RuntimeError(f"movedim: Invalid source or destination dims: source ({_fmt(src)} "
                           f"dims) should contain the same number of dims as destination "
                           f"({_fmt(dst)} dims)")
    src, dst = [_dim(s, nd) for s in src], [_dim(d, nd) for d in dst]
    for name, ds in (("source", src), ("destination", dst)):
        if len(set(ds)) != len(ds):
            raise RuntimeError(f"movedim: repeated dim in `{name}` ({_fmt(ds)})")
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
        r.grad_fn._name = "SqueezeBackward1" if isinstance(dim, numbers.Integral) else \
            "SqueezeBackward2"
    return r


def _restride(a, strides):
    """`a` with torch's strides (in elements); only size-1 dims may differ from NumPy's."""
    st = tuple(v * a.itemsize for v in strides)
    if st == a.strides or a.__class__ is not _ndarray:
        return a
    return np.lib.stride_tricks.as_strided(a, a.shape, st)


class Unsqueeze(Op):
    _name = "UnsqueezeBackward0"

    def forward(ctx, x, d):
        ctx.in_shape = x.shape
        st = [v // x.itemsize for v in x.strides]
        st.insert(d, st[d] * x.shape[d] if d < x.ndim else 1)  # torch's stride for the new dim
        return _restride(x.reshape(x.shape[:d] + (1,) + x.shape[d:]), st)

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
        raise RuntimeError(f"expand(torch.{input.dtype._legacy}{{{_fmt(shp)}}}, "
                           f"size={_fmt(sizes)}): the "
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


def broadcast_to(input, *size):
    return input.expand(_shape_arg(size))


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
    return Clone.apply(self, "C")


class Clone(Op):
    _name = "CloneBackward0"

    def forward(ctx, x, order="K"):  # K: torch's preserve_format; C: contiguous_format
        return x.copy(order="C" if 0 in x.strides else order)  # expanded: torch's is row-major

    def backward(ctx, grad):
        return grad, None


@method("clone")
def clone(input, *, memory_format=None):
    if memory_format is D.contiguous_format:
        return Clone.apply(input, "C")
    return Clone.apply(input)  # preserve_format: a dense input keeps its strides, as in torch


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


# ---------------------------------------------------------------- slicing and splitting
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

    def forward(ctx, x, dim, sizes):
        ctx.dim = dim
        out, start = [], 0
        for s in sizes:
            out.append(x[(slice(None),) * dim + (slice(start, start + s),)])
            start += s
        return tuple(out)

    def backward(ctx, *grads):
        from .rearrange import cat
        return cat(list(grads), ctx.dim), None, None


_MULTI = ((None, None),)  # _view_fn of an output of a multi-view op: in-place is refused


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


@method("split")
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
    sizes = [int(v) for v in split_size_or_sections]
    if sum(sizes) != n or any(v < 0 for v in sizes):
        raise RuntimeError(f"split_with_sizes expects split_sizes to sum exactly to {n} "
                           f"(input tensor's size at dimension {d}), but got split_sizes="
                           f"{_fmt(sizes)}")
    return _split_views(tensor, d, sizes, "SplitWithSizesBackward0")


@method("chunk")
def chunk(input, chunks, dim=0):
    if input._data.ndim == 0:
        raise RuntimeError("chunk expects at least a 1-dimensional tensor")
    if chunks <= 0:
        raise RuntimeError(f"chunk expects `chunks` to be greater than 0, got: {chunks}")
    d = _dim(dim, input._data.ndim)
    n = input._data.shape[d]
    return split(input, -(-n // chunks) if n else 0, d)


@method("tensor_split")
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

    def forward(ctx, x, dim):
        ctx.dim = dim
        return tuple(x[(slice(None),) * dim + (i, Ellipsis)] for i in range(x.shape[dim]))

    def backward(ctx, *grads):
        from .rearrange import stack
        return stack(list(grads), ctx.dim), None


@method("unbind")
def unbind(input, dim=0):
    if input._data.ndim == 0:
        raise IndexError("Dimension specified as 0 but tensor has no dimensions")
    d = _dim(dim, input._data.ndim)
    return _multi_views(input, Unbind.run((input,), (input._data, d), {}))


@method("resize_")
def resize_(self, *sizes):
    shape = size_args(sizes)
    if shape == self._data.shape:
        return self  # torch keeps the strides and the version when the shape is unchanged
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


def __getattr__(name):  # cat and stack live in rearrange.py; `from .shape import cat` still works
    if name in ("cat", "stack", "concat", "concatenate", "hstack", "vstack"):
        from . import rearrange
        return getattr(rearrange, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
