"""What ember says about torch APIs it lacks, and the `torch` / `torchvision` -> ember aliases.

`module_getattr(__name__)` is every public module's `__getattr__` (PEP 562): a name the module
lacks raises `EmberNotImplemented` (an AttributeError, so `hasattr` and `getattr(m, n, default)`
still work) naming the torch API, e.g. `ember does not implement torch.optim.LBFGS yet`. It can
also load names lazily (the top-level `ember.nn`, `ember.save`, ...).

`install()` (only for `ember run`) adds a meta-path finder that answers imports of `torch`,
`torch.X...`, `torchvision` and `torchvision.X...` with ember's modules (`ember`, `ember.X...`,
`ember.vision...`), and `torchinfo`/`torchviz` with `ember.summary`'s and `ember.viz`'s
modules; `import ember` alone never touches `sys.modules['torch']`. This module is
imported by `import ember`, so it imports nothing at load time.
"""

import sys

# `ember run` also answers the learners' add-ons with ember's own: torchinfo's `summary` and
# torchviz's `make_dot`
_TOP = {"torch": "ember", "torchvision": "ember.vision", "torchinfo": "ember._summary",
        "torchviz": "ember.viz"}


class EmberNotImplemented(AttributeError):
    """Raised for a torch API that ember does not provide."""


def torch_name(module_name):
    """The torch (or torchvision) name of an ember module: ember.optim -> torch.optim."""
    if module_name == "ember.vision" or module_name.startswith("ember.vision."):
        return "torchvision" + module_name[len("ember.vision"):]
    return "torch" + module_name[len("ember"):]


def module_getattr(module_name, lazy=None, api=None):
    """A module `__getattr__` for `module_name`.

    `lazy` maps a name to `(submodule, attribute)`: the name is imported from `submodule`
    (relative to the module; `attribute` None means the submodule itself) on first use and cached
    in the module's namespace. Any other name raises EmberNotImplemented naming `api`.`name`
    (`api` defaults to the module's torch name); dunder names raise a plain AttributeError, as
    Python's own probes (`__path__`, `__wrapped__`, ...) expect.
    """
    api = api or torch_name(module_name)

    def __getattr__(name):
        if lazy is not None and name in lazy:
            import importlib
            where, attr = lazy[name]
            value = importlib.import_module(where, module_name)
            if attr is not None:
                value = getattr(value, attr)
            setattr(sys.modules[module_name], name, value)
            return value
        if name.startswith("__") and name.endswith("__"):
            raise AttributeError(f"module {module_name!r} has no attribute {name!r}")
        raise EmberNotImplemented(f"ember does not implement {api}.{name} yet")
    __getattr__.lazy = dict(lazy or {})  # what loads on first use (tests walk it)
    return __getattr__


# ---------------------------------------------------------------- `ember run`: torch -> ember
def _target(fullname):
    top, _, rest = fullname.partition(".")
    base = _TOP.get(top)
    if base is None:
        return None
    return base + ("." + rest if rest else "")


def _guard(module, torch_api):
    """Make missing attributes of an aliased module say which torch API is missing."""
    if "__getattr__" not in vars(module):
        module.__getattr__ = module_getattr(module.__name__, api=torch_api)


class _Loader:
    """Answers `import torch.X` with the already-importable `ember.X` module."""

    def __init__(self, target, torch_api):
        self.target, self.torch_api = target, torch_api

    def create_module(self, spec):
        import importlib
        try:
            module = importlib.import_module(self.target)
        except ModuleNotFoundError:
            raise ModuleNotFoundError(
                f"ember does not implement {self.torch_api} yet", name=self.torch_api) from None
        _guard(module, self.torch_api)
        return module

    def exec_module(self, module):
        pass


class _Finder:
    """A meta-path finder for `torch...` and `torchvision...`."""

    def find_spec(self, fullname, path=None, target=None):
        t = _target(fullname)
        if t is None:
            return None
        import importlib.util
        return importlib.util.spec_from_loader(fullname, _Loader(t, fullname))


_finder = _Finder()


def install():
    """Routes torch/torchvision imports to ember (idempotent)."""
    if _finder not in sys.meta_path:
        sys.meta_path.insert(0, _finder)
    for name in list(sys.modules):
        if name.split(".")[0] in _TOP and not sys.modules[name].__name__.startswith("ember"):
            del sys.modules[name]


def uninstall():
    if _finder in sys.meta_path:
        sys.meta_path.remove(_finder)
    for name in list(sys.modules):
        if name.split(".")[0] in _TOP:
            del sys.modules[name]
