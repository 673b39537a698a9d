"""Resampling: interpolate (nearest, nearest-exact, linear/bilinear/trilinear, bicubic, area),
pixel_shuffle/pixel_unshuffle and affine_grid (grid_sample is in `_grid_sample.py`).

Every interpolation mode is separable. nearest and nearest-exact gather each output's source
along each dim (torch's index arithmetic, in float32 as torch computes it, so they pick the same
pixels), and their gradient adds into zeros in the output's raster order, as torch's kernel. The
other modes are one (out, in) weight matrix per spatial dim, applied by `_pool.Separable` (only
the nonzero taps where the input holds inf or NaN); their gradient is the transposed matrices.
The shuffles and affine_grid are compositions of ember ops.
"""

import math
import warnings

import numpy as np

from .. import _meta
from .._meta import MetaArray
from .._tensor import _wrap
from ..autograd import forward_ad as _fwd
from ..autograd.function import Op
from ._conv_kernels import _xp
from ._grid_sample import _ALIGN_WARN
from ._pool import Separable, _adaptive_avg
from ._pool_common import raster_add

_MODES = ("nearest | linear | bilinear | bicubic | trilinear | lanczos | area | nearest-exact")
_NEEDS = {"linear": 3, "bilinear": 4, "bicubic": 4, "trilinear": 5}


def _scale(n, o, align_corners, sf, dtype):
    """torch's area_pixel_compute_scale, in the kernel's precision."""
    if align_corners:
        return dtype((n - 1) / (o - 1)) if o > 1 else dtype(0)
    return dtype(1.0 / sf) if sf is not None and sf > 0 else dtype(n) / dtype(o)


def _nearest_source(n, o, sf, exact, nd):
    """Each output's source index along a dim of n (torch's nearest index, in float32). A dim
    that keeps its size is copied by torch's 2-d nearest kernel only: its 1-d and 3-d kernels
    and nearest-exact still step by 1 / scale_factor."""
    s = np.float32(1.0 / sf) if sf is not None and sf > 0 else np.float32(n) / np.float32(o)
    d = np.arange(o, dtype=np.float32)
    if exact:
        src = np.floor((d + np.float32(0.5)) * s)
    elif o == n and (nd == 2 or sf is None):
        src = d
    elif o == 2 * n:
        src = np.floor(d / 2)
    else:
        src = np.floor(d * s)
    return np.minimum(src.astype(np.int64), n - 1)


class Nearest(Op):
    """nearest / nearest-exact resampling: a gather of each output's source along each trailing
    dim (a copy: -0.0, inf and NaN as they are). Its backward adds the gradient into zeros in the
    output's raster order (torch's kernel)."""

    _name = "UpsampleBackward0"
    jvp = _fwd.linear

    def forward(ctx, x, srcs):
        ctx.srcs, ctx.shape = srcs, x.shape
        return _gather(x, srcs)

    def backward(ctx, grad):
        return NearestGrad.apply(grad, ctx.srcs, ctx.shape), None


class NearestGrad(Op):
    _name = "UpsampleBackwardBackward0"
    jvp = _fwd.linear

    def forward(ctx, g, srcs, shape):
        ctx.srcs = srcs
        if type(g) is MetaArray:
            return _meta.empty(shape, g.dtype)
        return raster_add(_xp(g), g, srcs, shape)

    def backward(ctx, grad):
        return Nearest.apply(grad, ctx.srcs), None, None


def _gather(x, srcs):
    xp = _xp(x)
    if type(x) is MetaArray:
        return _meta.empty(x.shape[:x.ndim - len(srcs)] + tuple(len(s) for s in srcs), x.dtype)
    for i, src in enumerate(srcs):
        x = xp.take(x, xp.asarray(src), axis=x.ndim - len(srcs) + i)
    return x


def _source(n, o, align_corners, sf, dtype, cubic):
    s = _scale(n, o, align_corners, sf, dtype)
    d = np.arange(o).astype(dtype)
    if align_corners:
        return s * d
    src = s * (d + dtype(0.5)) - dtype(0.5)
    return src if cubic else np.maximum(src, dtype(0))


def _linear_matrix(n, o, align_corners, sf, dtype):
    if o == n:  # torch's linear kernels copy a dim that keeps its size (whatever the scale)
        return np.eye(n, dtype=dtype)
    src = _source(n, o, align_corners, sf, dtype, False)
    i0 = np.minimum(src.astype(np.int64), n - 1)
    lam = (src - i0).astype(dtype)
    i1 = i0 + (i0 < n - 1)
    m = np.zeros((o, n), dtype)
    rows = np.arange(o)
    np.add.at(m, (rows, i0), dtype(1) - lam)
    np.add.at(m, (rows, i1), lam)
    return m


def _cubic_matrix(n, o, align_corners, sf, dtype):
    A = dtype(-0.75)
    src = _source(n, o, align_corners, sf, dtype, True)
    i0 = np.floor(src).astype(np.int64)
    t = (src - i0).astype(dtype)

    def near(x):  # |x| <= 1
        return ((A + 2) * x - (A + 3)) * x * x + 1

    def far(x):  # 1 < |x| < 2
        return ((A * x - 5 * A) * x + 8 * A) * x - 4 * A

    coeffs = (far(t + 1), near(t), near(1 - t), far(2 - t))
    m = np.zeros((o, n), dtype)
    rows = np.arange(o)
    for j, c in enumerate(coeffs):
        np.add.at(m, (rows, np.clip(i0 - 1 + j, 0, n - 1)), c)
    return m


def _sizes(input, size, scale_factor, recompute_scale_factor):
    nd = input.dim() - 2
    S = list(input.shape[2:])
    if size is not None and scale_factor is not None:
        raise ValueError("only one of size or scale_factor should be defined")
    if recompute_scale_factor and size is not None:
        raise ValueError("recompute_scale_factor is not meaningful with an explicit size.")
    if size is not None:
        if not isinstance(size, (list, tuple)):
            size = [size] * nd
        if len(size) != nd:
            raise ValueError(
                "Input and output must have the same number of spatial dimensions, but got input "
                f"with spatial dimensions of {S} and output size of {size}. Please provide input "
                "tensor in (N, C, d1, d2, ...,dK) format and output size in (o1, o2, ...,oK) "
                "format.")
        return [int(v) for v in size], [None] * nd
    if scale_factor is None:
        raise ValueError("either size or scale_factor should be defined")
    if not isinstance(scale_factor, (list, tuple)):
        scale_factor = [scale_factor] * nd
    if len(scale_factor) != nd:
        raise ValueError(
            "Input and scale_factor must have the same number of spatial dimensions, but got "
            f"input with spatial dimensions of {S} and scale_factor of shape {scale_factor}. "
            "Please provide input tensor in (N, C, d1, d2, ...,dK) format and scale_factor in "
            "(s1, s2, ...,sK) format.")
    out = [int(math.floor(float(n) * float(f))) for n, f in zip(S, scale_factor)]
    return out, [None] * nd if recompute_scale_factor else [float(f) for f in scale_factor]


def _check_positive(sizes, out):
    """torch's upsample shape check: every input and output size above 0."""
    if all(n > 0 for n in sizes) and all(o > 0 for o in out):
        return
    names = "DHW"[3 - len(sizes):]
    fmt = lambda v: ", ".join(f"{c}: {n}" for c, n in zip(names, v))  # noqa: E731
    raise RuntimeError("Input and output sizes should be greater than 0, but got input "
                       f"({fmt(sizes)}){' and' if len(sizes) == 1 else ''} output ({fmt(out)})")


def interpolate(input, size=None, scale_factor=None, mode="nearest", align_corners=None,
                recompute_scale_factor=None, antialias=False):
    """Matches torch.nn.functional.interpolate (antialias=True for bilinear and bicubic, whose
    filters are in `_resample_aa.py`)."""
    if mode in ("nearest", "area", "nearest-exact"):
        if align_corners is not None:
            raise ValueError("align_corners option can only be set with the interpolating "
                             "modes: linear | bilinear | bicubic | trilinear")
    elif align_corners is None:
        align_corners = False
    known = ("nearest", "nearest-exact", "area") + tuple(_NEEDS)
    if input.dim() not in (3, 4, 5) or mode not in known and (
            mode != "lanczos" or input.dim() != 4):
        raise NotImplementedError(
            f"Input Error: Only 3D, 4D and 5D input Tensors supported (got {input.dim()}D) for "
            f"the modes: {_MODES} (got {mode})")
    if mode in _NEEDS and input.dim() != _NEEDS[mode]:
        raise NotImplementedError(f"Got {input.dim()}D input, but {mode} mode needs "
                                  f"{_NEEDS[mode]}D input")
    out, scales = _sizes(input, size, scale_factor, recompute_scale_factor)
    _check_positive(input.shape[2:], out)
    _check_integral(input, mode, antialias)
    if antialias:
        if mode not in ("bilinear", "bicubic", "lanczos") or input.dim() != 4:
            raise ValueError("Anti-alias option is restricted to bilinear, bicubic, and lanczos "
                             "modes and requires a 4-D tensor as input")
    if mode == "lanczos":
        if align_corners:
            raise ValueError("Lanczos mode does not support align_corners=True")
        if not antialias:
            raise ValueError("Lanczos mode requires antialias=True")
    if input.dtype.np == np.uint8 and mode in ("bilinear", "bicubic"):  # torch's fixed point
        from ._resample_aa import aa_matrix, uint8_resample
        f64 = np.float64
        mats = [None if o == n else aa_matrix(n, o, _scale(n, o, align_corners, sf, f64), mode,
                                              f64) if antialias else
                (_cubic_matrix if mode == "bicubic" else _linear_matrix)(n, o, align_corners,
                                                                        sf, f64)
                for n, o, sf in zip(input.shape[2:], out, scales)]
        from ..ops.creation import tensor
        return tensor(uint8_resample(input._data, mats), device=input.device)
    if antialias:
        from ._resample_aa import aa_matrix, check_dtype
        check_dtype(input)
        dtype = _weights_dtype(input)
        return _named(Separable.apply(input, [  # (a dim that keeps its size is copied)
            np.eye(n, dtype=dtype) if o == n else
            aa_matrix(n, o, _scale(n, o, align_corners, sf, dtype), mode, dtype)
            for n, o, sf in zip(input.shape[2:], out, scales)]), mode, True, out, scales,
            align_corners)
    if mode == "area":
        return _adaptive_avg(input.dim() - 2, input, out)
    if mode in ("nearest", "nearest-exact"):
        srcs = [_nearest_source(n, o, sf, mode == "nearest-exact", len(out))
                for n, o, sf in zip(input.shape[2:], out, scales)]
        return _named(Nearest.apply(input, srcs), mode, False, out, scales, align_corners)
    dtype = _weights_dtype(input)
    mats = []
    for n, o, sf in zip(input.shape[2:], out, scales):
        if mode == "bicubic":
            mats.append(_cubic_matrix(n, o, align_corners, sf, dtype))
        else:
            mats.append(_linear_matrix(n, o, align_corners, sf, dtype))
    return _named(Separable.apply(input, mats), mode, False, out, scales, align_corners)


_NODES = {"nearest": "Nearest", "nearest-exact": "NearestExact", "linear": "Linear",
          "bilinear": "Bilinear", "bicubic": "Bicubic", "trilinear": "Trilinear"}


def _check_integral(input, mode, antialias):
    """torch's kernels for integer and bool inputs: uint8 only, in nearest / nearest-exact and
    2-d bilinear / bicubic; its error names the kernel that has none."""
    dt = input.dtype.np
    if dt.kind not in "biu" or dt == np.uint8 and (
            mode in ("nearest", "nearest-exact", "bilinear", "bicubic") or antialias):
        return
    nd = input.dim() - 2
    if antialias:
        kernel = "compute_index_ranges_weights"
    elif mode == "area":
        kernel = "adaptive_avg_pool3d_cpu" if nd == 3 else "adaptive_avg_pool2d"
    elif mode in ("linear", "trilinear"):
        kernel = "compute_indices_weights_linear"
    elif mode == "bicubic":
        kernel = "compute_indices_weights_cubic"
    elif mode == "bilinear":
        kernel = "upsample_bilinear2d_channels_last"
    else:
        kernel = "upsample_nearest2d_channels_last" if nd == 2 else \
            "compute_indices_weights_nearest"
    raise NotImplementedError(f'"{kernel}" not implemented for '
                              f"'{input.dtype._legacy[:-6]}'")


def _weights_dtype(input):
    """The dtype interpolation weights are computed in: the input's, float32 for uint8 and the
    half types (torch's opmath)."""
    dt = input.dtype.np
    return np.float32 if dt.kind == "u" or dt.itemsize < 4 else dt.type


def _named(r, mode, aa, out, scales, align_corners):
    """r's node named as torch's upsample node for `mode`, with its saved arguments."""
    fn = r.grad_fn
    if fn is not None and mode in _NODES:
        fn._name = f"Upsample{_NODES[mode]}{len(out)}D{'Aa' if aa else ''}Backward0"
        fn._given = (tuple(out), tuple(scales), align_corners)
    return r


def upsample(input, size=None, scale_factor=None, mode="nearest", align_corners=None):
    """Matches torch.nn.functional.upsample (deprecated alias of interpolate, and says so)."""
    warnings.warn("`nn.functional.upsample` is deprecated. Use `nn.functional.interpolate` "
                  "instead.", stacklevel=2)
    return interpolate(input, size, scale_factor, mode, align_corners)


def upsample_nearest(input, size=None, scale_factor=None):
    """Matches torch.nn.functional.upsample_nearest (deprecated: interpolate's nearest)."""
    warnings.warn("`nn.functional.upsample_nearest` is deprecated. Use "
                  "`nn.functional.interpolate` instead.", stacklevel=2)
    return interpolate(input, size, scale_factor, mode="nearest")


def upsample_bilinear(input, size=None, scale_factor=None):
    """Matches torch.nn.functional.upsample_bilinear (deprecated: interpolate's bilinear with
    align_corners=True)."""
    warnings.warn("`nn.functional.upsample_bilinear` is deprecated. Use "
                  "`nn.functional.interpolate` instead.", stacklevel=2)
    return interpolate(input, size, scale_factor, mode="bilinear", align_corners=True)


class _EmptyShuffle(Op):
    """torch's pixel_shuffle / pixel_unshuffle of an empty tensor: the shuffle gives the new
    shape but the unshuffle hands its input's shape back, so each one's gradient (the other)
    has the wrong shape and torch's engine refuses it: the same refusal here."""

    def forward(ctx, x, r, shuffle):
        ctx.r, ctx.shuffle, ctx.shape = r, shuffle, x.shape
        ctx._name = "PixelShuffleBackward0" if shuffle else "PixelUnshuffleBackward0"
        if not shuffle:
            return x.copy()
        *lead, C, H, W = x.shape
        return np.zeros(tuple(lead) + (C // (r * r), H * r, W * r), x.dtype)

    def backward(ctx, grad):
        g = pixel_unshuffle(grad, ctx.r) if ctx.shuffle else pixel_shuffle(grad, ctx.r)
        if tuple(g.shape) != tuple(ctx.shape):
            raise RuntimeError(f"Function {ctx._name} returned an invalid gradient at index 0 - "
                               f"got {list(g.shape)} but expected shape compatible with "
                               f"{list(ctx.shape)}")
        return g, None, None


def pixel_shuffle(input, upscale_factor):
    """Matches torch.nn.functional.pixel_shuffle: (*, C*r*r, H, W) -> (*, C, H*r, W*r)."""
    r = int(upscale_factor)
    *lead, C, H, W = input.shape
    if C % (r * r):
        raise RuntimeError("pixel_shuffle expects its input's 'channel' dimension to be divisible "
                           f"by the square of upscale_factor, but input.size(-3)={C} is not "
                           f"divisible by {r * r}")
    if not input._data.size:
        return _EmptyShuffle.apply(input, r, True)
    n = len(lead)
    x = input.reshape(*lead, C // (r * r), r, r, H, W)
    perm = tuple(range(n + 1)) + (n + 3, n + 1, n + 4, n + 2)
    return x.permute(*perm).reshape(*lead, C // (r * r), H * r, W * r)


def channel_shuffle(input, groups):
    """Matches torch.nn.functional.channel_shuffle: (N, g*k, *) -> its channels interleaved,
    channel c of group j moving to c * g + j."""
    if input.dim() <= 2:
        raise RuntimeError(f"channel_shuffle expects input with > 2 dims, but got input with "
                           f"sizes {list(input.shape)}")
    if groups <= 0:
        raise RuntimeError(f"Number of groups to divide channels in must be positive. Value of "
                           f"groups:{groups}")
    c = input.shape[1]
    if c % groups:
        raise RuntimeError(f"Number of channels must be divisible by groups. Got {c} channels "
                           f"and {groups} groups.")
    n, rest = input.shape[0], tuple(input.shape[2:])
    return input.reshape((n, groups, c // groups) + rest).transpose(1, 2).reshape(
        (n, c) + rest)


def pixel_unshuffle(input, downscale_factor):
    """Matches torch.nn.functional.pixel_unshuffle: (*, C, H*r, W*r) -> (*, C*r*r, H, W)."""
    r = int(downscale_factor)
    *lead, C, H, W = input.shape
    for what, v, d in (("height", H, -2), ("width", W, -1)):
        if v % r:
            raise RuntimeError(f"pixel_unshuffle expects {what} to be divisible by "
                               f"downscale_factor, but input.size({d})={v} is not divisible by "
                               f"{r}")
    if not input._data.size:
        return _EmptyShuffle.apply(input, r, False)
    n = len(lead)
    x = input.reshape(*lead, C, H // r, r, W // r, r)
    perm = tuple(range(n + 1)) + (n + 2, n + 4, n + 1, n + 3)
    return x.permute(*perm).reshape(*lead, C * r * r, H // r, W // r)


def _base_coords(n, align_corners, dtype):
    """torch's linspace_from_neg_one: linspace(-1, 1, n) in the dtype, times (n - 1), then / n
    (each rounded in the dtype) without align_corners."""
    if n <= 1:
        return np.zeros(max(n, 0), dtype)
    from .. import _dtype as D
    from ..ops.creation import linspace
    c = linspace(-1, 1, n, dtype=D.from_numpy_dtype(np.dtype(dtype)))._data
    if not align_corners:
        c = c * c.dtype.type(n - 1)
        c = c / c.dtype.type(n)
    return c


class _AffineGrid(Op):
    """base (P, nd + 1) times theta^T per batch, as torch's small bmm computes it: each output
    x0 t0 + x1 t1 + ... added left to right, unfused; the gradient is the matrix product."""

    _name = "AffineGridGeneratorBackward0"
    jvp = _fwd.linear

    def forward(ctx, theta, base, shape):
        ctx.base = base
        out = base[None, :, 0, None] * theta[:, None, :, 0]
        for j in range(1, base.shape[1]):
            out = out + base[None, :, j, None] * theta[:, None, :, j]
        return out.reshape(shape)

    def backward(ctx, grad):  # d theta[n] = grad[n]^T base
        g = grad.reshape(grad.shape[0], -1, grad.shape[-1])
        return g.transpose(1, 2) @ _wrap(ctx.base), None, None


def affine_grid(theta, size, align_corners=None):
    """Matches torch.nn.functional.affine_grid (2-d and 3-d)."""
    if align_corners is None:
        warnings.warn(_ALIGN_WARN, UserWarning, stacklevel=2)
        align_corners = False
    size = tuple(int(s) for s in size)
    nd = len(size) - 2
    if nd not in (2, 3) or tuple(theta.shape) != (size[0], nd, nd + 1):
        kind = "2D" if len(size) == 4 else "3D"
        shape = "Nx2x3" if len(size) == 4 else "Nx3x4"
        raise ValueError(f"Expected a batch of {kind} affine matrices of shape {shape} for size "
                         f"{size}. Got {theta.shape!r}.")
    dt = theta.dtype.np
    axes = [_base_coords(n, align_corners, dt) for n in size[2:][::-1]]  # x (W), y (H), z (D)
    mesh = np.meshgrid(*axes[::-1], indexing="ij")[::-1]
    base = np.stack(list(mesh) + [np.ones_like(mesh[0])], -1).reshape(-1, nd + 1)
    if type(theta._data) is np.ndarray and dt.kind == "f" and dt.itemsize >= 4:
        return _AffineGrid.run((theta,), (theta._data, np.ascontiguousarray(base)),
                               {"shape": (size[0],) + size[2:] + (nd,)})
    else:
        grid = _wrap(np.ascontiguousarray(base)) @ theta.transpose(1, 2)
    return grid.reshape((size[0],) + size[2:] + (nd,))
