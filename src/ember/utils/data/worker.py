"""What runs inside a DataLoader worker process: seeding, WorkerInfo, the fetchers and the loop.

A worker gets `(task_idx, indices)` from its own index queue, fetches and collates the batch and
puts `(task_idx, batch)` on the shared result queue; the main process puts results back in task
order. Seeding is torch's: the worker seed is `base_seed + worker_id` for `random`, ember's global
generator and, through torch's hash of (base_seed, worker_id), NumPy's legacy global state.
Exceptions travel back as `_ExceptionWrapper` and are re-raised in the main process with torch's
"Caught X in DataLoader worker process N" text. The wrapper holds only strings, so it always
pickles; a batch that cannot be pickled is replaced on the result queue by a wrapper of the
pickling error (torch's workers hang on both).
"""

import importlib
import multiprocessing.queues
import os
import queue
import random
import sys
import traceback

import numpy as np

from ... import random as _ember_random

__all__ = ["WorkerInfo", "get_worker_info"]

# how often (seconds) the main process, waiting for data, re-checks that workers are alive
_STATUS_CHECK_INTERVAL = 5.0
_WORKER_POLL_INTERVAL = 1.0  # an idle worker re-checks the done event and its parent this often


class WorkerInfo:
    """Matches torch.utils.data.WorkerInfo: id, num_workers, seed and dataset of this worker."""

    __slots__ = ("id", "num_workers", "seed", "dataset")

    def __init__(self, id, num_workers, seed, dataset):
        for name, value in (("id", id), ("num_workers", num_workers), ("seed", seed),
                            ("dataset", dataset)):
            object.__setattr__(self, name, value)

    def __setattr__(self, key, val):
        raise RuntimeError(f"Cannot assign attributes to {type(self).__name__} objects")

    def __repr__(self):
        return (f"WorkerInfo(id={self.id}, num_workers={self.num_workers}, seed={self.seed}, "
                f"dataset={self.dataset!r})")


_worker_info = None


def get_worker_info():
    """Matches torch.utils.data.get_worker_info: None in the main process."""
    return _worker_info


class _IterableDatasetStopIteration:
    """A worker's signal that its copy of an IterableDataset is exhausted."""

    def __init__(self, worker_id):
        self.worker_id = worker_id


class _ResumeIteration:
    """Sent to persistent workers at the start of each later epoch; echoed back as the ack."""


class _KeyErrorMessage(str):
    """A KeyError's message shown as written: KeyError's str() is the repr of its argument."""

    __slots__ = ()

    def __repr__(self):
        return self


class _ExceptionWrapper:
    """An exception raised in a worker, carried across the process boundary as text.

    Only strings travel: the exception's type is named by (module, qualname) for it and each of
    its bases, and the main process re-raises the first of those it can import (a class local to
    a function falls back to its nearest importable base), with torch's message.
    """

    def __init__(self, where, exc_info=None):
        exc_type, exc, tb = sys.exc_info() if exc_info is None else exc_info
        self.exc_name = exc_type.__name__
        self.exc_path = [(c.__module__, c.__qualname__) for c in exc_type.__mro__
                         if issubclass(c, BaseException)]
        self.exc_msg = "".join(traceback.format_exception(exc_type, exc, tb))
        self.where = where

    @property
    def exc_type(self):
        for module, qualname in self.exc_path:
            try:
                found = importlib.import_module(module)
                for part in qualname.split("."):
                    found = getattr(found, part)
            except Exception:
                continue
            if isinstance(found, type) and issubclass(found, BaseException):
                return found
        return RuntimeError

    def reraise(self):
        msg = f"Caught {self.exc_name} {self.where}.\nOriginal {self.exc_msg}"
        exc_type = self.exc_type
        if exc_type is KeyError:
            msg = _KeyErrorMessage(msg)
        elif getattr(exc_type, "message", None):
            raise exc_type(message=msg)
        try:
            exception = exc_type(msg)
        except Exception:
            raise RuntimeError(msg) from None
        raise exception


class _ResultQueue(multiprocessing.queues.Queue):
    """The workers' shared result queue.

    A multiprocessing queue pickles in a background feeder thread; when that fails, the stock
    queue prints the error and drops the item, and the main process waits for it forever. Here
    a worker's failed `(task_idx, batch)` is replaced, at the front of what is still to send, by
    an `_ExceptionWrapper` of the pickling error naming the worker and the dataset indices.
    """

    _sender = None  # in a worker: (worker_id, iterable, {task_idx: indices} of recent tasks)

    def __init__(self, ctx):
        super().__init__(ctx=ctx)

    def _on_queue_feeder_error(self, e, obj):
        sender = self._sender
        if sender is None or not (isinstance(obj, tuple) and len(obj) == 2):
            super()._on_queue_feeder_error(e, obj)
            return
        worker_id, iterable, recent = sender
        idx = obj[0]
        where = f"in DataLoader worker process {worker_id} while pickling "
        if iterable:
            where += f"batch {idx} of the DataLoader (from its IterableDataset) for the main "
            where += "process"
        elif isinstance(recent.get(idx), list):
            where += f"the batch of dataset indices {recent.get(idx)} for the main process"
        else:
            where += f"the sample of dataset index {recent.get(idx)!r} for the main process"
        try:
            wrapper = _ExceptionWrapper(where, (type(e), e, e.__traceback__))
        except Exception:  # the feeder thread must live on: fall back to printing the error
            super()._on_queue_feeder_error(e, obj)
            return
        # sent next, ahead of anything the worker put after the failed batch (an epoch's ack)
        self._sem.acquire()
        with self._notempty:
            self._buffer.appendleft((idx, wrapper))
            self._notempty.notify()


def _numpy_seed(base_seed, worker_id):
    """torch's 4-word seed for NumPy's global RandomState in a worker: a SeedSequence-style
    hash-and-mix of (worker_id, base_seed low, base_seed high, 0), 32-bit arithmetic."""
    mask = 0xFFFFFFFF
    const_a = [0x43B0D7E5]

    def hash32(value, const, step):
        value = (value ^ const[0]) & mask
        const[0] = (const[0] * step) & mask
        value = (value * const[0]) & mask
        return (value ^ (value >> 16)) & mask

    def mix(x, y):
        r = ((0xCA01F9DD * x) - (0x4973F715 * y)) & mask
        return (r ^ (r >> 16)) & mask

    pool = [hash32(v, const_a, 0x931E8875) for v in (worker_id, base_seed & mask, base_seed >> 32,
                                                  0)]
    for src in range(4):
        for dst in range(4):
            if src != dst:
                pool[dst] = mix(pool[dst], hash32(pool[src], const_a, 0x931E8875))
    out_const = [0x8B51F9DD]
    return [hash32(v, out_const, 0x58F38DED) for v in pool]


def _seed_worker(base_seed, worker_id):
    seed = base_seed + worker_id
    random.seed(seed)
    _ember_random.manual_seed(seed)
    np.random.seed(_numpy_seed(base_seed, worker_id))
    return seed


# ---- fetchers: turn the sampler's indices into one collated batch --------------------------------

class _MapFetcher:
    def __init__(self, dataset, auto_collation, collate_fn, drop_last):
        self.dataset, self.auto_collation = dataset, auto_collation
        self.collate_fn, self.drop_last = collate_fn, drop_last

    def fetch(self, index):
        if not self.auto_collation:
            return self.collate_fn(self.dataset[index])
        getitems = getattr(self.dataset, "__getitems__", None)
        data = getitems(index) if getitems else [self.dataset[i] for i in index]
        return self.collate_fn(data)


class _IterableFetcher:
    def __init__(self, dataset, auto_collation, collate_fn, drop_last):
        self.iterator = iter(dataset)
        self.auto_collation = auto_collation
        self.collate_fn, self.drop_last = collate_fn, drop_last
        self.ended = False

    def fetch(self, index):
        if self.ended:
            raise StopIteration
        if not self.auto_collation:
            return self.collate_fn(next(self.iterator))
        data = []
        for _ in index:
            try:
                data.append(next(self.iterator))
            except StopIteration:
                self.ended = True
                break
        if not data or (self.drop_last and len(data) < len(index)):
            raise StopIteration
        return self.collate_fn(data)


def _make_fetcher(iterable, dataset, auto_collation, collate_fn, drop_last):
    kind = _IterableFetcher if iterable else _MapFetcher
    return kind(dataset, auto_collation, collate_fn, drop_last)


# ---- the worker process --------------------------------------------------------------------------

def _worker_loop(iterable, dataset, index_queue, data_queue, done_event, auto_collation,
                 collate_fn, drop_last, base_seed, init_fn, worker_id, num_workers, max_pending):
    """`max_pending`: the most tasks the main process has outstanding, hence the most results
    that can wait in this worker's feeder thread (their indices are kept for error messages)."""
    global _worker_info
    recent = {}
    if isinstance(data_queue, _ResultQueue):
        data_queue._sender = (worker_id, iterable, recent)
    try:
        seed = _seed_worker(base_seed, worker_id)
        _worker_info = WorkerInfo(worker_id, num_workers, seed, dataset)
        where = f"in DataLoader worker process {worker_id}"
        init_error, fetcher = None, None
        try:
            if init_fn is not None:
                init_fn(worker_id)
            fetcher = _make_fetcher(iterable, dataset, auto_collation, collate_fn, drop_last)
        except Exception:
            init_error = _ExceptionWrapper(where)
        ended = False
        parent = os.getppid()
        while os.getppid() == parent:
            try:
                task = index_queue.get(timeout=_WORKER_POLL_INTERVAL)
            except queue.Empty:
                if done_event.is_set():
                    break
                continue
            if isinstance(task, _ResumeIteration):
                data_queue.put((task, None))
                ended = False
                fetcher = _make_fetcher(iterable, dataset, auto_collation, collate_fn, drop_last)
                continue
            if task is None:  # shutdown
                break
            if done_event.is_set() or ended:
                continue
            idx, index = task
            recent[idx] = index
            if len(recent) > max_pending:
                del recent[next(iter(recent))]
            if init_error is not None:
                data, init_error = init_error, None
            else:
                data, ended = _fetch(fetcher, index, iterable, worker_id, where)
            data_queue.put((idx, data))
            del data, task
    except KeyboardInterrupt:
        pass
    if done_event.is_set():
        data_queue.cancel_join_thread()
        data_queue.close()


def _fetch(fetcher, index, iterable, worker_id, where):
    """One task's result and whether this worker's iterable stream has ended."""
    try:
        return fetcher.fetch(index), False
    except StopIteration:
        if iterable:
            return _IterableDatasetStopIteration(worker_id), True
        return _ExceptionWrapper(where), False
    except Exception:
        return _ExceptionWrapper(where), False
