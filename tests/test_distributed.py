"""ember.distributed on MPI: the process-group API in this process (a world of one), and the
collectives and DistributedDataParallel on 2 and 4 local ranks (`mpiexec -n N python
tests/_dist_worker.py PART...`, one launch per world size; each rank checks every collective,
and SyncBatchNorm, against a single-process computation, see tests/_dist_worker.py and
tests/_dist_ddp.py), and `ember launch` (tests at the end).

DDP equivalence: the course CNN trained 20 SGD steps on 2 ranks (each half of a global batch of
64; and 6 steps with no_sync gradient accumulation over two micro-batches) must give one
process's parameters on the full batch to within 2e-6 absolute + 1e-4 relative: the two runs
add the same float32 products in a different order (two half-batch means averaged against one
mean of 64), which leaves differences of a few float32 ulps per step; 20 steps of SGD carry
them along without growth.
"""

import datetime
import os
import shutil
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

import ember

pytest.importorskip("mpi4py", reason="mpi4py (pip install ember[distributed]) is not installed")

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
dist = ember.distributed


def _mpiexec():
    found = shutil.which("mpiexec", path=os.path.dirname(sys.executable)) or \
        shutil.which("mpiexec")
    if found is None:
        pytest.skip("NO MPI LAUNCHER: mpiexec is not installed (apt-get install mpich, or "
                    "pip install mpich); the multi-process tests of ember.distributed did not run")
    return found


def _launch(n, *parts, env=None, timeout=120):
    from ember.distributed._launcher import mpiexec_command
    cmd = mpiexec_command(_mpiexec(), n, [sys.executable, os.path.join(HERE, "_dist_worker.py"),
                                          *parts])
    full = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1",
                PYTHONPATH=os.path.join(ROOT, "src"), **(env or {}))
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=full,
                          cwd=ROOT)


def _reference_cnn():
    """One process, the full batch of 64, the same steps as the ranks: the parameters after 6
    steps and after 20."""
    from benchmarks.course_models import cifar_cnn, random_batches
    ember.manual_seed(0)
    model = cifar_cnn(ember).eval()
    opt = ember.optim.SGD(model.parameters(), lr=0.01)
    crit = ember.nn.CrossEntropyLoss()
    snapshots = {}
    with _one_blas_thread():  # as the ranks: on a busy machine BLAS threads only fight
        for step, (x, y) in enumerate(zip(*random_batches(20, (64, 3, 32, 32))), 1):
            opt.zero_grad()
            crit(model(ember.from_numpy(x)), ember.from_numpy(y)).backward()
            opt.step()
            if step in (6, 20):
                snapshots[step] = {k: v.numpy().copy() for k, v in model.state_dict().items()}
    return snapshots


def _one_blas_thread():
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        import contextlib
        return contextlib.nullcontext()
    return threadpool_limits(1)


def test_two_ranks_collectives_and_ddp(tmp_path):
    out = tmp_path / "ddp.npz"
    r = _launch(2, "reduce", "move", "p2p", "objects", "groups", "syncbn", "ddp",
                env={"EMBER_DDP_OUT": str(out)})
    assert r.returncode == 0, r.stdout + r.stderr
    assert r.stdout.split() == ("ok reduce ok move ok p2p ok objects ok groups ok syncbn "
                                "ok ddp").split()
    saved = np.load(out)
    reference = _reference_cnn()
    for accumulate in (False, True):
        for k, v in reference[6 if accumulate else 20].items():
            got = saved[f"{accumulate}/{k}"]
            np.testing.assert_allclose(got, v, rtol=1e-4, atol=2e-6,
                                       err_msg=f"{k} (no_sync accumulation: {accumulate})")


def test_four_ranks_collectives():
    r = _launch(4, "reduce", "move", "p2p", "objects", "groups", "syncbn")
    assert r.returncode == 0, r.stdout + r.stderr
    assert r.stdout.split() == "ok reduce ok move ok p2p ok objects ok groups ok syncbn".split()


def test_a_failing_rank_stops_the_job():
    start = time.monotonic()
    r = _launch(2, "fail", timeout=60)
    assert r.returncode != 0
    assert time.monotonic() - start < 20
    assert "RuntimeError: rank 1 fails on purpose" in r.stderr, r.stderr
    assert "[ember.distributed] rank 1 failed (RuntimeError); stopping all ranks" in r.stderr
    deadline = time.monotonic() + 10  # the launcher's kill signal may still be on its way
    while _workers("fail") and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _workers("fail") == [], "a rank outlived the job"


def _workers(part):
    """The pids of this machine's processes running tests/_dist_worker.py `part`."""
    if not os.path.isdir("/proc"):
        return []
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                args = f.read().split(b"\0")
        except OSError:
            continue
        if any(a.endswith(b"_dist_worker.py") for a in args) and part.encode() in args:
            found.append(int(pid))
    return found


def test_import_ember_does_not_import_mpi4py():
    code = ("import sys, ember; d = ember.distributed; assert d.is_available(); "
            "assert 'mpi4py' not in sys.modules, 'mpi4py imported'")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT,
                   env=dict(os.environ, PYTHONPATH=os.path.join(ROOT, "src")))


# ---------------------------------------------------------------- in this process: a world of one
UNINIT = ("Default process group has not been initialized, please make sure to call "
          "init_process_group.")


@pytest.mark.parametrize("call", [
    lambda: dist.get_rank(), lambda: dist.get_world_size(), lambda: dist.get_backend(),
    lambda: dist.barrier(), lambda: dist.all_reduce(ember.ones(2)),
    lambda: dist.broadcast(ember.ones(2), src=0), lambda: dist.new_group([0])])
def test_before_init(call):
    assert not dist.is_initialized()
    with pytest.raises(ValueError) as info:
        call()
    assert str(info.value) == UNINIT
    with pytest.raises(AssertionError, match="^Process group cannot be None$"):
        dist.destroy_process_group()


@pytest.fixture
def world_of_one(monkeypatch):
    for k, v in dict(RANK="0", WORLD_SIZE="1", MASTER_ADDR="127.0.0.1",
                     MASTER_PORT="29500").items():
        monkeypatch.setenv(k, v)
    dist.init_process_group("gloo")
    yield
    dist.destroy_process_group()


def test_init_errors(monkeypatch):
    monkeypatch.delenv("RANK", raising=False)
    with pytest.raises(ValueError, match=r"^Error initializing torch.distributed using env:// "
                                         r"rendezvous: environment variable RANK expected, but "
                                         r"not set$"):
        dist.init_process_group("gloo")
    with pytest.raises(AssertionError, match="^Unknown backend type bogus$"):
        dist.init_process_group("bogus")
    if not ember.cuda.is_available():
        with pytest.raises(RuntimeError, match="^Distributed package doesn't have NCCL built "
                                               "in$"):
            dist.init_process_group("nccl")
    monkeypatch.setenv("RANK", "0")
    monkeypatch.setenv("WORLD_SIZE", "2")
    monkeypatch.setenv("MASTER_ADDR", "127.0.0.1")
    monkeypatch.setenv("MASTER_PORT", "29500")
    # no launcher: rank 0 waits at MASTER_ADDR:MASTER_PORT (tests/test_distributed_rendezvous.py)
    with pytest.raises(RuntimeError, match=r"^ember.distributed rendezvous: timed out after "
                                           r"0:00:00.200000 waiting for rank\(s\) \[1\]"):
        dist.init_process_group("gloo", timeout=datetime.timedelta(seconds=0.2))
    assert not dist.is_initialized()


def test_world_of_one(world_of_one):
    assert (dist.get_rank(), dist.get_world_size(), dist.get_backend()) == (0, 1, "gloo")
    with pytest.raises(ValueError, match="^trying to initialize the default process group "
                                         "twice!$"):
        dist.init_process_group("gloo")
    x = ember.arange(6.0).reshape(2, 3).t()
    work = dist.all_reduce(x, op=dist.ReduceOp.AVG, async_op=True)
    assert work.wait() is True and work.is_completed()
    assert ember.equal(x, ember.arange(6.0).reshape(2, 3).t())
    with pytest.raises(RuntimeError, match="^result type Float can't be cast to the desired "
                                           "output type Long$"):
        dist.all_reduce(ember.ones(2, dtype=ember.int64), op=dist.ReduceOp.AVG)
    with pytest.raises(ValueError, match=r"^all_reduce does not support RedOpType.MAX on "
                                         r"complex tensors$"):
        dist.all_reduce(ember.ones(2, dtype=ember.complex64), op=dist.ReduceOp.MAX)
    with pytest.raises(TypeError, match="Expected parameter `tensor` of type torch.Tensor"):
        dist.all_reduce([ember.ones(2)])
    with pytest.raises(ValueError, match="^Invalid destination rank: destination rank should "
                                         "not be the same as the rank of the current process.$"):
        dist.send(ember.ones(2), dst=0)
    with pytest.raises(ValueError, match="^Argument ``gather_list`` must be specified on "
                                         "destination rank.$"):
        dist.gather(ember.ones(2), None, dst=0)
    with pytest.raises(ValueError, match="^the new group's world size should be less or equal "
                                         "to the world size set by init_process_group$"):
        dist.new_group([0, 1])
    objs = [None]
    dist.all_gather_object(objs, {"a": 1})
    assert objs == [{"a": 1}]
    assert dist.group.WORLD is dist.GroupMember.WORLD


def test_reduce_op_names():
    from oracle import torch
    if torch is None:
        pytest.skip("torch (the oracle) is not installed")
    import torch.distributed as tdist
    for name in ("SUM", "AVG", "PRODUCT", "MIN", "MAX", "BAND", "BOR", "BXOR"):
        e, t = getattr(dist.ReduceOp, name), getattr(tdist.ReduceOp, name)
        assert (str(e), repr(e), int(e)) == (str(t), repr(t), int(t.value))


def test_ddp_refusals(world_of_one):
    DDP = ember.nn.parallel.DistributedDataParallel
    with pytest.raises(NotImplementedError, match=r"^ember does not implement torch.nn.parallel."
                                                  r"DistributedDataParallel\("
                                                  r"skip_all_reduce_unused_params=True\) yet$"):
        DDP(ember.nn.Linear(2, 2), skip_all_reduce_unused_params=True)
    with pytest.raises(NotImplementedError, match=r"\(gradient_as_bucket_view=True\) yet$"):
        DDP(ember.nn.Linear(2, 2).half(), gradient_as_bucket_view=True)
    with pytest.warns(FutureWarning, match="^The `check_reduction` argument in "
                                           "`DistributedDataParallel` module is deprecated. "
                                           "Please avoid using it.$"):
        DDP(ember.nn.Linear(2, 2), check_reduction=True)
    with pytest.raises(RuntimeError, match="^DistributedDataParallel is not needed when a "
                                           "module doesn't have any parameter that requires a "
                                           "gradient.$"):
        DDP(ember.nn.Linear(2, 2).requires_grad_(False))
    m = DDP(ember.nn.Linear(2, 2))
    assert list(m.state_dict()) == ["module.weight", "module.bias"]
    x = ember.ones(3, 2)
    m(x).sum().backward()
    lin = ember.nn.Linear(2, 2)
    lin.load_state_dict(m.module.state_dict())
    lin(x).sum().backward()
    assert ember.equal(m.module.weight.grad, lin.weight.grad)  # a world of one: grads unchanged


# ---------------------------------------------------------------- ember launch
def _ember_launch(*args, cwd=ROOT):
    _mpiexec()
    env = dict(os.environ, PYTHONPATH=os.path.join(ROOT, "src"))
    # its own process group: on a timeout the ranks (grandchildren, which hold the pipes open)
    # are killed too, so a stuck MPI job fails the test instead of hanging the suite
    p = subprocess.Popen([sys.executable, "-m", "ember", "launch", *args], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True, env=env, cwd=cwd,
                         start_new_session=True)
    try:
        out, err = p.communicate(timeout=120)
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, signal.SIGKILL)
        out, err = p.communicate()
        raise AssertionError(f"ember launch {' '.join(args)} still ran after 120 s:\n{out}{err}")
    return subprocess.CompletedProcess(p.args, p.returncode, out, err)


def test_launch_example_ddp_mnist(tmp_path):
    r = _ember_launch("--nproc-per-node", "2", "examples/ddp_mnist.py", "--epochs", "1",
                      "--data", str(tmp_path))
    assert r.returncode == 0, r.stdout + r.stderr
    assert "epoch 1: training loss" in r.stdout and "(2 ranks)" in r.stdout, r.stdout


TORCH_SCRIPT = """
import os, sys
import torch
import torch.distributed as dist
dist.init_process_group("gloo")
t = torch.tensor([float(dist.get_rank() + 1)])
dist.all_reduce(t)
env = " ".join(os.environ[k] for k in ("RANK", "LOCAL_RANK", "WORLD_SIZE"))
sys.stdout.write(f"rank {env} {t.item()} {sys.argv[1:]}\\n")  # one write: lines stay whole
sys.stdout.flush()
if sys.argv[1:] == ["raise"] and dist.get_rank() == 1:
    raise ValueError("boom on rank 1")
if sys.argv[1:] == ["exit"] and dist.get_rank() == 0:
    sys.exit(3)
dist.barrier()
dist.destroy_process_group()
"""


def test_launch_runs_torch_scripts_and_stops_on_failure(tmp_path):
    script = tmp_path / "job.py"
    script.write_text(TORCH_SCRIPT)
    r = _ember_launch("--nproc-per-node", "2", str(script), "--lr", "3")
    assert r.returncode == 0, r.stdout + r.stderr
    assert sorted(r.stdout.splitlines()) == [
        "rank 0 0 2 3.0 ['--lr', '3']", "rank 1 1 2 3.0 ['--lr', '3']"]
    start = time.monotonic()
    r = _ember_launch("--nproc-per-node", "2", str(script), "raise")
    assert r.returncode == 1 and time.monotonic() - start < 20
    assert 'raise ValueError("boom on rank 1")' in r.stderr, r.stderr
    assert "[ember launch] rank 1 failed (exit status 1); stopping all ranks" in r.stderr
    r = _ember_launch("--nproc-per-node", "2", str(script), "exit")
    assert r.returncode == 3, r.stdout + r.stderr
    assert "[ember launch] rank 0 failed (exit status 3); stopping all ranks" in r.stderr


def test_launch_usage_errors(capsys):
    from ember.distributed._launcher import launch
    assert launch(["--nnodes", "2", "x.py"]) == 2
    assert "--nnodes > 1 needs --hostfile FILE" in capsys.readouterr().err
    with pytest.raises(SystemExit, match="--nproc-per-node must be a positive number, got '0'"):
        launch(["--nproc-per-node", "0", "x.py"])
