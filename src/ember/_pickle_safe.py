"""Unpickling checkpoints: the weights-only interpreter and the names it may resolve.

`RestrictedUnpickler` reads the opcodes itself (it never hands the stream to pickle.Unpickler),
so no callable outside the allowlist can run: GLOBAL resolves names only through
`_torch_globals()` (torch's names mapped to ember's dtypes, classes and the rebuild functions
of `_rebuild`) and the user's `add_safe_globals` entries; REDUCE, NEWOBJ and BUILD accept only
those objects, and BUILD writes only through `_rebuild`'s setters, as torch's weights_only=True
loader does. `_find_torch_global` extends the same mapping for full (weights_only=False)
unpickling.
"""

import _compat_pickle
import codecs
import importlib
import pickle
import struct
import warnings
from collections import Counter, OrderedDict

from . import _dtype as D
from ._device import device
from ._rebuild import (  # noqa: F401 - serialization and _tensor import these from here
    _FOREIGN_DTYPES,
    _STORAGE_DTYPES,
    _ForeignDtype,
    _get_layout,
    _is_int,
    _new_parameter,
    _rebuild_from_type_v2,
    _rebuild_meta_tensor_no_storage,
    _rebuild_parameter,
    _rebuild_parameter_with_state,
    _rebuild_tensor,
    _rebuild_tensor_v2,
    _rebuild_tensor_v3,
    _Storage,
    _StorageType,
    _type_name,
    _unsupported,
    _warn_bf16,
    build,
    tensor_set_,
    tensor_setstate,
)
from ._tensor import Size, Tensor

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
               _rebuild_parameter_with_state, _rebuild_meta_tensor_no_storage):
        g["torch._utils." + fn.__name__] = fn
    for name, what in (("qtensor", "quantized tensors"), ("sparse_tensor", "sparse tensors"),
                       ("nested_tensor", "nested tensors"),
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
