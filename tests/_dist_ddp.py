"""The DistributedDataParallel part of tests/_dist_worker.py (one rank of an mpiexec job).

Trains the course CNN (benchmarks/course_models.cifar_cnn, in eval mode so that dropout draws
nothing) for STEPS SGD steps on a global batch of 64 split evenly over the ranks, and for
ACC_STEPS steps with two no_sync micro-batches per step, and saves rank 0's final parameters to
$EMBER_DDP_OUT (an .npz) for tests/test_distributed.py to compare with one process on the full
batch. Also checks the broadcast at construction, `module.` state_dict keys, bucketing,
find_unused_parameters, buffer broadcast and the unfinished-reduction error.
"""

import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import ember  # noqa: E402
import ember.distributed as dist  # noqa: E402
from ember import nn  # noqa: E402
from ember.nn.parallel import DistributedDataParallel as DDP  # noqa: E402

STEPS, ACC_STEPS, BATCH = 20, 6, 64


def batches():
    from benchmarks.course_models import random_batches
    return random_batches(STEPS, (BATCH, 3, 32, 32))


def train(rank, n, accumulate):
    from benchmarks.course_models import cifar_cnn
    ember.manual_seed(rank)  # different initial weights: DDP must broadcast rank 0's
    model = cifar_cnn(ember).eval()
    ddp = DDP(model, bucket_cap_mb=0.5)
    assert len(ddp._buckets) > 1  # 0.5 MiB buckets over ~2.2 MiB of gradients
    opt = ember.optim.SGD(ddp.parameters(), lr=0.01)
    crit = nn.CrossEntropyLoss()
    share = BATCH // n
    for x, y in list(zip(*batches()))[:ACC_STEPS if accumulate else STEPS]:
        x, y = x[rank * share:(rank + 1) * share], y[rank * share:(rank + 1) * share]
        opt.zero_grad()
        if accumulate:
            half = share // 2
            with ddp.no_sync():
                (crit(ddp(ember.from_numpy(x[:half])), ember.from_numpy(y[:half])) / 2).backward()
            (crit(ddp(ember.from_numpy(x[half:])), ember.from_numpy(y[half:])) / 2).backward()
        else:
            crit(ddp(ember.from_numpy(x)), ember.from_numpy(y)).backward()
        opt.step()
    return ddp


def check_same_everywhere(model):
    for name, p in model.state_dict().items():
        every = [ember.zeros_like(p) for _ in range(dist.get_world_size())]
        dist.all_gather(every, p)
        assert all(ember.equal(e, p) for e in every), f"{name} differs between ranks"


def part_ddp(rank, n):
    out = {}
    for accumulate in (False, True):
        ddp = train(rank, n, accumulate)
        check_same_everywhere(ddp)
        keys = list(ddp.state_dict())
        assert keys[0] == "module.conv1.weight" and all(k.startswith("module.") for k in keys)
        out.update({f"{accumulate}/{k}": v.numpy() for k, v in ddp.module.state_dict().items()})
    if rank == 0 and os.environ.get("EMBER_DDP_OUT"):
        np.savez(os.environ["EMBER_DDP_OUT"], **out)
    check_unused(rank, n)
    check_buffers(rank, n)


class Branchy(nn.Module):
    def __init__(self):
        super().__init__()
        self.a, self.b, self.never = nn.Linear(3, 2), nn.Linear(3, 2), nn.Linear(3, 2)

    def forward(self, x, use_b):
        return self.a(x) + (self.b(x) if use_b else 0)


def check_unused(rank, n):
    ember.manual_seed(0)
    m = Branchy()
    ddp = DDP(m, find_unused_parameters=True)
    x = ember.ones(4, 3) * (rank + 1)
    ddp(x, use_b=rank == 0).sum().backward()  # b is used on rank 0 only, `never` nowhere
    assert m.never.weight.grad is None, "a parameter unused everywhere keeps grad None"
    want_b = ember.full((2, 3), 4.0 / n)  # rank 0's grad, averaged
    assert ember.allclose(m.b.weight.grad, want_b), m.b.weight.grad
    want_a = ember.full((2, 3), 4.0 * sum(r + 1 for r in range(n)) / n)
    assert ember.allclose(m.a.weight.grad, want_a), m.a.weight.grad
    # without find_unused_parameters, the next forward refuses (torch's error)
    ember.manual_seed(0)
    ddp = DDP(Branchy())
    ddp(x, use_b=False).sum().backward()
    try:
        ddp(x, use_b=False)
    except RuntimeError as e:
        assert str(e).startswith("Expected to have finished reduction in the prior iteration"), e
    else:
        raise AssertionError("an unfinished reduction must raise at the next forward")


def check_buffers(rank, n):
    ember.manual_seed(rank)
    m = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4))
    ddp = DDP(m)
    x = ember.randn(8, 3) * (rank + 1)
    ddp(x).sum().backward()  # each rank's running stats follow its own data
    before = [ember.zeros(4) for _ in range(n)]
    dist.all_gather(before, m[1].running_mean)
    assert n == 1 or not ember.equal(before[0], before[1])
    ddp.eval()
    with ember.no_grad():
        ddp(x)  # broadcasts rank 0's buffers first; eval mode leaves them as they are
    assert ember.equal(m[1].running_mean, before[0])
    check_same_everywhere(m)
