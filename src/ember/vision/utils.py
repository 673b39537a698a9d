"""make_grid and save_image with torchvision's layout: images tiled `nrow` per row, `padding`
pixels of `pad_value` around and between them, optional min-max normalization (over the batch,
per image with `scale_each`, or to a given `value_range`)."""

import math

from .. import _dtype
from .._compat import module_getattr as _module_getattr
from .._tensor import Tensor
from ..autograd.grad_mode import no_grad
from ..ops.shape import cat, stack

__all__ = ["make_grid", "save_image"]
__getattr__ = _module_getattr(__name__)


def _normalize_(img, low, high):
    img.clamp_(min=low, max=high)
    img.sub_(low).div_(max(high - low, 1e-5))


def _normalize_range_(t, value_range):
    if value_range is not None:
        _normalize_(t, value_range[0], value_range[1])
    else:
        _normalize_(t, float(t.min()), float(t.max()))


def _as_batch(tensor):
    """A (B, C, H, W) batch; one-channel images become three-channel."""
    if isinstance(tensor, list):
        tensor = stack(tensor, 0)
    if tensor.dim() == 2:
        tensor = tensor.unsqueeze(0)
    if tensor.dim() == 3:
        if tensor.size(0) == 1:
            tensor = cat((tensor, tensor, tensor), 0)
        tensor = tensor.unsqueeze(0)
    if tensor.dim() == 4 and tensor.size(1) == 1:
        tensor = cat((tensor, tensor, tensor), 1)
    return tensor


def make_grid(tensor, nrow=8, padding=2, normalize=False, value_range=None, scale_each=False,
              pad_value=0.0, **kwargs):
    """Matches torchvision.utils.make_grid."""
    if not (isinstance(tensor, Tensor) or (isinstance(tensor, list) and
                                           all(isinstance(t, Tensor) for t in tensor))):
        raise TypeError(f"tensor or list of tensors expected, got {type(tensor)}")
    if "range" in kwargs:
        value_range = kwargs["range"]
    with no_grad():
        tensor = _as_batch(tensor)
        if normalize is True:
            tensor = tensor.clone()
            if value_range is not None and not isinstance(value_range, tuple):
                raise AssertionError("value_range has to be a tuple (min, max) if specified. "
                                     "min and max are numbers")
            if scale_each is True:
                for t in tensor:
                    _normalize_range_(t, value_range)
            else:
                _normalize_range_(tensor, value_range)
        if tensor.size(0) == 1:
            return tensor.squeeze(0)
        count = tensor.size(0)
        xmaps = min(nrow, count)
        ymaps = int(math.ceil(float(count) / xmaps))
        height, width = int(tensor.size(2) + padding), int(tensor.size(3) + padding)
        grid = tensor.new_full((tensor.size(1), height * ymaps + padding,
                                width * xmaps + padding), pad_value)
        for k in range(count):
            y, x = divmod(k, xmaps)
            grid.narrow(1, y * height + padding, height - padding).narrow(
                2, x * width + padding, width - padding).copy_(tensor[k])
        return grid


def save_image(tensor, fp, format=None, **kwargs):
    """Matches torchvision.utils.save_image: make_grid, then values in [0, 1] to 8-bit and
    written with Pillow."""
    try:
        from PIL import Image
    except ImportError:
        raise ImportError("save_image writes with Pillow: pip install pillow") from None
    with no_grad():
        grid = make_grid(tensor, **kwargs)
        pixels = grid.mul(255).add_(0.5).clamp_(0, 255).permute(1, 2, 0).to("cpu",
                                                                            _dtype.uint8)
    Image.fromarray(pixels.numpy()).save(fp, format=format)
