"""Moments and norms: var, std, var_mean, std_mean (torch's `correction`/`unbiased` rules),
logsumexp, and norm (p-norms, Frobenius, nuclear and the infinity norms, on empty inputs as
torch). Split from reduce.py, whose helpers they share.
"""

__all__ = ["var", "std", "var_mean", "std_mean", "logsumexp", "norm"]

import math

import numpy as np

from .. import _dtype as D
from .._device import array_module as _xp
from .._dtype import F32_64 as _F32_64
from .._tensor import _wrap
from ..autograd import forward_ad as _fwd
from ..autograd import grad_mode as _gm
from ..autograd.function import Op
from ._cascade import cascade_sum as _cascade_sum
from ._util import dims
from .inplace import _out
from .reduce import _axes, _legacy_name, _unsqueeze_to, mean

_enabled = _gm._enabled
_fw = _fwd._fw


def _correction(unbiased, correction):
    if correction is not None:
        return correction
    if unbiased is None:
        return 1
    return 1 if unbiased else 0


# torch's CPU var/std accumulate in double for float32 (float for the halves) and round once:
# std([1e20, -1e20]) is 1.4e20, not inf, and std of subnormals is not 0
_WIDE = {D.float32: D.float64, D.float16: D.float32, D.bfloat16: D.float32}


def _wide_mean(input, dim, keepdim):
    """var_mean's mean, accumulated as its var (Welford in double for float32)."""
    wide = _WIDE.get(input.dtype)
    if wide is None:
        return mean(input, dim, keepdim)
    return mean(input.to(wide), dim, keepdim).to(input.dtype)


_WELFORD_MAX = 4096  # elements an output up to which float64's Welford loop runs (about 5 us an
# element: 1 ms for var(dim=1) of a (64, 256) float64 tensor)


def _layout(a, axes, keepdim):
    """(reduced axes, their element count, the result's shape) of a reduction of a."""
    red = tuple(range(a.ndim)) if axes is None else axes
    n = math.prod(a.shape[i] for i in red)
    return red, n, tuple(1 if i in red else s for i, s in enumerate(a.shape)
                         if keepdim or i not in red)


def _reproducible(a):
    return type(a) is np.ndarray and a.dtype in _F32_64 and a.size and a.flags.c_contiguous


def _welford(a, axes, keepdim, dof):
    """ATen's Welford in double over each output's elements in order (n += 1; d = x - m;
    m += d / n; m2 += d (x - m)), as (variance, mean) float64 arrays of the result's shape, for
    float64 input; None for other dtypes and layouts and above _WELFORD_MAX elements an output
    (one NumPy pass each: float32's rounding hides its difference from two passes in double,
    which cost far less)."""
    if not _reproducible(a) or a.dtype != np.float64:
        return None
    red, n, shape = _layout(a, axes, keepdim)
    if n > _WELFORD_MAX:
        return None
    rows = np.moveaxis(a, red, range(a.ndim - len(red), a.ndim)).reshape(-1, n)
    m, m2 = np.zeros(rows.shape[0]), np.zeros(rows.shape[0])
    with np.errstate(all="ignore"):
        for k in range(n):
            x = rows[:, k].astype(np.float64)
            d = x - m
            m = m + d / (k + 1)
            m2 = m2 + d * (x - m)
        var = np.divide(m2, np.float64(max(dof, 0)))
    return var.reshape(shape), m.reshape(shape)


def _exact_var(a, axes, keepdim, dof):
    """torch's CPU var/std of a float32/float64 C-contiguous array, as float64 (None where not
    reproduced). A one-element result (std_var_all): the mean as torch's mean (in the input's
    dtype), then the squared deviations taken and added in order in double. Otherwise Welford
    (`_welford`, float64)."""
    if not _reproducible(a):
        return None
    _, n, shape = _layout(a, axes, keepdim)
    if a.size != n:
        w = _welford(a, axes, keepdim, dof)
        return None if w is None else w[0]
    mu = _cascade_sum(a, None, False)
    if mu is None:
        return None
    with np.errstate(all="ignore"):
        d = a.reshape(-1).astype(np.float64) - np.float64(mu / a.dtype.type(n))
        return np.asarray(np.divide(np.add.accumulate(d * d)[-1],
                                    np.float64(max(dof, 0)))).reshape(shape)


def _moments_exact(input, axes, keepdim, c, v, m, sqrt):
    """var_mean / std_mean: torch's values (one Welford pass gives both) written into v and m,
    the results computed the usual way (their nodes keep these arrays)."""
    w = _welford(input._data, axes, keepdim, _layout(input._data, axes, keepdim)[1] - c)
    if w is None or v._data.__class__ is not np.ndarray or m._data.__class__ is not np.ndarray:
        return
    var, mu = w
    with np.errstate(all="ignore"):
        v._data[...] = np.sqrt(var) if sqrt else var
        m._data[...] = mu


def _var_untracked(input, wide, axes, keepdim, dof, exact=True):
    """The wide variance as an array when nothing is recorded (one wide copy, worked in place;
    torch's own where `_exact_var` has it, unless not `exact`: var_mean's), else None."""
    if (_enabled[0] and input._rg) or _fw[0] or type(input._data) is not np.ndarray or \
            input._data.size == 0:
        return None
    r = _exact_var(input._data, axes, keepdim, dof) if exact else None
    if r is not None or wide is None:
        return r
    with np.errstate(all="ignore"):
        w = input._data.astype(wide.np)
        w -= w.mean(axis=axes, keepdims=True)
        np.multiply(w, w, out=w)
        return np.asarray(w.sum(axis=axes, keepdims=keepdim) / builtins_max(dof, 0))


def _var_args(dim, unbiased, keepdim, correction):
    # var(x, True) is var(x, unbiased=True); var(x, 0) is var(x, dim=0)
    if isinstance(dim, bool):
        unbiased, dim = dim, None
    elif isinstance(dim, (tuple, list)) and not dim:  # torch: an empty dim list is every dim
        dim = None
    return dim, _correction(unbiased, correction), keepdim


def var(input, dim=None, unbiased=None, keepdim=False, *, correction=None, out=None):
    if out is not None:
        return _out(var(_in_out_dtype(input, dim, out), dim, unbiased, keepdim,
                        correction=correction), out)
    return _variance(input, dim, unbiased, keepdim, correction, False)


def _variance(input, dim, unbiased, keepdim, correction, keep_wide, exact=True):
    """var's value (accumulated in the wider type for float32 and the halves, then rounded
    once; with `keep_wide` left in that type, for std's square root), recorded as one
    VarBackward0 node whose backward is torch's formula in the input's dtype."""
    if not (input.dtype.is_floating_point or input.dtype.is_complex):
        raise RuntimeError("std and var only support floating point and complex dtypes")
    given = (dim, unbiased, correction)
    dim, c, keepdim = _var_args(dim, unbiased, keepdim, correction)
    axes = _axes(input, dim)
    n = input._data.size if axes is None else int(np.prod([input.shape[a] for a in axes]))
    wide = _WIDE.get(input.dtype)
    r = _var_untracked(input, wide, axes, keepdim, n - c, exact)
    if r is not None:
        if keep_wide:
            return _wrap(r)
        with np.errstate(over="ignore"):  # a variance beyond float32 is inf, silently
            return _wrap(r.astype(input.dtype.np))
    node = _enabled[0] and input._rg and not _fw[0]  # (forward AD: the composed ops' tangents)
    with _gm.set_grad_enabled(_enabled[0] and not node):
        x = input if wide is None else input.to(wide)
        mu = x.mean(axes, keepdim=True) if axes is not None else x.mean()
        dev = x - mu
        if dev.dtype.is_complex:  # |dev|^2: the variance of a complex tensor is real
            dev = dev.abs()
        r = (dev * dev).sum(axes, keepdim=keepdim) / builtins_max(n - c, 0)
        if wide is not None and not keep_wide:
            r = r.to(input.dtype)
    if node:
        value = _exact_var(input._data, axes, keepdim, n - c) if exact else None
        if value is not None:
            with np.errstate(over="ignore"):
                r = _wrap(value.astype(r._data.dtype))
        r = _Var.apply(input, r._data, axes, keepdim, n - c)
    if r.grad_fn is not None:
        r.grad_fn._name = "VarBackward0"
        r.grad_fn._given = (input, _shown_var_args(given, dim, c), keepdim)  # torch's saved
    return r


class _Var(Op):
    """The variance (computed by the caller) as torch's node: its backward is torch's
    var_backward, ((2 / dof) * grad) * (x - x.mean(dims, keepdim=True)), in x's dtype (a
    gradient from std's wider variance comes back to it exactly)."""

    _name = "VarBackward0"
    save_inputs = (0,)

    def forward(ctx, x, value, axes, keepdim, dof):
        ctx.axes, ctx.keepdim, ctx.dof = axes, keepdim, dof
        return value

    def backward(ctx, grad):
        x, = ctx.saved_tensors
        real = D.from_numpy_dtype(x._data.real.dtype) if x.dtype.is_complex else x.dtype
        if grad.dtype is not real:
            grad = grad.to(real)
        axes = ctx.axes
        g = _unsqueeze_to(grad, axes, ctx.keepdim, x.shape)
        mu = x.mean(axes, keepdim=True) if axes is not None else x.mean()
        if ctx.dof <= 0 and (axes is None or not x._data.ndim):
            # torch's var_backward without dims: 2 / dof is infinite there, and (x - mean) is
            # not applied: inf, or nan where x is its mean (inf * 0)
            bad = _wrap(np.where((x == mu)._data, np.nan, np.inf).astype(x._data.real.dtype))
            return g * bad, None, None, None, None
        k = 2.0 / ctx.dof if ctx.dof else math.copysign(math.inf, ctx.dof or 1.0)
        return (k * g) * (x - mu), None, None, None, None


def _shown_var_args(given, dim, c):
    """(dim, correction) as torch's var/std node saves them: None for what was left out."""
    g_dim, g_unbiased, g_correction = given
    shown_c = None if (g_correction is None and dim is None and
                       g_unbiased in (None, True) and g_dim in (None, True)) else c
    if dim is None:
        return None, shown_c
    return tuple(d % (1 << 64) for d in ((dim,) if isinstance(dim, int) else dim)), shown_c


def _in_out_dtype(input, dim, out):
    """torch reduces a float input along dims in a wider float out='s dtype."""
    if dim is None or isinstance(dim, bool) or not input.dtype.is_floating_point or \
            not out.dtype.is_floating_point or out.dtype.itemsize <= input.dtype.itemsize:
        return input
    return input.to(out.dtype)


def builtins_max(a, b):
    return a if a > b else b


def std(input, dim=None, unbiased=None, keepdim=False, *, correction=None, out=None):
    if out is not None:
        return _out(std(_in_out_dtype(input, dim, out), dim, unbiased, keepdim,
                        correction=correction), out)
    return _std(input, dim, unbiased, keepdim, correction)


def _std(input, dim, unbiased, keepdim, correction, exact=True):
    wide = _WIDE.get(input.dtype) if input.dtype.is_floating_point else None
    dim_, c, keep = _var_args(dim, unbiased, keepdim, correction)
    axes = _axes(input, dim_)
    n = input._data.size if axes is None else int(np.prod([input.shape[a] for a in axes]))
    r = _var_untracked(input, wide, axes, keep, n - c, exact)
    if r is not None:
        with np.errstate(over="ignore"):
            return _wrap(np.sqrt(r).astype(input.dtype.np))
    v = _variance(input, dim, unbiased, keepdim, correction, True, exact)
    r = StdSqrt.apply(v, input.dtype.np if wide is not None else None)  # rounded once
    if r.grad_fn is not None:
        r.grad_fn._given = (input,) + v.grad_fn._given[1:]  # torch's saved arguments of std
    return r


class StdSqrt(Op):
    """sqrt of the variance; torch's std gives 0, not nan, where the std is 0."""

    _name = "StdBackward0"
    save_output = True

    def forward(ctx, v, dt=None):  # dt: the input's dtype, v being the wider variance
        ctx.wide = None if dt is None else D.from_numpy_dtype(v.dtype)
        r = np.sqrt(v)
        return r if dt is None else r.astype(dt)

    def backward(ctx, grad):
        y = ctx.output
        g = (grad / (2 * y)).masked_fill(y == 0, 0)
        return (g if ctx.wide is None else g.to(ctx.wide)), None

    def jvp(ctx, t, _):  # the tangent of a wide variance gives one in the result's dtype
        y = ctx.output
        return (t / (2 * y)).masked_fill(y == 0, 0).to(y.dtype)


def var_mean(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    return _var_std_mean(False, "var_mean", input, dim, unbiased, keepdim, correction)


def _var_std_mean(sqrt, name, input, dim, unbiased, keepdim, correction):
    """torch's var_mean / std_mean: one Welford pass in its kernel (not std_var_all's two)."""
    _moments_dtype(input, name)
    d, c, _ = _var_args(dim, unbiased, keepdim, correction)
    v = (_std(input, dim, unbiased, keepdim, correction, False) if sqrt else
         _variance(input, dim, unbiased, keepdim, correction, False, False))
    m = _wide_mean(input, d, keepdim)
    if not _fw[0]:
        _moments_exact(input, _axes(input, d), keepdim, c, v, m, sqrt)
    return v, m


def _moments_dtype(input, name):
    if not (input.dtype.is_floating_point or input.dtype.is_complex):
        raise RuntimeError(f"{name} only support floating point and complex dtypes")


def std_mean(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    return _var_std_mean(True, "std_mean", input, dim, unbiased, keepdim, correction)


def logsumexp(input, dim, keepdim=False, *, out=None):
    if out is not None:
        if not (out.dtype.is_floating_point or out.dtype.is_complex):
            raise RuntimeError("logsumexp(): Expected floating point type for result tensor, but "
                               f"got: {_legacy_name(out.dtype)}")
        if input.dtype.is_floating_point and out.dtype.is_floating_point:
            input = input.to(out.dtype)  # torch sums and logs in the result's dtype
        return _out(logsumexp(input, dim, keepdim), out)
    axes = _axes(input, dim)
    if not (input.dtype.is_floating_point or input.dtype.is_complex):
        input = input.to(D.get_default_dtype())
    x = input._data
    if x.dtype.kind == "c":  # torch shifts complex values by the max of their real parts
        x = x.real
    if isinstance(x, np.ndarray):
        m = np.array(np.max(x, axis=axes, keepdims=True, initial=-np.inf))  # -inf if empty
        m[~np.isfinite(m)] = 0
    else:  # a device array: CuPy's max takes no `initial`
        xp = _xp(x)
        shape = tuple(1 if not axes or i in axes else n for i, n in enumerate(x.shape))
        m = xp.max(x, axis=axes, keepdims=True) if x.size else xp.full(shape, -np.inf, x.dtype)
        m[~xp.isfinite(m)] = 0
    m = _wrap(m)
    x = input.detach()
    r = (x - m).exp().sum(axes, keepdim=True).log() + m
    r = r if keepdim else r.squeeze(axes) if axes else r.reshape(())
    return LogSumExp.apply(input, r._data, axes, keepdim)


class LogSumExp(Op):
    """Attaches torch's logsumexp gradient, grad * exp(x - result), to the value computed above
    (not the composite's chain rule, which splits a gradient where exp(x - max) of several
    elements rounds the result to their max: torch gives each of them grad)."""

    _name = "LogsumexpBackward0"
    _holomorphic = True  # complex: grad * conj(exp(x - result)) (Op._call_backward)
    jvp = _fwd.reduction
    save_inputs = (0,)
    save_output = True

    def forward(ctx, x, r, axes, keepdim):
        ctx.axes, ctx.keepdim, ctx.in_shape = (tuple(axes) if axes else None), keepdim, x.shape
        return r

    def backward(ctx, grad):
        x, = ctx.saved_tensors
        g = _unsqueeze_to(grad, ctx.axes, ctx.keepdim, ctx.in_shape)
        y = _unsqueeze_to(ctx.output, ctx.axes, ctx.keepdim, ctx.in_shape)
        return g * (x - y).exp(), None, None, None


_F16 = np.dtype(np.float16)


class VectorNorm(Op):
    """The p-norm of a real tensor (p finite, nonzero, negative too), whose gradient is 0
    (not nan) where the norm is 0."""

    _name = "LinalgVectorNormBackward0"
    jvp = _fwd.reduction
    save_inputs = (0,)
    save_output = True

    def forward(ctx, x, p, axes, keepdim):
        ctx.p, ctx.axes, ctx.keepdim, ctx.in_shape = p, axes, keepdim, x.shape
        if x.dtype == _F16:  # torch accumulates a float16 norm in float32 (300^2 overflows)
            return VectorNorm.forward(ctx, x.astype(np.float32), p, axes, keepdim).astype(_F16)
        if p == 2:
            return np.sqrt(np.sum(x * x, axis=axes, keepdims=keepdim))
        if p == 1:
            r = norm_one(x, axes, keepdim)
            if r is not None:
                return r
        with np.errstate(divide="ignore"):  # (p < 0: a zero element makes the norm 0)
            return np.sum(np.abs(x) ** p, axis=axes, keepdims=keepdim) ** (1.0 / p)

    def backward(ctx, grad):
        (x,), y, p = ctx.saved_tensors, ctx.output, ctx.p
        grad = _unsqueeze_to(grad, ctx.axes, ctx.keepdim, ctx.in_shape)
        y = _unsqueeze_to(y, ctx.axes, ctx.keepdim, ctx.in_shape)
        if p == 2:
            return grad * (x / y).masked_fill(y == 0, 0), None, None, None  # torch's order
        if p < 1:  # (negative p too) torch's: sgn(x) |x|^(p-1) (0 at 0) * grad * |x|_p^(1-p)
            xs = x.sign() * x.abs().pow(p - 1).masked_fill(x == 0, 0)
            return xs * grad * y.pow(1 - p), None, None, None
        if p < 2:
            xs = x.sign() * x.abs().pow(p - 1)
        else:
            xs = x * x.abs().pow(p - 2)
        return xs * (grad / y.pow(p - 1)).masked_fill(y == 0, 0), None, None, None


def norm_one(x, axes, keepdim):
    """torch's 1-norm of a float32/float64 C-contiguous array: each output's |x| added in order
    in the input's dtype (its NormOneOps reduce), from 0; None for other arrays."""
    if not _reproducible(x):
        return None
    red, n, shape = _layout(x, axes, keepdim)
    rows = np.abs(np.moveaxis(x, red, range(x.ndim - len(red), x.ndim)).reshape(-1, n))
    return (np.add.accumulate(rows, axis=1)[:, -1] + x.dtype.type(0)).reshape(shape)


def check_identity(input, p, dim):
    """torch refuses a negative-order vector norm over nothing (it has no identity)."""
    if isinstance(p, str) or not p < 0 or 0 not in input._data.shape:
        return
    if dim is None:
        raise RuntimeError(f"linalg.vector_norm cannot compute the {p:g} norm on an empty tensor "
                           "because the operation does not have an identity")
    shape = input._data.shape
    for d in (dim,) if isinstance(dim, int) else dim:
        if -len(shape) <= d < len(shape) and not shape[d]:  # (torch's words run together)
            raise RuntimeError(f"linalg.vector_norm cannot compute the {p:g} norm on the "
                               f"dimension {d}because this dimension is empty and the operation "
                               "does not have an identity")


def norm(input, p="fro", dim=None, keepdim=False, out=None, dtype=None):
    check_identity(input, p, dim)
    if isinstance(p, str) and not (p == "fro" and (dim is None or isinstance(dim, int) or
                                                   len(dim) <= 2)):
        from ..linalg import matrix_norm  # torch.norm's nuclear norm, or matrix_norm's error
        return matrix_norm(input, p, list(range(input._data.ndim)) if dim is None else dim,
                           keepdim, dtype=dtype, out=out)
    if out is not None:
        return _out(norm(input, p, dim, keepdim, dtype=dtype), out, "linalg_vector_norm",
                    exact=True)
    if dtype is not None:
        input = input.to(dtype)
    if not (input.dtype.is_floating_point or input.dtype.is_complex):
        raise RuntimeError("linalg.vector_norm: Expected a floating point or complex tensor as "
                           f"input. Got {input.dtype._legacy[:-6]}")
    if isinstance(dim, int):
        dim = (dim,)
    if input.dtype.is_complex:  # every norm of a complex tensor is that of its moduli: real
        input = input.abs()
    q = 2 if p is None or p == "fro" else p
    if input.dtype.is_floating_point and not isinstance(q, str) and q != 0 and \
            -math.inf < q < math.inf:
        axes = _axes(input, dim)
        r = VectorNorm.apply(input, q, None if axes == () else axes, keepdim)
        if r.grad_fn is not None:
            r.grad_fn._given = dim  # torch saves the dims as given
    elif p == "fro" or p == 2 or p is None:
        r = (input * input).sum(dim, keepdim=keepdim).sqrt() if dim is not None else \
            (input * input).sum().sqrt()
    elif (p == math.inf or p == -math.inf) and 0 in input._data.shape:
        r = _empty_inf_norm(input, p, dim, keepdim)
    elif (p == math.inf or p == -math.inf or p == "inf") and not input.dtype.is_complex:
        a = input.detach().abs()
        v = a.amax(dim if dim is not None else (), keepdim) if p != -math.inf else \
            a.amin(dim if dim is not None else (), keepdim)
        return InfNorm.apply(input, v._data, _axes(input, dim), keepdim)
    elif p == math.inf or p == "inf":
        r = input.abs().amax(dim if dim is not None else (), keepdim)
    elif p == -math.inf:
        r = input.abs().amin(dim if dim is not None else (), keepdim)
    elif p == 0:
        with _gm.no_grad():
            c = (input != 0).to(input.dtype).sum(dim, keepdim=keepdim) if dim is not None else \
                (input != 0).to(input.dtype).sum()
        return CountNorm.apply(input, c._data)
    elif p == 1:
        r = input.abs().sum(dim, keepdim=keepdim) if dim is not None else input.abs().sum()
    else:
        s = (input.abs() ** p).sum(dim, keepdim=keepdim) if dim is not None else \
            (input.abs() ** p).sum()
        r = s ** (1.0 / p)
    if r.grad_fn is not None:
        r.grad_fn._name = "LinalgVectorNormBackward0"
    return r


class CountNorm(Op):
    """The 0-"norm" (the count of nonzeros, given): torch records the node, whose gradient is
    undefined (x.grad stays None; autograd.grad calls x unused)."""

    _name = "LinalgVectorNormBackward0"

    def forward(ctx, x, r):
        return r

    def backward(ctx, grad):
        return None, None

    def jvp(ctx, t, _):
        from .creation import zeros_like
        return zeros_like(ctx.result)


class InfNorm(Op):
    """torch's gradient of the +-inf norm (given its value): shared evenly by the elements
    whose |x| is the norm or NaN, times sign(x), so a NaN norm gives 0, not NaN."""

    _name = "LinalgVectorNormBackward0"
    jvp = _fwd.reduction
    save_inputs = (0,)
    save_output = True

    def forward(ctx, x, r, axes, keepdim):
        ctx.axes, ctx.keepdim, ctx.in_shape = axes, keepdim, x.shape
        return r

    def backward(ctx, grad):
        x, = ctx.saved_tensors
        g = _unsqueeze_to(grad, ctx.axes, ctx.keepdim, ctx.in_shape)
        y = _unsqueeze_to(ctx.output, ctx.axes, ctx.keepdim, ctx.in_shape)
        a = x.abs()
        mask = ((a == y) | a.isnan()).to(g.dtype)
        count = mask.sum() if ctx.axes is None else mask.sum(ctx.axes, keepdim=True)
        return x.sign() * ((g / count) * mask), None, None, None


def _empty_inf_norm(input, p, dim, keepdim):
    name = "inf" if p > 0 else "-inf"
    if dim is None:
        raise RuntimeError(f"linalg.vector_norm cannot compute the {name} norm on an empty tensor "
                           "because the operation does not have an identity")
    for d in dims(dim, input._data.ndim):
        if input._data.shape[d] == 0:
            raise RuntimeError(f"linalg.vector_norm cannot compute the {name} norm on the "
                               f"dimension {d}because this dimension is empty and the operation "
                               "does not have an identity")
    r = input.abs()
    return r.amax(dim, keepdim) if p > 0 else r.amin(dim, keepdim)
