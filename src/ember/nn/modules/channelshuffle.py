"""ChannelShuffle (torch.nn.modules.channelshuffle)."""

from .. import _resample
from .module import Module

__all__ = ["ChannelShuffle"]


class ChannelShuffle(Module):
    """Matches torch.nn.ChannelShuffle."""

    def __init__(self, groups):
        super().__init__()
        self.groups = groups

    def forward(self, input):
        return _resample.channel_shuffle(input, self.groups)

    def extra_repr(self):
        return f"groups={self.groups}"
