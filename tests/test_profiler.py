"""torch.profiler / torch.autograd.profiler on ember: the same table text as torch's for the same
events, the same rows for the ops ember maps to torch's names, real nested times, schedules,
traces, and no recording cost when no profiler is active."""

import gzip
import json
import os
import re
import sys
import warnings

import pytest

import ember
import ember.nn as enn
from ember.autograd import engine, function
from ember.profiler import ProfilerAction, ProfilerActivity, profile, record_function, schedule
from ember.profiler import _events as ev

try:
    import torch
    import torch.autograd.profiler_util as tpu
    import torch.profiler as tprof
except ImportError:  # the torch comparisons skip; the rest still runs
    torch = None

requires_torch = pytest.mark.skipif(torch is None, reason="torch (the oracle) is not installed")


def _model(lib):
    lib.manual_seed(0)
    return lib.nn.Sequential(lib.nn.Linear(4, 8), lib.nn.ReLU(), lib.nn.Linear(8, 2))


def _run(lib, prof_mod, **kw):
    m = _model(lib)
    x = lib.randn(3, 4)
    with prof_mod.profile(activities=[prof_mod.ProfilerActivity.CPU], **kw) as p:
        with prof_mod.record_function("model_inference"):
            y = m(x)
        y.sum().backward()
    return p


def _lines(table):
    return table.rstrip("\n").split("\n")


# ---------------------------------------------------------------- the table's text
def _events(mod, memory=False):
    """One tree of events with fixed times, built with `mod`'s FunctionEvent."""
    spec = [(0, "outer_block", 0.0, 1500.0, [], 0), (1, "aten::linear", 10.0, 900.0,
            [[3, 4], [8, 4], [8]], 96), (2, "aten::addmm", 20.0, 850.0, [[3, 4], [8, 4], [8]],
            96), (3, "aten::relu", 910.0, 1000.0, [[3, 8]], 96),
            (4, "a_really_long_operator_name_that_is_wider_than_the_name_column_allows", 1000.0,
             1200.5, [], 0), (5, "aten::linear", 1250.0, 1499.0, [[3, 8], [2, 8], [2]], 24)]
    out = []
    for i, name, s, e, shapes, mem in spec:
        kw = {"cpu_memory_usage": mem} if memory else {}
        out.append(mod.FunctionEvent(i, name, 1, s, e, input_shapes=shapes, stack=[], **kw))
    for child in out[1:5]:
        if child.id != 2:
            child.set_cpu_parent(out[0])
            out[0].append_cpu_child(child)
    out[2].set_cpu_parent(out[1])
    out[1].append_cpu_child(out[2])
    for e in out:
        e.flops = {"aten::addmm": 192}.get(e.name, 0)
    lst = mod.EventList(out, profile_memory=memory, with_flops=True)
    lst._tree_built = True
    return lst


@requires_torch
@pytest.mark.parametrize("memory", [False, True])
@pytest.mark.parametrize("opts", [
    {}, {"sort_by": "cpu_time_total"}, {"sort_by": "self_cpu_time_total", "row_limit": 2},
    {"header": "HEADER", "top_level_events_only": True}, {"time_unit": "ms"},
    {"max_name_column_width": 20}, {"sort_by": "count", "time_unit": "s"}])
def test_table_text_equals_torch_for_the_same_events(memory, opts):
    t, e = _events(tpu, memory), _events(ev, memory)
    assert e.table(**opts) == t.table(**opts)
    for shapes in (False, True):
        assert e.key_averages(shapes).table(**opts) == t.key_averages(shapes).table(**opts)
    tt, et = t.total_average(), e.total_average()
    assert (et.key, et.count, et.cpu_time_total) == (tt.key, tt.count, tt.cpu_time_total)
    assert e.self_cpu_time_total == t.self_cpu_time_total


@requires_torch
def test_event_reprs_equal_torch():
    t, e = _events(tpu), _events(ev)
    strip = re.compile(r"(None|cuda)_")
    assert strip.sub("", repr(e[1])) == strip.sub("", repr(t[1]))
    assert repr(e.key_averages()[2]) == repr(t.key_averages()[2])


def test_formatting_rules():
    assert ev._format_time(999.9994) == "999.999us"
    assert ev._format_time(1000.0) == "1.000ms"
    assert ev._format_time(2.5e6) == "2.500s"
    assert ev._format_memory(40000) == "39.06 KB"
    assert ev._format_memory(-40000) == "-39.06 KB"
    assert ev._format_memory(12) == "12 B"
    assert ev._format_time_share(1, 4) == "25.00%"
    assert ev._format_time_share(0, 0) == "NaN"


# ---------------------------------------------------------------- profiling a model
@requires_torch
def test_model_table_has_torchs_layout_and_rows():
    e = _run(ember, ember.profiler, record_shapes=True)
    t = _run(torch, tprof, record_shapes=True)
    et = e.key_averages().table(sort_by="cpu_time_total")
    tt = t.key_averages().table(sort_by="cpu_time_total")
    el, tl = _lines(et), _lines(tt)
    assert el[1] == tl[1] and el[0] == tl[0]  # same header, same name-column width
    assert re.fullmatch(r"Self CPU time total: \d+\.\d{3}(us|ms|s)", el[-1])
    row = re.compile(r" *(.+?)  +(-?\d+\.\d\d%)  +(-?\d+\.\d{3}(?:us|ms|s))  +(\d+\.\d\d%)  +"
                     r"(\d+\.\d{3}(?:us|ms|s))  +(\d+\.\d{3}(?:us|ms|s))  +(\d+)")
    names = {row.fullmatch(r.rstrip()).group(1) for r in el[3:-2]}
    torch_names = {row.fullmatch(r.rstrip()).group(1) for r in tl[3:-2]}
    # every row ember makes for this model is one torch makes too
    assert names <= torch_names
    counts = {a.key: a.count for a in e.key_averages()}
    tcounts = {a.key: a.count for a in t.key_averages()}
    for key in ("model_inference", "aten::linear", "aten::addmm", "aten::relu",
                "AddmmBackward0", "autograd::engine::evaluate_function: AddmmBackward0",
                "ReluBackward0", "torch::autograd::AccumulateGrad"):
        assert counts[key] == tcounts[key], key
    # input shapes as torch records them for the functions ember records at the same level
    ops = ("aten::linear", "aten::addmm", "aten::relu")
    shapes = {(x.name, str(x.input_shapes)) for x in e.events() if x.name in ops[:2]}
    tshapes = {(x.name, str(x.input_shapes)) for x in t.events() if x.name in ops[:2]}
    assert shapes == tshapes
    grouped = _lines(e.key_averages(group_by_input_shape=True).table())
    tgrouped = _lines(t.key_averages(group_by_input_shape=True).table())
    assert grouped[1].split()[-2:] == tgrouped[1].split()[-2:] == ["Input", "Shapes"]


def _cnn_step(lib, mod):
    nn = lib.nn
    lib.manual_seed(0)
    m = nn.Sequential(nn.Conv2d(1, 4, 3), nn.BatchNorm2d(4), nn.ReLU(), nn.MaxPool2d(2),
                      nn.Flatten(), nn.Dropout(0.1), nn.Linear(36, 10))
    opt = lib.optim.SGD(m.parameters(), lr=0.1, momentum=0.9)
    x, y = lib.randn(2, 1, 8, 8), lib.tensor([1, 2])
    with mod.profile(with_flops=True) as fwd:
        opt.zero_grad()
        loss = lib.nn.functional.cross_entropy(m(x), y)
    loss.backward()
    with mod.profile() as step:
        opt.step()
    return ([e.name for e in fwd.events() if e.cpu_parent is None],
            [e.name for e in step.events() if e.cpu_parent is None],
            {e.name: e.flops for e in fwd.events() if e.name == "aten::conv2d"})


@requires_torch
def test_layers_and_optimizers_record_torchs_top_level_rows():
    assert _cnn_step(ember, ember.profiler) == _cnn_step(torch, tprof)


def test_self_and_total_times_nest():
    p = _run(ember, ember.profiler)
    events = p.events()
    assert events[0].name == "model_inference"
    for e in events:
        kids = sum(c.cpu_time_total for c in e.cpu_children)
        assert e.cpu_time_total >= kids >= 0
        assert e.self_cpu_time_total == pytest.approx(e.cpu_time_total - kids)
        for c in e.cpu_children:
            assert c.cpu_parent is e
            assert e.time_range.start <= c.time_range.start <= c.time_range.end <= \
                e.time_range.end
    top = [e for e in events if e.cpu_parent is None]
    assert p.profiler.self_cpu_time_total == pytest.approx(sum(e.cpu_time_total for e in top))
    inf = events[0]
    assert [c.name for c in inf.cpu_children] == ["aten::linear", "aten::relu", "aten::linear"]
    # backward: every top-level row is a node's evaluate_function, whose span also covers
    # adding its gradients into the next nodes' buffers (as torch's)
    backward = [e.name for e in top if e.name != "model_inference"][1:]
    assert backward and all(n.startswith("autograd::engine::evaluate_function: ")
                            for n in backward), backward
    assert [c.name for c in inf.cpu_children[0].cpu_children] == ["aten::addmm"]


def test_record_function_nests_and_decorates():
    @record_function("decorated")
    def f(x):
        return x * 2

    x = ember.ones(3)
    with ember.autograd.profiler.profile() as p:
        with record_function("outer"):
            with record_function("inner"):
                x + 1
            f(x)
    names = [(e.name, e.cpu_parent.name if e.cpu_parent else None) for e in p.function_events]
    assert names == [("outer", None), ("inner", "outer"), ("aten::add", "inner"),
                     ("decorated", "outer"), ("aten::mul", "decorated")]
    outer = p.function_events[0]
    assert outer.cpu_time_total >= sum(c.cpu_time_total for c in outer.cpu_children)
    assert outer.is_user_annotation and not p.function_events[2].is_user_annotation
    with record_function("no profiler"):  # records nothing, costs nothing
        assert f(x).tolist() == [2.0, 2.0, 2.0]


def test_operator_names():
    a, b = ember.randn(3, 4), ember.randn(4, 5)
    with ember.autograd.profiler.profile() as p:
        a + a
        a += 1
        a @ b
        ember.mm(a, b)
        a.relu()
        ember.nn.functional.softmax(a, 1)
    assert [e.name for e in p.function_events if e.cpu_parent is None] == [
        "aten::add", "aten::add_", "aten::matmul", "aten::mm", "aten::relu", "aten::softmax"]


def _many_ops(lib):
    import numpy as np
    a = lib.ones(3, 4)
    return [lambda: lib.zeros(3), lambda: lib.arange(5), lambda: lib.from_numpy(np.ones(2)),
            lambda: lib.randn(2), lambda: lib.cat([a, a]), lambda: lib.stack([a, a]),
            lambda: a.sum(0), lambda: a.mean(), lambda: a.view(-1), lambda: a.reshape(4, 3),
            lambda: a.t(), lambda: a.transpose(0, 1), lambda: a.unsqueeze(0),
            lambda: a.to(lib.float64), lambda: a.float(), lambda: a.long(), lambda: a.clone(),
            lambda: a.detach(), lambda: a.max(), lambda: a.argmax(), lambda: a.softmax(0),
            lambda: a.exp(), lambda: a[0], lambda: a[:, 1:], lambda: a[None], lambda: a[:],
            lambda: a[...], lambda: a[..., 0], lambda: a[a > 0],
            lambda: a.sum().item(), lambda: a.contiguous(), lambda: a.t().contiguous(),
            lambda: a.permute(1, 0), lambda: a.expand(2, 3, 4), lambda: a.flatten(),
            lambda: a.squeeze(), lambda: a.abs(), lambda: a > 0, lambda: a == a,
            lambda: a.masked_fill(a > 0, 0), lambda: lib.where(a > 0, a, a),
            lambda: a.clamp(0, 1), lambda: a.pow(2), lambda: a ** 2, lambda: a / 2,
            lambda: a - 1, lambda: -a, lambda: a.zero_(), lambda: a.new_zeros(2)]


@requires_torch
def test_top_level_operator_rows_equal_torch():
    def rows(lib, mod):
        ops = _many_ops(lib)
        with mod.profile() as p:
            for f in ops:
                with mod.record_function("op"):
                    f()
        return [[c.name for c in e.cpu_children] for e in p.events() if e.name == "op"]
    assert rows(ember, ember.profiler) == rows(torch, tprof)


def test_recording_costs_nothing_when_inactive():
    from ember._tensor import Tensor
    run, add = function.Op.__dict__["run"], Tensor.__dict__["add"]
    apply, relu, conv = engine._apply, enn.functional.relu, enn.Conv2d.__dict__["_fn"]
    zero = ember.optim.Optimizer.__dict__["zero_grad"]
    from ember.utils.data import dataloader
    nxt = dataloader._BaseDataLoaderIter.__dict__["__next__"]
    others = [Tensor.__dict__[n] for n in ("to", "__getitem__", "contiguous", "item")]
    rb = ember.autograd.run_backward
    call = enn.Module.__dict__["__call__"]
    with profile():
        assert function.Op.__dict__["run"] is not run
        assert Tensor.__dict__["add"] is not add
        with profile():  # nested profilers share the hooks
            pass
        assert function.Op.__dict__["run"] is not run
    assert function.Op.__dict__["run"] is run and Tensor.__dict__["add"] is add
    assert engine._apply is apply and enn.functional.relu is relu
    assert enn.Conv2d.__dict__["_fn"] is conv
    assert ember.optim.Optimizer.__dict__["zero_grad"] is zero
    assert dataloader._BaseDataLoaderIter.__dict__["__next__"] is nxt
    assert [Tensor.__dict__[n] for n in ("to", "__getitem__", "contiguous", "item")] == others
    assert ember.autograd.run_backward is rb and enn.Module.__dict__["__call__"] is call
    with pytest.raises(ValueError):
        with profile():
            raise ValueError
    assert function.Op.__dict__["run"] is run


# ---------------------------------------------------------------- flops and memory
def _flop_ops(lib):
    lib.manual_seed(0)
    x, a, b = lib.randn(2, 3, 8, 8), lib.randn(3, 4), lib.randn(4, 5)
    w = lib.randn(4, 3, 3, 3)
    bias, m1, m2 = lib.randn(5), lib.randn(2, 3, 4), lib.randn(2, 4, 5)
    return [lambda: lib.nn.functional.conv2d(x, w), lambda: lib.mm(a, b),
            lambda: lib.addmm(bias, a, b), lambda: a * a, lambda: a + a,
            lambda: lib.bmm(m1, m2)]


@requires_torch
def test_flops_equal_torch():
    def flops(lib, mod):
        with mod.profile(with_flops=True) as p:
            for f in _flop_ops(lib):
                f()
        return sorted((e.name, e.flops) for e in p.events() if e.flops)
    assert flops(ember, ember.profiler) == flops(torch, tprof)
    with profile(with_flops=True) as p:
        _flop_ops(ember)[1]()
    assert _lines(p.key_averages().table())[1].split()[-2:] == ["Total", "FLOPs"]


@requires_torch
def test_memory_columns_equal_torch():
    def table(lib, mod):
        with mod.profile(profile_memory=True) as p:
            lib.ones(100, 100).relu()
        return p.key_averages().table()
    e, t = _lines(table(ember, ember.profiler)), _lines(table(torch, tprof))
    assert e[1].split("  ")[-6:] == t[1].split("  ")[-6:]
    relu = next(r for r in e if "aten::relu" in r)
    assert relu.split()[-3:-1] == ["39.06", "KB"]


@requires_torch
def test_memory_totals_and_frees_equal_torch():
    def usage(lib, mod):
        lib.manual_seed(0)
        m = lib.nn.Sequential(lib.nn.Linear(10, 20), lib.nn.ReLU(), lib.nn.Linear(20, 1))
        x = lib.randn(64, 10)
        with mod.profile(profile_memory=True) as p:
            m(x)
            y = lib.ones(100, 100).relu()
            del y
        return {a.key: (a.cpu_memory_usage, sum(e.cpu_memory_usage for e in p.events()
                                                 if e.key == a.key and e.cpu_parent is None))
                for a in p.key_averages()}
    e, t = usage(ember, ember.profiler), usage(torch, tprof)
    for key in ("aten::linear", "aten::addmm", "aten::relu", "aten::ones", "[memory]"):
        assert e[key] == t[key], key


# ---------------------------------------------------------------- schedules and steps
@requires_torch
@pytest.mark.parametrize("kw", [dict(wait=1, warmup=1, active=2, repeat=1, skip_first=1),
                                dict(wait=0, warmup=2, active=1), dict(wait=2, warmup=1,
                                active=3, repeat=2, skip_first=3, skip_first_wait=1)])
def test_schedule_actions_equal_torch(kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        e, t = schedule(**kw), tprof.schedule(**kw)
    assert [e(i).name for i in range(20)] == [t(i).name for i in range(20)]
    assert [repr(a) for a in ProfilerAction] == [repr(a) for a in tprof.ProfilerAction]


@requires_torch
def test_schedule_errors_and_warnings_equal_torch():
    for kw in (dict(wait=-1, warmup=0, active=1), dict(wait=0, warmup=1, active=0),
               dict(wait=0, warmup=1, active=1, repeat=-1)):
        with pytest.raises(AssertionError) as te:
            tprof.schedule(**kw)
        with pytest.raises(AssertionError) as ee:
            schedule(**kw)
        assert str(ee.value) == str(te.value)
    with pytest.warns(UserWarning) as w:
        schedule(wait=0, warmup=0, active=1)
    assert str(w[0].message) == "Profiler won't be using warmup, this can skew profiler results"
    with pytest.raises(AssertionError, match=re.escape("Step must be non-negative. Got -1.")):
        schedule(wait=0, warmup=1, active=1)(-1)


@requires_torch
def test_steps_and_trace_ready_follow_torch():
    def go(lib, mod):
        seen = []
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with mod.profile(schedule=mod.schedule(wait=1, warmup=1, active=2, repeat=2),
                             on_trace_ready=lambda p: seen.append(
                                 (p.step_num, sorted({e.name for e in p.events()
                                                      if e.name.startswith("Profiler")})))
                             ) as p:
                for _ in range(10):
                    lib.ones(2).relu()
                    p.step()
        return seen
    assert go(ember, ember.profiler) == go(torch, tprof)


@requires_torch
def test_activities_equal_torch():
    assert [repr(a) for a in ProfilerActivity] == \
        [repr(tprof.ProfilerActivity.__members__[a.name]) for a in ProfilerActivity]
    assert str(ProfilerActivity.CUDA) == str(tprof.ProfilerActivity.CUDA)
    assert ember.profiler.supported_activities() == {ProfilerActivity.CPU}
    msgs = []
    for mod in (tprof, ember.profiler):
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            with mod.profile(activities=[mod.ProfilerActivity.CPU, mod.ProfilerActivity.CUDA]):
                pass
        msgs.append([str(x.message) for x in w if "CUDA" in str(x.message)])
    assert msgs[0] == msgs[1] == ["CUDA is not available, disabling CUDA profiling"]


# ---------------------------------------------------------------- traces
@requires_torch
def test_chrome_trace_is_torchs_json(tmp_path):
    e, t = _run(ember, ember.profiler), _run(torch, tprof)
    e.export_chrome_trace(str(tmp_path / "e.json"))
    t.export_chrome_trace(str(tmp_path / "t.json"))
    ed, td = (json.loads((tmp_path / n).read_text()) for n in ("e.json", "t.json"))
    assert list(ed) == list(td)
    x = [r for r in ed["traceEvents"] if r["ph"] == "X"]
    assert [r["name"] for r in x] == [f.name for f in e.events()]
    assert {r["cat"] for r in x} == {"cpu_op", "user_annotation"}
    assert {k for r in x for k in r} <= {k for r in td["traceEvents"] for k in r}
    first = next(r for r in x if r["name"] == "model_inference")
    assert first["dur"] == pytest.approx(e.events()[0].cpu_time_total)


def test_tensorboard_trace_handler_names(tmp_path):
    import socket
    h = ember.profiler.tensorboard_trace_handler(str(tmp_path / "tb"))
    hz = ember.profiler.tensorboard_trace_handler(str(tmp_path / "tb"), "w0", use_gzip=True)
    with profile(schedule=schedule(wait=0, warmup=1, active=1, repeat=1),
                 on_trace_ready=lambda p: (h(p), hz(p))) as p:
        for _ in range(3):
            ember.ones(2).relu()
            p.step()
    names = sorted(os.listdir(tmp_path / "tb"))
    host = re.escape(f"{socket.gethostname()}_{os.getpid()}")
    assert re.fullmatch(host + r"\.\d+\.pt\.trace\.json", names[0])
    assert re.fullmatch(r"w0\.\d+\.pt\.trace\.json\.gz", names[1])
    with gzip.open(tmp_path / "tb" / names[1], "rt") as f:
        assert any(r.get("name") == "aten::relu" for r in json.load(f)["traceEvents"])


# ---------------------------------------------------------------- torch.autograd.profiler
@requires_torch
def test_legacy_profile_behaviour_equals_torch():
    import torch.autograd.profiler as tap
    eap = ember.autograd.profiler
    seen = []
    for mod in (tap, eap):
        p = mod.profile()
        assert repr(p) == "<unfinished torch.autograd.profile>"
        assert p.table() == "" and p.self_cpu_time_total == 0 and len(p.key_averages()) == 0
        with mod.profile(enabled=False) as q:
            assert q is None
        with pytest.raises(AssertionError, match=re.escape(
                "Device-only events supported only with Kineto (use_kineto=True)")):
            mod.profile(use_cpu=False)
        with pytest.raises(AssertionError, match="Torch not compiled with CUDA enabled"):
            with mod.emit_nvtx():
                pass
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            mod.profile(use_cuda=True)
        seen.append([(x.category, str(x.message)) for x in w])
        p = mod.profile()
        with p:
            with pytest.raises(RuntimeError, match="Profiler context manager is not reentrant"):
                p.__enter__()
    assert seen[0] == seen[1] and len(seen[0]) == 2


def test_function_event_attributes():
    x = ember.ones(2, 3)
    with ember.autograd.profiler.profile(record_shapes=True) as p:
        x.sum()
    (s,) = [e for e in p.function_events if e.name == "aten::sum"]
    assert (s.key, s.count, s.input_shapes, s.cpu_children) == ("aten::sum", 1, [[2, 3]], [])
    assert s.self_cpu_time_total == s.cpu_time_total > 0
    assert re.fullmatch(r"\d+\.\d{3}(us|ms|s)", s.cpu_time_total_str)
    avg = p.key_averages()[0]
    assert (avg.key, avg.count, avg.input_shapes) == ("aten::sum", 1, "")
    assert p.self_cpu_time_total == pytest.approx(s.cpu_time_total)


def test_refusals():
    with pytest.raises(NotImplementedError, match=re.escape(
            "ember does not implement torch.profiler.profile(experimental_config=1) yet")):
        profile(experimental_config=1)
    with pytest.raises(NotImplementedError, match=re.escape(
            "ember does not implement torch.profiler.ExecutionTraceObserver yet")):
        ember.profiler.ExecutionTraceObserver()
    with pytest.raises(NotImplementedError, match=re.escape(
            "ember does not implement torch.autograd.profiler.record_function(args='x') yet")):
        record_function("r", "x")
    with pytest.raises(AttributeError, match=re.escape(
            "ember does not implement torch.profiler.itt yet")):
        ember.profiler.itt


@requires_torch
def test_trace_metadata_equals_torch(tmp_path):
    docs = []
    for lib, mod in ((torch, tprof), (ember, ember.profiler)):
        with mod.profile(record_shapes=True, profile_memory=True, with_modules=True) as p:
            p.add_metadata("k", "v")
            p.add_metadata_json("j", '{"a": [1, 2]}')
            lib.ones(2).relu()
        path = tmp_path / f"{lib.__name__}.json"
        p.export_chrome_trace(str(path))
        doc = json.loads(path.read_text())
        docs.append({k: v for k, v in doc.items() if k in (
            "k", "j", "record_shapes", "profile_memory", "with_modules", "schemaVersion")})
        relu = next(r for r in doc["traceEvents"] if r.get("name") == "aten::relu")
        docs[-1]["dims"] = relu["args"]["Input Dims"]
    assert docs[0] == docs[1]


@requires_torch
def test_unstarted_profile_errors_equal_torch(tmp_path):
    for call in (lambda p: p.key_averages(), lambda p: p.events(),
                 lambda p: p.export_chrome_trace(str(tmp_path / "x.json")),
                 lambda p: p.export_stacks(str(tmp_path / "x.txt"))):
        with pytest.raises(AssertionError) as te:
            call(tprof.profile())
        with pytest.raises(AssertionError) as ee:
            call(profile())
        assert str(ee.value) == str(te.value)


@requires_torch
def test_dataloader_batches_are_torchs_rows():
    def rows(lib, mod):
        dl = lib.utils.data.DataLoader(lib.utils.data.TensorDataset(lib.arange(6.0)),
                                       batch_size=2)
        with mod.profile() as p:
            for _ in dl:
                pass
        return [e.name for e in p.events() if e.name.startswith("enumerate")]
    assert rows(ember, ember.profiler) == rows(torch, tprof)


@requires_torch
@pytest.mark.parametrize("acc", [False, True])
def test_acc_events_keeps_cycles_as_torch(acc):
    def count(lib, mod):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with mod.profile(schedule=mod.schedule(wait=1, warmup=1, active=1, repeat=3),
                             acc_events=acc) as p:
                for _ in range(9):
                    lib.ones(2).relu()
                    p.step()
        return sum(e.name == "aten::relu" for e in p.events())
    assert count(ember, ember.profiler) == count(torch, tprof)


@requires_torch
@pytest.mark.parametrize("acts", [["CPU", "XPU"], ["CPU", "HPU"], ["CPU", "MTIA"],
                                  ["CPU", "PrivateUse1"], ["CUDA"], ["XPU"]])
def test_devices_this_machine_lacks_as_torch(acts):
    out = []
    for mod, lib in ((tprof, torch), (ember.profiler, ember)):
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            try:
                with mod.profile(activities=[getattr(mod.ProfilerActivity, a)
                                             for a in acts]) as p:
                    lib.ones(2).relu()
                r = [e.name for e in p.events() if e.name == "aten::relu"]
            except AssertionError as e:
                r = str(e)
        out.append((r, [str(x.message) for x in w]))
    assert out[0] == out[1]


def _traced_step(lib, mod):
    lib.manual_seed(0)
    m = lib.nn.Sequential(lib.nn.Linear(2, 2), lib.nn.ReLU())
    x = lib.ones(2)

    def f():
        return m(x) + 1
    with mod.profile(with_stack=True) as p:
        f()
    keep = ("nn.Module:", "aten::linear", "aten::relu", "aten::add")

    def kept(e):
        return e.name.startswith(keep) or "test_profiler.py" in e.name

    def ancestor(e):
        e = e.cpu_parent
        while e is not None and not kept(e):
            e = e.cpu_parent
        return e and e.name
    return [(e.name, ancestor(e)) for e in p.events() if kept(e)]


@requires_torch
def test_with_stack_traces_python_as_torch():
    rows, trows = _traced_step(ember, ember.profiler), _traced_step(torch, tprof)  # one line
    assert rows == trows
    assert ("nn.Module: Linear_0", "nn.Module: Sequential_0") in rows
    assert sys.getprofile() is None  # the tracer is gone


@requires_torch
def test_trace_ids_as_torch(tmp_path):
    ids = []
    for lib, mod in ((torch, tprof), (ember, ember.profiler)):
        q = mod.profile()
        fresh = q.get_trace_id()
        with q:
            pass
        with mod.profile(custom_trace_id_callback=lambda: "abc123") as p:
            lib.ones(1)
        p.export_chrome_trace(str(tmp_path / "t.json"))
        written = json.loads((tmp_path / "t.json").read_text())["trace_id"]
        ids.append((fresh, bool(re.fullmatch(r"[0-9A-F]{32}", q.get_trace_id())),
                    p.get_trace_id(), written))
    assert ids[0] == ids[1] == (None, True, "abc123", "abc123")
