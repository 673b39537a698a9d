"""The course examples run end to end on the data shipped with ember (or synthetic data)."""

import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _run(script, *args):
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1")
    r = subprocess.run([sys.executable, os.path.join(ROOT, "examples", script), *args],
                       capture_output=True, text=True, timeout=300, env=env,
                       cwd=ROOT)
    assert r.returncode == 0, r.stderr
    return r.stdout.splitlines()


def test_mlp_example_learns_digits(tmp_path):
    lines = _run("mlp_mnist.py", "--epochs", "2", "--data", str(tmp_path))
    acc = [float(line.rsplit(" ", 1)[1]) for line in lines if "test accuracy" in line]
    assert len(acc) == 2 and acc[-1] > 0.5


def test_cnn_example_trains(tmp_path):
    lines = _run("cnn_cifar10.py", "--epochs", "1", "--data", str(tmp_path))
    assert lines[-1].startswith("epoch 1: training loss")


@pytest.mark.parametrize("steps", [5])
def test_char_rnn_example_trains(steps):
    lines = _run("char_rnn.py", "--steps", str(steps))
    assert lines[-1].startswith(f"step {steps}: loss")
