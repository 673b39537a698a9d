"""torch.cpu.amp: the deprecated CPU spellings of torch.amp.autocast and GradScaler, each with
torch's FutureWarning."""

from .autocast_mode import autocast
from .grad_scaler import GradScaler

__all__ = ["autocast", "GradScaler"]
