"""Sparse COO tensors: a Tensor whose `_data` is a `SparseCOO` (an int64 indices array of
sparse_dim x nnz and a values array of nnz x dense dims) instead of a dense array.

Dense ops need no check of their own: whatever a dense op asks of a `SparseCOO` (NumPy
conversion, a ufunc, an array method) raises torch's NotImplementedError for the 'SparseCPU'
backend, so nothing is ever densified silently. The ops that take sparse inputs (construction,
coalesce, to_dense/to_sparse, values; products and sums in sparse/_products.py) are `Op`s whose
forward reads the `SparseCOO` and whose backward hands sparse gradients (masked to the input's
pattern) or dense ones as torch's formulas do; `SparseCOO` itself adds (dense + sparse, sparse +
sparse, autograd's gradient sums) and casts. This module loads on first use of any of them.
"""

import math
import os
import re
import sys
import warnings

import numpy as np

from . import _dtype as D
from ._device import _CPU
from ._tensor import Tensor, _wrap
from .autograd.function import Op

_ndarray = np.ndarray
_WARNED = []
_IMPLICIT = ("Sparse invariant checks are implicitly disabled. Memory errors (e.g. SEGFAULT) will "
             "occur when operating on a sparse tensor which violates the invariants, but checks "
             "incur performance overhead. To silence this warning, explicitly opt in or out. See "
             "`torch.sparse.check_sparse_tensor_invariants.__doc__` for guidance.")


_PKG = os.path.dirname(os.path.abspath(__file__))
_PLUMBING = {"forward", "apply", "run", "method", "wrapper", "backward", "array_module", "op"}


def _op_name():
    """The public ember function a refused call came through (read off the stack on the error
    path only), for torch's 'aten::<op>' wording; None when there is none."""
    f = sys._getframe(2)
    while f is not None:
        code = f.f_code
        if not code.co_filename.startswith(_PKG):
            return None
        name = code.co_name
        node = f.f_locals.get("cls") if name == "run" else None
        public = name in f.f_globals.get("__all__", ()) or name in Tensor.__dict__
        if isinstance(getattr(node, "_name", None), str):  # an Op: torch's node names its op
            stem = re.sub(r"Backward\d*$", "", node._name)
            return re.sub(r"(?<!^)([A-Z])", r"_\1", stem).lower()
        if public and not name.startswith(("_", "<")) and name not in _PLUMBING \
                and not code.co_filename.endswith("_sparse.py"):
            return name
        f = f.f_back
    return None


def _dense_only(name=None):
    name = _op_name() or name
    if name is None:
        return NotImplementedError(
            "Could not run this operation with arguments from the 'SparseCPU' backend: ember "
            "supports sparse tensors in the operations torch.sparse lists (see ember.sparse); "
            "call .to_dense() first")
    return NotImplementedError(
        f"Could not run 'aten::{name}' with arguments from the 'SparseCPU' backend. This could be "
        "because the operator doesn't exist for this backend, or was omitted during the "
        "selective/custom build process (if using custom build). ember implements sparse COO "
        "construction, coalesce, to_dense, indices/values, add, sparse.sum and sparse @ dense "
        "products; call .to_dense() for the rest.")


class _Flags:
    writeable = True  # what autograd's accumulation reads; anything else refuses

    def __getattr__(self, name):
        raise _dense_only()


class SparseCOO:
    """The data of a sparse COO tensor. It answers the metadata a Tensor reads (shape, dtype)
    and refuses everything a dense op would do with an array."""

    __slots__ = ("indices", "values", "shape", "coalesced")
    _ember_layout = D.sparse_coo
    _ember_device = _CPU
    base = None  # what autograd's accumulation reads of a fresh gradient
    strides = ()
    flags = _Flags()

    def __init__(self, indices, values, shape, coalesced):
        self.indices, self.values = indices, values
        self.shape, self.coalesced = tuple(shape), coalesced

    ndim = property(lambda self: len(self.shape))
    size = property(lambda self: math.prod(self.shape))
    dtype = property(lambda self: self.values.dtype)
    itemsize = property(lambda self: self.values.itemsize)
    nbytes = property(lambda self: self.values.nbytes + self.indices.nbytes)

    def copy(self):
        return SparseCOO(self.indices.copy(), self.values.copy(), self.shape, self.coalesced)

    def astype(self, dtype, copy=True):  # dtype casts (Tensor.to, promotion) cast the values
        return SparseCOO(self.indices, self.values.astype(dtype, copy=copy), self.shape,
                         self.coalesced)

    def _refuse(self, *args, **kwargs):
        raise _dense_only()

    def __array__(self, *args, **kwargs):
        raise _dense_only()

    def __array_ufunc__(self, ufunc, method, *args, **kwargs):
        if ufunc is np.add and method == "__call__" and len(args) == 2 and not kwargs:
            return _add(*args)
        raise _dense_only(ufunc.__name__)

    def __add__(self, other):
        return _add(self, other)

    def __radd__(self, other):
        return _add(other, self)

    def __array_function__(self, func, types, args, kwargs):
        if func is np.dot and len(args) == 2 and not kwargs and args[1] is self \
                and isinstance(args[0], _ndarray):  # matmul's no-grad path: dense @ sparse
            from .sparse._products import _check_mm_right, _dense_sparse
            _check_mm_right(args[0], self)
            return _dense_sparse(args[0], self)
        raise _dense_only(func.__name__)

    def __getattr__(self, name):
        raise _dense_only(name.strip("_"))

    __sub__ = __rsub__ = __mul__ = __rmul__ = __truediv__ = _refuse
    __rtruediv__ = __matmul__ = __rmatmul__ = __pow__ = __neg__ = __getitem__ = _refuse
    __setitem__ = __isub__ = __imul__ = __itruediv__ = __lt__ = __gt__ = _refuse
    __le__ = __ge__ = __abs__ = __iter__ = __len__ = __float__ = __int__ = __bool__ = _refuse


def _add(a, b):
    """a + b where one is sparse (Tensor add and autograd's gradient sums), as torch's add:
    sparse + sparse stays sparse, dense + sparse is dense, sparse + dense is refused."""
    sa, sb = a.__class__ is SparseCOO, b.__class__ is SparseCOO
    if sa and not sb:
        raise RuntimeError("add(sparse, dense) is not supported. Use add(dense, sparse) instead.")
    if not sa:
        if not isinstance(a, _ndarray) or a.shape != b.shape:
            raise _dense_only("add")
        return a + _densify(b)
    if a.shape != b.shape or a.indices.shape[0] != b.indices.shape[0]:
        raise _dense_only("add")
    dtype = np.result_type(a.values, b.values)
    if a.indices is b.indices or (a.indices.shape == b.indices.shape
                                  and (a.indices == b.indices).all()):
        return SparseCOO(a.indices, (a.values + b.values).astype(dtype, copy=False), a.shape,
                         a.coalesced and b.coalesced)
    # different patterns: entries concatenated (merged when both are coalesced); torch's own
    # order for two uncoalesced inputs differs, the tensor they stand for does not
    out = SparseCOO(np.concatenate([a.indices, b.indices], axis=1),
                    np.concatenate([a.values, b.values]).astype(dtype, copy=False), a.shape, False)
    return SparseCOO(*_coalesce(out), a.shape, True) if a.coalesced and b.coalesced else out


def is_sparse(t):
    return t._data.__class__ is SparseCOO


def _make(indices, values, shape, coalesced, rg=False):
    return _wrap(SparseCOO(indices, values, shape, coalesced), rg)


def _need_sparse(t, what, noun="sparse coordinate tensor"):
    if t._data.__class__ is not SparseCOO:
        raise RuntimeError(f"{what} expected {noun} layout but got Strided")
    return t._data


# ---------------------------------------------------------------- kernels on arrays
def _linear(idx, shape):
    """Row-major linear positions of the index columns over the sparse dims."""
    lin = np.zeros(idx.shape[1], np.int64)
    for d, n in enumerate(shape[:idx.shape[0]]):
        lin = lin * n + idx[d]
    return lin


def _coalesce(s):
    """(indices, values) sorted by position with duplicates summed (torch's coalesce)."""
    idx, val = s.indices, s.values
    sd = idx.shape[0]
    if idx.shape[1] == 0 or sd == 0:
        if sd == 0 and idx.shape[1] > 1:
            return idx[:, :1], val.sum(axis=0, keepdims=True)
        return idx.copy(), val.copy()
    lin = _linear(idx, s.shape)
    order = np.argsort(lin, kind="stable")
    lin_sorted = lin[order]
    first = np.ones(len(lin_sorted), bool)
    first[1:] = lin_sorted[1:] != lin_sorted[:-1]
    starts = np.flatnonzero(first)
    out_val = np.add.reduceat(val[order], starts, axis=0) if len(starts) else val[:0]
    return idx[:, order[starts]], out_val.astype(val.dtype, copy=False)


def _densify(s):
    out = np.zeros(s.shape, s.values.dtype)
    np.add.at(out, tuple(s.indices), s.values)
    return out


def _mask(dense, s):
    """dense's entries at s's (coalesced) pattern: torch's sparse_mask, as a SparseCOO."""
    idx = _coalesce(s)[0]
    return SparseCOO(idx, dense[tuple(idx)], s.shape, True)


def _dense_of(g):
    a = g._data
    return _densify(a) if a.__class__ is SparseCOO else a


# ---------------------------------------------------------------- ops
class SparseCooTensor(Op):
    _name = "SparseCooTensorWithDimsAndTensorsBackward0"

    def forward(ctx, values, indices, shape, coalesced):
        ctx.indices = indices
        return SparseCOO(indices, values, shape, coalesced)

    def backward(ctx, grad):  # each value's gradient is grad at its position
        return _wrap(_dense_of(grad)[tuple(ctx.indices)]), None, None, None


class Coalesce(Op):
    _name = "CoalesceBackward0"

    def forward(ctx, s):
        idx, val = _coalesce(s)
        return SparseCOO(idx, val, s.shape, True)

    def backward(ctx, grad):
        return (grad,)


class ToDense(Op):
    _name = "ToDenseBackward0"

    def forward(ctx, s):
        ctx.s = s
        return _densify(s)

    def backward(ctx, grad):  # torch's to_dense_backward: grad masked to the input's pattern
        return (_wrap(_mask(grad._data, ctx.s)),)


class ToSparse(Op):
    _name = "ToSparseBackward0"

    def forward(ctx, x, sparse_dim):
        nz = x != 0
        if sparse_dim < x.ndim:
            nz = nz.reshape(x.shape[:sparse_dim] + (-1,)).any(axis=-1)
        idx = np.array(np.nonzero(nz), dtype=np.int64).reshape(sparse_dim, -1)
        return SparseCOO(idx, x[tuple(idx)].copy(), x.shape, True)

    def backward(ctx, grad):
        return _wrap(_dense_of(grad)), None


class Values(Op):
    _name = "ValuesBackward0"

    def forward(ctx, s):
        ctx.s = s
        return s.values

    def backward(ctx, grad):
        s = ctx.s
        return (_wrap(SparseCOO(s.indices, grad._data, s.shape, s.coalesced)),)


# ---------------------------------------------------------------- construction
def _as_tensor(x, dtype=None):
    if isinstance(x, Tensor):
        return x if dtype is None or x.dtype is dtype else x.to(dtype)
    from .ops.creation import tensor
    return tensor(x, dtype=dtype)


def _check_args(idx, val, size):
    sd = idx.shape[0] if idx.ndim else 0
    dd = val.ndim - 1
    if size is not None and len(size) != sd + dd:
        raise RuntimeError(f"'len(size) == sparse_dim + dense_dim' is not satisfied: len(size) = "
                           f"{len(size)}, sparse_dim = {sd}, dense_dim = {dd}")
    if idx.ndim != 2:
        raise RuntimeError(f"indices must be sparse_dim x nnz, but got: {list(idx.shape)}")
    if idx.shape[1] != val.shape[0]:
        raise RuntimeError(f"indices and values must have same nnz, but got nnz from indices: "
                           f"{idx.shape[1]}, nnz from values: {val.shape[0]}")


def _check_bounds(idx, size):
    # torch checks these only with check_invariants=True and otherwise reads out of bounds;
    # ember always checks, so such a tensor never exists
    for d in range(idx.shape[0]):
        if idx.shape[1] == 0:
            break
        lo, hi = int(idx[d].min()), int(idx[d].max())
        if lo < 0:
            raise RuntimeError(f"found negative index {lo} for dim {d}")
        if hi >= size[d]:
            raise RuntimeError(f"size is inconsistent with indices: for dim {d}, size is "
                               f"{size[d]} but found index {hi}")


def sparse_coo_tensor(indices, values, size=None, *, dtype=None, device=None, pin_memory=False,
                      requires_grad=False, check_invariants=None, is_coalesced=None):
    """Matches torch.sparse_coo_tensor (CPU)."""
    from ._args import unsupported
    if device is not None and _as_device(device).type != "cpu":
        unsupported("torch.sparse_coo_tensor", "device", device)
    if pin_memory:
        unsupported("torch.sparse_coo_tensor", "pin_memory", pin_memory)
    if check_invariants is None and not _WARNED:
        _WARNED.append(True)
        warnings.warn(_IMPLICIT, UserWarning, stacklevel=2)
    out = _build(indices, _as_tensor(values, dtype), size, is_coalesced, check_invariants)
    if requires_grad:
        out.requires_grad_()
    return out


def _build(indices, val, size, is_coalesced=None, check_invariants=None):
    """A sparse tensor of `val`'s dtype at `indices`, after torch's checks."""
    if val._data.ndim == 0:  # torch takes a 0-d value as one entry
        val = val.reshape(1)
    idx = np.ascontiguousarray(_as_tensor(indices)._data, np.int64)  # torch casts, too
    if size is not None:
        size = tuple(int(n) for n in size)
    _check_args(idx, val._data, size)
    if size is None:
        sparse = tuple(int(n) + 1 for n in idx.max(axis=1)) if idx.shape[1] else (0,) * len(idx)
        size = sparse + tuple(val._data.shape[1:])
    _check_bounds(idx, size)
    coalesced = bool(is_coalesced) if is_coalesced is not None else idx.shape[1] < 2
    if is_coalesced and check_invariants:
        lin = _linear(idx, size)
        if (np.diff(lin) <= 0).any():
            raise RuntimeError("cannot have is_coalesced=True for uncoalesced indices")
    if val._rg:
        return SparseCooTensor.apply(val, idx, size, coalesced)
    return _make(idx, val._data, size, coalesced)


def _as_device(device):
    from ._device import as_device
    return as_device(device)


# ---------------------------------------------------------------- Tensor methods
def to_dense(self, dtype=None, *, masked_grad=None):
    if masked_grad is not None:
        from ._args import refuse_if
        refuse_if("torch.Tensor.to_dense", "masked_grad", masked_grad, None)
    out = ToDense.apply(self) if self._data.__class__ is SparseCOO else self
    return out if dtype is None else out.to(dtype)


def to_sparse(self, sparse_dim=None, *, layout=None, blocksize=None, dense_dim=None):
    from ._args import refuse_if, unsupported
    if layout is not None and layout is not D.sparse_coo:
        unsupported("torch.Tensor.to_sparse", "layout", layout)
    refuse_if("torch.Tensor.to_sparse", "blocksize", blocksize, None)
    refuse_if("torch.Tensor.to_sparse", "dense_dim", dense_dim, None)
    if self._data.__class__ is SparseCOO:
        return self
    sd = self._data.ndim if sparse_dim is None else int(sparse_dim)
    return ToSparse.apply(self, sd)


def coalesce(self):
    s = _need_sparse(self, "coalesce")
    return self if s.coalesced else Coalesce.apply(self)


def is_coalesced(self):
    return _need_sparse(self, "is_coalesced").coalesced


def indices(self):
    s = _need_sparse(self, "indices")
    if not s.coalesced:
        raise RuntimeError("Cannot get indices on an uncoalesced tensor, please call .coalesce() "
                           "first")
    return _wrap(s.indices)


def values(self):
    s = _need_sparse(self, "values", "sparse tensor")
    if not s.coalesced:
        raise RuntimeError("Cannot get values on an uncoalesced tensor, please call .coalesce() "
                           "first")
    return Values.apply(self)


def _indices(self):
    return _wrap(_need_sparse(self, "_indices").indices)


def _values(self):
    return _wrap(_need_sparse(self, "_values", "sparse tensor").values)


def _nnz(self):
    if self._data.__class__ is not SparseCOO:
        raise NotImplementedError(str(_dense_only("_nnz")).replace("'SparseCPU'", "'CPU'"))
    return self._data.indices.shape[1]


def sparse_dim(self):
    s = self._data
    return s.indices.shape[0] if s.__class__ is SparseCOO else 0


def dense_dim(self):
    s = self._data
    return s.values.ndim - 1 if s.__class__ is SparseCOO else s.ndim


METHODS = {"to_dense": to_dense, "to_sparse": to_sparse, "coalesce": coalesce,
           "is_coalesced": is_coalesced, "indices": indices, "values": values,
           "_indices": _indices, "_values": _values, "_nnz": _nnz, "sparse_dim": sparse_dim,
           "dense_dim": dense_dim}  # Tensor's loaders (_tensor_methods.py) call these


# ---------------------------------------------------------------- printing
def _body(a, dtype, indent):
    from ._printing import _tensor_str
    body = _tensor_str(a, dtype, indent) if a.size else "[]"
    return body + (f", size={tuple(a.shape)}" if not a.size else "")


def sparse_repr(t):
    """torch's repr of a sparse COO tensor: indices and values, then size, nnz and layout."""
    from ._printing import _OPTS, _PREFIX, _grad_fn_name
    s, dtype = t._data, t.dtype
    default = D.get_default_dtype()
    partner = "complex128" if default.name == "float64" else "complex64"
    suffixes = [f"size={tuple(s.shape)}", f"nnz={s.indices.shape[1]}"]
    if dtype is not default and dtype.name not in (partner, "int64", "bool"):
        suffixes.append(f"dtype={dtype!r}")
    suffixes.append("layout=torch.sparse_coo")
    if t.grad_fn is not None:
        suffixes.append(f"grad_fn=<{_grad_fn_name(t.grad_fn)}>")
    elif t.requires_grad:
        suffixes.append("requires_grad=True")
    indent = len(_PREFIX)
    text = (_PREFIX + "indices=tensor(" + _body(s.indices, D.int64, indent + 15) + "),\n"
            + " " * indent + "values=tensor(" + _body(s.values, dtype, indent + 14) + ")")
    out, last = [text, ",\n" + " " * indent + suffixes[0]], indent + len(suffixes[0])
    for x in suffixes[1:]:  # torch's _add_suffixes with force_newline for the first suffix
        if last + len(x) + 2 > _OPTS["linewidth"]:
            out.append(",\n" + " " * indent + x)
            last = indent + len(x)
        else:
            out.append(", " + x)
            last += len(x) + 2
    return "".join(out) + ")"
