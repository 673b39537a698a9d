"""The `ember` command: `ember run SCRIPT|NOTEBOOK [args]`, `ember demo`, `ember info`.

`run` installs the torch -> ember aliases (`_compat.install`) for that process only, then runs a
script as `__main__` or a notebook's code cells in order in one namespace (IPython magics and
shell lines are skipped with a notice, figures are saved as PNG files, and the first failing
cell is reported with its number and traceback).
"""

import argparse
import ast
import json
import os
import platform
import runpy
import sys
import traceback


def _run_script(path, args):
    from . import _compat
    _compat.install()
    sys.argv = [path] + list(args)
    sys.path.insert(0, os.path.dirname(os.path.abspath(path)))
    runpy.run_path(path, run_name="__main__")
    return 0


def _cell_source(cell):
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else src


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


def _run_notebook(path, args):
    from . import _compat
    _compat.install()
    os.environ.setdefault("MPLBACKEND", "Agg")
    with open(path, encoding="utf-8") as f:
        nb = json.load(f)
    sys.argv = [path] + list(args)
    sys.path.insert(0, os.path.dirname(os.path.abspath(path)))
    ns = {"__name__": "__main__", "__file__": os.path.abspath(path)}
    stem = os.path.splitext(path)[0]
    cells = [c for c in nb.get("cells", []) if c.get("cell_type") == "code"]
    for number, cell in enumerate(cells, 1):
        src = _strip_magics(_cell_source(cell), number)
        try:
            _exec_cell(src, ns, f"<cell {number}>")
        except BaseException as e:  # report the cell, then stop
            if isinstance(e, SystemExit) and not e.code:
                return 0
            print(f"[ember run] cell {number} failed:", file=sys.stderr)
            traceback.print_exc()
            return 1
        finally:
            _save_figures(stem, number)
    return 0


def cmd_run(ns):
    path = ns.script
    if not os.path.exists(path):
        print(f"ember run: no such file: {path}", file=sys.stderr)
        return 2
    if path.endswith(".ipynb"):
        return _run_notebook(path, ns.args)
    return _run_script(path, ns.args)


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
    return 0


def cmd_demo(ns):
    from ._demo import main
    return main(ns)


def main(argv=None):
    p = argparse.ArgumentParser(prog="ember", description="ember: PyTorch's API on NumPy")
    sub = p.add_subparsers(dest="command")
    r = sub.add_parser("run", help="run an unmodified PyTorch script or notebook on ember")
    r.add_argument("script")
    r.add_argument("args", nargs=argparse.REMAINDER)
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
    if ns.command == "demo":
        return cmd_demo(ns)
    if ns.command == "info":
        return cmd_info(ns)
    p.print_help()
    return 0


if __name__ == "__main__":
    sys.exit(main())
