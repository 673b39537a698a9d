"""ember._allocator: after the first backward pass, glibc's malloc keeps a step's freed arrays
in its heap instead of unmapping / trimming them (measured as page faults), unless the user
tuned glibc's malloc."""

import ctypes
import subprocess
import sys

import pytest

from ember import _allocator


def _glibc():
    try:
        ctypes.CDLL(None).gnu_get_libc_version  # noqa: B018
    except (OSError, AttributeError):
        return False
    return sys.platform.startswith("linux")


needs_glibc = pytest.mark.skipif(not _glibc(), reason="glibc's malloc only")

# a step's pattern: five 4 MiB arrays made, touched and freed together, 10 times; prints the
# page faults per round after a first round, before and after one backward pass
_SCRIPT = r"""
import resource, numpy as np, ember
from ember import _allocator
def faults():
    r0 = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    for _ in range(10):
        arrays = [np.ones(1 << 20, np.float32) for _ in range(5)]
        del arrays
    return (resource.getrusage(resource.RUSAGE_SELF).ru_minflt - r0) / 10
faults()
before = faults()
x = ember.ones(3, requires_grad=True)
(x * 2).sum().backward()
faults()
print(before, faults(), _allocator.settled[0], _allocator.pending[0])
"""


def _run(env_extra=None):
    import os
    env = {k: v for k, v in os.environ.items()
           if not (k.startswith("MALLOC_") or k == "GLIBC_TUNABLES")}
    env.update(env_extra or {})
    out = subprocess.run([sys.executable, "-c", _SCRIPT], env=env, capture_output=True,
                         text=True, check=True).stdout.split()
    return float(out[0]), float(out[1]), out[2] == "True", out[3] == "True"


@needs_glibc
def test_first_backward_keeps_freed_arrays_in_the_heap():
    before, after, settled, pending = _run()
    assert before > 1000  # glibc's dynamic rule: each round maps or trims them again
    assert after < 50 and settled and not pending


@needs_glibc
def test_user_tuning_stands():
    before, after, settled, pending = _run({"MALLOC_TRIM_THRESHOLD_": str(1 << 20)})
    assert not settled and not pending
    assert after > 1000  # still the user's (here trimming) malloc


def test_user_tuned_detection():
    assert _allocator._user_tuned({"MALLOC_ARENA_MAX_": "2"})
    assert _allocator._user_tuned({"GLIBC_TUNABLES": "glibc.malloc.trim_threshold=1"})
    assert not _allocator._user_tuned({"GLIBC_TUNABLES": "glibc.cpu.hwcaps=-AVX2"})
    assert not _allocator._user_tuned({"MALLOC": "x", "PATH": "/bin"})
