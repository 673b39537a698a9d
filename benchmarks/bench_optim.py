"""One optimizer step on the course MLP's parameters, ember vs torch, interleaved (medians).

The parameters have the shapes of 784-256-128-64-10 Linear layers; each step gets fresh random
grads set beforehand (not timed). Prints median ms per step and the ember/torch ratio, at torch's
default thread count and at one thread (NumPy's ufuncs are single-threaded either way).

Usage: python benchmarks/bench_optim.py [reps]   (default 200)
"""

import os
import sys

import numpy as np
import torch

import ember
import ember.optim

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from benchmarks._timing import interleaved_steps, report  # noqa: E402

SHAPES = [(256, 784), (256,), (128, 256), (128,), (64, 128), (64,), (10, 64), (10,)]

CASES = {
    "SGD(momentum=0.9)": ("SGD", dict(lr=0.01, momentum=0.9)),
    "SGD(momentum=0.9, nesterov, wd)": ("SGD", dict(lr=0.01, momentum=0.9, nesterov=True,
                                                    weight_decay=1e-4)),
    "Adam": ("Adam", dict(lr=1e-3)),
    "AdamW(amsgrad)": ("AdamW", dict(lr=1e-3, amsgrad=True)),
}


def _setup(lib, name, kw, grads):
    rng = np.random.default_rng(0)
    params = [lib.from_numpy(rng.standard_normal(s).astype(np.float32)).requires_grad_()
              for s in SHAPES]
    for p, g in zip(params, grads):
        p.grad = lib.from_numpy(g)
    opt = getattr(lib.optim, name)(params, **kw)
    opt.step()  # state and scratch buffers exist before timing, as in a training loop
    return opt.step


def compare(label, name, kw, reps):
    rng = np.random.default_rng(1)
    grads = [rng.standard_normal(s).astype(np.float32) * 1e-2 for s in SHAPES]
    ours = _setup(ember, name, kw, [g.copy() for g in grads])
    theirs = _setup(torch, name, kw, [g.copy() for g in grads])
    report(f"  {label:34s}", interleaved_steps({"ember": ours, "torch": theirs}, reps), digits=3)


def main(reps=200):
    n = sum(int(np.prod(s)) for s in SHAPES)
    for threads in (torch.get_num_threads(), 1):
        torch.set_num_threads(threads)
        print(f"optimizer step on the MLP's {n} parameters (torch threads: {threads})")
        for label, (name, kw) in CASES.items():
            compare(label, name, kw, reps)


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 200)
