"""torch.nn.utils.stateless: call a module with some of its parameters and buffers replaced.

`_functional_call` is the one implementation: it swaps the given tensors into the module's
`_parameters` / `_buffers` (or through setattr for anything else, such as a parametrized
attribute), calls the module, and swaps the originals back even when the call raises.
`functional_call` here is torch's deprecated spelling (it warns); `_func_functional_call` is
torch.func.functional_call (one dict or a sequence of dicts), for ember.func to export.
"""

import contextlib
import warnings
from collections.abc import Sequence

from ..._compat import module_getattr as _module_getattr
from ..._tensor import Tensor

__all__ = ["functional_call"]
__getattr__ = _module_getattr(__name__)

_MISSING = object()


def _check_name(name, what="tensor"):
    if "." in name:
        raise KeyError(f"{what} name can't contain \".\"")
    if name == "":
        raise KeyError(f"{what} name can't be empty string \"\"")


def _swap_tensor(module, name, tensor):
    """Puts `tensor` (or removes the attribute, for _MISSING) under `name` in module and
    returns what was there (_MISSING when nothing was)."""
    if tensor is not _MISSING and tensor is not None and not isinstance(tensor, Tensor):
        raise TypeError(f"{tensor} is not an instance of torch.Tensor")
    _check_name(name)
    for members in (module._parameters, module._buffers):
        if name in members:
            orig = members[name]
            if tensor is _MISSING:
                del members[name]
            else:
                members[name] = tensor
            return orig
    orig = getattr(module, name) if hasattr(module, name) else _MISSING
    if orig is not _MISSING and orig is not None and not isinstance(orig, Tensor):
        raise TypeError(f"attribute `{name}`: {orig} is not an instance of torch.Tensor")
    if tensor is not _MISSING:
        setattr(module, name, tensor)
    elif hasattr(module, name):
        delattr(module, name)
    return orig


class _Accessor:
    """Reaches tensors by dotted name ("layer.0.weight"), caching the submodules it walks."""

    def __init__(self, module):
        self.module = module
        self.memo = {}

    def submodule(self, name):
        if not name:
            return self.module
        if name not in self.memo:
            prefix, _, attr = name.rpartition(".")
            parent = self.submodule(prefix)
            try:
                sub = getattr(parent, attr)
            except AttributeError as ex:
                raise AttributeError(f"{parent._get_name()} has no attribute `{attr}`") from ex
            from ..modules.module import Module
            if not isinstance(sub, Module):
                raise TypeError(f"submodule `{name}`: {sub} is not an instance of "
                                "torch.nn.Module")
            self.memo[name] = sub
        return self.memo[name]

    def swap(self, name, tensor):
        prefix, _, attr = name.rpartition(".")
        return _swap_tensor(self.submodule(prefix), attr, tensor)

    def swap_dict(self, named):
        """Swaps every entry in; on an error, everything swapped so far goes back."""
        done = {}
        try:
            for name, tensor in named.items():
                done[name] = self.swap(name, tensor)
        except Exception:
            for name, orig in done.items():
                self.swap(name, orig)
            raise
        return done


def _untie(module, given):
    """With tie_weights: a value given for one name of a tied tensor goes to all its names."""
    named = dict(module.named_parameters(remove_duplicate=False))
    named.update(module.named_buffers(remove_duplicate=False))
    by_tensor = {}
    for name, tensor in named.items():
        by_tensor.setdefault(id(tensor), set()).add(name)
    tied = {n: names for names in by_tensor.values() if len(names) > 1 for n in names}
    given_tied = {n for n in given if n in tied}
    for name in given_tied:
        names = tied[name]
        if len(names & given_tied) > 1 and len({id(given[n]) for n in names & given_tied}) != 1:
            raise ValueError(f"functional_call got multiple values for keys {sorted(names)}, "
                             "which are tied. Consider using tie_weights=False")
    untied = dict(given)
    for name in given_tied:
        for other in tied[name]:
            untied[other] = given[name]
    return untied


def _check_strict(module, keys):
    valid = {n for n, _ in module.named_parameters(remove_duplicate=False)}
    valid |= {n for n, _ in module.named_buffers(remove_duplicate=False)}
    missing, unexpected = sorted(valid - set(keys)), sorted(set(keys) - valid)
    msgs = []
    if unexpected:
        msgs.append(f"Unexpected key(s): {', '.join(map(repr, unexpected))}.")
    if missing:
        msgs.append(f"Missing key(s): {', '.join(map(repr, missing))}.")
    if msgs:
        raise RuntimeError("Error(s) in reparametrizing for {}:\n\t{}".format(
            module._get_name(), "\n\t".join(msgs)))


@contextlib.contextmanager
def _reparametrize_module(module, parameters_and_buffers, tie_weights=False, strict=False):
    """Inside the block, `module` sees `parameters_and_buffers`; afterwards its own tensors
    again, and the dict holds whatever the module left under those names."""
    untied = _untie(module, parameters_and_buffers) if tie_weights else parameters_and_buffers
    if strict:
        _check_strict(module, untied)
    accessor = _Accessor(module)
    originals = {}
    try:
        originals = accessor.swap_dict(untied)
        yield
    finally:
        current = accessor.swap_dict(originals)
        parameters_and_buffers.update({k: current[k] for k in parameters_and_buffers
                                       if k in current})


def _functional_call(module, parameters_and_buffers, args=None, kwargs=None, *,
                     tie_weights=True, strict=False):
    from ... import jit
    from ..parallel import DataParallel
    if jit.is_tracing() or jit.is_scripting() or \
            isinstance(module, (jit.RecursiveScriptModule, jit.ScriptModule, jit.ScriptFunction)):
        raise RuntimeError("The stateless API can't be used with Jitted modules")
    if isinstance(module, DataParallel):
        raise RuntimeError("The stateless API can't be used with nn.DataParallel module")
    kwargs = {} if kwargs is None else kwargs
    if args is None:
        args = ()
    elif not isinstance(args, tuple):
        args = (args,)
    with _reparametrize_module(module, parameters_and_buffers, tie_weights=tie_weights,
                               strict=strict):
        return module(*args, **kwargs)


def functional_call(module, parameters_and_buffers, args=None, kwargs=None, *,
                    tie_weights=True, strict=False):
    """Matches torch.nn.utils.stateless.functional_call (deprecated there, with its
    FutureWarning): calls module with the given parameters and buffers in place of its own."""
    warnings.warn("`torch.nn.utils.stateless.functional_call` is deprecated as of PyTorch 2.0 "
                  "and will be removed in a future version of PyTorch. Please use "
                  "`torch.func.functional_call` instead which is a drop-in replacement.",
                  FutureWarning, stacklevel=2)
    return _functional_call(module, parameters_and_buffers, args, kwargs,
                            tie_weights=tie_weights, strict=strict)


def _func_functional_call(module, parameter_and_buffer_dicts, args=None, kwargs=None, *,
                          tie_weights=True, strict=False):
    """torch.func.functional_call: one dict, or a sequence of dicts with distinct keys."""
    if isinstance(parameter_and_buffer_dicts, dict):
        merged = parameter_and_buffer_dicts
    elif isinstance(parameter_and_buffer_dicts, Sequence):
        if not all(isinstance(d, dict) for d in parameter_and_buffer_dicts):
            raise ValueError("Expected all elements of parameter_and_buffer_dicts to be "
                             "dictionaries")
        counts = {}
        for d in parameter_and_buffer_dicts:
            for k in d:
                counts[k] = counts.get(k, 0) + 1
        repeated = [k for k, n in counts.items() if n > 1]
        if repeated:
            raise ValueError(f"{repeated} appeared in multiple dictionaries; behavior of "
                             "functional call is ambiguous")
        merged = {k: v for d in parameter_and_buffer_dicts for k, v in d.items()}
    else:
        raise ValueError("Expected parameter_and_buffer_dicts to be a dict, or a list/tuple of "
                         f"dicts, but got {type(parameter_and_buffer_dicts)}")
    return _functional_call(module, merged, args, kwargs, tie_weights=tie_weights,
                            strict=strict)
