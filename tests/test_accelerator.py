"""torch.accelerator, torch.cuda, torch.mps, torch.cpu and torch.get_device_module as CPU-only
torch 2.13 has them: each expression runs in torch and in ember, and the outcomes (value and type,
or exception type and text, and warnings) must be equal."""

import re
import warnings

import pytest

import ember
from oracle import torch

# these expressions describe a machine without a GPU (torch's CPU build)
pytestmark = pytest.mark.skipif(ember.cuda.is_available(), reason="a GPU is present")


def outcome(lib, expr):
    """What `expr` gives with `T` bound to `lib`: the value's repr and type, or the error."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            r = eval(expr, {"T": lib, "w": _enter})
            got = ("ok", type(r).__name__, re.sub(r"0x[0-9a-f]+", "0x", repr(r)))
        except Exception as e:  # noqa: BLE001 - the exception is the outcome compared
            got = ("error", type(e).__name__, str(e))
    return got, [(w.category.__name__, str(w.message)) for w in caught]


def _enter(cm):
    with cm:
        return "entered"


def same(expr):
    if torch is None:
        pytest.skip("torch (the oracle) is not installed")
    want, got = outcome(torch, expr), outcome(ember, expr)
    assert got == want, expr


ACCELERATOR = [
    "T.accelerator.is_available()", "T.accelerator.current_accelerator()",
    "T.accelerator.current_accelerator(True)",
    "T.accelerator.current_accelerator(check_available=True)", "T.accelerator.device_count()",
    "T.accelerator.current_device_index()", "T.accelerator.current_device_idx()",
    "T.accelerator.set_device_index(0)", "T.accelerator.set_device_index(None)",
    "T.accelerator.set_device_index(1.5)", "T.accelerator.set_device_idx(0)",
    "T.accelerator.set_device_index('cpu')", "T.accelerator.set_device_index('cuda:0')",
    "T.accelerator.synchronize()", "T.accelerator.synchronize(0)",
    "T.accelerator.synchronize('cpu')", "T.accelerator.synchronize('cuda')",
    "T.accelerator.synchronize(T.device('cuda', 1))", "T.accelerator.empty_cache()",
    "T.accelerator.empty_host_cache()", "T.accelerator.get_memory_info()",
    "T.accelerator.get_memory_info('cpu')", "T.accelerator.memory_allocated()",
    "T.accelerator.memory_allocated('cpu')", "T.accelerator.max_memory_allocated()",
    "T.accelerator.memory_reserved()", "T.accelerator.max_memory_reserved()",
    "T.accelerator.memory_stats()", "T.accelerator.reset_accumulated_memory_stats()",
    "T.accelerator.reset_peak_memory_stats()", "T.accelerator.current_stream()",
    "T.accelerator.current_stream('cpu')", "T.accelerator.get_device_capability()",
    "T.accelerator.get_device_capability('cpu')", "T.accelerator.Graph()",
    "w(T.accelerator.device_index(None))", "w(T.accelerator.device_index(0))",
    "w(T.accelerator.device_index(-1))", "T.accelerator.is_available(1)",
]

CUDA = [
    "T.cuda.is_available()", "T.cuda.device_count()", "T.cuda.is_bf16_supported()",
    "T.cuda.is_bf16_supported(False)", "T.cuda.is_tf32_supported()",
    "T.cuda.get_device_capability()", "T.cuda.get_device_capability(0)",
    "T.cuda.get_device_capability('cpu')", "T.cuda.get_device_properties(0)",
    "T.cuda.get_device_name()", "T.cuda.get_device_name('cpu')", "T.cuda.mem_get_info()",
    "T.cuda.mem_get_info(0)", "T.cuda.mem_get_info('cpu')", "T.cuda.memory_allocated()",
    "T.cuda.memory_allocated('cuda:0')", "T.cuda.memory_allocated('cpu')",
    "T.cuda.max_memory_allocated()", "T.cuda.memory_reserved(1)",
    "T.cuda.max_memory_reserved()", "T.cuda.memory_cached()", "T.cuda.max_memory_cached()",
    "T.cuda.memory_stats()", "T.cuda.memory_stats('cpu')", "T.cuda.memory_summary()",
    "T.cuda.memory_snapshot()", "T.cuda.reset_peak_memory_stats()",
    "T.cuda.reset_peak_memory_stats('cpu')", "T.cuda.reset_max_memory_allocated()",
    "T.cuda.reset_accumulated_memory_stats()", "T.cuda.host_memory_stats()",
    "T.cuda.empty_cache()", "T.cuda.empty_cache(1)", "T.cuda.current_stream()",
    "T.cuda.current_stream('cpu')", "T.cuda.default_stream()", "T.cuda.Stream()",
    "T.cuda.Event()", "T.cuda.manual_seed(1)", "T.cuda.manual_seed_all(1)", "T.cuda.seed()",
    "T.cuda.seed_all()", "T.cuda.initial_seed()", "T.cuda.ipc_collect()",
    "T.cuda.is_initialized()", "T.cuda.init()", "T.cuda.get_arch_list()",
    "T.cuda.get_gencode_flags()", "T.cuda.current_device()", "T.cuda.set_device(0)",
    "T.cuda.set_device(-1)", "T.cuda.set_device('cuda:0')", "T.cuda.set_device('cpu')",
    "T.cuda.set_device(None)", "T.cuda.synchronize()", "T.cuda.synchronize('cpu')",
    "T.cuda.get_rng_state()", "T.cuda.get_rng_state_all()",
    "T.cuda.set_rng_state(T.zeros(8, dtype=T.uint8))", "T.cuda.can_device_access_peer(0, 1)",
    "T.cuda.is_current_stream_capturing()", "T.cuda.set_per_process_memory_fraction(0.5)",
    "T.cuda.get_per_process_memory_fraction()", "T.cuda.set_stream(None)",
    "T.cuda.list_gpu_processes()", "T.cuda.utilization()", "T.cuda.temperature()",
    "w(T.cuda.device(0))", "w(T.cuda.device(-1))", "w(T.cuda.device('cuda:1'))",
    "w(T.cuda.device(None))", "T.cuda.device('cpu')", "w(T.cuda.device_of(T.zeros(1)))",
    "w(T.cuda.stream(None))", "w(T.cuda.StreamContext(None))", "T.cuda._is_compiled()",
    "T.cuda.has_half", "T.cuda.has_magma", "T.cuda.reset_max_memory_cached()",
    "T.cuda.memory_stats_as_nested_dict()", "T.cuda.host_memory_stats_as_nested_dict()",
    "T.cuda.reset_peak_host_memory_stats()", "T.cuda.reset_accumulated_host_memory_stats()",
    "T.cuda.set_sync_debug_mode(0)", "T.cuda.get_sync_debug_mode()",
    "T.cuda.current_blas_handle()", "T.cuda.current_solver_handle()",
    "T.cuda.default_generators", "T.cuda.nvtx.range_push('a')", "T.cuda.nvtx.range_pop()",
    "T.cuda.nvtx.mark('a')", "w(T.cuda.nvtx.range('a'))", "T.cuda.graph_pool_handle()",
    "T.cuda.CUDAGraph()", "T.cuda.get_stream_from_external(0)", "T.cuda.cudart()",
    "T.cuda.device_memory_used()", "T.cuda.memory_usage()", "T.cuda.power_draw()",
    "T.cuda.clock_rate()", "T.cuda.cudaStatus.SUCCESS",
]

MPS = [
    "T.mps.is_available()", "T.mps.device_count()", "T.mps.manual_seed(1)",
    "T.mps.manual_seed('a')", "T.mps.seed()", "T.mps.synchronize()", "T.mps.get_rng_state()",
    "T.mps.set_rng_state(T.zeros(8, dtype=T.uint8))", "T.mps.empty_cache()",
    "T.mps.set_per_process_memory_fraction(0.5)", "T.mps.set_per_process_memory_fraction(5)",
    "T.mps.set_per_process_memory_fraction(5.0)", "T.mps.current_allocated_memory()",
    "T.mps.driver_allocated_memory()", "T.mps.recommended_max_memory()",
    "T.mps.compile_shader('')", "T.mps.profiler.start()", "T.mps.profiler.stop()",
    "w(T.mps.profiler.profile())", "T.mps.profiler.is_metal_capture_enabled()",
    "T.backends.mps.is_available()", "T.backends.mps.is_built()",
]

CPU = [
    "T.cpu.current_device()", "T.cpu.is_available()", "T.cpu.is_initialized()",
    "T.cpu.synchronize()", "T.cpu.synchronize('cuda')", "T.cpu.device_count()",
    "T.cpu.current_stream()", "T.cpu.Stream()", "T.cpu.Stream(priority=1)", "T.cpu.Event()",
    "T.cpu.Event().query()", "T.cpu.Event().record()", "T.cpu.set_device(1)",
    "w(T.cpu.stream(T.cpu.Stream()))", "w(T.cpu.StreamContext(None))",
    "T.cpu.current_stream() is T.cpu.current_stream()", "T.cpu.Stream() == T.cpu.Stream()",
    "T.cpu.Stream().wait_stream(T.cpu.Stream())",
    "T.cpu._is_avx2_supported()", "T.cpu._is_avx512_supported()",
    "T.get_device_module().__name__", "T.get_device_module('cpu').__name__",
    "T.get_device_module('cuda').__name__", "T.get_device_module('mps').__name__",
    "T.get_device_module(T.device('cuda:1')).__name__", "T.get_device_module('meta')",
    "T.get_device_module('xla')", "T.get_device_module('foo')", "T.get_device_module(3)",
]


@pytest.mark.parametrize("expr", ACCELERATOR)
def test_accelerator(expr):
    same(expr)


@pytest.mark.parametrize("expr", CUDA)
def test_cuda(expr):
    same(expr)


@pytest.mark.parametrize("expr", MPS)
def test_mps(expr):
    same(expr)


@pytest.mark.parametrize("expr", CPU)
def test_cpu(expr):
    if "__name__" in expr:  # the module's own name: torch.X against ember.X
        if torch is None:
            pytest.skip("torch (the oracle) is not installed")
        want, got = outcome(torch, expr), outcome(ember, expr)
        assert got[0][2].replace("ember", "torch") == want[0][2]
        return
    same(expr)


def test_cpu_capabilities_match_torch():
    if torch is None:
        pytest.skip("torch (the oracle) is not installed")
    want, got = dict(torch.cpu.get_capabilities()), dict(ember.cpu.get_capabilities())
    assert type(ember.cpu.get_capabilities()).__name__ == "mappingproxy"
    assert set(got) == set(want)
    # torch's cpuinfo shortens the marketing name; it reads AVX10 from CPUID leaf 7.1, which
    # Linux's /proc/cpuinfo flags (what ember reads, having no CPUID instruction) do not name
    skip = {"cpu_name", "avx10_1", "avx10_2"}
    assert {k: v for k, v in got.items() if k not in skip} == \
        {k: v for k, v in want.items() if k not in skip}


def test_cpu_stream_context_switches_and_restores():
    s = ember.cpu.Stream()
    before = ember.cpu.current_stream()
    with ember.cpu.stream(s):
        assert ember.cpu.current_stream() is s
    assert ember.cpu.current_stream() is before


SCRIPT = '''
import torch
from torch import nn

device = torch.accelerator.current_accelerator().type if torch.accelerator.is_available() else "cpu"
print(f"Using {device} device")
if torch.backends.mps.is_available():
    mps_device = torch.device("mps")
else:
    print("MPS device not found.")
device = ("cuda" if torch.cuda.is_available()
          else "mps" if torch.backends.mps.is_available() else "cpu")
print(device, torch.cuda.device_count(), torch.get_device_module().__name__.split(".")[-1])
model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2)).to(device)
print(next(model.parameters()).device)
torch.backends.cudnn.benchmark = True
torch.backends.cuda.matmul.allow_tf32 = False
print(torch.backends.cudnn.benchmark, torch.backends.cudnn.is_available(),
      torch.backends.cudnn.version(), torch.get_default_device())
with torch.device("meta"):
    big = nn.Linear(1000, 1000)
print(big.weight)
torch.set_default_device("meta")
print(torch.zeros(2, 3), torch.get_default_device())
torch.set_default_device(None)
print(torch.cpu.current_device(), torch.cpu.device_count(), torch.backends.cpu.get_cpu_capability())
'''


def test_device_picking_script_runs_under_ember_run(tmp_path):
    """An official-example style script prints under `ember run` what it prints under torch."""
    import subprocess
    import sys
    path = tmp_path / "pick_device.py"
    path.write_text(SCRIPT)
    r = subprocess.run([sys.executable, "-m", "ember", "run", str(path)], capture_output=True,
                       text=True, timeout=120, cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines()[:2] == ["Using cpu device", "MPS device not found."]
    if torch is None:
        pytest.skip("torch (the oracle) is not installed")
    t = subprocess.run([sys.executable, str(path)], capture_output=True, text=True, timeout=120,
                       cwd=tmp_path)
    assert t.returncode == 0, t.stderr
    assert r.stdout == t.stdout
