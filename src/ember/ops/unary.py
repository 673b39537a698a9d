"""Unary math: one line per op in `_UNARY` (forward on arrays, backward on Tensors, whether
backward reads the input x or the output y, whether an integer input is first cast to the default
float dtype), plus round (decimals), positive and nan_to_num. Every op also gets its in-place
`op_` method, which runs on a clone while recording when backward reads x.
"""

# ruff: noqa: F822 (most names below are made by _make_unary from the `_UNARY` table)
__all__ = ["polygamma", "mvlgamma", "abs", "abs_", "neg", "neg_", "exp", "exp_", "exp2", "exp2_",
           "expm1", "expm1_", "log", "log_", "log2", "log2_", "log10", "log10_", "log1p",
           "log1p_", "sqrt", "sqrt_", "rsqrt", "rsqrt_", "sin", "sin_", "cos", "cos_", "tan",
           "tan_", "asin", "asin_", "acos", "acos_", "atan", "atan_", "sinh", "sinh_", "cosh",
           "cosh_", "tanh", "tanh_", "asinh", "asinh_", "acosh", "acosh_", "atanh", "atanh_",
           "sigmoid", "sigmoid_", "relu", "relu_", "reciprocal", "reciprocal_", "erf", "erf_",
           "erfc", "erfc_", "erfinv", "sign", "sgn", "floor", "floor_", "ceil", "ceil_", "trunc",
           "trunc_", "frac", "frac_", "logit", "logit_", "lgamma", "digamma", "i0", "i0_", "sinc",
           "sinc_", "deg2rad", "deg2rad_", "rad2deg", "rad2deg_", "negative", "absolute",
           "arcsin", "arccos", "arctan", "arcsinh", "arccosh", "arctanh", "fix", "positive",
           "round", "nan_to_num", "conj", "conj_physical", "resolve_conj", "resolve_neg", "angle"]

import math

import numpy as np

from .. import _dtype as D
from .._tensor import Tensor, _check_inplace, _wrap
from ..autograd import forward_ad as _fwd
from ..autograd import grad_mode as _gm
from ..autograd.function import Op
from . import _gamma, _special
from .inplace import _cast_error, _inplace, _out, _unary_inplace
from .pointwise import _cast, _xp, ctx_xp
from .ternary import where

_ndarray = np.ndarray
_enabled = _gm._enabled


# ---------------------------------------------------------------- unary math, one line each
def _no(x, kinds, kernel):
    """Forward guard: torch has no `kernel` for these dtype kinds (returns None otherwise)."""
    if x.dtype.kind in kinds:
        raise NotImplementedError(
            f'"{kernel}" not implemented for \'{D._BY_NP[x.dtype]._legacy[:-6]}\'')


def _neg(xp, x):
    if x.dtype.kind == "b":
        raise RuntimeError("Negation, the `-` operator, on a bool tensor is not supported. If you "
                           "are trying to invert a mask, use the `~` or `logical_not()` operator "
                           "instead.")
    return xp.negative(x)


def _sign(xp, x):
    if x.dtype.kind == "b":
        return x.copy()
    s = xp.sign(x)
    return xp.nan_to_num(s, nan=0.0) if x.dtype.kind == "f" else s  # torch: sign(nan) = 0


_NO_COMPLEX_CLAMP = "clamp is not supported for complex types"


def _no_complex_sign(x):
    if x.dtype.kind == "c":
        raise NotImplementedError("Unlike NumPy, torch.sign is not intended to support complex "
                                  "numbers. Please use torch.sgn instead.")


def _relu(xp, x):
    if x.dtype.kind == "b":
        raise RuntimeError("Boolean inputs not supported for relu")
    if x.dtype.kind == "c":
        raise NotImplementedError(_NO_COMPLEX_CLAMP)
    return _special.relu(xp, x)


def _rounding(f, kernel):
    def rounded(xp, x):
        if x.dtype.kind == "c":  # (a copy would pass the complex values through unrounded)
            raise NotImplementedError(f"{kernel[:-8]} is not supported for complex inputs")
        return _no(x, "b", kernel) or (f(xp, x) if x.dtype.kind == "f" else x.copy())
    return rounded


_ZERO = lambda g, x, y: g.new_zeros(g.shape)  # noqa: E731  constant pieces: zeros (inf/nan g too)
_SQRT_PI = math.sqrt(math.pi)
_UNARY = {
    # name: (forward(xp, x), backward(grad, x, y), reads, float_only)
    "abs": (lambda xp, x: _no(x, "b", "abs_cpu") or xp.abs(x), lambda g, x, y: g * x.sgn(), "x",
            False),
    "neg": (_neg, lambda g, x, y: -g, "", False),
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
    "acosh": (lambda xp, x: xp.arccosh(x), lambda g, x, y: g * (
        (x - 1).rsqrt() * (x + 1).rsqrt() if x.dtype.is_complex else (x * x - 1).rsqrt()), "x",
        True),  # (complex: 1 / sqrt(z^2 - 1) takes the other branch where re(z) < 0)
    "atanh": (lambda xp, x: xp.arctanh(x), lambda g, x, y: g / (1 - x * x), "x", True),
    "sigmoid": (lambda xp, x: _special.sigmoid(xp, x), lambda g, x, y: g * (y * (1 - y)), "y",
                True),
    "relu": (_relu, lambda g, x, y: where(y <= 0, 0, g), "y", False),  # torch's threshold_backward
    "reciprocal": (lambda xp, x: 1 / x, lambda g, x, y: -g * (y * y), "y", True),
    "erf": (lambda xp, x: _special.erf(xp, x),
            lambda g, x, y: g * (2 / _SQRT_PI) * (-(x * x)).exp(), "x", True),
    "erfc": (lambda xp, x: _special.erfc(xp, x),
             lambda g, x, y: g * (-2 / _SQRT_PI) * (-(x * x)).exp(), "x", True),
    "erfinv": (lambda xp, x: _special.erfinv(xp, x),
               lambda g, x, y: g * (_SQRT_PI / 2) * (y * y).exp(), "y", True),
    "sign": (lambda xp, x: _no_complex_sign(x) or _sign(xp, x), _ZERO, "", False),
    "sgn": (_sign, lambda g, x, y: _dsgn(g, x), "x", False),
    "floor": (_rounding(lambda xp, x: xp.floor(x), "floor_vml_cpu"), _ZERO, "", False),
    "ceil": (_rounding(lambda xp, x: xp.ceil(x), "ceil_vml_cpu"), _ZERO, "", False),
    "trunc": (_rounding(lambda xp, x: xp.trunc(x), "trunc_vml_cpu"), _ZERO, "", False),
    "frac": (lambda xp, x: _no(x, "biuc", "frac_cpu") or x - xp.trunc(x), lambda g, x, y: g, "",
             False),
    "lgamma": (lambda xp, x: _gamma.lgamma(x), lambda g, x, y: g * x.digamma(), "x", True),
    "digamma": (lambda xp, x: _gamma.digamma(x), lambda g, x, y: g * polygamma(1, x), "x", True),
    "i0": (lambda xp, x: _no(x, "c", "i0_vml_cpu") or _gamma.i0(x),
           lambda g, x, y: g * _I1.apply(x), "x", True),
    "sinc": (lambda xp, x: _sinc(xp, x), lambda g, x, y: _dsinc(g, x), "x", True),
    "deg2rad": (lambda xp, x: x * x.dtype.type(math.pi / 180), lambda g, x, y: g * (math.pi / 180),
                "", True),
    "rad2deg": (lambda xp, x: x * x.dtype.type(180 / math.pi), lambda g, x, y: g * (180 / math.pi),
                "", True),
}
_NAMES = {"log1p": "Log1PBackward0", "deg2rad": "Deg2RadBackward0", "rad2deg": "Rad2DegBackward0"}
_UNARY_FNS = {}


def _dsgn(g, x):
    """sgn's gradient: zeros for real x; for complex x torch's SgnBackward0 (the conjugate
    Wirtinger derivative of z / |z|): (g - re(conj(g) sgn z) sgn z) / |z|, 0 where z is 0."""
    if not x.dtype.is_complex:
        return _ZERO(g, x, None)
    a, s = x.abs(), x.sgn()
    return where(a == 0, 0.0, (g - (g.conj() * s).real * s) / a)


def _sinc(xp, x):
    px = x * x.dtype.type(math.pi)
    with np.errstate(invalid="ignore", divide="ignore"):
        return xp.where(x == 0, x.dtype.type(1), xp.sin(px) / px)


def _dsinc(g, x):
    """g d sinc = g (pi x cos(pi x) - sin(pi x)) / (pi x^2), and 0 where pi x^2 is 0, in
    torch's order (pi x^2 underflows to 0 or overflows to inf in float32 as torch's does)."""
    px = x * math.pi
    sq = x * x * math.pi
    return where(sq == 0, 0.0, g * (px * px.cos() - px.sin()) / sq)


def _eps(x):
    """The machine epsilon of x's float type."""
    return float(np.finfo(x.dtype.np).eps) if x.dtype is not D.bfloat16 else 2.0 ** -7


class _I1(Op):
    """Modified Bessel I1: the derivative of i0 (torch.special.i1)."""

    _name = "SpecialI1Backward0"
    jvp = _fwd.elementwise
    save_inputs = (0,)
    save_output = True

    def forward(ctx, x):
        return _gamma.i1(x)

    def backward(ctx, grad):  # I1' = I0 - I1 / x; torch's 0.5 where |x| <= the type's eps
        x, = ctx.saved_tensors
        eps = _eps(x)
        big = x.abs() > eps
        safe = where(big, x, eps)
        return grad * where(big, safe.i0() - ctx.output * safe.reciprocal(), 0.5)


class Polygamma(Op):
    _name = "PolygammaBackward0"
    jvp = _fwd.elementwise
    save_inputs = (1,)

    def forward(ctx, n, x):
        ctx.n = n
        return _gamma.polygamma(n, x)

    def backward(ctx, grad):
        x, = ctx.saved_tensors
        return None, grad * polygamma(ctx.n + 1, x)  # d psi^(n) = psi^(n+1)


def polygamma(n, input, *, out=None):
    """Matches torch.polygamma (n >= 0)."""
    if n < 0:
        raise RuntimeError("polygamma(n, x) does not support negative n.")
    if not input.dtype.is_floating_point:
        input = _cast(input, D.get_default_dtype())
    r = Polygamma.run((None, input), (n, input._data), {})
    return r if out is None else _out(r, out, "polygamma", (input,), warn=2)


def mvlgamma(input, p, *, out=None):
    """torch.mvlgamma (torch.special.multigammaln): sum of lgamma(x - j / 2) over j < p (torch's
    order: j from p - 1 down to 0) + p (p - 1) / 4 log(pi)."""
    if input.dtype is D.bool_:
        raise RuntimeError("The input tensor may not be a boolean tensor.")
    if p < 1:
        raise RuntimeError("p has to be greater than or equal to 1")
    if not input.dtype.is_floating_point:
        input = _cast(input, D.get_default_dtype())
    from .creation import arange
    args = arange(-p * 0.5 + 0.5, 0.5, 0.5, dtype=input.dtype, device=input.device)
    r = (args + input.unsqueeze(-1)).lgamma().sum(-1) + p * (p - 1) * math.log(math.pi) * 0.25
    return r if out is None else _out(r, out, "mvlgamma", (input,))


def _mvlgamma_(self, p):
    r = mvlgamma(self, p)
    if r.dtype is not self.dtype:
        raise _cast_error(r.dtype, self.dtype)
    _check_inplace(self)
    _inplace(self, r)
    return self


def _polygamma_method(self, n):
    return polygamma(n, self)


def _polygamma_(self, n):
    _check_inplace(self)
    if not self.dtype.is_floating_point:
        raise _cast_error(D.get_default_dtype(), self.dtype)
    return _inplace(self, polygamma(n, self.clone() if self._rg and _enabled[0] else self))


# the same derivatives on arrays, for the common case of a backward that records nothing
def _relu_grad(g, y, out=None):
    """torch's threshold_backward on arrays: 0 where y <= 0, else g, inf and NaN included (a
    multiply by the mask would give inf * 0 = NaN, and drop the gradient of a NaN output). For
    float32/64 from _MASK_MIN elements it is a bit mask, as fast as the multiply; smaller
    arrays and other dtypes use where (the same bits)."""
    it = _INT_VIEW.get(g.dtype)
    if it is None or type(g) is not _ndarray or type(y) is not _ndarray or \
            y.dtype != g.dtype or g.size < _MASK_MIN:
        xp = ctx_xp(g)
        r = xp.where(y <= 0, g.dtype.type(0), g)
        if out is None:
            return r
        out[...] = r
        return out
    mask = np.add(np.less_equal(y, 0), -1, dtype=it)  # 0 where y <= 0, all ones elsewhere
    if out is None:
        out = np.empty(g.shape if g.shape == y.shape else np.broadcast_shapes(g.shape, y.shape),
                       g.dtype)
    np.bitwise_and(g.view(it), mask, out=out.view(it))
    return out


_INT_VIEW = {np.dtype(np.float32): np.int32, np.dtype(np.float64): np.int64}
_MASK_MIN = 4096  # elements from which the mask beats `where` (4x16: 5.7 -> 3.4 us; 64x128:
# 11.9 against 14.9 us)
_ARRAY_BWD = {
    "relu": lambda g, x, y: _relu_grad(g, y),
    "sigmoid": lambda g, x, y: g * ((1 - y) * y),
    "tanh": lambda g, x, y: g * (1 - y * y),
    "exp": lambda g, x, y: g * y,
}


# how torch's out= kernels differ: these require out's dtype to be the result's, logit warns
# once on resize, relu takes no out=
_OUT_EXACT = frozenset(("abs", "neg", "sign", "sgn", "floor", "ceil", "trunc", "frac"))
_FOUND = "Found dtype {out} but expected {result}"
_NOKW = {}


# complex-differentiable: their real backward formulas give torch's complex gradients through
# Op._holomorphic (abs, sgn, angle and the real-only functions are not)
_HOLOMORPHIC = frozenset(("neg", "exp", "exp2", "expm1", "log", "log2", "log10", "log1p", "sqrt",
                          "rsqrt", "sin", "cos", "tan", "asin", "acos", "atan", "sinh", "cosh",
                          "tanh", "asinh", "acosh", "atanh", "sigmoid", "reciprocal", "sinc",
                          "deg2rad", "rad2deg"))


_F16 = np.dtype(np.float16)


def _half_wide(fwd):
    """A floating op's forward; float16 computed in float32 and rounded once, as torch's
    kernels (opmath) do: composite formulas (sigmoid, rsqrt, sinc, deg2rad) rounded each step."""
    def forward(ctx, x):
        xp = np if x.__class__ is _ndarray else _xp(x)
        if x.dtype is _F16:
            return fwd(xp, x.astype(np.float32)).astype(_F16)
        return fwd(xp, x)
    return forward


# torch's refusals of a complex input (NumPy computes these, or drops the imaginary part)
_COMPLEX_REFUSED = {
    **{n: (NotImplementedError, f'"{n}_vml_cpu" not implemented for \'{{}}\'')
       for n in ("erf", "erfc", "erfinv", "lgamma")},
    "digamma": (NotImplementedError, '"digamma" not implemented for \'{}\''),
    "deg2rad": (RuntimeError, "deg2rad is not supported for complex tensors."),
    "rad2deg": (RuntimeError, "rad2deg is not supported for complex tensors."),
}


def _not_tensor(name, x):
    """torch's parser error for a non-Tensor input to a unary function."""
    if not isinstance(x, Tensor):
        kind = "numpy.ndarray" if isinstance(x, np.ndarray) else type(x).__name__
        raise TypeError(f"{name}(): argument 'input' (position 1) must be Tensor, not "
                        f"{kind}") from None


def _make_unary(name, fwd, bwd, reads, floating):
    fast = _ARRAY_BWD.get(name)
    exact = _FOUND if name in _OUT_EXACT else False
    warn = 1 if name == "logit" else 2

    def backward(ctx, g):
        x = ctx.saved_tensors[0] if reads == "x" else None
        y = ctx.output if reads == "y" else None
        own = ctx.__dict__.pop("_own", False)  # set by the engine for this call only
        if name == "sigmoid" and g.dtype is D.float16:  # torch's float16 kernel: (g (1 - y)) y
            return g * (1 - y) * y                        # in float16 (no float32 here)
        if fast is not None and not _enabled[0] and g._data.__class__ is _ndarray:
            if own and g._data.dtype == y._data.dtype:  # relu: the mask applied in place
                _relu_grad(g._data, y._data, out=g._data)  # skips a fresh output array
                return g
            return _wrap(fast(g._data, None if x is None else x._data,
                              None if y is None else y._data))
        return bwd(g, x, y)

    cls = type(name.capitalize(), (Op,), {
        "_name": _NAMES.get(name, name.capitalize() + "Backward0"),
        "save_inputs": (0,) if reads == "x" else (),
        "save_output": reads == "y",
        "_grad_inplace": name == "relu",
        "_half_opmath": name == "tanh",  # torch's tanh_backward kernel (float32 for float16)
        "_holomorphic": name in _HOLOMORPHIC,
        "forward": _half_wide(fwd) if floating else (
            lambda ctx, x: fwd(np if x.__class__ is _ndarray else _xp(x), x)),
        "backward": backward,
        "jvp": _fwd.elementwise,  # the backward's derivative times the tangent
    })

    refused = _COMPLEX_REFUSED.get(name)

    def op(input, *, out=None):
        try:
            if floating and not input.dtype.is_floating_point and not input.dtype.is_complex:
                input = _cast(input, D.get_default_dtype())
            if refused is not None and input.dtype.is_complex:
                raise refused[0](refused[1].format(input.dtype._legacy[:-6]))
            r = cls.run((input,), (input._data,), {})
        except AttributeError:  # (no cost on the way through)
            _not_tensor(name, input)
            raise
        return r if out is None else _out(r, out, name, (input,), exact, warn)

    if name == "relu":
        def op(input):  # noqa: F811 - torch.relu takes no out=
            try:
                return cls.run((input,), (input._data,), _NOKW)
            except AttributeError:
                _not_tensor(name, input)
                raise
    inplace = _unary_inplace(op, reads == "x")

    def op_(self):
        if floating and not self.dtype.is_floating_point and not self.dtype.is_complex:
            raise _cast_error(D.get_default_dtype(), self.dtype)
        if name == "abs" and self.dtype.is_complex:
            raise RuntimeError("In-place abs is not supported for complex tensors.")
        if refused is not None and self.dtype.is_complex:
            raise refused[0](refused[1].format(self.dtype._legacy[:-6]))
        if reads != "y":
            return inplace(self)
        _check_inplace(self)
        r = op(self)
        _inplace(self, r)
        node = r.grad_fn
        if node is not None:  # as torch, backward reads self: a later write to it is caught
            node._out, node._out_vc, node._out_v = self._data, self._vc, self._vc[0]
        return self
    op.__name__, op_.__name__ = name, name + "_"
    _UNARY_FNS[name], _UNARY_FNS[name + "_"] = op, op_
    return op


for _n, _spec in _UNARY.items():
    globals()[_n] = _make_unary(_n, *_spec)
    globals()[_n + "_"] = _UNARY_FNS[_n + "_"]
_ALIASES = {"negative": "neg", "absolute": "abs", "arcsin": "asin", "arccos": "acos",
            "arctan": "atan", "arcsinh": "asinh", "arccosh": "acosh", "arctanh": "atanh",
            "fix": "trunc"}
for _alias, _n in _ALIASES.items():
    globals()[_alias] = _UNARY_FNS[_n]


class Logit(Op):
    """log(x / (1 - x)), of x clamped to [eps, 1 - eps] when eps is given (no gradient where the
    clamp acts)."""

    _name = "LogitBackward0"
    jvp = _fwd.elementwise
    save_inputs = (0,)

    def forward(ctx, x, eps):
        ctx.eps = eps
        xp = np if x.__class__ is _ndarray else _xp(x)
        z = x if eps is None else xp.clip(x, x.dtype.type(eps), x.dtype.type(1 - eps))
        return xp.log(z / (1 - z))

    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        r = g / (x * (1 - x))
        if ctx.eps is not None:
            r = r.masked_fill((x < ctx.eps) | (x > 1 - ctx.eps), 0)
        else:  # torch's: NaN outside [0, 1], where the forward is NaN too
            r = r.masked_fill((x < 0) | (x > 1), math.nan)
        return r, None


def logit(input, eps=None, *, out=None):
    _not_tensor("logit", input)
    if input.dtype.is_complex:
        raise NotImplementedError(f'"logit_cpu" not implemented for '
                                  f"'{input.dtype._legacy[:-6]}'")
    if not input.dtype.is_floating_point:
        input = _cast(input, D.get_default_dtype())
    r = Logit.run((input, None), (input._data, None if eps is None else float(eps)), {})
    return r if out is None else _out(r, out, "logit", (input,), False, 1)


_logit_inplace = _unary_inplace(logit, True)


def logit_(self, eps=None):
    if not self.dtype.is_floating_point and not self.dtype.is_complex:  # (complex: logit's
        raise _cast_error(D.get_default_dtype(), self.dtype)  # refusal)
    return _logit_inplace(self, eps)


def positive(input):
    if input.dtype is D.bool_:
        raise RuntimeError("The `+` operator, on a bool tensor is not supported.")
    return input


class Round(Op):
    _name = "RoundBackward0"
    jvp = _fwd.elementwise

    def forward(ctx, x, decimals=0):
        xp = ctx_xp(x)
        if decimals == 0:
            return _no(x, "bc", "round_vml_cpu") or (xp.round(x) if x.dtype.kind == "f" else
                                                      x.copy())
        _no(x, "biuc", "round_cpu")
        ten = x.dtype.type(10.0 ** (decimals if decimals > 0 else -decimals))
        return xp.round(x * ten) / ten if decimals > 0 else xp.round(x / ten) * ten

    def backward(ctx, grad):
        return grad.new_zeros(grad.shape), None


class RoundDecimals(Round):
    _name = "RoundBackward1"


def round(input, *, decimals=0, out=None):
    if decimals == 0:
        r = Round.run((input,), (input._data,), {})
    else:
        r = RoundDecimals.run((input, None), (input._data, decimals), {})
    return r if out is None else _out(r, out, "round", (input,), _FOUND)


class NanToNum(Op):
    _name = "NanToNumBackward0"
    jvp = _fwd.elementwise

    def forward(ctx, x, nan, posinf, neginf):
        xp = ctx_xp(x)
        ctx.finite = xp.isfinite(x)
        return xp.nan_to_num(x, nan=nan, posinf=posinf, neginf=neginf)

    def backward(ctx, grad):
        return grad * _wrap(ctx.finite), None, None, None  # torch's product: -0.0 where grad < 0


def nan_to_num(input, nan=0.0, posinf=None, neginf=None, *, out=None):
    if not (input.dtype.is_floating_point or input.dtype.is_complex):  # (complex: each part)
        r = input.clone()
    else:
        if input.dtype.is_complex and input.requires_grad and _enabled[0]:
            raise RuntimeError("nan_to_num does not support automatic differentiation for "
                               "outputs with complex dtype.")
        fi = np.finfo(input.dtype.np)
        pos = fi.max if posinf is None else posinf
        low = fi.min if neginf is None else neginf
        r = NanToNum.apply(input, nan, pos, low)
    return r if out is None else _out(r, out, "nan_to_num", (input,), exact=(
        "nan_to_num: dtype of out: {out} should be same as input: {result}"))


def conj_physical(input, *, out=None):
    """torch.conj_physical: a conjugated copy (ember's conj is eager already); real tensors
    come back as they are."""
    r = conj(input)
    return r if out is None else _out(r, out, "conj_physical", (input,))


def _conj_physical_(self):
    if self.dtype.is_complex:
        _check_inplace(self)
        _inplace(self, conj(self))
    return self


def conj(input):
    """ember's conj is eager (a conjugated copy): torch's lazy conjugate bit never exists, so
    `resolve_conj`/`resolve_neg` have nothing to resolve and return their input, as torch's do
    for a tensor without the bit. Differentiable: its gradient is the gradient conjugated."""
    return input if not input.dtype.is_complex else Conj.apply(input)


class Conj(Op):
    _name = "ConjBackward0"

    def forward(ctx, x):
        return _xp(x).conj(x)

    def backward(ctx, grad):
        return grad.conj()

    def jvp(ctx, t):  # conj is real-linear: the tangent conjugated
        return t.conj()


def angle(input, *, out=None):
    """Matches torch.angle: the argument of a complex number (atan2(imag, real), in the real
    dtype); for real numbers pi where x < 0, else 0 (NaN stays NaN); integers give the default
    float dtype."""
    if not (input.dtype.is_floating_point or input.dtype.is_complex):
        input = _cast(input, D.get_default_dtype())
    r = Angle.apply(input)
    return r if out is None else _out(r, out, "angle", (input,), warn=2)


class Angle(Op):
    _name = "AngleBackward0"
    save_inputs = (0,)

    def forward(ctx, x):
        xp = _xp(x)
        if x.dtype.kind == "c":
            return xp.angle(x)
        r = xp.where(x < 0, x.dtype.type(math.pi), x.dtype.type(0))
        return xp.where(xp.isnan(x), x, r)

    def backward(ctx, grad):
        x, = ctx.saved_tensors
        if not x.dtype.is_complex:  # torch: zeros (a NaN gradient does not get through)
            return x.new_zeros(x.shape)
        # torch's angle_backward: 0 at z = 0, else grad * z / |z|^2 * i
        return where(x == 0, 0.0, ((grad * x) / x.abs().pow(2)) * 1j)


def resolve_conj(input):
    return input


def resolve_neg(input):
    return input
