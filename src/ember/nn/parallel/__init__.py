"""torch.nn.parallel: DataParallel (which, without GPUs, runs the module as it is) and
DistributedDataParallel (loaded on first use)."""

from ..._compat import module_getattr as _module_getattr
from .data_parallel import DataParallel

__all__ = ["DataParallel", "DistributedDataParallel"]
__getattr__ = _module_getattr(__name__, {
    "distributed": (".distributed", None),
    "DistributedDataParallel": (".distributed", "DistributedDataParallel")})
