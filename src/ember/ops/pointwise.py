"""Pointwise ops: arithmetic, comparison, logic and math, each with its gradient beside it.

Binary ops promote their operands with torch's rules (`_util.result_type`) before NumPy sees
them, so NumPy's own promotion never decides a dtype. Unary math ops are one line each in
`_UNARY`: name, forward on arrays, backward on Tensors, and whether backward reads the input
(x) or the output (y). Ops that need the input as float (exp of an int tensor) cast first.
"""

import math

import numpy as np

from .. import _dtype as D
from .._tensor import Tensor, _check_inplace, _wrap
from ..autograd import grad_mode as _gm
from ..autograd.function import Op
from . import _special
from ._util import broadcast_error, method, operand, result_type, xp_of

_enabled = _gm._enabled
_ndarray = np.ndarray


# ---------------------------------------------------------------- binary arithmetic
class Add(Op):
    _name = "AddBackward0"

    def forward(ctx, x, y, alpha=1):
        ctx.alpha = alpha
        return x + y if alpha == 1 else x + y * alpha

    def backward(ctx, grad):
        return grad, (grad if ctx.alpha == 1 else grad * ctx.alpha)


class Sub(Op):
    _name = "SubBackward0"

    def forward(ctx, x, y, alpha=1):
        ctx.alpha = alpha
        return x - y if alpha == 1 else x - y * alpha

    def backward(ctx, grad):
        return grad, (-grad if ctx.alpha == 1 else grad * -ctx.alpha)


class Rsub(Sub):
    _name = "RsubBackward1"

    def forward(ctx, x, y, alpha=1):  # y - alpha * x, with x the tensor
        ctx.alpha = alpha
        return y - x if alpha == 1 else y - x * alpha

    def backward(ctx, grad):
        return (-grad if ctx.alpha == 1 else grad * -ctx.alpha), grad


class Mul(Op):
    _name = "MulBackward0"
    save_inputs = (0, 1)

    def forward(ctx, x, y):
        return x * y

    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        return grad * b, grad * a


class Div(Op):
    _name = "DivBackward0"
    save_inputs = (0, 1)

    def forward(ctx, x, y):
        return x / y

    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        ga = grad / b
        return ga, (-ga * a / b if isinstance(b, Tensor) else None)  # d(a/b)/db = -a/b^2


class Pow(Op):
    _name = "PowBackward0"
    save_inputs = (0, 1)
    save_output = True

    def forward(ctx, x, y):
        return x ** y

    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        ga = gb = None
        if ctx.next_functions[0][0] is not None:
            if isinstance(b, Tensor):
                ga = where(b == 0, 0.0, grad * b * a ** (b - 1))  # d a^b/da = b a^(b-1)
            else:
                ga = grad * b * a ** (b - 1) if b != 0 else grad * 0
        if ctx.next_functions[1][0] is not None:
            y = ctx.output
            if isinstance(a, Tensor):
                gb = where((a == 0) & (b >= 0), 0.0, grad * y * a.log())  # d a^b/db = a^b ln a
            elif a == 0:
                gb = where(b >= 0, 0.0, grad * y * float("-inf"))
            else:
                gb = grad * y * math.log(a)
        return ga, gb


class Atan2(Op):
    _name = "Atan2Backward0"
    save_inputs = (0, 1)

    def forward(ctx, y, x):
        return ctx_xp(y).arctan2(y, x)

    def backward(ctx, grad):
        y, x = ctx.saved_tensors
        r = x * x + y * y
        return grad * x / r, grad * -y / r


class Maximum(Op):
    _name = "MaximumBackward0"
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


class Remainder(Op):
    _name = "RemainderBackward0"
    save_inputs = (0, 1)

    def forward(ctx, x, y):
        return ctx_xp(x).remainder(x, y)

    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        return grad, (-grad * div(a, b, rounding_mode="floor") if isinstance(b, Tensor) else None)


class Fmod(Op):
    _name = "FmodBackward0"
    save_inputs = (0, 1)

    def forward(ctx, x, y):
        return ctx_xp(x).fmod(x, y)

    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        return grad, (-grad * div(a, b, rounding_mode="trunc") if isinstance(b, Tensor) else None)


def ctx_xp(a):
    return np if a.__class__ is _ndarray or not hasattr(a, "device") else _xp(a)


def _xp(a):
    import importlib
    return importlib.import_module("cupy")


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
    try:
        return cls.run((a, b), (x, y), kw)
    except ValueError as e:
        if "broadcast" in str(e):
            raise broadcast_error(x, y) from None
        raise


def _tensor_arg(a):
    if isinstance(a, Tensor):
        return a
    from .creation import tensor
    return tensor(a)


@method("add", "__add__", "__radd__")
def add(input, other, *, alpha=1, out=None):
    if not isinstance(input, Tensor):
        input, other = other, input
    r = _binary(Add, input, other, alpha=alpha) if alpha != 1 else _binary(Add, input, other)
    return _out(r, out)


@method("sub", "subtract", "__sub__")
def sub(input, other, *, alpha=1, out=None):
    if not isinstance(input, Tensor):
        return _out(_binary(Rsub, other, input, alpha=alpha), out)
    if input.dtype is D.bool_ and isinstance(other, Tensor) and other.dtype is D.bool_:
        raise RuntimeError("Subtraction, the `-` operator, with two bool tensors is not "
                           "supported. Use the `^` or `logical_xor()` operator instead.")
    return _out(_binary(Sub, input, other, alpha=alpha), out)


subtract = sub


@method("__rsub__")
def _rsub(self, other):
    return _binary(Rsub, self, other)


@method("mul", "multiply", "__mul__", "__rmul__")
def mul(input, other, *, out=None):
    if not isinstance(input, Tensor):
        input, other = other, input
    return _out(_binary(Mul, input, other), out)


multiply = mul


@method("div", "divide", "true_divide", "__truediv__")
def div(input, other, *, rounding_mode=None, out=None):
    if rounding_mode is None:
        if not isinstance(input, Tensor):
            return _out(_binary(Div, _tensor_arg(input), other, floating=True), out)
        return _out(_binary(Div, input, other, floating=True), out)
    if rounding_mode not in ("floor", "trunc"):
        raise RuntimeError("div expected rounding_mode to be one of None, 'trunc', or 'floor' "
                           f"but found '{rounding_mode}'")
    a = input if isinstance(input, Tensor) else _tensor_arg(input)
    dt = result_type(a, other)
    x, y = operand(a, dt), operand(other, dt)
    xp = xp_of(a)
    if dt.is_floating_point:
        with np.errstate(divide="ignore", invalid="ignore"):
            q = x / y
            r = xp.floor(q) if rounding_mode == "floor" else xp.trunc(q)
    else:
        _check_int_div(y)
        r = xp.floor_divide(x, y) if rounding_mode == "floor" else _trunc_div(xp, x, y)
    return _out(_wrap(xp.asarray(r, dtype=dt.np)), out)


divide = true_divide = div


def _check_int_div(y):
    if np.any(np.asarray(y) == 0):
        raise RuntimeError("ZeroDivisionError")


def _trunc_div(xp, x, y):
    q = xp.floor_divide(x, y)
    fix = (xp.remainder(x, y) != 0) & ((x < 0) != (y < 0))
    return q + fix.astype(q.dtype)


@method("__rtruediv__")
def _rdiv(self, other):
    return mul(self.reciprocal(), other)  # torch records 2 / x as a MulBackward0


@method("floor_divide", "__floordiv__")
def floor_divide(input, other, *, out=None):
    return div(input, other, rounding_mode="floor", out=out)


@method("__rfloordiv__")
def _rfloordiv(self, other):
    return div(_tensor_arg(other), self, rounding_mode="floor")


@method("pow", "__pow__")
def pow(input, exponent, *, out=None):
    if not isinstance(input, Tensor):
        r = _binary(Pow, input, exponent)
        r.grad_fn is not None and setattr(r.grad_fn, "_name", "PowBackward2")
        return _out(r, out)
    if isinstance(exponent, Tensor):
        r = _binary(Pow, input, exponent)
        if r.grad_fn is not None:
            r.grad_fn._name = "PowBackward1"
        return _out(r, out)
    if isinstance(exponent, int) and exponent < 0 and not input.dtype.is_floating_point:
        raise RuntimeError("Integers to negative integer powers are not allowed.")
    return _out(_binary(Pow, input, exponent), out)


@method("__rpow__")
def _rpow(self, other):
    return pow(other, self)


def float_power(input, exponent):
    return pow(input.double() if isinstance(input, Tensor) else input,
               exponent.double() if isinstance(exponent, Tensor) else float(exponent))


@method("square")
def square(input):
    return pow(input, 2)


@method("atan2", "arctan2")
def atan2(input, other, *, out=None):
    return _out(_binary(Atan2, input, other, floating=True), out)


arctan2 = atan2


@method("maximum")
def maximum(input, other, *, out=None):
    return _out(_binary(Maximum, input, other), out)


@method("minimum")
def minimum(input, other, *, out=None):
    return _out(_binary(Minimum, input, other), out)


fmax, fmin = maximum, minimum


@method("remainder", "__mod__")
def remainder(input, other, *, out=None):
    if not isinstance(input, Tensor):
        input = _tensor_arg(input)
    r = _binary(Remainder, input, other)
    if r.grad_fn is not None and isinstance(other, Tensor):
        r.grad_fn._name = "RemainderBackward1"
    return _out(r, out)


@method("__rmod__")
def _rmod(self, other):
    return remainder(_tensor_arg(other), self)


@method("fmod")
def fmod(input, other, *, out=None):
    r = _binary(Fmod, input, other)
    if r.grad_fn is not None and isinstance(other, Tensor):
        r.grad_fn._name = "FmodBackward1"
    return _out(r, out)


# ---------------------------------------------------------------- comparison and logic
def _compare(ufunc):
    def op(input, other, *, out=None):
        if not isinstance(input, Tensor):
            input = _tensor_arg(input)
        dt = result_type(input, other)
        x, y = operand(input, dt), operand(other, dt)
        try:
            return _out(_wrap(ufunc(x, y)), out)
        except ValueError as e:
            raise broadcast_error(x, y) from e
    return op


eq = method("eq", "__eq__")(_compare(np.equal))
ne = method("ne", "not_equal", "__ne__")(_compare(np.not_equal))
lt = method("lt", "less", "__lt__")(_compare(np.less))
le = method("le", "less_equal", "__le__")(_compare(np.less_equal))
gt = method("gt", "greater", "__gt__")(_compare(np.greater))
ge = method("ge", "greater_equal", "__ge__")(_compare(np.greater_equal))
less, less_equal, greater, greater_equal, not_equal = lt, le, gt, ge, ne


@method("equal")
def equal(input, other):
    return input.shape == other.shape and bool((input == other).all())


def _logical(ufunc):
    def op(input, other=None, *, out=None):
        if other is None:
            return _out(_wrap(ufunc(input._data)), out)
        x = input._data if isinstance(input, Tensor) else input
        y = other._data if isinstance(other, Tensor) else other
        return _out(_wrap(ufunc(x, y)), out)
    return op


logical_and = method("logical_and")(_logical(np.logical_and))
logical_or = method("logical_or")(_logical(np.logical_or))
logical_xor = method("logical_xor")(_logical(np.logical_xor))
logical_not = method("logical_not")(_logical(np.logical_not))


def _bitwise(ufunc, name):
    def op(input, other, *, out=None):
        if not isinstance(input, Tensor):
            input = _tensor_arg(input)
        dt = result_type(input, other)
        if dt.is_floating_point:
            raise RuntimeError(f'"{name}_cpu" not implemented for \'{_legacy_name(dt)}\'')
        return _out(_wrap(ufunc(operand(input, dt), operand(other, dt))), out)
    return op


def _legacy_name(dt):
    return {"float32": "Float", "float64": "Double", "float16": "Half"}.get(dt.name, dt.name)


bitwise_and = method("bitwise_and", "__and__", "__rand__")(_bitwise(np.bitwise_and, "bitwise_and"))
bitwise_or = method("bitwise_or", "__or__", "__ror__")(_bitwise(np.bitwise_or, "bitwise_or"))
bitwise_xor = method("bitwise_xor", "__xor__", "__rxor__")(_bitwise(np.bitwise_xor,
                                                                    "bitwise_xor"))
bitwise_left_shift = method("bitwise_left_shift", "__lshift__")(_bitwise(np.left_shift, "lshift"))
bitwise_right_shift = method("bitwise_right_shift", "__rshift__")(_bitwise(np.right_shift,
                                                                           "rshift"))


@method("bitwise_not", "__invert__")
def bitwise_not(input, *, out=None):
    if input.dtype.is_floating_point:
        raise TypeError("~ (operator.invert) is only implemented on integer and Boolean-type "
                        "tensors")
    return _out(_wrap(np.invert(input._data)), out)


# ---------------------------------------------------------------- unary math, one line each
_UNARY = {
    # name: (forward(xp, x), backward(grad, x, y), reads, float_only)
    "abs": (lambda xp, x: xp.abs(x), lambda g, x, y: g * x.sgn(), "x", False),
    "neg": (lambda xp, x: xp.negative(x), lambda g, x, y: -g, "", False),
    "exp": (lambda xp, x: xp.exp(x), lambda g, x, y: g * y, "y", True),
    "exp2": (lambda xp, x: xp.exp2(x), lambda g, x, y: g * y * math.log(2.0), "y", True),
    "expm1": (lambda xp, x: xp.expm1(x), lambda g, x, y: g * (y + 1), "y", True),
    "log": (lambda xp, x: xp.log(x), lambda g, x, y: g / x, "x", True),
    "log2": (lambda xp, x: xp.log2(x), lambda g, x, y: g / (x * math.log(2.0)), "x", True),
    "log10": (lambda xp, x: xp.log10(x), lambda g, x, y: g / (x * math.log(10.0)), "x", True),
    "log1p": (lambda xp, x: xp.log1p(x), lambda g, x, y: g / (x + 1), "x", True),
    "sqrt": (lambda xp, x: xp.sqrt(x), lambda g, x, y: g / (2 * y), "y", True),
    "rsqrt": (lambda xp, x: 1 / xp.sqrt(x), lambda g, x, y: -0.5 * g * y ** 3, "y", True),
    "sin": (lambda xp, x: xp.sin(x), lambda g, x, y: g * x.cos(), "x", True),
    "cos": (lambda xp, x: xp.cos(x), lambda g, x, y: -g * x.sin(), "x", True),
    "tan": (lambda xp, x: xp.tan(x), lambda g, x, y: g * (1 + y * y), "y", True),
    "asin": (lambda xp, x: xp.arcsin(x), lambda g, x, y: g * (1 - x * x).rsqrt(), "x", True),
    "acos": (lambda xp, x: xp.arccos(x), lambda g, x, y: -g * (1 - x * x).rsqrt(), "x", True),
    "atan": (lambda xp, x: xp.arctan(x), lambda g, x, y: g / (1 + x * x), "x", True),
    "sinh": (lambda xp, x: xp.sinh(x), lambda g, x, y: g * x.cosh(), "x", True),
    "cosh": (lambda xp, x: xp.cosh(x), lambda g, x, y: g * x.sinh(), "x", True),
    "tanh": (lambda xp, x: xp.tanh(x), lambda g, x, y: g * (1 - y * y), "y", True),
    "asinh": (lambda xp, x: xp.arcsinh(x), lambda g, x, y: g * (x * x + 1).rsqrt(), "x", True),
    "acosh": (lambda xp, x: xp.arccosh(x), lambda g, x, y: g * (x * x - 1).rsqrt(), "x", True),
    "atanh": (lambda xp, x: xp.arctanh(x), lambda g, x, y: g / (1 - x * x), "x", True),
    "sigmoid": (lambda xp, x: _special.sigmoid(xp, x), lambda g, x, y: g * (y * (1 - y)), "y",
                True),
    "relu": (lambda xp, x: _special.relu(xp, x), lambda g, x, y: g * (y > 0), "y", False),
    "reciprocal": (lambda xp, x: 1 / x, lambda g, x, y: -g * (y * y), "y", True),
    "erf": (lambda xp, x: _special.erf(xp, x),
            lambda g, x, y: g * (2 / math.sqrt(math.pi)) * (-(x * x)).exp(), "x", True),
    "erfc": (lambda xp, x: 1 - _special.erf(xp, x),
             lambda g, x, y: g * (-2 / math.sqrt(math.pi)) * (-(x * x)).exp(), "x", True),
    "erfinv": (lambda xp, x: _special.erfinv(xp, x),
               lambda g, x, y: g * (math.sqrt(math.pi) / 2) * (y * y).exp(), "y", True),
    "sign": (lambda xp, x: xp.sign(x) if x.dtype != bool else x.copy(), lambda g, x, y: g * 0,
             "", False),
    "sgn": (lambda xp, x: xp.sign(x), lambda g, x, y: g * 0, "", False),
    "floor": (lambda xp, x: xp.floor(x) if x.dtype.kind == "f" else x.copy(),
              lambda g, x, y: g * 0, "", False),
    "ceil": (lambda xp, x: xp.ceil(x) if x.dtype.kind == "f" else x.copy(),
             lambda g, x, y: g * 0, "", False),
    "trunc": (lambda xp, x: xp.trunc(x) if x.dtype.kind == "f" else x.copy(),
              lambda g, x, y: g * 0, "", False),
    "frac": (lambda xp, x: x - xp.trunc(x), lambda g, x, y: g, "", False),
    "logit": (lambda xp, x: xp.log(x / (1 - x)), lambda g, x, y: g / (x * (1 - x)), "x", True),
}
_NAMES = {"log1p": "Log1PBackward0", "expm1": "Expm1Backward0", "exp2": "Exp2Backward0",
          "log2": "Log2Backward0", "log10": "Log10Backward0", "erfinv": "ErfinvBackward0"}
_UNARY_FNS = {}


def _make_unary(name, fwd, bwd, reads, floating):
    cls = type(name.capitalize(), (Op,), {
        "_name": _NAMES.get(name, name.capitalize() + "Backward0"),
        "save_inputs": (0,) if reads == "x" else (),
        "save_output": reads == "y",
        "forward": lambda ctx, x: fwd(np if x.__class__ is _ndarray else _xp(x), x),
        "backward": lambda ctx, g: bwd(g, ctx.saved_tensors[0] if reads == "x" else None,
                                       ctx.output if reads == "y" else None),
    })

    def op(input, *, out=None):
        if floating and not input.dtype.is_floating_point and not input.dtype.is_complex:
            input = _cast(input, D.get_default_dtype())
        return _out(cls.run((input,), (input._data,), {}), out)

    def op_(self):
        _check_inplace(self)
        if floating and not self.dtype.is_floating_point:
            raise RuntimeError(f"result type Float can't be cast to the desired output type "
                               f"{self.dtype._legacy[:-6]}")
        return _inplace(self, op(self))
    op.__name__ = name
    op_.__name__ = name + "_"
    setattr(Tensor, name, op)
    setattr(Tensor, name + "_", op_)
    _UNARY_FNS[name] = op
    _UNARY_FNS[name + "_"] = op_
    return op


for _n, _spec in _UNARY.items():
    globals()[_n] = _make_unary(_n, *_spec)
    globals()[_n + "_"] = _UNARY_FNS[_n + "_"]
Tensor.__neg__ = Tensor.negative = neg  # noqa: F821
negative = neg  # noqa: F821
Tensor.__abs__ = Tensor.absolute = abs  # noqa: F821
absolute = abs  # noqa: F821
arcsin, arccos, arctan = asin, acos, atan  # noqa: F821
arcsinh, arccosh, arctanh = asinh, acosh, atanh  # noqa: F821
Tensor.arcsin, Tensor.arccos, Tensor.arctan = Tensor.asin, Tensor.acos, Tensor.atan
fix = trunc  # noqa: F821
Tensor.fix = Tensor.trunc
Tensor.__pos__ = lambda self: self


@method("round")
def round(input, *, decimals=0, out=None):
    if decimals == 0:
        return _out(_UNARY_FNS["_round"](input), out)
    scale = 10.0 ** decimals
    return _out((input * scale)._round() / scale, out)


_UNARY_FNS["_round"] = _make_unary("_round", lambda xp, x: xp.round(x) if x.dtype.kind == "f"
                                   else x.copy(), lambda g, x, y: g * 0, "", False)
Tensor._round = _UNARY_FNS["_round"]


# ---------------------------------------------------------------- casting
class ToCopy(Op):
    _name = "ToCopyBackward0"

    def forward(ctx, x, dt):
        ctx.src = D._BY_NP[x.dtype]
        return x.astype(dt.np)

    def backward(ctx, grad):
        return grad.to(ctx.src), None


def _cast(t, dt):
    if t.dtype is dt:
        return t
    if t._rg and _enabled[0] and dt.is_floating_point:
        return ToCopy.apply(t, dt)
    with np.errstate(invalid="ignore", over="ignore"):
        return _wrap(t._data.astype(dt.np))


# ---------------------------------------------------------------- ternary and clamp
class Where(Op):
    _name = "WhereBackward0"

    def forward(ctx, cond, x, y):
        ctx.cond = cond
        return np.where(cond, x, y) if cond.__class__ is _ndarray else _xp(cond).where(cond, x, y)

    def backward(ctx, grad):
        c = _wrap(ctx.cond)
        return None, where(c, grad, 0.0), where(c, 0.0, grad)


@method("where")
def _where_method(self, condition, other):
    return where(condition, self, other)


def where(condition, input=None, other=None, *, out=None):
    if input is None and other is None:
        from .index import nonzero
        return nonzero(condition, as_tuple=True)
    ref = input if isinstance(input, Tensor) else other
    if not isinstance(ref, Tensor):
        ref = _tensor_arg(input)
        input = ref
    dt = result_type(input, other)
    x, y = operand(input, dt), operand(other, dt)
    c = condition._data if isinstance(condition, Tensor) else np.asarray(condition)
    if c.dtype != np.bool_:
        c = c.astype(bool)
    return _out(Where.run((None, input, other), (c, x, y), {}), out)


class Clamp(Op):
    _name = "ClampBackward1"
    save_inputs = (0,)

    def forward(ctx, x, lo, hi):
        ctx.lo, ctx.hi = lo, hi
        xp = ctx_xp(x)
        if lo is not None and hi is not None:
            return xp.minimum(xp.maximum(x, lo), hi)
        return xp.maximum(x, lo) if lo is not None else xp.minimum(x, hi)

    def backward(ctx, grad):
        x, = ctx.saved_tensors
        keep = None
        if ctx.lo is not None:
            keep = x >= _wrap(np.asarray(ctx.lo)) if not isinstance(ctx.lo, Tensor) else x >= ctx.lo
        if ctx.hi is not None:
            k2 = x <= _wrap(np.asarray(ctx.hi))
            keep = k2 if keep is None else keep & k2
        return grad * keep, None, None


@method("clamp", "clip")
def clamp(input, min=None, max=None, *, out=None):
    if min is None and max is None:
        raise RuntimeError("torch.clamp: At least one of 'min' or 'max' must not be None")
    if isinstance(min, Tensor) or isinstance(max, Tensor):
        r = input
        if min is not None:
            r = maximum(r, min)
        if max is not None:
            r = minimum(r, max)
        if r.grad_fn is not None:
            r.grad_fn._name = "ClampBackward0"
        return _out(r, out)
    dt = result_type(input, *(v for v in (min, max) if v is not None))
    x = operand(input, dt)
    lo = None if min is None else operand(min, dt)
    hi = None if max is None else operand(max, dt)
    return _out(Clamp.run((input, None, None), (x, lo, hi), {}), out)


clip = clamp


@method("clamp_min")
def clamp_min(input, min):
    return clamp(input, min=min)


@method("clamp_max")
def clamp_max(input, max):
    return clamp(input, max=max)


@method("lerp")
def lerp(input, end, weight, *, out=None):
    r = input + weight * (end - input)
    return _out(r, out)


@method("nan_to_num")
def nan_to_num(input, nan=0.0, posinf=None, neginf=None, *, out=None):
    if not input.dtype.is_floating_point:
        return input.clone()
    fi = np.finfo(input.dtype.np)
    pos = fi.max if posinf is None else posinf
    neg_ = fi.min if neginf is None else neginf
    d = input._data
    mask = np.isfinite(d)
    r = where(_wrap(mask), input, _wrap(np.nan_to_num(d, nan=nan, posinf=pos, neginf=neg_)))
    if r.grad_fn is not None:
        r.grad_fn._name = "NanToNumBackward0"
    return _out(r, out)


for _name, _fn in (("isnan", np.isnan), ("isinf", np.isinf), ("isfinite", np.isfinite),
                   ("isposinf", np.isposinf), ("isneginf", np.isneginf),
                   ("signbit", np.signbit)):
    def _make(fn):
        def op(input):
            return _wrap(fn(input._data))
        return op
    globals()[_name] = _make(_fn)
    setattr(Tensor, _name, globals()[_name])


@method("isreal")
def isreal(input):
    return _wrap(np.isreal(input._data))


@method("conj", "conj_physical", "resolve_conj", "resolve_neg")
def conj(input):
    return input if not input.dtype.is_complex else _wrap(np.conj(input._data))


# ---------------------------------------------------------------- in-place machinery
def _out(r, out):
    if out is None:
        return r
    out.resize_(r.shape) if out.shape != r.shape else None
    out._data[...] = r._data
    out._bump()
    return out


def _inplace(self, result):
    """Writes `result` into `self` (same shape) and rebases self's history onto it."""
    if result.shape != self.shape:
        raise RuntimeError(f"output with shape {list(self.shape)} doesn't match the broadcast "
                           f"shape {list(result.shape)}")
    rd, sd = result.dtype, self.dtype
    if rd is not sd and not D.can_cast(rd, sd):
        raise RuntimeError(f"result type {rd._legacy[:-6]} can't be cast to the desired output "
                           f"type {sd._legacy[:-6]}")
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
    return self


def _binary_inplace(fn):
    def op(self, other, **kw):
        _check_inplace(self)
        if isinstance(other, Tensor) and other._data.ndim > self._data.ndim:
            r_shape = np.broadcast_shapes(self._data.shape, other._data.shape)
            if r_shape != self._data.shape:
                raise RuntimeError(f"output with shape {list(self.shape)} doesn't match the "
                                   f"broadcast shape {list(r_shape)}")
        if not (_enabled[0] and (self._rg or isinstance(other, Tensor) and other._rg)):
            r = fn(self, other, **kw)
            if r.shape != self.shape:
                raise RuntimeError(f"output with shape {list(self.shape)} doesn't match the "
                                   f"broadcast shape {list(r.shape)}")
            return _inplace(self, r)
        return _inplace(self, fn(self, other, **kw))
    return op


for _name, _fn in (("add_", add), ("sub_", sub), ("mul_", mul), ("div_", div),
                   ("pow_", pow), ("remainder_", remainder), ("fmod_", fmod),
                   ("atan2_", atan2), ("floor_divide_", floor_divide),
                   ("maximum_", maximum), ("minimum_", minimum),
                   ("bitwise_and_", bitwise_and), ("bitwise_or_", bitwise_or),
                   ("bitwise_xor_", bitwise_xor), ("logical_and_", logical_and),
                   ("logical_or_", logical_or), ("lerp_", lerp),
                   ("eq_", eq), ("ne_", ne), ("lt_", lt), ("le_", le), ("gt_", gt),
                   ("ge_", ge)):
    setattr(Tensor, _name, _binary_inplace(_fn))
for _name, _op in (("__iadd__", "add_"), ("__isub__", "sub_"), ("__imul__", "mul_"),
                   ("__itruediv__", "div_"), ("__ipow__", "pow_"), ("__imod__", "remainder_"),
                   ("__ifloordiv__", "floor_divide_"), ("__iand__", "bitwise_and_"),
                   ("__ior__", "bitwise_or_"), ("__ixor__", "bitwise_xor_")):
    setattr(Tensor, _name, getattr(Tensor, _op))
Tensor.subtract_ = Tensor.sub_
Tensor.multiply_ = Tensor.mul_
Tensor.divide_ = Tensor.true_divide_ = Tensor.div_


@method("clamp_", "clip_")
def clamp_(self, min=None, max=None):
    _check_inplace(self)
    return _inplace(self, clamp(self, min, max))


@method("nan_to_num_")
def nan_to_num_(self, nan=0.0, posinf=None, neginf=None):
    _check_inplace(self)
    return _inplace(self, nan_to_num(self, nan, posinf, neginf))


@method("zero_")
def zero_(self):
    _check_inplace(self)
    self._data[...] = 0
    self._bump()
    return self


@method("fill_")
def fill_(self, value):
    _check_inplace(self)
    if isinstance(value, Tensor):
        if value._data.ndim:
            raise RuntimeError("fill_ only supports 0-dimension value tensor but got tensor "
                               f"with {value._data.ndim} dimensions.")
        value = value.item()
    self._data[...] = value
    self._bump()
    return self


@method("copy_")
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
    if _enabled[0] and src._rg:
        r = src.to(self.dtype).expand(self.shape) + self.detach() * 0
        if r.grad_fn is not None:
            r.grad_fn._name = "CopyBackwards"
        return _inplace(self, r)
    from .._device import to_device
    data = src._data if src.device == self.device else to_device(src._data, self.device)
    with np.errstate(invalid="ignore", over="ignore"):
        self._data[...] = data
    self._bump()
    return self
