"""torch.cpu.amp.autocast_mode: the deprecated CPU spelling of torch.amp.autocast."""

import warnings

from ...amp.autocast_mode import autocast as _autocast

__all__ = ["autocast"]


class autocast(_autocast):
    """Deprecated: torch.amp.autocast('cpu', ...)."""

    def __init__(self, enabled=True, dtype=None, cache_enabled=True):
        from ... import _dtype as D
        warnings.warn("`torch.cpu.amp.autocast(args...)` is deprecated. Please use "
                      "`torch.amp.autocast('cpu', args...)` instead.", FutureWarning, stacklevel=2)
        super().__init__("cpu", enabled=enabled, dtype=D.bfloat16 if dtype is None else dtype,
                         cache_enabled=cache_enabled)
