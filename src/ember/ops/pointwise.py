"""Pointwise binary math: arithmetic, powers, maximum/minimum, each with its gradient beside it.

Binary ops promote their operands with torch's rules (`_util.result_type`) before NumPy sees
them, so NumPy's own promotion never decides a dtype. Torch names
some nodes by overload (PowBackward0/1/2 for tensor^scalar, tensor^tensor, scalar^tensor), so
those are subclasses differing only in `_name`. The unary functions live in `unary.py`,
where/clamp/lerp in `ternary.py`, comparisons and logic in `compare.py`, the in-place
machinery in `inplace.py`.
"""

__all__ = ["add", "sub", "subtract", "rsub", "mul", "multiply", "div", "divide", "true_divide",
           "floor_divide", "pow", "float_power", "square", "atan2", "arctan2", "maximum",
           "minimum", "fmax", "fmin", "remainder", "fmod"]

import math

import numpy as np

from .. import _dtype as D
from .. import _fma
from .._device import array_module as _xp
from .._device import match_devices
from .._tensor import Tensor, _wrap
from ..autograd import forward_ad as _fwd
from ..autograd import grad_mode as _gm
from ..autograd.function import Op
from ._util import broadcast_error, checked, operand, opmath_scalar, result_type
from .inplace import _out

_enabled = _gm._enabled
_fw = _fwd._fw  # forward AD: the fast paths step aside
_ndarray = np.ndarray
_SUB_BOOL = ("Subtraction, the `-` operator, with a bool tensor is not supported. If you are "
             "trying to invert a mask, use the `~` or `logical_not()` operator instead.")


# ---------------------------------------------------------------- binary arithmetic
class Add(Op):
    _name = "AddBackward0"
    _alpha_in_dtype = True  # low_precision_forward passes bfloat16's alpha as alpha_in_dtype
    jvp = _fwd.elementwise

    def forward(ctx, x, y, alpha=1, alpha_in_dtype=None):
        ctx.alpha = alpha  # (alpha_in_dtype: bfloat16's alpha, computed in float32)
        if alpha == 1:
            return x + y
        return _fma.fma(x, y, alpha if alpha_in_dtype is None else alpha_in_dtype)  # one rounding

    def backward(ctx, grad):
        return grad, (grad if ctx.alpha == 1 else grad * ctx.alpha)


class Sub(Op):
    _name = "SubBackward0"
    _alpha_in_dtype = True
    jvp = _fwd.elementwise

    def forward(ctx, x, y, alpha=1, alpha_in_dtype=None):
        ctx.alpha = alpha
        if alpha == 1:
            return x - y
        return _fma.fma(x, y, alpha if alpha_in_dtype is None else alpha_in_dtype, negate=True)

    def backward(ctx, grad):
        return grad, (-grad if ctx.alpha == 1 else grad * -ctx.alpha)


class Rsub(Sub):
    _name = "RsubBackward1"
    jvp = _fwd.elementwise

    def forward(ctx, x, y, alpha=1, alpha_in_dtype=None):  # y - alpha * x, x the tensor
        ctx.alpha = alpha
        if alpha == 1:
            return y - x
        return _fma.fma(y, x, alpha if alpha_in_dtype is None else alpha_in_dtype, negate=True)

    def backward(ctx, grad):
        return (-grad if ctx.alpha == 1 else grad * -ctx.alpha), grad


class Mul(Op):
    _name = "MulBackward0"
    _holomorphic = True  # (complex gradients: Op._call_backward)
    jvp = _fwd.elementwise
    save_inputs = (0, 1)

    def forward(ctx, x, y):
        return x * y

    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        return grad * b, grad * a


class Div(Op):
    _name = "DivBackward0"
    _holomorphic = True
    jvp = _fwd.elementwise
    save_inputs = (0, 1)

    def forward(ctx, x, y):
        return x / y

    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        ga = grad / b  # d(a/b)/db = -a/b^2, as torch's -grad * ((a / b) / b): grad / b may
        return ga, (-grad * (a / b / b) if isinstance(b, Tensor) else None)  # overflow to inf


class _HalfMul(Mul):  # float16 times a number torch's kernel reads as float32: rounded once
    def forward(ctx, x, y):
        return (x * y).astype(np.float16)


class _HalfDiv(Div):
    def forward(ctx, x, y):
        return (x / y).astype(np.float16)


class DivMode(Op):
    """div with rounding_mode: piecewise constant, so torch gives zero gradients."""

    _name = "DivBackward2"
    jvp = _fwd.elementwise

    def forward(ctx, x, y, mode, aten=None):
        ctx.aten = aten
        xp = ctx_xp(x)
        if x.dtype.kind not in "fc" and bool((y == 0).any()):
            raise RuntimeError("ZeroDivisionError")
        with np.errstate(divide="ignore", invalid="ignore"):
            if mode == "remainder":
                return _remainder(xp, x, y)
            if mode == "floor":  # floor_divide, not floor(x / y): x / y may round up
                return xp.floor_divide(x, y)
            if x.dtype.kind in "fc":
                return xp.trunc(x / y)
        q = xp.floor_divide(x, y)
        return q + ((xp.remainder(x, y) != 0) & ((x < 0) != (y < 0))).astype(q.dtype)

    def backward(ctx, grad):
        return grad.new_zeros(grad.shape), grad.new_zeros(grad.shape), None, None


def _cname(dt):
    return {"float32": "float", "float64": "double", "float16": "c10::Half",
            "bfloat16": "c10::BFloat16"}.get(dt.name, dt.name)


class NotDifferentiable(DivMode):
    """A node whose backward raises, as torch's for `//` and scalar % tensor."""

    _name = "torch::autograd::NotImplemented"

    def backward(ctx, grad):
        raise RuntimeError(f"derivative for aten::{ctx.aten} is not implemented")

    def jvp(ctx, *tangents):
        raise NotImplementedError(f"Trying to use forward AD with aten::{ctx.aten} that does not "
                                  "support it.")


class Pow(Op):
    _name = "PowBackward0"
    _holomorphic = True  # (complex gradients: Op._call_backward)
    jvp = _fwd.elementwise
    save_inputs = (0, 1)
    save_output = True

    def forward(ctx, x, y):
        if getattr(y, "ndim", 0) == 0 and x.dtype.kind == "f" and x.dtype.itemsize >= 4:
            special = _POW_SPECIAL.get(complex(y))
            if special is not None:  # torch's specialised kernels (their rounding)
                return special(ctx_xp(x), x)
        if x.dtype.kind in "iu" and getattr(y, "dtype", x.dtype).kind == "i" and bool(
                (y < 0).any()):
            return _int_pow_negative(ctx_xp(x if isinstance(x, _ndarray) else y), x, y)
        return x ** y

    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        ga = gb = None
        if ctx.needs_input_grad[0]:  # d a^b/da = b a^(b-1), as torch: grad * (b * a^(b-1))
            if isinstance(b, Tensor):
                ga = where(b == 0, 0.0, grad * (b * a ** (b - 1)))
            else:
                ga = grad * (b * a ** (b - 1)) if b != 0 else grad.new_zeros(grad.shape)
        if ctx.needs_input_grad[1]:
            y = ctx.output
            # d a^b/db = a^b ln a, as torch's grad * where(..., 0, a^b ln a): -0.0 where grad < 0
            real_b = b >= 0 if not b.dtype.is_complex else (b.imag == 0) & (b.real >= 0)
            if isinstance(a, Tensor):
                gb = grad * where((a == 0) & real_b, 0.0, y * a.log())
            elif a == 0:
                gb = grad * where(real_b, 0.0, y * float("-inf"))
            else:
                gb = grad * (y * math.log(a))
        return ga, gb


def _int_pow_negative(xp, x, y):
    """Integer powers with negative exponent tensors, as torch's kernel (NumPy refuses them):
    1 ** -n is 1, (-1) ** -n is -1 for an odd n and 1 for an even one, anything else 0."""
    neg = y < 0
    r = x ** xp.where(neg, 0, y)
    inv = xp.where(x == 1, 1, xp.where(x == -1, xp.where(y % 2 == 0, 1, -1), 0))
    return xp.where(neg, inv.astype(r.dtype), r)


# torch's tensor ** number kernels for float32/64: these exponents are computed
# by formula (sqrt, 1 / sqrt, 1 / x, x * x, x * x * x, 1 / (x * x)), every other one by pow
_POW_SPECIAL = {0.5: lambda xp, x: xp.sqrt(x), -0.5: lambda xp, x: 1 / xp.sqrt(x),
                -1: lambda xp, x: 1 / x, 2: lambda xp, x: x * x, 3: lambda xp, x: x * x * x,
                -2: lambda xp, x: 1 / (x * x)}


class PowTensor(Pow):
    _name = "PowBackward1"


class PowScalar(Pow):
    _name = "PowBackward2"


class Atan2(Op):
    _name = "Atan2Backward0"
    jvp = _fwd.elementwise
    save_inputs = (0, 1)

    def forward(ctx, y, x):
        return ctx_xp(y).arctan2(y, x)

    def backward(ctx, grad):
        y, x = ctx.saved_tensors
        recip = (y * y + x * x).reciprocal()  # torch's: an infinite 1 / r (r underflowed to 0,
        recip = where(recip.isinf(), 0.0, recip)  # as at the origin) counts as 0, not NaN
        return grad * x * recip, grad * -y * recip


class Maximum(Op):
    _name = "MaximumBackward0"
    jvp = _fwd.elementwise
    save_inputs = (0, 1)

    def forward(ctx, x, y):
        return ctx_xp(x).maximum(x, y)

    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        half = where(a == b, grad / 2, grad)  # ties split the gradient, as torch does
        return where(a < b, 0.0, half), where(a > b, 0.0, half)


class Minimum(Maximum):
    _name = "MinimumBackward0"

    def forward(ctx, x, y):
        return ctx_xp(x).minimum(x, y)

    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        half = where(a == b, grad / 2, grad)
        return where(a > b, 0.0, half), where(a < b, 0.0, half)


def _first_on_tie(xp, x, y, r):
    """torch's fmax/fmin keep x on a tie, so fmax(-0.0, 0.0) is -0.0 (NumPy's SIMD loop gives
    y); only zeros tie with different bits. Two passes more than fmax alone."""
    if getattr(r, "dtype", None) is None or r.dtype.kind != "f":
        return r
    return xp.where(x == y, x, r).astype(r.dtype, copy=False)


def _remainder(xp, x, y):
    """torch's remainder is fmod(x, y) (+ y where the signs differ), so a zero result has x's
    sign: remainder(-1.0, 1.0) is -0.0 where NumPy gives y's sign (+0.0)."""
    r = xp.remainder(x, y)
    if getattr(r, "dtype", None) is None or r.dtype.kind != "f":
        return r
    zero = r == 0
    return xp.where(zero, xp.copysign(r, x), r) if zero.any() else r


class Fmax(Op):
    """fmax ignores NaN; the chosen side takes the whole gradient (no tie split)."""

    _name = "FmaxBackward0"
    jvp = _fwd.elementwise
    save_inputs = (0, 1)

    def forward(ctx, x, y):
        return _first_on_tie(ctx_xp(x), x, y, ctx_xp(x).fmax(x, y))

    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        first = (a >= b) | b.isnan()
        return where(first, grad, 0.0), where(first, 0.0, grad)


class Fmin(Fmax):
    _name = "FminBackward0"

    def forward(ctx, x, y):
        return _first_on_tie(ctx_xp(x), x, y, ctx_xp(x).fmin(x, y))

    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        first = (a <= b) | b.isnan()
        return where(first, grad, 0.0), where(first, 0.0, grad)


class Remainder(Op):
    _name = "RemainderBackward0"
    jvp = _fwd.elementwise
    save_inputs = (0, 1)

    def forward(ctx, x, y):
        if x.dtype.kind not in "fc" and bool((y == 0).any()):
            raise RuntimeError("ZeroDivisionError")
        return _remainder(ctx_xp(x), x, y)

    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        return grad, (-grad * div(a, b, rounding_mode="floor") if isinstance(b, Tensor) else None)


class RemainderTensor(Remainder):
    _name = "RemainderBackward1"


class Fmod(Op):
    _name = "FmodBackward0"
    jvp = _fwd.elementwise
    save_inputs = (0, 1)

    def forward(ctx, x, y):
        if x.dtype.kind not in "fc" and bool((y == 0).any()):
            raise RuntimeError("ZeroDivisionError")
        return ctx_xp(x).fmod(x, y)

    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        return grad, (-grad * div(a, b, rounding_mode="trunc") if isinstance(b, Tensor) else None)


class FmodTensor(Fmod):
    _name = "FmodBackward1"


def ctx_xp(a):
    return np if a.__class__ is _ndarray or not hasattr(a, "device") else _xp(a)


def _binary(cls, a, b, floating=False, **kw):
    """Promotes a and b with torch's rules, then runs `cls` (a is usually the Tensor)."""
    if a.__class__ is Tensor and b.__class__ is Tensor and a.dtype is b.dtype and not (
            floating and not a.dtype.is_floating_point):
        x, y = a._data, b._data
    else:
        dt = result_type(a, b)
        if floating and not (dt.is_floating_point or dt.is_complex):
            dt = D.get_default_dtype()
        x, y = operand(a, dt), operand(b, dt)
        if (dt is D.bfloat16 or dt is D.float16) and (cls is Mul or cls is Div):
            x2, y2 = opmath_scalar(a, x, y), opmath_scalar(b, y, x)  # torch's kernels read a
            if dt is D.float16 and (x2 is not x or y2 is not y):    # scalar unrounded, as float
                cls = _HalfMul if cls is Mul else _HalfDiv  # (float16: its result rounded back)
            x, y = x2, y2
    if x.__class__ is not y.__class__:
        x, y = match_devices(x, y)
    try:
        return cls.run((a, b), (x, y), kw)
    except ValueError as e:
        if "broadcast" in str(e):
            raise broadcast_error(x, y) from None
        raise


_SCALAR_OK = (float, int)


def _fast(a, b, ufunc, floating=False):
    """`ufunc(a, b)` without an Op when nothing is recorded and NumPy's result is torch's: same
    dtypes, or a float tensor with a Python number. None otherwise (the full path decides)."""
    if (_enabled[0] and a._rg) or _fw[0]:
        return None
    bc = b.__class__
    if bc is Tensor:
        if a.dtype is not b.dtype or (_enabled[0] and b._rg) or (
                floating and not a.dtype.is_floating_point):
            return None
        y = b._data
    elif bc in _SCALAR_OK and a.dtype.is_floating_point and a.dtype is not D.bfloat16 and (
            a.dtype is not D.float16 or ufunc is not np.multiply and ufunc is not np.true_divide):
        y = b  # (float16 * / a number: torch reads the number as float32, _binary's way)
    else:
        return None
    try:
        return _wrap(ufunc(a._data, y))
    except (ValueError, OverflowError, MemoryError, TypeError):  # the full path raises torch's
        return None  # error (TypeError: arrays on two devices)


def _tensor_arg(a):
    if isinstance(a, Tensor):
        return a
    from .creation import tensor
    return tensor(a)


def _check_alpha(a, b, alpha):
    """torch's alpha_check for add / sub / rsub (an alpha of another kind than the result's is
    refused), then alpha as the result's dtype takes it (uint8's -1 is 255)."""
    dt = result_type(a, b)
    if isinstance(alpha, bool) and dt is not D.bool_:
        raise RuntimeError("Boolean alpha only supported for Boolean results.")
    if isinstance(alpha, complex) and not dt.is_complex:
        raise RuntimeError("For non-complex input tensors, argument alpha must not be a complex "
                           "number.")
    if isinstance(alpha, float) and not (dt.is_floating_point or dt.is_complex):
        raise RuntimeError("For integral input tensors, argument alpha must not be a floating "
                           "point number.")
    return checked(alpha, dt)


def add(input, other, *, alpha=1, out=None):
    if alpha.__class__ is not int or alpha != 1:
        alpha = _check_alpha(input, other, alpha)
    elif out is None and input.__class__ is Tensor:
        r = _fast(input, other, np.add)
        if r is not None:
            return r
    if not isinstance(input, Tensor):
        input, other = other, input
    r = _binary(Add, input, other, alpha=alpha) if alpha != 1 else _binary(Add, input, other)
    return r if out is None else _out(r, out, "add", (input, other), warn=2)


def _check_bool_sub(a, b):
    a_bool = a.__class__ is bool or getattr(a, "dtype", None) is D.bool_
    b_bool = b.__class__ is bool or getattr(b, "dtype", None) is D.bool_
    if a_bool and b_bool:
        raise RuntimeError("Subtraction, the `-` operator, with two bool tensors is not "
                           "supported. Use the `^` or `logical_xor()` operator instead.")
    if a_bool or b_bool:
        raise RuntimeError(_SUB_BOOL)


def sub(input, other, *, alpha=1, out=None):
    if alpha.__class__ is not int or alpha != 1:
        alpha = _check_alpha(input, other, alpha)
    elif out is None and input.__class__ is Tensor and input.dtype is not D.bool_:
        r = _fast(input, other, np.subtract)
        if r is not None:
            return r
    if input.dtype is D.bool_ or other.__class__ is bool or (
            other.__class__ is Tensor and other.dtype is D.bool_):
        _check_bool_sub(input, other)
    if not isinstance(input, Tensor):
        r = _binary(Rsub, other, input, alpha=alpha)
    else:
        r = _binary(Sub, input, other, alpha=alpha) if alpha != 1 else _binary(Sub, input, other)
    return r if out is None else _out(r, out, "sub", (input, other), warn=2)


subtract = sub


def rsub(input, other, alpha=1):
    """Matches torch.rsub: other - alpha * input."""
    if not isinstance(input, Tensor):
        got = ", ".join("Tensor" if isinstance(a, Tensor) else type(a).__name__
                        for a in (input, other))
        raise TypeError(f"rsub() received an invalid combination of arguments - got ({got}), but "
                        "expected one of:\n * (Tensor input, Tensor other, *, Number alpha = 1)\n"
                        " * (Tensor input, Number other, Number alpha = 1)\n")
    if input.dtype is D.bool_ or other.__class__ is bool or (
            isinstance(other, Tensor) and other.dtype is D.bool_):
        _check_bool_sub(other, input)
    if alpha.__class__ is not int or alpha != 1:
        alpha = _check_alpha(input, other, alpha)
    if isinstance(other, Tensor):  # torch broadcasts (other, input): its error names them so
        try:
            np.broadcast_shapes(other._data.shape, input._data.shape)
        except ValueError:
            raise broadcast_error(other._data, input._data) from None
    r = _binary(Rsub, input, other, alpha=alpha)
    if isinstance(other, Tensor) and r.grad_fn is not None:
        r.grad_fn._name = "RsubBackward0"
    return r


def _rsub(self, other):
    if self.dtype is D.bool_ or other.__class__ is bool:
        _check_bool_sub(other, self)
    return _binary(Rsub, self, other)


def mul(input, other, *, out=None):
    if out is None and input.__class__ is Tensor:
        r = _fast(input, other, np.multiply)
        if r is not None:
            return r
    if not isinstance(input, Tensor):
        input, other = other, input
    r = _binary(Mul, input, other)
    return r if out is None else _out(r, out, "mul", (input, other), warn=2)


multiply = mul


def div(input, other, *, rounding_mode=None, out=None):
    if rounding_mode is None and out is None and input.__class__ is Tensor:
        r = _fast(input, other, np.true_divide, True)
        if r is not None:
            return r
    if rounding_mode is None:
        if not isinstance(input, Tensor):
            input = _tensor_arg(input)
        r = _binary(Div, input, other, floating=True)
        return r if out is None else _out(r, out, "div", (input, other), warn=2)
    if rounding_mode not in ("floor", "trunc"):
        raise RuntimeError("div expected rounding_mode to be one of None, 'trunc', or 'floor' "
                           f"but found '{rounding_mode}'")
    r = _div_mode(DivMode, input, other, rounding_mode)
    return r if out is None else _out(r, out, "div", (input, other), warn=2)


divide = true_divide = div


def _div_mode(cls, a, b, mode, aten=None):
    dt = result_type(a, b)  # (a Python number on the left is a wrapped number: it does not
    if not isinstance(a, Tensor):  # promote a 0-d tensor's integer type, as torch's)
        a = _tensor_arg(a)
    if dt is D.bool_ and mode != "remainder":
        kernel = "div_floor_cpu" if mode == "floor" else "div_trunc_cpu"
        raise NotImplementedError(f'"{kernel}" not implemented for \'Bool\'')
    x, y = operand(a, dt), operand(b, dt)
    try:
        return cls.run((a, b), (x, y), {"mode": mode, "aten": aten})
    except ValueError as e:
        raise broadcast_error(x, y) from e


def _rdiv(self, other):
    return mul(self.reciprocal(), other)  # torch records 2 / x as a MulBackward0


def floor_divide(input, other, *, out=None):
    r = _div_mode(NotDifferentiable, input, other, "floor", "floor_divide")
    return r if out is None else _out(r, out, "floor_divide", (input, other), grad=False)


def _rfloordiv(self, other):
    return floor_divide(other, self)


def _bool_pow(input, exponent):
    """torch's pow on bool: a Python bool exponent keeps a bool tensor bool (x ** True is x,
    x ** False all True); a bool tensor as the exponent of a bool has no kernel."""
    if isinstance(exponent, Tensor) and exponent.dtype is D.bool_ and (
            input.__class__ is bool or isinstance(input, Tensor) and input.dtype is D.bool_):
        raise NotImplementedError("\"pow\" not implemented for 'Bool'")
    if exponent.__class__ is bool and isinstance(input, Tensor) and input.dtype is D.bool_:
        return input.clone() if exponent else _wrap(_xp(input._data).ones_like(input._data))
    return None


def pow(input, exponent, *, out=None):
    if exponent.__class__ is bool or isinstance(exponent, Tensor) and exponent.dtype is D.bool_:
        r = _bool_pow(input, exponent)
        if r is not None:
            return r if out is None else _out(r, out, "pow", (input, exponent))
    if not isinstance(input, Tensor):  # torch's scalar-base kernel warns once when it casts
        r = _binary(PowScalar, input, exponent)
        return r if out is None else _out(r, out, "pow", (exponent,))
    if isinstance(exponent, Tensor):
        r = _binary(PowTensor, input, exponent)
    else:
        if isinstance(exponent, int) and exponent < 0 and not (
                input.dtype.is_floating_point or input.dtype.is_complex):
            raise RuntimeError("Integers to negative integer powers are not allowed.")
        if isinstance(exponent, int) and not (input.dtype.is_floating_point or
                                              input.dtype.is_complex):
            checked(exponent, input.dtype)  # torch's integral kernel reads it in the dtype
        r = _binary(Pow, input, exponent)
    return r if out is None else _out(r, out, "pow", (input, exponent), warn=2)


def _rpow(self, other):
    return pow(other, self)


def float_power(input, exponent, *, out=None):
    dt = D.complex128 if any(isinstance(v, Tensor) and v.dtype.is_complex or
                             isinstance(v, complex) for v in (input, exponent)) else D.float64
    if out is not None and out.dtype is not dt:
        raise RuntimeError(f"the output given to float_power has dtype {_legacy(out.dtype)} "
                           f"but the operation's result requires dtype {_legacy(dt)}")
    scalar = complex if dt is D.complex128 else float
    r = pow(input.to(dt) if isinstance(input, Tensor) else scalar(input),
            exponent.to(dt) if isinstance(exponent, Tensor) else scalar(exponent))
    return r if out is None else _out(r, out, "pow", (input, exponent))


def _legacy(dt):
    return dt._legacy[:-6]


def square(input, *, out=None):
    return pow(input, 2, out=out)


def atan2(input, other, *, out=None):
    r = _binary(Atan2, input, other, floating=True)
    return r if out is None else _out(r, out, "atan2", (input, other), warn=2)


arctan2 = atan2


def _no_complex(a, b, name, what="not implemented"):
    if any(isinstance(v, Tensor) and v.dtype.is_complex or isinstance(v, complex)
           for v in (a, b)):
        raise RuntimeError(f"{name} {what} for complex tensors.")


def maximum(input, other, *, out=None):
    _no_complex(input, other, "maximum")
    r = _binary(Maximum, input, other)
    return r if out is None else _out(r, out, "maximum", (input, other), warn=2)


def minimum(input, other, *, out=None):
    _no_complex(input, other, "minimum")
    r = _binary(Minimum, input, other)
    return r if out is None else _out(r, out, "minimum", (input, other), warn=2)


def fmax(input, other, *, out=None):
    _no_complex(input, other, "fmax")
    r = _binary(Fmax, input, other)
    return r if out is None else _out(r, out, "fmax", (input, other), warn=2)


def fmin(input, other, *, out=None):
    _no_complex(input, other, "fmin")
    r = _binary(Fmin, input, other)
    return r if out is None else _out(r, out, "fmin", (input, other), warn=2)


def remainder(input, other, *, out=None):
    if not isinstance(input, Tensor):
        r = _div_mode(NotDifferentiable, input, other, "remainder", "remainder")
        return r if out is None else _out(r, out, "remainder", (other,))
    r = _binary(RemainderTensor if isinstance(other, Tensor) else Remainder, input, other)
    return r if out is None else _out(r, out, "remainder", (input, other), warn=2)


def _rmod(self, other):
    return remainder(other, self)


def fmod(input, other, *, out=None):
    r = _binary(FmodTensor if isinstance(other, Tensor) else Fmod, input, other)
    return r if out is None else _out(r, out, "fmod", (input, other), warn=2)


# ---------------------------------------------------------------- casting
class ToCopy(Op):
    _name = "ToCopyBackward0"
    jvp = _fwd.linear

    def forward(ctx, x, dt):
        ctx.src = D._BY_NP[x.dtype]
        return D.cast_array(x, dt)

    def backward(ctx, grad):
        if grad.dtype.is_complex and not ctx.src.is_complex:  # back to real: the real part
            grad = grad.real
        return grad.to(ctx.src), None


def _cast(t, dt):
    if t.dtype is dt:
        return t
    if (t._rg and _enabled[0] or _fw[0]) and (dt.is_floating_point or dt.is_complex):
        return ToCopy.apply(t, dt)
    with np.errstate(invalid="ignore", over="ignore"):
        return _wrap(D.cast_array(t._data, dt))


# these register Tensor methods; `where` is used by the backward formulas above
from . import compare as _compare  # noqa: E402,F401
from . import unary as _unary  # noqa: E402,F401
from .ternary import where  # noqa: E402
