"""ember.mps: torch.mps as a build without Apple's Metal backend has it (ember has no MPS).

Queries answer "no device" (`device_count()` 0, `is_available()` False), `manual_seed` is the
no-op torch's global seeding relies on, and every call that needs the device raises torch's
RuntimeError naming the backend function it would have run.
"""

import contextlib

from ._compat import module_getattr as _module_getattr

__all__ = ["compile_shader", "load_metallib", "device_count", "get_rng_state", "manual_seed",
           "seed", "set_rng_state", "synchronize", "empty_cache",
           "set_per_process_memory_fraction", "current_allocated_memory",
           "driver_allocated_memory", "Event", "profiler", "recommended_max_memory",
           "is_available"]
__getattr__ = _module_getattr(__name__)


def _no_backend(what):
    return RuntimeError(f"Cannot execute {what}() without MPS backend.")


def is_available():
    return False


def device_count():
    return 0


def manual_seed(seed):
    """torch.manual_seed calls this for every backend; without MPS it returns at once, before
    reading `seed` (torch does not even convert it)."""


def seed():
    raise _no_backend("getDefaultGenerator")


def get_rng_state(device="mps"):
    raise _no_backend("getDefaultGenerator")


def set_rng_state(new_state, device="mps"):
    raise _no_backend("getDefaultGenerator")


def synchronize():
    raise _no_backend("deviceSynchronize")


def empty_cache():
    raise _no_backend("emptyCache")


def set_per_process_memory_fraction(fraction):
    if not isinstance(fraction, float):
        raise TypeError("Invalid type for fraction argument, must be `float`")
    if fraction < 0 or fraction > 2:
        raise ValueError(f"Invalid fraction value: {fraction}. Allowed range: 0~2")
    raise _no_backend("setMemoryFraction")


def current_allocated_memory():
    raise _no_backend("getCurrentAllocatedMemory")


def driver_allocated_memory():
    raise _no_backend("getDriverAllocatedMemory")


def recommended_max_memory():
    raise _no_backend("getRecommendedMaxMemory")


def compile_shader(source):
    raise RuntimeError("MPS is not available")


def load_metallib(source):
    raise RuntimeError("MPS is not available")


class Event:
    """torch.mps.Event: acquiring one needs the MPS backend."""

    def __init__(self, enable_timing=False):
        raise _no_backend("acquireEvent")


Event.__module__ = "torch.mps.event"


class _Profiler:
    """torch.mps.profiler: every call needs the MPS backend."""

    @staticmethod
    def start(mode="interval", wait_until_completed=False):
        raise _no_backend("profilerStartTrace")

    @staticmethod
    def stop():
        raise _no_backend("profilerStopTrace")

    @staticmethod
    @contextlib.contextmanager
    def profile(mode="interval", wait_until_completed=False):
        try:
            _Profiler.start(mode, wait_until_completed)
            yield
        finally:
            _Profiler.stop()

    @staticmethod
    def is_metal_capture_enabled():
        raise AttributeError("module 'torch._C' has no attribute '_mps_isCaptureEnabled'")

    @staticmethod
    def is_capturing_metal():
        raise AttributeError("module 'torch._C' has no attribute '_mps_isCapturing'")

    @staticmethod
    @contextlib.contextmanager
    def metal_capture(fname):
        _Profiler.is_metal_capture_enabled()
        yield


profiler = _Profiler()
