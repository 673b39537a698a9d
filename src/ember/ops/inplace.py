"""In-place machinery: `out=`, writing a result into a tensor and rebasing its history, and the
in-place ops that are not a pointwise op plus a write (zero_, fill_, copy_).

An in-place op computes its out-of-place result, then `_inplace` writes it into `self` and
moves `self`'s grad_fn onto the result's node. When that node saves `self` for backward, the
op runs on a clone instead (torch saves the original `self` the same way), so the write cannot
invalidate what backward reads. The clone is only made while recording a graph.
"""

import sys
import warnings

import numpy as np

from .. import _dtype as D
from .. import _layout
from .._tensor import Tensor, _check_inplace, _check_overlap
from ..autograd import grad_mode as _gm
from ..autograd.forward_ad import carries, inplace_tangent
from ..autograd.function import Op, _fw, torch_error
from ._util import checked, user_stacklevel

_enabled = _gm._enabled
_ndarray = np.ndarray


_OUT_GRAD = ("{}(): functions with out=... arguments don't support automatic differentiation, "
             "but one of the arguments requires grad.")
_EXACT = "Expected out tensor to have dtype {result_c}, but got {out_c} instead"
_RESIZED = ("An output with one or more elements was resized since it had shape {}, which does "
            "not match the required output shape {}. This behavior is deprecated, and in a future "
            "PyTorch release outputs will not be resized unless they have zero elements. You can "
            "explicitly reuse an out tensor t by resizing it, inplace, to zero elements with "
            "t.resize_(0).")


_PARTIAL = ("unsupported operation: some elements of the input tensor and the written-to tensor "
            "refer to a single memory location. Please clone() the tensor before performing the "
            "operation.")


def _check_alias(out, inputs, full=False):
    """torch's assert_no_partial_overlap of the written-to Tensor `out` with each Tensor among
    `inputs` (other values are skipped): what an elementwise op (TensorIterator) checks. With
    `full`, assert_no_overlap: the same elements are refused too (index and scatter ops, cat).
    Shared memory as torch's get_overlap_status reads it: `_layout.overlap`."""
    a = out._data
    host = a.__class__ is _ndarray
    for t in inputs:
        if t.__class__ is Tensor or isinstance(t, Tensor):
            b = t._data
            if host and b.__class__ is _ndarray and b is not a and not _may_share(a, b):
                continue  # (the common case, in one C call)
            s = _layout.overlap(a, b)
            if s == 2 or full and s:
                raise RuntimeError(_PARTIAL)


# NumPy's C test itself (its public name adds ~0.15 us of __array_function__ dispatch)
_may_share = getattr(np.may_share_memory, "_implementation", np.may_share_memory)


def _out(r, out, name=None, inputs=(), exact=False, warn=True, grad=True, full=False):
    """Writes the result `r` into `out=` as torch does and returns `out` (`r` when out is None).

    The one helper for every `out=`. Checks, in torch's order:
    - autograd: with grad mode on, refused (naming `name`, by default the calling function) when
      `r` requires grad, or when `out` or a Tensor in `inputs` does and `r` is floating (the op
      is differentiable); `grad=False` for the ops torch gives no derivative formula;
    - device;
    - dtype: with `exact`, out's dtype must be the result's (torch's common wording, or the
      kernel's own as a format string over {result}/{out} like Float and {result_c}/{out_c}
      like float); otherwise the result must be castable to it (TensorIterator ops);
    - partial memory overlap with a Tensor in `inputs` (any overlap with `full`, as torch's
      index ops and cat check);
    - shape: a wrong-shaped `out` is resized, with torch's deprecation UserWarning when it had
      elements and `warn` (creation ops resize silently; `warn=2` as torch's pointwise
      kernels, which warn a second time when they also cast).
    Tuples pair up: `_out((values, indices), out)`.
    """
    if out is None:
        return r
    if r.__class__ is tuple or isinstance(r, tuple):
        return _out_tuple(r, out, name, inputs, exact, warn, grad, full)
    if out.__class__ is not Tensor and not isinstance(out, Tensor):
        raise TypeError(f"{_name(name)}(): argument 'out' must be Tensor, not "
                        f"{type(out).__name__}")
    if grad and _enabled[0] and (r._rg or (r.dtype.is_floating_point or r.dtype.is_complex) and (
            out._rg or any(t._rg for t in inputs if isinstance(t, Tensor)))):
        raise RuntimeError(_OUT_GRAD.format(_name(name)))
    if out._data.__class__ is not r._data.__class__ or out.device != r.device:
        a, b = (r.device, out.device) if r.device.type != "cpu" else (out.device, r.device)
        raise RuntimeError("Expected all tensors to be on the same device, but found at least "
                           f"two devices, {a} and {b}!")  # torch names the accelerator first
    rd, od = r.dtype, out.dtype
    if rd is not od:
        if exact:
            raise RuntimeError((_EXACT if exact is True else exact).format(
                result=rd._legacy[:-6], out=od._legacy[:-6], result_c=_CPP[rd.name],
                out_c=_CPP[od.name]))
        if not D.can_cast(rd, od):
            raise _cast_error(rd, od)
    if inputs:
        _check_alias(out, inputs, full)
    if out._data.shape != r._data.shape:
        if warn and out._data.size:
            msg = _RESIZED.format(list(out.shape), list(r.shape))
            for _ in range(2 if warn == 2 and rd is not od else 1):
                warnings.warn(msg, UserWarning, stacklevel=user_stacklevel())
        v = out._vc[0]
        out.resize_(r.shape)
        out._vc[0] = v  # torch's out= resizes without a version bump: only the write counts
    else:
        _check_overlap(out._data)
    with np.errstate(invalid="ignore", over="ignore"):
        out._data[...] = r._data
    out._bump()
    return out


def _out_tuple(r, out, name, inputs, exact, warn, grad, full):
    if not isinstance(out, (tuple, list)):
        raise TypeError(f"{_name(name)}(): argument 'out' must be tuple of Tensors, not "
                        f"{type(out).__name__}")
    if len(out) != len(r):
        raise TypeError(f"{_name(name)}(): argument 'out' must be tuple of {len(r)} Tensors")
    outs = [_out(a, o, name, inputs, exact, warn, grad, full) for a, o in zip(r, out)]
    return r.__class__(*outs) if hasattr(r, "_fields") else tuple(outs)


def _name(name, depth=2):
    """`name`, or the public function that called `_out` (only on the error path)."""
    if name is not None:
        return name
    f = sys._getframe(depth)
    while f is not None and f.f_code.co_name.startswith("_"):
        f = f.f_back
    return f.f_code.co_name if f is not None else "out"


_CPP = {"float16": "c10::Half", "float32": "float", "float64": "double",
        "bfloat16": "c10::BFloat16",
        "complex64": "c10::complex<float>", "complex128": "c10::complex<double>",
        "int8": "signed char", "int16": "short int", "int32": "int", "int64": "long int",
        "uint8": "unsigned char", "bool": "bool"}


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
    if _fw[0]:  # forward AD: self now carries result's tangent
        inplace_tangent(self, result)
    if result.grad_fn is not None:
        base = self._base
        if base is not None and self._view_fn is not None:
            from .shape import _rebase_view
            _rebase_view(self, result)
        else:
            old, nr = self.grad_fn, self._output_nr
            self.grad_fn = result.grad_fn
            self._output_nr = result._output_nr
            self._rg = True
            if old is not None and self.__dict__.get("_retains"):  # retain_grad follows the
                _move_retain_hook(self, old, nr)                     # new version, as torch's
        from .shape import _refresh_views
        _refresh_views(self)
    return self


def _move_retain_hook(t, old, nr):
    hooks = (old._tensor_hooks or {}).get(nr)
    if hooks and getattr(hooks[-1], "_retains_grad", False):
        hooks.pop()
    t.__dict__.pop("_retains", None)
    t.retain_grad()


class _Replaced(Op):
    """The node of an in-place op whose new values do not depend differentiably on the old
    (a random fill, a comparison): torch's formula gives the old history a zero gradient."""

    def forward(ctx, x, values):
        return values

    def backward(ctx, grad):
        return grad.new_zeros(grad.shape), None


_REPLACED = {}


def replaced(self, name, write):
    """Runs `write()`, an in-place op that replaces self's values. On a tensor that requires
    grad (grad mode on) its history then continues through torch's node `name`, whose gradient
    is zero: without it the gradient flowed on as if the values had not changed (a view's base
    gets torch's CopySlices)."""
    if not (_gm._enabled[0] and self._rg):
        return write()
    version = self._vc[0]
    write()
    node = _REPLACED.get(name)
    if node is None:
        node = _REPLACED[name] = type(name, (_Replaced,), {"_name": name})
    values = self._data.copy()
    self._vc[0] = version  # (_inplace counts the one version torch's op makes)
    return _inplace(self, node.run((self, None), (values, values), {}))


def _recording(self, other=None):
    """Whether an in-place op runs as a graph op: something needs its gradient, or (forward AD,
    one flag read) a tangent must follow it."""
    if _enabled[0] and (self._rg or other.__class__ is Tensor and other._rg):
        return True
    return _fw[0] and (carries(self) or other.__class__ is Tensor and carries(other))


def _binary_inplace(fn, saves_self=True, alias=True):
    """`self.op_(other, ...)` from the out-of-place `op`. An elementwise op (`alias`) refuses
    a partial overlap of self with a tensor argument, as torch's TensorIterator; torch's BLAS
    ops (addmm_, ...) do not look."""
    def op(self, other, *args, **kw):
        _check_inplace(self)
        if alias:
            if other.__class__ is Tensor:  # inline for add_(tensor), the common case
                a, b = self._data, other._data
                if b is not a and (a.__class__ is not _ndarray or b.__class__ is not _ndarray or
                                   (a.base is not None or b.base is not None) and  # (owners
                                   _may_share(a, b)):                     # share no memory)
                    _check_alias(self, (other,))
            elif isinstance(other, Tensor):
                _check_alias(self, (other,))
            if args:
                _check_alias(self, args)
            for v in kw.values():  # (torch_args passes alpha=, out=: mostly not tensors)
                if isinstance(v, Tensor):
                    _check_alias(self, (v,))
        src = self.clone() if saves_self and _recording(self, other) else self
        return _inplace(self, fn(src, other, *args, **kw))
    op.__wrapped__ = fn  # fn's signature is op's: torch_args reads it
    return op


def _unary_inplace(fn, saves_self):
    def op(self, *args, **kw):
        _check_inplace(self)
        if args or kw:  # a tensor bound (clamp_), or none
            _check_alias(self, args + tuple(kw.values()))
        src = self.clone() if saves_self and _recording(self) else self
        return _inplace(self, fn(src, *args, **kw))
    op.__wrapped__ = fn  # fn's signature is op's: torch_args reads it
    return op


class Zero(Op):
    _name = "ZeroBackward0"

    def forward(ctx, x):
        return np.zeros_like(x)  # (not x * 0: inf * 0 is nan)

    def jvp(ctx, t):
        return t.new_zeros(t.shape)

    def backward(ctx, grad):
        return grad.new_zeros(grad.shape)


class Fill(Op):
    _name = "FillBackward2"

    def forward(ctx, x, value):
        out = x.copy()
        out[...] = value
        return out

    def jvp(ctx, t, tv):  # the value's tangent everywhere (none for a number)
        shape = ctx.inputs[0].shape
        return (tv.expand(shape) if tv is not None else t.new_zeros(shape)).clone()

    def backward(ctx, grad):
        return grad.new_zeros(grad.shape), None


class FillTensor(Fill):
    _name = "FillBackward3"

    def backward(ctx, grad):
        return grad.new_zeros(grad.shape), grad.sum()


class Copy(Op):
    _name = "torch::autograd::CopyBackwards"

    def forward(ctx, x, src):
        out = x.copy()
        with np.errstate(invalid="ignore", over="ignore"):
            out[...] = src
        return out

    def jvp(ctx, t, ts):  # src's tangent, broadcast (zeros where src has none)
        x = ctx.inputs[0]
        return ts.expand(x.shape).clone() if ts is not None else x.detach().new_zeros(x.shape)

    def backward(ctx, grad):
        src_dt = ctx._in_meta[1][1]
        return grad.new_zeros(grad.shape), grad if grad.dtype is src_dt else grad.to(src_dt)


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
    value = checked(value, self.dtype)
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
    _check_alias(self, (src,))
    try:
        b = np.broadcast_shapes(src._data.shape, self._data.shape)
    except ValueError as e:  # torch broadcasts self (a) with src (b)
        raise torch_error(e, (self._data, src._data)) from None
    if b != self._data.shape:
        raise RuntimeError(f"output with shape {list(self.shape)} doesn't match the broadcast "
                           f"shape {list(np.broadcast_shapes(src.shape, self.shape)) if b else []}")
    from .._device import to_device
    data = src._data if src.device == self.device else to_device(src._data, self.device)
    if _recording(self, src):
        return _inplace(self, Copy.run((self, src), (self._data, data), {}))
    if (self.dtype is D.float16 or self.dtype is D.bfloat16 or src.dtype is D.bfloat16) \
            and self.dtype is not src.dtype:
        data = D.cast_array(data, self.dtype)  # torch's conversions, through float32
    with np.errstate(invalid="ignore", over="ignore"):
        self._data[...] = data
    self._bump()
    return self
