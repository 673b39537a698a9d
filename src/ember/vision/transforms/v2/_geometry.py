"""v2's geometric transforms: flips, Resize, CenterCrop, RandomCrop, RandomResizedCrop, Pad,
RandomRotation. Each draws what torchvision's v2 draws, in its order (RandomResizedCrop and
RandomRotation draw as v1 does; RandomCrop draws a top/left only along an axis it crops, with
randint(..., size=()), where v1 always draws both)."""

import math
import numbers
import warnings
from collections.abc import Sequence

from ....ops import creation as _creation
from ....ops import sampling as _sampling
from .. import functional as F
from .._params import SIZE_MSG, check_sequence_input, setup_angle, setup_size, tensor_fill
from ..functional import InterpolationMode, _interpolation_modes_from_int
from ._transform import Transform, _RandomApplyTransform, call_kernel, query_size

__all__ = ["RandomHorizontalFlip", "RandomVerticalFlip", "Resize", "CenterCrop", "RandomCrop",
           "RandomResizedCrop", "Pad", "RandomRotation"]


def check_interpolation(interpolation):
    if isinstance(interpolation, int):
        return _interpolation_modes_from_int(interpolation)
    if not isinstance(interpolation, InterpolationMode):
        raise ValueError("Argument interpolation should be an `InterpolationMode` or a "
                         f"corresponding Pillow integer constant, but got {interpolation}.")
    return interpolation


def setup_fill(fill):
    if isinstance(fill, dict):
        return dict(fill)
    if fill is not None and not isinstance(fill, (numbers.Number, tuple, list)):
        raise TypeError("Got inappropriate fill arg, only Numbers, tuples, lists and dicts are "
                        "allowed.")
    return fill


def get_fill(fill, inpt):
    if isinstance(fill, dict):
        for cls in type(inpt).__mro__:
            if cls in fill:
                return fill[cls]
        return fill.get("others")
    return fill


def check_padding(padding):
    if not isinstance(padding, (numbers.Number, tuple, list)):
        raise TypeError("Got inappropriate padding arg")
    if isinstance(padding, (tuple, list)) and len(padding) not in (1, 2, 4):
        raise ValueError("Padding must be an int or a 1, 2, or 4 element tuple, not a "
                         f"{len(padding)} element tuple")


def check_padding_mode(padding_mode):
    if padding_mode not in ("constant", "edge", "reflect", "symmetric"):
        raise ValueError("Padding mode should be either constant, edge, reflect or symmetric")


class RandomHorizontalFlip(_RandomApplyTransform):
    """Matches torchvision.transforms.v2.RandomHorizontalFlip."""

    def transform(self, inpt, params):
        return call_kernel(F.hflip, inpt)


class RandomVerticalFlip(_RandomApplyTransform):
    """Matches torchvision.transforms.v2.RandomVerticalFlip."""

    def transform(self, inpt, params):
        return call_kernel(F.vflip, inpt)


class Resize(Transform):
    """Matches torchvision.transforms.v2.Resize (antialias=True by default)."""

    def __init__(self, size, interpolation=InterpolationMode.BILINEAR, max_size=None,
                 antialias=True):
        super().__init__()
        if isinstance(size, int):
            size = [size]
        elif isinstance(size, (list, tuple)) and len(size) in (1, 2):
            size = list(size)
        else:
            raise ValueError("size can either be an integer or a list or tuple of one or two "
                             f"integers, but got {size} instead.")
        self.size = size
        self.interpolation = check_interpolation(interpolation)
        self.max_size = max_size
        self.antialias = antialias

    def transform(self, inpt, params):
        size = self.size[0] if len(self.size) == 1 else self.size
        return call_kernel(F.resize, inpt, size, interpolation=self.interpolation,
                           max_size=self.max_size, antialias=self.antialias)


class CenterCrop(Transform):
    """Matches torchvision.transforms.v2.CenterCrop."""

    def __init__(self, size):
        super().__init__()
        self.size = setup_size(size, SIZE_MSG)

    def transform(self, inpt, params):
        return call_kernel(F.center_crop, inpt, list(self.size))


def _parse_padding(padding):
    """left, right, top, bottom (torchvision v2's RandomCrop.padding order)."""
    if isinstance(padding, int):
        return [padding] * 4
    padding = list(padding)
    if len(padding) == 1:
        return padding * 4
    if len(padding) == 2:
        return [padding[0], padding[0], padding[1], padding[1]]
    return [padding[0], padding[2], padding[1], padding[3]]


class RandomCrop(Transform):
    """Matches torchvision.transforms.v2.RandomCrop."""

    def __init__(self, size, padding=None, pad_if_needed=False, fill=0,
                 padding_mode="constant"):
        super().__init__()
        self.size = setup_size(size, SIZE_MSG)
        if pad_if_needed or padding is not None:
            if padding is not None:
                check_padding(padding)
            check_padding_mode(padding_mode)
        self.padding = _parse_padding(padding) if padding else None
        self.pad_if_needed = pad_if_needed
        self.fill = fill
        self._fill = setup_fill(fill)
        self.padding_mode = padding_mode

    def make_params(self, flat_inputs):
        padded_h, padded_w = query_size(flat_inputs)
        if self.padding is not None:
            pad_left, pad_right, pad_top, pad_bottom = self.padding
            padded_h += pad_top + pad_bottom
            padded_w += pad_left + pad_right
        else:
            pad_left = pad_right = pad_top = pad_bottom = 0
        crop_h, crop_w = self.size
        if self.pad_if_needed:
            if padded_h < crop_h:
                diff = crop_h - padded_h
                pad_top, pad_bottom = pad_top + diff, pad_bottom + diff
                padded_h += 2 * diff
            if padded_w < crop_w:
                diff = crop_w - padded_w
                pad_left, pad_right = pad_left + diff, pad_right + diff
                padded_w += 2 * diff
        if padded_h < crop_h or padded_w < crop_w:
            padded = "padded " if self.padding is not None else ""
            raise ValueError(f"Required crop size {(crop_h, crop_w)} is larger than {padded}input "
                             f"image size {(padded_h, padded_w)}.")
        padding = [pad_left, pad_top, pad_right, pad_bottom]
        top = left = 0
        if padded_h > crop_h:
            top = int(_sampling.randint(0, padded_h - crop_h + 1, size=()))
        if padded_w > crop_w:
            left = int(_sampling.randint(0, padded_w - crop_w + 1, size=()))
        return {"needs_crop": padded_h > crop_h or padded_w > crop_w, "top": top, "left": left,
                "height": crop_h, "width": crop_w, "needs_pad": any(padding), "padding": padding}

    def transform(self, inpt, params):
        if params["needs_pad"]:
            fill = get_fill(self._fill, inpt)
            inpt = call_kernel(F.pad, inpt, params["padding"], 0 if fill is None else fill,
                               self.padding_mode)
        if params["needs_crop"]:
            inpt = call_kernel(F.crop, inpt, params["top"], params["left"], params["height"],
                               params["width"])
        return inpt


class RandomResizedCrop(Transform):
    """Matches torchvision.transforms.v2.RandomResizedCrop (v1's draws)."""

    def __init__(self, size, scale=(0.08, 1.0), ratio=(3.0 / 4.0, 4.0 / 3.0),
                 interpolation=InterpolationMode.BILINEAR, antialias=True):
        super().__init__()
        self.size = setup_size(size, SIZE_MSG)
        if not isinstance(scale, Sequence):
            raise TypeError("Scale should be a sequence")
        if not isinstance(ratio, Sequence):
            raise TypeError("Ratio should be a sequence")
        if scale[0] > scale[1] or ratio[0] > ratio[1]:
            warnings.warn("Scale and ratio should be of kind (min, max)")
        self.scale = scale
        self.ratio = ratio
        self.interpolation = check_interpolation(interpolation)
        self.antialias = antialias
        self._log_ratio = _creation.tensor(self.ratio).log()

    def make_params(self, flat_inputs):
        height, width = query_size(flat_inputs)
        area = height * width
        lo, hi = self._log_ratio[0], self._log_ratio[1]
        for _ in range(10):
            target_area = area * _creation.empty(1).uniform_(self.scale[0], self.scale[1]).item()
            aspect = _creation.empty(1).uniform_(lo.item(), hi.item()).exp().item()
            w = int(round(math.sqrt(target_area * aspect)))
            h = int(round(math.sqrt(target_area / aspect)))
            if 0 < w <= width and 0 < h <= height:
                i = _sampling.randint(0, height - h + 1, size=(1,)).item()
                j = _sampling.randint(0, width - w + 1, size=(1,)).item()
                return {"top": i, "left": j, "height": h, "width": w}
        in_ratio = float(width) / float(height)
        if in_ratio < min(self.ratio):
            w, h = width, int(round(width / min(self.ratio)))
        elif in_ratio > max(self.ratio):
            h, w = height, int(round(height * max(self.ratio)))
        else:
            w, h = width, height
        return {"top": (height - h) // 2, "left": (width - w) // 2, "height": h, "width": w}

    def transform(self, inpt, params):
        return call_kernel(F.resized_crop, inpt, params["top"], params["left"], params["height"],
                           params["width"], list(self.size), self.interpolation,
                           antialias=self.antialias)


class Pad(Transform):
    """Matches torchvision.transforms.v2.Pad."""

    def __init__(self, padding, fill=0, padding_mode="constant"):
        super().__init__()
        check_padding(padding)
        check_padding_mode(padding_mode)
        self.padding = list(padding) if isinstance(padding, tuple) else padding
        self.fill = fill
        self._fill = setup_fill(fill)
        self.padding_mode = padding_mode

    def transform(self, inpt, params):
        fill = get_fill(self._fill, inpt)
        return call_kernel(F.pad, inpt, self.padding, 0 if fill is None else fill,
                           self.padding_mode)


class RandomRotation(Transform):
    """Matches torchvision.transforms.v2.RandomRotation (v1's draw)."""

    def __init__(self, degrees, interpolation=InterpolationMode.NEAREST, expand=False,
                 center=None, fill=0):
        super().__init__()
        self.degrees = setup_angle(degrees, name="degrees", req_sizes=(2,))
        self.interpolation = check_interpolation(interpolation)
        self.expand = expand
        self.fill = fill
        self._fill = setup_fill(fill)
        if center is not None:
            check_sequence_input(center, "center", req_sizes=(2,))
        self.center = center

    def make_params(self, flat_inputs):
        angle = _creation.empty(1).uniform_(self.degrees[0], self.degrees[1]).item()
        return {"angle": angle}

    def transform(self, inpt, params):
        fill = get_fill(self._fill, inpt)
        fill = tensor_fill(0 if fill is None else fill, inpt)
        return call_kernel(F.rotate, inpt, params["angle"], self.interpolation, self.expand,
                           self.center, fill)
