"""Pooling forms beside `_pool.py`: adaptive_max_pool3d, lp_pool3d, max_unpool3d and the
`*_with_indices` spellings of torch.nn.functional. They reuse `_pool.py`'s kernels (the adaptive
max gather, the avg/max pools, the `MaxUnpool` write) and add torch's 3-d checks and messages.
"""

import numbers

import numpy as np

from ..amp import _hook as _amp
from ._pool import (
    MaxUnpool,
    _adaptive_max,
    _as_tuple,
    _unpool_size,
    avg_pool3d,
    max_pool1d,
    max_pool2d,
    max_pool3d,
)

__all__ = ["adaptive_max_pool3d", "adaptive_max_pool1d_with_indices",
           "adaptive_max_pool2d_with_indices", "adaptive_max_pool3d_with_indices", "lp_pool3d",
           "max_pool1d_with_indices", "max_pool2d_with_indices", "max_pool3d_with_indices",
           "max_unpool3d"]


def adaptive_max_pool3d(input, output_size, return_indices=False):
    """Matches torch.nn.functional.adaptive_max_pool3d."""
    if _amp.on and _amp.active():
        return _amp.fp32(adaptive_max_pool3d, input, output_size, return_indices)
    if not isinstance(output_size, numbers.Integral) and input.dim() > len(output_size) and \
            input.dim() in (4, 5) and len(output_size) != 3:
        raise RuntimeError("adaptive_max_pool3d(): internal error: output_size.size() must be 3")
    return _adaptive_max(3, input, output_size, return_indices)


def adaptive_max_pool1d_with_indices(input, output_size, return_indices=False):
    """Matches torch.nn.functional.adaptive_max_pool1d_with_indices (always both outputs)."""
    del return_indices  # torch's signature carries it; this form always returns both
    return _adaptive_max(1, input, output_size, True)


def adaptive_max_pool2d_with_indices(input, output_size, return_indices=False):
    """Matches torch.nn.functional.adaptive_max_pool2d_with_indices (always both outputs)."""
    del return_indices
    return _adaptive_max(2, input, output_size, True)


def adaptive_max_pool3d_with_indices(input, output_size, return_indices=False):
    """Matches torch.nn.functional.adaptive_max_pool3d_with_indices (always both outputs)."""
    del return_indices
    return adaptive_max_pool3d(input, output_size, True)


def max_pool1d_with_indices(input, kernel_size, stride=None, padding=0, dilation=1,
                            ceil_mode=False, return_indices=False):
    """Matches torch.nn.functional.max_pool1d_with_indices (always both outputs)."""
    del return_indices
    return max_pool1d(input, kernel_size, stride, padding, dilation, ceil_mode, True)


def max_pool2d_with_indices(input, kernel_size, stride=None, padding=0, dilation=1,
                            ceil_mode=False, return_indices=False):
    """Matches torch.nn.functional.max_pool2d_with_indices (always both outputs)."""
    del return_indices
    return max_pool2d(input, kernel_size, stride, padding, dilation, ceil_mode, True)


def max_pool3d_with_indices(input, kernel_size, stride=None, padding=0, dilation=1,
                            ceil_mode=False, return_indices=False):
    """Matches torch.nn.functional.max_pool3d_with_indices (always both outputs)."""
    del return_indices
    return max_pool3d(input, kernel_size, stride, padding, dilation, ceil_mode, True)


def lp_pool3d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    """Matches torch.nn.functional.lp_pool3d: (sum over the window of x^p)^(1/p)."""
    kd, kw, kh = _as_tuple(kernel_size, 3)
    if isinstance(norm_type, (int, float)):
        if norm_type == float("inf"):
            return max_pool3d(input.abs(), kernel_size, stride, 0, 1, ceil_mode)
        if norm_type == -float("inf"):
            return -max_pool3d(-input.abs(), kernel_size, stride, 0, 1, ceil_mode)
    out = avg_pool3d(input.pow(norm_type), kernel_size, stride, 0, ceil_mode)
    return (out.sign() * out.abs().relu()).mul(kd * kw * kh).pow(1.0 / norm_type)


def _check_unpool3d(input, indices, out, stride):
    """ATen's max_unpooling3d_shape_check, in its order."""
    if indices.dtype.name != "int64":
        raise RuntimeError("elements in indices should be type int64")
    shape = list(input.shape)
    if len(shape) not in (4, 5):
        raise RuntimeError("Input to max_unpooling3d should be a 4d or 5d Tensor, but got a "
                           f"tensor with {len(shape)} dimensions.")
    if len(out) != 3:
        raise RuntimeError("There should be exactly three elements (depth, height, width) in "
                           f"output_size, but got {len(out)} elements.")
    if shape != list(indices.shape):
        raise RuntimeError("Expected shape of indices to be same as that of the input tensor "
                           f"({shape}) but got indices tensor with shape: "
                           f"{list(indices.shape)}")
    for i in range(1, len(shape)):
        if not shape[i]:
            raise RuntimeError("max_unpooling3d_forward_out_cpu(): Expected input to have "
                               f"non-zero size for non-batch dimensions, but got {shape} with "
                               f"dimension {i} being empty.")
    if not all(s > 0 for s in stride):
        raise RuntimeError(f"strides should be greater than zero, but got stride: "
                           f"{list(stride)}")


def max_unpool3d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """Matches torch.nn.functional.max_unpool3d."""
    if _amp.on and _amp.active():
        return _amp.fp32(max_unpool3d, input, indices, kernel_size, stride, padding, output_size)
    k = _as_tuple(kernel_size, 3)
    s = _as_tuple(stride, 3) if stride is not None else k
    out = _unpool_size(input, k, s, _as_tuple(padding, 3), output_size)
    _check_unpool3d(input, indices, out, s)
    out = tuple(int(v) for v in out)
    idx = indices._data
    P = out[0] * out[1] * out[2]
    bad = (idx < 0) | (idx >= P)
    if bad.any():  # as the 2-d kernel: the last invalid index met is reported
        flat = idx.reshape(-1)
        last = int(flat[bad.size - 1 - int(np.argmax(bad.reshape(-1)[::-1]))])
        raise RuntimeError(f"Found an invalid max index: {last} (output volumes are of size "
                           f"{'x'.join(map(str, out))})")
    res = MaxUnpool.apply(input, idx, out)
    if res.grad_fn is not None:
        res.grad_fn._name = "MaxUnpool3DBackward0"
    return res
