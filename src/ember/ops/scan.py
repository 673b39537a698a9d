"""Scans along a dim: cumsum, cumprod, cummax and cummin (values and indices), logcumsumexp,
diff, and the in-place cumsum_/cumprod_. Each primitive's gradient is written beside its
forward.
"""

__all__ = ["cumsum", "cumprod", "cummax", "cummin", "logcumsumexp", "diff"]

import numpy as np

from .. import _dtype as D
from .._tensor import _dim, _wrap
from ..autograd import forward_ad as _fwd
from ..autograd.function import Op
from ._util import no_complex
from .inplace import _out
from .reduce import _acc_dtype, _legacy_name, _ret, _tuple_out, cat_

_fw = _fwd._fw
_cummin_t = _ret("cummin")


class Cummin(Op):
    _name = "CumminBackward0"
    nondiff_outputs = (1,)
    _running = np.minimum

    def forward(ctx, x, d):
        ctx.shape, ctx.d = x.shape, d
        if x.ndim == 0:
            ctx.idx = np.zeros((), np.int64)
            return x.copy(), ctx.idx
        v = ctx._running.accumulate(x, axis=d)  # NaN propagates, as in torch
        pos = np.arange(x.shape[d]).reshape([-1] + [1] * (x.ndim - d - 1))
        hit = (x == v) | (np.isnan(x) & np.isnan(v)) if x.dtype.kind in "fc" else x == v
        ctx.idx = np.maximum.accumulate(np.where(hit, pos, 0), axis=d).astype(np.int64)
        return v, ctx.idx  # ties and NaNs take the last position, as torch's kernel

    def jvp(ctx, t, _):  # the tangent at each running minimum's source
        return (t.gather(ctx.d, _wrap(ctx.idx)) if t.dim() else t), None

    def backward(ctx, grad, _):
        if grad.dim() == 0:
            return grad, None
        from .creation import zeros
        z = zeros(ctx.shape, dtype=grad.dtype)
        return z.scatter_add(ctx.d, _wrap(ctx.idx), grad), None  # each value's grad to its source


def cummin(input, dim, *, out=None):
    no_complex(input, "cummin_cpu")
    if out is not None:
        return _tuple_out(cummin(input, dim), out, "cummin", _scan_dtypes(input))
    d = _dim(dim, input.dim())
    v, i = Cummin.apply(input, d)
    return _cummin_t(v, i)


class Logcumsumexp(Op):
    _name = "LogcumsumexpBackward0"
    save_inputs = (0,)
    save_output = True

    def forward(ctx, x, d):
        ctx.d = d
        if not x.ndim:
            return x.copy()
        r = np.logaddexp.accumulate(x, axis=d)
        if r.dtype.kind == "f":
            r += 0.0  # torch starts at -inf and adds x0 + log1p(0): never -0.0
        return r

    def jvp(ctx, t, _):
        x, = ctx.saved_tensors
        if t.dim() == 0:
            return t
        # sum_{j<=i} t_j e^x_j / sum_{j<=i} e^x_j, scaled by the dim's max and with torch's
        # 1e-13 guard (so, as torch's, a prefix far below the max underflows to 0)
        d = ctx.d
        e = (x - x.amax(d, keepdim=True)).exp()
        return (e * t).cumsum(d) / (e.cumsum(d) + 1e-13)

    def backward(ctx, grad):
        x, = ctx.saved_tensors
        if grad.dim() == 0:
            return grad, None
        d, y = ctx.d, ctx.output
        # sum_{j>=i} g_j exp(x_i - y_j), split by the sign of g so each part is a stable
        # reversed logcumsumexp of log|g| - y
        log_g = grad.abs().log()
        ninf = float("-inf")
        pos = (log_g.where(grad > 0, ninf) - y).flip(d).logcumsumexp(d).flip(d)
        neg = (log_g.where(grad < 0, ninf) - y).flip(d).logcumsumexp(d).flip(d)
        return (pos + x).exp() - (neg + x).exp(), None


def logcumsumexp(input, dim, *, out=None):
    if out is not None:
        if out.dtype is not input.dtype:
            raise RuntimeError(f"expected scalar_type {_legacy_name(input.dtype)} but found "
                               f"{_legacy_name(out.dtype)}")
        return _out(logcumsumexp(input, dim), out, inputs=(input,))
    if not input.dtype.is_floating_point and not input.dtype.is_complex:
        raise NotImplementedError("\"logcumsumexp_out_cpu\" not implemented for "
                                  f"'{input.dtype._legacy[:-6]}'")
    return Logcumsumexp.apply(input, _dim(dim, input.dim()))


def diff(input, n=1, dim=-1, prepend=None, append=None, *, out=None):
    if out is not None:
        return _out(diff(input, n, dim, prepend, append), out, inputs=(input,), warn=2)
    if input.dim() == 0:
        raise RuntimeError("diff expects input to be at least one-dimensional")
    if n < 0:
        raise RuntimeError(f"order must be non-negative but got {n}")
    d = _dim(dim, input.dim())
    parts = [t for t in (prepend, input, append) if t is not None]
    if len(parts) > 1:
        from .rearrange import cat
        parts = [p if p.dim() else p.expand(*input.shape[:d], 1, *input.shape[d + 1:])
                 for p in parts]
        input = cat(parts, d)
    for _ in range(n):
        m = input.shape[d]
        if m == 0:
            break
        hi, lo = input.narrow(d, 1, m - 1), input.narrow(d, 0, m - 1)
        input = hi ^ lo if input.dtype.name == "bool" else hi - lo
    return input


# torch's CPU scans accumulate in at::acc_type (double for float32, float for float16),
# rounding each output once
_WIDE = {np.dtype(np.float16): np.float32, np.dtype(np.float32): np.float64,
         np.dtype(np.complex64): np.complex128}


def _scan(fn, x, d, dt):
    """cumsum / cumprod of x along d with result dtype dt (None: x's), accumulated as torch."""
    if not x.ndim:
        return x.astype(dt or x.dtype)
    out = np.dtype(dt or x.dtype)
    wide = _WIDE.get(out, out)
    with np.errstate(over="ignore", invalid="ignore"):  # inf and NaN silently, as torch
        if wide == x.dtype and wide == out:
            return fn(x, axis=d, dtype=dt)
        if type(x) is not np.ndarray:  # device and meta arrays
            return fn(x, axis=d, dtype=wide).astype(out)
        # cast first, then scan in place: the same elementwise casts and sequential sums as
        # fn(x, dtype=wide), without NumPy's (2x slower) buffered casting loop
        w = x.astype(wide)
        fn(w, axis=d, out=w)
        return w if wide == out else w.astype(out)


class Cumsum(Op):
    _name = "CumsumBackward0"
    jvp = _fwd.linear

    def forward(ctx, x, d, dt):
        ctx.d = d
        r = _scan(np.cumsum, x, d, dt)
        if r.ndim and r.dtype.kind == "f" and r.shape[d] and np.signbit(np.take(r, 0, d)).any():
            r += 0.0  # torch's sum starts at +0.0: cumsum([-0.0]) is 0.0, never -0.0
        return r

    def backward(ctx, grad):
        if grad.dim() == 0:
            return grad, None, None
        return grad.flip(ctx.d).cumsum(ctx.d).flip(ctx.d), None, None


def cumsum(input, dim, *, dtype=None, out=None):
    if out is not None:
        return _out(cumsum(input, dim, dtype=dtype or out.dtype), out, inputs=(input,),
                    exact=True)
    if dtype is D.bool_:
        raise NotImplementedError("\"cumsum_out_cpu\" not implemented for 'Bool'")
    d = _dim(dim, input._data.ndim)
    r = Cumsum.apply(input, d, _acc_dtype(input, dtype))
    if r.grad_fn is not None:
        r.grad_fn._given = dim  # torch saves the dims as given
    return r


class Cumprod(Op):
    _name = "CumprodBackward0"
    _holomorphic = True  # (complex gradients: Op._call_backward)
    save_inputs = (0,)
    save_output = True
    jvp = _fwd.transposed

    def forward(ctx, x, d, dt):
        ctx.d = d
        return _scan(np.cumprod, x, d, dt)

    def backward(ctx, grad):
        x, = ctx.saved_tensors
        if grad.dim() == 0:
            return grad, None, None
        d = ctx.d
        y = ctx.output
        if not bool((x == 0).any()):
            return (grad * y).flip(d).cumsum(d).flip(d) / x, None, None
        # with zeros, torch's rule: before the first zero the formula above (its terms from the
        # first zero on dropped); at the first zero, y_{z-1} times sum_{z<=k<z2} g_k
        # prod_{z<j<=k} x_j (up to the second zero z2); after it 0, even beside a NaN or inf
        n = x.shape[d]
        if n == 1:
            return grad, None, None
        from .ternary import where
        count = (x == 0).to(D.int64).cumsum(d)
        before = count == 0
        g = ((y * grad).masked_fill(~before, 0).flip(d).cumsum(d).flip(d) / x)
        g = g.masked_fill(~before, 0)
        first = (x == 0) & (count == 1)
        between = (count == 1) & ~first
        s = (x.masked_fill(~between, 1).cumprod(d) * grad.masked_fill(count != 1, 0)).sum(
            d, keepdim=True)
        y_prev = cat_([y.narrow(d, 0, 1).new_ones(y.narrow(d, 0, 1).shape),
                       y.narrow(d, 0, n - 1)], d)
        return where(first, s * y_prev, g), None, None


def cumprod(input, dim, *, dtype=None, out=None):
    if out is not None:
        return _out(cumprod(input, dim, dtype=dtype or out.dtype), out, inputs=(input,),
                    exact=True)
    if dtype is D.bool_:
        raise NotImplementedError("\"cumprod_out_cpu\" not implemented for 'Bool'")
    d = _dim(dim, input._data.ndim)
    r = Cumprod.apply(input, d, _acc_dtype(input, dtype))
    if r.grad_fn is not None:
        r.grad_fn._given = dim  # torch saves the dims as given
    return r


def _scan_dtypes(input):
    """cummax/cummin's own wording for an out= of the wrong dtype."""
    def check(vd, id_):
        for want, got in ((input.dtype, vd), (D.int64, id_)):
            if want is not got:
                raise RuntimeError(f"expected scalar_type {_legacy_name(want)} but found "
                                   f"{_legacy_name(got)}")
    return check


class Cummax(Cummin):
    """cummax: Cummin's rule with the running maximum (its values carry a gradient, as torch's
    CummaxBackward0: each value's gradient goes to its source)."""
    _name = "CummaxBackward0"
    _running = np.maximum


_cummax_t = _ret("cummax")


def cummax(input, dim, *, out=None):
    no_complex(input, "cummax_cpu")
    if out is not None:
        return _tuple_out(cummax(input, dim), out, "cummax", _scan_dtypes(input))
    d = _dim(dim, input.dim())
    v, i = Cummax.apply(input, d)
    return _cummax_t(v, i)
