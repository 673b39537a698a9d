"""Per-operation overhead and import time: ember vs torch side by side in one process.

Run: python benchmarks/bench_core.py [--threads N]
Each case runs interleaved (ember, torch, ember, torch, ...) and reports the median time per
call of each framework and the ember/torch ratio. Import time is measured as whole processes.
"""

import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from benchmarks._timing import import_time, interleaved  # noqa: E402


def cases(lib):
    import numpy as np
    rng = np.random.default_rng(0)
    a = lib.from_numpy(rng.standard_normal((8, 8)).astype(np.float32))
    b = lib.from_numpy(rng.standard_normal((8, 8)).astype(np.float32))
    ag = a.clone().requires_grad_(True)
    bg = b.clone().requires_grad_(True)
    ws = [lib.from_numpy(rng.standard_normal(s).astype(np.float32) * 0.1).requires_grad_(True)
          for s in ((784, 256), (256,), (256, 128), (128,), (128, 10), (10,))]
    x1 = lib.from_numpy(rng.standard_normal((1, 784)).astype(np.float32))

    emb = lib.nn.Embedding(10000, 128)
    tokens = lib.from_numpy(rng.integers(0, 10000, (32, 50)))

    def embedding():
        emb(tokens).sum().backward()
        emb.weight.grad = None

    def mlp():
        h = x1
        for i in range(0, 6, 2):
            h = h @ ws[i] + ws[i + 1]
            if i < 4:
                h = h.relu()
        h.sum().backward()
        for w in ws:
            w.grad = None

    return {
        "add 8x8": lambda: a + b,
        "mul 8x8": lambda: a * b,
        "matmul 8x8": lambda: a @ b,
        "sum 8x8": lambda: a.sum(),
        "add 8x8 (grad)": lambda: ag + bg,
        "mul 8x8 (grad)": lambda: ag * bg,
        "matmul 8x8 (grad)": lambda: ag @ bg,
        "sum 8x8 (grad)": lambda: ag.sum(),
        "add+sum+backward (grad)": lambda: (ag + bg).sum().backward(),
        "MLP 784-256-128-10 fwd+bwd, batch 1": mlp,
        "Embedding 10000x128 fwd+bwd, 32x50 ids": embedding,
    }


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--threads", type=int, default=None)
    args = p.parse_args()
    if args.threads:
        for v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
            os.environ[v] = str(args.threads)
    import ember
    try:
        import torch
        if args.threads:
            torch.set_num_threads(args.threads)
    except ImportError:
        torch = None
    ec = cases(ember)
    tc = cases(torch) if torch else {}
    print(f"{'case':40s} {'ember us':>10s} {'torch us':>10s} {'ratio':>7s}")
    for name, ef in ec.items():
        number = 200 if "MLP" in name else 20 if "Embedding" in name else 2000
        if torch:
            te, tt = interleaved([ef, tc[name]], number, repeat=7)
            print(f"{name:40s} {te * 1e6:10.2f} {tt * 1e6:10.2f} {te / tt:7.2f}")
        else:
            te, = interleaved([ef], number, repeat=7)
            print(f"{name:40s} {te * 1e6:10.2f} {'n/a':>10s} {'n/a':>7s}")
    ie, it = import_time("ember"), import_time("torch") if torch else None
    ratio = f"{ie / it:7.2f}" if it else "    n/a"
    print(f"{'import (whole process, ms)':40s} {ie * 1e3:10.1f} "
          f"{(it * 1e3 if it else float('nan')):10.1f} {ratio}")


if __name__ == "__main__":
    main()
