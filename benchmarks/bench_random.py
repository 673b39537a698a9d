"""Time ember's float32 randn/rand against torch's, interleaved in one process (medians).

Usage: python benchmarks/bench_random.py [n]   (default n = 1_000_000)
"""

import statistics
import sys
import time

import torch

import ember


def _timed(fn, n):
    def run():
        start = time.perf_counter()
        fn(n)
        return time.perf_counter() - start
    return run


def main(n=1_000_000, reps=15):
    ember.manual_seed(0)
    torch.manual_seed(0)
    for name in ("randn", "rand"):
        ours, theirs = _timed(getattr(ember, name), n), _timed(getattr(torch, name), n)
        times = {"ember": [], "torch": []}
        for _ in range(reps):  # interleave so both see the same machine state
            times["ember"].append(ours())
            times["torch"].append(theirs())
        e, t = (statistics.median(times[k]) * 1e3 for k in ("ember", "torch"))
        print(f"{name}({n}): ember {e:.2f} ms, torch {t:.2f} ms, ratio {e / t:.1f}x")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000)
