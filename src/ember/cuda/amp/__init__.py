"""torch.cuda.amp: the deprecated CUDA spellings of torch.amp's autocast, custom_fwd/custom_bwd
and GradScaler, each with torch's FutureWarning. Without a GPU, autocast and GradScaler warn and
disable themselves, as torch's do."""

from .autocast_mode import autocast, custom_bwd, custom_fwd
from .common import amp_definitely_not_available
from .grad_scaler import GradScaler

__all__ = ["amp_definitely_not_available", "autocast", "custom_bwd", "custom_fwd", "GradScaler"]
