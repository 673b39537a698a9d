"""ember.viz: pictures for learners (issue 18). `make_dot(output, params=...)` draws the autograd
graph as torchviz does (node types as torch names them, parameter names and shapes, saved
tensors); `plot_module(model)` draws the module tree. Both return a `Graph`, which shows itself
in Jupyter and renders to SVG or PNG: through Graphviz's `dot` when it is installed, otherwise
with ember's own layered layout (PNG then needs Pillow)."""

from .._compat import module_getattr as _module_getattr

__all__ = ["make_dot", "plot_module", "Graph"]

__getattr__ = _module_getattr(__name__, {"make_dot": ("._autograd", "make_dot"),
                                         "plot_module": ("._modules", "plot_module"),
                                         "Graph": ("._graph", "Graph")}, api="ember.viz")
