"""Pooling: max/avg pool 1d/2d/3d, max_unpool, adaptive avg/max pool, lp_pool.

This file holds the max pool functions; the kernels and the rest live beside it, one concept
per file, and are imported here, so `nn._pool.NAME` keeps working for all of them:
  _pool_common.py    argument parsing, torch's checks and messages, the output size
  _pool_max.py       max pool's kernels and primitives (the tiling fast path included)
  _pool_avg.py       avg_pool and lp_pool
  _pool_adaptive.py  adaptive avg/max pool, max_unpool, the Separable map used by interpolation
"""

from ..amp import _hook as _amp
from ._pool_adaptive import (  # noqa: F401
    AdaptiveAvg,
    GatherFlat,
    MaxUnpool,
    ScatterFlat,
    Separable,
    _adaptive_avg,
    _adaptive_max,
    _as_tuple,
    _unpool_size,
    adaptive_avg_pool1d,
    adaptive_avg_pool2d,
    adaptive_avg_pool3d,
    adaptive_max_pool1d,
    adaptive_max_pool2d,
    max_unpool1d,
    max_unpool2d,
)
from ._pool_avg import (  # noqa: F401
    AvgPool,
    AvgPoolGrad,
    avg_pool1d,
    avg_pool2d,
    avg_pool3d,
    lp_pool1d,
    lp_pool2d,
)
from ._pool_common import (  # noqa: F401
    _check_2d_shape,
    _check_3d_shape,
    _max_pool1d_params,
    _offsets,
    _out_len,
    _pads,
    _pool_geo,
    _pool_out,
    _pool_params,
    _tuple,
)
from ._pool_max import (  # noqa: F401
    MaxPool,
    MaxPoolGather,
    MaxPoolGrad,
    MaxPoolTiled,
    _flat_index,
    _max_fwd,
    _tiled,
)


def _max_pool(nd, name, input, kernel_size, stride, padding, dilation, ceil_mode,
              return_indices):
    if nd == 1 and not return_indices:
        geo = _max_pool1d_params(input, kernel_size, stride, padding, dilation, ceil_mode)
    else:
        if input.dim() not in (nd + 1, nd + 2):
            if nd == 1:
                raise RuntimeError(f"Expected 2 to 3 dimensions, but got {input.dim()}-"
                                   "dimensional tensor for argument #1 'self' (while checking "
                                   "arguments for max_pool1d)")
            raise RuntimeError(f"non-empty {nd + 1}D or {nd + 2}D (batch mode) tensor expected "
                               "for input")
        params = _pool_params(nd, name, kernel_size, stride, padding, dilation)
        shape = tuple(input.shape)
        if nd == 3:
            _check_3d_shape(shape, "max_pool3d_with_indices_out_cpu_template()")
        else:  # max_pool1d with indices is max_pool2d of a (.., C, 1, L) view
            _check_2d_shape(shape if nd == 2 else shape[:-1] + (1,) + shape[-1:])
        geo = _pool_out(shape, nd, params, ceil_mode)
    if not return_indices and _tiled(geo, input.shape[-nd:]) and input.dtype.is_floating_point:
        r = MaxPoolTiled.apply(input, geo)
    else:
        r = MaxPool.apply(input, geo, bool(return_indices))
    fn = (r[0] if return_indices else r).grad_fn
    if nd == 3 and fn is not None:
        fn._name = "MaxPool3DWithIndicesBackward0"
    return r


def max_pool1d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False):
    """Matches torch.nn.functional.max_pool1d."""
    return _max_pool(1, "max_pool1d", input, kernel_size, stride, padding, dilation, ceil_mode,
                     return_indices)


def max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False):
    """Matches torch.nn.functional.max_pool2d."""
    r = _max_pool(2, "max_pool2d", input, kernel_size, stride, padding, dilation, ceil_mode,
                  return_indices)
    fn = (r[0] if return_indices else r).grad_fn
    if fn is not None and fn.name() == "MaxPool2DWithIndicesBackward0":  # torch's saved values
        fn._pool_args = (input, stride, ceil_mode)
    return r


def max_pool3d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False):
    """Matches torch.nn.functional.max_pool3d."""
    if _amp.on and not return_indices and _amp.active():
        return _amp.fp32(max_pool3d, input, kernel_size, stride, padding, dilation, ceil_mode,
                         return_indices)
    r = _max_pool(3, "max_pool3d", input, kernel_size, stride, padding, dilation, ceil_mode,
                  return_indices)
    fn = (r[0] if return_indices else r).grad_fn
    if fn is not None:  # torch's saved values
        fn._pool_args = (input, stride, ceil_mode)
    return r
