"""A layered top-down layout for small directed graphs, the drawing ember uses when Graphviz is
not installed: rank each node by its longest path from a source, break long edges with dummy
points, order each rank by barycenter sweeps to cut crossings, place nodes left to right with a
fixed gap and pull them toward their neighbours, and route each edge as a polyline through its
dummy points. Sizes are in pixels; text is measured for a 10 pt monospace font."""

CHAR_W, LINE_H, PAD_X, PAD_Y = 6.0, 13.0, 8.0, 5.0
GAP_X, GAP_Y, MARGIN = 18.0, 36.0, 8.0


def box_size(label):
    lines = label.split("\n")
    return (max(len(s) for s in lines) * CHAR_W + 2 * PAD_X, len(lines) * LINE_H + 2 * PAD_Y)


def _ranks(ids, edges):
    """Longest-path rank of every node (sources at 0); a cycle is broken where it is found."""
    preds = {n: [] for n in ids}
    for a, b in edges:
        if a != b:
            preds[b].append(a)
    rank, state = {}, {}
    for start in ids:
        stack = [(start, 0)]
        while stack:
            n, i = stack.pop()
            if i == 0:
                if n in rank:
                    continue
                state[n] = "open"
            ps = preds[n]
            if i < len(ps):
                stack.append((n, i + 1))
                p = ps[i]
                if p not in rank and state.get(p) != "open":
                    stack.append((p, 0))
                continue
            rank[n] = max((rank[p] + 1 for p in ps if p in rank), default=0)
            state[n] = "done"
    return rank


def _tighten(rank, edges):
    """Move each node down to just above its nearest successor when its predecessors allow
    (a parameter then sits beside the op that uses it, not in the top row)."""
    succ, pred = {}, {}
    for a, b in edges:
        if a != b:
            succ.setdefault(a, []).append(b)
            pred.setdefault(b, []).append(a)
    for n in sorted(rank, key=lambda n: -rank[n]):
        below = [rank[s] for s in succ.get(n, ()) if rank[s] > rank[n]]
        if not below or len(below) != len(succ[n]):
            continue
        new = min(below) - 1
        if new > rank[n] and all(rank[p] < new for p in pred.get(n, ())):
            rank[n] = new


def _chains(edges, rank):
    """Each edge as its list of points (node ids, then dummy ids for the ranks it crosses)."""
    chains = []
    for k, (a, b) in enumerate(edges):
        ra, rb = rank[a], rank[b]
        step = 1 if rb >= ra else -1
        chains.append([a] + [("dummy", k, r) for r in range(ra + step, rb, step)] + [b])
    return chains


def _order(layers, up, down, sweeps=4):
    pos = {n: i for layer in layers for i, n in enumerate(layer)}
    for sweep in range(sweeps):
        seq = range(1, len(layers)) if sweep % 2 == 0 else range(len(layers) - 2, -1, -1)
        nbrs = up if sweep % 2 == 0 else down
        for r in seq:
            layer = layers[r]
            key = {}
            for n in layer:
                ps = [pos[p] for p in nbrs.get(n, ()) if p in pos]
                key[n] = sum(ps) / len(ps) if ps else pos[n]
            layer.sort(key=lambda n: key[n])
            for i, n in enumerate(layer):
                pos[n] = i


def _place(layers, width, up, down, iterations=6):
    x = {}
    for layer in layers:
        cur = 0.0
        for n in layer:
            x[n] = cur + width[n] / 2
            cur += width[n] + GAP_X
    for it in range(iterations):
        for layer in layers:
            nbrs = up if it % 2 == 0 else down
            want = {}
            for n in layer:
                xs = [x[m] for m in nbrs.get(n, ())] or [x[n]]
                want[n] = sum(xs) / len(xs)
            _pack(layer, want, width, x)
    lo = min((x[n] - width[n] / 2 for n in x), default=0.0)
    for n in x:
        x[n] += MARGIN - lo
    return x


def _pack(layer, want, width, x):
    """x as near `want` as the order and the gaps allow (left pass, then right pass, averaged)."""
    left, cur = {}, float("-inf")
    for n in layer:
        left[n] = max(want[n], cur + width[n] / 2)
        cur = left[n] + width[n] / 2 + GAP_X
    right, cur = {}, float("inf")
    for n in reversed(layer):
        right[n] = min(want[n], cur - width[n] / 2)
        cur = right[n] - width[n] / 2 - GAP_X
    prev = float("-inf")
    for n in layer:
        x[n] = max((left[n] + right[n]) / 2, prev + width[n] / 2)
        prev = x[n] + width[n] / 2 + GAP_X


def layout(nodes, edges, rankdir="TB"):
    """nodes: {id: label}; edges: [(tail, head)]; rankdir "TB" (ranks top to bottom) or "LR"
    (left to right). Returns (boxes {id: (cx, cy, w, h)}, polylines [[(x, y), ...] per edge,
    tail to head], (width, height))."""
    if rankdir == "LR":  # lay out the transposed boxes top-down, then transpose the result
        boxes, lines, (w, h) = _layout(nodes, edges, lambda label: box_size(label)[::-1])
        return ({n: (y, x, bh, bw) for n, (x, y, bw, bh) in boxes.items()},
                [[(y, x) for x, y in line] for line in lines], (h, w))
    return _layout(nodes, edges, box_size)


def _layout(nodes, edges, measure):
    ids = list(nodes)
    rank = _ranks(ids, edges)
    _tighten(rank, edges)
    chains = _chains(edges, rank)
    size = {n: measure(nodes[n]) for n in ids}
    width = {n: size[n][0] for n in ids}
    nrank = max(rank.values(), default=-1) + 1
    layers = [[] for _ in range(nrank)]
    for n in ids:
        layers[rank[n]].append(n)
    up, down = {}, {}
    for chain in chains:
        for d in chain[1:-1]:
            layers[d[2]].append(d)
            width[d] = 2.0
        for a, b in zip(chain, chain[1:]):
            hi, lo = (a, b) if _rank_of(a, rank) < _rank_of(b, rank) else (b, a)
            down.setdefault(hi, []).append(lo)
            up.setdefault(lo, []).append(hi)
    _order(layers, up, down)
    x = _place(layers, width, up, down)
    y, top = {}, MARGIN
    for layer in layers:
        h = max((size[n][1] for n in layer if n in size), default=LINE_H)
        for n in layer:
            y[n] = top + h / 2
        top += h + GAP_Y
    boxes = {n: (x[n], y[n], size[n][0], size[n][1]) for n in ids}
    lines = [_route(chain, x, y, size) for chain in chains]
    total_w = max((x[n] + width[n] / 2 for n in x), default=0.0) + MARGIN
    return boxes, lines, (total_w, max(top - GAP_Y + MARGIN, 2 * MARGIN))


def _rank_of(n, rank):
    return n[2] if isinstance(n, tuple) else rank[n]


def _route(chain, x, y, size):
    a, b = chain[0], chain[-1]
    if a == b:  # a self-loop: a small hook on the right side
        cx, cy, (w, h) = x[a], y[a], size[a]
        return [(cx + w / 2, cy - h / 4), (cx + w / 2 + 14, cy), (cx + w / 2, cy + h / 4)]
    down = y[b] >= y[a]
    pts = [(x[a], y[a] + (size[a][1] / 2 if down else -size[a][1] / 2))]
    pts += [(x[d], y[d]) for d in chain[1:-1]]
    pts.append((x[b], y[b] - (size[b][1] / 2 if down else -size[b][1] / 2)))
    return pts
