"""`Graph`: what `make_dot` and `plot_module` return. It is built with the calls of Graphviz's
Python `Digraph` (`node`, `edge`, `graph_attr`), gives its DOT text as `.source`, renders to
SVG or PNG with `render`/`pipe`, and shows itself in Jupyter (`_repr_svg_`, `_repr_png_`).
With Graphviz's `dot` program on PATH the picture is dot's; without it, ember lays the graph
out itself (`_layout.py`) and draws it (`_draw.py`)."""

import os
import re
import shutil
import subprocess

_FORMATS = ("svg", "png")
_ID = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*|-?(\.[0-9]+|[0-9]+(\.[0-9]*)?))$")


def _quote(text):
    text = str(text)
    if _ID.match(text):
        return text
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _attrs(attrs):
    return " ".join(f"{k}={_quote(v)}" for k, v in attrs.items())


def dot_program():
    """The path of Graphviz's `dot`, or None when it is not installed."""
    return shutil.which("dot")


class Graph:
    """A directed graph of labelled boxes (see the module docstring)."""

    def __init__(self, name=None, node_attr=None, graph_attr=None):
        self.name = name
        self.node_attr = dict(node_attr or {})
        self.graph_attr = dict(graph_attr or {})
        self.nodes = {}  # id -> attributes (label, fillcolor, ...)
        self.edges = []  # (tail id, head id, attributes)
        self.body = []  # one entry per node or edge statement, as Digraph counts them

    def node(self, name, label=None, **attrs):
        name = str(name)
        if label is not None:
            attrs = {"label": label, **attrs}
        self.nodes[name] = {**self.nodes.get(name, {}), **attrs}
        self.body.append(("node", name))

    def edge(self, tail_name, head_name, **attrs):
        self.edges.append((str(tail_name), str(head_name), attrs))
        self.body.append(("edge", len(self.edges) - 1))

    def label(self, name):
        return str(self.nodes.get(name, {}).get("label", name))

    @property
    def source(self):
        """The graph in the DOT language."""
        lines = ["digraph " + (_quote(self.name) + " " if self.name else "") + "{"]
        if self.graph_attr:
            lines.append(f"\tgraph [{_attrs(self.graph_attr)}]")
        if self.node_attr:
            lines.append(f"\tnode [{_attrs(self.node_attr)}]")
        for kind, ref in self.body:
            if kind == "node":
                attrs = self.nodes[ref]
                lines.append(f"\t{_quote(ref)}" + (f" [{_attrs(attrs)}]" if attrs else ""))
            else:
                tail, head, attrs = self.edges[ref]
                lines.append(f"\t{_quote(tail)} -> {_quote(head)}"
                             + (f" [{_attrs(attrs)}]" if attrs else ""))
        return "\n".join(lines) + "\n}\n"

    def pipe(self, format="svg"):
        """The picture as bytes (SVG text or PNG data)."""
        if format not in _FORMATS:
            raise ValueError(f"unknown format {format!r}: ember.viz renders 'svg' or 'png'")
        dot = dot_program()
        if dot is not None:
            done = subprocess.run([dot, f"-T{format}"], input=self.source.encode("utf-8"),
                                  capture_output=True, check=False)
            if done.returncode != 0:
                raise RuntimeError(f"Graphviz's dot failed ({done.returncode}): "
                                   f"{done.stderr.decode('utf-8', 'replace').strip()}")
            return done.stdout
        from . import _draw
        return _draw.svg(self).encode("utf-8") if format == "svg" else _draw.png(self)

    def render(self, filename=None, directory=None, format="svg", cleanup=False):
        """Write the DOT source to `filename` (default `<name or Digraph>.gv`) and the picture
        beside it as `<filename>.<format>`; with `cleanup=True` the source file is removed.
        Returns the picture's path."""
        filename = filename or f"{self.name or 'Digraph'}.gv"
        path = os.path.join(directory, filename) if directory else os.fspath(filename)
        folder = os.path.dirname(path)
        if folder:
            os.makedirs(folder, exist_ok=True)
        data = self.pipe(format)
        with open(path, "w", encoding="utf-8") as f:
            f.write(self.source)
        out = f"{path}.{format}"
        with open(out, "wb") as f:
            f.write(data)
        if cleanup:
            os.remove(path)
        return out

    def _repr_svg_(self):
        return self.pipe("svg").decode("utf-8")

    def _repr_png_(self):
        return self.pipe("png")

    def __repr__(self):
        return f"<ember.viz.Graph with {len(self.nodes)} nodes and {len(self.edges)} edges>"
