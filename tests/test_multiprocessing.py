"""ember.multiprocessing against torch.multiprocessing: shared-memory tensors (share_memory_,
Queue, spawned arguments), Hogwild training, spawn/start_processes and their exceptions.

Process tests are few and small: a fork costs little, a spawn about a second per process."""
import contextlib
import gc
import importlib.util
import os
import sys

import numpy as np
import pytest

import ember
import ember.multiprocessing as emp

# not oracle's marker: importing oracle imports torch, and spawned children import this module
requires_torch = pytest.mark.skipif(importlib.util.find_spec("torch") is None,
                                    reason="torch (the oracle) is not installed")
linux = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="fork and /proc")


def _torch():
    """torch, with torch.multiprocessing loaded (which registers torch's reductions)."""
    pytest.importorskip("torch.multiprocessing")
    return sys.modules["torch"]


# ---- child functions (top level: spawn pickles them by reference) ----
def _write_child(t, value):
    t[0] = value


def _queue_child(q_in, q_out):
    t = q_in.get()
    ok = t.is_shared()
    t[0] = 42.0  # seen by the parent: the same memory
    q_out.put((ok, ember.arange(4.0) * 10))  # made here, shared back to the parent
    q_in.get()  # wait until the parent has received it


def _train(rank, model, x, y, steps, marks=None):
    if marks is not None:
        marks[rank] = rank + 1.0  # fn gets its process index first
    opt = ember.optim.SGD(model.parameters(), lr=0.1)
    for _ in range(steps):
        opt.zero_grad()
        loss = ember.nn.functional.mse_loss(model(x[rank]), y[rank])
        loss.backward()
        opt.step()


def _fail(rank, lib_name):
    if rank == 1:
        raise ValueError(f"boom from {lib_name}")


def _exit(rank, code):
    sys.exit(code)


def _killed(rank):
    import signal
    os.kill(os.getpid(), signal.SIGKILL)


# ---- share_memory_ / is_shared ----
@requires_torch
def test_share_memory_matches_torch():
    torch = _torch()
    for lib in (torch, ember):
        base = lib.arange(12.0).reshape(3, 4)
        t = base[1:, 1::2]
        r = [t.is_shared(), base.is_shared()]
        assert t.share_memory_() is t
        r += [t.is_shared(), base.is_shared(), t.storage_offset(), t.stride(), t.tolist()]
        t[0, 0] = -1.0  # still a view of base
        later = base[2]  # a view taken after the move shares too
        r += [base.tolist(), later.is_shared(), lib.empty(0).share_memory_().is_shared()]
        m = lib.nn.Sequential(lib.nn.Linear(3, 2), lib.nn.BatchNorm1d(2))
        m[0].weight.grad = lib.ones(2, 3)
        row = m[0].weight.detach()[1]  # a view of a parameter moves with it
        r += [m.share_memory() is m, [p.is_shared() for p in m.parameters()],
              m[0].weight.grad.is_shared(), m[1].running_mean.is_shared(), row.is_shared()]
        with lib.no_grad():
            m[0].weight[1, 0] = 7.0
        r += [row[0].item()]
        meta = lib.empty(2, device="meta")
        with pytest.raises(RuntimeError) as e:
            meta.share_memory_()
        r += [meta.is_shared(), str(e.value)]
        if lib is torch:
            expect = r
    assert r == expect


@linux
def test_fork_child_writes_shared_memory():
    ctx = emp.get_context("fork")
    shared, private = ember.zeros(3).share_memory_(), ember.zeros(3)
    for t in (shared, private):
        p = ctx.Process(target=_write_child, args=(t, 7.0))
        p.start()
        p.join()
        assert p.exitcode == 0
    assert shared.tolist() == [7.0, 0.0, 0.0]  # MAP_SHARED memory: the child's write is here
    assert private.tolist() == [0.0, 0.0, 0.0]  # a fork's private copy, as torch's


@linux
def test_queue_moves_tensors_to_shared_memory():
    ctx = emp.get_context("fork")
    q_in, q_out = ctx.Queue(), ctx.Queue()
    t = ember.zeros(5)[1:]  # a view: the whole storage travels, offset and all
    assert not t.is_shared()
    p = ctx.Process(target=_queue_child, args=(q_in, q_out))
    p.start()
    q_in.put(t)
    ok, back = q_out.get(timeout=30)
    q_in.put(None)
    p.join(30)
    assert ok and p.exitcode == 0
    assert t.is_shared()  # pickling for another process moved the sender's storage, as torch's
    assert t.tolist() == [42.0, 0.0, 0.0, 0.0]  # the child wrote into our memory
    assert back.is_shared() and back.tolist() == [0.0, 10.0, 20.0, 30.0]


@requires_torch
def test_pickling_refuses_non_leaf_like_torch():
    torch = _torch()
    from multiprocessing.reduction import ForkingPickler
    errs = []
    for lib in (torch, ember):
        y = lib.ones(2, requires_grad=True) * 2
        with pytest.raises(RuntimeError) as e:
            ForkingPickler.dumps(y)
        errs.append(str(e.value))
    assert errs[0] == errs[1]


@linux
@pytest.mark.parametrize("method", ["fork", "spawn"])
def test_hogwild(method):
    ember.manual_seed(0)
    model = ember.nn.Linear(4, 1)
    model.share_memory()
    before = [p.detach().clone() for p in model.parameters()]
    x, y = ember.randn(2, 8, 4), ember.randn(2, 8, 1)
    marks = ember.zeros(2)  # not shared yet: passing it to a spawned child moves it
    if method == "spawn":
        assert emp.spawn(_train, args=(model, x, y, 5, marks), nprocs=2) is None
        assert marks.tolist() == [1.0, 2.0] and marks.is_shared()
    else:
        emp.start_processes(_train, args=(model, x, y, 5), nprocs=2, start_method=method)
    after = list(model.parameters())
    assert all(p.is_shared() for p in after)
    assert all(not ember.equal(a, b) for a, b in zip(after, before))  # the children trained us
    # the shared parameters still train in the parent
    _train(0, model, x, y, 1)


def _errors(lib):
    from multiprocessing import get_start_method  # noqa: F401
    mp = lib.multiprocessing
    out = []
    with pytest.raises(mp.ProcessRaisedException) as e:
        mp.start_processes(_fail, args=(lib.__name__,), nprocs=2, start_method="fork")
    lines = e.value.msg.splitlines()
    out += [lines[:3], lines[-1], e.value.error_index, type(e.value).__module__.split(".", 1)[1]]
    with pytest.raises(mp.ProcessExitedException) as e:
        mp.start_processes(_exit, args=(3,), nprocs=1, start_method="fork")
    out += [str(e.value), e.value.exit_code, e.value.error_index]
    with pytest.raises(mp.ProcessExitedException) as e:
        mp.start_processes(_killed, nprocs=1, start_method="fork")
    out += [str(e.value), e.value.exit_code, e.value.signal_name]
    ctx = mp.start_processes(_exit, args=(0,), nprocs=1, join=False, start_method="fork")
    out += [type(ctx).__name__, len(ctx.pids())]
    while not ctx.join():
        pass
    out += [ctx.join()]
    return out


@linux
@requires_torch
def test_spawn_errors_match_torch():
    torch = _torch()
    got, want = _errors(ember), _errors(torch)
    assert got[1] == "ValueError: boom from ember" and want[1] == "ValueError: boom from torch"
    got[1] = want[1] = None
    assert got == want
    assert got[0][:3] == ["", "", "-- Process 1 terminated with the following error:"]


def _settles(get, want, seconds=10.0):
    """Whether get() comes to equal want: multiprocessing's resource sharer hands a storage's
    descriptor over, and closes its copy, in a thread of its own."""
    import time
    deadline = time.monotonic() + seconds
    while get() != want:
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def _shm_names():
    gc.collect()
    return sorted(f for f in os.listdir("/dev/shm") if f.startswith("ember_"))


@linux
@pytest.mark.parametrize("strategy", ["file_descriptor", "file_system"])
def test_no_leaked_shared_memory(strategy):
    def fds():  # this process's descriptors of shared storages (memfd or /dev/shm files)
        gc.collect()
        links = []
        for f in os.listdir("/proc/self/fd"):
            with contextlib.suppress(OSError):
                links.append(os.readlink(f"/proc/self/fd/{f}"))
        return [x for x in links if "ember" in x]

    names, start = _shm_names(), fds()
    emp.set_sharing_strategy(strategy)
    try:
        ctx = emp.get_context("fork")
        q_in, q_out = ctx.Queue(), ctx.Queue()
        p = ctx.Process(target=_queue_child, args=(q_in, q_out))
        p.start()
        t = ember.ones(1000)
        q_in.put(t)
        ok, back = q_out.get(timeout=30)
        q_in.put(None)
        p.join(30)
        assert ok and p.exitcode == 0 and t[0].item() == 42.0 and back.is_shared()
        alive = ember.randn(100).share_memory_()
        # the storages sent, received and made here: the mapping's own descriptor, and for
        # anonymous storages the one kept to send them on
        want = len(start) + (3 if strategy == "file_system" else 6)
        assert _settles(lambda: len(fds()), want)
        if strategy == "file_system":  # named files, there while their holders live
            assert _settles(lambda: len(_shm_names()), len(names) + 3)
        else:  # anonymous memory: nothing has a name
            assert _shm_names() == names
        for q in (q_in, q_out):
            q.close()
            q.join_thread()
        del back, q_in, q_out, t, alive
    finally:
        emp.set_sharing_strategy("file_descriptor")
    assert _settles(_shm_names, names)  # the last holder removed each name
    assert _settles(fds, start)  # descriptors go with their storages


@requires_torch
def test_namespace_and_sharing_strategy_match_torch():
    torch = _torch()
    import torch.multiprocessing as tmp
    assert set(tmp.__all__) == set(emp.__all__)
    assert emp.get_sharing_strategy() == tmp.get_sharing_strategy()
    assert emp.get_all_sharing_strategies() == tmp.get_all_sharing_strategies()
    msgs = []
    for mp in (tmp, emp):
        with pytest.raises(AssertionError) as e:
            mp.set_sharing_strategy("bogus")
        msgs.append(str(e.value))
    assert msgs[0] == msgs[1]
    for name in ("Process", "Queue", "SimpleQueue", "Pool", "Manager", "Event", "Lock",
                 "get_context", "set_start_method", "get_start_method", "cpu_count"):
        assert getattr(emp, name) is getattr(tmp, name)
    assert emp.cpu_count() == tmp.cpu_count() and torch is not None


def test_spawn_submodule_names():
    from ember.multiprocessing.spawn import ProcessExitedException, ProcessRaisedException
    e = ProcessExitedException("m", 1, 2, 3, "SIGTERM")
    import pickle
    r = pickle.loads(pickle.dumps(e))
    assert (r.msg, r.error_index, r.error_pid, r.exit_code, r.signal_name) == ("m", 1, 2, 3,
                                                                               "SIGTERM")
    assert issubclass(ProcessRaisedException, emp.spawn.__globals__["ProcessException"])
    assert np.asarray(ember.zeros(1).share_memory_()).base is not None


_HOGWILD_SCRIPT = '''
import torch
import torch.multiprocessing as mp


def train(rank, model, seen):
    seen[rank] = float(torch.__name__ == "ember")  # the child imports torch as ember too
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    loss = model(torch.ones(8, 4)).pow(2).mean()
    opt.zero_grad()
    loss.backward()
    opt.step()


if __name__ == "__main__":
    model = torch.nn.Linear(4, 1)
    model.share_memory()
    before = model.weight.detach().clone()
    seen = torch.zeros(1)
    mp.spawn(train, args=(model, seen), nprocs=1)
    print(torch.__name__, seen.tolist(), not torch.equal(before, model.weight))
'''


@linux
def test_ember_run_spawned_children_alias_torch(tmp_path):
    import subprocess
    script = tmp_path / "hogwild.py"
    script.write_text(_HOGWILD_SCRIPT)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    r = subprocess.run([sys.executable, "-m", "ember", "run", str(script)], cwd=tmp_path,
                       capture_output=True, text=True, timeout=120, env=env)
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == ["ember", "[1.0]", "True"]
