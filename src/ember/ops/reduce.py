"""Reductions: sum, mean, prod, max/min (with indices), amax/amin, argmax/argmin, std/var,
logsumexp, norm, all/any, cumsum/cumprod, count_nonzero, median, mode.

`dim` is an int, a tuple or None everywhere; `keepdim` as torch. Backward expands the gradient
back over the reduced axes (`_unsqueeze_to`), so formulas read as the math.
"""

__all__ = ["sum", "nansum", "mean", "nanmean", "prod", "max", "min", "amax", "amin", "aminmax",
           "argmax", "argmin", "var", "std", "var_mean", "std_mean", "logsumexp", "norm", "all",
           "any", "count_nonzero", "cumsum", "cumprod", "cummax", "median", "mode"]

import collections
import math

import numpy as np

from .. import _dtype as D
from .._tensor import Tensor, _dim, _wrap
from ..amp import _hook as _amp
from ..autograd import forward_ad as _fwd
from ..autograd import grad_mode as _gm
from ..autograd.function import Op
from ._util import dims, numpy_dims
from .inplace import _cast_error, _out

_ndarray = np.ndarray
_enabled = _gm._enabled
_fw = _fwd._fw
values_indices = collections.namedtuple("values_indices", ["values", "indices"])


def _ret(name, base=values_indices):
    cls = type(name, (base,), {"__module__": "torch.return_types", "__slots__": ()})
    cls.__repr__ = lambda self: f"torch.return_types.{name}(\n" + ",\n".join(
        f"{f}={v!r}" for f, v in zip(self._fields, self)) + ")"
    return cls


_max_t, _min_t, _sort_t, _topk_t = _ret("max"), _ret("min"), _ret("sort"), _ret("topk")
_median_t, _mode_t, _kth_t = _ret("median"), _ret("mode"), _ret("kthvalue")
_aminmax_t = _ret("aminmax", collections.namedtuple("aminmax", ["min", "max"]))
_OUT_T = {}


def _tuple_out(r, out, name, check=None):
    """(values, indices) written into out=(values, indices); torch names the result type
    `<op>_out`. `check(values_dtype, indices_dtype)` raises the kernel's own dtype error."""
    if not isinstance(out, (tuple, list)):
        raise TypeError(f"{name}(): argument 'out' must be tuple of Tensors, not "
                        f"{type(out).__name__}")
    if check is not None and len(out) == 2:
        check(out[0].dtype, out[1].dtype)
    v, i = _out(tuple(r), out, name, exact=True)
    cls = _OUT_T.get(name)
    if cls is None:
        cls = _OUT_T[name] = _ret(name + "_out", r.__class__.__bases__[0])
    return cls(v, i)


def _legacy_name(dt):
    return dt._legacy[:-6]


def _unsqueeze_to(g, axes, keepdim, shape):
    """Gradient of a reduction, reshaped to broadcast against the input."""
    if axes is None:
        return g.reshape((1,) * len(shape)) if len(shape) else g
    if not keepdim:
        ks = list(g.shape)
        for a in axes:
            ks.insert(a, 1)
        g = g.reshape(ks)
    return g


def _axes(input, dim):
    """Sorted axes to reduce, None for all (also any dim of a 0-d tensor, which NumPy lacks)."""
    if dim is None or input._data.ndim == 0:
        if dim is not None:
            dims(dim, 0)  # still range-checked
        return None
    return dims(dim, input._data.ndim)


def _check_nonempty(input, axes, name, sep="():"):
    """torch's errors for a reduction without identity over an empty dim."""
    shape = input._data.shape
    if axes is None and 0 in shape:
        raise RuntimeError(f"{name}(): Expected reduction dim to be specified for input.numel() "
                           "== 0. Specify the reduction dim with the 'dim' argument.")
    for a in axes or ():
        if shape[a] == 0:
            raise IndexError(f"{name}{sep} Expected reduction dim {a} to have non-zero size.")


class Sum(Op):
    _name = "SumBackward0"
    jvp = _fwd.linear

    def forward(ctx, x, axes, keepdim, dt):
        ctx.in_shape, ctx.axes, ctx.keepdim = x.shape, axes, keepdim
        if dt is None and x.dtype == np.float16:  # torch accumulates half in float
            return x.sum(axis=axes, keepdims=keepdim, dtype=np.float32).astype(np.float16)
        if x.__class__ is _ndarray:  # the ufunc directly: ndarray.sum adds ~1 us of wrappers
            return np.add.reduce(x, axis=axes, keepdims=keepdim, dtype=dt)
        return x.sum(axis=axes, keepdims=keepdim, dtype=dt)

    def backward(ctx, grad):
        g = grad._data
        if not _enabled[0] and g.__class__ is _ndarray:  # nothing recorded: a broadcast view
            if ctx.axes is not None and not ctx.keepdim:
                g = np.expand_dims(g, ctx.axes)
            return _wrap(np.broadcast_to(g, ctx.in_shape)), None, None, None
        return _unsqueeze_to(grad, ctx.axes, ctx.keepdim, ctx.in_shape).expand(ctx.in_shape), \
            None, None, None


_NOKW = {}


def _acc_dtype(input, dtype):
    if dtype is not None:
        return dtype.np
    d = input.dtype
    if not d.is_floating_point and not d.is_complex:
        return np.int64
    return None


def sum(input, dim=None, keepdim=False, *, dtype=None, out=None, axis=None, keepdims=None):
    # spells torch's NumPy aliases itself (see _util.install_torch_args): x.sum() is hot
    if input.__class__ is not Tensor and not isinstance(input, Tensor):
        import builtins
        return builtins.sum(input) if dim is None else builtins.sum(input, dim)
    if axis is not None or keepdims is not None:
        dim, keepdim = numpy_dims("sum", dim, keepdim, axis, keepdims)
    if out is not None:  # computed in out's dtype unless dtype= names another (refused)
        return _out(sum(input, dim, keepdim, dtype=dtype or out.dtype), out, exact=True)
    if dim is None and dtype is None and input.dtype.is_floating_point and not (
            _enabled[0] and input._rg) and input._data.__class__ is _ndarray and not _fw[0] and \
            input.dtype.itemsize > 2:  # half and bfloat16 accumulate in float (Sum)
        r = np.add.reduce(input._data, axis=None, keepdims=keepdim)  # nothing to record
        return _wrap(r if keepdim or isinstance(r, np.ndarray) else np.asarray(r))
    axes = None if dim is None else _axes(input, dim)
    if axes == ():
        axes = None
    r = Sum.run((input,), (input._data, axes, keepdim, _acc_dtype(input, dtype)), _NOKW)
    if dim is not None and r.grad_fn is not None:
        r.grad_fn._name = "SumBackward1"
        r.grad_fn._dim_arg = dim  # torch saves the dims as given
    return r


def nansum(input, dim=None, keepdim=False, *, dtype=None, out=None):
    if out is not None:
        _nansum_kernel(input, out)
        return _out(nansum(input, dim, keepdim, dtype=dtype or out.dtype), out, exact=True)
    r = sum(input.masked_fill(input.isnan(), 0), dim, keepdim, dtype=dtype)
    if r.grad_fn is not None:
        r.grad_fn._name = "NansumBackward0"
    return r


class Mean(Op):
    _name = "MeanBackward0"
    jvp = _fwd.linear

    def forward(ctx, x, axes, keepdim):
        ctx.in_shape, ctx.axes, ctx.keepdim = x.shape, axes, keepdim
        n = x.size if axes is None else int(np.prod([x.shape[a] for a in axes]))
        ctx.n = n
        if n and x.dtype == np.float16:  # torch accumulates half in float
            return x.mean(axis=axes, keepdims=keepdim, dtype=np.float32).astype(np.float16)
        return x.mean(axis=axes, keepdims=keepdim, dtype=x.dtype) if n else \
            np.full(np.sum(x, axis=axes, keepdims=keepdim).shape, np.nan, x.dtype)

    def backward(ctx, grad):
        g = _unsqueeze_to(grad, ctx.axes, ctx.keepdim, ctx.in_shape)
        return (g / ctx.n).expand(ctx.in_shape), None, None


def mean(input, dim=None, keepdim=False, *, dtype=None, out=None, axis=None, keepdims=None):
    if axis is not None or keepdims is not None:  # spelled here: x.mean() is hot
        dim, keepdim = numpy_dims("mean", dim, keepdim, axis, keepdims)
    if out is not None:  # a float mean is computed in out's dtype, which it must cast to
        if dtype is None and (input.dtype.is_floating_point or input.dtype.is_complex):
            if not D.can_cast(input.dtype, out.dtype):
                raise _cast_error(input.dtype, out.dtype)
            dtype = out.dtype
        return _out(mean(input, dim, keepdim, dtype=dtype), out, exact=True)
    if dtype is not None:
        input = input.to(dtype)
    if not (input.dtype.is_floating_point or input.dtype.is_complex):
        raise RuntimeError(
            "mean(): could not infer output dtype. Input dtype must be either a floating point "
            f"or complex dtype. Got: {input.dtype._legacy[:-6]}")
    axes = _axes(input, dim)
    if axes == ():
        axes = None
    r = Mean.apply(input, axes, keepdim)
    if dim is not None and r.grad_fn is not None:
        r.grad_fn._name = "MeanBackward1"
        r.grad_fn._dim_arg = dim  # torch saves the dims as given
    return r


def _nansum_kernel(input, out):
    """A float nansum into an integer out= reaches a kernel torch does not build."""
    if (input.dtype.is_floating_point or input.dtype.is_complex) and not (
            out.dtype.is_floating_point or out.dtype.is_complex):
        raise NotImplementedError(f"\"nansum_cpu\" not implemented for "
                                  f"'{_legacy_name(out.dtype)}'")


def nanmean(input, dim=None, keepdim=False, *, dtype=None, out=None):
    if not (input.dtype.is_floating_point or input.dtype.is_complex):
        raise RuntimeError("nanmean(): expected input to have floating point or complex dtype "
                           f"but got {_legacy_name(input.dtype)}")
    if dtype is not None and not (dtype.is_floating_point or dtype.is_complex):
        raise RuntimeError("nanmean(): could not infer output dtype. Optional dtype must be "
                           f"either a floating point or complex dtype. Got: {_legacy_name(dtype)}")
    if out is not None:
        _nansum_kernel(input, out)
        return _out(nanmean(input, dim, keepdim, dtype=dtype or out.dtype), out, exact=True)
    if dtype is not None:
        input = input.to(dtype)
    keep = ~input.isnan()
    return sum(input.masked_fill(~keep, 0), dim, keepdim) / sum(keep, dim, keepdim)


class Prod(Op):
    _name = "ProdBackward0"
    jvp = _fwd.reduction
    save_inputs = (0,)
    save_output = True

    def forward(ctx, x, axis, keepdim, dt):
        ctx.in_shape, ctx.axis, ctx.keepdim = x.shape, axis, keepdim
        return x.prod(axis=axis, keepdims=keepdim, dtype=dt)

    def backward(ctx, grad):
        x, = ctx.saved_tensors
        axes = None if ctx.axis is None else (ctx.axis,)
        g = _unsqueeze_to(grad, axes, ctx.keepdim, ctx.in_shape)
        y = _unsqueeze_to(ctx.output, axes, ctx.keepdim, ctx.in_shape)
        if not bool((x == 0).any()):
            return g * y / x, None, None, None
        # with zeros: product of all the others, by exclusive cumulative products
        d = 0 if ctx.axis is None else ctx.axis
        xf = x.reshape(-1) if ctx.axis is None else x
        n = xf.shape[d]
        ones = xf.narrow(d, 0, 1) * 0 + 1
        left = cat_([ones, xf.narrow(d, 0, n - 1).cumprod(d)], d) if n > 1 else ones
        rev = xf.flip(d)
        right = cat_([ones, rev.narrow(d, 0, n - 1).cumprod(d)], d).flip(d) if n > 1 else ones
        others = (left * right).reshape(ctx.in_shape)
        return g * others, None, None, None


def cat_(ts, d):
    from .shape import cat
    return cat(ts, d)


def prod(input, dim=None, keepdim=False, *, dtype=None, out=None):
    if _amp.on and out is None and _amp.active():
        return _amp.fp32(prod, input, dim, keepdim, dtype=dtype)
    if out is not None:
        return _out(prod(input, dim, keepdim, dtype=dtype or out.dtype), out, exact=True)
    axis = None if dim is None else _dim(dim, input._data.ndim)
    r = Prod.apply(input, axis, keepdim, _acc_dtype(input, dtype))
    if dim is not None and r.grad_fn is not None:
        r.grad_fn._name = "ProdBackward1"
    return r


class MaxAll(Op):
    _name = "MaxBackward1"
    jvp = _fwd.reduction
    save_inputs = (0,)
    save_output = True

    def forward(ctx, x, is_max):
        if x.size == 0:
            raise RuntimeError(
                f"{'max' if is_max else 'min'}(): Expected reduction dim to be specified for "
                "input.numel() == 0. Specify the reduction dim with the 'dim' argument.")
        return x.max() if is_max else x.min()

    def backward(ctx, grad):
        x, = ctx.saved_tensors
        mask = (x == ctx.output)
        return grad * mask / mask.sum(), None  # ties share the gradient evenly


class MaxDim(Op):
    _name = "MaxBackward0"
    _packed_arrays = ("idx",)  # torch saves the indices as a tensor: saved-tensor hooks see it
    nondiff_outputs = (1,)

    def forward(ctx, x, d, keepdim, is_max):
        ctx.in_shape, ctx.d, ctx.keepdim = x.shape, d, keepdim
        if x.shape[d] == 0 if x.ndim else False:
            raise IndexError(f"{'max' if is_max else 'min'}(): Expected reduction dim {d} to "
                             "have non-zero size.")
        idx = _arg(x, d, is_max)
        ctx.idx = idx
        val = np.take_along_axis(x, np.expand_dims(idx, d), d) if x.ndim else x
        if not keepdim and x.ndim:
            val = val.squeeze(d)
        else:
            idx = np.expand_dims(idx, d) if x.ndim else idx
        return val, idx

    def backward(ctx, grad, _):
        from .index import _scatter_into
        if not ctx.in_shape:
            return grad, None, None, None
        idx = np.expand_dims(ctx.idx, ctx.d)
        g = grad if ctx.keepdim else grad.unsqueeze(ctx.d)
        return _scatter_into(g, ctx.in_shape, ctx.d, idx), None, None, None

    def jvp(ctx, t, *_):  # the tangent at the chosen index
        if not ctx.in_shape:
            return t, None
        v = t.gather(ctx.d, _wrap(np.expand_dims(ctx.idx, ctx.d)))
        return (v if ctx.keepdim else v.squeeze(ctx.d)), None


def _arg(x, d, is_max):
    """argmax/argmin along d; NaN wins as in torch."""
    if x.ndim == 0:
        return np.asarray(0, np.int64)
    if x.dtype.kind == "f":
        nan = np.isnan(x)
        if nan.any():
            return np.argmax(nan, axis=d).astype(np.int64)
    return (np.argmax(x, axis=d) if is_max else np.argmin(x, axis=d)).astype(np.int64)


def _maxmin(input, dim, keepdim, other, is_max):
    if isinstance(dim, Tensor) and other is None:
        from .pointwise import maximum, minimum
        return maximum(input, dim) if is_max else minimum(input, dim)
    if dim is None:
        r = MaxAll.apply(input, is_max)
        if not is_max and r.grad_fn is not None:
            r.grad_fn._name = "MinBackward1"
        return r
    d = _dim(dim, input._data.ndim)
    v, i = MaxDim.apply(input, d, keepdim, is_max)
    if v.grad_fn is not None:
        v.grad_fn._given = dim  # torch saves the dims as given
    if not is_max and v.grad_fn is not None:
        v.grad_fn._name = "MinBackward0"
    return (_max_t if is_max else _min_t)(v, i)


def _maxmin_out(input, dim, keepdim, out, is_max):
    name = "max" if is_max else "min"
    if isinstance(dim, Tensor):
        from .pointwise import maximum, minimum
        return (maximum if is_max else minimum)(input, dim, out=out)
    if dim is None:
        if not D.can_cast(input.dtype, out.dtype):
            raise RuntimeError(
                "Expected canCast( typeMetaToScalarType(self.dtype()), typeMetaToScalarType("
                "out.dtype())) to be true, but got false.  (Could this error message be "
                "improved?  If so, please report an enhancement request to PyTorch.)")
        return _out(_maxmin(input, dim, keepdim, None, is_max), out, name)
    return _tuple_out(_maxmin(input, dim, keepdim, None, is_max), out, name)


def max(input, dim=None, keepdim=False, *, out=None):
    if out is not None:
        return _maxmin_out(input, dim, keepdim, out, True)
    return _maxmin(input, dim, keepdim, None, True)


def min(input, dim=None, keepdim=False, *, out=None):
    if out is not None:
        return _maxmin_out(input, dim, keepdim, out, False)
    return _maxmin(input, dim, keepdim, None, False)


class AMax(Op):
    _name = "AmaxBackward0"
    jvp = _fwd.reduction
    save_inputs = (0,)
    save_output = True

    def forward(ctx, x, axes, keepdim, is_max):
        ctx.axes, ctx.keepdim, ctx.in_shape = axes, keepdim, x.shape
        return x.max(axis=axes, keepdims=keepdim) if is_max else x.min(axis=axes,
                                                                         keepdims=keepdim)

    def backward(ctx, grad):
        x, = ctx.saved_tensors
        y = _unsqueeze_to(ctx.output, ctx.axes, ctx.keepdim, ctx.in_shape)
        g = _unsqueeze_to(grad, ctx.axes, ctx.keepdim, ctx.in_shape)
        mask = x == y
        return g * mask / mask.sum(ctx.axes, keepdim=True), None, None, None


def _amax(input, dim, keepdim, is_max, name):
    axes = _axes(input, dim) if dim != () else None
    _check_nonempty(input, axes, name)
    return AMax.apply(input, axes or None, keepdim, is_max)


def _same_as_input(input, out):
    if out.dtype is not input.dtype:
        raise RuntimeError("Expected the dtype for input and out to match, but got "
                           f"{_legacy_name(input.dtype)} for input's dtype and "
                           f"{_legacy_name(out.dtype)} for out's dtype.")


def amax(input, dim=(), keepdim=False, *, out=None):
    if out is not None:
        _same_as_input(input, out)
        return _out(amax(input, dim, keepdim), out)
    return _amax(input, dim, keepdim, True, "amax")


def amin(input, dim=(), keepdim=False, *, out=None):
    if out is not None:
        _same_as_input(input, out)
        return _out(amin(input, dim, keepdim), out)
    r = _amax(input, dim, keepdim, False, "amin")
    if r.grad_fn is not None:
        r.grad_fn._name = "AminBackward0"
    return r


def aminmax(input, *, dim=None, keepdim=False, out=None):
    if out is not None:
        return _tuple_out(aminmax(input, dim=dim, keepdim=keepdim), out, "aminmax")
    if dim is None and 0 in input._data.shape:
        raise RuntimeError("aminmax(): cannot compute aminmax over an empty dimension as the "
                           "operation has no identity.")
    if dim is not None:
        _check_nonempty(input, _axes(input, dim), "aminmax", ":")
    lo, hi = (_amax(input, () if dim is None else dim, keepdim, m, "aminmax") for m in (0, 1))
    for r in (lo, hi):
        if r.grad_fn is not None:
            r.grad_fn._name = "AminmaxBackward0"
    return _aminmax_t(lo, hi)


def _check_arg(input, dim, name):
    if input.dtype is D.bool_:
        raise RuntimeError(f"{name}(): does not support bool input")
    if input._data.size == 0:
        if dim is None:
            raise IndexError(f"{name}(): Expected reduction dim to be specified for "
                             "input.numel() == 0.")
        _check_nonempty(input, _axes(input, dim), name)


def argmax(input, dim=None, keepdim=False, *, out=None):
    if out is not None:
        return _out(argmax(input, dim, keepdim), out, exact=True)
    _check_arg(input, dim, "argmax")
    x = input._data
    if dim is None:
        r = _arg(x.reshape(-1), 0, True)
        return _wrap(r.reshape((1,) * x.ndim) if keepdim else r if isinstance(
            r, np.ndarray) else np.asarray(r))
    d = _dim(dim, x.ndim)
    r = _arg(x, d, True)
    return _wrap(np.expand_dims(r, d) if keepdim and x.ndim else r)


def argmin(input, dim=None, keepdim=False, *, out=None):
    if out is not None:
        return _out(argmin(input, dim, keepdim), out, exact=True)
    _check_arg(input, dim, "argmin")
    x = input._data
    if dim is None:
        r = _arg(x.reshape(-1), 0, False)
        return _wrap(r.reshape((1,) * x.ndim) if keepdim else r if isinstance(
            r, np.ndarray) else np.asarray(r))
    d = _dim(dim, x.ndim)
    r = _arg(x, d, False)
    return _wrap(np.expand_dims(r, d) if keepdim and x.ndim else r)


def _correction(unbiased, correction):
    if correction is not None:
        return correction
    if unbiased is None:
        return 1
    return 1 if unbiased else 0


def _var_args(dim, unbiased, keepdim, correction):
    # var(x, True) is var(x, unbiased=True); var(x, 0) is var(x, dim=0)
    if isinstance(dim, bool):
        unbiased, dim = dim, None
    return dim, _correction(unbiased, correction), keepdim


def var(input, dim=None, unbiased=None, keepdim=False, *, correction=None, out=None):
    if out is not None:
        return _out(var(_in_out_dtype(input, dim, out), dim, unbiased, keepdim,
                        correction=correction), out)
    if not (input.dtype.is_floating_point or input.dtype.is_complex):
        raise RuntimeError("std and var only support floating point and complex dtypes")
    given = (dim, unbiased, correction)
    dim, c, keepdim = _var_args(dim, unbiased, keepdim, correction)
    axes = _axes(input, dim)
    n = input._data.size if axes is None else int(np.prod([input.shape[a] for a in axes]))
    mu = input.mean(axes, keepdim=True) if axes is not None else input.mean()
    dev = input - mu
    if dev.dtype.is_complex:  # |dev|^2: the variance of a complex tensor is real
        dev = dev.abs()
    r = (dev * dev).sum(axes, keepdim=keepdim) / builtins_max(n - c, 0)
    if r.grad_fn is not None:
        r.grad_fn._name = "VarBackward0"
        r.grad_fn._given = (input, _shown_var_args(given, dim, c), keepdim)  # torch's saved
    return r


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
    v = var(input, dim, unbiased, keepdim, correction=correction)
    r = StdSqrt.apply(v)
    if r.grad_fn is not None:
        r.grad_fn._given = v.grad_fn._given  # torch's saved arguments of std
    return r


class StdSqrt(Op):
    """sqrt of the variance; torch's std gives 0, not nan, where the std is 0."""

    _name = "StdBackward0"
    jvp = _fwd.elementwise
    save_output = True

    def forward(ctx, v):
        return np.sqrt(v)

    def backward(ctx, grad):
        y = ctx.output
        return (grad / (2 * y)).masked_fill(y == 0, 0)


def var_mean(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    _moments_dtype(input, "var_mean")
    return (var(input, dim, unbiased, keepdim, correction=correction),
            mean(input, _var_args(dim, unbiased, keepdim, correction)[0], keepdim))


def _moments_dtype(input, name):
    if not (input.dtype.is_floating_point or input.dtype.is_complex):
        raise RuntimeError(f"{name} only support floating point and complex dtypes")


def std_mean(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    _moments_dtype(input, "std_mean")
    return (std(input, dim, unbiased, keepdim, correction=correction),
            mean(input, _var_args(dim, unbiased, keepdim, correction)[0], keepdim))


def logsumexp(input, dim, keepdim=False, *, out=None):
    if out is not None:
        if not (out.dtype.is_floating_point or out.dtype.is_complex):
            raise RuntimeError("logsumexp(): Expected floating point type for result tensor, but "
                               f"got: {_legacy_name(out.dtype)}")
        if input.dtype.is_floating_point and out.dtype.is_floating_point:
            input = input.to(out.dtype)  # torch sums and logs in the result's dtype
        return _out(logsumexp(input, dim, keepdim), out)
    axes = _axes(input, dim)
    if not input.dtype.is_floating_point:
        input = input.to(D.get_default_dtype())
    m = np.array(np.max(input._data, axis=axes, keepdims=True, initial=-np.inf))  # -inf if empty
    m[~np.isfinite(m)] = 0
    m = _wrap(m)
    r = (input - m).exp().sum(axes, keepdim=True).log() + m
    r = r if keepdim else r.squeeze(axes) if axes else r.reshape(())
    if r.grad_fn is not None:
        r.grad_fn._name = "LogsumexpBackward0"
    return r


class VectorNorm(Op):
    """The p-norm of a real tensor, whose gradient is 0 (not nan) where the norm is 0."""

    _name = "LinalgVectorNormBackward0"
    jvp = _fwd.reduction
    save_inputs = (0,)
    save_output = True

    def forward(ctx, x, p, axes, keepdim):
        ctx.p, ctx.axes, ctx.keepdim, ctx.in_shape = p, axes, keepdim, x.shape
        if p == 2:
            return np.sqrt(np.sum(x * x, axis=axes, keepdims=keepdim))
        return np.sum(np.abs(x) ** p, axis=axes, keepdims=keepdim) ** (1.0 / p)

    def backward(ctx, grad):
        (x,), y, p = ctx.saved_tensors, ctx.output, ctx.p
        grad = _unsqueeze_to(grad, ctx.axes, ctx.keepdim, ctx.in_shape)
        y = _unsqueeze_to(y, ctx.axes, ctx.keepdim, ctx.in_shape)
        if p == 2:
            return x * (grad / y).masked_fill(y == 0, 0), None, None, None
        if p < 1:
            xs = x.sign() * x.abs().pow(p - 1).masked_fill(x == 0, 0)
        elif p < 2:
            xs = x.sign() * x.abs().pow(p - 1)
        else:
            xs = x * x.abs().pow(p - 2)
        return xs * (grad / y.pow(p - 1)).masked_fill(y == 0, 0), None, None, None


def norm(input, p="fro", dim=None, keepdim=False, out=None, dtype=None):
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
    if input.dtype.is_floating_point and not isinstance(q, str) and 0 < q < math.inf:
        axes = _axes(input, dim)
        r = VectorNorm.apply(input, q, None if axes == () else axes, keepdim)
        if r.grad_fn is not None:
            r.grad_fn._given = dim  # torch saves the dims as given
    elif p == "fro" or p == 2 or p is None:
        r = (input * input).sum(dim, keepdim=keepdim).sqrt() if dim is not None else \
            (input * input).sum().sqrt()
    elif p == "nuc":
        raise NotImplementedError("ember does not implement torch.norm(p='nuc') yet")
    elif (p == math.inf or p == -math.inf) and 0 in input._data.shape:
        r = _empty_inf_norm(input, p, dim, keepdim)
    elif p == math.inf or p == "inf":
        r = input.abs().amax(dim if dim is not None else (), keepdim)
    elif p == -math.inf:
        r = input.abs().amin(dim if dim is not None else (), keepdim)
    elif p == 0:
        r = (input != 0).to(input.dtype).sum(dim, keepdim=keepdim) if dim is not None else \
            (input != 0).to(input.dtype).sum()
    elif p == 1:
        r = input.abs().sum(dim, keepdim=keepdim) if dim is not None else input.abs().sum()
    else:
        s = (input.abs() ** p).sum(dim, keepdim=keepdim) if dim is not None else \
            (input.abs() ** p).sum()
        r = s ** (1.0 / p)
    if r.grad_fn is not None:
        r.grad_fn._name = "LinalgVectorNormBackward0"
    return r


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


def _logical_out(r, out, name):
    if out.dtype is not D.bool_ and out.dtype is not r.dtype:
        raise RuntimeError(f"{name} only supports bool tensor for result, got: "
                           f"{_legacy_name(out.dtype)}")
    return _out(r if r.dtype is out.dtype else r.bool(), out, name)


def all(input, dim=None, keepdim=False, *, out=None):
    if out is not None:
        return _logical_out(all(input, dim, keepdim), out, "all")
    x = input._data
    axes = _axes(input, dim)
    return _wrap(np.all(x, axis=axes, keepdims=keepdim) if input.dtype is not D.uint8 else
                 np.all(x, axis=axes, keepdims=keepdim).astype(np.uint8))


def any(input, dim=None, keepdim=False, *, out=None):
    if out is not None:
        return _logical_out(any(input, dim, keepdim), out, "any")
    x = input._data
    axes = _axes(input, dim)
    return _wrap(np.any(x, axis=axes, keepdims=keepdim) if input.dtype is not D.uint8 else
                 np.any(x, axis=axes, keepdims=keepdim).astype(np.uint8))


def count_nonzero(input, dim=None):
    axes = _axes(input, dim)
    return _wrap(np.asarray(np.count_nonzero(input._data, axis=axes), dtype=np.int64))


class Cumsum(Op):
    _name = "CumsumBackward0"
    jvp = _fwd.linear

    def forward(ctx, x, d, dt):
        ctx.d = d
        if x.ndim and dt is None and x.dtype == np.float16:  # torch accumulates half in float
            return np.cumsum(x, axis=d, dtype=np.float32).astype(np.float16)
        return np.cumsum(x, axis=d, dtype=dt) if x.ndim else x.astype(dt or x.dtype)

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
    save_inputs = (0,)
    save_output = True
    jvp = _fwd.transposed

    def forward(ctx, x, d, dt):
        ctx.d = d
        return np.cumprod(x, axis=d, dtype=dt) if x.ndim else x.astype(dt or x.dtype)

    def backward(ctx, grad):
        x, = ctx.saved_tensors
        if grad.dim() == 0:
            return grad, None, None
        d = ctx.d
        y = ctx.output
        if not bool((x == 0).any()):
            return (grad * y).flip(d).cumsum(d).flip(d) / x, None, None
        # exact with zeros: sum_{k>=i} g_k prod_{j<=k, j!=i} x_j, by brute force over i
        n = x.shape[d]
        cols = []
        for i in range(n):
            mask = [1.0] * n
            mask[i] = 0.0
            sh = [1] * x.dim()
            sh[d] = n
            from .creation import tensor
            m = tensor(mask, dtype=x.dtype).reshape(sh)
            xi = x * m + (1 - m)
            p = xi.cumprod(d)
            keep = tensor([0.0] * i + [1.0] * (n - i), dtype=x.dtype).reshape(sh)
            cols.append((grad * p * keep).sum(d, keepdim=True))
        return cat_(cols, d), None, None


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


def cummax(input, dim, *, out=None):
    if out is not None:
        return _tuple_out(cummax(input, dim), out, "cummax", _scan_dtypes(input))
    x = input._data
    d = _dim(dim, x.ndim)
    v = np.maximum.accumulate(x, axis=d)
    idx = np.broadcast_to(np.arange(x.shape[d]).reshape([-1] + [1] * (x.ndim - d - 1)), x.shape)
    i = np.maximum.accumulate(np.where(x == v, idx, 0), axis=d)
    r = _ret("cummax")(_wrap(v), _wrap(i.astype(np.int64)))
    if _fw[0]:  # computed without an Op: the tangent at the running max's index
        _fwd.gather_tangent(input, r[0], d, r[1])
    return r


def _median_dtypes(input):
    def check(vd, id_):
        if vd is not input.dtype:
            raise RuntimeError(
                "Expected tensor for 'values' to have the same type as tensor for argument #2 "
                f"'self'; but type torch.{vd._legacy} does not equal torch.{input.dtype._legacy} "
                "(while checking arguments for median)")
        if id_ is not D.int64:
            raise RuntimeError("Expected tensor for argument #1 'indices' to have scalar type "
                               f"Long; but got torch.{id_._legacy} instead (while checking "
                               "arguments for median)")
    return check


def median(input, dim=None, keepdim=False, *, out=None):
    if out is not None:
        if dim is None:
            raise TypeError('median() missing 1 required positional arguments: "dim"')
        return _tuple_out(median(input, dim, keepdim), out, "median", _median_dtypes(input))
    if dim is None:
        flat = input.reshape(-1)
        s = flat.sort().values
        r = s[(flat.shape[0] - 1) // 2]
        if r.grad_fn is not None:
            r.grad_fn._name = "MedianBackward0"
        return r
    s = input.sort(dim)
    k = (input.shape[dim] - 1) // 2
    v = s.values.narrow(dim, k, 1)
    i = s.indices.narrow(dim, k, 1)
    if not keepdim:
        v, i = v.squeeze(dim), i.squeeze(dim)
    return _median_t(v, i)


def _mode_dtypes(input):
    def check(vd, id_):
        for want, got, what in ((input.dtype, vd, "values"), (D.int64, id_, "indices")):
            if want is not got:
                raise RuntimeError(f"expected scalar type '{_legacy_name(want)}' but got "
                                   f"'{_legacy_name(got)}' for {what} output")
    return check


def mode(input, dim=-1, keepdim=False, *, out=None):
    if out is not None:
        return _tuple_out(mode(input, dim, keepdim), out, "mode", _mode_dtypes(input))
    x = input._data
    d = _dim(dim, x.ndim)
    xs = np.moveaxis(x, d, -1)
    vals = np.empty(xs.shape[:-1], x.dtype)
    idxs = np.empty(xs.shape[:-1], np.int64)
    for pos in np.ndindex(xs.shape[:-1]):
        row = xs[pos]
        u, c = np.unique(row, return_counts=True)
        v = u[np.argmax(c)]
        vals[pos] = v
        idxs[pos] = np.nonzero(row == v)[0][-1]
    v, i = _wrap(vals), _wrap(idxs)
    if _fw[0]:  # computed without an Op: the tangent at the mode's index
        _fwd.gather_tangent(input, v, d, i.unsqueeze(d) if x.ndim else i, squeeze=True)
    if keepdim:
        v, i = v.unsqueeze(d), i.unsqueeze(d)
    return _mode_t(v, i)
