"""The cross product of 3-vectors (torch.cross, torch.linalg.cross) as torch's kernel computes
it: each component a_j b_k - a_k b_j as one fused multiply-add of a_j b_k onto -(a_k b_j)
(rounded), for float32 and float64 (ember._fma); other dtypes take the plain formula. Its
gradients are cross products too (torch's LinalgCrossBackward0): cross(b, g) and cross(g, a)."""

import numpy as np

from .. import _fma
from .._dtype import F32_64 as _F32_64
from ..autograd import forward_ad as _fwd
from ..autograd.function import Op
from .linalg import _xp


class Cross(Op):
    _name = "LinalgCrossBackward0"
    save_inputs = (0, 1)
    jvp = _fwd.multilinear  # linear in each input: cross(ta, b) + cross(a, tb)

    def forward(ctx, a, b, dim):
        ctx.dim = dim
        xp = _xp(a)
        a, b = xp.broadcast_arrays(a, b)
        lead = (slice(None),) * dim
        x = [a[lead + (i,)] for i in range(3)]
        y = [b[lead + (i,)] for i in range(3)]
        fused = type(a) is np.ndarray and a.dtype in _F32_64 and a.dtype == b.dtype
        parts = []
        for j, k in ((1, 2), (2, 0), (0, 1)):
            if fused:
                parts.append(_fma.fma3(x[j], y[k], -(x[k] * y[j])).astype(a.dtype, copy=False))
            else:
                parts.append(x[j] * y[k] - x[k] * y[j])
        return xp.stack(parts, axis=dim)

    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        need = ctx.needs_input_grad
        d = ctx.dim
        return (cross(b.conj(), grad, d) if need[0] else None,
                cross(grad, a.conj(), d) if need[1] else None)


def cross(a, b, dim):
    """a x b along dim (a non-negative index into the broadcast shape; sizes checked)."""
    return Cross.run((a, b), (a._data, b._data), {"dim": dim})
