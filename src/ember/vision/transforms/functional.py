"""torchvision.transforms.functional under ember's name: stateless image ops.

Every public op dispatches on its input: a PIL image goes to `_functional_pil` (Pillow's own
pixels, as torchvision), an ember Tensor of shape (..., C, H, W) to `_functional_tensor`. The
shared logic (output sizes, centre offsets, the inverse affine matrix, argument checks) lives
here once.
"""

import math
import numbers
import sys
from enum import Enum

import numpy as np

from ... import _dtype as D
from ..._tensor import Tensor
from ...ops import creation as _creation
from . import _functional_tensor as F_t

try:
    from PIL import Image

    from . import _functional_pil as F_pil
except ImportError:  # Pillow is optional: tensor inputs still work
    Image = F_pil = None

__all__ = ["InterpolationMode", "get_dimensions", "get_image_size", "get_image_num_channels",
           "to_tensor", "pil_to_tensor", "convert_image_dtype", "to_pil_image", "normalize",
           "resize", "pad", "crop", "center_crop", "resized_crop", "hflip", "vflip", "perspective",
           "five_crop", "ten_crop", "adjust_brightness", "adjust_contrast", "adjust_saturation",
           "adjust_hue", "adjust_gamma", "rotate", "affine", "to_grayscale", "rgb_to_grayscale",
           "erase", "gaussian_blur", "invert", "posterize", "solarize", "adjust_sharpness",
           "autocontrast", "equalize"]


class InterpolationMode(Enum):
    """Matches torchvision.transforms.InterpolationMode."""
    NEAREST = "nearest"
    NEAREST_EXACT = "nearest-exact"
    BILINEAR = "bilinear"
    BICUBIC = "bicubic"
    BOX = "box"
    HAMMING = "hamming"
    LANCZOS = "lanczos"


_FROM_INT = {0: InterpolationMode.NEAREST, 2: InterpolationMode.BILINEAR,
             3: InterpolationMode.BICUBIC, 4: InterpolationMode.BOX, 5: InterpolationMode.HAMMING,
             1: InterpolationMode.LANCZOS}
_PIL_MODES = {InterpolationMode.NEAREST: 0, InterpolationMode.BILINEAR: 2,
              InterpolationMode.BICUBIC: 3, InterpolationMode.NEAREST_EXACT: 0,
              InterpolationMode.BOX: 4, InterpolationMode.HAMMING: 5,
              InterpolationMode.LANCZOS: 1}


def _interpolation_modes_from_int(i):
    return _FROM_INT[i]


def _interpolation(interpolation):
    if isinstance(interpolation, int):
        return _interpolation_modes_from_int(interpolation)
    if not isinstance(interpolation, InterpolationMode):
        raise TypeError("Argument interpolation should be a InterpolationMode or a corresponding "
                        "Pillow integer constant")
    return interpolation


def _is_pil_image(img):
    return F_pil is not None and F_pil._is_pil_image(img)


def _pil():
    if F_pil is None:
        raise ImportError("ember.vision.transforms needs Pillow for PIL images: pip install pillow")
    return F_pil


def _backend(img):
    return F_t if isinstance(img, Tensor) else _pil()


def get_dimensions(img):
    return _backend(img).get_dimensions(img)


def get_image_size(img):
    return _backend(img).get_image_size(img)


def get_image_num_channels(img):
    return _backend(img).get_image_num_channels(img)


# ---- conversions --------------------------------------------------------------------------------

def _chw_tensor(arr):
    t = _creation.from_numpy(np.ascontiguousarray(arr.transpose((2, 0, 1))))
    if t.dtype == D.uint8:
        return t.to(dtype=D.get_default_dtype()).div(255)
    return t


def to_tensor(pic):
    """Matches torchvision.transforms.functional.to_tensor: uint8 data scaled to [0, 1]."""
    is_array = isinstance(pic, np.ndarray)
    if not (_is_pil_image(pic) or is_array):
        raise TypeError(f"pic should be PIL Image or ndarray. Got {type(pic)}")
    if is_array:
        if pic.ndim not in (2, 3):
            raise ValueError(f"pic should be 2/3 dimensional. Got {pic.ndim} dimensions.")
        return _chw_tensor(pic[:, :, None] if pic.ndim == 2 else pic)
    little = sys.byteorder == "little"
    types = {"I": np.int32, "I;16" if little else "I;16B": np.int16, "F": np.float32}
    arr = np.array(pic, types.get(pic.mode, np.uint8), copy=True)
    if pic.mode == "1":
        arr = 255 * arr
    return _chw_tensor(arr.reshape(pic.size[1], pic.size[0], len(pic.getbands())))


def pil_to_tensor(pic):
    """Matches torchvision.transforms.functional.pil_to_tensor: (C, H, W), dtype kept."""
    if not _is_pil_image(pic):
        raise TypeError(f"pic should be PIL Image. Got {type(pic)}")
    arr = np.array(pic, copy=True)
    arr = arr.reshape(pic.size[1], pic.size[0], len(pic.getbands()))
    return _creation.from_numpy(arr).permute((2, 0, 1))


def convert_image_dtype(image, dtype=D.float32):
    if not isinstance(image, Tensor):
        raise TypeError("Input img should be Tensor Image")
    return F_t.convert_image_dtype(image, dtype)


_MODES_BY_CHANNELS = {2: ["LA"], 4: ["RGBA", "CMYK", "RGBX"], 3: ["RGB", "YCbCr", "HSV"]}
_DEFAULT_MODE = {2: "LA", 4: "RGBA", 3: "RGB"}


def _single_channel_mode(dtype):
    little = sys.byteorder == "little"
    return {np.dtype(np.uint8): "L", np.dtype(np.int16): "I;16" if little else "I;16B",
            np.dtype(np.int32): "I", np.dtype(np.float32): "F"}.get(dtype)


def to_pil_image(pic, mode=None):
    """Matches torchvision.transforms.functional.to_pil_image."""
    _pil()
    if isinstance(pic, Tensor):
        if pic.ndim == 3:
            pic = pic.permute((1, 2, 0))
        pic = pic.detach().cpu().numpy()
    elif not isinstance(pic, np.ndarray):
        raise TypeError(f"pic should be Tensor or ndarray. Got {type(pic)}.")
    if pic.ndim == 2:
        pic = np.expand_dims(pic, 2)
    if pic.ndim != 3:
        raise ValueError(f"pic should be 2/3 dimensional. Got {pic.ndim} dimensions.")
    if pic.shape[-1] > 4:
        raise ValueError(f"pic should not have > 4 channels. Got {pic.shape[-1]} channels.")
    npimg = pic
    if np.issubdtype(npimg.dtype, np.floating) and mode != "F":
        npimg = (npimg * 255).astype(np.uint8)
    channels = npimg.shape[2]
    if channels == 1:
        npimg = npimg[:, :, 0]
        expected = _single_channel_mode(npimg.dtype)
        if mode is not None and mode != expected:
            raise ValueError(f"Incorrect mode ({mode}) supplied for input type {np.dtype}. "
                             f"Should be {expected}")
        mode = expected
    else:
        permitted = _MODES_BY_CHANNELS[channels]
        if mode is not None and mode not in permitted:
            raise ValueError(f"Only modes {permitted} are supported for {channels}D inputs")
        if mode is None and npimg.dtype == np.uint8:
            mode = _DEFAULT_MODE[channels]
    if mode is None:
        raise TypeError(f"Input type {npimg.dtype} is not supported")
    return F_pil._fromarray(npimg, mode)


def normalize(tensor, mean, std, inplace=False):
    """Matches torchvision.transforms.functional.normalize: (x - mean) / std per channel."""
    if not isinstance(tensor, Tensor):
        raise TypeError(f"img should be Tensor Image. Got {type(tensor)}")
    return F_t.normalize(tensor, mean=mean, std=std, inplace=inplace)


# ---- geometry -----------------------------------------------------------------------------------

def _compute_resized_output_size(image_size, size, max_size=None):
    h, w = image_size
    short, long = (w, h) if w <= h else (h, w)
    if len(size) == 1:
        requested = size[0]
        new_short, new_long = requested, int(requested * long / short)
        if max_size is not None:
            if max_size <= requested:
                raise ValueError(f"max_size = {max_size} must be strictly greater than the "
                                 f"requested size for the smaller edge size = {size}")
            if new_long > max_size:
                new_short, new_long = int(max_size * new_short / new_long), max_size
        new_w, new_h = (new_short, new_long) if w <= h else (new_long, new_short)
    else:
        new_w, new_h = size[1], size[0]
    return [new_h, new_w]


def resize(img, size, interpolation=InterpolationMode.BILINEAR, max_size=None, antialias=True):
    """Matches torchvision.transforms.functional.resize (Pillow's resampling for PIL images)."""
    interpolation = _interpolation(interpolation)
    if isinstance(size, (list, tuple)):
        if len(size) not in (1, 2):
            raise ValueError("Size must be an int or a 1 or 2 element tuple/list, not a "
                             f"{len(size)} element tuple/list")
        if max_size is not None and len(size) != 1:
            raise ValueError("max_size should only be passed if size specifies the length of the "
                             "smaller edge, i.e. size should be an int or a sequence of length 1 "
                             "in torchscript mode.")
    _, height, width = get_dimensions(img)
    size = [size] if isinstance(size, int) else size
    output_size = _compute_resized_output_size((height, width), size, max_size)
    if [height, width] == output_size:
        return img
    if not isinstance(img, Tensor):
        return _pil().resize(img, size=output_size, interpolation=_PIL_MODES[interpolation])
    return F_t.resize(img, size=output_size, interpolation=interpolation.value,
                      antialias=antialias)


def pad(img, padding, fill=0, padding_mode="constant"):
    return _backend(img).pad(img, padding=padding, fill=fill, padding_mode=padding_mode)


def crop(img, top, left, height, width):
    return _backend(img).crop(img, top, left, height, width)


def _pair(size):
    if isinstance(size, numbers.Number):
        return (int(size), int(size))
    if isinstance(size, (tuple, list)) and len(size) == 1:
        return (size[0], size[0])
    return size


def center_crop(img, output_size):
    output_size = _pair(output_size)
    _, image_height, image_width = get_dimensions(img)
    crop_height, crop_width = output_size
    if crop_width > image_width or crop_height > image_height:
        dw, dh = max(crop_width - image_width, 0), max(crop_height - image_height, 0)
        img = pad(img, [dw // 2, dh // 2, (dw + 1) // 2, (dh + 1) // 2], fill=0)
        _, image_height, image_width = get_dimensions(img)
        if crop_width == image_width and crop_height == image_height:
            return img
    top = int(round((image_height - crop_height) / 2.0))
    left = int(round((image_width - crop_width) / 2.0))
    return crop(img, top, left, crop_height, crop_width)


def resized_crop(img, top, left, height, width, size, interpolation=InterpolationMode.BILINEAR,
                 antialias=True):
    img = crop(img, top, left, height, width)
    return resize(img, size, interpolation, antialias=antialias)


def hflip(img):
    return _backend(img).hflip(img)


def vflip(img):
    return _backend(img).vflip(img)


def _perspective_coeffs(startpoints, endpoints):
    if len(startpoints) != 4 or len(endpoints) != 4:
        raise ValueError(f"Please provide exactly four corners, got {len(startpoints)} "
                         f"startpoints and {len(endpoints)} endpoints.")
    a = np.zeros((8, 8))
    for i, (p1, p2) in enumerate(zip(endpoints, startpoints)):
        a[2 * i] = [p1[0], p1[1], 1, 0, 0, 0, -p2[0] * p1[0], -p2[0] * p1[1]]
        a[2 * i + 1] = [0, 0, 0, p1[0], p1[1], 1, -p2[1] * p1[0], -p2[1] * p1[1]]
    b = np.array(startpoints, dtype=np.float64).reshape(8)
    return np.linalg.lstsq(a, b, rcond=None)[0].astype(np.float32).tolist()


def perspective(img, startpoints, endpoints, interpolation=InterpolationMode.BILINEAR, fill=None):
    """PIL images only in ember."""
    coeffs = _perspective_coeffs(startpoints, endpoints)
    interpolation = _interpolation(interpolation)
    if isinstance(img, Tensor):
        raise NotImplementedError("ember: perspective() on tensors is not supported; "
                                  "use a PIL image")
    return _pil().perspective(img, coeffs, interpolation=_PIL_MODES[interpolation], fill=fill)


def five_crop(img, size):
    size = _pair(size)
    if len(size) != 2:
        raise ValueError("Please provide only two dimensions (h, w) for size.")
    _, image_height, image_width = get_dimensions(img)
    crop_height, crop_width = size
    if crop_width > image_width or crop_height > image_height:
        raise ValueError(f"Requested crop size {size} is bigger than input size "
                         f"{(image_height, image_width)}")
    bottom, right = image_height - crop_height, image_width - crop_width
    tl = crop(img, 0, 0, crop_height, crop_width)
    tr = crop(img, 0, right, crop_height, crop_width)
    bl = crop(img, bottom, 0, crop_height, crop_width)
    br = crop(img, bottom, right, crop_height, crop_width)
    return tl, tr, bl, br, center_crop(img, [crop_height, crop_width])


def ten_crop(img, size, vertical_flip=False):
    size = _pair(size)
    if len(size) != 2:
        raise ValueError("Please provide only two dimensions (h, w) for size.")
    first = five_crop(img, size)
    return first + five_crop(vflip(img) if vertical_flip else hflip(img), size)


# ---- colour -------------------------------------------------------------------------------------

def adjust_brightness(img, brightness_factor):
    return _backend(img).adjust_brightness(img, brightness_factor)


def adjust_contrast(img, contrast_factor):
    return _backend(img).adjust_contrast(img, contrast_factor)


def adjust_saturation(img, saturation_factor):
    return _backend(img).adjust_saturation(img, saturation_factor)


def adjust_hue(img, hue_factor):
    return _backend(img).adjust_hue(img, hue_factor)


def adjust_gamma(img, gamma, gain=1):
    return _backend(img).adjust_gamma(img, gamma, gain)


def adjust_sharpness(img, sharpness_factor):
    if isinstance(img, Tensor):
        raise NotImplementedError("ember: adjust_sharpness() on tensors is not supported; "
                                  "use a PIL image")
    return _pil().adjust_sharpness(img, sharpness_factor)


def invert(img):
    return _backend(img).invert(img)


def posterize(img, bits):
    if not 0 <= bits <= 8:
        raise ValueError(f"The number if bits should be between 0 and 8. Got {bits}")
    if isinstance(img, Tensor):
        if img.dtype != D.uint8:
            raise TypeError(f"Only torch.uint8 image tensors are supported, but found {img.dtype}")
        return img & -int(2 ** (8 - bits))
    return _pil().posterize(img, bits)


def solarize(img, threshold):
    if isinstance(img, Tensor):
        from ...ops.ternary import where
        return where(img >= threshold, F_t.invert(img), img)
    return _pil().solarize(img, threshold)


def autocontrast(img):
    if isinstance(img, Tensor):
        raise NotImplementedError("ember: autocontrast() on tensors is not supported; "
                                  "use a PIL image")
    return _pil().autocontrast(img)


def equalize(img):
    if isinstance(img, Tensor):
        raise NotImplementedError("ember: equalize() on tensors is not supported; "
                                  "use a PIL image")
    return _pil().equalize(img)


def to_grayscale(img, num_output_channels=1):
    if _is_pil_image(img):
        return F_pil.to_grayscale(img, num_output_channels)
    raise TypeError("Input should be PIL Image")


def rgb_to_grayscale(img, num_output_channels=1):
    if isinstance(img, Tensor):
        return F_t.rgb_to_grayscale(img, num_output_channels)
    return _pil().to_grayscale(img, num_output_channels)


# ---- affine -------------------------------------------------------------------------------------

def _get_inverse_affine_matrix(center, angle, translate, scale, shear, inverted=True):
    """Pillow's 2x3 output-to-input matrix for rotate(angle) . shear . scale about center,
    then translate: torchvision's formula."""
    rot = math.radians(angle)
    sx, sy = math.radians(shear[0]), math.radians(shear[1])
    cx, cy = center
    tx, ty = translate
    a = math.cos(rot - sy) / math.cos(sy)
    b = -math.cos(rot - sy) * math.tan(sx) / math.cos(sy) - math.sin(rot)
    c = math.sin(rot - sy) / math.cos(sy)
    d = -math.sin(rot - sy) * math.tan(sx) / math.cos(sy) + math.cos(rot)
    if inverted:
        m = [x / scale for x in [d, -b, 0.0, -c, a, 0.0]]
        m[2] += m[0] * (-cx - tx) + m[1] * (-cy - ty)
        m[5] += m[3] * (-cx - tx) + m[4] * (-cy - ty)
        m[2] += cx
        m[5] += cy
    else:
        m = [x * scale for x in [a, b, 0.0, c, d, 0.0]]
        m[2] += m[0] * -cx + m[1] * -cy
        m[5] += m[3] * -cx + m[4] * -cy
        m[2] += cx + tx
        m[5] += cy + ty
    return m


def _no_tensor_warp(name):
    raise NotImplementedError(f"ember: {name}() on tensors is not supported; use a PIL image")


def rotate(img, angle, interpolation=InterpolationMode.NEAREST, expand=False, center=None,
           fill=None):
    """Matches torchvision's rotate for PIL images (counter-clockwise degrees)."""
    interpolation = _interpolation(interpolation)
    if not isinstance(angle, (int, float)):
        raise TypeError("Argument angle should be int or float")
    if center is not None and not isinstance(center, (list, tuple)):
        raise TypeError("Argument center should be a sequence")
    if isinstance(img, Tensor):
        _no_tensor_warp("rotate")
    return _pil().rotate(img, angle=angle, interpolation=_PIL_MODES[interpolation],
                         expand=expand, center=center, fill=fill)


def _check_affine_args(angle, translate, scale, shear):
    if not isinstance(angle, (int, float)):
        raise TypeError("Argument angle should be int or float")
    if not isinstance(translate, (list, tuple)):
        raise TypeError("Argument translate should be a sequence")
    if len(translate) != 2:
        raise ValueError("Argument translate should be a sequence of length 2")
    if scale <= 0.0:
        raise ValueError("Argument scale should be positive")
    if not isinstance(shear, (numbers.Number, (list, tuple))):
        raise TypeError("Shear should be either a single value or a sequence of two values")


def affine(img, angle, translate, scale, shear, interpolation=InterpolationMode.NEAREST,
           fill=None, center=None):
    """Matches torchvision's affine for PIL images."""
    interpolation = _interpolation(interpolation)
    _check_affine_args(angle, translate, scale, shear)
    angle = float(angle) if isinstance(angle, int) else angle
    translate = list(translate)
    shear = [shear, 0.0] if isinstance(shear, numbers.Number) else list(shear)
    if len(shear) == 1:
        shear = [shear[0], shear[0]]
    if len(shear) != 2:
        raise ValueError(f"Shear should be a sequence containing two values. Got {shear}")
    if center is not None and not isinstance(center, (list, tuple)):
        raise TypeError("Argument center should be a sequence")
    if isinstance(img, Tensor):
        _no_tensor_warp("affine")
    _, height, width = get_dimensions(img)
    # centre without the half-pixel offset, as torchvision (matches rot90 visually)
    center = [width * 0.5, height * 0.5] if center is None else center
    matrix = _get_inverse_affine_matrix(center, angle, translate, scale, shear)
    return _pil().affine(img, matrix=matrix, interpolation=_PIL_MODES[interpolation], fill=fill)


# ---- tensor-only --------------------------------------------------------------------------------

def erase(img, i, j, h, w, v, inplace=False):
    """Matches torchvision.transforms.functional.erase: img[..., i:i+h, j:j+w] = v."""
    if not isinstance(img, Tensor):
        raise TypeError(f"img should be Tensor Image. Got {type(img)}")
    return F_t.erase(img, i, j, h, w, v, inplace=inplace)


def _blur_args(kernel_size, sigma):
    if not isinstance(kernel_size, (int, list, tuple)):
        raise TypeError("kernel_size should be int or a sequence of integers. "
                        f"Got {type(kernel_size)}")
    if isinstance(kernel_size, int):
        kernel_size = [kernel_size, kernel_size]
    if len(kernel_size) != 2:
        raise ValueError("If kernel_size is a sequence its length should be 2. "
                         f"Got {len(kernel_size)}")
    for ksize in kernel_size:
        if ksize % 2 == 0 or ksize < 0:
            raise ValueError("kernel_size should have odd and positive integers. "
                             f"Got {kernel_size}")
    if sigma is None:
        sigma = [ksize * 0.15 + 0.35 for ksize in kernel_size]
    if not isinstance(sigma, (int, float, list, tuple)):
        raise TypeError(f"sigma should be either float or sequence of floats. Got {type(sigma)}")
    if isinstance(sigma, (int, float)):
        sigma = [float(sigma), float(sigma)]
    if len(sigma) == 1:
        sigma = [sigma[0], sigma[0]]
    if len(sigma) != 2:
        raise ValueError(f"If sigma is a sequence, its length should be 2. Got {len(sigma)}")
    for s in sigma:
        if s <= 0.0:
            raise ValueError(f"sigma should have positive values. Got {sigma}")
    return kernel_size, sigma


def gaussian_blur(img, kernel_size, sigma=None):
    """Matches torchvision's gaussian_blur (PIL images go through a uint8 tensor and back)."""
    kernel_size, sigma = _blur_args(kernel_size, sigma)
    if isinstance(img, Tensor):
        return F_t.gaussian_blur(img, kernel_size, sigma)
    if not _is_pil_image(img):
        raise TypeError(f"img should be PIL Image or Tensor. Got {type(img)}")
    out = F_t.gaussian_blur(pil_to_tensor(img), kernel_size, sigma)
    return to_pil_image(out, mode=img.mode)
