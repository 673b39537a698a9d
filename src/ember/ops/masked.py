"""masked_fill, masked_scatter and masked_select (split from gather.py, whose checks and helpers
they share). Their backward writes into zeros at the mask (masked_select's gradient is torch's
masked_scatter_ into zeros, so a -0.0 stays -0.0)."""

__all__ = ["masked_fill", "masked_scatter", "masked_select"]

import numpy as np

from .. import _dtype as D
from .._tensor import Tensor, _check_inplace, _expanded, _wrap
from ..autograd import forward_ad as _fwd
from ..autograd.function import Op
from ._util import broadcast_error
from .gather import _inplace_version, _named, _same_dtype_out, _scalar_to, _st
from .index import IndexGrad, Select, _fmt, _xp
from .inplace import _out


class MaskedFill(Op):
    _name = "MaskedFillBackward0"

    def forward(ctx, x, mask, value):
        ctx.mask = mask
        return _xp(x).where(mask, value, x).astype(x.dtype, copy=False)

    def backward(ctx, grad):
        m = _wrap(ctx.mask)
        gv = None
        if ctx.needs_input_grad[2]:
            gv = (grad * m).sum()
        return grad.masked_fill(m, 0), None, gv

    def jvp(ctx, t, _, tv):  # the input's tangent where kept, the value's where filled
        m = _wrap(ctx.mask)
        out = ctx.result
        kept = (t if t is not None else out.detach().new_zeros(out.shape)).masked_fill(m, 0)
        return kept if tv is None else kept + tv * m


def masked_fill(input, mask, value):
    if mask.dtype is not D.bool_:
        from .linalg import _C_NAMES
        raise RuntimeError(f"masked_fill_ only supports boolean masks, but got mask with dtype "
                           f"{_C_NAMES.get(mask.dtype.name, mask.dtype.name)}")
    m = mask._data
    if m.shape != input._data.shape:
        try:
            np.broadcast_shapes(m.shape, input._data.shape)
        except ValueError:
            raise broadcast_error(m, input._data) from None
    if isinstance(value, Tensor):
        if value._data.ndim:
            raise RuntimeError("masked_fill_ only supports a 0-dimensional value tensor, but got "
                               f"tensor with {value.dim()} dimension(s).")
        r = MaskedFill.run((input, None, value), (input._data, m,
                                                  value._data.astype(input.dtype.np)), {})
        return _named(r, "MaskedFillBackward1")
    return MaskedFill.run((input, None, None), (input._data, m,
                                                _scalar_to(value, input.dtype, None)), {})


def masked_fill_(self, mask, value):
    _check_inplace(self, False)
    if _expanded(self, "masked_fill_", "tensor[mask] = scalar"):
        r = masked_fill(self, mask, value)
        m = np.broadcast_to(mask._data, self._data.shape)
        self._data[m] = r._data[m]  # only the selected elements, through the shared memory
        self._bump()
        return self
    return _masked_fill_(self, mask, value)


_masked_fill_ = _inplace_version(masked_fill, overlap=False, alias=False)


class MaskedScatter(Op):
    _name = "MaskedScatterBackward0"
    jvp = _fwd.transposed

    def forward(ctx, x, src, m):
        ctx.m, ctx.src_shape = m, src.shape
        out = x.copy()
        out[m] = src.reshape(-1)[:int(m.sum())]
        return out

    def backward(ctx, grad):
        m = _wrap(ctx.m)
        taken = grad.masked_select(m)  # source's first k elements went to the masked places
        n = 1
        for s in ctx.src_shape:
            n *= s
        gsrc = IndexGrad.apply(taken, (n,), (slice(0, taken.shape[0]),), False)
        return grad.masked_fill(m, 0), gsrc.reshape(ctx.src_shape), None


def masked_scatter(input, mask, source):
    if input.dtype is not source.dtype:
        raise RuntimeError("masked_scatter: expected self and source to have same dtypes but "
                           f"got{_st(input.dtype)} and {_st(source.dtype)}")
    if mask.dtype is not D.bool_:
        raise RuntimeError("masked_scatter_ only supports boolean masks, but got mask with dtype "
                           f"{_st(mask.dtype)}")
    x, m = _broadcast(input, mask)
    if int(m.sum()) > source.numel():
        raise RuntimeError("Number of elements of source < number of ones in mask")
    return MaskedScatter.run((x, source, None), (x._data, source._data, m), {})


def _broadcast(input, mask):
    """input and the mask's array broadcast to their common shape (torch's error if none)."""
    try:
        shape = np.broadcast_shapes(input.shape, mask.shape)
    except ValueError:
        raise broadcast_error(mask._data, input._data) from None
    return (input.expand(shape) if input.shape != shape else input,
            np.broadcast_to(mask._data, shape))


def _masked_scatter_inplace(self, mask, source):
    _check_inplace(self, True)
    try:
        shape = np.broadcast_shapes(self.shape, mask.shape)
    except ValueError:
        raise broadcast_error(mask._data, self._data) from None
    if shape != self.shape:
        if mask.dim() <= self.dim():
            mask.expand(self.shape)  # raises torch's expand error
        raise RuntimeError(f"expand(CPU{_st(mask.dtype)}Type{{{_fmt(mask.shape)}}}, "
                           f"size={_fmt(self.shape)}): the number of sizes provided "
                           f"({self.dim()}) must be greater or equal to the number of "
                           f"dimensions in the tensor ({mask.dim()})")
    from .inplace import _inplace
    return _inplace(self, masked_scatter(self, mask, source))


def masked_select(input, mask, *, out=None):
    if mask.dtype is not D.bool_:
        raise RuntimeError("masked_select: expected BoolTensor for mask")
    x, m = _broadcast(input, mask)
    r = Select.apply(x, (m,), True)
    if r.grad_fn is not None:  # its gradient written at the mask (torch's masked_scatter_ into
        r.grad_fn.adv = False  # zeros: a -0.0 stays -0.0), not added as an advanced index's
    _same_dtype_out(input, out, "masked_select(): self and result must have the same scalar type")
    return _out(_named(r, "MaskedSelectBackward0"), out)
