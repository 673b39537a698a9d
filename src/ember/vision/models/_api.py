"""Pretrained weights for ember.vision.models: torchvision's weight enums, its file cache and its
legacy `pretrained=` argument.

A `Weights` entry names torchvision's published file. `get_state_dict` looks for it where torch
keeps it (`$TORCH_HOME/hub/checkpoints`, default `~/.cache/torch/hub/checkpoints`), downloads it
there atomically when missing (checking the SHA-256 prefix in its name), and reads it with
`ember.load`. Offline, the RuntimeError names the URL and the exact path to place the file at.
"""

import hashlib
import os
import re
import tempfile
import warnings
from dataclasses import dataclass, field
from enum import Enum

from ... import _dtype as D
from ... import serialization
from ..datasets._download import _fetch
from ..transforms import functional as TF

__all__ = ["Weights", "WeightsEnum", "ImageClassification", "load_state_dict_from_url"]

_HASH = re.compile(r"-([a-f0-9]*)\.")
IMAGENET_MEAN, IMAGENET_STD = (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)


def _hub_dir():
    default = os.path.join(os.environ.get("XDG_CACHE_HOME", os.path.join("~", ".cache")), "torch")
    return os.path.join(os.path.expanduser(os.environ.get("TORCH_HOME", default)), "hub")


def _download(url, dest, check_hash, progress):
    folder = os.path.dirname(dest)
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".partial-", dir=folder)
    try:
        with os.fdopen(fd, "wb") as out:
            _fetch(url, out)
        if check_hash:
            prefix = _HASH.search(os.path.basename(dest))
            digest = hashlib.sha256(open(tmp, "rb").read()).hexdigest()
            if prefix and not digest.startswith(prefix.group(1)):
                raise RuntimeError(f'invalid hash value (expected "{prefix.group(1)}", got '
                                   f'"{digest}") for {url}')
        os.replace(tmp, dest)
    except OSError as err:
        raise RuntimeError(
            f"ember could not download {url} ({err}). If this machine is offline, download the "
            f"file on another machine and place it at {dest} (torch's cache: set TORCH_HOME to "
            "use another folder), then run again.") from err
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def load_state_dict_from_url(url, model_dir=None, map_location=None, progress=True,
                             check_hash=False, file_name=None, weights_only=True):
    """Matches torch.hub.load_state_dict_from_url: the cached file, downloaded if missing."""
    model_dir = model_dir or os.path.join(_hub_dir(), "checkpoints")
    dest = os.path.join(model_dir, file_name or os.path.basename(url.split("?")[0]))
    if not os.path.exists(dest):
        _download(url, dest, check_hash, progress)
    return serialization.load(dest, map_location=map_location, weights_only=weights_only)


class ImageClassification:
    """torchvision's inference preset: resize, centre crop, to float in [0, 1], normalize."""

    def __init__(self, *, crop_size, resize_size=256, mean=IMAGENET_MEAN, std=IMAGENET_STD,
                 interpolation=TF.InterpolationMode.BILINEAR, antialias=True):
        self.crop_size, self.resize_size = [crop_size], [resize_size]
        self.mean, self.std = list(mean), list(std)
        self.interpolation, self.antialias = interpolation, antialias

    def __call__(self, img):
        img = TF.resize(img, self.resize_size, interpolation=self.interpolation,
                        antialias=self.antialias)
        img = TF.center_crop(img, self.crop_size)
        if not hasattr(img, "dtype"):
            img = TF.pil_to_tensor(img)
        img = TF.convert_image_dtype(img, D.float32)
        return TF.normalize(img, mean=self.mean, std=self.std)

    def __repr__(self):
        return (f"{self.__class__.__name__}(\n    crop_size={self.crop_size}\n    resize_size="
                f"{self.resize_size}\n    mean={self.mean}\n    std={self.std}\n    "
                f"interpolation={self.interpolation}\n)")


@dataclass(frozen=True)
class Weights:
    """One published weight file: its URL, its inference preset and its metadata."""
    url: str
    crop_size: int = 224
    resize_size: int = 256
    meta: dict = field(default_factory=lambda: {"num_classes": 1000}, hash=False, compare=False)

    def transforms(self):
        return ImageClassification(crop_size=self.crop_size, resize_size=self.resize_size)


class WeightsEnum(Enum):
    """Base of the per-architecture weight enums (ResNet18_Weights, ...), as torchvision's."""

    @classmethod
    def verify(cls, obj):
        if obj is None or isinstance(obj, cls):
            return obj
        if isinstance(obj, str):
            name = obj.replace(cls.__name__ + ".", "")
            if name not in cls.__members__:
                raise ValueError(f"Failed to find Weights {obj} in {cls.__name__}.")
            return cls.__members__[name]
        raise TypeError(f"Invalid Weight class provided; expected {cls.__name__} but received "
                        f"{obj.__class__.__name__}.")

    @property
    def url(self):
        return self.value.url

    @property
    def meta(self):
        return self.value.meta

    def transforms(self):
        return self.value.transforms()

    def get_state_dict(self, progress=True, check_hash=False):
        return load_state_dict_from_url(self.url, progress=progress, check_hash=check_hash)

    def __repr__(self):
        return f"{self.__class__.__name__}.{self._name_}"


def _resolve_weights(enum, legacy, weights, args, kwargs):
    """The weights member from `weights=` or the deprecated `pretrained=` (keyword or first
    positional argument), with torchvision's warnings; kwargs is cleaned in place."""
    if args:
        if len(args) > 1 or "pretrained" in kwargs:
            raise TypeError("too many positional arguments")
        kwargs["pretrained"] = args[0]
    if "pretrained" in kwargs:
        pretrained = kwargs.pop("pretrained")
        if weights is not None:
            raise ValueError("The parameter 'pretrained' cannot be used together with 'weights'.")
        warnings.warn("The parameter 'pretrained' is deprecated since 0.13 and may be removed in "
                      "the future, please use 'weights' instead.")
        if pretrained:
            warnings.warn("Arguments other than a weight enum or `None` for 'weights' are "
                          "deprecated since 0.13 and may be removed in the future. The current "
                          f"behavior is equivalent to passing `weights={legacy!r}`. You can also "
                          f"use `weights={enum.__name__}.DEFAULT` to get the most up-to-date "
                          "weights.")
        weights = legacy if pretrained else None
    weights = enum.verify(weights)
    if weights is not None:
        expected = weights.meta["num_classes"]
        if kwargs.get("num_classes", expected) != expected:
            raise ValueError(f"The parameter 'num_classes' expected value {expected} but got "
                             f"{kwargs['num_classes']} instead.")
        kwargs["num_classes"] = expected
    return weights


def _build(model_fn, enum, legacy, weights, progress, args, kwargs, remap=None):
    """Make the model; load the weight file into it when weights are asked for."""
    weights = _resolve_weights(enum, legacy, weights, args, kwargs)
    model = model_fn(**kwargs)
    if weights is not None:
        state = weights.get_state_dict(progress=progress, check_hash=True)
        model.load_state_dict(remap(state) if remap else state)
    return model


def _enum(name, **entries):
    """A WeightsEnum subclass `name` with one Weights per keyword; DEFAULT given as a name."""
    default = entries.pop("DEFAULT")
    members = dict(entries)
    members["DEFAULT"] = entries[default]
    return WeightsEnum(name, members)
