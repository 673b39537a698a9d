"""torch's reading of `to(...)`'s three overloads, shared by Tensor.to and Module.to:
to(device=None, dtype=None, non_blocking=False, copy=False), to(dtype, non_blocking, copy),
to(tensor, non_blocking, copy), each with a keyword-only memory_format, and torch's TypeError
listing them for a call none of them takes."""

from . import _dtype as D


def _tensor_type():
    from ._tensor import Tensor  # _tensor imports this module
    return Tensor


_TO_SIGNATURES = (
    (("device", "device", True), ("dtype", "dtype", True), ("non_blocking", "bool", False),
     ("copy", "bool", False)),
    (("dtype", "dtype", False), ("non_blocking", "bool", False), ("copy", "bool", False)),
    (("tensor", "Tensor", False), ("non_blocking", "bool", False), ("copy", "bool", False)),
)
_TO_HELP = ("(torch.device device = None, torch.dtype dtype = None, bool non_blocking = False, "
            "bool copy = False, *, torch.memory_format memory_format = None)",
            "(torch.dtype dtype, bool non_blocking = False, bool copy = False, *, "
            "torch.memory_format memory_format = None)",
            "(Tensor tensor, bool non_blocking = False, bool copy = False, *, "
            "torch.memory_format memory_format = None)")


def _to_kind(v):
    import numbers
    if isinstance(v, bool):
        return "bool"
    if isinstance(v, D.dtype):
        return "dtype"
    if isinstance(v, _tensor_type()):
        return "Tensor"
    if isinstance(v, D.memory_format):
        return "memory_format"
    from ._device import device as _device
    if isinstance(v, (str, numbers.Integral, _device)):
        return "device"
    return None


def parse_to(args, kwargs, allow_copy=False):
    """torch's parse of to()'s overloads: (device, dtype, non_blocking, copy, memory_format),
    with its argument errors. Module.to refuses `copy` (allow_copy=False), as torch's does."""
    if len(args) > 4:
        raise TypeError(f"to() takes from 0 to 4 positional arguments but {len(args)} were given")
    fmt = kwargs.get("memory_format")
    for sig in _TO_SIGNATURES:
        names = [n for n, _, _ in sig]
        if len(args) > len(sig) or any(k not in names and k != "memory_format" for k in kwargs):
            continue
        bound = dict(zip(names, args))
        if any(k in bound for k in kwargs):
            continue
        bound.update((k, v) for k, v in kwargs.items() if k != "memory_format")
        ok = fmt is None or _to_kind(fmt) == "memory_format"
        for name, kind, optional in sig:
            v = bound.get(name)
            if v is None:
                ok = ok and (optional or name not in ("dtype", "tensor"))
            elif _to_kind(v) != kind:
                ok = False
        if ok and (sig[0][0] == "device" or sig[0][0] in bound):
            if "copy" in bound and not allow_copy:  # given at all, even False
                raise RuntimeError(".to() does not accept copy argument")
            copy = bool(bound.get("copy"))
            t = bound.get("tensor")
            if t is not None:
                return t.device, t.dtype, bool(bound.get("non_blocking")), copy, fmt
            return (bound.get("device"), bound.get("dtype"), bool(bound.get("non_blocking")),
                    copy, fmt)
    got = ", ".join([_py_type(a) for a in args] +
                    [f"{k}={_py_type(v)}" for k, v in kwargs.items()]) + ("" if args else ", ")
    raise TypeError(f"to() received an invalid combination of arguments - got ({got}), but "
                    "expected one of:\n" + "".join(f" * {h}\n" for h in _TO_HELP))


def _py_type(v):
    if isinstance(v, D.dtype):
        return "torch.dtype"
    if isinstance(v, D.memory_format):
        return "torch.memory_format"
    return "Tensor" if isinstance(v, _tensor_type()) else type(v).__name__
