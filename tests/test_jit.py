"""ember.jit against torch.jit 2.13: scripting and tracing run eagerly with torch's classes,
reprs, argument checks, warnings and errors; decorators leave methods ordinary."""

import typing
import warnings

import numpy as np
import pytest

import ember
from ember._args import EmberNotImplementedError

try:
    import torch
except ImportError:  # the torch comparisons skip; ember's own checks still run
    torch = None

needs_torch = pytest.mark.skipif(torch is None, reason="torch (the oracle) is not installed")
LIBS = [ember] + ([torch] if torch is not None else [])


def both(fn):
    """fn(L) on ember and torch; the torch answer is None without torch."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fn(ember), (fn(torch) if torch is not None else None)


def raised(fn):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            fn()
        except Exception as e:  # noqa: BLE001 - the type and text are what is compared
            return type(e).__name__, str(e)
    raise AssertionError("no exception")


def same_error(fn):
    e = raised(lambda: fn(ember))
    if torch is not None:
        assert e == raised(lambda: fn(torch))
    return e


def caught(fn):
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        fn()
    return [(x.category.__name__, str(x.message)) for x in w]


def model(L, seed=0):
    class Block(L.nn.Module):
        k: L.jit.Final[int] = 2

        def __init__(self):
            super().__init__()
            self.l = L.nn.Linear(3, 2)
            self.scale = 3
            self.attr = L.jit.Attribute(5, int)

        def forward(self, x):
            y = self.l(x).relu() * self.scale
            if L.jit.is_scripting():
                return y
            return self.helper(y)

        @L.jit.ignore
        def helper(self, y):
            return y + 1

        @L.jit.unused
        def unused_one(self, y):
            return y * 2

        @L.jit.export
        def exported(self, y):
            return y - 1

    class Sub(L.nn.Linear):
        def forward(self, x):
            return self.twice(L.nn.functional.linear(x, self.weight, self.bias))

        def twice(self, y):
            return y * 2

    m = Block()
    rng = np.random.default_rng(seed)
    with L.no_grad():
        for p in m.parameters():
            p.copy_(L.from_numpy(rng.standard_normal(tuple(p.shape)).astype(np.float32)))
    return m, Sub


X = np.linspace(-1, 1, 6, dtype=np.float32).reshape(2, 3)


def test_script_module_calls_and_prints_as_torch():
    def run(L):
        m, _ = model(L)
        s = L.jit.script(m)
        x = L.from_numpy(X.copy())
        return (type(s).__name__, repr(s), s.original_name, s.l.original_name,
                s(x).detach().numpy(), s.exported(x).numpy(), s.helper(x).numpy(),
                s.unused_one(x).numpy(), s.scale, s.attr, s.k, list(s.state_dict()),
                s.l.weight is m.l.weight, L.jit.script(s) is s, s is m,
                isinstance(s, L.jit.ScriptModule))
    e, t = both(run)
    assert e[0] == "RecursiveScriptModule"
    assert e[-3:] == (True, False, True)
    if t is not None:
        for a, b in zip(e, t):
            np.testing.assert_allclose(a, b, rtol=1e-6) if isinstance(a, np.ndarray) \
                else (a == b) or pytest.fail(f"{a!r} != {b!r}")


def test_script_module_state_is_its_own_but_tensors_are_shared():
    def run(L):
        m, _ = model(L)
        s = L.jit.script(m)
        s.eval()
        s.scale = 7
        s.l.weight = L.nn.Parameter(L.zeros(2, 3))
        return m.training, s.training, s.l.training, m.scale, float(m.l.weight.abs().sum()) > 0
    e, t = both(run)
    assert e == (True, False, False, 3, True)
    assert t is None or e == t


def test_script_module_subclass_super_and_gradients():
    def run(L):
        _, Sub = model(L)
        L.manual_seed(0)
        s = L.jit.script(Sub(3, 2))
        x = L.from_numpy(X.copy())
        s(x).sum().backward()
        return repr(s), s(x).detach().numpy(), s.weight.grad.numpy()
    e, t = both(run)
    assert e[0] == "RecursiveScriptModule(original_name=Sub)"
    if t is not None:
        assert e[0] == t[0]
        np.testing.assert_allclose(e[1], t[1], rtol=1e-6)
        np.testing.assert_allclose(e[2], t[2], rtol=1e-6)


def test_compiled_only_attributes_are_refused():
    m, _ = model(ember)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        s = ember.jit.script(m)
        f = ember.jit.script(lambda x: x)
    for get in (lambda: s.code, lambda: s.graph, lambda: f.code, lambda: f.graph):
        with pytest.raises(NotImplementedError, match="there is no TorchScript"):
            get()
    for call in (lambda: ember.jit.save(s, "m.pt"), lambda: ember.jit.load("m.pt"),
                 lambda: s.save("m.pt")):
        with pytest.raises(EmberNotImplementedError,
                           match=r"ember.save\(model.state_dict\(\), f\)"):
            call()


def test_decorators_mark_and_keep_functions():
    def run(L):
        def f(x):
            return x + 1
        marks = [L.jit.ignore(f)._torchscript_modifier, L.jit.unused(f)._torchscript_modifier,
                 L.jit.export(f)._torchscript_modifier,
                 L.jit.ignore(drop=True)(f)._torchscript_modifier,
                 L.jit.ignore(drop=False)(f)._torchscript_modifier]
        m, _ = model(L)
        x = L.ones(1, 3)
        return marks, m.helper(x).tolist(), m.unused_one(x).tolist(), f(1), \
            L.jit.is_scripting(), L.jit.annotate(list, [3]), L.jit.Attribute(1, int)
    e, t = both(run)
    assert e[3:6] == (2, False, [3])
    assert t is None or e == t
    assert same_error(lambda L: L.jit.ignore(3)) == (
        "RuntimeError", "Argument to @torch.jit.ignore must be a bool or a function but got 3")


class Iface:
    def run(self, x: int) -> int:
        pass


@needs_torch
def test_warnings_match():
    def f(x):
        return x
    for name, call in [("ignore", lambda L: L.jit.ignore(drop=True)),
                       ("export_on_drop", lambda L: L.jit.ignore(drop_on_export=True)),
                       ("interface", lambda L: L.jit.interface(Iface)),
                       ("script", lambda L: L.jit.script(f)),
                       ("optimize", lambda L: L.jit.script(f, optimize=True)),
                       ("fork", lambda L: L.jit.fork(f, 1)),
                       ("fusion", lambda L: L.jit.set_fusion_strategy([("STATIC", 2),
                                                                       ("DYNAMIC", 10)])),
                       ("strict_fusion", lambda L: L.jit.strict_fusion()),
                       ("trace", lambda L: L.jit.trace(f, L.ones(1))),
                       ("freeze", lambda L: L.jit.freeze(L.jit.script(L.nn.Linear(1, 1).eval())))]:
        assert caught(lambda: call(ember)) == caught(lambda: call(torch)), name


def test_interface_and_isinstance():
    assert same_error(lambda L: L.jit.interface(3)) == ("RuntimeError",
                                                        "interface must be applied to a class")
    cases = [([1, 2], typing.List[int]), ([1, "a"], typing.List[int]),
             ({"a": 1}, typing.Dict[str, int]), ((1, 2.0), typing.Tuple[int, float]),
             ((1, 2.0), typing.Tuple[int, int]), (None, typing.Optional[int]),
             (1.5, typing.Optional[int]), (1, int), ([[1]], list[list[int]]), ([], list[int])]
    e, t = both(lambda L: [L.jit.isinstance(o, tp) for o, tp in cases] +
                [L.jit.isinstance(L.ones(1), L.Tensor)])
    assert e == [True, False, True, True, False, True, False, True, True, True, True]
    assert t is None or e == t
    same_error(lambda L: L.jit.isinstance([1], list))


def test_script_function_checks_arguments_as_torchscript():
    def make(L):
        def f(x, y: int = 2, z: float = 1.0, b: bool = False, s: str = "a",
              o: typing.Optional[int] = None, li: typing.Optional[typing.List[int]] = None):
            return x * y
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return L.jit.script(f)
    assert make(ember).qualified_name == "__torch__.f"
    e, t = both(lambda L: (type(make(L)).__name__, make(L).name,
                           make(L)(L.ones(2), 3).tolist(), make(L)(L.ones(1), True, 3).tolist(),
                           make(L)(L.ones(1), b=1, o=None, z=L.tensor(2.0)).tolist()))
    assert e[0] == "ScriptFunction"
    assert t is None or e == t
    if torch is not None:
        assert make(ember).schema == str(make(torch).schema)
    for bad in [lambda f, L: f(3), lambda f, L: f(L.ones(1), 2.5), lambda f, L: f(L.ones(1), s=1),
                lambda f, L: f(L.ones(1), o=1.5), lambda f, L: f(L.ones(1), q=1),
                lambda f, L: f(), lambda f, L: f(L.ones(1), 1, 1.0, True, "a", None, [1], 7)]:
        same_error(lambda L, bad=bad: bad(make(L), L))


def test_trace_function_runs_checks_and_returns_script_function():
    seen, calls = {ember: [], torch: []}, {}

    def run(L):
        def f(x, y):
            seen[L].append(L.jit.is_tracing())
            return x * 2 + y
        tf = L.jit.trace(f, (L.ones(2), L.ones(2)))
        calls[L] = list(seen[L])  # torch's traced f runs no Python; ember's runs f again
        out = tf(L.ones(3), L.zeros(3))
        return type(tf).__name__, tf.name, out.tolist(), L.jit.is_tracing()
    e, t = both(run)
    assert e == ("ScriptFunction", "f", [2.0, 2.0, 2.0], False)
    assert calls[ember] == [True, True, False]
    if torch is not None:
        assert e == t and calls[ember] == calls[torch]
    same_error(lambda L: L.jit.trace(lambda x: x * 2, L.ones(2))(3))
    same_error(lambda L: L.jit.trace(lambda x: x * 2, L.ones(2))(L.ones(1), L.ones(1)))


def test_trace_output_and_input_rules():
    same_error(lambda L: L.jit.trace(lambda x: {"a": x}, L.ones(2)))
    same_error(lambda L: L.jit.trace(lambda x: 3, L.ones(2)))
    same_error(lambda L: L.jit.trace(lambda x: x, 3))
    same_error(lambda L: L.jit.trace(lambda x, n: x, (L.ones(1), 2)))
    same_error(lambda L: L.jit.trace(lambda x: x))
    e, t = both(lambda L: L.jit.trace(lambda x: {"a": x}, L.ones(2), strict=False)(
        L.zeros(1))["a"].tolist())
    assert e == [0.0] and (t is None or e == t)

    def listed(L):
        return [w for w in caught(lambda: L.jit.trace(lambda x: [x, x], L.ones(2)))
                if w[0] == "TracerWarning"]
    assert len(listed(ember)) == 2  # the trace and its check
    assert torch is None or listed(ember) == listed(torch)


def test_trace_check_warns_on_nondeterminism():
    def warned(L):
        L.manual_seed(0)
        ws = caught(lambda: L.jit.trace(lambda x: L.nn.functional.dropout(x, 0.5), L.ones(50)))
        return [m.split("\n")[0] for c, m in ws if m.startswith("Output nr")]
    first = ("Output nr 1. of the traced function does not match the corresponding output of the "
             "Python function. Detailed error:")
    assert warned(ember) == [first]
    assert torch is None or warned(torch) == [first]
    assert not [w for w in caught(lambda: ember.jit.trace(lambda x: x * 2, ember.ones(3)))
                if w[0] == "TracerWarning"]


def test_trace_module_and_kwarg_inputs():
    def run(L):
        m, _ = model(L)
        seq = L.nn.Sequential(m.l, L.nn.ReLU())
        tr = L.jit.trace(seq, L.from_numpy(X.copy()))
        kw = L.jit.trace(m.l, example_kwarg_inputs={"input": L.ones(1, 3)})
        tm = L.jit.trace_module(m.l, {"forward": L.ones(1, 3)})
        x = L.from_numpy(X.copy())
        return (repr(tr), type(tr).__name__, type(getattr(tr, "0")).__name__,
                tr(x).detach().numpy().tolist(), kw(x).detach().numpy().tolist(),
                type(tm).__name__, tm.original_name, L.jit.trace(tr, x) is tr)
    e, t = both(run)
    assert e[1:3] == ("TopLevelTracedModule", "TracedModule")
    assert e[5:] == ("TopLevelTracedModule", "Linear", True)
    if t is not None:
        assert e[:3] == t[:3] and e[5:] == t[5:]
        np.testing.assert_allclose(e[3], t[3], rtol=1e-6)
        np.testing.assert_allclose(e[4], t[4], rtol=1e-6)
    same_error(lambda L: L.jit.trace_module(L.nn.Linear(1, 1), [L.ones(1)]))
    same_error(lambda L: L.jit.trace_module(lambda x: x, {"forward": L.ones(1)}))


def test_freeze_and_optimize_for_inference():
    same_error(lambda L: L.jit.freeze(L.nn.Linear(2, 2)))
    same_error(lambda L: L.jit.freeze(L.jit.script(L.nn.Linear(2, 2))))
    same_error(lambda L: L.jit.optimize_for_inference(L.nn.Linear(2, 2)))

    def run(L):
        m, _ = model(L)
        s = L.jit.script(L.nn.Sequential(m.l, L.nn.ReLU())).eval()
        fr = L.jit.freeze(s)
        x = L.from_numpy(X.copy())
        before = fr(x).numpy().tolist()
        with L.no_grad():
            m.l.weight.zero_()  # torch's constants share the weights' memory
        o = L.jit.optimize_for_inference(L.jit.script(L.nn.Linear(2, 2).eval()))
        return (repr(fr), list(fr.parameters()), dict(fr.state_dict()), fr is s,
                fr(x).numpy().tolist() != before, before, type(o).__name__, list(o.parameters()))
    e, t = both(run)
    assert e[1:5] == ([], {}, False, True)
    if t is not None:
        assert e[:5] == t[:5] and e[6:] == t[6:]
        np.testing.assert_allclose(e[5], t[5], rtol=1e-6)


def test_fork_wait_and_flags():
    def run(L):
        fut = L.jit.fork(lambda a, b: a + b, L.ones(1), b=2)
        prev = L.jit.set_fusion_strategy([("STATIC", 3)])
        now = L.jit.set_fusion_strategy(prev)
        before = L.jit.onednn_fusion_enabled()
        L.jit.enable_onednn_fusion(True)
        after = L.jit.onednn_fusion_enabled()
        L.jit.enable_onednn_fusion(before)
        with L.jit.optimized_execution(False):
            pass
        return (fut.done(), fut.wait().tolist(), L.jit.wait(fut).tolist(), prev, now, before,
                after, L.jit.Final[int] == typing.Final[int], L.jit.Future is L.futures.Future)
    e, t = both(run)
    assert e == (True, [3.0], [3.0], [("STATIC", 2), ("DYNAMIC", 10)], [("STATIC", 3)], False,
                 True, True, True)
    assert t is None or e == t
    same_error(lambda L: L.jit.fork(lambda: 1 / 0))
    same_error(lambda L: L.jit.wait(3))
    same_error(lambda L: L.jit.set_fusion_strategy([("FOO", 1)]))


def test_fuser_and_annotations_module():
    def run(L):
        with L.jit.fuser("fuser0"):
            pass
        import importlib
        a = importlib.import_module(L.__name__ + ".jit.annotations")
        return a.List[int] == typing.List[int], a.Optional is typing.Optional
    e, t = both(run)
    assert e == (True, True) and (t is None or e == t)
    e = raised(lambda: ember.jit.fuser("x").__enter__())
    assert e == ("Exception", "unrecognized fuser option (name: x)")
    assert torch is None or e == raised(lambda: torch.jit.fuser("x").__enter__())
