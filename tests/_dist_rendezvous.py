"""Ranks that no MPI launcher started, for tests/test_distributed_rendezvous.py.

`python tests/_dist_rendezvous.py env` is one rank of a job started as plain processes with
RANK / WORLD_SIZE / MASTER_ADDR / MASTER_PORT set (init_process_group("gloo"), env://);
`python tests/_dist_rendezvous.py spawn N PORT` starts N ranks with
ember.multiprocessing.spawn, each calling init_process_group("gloo", rank=, world_size=) as
torch's DDP tutorial does; `python tests/_dist_rendezvous.py tcp RANK N PORT TIMEOUT_S` joins
through init_method="tcp://..." and is used for the error cases. Each rank checks all_reduce,
a DDP step and the DDP communication hooks against a single-process computation (every rank
can build every rank's data) and prints `ok RANK`.
"""

import datetime
import os
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                "src"))

import ember  # noqa: E402
import ember.distributed as dist  # noqa: E402

BATCH = 12  # divisible by 2, 3 and 4 ranks


def data(rank, shape, seed=0):
    return np.random.default_rng([rank, seed]).uniform(-2, 2, shape).astype(np.float32)


def check_all_reduce(rank, n):
    x = ember.tensor(data(rank, (7,)))
    dist.all_reduce(x)
    want = np.sum([data(r, (7,)) for r in range(n)], axis=0, dtype=np.float32)
    np.testing.assert_allclose(x.numpy(), want, rtol=1e-6, atol=1e-6)
    y = ember.tensor(data(rank, (2, 3), seed=1))
    dist.all_reduce(y, op=dist.ReduceOp.MAX)
    assert np.array_equal(y.numpy(), np.max([data(r, (2, 3), 1) for r in range(n)], axis=0))


def model():
    ember.manual_seed(0)
    return ember.nn.Sequential(ember.nn.Linear(5, 4), ember.nn.Tanh(), ember.nn.Linear(4, 2))


def batch():
    return ember.tensor(data(99, (BATCH, 5))), ember.tensor(data(98, (BATCH, 2)))


def local_grads(rank, n):
    """The gradients rank `rank` computes alone on its share of the batch."""
    m = model()
    x, y = batch()
    share = BATCH // n
    sl = slice(rank * share, (rank + 1) * share)
    ember.nn.functional.mse_loss(m(x[sl]), y[sl]).backward()
    return [p.grad.numpy().copy() for p in m.parameters()]


def ddp_grads(rank, n, hook=None, state=None, **kwargs):
    from ember.nn.parallel import DistributedDataParallel as DDP
    ember.manual_seed(rank + 10)  # other weights on each rank: DDP broadcasts rank 0's
    m = ember.nn.Sequential(ember.nn.Linear(5, 4), ember.nn.Tanh(), ember.nn.Linear(4, 2))
    m.load_state_dict(model().state_dict()) if rank == 0 else None
    ddp = DDP(m, **kwargs)
    if hook is not None:
        ddp.register_comm_hook(state, hook)
    x, y = batch()
    share = BATCH // n
    sl = slice(rank * share, (rank + 1) * share)
    ember.nn.functional.mse_loss(ddp(x[sl]), y[sl]).backward()
    return ddp, [p.grad.numpy() for p in m.parameters()]


def check_ddp(rank, n):
    m = model()
    x, y = batch()
    ember.nn.functional.mse_loss(m(x), y).backward()
    want = [p.grad.numpy() for p in m.parameters()]  # one process, the full batch
    _, got = ddp_grads(rank, n)
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, rtol=1e-5, atol=1e-6)


def check_hooks(rank, n):
    from ember.distributed.algorithms.ddp_comm_hooks import default_hooks as H
    every = [local_grads(r, n) for r in range(n)]
    mean = [np.sum([e[i] / np.float32(n) for e in every], axis=0) for i in range(4)]
    _, got = ddp_grads(rank, n, H.allreduce_hook)
    for g, w in zip(got, mean):
        np.testing.assert_allclose(g, w, rtol=1e-6, atol=1e-7)
    for hook, dtype in ((H.fp16_compress_hook, ember.float16),
                        (H.bf16_compress_hook, ember.bfloat16)):
        _, got = ddp_grads(rank, n, hook)
        for i, g in enumerate(got):  # each rank's bucket cast, divided, summed, cast back
            parts = [ember.tensor(e[i]).to(dtype).div_(n).float() for e in every]
            want = sum(parts[1:], parts[0]).to(dtype).float().numpy()
            np.testing.assert_array_equal(g, want)
    seen = []

    def summing(state, bucket):  # a user hook: the sum, not the mean, from a plain Future
        assert state == "mine"
        grads, params = bucket.gradients(), bucket.parameters()
        assert len(grads) == len(params) >= 1
        assert bucket.buffer().numel() == sum(p.numel() for p in params)
        for g, p in zip(grads, params):
            assert g.shape == p.shape
            k = [id(q) for q in model_params].index(id(p))
            np.testing.assert_array_equal(g.numpy(), every[rank][k])  # undivided, as torch's
        seen.append((bucket.index(), bucket.is_last()))
        dist.all_reduce(bucket.buffer())
        fut = ember.futures.Future()
        fut.set_result(bucket.buffer())
        return fut
    from ember.nn.parallel import DistributedDataParallel as DDP
    ember.manual_seed(0)
    inner = model()
    model_params = list(inner.parameters())
    ddp = DDP(inner, bucket_cap_mb=40 / 2 ** 20)  # about one parameter per bucket
    ddp.register_comm_hook("mine", summing)
    x, y = batch()
    share = BATCH // n
    sl = slice(rank * share, (rank + 1) * share)
    ember.nn.functional.mse_loss(ddp(x[sl]), y[sl]).backward()
    nb = len(ddp._buckets)
    assert nb > 1 and seen == [(i, i == nb - 1) for i in range(nb)], seen
    for p, w in zip(inner.parameters(), mean):
        np.testing.assert_allclose(p.grad.numpy(), w * n, rtol=1e-5, atol=1e-6)
    expect_raise(RuntimeError, "register_comm_hook or register_builtin_comm_hook can only be "
                               "called once.", ddp.register_comm_hook, None, summing)
    ddp2, _ = ddp_grads(rank, n)
    expect_raise(TypeError, "Communication hook must be callable.", ddp2.register_comm_hook,
                 None, 3)
    expect_raise(NotImplementedError, "ember does not implement torch.distributed.algorithms."
                 "Join (uneven inputs across ranks) yet; give every rank the same number of "
                 "batches, e.g. with DistributedSampler(..., drop_last=True)", ddp2.join)
    with ddp2.join(enable=False):
        pass
    check_constructor_flags(rank, n, mean)


def check_constructor_flags(rank, n, mean):
    """gradient_as_bucket_view and static_graph (with a parameter forward never uses) give the
    plain result; the grads are then views of DDP's buckets."""
    from ember.nn.parallel import DistributedDataParallel as DDP
    for flags in ({"gradient_as_bucket_view": True}, {"static_graph": True}):
        inner = model()
        if "static_graph" in flags:
            inner.spare = ember.nn.Parameter(ember.zeros(3))  # never used by forward
        ddp = DDP(inner, **flags)
        opt = ember.optim.SGD(ddp.parameters(), lr=0.0)
        x, y = batch()
        share = BATCH // n
        sl = slice(rank * share, (rank + 1) * share)
        for _ in range(2):  # the second iteration reuses the buckets (and the views)
            opt.zero_grad()
            ember.nn.functional.mse_loss(ddp(x[sl]), y[sl]).backward()
        own = [p for name, p in inner.named_parameters() if name != "spare"]
        for p, w in zip(own, mean):
            np.testing.assert_allclose(p.grad.numpy(), w, rtol=1e-5, atol=1e-6)
        if "static_graph" in flags:
            assert inner.spare.grad is None
        flat = [b.flat for b in ddp._buckets]
        views = [any(np.shares_memory(p.grad.numpy(), f) for f in flat)
                 for p in own]
        assert all(views) if ddp.gradient_as_bucket_view else not any(views), (flags, views)


def expect_raise(kind, text, fn, *args):
    try:
        fn(*args)
    except kind as e:
        assert str(e) == text, str(e)
    else:
        raise AssertionError(f"{fn} must raise {kind.__name__}")


def run(rank, n, hooks):
    assert (dist.get_rank(), dist.get_world_size(), dist.get_backend()) == (rank, n, "gloo")
    check_all_reduce(rank, n)
    check_ddp(rank, n)
    if hooks:
        check_hooks(rank, n)
    dist.barrier()
    dist.destroy_process_group()
    sys.stdout.write(f"ok {rank}\n")
    sys.stdout.flush()


def spawned(rank, n):
    dist.init_process_group("gloo", rank=rank, world_size=n)
    run(rank, n, hooks=True)


def main(argv):
    mode = argv[0]
    if mode == "env":
        dist.init_process_group("gloo")
        run(int(os.environ["RANK"]), int(os.environ["WORLD_SIZE"]), hooks=False)
    elif mode == "spawn":
        n, port = int(argv[1]), argv[2]
        os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=port)
        ember.multiprocessing.spawn(spawned, args=(n,), nprocs=n)
    elif mode == "tcp":
        rank, n, port, seconds = int(argv[1]), int(argv[2]), argv[3], float(argv[4])
        dist.init_process_group("gloo", init_method=f"tcp://127.0.0.1:{port}", rank=rank,
                                world_size=n, timeout=datetime.timedelta(seconds=seconds))
        run(rank, n, hooks=False)


if __name__ == "__main__":
    main(sys.argv[1:])
