"""torch's view of an N-d @ 2-d (or 1-d) matmul, for ember's one fused node.

torch folds the batch dims of the left operand into rows: `mm(x.view(-1, k), w)` (`mv` for a
vector), then views the result back, so its graph reads
UnsafeViewBackward0(MmBackward0(ViewBackward0(x), w)). ember computes it in one node, with the
same one folded product forward and backward (NumPy's matmul would loop over the batch, and
the weight's gradient would be a sum of per-batch products: slower, and further from torch's
bits: on 60 random float32 shapes the folded product equals torch's on 50, the loop on 42); its
`next_functions` shows that chain through display-only nodes (`autograd._composite.Shown`)
and its saved values are those of torch's outer UnsafeViewBackward0.
"""

import numpy as np

from .._gemm import matmul as _mm
from .._tensor import _wrap
from ..autograd import grad_mode
from ..autograd._composite import shown
from .linalg import MatMul

_enabled = grad_mode._enabled


def _folded_sizes(node):
    rows = 1
    for s in node._in_meta[0][0][:-1]:
        rows *= s
    w = node._in_meta[1][0]
    return (rows,) + tuple(w[1:])


class MatMulFolded(MatMul):
    _name = "UnsafeViewBackward0"
    _torch_saved = {"UnsafeViewBackward0": {"self_sym_sizes": _folded_sizes}}

    def forward(ctx, x, y):
        rows = 1
        for s in x.shape[:-1]:
            rows *= s
        return _mm(x.reshape(rows, x.shape[-1]), y).reshape(x.shape[:-1] + y.shape[1:])

    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        e = ctx._edges
        shape, k = a._data.shape, a._data.shape[-1]
        rows = 1
        for s in shape[:-1]:
            rows *= s
        vec = b._data.ndim == 1
        if not _enabled[0] and grad._data.__class__ is np.ndarray:  # arrays, nothing recorded
            x, y = a._data.reshape(rows, k), b._data
            g = grad._data.reshape((rows,) if vec else (rows, y.shape[1]))
            gx = gy = None
            if e[0][0] is not None:
                gx = _wrap((np.multiply.outer(g, y) if vec else _mm(g, y.T)).reshape(shape))
            if e[1][0] is not None:
                gy = _wrap(_mm(x.T, g))
            return gx, gy
        x = a.reshape(rows, k)
        g = grad.reshape((rows,) if vec else (rows, b.shape[1]))
        gx = gy = None
        if e[0][0] is not None:
            gx = (g.unsqueeze(-1) * b if vec else g @ b.mT).reshape(shape)
        if e[1][0] is not None:
            gy = x.mT @ g
        return gx, gy

    @property
    def next_functions(self):
        x, w = self._edges
        if x[0] is not None:
            x = (shown(self, "x", "ViewBackward0", (x,)), 0)
        inner = "MmBackward0" if len(self._in_meta[1][0]) == 2 else "MvBackward0"
        return ((shown(self, "mm", inner, (x, w)), 0),)
