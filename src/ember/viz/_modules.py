"""`plot_module(model)`: the module tree as a picture, one box per submodule (its attribute
path, class and constructor arguments, and the parameters it holds itself), each joined to its
parent; a module registered in two places is drawn once, with an edge from each parent."""

from ._graph import Graph

__all__ = ["plot_module"]

_NODE_ATTR = {"style": "filled", "shape": "box", "align": "left", "fontsize": "10",
              "height": "0.2", "fontname": "monospace"}


def _label(path, module, max_chars):
    head = f"{path} ({type(module).__name__})" if path else type(module).__name__
    lines = [head]
    extra = module.extra_repr()
    if extra:
        lines.append(extra if len(extra) <= max_chars else extra[:max_chars - 3] + "...")
    own = sum(p.numel() for p in module.parameters(recurse=False))
    if own:
        lines.append(f"params: {own:,}")
    return "\n".join(lines)


def plot_module(model, max_chars=60):
    """The graph of `model`'s submodules (root on the left, children in order down the page);
    `max_chars` trims long argument lists."""
    dot = Graph(node_attr=_NODE_ATTR, graph_attr={"rankdir": "LR", "size": "12,12"})
    seen = set()
    stack = [("", model, None)]
    while stack:
        path, module, parent = stack.pop()
        if id(module) not in seen:
            seen.add(id(module))
            leaf = not any(True for _ in module.children())
            dot.node(id(module), _label(path, module, max_chars),
                     fillcolor="lightblue" if leaf else "lightgrey")
            stack += [(f"{path}.{name}" if path else name, child, module)
                      for name, child in reversed(module._modules.items()) if child is not None]
        if parent is not None:
            dot.edge(id(parent), id(module))
    size = max(12, len(dot.body) * 0.15)
    dot.graph_attr["size"] = f"{size},{size}"
    return dot
