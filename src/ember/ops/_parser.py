"""torch's Python argument parser (python_arg_parser.cpp), for functions whose overloads ember
parses the way torch does: each overload written as torch prints it
(`"int high, tuple of ints size, *, torch.Generator? generator, ..."`), tried in order; the
keyword forms and NumPy spellings torch accepts; and, for a call no overload takes, torch's
TypeError word for word (the "invalid combination of arguments" listing with its per-overload
notes, and keyword arguments in the order torch's std::unordered_map prints them).

Used by the sampling functions (ops/sampling.py). The lighter keyword layer for ember's other
functions (NumPy aliases and sizes by keyword on one signature) is `_util.torch_args`.
"""

import os

import numpy as np

from .. import _dtype as D
from .. import _random as R
from .._tensor import Size, Tensor
from ._util import NUMPY_NAMES as _NUMPY_NAMES

__all__ = []



def _is_int(v):
    """torch's `int` parameter: an int (not a bool), a NumPy integer, or a 0-dim integer tensor."""
    if isinstance(v, (int, np.integer)):
        return not isinstance(v, (bool, np.bool_))
    return (isinstance(v, Tensor) and v._data.ndim == 0 and not v.dtype.is_floating_point
            and not v.dtype.is_complex and not v.dtype.is_bool and not v._rg)


def _is_float(v):
    if isinstance(v, (int, float, np.integer, np.floating)):
        return not isinstance(v, np.bool_)
    return isinstance(v, Tensor) and v._data.ndim == 0 and not v._rg


def _int_like(v):
    """An element a size list may start with."""
    if v.__class__ is int:
        return True
    if isinstance(v, (int, np.integer)):
        return not isinstance(v, (bool, np.bool_))
    return isinstance(v, Tensor) and v.numel() == 1 and not v.dtype.is_floating_point and \
        not v.dtype.is_complex


def _is_int_list(v):
    if v.__class__ is tuple or isinstance(v, (tuple, list)):
        return not v or _int_like(v[0])
    return False


def _is_device(v):
    from .._device import device
    return isinstance(v, (device, str)) or isinstance(v, int) and not isinstance(v, bool)


_CHECKS = {
    "int": _is_int,
    "float": _is_float,
    "bool": lambda v: isinstance(v, bool),
    "Tensor": lambda v: isinstance(v, Tensor),
    "tuple of ints": _is_int_list,
    "torch.Generator": lambda v: isinstance(v, R.Generator),
    "torch.dtype": lambda v: isinstance(v, D.dtype),
    "torch.layout": lambda v: isinstance(v, D.layout),
    "torch.device": _is_device,
    "torch.memory_format": lambda v: isinstance(v, D.memory_format),
}
_DEFAULTS = {"None": None, "False": False, "0": 0, "1": 1, "2": 2, "0.5": 0.5}


class _Param:
    __slots__ = ("type", "name", "optional", "allow_none", "kw_only", "default", "check")

    def __init__(self, text, kw_only):
        decl, _, default = text.partition(" = ")
        typ, _, self.name = decl.rpartition(" ")
        self.allow_none = typ.endswith("?") or default == "None"
        self.type = typ.rstrip("?")
        self.check = _CHECKS[self.type]
        self.optional = bool(default)
        self.default = _DEFAULTS[default] if default else None
        self.kw_only = kw_only


class _Sig:
    """One overload, written as torch prints it; `T?` marks a parameter that takes None without
    a default (torch prints it as `T`)."""

    def __init__(self, name, text):
        self.name = name
        self.text = text.replace("?", "")
        self.params = []
        kw_only = False
        for part in text.split(", ") if text else ():
            if part == "*":
                kw_only = True
            else:
                self.params.append(_Param(part, kw_only))
        self.names = {p.name: i for i, p in enumerate(self.params)}
        self.min_args = sum(not p.optional for p in self.params)
        self.max_pos = sum(not p.kw_only for p in self.params)
        self.varargs = self.max_pos == 1 and self.params[0].type == "tuple of ints"

    def match(self, args, kwargs, raise_=False):
        """The parsed arguments by name, or None; with `raise_`, torch's TypeError instead."""
        nargs = len(args)
        if nargs > self.max_pos and not self.varargs:
            return self._extra_args(nargs) if raise_ else None
        out = {}
        pos = used = 0
        for i, p in enumerate(self.params):
            is_kwd = pos >= nargs
            if not is_kwd:
                if p.kw_only:
                    return self._extra_args(nargs) if raise_ else None
                obj, present = args[pos], True
            else:
                present = p.name in kwargs
                obj = kwargs[p.name] if present else None
                if not present and p.name in _NUMPY_NAMES:  # torch.bernoulli(x=t), ...
                    for alias in _NUMPY_NAMES[p.name]:
                        if alias in kwargs:
                            obj, present = kwargs[alias], True
                            break
            if (not present and p.optional) or (present and obj is None and p.allow_none):
                out[p.name] = p.default
            elif not present:
                return self._missing(i) if raise_ else None
            elif p.check(obj):
                out[p.name] = obj
            elif self.varargs and pos == 0 and not is_kwd and _int_like(args[0]):
                out[p.name] = args  # randn(2, 3): all positionals are the size
                pos = nargs
                continue
            elif raise_:
                self._type_error(p, obj, pos, is_kwd)
            else:
                return None
            if not is_kwd:
                pos += 1
            elif present:
                used += 1
        if used < len(kwargs):
            return self._extra_kwargs(kwargs, nargs) if raise_ else None
        return out

    def _extra_args(self, nargs):
        if self.min_args != self.max_pos:
            raise TypeError(f"{self.name}() takes from {self.min_args} to {self.max_pos} "
                            f"positional arguments but {nargs} were given")
        s = "" if self.max_pos == 1 else "s"
        raise TypeError(f"{self.name}() takes {self.max_pos} positional argument{s} but {nargs} "
                        f"{'was' if nargs == 1 else 'were'} given")

    def _missing(self, i):
        names = [f'"{p.name}"' for p in self.params[i:] if not p.optional]
        s = "s" if len(names) == 1 else ""  # sic: torch's plural is inverted
        raise TypeError(f"{self.name}() missing {len(names)} required positional argument{s}: "
                        f"{', '.join(names)}")

    def _type_error(self, p, obj, pos, is_kwd):
        where = f"'{p.name}'" if is_kwd else f"'{p.name}' (position {pos + 1})"
        if p.type == "tuple of ints" and not is_kwd and isinstance(obj, (tuple, list)):
            raise TypeError(f"{self.name}(): argument {where} must be tuple of ints, but found "
                            f"element of type {_tp_name(obj[0])} at pos 0")
        raise TypeError(f"{self.name}(): argument {where} must be {p.type}, not {_tp_name(obj)}")

    def _extra_kwargs(self, kwargs, nargs):
        for key in kwargs:
            i = self.names.get(key)
            if i is None:
                raise TypeError(f"{self.name}() got an unexpected keyword argument '{key}'")
            if i < nargs:
                raise TypeError(f"{self.name}() got multiple values for argument '{key}'")
        raise TypeError("invalid keyword arguments")


class _Parser:
    """torch's PythonArgParser for one function: tries each overload in order; if none fits,
    the one overload whose argument count fits explains why, else all are listed."""

    def __init__(self, name, *sigs):
        self.name, self._texts, self._sigs = name, sigs, None

    @property
    def sigs(self):  # parsed on first use, so that defining a parser costs nothing at import
        if self._sigs is None:
            self._sigs = [_Sig(self.name, s) for s in self._texts]
        return self._sigs

    def parse(self, args, kwargs):
        sigs = self.sigs
        if len(sigs) == 1:
            return 0, sigs[0].match(args, kwargs, True)
        for i, sig in enumerate(sigs):
            out = sig.match(args, kwargs)
            if out is not None:
                return i, out
        n = len(args) + len(kwargs)
        plausible = [s for s in sigs if s.min_args <= n <= len(s.params)]
        if len(plausible) == 1:
            plausible[0].match(args, kwargs, True)
        keys = _cxx_map_order(list(kwargs))
        got = [_tp_name(a) for a in args] + [f"{k}={_tp_name(kwargs[k])}" for k in keys]
        got = ", ".join(got) + (", " if kwargs and not args else "")
        options = "".join(f" * ({s.text})\n" + _why_not(s.text, args, kwargs, keys)
                          for s in sigs)
        raise TypeError(f"{self.name}() received an invalid combination of arguments - got "
                        f"({got}), but expected one of:\n{options}")


def _why_not(text, args, kwargs, keys):
    """The note torch adds under a listed overload whose argument count equals the call's. torch
    counts by splitting the printed overload at ", " and takes the last word of each part as
    its name and the rest as its type (so `*` counts, and `Tensor out = None` is named `None`);
    this follows it."""
    parts = []
    for part in text.split(", "):
        cut = part.rfind(" ")
        parts.append((part, part) if cut < 0 else (part[cut + 1:], part[:cut]))
    if len(parts) != len(args) + len(kwargs):
        return ""
    if kwargs:
        names = {name for name, _ in parts[max(0, len(parts) - len(kwargs)):]}
        wrong = [k for k in keys if k not in names]
        if wrong:
            return ("      didn't match because some of the keywords were incorrect: "
                    + ", ".join(wrong) + "\n")
    tty = os.isatty(1) and os.isatty(2)
    red, green, reset = ("\33[31;1m", "\33[32;1m", "\33[0m") if tty else ("!", "", "")
    descs = []
    for i in range(len(parts)):
        is_kwarg = i >= len(args)
        name, typ = parts[i]
        arg = kwargs.get(name) if is_kwarg else args[i]
        tp = _tp_name(arg)
        ok = tp in {"float": ("float", "int", "long"), "int": ("int", "long")}.get(typ, (typ,))
        desc = tp
        if isinstance(arg, (tuple, list)):
            inner = ", ".join(_tp_name(x) for x in arg)
            desc = (f"{tp} of ({inner}{',' if len(arg) == 1 else ''})" if isinstance(arg, tuple)
                    else f"{tp} of [{inner}]")
        descs.append((green if ok else red) + (name + "=" if is_kwarg else "") + desc +
                     (reset if ok else (reset if tty else red)))
    return ("      didn't match because some of the arguments have invalid types: ("
            + ", ".join(descs) + (", " if descs and not args else "") + ")\n")


def _tp_name(v):
    """Python's tp_name of v's type, with torch's names for ember's torch types."""
    t = type(v)
    if isinstance(v, Tensor):
        return t.__name__
    special = {D.dtype: "torch.dtype", R.Generator: "torch._C.Generator", Size: "torch.Size",
               D.memory_format: "torch.memory_format"}.get(t)
    if special:
        return special
    from .._device import device
    if t is device:
        return "torch.device"
    if t.__module__ == "builtins" or t.__flags__ & (1 << 9):  # a builtin or a Python class
        return t.__name__
    return f"{t.__module__}.{t.__name__}"


_M64, _MUL = (1 << 64) - 1, (0xC6A4A793 << 32) + 0x5BD1E995


def _std_hash(s):
    """libstdc++'s std::hash<std::string> (its 64-bit Murmur-style _Hash_bytes)."""
    b = s.encode()
    h = (0xC70F6907 ^ (len(b) * _MUL)) & _M64
    whole = len(b) & ~7
    for i in range(0, whole, 8):
        d = (int.from_bytes(b[i:i + 8], "little") * _MUL) & _M64
        h = ((h ^ (((d ^ (d >> 47)) * _MUL) & _M64)) * _MUL) & _M64
    if len(b) & 7:
        h = ((h ^ int.from_bytes(b[whole:], "little")) * _MUL) & _M64
    h = (((h ^ (h >> 47)) * _MUL) & _M64)
    return h ^ (h >> 47)


def _cxx_map_order(keys):
    """The order torch lists keyword arguments in an error: that of a std::unordered_map
    (libstdc++, 13 buckets) the keys were inserted into in turn. A key goes to the front of the
    list, or to the front of its bucket's run when the bucket is already in use."""
    order, buckets = [], []
    for k in keys:
        b = _std_hash(k) % 13
        i = buckets.index(b) if b in buckets else 0
        order.insert(i, k)
        buckets.insert(i, b)
    return order
