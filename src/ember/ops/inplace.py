"""In-place machinery: `out=`, writing a result into a tensor and rebasing its history, and the
in-place ops that are not a pointwise op plus a write (zero_, fill_, copy_).

An in-place op computes its out-of-place result, then `_inplace` writes it into `self` and
moves `self`'s grad_fn onto the result's node. When that node saves `self` for backward, the
op runs on a clone instead (torch saves the original `self` the same way), so the write cannot
invalidate what backward reads. The clone is only made while recording a graph.
"""

import numpy as np

from .. import _dtype as D
from .._tensor import Tensor, _check_inplace, _check_overlap
from ..autograd import grad_mode as _gm
from ..autograd.function import Op

_enabled = _gm._enabled


def _out(r, out):
    if out is None:
        return r
    if out.shape != r.shape:
        out.resize_(r.shape)
        out._vc[0] -= 1  # torch's out= resizes without a version bump: only the write counts
    else:
        _check_overlap(out._data)
    out._data[...] = r._data
    out._bump()
    return out


def _cast_error(rd, sd):
    return RuntimeError(f"result type {rd._legacy[:-6]} can't be cast to the desired output "
                        f"type {sd._legacy[:-6]}")


def _inplace(self, result):
    """Writes `result` into `self` (same shape) and rebases self's history onto it."""
    if result.shape != self.shape:
        raise RuntimeError(f"output with shape {list(self.shape)} doesn't match the broadcast "
                           f"shape {list(result.shape)}")
    rd, sd = result.dtype, self.dtype
    if rd is not sd and not D.can_cast(rd, sd):
        raise _cast_error(rd, sd)
    self._data[...] = result._data
    self._bump()
    if result.grad_fn is not None:
        base = self._base
        if base is not None and self._view_fn is not None:
            from .shape import _rebase_view
            _rebase_view(self, result)
        else:
            self.grad_fn = result.grad_fn
            self._output_nr = result._output_nr
            self._rg = True
        from .shape import _refresh_views
        _refresh_views(self)
    return self


def _recording(self, other=None):
    return _enabled[0] and (self._rg or other.__class__ is Tensor and other._rg)


def _binary_inplace(fn, saves_self=True):
    """`self.op_(other, ...)` from the out-of-place `op`."""
    def op(self, other, *args, **kw):
        _check_inplace(self)
        src = self.clone() if saves_self and _recording(self, other) else self
        return _inplace(self, fn(src, other, *args, **kw))
    return op


def _unary_inplace(fn, saves_self):
    def op(self, *args, **kw):
        _check_inplace(self)
        src = self.clone() if saves_self and _recording(self) else self
        return _inplace(self, fn(src, *args, **kw))
    return op


class Zero(Op):
    _name = "ZeroBackward0"

    def forward(ctx, x):
        return x * 0 if x.dtype.kind != "b" else x & False

    def backward(ctx, grad):
        return grad * 0


class Fill(Op):
    _name = "FillBackward2"

    def forward(ctx, x, value):
        out = x.copy()
        out[...] = value
        return out

    def backward(ctx, grad):
        return grad * 0, None


class FillTensor(Fill):
    _name = "FillBackward3"

    def backward(ctx, grad):
        return grad * 0, grad.sum()


class Copy(Op):
    _name = "torch::autograd::CopyBackwards"

    def forward(ctx, x, src):
        out = x.copy()
        with np.errstate(invalid="ignore", over="ignore"):
            out[...] = src
        return out

    def backward(ctx, grad):
        src_dt = ctx._in_meta[1][1]
        return grad * 0, grad if grad.dtype is src_dt else grad.to(src_dt)


def zero_(self):
    _check_inplace(self, overlap=False)
    if _recording(self):
        return _inplace(self, Zero.apply(self))
    self._data[...] = 0
    self._bump()
    return self


def fill_(self, value):
    _check_inplace(self, overlap=False)
    if isinstance(value, Tensor):
        if value._data.ndim:
            raise RuntimeError("fill_ only supports 0-dimension value tensor but got tensor "
                               f"with {value._data.ndim} dimensions.")
        if _recording(self, value):
            return _inplace(self, FillTensor.run((self, value), (self._data, value._data), {}))
        value = value.item()
    if _recording(self):
        return _inplace(self, Fill.run((self, None), (self._data, value), {}))
    self._data[...] = value
    self._bump()
    return self


def copy_(self, src, non_blocking=False):
    if not isinstance(src, Tensor):
        from .creation import tensor
        src = tensor(src)
    _check_inplace(self)
    try:
        b = np.broadcast_shapes(src._data.shape, self._data.shape)
    except ValueError:
        b = None
    if b != self._data.shape:
        raise RuntimeError(f"output with shape {list(self.shape)} doesn't match the broadcast "
                           f"shape {list(np.broadcast_shapes(src.shape, self.shape)) if b else []}")
    from .._device import to_device
    data = src._data if src.device == self.device else to_device(src._data, self.device)
    if _recording(self, src):
        return _inplace(self, Copy.run((self, src), (self._data, data), {}))
    with np.errstate(invalid="ignore", over="ignore"):
        self._data[...] = data
    self._bump()
    return self


Tensor.zero_, Tensor.fill_, Tensor.copy_ = zero_, fill_, copy_
