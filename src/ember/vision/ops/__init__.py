"""torchvision.ops (ember implements FrozenBatchNorm2d from ops.misc so far)."""

from ..._compat import module_getattr as _module_getattr
from . import misc
from .misc import FrozenBatchNorm2d

__all__ = ["FrozenBatchNorm2d", "misc"]
__getattr__ = _module_getattr(__name__)
