"""Data-parallel scaling of the course CIFAR-10 CNN with DistributedDataParallel on MPI.

For each process count N (default 1, 2, 4) it starts `mpiexec -n N` ranks (one BLAS thread
each) that train the CNN on a fixed global batch (64: 64/N per rank, strong scaling) and report
the median step time (and that of the same steps on the bare module, without DDP: the compute
alone), the speedup and scaling efficiency against N=1, and the time of one blocking allreduce
of the whole gradient (2.2 MB of float32) with the bandwidth it implies. N above the core count
is oversubscribed and marked so: its times measure time-sharing, not scaling.

Run: python benchmarks/bench_ddp.py [--steps 10] [--batch 64] [--ranks 1 2 4]
"""

import argparse
import json
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def worker(steps, batch):
    import numpy as np

    import ember
    import ember.distributed as dist
    from benchmarks.course_models import cifar_cnn, random_batches
    from ember.nn.parallel import DistributedDataParallel as DDP
    dist.init_process_group("gloo")
    rank, n = dist.get_rank(), dist.get_world_size()
    ember.manual_seed(0)
    model = DDP(cifar_cnn(ember))
    opt = ember.optim.SGD(model.parameters(), lr=0.01)
    crit = ember.nn.CrossEntropyLoss()
    share = batch // n
    xs, ys = random_batches(4, (batch, 3, 32, 32))
    data = [(ember.from_numpy(x[rank * share:(rank + 1) * share].copy()),
             ember.from_numpy(y[rank * share:(rank + 1) * share].copy())) for x, y in zip(xs, ys)]
    times = []
    for i in range(steps + 2):  # two warm-up steps
        x, y = data[i % 4]
        dist.barrier()
        t = time.perf_counter()
        opt.zero_grad()
        crit(model(x), y).backward()
        opt.step()
        times.append(time.perf_counter() - t)
    local = []  # the same steps on the bare module: compute only, no gradient averaging
    for i in range(steps + 2):
        x, y = data[i % 4]
        dist.barrier()
        t = time.perf_counter()
        opt.zero_grad()
        crit(model.module(x), y).backward()
        opt.step()
        local.append(time.perf_counter() - t)
    numel = sum(p.numel() for p in model.parameters())
    grad = ember.ones(numel)
    reduce_times = []
    for _ in range(10):
        dist.barrier()
        t = time.perf_counter()
        dist.all_reduce(grad)
        reduce_times.append(time.perf_counter() - t)
    step = float(np.median(times[2:]))
    every = [None] * n
    dist.all_gather_object(every, (step, float(np.median(local[2:]))))
    if rank == 0:
        print(json.dumps({"ranks": n, "step_s": max(e[0] for e in every),
                          "compute_s": max(e[1] for e in every), "allreduce_s":
                          float(np.median(reduce_times)), "grad_bytes": numel * 4,
                          "buckets": len(model._buckets)}))
    dist.destroy_process_group()


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--steps", type=int, default=10)
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--ranks", type=int, nargs="+", default=[1, 2, 4])
    p.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    a = p.parse_args()
    if a.worker:
        return worker(a.steps, a.batch)
    from ember.distributed._launcher import find_mpiexec, mpiexec_command
    env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1")
    cores = os.cpu_count() or 1
    print(f"course CNN, global batch {a.batch}, median of {a.steps} steps, {cores} cores, "
          f"one BLAS thread per rank")
    print(f"{'ranks':>5} {'batch/rank':>10} {'step ms':>8} {'compute ms':>10} {'speedup':>8} "
          f"{'efficiency':>10} {'allreduce ms':>12} {'GB/s':>6}")
    base = None
    for n in a.ranks:
        cmd = mpiexec_command(find_mpiexec(), n, [sys.executable, os.path.abspath(__file__),
                                                  "--worker", "--steps", str(a.steps),
                                                  "--batch", str(a.batch)])
        out = subprocess.run(cmd, capture_output=True, text=True, env=env, check=True).stdout
        r = json.loads(out.strip().splitlines()[-1])
        base = r["step_s"] * n if base is None else base  # 1 process: the first row's work
        speedup = base / r["step_s"]
        bw = r["grad_bytes"] / r["allreduce_s"] / 1e9 if n > 1 else float("nan")
        note = " (oversubscribed)" if n > cores else ""
        print(f"{n:>5} {a.batch // n:>10} {r['step_s'] * 1e3:>8.1f} {r['compute_s'] * 1e3:>10.1f} "
              f"{speedup:>8.2f} "
              f"{speedup / n:>10.0%} {r['allreduce_s'] * 1e3:>12.2f} {bw:>6.2f}{note}")


if __name__ == "__main__":
    main()
