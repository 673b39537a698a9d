"""ember.distributed: torch.distributed's process groups and collectives on MPI (mpi4py).

Start the ranks with `ember launch --nproc-per-node N script.py` (or the site's `mpiexec -n N
python script.py`), then `init_process_group("gloo")` (or "mpi") as under torchrun; processes
started otherwise (ember.multiprocessing.spawn, RANK/WORLD_SIZE/MASTER_ADDR/MASTER_PORT by hand,
init_method="tcp://...") meet over TCP and join through MPI's connect/accept. Importing this
package does not import mpi4py; `is_available()` says whether it is installed.
"""

from .._compat import module_getattr as _module_getattr
from . import _collectives, _objects, _state  # noqa: E402
from ._collectives import (  # noqa: F401
    Work,
    all_gather,
    all_gather_into_tensor,
    all_reduce,
    all_to_all,
    all_to_all_single,
    barrier,
    broadcast,
    gather,
    irecv,
    isend,
    recv,
    reduce,
    reduce_scatter,
    reduce_scatter_tensor,
    scatter,
    send,
)
from ._grad_bucket import GradBucket  # noqa: F401
from ._objects import (  # noqa: F401
    all_gather_object,
    broadcast_object_list,
    gather_object,
    scatter_object_list,
)
from ._state import (  # noqa: F401
    Backend,
    GroupMember,
    ProcessGroup,
    ReduceOp,
    destroy_process_group,
    get_backend,
    get_default_backend_for_device,
    get_global_rank,
    get_group_rank,
    get_process_group_ranks,
    get_rank,
    get_world_size,
    group,
    init_process_group,
    is_available,
    is_gloo_available,
    is_initialized,
    is_mpi_available,
    is_nccl_available,
    is_torchelastic_launched,
    new_group,
)

__all__ = _state.__all__ + _collectives.__all__ + _objects.__all__ + ["GradBucket"]
__getattr__ = _module_getattr(__name__, {"algorithms": (".algorithms", None)})
