"""torch.finfo and torch.iinfo: the numeric limits of a floating point or an integer dtype.

Values are Python floats (finfo) and ints (iinfo), as torch's; `dtype` is the dtype's name (a
str). finfo of a complex dtype describes its real part. bfloat16's limits are computed from its
format (8 exponent bits, 7 mantissa bits), so they need no ml_dtypes. Both are immutable values
compared field by field, unhashable as torch's.
"""

import math

import numpy as np

from . import _dtype as D

__all__ = ["finfo", "iinfo"]


def _kind_name(v):
    return "torch.dtype" if isinstance(v, D.dtype) else type(v).__name__


def _parse(api, args, kwargs, optional):
    """torch's reading of `api(type)` (and, for finfo, of `api()`)."""
    if len(args) == 1 and not kwargs:
        dt = args[0]
        if not isinstance(dt, D.dtype):
            raise TypeError(f"{api}(): argument 'type' (position 1) must be torch.dtype, not "
                            f"{_kind_name(dt)}")
        return dt
    if not args and list(kwargs) == ["type"]:
        dt = kwargs["type"]
        if not isinstance(dt, D.dtype):
            raise TypeError(f"{api}(): argument 'type' must be torch.dtype, not "
                            f"{_kind_name(dt)}")
        return dt
    if not args and not kwargs and optional:
        return D.get_default_dtype()
    if optional and args or len(args) > 1 or (args and kwargs):
        if not optional:
            if "type" in kwargs and args:
                raise TypeError(f"{api}() got multiple values for argument 'type'")
            raise TypeError(f"{api}() takes 1 positional argument but {len(args)} were given")
        got = ", ".join([_kind_name(a) for a in args] +
                        [f"{k}={_kind_name(v)}" for k, v in kwargs.items()])
        raise TypeError(f"{api}() received an invalid combination of arguments - got ({got}), "
                        f"but expected one of:\n * (torch.dtype type)\n * ()\n")
    raise TypeError(f'{api}() missing 1 required positional arguments: "type"')


class _Info:
    __slots__ = ()
    _api = ""

    def __setattr__(self, name, value):
        if name in type(self).__slots__:
            raise AttributeError(f"attribute '{name}' of 'torch.{self._api}' objects is not "
                                 "writable")
        raise AttributeError(f"'torch.{self._api}' object has no attribute '{name}'")

    __delattr__ = __setattr__

    def __getattr__(self, name):  # only reached when the attribute does not exist
        raise AttributeError(f"'torch.{self._api}' object has no attribute '{name}'")

    def __eq__(self, other):
        if type(other) is not type(self):
            return False
        return all(getattr(self, n) == getattr(other, n) for n in type(self).__slots__)

    def __ne__(self, other):
        return not self == other

    def __hash__(self):  # unhashable, with the type name torch's message shows
        raise TypeError(f"unhashable type: 'torch.{self._api}'")

    def __str__(self):
        return self.__repr__()


def _float_limits(d):
    """(bits, eps, max, tiny) of a real floating point dtype, as Python numbers."""
    if d is D.bfloat16:  # 1 sign, 8 exponent and 7 mantissa bits
        return 16, 2.0 ** -7, (2.0 - 2.0 ** -7) * 2.0 ** 127, 2.0 ** -126
    info = np.finfo(d.np)
    return info.bits, float(info.eps), float(info.max), float(info.tiny)


class finfo(_Info):
    """Matches torch.finfo(type=None): the limits of a floating point (or complex) dtype."""

    __slots__ = ("bits", "eps", "max", "min", "tiny", "smallest_normal", "resolution", "dtype")
    _api = "finfo"

    def __new__(cls, *args, **kwargs):
        dt = _parse("finfo", args, kwargs, optional=True)
        if not (dt.is_floating_point or dt.is_complex):
            raise TypeError("torch.finfo() requires a floating point input type. Use torch.iinfo "
                            "to handle 'torch.finfo'")
        real = dt.to_real()
        bits, eps, hi, tiny = _float_limits(real)
        self = object.__new__(cls)
        put = object.__setattr__
        for name, value in (("bits", bits), ("eps", eps), ("max", hi), ("min", -hi),
                            ("tiny", tiny), ("smallest_normal", tiny),
                            ("resolution", 10.0 ** -int(-math.log10(eps))),
                            ("dtype", real.name)):
            put(self, name, value)
        return self

    def __repr__(self):
        return (f"finfo(resolution={self.resolution:g}, min={self.min:g}, max={self.max:g}, "
                f"eps={self.eps:g}, smallest_normal={self.smallest_normal:g}, "
                f"tiny={self.tiny:g}, dtype={self.dtype})")


class iinfo(_Info):
    """Matches torch.iinfo(type): the limits of an integer dtype."""

    __slots__ = ("bits", "min", "max", "dtype")
    _api = "iinfo"

    def __new__(cls, *args, **kwargs):
        dt = _parse("iinfo", args, kwargs, optional=False)
        if dt is D.bool_:
            raise TypeError("torch.bool is not supported by torch.iinfo")
        if dt.is_floating_point or dt.is_complex:
            raise TypeError("torch.iinfo() requires an integer input type. Use torch.finfo to "
                            "handle 'torch.iinfo'")
        info = np.iinfo(dt.np)
        self = object.__new__(cls)
        for name, value in (("bits", int(info.bits)), ("min", int(info.min)),
                            ("max", int(info.max)), ("dtype", dt.name)):
            object.__setattr__(self, name, value)
        return self

    def __repr__(self):
        return f"iinfo(min={self.min:g}, max={self.max:g}, dtype={self.dtype})"

