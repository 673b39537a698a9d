"""Normalisation: batch_norm, instance_norm, group_norm, local_response_norm.

All are compositions of ember ops, so every gradient (and double backward) comes from the
primitives; only the running-statistics update touches arrays directly, under no grad, with
torch's formula `new = momentum * stat + (1 - momentum) * running` and the unbiased variance.
batch_norm and group_norm are recorded as torch's one NativeBatchNormBackward0 /
NativeGroupNormBackward0 node (`autograd._composite`), computed by the fused kernels of
`_norm_fused` for float32/float64 (the composite stays for other dtypes and double backward).
"""

import math
import numbers

from .. import _dtype as D
from ..autograd import _composite
from ..ops.binary import addcmul
from . import _norm_fused as nf
from ._conv import pad
from ._pool import avg_pool2d, avg_pool3d


def _sz(s):
    return "[" + ", ".join(str(int(a)) for a in s) + "]"


def _stats(x, dims):
    """(mean, biased var, x - mean) over `dims`, keepdim, two-pass as torch's CPU kernels."""
    mean = x.mean(dim=dims, keepdim=True)
    xc = x - mean
    return mean, (xc * xc).mean(dim=dims, keepdim=True), xc


def _update(running, stat, momentum):
    """running <- momentum * stat + (1 - momentum) * running, in place, outside autograd."""
    a = running._data
    a[...] = (momentum * stat + (1 - momentum) * a).astype(a.dtype, copy=False)
    running._vc[0] += 1


def _affine(y, weight, bias, shape):
    if weight is not None:
        y = y * weight.reshape(shape)
    if bias is not None:
        y = y + bias.reshape(shape)
    return y


def _verify_batch_size(size):
    """torch's check: exactly one value per channel cannot give a batch variance."""
    if math.prod(size[:1] + size[2:]) == 1:
        raise ValueError("Expected more than 1 value per channel when training, got input size "
                         f"{size!r}")


def _first(t):
    """t[0] as torch's C++ select() (with its error for an empty t)."""
    if not t.shape[0]:
        raise IndexError("select(): index 0 out of range for tensor of size [0] at dimension 0")
    return t[0]


def _empty_norm(input, weight, bias):
    """torch's result for an empty input: a copy (not a view, so the graph continues) times
    weight[0] plus bias[0]; no statistics are computed or updated."""
    out = input.clone()
    if weight is not None:
        out = out * _first(weight)
    if bias is not None:
        out = out + _first(bias)
    return out


def _mixed(input, *params):
    """torch's CPU mixed-type norm kernels: a half/bfloat16 input with float32 parameters is
    normalized in float32 and returned in the input's dtype (e.g. a conv's output under
    autocast, fed to a float32 BatchNorm)."""
    return (input.dtype.itemsize == 2 and input.dtype.is_floating_point
            and any(p is not None for p in params)
            and all(p is None or p.dtype is D.float32 for p in params))


def _floats(*params):
    return [None if p is None else p.float() for p in params]


def batch_norm(input, running_mean, running_var, weight=None, bias=None, training=False,
               momentum=0.1, eps=1e-05):
    """Matches torch.nn.functional.batch_norm."""
    if _mixed(input, running_mean, running_var, weight, bias):
        return batch_norm(input.float(), running_mean, running_var, weight, bias, training,
                          momentum, eps).to(input.dtype)
    if (input.dtype is D.bfloat16 or input.dtype is D.float16) and not training:  # torch's
        # kernel: float32 math, one rounding
        return batch_norm(input.float(), *_floats(running_mean, running_var, weight, bias),
                          False, momentum, eps).to(input.dtype)
    if training:
        _verify_batch_size(input.shape)
    if training and eps <= 0.0:
        raise ValueError(f"batch_norm eps must be positive during training, but got {eps}")
    if eps < 0.0:
        raise ValueError(f"batch_norm eps must be non-negative, but got {eps}")
    if not input._data.size:
        return _empty_norm(input, weight, bias)
    C = input.shape[1] if input.dim() > 1 else input.shape[0]
    for name, t in (("running_mean", running_mean), ("running_var", running_var),
                    ("weight", weight), ("bias", bias)):
        if t is not None and t.numel() != C:
            raise RuntimeError(f"{name} should contain {C} elements not {t.numel()}")
    n = input.numel() // C
    if not training and (running_mean is None or running_var is None):
        raise RuntimeError("running_mean must be defined in evaluation mode")
    stats = []
    fused = nf.eligible(input, weight, bias, *(() if training else (running_mean, running_var)))
    out = _composite.record(
        "NativeBatchNormBackward0", _batch_norm, (input, weight, bias),
        {"running_mean": running_mean, "running_var": running_var, "training": training,
         "eps": eps}, {"sink": stats} if training else None,
        fast=(nf.batch_norm_fwd, nf.batch_norm_bwd) if fused else None)
    if training:  # the sink holds Tensors (composite) or arrays (fused kernels)
        mean, var = (getattr(s, "_data", s).reshape(-1) for s in stats)
        if running_mean is not None:
            _update(running_mean, mean, momentum)
        if running_var is not None:
            _update(running_var, var * (n / (n - 1)), momentum)
        if isinstance(out.grad_fn, _composite.Composite):
            out.grad_fn._stats = (mean, var)  # torch's saved result1 / result2 (mean, invstd)
    return out


def _batch_norm(input, weight, bias, running_mean, running_var, training, eps, sink=None):
    """The normalisation itself, pure (recomputed for double backward): one composite node."""
    C = input.shape[1] if input.dim() > 1 else input.shape[0]
    shape = (1, C) + (1,) * (input.dim() - 2)
    dims = (0,) + tuple(range(2, input.dim()))
    if training:
        mean, var, xc = _stats(input, dims)
        if sink is not None:
            sink.extend((mean, var))
        y = xc * (var + eps).rsqrt()
    else:  # torch's kernel: y = x * alpha + beta (fused), alpha = invstd * weight and
        # beta = bias - mean * alpha (fused), per channel
        alpha = (running_var + eps).rsqrt()
        if weight is not None:
            alpha = alpha * weight
        beta = -(running_mean * alpha) if bias is None else addcmul(bias, running_mean, alpha,
                                                                    value=-1)
        return addcmul(beta.reshape(shape), input, alpha.reshape(shape))
    return _affine(y, weight, bias, shape)


def instance_norm(input, running_mean=None, running_var=None, weight=None, bias=None,
                  use_input_stats=True, momentum=0.1, eps=1e-05):
    """Matches torch.nn.functional.instance_norm."""
    if use_input_stats and math.prod(input.shape[2:]) == 1:
        raise ValueError("Expected more than 1 spatial element when training, got input size "
                         f"{input.shape!r}")
    if not input._data.size:  # torch's instance norm is a batch norm of the (1, N*C, ...) view
        rep = (lambda t: None if t is None else t.repeat(input.shape[0]))
        return _empty_norm(input, rep(weight), rep(bias))
    C = input.shape[1]
    shape = (1, C) + (1,) * (input.dim() - 2)
    if not use_input_stats:
        y = (input - running_mean.reshape(shape)) * (running_var.reshape(shape) + eps).rsqrt()
        return _affine(y, weight, bias, shape)
    dims = tuple(range(2, input.dim()))
    mean, var, xc = _stats(input, dims)
    n = math.prod(input.shape[2:])
    if running_mean is not None:
        _update(running_mean, mean._data.reshape(input.shape[0], C).mean(0), momentum)
    if running_var is not None:
        unbiased = var._data.reshape(input.shape[0], C) * (n / (n - 1))
        _update(running_var, unbiased.mean(0), momentum)
    return _affine(xc * (var + eps).rsqrt(), weight, bias, shape)


def group_norm(input, num_groups, weight=None, bias=None, eps=1e-05):
    """Matches torch.nn.functional.group_norm."""
    if _mixed(input, weight, bias):
        return group_norm(input.float(), num_groups, weight, bias, eps).to(input.dtype)
    if input.dtype is D.bfloat16 or input.dtype is D.float16:  # torch's kernel: float32
        return group_norm(input.float(), num_groups, *_floats(weight, bias),  # math, one
                          eps).to(input.dtype)                                # rounding
    if input.dim() < 2:
        raise RuntimeError("Expected at least 2 dimensions for input tensor but received "
                           f"{input.dim()}")
    N, C = input.shape[:2]
    _verify_batch_size([N * C // num_groups, num_groups] + list(input.shape[2:]))
    if C % num_groups:
        raise RuntimeError("Expected number of channels in input to be divisible by num_groups, "
                           f"but got input of shape {_sz(input.shape)} and num_groups="
                           f"{num_groups}")
    for t in (weight, bias):
        if t is not None and (t.dim() != 1 or t.numel() != C):
            what = "weight" if t is weight else "bias"
            raise RuntimeError(f"Expected {what} to be a vector of size equal to the number of "
                               f"channels in input, but got {what} of shape {_sz(t.shape)} and "
                               f"input of shape {_sz(input.shape)}")
    return _composite.record("NativeGroupNormBackward0", _group_norm, (input, weight, bias),
                             {"num_groups": num_groups, "eps": eps},
                             fast=(nf.group_norm_fwd, nf.group_norm_bwd)
                             if nf.eligible(input, weight, bias) else None)


def _group_norm(input, weight, bias, num_groups, eps):
    """group_norm's arithmetic, recorded as torch's one NativeGroupNormBackward0 node."""
    N, C = input.shape[:2]
    x = input.reshape(N, num_groups, math.prod(input.shape[1:]) // num_groups)
    _, var, xc = _stats(x, (2,))
    y = (xc * (var + eps).rsqrt()).reshape(input.shape)
    return _affine(y, weight, bias, (1, C) + (1,) * (input.dim() - 2))


def local_response_norm(input, size, alpha=0.0001, beta=0.75, k=1.0):
    """Matches torch.nn.functional.local_response_norm: x / (k + alpha * mean_window(x^2))^beta
    over a window of `size` neighbouring channels."""
    dim = input.dim()
    if dim < 3:
        raise ValueError("Expected 3D or higher dimensionality                          input "
                         f"(got {dim} dimensions)")
    if input.numel() == 0:
        return input
    div = input * input
    if dim == 3:
        div = pad(div.unsqueeze(1), (0, 0, size // 2, (size - 1) // 2))
        div = avg_pool2d(div, (size, 1), stride=1).squeeze(1)
    else:
        s = input.shape
        div = div.reshape(s[0], 1, s[1], s[2], -1)
        div = pad(div, (0, 0, 0, 0, size // 2, (size - 1) // 2))
        div = avg_pool3d(div, (size, 1, 1), stride=1).squeeze(1).reshape(s)
    return input / (div * alpha + k).pow(beta)


def rms_norm(input, normalized_shape, weight=None, eps=None):
    """Matches torch.nn.functional.rms_norm: x / sqrt(mean(x**2) + eps) * weight over the last
    len(normalized_shape) dims; half inputs are computed in float32 and eps defaults to the
    machine epsilon of that computing dtype."""
    if isinstance(normalized_shape, numbers.Integral):
        raise TypeError(f"rms_norm(): argument 'normalized_shape' (position 2) must be tuple of "
                        f"ints, not {type(normalized_shape).__name__}")
    shape = [int(s) for s in normalized_shape]
    k = len(shape)
    if input.dim() < k or list(input.shape[input.dim() - k:]) != shape:
        raise RuntimeError(f"Given normalized_shape={shape}, expected input with shape "
                           f"[*{', '.join(str(s) for s in shape)}], but got input of size"
                           f"{list(input.shape)}")
    if weight is not None and list(weight.shape) != shape:
        raise RuntimeError(f"Expected weight to be of same shape as normalized_shape, but got "
                           f"weight of shape {list(weight.shape)} and normalized_shape = {shape}")
    x = input.float() if input.dtype in (D.float16, D.bfloat16) else input
    if eps is None:
        from .._finfo import finfo
        eps = finfo(x.dtype).eps
    axes = tuple(range(input.dim() - k, input.dim()))
    out = x * (x * x).mean(axes, keepdim=True).add(eps).rsqrt()
    if weight is not None:
        out = out * weight
    return out.to(input.dtype)
