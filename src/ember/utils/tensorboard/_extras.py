"""The optional packages SummaryWriter writes through, imported on first use.

`import ember` and `import ember.utils.tensorboard` import none of them: tensorboard is needed
only once a writer or a summary is made, Pillow only for images, matplotlib only for figures.
A missing one raises ModuleNotFoundError naming the pip extra that installs it.
"""

import importlib
import re


def require(module, extra, what):
    """Imports `module`, or raises ModuleNotFoundError naming the extra (or package) to install."""
    try:
        return importlib.import_module(module)
    except ModuleNotFoundError as e:
        top = module.split(".")[0]
        if e.name is None or e.name.split(".")[0] != top:
            raise  # the package is there but one of its own imports failed: show that
        how = f"`pip install ember[{extra}]`" if extra else f"`pip install {top}`"
        raise ModuleNotFoundError(
            f"No module named '{top}': {what} needs it; install it with {how}", name=top) from None


def tensorboard():
    """The tensorboard package, checked as torch checks it (1.15 or above)."""
    tb = require("tensorboard", "tensorboard", "ember.utils.tensorboard")
    if not _version_at_least(getattr(tb, "__version__", None), (1, 15)):
        raise ImportError("TensorBoard logging requires TensorBoard version 1.15 or above")
    return tb


def _version_at_least(version, least):
    found = re.match(r"(\d+)\.(\d+)", version or "")
    return found is not None and (int(found[1]), int(found[2])) >= least
