"""torch.autograd.profiler's contents, re-exported there: `profile` (the profiler the others
build on), `record_function`, `emit_nvtx`.

`profile` records ember's operators under torch's aten names, backward nodes and
record_function ranges, with real times; ember.profiler documents how (the hooks exist only
while a profile records, so an unprofiled op runs exactly the unwrapped code).
"""

import functools
import uuid
import warnings

from .._args import unsupported
from . import _record
from ._events import EventList, FunctionEvent
from ._pytrace import _through
from ._trace import write_chrome_trace

__all__ = ["profile", "record_function", "emit_nvtx"]

_API = "torch.autograd.profiler.profile"


class profile:
    """Records the operators run inside it; results via `key_averages()`, `table()`,
    `function_events`, `export_chrome_trace(path)`."""

    def __init__(self, enabled=True, *, use_cuda=False, use_device=None, record_shapes=False,
                 with_flops=False, profile_memory=False, with_stack=False, with_modules=False,
                 use_kineto=False, use_cpu=True, experimental_config=None, acc_events=False,
                 custom_trace_id_callback=None, post_processing_timeout_s=None,
                 activity_filters=None):
        self.enabled = enabled
        if not enabled:
            return
        # with_modules: torch records module hierarchy for TorchScript only; eager code (all of
        # ember's) profiles the same with it, as torch's
        for arg, value in (("experimental_config", experimental_config),
                           ("post_processing_timeout_s", post_processing_timeout_s),
                           ("activity_filters", activity_filters)):
            if value is not None:
                unsupported(_API, arg, value)
        self.use_cuda = use_cuda
        if use_cuda:
            warnings.warn("The attribute `use_cuda` will be deprecated soon, please use "
                          "``use_device = 'cuda'`` instead.", FutureWarning, stacklevel=2)
            use_device = "cuda"
        self.use_cpu = use_cpu
        self.use_kineto = use_kineto  # one recorder serves both of torch's back ends
        if not use_cpu and not use_kineto:
            raise AssertionError(
                "Device-only events supported only with Kineto (use_kineto=True)")
        use_device = _device_to_profile(use_device)
        if use_device is None:
            self.use_cuda = False
        if not use_cpu:  # no device is left to record
            raise AssertionError("No activities specified for the profiler")
        self.use_device = use_device
        self.record_shapes = record_shapes
        self.with_flops = with_flops
        self.profile_memory = profile_memory
        self.with_stack = with_stack
        self.with_modules = with_modules
        self.acc_events = acc_events
        self.entered = False
        self._collector = None
        self._records = []
        self._function_events = None
        self._metadata = {}  # top-level trace keys -> JSON text
        self.custom_trace_id_callback = custom_trace_id_callback
        self.trace_id = ""

    # -------------------------------------------------------------- recording
    def __enter__(self):
        if not self.enabled:
            return None
        if self.entered:
            raise RuntimeError("Profiler context manager is not reentrant")
        self._prepare_trace()
        self._start_trace()
        return self

    def _prepare_trace(self):
        self.entered = True
        self.trace_id = self.create_trace_id()

    def default_trace_id(self):
        return f"{uuid.uuid4().int:032X}"

    def create_trace_id(self):
        if self.custom_trace_id_callback:
            return self.custom_trace_id_callback()
        return self.default_trace_id()

    def _start_trace(self):
        self.entered = True
        self._collector = _record.Collector()
        _record.start_session(self._collector, self.record_shapes, self.profile_memory,
                              self.with_flops, self.with_stack)

    def __exit__(self, exc_type, exc_val, exc_tb):
        if not self.enabled:
            return False
        coll = self._collector
        if coll is not None:
            _record.stop_session(coll)
            self._collector = None
            if not self.acc_events:
                self._records = []
            self._records.extend(coll)
            self._function_events = self._build_events()
        return False

    def _build_events(self):
        recs = sorted(self._records, key=lambda r: (r.start, -r.end))
        events = EventList(use_device=self.use_device, profile_memory=self.profile_memory,
                           with_flops=self.with_flops)
        by_rec = {}
        for i, r in enumerate(recs):
            name = "ProfilerStep*" if r.name.startswith("ProfilerStep#") else r.name
            e = FunctionEvent(
                id=i, name=name, trace_name=r.name, thread=r.tid, start_us=r.start / 1000.0,
                end_us=r.end / 1000.0,
                input_shapes=(r.shapes if r.shapes is not None else []) if self.record_shapes
                else [], scope=r.scope, cpu_memory_usage=r.mem if self.profile_memory else 0,
                flops=r.flops if self.with_flops else 0, is_user_annotation=r.user,
                use_device=self.use_device)
            by_rec[id(r)] = e
            events.append(e)
        for r in recs:
            parent = by_rec.get(id(r.parent)) if r.parent is not None else None
            if parent is not None:
                child = by_rec[id(r)]
                child.set_cpu_parent(parent)
                parent.append_cpu_child(child)
        events._tree_built = True
        return events

    # -------------------------------------------------------------- results
    def _events_or_empty(self):
        if self._function_events is None:
            return EventList(use_device=self.use_device, profile_memory=self.profile_memory,
                             with_flops=self.with_flops)
        return self._function_events

    @property
    def function_events(self):
        return self._function_events

    def __repr__(self):
        if self._function_events is None:
            return "<unfinished torch.autograd.profile>"
        return repr(self._function_events)

    def __str__(self):
        if self._function_events is None:
            return "<unfinished torch.autograd.profile>"
        return str(self._function_events)

    def table(self, sort_by=None, row_limit=100, max_src_column_width=75,
              max_name_column_width=55, max_shapes_column_width=80, header=None,
              top_level_events_only=False, time_unit=None):
        return self._events_or_empty().table(
            sort_by=sort_by, row_limit=row_limit, max_src_column_width=max_src_column_width,
            max_name_column_width=max_name_column_width,
            max_shapes_column_width=max_shapes_column_width, header=header,
            top_level_events_only=top_level_events_only, time_unit=time_unit)

    def key_averages(self, group_by_input_shape=False, group_by_stack_n=0,
                     group_by_overload_name=False):
        return self._events_or_empty().key_averages(group_by_input_shape, group_by_stack_n,
                                                    group_by_overload_name)

    def total_average(self):
        if self._function_events is None:
            raise AssertionError("Expected profiling results")
        return self._function_events.total_average()

    @property
    def self_cpu_time_total(self):
        if self._function_events is None:
            return 0
        return self._function_events.self_cpu_time_total

    def export_chrome_trace(self, path, metadata=None, use_python_export=False):
        _ = use_python_export  # picks which of torch's writers runs; both write this JSON
        write_chrome_trace(self._events_or_empty(), str(path), self.record_shapes,
                           {**self._metadata, **(metadata or {})}, self.trace_id)

    def export_stacks(self, path, metric="self_cpu_time_total"):
        return self._events_or_empty().export_stacks(path, metric)


def _device_to_profile(use_device):
    """torch's checks of `use_device` on a machine without that device: a warning, then CPU
    only. A device ember does have (CUDA through CuPy) is refused: its kernels are not timed."""
    if use_device is None:
        return None
    if use_device not in ("cuda", "xpu", "mtia", "hpu"):
        warnings.warn(f"The {use_device} is not a valid device option.", stacklevel=3)
        return None
    if use_device == "cuda":
        from .. import cuda
        if cuda.is_available():
            unsupported(_API, "use_device", use_device)
        warnings.warn("CUDA is not available, disabling CUDA profiling", stacklevel=3)
        return None
    if use_device == "mtia":
        raise AssertionError("Legacy MTIA profiling is not supported. Requires use_kineto=True "
                             "on MTIA devices.")
    warnings.warn(f"{use_device.upper()} is not available, disabling {use_device.upper()} "
                  "profiling", stacklevel=3)
    return None


class record_function:
    """A named range that shows as its own row, its total time spanning what runs inside it.
    A context manager and a decorator; outside a profiler it records nothing."""

    def __init__(self, name, args=None):
        if args is not None:
            unsupported("torch.autograd.profiler.record_function", "args", args)
        self.name = name
        self.args = args
        self.run_callbacks_on_exit = True
        self.record = None

    def __enter__(self):
        self.record = _record.begin(self.name, user=True) if _record.is_recording() else None
        return self

    def __exit__(self, exc_type, exc_value, traceback):
        if self.run_callbacks_on_exit and self.record is not None:
            _record.end(self.record)
            self.record = None
        return False

    def __call__(self, func):
        @functools.wraps(func)
        def wrapped(*args, **kwargs):
            with self.__class__(self.name, self.args):
                return func(*args, **kwargs)
        _through.add(wrapped.__code__)
        return wrapped


class emit_nvtx:
    """NVTX ranges for nvprof: like torch on a machine without CUDA, entering it fails."""

    def __init__(self, enabled=True, record_shapes=False):
        self.enabled = enabled
        self.record_shapes = record_shapes
        self.entered = False

    def __enter__(self):
        if not self.enabled:
            return None
        if self.entered:
            raise RuntimeError("NVTX annotation context manager is not reentrant")
        self.entered = True
        raise AssertionError("Torch not compiled with CUDA enabled")

    def __exit__(self, exc_type, exc_val, exc_tb):
        return False
