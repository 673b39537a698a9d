"""torch.futures: Future (a value that arrives later, with callbacks), wait_all, collect_all.

ember runs everything on CPU in the calling thread, so a Future is completed by set_result /
set_exception from any thread and wait() blocks until then, as torch's."""

import threading
import traceback

__all__ = ["Future", "collect_all", "wait_all"]


class Future:
    """Matches torch.futures.Future (on CPU: `devices` must be None)."""

    def __init__(self, *, devices=None):
        if devices is not None:
            from ._device import device as _device
            for d in devices:
                d = _device(d)
                if d.index is None:
                    raise ValueError(f"Expected devices to have indices, got {d}")
            from ._args import unsupported
            unsupported("torch.futures.Future", "devices", devices)
        self._cond = threading.Condition()
        self._done = False
        self._value = None
        self._error = None
        self._callbacks = []
        self._drive = None  # completes the work behind this Future (a collective's Work.wait)

    def done(self):
        return self._done

    def wait(self):
        if not self._done and self._drive is not None:
            self._drive()
        with self._cond:
            while not self._done:
                self._cond.wait()
        if self._error is not None:
            raise self._error
        return self._value

    def value(self):
        if not self._done:
            raise RuntimeError('completed() INTERNAL ASSERT FAILED at "/__w/pytorch/pytorch/'
                               'aten/src/ATen/core/ivalue_inl.h":1016, please report a bug to '
                               'PyTorch. ')
        if self._error is not None:
            raise self._error
        return self._value

    def then(self, callback):
        """A new Future completed with callback(self) once this one completes."""
        fut = Future()
        fut._drive = self._drive

        def run(this):
            try:
                fut.set_result(callback(this))
            except Exception as e:
                fut.set_exception(RuntimeError(
                    f"Got the following error when running the callback: "
                    f"{type(e).__name__}: {e}\n\nAt:\n" + _frames(e)))
        self.add_done_callback(run)
        return fut

    def add_done_callback(self, callback):
        """Runs callback(self) when this completes (at once if it already has)."""
        with self._cond:
            if not self._done:
                self._callbacks.append(callback)
                return
        _call(callback, self)

    def _complete(self, value, error):
        with self._cond:
            if self._done:
                raise RuntimeError("Attempting to mark a completed Future as complete again. "
                                   "Note that a Future can only be marked completed once.")
            self._value, self._error, self._done = value, error, True
            callbacks, self._callbacks = self._callbacks, []
            self._cond.notify_all()
        for cb in callbacks:
            _call(cb, self)

    def set_result(self, result):
        self._complete(result, None)

    def set_exception(self, result):
        if not isinstance(result, Exception):
            raise AssertionError(f"{result} is of type {type(result)}, not an Exception.")
        self._complete(None, result)

    def __repr__(self):
        return f"<torch.Future object at {hex(id(self))}>"


Future.__module__ = "torch"


def _call(callback, fut):
    try:
        callback(fut)
    except Exception:  # torch logs a failing done-callback and carries on
        traceback.print_exc()


def _frames(e):
    return "".join(f"  {f.filename}({f.lineno}): {f.name}\n"
                   for f in reversed(traceback.extract_tb(e.__traceback__)))


def collect_all(futures):
    """A Future completed, with the list of `futures`, once all of them are."""
    futures = list(futures)
    out = Future()
    if not futures:
        out.set_result([])
        return out
    remaining = [len(futures)]
    lock = threading.Lock()

    def one_done(_):
        with lock:
            remaining[0] -= 1
            last = remaining[0] == 0
        if last:
            out.set_result(futures)
    for f in futures:
        f.add_done_callback(one_done)
    return out


def wait_all(futures):
    """The values of all `futures` (waiting for each); the first error is raised."""
    return [f.wait() for f in collect_all(futures).wait()]
