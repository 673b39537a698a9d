"""`torch` / `torchvision` -> ember module aliases, installed only for `ember run`.

A meta-path finder answers imports of `torch`, `torch.X...`, `torchvision` and
`torchvision.X...` with ember's modules (`ember`, `ember.X...`, `ember.vision...`). Each aliased
module gets a module-level `__getattr__` that raises `EmberNotImplemented` (an AttributeError, so
`hasattr` still works) naming the torch API that is missing. Nothing here runs on `import ember`.
"""

import importlib
import importlib.abc
import importlib.util
import sys

_TOP = {"torch": "ember", "torchvision": "ember.vision"}


class EmberNotImplemented(AttributeError):
    """Raised for a torch API that ember does not provide."""


def _target(fullname):
    top, _, rest = fullname.partition(".")
    base = _TOP.get(top)
    if base is None:
        return None
    return base + ("." + rest if rest else "")


def _guard(module, torch_name):
    """Make missing attributes of an aliased module say which torch API is missing."""
    if "__getattr__" in vars(module):
        return

    def __getattr__(name):
        if name.startswith("__"):
            raise AttributeError(name)
        raise EmberNotImplemented(f"ember does not implement {torch_name}.{name} yet")
    module.__getattr__ = __getattr__


class _Loader(importlib.abc.Loader):
    def __init__(self, target, torch_name):
        self.target, self.torch_name = target, torch_name

    def create_module(self, spec):
        try:
            module = importlib.import_module(self.target)
        except ModuleNotFoundError:
            raise ModuleNotFoundError(
                f"ember does not implement {self.torch_name} yet", name=self.torch_name) from None
        _guard(module, self.torch_name)
        return module

    def exec_module(self, module):
        pass


class _Finder(importlib.abc.MetaPathFinder):
    def find_spec(self, fullname, path=None, target=None):
        t = _target(fullname)
        if t is None:
            return None
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
