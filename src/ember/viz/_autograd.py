"""`make_dot(output, params=...)`: the autograd graph behind a tensor, drawn as torchviz draws
it. Each backward node is a grey box named as torch names it (`AddmmBackward0`,
`AccumulateGrad`); a leaf that accumulates a gradient is a light blue box with its parameter
name (from `params`) and shape, joined to its AccumulateGrad; the output is a green box with its
shape (a view's base a darker green, joined by a dotted line); with `show_saved=True` each saved
tensor is an orange box tied to its node; with `show_attrs=True` each node lists its saved
values."""

from ._graph import Graph

__all__ = ["make_dot"]

_SAVED = "_saved_"
_NODE_ATTR = {"style": "filled", "shape": "box", "align": "left", "fontsize": "10",
              "ranksep": "0.1", "height": "0.2", "fontname": "monospace"}


def _is_tensor(x):
    from .._tensor import Tensor
    return isinstance(x, Tensor)


def _shape_text(t):
    return "(" + ", ".join(str(int(v)) for v in t.shape) + ")"


def _node_name(fn):
    return fn.name().rsplit("::", 1)[-1]  # torch::autograd::AccumulateGrad -> AccumulateGrad


def _saved_attrs(fn):
    """(name, value) of each saved attribute that can be read; after backward has freed them
    (torch raises RuntimeError there) the node is drawn without them."""
    for attr in dir(fn):
        if attr.startswith(_SAVED):
            try:
                value = getattr(fn, attr)
            except (RuntimeError, AttributeError, KeyError, IndexError):
                continue
            yield attr[len(_SAVED):], value


def _fn_label(fn, show_attrs, max_attr_chars):
    name = _node_name(fn)
    if not show_attrs:
        return name
    attrs = {}
    for attr, val in _saved_attrs(fn):
        if _is_tensor(val):
            attrs[attr] = "[saved tensor]"
        elif isinstance(val, tuple) and any(_is_tensor(t) for t in val):
            attrs[attr] = "[saved tensors]"
        else:
            attrs[attr] = str(val)
    if not attrs:
        return name
    limit = max(max_attr_chars, 3)
    key_w = max(len(k) for k in attrs)
    val_w = min(max(len(v) for v in attrs.values()), limit)
    rows = [f"{k:<{key_w}}: {(v[:val_w - 3] + '...' if len(v) > val_w else v):<{val_w}}"
            for k, v in attrs.items()]
    return "\n".join([name, "-" * max(key_w + val_w + 2, len(name))] + rows)


def make_dot(var, params=None, show_attrs=False, show_saved=False, max_attr_chars=50):
    """The graph of the backward nodes behind `var` (a tensor or a tuple of tensors); `params`
    maps names to tensors (`dict(model.named_parameters())`) to label the leaves."""
    if params is not None and not all(_is_tensor(p) for p in params.values()):
        raise TypeError("make_dot: every value of params must be a tensor")
    names = {id(v): k for k, v in (params or {}).items()}
    dot = Graph(node_attr=_NODE_ATTR, graph_attr={"size": "12,12"})
    seen = set()

    def tensor_label(t, name=None):
        return f"{name or names.get(id(t), '')}\n {_shape_text(t)}"

    def add_saved(fn):
        for attr, val in _saved_attrs(fn):
            items = [(attr, val)] if _is_tensor(val) else (
                [(f"{attr}[{i}]", t) for i, t in enumerate(val) if _is_tensor(t)]
                if isinstance(val, tuple) else [])
            for label, t in items:
                seen.add(id(t))
                dot.edge(id(fn), id(t), dir="none")
                dot.node(id(t), tensor_label(t, label), fillcolor="orange")

    def add_nodes(root):
        stack = [root]
        while stack:
            fn = stack.pop()
            if id(fn) in seen:
                continue
            seen.add(id(fn))
            if show_saved:
                add_saved(fn)
            leaf = getattr(fn, "variable", None)
            if leaf is not None:
                seen.add(id(leaf))
                dot.node(id(leaf), tensor_label(leaf), fillcolor="lightblue")
                dot.edge(id(leaf), id(fn))
            dot.node(id(fn), _fn_label(fn, show_attrs, max_attr_chars))
            later = []
            for nxt, _ in fn.next_functions:
                if nxt is not None:
                    dot.edge(id(nxt), id(fn))
                    later.append(nxt)
            stack += reversed(later)  # visit in torchviz's depth-first order
            if getattr(fn, "_custom", False):  # a custom Function's ctx keeps saved_tensors
                for t in fn.saved_tensors:
                    seen.add(id(t))
                    dot.edge(id(t), id(fn), dir="none")
                    dot.node(id(t), tensor_label(t), fillcolor="orange")

    def add_base(t, color="darkolivegreen1"):
        if id(t) in seen:
            return
        seen.add(id(t))
        dot.node(id(t), tensor_label(t), fillcolor=color)
        if t.grad_fn is not None:
            add_nodes(t.grad_fn)
            dot.edge(id(t.grad_fn), id(t))
        base = getattr(t, "_base", None)
        if base is not None:
            add_base(base, "darkolivegreen3")
            dot.edge(id(base), id(t), style="dotted")

    for v in (var if isinstance(var, tuple) else (var,)):
        add_base(v)
    size = max(12, len(dot.body) * 0.15)
    dot.graph_attr["size"] = f"{size},{size}"
    return dot
