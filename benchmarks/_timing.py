"""Timing shared by the benchmarks: ember and torch are always timed in one process, interleaved
(ember, torch, ember, ...), so both see the same machine state, and medians are reported.

`step_args` parses the training-step scripts' shared flags. `interleaved` times batches of
`number` calls (cheap ops, whole workloads), `interleaved_rounds` gives every round's time and
`ratio_spread` the range of two functions' per-round ratios (the noise around a median ratio);
`interleaved_steps` times every call on its own (training steps). `report` prints one
ember/torch line, and `rerun_single_thread` repeats a script with BLAS, OpenMP and torch limited
to one thread.
"""

import argparse
import os
import statistics
import subprocess
import sys
import time


def step_args(steps):
    """Parses --steps N (default `steps`), --threads K and --profile, limits torch (when present)
    to K threads, and adds `note`, the thread setting in words, for the printed lines."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=steps)
    ap.add_argument("--threads", type=int, default=None)
    ap.add_argument("--profile", action="store_true")
    args = ap.parse_args()
    if args.threads is not None:
        try:
            import torch
        except ImportError:
            pass
        else:
            torch.set_num_threads(args.threads)
    args.note = f"{args.threads} thread(s)" if args.threads else "default threads"
    return args


def per_call(fn, number):
    """Mean seconds per call over `number` back-to-back calls of fn()."""
    start = time.perf_counter()
    for _ in range(number):
        fn()
    return (time.perf_counter() - start) / number


def interleaved_rounds(fns, number, repeat):
    """Seconds per call of each of fns in each round: one warm-up call each, then `repeat` rounds
    of `number` calls per function, in alternation; a list (one per round) for each fn."""
    for fn in fns:
        fn()
    times = [[] for _ in fns]
    for _ in range(repeat):
        for i, fn in enumerate(fns):
            times[i].append(per_call(fn, number))
    return times


def interleaved(fns, number, repeat):
    """Median seconds per call for each of fns (`interleaved_rounds`' rounds)."""
    return [statistics.median(t) for t in interleaved_rounds(fns, number, repeat)]


def ratio_spread(a, b):
    """(lowest, highest) of the per-round ratios a[i] / b[i] of two interleaved timings: how far
    the machine's noise moves one round's ratio (None when a round has no time)."""
    rs = [x / y for x, y in zip(a, b) if x and y]
    return (min(rs), max(rs)) if rs and len(rs) == len(a) == len(b) else None


def interleaved_steps(fns, steps, warmup=0):
    """Median milliseconds of one call for each fn in the dict name -> fn(); every round calls
    each once in turn, and the first `warmup` rounds are not counted."""
    times = {name: [] for name in fns}
    for i in range(warmup + steps):
        for name, fn in fns.items():
            start = time.perf_counter()
            fn()
            if i >= warmup:
                times[name].append(time.perf_counter() - start)
    return {name: statistics.median(t) * 1e3 for name, t in times.items()}


def report(label, ms, digits=2):
    """Prints `label: ember X ms, torch Y ms, ratio Zx` from a dict name -> ms (torch optional)."""
    line = f"{label}: ember {ms['ember']:.{digits}f} ms"
    if "torch" in ms:
        line += f", torch {ms['torch']:.{digits}f} ms, ratio {ms['ember'] / ms['torch']:.2f}x"
    print(line, flush=True)


def import_time(module, repeat=5):
    """Median seconds to import `module` in a fresh interpreter, or None if it fails.

    As an installed package is imported: with its bytecode cached (an untimed first run writes
    it to a private cache, whatever PYTHONDONTWRITEBYTECODE says), so no run compiles source."""
    import tempfile
    code = f"import time; t=time.perf_counter(); import {module}; print(time.perf_counter()-t)"
    out = []
    with tempfile.TemporaryDirectory() as cache:
        env = dict(os.environ, PYTHONPYCACHEPREFIX=cache)
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        for i in range(repeat + 1):
            r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                               env=env)
            if r.returncode:
                return None
            if i:
                out.append(float(r.stdout))
    return statistics.median(out)


def rerun_single_thread(script, *args):
    """Runs `script --threads 1 *args` in a child with the BLAS/OpenMP thread variables at 1."""
    env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1")
    subprocess.run([sys.executable, script, *args, "--threads", "1"], env=env, check=False)


def profile_steps(step, steps, warmup=1, top=25):
    """cProfile over `steps` calls of step() after `warmup` untimed ones; prints the `top` rows
    by own time."""
    import cProfile
    import pstats
    for _ in range(warmup):
        step()
    prof = cProfile.Profile()
    prof.enable()
    for _ in range(steps):
        step()
    prof.disable()
    pstats.Stats(prof).sort_stats("tottime").print_stats(top)
