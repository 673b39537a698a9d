"""`ember explain` (a program run once, then its models, losses and hints reported), `ember run
--timings`, and the progress output of downloads without tqdm. The CLI runs in a subprocess:
`ember run` installs the torch -> ember aliases in its process."""

import json
import os
import subprocess
import sys

import pytest

import ember
from ember import _explain

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

TRAIN = """
import torch
import torch.nn as nn
torch.manual_seed(0)
model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2))
criterion = nn.CrossEntropyLoss()
opt = torch.optim.SGD(model.parameters(), lr=0.5)
x, y = torch.randn(32, 4), torch.randint(0, 2, (32,))
losses = []
for step in range(12):
    opt.zero_grad()
    loss = criterion(model(x), y)
    loss.backward()
    losses.append(loss.item())
    opt.step()
print("LOSSES", losses)
"""


def _ember(*args, cwd):
    env = dict(os.environ, PYTHONPATH=os.path.join(ROOT, "src"), PYTHONDONTWRITEBYTECODE="1")
    return subprocess.run([sys.executable, "-m", "ember", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=120)


def test_explain_reports_model_losses_and_no_hints(tmp_path):
    (tmp_path / "train.py").write_text(TRAIN)
    done = _ember("explain", "train.py", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    out = done.stdout
    losses = eval(out.split("LOSSES ", 1)[1].split("\n", 1)[0])
    report = out.split("ember explain: train.py (exit status 0, ", 1)[1]
    assert "model: Sequential, 58 parameters" in report
    assert "├─Linear: 1-1                            [32, 8]                   40" in report
    assert "Total params: 58" in report
    assert f"losses: 12 backward() call(s); first {losses[0]:.4g}, last {losses[-1]:.4g}" in report
    marks, _ = _explain.sparkline(losses)
    assert f"  {marks}   (one mark per call)" in report
    assert "hints: none recorded" in report


def test_explain_reports_hints_and_a_failing_program(tmp_path):
    pytest.importorskip("ember._hints")
    src = TRAIN.replace("    opt.zero_grad()\n", "") + "nn.Linear(3, 2)(x)\n"
    (tmp_path / "bad.py").write_text(src)
    done = _ember("explain", "bad.py", cwd=tmp_path)
    assert done.returncode == 1
    assert "RuntimeError: mat1 and mat2 shapes cannot be multiplied (32x4 and 3x2)" in done.stderr
    report = done.stdout.split("ember explain: bad.py (exit status 1, ", 1)[1]
    assert "hints: 2\n  1. ember hint: loss.backward() is adding to gradients" in report
    assert "  2. ember hint: raised in " in report


def test_explain_a_notebook_and_sys_exit(tmp_path):
    cells = [TRAIN, "import sys\nsys.exit(3)"]
    nb = {"cells": [{"cell_type": "code", "source": c, "metadata": {}, "outputs": []}
                    for c in cells], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    (tmp_path / "t.ipynb").write_text(json.dumps(nb))
    done = _ember("explain", "t.ipynb", cwd=tmp_path)
    assert done.returncode == 3
    assert "ember explain: t.ipynb (exit status 3, " in done.stdout
    assert "losses: 12 backward() call(s)" in done.stdout


def test_sparkline():
    assert _explain.sparkline([]) == ("", 0)
    assert _explain.sparkline([3.0, 2.0, 1.0, 0.0]) == ("█▆▃▁", 1)
    marks, per = _explain.sparkline(list(range(200)), width=50)
    assert (len(marks), per, marks[0], marks[-1]) == (50, 4, "▁", "█")
    assert _explain.sparkline([1.0, 1.0]) == ("▁▁", 1)


def test_run_timings_per_cell(tmp_path):
    cells = ["x = 1", "import time\ntime.sleep(0.05)\nprint('slept')"]
    nb = {"cells": [{"cell_type": "code", "source": c, "metadata": {}, "outputs": []}
                    for c in cells], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    (tmp_path / "t.ipynb").write_text(json.dumps(nb))
    done = _ember("run", "--timings", "t.ipynb", cwd=tmp_path)
    assert done.returncode == 0 and done.stdout == "slept\n"
    lines = done.stderr.strip().splitlines()
    assert [ln.split(":")[0] for ln in lines] == ["[ember run] cell 1", "[ember run] cell 2"]
    assert float(lines[1].split(": ")[1].split(" s")[0]) >= 0.05
    plain = _ember("run", "t.ipynb", cwd=tmp_path)
    assert plain.stderr == ""
    (tmp_path / "s.py").write_text("print('hi')")
    done = _ember("run", "--timings", "s.py", "--timings", cwd=tmp_path)
    assert done.stdout == "hi\n" and done.stderr.startswith("[ember run] s.py: ")


def test_download_progress_without_tqdm(monkeypatch, capsys):
    from ember.vision.datasets import _download
    monkeypatch.setitem(sys.modules, "tqdm.auto", None)  # import fails: no tqdm
    bar = _download._progress(10 * 2**20, "data.bin")
    for _ in range(10):
        bar.update(2**20)
    bar.close()
    err = capsys.readouterr().err.splitlines()
    assert err[0] == "Downloading data.bin: 10% (1.0/10.0 MiB)"
    assert err[-1] == "Downloading data.bin: 100% (10.0/10.0 MiB) done"
    assert len(err) == 10
    bar = _download._progress(None, "x")
    bar.update(9 * 2**20)
    assert capsys.readouterr().err == "Downloading x: (9.0 MiB)\n"


def test_download_progress_with_tqdm(monkeypatch):
    tqdm = pytest.importorskip("tqdm")
    from ember import hub
    from ember.vision.datasets import _download
    bar = _download._progress(100, "data.bin")
    assert isinstance(bar, tqdm.tqdm)
    bar.close()
    bar = hub._progress_bar(100, True)
    assert isinstance(bar, tqdm.tqdm)
    bar.close()
    monkeypatch.setitem(sys.modules, "tqdm", None)
    assert isinstance(hub._progress_bar(100, False), hub._Progress)


def test_summary_is_lazy():
    code = ("import sys, ember; assert 'ember._summary' not in sys.modules; "
            "assert 'ember.viz' not in sys.modules; ember.summary; ember.viz.make_dot; "
            "print('ok')")
    env = dict(os.environ, PYTHONPATH=os.path.join(ROOT, "src"))
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert done.stdout == "ok\n", done.stderr
    assert callable(ember.summary)
