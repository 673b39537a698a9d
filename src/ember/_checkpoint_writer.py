"""The save side of checkpoint files: torch's names in the pickle, its zip layout, atomic writes.

`_Pickler` writes protocol-2 pickles with torch's global names for ember's tensors, sizes, dtypes
and devices, and persistent ids for storages (`_StorageTable`: the root arrays tensors view, each
written once); `_write_zip` / `_write_legacy` lay out torch's two formats; `_atomic_write` writes
a path through a temporary that a later save cleans up if its process died.
"""

import contextlib
import os
import pickle
import secrets
import socket
import struct
import sys
import zlib
from collections import OrderedDict

import numpy as np

from . import _dtype as D
from ._device import array_device, device, to_host
from ._meta import MetaArray as _MetaArray
from ._tensor import Size, Tensor, _contiguous_strides, _ptr

MAGIC_NUMBER = 0x1950A86A20F9469CFC6C
PROTOCOL_VERSION = 1001
_ALIGN = 64


class _Global:
    """An object the pickle names by a GLOBAL opcode (a torch name, written without torch)."""

    __slots__ = ("module", "name")
    _cache = {}

    def __new__(cls, module, name):
        key = (module, name)
        if key not in cls._cache:
            obj = object.__new__(cls)
            obj.module, obj.name = module, name
            cls._cache[key] = obj
        return cls._cache[key]

    def __call__(self, *args):  # pickle's save_reduce insists on a callable
        raise TypeError(f"{self.module}.{self.name} is only a name in a checkpoint")


_REBUILD_V2 = _Global("torch._utils", "_rebuild_tensor_v2")
_REBUILD_PARAMETER = _Global("torch._utils", "_rebuild_parameter")
_REBUILD_META = _Global("torch._utils", "_rebuild_meta_tensor_no_storage")
_REBUILD_FROM_TYPE = _Global("torch._tensor", "_rebuild_from_type_v2")
_REBUILD_PARAMETER_STATE = _Global("torch._utils", "_rebuild_parameter_with_state")
_TENSOR = _Global("torch", "Tensor")


def _user_state(t):
    """The Python attributes a user set on tensor t (ember's own start with '_'), which torch
    saves with it (_rebuild_from_type_v2 / _rebuild_parameter_with_state)."""
    d = getattr(t, "__dict__", None)
    return {k: v for k, v in d.items() if not k.startswith("_")} if d else None


def _meta_args(t, requires_grad):
    """A meta tensor as torch records it: no storage, its dtype, size and strides."""
    return t.dtype, tuple(t.shape), tuple(t.stride()), requires_grad


class _SavedStorage:
    """One storage in the file: a contiguous 1-D block of memory and its persistent id."""

    __slots__ = ("key", "block", "pid")


class _TensorArgs:
    """The arguments of one `_rebuild_tensor_v2` (or, for a meta tensor,
    `_rebuild_meta_tensor_no_storage`) call: the tensor inside a Parameter."""

    __slots__ = ("args", "meta")

    def __init__(self, args, meta=False):
        self.args, self.meta = args, meta


class _StorageTable:
    """The storages of one save(), keyed by the root array they come from (views share)."""

    def __init__(self, legacy):
        self.legacy = legacy
        self.by_root = {}
        self.dtype_of = {}  # root -> the one dtype its data is saved as (torch refuses two)
        self.storages = []

    def layout(self, t):
        """(storage, element offset, strides) of tensor `t`."""
        a = t._data
        item = a.itemsize
        if a.size and all(s >= 0 and s % item == 0 for s in a.strides):
            root = _owner(a)
            off = _ptr(a) - _ptr(root)
            if (root.flags.c_contiguous or root.flags.f_contiguous) and not (
                    root.nbytes % item or off % item):
                key = (id(root), a.dtype)
                if key not in self.by_root:
                    if self.dtype_of.setdefault(id(root), a.dtype) != a.dtype:
                        raise RuntimeError("Cannot save multiple tensors or storages that view "
                                           "the same data as different types")
                    self.by_root[key] = self._add(root.ravel(order="K").view(a.dtype), root)
                return self.by_root[key], off // item, tuple(s // item for s in a.strides)
            if isinstance(a, np.ndarray):  # the owner is strided: keep only the span `a` covers
                extent = 1 + sum((n - 1) * s for n, s in zip(a.shape, a.strides)) // item
                span = np.lib.stride_tricks.as_strided(a, (extent,), (item,), writeable=False)
                return self._add(span, span), 0, tuple(s // item for s in a.strides)
        # empty, or not expressible as a view of one block: save its own contiguous copy
        block = a.reshape(-1) if a.flags.c_contiguous else a.copy().reshape(-1)
        return self._add(block, block), 0, _contiguous_strides(a.shape)

    def _add(self, block, root):
        s = _SavedStorage()
        s.block = block
        dev = array_device(block)
        location = "cpu" if dev.type == "cpu" else f"{dev.type}:{dev.index or 0}"
        if self.legacy:
            s.key = str(_ptr(root))
            while any(o.key == s.key for o in self.storages):
                s.key += "_"
        else:
            s.key = str(len(self.storages))
        kind = _Global("torch", D._BY_NP[block.dtype]._storage)
        s.pid = ("storage", kind, s.key, location, block.size) + ((None,) if self.legacy else ())
        self.storages.append(s)
        return s

    def tensor_args(self, t, requires_grad):
        storage, offset, stride = self.layout(t)
        return (storage, offset, tuple(t.shape), stride, requires_grad, OrderedDict())


def _owner(a):
    """The array owning `a`'s memory, seen through numpy's as_strided/broadcast_to wrappers."""
    if not isinstance(a, np.ndarray):  # a CuPy view's base is the CuPy array it views
        while type(a.base) is type(a):
            a = a.base
        return a
    while True:
        base = a.base
        if not isinstance(base, np.ndarray):
            base = getattr(base, "base", None)  # numpy's DummyArray holds the real base
            if not isinstance(base, np.ndarray):
                return a
        a = base


class _Pickler(pickle._Pickler):
    """Protocol-2 pickler writing torch's names for ember's tensors, sizes, dtypes, devices."""

    dispatch = dict(pickle._Pickler.dispatch)

    def __init__(self, file, protocol, table):
        super().__init__(file, protocol)
        self.table = table

    def persistent_id(self, obj):
        # a fresh tuple per reference, as torch writes (its pid is not memoized)
        if type(obj) is not _SavedStorage:
            return None
        kind, key = obj.pid[1], obj.pid[2]
        return ("storage", kind, key[:1] + key[1:]) + obj.pid[3:]

    def reducer_override(self, obj):
        if isinstance(obj, Tensor):
            if type(obj) is not Tensor and type(obj).__module__ == "ember.nn.parameter":
                from .nn.parameter import is_lazy
                if is_lazy(obj):  # a lazy module's placeholder: its class, as torch writes it
                    return (_Global("torch.nn.parameter", type(obj).__name__),
                            (obj.requires_grad,))
            meta = type(obj._data) is _MetaArray
            state = _user_state(obj)
            if obj._is_param:
                inner = _TensorArgs(_meta_args(obj, False) if meta else
                                    self.table.tensor_args(obj, False), meta)
                if state:
                    return _REBUILD_PARAMETER_STATE, (inner, obj.requires_grad, OrderedDict(),
                                                      state)
                return _REBUILD_PARAMETER, (inner, obj.requires_grad, OrderedDict())
            if meta:
                return _REBUILD_META, _meta_args(obj, obj.requires_grad)
            if state:
                return _REBUILD_FROM_TYPE, (_REBUILD_V2, _TENSOR, self.table.tensor_args(
                    obj, obj.requires_grad), state)
            return _REBUILD_V2, self.table.tensor_args(obj, obj.requires_grad)
        if type(obj) is _TensorArgs:
            return (_REBUILD_META if obj.meta else _REBUILD_V2), obj.args
        if isinstance(obj, Size):
            return _Global("torch", "Size"), (tuple(obj),)
        if isinstance(obj, device):
            return _Global("torch", "device"), (obj.type,) + (
                () if obj.index is None else (obj.index,))
        return NotImplemented

    def _save_global_name(self, obj):
        module, name = ("torch", obj.name) if isinstance(obj, D.dtype) else (obj.module, obj.name)
        self.write(pickle.GLOBAL + f"{module}\n{name}\n".encode("utf-8"))
        self.memoize(obj)

    def save_global(self, obj, name=None):
        # ember.nn's layers and functionals are written under torch's names (their files
        # mirror torch.nn.modules'), so torch.load(weights_only=False) builds torch's modules
        from .nn.modules import torch_global_name
        full = torch_global_name(obj) if name is None else None
        if full is None:
            return super().save_global(obj, name)
        self.write(pickle.GLOBAL + f"{full[0]}\n{full[1]}\n".encode("utf-8"))
        self.memoize(obj)

    dispatch[type(save_global)] = save_global  # functions (pickle binds its own save_global)
    dispatch[_Global] = _save_global_name
    dispatch[D.dtype] = _save_global_name


class _ZipWriter:
    """torch's archive layout: stored records under one folder, data 64-byte aligned, ZIP64 end
    records; CRC and sizes follow each record in a data descriptor, as miniz writes them."""

    def __init__(self, f, folder):
        self.f, self.folder, self.pos, self.entries = f, folder, 0, []

    def _put(self, data):
        self.f.write(data)
        self.pos += memoryview(data).nbytes

    def add(self, name, data):
        name = f"{self.folder}/{name}".encode("utf-8")
        size, crc, offset = memoryview(data).nbytes, zlib.crc32(data), self.pos
        pad = -(offset + 30 + len(name) + 4) % _ALIGN
        extra = b"FB" + struct.pack("<H", pad) + b"Z" * pad
        self._put(struct.pack("<IHHHHHIIIHH", 0x04034B50, 0, 0x0808, 0, 0, 0, 0, 0, 0,
                              len(name), len(extra)) + name + extra)
        self._put(data)
        fmt = "<IIQQ" if size >= 0xFFFFFFFF else "<IIII"
        self._put(struct.pack(fmt, 0x08074B50, crc, size, size))
        self.entries.append((name, size, crc, offset))

    def finish(self):
        start = self.pos
        for name, size, crc, offset in self.entries:
            big = [v for v in (size, size, offset) if v >= 0xFFFFFFFF]
            extra = struct.pack("<HH", 1, 8 * len(big)) + struct.pack(
                f"<{len(big)}Q", *big) if big else b""
            self._put(struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 0, 0, 0x0808, 0, 0, 0, crc,
                                  min(size, 0xFFFFFFFF), min(size, 0xFFFFFFFF), len(name),
                                  len(extra), 0, 0, 0, 0, min(offset, 0xFFFFFFFF))
                      + name + extra)
        n, cd_size, end = len(self.entries), self.pos - start, self.pos
        self._put(struct.pack("<IQHHIIQQQQ", 0x06064B50, 44, 0x031E, 0x2D, 0, 0, n, n, cd_size,
                              start))
        self._put(struct.pack("<IIQI", 0x07064B50, 0, end, 1))
        self._put(struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, min(n, 0xFFFF), min(n, 0xFFFF),
                              min(cd_size, 0xFFFFFFFF), min(start, 0xFFFFFFFF), 0))


def _block_bytes(block):
    return np.ascontiguousarray(to_host(block)).view(np.uint8)


def _write_zip(f, folder, pickled, table, byteorder_record=True):
    z = _ZipWriter(f, folder)
    z.add("data.pkl", pickled)
    z.add(".format_version", b"1")
    z.add(".storage_alignment", str(_ALIGN).encode())
    if byteorder_record:
        z.add("byteorder", sys.byteorder.encode())
    for s in table.storages:
        z.add(f"data/{s.key}", _block_bytes(s.block))
    z.add("version", b"3\n")
    if not byteorder_record:  # torch's writer still records it, as it closes the archive
        z.add("byteorder", sys.byteorder.encode())
    z.add(".data/serialization_id", str(int.from_bytes(os.urandom(16), "little")).zfill(40)
          .encode())
    z.finish()


def _write_legacy(f, pickled, table, protocol):
    sys_info = {"protocol_version": PROTOCOL_VERSION, "little_endian": sys.byteorder == "little",
                "type_sizes": {"short": 2, "int": 4, "long": 4}}
    for header in (MAGIC_NUMBER, PROTOCOL_VERSION, sys_info):
        pickle.dump(header, f, protocol=protocol)
    f.write(pickled)
    storages = sorted(table.storages, key=lambda s: s.key)
    pickle.dump([s.key for s in storages], f, protocol=protocol)
    for s in storages:
        f.write(struct.pack("<q", s.block.size))
        f.write(_block_bytes(s.block))


def _is_path(f):
    return isinstance(f, (str, os.PathLike))


# A temporary is named `.<target>.ember-tmp.<pid>@<host>.<token>`: a later save to the same
# target removes the ones whose process is gone (killed mid-save), on POSIX systems.
_TMP_TAG = ".ember-tmp."


def _temporary_prefix(base):
    return f".{base}{_TMP_TAG}"


def _create_temporary(folder, base):
    """A new, empty temporary file beside the target: (fd, path)."""
    for _ in range(100):
        name = (f"{_temporary_prefix(base)}{os.getpid()}@{socket.gethostname()}."
                f"{secrets.token_hex(4)}")
        path = os.path.join(folder, name)
        try:
            return os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0),
                           0o600), path
        except FileExistsError:
            continue
    raise FileExistsError(f"no unused temporary file name in {folder}")


def _remove_stale_temporaries(folder, base):
    """Removes the temporaries an earlier save to this target left when its process died."""
    if os.name != "posix":
        return
    prefix, host = _temporary_prefix(base), socket.gethostname()
    try:
        names = [n for n in os.listdir(folder) if n.startswith(prefix)]
    except OSError:
        return
    for name in names:
        owner = name[len(prefix):].rpartition(".")[0]
        pid, _, owner_host = owner.partition("@")
        if owner_host == host and pid.isdigit() and not _process_alive(int(pid)):
            with contextlib.suppress(OSError):
                os.unlink(os.path.join(folder, name))


def _process_alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # another user's process
        return True
    return True


def _atomic_write(path, write):
    """Writes through a temporary file in the same folder, renamed over `path` when complete;
    in place where the folder does not let a temporary be created."""
    path = os.path.realpath(os.fspath(path))
    if os.path.exists(path) and not os.path.isfile(path):  # a device or fifo: write in place
        with open(path, "wb") as fh:
            return write(fh)
    folder, base = os.path.split(path)
    if not os.path.isdir(folder):
        raise RuntimeError(f"Parent directory {folder} does not exist.")
    _remove_stale_temporaries(folder, base)
    try:
        fd, tmp = _create_temporary(folder, base)
    except OSError:  # e.g. no write permission on the folder: torch's own way, in place
        with open(path, "wb") as fh:
            return write(fh)
    try:
        with os.fdopen(fd, "wb") as fh:
            write(fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, os.stat(path).st_mode & 0o7777 if os.path.exists(path) else _new_mode())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    return None


def _new_mode():
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask
