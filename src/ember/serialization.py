"""Checkpoint files: torch's zip and legacy formats, read and written without torch.

save() pickles at protocol 2 with a pure-Python pickler that writes torch's global names
(`torch._utils._rebuild_tensor_v2`, `torch.FloatStorage`, ...) and refers to storages by
persistent id (`_checkpoint_writer`). A storage is the root NumPy array a tensor views, written
once, so views stay shared. load() reads either format; _pickle_safe maps torch's names back to
ember objects (`_rebuild`), through its restricted interpreter unless weights_only=False. A
loaded storage is one 1-D array, and every tensor on it is a strided view of it.

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
import struct
import sys
import warnings
import zipfile
import zlib

import numpy as np

from . import _safetensors
from ._args import EmberNotImplementedError, unsupported
from ._checkpoint_writer import (  # noqa: F401 - tests patch _ZipWriter here
    MAGIC_NUMBER,
    PROTOCOL_VERSION,
    _atomic_write,
    _is_path,
    _Pickler,
    _StorageTable,
    _write_legacy,
    _write_zip,
    _ZipWriter,
)
from ._device import _CPU, array_device, as_device, cuda_available, device, to_device
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
from ._tensor import Tensor, _wrap

__all__ = ["save", "load", "add_safe_globals", "get_safe_globals", "clear_safe_globals",
           "safe_globals", "get_unsafe_globals_in_checkpoint", "DEFAULT_PROTOCOL"]

DEFAULT_PROTOCOL = 2

# ---------------------------------------------------------------- save
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


def _archive_prefix(names):
    """The archive's folder as torch's PyTorchStreamReader finds it: the first entry's name up
    to its '/'. Every entry must be inside it (so no second data.pkl elsewhere can be read by a
    tool that searches differently), and it must hold a version record."""
    first = names[0] if names else ""
    if "/" not in first:
        raise RuntimeError("[enforce fail at inline_container.cc:180] . file in archive is not "
                           f"in a subdirectory: {first}")
    prefix = first[:first.index("/") + 1]
    for n in names:
        if not n.startswith(prefix):
            raise RuntimeError("[enforce fail at inline_container.cc:340] . file in archive is "
                               f"not in a subdirectory {prefix}: {n}")
    if prefix + ".data/version" not in names and prefix + "version" not in names:
        raise RuntimeError('Expected hasRecord("version") to be true, but got false.  (Could '
                           "this error message be improved?  If so, please report an "
                           "enhancement request to PyTorch.)")
    return prefix


def _load_zip(fh, mmap, restore, weights_only, pickle_module, load_args):
    zf = _open_zip(fh)
    names = zf.namelist()
    prefix = _archive_prefix(names)
    if prefix + "data.pkl" not in names:
        if prefix + "constants.pkl" in names:
            raise RuntimeError("this is a TorchScript archive (torch.jit.save), which ember "
                               "cannot load")
        raise RuntimeError("PytorchStreamReader failed locating file data.pkl: file not found"
                           + _MINIZ_ADVICE)
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

    from . import _rebuild
    pending, _rebuild._deferred[0] = [], []
    try:
        result = _unpickle(fh, persistent_load, weights_only, pickle_module, load_args)
    finally:
        pending, _rebuild._deferred[0] = _rebuild._deferred[0], None
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
    _rebuild.finish_deferred(pending)
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
        names = zf.namelist()
        pkl = _archive_prefix(names) + "data.pkl"
        if pkl not in names:
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
