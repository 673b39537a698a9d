"""The tensor collectives of ember.distributed (all_reduce, broadcast, gather, scatter, all_to_all,
send/recv, barrier...) on MPI, and Work, the handle an `async_op=True` call returns.

A tensor travels as its array's buffer (no pickling): as raw bytes where nothing is computed
(any dtype, bfloat16 included), as a typed MPI buffer where MPI reduces. float16 and bfloat16
reduce in float32 and bool as uint8 (MPI has no arithmetic on them), then convert back. Every
call starts MPI's non-blocking form (Iallreduce, Ibcast...); a sync call waits on it at once.
Results land in the caller's tensors when the work completes (wait / is_completed).
"""

import time
import warnings

import numpy as np

from .._device import array_module, to_host
from .._tensor import Tensor
from . import _state as S
from ._state import GroupMember, RedOpType, ReduceOp

__all__ = ["Work", "barrier", "all_reduce", "broadcast", "reduce", "all_gather",
           "all_gather_into_tensor", "gather", "scatter", "reduce_scatter",
           "reduce_scatter_tensor", "all_to_all", "all_to_all_single", "send", "recv", "isend",
           "irecv"]


class Work:
    """Matches torch.distributed.Work: wait() blocks until the operation is done (and its result
    written to the tensors), is_completed() tells without blocking."""

    def __init__(self, requests, finish=None, result=None, timeout=None, statuses=None):
        self._reqs, self._finish, self._result = requests, finish, result
        self._timeout, self._done, self._statuses = timeout, False, statuses
        self._source, self._futures = None, []

    def _complete(self):
        self._done = True
        if self._finish is not None:
            self._finish()
        for fut in self._futures:
            fut.set_result(list(self._result or []))

    def wait(self, timeout=None):
        if not self._done:
            MPI = S._mpi()
            limit = timeout if timeout is not None else self._timeout
            deadline = None if limit is None else time.monotonic() + limit.total_seconds()
            polls, pause = 0, 1e-5
            while not MPI.Request.Testall(self._reqs, self._statuses):
                if deadline is not None and time.monotonic() > deadline:
                    raise RuntimeError(f"ember.distributed: operation timed out after {limit}")
                polls += 1
                if polls > 200:  # a long wait (MPI's Waitall would spin a core): give the core
                    time.sleep(pause)  # to the other ranks, backing off to 0.2 ms of latency
                    pause = min(pause * 2, 2e-4)
            self._complete()
        return True

    def is_completed(self):
        if not self._done and S._mpi().Request.Testall(self._reqs, self._statuses):
            self._complete()
        return self._done

    def is_success(self):
        return self.is_completed()

    def get_future(self):
        """A torch.futures.Future completed with result() once the work is done; waiting on
        it (or on a Future chained from it with then) waits on the work."""
        from ..futures import Future
        fut = Future()
        fut._drive = self.wait
        if self._done:
            fut.set_result(list(self._result or []))
        else:
            self._futures.append(fut)
        return fut

    def result(self):
        self.wait()
        return list(self._result or [])

    def _source_rank(self):
        self.wait()
        return self._source  # set by irecv's finish


def _check_tensor(t, name):
    if not isinstance(t, Tensor):
        raise TypeError(f"Invalid function argument. Expected parameter `{name}` of type "
                        f"torch.Tensor\n             but got {type(t)} instead.")


def _check_list(ts, name):
    if not isinstance(ts, list):
        raise TypeError(f"Invalid function argument. Expected parameter `{name}` of type "
                        f"List[torch.Tensor]\n             but got {type(ts)} instead.")
    if not all(isinstance(t, Tensor) for t in ts):
        raise TypeError(f"Invalid function argument. Expected parameter `{name}` of type "
                        f"List[torch.Tensor]\n             but got {type(ts)} with elements of "
                        f"type {[type(t) for t in ts]}.")


class _Buf:
    """A tensor's array as MPI sees it: on the host, C-contiguous, flat. `store()` writes it
    back into the tensor when it is a copy."""
    __slots__ = ("t", "host", "flat", "copied")

    def __init__(self, t):
        a = t._data
        host = to_host(a)
        self.copied = host is not a or not host.flags.c_contiguous
        self.host = np.ascontiguousarray(host) if not host.flags.c_contiguous else host
        self.t, self.flat = t, self.host.reshape(-1)

    @property
    def raw(self):
        return self.flat.view(np.uint8)

    def store(self):
        t = self.t
        if self.copied:
            t._data[...] = array_module(t._data).asarray(self.host.reshape(t._data.shape))
        t._bump()


def _not_member(g, name, stacklevel=3):
    if g == GroupMember.NON_GROUP_MEMBER:
        world = GroupMember.WORLD
        warnings.warn(f"Running {name} on global rank {-1 if world is None else world.rank()} "
                      f"which does not belong to the given group.", stacklevel=stacklevel)
        return True
    return False


def _enter(group, name, **tensors):
    """Checks a collective's tensor arguments (a list of them where the name ends in list), then
    gives the ProcessGroup it runs on, or None (after torch's warning) on a rank outside
    `group`, where the collective returns None at once."""
    for arg, value in tensors.items():
        (_check_list if arg.endswith("list") else _check_tensor)(value, arg)
    return None if _not_member(group, name, stacklevel=4) else S._resolve(group)


def _per_rank(g, tensors, ref, name, list_name, mpi_name):
    """Checks a list holding one tensor per rank, each shaped and typed like `ref`."""
    if len(tensors) != g.size():
        raise ValueError(f"{name}: {list_name} must hold world_size ({g.size()}) tensors, "
                         f"got {len(tensors)}")
    for i, t in enumerate(tensors):
        _same(t, ref, i, mpi_name)


def _run(g, reqs, finish, async_op, result=None):
    work = Work(reqs, finish, result, g._timeout)
    if async_op:
        return work
    work.wait()
    return None


# ------------------------------------------------------------------ reductions
_NP_WIDE = {"float16": np.float32, "bfloat16": np.float32, "bool": np.uint8}
_BOOL_OP = {RedOpType.SUM: RedOpType.MAX, RedOpType.PRODUCT: RedOpType.MIN}


def _mpi_type(MPI, dtype):
    """MPI's predefined datatype for a NumPy dtype (reductions need a predefined one)."""
    return {"f4": MPI.FLOAT, "f8": MPI.DOUBLE, "i1": MPI.INT8_T, "i2": MPI.INT16_T,
            "i4": MPI.INT32_T, "i8": MPI.INT64_T, "u1": MPI.UINT8_T, "u2": MPI.UINT16_T,
            "u4": MPI.UINT32_T, "u8": MPI.UINT64_T, "c8": MPI.C_FLOAT_COMPLEX,
            "c16": MPI.C_DOUBLE_COMPLEX}[dtype.str[1:]]


def _reduction(MPI, t, op, name):
    """(work array, MPI datatype, MPI op, after) for reducing tensor t with `op`; `after(work)`
    finishes (AVG's division, conversion back) once MPI is done."""
    if not isinstance(op, RedOpType) or op == RedOpType.PREMUL_SUM:
        from .._args import unsupported
        unsupported(f"torch.distributed.{name}", "op", op)
    dt = t.dtype
    if dt.is_complex and op not in (RedOpType.SUM, RedOpType.AVG, RedOpType.PRODUCT):
        raise ValueError(f"{name} does not support {op} on complex tensors")
    if op == RedOpType.AVG and not (dt.is_floating_point or dt.is_complex):
        raise RuntimeError(f"result type Float can't be cast to the desired output type "
                           f"{dt._legacy[:-6]}")
    buf = _Buf(t)
    wide = _NP_WIDE.get(dt.name)
    work = buf.flat if wide is None else buf.flat.astype(wide)
    mop = _BOOL_OP.get(op, op) if dt.name == "bool" else op
    mpi_op = {RedOpType.SUM: MPI.SUM, RedOpType.AVG: MPI.SUM, RedOpType.PRODUCT: MPI.PROD,
              RedOpType.MIN: MPI.MIN, RedOpType.MAX: MPI.MAX, RedOpType.BAND: MPI.BAND,
              RedOpType.BOR: MPI.BOR, RedOpType.BXOR: MPI.BXOR}[mop]

    def after(n):
        if op == RedOpType.AVG:
            work[...] = work / n
        if wide is not None:
            buf.flat[...] = (work != 0) if dt.name == "bool" else work.astype(buf.flat.dtype)
        buf.store()
    return buf, work, _mpi_type(MPI, work.dtype), mpi_op, after


def all_reduce(tensor, op=ReduceOp.SUM, group=None, async_op=False):
    g = _enter(group, "all_reduce", tensor=tensor)
    if g is None:
        return None
    MPI = S._mpi()
    buf, work, mtype, mop, after = _reduction(MPI, tensor, op, "all_reduce")
    req = g._comm.Iallreduce(MPI.IN_PLACE, [work, mtype], mop)
    return _run(g, [req], lambda: after(g.size()), async_op, [tensor])


def reduce(tensor, dst=None, op=ReduceOp.SUM, group=None, async_op=False, group_dst=None):
    g = _enter(group, "reduce", tensor=tensor)
    if g is None:
        return None
    MPI = S._mpi()
    root = S._peer(g, dst, group_dst, "dst")
    buf, work, mtype, mop, after = _reduction(MPI, tensor, op, "reduce")
    if g.rank() == root:
        req = g._comm.Ireduce(MPI.IN_PLACE, [work, mtype], mop, root=root)
        return _run(g, [req], lambda: after(g.size()), async_op, [tensor])
    req = g._comm.Ireduce([work, mtype], None, mop, root=root)
    return _run(g, [req], None, async_op, [tensor])


def _reduce_scatter(output, flat_input, op, g, async_op, name):
    MPI = S._mpi()
    buf, work, mtype, mop, after = _reduction(MPI, output, op, name)
    send = flat_input.astype(work.dtype, copy=False)
    req = g._comm.Ireduce_scatter_block([send, mtype], [work, mtype], mop)
    return _run(g, [req], lambda: after(g.size()), async_op, [output])


def reduce_scatter(output, input_list, op=ReduceOp.SUM, group=None, async_op=False):
    g = _enter(group, "reduce_scatter", output=output, input_list=input_list)
    if g is None:
        return None
    _per_rank(g, input_list, output, "reduce_scatter", "input_list", "reduce_scatter")
    flat = np.concatenate([_Buf(t).flat for t in input_list]) if input_list else None
    return _reduce_scatter(output, flat, op, g, async_op, "reduce_scatter")


def reduce_scatter_tensor(output, input, op=ReduceOp.SUM, group=None, async_op=False):
    g = _enter(group, "reduce_scatter_tensor", output=output, input=input)
    if g is None:
        return None
    if input.numel() != output.numel() * g.size():
        raise ValueError("input tensor must be the same size as output size times world size")
    if input.dtype != output.dtype:
        raise TypeError("input tensor must be the same type as the output tensor.")
    return _reduce_scatter(output, _Buf(input).flat, op, g, async_op, "reduce_scatter_tensor")


# ------------------------------------------------------------------ data movement
def _fmt(shape):
    return "(" + ", ".join(str(n) for n in shape) + ")"


def _same(t, ref, i, name):
    if tuple(t.shape) != tuple(ref.shape):
        raise RuntimeError(f"ProcessGroupMPI::{name}: invalid tensor size at index {i} "
                           f"(expected {_fmt(ref.shape)}, got {_fmt(t.shape)})")
    if t.dtype != ref.dtype:
        raise RuntimeError(f"ProcessGroupMPI::{name}: invalid tensor type at index {i} "
                           f"(expected {ref.dtype}, got {t.dtype})")


def _scatter_into(tensors, raw):
    """Copies consecutive pieces of bytes `raw` into `tensors` (the output of a gather)."""
    at = 0
    for t in tensors:
        b = _Buf(t)
        n = b.raw.size
        b.raw[...] = raw[at:at + n]
        at += n
        b.store()


def barrier(group=None, async_op=False, device_ids=None, timeout=None):
    if device_ids is not None:
        from .._args import unsupported
        unsupported("torch.distributed.barrier", "device_ids", device_ids)
    g = _enter(group, "barrier")
    if g is None:
        return None
    work = Work([g._comm.Ibarrier()], None, None, S._check_timeout(timeout) or g._timeout)
    if async_op:
        return work
    work.wait()
    return None


def broadcast(tensor, src=None, group=None, async_op=False, group_src=None):
    g = _enter(group, "broadcast", tensor=tensor)
    if g is None:
        return None
    root = S._peer(g, src, group_src, "src")
    buf = _Buf(tensor)
    req = g._comm.Ibcast(buf.raw, root=root)
    return _run(g, [req], buf.store if g.rank() != root else None, async_op, [tensor])


def all_gather(tensor_list, tensor, group=None, async_op=False):
    g = _enter(group, "all_gather", tensor_list=tensor_list, tensor=tensor)
    if g is None:
        return None
    _per_rank(g, tensor_list, tensor, "all_gather", "tensor_list", "allgather")
    send = _Buf(tensor).raw
    recv = np.empty(send.size * g.size(), np.uint8)
    req = g._comm.Iallgather(send, recv)
    return _run(g, [req], lambda: _scatter_into(tensor_list, recv), async_op, tensor_list)


def all_gather_into_tensor(output_tensor, input_tensor, group=None, async_op=False):
    g = _enter(group, "all_gather_into_tensor",
               output_tensor=output_tensor, input_tensor=input_tensor)
    if g is None:
        return None
    if output_tensor.numel() != input_tensor.numel() * g.size():
        raise ValueError("output tensor size must be equal to world_size times input tensor "
                         "size")
    if output_tensor.dtype != input_tensor.dtype:
        raise TypeError("output tensor must have the same type as input tensor")
    out = _Buf(output_tensor)
    req = g._comm.Iallgather(_Buf(input_tensor).raw, out.raw)
    return _run(g, [req], out.store, async_op, [output_tensor])


def gather(tensor, gather_list=None, dst=None, group=None, async_op=False, group_dst=None):
    _check_tensor(tensor, "tensor")
    if gather_list:
        _check_list(gather_list, "gather_list")
    else:
        gather_list = []
    g = _enter(group, "gather")
    if g is None:
        return None
    root = S._peer(g, dst, group_dst, "dst")
    send = _Buf(tensor).raw
    if g.rank() != root:
        if gather_list:
            raise ValueError("Argument ``gather_list`` must NOT be specified on "
                             "non-destination ranks.")
        return _run(g, [g._comm.Igather(send, None, root=root)], None, async_op)
    if not gather_list:
        raise ValueError("Argument ``gather_list`` must be specified on destination rank.")
    _per_rank(g, gather_list, tensor, "gather", "gather_list", "gather")
    recv = np.empty(send.size * g.size(), np.uint8)
    req = g._comm.Igather(send, recv, root=root)
    return _run(g, [req], lambda: _scatter_into(gather_list, recv), async_op, gather_list)


def scatter(tensor, scatter_list=None, src=None, group=None, async_op=False, group_src=None):
    _check_tensor(tensor, "tensor")
    if scatter_list:
        _check_list(scatter_list, "scatter_list")
    else:
        scatter_list = []
    g = _enter(group, "scatter")
    if g is None:
        return None
    root = S._peer(g, src, group_src, "src")
    out = _Buf(tensor)
    if g.rank() != root:
        if scatter_list:
            raise ValueError("Argument ``scatter_list`` must NOT be specified on non-source "
                             "ranks.")
        return _run(g, [g._comm.Iscatter(None, out.raw, root=root)], out.store, async_op,
                    [tensor])
    if not scatter_list:
        raise ValueError("Argument ``scatter_list`` must be specified on source rank.")
    _per_rank(g, scatter_list, tensor, "scatter", "scatter_list", "scatter")
    send = np.concatenate([_Buf(t).raw for t in scatter_list])
    req = g._comm.Iscatter(send, out.raw, root=root)
    return _run(g, [req], out.store, async_op, [tensor])


def _alltoallv(g, send, send_counts, outs, recv_counts, async_op):
    MPI = S._mpi()
    recv = np.empty(int(sum(recv_counts)), np.uint8)
    sdisp = np.concatenate([[0], np.cumsum(send_counts)[:-1]]).astype(int).tolist()
    rdisp = np.concatenate([[0], np.cumsum(recv_counts)[:-1]]).astype(int).tolist()
    req = g._comm.Ialltoallv([send, (list(send_counts), sdisp), MPI.BYTE],
                             [recv, (list(recv_counts), rdisp), MPI.BYTE])
    return recv, req


def all_to_all(output_tensor_list, input_tensor_list, group=None, async_op=False):
    g = _enter(group, "all_to_all",
               output_tensor_list=output_tensor_list, input_tensor_list=input_tensor_list)
    if g is None:
        return None
    n = g.size()
    if len(output_tensor_list) != n or len(input_tensor_list) != n:
        raise ValueError(f"all_to_all: both tensor lists must hold world_size ({n}) tensors")
    bufs = [_Buf(t).raw for t in input_tensor_list]
    send = np.concatenate(bufs) if bufs else np.empty(0, np.uint8)
    recv_counts = [t.numel() * t.element_size() for t in output_tensor_list]
    recv, req = _alltoallv(g, send, [b.size for b in bufs], output_tensor_list, recv_counts,
                           async_op)
    return _run(g, [req], lambda: _scatter_into(output_tensor_list, recv), async_op,
                output_tensor_list)


def all_to_all_single(output, input, output_split_sizes=None, input_split_sizes=None,
                      group=None, async_op=False):
    g = _enter(group, "all_to_all_single", output=output, input=input)
    if g is None:
        return None
    n = g.size()

    def counts(t, splits):
        rows = t.shape[0] if t.dim() else 1
        row = t.numel() // rows * t.element_size() if rows else 0
        if splits is None:
            if rows % n:
                raise ValueError(f"Tensor's dim 0 does not divide equally across group size {n}")
            return [rows // n * row] * n
        if len(splits) != n or sum(splits) != rows:
            raise ValueError("Split sizes doesn't match total dim 0 size")
        return [s * row for s in splits]
    send_counts, recv_counts = counts(input, input_split_sizes), counts(output, output_split_sizes)
    recv, req = _alltoallv(g, _Buf(input).raw, send_counts, [output], recv_counts, async_op)
    return _run(g, [req], lambda: _scatter_into([output], recv), async_op, [output])


# ------------------------------------------------------------------ point to point
def _p2p_peer(g, rank, group_rank, kind):
    peer = S._peer(g, rank, group_rank, "dst" if kind == "destination" else "src")
    if peer == g.rank():
        raise ValueError(f"Invalid {kind} rank: {kind} rank should not be the same as the rank "
                         f"of the current process.")
    return peer


def isend(tensor, dst=None, group=None, tag=0, group_dst=None):
    g = _enter(group, "isend", tensor=tensor)
    if g is None:
        return None
    peer = _p2p_peer(g, dst, group_dst, "destination")
    return Work([g._comm.Isend(_Buf(tensor).raw, dest=peer, tag=tag)], None, [tensor],
                g._timeout)


def irecv(tensor, src=None, group=None, tag=0, group_src=None):
    g = _enter(group, "irecv", tensor=tensor)
    if g is None:
        return None
    MPI = S._mpi()
    peer = MPI.ANY_SOURCE if src is None and group_src is None else \
        _p2p_peer(g, src, group_src, "source")
    buf, status = _Buf(tensor), MPI.Status()
    req = g._comm.Irecv(buf.raw, source=peer, tag=tag)
    work = Work([req], None, [tensor], g._timeout, [status])

    def finish():
        buf.store()
        work._source = g._ranks[status.Get_source()]
    work._finish = finish
    return work


def send(tensor, dst=None, group=None, tag=0, group_dst=None):
    work = isend(tensor, dst, group, tag, group_dst)
    if work is not None:
        work.wait()


def recv(tensor, src=None, group=None, tag=0, group_src=None):
    work = irecv(tensor, src, group, tag, group_src)
    if work is None:
        return -1
    work.wait()
    return work._source
