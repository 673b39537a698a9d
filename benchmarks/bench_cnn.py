"""The course's CIFAR-10 CNN training step (conv 3->16->32->64, 3x3, padding 1, max-pool 2 after
each, dropout 0.25, fc 1024->500->10, cross-entropy, SGD), ember against torch in one process,
interleaved; prints median step times and the ember/torch ratio at batch 20 and 64.

Run: python benchmarks/bench_cnn.py [--steps N] [--threads K] [--profile]
With --threads, BLAS/OpenMP (and torch) are limited to K threads; the default runs the table at
the machine's default and again at one thread in a subprocess.
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
from benchmarks.course_models import cifar_cnn, random_batches, train_step  # noqa: E402


def step_fn(lib, batch):
    """One SGD step per call on the seeded CNN, cycling through 4 fixed random batches."""
    lib.manual_seed(0)
    model = cifar_cnn(lib)
    step = train_step(lib, model, lib.nn.CrossEntropyLoss(),
                      lib.optim.SGD(model.parameters(), lr=0.01))
    xs, ys = random_batches(4, (batch, 3, 32, 32))
    data = itertools.cycle([(lib.from_numpy(x), lib.from_numpy(y)) for x, y in zip(xs, ys)])
    return lambda: step(*next(data))


def main():
    args = step_args(30)
    import torch

    import ember
    import ember.optim  # noqa: F401
    if args.profile:
        profile_steps(step_fn(ember, 64), args.steps, top=18)
        return
    for batch in (20, 64):
        ms = interleaved_steps({"ember": step_fn(ember, batch), "torch": step_fn(torch, batch)},
                               args.steps, warmup=3)
        report(f"CIFAR CNN step, batch {batch}, {args.note}", ms)
    if args.threads is None:
        rerun_single_thread(__file__, "--steps", str(args.steps))


if __name__ == "__main__":
    main()
