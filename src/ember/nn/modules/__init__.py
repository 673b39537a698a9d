"""The layer classes of ember.nn, one family per file, in the files torch.nn.modules uses."""

from . import (
    activation,
    adaptive,
    batchnorm,
    channelshuffle,
    container,
    conv,
    distance,
    dropout,
    flatten,
    fold,
    instancenorm,
    linear,
    loss,
    normalization,
    padding,
    pixelshuffle,
    pooling,
    rnn,
    sparse,
    transformer,
    upsampling,
    utils,
)
from .activation import *  # noqa: F401,F403
from .adaptive import *  # noqa: F401,F403
from .batchnorm import *  # noqa: F401,F403
from .channelshuffle import *  # noqa: F401,F403
from .container import *  # noqa: F401,F403
from .conv import *  # noqa: F401,F403
from .distance import *  # noqa: F401,F403
from .dropout import *  # noqa: F401,F403
from .flatten import *  # noqa: F401,F403
from .fold import *  # noqa: F401,F403
from .instancenorm import *  # noqa: F401,F403
from .linear import *  # noqa: F401,F403
from .loss import *  # noqa: F401,F403
from .module import Module  # noqa: F401
from .normalization import *  # noqa: F401,F403
from .padding import *  # noqa: F401,F403
from .pixelshuffle import *  # noqa: F401,F403
from .pooling import *  # noqa: F401,F403
from .rnn import *  # noqa: F401,F403
from .sparse import *  # noqa: F401,F403
from .transformer import *  # noqa: F401,F403
from .upsampling import *  # noqa: F401,F403

__all__ = ["Module"] + [name for family in (
    activation, adaptive, batchnorm, channelshuffle, container, conv, distance, dropout,
    flatten, fold,
    instancenorm, linear, loss, normalization, padding, pixelshuffle, pooling, rnn, sparse,
    transformer, upsampling)
    for name in family.__all__]


def torch_global_name(obj):
    """(module, name) torch pickles `obj` under, for ember.nn's layer classes and functionals
    (their files mirror torch.nn.modules'); None for anything else."""
    module, name = getattr(obj, "__module__", None), getattr(obj, "__qualname__", None)
    if not isinstance(module, str) or not isinstance(name, str) or not module.startswith(
            "ember.nn.") or name.startswith("_") or "." in name:
        return None
    if isinstance(obj, type):
        if not module.startswith("ember.nn.modules.") or "._" in module:
            return None
        return "torch" + module[len("ember"):], name
    from .. import functional
    return ("torch.nn.functional", name) if getattr(functional, name, None) is obj else None
