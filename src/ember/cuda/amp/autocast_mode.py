"""torch.cuda.amp.autocast_mode: the deprecated CUDA spellings of torch.amp's autocast and
custom_fwd/custom_bwd, each with torch's FutureWarning."""

import functools
import warnings

from ...amp import autocast_mode as _mode

__all__ = ["autocast", "custom_fwd", "custom_bwd"]


class autocast(_mode.autocast):
    """Deprecated: torch.amp.autocast('cuda', ...)."""

    def __init__(self, enabled=True, dtype=None, cache_enabled=True):
        from ... import _dtype as D
        warnings.warn("`torch.cuda.amp.autocast(args...)` is deprecated. Please use "
                      "`torch.amp.autocast('cuda', args...)` instead.", FutureWarning,
                      stacklevel=2)
        super().__init__("cuda", enabled=enabled, dtype=D.float16 if dtype is None else dtype,
                         cache_enabled=cache_enabled)


def custom_fwd(fwd=None, *, cast_inputs=None):
    """Deprecated: torch.amp.custom_fwd(..., device_type='cuda')."""
    warnings.warn("`torch.cuda.amp.custom_fwd(args...)` is deprecated. Please use "
                  "`torch.amp.custom_fwd(args..., device_type='cuda')` instead.", FutureWarning,
                  stacklevel=2)
    return functools.partial(_mode.custom_fwd, device_type="cuda")(fwd=fwd,
                                                                   cast_inputs=cast_inputs)


def custom_bwd(bwd):
    """Deprecated: torch.amp.custom_bwd(..., device_type='cuda')."""
    warnings.warn("`torch.cuda.amp.custom_bwd(args...)` is deprecated. Please use "
                  "`torch.amp.custom_bwd(args..., device_type='cuda')` instead.", FutureWarning,
                  stacklevel=2)
    return functools.partial(_mode.custom_bwd, device_type="cuda")(bwd)


def _cast(value, dtype):
    """Deprecated: torch.amp.autocast_mode._cast(value, 'cuda', dtype)."""
    warnings.warn("`torch.cuda.amp.autocast_mode._cast(value, dtype)` is deprecated. Please use "
                  "`torch.amp.autocast_mode._cast(value, 'cuda', dtype)` instead.", FutureWarning,
                  stacklevel=2)
    return _mode._cast(value, "cuda", dtype)
