"""torch.profiler on ember: `profile` (context manager, `step()`, schedules, `on_trace_ready`),
`record_function`, `schedule`, `tensorboard_trace_handler`, `ProfilerActivity`, `ProfilerAction`.

Design. A profiler measures ember's own operators; it is not a stub. While at least one profile
records, `_record` swaps recording wrappers into a few dispatch points and swaps the originals
back when the last one stops, so with no profiler active every op runs exactly the code it runs
without this package (`Op.run` is the original classmethod). The dispatch points:

- `autograd.function.Op.run`, through which every primitive's forward runs: a record named
  `aten::<op>` from its backward node's name (`AddmmBackward0` -> `aten::addmm`);
- the Tensor methods and operators, `ember.<op>` and `ember.nn.functional.<fn>`: a record named
  torch's operator (`aten::add`, `aten::add_` for `+=`, `aten::linear`, `aten::relu`), which also
  catches the ops that take a fast path with no Op; an Op whose name equals the open record's
  (the public function that called it) adds no second row;
- the autograd engine's per-node `_apply` and `_accumulate`: torch's
  `autograd::engine::evaluate_function: AddmmBackward0` around `AddmmBackward0`, and
  `torch::autograd::AccumulateGrad` for leaves, with the backward formula's ops inside.

What differs from torch: ember records the operators ember runs, so a row torch makes for an op
ember does not dispatch separately (`aten::t`, `aten::as_strided`, `aten::empty`...) is absent,
and ember's composites may record children torch has not. nn.Module calls make no rows (torch's
make none either). Memory (profile_memory) is the bytes of the arrays an op's result owns,
charged where allocated, less what is freed inside it; a free outside every op is a `[memory]`
row, as torch's. Temporaries NumPy makes inside an op are not seen. FLOPs (with_flops) use
torch's formulas for mm/addmm/bmm/baddbmm, conv1d/2d/3d and add/mul.
Layers whose functional is a class attribute (Conv2d._fn), optimizers' step/zero_grad
(`Optimizer.step#SGD.step`) and DataLoader batches (`enumerate(DataLoader)#...__next__`), as
torch names them, are wrapped the same way while recording. A node's evaluate_function record
stays open after the node until the next node (or the end of the pass) so that, as torch's, it
covers adding the node's gradients into the next nodes' buffers. Backward
formulas ember writes on arrays record no inner ops (torch shows aten::mm inside AddmmBackward0).
Nested profiles both record (torch hands the events to the inner one only).
with_modules changes nothing for eager code in torch (TorchScript only) and so in ember but
the trace's `with_modules` flag. with_stack traces Python as torch's tracer (_pytrace.py).
Refused with `_args.unsupported`: experimental_config,
execution_trace_observer, post_processing_timeout_s, and a CUDA
activity when ember does see a GPU (its kernels are not timed). Without the device, CUDA, XPU,
HPU and PrivateUse1 warn and are dropped and MTIA fails, as torch's.
"""

import enum
import os
import socket
import time
import warnings
from functools import partial

from .._args import EmberNotImplementedError, unsupported
from .._compat import module_getattr as _module_getattr
from ._events import DeviceType
from ._legacy import profile as _legacy_profile
from ._legacy import record_function

__all__ = ["profile", "schedule", "supported_activities", "tensorboard_trace_handler",
           "ProfilerAction", "ProfilerActivity", "kineto_available", "DeviceType",
           "record_function", "ExecutionTraceObserver"]
__getattr__ = _module_getattr(__name__)  # torch's names ember lacks say so

_API = "torch.profiler.profile"


class ProfilerActivity(enum.Enum):
    CPU = 0
    XPU = 1
    CUDA = 2
    HPU = 3
    MTIA = 4
    PrivateUse1 = 5

    def __repr__(self):
        return f"<ProfilerActivity.{self.name}: {self.value}>"

    def __int__(self):
        return self.value


class ProfilerAction(enum.Enum):
    NONE = 0
    WARMUP = 1
    RECORD = 2
    RECORD_AND_SAVE = 3
    DEVICE_STOPPED = 4


def supported_activities():
    return {ProfilerActivity.CPU}


def kineto_available():
    return True


class ExecutionTraceObserver:
    """torch's execution-graph recorder (a separate JSON of the operator graph): not in ember."""

    def __init__(self):
        raise EmberNotImplementedError(
            "ember does not implement torch.profiler.ExecutionTraceObserver yet")


def schedule(*, wait, warmup, active, repeat=0, skip_first=0, skip_first_wait=0):
    """The step -> ProfilerAction function: skip `skip_first` steps, then cycles of `wait`
    idle, `warmup` and `active` steps (the last one RECORD_AND_SAVE), `repeat` times (0: ever)."""
    def schedule_fn(step):
        if step < 0:
            raise AssertionError(f"Step must be non-negative. Got {step}.")
        if step < skip_first:
            return ProfilerAction.NONE
        step -= skip_first
        if skip_first_wait != 0:
            step += wait
        num_steps = wait + warmup + active
        if repeat > 0 and step / num_steps >= repeat:
            return ProfilerAction.NONE
        mod = step % num_steps
        if mod < wait:
            return ProfilerAction.NONE
        if mod < wait + warmup:
            return ProfilerAction.WARMUP
        return ProfilerAction.RECORD if mod < num_steps - 1 else ProfilerAction.RECORD_AND_SAVE

    if wait < 0 or warmup < 0 or active <= 0 or repeat < 0 or skip_first < 0:
        raise AssertionError(
            f"Invalid profiler schedule arguments. Got wait={wait} (need >= 0), "
            f"warmup={warmup} (need >= 0), active={active} (need > 0), repeat={repeat} "
            f"(need >= 0), skip_first={skip_first} (need >= 0).")
    if warmup == 0:
        warnings.warn("Profiler won't be using warmup, this can skew profiler results",
                      stacklevel=2)
    return schedule_fn


def _default_schedule_fn(_):
    return ProfilerAction.RECORD


def tensorboard_trace_handler(dir_name, worker_name=None, use_gzip=False,
                              use_python_export=False):
    """An on_trace_ready that writes `<worker>.<time_ns>.pt.trace.json[.gz]` into dir_name,
    the files TensorBoard's profiler plugin reads."""
    def handler_fn(prof):
        nonlocal worker_name
        if not os.path.isdir(dir_name):
            try:
                os.makedirs(dir_name, exist_ok=True)
            except Exception as e:
                raise RuntimeError("Can't create directory: " + dir_name) from e
        if not worker_name:
            worker_name = f"{socket.gethostname()}_{os.getpid()}"
        name = f"{worker_name}.{time.time_ns()}.pt.trace.json"
        if use_gzip:
            name += ".gz"
        prof.export_chrome_trace(os.path.join(dir_name, name),
                                 use_python_export=use_python_export)
    return handler_fn


_DEVICES = ((ProfilerActivity.CUDA, "cuda"), (ProfilerActivity.XPU, "xpu"),
            (ProfilerActivity.MTIA, "mtia"), (ProfilerActivity.HPU, "hpu"),
            (ProfilerActivity.PrivateUse1, "privateuseone"))
_warned = set()


def _warn_once(msg):
    if msg not in _warned:
        _warned.add(msg)
        warnings.warn(msg, UserWarning, stacklevel=3)


class _KinetoProfile:
    """The recording part of torch.profiler.profile: one autograd profile per cycle."""

    def __init__(self, *, activities=None, record_shapes=False, profile_memory=False,
                 with_stack=False, with_flops=False, with_modules=False,
                 experimental_config=None, execution_trace_observer=None, acc_events=False,
                 custom_trace_id_callback=None, post_processing_timeout_s=None):
        for arg, value in (("experimental_config", experimental_config),
                           ("execution_trace_observer", execution_trace_observer),
                           ("post_processing_timeout_s", post_processing_timeout_s)):
            if value is not None:
                unsupported(_API, arg, value)
        self.activities = set(activities) if activities else supported_activities()
        self.record_shapes = record_shapes
        self.with_flops = with_flops
        self.profile_memory = profile_memory
        self.with_stack = with_stack
        self.with_modules = with_modules
        self.acc_events = acc_events
        self.custom_trace_id_callback = custom_trace_id_callback
        self.profiler = None
        self.use_device = next((d for a, d in _DEVICES if a in self.activities), None)
        self.preset_metadata = {}
        self._trace_metadata = {}

    def start(self):
        self.prepare_trace()
        self.start_trace()

    def stop(self):
        self.stop_trace()

    def prepare_trace(self):
        if self.profiler is not None and not self.acc_events:
            _warn_once("Warning: Profiler clears events at the end of each cycle. Only events "
                       "from the current cycle will be reported. To keep events across cycles, "
                       "set acc_events=True.")
        if self.profiler is None or not self.acc_events:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", FutureWarning)
                self.profiler = _legacy_profile(
                    use_cpu=ProfilerActivity.CPU in self.activities, use_device=self.use_device,
                    record_shapes=self.record_shapes, with_flops=self.with_flops,
                    profile_memory=self.profile_memory, with_stack=self.with_stack,
                    with_modules=self.with_modules, use_kineto=True, acc_events=self.acc_events,
                    custom_trace_id_callback=self.custom_trace_id_callback)
        self.profiler._prepare_trace()

    def start_trace(self):
        if self.profiler is None:
            raise AssertionError("Profiler must be initialized before starting trace")
        self.profiler._start_trace()
        for flag in ("profile_memory", "with_stack", "record_shapes", "with_modules",
                     "with_flops"):
            if getattr(self, flag):
                self.add_metadata_json(flag, "1")
        for k, v in self.preset_metadata.items():
            self.add_metadata_json(k, v)

    def add_metadata(self, key, value):
        """A string entry at the top level of the exported trace."""
        self.add_metadata_json(key, '"' + value.replace('"', '\\"') + '"')

    def add_metadata_json(self, key, value):
        """An entry of JSON text at the top level of the exported trace."""
        self._trace_metadata[key] = value
        if self.profiler is not None:
            self.profiler._metadata[key] = value

    def preset_metadata_json(self, key, value):
        """Metadata added to the trace of every cycle that starts later."""
        self.preset_metadata[key] = value

    def stop_trace(self):
        if self.profiler is None:
            raise AssertionError("Profiler must be initialized before stopping trace")
        self.profiler.__exit__(None, None, None)

    def export_chrome_trace(self, path, use_python_export=False):
        if self.profiler is None:
            raise AssertionError("Profiler must be initialized before exporting chrome trace")
        return self.profiler.export_chrome_trace(path, use_python_export=use_python_export)

    def export_stacks(self, path, metric="self_cpu_time_total"):
        if self.profiler is None:
            raise AssertionError("Profiler must be initialized before exporting stacks")
        return self.profiler.export_stacks(path, metric)

    def key_averages(self, group_by_input_shape=False, group_by_stack_n=0,
                     group_by_overload_name=False):
        if self.profiler is None:
            raise AssertionError("Profiler must be initialized before getting key averages")
        return self.profiler.key_averages(group_by_input_shape, group_by_stack_n,
                                          group_by_overload_name)

    def events(self):
        if self.profiler is None:
            raise AssertionError("Profiler must be initialized before accessing events")
        return self.profiler.function_events


class profile(_KinetoProfile):
    """Profiler context manager; with a `schedule`, `step()` moves it through the cycle and
    `on_trace_ready(prof)` runs at the end of each active span."""

    def __init__(self, *, activities=None, schedule=None, on_trace_ready=None,
                 record_shapes=False, profile_memory=False, with_stack=False, with_flops=False,
                 with_modules=False, experimental_config=None, execution_trace_observer=None,
                 acc_events=False, use_cuda=None, custom_trace_id_callback=None,
                 post_processing_timeout_s=None):
        acts = set(supported_activities()) if activities is None else {
            a for item in activities
            for a in ((item,) if isinstance(item, ProfilerActivity) else
                      (item.keys() if isinstance(item, dict) else ()))}
        if use_cuda is not None:
            warnings.warn("`use_cuda` is deprecated, use `activities` argument instead",
                          FutureWarning, stacklevel=2)
            if use_cuda:
                acts.add(ProfilerActivity.CUDA)
            else:
                acts.discard(ProfilerActivity.CUDA)
        if len(acts) == 0:
            raise AssertionError("No valid profiler activities found")
        super().__init__(activities=acts, record_shapes=record_shapes,
                         profile_memory=profile_memory, with_stack=with_stack,
                         with_flops=with_flops, with_modules=with_modules,
                         experimental_config=experimental_config,
                         execution_trace_observer=execution_trace_observer,
                         acc_events=acc_events, custom_trace_id_callback=custom_trace_id_callback,
                         post_processing_timeout_s=post_processing_timeout_s)
        self.schedule = schedule if schedule else _default_schedule_fn
        self.record_steps = bool(schedule)
        self.on_trace_ready = on_trace_ready
        self.step_num = 0
        self.step_rec_fn = None
        action = self.schedule(self.step_num)
        if action == ProfilerAction.DEVICE_STOPPED:
            raise ValueError(_STOPPED)
        self.current_action = action
        A = ProfilerAction
        prep, start, stop, ready = (self.prepare_trace, self.start_trace, self.stop_trace,
                                    self._trace_ready)

        def bad(a, b):
            return partial(warnings.warn, f"Incorrect schedule: {a} followed by {b}")
        self.action_map = {
            (A.NONE, A.NONE): [], (A.NONE, A.WARMUP): [prep],
            (A.NONE, A.RECORD): [prep, start], (A.NONE, A.RECORD_AND_SAVE): [prep, start],
            (A.WARMUP, A.NONE): [bad("WARMUP", "NONE"), start, stop],
            (A.WARMUP, A.WARMUP): [], (A.WARMUP, A.RECORD): [start],
            (A.WARMUP, A.RECORD_AND_SAVE): [start],
            (A.RECORD, A.NONE): [bad("RECORD", "NONE"), stop],
            (A.RECORD, A.WARMUP): [bad("RECORD", "WARMUP"), stop],
            (A.RECORD, A.RECORD): [], (A.RECORD, A.RECORD_AND_SAVE): [],
            (A.RECORD_AND_SAVE, A.NONE): [stop, ready],
            (A.RECORD_AND_SAVE, A.WARMUP): [stop, ready, prep],
            (A.RECORD_AND_SAVE, A.RECORD): [stop, ready, prep, start],
            (A.RECORD_AND_SAVE, A.RECORD_AND_SAVE): [stop, ready, prep, start],
            (A.WARMUP, None): [start, stop], (A.RECORD, None): [stop, ready],
            (A.RECORD_AND_SAVE, None): [stop, ready]}

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, exc_type, exc_val, exc_tb):
        self.stop()

    def start(self):
        self._transit_action(ProfilerAction.NONE, self.current_action)
        if self.record_steps:
            self.step_rec_fn = record_function("ProfilerStep#" + str(self.step_num))
            self.step_rec_fn.__enter__()

    def stop(self):
        if self.record_steps and self.step_rec_fn:
            self.step_rec_fn.__exit__(None, None, None)
            self.step_rec_fn = None
        self._transit_action(self.current_action, None)

    def step(self):
        """Signals that the next step starts."""
        if self.record_steps and self.step_rec_fn:
            self.step_rec_fn.__exit__(None, None, None)
            self.step_rec_fn = None
        prev = self.current_action
        action = self.schedule(self.step_num + 1)
        if action == ProfilerAction.DEVICE_STOPPED:
            raise ValueError(_STOPPED)
        self.step_num += 1
        self.current_action = action
        self._transit_action(prev, action)
        if self.record_steps:
            self.step_rec_fn = record_function("ProfilerStep#" + str(self.step_num))
            self.step_rec_fn.__enter__()

    def set_custom_trace_id_callback(self, callback):
        """The trace id maker called at the start of each cycle."""
        self.custom_trace_id_callback = callback

    def get_trace_id(self):
        return None if self.profiler is None else self.profiler.trace_id

    def _trace_ready(self):
        if self.on_trace_ready:
            self.on_trace_ready(self)

    def _transit_action(self, prev_action, current_action):
        for action in self.action_map.get((prev_action, current_action)) or ():
            action()


_STOPPED = ("ProfilerAction.DEVICE_STOPPED is set internally by the profiler and must not be "
            "returned by a user-provided schedule")
