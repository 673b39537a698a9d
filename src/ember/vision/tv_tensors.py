"""ember.vision.tv_tensors: the tensor subclasses torchvision's v2 transforms dispatch on.

ember has `Image` (what v2.ToImage returns) and the `TVTensor` base. As in torchvision, an
operation on a TVTensor returns a plain tensor (ember's ops build plain tensors), and the v2
transforms wrap their outputs back into the input's class. The other classes (BoundingBoxes,
Mask, Video, KeyPoints) are not implemented: naming one raises ember's "does not implement"
error.
"""

import numpy as np

from .._compat import module_getattr as _module_getattr
from .._tensor import Tensor, _as_subclass, _wrap

__all__ = ["TVTensor", "Image", "wrap"]


def _tensor(data, dtype=None, device=None, requires_grad=None):
    from ..ops.creation import tensor as make
    if isinstance(data, Tensor):
        out = data
        if dtype is not None or device is not None:
            out = out.to(device=device, dtype=dtype)
    elif isinstance(data, np.ndarray) and dtype is None and device is None:
        out = _wrap(data)
    else:
        out = make(data, dtype=dtype, device=device)
    if requires_grad is not None:
        out = out.detach().requires_grad_(requires_grad)
    return out


class TVTensor(Tensor):
    """Matches torchvision.tv_tensors.TVTensor: the base of the tensor classes v2 dispatches on."""

    __slots__ = ()

    @classmethod
    def _wrap(cls, tensor):
        return _as_subclass(tensor, cls)

    def as_subclass(self, cls):
        return _as_subclass(self, cls)

    def __repr__(self):
        # torch prints a subclass with its class name as the prefix, lines indented to match
        text = super().__repr__()
        name = type(self).__name__
        shift = len(name) - len("tensor")
        lines = text.split("\n")
        lines[0] = name + lines[0][len("tensor"):]
        pad = " " * max(shift, 0)
        rest = [pad + ln if shift >= 0 else ln[-shift:] for ln in lines[1:]]
        return "\n".join([lines[0]] + rest)


class Image(TVTensor):
    """Matches torchvision.tv_tensors.Image: a [..., C, H, W] tensor; 2-D data gains C=1."""

    __slots__ = ()

    def __new__(cls, data, *, dtype=None, device=None, requires_grad=None):
        t = _tensor(data, dtype, device, requires_grad)
        if t.ndim < 2:
            raise ValueError
        if t.ndim == 2:
            t = t.unsqueeze(0)
        return _as_subclass(t, cls)

    def __init__(self, *args, **kwargs):
        pass


def wrap(wrappee, *, like, **kwargs):
    """Matches torchvision.tv_tensors.wrap: `wrappee` as the class of `like`."""
    return _as_subclass(wrappee, type(like))


__getattr__ = _module_getattr(__name__)
