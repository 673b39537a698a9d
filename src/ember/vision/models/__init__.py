"""ember.vision.models: torchvision's classification architectures under ember's name, with the
same module names and state_dict keys, so torchvision's weight files load unchanged."""

from ..._compat import module_getattr as _module_getattr
from . import alexnet as _alexnet
from . import densenet as _densenet
from . import mobilenetv2 as _mobilenetv2
from . import resnet as _resnet
from . import squeezenet as _squeezenet
from . import vgg as _vgg
from ._api import Weights, WeightsEnum
from .alexnet import *  # noqa: F401,F403
from .densenet import *  # noqa: F401,F403
from .mobilenetv2 import *  # noqa: F401,F403
from .resnet import *  # noqa: F401,F403
from .squeezenet import *  # noqa: F401,F403
from .vgg import *  # noqa: F401,F403

__all__ = ["Weights", "WeightsEnum"] + [name for family in (
    _alexnet, _densenet, _mobilenetv2, _resnet, _squeezenet, _vgg) for name in family.__all__]
__getattr__ = _module_getattr(__name__)
