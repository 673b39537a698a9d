"""torch.nn.parallel: DataParallel (which, without GPUs, runs the module as it is)."""

from ..._compat import module_getattr as _module_getattr
from .data_parallel import DataParallel

__all__ = ["DataParallel"]
__getattr__ = _module_getattr(__name__)
