"""ember.cuda: device queries; a GPU is used through CuPy when it is present."""

from .._device import _get_cupy, cuda_available


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


def synchronize(device=None):
    cp = _get_cupy()
    if cp:
        cp.cuda.Device().synchronize()


def get_device_name(device=None):
    cp = _get_cupy()
    if not cp:
        raise AssertionError("Torch not compiled with CUDA enabled")
    return cp.cuda.runtime.getDeviceProperties(0)["name"].decode()


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
