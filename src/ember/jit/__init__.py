"""ember.jit: torch.jit's names for code written in the TorchScript era, run eagerly.

ember has no TorchScript compiler. `script` and `trace` return objects of torch's classes
(RecursiveScriptModule, TopLevelTracedModule, ScriptFunction) that call the Python code eagerly
and compute what the scripted code computes; what only a compiler has (`.code`, `.graph`,
TorchScript archives) is refused with a NotImplementedError naming the alternative. The
decorators mark functions as torch's do, so decorated methods stay ordinary methods. The module
lives in three files: this one (decorators, flags, futures), _script.py and _trace.py.
"""

import builtins
import contextlib
import typing
import warnings
from collections import namedtuple

from .._args import EmberNotImplementedError
from ..futures import Future
from ._schema import jit_isinstance as isinstance
from ._script import (  # noqa: F401 (torch.jit names outside its __all__ too)
    _SCRIPTING,
    CompilationUnit,
    RecursiveScriptModule,
    ScriptFunction,
    ScriptModule,
    freeze,
    optimize_for_inference,
    script,
    script_method,
)
from ._trace import (  # noqa: F401
    TopLevelTracedModule,
    TracedModule,
    TracerWarning,
    TracingCheckError,
    is_tracing,
    trace,
    trace_module,
)

__all__ = ["Attribute", "CompilationUnit", "Error", "Future", "ScriptFunction", "ScriptModule",
           "annotate", "enable_onednn_fusion", "export", "export_opnames", "fork", "freeze",
           "interface", "ignore", "isinstance", "load", "onednn_fusion_enabled",
           "optimize_for_inference", "save", "script", "script_if_tracing",
           "set_fusion_strategy", "strict_fusion", "trace", "trace_module", "unused", "wait"]

_isinstance = builtins.isinstance
Final = typing.Final
Attribute = namedtuple("Attribute", ["value", "type"])

_IGNORE = "ignore (leave as a call to Python, cannot be torch.jit.save'd)"
_UNUSED = "unused (ignored and replaced with raising of an exception)"
_EXPORT = "export (compile this function even if nothing calls it)"


class Error(Exception):
    """torch.jit.Error: the exception a TorchScript `raise` produces."""


class ScriptWarning(Warning):
    pass


def _deprecated(name, instead="Please use `torch.compile` instead."):
    warnings.warn(f"`torch.jit.{name}` is deprecated. {instead}", DeprecationWarning,
                  stacklevel=3)


# ---------------------------------------------------------------- decorators and flags
def is_scripting():
    """True while a scripted module or function runs (outside its ignored methods), as torch."""
    return _SCRIPTING[0] > 0


def ignore(drop=False, **kwargs):
    """Matches torch.jit.ignore: marks the function; it stays an ordinary Python function."""
    if callable(drop):
        drop._torchscript_modifier = _IGNORE
        return drop
    if not _isinstance(drop, bool):
        raise RuntimeError("Argument to @torch.jit.ignore must be a bool or a function but got "
                           f"{drop}")
    drop_on_export = kwargs.pop("drop_on_export", None)
    if drop_on_export:
        warnings.warn("ignore(drop_on_export=True) has been deprecated. TorchScript will now "
                      "drop the function call on compilation. Use torch.jit.unused now. {}",
                      category=FutureWarning, stacklevel=2)
        drop = drop_on_export
    elif drop:
        warnings.warn("ignore(True) has been deprecated. TorchScript will now drop the function "
                      "call on compilation. Use torch.jit.unused now. {}",
                      category=FutureWarning, stacklevel=2)

    def decorator(fn):
        fn._torchscript_modifier = _UNUSED if drop else _IGNORE
        return fn
    return decorator


def unused(fn):
    """Matches torch.jit.unused: marks the function (a property's getter and setter)."""
    if _isinstance(fn, property):
        for f in (fn.fget, fn.fset):
            if f is not None:
                f._torchscript_modifier = _UNUSED
        return fn
    fn._torchscript_modifier = _UNUSED
    return fn


def export(fn):
    fn._torchscript_modifier = _EXPORT
    return fn


def annotate(the_type, the_value):
    """Matches torch.jit.annotate: eagerly, the value itself."""
    return the_value


def interface(obj):
    """Matches torch.jit.interface: a class comes back as it is."""
    warnings.warn("`torch.jit.interface` is deprecated. Please use `torch.compile` instead.",
                  DeprecationWarning, stacklevel=2)
    if not _isinstance(obj, type):
        raise RuntimeError("interface must be applied to a class")
    return obj


def script_if_tracing(fn):
    """Matches torch.jit.script_if_tracing: eagerly, calls `fn` (ember's trace runs it too)."""
    import functools

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        return fn(*args, **kwargs)
    wrapper.__original_fn = fn
    wrapper.__script_if_tracing_wrapper = True
    return wrapper


class strict_fusion:
    """Matches torch.jit.strict_fusion: outside TorchScript it only warns, as torch's."""

    def __init__(self):
        warnings.warn("Only works in script mode", stacklevel=2)

    def __enter__(self):
        pass

    def __exit__(self, type, value, tb):
        pass


class optimized_execution:
    """Matches torch.jit.optimized_execution: a flag for the (absent) graph executor."""

    def __init__(self, should_optimize):
        self.should_optimize = should_optimize

    def __enter__(self):
        self._saved = _STATE["optimized"]
        _STATE["optimized"] = bool(self.should_optimize)

    def __exit__(self, *args):
        _STATE["optimized"] = self._saved


_STATE = {"onednn": False, "optimized": True, "fuser": "fuser1",
          "fusion": [("STATIC", 2), ("DYNAMIC", 10)]}
_FUSERS = ("fuser0", "fuser1", "fuser2", "fuser3", "none")


@contextlib.contextmanager
def fuser(name):
    """Matches torch.jit.fuser: selects the fuser for a block (ember fuses nothing, so the
    choice changes no result); an unknown name raises torch's Exception."""
    if name not in _FUSERS:
        raise Exception(f"unrecognized fuser option (name: {name})")  # noqa: TRY002 - torch's
    saved, _STATE["fuser"] = _STATE["fuser"], name
    try:
        yield
    finally:
        _STATE["fuser"] = saved


def enable_onednn_fusion(enabled):
    """Records the flag as torch does; ember runs no fusion passes, so results are the same."""
    _STATE["onednn"] = bool(enabled)


def onednn_fusion_enabled():
    return _STATE["onednn"]


def set_fusion_strategy(strategy):
    """Matches torch.jit.set_fusion_strategy: checks and records it, returning the previous."""
    warnings.warn("`torch.jit.set_fusion_strategy` is deprecated. Please use `torch.compile` "
                  "instead.", DeprecationWarning, stacklevel=2)
    strategy = [tuple(s) for s in strategy]
    for kind, _depth in strategy:
        if kind not in ("STATIC", "DYNAMIC"):
            raise ValueError(f"FusionBehavior only supported 'STATIC' or 'DYNAMIC', got: {kind}")
    previous, _STATE["fusion"] = _STATE["fusion"], strategy
    return previous


def export_opnames(m):
    raise EmberNotImplementedError(
        "ember does not implement torch.jit.export_opnames yet: ember runs modules eagerly and "
        "records no TorchScript graph to list operators from")


# ---------------------------------------------------------------- fork / wait
def fork(func, *args, **kwargs):
    """Matches torch.jit.fork outside TorchScript: runs `func` now; its result is the future's."""
    _deprecated("fork")
    fut = Future()
    fut.set_result(func(*args, **kwargs))
    return fut


def wait(future):
    _deprecated("wait")
    if not _isinstance(future, Future):
        raise TypeError("wait(): incompatible function arguments. The following argument types "
                        "are supported:\n    1. (arg0: torch._C.Future) -> object\n\n"
                        f"Invoked with: {future!r}")
    return future.wait()


# ---------------------------------------------------------------- archives
_NO_ARCHIVE = ("TorchScript archives hold compiled TorchScript code, which ember does not have. "
               "Save the weights with ember.save(model.state_dict(), f) and load them into the "
               "model's Python class with model.load_state_dict(ember.load(f)).")


def save(m, f, _extra_files=None):
    raise EmberNotImplementedError(f"ember does not implement torch.jit.save yet: {_NO_ARCHIVE}")


def load(f, map_location=None, _extra_files=None, _restore_shapes=False):
    raise EmberNotImplementedError(f"ember does not implement torch.jit.load yet: {_NO_ARCHIVE}")



def _assert(condition, message):
    """torch._assert: Python's assert, kept under `python -O` and symbolically traceable."""
    if not condition:
        raise AssertionError(message)
