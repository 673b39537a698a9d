"""with_stack: torch's Python tracer. While a profile with with_stack records, every Python
function call is a row named `file(line): function` (the file relative to its sys.path entry),
every call of a builtin is a row named by its repr (`<built-in function len>`), and every
nn.Module call is a row `nn.Module: Linear_0`; ops nest inside the Python frames that called
them. As in torch, nothing inside an operator is traced (an op is one row, whatever Python ember
runs for it), and the frames already running when recording starts are rows spanning it.

The tracer is `sys.setprofile` (and `threading.setprofile` for new threads), installed with the
first with_stack session and removed with the last; the profiler's own frames are not traced.
"""

import os
import sys
import threading

from . import _record

_HERE = os.path.dirname(os.path.abspath(__file__))
_state = {"on": False, "prev": None, "open": []}  # open: (frame, rec) of already-running frames
_names = {}      # code object -> row name
_modules = {}    # id(module) -> "nn.Module: Linear_0"
_counts = {}     # module class name -> instances named so far


def _short(path):
    best = path
    for p in sys.path:
        if p and path.startswith(p.rstrip(os.sep) + os.sep):
            cand = path[len(p.rstrip(os.sep)) + 1:]
            if len(cand) < len(best):
                best = cand
    return best


def _code_name(code, line=None):
    if line is None:
        name = _names.get(code)
        if name is None:
            name = _names[code] = f"{_short(code.co_filename)}({code.co_firstlineno}): " \
                                  f"{code.co_name}"
        return name
    return f"{_short(code.co_filename)}({line}): {code.co_name}"


def _pystack():
    st = getattr(_record._tls, "pystack", None)
    if st is None:
        st = _record._tls.pystack = []
    return st


def _traced():
    """Python is traced at the top level and inside Python rows and annotations, never inside
    an operator or a backward node."""
    st = _record._stack()
    return not st or st[-1].py or st[-1].user


_through = set()  # code of the profiler's wrappers whose callees are the user's code


def through(fn):
    """Marks a profiler wrapper whose callee is traced (other profiler code's callees are the
    profiler's own work: not traced)."""
    _through.add(fn.__code__)
    return fn


def _ours(frame):
    return frame.f_code.co_filename.startswith(_HERE)


def _skipping():
    sk = getattr(_record._tls, "skipping", None)
    if sk is None:
        sk = _record._tls.skipping = []
    return sk


def _tracer(frame, event, arg):
    sk = _skipping()
    if event == "call":
        if sk:
            return
        if _ours(frame):  # the profiler's own work is not traced, what its wrappers call is
            if frame.f_code not in _through:
                sk.append(frame)
            return
        if not _traced():
            return
        rec = _record.begin(_code_name(frame.f_code))
        rec.py = True
        _pystack().append((frame, rec))
    elif event == "return":
        if sk:
            if sk[-1] is frame:
                sk.pop()
            return
        ps = _pystack()
        if ps and ps[-1][0] is frame:
            _record.end(ps.pop()[1])
    elif event == "c_call":
        if sk or _ours(frame) or not _traced():
            return
        rec = _record.begin(repr(arg))
        rec.py = True
        _pystack().append((arg, rec))
    elif event in ("c_return", "c_exception"):
        ps = _pystack()
        if ps and ps[-1][0] is arg:
            _record.end(ps.pop()[1])


def start():
    """Rows for the frames already running (outermost first), then the tracer."""
    if _state["on"]:
        return
    frames = []
    f = sys._getframe(1)
    while f is not None:
        if not f.f_code.co_filename.startswith(os.path.dirname(_HERE)):
            frames.append(f)
        f = f.f_back
    for f in reversed(frames):
        rec = _record.begin(_code_name(f.f_code, f.f_lineno))
        rec.py = True
        _state["open"].append((f, rec))
    _state["prev"] = sys.getprofile()
    _state["on"] = True
    threading.setprofile(_tracer)
    sys.setprofile(_tracer)


def stop():
    if not _state["on"]:
        return
    sys.setprofile(_state["prev"])
    threading.setprofile(None)
    _state["on"] = False
    ps = _pystack()
    while ps:
        _record.end(ps.pop()[1])
    _skipping().clear()
    while _state["open"]:
        _record.end(_state["open"].pop()[1])
    _modules.clear()
    _counts.clear()


def module_call(call):
    """Module.__call__ recording `nn.Module: <Class>_<n>` while the tracer runs."""
    def recorded_call(self, *args, **kwargs):
        if not _state["on"] or not _traced():
            return call(self, *args, **kwargs)
        name = _modules.get(id(self))
        if name is None:
            cls = type(self).__name__
            n = _counts.get(cls, 0)
            _counts[cls] = n + 1
            name = _modules[id(self)] = f"nn.Module: {cls}_{n}"
        rec = _record.begin(name)
        rec.py = True
        try:
            return call(self, *args, **kwargs)
        finally:
            _record.end(rec)
    recorded_call.__wrapped__ = call
    return through(recorded_call)
