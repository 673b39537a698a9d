"""Anomaly detection: a backward that produces NaN names the op that did it."""

from . import engine


def is_anomaly_enabled():
    return engine._anomaly[0]


def is_anomaly_check_nan_enabled():
    return engine._anomaly[1]


class set_detect_anomaly:
    """Matches torch.autograd.set_detect_anomaly (a function and a context manager)."""

    def __init__(self, mode, check_nan=True):
        self._prev = list(engine._anomaly)
        engine._anomaly[:] = [bool(mode), bool(check_nan)]

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        engine._anomaly[:] = self._prev
        return False


class detect_anomaly:
    """Matches torch.autograd.detect_anomaly."""

    def __init__(self, check_nan=True):
        self.check_nan = check_nan

    def __enter__(self):
        self._prev = list(engine._anomaly)
        engine._anomaly[:] = [True, self.check_nan]
        return self

    def __exit__(self, *exc):
        engine._anomaly[:] = self._prev
        return False

    def __call__(self, fn):
        import functools

        @functools.wraps(fn)
        def wrapper(*a, **k):
            with detect_anomaly(self.check_nan):
                return fn(*a, **k)
        return wrapper
