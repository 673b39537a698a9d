"""The course's CIFAR-10 CNN training step (conv 3->16->32->64, 3x3, padding 1, max-pool 2 after
each, dropout 0.25, fc 1024->500->10, cross-entropy, SGD), ember against torch in one process,
interleaved; prints median step times and the ember/torch ratio at batch 20 and 64.

Run: python benchmarks/bench_cnn.py [--steps N] [--threads K] [--profile]
With --threads, BLAS/OpenMP (and torch) are limited to K threads; the default runs the table at
the machine's default and again at one thread in a subprocess.
"""

import argparse
import os
import statistics
import subprocess
import sys
import time

import numpy as np


def _lib_parts(lib):
    """(nn namespace with the CNN layers, functional namespace) for ember or torch."""
    if lib.__name__ == "torch":
        return lib.nn, lib.nn.functional
    import types

    from ember.nn import _pool
    from ember.nn.modules import conv, pooling
    nn = types.SimpleNamespace(**vars(lib.nn))
    nn.Conv2d = getattr(lib.nn, "Conv2d", conv.Conv2d)
    nn.MaxPool2d = getattr(lib.nn, "MaxPool2d", pooling.MaxPool2d)
    F = lib.nn.functional
    if not hasattr(F, "max_pool2d"):
        F = types.SimpleNamespace(**vars(F), max_pool2d=_pool.max_pool2d)
    return nn, F


def build(lib):
    nn, F = _lib_parts(lib)

    class Net(lib.nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = nn.Conv2d(3, 16, 3, padding=1)
            self.conv2 = nn.Conv2d(16, 32, 3, padding=1)
            self.conv3 = nn.Conv2d(32, 64, 3, padding=1)
            self.pool = nn.MaxPool2d(2, 2)
            self.fc1 = nn.Linear(64 * 4 * 4, 500)
            self.fc2 = nn.Linear(500, 10)
            self.dropout = nn.Dropout(0.25)

        def forward(self, x):
            x = self.pool(F.relu(self.conv1(x)))
            x = self.pool(F.relu(self.conv2(x)))
            x = self.pool(F.relu(self.conv3(x)))
            x = x.view(-1, 64 * 4 * 4)
            x = self.dropout(x)
            x = F.relu(self.fc1(x))
            x = self.dropout(x)
            return self.fc2(x)

    lib.manual_seed(0)
    return Net()


def step_fn(lib, model, lr=0.01):
    opt = lib.optim.SGD(model.parameters(), lr=lr)
    loss_fn = lib.nn.CrossEntropyLoss()

    def step(x, y):
        opt.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()
        return loss
    return step


def run(batch, steps):
    import torch

    import ember
    import ember.optim  # noqa: F401
    rng = np.random.default_rng(0)
    xs = [rng.standard_normal((batch, 3, 32, 32)).astype(np.float32) for _ in range(4)]
    ys = [rng.integers(0, 10, batch).astype(np.int64) for _ in range(4)]
    steps_by = {}
    for lib in (ember, torch):
        data = [(lib.from_numpy(x), lib.from_numpy(y)) for x, y in zip(xs, ys)]
        steps_by[lib.__name__] = (step_fn(lib, build(lib)), data)
    times = {"ember": [], "torch": []}
    for i in range(steps + 3):
        for name, (step, data) in steps_by.items():
            start = time.perf_counter()
            step(*data[i % 4])
            if i >= 3:  # warm-up
                times[name].append(time.perf_counter() - start)
    e, t = (statistics.median(times[k]) * 1e3 for k in ("ember", "torch"))
    return e, t


def profile(batch, steps):
    import cProfile
    import pstats

    import ember
    import ember.optim  # noqa: F401
    rng = np.random.default_rng(0)
    x = ember.from_numpy(rng.standard_normal((batch, 3, 32, 32)).astype(np.float32))
    y = ember.from_numpy(rng.integers(0, 10, batch).astype(np.int64))
    step = step_fn(ember, build(ember))
    step(x, y)
    pr = cProfile.Profile()
    pr.enable()
    for _ in range(steps):
        step(x, y)
    pr.disable()
    pstats.Stats(pr).sort_stats("tottime").print_stats(18)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=30)
    ap.add_argument("--threads", type=int, default=None)
    ap.add_argument("--profile", action="store_true")
    args = ap.parse_args()
    if args.threads is not None:
        import torch
        torch.set_num_threads(args.threads)
    if args.profile:
        profile(64, args.steps)
        return
    note = f"{args.threads} thread(s)" if args.threads else "default threads"
    for batch in (20, 64):
        e, t = run(batch, args.steps)
        print(f"CIFAR CNN step, batch {batch}, {note}: ember {e:.2f} ms, torch {t:.2f} ms, "
              f"ratio {e / t:.2f}x")
    if args.threads is None:
        env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1",
                   MKL_NUM_THREADS="1")
        subprocess.run([sys.executable, __file__, "--steps", str(args.steps), "--threads", "1"],
                       env=env, check=False)


if __name__ == "__main__":
    main()
