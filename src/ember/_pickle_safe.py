"""Unpickling checkpoints: the weights-only interpreter and what torch's global names build.

`RestrictedUnpickler` reads the opcodes itself (it never hands the stream to pickle.Unpickler),
so no callable outside the allowlist can run: GLOBAL resolves names only through
`_torch_globals()` (torch's names mapped to the ember rebuild functions, dtypes and storage
classes defined at the bottom of this file) and the user's `add_safe_globals` entries, and
REDUCE, NEWOBJ and BUILD accept only those objects, as torch's weights_only=True loader does.
`_find_torch_global` extends the same mapping for full (weights_only=False) unpickling.
"""

import _compat_pickle
import codecs
import importlib
import pickle
import struct
import warnings
from collections import Counter, OrderedDict

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

__all__ = ["add_safe_globals", "get_safe_globals", "clear_safe_globals", "safe_globals"]

UNSAFE_MESSAGE = (
    "ember.load defaults to `weights_only=True`, as torch.load does since PyTorch 2.6. "
    "Re-running `ember.load` with `weights_only` set to `False` will likely succeed, but it can "
    "result in arbitrary code execution. Do it only if you got the file from a trusted source.")
_DOCS_MESSAGE = (
    "\n\nCheck the documentation of torch.load to learn more about types accepted by default "
    "with weights_only https://pytorch.org/docs/stable/generated/torch.load.html.")
_BLOCKED_MODULES = ("sys", "os", "posix", "nt")
_user = []  # add_safe_globals entries: an object, or (object, "module.name")


def add_safe_globals(safe_globals):
    """Matches torch.serialization.add_safe_globals: trust these objects in weights_only loads."""
    for entry in safe_globals:
        if isinstance(entry, tuple) and not (len(entry) == 2 and isinstance(entry[1], str)):
            raise ValueError("Expected tuple of length 2 (global, str of callable full path), "
                             f"but got {entry}")
    _user.extend(safe_globals)


def get_safe_globals():
    """Matches torch.serialization.get_safe_globals."""
    return list(_user)


def clear_safe_globals():
    """Matches torch.serialization.clear_safe_globals."""
    _user.clear()


class safe_globals:
    """Matches torch.serialization.safe_globals: add_safe_globals for the `with` block only."""

    def __init__(self, safe_globals):
        self.safe_globals = list(safe_globals)

    def __enter__(self):
        self._saved = list(_user)
        add_safe_globals(self.safe_globals)

    def __exit__(self, *exc):
        _user[:] = self._saved


def _full_name(obj):
    return f"{getattr(obj, '__module__', '?')}.{getattr(obj, '__qualname__', repr(obj))}"


def _user_table():
    """name -> object for the user's entries; ember objects also answer to torch's name."""
    table = {}
    for entry in _user:
        obj, name = entry if isinstance(entry, tuple) else (entry, _full_name(entry))
        table[name] = obj
        if name.startswith("ember."):
            table["torch." + name[len("ember."):]] = obj
    return table


def _user_lookup(table, full):
    if full in table:
        return table[full], True
    if full.startswith("torch.nn."):
        # ember.nn need not split its files the way torch.nn does: match on the class name
        name = full.rpartition(".")[2]
        for key, obj in table.items():
            if key.startswith("ember.nn.") and key.rpartition(".")[2] == name:
                return obj, True
    return None, False


def refused_global_message(full):
    shown = full[len("builtins."):] if full.startswith("builtins.") else full
    return (f"Unsupported global: GLOBAL {shown} was not an allowed global by default. Please use "
            f"`ember.serialization.add_safe_globals([{shown}])` or the "
            f"`ember.serialization.safe_globals([{shown}])` context manager to allowlist this "
            "global if you trust this class/function.")


def weights_only_message(message):
    """torch's wrapping of a weights-only refusal, naming ember's functions."""
    if "was not an allowed global by default" in message:
        return ("Weights only load failed. This file can still be loaded, to do so you have two "
                "options, \033[1mdo those steps only if you trust the source of the "
                f"checkpoint\033[0m. \n\t(1) {UNSAFE_MESSAGE}\n\t(2) Alternatively, to load with "
                "`weights_only=True` please check the recommended steps in the following error "
                "message.\n\tWeightsUnpickler error: " + message + _DOCS_MESSAGE)
    out = f"Weights only load failed. {UNSAFE_MESSAGE}\n"
    if "is blocked" not in message:
        out += ("Please file an issue with the following so that we can make "
                "`weights_only=True` compatible with your use case: WeightsUnpickler error: ")
    return out + "\n\n" + message + _DOCS_MESSAGE


def _map_protocol2_name(module, name):
    """Python 2 names (`__builtin__.set`) to Python 3 ones, as pickle's fix_imports does."""
    if (module, name) in _compat_pickle.NAME_MAPPING:
        return _compat_pickle.NAME_MAPPING[(module, name)]
    return _compat_pickle.IMPORT_MAPPING.get(module, module), name


class RestrictedUnpickler:
    """Interprets one pickle from `file`, resolving globals only through the allowlists.

    Malformed bytes fail as in torch's interpreter, with the same exceptions (an EOFError at
    the end of input, an IndexError for a stack underflow, a KeyError for a missing memo
    entry, ...). Besides torch's opcodes it reads the data-only ones of protocols 3-5
    (torch's refuses them as unsupported), so ember's own protocol-4 files load.
    """

    def __init__(self, file, allowed, persistent_load, parameter_cls=None, encoding="utf-8"):
        self.read, self.readline = file.read, file.readline
        self.allowed = allowed
        self.user = _user_table()
        self.trusted = {id(v) for v in allowed.values()} | {id(v) for v in self.user.values()}
        self.persistent_load = persistent_load
        self.parameter_cls = parameter_cls
        self.encoding = encoding
        self.memo, self.stack, self.metastack = {}, [], []

    def load(self):
        read, ops = self.read, _OPS
        while True:
            key = read(1)
            if not key:
                raise EOFError
            if key == b".":
                return self.stack.pop()
            op = ops.get(key[0])
            if op is None:
                raise pickle.UnpicklingError(f"Unsupported operand {key[0]}")
            op(self)

    # ---- helpers ----
    def _read(self, n):
        """Up to n bytes, as read(n) returns them, without reserving n bytes first."""
        if n <= _READ_CHUNK:
            return self.read(n)
        parts = []
        while n > 0:
            part = self.read(min(n, _READ_CHUNK))
            if not part:
                break
            parts.append(part)
            n -= len(part)
        return b"".join(parts)

    def _unpack(self, fmt):
        return struct.unpack(fmt, self.read(struct.calcsize(fmt)))[0]

    def _pop_mark(self):
        items, self.stack = self.stack, self.metastack.pop()
        return items

    def _is_trusted(self, obj):
        return id(obj) in self.trusted

    # ---- risky opcodes ----
    def _global(self, module, name):
        module, name = _map_protocol2_name(module, name)
        full = f"{module}.{name}"
        if module in _BLOCKED_MODULES:
            raise pickle.UnpicklingError(
                f"Trying to load unsupported GLOBAL {full} whose module {module} is blocked.")
        if full in self.allowed:
            return self.allowed[full]
        obj, found = _user_lookup(self.user, full)
        if found:
            return obj
        raise pickle.UnpicklingError(refused_global_message(full))

    def op_global(self):
        module = self.readline()[:-1].decode("utf-8")
        name = self.readline()[:-1].decode("utf-8")
        self.stack.append(self._global(module, name))

    def op_stack_global(self):
        name, module = self.stack.pop(), self.stack.pop()
        if not (isinstance(module, str) and isinstance(name, str)):
            raise pickle.UnpicklingError("STACK_GLOBAL requires str")
        self.stack.append(self._global(module, name))

    def op_reduce(self):
        args = self.stack.pop()
        func = self.stack[-1]
        if not self._is_trusted(func):
            message = f"Trying to call reduce for unrecognized function {func}"
            if hasattr(func, "__self__"):
                message += f" which belongs to {func.__self__}"
            raise pickle.UnpicklingError(message)
        if func is self.parameter_cls:
            func = _new_parameter
        self.stack[-1] = func(*args)

    def op_newobj(self):
        args, cls = self.stack.pop(), self.stack.pop()
        if cls is self.parameter_cls and cls is not None:
            self.stack.append(_new_parameter(*args))
        elif self._is_trusted(cls) and isinstance(cls, type):
            self.stack.append(cls.__new__(cls, *args))
        else:
            raise pickle.UnpicklingError(
                "Can only create new object for nn.Parameter or classes allowlisted via "
                f"`add_safe_globals` but got {cls}")

    def op_build(self):
        """What torch's weights-only BUILD reaches: a Tensor's set_, Tensor.__setstate__ for a
        Parameter, an OrderedDict's __dict__, and pickle's own BUILD for allowlisted types,
        through `restore_attr`, so value types (devices, sizes, dtypes) stay immutable."""
        state = self.stack.pop()
        inst = self.stack[-1]
        cls = type(inst)
        if cls is Tensor:
            tensor_set_(inst, state)
        elif self.parameter_cls is not None and cls is self.parameter_cls:
            tensor_setstate(inst, state)
        elif cls is OrderedDict:
            inst.__dict__.update(state)
        elif self._is_trusted(cls):
            build(inst, state)
        else:
            raise pickle.UnpicklingError(
                "Can only build Tensor, Parameter, OrderedDict or types allowlisted via "
                f"`add_safe_globals`, but got {cls}")

    def op_binpersid(self):
        pid = self.stack.pop()
        if type(pid) is not tuple and type(pid) is not int:
            raise pickle.UnpicklingError(
                f"persistent_load id must be tuple or int, but got {type(pid)}")
        if type(pid) is tuple and pid and _ascii(pid[0]) != "storage":
            raise pickle.UnpicklingError(
                f"Only persistent_load of storage is allowed, but got {type(pid[0])}")
        self.stack.append(self.persistent_load(pid))

    # ---- containers ----
    def op_append(self):
        item = self.stack.pop()
        if type(self.stack[-1]) is not list:
            raise pickle.UnpicklingError(
                f"Can only append to lists, but got {type(self.stack[-1])}")
        self.stack[-1].append(item)

    def op_appends(self):
        items = self._pop_mark()
        if type(self.stack[-1]) is not list:
            raise pickle.UnpicklingError(f"Can only extend lists, but got {type(self.stack[-1])}")
        self.stack[-1].extend(items)

    def _check_mapping(self, opcode):
        if type(self.stack[-1]) not in (dict, OrderedDict, Counter):
            raise pickle.UnpicklingError(
                f"Can only {opcode} for dict, collections.OrderedDict, collections.Counter, "
                f"but got {type(self.stack[-1])}")

    def op_setitem(self):
        v, k = self.stack.pop(), self.stack.pop()
        self._check_mapping("SETITEM")
        self.stack[-1][k] = v

    def op_setitems(self):
        items = self._pop_mark()
        self._check_mapping("SETITEMS")
        for i in range(0, len(items), 2):
            self.stack[-1][items[i]] = items[i + 1]

    def op_additems(self):
        items = self._pop_mark()
        if type(self.stack[-1]) is not set:
            raise pickle.UnpicklingError(
                f"Can only add items to sets, but got {type(self.stack[-1])}")
        self.stack[-1].update(items)

    def op_mark(self):
        self.metastack.append(self.stack)
        self.stack = []

    def op_tuple(self):
        items = tuple(self._pop_mark())  # not stack.append(...): _pop_mark replaces the stack
        self.stack.append(items)

    def op_tuple1(self):
        self.stack[-1] = (self.stack[-1],)

    def op_tuple2(self):
        self.stack[-2:] = [(self.stack[-2], self.stack[-1])]

    def op_tuple3(self):
        self.stack[-3:] = [(self.stack[-3], self.stack[-2], self.stack[-1])]

    # ---- memo ----
    def op_get(self, fmt):
        self.stack.append(self.memo[self.read(1)[0] if fmt == "<B" else self._unpack(fmt)])

    def op_put(self, fmt):
        self.memo[self.read(1)[0] if fmt == "<B" else self._unpack(fmt)] = self.stack[-1]

    def op_memoize(self):
        self.memo[len(self.memo)] = self.stack[-1]

    # ---- scalars ----
    def op_str(self, fmt):
        n = self.read(1)[0] if fmt == "<B" else self._unpack(fmt)
        self.stack.append(str(self._read(n), "utf-8", "surrogatepass"))

    def op_bytes(self, fmt):
        self.stack.append(self._read(self.read(1)[0] if fmt == "<B" else self._unpack(fmt)))

    def op_short_binstring(self):
        data = self.read(self.read(1)[0])
        self.stack.append(data if self.encoding == "bytes" else data.decode(self.encoding,
                                                                               "strict"))

    def op_long(self, fmt):
        n = self.read(1)[0] if fmt == "<B" else self._unpack(fmt)
        if n < 0:
            raise pickle.UnpicklingError("LONG pickle has negative byte count")
        self.stack.append(int.from_bytes(self._read(n), "little", signed=True))

    def op_proto(self):
        proto = self.read(1)[0]
        if proto != 2:
            warnings.warn(
                f"Detected pickle protocol {proto} in the checkpoint, which was not the default "
                "pickle protocol used by `torch.load` (2). The weights_only Unpickler might not "
                "support all instructions implemented by this protocol, please file an issue "
                "for adding support if you encounter this.", UserWarning, stacklevel=2)

    def op_frame(self):
        self.read(8)


_READ_CHUNK = 1 << 20


def _ascii(s):
    return s.decode("ascii") if isinstance(s, bytes) else s


def _push(value):
    return lambda self: self.stack.append(value() if callable(value) else value)


def _build_ops():
    U = RestrictedUnpickler
    ops = {
        pickle.GLOBAL: U.op_global, pickle.STACK_GLOBAL: U.op_stack_global,
        pickle.REDUCE: U.op_reduce, pickle.NEWOBJ: U.op_newobj, pickle.BUILD: U.op_build,
        pickle.BINPERSID: U.op_binpersid, pickle.MARK: U.op_mark, pickle.TUPLE: U.op_tuple,
        pickle.TUPLE1: U.op_tuple1, pickle.TUPLE2: U.op_tuple2, pickle.TUPLE3: U.op_tuple3,
        pickle.APPEND: U.op_append, pickle.APPENDS: U.op_appends, pickle.SETITEM: U.op_setitem,
        pickle.SETITEMS: U.op_setitems, pickle.ADDITEMS: U.op_additems,
        pickle.EMPTY_TUPLE: _push(()), pickle.EMPTY_LIST: _push(list),
        pickle.EMPTY_DICT: _push(dict), pickle.EMPTY_SET: _push(set), pickle.NONE: _push(None),
        pickle.NEWTRUE: _push(True), pickle.NEWFALSE: _push(False),
        pickle.BININT: lambda u: u.stack.append(u._unpack("<i")),
        pickle.BININT1: lambda u: u.stack.append(u.read(1)[0]),
        pickle.BININT2: lambda u: u.stack.append(u._unpack("<H")),
        pickle.BINFLOAT: lambda u: u.stack.append(u._unpack(">d")),
        pickle.LONG1: lambda u: u.op_long("<B"), pickle.LONG4: lambda u: u.op_long("<i"),
        pickle.BINUNICODE: lambda u: u.op_str("<I"),
        pickle.SHORT_BINUNICODE: lambda u: u.op_str("<B"),
        pickle.BINUNICODE8: lambda u: u.op_str("<Q"),
        pickle.SHORT_BINBYTES: lambda u: u.op_bytes("<B"),
        pickle.BINBYTES: lambda u: u.op_bytes("<I"), pickle.BINBYTES8: lambda u: u.op_bytes("<Q"),
        pickle.SHORT_BINSTRING: U.op_short_binstring,
        pickle.BINGET: lambda u: u.op_get("<B"), pickle.LONG_BINGET: lambda u: u.op_get("<I"),
        pickle.BINPUT: lambda u: u.op_put("<B"), pickle.LONG_BINPUT: lambda u: u.op_put("<I"),
        pickle.MEMOIZE: U.op_memoize, pickle.PROTO: U.op_proto, pickle.FRAME: U.op_frame,
    }
    return {code[0]: fn for code, fn in ops.items()}


_OPS = _build_ops()


# ---------------------------------------------------------------- what torch's names build
_FOREIGN_DTYPES = ("bfloat16", "uint16", "uint32", "uint64", "complex32", "float8_e4m3fn",
                   "float8_e5m2", "float8_e4m3fnuz", "float8_e5m2fnuz", "float8_e8m0fnu")
_STORAGE_DTYPES = {
    "FloatStorage": "float32", "DoubleStorage": "float64", "HalfStorage": "float16",
    "BFloat16Storage": "bfloat16", "LongStorage": "int64", "IntStorage": "int32",
    "ShortStorage": "int16", "CharStorage": "int8", "ByteStorage": "uint8",
    "BoolStorage": "bool", "ComplexFloatStorage": "complex64",
    "ComplexDoubleStorage": "complex128", "UntypedStorage": None}


class _ForeignDtype:
    """A torch dtype ember lacks; only bfloat16 can be loaded (widened exactly to float32)."""

    __slots__ = ("name",)

    def __init__(self, name):
        self.name = name

    def __repr__(self):
        return "torch." + self.name


class _StorageType:
    """What a `torch.FloatStorage` GLOBAL unpickles to: a saved storage's element type."""

    __slots__ = ("name", "dtype", "wire")

    def __init__(self, name, dtype_name):
        self.name = name
        self.dtype = None if dtype_name is None else (
            D._BY_NAME.get(dtype_name) or _ForeignDtype(dtype_name))
        self.wire = (np.dtype(np.uint8) if dtype_name is None else
                     np.dtype("<u2") if dtype_name == "bfloat16" else self.dtype.np)

    @property
    def target(self):  # the in-memory element type
        return np.dtype(np.float32) if self.wire == np.dtype("<u2") else self.wire

    def convert(self, raw):
        return _bf16_to_f32(raw) if self.target != self.wire else raw

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
    return xp.ndarray(size, array.dtype, strides=nbytes,
                      memptr=array.data + offset * array.itemsize)


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


def _apply_metadata(t, metadata):
    """torch's lazy conj/neg bits: the stored values are the un-conjugated, un-negated ones."""
    if not isinstance(metadata, dict):
        raise AssertionError(f"expected dict, got {type(metadata).__name__}")
    a = t._data
    if metadata.get("conj"):
        if not t.dtype.is_complex:
            raise RuntimeError("ember cannot set the conjugate bit of a non-complex tensor")
        a = a.conj()
    if metadata.get("neg"):
        a = -a
    if a is t._data:
        return t
    out = _wrap(a)
    out._rg = t._rg
    return out


def _rebuild_tensor_v3(storage, storage_offset, size, stride, requires_grad, backward_hooks,
                       dtype, metadata=None):
    raw = _storage_of(storage)
    if isinstance(dtype, _ForeignDtype):
        if dtype.name != "bfloat16":
            raise ValueError(f"ember has no dtype {dtype!r}")
        _warn_bf16()
        arr = to_device(_bf16_to_f32(_reinterpret(to_host(raw), np.dtype("<u2"))),
                        array_device(raw))
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
    warnings.warn("ember has no bfloat16 dtype: bfloat16 tensors are loaded as float32 "
                  "(exactly, every bfloat16 value is a float32 value)", UserWarning, stacklevel=3)


_GLOBALS = {}


def _torch_globals():
    """The weights-only allowlist: torch's global names mapped to ember objects."""
    if _GLOBALS:
        return _GLOBALS
    from .nn.parameter import Parameter
    from .ops import creation
    g = {"collections.OrderedDict": OrderedDict, "collections.Counter": Counter,
         "torch.nn.parameter.Parameter": Parameter, "torch.Size": Size, "torch.Tensor": Tensor,
         "torch.device": device, "torch.serialization._get_layout": _get_layout,
         "_codecs.encode": codecs.encode, "builtins.bytearray": bytearray,
         "builtins.set": set, "builtins.complex": complex,
         "torch._tensor._rebuild_from_type_v2": _rebuild_from_type_v2}
    for fn in (_rebuild_tensor, _rebuild_tensor_v2, _rebuild_tensor_v3, _rebuild_parameter,
               _rebuild_parameter_with_state):
        g["torch._utils." + fn.__name__] = fn
    for name, what in (("qtensor", "quantized tensors"), ("sparse_tensor", "sparse tensors"),
                       ("nested_tensor", "nested tensors"),
                       ("meta_tensor_no_storage", "meta tensors"),
                       ("wrapper_subclass", "tensor wrapper subclasses"),
                       ("device_tensor_from_numpy", "tensors of a foreign device"),
                       ("device_tensor_from_cpu_tensor", "tensors of a foreign device")):
        g[f"torch._utils._rebuild_{name}"] = _unsupported(what)
    for d in D.ALL:
        g["torch." + d.name] = d
        if hasattr(creation, d._legacy):
            g["torch." + d._legacy] = getattr(creation, d._legacy)
    g.update({"torch." + k: v for k, v in D.ALIASES.items()})
    g.update({"torch." + n: _ForeignDtype(n) for n in _FOREIGN_DTYPES})
    g.update({"torch." + k: _StorageType(k, v) for k, v in _STORAGE_DTYPES.items()
              if k != "UntypedStorage"})
    g["torch.storage.UntypedStorage"] = _StorageType("UntypedStorage", None)
    _GLOBALS.update(g)
    return _GLOBALS


def _find_torch_global(module, name):
    """Full (weights_only=False) unpickling: the ember object for a torch name, or None."""
    full = f"{module}.{name}"
    table = _torch_globals()
    if full in table:
        return table[full]
    if full == "torch.UntypedStorage":  # torch's full unpickler finds it by name too
        return table["torch.storage.UntypedStorage"]
    if module != "torch" and not module.startswith("torch."):
        return None
    candidates = ["ember" + module[len("torch"):]]
    if module.startswith("torch.nn."):
        candidates.append("ember.nn")
    for mod in candidates:
        try:
            return getattr(importlib.import_module(mod), name)
        except (ImportError, AttributeError):
            pass
    raise pickle.UnpicklingError(f"ember has no equivalent of {full}, which this checkpoint uses")
