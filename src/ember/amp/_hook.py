"""Autocast's per-thread state and the cast policies the hooked ops call.

`on` is the one module-level flag a hooked op reads: True while some thread has CPU autocast
enabled. Only then does the op ask `active()` (this thread enabled, and not already inside an
autocast op) and hand its arguments to `lower`, `fp32` or `promote` (torch's three CPU policies),
which cast the eligible tensors (floating, on the CPU, not float64), run the op with autocast
excluded (so the ops it is made of are not cast again, as torch's ExcludeDispatchKeyGuard) and
return its result; `plain` only excludes, `lower_fused` serves the float32-only RNN kernels.
"""

import threading

from .. import _dtype as D
from .._device import DEVICE_TYPES  # noqa: F401  (autocast_mode reads it from here)

# each device type's default autocast dtype (torch's table), and those with an autocast key
DTYPES = {"cpu": "bfloat16", "cuda": "float16", "ipu": "float16", "xpu": "float16",
          "hip": "float16", "maia": "bfloat16", "xla": "bfloat16", "mps": "float16",
          "hpu": "bfloat16", "mtia": "float16", "privateuseone": "float16"}
AVAILABLE = frozenset(DTYPES) - {"hip"}

on = False  # some thread has CPU autocast enabled: the hot path reads only this
_cpu_threads = set()  # the threads that have CPU autocast enabled


class _State(threading.local):
    def __init__(self):
        self.enabled = {}  # device type -> bool (absent: False)
        self.dtype = {}  # device type -> dtype set by set_autocast_dtype (absent: the default)
        self.excluded = False  # inside an autocast op: its inner ops run as their inputs are
        self.cache_enabled = True
        self.nesting = 0


state = _State()
_cache = {}  # id(fp32 leaf weight) -> (weight, its cast): one cast per weight per region
_cache_lock = threading.Lock()


def device_type(text):
    """The device type of 'cpu', 'cuda:0', ...; torch's error for an unknown one."""
    kind = text.split(":", 1)[0]
    if kind not in DEVICE_TYPES:
        raise RuntimeError(f"Expected one of {', '.join(DEVICE_TYPES)} device type at start of "
                           f"device string: {text}")
    return kind


def get_dtype(kind):
    dt = state.dtype.get(kind)
    if dt is not None:
        return dt
    if kind not in DTYPES:
        raise RuntimeError("unsupported scalarType")
    return getattr(D, DTYPES[kind])


def set_enabled(kind, enabled):
    global on
    state.enabled[kind] = enabled
    if kind == "cpu":
        if enabled:
            _cpu_threads.add(threading.get_ident())
        else:
            _cpu_threads.discard(threading.get_ident())
        on = bool(_cpu_threads)


def clear_cache():
    with _cache_lock:
        _cache.clear()


def active():
    """This thread runs CPU autocast and is not inside an autocast op already."""
    return state.enabled.get("cpu", False) and not state.excluded


def _eligible(t):
    return (t.dtype.is_floating_point and t.dtype is not D.float64
            and t._data.__class__.__module__ == "numpy")


def _cast(value, to):
    from .._tensor import Tensor
    if isinstance(value, Tensor):
        if value.dtype is to or to is None or not _eligible(value):
            return value
        if (to is not D.float32 and value.dtype is D.float32 and value._rg
                and value.grad_fn is None and value._base is None and state.cache_enabled):
            with _cache_lock:
                hit = _cache.get(id(value))
                if hit is not None and hit[0] is value:
                    return hit[1]
                cast = value.to(to)
                _cache[id(value)] = (value, cast)
                return cast
        return value.to(to)
    if isinstance(value, (list, tuple)) and any(isinstance(v, Tensor) for v in value):
        return type(value)(_cast(v, to) for v in value)
    return value


def _run(fn, to, args, kwargs):
    args = [_cast(a, to) for a in args]
    kwargs = {k: _cast(v, to) for k, v in kwargs.items()}
    state.excluded = True
    try:
        return fn(*args, **kwargs)
    finally:
        state.excluded = False


def plain(fn, *args, **kwargs):
    """Runs `fn` as its inputs are: torch computes it without reaching a listed op."""
    state.excluded = True
    try:
        return fn(*args, **kwargs)
    finally:
        state.excluded = False


def lower(fn, *args, **kwargs):
    """Runs `fn` in the autocast dtype (torch's lower_precision_fp policy)."""
    return _run(fn, get_dtype("cpu"), args, kwargs)


def lower_fused(fn, *args, **kwargs):
    """The lower-precision policy for a fused float32 kernel (the RNN layers): inputs rounded
    to the autocast dtype, float32 math inside, outputs in the autocast dtype, as oneDNN's."""
    from .._tensor import Tensor
    low = get_dtype("cpu")
    args = [_cast(_cast(a, low), D.float32) for a in args]
    out = _run(fn, None, args, kwargs)
    if isinstance(out, tuple):
        return tuple(o.to(low) if isinstance(o, Tensor) and _eligible(o) else o for o in out)
    return out.to(low) if _eligible(out) else out


def fp32(fn, *args, **kwargs):
    """Runs `fn` in float32 (torch's fp32 policy)."""
    return _run(fn, D.float32, args, kwargs)


def _widest(values, current, low):
    from .._tensor import Tensor
    for v in values:
        if isinstance(v, (list, tuple)):
            current = _widest(v, current, low)
        elif isinstance(v, Tensor) and _eligible(v):
            if current is D.float32 or v.dtype is D.float32:
                current = D.float32
            elif not (current is low and v.dtype is low):
                raise RuntimeError("Unexpected floating ScalarType in at::autocast::prioritize")
    return current


def promote(fn, *args, **kwargs):
    """Runs `fn` in the widest floating dtype of its inputs (torch's promote policy)."""
    low = get_dtype("cpu")
    to = _widest(list(args) + list(kwargs.values()), low, low)
    return _run(fn, to, args, kwargs)
