"""Strided views and the diagonal family: as_strided, select, diagonal, unfold, the in-place
view ops (squeeze_, t_, ...), diag/diag_embed/diagflat/trace/fill_diagonal_, and the split
helpers vsplit/hsplit/dsplit.

Every view here is a NumPy strided view built on the input's memory (`_strided`), recorded
through `shape._view` so that writes show in the base and in-place ops on the view rebase its
history. as_strided works in storage coordinates: its geometry is relative to the root array
that owns the memory, as torch's is to the storage.
"""

__all__ = ["as_strided", "as_strided_", "select", "diagonal", "diag_embed", "diag", "diagflat",
           "trace", "ravel", "rot90", "vsplit", "hsplit", "dsplit", "split_with_sizes",
           "narrow_copy", "is_same_size", "view_as_real", "view_as_complex", "real", "imag"]

import numbers

import numpy as np

from .. import _dtype as D
from .._device import array_module
from .._layout import shifted, strides_of
from .._meta import MetaArray
from .._meta import empty as _meta_empty
from .._tensor import _check_inplace, _dim, _ptr, _root, _wrap
from ..amp import _hook as _amp
from ..autograd import forward_ad as _fwd
from ..autograd.function import Op
from .index import IndexGrad
from .index import Select as _IndexSelect
from .shape import (
    _fmt,
    _int_arg,
    _select_geom,
    _view,
)
from .split import split, tensor_split

_as_strided = np.lib.stride_tricks.as_strided


def _strided(x, start, shape, strides):
    """A view of x's memory from element index `start` (a tuple into x), in element strides."""
    delta = sum(i * s for i, s in zip(start, strides_of(x))) if start else 0
    return shifted(x, delta, shape, strides)


def _elem_strides(x):
    return list(strides_of(x))


# ---------------------------------------------------------------- as_strided
def _storage_of(x):
    root = _root(x)
    flat = root.reshape(-1) if root.flags.c_contiguous else root.ravel(order="K")
    return flat, (_ptr(x) - _ptr(root)) // x.itemsize


class AsStrided(Op):
    _name = "AsStridedBackward0"
    jvp = _fwd.linear
    _geom = None

    def forward(ctx, x, size, stride, offset):
        if type(x) is MetaArray:  # no storage: the geometry alone
            ctx.storage = 0
            return _meta_empty(size, x.dtype, stride, x._off if offset is None else offset)
        flat, own = _storage_of(x)
        ctx.storage = flat.size
        ctx.in_geom = (x.shape, _elem_strides(x), own)
        ctx.out_geom = (size, stride, own if offset is None else offset)
        off = ctx.out_geom[2]
        return shifted(flat, off, size, stride)  # an empty view may start past the end

    def backward(ctx, grad):
        from .creation import zeros
        ids = np.arange(ctx.storage, dtype=np.int64)
        out_idx = _geom_index(ids, *ctx.out_geom)
        in_idx = _geom_index(ids, *ctx.in_geom)
        buf = zeros(ctx.storage, dtype=grad.dtype).index_add(
            0, _wrap(out_idx.reshape(-1)), grad.reshape(-1))  # sum grads per storage slot
        return buf.take(_wrap(np.ascontiguousarray(in_idx))), None, None, None


def _geom_index(ids, shape, strides, offset):
    return _as_strided(ids[offset:], tuple(shape), tuple(s * 8 for s in strides))


def _check_geometry(self, size, stride, offset):
    if len(size) != len(stride):
        raise RuntimeError("mismatch in length of strides and shape")
    if any(s < 0 for s in stride):
        raise RuntimeError("as_strided: Negative strides are not supported at the moment, got "
                           f"strides: {_fmt(stride)}")
    if type(self._data) is MetaArray:
        return
    flat, own = _storage_of(self._data)
    off = own if offset is None else offset
    need = 0 if 0 in size else off + 1 + sum((n - 1) * s for n, s in zip(size, stride))
    if need > flat.size:
        it = self._data.itemsize
        raise RuntimeError(f"setStorage: sizes {_fmt(size)}, strides {_fmt(stride)}, storage "
                           f"offset {off}, and itemsize {it} requiring a storage size of "
                           f"{need * it} are out of bounds for storage of size {flat.size * it}")


def as_strided(input, size, stride, storage_offset=None):
    size, stride = tuple(int(s) for s in size), tuple(int(s) for s in stride)
    _check_geometry(input, size, stride, storage_offset)
    return _view(AsStrided, input, size, stride, storage_offset)


def as_strided_(self, size, stride, storage_offset=None):
    r = as_strided(self, size, stride, storage_offset)
    return _become(self, r)


def _become(self, r):
    """Gives self the geometry (and, when recorded, the history) of its view r."""
    self._data = r._data
    if r.grad_fn is not None and self.grad_fn is not None:
        self.grad_fn, self._output_nr = r.grad_fn, r._output_nr
    return self


# ---------------------------------------------------------------- select, diagonal, unfold
class Select(Op):
    _name = "SelectBackward0"
    jvp = _fwd.linear

    def forward(ctx, x, d, i):
        ctx.shape, ctx.key = x.shape, (slice(None),) * d + (i, Ellipsis)
        return x[ctx.key]

    def backward(ctx, grad):
        return IndexGrad.apply(grad, ctx.shape, ctx.key, False), None, None

    _geom = staticmethod(_select_geom)


def _key_geom(shape, strides, key, advanced):
    """torch's geometry of x[key] for a basic key: slices, ints, None and Ellipsis in turn."""
    nd = len(shape)
    shape, st = list(shape), list(strides)
    used = sum(1 for k in key if k is not None and k is not Ellipsis)
    pos = delta = 0
    for k in key:
        if k is Ellipsis:
            pos += nd - used
        elif k is None:  # an unsqueeze
            st.insert(pos, st[pos] * shape[pos] if pos < len(shape) else 1)
            shape.insert(pos, 1)
            pos += 1
        elif isinstance(k, slice):
            start, stop, step = k.indices(shape[pos])
            delta += start * st[pos]
            shape[pos] = len(range(start, stop, step))
            st[pos] *= step
            pos += 1
        else:
            delta += (k % shape[pos]) * st[pos]
            del shape[pos], st[pos]
    return tuple(st), delta


_IndexSelect._geom = staticmethod(_key_geom)  # basic indexing is a view: torch's geometry


def select(input, dim, index):
    _int_arg("select", "dim", dim, 1)
    _int_arg("select", "index", index, 2)
    if input.dim() == 0:
        raise IndexError("select() cannot be applied to a 0-dim tensor.")
    d = _dim(dim, input.dim())
    n = input.shape[d]
    if not -n <= index < n:
        raise IndexError(f"select(): index {index} out of range for tensor of size "
                         f"{_fmt(input.shape)} at dimension {dim}")
    r = _view(Select, input, d, int(index) % n)
    if r.grad_fn is not None:
        r.grad_fn._given = (dim, index)  # torch saves them as given
    return r


def _diag_geometry(x, offset, d1, d2):
    shape, st = list(x.shape), _elem_strides(x)
    n = max(0, min(shape[d1] - max(-offset, 0), shape[d2] - max(offset, 0)))
    start = [0] * x.ndim
    if n:
        start[d2 if offset >= 0 else d1] = abs(offset)
    keep = [i for i in range(x.ndim) if i not in (d1, d2)]
    return start, [shape[i] for i in keep] + [n], [st[i] for i in keep] + [st[d1] + st[d2]]


class Diagonal(Op):
    _name = "DiagonalBackward0"
    jvp = _fwd.linear
    _geom = None

    def forward(ctx, x, offset, d1, d2):
        ctx.shape, ctx.args = x.shape, (offset, d1, d2)
        return _strided(x, *_diag_geometry(x, offset, d1, d2))

    def backward(ctx, grad):
        return DiagEmbed.apply(grad, ctx.shape, *ctx.args), None, None, None


class DiagEmbed(Op):
    """Zeros of `shape` with the input written on its (offset, d1, d2) diagonal."""

    _name = "DiagEmbedBackward0"
    jvp = _fwd.linear

    def forward(ctx, x, shape, offset, d1, d2):
        ctx.args = (offset, d1, d2)
        out = (np if isinstance(x, np.ndarray) else array_module(x)).zeros(shape, x.dtype)
        _strided(out, *_diag_geometry(out, offset, d1, d2))[...] = x
        return out

    def backward(ctx, grad):
        return grad.diagonal(*ctx.args), None, None, None, None


def _diag_dims(nd, dim1, dim2):
    d1, d2 = _dim(dim1, nd), _dim(dim2, nd)
    if d1 == d2:
        raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    return d1, d2


def diagonal(input, offset=0, dim1=0, dim2=1):
    d1, d2 = _diag_dims(input.dim(), dim1, dim2)
    return _view(Diagonal, input, int(offset), d1, d2)


def diag_embed(input, offset=0, dim1=-2, dim2=-1):
    """Matches torch.diag_embed."""
    nd = input.dim() + 1
    d1, d2 = _diag_dims(nd, dim1, dim2)
    m = (input.shape[-1] if input.dim() else 1) + abs(offset)
    rest = iter(input.shape[:-1])
    shape = tuple(m if i in (d1, d2) else next(rest) for i in range(nd))
    return DiagEmbed.apply(input, shape, int(offset), d1, d2)


def diag(input, diagonal=0):
    nd = input.dim()
    if nd == 1:
        return diag_embed(input, diagonal, 0, 1)
    if nd != 2:
        raise RuntimeError(f"diag(): Supports 1D or 2D tensors. Got {nd}D")
    r = Diagonal.apply(input, int(diagonal), 0, 1).clone()
    if r.grad_fn is not None:
        r.grad_fn._name = "DiagonalBackward0_copy"
    return r


def diagflat(input, offset=0):
    return diag_embed(input.reshape(-1), offset, 0, 1)


def trace(input):
    if _amp.on and _amp.active():
        return _amp.fp32(trace, input)
    if input.dim() != 2:
        raise RuntimeError(f"trace: expected a matrix, but got tensor with dim {input.dim()}")
    r = input.diagonal().sum()
    a = input._data
    acc = _TRACE_ACC.get(a.dtype) if type(a) is np.ndarray else None
    if acc is not None:  # torch's trace kernel: the diagonal added in order, in its CPU
        d = np.diagonal(a).astype(acc)  # accumulate type (double for float), then rounded
        r._data = np.asarray(np.add.accumulate(d)[-1] if d.size else 0, a.dtype)
    if r.grad_fn is not None:
        r.grad_fn._name = "TraceBackward0"
    return r


_TRACE_ACC = {np.dtype(np.float16): np.float32, np.dtype(np.float32): np.float64,
              np.dtype(np.float64): np.float64, np.dtype(np.complex64): np.complex128,
              np.dtype(np.complex128): np.complex128}


def fill_diagonal_(self, fill_value, wrap=False):
    shp = self.shape
    if len(shp) < 2:
        raise RuntimeError("dimensions must larger than 1")
    if len(shp) > 2 and len(set(shp)) != 1:
        raise RuntimeError("all dimensions of input must be of equal length")
    mask = np.zeros(shp, bool)
    np.fill_diagonal(mask, True, wrap=wrap)
    return self.masked_fill_(_wrap(mask), fill_value)


class Unfold(Op):
    _name = "UnfoldBackward0"
    jvp = _fwd.linear
    _geom = None

    def forward(ctx, x, d, size, step):
        ctx.shape, ctx.args = x.shape, (d, size, step)
        if x.ndim == 0:
            return x.reshape(1)
        shape, st = list(x.shape), _elem_strides(x)
        shape[d] = (shape[d] - size) // step + 1
        st[d] *= step
        return _strided(x, (), shape + [size], st + [st[d] // step])

    def backward(ctx, grad):
        return UnfoldGrad.apply(grad, ctx.shape, *ctx.args), None, None, None


class UnfoldGrad(Op):
    """Sums each window's gradient back onto the positions it covers."""

    _name = "UnfoldBackwardBackward0"
    jvp = _fwd.linear

    def forward(ctx, g, shape, d, size, step):
        ctx.args = (d, size, step)
        out = (np if isinstance(g, np.ndarray) else array_module(g)).zeros(shape, g.dtype)
        if not shape:
            return g.reshape(())
        m = g.shape[d]
        for k in range(size):  # window element k of window j sits at k + j * step
            idx = (slice(None),) * d + (slice(k, k + step * (m - 1) + 1, step),)
            out[idx] += g[..., k]
        return out

    def backward(ctx, grad):
        return grad.unfold(*ctx.args), None, None, None, None


def unfold(self, dimension, size, step):
    nd = self.dim()
    d = _dim(dimension, nd)
    n = self.shape[d] if nd else 1
    if size > n:
        raise RuntimeError(f"maximum size for tensor at dimension {d} is {n} but size is {size}")
    if step <= 0:
        raise RuntimeError(f"step is {step} but must be > 0")
    if size < 0:
        raise RuntimeError(f"size is {size} but must be >= 0")
    return _view(Unfold, self, d, int(size), int(step))


# ---------------------------------------------------------------- complex views
class ViewAsReal(Op):
    """Its strides are torch's by construction (twice the input's, then 1): no _geom."""
    _name = "ViewAsRealBackward0"
    _geom = None

    def forward(ctx, x):
        half = x.itemsize // 2
        if type(x) is MetaArray:
            st = strides_of(x)
            return _meta_empty(x.shape + (2,), x.real.dtype, tuple(2 * s for s in st) + (1,),
                               2 * x._off)
        return array_module(x).lib.stride_tricks.as_strided(  # torch's strides, also when empty
            x.real, x.shape + (2,), tuple(s * x.itemsize for s in strides_of(x)) + (half,))

    def jvp(ctx, t):
        return view_as_real(t)

    def backward(ctx, grad):
        return view_as_complex(grad.contiguous())


class ViewAsComplex(Op):
    _name = "ViewAsComplexBackward0"
    _geom = None

    def forward(ctx, x):
        if type(x) is MetaArray:
            st = strides_of(x)
            return _meta_empty(x.shape[:-1], np.result_type(x.dtype, np.complex64),
                               tuple(s // 2 for s in st[:-1]), x._off // 2)
        return x.view(np.result_type(x.dtype, np.complex64))[..., 0]

    def jvp(ctx, t):
        return view_as_complex(t.contiguous())

    def backward(ctx, grad):
        return view_as_real(grad)


def view_as_real(input):
    if not input.dtype.is_complex:
        raise RuntimeError("view_as_real is only supported for complex tensors")
    return _view(ViewAsReal, input)


def view_as_complex(input):
    if _amp.on and _amp.active():
        return _amp.fp32(view_as_complex, input)
    if input.dtype not in (D.float16, D.float32, D.float64):
        raise RuntimeError("view_as_complex is only supported for half, float and double "
                           f"tensors, but got a tensor of scalar type: {input.dtype._legacy[:-6]}")
    if input.dtype is D.float16:
        raise NotImplementedError("ember does not implement the complex32 dtype "
                                  "(torch.view_as_complex of a half tensor) yet")
    shape, st = input.shape, input.stride()
    if not shape or shape[-1] != 2:
        raise RuntimeError("Tensor must have a last dimension of size 2")
    if st[-1] != 1:
        raise RuntimeError("Tensor must have a last dimension with stride 1")
    if any(s % 2 for s in st[:-1]):
        raise RuntimeError("Tensor must have a stride divisible by 2 for all but last dimension")
    if input.storage_offset() % 2:
        raise RuntimeError("Tensor must have a storage_offset divisible by 2")
    return _view(ViewAsComplex, input)


def real(input):
    """Matches torch.real: a view of the real parts (the tensor itself when it is real)."""
    if not input.dtype.is_complex:
        return input
    return select(view_as_real(input), -1, 0)


def imag(input):
    """Matches torch.imag: a view of the imaginary parts of a complex tensor."""
    if not input.dtype.is_complex:
        raise RuntimeError("imag is not implemented for tensors with non-complex dtypes.")
    return select(view_as_real(input), -1, 1)


def ravel(input):
    return input.contiguous().view(-1)


def rot90(input, k=1, dims=(0, 1)):
    if len(dims) != 2:
        raise RuntimeError(f"expected total rotation dims == 2, but got dims = {len(dims)}")
    nd = input.dim()
    if nd < 2:
        raise RuntimeError(f"expected total dims >= 2, but got total dims = {nd}")
    d0, d1 = _dim(dims[0], nd), _dim(dims[1], nd)
    if d0 == d1:
        raise RuntimeError(f"expected rotation dims to be different, but got dim0 = {d0} and "
                           f"dim1 = {d1}")
    k %= 4
    if k == 1:
        return input.flip(d1).transpose(d0, d1)
    if k == 2:
        return input.flip(d0, d1)
    if k == 3:
        return input.flip(d0).transpose(d0, d1)
    return input.clone()


# ---------------------------------------------------------------- in-place view ops
def _inplace_view(fn, name):
    def op(self, *args, **kwargs):
        _check_inplace(self, overlap=False)
        r = fn(self, *args, **kwargs)
        self._data = r._data
        if r.grad_fn is not None and self.grad_fn is not None:
            r.grad_fn._name = r.grad_fn._name.replace("Backward0", "Backward1")
            self.grad_fn, self._output_nr = r.grad_fn, r._output_nr
        self._bump()
        return self
    op.__name__ = name
    return op


# ---------------------------------------------------------------- splitting and copies
def _dir_split(input, sections, dim, name, min_dim):
    nd = input.dim()
    if nd < min_dim:
        raise RuntimeError(f"torch.{name} requires a tensor with at least {min_dim} dimension, "
                           f"but got a tensor with {nd} dimensions!")
    if isinstance(sections, numbers.Integral):
        n = input.shape[dim]
        if sections == 0 or n % sections:
            raise RuntimeError(f"torch.{name} attempted to split along dimension {dim}, but the "
                               f"size of the dimension {n} is not divisible by the split_size "
                               f"{sections}!")
    return tensor_split(input, sections, dim)


def vsplit(input, indices_or_sections):
    return _dir_split(input, indices_or_sections, 0, "vsplit", 2)


def hsplit(input, indices_or_sections):
    return _dir_split(input, indices_or_sections, 1 if input.dim() > 1 else 0, "hsplit", 1)


def dsplit(input, indices_or_sections):
    return _dir_split(input, indices_or_sections, 2, "dsplit", 3)


def split_with_sizes(input, split_sizes, dim=0):
    return split(input, list(split_sizes), dim)


def narrow_copy(input, dim, start, length):
    r = input.narrow(dim, start, length).clone()
    if r.grad_fn is not None:
        r.grad_fn._name = "NarrowCopyBackward0"
    return r


# ---------------------------------------------------------------- small Tensor protocol
def is_same_size(input, other):
    return input._data.shape == other._data.shape


def _is_nonzero(self):
    n = self._data.size
    if n == 0:
        raise RuntimeError("Boolean value of Tensor with no values is ambiguous")
    if n > 1:
        raise RuntimeError("Boolean value of Tensor with more than one value is ambiguous")
    return bool(self.item())


def new_empty_strided(self, size, stride, *, dtype=None, device=None, requires_grad=False,
                      layout=None, pin_memory=False):
    from ._util import check_factory
    from .creation import empty_strided
    if layout is not None or pin_memory:
        check_factory("torch.Tensor.new_empty_strided", layout, pin_memory)
    return empty_strided(size, stride, dtype=dtype or self.dtype,
                         device=device or self.device, requires_grad=requires_grad)


def resize_as(self, tensor):
    n, m = self.numel(), tensor.numel()
    if n != m:
        shp = "x".join(str(s) for s in tensor.shape)
        have = "x".join(str(s) for s in self.shape)
        raise RuntimeError(f"requested resize to {shp} ({m} elements in total), but the given "
                           f"tensor has a size of {have} ({n} elements). autograd's resize can "
                           "only change the shape of a given tensor, while preserving the number "
                           "of elements. ")
    r = self.reshape(tensor.shape)
    if r.grad_fn is not None:
        r.grad_fn._name = "ResizeBackward"
    return r

