"""Argument checks and random parameter draws shared by the transform classes.

The draw helpers make torchvision's exact calls on ember's global generator (`rand(1)`,
`randint(0, n, size=(1,))`, `empty(1).uniform_(a, b)`), one call per draw, in its order.
"""

import math
import numbers
from collections.abc import Sequence

from ..._tensor import Tensor
from ...nn.modules.module import Module
from ...ops import creation as _creation
from ...ops import sampling as _sampling
from . import functional as F


def rand1():
    return _sampling.rand(1)


def randint(high):
    return _sampling.randint(0, high, size=(1,)).item()


def uniform(a, b):
    return _creation.empty(1).uniform_(a, b).item()


def log_ratio(ratio):
    return _creation.tensor(ratio).log()


def setup_size(size, error_msg):
    if isinstance(size, numbers.Number):
        return int(size), int(size)
    if isinstance(size, Sequence) and len(size) == 1:
        return size[0], size[0]
    if len(size) != 2:
        raise ValueError(error_msg)
    return size


SIZE_MSG = "Please provide only two dimensions (h, w) for size."


def check_sequence_input(x, name, req_sizes):
    msg = req_sizes[0] if len(req_sizes) < 2 else " or ".join([str(s) for s in req_sizes])
    if not isinstance(x, Sequence):
        raise TypeError(f"{name} should be a sequence of length {msg}.")
    if len(x) not in req_sizes:
        raise ValueError(f"{name} should be a sequence of length {msg}.")


def setup_angle(x, name, req_sizes=(2,)):
    if isinstance(x, numbers.Number):
        if x < 0:
            raise ValueError(f"If {name} is a single number, it must be positive.")
        x = [-x, x]
    else:
        check_sequence_input(x, name, req_sizes)
    return [float(d) for d in x]


def check_fill(fill):
    if fill is None:
        return 0
    if not isinstance(fill, (Sequence, numbers.Number)):
        raise TypeError("Fill should be either a sequence or a number.")
    return fill


def tensor_fill(fill, img):
    """A per-channel float list for tensor inputs, as torchvision passes to the functional."""
    if not isinstance(img, Tensor):
        return fill
    if isinstance(fill, (int, float)):
        return [float(fill)] * F.get_dimensions(img)[0]
    return [float(f) for f in fill]


def random_box(height, width, scale, ratio, accept):
    """Up to 10 tries of area ~ U(scale) * H * W and log-aspect ~ U(log ratio), torchvision's
    draws; returns (h, w) or None."""
    area = height * width
    bounds = log_ratio(ratio)
    for _ in range(10):
        target_area = area * uniform(scale[0], scale[1])
        aspect = _creation.empty(1).uniform_(bounds[0], bounds[1]).exp().item()
        w = int(round(math.sqrt(target_area * aspect)))
        h = int(round(math.sqrt(target_area / aspect)))
        if accept(h, w):
            return h, w
    return None


class RandomP(Module):
    """Base of the transforms applied with probability p: `rand(1) < p`."""

    def __init__(self, p=0.5):
        super().__init__()
        self.p = p

    def forward(self, img):
        return self._transform(img) if rand1() < self.p else img

    def __repr__(self):
        return f"{self.__class__.__name__}(p={self.p})"
