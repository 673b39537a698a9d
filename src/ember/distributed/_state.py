"""The process groups of ember.distributed: init_process_group (rendezvous), destroy, new_group,
rank and size queries, ReduceOp, and rank translation.

Every group wraps an MPI communicator (mpi4py). The ranks come from the communicator that
`mpiexec` (or `ember launch`) created; `init_method="env://"` then checks and fills torchrun's
variables (RANK, WORLD_SIZE, LOCAL_RANK, LOCAL_WORLD_SIZE, MASTER_ADDR, MASTER_PORT) from it.
Processes that no MPI launcher started (torch.multiprocessing.spawn, or torchrun's variables set
by hand) meet at MASTER_ADDR:MASTER_PORT and join one communicator (_rendezvous.py); a world of
one needs neither. mpi4py is imported on first use only, so `import ember.distributed` works
without it.
"""

import datetime
import enum
import os

from .._compat import EmberNotImplemented

__all__ = ["ReduceOp", "ProcessGroup", "GroupMember", "group", "Backend", "is_available",
           "is_mpi_available", "is_gloo_available", "is_nccl_available",
           "is_torchelastic_launched", "get_default_backend_for_device", "init_process_group",
           "destroy_process_group",
           "is_initialized", "get_rank", "get_world_size", "get_backend", "new_group",
           "get_global_rank", "get_group_rank", "get_process_group_ranks"]

_MPI_HINT = ("ember.distributed runs on MPI through mpi4py, which is not installed: "
             "pip install ember[distributed] (and an MPI library: Open MPI or MPICH)")
# variables an MPI launcher sets in each rank (MPICH/hydra, Open MPI, PMIx, MVAPICH, Slurm PMI)
_LAUNCHER_VARS = ("PMI_RANK", "PMI_SIZE", "OMPI_COMM_WORLD_SIZE", "PMIX_RANK",
                  "MV2_COMM_WORLD_SIZE", "MPI_LOCALNRANKS")
_DEFAULT_TIMEOUT = datetime.timedelta(minutes=30)  # torch's default_pg_timeout


def _mpi():
    try:
        from mpi4py import MPI
    except ImportError:
        raise RuntimeError(_MPI_HINT) from None
    return MPI


def is_available():
    import importlib.util
    return importlib.util.find_spec("mpi4py") is not None


def is_mpi_available():
    return is_available()


def is_gloo_available():
    return is_available()  # "gloo" runs on the MPI engine


def is_nccl_available():
    return False


def get_default_backend_for_device(device):
    """"gloo" for the CPU (ember runs it on MPI), "nccl" for CUDA, as torch answers."""
    from .._device import as_device
    kind = as_device(device).type
    backend = {"cpu": "gloo", "cuda": "nccl"}.get(kind)
    if backend is None:
        raise ValueError(f"Default backend not registered for device : {device}")
    return backend


def is_torchelastic_launched():
    return os.getenv("TORCHELASTIC_RUN_ID") is not None


class RedOpType(enum.IntEnum):
    SUM = 0
    AVG = 1
    PRODUCT = 2
    MIN = 3
    MAX = 4
    BAND = 5
    BOR = 6
    BXOR = 7
    PREMUL_SUM = 8

    def __str__(self):
        return f"RedOpType.{self.name}"


class ReduceOp:
    """Matches torch.distributed.ReduceOp: the reduction of a collective, `ReduceOp.SUM`..."""
    RedOpType = RedOpType
    SUM, AVG, PRODUCT, MIN, MAX = (RedOpType.SUM, RedOpType.AVG, RedOpType.PRODUCT,
                                   RedOpType.MIN, RedOpType.MAX)
    BAND, BOR, BXOR, PREMUL_SUM = (RedOpType.BAND, RedOpType.BOR, RedOpType.BXOR,
                                   RedOpType.PREMUL_SUM)


class Backend(str):
    """Matches torch.distributed.Backend: a backend's lower-case name."""
    UNDEFINED, GLOO, NCCL, MPI = "undefined", "gloo", "nccl", "mpi"

    def __new__(cls, name):
        if not isinstance(name, str):
            raise ValueError("Backend constructor parameter must be string-ish")
        return super().__new__(cls, name.lower())


class ProcessGroup:
    """A group of ranks over one MPI communicator; `ranks` are the members' global ranks."""

    def __init__(self, comm, ranks, backend, timeout, name=""):
        self._comm, self._ranks, self._backend = comm, list(ranks), Backend(backend)
        self._timeout, self._name = timeout, name
        self._index = {g: i for i, g in enumerate(self._ranks)}

    def rank(self):
        return self._comm.Get_rank()

    def size(self):
        return self._comm.Get_size()

    @property
    def group_name(self):
        return self._name

    def name(self):
        return self._backend


class GroupMember:
    """Matches torch.distributed.GroupMember: WORLD (the default group) and NON_GROUP_MEMBER."""
    WORLD = None
    NON_GROUP_MEMBER = -100


class _WorldMeta(type):
    @property
    def WORLD(cls):
        return GroupMember.WORLD


class group(metaclass=_WorldMeta):
    """Matches torch.distributed.group: `group.WORLD` is the default process group."""


_groups = []  # every live group but WORLD (destroy_process_group frees them)


def _default():
    if GroupMember.WORLD is None:
        raise ValueError("Default process group has not been initialized, please make sure to "
                         "call init_process_group.")
    return GroupMember.WORLD


def _resolve(g):
    """The ProcessGroup a collective runs on: the default one for None."""
    if g is None or g is GroupMember.WORLD:
        return _default()
    if isinstance(g, ProcessGroup) and (g in _groups):
        return g
    if isinstance(g, ProcessGroup):
        raise ValueError("Invalid process group specified or has been destroyed.")
    raise ValueError(f"Group {g} is not registered, please create group with "
                     f"torch.distributed.new_group API")


def is_initialized():
    return GroupMember.WORLD is not None


def _env_int(name, given):
    if given != -1:
        return given
    value = os.environ.get(name)
    if value is None:
        raise ValueError(f"Error initializing torch.distributed using env:// rendezvous: "
                         f"environment variable {name} expected, but not set")
    return int(value)


def _from_launcher(MPI, comm):
    """Sets torchrun's variables from the communicator mpiexec made, as torchrun would."""
    rank, size = comm.Get_rank(), comm.Get_size()
    local = comm.Split_type(MPI.COMM_TYPE_SHARED, key=rank)
    host = comm.bcast(os.environ.get("MASTER_ADDR") or MPI.Get_processor_name(), root=0)
    os.environ.update(RANK=str(rank), WORLD_SIZE=str(size), LOCAL_RANK=str(local.Get_rank()),
                      LOCAL_WORLD_SIZE=str(local.Get_size()), MASTER_ADDR=host,
                      MASTER_PORT=os.environ.get("MASTER_PORT", "29500"))
    local.Free()


def _launched():
    """Whether an MPI launcher (mpiexec, ember launch, srun...) started this process."""
    import sys
    if any(v in os.environ for v in _LAUNCHER_VARS):
        return True
    MPI = sys.modules.get("mpi4py.MPI")  # already started: COMM_WORLD tells
    return MPI is not None and MPI.Is_initialized() and MPI.COMM_WORLD.Get_size() > 1


def _tcp_address(init_method, world_size, rank):
    from urllib.parse import urlparse
    url = urlparse(init_method)
    if not url.port:
        raise ValueError("Error initializing torch.distributed using tcp:// rendezvous: port "
                         "number missing")
    if rank == -1:
        raise ValueError("Error initializing torch.distributed using tcp:// rendezvous: rank "
                         "parameter missing")
    if world_size == -1:
        raise ValueError("Error initializing torch.distributed using tcp:// rendezvous: world "
                         "size parameter missing")
    return url.hostname, url.port


def _rendezvous(init_method, world_size, rank, timeout):
    """The communicator of this process's world: mpiexec's COMM_WORLD when a launcher started
    the ranks, else the processes met at MASTER_ADDR:MASTER_PORT (see _rendezvous.py)."""
    if _launched():
        MPI = _mpi()
        comm = MPI.COMM_WORLD
        _from_launcher(MPI, comm)
    if init_method.startswith("env://"):
        rank, world_size = _env_int("RANK", rank), _env_int("WORLD_SIZE", world_size)
        for name in ("MASTER_ADDR", "MASTER_PORT"):
            if name not in os.environ:
                _env_int(name, -1)
        address = os.environ["MASTER_ADDR"], int(os.environ["MASTER_PORT"])
    elif init_method.startswith("tcp://"):
        address = _tcp_address(init_method, world_size, rank)
    elif init_method.startswith("file://"):
        address = None
    else:
        raise ValueError(f"No rendezvous handler for {init_method.split('://')[0]}://")
    if not _launched() and world_size > 1:
        if address is None:
            from .._args import unsupported
            unsupported("torch.distributed.init_process_group", "init_method", init_method)
        from . import _rendezvous as R
        return R.join(_mpi, *address, rank, world_size, timeout or _DEFAULT_TIMEOUT)
    MPI = _mpi()
    comm = MPI.COMM_WORLD
    if world_size != -1 and world_size != comm.Get_size():
        raise RuntimeError(f"ember.distributed: world_size={world_size} was asked but mpiexec "
                           f"started {comm.Get_size()} processes")
    if rank != -1 and rank != comm.Get_rank():
        raise RuntimeError(f"ember.distributed: rank={rank} was asked but MPI gave this process "
                           f"rank {comm.Get_rank()}")
    return comm


def _check_timeout(timeout):
    if timeout is not None and not isinstance(timeout, datetime.timedelta):
        raise TypeError(f"Expected timeout argument to be of type datetime.timedelta, got "
                        f"{type(timeout)}")
    return timeout


def _backend_name(backend):
    name = "mpi" if backend is None else str(backend).lower()
    if name == "nccl" or name.startswith(("cuda:", "cpu:")):
        from .. import cuda
        if not cuda.is_available():
            raise RuntimeError("Distributed package doesn't have NCCL built in")
        raise EmberNotImplemented("ember does not implement the nccl backend yet; use "
                                  "backend='mpi' (GPU tensors then travel through host memory)")
    if name not in ("mpi", "gloo"):
        raise AssertionError(f"Unknown backend type {name}")
    return name


def init_process_group(backend=None, init_method=None, timeout=None, world_size=-1, rank=-1,
                       store=None, group_name="", pg_options=None, device_id=None, _ranks=None):
    from .._args import unsupported
    if GroupMember.WORLD is not None:
        raise ValueError("trying to initialize the default process group twice!")
    for name, value in (("store", store), ("pg_options", pg_options), ("device_id", device_id),
                        ("_ranks", _ranks)):
        if value is not None:
            unsupported("torch.distributed.init_process_group", name, value)
    name = _backend_name(backend)
    timeout = _check_timeout(timeout)
    comm = _rendezvous(init_method or "env://", world_size, rank, timeout).Dup()
    MPI = _mpi()
    GroupMember.WORLD = ProcessGroup(comm, range(comm.Get_size()), name, timeout,
                                     group_name or "0")
    if comm.Get_size() > 1:
        _abort_on_uncaught(MPI)


def _abort_on_uncaught(MPI):
    """An exception no one catches in one rank prints its traceback, then aborts the whole job
    (MPI_Abort), so the other ranks do not wait forever in their next collective."""
    import sys
    hook = sys.excepthook
    if getattr(hook, "_ember_abort", False):
        return

    def abort(kind, value, tb):
        hook(kind, value, tb)
        world = GroupMember.WORLD  # COMM_WORLD is one process when the ranks met by TCP
        comm = MPI.COMM_WORLD if world is None else world._comm
        rank = comm.Get_rank()
        code = value.code if kind is SystemExit and isinstance(value.code, int) else 1
        print(f"[ember.distributed] rank {rank} failed ({kind.__name__}); stopping all ranks",
              file=sys.stderr, flush=True)
        sys.stdout.flush()
        import time
        time.sleep(0.5)  # MPI_Abort kills at once: let mpiexec forward the traceback first
        comm.Abort(code or 1)
    abort._ember_abort = True
    sys.excepthook = abort


def destroy_process_group(group=None):
    if group is None or group is GroupMember.WORLD:
        if GroupMember.WORLD is None:
            raise AssertionError("Process group cannot be None")
        for g in _groups + [GroupMember.WORLD]:
            g._comm.Free()
        _groups.clear()
        GroupMember.WORLD = None
        return
    if group == GroupMember.NON_GROUP_MEMBER:
        return
    if group not in _groups:
        raise ValueError("Invalid process group specified or has been destroyed.")
    _groups.remove(group)
    group._comm.Free()


def get_rank(group=None):
    if group == GroupMember.NON_GROUP_MEMBER:
        return -1
    return _resolve(group).rank()


def get_world_size(group=None):
    if group == GroupMember.NON_GROUP_MEMBER:
        return -1
    return _resolve(group).size()


def get_backend(group=None):
    if group == GroupMember.NON_GROUP_MEMBER:
        raise ValueError("Invalid process group specified")
    return _resolve(group)._backend


def new_group(ranks=None, timeout=None, backend=None, pg_options=None,
              use_local_synchronization=False, group_desc=None, device_id=None,
              sort_ranks=True):
    """A group of `ranks` (all by default), made by its members alone (MPI's Comm.Create_group);
    unless use_local_synchronization, every rank of the world meets first, as in torch. The
    other ranks get GroupMember.NON_GROUP_MEMBER."""
    from .._args import unsupported
    for name, value in (("pg_options", pg_options), ("device_id", device_id)):
        if value is not None:
            unsupported("torch.distributed.new_group", name, value)
    world = _default()
    name = world._backend if backend is None else _backend_name(backend)
    size = world.size()
    ranks = list(range(size)) if ranks is None else list(ranks)
    if sort_ranks:
        ranks = sorted(ranks)
    if len(ranks) > size:
        raise ValueError("the new group's world size should be less or equal to the world size "
                         "set by init_process_group")
    for r in ranks:
        if r < 0 or r >= size:
            raise ValueError("The new group's rank should be within the world_size set by "
                             "init_process_group")
    if not use_local_synchronization:
        world._comm.Barrier()  # torch's default: every rank of the world takes part
    if world.rank() not in ranks:
        return GroupMember.NON_GROUP_MEMBER
    base = world._comm.Get_group()
    sub = base.Incl(ranks)
    comm = world._comm.Create_group(sub, tag=len(_groups) + 1)
    sub.Free()
    base.Free()
    g = ProcessGroup(comm, ranks, name, _check_timeout(timeout) or world._timeout,
                     group_desc or str(len(_groups) + 1))
    _groups.append(g)
    return g


def get_process_group_ranks(group):
    return list(_resolve(group)._ranks)


def get_group_rank(group, global_rank):
    if group is GroupMember.WORLD:
        return global_rank
    g = _resolve(group)
    if global_rank not in g._index:
        raise ValueError(f"Global rank {global_rank} is not part of group {group}")
    return g._index[global_rank]


def get_global_rank(group, group_rank):
    if group is GroupMember.WORLD:
        return group_rank
    g = _resolve(group)
    if not 0 <= group_rank < len(g._ranks):
        raise ValueError(f"Group rank {group_rank} is not part of group {group}")
    return g._ranks[group_rank]


def _peer(g, rank, group_rank, what):
    """A group rank from torch's pair (global `rank`, `group_rank`), at most one given."""
    if group_rank is not None:
        if rank is not None:
            raise ValueError("Can't specify both group_rank and global_rank")
        if not 0 <= group_rank < g.size():
            raise ValueError(f"Group rank {group_rank} is not part of group {g}")
        return group_rank
    if rank is None:
        raise ValueError("Must specify global_rank or group_rank")
    if g is GroupMember.WORLD:
        if not 0 <= rank < g.size():
            raise RuntimeError(f"ProcessGroupMPI: invalid {what} rank: {rank}")
        return rank
    if rank not in g._index:
        raise ValueError(f"Global rank {rank} is not part of group {g}")
    return g._index[rank]
