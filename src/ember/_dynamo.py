"""torch._dynamo's names that scripts touch, for a framework that runs eagerly.

`config` keeps torch 2.13's option names and defaults (_compile_config.py, generated from torch):
scripts set `torch._dynamo.config.suppress_errors = True` and read options back; an unknown name
raises torch's AttributeError. ember compiles nothing, so no option changes a result. The
decorators (`disable`, `allow_in_graph`, ...) return what torch's return outside compilation;
`explain`, `export` and `optimize` with a custom backend are refused.
"""

import functools
import os

from ._args import EmberNotImplementedError, unsupported
from ._compile_config import ALL_BACKENDS, BACKENDS, DYNAMO

__all__ = ["allow_in_graph", "assume_constant_result", "config", "disable", "disallow_in_graph",
           "forbid_in_graph", "graph_break", "is_compiling", "is_dynamo_supported",
           "is_inductor_supported", "list_backends", "mark_dynamic", "mark_static",
           "mark_static_address", "maybe_mark_dynamic", "nonstrict_trace", "optimize", "reset",
           "run", "set_stance", "substitute_in_graph", "explain", "export", "exc"]


class _Config:
    """A config module of torch's: known options read and set; others raise AttributeError."""

    def __init__(self, name, defaults):
        object.__setattr__(self, "_name", name)
        object.__setattr__(self, "_defaults", dict(defaults))
        object.__setattr__(self, "_values", {k: _copy(v) for k, v in defaults.items()})

    def __getattr__(self, key):
        values = self.__dict__["_values"]
        if key in values:
            return values[key]
        raise AttributeError(f"{self._name}.{key} does not exist")

    def __setattr__(self, key, value):
        if key not in self._values:
            raise AttributeError(f"{self._name}.{key} does not exist")
        self._values[key] = value

    def __delattr__(self, key):
        if key not in self._values:
            raise AttributeError(f"{self._name}.{key} does not exist")
        self._values[key] = _copy(self._defaults[key])  # torch's del resets to the default

    def __dir__(self):
        return sorted(self._values)

    def get_config_copy(self):
        return {k: _copy(v) for k, v in self._values.items()}

    def load_config(self, config):
        for k, v in dict(config).items():
            setattr(self, k, v)

    def patch(self, arg1=None, arg2=None, **kwargs):
        """Matches config.patch: a context manager and decorator setting options for a while."""
        changes = dict(kwargs)
        if isinstance(arg1, str):
            changes[arg1] = arg2
        elif isinstance(arg1, dict):
            changes.update(arg1)
        for k in changes:
            if k not in self._values:
                raise AttributeError(f"{self._name}.{k} does not exist")
        return _Patch(self, changes)


class _Patch:
    def __init__(self, config, changes):
        self.config, self.changes, self.saved = config, changes, []

    def __enter__(self):
        values = self.config._values
        self.saved.append({k: values[k] for k in self.changes})
        values.update(self.changes)

    def __exit__(self, *exc):
        self.config._values.update(self.saved.pop())

    def __call__(self, fn):
        @functools.wraps(fn)
        def patched(*args, **kwargs):
            with self:
                return fn(*args, **kwargs)
        return patched


def _copy(v):
    return type(v)(v) if isinstance(v, (list, dict, set)) else v


_defaults = dict(DYNAMO, debug_dir_root=os.path.join(os.getcwd(), "torch_compile_debug"),
                 base_dir=os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
config = _Config("torch._dynamo.config", _defaults)


class exc:
    """torch._dynamo.exc's exception classes."""

    from . import _InvalidBackend as InvalidBackend

    class TorchDynamoException(RuntimeError):
        pass

    class Unsupported(TorchDynamoException):
        pass


def is_compiling():
    return False


def is_dynamo_supported():
    return True  # as torch on CPU: torch.compile is accepted (and runs eagerly in ember)


def is_inductor_supported():
    return True


def list_backends(exclude_tags=("debug", "experimental")):
    """Matches torch.compiler.list_backends: torch 2.13's backend names (ember.compile accepts
    them and runs eagerly)."""
    return list(BACKENDS) if exclude_tags == ("debug", "experimental") else (
        list(ALL_BACKENDS) if not exclude_tags else _refuse_tags(exclude_tags))


def _refuse_tags(tags):
    unsupported("torch.compiler.list_backends", "exclude_tags", tags)


def reset():
    """Matches torch._dynamo.reset: clears compiled code, of which ember has none."""


def _callable(fn, message):
    if not callable(fn):
        raise AssertionError(message)
    return fn


def disable(fn=None, recursive=True, *, reason=None):
    """Matches torch._dynamo.disable: `fn` will never be compiled; eagerly it is a wrapper that
    calls `fn` (a module comes back as it is)."""
    if fn is None:
        return lambda f: disable(f, recursive, reason=reason)
    _callable(fn, "fn must be callable")
    from .nn import Module
    if isinstance(fn, Module):
        return fn

    @functools.wraps(fn)
    def _fn(*args, **kwargs):
        return fn(*args, **kwargs)
    _fn._torchdynamo_disable = True
    _fn._torchdynamo_disable_recursive = recursive
    _fn._torchdynamo_disable_msg = reason
    return _fn


def allow_in_graph(fn):
    if isinstance(fn, (list, tuple)):
        return [allow_in_graph(x) for x in fn]
    return _callable(fn, "allow_in_graph expects a callable")


def disallow_in_graph(fn):
    return _callable(fn, "disallow_in_graph expects a callable")


def forbid_in_graph(fn):
    if isinstance(fn, (list, tuple)):
        return [forbid_in_graph(x) for x in fn]
    _callable(fn, "forbid_in_graph applies only to callables")
    fn._dynamo_forbidden = True
    return fn


def nonstrict_trace(traceable_fn):
    return _callable(traceable_fn, "nonstrict_trace expects a callable")


def assume_constant_result(fn):
    fn._dynamo_marked_constant = True
    return fn


_SUBSTITUTED = set()


def substitute_in_graph(original_fn, *, can_constant_fold_through=False,
                        skip_signature_check=False):
    """Matches torch.compiler.substitute_in_graph: checks the signatures; what comes back bears
    the substitute's name and calls the original (only a compiler would call the substitute)."""
    import inspect

    def wrapper(traceable_fn):
        if original_fn in _SUBSTITUTED:
            raise ValueError(f"Duplicate dispatch rule for {original_fn}: already registered in "
                             "VariableBuilder's id dispatch map")
        if not skip_signature_check:
            try:
                a, b = inspect.signature(original_fn), inspect.signature(traceable_fn)
            except ValueError:
                a = b = None
            if a is not None and a != b:
                raise TypeError(f"Signature mismatch between {original_fn} and {traceable_fn}: "
                                f"{a} != {b}")

        @functools.wraps(traceable_fn)
        def wrapped(*args, **kwargs):
            return original_fn(*args, **kwargs)
        del wrapped.__wrapped__
        _SUBSTITUTED.add(original_fn)
        wrapped.__torch_dynamo_original__ = original_fn
        wrapped.__torch_dynamo_polyfill__ = traceable_fn
        wrapped.__torch_dynamo_can_constant_fold_through__ = can_constant_fold_through
        return wrapped
    return wrapper


def graph_break(msg=""):
    """Outside compilation, nothing to break."""


def mark_dynamic(t, index, *, min=None, max=None, specialize_on=None):
    """Matches torch._dynamo.mark_dynamic: records the dims on the tensor for a compiler (ember
    has none, so they change no result); a non-tensor fails as torch's does."""
    _mark(t, "_dynamo_dynamic_indices", index)
    if min is not None or max is not None:
        t._dynamo_dynamic_range = getattr(t, "_dynamo_dynamic_range", set()) | {(index, min, max)}
    if specialize_on is not None:
        t._specialize_on = {index: specialize_on}


def maybe_mark_dynamic(t, index):
    _mark(t, "_dynamo_weak_dynamic_indices", index)


def mark_static(t, index=None):
    if index is None:
        t._dynamo_marked_static = True
    else:
        _mark(t, "_dynamo_static_indices", index)


def mark_static_address(t, guard=True):
    from ._tensor import Tensor
    if not isinstance(t, Tensor):
        raise TypeError(f"mark_static_address expects a tensor but received {type(t)}")
    t._dynamo_static_input_type = "guarded" if guard else "unguarded"


def _mark(t, what, index):
    idx = {index} if isinstance(index, int) else set(index)
    setattr(t, what, getattr(t, what, set()) | idx)


class set_stance:
    """Matches torch.compiler.set_stance: records the stance (globally, or for a `with` block or
    a decorated function); ember always runs eagerly, as the 'force_eager' stance does."""

    _current = {"stance": "default", "skip_guard_eval_unsafe": False, "force_backend": None}

    def __init__(self, stance="default", *, skip_guard_eval_unsafe=False, force_backend=None):
        if force_backend is not None and stance != "default":
            raise RuntimeError("non-default stance cannot have force_backend set")
        self.new = {"stance": stance, "skip_guard_eval_unsafe": skip_guard_eval_unsafe,
                    "force_backend": force_backend}
        self.prev = dict(set_stance._current)
        set_stance._current.update(self.new)

    def __enter__(self):
        set_stance._current.update(self.new)

    def __exit__(self, *exc):
        set_stance._current.update(self.prev)

    def __call__(self, fn):
        set_stance._current.update(self.prev)  # as a decorator it applies only inside fn

        @functools.wraps(fn)
        def staged(*args, **kwargs):
            with self:
                return fn(*args, **kwargs)
        return staged


def optimize(*args, **kwargs):
    """torch._dynamo.optimize (torch.compile's older spelling): refused, use torch.compile."""
    raise EmberNotImplementedError("ember does not implement torch._dynamo.optimize yet: use "
                                   "torch.compile(model), which ember runs eagerly")


def run(fn=None):
    """Matches torch._dynamo.run: a wrapper running `fn` without compiling."""
    if fn is None:
        return run

    @functools.wraps(fn)
    def _fn(*args, **kwargs):
        return fn(*args, **kwargs)
    return _fn


def explain(f, *extra_args, **extra_kwargs):
    raise EmberNotImplementedError("ember does not implement torch._dynamo.explain yet: ember "
                                   "captures no graphs, so there are no graph breaks to explain")


def export(f, *extra_args, **extra_kwargs):
    raise EmberNotImplementedError("ember does not implement torch._dynamo.export yet: ember "
                                   "captures no graphs; keep the model as eager Python code")
