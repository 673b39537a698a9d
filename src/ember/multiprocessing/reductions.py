"""How tensors are pickled for another process (torch.multiprocessing.reductions).

Registered with `multiprocessing.reduction.ForkingPickler`, the pickler multiprocessing uses for
Queues, Pipes, Pools and a spawned Process's arguments (plain `pickle` and `ember.save` are not
affected). As torch does, pickling a CPU tensor first moves its storage into shared memory (so
the sender's tensor becomes shared too) and then sends a duplicate of the storage's file
descriptor with the tensor's offset, size, stride and requires_grad; the receiver maps the same
memory. Writes are visible both ways, nothing is copied. An empty storage is shared as well
(one byte of room), which is what torch's share_memory_() reports too. Under the "file_system"
strategy the storage is a named file and the name travels instead of a descriptor.
"""
from multiprocessing import reduction

from . import _shm

_NON_LEAF = ("Cowardly refusing to serialize non-leaf tensor which requires_grad, since autograd "
             "does not support crossing process boundaries.  If you just want to transfer the "
             "data, call detach() on the tensor before serializing (e.g., putting it on the "
             "queue).")


def _finish(cls, t, requires_grad):
    from ..nn.parameter import Parameter
    if cls is Parameter:
        return Parameter(t, requires_grad=requires_grad)
    t.requires_grad = requires_grad
    return t


def rebuild_tensor(cls, df, nbytes, np_dtype, offset, shape, strides, requires_grad):
    """A tensor on a storage sent as a file descriptor ("file_descriptor" strategy)."""
    m = _shm.attach(df.detach(), nbytes)
    return _finish(cls, _shm.tensor_on(m, np_dtype, nbytes, offset, shape, strides),
                   requires_grad)


def rebuild_tensor_filename(cls, name, nbytes, np_dtype, offset, shape, strides, requires_grad):
    """A tensor on a storage sent by its name ("file_system" strategy)."""
    m = _shm.attach_named(name, nbytes)
    return _finish(cls, _shm.tensor_on(m, np_dtype, nbytes, offset, shape, strides),
                   requires_grad)


def reduce_tensor(t):
    if t.requires_grad and not t.is_leaf:
        raise RuntimeError(_NON_LEAF)
    if t.device.type != "cpu" or t.is_meta:
        return t.__reduce_ex__(2)  # no shared-memory path for these: pickled by value
    _shm.share_(t)
    from .._tensor import _storage
    root, offset = _storage(t)
    m = _shm.mapping_of(root)
    layout = (root.dtype, offset, tuple(t.shape), t.stride(), t.requires_grad)
    if m.name is not None:
        _shm.hold_for_message(m)  # the file outlives us until the receiver maps it
        return (rebuild_tensor_filename, (type(t), m.name, len(m), *layout))
    return (rebuild_tensor, (type(t), reduction.DupFd(m.fd), len(m), *layout))


def init_reductions():
    from .._tensor import Tensor
    from ..nn.parameter import Parameter
    reduction.ForkingPickler.register(Tensor, reduce_tensor)
    reduction.ForkingPickler.register(Parameter, reduce_tensor)
