"""torch.backends.cuda: cuBLAS's matmul flags (`matmul.allow_tf32`, ...), the scaled-dot-product
attention kernel switches, the preferred linear-algebra and BLAS libraries and the cuFFT plan
cache, with torch's defaults, checks and texts. `is_built()` is whether ember can use a GPU
(through CuPy). ember's GPU matmuls are CuPy's float32 cuBLAS calls, without TF32: turning TF32
on is refused where a GPU would honour it, and stored where there is none (as torch's CPU build).
"""

import contextlib
import enum
import warnings

from .._compat import module_getattr as _module_getattr
from .._device import cuda_available
from . import _MATMUL_LEGACY, get_fp32_precision, set_fp32_precision

__all__ = ["is_built", "cuFFTPlanCacheAttrContextProp", "cuFFTPlanCache",
           "cuFFTPlanCacheManager", "cuBLASModule", "preferred_linalg_library",
           "preferred_blas_library", "preferred_rocm_fa_library", "cufft_plan_cache", "matmul",
           "SDPBackend", "enable_cudnn_sdp", "cudnn_sdp_enabled", "is_flash_attention_available",
           "can_use_flash_attention", "can_use_efficient_attention", "can_use_cudnn_attention",
           "sdp_kernel", "flash_sdp_enabled", "enable_flash_sdp", "mem_efficient_sdp_enabled",
           "enable_mem_efficient_sdp", "math_sdp_enabled", "enable_math_sdp",
           "allow_fp16_bf16_reduction_math_sdp", "fp16_bf16_reduction_math_sdp_allowed",
           "is_ck_sdpa_available"]
__getattr__ = _module_getattr(__name__)


def is_built():
    return cuda_available()


def _check_bool(value, api):
    if not isinstance(value, bool):
        raise RuntimeError(f"{api} expects a bool, but got {type(value).__name__}")
    return value


class cuBLASModule:
    """`torch.backends.cuda.matmul`: cuBLAS's precision flags."""

    _state = {"allow_tf32": False, "fp16": (True, True), "bf16": (True, True),
              "allow_fp16_accumulation": False}

    @staticmethod
    def _parse_reduction_setting(value, attr_name):
        def as_bool(obj, which):
            if isinstance(obj, bool):
                return obj
            raise TypeError(f"{attr_name} expects a bool for {which}, but got {type(obj)!r}")
        if isinstance(value, bool):
            return value, True
        if isinstance(value, (list, tuple)):
            if not value:
                raise TypeError(f"{attr_name} expects at least one boolean argument")
            if len(value) > 2:
                raise TypeError(f"{attr_name} expects at most two boolean arguments")
            reduced = as_bool(value[0], "allow_reduced_precision")
            return reduced, True if len(value) == 1 else as_bool(value[1], "allow_splitk")
        raise TypeError(f"{attr_name} expects a bool or a tuple/list of bools, but got "
                        f"{type(value)!r}")

    def __getattr__(self, name):
        s = cuBLASModule._state
        if name == "allow_tf32":
            return get_fp32_precision("cuda", "matmul") == "tf32"
        if name in ("allow_fp16_reduced_precision_reduction",
                    "allow_fp16_reduced_precision_reduction_split_k"):
            return s["fp16"][name.endswith("split_k")]
        if name in ("allow_bf16_reduced_precision_reduction",
                    "allow_bf16_reduced_precision_reduction_split_k"):
            return s["bf16"][name.endswith("split_k")]
        if name == "allow_fp16_accumulation":
            return s["allow_fp16_accumulation"]
        if name == "fp32_precision":
            return get_fp32_precision("cuda", "matmul")
        raise AttributeError("Unknown attribute " + name)

    def __setattr__(self, name, value):
        s = cuBLASModule._state
        if name == "allow_tf32":
            _check_bool(value, "set_allow_tf32_cublas")
            _refuse_tf32("torch.backends.cuda.matmul.allow_tf32", value)
            set_fp32_precision("cuda", "matmul", "tf32" if value else "ieee")
            _MATMUL_LEGACY[0] = True
        elif name in ("allow_fp16_reduced_precision_reduction",
                      "allow_bf16_reduced_precision_reduction"):
            s[name[6:10]] = self._parse_reduction_setting(value, name)
        elif name == "allow_fp16_accumulation":
            s[name] = _check_bool(value, "set_allow_fp16_accumulation_cublas")
        elif name == "fp32_precision":
            _refuse_tf32("torch.backends.cuda.matmul.fp32_precision", value == "tf32")
            set_fp32_precision("cuda", "matmul", value)
        else:
            raise AttributeError("Unknown attribute " + name)


def _refuse_tf32(api, on):
    if on and cuda_available():  # ember's CuPy matmuls would stay full float32
        from .._args import unsupported
        unsupported(api, "value", "tf32")


class _Enum(enum.Enum):
    """An enum as torch's C++ (pybind11) ones: int() and .value give the number, but a member
    never equals an int."""

    def __int__(self):
        return self.value

    __index__ = __int__


_LinalgBackend = _Enum("_LinalgBackend", {"Default": 0, "Cusolver": 1, "Magma": 2})
_BlasBackend = _Enum("_BlasBackend", {"Default": 0, "Cublas": 1, "Cublaslt": 2, "Ck": 3})
_ROCmFABackend = _Enum("_ROCmFABackend", {"Default": 0, "AOTriton": 1, "Ck": 2})
SDPBackend = _Enum("SDPBackend", {"ERROR": -1, "MATH": 0, "FLASH_ATTENTION": 1,
                                         "EFFICIENT_ATTENTION": 2, "CUDNN_ATTENTION": 3,
                                         "OVERRIDEABLE": 4})
SDPBackend.__module__ = "torch.nn.attention"
_PREFERRED = {"linalg": _LinalgBackend.Default, "blas": _BlasBackend.Cublas,
              "rocm_fa": _ROCmFABackend.Default}


def preferred_linalg_library(backend=None):
    names = {"default": _LinalgBackend.Default, "cusolver": _LinalgBackend.Cusolver,
             "magma": _LinalgBackend.Magma}
    if isinstance(backend, str):
        if backend not in names:
            raise RuntimeError(f"Unknown input value. Choose from: {', '.join(names)}.")
        backend = names[backend]
    elif backend is not None and not isinstance(backend, _LinalgBackend):
        raise RuntimeError("Unknown input value type.")
    if backend is not None:
        if backend is not _LinalgBackend.Default:  # ember's solvers are NumPy's (CuPy's)
            lib = {"Cusolver": "cuSOLVER", "Magma": "MAGMA"}[backend.name]
            raise RuntimeError(f"Cannot set preferred backend to {lib} if PyTorch has not been "
                               f"compiled with {lib}.")
        _PREFERRED["linalg"] = backend
    return _PREFERRED["linalg"]


def preferred_blas_library(backend=None):
    names = {"default": _BlasBackend.Default, "cublas": _BlasBackend.Cublas,
             "hipblas": _BlasBackend.Cublas, "cublaslt": _BlasBackend.Cublaslt,
             "hipblaslt": _BlasBackend.Cublaslt, "ck": _BlasBackend.Ck}
    if isinstance(backend, str):
        if backend not in names:
            raise RuntimeError(f"Unknown input value. Choose from: {', '.join(names)}.")
        backend = names[backend]
    elif backend is not None and not isinstance(backend, _BlasBackend):
        raise RuntimeError("Unknown input value type.")
    if backend is not None:
        if backend is _BlasBackend.Cublaslt:
            raise RuntimeError("Cannot set preferred backend to cuBLASLt if PyTorch has not "
                               "been compiled with cuBLASLt.")
        # torch's default is cuBLAS
        _PREFERRED["blas"] = _BlasBackend.Cublas if backend is _BlasBackend.Default else backend
    return _PREFERRED["blas"]


def preferred_rocm_fa_library(backend=None):
    names = {"default": _ROCmFABackend.Default, "aotriton": _ROCmFABackend.AOTriton,
             "ck": _ROCmFABackend.Ck}
    if isinstance(backend, str):
        if backend not in names:
            raise RuntimeError(f"Unknown input value. Choose from: {', '.join(names)}.")
        backend = names[backend]
    elif backend is not None and not isinstance(backend, _ROCmFABackend):
        raise RuntimeError("Unknown input value type.")
    if backend is not None:
        _PREFERRED["rocm_fa"] = backend
    return _PREFERRED["rocm_fa"]


# scaled-dot-product attention kernels: which ones torch may pick (ember has one, the math
# one, so the flags only read back)
_SDP = {"flash": True, "mem_efficient": True, "math": True, "cudnn": True,
        "fp16_bf16_reduction_math": False}


def _sdp_setter(key, api):
    def setter(enabled):
        _SDP[key] = _check_bool(enabled, api)
    return setter


enable_flash_sdp = _sdp_setter("flash", "set_sdp_use_flash")
enable_mem_efficient_sdp = _sdp_setter("mem_efficient", "set_sdp_use_mem_efficient")
enable_math_sdp = _sdp_setter("math", "set_sdp_use_math")
enable_cudnn_sdp = _sdp_setter("cudnn", "set_sdp_use_cudnn")
allow_fp16_bf16_reduction_math_sdp = _sdp_setter("fp16_bf16_reduction_math",
                                                 "set_math_sdp_allow_fp16_bf16_reduction")


def flash_sdp_enabled():
    return _SDP["flash"]


def mem_efficient_sdp_enabled():
    return _SDP["mem_efficient"]


def math_sdp_enabled():
    return _SDP["math"]


def cudnn_sdp_enabled():
    return _SDP["cudnn"]


def fp16_bf16_reduction_math_sdp_allowed():
    return _SDP["fp16_bf16_reduction_math"]


def is_flash_attention_available():
    return False


def is_ck_sdpa_available():
    return False


def _can_use(kind, params, debug):
    from .._args import EmberNotImplementedError
    raise EmberNotImplementedError(f"ember does not implement torch.backends.cuda.can_use_{kind}"
                                   f"(params={type(params).__name__}, debug={debug}) yet")


def can_use_flash_attention(params, debug=False):
    _can_use("flash_attention", params, debug)


def can_use_efficient_attention(params, debug=False):
    _can_use("efficient_attention", params, debug)


def can_use_cudnn_attention(params, debug=False):
    _can_use("cudnn_attention", params, debug)


def sdp_kernel(enable_flash=True, enable_math=True, enable_mem_efficient=True,
               enable_cudnn=True):
    """Deprecated: switches the kernels inside the block (restored after), as sdpa_kernel."""
    warnings.warn("`torch.backends.cuda.sdp_kernel()` is deprecated. In the future, this "
                  "context manager will be removed. Please see `torch.nn.attention.sdpa_kernel()`"
                  " for the new context manager, with updated signature.", FutureWarning,
                  stacklevel=2)
    return _sdp_kernel(enable_flash, enable_math, enable_mem_efficient, enable_cudnn)


@contextlib.contextmanager
def _sdp_kernel(flash, math, mem_efficient, cudnn):
    saved = dict(_SDP)
    _SDP.update(flash=bool(flash), math=bool(math), mem_efficient=bool(mem_efficient),
                cudnn=bool(cudnn))
    try:
        yield {}
    finally:
        _SDP.update(saved)


class cuFFTPlanCache:
    """One device's cuFFT plan cache: ember's FFTs keep no plans, and without a GPU every
    read raises torch's AssertionError."""

    def __init__(self, device_index):
        self.device_index = device_index

    def _check(self):
        if not cuda_available():
            raise AssertionError("Torch not compiled with CUDA enabled")

    @property
    def size(self):
        self._check()
        return 0

    @property
    def max_size(self):
        self._check()
        from .._args import unsupported
        unsupported("torch.backends.cuda.cufft_plan_cache.max_size", "device_index",
                    self.device_index)

    def clear(self):
        self._check()


cuFFTPlanCacheAttrContextProp = property


class cuFFTPlanCacheManager:
    """`torch.backends.cuda.cufft_plan_cache[i]`; its attributes are the current device's."""

    def __getitem__(self, device):
        from ..cuda import _index, device_count
        index = _index(device)
        count = device_count()
        if index < 0 or index >= count:
            raise RuntimeError(f"cufft_plan_cache: expected 0 <= device index < {count}, but "
                               f"got device with index {index}")
        return cuFFTPlanCache(index)

    def __getattr__(self, name):
        from ..cuda import current_device
        return getattr(self[current_device()], name)


cufft_plan_cache = cuFFTPlanCacheManager()
matmul = cuBLASModule()


def cublas_workspace_size(size=None):
    if not cuda_available():
        raise AttributeError("module 'torch._C' has no attribute '_cuda_getCublasWorkspaceSize'")
    from .._args import unsupported
    unsupported("torch.backends.cuda.cublas_workspace_size", "size", size)
