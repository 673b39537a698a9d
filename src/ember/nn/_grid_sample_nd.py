"""grid_sample beyond `_grid_sample.py`'s bit-exact 4-d kernel: bicubic mode on 4-d input and
5-d input (trilinear, called 'bilinear', and nearest), all three padding modes.

Both are compositions of ember ops, so autograd gives their gradients to any order:
- 5-d: each of x, y, z is located as the 4-d kernel does (`_locate`: the value as torch computes
  it, the slope d location / d grid, padding included), then the 8 corners (or the nearest
  voxel) are gathered and weighted by products of the fractional distances.
- bicubic: torch's unnormalised location (no padding applied to it), its floor, and the 4 x 4
  taps around it, each tap's coordinate mapped by the padding mode and read as 0 outside; the
  weights are the cubic convolution coefficients (A = -0.75) of the fractional parts.
"""

import numpy as np

from .._tensor import _wrap
from ..autograd import forward_ad as _fwd
from ._grid_sample import _locate, _reflect, _take

_A = -0.75


def _located(grid, k, size, align, padding):
    """Location along one dim with torch's value and slope, as a differentiable tensor."""
    g = grid[..., k]
    loc, mult = _locate(g.detach()._data, size, align, padding)
    return (g - g.detach()) * _wrap(mult) + _wrap(loc)


def grid_sample_3d(input, grid, mode, padding, align):
    """input (N, C, D, H, W), grid (N, Do, Ho, Wo, 3) with (x, y, z) -> (N, C, Do, Ho, Wo)."""
    _fwd.refuse("grid_sampler_3d", input, grid)
    N, C, D, H, W = input.shape
    x, y, z = (_located(grid, k, s, align, padding) for k, s in ((0, W), (1, H), (2, D)))
    flat = input.reshape(N, C, D * H * W)
    P = int(np.prod(x.shape[1:]))
    if mode == "nearest":
        ix, iy, iz = (np.rint(t.detach()._data).reshape(N, P).astype(np.int64) for t in (x, y, z))
        pix, m = _index3(ix, iy, iz, D, H, W)
        out = _take(flat, pix, m, x * 0 + 1, x.shape)
    else:
        base = [t.detach().floor() for t in (x, y, z)]
        frac = [t - b for t, b in zip((x, y, z), base)]
        i0 = [b._data.reshape(N, P).astype(np.int64) for b in base]
        out = None
        for dz in (0, 1):
            for dy in (0, 1):
                for dx in (0, 1):
                    w = [f if d else 1 - f for f, d in zip(frac, (dx, dy, dz))]
                    pix, m = _index3(i0[0] + dx, i0[1] + dy, i0[2] + dz, D, H, W)
                    term = _take(flat, pix, m, w[0] * w[1] * w[2], x.shape)
                    out = term if out is None else out + term
    if out.grad_fn is not None:
        out.grad_fn._name = "GridSampler3DBackward0"
    return out


def _index3(ix, iy, iz, D, H, W):
    m = (ix > -1) & (ix < W) & (iy > -1) & (iy < H) & (iz > -1) & (iz < D)
    pix = (np.clip(iz, 0, D - 1) * H + np.clip(iy, 0, H - 1)) * W + np.clip(ix, 0, W - 1)
    return pix, m


def _unnormalize(g, size, align):
    return (g + 1) / 2 * (size - 1) if align else ((g + 1) * size - 1) / 2


def _bounded(coords, size, padding, align):
    """torch's compute_coordinates on tap positions, then the integer pixel and its mask."""
    if padding == "reflection":
        coords = _reflect(coords, size, align)[0]
    if padding != "zeros":
        coords = np.clip(coords, 0, size - 1)
    i = coords.astype(np.int64)
    return i, (i >= 0) & (i < size)


def _cubic_weights(t):
    """The four cubic convolution coefficients of fractional offset t (torch's, A = -0.75)."""
    def near(s):  # |s| <= 1
        return ((_A + 2) * s - (_A + 3)) * s * s + 1

    def far(s):  # 1 < |s| < 2
        return ((_A * s - 5 * _A) * s + 8 * _A) * s - 4 * _A

    return far(t + 1), near(t), near(1 - t), far(2 - t)


def grid_sample_bicubic(input, grid, padding, align):
    """input (N, C, H, W), grid (N, Ho, Wo, 2) -> (N, C, Ho, Wo), bicubic."""
    _fwd.refuse("grid_sampler_2d", input, grid)
    N, C, H, W = input.shape
    x = _unnormalize(grid[..., 0], W, align)
    y = _unnormalize(grid[..., 1], H, align)
    x0, y0 = x.detach().floor(), y.detach().floor()
    wx, wy = _cubic_weights(x - x0), _cubic_weights(y - y0)
    P = int(np.prod(x.shape[1:]))
    xs, ys = x0._data.reshape(N, P), y0._data.reshape(N, P)
    flat = input.reshape(N, C, H * W)
    out = None
    for j in range(4):
        iy, my = _bounded(ys + (j - 1), H, padding, align)
        for i in range(4):
            ix, mx = _bounded(xs + (i - 1), W, padding, align)
            pix = np.clip(iy, 0, H - 1) * W + np.clip(ix, 0, W - 1)
            term = _take(flat, pix, mx & my, wy[j] * wx[i], x.shape)
            out = term if out is None else out + term
    if out.grad_fn is not None:
        out.grad_fn._name = "GridSampler2DBackward0"
    return out
