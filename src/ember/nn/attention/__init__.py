"""torch.nn.attention: which scaled-dot-product-attention kernels may run.

ember computes attention one way, torch's math kernel. On a CPU torch has two kernels, math and
flash (the fused CPU kernel, same values within float rounding); the CUDA-only ones
(EFFICIENT_ATTENTION, CUDNN_ATTENTION, OVERRIDEABLE) never run on a CPU. So, as torch on a
machine without a GPU: with MATH allowed attention runs; with only FLASH_ATTENTION allowed it
runs when torch's CPU flash kernel accepts the inputs (else torch's warnings and "No available
kernel.  Aborting execution."); with neither, torch's "No viable backend" error.
"""

import contextlib
import enum
import warnings

__all__ = ["SDPBackend", "sdpa_kernel", "WARN_FOR_UNFUSED_KERNELS",
           "register_flash_attention_impl", "activate_flash_attention_impl",
           "list_flash_attention_impls", "current_flash_attention_impl",
           "restore_flash_attention_impl"]

WARN_FOR_UNFUSED_KERNELS = False


class SDPBackend(enum.Enum):
    """torch's SDPBackend (a pybind11 enum: int() works, but it is not an int)."""
    ERROR = -1
    MATH = 0
    FLASH_ATTENTION = 1
    EFFICIENT_ATTENTION = 2
    CUDNN_ATTENTION = 3
    OVERRIDEABLE = 4

    def __int__(self):
        return self.value

    __index__ = __int__

    def __hash__(self):
        return hash(self.value)


SDPBackend.__module__ = "torch.nn.attention"

# torch's flag name -> backend, in torch's order (the order the current backends list in)
_backend_names = {"cudnn": "CUDNN_ATTENTION", "flash": "FLASH_ATTENTION",
                  "mem_efficient": "EFFICIENT_ATTENTION", "math": "MATH",
                  "overrideable": "OVERRIDEABLE"}
_OVERRIDEABLE = [True]  # torch.backends.cuda has no switch for this one
_PRIORITY = [1, 2, 0, 3, 4]  # torch._C._get_sdp_priority_order()


def _flags():
    from ...backends import cuda
    return cuda


def _enabled(name):
    if name == "overrideable":
        return _OVERRIDEABLE[0]
    return _flags()._SDP[name]


def _set(name, on):
    if name == "overrideable":
        _OVERRIDEABLE[0] = on
    else:
        _flags()._SDP[name] = on


def _cur_sdpa_kernel_backends(with_priority=False):
    backends = [SDPBackend[val] for name, val in _backend_names.items() if _enabled(name)]
    if with_priority:
        backends.sort(key=lambda b: _PRIORITY.index(int(b)))
    return backends


def _sdpa_kernel(backends, set_priority=False):
    for name, val in _backend_names.items():
        _set(name, SDPBackend[val] in backends)
    if set_priority:
        order = [int(b) for b in backends]
        order += [b for b in _PRIORITY if b not in order]
        _PRIORITY[:] = order


@contextlib.contextmanager
def sdpa_kernel(backends, set_priority=False):
    """Allows only `backends` for scaled_dot_product_attention inside the block."""
    if not isinstance(backends, (list, SDPBackend)):
        raise AssertionError(f"Backend must be an instance of SDPBackend or a list of SDPBackend "
                             f"instances, got {type(backends).__name__}")
    if isinstance(backends, SDPBackend):
        backends = [backends]
    backends = list(dict.fromkeys(backends))
    previous = _cur_sdpa_kernel_backends(with_priority=set_priority)
    try:
        _sdpa_kernel(backends, set_priority)
        yield {}
    finally:
        _sdpa_kernel(previous, set_priority)


def _flash_cpu_refusal(q, k, v, dropout_p):
    """Why torch's CPU flash kernel cannot take these inputs (its first failing check), or
    None."""
    if dropout_p > 0.0:
        return "Both fused kernels do not support non-zero dropout."
    if q.dim() != 4 or k.dim() != 4 or v.dim() != 4:
        return (f"All fused kernels requires query, key and value to be 4 dimensional, but got "
                f"Query dim: {q.dim()}, Key dim: {k.dim()}, Value dim: {v.dim()} instead.")
    if not (q.shape[0] == k.shape[0] == v.shape[0]):
        return (f"For dense inputs, both fused kernels require query, key and value to have the "
                f"same batch_size. Query.sizes(): {list(q.shape)}, Key.sizes(): "
                f"{list(k.shape)}, Value.sizes(): {list(v.shape)} instead. To broadcast dense "
                f"inputs, try using unsqueeze and expand_to before passing them into the kernel.")
    if not (q.shape[-1] == k.shape[-1] == v.shape[-1]):
        return (f"Flash attention requires q,k,v to have the same last dimension. Got "
                f"Query.size(-1): {q.shape[-1]}, Key.size(-1): {k.shape[-1]}, "
                f"Value.size(-1): {v.shape[-1]} instead.")
    return None


def _check_kernels(q, k, v, dropout_p):
    """Raises torch's error when no allowed CPU kernel takes these inputs (called by
    scaled_dot_product_attention only when the math kernel is switched off)."""
    flags = _flags()._SDP
    if flags["math"]:
        return
    if not flags["flash"]:
        raise RuntimeError("No viable backend for scaled_dot_product_attention was found. This "
                           "is likely due to turning off both the math kernel and the fused "
                           "kernels.")
    why = _flash_cpu_refusal(q, k, v, dropout_p)
    if why is not None:
        warnings.warn("Flash attention kernel not used because:", UserWarning, stacklevel=3)
        warnings.warn(why, UserWarning, stacklevel=3)
        raise RuntimeError("No available kernel.  Aborting execution.")


_FA_IMPLS = ("FA3", "FA4")


def list_flash_attention_impls():
    return list(_FA_IMPLS)


def current_flash_attention_impl():
    return None


def _no_cuda_flash(api, impl):
    from ..._args import unsupported
    unsupported(f"torch.nn.attention.{api}", "impl", impl)


def activate_flash_attention_impl(impl):
    """The FA3/FA4 CUDA flash-attention libraries: ember has no GPU kernels to swap in."""
    _no_cuda_flash("activate_flash_attention_impl", impl)


def register_flash_attention_impl(impl, *, register_fn):
    _no_cuda_flash("register_flash_attention_impl", impl)


def restore_flash_attention_impl(_raise_warn=True):
    return None
