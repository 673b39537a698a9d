"""The Chrome trace torch's profiler writes (Kineto's JSON): metadata rows naming the process and
thread, then one complete ('X') event per recorded call, with torch's categories (`cpu_op`,
`user_annotation`) and args (`External id`, `Ev Idx`, `Input Dims` with record_shapes).
A path ending in `.gz` is written gzip-compressed, as Kineto does."""

import gzip
import json
import os
import socket
import time
import uuid


def write_chrome_trace(events, path, record_shapes=False, metadata=None, trace_id=None):
    """`metadata` maps top-level keys to JSON text (torch's add_metadata_json)."""
    pid = os.getpid()
    base_ns = time.time_ns() - time.perf_counter_ns()
    meta_ts = min((e.time_range.start for e in events), default=0.0)
    rows = [{"ph": "M", "name": "process_name", "ts": meta_ts, "pid": pid, "tid": 0,
             "args": {"name": "python"}},
            {"ph": "M", "name": "process_labels", "ts": meta_ts, "pid": pid, "tid": 0,
             "args": {"labels": "CPU"}},
            {"ph": "M", "name": "process_sort_index", "ts": meta_ts, "pid": pid, "tid": 0,
             "args": {"sort_index": pid}}]
    for tid in sorted({e.thread for e in events}):
        rows.append({"ph": "M", "name": "thread_name", "ts": meta_ts, "pid": pid, "tid": tid,
                     "args": {"name": f"thread {tid} (python)"}})
        rows.append({"ph": "M", "name": "thread_sort_index", "ts": meta_ts, "pid": pid,
                     "tid": tid, "args": {"sort_index": tid}})
    for i, e in enumerate(events):
        if e.name == "[memory]":  # a free outside every op: an instant event, as Kineto's
            rows.append({"ph": "i", "cat": "cpu_instant_event", "s": "t", "name": e.name,
                         "pid": pid, "tid": e.thread, "ts": e.time_range.start,
                         "args": {"Bytes": e.cpu_memory_usage, "Device Id": -1,
                                  "Device Type": 0, "Ev Idx": i}})
            continue
        args = {"External id": e.id + 1, "Record function id": 0, "Ev Idx": i}
        if record_shapes and e.input_shapes is not None and not e.is_user_annotation:
            args["Input Dims"] = e.input_shapes
        rows.append({"ph": "X", "cat": "user_annotation" if e.is_user_annotation else "cpu_op",
                     "name": e.name, "pid": pid, "tid": e.thread, "ts": e.time_range.start,
                     "dur": e.time_range.elapsed_us(), "args": args})
    doc = {"schemaVersion": 1, "deviceProperties": [],
           "trace_id": trace_id or f"{uuid.uuid4().int:032X}"}
    for key, raw in (metadata or {}).items():
        doc[key] = json.loads(raw)
    doc.update({"host_name": socket.gethostname(), "displayTimeUnit": "ms",
                "baseTimeNanoseconds": base_ns, "traceEvents": rows, "traceName": path})
    text = json.dumps(doc, indent=2)
    if path.endswith(".gz"):
        with gzip.open(path, "wt") as f:
            f.write(text)
    else:
        with open(path, "w") as f:
            f.write(text)
