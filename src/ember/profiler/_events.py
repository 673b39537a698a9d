"""The profiler's results, shaped as torch.autograd.profiler_util: `FunctionEvent` (one recorded
call), `FunctionEventAvg` (calls grouped by key), `EventList` (a list of either, with `table`,
`key_averages`, `total_average`, `export_chrome_trace`) and torch's formatting rules.

Times are microseconds as floats (torch's unit), measured with `time.perf_counter_ns`. A parent's
self time is its total time less its children's totals; the table's percentages are shares of the
sum of self times, as torch computes them.
"""

import json
import math
from collections import defaultdict

__all__ = ["FunctionEvent", "FunctionEventAvg", "EventList", "Interval", "DeviceType"]


class DeviceType:
    """torch.autograd.DeviceType's CPU member, the only device ember's profiler records."""

    def __init__(self, name, value):
        self.name, self.value = name, value

    def __repr__(self):
        return f"DeviceType.{self.name}"

    __str__ = __repr__


DeviceType.CPU = DeviceType("CPU", 0)


def _format_time(time_us):
    if time_us >= 1e6:
        return f"{time_us / 1e6:.3f}s"
    if time_us >= 1e3:
        return f"{time_us / 1e3:.3f}ms"
    return f"{time_us:.3f}us"


def _format_time_share(time_us, total_time_us):
    if total_time_us == 0:
        return "NaN"
    return f"{time_us * 100.0 / total_time_us:.2f}%"


def _format_memory(nbytes):
    for unit, size in (("GB", 1 << 30), ("MB", 1 << 20), ("KB", 1 << 10)):
        if abs(nbytes) >= size:
            return f"{nbytes * 1.0 / size:.2f} {unit}"
    return f"{nbytes} B"


class Interval:
    def __init__(self, start, end):
        self.start, self.end = start, end

    def elapsed_us(self):
        return self.end - self.start


class _Times:
    """The formatted-time properties FunctionEvent and FunctionEventAvg share."""

    device_time_total = 0
    self_device_time_total = 0
    device_memory_usage = 0
    self_device_memory_usage = 0
    cuda_time_total = 0
    self_cuda_time_total = 0

    @property
    def cpu_time(self):
        return 0.0 if self.count == 0 else self.cpu_time_total / self.count

    @property
    def device_time(self):
        return 0.0 if self.count == 0 else self.device_time_total / self.count

    cuda_time = device_time

    cpu_time_str = property(lambda self: _format_time(self.cpu_time))
    cpu_time_total_str = property(lambda self: _format_time(self.cpu_time_total))
    self_cpu_time_total_str = property(lambda self: _format_time(self.self_cpu_time_total))
    device_time_str = property(lambda self: _format_time(self.device_time))
    device_time_total_str = property(lambda self: _format_time(self.device_time_total))
    self_device_time_total_str = property(
        lambda self: _format_time(self.self_device_time_total))


class FunctionEvent(_Times):
    """One recorded call: an operator, a backward node or a record_function range."""

    def __init__(self, id, name, thread, start_us, end_us, input_shapes=None, stack=None,
                 scope=0, cpu_memory_usage=0, flops=None, is_user_annotation=False,
                 sequence_nr=-1, use_device=None, trace_name=None):
        self.id = id
        self.node_id = -1
        self.name = name
        self.overload_name = None
        self.trace_name = name if trace_name is None else trace_name
        self.time_range = Interval(start_us, end_us)
        self.thread = thread
        self.fwd_thread = None
        self.kernels = []
        self.count = 1
        self.cpu_children = []
        self.cpu_parent = None
        self.input_shapes = input_shapes
        self.concrete_inputs = None
        self.kwinputs = None
        self.stack = stack if stack is not None else []
        self.scope = scope
        self.use_device = use_device
        self.cpu_memory_usage = cpu_memory_usage
        self.is_async = False
        self.is_remote = False
        self.sequence_nr = sequence_nr
        self.device_type = DeviceType.CPU
        self.device_index = 0
        self.device_resource_id = thread
        self.is_legacy = False
        self.flops = flops
        self.is_user_annotation = is_user_annotation
        self.is_python_function = False
        self.metadata_json = None

    def append_cpu_child(self, child):
        self.cpu_children.append(child)

    def set_cpu_parent(self, parent):
        self.cpu_parent = parent

    @property
    def key(self):
        return self.name

    @property
    def cpu_time_total(self):
        return self.time_range.elapsed_us()

    @property
    def self_cpu_time_total(self):
        return self.cpu_time_total - sum(c.cpu_time_total for c in self.cpu_children)

    @property
    def self_cpu_memory_usage(self):
        return self.cpu_memory_usage - sum(c.cpu_memory_usage for c in self.cpu_children)

    def __repr__(self):
        return (f"<FunctionEvent id={self.id} name={self.name} overload_name={self.overload_name} "
                f"device_type={self.device_type} node_id={self.node_id} "
                f"cpu_time={self.cpu_time_str} start_us={self.time_range.start} "
                f"end_us={self.time_range.end} "
                f"cpu_children={[c.id for c in self.cpu_children]} "
                f"{self.use_device}_time={self.device_time_str} name={self.name} "
                f"thread={self.thread} input_shapes={self.input_shapes} "
                f"cpu_memory_usage={self.cpu_memory_usage} "
                f"{self.use_device}_memory_usage={self.device_memory_usage} "
                f"is_async={self.is_async} is_remote={self.is_remote} "
                f"seq_nr={self.sequence_nr} is_legacy={self.is_legacy}>")


class FunctionEventAvg(_Times):
    """The events of one key, summed (`count` calls)."""

    def __init__(self):
        self.key = None
        self.count = 0
        self.node_id = 0
        self.is_async = False
        self.is_remote = False
        self.use_device = None
        self.cpu_time_total = 0
        self.self_cpu_time_total = 0
        self.input_shapes = None
        self.overload_name = None
        self.stack = None
        self.scope = None
        self.cpu_memory_usage = 0
        self.self_cpu_memory_usage = 0
        self.cpu_children = None
        self.cpu_parent = None
        self.device_type = DeviceType.CPU
        self.is_legacy = False
        self.is_user_annotation = False
        self.flops = 0

    def add(self, other):
        if self.key is None:
            self.key = other.key
            self.node_id = other.node_id
            self.is_async = other.is_async
            self.is_remote = other.is_remote
            self.cpu_parent = other.cpu_parent
            self.cpu_children = other.cpu_children
            self.overload_name = other.overload_name
            self.input_shapes = other.input_shapes
            self.stack = other.stack
            self.scope = other.scope
            self.device_type = other.device_type
            self.is_legacy = other.is_legacy
            self.use_device = other.use_device
            self.is_user_annotation = other.is_user_annotation
        if not isinstance(other, (FunctionEvent, FunctionEventAvg)):
            raise AssertionError("Expected other to be a FunctionEvent or FunctionEventAvg")
        if other.key != self.key:
            raise AssertionError(f"Expected keys to match, but got {other.key} vs {self.key}")
        self.cpu_time_total += other.cpu_time_total
        self.self_cpu_time_total += other.self_cpu_time_total
        self.cpu_memory_usage += other.cpu_memory_usage
        self.self_cpu_memory_usage += other.self_cpu_memory_usage
        self.count += other.count
        if self.flops is None:
            self.flops = other.flops
        elif other.flops is not None:
            self.flops += other.flops
        return self

    def __iadd__(self, other):
        return self.add(other)

    def __repr__(self):
        dev = self.use_device or "cuda"
        return (f"<FunctionEventAvg key={self.key} self_cpu_time={self.self_cpu_time_total_str} "
                f"cpu_time={self.cpu_time_str}  self_{dev}_time="
                f"{self.self_device_time_total_str} {dev}_time={self.device_time_str} "
                f"input_shapes={self.input_shapes} cpu_memory_usage={self.cpu_memory_usage} "
                f"{dev}_memory_usage={self.device_memory_usage}>")


class EventList(list):
    """A list of FunctionEvent or FunctionEventAvg, as torch's."""

    def __init__(self, *args, use_device=None, profile_memory=False, with_flops=False):
        super().__init__(*args)
        self._use_device = use_device
        self._profile_memory = profile_memory
        self._with_flops = with_flops
        self._tree_built = False

    def __str__(self):
        return self.table()

    @property
    def self_cpu_time_total(self):
        return sum(e.self_cpu_time_total for e in self)

    def table(self, sort_by=None, row_limit=100, max_src_column_width=75,
              max_name_column_width=55, max_shapes_column_width=80, header=None,
              top_level_events_only=False, time_unit=None):
        return _build_table(self, sort_by=sort_by, header=header, row_limit=row_limit,
                            max_src_column_width=max_src_column_width,
                            max_name_column_width=max_name_column_width,
                            max_shapes_column_width=max_shapes_column_width,
                            with_flops=self._with_flops, profile_memory=self._profile_memory,
                            top_level_events_only=top_level_events_only, time_unit=time_unit)

    def key_averages(self, group_by_input_shapes=False, group_by_stack_n=0,
                     group_by_overload_name=False):
        stats = defaultdict(FunctionEventAvg)
        for evt in self:
            key = [evt.key, str(evt.node_id), str(evt.device_type), str(evt.is_legacy),
                   str(evt.is_user_annotation)]
            if group_by_overload_name:
                key.append(evt.overload_name)
            if group_by_input_shapes:
                key.append(str(evt.input_shapes))
            if group_by_stack_n > 0:
                key += evt.stack[:group_by_stack_n]
            stats[tuple(key)].add(evt)
        out = EventList(stats.values(), use_device=self._use_device,
                        profile_memory=self._profile_memory, with_flops=self._with_flops)
        for evt in out:
            evt.stack = evt.stack[:group_by_stack_n]
            if not group_by_input_shapes:
                evt.input_shapes = ""
            if not group_by_overload_name:
                evt.overload_name = ""
        return out

    def total_average(self):
        total = FunctionEventAvg()
        for evt in self:
            total += evt
            total.key = None
        total.key = "Total"
        return total

    def export_chrome_trace(self, path):
        """The legacy profiler's trace: a JSON list of complete ('X') events."""
        rows = [{"name": e.trace_name, "ph": "X", "ts": e.time_range.start,
                 "dur": e.time_range.elapsed_us(), "tid": e.thread, "pid": "CPU functions",
                 "args": {}} for e in self if e.trace_name is not None]
        with open(path, "w") as f:
            json.dump(rows, f)

    def export_stacks(self, path, metric):
        known = ["self_cpu_time_total", "self_cuda_time_total", "self_xpu_time_total",
                 "self_privateuse1_time_total"]
        if metric not in known:
            raise ValueError("metric should be one of: " + str(known))
        translate = str.maketrans(" ;\t\n", "____")
        with open(path, "w") as f:
            for evt in self:
                if evt.stack:
                    value = getattr(evt, metric.replace("cuda", "device").replace(
                        "xpu", "device").replace("privateuse1", "device"))
                    if int(value) > 0:
                        stack = ";".join(s.translate(translate) for s in reversed(evt.stack))
                        f.write(f"{stack} {int(value)}\n")


def _scale_flops(flops):
    names = ["FLOPs", "KFLOPs", "MFLOPs", "GFLOPs", "TFLOPs", "PFLOPs"]
    log = max(0, min(math.log10(flops) / 3, float(len(names) - 1)))
    return pow(10, math.floor(log) * -3.0), names[int(log)]


def _override(time_us, default, unit):
    if unit == "s":
        return f"{time_us / 1e6:.3f}s"
    if unit == "ms":
        return f"{time_us / 1e3:.3f}ms"
    if unit == "us":
        return f"{time_us:.3f}us"
    return default


def _trim_path(path, width):
    if len(path) > width:
        path = path[len(path) - width:]
        if len(path) > 3:
            path = "..." + path[3:]
    return path


def _build_table(events, sort_by=None, header=None, row_limit=100, max_src_column_width=75,
                 max_name_column_width=55, max_shapes_column_width=80, with_flops=False,
                 profile_memory=False, top_level_events_only=False, time_unit=None):
    """torch's summary table: right-aligned columns two spaces apart, dashed rules."""
    if len(events) == 0:
        return ""
    has_shapes = any(e.input_shapes is not None and len(e.input_shapes) > 0 for e in events)
    if sort_by is not None:
        attr = sort_by.replace("cuda", "device").replace("xpu", "device").replace(
            "privateuse1", "device")
        events = sorted(events, key=lambda e: getattr(e, attr), reverse=True)
    name_w = max(len(e.key) for e in events) + 4
    if max_name_column_width is not None:
        name_w = min(name_w, max_name_column_width)
    shapes_w = max(len(str(e.input_shapes)) for e in events) + 4
    if max_shapes_column_width is not None:
        shapes_w = min(shapes_w, max_shapes_column_width)
    stacks = [e.stack for e in events if e.stack is not None and len(e.stack) > 0]
    src_w = None
    if stacks:
        src_w = max(max(len(s) for s in st) for st in stacks) + 4
        if max_src_column_width is not None:
            src_w = min(src_w, max_src_column_width)
    headers = ["Name", "Self CPU %", "Self CPU", "CPU total %", "CPU total", "CPU time avg"]
    if profile_memory:
        headers += ["CPU Mem", "Self CPU Mem"]
    headers.append("# of Calls")
    fmt, sep, width = [""], [""], [-2]

    def column(pad, align=">"):
        fmt[0] += "{: " + align + str(pad) + "}  "
        sep[0] += "-" * pad + "  "
        width[0] += pad + 2

    column(name_w)
    for _ in headers[1:]:
        column(12)
    if has_shapes:
        headers.append("Input Shapes")
        column(shapes_w)
    if stacks:
        headers.append("Source Location")
        column(src_w, "<")
    if with_flops:
        raw = [e.flops for e in events if e.flops and e.flops > 0]
        if raw:
            scale, flops_name = _scale_flops(min(raw))
            headers.append(f"Total {flops_name}")
            column(12)
        else:
            with_flops = False
    row, rule = fmt[0], sep[0]
    out = []

    def line(s):
        out.append(s)
        out.append("\n")

    total = sum(e.self_cpu_time_total for e in events)
    if header is not None:
        line("=" * width[0])
        line(header)
    if top_level_events_only:
        line("=" * width[0])
        line("This report only display top-level ops statistics")
    line(rule)
    line(row.format(*headers))
    line(rule)
    shown = 0
    for e in events:
        if shown == row_limit:
            break
        if top_level_events_only and e.cpu_parent is not None:
            continue
        shown += 1
        name = e.key
        if max_name_column_width is not None and len(name) >= max_name_column_width - 3:
            name = name[:max_name_column_width - 3] + "..."
        e.self_cpu_percent = _format_time_share(e.self_cpu_time_total, total)
        e.total_cpu_percent = _format_time_share(e.cpu_time_total, total)
        values = [name, e.self_cpu_percent,
                  _override(e.self_cpu_time_total, e.self_cpu_time_total_str, time_unit),
                  e.total_cpu_percent,
                  _override(e.cpu_time_total, e.cpu_time_total_str, time_unit),
                  _override(e.cpu_time, e.cpu_time_str, time_unit)]
        if profile_memory:
            values += [_format_memory(e.cpu_memory_usage), _format_memory(e.self_cpu_memory_usage)]
        values.append(e.count)
        if has_shapes:
            values.append(str(e.input_shapes)[:shapes_w])
        if with_flops:
            values.append("--" if not e.flops or e.flops <= 0 else f"{e.flops * scale:8.3f}")
        if stacks:
            values.append(_trim_path(e.stack[0], src_w) if len(e.stack) > 0 else "")
        line(row.format(*values))
        if stacks:
            blank = [""] * (len(headers) - 1)
            for entry in e.stack[1:]:
                line(row.format(*(blank + [_trim_path(entry, src_w)])))
            line(row.format(*(blank + [""])))
    line(rule)
    line(f"Self CPU time total: {_override(total, _format_time(total), time_unit)}")
    return "".join(out)
