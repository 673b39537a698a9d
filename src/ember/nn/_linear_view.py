"""torch's view of linear's graph, for ember's fused linear node.

ember computes linear in one node (one GEMM, edges to input, weight, bias); torch records
`addmm(bias, input, weight.t())` (`mm` without bias), with views around it for inputs that are
not 2-d. `name` picks torch's name for the node, `next_functions` shows torch's chain through
display-only nodes (`autograd._composite.Shown`), and `SPECS` gives torch's saved values.
"""

from ..autograd._composite import shown
from ..autograd.grad_mode import no_grad

_NONE = (None, 0)


def name(ndim, has_bias):
    """torch's name for the node linear returns."""
    if ndim == 2:
        return "AddmmBackward0" if has_bias else "MmBackward0"
    if has_bias:
        return "ViewBackward0"
    return "SqueezeBackward4" if ndim == 1 else "UnsafeViewBackward0"


def _weight_t(node):
    w = node._edges[1]
    return (shown(node, "t", "TBackward0", (w,)), 0) if w[0] is not None else _NONE


def _mm_edges(node, x):
    """The edges of torch's addmm / mm node, `x` the edge of its 2-d input."""
    b = node._edges[2]
    has_bias = node._in_meta[2] is not None
    return (b, x, _weight_t(node)) if has_bias else (x, _weight_t(node))


def next_functions(node):
    x = node._edges[0]
    ndim = len(node._in_meta[0][0])
    if ndim == 2:
        return _mm_edges(node, x)
    if x[0] is not None:  # torch flattens the input first
        flat = "UnsqueezeBackward0" if ndim == 1 and node._in_meta[2] is None else "ViewBackward0"
        x = (shown(node, "x", flat, (x,)), 0)
    inner = "AddmmBackward0" if node._in_meta[2] is not None else "MmBackward0"
    return ((shown(node, "mm", inner, _mm_edges(node, x)), 0),)


def _x(node):
    return node.saved_tensors[0]


def _wt(node):
    with no_grad():  # torch's saved weight.t(); ember's fused node keeps the weight itself
        return node.saved_tensors[1].t()


def _x_sizes(node):
    return tuple(node._in_meta[0][0])


def _w_sizes(node):
    out, k = node._in_meta[1][0]
    return (k, out)


def _x_strides(node):
    if node._freed:  # kept by Op._release (_keep_strides)
        itemsize = node._in_meta[0][1].itemsize
        return tuple(s // itemsize for s in node.__dict__["_strides"][0])
    return tuple(_x(node).stride())


def _mm_spec(first):
    return {first: _x, "mat2": _wt, first + "_sym_sizes": _x_sizes,
            first + "_sym_strides": _x_strides,
            "mat2_sym_sizes": _w_sizes,
            "mat2_sym_strides": lambda n: (1, _w_sizes(n)[0])}  # a contiguous weight's .t()


def _out_sizes(node):
    rows = 1
    for s in node._in_meta[0][0][:-1]:
        rows *= s
    return (rows, node._in_meta[1][0][0])


SPECS = {
    "AddmmBackward0": {"alpha": lambda n: 1, "beta": lambda n: 1, **_mm_spec("mat1")},
    "MmBackward0": _mm_spec("self"),
    "ViewBackward0": {"self_sym_sizes": _out_sizes},
    "UnsafeViewBackward0": {"self_sym_sizes": _out_sizes},
    "SqueezeBackward4": {"dim": lambda n: 0, "self_sym_sizes": lambda n: (1,) + _w_sizes(n)[1:]},
}
