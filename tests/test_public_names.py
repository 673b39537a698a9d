"""ember's public names against torch 2.13's.

A module's public names are its `__all__`; for the top level (whose namespace ember curates)
also every name `dir(ember)` shows, and for Tensor every method/attribute `dir(Tensor)` shows.
Each must be a torch name (`hasattr` on the torch module) or be listed in ALLOWED with the
reason ember has it. How many torch names ember lacks is printed (`pytest -s`), not asserted.
A name torch has that a public ember module lacks raises `ember does not implement torch.X.Y
yet`, an AttributeError, so `hasattr` is False as for any missing attribute.

vision.* is compared against nothing: torchvision is not installed where these tests were
written, and no name list generated from a real torchvision is committed.
"""

import importlib
import subprocess
import sys
import types

import pytest

import ember
from ember._compat import EmberNotImplemented

# (ember module, torch module); "" is the top level
MODULES = ["", "nn", "nn.functional", "nn.init", "nn.utils", "nn.utils.rnn",
           "nn.utils.parametrize", "nn.utils.parametrizations", "nn.utils.prune",
           "nn.utils.stateless", "optim",
           "optim.lr_scheduler", "linalg", "autograd", "autograd.function", "utils.data",
           "random", "cuda"]
VISION = ["vision", "vision.datasets", "vision.transforms", "vision.models", "vision.utils"]

# ember-only public names, each with its reason: {module: {name: reason}}
ALLOWED = {"": {"vision": "torchvision's API, shipped inside ember as ember.vision (ember run maps "
                         "`import torchvision` to it)",
                "cli": "the `ember` command (ember run/demo/info), a submodule only it loads",
                "summary": "torchinfo's model summary table, built in for learners (issue 18)",
                "viz": "torchviz's make_dot and a module-tree picture, built in (issue 18)",
                "set_hints": "turns off the hints ember adds as notes to torch's errors "
                             "(issue 18)"}}
ALLOWED_TENSOR = {}

OPS = ["binary", "compare", "creation", "decomp", "gather", "index", "linalg", "pointwise",
       "rearrange", "reduce", "sampling", "scan", "shape", "sorting", "stats", "ternary",
       "unary", "views"]


def _ember(path):
    return importlib.import_module("ember" + ("." + path if path else ""))


def _torch(path):
    torch = pytest.importorskip("torch")
    return importlib.import_module("torch" + ("." + path if path else "")) if path else torch


def _torch_public(mod):
    names = getattr(mod, "__all__", None)
    if names is None:
        names = [n for n in dir(mod) if not n.startswith("_")]
    return {n for n in names
            if hasattr(mod, n) and not isinstance(getattr(mod, n), types.ModuleType)}


@pytest.mark.parametrize("path", MODULES + VISION)
def test_all_is_declared_and_resolves(path):
    mod = _ember(path)
    names = mod.__all__
    assert len(names) == len(set(names)), [n for n in names if names.count(n) > 1]
    missing = [n for n in names if not hasattr(mod, n)]
    assert not missing, f"ember.{path} lists names it lacks: {missing}"


@pytest.mark.parametrize("path", MODULES)
def test_public_names_are_torch_names(path):
    mod, tmod = _ember(path), _torch(path)
    allowed = ALLOWED.get(path, {})
    extra = sorted(n for n in mod.__all__ if not hasattr(tmod, n) and n not in allowed)
    assert not extra, f"ember.{path} exports names torch.{path or 'torch'} lacks: {extra}"
    lacking = sorted(_torch_public(tmod) - {n for n in _torch_public(tmod) if hasattr(mod, n)})
    print(f"\nember.{path or '<top>'}: {len(mod.__all__)} public names; ember lacks "
          f"{len(lacking)} of torch's {len(_torch_public(tmod))}")


def test_top_level_namespace_has_only_torch_names():
    torch = _torch("")
    shown = [n for n in dir(ember) if not n.startswith("_")]
    extra = sorted(n for n in shown if not hasattr(torch, n) and n not in ALLOWED.get("", {}))
    assert not extra, f"`import ember` exposes names torch lacks: {extra}"
    undeclared = sorted(n for n in shown if n not in ember.__all__ and
                        not isinstance(getattr(ember, n), types.ModuleType))
    assert not undeclared, f"ember's namespace has names outside __all__: {undeclared}"


def test_each_op_has_one_home():
    seen = {}
    for name in OPS:
        for n in _ember("ops." + name).__all__:
            assert n not in seen, f"{n} is exported by both ops.{seen[n]} and ops.{name}"
            seen[n] = name


@pytest.mark.parametrize("name", OPS)
def test_ops_module_exports_its_torch_functions(name):
    """A torch-named function defined in an ops module but missing from its __all__ would
    silently not be ember.<name>: add it to that module's __all__."""
    torch = _torch("")
    mod = _ember("ops." + name)
    forgot = sorted(n for n, v in vars(mod).items()
                    if not n.startswith("_") and callable(v) and
                    getattr(v, "__module__", None) == mod.__name__ and hasattr(torch, n) and
                    callable(getattr(torch, n)) and n not in mod.__all__ and
                    getattr(ember, n, None) is not v)
    assert not forgot, f"ember.ops.{name} defines torch's {forgot} without exporting them"


def test_tensor_names_are_torch_names():
    torch = _torch("")
    import ember.nn  # noqa: F401  (nn.functional rebinds Tensor.softmax when it loads)
    mine = {n for n in dir(ember.Tensor) if not n.startswith("_")}
    theirs = {n for n in dir(torch.Tensor) if not n.startswith("_")}
    extra = sorted(mine - theirs - set(ALLOWED_TENSOR))
    assert not extra, f"ember.Tensor has names torch.Tensor lacks: {extra}"
    print(f"\nember.Tensor: {len(mine)} public names; ember lacks {len(theirs - mine)} of "
          f"torch's {len(theirs)}")


# ---------------------------------------------------------------- names ember lacks
def _lacking(path):
    """A name torch has that ember.<path> lacks (the first, sorted), else a made-up one."""
    try:
        import torch  # noqa: F401
    except ImportError:
        return "no_such_api"
    tmod, mod = _torch(path), _ember(path)
    return min((n for n in _torch_public(tmod) if not hasattr(mod, n)), default="no_such_api")


@pytest.mark.parametrize("path", MODULES + ["utils", "optim-Muon"])
def test_missing_torch_name_says_so(path):
    path, _, name = path.partition("-")
    if not name:
        name = _lacking(path) if path != "utils" else "cpp_extension"
    mod = _ember(path)
    api = "torch" + ("." + path if path else "")
    with pytest.raises(EmberNotImplemented) as e:
        getattr(mod, name)
    assert str(e.value) == f"ember does not implement {api}.{name} yet"
    assert isinstance(e.value, AttributeError)
    assert not hasattr(mod, name)
    assert getattr(mod, name, "default") == "default"


@pytest.mark.parametrize("path,name", [("vision.models", "vit_b_16"),
                                       ("vision.transforms", "NoSuchTransform")])
def test_missing_torchvision_name_says_so(path, name):
    with pytest.raises(EmberNotImplemented, match=rf"^ember does not implement "
                                                  rf"torchvision\.{path[7:]}\.{name} yet$"):
        getattr(_ember(path), name)


def test_dunder_probes_stay_plain_attribute_errors():
    with pytest.raises(AttributeError) as e:
        ember.optim.__wrapped__
    assert type(e.value) is AttributeError


def test_import_stays_lazy():
    code = ("import sys, ember\n"
            "heavy = [m for m in ('nn', 'optim', 'utils', 'vision', 'serialization', 'linalg')\n"
            "         if 'ember.' + m in sys.modules]\n"
            "assert not heavy, heavy\n"
            "assert 'torch' not in sys.modules\n"
            "assert ember.nn.Linear and ember.save and 'ember.serialization' in sys.modules\n"
            "from ember import optim\n"
            "import ember.utils.data\n"
            "print('ok')\n")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert r.stdout.strip() == "ok", r.stderr


# ---------------------------------------------------------------- Tensor methods, one table
def _unwrap_torch_args(f):
    """The function behind _util.install_torch_args's keyword-spelling wrapper, if any."""
    while hasattr(f, "__wrapped__") and hasattr(f, "__code__") and (
            f.__code__.co_name == "stub" or f.__code__.co_filename.startswith("<torch_args")):
        f = f.__wrapped__
    return f


def test_methods_are_the_table_functions_themselves():
    from ember._tensor_methods import METHODS
    rebound = {"softmax", "log_softmax"}  # nn.functional puts its own in place when it loads
    for name, fn in METHODS.items():
        if name not in rebound:
            assert _unwrap_torch_args(vars(ember.Tensor)[name]) is fn, name


def test_every_op_method_is_in_the_table():
    """What a Tensor can do is its class body (_tensor.py) plus the table; nothing else."""
    import ast
    from pathlib import Path

    from ember._tensor_methods import METHODS
    tree = ast.parse(Path(ember._tensor.__file__).read_text())
    body = set()
    for node in next(n for n in tree.body if isinstance(n, ast.ClassDef) and
                     n.name == "Tensor").body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            body.add(node.name)
        elif isinstance(node, ast.Assign):
            body.update(t.id for t in ast.walk(node) if isinstance(t, ast.Name) and
                        isinstance(t.ctx, ast.Store))
    outside = sorted(n for n, v in vars(ember.Tensor).items()
                     if (callable(v) or isinstance(v, property)) and n not in body and
                     n not in METHODS and not (n.startswith("_") and not n.startswith("__")))
    assert not outside, f"Tensor methods bound outside _tensor_methods.METHODS: {outside}"


def test_no_module_binds_tensor_methods_itself():
    import ast
    from pathlib import Path
    root = Path(ember.__file__).parent
    allowed = {"_tensor.py", "_tensor_methods.py", "nn/functional.py",
               "onnx/_trace.py"}  # the exporter swaps __setitem__ only while tracing, then undoes
    found = []
    for path in sorted(root.rglob("*.py")):
        rel = path.relative_to(root).as_posix()
        if rel in allowed:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                found += [f"{rel}:{d.lineno} @method" for d in node.decorator_list
                          if isinstance(d, ast.Call) and getattr(d.func, "id", "") == "method"]
            elif isinstance(node, ast.Call) and getattr(node.func, "id", "") == "setattr" and \
                    node.args and getattr(node.args[0], "id", "") == "Tensor":
                found.append(f"{rel}:{node.lineno} setattr(Tensor, ...)")
            elif isinstance(node, (ast.Assign, ast.AugAssign)):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                for t in targets:
                    for a in ast.walk(t):
                        if isinstance(a, ast.Attribute) and getattr(a.value, "id", "") == \
                                "Tensor" and not a.attr.startswith("_"):
                            found.append(f"{rel}:{node.lineno} Tensor.{a.attr} = ...")
                        elif isinstance(a, ast.Attribute) and a.attr.startswith("__") and \
                                getattr(a.value, "id", "") == "Tensor":
                            found.append(f"{rel}:{node.lineno} Tensor.{a.attr} = ...")
    assert not found, "bind these in _tensor_methods.METHODS instead: " + ", ".join(found)
