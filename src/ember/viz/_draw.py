"""Drawing a `Graph` without Graphviz: SVG text (shaped like dot's output: one `<g class="node">`
per node with its `<title>`, one `<g class="edge">` per edge) and PNG through Pillow, both from
the same layout (`_layout.py`)."""

from xml.sax.saxutils import escape

from ._layout import LINE_H, layout

# the X11 colour names make_dot and plot_module use, as Graphviz defines them
COLORS = {"lightgrey": "#d3d3d3", "lightblue": "#add8e6", "orange": "#ffa500",
          "darkolivegreen1": "#caff70", "darkolivegreen3": "#a2cd5a", "white": "#ffffff",
          "black": "#000000", "lightyellow": "#ffffe0"}


def _fill(attrs, node_attr):
    style = attrs.get("style", node_attr.get("style", ""))
    if "filled" not in str(style):
        return "#ffffff"
    color = attrs.get("fillcolor", node_attr.get("fillcolor", "lightgrey"))
    return COLORS.get(color, color)


def _placed(graph):
    nodes = {n: graph.label(n) for n in graph.nodes}
    return layout(nodes, [(a, b) for a, b, _ in graph.edges], graph.graph_attr.get("rankdir"))


def _arrow(pts, size=7.0):
    """The tip triangle at the end of a polyline, and the line shortened to its base."""
    (x0, y0), (x1, y1) = pts[-2], pts[-1]
    dx, dy = x1 - x0, y1 - y0
    norm = max((dx * dx + dy * dy) ** 0.5, 1e-9)
    ux, uy = dx / norm, dy / norm
    bx, by = x1 - ux * size, y1 - uy * size
    tri = [(x1, y1), (bx - uy * size / 2.5, by + ux * size / 2.5),
           (bx + uy * size / 2.5, by - ux * size / 2.5)]
    return pts[:-1] + [(bx, by)], tri


def _fmt(pts):
    return " ".join(f"{x:.1f},{y:.1f}" for x, y in pts)


def svg(graph):
    boxes, lines, (width, height) = _placed(graph)
    out = ['<?xml version="1.0" encoding="UTF-8" standalone="no"?>',
           f'<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0f}pt" '
           f'height="{height:.0f}pt" viewBox="0 0 {width:.1f} {height:.1f}">',
           f'<g id="graph0" class="graph"><title>{escape(graph.name or "%3")}</title>',
           f'<polygon fill="white" stroke="none" points="0,0 {width:.1f},0 {width:.1f},'
           f'{height:.1f} 0,{height:.1f}"/>']
    for k, (tail, head, attrs) in enumerate(graph.edges):
        pts = lines[k]
        out.append(f'<g id="edge{k + 1}" class="edge"><title>{escape(tail)}&#45;&gt;'
                   f'{escape(head)}</title>')
        dash = ' stroke-dasharray="1,5"' if attrs.get("style") == "dotted" else ""
        if attrs.get("dir") == "none":
            out.append(f'<polyline fill="none" stroke="black"{dash} points="{_fmt(pts)}"/>')
        else:
            body, tri = _arrow(pts)
            out.append(f'<polyline fill="none" stroke="black"{dash} points="{_fmt(body)}"/>')
            out.append(f'<polygon fill="black" stroke="black" points="{_fmt(tri)}"/>')
        out.append("</g>")
    for k, name in enumerate(graph.nodes):
        cx, cy, w, h = boxes[name]
        x0, y0 = cx - w / 2, cy - h / 2
        fill = _fill(graph.nodes[name], graph.node_attr)
        out.append(f'<g id="node{k + 1}" class="node"><title>{escape(name)}</title>')
        out.append(f'<polygon fill="{fill}" stroke="black" points="'
                   f'{_fmt([(x0, y0), (x0 + w, y0), (x0 + w, y0 + h), (x0, y0 + h)])}"/>')
        text = graph.label(name).split("\n")
        first = cy - (len(text) - 1) * LINE_H / 2 + 3.5
        for i, line in enumerate(text):
            out.append(f'<text text-anchor="middle" x="{cx:.1f}" y="{first + i * LINE_H:.1f}" '
                       f'font-family="monospace" font-size="10.00" xml:space="preserve">'
                       f'{escape(line)}</text>')
        out.append("</g>")
    out += ["</g>", "</svg>", ""]
    return "\n".join(out)


def png(graph, scale=2):
    """PNG bytes of the same drawing (needs Pillow: `pip install ember[vision]`)."""
    try:
        from PIL import Image, ImageDraw, ImageFont
    except ImportError:
        raise ImportError("drawing a PNG without Graphviz needs Pillow: pip install "
                          "ember[vision] (or install Graphviz's `dot`)") from None
    import io
    boxes, lines, (width, height) = _placed(graph)
    img = Image.new("RGB", (int(width * scale) + 1, int(height * scale) + 1), "white")
    draw = ImageDraw.Draw(img)
    try:
        font = ImageFont.load_default(size=9 * scale)
    except TypeError:  # Pillow < 10.1: the fixed bitmap font
        font = ImageFont.load_default()

    def sc(pts):
        return [(x * scale, y * scale) for x, y in pts]
    for k, (_, _, attrs) in enumerate(graph.edges):
        pts = lines[k]
        if attrs.get("dir") == "none":
            draw.line(sc(pts), fill="black", width=scale // 2 + 1)
        else:
            body, tri = _arrow(pts)
            draw.line(sc(body), fill="black", width=scale // 2 + 1)
            draw.polygon(sc(tri), fill="black")
    for name, (cx, cy, w, h) in boxes.items():
        fill = _fill(graph.nodes[name], graph.node_attr)
        draw.rectangle(sc([(cx - w / 2, cy - h / 2), (cx + w / 2, cy + h / 2)]), fill=fill,
                       outline="black", width=max(scale // 2, 1))
        text = graph.label(name).split("\n")
        first = cy - (len(text) - 1) * LINE_H / 2
        for i, line in enumerate(text):
            left, top, right, bottom = draw.textbbox((0, 0), line, font=font)
            draw.text((cx * scale - (right + left) / 2,
                       (first + i * LINE_H) * scale - (bottom + top) / 2), line, fill="black",
                      font=font)
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    return buf.getvalue()
