"""torch.special: most of it is torch's top-level ops under SciPy's names (expit is sigmoid,
gammaln is lgamma, psi is digamma, multigammaln is mvlgamma, ...); entr, ndtr and xlog1py have
their kernels here, with torch's gradients; the Bessel functions, erfcx, log_ndtr, ndtri, i0e,
i1, i1e, zeta, gammainc / gammaincc and the orthogonal polynomials are in ops/special_fns.py
(several need SciPy: `pip install ember[special]`).
"""

import math

import numpy as np

from . import _dtype as D
from ._compat import module_getattr as _module_getattr
from .autograd import forward_ad as _fwd
from .autograd.function import Op
from .nn.functional import log_softmax, softmax  # noqa: F401  (torch.special's)
from .ops.binary import xlogy  # noqa: F401
from .ops.inplace import _out
from .ops.moments import logsumexp  # noqa: F401
from .ops.pointwise import _binary, _cast, ctx_xp
from .ops.special_fns import (  # noqa: F401
    airy_ai,
    bessel_j0,
    bessel_j1,
    bessel_y0,
    bessel_y1,
    chebyshev_polynomial_t,
    chebyshev_polynomial_u,
    chebyshev_polynomial_v,
    chebyshev_polynomial_w,
    erfcx,
    gammainc,
    gammaincc,
    hermite_polynomial_h,
    hermite_polynomial_he,
    i0e,
    i1,
    i1e,
    laguerre_polynomial_l,
    legendre_polynomial_p,
    log_ndtr,
    modified_bessel_i0,
    modified_bessel_i1,
    modified_bessel_k0,
    modified_bessel_k1,
    ndtri,
    scaled_modified_bessel_k0,
    scaled_modified_bessel_k1,
    shifted_chebyshev_polynomial_t,
    shifted_chebyshev_polynomial_u,
    shifted_chebyshev_polynomial_v,
    shifted_chebyshev_polynomial_w,
    spherical_bessel_j0,
    zeta,
)
from .ops.unary import (  # noqa: F401  (torch.special's names for these)
    digamma,
    erf,
    erfc,
    erfinv,
    exp2,
    expm1,
    i0,
    lgamma,
    log1p,
    logit,
    mvlgamma,
    polygamma,
    round,
    sigmoid,
    sinc,
)

__all__ = ["entr", "ndtr", "xlog1py", "expit", "logit", "erf", "erfc", "erfinv", "exp2",
           "expm1", "log1p", "digamma", "psi", "polygamma", "gammaln", "multigammaln", "i0",
           "sinc", "round", "softmax", "log_softmax", "logsumexp", "xlogy", "airy_ai", "bessel_j0",
           "bessel_j1", "bessel_y0", "bessel_y1", "modified_bessel_i0", "modified_bessel_i1",
           "modified_bessel_k0", "modified_bessel_k1", "scaled_modified_bessel_k0",
           "scaled_modified_bessel_k1", "spherical_bessel_j0", "erfcx", "i0e", "i1", "i1e",
           "log_ndtr", "ndtri", "zeta", "gammainc", "gammaincc", "chebyshev_polynomial_t",
           "chebyshev_polynomial_u", "chebyshev_polynomial_v", "chebyshev_polynomial_w",
           "shifted_chebyshev_polynomial_t", "shifted_chebyshev_polynomial_u",
           "shifted_chebyshev_polynomial_v", "shifted_chebyshev_polynomial_w",
           "hermite_polynomial_h", "hermite_polynomial_he", "laguerre_polynomial_l",
           "legendre_polynomial_p"]

expit, psi, gammaln, multigammaln = sigmoid, digamma, lgamma, mvlgamma
__getattr__ = _module_getattr(__name__)


def _floating(input):
    return input if input.dtype.is_floating_point else _cast(input, D.get_default_dtype())


class _Entr(Op):
    """-x log x for x > 0, 0 at 0, -inf below (NaN stays NaN); torch's gradient
    grad * -(1 + log x) everywhere (inf at 0, NaN below)."""

    _name = "SpecialEntrBackward0"
    jvp = _fwd.elementwise
    save_inputs = (0,)

    def forward(ctx, x):
        xp = ctx_xp(x)
        with np.errstate(divide="ignore", invalid="ignore"):
            r = -x * xp.log(x)
        return xp.where(x > 0, r, xp.where(x == 0, x.dtype.type(0), xp.where(
            x < 0, x.dtype.type(-np.inf), x)))

    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * -(1 + x.log())


def entr(input, *, out=None):
    r = _Entr.apply(_floating(input))
    return r if out is None else _out(r, out, "special_entr", (input,))


class _Ndtr(Op):
    """The standard normal CDF as torch computes it, (1 + erf(x / sqrt 2)) / 2 in the input's
    dtype (so float32 loses the far lower tail to cancellation, as torch's: 2.98e-7 at -5, not
    2.87e-7); gradient grad * exp(-x^2 / 2) / sqrt(2 pi)."""

    _name = "SpecialNdtrBackward0"
    jvp = _fwd.elementwise
    save_inputs = (0,)

    def forward(ctx, x):
        from .ops import _special
        t = _special.erf(ctx_xp(x), x * x.dtype.type(math.sqrt(0.5)))
        return (1 + t) * x.dtype.type(0.5)

    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * ((x * x) * -0.5).exp() * (1 / math.sqrt(2 * math.pi))


def ndtr(input, *, out=None):
    r = _Ndtr.apply(_floating(input))
    return r if out is None else _out(r, out, "special_ndtr", (input,))


class _Xlog1py(Op):
    """x log1p(y), 0 where x is 0 and y is not NaN; torch's gradients: xlog1py(grad, y) (zeroed
    where x == 0 and y <= -1) and grad x / (y + 1)."""

    _name = "SpecialXlog1PyBackward0"
    jvp = _fwd.elementwise
    save_inputs = (0, 1)

    def forward(ctx, x, y):
        xp = ctx_xp(x)
        with np.errstate(divide="ignore", invalid="ignore"):
            r = x * xp.log1p(y)
        return xp.where((x == 0) & ~xp.isnan(y), x.dtype.type(0), r)

    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        ga = xlog1py(grad, b).masked_fill((a == 0) & (b <= -1), 0) if a is not None else None
        return ga, (grad * a / (b + 1) if b is not None else None)


def xlog1py(input, other, *, out=None):
    if not hasattr(input, "dtype"):  # a Number first: torch's Scalar self overload
        from .ops.creation import tensor
        input = tensor(input, dtype=D.get_default_dtype() if isinstance(input, int) else None)
    r = _binary(_Xlog1py, input, other, floating=True)
    return r if out is None else _out(r, out, "special_xlog1py", (input, other))
