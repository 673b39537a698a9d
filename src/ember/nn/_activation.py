"""Activations for ember.nn.functional: relu and its relatives, gelu, softplus, glu, ...

A pointwise activation is one line in `_ACT`: array forward, Tensor backward (so double backward
still works), mirroring torch's kernels at the kinks; `_act` runs it out of place or in place.
The rest (prelu, glu, softsign, ...) are compositions of ember ops. Re-exported from functional.
"""

import math

import numpy as np

from .. import _dtype as D
from .._select import select as _sel
from .._tensor import _check_inplace, _dim, _wrap
from ..amp import _hook as _amp
from ..autograd import forward_ad as _fwd
from ..autograd import grad_mode as _gm
from ..autograd.function import Op
from ..ops import _special
from ..ops._util import checked
from ..ops.inplace import _inplace
from ..ops.pointwise import ctx_xp as _xp
from ..ops.ternary import where
from . import _gelu

_enabled = _gm._enabled


_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946
_K_BETA = math.sqrt(2.0) * (2.0 / math.sqrt(math.pi)) * 0.5
_K_KAPPA = 0.044715
_ONE_SIXTH = float(np.float32(1.0) / np.float32(6.0))  # torch's hardsigmoid gradient, float64 too


def _elu_fwd(xp, x, alpha, scale, in_scale):
    """torch's x > 0 ? x * scale : expm1(x * in_scale) * (alpha * scale), its coefficient a
    product in the computing dtype: expm1 keeps elu(-1e-4) exact where exp(x) - 1 cancels
    (a relative error of 2e-4 in float32) and elu(-0.0) = -0.0. torch's float expm1 (SLEEF's)
    is within an ulp and rounds as the exact value on 96.5 % of [-20, 0]; NumPy's float32
    expm1 on 84 %, so narrower types take it in float64, rounded once."""
    t = x.dtype.type if x.dtype.kind == "f" else float
    z = x * t(in_scale)
    neg = xp.expm1(z.astype(xp.float64)).astype(x.dtype) if x.dtype.itemsize < 8 else \
        xp.expm1(z)
    neg *= t(alpha) * t(scale)
    return _sel(x > 0, x * t(scale) if scale != 1 else x, neg, xp)


def _elu_bwd(g, x, alpha, scale, in_scale):
    neg = g * (in_scale * alpha * scale) * (x.clamp(max=0) * in_scale).exp()
    return where(x > 0, g * scale, neg)


def _gelu_fwd(xp, x, approximate):
    if approximate == "tanh":
        inner = _K_BETA * (x + _K_KAPPA * x * x * x)
        return 0.5 * x * (1 + xp.tanh(inner))
    if x.dtype.itemsize <= 4:  # float32 and 16-bit: torch's own float32 kernels, bit for bit
        return _gelu.gelu_fwd(xp, x)
    return x * 0.5 * (1 + _special.erf(xp, x * (1 / math.sqrt(2.0))).astype(x.dtype))


def _gelu_bwd(g, x, approximate):
    if approximate == "none" and not _enabled[0] and x._data.dtype.itemsize <= 4:
        xd = x._data  # no create_graph: torch's kernel on arrays
        return _wrap(_gelu.gelu_bwd(_xp(xd), g._data, xd).astype(xd.dtype, copy=False))
    if approximate == "tanh":
        x_sq = x * x
        t = (_K_BETA * (x + _K_KAPPA * x_sq * x)).tanh()
        right = 0.5 * x * (1 - t * t) * _K_BETA * (1 + 3 * _K_KAPPA * x_sq)
        return g * (0.5 * (1 + t) + right)
    cdf = 0.5 * (1 + (x * (1 / math.sqrt(2.0))).erf())
    pdf = (-0.5 * x * x).exp() * (1 / math.sqrt(2 * math.pi))
    return g * (cdf + x * pdf)


def _softplus_fwd(xp, x, beta, threshold):
    z = x * beta
    with np.errstate(over="ignore"):
        return _sel(z > threshold, x, xp.log1p(xp.exp(z)) / beta, xp)


def _softplus_bwd(g, x, beta, threshold):
    z = (x * beta).clamp(max=threshold).exp()
    return where(x * beta > threshold, g, g * z / (z + 1))


def _logsigmoid_fwd(xp, x):
    return xp.minimum(x, 0) - xp.log1p(xp.exp(-xp.abs(x)))


def _logsigmoid_bwd(g, x):
    neg = x < 0
    z = (-x.abs()).exp()
    return g * (neg.to(x.dtype) - where(neg, 1.0, -1.0).to(x.dtype) * (z / (1 + z)))


def _mish_fwd(xp, x):
    with np.errstate(over="ignore"):
        return x * xp.tanh(xp.log1p(xp.exp(x)))


def _mish_bwd(g, x):
    s = x.sigmoid()
    t = x.exp().log1p().tanh()
    return g * (t + x * s * (1 - t * t))


def _hardswish_fwd(xp, x):
    return x * xp.minimum(xp.maximum(x + 3, 0), 6) / 6


def _hardswish_bwd(g, x):
    return where(x <= -3, 0.0, where(x < 3, g * (x / 3 + 0.5), g))


def _leaky_relu_fwd(xp, x, s):
    """torch's x > 0 ? x : x * s. For 0 < s <= 1 that is max(x, x * s) (min for s >= 1): the
    same element in every case (-0.0, inf and NaN included), two passes instead of a select."""
    if x.dtype.kind == "f" and x.dtype.type(s) != 0:  # (inf * 0 is NaN: x > 0 keeps inf)
        if 0 < s <= 1:
            return xp.maximum(x, x * s)
        if s > 1:
            return xp.minimum(x, x * s)
    return _sel(x > 0, x, x * s, xp)


_ACT = {
    # name: (grad_fn name, forward(xp, x, *params) on arrays, backward(g, x, *params) on Tensors)
    "leaky_relu": ("LeakyReluBackward0", _leaky_relu_fwd,
                   lambda g, x, s: where(x > 0, g, g * s)),
    "elu": ("EluBackward0", _elu_fwd, _elu_bwd),
    "gelu": ("GeluBackward0", _gelu_fwd, _gelu_bwd),
    "silu": ("SiluBackward0", lambda xp, x: x * _special.sigmoid(xp, x),
             lambda g, x: g * x.sigmoid() * (1 + x * (1 - x.sigmoid()))),
    "mish": ("MishBackward0", _mish_fwd, _mish_bwd),
    "hardtanh": ("HardtanhBackward0", lambda xp, x, lo, hi: _special.clip(xp, x, lo, hi),
                 lambda g, x, lo, hi: where((x <= lo) | (x >= hi), 0.0, g)),
    "hardsigmoid": ("HardsigmoidBackward0",
                    lambda xp, x: xp.minimum(xp.maximum(x + 3, 0), 6) / 6,
                    lambda g, x: where((x > -3) & (x < 3), g * _ONE_SIXTH, 0.0)),
    "hardswish": ("HardswishBackward0", _hardswish_fwd, _hardswish_bwd),
    "softplus": ("SoftplusBackward0", _softplus_fwd, _softplus_bwd),
    "threshold": ("ThresholdBackward0", lambda xp, x, th, v: _sel(x <= th, v, x, xp),  # NaN: x
                  lambda g, x, th, v: where(x <= th, 0.0, g)),
    "logsigmoid": ("LogSigmoidBackward0", _logsigmoid_fwd, _logsigmoid_bwd),
    "hardshrink": ("HardshrinkBackward0", lambda xp, x, lam: _sel(xp.abs(x) <= lam, 0, x, xp),
                   lambda g, x, lam: where((x >= -lam) & (x <= lam), 0.0, g)),
    "softshrink": ("SoftshrinkBackward0",
                   lambda xp, x, lam: _sel(x > lam, x - lam,  # NaN stays NaN (x - x)
                                           _sel(x < -lam, x + lam, x - x, xp), xp),
                   lambda g, x, lam: where((x >= -lam) & (x <= lam), 0.0, g)),
}


def _make_act(name, grad_name, fwd, bwd):
    def forward(ctx, x, params):
        ctx.params = params
        with np.errstate(over="ignore", invalid="ignore"):
            if x.dtype == np.float16:  # torch's kernels: float32 math, one rounding
                return fwd(_xp(x), x.astype(np.float32), *params).astype(np.float16)
            return fwd(_xp(x), x, *params).astype(x.dtype, copy=False)

    def backward(ctx, grad):
        return bwd(grad, ctx.saved_tensors[0], *ctx.params)
    return type(name.title().replace("_", ""), (Op,), {
        "_name": grad_name, "save_inputs": (0,), "forward": forward, "backward": backward,
        "_half_opmath": True,  # torch's <name>_backward kernels: float32 math for float16
        "jvp": _fwd.elementwise})  # the backward's derivative times the tangent


_ACT_OPS = {name: _make_act(name, *spec) for name, spec in _ACT.items()}


_KERNELS = {"gelu": "GeluKernelImpl", "softshrink": "softshrink_check",
            "logsigmoid": "log_sigmoid_cpu"}  # torch's kernel names, for its dtype error


def _act(name, input, params=(), inplace=False, given=None):
    if input.dtype.is_complex and name == "hardtanh":
        raise NotImplementedError("clamp is not supported for complex types")
    if input.dtype.is_complex and name == "silu":  # torch: forward only
        if input.requires_grad and _gm.is_grad_enabled():
            raise RuntimeError("silu does not support automatic differentiation for outputs "
                               "with complex dtype.")
        return _ACT_OPS[name].run((input,), (input._data,), {"params": params})
    if not input.dtype.is_floating_point and not (
            name in ("threshold", "hardtanh") and input.dtype is not D.bool_
            and not input.dtype.is_complex):
        kernel = _KERNELS.get(name, f"{name}_cpu")
        raise NotImplementedError(f"\"{kernel}\" not implemented for "
                                  f"'{input.dtype._legacy[:-6]}'")
    if not input.dtype.is_floating_point:  # integral: torch casts the limits toward zero
        params = tuple(int(v) for v in params)
    op = _ACT_OPS[name]
    if not inplace:
        r = op.run((input,), (input._data,), {"params": params})
        if given is not None and r.grad_fn is not None:
            r.grad_fn._given = given  # torch saves the scalars as given
        return r
    _check_inplace(input)
    src = input.clone() if _enabled[0] and input._rg else input  # backward reads the original
    return _inplace(input, op.run((src,), (src._data,), {"params": params}))


def relu(input, inplace=False):
    return input.relu_() if inplace else input.relu()


def relu_(input):
    return input.relu_()


def relu6(input, inplace=False):
    return hardtanh(input, 0, 6, inplace)


def leaky_relu(input, negative_slope=0.01, inplace=False):
    return _act("leaky_relu", input, (float(negative_slope),), inplace, (negative_slope,))


def leaky_relu_(input, negative_slope=0.01):
    return leaky_relu(input, negative_slope, True)


def elu(input, alpha=1.0, inplace=False):
    return _act("elu", input, (float(alpha), 1.0, 1.0), inplace, (alpha, 1, 1))


def elu_(input, alpha=1.0):
    return elu(input, alpha, True)


def selu(input, inplace=False):
    return _act("elu", input, (_SELU_ALPHA, _SELU_SCALE, 1.0), inplace,
                (_SELU_ALPHA, _SELU_SCALE, 1))


def selu_(input):
    return selu(input, True)


def celu(input, alpha=1.0, inplace=False):
    if alpha == 0:
        raise RuntimeError("ZeroDivisionError")
    r = _act("elu", input, (float(alpha), 1.0, 1.0 / alpha), inplace, (alpha,))
    if not inplace and r.grad_fn is not None:
        r.grad_fn._name = "CeluBackward0"  # torch's own node for celu
    return r


def celu_(input, alpha=1.0):
    return celu(input, alpha, True)


def gelu(input, approximate="none"):
    if approximate not in ("none", "tanh"):
        raise RuntimeError("approximate argument must be either none or tanh.")
    return _act("gelu", input, (approximate,))


def silu(input, inplace=False):
    return _act("silu", input, (), inplace)


def mish(input, inplace=False):
    return _act("mish", input, (), inplace)


def hardtanh(input, min_val=-1.0, max_val=1.0, inplace=False):
    if min_val > max_val:
        raise ValueError("min_val cannot be greater than max_val")
    if input.dtype is D.bool_:
        raise RuntimeError("Bool inputs not supported for hardtanh")
    if input.dtype is D.uint8 and (int(min_val) < 0 or int(max_val) < 0):
        raise RuntimeError("cannot do hardtanh on an unsigned type with negative limits")
    return _act("hardtanh", input, (float(min_val), float(max_val)), inplace,
                (min_val, max_val))


def hardtanh_(input, min_val=-1.0, max_val=1.0):
    return hardtanh(input, min_val, max_val, True)


def hardsigmoid(input, inplace=False):
    return _act("hardsigmoid", input, (), inplace)


def hardswish(input, inplace=False):
    return _act("hardswish", input, (), inplace)


def softplus(input, beta=1, threshold=20):
    return _act("softplus", input, (float(beta), float(threshold)), given=(beta, threshold))


def threshold(input, threshold, value, inplace=False):
    checked(threshold, input.dtype, True), checked(value, input.dtype, True)  # torch's errors
    return _act("threshold", input, (float(threshold), float(value)), inplace)


_threshold = threshold


def threshold_(input, threshold, value):
    return _threshold(input, threshold, value, True)


def logsigmoid(input):
    return _act("logsigmoid", input)


def hardshrink(input, lambd=0.5):
    return _act("hardshrink", input, (float(lambd),))


def softshrink(input, lambd=0.5):
    return _act("softshrink", input, (float(lambd),))


def sigmoid(input):
    return input.sigmoid()


def tanh(input):
    return input.tanh()


def softsign(input):
    return input / (input.abs() + 1)


def tanhshrink(input):
    return input - input.tanh()


def prelu(input, weight):
    """Matches torch.nn.functional.prelu: x if x > 0 else weight[channel] * x."""
    if _amp.on and _amp.active():
        return _amp.lower(prelu, input, weight)
    w = weight
    if input.dim() >= 2 and weight.numel() > 1:
        w = weight.reshape((1, -1) + (1,) * (input.dim() - 2))
    return where(input > 0, input, w * input)


def rrelu(input, lower=1.0 / 8, upper=1.0 / 3, training=False, inplace=False):
    """Matches torch.nn.functional.rrelu: in training each x <= 0 is scaled by a slope drawn
    uniformly from [lower, upper) (torch's draws: one double per such element, in order); in
    eval, a leaky relu of the mean slope."""
    if not training:
        return leaky_relu(input, (lower + upper) / 2, inplace)
    from .._random import default_generator
    x = input._data
    dt = x.dtype
    # torch's bounds are the kernel's opmath scalars (float for float32), drawn in double
    lo, hi = (float(dt.type(lower)), float(dt.type(upper))) if dt.itemsize >= 4 else (
        float(np.float32(lower)), float(np.float32(upper)))
    neg = x <= 0
    slopes = default_generator.uniform53(int(neg.sum())) * (hi - lo) + lo
    noise = np.ones(x.shape, dt)
    noise[neg] = slopes.astype(np.float32 if dt.itemsize < 4 else dt)
    from .._tensor import _wrap
    out = input.mul_(_wrap(noise)) if inplace else input * _wrap(noise)
    if out.grad_fn is not None:
        out.grad_fn._name = "RreluWithNoiseBackward0"
    return out


def rrelu_(input, lower=1.0 / 8, upper=1.0 / 3, training=False):
    """Matches torch.nn.functional.rrelu_: rrelu in place."""
    _fwd.refuse("rrelu_with_noise_", input, listed=False)
    return rrelu(input, lower, upper, training, True)


def glu(input, dim=-1):
    """Matches torch.nn.functional.glu: first half * sigmoid(second half) along dim."""
    if input.dim() == 0:
        raise RuntimeError("glu does not support scalars because halving size must be even")
    n = input.shape[_dim(dim, input.dim())]
    if n % 2:
        raise RuntimeError(f"Halving dimension must be even, but dimension "
                           f"{dim % input.dim()} is size {n}")
    a, b = input.chunk(2, dim)
    return a * b.sigmoid()
