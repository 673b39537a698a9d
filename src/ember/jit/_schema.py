"""TorchScript's type checks, done eagerly: torch.jit.isinstance and a scripted function's schema.

A scripted function checks its arguments against its annotations (an unannotated parameter is a
Tensor) before running, with torch's error texts; the schema string is torch's
(`f(Tensor x, int y=2) -> Tensor`). Types understood: Tensor, int, float, bool, str, Optional,
List/Tuple/Dict of those; a parameter annotated with anything else is not checked.
"""

import inspect
import typing
import warnings

from .._tensor import Tensor

_SCALARS = {int: "int", float: "float", bool: "bool", str: "str", Tensor: "Tensor"}


def _parts(tp):
    return typing.get_origin(tp), typing.get_args(tp)


def _optional_of(args):
    rest = [a for a in args if a is not type(None)]
    return rest[0] if len(rest) == 1 and len(args) == 2 else None


def _matches(obj, tp):
    """torch.jit.isinstance's eager check, element by element."""
    origin, args = _parts(tp)
    if origin is None:
        if tp in (list, tuple, dict):
            raise RuntimeError(f"Attempted to use {tp.__name__} without a contained type. Please "
                               f"add a contained type, e.g. {tp.__name__}[int]")
        return isinstance(obj, tp)
    if origin is typing.Union or str(origin) == "<class 'types.UnionType'>":
        return any(_matches(obj, a) for a in args)
    if origin is list:
        return isinstance(obj, list) and _elements(obj, lambda v: _matches(v, args[0]))
    if origin is dict:
        return isinstance(obj, dict) and _elements(
            obj, lambda k: _matches(k, args[0]) and _matches(obj[k], args[1]))
    if origin is tuple:
        return (isinstance(obj, tuple) and len(obj) == len(args)
                and all(_matches(v, a) for v, a in zip(obj, args)))
    return isinstance(obj, origin)


def _elements(obj, check):
    if not obj:
        warnings.warn("The inner type of a container is lost when calling torch.jit.isinstance "
                      "in eager mode. For example, List[int] would become list and therefore "
                      "falsely return True for List[float] or List[str].", stacklevel=4)
        return True
    return all(check(v) for v in obj)


def jit_isinstance(obj, target_type):
    """Matches torch.jit.isinstance: a check of containers' element types too."""
    return _matches(obj, target_type)


# ---------------------------------------------------------------- a scripted function's schema
def _schema_type(tp):
    if tp in _SCALARS:
        return _SCALARS[tp]
    origin, args = _parts(tp)
    if origin is typing.Union and _optional_of(args) is not None:
        return _schema_type(_optional_of(args)) + "?"
    if origin is list:
        return _schema_type(args[0]) + "[]"
    if origin is tuple:
        return "(" + ", ".join(_schema_type(a) for a in args) + ")"
    if origin is dict:
        return f"Dict({_schema_type(args[0])}, {_schema_type(args[1])})"
    return getattr(tp, "__name__", str(tp))


def _python_type(tp):
    if tp in _SCALARS:
        return _SCALARS[tp]
    origin, args = _parts(tp)
    if origin is typing.Union and _optional_of(args) is not None:
        return f"Optional[{_python_type(_optional_of(args))}]"
    names = {list: "List", tuple: "Tuple", dict: "Dict"}
    if origin in names:
        return f"{names[origin]}[{', '.join(_python_type(a) for a in args)}]"
    return getattr(tp, "__name__", str(tp))


def _default(v):
    if isinstance(v, float):
        r = repr(v)
        return r[:-1] if r.endswith(".0") else r
    if isinstance(v, str):
        return '"' + v + '"'
    return str(v)


def _accepts(value, tp):
    """TorchScript's argument casts: bool/int/float interchange and 0-d tensors for numbers."""
    if tp is Tensor:
        return isinstance(value, Tensor)
    if tp in (int, float, bool):
        if isinstance(value, Tensor):
            return value.dim() == 0
        return isinstance(value, (int, float)) and (tp is float or not isinstance(value, float))
    if tp is str:
        return isinstance(value, str)
    origin, args = _parts(tp)
    if origin is typing.Union and _optional_of(args) is not None:
        return value is None or _accepts(value, _optional_of(args))
    if origin is list:
        return isinstance(value, (list, tuple)) and all(_accepts(v, args[0]) for v in value)
    return True  # a type ember does not model: not checked


class Schema:
    """The signature of a scripted function, checking each call as TorchScript does."""

    def __init__(self, fn):
        self.name = fn.__name__ if fn.__name__ != "<lambda>" else "_lambda"
        self.sig = inspect.signature(fn)
        hints = typing.get_type_hints(fn) if getattr(fn, "__annotations__", None) else {}
        self.params = []
        for p in self.sig.parameters.values():
            self.params.append((p.name, hints.get(p.name, Tensor), p.name not in hints, p.default))
        self.returns = hints.get("return", Tensor)

    def __str__(self):
        args = []
        for name, tp, _inferred, default in self.params:
            s = f"{_schema_type(tp)} {name}"
            args.append(s if default is inspect.Parameter.empty else f"{s}={_default(default)}")
        return f"{self.name}({', '.join(args)}) -> {_schema_type(self.returns)}"

    def check(self, args, kwargs):
        n = len(self.params)
        if len(args) > n:
            raise RuntimeError(f"{self.name}() expected at most {n} argument(s) but received "
                               f"{len(args)} argument(s). Declaration: {self}")
        names = {p[0] for p in self.params}
        for k in kwargs:
            if k not in names:
                raise RuntimeError(f"Unknown keyword argument '{k}' for operator '{self.name}'. "
                                   f"Schema: {self}")
        for i, (name, tp, inferred, default) in enumerate(self.params):
            if i < len(args):
                value = args[i]
            elif name in kwargs:
                value = kwargs[name]
            elif default is not inspect.Parameter.empty:
                continue
            else:
                raise RuntimeError(f"{self.name}() is missing value for argument '{name}'. "
                                   f"Declaration: {self}")
            if not _accepts(value, tp):
                self._refuse(i, name, tp, inferred, value)

    def _refuse(self, i, name, tp, inferred, value):
        shown = _python_type(tp) + (" (inferred)" if inferred else "")
        lines = [f"{self.name}() Expected a value of type '{shown}' for argument '{name}' but "
                 f"instead found type '{type(value).__name__}'."]
        if inferred:
            lines.append(f"Inferred '{name}' to be of type 'Tensor' because it was not annotated "
                         "with an explicit type.")
        lines += [f"Position: {i}", f"Value: {value!r}", f"Declaration: {self}"]
        if tp is Tensor:
            lines.append(f"Cast error details: Unable to cast {value} to Tensor")
        else:
            lines.append(f"Cast error details: Unable to cast Python instance of type "
                         f"{type(value)} to C++ type '?' (#define PYBIND11_DETAILED_ERROR_MESSAGES"
                         " or compile in debug mode for details)")
        raise RuntimeError("\n".join(lines))
