"""torch.utils.benchmark on ember: Timer measures for real, at the thread count asked for;
Measurement's statistics and printed summary and Compare's tables equal torch's for the same
times."""

import random
import re
import sys

import pytest

import ember
import ember.utils.benchmark as eb

try:
    import torch
    import torch.utils.benchmark as tb
except ImportError:  # the torch comparisons skip; the rest still runs
    torch = None

requires_torch = pytest.mark.skipif(torch is None, reason="torch (the oracle) is not installed")

_ADDRESS = re.compile(r"<(\w+\.)+Measurement object at 0x[0-9a-f]+>")


def _measurements(mod, spread, seed=0):
    """The same fixed times for torch's and ember's classes: labels, envs, threads, 1-7 runs."""
    rng = random.Random(seed)
    out = []
    for label in ("add", None):
        for sub in ("small", None):
            for desc in ("float", "double"):
                for threads in (1, 2):
                    for env in ("A", "B"):
                        base = rng.uniform(1e-8, 1e-1)
                        times = [base * (1 + rng.uniform(0, spread))
                                 for _ in range(rng.choice([1, 3, 7]))]
                        spec = mod.TaskSpec(
                            stmt="x + y" if sub else "a\nb",
                            setup="x = 1\ny = 2" if threads == 1 else "pass", label=label,
                            sub_label=sub, description=desc, num_threads=threads, env=env)
                        out.append(mod.Measurement(100, times, spec))
    return out


@requires_torch
@pytest.mark.parametrize("spread", [0.01, 0.4, 3.0])
def test_measurement_and_compare_equal_torch(spread):
    t, e = _measurements(tb, spread), _measurements(eb, spread)
    for a, b in zip(t, e):
        assert _ADDRESS.sub("<M>", repr(b)) == _ADDRESS.sub("<M>", repr(a))
        assert (b.median, b.iqr, b.times) == (a.median, a.iqr, a.times)
        assert b.mean == pytest.approx(a.mean, rel=1e-12)  # summation order may differ
        assert (b.significant_figures, b.has_warnings, b.title, b.env, b.as_row_name) == \
            (a.significant_figures, a.has_warnings, a.title, a.env, a.as_row_name)
    for setting in ((), ("trim_significant_figures",), ("colorize",),
                    ("highlight_warnings", "trim_significant_figures")):
        ct, ce = tb.Compare(t), eb.Compare(e)
        for name in setting:
            getattr(ct, name)()
            getattr(ce, name)()
        assert str(ce) == str(ct)
    ct, ce = tb.Compare(t), eb.Compare(e)
    ct.colorize(rowwise=True)
    ce.colorize(rowwise=True)
    assert str(ce) == str(ct)


def test_repr_names_embers_class():
    m = eb.Measurement(10, [1e-5, 2e-5], eb.TaskSpec("x", "pass"))
    assert repr(m).startswith("<ember.utils.benchmark.utils.common.Measurement object at 0x")


@requires_torch
def test_helpers_equal_torch():
    for x in (3.14159, 0.000123456, 98765.4321, 1e-9):
        for n in (1, 2, 4):
            assert eb.trim_sigfig(x, n) == tb.trim_sigfig(x, n)
    for t in (2e-10, 3e-9, 4.5e-6, 0.02, 7.0, 1234.0):
        assert eb.select_unit(t) == tb.select_unit(t)
    assert eb.unit_to_english("us") == tb.unit_to_english("us")
    merged_e = eb.Measurement.merge(_measurements(eb, 0.4) * 2)
    merged_t = tb.Measurement.merge(_measurements(tb, 0.4) * 2)
    assert [m.times for m in merged_e] == [m.times for m in merged_t]


@requires_torch
def test_timer_measures_like_torch():
    results = []
    for mod, lib in ((tb, torch), (eb, ember)):
        timer = mod.Timer("x + 1", setup="x = torch.ones(4)", label="add", sub_label="ones(4)",
                          description="lib")
        a = timer.blocked_autorange(min_run_time=0.02)
        b = timer.timeit(200)
        c = timer.adaptive_autorange(min_run_time=0.01, max_run_time=0.05)
        results.append((a, b, c))
        for m in (a, b, c):
            assert 0 < m.median < 1.0 and m.number_per_run >= 1
        assert sum(a.raw_times) >= 0.02
        assert b.number_per_run == 200 and len(b.raw_times) == 1
    for t, e in zip(*results):
        el, tl = _ADDRESS.sub("<M>", repr(e)).split("\n"), _ADDRESS.sub("<M>", repr(t)).split("\n")
        assert el[:4] == tl[:4] == ["<M>", "add: ones(4)", "lib", "setup: x = torch.ones(4)"]
        for lines in (el, tl):  # the same layout, numbers aside
            assert re.fullmatch(r"  (Median: )?\d+\.\d\d (ns|us|ms|s)", lines[4])
            assert any(re.fullmatch(r"  \d+ measurements?, \d+ runs (per measurement,|,) 1 thread",
                                    ln) for ln in lines[5:])
    lines = str(eb.Compare(results[1])).split("\n")
    assert re.fullmatch(r"\[-+ add -+\]", lines[0])  # width follows the numbers' digits
    assert re.fullmatch(r"Times are in \w+seconds \((ns|us|ms|s)\)\.", lines[-2])


def test_timer_runs_the_statement_with_torch_as_ember():
    # Timer runs at num_threads through ember.set_num_threads, which needs threadpoolctl (the
    # threads extra); without it, the test below checks the error naming the extra
    pytest.importorskip("threadpoolctl")
    seen = []
    timer = eb.Timer("seen.append((torch.get_num_threads(), x.sum().item()))",
                     setup="x = torch.ones(3)", globals={"seen": seen}, num_threads=1)
    before = ember.get_num_threads()
    m = timer.timeit(5)
    assert seen[-1] == (1, 3.0) and len(seen) == 2 + 5  # warm-up runs max(5 // 100, 2)
    assert ember.get_num_threads() == before
    assert m.number_per_run == 5 and m.task_spec.stmt.startswith("seen.append")
    calls = []
    eb.Timer("pass").blocked_autorange(callback=lambda n, t: calls.append((n, t)),
                                       min_run_time=0.005)
    assert calls and all(n >= 1 and t > 0 for n, t in calls)


def test_timer_without_threadpoolctl_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "threadpoolctl", None)  # as if not installed
    before = ember.get_num_threads()
    seen = []
    timer = eb.Timer("seen.append(1)", globals={"seen": seen}, num_threads=1)
    for run in (lambda: timer.timeit(5), lambda: timer.blocked_autorange(min_run_time=0.005),
                lambda: timer.adaptive_autorange(max_run_time=0.01)):
        with pytest.raises(ImportError) as ei:
            run()
        assert str(ei.value) == ("ember.set_num_threads limits NumPy's BLAS thread pool through "
                                 "threadpoolctl, which is not installed: pip install "
                                 "ember[threads]")
        assert ei.value.__context__ is None  # one clear error, not a failed restore after it
    assert seen == [] and ember.get_num_threads() == before


@requires_torch
def test_timer_errors_equal_torch():
    for mod in (tb, eb):
        with pytest.raises(ValueError, match=re.escape(
                "Currently only a `str` stmt is supported.")):
            mod.Timer(stmt=lambda: None)
        with pytest.raises(ValueError, match=re.escape(
                "global_setup is C++ only, got `int x;`. Most likely this code can simply be "
                "moved to `setup`.")):
            mod.Timer(global_setup="int x;")
        with pytest.raises(ValueError, match=re.escape("Invalid language `java`.")):
            mod.Timer(language="java")
        for method in ("repeat", "autorange"):
            with pytest.raises(NotImplementedError, match=re.escape(
                    "See `Timer.blocked_autorange.`")):
                getattr(mod.Timer(), method)()
        with pytest.raises(ValueError, match="Expected an instance of `Measurement`"):
            mod.Compare([1])
    with pytest.raises(NotImplementedError, match=re.escape(
            "ember does not implement torch.utils.benchmark.Timer(language='cpp') yet")):
        eb.Timer(language="cpp")


def test_missing_names_say_so():
    with pytest.raises(AttributeError, match=re.escape(
            "ember does not implement torch.utils.benchmark.Fuzzer yet")):
        eb.Fuzzer
    with pytest.raises(NotImplementedError, match=re.escape(
            "ember does not implement torch.utils.benchmark.Timer.collect_callgrind yet")):
        eb.Timer().collect_callgrind()
