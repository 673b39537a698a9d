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
import warnings

import numpy as np
import pytest

import ember

_MODULES = ("nn.functional", "nn", "nn.init", "nn.utils", "nn.utils.rnn", "nn.utils.parametrize",
            "nn.utils.parametrizations", "nn.utils.prune", "nn.utils.stateless", "optim",
            "optim.lr_scheduler", "utils.data", "linalg", "autograd", "random", "vision.transforms",
            "vision.transforms.functional", "vision.datasets", "vision.models", "vision.utils",
            "serialization", "cuda", "special", "fft", "onnx", "distributed", "nn.parallel",
            "distributed.algorithms", "distributed.algorithms.ddp_comm_hooks.default_hooks")

# reasons an unread parameter is harmless here
_PIN = "page-locked host memory only speeds host-to-GPU copies: the tensor is the same"
_SYNC = "ember's copies are synchronous, so non_blocking cannot change the result"
_TORCH_TOO = "torch's own signature ignores it too (kept for compatibility)"
_ABSTRACT = "the base method raises for every call; subclasses read it"
_NEW = "read by __new__, which builds the object"
_NO_DEVICE_STATE = "ember has no per-device state: every device draws from the CPU generator"
_CALLER = "torch's private arguments, only used to word torch's own error messages"
_CPU_REFUSES = "torch's CPU Generator refuses every call, whatever the argument"
_FOREACH = "foreach only picks torch's multi-tensor kernel; the values are the same"

KNOWN = {
    "torch.distributed.algorithms.JoinHook.post_hook": {"is_last_joiner": _TORCH_TOO},
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
    "torch.nn.utils.prune.BasePruningMethod.compute_mask": {"t": _ABSTRACT,
                                                            "default_mask": _ABSTRACT},
    "torch.nn.utils.prune.Identity.compute_mask": {
        "t": "the identity method keeps default_mask whatever t holds, as torch's does"},
    "torch.nn.utils.prune.CustomFromMask.compute_mask": {
        "t": "the mask comes from the caller, so t's values cannot change it (torch's too)"},
    "torch.nn.utils.clip_grad_value_": {"foreach": _FOREACH},
    "torch.nn.utils.clip_grads_with_norm_": {"foreach": _FOREACH},
    "torch.nn.utils.get_total_norm": {"foreach": _FOREACH},
    "torch.autograd.Function.forward": {"ctx": _ABSTRACT, "args": _ABSTRACT, "kwargs": _ABSTRACT},
    "torch.autograd.Function.backward": {"ctx": _ABSTRACT, "grad_outputs": _ABSTRACT},
    "torch.autograd.Function.jvp": {"ctx": _ABSTRACT, "grad_inputs": _ABSTRACT},
    "torch.Generator.graphsafe_set_state": {"state": _CPU_REFUSES},
    "torch.Generator.set_offset": {"offset": _CPU_REFUSES},
    "torch.nn.DataParallel.__init__": {
        n: "torch ignores them too where no GPU is available (ember refuses DataParallel where "
           "one is)" for n in ("device_ids", "output_device", "dim")},
    "torch.unique": {"sorted": "torch's CPU and CUDA kernels return sorted values either way"},
    "torch.topk": {"sorted": "sorted=False leaves the order unspecified (torch's own depends on "
                             "its selection algorithm); the sorted order is one valid answer"},
    "torch.autograd.gradcheck": {"fast_mode": "ember always runs the full check, which decides "
                                              "at least as strictly as fast mode's projection"},
}

# Still ignored, to be honoured or refused by the engineer who owns the file. Every entry here is
# a bug; the table only shrinks.
_TODO = "ignored: to honour or refuse"
TODO = {}
for _k, _ps in TODO.items():
    KNOWN.setdefault(_k, {}).update(dict.fromkeys(_ps, _TODO))


def _reads(code):
    """Names the code loads, plus the free names its nested functions load."""
    names = set()
    for ins in dis.get_instructions(code):
        if ins.opname.startswith("LOAD_") and ins.opname != "LOAD_CONST" or \
                ins.opname == "DELETE_FAST":  # a string constant naming a parameter is no read
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
        lazy = getattr(vars(mod).get("__getattr__"), "lazy", {})
        for name, (_, attr) in lazy.items():  # load what loads on first use: the scan must
            if attr is not None:                # not depend on what ran before
                getattr(mod, name)
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


# ---------------------------------------------------------------- parameters honoured now
try:
    import torch
except ImportError:
    torch = None
needs_torch = pytest.mark.skipif(torch is None, reason="torch (the oracle) is not installed")


def _outcome(fn):
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        try:
            r = ("ok", fn())
        except Exception as e:  # noqa: BLE001 - compared with torch's
            r = ("err", type(e).__name__, str(e))
    return r, [(x.category.__name__, str(x.message).split(" (Triggered internally")[0])
               for x in w if "jit" not in str(x.message)]


def _vals(r):
    if r[0] != "ok":
        return r
    v = r[1]
    if isinstance(v, (tuple, list)):
        return tuple(None if t is None else np.asarray(t.detach().numpy(), np.float32)
                     for t in v)
    return v


def _same(a, b):
    if isinstance(a, (tuple, list)):
        return type(a) is type(b) and len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    if isinstance(a, np.ndarray):
        return isinstance(b, np.ndarray) and a.shape == b.shape and np.allclose(a, b, 1e-6, 1e-6)
    return a == b


@needs_torch
def test_grad_is_grads_batched_matches_torch():
    def run(L):
        x = L.tensor([1.0, 2.0, 3.0], requires_grad=True)
        w = L.tensor([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]], requires_grad=True)
        u = L.tensor([1.0], requires_grad=True)
        y = (x.unsqueeze(0) @ w).squeeze(0).sin()
        z = x.exp().sum()
        out = [L.autograd.grad(y, (x, w, u), L.eye(2), is_grads_batched=True, retain_graph=True,
                               allow_unused=True)]
        out.append(L.autograd.grad((y, z), [x], (L.eye(2), L.tensor([1.0, 2.0])),
                                   is_grads_batched=True, retain_graph=True))
        (h,) = L.autograd.grad(x ** 3, x, L.eye(3), is_grads_batched=True, create_graph=True)
        out.append((h,) + L.autograd.grad(h.sum(), x))
        out.append(L.autograd.grad(y, {"x": x, "w": w}, L.ones(2), retain_graph=True).values())
        return [_vals(("ok", tuple(o))) for o in out]
    assert _same(run(ember), run(torch))


@needs_torch
@pytest.mark.parametrize("case", [
    lambda L, x: L.autograd.grad(x * 2, x, L.ones(2, 2), is_grads_batched=True),
    lambda L, x: L.autograd.grad(x * 2, x, L.ones(2, 2, 3), is_grads_batched=True),
    lambda L, x: L.autograd.grad(x.sum(), [], L.ones(())),
    lambda L, x: L.autograd.grad(x.sum(), x, materialize_grads=True, allow_unused=False),
    lambda L, x: L.autograd.grad(x.sum(), x, only_inputs=False),
])
def test_grad_arguments_as_torch(case):
    e = _outcome(lambda: case(ember, ember.ones(3, requires_grad=True)))
    t = _outcome(lambda: case(torch, torch.ones(3, requires_grad=True)))
    assert _same((_vals(e[0]), e[1]), (_vals(t[0]), t[1]))


@needs_torch
def test_deterministic_mode_fills_uninitialized_memory():
    def run(L):
        L.use_deterministic_algorithms(True)
        try:
            out = [L.empty(3), L.empty(2, dtype=L.int64), L.empty(2, dtype=L.bool),
                   L.empty(2, dtype=L.uint8), L.empty_like(L.ones(2)), L.ones(2).new_empty(2),
                   L.empty_strided((2,), (1,)), L.empty(4, out=L.ones(3)),
                   L.zeros(2).resize_(4)]
            flags = [L.are_deterministic_algorithms_enabled(),
                     L.is_deterministic_algorithms_warn_only_enabled()]
            L.use_deterministic_algorithms(True, warn_only=True)
            flags.append(L.is_deterministic_algorithms_warn_only_enabled())
        finally:
            L.use_deterministic_algorithms(False)
        flags.append(L.are_deterministic_algorithms_enabled())
        return [str(t.dtype) + str(t.tolist()) for t in out], flags
    assert run(ember) == run(torch)
    for bad in (lambda L: L.use_deterministic_algorithms("yes"),
                lambda L: L.use_deterministic_algorithms(True, warn_only=1)):
        assert _outcome(lambda: bad(ember)) == _outcome(lambda: bad(torch))


@needs_torch
def test_set_default_tensor_type_as_torch():
    cases = [lambda L: L.DoubleTensor, lambda L: "torch.HalfTensor", lambda L: L.LongTensor,
             lambda L: "torch.LongTensor", lambda L: "torch.cuda.FloatTensor", lambda L: "float",
             lambda L: L.float64, lambda L: L.FloatTensor]
    try:
        for case in cases:
            res = []
            for lib in (ember, torch):
                r, w = _outcome(lambda: lib.set_default_tensor_type(case(lib)))
                res.append((r, str(lib.get_default_dtype()), [m for _, m in w]))
            # torch warns once per process: compare the warning only where both warned
            e, t = res
            assert e[:2] == t[:2]
            assert not t[2] or e[2] == t[2] or not e[2]
    finally:
        ember.set_default_dtype(ember.float32)
        torch.set_default_dtype(torch.float32)


@needs_torch
def test_compile_arguments_as_torch():
    cases = [dict(mode="foo"), dict(backend="foo"), dict(foo=1), dict(disable=True),
             dict(options={"a": 1}, mode="default"), dict(backend="eager", fullgraph=True)]
    for kw in cases:
        e, _ = _outcome(lambda: ember.compile(ember.nn.Linear(2, 2), **kw))
        t, _ = _outcome(lambda: torch.compile(torch.nn.Linear(2, 2), **kw))
        assert e[0] == t[0] and e[1:] == t[1:] if e[0] == "err" else e[0] == t[0], kw
    m = ember.nn.Linear(2, 2)
    assert ember.compile(m) is m and ember.compile(mode="max-autotune")(m) is m
    with pytest.raises(NotImplementedError, match=r"torch.compile\(backend="):
        ember.compile(m, backend=lambda gm, ex: gm)


@needs_torch
def test_tril_triu_indices_honour_dtype_device_layout():
    for name in ("tril_indices", "triu_indices"):
        for kw in (dict(), dict(dtype="int32"), dict(dtype="float64"), dict(dtype="bool")):
            args = (3, 4, 1)
            e = _outcome(lambda: getattr(ember, name)(*args, **{k: getattr(ember, v)
                                                                 for k, v in kw.items()}))
            t = _outcome(lambda: getattr(torch, name)(*args, **{k: getattr(torch, v)
                                                                 for k, v in kw.items()}))
            fmt = [(r[0], str(r[1].dtype), r[1].tolist()) if r[0] == "ok" else r
                   for r, _ in (e, t)]
            assert fmt[0] == fmt[1]
        r = getattr(ember, name)(2, 2, device="meta")
        assert r.device.type == "meta" and r.shape == (2, 3)
    with pytest.raises(NotImplementedError, match="layout"):
        ember.tril_indices(2, 2, layout="torch.sparse_coo")


def test_gradcheck_options_are_honoured_or_refused():
    x = ember.tensor([0.5, 1.5, 2.5], dtype=ember.float64, requires_grad=True)
    f = ember.autograd

    class Bad(ember.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return g * 2 + 1  # not zero for a zero output grad

    assert f.gradcheck(lambda x: (x * x).sin(), (x,), check_batched_grad=True,
                       check_grad_dtypes=True, fast_mode=True, nondet_tol=0.0)
    assert f.gradgradcheck(lambda x: (x * x).sin(), (x,), gen_non_contig_grad_outputs=True,
                           check_batched_grad=True)
    assert not f.gradcheck(Bad.apply, (x,), atol=10, rtol=10, raise_exception=False)
    assert f.gradcheck(Bad.apply, (x,), atol=10, rtol=10, check_undefined_grad=False)
    assert f.gradgradcheck(lambda x: x * x, (x,), check_rev_over_rev=False)
    for kw in (dict(check_forward_ad=True), dict(check_batched_forward_grad=True),
               dict(masked=True)):
        with pytest.raises(NotImplementedError, match="ember does not implement"):
            f.gradcheck(lambda x: x * 2, (x,), **kw)
    with pytest.raises(AssertionError, match="at least one of check_forward_ad"):
        f.gradcheck(lambda x: x * 2, (x,), check_backward_ad=False)


def test_pin_memory_and_cuda_queries_without_a_gpu():
    if ember.cuda.is_available():
        pytest.skip("a GPU is present")
    with pytest.raises(RuntimeError, match="pin_memory=True requires a CUDA"):
        ember.tensor([1.0], pin_memory=True)
    for call in (ember.cuda.synchronize, ember.cuda.get_device_name):
        with pytest.raises(AssertionError, match="Torch not compiled with CUDA enabled"):
            call()
