"""torch.backends.mha: whether nn.MultiheadAttention / TransformerEncoder may take torch's fused
inference fast path. ember has no separate fast path (its layers compute the same way either
way), so the flag is kept and read back only."""

from .._compat import module_getattr as _module_getattr

__all__ = ["get_fastpath_enabled", "set_fastpath_enabled"]
__getattr__ = _module_getattr(__name__)
_ENABLED = [True]


def get_fastpath_enabled():
    return _ENABLED[0]


def set_fastpath_enabled(value):
    _ENABLED[0] = value
