"""The course MLP's training step (784-256-128-64-10, ReLU, log_softmax + NLLLoss, SGD, batch 64),
ember against torch in one process, interleaved; prints median times and the ember/torch ratio.

Run: python benchmarks/bench_mlp.py [--steps N] [--profile]
The ratio is measured at the default BLAS thread count and again at one thread (threadpoolctl
when installed, else a subprocess with the thread env vars set).
"""

import argparse
import os
import statistics
import subprocess
import sys
import time

import numpy as np

import ember
import ember.nn  # noqa: F401

try:
    import ember.optim  # noqa: F401
except ImportError:
    pass
try:
    import torch
except ImportError:
    torch = None

SIZES = (784, 256, 128, 64, 10)
BATCH = 64


def build(lib):
    layers = []
    for i in range(len(SIZES) - 1):
        layers.append(lib.nn.Linear(SIZES[i], SIZES[i + 1]))
        if i < len(SIZES) - 2:
            layers.append(lib.nn.ReLU())
    return lib.nn.Sequential(*layers)


def step_fn(lib, model, lr=0.01):
    F = lib.nn.functional
    opt = lib.optim.SGD(model.parameters(), lr=lr) if hasattr(lib, "optim") else None
    params = list(model.parameters())

    def step(x, y):
        if opt is not None:
            opt.zero_grad()
        else:
            for p in params:
                p.grad = None
        loss = F.nll_loss(F.log_softmax(model(x), dim=1), y)
        loss.backward()
        if opt is not None:
            opt.step()
        else:
            with lib.no_grad():
                for p in params:
                    p.sub_(p.grad * lr)
        return loss
    return step


def run(steps, threads_note):
    rng = np.random.default_rng(0)
    xs = [rng.standard_normal((BATCH, 784)).astype(np.float32) for _ in range(8)]
    ys = [rng.integers(0, 10, BATCH).astype(np.int64) for _ in range(8)]
    e_step = step_fn(ember, build(ember))
    e_data = [(ember.from_numpy(x), ember.from_numpy(y)) for x, y in zip(xs, ys)]
    t_step = t_data = None
    if torch is not None:
        t_step = step_fn(torch, build(torch))
        t_data = [(torch.from_numpy(x), torch.from_numpy(y)) for x, y in zip(xs, ys)]
    for i in range(20):  # warm up
        e_step(*e_data[i % 8])
        if t_step:
            t_step(*t_data[i % 8])
    te, tt = [], []
    for i in range(steps):
        t0 = time.perf_counter()
        e_step(*e_data[i % 8])
        te.append(time.perf_counter() - t0)
        if t_step:
            t0 = time.perf_counter()
            t_step(*t_data[i % 8])
            tt.append(time.perf_counter() - t0)
    me = statistics.median(te) * 1e3
    line = f"[{threads_note}] ember {me:.3f} ms/step"
    if tt:
        mt = statistics.median(tt) * 1e3
        line += f", torch {mt:.3f} ms/step, ratio ember/torch = {me / mt:.2f}x"
    print(line, flush=True)


def profile(steps):
    import cProfile
    import pstats
    rng = np.random.default_rng(0)
    x = ember.from_numpy(rng.standard_normal((BATCH, 784)).astype(np.float32))
    y = ember.from_numpy(rng.integers(0, 10, BATCH).astype(np.int64))
    step = step_fn(ember, build(ember))
    for _ in range(10):
        step(x, y)
    pr = cProfile.Profile()
    pr.enable()
    for _ in range(steps):
        step(x, y)
    pr.disable()
    pstats.Stats(pr).sort_stats("tottime").print_stats(25)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=300)
    ap.add_argument("--profile", action="store_true")
    ap.add_argument("--single", action="store_true", help="(internal) one-thread child run")
    args = ap.parse_args()
    if args.profile:
        profile(args.steps)
        return
    if args.single:
        if torch is not None:
            torch.set_num_threads(1)
        run(args.steps, "1 thread")
        return
    run(args.steps, "default threads")
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1",
                   MKL_NUM_THREADS="1")
        subprocess.run([sys.executable, __file__, "--single", "--steps", str(args.steps)],
                       env=env, check=False)
        return
    with threadpool_limits(1):
        if torch is not None:
            n = torch.get_num_threads()
            torch.set_num_threads(1)
        run(args.steps, "1 thread")
        if torch is not None:
            torch.set_num_threads(n)


if __name__ == "__main__":
    main()
