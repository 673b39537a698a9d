"""torch.get_num_threads / set_num_threads / get_num_interop_threads / set_num_interop_threads.

ember's parallel work is the BLAS library NumPy links (matmul, linear, convolution through
im2col, linear algebra); everything else runs in the calling thread. So the intra-op thread
count is that BLAS pool's: `get_num_threads` reports it and `set_num_threads` limits it, through
threadpoolctl (the optional extra `pip install ember[threads]`), imported only when these are
called. Without threadpoolctl, `get_num_threads` still answers from what the BLAS reads at
start-up (its thread environment variables, else the CPUs this process may run on), and
`set_num_threads` says how to get the extra.

ember runs one op at a time, so it has no inter-op pool: `get_num_interop_threads` is 1 until
`set_num_interop_threads` records a size, which, as in torch, can be set once.

The default pool size adapts to the machine's load (with threadpoolctl, on Linux). A BLAS pool
as large as the CPUs falls into a hole when other processes compete for those CPUs: every GEMM
is split in equal parts, finishes when its slowest thread does, and a thread that shares its CPU
with another process waits for a scheduler time slice (milliseconds) while the idle workers spin.
Measured on a 2-CPU machine beside one CPU-bound process, OpenBLAS's default 2 threads made the
course MLP's SGD step 2-4x and its batch-64 inference 1.6-4.4x slower than 1 thread, while
without the competitor 2 threads gain on those GEMMs (0.5-0.66 of the 1-thread time). So, unless
the user chose a size (`set_num_threads`, or a thread variable such as OMP_NUM_THREADS set
before the start), ember re-sizes the pool at most every `_PERIOD` seconds, when a module is
called: to the CPUs this process may use (its affinity, and its cgroup's CPU quota) minus the
runnable threads of other processes (the kernel's count of runnable threads in /proc/loadavg,
less this process's own), averaged over the last `_SAMPLES` looks, never below 1 or above the
pool the BLAS started with. A look costs ~30 us (~0.006 % of the time at the default period).
"""

import math
import os
import time

import numpy as np

_EXTRA = ("ember.set_num_threads limits NumPy's BLAS thread pool through threadpoolctl, which "
          "is not installed: pip install ember[threads]")
_INTEROP_TWICE = ("Error: cannot set number of interop threads after parallel work has started "
                  "or set_num_interop_threads called")
_interop = [None]

# the thread variables each BLAS reads at start-up, in its order of precedence
_ENV = {"openblas": ("OPENBLAS_NUM_THREADS", "GOTO_NUM_THREADS", "OMP_NUM_THREADS"),
        "mkl": ("MKL_NUM_THREADS", "OMP_NUM_THREADS"), "blis": ("BLIS_NUM_THREADS",
                                                                 "OMP_NUM_THREADS"),
        "accelerate": ("VECLIB_MAXIMUM_THREADS",)}


def _no_args(name, args, kwargs):
    if kwargs:
        raise TypeError(f"torch.{name}() takes no keyword arguments")
    if args:
        raise TypeError(f"torch.{name}() takes no arguments ({len(args)} given)")


def _one_int(name, args, kwargs):
    """torch's unpacking of the one positional int these setters take."""
    if kwargs:
        raise TypeError(f"torch.{name}() takes no keyword arguments")
    if len(args) != 1:
        raise TypeError(f"torch.{name}() takes exactly one argument ({len(args)} given)")
    n = args[0]
    if not isinstance(n, (int, np.integer)) or isinstance(n, (bool, np.bool_)):
        t = type(n)
        shown = t.__name__ if t.__module__ == "builtins" else f"{t.__module__}.{t.__name__}"
        raise RuntimeError(f"{name} expects an int, but got {shown}")
    n = int(n)
    if not -(1 << 31) <= n < (1 << 31):
        raise ValueError("Overflow when unpacking long")
    if n <= 0:
        raise RuntimeError(f"{name} expects a positive integer")
    return n


def _blas_pools():
    """threadpoolctl's controllers of NumPy's BLAS (every BLAS when none is NumPy's own), or
    None when threadpoolctl is not installed."""
    try:
        from threadpoolctl import ThreadpoolController
    except ImportError:
        return None
    pools = [c for c in ThreadpoolController().lib_controllers if c.user_api == "blas"]
    own = [c for c in pools if "numpy" in os.path.normcase(c.filepath or "")]
    return own or pools


def _blas_config():
    """(BLAS name, its build's thread cap or None) from NumPy's build configuration."""
    try:
        blas = np.__config__.CONFIG["Build Dependencies"]["blas"]
    except (AttributeError, KeyError, TypeError):
        return "", None
    name = str(blas.get("name", "")).lower()
    cap = None
    for word in str(blas.get("openblas configuration", "")).split():
        if word.startswith("MAX_THREADS="):
            cap = int(word.split("=", 1)[1])
    return name, cap


def _cpus():
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def _threads_from_environment():
    """The pool size the BLAS picked at start-up: its first valid thread variable, else the CPUs
    this process may use; never more than those CPUs or the build's cap (as OpenBLAS counts)."""
    name, cap = _blas_config()
    kind = next((k for k in _ENV if k in name), "openblas")
    n = None
    for var in _ENV[kind]:
        try:
            v = int(os.environ.get(var, ""))
        except ValueError:
            continue
        if v > 0:
            n = v
            break
    cpus = _cpus()
    n = min(n or cpus, cpus)
    return min(n, cap) if cap else n


_USER_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "GOTO_NUM_THREADS", "MKL_NUM_THREADS",
              "BLIS_NUM_THREADS", "VECLIB_MAXIMUM_THREADS")
_PERIOD = 0.5  # seconds between looks at the machine's load
_SAMPLES = 4  # looks averaged (2 s at the default period)
# when the next look is due (time.monotonic); Module.__call__ compares, inf turns the rule off
next_look = [0.0]
_auto = {"pools": None, "most": None, "seen": []}


def _cpu_quota():
    """CPUs the cgroup (v2 cpu.max, else v1 cfs quota) lets this process use, or None."""
    v1 = "/sys/fs/cgroup/cpu/cpu.cfs_"
    for path, split in (("/sys/fs/cgroup/cpu.max", None), (v1 + "quota_us", v1 + "period_us")):
        try:
            with open(path) as f:
                words = f.read().split()
            if split:
                with open(split) as f:
                    words += f.read().split()
            quota, period = int(words[0]), int(words[1])
        except (OSError, ValueError, IndexError):
            continue
        if quota > 0 and period > 0:
            return max(1, math.ceil(quota / period))
    return None


def _others_running():
    """Runnable threads of other processes right now: /proc/loadavg's count less this
    process's threads in state R."""
    with open("/proc/loadavg") as f:
        running = int(f.read().split()[3].split("/")[0])
    own = 0
    for tid in os.listdir("/proc/self/task"):
        try:
            with open(f"/proc/self/task/{tid}/stat") as f:
                own += f.read().rpartition(")")[2].split(None, 1)[0] == "R"
        except OSError:  # the thread ended meanwhile
            pass
    return max(0, running - own)


def _stop_adapting():
    next_look[0] = math.inf


def _start_adapting():
    """The first look: decides whether the rule applies (no thread size chosen by the user,
    threadpoolctl installed, Linux's /proc), and finds the pools and their largest size."""
    if any(os.environ.get(v) for v in _USER_VARS) or not os.path.exists("/proc/loadavg"):
        return False
    pools = _blas_pools()
    if not pools:
        return False
    quota = _cpu_quota()
    most = min(max(c.num_threads for c in pools), _cpus(), quota or math.inf)
    _auto["pools"], _auto["most"] = pools, max(1, int(most))
    return True


def adapt_to_load():
    """One look at the machine's load (called by Module.__call__ when `next_look` is due):
    sizes the BLAS pool to the CPUs the other processes leave free (module docstring)."""
    try:
        if _auto["pools"] is None and not _start_adapting():
            _stop_adapting()
            return
        seen = _auto["seen"]
        seen.append(_others_running())
        del seen[:-_SAMPLES]
        want = max(1, min(_auto["most"], _cpus() - round(sum(seen) / len(seen))))
        for c in _auto["pools"]:
            if c.num_threads != want:
                c.set_num_threads(want)
    except Exception:  # noqa: BLE001 - a machine whose /proc or BLAS says otherwise: no rule
        _stop_adapting()
        return
    next_look[0] = time.monotonic() + _PERIOD


def get_num_threads(*args, **kwargs):
    """Matches torch.get_num_threads: the threads of ember's intra-op pool (NumPy's BLAS)."""
    _no_args("get_num_threads", args, kwargs)
    pools = _blas_pools()
    if pools:
        return max(c.num_threads for c in pools)
    return _threads_from_environment()


def set_num_threads(*args, **kwargs):
    """Matches torch.set_num_threads: limits NumPy's BLAS pool to n threads (needs
    threadpoolctl, the `threads` extra)."""
    n = _one_int("set_num_threads", args, kwargs)
    pools = _blas_pools()
    if pools is None:
        raise ImportError(_EXTRA)
    _stop_adapting()  # the user's size from now on
    for c in pools:
        c.set_num_threads(n)


def get_num_interop_threads(*args, **kwargs):
    """Matches torch.get_num_interop_threads: ember runs ops one at a time, so 1 unless
    set_num_interop_threads recorded a size."""
    _no_args("get_num_interop_threads", args, kwargs)
    return _interop[0] or 1


def set_num_interop_threads(*args, **kwargs):
    """Matches torch.set_num_interop_threads: records the size once (ember has no inter-op pool
    to resize, so it changes no result); a second call fails as in torch."""
    n = _one_int("set_num_interop_threads", args, kwargs)
    if _interop[0] is not None:
        raise RuntimeError(_INTEROP_TWICE)
    _interop[0] = n
