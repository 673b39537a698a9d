"""grid_sample (4-d input; bilinear and nearest; zeros, border and reflection padding) as one
primitive that reproduces torch's CPU kernel bit for bit (bicubic and 5-d input: _grid_sample_nd).

torch's kernel works on vectors of grid points (8 float32 or 4 float64 lanes, in the order its
iterator walks the grid: the whole flattened H x W when the grid's (H, W) is contiguous, row by
row otherwise) and its compiler fuses multiply-adds. So, as there:
  location    (g + 1) * size/2 - 0.5 in one fused multiply-add (align_corners=False);
  forward     fma(se_v, se, fma(sw_v, sw, fma(ne_v, ne, nw_v * nw)));
  grad_grid   gx = fma(fma(se_v - sw_v, n, (ne_v - nw_v) * s), gOut, gx), summed over the
              channels in order, then times d location / d g;
  grad_input  each vector adds its nw, then ne, sw and se contributions lane by lane, vectors in
              order: the order in which equal pixels accumulate, which fixes the rounding.
Double backward differentiates a composition of ember ops with the same locations.
"""

import numpy as np

from .._random_normal import fma32, fma64
from .._tensor import _wrap
from ..amp import _hook as _amp
from ..autograd import forward_ad as _fwd
from ..autograd import grad_mode as _gm
from ..autograd.function import Op

_enabled = _gm._enabled
_LANES = {np.dtype(np.float32): 8, np.dtype(np.float64): 4}


def _fma(a, b, c):
    """a * b + c with one rounding, in a's dtype (float16 goes through float32)."""
    if a.dtype == np.float64:
        return np.asarray(fma64(a, b, c), np.float64).reshape(np.shape(a))
    return np.asarray(fma32(a, b, c)).astype(a.dtype).reshape(np.shape(a))


# ---------------------------------------------------------------- locations
def _locate(g, size, align, padding):
    """(location, d location / d g) of normalised coordinates g along a dim of `size`."""
    t = g.dtype.type
    if align:
        sf = t(size - 1) / t(2)
        x = (g + t(1)) * sf
    else:
        sf = t(size) / t(2)
        x = _fma(g + t(1), np.full(g.shape, sf, g.dtype), np.full(g.shape, t(-0.5), g.dtype))
    mult = np.full(g.shape, sf, g.dtype)
    if padding == "reflection":
        x, flip = _reflect(x, size, align)
        mult = mult * flip
    if padding != "zeros":
        lo = np.maximum(x, t(0))
        x = np.minimum(lo, t(size - 1))
        mult = np.where((lo != t(0)) & (x != t(size - 1)), mult, t(0))  # the borders too
    return x, mult


def _reflect(x, size, align):
    """torch's reflect_coordinates_get_grad: the reflected location and its sign (+-1)."""
    t = x.dtype.type
    if align:
        if size <= 1:
            return np.zeros_like(x), np.zeros_like(x)
        low, twice = t(0), t(size - 1) * t(2)
    else:
        low, twice = t(-0.5), t(size) * t(2)
    d = x - low
    a = np.abs(d)
    flips = np.trunc(a / twice)
    extra = a - flips * twice
    other = twice - extra
    more = extra > other
    sign = np.where(more ^ (d < t(0)), t(-1), t(1))
    return np.where(more, other, extra) + low, sign


# ---------------------------------------------------------------- the kernels
def _corners(x, y, H, W, padding):
    """Per corner (nw, ne, sw, se): (flat pixel index, in-bounds mask) and the four weights,
    with the distances n, s, w, e to the sides."""
    t = x.dtype.type
    xw, yn = np.floor(x), np.floor(y)
    w = x - xw
    e = t(1) - w
    n = y - yn
    s = t(1) - n
    ix, iy = xw.astype(np.int64), yn.astype(np.int64)
    out = []
    for dy, dx in ((0, 0), (0, 1), (1, 0), (1, 1)):
        cx, cy = ix + dx, iy + dy
        m = (cx > -1) & (cx < W) & (cy > -1) & (cy < H)
        out.append((np.clip(cy, 0, H - 1) * W + np.clip(cx, 0, W - 1), m))
    return out, (s * e, s * w, n * e, n * w), (n, s, w, e)


def _gather(flat, idx, mask):
    """flat (N, C, H*W) at idx (N, P) per channel, 0 where masked: (N, C, P)."""
    v = np.take_along_axis(flat, np.broadcast_to(idx[:, None], (flat.shape[0], flat.shape[1],
                                                                 idx.shape[1])), 2)
    return np.where(mask[:, None], v, v.dtype.type(0))


def _nearest_index(x, y, H, W):
    ix, iy = np.rint(x).astype(np.int64), np.rint(y).astype(np.int64)  # half to even
    m = (ix > -1) & (ix < W) & (iy > -1) & (iy < H)
    return np.clip(iy, 0, H - 1) * W + np.clip(ix, 0, W - 1), m


def _order(Ho, Wo, lanes, by_rows):
    """The grid points (flat indices) in the kernel's vectors, -1 in unused lanes: (V, lanes)."""
    if by_rows:
        nb = -(-Wo // lanes)
        w = np.arange(nb * lanes)
        o = np.where(w < Wo, np.arange(Ho)[:, None] * Wo + w, -1)
        return o.reshape(Ho * nb, lanes)
    P = Ho * Wo
    o = np.arange(-(-P // lanes) * lanes)
    return np.where(o < P, o, -1).reshape(-1, lanes)


def _scatter(gout, corners, weights, shape, order):
    """grad_input: each vector adds its corners' contributions in torch's order."""
    N, C, H, W = shape
    gflat = np.zeros(N * C * H * W, gout.dtype)
    if not gflat.size or not order.size:
        return gflat.reshape(shape)
    live = order >= 0
    pts = np.where(live, order, 0)
    base = (np.arange(N * C) * (H * W)).reshape(N, C, 1, 1)
    idx, val, ok = [], [], []
    for (pix, m), wk in zip(corners, weights):  # (N, C, vectors, lanes) each
        idx.append(base + pix[:, pts][:, None])
        val.append((wk[:, None] * gout)[:, :, pts])
        ok.append(np.broadcast_to((m[:, pts] & live)[:, None], idx[-1].shape))
    idx, val, ok = (np.stack(a, 3) for a in (idx, val, ok))  # corners inside each vector
    np.add.at(gflat, idx[ok], val[ok])
    return gflat.reshape(shape)


class GridSampler(Op):
    """grid_sampler_2d: input (N, C, H, W), grid (N, Ho, Wo, 2) -> (N, C, Ho, Wo)."""

    _name = "GridSampler2DBackward0"
    save_inputs = (0, 1)
    _aten = "grid_sampler_2d"
    jvp = _fwd.missing  # torch has no forward derivative for grid_sample

    def forward(ctx, x, grid, mode, padding, align):
        ctx.mode, ctx.padding, ctx.align = mode, padding, align
        ctx.by_rows = not _flat_walk(grid)
        N, C, H, W = x.shape
        Ho, Wo = grid.shape[1:3]
        gx, _ = _locate(grid[..., 0].reshape(N, Ho * Wo), W, align, padding)
        gy, _ = _locate(grid[..., 1].reshape(N, Ho * Wo), H, align, padding)
        flat = x.reshape(N, C, H * W)
        if mode == "nearest":
            out = _gather(flat, *_nearest_index(gx, gy, H, W))
        else:
            corners, wts, _ = _corners(gx, gy, H, W, padding)
            v = [_gather(flat, pix, m) for pix, m in corners]
            wb = [np.broadcast_to(w[:, None], v[0].shape) for w in wts]
            out = _fma(v[3], wb[3], _fma(v[2], wb[2], _fma(v[1], wb[1], v[0] * wb[0])))
        return np.ascontiguousarray(out.reshape(N, C, Ho, Wo))

    def backward(ctx, grad):
        x, grid = ctx.saved_tensors
        if _enabled[0]:  # create_graph: differentiate the composition instead
            from ..autograd import grad as _grad
            out = _composite(x, grid, ctx.mode, ctx.padding, ctx.align)
            need = ctx.needs_input_grad
            wrt = [t for t, n in zip((x, grid), need[:2]) if n]
            res = iter(_grad(out, wrt, grad, create_graph=True, allow_unused=True))
            return (next(res) if need[0] else None), (next(res) if need[1] else None), \
                None, None, None
        gi, gg = _backward(x._data, grid._data, grad._data, ctx)
        return _wrap(gi), _wrap(gg), None, None, None


def _flat_walk(grid):
    """Whether torch's iterator walks the whole (H, W) of a grid slice as one line (a
    contiguous slice, or contiguous x and y planes); otherwise it goes row by row."""
    _, Ho, Wo, _ = grid.shape
    sH, sW, sC = (s // grid.itemsize for s in grid.strides[1:])
    return _dense((Ho, Wo, 2), (sH, sW, sC)) or (
        (sW == 1 or Wo == 1) and _dense((Ho, Wo), (sH, sW)))


def _dense(sizes, strides):
    expected = 1
    for n, st in zip(reversed(sizes), reversed(strides)):
        if n != 1 and st != expected:
            return False
        expected *= n
    return True


def _backward(x, grid, gout, ctx):
    N, C, H, W = x.shape
    Ho, Wo = grid.shape[1:3]
    P = Ho * Wo
    gxs, mx = _locate(grid[..., 0].reshape(N, P), W, ctx.align, ctx.padding)
    gys, my = _locate(grid[..., 1].reshape(N, P), H, ctx.align, ctx.padding)
    g = np.ascontiguousarray(gout).reshape(N, C, P)
    order = _order(Ho, Wo, _LANES.get(x.dtype, 8), ctx.by_rows)
    if ctx.mode == "nearest":
        pix, m = _nearest_index(gxs, gys, H, W)
        gi = _scatter(g, [(pix, m)], [np.ones_like(gxs)], x.shape, order)
        return gi, np.zeros(grid.shape, grid.dtype)
    corners, wts, (n, s, w, e) = _corners(gxs, gys, H, W, ctx.padding)
    gi = _scatter(g, corners, wts, x.shape, order)
    flat = x.reshape(N, C, H * W)
    v = [_gather(flat, pix, m) for pix, m in corners]
    ax = np.zeros((N, P), x.dtype)
    ay = np.zeros((N, P), x.dtype)
    for c in range(C):  # channels in order, as torch sums them
        nw, ne, sw, se, gc = v[0][:, c], v[1][:, c], v[2][:, c], v[3][:, c], g[:, c]
        ax = _fma(_fma(se - sw, n, (ne - nw) * s), gc, ax)
        ay = _fma(_fma(se - ne, w, (sw - nw) * e), gc, ay)
    gg = np.stack([ax * mx, ay * my], -1).reshape(grid.shape)
    return gi, gg


# ---------------------------------------------------------------- the composition
def _composite(input, grid, mode, padding, align):
    """grid_sample from ember ops at the kernel's locations (for higher derivatives)."""
    N, C, H, W = input.shape
    locs = []
    for k, size in ((0, W), (1, H)):
        g = grid[..., k]
        loc, mult = _locate(g.detach()._data, size, align, padding)
        locs.append((g - g.detach()) * _wrap(mult) + _wrap(loc))  # value loc, slope mult
    x, y = locs
    flat = input.reshape(N, C, H * W)
    if mode == "nearest":
        xr, yr = x.detach()._data, y.detach()._data
        pix, m = _nearest_index(xr.reshape(N, xr[0].size), yr.reshape(N, yr[0].size), H, W)
        return _take(flat, pix, m, x * 0 + 1, x.shape)
    x0, y0 = x.detach().floor(), y.detach().floor()
    wx1, wy1 = x - x0, y - y0
    wx0, wy0 = 1 - wx1, 1 - wy1
    P = x.shape[1] * x.shape[2]
    corners, _, _ = _corners(x.detach()._data.reshape(N, P), y.detach()._data.reshape(N, P),
                             H, W, padding)
    weights = (wy0 * wx0, wy0 * wx1, wy1 * wx0, wy1 * wx1)
    out = None
    for (pix, m), wk in zip(corners, weights):
        term = _take(flat, pix, m, wk, x.shape)
        out = term if out is None else out + term
    return out


def _take(flat, pix, mask, weight, shape):
    N, C = flat.shape[:2]
    index = _wrap(pix.reshape(N, 1, pix.shape[1])).expand(N, C, pix.shape[1])
    vals = flat.gather(2, index).reshape((N, C) + tuple(shape[1:]))
    m = _wrap(mask.reshape(shape).astype(flat.dtype.np)).unsqueeze(1)
    return vals * (m * weight.unsqueeze(1))


# ---------------------------------------------------------------- the public function
_ALIGN_WARN = ("Default grid_sample and affine_grid behavior has changed to align_corners=False "
               "since 1.3.0. Please specify align_corners=True if the old behavior is desired. "
               "See the documentation of grid_sample for details.")


def grid_sample(input, grid, mode="bilinear", padding_mode="zeros", align_corners=None):
    """Matches torch.nn.functional.grid_sample (4-d input bit for bit; bicubic and 5-d input
    composed in `_grid_sample_nd`)."""
    if _amp.on and _amp.active():
        return _amp.fp32(grid_sample, input, grid, mode, padding_mode, align_corners)
    import warnings
    if mode not in ("bilinear", "nearest", "bicubic"):
        raise ValueError("nn.functional.grid_sample(): expected mode to be 'bilinear', 'nearest' "
                         f"or 'bicubic', but got: '{mode}'")
    if padding_mode not in ("zeros", "border", "reflection"):
        raise ValueError("nn.functional.grid_sample(): expected padding_mode to be 'zeros', "
                         f"'border', or 'reflection', but got: '{padding_mode}'")
    if align_corners is None:
        warnings.warn(_ALIGN_WARN, stacklevel=2)
        align_corners = False
    _check(input, grid, mode)
    if input.dim() == 5 or mode == "bicubic":
        from . import _grid_sample_nd as nd
        if mode == "bicubic":
            return nd.grid_sample_bicubic(input, grid, padding_mode, bool(align_corners))
        return nd.grid_sample_3d(input, grid, mode, padding_mode, bool(align_corners))
    return GridSampler.apply(input, grid, mode, padding_mode, bool(align_corners))


def _check(input, grid, mode):
    """torch's grid_sampler checks, in its order."""
    si, sg = list(input.shape), list(grid.shape)
    if input.dim() and grid.dim() and si[0] != sg[0]:
        raise RuntimeError("grid_sampler(): expected grid and input to have same batch size, but "
                           f"got input with sizes {si} and grid with sizes {sg}")
    if grid.dim() and sg[-1] != input.dim() - 2:
        raise RuntimeError(f"grid_sampler(): expected grid to have size {input.dim() - 2} in "
                           f"last dimension, but got grid with sizes {sg}")
    for i in range(2, input.dim()):
        if si[i] <= 0:
            raise RuntimeError("grid_sampler(): expected input to have non-empty spatial "
                               f"dimensions, but input has sizes {si} with dimension {i} being "
                               "empty")
    nd = 4 if input.dim() == 4 else 5
    if input.dim() != nd or grid.dim() != nd:
        raise RuntimeError(f"grid_sampler(): expected {nd}D input and grid with same number of "
                           f"dimensions, but got input with sizes {si} and grid with sizes {sg}")
    if nd == 5 and mode == "bicubic":
        raise RuntimeError("grid_sampler(): bicubic interpolation only supports 4D input")
    if input.dtype is not grid.dtype:
        raise RuntimeError(f"expected scalar type {input.dtype._legacy[:-6]} but found "
                           f"{grid.dtype._legacy[:-6]}")
    if not input.dtype.is_floating_point:
        kernel = "grid_sampler_2d_cpu_kernel_impl" if nd == 4 else "grid_sampler3d_cpu"
        raise NotImplementedError(f"\"{kernel}\" not implemented for "
                                  f"'{input.dtype._legacy[:-6]}'")
