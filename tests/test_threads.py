"""Thread settings: get_num_threads/set_num_threads are NumPy's BLAS pool (through threadpoolctl,
the `threads` extra), with torch's argument errors; without threadpoolctl get_num_threads still
answers what the BLAS chose and set_num_threads names the extra; the interop setting is torch's
set-once value; `import ember` never loads threadpoolctl."""

import os
import subprocess
import sys

import numpy as np
import pytest

import ember
from ember import _threads


def _python(code, **env):
    """Runs code in a fresh interpreter (with `env` added) and returns its stdout, stripped."""
    full = dict(os.environ, **env)
    for k, v in env.items():
        if v is None:
            full.pop(k)
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=full)
    assert r.returncode == 0, r.stderr
    return r.stdout.strip()


def _blas_threads():
    """threadpoolctl's own report for NumPy's BLAS."""
    from threadpoolctl import threadpool_info
    pools = [i for i in threadpool_info() if i["user_api"] == "blas"]
    own = [i for i in pools if "numpy" in os.path.normcase(i["filepath"])] or pools
    return max(i["num_threads"] for i in own)


def test_import_does_not_load_threadpoolctl():
    assert _python("import sys, ember; print('threadpoolctl' in sys.modules)") == "False"


def test_get_num_threads_is_the_blas_pool():
    pytest.importorskip("threadpoolctl")
    assert ember.get_num_threads() == _blas_threads()


def test_set_num_threads_limits_the_blas_pool():
    pytest.importorskip("threadpoolctl")
    before = ember.get_num_threads()
    try:
        ember.set_num_threads(1)
        assert _blas_threads() == 1 and ember.get_num_threads() == 1
        a = np.arange(64.0).reshape(8, 8)
        assert np.array_equal((ember.from_numpy(a) @ ember.from_numpy(a)).numpy(), a @ a)
    finally:
        ember.set_num_threads(before)
    assert _blas_threads() == before


@pytest.mark.parametrize("threads", ["1", "3", None])
def test_get_num_threads_without_threadpoolctl_tells_the_truth(threads):
    """In a fresh process the BLAS pool is what its variables (or the CPU count) made it: the
    answer given without threadpoolctl equals threadpoolctl's."""
    pytest.importorskip("threadpoolctl")
    env = {v: threads for vs in _threads._ENV.values() for v in vs}
    got, truth = _python("import ember; from ember import _threads as T; "
                         "print(T._threads_from_environment(), ember.get_num_threads())",
                         **env).split()
    assert got == truth
    if threads == "1":
        assert got == "1"


def test_set_num_threads_without_threadpoolctl_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "threadpoolctl", None)
    with pytest.raises(ImportError, match=r"pip install ember\[threads\]"):
        ember.set_num_threads(2)
    with pytest.raises(RuntimeError, match="expects a positive integer"):
        ember.set_num_threads(0)  # the argument is checked first, as torch does
    assert ember.get_num_threads() >= 1


def test_interop_threads_are_set_once(monkeypatch):
    monkeypatch.setattr(_threads, "_interop", [None])
    assert ember.get_num_interop_threads() == 1  # ember runs one op at a time
    ember.set_num_interop_threads(3)
    assert ember.get_num_interop_threads() == 3
    with pytest.raises(RuntimeError) as e:
        ember.set_num_interop_threads(2)
    assert str(e.value) == ("Error: cannot set number of interop threads after parallel work has "
                            "started or set_num_interop_threads called")


BAD_CALLS = [
    ("set_num_threads", (0,), {}), ("set_num_threads", (-1,), {}), ("set_num_threads", (2.0,), {}),
    ("set_num_threads", (True,), {}), ("set_num_threads", ("a",), {}),
    ("set_num_threads", (None,), {}), ("set_num_threads", (), {}), ("set_num_threads", (1, 2), {}),
    ("set_num_threads", (), {"n": 2}), ("set_num_threads", (2 ** 31,), {}),
    ("set_num_threads", (-2 ** 40,), {}), ("set_num_threads", (np.float64(2),), {}),
    ("set_num_threads", (np.bool_(True),), {}), ("get_num_threads", (1,), {}),
    ("get_num_threads", (), {"a": 1}), ("set_num_interop_threads", (0,), {}),
    ("set_num_interop_threads", (2.5,), {}), ("set_num_interop_threads", (), {}),
    ("get_num_interop_threads", (1,), {}),
]


@pytest.mark.parametrize("name,args,kwargs", BAD_CALLS)
def test_argument_errors_match_torch(name, args, kwargs):
    torch = pytest.importorskip("torch")
    with pytest.raises(Exception) as t:
        getattr(torch, name)(*args, **kwargs)
    with pytest.raises(Exception) as e:
        getattr(ember, name)(*args, **kwargs)
    assert type(e.value) is type(t.value) and str(e.value) == str(t.value)
