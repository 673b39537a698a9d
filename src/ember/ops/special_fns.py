"""torch.special's Bessel functions, erfcx, log_ndtr, ndtri, i0e / i1 / i1e, zeta, the
incomplete gamma functions (also torch.igamma / igammac and their Tensor methods) and the
orthogonal polynomials.

Values. The Bessel functions, erfcx, log_ndtr, ndtri, i0e, i1e, zeta and the incomplete gamma
functions come from SciPy's `scipy.special` (on cuda, `cupyx.scipy.special`), the optional extra
`pip install ember[special]`, imported the first time one of them runs: their algorithms are
Cephes' (and the Faddeeva package's erfcx), which torch's kernels port too. SciPy evaluates in
float64 and the result is rounded to the input's type; torch evaluates float32 in float32, so
float32 values can differ from torch's in the last bits. spherical_bessel_j0 and the
polynomials are torch's own short kernels, in the input's type (_orthopoly.py); i1 is ember's
(ops/_gamma.py, also i0's gradient).

dtypes are torch's: integer and bool inputs compute in the default float type; complex inputs,
and float16 / bfloat16 except for i0e, i1, i1e and the incomplete gamma functions, raise torch's
"not implemented for" error. The incomplete gamma functions refuse integer inputs as torch's do.

Gradients are torch's formulas. The functions torch gives no derivative return results that
do not require grad, as torch's; the first argument of zeta, igamma and igammac raises torch's
NotImplementedError when backward reaches it.
"""

__all__ = ["airy_ai", "bessel_j0", "bessel_j1", "bessel_y0", "bessel_y1", "modified_bessel_i0",
           "modified_bessel_i1", "modified_bessel_k0", "modified_bessel_k1",
           "scaled_modified_bessel_k0", "scaled_modified_bessel_k1", "spherical_bessel_j0",
           "erfcx", "i0e", "i1", "i1e", "log_ndtr", "ndtri", "zeta", "igamma", "igammac",
           "chebyshev_polynomial_t", "chebyshev_polynomial_u", "chebyshev_polynomial_v",
           "chebyshev_polynomial_w", "shifted_chebyshev_polynomial_t",
           "shifted_chebyshev_polynomial_u", "shifted_chebyshev_polynomial_v",
           "shifted_chebyshev_polynomial_w", "hermite_polynomial_h", "hermite_polynomial_he",
           "laguerre_polynomial_l", "legendre_polynomial_p"]

import math

import numpy as np

from .. import _dtype as D
from .._device import array_module
from .._tensor import Tensor, _wrap
from ..autograd import forward_ad as _fwd
from ..autograd.function import Op
from . import _orthopoly
from ._util import operand, result_type
from .inplace import _out
from .pointwise import _binary, _cast
from .ternary import where
from .unary import _I1, _eps

_EXTRA = ("torch.special.{} is computed with SciPy, which is not installed: "
          "pip install ember[special]")
_SCALARS = (bool, int, float)


def _scipy(xp, name):
    try:
        if xp is np:
            import scipy.special as s
        else:
            import cupyx.scipy.special as s
    except ImportError:
        raise ImportError(_EXTRA.format(name)) from None
    return s


def _not_implemented(kernel, dt):
    return NotImplementedError(f'"{kernel}_cpu" not implemented for \'{dt._legacy[:-6]}\'')


def _must_be_tensor(a, api, arg, pos):
    if not isinstance(a, Tensor):
        raise TypeError(f"{api}(): argument '{arg}' (position {pos}) must be Tensor, not "
                        f"{type(a).__name__}")


def _floating(input, kernel, half=False):
    """`input` in the float type the kernel computes in, or torch's error for its dtype."""
    _must_be_tensor(input, f"special_{kernel}", "input", 1)
    dt = input.dtype
    if dt.is_complex or not half and dt in (D.float16, D.bfloat16):
        raise _not_implemented(kernel, dt)
    return input if dt.is_floating_point else _cast(input, D.get_default_dtype())


def _scipy_eval(name, f, *arrays):
    """SciPy's `f` (a name in scipy.special, or a function of the module and the arrays) in
    float64, rounded to the first array's type."""
    x = arrays[0]
    s = _scipy(array_module(x), name)
    wide = [a.astype(np.float64) for a in arrays]
    with np.errstate(all="ignore"):  # (a result beyond float32's range rounds to inf)
        r = getattr(s, f)(*wide) if isinstance(f, str) else f(s, *wide)
        return r.astype(x.dtype)


def _spherical_j0(x):
    """torch's kernel: 0 at +-inf, its Taylor polynomial below |x| = 0.5, sin(x) / x above."""
    t = x.dtype.type
    x2 = x * x
    series = t(1) + x2 * (t(-1) / t(6) + x2 * (t(1) / t(120) + x2 * (t(-1) / t(5040) + x2 * (
        t(1) / t(362880) + x2 * (t(-1) / t(39916800) + x2 * (t(1) / t(6227020800)))))))
    with np.errstate(all="ignore"):
        r = np.where(abs(x) < t(0.5), series, np.sin(x) / x)
    return np.where(np.isinf(x), t(0), r)


def _plain(name, compute):
    """A torch.special function without a derivative: its result never requires grad."""
    api = f"special_{name}"

    def fn(input, *, out=None):
        r = _wrap(compute(_floating(input, name)._data))
        return r if out is None else _out(r, out, api, (input,), grad=False)
    fn.__name__ = fn.__qualname__ = name
    return fn


def _from_scipy(name, f):
    return _plain(name, lambda x: _scipy_eval(name, f, x))


airy_ai = _from_scipy("airy_ai", lambda s, x: s.airy(x)[0])
bessel_j0 = _from_scipy("bessel_j0", "j0")
bessel_j1 = _from_scipy("bessel_j1", "j1")
bessel_y0 = _from_scipy("bessel_y0", "y0")
bessel_y1 = _from_scipy("bessel_y1", "y1")
modified_bessel_i0 = _from_scipy("modified_bessel_i0", "i0")
modified_bessel_i1 = _from_scipy("modified_bessel_i1", "i1")
modified_bessel_k0 = _from_scipy("modified_bessel_k0", "k0")
modified_bessel_k1 = _from_scipy("modified_bessel_k1", "k1")
scaled_modified_bessel_k0 = _from_scipy("scaled_modified_bessel_k0", "k0e")
scaled_modified_bessel_k1 = _from_scipy("scaled_modified_bessel_k1", "k1e")
spherical_bessel_j0 = _plain("spherical_bessel_j0", _spherical_j0)


# ---------------------------------------------------------------- differentiable, one input
class _Erfcx(Op):
    """exp(x^2) erfc(x); gradient (2 x erfcx(x) - 2 / sqrt(pi)) grad."""

    _name = "SpecialErfcxBackward0"
    jvp = _fwd.elementwise
    save_inputs = (0,)
    save_output = True

    def forward(ctx, x):
        return _scipy_eval("erfcx", "erfcx", x)

    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return (2.0 * x * ctx.output - 2.0 / math.sqrt(math.pi)) * grad


class _I0e(Op):
    """exp(-|x|) I0(x); gradient grad (i1e(x) - sgn(x) i0e(x))."""

    _name = "SpecialI0EBackward0"
    jvp = _fwd.elementwise
    save_inputs = (0,)
    save_output = True

    def forward(ctx, x):
        return _scipy_eval("i0e", "i0e", x)

    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * (i1e(x) - x.sgn() * ctx.output)


class _I1e(Op):
    """exp(-|x|) I1(x); torch's gradient grad (i0e(x) - i1e(x) (sgn(x) + 1 / x)), 0.5 where
    |x| is at most the type's epsilon."""

    _name = "SpecialI1EBackward0"
    jvp = _fwd.elementwise
    save_inputs = (0,)
    save_output = True

    def forward(ctx, x):
        return _scipy_eval("i1e", "i1e", x)

    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        eps = _eps(x)
        big = x.abs() > eps
        safe = where(big, x, eps)
        return grad * where(big, i0e(safe) - ctx.output * (safe.sgn() + safe.reciprocal()), 0.5)


class _LogNdtr(Op):
    """log of the standard normal CDF; gradient grad exp(-(log_ndtr(x) + x^2 / 2)) / sqrt(2 pi)."""

    _name = "SpecialLogNdtrBackward0"
    jvp = _fwd.elementwise
    save_inputs = (0,)
    save_output = True

    def forward(ctx, x):
        return _scipy_eval("log_ndtr", "log_ndtr", x)

    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad / math.sqrt(2 * math.pi) * (-(ctx.output + x.pow(2) / 2)).exp()


class _Ndtri(Op):
    """The standard normal quantile; gradient grad sqrt(2 pi) exp(ndtri(p)^2 / 2)."""

    _name = "SpecialNdtriBackward0"
    jvp = _fwd.elementwise
    save_output = True

    def forward(ctx, p):
        return _scipy_eval("ndtri", "ndtri", p)

    def backward(ctx, grad):
        return grad * math.sqrt(2 * math.pi) * (ctx.output.square() / 2).exp()


def _differentiable(name, op, half=False):
    api = f"special_{name}"

    def fn(input, *, out=None):
        r = op.apply(_floating(input, name, half))
        return r if out is None else _out(r, out, api, (input,))
    fn.__name__ = fn.__qualname__ = name
    return fn


erfcx = _differentiable("erfcx", _Erfcx)
i0e = _differentiable("i0e", _I0e, half=True)
i1 = _differentiable("i1", _I1, half=True)
i1e = _differentiable("i1e", _I1e, half=True)
log_ndtr = _differentiable("log_ndtr", _LogNdtr)
ndtri = _differentiable("ndtri", _Ndtri)


# ---------------------------------------------------------------- two inputs
def _first_not_differentiable(ctx, name):
    if ctx.needs_input_grad[0]:
        raise NotImplementedError(f"the derivative for '{name}' is not implemented.")


class _Zeta(Op):
    """The Hurwitz zeta function zeta(x, q); gradient in q: -x zeta(x + 1, q) grad."""

    _name = "SpecialZetaBackward0"
    save_inputs = (0, 1)

    def forward(ctx, x, q):
        return _scipy_eval("zeta", "zeta", x, q)

    def backward(ctx, grad):
        _first_not_differentiable(ctx, "zeta")
        x, q = ctx.saved_tensors
        return None, grad * -x * zeta(x + 1.0, q)


class _Igamma(Op):
    """The regularized lower incomplete gamma function P(a, x); gradient in x:
    exp((a - 1) log x - x - lgamma(a)) grad (igammac: its negative)."""

    _name = "IgammaBackward0"
    _scipy_name = "gammainc"
    _sign = 1.0
    save_inputs = (0, 1)

    def forward(ctx, a, x):
        return _scipy_eval(ctx._scipy_name, ctx._scipy_name, a, x)

    def backward(ctx, grad):
        _first_not_differentiable(ctx, ctx._name[:-9].lower() + ": input")
        a, x = ctx.saved_tensors
        return None, grad * (ctx._sign * ((a - 1) * x.log() - x - a.lgamma()).exp())


class _Igammac(_Igamma):
    _name = "IgammacBackward0"
    _scipy_name = "gammaincc"
    _sign = -1.0


def _invalid_pair(api, a, b, names):
    x, n = names
    return TypeError(
        f"{api}() received an invalid combination of arguments - got ({type(a).__name__}, "
        f"{type(b).__name__}), but expected one of:\n * (Tensor {x}, Tensor {n}, *, Tensor out "
        f"= None)\n * (Number {x if x == 'x' else 'self'}, Tensor {n}, *, Tensor out = None)\n"
        f" * (Tensor {x}, Number {n}, *, Tensor out = None)\n")


def _number_first(a, b, api, names):
    """torch's (Number, Tensor) overload: the Number becomes a 0-d tensor (an int one in the
    default float type); two Numbers are refused."""
    if isinstance(a, Tensor):
        return a
    if not isinstance(b, Tensor):
        raise _invalid_pair(api, a, b, names)
    from .creation import tensor
    return tensor(a, dtype=D.get_default_dtype() if isinstance(a, (bool, int)) else None)


def zeta(input, other, *, out=None):
    input = _number_first(input, other, "special_zeta", ("input", "other"))
    dt = result_type(input, other)
    if dt.is_complex or dt in (D.float16, D.bfloat16):
        raise _not_implemented("zeta", dt)
    r = _binary(_Zeta, input, other, floating=True)
    return r if out is None else _out(r, out, "special_zeta", (input, other))


def _igamma(op, api, kernel):
    def fn(input, other, *, out=None):
        _must_be_tensor(input, api, "input", 1)
        _must_be_tensor(other, api, "other", 2)
        dt = result_type(input, other)
        if not dt.is_floating_point:
            raise _not_implemented(kernel, dt)
        r = _binary(op, input, other)
        return r if out is None else _out(r, out, api, (input, other))
    return fn


igamma = _igamma(_Igamma, "igamma", "igamma")
igammac = _igamma(_Igammac, "igammac", "igammac")
igamma.__name__ = igamma.__qualname__ = "igamma"
igammac.__name__ = igammac.__qualname__ = "igammac"
gammainc = _igamma(_Igamma, "special_gammainc", "igamma")
gammaincc = _igamma(_Igammac, "special_gammaincc", "igammac")


# ---------------------------------------------------------------- orthogonal polynomials
_INT64_BOUND = 2.0 ** 63


def _polynomial(name):
    kernel, api = _orthopoly.KERNELS[name], f"special_{name}"

    def fn(input, n, *, out=None):
        input = _number_first(input, n, api, ("x", "n"))
        dt = result_type(input, n)
        if not dt.is_floating_point and not dt.is_complex:
            dt = D.get_default_dtype()
        if dt.is_complex or dt in (D.float16, D.bfloat16):
            raise _not_implemented(name, dt)
        x, m = operand(input, dt), operand(n, dt)  # torch's kernel reads n in x's type, then
        xp = array_module(x)  # truncates it to int64 (NaN, inf and overflow give a negative n)
        x, m = xp.broadcast_arrays(xp.asarray(x), xp.asarray(m))
        with np.errstate(invalid="ignore"):
            ok = xp.isfinite(m) & (abs(m) < _INT64_BOUND)
            k = xp.where(ok, xp.trunc(xp.where(ok, m, 0)), -1).astype(np.int64)
        r = kernel(xp.ascontiguousarray(x).ravel(), k.ravel()).reshape(x.shape)
        r = _wrap(r)
        return r if out is None else _out(r, out, api, (input, n), grad=False)
    fn.__name__ = fn.__qualname__ = name
    return fn


chebyshev_polynomial_t = _polynomial("chebyshev_polynomial_t")
chebyshev_polynomial_u = _polynomial("chebyshev_polynomial_u")
chebyshev_polynomial_v = _polynomial("chebyshev_polynomial_v")
chebyshev_polynomial_w = _polynomial("chebyshev_polynomial_w")
shifted_chebyshev_polynomial_t = _polynomial("shifted_chebyshev_polynomial_t")
shifted_chebyshev_polynomial_u = _polynomial("shifted_chebyshev_polynomial_u")
shifted_chebyshev_polynomial_v = _polynomial("shifted_chebyshev_polynomial_v")
shifted_chebyshev_polynomial_w = _polynomial("shifted_chebyshev_polynomial_w")
hermite_polynomial_h = _polynomial("hermite_polynomial_h")
hermite_polynomial_he = _polynomial("hermite_polynomial_he")
laguerre_polynomial_l = _polynomial("laguerre_polynomial_l")
legendre_polynomial_p = _polynomial("legendre_polynomial_p")
