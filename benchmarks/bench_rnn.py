"""The course's LSTM char-RNN training step (one-hot 83 symbols, 2-layer LSTM hidden 256 with
dropout 0.5, dropout 0.5 before fc 256->83, seq 50, batch 32, CrossEntropyLoss, clip_grad_norm_ 5,
Adam): `benchmarks/run.py`'s `lstm_train` workload, ember against torch in one process,
interleaved; prints median step times and the ember/torch ratio.

Run: python benchmarks/bench_rnn.py [--steps N] [--threads K] [--profile] [--layer]
With --threads, BLAS/OpenMP (and torch) are limited to K threads; the default runs at the
machine's default and again at one thread in a subprocess. --profile runs cProfile over ember's
step (use it with --threads 1). --layer times the recurrent part alone as well: the model's
nn.LSTM forward and backward (its inter-layer dropout included) with the gradients zeroed each
time, so the fused kernel's ratio is seen apart from fc, loss, clipping and Adam.
"""

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
from benchmarks.run import lstm_train  # noqa: E402


def lstm_layers(lib, seq=50, batch=32):
    """One forward and backward of the char-RNN's nn.LSTM alone, on the workload's batch."""
    from benchmarks.course_models import HIDDEN, LAYERS, char_rnn, text_batches
    lib.manual_seed(0)
    lstm = char_rnn(lib).lstm
    xs, _ = text_batches(1, batch, seq, seed=0)
    x = lib.from_numpy(xs[0])
    h = (lib.zeros(LAYERS, batch, HIDDEN), lib.zeros(LAYERS, batch, HIDDEN))

    def step():
        lstm.zero_grad()
        out, _ = lstm(x, h)
        out.sum().backward()
    return step


def main():
    layer = "--layer" in sys.argv
    if layer:
        sys.argv.remove("--layer")
    args = step_args(20)
    import torch

    import ember
    import ember.optim  # noqa: F401
    if args.profile:
        profile_steps(lstm_train(ember), args.steps)
        return
    ms = interleaved_steps({"ember": lstm_train(ember), "torch": lstm_train(torch)}, args.steps,
                           warmup=2)
    report(f"LSTM char-RNN step (2x256, seq 50, batch 32), {args.note}", ms)
    if layer:
        ms = interleaved_steps({"ember": lstm_layers(ember), "torch": lstm_layers(torch)},
                               args.steps, warmup=2)
        report(f"  its nn.LSTM alone, forward + backward, {args.note}", ms)
    if args.threads is None:
        rerun_single_thread(__file__, "--steps", str(args.steps), *(["--layer"] if layer else []))


if __name__ == "__main__":
    main()
