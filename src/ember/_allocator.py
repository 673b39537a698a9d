"""Keeps the C allocator from handing a training step's freed arrays back to the kernel.

A training step frees, at its end, the activations and gradients it made (megabytes each for a
CNN), and makes arrays of the same sizes again in the next step. glibc's malloc serves arrays
above its mmap threshold with fresh mappings, and hands free memory at the top of its heap back
to the kernel once more than its trim threshold is free there. Its dynamic rule raises the mmap
threshold to the largest array freed (up to 32 MiB) but keeps the trim threshold at twice that,
so after each step the heap top is trimmed and the next step touches every page again: on this
project's 2-CPU machine the course CNN (batch 20) took ~1300 page faults per step, the char-RNN
~2800, and 12-16 % of their step time.

So, once, when the first backward pass runs (the start of training; an inference-only process
is left alone), ember sets glibc's mmap threshold to 32 MiB (the dynamic rule's own ceiling) and
its trim threshold to 64 MiB: arrays up to 32 MiB are carved from the heap and stay there for
reuse, and at most 64 MiB of free heap top is kept from the kernel. Larger arrays are still
mapped and unmapped one by one. It touches nothing when the process's malloc is not glibc's
(then `mallopt` is absent, or belongs to a glibc that does not serve this process's arrays when
another allocator is preloaded: harmless) or when the user tuned glibc's malloc already
(a MALLOC_*_ variable or a glibc.malloc tunable in GLIBC_TUNABLES): that choice stands.
"""

import os
import sys

_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3
MMAP_THRESHOLD = 32 << 20
TRIM_THRESHOLD = 64 << 20
pending = [sys.platform.startswith("linux")]  # run_backward calls settle() while this is true
settled = [False]  # whether settle() changed malloc's thresholds


def _user_tuned(environ):
    return (any(k.startswith("MALLOC_") and k.endswith("_") for k in environ)
            or "glibc.malloc." in environ.get("GLIBC_TUNABLES", ""))


def settle(environ=None):
    """Sets the thresholds once (see the module docstring); returns whether it did."""
    pending[0] = False
    if _user_tuned(os.environ if environ is None else environ):
        return False
    try:
        import ctypes
        libc = ctypes.CDLL(None)
        libc.gnu_get_libc_version  # noqa: B018 -- glibc only (musl's mallopt does nothing)
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
    settled[0] = bool(mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD)) and bool(
        mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD))
    return settled[0]
