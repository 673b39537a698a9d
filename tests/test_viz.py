"""ember.viz: make_dot draws the course CNN's training graph (one box per backward node, per
parameter leaf and for the output, as torchviz does) to SVG and PNG without Graphviz (ember's
own layout) and through Graphviz's `dot` when one is on PATH (here a stand-in script checks the
plumbing; a real `dot` is used when installed); plot_module draws the module tree."""

import os
import shutil
import stat
import sys
import xml.etree.ElementTree as ET
from collections import Counter

import pytest
from benchmarks.course_models import cifar_cnn

import ember
from ember.viz import _graph

SVG = "{http://www.w3.org/2000/svg}"


def _training_graph(lib, train=True):
    lib.manual_seed(0)
    model = cifar_cnn(lib).train(train)
    x = lib.randn(2, 3, 32, 32)
    loss = lib.nn.functional.cross_entropy(model(x), lib.tensor([1, 2]))
    return model, loss


def _walk(loss):
    """Distinct backward nodes reachable through next_functions, and the leaves they feed."""
    nodes, leaves, stack = {}, {}, [loss.grad_fn]
    while stack:
        fn = stack.pop()
        if id(fn) in nodes:
            continue
        nodes[id(fn)] = fn
        if hasattr(fn, "variable"):
            leaves[id(fn.variable)] = fn.variable
        stack += [n for n, _ in fn.next_functions if n is not None]
    return nodes, leaves


@pytest.fixture
def no_graphviz(monkeypatch):
    monkeypatch.setattr(_graph, "dot_program", lambda: None)


def _svg_nodes(path):
    root = ET.parse(path).getroot()
    groups = root.iter(f"{SVG}g")
    nodes, edges = [], []
    for g in groups:
        title = g.find(f"{SVG}title")
        if g.get("class") == "node":
            nodes.append((title.text, [t.text or "" for t in g.iter(f"{SVG}text")]))
        elif g.get("class") == "edge":
            edges.append(title.text)
    return nodes, edges


def _check_cnn_svg(svg_path, model, fns, leaves):
    """The CNN's SVG has one node per backward node, leaf and the output tensor, every edge, and
    a row per parameter with its shape."""
    nodes, edges = _svg_nodes(svg_path)
    assert len(nodes) == len(fns) + len(leaves) + 1  # + the output tensor
    n_edges = sum(1 for f in fns.values() for n, _ in f.next_functions if n is not None)
    assert len(edges) == n_edges + len(leaves) + 1
    labels = Counter(text[0] for _, text in nodes)
    assert labels["AccumulateGrad"] == len(leaves) == 10
    assert labels["ConvolutionBackward0"] == 3 and labels["NllLossBackward0"] == 1
    rows = {" ".join(text) for _, text in nodes}
    for name, p in model.named_parameters():
        assert f"{name}  ({', '.join(map(str, p.shape))})" in rows
    return nodes


def test_cnn_training_graph_to_svg_and_png(tmp_path, no_graphviz):
    model, loss = _training_graph(ember)
    fns, leaves = _walk(loss)
    dot = ember.viz.make_dot(loss, params=dict(model.named_parameters()))
    svg_path = dot.render(str(tmp_path / "cnn"), format="svg")
    assert svg_path == str(tmp_path / "cnn.svg") and os.path.isfile(tmp_path / "cnn")
    nodes = _check_cnn_svg(svg_path, model, fns, leaves)

    pil = pytest.importorskip("PIL.Image")
    png_path = dot.render(str(tmp_path / "cnn"), format="png", cleanup=True)
    assert not os.path.exists(tmp_path / "cnn")
    img = pil.open(png_path).convert("RGB")
    from ember.viz import _draw
    boxes, _, (w, h) = _draw._placed(dot)
    assert img.size == (int(w * 2) + 1, int(h * 2) + 1)
    assert len(boxes) == len(nodes)
    for name, (cx, cy, bw, bh) in boxes.items():  # every box is painted in its fill colour
        want = _draw._fill(dot.nodes[name], dot.node_attr)
        got = img.getpixel((int((cx - bw / 2) * 2) + 3, int((cy - bh / 2) * 2) + 3))
        assert "#%02x%02x%02x" % got == want, dot.label(name)


def test_node_names_are_torchs():
    torch = pytest.importorskip("torch")
    _, loss = _training_graph(ember, train=False)
    _, tloss = _training_graph(torch, train=False)
    mine = Counter(fn.name().rsplit("::", 1)[-1] for fn in _walk(loss)[0].values())
    theirs = Counter(type(fn).__name__ for fn in _walk(tloss)[0].values())
    assert mine == theirs
    dot = ember.viz.make_dot(loss)
    shown = Counter(dot.label(n) for n in dot.nodes if "fillcolor" not in dot.nodes[n])
    assert shown == theirs


def test_saved_tensors_and_attributes(tmp_path, no_graphviz):
    x = ember.randn(3, 4, requires_grad=True)
    w = ember.randn(4, 2, requires_grad=True)
    y = ((x * 3) @ w).tanh().sum()
    dot = ember.viz.make_dot(y, params={"x": x, "w": w}, show_attrs=True, show_saved=True)
    saved = [n for n, a in dot.nodes.items() if a.get("fillcolor") == "orange"]
    # torch saves mul's other (the 3), mm's self and tanh's result; mm's mat2 is the leaf w,
    # whose box stays the leaf's blue one, as in torchviz
    assert sorted(dot.label(n).split("\n")[0] for n in saved) == ["other", "result", "self"]
    assert dot.nodes[str(id(w))]["fillcolor"] == "lightblue"
    tanh = next(dot.label(n) for n in dot.nodes if dot.label(n).startswith("TanhBackward0"))
    assert tanh.split("\n")[2] == "result: [saved tensor]"
    nodes, _ = _svg_nodes(dot.render(str(tmp_path / "g"), format="svg"))
    assert len(nodes) == len(dot.nodes)
    y.backward()  # saved values are freed: the graph is drawn without them
    after = ember.viz.make_dot(y, show_saved=True)
    assert not [a for a in after.nodes.values() if a.get("fillcolor") == "orange"]


def test_dot_source_and_jupyter_display(no_graphviz):
    _, loss = _training_graph(ember)
    dot = ember.viz.make_dot(loss)
    src = dot.source
    assert src.startswith("digraph {\n\tgraph [size=") and src.endswith("}\n")
    assert src.count(" -> ") == len(dot.edges)
    assert dot._repr_svg_().lstrip().startswith("<?xml")
    pytest.importorskip("PIL")
    assert dot._repr_png_()[:8] == b"\x89PNG\r\n\x1a\n"
    with pytest.raises(ValueError, match="unknown format 'pdf'"):
        dot.pipe("pdf")


def test_graphviz_is_used_when_present(tmp_path, monkeypatch):
    """A stand-in `dot` records how it was called; its output is what render writes."""
    fake = tmp_path / "dot"
    fake.write_text(f"#!{sys.executable}\nimport sys\n"
                    f"open({str(tmp_path / 'args')!r}, 'w').write(' '.join(sys.argv[1:]))\n"
                    f"open({str(tmp_path / 'stdin')!r}, 'w').write(sys.stdin.read())\n"
                    "sys.stdout.write('<svg>from dot</svg>')\n")
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}{os.environ['PATH']}")
    assert _graph.dot_program() == str(fake)
    _, loss = _training_graph(ember)
    dot = ember.viz.make_dot(loss)
    out = dot.render(str(tmp_path / "cnn"), format="svg")
    assert open(out).read() == "<svg>from dot</svg>"
    assert (tmp_path / "args").read_text() == "-Tsvg"
    assert (tmp_path / "stdin").read_text() == dot.source


def _regions(mask, least=100):
    """Connected regions of at least `least` pixels (a box's fill; glyph holes are smaller)."""
    import numpy as np
    mask, count = mask.copy(), 0
    for y, x in zip(*np.nonzero(mask)):
        if not mask[y, x]:
            continue
        stack, size, mask[y, x] = [(y, x)], 0, False
        while stack:
            a, b = stack.pop()
            size += 1
            for c, d in ((a + 1, b), (a - 1, b), (a, b + 1), (a, b - 1)):
                if 0 <= c < mask.shape[0] and 0 <= d < mask.shape[1] and mask[c, d]:
                    mask[c, d] = False
                    stack.append((c, d))
        count += size >= least
    return count


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot is not installed")
def test_real_graphviz_renders_both_formats(tmp_path):
    """Graphviz draws the CNN's training graph: the SVG has one node per backward node, leaf
    and output, and the edges; the PNG (96 dpi, the SVG's size) one filled box per node."""
    import numpy as np
    model, loss = _training_graph(ember)
    fns, leaves = _walk(loss)
    dot = ember.viz.make_dot(loss, params=dict(model.named_parameters()))
    svg_path = dot.render(str(tmp_path / "cnn"), format="svg")
    svg = open(svg_path).read()
    assert "Generated by graphviz" in svg
    nodes = _check_cnn_svg(svg_path, model, fns, leaves)

    pil = pytest.importorskip("PIL.Image")
    png_path = dot.render(str(tmp_path / "cnn"), format="png")
    assert png_path == str(tmp_path / "cnn.png")
    img = np.asarray(pil.open(png_path).convert("RGB"))
    root = ET.parse(svg_path).getroot()
    pt = [float(root.get(k).removesuffix("pt")) for k in ("height", "width")]
    assert img.shape[:2] == tuple(round(v * 96 / 72) for v in pt)
    from ember.viz import _draw
    fills = Counter(_draw._fill(a, dot.node_attr) for a in dot.nodes.values())
    assert sum(fills.values()) == len(nodes) and len(fills) == 3
    for colour, count in fills.items():
        rgb = tuple(int(colour[i:i + 2], 16) for i in (1, 3, 5))
        assert _regions((img == rgb).all(-1)) == count, colour


def test_plot_module_tree(tmp_path, no_graphviz):
    from ember.vision import models
    with ember.device("meta"):
        model = models.resnet18(num_classes=10)
    dot = ember.viz.plot_module(model)
    mods = list(model.named_modules())
    assert len(dot.nodes) == len(mods)
    assert len(dot.edges) == len(mods) - 1
    assert dot.label(str(id(model.layer1[0].conv1))).startswith("layer1.0.conv1 (Conv2d)\n")
    nodes, edges = _svg_nodes(dot.render(str(tmp_path / "tree"), format="svg"))
    assert (len(nodes), len(edges)) == (len(mods), len(mods) - 1)


def test_bad_params_are_refused():
    x = ember.randn(2, requires_grad=True)
    with pytest.raises(TypeError, match="every value of params must be a tensor"):
        ember.viz.make_dot(x.sum(), params={"x": 1})
