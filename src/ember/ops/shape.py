"""Shape and view ops: the view machinery (`_view`, torch's geometry of a view, rebasing a view's
history after an in-place op), view/reshape/flatten, permute/transpose/movedim,
squeeze/unsqueeze, expand/broadcast, clone/contiguous, sum_to_size, resize_. Slicing and
splitting views live in split.py, cat/stack/flip/roll/repeat/tril/triu in rearrange.py.

A view op returns a tensor on a NumPy view of its input's array, sharing the version counter,
and records how it was made (`_view_fn`: a chain of (op, args) from the base) so that an
in-place op on the view can rebase the base's history (`_rebase_view`, torch's CopySlices).
"""

__all__ = ["reshape", "flatten", "unflatten", "permute", "transpose", "swapaxes", "swapdims", "t",
           "adjoint", "movedim", "moveaxis", "squeeze", "unsqueeze", "broadcast_to",
           "broadcast_tensors", "broadcast_shapes", "clone", "resize_as_"]

import numbers
from weakref import WeakSet

import numpy as np

from .. import _dtype as D
from .. import _layout as L
from .._device import array_module
from .._tensor import Size, Tensor, _dim, _wrap
from ..autograd import forward_ad as _fwd
from ..autograd import grad_mode as _gm
from ..autograd.function import Op
from ._util import size_args, xp_of

_ndarray = np.ndarray


def _view(cls, input, *args):
    x = input._data
    r = cls.run((input,), (x,) + args, {})
    geom = cls._geom
    if geom is not None:
        a = r._data
        shp = a.shape
        if 0 in shp or 1 in shp or type(x) is not _ndarray:  # where NumPy may differ
            r._data = _torch_view(x, a, geom, args)
    r._vc = input._vc
    base = input._base
    r._base = input if base is None else base
    chain = input.__dict__.get("_view_fn") if base is not None else None
    r._view_fn = (chain or ()) + ((cls, args),)
    if not _gm._enabled[0] and r._base._rg:  # torch forbids its in-place use with grad on
        r.__dict__["_nograd_view"] = True
    if r._rg:
        root = r._base
        if root.grad_fn is not None:  # an in-place op on root may later change its history
            views = root.__dict__.get("_views")
            if views is None:
                views = root.__dict__["_views"] = WeakSet()
            views.add(r)
    return r


Tensor._view_fn = None


def _torch_view(x, a, geom, args):
    """The view `a` of `x` with torch's strides (and, if empty, torch's storage offset).

    A view op class gives its torch geometry as `_geom(shape, strides, *args)`, returning
    (strides, offset of the view's first element from x's) in elements (None: NumPy's view is
    torch's already, as for as_strided, diagonal and unfold, which set their strides).
    NumPy and torch agree on every dimension of size > 1 of a non-empty view, so only views
    with a dimension of size 0 or 1 are checked."""
    shp = a.shape
    if type(x) is L.MetaArray:  # NumPy's strides are all zero: torch's are kept beside
        strides, delta = geom(x.shape, L.strides_of(x), *args)
        return L.shifted(x, delta, shp, strides)
    if a.__class__ is not _ndarray:
        return a
    if 0 in shp or 1 in shp:
        strides, delta = geom(x.shape, L.strides_of(x), *args)
        if a.size:
            return L.restride(a, strides)
        return L.shifted(x, delta, shp, strides)
    return a


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
        g = grad._data
        mask = _wrap((np if isinstance(g, np.ndarray) else array_module(g)).ones(ctx.shape,
                                                                                 grad.dtype.np))
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
    jvp = _fwd.linear

    def forward(ctx, x, shape):  # the caller has checked with torch's rule that it is a view
        ctx.in_shape = x.shape
        if x.__class__ is not _ndarray:
            return x.view().reshape(shape)
        try:
            return np.reshape(x, shape, copy=False)
        except ValueError:  # NumPy disagrees on a size-0/1 corner: build torch's view directly
            st = L.view_strides(x.shape, L.strides_of(x), shape)
            return L.shifted(x, 0, shape, st)

    def backward(ctx, grad):
        return grad.reshape(ctx.in_shape), None

    def _geom(shape, strides, new_shape):
        return L.view_strides(shape, strides, new_shape), 0


class UnsafeView(View):
    _name = "UnsafeViewBackward0"
    _geom = None

    def forward(ctx, x, shape):
        ctx.in_shape = x.shape
        return x.reshape(shape)


_VIEW_SIGS = ("view() received an invalid combination of arguments - got ({}), but expected one "
              "of:\n * (torch.dtype dtype){}\n * (tuple of ints size){}\n")


def _tname(v):
    if isinstance(v, Tensor):
        return "Tensor"
    if isinstance(v, D.dtype):
        return "torch.dtype"
    return type(v).__name__


def _is_int(v):
    if isinstance(v, Tensor):
        dt = v.dtype
        return v._data.ndim == 0 and not (dt.is_floating_point or dt.is_complex or dt is D.bool_)
    return isinstance(v, numbers.Integral) and not isinstance(v, bool)


def _int_list(name, argname, args, pos=1):
    """An int-list argument given as varargs or as one sequence, refused as torch's parser
    refuses it."""
    if len(args) == 1:  # the common forms first: plain ints, or one tuple/list of them
        a = args[0]
        if a.__class__ is int:
            return args
        if isinstance(a, (tuple, list)) and all(v.__class__ is int for v in a):
            return tuple(a)
    elif args and all(v.__class__ is int for v in args):
        return args
    if not args:
        raise TypeError(f'{name}() missing 1 required positional arguments: "{argname}"')
    if len(args) == 1:
        a = args[0]
        if isinstance(a, (tuple, list)):
            for i, v in enumerate(a):
                if not _is_int(v):
                    raise TypeError(f"{name}(): argument '{argname}' (position {pos}) must be "
                                    f"tuple of ints, but found element of type {_tname(v)} at "
                                    f"pos {i}")
            return tuple(int(v) for v in a)
        if _is_int(a):
            return (int(a),)
        raise TypeError(f"{name}(): argument '{argname}' (position {pos}) must be tuple of ints, "
                        f"not {_tname(a)}")
    if not _is_int(args[0]):
        raise TypeError(f"{name}() takes {pos} positional argument{'s' if pos > 1 else ''} but "
                        f"{len(args) + pos - 1} were given")
    for i, v in enumerate(args):
        if not _is_int(v):
            raise TypeError(f"{name}(): argument '{argname}' failed to unpack the object at pos "
                            f"{i + 1} with error \"type must be tuple of ints,but got "
                            f"{_tname(v)}\"")
    return tuple(int(v) for v in args)


def _int_arg(name, argname, v, pos):
    if not _is_int(v):
        raise TypeError(f"{name}(): argument '{argname}' (position {pos}) must be int, not "
                        f"{_tname(v)}")
    return int(v)


def _view_args(shape, dtype):
    """view(*shape) / view(dtype): the dtype, or the shape; torch's error for anything else."""
    if dtype is None and len(shape) > 1 and all(v.__class__ is int for v in shape):
        return None, shape
    if dtype is not None:
        if shape:
            got = ", ".join([_tname(v) for v in shape] + ["dtype=torch.dtype"])
            raise TypeError(_VIEW_SIGS.format(got, "", ""))
        return dtype, None
    if len(shape) == 1:
        a = shape[0]
        if isinstance(a, D.dtype):
            return a, None
        if _is_int(a) or isinstance(a, (tuple, list)) and all(_is_int(v) for v in a):
            return None, _int_list("view", "size", shape)
        got = _tname(a)
        if isinstance(a, (tuple, list)):
            inner = ", ".join(_tname(v) for v in a)
            got += f" of [{inner}]" if isinstance(a, list) else f" of ({inner})"
        why = f"\n      didn't match because some of the arguments have invalid types: (!{got}!)"
        raise TypeError(_VIEW_SIGS.format(_tname(a), why, why))
    if not shape or not _is_int(shape[0]):
        raise TypeError(_VIEW_SIGS.format(", ".join(_tname(v) for v in shape), "", ""))
    return None, _int_list("view", "size", shape)


def view(self, *shape, dtype=None):  # view(size=...) comes through _util.install_torch_args
    dtype, shape = _view_args(shape, dtype)
    if dtype is not None:
        return _view_dtype(self, dtype)
    shape = _infer(shape, self._data.size)
    if not _viewable(self._data, shape):
        raise RuntimeError(
            "view size is not compatible with input tensor's size and stride (at least one "
            "dimension spans across two contiguous subspaces). Use .reshape(...) instead.")
    return _view(View, self, shape)


def _viewable(a, shape):
    """torch's rule (computeStride) for whether `a` can be seen with `shape` without a copy."""
    if a.flags.c_contiguous:
        return True
    return L.view_strides(a.shape, L.strides_of(a), shape) is not None


def _view_dtype(self, dtype):
    a = self._data
    old, new = a.itemsize, dtype.itemsize
    if old != new:
        what = (f"to view {self.dtype._legacy[:-6]} as {dtype._legacy[:-6]} (different element "
                "sizes)")
        if a.ndim == 0:
            raise RuntimeError(f"self.dim() cannot be 0 {what}")
        st = self.stride()
        if old < new:
            k = new // old
            if a.shape[-1] % k:
                raise RuntimeError(f"self.size(-1) must be divisible by {k} {what}, but got "
                                   f"{a.shape[-1]}")
        if st[-1] != 1:
            raise RuntimeError(f"self.stride(-1) must be 1 {what}, but got {st[-1]}")
        if old < new:
            if self.storage_offset() % k:
                raise RuntimeError(f"self.storage_offset() must be divisible by {k} {what}, but "
                                   f"got {self.storage_offset()}")
            for i, v in enumerate(st[:-1]):
                if v % k:
                    raise RuntimeError(f"self.stride({i}) must be divisible by {k} {what}, but "
                                       f"got {v}")
    r = _wrap(a.view(dtype.np))
    r._vc = self._vc
    r._base = self if self._base is None else self._base
    return r


def _shape_arg(shape):
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = shape[0]
    return tuple(int(s) for s in shape)


class ReshapeAlias(View):
    _name = "ReshapeAliasBackward0"


def reshape(input, *shape):
    shape = _infer(_int_list("reshape", "shape", shape), input._data.size)
    a = input._data
    if a.flags.c_contiguous:
        return _view(View, input, shape)
    if _viewable(a, shape):
        return _view(ReshapeAlias, input, shape)
    return UnsafeView.run((input,), (a, shape), {})


def view_as(self, other):
    return self.view(other.shape)


def reshape_as(self, other):
    return self.reshape(other.shape)


def flatten(input, start_dim=0, end_dim=-1):
    _int_arg("flatten", "start_dim", start_dim, 1)
    _int_arg("flatten", "end_dim", end_dim, 2)
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


def unflatten(input, dim, sizes):
    if not isinstance(sizes, (tuple, list)):
        raise TypeError(f"unflatten(): argument 'sizes' (position 2) must be tuple of ints, not "
                        f"{_tname(sizes)}")
    d = _dim(dim, input._data.ndim)
    shp = input._data.shape
    sizes = _int_list("unflatten", "sizes", (sizes,), 2)
    if not sizes:
        raise RuntimeError("unflatten: sizes must be non-empty")
    try:
        inferred = _infer(sizes, shp[d])
    except RuntimeError as e:
        if "is invalid for input of size" in str(e):
            raise RuntimeError(f"unflatten: Provided sizes {_fmt(sizes)} don't multiply up to "
                               f"the size of dim {d} ({shp[d]}) in the input tensor") from None
        raise RuntimeError(f"unflatten got an unexpected error:\n{e}") from None
    return input.view(shp[:d] + inferred + shp[d + 1:])


class Permute(Op):
    _name = "PermuteBackward0"
    jvp = _fwd.linear

    def forward(ctx, x, perm):
        ctx.inv = tuple(np.argsort(perm))
        return x.transpose(perm)

    def backward(ctx, grad):
        return grad.permute(ctx.inv), None

    def _geom(shape, strides, perm):
        return tuple(strides[p] for p in perm), 0


def permute(input, *dims):
    dims = _int_list("permute", "dims", dims)
    nd = input._data.ndim
    if len(dims) != nd:
        raise RuntimeError(f"permute(sparse_coo): number of dimensions in the tensor input does "
                           f"not match the length of the desired ordering of dimensions i.e. "
                           f"input.dim() = {nd} is not equal to len(dims) = {len(dims)}")
    perm = tuple(_dim(d, nd) for d in dims)
    if len(set(perm)) != nd:
        raise RuntimeError("permute(): duplicate dims are not allowed.")
    r = _view(Permute, input, perm)
    if r.grad_fn is not None:
        r.grad_fn._given = tuple(dims)  # torch saves the dims as given
    return r


class Transpose(Op):
    _name = "TransposeBackward0"
    jvp = _fwd.linear

    def forward(ctx, x, d0, d1):
        ctx.d = (d0, d1)
        return x.swapaxes(d0, d1) if x.ndim else x.view()

    def backward(ctx, grad):
        return grad.transpose(*ctx.d), None, None

    def _geom(shape, strides, d0, d1):
        st = list(strides)
        if st:
            st[d0], st[d1] = st[d1], st[d0]
        return tuple(st), 0


def transpose(input, dim0, dim1=None):
    if dim1 is None and isinstance(dim0, (tuple, list)):  # np.transpose(t, axes)
        return permute(input, dim0)
    if dim1 is None:
        raise TypeError('transpose() missing 1 required positional arguments: "dim1"')
    nd = input._data.ndim
    r = _view(Transpose, input, _dim(dim0, nd), _dim(dim1, nd))
    if r.grad_fn is not None:
        r.grad_fn._given = (dim0, dim1)  # torch saves the dims as given
    return r


swapaxes = swapdims = transpose


class T(Transpose):
    _name = "TBackward0"

    def backward(ctx, grad):
        return grad.t(), None, None


def t(input):
    nd = input._data.ndim
    if nd > 2:
        raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is {nd}D")
    return _view(T, input, 0, min(nd, 2) - 1) if nd else _view(T, input, -1, -1)


def adjoint(input):
    if input._data.ndim < 2:
        raise RuntimeError(f"tensor.adjoint() is only supported on matrices or batches of "
                           f"matrices. Got {input._data.ndim}-D tensor.")
    return input.mT.conj() if input.dtype.is_complex else input.mT


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
    jvp = _fwd.linear

    def forward(ctx, x, axes):
        ctx.in_shape = x.shape
        return x.reshape(tuple(s for i, s in enumerate(x.shape) if i not in axes))

    def backward(ctx, grad):
        return grad.reshape(ctx.in_shape), None

    def _geom(shape, strides, axes):
        return tuple(s for i, s in enumerate(strides) if i not in axes), 0


def squeeze(input, dim=None):  # axis= comes through _util.install_torch_args
    shp = input._data.shape
    nd = len(shp)
    if dim is None:
        axes = tuple(i for i, s in enumerate(shp) if s == 1)
    else:
        if not (_is_int(dim) or isinstance(dim, (tuple, list))):
            why = ("\n      didn't match because some of the arguments have invalid types: "
                   f"(!{_tname(dim)}!)")
            raise TypeError(f"squeeze() received an invalid combination of arguments - got "
                            f"({_tname(dim)}), but expected one of:\n * (){why}\n * (int dim)"
                            f"{why}\n * (tuple of ints dim){why}\n")
        ds = (dim,) if isinstance(dim, numbers.Integral) else tuple(dim)
        wrapped = [_dim(d, nd) for d in ds]
        if len(set(wrapped)) != len(wrapped):
            seen = next(w for i, w in enumerate(wrapped) if w in wrapped[:i])
            raise RuntimeError(f"dim {seen} appears multiple times in the list of dims")
        axes = tuple(a for a in wrapped if nd and shp[a] == 1)
    r = _view(Squeeze, input, axes)
    if dim is not None and r.grad_fn is not None:
        r.grad_fn._name = "SqueezeBackward1" if isinstance(dim, numbers.Integral) else \
            "SqueezeBackward2"
        r.grad_fn._given = dim  # torch saves the dims as given
    return r


_restride = L.restride


class Unsqueeze(Op):
    _name = "UnsqueezeBackward0"
    jvp = _fwd.linear

    def forward(ctx, x, d):
        ctx.in_shape = x.shape
        return x.reshape(x.shape[:d] + (1,) + x.shape[d:])

    def backward(ctx, grad):
        return grad.reshape(ctx.in_shape), None

    def _geom(shape, strides, d):
        st = list(strides)
        st.insert(d, st[d] * shape[d] if d < len(shape) else 1)  # torch's stride for the new dim
        return tuple(st), 0


def unsqueeze(input, dim):
    _int_arg("unsqueeze", "dim", dim, 1)
    r = _view(Unsqueeze, input, _dim(dim, input._data.ndim + 1))
    if r.grad_fn is not None:
        r.grad_fn._given = dim  # torch saves the dims as given
    return r


class Expand(Op):
    _name = "ExpandBackward0"
    jvp = _fwd.linear

    def forward(ctx, x, shape):
        ctx.in_shape = x.shape
        pad = (1,) * (len(shape) - x.ndim) + x.shape
        strides = (0,) * (len(shape) - x.ndim) + x.strides
        strides = tuple(0 if p == 1 and s != 1 else st for p, s, st in zip(pad, shape, strides))
        if x.__class__ is _ndarray:
            return L._as_strided(x, shape, strides)
        return array_module(x).broadcast_to(x.reshape(pad), shape)  # cupy (and meta): a view

    def backward(ctx, grad):
        return grad.sum_to_size(ctx.in_shape), None

    def _geom(shape, strides, sizes):
        return L.expand_strides(shape, strides, sizes), 0


def expand(input, *sizes):
    sizes = _int_list("expand", "size", sizes)
    shp = input._data.shape
    if len(sizes) < len(shp):
        raise RuntimeError(f"expand(torch.{input.dtype._legacy}{{{_fmt(shp)}}}, "
                           f"size={_fmt(sizes)}): the "
                           "number of sizes provided (" + str(len(sizes)) + ") must be greater "
                           "or equal to the number of dimensions in the tensor (" + str(len(shp))
                           + ")")
    pad = (1,) * (len(sizes) - len(shp)) + shp
    out = list(sizes)
    for i in range(len(sizes) - 1, -1, -1):  # torch checks from the last dimension
        p, s = pad[i], sizes[i]
        if s == -1:
            if i < len(sizes) - len(shp):
                raise RuntimeError(f"The expanded size of the tensor (-1) isn't allowed in a "
                                   f"leading, non-existing dimension {i}")
            s = p
        if p != s and p != 1:
            raise RuntimeError(f"The expanded size of the tensor ({s}) must match the existing "
                               f"size ({p}) at non-singleton dimension {i}.  Target sizes: "
                               f"{_fmt(sizes)}.  Tensor sizes: {_fmt(shp)}")
        out[i] = s
    return _view(Expand, input, tuple(out))


def expand_as(self, other):
    return self.expand(other.shape)


def broadcast_to(input, *size):
    return input.expand(_shape_arg(size))


def broadcast_tensors(*tensors):
    """Matches torch.broadcast_tensors."""
    for i, t in enumerate(tensors):
        if not isinstance(t, Tensor):
            raise TypeError(f"expected Tensor as element {i} in argument 0, but got {_tname(t)}")
    shape = ()
    for t in tensors:  # pairwise, as torch's infer_size: its error names the pair that fails
        try:
            shape = np.broadcast_shapes(shape, t._data.shape)
        except ValueError:
            from ._util import broadcast_error
            raise broadcast_error(np.empty(shape, np.int8), t._data) from None
    # a tensor already of the broadcast shape comes back itself, as torch's (no ExpandBackward0)
    return tuple(t if t._data.shape == shape else t.expand(shape) for t in tensors)


def broadcast_shapes(*shapes):
    """Matches torch.broadcast_shapes."""
    shapes = [(s,) if isinstance(s, numbers.Integral) else tuple(s) for s in shapes]
    result = [1] * max((len(s) for s in shapes), default=0)
    for k, s in enumerate(shapes):
        for i in range(-1, -1 - len(s), -1):
            n = s[i]
            if n < 0:
                raise ValueError("Attempting to broadcast a dimension with negative length!")
            if n == 1 or n == result[i]:
                continue
            if result[i] != 1:
                raise RuntimeError(f"Attempting to broadcast a dimension of length {n} at {i}! "
                                   f"Mismatching argument at index {k} had {s}; but expected "
                                   f"shape should be broadcastable to {_fmt(result)}")
            result[i] = n
    return Size(result)


def contiguous(self, memory_format=None):
    fmt = None if memory_format is D.contiguous_format else memory_format
    if self.is_contiguous(fmt):
        return self
    if fmt is D.preserve_format:
        raise RuntimeError("preserve memory format is unsupported by the contiguous operator")
    return clone(self, memory_format=memory_format or D.contiguous_format)


class Clone(Op):
    _name = "CloneBackward0"
    jvp = _fwd.linear

    def forward(ctx, x, fmt=None):  # fmt None: torch's preserve_format
        strides = L.like_strides(x, fmt)
        return x.copy(order="C") if strides is None else L.copy_to(x, strides)

    def backward(ctx, grad):
        return grad, None


def clone(input, *, memory_format=None):
    if memory_format is None or memory_format is D.preserve_format:
        return Clone.apply(input)  # a dense input keeps its strides, as in torch
    L.format_rank(memory_format, input._data.ndim)
    return Clone.apply(input, memory_format)


class SumToSize(Op):
    _name = "SumBackward1"
    jvp = _fwd.linear

    def forward(ctx, x, shape):
        ctx.in_shape = x.shape
        lead = x.ndim - len(shape)
        axes = tuple(range(lead)) + tuple(i + lead for i, s in enumerate(shape)
                                          if s == 1 and x.shape[i + lead] != 1)
        r = x.sum(axis=axes, keepdims=True) if axes else x
        return r.reshape(shape)

    def backward(ctx, grad):
        return grad.expand(ctx.in_shape), None


def sum_to_size(self, *size):
    shape = _shape_arg(size)
    if self._data.shape == shape:
        return self
    have = self._data.shape
    lead = len(have) - len(shape)
    if lead < 0 or any(s != 1 and s != have[lead + i] for i, s in enumerate(shape)):
        raise RuntimeError(f"size {{{_fmt(shape)}}} is not expandable to size {{{_fmt(have)}}}.")
    return SumToSize.apply(self, shape)


def _select_geom(shape, strides, dim, index):
    return strides[:dim] + strides[dim + 1:], index * strides[dim]


_MULTI = ((None, None),)  # _view_fn of an output of a multi-view op: in-place is refused


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
        from .creation import _DETERMINISTIC, _fill_uninitialized
        if _DETERMINISTIC[0]:  # torch's deterministic mode fills the new memory
            _fill_uninitialized(new)
        new[:flat.size] = flat
        self._data = new.reshape(shape)
    self._bump()
    return self


def resize_as_(self, other):
    return resize_(self, other.shape)


def __getattr__(name):  # cat and stack live in rearrange.py; `from .shape import cat` still works
    if name in ("cat", "stack", "concat", "concatenate", "hstack", "vstack"):
        from . import rearrange
        return getattr(rearrange, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
