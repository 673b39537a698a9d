"""torch.jit.trace and trace_module, run eagerly.

As torch does, trace runs the function (or the module's methods) on the example inputs with
`is_tracing()` True, checks the inputs and outputs are tensors or containers of tensors (with
torch's `strict` rules), and with `check_trace` runs it again on each check input, traced and as
plain Python, warning when the two disagree (nondeterminism, e.g. dropout in training mode).
What comes back calls the Python code again on each call: unlike torch's recorded graph,
data-dependent control flow is not frozen at the example's branch.
"""

import warnings

import numpy as np

from .._args import unsupported
from .._tensor import Tensor
from ..nn.modules.module import Module
from ._schema import Schema
from ._script import ScriptFunction, ScriptModule, _wrap_module

_TRACING = [0]


class TracerWarning(Warning):
    pass


class TracingCheckError(Exception):
    def __init__(self, graph_diff_error, tensor_compare_error, extra_msg=None):
        self.message = "Tracing failed sanity checks!\n"
        if extra_msg is not None:
            self.message += extra_msg + "\n"
        for e in (graph_diff_error, tensor_compare_error):
            if e is not None:
                self.message += e + "\n"
        super().__init__(self.message)


class TracedModule(ScriptModule):
    """torch.jit.TracedModule: a traced submodule."""

    def _get_name(self):
        return self.original_name

    def extra_repr(self):
        return f"original_name={self.original_name}"


class TopLevelTracedModule(TracedModule):
    """What torch.jit.trace returns for an nn.Module."""


def is_tracing():
    """True while ember's trace runs the traced code, as torch's."""
    return _TRACING[0] > 0


def _type_name(v):
    if isinstance(v, Tensor):
        return "Tensor"
    if isinstance(v, (list, tuple)):
        inner = ", ".join(_type_name(x) for x in v)
        return f"Tuple[{inner}]" if isinstance(v, tuple) else f"List[{_type_name(v[0])}]"
    if isinstance(v, dict):
        k, x = next(iter(v.items()))
        return f"Dict[{_type_name(k) if not isinstance(k, str) else 'str'}, {_type_name(x)}]"
    return type(v).__name__


def _tensors_only(v):
    if isinstance(v, Tensor):
        return True
    if isinstance(v, (list, tuple)):
        return all(_tensors_only(x) for x in v)
    if isinstance(v, dict):
        return all(_tensors_only(x) for x in v.values())
    return False


def _check_inputs(args):
    if not _tensors_only(args):
        raise RuntimeError(f"Type '{_type_name(args)}' cannot be traced. Only Tensors and "
                           "(possibly nested) Lists, Dicts, and Tuples of Tensors can be traced")


_CONTAINER = ("Encountering a {} at the output of the tracer might cause the trace to be "
              "incorrect, this is only valid if the container structure does not change based on "
              "the module's inputs. Consider using a constant container instead (e.g. for `list`, "
              "use a `tuple` instead. for `dict`, use a `NamedTuple` instead). If you absolutely "
              "need this and know the side effects, pass strict=False to trace() to allow this "
              "behavior.")


def _check_output(out, strict):
    if isinstance(out, Tensor):
        return
    if isinstance(out, dict):
        if strict:
            raise RuntimeError(_CONTAINER.format("dict"))
        items = out.values()
    elif isinstance(out, list):
        if strict:
            warnings.warn(_CONTAINER.format("list"), TracerWarning, stacklevel=3)
        items = out
    elif isinstance(out, tuple):
        items = out
    else:
        raise RuntimeError("Only tensors, lists, tuples of tensors, or dictionary of tensors can "
                           "be output from traced functions")
    for x in items:
        _check_output(x, False)


def _flat(out):
    if isinstance(out, Tensor):
        return [out]
    items = out.values() if isinstance(out, dict) else out
    return [t for x in items for t in _flat(x)]


def _run(fn, args, kwargs, tracing):
    _TRACING[0] += tracing
    try:
        return fn(*args, **kwargs)
    finally:
        _TRACING[0] -= tracing


def _check(fn, inputs, kwargs, tolerance, strict, api):
    """torch's trace check: trace again (warning and checking as the first trace did), then
    the traced run and the Python run must agree."""
    warnings.warn(f"`torch.jit.{api}` is deprecated. Please switch to `torch.compile` or "
                  "`torch.export`.", DeprecationWarning)  # torch: stacklevel 1
    traced = _run(fn, inputs, kwargs, 1)
    if api == "trace":
        _check_output(traced, strict)
    traced, plain = _flat(traced), _flat(_run(fn, inputs, kwargs, 0))
    for i, (a, b) in enumerate(zip(traced, plain)):
        x, y = a.detach().numpy(), b.detach().numpy()
        if x.shape == y.shape and np.allclose(x, y, rtol=tolerance, atol=tolerance,
                                              equal_nan=True):
            continue
        bad = ~np.isclose(x, y, rtol=tolerance, atol=tolerance, equal_nan=True) \
            if x.shape == y.shape else np.ones(1, bool)
        warnings.warn(f"Output nr {i + 1}. of the traced function does not match the "
                      "corresponding output of the Python function. Detailed error:\n"
                      f"Tensor-likes are not close!\n\nMismatched elements: {int(bad.sum())} / "
                      f"{bad.size}", TracerWarning, stacklevel=3)
        return


def _as_inputs(example):
    if isinstance(example, (Tensor, dict)):
        return (example,)
    return tuple(example)


def _refuse_private(api, force_outplace, module_class, compilation_unit, store_inputs):
    for name, value, ok in (("_force_outplace", force_outplace, False),
                            ("_module_class", module_class, None),
                            ("_compilation_unit", compilation_unit, None),
                            ("_store_inputs", store_inputs, True)):
        if value is not ok:
            unsupported(api, name, value)


def trace(func, example_inputs=None, optimize=None, check_trace=True, check_inputs=None,
          check_tolerance=1e-05, strict=True, _force_outplace=False, _module_class=None,
          _compilation_unit=None, example_kwarg_inputs=None, _store_inputs=True):
    """Matches torch.jit.trace; the result reruns `func` eagerly on each call."""
    warnings.warn("`torch.jit.trace` is deprecated. Please switch to `torch.compile` or "
                  "`torch.export`.", DeprecationWarning)  # torch: stacklevel 1
    if optimize is not None:
        warnings.warn("`optimize` is deprecated and has no effect. Use `with "
                      "torch.jit.optimized_execution()` instead", FutureWarning, stacklevel=2)
    _refuse_private("torch.jit.trace", _force_outplace, _module_class, _compilation_unit,
                    _store_inputs)
    if isinstance(func, ScriptModule):
        return func
    if isinstance(func, Module):
        inputs = example_kwarg_inputs if example_kwarg_inputs is not None else example_inputs
        return trace_module(func, {"forward": inputs}, None, check_trace,
                            _method_inputs(check_inputs), check_tolerance, strict,
                            example_inputs_is_kwarg=example_kwarg_inputs is not None)
    if example_kwarg_inputs is not None:
        if not isinstance(example_kwarg_inputs, dict):
            raise TypeError("example_kwarg_inputs should be a dict")
        args, kwargs = (), example_kwarg_inputs
    else:
        args, kwargs = _as_inputs(example_inputs), {}
    _check_inputs(args + tuple(kwargs.values()))
    _check_output(_run(func, args, kwargs, 1), strict)
    if check_trace:
        for inputs in (check_inputs or [args]):
            _check(func, _as_inputs(inputs), kwargs if check_inputs is None else {},
                   check_tolerance, strict, "trace")
    schema = Schema(func)
    schema.params = [(n, Tensor, False, d) for n, _t, _i, d in schema.params]
    return ScriptFunction(func, schema, scripted=False)


def _method_inputs(check_inputs):
    return None if check_inputs is None else [{"forward": c} for c in check_inputs]


def trace_module(mod, inputs, optimize=None, check_trace=True, check_inputs=None,
                 check_tolerance=1e-05, strict=True, _force_outplace=False, _module_class=None,
                 _compilation_unit=None, example_inputs_is_kwarg=False, _store_inputs=True):
    """Matches torch.jit.trace_module: runs each named method on its example inputs."""
    warnings.warn("`torch.jit.trace_method` is deprecated. Please switch to `torch.compile` or "
                  "`torch.export`.", DeprecationWarning)  # torch: stacklevel 1
    if optimize is not None:
        warnings.warn("`optimize` is deprecated and has no effect. Use `with "
                      "torch.jit.optimized_execution()` instead", FutureWarning, stacklevel=2)
    _refuse_private("torch.jit.trace_module", _force_outplace, _module_class, _compilation_unit,
                    _store_inputs)
    if not isinstance(mod, Module):
        raise AttributeError("expected torch.nn.Module as the first argument")
    if not isinstance(inputs, dict):
        raise AttributeError("expected a dictionary of (method_name, input) pairs")
    traced = _wrap_module(mod, TopLevelTracedModule, TracedModule)
    for name, example in inputs.items():
        method = getattr(traced, name)
        if example_inputs_is_kwarg:
            args, kwargs = (), dict(example)
        else:
            args, kwargs = _as_inputs(example), {}
        _check_inputs(args + tuple(kwargs.values()))
        _check_output(_run(method, args, kwargs, 1), strict)
        if check_trace:
            checks = [c[name] for c in check_inputs] if check_inputs else [example]
            for c in checks:
                a, k = ((), dict(c)) if example_inputs_is_kwarg else (_as_inputs(c), {})
                _check(method, a, k, check_tolerance, strict, "trace_method")
    return traced
