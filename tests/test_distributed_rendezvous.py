"""ember.distributed in processes that no MPI launcher started: N plain Python processes with
RANK / WORLD_SIZE / MASTER_ADDR / MASTER_PORT set, and ember.multiprocessing.spawn with
init_process_group("gloo", rank=, world_size=) as in torch's DDP tutorial (see
src/ember/distributed/_rendezvous.py). The ranks (tests/_dist_rendezvous.py) check all_reduce,
a DDP step and DDP's communication hooks against a single-process computation; wrong,
duplicate and missing ranks must fail with a clear error within the timeout.
"""

import datetime
import os
import socket
import subprocess
import sys
import time

import pytest

import ember

pytest.importorskip("mpi4py", reason="mpi4py (pip install ember[distributed]) is not installed")

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
WORKER = os.path.join(HERE, "_dist_rendezvous.py")
dist = ember.distributed


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _env(**extra):
    return dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1",
                PYTHONPATH=os.path.join(ROOT, "src"), **extra)


def _start(args, **env):
    return subprocess.Popen([sys.executable, WORKER, *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=_env(**env), cwd=ROOT)


def _finish(procs, timeout=90):
    out = []
    for p in procs:
        try:
            so, se = p.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            for q in procs:
                q.kill()
            raise
        out.append((p.returncode, so, se))
    return out


def test_plain_processes_with_env_variables():
    port = str(_free_port())
    procs = [_start(["env"], RANK=str(r), WORLD_SIZE="3", MASTER_ADDR="127.0.0.1",
                    MASTER_PORT=port) for r in (2, 0, 1)]  # any start order
    for (rc, so, se), r in zip(_finish(procs), (2, 0, 1)):
        assert rc == 0 and so == f"ok {r}\n", so + se


def test_multiprocessing_spawn_ddp_and_comm_hooks():
    (rc, so, se), = _finish([_start(["spawn", "2", str(_free_port())])])
    assert rc == 0 and sorted(so.split("\n")) == ["", "ok 0", "ok 1"], so + se


def test_wrong_duplicate_and_missing_ranks_fail_within_the_timeout():
    port = str(_free_port())
    start = time.monotonic()
    procs = [_start(["tcp", *args, port, "2"]) for args in
             (("0", "3"), ("1", "3"), ("1", "3"), ("2", "4"), ("5", "3"))]
    results = _finish(procs, timeout=30)
    assert time.monotonic() - start < 15
    assert all(rc != 0 for rc, _, _ in results)
    last = [se.strip().splitlines()[-1] for _, _, se in results]
    pre = "RuntimeError: ember.distributed rendezvous: "
    assert last[0] == (pre + f"timed out after 0:00:02 waiting for rank(s) [2] to join at "
                             f"127.0.0.1:{port} (world_size=3)")
    assert sorted(last[1:3]) == sorted([
        pre + "rank 1 joined twice (two processes were given RANK=1)",
        pre + "rank(s) [2] did not join within 0:00:02"])
    assert last[3] == pre + "rank 2 asked for world_size=4 but rank 0 has 3"
    assert last[4] == pre + "rank 5 is out of range for world_size=3"


def test_a_rank_that_raises_stops_the_others():
    port = str(_free_port())
    code = ("import sys, ember, ember.distributed as d; r = int(sys.argv[1]); "
            "d.init_process_group('gloo', init_method='tcp://127.0.0.1:" + port + "', rank=r, "
            "world_size=2)\nif r == 1: raise ValueError('rank 1 fails')\n"
            "d.all_reduce(ember.ones(1)); print('survived')")
    start = time.monotonic()
    procs = [subprocess.Popen([sys.executable, "-c", code, str(r)], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True, env=_env()) for r in (0, 1)]
    (rc0, so0, _), (rc1, _, se1) = _finish(procs, timeout=30)
    assert time.monotonic() - start < 15
    assert rc0 != 0 and rc1 != 0 and "survived" not in so0
    assert "ValueError: rank 1 fails" in se1
    assert "[ember.distributed] rank 1 failed (ValueError); stopping all ranks" in se1


def test_tcp_init_method_errors(monkeypatch):
    for name in ("RANK", "WORLD_SIZE", "PMI_RANK", "PMI_SIZE"):
        monkeypatch.delenv(name, raising=False)
    pre = "^Error initializing torch.distributed using tcp:// rendezvous: "
    with pytest.raises(ValueError, match=pre + "rank parameter missing$"):
        dist.init_process_group("gloo", init_method="tcp://127.0.0.1:23456", world_size=2)
    with pytest.raises(ValueError, match=pre + "world size parameter missing$"):
        dist.init_process_group("gloo", init_method="tcp://127.0.0.1:23456", rank=0)
    with pytest.raises(ValueError, match=pre + "port number missing$"):
        dist.init_process_group("gloo", init_method="tcp://127.0.0.1", rank=0, world_size=2)
    port = _free_port()
    start = time.monotonic()
    with pytest.raises(RuntimeError, match=r"^ember.distributed rendezvous: timed out after "
                                           r"0:00:00.300000 waiting for rank\(s\) \[1\] to join "
                                           rf"at 127.0.0.1:{port} \(world_size=2\)$"):
        dist.init_process_group("gloo", init_method=f"tcp://127.0.0.1:{port}", rank=0,
                                world_size=2, timeout=datetime.timedelta(seconds=0.3))
    assert time.monotonic() - start < 5 and not dist.is_initialized()
