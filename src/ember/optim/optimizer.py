"""Optimizer: parameter groups, per-parameter state, state_dict and hooks, shaped like torch's.

A subclass gives its defaults and writes one `_update(p, g, state, group)` on arrays: `p` is the
parameter's array, changed in place, `g` its gradient's array (never written), `state` the dict of
Tensors kept for it. Updates follow torch's single-tensor CPU path op for op, rounding as torch
does (Python-float hyperparameters cast to the array dtype, bias corrections in double), and take
temporaries from `_tmp`, so a step allocates nothing after the first. torch fuses multiply-adds
on the CPU and its float32 sqrt is not correctly rounded, so results agree to a few ulps, not bit
for bit. The base class owns groups, lazy state creation, version bumps and the state_dict format.
Because updates record no graph, a step refuses `differentiable=True` (torch records one).
"""

import functools
import typing
import warnings
from collections import OrderedDict, defaultdict
from copy import deepcopy
from itertools import chain

import numpy as np

from .. import _dtype as D
from .. import _fma
from .._args import unsupported
from .._device import array_module as _xp
from .._tensor import Tensor, _wrap
from ..autograd.grad_mode import enable_grad
from ..utils.hooks import add_hook as _add_hook
from . import _batched

__all__ = ["Optimizer", "register_optimizer_step_pre_hook", "register_optimizer_step_post_hook"]

_global_pre_hooks = OrderedDict()
_global_post_hooks = OrderedDict()


class _RequiredParameter:
    """The default of a hyperparameter that every group must give."""

    def __repr__(self):
        return "<required parameter>"


required = _RequiredParameter()


def register_optimizer_step_pre_hook(hook):
    """Registers hook(optimizer, args, kwargs) to run before every optimizer's step."""
    return _add_hook(_global_pre_hooks, hook)


def register_optimizer_step_post_hook(hook):
    """Registers hook(optimizer, args, kwargs) to run after every optimizer's step."""
    return _add_hook(_global_post_hooks, hook)


def _torch_module(module):
    """ember's module path as torch's, for error messages that name a type."""
    if module == "ember._tensor":
        return "torch"
    return "torch" + module[5:] if module.startswith("ember.") else module


def _typename(obj):
    if isinstance(obj, Tensor):
        return obj.type()
    module = getattr(obj, "__module__", "") or ""
    qualname = getattr(obj, "__qualname__", None) or getattr(obj, "__name__", None)
    if qualname is None:
        module, qualname = type(obj).__module__ or "", type(obj).__qualname__
    module = _torch_module(module)
    return qualname if module in ("", "builtins") else module + "." + qualname


def _type_repr(obj):
    cls = type(obj)
    module = _torch_module(cls.__module__)
    name = cls.__qualname__ if module == "builtins" else module + "." + cls.__qualname__
    return f"<class '{name}'>"


def _scalar_dtype():
    return np.float64 if D.get_default_dtype() is D.float64 else np.float32


def _scalar(value):
    """A 0-d state Tensor (`step`, `mu_product`) in torch's scalar dtype."""
    return _wrap(np.array(value, dtype=_scalar_dtype()))


def _full_like(p, value=0):
    a = np.zeros_like(p) if p.__class__ is np.ndarray else _xp(p).zeros_like(p)
    if value:
        a.fill(value)
    return _wrap(a)


def _advance(state):
    """Adds one to state['step'] in place (as torch's `step_t += 1`) and returns it as a float."""
    s = state["step"]._data
    s += 1
    return float(s)


def _check_lr(lr):
    if isinstance(lr, Tensor) and lr.numel() != 1:
        raise ValueError("Tensor lr must be 1-element")
    if not 0.0 <= lr:
        raise ValueError(f"Invalid learning rate: {lr}")


def _check_nonneg(name, value):
    if not 0.0 <= value:
        raise ValueError(f"Invalid {name} value: {value}")


def _check_betas(betas):
    for i in (0, 1):
        if not 0.0 <= betas[i] < 1.0:
            raise ValueError(f"Invalid beta parameter at index {i}: {betas[i]}")


def _check_adam_args(lr, eps, betas, weight_decay):
    """The Adam family's argument checks, in torch's order."""
    _check_lr(lr)
    _check_nonneg("epsilon", eps)
    _check_betas(betas)
    _check_nonneg("weight_decay", weight_decay)


def _hooked(step, cls):
    """Wraps a class's step so that global and per-instance step hooks run around it."""
    # torch's optimizers each define step, so its messages name the class's own
    shown = (f"<function {cls.__qualname__}.step at {hex(id(step))}>"
             if step.__qualname__ == "Optimizer.step" else str(step))

    @functools.wraps(step)
    def wrapper(*args, **kwargs):
        self = args[0]  # torch's hooks see the whole call, self included, as `args`
        for pre in chain(_global_pre_hooks.values(), self._optimizer_step_pre_hooks.values()):
            result = pre(self, args, kwargs)
            if result is not None:
                if isinstance(result, tuple) and len(result) == 2:
                    args, kwargs = result
                else:
                    raise RuntimeError(f"{shown} must return None or a tuple of (new_args, "
                                       f"new_kwargs), but got {result}.")
        out = step(*args, **kwargs)
        for post in chain(self._optimizer_step_post_hooks.values(), _global_post_hooks.values()):
            post(self, args, kwargs)
        return out

    wrapper.hooked = True
    return wrapper


# ---- torch's module-level helpers that custom optimizers import (timm's, for one)
ParamsT = typing.Union[typing.Iterable[Tensor], typing.Iterable[typing.Dict[str, typing.Any]],
                       typing.Iterable[typing.Tuple[str, Tensor]]]


def _use_grad_for_differentiable(func):
    """torch's step decorator: runs `func` with grad mode set to the optimizer's
    defaults['differentiable'], restoring the caller's mode after."""
    from ..autograd import grad_mode

    @functools.wraps(func)
    def _use_grad(*args, **kwargs):
        prev = grad_mode.is_grad_enabled()
        try:
            grad_mode.set_grad_enabled(args[0].defaults["differentiable"])
            return func(*args, **kwargs)
        finally:
            grad_mode.set_grad_enabled(prev)
    return _use_grad


_PRIVATEUSE1 = "privateuseone"  # torch's name for an out-of-tree backend nobody registered


def _default_to_fused_or_foreach(params, differentiable, use_fused=False):
    """torch's choice of (fused, foreach) kernels: fused where asked and every tensor is a
    floating plain Tensor/Parameter on a fused device (the CPU is one); foreach kernels exist
    only on accelerators."""
    if differentiable:
        return False, False
    from ..nn.parameter import Parameter
    plain = (Tensor, Parameter)
    fused = use_fused and all(p is None or (type(p) in plain and p.device.type in (
        "mps", "cuda", "xpu", "hpu", "cpu", "mtia", _PRIVATEUSE1) and p.is_floating_point())
        for p in params)
    foreach = not fused and all(p is None or (type(p) in plain and p.device.type in (
        "cuda", "xpu", "mtia", _PRIVATEUSE1)) for p in params)
    return fused, foreach


def _get_capturable_supported_devices(supports_xla=True):
    """torch's list of device types whose optimizers can be captured in CUDA graphs."""
    return ["cuda", "xpu", "hpu", _PRIVATEUSE1] + (["xla"] if supports_xla else [])


def _group_by_device_and_dtype(tensorlistlist, with_indices=False):
    """torch's grouping of parallel tensor lists by the (device, dtype) of the first list's
    tensors: {(device, dtype): (lists, indices)}, indices only when asked."""
    n = len(tensorlistlist[0])
    if not all(len(tl) in (n, 0) for tl in tensorlistlist):
        raise RuntimeError("Expected all tensor lists to have the same number of tensors (or "
                           "none), but got lists of sizes "
                           f"{[len(tl) for tl in tensorlistlist]}")
    groups = {}
    for i, t in enumerate(tensorlistlist[0]):
        lists, idx = groups.setdefault((t.device, t.dtype), ([[] for _ in tensorlistlist], []))
        for out, tl in zip(lists, tensorlistlist):
            if tl:
                out.append(tl[i])
        if with_indices:
            idx.append(i)
    return groups


class Optimizer:
    """Matches torch.optim.Optimizer."""

    _group_tensors_by_device_and_dtype = staticmethod(_group_by_device_and_dtype)

    def __init__(self, params, defaults):
        self.defaults = defaults
        self._init_hooks()
        if isinstance(params, Tensor):
            raise TypeError("params argument given to the optimizer should be an iterable of "
                            "Tensors or dicts, but got " + _typename(params))
        self.state = defaultdict(dict)
        self.param_groups = []
        param_groups = list(params)
        if len(param_groups) == 0:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(param_groups[0], dict):
            param_groups = [{"params": param_groups}]
        for group in param_groups:
            self.add_param_group(group)

    def _init_hooks(self):
        for name in ("step_pre", "step_post", "state_dict_pre", "state_dict_post",
                     "load_state_dict_pre", "load_state_dict_post"):
            self.__dict__.setdefault(f"_optimizer_{name}_hooks", OrderedDict())
        self._scratch, self._flat = {}, {}
        cls = type(self)
        if not getattr(cls.step, "hooked", False):
            cls.step = _hooked(cls.step, cls)

    def __getstate__(self):
        return {"defaults": self.defaults, "state": self.state,
                "param_groups": self.param_groups}

    def __setstate__(self, state):
        self.__dict__.update(state)
        self._init_hooks()
        for group in self.param_groups:
            for key, value in self.defaults.items():
                group.setdefault(key, value)
            for p in group["params"]:
                s = self.state.get(p)
                if s and "step" in s and not isinstance(s["step"], Tensor):
                    s["step"] = _scalar(float(s["step"]))
        self.defaults.setdefault("differentiable", False)  # torch's; groups do not get it

    def __repr__(self):
        text = type(self).__name__ + " ("
        for i, group in enumerate(self.param_groups):
            text += f"\nParameter Group {i}\n"
            for key in sorted(group):
                if key != "params":
                    text += f"    {key}: {group[key]}\n"
        return text + ")"

    # ---- groups ----
    def add_param_group(self, param_group):
        """Adds a dict of params (and per-group options) to `param_groups`."""
        if not isinstance(param_group, dict):
            raise TypeError(f"param_group must be a dict, but got {_type_repr(param_group)}")
        tensors = _unpack_params(param_group)
        for p in tensors:
            if not isinstance(p, Tensor):
                raise TypeError("optimizer can only optimize Tensors, but one of the params is "
                                + _typename(p))
            if not self.defaults.get("differentiable", None) and not (p.is_leaf
                                                                      or p.retains_grad):
                raise ValueError("can't optimize a non-leaf Tensor")
        for name, default in self.defaults.items():
            if default is required and name not in param_group:
                raise ValueError("parameter group didn't specify a value of required "
                                 f"optimization parameter {name}")
            param_group.setdefault(name, default)
        if len(tensors) != len(set(tensors)):
            warnings.warn("optimizer contains a parameter group with duplicate parameters; in "
                          "future, this will cause an error; see "
                          "github.com/pytorch/pytorch/issues/40967 for more information",
                          stacklevel=3)
        seen = set()
        for group in self.param_groups:
            seen.update(group["params"])
            if ("param_names" in param_group) != ("param_names" in group):
                kind = "with names" if "param_names" in param_group else "without names"
                raise ValueError("all optimizer param groups should be with/without names. "
                                 f"cannot add param group {kind} to the optimizer")
        if not seen.isdisjoint(tensors):
            raise ValueError("some parameters appear in more than one parameter group")
        self.param_groups.append(param_group)

    # ---- stepping ----
    def zero_grad(self, set_to_none=True):
        """Sets every parameter's grad to None, or to zeros in place."""
        for group in self.param_groups:
            for p in group["params"]:
                g = p.grad
                if g is None:
                    continue
                if set_to_none:
                    p.grad = None
                else:
                    if g.grad_fn is not None:
                        g.detach_()
                    else:
                        g.requires_grad_(False)
                    g._data[...] = 0
                    g._bump()

    def step(self, closure=None):
        """One update of every parameter that has a grad; returns closure()'s loss if given."""
        if any(group.get("differentiable") for group in self.param_groups):
            # the updates run on arrays in place and record no graph
            unsupported(f"torch.optim.{type(self).__name__}", "differentiable", True)
        loss = None
        if closure is not None:
            with enable_grad():
                loss = closure()
        states = self.state
        for group in self.param_groups:
            if group.get("capturable"):
                self._check_capturable(group)
            stateful = self._uses_state(group)
            batches = {} if self._batchable and not group.get("capturable") else None
            for p in group["params"]:
                g = p.grad
                if g is None:
                    continue
                state = None
                if stateful:
                    state = states[p]
                    if not state:
                        self._init_state(p._data, state, group)
                if batches is not None:  # small parameters: stepped together below
                    key = _batched.key(p._data, g._data, state)
                    if key is not None:
                        batches.setdefault(key, []).append((p, g._data, state))
                        continue
                self._update(p._data, g._data, state, group)
                p._vc[0] += 1
            for items in chain.from_iterable(map(_batched.chunks, batches.values())) \
                    if batches else ():
                if len(items) > 1:
                    _batched.step_batched(self, group, items)
                else:
                    self._update(items[0][0]._data, items[0][1], items[0][2], group)
                for p, _, _ in items:
                    p._vc[0] += 1
        return loss

    # an elementwise `_update` (its results at each position depend only on that position of the
    # parameter, gradient and state): small parameters go through it together (optim/_batched)
    _batchable = False

    def _uses_state(self, group):
        return True

    _CAPTURED = "params and state_steps"  # what torch's capturable check names
    _CAPTURE_XLA = True

    def _check_capturable(self, group):
        """torch's check: capturable=True only where CUDA graphs could capture the step (not on
        the CPU), over the parameters that have a grad."""
        ok = _get_capturable_supported_devices(self._CAPTURE_XLA)
        if any(p.grad is not None and p.device.type not in ok for p in group["params"]):
            raise AssertionError(f"If capturable=True, {self._CAPTURED} must be on supported "
                                 f"devices: {ok}.")

    def _init_state(self, p, state, group):
        """Fills an empty state dict before a parameter's first update."""

    def _update(self, p, g, state, group):
        raise NotImplementedError

    def _tmp(self, like, k=0):
        """Scratch array k shaped like `like`: a view of one flat buffer per (dtype, k), sized
        for the largest parameter, so scratch costs a few parameters' worth, not the model's."""
        view = self._scratch.get((like.shape, like.dtype, like.__class__, k))
        return view if view is not None else self._new_tmp(like, k)

    def _new_tmp(self, like, k):
        kind = (like.dtype, like.__class__, k)
        flat = self._flat.get(kind)
        if flat is None or flat.size < like.size:
            xp = np if like.__class__ is np.ndarray else _xp(like)
            flat = self._flat[kind] = xp.empty(like.size, like.dtype)
            self._scratch = {key: v for key, v in self._scratch.items() if key[1:] != kind}
        view = flat[:like.size].reshape(like.shape)
        self._scratch[(like.shape,) + kind] = view
        return view

    def _grad(self, p, g, group, weight_decay=None):
        """The gradient after `maximize` and L2 weight decay (torch: g + weight_decay * p)."""
        if group["maximize"]:
            g = np.negative(g, out=self._tmp(g, 0))
        wd = group["weight_decay"] if weight_decay is None else weight_decay
        if wd != 0:  # torch: grad.add(param, alpha=weight_decay), one rounding
            g = self._plus(g, p, wd, 0)
        return g

    def _plus(self, a, b, alpha, k):
        """a + alpha * b rounded once (torch's a.add(b, alpha=alpha)), in scratch array k."""
        t = self._tmp(b, k)
        if t is not a:
            t[...] = a
        _fma.fma_(t, b, alpha)
        return t

    def _adam_grad(self, p, g, group, lr):
        """`_grad` for the Adam family: with group['decoupled_weight_decay'] the decay shrinks p
        (torch: p *= 1 - lr * weight_decay) and is not added to the gradient."""
        wd = float(group["weight_decay"])
        if wd != 0 and group["decoupled_weight_decay"]:
            p *= 1 - lr * wd
            wd = 0
        return self._grad(p, g, group, wd)

    def _adam_moments_(self, m, v, g, beta1, beta2):
        """Adam's moments in place: m = lerp(m, g, 1 - beta1); v = beta2 * v + (1 - beta2) g^2."""
        self._lerp_(m, g, 1 - beta1)
        v *= beta2
        self._addcmul_(v, g, g, 1 - beta2)

    def _lerp_(self, a, b, w):
        """a.lerp_(b, w) as torch's kernel: fma(w, b - a, a) for |w| < 0.5, else
        fma(w - 1, b - a, b); w is cast to a's dtype first (float for the half types)."""
        d = np.subtract(b, a, out=self._tmp(a, 2))
        w = a.dtype.type(w) if a.dtype.kind == "f" and a.dtype.itemsize > 2 else np.float32(w)
        if abs(w) < 0.5:
            _fma.fma_(a, d, w)
        else:
            a[...] = b
            _fma.fma_(a, d, w - 1)

    def _fma_(self, p, g, alpha):
        """p.add_(g, alpha=alpha): torch's kernel is one fused multiply-add (ember._fma)."""
        _fma.fma_(p, g, alpha)

    def _addcmul_(self, a, b, c, value, k=3):
        """a.addcmul_(b, c, value): a + (value * b) * c, the last multiply and the add fused."""
        t = np.multiply(b, float(value), out=self._tmp(a, k))
        _fma.fma3_(a, t, c)

    def _addcdiv_(self, a, b, c, value, k=3):
        """a.addcdiv_(b, c, value): a + (value * b) / c."""
        t = np.multiply(b, float(value), out=self._tmp(a, k))
        t /= c
        a += t

    # ---- hooks ----
    def register_step_pre_hook(self, hook):
        return _add_hook(self._optimizer_step_pre_hooks, hook)

    def register_step_post_hook(self, hook):
        return _add_hook(self._optimizer_step_post_hooks, hook)

    def register_state_dict_pre_hook(self, hook, prepend=False):
        return _add_hook(self._optimizer_state_dict_pre_hooks, hook, prepend)

    def register_state_dict_post_hook(self, hook, prepend=False):
        return _add_hook(self._optimizer_state_dict_post_hooks, hook, prepend)

    def register_load_state_dict_pre_hook(self, hook, prepend=False):
        return _add_hook(self._optimizer_load_state_dict_pre_hooks, hook, prepend)

    def register_load_state_dict_post_hook(self, hook, prepend=False):
        return _add_hook(self._optimizer_load_state_dict_post_hooks, hook, prepend)

    # ---- state_dict ----
    def state_dict(self):
        """{'state': {index: {...}}, 'param_groups': [{..., 'params': [index, ...]}]}, as torch."""
        for hook in self._optimizer_state_dict_pre_hooks.values():
            hook(self)
        index = {}
        groups = []
        for group in self.param_groups:
            packed = {k: v for k, v in group.items() if k != "params"}
            start = len(index)
            for i, p in enumerate(group["params"], start):
                index.setdefault(id(p), i)
            packed["params"] = [index[id(p)] for p in group["params"]]
            groups.append(packed)
        state = {(index[id(k)] if isinstance(k, Tensor) else k): v
                 for k, v in self.state.items()}
        out = {"state": state, "param_groups": groups}
        for hook in self._optimizer_state_dict_post_hooks.values():
            result = hook(self, out)
            if result is not None:
                out = result
        return out

    def load_state_dict(self, state_dict):
        """Loads state_dict() output (ember's or torch's structure) onto these parameters."""
        state_dict = state_dict.copy()
        for hook in self._optimizer_load_state_dict_pre_hooks.values():
            result = hook(self, state_dict)
            if result is not None:
                state_dict = result
        groups = self.param_groups
        saved = deepcopy(state_dict["param_groups"])
        if len(groups) != len(saved):
            raise ValueError("loaded state dict has a different number of parameter groups")
        if any(len(g["params"]) != len(s["params"]) for g, s in zip(groups, saved)):
            raise ValueError("loaded state dict contains a parameter group that doesn't match "
                             "the size of optimizer's group")
        id_map = dict(zip(chain.from_iterable(s["params"] for s in saved),
                          chain.from_iterable(g["params"] for g in groups)))
        state = defaultdict(dict)
        for k, v in state_dict["state"].items():
            if k in id_map:
                p = id_map[k]
                state[p] = _cast(p, v, _group_flags(state_dict["param_groups"], k))
            else:
                state[k] = v
        new_groups = []
        for g, s in zip(groups, saved):
            s["params"] = g["params"]
            if "param_names" in g and "param_names" not in s:
                s["param_names"] = g["param_names"]
            new_groups.append(s)
        self.__setstate__({"state": state, "param_groups": new_groups})
        for hook in self._optimizer_load_state_dict_post_hooks.values():
            hook(self)


def _unpack_params(param_group):
    """Normalizes group['params'] to a list of tensors, moving (name, tensor) names aside."""
    params = param_group["params"]
    if isinstance(params, Tensor):
        params = [params]
    elif isinstance(params, set):
        raise TypeError("optimizer parameters need to be organized in ordered collections, but "
                        "the ordering of tensors in sets will change between runs. Please use a "
                        "list instead.")
    params = list(params)
    names = [p[0] for p in params if isinstance(p, tuple)]
    tensors = [p[1] if isinstance(p, tuple) else p for p in params]
    param_group["params"] = tensors
    if names:
        if len(names) != len(tensors):
            raise ValueError("all optimizer params should be with/without names. Some param "
                             "names are missing")
        param_group["param_names"] = names
    return tensors


def _group_flags(groups, index):
    for g in groups:
        if index in g["params"]:
            return bool(g.get("fused", False) or g.get("capturable", False))
    return False


def _cast(param, value, step_to_float32, key=None):
    """Torch's rule: state tensors take the parameter's dtype and device, except `step`."""
    if isinstance(value, Tensor):
        if key == "step":
            return value.to(dtype=D.float32, device=param.device) if step_to_float32 else value
        if param.is_floating_point():
            return value.to(dtype=param.dtype, device=param.device)
        return value.to(device=param.device)
    if isinstance(value, dict):
        return {k: _cast(param, v, step_to_float32, k) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_cast(param, v, step_to_float32) for v in value)
    return value
