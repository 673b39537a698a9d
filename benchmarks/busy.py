"""The course workloads on a busy machine: `python -m benchmarks --busy`.

Beside `--burners` CPU-bound processes (a Python loop each, started first and killed at the
end), each workload of benchmarks/run.py runs for ember alone in fresh child processes, in
alternation: one at the default thread setting (every thread variable removed from its
environment, so ember's BLAS pool follows the machine's load: src/ember/_threads.py) and one
with OMP/OPENBLAS/MKL_NUM_THREADS=1. Each child builds the workload, calls it once and times
`--rounds` rounds of the workload's number of calls; the table prints both medians over all
rounds and their ratio (default / one thread), with the range of the per-pair ratios (the
median round of each child pair). Issue 15's bar: no workload above 1.5.

`python -m benchmarks.busy --child WORKLOAD --rounds K` is the child: it prints its rounds'
seconds per call as one JSON list.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "GOTO_NUM_THREADS", "MKL_NUM_THREADS",
               "BLIS_NUM_THREADS", "VECLIB_MAXIMUM_THREADS")
BURN = "while True: pass"


def child_env(threads):
    """os.environ without any thread variable (threads None: the default setting), or with
    OMP/OPENBLAS/MKL_NUM_THREADS set to `threads`."""
    env = {k: v for k, v in os.environ.items() if k not in THREAD_VARS}
    if threads is not None:
        env.update({v: str(threads) for v in THREAD_VARS[:2] + THREAD_VARS[3:4]})
    return env


def time_child(name, rounds, threads):
    """The per-round seconds per call of ember's `name` workload in a fresh process."""
    r = subprocess.run([sys.executable, "-m", "benchmarks.busy", "--child", name, "--rounds",
                        str(rounds)], capture_output=True, text=True, cwd=ROOT,
                       env=child_env(threads), check=False)
    if r.returncode:
        raise RuntimeError(f"the child timing {name!r} failed:\n{r.stderr[-2000:]}")
    return json.loads(r.stdout.strip().splitlines()[-1])


def compare(default, one):
    """(median default, median one-thread, their ratio, (lowest, highest) pair ratio) from the
    children's rounds: `default` and `one` are lists (one per child) of per-round lists."""
    d = statistics.median(t for rounds in default for t in rounds)
    o = statistics.median(t for rounds in one for t in rounds)
    pairs = [statistics.median(a) / statistics.median(b) for a, b in zip(default, one)]
    return d, o, d / o, (min(pairs), max(pairs))


def run(names, pairs=3, rounds=3, burners=1, out=print):
    """Times each workload in `names` (run.py's WORKLOADS keys) as the module docstring says,
    beside `burners` CPU-bound processes; prints a row per workload and returns the rows."""
    procs = [subprocess.Popen([sys.executable, "-c", BURN]) for _ in range(burners)]
    rows = []
    try:
        time.sleep(0.5)  # the burners are running before the first child looks at the load
        out(f"{burners} CPU-bound process(es) beside; ember alone, ms per call, medians")
        out(f"{'workload':52s} {'default':>9s} {'1 thread':>9s} {'ratio (pairs)':>19s}")
        for name in names:
            default, one = [], []
            for _ in range(pairs):
                default.append(time_child(name, rounds, None))
                one.append(time_child(name, rounds, 1))
            d, o, ratio, (lo, hi) = compare(default, one)
            rows.append({"workload": name, "default_s": d, "one_thread_s": o, "ratio": ratio,
                         "pair_ratios": [lo, hi]})
            out(f"{name:52s} {d * 1e3:9.2f} {o * 1e3:9.2f} "
                f"{f'{ratio:.2f} ({lo:.2f}-{hi:.2f})':>19s}")
    finally:
        for p in procs:
            p.kill()
            p.wait()
    return rows


def _child(name, rounds):
    sys.path.insert(0, ROOT)
    import ember
    from benchmarks._timing import per_call
    from benchmarks.run import WORKLOADS
    make, number = WORKLOADS[name]
    step = make(ember)
    step()
    print(json.dumps([per_call(step, number) for _ in range(rounds)]))


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--child", required=True)
    ap.add_argument("--rounds", type=int, default=3)
    a = ap.parse_args()
    _child(a.child, a.rounds)
