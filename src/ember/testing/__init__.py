"""torch.testing: assert_close (and its deprecated predecessor assert_allclose) and make_tensor.

torch.testing.FileCheck, a TorchScript tool that checks compiled IR text, is not provided:
using it raises NotImplementedError.
"""
from .._args import EmberNotImplementedError as _NotImplemented
from ._comparison import assert_allclose as assert_allclose
from ._comparison import assert_close as assert_close
from ._creation import make_tensor as make_tensor


class FileCheck:
    """torch._C.FileCheck (TorchScript's IR text checker): not implemented in ember."""

    def __init__(self, *args, **kwargs):
        raise _NotImplemented("ember does not implement torch.testing.FileCheck yet")


