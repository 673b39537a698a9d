"""What load() costs the process: memory and file descriptors, measured in a fresh subprocess.

A checkpoint of N MB must load with its peak resident memory (VmHWM) rising by about N MB, not
2N (each record read straight into its tensor's memory, as torch's loader does), in the zip and
the legacy format and from a `.safetensors` path; mmap=True must map the archive once, so a
checkpoint of more tensors than the process may open files loads under that limit.
"""

import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import ember
from ember import _safetensors, serialization

linux_only = pytest.mark.skipif(not os.path.exists("/proc/self/status"),
                                reason="reads VmHWM and the fd table from /proc")
_MB = 1 << 20


def _run(code, *args):
    out = subprocess.run([sys.executable, "-c", textwrap.dedent(code), *map(str, args)],
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    return out.stdout.strip().splitlines()[-1]


_PEAK = """
    import sys
    from ember import serialization

    def high_water_mark():
        with open("/proc/self/status") as f:
            return next(int(line.split()[1]) * 1024 for line in f if line.startswith("VmHWM"))

    path, mmap = sys.argv[1], sys.argv[2] == "1"
    before = high_water_mark()
    obj = serialization.load(path, mmap=mmap or None)
    assert float(obj["w"][-1, -1]) == 199.0
    print(high_water_mark() - before)
"""


@pytest.fixture(scope="module")
def checkpoints(tmp_path_factory):
    """A 200 MB float32 tensor (each row its index), saved in both formats."""
    folder = tmp_path_factory.mktemp("big")
    w = np.repeat(np.arange(200, dtype=np.float32)[:, None], _MB // 4, axis=1)
    obj = {"w": ember.from_numpy(w), "b": ember.ones(3)}
    paths = {"zip": folder / "big.pt", "legacy": folder / "big.legacy.pt",
             "safetensors": folder / "big.safetensors"}
    serialization.save(obj, paths["zip"])
    serialization.save(obj, paths["legacy"], _use_new_zipfile_serialization=False)
    _safetensors.save_file(obj, paths["safetensors"])
    return paths


@linux_only
@pytest.mark.parametrize("fmt", ["zip", "legacy", "safetensors"])
def test_load_peak_memory_is_one_copy(checkpoints, fmt):
    size = os.path.getsize(checkpoints[fmt])
    grew = int(_run(_PEAK, checkpoints[fmt], 0))
    assert grew <= 1.1 * size, f"load raised peak RSS by {grew / _MB:.0f} MB for a " \
                               f"{size / _MB:.0f} MB checkpoint"


@linux_only
def test_mmap_load_reads_no_tensor_data(checkpoints):
    grew = int(_run(_PEAK, checkpoints["zip"], 1))
    assert grew <= 0.1 * os.path.getsize(checkpoints["zip"])


@linux_only
def test_mmap_load_of_many_tensors_uses_one_descriptor(tmp_path):
    path = tmp_path / "many.pt"
    serialization.save({f"t{i}": ember.full((4,), float(i)) for i in range(2000)}, path)
    code = """
        import os, resource, sys
        from ember import serialization
        hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
        resource.setrlimit(resource.RLIMIT_NOFILE, (1024, hard))
        before = len(os.listdir("/proc/self/fd"))
        obj = serialization.load(sys.argv[1], mmap=True)
        assert [float(obj[f"t{i}"][0]) for i in (0, 1999)] == [0.0, 1999.0]
        print(len(os.listdir("/proc/self/fd")) - before)
    """
    assert int(_run(code, path)) <= 1
