"""The devices the device-parametrised tests run on, and the fixture that provides them.

`cuda` is parametrised over "cuda-fake" (tests/fake_cupy.py, a strict CuPy stand-in on NumPy,
installed as `ember._device._cupy` for the test and removed after it) and "cuda" (a real GPU
through CuPy: skipped where there is none). The fixture's value is the ember device string
("cuda") and `TORCH_DEVICE` the oracle's device (torch's cuda when it has one, else its cpu).
"""

import pytest

import ember._device as _device
import fake_cupy
from oracle import torch

NO_GPU = "no CUDA GPU/CuPy on this machine"
TORCH_DEVICE = "cuda" if torch is not None and torch.cuda.is_available() else "cpu"
if TORCH_DEVICE == "cuda":  # full float32 in torch's GEMMs and convolutions, as CuPy's defaults
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False


def real_cupy():
    """The real CuPy module when it and a GPU are usable, else None."""
    try:
        import cupy
        if cupy.cuda.runtime.getDeviceCount() > 0:
            return cupy
    except Exception:  # noqa: BLE001 - no CuPy, no driver or no GPU: the cases skip
        pass
    return None


@pytest.fixture(params=["cuda-fake", "cuda"])
def cuda(request):
    saved = _device._cupy
    if request.param == "cuda":
        cp = real_cupy()
        if cp is None:
            pytest.skip(NO_GPU)
        _device._cupy = cp
    else:
        _device._cupy = fake_cupy.install()
    try:
        yield "cuda"
    finally:
        _device._cupy = saved


@pytest.fixture
def fake_cuda():
    """The stand-in only (for checks of ember's device plumbing that need no oracle GPU)."""
    saved = _device._cupy
    _device._cupy = cp = fake_cupy.install()
    try:
        yield cp
    finally:
        _device._cupy = saved
