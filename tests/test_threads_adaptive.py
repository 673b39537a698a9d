"""The default BLAS pool follows the machine's load (ember._threads' module docstring): sized to
the CPUs other processes leave free, looked at when a module is called, off once the user
chooses a size (set_num_threads or a thread variable)."""

import math
import subprocess
import sys
import time

import pytest

import ember
from ember import _threads


class _Pool:
    """A stand-in for threadpoolctl's controller of one BLAS pool."""

    def __init__(self, n):
        self.num_threads = n

    def set_num_threads(self, n):
        self.num_threads = n


@pytest.fixture
def rule(monkeypatch):
    """The rule over a stand-in pool of 4 threads on 4 CPUs, with `others` runnable threads of
    other processes (set the list's item); restores the real state afterwards."""
    pool, others = _Pool(4), [0]
    monkeypatch.setattr(_threads, "_auto", {"pools": [pool], "most": 4, "seen": []})
    saved = _threads.next_look[0]
    monkeypatch.setattr(_threads, "_cpus", lambda: 4)
    monkeypatch.setattr(_threads, "_others_running", lambda: others[0])
    yield pool, others
    _threads.next_look[0] = saved


def test_pool_shrinks_to_the_free_cpus_and_grows_back(rule):
    pool, others = rule
    _threads.adapt_to_load()
    assert pool.num_threads == 4
    others[0] = 3  # three busy processes: one CPU left
    for _ in range(_threads._SAMPLES):
        _threads.adapt_to_load()
    assert pool.num_threads == 1
    others[0] = 9  # more than the CPUs: never below one thread
    _threads.adapt_to_load()
    assert pool.num_threads == 1
    others[0] = 0
    for _ in range(_threads._SAMPLES):
        _threads.adapt_to_load()
    assert pool.num_threads == 4  # never above the pool the BLAS started with


def test_one_look_is_averaged_with_the_last_ones(rule):
    pool, others = rule
    for _ in range(_threads._SAMPLES):
        _threads.adapt_to_load()
    others[0] = 2  # one busy look among four quiet ones moves the size by 2/4 -> 0 (rounded)
    _threads.adapt_to_load()
    assert pool.num_threads == 4
    for _ in range(_threads._SAMPLES):
        _threads.adapt_to_load()
    assert pool.num_threads == 2


def test_a_module_call_looks_when_a_look_is_due(rule):
    pool, others = rule
    others[0] = 3
    _threads.next_look[0] = 0.0
    ember.nn.ReLU()(ember.ones(2))
    assert pool.num_threads == 1
    assert _threads.next_look[0] > time.monotonic()  # the next look waits for the period
    others[0] = 0
    ember.nn.ReLU()(ember.ones(2))
    assert pool.num_threads == 1


def test_set_num_threads_ends_the_rule(rule, monkeypatch):
    pool, _ = rule
    monkeypatch.setattr(_threads, "_blas_pools", lambda: [pool])
    _threads.next_look[0] = 0.0
    ember.set_num_threads(3)
    assert pool.num_threads == 3 and _threads.next_look[0] == math.inf


def test_a_busy_process_is_counted():
    if not _threads.os.path.exists("/proc/loadavg"):
        pytest.skip("the rule reads Linux's /proc")
    busy = subprocess.Popen([sys.executable, "-c", "print('go', flush=True)\nwhile 1: pass"],
                            stdout=subprocess.PIPE, text=True)
    try:
        assert busy.stdout.readline().strip() == "go"
        assert max(_threads._others_running() for _ in range(20)) >= 1
    finally:
        busy.kill()
        busy.wait()


def _fresh(code, **env):
    import os
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                       env=dict(os.environ, **env))
    assert r.returncode == 0, r.stderr
    return r.stdout.strip()


def test_a_thread_variable_turns_the_rule_off():
    pytest.importorskip("threadpoolctl")
    code = ("import ember; from ember import _threads as T; ember.nn.ReLU()(ember.ones(1)); "
            "print(T.next_look[0], ember.get_num_threads())")
    assert _fresh(code, OPENBLAS_NUM_THREADS="1").split() == ["inf", "1"]
    on, threads = _fresh(code, **{v: "" for v in _threads._USER_VARS}).split()
    assert on != "inf" and 1 <= int(threads) <= _threads._cpus()
