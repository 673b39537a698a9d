"""The unread-parameter scan: every public signature honours or refuses each parameter.

A parameter that the function body never loads (in its own bytecode, or in a nested function that
closes over it) is accepted and silently ignored, which is the bug this scan exists to catch. It
scans top-level functions, Tensor methods, nn.functional, nn modules, init and utils, optim and
its schedulers, utils.data, linalg, autograd, vision and serialization. A function that passes
`locals()` on reads everything; a `**kwargs` parameter must itself be read (passed on).

`KNOWN` lists the parameters that are unread on purpose, each with the reason it cannot change a
result on this backend. Non-default values that would change results must still be refused
(`ember._args.refuse_if`), so those parameters are read and do not appear here. A new unread
parameter fails `test_no_unread_parameter`; an entry that is read now fails
`test_known_table_is_current`, so the table only shrinks.
"""

import dis
import importlib
import inspect
import types

import ember

_MODULES = ("nn.functional", "nn", "nn.init", "nn.utils", "nn.utils.rnn", "optim",
            "optim.lr_scheduler", "utils.data", "linalg", "autograd", "random", "vision.transforms",
            "vision.transforms.functional", "vision.datasets", "vision.models", "vision.utils",
            "serialization", "cuda", "special", "fft")

# reasons an unread parameter is harmless here
_PIN = "page-locked host memory only speeds host-to-GPU copies: the tensor is the same"
_SYNC = "ember's copies are synchronous, so non_blocking cannot change the result"
_TORCH_TOO = "torch's own signature ignores it too (kept for compatibility)"
_ABSTRACT = "the base method raises for every call; subclasses read it"
_NEW = "read by __new__, which builds the object"
_NO_DEVICE_STATE = "ember has no per-device state: every device draws from the CPU generator"
_CALLER = "torch's private arguments, only used to word torch's own error messages"
_FOREACH = "foreach only picks torch's multi-tensor kernel; the values are the same"

KNOWN = {
    "torch.tensor": {"pin_memory": _PIN},
    "Tensor.copy_": {"non_blocking": _SYNC},
    "Tensor.cuda": {"non_blocking": _SYNC},
    "Tensor.to": {"non_blocking": _SYNC},
    "Tensor.type": {"non_blocking": _SYNC},
    "torch.nn.Identity.__init__": {"args": _TORCH_TOO, "kwargs": _TORCH_TOO},
    "torch.nn.Module.forward": {"input": _ABSTRACT},
    "torch.nn.Module.set_extra_state": {"state": _ABSTRACT},
    "torch.nn.Parameter.__init__": {"data": _NEW, "requires_grad": _NEW},
    "torch.random.fork_rng": {"devices": _NO_DEVICE_STATE, "device_type": _NO_DEVICE_STATE,
                              "_caller": _CALLER, "_devices_kw": _CALLER},
    "torch.cuda.manual_seed": {"seed": _NO_DEVICE_STATE},
    "torch.cuda.manual_seed_all": {"seed": _NO_DEVICE_STATE},
    "torch.nn.utils.clip_grad_value_": {"foreach": _FOREACH},
    "torch.nn.utils.clip_grads_with_norm_": {"foreach": _FOREACH},
    "torch.nn.utils.get_total_norm": {"foreach": _FOREACH},
    "torch.autograd.Function.forward": {"ctx": _ABSTRACT, "args": _ABSTRACT, "kwargs": _ABSTRACT},
    "torch.autograd.Function.backward": {"ctx": _ABSTRACT, "grad_outputs": _ABSTRACT},
    "torch.unique": {"sorted": "torch's CPU and CUDA kernels return sorted values either way"},
    "torch.topk": {"sorted": "sorted=False leaves the order unspecified (torch's own depends on "
                             "its selection algorithm); the sorted order is one valid answer"},
}

# Still ignored, to be honoured or refused by the engineer who owns the file. Every entry here is
# a bug; the table only shrinks.
_TODO = "ignored: to honour or refuse"
TODO = {
    "torch.compile": ["kw"], "torch.tril_indices": ["device"], "torch.triu_indices": ["device"],
    "torch.use_deterministic_algorithms": ["mode", "warn_only"],
    "torch.autograd.gradcheck": ["kw"],
    "torch.autograd.gradgradcheck": ["kw"], "torch.cuda.get_device_name": ["device"],
    "torch.cuda.synchronize": ["device"],
    "torch.autograd.grad": ["only_inputs", "is_grads_batched"],
}
for _k, _ps in TODO.items():
    KNOWN.setdefault(_k, {}).update(dict.fromkeys(_ps, _TODO))


def _reads(code):
    """Names the code loads, plus the free names its nested functions load."""
    names = set()
    for ins in dis.get_instructions(code):
        if ins.opname.startswith("LOAD_") or ins.opname == "DELETE_FAST":
            v = ins.argval
            if isinstance(v, tuple):
                names.update(v)
            elif isinstance(v, str):
                names.add(v)
            if ins.opname == "LOAD_GLOBAL" and v == "locals":
                names.add("<locals>")
    for c in code.co_consts:
        if isinstance(c, types.CodeType):
            names |= {n for n in _reads(c) if n in c.co_freevars or n == "<locals>"}
    return names


def unread_parameters(fn):
    """The parameters of `fn` that its body never reads ([] when it passes on locals())."""
    code = inspect.unwrap(fn).__code__
    reads = _reads(code)
    if "<locals>" in reads:
        return []
    n = code.co_argcount + code.co_kwonlyargcount
    params = list(code.co_varnames[:n])
    for flag in (inspect.CO_VARARGS, inspect.CO_VARKEYWORDS):
        if code.co_flags & flag:
            params.append(code.co_varnames[n])
            n += 1
    return [p for p in params if p not in reads and p not in ("self", "cls")]


def _ours(obj):
    m = getattr(inspect.unwrap(obj), "__module__", None) or ""
    return m == "ember" or m.startswith("ember.")


def public_functions():
    """{public name: function}, each code object once (under its first name in scan order)."""
    seen, out = set(), {}

    def add(key, fn):
        code = getattr(inspect.unwrap(fn), "__code__", None)
        if code is not None and code not in seen:
            seen.add(code)
            out[key] = fn

    def scan(label, mod, classes=True):
        for name in sorted(dir(mod)):
            if name.startswith("_"):
                continue
            v = getattr(mod, name)
            if inspect.isfunction(v) and _ours(v):
                add(f"{label}.{name}", v)
            elif classes and isinstance(v, type) and _ours(v) and v is not ember.Tensor:
                for mn, mv in sorted(vars(v).items()):
                    if isinstance(mv, (staticmethod, classmethod)):
                        mv = mv.__func__
                    if (mn == "__init__" or not mn.startswith("_")) and inspect.isfunction(mv):
                        add(f"{label}.{name}.{mn}", mv)

    scan("torch", ember, classes=False)
    for name in sorted(dir(ember.Tensor)):
        if name.startswith("__"):
            continue
        v = inspect.getattr_static(ember.Tensor, name)
        if isinstance(v, (staticmethod, classmethod)):
            v = v.__func__
        elif isinstance(v, property):
            v = v.fset or v.fget
        if inspect.isfunction(v):
            add(f"Tensor.{name}", v)
    scan("torch", ember)
    for label in _MODULES:
        try:
            mod = importlib.import_module("ember." + label)
        except ImportError:
            continue
        scan("torch." + label, mod)
    return out


def _scan():
    found = {}
    for key, fn in public_functions().items():
        u = unread_parameters(fn)
        if u:
            found[key] = u
    return found


def test_no_unread_parameter():
    new = {k: [p for p in ps if p not in KNOWN.get(k, {})] for k, ps in _scan().items()}
    new = {k: ps for k, ps in new.items() if ps}
    assert not new, ("parameters accepted and never read (honour them, or refuse non-default "
                     f"values with ember._args.refuse_if): {new}")


def test_known_table_is_current():
    found = _scan()
    stale = {k: [p for p in ps if p not in found.get(k, ())] for k, ps in KNOWN.items()}
    stale = {k: ps for k, ps in stale.items() if ps}
    assert not stale, f"read now: remove these entries from KNOWN/TODO: {stale}"


def test_every_reason_says_why():
    for key, params in KNOWN.items():
        for p, why in params.items():
            assert isinstance(why, str) and len(why) > 20, (key, p)


def test_the_scan_sees_an_ignored_parameter():
    def f(input, dim=None, *, out=None, **kw):
        return input + (dim or 0)

    def g(input, out=None):
        def inner():
            return out
        return input, inner

    def h(input, layout=None):
        return locals()

    assert unread_parameters(f) == ["out", "kw"]
    assert unread_parameters(g) == []
    assert unread_parameters(h) == []
