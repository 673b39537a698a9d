"""Time ember's random draws against torch's, interleaved in one process (medians, ember/torch).

Covers the large draws (randn, rand, randint, randperm, normal_, uniform_, bernoulli_, dropout
masks, float64 variants), a small draw (per-call overhead) and `nn.Linear(25088, 4096)`
construction, whose time is the kaiming_uniform_ draw of 102.8 million weights.

Usage: python benchmarks/bench_random.py [n] [--no-linear] [--cpu]   (default n = 1_000_000)
--cpu times CPU seconds of this process (time.process_time) instead of wall time, which is steadier
on a busy machine; torch then runs on one thread, as its random kernels do anyway.
"""

import os
import statistics
import sys
import time

import torch

import ember
import ember.nn  # noqa: F401
import ember.nn.functional  # noqa: F401

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from benchmarks._timing import interleaved_steps, report  # noqa: E402


def cases(n):
    """name -> fn(lib) for every timed draw of n elements."""
    half = (n // 2, 2)
    return {
        f"randn({n})": lambda L: L.randn(n),
        f"randn({n}, float64)": lambda L: L.randn(n, dtype=L.float64),
        f"rand({n})": lambda L: L.rand(n),
        f"rand({n}, float64)": lambda L: L.rand(n, dtype=L.float64),
        f"randint(0, 10, ({n},))": lambda L: L.randint(0, 10, (n,)),
        f"randint(0, 2**40, ({n},))": lambda L: L.randint(0, 2 ** 40, (n,)),
        f"randperm({n})": lambda L: L.randperm(n),
        f"empty({n}).normal_(1, 2)": lambda L: L.empty(n).normal_(1.0, 2.0),
        f"empty({n}).uniform_(-0.1, 0.1)": lambda L: L.empty(n).uniform_(-0.1, 0.1),
        f"empty({n}).bernoulli_(0.3)": lambda L: L.empty(n).bernoulli_(0.3),
        f"bernoulli(rand({n}))": lambda L, p={}: L.bernoulli(
            p.setdefault(L.__name__, L.rand(n))),
        f"dropout(ones{half}, 0.5)": lambda L, x={}: L.nn.functional.dropout(
            x.setdefault(L.__name__, L.ones(half)), 0.5),
        "randn(10)": lambda L: L.randn(10),
    }


def cpu_steps(fns, steps, warmup=0):
    """interleaved_steps with CPU time (process_time) in place of wall time."""
    times = {name: [] for name in fns}
    for i in range(warmup + steps):
        for name, fn in fns.items():
            start = time.process_time()
            fn()
            if i >= warmup:
                times[name].append(time.process_time() - start)
    return {name: statistics.median(t) * 1e3 for name, t in times.items()}


def main(n=1_000_000, reps=9, linear=True, cpu=False):
    steps = cpu_steps if cpu else interleaved_steps
    if cpu:
        torch.set_num_threads(1)
    for name, fn in cases(n).items():
        ember.manual_seed(0)
        torch.manual_seed(0)
        fns = {lib.__name__: lambda lib=lib: fn(lib) for lib in (ember, torch)}
        report(name, steps(fns, reps, warmup=1))
    if linear:
        fns = {lib.__name__: lambda lib=lib: lib.nn.Linear(25088, 4096) for lib in (ember, torch)}
        report("nn.Linear(25088, 4096)", steps(fns, 3), digits=0)


if __name__ == "__main__":
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    main(int(args[0]) if args else 1_000_000, linear="--no-linear" not in sys.argv,
         cpu="--cpu" in sys.argv)
