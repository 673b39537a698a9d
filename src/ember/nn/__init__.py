"""ember.nn: Module and its layers, Parameter, functional, init and utils, as torch.nn."""

from .._compat import module_getattr as _module_getattr
from . import functional, init, utils  # noqa: F401
from .modules import *  # noqa: F401,F403
from .modules import __all__ as _module_names
from .modules.module import Module  # noqa: F401
from .parameter import Buffer, Parameter, UninitializedBuffer, UninitializedParameter  # noqa: F401

__all__ = ["Buffer", "Parameter", "UninitializedBuffer", "UninitializedParameter", "functional",
           "init", "utils"] + _module_names
__getattr__ = _module_getattr(__name__, {"attention": (".attention", None),
                                          "parallel": (".parallel", None),
                                          "DataParallel": (".parallel", "DataParallel"),
                                          "SyncBatchNorm": (".modules.sync_batchnorm",
                                                            "SyncBatchNorm")})
