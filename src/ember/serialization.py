"""Checkpoint files: torch's zip and legacy formats, read and written without torch.

save() pickles at protocol 2 with a pure-Python pickler that writes torch's global names
(`torch._utils._rebuild_tensor_v2`, `torch.FloatStorage`, ...) and refers to storages by
persistent id. A storage is the root NumPy array a tensor views, written once, so views stay
shared. load() reads either format; _pickle_safe maps torch's names back to ember objects,
through its restricted interpreter unless weights_only=False. A loaded storage is one 1-D
array, and every tensor on it is a strided view of it.

Memory: load() reads each record straight into its storage's array (a record's declared size
is checked against the file before that array is allocated), so loading a checkpoint takes
about its size in memory, as torch's does; mmap=True maps the archive once instead.

Saving to a path is atomic: the file is written as `.<name>.ember-tmp.<pid>@<host>.<token>`
in the target's folder and renamed over the target once complete, so a crash leaves the old
file intact; a later save to the same path removes temporaries whose process has died. Where the
folder does not let a temporary be created but the target is writable, save() writes the target
in place, as torch always does: that gives up atomicity (a crash mid-write leaves a truncated
file, and the old contents are gone once writing starts).
"""

import contextlib
import io
import mmap as _mmap
import os
import pickle
import secrets
import socket
import struct
import sys
import warnings
import zipfile
import zlib
from collections import OrderedDict

import numpy as np

from . import _dtype as D
from . import _safetensors
from ._args import EmberNotImplementedError, unsupported
from ._device import _CPU, array_device, as_device, cuda_available, device, to_device, to_host
from ._pickle_safe import (
    RestrictedUnpickler,
    _find_torch_global,
    _ForeignDtype,
    _is_int,
    _Storage,
    _StorageType,
    _torch_globals,
    _type_name,
    _warn_bf16,
    add_safe_globals,
    clear_safe_globals,
    get_safe_globals,
    safe_globals,
    weights_only_message,
)
from ._tensor import Size, Tensor, _contiguous_strides, _ptr, _root, _wrap

__all__ = ["save", "load", "add_safe_globals", "get_safe_globals", "clear_safe_globals",
           "safe_globals", "get_unsafe_globals_in_checkpoint", "DEFAULT_PROTOCOL"]

DEFAULT_PROTOCOL = 2
MAGIC_NUMBER = 0x1950A86A20F9469CFC6C
PROTOCOL_VERSION = 1001
_ALIGN = 64

# ---------------------------------------------------------------- save
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


class _SavedStorage:
    """One storage in the file: a contiguous 1-D block of memory and its persistent id."""

    __slots__ = ("key", "block", "pid")


class _TensorArgs:
    """The arguments of one `_rebuild_tensor_v2` call (the tensor inside a Parameter)."""

    __slots__ = ("args",)

    def __init__(self, args):
        self.args = args


class _StorageTable:
    """The storages of one save(), keyed by the root array they come from (views share)."""

    def __init__(self, legacy):
        self.legacy = legacy
        self.by_root = {}
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
    if not isinstance(a, np.ndarray):
        return _root(a)
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
            if obj._is_param:
                inner = _TensorArgs(self.table.tensor_args(obj, False))
                return _REBUILD_PARAMETER, (inner, obj.requires_grad, OrderedDict())
            return _REBUILD_V2, self.table.tensor_args(obj, obj.requires_grad)
        if type(obj) is _TensorArgs:
            return _REBUILD_V2, obj.args
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


def save(obj, f, pickle_module=pickle, pickle_protocol=DEFAULT_PROTOCOL,
         _use_new_zipfile_serialization=True, _disable_byteorder_record=False):
    """Matches torch.save: writes torch's zip format (or the legacy one), readable by torch.

    A path is written atomically (see the module docstring). `pickle_module` must be the
    standard `pickle` module: ember writes torch's names with its own pickler.
    """
    if pickle_module is not None and pickle_module is not pickle:
        unsupported("torch.save", "pickle_module", pickle_module)
    if not _is_path(f) and not hasattr(f, "write"):
        raise AttributeError("expected 'f' to be string, path, or a file-like object with a "
                             "'write' attribute")
    table = _StorageTable(legacy=not _use_new_zipfile_serialization)
    buf = io.BytesIO()
    _Pickler(buf, pickle_protocol, table).dump(obj)
    pickled = buf.getvalue()
    if _use_new_zipfile_serialization:
        folder = (os.path.splitext(os.path.basename(os.fspath(f)))[0] or "archive"
                  if _is_path(f) else "archive")
        write = lambda fh: _write_zip(fh, folder, pickled, table,
                                      not _disable_byteorder_record)
    else:
        write = lambda fh: _write_legacy(fh, pickled, table, pickle_protocol)
    if _is_path(f):
        _atomic_write(f, write)
    else:
        write(f)


# ---------------------------------------------------------------- load
_MINIZ_ADVICE = (
    ". This is an internal miniz error. If you are seeing this error, there is a high likelihood "
    "that your checkpoint file is corrupted. This can happen if the checkpoint was not saved "
    "properly, was transferred incorrectly, or the file was modified after saving.")
_CHUNK = 16 << 20  # bytes read per call: a converting read holds at most this much extra


def _is_meta(location):
    if isinstance(location, bytes):
        location = location.decode("ascii", "replace")
    return str(location).partition(":")[0] == "meta"


def _restore_fn(map_location):
    """(array, location) -> array on the device map_location asks for, as torch's."""
    if map_location is None:
        return _default_restore
    if isinstance(map_location, dict):
        return lambda a, loc: _default_restore(a, str(map_location.get(loc, loc)))
    if isinstance(map_location, (str, bytes, device)):
        if _is_meta(map_location):
            unsupported("torch.load", "map_location", map_location)
        target = map_location.decode() if isinstance(map_location, bytes) else str(map_location)
        return lambda a, loc: _default_restore(a, target)
    if not callable(map_location):
        raise TypeError(f"map_location must be a str, device, dict or callable, not "
                        f"{type(map_location).__name__}")

    def restore(a, loc):
        out = map_location(_wrap(a), loc)
        if out is None:
            return _default_restore(a, loc)
        return out._data if isinstance(out, Tensor) else out
    return restore


def _default_restore(a, location):
    if location == "cpu" or location.startswith("cpu:"):
        return to_device(a, _CPU)
    if location.startswith("cuda"):
        if not cuda_available():
            raise RuntimeError(
                "Attempting to deserialize object on a CUDA device but "
                "ember.cuda.is_available() is False. If you are running on a CPU-only machine, "
                "please use ember.load with map_location=ember.device('cpu') to map your "
                "storages to the CPU.")
        return to_device(a, as_device(location))
    if _is_meta(location):
        raise EmberNotImplementedError("ember does not implement meta tensors: a storage of "
                                       "this checkpoint is tagged 'meta'")
    raise RuntimeError(f"don't know how to restore data location of "
                       f"torch.storage.UntypedStorage (tagged with {location})")


class _FileReader:
    """Sequential exact reads from a file, straight into the caller's memory."""

    def __init__(self, src):
        self.src = src

    def readinto(self, view):
        n, total = 0, len(view)
        while n < total:
            part = view[n:n + _CHUNK]
            got = self.src.readinto(part) if hasattr(self.src, "readinto") else None
            if got is None:
                chunk = self.src.read(len(part))
                got = len(chunk)
                part[:got] = chunk
            if not got:
                raise RuntimeError(f"unexpected EOF, expected {total - n} more bytes. The file "
                                   "might be corrupted.")
            self.took(part[:got])
            n += got

    def took(self, data):
        pass

    def finish(self):
        pass


class _RecordReader(_FileReader):
    """One archive record, read into the caller's memory: a stored record straight from the
    file at its data offset (its CRC checked as it goes), a compressed one through zipfile."""

    def __init__(self, zf, fh, info, key):
        self.info, self.key, self.crc = info, key, 0
        if info.compress_type == zipfile.ZIP_STORED:
            fh.seek(_data_offset(fh, info, key))
            super().__init__(fh)
        else:
            super().__init__(zf.open(info))

    def took(self, data):
        if self.info.compress_type == zipfile.ZIP_STORED:
            self.crc = zlib.crc32(data, self.crc)

    def readinto(self, view):
        try:
            super().readinto(view)
        except (zipfile.BadZipFile, zlib.error, EOFError) as e:
            raise self._corrupt(e) from None

    def finish(self):
        if self.info.compress_type != zipfile.ZIP_STORED:
            self.src.close()
        elif self.crc != self.info.CRC:
            raise self._corrupt(f"Bad CRC-32 for file {self.info.filename!r}")

    def _corrupt(self, why):
        return RuntimeError(f"PytorchStreamReader failed reading file data/{self.key}: the "
                            f"archive is corrupted ({why})")


def _fill(storage, reader, swap):
    """Reads a storage's bytes into its array in place (views of it stay valid): straight
    into its memory when the file holds its element type, else converted a chunk at a time."""
    arr, kind = storage.array, storage.kind
    if isinstance(arr, np.ndarray) and arr.dtype == kind.wire:
        reader.readinto(memoryview(arr.view(np.uint8)))
        if swap and arr.itemsize > 1:
            arr.byteswap(inplace=True)
    else:
        part = np.empty(min(arr.size, max(1, _CHUNK // kind.wire.itemsize)), kind.wire)
        for start in range(0, arr.size, part.size):
            chunk = part[:min(part.size, arr.size - start)]
            reader.readinto(memoryview(chunk.view(np.uint8)))
            if swap and chunk.itemsize > 1:
                chunk.byteswap(inplace=True)
            arr[start:start + chunk.size] = to_device(kind.convert(chunk), array_device(arr))
    reader.finish()


def _storage_kind(storage_type):
    if not isinstance(storage_type, _StorageType):
        raise AttributeError(f"'{_type_name(storage_type)}' object has no attribute 'dtype'")
    if isinstance(storage_type.dtype, _ForeignDtype):
        if storage_type.dtype.name != "bfloat16":
            raise RuntimeError(f"ember has no dtype {storage_type.dtype!r}")
        _warn_bf16()
    return storage_type


def _ascii(s):
    return s.decode("ascii") if isinstance(s, bytes) else s


def _weights_only_args(load_args, where):
    """torch's weights-only unpickler takes only `encoding`: anything else is its TypeError."""
    for name in load_args:
        if name != "encoding":
            raise TypeError(f"{where}() got an unexpected keyword argument '{name}'")
    return load_args["encoding"]


def _unpickle(file, persistent_load, weights_only, pickle_module, load_args):
    if weights_only:
        from .nn.parameter import Parameter
        encoding = _weights_only_args(load_args, "Unpickler.__init__")
        return RestrictedUnpickler(file, _torch_globals(), persistent_load, Parameter,
                                   encoding).load()

    class Unpickler(pickle_module.Unpickler):
        def find_class(self, module, name):
            obj = _find_torch_global(module, name)
            return obj if obj is not None else super().find_class(module, name)

        def persistent_load(self, pid):
            return persistent_load(pid)
    return Unpickler(file, **load_args).load()


def _zip_pid(pid):
    """torch's checks on a zip checkpoint's persistent id: (kind, key, location, numel)."""
    if not isinstance(pid, tuple):
        raise AssertionError(f"saved_id must be a tuple, got {type(pid).__name__}")
    typename = _ascii(pid[0])
    if typename != "storage":
        raise AssertionError("Unknown typename for persistent_load, expected 'storage' but got "
                             f"'{typename}'")
    storage_type, key, location, numel = pid[1:]
    return _storage_kind(storage_type), _ascii(key), _ascii(location), numel


def _open_zip(fh):
    try:
        return zipfile.ZipFile(fh)
    except (zipfile.BadZipFile, OSError, EOFError, ValueError):
        raise RuntimeError("PytorchStreamReader failed reading zip archive: failed finding "
                           "central directory" + _MINIZ_ADVICE) from None


def _file_size(fh):
    here = fh.tell()
    end = fh.seek(0, io.SEEK_END)
    fh.seek(here)
    return end


class _ArchiveMap:
    """The whole archive mapped once, copy-on-write (torch's MAP_PRIVATE): every storage is an
    array on this one mapping, so a load holds one file descriptor however many tensors."""

    def __init__(self, fh):
        self.mm = _mmap.mmap(fh.fileno(), 0, access=_mmap.ACCESS_COPY)

    def array(self, offset, dtype, numel):
        return np.ndarray.__new__(np.memmap, (numel,), dtype, buffer=self.mm, offset=offset)


def _load_zip(fh, mmap, restore, weights_only, pickle_module, load_args):
    zf = _open_zip(fh)
    names = zf.namelist()
    pkl = [n for n in names if n.endswith("data.pkl") and n.count("/") <= 1]
    if not pkl:
        if any(n.endswith("constants.pkl") for n in names):
            raise RuntimeError("this is a TorchScript archive (torch.jit.save), which ember "
                               "cannot load")
        raise RuntimeError("PytorchStreamReader failed locating file data.pkl: file not found"
                           + _MINIZ_ADVICE)
    prefix = pkl[0][:-len("data.pkl")]
    swap = False
    if prefix + "byteorder" in names:
        order = _read_record(zf, prefix + "byteorder")
        if order not in (b"little", b"big"):
            raise ValueError("Unknown endianness type: " + order.decode("utf-8", "replace"))
        swap = order != sys.byteorder.encode()
    archive = {"size": _file_size(fh), "map": _ArchiveMap(fh) if mmap else None}
    loaded = {}

    def persistent_load(pid):
        kind, key, location, numel = _zip_pid(pid)
        if key in loaded:
            return loaded[key]
        storage = _zip_storage(zf, fh, archive, f"{prefix}data/{key}", key, kind, numel, swap)
        storage.array = restore(storage.array, location)
        loaded[key] = storage
        return storage

    data = io.BytesIO(_read_record(zf, prefix + "data.pkl"))
    return _unpickle(data, persistent_load, weights_only, pickle_module, load_args)


def _zip_storage(zf, fh, archive, name, key, kind, numel, swap):
    """One storage from its record, its size checked before any memory is taken for it."""
    try:
        info = zf.getinfo(name)
    except KeyError:
        raise RuntimeError(f"PytorchStreamReader failed locating file data/{key}: file not "
                           "found" + _MINIZ_ADVICE) from None
    if not _is_int(numel) or numel < 0:
        raise TypeError(f"get_storage_from_record(): incompatible function arguments: the record "
                        f"data/{key} cannot hold {numel!r} elements")
    nbytes = int(numel) * kind.wire.itemsize
    if info.file_size != nbytes:
        raise RuntimeError(f"record size ({info.file_size} bytes) does not match expected size "
                           f"({nbytes} bytes = {nbytes} elements * 1 bytes/element) for dtype "
                           "Byte")
    stored = info.compress_type == zipfile.ZIP_STORED
    # the record's bytes must be in the file (a stored one), or within deflate's best ratio
    if info.header_offset + info.compress_size > archive["size"] or not stored and (
            info.file_size > 1032 * info.compress_size + 1024):
        raise RuntimeError(f"PytorchStreamReader failed reading file data/{key}: file read "
                           "failed" + _MINIZ_ADVICE)
    mapping = archive["map"]
    if mapping is not None and stored and nbytes and kind.wire == kind.target and not swap:
        offset = _data_offset(fh, info, key)
        if offset + nbytes > archive["size"]:
            raise RuntimeError(f"PytorchStreamReader failed reading file data/{key}: file read "
                               "failed" + _MINIZ_ADVICE)
        return _Storage(mapping.array(offset, kind.wire, int(numel)), kind)
    storage = _Storage(np.empty(int(numel), kind.target), kind)
    _fill(storage, _RecordReader(zf, fh, info, key), swap)
    return storage


def _read_record(zf, name):
    try:
        return zf.read(name)
    except (zipfile.BadZipFile, zlib.error, OSError) as e:
        raise RuntimeError(f"PytorchStreamReader failed reading file {name}: the archive is "
                           f"corrupted ({e})") from None


def _data_offset(fh, info, key):
    """Where a record's bytes start: after its local header, which must be one."""
    fh.seek(info.header_offset)
    header = fh.read(30)
    if len(header) != 30 or header[:4] != b"PK\x03\x04":
        raise RuntimeError(f"PytorchStreamReader failed reading file data/{key}: the archive is "
                           "corrupted (bad local file header)")
    name_len, extra_len = struct.unpack("<HH", header[26:30])
    return info.header_offset + 30 + name_len + extra_len


def _load_legacy(fh, restore, weights_only, pickle_module, load_args):
    if weights_only:
        encoding = _weights_only_args(load_args, "load")

        def header():
            return RestrictedUnpickler(fh, _torch_globals(), _no_persistent_id,
                                       encoding=encoding).load()
    else:
        def header():
            return pickle_module.load(fh, **load_args)

    if header() != MAGIC_NUMBER:
        raise RuntimeError("Invalid magic number; corrupt file?")
    protocol = header()
    if protocol != PROTOCOL_VERSION:
        raise RuntimeError(f"Invalid protocol version: {protocol}")
    sys_info = header()
    swap = isinstance(sys_info, dict) and sys_info.get("little_endian", True) != (
        sys.byteorder == "little")
    # every storage's bytes follow the pickle: what it claims must fit in what is left
    budget = [_file_size(fh) - fh.tell()]
    storages = {}

    def persistent_load(pid):
        if not isinstance(pid, tuple):
            raise AssertionError(f"saved_id must be a tuple, got {type(pid).__name__}")
        typename = _ascii(pid[0])
        if typename == "module":  # a whole pickled nn.Module: (class, source file, source)
            return pid[1]
        if typename != "storage":
            raise RuntimeError(f"Unknown saved id type: {pid[0]}")
        storage_type, key, location, numel, view = pid[1:]
        kind, key = _storage_kind(storage_type), _ascii(key)
        if kind.dtype is None:  # torch's legacy loader reads a dtype off the storage class
            raise AttributeError("type object 'torch.storage.UntypedStorage' has no attribute "
                                 "'dtype'")
        if key not in storages:
            storages[key] = _legacy_storage(kind, numel, key, budget)
            storages[key].array = restore(storages[key].array, _ascii(location))
        if view is None:
            return storages[key]
        view_key, offset, size = view
        view_key = _ascii(view_key)
        if view_key not in storages:
            storages[view_key] = _Storage(storages[key].array[offset:offset + size], kind)
        return storages[view_key]

    result = _unpickle(fh, persistent_load, weights_only, pickle_module, load_args)
    reader = _FileReader(fh)
    count = np.empty(1, "<i8")
    for key in header():
        if key not in storages:
            raise AssertionError(f"storage key {key!r} not found in deserialized_objects")
        storage = storages[key]
        reader.readinto(memoryview(count.view(np.uint8)))
        itemsize = storage.kind.wire.itemsize
        nbytes = storage.array.size * itemsize
        if int(count[0]) * itemsize != nbytes:
            raise RuntimeError(f"storage has wrong byte size: expected {int(count[0]) * itemsize} "
                               f"got {nbytes}")
        _fill(storage, reader, swap)
    return result


def _legacy_storage(kind, numel, key, budget):
    """A zeroed storage (one the file leaves out reads as zeros, not as stale memory), its size
    checked against the bytes left in the file before any memory is taken for it."""
    if not _is_int(numel):
        raise TypeError(f"storage {key!r} has a non-integer size {numel!r}")
    nbytes = int(numel) * kind.wire.itemsize
    if nbytes < 0:
        raise RuntimeError(f"alloc_cpu() seems to have been called with negative number: "
                           f"{nbytes % 2 ** 64}")
    if nbytes > budget[0]:
        raise RuntimeError(f"storage {key!r} declares {nbytes} bytes, but only {budget[0]} bytes "
                           "of the checkpoint remain: the file is truncated or corrupted")
    budget[0] -= nbytes
    return _Storage(np.zeros(int(numel), kind.target), kind)


def _no_persistent_id(pid):
    raise pickle.UnpicklingError("unsupported persistent id encountered")


def _weights_only_default(weights_only, pickle_module):
    true = ("1", "y", "yes", "true")
    force_on = os.getenv("TORCH_FORCE_WEIGHTS_ONLY_LOAD", "0").lower() in true
    force_off = os.getenv("TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD", "0").lower() in true
    if force_on and force_off:
        raise RuntimeError("Only one of `TORCH_FORCE_WEIGHTS_ONLY_LOAD` or "
                           "`TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD` should be set, but both were set.")
    if force_on:
        return True
    if weights_only is None:
        if force_off:
            warnings.warn(
                "Environment variable TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD detected, since the"
                "`weights_only` argument was not explicitly passed to `torch.load`, forcing "
                "weights_only=False.", UserWarning, stacklevel=3)
            return False
        return pickle_module is None
    return weights_only


@contextlib.contextmanager
def _open_for_read(f):
    if _is_path(f):
        with open(f, "rb") as fh:
            yield fh
    elif hasattr(f, "seekable") and f.seekable():
        yield f
    else:  # a pipe or socket: zip needs seeking, so read it all
        yield io.BytesIO(f.read())


def _load_safetensors(path, map_location):
    """torch.load's route for a `.safetensors` path: safetensors' load_file, on one device."""
    target = "cpu"
    if isinstance(map_location, dict):
        raise RuntimeError("Loading safetensors file with dict map_location is not supported. "
                           "Use a device string or torch.device instead.")
    if isinstance(map_location, (str, bytes, device)):
        target = str(map_location)
    elif callable(map_location):
        raise RuntimeError("Loading safetensors file with callable map_location is not "
                           "supported. Use a device string or torch.device instead.")
    return _safetensors.load_file(path, device=target)


def load(f, map_location=None, pickle_module=None, *, weights_only=None, mmap=None,
         **pickle_load_args):
    """Matches torch.load: reads torch's zip or legacy checkpoints, weights-only by default.

    weights_only=True (the default unless `pickle_module` is given) builds only allowlisted
    objects and raises pickle.UnpicklingError naming anything else. Loaded views of one storage
    share one NumPy buffer. mmap=True maps a path's archive once, copy-on-write, and its
    uncompressed records become arrays on that mapping. `pickle_load_args` go to the unpickler
    (the weights-only one takes only `encoding`). A `.safetensors` path is read as one.
    """
    weights_only = _weights_only_default(weights_only, pickle_module)
    if weights_only:
        if pickle_module is not None:
            raise RuntimeError("Can not safely load weights when explicit pickle_module is "
                               "specified")
    elif pickle_module is None:
        pickle_module = pickle
    if pickle_load_args and weights_only:
        warnings.warn("pickle_load_args only works if `weights_only=False`.", stacklevel=2)
    pickle_load_args.setdefault("encoding", "utf-8")
    if _is_path(f) and os.fspath(f).endswith(".safetensors"):
        return _load_safetensors(os.fspath(f), map_location)
    restore = _restore_fn(map_location)
    with _open_for_read(f) as fh:
        try:
            start = fh.tell()
            is_zip = fh.read(4) == b"PK\x03\x04"
            fh.seek(start)
            if is_zip:
                if mmap and not _is_path(f):
                    raise ValueError("f must be a file path in order to use the mmap argument")
                return _load_zip(fh, mmap, restore, weights_only, pickle_module,
                                 pickle_load_args)
            if mmap:
                shown = f"{f}, " if isinstance(f, str) else ""
                raise RuntimeError(
                    f"mmap can only be used with files saved with `torch.save({shown}_use_new_"
                    "zipfile_serialization=True), please torch.save your checkpoint with this "
                    "option in order to use mmap.")
            return _load_legacy(fh, restore, weights_only, pickle_module, pickle_load_args)
        except pickle.UnpicklingError as e:
            if not weights_only:
                raise
            raise pickle.UnpicklingError(weights_only_message(str(e))) from None


def get_unsafe_globals_in_checkpoint(f):
    """Matches torch.serialization.get_unsafe_globals_in_checkpoint (zip checkpoints)."""
    import pickletools
    with _open_for_read(f) as fh:
        zf = _open_zip(fh)
        pkl = next((n for n in zf.namelist() if n.endswith("data.pkl")), None)
        if pkl is None:
            raise RuntimeError("PytorchStreamReader failed locating file data.pkl: file not found")
        data = _read_record(zf, pkl)
    from ._pickle_safe import _map_protocol2_name, _user_lookup, _user_table
    allowed, user, found = _torch_globals(), _user_table(), []
    for op, arg, _ in pickletools.genops(data):
        if op.name == "GLOBAL":
            full = ".".join(_map_protocol2_name(*arg.split(" ", 1)))
            if full not in allowed and not _user_lookup(user, full)[1] and full not in found:
                found.append(full)
    return found
