"""Average pooling (avg_pool1d/2d/3d) and lp_pool1d/2d: k adds of strided slices of the padded
input (one per kernel offset), divided by each window's count; backward adds back per offset."""

import math

import numpy as np

from ..amp import _hook as _amp
from ..autograd import forward_ad as _fwd
from ..autograd.function import Op
from ._conv_kernels import _xp, _zero_pad
from ._pool_common import (
    _check_2d_shape,
    _check_3d_shape,
    _offsets,
    _pads,
    _pool_out,
    _pool_params,
    _tuple,
)


def _divisor(S, geo, count_include_pad, divisor_override, dtype):
    k, s, p, _, L = geo
    if divisor_override:
        return dtype.type(divisor_override)
    div = np.ones((), np.int64)
    for n, ki, si, pi, li in zip(S, k, s, p, L):
        start = np.arange(li) * si - pi
        end = np.minimum(start + ki, n + pi)
        if not count_include_pad:
            end, start = np.minimum(end, n), np.maximum(start, 0)
        div = np.multiply.outer(div, end - start)
    return div.astype(dtype)


class AvgPool(Op):
    _name = "AvgPool2DBackward0"
    jvp = _fwd.linear
    save_inputs = (0,)  # as torch's node: its _saved_self (and saved-tensor hooks) see the input

    def forward(ctx, x, geo, div):
        ctx.geo, ctx.div, ctx.S = geo, div, x.shape[-len(geo[0]):]
        k, s, p, d, L = geo
        xpad = _zero_pad(x, _pads(ctx.S, k, s, p, d, L))
        out = None
        integral = x.dtype.kind in "iu"  # torch: int64 sums, divided as C++ integers (toward 0)
        for _, key in _offsets(k, d, s, L):
            v = xpad[key].astype(np.int64) if integral else xpad[key]
            out = v.copy() if out is None else out.__iadd__(v)
        xp = _xp(x)
        if integral:
            q = xp.abs(out) // xp.asarray(div).astype(np.int64)
            return (xp.where(out < 0, -q, q)).astype(x.dtype)
        out /= xp.asarray(div)
        return out

    def backward(ctx, grad):
        return AvgPoolGrad.apply(grad, ctx.S, ctx.geo, ctx.div), None, None


class AvgPoolGrad(Op):
    _name = "AvgPool2DBackwardBackward0"
    jvp = _fwd.linear

    def forward(ctx, g, S, geo, div):
        ctx.geo, ctx.div = geo, div
        k, s, p, d, L = geo
        g = g / _xp(g).asarray(div)
        nd = len(k)
        pads = _pads(S, k, s, p, d, L)
        out = _xp(g).zeros(g.shape[:-nd] + tuple(n + lo + hi for n, (lo, hi) in zip(S, pads)),
                           g.dtype)
        # torch's kernel walks the outputs in order, each adding its share to its window: an
        # input cell gets its outputs' shares by output index, that is by kernel offset from
        # the last to the first
        for _, key in reversed(list(_offsets(k, d, s, L))):
            out[key] += g
        return out[(Ellipsis,) + tuple(slice(lo, lo + n) for n, (lo, _) in zip(S, pads))]

    def backward(ctx, grad):
        return AvgPool.apply(grad, ctx.geo, ctx.div), None, None, None


def _avg_pool(nd, name, input, kernel_size, stride, padding, ceil_mode, count_include_pad,
              divisor_override):
    shape = tuple(input.shape)
    if nd == 1 and len(shape) not in (2, 3):
        raise RuntimeError(f"Expected 2 to 3 dimensions, but got {len(shape)}-dimensional "
                           "tensor for argument #1 'self' (while checking arguments for "
                           "avg_pool1d)")
    if nd == 2 and len(shape) < 3:
        raise IndexError(f"Dimension out of range (expected to be in range of [{-len(shape)}, "
                         f"{len(shape) - 1}], but got -3)")
    if nd == 3 and len(shape) not in (4, 5):
        raise RuntimeError("non-empty 4D or 5D (batch mode) tensor expected for input")
    if divisor_override is not None and divisor_override == 0:
        raise RuntimeError("divisor must be not zero")
    if input.dtype.np.kind in "biu" and input.dtype.np != np.int64:  # torch: int64 only
        kernel = "avg_pool3d_out_frame" if nd == 3 else "avg_pool2d"
        raise NotImplementedError(f'"{kernel}" not implemented for '
                                  f"'{input.dtype._legacy[:-6]}'")
    params = _pool_params(nd, name, kernel_size, stride, padding, 1)
    if nd == 3:
        _check_3d_shape(shape, "avg_pool3d()")
    else:  # avg_pool1d is avg_pool2d of a (.., C, 1, L) view
        _check_2d_shape(shape if nd == 2 else shape[:-1] + (1,) + shape[-1:])
    if nd == 1:  # torch reports the output size of that 2-d view
        _pool_out(shape[:-1] + (1,) + shape[-1:], 2, ((1,) + params[0], (1,) + params[1],
                                                      (0,) + params[2], (1, 1)), ceil_mode)
    geo = _pool_out(shape, nd, params, ceil_mode)
    div = _divisor(input.shape[-nd:], geo, count_include_pad, divisor_override,
                   input.dtype.np)
    r = AvgPool.apply(input, geo, div)
    if r.grad_fn is not None:  # torch's saved arguments (`_saved_kernel_size`, ...)
        r.grad_fn._given = (params, ceil_mode, count_include_pad, divisor_override,
                            stride is None or stride == () or stride == [])
        if nd == 3:
            r.grad_fn._name = "AvgPool3DBackward0"
    return r


def avg_pool1d(input, kernel_size, stride=None, padding=0, ceil_mode=False,
               count_include_pad=True):
    """Matches torch.nn.functional.avg_pool1d."""
    return _avg_pool(1, "avg_pool1d", input, kernel_size, stride, padding, ceil_mode,
                     count_include_pad, None)


def avg_pool2d(input, kernel_size, stride=None, padding=0, ceil_mode=False,
               count_include_pad=True, divisor_override=None):
    """Matches torch.nn.functional.avg_pool2d."""
    return _avg_pool(2, "avg_pool2d", input, kernel_size, stride, padding, ceil_mode,
                     count_include_pad, divisor_override)


def avg_pool3d(input, kernel_size, stride=None, padding=0, ceil_mode=False,
               count_include_pad=True, divisor_override=None):
    """Matches torch.nn.functional.avg_pool3d."""
    if _amp.on and _amp.active():
        return _amp.fp32(avg_pool3d, input, kernel_size, stride, padding, ceil_mode,
                         count_include_pad, divisor_override)
    return _avg_pool(3, "avg_pool3d", input, kernel_size, stride, padding, ceil_mode,
                     count_include_pad, divisor_override)


def _inf_norm_pool(pool, input, norm_type, kernel_size, stride, ceil_mode):
    """torch's lp_pool for an infinite norm: the window's largest (smallest) |x| by max_pool."""
    if not isinstance(norm_type, (int, float)) or norm_type not in (math.inf, -math.inf):
        return None
    from ._pool import max_pool1d, max_pool2d
    mp = max_pool1d if pool == 1 else max_pool2d
    if norm_type > 0:
        return mp(input.abs(), kernel_size, stride, 0, 1, ceil_mode)
    return -mp(-input.abs(), kernel_size, stride, 0, 1, ceil_mode)


def lp_pool1d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    """Matches torch.nn.functional.lp_pool1d."""
    r = _inf_norm_pool(1, input, norm_type, kernel_size, stride, ceil_mode)
    if r is not None:
        return r
    out = avg_pool1d(input.pow(norm_type), kernel_size, stride, 0, ceil_mode)
    return (out.sign() * out.abs().relu()).mul(kernel_size).pow(1.0 / norm_type)


def lp_pool2d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    """Matches torch.nn.functional.lp_pool2d."""
    kh, kw = _tuple(kernel_size, 2, "kernel_size", "lp_pool2d")
    r = _inf_norm_pool(2, input, norm_type, kernel_size, stride, ceil_mode)
    if r is not None:
        return r
    out = avg_pool2d(input.pow(norm_type), (kh, kw), stride, 0, ceil_mode)
    return (out.sign() * out.abs().relu()).mul(kh * kw).pow(1.0 / norm_type)
