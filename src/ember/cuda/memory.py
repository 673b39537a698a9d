"""torch.cuda.memory: the GPU memory counters, read from CuPy's default memory pool.

Without a GPU, as CPU-only torch: the counters are 0 and memory_stats() an empty OrderedDict
(CUDA was never initialised), and the calls that reach the device raise torch's errors. With a
GPU: `allocated_bytes.all.current` is the pool's bytes in use and `reserved_bytes.all.current`
the bytes it holds; CuPy keeps no peak, so the peak counters are refused rather than guessed.
"""

import collections
import warnings

from .._device import _get_cupy, cuda_available

_NO_NVML = "nvidia-ml-py does not seem to be installed or it can't be imported."


def _index(device, optional=True):
    from . import _index
    return _index(device, optional)


def memory_stats(device=None):
    """The flat statistics, keys sorted as torch's ('allocated_bytes.all.current', ...)."""
    if not cuda_available():
        return collections.OrderedDict()
    cp = _get_cupy()
    with cp.cuda.Device(_index(device)):
        pool = cp.get_default_memory_pool()
        stats = {"allocated_bytes.all.current": int(pool.used_bytes()),
                 "reserved_bytes.all.current": int(pool.total_bytes())}
    return collections.OrderedDict(sorted(stats.items()))


def _peak(api, device):
    if cuda_available():
        from .._args import unsupported
        unsupported(api, "device", device)  # CuPy's pool keeps no peak
    return 0


def memory_allocated(device=None):
    return memory_stats(device).get("allocated_bytes.all.current", 0)


def max_memory_allocated(device=None):
    return _peak("torch.cuda.max_memory_allocated", device)


def memory_reserved(device=None):
    return memory_stats(device).get("reserved_bytes.all.current", 0)


def max_memory_reserved(device=None):
    return _peak("torch.cuda.max_memory_reserved", device)


def memory_cached(device=None):
    warnings.warn("`torch.cuda.memory_cached` has been renamed to `torch.cuda.memory_reserved`",
                  FutureWarning, stacklevel=2)
    return memory_reserved(device)


def max_memory_cached(device=None):
    warnings.warn("`torch.cuda.max_memory_cached` has been renamed to "
                  "`torch.cuda.max_memory_reserved`", FutureWarning, stacklevel=2)
    return max_memory_reserved(device)


def reset_peak_memory_stats(device=None):
    i = _index(device)
    if not cuda_available():
        raise AttributeError("module 'torch._C' has no attribute '_cuda_resetPeakMemoryStats'")
    from .._args import unsupported
    unsupported("torch.cuda.reset_peak_memory_stats", "device", i)


def reset_max_memory_allocated(device=None):
    warnings.warn("torch.cuda.reset_max_memory_allocated now calls "
                  "torch.cuda.reset_peak_memory_stats, which resets /all/ peak memory stats.",
                  FutureWarning, stacklevel=2)
    return reset_peak_memory_stats(device=device)


def reset_accumulated_memory_stats(device=None):
    i = _index(device)
    if not cuda_available():
        raise AttributeError("module 'torch._C' has no attribute "
                             "'_cuda_resetAccumulatedMemoryStats'")
    from .._args import unsupported
    unsupported("torch.cuda.reset_accumulated_memory_stats", "device", i)


def memory_summary(device=None, abbreviated=False):
    # torch formats its full statistics table: without a GPU it fails on the first key, and
    # CuPy's pool has too few statistics to fill the table
    if not memory_stats(device):
        raise KeyError("allocated_bytes.all.current")
    from .._args import unsupported
    unsupported("torch.cuda.memory_summary", "abbreviated", abbreviated)


def memory_snapshot(mempool_id=None):
    if not cuda_available():
        raise AttributeError("module 'torch._C' has no attribute '_cuda_memorySnapshot'")
    from .._args import unsupported
    unsupported("torch.cuda.memory_snapshot", "mempool_id", mempool_id)


def host_memory_stats():
    """Pinned host memory counters: empty, as torch's before any pinned allocation (ember's
    host tensors are never pinned)."""
    return collections.OrderedDict()


def empty_cache():
    """Frees the pool's unused blocks (no GPU: nothing to free)."""
    cp = _get_cupy()
    if cp:
        cp.get_default_memory_pool().free_all_blocks()


def mem_get_info(device=None):
    """(free, total) bytes of the device, from the CUDA runtime."""
    if device is None:
        from . import current_device
        device = current_device()
    i = _index(device)
    cp = _get_cupy()
    if not cp:
        raise AssertionError("Torch not compiled with CUDA enabled")
    with cp.cuda.Device(i):
        free, total = cp.cuda.runtime.memGetInfo()
    return int(free), int(total)


def set_per_process_memory_fraction(fraction, device=None):
    cp = _get_cupy()
    if not cp:
        raise AssertionError("Torch not compiled with CUDA enabled")
    i = _index(device)
    if not isinstance(fraction, float):
        raise TypeError("Invalid type for fraction argument, must be `float`")
    if fraction < 0 or fraction > 1:
        raise ValueError(f"Invalid fraction value: {fraction}. Allowed range: 0~1")
    with cp.cuda.Device(i):
        total = cp.cuda.runtime.memGetInfo()[1]
        cp.get_default_memory_pool().set_limit(size=int(total * fraction))


def get_per_process_memory_fraction(device=None):
    cp = _get_cupy()
    if not cp:
        raise AssertionError("Torch not compiled with CUDA enabled")
    with cp.cuda.Device(_index(device)):
        total = cp.cuda.runtime.memGetInfo()[1]
        limit = cp.get_default_memory_pool().get_limit()
    return limit / total if limit else 1.0


def _nvml():
    try:
        import pynvml
    except ModuleNotFoundError:
        raise ModuleNotFoundError(_NO_NVML) from None
    return pynvml


def utilization(device=None):
    _nvml()
    from .._args import unsupported
    unsupported("torch.cuda.utilization", "device", device)


def temperature(device=None):
    _nvml()
    from .._args import unsupported
    unsupported("torch.cuda.temperature", "device", device)


def list_gpu_processes(device=None):
    try:
        import pynvml  # noqa: F401
    except ModuleNotFoundError:
        return "pynvml module not found, please install nvidia-ml-py"
    from .._args import unsupported
    unsupported("torch.cuda.list_gpu_processes", "device", device)


def _refuse_with_gpu(api, no_gpu_error):
    """Without a GPU: torch's CPU-build error; with one: ember does not have this."""
    if not cuda_available():
        raise no_gpu_error
    from .._args import EmberNotImplementedError
    raise EmberNotImplementedError(f"ember does not implement {api} yet")


def reset_max_memory_cached(device=None):
    warnings.warn("torch.cuda.reset_max_memory_cached now calls "
                  "torch.cuda.reset_peak_memory_stats, which resets /all/ peak memory stats.",
                  FutureWarning, stacklevel=2)
    return reset_peak_memory_stats(device=device)


def memory_stats_as_nested_dict(device=None):
    if not cuda_available():
        return {}
    stats = {}
    for key, value in memory_stats(device).items():
        node = stats
        *path, last = key.split(".")
        for part in path:
            node = node.setdefault(part, {})
        node[last] = value
    return stats


def host_memory_stats_as_nested_dict():
    return {}


def reset_peak_host_memory_stats():
    _refuse_with_gpu("torch.cuda.reset_peak_host_memory_stats", AttributeError(
        "module 'torch._C' has no attribute '_cuda_resetPeakHostMemoryStats'"))


def reset_accumulated_host_memory_stats():
    _refuse_with_gpu("torch.cuda.reset_accumulated_host_memory_stats", AttributeError(
        "module 'torch._C' has no attribute '_cuda_resetAccumulatedHostMemoryStats'"))


def _nvml_query(api, device):
    _nvml()
    from .._args import unsupported
    unsupported(api, "device", device)


def device_memory_used(device=None):
    _nvml_query("torch.cuda.device_memory_used", device)


def memory_usage(device=None):
    _nvml_query("torch.cuda.memory_usage", device)


def power_draw(device=None):
    _nvml_query("torch.cuda.power_draw", device)


def clock_rate(device=None):
    _nvml_query("torch.cuda.clock_rate", device)
