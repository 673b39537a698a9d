"""Joining processes that no MPI launcher started (torch.multiprocessing.spawn, or RANK /
WORLD_SIZE / MASTER_ADDR / MASTER_PORT set by hand) into one MPI communicator of world_size.

Each process starts MPI as a world of one, then the worlds connect (MPI_Open_port / Comm.Accept
/ Comm.Connect) and merge, one newcomer at a time (Intercomm.Merge), and Split(key=rank) orders
the result so that rank i is the rank each process asked for. Two traps shape this file:
- MPICH names every launcher-less singleton's job "singinit", so two of them cannot connect
  ("Local and remote groups in MPI_Intercomm_create must not overlap"). Before MPI starts, each
  process therefore gets a one-process PMI server (a tiny helper process on a socketpair,
  PMI_FD, the way mpiexec hands one to its ranks) that gives its job a unique name.
- Accept and Connect block in C with no timeout. So the ranks first meet at
  MASTER_ADDR:MASTER_PORT over a small TCP exchange (rank 0 listens, the others check in with
  their rank and world size), where wrong, duplicate and missing ranks give clear errors within
  `timeout`; only a complete world goes on to MPI.
"""

import json
import os
import socket
import subprocess
import sys
import time

__all__ = []

_PREFIX = "ember.distributed rendezvous"

# The one-process PMI-1 server (the wire protocol MPICH's simple PMI client speaks): argv is the
# socket's fd and the job's name; it answers until the client finalizes or hangs up.
_PMI_SERVER = r"""
import socket, sys
sock = socket.socket(fileno=int(sys.argv[1]))
name, kvs = sys.argv[2], {}
stream = sock.makefile("rwb", buffering=0)
for line in stream:
    kv = dict(t.split("=", 1) for t in line.decode().split() if "=" in t)
    cmd = kv.get("cmd")
    if cmd == "init":
        out = "cmd=response_to_init pmi_version=1 pmi_subversion=1 rc=0"
    elif cmd == "get_maxes":
        out = "cmd=maxes kvsname_max=256 keylen_max=256 vallen_max=1024 rc=0"
    elif cmd == "get_appnum":
        out = "cmd=appnum appnum=0 rc=0"
    elif cmd == "get_my_kvsname":
        out = "cmd=my_kvsname kvsname=" + name + " rc=0"
    elif cmd == "get_universe_size":
        out = "cmd=universe_size size=1 rc=0"
    elif cmd == "barrier_in":
        out = "cmd=barrier_out rc=0"
    elif cmd == "put":
        kvs[kv.get("key")] = kv.get("value", "")
        out = "cmd=put_result rc=0"
    elif cmd == "get":
        key = kv.get("key")
        out = ("cmd=get_result rc=0 value=" + kvs[key] if key in kvs else
               "cmd=get_result rc=-1 msg=key_" + str(key) + "_not_found")
    elif cmd == "finalize":
        stream.write(b"cmd=finalize_ack rc=0\n")
        break
    else:
        out = "cmd=" + str(cmd) + " rc=-1 msg=unsupported_by_ember"
    stream.write((out + "\n").encode())
"""


def _error(msg):
    return RuntimeError(f"{_PREFIX}: {msg}")


def start_pmi(rank):
    """Gives this process, before MPI starts, its own PMI server and a unique job name."""
    if "mpi4py.MPI" in sys.modules:
        raise _error(
            "mpi4py.MPI was imported before init_process_group, so MPI already started as a "
            "plain singleton, which cannot connect to other processes; let "
            "ember.distributed import mpi4py, or start the ranks with `ember launch` / mpiexec")
    ours, theirs = socket.socketpair()
    name = f"ember_{socket.gethostname()}_{os.getpid()}_{rank}".replace("-", "_")
    subprocess.Popen([sys.executable, "-S", "-c", _PMI_SERVER, str(theirs.fileno()), name],
                     pass_fds=[theirs.fileno()], stdin=subprocess.DEVNULL, close_fds=True)
    theirs.close()
    fd = ours.detach()  # owned by MPI from now on: no Python object may close it at exit
    os.set_inheritable(fd, False)
    os.environ.update(PMI_FD=str(fd), PMI_RANK="0", PMI_SIZE="1")


_pmi_started = []  # MPI runs once per process: a later init_process_group reuses it


def _start_mpi(mpi, rank):
    if not _pmi_started:
        start_pmi(rank)
        try:
            mpi()
        finally:  # read by MPI_Init only; a child process must not think mpiexec started it
            for name in ("PMI_FD", "PMI_RANK", "PMI_SIZE"):
                os.environ.pop(name, None)
        _pmi_started.append(True)
    return mpi()


# ------------------------------------------------------------------ the TCP check-in
def _send(conn, obj):
    conn.sendall((json.dumps(obj) + "\n").encode())


def _recv(conn, deadline, what):
    data = b""
    while not data.endswith(b"\n"):
        left = deadline - time.monotonic()
        if left <= 0:
            raise _error(f"timed out waiting for {what}")
        conn.settimeout(left)
        try:
            chunk = conn.recv(4096)
        except socket.timeout:
            raise _error(f"timed out waiting for {what}") from None
        except OSError as e:
            raise _error(f"lost the connection while waiting for {what} ({e})") from None
        if not chunk:
            raise _error(f"{what}: the other side closed the connection")
        data += chunk
    return json.loads(data)


def _listen(addr, port):
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        server.bind(("", port))
    except OSError as e:
        server.close()
        raise _error(f"rank 0 cannot listen at {addr}:{port} ({e.strerror}): is another process "
                     f"already rank 0 there, or is the port taken?") from None
    server.listen(128)
    return server


def _gather(server, addr, port, world_size, deadline, timeout):
    """Rank 0: the connections of ranks 1..world_size-1, each checked, by rank."""
    joined = {}
    while len(joined) < world_size - 1:
        left = deadline - time.monotonic()
        if left <= 0:
            missing = [r for r in range(1, world_size) if r not in joined]
            for conn in joined.values():
                _send(conn, {"error": f"rank(s) {missing} did not join within {timeout}"})
            raise _error(f"timed out after {timeout} waiting for rank(s) {missing} to join at "
                         f"{addr}:{port} (world_size={world_size})")
        server.settimeout(left)
        try:
            conn, _ = server.accept()
        except socket.timeout:
            continue
        try:
            hello = _recv(conn, min(deadline, time.monotonic() + 10), "a rank's check-in")
        except RuntimeError:
            conn.close()
            continue
        rank, size = hello.get("rank"), hello.get("world_size")
        problem = None
        if size != world_size:
            problem = f"rank {rank} asked for world_size={size} but rank 0 has {world_size}"
        elif not isinstance(rank, int) or not 0 <= rank < world_size:
            problem = f"rank {rank} is out of range for world_size={world_size}"
        elif rank == 0 or rank in joined:
            problem = f"rank {rank} joined twice (two processes were given RANK={rank})"
        if problem:
            _send(conn, {"error": problem})
            conn.close()
            continue
        joined[rank] = conn
    return joined


def _check_in(addr, port, rank, world_size, deadline, timeout):
    """Ranks 1..: connects to rank 0 (retrying until it listens) and checks in."""
    while True:
        try:
            conn = socket.create_connection(
                (addr, port), timeout=max(0.05, min(1.0, deadline - time.monotonic())))
            break
        except OSError:
            if time.monotonic() > deadline:
                raise _error(f"timed out after {timeout} waiting for rank 0 at {addr}:{port} "
                             f"(rank {rank} of world_size={world_size})") from None
            time.sleep(0.05)
    _send(conn, {"rank": rank, "world_size": world_size})
    return conn


def _answer(conn, deadline, rank):
    reply = _recv(conn, deadline, f"rank 0's answer to rank {rank}")
    if "error" in reply:
        raise _error(reply["error"])
    return reply["port"]


# ------------------------------------------------------------------ the MPI side
def join(mpi, addr, port, rank, world_size, timeout):
    """The intracommunicator of `world_size` processes in which this one has rank `rank`.
    `mpi` imports mpi4py's MPI (after the PMI server is in place)."""
    seconds = timeout.total_seconds()
    deadline = time.monotonic() + seconds
    if not 0 <= rank < world_size:
        raise _error(f"rank {rank} is out of range for world_size={world_size}")
    if rank == 0:
        server = _listen(addr, port)
        try:
            joined = _gather(server, addr, port, world_size, deadline, timeout)
        finally:
            server.close()
        MPI = _start_mpi(mpi, rank)
        name = MPI.Open_port()
        comm = MPI.COMM_SELF
        for r in sorted(joined):  # one newcomer at a time, in rank order
            _send(joined[r], {"port": name})
            comm = _grow(MPI, comm, name)
        for conn in joined.values():
            conn.close()
        MPI.Close_port(name)
    else:
        conn = _check_in(addr, port, rank, world_size, deadline, timeout)
        try:  # a little longer than rank 0 waits, so that its explanation arrives first
            name = _answer(conn, deadline + 2, rank)
        finally:
            conn.close()
        MPI = _start_mpi(mpi, rank)
        inter = MPI.COMM_SELF.Connect(name)
        comm = inter.Merge(high=True)
        inter.Free()
        while comm.Get_size() < world_size:  # take part in the later ranks' joining
            comm = _grow(MPI, comm, None)
    world = comm.Split(0, rank)
    if comm != MPI.COMM_SELF:
        comm.Free()
    return world


def _grow(MPI, comm, name):
    """All members of `comm` accept one more process (root 0 holds the port name)."""
    inter = comm.Accept(name, root=0)
    merged = inter.Merge(high=False)
    inter.Free()
    if comm != MPI.COMM_SELF:
        comm.Free()
    return merged
