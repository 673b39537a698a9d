"""The layer classes of ember.nn, one family per file."""

from . import (
    activation,
    batchnorm,
    container,
    conv,
    dropout,
    flatten,
    linear,
    loss,
    normalization,
    normalization_extra,
    padding,
    pooling,
    rnn,
    sparse,
    transformer,
    upsampling,
)
from .activation import *  # noqa: F401,F403
from .batchnorm import BatchNorm1d, BatchNorm2d, BatchNorm3d  # noqa: F401
from .container import *  # noqa: F401,F403
from .conv import Conv1d, Conv2d, Conv3d, ConvTranspose1d, ConvTranspose2d, ConvTranspose3d  # noqa: F401
from .dropout import *  # noqa: F401,F403
from .flatten import *  # noqa: F401,F403
from .linear import *  # noqa: F401,F403
from .loss import *  # noqa: F401,F403
from .module import Module  # noqa: F401
from .normalization import *  # noqa: F401,F403
from .normalization_extra import (  # noqa: F401
                   GroupNorm,
                   InstanceNorm1d,
                   InstanceNorm2d,
                   InstanceNorm3d,
                   LocalResponseNorm,
)
from .padding import (  # noqa: F401
                   CircularPad1d,
                   CircularPad2d,
                   CircularPad3d,
                   ConstantPad1d,
                   ConstantPad2d,
                   ConstantPad3d,
                   ReflectionPad1d,
                   ReflectionPad2d,
                   ReflectionPad3d,
                   ReplicationPad1d,
                   ReplicationPad2d,
                   ReplicationPad3d,
                   ZeroPad1d,
                   ZeroPad2d,
                   ZeroPad3d,
)
from .pooling import (  # noqa: F401
                   AdaptiveAvgPool1d,
                   AdaptiveAvgPool2d,
                   AdaptiveAvgPool3d,
                   AdaptiveMaxPool1d,
                   AdaptiveMaxPool2d,
                   AvgPool1d,
                   AvgPool2d,
                   AvgPool3d,
                   LPPool1d,
                   LPPool2d,
                   MaxPool1d,
                   MaxPool2d,
                   MaxPool3d,
                   MaxUnpool1d,
                   MaxUnpool2d,
)
from .rnn import GRU, LSTM, RNN, GRUCell, LSTMCell, RNNBase, RNNCell  # noqa: F401
from .sparse import *  # noqa: F401,F403
from .transformer import (  # noqa: F401
                   MultiheadAttention,
                   Transformer,
                   TransformerDecoder,
                   TransformerDecoderLayer,
                   TransformerEncoder,
                   TransformerEncoderLayer,
)
from .upsampling import (  # noqa: F401
                   PixelShuffle,
                   PixelUnshuffle,
                   Upsample,
                   UpsamplingBilinear2d,
                   UpsamplingNearest2d,
)

__all__ = ["Module"] + [name for family in (
    activation, batchnorm, container, conv, dropout, flatten, linear, loss, normalization,
    normalization_extra, padding, pooling, rnn, sparse, transformer, upsampling)
    for name in family.__all__]
