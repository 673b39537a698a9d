"""Shared memory for CPU tensors: what `Tensor.share_memory_()` does and how a shared tensor crosses
a process boundary.

torch's "file_descriptor" strategy, on ember's arrays: a tensor's storage (the root array its
memory belongs to) is copied once into an anonymous shared file (`memfd_create`, or an unlinked
temporary file where that is missing) mapped `MAP_SHARED`. The mapping is the storage from then on:
`fork` children inherit it, and pickling for another process (a Queue, a spawned Process's
arguments) sends the file descriptor, never the bytes (`multiprocessing.reduction.DupFd`); the
receiver maps the same file. The file has no name, so nothing can leak in /dev/shm: the memory is
freed by the kernel when the last mapping and descriptor are gone, whatever order the processes
end in. Each storage keeps its descriptor open while it lives (torch does the same) so that it
can be sent on again.

torch's storage is one object shared by all its views, so moving it moves every view. ember's
views each hold a NumPy view of the root array; `share_memory_()` finds the other tensors on the
same root (see _other_views) and re-points them at the shared copy, so views taken before the call
keep sharing memory with the tensor, as torch's do.
"""
import contextlib
import ctypes
import fcntl
import gc
import mmap
import os
import secrets
import sys
import tempfile
import threading
import weakref
from multiprocessing import util as mp_util

import numpy as np

from .._tensor import _MetaArray, _ptr, _root, _wrap


class SharedMapping(mmap.mmap):
    """A MAP_SHARED mapping of a file: the storage of shared tensors. For an anonymous file, `fd`
    stays open while the mapping lives (closed by a finalizer) so the storage can be sent on (the
    mapping object holds a duplicate of its own, so that is two descriptors where torch has one);
    a "file_system" storage has its path as `name` and keeps no descriptor of ours."""

    name = None


def _map(fd, nbytes, name=None):
    """The mapping of `fd` (which it owns from now on) with `nbytes` of room (at least one: an
    empty storage is still shared, as torch's is, and mmap refuses length 0)."""
    try:
        m = SharedMapping(fd, max(nbytes, 1))
    except BaseException:
        os.close(fd)
        raise
    m.fd, m.name = fd, name
    if name is None:
        weakref.finalize(m, os.close, fd)
    else:  # run when freed, or at exit: multiprocessing's children run these before os._exit
        os.close(fd)
        m.fd = None
        mp_util.Finalize(m, _release_named, (max(nbytes, 1), name, os.getpid()),
                         exitpriority=0)
    return m


def _strategy():
    return sys.modules[__package__].get_sharing_strategy()


def new_mapping(nbytes):
    """Shared memory for `nbytes`, as the current sharing strategy makes it."""
    if _strategy() == "file_system":
        return _new_named(nbytes)
    if hasattr(os, "memfd_create"):
        fd = os.memfd_create("ember-shared", getattr(os, "MFD_CLOEXEC", 0))
    else:
        fd, path = tempfile.mkstemp(prefix="ember-shared-")
        os.unlink(path)
    try:
        os.ftruncate(fd, max(nbytes, 1))
    except BaseException:
        os.close(fd)
        raise
    return _map(fd, nbytes)


# ---- the "file_system" strategy: storages with a name, found by it in other processes ----
# The file holds the data, then a count of its holders (one per process mapping it, one per
# message on its way), changed under a POSIX lock; the holder that brings it to zero removes
# the name. As in torch without its shm manager process, a process killed while holding one
# leaves the file behind in /dev/shm.
_SHM_DIR = "/dev/shm" if os.path.isdir("/dev/shm") else tempfile.gettempdir()


_thread_lock = threading.Lock()  # POSIX locks exclude processes, not this process's threads


def _new_thread_lock():
    global _thread_lock
    _thread_lock = threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_new_thread_lock)  # a fork may copy it locked


def _count(fd, at, delta):
    with _thread_lock:
        fcntl.lockf(fd, fcntl.LOCK_EX)
        try:
            n = int.from_bytes(os.pread(fd, 8, at), "little", signed=True) + delta
            os.pwrite(fd, n.to_bytes(8, "little", signed=True), at)
            return n
        finally:
            fcntl.lockf(fd, fcntl.LOCK_UN)


def _count_named(name, at, delta):
    fd = os.open(name, os.O_RDWR)
    try:
        return _count(fd, at, delta)
    finally:
        os.close(fd)


def _new_named(nbytes):
    for _ in range(100):
        name = os.path.join(_SHM_DIR, f"ember_{os.getpid()}_{secrets.token_hex(8)}")
        try:
            fd = os.open(name, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600)
            break
        except FileExistsError:
            continue
    try:
        os.ftruncate(fd, max(nbytes, 1) + 8)
        _count(fd, max(nbytes, 1), 1)
    except BaseException:
        os.close(fd)
        os.unlink(name)
        raise
    return _map(fd, nbytes, name)


def _release_named(at, name, pid):
    if os.getpid() != pid:
        return  # a fork's inherited copy holds nothing
    with contextlib.suppress(FileNotFoundError):
        if _count_named(name, at, -1) <= 0:
            os.unlink(name)


def hold_for_message(m):
    """One more holder for a named storage: the message being pickled, until it is received."""
    _count_named(m.name, len(m), 1)


def attach_named(name, nbytes):
    """The mapping of a received named storage; the message's hold passes to this process's
    mapping, or is dropped when this process maps the storage already."""
    m = _received.get(name)
    if m is not None:
        _count_named(name, max(nbytes, 1), -1)
        return m
    m = _map(os.open(name, os.O_RDWR), nbytes, name)
    _received[name] = m
    return m


def mapping_of(a):
    """The SharedMapping a NumPy array's memory lives in, or None."""
    b = _root(a).base
    if isinstance(b, memoryview):  # np.frombuffer keeps a memoryview of the mapping
        b = b.obj
    return b if isinstance(b, SharedMapping) else None


def _extent(a):
    """(lowest address, highest address + 1) of the memory array `a` spans."""
    lo = hi = _ptr(a)
    for n, s in zip(a.shape, a.strides):
        if n == 0:
            return lo, lo
        if s < 0:
            lo += s * (n - 1)
        else:
            hi += s * (n - 1)
    return lo, hi + a.itemsize


def _remap(a, *, lo, root):
    """`a` re-expressed on `root` (whose element 0 is at old address `lo`): same layout."""
    first = (_ptr(a) - lo) // a.itemsize
    if a.flags.c_contiguous and a.dtype == root.dtype:
        return root[first:first + a.size].reshape(a.shape)
    return np.lib.stride_tricks.as_strided(root[first:], a.shape, a.strides)


def share_(t):
    """Moves tensor `t`'s storage into shared memory (in place); a no-op when it is shared."""
    share_many((t,))
    return t


def share_many(tensors):
    """share_ for several tensors (a module's), with at most one search for other views."""
    moves = {}  # id(old root) -> (old root, its lowest address, the shared root)
    for t in tensors:
        _move(t, moves)
    if any(sys.getrefcount(root) > 3 for root, _, _ in moves.values()):
        _move_other_views(moves)  # refs: the moves entry, `root` here, getrefcount's argument


def _move(t, moves):
    a = t._data
    if type(a) is _MetaArray:
        kind = "filename" if _strategy() == "file_system" else "fd"
        raise RuntimeError(f"_share_{kind}_: only available on CPU")
    if not isinstance(a, np.ndarray) or mapping_of(a) is not None:
        return  # already shared, or device memory (a no-op for CUDA tensors, as torch's)
    root = _root(a)
    move = moves.get(id(root))
    if move is None:
        lo, hi = _extent(root)
        m = new_mapping(hi - lo)
        if hi > lo:
            ctypes.memmove(np.frombuffer(m, np.uint8, count=hi - lo).ctypes.data, lo, hi - lo)
        move = moves[id(root)] = (root, lo, np.frombuffer(m, root.dtype,
                                                          count=(hi - lo) // root.itemsize))
    t._data = _remap(a, lo=move[1], root=move[2])


def _move_other_views(moves):
    """Re-points the other tensors on a moved root (torch's views of the same storage, which
    move with it). NumPy arrays are invisible to the garbage collector's referrer lists, so this
    scans the heap's tensors; share_many calls it only when a root has references it does not
    account for (a parameter owning its memory has none)."""
    from .._tensor import Tensor
    for x in gc.get_objects():
        if issubclass(type(x), Tensor) and type(x._data) is not _MetaArray:
            a = x._data
            if isinstance(a, np.ndarray):
                move = moves.get(id(_root(a)))
                if move is not None and _root(a) is move[0]:
                    x._data = _remap(a, lo=move[1], root=move[2])


def is_shared(t):
    a = t._data
    return isinstance(a, np.ndarray) and type(a) is not _MetaArray and mapping_of(a) is not None


# ---- crossing a process boundary ----
_received = weakref.WeakValueDictionary()  # (st_dev, st_ino) -> the mapping this process holds


def attach(fd, nbytes):
    """The mapping of a received descriptor (closed here; the mapping keeps its own copy). The
    same file received twice maps once, so views sent separately stay views of one storage."""
    try:
        st = os.fstat(fd)
        key = (st.st_dev, st.st_ino)
        m = _received.get(key)
        if m is None:
            m = _map(os.dup(fd), nbytes)
            _received[key] = m
        return m
    finally:
        os.close(fd)


def tensor_on(m, np_dtype, nbytes, offset, shape, strides):
    """A Tensor viewing mapping `m` as torch's storage_offset/size/stride describe it."""
    root = np.frombuffer(m, np_dtype, count=nbytes // np.dtype(np_dtype).itemsize)
    it = root.itemsize
    data = np.lib.stride_tricks.as_strided(root[offset:], shape, tuple(s * it for s in strides))
    return _wrap(data)
