"""ember.cuda: device queries; a GPU is used through CuPy when it is present."""

from .._compat import module_getattr as _module_getattr
from .._device import _get_cupy, cuda_available

__all__ = ["is_available", "device_count", "current_device", "set_device", "synchronize",
           "get_device_name", "manual_seed", "manual_seed_all", "empty_cache", "is_initialized"]
__getattr__ = _module_getattr(__name__)


def is_available():
    return cuda_available()


def device_count():
    cp = _get_cupy()
    return cp.cuda.runtime.getDeviceCount() if cp else 0


def current_device():
    if not is_available():
        raise AssertionError("Torch not compiled with CUDA enabled")
    return _get_cupy().cuda.runtime.getDevice()


def set_device(device):
    cp = _get_cupy()
    if not cp:
        raise AssertionError("Torch not compiled with CUDA enabled")
    from .._device import device as _dev
    cp.cuda.runtime.setDevice(_dev(device).index or 0 if not isinstance(device, int) else device)


def _index(device):
    """The CUDA device index torch reads from `device` (None: the current one)."""
    cp = _get_cupy()
    if not cp:
        raise AssertionError("Torch not compiled with CUDA enabled")
    if device is None:
        return cp.cuda.runtime.getDevice()
    if isinstance(device, int):
        return device
    from .._device import device as _dev
    d = _dev(device)
    if d.type != "cuda":
        raise ValueError(f"Expected a cuda device, but got: {d}")
    return cp.cuda.runtime.getDevice() if d.index is None else d.index


def synchronize(device=None):
    i = _index(device)
    _get_cupy().cuda.Device(i).synchronize()


def get_device_name(device=None):
    i = _index(device)
    return _get_cupy().cuda.runtime.getDeviceProperties(i)["name"].decode()


def manual_seed(seed):
    """No-op without a GPU (as torch); GPU streams are not torch's anyway."""


def manual_seed_all(seed):
    """No-op without a GPU (as torch)."""


def empty_cache():
    cp = _get_cupy()
    if cp:
        cp.get_default_memory_pool().free_all_blocks()


def is_initialized():
    return is_available()
