"""The tensor side of ember.vision.transforms.functional: ops on (..., C, H, W) image tensors.

Flips, crops, pads, normalize, erase and the colour blends are ember ops, so they keep the
device and autograd. Antialiased resize and Gaussian blur run in NumPy on the host: they are
data-loading ops, and torchvision's numbers come from separable weights (resize) and a float32
2-D correlation (blur) that NumPy reproduces to float32 rounding.
"""

import numpy as np

from ... import _dtype as D
from ..._tensor import Tensor
from ...nn import functional as F
from ...ops import creation as _creation


def _tensor(values, dtype, device):
    return _creation.as_tensor(values, dtype=dtype, device=device)


def _assert_image_tensor(img):
    if img.ndim < 2:
        raise TypeError("Tensor is not a torch image.")


def get_dimensions(img):
    _assert_image_tensor(img)
    channels = 1 if img.ndim == 2 else img.shape[-3]
    return [channels, img.shape[-2], img.shape[-1]]


def get_image_size(img):
    _assert_image_tensor(img)
    return [img.shape[-1], img.shape[-2]]


def get_image_num_channels(img):
    _assert_image_tensor(img)
    return 1 if img.ndim == 2 else img.shape[-3]


_MAX = {"uint8": 255, "int8": 127, "int16": 32767, "uint16": 65535, "int32": 2147483647,
        "int64": 9223372036854775807}


def _max_value(dtype):
    return _MAX.get(str(dtype).rsplit(".", 1)[-1], 1)


def _is_float(dtype):
    return dtype.is_floating_point


def _assert_channels(img, permitted):
    c = get_dimensions(img)[0]
    if c not in permitted:
        raise TypeError(f"Input image tensor permitted channel values are {permitted}, "
                        f"but found {c}")


def convert_image_dtype(image, dtype=D.float32):
    if image.dtype == dtype:
        return image
    if image.is_floating_point():
        if _is_float(dtype):
            return image.to(dtype)
        if (image.dtype == D.float32 and dtype in (D.int32, D.int64)) or (
                image.dtype == D.float64 and dtype == D.int64):
            raise RuntimeError(f"The cast from {image.dtype} to {dtype} cannot be performed "
                               "safely.")
        # 1 - eps so that 1.0 maps to max and every bin of the integer range is equally wide
        return image.mul(float(_max_value(dtype)) + 1.0 - 1e-3).to(dtype)
    input_max = float(_max_value(image.dtype))
    if _is_float(dtype):
        return image.to(dtype) / input_max
    output_max = float(_max_value(dtype))
    if input_max > output_max:
        factor = int((input_max + 1) // (output_max + 1))
        return image.div(factor, rounding_mode="floor").to(dtype)
    factor = int((output_max + 1) // (input_max + 1))
    return image.to(dtype) * factor


def vflip(img):
    _assert_image_tensor(img)
    return img.flip(-2)


def hflip(img):
    _assert_image_tensor(img)
    return img.flip(-1)


def crop(img, top, left, height, width):
    _assert_image_tensor(img)
    _, h, w = get_dimensions(img)
    right, bottom = left + width, top + height
    if left < 0 or top < 0 or right > w or bottom > h:
        ltrb = [max(-left + min(0, right), 0), max(-top + min(0, bottom), 0),
                max(right - max(w, left), 0), max(bottom - max(h, top), 0)]
        return pad(img[..., max(top, 0):bottom, max(left, 0):right], ltrb, fill=0)
    return img[..., top:bottom, left:right]


def rgb_to_grayscale(img, num_output_channels=1):
    if img.ndim < 3:
        raise TypeError("Input image tensor should have at least 3 dimensions, but found "
                        f"{img.ndim}")
    _assert_channels(img, [1, 3])
    if num_output_channels not in (1, 3):
        raise ValueError("num_output_channels should be either 1 or 3")
    if img.shape[-3] == 3:
        r, g, b = img.unbind(dim=-3)
        gray = (0.2989 * r + 0.587 * g + 0.114 * b).to(img.dtype).unsqueeze(dim=-3)
    else:
        gray = img.clone()
    return gray.expand(img.shape) if num_output_channels == 3 else gray


def _blend(img1, img2, ratio):
    ratio = float(ratio)
    bound = _max_value(img1.dtype)
    return (ratio * img1 + (1.0 - ratio) * img2).clamp(0, bound).to(img1.dtype)


def adjust_brightness(img, brightness_factor):
    if brightness_factor < 0:
        raise ValueError(f"brightness_factor ({brightness_factor}) is not non-negative.")
    _assert_image_tensor(img)
    _assert_channels(img, [1, 3])
    return _blend(img, img.new_zeros(img.shape), brightness_factor)


def adjust_contrast(img, contrast_factor):
    if contrast_factor < 0:
        raise ValueError(f"contrast_factor ({contrast_factor}) is not non-negative.")
    _assert_image_tensor(img)
    _assert_channels(img, [3, 1])
    dtype = img.dtype if img.is_floating_point() else D.float32
    gray = rgb_to_grayscale(img) if get_dimensions(img)[0] == 3 else img
    mean = gray.to(dtype).mean(dim=(-3, -2, -1), keepdim=True)
    return _blend(img, mean, contrast_factor)


def adjust_saturation(img, saturation_factor):
    if saturation_factor < 0:
        raise ValueError(f"saturation_factor ({saturation_factor}) is not non-negative.")
    _assert_image_tensor(img)
    _assert_channels(img, [1, 3])
    if get_dimensions(img)[0] == 1:
        return img
    return _blend(img, rgb_to_grayscale(img), saturation_factor)


def _rgb2hsv(img):
    """(h, s, v) in [0, 1] with torchvision's formulas (float32 arrays)."""
    r, g, b = img[..., 0, :, :], img[..., 1, :, :], img[..., 2, :, :]
    maxc, minc = img.max(axis=-3), img.min(axis=-3)
    eqc = maxc == minc
    cr = maxc - minc
    one = np.ones_like(maxc)
    s = cr / np.where(eqc, one, maxc)
    div = np.where(eqc, one, cr)
    rc, gc, bc = (maxc - r) / div, (maxc - g) / div, (maxc - b) / div
    hr = (maxc == r) * (bc - gc)
    hg = ((maxc == g) & (maxc != r)) * (np.float32(2.0) + rc - bc)
    hb = ((maxc != g) & (maxc != r)) * (np.float32(4.0) + gc - rc)
    h = np.fmod((hr + hg + hb) / np.float32(6.0) + np.float32(1.0), np.float32(1.0))
    return h, s, maxc


def _hsv2rgb(h, s, v):
    i = np.floor(h * np.float32(6.0))
    f = h * np.float32(6.0) - i
    i = i.astype(np.int32) % 6
    p = np.clip(v * (np.float32(1.0) - s), 0.0, 1.0)
    q = np.clip(v * (np.float32(1.0) - s * f), 0.0, 1.0)
    t = np.clip(v * (np.float32(1.0) - s * (np.float32(1.0) - f)), 0.0, 1.0)
    table = [(v, t, p), (q, v, p), (p, v, t), (p, q, v), (t, p, v), (v, p, q)]
    out = [np.select([i == k for k in range(6)], [row[c] for row in table]) for c in range(3)]
    return np.stack(out, axis=-3).astype(np.float32)


def adjust_hue(img, hue_factor):
    if not -0.5 <= hue_factor <= 0.5:
        raise ValueError(f"hue_factor ({hue_factor}) is not in [-0.5, 0.5].")
    if not isinstance(img, Tensor):
        raise TypeError("Input img should be Tensor image")
    _assert_image_tensor(img)
    _assert_channels(img, [1, 3])
    if get_dimensions(img)[0] == 1:
        return img
    dtype = img.dtype
    arr = convert_image_dtype(img, D.float32).detach().cpu().numpy()
    h, s, v = _rgb2hsv(arr)
    h = np.mod(h + np.float32(hue_factor), np.float32(1.0)).astype(np.float32)
    out = _tensor(_hsv2rgb(h, s, v), D.float32, img.device)
    return convert_image_dtype(out, dtype)


def adjust_gamma(img, gamma, gain=1):
    if not isinstance(img, Tensor):
        raise TypeError("Input img should be a Tensor.")
    _assert_channels(img, [1, 3])
    if gamma < 0:
        raise ValueError("Gamma should be a non-negative real number")
    dtype = img.dtype
    result = img if img.is_floating_point() else convert_image_dtype(img, D.float32)
    return convert_image_dtype((gain * result.pow(gamma)).clamp(0, 1), dtype)


def _parse_pad_padding(padding):
    if isinstance(padding, int):
        return [padding] * 4
    if len(padding) == 1:
        return [padding[0]] * 4
    if len(padding) == 2:
        return [padding[0], padding[0], padding[1], padding[1]]
    return [padding[0], padding[2], padding[1], padding[3]]


def _pad_symmetric(img, p):
    left, right, top, bottom = p
    if min(p) < 0:
        img = img[..., max(-top, 0):img.shape[-2] - max(-bottom, 0),
                  max(-left, 0):img.shape[-1] - max(-right, 0)]
        left, right, top, bottom = (max(x, 0) for x in p)
    h, w = img.shape[-2], img.shape[-1]
    xs = list(range(left - 1, -1, -1)) + list(range(w)) + [-(i + 1) for i in range(right)]
    ys = list(range(top - 1, -1, -1)) + list(range(h)) + [-(i + 1) for i in range(bottom)]
    if img.ndim not in (3, 4):
        raise RuntimeError("Symmetric padding of N-D tensors are not supported yet")
    xs = _tensor(xs, D.int64, img.device)
    ys = _tensor(ys, D.int64, img.device)
    return img[..., ys[:, None], xs[None, :]]


def pad(img, padding, fill=0, padding_mode="constant"):
    _assert_image_tensor(img)
    fill = 0 if fill is None else fill
    if not isinstance(padding, (int, tuple, list)):
        raise TypeError("Got inappropriate padding arg")
    if not isinstance(fill, (int, float)):
        raise TypeError("Got inappropriate fill arg")
    if not isinstance(padding_mode, str):
        raise TypeError("Got inappropriate padding_mode arg")
    if isinstance(padding, (list, tuple)) and len(padding) not in (1, 2, 4):
        raise ValueError("Padding must be an int or a 1, 2, or 4 element tuple, not a "
                         f"{len(padding)} element tuple")
    if padding_mode not in ("constant", "edge", "reflect", "symmetric"):
        raise ValueError("Padding mode should be either constant, edge, reflect or symmetric")
    p = _parse_pad_padding(padding)
    if padding_mode == "symmetric":
        return _pad_symmetric(img, p)
    mode = "replicate" if padding_mode == "edge" else padding_mode
    squeeze = img.ndim < 4
    x = img.unsqueeze(0) if squeeze else img
    out_dtype = x.dtype
    cast = mode != "constant" and out_dtype not in (D.float32, D.float64)
    if cast:
        x = x.to(D.float32)
    if mode == "constant":
        x = F.pad(x, p, mode="constant", value=float(fill))
    else:
        x = F.pad(x, p, mode=mode)
    x = x.squeeze(0) if squeeze else x
    return x.to(out_dtype) if cast else x


# ---- resize -------------------------------------------------------------------------------------

def resize(img, size, interpolation="bilinear", antialias=True):
    _assert_image_tensor(img)
    size = list(size)
    antialias = bool(antialias) and interpolation in ("bilinear", "bicubic")
    x, cast, squeeze, out_dtype = _cast_squeeze_in(img, [D.float32, D.float64])
    from ...nn._resample import interpolate  # (antialiased: differentiable, as torchvision's)
    align = False if interpolation in ("bilinear", "bicubic") else None
    x = interpolate(x, size=size, mode=interpolation, align_corners=align, antialias=antialias)
    if interpolation == "bicubic" and out_dtype == D.uint8:
        x = x.clamp(min=0, max=255)
    return _cast_squeeze_out(x, cast, squeeze, out_dtype)


def _cast_squeeze_in(img, req_dtypes):
    squeeze = img.ndim < 4
    if squeeze:
        img = img.unsqueeze(dim=0)
    out_dtype = img.dtype
    cast = out_dtype not in req_dtypes
    if cast:
        img = img.to(req_dtypes[0])
    return img, cast, squeeze, out_dtype


def _cast_squeeze_out(img, cast, squeeze, out_dtype):
    if squeeze:
        img = img.squeeze(dim=0)
    if cast:
        if out_dtype in (D.uint8, D.int8, D.int16, D.int32, D.int64):
            img = img.round()
        img = img.to(out_dtype)
    return img


# ---- blur ---------------------------------------------------------------------------------------

def _gaussian_kernel1d(ksize, sigma, dtype):
    half = (ksize - 1) * 0.5
    x = np.linspace(-half, half, ksize).astype(dtype)
    pdf = np.exp(dtype(-0.5) * (x / dtype(sigma)) ** 2)
    return pdf / pdf.sum(dtype=dtype)


def _correlate(x, kernel):
    """Valid 2-D correlation of (N, C, H, W) with one (kh, kw) kernel per channel."""
    kh, kw = kernel.shape
    h, w = x.shape[-2] - kh + 1, x.shape[-1] - kw + 1
    out = np.zeros(x.shape[:-2] + (h, w), x.dtype)
    for i in range(kh):
        for j in range(kw):
            out += kernel[i, j] * x[..., i:i + h, j:j + w]
    return out


def gaussian_blur(img, kernel_size, sigma):
    if not isinstance(img, Tensor):
        raise TypeError(f"img should be Tensor. Got {type(img)}")
    _assert_image_tensor(img)
    dtype = np.float64 if img.dtype == D.float64 else np.float32
    kx = _gaussian_kernel1d(kernel_size[0], sigma[0], dtype)
    ky = _gaussian_kernel1d(kernel_size[1], sigma[1], dtype)
    kernel = np.outer(ky, kx).astype(dtype)
    x, cast, squeeze, out_dtype = _cast_squeeze_in(img, [D.float32 if dtype is np.float32
                                                         else D.float64])
    arr = x.detach().cpu().numpy()
    px, py = kernel_size[0] // 2, kernel_size[1] // 2
    arr = np.pad(arr, ((0, 0), (0, 0), (py, py), (px, px)), mode="reflect")
    x = _tensor(_correlate(arr, kernel), x.dtype, img.device)
    return _cast_squeeze_out(x, cast, squeeze, out_dtype)


# ---- the rest -----------------------------------------------------------------------------------

def invert(img):
    _assert_image_tensor(img)
    if img.ndim < 3:
        raise TypeError("Input image tensor should have at least 3 dimensions, but found "
                        f"{img.ndim}")
    _assert_channels(img, [1, 3])
    return _max_value(img.dtype) - img


def normalize(tensor, mean, std, inplace=False):
    _assert_image_tensor(tensor)
    if not tensor.is_floating_point():
        raise TypeError(f"Input tensor should be a float tensor. Got {tensor.dtype}.")
    if tensor.ndim < 3:
        raise ValueError("Expected tensor to be a tensor image of size (..., C, H, W). Got "
                         f"tensor.size() = {tensor.size()}")
    if not inplace:
        tensor = tensor.clone()
    dtype = tensor.dtype
    mean = _tensor(mean, dtype, tensor.device)
    std = _tensor(std, dtype, tensor.device)
    if (std == 0).any():
        raise ValueError(f"std evaluated to zero after conversion to {dtype}, leading to "
                         "division by zero.")
    if mean.ndim == 1:
        mean = mean.view(-1, 1, 1)
    if std.ndim == 1:
        std = std.view(-1, 1, 1)
    return tensor.sub_(mean).div_(std)


def erase(img, i, j, h, w, v, inplace=False):
    _assert_image_tensor(img)
    if not inplace:
        img = img.clone()
    img[..., i:i + h, j:j + w] = v
    return img
