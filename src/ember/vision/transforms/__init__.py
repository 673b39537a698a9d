"""ember.vision.transforms: torchvision.transforms under ember's name (Pillow-based)."""

from ..._compat import module_getattr as _module_getattr
from . import functional
from .transforms import *  # noqa: F401,F403
from .transforms import __all__ as _all

__all__ = ["functional"] + list(_all)
__getattr__ = _module_getattr(__name__, {"v2": (".v2", None)})
