"""torch.nn.parallel.DistributedDataParallel on ember.distributed (MPI).

At construction rank 0's parameters and buffers are broadcast to every rank. The parameters
that need a gradient are laid out in buckets (reverse registration order, one dtype per bucket;
the first holds up to 1 MiB, the others `bucket_cap_mb`, 25 MiB by default, as torch's). A
post-accumulate-grad hook copies each gradient, divided by the world size, into its bucket; a
full bucket starts a non-blocking allreduce (buckets start in order on every rank, as MPI
requires) while backward goes on; the last gradient waits for them and writes the averages back
into `.grad`. register_comm_hook replaces the allreduce: each full bucket goes, undivided, to the
hook as a GradBucket, and the Future it returns gives the bucket's values. `no_sync()` skips all
of it (gradients accumulate locally), `find_unused_parameters` marks the parameters the forward
graph does not reach as ready with zeros, and a parameter unused on every rank keeps its `.grad`.
"""

import contextlib
import warnings

import numpy as np

from ..modules.module import Module

__all__ = ["DistributedDataParallel"]

_FIRST_BUCKET_BYTES = 1024 * 1024
_UNFINISHED = (
    "Expected to have finished reduction in the prior iteration before starting a new one. This "
    "error indicates that your module has parameters that were not used in producing loss. You "
    "can enable unused parameter detection by passing the keyword argument "
    "`find_unused_parameters=True` to `torch.nn.parallel.DistributedDataParallel`, and by "
    "making sure all `forward` function outputs participate in calculating loss.")
_REFUSED_DEFAULTS = (("delay_all_reduce_named_params", None),
                     ("param_to_hook_all_reduce", None), ("mixed_precision", None),
                     ("device_mesh", None), ("skip_all_reduce_unused_params", False),
                     ("bucket_cap_mb_list", None), ("batched_grad_copy", False))


class _Bucket:
    """One flat array of gradients (one dtype) reduced by one allreduce."""

    def __init__(self, params, dtype):
        self.params, self.offsets, at = params, [], 0
        for p in params:
            self.offsets.append(at)
            at += p.numel()
        self.flat = np.zeros(at, dtype)
        self.pending, self.request, self.future = len(params), None, None

    def slot(self, k):
        p = self.params[k]
        return self.flat[self.offsets[k]:self.offsets[k] + p.numel()].reshape(p.shape)


def _flat_broadcast(dist, tensors, group):
    """Broadcasts rank 0's values of `tensors` into every rank's, one message per dtype."""
    from ..._device import to_host
    by_dtype = {}
    for t in tensors:
        by_dtype.setdefault(t.dtype, []).append(t)
    for ts in by_dtype.values():
        flat = np.concatenate([to_host(t._data).reshape(-1) for t in ts])
        dist.broadcast(_host_tensor(flat), src=dist.get_global_rank(group, 0), group=group)
        at = 0
        for t in ts:
            n = t.numel()
            t._data[...] = _device_like(t._data, flat[at:at + n].reshape(t.shape))
            t._bump()
            at += n


def _host_tensor(a):
    from ... import from_numpy
    return from_numpy(a)


def _device_like(ref, a):
    from ..._device import array_module
    return array_module(ref).asarray(a)


class DistributedDataParallel(Module):
    def __init__(self, module, device_ids=None, output_device=None, dim=0,
                 broadcast_buffers=None, init_sync=True, process_group=None, bucket_cap_mb=None,
                 find_unused_parameters=False, check_reduction=False,
                 gradient_as_bucket_view=False, static_graph=False,
                 delay_all_reduce_named_params=None, param_to_hook_all_reduce=None,
                 mixed_precision=None, device_mesh=None, skip_all_reduce_unused_params=False,
                 bucket_cap_mb_list=None, batched_grad_copy=False, forward_sync_buffers=None):
        from ... import distributed as dist
        from ..._args import refuse_if
        given = dict(delay_all_reduce_named_params=delay_all_reduce_named_params,
                     param_to_hook_all_reduce=param_to_hook_all_reduce,
                     mixed_precision=mixed_precision, device_mesh=device_mesh,
                     skip_all_reduce_unused_params=skip_all_reduce_unused_params,
                     bucket_cap_mb_list=bucket_cap_mb_list, batched_grad_copy=batched_grad_copy)
        for name, default in _REFUSED_DEFAULTS:
            refuse_if("torch.nn.parallel.DistributedDataParallel", name, given[name], default)
        if check_reduction:  # torch: no effect any more, only this warning
            warnings.warn("The `check_reduction` argument in `DistributedDataParallel` module is "
                          "deprecated. Please avoid using it.", FutureWarning, stacklevel=2)
        super().__init__()
        group = dist._state._default() if process_group is None else process_group
        ignore = set(getattr(module, "_ddp_params_and_buffers_to_ignore", ()))
        params = [p for n, p in module.named_parameters() if n not in ignore]
        if not any(p.requires_grad for p in params):
            raise RuntimeError("DistributedDataParallel is not needed when a module doesn't "
                               "have any parameter that requires a gradient.")
        if device_ids is not None and len(device_ids) > 1:
            raise ValueError("device_ids can only be None or contain a single element.")
        devices = {p.device for p in params}
        if device_ids or output_device:
            raise ValueError(
                f"DistributedDataParallel device_ids and output_device arguments only work with "
                f"single-device/multiple-device GPU modules or CPU modules, but got device_ids "
                f"{device_ids}, output_device {output_device}, and module parameters "
                f"{devices}.")
        self.module, self.process_group, self.dim = module, group, dim
        self.device_ids = self.output_device = None
        self.device = params[0].device
        self.find_unused_parameters = find_unused_parameters
        # a static graph gives torch's results with unused parameters found in every iteration
        self.static_graph = static_graph
        self.gradient_as_bucket_view = gradient_as_bucket_view
        if gradient_as_bucket_view and (self.device.type != "cpu" or any(
                p.dtype.name in ("float16", "bfloat16") for p in params)):
            from ..._args import unsupported  # their buckets are host or float32 copies
            unsupported("torch.nn.parallel.DistributedDataParallel", "gradient_as_bucket_view",
                        gradient_as_bucket_view)
        self.require_backward_grad_sync = self.require_forward_param_sync = True
        self.forward_sync_buffers = self._buffer_flags(broadcast_buffers, forward_sync_buffers)
        self._ignore = ignore
        self._params = [p for p in params if p.requires_grad]
        self._world = dist.get_world_size(group)
        if init_sync:
            self._check_same_model(dist, group)
            _flat_broadcast(dist, params + (self._buffers_list() if self._init_sync_buffers
                                            else []), group)
        self._build_buckets(bucket_cap_mb)
        self._armed, self._unfinished, self._comm_hook = False, False, None
        for i, p in enumerate(self._params):
            p.register_post_accumulate_grad_hook(self._hook(i))

    def _buffer_flags(self, broadcast_buffers, forward_sync_buffers):
        if broadcast_buffers is not None:
            warnings.warn(
                "Both `broadcast_buffers` and `forward_sync_buffers` were specified. "
                "`broadcast_buffers` is deprecated and its value is ignored when "
                "`forward_sync_buffers` is provided." if forward_sync_buffers is not None else
                "`broadcast_buffers` is deprecated. Use `forward_sync_buffers` instead. "
                "IMPORTANT: unlike `broadcast_buffers=False`, `forward_sync_buffers=False` still "
                "syncs buffers at init. If you rely on buffers NOT being synced at init (e.g. "
                "rank-local buffers), keep using `broadcast_buffers=False` until "
                "`init_sync_buffers` is available.", FutureWarning, stacklevel=3)
        if forward_sync_buffers is not None:
            self._init_sync_buffers = True
            return forward_sync_buffers
        self._init_sync_buffers = broadcast_buffers is not False
        return broadcast_buffers is not False

    @property
    def broadcast_buffers(self):
        return self.forward_sync_buffers

    def _buffers_list(self):
        return [b for n, b in self.module.named_buffers() if n not in self._ignore]

    def _check_same_model(self, dist, group):
        shapes = [tuple(p.shape) for p in self._params]
        every = [None] * self._world
        dist.all_gather_object(every, shapes, group=group)
        for r, theirs in enumerate(every):
            if len(theirs) != len(shapes):
                raise RuntimeError(
                    f"DDP expects same model across all ranks, but Rank "
                    f"{dist.get_rank(group)} has {len(shapes)} params, while rank {r} has "
                    f"inconsistent {len(theirs)} params.")
            for i, (a, b) in enumerate(zip(shapes, theirs)):
                if a != b:
                    raise RuntimeError(
                        f"DDP expects same model across all ranks, but Rank "
                        f"{dist.get_rank(group)} has parameter {i} of shape {list(a)}, while "
                        f"rank {r} has {list(b)}.")

    def _build_buckets(self, bucket_cap_mb):
        cap = int((25 if bucket_cap_mb is None else bucket_cap_mb) * 1024 * 1024)
        first = _FIRST_BUCKET_BYTES if bucket_cap_mb is None else cap
        self._buckets, self._where = [], {}
        open_ = {}  # dtype -> (params, bytes)
        done = []
        for i in reversed(range(len(self._params))):
            p = self._params[i]
            ps, size = open_.get(p.dtype, ([], 0))
            ps.append(i)
            size += p.numel() * p.element_size()
            limit = first if not done else cap
            if size >= limit:
                done.append((p.dtype, ps))
                open_.pop(p.dtype, None)
            else:
                open_[p.dtype] = (ps, size)
        done += [(dt, ps) for dt, (ps, _) in open_.items()]
        for b, (dtype, idx) in enumerate(done):
            wide = dtype.name in ("float16", "bfloat16")  # MPI reduces them as float32
            bucket = _Bucket([self._params[i] for i in idx], np.float32 if wide else dtype.np)
            self._buckets.append(bucket)
            for k, i in enumerate(idx):
                self._where[i] = (b, k)
        self.bucket_bytes_cap = cap

    def register_comm_hook(self, state, hook):
        """From the next backward on, each full bucket goes to hook(state, GradBucket) instead
        of the built-in average; the Future it returns gives the bucket's reduced values. The
        bucket holds the gradients as they are (not divided by the world size), as in torch."""
        if not callable(hook):
            raise TypeError("Communication hook must be callable.")
        if self._comm_hook is not None:
            raise RuntimeError("register_comm_hook or register_builtin_comm_hook can only be "
                               "called once.")
        self._comm_hook = (state, hook)

    def join(self, divide_by_initial_world_size=True, enable=True,
             throw_on_early_termination=False):
        """torch's uneven-inputs context: refused unless enable=False (then it does nothing)."""
        from ...distributed.algorithms import Join
        return Join([self], enable, throw_on_early_termination,
                    divide_by_initial_world_size=divide_by_initial_world_size)

    # ------------------------------------------------------------------ forward
    @contextlib.contextmanager
    def no_sync(self):
        old = self.require_backward_grad_sync
        self.require_backward_grad_sync = False
        try:
            yield
        finally:
            self.require_backward_grad_sync = old

    def forward(self, *inputs, **kwargs):
        from ... import distributed as dist
        from ... import is_grad_enabled
        if self.forward_sync_buffers and self.require_forward_param_sync:
            bufs = self._buffers_list()
            if bufs:
                _flat_broadcast(dist, bufs, self.process_group)
        arm = is_grad_enabled() and self.require_backward_grad_sync
        if arm and self._unfinished:
            raise RuntimeError(_UNFINISHED)
        out = self.module(*inputs, **kwargs)
        if arm:  # after the forward: one that raises leaves nothing pending
            self._arm()
            self._unused = self._find_unused(out) if self._detect_unused else []
        return out

    def _arm(self):
        self._armed, self._unfinished, self._next, self._first = True, True, 0, True
        self._used = np.zeros(len(self._params), np.int32)
        for b in self._buckets:
            b.pending, b.request, b.future = len(b.params), None, None

    def _find_unused(self, out):
        from ...utils._pytree import tree_leaves
        reached, seen = set(), set()
        stack = [t.grad_fn for t in tree_leaves(out) if getattr(t, "grad_fn", None) is not None]
        while stack:
            node = stack.pop()
            if node is None or id(node) in seen:
                continue
            seen.add(id(node))
            leaf = getattr(node, "variable", None)
            if leaf is not None:
                reached.add(id(leaf))
            stack += [e[0] for e in getattr(node, "_edges", ()) if e[0] is not None]
        return [i for i, p in enumerate(self._params) if id(p) not in reached]

    # ------------------------------------------------------------------ backward
    def _hook(self, i):
        def hook(param):
            if self._armed:
                self._ready(i, param)
        return hook

    def _ready(self, i, param):
        if self._first:
            self._first = False
            for j in self._unused:
                b, k = self._where[j]
                self._buckets[b].slot(k)[...] = 0
                self._mark(j)
        b, k = self._where[i]
        from ..._device import to_host
        scale = 1.0 if self._comm_hook is not None else 1.0 / self._world  # a hook averages
        np.multiply(to_host(param.grad._data), scale, out=self._buckets[b].slot(k),
                    casting="unsafe")
        self._used[i] = 1
        self._mark(i)

    def _mark(self, i):
        from ... import distributed as dist
        b, _ = self._where[i]
        self._buckets[b].pending -= 1
        MPI = dist._state._mpi()
        while self._next < len(self._buckets) and self._buckets[self._next].pending == 0:
            bucket = self._buckets[self._next]
            if self._comm_hook is not None:
                bucket.future = self._run_hook(self._next, bucket)
            else:
                bucket.request = self.process_group._comm.Iallreduce(
                    MPI.IN_PLACE, [bucket.flat, _mpi_type(MPI, bucket.flat.dtype)], MPI.SUM)
            self._next += 1
        started = [b.request for b in self._buckets[:self._next] if b.request is not None]
        if self._next == len(self._buckets):
            self._finish(MPI, started)
        elif started:
            MPI.Request.Testall(started)  # lets MPI progress the buckets already started

    def _run_hook(self, index, bucket):
        from ... import from_numpy
        from ...distributed._grad_bucket import GradBucket
        state, hook = self._comm_hook
        grads = [from_numpy(bucket.slot(k)) for k in range(len(bucket.params))]
        view = GradBucket(index, from_numpy(bucket.flat), grads, list(bucket.params),
                          index == len(self._buckets) - 1)
        return hook(state, view)

    def _finish(self, MPI, requests):
        MPI.Request.Waitall(requests)
        for bucket in self._buckets:
            if bucket.future is not None:  # a comm hook's result replaces the bucket
                from ..._device import to_host
                value = bucket.future.wait()
                np.copyto(bucket.flat, to_host(value._data).reshape(-1), casting="unsafe")
        used = self._used
        if self._detect_unused:
            used = used.copy()
            self.process_group._comm.Allreduce(MPI.IN_PLACE, used, MPI.MAX)
        for i, p in enumerate(self._params):
            if not used[i]:
                continue  # unused on every rank: torch leaves its .grad as it is
            b, k = self._where[i]
            if self.gradient_as_bucket_view:
                self._as_bucket_view(i, p, self._buckets[b].slot(k))
                continue
            value = _device_like(p._data, self._buckets[b].slot(k))
            if p.grad is None:
                from ... import zeros_like
                p.grad = zeros_like(p)
            p.grad._data[...] = value
            p.grad._bump()
        self._armed = self._unfinished = False

    @property
    def _detect_unused(self):
        return self.find_unused_parameters or self.static_graph

    def _as_bucket_view(self, i, p, slot):
        """gradient_as_bucket_view: .grad becomes (and stays) a view of its bucket slot, which
        already holds the average; gradients accumulate in the bucket."""
        from ... import from_numpy
        views = self.__dict__.setdefault("_grad_views", {})
        if p.grad is None or p.grad is not views.get(i):
            views[i] = p.grad = from_numpy(slot)
        p.grad._bump()


def _mpi_type(MPI, dtype):
    from ...distributed._collectives import _mpi_type as typed
    return typed(MPI, dtype)
