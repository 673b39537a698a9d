"""The course MLP's training step (784-256-128-64-10, ReLU, log_softmax + NLLLoss, SGD, batch 64),
ember against torch in one process, interleaved; prints median times and the ember/torch ratio.

Run: python benchmarks/bench_mlp.py [--steps N] [--threads K] [--profile]
With --threads, BLAS/OpenMP (and torch) are limited to K threads; the default runs at the
machine's default and again at one thread in a subprocess. torch is optional.
"""

import itertools
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from benchmarks._timing import (  # noqa: E402
    interleaved_steps,
    profile_steps,
    report,
    rerun_single_thread,
    step_args,
)
from benchmarks.course_models import mlp, random_batches, train_step  # noqa: E402

BATCH = 64


def step_fn(lib, lr=0.01):
    """One SGD step per call on the MLP, cycling through 8 fixed random batches."""
    F = lib.nn.functional
    model = mlp(lib, log_softmax=False)
    step = train_step(lib, model, lambda out, y: F.nll_loss(F.log_softmax(out, dim=1), y),
                      lib.optim.SGD(model.parameters(), lr=lr))
    xs, ys = random_batches(8, (BATCH, 784))
    data = itertools.cycle([(lib.from_numpy(x), lib.from_numpy(y)) for x, y in zip(xs, ys)])
    return lambda: step(*next(data))


def main():
    args = step_args(300)
    import ember
    import ember.optim  # noqa: F401
    try:
        import torch
    except ImportError:
        torch = None
    if args.profile:
        profile_steps(step_fn(ember), args.steps, warmup=10)
        return
    fns = {"ember": step_fn(ember)}
    if torch is not None:
        fns["torch"] = step_fn(torch)
    report(f"MLP step, batch {BATCH}, {args.note}", interleaved_steps(fns, args.steps, warmup=20),
           digits=3)
    if args.threads is None:
        rerun_single_thread(__file__, "--steps", str(args.steps))


if __name__ == "__main__":
    main()
