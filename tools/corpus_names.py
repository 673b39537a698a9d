"""List the torch / torchvision names a corpus of real code uses, and which of them ember lacks.

    python tools/corpus_names.py GITDIR... > tests/data/corpus_names.txt

Each GITDIR is a bare git directory (a mirror of a public repository); its HEAD's .py files,
notebooks' code cells and Markdown code blocks are parsed with `ast`. Imports of torch and
torchvision (`import torch.nn as nn`, `from torch.utils.data import DataLoader`, ...) are
followed to their aliases, and every attribute chain on them (`nn.functional.relu`,
`torch.backends.mps.is_available`) is cut to the longest prefix that torch 2.13 resolves (torch
must be installed; torchvision names are kept as written). Output: a `# repo commit` line per
repository, then one line per name, `name count repo...` (count = files using it), sorted by
name. The committed list is read by tests/test_corpus_names.py, which checks that ember
resolves each name.
"""

import ast
import importlib
import json
import re
import subprocess
import sys
from collections import defaultdict

_BLOCK = re.compile(r"```[^\n]*\n(.*?)```", re.S)


def _sources(gitdir):
    files = subprocess.run(["git", "--git-dir", gitdir, "ls-tree", "-r", "--name-only", "HEAD"],
                           capture_output=True, text=True, check=True).stdout.split("\n")
    for path in files:
        if not path.endswith((".py", ".ipynb", ".md")):
            continue
        raw = subprocess.run(["git", "--git-dir", gitdir, "show", f"HEAD:{path}"],
                             capture_output=True).stdout
        text = raw.decode("utf-8", "replace")
        if path.endswith(".py"):
            yield path, [text]
        elif path.endswith(".ipynb"):
            try:
                cells = json.loads(text).get("cells", [])
            except (ValueError, AttributeError):
                continue
            yield path, ["".join(c.get("source", "")) for c in cells
                         if isinstance(c, dict) and c.get("cell_type") == "code"]
        else:
            yield path, _BLOCK.findall(text)


def _clean(src):
    return "\n".join("pass" if ln.lstrip().startswith(("%", "!")) else ln
                     for ln in src.splitlines())


def _chains(src, aliases):
    """Attribute chains rooted at a torch/torchvision alias in `src` (aliases carry over)."""
    try:
        tree = ast.parse(_clean(src))
    except (SyntaxError, ValueError):
        return set()
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                if a.name.split(".")[0] in ("torch", "torchvision"):
                    if a.asname:
                        aliases[a.asname] = a.name
                    else:
                        aliases[a.name.split(".")[0]] = a.name.split(".")[0]
                    found.add(a.name)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module.split(".")[0] in ("torch", "torchvision"):
                for a in node.names:
                    if a.name != "*":
                        aliases[a.asname or a.name] = f"{node.module}.{a.name}"
                        found.add(f"{node.module}.{a.name}")
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute):
            parts, cur = [], node
            while isinstance(cur, ast.Attribute):
                parts.append(cur.attr)
                cur = cur.value
            if isinstance(cur, ast.Name) and cur.id in aliases:
                found.add(".".join([aliases[cur.id]] + parts[::-1]))
    return found


def resolve(name, top):
    """The longest prefix of `name` that resolves, with `top` ('torch' or 'ember') as root."""
    parts = name.split(".")
    obj, done = None, []
    for i, p in enumerate(parts):
        path = ".".join([top] + parts[1:i + 1]) if i else top
        try:
            if i == 0:
                obj = importlib.import_module(top)
            else:
                try:
                    obj = getattr(obj, p)
                except AttributeError:
                    obj = importlib.import_module(path)
        except Exception:
            break
        done.append(p)
    return ".".join(done)


def main(gitdirs):
    uses = defaultdict(set)
    for gitdir in gitdirs:
        repo = gitdir.rstrip("/").split("/")[-2].replace("+", "/")
        head = subprocess.run(["git", "--git-dir", gitdir, "rev-parse", "HEAD"],
                              capture_output=True, text=True, check=True).stdout.strip()
        print(f"# {repo} {head}")
        for path, blocks in _sources(gitdir):
            aliases, names = {}, set()
            for src in blocks:
                names |= _chains(src, aliases)
            for n in names:
                if any(p.startswith("__") and p != "__version__" for p in n.split(".")[1:]):
                    continue  # a method of a value (`profile.__enter__`), not a name
                if n.startswith("torch.") or n == "torch":
                    n = resolve(n, "torch")
                    if n.count(".") == 0:
                        continue
                uses[n].add((repo, path))
    for n in sorted(uses):
        repos = sorted({r for r, _ in uses[n]})
        print(n, len(uses[n]), " ".join(repos))


if __name__ == "__main__":
    main(sys.argv[1:])
