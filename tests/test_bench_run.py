"""`python -m benchmarks` (benchmarks/run.py) states its noise, and `--busy` (benchmarks/busy.py)
times ember at the default thread setting against one thread beside CPU-bound processes."""

import json
import os
import time

import pytest
from benchmarks import _timing, busy, run

try:
    import torch
except ImportError:
    torch = None

B1 = "MLP inference (batch 1)"


def test_interleaved_rounds_times_every_round_of_each_function():
    calls = []

    def slow():
        calls.append("s")
        time.sleep(0.002)

    def fast():
        calls.append("f")
    rounds = _timing.interleaved_rounds([slow, fast], 3, 4)
    assert [len(r) for r in rounds] == [4, 4]
    assert all(t >= 0.002 for t in rounds[0]) and all(t < 0.002 for t in rounds[1])
    # one warm-up call each, then the rounds in alternation
    assert "".join(calls) == "sf" + "sssfff" * 4


def test_ratio_spread_is_the_range_of_the_rounds_ratios():
    assert _timing.ratio_spread([2.0, 4.0, 6.0], [1.0, 2.0, 2.0]) == (2.0, 3.0)
    assert _timing.ratio_spread([2.0, None], [1.0, 1.0]) is None
    assert _timing.ratio_spread([2.0], [1.0, 1.0]) is None


def test_ratio_cell():
    assert run._ratio_cell(3.0, 2.0, (1.25, 1.75), 18) == "1.50 (1.25-1.75)".rjust(18)
    assert run._ratio_cell(3.0, 2.0, None, 8) == "    1.50"
    assert run._ratio_cell(None, 2.0, None, 6) == "   n/a"


def test_main_prints_and_writes_each_rounds_ratio(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(run, "import_time", lambda module: 0.1)  # (whole processes: slow)
    run.main(["--only", B1, "--repeat", "3", "--out", str(tmp_path)])
    line = next(x for x in capsys.readouterr().out.splitlines() if x.startswith(B1))
    (path,) = tmp_path.iterdir()
    row = json.loads(path.read_text())["results"][0]
    assert row["workload"] == B1 and len(row["rounds_s"]["ember"]) == 3
    lo, hi = row["numpy_ratio_rounds"]
    assert lo <= row["ember_s"] / row["numpy_s"] <= hi
    assert f"({lo:.2f}-{hi:.2f})" in line
    if torch is None:
        assert row["ratio"] is None and "n/a" in line
    else:
        lo, hi = row["ratio_rounds"]
        assert lo <= row["ratio"] <= hi
        assert f"{row['ratio']:.2f} ({lo:.2f}-{hi:.2f})" in line


def test_child_env_removes_or_sets_the_thread_variables(monkeypatch):
    monkeypatch.setenv("OMP_NUM_THREADS", "7")
    monkeypatch.setenv("MKL_NUM_THREADS", "7")
    env = busy.child_env(None)
    assert not any(v in env for v in busy.THREAD_VARS)
    one = busy.child_env(1)
    assert {v: one.get(v) for v in busy.THREAD_VARS} == {
        "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "GOTO_NUM_THREADS": None,
        "MKL_NUM_THREADS": "1", "BLIS_NUM_THREADS": None, "VECLIB_MAXIMUM_THREADS": None}


def test_compare_takes_medians_of_all_rounds_and_pair_ratios():
    d, o, ratio, pairs = busy.compare([[2.0, 4.0, 3.0], [5.0, 5.0, 5.0]],
                                      [[1.0, 1.0, 1.0], [2.0, 2.0, 2.0]])
    assert (d, o, ratio, pairs) == (4.5, 1.5, 3.0, (2.5, 3.0))


def _our_burners():
    """PIDs of this process's children running the burner loop."""
    found = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/stat") as f:
                ppid = int(f.read().rpartition(")")[2].split()[1])
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                cmd = f.read()
        except OSError:
            continue
        if ppid == os.getpid() and busy.BURN.encode() in cmd:
            found.append(int(pid))
    return found


@pytest.mark.skipif(not os.path.exists("/proc/self/stat"), reason="reads Linux's /proc")
def test_busy_times_both_settings_and_stops_its_burners():
    lines = []
    rows = busy.run([B1], pairs=1, rounds=1, burners=1, out=lines.append)
    (row,) = rows
    assert row["default_s"] > 0 and row["one_thread_s"] > 0
    assert row["ratio"] == pytest.approx(row["default_s"] / row["one_thread_s"])
    assert lines[-1].startswith(B1) and f"{row['ratio']:.2f}" in lines[-1]
    assert _our_burners() == []
    with pytest.raises(RuntimeError, match="the child timing 'no such workload' failed"):
        busy.run(["no such workload"], pairs=1, rounds=1, burners=1, out=lines.append)
    assert _our_burners() == []  # killed on the way out of a failure too


@pytest.mark.parametrize("argv, message", [
    (["--burners", "2"], "--burners goes with --busy"),
    (["--busy", "--profile", "SGD"], "does not take --profile or --device"),
    (["--busy", "--device", "cuda"], "does not take --profile or --device"),
    (["--busy", "--burners", "0"], "--burners must be at least 1"),
])
def test_options_busy_does_not_honour_are_refused(argv, message, capsys):
    with pytest.raises(SystemExit):
        run.main(argv)
    assert message in capsys.readouterr().err


def test_busy_writes_its_rows(tmp_path, monkeypatch):
    seen = {}

    def fake_run(names, rounds, burners):
        seen.update(names=names, rounds=rounds, burners=burners)
        return [{"workload": names[0], "ratio": 1.0}]
    monkeypatch.setattr(busy, "run", fake_run)
    run.main(["--busy", "--only", B1, "--repeat", "2", "--burners", "3", "--out", str(tmp_path)])
    assert seen == {"names": [B1], "rounds": 2, "burners": 3}
    (path,) = tmp_path.iterdir()
    assert path.name.startswith("busy_")
    assert json.loads(path.read_text())["results"] == [{"workload": B1, "ratio": 1.0}]
