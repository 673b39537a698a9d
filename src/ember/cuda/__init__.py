"""ember.cuda: torch.cuda. A GPU is used through CuPy when CuPy and a GPU are present.

Without one, every function behaves as in CPU-only torch 2.13: the queries answer "no device"
(is_available False, device_count 0, memory counters 0, get_arch_list []), seeding is a no-op, and
the calls that need a device raise torch's errors with torch's texts (most are
`AssertionError: Torch not compiled with CUDA enabled`; a few reach a missing torch._C function
first and raise its AttributeError, as torch's own CPU build does). Device arguments are checked
first, as torch does (`Expected a cuda device, but got: cpu`). Memory functions: cuda/memory.py.
"""

import contextlib

from .._compat import module_getattr as _module_getattr
from .._device import _get_cupy, cuda_available
from .memory import (
    _refuse_with_gpu,
    clock_rate,
    device_memory_used,
    empty_cache,
    get_per_process_memory_fraction,
    host_memory_stats,
    host_memory_stats_as_nested_dict,
    list_gpu_processes,
    max_memory_allocated,
    max_memory_cached,
    max_memory_reserved,
    mem_get_info,
    memory_allocated,
    memory_cached,
    memory_reserved,
    memory_snapshot,
    memory_stats,
    memory_stats_as_nested_dict,
    memory_summary,
    memory_usage,
    power_draw,
    reset_accumulated_host_memory_stats,
    reset_accumulated_memory_stats,
    reset_max_memory_allocated,
    reset_max_memory_cached,
    reset_peak_host_memory_stats,
    reset_peak_memory_stats,
    set_per_process_memory_fraction,
    temperature,
    utilization,
)

__all__ = ["is_available", "device_count", "current_device", "set_device", "synchronize",
           "get_device_name", "get_device_capability", "get_device_properties",
           "is_bf16_supported", "is_tf32_supported", "manual_seed", "manual_seed_all", "seed",
           "seed_all", "initial_seed", "get_rng_state", "get_rng_state_all", "set_rng_state",
           "set_rng_state_all", "empty_cache", "is_initialized", "init", "ipc_collect",
           "get_arch_list", "get_gencode_flags", "device", "device_of", "current_stream",
           "default_stream", "set_stream", "stream", "StreamContext", "Stream", "Event",
           "can_device_access_peer", "is_current_stream_capturing", "mem_get_info",
           "memory_allocated", "max_memory_allocated", "memory_reserved", "max_memory_reserved",
           "memory_cached", "max_memory_cached", "memory_stats", "memory_summary",
           "memory_snapshot", "reset_peak_memory_stats", "reset_max_memory_allocated",
           "reset_accumulated_memory_stats", "host_memory_stats",
           "set_per_process_memory_fraction", "get_per_process_memory_fraction",
           "list_gpu_processes", "utilization", "temperature", "has_half", "has_magma",
           "reset_max_memory_cached", "memory_stats_as_nested_dict",
           "host_memory_stats_as_nested_dict", "reset_peak_host_memory_stats",
           "reset_accumulated_host_memory_stats", "set_sync_debug_mode", "get_sync_debug_mode",
           "current_blas_handle", "current_solver_handle", "default_generators", "nvtx",
           "graph_pool_handle", "CUDAGraph", "get_stream_from_external", "cudart",
           "device_memory_used", "memory_usage", "power_draw", "clock_rate", "cudaStatus"]
__getattr__ = _module_getattr(__name__, {"amp": (".amp", None)})

_NOT_COMPILED = "Torch not compiled with CUDA enabled"


def _lazy_init():
    """torch's check before any call that needs the device."""
    if not cuda_available():
        raise AssertionError(_NOT_COMPILED)
    return _get_cupy()


def is_available():
    return cuda_available()


def device_count():
    cp = _get_cupy()
    return cp.cuda.runtime.getDeviceCount() if cp else 0


def is_initialized():
    return cuda_available()


def init():
    _lazy_init()


def _is_compiled():
    return cuda_available()


def current_device():
    return _lazy_init().cuda.runtime.getDevice()


def _index(device, optional=False):
    """torch.cuda's reading of a device argument: an int as it is, a cuda device's index, the
    current device for None / 'cuda' when `optional` (None without a GPU, as torch's)."""
    if isinstance(device, int):
        return device
    from .._device import device as _dev
    if isinstance(device, str):
        device = _dev(device)
    if isinstance(device, _dev):
        if device.type != "cuda":
            raise ValueError(f"Expected a cuda device, but got: {device}")
        index = device.index
    elif isinstance(device, globals()["device"]):
        return device.idx
    else:
        index = None
    if index is None:
        if not optional:
            raise ValueError("Expected a torch.device with a specified index or an integer, "
                             f"but got:{device}")
        cp = _get_cupy()
        return cp.cuda.runtime.getDevice() if cp else None
    return index


def set_device(device):
    i = _index(device)
    if i >= 0:
        cp = _get_cupy()
        if not cp:
            raise AttributeError("module 'torch._C' has no attribute '_cuda_setDevice'")
        cp.cuda.runtime.setDevice(i)


def synchronize(device=None):
    cp = _lazy_init()
    cp.cuda.Device(_index(device, optional=True)).synchronize()


def get_device_properties(device=None):
    cp = _lazy_init()
    i = _index(device, optional=True)
    if i < 0 or i >= device_count():
        raise AssertionError("Invalid device id")
    return _DeviceProperties(cp.cuda.runtime.getDeviceProperties(i))


def get_device_name(device=None):
    return get_device_properties(device).name


def get_device_capability(device=None):
    p = get_device_properties(device)
    return p.major, p.minor


def is_bf16_supported(including_emulation=True):
    if not cuda_available():
        return False
    return get_device_properties().major >= 8 or bool(including_emulation)


def is_tf32_supported():
    return cuda_available() and get_device_properties().major >= 8


class _DeviceProperties:
    """torch.cuda.get_device_properties's result, read from CUDA's device properties."""

    def __init__(self, p):
        name = p["name"]
        self.name = name.decode() if isinstance(name, bytes) else name
        self.major, self.minor = int(p["major"]), int(p["minor"])
        self.total_memory = int(p["totalGlobalMem"])
        self.multi_processor_count = int(p["multiProcessorCount"])
        self.L2_cache_size = int(p.get("l2CacheSize", 0))
        self.is_integrated = int(p.get("integrated", 0))
        self.is_multi_gpu_board = int(p.get("isMultiGpuBoard", 0))

    def __repr__(self):
        return (f"_CudaDeviceProperties(name='{self.name}', major={self.major}, "
                f"minor={self.minor}, total_memory={self.total_memory // (1024 * 1024)}MB, "
                f"multi_processor_count={self.multi_processor_count}, "
                f"L2_cache_size={self.L2_cache_size // (1024 * 1024)}MB)")


def manual_seed(seed):
    """No-op without a GPU (as torch); GPU streams are not torch's anyway."""


def manual_seed_all(seed):
    """No-op without a GPU (as torch)."""


def seed():
    """No-op without a GPU (as torch)."""


def seed_all():
    """No-op without a GPU (as torch)."""


def initial_seed():
    _lazy_init()
    from .. import random
    return random.initial_seed()


def get_rng_state(device="cuda"):
    _lazy_init()
    from .._args import unsupported
    unsupported("torch.cuda.get_rng_state", "device", device)


def get_rng_state_all():
    return [get_rng_state(i) for i in range(device_count())]


def set_rng_state(new_state, device="cuda"):
    """Without a GPU torch queues the call for a CUDA init that never comes: nothing happens."""
    if cuda_available():
        from .._args import unsupported
        unsupported("torch.cuda.set_rng_state", "device", (new_state, device))


def set_rng_state_all(new_states):
    for i, state in enumerate(new_states):
        set_rng_state(state, i)


def ipc_collect():
    _lazy_init()


def get_arch_list():
    if not cuda_available():
        return []
    major, minor = get_device_capability()
    return [f"sm_{major}{minor}"]


def get_gencode_flags():
    arch = get_arch_list()
    return " ".join(f"-gencode compute=compute_{a[3:]},code={a}" for a in arch)


def can_device_access_peer(device, peer_device):
    cp = _lazy_init()
    return bool(cp.cuda.runtime.deviceCanAccessPeer(_index(device), _index(peer_device)))


def is_current_stream_capturing():
    if not cuda_available():
        raise RuntimeError("Tried to instantiate dummy base class _cuda_isCurrentStreamCapturing")
    return False  # ember never captures a CUDA graph


class device:
    """Selects a CUDA device inside the block (a negative index: no change)."""

    def __init__(self, device):
        self.idx = _index(device, optional=True)
        self.prev_idx = -1

    def __enter__(self):
        self.prev_idx = _exchange(self.idx)

    def __exit__(self, *exc):
        self.idx = _exchange(self.prev_idx)
        return False


device.__module__ = "torch.cuda"


class device_of(device):
    """Selects the device of tensor `obj` inside the block (no change for a CPU tensor)."""

    def __init__(self, obj):
        super().__init__(obj.get_device() if obj.is_cuda else -1)


device_of.__module__ = "torch.cuda"


def _exchange(idx):
    """Makes `idx` the current device, returning the previous one (-1: leave it)."""
    if idx < 0:
        return -1
    cp = _get_cupy()
    if not cp:
        raise RuntimeError("PyTorch was compiled without CUDA support")
    prev = cp.cuda.runtime.getDevice()
    if prev != idx:
        cp.cuda.runtime.setDevice(idx)
    return prev


def current_stream(device=None):
    cp = _lazy_init()
    _index(device, optional=True)
    return cp.cuda.get_current_stream()


def default_stream(device=None):
    cp = _lazy_init()
    _index(device, optional=True)
    return cp.cuda.Stream.null


def set_stream(stream):
    """None leaves the stream unchanged (torch's no-op); a CuPy stream becomes current."""
    if stream is not None:
        stream.use()


class StreamContext:
    """Makes `stream` the current stream inside the block (None: no change)."""

    def __init__(self, stream):
        self.stream = stream
        self._prev = None

    def __enter__(self):
        if self.stream is not None:
            self._prev = current_stream()
            self.stream.use()

    def __exit__(self, *exc):
        if self.stream is not None:
            self._prev.use()


StreamContext.__module__ = "torch.cuda"


def stream(stream):
    return StreamContext(stream)


class Stream:
    """torch.cuda.Stream: ember does not create CUDA streams of its own."""

    def __new__(cls, device=None, priority=0, **kwargs):
        if not cuda_available():
            raise RuntimeError("torch.cuda.Stream requires CUDA support")
        from .._args import EmberNotImplementedError
        raise EmberNotImplementedError("ember does not implement torch.cuda.Stream yet "
                                       f"(device={device}, priority={priority}, {kwargs})")


class Event:
    """torch.cuda.Event: ember does not record CUDA events."""

    def __new__(cls, enable_timing=False, blocking=False, interprocess=False):
        if not cuda_available():
            raise RuntimeError("Tried to instantiate dummy base class Event")
        from .._args import EmberNotImplementedError
        raise EmberNotImplementedError(
            "ember does not implement torch.cuda.Event yet (enable_timing="
            f"{enable_timing}, blocking={blocking}, interprocess={interprocess})")


has_half = True
has_magma = False
default_generators = ()  # one per GPU; ember's GPUs draw from the CPU generator


class cudaStatus:
    SUCCESS = 0
    ERROR_NOT_READY = 34


def set_sync_debug_mode(debug_mode):
    _lazy_init()
    from .._args import unsupported
    unsupported("torch.cuda.set_sync_debug_mode", "debug_mode", debug_mode)


def get_sync_debug_mode():
    _lazy_init()
    return 0  # ember never warns on synchronizing calls


def _needs_gpu(api):
    _lazy_init()
    from .._args import EmberNotImplementedError
    raise EmberNotImplementedError(f"ember does not implement {api} yet")


def current_blas_handle():
    _needs_gpu("torch.cuda.current_blas_handle")


def current_solver_handle():
    _needs_gpu("torch.cuda.current_solver_handle")


def cudart():
    _needs_gpu("torch.cuda.cudart")


def get_stream_from_external(data_ptr, device=None):
    _lazy_init()
    from .._args import unsupported
    unsupported("torch.cuda.get_stream_from_external", "data_ptr", (data_ptr, device))


def graph_pool_handle():
    _refuse_with_gpu("torch.cuda.graph_pool_handle", RuntimeError(
        "Tried to instantiate dummy base class _graph_pool_handle"))


class CUDAGraph:
    """torch.cuda.CUDAGraph: ember does not capture CUDA graphs."""

    def __new__(cls, keep_graph=False):
        _refuse_with_gpu(f"torch.cuda.CUDAGraph(keep_graph={keep_graph})", RuntimeError(
            "Tried to instantiate dummy base class CUDAGraph"))


class _NVTX:
    """torch.cuda.nvtx: NVIDIA's profiler annotations, absent from ember (as from CPU torch)."""

    _MISSING = "NVTX functions not installed. Are you sure you have a CUDA build?"

    def range_push(self, msg):
        raise RuntimeError(self._MISSING)

    def range_pop(self):
        raise RuntimeError(self._MISSING)

    def range_start(self, msg):
        raise RuntimeError(self._MISSING)

    def range_end(self, range_id):
        raise RuntimeError(self._MISSING)

    def mark(self, msg):
        raise RuntimeError(self._MISSING)

    @contextlib.contextmanager
    def range(self, msg, *args, **kwargs):
        self.range_push(msg.format(*args, **kwargs))
        try:
            yield
        finally:
            self.range_pop()


nvtx = _NVTX()
