"""`ember run` on files that are not notebooks, and `sys.exit` in scripts and notebook cells
(issue 12): one line naming the file instead of an internal traceback; exit codes as Python's."""

import json
import os
import subprocess
import sys

import pytest

from ember import _compat, cli


def _notebook(cells, **top):
    nb = {"cells": [{"cell_type": "code", "metadata": {}, "source": c, "outputs": [],
                     "execution_count": None} for c in cells],
          "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    nb.update(top)
    return json.dumps(nb)


NOT_NOTEBOOKS = {
    "empty": (b"", "is empty, not a notebook"),
    "blank": (b"  \n\t\n", "is empty, not a notebook"),
    "latin1": ('{"cells": ["caf\xe9"]}'.encode("latin-1"),
               "is not UTF-8 text (byte 0xe9 at offset 15); a notebook is a UTF-8 JSON file"),
    "truncated": (b'{"cells": [', "is not valid JSON (Expecting value at line 1 column 12); "
                                  "a notebook is a JSON file"),
    "python": (b"import torch\nprint(1)\n", "is not valid JSON (Expecting value at line 1 "
                                            "column 1); a notebook is a JSON file"),
    "list": (b"[1, 2]", 'is not a Jupyter notebook: its JSON is a list, not an object with a '
                        '"cells" list'),
    "no_cells": (b'{"metadata": {}}', 'is not a Jupyter notebook: it has no "cells" list'),
    "cells_object": (b'{"cells": {"a": 1}}', 'is not a Jupyter notebook: its "cells" is an '
                                             'object, not a list'),
    "cell_not_object": (b'{"cells": [3]}', 'is not a Jupyter notebook: entry 1 of its cells '
                                           'has no "cell_type"'),
    "source_number": (_notebook(["x = 1", 7]).encode(), "is not a Jupyter notebook: the source "
                                                        "of code cell 2 is a number, not text"),
}


@pytest.mark.parametrize("case", sorted(NOT_NOTEBOOKS))
def test_not_a_notebook_is_one_line_naming_the_file(case, tmp_path, capsys, monkeypatch):
    content, what = NOT_NOTEBOOKS[case]
    path = tmp_path / f"{case}.ipynb"
    path.write_bytes(content)

    def never():
        raise AssertionError("the torch aliases must not be installed for a file that is "
                             "not a notebook")
    monkeypatch.setattr(_compat, "install", never)
    assert cli.main(["run", str(path)]) == 1
    out, err = capsys.readouterr()
    assert out == ""
    assert err == f"ember run: {path} {what}\n"


def test_unreadable_notebook_names_the_file(tmp_path, capsys):
    path = tmp_path / "folder.ipynb"
    path.mkdir()
    assert cli.main(["run", str(path)]) == 1
    assert capsys.readouterr().err == f"ember run: {path} cannot be read (Is a directory)\n"


def test_code_cells_of_both_notebook_formats(tmp_path):
    v4 = tmp_path / "v4.ipynb"
    v4.write_text("\ufeff" + _notebook(["a = 1\n", ["b = ", "2"]]), encoding="utf-8")
    v3 = tmp_path / "v3.ipynb"
    v3.write_text(json.dumps({"nbformat": 3, "nbformat_minor": 0, "metadata": {}, "worksheets": [
        {"cells": [{"cell_type": "markdown", "source": "# t"},
                   {"cell_type": "code", "input": ["a = 1\n", "print(a)"], "language": "python",
                    "outputs": []}]},
        {"cells": [{"cell_type": "code", "input": "b = 2", "outputs": []}]}]}))
    assert cli.read_code_cells(str(v4)) == ["a = 1\n", "b = 2"]
    assert cli.read_code_cells(str(v3)) == ["a = 1\nprint(a)", "b = 2"]


# ---- sys.exit: the exit status and message Python gives the same code ------------------------

EXITS = ["sys.exit(3)", "sys.exit()", "sys.exit(0)", "sys.exit('stopping here')"]


def _python(code, tmp_path):
    script = tmp_path / "plain.py"
    script.write_text(code)
    return subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                          timeout=60, cwd=tmp_path)


def _ember_run(path, tmp_path):
    env = dict(os.environ, MPLBACKEND="Agg")
    return subprocess.run([sys.executable, "-m", "ember", "run", str(path)], capture_output=True,
                          text=True, timeout=120, cwd=tmp_path, env=env)


@pytest.mark.parametrize("call", EXITS)
def test_sys_exit_in_a_notebook_cell_exits_as_python(call, tmp_path):
    cells = ["import sys\nprint('before')", f"print('cell 2')\n{call}", "print('after')"]
    path = tmp_path / "exits.ipynb"
    path.write_text(_notebook(cells))
    got = _ember_run(path, tmp_path)
    want = _python("\n".join(cells) + "\n", tmp_path)
    assert got.returncode == want.returncode
    assert got.stdout == want.stdout == "before\ncell 2\n"
    assert got.stderr == want.stderr


@pytest.mark.parametrize("call", ["sys.exit(3)", "sys.exit('stopping here')"])
def test_sys_exit_in_a_script_exits_as_python(call, tmp_path):
    code = f"import sys\nprint('before')\n{call}\nprint('after')\n"
    path = tmp_path / "exits.py"
    path.write_text(code)
    got = _ember_run(path, tmp_path)
    want = _python(code, tmp_path)
    assert (got.returncode, got.stdout, got.stderr) == (want.returncode, want.stdout,
                                                        want.stderr)
