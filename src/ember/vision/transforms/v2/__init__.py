"""ember.vision.transforms.v2: torchvision.transforms.v2 for PIL images and tensors.

Samples may be any nesting of tuples, lists and dicts: the images in it (PIL images,
tv_tensors.Image, or the first plain tensor when there is neither) are transformed with one set
of random parameters and every other entry (labels, strings, further tensors) passes through.
"""

from ...._compat import module_getattr as _module_getattr
from . import functional
from ._geometry import *  # noqa: F401,F403
from ._geometry import __all__ as _geometry_all
from ._misc import *  # noqa: F401,F403
from ._misc import __all__ as _misc_all
from ._transform import Transform
from .functional import InterpolationMode

__all__ = ["functional", "Transform", "InterpolationMode"] + _geometry_all + _misc_all
__getattr__ = _module_getattr(__name__)
