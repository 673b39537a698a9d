"""`ember run` on scripts and notebooks, `ember info`, `ember demo`, and alias isolation."""

import json
import os
import subprocess
import sys

SCRIPT = """
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch import optim

torch.manual_seed(7)
features = torch.randn((1, 5))
weights = torch.randn_like(features)
bias = torch.randn((1, 1))
print(torch.__name__, features.matmul(weights.T) + bias)
model = nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 2))
opt = optim.SGD(model.parameters(), lr=0.1)
x = torch.ones(2, 4)
loss = F.cross_entropy(model(x), torch.tensor([0, 1]))
loss.backward()
opt.step()
print("ok", torch.cuda.is_available(), sys_argv)
"""


def _run(args, cwd, env_extra=None, timeout=120):
    env = dict(os.environ)
    env.update(env_extra or {})
    return subprocess.run([sys.executable, "-m", "ember"] + args, cwd=cwd, capture_output=True,
                          text=True, timeout=timeout, env=env)


def test_import_ember_leaves_torch_alone():
    code = ("import sys; import ember; print('torch' in sys.modules and "
            "sys.modules['torch'].__name__.startswith('ember'))")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert r.stdout.strip() == "False", r.stderr


def test_run_script(tmp_path):
    path = tmp_path / "train.py"
    path.write_text("import sys\nsys_argv = sys.argv[1:]\n" + SCRIPT)
    r = _run(["run", str(path), "a", "--b"], tmp_path)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0] == "ember tensor([[-1.6619]])"
    assert lines[-1] == "ok False ['a', '--b']"


def test_run_reports_unsupported_api(tmp_path):
    path = tmp_path / "bad.py"
    path.write_text("import torch\ntorch.definitely_not_an_api(3)\n")
    r = _run(["run", str(path)], tmp_path)
    assert r.returncode != 0
    assert "ember does not implement torch.definitely_not_an_api yet" in r.stderr


def test_run_answers_torchinfo_and_torchviz_with_embers(tmp_path):
    path = tmp_path / "learn.py"
    path.write_text(
        "import torch, torchinfo, torchviz\n"
        "from torchinfo import summary\n"
        "m = torch.nn.Linear(3, 2)\n"
        "stats = summary(m, input_size=(4, 3), verbose=0)\n"
        "print(type(stats).__module__, stats.total_params)\n"
        "g = torchviz.make_dot(m(torch.ones(4, 3)).sum(), params=dict(m.named_parameters()))\n"
        "print(type(g).__module__.split('.')[:2], 'weight' in g.source)\n")
    r = _run(["run", str(path)], tmp_path)
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines() == ["ember._summary_table 8", "['ember', 'viz'] True"]


def _notebook(cells):
    return {"cells": [{"cell_type": "code", "metadata": {}, "source": c, "outputs": [],
                       "execution_count": None} for c in cells] +
            [{"cell_type": "markdown", "metadata": {}, "source": "# notes"}],
            "metadata": {}, "nbformat": 4, "nbformat_minor": 5}


def test_run_notebook(tmp_path):
    nb = _notebook([
        "%matplotlib inline\nimport torch\nfrom torchvision import datasets, transforms",
        "!ls\nx = torch.arange(6).view(2, 3)\nx.sum()",
        "y = x * 2\nprint(y.tolist())",
    ])
    path = tmp_path / "nb.ipynb"
    path.write_text(json.dumps(nb))
    r = _run(["run", str(path)], tmp_path)
    assert r.returncode == 0, r.stderr
    assert "skipped IPython line: %matplotlib inline" in r.stdout
    assert "skipped IPython line: !ls" in r.stdout
    assert "tensor(15)" in r.stdout
    assert "[[0, 2, 4], [6, 8, 10]]" in r.stdout


def test_run_notebook_stops_at_failing_cell(tmp_path):
    nb = _notebook(["import torch\na = torch.ones(2, 3)", "a @ a", "print('never')"])
    path = tmp_path / "fail.ipynb"
    path.write_text(json.dumps(nb))
    r = _run(["run", str(path)], tmp_path)
    assert r.returncode == 1
    assert "cell 2 failed" in r.stderr
    assert "mat1 and mat2 shapes cannot be multiplied (2x3 and 2x3)" in r.stderr
    assert "never" not in r.stdout


def test_info(tmp_path):
    r = _run(["info"], tmp_path)
    assert r.returncode == 0
    assert r.stdout.startswith("ember ")
    assert "numpy" in r.stdout and "blas" in r.stdout


def test_demo_trains_to_95_percent(tmp_path):
    r = _run(["demo", "--out", str(tmp_path)], tmp_path, timeout=300)
    assert r.returncode == 0, r.stderr
    acc = [line for line in r.stdout.splitlines() if line.startswith("test accuracy")]
    assert acc, r.stdout
    assert float(acc[0].split()[2].rstrip("%")) >= 95.0
    import ember
    ckpt = ember.load(str(tmp_path / "ember_demo_checkpoint.pth"))
    assert "state_dict" in ckpt and ckpt["test_accuracy"] >= 0.95
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        return
    assert (tmp_path / "ember_demo_training.png").exists()
    assert (tmp_path / "ember_demo_predictions.png").exists()
