"""Time ember's float32 randn/rand against torch's, interleaved in one process (medians).

Usage: python benchmarks/bench_random.py [n]   (default n = 1_000_000)
"""

import os
import sys

import torch

import ember

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from benchmarks._timing import interleaved_steps, report  # noqa: E402


def main(n=1_000_000, reps=15):
    ember.manual_seed(0)
    torch.manual_seed(0)
    for name in ("randn", "rand"):
        fns = {lib.__name__: lambda fn=getattr(lib, name): fn(n) for lib in (ember, torch)}
        report(f"{name}({n})", interleaved_steps(fns, reps))


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000)
