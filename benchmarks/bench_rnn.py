"""The course's LSTM char-RNN training step (one-hot 83 symbols, 2-layer LSTM hidden 256 with
dropout 0.5, dropout 0.5 before fc 256->83, seq 50, batch 32, CrossEntropyLoss, clip_grad_norm_ 5,
Adam): `benchmarks/run.py`'s `lstm_train` workload, ember against torch in one process,
interleaved; prints median step times and the ember/torch ratio.

Run: python benchmarks/bench_rnn.py [--steps N] [--threads K] [--profile]
With --threads, BLAS/OpenMP (and torch) are limited to K threads; the default runs at the
machine's default and again at one thread in a subprocess. --profile runs cProfile over ember's
step (use it with --threads 1).
"""

import argparse
import os
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from benchmarks.run import lstm_train  # noqa: E402


def run(steps):
    import torch

    import ember
    import ember.optim  # noqa: F401
    fns = {"ember": lstm_train(ember), "torch": lstm_train(torch)}
    times = {k: [] for k in fns}
    for i in range(steps + 2):
        for name, step in fns.items():
            start = time.perf_counter()
            step()
            if i >= 2:  # warm-up
                times[name].append(time.perf_counter() - start)
    return tuple(statistics.median(times[k]) * 1e3 for k in ("ember", "torch"))


def profile(steps):
    import cProfile
    import pstats

    import ember
    import ember.optim  # noqa: F401
    step = lstm_train(ember)
    step()
    pr = cProfile.Profile()
    pr.enable()
    for _ in range(steps):
        step()
    pr.disable()
    pstats.Stats(pr).sort_stats("tottime").print_stats(25)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--threads", type=int, default=None)
    ap.add_argument("--profile", action="store_true")
    args = ap.parse_args()
    if args.threads is not None:
        import torch
        torch.set_num_threads(args.threads)
    if args.profile:
        profile(args.steps)
        return
    note = f"{args.threads} thread(s)" if args.threads else "default threads"
    e, t = run(args.steps)
    print(f"LSTM char-RNN step (2x256, seq 50, batch 32), {note}: ember {e:.2f} ms, "
          f"torch {t:.2f} ms, ratio {e / t:.2f}x", flush=True)
    if args.threads is None:
        env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1",
                   MKL_NUM_THREADS="1")
        subprocess.run([sys.executable, __file__, "--steps", str(args.steps), "--threads", "1"],
                       env=env, check=False)


if __name__ == "__main__":
    main()
