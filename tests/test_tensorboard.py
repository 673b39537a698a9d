"""ember.utils.tensorboard against torch.utils.tensorboard: the same calls, the same files.

Each comparison runs one script of SummaryWriter calls with torch's writer and with ember's into
two temporary directories, then reads both back with tensorboard's own event reader and compares
every event (wall time aside), every other file byte for byte, and the directory layout and file
names (the event files' timestamp and counter aside; both runs share the host name and pid).
Without tensorboard only the clear error is checked; without torch only the comparisons skip.
"""

import os
import re
import subprocess
import sys

import numpy as np
import pytest

import ember

try:
    import torch
except ImportError:  # the oracle is optional
    torch = None

try:
    import tensorboard
except ImportError:  # ember's optional extra: without it only the clear error is checked
    tensorboard = None

requires_tensorboard = pytest.mark.skipif(tensorboard is None,
                                          reason="tensorboard (ember's optional extra) is absent")
requires_torch = pytest.mark.skipif(torch is None or tensorboard is None,
                                    reason="torch (the oracle) or tensorboard is not installed")

def _event_name(name):
    """An event file name without its timestamp and per-process counter (host and pid kept)."""
    import socket
    host = re.escape(socket.gethostname())
    found = re.fullmatch(rf"events\.out\.tfevents\.\d+\.({host}\.{os.getpid()})\.\d+(.*)", name)
    return f"events.out.tfevents.<time>.{found[1]}.<n>{found[2]}" if found else name


def _read(root):
    """{relative path: events (as dicts, wall time dropped) or file bytes} for a log directory."""
    from google.protobuf.json_format import MessageToDict
    from tensorboard.backend.event_processing.event_file_loader import LegacyEventFileLoader
    found = {}
    for folder, _, files in os.walk(root):
        # in creation order: event names grow with time and then with the per-process counter
        for name in sorted(files, key=lambda n: [int(p) if p.isdigit() else -1 for p in
                                                 n.split(".")]):
            path = os.path.join(folder, name)
            rel = os.path.relpath(os.path.join(folder, _event_name(name)), root)
            if name.startswith("events.out.tfevents."):
                events = []
                for event in LegacyEventFileLoader(path).Load():
                    event.ClearField("wall_time")
                    events.append(MessageToDict(event))
                found.setdefault(rel, []).append(events)
            else:
                with open(path, "rb") as f:
                    found[rel] = f.read()
    return found


def _compare(tmp_path, script, capsys=None, **writer_kwargs):
    """Runs script(lib, writer) with torch's and ember's SummaryWriter; the files must agree,
    and so must what each printed when `capsys` is given."""
    from torch.utils.tensorboard import SummaryWriter as TorchWriter
    results, printed = [], []
    for lib, writer_type in ((torch, TorchWriter), (ember, ember.utils.tensorboard.SummaryWriter)):
        root = tmp_path / lib.__name__
        with writer_type(str(root), **writer_kwargs) as w:
            script(lib, w)
        results.append(_read(root))
        printed.append(capsys.readouterr().out if capsys else "")
    assert results[1] == results[0]
    assert printed[1] == printed[0]
    return results[1]


def _img(shape, dtype="float32", seed=0, low=0.0, high=1.0):
    rng = np.random.default_rng(seed)
    if np.dtype(dtype).kind == "u":
        return rng.integers(0, 256, shape).astype(dtype)
    return rng.uniform(low, high, shape).astype(dtype)


def test_import_ember_leaves_tensorboard_unimported():
    code = ("import sys, ember; ember.utils.tensorboard.SummaryWriter; "
            "print('tensorboard' in sys.modules, 'PIL' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]


def test_missing_tensorboard_names_the_extra(tmp_path):
    code = ("import sys; sys.modules['tensorboard'] = None\n"
            "import ember.utils.tensorboard as t\n"
            "try:\n    t.SummaryWriter(sys.argv[1])\n"
            "except ModuleNotFoundError as e:\n    print(type(e).__name__, e.name, str(e))\n")
    out = subprocess.run([sys.executable, "-c", code, str(tmp_path)], capture_output=True,
                         text=True, check=True)
    assert out.stdout.strip() == (
        "ModuleNotFoundError tensorboard No module named 'tensorboard': ember.utils.tensorboard "
        "needs it; install it with `pip install ember[tensorboard]`")
    assert not os.listdir(tmp_path)


@requires_torch
def test_scalars_text_and_layouts(tmp_path):
    def script(lib, w):
        w.add_scalar("loss", 0.5, 0)
        w.add_scalar("loss", 3, 1, walltime=123.0)
        w.add_scalar("loss", lib.tensor(0.1), np.int64(2))
        w.add_scalar("loss/t", lib.tensor([[2.5]], dtype=lib.float64), 3)
        w.add_scalar("np", np.float32(1.25), 4)
        w.add_scalar("grad", lib.ones(1, requires_grad=True) * 3, 4)
        w.add_scalar("new", lib.tensor(0.1), 5, new_style=True)
        w.add_scalar("new64", 0.1, 5, new_style=True, double_precision=True)
        w.add_scalars("run/a", {"x": 1.0, "y": lib.tensor(2.0)}, 0)
        w.add_scalars("run/a", {"x": 3.0, "z": 4}, 1, walltime=5.0)
        w.add_text("note", "hello **world** ünïcode", 7)
        w.add_custom_scalars({"cat": {"m": ["Multiline", ["loss", "np"]],
                                      "g": ["Margin", ["a", "b", "c"]]}})
        w.add_custom_scalars_multilinechart(["loss"], category="c2", title="t2")
        w.add_custom_scalars_marginchart(["a", "b", "c"])
        w.flush()
    files = _compare(tmp_path, script)
    assert sorted(os.path.dirname(k) for k in files) == ["", "run_a_x", "run_a_y", "run_a_z"]


@requires_tensorboard
def test_tensorboard_reads_ember_scalars(tmp_path):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
    with ember.utils.tensorboard.SummaryWriter(str(tmp_path)) as w:
        for step in range(3):
            w.add_scalar("y", ember.tensor(step * 2.0), step)
    acc = EventAccumulator(str(tmp_path))
    acc.Reload()
    assert [(e.step, e.value) for e in acc.Scalars("y")] == [(0, 0.0), (1, 2.0), (2, 4.0)]


@requires_torch
def test_histograms(tmp_path):
    values = np.random.default_rng(0).normal(size=500).astype("float32")

    def script(lib, w):
        w.add_histogram("tf", lib.tensor(values), 0)
        w.add_histogram("tf", values * 1e3, 1)
        w.add_histogram("ints", lib.tensor([1, 2, 2, 3, 3, 3]), 0)
        w.add_histogram("one", 0.0, 0)
        for bins in ("auto", "fd", "sturges", 7):
            w.add_histogram(f"np/{bins}", lib.tensor(values), 2, bins=bins)
        w.add_histogram("capped", values, 3, bins=100, max_bins=7)
        w.add_histogram("capped_tf", values, 3, max_bins=30)
        lib.manual_seed(0)
        layer = lib.nn.Linear(5, 4)  # ember draws torch's initial weights
        layer(lib.ones(2, 5)).sum().backward()
        for name, param in layer.named_parameters():
            w.add_histogram(name, param, 5)
            w.add_histogram(name + ".grad", param.grad, 5)
        w.add_histogram_raw("raw", min=0.0, max=3.0, num=6, sum=10.0, sum_squares=20.0,
                            bucket_limits=[1.0, 2.0, 3.0], bucket_counts=[1, 2, 3],
                            global_step=4, walltime=1.0)
    _compare(tmp_path, script)


@requires_torch
def test_images(tmp_path):
    def script(lib, w):
        w.add_image("chw", lib.tensor(_img((3, 6, 5))), 0)
        w.add_image("hwc_uint8", _img((6, 5, 3), "uint8"), 0, dataformats="HWC")
        w.add_image("hw", lib.tensor(_img((4, 7), low=-0.5, high=1.5)), 1, dataformats="HW")
        w.add_image("wh", _img((4, 7)), 1, dataformats="WH")
        w.add_image("grey", lib.tensor(_img((1, 4, 4), "uint8")), 2)
        w.add_image("rgba", _img((4, 4, 4)), 2, dataformats="HWC")
        w.add_images("batch", lib.tensor(_img((10, 3, 4, 5), seed=1)), 3)
        w.add_images("batch_grey", _img((3, 5, 4, 1), "uint8"), 3, dataformats="NHWC")
        w.add_image_with_boxes("boxes", lib.tensor(_img((3, 32, 40))),
                               lib.tensor([[1.0, 2.0, 20.0, 25.0], [5, 5, 30, 30]]), 4,
                               labels=["cat", "dog"])
        w.add_image_with_boxes("boxes2", _img((24, 24, 3), "uint8"), np.array([[1, 1, 9, 9]]),
                               4, rescale=2, dataformats="HWC", labels="mismatch x")
    _compare(tmp_path, script)


@requires_torch
def test_hparams_sub_runs(tmp_path):
    def script(lib, w):
        w.add_scalar("before", 1.0, 0)
        w.add_hparams({"lr": 0.1, "bsize": 4, "opt": "sgd", "nesterov": True, "none": None,
                       "t": lib.tensor([0.5])},
                      {"hp/acc": 0.9, "hp/loss": lib.tensor(0.25)},
                      hparam_domain_discrete={"opt": ["sgd", "adam"], "bsize": [4, 8]},
                      run_name="run1")
        w.add_hparams({"lr": 0.01}, {"hp/acc": 0.5}, run_name="run2", global_step=3)
    files = _compare(tmp_path, script)
    assert sorted(os.path.dirname(k) for k in files) == ["", "run1", "run2"]


@requires_tensorboard
def test_hparams_default_run_name_is_a_time(tmp_path):
    w = ember.utils.tensorboard.SummaryWriter(str(tmp_path))
    w.add_hparams({"a": 1}, {"m": 2.0})
    w.close()
    runs = [d for d in os.listdir(tmp_path) if os.path.isdir(tmp_path / d)]
    assert len(runs) == 1 and re.fullmatch(r"\d+\.\d+", runs[0])


@requires_torch
def test_embeddings(tmp_path, capsys):
    mat = _img((6, 3), low=-1, high=1)
    labels = _img((6, 3, 5, 4), seed=2)

    def script(lib, w):
        w.add_embedding(lib.tensor(mat), metadata=list("abcdef"), label_img=lib.tensor(labels))
        w.add_embedding(mat.astype("float64"), global_step=7, tag="a/b%c\\d",
                        metadata=[[i, str(i * 2)] for i in range(6)], metadata_header=["n", "m"])
        w.add_embedding(lib.tensor(mat[:2]), global_step=3)
        w.add_embedding(lib.tensor(mat[:2]), global_step=3)  # the same directory: a warning
    files = _compare(tmp_path, script, capsys)
    assert {"projector_config.pbtxt", "00000/default/sprite.png", "00007/a%2fb%25c%5cd/tensors.tsv",
            "00003/default/tensors.tsv"} <= set(files)


@requires_torch
def test_pr_curves_tensors_audio_mesh(tmp_path, capsys):
    rng = np.random.default_rng(3)
    labels, predictions = rng.integers(0, 2, 50), rng.random(50).astype("float32")

    def script(lib, w):
        w.add_pr_curve("pr", lib.tensor(labels), lib.tensor(predictions), 0)
        w.add_pr_curve("pr", labels, predictions, 1, num_thresholds=500,
                       weights=np.linspace(0, 1, 50))
        w.add_pr_curve("pr10", labels, predictions, 2, num_thresholds=10)
        rows = [lib.tensor(rng_row) for rng_row in np.arange(30, dtype="float32").reshape(6, 5)]
        w.add_pr_curve_raw("raw", *rows, global_step=3, num_thresholds=5)
        for dtype in ("float32", "float64", "float16", "int64", "int32", "int16", "int8",
                      "uint8", "bool", "complex64", "complex128"):
            values = np.arange(6).reshape(2, 3) % 3 - 1
            w.add_tensor(f"t/{dtype}", lib.tensor(values.astype(dtype)), 1)
        w.add_audio("sound", lib.tensor(np.sin(np.arange(100) / 5)[None]), 0, sample_rate=8000)
        w.add_audio("loud", 2 * np.cos(np.arange(50) / 3), 1)
        verts = lib.tensor([[[1.0, 1, 1], [-1, -1, 1], [1, -1, -1], [-1, 1, -1]]])
        colors = lib.tensor([[[255, 0, 0], [0, 255, 0], [0, 0, 255], [255, 0, 255]]])
        faces = lib.tensor([[[0, 2, 3], [0, 3, 1], [0, 1, 2], [1, 3, 2]]], dtype=lib.int32)
        w.add_mesh("mesh", verts, colors=colors, faces=faces, config_dict={"camera": {"fov": 7}},
                   global_step=2)
        w.add_mesh("cloud", verts)
        w.add_video("video", lib.tensor(_img((3, 2, 3, 4, 4))), 0, fps=2)
    _compare(tmp_path, script, capsys)


@requires_torch
def test_purge_step_suffix_and_reopen_after_close(tmp_path):
    def script(lib, w):
        w.add_scalar("a", 1.0, 11)
        w.close()
        w.close()  # a second close is a no-op
        w.add_scalar("a", 2.0, 12)  # a new event file in the same directory
    files = _compare(tmp_path, script, purge_step=10, filename_suffix=".sfx", max_queue=2,
                     flush_secs=5)
    names = list(files)
    assert len(names) == 1 and names[0].endswith(".sfx")
    assert len(files[names[0]]) == 2  # two files of the same (normalised) name


@requires_torch
def test_default_log_dir_and_get_logdir(tmp_path, monkeypatch):
    from torch.utils.tensorboard import SummaryWriter as TorchWriter
    monkeypatch.chdir(tmp_path)
    dirs = []
    for writer_type in (TorchWriter, ember.utils.tensorboard.SummaryWriter):
        w = writer_type(comment="_lr0.1")
        dirs.append(w.get_logdir())
        w.close()
    stamp = r"[A-Z][a-z]{2}\d{2}_\d{2}-\d{2}-\d{2}"
    for d in dirs:
        assert re.fullmatch(os.path.join("runs", stamp + "_.+_lr0.1"), d)
        assert os.path.isdir(d)
    assert [re.sub(stamp, "", d) for d in dirs[1:]] == [re.sub(stamp, "", dirs[0])]
    path = tmp_path / "given"
    for writer_type in (TorchWriter, ember.utils.tensorboard.SummaryWriter):
        with writer_type(path, comment="ignored") as w:
            assert w.get_logdir() is path


def _errors(lib, make_writer):
    """(type name, text) of each failing call, for both libraries."""
    out = []
    with make_writer() as w:
        calls = [
            lambda: w.add_scalar("s", lib.tensor([1.0, 2.0])),
            lambda: w.add_scalar("s", [1.0]),
            lambda: w.add_histogram("h", np.array([])),
            lambda: w.add_histogram_raw("r", 0, 1, 1, 1, 1, [1, 2], [1]),
            lambda: w.add_image("i", _img((3, 4)), dataformats="CHW"),
            lambda: w.add_image("i", _img((3, 4, 4)), dataformats="CCW"),
            lambda: w.add_hparams([("a", 1)], {}),
            lambda: w.add_hparams({"a": [1]}, {}),
            lambda: w.add_hparams({"a": 1}, {}, hparam_domain_discrete={"a": ["x"]}),
            lambda: w.add_hparams({"a": 1}, {}, hparam_domain_discrete=[1]),
            lambda: w.add_custom_scalars_marginchart(["a", "b"]),
            lambda: w.add_custom_scalars({"c": {"m": ["Margin", ["a"]]}}),
            lambda: w.add_audio("a", np.ones((2, 3)) / 2),
            lambda: w.add_embedding(np.ones((2, 3)), metadata=["a"]),
            lambda: w.add_embedding(np.ones((2, 3, 1)), global_step=1),
            lambda: w.add_embedding(np.ones((2, 2)), metadata=[[1, 2]], metadata_header=["a"],
                                    global_step=2),
            lambda: w.add_tensor("t", np.zeros(2)),
        ]
        for call in calls:
            try:
                call()
                out.append(None)
            except Exception as e:  # noqa: BLE001 (comparing whatever torch raises)
                out.append((type(e).__name__, str(e)))
    return out


@requires_torch
def test_errors_match_torch(tmp_path):
    from torch.utils.tensorboard import SummaryWriter as TorchWriter
    theirs = _errors(torch, lambda: TorchWriter(str(tmp_path / "t")))
    ours = _errors(ember, lambda: ember.utils.tensorboard.SummaryWriter(str(tmp_path / "e")))
    assert ours == theirs
    assert None not in theirs


@requires_tensorboard
def test_refusals(tmp_path):
    with ember.utils.tensorboard.SummaryWriter(str(tmp_path)) as w:
        with pytest.raises(NotImplementedError, match=r"^ember does not implement torch\.utils\."
                           r"tensorboard\.SummaryWriter\.add_graph yet: torch draws the graph of "
                           r"a TorchScript trace \(torch\.jit\.trace\), which ember does not have"):
            w.add_graph(ember.nn.Linear(2, 1), ember.zeros(1, 2))
        with pytest.raises(NotImplementedError, match=r"add_pr_curve_raw\(weights=1\.0\)"):
            w.add_pr_curve_raw("p", *[np.ones(3)] * 6, weights=1.0)


@requires_tensorboard
def test_add_figure(tmp_path):
    plt = pytest.importorskip("matplotlib.pyplot")
    if torch is None:
        pytest.skip("torch (the oracle) is not installed")

    def script(lib, w):
        fig = plt.figure(figsize=(1, 1), dpi=20)
        fig.gca().plot([0, 1], [1, 0])
        w.add_figure("fig", fig, 0, close=False)
        w.add_figure("figs", [fig, fig], 1)
    _compare(tmp_path, script)


@requires_tensorboard
def test_ember_run_maps_torch_tensorboard(tmp_path):
    script = tmp_path / "train.py"
    script.write_text(
        "import sys\n"
        "import torch\n"
        "from torch.utils.tensorboard import SummaryWriter\n"
        "with SummaryWriter(sys.argv[1]) as w:\n"
        "    w.add_scalar('x', torch.tensor(2.0), 1)\n"
        "print(type(w).__module__, torch.__name__)\n")
    out = subprocess.run([sys.executable, "-m", "ember", "run", str(script), str(tmp_path / "log")],
                         capture_output=True, text=True, cwd=tmp_path, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["ember.utils.tensorboard.writer", "ember"]
    [events] = _read(tmp_path / "log").values()
    assert events[0][-1]["summary"] == {"value": [{"tag": "x", "simpleValue": 2.0}]}


@requires_tensorboard
def test_record_writer_is_tensorboards():
    from tensorboard.summary.writer.record_writer import RecordWriter

    from ember.utils import tensorboard as etb
    assert etb.RecordWriter is RecordWriter
    assert sorted(etb.__all__) == ["FileWriter", "RecordWriter", "SummaryWriter"]
    with pytest.raises(AttributeError):
        etb.NoSuchWriter  # noqa: B018


@requires_tensorboard
def test_add_figure_without_matplotlib_names_the_package(tmp_path):
    code = ("import sys; sys.modules['matplotlib'] = None\n"
            "import ember.utils.tensorboard as t\n"
            "w = t.SummaryWriter(sys.argv[1])\n"
            "try:\n    w.add_figure('f', object())\n"
            "except ModuleNotFoundError as e:\n    print(e.name, str(e))\n")
    out = subprocess.run([sys.executable, "-c", code, str(tmp_path)], capture_output=True,
                         text=True, check=True)
    assert out.stdout.strip() == (
        "matplotlib No module named 'matplotlib': SummaryWriter.add_figure needs it; install it "
        "with `pip install matplotlib`")


@requires_torch
def test_summary_functions_build_torchs_protos():
    from torch.utils.tensorboard import summary as theirs

    from ember.utils.tensorboard import summary as ours
    rng = np.random.default_rng(5)
    values = rng.normal(size=40).astype("float32")
    labels, predictions = rng.integers(0, 2, 30), rng.random(30)

    def calls(lib, s):
        return [
            s.scalar("a", lib.tensor(1.5)),
            s.scalar("a", 2, new_style=True, double_precision=True),
            s.histogram("h", lib.tensor(values), "auto", max_bins=4),
            s.histogram_raw("r", 0, 1, 2, 1.0, 1.0, [0.5, 1.0], [1, 1]),
            s.image("i", lib.tensor(_img((2, 3, 4, 4))), rescale=2),
            s.image_boxes("b", _img((3, 9, 9)), lib.tensor([[1, 1, 5, 5]]), labels=["x"]),
            s.text("t", "words"),
            s.custom_scalars({"c": {"m": ["Multiline", ["a"]]}}),
            s.pr_curve("p", labels, predictions, num_thresholds=9, weights=0.5),
            s.pr_curve_raw("p", *np.arange(18.0).reshape(6, 3), num_thresholds=3),
            s.audio("au", lib.tensor(np.linspace(-1, 1, 20)), sample_rate=100),
            s.mesh("m", lib.tensor(_img((1, 3, 3))), None, None, None, display_name="d",
                   description="about"),
            s.tensor_proto("x", lib.tensor([[1.5, -2.0]], dtype=lib.float16)),
            *s.hparams({"a": 1, "b": "x"}, {"m": 1}),
        ]
    mine = [m.SerializeToString() for m in calls(ember, ours)]
    assert mine == [m.SerializeToString() for m in calls(torch, theirs)]
    for f in (1.0, -2.5, 3e38):
        assert ours.half_to_int(f) == theirs.half_to_int(f)
        assert ours.int_to_half(ours.half_to_int(f)) == theirs.int_to_half(theirs.half_to_int(f))
    assert ours.compute_curve(labels, predictions, 5).tolist() == \
        theirs.compute_curve(labels, predictions, 5).tolist()


@requires_torch
def test_file_writer(tmp_path):
    from torch.utils.tensorboard.writer import FileWriter as TorchFileWriter

    from ember.utils.tensorboard import summary
    from ember.utils.tensorboard.writer import FileWriter
    found = []
    for lib, writer_type in ((torch, TorchFileWriter), (ember, FileWriter)):
        w = writer_type(tmp_path / lib.__name__, max_queue=1, filename_suffix="_s")
        assert w.get_logdir() == str(tmp_path / lib.__name__)
        w.add_summary(summary.scalar("s", 1.0), global_step=lib.tensor(6), walltime=2.0)
        w.add_summary(summary.text("t", "x"), 7)
        w.flush()
        w.close()
        # tensorboard's EventFileWriter has no reopen: torch's reopen fails, and so does ember's
        with pytest.raises(AttributeError) as e:
            w.reopen()
        found.append((_read(tmp_path / lib.__name__), str(e.value)))
    assert found[1] == found[0]


@requires_tensorboard
def test_meta_tensors_are_refused(tmp_path):
    with ember.utils.tensorboard.SummaryWriter(str(tmp_path)) as w:
        with pytest.raises(NotImplementedError, match="^ember does not implement SummaryWriter "
                           "logging of meta tensors yet$"):
            w.add_scalar("m", ember.zeros(1, device="meta"))


def _fake_onnx():
    """A stand-in for the onnx package (not installed here): load() returns a small graph."""
    import types

    from tensorboard.compat.proto.attr_value_pb2 import AttrValue
    ns = types.SimpleNamespace

    def value(name, dims):
        shape = ns(dim=[ns(dim_value=d) for d in dims])
        return ns(name=name, type=ns(tensor_type=ns(elem_type=1, shape=shape)))

    graph = ns(input=[value("x", [1, 3]), value("w", [3, 2])], output=[value("y", [1, 2])],
               node=[ns(op_type="MatMul", input=["x", "w"], output=["h"], attribute=[]),
                     ns(op_type="LeakyRelu", input=["h"], output=["y"],
                        attribute=[AttrValue(s=b"alpha", i=2), AttrValue(f=0.5)])])
    module = types.ModuleType("onnx")
    module.load = lambda fname: ns(graph=graph, fname=fname)
    return module


@requires_torch
def test_add_onnx_graph(tmp_path, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "onnx", _fake_onnx())
    files = _compare(tmp_path, lambda lib, w: w.add_onnx_graph("model.onnx"), capsys)
    [events] = files.values()
    assert "graphDef" in events[0][-1]


@requires_tensorboard
def test_add_onnx_graph_without_onnx(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "onnx", None)
    with ember.utils.tensorboard.SummaryWriter(str(tmp_path)) as w:
        with pytest.raises(ModuleNotFoundError, match=r"^No module named 'onnx': SummaryWriter"
                           r"\.add_onnx_graph needs it; install it with `pip install onnx`$"):
            w.add_onnx_graph("model.onnx")


@requires_torch
@pytest.mark.parametrize("name", ["SummaryWriter", "FileWriter"])
def test_signatures_are_torchs(name):
    import inspect

    import torch.utils.tensorboard as theirs

    from ember.utils import tensorboard as ours

    def public(cls):
        return {k: inspect.signature(v) for k, v in vars(cls).items()
                if callable(v) and (not k.startswith("_") or k in ("__init__", "__enter__",
                                                                   "__exit__"))}
    mine, torchs = public(getattr(ours, name)), public(getattr(theirs, name))
    assert sorted(mine) == sorted(torchs)
    for method, sig in torchs.items():
        strip = [p.replace(annotation=inspect.Parameter.empty) for p in sig.parameters.values()]
        assert list(mine[method].parameters.values()) == strip, method


@requires_torch
def test_layout_helpers_match_torchs():
    from torch.utils.tensorboard import _utils as theirs

    from ember.utils.tensorboard import _convert as ours
    for batch in (1, 2, 3, 5, 8):
        for dtype in ("uint8", "float32"):
            video = _img((batch, 2, 3, 4, 5), dtype, seed=batch)
            assert np.array_equal(ours.prepare_video(video), theirs._prepare_video(video))
    for count, ncols in ((1, 8), (5, 2), (9, 8), (4, 3)):
        images = _img((count, 1, 3, 2), seed=count)
        assert np.array_equal(ours.make_grid(images, ncols), theirs.make_grid(images, ncols))
    for fmt, shape in (("NHWC", (3, 4, 5, 3)), ("CHW", (1, 3, 2)), ("HWC", (2, 3, 4)),
                       ("WH", (2, 3)), ("hw", (2, 3)), ("CWH", (3, 2, 4))):
        a = _img(shape)
        assert np.array_equal(ours.convert_to_HWC(a, fmt), theirs.convert_to_HWC(a, fmt))
