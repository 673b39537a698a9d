"""ember.accelerator: torch.accelerator, the device-agnostic view of the current accelerator.

ember's one accelerator is CUDA, through CuPy, when CuPy and a GPU are present (`_device.
cuda_available`); every call then goes to ember.cuda. Without one, as CPU-only torch, there is no
accelerator: `is_available()` is False, `current_accelerator()` None, `device_count()` 0, and
every call that needs a device raises torch's RuntimeError.
"""

import warnings

from ._compat import module_getattr as _module_getattr
from ._device import cuda_available as _cuda_available

__all__ = ["Graph", "current_accelerator", "current_device_idx", "current_device_index",
           "get_device_capability", "current_stream", "device_count", "device_index",
           "empty_cache", "empty_host_cache", "get_memory_info", "is_available",
           "max_memory_allocated", "max_memory_reserved", "memory_allocated", "memory_reserved",
           "memory_stats", "reset_accumulated_memory_stats", "reset_peak_memory_stats",
           "set_device_idx", "set_device_index", "set_stream", "synchronize"]
__getattr__ = _module_getattr(__name__)

_NONE = "Cannot access accelerator device when none is available."


def _cuda():
    """ember.cuda when a GPU is present; torch's RuntimeError otherwise."""
    if not _cuda_available():
        raise RuntimeError(_NONE)
    from . import cuda
    return cuda


def current_accelerator(check_available=False):
    """device('cuda') when ember has a GPU (the index is None, as torch's), None otherwise.
    ember's accelerator exists only at run time, so `check_available` cannot change the answer
    (a present GPU is available)."""
    if not _cuda_available() or check_available and not is_available():
        return None
    from ._device import device
    return device("cuda")


def is_available():
    return _cuda_available()


def device_count():
    return _cuda().device_count() if _cuda_available() else 0


def current_device_index():
    return _cuda().current_device()


def current_device_idx():
    warnings.warn("Use `current_device_index` instead.", FutureWarning, stacklevel=2)
    return current_device_index()


def _index(device, optional=False):
    """The accelerator index torch reads from `device` (int, str, torch.device or None)."""
    if isinstance(device, int):
        return device
    from ._device import device as _dev
    if isinstance(device, str):
        device = _dev(device)
    index = None
    if isinstance(device, _dev):
        acc = current_accelerator()
        if acc is None:
            raise RuntimeError("Accelerator expected")
        if acc.type != device.type:
            raise ValueError(f"{device.type} doesn't match the current accelerator {acc}.")
        index = device.index
    if index is None:
        if not optional:
            raise ValueError("Expected a torch.device with a specified index or an integer, "
                             f"but got:{device}")
        return current_device_index()
    return index


def set_device_index(device, /):
    i = _index(device)
    _cuda().set_device(i)


def set_device_idx(device, /):
    warnings.warn("Use `set_device_index` instead.", FutureWarning, stacklevel=2)
    set_device_index(device)


def synchronize(device=None, /):
    i = _index(device, optional=True)
    _cuda().synchronize(i)


def current_stream(device=None, /):
    i = _index(device, optional=True)
    return _cuda().current_stream(i)


def set_stream(stream):
    _cuda().set_stream(stream)


def get_device_capability(device=None, /):
    i = _index(device, optional=True)
    cuda = _cuda()
    major, minor = cuda.get_device_capability(i)
    return {"major": major, "minor": minor}


def empty_cache():
    _cuda().empty_cache()


def empty_host_cache():
    _cuda()
    from ._device import _get_cupy
    _get_cupy().get_default_pinned_memory_pool().free_all_blocks()


def get_memory_info(device_index=None, /):
    i = _index(device_index, optional=True)
    return _cuda().mem_get_info(i)


def memory_stats(device_index=None, /):
    _cuda()  # torch asks whether the allocator is initialised before reading the device
    i = _index(device_index, optional=True)
    return _cuda().memory_stats(i)


def memory_allocated(device_index=None, /):
    return memory_stats(device_index).get("allocated_bytes.all.current", 0)


def max_memory_allocated(device_index=None, /):
    return memory_stats(device_index).get("allocated_bytes.all.peak", 0)


def memory_reserved(device_index=None, /):
    return memory_stats(device_index).get("reserved_bytes.all.current", 0)


def max_memory_reserved(device_index=None, /):
    return memory_stats(device_index).get("reserved_bytes.all.peak", 0)


def reset_accumulated_memory_stats(device_index=None, /):
    _cuda()  # torch asks whether the allocator is initialised before reading the device
    i = _index(device_index, optional=True)
    _cuda().reset_accumulated_memory_stats(i)


def reset_peak_memory_stats(device_index=None, /):
    _cuda()  # torch asks whether the allocator is initialised before reading the device
    i = _index(device_index, optional=True)
    _cuda().reset_peak_memory_stats(i)


class device_index:
    """Makes `device` the current accelerator index inside the block (None: no change)."""

    def __init__(self, device, /):
        self.idx = device
        self.prev_idx = -1

    def __enter__(self):
        if self.idx is not None:
            cuda = _cuda()
            self.prev_idx = cuda.current_device()
            if self.idx != self.prev_idx:
                cuda.set_device(self.idx)

    def __exit__(self, *exc_info):
        if self.idx is not None and self.prev_idx >= 0:
            _cuda().set_device(self.prev_idx)


device_index.__module__ = "torch.accelerator"


class Graph:
    """torch.accelerator.Graph: capturing a graph of kernels, which ember does not do."""

    def __init__(self, keep_graph=False, *, pool=None, capture_error_mode="default"):
        _cuda()
        from ._args import EmberNotImplementedError
        raise EmberNotImplementedError("ember does not implement torch.accelerator.Graph yet "
                                       "(it captures no kernels; asked for keep_graph="
                                       f"{keep_graph}, pool={pool}, "
                                       f"capture_error_mode={capture_error_mode!r})")
