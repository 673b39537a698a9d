"""Checkpoint files: torch's zip and legacy formats, read and written without torch.

save() pickles at protocol 2 with a pure-Python pickler that writes torch's global names
(`torch._utils._rebuild_tensor_v2`, `torch.FloatStorage`, ...) and refers to storages by
persistent id. A storage is the root NumPy array a tensor views, written once, so views stay
shared. load() reads either format; _pickle_safe maps torch's names back to ember objects,
through its restricted interpreter unless weights_only=False. A loaded storage is one 1-D
array, and every tensor on it is a strided view of it.
"""

import contextlib
import io
import os
import pickle
import struct
import sys
import tempfile
import zipfile
import zlib
from collections import OrderedDict

import numpy as np

from . import _dtype as D
from ._device import _CPU, array_device, as_device, cuda_available, device, to_device, to_host
from ._pickle_safe import (
    CorruptPickle,
    RestrictedUnpickler,
    _find_torch_global,
    _ForeignDtype,
    _Storage,
    _StorageType,
    _torch_globals,
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


def _write_zip(f, folder, pickled, table):
    z = _ZipWriter(f, folder)
    z.add("data.pkl", pickled)
    z.add(".format_version", b"1")
    z.add(".storage_alignment", str(_ALIGN).encode())
    z.add("byteorder", sys.byteorder.encode())
    for s in table.storages:
        z.add(f"data/{s.key}", _block_bytes(s.block))
    z.add("version", b"3\n")
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


def _atomic_write(path, write):
    """Writes through a temporary file in the same folder, renamed over `path` when complete."""
    path = os.path.realpath(os.fspath(path))
    if os.path.exists(path) and not os.path.isfile(path):  # a device or fifo: write in place
        with open(path, "wb") as fh:
            return write(fh)
    folder = os.path.dirname(path)
    if not os.path.isdir(folder):
        raise RuntimeError(f"Parent directory {folder} does not exist.")
    fd, tmp = tempfile.mkstemp(prefix=f".{os.path.basename(path)}.", suffix=".tmp", dir=folder)
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


def _new_mode():
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


def save(obj, f, pickle_module=None, pickle_protocol=DEFAULT_PROTOCOL,
         _use_new_zipfile_serialization=True, _disable_byteorder_record=False):
    """Matches torch.save: writes torch's zip format (or the legacy one), readable by torch.

    A path is written atomically: a temporary file in the same folder, renamed when complete.
    `pickle_module` is accepted for compatibility; ember always uses its own pickler.
    """
    table = _StorageTable(legacy=not _use_new_zipfile_serialization)
    buf = io.BytesIO()
    _Pickler(buf, pickle_protocol, table).dump(obj)
    pickled = buf.getvalue()
    if _use_new_zipfile_serialization:
        folder = (os.path.splitext(os.path.basename(os.fspath(f)))[0] or "archive"
                  if _is_path(f) else "archive")
        write = lambda fh: _write_zip(fh, folder, pickled, table)
    else:
        write = lambda fh: _write_legacy(fh, pickled, table, pickle_protocol)
    if _is_path(f):
        _atomic_write(f, write)
    else:
        write(f)


# ---------------------------------------------------------------- load
def _restore_fn(map_location):
    """(array, location) -> array on the device map_location asks for, as torch's."""
    if map_location is None:
        return _default_restore
    if isinstance(map_location, dict):
        return lambda a, loc: _default_restore(a, str(map_location.get(loc, loc)))
    if isinstance(map_location, (str, bytes, device)):
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
    raise RuntimeError(f"don't know how to restore data location of a storage "
                       f"(tagged with {location})")


def _read_exact(src, buf, what):
    view, n = memoryview(buf), 0
    while n < len(view):
        got = src.readinto(view[n:]) if hasattr(src, "readinto") else None
        if got is None:
            chunk = src.read(len(view) - n)
            got = len(chunk)
            view[n:n + got] = chunk
        if not got:
            raise RuntimeError(f"the checkpoint is truncated: {what} needs {len(view)} bytes "
                               f"but only {n} remain")
        n += got


def _fill(storage, src, swap, what):
    """Reads a storage's raw bytes from `src` into its array (in place: views stay valid)."""
    arr, kind = storage.array, storage.kind
    direct = isinstance(arr, np.ndarray) and arr.dtype == kind.wire
    host = arr if direct else np.empty(arr.size, kind.wire)
    _read_exact(src, host.view(np.uint8), what)
    if swap and host.itemsize > 1:
        host.byteswap(inplace=True)
    if not direct:
        arr[...] = to_device(kind.convert(host), array_device(arr))


def _new_storage(kind, numel, location, restore):
    if not isinstance(kind, _StorageType):
        raise pickle.UnpicklingError(f"a persistent id names {kind!r}, not a storage class")
    if isinstance(kind.dtype, _ForeignDtype):
        if kind.dtype.name != "bfloat16":
            raise RuntimeError(f"ember has no dtype {kind.dtype!r}")
        _warn_bf16()
    return _Storage(restore(np.empty(int(numel), kind.target), location), kind)


def _ascii(s):
    return s.decode("ascii") if isinstance(s, bytes) else s


def _unpickle(file, persistent_load, weights_only, pickle_module):
    if weights_only:
        from .nn.parameter import Parameter
        return RestrictedUnpickler(file, _torch_globals(), persistent_load, Parameter).load()

    class Unpickler((pickle_module or pickle).Unpickler):
        def find_class(self, module, name):
            obj = _find_torch_global(module, name)
            return obj if obj is not None else super().find_class(module, name)

        def persistent_load(self, pid):
            if isinstance(pid, tuple) and pid and _ascii(pid[0]) == "module":
                return pid[1]  # legacy whole-module files: (module, class, source file, source)
            return persistent_load(pid)
    try:
        return Unpickler(file, encoding="utf-8").load()
    except (EOFError, struct.error) as e:
        raise CorruptPickle(f"the pickle data is corrupted ({type(e).__name__}: {e})") from None


def _storage_pid(pid, n):
    if not isinstance(pid, tuple) or len(pid) < n or _ascii(pid[0]) != "storage":
        raise pickle.UnpicklingError(f"unsupported persistent id {pid!r}")
    return pid[1], _ascii(pid[2]), _ascii(pid[3]), pid[4]


def _open_zip(fh):
    try:
        return zipfile.ZipFile(fh)
    except (zipfile.BadZipFile, OSError, EOFError, ValueError) as e:
        raise RuntimeError("PytorchStreamReader failed reading zip archive: failed finding "
                           f"central directory (the file is truncated or corrupted: {e})") from None


def _load_zip(fh, path, mmap, restore, weights_only, pickle_module):
    zf = _open_zip(fh)
    names = zf.namelist()
    pkl = [n for n in names if n.endswith("data.pkl") and n.count("/") <= 1]
    if not pkl:
        if any(n.endswith("constants.pkl") for n in names):
            raise RuntimeError("this is a TorchScript archive (torch.jit.save), which ember "
                               "cannot load")
        raise RuntimeError("PytorchStreamReader failed locating file data.pkl: file not found")
    prefix = pkl[0][:-len("data.pkl")]
    swap = prefix + "byteorder" in names and _read_record(zf, prefix + "byteorder") != (
        sys.byteorder.encode())
    loaded = {}

    def persistent_load(pid):
        kind, key, location, numel = _storage_pid(pid, 5)
        if key in loaded:
            return loaded[key]
        name = f"{prefix}data/{key}"
        try:
            info = zf.getinfo(name)
        except KeyError:
            raise RuntimeError(f"PytorchStreamReader failed locating file data/{key}: file not "
                               "found") from None
        storage = _new_storage(kind, numel, "cpu", lambda a, loc: a)
        if info.file_size != storage.array.size * kind.wire.itemsize:
            raise RuntimeError(f"record data/{key} holds {info.file_size} bytes, but its "
                               f"storage needs {storage.array.size * kind.wire.itemsize}")
        if mmap and info.compress_type == zipfile.ZIP_STORED and kind.wire == kind.target \
                and not swap and info.file_size:
            storage.array = np.memmap(path, kind.wire, "c", _data_offset(fh, info),
                                      (storage.array.size,))
        else:
            try:
                with zf.open(info) as src:
                    _fill(storage, src, swap, f"record data/{key}")
            except (zipfile.BadZipFile, zlib.error) as e:
                raise RuntimeError(f"PytorchStreamReader failed reading file data/{key}: the "
                                   f"archive is corrupted ({e})") from None
        storage.array = restore(storage.array, location)
        loaded[key] = storage
        return storage

    data = io.BytesIO(_read_record(zf, prefix + "data.pkl"))
    return _unpickle(data, persistent_load, weights_only, pickle_module)


def _read_record(zf, name):
    try:
        return zf.read(name)
    except (zipfile.BadZipFile, zlib.error, OSError) as e:
        raise RuntimeError(f"PytorchStreamReader failed reading file {name}: the archive is "
                           f"corrupted ({e})") from None


def _data_offset(fh, info):
    fh.seek(info.header_offset)
    header = fh.read(30)
    name_len, extra_len = struct.unpack("<HH", header[26:30])
    return info.header_offset + 30 + name_len + extra_len


def _load_legacy(fh, restore, weights_only, pickle_module):
    def header():
        return RestrictedUnpickler(fh, {}, _no_persistent_id).load()

    first = fh.read(1)
    if not first:
        raise EOFError("Ran out of input: the file is empty, not a checkpoint")
    if first != pickle.PROTO:
        raise pickle.UnpicklingError(f"invalid load key, {first.decode('latin-1')!r}: the file "
                                     "is neither a zip checkpoint nor a legacy torch pickle")
    fh.seek(-1, io.SEEK_CUR)
    if header() != MAGIC_NUMBER:
        raise RuntimeError("Invalid magic number; corrupt file?")
    protocol = header()
    if protocol != PROTOCOL_VERSION:
        raise RuntimeError(f"Invalid protocol version: {protocol}")
    sys_info = header()
    swap = isinstance(sys_info, dict) and sys_info.get("little_endian", True) != (
        sys.byteorder == "little")
    storages = {}

    def persistent_load(pid):
        kind, key, location, numel = _storage_pid(pid, 5)
        if key not in storages:
            storages[key] = _new_storage(kind, numel, location, restore)
        view = pid[5] if len(pid) > 5 else None
        if view is None:
            return storages[key]
        view_key, offset, size = _ascii(view[0]), int(view[1]), int(view[2])
        if view_key not in storages:
            storages[view_key] = _Storage(storages[key].array[offset:offset + size], kind)
        return storages[view_key]

    result = _unpickle(fh, persistent_load, weights_only, pickle_module)
    keys = header()
    for key in keys if isinstance(keys, list) else ():
        count = struct.unpack("<q", fh.read(8).ljust(8, b"\0"))[0]
        if key not in storages or count != storages[key].array.size:
            raise RuntimeError(f"the checkpoint is corrupted: storage {key!r} has "
                               f"{count} elements in the data section")
        _fill(storages[key], fh, swap, f"storage {key}")
    return result


def _no_persistent_id(pid):
    raise pickle.UnpicklingError("unexpected persistent id in a checkpoint header")


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
        return not force_off and pickle_module is None
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


def load(f, map_location=None, pickle_module=None, *, weights_only=None, mmap=None,
         **pickle_load_args):
    """Matches torch.load: reads torch's zip or legacy checkpoints, weights-only by default.

    weights_only=True (the default unless `pickle_module` is given) builds only allowlisted
    objects and raises pickle.UnpicklingError naming anything else. Loaded views of one storage
    share one NumPy buffer. mmap=True maps a path's uncompressed records copy-on-write.
    """
    weights_only = _weights_only_default(weights_only, pickle_module)
    if weights_only and pickle_module is not None:
        raise RuntimeError("Can not safely load weights when explicit pickle_module is specified")
    restore = _restore_fn(map_location)
    with _open_for_read(f) as fh:
        try:
            start = fh.tell()
            is_zip = fh.read(4) == b"PK\x03\x04"
            fh.seek(start)
            if is_zip:
                if mmap and not _is_path(f):
                    raise ValueError("f must be a file path in order to use the mmap argument")
                return _load_zip(fh, f, mmap, restore, weights_only, pickle_module)
            if mmap:
                raise RuntimeError(
                    "mmap can only be used with files saved with `torch.save(_use_new_zipfile_"
                    "serialization=True), please torch.save your checkpoint with this option in "
                    "order to use mmap.")
            return _load_legacy(fh, restore, weights_only, pickle_module)
        except CorruptPickle as e:
            raise pickle.UnpicklingError(f"the checkpoint is corrupted or is not a checkpoint: "
                                         f"{e}") from None
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
