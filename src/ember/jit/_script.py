"""torch.jit.script, freeze and the script classes, run eagerly.

A scripted module is torch's RecursiveScriptModule: a new object sharing the original's parameter
and buffer tensors, with its own copies of the plain attributes and of `training`, and with each
child scripted in turn. ember builds it as an instance of a class deriving from both
RecursiveScriptModule and the module's own class (named RecursiveScriptModule, created once per
class), so `forward`, `super()` calls and helper methods run the module's Python code unchanged.
A scripted function checks its arguments as TorchScript does (_schema.py), then calls the function.
"""

import functools
import inspect
import warnings

from .._args import EmberNotImplementedError, unsupported
from ..nn.modules.module import Module
from ._schema import Schema

_NO_CODE = ("ember runs TorchScript code eagerly as Python and compiles nothing, so there is no "
            "TorchScript {what}; read the Python source (inspect.getsource) instead")
_NO_SAVE = ("ember does not implement torch.jit.save yet: TorchScript archives hold compiled "
            "TorchScript code, which ember does not have. Save the weights with "
            "ember.save(model.state_dict(), f) and load them into the model's Python class with "
            "model.load_state_dict(ember.load(f)).")


def _refuse_compiled(api, what):
    raise EmberNotImplementedError(f"ember does not implement {api}.{what} yet: "
                                   + _NO_CODE.format(what=what))


_SCRIPTING = [0]


def _scripting(fn, on):
    """`fn` running as compiled TorchScript (is_scripting() True) or, for an ignored or unused
    function, as the Python call TorchScript makes (False)."""
    @functools.wraps(fn)
    def run(*args, **kwargs):
        saved = _SCRIPTING[0]
        _SCRIPTING[0] = saved + 1 if on else 0
        try:
            return fn(*args, **kwargs)
        finally:
            _SCRIPTING[0] = saved
    return run


class ScriptModule(Module):
    """torch.jit.ScriptModule: the base of scripted and traced modules."""

    def __init__(self):
        super().__init__()

    def _refused(self, what):
        _refuse_compiled("torch.jit.ScriptModule", what)

    code = property(lambda self: self._refused("code"))
    graph = property(lambda self: self._refused("graph"))
    inlined_graph = property(lambda self: self._refused("inlined_graph"))
    code_with_constants = property(lambda self: self._refused("code_with_constants"))

    def save(self, f, **kwargs):
        raise EmberNotImplementedError(_NO_SAVE)

    def define(self, src):
        raise EmberNotImplementedError("ember does not implement torch.jit.ScriptModule.define "
                                       "yet: it compiles TorchScript source, and ember has no "
                                       "TorchScript compiler")


class RecursiveScriptModule(ScriptModule):
    """What torch.jit.script returns for an nn.Module."""

    def _get_name(self):
        return "RecursiveScriptModule"

    def extra_repr(self):
        return f"original_name={self.original_name}"


_CLASSES = {}


def _script_methods(cls):
    """The module class's own methods, each run as TorchScript runs it."""
    ns = {}
    own = set(vars(RecursiveScriptModule)) | set(vars(ScriptModule))
    for klass in reversed(cls.__mro__):
        if klass is Module or not issubclass(klass, Module):
            continue
        for name, fn in vars(klass).items():
            if inspect.isfunction(fn) and not name.startswith("__") and name not in own:
                mark = getattr(fn, "_torchscript_modifier", "")
                ns[name] = _scripting(fn, not mark.startswith(("ignore", "unused")))
    return ns


def _wrapper_class(base, cls):
    key = (base, cls)
    if key not in _CLASSES:
        ns = _script_methods(cls) if issubclass(base, RecursiveScriptModule) else {}
        made = type(base.__name__, (base, cls), {"__module__": base.__module__, **ns})
        made.__qualname__ = base.__qualname__
        made._original_class = cls
        _CLASSES[key] = made
    return _CLASSES[key]


def _attribute_value(v):
    from . import Attribute
    return v.value if isinstance(v, Attribute) else v


def _wrap_module(mod, base, child_base=None):
    """A new `base` object holding `mod`'s state: shared tensors, copied plain attributes."""
    if isinstance(mod, ScriptModule):
        return mod
    obj = object.__new__(_wrapper_class(base, type(mod)))
    d = obj.__dict__
    for k, v in mod.__dict__.items():
        d[k] = _attribute_value(v)
    for k in ("_parameters", "_buffers"):
        d[k] = dict(mod.__dict__[k])
    for k in [k for k, v in d.items() if k.startswith("_") and isinstance(v, (dict, set))
              and k not in ("_parameters", "_buffers", "_modules")]:
        d[k] = type(d[k])(d[k])  # hook tables: the script module's own copies
    child_base = child_base or base
    d["_modules"] = {k: None if m is None else _wrap_module(m, child_base)
                     for k, m in mod._modules.items()}
    d["original_name"] = type(mod).__name__
    return obj


class ScriptFunction:
    """torch.jit.ScriptFunction: a function whose arguments are checked as TorchScript does."""

    def __init__(self, fn, schema=None, scripted=True):
        self._fn, self._scripted = fn, scripted
        self._schema = schema
        self.name = fn.__name__ if fn.__name__ != "<lambda>" else "_lambda"
        self.qualified_name = "__torch__." + self.name

    @property
    def schema(self):
        return str(self._schema)

    def __call__(self, *args, **kwargs):
        if self._schema is not None:
            self._schema.check(args, kwargs)
        if not self._scripted:
            return self._fn(*args, **kwargs)
        _SCRIPTING[0] += 1
        try:
            return self._fn(*args, **kwargs)
        finally:
            _SCRIPTING[0] -= 1

    code = property(lambda self: _refuse_compiled("torch.jit.ScriptFunction", "code"))
    graph = property(lambda self: _refuse_compiled("torch.jit.ScriptFunction", "graph"))
    inlined_graph = property(
        lambda self: _refuse_compiled("torch.jit.ScriptFunction", "inlined_graph"))

    def save(self, f, **kwargs):
        raise EmberNotImplementedError(_NO_SAVE)

    def __repr__(self):
        return f"<torch.jit.ScriptFunction object at {hex(id(self))}>"


def script(obj, optimize=None, _frames_up=0, _rcb=None, example_inputs=None):
    """Matches torch.jit.script: a module becomes a RecursiveScriptModule, a function a
    ScriptFunction, a class comes back as it is; each then runs eagerly."""
    warnings.warn("`torch.jit.script` is deprecated. Please switch to `torch.compile` or "
                  "`torch.export`.", DeprecationWarning)  # torch: stacklevel 1
    if optimize is not None:
        warnings.warn("`optimize` is deprecated and has no effect. Use `with "
                      "torch.jit.optimized_execution()` instead", FutureWarning, stacklevel=2)
    if example_inputs is not None:  # they only feed MonkeyType's annotation inference
        unsupported("torch.jit.script", "example_inputs", example_inputs)
    if _frames_up or _rcb is not None:
        unsupported("torch.jit.script", "_rcb" if _rcb is not None else "_frames_up")
    if isinstance(obj, (ScriptModule, ScriptFunction)):
        return obj
    if isinstance(obj, Module):
        return _wrap_module(obj, RecursiveScriptModule)
    if isinstance(obj, (list, dict)):
        raise EmberNotImplementedError(f"ember does not implement torch.jit.script("
                                       f"{type(obj).__name__}) yet: a scripted {type(obj).__name__}"
                                       " is a TorchScript container; pass the Python object")
    if isinstance(obj, type):
        return obj  # torch compiles the class; eagerly it is the class itself
    if not hasattr(obj, "__code__"):
        raise TypeError(f"{type(obj)} is a built-in class")
    if getattr(obj, "_torchscript_modifier", "").startswith(("ignore", "unused")):
        return obj
    return ScriptFunction(obj, Schema(obj))


def script_method(fn):
    """Matches torch.jit.script_method outside a ScriptModule body: the method itself."""
    return fn


class CompilationUnit:
    """torch.jit.CompilationUnit compiles TorchScript source, which ember cannot."""

    def __init__(self, lang=None, _frames_up=0):
        raise EmberNotImplementedError(
            "ember does not implement torch.jit.CompilationUnit yet: it compiles TorchScript "
            "source, and ember has no TorchScript compiler; define the functions in Python")


# ---------------------------------------------------------------- freezing
class _FrozenScriptModule(RecursiveScriptModule):
    """A frozen RecursiveScriptModule: its children are inlined, so it prints as one line."""

    def __repr__(self):
        return f"RecursiveScriptModule(original_name={self.original_name})"


_FrozenScriptModule.__name__ = _FrozenScriptModule.__qualname__ = "RecursiveScriptModule"


def _frozen(mod):
    """A copy of a scripted module with its tensors made constants, as torch's freeze: no
    parameters or buffers remain; the constants share the tensors' memory. The frozen children
    stay in `_modules`, where the module's own forward (Sequential's loop) finds them."""
    obj = object.__new__(_wrapper_class(_FrozenScriptModule, type(mod)._original_class))
    d = obj.__dict__
    d.update(mod.__dict__)
    for key in ("_parameters", "_buffers"):
        for k, t in mod.__dict__[key].items():
            d[k] = None if t is None else t.detach()
        d[key] = {}
    d["_modules"] = {k: None if m is None else _frozen(m) for k, m in mod._modules.items()}
    return obj


def _check_scripted(mod, api):
    if not isinstance(mod, ScriptModule):
        raise RuntimeError(f"{api} expects a ScriptModule as input. Please use torch.jit.script "
                           "or torch.jit.trace to script your 'nn.Module'.")


def freeze(mod, preserved_attrs=None, optimize_numerics=True):
    """Matches torch.jit.freeze: an eval-mode scripted module whose tensors become constants.
    optimize_numerics only picks graph passes (conv-bn folding) and ember runs none, so the
    numbers are the unfused ones either way."""
    warnings.warn("`torch.jit.freeze` is deprecated. Please use `torch.compile` instead.",
                  DeprecationWarning, stacklevel=2)
    _check_scripted(mod, "Freezing")
    if mod.training:
        raise RuntimeError("Freezing is currently only implemented for modules in eval mode. "
                           "Please call .eval() on your module before freezing.")
    if preserved_attrs:
        unsupported("torch.jit.freeze", "preserved_attrs", preserved_attrs)
    return _frozen(mod)


def optimize_for_inference(mod, other_methods=None):
    """Matches torch.jit.optimize_for_inference: freezes (in eval mode) when not yet frozen."""
    warnings.warn("`torch.jit.optimize_for_inference` is deprecated. Please use `torch.compile` "
                  "instead.", DeprecationWarning, stacklevel=2)
    _check_scripted(mod, "optimize_for_inference")
    if other_methods:
        unsupported("torch.jit.optimize_for_inference", "other_methods", other_methods)
    if mod._parameters or mod._buffers or mod._modules:
        mod = freeze(mod.eval())
    return mod
