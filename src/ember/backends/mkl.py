"""torch.backends.mkl: ember's matmuls run on NumPy's BLAS; MKL is available only when that BLAS
is MKL. Its verbose mode is refused (ember does not switch MKL's logging)."""

import functools

from .._compat import module_getattr as _module_getattr

__all__ = ["is_available", "verbose", "VERBOSE_OFF", "VERBOSE_ON"]
__getattr__ = _module_getattr(__name__)
VERBOSE_OFF, VERBOSE_ON = 0, 1


@functools.lru_cache(None)
def is_available():
    import numpy as np
    try:
        config = np.show_config(mode="dicts")
    except TypeError:  # NumPy < 1.26 prints its configuration only
        return False
    blas = config.get("Build Dependencies", {}).get("blas", {})
    return "mkl" in str(blas.get("name", "")).lower()


class verbose:
    """`with torch.backends.mkl.verbose(level)`: VERBOSE_OFF changes nothing; other levels are
    refused."""

    def __init__(self, enable):
        self.enable = enable

    def __enter__(self):
        if self.enable == VERBOSE_OFF:
            return None
        from .._args import unsupported
        unsupported("torch.backends.mkl.verbose", "enable", self.enable)

    def __exit__(self, *exc):
        return False
