"""DataLoader: a dataset, a (batch) sampler and a collate function, iterated in this process or
in worker processes.

Creating an iterator makes the sampler's iterator (lazy) and then draws the base seed (one int64
`random_()` from `generator` or the global generator), as torch does; a shuffled epoch therefore
consumes exactly two 64-bit draws and yields torch's order. With `num_workers > 0`, the main
process dispatches index lists round-robin to `multiprocessing` workers (at most
`prefetch_factor` tasks per worker in flight) and hands batches back in sampler order (or as
they come, with `in_order=False`). While waiting it watches the result pipe and the sentinels of
the workers that still have work, so a worker that dies raises torch's error at once.
"""

import itertools
import multiprocessing
import os
import pickle
import signal
import threading
import time
import warnings
from multiprocessing.connection import wait as _mp_wait

from ... import _dtype
from ...ops.creation import empty
from . import worker as _worker
from ._utils.collate import default_collate, default_convert
from .dataset import IterableDataset
from .sampler import BatchSampler, RandomSampler, Sampler, SequentialSampler
from .worker import get_worker_info  # noqa: F401 - torch.utils.data.dataloader has it too

__all__ = ["DataLoader"]


class _InfiniteConstantSampler(Sampler):
    """The index stream for an IterableDataset: the fetcher ignores the indices."""

    def __iter__(self):
        while True:
            yield None


def _check_args(num_workers, timeout, prefetch_factor, persistent_workers):
    if num_workers < 0:
        raise ValueError("num_workers option should be non-negative; use num_workers=0 to "
                         "disable multiprocessing.")
    if timeout < 0:
        raise ValueError("timeout option should be non-negative")
    if num_workers == 0 and prefetch_factor is not None:
        raise ValueError("prefetch_factor option could only be specified in multiprocessing.let "
                         "num_workers > 0 to enable multiprocessing, otherwise set "
                         "prefetch_factor to None.")
    if prefetch_factor is not None and prefetch_factor < 0:
        raise ValueError("prefetch_factor option should be non-negative")
    if persistent_workers and num_workers == 0:
        raise ValueError("persistent_workers option needs num_workers > 0")


def _check_iterable_options(shuffle, sampler, batch_sampler):
    if shuffle not in (False, None):
        raise ValueError(f"DataLoader with IterableDataset: expected unspecified shuffle "
                         f"option, but got shuffle={shuffle}")
    if sampler is not None:
        raise ValueError(f"DataLoader with IterableDataset: expected unspecified sampler "
                         f"option, but got sampler={sampler}")
    if batch_sampler is not None:
        raise ValueError(f"DataLoader with IterableDataset: expected unspecified batch_sampler "
                         f"option, but got batch_sampler={batch_sampler}")


class DataLoader:
    """Matches torch.utils.data.DataLoader.

    Every argument is honoured as torch honours it on a machine without an accelerator, except
    that `pin_memory=True` pins nothing: ember has no page-locked host memory, so batches are
    ordinary CPU tensors (the same values torch gives). Without an accelerator it warns, as torch
    does; `pin_memory_device` is deprecated and ignored with torch's warning. `timeout` bounds
    each wait for a worker's batch; `in_order=False` hands batches out as workers finish them.
    """

    _initialized = False

    def __init__(self, dataset, batch_size=1, shuffle=None, sampler=None, batch_sampler=None,
                 num_workers=0, collate_fn=None, pin_memory=False, drop_last=False, timeout=0,
                 worker_init_fn=None, multiprocessing_context=None, generator=None, *,
                 prefetch_factor=None, persistent_workers=False, pin_memory_device="",
                 in_order=True):
        _check_args(num_workers, timeout, prefetch_factor, persistent_workers)
        if num_workers > 0 and prefetch_factor is None:
            prefetch_factor = 2
        self.dataset, self.num_workers, self.prefetch_factor = dataset, num_workers, prefetch_factor
        self.pin_memory, self.pin_memory_device = pin_memory, pin_memory_device
        self.timeout, self.worker_init_fn = timeout, worker_init_fn
        self.multiprocessing_context, self.in_order = multiprocessing_context, in_order
        self._iterable = isinstance(dataset, IterableDataset)
        if self._iterable:
            _check_iterable_options(shuffle, sampler, batch_sampler)
        else:
            shuffle = bool(shuffle)
        if sampler is not None and shuffle:
            raise ValueError("sampler option is mutually exclusive with shuffle")
        if batch_sampler is not None:
            if batch_size != 1 or shuffle or sampler is not None or drop_last:
                raise ValueError("batch_sampler option is mutually exclusive with batch_size, "
                                 "shuffle, sampler, and drop_last")
            batch_size, drop_last = None, False
        elif batch_size is None and drop_last:
            raise ValueError("batch_size=None option disables auto-batching and is mutually "
                             "exclusive with drop_last")
        if sampler is None:
            if self._iterable:
                sampler = _InfiniteConstantSampler()
            elif shuffle:
                sampler = RandomSampler(dataset, generator=generator)
            else:
                sampler = SequentialSampler(dataset)
        if batch_size is not None and batch_sampler is None:
            batch_sampler = BatchSampler(sampler, batch_size, drop_last)
        self.batch_size, self.drop_last = batch_size, drop_last
        self.sampler, self.batch_sampler, self.generator = sampler, batch_sampler, generator
        if collate_fn is None:
            collate_fn = default_collate if batch_sampler is not None else default_convert
        self.collate_fn = collate_fn
        self.persistent_workers = persistent_workers
        self._iterable_len_called = None  # len(dataset) once len(loader) was asked (iterable)
        self._iterator = None
        self._initialized = True
        self.check_worker_number_rationality()

    @property
    def multiprocessing_context(self):
        return self._multiprocessing_context

    @multiprocessing_context.setter
    def multiprocessing_context(self, context):
        if context is not None:
            if self.num_workers <= 0:
                raise ValueError(f"multiprocessing_context can only be used with multi-process "
                                 f"loading (num_workers > 0), but got "
                                 f"num_workers={self.num_workers}")
            if isinstance(context, str):
                methods = multiprocessing.get_all_start_methods()
                if context not in methods:
                    raise ValueError(f"multiprocessing_context option should specify a valid "
                                     f"start method in {methods!r}, but got "
                                     f"multiprocessing_context={context!r}")
                context = multiprocessing.get_context(context)
            if not isinstance(context, multiprocessing.context.BaseContext):
                raise TypeError(f"multiprocessing_context option should be a valid context "
                                f"object or a string specifying the start method, but got "
                                f"multiprocessing_context={context}")
        self._multiprocessing_context = context

    def __setattr__(self, attr, val):
        if self._initialized and attr in ("batch_size", "batch_sampler", "sampler", "drop_last",
                                          "dataset", "persistent_workers"):
            raise ValueError(f"{attr} attribute should not be set after "
                             f"{type(self).__name__} is initialized")
        super().__setattr__(attr, val)

    @property
    def _auto_collation(self):
        return self.batch_sampler is not None

    @property
    def _index_sampler(self):
        return self.batch_sampler if self._auto_collation else self.sampler

    def _get_iterator(self):
        if self.num_workers == 0:
            return _SingleProcessDataLoaderIter(self)
        self.check_worker_number_rationality()
        return _MultiProcessingDataLoaderIter(self)

    def __iter__(self):
        if self.persistent_workers and self.num_workers > 0:
            if self._iterator is None:
                self._iterator = self._get_iterator()
            else:
                self._iterator._reset(self)
            return self._iterator
        return self._get_iterator()

    def __len__(self):
        if self._iterable:
            length = self._iterable_len_called = len(self.dataset)
            if self.batch_size is not None:
                length = (length // self.batch_size if self.drop_last
                          else -(-length // self.batch_size))
            return length
        return len(self._index_sampler)

    def check_worker_number_rationality(self):
        """Matches torch: warns when num_workers exceeds the CPUs this process may use."""
        if not self.num_workers:
            return
        affinity = hasattr(os, "sched_getaffinity")
        cpus = len(os.sched_getaffinity(0)) if affinity else os.cpu_count()
        if cpus is not None and self.num_workers <= cpus:
            return
        if cpus is None:
            suggestion = ("DataLoader is not able to compute a suggested max number of worker in "
                          "current system.")
        else:
            suggestion = (f"Our suggested max number of worker in current system is {cpus}"
                          f"{'' if affinity else ' (`cpuset` is not taken into account)'}, which "
                          f"is smaller than what this DataLoader is going to create.")
        warnings.warn(
            f"This DataLoader will create {self.num_workers} worker processes in total. "
            f"{suggestion} Please be aware that excessive worker creation might get DataLoader "
            "running slow or even freeze, lower the worker number to avoid potential "
            "slowness/freeze if necessary.", stacklevel=3)


class _BaseDataLoaderIter:
    def __init__(self, loader):
        self._dataset = loader.dataset
        self._iterable = loader._iterable
        self._auto_collation = loader._auto_collation
        self._drop_last = loader.drop_last
        self._index_sampler = loader._index_sampler
        self._num_workers = loader.num_workers
        self._timeout = loader.timeout
        self._collate_fn = loader.collate_fn
        self._len_called = loader._iterable_len_called
        if loader.pin_memory and loader.pin_memory_device:
            warnings.warn(f"pin_memory_device is deprecated, the current accelerator will be used "
                          f"as the device,ignore pin_memory_device='{loader.pin_memory_device}'.",
                          stacklevel=4)
        # pinning itself is a no-op: ember's CPU tensors are never page-locked (see DataLoader)
        self._pin_memory = loader.pin_memory and _cuda_available()
        if loader.pin_memory and not self._pin_memory:
            warnings.warn("'pin_memory' argument is set as true but no accelerator is found, "
                          "then device pinned memory won't be used.", stacklevel=4)
        self._sampler_iter = iter(self._index_sampler)
        self._base_seed = int(empty((), dtype=_dtype.int64).random_(
            generator=loader.generator).item())
        self._persistent_workers = loader.persistent_workers
        self._num_yielded = 0

    def __iter__(self):
        return self

    def _reset(self, loader, first_iter=False):
        self._sampler_iter = iter(self._index_sampler)
        self._num_yielded = 0
        self._len_called = loader._iterable_len_called

    def _next_index(self):
        return next(self._sampler_iter)

    def __next__(self):
        data = self._next_data()
        self._num_yielded += 1
        if self._len_called is not None and self._num_yielded > self._len_called:
            self._warn_length()
        return data

    def _warn_length(self):
        msg = (f"Length of IterableDataset {self._dataset} was reported to be {self._len_called}"
               f"(when accessing len(dataloader)), but {self._num_yielded} samples have been "
               f"fetched. ")
        if self._num_workers > 0:
            msg += ("For multiprocessing data-loading, this could be caused by not properly "
                    "configuring the IterableDataset replica at each worker. Please see "
                    "https://pytorch.org/docs/stable/data.html#torch.utils.data.IterableDataset "
                    "for examples.")
        warnings.warn(msg, stacklevel=3)

    def next(self):
        """The Python 2 spelling `iter(loader).next()` that old course notebooks use."""
        return self.__next__()

    def __len__(self):
        return len(self._index_sampler)

    def __getstate__(self):
        raise NotImplementedError("{} cannot be pickled", type(self).__name__)


def _cuda_available():
    from ... import cuda
    return cuda.is_available()


class _SingleProcessDataLoaderIter(_BaseDataLoaderIter):
    def __init__(self, loader):
        super().__init__(loader)
        if self._timeout != 0:
            raise AssertionError("_SingleProcessDataLoaderIter requires timeout == 0")
        self._fetcher = _worker._make_fetcher(self._iterable, self._dataset,
                                              self._auto_collation, self._collate_fn,
                                              self._drop_last)

    def _next_data(self):
        index = self._next_index()
        return self._fetcher.fetch(index)


class _MultiProcessingDataLoaderIter(_BaseDataLoaderIter):
    def __init__(self, loader):
        self._shutdown, self._workers = True, []  # nothing to shut down until workers start
        super().__init__(loader)
        self._prefetch_factor = loader.prefetch_factor
        self._in_order = loader.in_order
        if self._prefetch_factor <= 0:
            raise AssertionError("prefetch_factor must be greater than 0 for "
                                 "MultiProcessingDataLoaderIter")
        ctx = loader.multiprocessing_context
        if ctx is None:
            ctx = multiprocessing.get_context()
        self._shutdown = False
        self._result_queue = _worker._ResultQueue(ctx)
        self._done_event = ctx.Event()
        self._index_queues = []
        max_pending = self._prefetch_factor * self._num_workers
        for wid in range(self._num_workers):
            index_queue = ctx.Queue()
            index_queue.cancel_join_thread()
            w = ctx.Process(target=_worker._worker_loop, daemon=True, args=(
                self._iterable, self._dataset, index_queue, self._result_queue,
                self._done_event, self._auto_collation, self._collate_fn, self._drop_last,
                self._base_seed, loader.worker_init_fn, wid, self._num_workers, max_pending))
            try:
                w.start()
            except (TypeError, AttributeError, pickle.PicklingError):
                warnings.warn(_START_PICKLE_WARNING, stacklevel=4)
                raise
            self._index_queues.append(index_queue)
            self._workers.append(w)
        self._reset(loader, first_iter=True)

    def _reset(self, loader, first_iter=False):
        super()._reset(loader, first_iter)
        self._send_idx = self._rcvd_idx = 0
        self._task_info = {}  # task idx -> (worker id,) while pending, (worker id, data) when early
        self._tasks_outstanding = 0
        self._workers_status = [True] * self._num_workers
        self._workers_num_tasks = [0] * self._num_workers
        self._worker_cycle = itertools.cycle(range(self._num_workers))
        if not first_iter:
            for q in self._index_queues:
                q.put(_worker._ResumeIteration())
            acks = self._num_workers
            while acks:  # results of an abandoned epoch arrive first and are dropped
                idx, _ = self._get_data()
                acks -= isinstance(idx, _worker._ResumeIteration)
        for _ in range(self._prefetch_factor * self._num_workers):
            self._try_put_index()

    def _try_put_index(self):
        try:
            index = self._next_index()
        except StopIteration:
            return
        max_tasks = self._prefetch_factor * self._num_workers
        for _ in range(self._num_workers):  # the next active worker (with room, if unordered)
            wid = next(self._worker_cycle)
            if self._workers_status[wid] and (
                    self._in_order or
                    self._workers_num_tasks[wid] < max_tasks // sum(self._workers_status)):
                break
        else:
            return
        self._index_queues[wid].put((self._send_idx, index))
        self._task_info[self._send_idx] = (wid,)
        self._workers_num_tasks[wid] += 1
        self._tasks_outstanding += 1
        self._send_idx += 1

    def _try_get_data(self, timeout):
        """(True, (idx, data)), or (False, None) after `timeout` seconds (None: no limit).

        Waits on the result pipe and on the sentinels of the workers that still have work, so a
        worker that dies is noticed at once (torch: a SIGCHLD handler, else every 5 s)."""
        queue_ = self._result_queue
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            live = {self._workers[wid].sentinel: wid for wid in range(self._num_workers)
                    if self._workers_status[wid]}
            left = None if deadline is None else max(0.0, deadline - time.monotonic())
            ready = _mp_wait([queue_._reader, *live], left)
            if queue_._reader in ready:
                return True, queue_.get()
            dead = [live[s] for s in ready if s in live]
            if dead:
                self._workers_failed(dead)
            if deadline is not None and time.monotonic() >= deadline:
                return False, None

    def _workers_failed(self, wids):
        failed = [self._workers[wid] for wid in wids]
        for wid in wids:
            self._mark_worker_as_unavailable(wid)
        first = failed[0]
        first.join(_worker._STATUS_CHECK_INTERVAL)  # reaped, so its exit code is known
        code, cause = first.exitcode, None
        if code is not None and code < 0:
            cause = RuntimeError(f"DataLoader worker (pid {first.pid}) is killed by signal: "
                                 f"{_signal_name(-code)}. ")
        elif code:
            cause = RuntimeError(f"DataLoader worker (pid {first.pid}) exited unexpectedly with "
                                 f"exit code {code}. Details are lost due to multiprocessing. "
                                 f"Rerunning with num_workers=0 may give better error trace.")
        pids = ", ".join(str(w.pid) for w in failed)
        raise RuntimeError(f"DataLoader worker (pid(s) {pids}) exited unexpectedly") from cause

    def _get_data(self):
        if self._timeout > 0:
            ok, data = self._try_get_data(self._timeout)
            if not ok:
                raise RuntimeError(f"DataLoader timed out after {self._timeout} seconds")
            return data
        return self._try_get_data(None)[1]

    def _next_data(self):
        while True:
            while self._rcvd_idx < self._send_idx:  # skip tasks of workers that have stopped
                info = self._task_info.get(self._rcvd_idx)
                if info:
                    if len(info) == 2 or self._workers_status[info[0]]:
                        break
                    del self._task_info[self._rcvd_idx]
                self._rcvd_idx += 1
            else:
                if not self._persistent_workers:
                    self._shutdown_workers()
                raise StopIteration
            if len(self._task_info[self._rcvd_idx]) == 2:
                wid, data = self._task_info.pop(self._rcvd_idx)
                self._rcvd_idx += 1
                return self._process(data, wid)
            idx, data = self._get_data()
            self._tasks_outstanding -= 1
            if isinstance(data, _worker._IterableDatasetStopIteration):
                if self._persistent_workers:
                    self._workers_status[data.worker_id] = False
                else:
                    self._mark_worker_as_unavailable(data.worker_id)
                self._try_put_index()
                continue
            if idx == self._rcvd_idx:
                wid = self._task_info.pop(idx)[0]
                self._rcvd_idx += 1
                return self._process(data, wid)
            if not self._in_order:  # in_order=False: hand it out now
                return self._process(data, self._task_info.pop(idx)[0])
            self._task_info[idx] += (data,)

    def _process(self, data, wid):
        self._workers_num_tasks[wid] -= 1
        self._try_put_index()
        if isinstance(data, _worker._ExceptionWrapper):
            data.reraise()
        return data

    def _mark_worker_as_unavailable(self, wid):
        """The worker gets no more tasks this epoch and is told to exit."""
        self._index_queues[wid].put(None)
        self._workers_status[wid] = False

    def _shutdown_workers(self, wait=True):
        if self._shutdown:
            return
        self._shutdown = True
        self._done_event.set()
        for q in self._index_queues:
            q.put(None)
        for w in self._workers:
            if wait:
                w.join(timeout=_worker._STATUS_CHECK_INTERVAL)
            if wait and w.is_alive():
                w.terminate()
        for q in self._index_queues:
            q.close()
        self._result_queue.cancel_join_thread()
        self._result_queue.close()

    def __del__(self):
        # Garbage collection may run this on any thread, even a queue's feeder thread that
        # must run for the workers to see their None; off the main thread, only signal (the
        # workers also exit on their own once the done event is set).
        try:
            if getattr(self, "_workers", None):
                self._shutdown_workers(wait=threading.current_thread() is
                                       threading.main_thread())
        except Exception:  # interpreter shutdown: modules half torn down, workers are daemons
            pass


_START_PICKLE_WARNING = (
    "Got pickle error when attempting to start a worker Process. This might be because the "
    "worker Process arguments are not picklable. Python 3.14+ changed the multiprocessing start "
    "method in non-Mac POSIX platforms to 'forkserver', which requires the worker Process "
    "arguments to be picklable. You can also try multiprocessing.set_start_method('fork').")


def _signal_name(signum):
    """The C library's name for a signal ("Killed", "Segmentation fault"), as torch prints."""
    try:
        name = signal.strsignal(signum)
    except ValueError:
        name = None
    return name or f"Unknown signal: {signum}"
