"""torch.export: ember captures no graphs, so exporting is refused with a clear error.

What a script builds before it calls export works as torch's: `Dim` / `dims` (named dynamic
dimensions and the AUTO/DYNAMIC/STATIC hints, with torch's checks and reprs) and
`register_dataclass` (checks the class and records it). Everything that produces, saves, loads
or transforms an ExportedProgram raises NotImplementedError naming the alternative.
"""

import dataclasses
import math

from ._args import EmberNotImplementedError

__all__ = ["AdditionalInputs", "Constraint", "CustomDecompTable", "default_decompositions",
           "Dim", "dims", "draft_export", "export", "ExportBackwardSignature", "ExportedProgram",
           "ExportGraphSignature", "FlatArgsAdapter", "load", "ModuleCallEntry",
           "ModuleCallSignature", "register_dataclass", "save", "ShapesCollection", "unflatten",
           "UnflattenedModule"]

_WHY = ("ember runs models eagerly and captures no graph to export; run the nn.Module itself, "
        "and share its weights with ember.save(model.state_dict(), f)")


def _refuse(name):
    raise EmberNotImplementedError(f"ember does not implement torch.export.{name} yet: {_WHY}")


def export(mod, args, kwargs=None, *, dynamic_shapes=None, strict=False,
           preserve_module_call_signature=(), prefer_deferred_runtime_asserts_over_guards=False):
    _refuse("export")


def draft_export(mod, args, kwargs=None, *, dynamic_shapes=None,
                 preserve_module_call_signature=(), strict=False,
                 prefer_deferred_runtime_asserts_over_guards=False):
    _refuse("draft_export")


def save(ep, f, *, extra_files=None, opset_version=None, pickle_protocol=2):
    _refuse("save")


def load(f, *, extra_files=None, expected_opset_version=None):
    _refuse("load")


def unflatten(module, flat_args_adapter=None):
    _refuse("unflatten")


def default_decompositions():
    _refuse("default_decompositions")


def _refusing_class(name):
    def __init__(self, *args, **kwargs):
        _refuse(name)
    return type(name, (), {"__init__": __init__, "__module__": __name__,
                           "__doc__": f"torch.export.{name}: refused, as export is."})


(AdditionalInputs, Constraint, CustomDecompTable, ExportBackwardSignature, ExportedProgram,
 ExportGraphSignature, FlatArgsAdapter, ModuleCallEntry, ModuleCallSignature, ShapesCollection,
 UnflattenedModule) = [_refusing_class(n) for n in (
     "AdditionalInputs", "Constraint", "CustomDecompTable", "ExportBackwardSignature",
     "ExportedProgram", "ExportGraphSignature", "FlatArgsAdapter", "ModuleCallEntry",
     "ModuleCallSignature", "ShapesCollection", "UnflattenedModule")]


class _DimHint:
    """Dim.AUTO / Dim.DYNAMIC / Dim.STATIC, optionally bounded by calling them."""

    def __init__(self, kind, min=None, max=None, factory=True):
        self.type, self.min, self.max, self._factory = kind, min, max, factory

    def __call__(self, min=None, max=None):
        if not self._factory:
            raise TypeError(f"'{type(self)}' object is not callable")
        if min is not None and min < 0:
            raise AssertionError(f"min must be non-negative, got {min}")
        if max is not None and max < 0:
            raise AssertionError(f"max must be non-negative, got {max}")
        if min is not None and max is not None and min > max:
            raise AssertionError(f"min must be <= max, got min={min}, max={max}")
        return _DimHint(self.type, min, max, False)

    def __eq__(self, other):
        return isinstance(other, _DimHint) and (self.type, self.min, self.max, self._factory) \
            == (other.type, other.min, other.max, other._factory)

    __hash__ = None  # as torch's (a non-frozen dataclass)

    def __repr__(self):
        parts = [self.type] + [f"{k}={v}" for k, v in (("min", self.min), ("max", self.max))
                               if v is not None]
        return f"DimHint({', '.join(parts)})"


class Dim:
    """Matches torch.export.Dim: a named dynamic dimension with a [min, max] range."""

    AUTO = _DimHint("AUTO")
    DYNAMIC = _DimHint("DYNAMIC")
    STATIC = _DimHint("STATIC")

    def __init__(self, name, *, min=None, max=None):
        lo = 0 if min is None else min
        hi = math.inf if max is None else max
        if not hi > lo:
            raise AssertionError(f"Cannot create Dim with inconsistent min={min}, max={max}")
        if not name.isidentifier():
            raise AssertionError(f"Dim name must be a valid identifier, got {name}")
        self.__name__, self.min, self.max = name, lo, hi

    def __repr__(self):  # torch leaves out min=2 (its usual lower bound) and an infinite max
        shown = [f"{k}={v}" for k, v, hidden in (("min", self.min, 2), ("max", self.max, math.inf))
                 if v != hidden]
        return f"Dim({', '.join([repr(self.__name__)] + shown)})"

    def _derived(self, *args):
        raise EmberNotImplementedError("ember does not implement derived torch.export.Dim "
                                       f"expressions yet: {_WHY}")

    __add__ = __radd__ = __sub__ = __mul__ = __rmul__ = _derived


def dims(*names, min=None, max=None):
    """Matches torch.export.dims: one Dim per name, sharing the range."""
    return tuple(Dim(name, min=min, max=max) for name in names)


_DATACLASSES = {}


def register_dataclass(cls, *, serialized_type_name=None):
    """Matches torch.export.register_dataclass: checks and records the class, whose instances
    export would flatten (ember's eager calls take them as they are)."""
    if not dataclasses.is_dataclass(cls):
        raise ValueError("field_names must be specified with a list of all fields used to "
                         f"initialize {cls}, as it is not a dataclass.")
    _DATACLASSES[cls] = serialized_type_name or f"{cls.__module__}.{cls.__qualname__}"
