"""torch.backends as CPU-only torch 2.13 reports it: each snippet runs line by line in torch and
in ember (`B` is the lib's backends), and the outcome of every line (value and type, or exception
type and text, and warnings) must be equal. Each snippet's last lines restore the defaults."""

import re
import warnings

import pytest

import ember
import ember.backends
from oracle import torch

pytestmark = pytest.mark.skipif(ember.cuda.is_available(), reason="a GPU is present")


def run(lib, snippet):
    import importlib
    names = {"T": lib, "B": importlib.import_module(lib.__name__ + ".backends")}
    out = []
    for line in snippet.strip().splitlines():
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                try:
                    r = eval(line, names)
                    got = ("ok", type(r).__name__, re.sub(r"0x[0-9a-f]+", "0x", repr(r)))
                except SyntaxError:
                    exec(line, names)
                    got = ("done",)
            except Exception as e:  # noqa: BLE001 - the exception is the outcome compared
                got = ("error", type(e).__name__, str(e))
        # torch's C++ warnings end with where they were raised in its sources
        out.append((line, got, [(w.category.__name__, re.sub(
            r" \(Triggered internally at .*\)$", "", str(w.message))) for w in caught]))
    return out


def same(snippet):
    if torch is None:
        pytest.skip("torch (the oracle) is not installed")
    want, got = run(torch, snippet), run(ember, snippet)
    for w, g in zip(want, got):
        assert g == w, w[0]


QUERIES = [
    "B.cudnn.is_available()", "B.cudnn.version()", "B.cudnn.enabled", "B.cudnn.benchmark",
    "B.cudnn.deterministic", "B.cudnn.allow_tf32", "B.cudnn.benchmark_limit",
    "B.cudnn.fp32_precision", "B.cudnn.conv.fp32_precision", "B.cudnn.rnn.fp32_precision",
    "B.cudnn.depthwise_kernel", "B.cudnn.is_acceptable(T.zeros(1))", "B.cudnn.set_flags()",
    "B.fp32_precision", "B.flags_frozen()", "B.mkldnn.enabled", "B.mkldnn.deterministic",
    "B.mkldnn.allow_tf32", "B.mkldnn.fp32_precision", "B.mkldnn.matmul.fp32_precision",
    "B.mkldnn.conv.fp32_precision", "B.mkldnn.rnn.fp32_precision", "B.mkldnn.VERBOSE_ON",
    "B.mkldnn.set_flags()", "B.mps.is_available()", "B.mps.is_built()",
    "B.mps.is_macos13_or_newer()", "B.mps.get_name()", "B.cusparselt.is_available()",
    "B.cusparselt.version()", "B.cusparselt.get_max_alg_id()", "B.kleidiai.is_available()",
    "B.miopen.immediate", "B.cpu.get_cpu_capability()", "B.mha.get_fastpath_enabled()",
    "B.quantized.engine", "B.quantized.supported_engines", "B.opt_einsum.is_available()",
    "B.opt_einsum.enabled", "B.opt_einsum.strategy", "B.opt_einsum.get_opt_einsum()",
    "B.cuda.is_built()", "B.cuda.matmul.allow_tf32",
    "B.cuda.matmul.allow_fp16_reduced_precision_reduction",
    "B.cuda.matmul.allow_bf16_reduced_precision_reduction",
    "B.cuda.matmul.allow_fp16_reduced_precision_reduction_split_k",
    "B.cuda.matmul.allow_fp16_accumulation", "B.cuda.matmul.fp32_precision",
    "B.cuda.matmul.foo", "B.cuda.flash_sdp_enabled()", "B.cuda.mem_efficient_sdp_enabled()",
    "B.cuda.math_sdp_enabled()", "B.cuda.cudnn_sdp_enabled()",
    "B.cuda.fp16_bf16_reduction_math_sdp_allowed()", "B.cuda.is_flash_attention_available()",
    "B.cuda.is_ck_sdpa_available()", "B.cuda.preferred_linalg_library()",
    "B.cuda.preferred_linalg_library('cusolver')", "B.cuda.preferred_linalg_library('magma')",
    "B.cuda.preferred_linalg_library('foo')", "B.cuda.preferred_linalg_library(3)",
    "B.cuda.preferred_linalg_library('default')", "B.cuda.preferred_rocm_fa_library()",
    "B.cuda.preferred_rocm_fa_library('foo')", "B.cuda.cufft_plan_cache.size",
    "B.cuda.cufft_plan_cache.max_size", "B.cuda.cufft_plan_cache[0]",
    "B.cuda.cufft_plan_cache.clear()", "B.cuda.cublas_workspace_size()",
    "list(B.cuda.SDPBackend.__members__)", "B.cuda.SDPBackend.MATH",
    "B.cuda.SDPBackend.FLASH_ATTENTION.value", "str(B.cuda.SDPBackend.MATH)",
    "str(B.cuda.preferred_linalg_library())", "B.cuda.SDPBackend.MATH == 0",
    "int(B.cuda.SDPBackend.ERROR)",
]

SETTINGS = [
    # cuDNN flags: bool checks (with torch's texts), read back, restored by flags()
    """B.cudnn.benchmark = True
B.cudnn.benchmark
B.cudnn.deterministic = True
B.cudnn.deterministic
B.cudnn.enabled = 0
B.cudnn.enabled = 'x'
B.cudnn.benchmark = None
B.cudnn.deterministic = 1
B.cudnn.allow_tf32 = 1
B.cudnn.benchmark = False
B.cudnn.deterministic = False""",
    """B.cudnn.allow_tf32 = False
B.cudnn.allow_tf32
B.cudnn.conv.fp32_precision
B.cudnn.rnn.fp32_precision
B.cudnn.allow_tf32 = True
B.cudnn.conv.fp32_precision""",
    """c = B.cudnn.flags(enabled=False, benchmark=True, deterministic=True)
c.__enter__()
(B.cudnn.enabled, B.cudnn.benchmark, B.cudnn.deterministic, B.cudnn.benchmark_limit)
c.__exit__(None, None, None)
(B.cudnn.enabled, B.cudnn.benchmark, B.cudnn.deterministic)""",
    """B.cudnn.set_flags(False, True)
B.cudnn.set_flags(True, False)
(B.cudnn.enabled, B.cudnn.benchmark)""",
    # frozen flags
    """B.disable_global_flags()
B.flags_frozen()
B.cudnn.benchmark = True
B.mkldnn.enabled = False
c = B.cudnn.flags(benchmark=True)
c.__enter__()
B.cudnn.benchmark
c.__exit__(None, None, None)
B.cudnn.benchmark""",
    # fp32 precision: inheritance, checks
    """B.fp32_precision = 'tf32'
B.fp32_precision
B.cudnn.fp32_precision
B.cudnn.conv.fp32_precision
B.mkldnn.fp32_precision
B.mkldnn.matmul.fp32_precision
B.cuda.matmul.fp32_precision
B.fp32_precision = 'none'
B.fp32_precision = 'foo'
B.cuda.matmul.fp32_precision = 'bf16'
B.cudnn.fp32_precision = 'bf16'
B.cuda.matmul.fp32_precision = 3
B.mkldnn.matmul.fp32_precision = 'ieee'
B.mkldnn.matmul.fp32_precision
B.mkldnn.matmul.fp32_precision = 'none'
B.mkldnn.conv.foo = 1
B.fp32_precision""",
    """c = B.flags(fp32_precision='ieee')
c.__enter__()
B.fp32_precision
c.__exit__(None, None, None)
B.fp32_precision""",
    # cuBLAS flags
    """B.cuda.matmul.allow_tf32 = True
B.cuda.matmul.allow_tf32
B.cuda.matmul.fp32_precision
B.cuda.matmul.allow_tf32 = 1
B.cuda.matmul.allow_tf32 = False
B.cuda.matmul.fp32_precision
B.cuda.matmul.fp32_precision = 'none'""",
    """B.cuda.matmul.allow_fp16_reduced_precision_reduction = False
B.cuda.matmul.allow_fp16_reduced_precision_reduction
B.cuda.matmul.allow_fp16_reduced_precision_reduction = 1
B.cuda.matmul.allow_fp16_reduced_precision_reduction = (False, False)
B.cuda.matmul.allow_fp16_reduced_precision_reduction_split_k
B.cuda.matmul.allow_fp16_reduced_precision_reduction = ()
B.cuda.matmul.allow_fp16_reduced_precision_reduction = (True, True, True)
B.cuda.matmul.allow_fp16_reduced_precision_reduction = (True, 1)
B.cuda.matmul.allow_bf16_reduced_precision_reduction = [False]
B.cuda.matmul.allow_bf16_reduced_precision_reduction
B.cuda.matmul.allow_fp16_reduced_precision_reduction = True
B.cuda.matmul.allow_bf16_reduced_precision_reduction = True
B.cuda.matmul.allow_fp16_reduced_precision_reduction_split_k
B.cuda.matmul.foo = 1""",
    # float32 matmul precision: the legacy and the new API, and their mix
    """T.get_float32_matmul_precision()
T.set_float32_matmul_precision('high')
(T.get_float32_matmul_precision(), B.cuda.matmul.fp32_precision, B.mkldnn.matmul.fp32_precision)
B.cuda.matmul.allow_tf32
T.set_float32_matmul_precision('medium')
(T.get_float32_matmul_precision(), B.cuda.matmul.fp32_precision, B.mkldnn.matmul.fp32_precision)
T.set_float32_matmul_precision('foo')
T.set_float32_matmul_precision(3)
T.get_float32_matmul_precision()
T.set_float32_matmul_precision('highest')
(T.get_float32_matmul_precision(), B.cuda.matmul.fp32_precision, B.cuda.matmul.allow_tf32)
B.cuda.matmul.fp32_precision = 'tf32'
T.get_float32_matmul_precision()
B.cuda.matmul.fp32_precision = 'none'
T.get_float32_matmul_precision()
B.mkldnn.matmul.fp32_precision = 'bf16'
T.get_float32_matmul_precision()
B.mkldnn.matmul.fp32_precision = 'none'
B.cuda.matmul.allow_tf32 = True
T.get_float32_matmul_precision()
B.cuda.matmul.allow_tf32 = False
T.get_float32_matmul_precision()
B.cuda.matmul.fp32_precision = 'none'
B.mkldnn.matmul.fp32_precision = 'none'
T.get_float32_matmul_precision()""",
    # attention kernel switches
    """B.cuda.enable_flash_sdp(False)
B.cuda.flash_sdp_enabled()
B.cuda.enable_math_sdp(1)
B.cuda.enable_flash_sdp(True)
c = B.cuda.sdp_kernel(enable_flash=False, enable_math=False)
c.__enter__()
(B.cuda.flash_sdp_enabled(), B.cuda.math_sdp_enabled(), B.cuda.mem_efficient_sdp_enabled())
c.__exit__(None, None, None)
(B.cuda.flash_sdp_enabled(), B.cuda.math_sdp_enabled())""",
    # with both the math and the flash kernel off, CPU attention has no kernel left
    """B.cuda.enable_math_sdp(False)
q = T.ones(1, 2, 4, 8)
T.nn.functional.scaled_dot_product_attention(q, q, q).shape
B.cuda.enable_flash_sdp(False)
T.nn.functional.scaled_dot_product_attention(q, q, q).shape
B.cuda.enable_math_sdp(True)
B.cuda.enable_flash_sdp(True)
T.nn.functional.scaled_dot_product_attention(q, q, q).shape""",
    # mkldnn flags
    """B.mkldnn.enabled = False
B.mkldnn.enabled
B.mkldnn.enabled = 1
B.mkldnn.deterministic = 1
B.mkldnn.enabled = True
c = B.mkldnn.flags(enabled=False)
c.__enter__()
B.mkldnn.enabled
c.__exit__(None, None, None)
B.mkldnn.enabled""",
    # the rest
    """B.mha.set_fastpath_enabled(False)
B.mha.get_fastpath_enabled()
B.mha.set_fastpath_enabled(True)
B.quantized.engine = 'qnnpack'
B.quantized.engine
B.quantized.engine = 'foo'
B.quantized.supported_engines = []
B.quantized.engine = 'x86'
B.opt_einsum.enabled = True
B.opt_einsum.enabled
B.opt_einsum.enabled = False
B.opt_einsum.set_flags(False)
B.miopen.immediate = 1
B.nnpack.set_flags(False)
B.nnpack.set_flags(True)""",
]


@pytest.mark.parametrize("expr", QUERIES)
def test_query(expr):
    same(expr)


@pytest.mark.parametrize("snippet", SETTINGS, ids=[s.splitlines()[0] for s in SETTINGS])
def test_settings(snippet):
    try:
        same(snippet)
    finally:  # flags are global: never leave one frozen for the next test
        ember.backends._mutation_allowed[0] = True
        if torch is not None:
            vars(torch.backends.m)["__allow_nonbracketed_mutation_flag"] = True


def test_reduced_precision_matmuls_agree_with_torch():
    """Under 'medium' (oneDNN bf16 matmuls in torch) ember's float32 products agree with torch's
    to float32 rounding; the setting reads back as torch's."""
    import numpy as np
    a = np.random.default_rng(0).standard_normal((256, 512)).astype(np.float32)
    b = np.random.default_rng(1).standard_normal((512, 256)).astype(np.float32)
    ember.set_float32_matmul_precision("medium")
    try:
        assert ember.get_float32_matmul_precision() == "medium"
        assert ember.backends.mkldnn.matmul.fp32_precision == "bf16"
        got = (ember.from_numpy(a) @ ember.from_numpy(b)).numpy()
    finally:
        ember.set_float32_matmul_precision("highest")
    if torch is None:
        pytest.skip("torch (the oracle) is not installed")
    caps = torch.cpu.get_capabilities()
    # torch computes in bfloat16 only where oneDNN has a fast bf16 kernel for this CPU; ember has
    # none, so it keeps float32 -- what torch does on a CPU without one
    fast_bf16 = caps.get("avx512_bf16") or caps.get("amx_bf16")
    torch.set_float32_matmul_precision("highest" if fast_bf16 else "medium")
    try:
        want = (torch.from_numpy(a) @ torch.from_numpy(b)).numpy()
    finally:
        torch.set_float32_matmul_precision("highest")
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-3)


def test_native_libraries_are_not_available():
    """ember computes with NumPy: it reports the native libraries torch links as absent."""
    B = ember.backends
    assert (B.mkldnn.is_available(), B.openmp.is_available(), B.nnpack.is_available()) == \
        (False, False, False)
