"""Fractional max pooling (torch.nn.functional.fractional_max_pool2d/3d and *_with_indices).

Each (sample, channel) plane draws one uniform number per spatial dim (torch.rand(N, C, nd) in
the input's dtype, from the default generator, unless `_random_samples` is given); ATen turns it
into window starts with `generate_intervals`, computed here in the same dtype so the truncations
agree. A window's max is its first maximum, or its last NaN (ATen's `val > max || isnan(val)`).
The pooled values are a `GatherFlat` of the input, whose backward scatter-adds as ATen's does.
"""

import math
import numbers

import numpy as np

from .. import _dtype as D
from .._device import array_device, to_device, to_host
from .._tensor import _wrap
from ..amp import _hook as _amp
from ._pool import GatherFlat

__all__ = ["fractional_max_pool2d", "fractional_max_pool2d_with_indices",
           "fractional_max_pool3d", "fractional_max_pool3d_with_indices"]


def _intervals(samples, n_in, n_out, pool):
    """Window starts (..., n_out) from samples (...,), in the samples' dtype as ATen's."""
    dt = samples.dtype.type
    starts = np.empty(samples.shape + (n_out,), np.int64)
    if n_out > 1:
        alpha = dt(dt(n_in - pool) / dt(n_out - 1))
        i = np.arange(n_out - 1).astype(samples.dtype)
        s = samples[..., None]
        starts[..., :-1] = ((i + s) * alpha).astype(np.int64) - (s * alpha).astype(np.int64)
    if n_out > 0:
        starts[..., -1] = n_in - pool
    return starts


def _window_index(x, starts, pools, S):
    """Flat in-plane index of each window's max: x (N, C, *S), starts [(N, C, o_d)]."""
    nd = len(S)
    N, C = x.shape[:2]
    outs = [s.shape[-1] for s in starts]
    flat = np.zeros((N, C) + tuple(outs) + tuple(pools), np.int64)
    for d in range(nd):  # flat = sum over dims of (start + offset) * stride
        pos = starts[d][..., :, None] + np.arange(pools[d])  # (N, C, o_d, k_d)
        shape = [N, C] + [1] * (2 * nd)
        shape[2 + d], shape[2 + nd + d] = outs[d], pools[d]
        flat = flat + pos.reshape(shape) * math.prod(S[d + 1:])
    K = math.prod(pools)
    flat = flat.reshape((N, C) + tuple(outs) + (K,))
    planes = x.reshape((N, C) + (1,) * nd + (math.prod(S),))
    vals = np.take_along_axis(planes, flat, -1) if flat.size else np.zeros(flat.shape, x.dtype)
    nan = np.isnan(vals)
    k = np.argmax(vals, -1)
    if nan.any():
        last_nan = K - 1 - np.argmax(nan[..., ::-1], -1)
        k = np.where(nan.any(-1), last_nan, k)
    return np.take_along_axis(flat, k[..., None], -1)[..., 0]


def _as_nd(v, nd):
    return (v,) * nd if isinstance(v, numbers.Number) else tuple(v)


def _check(nd, input, pools, outs, samples):
    name = f"fractional_max_pool{nd}d"
    where = name + ("_out()" if nd == 3 else "()")
    what = "tuple of Ints" if nd == 2 else "tuple of three Ints"
    if len(pools) != nd:
        raise RuntimeError(f"{name}: kernel_size must either be a single Int or {what}")
    if len(outs) != nd:
        raise RuntimeError(f"{name}: output_size must either be a single Int or {what}")
    shape = list(input.shape)
    if len(shape) not in (nd + 1, nd + 2):
        raise RuntimeError(f"{where}: Expected {nd + 1}D or {nd + 2}D tensor, but got: {shape}")
    for i in range(1, len(shape)):
        if not shape[i]:
            raise RuntimeError(f"{where}: Expected input to have non-zero size for non-batch "
                               f"dimensions, but got{shape} with dimension {i} being empty.")
    S = shape[-nd:]
    names = ("height", "width") if nd == 2 else ("time", "height", "width")
    order = (0, 1) if nd == 2 else (0, 2, 1)  # ATen checks 3-d pools as time, width, height
    for d in order:
        fits = outs[d] + pools[d] - 1 <= S[d] if nd == 2 else outs[d] + pools[d] - 1 < S[d]
        if not fits:
            raise RuntimeError(f"{where}: pool {names[d]} {pools[d]} too large relative to "
                               f"input {names[d]} {S[d]}")
    if samples is not None:
        _check_samples(nd, input, samples)


def _check_samples(nd, input, samples):
    if samples.dtype is not input.dtype:
        raise RuntimeError("Expect _random_samples to have the same dtype as input")
    if samples.dim() != 3:
        raise RuntimeError(f"Expect _random_samples to have 3 dimensions, got {samples.dim()}")
    n, c, k = samples.shape
    if c != input.shape[-nd - 1]:
        raise RuntimeError("Expect _random_samples.size(1) equals to input channel size.")
    if k != nd:
        raise RuntimeError(f"Expect _random_samples.size(2) equals to {nd}; got {k}.")
    if n < (input.shape[0] if input.dim() == nd + 2 else 1):
        raise RuntimeError("Expect _random_samples.size(0) no less then input batch size.")


def _fractional(nd, input, kernel_size, output_size, output_ratio, samples):
    if _amp.on and _amp.active():
        return _amp.fp32(_fractional, nd, input, kernel_size, output_size, output_ratio, samples)
    name = f"fractional_max_pool{nd}d"
    if output_size is None and output_ratio is None:
        raise ValueError(f"{name} requires specifying either an output_size or an output_ratio")
    if output_size is None:
        if nd == 2 and len(output_ratio) > 2:
            raise ValueError(f"{name} requires output_ratio to either be a single Int or tuple "
                             "of Ints.")
        ratio = _as_nd(output_ratio, nd)
        output_size = [int(input.shape[-nd + d] * ratio[d]) for d in range(nd)]
    if samples is None:
        from ..ops.sampling import rand
        n = 1 if input.dim() == nd + 1 else input.shape[0]
        samples = rand(n, input.shape[-nd - 1], nd, dtype=input.dtype, device=input.device)
    pools, outs = _as_nd(kernel_size, nd), _as_nd(output_size, nd)
    _check(nd, input, pools, outs, samples)
    if input.dtype not in (D.float16, D.bfloat16, D.float32, D.float64):
        raise NotImplementedError(f"\"fractional_max_pool{nd}d_out_frame\" not implemented for "
                                  f"'{input.dtype._legacy[:-6]}'")
    batched = input.dim() == nd + 2
    x = input._data if batched else input._data[None]
    S = x.shape[2:]
    smp = to_host(samples._data)[:x.shape[0]]
    # samples hold one number per dim, in ATen's order (width first for 2-d, time first for 3-d)
    col = (1, 0) if nd == 2 else (0, 1, 2)
    starts = [_intervals(smp[..., col[d]], S[d], outs[d], pools[d]) for d in range(nd)]
    idx = _window_index(to_host(x), starts, pools, S)
    if not batched:
        idx = idx[0]
    idx = to_device(idx, array_device(x))
    out = GatherFlat.apply(input, idx, nd)
    if out.grad_fn is not None:
        out.grad_fn._name = f"FractionalMaxPool{nd}DBackward0"
    return out, _wrap(idx)


def fractional_max_pool2d_with_indices(input, kernel_size, output_size=None, output_ratio=None,
                                       return_indices=False, _random_samples=None):
    """Matches torch.nn.functional.fractional_max_pool2d_with_indices."""
    del return_indices  # torch's signature carries it; this form always returns both
    return _fractional(2, input, kernel_size, output_size, output_ratio, _random_samples)


def fractional_max_pool2d(input, kernel_size, output_size=None, output_ratio=None,
                          return_indices=False, _random_samples=None):
    """Matches torch.nn.functional.fractional_max_pool2d."""
    out, idx = _fractional(2, input, kernel_size, output_size, output_ratio, _random_samples)
    return (out, idx) if return_indices else out


def fractional_max_pool3d_with_indices(input, kernel_size, output_size=None, output_ratio=None,
                                       return_indices=False, _random_samples=None):
    """Matches torch.nn.functional.fractional_max_pool3d_with_indices."""
    del return_indices  # torch's signature carries it; this form always returns both
    return _fractional(3, input, kernel_size, output_size, output_ratio, _random_samples)


def fractional_max_pool3d(input, kernel_size, output_size=None, output_ratio=None,
                          return_indices=False, _random_samples=None):
    """Matches torch.nn.functional.fractional_max_pool3d."""
    out, idx = _fractional(3, input, kernel_size, output_size, output_ratio, _random_samples)
    return (out, idx) if return_indices else out
