"""ember.utils: helpers shaped like torch.utils (data loading)."""

from . import data

__all__ = ["data"]
