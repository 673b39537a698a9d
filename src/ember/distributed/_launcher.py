"""`ember launch`: torchrun's job for ember, through the installed MPI's `mpiexec`.

`ember launch --nproc-per-node N script.py args` runs `mpiexec -n N python -m
ember.distributed._launcher --rank-main script.py args`: each rank runs the script as `ember run`
does (torch scripts run unmodified). A rank whose script raises prints its traceback and
`[ember launch] rank R failed`, then MPI_Abort stops every rank at once; the launcher exits
with that status and repeats each failed rank's report (left in a temporary folder, as torchrun's
error files), since MPI_Abort can kill the job before mpiexec forwards the rank's stderr.
OMP_NUM_THREADS defaults to 1 in the ranks, as under torchrun (N ranks with a BLAS thread per
core each would fight over the cores). Several machines: `--hostfile FILE` with
`--nnodes M` starts M*N ranks, N per host listed in FILE (the MPI's own hostfile format).
"""

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import traceback

__all__ = []

_ERROR_DIR = "EMBER_LAUNCH_ERROR_DIR"  # where failed ranks leave their tracebacks


def find_mpiexec():
    """mpiexec next to this Python (the `mpich` wheel, a venv) or else on PATH, or None."""
    here = os.path.dirname(sys.executable)
    return shutil.which("mpiexec", path=here) or shutil.which("mpiexec")


def _is_open_mpi(mpiexec):
    try:
        out = subprocess.run([mpiexec, "--version"], capture_output=True, text=True, timeout=20)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return "Open MPI" in out.stdout + out.stderr or "OpenRTE" in out.stdout + out.stderr


def mpiexec_command(mpiexec, n, argv, hostfile=None, per_node=None):
    """The mpiexec command line starting `argv` in `n` ranks (oversubscribing the cores when
    asked for more ranks than there are, which Open MPI refuses unless told)."""
    cmd = [mpiexec, "-n", str(n)]
    if hostfile:
        cmd += ["-f" if not _is_open_mpi(mpiexec) else "--hostfile", hostfile]
        if per_node:
            cmd += ["-ppn" if not _is_open_mpi(mpiexec) else "--npernode", str(per_node)]
    if n > (os.cpu_count() or 1) and _is_open_mpi(mpiexec):
        cmd.append("--oversubscribe")
    return cmd + list(argv)


def mpi_info():
    """One line for `ember info`: whether ember.distributed can run, and on what."""
    from . import is_available
    if not is_available():
        return "not available (pip install ember[distributed]: mpi4py, and an MPI library)"
    import importlib.metadata
    version = importlib.metadata.version("mpi4py")
    mpiexec = find_mpiexec() or "no mpiexec found"
    try:
        from mpi4py import MPI
        library = MPI.Get_library_version().splitlines()[0].strip()
    except Exception as e:  # an mpi4py built against a missing MPI library
        return f"mpi4py {version}, but MPI does not load ({type(e).__name__}: {e})"
    return f"mpi4py {version}, {' '.join(library.split())}; mpiexec: {mpiexec}"


def _parser():
    p = argparse.ArgumentParser(prog="ember launch", description=(
        "start a distributed script in N processes through MPI (torchrun's job)"))
    p.add_argument("--nproc-per-node", "--nproc_per_node", default="1",
                   help="processes per machine: a number, or 'cpu'/'auto' (one per core)")
    p.add_argument("--nnodes", default="1", help="machines (with --hostfile)")
    p.add_argument("--hostfile", default=None, help="MPI hostfile naming the machines")
    p.add_argument("--master-addr", "--master_addr", default=None)
    p.add_argument("--master-port", "--master_port", default=None)
    p.add_argument("--standalone", action="store_true",
                   help="one machine (the default here; accepted as torchrun's flag)")
    p.add_argument("-m", "--module", action="store_true",
                   help="run SCRIPT as a module (python -m SCRIPT)")
    p.add_argument("--no-python", "--no_python", action="store_true",
                   help="run SCRIPT as a program, not a Python file")
    p.add_argument("--mpiexec", default=None, help="the mpiexec to use (default: found)")
    p.add_argument("script")
    p.add_argument("args", nargs=argparse.REMAINDER)
    return p


def _count(value, what):
    if value in ("cpu", "auto"):
        return os.cpu_count() or 1
    try:
        n = int(value)
    except ValueError:
        n = 0
    if n < 1:
        raise SystemExit(f"ember launch: {what} must be a positive number, got {value!r}")
    return n


def launch(argv):
    ns = _parser().parse_args(argv)
    per_node, nodes = _count(ns.nproc_per_node, "--nproc-per-node"), _count(ns.nnodes, "--nnodes")
    if nodes > 1 and not ns.hostfile:
        print("ember launch: --nnodes > 1 needs --hostfile FILE naming the machines (ember "
              "starts every rank from here through mpiexec)", file=sys.stderr)
        return 2
    mpiexec = ns.mpiexec or find_mpiexec()
    if mpiexec is None:
        print("ember launch: no mpiexec found: install an MPI library (apt-get install mpich, "
              "or pip install mpich) and mpi4py (pip install ember[distributed])",
              file=sys.stderr)
        return 2
    if ns.no_python:
        if ns.module:
            print("ember launch: --no-python and -m cannot be used together", file=sys.stderr)
            return 2
        rank_argv = [ns.script] + ns.args
    else:
        rank_argv = [sys.executable, "-m", "ember.distributed._launcher", "--rank-main",
                     "-m" if ns.module else "-f", ns.script] + ns.args
    env = dict(os.environ)
    env.setdefault("OMP_NUM_THREADS", "1")
    for name, value in (("MASTER_ADDR", ns.master_addr), ("MASTER_PORT", ns.master_port)):
        if value is not None:
            env[name] = value
    cmd = mpiexec_command(mpiexec, per_node * nodes, rank_argv, ns.hostfile,
                          per_node if ns.hostfile else None)
    with tempfile.TemporaryDirectory(prefix="ember-launch-") as errors:
        env[_ERROR_DIR] = errors
        try:
            code = subprocess.run(cmd, env=env).returncode
        except KeyboardInterrupt:
            return 130
        if code != 0:
            print(f"ember launch: the job failed (mpiexec exit status {code})", file=sys.stderr)
            _report_failures(errors)
    return code


def _report_failures(errors):
    """Prints what each failed rank recorded, as torchrun's closing error summary does: MPI_Abort
    may kill the job before mpiexec has forwarded the failing rank's own stderr."""
    names = [n for n in os.listdir(errors) if n.endswith(".txt")]
    for name in sorted(names, key=lambda n: int(n.split(".")[0])):
        with open(os.path.join(errors, name)) as f:
            sys.stderr.write(f.read())
    sys.stderr.flush()


def _rank_main(argv):
    """One rank: runs the script as `ember run` does; a failure aborts every rank."""
    kind, target, args = argv[0], argv[1], argv[2:]
    try:
        if kind == "-m":
            import runpy

            from .. import _compat
            _compat.install()
            sys.argv = [target] + args
            runpy.run_module(target, run_name="__main__", alter_sys=True)
        else:
            from ..cli import _run_script
            _run_script(target, args)
    except SystemExit as e:
        if e.code in (None, 0):
            return 0
        _abort(e.code if isinstance(e.code, int) else 1, None)
    except BaseException:
        _abort(1, traceback.format_exc())
    return 0


def _record(rank, report):
    """Leaves this rank's failure where the launcher reads it (a file on the launching machine;
    ranks on other machines have no such folder and rely on mpiexec's forwarding)."""
    folder = os.environ.get(_ERROR_DIR)
    if not folder or not os.path.isdir(folder):
        return
    path = os.path.join(folder, f"{rank}.txt")
    with open(path + ".tmp", "w") as f:
        f.write(report)
    os.replace(path + ".tmp", path)


def _abort(code, text):
    from mpi4py import MPI
    rank = MPI.COMM_WORLD.Get_rank()
    line = (f"[ember launch] rank {rank} failed (exit status {code}); stopping all "
            f"ranks\n")
    report = (text or "") + line
    sys.stderr.write(report)
    _record(rank, report)
    sys.stdout.flush()
    sys.stderr.flush()
    MPI.COMM_WORLD.Abort(code)


if __name__ == "__main__":
    if sys.argv[1:2] == ["--rank-main"]:
        sys.exit(_rank_main(sys.argv[2:]))
    sys.exit(launch(sys.argv[1:]))
