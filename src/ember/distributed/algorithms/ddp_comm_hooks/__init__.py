"""torch.distributed.algorithms.ddp_comm_hooks: the built-in DistributedDataParallel
communication hooks (default_hooks: allreduce, fp16 and bf16 compression)."""

from . import default_hooks  # noqa: F401

__all__ = ["default_hooks"]
