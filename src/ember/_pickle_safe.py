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
from ._device import array_device, device, to_device, to_host
from ._tensor import Size, Tensor, _as_subclass, _wrap

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


class CorruptPickle(pickle.UnpicklingError):
    """The pickle bytes themselves are broken (truncated, bad memo index, stack underflow)."""


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
    """Interprets one pickle from `file`, resolving globals only through the allowlists."""

    def __init__(self, file, allowed, persistent_load, parameter_cls=None):
        self.read, self.readline = file.read, file.readline
        self.allowed = allowed
        self.user = _user_table()
        self.trusted = {id(v) for v in allowed.values()} | {id(v) for v in self.user.values()}
        self.persistent_load = persistent_load
        self.parameter_cls = parameter_cls
        self.memo, self.stack, self.metastack = {}, [], []

    def load(self):
        try:
            while True:
                key = self.read(1)
                if not key:
                    raise CorruptPickle("the pickle data is truncated (ran out of input)")
                if key == b".":
                    return self.stack.pop()
                op = _OPS.get(key[0])
                if op is None:
                    raise pickle.UnpicklingError(f"Unsupported operand {key[0]}")
                op(self)
        except (IndexError, KeyError, struct.error, EOFError, UnicodeDecodeError) as e:
            raise CorruptPickle(f"the pickle data is corrupted ({type(e).__name__}: {e})") from None

    # ---- helpers ----
    def _take(self, n):
        data = self.read(n)
        if len(data) != n:
            raise CorruptPickle("the pickle data is truncated (ran out of input)")
        return data

    def _unpack(self, fmt):
        return struct.unpack(fmt, self._take(struct.calcsize(fmt)))[0]

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
            raise pickle.UnpicklingError(f"Trying to call reduce for unrecognized function {func}")
        if not isinstance(args, tuple):
            raise CorruptPickle(f"REDUCE arguments must be a tuple, got {type(args).__name__}")
        try:
            self.stack[-1] = func(*args)
        except (TypeError, ValueError) as e:
            raise CorruptPickle(f"calling {_full_name(func)} failed: {e}") from None

    def op_newobj(self):
        args, cls = self.stack.pop(), self.stack.pop()
        if cls is self.parameter_cls and cls is not None:
            self.stack.append(cls(*args))
        elif self._is_trusted(cls) and isinstance(cls, type):
            self.stack.append(cls.__new__(cls, *args))
        else:
            raise pickle.UnpicklingError(
                "Can only create new object for nn.Parameter or classes allowlisted via "
                f"`add_safe_globals` but got {cls}")

    def op_build(self):
        state = self.stack.pop()
        inst = self.stack[-1]
        cls = type(inst)
        if cls is OrderedDict or (self.parameter_cls is not None and cls is self.parameter_cls):
            if state:
                inst.__dict__.update(state)
        elif self._is_trusted(cls):
            if hasattr(inst, "__setstate__"):
                inst.__setstate__(state)
            else:
                slots = None
                if isinstance(state, tuple) and len(state) == 2:
                    state, slots = state
                if state:
                    inst.__dict__.update(state)
                for k, v in (slots or {}).items():
                    setattr(inst, k, v)
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
        for i in range(0, len(items) - 1, 2):
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

    def op_tuple_n(self, n):
        items = tuple(self.stack[-n:]) if n else ()
        if len(items) != n:
            raise IndexError("stack underflow")
        del self.stack[len(self.stack) - n:]
        self.stack.append(items)

    # ---- memo ----
    def op_get(self, fmt):
        self.stack.append(self.memo[self._unpack(fmt)])

    def op_put(self, fmt):
        self.memo[self._unpack(fmt)] = self.stack[-1]

    def op_memoize(self):
        self.memo[len(self.memo)] = self.stack[-1]

    # ---- scalars ----
    def op_str(self, fmt):
        self.stack.append(str(self._take(self._unpack(fmt)), "utf-8", "surrogatepass"))

    def op_bytes(self, fmt):
        self.stack.append(self._take(self._unpack(fmt)))

    def op_short_binstring(self):
        self.stack.append(self._take(self._unpack("<B")).decode("utf-8", "strict"))

    def op_long(self, fmt):
        self.stack.append(int.from_bytes(self._take(self._unpack(fmt)), "little", signed=True))

    def op_proto(self):
        self._take(1)

    def op_frame(self):
        self._take(8)


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
        pickle.APPEND: U.op_append, pickle.APPENDS: U.op_appends, pickle.SETITEM: U.op_setitem,
        pickle.SETITEMS: U.op_setitems, pickle.ADDITEMS: U.op_additems,
        pickle.EMPTY_TUPLE: _push(()), pickle.EMPTY_LIST: _push(list),
        pickle.EMPTY_DICT: _push(dict), pickle.EMPTY_SET: _push(set), pickle.NONE: _push(None),
        pickle.NEWTRUE: _push(True), pickle.NEWFALSE: _push(False),
        pickle.BININT: lambda u: u.stack.append(u._unpack("<i")),
        pickle.BININT1: lambda u: u.stack.append(u._unpack("<B")),
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
    for code, n in ((pickle.TUPLE1, 1), (pickle.TUPLE2, 2), (pickle.TUPLE3, 3)):
        ops[code] = lambda u, n=n: u.op_tuple_n(n)
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


# ---------------------------------------------------------------- rebuild (load side)
def _strided(array, offset, size, stride):
    """A view of the 1-D `array` (never a copy), so tensors of one storage share memory."""
    size, stride = tuple(int(n) for n in size), tuple(int(s) for s in stride)
    if len(size) != len(stride) or offset < 0 or any(n < 0 for n in size) or any(
            s < 0 for s in stride):
        raise ValueError(f"invalid tensor geometry: size {list(size)}, stride {list(stride)}, "
                         f"offset {offset}")
    if 0 in size:
        return array_device(array).xp.empty(size, array.dtype)
    extent = offset + sum((n - 1) * s for n, s in zip(size, stride)) + 1
    if extent > array.size:
        raise ValueError(f"a tensor of size {list(size)} at offset {offset} needs {extent} "
                         f"elements but its storage holds {array.size}")
    nbytes = tuple(s * array.itemsize for s in stride)
    if isinstance(array, np.ndarray):
        return np.ndarray(size, array.dtype, buffer=array, offset=offset * array.itemsize,
                          strides=nbytes)
    return array_device(array).xp.ndarray(size, array.dtype, strides=nbytes,
                                          memptr=array.data + offset * array.itemsize)


def _storage_array(storage):
    if not isinstance(storage, _Storage):
        raise TypeError(f"expected a storage, got {type(storage).__name__}")
    return storage.array


def _rebuild_tensor(storage, storage_offset, size, stride):
    return _wrap(_strided(_storage_array(storage), storage_offset, size, stride))


def _rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, backward_hooks,
                       metadata=None):
    t = _rebuild_tensor(storage, storage_offset, size, stride)
    if metadata:
        t = _wrap(_apply_bits(t._data, metadata))
    t._rg = bool(requires_grad)
    return t


def _apply_bits(a, metadata):
    """torch's lazy conj/neg bits: the stored values are the un-conjugated, un-negated ones."""
    if metadata.get("conj"):
        a = a.conj()
    if metadata.get("neg"):
        a = -a
    return a


def _rebuild_tensor_v3(storage, storage_offset, size, stride, requires_grad, backward_hooks,
                       dtype, metadata=None):
    raw = _storage_array(storage)
    if isinstance(dtype, _ForeignDtype):
        if dtype.name != "bfloat16":
            raise ValueError(f"ember has no dtype {dtype!r}")
        _warn_bf16()
        arr = to_device(_bf16_to_f32(to_host(raw).view("<u2")), array_device(raw))
    elif isinstance(dtype, D.dtype):
        arr = raw.view(dtype.np) if raw.dtype != dtype.np else raw
    else:
        raise TypeError(f"expected a dtype, got {type(dtype).__name__}")
    t = _wrap(_strided(arr, storage_offset, size, stride))
    t._rg = bool(requires_grad)
    return t


def _rebuild_parameter(data, requires_grad, backward_hooks=None):
    from .nn.parameter import Parameter
    return Parameter(data, requires_grad)


def _rebuild_parameter_with_state(data, requires_grad, backward_hooks, state):
    return _set_state(_rebuild_parameter(data, requires_grad), state)


def _set_state(obj, state):
    dict_state, slots = state if isinstance(state, tuple) else (state, None)
    for k, v in {**(dict_state or {}), **(slots or {})}.items():
        setattr(obj, k, v)
    return obj


def _rebuild_from_type_v2(func, new_type, args, state):
    ret = func(*args)
    if type(ret) is not new_type and isinstance(new_type, type) and issubclass(new_type, Tensor):
        ret = _as_subclass(ret, new_type)
    return _set_state(ret, state)


def _get_layout(name):
    if name != "torch.strided":
        raise ValueError(f"ember supports only the strided layout, not {name}")
    return Tensor.layout


def _unsupported(what):
    def rebuild(*args, **kwargs):
        raise ValueError(f"ember cannot load {what}")
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
    g.update({"torch." + k: _StorageType(k, v) for k, v in _STORAGE_DTYPES.items()})
    _GLOBALS.update(g)
    return _GLOBALS


def _find_torch_global(module, name):
    """Full (weights_only=False) unpickling: the ember object for a torch name, or None."""
    full = f"{module}.{name}"
    table = _torch_globals()
    if full in table:
        return table[full]
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
