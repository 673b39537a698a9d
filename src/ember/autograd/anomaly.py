"""Anomaly detection: nodes remember the forward stack that made them, and a backward that
fails or produces NaN warns with that stack and names the op. The flags live in
`function._anomaly` ([enabled, check_nan]), which `_record` and the engine read."""

import warnings

from .function import _anomaly

_ENABLED_WARNING = ("Anomaly Detection has been enabled. This mode will increase the runtime and "
                    "should only be enabled for debugging.")


def is_anomaly_enabled():
    return _anomaly[0]


def is_anomaly_check_nan_enabled():
    return _anomaly[1]


class set_detect_anomaly:
    """Matches torch.autograd.set_detect_anomaly: takes effect at once; restores as a context
    manager."""

    def __init__(self, mode, check_nan=True):
        self._prev = list(_anomaly)
        _anomaly[:] = [bool(mode), bool(check_nan)]

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        _anomaly[:] = self._prev
        return False


class detect_anomaly:
    """Matches torch.autograd.detect_anomaly."""

    def __init__(self, check_nan=True):
        self.check_nan = check_nan

    def __enter__(self):
        warnings.warn(_ENABLED_WARNING, UserWarning, stacklevel=2)
        self._prev = list(_anomaly)
        _anomaly[:] = [True, bool(self.check_nan)]
        return self

    def __exit__(self, *exc):
        _anomaly[:] = self._prev
        return False
