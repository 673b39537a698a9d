"""One rank of the multi-process tests of ember.distributed (tests/test_distributed.py starts it
with `mpiexec -n N python tests/_dist_worker.py PART...`).

Every rank builds every rank's inputs from fixed seeds, so it checks each collective's result
against a single-process computation of it. Each PART prints `ok PART` on rank 0; a failed check
raises (the test then sees a non-zero exit and the traceback).
"""

import datetime
import os
import sys
import warnings

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import ember  # noqa: E402
import ember.distributed as dist  # noqa: E402

DTYPES = ["float32", "float64", "int64"]
SHAPES = [(), (0,), (7,), (3, 5)]
OPS = ["SUM", "AVG", "PRODUCT", "MIN", "MAX"]


def data(rank, shape, dtype, seed=0):
    rng = np.random.default_rng([rank, seed, len(shape)])
    if dtype == "bool":
        return rng.random(shape) > 0.5
    if np.dtype(dtype).kind == "i":
        return rng.integers(-3, 4, shape).astype(dtype)
    return rng.uniform(-2, 2, shape).astype(dtype)


def tensor(a, noncontig=False):
    t = ember.tensor(a)
    if noncontig and t.dim() == 2:  # same values, transposed memory
        t = ember.tensor(np.ascontiguousarray(a.T)).t()
    return t


def same(name, got, want, exact):
    got = got.numpy() if isinstance(got, ember.Tensor) else np.asarray(got)
    want = np.asarray(want)
    assert got.shape == want.shape, (name, got.shape, want.shape)
    assert got.dtype == want.dtype, (name, got.dtype, want.dtype)
    if exact:
        assert np.array_equal(got, want), (name, got, want)
    else:
        np.testing.assert_allclose(got, want, rtol=2e-6 if got.dtype == np.float32 else 1e-12,
                                   atol=1e-6 if got.dtype == np.float32 else 1e-12, err_msg=name)


def reduce_np(arrays, op):
    stack = np.stack(arrays)
    if op == "SUM":
        return stack.sum(0).astype(stack.dtype)
    if op == "AVG":
        return (stack.sum(0) / len(arrays)).astype(stack.dtype)
    if op == "PRODUCT":
        return stack.prod(0).astype(stack.dtype)
    return (stack.min(0) if op == "MIN" else stack.max(0)).astype(stack.dtype)


def part_reduce(rank, n):
    for dtype in DTYPES:
        exact = dtype == "int64"
        for shape in SHAPES:
            for op in OPS:
                if op == "AVG" and exact:
                    t = tensor(data(rank, shape, dtype))
                    try:
                        dist.all_reduce(t, op=dist.ReduceOp.AVG)
                    except RuntimeError as e:
                        assert str(e) == ("result type Float can't be cast to the desired "
                                          "output type Long"), e
                    else:
                        raise AssertionError("AVG on int64 must raise")
                    continue
                inputs = [data(r, shape, dtype) for r in range(n)]
                want = reduce_np(inputs, op)
                for async_op in (False, True):
                    for noncontig in (False, True):
                        t = tensor(inputs[rank], noncontig)
                        w = dist.all_reduce(t, op=getattr(dist.ReduceOp, op), async_op=async_op)
                        if async_op:
                            assert w.wait() is True and w.is_completed()
                        else:
                            assert w is None
                        same(f"all_reduce {dtype}{shape} {op}", t, want, exact)
                t = tensor(inputs[rank])
                w = dist.reduce(t, dst=n - 1, op=getattr(dist.ReduceOp, op))
                same(f"reduce {op}", t, want if rank == n - 1 else inputs[rank], exact)
        # reduce_scatter(_tensor): each rank gets its slot's reduction
        inputs = [[data(r, (5,), dtype, seed=k) for k in range(n)] for r in range(n)]
        want = reduce_np([inputs[r][rank] for r in range(n)], "SUM")
        out = ember.zeros(5, dtype=getattr(ember, dtype))
        dist.reduce_scatter(out, [tensor(a) for a in inputs[rank]])
        same("reduce_scatter", out, want, exact)
        out = ember.zeros(5, dtype=getattr(ember, dtype))
        w = dist.reduce_scatter_tensor(out, tensor(np.concatenate(inputs[rank])), async_op=True)
        w.wait()
        same("reduce_scatter_tensor", out, want, exact)
    for dtype in ["float16", "bfloat16", "bool"]:
        dt = getattr(ember, dtype)
        inputs = [ember.tensor(data(r, (6,), "float32")).to(dt) for r in range(n)]
        t = inputs[rank].clone()
        dist.all_reduce(t, op=dist.ReduceOp.MAX)
        want = inputs[0]
        for x in inputs[1:]:
            want = ember.maximum(want, x)
        assert ember.equal(t, want), (dtype, t, want)


def part_move(rank, n):
    for dtype in DTYPES + ["float16", "bfloat16", "bool", "complex64", "uint8"]:
        for shape in SHAPES:
            def mk(r, seed=0):
                a = data(r, shape, "float64" if dtype.startswith("complex") else
                         ("float32" if dtype in ("float16", "bfloat16") else dtype), seed)
                if dtype == "uint8":
                    a = np.abs(a).astype("uint8")
                return ember.tensor(a).to(getattr(ember, dtype))
            mine = mk(rank)
            for async_op in (False, True):
                t = mine.clone()
                w = dist.broadcast(t, src=1, async_op=async_op)
                w and w.wait()
                assert ember.equal(t, mk(1)), ("broadcast", dtype, shape)
                outs = [ember.zeros_like(mine) for _ in range(n)]
                w = dist.all_gather(outs, mine, async_op=async_op)
                w and w.wait()
                assert all(ember.equal(outs[r], mk(r)) for r in range(n)), ("all_gather", dtype)
            big = ember.zeros((n,) + tuple(shape), dtype=mine.dtype)
            dist.all_gather_into_tensor(big, mine)
            assert ember.equal(big, ember.stack([mk(r) for r in range(n)])), "all_gather_into"
            glist = [ember.zeros_like(mine) for _ in range(n)] if rank == 0 else None
            dist.gather(mine, glist, dst=0)
            if rank == 0:
                assert all(ember.equal(glist[r], mk(r)) for r in range(n)), "gather"
            out = ember.zeros_like(mine)
            dist.scatter(out, [mk(0, seed=k) for k in range(n)] if rank == 0 else None, src=0)
            assert ember.equal(out, mk(0, seed=rank)), ("scatter", dtype, shape)
            ins = [mk(rank, seed=k) for k in range(n)]
            outs = [ember.zeros_like(mine) for _ in range(n)]
            dist.all_to_all(outs, ins)
            assert all(ember.equal(outs[r], mk(r, seed=rank)) for r in range(n)), "all_to_all"
    # odd, uneven all_to_all: rank r sends r + k + 1 values to rank k
    ins = [ember.full((rank + k + 1,), float(10 * rank + k)) for k in range(n)]
    outs = [ember.zeros(r + rank + 1) for r in range(n)]
    dist.all_to_all(outs, ins)
    assert all(ember.equal(outs[r], ember.full((r + rank + 1,), float(10 * r + rank)))
               for r in range(n)), "uneven all_to_all"


def part_p2p(rank, n):
    peer = (rank + 1) % n
    src = (rank - 1) % n
    for dtype in ["float32", "int64", "bfloat16"]:
        x = ember.arange(11).to(getattr(ember, dtype)) * (rank + 1)
        y = ember.zeros(11, dtype=x.dtype)
        sw = dist.isend(x, dst=peer)
        rw = dist.irecv(y, src=src)
        rw.wait()
        sw.wait()
        assert ember.equal(y, ember.arange(11).to(x.dtype) * (src + 1)), ("isend/irecv", dtype)
    if rank == 0:
        got = []
        for _ in range(n - 1):
            y = ember.zeros(3)
            got.append(dist.recv(y))  # any source: returns the sender
            assert ember.equal(y, ember.full((3,), float(dist.get_rank() + got[-1])))
        assert sorted(got) == list(range(1, n)), got
    else:
        dist.send(ember.full((3,), float(rank)), dst=0)
    try:
        dist.send(ember.ones(2), dst=rank)
    except ValueError as e:
        assert str(e) == ("Invalid destination rank: destination rank should not be the same "
                          "as the rank of the current process."), e
    else:
        raise AssertionError("send to self must raise")
    dist.barrier()
    w = dist.barrier(async_op=True)
    w.wait()
    # a timed-out wait raises and leaves the work pending; it completes when the data comes
    t = ember.zeros(2)
    if rank == 0:
        w = dist.irecv(t, src=1, tag=77)
        try:
            w.wait(timeout=datetime.timedelta(milliseconds=100))
        except RuntimeError as e:
            assert "timed out after" in str(e), e
        else:
            raise AssertionError("the wait must time out")
        assert not w.is_completed()
    dist.barrier()
    if rank == 1:
        dist.send(ember.ones(2), dst=0, tag=77)
    if rank == 0:
        assert w.wait() and ember.equal(t, ember.ones(2)) and w._source_rank() == 1


def part_objects(rank, n):
    objs = [None] * n
    dist.all_gather_object(objs, {"rank": rank, "s": "x" * rank})
    assert objs == [{"rank": r, "s": "x" * r} for r in range(n)], objs
    lst = [1, "a", {"k": (2, 3)}] if rank == 0 else [None, None, None]
    dist.broadcast_object_list(lst, src=0)
    assert lst == [1, "a", {"k": (2, 3)}], lst
    out = [None] * n if rank == 0 else None
    dist.gather_object(("r", rank), out, dst=0)
    if rank == 0:
        assert out == [("r", r) for r in range(n)], out
    got = [None]
    dist.scatter_object_list(got, [f"to{r}" for r in range(n)] if rank == 0 else None, src=0)
    assert got == [f"to{rank}"], got


def part_groups(rank, n):
    assert os.environ["RANK"] == str(rank) and os.environ["WORLD_SIZE"] == str(n)
    assert os.environ["LOCAL_RANK"] == str(rank)  # one host
    evens = list(range(0, n, 2))
    g = dist.new_group(evens)
    if rank % 2 == 0:
        assert dist.get_rank(g) == rank // 2 and dist.get_world_size(g) == len(evens)
        assert dist.get_process_group_ranks(g) == evens
        t = ember.tensor([float(rank)])
        dist.all_reduce(t, group=g)
        assert t.item() == sum(evens), t
        t = ember.tensor([float(rank)])
        dist.broadcast(t, src=evens[-1], group=g)
        assert t.item() == evens[-1]
    else:
        assert g == dist.GroupMember.NON_GROUP_MEMBER and dist.get_rank(g) == -1
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            assert dist.all_reduce(ember.ones(1), group=g) is None
        assert "does not belong to the given group" in str(caught[0].message)
    dist.barrier()


def part_syncbn(rank, n):
    """SyncBatchNorm on n ranks = BatchNorm2d on the n batches concatenated, in one process:
    outputs, input and parameter gradients (summed over the ranks) and running stats."""
    xs = [data(r, (3, 4, 5, 2), "float64", seed=5) for r in range(n)]
    cs = [data(r, (3, 4, 5, 2), "float64", seed=6) for r in range(n)]

    def bn(cls):
        ember.manual_seed(0)
        m = cls(4, momentum=0.3).double()
        ember.nn.init.uniform_(m.weight)
        ember.nn.init.uniform_(m.bias)
        return m
    sync = ember.nn.SyncBatchNorm.convert_sync_batchnorm(bn(ember.nn.BatchNorm2d))
    x = ember.tensor(xs[rank], requires_grad=True)
    y = sync(x)
    (y * ember.tensor(cs[rank])).sum().backward()
    ref = bn(ember.nn.BatchNorm2d)
    xa = ember.tensor(np.concatenate(xs), requires_grad=True)
    ya = ref(xa)
    (ya * ember.tensor(np.concatenate(cs))).sum().backward()
    rows = slice(3 * rank, 3 * (rank + 1))
    same("syncbn out", y.detach(), ya.detach()[rows].numpy(), False)
    same("syncbn grad x", x.grad, xa.grad[rows].numpy(), False)
    for name in ("weight", "bias"):
        g = getattr(sync, name).grad.clone()
        dist.all_reduce(g)
        same(f"syncbn grad {name}", g, getattr(ref, name).grad.numpy(), False)
    same("syncbn running_mean", sync.running_mean, ref.running_mean.numpy(), False)
    same("syncbn running_var", sync.running_var, ref.running_var.numpy(), False)
    sync.eval()
    same("syncbn eval", sync(x).detach(), ref.eval()(xa).detach()[rows].numpy(), False)


def part_fail(rank, n):
    if rank == n - 1:
        raise RuntimeError(f"rank {rank} fails on purpose")
    dist.barrier()  # the other ranks wait here until the job is stopped


def main():
    dist.init_process_group("gloo")
    rank, n = dist.get_rank(), dist.get_world_size()
    for part in sys.argv[1:]:
        if part == "ddp":
            from _dist_ddp import part_ddp
            part_ddp(rank, n)
        else:
            globals()["part_" + part](rank, n)
        if rank == 0:
            print("ok", part, flush=True)
    dist.destroy_process_group()


if __name__ == "__main__":
    main()
