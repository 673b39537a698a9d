"""Tensor: a thin handle on a backend array plus autograd metadata.

`_data` is the NumPy (or CuPy) array, itself a view when the tensor is one, so views share
memory exactly as NumPy's do. A version counter (`_vc`, a one-element list) is shared by a base
and its views; in-place ops bump it, and saved tensors compare it at backward time. Operations
live in `ember.ops.*`, which bind their functions as methods here; this file holds only the
protocol (conversions, properties, autograd entry points).
"""

import numbers
from weakref import ref as _weakref

import numpy as np

from . import _dtype as D
from . import _layout, _meta
from . import autograd as _autograd
from ._device import _CPU, array_device, as_device, to_device, to_host
from ._device import device as _Device
from ._to_args import parse_to
from .autograd import engine, function
from .autograd import grad_mode as _gm

_new = object.__new__
_MetaArray = _meta.MetaArray
_strides_of = _layout.strides_of
_BY_NP = D._BY_NP
_ndarray = np.ndarray


class Size(tuple):
    """Matches torch.Size: a tuple of ints with torch's repr."""

    __slots__ = ()  # no __dict__: an immutable value, as torch's

    def __repr__(self):
        return "torch.Size([" + ", ".join(str(s) for s in self) + "])"

    def numel(self):
        n = 1
        for s in self:
            n *= s
        return n

    def __getitem__(self, i):
        r = tuple.__getitem__(self, i)
        return Size(r) if isinstance(i, slice) else r

    def __add__(self, other):
        return Size(tuple(self) + tuple(other))

    def __reduce__(self):
        return (Size, (tuple(self),))


def _coerce(data):
    if isinstance(data, np.generic):
        return np.asarray(data)
    if isinstance(data, _ndarray):  # a subclass (e.g. matrix, memmap), but a meta tensor's
        return data if type(data) is _MetaArray else data.view(np.ndarray)
    return data  # a cupy array


def _wrap(data, rg=False, fn=None, nr=0):
    """A new Tensor on `data` (no copy). Fast path used by every op."""
    if data.__class__ is not _ndarray:
        data = _coerce(data)
    t = _new(Tensor)
    t._data = data
    t.dtype = _BY_NP[data.dtype]
    t._rg = rg
    t._grad = None
    t.grad_fn = fn
    t._vc = [0]
    t._output_nr = nr
    t._base = None
    return t


def _view_of(base, data, fn=None):
    """A Tensor on `data`, a view of `base`'s array: shares its version counter."""
    t = _wrap(data, fn is not None, fn)
    t._vc = base._vc
    t._base = base if base._base is None else base._base
    if base._rg and not _gm._enabled[0]:  # torch forbids its in-place use with grad on
        t.__dict__["_nograd_view"] = True
    return t


_NON_LEAF_GRAD = (
    "The .grad attribute of a Tensor that is not a leaf Tensor is being accessed. Its .grad "
    "attribute won't be populated during autograd.backward(). If you indeed want the .grad field "
    "to be populated for a non-leaf Tensor, use .retain_grad() on the non-leaf Tensor. If you "
    "access the non-leaf Tensor by mistake, make sure you access the leaf Tensor instead. See "
    "github.com/pytorch/pytorch/pull/30531 for more information.")
_CPP_NAMES = {np.dtype(k): v for k, v in (
    ("float16", "c10::Half"), ("float32", "float"), ("float64", "double"),
    ("complex64", "c10::complex<float>"), ("complex128", "c10::complex<double>"),
    ("int8", "signed char"), ("int16", "short int"), ("int32", "int"), ("int64", "long int"),
    ("uint8", "unsigned char"), ("bool", "bool"))}
_LEAF_INPLACE = "a leaf Variable that requires grad is being used in an in-place operation."
_NOGRAD_VIEW = (
    "A view was created in no_grad mode and is being modified inplace with grad mode enabled. "
    "Given that this use case is ambiguous and error-prone, it is forbidden. You can clarify "
    "your code by moving both the view and the inplace either both inside the no_grad block (if "
    "you don't want the inplace to be tracked) or both outside (if you want the inplace to be "
    "tracked).")


class Tensor:
    """Matches torch.Tensor."""

    __slots__ = ("_data", "dtype", "_rg", "_grad", "grad_fn", "_vc", "_output_nr", "_base",
                 "__dict__", "__weakref__")
    __array_priority__ = 1000
    _accum_ref = None
    _tangent = None  # forward AD: (level token, tangent), see autograd/forward_ad.py
    _meta_hooks = None
    _is_param = False

    def __new__(cls, *args, device=None):
        from .ops.creation import _legacy_new
        return _legacy_new(cls, D.get_default_dtype(), args, device)

    # ---- metadata ----
    @property
    def shape(self):
        return Size(self._data.shape)

    def size(self, dim=None):
        if dim is None:
            return Size(self._data.shape)
        return self._data.shape[_dim(dim, self._data.ndim)]

    def dim(self):
        return self._data.ndim

    ndimension = dim

    @property
    def ndim(self):
        return self._data.ndim

    def numel(self):
        return self._data.size

    nelement = numel

    def element_size(self):
        return self._data.itemsize

    @property
    def itemsize(self):
        return self._data.itemsize

    @property
    def nbytes(self):
        return self._data.nbytes

    def stride(self, dim=None):
        st = _strides_of(self._data)
        return st if dim is None else st[_dim(dim, self._data.ndim)]

    def storage_offset(self):
        a = self._data
        if type(a) is _MetaArray:
            return a._off
        return (_ptr(a) - _ptr(_root(a))) // a.itemsize

    def is_contiguous(self, memory_format=None):
        a = self._data
        if memory_format is None or memory_format is D.contiguous_format:
            if type(a) is not _MetaArray:
                return a.flags.c_contiguous  # NumPy's flag is torch's rule: size-1 dims ignored
            memory_format = None
        return _layout.is_contiguous(a.shape, _strides_of(a), memory_format)

    @property
    def is_meta(self):
        return type(self._data) is _MetaArray

    @property
    def device(self):
        d = self._data
        return _CPU if type(d) is _ndarray else array_device(d)

    @property
    def is_cuda(self):
        return self.device.type == "cuda"

    is_quantized = False
    is_mkldnn = False
    is_nested = False

    @property
    def layout(self):  # a sparse tensor's `_data` names its layout (ember/_sparse.py)
        return getattr(self._data.__class__, "_ember_layout", D.strided)

    @property
    def is_sparse(self):
        return self.layout is D.sparse_coo

    def get_device(self):
        d = self.device
        return d.index if d.type == "cuda" else -1

    def is_floating_point(self):
        return self.dtype.is_floating_point

    def is_complex(self):
        return self.dtype.is_complex

    def is_signed(self):
        return self.dtype.is_signed

    @property
    def _version(self):
        return self._vc[0]

    def _bump(self):
        self._vc[0] += 1

    def data_ptr(self):
        return 0 if type(self._data) is _MetaArray else _ptr(self._data)

    # ---- autograd ----
    @property
    def requires_grad(self):
        return self._rg

    @requires_grad.setter
    def requires_grad(self, value):
        if self.grad_fn is not None:
            if value:
                return  # a non-leaf already requires grad: torch allows asking again
            raise RuntimeError(
                "you can only change requires_grad flags of leaf variables. If you want to use a "
                "computed variable in a subgraph that doesn't require differentiation use "
                "var_no_grad = var.detach().")
        if value and not (self.dtype.is_floating_point or self.dtype.is_complex):
            raise RuntimeError("only Tensors of floating point dtype can require gradients")
        self._rg = bool(value)

    def requires_grad_(self, requires_grad=True):
        self.requires_grad = requires_grad
        return self

    @property
    def is_leaf(self):
        return self.grad_fn is None

    @property
    def output_nr(self):
        return self._output_nr

    def _accumulator(self):
        ref = self._accum_ref
        node = ref() if ref is not None else None
        if node is None:
            node = function.AccumulateGrad(self)
            self._accum_ref = _weakref(node)
        return node

    def backward(self, gradient=None, retain_graph=None, create_graph=False, inputs=None):
        # through the module attribute at call time, as torch does (tests patch it)
        _autograd.backward(self, gradient, retain_graph, create_graph, inputs=inputs)

    @property
    def grad(self):
        g = self._grad
        if g is None and self.grad_fn is not None and not self.__dict__.get("_retains"):
            import warnings
            warnings.warn(_NON_LEAF_GRAD, UserWarning, stacklevel=2)
        return g

    @grad.setter
    def grad(self, value):
        if value is not None:
            if not isinstance(value, Tensor):
                raise TypeError("assigned grad expected to be a Tensor or None but got grad of "
                                f"type {type(value).__name__}")
            if value._data.shape != self._data.shape:
                raise RuntimeError(
                    f"attempting to assign a gradient of size '{list(value.shape)}' to a tensor "
                    f"of size '{list(self.shape)}'. Please ensure that the gradient and the "
                    "tensor are the same size")
            if value.dtype is not self.dtype:
                raise RuntimeError(
                    f"attempting to assign a gradient with dtype '{_CPP_NAMES[value.dtype.np]}' "
                    f"to a tensor with grad_dtype '{self.dtype._legacy[:-6]}'. The gradient must "
                    "match the tensor's grad_dtype (defaults to the tensor's dtype). You can set "
                    "the tensor's grad_dtype attribute with a specific dtype, or None to allow any "
                    "dtype. Set grad_dtype with caution. Diverging the dtypes of a tensor and its "
                    "gradient may break downstream systems that assume they match.")
        self._grad = value

    def detach(self):
        t = _wrap(self._data)
        t._vc = self._vc
        return t

    def detach_(self):
        if self._base is not None:  # torch refuses every view, whether or not it needs grad
            raise RuntimeError(
                "Can't detach views in-place. Use detach() instead. If you are using "
                "DistributedDataParallel (DDP) for training, and gradient_as_bucket_view is set "
                "as True, gradients are views of DDP buckets, and hence detach_() cannot be "
                "called on these gradients. To fix this error, please refer to the "
                "Optimizer.zero_grad() function in torch/optim/optimizer.py as the solution.")
        self.grad_fn = None
        self._rg = False
        return self

    def retain_grad(self):
        if self.grad_fn is None:
            if not self._rg:
                raise RuntimeError("can't retain_grad on Tensor that has requires_grad=False")
            return
        if self.__dict__.get("_retains"):
            return
        import weakref
        ref = weakref.ref(self)

        def hook(g):
            t = ref()
            if t is not None:
                t._grad = g.detach().clone() if t._grad is None else t._grad + g.detach()
        hook._retains_grad = True  # Node._add_tensor_hook keeps it last
        self.grad_fn._add_tensor_hook(self._output_nr, hook)
        self._retains = True

    @property
    def retains_grad(self):
        return bool(self.__dict__.get("_retains"))

    def register_hook(self, hook):
        if not self._rg:
            raise RuntimeError(
                "cannot register a hook on a tensor that doesn't require gradient")
        if self.grad_fn is not None:
            return self.grad_fn._add_tensor_hook(self._output_nr, hook)
        if self._meta_hooks is None:
            self._meta_hooks = []
        self._meta_hooks.append(hook)
        return function._Handle(self._meta_hooks, hook)

    def register_post_accumulate_grad_hook(self, hook):
        node = self._accumulator()
        node.__dict__.setdefault("_post_hooks", []).append(hook)
        self.__dict__["_accum_keep"] = node
        return function._Handle(node._post_hooks, hook)

    @property
    def data(self):
        t = _wrap(self._data)
        return t

    @data.setter
    def data(self, value):
        self._data = value._data
        self.dtype = value.dtype

    @property
    def _grad_fn(self):
        return self.grad_fn

    # ---- conversions ----
    def item(self):
        a = self._data
        if a.size != 1:
            raise RuntimeError(f"a Tensor with {a.size} elements cannot be converted to Scalar")
        return to_host(a).reshape(()).item()

    def tolist(self):
        return to_host(self._data).tolist()

    def numpy(self, *, force=False):
        if self._rg and not force:
            from ._hints import attach
            raise attach(RuntimeError("Can't call numpy() on Tensor that requires grad. Use "
                                      "tensor.detach().numpy() instead."), "numpy")
        if self.dtype is D.bfloat16:  # NumPy has no bfloat16
            raise TypeError("Got unsupported ScalarType BFloat16")
        if type(self._data) is not _ndarray:
            if self.is_sparse:
                raise TypeError("can't convert Sparse layout tensor to numpy. Use "
                                "Tensor.to_dense() first.")
            if not force:
                raise TypeError(
                    f"can't convert {self.device} device type tensor to numpy. Use Tensor.cpu() "
                    "to copy the tensor to host memory first.")
            return to_host(self._data)
        return self._data

    def __array__(self, dtype=None, copy=None):
        a = self.numpy()
        if dtype is not None:
            a = a.astype(dtype, copy=False)
        return a.copy() if copy else a

    def __array_wrap__(self, array, context=None, return_scalar=False):
        # NumPy functions that fell back to an array hand their result back here (np.exp(t))
        if array.dtype == np.bool_:
            array = array.astype(np.uint8)  # as torch does
        return _wrap(np.asarray(array))

    def __float__(self):
        if self._data.size != 1:
            raise ValueError("only one element tensors can be converted to Python scalars")
        return float(self.item())

    def __int__(self):
        if self._data.size != 1:
            raise ValueError("only one element tensors can be converted to Python scalars")
        return int(self.item())

    def __complex__(self):
        return complex(self.item())

    def __index__(self):
        if self.dtype.is_floating_point or self.dtype is D.bool_ or self._data.size != 1:
            raise TypeError("only integer tensors of a single element can be converted to an "
                            "index")
        return int(self.item())

    def __bool__(self):
        n = self._data.size
        if n != 1:
            if n == 0:
                raise RuntimeError("Boolean value of Tensor with no values is ambiguous")
            raise RuntimeError("Boolean value of Tensor with more than one value is ambiguous")
        return bool(self.item())

    def __len__(self):
        if self._data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self._data.shape[0]

    def __iter__(self):
        if self._data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return iter(self.unbind(0))

    def __contains__(self, element):
        if isinstance(element, (Tensor, numbers.Number)):
            return bool((self == element).any().item())
        raise RuntimeError("Tensor.__contains__ only supports Tensor or scalar, but you passed in "
                           f"a {type(element)}.")

    def __format__(self, spec):
        if self._data.ndim == 0 and type(self) is Tensor:
            return format(self.item(), spec)
        return object.__format__(self, spec)

    def __repr__(self, *, tensor_contents=None):
        if type(self._data) is _MetaArray:
            return _meta_repr(self)
        from ._printing import tensor_repr
        return tensor_repr(self)

    __str__ = __repr__

    def __hash__(self):
        return id(self)

    def __reduce_ex__(self, protocol):
        # torch pickles the whole storage with offset and strides: views stay views of one
        # storage within a pickle, and strides survive. A C-contiguous root array allows that.
        a = to_host(self._data)
        root = _root(a)
        if root.dtype == a.dtype and root.flags.c_contiguous:
            it = a.itemsize
            layout = ((_ptr(a) - _ptr(root)) // it, a.shape, tuple(s // it for s in a.strides))
            return (_rebuild, (root.reshape(-1), self._rg, str(self.device), layout))
        return (_rebuild, (a.copy(order="K"), self._rg, str(self.device)))

    def __setstate__(self, state):
        """torch's Tensor.__setstate__ (what a pickle's BUILD does on a tensor)."""
        from ._pickle_safe import tensor_setstate
        tensor_setstate(self, state)

    def __deepcopy__(self, memo):
        if not self.is_leaf:
            raise RuntimeError("Only Tensors created explicitly by the user (graph leaves) "
                               "support the deepcopy protocol at the moment.  If you were "
                               "attempting to deepcopy a module, this may be because of a "
                               "torch.nn.utils.weight_norm usage, see "
                               "https://github.com/pytorch/pytorch/pull/103001")
        if id(self) in memo:
            return memo[id(self)]
        t = type(self).__new__(type(self)) if type(self) is not Tensor else None
        new = _wrap(self._data.copy(), self._rg)
        if t is not None:
            new = _as_subclass(new, type(self))
        if self._grad is not None:
            new._grad = self._grad.__deepcopy__(memo)
        new.__dict__.update({k: v for k, v in self.__dict__.items() if not k.startswith("_")})
        memo[id(self)] = new
        return new

    # ---- devices and dtypes ----
    def to(self, *args, dtype=None, device=None, non_blocking=False, copy=False,
           memory_format=None):
        if args:  # torch's overloads: to(dtype, ...), to(other, ...), to(device, dtype, ...)
            a = args[0]
            if len(args) == 1 and isinstance(a, D.dtype):  # the common forms, read directly
                dtype = a
            elif len(args) == 1 and isinstance(a, (str, _Device)):
                device = a
            else:
                given = {k: v for k, v in (("dtype", dtype), ("device", device), ("copy", copy),
                                           ("memory_format", memory_format)) if v is not None
                         and v is not False}  # non_blocking: a transfer hint, nothing to do
                device, dtype, _, copy, memory_format = parse_to(args, given, allow_copy=True)
        from .ops.pointwise import _cast
        out = self
        if device is not None:
            dev = as_device(device, moving=True)
            if dev != self.device:
                out = _ToDevice.apply(out, dev)
        if dtype is not None and dtype is not out.dtype:
            out = _cast(out, dtype)
        if memory_format is not None and memory_format is not D.preserve_format:
            a = out._data
            if out is not self or copy or memory_format._name != _layout.suggest(
                    a.shape, _strides_of(a)):
                _layout.format_rank(memory_format, a.ndim)
                st = _layout.format_strides(a.shape, memory_format)
                if out is self:
                    out = self.clone(memory_format=memory_format)
                    if out.grad_fn is not None:
                        out.grad_fn._name = "ToCopyBackward0"
                elif a.__class__ is _ndarray:
                    out._data = _layout.copy_to(a, st)
        if copy and out is self:
            out = self.clone()
        return out

    def cpu(self):
        return self.to("cpu")

    def cuda(self, device=None, non_blocking=False):
        return self.to(as_device("cuda" if device is None else device))

    def type(self, dtype=None, non_blocking=False):
        if dtype is None:
            prefix = "torch.cuda." if self.is_cuda else "torch."
            return prefix + self.dtype._legacy
        if isinstance(dtype, str):
            name = dtype.rsplit(".", 1)[-1]
            dtype = next(d for d in D.ALL if d._legacy == name)
        elif isinstance(dtype, type) and issubclass(dtype, Tensor):
            dtype = dtype._legacy_dtype
        return self.to(dtype)

    def type_as(self, other):
        return self.to(other.dtype)

    def float(self):
        return self.to(D.float32)

    def double(self):
        return self.to(D.float64)

    def half(self):
        return self.to(D.float16)

    def long(self):
        return self.to(D.int64)

    def int(self):
        return self.to(D.int32)

    def short(self):
        return self.to(D.int16)

    def char(self):
        return self.to(D.int8)

    def byte(self):
        return self.to(D.uint8)

    def bool(self):
        return self.to(D.bool_)

    def cfloat(self):
        return self.to(D.complex64)

    def cdouble(self):
        return self.to(D.complex128)

    def pin_memory(self):
        return self

    def is_pinned(self):
        return False

    def share_memory_(self):
        # moves the storage into shared memory (ember.multiprocessing._shm)
        from .multiprocessing import _shm
        return _shm.share_(self)

    def is_shared(self):
        from .multiprocessing import _shm
        return _shm.is_shared(self)

    # ---- shape-like properties bound to ops ----
    @property
    def T(self):
        return self.permute(*range(self._data.ndim - 1, -1, -1))

    @property
    def mT(self):
        if self._data.ndim < 2:
            raise RuntimeError("tensor.mT is only supported on matrices or batches of matrices. "
                               f"Got {self._data.ndim}-D tensor.")
        return self.transpose(-2, -1)

    @property
    def H(self):
        nd = self._data.ndim
        if nd not in (0, 2):
            raise RuntimeError(f"tensor.H is only supported on matrices (2-D tensors). Got {nd}-D "
                               "tensor." + (" For batches of matrices, consider using tensor.mH"
                                            if nd > 2 else ""))
        return self.T.conj()

    @property
    def mH(self):
        if self._data.ndim < 2:
            raise RuntimeError("tensor.mH is only supported on matrices or batches of matrices. "
                               f"Got {self._data.ndim}-D tensor.")
        return self.mT.conj()

    @property
    def real(self):
        return self if not self.dtype.is_complex else self._real()

    @real.setter
    def real(self, value):
        self.real.copy_(value)

    @property
    def imag(self):
        return self._imag()

    @imag.setter
    def imag(self, value):
        self._imag().copy_(value)

    def __dir__(self):
        return sorted(set(dir(type(self))) | set(self.__dict__))


class _ToDevice(function.Op):
    _name = "ToCopyBackward0"

    def forward(ctx, x, dev):
        ctx.src = array_device(x)
        return to_device(x, dev)

    def backward(ctx, grad):
        return grad.to(ctx.src), None


def _rebuild(data, rg, dev="cpu", layout=None):
    if layout is not None:
        offset, shape, strides = layout
        it = data.itemsize
        data = np.lib.stride_tricks.as_strided(data[offset:], shape, tuple(s * it for s in strides))
    t = _wrap(data)
    if dev != "cpu":
        t = t.to(dev)
    t._rg = rg
    return t


def _as_subclass(t, cls):
    new = _new(cls)
    for s in Tensor.__slots__[:-2]:
        object.__setattr__(new, s, getattr(t, s))
    return new


def _meta_repr(t):
    """torch's repr of a meta tensor: no values, its size and what differs from the defaults."""
    parts = ["device='meta'", f"size={tuple(t.shape)}"]
    if t.dtype is not D.get_default_dtype():
        parts.append(f"dtype={t.dtype}")
    if t.grad_fn is not None:
        from ._printing import _grad_fn_name
        parts.append(f"grad_fn=<{_grad_fn_name(t.grad_fn)}>")
    elif t._rg:
        parts.append("requires_grad=True")
    return "tensor(..., " + ", ".join(parts) + ")"


_contiguous_strides = _layout.contiguous


def _root(a):
    """The array owning a's memory (through NumPy's as_strided wrapper objects too)."""
    while True:
        b = a.base
        if not isinstance(b, np.ndarray):
            b = getattr(b, "base", None)  # as_strided/broadcast_to keep a wrapper in between
            if not isinstance(b, np.ndarray):
                return a
        a = b


def _ptr(a):
    if a.__class__ is _ndarray or isinstance(a, np.ndarray):
        return a.__array_interface__["data"][0]
    return a.data.ptr


def _storage(t):
    """(storage array, element offset) of a tensor: the root array its memory belongs to."""
    root = _root(t._data)
    return root, (_ptr(t._data) - _ptr(root)) // t._data.itemsize


def _dim(d, ndim):
    n = max(ndim, 1)
    if not isinstance(d, numbers.Integral):
        raise TypeError(f"dim must be an int, got {type(d).__name__}")
    if d < -n or d >= n:
        raise IndexError(f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], "
                         f"but got {d})")
    return d + n if d < 0 else d


_OVERLAP = ("unsupported operation: more than one element of the written-to tensor refers to a "
            "single memory location. Please clone() the tensor before performing the operation.")


def _check_inplace(t, overlap=True):
    """Refuses an in-place write as torch does. With `overlap`, also a write into a tensor whose
    elements share memory (expanded); fill_, zero_, index_fill_, masked_fill_, index_put_ and
    tril_/triu_ allow that in torch."""
    if overlap:
        _check_overlap(t._data)
    if _gm._enabled[0] and t._base is not None and t.__dict__.get("_nograd_view"):
        raise RuntimeError(_NOGRAD_VIEW)
    if _gm._enabled[0] and t._rg:
        if t.grad_fn is None:
            from ._hints import attach
            raise attach(RuntimeError(_LEAF_INPLACE), "inplace")
        if t._base is not None and t._base._rg and t._base.grad_fn is None:
            from ._hints import attach
            raise attach(RuntimeError("a view of a leaf Variable that requires grad is being "
                                      "used in an in-place operation."), "inplace")


def _expanded(t, name, example):
    """Whether t is expanded (one memory location behind several elements) and written
    without recording: torch's index_put_ / index_fill_ / masked_fill_ then write only the
    elements they select, through the shared memory, with a deprecation warning."""
    a = t._data
    if 0 not in a.strides or not a.size or _gm._enabled[0] and t._rg or type(a) is _MetaArray:
        return False
    if not any(s == 0 and n > 1 for n, s in zip(a.shape, a.strides)):
        return False
    import warnings

    from .ops._util import user_stacklevel
    warnings.warn(f"Use of {name} on expanded tensors is deprecated. Please clone() the tensor "
                  f"before performing this operation. This also applies to advanced indexing e.g. "
                  f"{example}", UserWarning, stacklevel=user_stacklevel())
    return True


def _check_overlap(a):
    if 0 in a.strides and a.size:  # an empty tensor has no element to share memory
        for n, s in zip(a.shape, _strides_of(a) if type(a) is _MetaArray else a.strides):
            if s == 0 and n > 1:
                raise RuntimeError(_OVERLAP)


function.Tensor = Tensor
function._wrap = _wrap
engine._Tensor = Tensor
_autograd._Tensor[0] = Tensor
engine._wrap = _wrap
