"""torch.backends.cpu: the SIMD level of the CPU, named as torch's kernel dispatch names it."""

from .._compat import module_getattr as _module_getattr

__all__ = ["get_cpu_capability"]
__getattr__ = _module_getattr(__name__)


def get_cpu_capability():
    """'AVX512' / 'AVX2' / 'DEFAULT' on x86, 'SVE256' / 'DEFAULT' on ARM (as torch chooses)."""
    from ..cpu import get_capabilities
    caps = get_capabilities()
    if caps.get("architecture") in ("x86_64", "AMD64", "i686", "x86"):
        if all(caps.get(k) for k in ("avx512_f", "avx512_bw", "avx512_vl", "avx512_dq", "fma3")):
            return "AVX512"
        if caps.get("avx2") and caps.get("fma3"):
            return "AVX2"
        return "DEFAULT"
    if caps.get("sve"):
        return "SVE256"
    return "DEFAULT"
