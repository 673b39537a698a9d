"""torch.compiler, torch._dynamo, torch.export and torch._assert against torch 2.13: nothing is
compiling in ember, the decorators return what torch's return outside compilation, config keeps
torch's options, and exporting is refused with a clear error."""

import dataclasses
import warnings

import numpy as np
import pytest

import ember
from ember._args import EmberNotImplementedError

try:
    import torch
    import torch._dynamo  # noqa: F401
    import torch.compiler  # noqa: F401
    import torch.export  # noqa: F401
except ImportError:  # the torch comparisons skip; ember's own checks still run
    torch = None


def both(fn):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fn(ember), (fn(torch) if torch is not None else None)


def outcome(fn):
    try:
        return ("ok", fn())
    except Exception as e:  # noqa: BLE001 - the type and text are what is compared
        return (type(e).__name__, str(e))


def agree(fn, expect=None):
    e, t = both(lambda L: outcome(lambda: fn(L)))
    if expect is not None:
        assert e == expect
    assert t is None or e == t, (e, t)
    return e


def test_assert():
    agree(lambda L: L._assert(False, "msg"), ("AssertionError", "msg"))
    agree(lambda L: L._assert(L.tensor(False), "msg"), ("AssertionError", "msg"))
    agree(lambda L: L._assert(L.tensor([True, False]), "m"))
    agree(lambda L: L._assert(0, 3), ("AssertionError", "3"))
    agree(lambda L: L._assert(L.tensor(1), "x"), ("ok", None))


def test_nothing_is_compiling():
    agree(lambda L: (L.compiler.is_compiling(), L.compiler.is_dynamo_compiling(),
                     L.compiler.is_exporting(), L._dynamo.is_compiling(),
                     L._dynamo.is_dynamo_supported()), ("ok", (False, False, False, False, True)))


def test_decorators_outside_compilation():
    def run(L):
        def f(x):
            return x + 1
        d = L.compiler.disable(f)
        d2 = L.compiler.disable(recursive=False)(f)
        m = L.nn.Linear(1, 1)
        region = L.compiler.nested_compile_region(f)
        return (d is f, d(1), d.__wrapped__ is f, d2(2), L.compiler.disable(f, reason="r")(3),
                L.compiler.allow_in_graph(f) is f, L.compiler.assume_constant_result(f) is f,
                L._dynamo.disable(f)(4), L.compiler.disable(m)(L.ones(1)).shape == (1,),
                region is f, region(5), L._dynamo.run(f)(5), L._dynamo.graph_break(),
                L.compiler.reset(), L._dynamo.reset(), L.compiler.cudagraph_mark_step_begin())
    agree(run, ("ok", (False, 2, True, 3, 4, True, True, 5, True, False, 6, 6, None, None,
                       None, None)))
    agree(lambda L: L.compiler.disable(3), ("AssertionError", "fn must be callable"))
    agree(lambda L: L.compiler.allow_in_graph(3))
    agree(lambda L: L._dynamo.disallow_in_graph(3))
    agree(lambda L: L._dynamo.forbid_in_graph(3))
    agree(lambda L: L._dynamo.nonstrict_trace(3))

    def f(x):
        return 1

    def g(y):
        return 3
    agree(lambda L: L.compiler.substitute_in_graph(f)(g))
    def h(x):
        return 3
    agree(lambda L: (L.compiler.substitute_in_graph(f)(h)(0),
                     L.compiler.substitute_in_graph(f)(h).__name__))


def test_substitute_once():
    def f(x):
        return 1

    def h(x):
        return 3
    agree(lambda L: (lambda s: (s(0), s.__name__))(L.compiler.substitute_in_graph(f)(h)),
          ("ok", (1, "h")))


def test_wrap_numpy_converts_as_torch():
    def run(L):
        w = L.compiler.wrap_numpy(lambda a, b=1: (a * b + np.ones(a.shape), [a], 3))
        out, listed, n = w(L.ones(2), b=L.tensor(3.0))
        return type(out).__name__, str(out.dtype), out.tolist(), type(listed[0]).__name__, n
    agree(run, ("ok", ("Tensor", "torch.float64", [4.0, 4.0], "Tensor", 3)))


def test_config_options_and_patch():
    def run(L):
        cfg = L._dynamo.config
        before = (cfg.suppress_errors, cfg.cache_size_limit, cfg.recompile_limit,
                  L.compiler.config.job_id, L.compiler.config.recompile_limit)
        cfg.suppress_errors = True
        with cfg.patch(cache_size_limit=64):
            inside = cfg.cache_size_limit
        after = (cfg.suppress_errors, cfg.cache_size_limit)
        cfg.suppress_errors = False
        return before, inside, after
    agree(run, ("ok", ((False, 8, 8, None, 8), 64, (True, 8))))
    agree(lambda L: L._dynamo.config.foo, ("AttributeError",
                                            "torch._dynamo.config.foo does not exist"))
    agree(lambda L: setattr(L._dynamo.config, "foo", 1))
    agree(lambda L: L.compiler.config.foo)
    if torch is not None:  # every plain option, with torch's default
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # torch warns on reading its deprecated options
            for k, v in ember._dynamo.config.get_config_copy().items():
                if k not in ("base_dir", "debug_dir_root"):
                    assert getattr(torch._dynamo.config, k) == v, k


def test_backends_stance_and_flags():
    def run(L):
        c = L.compiler
        prev = c.set_enable_guard_collectives(True)
        again = c.set_enable_guard_collectives(False)
        with c.set_stance("force_eager"):
            pass
        c.set_stance("default")
        return (c.list_backends(), c.list_backends(None), c.get_default_backend(), prev, again,
                c.save_cache_artifacts())
    agree(run)
    agree(lambda L: L.compiler.set_stance("force_eager", force_backend="eager"),
          ("RuntimeError", "non-default stance cannot have force_backend set"))


def test_mark_dynamic_records_on_the_tensor():
    def run(L):
        t = L.ones(2, 3)
        L._dynamo.mark_dynamic(t, 0)
        L._dynamo.mark_dynamic(t, [1, -1])
        L._dynamo.maybe_mark_dynamic(t, 1)
        L._dynamo.mark_static(t, 0)
        return (t._dynamo_dynamic_indices, t._dynamo_weak_dynamic_indices,
                t._dynamo_static_indices)
    agree(run, ("ok", ({0, 1, -1}, {1}, {0})))
    agree(lambda L: L._dynamo.mark_static_address(3))
    agree(lambda L: L._dynamo.mark_dynamic(3, 0))


def test_export_dims_and_dataclasses():
    def run(L):
        D = L.export.Dim
        return (repr(D("b", min=2, max=8)), repr(D("b")), repr(D("b", min=2)),
                repr(D("b", min=0, max=8)), repr(D("x", min=3)), repr(D.AUTO),
                repr(D.DYNAMIC(max=64)), repr(L.export.dims("a", "c", min=1, max=3)),
                D("b").min, D("b", max=5).max, D.STATIC == D.STATIC)
    agree(run)
    agree(lambda L: L.export.Dim("b", min=5, max=2))
    agree(lambda L: L.export.Dim("1a"))
    agree(lambda L: L.export.Dim.AUTO(min=-1))
    for r in both(lambda L: outcome(lambda: L.export.Dim.AUTO(min=1)(max=3))):  # class paths differ
        assert r is None or r[0] == "TypeError" and r[1].endswith(
            "._DimHint'>' object is not callable")

    @dataclasses.dataclass
    class Out:
        x: object
    agree(lambda L: L.export.register_dataclass(Out), ("ok", None))
    agree(lambda L: L.export.register_dataclass(int))


def test_export_is_refused_clearly():
    m = ember.nn.Linear(2, 2)
    for call in (lambda: ember.export.export(m, (ember.ones(1, 2),)),
                 lambda: ember.export.draft_export(m, (ember.ones(1, 2),)),
                 lambda: ember.export.save(None, "f.pt2"), lambda: ember.export.load("f.pt2"),
                 lambda: ember.export.ExportedProgram(), lambda: ember._dynamo.explain(m),
                 lambda: ember._dynamo.optimize("eager"),
                 lambda: ember.compiler.load_cache_artifacts(b"")):
        with pytest.raises(EmberNotImplementedError, match="^ember does not implement torch"):
            call()
    with pytest.raises(NotImplementedError, match=r"ember.save\(model.state_dict\(\), f\)"):
        ember.export.export(m, (ember.ones(1, 2),))
