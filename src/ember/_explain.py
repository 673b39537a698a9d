"""`ember explain SCRIPT|NOTEBOOK [args]`: run a training script once under ember (as `ember run`
does, with hints and the `--explain` detectors on), then print a short report: a summary table
of each top-level model it ran (modules called from outside any other module that hold
parameters, summarized on zero inputs shaped like their first call), the loss values seen by
each `backward()` on a 0-d tensor (through `ember.autograd.backward`, which `Tensor.backward`
calls) as a text sparkline, and the hints ember raised.

Hints come from `ember._hints.log` (the hints helper's record); without that module the report
says "hints: none recorded".
"""

import sys
import time
import traceback

_BARS = "▁▂▃▄▅▆▇█"
_WIDTH = 60  # marks in the sparkline at most


class _Recorder:
    """Top-level module calls and backward() losses seen while the program runs."""

    def __init__(self):
        self.models = {}  # id -> (module, name, args, kwargs) of its first top-level call
        self.losses = []
        self._undo = []

    def start(self):
        from . import autograd
        from ._tensor import Tensor
        from .nn.modules.module import Module, register_module_forward_pre_hook
        call_code = Module.__call__.__code__
        original = autograd.backward  # Tensor.backward calls it through the module

        def pre_hook(module, args):
            if id(module) in self.models or not _holds_params(module):
                return
            frame, calls = sys._getframe(1), 0
            caller = None
            while frame is not None:
                if frame.f_code is call_code:
                    calls += 1
                    caller = frame.f_back
                frame = frame.f_back
            if calls == 1:  # called from user code, not from another module's forward
                self.models[id(module)] = (module, _name_in(caller, module), _zeros_like(args))

        def backward(tensors, *args, **kwargs):
            if isinstance(tensors, Tensor) and tensors.dim() == 0 and not tensors.is_complex():
                self.losses.append(float(tensors.detach().item()))
            return original(tensors, *args, **kwargs)
        backward.__doc__ = original.__doc__

        self._undo.append(register_module_forward_pre_hook(pre_hook).remove)
        autograd.backward = backward
        self._undo.append(lambda: setattr(autograd, "backward", original))

    def stop(self):
        while self._undo:
            self._undo.pop()()


def _holds_params(module):
    return next(iter(module.parameters()), None) is not None


def _name_in(frame, module):
    """The variable name the caller holds the module under, else its class name."""
    if frame is not None:
        for scope in (frame.f_locals, frame.f_globals):
            for name, value in scope.items():
                if value is module and not name.startswith("_"):
                    return name
    return type(module).__name__


def _zeros_like(args):
    from ._summary import _map
    from .ops.creation import zeros
    return _map(list(args), lambda t: zeros(*t.shape, dtype=t.dtype, device=t.device))


def sparkline(values, width=_WIDTH):
    """Values as marks from ▁ (lowest) to █ (highest); more than `width` values are averaged
    in equal runs first. Returns (marks, values per mark)."""
    if not values:
        return "", 0
    per = -(-len(values) // width)
    means = [sum(values[i:i + per]) / len(values[i:i + per]) for i in range(0, len(values), per)]
    lo, hi = min(means), max(means)
    span = (hi - lo) or 1.0
    return "".join(_BARS[min(int((v - lo) / span * len(_BARS)), len(_BARS) - 1)]
                   for v in means), per


def _hint_log():
    """ember's hint record, or None where the hints module is absent."""
    try:
        from . import _hints
    except ImportError:
        return None
    return getattr(_hints, "log", None)


def _start_watchers():
    try:
        from ._hints import watch
    except ImportError:
        return lambda: None
    return watch()


def _model_section(models):
    from ._summary import summary
    lines = [f"models: {len(models)} top-level module(s) with parameters"]
    for module, name, args in models.values():
        n = sum(p.numel() for p in module.parameters())
        lines.append(f"\n{name}: {type(module).__name__}, {n:,} parameters")
        try:
            lines.append(str(summary(module, input_data=args, depth=2, verbose=0)))
        except Exception as e:  # the report goes on without this table
            cause = e.__cause__ or e
            first = str(cause).split("\n")[0]
            lines.append(f"  (no summary: its first call's inputs fail: {type(cause).__name__}: "
                         f"{first})")
    return lines


def _loss_section(losses):
    if not losses:
        return ["losses: no backward() on a scalar was seen"]
    marks, per = sparkline(losses)
    unit = "call" if per == 1 else f"{per} calls (mean)"
    return [f"losses: {len(losses)} backward() call(s); first {losses[0]:.4g}, last "
            f"{losses[-1]:.4g}, min {min(losses):.4g}, max {max(losses):.4g}",
            f"  {marks}   (one mark per {unit})"]


def _hint_section(hints):
    if not hints:
        return ["hints: none recorded"]
    lines = [f"hints: {len(hints)}"]
    for k, hint in enumerate(hints, 1):
        text = hint.text() if hasattr(hint, "text") else str(hint)
        lines += [f"  {k}. " + text.replace("\n", "\n     ")]
    return lines


def report(path, status, seconds, recorder, hints):
    rule = "=" * 72
    lines = [rule, f"ember explain: {path} (exit status {status}, {seconds:.1f} s)", rule]
    lines += _model_section(recorder.models) + [""] + _loss_section(recorder.losses) + [""]
    lines += _hint_section(hints) + [rule]
    return "\n".join(lines)


def main(ns):
    """Run ns.script with ns.args under ember and print the report; returns the run's status."""
    import os

    from . import cli
    path = ns.script
    if not os.path.exists(path):
        print(f"ember explain: no such file: {path}", file=sys.stderr)
        return 2
    log = _hint_log()
    seen = len(log) if log is not None else 0
    recorder = _Recorder()
    recorder.start()
    stop_watch = _start_watchers()
    start = time.perf_counter()
    try:
        status = (cli._run_notebook(path, ns.args) if path.endswith(".ipynb")
                  else cli._run_script(path, ns.args))
    except SystemExit as e:  # sys.exit() in the program: its status, the report still comes
        status = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
        if not isinstance(e.code, (int, type(None))):
            print(e.code, file=sys.stderr)
    except BaseException:
        traceback.print_exc()
        status = 1
    finally:
        seconds = time.perf_counter() - start
        stop_watch()
        recorder.stop()
    sys.stdout.flush()
    hints = log[seen:] if log is not None else []
    print(report(path, status, seconds, recorder, hints))
    return status
