"""ember.nn: Module and its layers, Parameter, functional, init and utils, as torch.nn."""

from . import functional, init, utils  # noqa: F401
from .modules import *  # noqa: F401,F403
from .modules.module import Module  # noqa: F401
from .parameter import Buffer, Parameter  # noqa: F401
