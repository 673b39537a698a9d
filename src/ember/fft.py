"""torch.fft: discrete Fourier transforms on NumPy's pocketfft, with torch's arguments (n/s,
dim, norm), output dtypes (float32 in, complex64 out), errors and gradients.

Two primitives carry the autograd: C2C (complex to complex) and C2R (one-sided Hermitian to
real). Each runs NumPy's *unnormalised* transform times a scale, so a backward is the opposite
transform with the same scale (C2R's also doubles the bins that stand for two). Real inputs
enter as complex (their gradient is the real part); rfft is C2C then the first n//2+1 bins,
hfft/ihfft are irfft/rfft of the conjugate with the other direction's scale, as torch's.
"""

import math

import numpy as np

from . import _dtype as D
from ._tensor import Tensor, _wrap
from .autograd import forward_ad as _fwd
from .autograd.function import Op

__all__ = ["fft", "ifft", "fft2", "ifft2", "fftn", "ifftn", "rfft", "irfft", "rfft2", "irfft2",
           "rfftn", "irfftn", "hfft", "ihfft", "hfft2", "ihfft2", "hfftn", "ihfftn", "fftfreq",
           "rfftfreq", "fftshift", "ifftshift"]


def _raw(x, axes, inverse):
    """NumPy's unnormalised transform (sign -1 forward, +1 inverse), in x's precision."""
    if not axes:
        return x.copy()
    r = np.fft.ifftn(x, axes=axes, norm="forward") if inverse else np.fft.fftn(x, axes=axes)
    return r.astype(x.dtype, copy=False)


class C2C(Op):
    _name = "FftC2CBackward0"
    jvp = _fwd.linear

    def forward(ctx, x, axes, inverse, scale):
        ctx.axes, ctx.inverse, ctx.scale = axes, inverse, scale
        r = _raw(x, axes, inverse)
        return r * r.dtype.type(scale) if scale != 1 else r

    def backward(ctx, grad):
        return C2C.apply(grad, ctx.axes, not ctx.inverse, ctx.scale), None, None, None


class C2R(Op):
    _name = "FftC2RBackward0"
    jvp = _fwd.linear

    def forward(ctx, x, axes, n_last, scale):
        ctx.axes, ctx.scale, ctx.half = axes, scale, x.shape[axes[-1]]
        sizes = [x.shape[a] for a in axes[:-1]] + [n_last]
        ctx.n_last = n_last
        r = np.fft.irfftn(x, s=sizes, axes=axes, norm="forward")
        r = np.ascontiguousarray(r.astype(np.float32 if x.dtype == np.complex64 else np.float64))
        return r * r.dtype.type(scale) if scale != 1 else r

    def backward(ctx, grad):
        last = ctx.axes[-1]
        g = C2C.apply(_complex(grad), ctx.axes, False, ctx.scale).narrow(last, 0, ctx.half)
        doubled = ctx.n_last - ctx.half  # bins 1..n-half have a mirror image in the output
        if doubled > 0:
            w = np.ones(ctx.half, grad.dtype.np)
            w[1:1 + doubled] = 2
            shape = [1] * g.dim()
            shape[last] = ctx.half
            g = g * _wrap(w.reshape(shape))
        return g, None, None, None


_NORMS = ("backward", "ortho", "forward")


def _scale(norm, n, forward):
    if norm is None:
        norm = "backward"
    if norm not in _NORMS:
        raise RuntimeError(f'Invalid normalization mode: "{norm}"')
    if norm == "ortho":
        return 1 / math.sqrt(n) if n else 1.0
    if (norm == "backward") == forward:  # the unscaled direction
        return 1.0
    return 1.0 / n if n else 1.0


def _float_in(x, api):
    dt = x.dtype
    if dt in (D.float16, D.bfloat16) or dt is getattr(D, "complex32", None):
        name = {D.float16: "Half", D.bfloat16: "BFloat16"}.get(dt, str(dt))
        raise RuntimeError(f"Unsupported dtype {name}")
    if not (dt.is_floating_point or dt.is_complex):
        x = x.to(D.get_default_dtype())
    return x


class _ToComplex(Op):
    """A real tensor as complex; its gradient is the real part of the incoming one."""
    _name = "ToCopyBackward0"
    jvp = _fwd.linear

    def forward(ctx, x):
        return x.astype(np.complex128 if x.dtype == np.float64 else np.complex64)

    def backward(ctx, grad):
        return (grad.real if grad.dtype.is_complex else grad).clone()


class _Conj(Op):
    """The complex conjugate (a copy; ember has no conjugate views), differentiable."""
    _name = "ConjBackward0"
    jvp = _fwd.linear

    def forward(ctx, x):
        return np.conj(x)

    def backward(ctx, grad):
        return _Conj.apply(grad)


def _complex(x):
    if x.dtype.is_complex:
        return x
    return _ToComplex.apply(x)


def _check_real(x, api):
    if x.dtype.is_complex:
        from .ops.sampling import _type_name
        raise RuntimeError(f"{api} expects a real input tensor, but got {_type_name(x.dtype)}")


def _wrap_dim(d, ndim):
    if ndim == 0:
        raise IndexError(f"Dimension specified as {d} but tensor has no dimensions")
    if not -ndim <= d < ndim:
        raise IndexError(f"Dimension out of range (expected to be in range of [{-ndim}, "
                         f"{ndim - 1}], but got {d})")
    return d % ndim


def _resize(x, d, n):
    """x zero-padded or trimmed to n along d (torch's n/s)."""
    size = x.shape[d]
    if n == size:
        return x
    if n < size:
        return x.narrow(d, 0, n)
    from .ops.creation import zeros
    from .ops.shape import cat
    shape = list(x.shape)
    shape[d] = n - size
    return cat([x, zeros(shape, dtype=x.dtype)], d)


def _check_n(n):
    if n < 1:
        raise RuntimeError(f"Invalid number of data points ({n}) specified")


def _dims(x, s, dim, default_all=True):
    """(dims, sizes) of an n-dimensional transform, as torch's canonicalisation."""
    if dim is not None and not isinstance(dim, (tuple, list)):
        dim = (dim,)
    if s is not None and not isinstance(s, (tuple, list)):
        s = (s,)
    if s is not None and dim is not None and len(s) != len(dim):
        raise RuntimeError("When given, dim and shape arguments must have the same length")
    if dim is not None:
        dims = [_wrap_dim(d, x.dim()) for d in dim]
    elif s is not None:
        if len(s) > x.dim():
            raise RuntimeError(f"Got shape with {len(s)} values but input tensor only has "
                               f"{x.dim()} dimensions.")
        dims = list(range(x.dim() - len(s), x.dim()))
    else:
        dims = list(range(x.dim()))
    if len(set(dims)) != len(dims):
        raise RuntimeError("FFT dims must be unique")
    sizes = [x.shape[d] if s is None or s[i] == -1 else s[i] for i, d in enumerate(dims)]
    for n in sizes:
        _check_n(n)
    return dims, sizes


def _c2c(x, s, dim, norm, forward, one_dim=False):
    x = _float_in(x, "fft")
    real = not x.dtype.is_complex
    x = _complex(x)
    dims, sizes = _dims(x, s, dim)
    for d, n in zip(dims, sizes):
        x = _resize(x, d, n)
    scale = _scale(norm, math.prod(sizes), forward)
    if one_dim and real and not forward:  # torch: the forward transform's conjugate (a view)
        return _Conj.apply(C2C.apply(x, tuple(dims), False, scale))
    return C2C.apply(x, tuple(dims), not forward, scale)


def _r2c(x, s, dim, norm, forward, api):
    x = _float_in(x, api)
    _check_real(x, api)
    dims, sizes = _dims(x, s, dim)
    for d, n in zip(dims, sizes):
        x = _resize(x, d, n)
    # ihfft: the forward transform's conjugate, with the inverse direction's scale
    r = C2C.apply(_complex(x), tuple(dims), False, _scale(norm, math.prod(sizes), forward))
    r = r.narrow(dims[-1], 0, sizes[-1] // 2 + 1)
    if forward:
        return r
    return _Conj.apply(r)


def _c2r(x, s, dim, norm, forward, api):
    x = _complex(_float_in(x, api))
    dims, sizes = _dims_c2r(x, s, dim)
    x = _Conj.apply(x) if forward else x  # hfft: irfft of the conjugate, forward's scale
    for d, n in zip(dims[:-1], sizes[:-1]):
        x = _resize(x, d, n)
    x = _resize(x, dims[-1], sizes[-1] // 2 + 1)
    return C2R.apply(x, tuple(dims), sizes[-1], _scale(norm, math.prod(sizes), forward))


def _dims_c2r(x, s, dim):
    if dim is not None and not isinstance(dim, (tuple, list)):
        dim = (dim,)
    if s is not None and not isinstance(s, (tuple, list)):
        s = (s,)
    if s is not None and s[-1] == -1 or s is None:
        dims, sizes = _dims(x, None if s is None else tuple(s[:-1]) + (1,), dim)
        sizes[-1] = 2 * (x.shape[dims[-1]] - 1)
        _check_n(sizes[-1])
        if s is not None and len(s) > 1:
            sizes[:-1] = [x.shape[d] if v == -1 else v for d, v in zip(dims[:-1], s[:-1])]
        return dims, sizes
    return _dims(x, s, dim)


# ----------------------------------------------------------------------------- public API
def _1d(n, dim):
    if n is not None:
        _check_n(n)  # (n=-1 is an error here; in an n-d `s`, -1 keeps a dim's size)
    return (None if n is None else (n,)), (dim,)


def fft(input, n=None, dim=-1, norm=None):
    return _c2c(input, *_1d(n, dim), norm, True)


def ifft(input, n=None, dim=-1, norm=None):
    return _c2c(input, *_1d(n, dim), norm, False, True)


def fft2(input, s=None, dim=(-2, -1), norm=None):
    return _c2c(input, s, dim, norm, True)


def ifft2(input, s=None, dim=(-2, -1), norm=None):
    return _c2c(input, s, dim, norm, False)


def fftn(input, s=None, dim=None, norm=None):
    return _c2c(input, s, dim, norm, True)


def ifftn(input, s=None, dim=None, norm=None):
    return _c2c(input, s, dim, norm, False)


def rfft(input, n=None, dim=-1, norm=None):
    return _r2c(input, *_1d(n, dim), norm, True, "rfft")


def rfft2(input, s=None, dim=(-2, -1), norm=None):
    return _r2c(input, s, dim, norm, True, "rfftn")


def rfftn(input, s=None, dim=None, norm=None):
    return _r2c(input, s, dim, norm, True, "rfftn")


def ihfft(input, n=None, dim=-1, norm=None):
    return _r2c(input, *_1d(n, dim), norm, False, "ihfft")


def ihfft2(input, s=None, dim=(-2, -1), norm=None):
    return _r2c(input, s, dim, norm, False, "ihfftn")


def ihfftn(input, s=None, dim=None, norm=None):
    return _r2c(input, s, dim, norm, False, "ihfftn")


def irfft(input, n=None, dim=-1, norm=None):
    return _c2r(input, *_1d(n, dim), norm, False, "irfft")


def irfft2(input, s=None, dim=(-2, -1), norm=None):
    return _c2r(input, s, dim, norm, False, "irfftn")


def irfftn(input, s=None, dim=None, norm=None):
    return _c2r(input, s, dim, norm, False, "irfftn")


def hfft(input, n=None, dim=-1, norm=None):
    return _c2r(input, *_1d(n, dim), norm, True, "hfft")


def hfft2(input, s=None, dim=(-2, -1), norm=None):
    return _c2r(input, s, dim, norm, True, "hfftn")


def hfftn(input, s=None, dim=None, norm=None):
    return _c2r(input, s, dim, norm, True, "hfftn")


def _freq(values, n, d, dtype, requires_grad, device, api):
    from .ops.creation import tensor
    dt = D.get_default_dtype() if dtype is None else dtype
    if not (dt.is_floating_point or dt.is_complex):
        raise RuntimeError(f"{api} requires a floating point or complex dtype")
    if dt.is_complex:
        raise NotImplementedError(f"\"arange_cpu\" not implemented for '{dt._legacy[:-6]}'")
    if isinstance(d, Tensor):  # torch's parser takes a 0-d tensor as the number
        if d.dim():
            raise TypeError(f"fft_{api}(): argument 'd' must be float, not Tensor")
        d = d.item()
    # torch's arange(n) in the dtype times the scalar 1 / (n * d) taken in the dtype (the half
    # types multiply in float32 and round once)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        scale = np.float64(1.0) / np.float64(n * d)
        work = np.float64 if dt is D.float64 else np.float32
        if dt is D.float16 or dt is D.bfloat16:
            scale = np.asarray(scale).astype(dt.np)
        values = np.asarray(values, work) * work(scale)
    t = tensor(values, dtype=dt, device=device)
    return t.requires_grad_(requires_grad) if requires_grad else t


def fftfreq(n, d=1.0, *, out=None, dtype=None, layout=None, device=None, requires_grad=False):
    """[0, 1, ..., (n-1)//2, -(n//2), ..., -1] / (d*n)."""
    _refuse_layout("fftfreq", layout)
    if n < 0:
        raise RuntimeError(f"Trying to create tensor with negative dimension {n}: [{n}]")
    r = _freq(np.concatenate([np.arange((n - 1) // 2 + 1), -np.arange(n // 2, 0, -1)]), n, d,
              dtype, requires_grad, device, "fftfreq")
    return _maybe_out(r, out)


def rfftfreq(n, d=1.0, *, out=None, dtype=None, layout=None, device=None, requires_grad=False):
    """[0, 1, ..., n//2] / (d*n)."""
    _refuse_layout("rfftfreq", layout)
    return _maybe_out(_freq(np.arange(n // 2 + 1), n, d, dtype, requires_grad, device,
                            "rfftfreq"), out)


def _refuse_layout(api, layout):
    if layout is not None and layout != "torch.strided":
        from ._args import unsupported
        unsupported(f"torch.fft.{api}", "layout", layout)


def _maybe_out(r, out):
    if out is None:
        return r
    from .ops.inplace import _out
    return _out(r, out)


def _shift(input, dim, sign):
    if dim is None:
        dims = list(range(input.dim()))
    elif isinstance(dim, (tuple, list)):
        dims = [_wrap_dim(d, input.dim()) for d in dim]
    else:
        dims = [_wrap_dim(dim, input.dim())]
    if not dims:
        return input.clone()
    shifts = [sign * (input.shape[d] // 2) for d in dims]
    return input.roll(shifts, dims)


def fftshift(input, dim=None):
    return _shift(input, dim, 1)


def ifftshift(input, dim=None):
    """The inverse of fftshift (they differ for odd lengths)."""
    if dim is None:
        dims = list(range(input.dim()))
    elif isinstance(dim, (tuple, list)):
        dims = [_wrap_dim(d, input.dim()) for d in dim]
    else:
        dims = [_wrap_dim(dim, input.dim())]
    if not dims:
        return input.clone()
    return input.roll([(input.shape[d] + 1) // 2 for d in dims], dims)

