"""v2's colour, misc, container and type-conversion transforms.

Random draws, as torchvision's v2 makes them: ColorJitter (randperm(4), then one
empty(1).uniform_ per factor set) and GaussianBlur (one uniform_) as v1; RandomApply one
rand(1) (skip when >= p); RandomChoice torch.multinomial over p and RandomOrder torch.randperm,
where v1 uses Python's `random`.
"""

import warnings
from collections.abc import Sequence

import numpy as np

from .... import _dtype as D
from ...._tensor import Tensor
from ....nn.modules.container import ModuleList
from ....ops import creation as _creation
from ....ops import sampling as _sampling
from ... import tv_tensors
from .. import functional as F1
from .._params import setup_size
from . import functional as F
from ._transform import (
    Transform,
    _is_pil,
    _RandomApplyTransform,
    call_kernel,
    has_any,
    is_pure_tensor,
)

__all__ = ["ColorJitter", "Grayscale", "RandomGrayscale", "Normalize", "GaussianBlur", "Lambda",
           "ToDtype", "Compose", "RandomApply", "RandomChoice", "RandomOrder", "ToImage",
           "ToPureTensor", "PILToTensor", "ToPILImage", "ToTensor"]


def _listing(transforms):
    return "\n".join(f"    {t}" for t in transforms)


class ColorJitter(Transform):
    """Matches torchvision.transforms.v2.ColorJitter."""

    def __init__(self, brightness=None, contrast=None, saturation=None, hue=None):
        super().__init__()
        self.brightness = self._check_input(brightness, "brightness")
        self.contrast = self._check_input(contrast, "contrast")
        self.saturation = self._check_input(saturation, "saturation")
        self.hue = self._check_input(hue, "hue", center=0, bound=(-0.5, 0.5),
                                     clip_first_on_zero=False)

    def _check_input(self, value, name, center=1.0, bound=(0, float("inf")),
                     clip_first_on_zero=True):
        if value is None:
            return None
        if isinstance(value, (int, float)):
            if value < 0:
                raise ValueError(f"If {name} is a single number, it must be non negative.")
            value = [center - value, center + value]
            if clip_first_on_zero:
                value[0] = max(value[0], 0.0)
        elif isinstance(value, Sequence) and len(value) == 2:
            value = [float(v) for v in value]
        else:
            raise TypeError(f"{name}={value} should be a single number or a sequence with "
                            "length 2.")
        if not bound[0] <= value[0] <= value[1] <= bound[1]:
            raise ValueError(f"{name} values should be between {bound}, but got {value}.")
        return None if value[0] == value[1] == center else (float(value[0]), float(value[1]))

    @staticmethod
    def _draw(lo, hi):
        return _creation.empty(1).uniform_(lo, hi).item()

    def make_params(self, flat_inputs):
        fn_idx = _sampling.randperm(4)
        b = None if self.brightness is None else self._draw(*self.brightness)
        c = None if self.contrast is None else self._draw(*self.contrast)
        s = None if self.saturation is None else self._draw(*self.saturation)
        h = None if self.hue is None else self._draw(*self.hue)
        return {"fn_idx": fn_idx, "factors": (b, c, s, h)}

    def transform(self, inpt, params):
        ops = (F1.adjust_brightness, F1.adjust_contrast, F1.adjust_saturation, F1.adjust_hue)
        for fn_id in params["fn_idx"].tolist():
            factor = params["factors"][fn_id]
            if factor is not None:
                inpt = call_kernel(ops[fn_id], inpt, factor)
        return inpt


class Grayscale(Transform):
    """Matches torchvision.transforms.v2.Grayscale."""

    def __init__(self, num_output_channels=1):
        super().__init__()
        self.num_output_channels = num_output_channels

    def transform(self, inpt, params):
        return F.rgb_to_grayscale(inpt, num_output_channels=self.num_output_channels)


class RandomGrayscale(_RandomApplyTransform):
    """Matches torchvision.transforms.v2.RandomGrayscale: gray, keeping the channel count."""

    def __init__(self, p=0.1):
        super().__init__(p=p)

    def make_params(self, flat_inputs):
        for x in flat_inputs:
            if _is_pil(x):
                return {"channels": len(x.getbands())}
            if isinstance(x, Tensor):
                return {"channels": int(x.shape[-3])}
        raise TypeError("No image or video was found in the sample")

    def transform(self, inpt, params):
        return F.rgb_to_grayscale(inpt, num_output_channels=params["channels"])


class Normalize(Transform):
    """Matches torchvision.transforms.v2.Normalize (tensors only, as v2's)."""

    def __init__(self, mean, std, inplace=False):
        super().__init__()
        self.mean = list(mean)
        self.std = list(std)
        self.inplace = inplace

    def check_inputs(self, flat_inputs):
        if has_any(flat_inputs, "pil"):
            raise TypeError(f"{type(self).__name__}() does not support PIL images.")

    def transform(self, inpt, params):
        return call_kernel(F1.normalize, inpt, self.mean, self.std, self.inplace)


class GaussianBlur(Transform):
    """Matches torchvision.transforms.v2.GaussianBlur: sigma ~ U(sigma) once per call."""

    def __init__(self, kernel_size, sigma=(0.1, 2.0)):
        super().__init__()
        self.kernel_size = setup_size(kernel_size,
                                      "Kernel size should be a tuple/list of two integers")
        for ks in self.kernel_size:
            if ks <= 0 or ks % 2 == 0:
                raise ValueError("Kernel size value should be an odd and positive number.")
        if isinstance(sigma, (int, float)):
            if sigma <= 0:
                raise ValueError("If sigma is a single number, it must be positive.")
            sigma = float(sigma)
        elif isinstance(sigma, Sequence) and len(sigma) == 2:
            if not 0.0 < sigma[0] <= sigma[1]:
                raise ValueError("sigma values should be positive and of the form (min, max).")
        else:
            raise TypeError("sigma should be a single int or float or a list/tuple with "
                            "length 2 floats.")
        self.sigma = sigma if isinstance(sigma, Sequence) else (sigma, sigma)

    def make_params(self, flat_inputs):
        s = _creation.empty(1).uniform_(self.sigma[0], self.sigma[1]).item()
        return {"sigma": [s, s]}

    def transform(self, inpt, params):
        return call_kernel(F1.gaussian_blur, inpt, list(self.kernel_size), params["sigma"])


class Lambda(Transform):
    """Matches torchvision.transforms.v2.Lambda(lambd, *types)."""

    _transformed_types = (object,)

    def __init__(self, lambd, *types):
        super().__init__()
        if not callable(lambd):
            raise TypeError(f"Argument lambd should be callable, got {repr(type(lambd).__name__)}")
        self.lambd = lambd
        self.types = types or self._transformed_types

    def transform(self, inpt, params):
        return self.lambd(inpt) if isinstance(inpt, self.types) else inpt

    def extra_repr(self):
        parts = []
        name = getattr(self.lambd, "__name__", None)
        if name:
            parts.append(name)
        parts.append(f"types={[t.__name__ for t in self.types]}")
        return ", ".join(parts)


class ToDtype(Transform):
    """Matches torchvision.transforms.v2.ToDtype: one dtype for images (and the first plain
    tensor), or a dict from input class to dtype."""

    _transformed_types = (Tensor,)

    def __init__(self, dtype, scale=False):
        super().__init__()
        if not isinstance(dtype, (dict, D.dtype)):
            raise ValueError(f"dtype must be a dict or a torch.dtype, got {type(dtype)} instead")
        self.dtype = dtype
        self.scale = scale

    def transform(self, inpt, params):
        if isinstance(self.dtype, D.dtype):
            if not is_pure_tensor(inpt) and not isinstance(inpt, tv_tensors.Image):
                return inpt
            dtype = self.dtype
        elif type(inpt) in self.dtype:
            dtype = self.dtype[type(inpt)]
        elif "others" in self.dtype:
            dtype = self.dtype["others"]
        else:
            raise ValueError(f"No dtype was specified for type {type(inpt)}. If you only need to "
                             "convert the dtype of images or videos, you can just pass e.g. "
                             "dtype=torch.float32. If you're passing a dict as dtype, you can use "
                             "\"others\" as a catch-all key e.g. dtype={tv_tensors.Mask: "
                             "torch.int64, \"others\": None} to pass-through the rest of the "
                             "inputs.")
        if dtype is None:
            return inpt
        return F.to_dtype(inpt, dtype=dtype, scale=self.scale)

    def extra_repr(self):
        return f"dtype={self.dtype}, scale={self.scale}"


class Compose(Transform):
    """Matches torchvision.transforms.v2.Compose."""

    def __init__(self, transforms):
        super().__init__()
        if not isinstance(transforms, Sequence):
            raise TypeError("Argument transforms should be a sequence of callables")
        if not transforms:
            raise ValueError("Pass at least one transform")
        self.transforms = transforms

    def forward(self, *inputs):
        needs_unpacking = len(inputs) > 1
        for transform in self.transforms:
            outputs = transform(*inputs)
            inputs = outputs if needs_unpacking else (outputs,)
        return outputs

    def extra_repr(self):
        return _listing(self.transforms)


class RandomApply(Transform):
    """Matches torchvision.transforms.v2.RandomApply: all the transforms, with probability p."""

    def __init__(self, transforms, p=0.5):
        super().__init__()
        if not isinstance(transforms, (Sequence, ModuleList)):
            raise TypeError("Argument transforms should be a sequence of callables or a "
                            "`nn.ModuleList`")
        self.transforms = transforms
        if not 0.0 <= p <= 1.0:
            raise ValueError("`p` should be a floating point value in the interval [0.0, 1.0].")
        self.p = p

    def forward(self, *inputs):
        sample = inputs if len(inputs) > 1 else inputs[0]
        if bool(_sampling.rand(1) >= self.p):
            return sample
        for transform in self.transforms:
            sample = transform(sample)
        return sample

    def extra_repr(self):
        return _listing(self.transforms)


class RandomChoice(Transform):
    """Matches torchvision.transforms.v2.RandomChoice: one transform, by torch.multinomial."""

    def __init__(self, transforms, p=None):
        if not isinstance(transforms, Sequence):
            raise TypeError("Argument transforms should be a sequence of callables")
        if p is None:
            p = [1] * len(transforms)
        elif len(p) != len(transforms):
            raise ValueError(f"Length of p doesn't match the number of transforms: {len(p)} != "
                             f"{len(transforms)}")
        super().__init__()
        self.transforms = transforms
        total = sum(p)
        self.p = [prob / total for prob in p]

    def forward(self, *inputs):
        idx = int(_sampling.multinomial(_creation.tensor(self.p), 1))
        return self.transforms[idx](*inputs)


class RandomOrder(Transform):
    """Matches torchvision.transforms.v2.RandomOrder: the transforms in torch.randperm order."""

    def __init__(self, transforms):
        if not isinstance(transforms, Sequence):
            raise TypeError("Argument transforms should be a sequence of callables")
        super().__init__()
        self.transforms = transforms

    def forward(self, *inputs):
        sample = inputs if len(inputs) > 1 else inputs[0]
        for idx in _sampling.randperm(len(self.transforms)).tolist():
            sample = self.transforms[idx](sample)
        return sample


class ToImage(Transform):
    """Matches torchvision.transforms.v2.ToImage: PIL / ndarray / tensor -> tv_tensors.Image."""

    _transformed_types = (is_pure_tensor, "pil", np.ndarray)

    def transform(self, inpt, params):
        return F.to_image(inpt)


class ToPureTensor(Transform):
    """Matches torchvision.transforms.v2.ToPureTensor: tv_tensors become plain tensors."""

    _transformed_types = (tv_tensors.TVTensor,)

    def transform(self, inpt, params):
        return inpt.as_subclass(Tensor)


class PILToTensor(Transform):
    """Matches torchvision.transforms.v2.PILToTensor: a plain uint8 CHW tensor."""

    _transformed_types = ("pil",)

    def transform(self, inpt, params):
        return F1.pil_to_tensor(inpt)


class ToPILImage(Transform):
    """Matches torchvision.transforms.v2.ToPILImage."""

    _transformed_types = (is_pure_tensor, tv_tensors.Image, np.ndarray)

    def __init__(self, mode=None):
        super().__init__()
        self.mode = mode

    def transform(self, inpt, params):
        if isinstance(inpt, tv_tensors.TVTensor):
            inpt = inpt.as_subclass(Tensor)
        return F1.to_pil_image(inpt, mode=self.mode)


class ToTensor(Transform):
    """Matches torchvision.transforms.v2.ToTensor (deprecated in v2, with its warning)."""

    _transformed_types = ("pil", np.ndarray)

    def __init__(self):
        warnings.warn("The transform `ToTensor()` is deprecated and will be removed in a future "
                      "release. Instead, please use `v2.Compose([v2.ToImage(), "
                      "v2.ToDtype(torch.float32, scale=True)])`.Output is equivalent up to float "
                      "precision.", UserWarning, stacklevel=2)
        super().__init__()

    def transform(self, inpt, params):
        return F1.to_tensor(inpt)
