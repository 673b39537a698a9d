"""Per-sample gradients of the course's CIFAR-10 CNN (eval mode, batch 64):
`vmap(grad(loss), in_dims=(None, 0, 0))` with functional_call against a Python loop of 64
backward passes, for ember and for torch in one process; prints medians and loop/vmap ratios.

Run: python benchmarks/bench_func.py [--steps N] [--threads K]
"""

import os
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from benchmarks._timing import step_args  # noqa: E402
from benchmarks.course_models import cifar_cnn, random_batches  # noqa: E402


def workloads(lib, batch=64):
    """(vmap call, loop call) computing the same per-sample gradients."""
    lib.manual_seed(0)
    model = cifar_cnn(lib).eval()
    params = {k: v.detach() for k, v in model.named_parameters()}
    (x,), (y,) = random_batches(1, (batch, 3, 32, 32))
    x, y = lib.from_numpy(x), lib.from_numpy(y)

    def loss_fn(p, xb, yb):
        out = lib.func.functional_call(model, p, (xb.unsqueeze(0),))
        return lib.nn.functional.cross_entropy(out, yb.unsqueeze(0))
    per_sample = lib.func.vmap(lib.func.grad(loss_fn), in_dims=(None, 0, 0))

    def loop():
        grads = []
        for i in range(batch):
            model.zero_grad()
            lib.nn.functional.cross_entropy(model(x[i:i + 1]), y[i:i + 1]).backward()
            grads.append([p.grad.clone() for p in model.parameters()])
        return grads
    return (lambda: per_sample(params, x, y)), loop


def main():
    args = step_args(5)
    import torch

    import ember
    runs = {lib: workloads(lib) for lib in (ember, torch)}
    times = {(lib, k): [] for lib in runs for k in (0, 1)}
    for _ in range(args.steps):
        for lib, fns in runs.items():
            for k, fn in enumerate(fns):
                t0 = time.perf_counter()
                fn()
                times[lib, k].append(time.perf_counter() - t0)
    for lib in runs:
        v, lp = (statistics.median(times[lib, k]) for k in (0, 1))
        print(f"{lib.__name__:6s} vmap(grad) {v * 1e3:8.1f} ms   loop of 64 backward "
              f"{lp * 1e3:8.1f} ms   loop/vmap {lp / v:5.2f}  ({args.note})")
    print("ember fallbacks:", dict(ember.func._fallback_counts) or "none")


if __name__ == "__main__":
    main()
