"""More pointwise binary math (hypot, logaddexp, copysign, xlogy, ldexp, frexp, gcd/lcm, ...),
the fused addcmul/addcdiv, isclose/allclose, and the small products kron and dist
(cross lives with the linear algebra in decomp.py).

Operands are promoted with torch's rules through `pointwise._binary`; each op's gradient sits
beside its forward. kron and dist are compositions of primitives and get their gradient free.
"""

__all__ = ["hypot", "logaddexp", "logaddexp2", "copysign", "xlogy", "nextafter", "ldexp", "frexp",
           "heaviside", "gcd", "lcm", "addcmul", "addcdiv", "isclose", "allclose", "kron", "dist"]

import collections
import math

import numpy as np

from .. import _dtype as D
from .. import _fma
from .._tensor import Tensor, _wrap
from ..autograd import forward_ad as _fwd
from ..autograd.function import _NUMPY_ERRORS, Op, torch_error
from ._util import broadcast_error, checked, result_type
from .inplace import _CPP, _out
from .pointwise import NotDifferentiable, _binary, _cast, ctx_xp
from .reduce import _ret
from .ternary import where

_LN2 = math.log(2.0)


def _no_int(a, b, kernel, complex=True):
    dt = result_type(a, b)
    if not (dt.is_floating_point or complex and dt.is_complex):
        raise NotImplementedError(f'"{kernel}" not implemented for \'{dt._legacy[:-6]}\'')


def _only_int(a, b, kernel):
    dt = result_type(a, b)
    if dt.is_floating_point or dt.is_complex:
        raise NotImplementedError(f'"{kernel}" not implemented for \'{dt._legacy[:-6]}\'')


class Hypot(Op):
    _name = "HypotBackward0"
    jvp = _fwd.elementwise
    save_inputs = (0, 1)
    save_output = True

    def forward(ctx, x, y):
        return ctx_xp(x).hypot(x, y)

    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        r = ctx.output
        return grad * a / r, grad * b / r  # d hypot = (a, b) / hypot


class Logaddexp(Op):
    _name = "LogaddexpBackward0"
    jvp = _fwd.elementwise
    save_inputs = (0, 1)

    def forward(ctx, x, y):
        xp = ctx_xp(x)
        if x.dtype.kind != "c":
            return xp.logaddexp(x, y)
        # complex (NumPy's ufunc is real only): the larger real part factored out, as torch does
        big = x.real >= y.real
        m, n = xp.where(big, x, y), xp.where(big, y, x)
        r = m + xp.log1p(xp.exp(n - m))
        both_inf = xp.isinf(x.real) & (x == y)  # log(e^a + e^a) with a = +-inf + bi is a itself
        return xp.where(both_inf, x, r) if both_inf.any() else r

    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        return grad * (a - b).sigmoid(), grad * (b - a).sigmoid()  # softmax weights of (a, b)


class Logaddexp2(Op):
    _name = "Logaddexp2Backward0"
    jvp = _fwd.elementwise
    save_inputs = (0, 1)

    def forward(ctx, x, y):
        return ctx_xp(x).logaddexp2(x, y)

    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        return grad / (1 + (b - a).exp2()), grad / (1 + (a - b).exp2())


class Copysign(Op):
    _name = "CopysignBackward0"
    jvp = _fwd.elementwise
    save_inputs = (0,)
    save_output = True

    def forward(ctx, x, y):
        return ctx_xp(x).copysign(x, y)

    def backward(ctx, grad):
        a, = ctx.saved_tensors
        safe = where(a == 0, 1.0, a)
        # d/da: +-1 where a != 0; none for the sign source
        ratio = where(a == 0, 0.0, ctx.output / safe)  # torch's grad * ratio: -0.0 where
        return grad * ratio, grad.new_zeros(grad.shape)  # grad < 0; exact on subnormals


class Xlogy(Op):
    _name = "XlogyBackward0"
    jvp = _fwd.elementwise
    save_inputs = (0, 1)

    def forward(ctx, x, y):
        xp = ctx_xp(x)
        with np.errstate(divide="ignore", invalid="ignore"):
            r = x * xp.log(y)
        return xp.where((x == 0) & ~xp.isnan(y), x.dtype.type(0), r)

    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        # torch: xlogy(grad, y), zeroed only where x == 0 and y <= 0
        ga = (xlogy(grad, b).masked_fill((a == 0) & (b <= 0), 0)
              if isinstance(a, Tensor) else None)
        return ga, (grad * a / b if isinstance(b, Tensor) else None)  # d x log y = (log y, x/y)


class Nextafter(Op):
    _name = "NextafterBackward0"
    jvp = _fwd.elementwise
    save_inputs = (0, 1)
    in_dtype = True  # bfloat16's next value is bfloat16's, not float32's rounded back

    def forward(ctx, x, y):
        return ctx_xp(x).nextafter(x, y)

    def backward(ctx, grad):
        a, b = ctx.saved_tensors  # torch: no gradient where x == y (the result is y)
        return where(a != b, grad, 0.0), grad.new_zeros(grad.shape)


class Ldexp(Op):
    _name = "LdexpBackward0"
    jvp = _fwd.elementwise
    save_inputs = (1,)
    save_output = True

    def forward(ctx, x, e):
        return x * ctx_xp(x).exp2(e)

    def backward(ctx, grad):
        e, = ctx.saved_tensors
        return grad * e.exp2(), grad * ctx.output * _LN2  # d x 2^e = (2^e, x 2^e ln 2)


class Frexp(Op):
    _name = "FrexpBackward0"
    nondiff_outputs = (1,)

    def forward(ctx, x):
        m, e = ctx_xp(x).frexp(x)
        ctx.exponent = e
        return m, e.astype(np.int32)

    def backward(ctx, grad, _):  # x = m 2^e; torch's 2^e is exp2 of the int32 exponent, in the
        with np.errstate(over="ignore"):  # default dtype: inf (gradient 0) past float32's range
            two_e = _wrap((2.0 ** ctx.exponent).astype(D.get_default_dtype().np))
        r = grad / two_e
        return r if r.dtype is grad.dtype else r.to(grad.dtype)

    def jvp(ctx, t):
        return t / _wrap((2.0 ** ctx.exponent).astype(t.dtype.np)), None


def hypot(input, other, *, out=None):
    _no_int(input, other, "hypot_cpu")
    return _pointwise_out(_binary(Hypot, input, other), out, "hypot", input, other)


def logaddexp(input, other, *, out=None):
    _no_int(input, other, "logaddexp_cpu")
    return _pointwise_out(_binary(Logaddexp, input, other), out, "logaddexp", input, other)


def logaddexp2(input, other, *, out=None):
    _no_int(input, other, "logaddexp2_cpu", complex=False)
    return _pointwise_out(_binary(Logaddexp2, input, other), out, "logaddexp2", input, other)


def copysign(input, other, *, out=None):
    r = _binary(Copysign, input, other, floating=True)
    return _pointwise_out(r, out, "copysign", input, other)


def xlogy(input, other, *, out=None):
    if not isinstance(input, Tensor):
        from .creation import tensor
        input = tensor(input, dtype=D.get_default_dtype() if isinstance(input, int) else None)
    dt = result_type(input, other)
    if dt.is_complex:
        raise NotImplementedError(f'"xlogy_cpu" not implemented for \'{dt._legacy[:-6]}\'')
    return _pointwise_out(_binary(Xlogy, input, other, floating=True), out, "xlogy", input, other)


def nextafter(input, other, *, out=None):
    _no_int(input, other, "nextafter_cpu")
    return _pointwise_out(_binary(Nextafter, input, other), out, "nextafter", input, other)


def ldexp(input, other, *, out=None):
    dt = result_type(input, other)
    if not (dt.is_floating_point or dt.is_complex):
        dt = D.get_default_dtype()
    a, e = _cast(input, dt), _cast(other, dt)
    r = Ldexp.run((a, e), (a._data, e._data), {})
    if out is not None and not D.can_cast(r.dtype, out.dtype):
        raise RuntimeError(f"ldexp can't be cast to the desired output type "
                           f"{out.dtype._legacy[:-6]}")
    return _pointwise_out(r, out, "ldexp", input, other)


def frexp(input, *, out=None):
    if not input.dtype.is_floating_point:
        raise RuntimeError("torch.frexp() only supports floating-point dtypes")
    if out is not None:
        _frexp_dtypes(input, out)
        return _frexp_out_t(*_out(tuple(frexp(input)), out, "frexp", (input,)))
    m, e = Frexp.apply(input)
    return _frexp_t(m, e)


_frexp_t = _ret("frexp", collections.namedtuple("frexp", ["mantissa", "exponent"]))
_frexp_out_t = _ret("frexp_out", _frexp_t.__bases__[0])


def _frexp_dtypes(input, out):
    if not isinstance(out, (tuple, list)):
        raise TypeError(f"frexp(): argument 'out' must be tuple of Tensors, not "
                        f"{type(out).__name__}")
    if len(out) == 2 and out[0].dtype is not input.dtype:
        raise RuntimeError("torch.frexp() expects mantissa to have dtype "
                           f"{_CPP[input.dtype.name]} but got {_CPP[out[0].dtype.name]}")
    if len(out) == 2 and out[1].dtype is not D.int32:
        raise RuntimeError("torch.frexp() expects exponent to have int dtype but got "
                           f"{_CPP[out[1].dtype.name]}")


def heaviside(input, values, *, out=None):
    if input.dtype.is_complex or isinstance(values, Tensor) and values.dtype.is_complex:
        raise RuntimeError("heaviside is not yet implemented for complex tensors.")
    if isinstance(values, Tensor) and values.dtype is not input.dtype:
        raise RuntimeError("heaviside is not yet implemented for tensors with different dtypes.")
    r = _np_binary(input, values, _heaviside, "heaviside")
    if out is None:
        return r
    if out.dtype.is_complex:
        raise RuntimeError("heaviside is not yet implemented for complex tensors.")
    return _out(r, out, "heaviside", (input, values), "heaviside is not yet implemented for "
                "tensors with different dtypes.", grad=False)


def _heaviside(x, y):
    """torch's rule, values where x == 0 else x > 0: heaviside(NaN) is 0 (NumPy's is NaN)."""
    return np.where(x == 0, y, x > 0)


def _np_binary(a, b, ufunc, aten):
    dt = result_type(a, b)
    x = a._data.astype(dt.np, copy=False)
    y = b._data.astype(dt.np, copy=False) if isinstance(b, Tensor) else b
    try:
        r = ufunc(x, y).astype(dt.np, copy=False)
    except _NUMPY_ERRORS as e:
        raise torch_error(e, (x, y)) from None
    if a._rg or (isinstance(b, Tensor) and b._rg):
        return _Computed.run((a, b), (r, r), {"mode": None, "aten": aten})
    return _wrap(r)


class _Computed(NotDifferentiable):
    """torch's NotImplemented node around a result computed already (forward passes it on)."""

    def forward(ctx, x, y, mode, aten=None):
        ctx.aten = aten
        return x


def gcd(input, other, *, out=None):
    _only_int(input, other, "gcd_cpu")
    try:
        dt = result_type(input, other).np  # in the result's dtype: a -3 wraps to uint8's 253
        r = _wrap(np.gcd(np.asarray(input._data).astype(dt), np.asarray(other._data).astype(dt)))
    except _NUMPY_ERRORS as e:
        raise torch_error(e, (input._data, other._data)) from None
    return _pointwise_out(r, out, "gcd", input, other)


def lcm(input, other, *, out=None):
    _only_int(input, other, "lcm_cpu")
    try:
        dt = result_type(input, other).np  # in the result's dtype: a -3 wraps to uint8's 253
        r = _wrap(np.lcm(np.asarray(input._data).astype(dt), np.asarray(other._data).astype(dt)))
    except _NUMPY_ERRORS as e:
        raise torch_error(e, (input._data, other._data)) from None
    return _pointwise_out(r, out, "lcm", input, other)


def _pointwise_out(r, out, name, input, other, exact=False):
    return r if out is None else _out(r, out, name, (input, other), exact, warn=2)


# ---------------------------------------------------------------- fused multiply/divide-add
class Addcmul(Op):
    _name = "AddcmulBackward0"
    _holomorphic = True  # (complex gradients: Op._call_backward)
    jvp = _fwd.elementwise
    save_inputs = (1, 2)

    def forward(ctx, x, t1, t2, value):
        ctx.value = value
        if x.dtype == np.float16:  # torch computes half in float32, rounding once at the end
            return _half(Addcmul.forward(ctx, *_f32(x, t1, t2, value)), x.dtype)
        # torch's kernel is self + value * t1 * t2, the last multiply and the add fused
        return _fma.fma3(value * t1 if value != 1 else t1, t2, x)

    def backward(ctx, grad):
        t1, t2 = ctx.saved_tensors
        v = ctx.value
        return grad, grad * (t2 * v), grad * (t1 * v), None  # torch's order (overflow)


class Addcdiv(Op):
    _name = "AddcdivBackward0"
    _holomorphic = True  # (complex gradients: Op._call_backward)
    jvp = _fwd.elementwise
    save_inputs = (1, 2)

    def forward(ctx, x, t1, t2, value):
        ctx.value = value
        if x.dtype == np.float16:
            return _half(Addcdiv.forward(ctx, *_f32(x, t1, t2, value)), x.dtype)
        return x + (value * t1) / t2 if value != 1 else x + t1 / t2  # torch's order

    def backward(ctx, grad):
        t1, t2 = ctx.saved_tensors
        v = ctx.value
        # d(t1/t2) = (1/t2, -t1/t2^2), in torch's order: t2 * t2 may overflow or underflow
        return grad, grad * (v / t2), -grad * (v * t1 / (t2 * t2)), None


def _f32(x, t1, t2, value):
    """float16 operands and value as torch's half kernels read them: float32."""
    return x.astype(np.float32), t1.astype(np.float32), t2.astype(np.float32), np.float32(value)


def _half(r, dt):
    """A float32 result rounded to the half type dt (overflow gives inf, silently, as torch)."""
    with np.errstate(over="ignore"):
        return r.astype(dt)


def _fused(cls, input, tensor1, tensor2, value):
    dt = result_type(input, tensor1, tensor2)
    arrays = [t._data.astype(dt.np, copy=False) for t in (input, tensor1, tensor2)]
    if dt is D.bool_:
        raise NotImplementedError(f'"{cls.__name__.lower()}_cpu_out" not implemented for '
                                  "'Bool'")
    checked(value, dt, True)
    if dt is D.bfloat16 or dt is D.float16:  # torch: value as float (opmath), not rounded
        v = np.float32(value)
    elif dt.is_complex:
        v = value
    elif dt.is_floating_point:
        v = dt.np.type(value)
    else:  # value in the result's dtype, as torch's kernel: 0.5 truncates to 0, -1 wraps
        v = np.array(int(value), np.int64).astype(dt.np)[()]
    try:
        r = cls.run((input, tensor1, tensor2, None), arrays + [v], {})
    except ValueError as e:
        raise broadcast_error(arrays[1], arrays[2]) from e
    if r.grad_fn is not None:
        r.grad_fn._given = value  # torch saves the scalar as given
    return r


def addcmul(input, tensor1, tensor2, *, value=1, out=None):
    r = _fused(Addcmul, input, tensor1, tensor2, value)
    return r if out is None else _out(r, out, "addcmul", (input, tensor1, tensor2), warn=2)


def addcdiv(input, tensor1, tensor2, *, value=1, out=None):
    if not (tensor1.dtype.is_floating_point or tensor1.dtype.is_complex) and not (
            tensor2.dtype.is_floating_point or tensor2.dtype.is_complex):
        raise RuntimeError(
            "Integer division with addcdiv is no longer supported, and in a future  release "
            "addcdiv will perform a true division of tensor1 and tensor2. The historic addcdiv "
            "behavior can be implemented as (input + value * torch.trunc(tensor1 / tensor2))"
            ".to(input.dtype) for integer inputs and as (input + value * tensor1 / tensor2) for "
            "float inputs. The future addcdiv behavior is just the latter implementation: "
            "(input + value * tensor1 / tensor2), for all dtypes.")
    r = _fused(Addcdiv, input, tensor1, tensor2, value)
    return r if out is None else _out(r, out, "addcdiv", (input, tensor1, tensor2), warn=2)


# ---------------------------------------------------------------- closeness
def isclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False):
    if input.dtype is not other.dtype:
        raise RuntimeError(f"{input.dtype._legacy[:-6]} did not match {other.dtype._legacy[:-6]}")
    if not rtol >= 0:  # (NaN too)
        raise RuntimeError(f"rtol must be greater than or equal to zero, but got {rtol}")
    if not atol >= 0:
        raise RuntimeError(f"atol must be greater than or equal to zero, but got {atol}")
    x, y = input._data, other._data
    if input.dtype is D.bool_:
        return _wrap(x == y)
    xp = ctx_xp(x)
    with np.errstate(invalid="ignore", over="ignore"):
        xf, yf = (x, y) if x.dtype.kind in "fc" else (x.astype(np.float64), y.astype(np.float64))
        try:
            close = (x == y) | (xp.isfinite(xf) & xp.isfinite(yf) &
                                (xp.abs(xf - yf) <= atol + rtol * xp.abs(yf)))
        except _NUMPY_ERRORS as e:
            raise torch_error(e, (x, y)) from None
        if equal_nan and (x.dtype.kind in "fc" or x.dtype.name == "bfloat16"):
            close |= xp.isnan(xf) & xp.isnan(yf)
    return _wrap(xp.asanyarray(close))  # asany: a meta result stays meta


def allclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False):
    return isclose(input, other, rtol, atol, equal_nan).all().item()  # meta: item()'s error


# ---------------------------------------------------------------- small products
def kron(input, other, *, out=None):
    """Matches torch.kron: the outer product with each pair of dims merged."""
    for i, (name, v) in enumerate((("input", input), ("other", other))):
        if not isinstance(v, Tensor):
            raise TypeError(f"kron(): argument '{name}' (position {i + 1}) must be Tensor, not "
                            f"{type(v).__name__}")
    n = max(input.dim(), other.dim())
    a = input.reshape((1,) * (n - input.dim()) + tuple(input.shape))
    b = other.reshape((1,) * (n - other.dim()) + tuple(other.shape))
    sa = [v for s in a.shape for v in (s, 1)]
    sb = [v for s in b.shape for v in (1, s)]
    r = a.reshape(sa) * b.reshape(sb)
    r = r.reshape([x * y for x, y in zip(a.shape, b.shape)])
    return r if out is None else _out(r, out, "mul", (input, other))


def dist(input, other, p=2):
    return (input - other).norm(p)
