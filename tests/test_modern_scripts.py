"""Scripts written the way today's official examples and tutorials are (tests/modern/) run
unchanged under `ember run` and print what torch prints.

Each script is run twice in a fresh process: under `python -m ember run` (which maps `torch` to
ember) and, where torch is installed, under plain Python with torch. Their standard outputs must
be identical; without torch only the ember run is checked (it must succeed).
"""

import importlib.util
import os
import subprocess
import sys

import pytest

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "modern")
_ENV = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1",
            PYTHONWARNINGS="ignore")

# script -> (extra argv, optional packages it needs besides torch)
SCRIPTS = {
    "accelerator_train.py": ([], ()),
    "autocast_train.py": ([], ("ml_dtypes",)),
    "tensorboard_log.py": (["{tmp}"], ("tensorboard",)),
    "profile_step.py": ([], ()),
    "jit_model.py": ([], ()),
    "meta_shapes.py": ([], ()),
}


def _run(cmd, tmp):
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=300, env=_ENV, cwd=tmp)
    assert r.returncode == 0, f"{' '.join(cmd)} failed:\n{r.stdout}\n{r.stderr}"
    return r.stdout


@pytest.mark.parametrize("script", sorted(SCRIPTS))
def test_script_runs_as_under_torch(script, tmp_path):
    argv, needs = SCRIPTS[script]
    for pkg in needs:
        pytest.importorskip(pkg)
    path = os.path.join(HERE, script)
    (tmp_path / "ember").mkdir()
    args = [a.format(tmp=tmp_path / "ember" / "log") for a in argv]
    mine = _run([sys.executable, "-m", "ember", "run", path, *args], tmp_path / "ember")
    assert mine.strip(), "the script printed nothing"
    if importlib.util.find_spec("torch") is None:
        pytest.skip("torch is not installed: the output was not compared")
    (tmp_path / "torch").mkdir()
    args = [a.format(tmp=tmp_path / "torch" / "log") for a in argv]
    theirs = _run([sys.executable, path, *args], tmp_path / "torch")
    assert mine == theirs
