"""Grad mode: no_grad, enable_grad, set_grad_enabled, inference_mode.

The flag lives in one module-level list that `Function.apply` reads on every call; each manager
works as a context manager and as a decorator, as torch's do.
"""

import functools
import inspect
import sys

_enabled = [True]
_inference = [False]


def is_grad_enabled():
    return _enabled[0]


def is_inference_mode_enabled():
    return _inference[0]


class _Mode:
    _value = True

    def __enter__(self):
        self._prev = _enabled[0]
        _enabled[0] = self._value

    def __exit__(self, *exc):
        _enabled[0] = self._prev
        return False

    def __call__(self, fn):
        if inspect.isgeneratorfunction(fn):
            return _generator(fn, self.clone)

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with self.__class__.__new__(self.__class__)._clone(self):
                return fn(*args, **kwargs)
        return wrapper

    def _clone(self, other):
        self.__dict__.update(other.__dict__)
        return self

    def clone(self):
        return self.__class__.__new__(self.__class__)._clone(self)


def _generator(fn, mode):
    """A decorated generator function: the mode is on whenever the generator runs (each resume
    up to its next yield) and off while its caller runs, as torch's decorators do."""
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        gen = fn(*args, **kwargs)
        try:
            with mode():
                response = gen.send(None)
            while True:
                try:
                    request = yield response
                except GeneratorExit:
                    with mode():
                        gen.close()
                    raise
                except BaseException:
                    with mode():
                        response = gen.throw(*sys.exc_info())
                else:
                    with mode():
                        response = gen.send(request)
        except StopIteration as e:
            return e.value
    return wrapper


class no_grad(_Mode):
    """Matches torch.no_grad."""

    _value = False

    def __init__(self, orig_func=None):
        self._orig = orig_func

    def __new__(cls, orig_func=None):
        self = object.__new__(cls)
        if callable(orig_func):  # used as @no_grad without parentheses
            return self(orig_func)
        return self


class enable_grad(_Mode):
    """Matches torch.enable_grad."""

    _value = True

    def __new__(cls, orig_func=None):
        self = object.__new__(cls)
        if callable(orig_func):
            return self(orig_func)
        return self


class set_grad_enabled(_Mode):
    """Matches torch.set_grad_enabled: takes effect at once, and restores as a context manager."""

    def __init__(self, mode):
        self._prev = _enabled[0]
        self._value = bool(mode)
        _enabled[0] = self._value

    def __enter__(self):
        pass

    def __exit__(self, *exc):
        _enabled[0] = self._prev
        return False

    def __call__(self, fn):
        value = self._value
        _enabled[0] = self._prev

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            prev = _enabled[0]
            _enabled[0] = value
            try:
                return fn(*args, **kwargs)
            finally:
                _enabled[0] = prev
        return wrapper


class inference_mode(_Mode):
    """Matches torch.inference_mode (ember treats it as no_grad that also reports itself)."""

    def __new__(cls, mode=True):
        self = object.__new__(cls)
        if callable(mode):
            self._value, self._mode = False, True
            return self(mode)
        return self

    def __init__(self, mode=True):
        if callable(mode):
            return
        self._mode = bool(mode)

    def __enter__(self):
        self._prev = _enabled[0]
        self._prev_inf = _inference[0]
        _enabled[0] = not self._mode  # torch: inference mode off means grad mode on
        _inference[0] = self._mode

    def __exit__(self, *exc):
        _enabled[0] = self._prev
        _inference[0] = self._prev_inf
        return False
