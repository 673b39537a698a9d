"""ember.vision.transforms.v2.functional: v1's functionals (on PIL images and tensors) under
v2's names, plus v2's own: to_image, to_dtype, to_pure_tensor, horizontal_flip, ...

A functional applied to a tv_tensors.Image returns an Image, as v2's kernels do.
"""

import numpy as np

from .... import _dtype as D
from ...._tensor import Tensor, _wrap
from ... import tv_tensors
from .. import functional as _v1
from ..functional import *  # noqa: F401,F403
from ..functional import InterpolationMode  # noqa: F401
from ._transform import _is_pil, call_kernel

_MAX = {"uint8": 255, "int8": 127, "int16": 32767, "int32": 2 ** 31 - 1, "int64": 2 ** 63 - 1}
_BITS = {"uint8": 8, "int8": 7, "int16": 15, "int32": 31, "int64": 63}


def _name(dtype):
    return str(dtype).rpartition(".")[2]


def to_image(inpt):
    """Matches torchvision.transforms.v2.functional.to_image: a tv_tensors.Image."""
    if isinstance(inpt, np.ndarray):
        arr = np.atleast_3d(inpt)
        out = _wrap(np.ascontiguousarray(arr.transpose(2, 0, 1)))
    elif _is_pil(inpt):
        out = _v1.pil_to_tensor(inpt)
    elif isinstance(inpt, Tensor):
        out = inpt
    else:
        raise TypeError("Input can either be a pure Tensor, a numpy array, or a PIL image, but "
                        f"got {type(inpt)} instead.")
    return tv_tensors.Image(out)


def to_pure_tensor(inpt):
    return inpt.as_subclass(Tensor) if isinstance(inpt, tv_tensors.TVTensor) else inpt


def _to_dtype_image(image, dtype=D.float32, scale=False):
    if image.dtype == dtype:
        return image
    if not scale:
        return image.to(dtype)
    float_in, float_out = image.is_floating_point(), dtype.is_floating_point
    if float_in:
        if float_out:
            return image.to(dtype)
        if (image.dtype == D.float32 and _name(dtype) in ("int32", "int64")) or (
                image.dtype == D.float64 and _name(dtype) == "int64"):
            raise RuntimeError(f"The conversion from {image.dtype} to {dtype} cannot be "
                               "performed safely.")
        # just above the largest integer, so that 1.0 maps to the maximum and the rest truncate
        return image.mul(float(_MAX[_name(dtype)]) + 1.0 - 1e-3).to(dtype)
    if float_out:
        return image.to(dtype).mul_(1.0 / _MAX[_name(image.dtype)])
    bits_in, bits_out = _BITS[_name(image.dtype)], _BITS[_name(dtype)]
    if bits_in > bits_out:
        return image.bitwise_right_shift(bits_in - bits_out).to(dtype)
    return image.to(dtype).bitwise_left_shift_(bits_out - bits_in)


def to_dtype(inpt, dtype=D.float32, scale=False):
    """Matches torchvision.transforms.v2.functional.to_dtype."""
    return call_kernel(_to_dtype_image, inpt, dtype, scale)


def _gray(image, num_output_channels=1):
    """v2's tensor kernel: 0.2989 R + 0.587 G + 0.114 B in float, cast back (truncating)."""
    if image.shape[-3] == 1:
        return image.clone() if num_output_channels == 1 else image.repeat(
            *([1] * (image.dim() - 3) + [3, 1, 1]))
    r, g, b = image.unbind(dim=-3)
    lum = r.mul(0.2989).add_(g, alpha=0.587).add_(b, alpha=0.114).unsqueeze(dim=-3)
    lum = lum.to(image.dtype)
    return lum.expand(image.shape) if num_output_channels == 3 else lum


def rgb_to_grayscale(inpt, num_output_channels=1):
    """Matches torchvision.transforms.v2.functional.rgb_to_grayscale."""
    if num_output_channels not in (1, 3):
        raise ValueError(f"num_output_channels must be 1 or 3, got {num_output_channels}.")
    if _is_pil(inpt):
        return _v1.rgb_to_grayscale(inpt, num_output_channels)
    return call_kernel(_gray, inpt, num_output_channels)


to_grayscale = rgb_to_grayscale


def horizontal_flip(inpt):
    return call_kernel(_v1.hflip, inpt)


def vertical_flip(inpt):
    return call_kernel(_v1.vflip, inpt)


def get_size(inpt):
    """[height, width], as v2's get_size."""
    if _is_pil(inpt):
        return [inpt.height, inpt.width]
    return [int(inpt.shape[-2]), int(inpt.shape[-1])]


def _keeping_class(fn):
    """v1's functional `fn`, returning a tv_tensors.Image for an Image input (v2's kernels)."""

    def kernel(inpt, *args, **kwargs):
        return call_kernel(fn, inpt, *args, **kwargs)

    kernel.__name__ = kernel.__qualname__ = fn.__name__
    kernel.__doc__ = fn.__doc__
    return kernel


for _name_ in ("resize", "crop", "center_crop", "resized_crop", "pad", "hflip", "vflip",
               "rotate", "affine", "perspective", "normalize", "gaussian_blur", "erase",
               "adjust_brightness", "adjust_contrast", "adjust_saturation", "adjust_hue",
               "adjust_gamma", "adjust_sharpness", "invert", "posterize", "solarize",
               "autocontrast", "equalize", "five_crop", "ten_crop"):
    globals()[_name_] = _keeping_class(getattr(_v1, _name_))
del _name_
