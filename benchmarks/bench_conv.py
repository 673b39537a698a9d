"""The course CNN's convolutions and max-pools, one direction at a time, against torch and
against the GEMM ceiling: how much of what this machine's BLAS allows ember's kernels reach.

For each 3x3 padding-1 convolution of the course CIFAR CNN (3->16 at 32x32, 16->32 at 16x16,
32->64 at 8x8) and each direction a training step runs (the forward with its columns kept for
backward, the input gradient, the weight gradient), it times
  - ember's array kernel (`ember.nn._conv_kernels`: im2col copies, GEMMs, bias, layout moves),
  - torch's (`aten.convolution` / `aten.convolution_backward` with one output selected),
  - the ceiling: the one GEMM that direction cannot do without, on operands already laid out
    contiguously (forward (O, 9C) @ (9C, N*L); input gradient (C, 9O) @ (9O, N*L), the full
    correlation; weight gradient (O, N*L) @ (N*L, 9C)), the faster of its two orientations,
and prints the ember/torch ratio and each framework's reach: ceiling time / its time (1.0
means the direction costs no more than its bare GEMM; torch's oneDNN can pass 1.0, as its
direct kernels need no im2col copies and may beat OpenBLAS's GEMM at these shapes). The first
convolution's input gradient is not computed in training (its input is the data) and is left
out. Max-pool 2x2 rows time the forward and the forward plus backward against torch.

Run: python benchmarks/bench_conv.py [--batch N] [--threads K] [--repeat R]
Medians of R interleaved rounds (ember, torch, GEMM in turn); with --threads, BLAS/OpenMP and
torch are limited to K threads (set before NumPy loads).
"""

import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

LAYERS = [(3, 16, 32), (16, 32, 16), (32, 64, 8)]  # (in channels, out channels, size)
GEO = ((3, 3), (1, 1), ((1, 1), (1, 1)), (1, 1), 1)  # kernel, stride, pads, dilation, groups


def _args():
    ap = argparse.ArgumentParser()
    ap.add_argument("--batch", type=int, default=20)
    ap.add_argument("--threads", type=int, default=None)
    ap.add_argument("--repeat", type=int, default=9)
    args = ap.parse_args()
    if args.threads:
        for v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
            os.environ[v] = str(args.threads)
    return args


def _torch():
    """torch, or None where it is not installed (the ember column alone is timed then)."""
    try:
        import torch
    except ImportError:
        return None
    return torch


def _gemm(np, m, k, n, rng):
    """The faster orientation of an (m, k) @ (k, n) float32 product on contiguous operands."""
    a = rng.standard_normal((m, k)).astype(np.float32)
    b = rng.standard_normal((k, n)).astype(np.float32)
    at, bt = (np.ascontiguousarray(a.T), np.ascontiguousarray(b.T))
    return [lambda: np.matmul(a, b), lambda: np.matmul(bt, at)]


def cases(batch, rng):
    """[(layer, direction, ember fn, torch fn or None, [GEMM fns] or None)]; each ember and
    torch fn returns what it computed (torch's backward: the tuple of its three results)."""
    import numpy as np

    from ember.nn import _conv_kernels as K
    torch = _torch()
    out = []
    for c, o, s in LAYERS:
        x = rng.standard_normal((batch, c, s, s)).astype(np.float32)
        w = (rng.standard_normal((o, c, 3, 3)) * 0.1).astype(np.float32)
        b = rng.standard_normal(o).astype(np.float32)
        g = rng.standard_normal((batch, o, s, s)).astype(np.float32)
        name = f"conv {c}->{o} {s}x{s}"
        kept = {}

        def fwd(x=x, w=w, b=b, kept=kept):
            if kept.get("buf") is not None:  # hand the last columns back, as a node does
                K._give(kept["buf"])
            y, kept["cols"], kept["buf"] = K._conv_fwd(x, w, GEO, True, b)
            return y

        fwd()  # the columns the weight gradient reads, as in a training step
        t = {}
        if torch is not None:
            tx, tw, tb, tg = (torch.from_numpy(a) for a in (x, w, b, g))
            conv_bwd = torch.ops.aten.convolution_backward

            def tconv(mask, tx=tx, tw=tw, tg=tg):
                return conv_bwd(tg, tx, tw, [tw.shape[0]], [1, 1], [1, 1], [1, 1], False,
                                [0, 0], 1, mask)

            t = {"forward": lambda tx=tx, tw=tw, tb=tb: torch.ops.aten.convolution(
                     tx, tw, tb, [1, 1], [1, 1], [1, 1], False, [0, 0], 1),
                 "input grad": lambda f=tconv: f([True, False, False]),
                 "weight grad": lambda f=tconv: f([False, True, False])}
        n_l = batch * s * s
        out.append((name, "forward", fwd, t.get("forward"), _gemm(np, o, 9 * c, n_l, rng)))
        if c > 3:  # the first layer's input is the data: training computes no input gradient
            out.append((name, "input grad", lambda g=g, w=w, s=s: K._conv_input_grad(
                g, w, (s, s), GEO), t.get("input grad"), _gemm(np, c, 9 * o, n_l, rng)))
        out.append((name, "weight grad", lambda x=x, g=g, w=w, kept=kept: K._conv_weight_grad(
            x, g, w.shape, GEO, kept["cols"]), t.get("weight grad"),
            _gemm(np, o, n_l, 9 * c, rng)))
    return out


def pool_cases(batch, rng):
    import numpy as np

    import ember
    torch = _torch()
    out = []
    for _, o, s in LAYERS:
        a = rng.standard_normal((batch, o, s, s)).astype(np.float32)
        g = rng.standard_normal((batch, o, s // 2, s // 2)).astype(np.float32)
        ex, eg = ember.tensor(a, requires_grad=True), ember.tensor(g)
        name = f"max_pool2d 2 {o}x{s}x{s}"
        fns = {"forward": (lambda ex=ex: ember.nn.functional.max_pool2d(ex, 2)),
               "forward+backward": (lambda ex=ex, eg=eg: ember.nn.functional.max_pool2d(
                   ex, 2).backward(eg))}
        tfns = {}
        if torch is not None:
            tx, tg = torch.tensor(a, requires_grad=True), torch.tensor(g)
            tfns = {"forward": (lambda tx=tx: torch.nn.functional.max_pool2d(tx, 2)),
                    "forward+backward": (lambda tx=tx, tg=tg: torch.nn.functional.max_pool2d(
                        tx, 2).backward(tg))}
        for d in fns:
            out.append((name, d, fns[d], tfns.get(d), None))
    return out


def main():
    args = _args()
    import numpy as np

    from benchmarks._timing import interleaved
    torch = _torch()
    if torch is not None and args.threads:
        torch.set_num_threads(args.threads)
    rng = np.random.default_rng(0)
    rows = cases(args.batch, rng) + pool_cases(args.batch, rng)
    threads = f"{args.threads} thread(s)" if args.threads else "default threads"
    print(f"batch {args.batch}, {threads}; ms per call, medians of {args.repeat} rounds")
    print(f"{'':24s} {'direction':17s} {'ember':>7s} {'torch':>7s} {'ratio':>6s} "
          f"{'GEMM':>7s} {'ember reach':>11s} {'torch reach':>11s}")
    tot = {"ember": 0.0, "torch": 0.0, "gemm": 0.0}
    for name, d, ef, tf, gemms in rows:
        fns = [ef] + ([tf] if tf else []) + (gemms or [])
        number = 5 if "conv" in name else 20
        ts = [v * 1e3 for v in interleaved(fns, number, args.repeat)]
        e = ts[0]
        t = ts[1] if tf else None
        gm = min(ts[2 if tf else 1:]) if gemms else None
        line = f"{name:24s} {d:17s} {e:7.3f} "
        line += f"{t:7.3f} {e / t:6.2f} " if t else f"{'n/a':>7s} {'n/a':>6s} "
        if gm is not None:
            line += f"{gm:7.3f} {gm / e:11.2f} " + (f"{gm / t:11.2f}" if t else f"{'n/a':>11s}")
            tot["ember"] += e
            tot["gemm"] += gm
            tot["torch"] += t or 0.0
        print(line, flush=True)
    e, t, gm = tot["ember"], tot["torch"], tot["gemm"]
    line = f"{'all convolutions':24s} {'':17s} {e:7.3f} "
    line += f"{t:7.3f} {e / t:6.2f} " if t else f"{'n/a':>7s} {'n/a':>6s} "
    line += f"{gm:7.3f} {gm / e:11.2f} " + (f"{gm / t:11.2f}" if t else f"{'n/a':>11s}")
    print(line)


if __name__ == "__main__":
    main()
