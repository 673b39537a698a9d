"""torch.compiler for a framework that runs eagerly: nothing is ever being compiled.

`is_compiling()` and friends answer False; `disable`, `allow_in_graph`, `set_stance` and the
other decorators behave as torch's do outside compilation (shared with ember._dynamo); `config`
keeps torch 2.13's option names and defaults. The guard-filter helpers are torch's functions of
guard entries. Loading compiled artifacts is refused: ember has none.
"""

import functools

from . import _dynamo
from ._args import EmberNotImplementedError
from ._compile_config import COMPILER
from ._dynamo import (
    allow_in_graph,
    assume_constant_result,
    disable,
    list_backends,
    reset,
    set_stance,
    substitute_in_graph,
)

__all__ = ["compile", "config", "assume_constant_result", "reset", "allow_in_graph",
           "substitute_in_graph", "list_backends", "disable", "set_default_backend",
           "get_default_backend", "set_stance", "set_enable_guard_collectives",
           "cudagraph_mark_step_begin", "load_compiled_function", "wrap_numpy", "is_compiling",
           "is_dynamo_compiling", "is_exporting", "save_cache_artifacts", "load_cache_artifacts",
           "keep_portable_guards_unsafe", "skip_guard_on_inbuilt_nn_modules_unsafe",
           "skip_guard_on_all_nn_modules_unsafe", "keep_tensor_guards_unsafe",
           "skip_guard_on_globals_unsafe", "skip_all_guards_unsafe", "nested_compile_region"]

config = _dynamo._Config("torch.compiler.config", COMPILER)
_STATE = {"backend": "inductor", "guard_collectives": False}


def compile(*args, **kwargs):
    """Matches torch.compiler.compile: torch.compile."""
    from . import compile as _compile
    return _compile(*args, **kwargs)


def is_compiling():
    return False


def is_dynamo_compiling():
    return False


def is_exporting():
    return False


def set_default_backend(backend):
    _STATE["backend"] = backend


def get_default_backend():
    return _STATE["backend"]


def set_enable_guard_collectives(enabled):
    """Matches torch: records the flag and answers whether it was set before."""
    previous, _STATE["guard_collectives"] = _STATE["guard_collectives"], bool(enabled)
    return previous


def cudagraph_mark_step_begin():
    """Marks a new iteration for CUDA graphs, which ember never records."""


def wrap_numpy(fn):
    """Matches torch.compiler.wrap_numpy: tensors in become NumPy arrays for `fn`, and the
    arrays `fn` returns (in tuples, lists, dicts) become tensors."""
    from ._tensor import Tensor
    from .ops.creation import from_numpy

    def convert(v, kind, make):
        if isinstance(v, kind):
            return make(v)
        if isinstance(v, (tuple, list)):
            return type(v)(convert(x, kind, make) for x in v)
        if isinstance(v, dict):
            return {k: convert(x, kind, make) for k, x in v.items()}
        return v

    import numpy as np

    @functools.wraps(fn)
    def wrap(*args, **kwargs):
        args, kwargs = convert((args, kwargs), Tensor, lambda t: t.numpy())
        return convert(fn(*args, **kwargs), np.ndarray, from_numpy)
    return wrap


def nested_compile_region(fn=None, *, options=None, max_reuse_entries=8, reuse_hash_fn=None):
    """Matches torch.compiler.nested_compile_region outside compilation: a wrapper calling fn."""
    if options is not None and not _dynamo.config.enable_invoke_subgraph_regional_compile:
        raise RuntimeError("nested_compile_region config is an experimental feature for testing "
                           "only.")
    if fn is None:
        return lambda f: nested_compile_region(f, options=options,
                                               max_reuse_entries=max_reuse_entries,
                                               reuse_hash_fn=reuse_hash_fn)

    @functools.wraps(fn)
    def region(*args, **kwargs):
        return fn(*args, **kwargs)
    region._max_reuse_entries, region._reuse_hash_fn = max_reuse_entries, reuse_hash_fn
    return region


def save_cache_artifacts():
    """Matches torch: None, as no compilation produced artifacts."""
    return None


def load_cache_artifacts(serialized_artifacts):
    raise EmberNotImplementedError("ember does not implement torch.compiler.load_cache_artifacts "
                                   "yet: ember compiles nothing, so it has no cache to load into")


def load_compiled_function(file, *, f_globals=None, external_data=None):
    raise EmberNotImplementedError("ember does not implement "
                                   "torch.compiler.load_compiled_function yet: it loads code "
                                   "compiled by torch's inductor, which ember cannot run")


# ---------------------------------------------------------------- guard filters (torch's rules)
def keep_portable_guards_unsafe(guard_entries):
    return [g.guard_type in ("GLOBAL_STATE", "SHAPE_ENV")
            or (g.guard_type == "TENSOR_MATCH" and not g.is_global) for g in guard_entries]


def skip_guard_on_inbuilt_nn_modules_unsafe(guard_entries):
    return [not e.orig_guard.source.is_unspecialized_builtin_nn_module() for e in guard_entries]


def skip_guard_on_all_nn_modules_unsafe(guard_entries):
    return [not e.orig_guard.source.is_unspecialized_nn_module() for e in guard_entries]


def keep_tensor_guards_unsafe(guard_entries, keep_parameters=False):
    from .nn import Parameter
    return [e.guard_type == "TENSOR_MATCH" and (keep_parameters
                                                or not isinstance(e.value, Parameter))
            for e in guard_entries]


def skip_guard_on_globals_unsafe(guard_entries):
    return [not e.is_global for e in guard_entries]


def skip_all_guards_unsafe(guard_entries):
    return [False for _ in guard_entries]
