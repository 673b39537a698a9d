"""torch's view of an N-d @ 2-d (or 1-d) matmul, for ember's one fused node.

torch folds the batch dims of the left operand into rows: `mm(x.view(-1, k), w)` (`mv` for a
vector), then views the result back, so its graph reads
UnsafeViewBackward0(MmBackward0(ViewBackward0(x), w)). ember computes it in one node; its
`next_functions` shows that chain through display-only nodes (`autograd._composite.Shown`)
and its saved values are those of torch's outer UnsafeViewBackward0.
"""

from ..autograd._composite import shown
from .linalg import MatMul


def _folded_sizes(node):
    rows = 1
    for s in node._in_meta[0][0][:-1]:
        rows *= s
    w = node._in_meta[1][0]
    return (rows,) + tuple(w[1:])


class MatMulFolded(MatMul):
    _name = "UnsafeViewBackward0"
    _torch_saved = {"UnsafeViewBackward0": {"self_sym_sizes": _folded_sizes}}

    @property
    def next_functions(self):
        x, w = self._edges
        if x[0] is not None:
            x = (shown(self, "x", "ViewBackward0", (x,)), 0)
        inner = "MmBackward0" if len(self._in_meta[1][0]) == 2 else "MvBackward0"
        return ((shown(self, "mm", inner, (x, w)), 0),)
