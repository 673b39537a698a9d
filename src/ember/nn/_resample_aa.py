"""interpolate(antialias=True) for bilinear and bicubic: torch's separable anti-aliasing filters
(`_upsample_bilinear2d_aa`, `_upsample_bicubic2d_aa`) as one (out, in) weight matrix per spatial
dim, applied by `_pool.Separable` like the other modes (so the gradient is the transpose).

Output pixel i is centred at scale * (i + 0.5) in input coordinates; when downsampling the filter
(triangle for bilinear, Keys' cubic with a = -0.5 for bicubic, as PIL) is stretched by the scale,
its support widened to match, and each row's weights are normalised to sum to 1.
"""

import math

import numpy as np

from .. import _dtype as D


def check_dtype(input):
    """torch's anti-aliased kernels take float32 and float64, and uint8 (`uint8_resample`)."""
    if input.dtype not in (D.float32, D.float64, D.uint8):
        raise NotImplementedError("\"compute_index_ranges_weights\" not implemented for "
                                  f"'{input.dtype._legacy[:-6]}'")


def _triangle(x):
    return np.maximum(0.0, 1.0 - np.abs(x))


def _keys(x, a=-0.5):
    x = np.abs(x)
    near = ((a + 2) * x - (a + 3)) * x * x + 1
    far = ((a * x - 5 * a) * x + 8 * a) * x - 4 * a
    return np.where(x < 1, near, np.where(x < 2, far, 0.0))


def _lanczos(x, a=3):
    return np.where(np.abs(x) < a, np.sinc(x) * np.sinc(x / a), 0.0)


_FILTERS = {"bilinear": (2, _triangle), "bicubic": (4, _keys), "lanczos": (6, _lanczos)}


def aa_matrix(n, o, scale, mode, dtype):
    """(o, n) weights of the anti-aliased resampling of a dim of n pixels to o, where `scale` is
    torch's area_pixel_compute_scale (input pixels per output pixel)."""
    size, fn = _FILTERS[mode]
    scale = float(scale)
    support = size * 0.5 * scale if scale >= 1.0 else size * 0.5
    max_size = int(math.ceil(support)) * 2 + 1
    inv = 1.0 / scale if scale >= 1.0 else 1.0
    m = np.zeros((o, n), dtype)
    for i in range(o):
        center = scale * (i + 0.5)
        lo = max(int(center - support + 0.5), 0)
        count = min(max(min(int(center + support + 0.5), n) - lo, 0), max_size)
        w = fn((np.arange(lo, lo + count) - center + 0.5) * inv).astype(dtype)
        total = w.sum(dtype=dtype)
        if total != 0:
            w = w / total
        m[i, lo:lo + count] = w
    return m


# ---- torch's uint8 kernels (bilinear and bicubic, anti-aliased or not): Pillow's algorithm on
# the float64 weights of the float kernels (aa_matrix, or nn/_resample's linear / cubic ones)
def uint8_resample(x, mats):
    """The trailing two dims of uint8 x mapped by (out, in) float64 weights (None: unchanged),
    width first, as torch's kernel: each pass with the weights rounded to int16 fixed point
    (their precision the largest that keeps the biggest weight below 2^15), the sums rounded
    half up by the shift and clipped to 0..255 before the next pass."""
    for ax in (-1, -2):
        m = mats[ax]
        if m is None:
            continue
        prec = 0
        top = m.max()
        while prec < 22 and int(0.5 + top * (1 << (prec + 1))) < (1 << 15):
            prec += 1
        scaled = m * (1 << prec)
        w = np.where(m < 0, np.trunc(scaled - 0.5), np.trunc(scaled + 0.5)).astype(np.int64)
        y = np.moveaxis(x, ax, -1).astype(np.int64) @ w.T
        y = (y + (1 << (prec - 1) if prec else 0)) >> prec
        x = np.moveaxis(np.clip(y, 0, 255).astype(np.uint8), -1, ax)
    return np.ascontiguousarray(x)
