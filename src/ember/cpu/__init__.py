"""ember.cpu: torch.cpu, the CPU's side of torch's device-agnostic API.

The CPU is always there and is one device: queries answer so (device_count 1, current_device
'cpu'), synchronize has nothing to wait for (ember's NumPy work is done when a call returns), and
Stream / Event are the inert objects torch.cpu gives device-agnostic code. `get_capabilities()`
reads the instruction sets from the operating system (Linux: /proc/cpuinfo, /sys caches).
"""

import functools
import os
import platform
import types

from .._compat import module_getattr as _module_getattr

__all__ = ["is_available", "is_initialized", "synchronize", "current_device", "current_stream",
           "stream", "set_device", "device_count", "Stream", "StreamContext", "Event",
           "get_capabilities"]
__getattr__ = _module_getattr(__name__, {"amp": (".amp", None)})


def is_available():
    return True


def is_initialized():
    return True


def synchronize(device=None):
    """Nothing to wait for: every CPU op has finished when it returns."""


def current_device():
    return "cpu"


def set_device(device):
    """One CPU device: nothing to select (torch accepts any value here)."""


def device_count():
    return 1


class Stream:
    """torch.cpu.Stream: the CPU runs one stream in order, so these calls have nothing to do."""

    def __init__(self, priority=-1):
        pass

    def wait_stream(self, stream):
        pass

    def record_event(self):
        pass

    def wait_event(self, event):
        pass


Stream.__module__ = "torch.cpu"


class Event:
    """torch.cpu.Event: every CPU event has already happened."""

    def query(self):
        return True

    def record(self, stream=None):
        pass

    def synchronize(self):
        pass

    def wait(self, stream=None):
        pass


Event.__module__ = "torch.cpu"
_DEFAULT_STREAM = Stream()
_current = [_DEFAULT_STREAM]


def current_stream(device=None):
    return _current[0]


class StreamContext:
    """Makes `stream` the current one inside the block (None leaves it unchanged)."""

    def __init__(self, stream):
        self.stream = stream
        self.prev_stream = _DEFAULT_STREAM

    def __enter__(self):
        if self.stream is not None:
            self.prev_stream = _current[0]
            _current[0] = self.stream

    def __exit__(self, *exc):
        if self.stream is not None:
            _current[0] = self.prev_stream


StreamContext.__module__ = "torch.cpu"


def stream(stream):
    return StreamContext(stream)


# torch's capability name -> the Linux /proc/cpuinfo flag that reports it (same name if absent)
_X86_FLAGS = {"sse3": "pni", "avx512_f": "avx512f", "avx512_cd": "avx512cd",
              "avx512_dq": "avx512dq", "avx512_bw": "avx512bw", "avx512_vl": "avx512vl",
              "avx512_ifma": "avx512ifma", "avx512_vbmi": "avx512vbmi", "fma3": "fma",
              "bmi": "bmi1", "lzcnt": "abm", "sha": "sha_ni"}
_X86_NAMES = ("sse", "sse2", "sse3", "ssse3", "sse4_1", "sse4_2", "sse4a", "avx", "avx2",
              "avx_vnni", "avx512_f", "avx512_cd", "avx512_dq", "avx512_bw", "avx512_vl",
              "avx512_ifma", "avx512_vbmi", "avx512_vbmi2", "avx512_bitalg", "avx512_vpopcntdq",
              "avx512_vnni", "avx512_bf16", "avx512_fp16", "avx512_vp2intersect",
              "avx512_4vnniw", "avx512_4fmaps", "avx10_1", "avx10_2", "avx_vnni_int8",
              "avx_vnni_int16", "avx_ne_convert", "amx_bf16", "amx_tile", "amx_int8", "amx_fp16",
              "fma3", "fma4", "f16c", "bmi", "bmi2", "popcnt", "lzcnt", "aes", "sha", "clflush",
              "clflushopt", "clwb")
_ARM_FLAGS = {"neon": "asimd", "fp16_arith": "asimdhp", "bf16": "bf16", "i8mm": "i8mm",
              "dot": "asimddp", "sve": "sve", "sve2": "sve2", "sve_bf16": "svebf16",
              "sme": "sme", "sme2": "sme2", "atomics": "atomics", "fhm": "asimdfhm",
              "rdm": "asimdrdm", "crc32": "crc32", "aes": "aes", "sha1": "sha1", "sha2": "sha2",
              "pmull": "pmull"}


def _cpuinfo():
    """(flags, model name, physical ids, (physical id, core id) pairs) from /proc/cpuinfo."""
    flags, name, sockets, cores = set(), "", set(), set()
    try:
        with open("/proc/cpuinfo") as f:
            text = f.read()
    except OSError:
        return flags, platform.processor(), sockets, cores
    for block in text.split("\n\n"):
        info = {}
        for line in block.splitlines():
            key, _, value = line.partition(":")
            info[key.strip()] = value.strip()
        flags |= set(info.get("flags", info.get("Features", "")).split())
        name = name or info.get("model name", "")
        if "physical id" in info:
            sockets.add(info["physical id"])
            cores.add((info["physical id"], info.get("core id")))
    return flags, name, sockets, cores


def _cache_size(level, kind):
    base = "/sys/devices/system/cpu/cpu0/cache"
    try:
        for entry in os.listdir(base):
            d = os.path.join(base, entry)
            if not entry.startswith("index"):
                continue
            with open(os.path.join(d, "level")) as f:
                lvl = int(f.read())
            with open(os.path.join(d, "type")) as f:
                typ = f.read().strip()
            if lvl == level and typ in kind:
                with open(os.path.join(d, "size")) as f:
                    size = f.read().strip()
                mult = {"K": 1024, "M": 1024 ** 2}.get(size[-1:], 1)
                return int(size.rstrip("KM")) * mult
    except (OSError, ValueError):
        pass
    return 0


@functools.lru_cache(None)
def get_capabilities():
    """The CPU's instruction sets and topology, read-only, keyed as torch's."""
    flags, name, sockets, cores = _cpuinfo()
    arch = platform.machine()
    if arch in ("x86_64", "AMD64", "i686", "x86"):
        caps = {n: _X86_FLAGS.get(n, n) in flags for n in _X86_NAMES}
    else:
        caps = {n: flag in flags for n, flag in _ARM_FLAGS.items()}
    logical = os.cpu_count() or 1
    caps.update(architecture=arch, cpu_name=name, num_sockets=max(len(sockets), 1),
                num_physical_cores=len(cores) or logical, num_logical_cores=logical,
                l1d_cache_size=_cache_size(1, ("Data", "Unified")),
                l2_cache_size=_cache_size(2, ("Unified", "Data")))
    return types.MappingProxyType(caps)


def _is_avx2_supported():
    return get_capabilities().get("avx2", False)


def _is_avx512_supported():
    return get_capabilities().get("avx512_f", False)


def _is_avx512_bf16_supported():
    return get_capabilities().get("avx512_bf16", False)


def _is_vnni_supported():
    return get_capabilities().get("avx512_vnni", False)


def _is_amx_tile_supported():
    return get_capabilities().get("amx_tile", False)


def _is_amx_fp16_supported():
    return get_capabilities().get("amx_fp16", False)
