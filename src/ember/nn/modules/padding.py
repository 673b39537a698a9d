"""Padding layers (constant/zero, reflection, replication, circular; 1d/2d/3d) over
`_conv.pad`. Each class only fixes its mode and how many (lo, hi) pairs it takes."""

from .. import _conv
from .module import Module

__all__ = ["CircularPad1d", "CircularPad2d", "CircularPad3d", "ConstantPad1d", "ConstantPad2d",
           "ConstantPad3d", "ReflectionPad1d", "ReflectionPad2d", "ReflectionPad3d",
           "ReplicationPad1d", "ReplicationPad2d", "ReplicationPad3d", "ZeroPad1d", "ZeroPad2d",
           "ZeroPad3d"]


def _ntuple(v, n):
    return tuple(v) if isinstance(v, (tuple, list)) else (v,) * n


class _PadNd(Module):
    _mode = "constant"
    _n = 2

    def __init__(self, padding):
        super().__init__()
        self.padding = _ntuple(padding, self._n)

    def forward(self, input):
        return _conv.pad(input, self.padding, self._mode)

    def extra_repr(self):
        return f"{self.padding}"


class _CircularPadNd(_PadNd):
    _mode = "circular"

    def forward(self, input):
        k = self._n // 2
        if input.dim() not in (k + 1, k + 2):
            raise ValueError(f"expected {k + 1}D or {k + 2}D input (got {input.dim()}D input)")
        return _conv.pad(input, self.padding, "circular")


class _ConstantPadNd(_PadNd):
    def __init__(self, padding, value):
        super().__init__(padding)
        self.value = value

    def forward(self, input):
        return _conv.pad(input, self.padding, "constant", self.value)

    def extra_repr(self):
        return f"padding={self.padding}, value={self.value}"


class _ZeroPadNd(_ConstantPadNd):
    def __init__(self, padding):
        super().__init__(padding, 0.0)

    def extra_repr(self):
        return f"{self.padding}"


def _family(base, name):
    out = []
    for d, n in ((1, 2), (2, 4), (3, 6)):
        cls = type(f"{name}{d}d", (base,), {"_n": n, "__doc__": f"Matches torch.nn.{name}{d}d.",
                                              "__module__": __name__})
        out.append(cls)
    return out


CircularPad1d, CircularPad2d, CircularPad3d = _family(_CircularPadNd, "CircularPad")
ConstantPad1d, ConstantPad2d, ConstantPad3d = _family(_ConstantPadNd, "ConstantPad")
ZeroPad1d, ZeroPad2d, ZeroPad3d = _family(_ZeroPadNd, "ZeroPad")
ReflectionPad1d, ReflectionPad2d, ReflectionPad3d = _family(
    type("_ReflectionPadNd", (_PadNd,), {"_mode": "reflect", "__module__": __name__}),
    "ReflectionPad")
ReplicationPad1d, ReplicationPad2d, ReplicationPad3d = _family(
    type("_ReplicationPadNd", (_PadNd,), {"_mode": "replicate", "__module__": __name__}),
    "ReplicationPad")
