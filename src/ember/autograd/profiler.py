"""torch.autograd.profiler: `profile`, `record_function`, `emit_nvtx` and the result types;
they live in ember.profiler._legacy (ember.profiler's docstring has the design)."""

from ..profiler._events import (  # noqa: F401
    DeviceType,
    EventList,
    FunctionEvent,
    FunctionEventAvg,
    Interval,
)
from ..profiler._legacy import emit_nvtx, profile, record_function

__all__ = ["profile", "record_function", "emit_nvtx", "EventList", "FunctionEvent",
           "FunctionEventAvg"]
