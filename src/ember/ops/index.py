"""Indexing: __getitem__/__setitem__, gather/scatter, index_select/index_add, masked ops,
take, topk/sort/argsort, nonzero, unique.

Basic indexing (ints, slices, None, Ellipsis) returns a view; advanced indexing (tensors, lists,
masks) copies, as in torch. Gradients of selections are written back into zeros by `IndexGrad`,
whose own backward selects again, so double backward works.
"""

__all__ = ["index_put_", "index_put", "nonzero", "argwhere"]

import numbers

import numpy as np

from .. import _dtype as D
from .._device import array_module as _xp
from .._device import scatter_add
from .._meta import MetaArray
from .._tensor import Tensor, _check_inplace, _check_overlap, _expanded, _wrap
from ..autograd import forward_ad as _fwd
from ..autograd import grad_mode as _gm
from ..autograd.function import Op
from ._util import checked
from .inplace import _check_alias

_ndarray = np.ndarray
_enabled = _gm._enabled
_fw = _fwd._fw


# ---------------------------------------------------------------- keys
_BAD_KEY = ("only integers, slices (`:`), ellipsis (`...`), None and long or byte Variables are "
            "valid indices (got {})")
_ZERO_DIM = ("invalid index of a 0-dim tensor. Use `tensor.item()` in Python or "
             "`tensor.item<T>()` in C++ to convert a 0-dim tensor to a number")


def _seq_as_tuple(key):
    """torch reads a short list holding sequences, slices, None or tensors as a tuple."""
    return len(key) < 32 and any(isinstance(k, (list, tuple, range, slice, Tensor, _ndarray)) or
                                 k is None or k is Ellipsis for k in key)


def _normalize(k, put=False):
    """One index item as an int, slice, None, Ellipsis, bool, or NumPy int/bool array (`put`:
    index_put's, where a 0-d integer tensor stays an index tensor)."""
    if isinstance(k, Tensor):
        if k.dtype is D.bool_ or k.dtype is D.uint8 and k._data.ndim:
            if not k._data.ndim:
                return bool(k.item())  # a 0-d mask indexes as a Python bool does
            return np.asarray(k._data, bool) if k._data.__class__ is _ndarray else k._data \
                .astype(bool)
        if k._data.ndim == 0 and not put and not (k.dtype.is_floating_point or
                                                  k.dtype.is_complex):
            return int(k.item())  # (a 0-d integer tensor of any width indexes as an int)
        if k.dtype is not D.int64 and k.dtype is not D.int32:
            raise IndexError("tensors used as indices must be long, int, byte or bool tensors")
        return k._data.astype(np.int64, copy=False)
    if isinstance(k, (bool, np.bool_)):
        return bool(k)
    if isinstance(k, numbers.Integral):
        return int(k)
    if isinstance(k, slice):  # its step is checked in key order, after the dimension count
        return slice(*(None if v is None else int(v) for v in (k.start, k.stop, k.step)))
    if k is None or k is Ellipsis:
        return k
    if isinstance(k, range):  # a Python range indexes as the list it holds
        return np.arange(k.start, k.stop, k.step, dtype=np.int64)
    if isinstance(k, (list, tuple, _ndarray)):
        a = np.asarray([_normalize(v) if isinstance(v, Tensor) else v for v in k]
                       if not isinstance(k, _ndarray) else k)
        if a.dtype == bool:
            return a
        if a.size == 0 or a.dtype.kind in "iu":
            return a.astype(np.int64)
        raise IndexError("tensors used as indices must be long, int, byte or bool tensors")
    if isinstance(k, str):
        raise TypeError("new(): invalid data type 'str'")
    raise IndexError(_BAD_KEY.format(type(k).__name__))


class _Split(tuple):
    """A key torch applies in two steps, (ints, rest): its integers select first, then the
    advanced indices index what is left. NumPy would broadcast the integers with the advanced
    indices instead, which moves dimensions: x[0, :, [0, 1]] is (2, n) in NumPy, (n, 2) in torch.
    """


def _at(a, key):
    return a[key[0]][key[1]] if key.__class__ is _Split else a[key]


def _set_at(a, key, v):
    if key.__class__ is _Split:
        a[key[0]][key[1]] = v  # the first step is a view: the write reaches a
    else:
        a[key] = v


def _add_at(a, key, v, opmath=False):
    """a[key] += v, repeated indices in order: each addition rounded to a's dtype, or (with
    `opmath`: torch's scatter kernels) accumulated in float32 for a float16 a."""
    if key.__class__ is _Split:
        a, key = a[key[0]], key[1]
    scatter_add(a, key, v, opmath)


def _split(items):
    """The two steps of a key mixing integers with advanced indices."""
    first = []
    for k in items:
        if isinstance(k, bool) or k is None:
            continue
        if isinstance(k, int) or k is Ellipsis:
            first.append(k)
        else:
            first.extend([slice(None)] * (k.ndim if k.__class__ is not slice and
                                          k.dtype == bool else 1))
    rest = tuple(k for k in items if isinstance(k, bool) or not isinstance(k, int))
    return _Split((tuple(first), rest))


def _key(t, key, put=False, defer=None):
    """A torch index as a NumPy one, checked as torch checks it (`put`: index_put's indices).

    Returns (key, advanced?, grad_fn name of the last view op for a basic key); the key is a
    tuple, or a `_Split` for integers mixed with advanced indices. With a `defer` list, the
    index tensors' bounds checks go there instead of running: index_put's kernel checks them
    after the value's shape and dtype."""
    single_slice = isinstance(key, slice)
    if not isinstance(key, tuple):
        key = tuple(key) if isinstance(key, list) and _seq_as_tuple(key) else (key,)
    items = [_normalize(k, put) for k in key]
    if put:  # index_put counts every index tensor, then expands a 0-d mask to no index at all
        if len(items) > len(t._data.shape):
            raise IndexError(f"too many indices for tensor of dimension {len(t._data.shape)} "
                             f"(got {len(items)})")
        items = [k for k in items if not isinstance(k, bool)]
    shape = t._data.shape
    nd = len(shape)
    used = 0
    for k in items:
        if isinstance(k, _ndarray):
            used += k.ndim if k.dtype == bool else 1
        elif k is not None and k is not Ellipsis and not isinstance(k, bool):
            used += 1
    if nd == 0 and items and isinstance(items[0], int) and not isinstance(items[0], bool):
        raise IndexError(_ZERO_DIM)
    if nd == 0 and items and isinstance(items[0], slice):
        raise IndexError("slice() cannot be applied to a 0-dim tensor.")
    if used > nd:
        if put:  # a mask's extra dimensions run past the last one, once they broadcast
            _broadcast_indices([sh for k in items for sh in (
                [(int(k.sum()),)] * k.ndim if k.dtype == bool else [k.shape])])
            raise IndexError(f"Dimension out of range (expected to be in range of [{-nd}, "
                             f"{nd - 1}], but got {nd})")
        raise IndexError(f"too many indices for tensor of dimension {nd}")
    out, advanced, name, dim, n_adv, idx_shapes = [], False, "AliasBackward0", 0, 0, []
    ints, later = False, []  # torch checks masks and index bounds after the integers' selects
    for pos, k in enumerate(items):
        if k is Ellipsis:
            dim += nd - used
        elif k is None:
            name = "UnsqueezeBackward0"
        elif isinstance(k, bool):  # torch: an unsqueeze indexed by [0] (True) or [] (False)
            advanced = True
            idx_shapes.append((int(k),))
            n_adv += 1
        elif isinstance(k, int):
            size = shape[dim]
            if k >= size or k < -size:  # torch names the position in the key
                raise IndexError(f"index {k} is out of bounds for dimension {pos} with size "
                                 f"{size}")
            name, dim, ints = "SelectBackward0", dim + 1, True
        elif isinstance(k, slice):
            if k.step is not None and k.step <= 0:
                raise ValueError("slice step cannot be zero" if k.step == 0 else
                                 "step must be greater than zero")
            if single_slice or not _full(k, shape[dim]):
                name = "SliceBackward0"
            dim += 1
        elif k.dtype == bool:
            advanced = True
            later.append((k, None, dim))
            idx_shapes.extend([(int(k.sum()),)] * k.ndim)  # a mask is one index per dim
            dim, n_adv = dim + k.ndim, n_adv + k.ndim
        else:
            advanced = True
            later.append((k, n_adv, shape[dim]))
            idx_shapes.append(k.shape)
            dim, n_adv = dim + 1, n_adv + 1
        out.append(k)
    for k, n, d in later:
        if n is None:
            _check_mask(k, shape, d)
    _broadcast_indices(idx_shapes)
    for k, n, size in later:
        if n is not None:
            _bounds(k, n, size) if defer is None else defer.append((k, n, size))
    if advanced and ints:
        return _split(out), True, name
    return tuple(out), advanced, name


def _broadcast_indices(shapes):
    if len(shapes) > 1 and any(sh != shapes[0] for sh in shapes):
        try:
            np.broadcast_shapes(*shapes)
        except ValueError:
            raise IndexError("shape mismatch: indexing tensors could not be broadcast together "
                             "with shapes " + ", ".join(_fmt(s) for s in shapes)) from None


def _fmt(shape):
    return "[" + ", ".join(str(s) for s in shape) + "]"


def _full(k, size):
    """A slice torch skips inside a tuple key: it keeps the whole dimension."""
    return k.start in (None, 0) and (k.stop is None or k.stop >= size) and k.step in (None, 1)


def _check_mask(m, shape, dim):
    for j, s in enumerate(m.shape):
        if dim + j >= len(shape) or shape[dim + j] != s:
            raise IndexError(f"The shape of the mask {_fmt(m.shape)} at index {j} does not match "
                             f"the shape of the indexed tensor {_fmt(shape)} at index {dim + j}")


def _bounds(a, dim, size):
    """torch reports an advanced index out of range by its position among the index tensors."""
    if a.size:
        bad = (a >= size) | (a < -size)
        if bad.any():
            v = int(a[bad].reshape(-1)[0])
            raise IndexError(f"index {v} is out of bounds for dimension {dim} with size {size}")
    return a


class IndexGrad(Op):
    """Zeros of `shape` with `g` written (or added, for advanced keys) at `key`."""

    _name = "IndexBackwardBackward0"
    jvp = _fwd.linear
    in_dtype = True  # a bfloat16 gradient is added up in bfloat16 (index_put_'s accumulation)

    def forward(ctx, g, shape, key, accumulate):
        ctx.key = key
        xp = _xp(g)
        out = xp.zeros(shape, g.dtype)
        if accumulate and type(out) is not MetaArray:  # (meta: no values to add)
            _add_at(out, key, g, accumulate == "opmath")
        else:
            _set_at(out, key, g)
        return out

    def backward(ctx, grad):
        return Select.apply(grad, ctx.key, True), None, None, None


class Select(Op):
    _name = "IndexBackward0"
    jvp = _fwd.linear
    _low_grads = True  # torch's backward index_put_s the bfloat16 gradient, in bfloat16

    def forward(ctx, x, key, advanced):
        ctx.in_shape, ctx.key, ctx.adv = x.shape, key, advanced
        if not advanced and None in key:
            from .shape import _restride
            return _restride(x[key], _none_strides(x, key))
        r = _at(x, key)
        if not advanced and r.__class__ is not x.__class__:  # all ints: NumPy gives a scalar
            r = x[key + (Ellipsis,)]  # a 0-d view instead, so writes reach x as in torch
        elif advanced and not r.flags.c_contiguous and x.flags.c_contiguous:
            r = _xp(r).ascontiguousarray(r)  # torch's row-major result (NumPy puts the
        return r                             # advanced dims first in memory: view() failed)

    def backward(ctx, grad):
        return IndexGrad.apply(grad, ctx.in_shape, ctx.key, ctx.adv), None, None


def _none_strides(x, key):
    """Strides (elements) of x[key] as torch makes them: a None is an unsqueeze, whose new dim
    gets the stride of the dim after it times that dim's size, at the moment it is inserted."""
    shape, st = list(x.shape), [v // x.itemsize for v in x.strides]
    pos = 0
    n_used = sum(1 for k in key if k is not None and k is not Ellipsis)
    for k in key:
        if k is Ellipsis:
            pos += x.ndim - n_used
        elif k is None:
            st.insert(pos, st[pos] * shape[pos] if pos < len(shape) else 1)
            shape.insert(pos, 1)
            pos += 1
        elif isinstance(k, int):
            del shape[pos], st[pos]
        else:
            n = len(range(*k.indices(shape[pos])))
            st[pos] *= k.step or 1
            shape[pos] = n
            pos += 1
    return st


def _getitem(self, key):
    k, advanced, name = _key(self, key)
    if advanced:
        return Select.apply(self, k, True)
    from .shape import _view
    r = _view(Select, self, k, False)
    if r.grad_fn is not None:
        r.grad_fn._name = name
    return r


class IndexPut(Op):
    _name = "IndexPutBackward0"
    jvp = _fwd.linear_all  # linear in (x, v) together
    in_dtype = True  # bfloat16 accumulates in bfloat16, each addition rounded, as torch's

    def forward(ctx, x, v, key, accumulate):
        ctx.key, ctx.shape, ctx.acc = key, x.shape, accumulate
        out = x.copy()
        if accumulate:  # True, or "opmath" (index_add_ on torch's scatter_add_ path)
            _add_at(out, key, v, accumulate == "opmath")
        else:
            _set_at(out, key, v)
        return out

    def backward(ctx, grad):
        gx = grad
        if not ctx.acc:  # overwritten positions get no gradient (exact zeros, as torch's)
            gx = IndexPut.apply(grad, _wrap(_xp(grad._data).zeros((), grad.dtype.np)), ctx.key,
                                False)
        return gx, Select.apply(grad, ctx.key, True), None, None


def _through_view(k, shape):
    """Whether torch's setitem reaches its target through a view of self: an int (select), None
    or a bool (unsqueeze), or a slice that does not keep its whole dimension."""
    if k.__class__ is _Split:
        return True
    nd, dim = len(shape), 0
    used = sum(i.ndim if i.__class__ is _ndarray and i.dtype == bool else 1 for i in k
               if i is not None and i is not Ellipsis and not isinstance(i, bool))
    for i in k:
        if i is None or isinstance(i, (bool, int)):
            return True
        if i is Ellipsis:
            dim += nd - used
        elif isinstance(i, slice):
            if not _full(i, shape[dim]):
                return True
            dim += 1
        else:
            dim += i.ndim if i.dtype == bool else 1
    return False


def _target_shape(a, k, bounds):
    """The shape a[k] has, without NumPy seeing an index whose bounds are not checked yet."""
    if bounds:
        try:
            for b in bounds:
                _bounds(*b)
        except IndexError:
            pass  # reported once the value's shape and dtype are checked
        else:
            bounds.clear()
    if not bounds:
        return _at(a, k).shape
    dummy = np.broadcast_to(np.zeros((), np.int8), a.shape)

    def safe(key):
        return tuple(np.zeros(i.shape, np.int64) if i.__class__ is _ndarray and
                     i.dtype != bool else i for i in key)
    try:
        return _at(dummy, _Split((k[0], safe(k[1]))) if k.__class__ is _Split else safe(k)).shape
    except IndexError:  # an index into an empty dimension: its bounds error comes first
        for b in bounds:
            _bounds(*b)
        raise


def _mask_fill(k, value):
    """torch's index_put_ fills through masked_fill_ for one bool mask and a one-element value
    (converting the value as a number); the only index tensor must be that mask."""
    if not isinstance(value, Tensor) or value._data.size != 1:
        return False
    if k.__class__ is _Split:  # the integers select a view first
        k = k[1]
    arrays = [i for i in k if i.__class__ is _ndarray or isinstance(i, bool)]
    return len(arrays) == 1 and arrays[0].__class__ is _ndarray and arrays[0].dtype == bool


def _check_put_dtype(self, value):
    if value.dtype is not self.dtype:
        raise RuntimeError("Index put requires the source and destination dtypes match, got "
                           f"{self.dtype._legacy[:-6]} for the destination and "
                           f"{value.dtype._legacy[:-6]} for the source.")


def _setitem(self, key, value):
    if key is False:  # torch writes nothing, and bumps no version
        return
    bounds = []
    k, advanced, _ = _key(self, key, defer=bounds)
    if isinstance(value, (list, tuple, str, _ndarray, dict, set)):
        raise TypeError(f"can't assign a {_type_name(value)} to a torch.{self.dtype._legacy}")
    if not isinstance(value, Tensor):
        value = checked(value, self.dtype)
    if advanced:
        target = _target_shape(self._data, k, bounds)
    else:
        sub = _at(self._data, k)
        target = sub.shape
        _check_overlap(sub)  # torch copies into the view: an expanded one is refused
    zero_d = not isinstance(value, Tensor) or not value._data.ndim  # a fill, not a copy
    if advanced and key is not True and not _mask_fill(k, value):  # torch's index_put_: no
        keys = key if isinstance(key, tuple) else (key,)            # memory shared with the
        _check_alias(self, keys + (value,), full=True)              # indices or the value
    if isinstance(value, Tensor):
        if advanced and key is not True and not _mask_fill(k, value):
            value = _fit(value, target, True)
            _check_put_dtype(self, value)  # index_put_ converts no dtype
        else:
            value = _fit(value, target, advanced)
            if not (advanced or zero_d):  # copy_ into the view (a 0-d value fills it)
                _check_alias(_wrap(sub), (value,))
        if value.dtype is not self.dtype:
            value = value.to(self.dtype)
    for b in bounds:
        _bounds(*b)
    if _enabled[0] and (self._rg or isinstance(value, Tensor) and value._rg):
        viewed = _through_view(k, self._data.shape)
        if self._rg and self.grad_fn is None:
            raise RuntimeError(("a view of a leaf Variable" if viewed else "a leaf Variable") +
                               " that requires grad is being used in an in-place operation.")
        _check_inplace(self, overlap=False)
        from .inplace import _inplace
        if not isinstance(value, Tensor):
            value = _wrap(np.asarray(value, self.dtype.np))
        r = IndexPut.apply(self, value, k, False)
        # torch index_put_s or copies into a view of self (CopySlices), or into self itself
        r.grad_fn._name = "torch::autograd::CopySlices" if viewed else "IndexPutBackward0" \
            if advanced else "FillBackward3" if zero_d else "torch::autograd::CopyBackwards"
        return _inplace(self, r)
    # forward AD: IndexPut's rule gives the tangent
    if _fw[0] and (_fwd.carries(self) or isinstance(value, Tensor) and _fwd.carries(value)):
        v = value if isinstance(value, Tensor) else _wrap(np.asarray(value, self.dtype.np))
        _fwd.inplace_tangent(self, IndexPut.apply(self, v, k, False))
    _set_at(self._data, k, value._data if isinstance(value, Tensor) else value)
    self._bump()


def _type_name(v):
    return "numpy.ndarray" if isinstance(v, _ndarray) else type(v).__name__


def _fit(value, target, advanced):
    """value shaped for `target` as torch's copy_ and index_put_ take it (leading 1s dropped)."""
    shp = value._data.shape
    lead = 0
    while len(shp) - lead > len(target) and shp[lead] == 1:
        lead += 1
    if lead:
        value = value.reshape(shp[lead:])
    if advanced:
        try:  # the value must expand to the target, not the other way round
            if np.broadcast_shapes(value._data.shape, target) != tuple(target):
                raise ValueError
        except ValueError:
            raise RuntimeError(f"shape mismatch: value tensor of shape {_fmt(shp[lead:])} cannot "
                               f"be broadcast to indexing result of shape {_fmt(target)}") from None
        return value
    return value.expand(target) if value._data.shape != target else value


def _index_put_args(self, indices, values, name, accumulate):
    """torch's argument checks for index_put(_): a tuple of index Tensors, a Tensor of self's
    dtype."""
    if not isinstance(indices, (tuple, list)):
        raise TypeError(f"{name}(): argument 'indices' (position 1) must be tuple of Tensors, not "
                        f"{_type_name(indices)}")
    for i, t in enumerate(indices):
        if not isinstance(t, Tensor):
            raise TypeError(f"expected Tensor as element {i} in argument 0, but got "
                            f"{_type_name(t)}")
    if not isinstance(values, Tensor):
        raise TypeError(f"{name}(): argument 'values' (position 2) must be Tensor, not "
                        f"{_type_name(values)}")
    if len(indices) == 1 and indices[0].dtype is D.bool_ and not indices[0]._data.ndim and \
            not accumulate and values._data.size == 1:  # masked_fill_ by a 0-d mask
        return (bool(indices[0].item()),), values.reshape(()).to(self.dtype)
    bounds = []
    k, _, _ = _key(self, tuple(indices), put=True, defer=bounds)
    v = _fit(values, _target_shape(self._data, k, bounds), True)
    if not accumulate and _mask_fill(k, v):
        v = v.to(self.dtype)  # masked_fill_ takes the value as a number
    _check_put_dtype(self, v)
    for b in bounds:
        _bounds(*b)
    return k, v


def index_put_(self, indices, values, accumulate=False):
    _check_inplace(self, overlap=False)
    k, v = _index_put_args(self, indices, values, "index_put_", accumulate)
    if accumulate or not (k.__class__ is tuple and k and k[0].__class__ is bool or
                          _mask_fill(k, v)):  # (torch's masked_fill_ path does not look)
        _check_alias(self, (values,) + tuple(indices), full=True)
    if _expanded(self, "index_put_", "tensor[indices] = tensor"):
        (_add_at if accumulate else _set_at)(self._data, k, v._data)  # (through the shared
        self._bump()                                                   # memory, in order)
        return self
    from .inplace import _inplace
    return _inplace(self, IndexPut.apply(self, v, k, bool(accumulate)))


def index_put(self, indices, values, accumulate=False):
    k, v = _index_put_args(self, indices, values, "index_put", accumulate)
    return IndexPut.apply(self, v, k, bool(accumulate))


def _pad_into(grad, shape, dim, start):
    key = (slice(None),) * dim + (slice(start, start + grad.shape[dim]),)
    return IndexGrad.apply(grad, shape, key, False)


def _scatter_into(g, shape, d, idx):
    """Zeros of `shape` with g placed at idx along d (idx an int64 array shaped like g, no index
    twice in a slice): written, not added, so a -0.0 stays -0.0 (torch's zeros().scatter_ in the
    backward of sort, topk, kthvalue, median and max/min along a dim)."""
    return IndexGrad.apply(g, shape, _along(idx, d), False)


def _along(idx, d):
    """The full NumPy index tuple that addresses idx along axis d."""
    grid = list((np if isinstance(idx, np.ndarray) else _xp(idx)).indices(idx.shape, sparse=True))
    grid[d] = idx
    return tuple(grid)


# ---------------------------------------------------------------- nonzero
def nonzero(input, *, out=None, as_tuple=False):
    if out is not None:
        if as_tuple:
            raise RuntimeError("nonzero does not support the out kwarg when as_tuple is True")
        if isinstance(out, Tensor) and out.dtype is not D.int64:
            raise RuntimeError("nonzero: Expected out tensor to have scalar type Long but got "
                               f"scalar type{out.dtype._legacy[:-6]}")
    nz = np.nonzero(input._data) if input._data.ndim else np.nonzero(input._data.reshape(1))
    if as_tuple:
        return tuple(_wrap(a.astype(np.int64)) for a in nz)
    if input._data.ndim == 0:
        r = np.zeros((int(bool(input._data)), 0), np.int64)
    else:
        r = np.stack(nz, axis=1).astype(np.int64) if nz else np.zeros((0, 0), np.int64)
    from .inplace import _out  # its size depends on the data: torch resizes out silently
    return _out(_wrap(r), out, warn=False)


def argwhere(input):
    return nonzero(input)
