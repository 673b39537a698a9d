"""The `ember` command: `ember run SCRIPT|NOTEBOOK [args]`, `ember demo`, `ember info`, and
`ember launch` (distributed/_launcher.py).

`run` installs the torch -> ember aliases (`_compat.install`) for that process only, then runs a
script as `__main__` or a notebook's code cells in order in one namespace (IPython magics and
shell lines are skipped with a notice, figures are saved as PNG files, and the first failing
cell is reported with its number and traceback). A file that is not a readable notebook (empty,
not UTF-8, not JSON, not notebook-shaped) is reported in one line naming it, exit status 1.
`sys.exit(code)` in a script or a cell exits as Python does: 0 for None/0, the int, else the
message printed and status 1. `run --timings` prints each cell's wall time on stderr (a script's
total); `ember explain` runs a program the same way and then reports on it (_explain.py).
"""

import argparse
import ast
import json
import os
import platform
import runpy
import sys
import time
import traceback


def _run_script(path, args):
    from . import _compat
    _compat.install()
    sys.argv = [path] + list(args)
    sys.path.insert(0, os.path.dirname(os.path.abspath(path)))
    try:
        runpy.run_path(path, run_name="__main__")
    except Exception as e:
        if _NOTES_SHOWN or getattr(e, "__ember_hint__", None) is None:
            raise
        traceback.print_exc()
        _show_hint(e)
        return 1
    return 0


# ember's hints (ember._hints) are exception notes, which tracebacks print from Python 3.11 on;
# on 3.10 the hint is the attribute __ember_hint__, printed here after the traceback
_NOTES_SHOWN = sys.version_info >= (3, 11)


def _show_hint(exc):
    hint = getattr(exc, "__ember_hint__", None)
    if hint is not None and not _NOTES_SHOWN:
        print(hint, file=sys.stderr)


def _strip_magics(src, number):
    out = []
    for line in src.splitlines():
        s = line.lstrip()
        help_line = s.startswith("?") or s.endswith("?") and s[:-1].isidentifier()
        if s.startswith(("%", "!")) or help_line:
            print(f"[ember run] cell {number}: skipped IPython line: {s}")
            indent = line[:len(line) - len(s)]
            out.append(indent + "pass")
        else:
            out.append(line)
    return "\n".join(out)


def _exec_cell(src, ns, filename):
    tree = ast.parse(src, filename)
    last = None
    if tree.body and isinstance(tree.body[-1], ast.Expr):
        last = ast.Expression(tree.body.pop().value)
    exec(compile(tree, filename, "exec"), ns)
    if last is not None:
        value = eval(compile(last, filename, "eval"), ns)
        if value is not None:
            print(repr(value))


def _save_figures(stem, number):
    plt = sys.modules.get("matplotlib.pyplot")
    if plt is None:
        return
    for k, num in enumerate(plt.get_fignums()):
        path = f"{stem}_cell{number}_{k}.png"
        plt.figure(num).savefig(path)
        print(f"[ember run] cell {number}: figure saved to {path}")
    plt.close("all")


class NotebookError(Exception):
    """The file cannot be read as a Jupyter notebook; the message says why."""


def _json_kind(value):
    return {dict: "an object", list: "a list", str: "a string", bool: "a boolean",
            type(None): "null"}.get(type(value), "a number")


def read_code_cells(path):
    """The source text of each code cell of the notebook at `path`, in order.

    Reads nbformat 4 (`cells`, `source`) and nbformat 3 (`worksheets[].cells`, `input`); raises
    NotebookError saying what is wrong with a file that is not such a notebook."""
    try:
        with open(path, "rb") as f:
            raw = f.read()
    except OSError as e:
        raise NotebookError(f"cannot be read ({e.strerror})") from None
    if not raw.strip():
        raise NotebookError("is empty, not a notebook")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise NotebookError(f"is not UTF-8 text (byte 0x{raw[e.start]:02x} at offset "
                            f"{e.start}); a notebook is a UTF-8 JSON file") from None
    try:
        nb = json.loads(text)
    except json.JSONDecodeError as e:
        raise NotebookError(f"is not valid JSON ({e.msg} at line {e.lineno} column "
                            f"{e.colno}); a notebook is a JSON file") from None
    if not isinstance(nb, dict):
        raise NotebookError(f"is not a Jupyter notebook: its JSON is {_json_kind(nb)}, not an "
                            f'object with a "cells" list')
    if "cells" in nb:
        cells, key = nb["cells"], "source"
    elif isinstance(nb.get("worksheets"), list):  # nbformat 3
        cells, key = [], "input"
        for sheet in nb["worksheets"]:
            part = sheet.get("cells") if isinstance(sheet, dict) else None
            if not isinstance(part, list):
                raise NotebookError('is not a Jupyter notebook: a worksheet has no "cells" list')
            cells += part
    else:
        raise NotebookError('is not a Jupyter notebook: it has no "cells" list')
    if not isinstance(cells, list):
        raise NotebookError(f'is not a Jupyter notebook: its "cells" is {_json_kind(cells)}, '
                            f"not a list")
    sources = []
    for i, cell in enumerate(cells, 1):
        if not isinstance(cell, dict) or not isinstance(cell.get("cell_type"), str):
            raise NotebookError(f'is not a Jupyter notebook: entry {i} of its cells has no '
                                f'"cell_type"')
        if cell["cell_type"] != "code":
            continue
        src = cell.get(key, "")
        if isinstance(src, list) and all(isinstance(line, str) for line in src):
            src = "".join(src)
        if not isinstance(src, str):
            raise NotebookError(f"is not a Jupyter notebook: the {key} of code cell "
                                f"{len(sources) + 1} is {_json_kind(src)}, not text")
        sources.append(src)
    return sources


def _run_notebook(path, args, timings=False):
    try:
        sources = read_code_cells(path)
    except NotebookError as e:
        print(f"ember run: {path} {e}", file=sys.stderr)
        return 1
    from . import _compat
    _compat.install()
    os.environ.setdefault("MPLBACKEND", "Agg")
    sys.argv = [path] + list(args)
    sys.path.insert(0, os.path.dirname(os.path.abspath(path)))
    ns = {"__name__": "__main__", "__file__": os.path.abspath(path)}
    stem = os.path.splitext(path)[0]
    for number, source in enumerate(sources, 1):
        src = _strip_magics(source, number)
        start = time.perf_counter()
        try:
            _exec_cell(src, ns, f"<cell {number}>")
        except SystemExit:  # sys.exit(...) in a cell ends the run as it ends a script
            raise
        except BaseException:  # report the cell, then stop
            print(f"[ember run] cell {number} failed:", file=sys.stderr)
            traceback.print_exc()
            _show_hint(sys.exc_info()[1])
            return 1
        finally:
            if timings:  # stderr: the cell's own output on stdout stays as it was
                print(f"[ember run] cell {number}: {time.perf_counter() - start:.3f} s",
                      file=sys.stderr)
            _save_figures(stem, number)
    return 0


def cmd_run(ns):
    path = ns.script
    if not os.path.exists(path):
        print(f"ember run: no such file: {path}", file=sys.stderr)
        return 2
    if getattr(ns, "explain", False):  # warns about a missing zero_grad(), eval in train()
        from ._hints import watch
        watch()
    timings = getattr(ns, "timings", False)
    if path.endswith(".ipynb"):
        return _run_notebook(path, ns.args, timings)
    start = time.perf_counter()
    try:
        return _run_script(path, ns.args)
    finally:
        if timings:
            print(f"[ember run] {path}: {time.perf_counter() - start:.3f} s", file=sys.stderr)


def _blas_info():
    try:
        import numpy as np
        cfg = np.show_config(mode="dicts")
        blas = cfg.get("Build Dependencies", {}).get("blas", {})
        name = f"{blas.get('name', '?')} {blas.get('version', '')}".strip()
    except Exception:
        name = "unknown"
    threads = None
    try:
        from threadpoolctl import threadpool_info
        for info in threadpool_info():
            if info.get("user_api") == "blas":
                threads = info.get("num_threads")
    except ImportError:
        threads = os.environ.get("OPENBLAS_NUM_THREADS") or os.environ.get("OMP_NUM_THREADS")
    return name, threads or f"default ({os.cpu_count()} cores)"


def cmd_info(ns):
    import numpy as np

    from . import __version__
    from ._device import _get_cupy
    blas, threads = _blas_info()
    cp = _get_cupy()
    print(f"ember       {__version__}")
    print(f"python      {platform.python_version()} ({platform.machine()}, {platform.system()})")
    print(f"numpy       {np.__version__}")
    print(f"blas        {blas}, threads: {threads}")
    if cp:
        from .cuda import device_count, get_device_name
        print(f"cupy        {cp.__version__}; GPUs: {device_count()} ({get_device_name()})")
    else:
        try:
            import cupy  # noqa: F401
            print("cupy        installed, but no usable GPU")
        except ImportError:
            print("cupy        not installed (CPU only)")
    from .distributed._launcher import mpi_info
    print(f"distributed {mpi_info()}")
    return 0


def cmd_demo(ns):
    from ._demo import main
    return main(ns)


def main(argv=None):
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv[:1] == ["launch"]:  # its own parser: every option after the script is the script's
        from .distributed._launcher import launch
        return launch(argv[1:])
    p = argparse.ArgumentParser(prog="ember", description="ember: PyTorch's API on NumPy")
    sub = p.add_subparsers(dest="command")
    sub.add_parser("launch", add_help=False, help="run a distributed script in N processes "
                   "through MPI: ember launch --nproc-per-node N script.py [args]")
    r = sub.add_parser("run", help="run an unmodified PyTorch script or notebook on ember")
    r.add_argument("--explain", action="store_true", help="also warn about silent mistakes "
                   "(a missing zero_grad(), evaluating in train() mode)")
    r.add_argument("--timings", action="store_true",
                   help="print the wall time of each notebook cell (of the whole script)")
    r.add_argument("script")
    r.add_argument("args", nargs=argparse.REMAINDER)
    e = sub.add_parser("explain", help="run a script or notebook once, then report its models, "
                       "losses and ember's hints")
    e.add_argument("script")
    e.add_argument("args", nargs=argparse.REMAINDER)
    d = sub.add_parser("demo", help="train the course's digit classifier (offline)")
    d.add_argument("--dataset", choices=["digits", "mnist"], default="digits")
    d.add_argument("--data", default=None, help="root folder of MNIST (torchvision layout)")
    d.add_argument("--epochs", type=int, default=None)
    d.add_argument("--out", default=".", help="folder for the checkpoint and plots")
    d.add_argument("--seed", type=int, default=0)
    sub.add_parser("info", help="versions, BLAS and GPU availability")
    ns = p.parse_args(argv)
    if ns.command == "run":
        return cmd_run(ns)
    if ns.command == "explain":
        from ._explain import main as explain
        return explain(ns)
    if ns.command == "demo":
        return cmd_demo(ns)
    if ns.command == "info":
        return cmd_info(ns)
    p.print_help()
    return 0


if __name__ == "__main__":
    sys.exit(main())
