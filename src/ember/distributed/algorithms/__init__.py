"""torch.distributed.algorithms: the DDP communication hooks (ddp_comm_hooks) and Join, which
ember refuses (uneven inputs across ranks are not implemented)."""

from ..._compat import module_getattr as _module_getattr

__all__ = ["Join", "Joinable", "JoinHook"]

_JOIN = ("ember does not implement torch.distributed.algorithms.Join (uneven inputs across "
         "ranks) yet; give every rank the same number of batches, e.g. with "
         "DistributedSampler(..., drop_last=True)")


class JoinHook:
    """Matches torch.distributed.algorithms.JoinHook: per-iteration and post hooks (no-ops)."""

    def main_hook(self):
        pass

    def post_hook(self, is_last_joiner):
        pass


class Joinable:
    """Matches torch.distributed.algorithms.Joinable, the base of what Join can wrap."""


class Join:
    """torch's context manager for uneven inputs: refused (see _JOIN) unless enable=False,
    where torch's does nothing too."""

    def __init__(self, joinables, enable=True, throw_on_early_termination=False, **kwargs):
        if enable:
            raise NotImplementedError(_JOIN)
        self._joinables, self._enable = list(joinables), enable
        self._throw_on_early_termination, self._kwargs = throw_on_early_termination, kwargs

    def __enter__(self):
        return None

    def __exit__(self, kind, value, tb):
        return None


__getattr__ = _module_getattr(__name__, {"ddp_comm_hooks": (".ddp_comm_hooks", None)})
