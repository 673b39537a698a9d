"""torch.nn.DataParallel on a machine without GPUs: torch keeps the module as `.module`, sets
`device_ids = []` whatever was asked, and its forward just calls the module (so a state_dict's
keys carry the `module.` prefix). Where ember has a GPU (CuPy), replicating the module over
devices is not implemented and DataParallel is refused."""

from ..._compat import EmberNotImplemented
from ..modules.module import Module

__all__ = ["DataParallel"]


class DataParallel(Module):
    def __init__(self, module, device_ids=None, output_device=None, dim=0):
        from ... import cuda
        if cuda.is_available():
            raise EmberNotImplemented("ember does not implement torch.nn.DataParallel across "
                                      "GPUs yet; call the module itself")
        super().__init__()
        self.module = module
        self.device_ids = []  # no accelerator: torch ignores device_ids and output_device

    def forward(self, *inputs, **kwargs):
        return self.module(*inputs, **kwargs)
