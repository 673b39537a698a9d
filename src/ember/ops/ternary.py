"""Three-operand pointwise ops: where, clamp/clip (scalar or tensor bounds) and lerp.

Torch names clamp's nodes by overload (ClampBackward1 for scalar bounds, ClampBackward0 for
tensor bounds, ClampMin/ClampMax for the one-sided forms), so those are subclasses differing
only in `_name` or backward.
"""

__all__ = ["where", "clamp", "clip", "clamp_min", "clamp_max", "lerp"]

import numpy as np

from .. import _dtype as D
from .. import _fma
from .._select import select
from .._tensor import Tensor, _wrap
from ..autograd import forward_ad as _fwd
from ..autograd.function import Op
from . import _special
from ._util import broadcast_error, checked, operand, result_type
from .inplace import _out
from .pointwise import _cname, _tensor_arg, _xp, ctx_xp

_ndarray = np.ndarray


# ---------------------------------------------------------------- ternary and clamp
class Where(Op):
    _name = "WhereBackward0"
    jvp = _fwd.elementwise

    def forward(ctx, cond, x, y):
        ctx.cond = cond
        return select(cond, x, y, np if cond.__class__ is _ndarray else _xp(cond))

    def backward(ctx, grad):
        c = _wrap(ctx.cond)
        return None, where(c, grad, 0.0), where(c, 0.0, grad)


def _where_method(self, condition, other):
    return where(condition, self, other)


def where(condition, input=None, other=None, *, out=None):
    if input is None and other is None:
        from .index import nonzero
        return nonzero(condition, as_tuple=True)
    if not isinstance(input, Tensor) and not isinstance(other, Tensor):
        input = _tensor_arg(input)
    dt = result_type(input, other)
    x = operand(input if isinstance(input, Tensor) else checked(input, dt, True), dt)
    y = operand(other if isinstance(other, Tensor) else checked(other, dt, True), dt)
    c = condition._data if isinstance(condition, Tensor) else np.asarray(condition)
    if c.dtype != np.bool_:
        if c.dtype != np.uint8:
            raise RuntimeError("where expected condition to be a boolean tensor, but got a "
                               f"tensor with dtype {D._BY_NP[c.dtype]._legacy[:-6]}")
        c = c.astype(bool)
    r = Where.run((None, input, other), (c, x, y), {})
    return r if out is None else _out(r, out, inputs=(condition, input, other),
                                      exact="Expected out type to be {result} but got {out}")


def _clip(xp, x, lo, hi):
    """torch's clamp: min(max(x, lo), hi) where a tie keeps x (clamp(-0.0, 0) is -0.0, which
    NumPy's maximum makes 0.0) and NaN, in x or a bound, gives NaN: NumPy's clip, with an
    infinite bound for a missing one on floats."""
    if x.dtype.kind == "f" or x.dtype.name == "bfloat16":
        return _special.clip(xp, x, -_INF if lo is None else lo, _INF if hi is None else hi)
    if lo is not None:
        x = xp.maximum(x, lo)
    return x if hi is None else xp.minimum(x, hi)


_INF = float("inf")


class Clamp(Op):
    """clamp with scalar bounds: the gradient passes where lo <= x <= hi (ties included)."""

    _name = "ClampBackward1"
    jvp = _fwd.elementwise
    save_inputs = (0,)

    def forward(ctx, x, lo, hi):
        ctx.lo, ctx.hi = lo, hi
        return _clip(ctx_xp(x), x, lo, hi)

    def backward(ctx, grad):
        x, = ctx.saved_tensors
        keep = None if ctx.lo is None else x >= _wrap(np.asarray(ctx.lo))
        if ctx.hi is not None:
            below = x <= _wrap(np.asarray(ctx.hi))
            keep = below if keep is None else keep & below
        return where(keep, grad, 0.0), None, None


class ClampMin(Clamp):
    _name = "ClampMinBackward0"


class ClampMax(Clamp):
    _name = "ClampMaxBackward0"


class ClampTensor(Op):
    """clamp with tensor bounds: x keeps the gradient where lo <= x <= hi, and a bound takes it
    where it is the value chosen (torch's rule, also when lo > hi)."""

    _name = "ClampBackward0"
    jvp = _fwd.elementwise
    save_inputs = (0, 1, 2)

    def forward(ctx, x, lo, hi):
        xp = ctx_xp(x)
        if lo is not None and hi is not None:
            return _clip(xp, x, lo, hi)
        # one tensor bound: torch's maximum / minimum kernel, whose tie is the bound's
        return xp.maximum(x, lo) if hi is None else xp.minimum(x, hi)

    def backward(ctx, grad):
        x, lo, hi = ctx.saved_tensors
        keep = None if lo is None else x >= lo
        if hi is not None:
            keep = x <= hi if keep is None else keep & (x <= hi)
        g_lo = g_hi = None
        if lo is not None:
            g_lo = where((x < lo) & (lo < hi) if hi is not None else x < lo, grad, 0.0)
        if hi is not None:
            g_hi = where((x > hi) | (hi < lo) if lo is not None else x > hi, grad, 0.0)
        return where(keep, grad, 0.0), g_lo, g_hi


class ClampMinTensor(ClampTensor):
    _name = "ClampMinBackward1"


class ClampMaxTensor(ClampTensor):
    _name = "ClampMaxBackward1"


def clamp(input, min=None, max=None, *, out=None):
    r = _clamp(input, min, max, (Clamp, ClampTensor))
    return r if out is None else _clamp_out(r, out, (input, min, max), "clamp")


def _clamp_out(r, out, inputs, name):
    if any(isinstance(v, Tensor) for v in inputs[1:]):
        return _out(r, out, name, inputs, warn=2)  # the tensor-bound kernels cast
    return _out(r, out, name, inputs, exact="Found dtype {out} but expected {result}")


def _clamp(input, lo, hi, classes):
    if lo is None and hi is None:
        raise RuntimeError("torch.clamp: At least one of 'min' or 'max' must not be None")
    bounds = [v for v in (lo, hi) if v is not None]
    dt = result_type(input, *bounds)
    if dt.is_complex:
        raise NotImplementedError("clamp is not supported for complex types")
    x = operand(input, dt)
    if isinstance(lo, Tensor) or isinstance(hi, Tensor):
        lo, hi = (None if v is None else _tensor_arg(v) for v in (lo, hi))
        arrays = [None if v is None else operand(v, dt) for v in (lo, hi)]
        try:
            return classes[1].run((input, lo, hi), (x, *arrays), {})
        except ValueError:
            shape = x.shape
            for a in arrays:
                if a is not None:
                    try:
                        shape = np.broadcast_shapes(shape, a.shape)
                    except ValueError:
                        raise broadcast_error(np.broadcast_to(0, shape), a) from None
            raise
    lo_a = None if lo is None else operand(checked(lo, dt), dt)
    hi_a = None if hi is None else operand(checked(hi, dt), dt)
    r = classes[0].run((input, None, None), (x, lo_a, hi_a), {})
    if r.grad_fn is not None:
        r.grad_fn._given = (lo, hi)  # torch saves the bounds as given
    return r


clip = clamp


def clamp_min(input, min, *, out=None):
    r = _clamp(input, min, None, (ClampMin, ClampMinTensor))
    return r if out is None else _clamp_out(r, out, (input, min), "clamp_min")


def clamp_max(input, max, *, out=None):
    r = _clamp(input, None, max, (ClampMax, ClampMaxTensor))
    return r if out is None else _clamp_out(r, out, (input, max), "clamp_max")


class Lerp(Op):
    """start + weight (end - start), evaluated from the nearer end as torch does."""

    _name = "LerpBackward0"
    _holomorphic = True  # (complex gradients: Op._call_backward)
    jvp = _fwd.elementwise
    save_inputs = (0, 1, 2)

    def forward(ctx, a, b, w):
        xp = ctx_xp(a)
        if a.dtype.kind == "c":
            return xp.where(xp.abs(w) < 0.5, a + w * (b - a), b - (b - a) * (1 - w))
        if a.dtype == np.float16:  # torch computes half in float32, rounding once at the end
            f = np.float32
            r = Lerp.forward(ctx, a.astype(f), b.astype(f), w.astype(f))
            with np.errstate(over="ignore"):
                return r.astype(a.dtype)
        # torch: fma(coeff, end - start, base), with (coeff, base) = (w, start) where |w| < 0.5,
        # else (w - 1, end)
        d = b - a
        if not getattr(w, "ndim", 0):  # a scalar weight
            return _fma.fma(a, d, w) if abs(w) < 0.5 else _fma.fma(b, d, w - 1)
        small = xp.abs(w) < 0.5
        return _fma.fma3(select(small, w, w - 1, xp), d, select(small, a, b, xp))

    def backward(ctx, grad):
        a, b, w = ctx.saved_tensors
        gw = grad * (b - a) if isinstance(w, Tensor) else None
        return grad * (1 - w), grad * w, gw


class LerpTensor(Lerp):
    _name = "LerpBackward1"


def lerp(input, end, weight, *, out=None):
    dt = input.dtype
    if not (dt.is_floating_point or dt.is_complex):
        kind = "tensor" if isinstance(weight, Tensor) else "scalar"
        raise NotImplementedError(f'"lerp_kernel_{kind}" not implemented for \'{dt._legacy[:-6]}\'')
    if isinstance(weight, Tensor) and weight.dtype is not dt and not weight._data.ndim and \
            not weight.dtype.is_complex:  # torch takes a 0-d weight of any real dtype
        weight = weight.to(dt)
    for name, v in (("end", end), ("weight", weight)):
        if isinstance(v, Tensor) and v.dtype is not dt:
            raise RuntimeError(f"expected dtype {_cname(dt)} for `{name}` but got dtype "
                               f"{_cname(v.dtype)}")
    cls = LerpTensor if isinstance(weight, Tensor) else Lerp
    if not isinstance(weight, Tensor):
        checked(weight, dt, True)
    w = weight._data if isinstance(weight, Tensor) else (
        np.float32(weight) if dt is D.bfloat16 or dt is D.float16 else dt.np.type(weight))
    # (torch reads a half type's scalar weight as float)
    try:
        r = cls.run((input, end, weight), (input._data, end._data, w), {})
    except ValueError as e:
        raise broadcast_error(input._data, end._data) from e
    return r if out is None else _out(r, out, inputs=(input, end, weight), warn=2)
