"""What torch's global names build when a checkpoint is unpickled, and how unpickling writes.

Storage types and loaded storages, torch's `_rebuild_*` functions on ember tensors (a strided
view of the storage's one array, with torch's checks and errors), and the only ways a pickle
writes state: `tensor_set_` (BUILD on a Tensor), `tensor_setstate` (on a Parameter), `build`
(pickle's BUILD on an allowlisted type) and `restore_attr` under them all, so devices, sizes and
dtypes stay immutable and a tensor's own fields stay ember's. `_pickle_safe` maps torch's names
to these.
"""

import warnings

import numpy as np

from . import _dtype as D
from ._args import EmberNotImplementedError
from ._device import array_device, device, to_device, to_host
from ._tensor import (
    _CPP_NAMES,
    Size,
    Tensor,
    _as_subclass,
    _contiguous_strides,
    _root,
    _wrap,
)
from .autograd.grad_mode import is_grad_enabled

# ---------------------------------------------------------------- storages
_FOREIGN_DTYPES = ("uint16", "uint32", "uint64", "complex32", "float8_e4m3fn",
                   "float8_e5m2", "float8_e4m3fnuz", "float8_e5m2fnuz", "float8_e8m0fnu")
_STORAGE_DTYPES = {
    "FloatStorage": "float32", "DoubleStorage": "float64", "HalfStorage": "float16",
    "BFloat16Storage": "bfloat16", "LongStorage": "int64", "IntStorage": "int32",
    "ShortStorage": "int16", "CharStorage": "int8", "ByteStorage": "uint8",
    "BoolStorage": "bool", "ComplexFloatStorage": "complex64",
    "ComplexDoubleStorage": "complex128", "UntypedStorage": None}


class _ForeignDtype:
    """A torch dtype ember lacks: a checkpoint holding one cannot be loaded."""

    __slots__ = ("name",)

    def __init__(self, name):
        self.name = name

    def __repr__(self):
        return "torch." + self.name


_BF16_BITS = np.dtype("<u2")


class _StorageType:
    """What a `torch.FloatStorage` GLOBAL unpickles to: a saved storage's element type.

    `wire` is the element type of the saved bytes, `target` the in-memory one. bfloat16's are
    ml_dtypes' bfloat16 (looked up when a bfloat16 storage is read, not when this type is made);
    without ml_dtypes its bits are widened exactly to float32, with a warning naming the extra.
    """

    __slots__ = ("name", "dtype", "_wire")

    def __init__(self, name, dtype_name):
        self.name = name
        self.dtype = None if dtype_name is None else (
            D._BY_NAME.get(dtype_name) or _ForeignDtype(dtype_name))
        self._wire = (np.dtype(np.uint8) if dtype_name is None else
                      None if self.dtype is D.bfloat16 else self.dtype.np)

    @property
    def wire(self):
        if self._wire is not None:
            return self._wire
        return D.bfloat16.np if D.has_bfloat16() else _BF16_BITS

    @property
    def target(self):  # the in-memory element type
        wire = self.wire
        if wire is _BF16_BITS:
            _warn_bf16()
            return np.dtype(np.float32)
        return wire

    def convert(self, raw):
        return _bf16_to_f32(raw) if raw.dtype == _BF16_BITS and self._wire is None else raw

    def __repr__(self):
        return f"torch.{self.name}"


def _bf16_to_f32(bits):
    return (bits.astype(np.uint32) << 16).view(np.float32)


class _Storage:
    """A loaded storage: `array` is 1-D, on its device, in the in-memory element type."""

    __slots__ = ("array", "kind")

    def __init__(self, array, kind):
        self.array, self.kind = array, kind


# ---------------------------------------------------------------- what a pickle may write
# torch's names for ember's value types, as its messages print them
_TORCH_NAMES = {device: "torch.device", Size: "torch.Size", D.dtype: "torch.dtype",
                _ForeignDtype: "torch.dtype", _StorageType: "StorageType",
                _Storage: "torch.storage.TypedStorage"}
# names ember keeps in a tensor's __dict__ for itself (the others are its class's attributes)
_TENSOR_DICT_INTERNALS = frozenset(("_retains", "_accum_keep", "_view_fn", "_views"))
_TENSORBASE = "torch._C.TensorBase"


def _type_name(obj):
    return _TORCH_NAMES.get(type(obj)) or type(obj).__name__


def _refuse_attr(obj, name):
    """torch's error for writing `name` on an immutable value (a device, size or dtype)."""
    cls, shown = type(obj), _TORCH_NAMES[type(obj)]
    if name in getattr(cls, "__slots__", ()) or isinstance(getattr(cls, name, None), property):
        raise AttributeError(f"attribute '{name}' of '{shown}' objects is not writable")
    if name != "__dict__" and hasattr(cls, name):
        raise AttributeError(f"'{shown}' object attribute '{name}' is read-only")
    raise AttributeError(f"'{shown}' object has no attribute '{name}'")


def restore_attr(obj, name, value):
    """The one way unpickling writes an attribute: value types refuse as torch's C types do,
    tensors accept what torch's accept without reaching ember's own fields."""
    if not isinstance(name, str):
        raise TypeError(f"attribute name must be string, not '{type(name).__name__}'")
    if type(obj) in _TORCH_NAMES:
        _refuse_attr(obj, name)
    if isinstance(obj, Tensor):
        _set_tensor_attr(obj, name, value)
    else:
        setattr(obj, name, value)


def _tensor_class_attr(cls, name):
    """(the class of the MRO defining `name`, its value), or (None, None)."""
    for klass in cls.__mro__:
        if name in vars(klass):
            return klass, vars(klass)[name]
    return None, None


def _set_tensor_attr(t, name, value):
    if name == "requires_grad":
        return _set_requires_grad(t, value)
    if name in ("data", "_grad", "grad"):
        if name == "data" and not isinstance(value, Tensor):
            raise TypeError(f"Variable data has to be a tensor, but got {_type_name(value)}")
        return setattr(t, "grad" if name == "_grad" else name, value)
    if name == "_backward_hooks":
        return None  # torch's hook table: saved empty, and ember keeps no tensor hooks there
    if name == "__class__":
        if not is_tensor_class(value):
            raise TypeError("__class__ assignment only supported for mutable types or ModuleType "
                            "subclasses")
        t.__class__ = value
        return None
    if name == "__dict__":
        if not isinstance(value, dict):
            raise TypeError(f"__dict__ must be set to a dictionary, not a "
                            f"'{type(value).__name__}'")
        for k in [k for k in t.__dict__ if k not in _TENSOR_DICT_INTERNALS]:
            del t.__dict__[k]
        for k, v in value.items():
            restore_attr(t, k, v)
        return None
    owner, attr = _tensor_class_attr(type(t), name)
    if owner is None or not owner.__module__.startswith("ember."):
        if name in _TENSOR_DICT_INTERNALS:
            raise AttributeError(f"ember cannot restore the attribute '{name}' of a tensor: "
                                 "ember keeps its own state under that name")
        return setattr(t, name, value)  # a new attribute, or one of a user's subclass
    if isinstance(attr, property) and attr.fset is not None:
        return setattr(t, name, value)
    if isinstance(attr, property) or name in ("dtype", "grad_fn", "_base") or (
            not name.startswith("_") and not callable(attr)):
        raise AttributeError(f"attribute '{name}' of '{_TENSORBASE}' objects is not writable")
    raise AttributeError(f"ember cannot restore the attribute '{name}' of a tensor: it would "
                         "replace ember's own Tensor attribute of that name")


def is_tensor_class(cls):
    """A class whose instances are honest tensors: a Tensor subclass that redefines none of
    Tensor's fields (ember's legacy FloatTensor-style classes pin a dtype, so they do not)."""
    if not (isinstance(cls, type) and issubclass(cls, Tensor)):
        return False
    fields = _tensor_fields()
    for klass in cls.__mro__:
        if klass is Tensor:
            return True
        if any(name in fields for name in vars(klass)):
            return False
    return False


def _tensor_fields():
    return {n for n, a in vars(Tensor).items()
            if n in Tensor.__slots__ or isinstance(a, property)} - {"__dict__", "__weakref__"}


def _set_requires_grad(t, value):
    """torch's `tensor.requires_grad = value`, checks and messages included."""
    if type(value) is not bool:
        raise RuntimeError("requires_grad must be a bool")
    if value and not (t.dtype.is_floating_point or t.dtype.is_complex):
        raise RuntimeError("only Tensors of floating point and complex dtype can require "
                           "gradients")
    t._rg = value


def _new_parameter(data=None, requires_grad=True):
    """torch's `Parameter(data, requires_grad)` as unpickling calls it, checks included."""
    from .nn.parameter import Parameter
    if data is None:
        return Parameter(None, requires_grad)
    if not isinstance(data, Tensor):  # torch calls data.detach() on anything not a tensor
        raise AttributeError(f"'{_type_name(data)}' object has no attribute 'detach'")
    if type(requires_grad) is not bool:
        raise TypeError("_make_subclass(): argument 'require_grad' (position 3) must be bool, "
                        f"not {_type_name(requires_grad)}")
    if requires_grad and not (data.dtype.is_floating_point or data.dtype.is_complex):
        raise RuntimeError("Only Tensors of floating point and complex dtype can require "
                           "gradients")
    return Parameter(data, requires_grad)


def build(inst, state):
    """pickle's BUILD on an allowlisted object, every write through `restore_attr`."""
    if isinstance(inst, Tensor) and getattr(type(inst), "__setstate__", None) is getattr(
            Tensor, "__setstate__", None):
        return tensor_setstate(inst, state)
    setstate = getattr(inst, "__setstate__", None)
    if setstate is not None:
        return setstate(state)
    slots = None
    if isinstance(state, tuple) and len(state) == 2:
        state, slots = state
    if state:
        if type(inst) in _TORCH_NAMES:
            _refuse_attr(inst, "__dict__")
        inst.__dict__.update(state)
    for k, v in (slots or {}).items():
        restore_attr(inst, k, v)
    return None


def tensor_setstate(t, state):
    """torch's Tensor.__setstate__ (what BUILD does on a Parameter)."""
    if t.grad_fn is not None:
        raise RuntimeError("__setstate__ can be only called on leaf Tensors")
    if len(state) == 4:
        return tensor_set_(t, state)
    if len(state) == 5:
        restore_attr(t, "data", state[0])
        state = (state[3], state[4], state[2])
    requires_grad, _, hooks = state
    _set_requires_grad(t, requires_grad)
    return None


_SET_SIGNATURES = (
    " * ()\n * (torch.Storage source)\n * (torch.Storage source, int storage_offset, tuple of "
    "ints size, tuple of ints stride = None)\n * (Tensor source)\n * (Tensor source, int "
    "storage_offset, tuple of ints size, tuple of ints stride = None)\n")


def _set_error(args):
    got = ", ".join(_type_name(a) for a in args)
    return TypeError(f"set_() received an invalid combination of arguments - got ({got}), but "
                     f"expected one of:\n{_SET_SIGNATURES}")


def tensor_set_(t, state):
    """torch's `tensor.set_(*state)`: BUILD on a plain Tensor (torch's legacy tensor format).
    Only `t` changes; it views the source's memory, as torch's set_ shares storage."""
    try:
        args = tuple(state)
    except TypeError:
        raise TypeError(f"Tensor.set_() argument after * must be an iterable, not "
                        f"{_type_name(state)}") from None
    if t._rg and t.grad_fn is None and is_grad_enabled():
        raise RuntimeError("a leaf Variable that requires grad is being used in an in-place "
                           "operation.")
    if not args:
        arr = array_device(t._data).xp.empty((0,), t.dtype.np)
    elif len(args) == 1 and isinstance(args[0], Tensor):
        if args[0].dtype is not t.dtype:
            raise RuntimeError(f"Could not set tensor of type {_CPP_NAMES[args[0].dtype.np]} to "
                               f"a tensor of type {_CPP_NAMES[t.dtype.np]}")
        arr = args[0]._data
    elif len(args) == 1 and isinstance(args[0], _Storage):
        arr = _typed(args[0], t.dtype)
    elif len(args) in (3, 4) and isinstance(args[0], (_Storage, Tensor)):
        source = args[0]
        if isinstance(source, Tensor):  # its whole storage, read as t's dtype
            root = _root(source._data)
            if not source.is_contiguous() or not (root.flags.c_contiguous or
                                                  root.flags.f_contiguous):
                raise RuntimeError("passed in tensor to be used as storage must be contiguous")
            raw = _reinterpret(root.ravel(order="K"), t.dtype.np)
        else:
            raw = _typed(source, t.dtype)
        stride = args[3] if len(args) == 4 else None
        arr = set_storage_view(raw, args[1], args[2], stride, args)
    else:
        raise _set_error(args)
    t._data, t.dtype, t._base = arr, D._BY_NP[arr.dtype], None
    return None


_SCALAR_NAMES = {"float32": "Float", "float64": "Double", "float16": "Half", "int64": "Long",
                 "int32": "Int", "int16": "Short", "int8": "Char", "uint8": "Byte",
                 "bool": "Bool", "complex64": "ComplexFloat", "complex128": "ComplexDouble"}


def _typed(storage, dtype):
    """A storage's memory as `dtype` elements: its own type must be `dtype` (or untyped)."""
    kind = storage.kind.dtype
    if kind is not None and kind is not dtype:
        got = _SCALAR_NAMES.get(getattr(kind, "name", ""), repr(kind))
        raise RuntimeError(f"Expected a Storage of type {_CPP_NAMES[dtype.np]} or an "
                           f"UntypedStorage, but got type {got} for argument 1 'storage'")
    return _reinterpret(storage.array, dtype.np)


def _reinterpret(raw, np_dtype):
    """The whole elements of `np_dtype` in the bytes of the 1-D contiguous array `raw`."""
    if raw.dtype == np_dtype:
        return raw
    usable = raw.nbytes // np_dtype.itemsize * np_dtype.itemsize
    return raw.view(np.uint8)[:usable].view(np_dtype)


def _is_int(x):
    return isinstance(x, (int, np.integer)) and not isinstance(x, (bool, np.bool_))


def _int_list(x):
    return isinstance(x, (tuple, list)) and all(_is_int(n) for n in x)


def set_storage_view(array, offset, size, stride, args):
    """torch's set_(storage, offset, size, stride) on the 1-D `array`: a strided view of it,
    never a copy (so views of one storage share memory), with torch's checks and errors."""
    if not (_is_int(offset) and _int_list(size) and (stride is None or _int_list(stride))):
        raise _set_error(args)
    size = tuple(int(n) for n in size)
    offset = int(offset)
    stride = _contiguous_strides(size) if stride is None else tuple(int(s) for s in stride)
    if len(size) != len(stride):
        raise RuntimeError(f"unequal size length ({len(size)}) and stride length "
                           f"({len(stride)})")
    if offset < 0:
        raise RuntimeError(f"Tensor: invalid storage offset {offset}")
    numel = 1
    for n in size:
        numel *= n
        if n < 0 or numel >= 2 ** 63:
            raise RuntimeError("numel: integer multiplication overflow")
    xp = array_device(array).xp
    if numel == 0:
        return xp.empty(size, array.dtype)
    extent = 1 + sum((n - 1) * s for n, s in zip(size, stride))
    if any(s < 0 for s in stride) or extent * array.itemsize >= 2 ** 63:
        raise RuntimeError(f"Storage size calculation overflowed with sizes={list(size)} and "
                           f"strides={list(stride)}")
    if offset + extent > array.size:
        raise RuntimeError("Trying to resize storage that is not resizable")
    nbytes = tuple(s * array.itemsize for s in stride)
    if isinstance(array, np.ndarray):
        return np.ndarray(size, array.dtype, buffer=array, offset=offset * array.itemsize,
                          strides=nbytes)
    return xp.lib.stride_tricks.as_strided(array[offset:], size, nbytes)


def _set_obj_state(obj, state):
    """torch's _set_obj_state: a (dict, slots) state or a dict, each item through
    `restore_attr`."""
    if isinstance(state, tuple):
        if len(state) != 2:
            raise RuntimeError(f"Invalid serialized state: {state}")
        dict_state, slots_state = state
    else:
        dict_state, slots_state = state, None
    if dict_state:
        for k, v in dict_state.items():
            restore_attr(obj, k, v)
    if slots_state:
        for k, v in slots_state.items():
            restore_attr(obj, k, v)
    return obj


# ---------------------------------------------------------------- rebuild (load side)
def _storage_of(storage):
    if not isinstance(storage, _Storage):
        raise AttributeError(f"'{_type_name(storage)}' object has no attribute 'dtype'")
    return storage.array


def _rebuild_tensor(storage, storage_offset, size, stride):
    array = _storage_of(storage)
    args = (_UNTYPED, storage_offset, size, stride)
    return _wrap(set_storage_view(array, storage_offset, size, stride, args))


class _UntypedName:
    """Stands for torch's UntypedStorage in a set_() argument error."""


_UNTYPED = _UntypedName()
_TORCH_NAMES[_UntypedName] = "torch.storage.UntypedStorage"


def _rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, backward_hooks,
                       metadata=None):
    t = _rebuild_tensor(storage, storage_offset, size, stride)
    _set_requires_grad(t, requires_grad)
    if metadata:
        t = _apply_metadata(t, metadata)
    return t


# the legacy format fills its storages after the pickle is read: while a legacy file loads,
# the conj / neg tensors made from them are listed here, and computed again once they are filled
_deferred = [None]


def _apply_metadata(t, metadata):
    """torch's lazy conj/neg bits: the stored values are the un-conjugated, un-negated ones."""
    if not isinstance(metadata, dict):
        raise AssertionError(f"expected dict, got {type(metadata).__name__}")
    if metadata.get("conj") and not t.dtype.is_complex:
        raise RuntimeError("ember cannot set the conjugate bit of a non-complex tensor")
    a = _conj_neg(t._data, metadata)
    if a is t._data:
        return t
    out = _wrap(a)
    out._rg = t._rg
    if _deferred[0] is not None:
        _deferred[0].append((out, t, metadata))
    return out


def _conj_neg(a, metadata):
    if metadata.get("conj"):
        a = a.conj()
    return -a if metadata.get("neg") else a


def finish_deferred(pending):
    """The conj / neg tensors of a legacy file, from their storages' values now read."""
    for out, t, metadata in pending:
        out._data[...] = _conj_neg(t._data, metadata)


def _rebuild_tensor_v3(storage, storage_offset, size, stride, requires_grad, backward_hooks,
                       dtype, metadata=None):
    raw = _storage_of(storage)
    if isinstance(dtype, _ForeignDtype):
        raise ValueError(f"ember has no dtype {dtype!r}")
    if dtype is D.bfloat16 and not D.has_bfloat16():
        _warn_bf16()
        arr = raw if raw.dtype == np.float32 else to_device(
            _bf16_to_f32(_reinterpret(to_host(raw), _BF16_BITS)), array_device(raw))
    elif isinstance(dtype, D.dtype):
        arr = _reinterpret(raw, dtype.np)
    else:
        raise TypeError(f"empty(): argument 'dtype' must be torch.dtype, not "
                        f"{_type_name(dtype)}")
    args = (_UNTYPED, storage_offset, size, stride)
    t = _wrap(set_storage_view(arr, storage_offset, size, stride, args))
    _set_requires_grad(t, requires_grad)
    if metadata:
        t = _apply_metadata(t, metadata)
    return t


def _rebuild_meta_tensor_no_storage(dtype, size, stride, requires_grad):
    """torch's record of a meta tensor: dtype, size and strides, no storage."""
    if not isinstance(dtype, D.dtype):
        raise TypeError(f"empty_strided(): argument 'dtype' must be torch.dtype, not "
                        f"{_type_name(dtype)}")
    if not (all(_is_int(n) and n >= 0 for n in size) and len(stride) == len(size) and
            all(_is_int(s) and s >= 0 for s in stride)):
        raise RuntimeError(f"invalid size {size!r} or stride {stride!r} of a meta tensor")
    from . import _meta
    if dtype is D.bfloat16:
        D._load_bfloat16()
    t = _wrap(_meta.empty(tuple(size), dtype.np, tuple(stride)))
    _set_requires_grad(t, requires_grad)
    return t


def _rebuild_parameter(data, requires_grad, backward_hooks=None):
    return _new_parameter(data, requires_grad)


def _rebuild_parameter_with_state(data, requires_grad, backward_hooks, state):
    return _set_obj_state(_new_parameter(data, requires_grad), state)


def _rebuild_from_type_v2(func, new_type, args, state):
    """torch's: call `func`, make the result a `new_type`, then restore its attributes."""
    ret = func(*args)
    if type(ret) is not new_type:
        if not isinstance(ret, Tensor):
            raise AttributeError(f"'{_type_name(ret)}' object has no attribute 'as_subclass'")
        if not isinstance(new_type, type):
            raise TypeError(f"cls must be a type (got {_type_name(new_type)})")
        if not is_tensor_class(new_type):
            raise TypeError("Creating a Tensor subclass from a class that does not inherit from "
                            "Tensor is not possible. Make sure your class inherits from Tensor.")
        ret = _as_subclass(ret, new_type)
    tensor_own = getattr(Tensor, "__setstate__", None)
    if getattr(type(ret), "__setstate__", tensor_own) is not tensor_own:
        ret.__setstate__(state)  # a class's own (not Tensor's, which is for BUILD)
        return ret
    return _set_obj_state(ret, state)


_LAYOUTS = frozenset(("torch.strided", "torch.sparse_coo", "torch.sparse_csr",
                      "torch.sparse_csc", "torch.sparse_bsr", "torch.sparse_bsc", "torch._mkldnn",
                      "torch.jagged"))


def _get_layout(name):
    """torch's layout by name: ember has the strided one; an unknown name is torch's KeyError."""
    if name == "torch.strided":
        return Tensor.layout
    if name in _LAYOUTS:
        raise EmberNotImplementedError(f"ember does not implement the {name} layout yet")
    raise KeyError(name)


def _unsupported(what):
    def rebuild(*args, **kwargs):
        raise EmberNotImplementedError(f"ember does not implement loading {what} yet")
    return rebuild


def _warn_bf16():
    warnings.warn("ember needs the optional package ml_dtypes for bfloat16 tensors "
                  "(pip install ember[bf16]): bfloat16 tensors are loaded as float32 (exactly, "
                  "every bfloat16 value is a float32 value)", UserWarning, stacklevel=3)
