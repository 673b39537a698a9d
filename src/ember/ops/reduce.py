"""Reductions: sum, mean, prod, max/min (with indices), amax/amin, argmax/argmin, all/any,
count_nonzero. Moments and norms (var, std, logsumexp, norm) are in moments.py, scans (cumsum,
cumprod, cummax) in scan.py, median and mode in stats.py.

`dim` is an int, a tuple or None everywhere; `keepdim` as torch. Backward expands the gradient
back over the reduced axes (`_unsqueeze_to`), so formulas read as the math.
"""

__all__ = ["sum", "nansum", "mean", "nanmean", "prod", "max", "min", "amax", "amin", "aminmax",
           "argmax", "argmin", "all", "any", "count_nonzero"]

import collections

import numpy as np

from .. import _dtype as D
from .._layout import _as_strided
from .._tensor import Tensor, _dim, _wrap
from ..amp import _hook as _amp
from ..autograd import forward_ad as _fwd
from ..autograd import grad_mode as _gm
from ..autograd.function import Op
from ._cascade import cascade_sum as _cascade_sum
from ._util import dims, no_complex, numpy_dims
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
            r = _cascade_sum(x, axes, keepdim) if dt is None or dt == x.dtype else None
            if r is not None:  # float32/float64 in torch's order (_cascade.py)
                return r
            return np.add.reduce(x, axis=axes, keepdims=keepdim, dtype=dt)
        return x.sum(axis=axes, keepdims=keepdim, dtype=dt)

    def backward(ctx, grad):
        g = grad._data
        if not _enabled[0] and g.__class__ is _ndarray:  # nothing recorded: a broadcast view
            if ctx.axes is not None and not ctx.keepdim:
                g = np.expand_dims(g, ctx.axes)
            if not g.ndim and type(g) is _ndarray:  # the sum of everything (a loss): a
                # read-only view of the scalar (not of a meta array: its own broadcast_to)
                g = _as_strided(g, ctx.in_shape, (0,) * len(ctx.in_shape))
                g.flags.writeable = False  # (as broadcast_to's, at a fifth of its cost)
                return _wrap(g), None, None, None
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
        r = _cascade_sum(input._data, None, keepdim)  # nothing to record; torch's order
        if r is None:
            r = np.add.reduce(input._data, axis=None, keepdims=keepdim)
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
    no_complex(input, "nansum")
    if out is not None:
        _nansum_kernel(input, out)
        return _out(nansum(input, dim, keepdim, dtype=dtype or out.dtype), out, exact=True)
    if not (input.requires_grad and _gm._enabled[0]) or input.dtype.is_complex:
        r = sum(input.masked_fill(input.isnan(), 0), dim, keepdim, dtype=dtype)
        if r.grad_fn is not None:
            r.grad_fn._name = "NansumBackward0"
        return r
    x = input.detach()
    r = sum(x.masked_fill(x.isnan(), 0), dim, keepdim, dtype=dtype)
    return Nansum.apply(input, r._data, _axes(input, dim), keepdim)


class Nansum(Op):
    """torch's nansum gradient, grad * ~isnan(x) (a product: an infinite grad gives NaN at the
    NaNs, as nanmean of an all-NaN slice does), attached to the value computed above."""

    _name = "NansumBackward0"
    jvp = _fwd.reduction
    save_inputs = (0,)

    def forward(ctx, x, r, axes, keepdim):
        ctx.axes, ctx.keepdim, ctx.in_shape = axes, keepdim, x.shape
        return r

    def backward(ctx, grad):
        x, = ctx.saved_tensors
        g = _unsqueeze_to(grad, ctx.axes, ctx.keepdim, ctx.in_shape)
        return (g * (~x.isnan()).to(g.dtype)).to(x.dtype), None, None, None


class Mean(Op):
    _name = "MeanBackward0"
    jvp = _fwd.linear

    def forward(ctx, x, axes, keepdim):
        ctx.in_shape, ctx.axes, ctx.keepdim = x.shape, axes, keepdim
        n = x.size if axes is None else int(np.prod([x.shape[a] for a in axes]))
        ctx.n = n
        if n and x.dtype == np.float16:  # torch accumulates half in float
            return x.mean(axis=axes, keepdims=keepdim, dtype=np.float32).astype(np.float16)
        r = _cascade_sum(x, axes, keepdim) if n else None  # torch: its sum, then / n
        if r is not None:
            return np.true_divide(r, x.dtype.type(n), out=r)
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
    no_complex(input, "nansum")
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
    return nansum(input, dim, keepdim) / sum(~input.isnan(), dim, keepdim)


class Prod(Op):
    _name = "ProdBackward0"
    _holomorphic = True  # (complex gradients: Op._call_backward)
    jvp = _fwd.reduction
    save_inputs = (0,)
    save_output = True

    def forward(ctx, x, axis, keepdim, dt):
        ctx.in_shape, ctx.axis, ctx.keepdim = x.shape, axis, keepdim
        if axis is None and (dt is None or dt == x.dtype):
            r = _prod_all(x)
            if r is not None:
                return r.reshape((1,) * x.ndim) if keepdim else r
        return x.prod(axis=axis, keepdims=keepdim, dtype=dt)

    def backward(ctx, grad):
        x, = ctx.saved_tensors
        axes = None if ctx.axis is None else (ctx.axis,)
        g = _unsqueeze_to(grad, axes, ctx.keepdim, ctx.in_shape)
        y = _unsqueeze_to(ctx.output, axes, ctx.keepdim, ctx.in_shape)
        zeros = int((x == 0).sum())
        if not zeros:
            return g * (y / x), None, None, None  # torch's order: g * y may overflow
        if zeros > 1 and ctx.axis is None:  # torch: all zero, even beside a NaN or inf
            return x.new_zeros(x.shape), None, None, None
        # with zeros: product of all the others, by exclusive cumulative products
        d = 0 if ctx.axis is None else ctx.axis
        xf = x.reshape(-1) if ctx.axis is None else x
        n = xf.shape[d]
        ones = xf.new_ones(xf.shape[:d] + (1,) + xf.shape[d + 1:])  # (not x * 0 + 1: NaN at inf)
        left = cat_([ones, xf.narrow(d, 0, n - 1).cumprod(d)], d) if n > 1 else ones
        rev = xf.flip(d)
        right = cat_([ones, rev.narrow(d, 0, n - 1).cumprod(d)], d).flip(d) if n > 1 else ones
        others = (left * right).reshape(ctx.in_shape)
        return g * others, None, None, None


def _prod_all(x):
    """torch's product of every element of a float32/float64 C-contiguous array (its vectorized
    reduction): 4 vectors of V lanes (8 float32 / 4 float64) start as the first 4V elements and
    multiply in each further whole block of 4V; then (a0 a1) (a2 a3), the V lanes multiplied
    left to right, 1 times that, and the elements after the last whole block multiplied in, in
    order. None for other arrays (NumPy's order)."""
    dt = x.dtype
    if type(x) is not np.ndarray or dt not in _PROD_LANES or not x.flags.c_contiguous:
        return None
    v = _PROD_LANES[dt]
    w, f = 4 * v, x.reshape(-1)
    cnt = f.size // w
    out = np.ones(1, dt)
    with np.errstate(all="ignore"):  # overflow to inf, inf * 0 to NaN: silently, as torch
        if cnt:  # (lanes in order down the blocks: a reduce over the leading axis of 16+)
            acc = np.multiply.reduce(f[:cnt * w].reshape(cnt, w), axis=0)
            a = (acc[:v] * acc[v:2 * v]) * (acc[2 * v:3 * v] * acc[3 * v:])
            out *= np.multiply.accumulate(a)[-1]
        if cnt * w < f.size:
            out = np.multiply.accumulate(np.concatenate((out, f[cnt * w:])))[-1:]
    return out.reshape(())


_PROD_LANES = {np.dtype(np.float32): 8, np.dtype(np.float64): 4}


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
        from .ternary import where as _where
        mask = x.isnan() if bool(ctx.output.isnan()) else (x == ctx.output)
        # ties share the gradient evenly, NaNs too; +0.0 elsewhere (torch's zeros().masked_fill_:
        # grad * False would be -0.0 for a negative grad)
        return _where(mask, grad / mask.sum(), 0.0), None


class MedianAll(MaxAll):
    """torch's median(): the lower middle value, or the first NaN; ties share the gradient."""
    _name = "MedianBackward0"

    def forward(ctx, x):
        from .._device import array_module
        xp = array_module(x)
        flat = x.reshape(-1)
        if flat.dtype.kind == "f" and bool(xp.isnan(flat).any()):
            return xp.asarray(np.nan, x.dtype)
        k = (flat.size - 1) // 2
        return xp.asarray(xp.partition(flat, k)[k])

    def backward(ctx, grad):
        return MaxAll.backward(ctx, grad)[:1]


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
        if nan.any():  # the first NaN, in the slices that hold one (max(0) of [[-1], [1]] is 1)
            i = np.argmax(x, axis=d) if is_max else np.argmin(x, axis=d)
            return np.where(nan.any(axis=d), np.argmax(nan, axis=d), i).astype(np.int64)
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
    no_complex(input, "max_all" if dim is None else "max_dim")
    if out is not None:
        return _maxmin_out(input, dim, keepdim, out, True)
    return _maxmin(input, dim, keepdim, None, True)


def min(input, dim=None, keepdim=False, *, out=None):
    no_complex(input, "min_all" if dim is None else "min_dim")
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
    no_complex(input, "max_values_cpu")
    if out is not None:
        _same_as_input(input, out)
        return _out(amax(input, dim, keepdim), out)
    return _amax(input, dim, keepdim, True, "amax")


def amin(input, dim=(), keepdim=False, *, out=None):
    no_complex(input, "min_values_cpu")
    if out is not None:
        _same_as_input(input, out)
        return _out(amin(input, dim, keepdim), out)
    r = _amax(input, dim, keepdim, False, "amin")
    if r.grad_fn is not None:
        r.grad_fn._name = "AminBackward0"
    return r


def aminmax(input, *, dim=None, keepdim=False, out=None):
    no_complex(input, "aminmax_cpu")
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
    no_complex(input, "argmax")
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
    no_complex(input, "argmin")
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
    axes = _axes(input, None if isinstance(dim, (tuple, list)) and not dim else dim)  # () = all
    return _wrap(np.asarray(np.count_nonzero(input._data, axis=axes), dtype=np.int64))
