"""DataLoader worker faults: killed workers, unpicklable exceptions and results, torch's
re-raised worker tracebacks, and the parameters torch validates (issue 12).

A fault that used to hang runs under `deadline`, which interrupts the wait and fails the test.
"""

import contextlib
import os
import re
import signal
import threading
import time
import warnings

import numpy as np
import pytest

import ember
import ember.utils.data as ed
from oracle import check_error, requires_torch, torch

if torch is not None:
    import torch.utils.data as td


class Hung(BaseException):
    """Raised by `deadline`; a BaseException, so no `except Exception` in the code under test
    (or `_caught`) swallows it."""


@contextlib.contextmanager
def deadline(seconds):
    """Fails (Hung) instead of hanging when the block takes longer than `seconds`."""
    def fire(signum, frame):
        raise Hung(f"hung: nothing within {seconds} s")
    previous = signal.signal(signal.SIGALRM, fire)
    signal.setitimer(signal.ITIMER_REAL, seconds, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


class Faulty:
    """Samples 0..3; sample 1 misbehaves in the way `mode` names (inside a worker)."""

    def __init__(self, mode):
        self.mode = mode

    def __len__(self):
        return 4

    def __getitem__(self, i):
        if i != 1:
            return i
        if self.mode == "kill":
            os.kill(os.getpid(), signal.SIGKILL)
        if self.mode == "exit":
            os._exit(3)
        if self.mode == "local_exception":
            class LocalError(ValueError):
                pass
            raise LocalError("local boom")
        if self.mode == "unpicklable_result":
            return lambda: i
        if self.mode == "unpicklable_exception_args":
            raise ValueError("holds a lock", threading.Lock())
        if self.mode == "key":
            raise KeyError("k")
        if self.mode == "message":
            raise MessageError(message="has a message attribute")
        if self.mode == "two_args":
            raise TwoArgError(1, 2)
        raise ValueError("bad sample 1")


class MessageError(Exception):
    message = "class attribute"

    def __init__(self, message):
        super().__init__(message)


class TwoArgError(Exception):
    def __init__(self, a, b):
        super().__init__(a, b)


def _load(lib_data, mode, **kw):
    kw.setdefault("num_workers", 2)
    return lib_data.DataLoader(Faulty(mode), **kw)


def _caught(fn):
    """The exception fn raises, its tracebacks dropped: the loader iterator they hold is freed
    now, on this thread (a garbage-collected torch iterator waits 5 s per worker when the
    collection happens to run on one of its queue threads)."""
    try:
        fn()
    except Exception as e:
        err = e
    else:
        raise AssertionError("no exception")
    link = err
    while link is not None:
        link.__traceback__ = None
        link = link.__cause__ or link.__context__
    return err


def _no_pids(text):
    return re.sub(r"pid(\(s\))? \d+", r"pid\1 N", text)


# ---- a worker that dies is noticed at once, with torch's error -----------------------------------

@pytest.mark.parametrize("mode", ["kill", "exit"])
def test_dead_worker_is_noticed_at_once(mode):
    with deadline(10):
        it = iter(_load(ed, mode))
        start = time.monotonic()
        err = _caught(lambda: list(it))
    assert time.monotonic() - start < 2.0  # was 5 s: liveness was only checked on a timeout
    assert type(err) is RuntimeError
    assert re.fullmatch(r"DataLoader worker \(pid\(s\) \d+\) exited unexpectedly", str(err))
    if torch is not None:
        theirs = _caught(lambda: list(_load(td, mode)))
        assert type(err) is type(theirs)
        if "pid(s)" not in str(theirs):
            # torch's SIGCHLD handler can fire outside its result wait and raise its own error
            # unwrapped; that error is the one ember chains as the cause
            assert _no_pids(str(err.__cause__)) == _no_pids(str(theirs))
            return
        assert _no_pids(str(err)) == _no_pids(str(theirs))
        assert type(err.__cause__) is type(theirs.__cause__)
        assert _no_pids(str(err.__cause__)) == _no_pids(str(theirs.__cause__))


def test_dead_worker_with_timeout_is_noticed_at_once():
    with deadline(10):
        it = iter(_load(ed, "kill", timeout=30))
        start = time.monotonic()
        err = _caught(lambda: list(it))
    assert time.monotonic() - start < 2.0
    assert "exited unexpectedly" in str(err)


# ---- what cannot be pickled comes back as an error naming the worker and index ---------------

def test_exception_of_a_local_class_is_reraised():
    with deadline(10):
        err = _caught(lambda: list(_load(ed, "local_exception")))
    # the class cannot be pickled, so its nearest importable base is raised
    assert type(err) is ValueError
    text = str(err)
    assert text.startswith("Caught LocalError in DataLoader worker process 1.\n"
                           "Original Traceback (most recent call last):\n")
    assert text.endswith("LocalError: local boom\n")


def test_exception_with_unpicklable_args_is_reraised():
    with deadline(10):
        err = _caught(lambda: list(_load(ed, "unpicklable_exception_args")))
    assert type(err) is ValueError
    assert str(err).startswith("Caught ValueError in DataLoader worker process 1.\n")
    if torch is not None:  # torch pickles only the class, so it agrees here
        theirs = _caught(lambda: list(_load(td, "unpicklable_exception_args")))
        last = [re.sub(r"0x[0-9a-f]+", "", str(e).splitlines()[-1]) for e in (err, theirs)]
        assert last[0] == last[1]


@pytest.mark.parametrize("batch_size", [None, 2])
def test_unpicklable_result_is_an_error_not_a_hang(batch_size):
    loader = _load(ed, "unpicklable_result", batch_size=batch_size,
                   collate_fn=(lambda batch: batch) if batch_size else None)
    with deadline(10):
        it = iter(loader)
        if batch_size is None:
            assert next(it) == 0
        err = _caught(lambda: next(it))
        rest = list(it)  # the loader goes on after the bad batch, as after any worker error
    worker, what = ((1, "the sample of dataset index 1") if batch_size is None
                    else (0, "the batch of dataset indices [0, 1]"))
    assert str(err).startswith(f"Caught AttributeError in DataLoader worker process {worker} "
                               f"while pickling {what} for the main process.\n"
                               f"Original Traceback (most recent call last):\n")
    assert "Can't pickle local object" in str(err)
    assert rest == ([2, 3] if batch_size is None else [[2, 3]])


# ---- re-raised worker exceptions read as torch's -----------------------------------------------

@pytest.mark.parametrize("mode", ["value", "key", "message", "two_args"])
def test_reraised_worker_exception_matches_torch(mode):
    mine = _caught(lambda: list(_load(ed, mode)))
    lines = str(mine).splitlines()
    assert lines[1] == "Original Traceback (most recent call last):"
    assert lines[2].startswith("  File ")
    if torch is None:
        return
    theirs = _caught(lambda: list(_load(td, mode)))
    assert type(mine) is type(theirs)
    want = str(theirs).splitlines()
    assert lines[:2] == want[:2] and lines[-1] == want[-1]
    assert repr(mine).startswith(type(mine).__name__ + "(")
    if mode == "key":  # KeyError's str() is the repr of its argument: not for this message
        assert str(mine) == str(mine.args[0]) and "\n" in str(mine)


# ---- parameters --------------------------------------------------------------------------------

class Sleepy:
    """Sample 0 takes 1 s, the others none."""

    def __len__(self):
        return 6

    def __getitem__(self, i):
        if i == 0:
            time.sleep(1.0)
        return i


@pytest.mark.parametrize("in_order", [True, False])
def test_in_order(in_order):
    def run(d):
        loader = d.DataLoader(Sleepy(), batch_size=None, num_workers=2, in_order=in_order)
        return [int(b) for b in loader]
    with deadline(20):
        mine = run(ed)
    assert sorted(mine) == list(range(6))
    assert (mine == list(range(6))) is in_order
    if torch is not None and not in_order:
        assert mine[0] == run(td)[0] == 1


def test_timeout_raises_torch_error():
    with deadline(10):
        err = _caught(lambda: next(iter(ed.DataLoader(Sleepy(), num_workers=1, timeout=0.2))))
    assert type(err) is RuntimeError and str(err) == "DataLoader timed out after 0.2 seconds"


def _warnings(fn):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = fn()
    return result, [str(w.message) for w in caught if issubclass(w.category, UserWarning)]


@requires_torch
def test_pin_memory_device_warns_like_torch():
    def run(d):
        loader = d.DataLoader(range(3), pin_memory=True, pin_memory_device="cuda")
        batches, said = _warnings(lambda: [int(b) for b in loader])
        return batches, [re.sub(r"at 0x[0-9a-f]+", "", m) for m in said]
    if ember.cuda.is_available() or torch.cuda.is_available():
        pytest.skip("the no-accelerator warning depends on the machine")
    assert run(ed) == run(td)


class Stream:
    """Yields 0..4 but claims a length of 3."""

    def __iter__(self):
        return iter(range(5))

    def __len__(self):
        return 3


class EmberStream(Stream, ed.IterableDataset):
    def __repr__(self):
        return "Stream"


if torch is not None:
    class TorchStream(Stream, td.IterableDataset):
        def __repr__(self):
            return "Stream"


@requires_torch
@pytest.mark.parametrize("batch_size", [None, 2])
def test_iterable_length_warning_matches_torch(batch_size):
    def run(d, cls):
        loader = d.DataLoader(cls(), batch_size=batch_size)
        n = len(loader)
        out, said = _warnings(lambda: [np.asarray(b).tolist() for b in loader])
        return n, out, said
    assert run(ed, EmberStream) == run(td, TorchStream)


BAD_ARGS = [
    lambda d, lib: d.DataLoader(range(3), multiprocessing_context="fork"),
    lambda d, lib: d.DataLoader(range(3), num_workers=1, multiprocessing_context="bogus"),
    lambda d, lib: d.DataLoader(range(3), num_workers=1, multiprocessing_context=3),
    lambda d, lib: setattr(d.DataLoader(range(3)), "multiprocessing_context", "spawn"),
    lambda d, lib: iter(d.DataLoader(range(3), timeout=2)),
    lambda d, lib: iter(d.DataLoader(range(3), num_workers=1, prefetch_factor=0)),
    lambda d, lib: d.DataLoader(range(3), prefetch_factor=-1, num_workers=1),
    lambda d, lib: d.DataLoader(range(3), batch_size=2, drop_last=1),
    lambda d, lib: d.DataLoader(range(3), batch_sampler=[[0]], drop_last=True),
    lambda d, lib: d.DataLoader(range(3), batch_sampler=[[0]], sampler=[0]),
    lambda d, lib: d.Sampler(range(3)),
]


@requires_torch
@pytest.mark.parametrize("make", BAD_ARGS)
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")  # torch's __del__
def test_parameter_errors_match_torch(make):
    check_error(lambda lib: make(lib.utils.data, lib))


@requires_torch
def test_valid_parameters_match_torch():
    def run(d):
        spawn = d.DataLoader(range(3), num_workers=1, multiprocessing_context="spawn")
        plain = d.DataLoader(range(3), shuffle=[], sampler=[2, 0])  # falsy shuffle is fine
        return type(spawn.multiprocessing_context).__name__, [int(b) for b in plain]
    assert run(ed) == run(td)


@requires_torch
def test_unpicklable_worker_arguments_warn_and_raise_like_torch():
    def run(d):
        loader = d.DataLoader(range(3), num_workers=1, collate_fn=lambda b: b,
                              multiprocessing_context="spawn")
        err, said = _warnings(lambda: _caught(lambda: iter(loader)))
        return type(err).__name__, re.sub(r"0x[0-9a-f]+", "", str(err)), said
    with deadline(20):
        assert run(ed) == run(td)


def test_multiprocessing_context_is_used():
    loader = ed.DataLoader(range(4), batch_size=2, num_workers=1, multiprocessing_context="fork")
    with deadline(20):
        assert [b.tolist() for b in loader] == [[0, 1], [2, 3]]
