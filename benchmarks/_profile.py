"""`python -m benchmarks --profile WORKLOAD`: where one workload's ember step spends its time.

Times are the process's CPU time (time.process_time: every thread's, BLAS's too), which other
processes on a busy machine do not inflate as they do wall time.

The step is timed plainly (median per call). Then a split: every Op
subclass's forward and backward is wrapped by a timer (exclusive time, nested calls subtracted),
which separates the array kernels (Op.forward: NumPy/BLAS work plus the little Python around it),
the backward bodies (array work of kernels written there, and the calls that build the
gradient's ops) and the rest: ember's dispatch, graph recording, engine, modules, argument
checks, the optimizer's step (its update arithmetic too) and the benchmark loop.

Then cProfile, whose own time ("tottime") is split by where the code lives:
  - C calls: NumPy functions and methods (matmul, copyto, sum, ...), BLAS inside them, and other
    built-ins; cProfile sees each call.
  - ember's Python: functions in src/ember. Array operators written inline (`a @ b`, `a += b`,
    slicing) are not calls cProfile sees, so their arithmetic counts here: this share is an upper
    bound on ember's bookkeeping.
  - other Python: the benchmark's own code and the standard library.
cProfile adds a cost per Python call, so the profiled total is larger than the plain time and the
shares lean towards Python; the plain time is printed beside them.
"""

import cProfile
import os
import pstats
import statistics
import time

_EMBER = os.sep + os.path.join("ember", "")


def _kind(filename):
    if filename == "~" or filename.startswith("<"):
        return "C calls (NumPy/BLAS/builtins)"
    if _EMBER in filename:
        return "ember Python (incl. inline array operators)"
    return "other Python"


_clock = time.process_time


def plain_time(step, number, repeat=5):
    """Median CPU seconds per call of step() over `repeat` rounds of `number` calls."""
    out = []
    for _ in range(repeat):
        t = _clock()
        for _ in range(number):
            step()
        out.append((_clock() - t) / number)
    return statistics.median(out)


def _op_classes():
    from ember.autograd.function import Op
    seen, todo = [], [Op]
    while todo:
        c = todo.pop()
        for s in c.__subclasses__():
            if s not in seen:
                seen.append(s)
                todo.append(s)
    return seen


def op_split(step, number):
    """(seconds per step in Op.forward, in Op.backward bodies, in total), exclusive times."""
    acc = {"forward": 0.0, "backward": 0.0}
    per = {}  # (class name, forward/backward) -> exclusive seconds
    stack = []  # [start, time of nested wrapped calls]
    clock = _clock

    def wrap(fn, kind, key):
        def timed(*a, **k):
            stack.append([clock(), 0.0])
            try:
                return fn(*a, **k)
            finally:
                start, inner = stack.pop()
                dt = clock() - start
                acc[kind] += dt - inner
                per[key] = per.get(key, 0.0) + dt - inner
                if stack:
                    stack[-1][1] += dt
        return timed

    patched = []
    for c in _op_classes():
        for kind in ("forward", "backward"):
            fn = c.__dict__.get(kind)
            if callable(fn):
                patched.append((c, kind, fn))
                setattr(c, kind, wrap(fn, kind, (c.__name__, kind)))
    try:
        step()
        acc["forward"] = acc["backward"] = 0.0
        per.clear()
        t = _clock()
        for _ in range(number):
            step()
        total = _clock() - t
    finally:
        for c, kind, fn in patched:
            setattr(c, kind, fn)
    return (acc["forward"] / number, acc["backward"] / number, total / number,
            {k: v / number for k, v in per.items()})


def profile(name, step, number, top=20):
    """Prints the plain step time, the two splits and cProfile's `top` entries."""
    step()  # warm-up: caches, buffers
    t = plain_time(step, number)
    fw, bw, tot, per = op_split(step, number)
    print(f"{name}: plain {t * 1e3:.2f} ms CPU per step")
    print(f"  split by timers around every Op (timers on, {tot * 1e3:.2f} ms per step):")
    for label, v in (("Op.forward (array kernels)", fw), ("Op.backward bodies", bw),
                     ("rest: dispatch, graph, engine, modules, optimizer", tot - fw - bw)):
        print(f"    {label:50s} {v * 1e3:8.2f} ms  {100 * v / tot:5.1f} %")
    print("  by primitive (exclusive):")
    for (cls, kind), v in sorted(per.items(), key=lambda kv: -kv[1])[:12]:
        print(f"    {cls + '.' + kind:50s} {v * 1e3:8.2f} ms  {100 * v / tot:5.1f} %")
    prof = cProfile.Profile(_clock)
    prof.enable()
    for _ in range(number):
        step()
    prof.disable()
    st = pstats.Stats(prof)
    split, files = {}, {}
    total = 0.0
    for (fname, _, _), (_, _, tt, _, _) in st.stats.items():
        k = _kind(fname)
        split[k] = split.get(k, 0.0) + tt
        total += tt
        if k.startswith("ember"):
            short = fname[fname.rfind(_EMBER) + 1:]
            files[short] = files.get(short, 0.0) + tt
    print(f"  cProfile split ({total / number * 1e3:.2f} ms per step, its overhead included):")
    for k, v in sorted(split.items(), key=lambda kv: -kv[1]):
        print(f"    {k:50s} {v / number * 1e3:8.2f} ms  {100 * v / total:5.1f} %")
    print("  ember Python by file:")
    for f, v in sorted(files.items(), key=lambda kv: -kv[1])[:8]:
        print(f"    {f:50s} {v / number * 1e3:8.2f} ms  {100 * v / total:5.1f} %")
    print(f"top {top} entries by own time:")
    st.sort_stats("tottime").print_stats(top)
