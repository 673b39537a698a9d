"""ember.nn.functional: torch.nn.functional's linear maps, softmax family, dropout, layer_norm
and distances; embeddings, activations, losses, convolution, pooling, norms, resampling and
attention live in their own family files (`_embedding.py`, `_activation.py`,
`_functional_loss.py`, ...) and are re-exported here.

Hot ops are primitives with a hand-written backward: `linear` (one GEMM into a fresh buffer, bias
added in place; backward skips the gradients nobody needs), `softmax`/`log_softmax` (stable at
logits of +-1e4). Everything else is composed from ember ops and gets its gradient for free.
"""

# the losses' names are added from _functional_loss.__all__ at the end of this file
__all__ = ["adaptive_avg_pool1d", "adaptive_avg_pool2d", "adaptive_avg_pool3d",
           "adaptive_max_pool1d", "adaptive_max_pool2d", "affine_grid", "alpha_dropout",
           "avg_pool1d", "avg_pool2d", "avg_pool3d", "batch_norm", "bilinear", "celu", "conv1d",
           "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d", "conv_transpose3d",
           "cosine_similarity", "ctc_loss", "dropout", "dropout1d", "dropout2d", "dropout3d",
           "elu", "elu_", "embedding", "embedding_bag", "feature_alpha_dropout", "fold", "gelu",
           "glu",
           "grid_sample", "group_norm", "hardshrink", "hardsigmoid", "hardswish", "hardtanh",
           "hardtanh_", "instance_norm", "interpolate", "layer_norm", "leaky_relu", "leaky_relu_",
           "linear", "local_response_norm", "log_softmax", "logsigmoid", "lp_pool1d", "lp_pool2d",
           "max_pool1d", "max_pool2d", "max_pool3d", "max_unpool1d", "max_unpool2d", "mish",
           "multi_head_attention_forward", "normalize", "one_hot", "pad", "pairwise_distance",
           "pixel_shuffle", "pixel_unshuffle", "prelu", "relu", "relu6", "relu_", "rrelu", "rrelu_",
           "scaled_dot_product_attention", "selu", "sigmoid", "silu", "softmax", "softmin",
           "softplus", "softshrink", "softsign", "tanh", "tanhshrink", "threshold", "threshold_",
           "unfold", "upsample", "rms_norm", "channel_shuffle", "pdist", "upsample_nearest",
           "upsample_bilinear", "gumbel_softmax", "celu_", "selu_"]

import math
import numbers
import warnings

import numpy as np

from .. import _dtype as D
from .._compat import EmberNotImplemented
from .._compat import module_getattr as _module_getattr
from .._device import array_module as _xp
from .._gemm import matmul as _mm
from .._tensor import Tensor, _dim, _wrap
from ..amp import _hook as _amp
from ..autograd import grad_mode as _gm
from ..autograd.function import Op
from ..ops._cascade import cascade_sum as _cascade_sum
from ..ops._util import torch_args as _torch_args
from . import _linear_view
from ._softmax_grad import softmax_grad as _softmax_grad

_enabled = _gm._enabled
_NOKW = {}
_ndarray = np.ndarray
__getattr__ = _module_getattr(__name__)


# ---------------------------------------------------------------- linear
_F16 = np.dtype(np.float16)


class _Linear(Op):
    _name = "AddmmBackward0"
    _holomorphic = True  # (complex gradients: Op._call_backward)
    save_inputs = (0, 1)
    next_functions = property(_linear_view.next_functions)  # torch's addmm(b, x, w.t()) chain
    _torch_saved = _linear_view.SPECS
    _keep_strides = True

    def register_hook(self, fn):
        raise EmberNotImplemented(f"ember does not implement register_hook on linear's "
                                  f"{self.name()} yet (ember computes linear fused)")

    def forward(ctx, x, w, b):
        xp = _xp(x)
        if x.dtype == _F16:  # torch's float16 addmm: float32 products, sums and bias, rounded
            return _Linear.forward(ctx, x.astype(np.float32), w.astype(np.float32),  # once
                                   None if b is None else b.astype(np.float32)).astype(_F16)
        if x.ndim == 1:
            out = _mm(x, w.T)
            return out if b is None else xp.add(out, b, out=out)
        x2 = x if x.ndim == 2 else x.reshape(-1, x.shape[-1])
        m, k = x2.shape
        if not 1 < m <= 64 or k < 4 * m + 40:
            out = _mm(x2, w.T)
            if b is not None:
                xp.add(out, b, out=out)
            return out if x.ndim == 2 else out.reshape(x.shape[:-1] + w.shape[:1])
        # a few rows and a long inner dimension (the course's 64x784 @ 784x256): W x^T, then
        # transposed into a C-ordered result (with the bias added on the way). OpenBLAS runs
        # this orientation 5-70 % faster there (with more rows x W^T wins: 2x at 1600 rows,
        # whose transposed copy costs as much as the product). With its SkylakeX kernels each
        # element is the same dot product as x W^T's, bit for bit; its Haswell kernels (AVX2)
        # sum in another order, last bits apart (neither is torch's MKL result: each equals it
        # on ~10 % of the course's elements)
        t = _mm(w, x2.T)
        out = xp.empty((x2.shape[0], w.shape[0]), t.dtype)
        if b is None:
            out[...] = t.T
        else:
            xp.add(t.T, b, out=out)
        return out if x.ndim == 2 else out.reshape(x.shape[:-1] + w.shape[:1])

    def backward(ctx, grad):
        x, w = ctx.saved_tensors
        need_x, need_w, need_b = ctx.needs_input_grad[:3]
        n_out, n_in = w._data.shape
        if _enabled[0]:  # create_graph: stay differentiable
            g2 = grad.reshape(-1, n_out)
            return (grad @ w if need_x else None,
                    g2.mT @ x.reshape(-1, n_in) if need_w else None,  # dW = g^T x
                    g2.sum(0) if need_b else None)
        g = grad._data
        g2 = g.reshape(-1, n_out)
        gx = _wrap(_mm(g, w._data)) if need_x else None  # dx = g W
        gw = _wrap(_mm(g2.T, x._data.reshape(-1, n_in))) if need_w else None
        gb = None
        if need_b:  # torch's grad.sum(0): its order of additions where _cascade has it
            gb = _cascade_sum(g2, (0,), False)
            gb = _wrap(g2.sum(0) if gb is None else gb)
        return gx, gw, gb

    def jvp(ctx, tx, tw, tb):  # tx W^T + x tW^T + tb
        x, w, _ = ctx.inputs
        out = None
        for a, b in ((tx, w), (x, tw)):
            if a is not None and b is not None:
                part = _Linear.run((a, b, None), (a._data, b._data, None), {})
                out = part if out is None else out + part
        if tb is not None:
            out = tb.expand(ctx.result.shape) if out is None else out + tb
        return out


_C_NAMES = {"float32": "float", "float64": "double", "int64": "long int", "int32": "int",
            "float16": "c10::Half", "bfloat16": "c10::BFloat16"}


def linear(input, weight, bias=None):
    """Matches torch.nn.functional.linear: input @ weight.T + bias."""
    if _amp.on and _amp.active():
        return _amp.lower(linear, input, weight, bias)
    try:
        same = input.dtype is weight.dtype
    except AttributeError:
        for i, (what, t) in enumerate((("input", input), ("weight", weight))):
            if not isinstance(t, Tensor):
                raise TypeError(f"linear(): argument '{what}' (position {i + 1}) must be Tensor, "
                                f"not {type(t).__name__}") from None
        raise
    if not same:
        if bias is None:
            raise RuntimeError(f"expected m1 and m2 to have the same dtype, but got: "
                               f"{_C_NAMES.get(input.dtype.name, input.dtype.name)} != "
                               f"{_C_NAMES.get(weight.dtype.name, weight.dtype.name)}")
        raise RuntimeError(f"mat1 and mat2 must have the same dtype, but got "
                           f"{input.dtype._legacy[:-6]} and {weight.dtype._legacy[:-6]}")
    if bias is not None and bias.dtype is not weight.dtype:
        raise RuntimeError(f"self and mat2 must have the same dtype, but got "
                           f"{bias.dtype._legacy[:-6]} and {weight.dtype._legacy[:-6]}")
    sx, sw = input._data.shape, weight._data.shape
    if not sx or sx[-1] != sw[-1]:
        rows = int(np.prod(sx[:-1])) if len(sx) > 1 else 1
        k = sx[-1] if sx else 1
        raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({rows}x{k} and "
                           f"{sw[1]}x{sw[0]})")
    out = _Linear.run((input, weight, bias),
                      (input._data, weight._data, None if bias is None else bias._data), {})
    fn = out.grad_fn
    if fn is not None and not (len(sx) == 2 and bias is not None):
        fn._name = _linear_view.name(len(sx), bias is not None)
    return out


def bilinear(input1, input2, weight, bias=None):
    """Matches torch.nn.functional.bilinear: x1^T W_o x2 + b_o for every output o."""
    if _amp.on and _amp.active():
        return _amp.plain(bilinear, input1, input2, weight, bias)
    lead = input1.shape[:-1]
    x1 = input1.reshape(-1, input1.shape[-1])
    x2 = input2.reshape(-1, input2.shape[-1])
    from ..ops.linalg import einsum
    out = einsum("bi,oij,bj->bo", x1, weight, x2)
    if bias is not None:
        out = out + bias
    return out.reshape(tuple(lead) + (weight.shape[0],))


# ---------------------------------------------------------------- softmax family
class _LogSoftmax(Op):
    _name = "LogSoftmaxBackward0"
    save_output = True
    _half_opmath = True  # torch's _log_softmax_backward_data kernel

    def forward(ctx, x, dim, rounded=False):
        ctx.dim = dim
        if not x.shape[dim]:  # nothing to normalise over: an empty result, as torch
            return x.copy()
        if x.dtype == _F16:  # torch's float16 kernel: float32 math, one rounding
            return _LogSoftmax.forward(ctx, x.astype(np.float32), dim).astype(_F16)
        if x.__class__ is _ndarray:  # the ufuncs' reduce directly: the methods add ~1 us each
            s = x - np.maximum.reduce(x, axis=dim, keepdims=True)
            total = np.add.reduce(np.exp(s), axis=dim, keepdims=True)
        else:
            s = x - x.max(axis=dim, keepdims=True)
            total = _xp(x).exp(s).sum(axis=dim, keepdims=True)
        xp = _xp(x)
        if rounded:  # torch's last-dim bfloat16 kernel keeps the sum and its log in bfloat16
            bf = D.bfloat16.np
            s -= xp.log(total.astype(bf).astype(x.dtype)).astype(bf).astype(x.dtype)
        else:
            s -= xp.log(total)
        return s

    def backward(ctx, grad):
        y = ctx.output
        if _enabled[0]:
            return grad - y.exp() * grad.sum(ctx.dim, keepdim=True)
        g = grad._data
        return _wrap(g - _xp(g).exp(y._data) * g.sum(axis=ctx.dim, keepdims=True))

    def jvp(ctx, t, *_):
        return t - (ctx.result.exp() * t).sum(ctx.dim, keepdim=True)  # t - sum(softmax t)


class _Softmax(Op):
    _name = "SoftmaxBackward0"
    save_output = True
    _half_opmath = True  # torch's _softmax_backward_data kernel

    def forward(ctx, x, dim):
        ctx.dim = dim
        if not x.shape[dim]:  # nothing to normalise over: an empty result, as torch
            return x.copy()
        if x.dtype == _F16:  # torch's float16 kernel: float32 math, one rounding
            return _Softmax.forward(ctx, x.astype(np.float32), dim).astype(_F16)
        if x.__class__ is _ndarray:  # the ufuncs' reduce directly: the methods add ~1 us each
            e = np.exp(x - np.maximum.reduce(x, axis=dim, keepdims=True))
            e /= np.add.reduce(e, axis=dim, keepdims=True)
            return e
        e = _xp(x).exp(x - x.max(axis=dim, keepdims=True))
        e /= e.sum(axis=dim, keepdims=True)
        return e

    def backward(ctx, grad):
        y = ctx.output
        if _enabled[0]:
            return y * (grad - (grad * y).sum(ctx.dim, keepdim=True))
        g, yd = grad._data, y._data
        if ctx.dim == g.ndim - 1 and not ctx._f32:  # torch's kernel over the last dim
            r = _softmax_grad(g, yd)
            if r is not None:
                return _wrap(r)
        gy = g * yd
        return _wrap(gy - yd * gy.sum(axis=ctx.dim, keepdims=True))  # y (g - sum(g y))

    def jvp(ctx, t, *_):
        y = ctx.result
        return y * (t - (y * t).sum(ctx.dim, keepdim=True))


class _SafeSoftmax(_Softmax):
    """softmax whose rows of all -inf give zeros, not NaN (torch's _safe_softmax, what its
    attention kernels give a fully masked row); the backward reads the zeros: no gradient."""

    _name = "SafeSoftmaxBackward0"

    def forward(ctx, x, dim):
        dead = (x == -np.inf).all(axis=dim, keepdims=True)
        if not dead.any():
            return _Softmax.forward(ctx, x, dim)
        with np.errstate(invalid="ignore"):
            e = _Softmax.forward(ctx, x, dim)
        return _xp(e).where(dead, e.dtype.type(0), e)


def _softmax_dim(name, ndim, stacklevel=3):
    warnings.warn(f"Implicit dimension choice for {name} has been deprecated. Change the call "
                  "to include dim=X as an argument.", stacklevel=stacklevel)
    return 0 if ndim in (0, 1, 3) else 1


def _softmax_op(cls, input, dim, dtype):
    if dtype is not None:
        input = input.to(dtype)
    elif not input.dtype.is_floating_point:
        raise NotImplementedError(f"\"{cls._name[:-9].lower()}_lastdim_kernel_impl\" not "
                                  f"implemented for '{input.dtype._legacy[:-6]}'")
    nd = input._data.ndim
    d = dim if dim.__class__ is int and 0 <= dim < nd else _dim(dim, nd) if nd else 0
    kw = {"rounded": True} if (cls is _LogSoftmax and input.dtype is D.bfloat16 and (
        nd == 0 or d == nd - 1)) else _NOKW  # torch's last-dim bfloat16 kernel
    if nd == 0:
        return cls.run((input,), (input._data.reshape(1),), {"dim": 0, **kw}).reshape(())
    r = cls.run((input,), (input._data,), {"dim": d, **kw})
    if r.grad_fn is not None:
        r.grad_fn._given = dim  # torch saves the dims as given
    return r


def softmax(input, dim=None, _stacklevel=3, dtype=None):
    """Matches torch.nn.functional.softmax."""
    if dim is None:
        dim = _softmax_dim("softmax", input.dim(), _stacklevel)
    return _softmax_op(_Softmax, input, dim, dtype)


def log_softmax(input, dim=None, _stacklevel=3, dtype=None):
    """Matches torch.nn.functional.log_softmax."""
    if dim is None:
        dim = _softmax_dim("log_softmax", input.dim(), _stacklevel)
    return _softmax_op(_LogSoftmax, input, dim, dtype)


def softmin(input, dim=None, _stacklevel=3, dtype=None):
    """Matches torch.nn.functional.softmin: softmax(-input)."""
    if dim is None:
        dim = _softmax_dim("softmin", input.dim(), _stacklevel)
    if dtype is not None:
        input = input.to(dtype)
    return softmax(-input, dim)


def gumbel_softmax(logits, tau=1, hard=False, eps=1e-10, dim=-1):
    """Matches torch.nn.functional.gumbel_softmax: softmax((logits + g) / tau) with g standard
    Gumbel noise (-log of an exponential draw, torch's stream); `hard` returns the one-hot of
    the argmax with the soft sample's gradient (straight-through)."""
    if eps != 1e-10:
        warnings.warn("`eps` parameter is deprecated and has no effect.", stacklevel=2)
    gumbels = -logits.new_empty(logits.shape).exponential_().log()
    y_soft = ((logits + gumbels) / tau).softmax(dim)
    if not hard:
        return y_soft
    index = y_soft.max(dim, keepdim=True)[1]
    y_hard = logits.new_zeros(logits.shape).scatter_(dim, index, 1.0)
    return y_hard - y_soft.detach() + y_soft


def _softmax_method(self, dim, dtype=None):
    return softmax(self, dim, dtype=dtype)


def _log_softmax_method(self, dim, dtype=None):
    return log_softmax(self, dim, dtype=dtype)


Tensor.softmax = _torch_args(_softmax_method, "softmax", is_method=True)  # x.softmax(axis=1)
Tensor.log_softmax = _torch_args(_log_softmax_method, "log_softmax", is_method=True)


# ---------------------------------------------------------------- dropout
def _check_p(p):
    """p checked, as the float torch's kernel takes (a 0-d tensor p is read as a double: as a
    tensor it drew its mask through bernoulli_'s tensor path, another stream)."""
    if p < 0.0 or p > 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    return float(p) if isinstance(p, Tensor) else p


def _dense(a):
    """torch's non-overlapping-and-dense test: strides are a permutation of contiguous ones."""
    expected = a.itemsize
    for st, n in sorted((st, n) for st, n in zip(a.strides, a.shape) if n != 1):
        if st != expected:
            return False
        expected *= n
    return True


def _dropout_impl(input, p, training, inplace, feature=False, alpha=False):
    p = _check_p(p)
    if feature and training and 0 < p < 1 and input.dim() < 2:
        raise RuntimeError("Feature dropout requires at least 2 dimensions in the input")
    if not training or p == 0 or input.numel() == 0:
        return input
    if not (input.dtype.is_floating_point or input.dtype.is_complex) and p < 1:
        raise RuntimeError(f"result type Float can't be cast to the desired output type "
                           f"{input.dtype._legacy[:-6]}")
    if p == 1:
        x = input._data
        zero = _wrap((np if isinstance(x, np.ndarray) else _xp(x)).zeros((), input.dtype.np))
        return input.mul_(zero) if inplace else input * zero
    shape = input.shape
    if feature:
        shape = tuple(shape[:2]) + (1,) * (input.dim() - 2)
    x = input._data
    # torch draws the mask in the memory order of empty_like(input): the input's own layout
    # when it is non-overlapping and dense (e.g. a transposed view), else row-major
    xp = np if isinstance(x, np.ndarray) else _xp(x)
    noise = _wrap(xp.empty_like(x) if not feature and _dense(x) else
                  xp.empty(shape, input.dtype.np))
    noise.bernoulli_(1 - p)
    nd = noise._data
    if alpha:
        a_ = 1.7580993408473766
        a = 1.0 / math.sqrt((a_ * a_ * p + 1) * (1 - p))
        b = _wrap((nd - 1) * nd.dtype.type(a_ * a) + nd.dtype.type(a_ * a * p))
        nd *= nd.dtype.type(a)
        out = input.mul_(noise) if inplace else input * noise
        return out.add_(b) if inplace else out + b
    nd /= nd.dtype.type(1 - p)
    return input.mul_(noise) if inplace else input * noise


def dropout(input, p=0.5, training=True, inplace=False):
    """Matches torch.nn.functional.dropout: mask ~ Bernoulli(1-p) / (1-p), torch's stream."""
    return _dropout_impl(input, p, training, inplace)


def alpha_dropout(input, p=0.5, training=False, inplace=False):
    """Matches torch.nn.functional.alpha_dropout (keeps SELU's mean and variance)."""
    return _dropout_impl(input, p, training, inplace, alpha=True)


def feature_alpha_dropout(input, p=0.5, training=False, inplace=False):
    return _dropout_impl(input, p, training, inplace, feature=True, alpha=True)


_SPATIAL = {"dropout2d": ("2 spatial dimensions", "3D or 4D"),
            "dropout3d": ("3 spatial dimensions", "4D or 5D")}


def _feature_dropout(input, p, training, inplace, batched_dim, name):
    p = _check_p(p)
    if input.dim() not in (batched_dim - 1, batched_dim):
        dims, ok = _SPATIAL.get(name, ("1 spatial dimension", "2D or 3D"))
        warnings.warn(f"{name}: Received a {input.dim()}-D input to {name}, which is deprecated "
                      "and will result in an error in a future release. To retain the behavior "
                      "and silence this warning, please use dropout instead. Note that "
                      f"{name} exists to provide channel-wise dropout on inputs with {dims}, a "
                      f"channel dimension, and an optional batch dimension (i.e. {ok} inputs).",
                      stacklevel=3)
    if name == "dropout2d" and input.dim() == 3:  # torch: a batched 1-d input (N, C, L)
        warnings.warn("dropout2d: Received a 3D input to dropout2d and assuming that channel-wise "
                      "1D dropout behavior is desired - input is interpreted as shape (N, C, L), "
                      "where C is the channel dim. This behavior will change in a future release "
                      "to interpret the input as one without a batch dimension, i.e. shape (C, H, "
                      "W). To maintain the 1D channel-wise dropout behavior, please switch to "
                      "using dropout1d instead.", stacklevel=3)
        return _dropout_impl(input, p, training, inplace, feature=True)
    if input.dim() == batched_dim - 1 or name == "dropout3d" and input.dim() != 5:
        # (torch's dropout3d takes any input but a 5-d one as unbatched)
        out = _dropout_impl(input.unsqueeze(0), p, training, False, feature=True)
        out = out.squeeze(0)
        return input.copy_(out) if inplace else out
    return _dropout_impl(input, p, training, inplace, feature=True)


def dropout1d(input, p=0.5, training=True, inplace=False):
    if input.dim() not in (2, 3):
        raise RuntimeError(f"dropout1d: Expected 2D or 3D input, but received a {input.dim()}D "
                           "input. Note that dropout1d exists to provide channel-wise dropout on "
                           "inputs with 1 spatial dimension, a channel dimension, and an "
                           "optional batch dimension (i.e. 2D or 3D inputs).")
    return _feature_dropout(input, p, training, inplace, 3, "dropout1d")


def dropout2d(input, p=0.5, training=True, inplace=False):
    return _feature_dropout(input, p, training, inplace, 4, "dropout2d")


def dropout3d(input, p=0.5, training=True, inplace=False):
    return _feature_dropout(input, p, training, inplace, 5, "dropout3d")


# ---------------------------------------------------------------- normalization and distances
def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-5):
    """Matches torch.nn.functional.layer_norm: (x - mean) / sqrt(var + eps) * w + b."""
    if _norm._mixed(input, weight, bias):  # torch's mixed-type kernel: float32 math
        return layer_norm(input.float(), normalized_shape, weight, bias, eps).to(input.dtype)
    if input.dtype is D.bfloat16 or input.dtype is D.float16:  # torch's kernel: float32 math,
        return layer_norm(input.float(), normalized_shape, *(  # one rounding
            None if p is None else p.float() for p in (weight, bias)), eps).to(input.dtype)
    if isinstance(normalized_shape, numbers.Integral):
        normalized_shape = (normalized_shape,)
    k = len(normalized_shape)
    if tuple(input.shape[input.dim() - k:]) != tuple(normalized_shape) or input.dim() < k:
        raise RuntimeError(f"Given normalized_shape={list(normalized_shape)}, expected input "
                           f"with shape [*, {', '.join(str(s) for s in normalized_shape)}], but "
                           f"got input of size{list(input.shape)}")
    from ..autograd import _composite
    from . import _norm_fused as nf
    return _composite.record("NativeLayerNormBackward0", _layer_norm, (input, weight, bias),
                             {"normalized_shape": tuple(normalized_shape), "eps": eps},
                             fast=(nf.layer_norm_fwd, nf.layer_norm_bwd)
                             if nf.eligible(input, weight, bias) else None)


def _layer_norm(input, weight, bias, normalized_shape, eps):
    """layer_norm's arithmetic, recorded as torch's one NativeLayerNormBackward0 node."""
    axes = tuple(range(input.dim() - len(normalized_shape), input.dim()))
    mean = input.mean(axes, keepdim=True)
    xc = input - mean
    rstd = ((xc * xc).mean(axes, keepdim=True) + eps).rsqrt()
    out = xc * rstd
    if weight is not None:
        out = out * weight
    if bias is not None:
        out = out + bias
    return out


def normalize(input, p=2.0, dim=1, eps=1e-12, out=None):
    """Matches torch.nn.functional.normalize: input / max(||input||_p, eps) along dim."""
    denom = input.norm(p, dim, keepdim=True).clamp_min(eps).expand_as(input)
    if out is None:
        return input / denom
    from .. import div
    return div(input, denom, out=out)  # torch's div(out=): its resize, dtype and grad rules


def cosine_similarity(x1, x2, dim=1, eps=1e-8):
    """Matches torch.nn.functional.cosine_similarity (each input divided by its norm first)."""
    from ..ops.shape import broadcast_tensors
    a, b = broadcast_tensors(x1, x2)
    na = a.norm(2, dim, keepdim=True).clone()
    nb = b.norm(2, dim, keepdim=True).clone()
    with _gm.no_grad():
        na.clamp_(min=eps)
        nb.clamp_(min=eps)
    return ((a / na) * (b / nb)).sum(dim)


def pdist(input, p=2):
    """Matches torch.nn.functional.pdist (torch.pdist)."""
    from ..functional import pdist as f
    return f(input, p)


def pairwise_distance(x1, x2, p=2.0, eps=1e-6, keepdim=False):
    """Matches torch.nn.functional.pairwise_distance: ||x1 - x2 + eps||_p over the last dim."""
    d = max(x1.dim(), x2.dim()) - 1
    return (x1 - x2 + eps).norm(p, d, keepdim=keepdim)


def one_hot(tensor, num_classes=-1):
    """Matches torch.nn.functional.one_hot (int64 result)."""
    if tensor.dtype is not D.int64:
        raise RuntimeError("one_hot is only applicable to index tensor of type LongTensor.")
    idx = tensor._data
    if num_classes == -1:
        if idx.size == 0:
            raise RuntimeError("Can not infer total number of classes from empty tensor.")
        num_classes = int(idx.max()) + 1
    if idx.size and idx.min() < 0:
        raise RuntimeError("Class values must be non-negative.")
    if idx.size and idx.max() >= num_classes:
        raise RuntimeError("Class values must be smaller than num_classes.")
    if idx.__class__ is not np.ndarray:  # a device array
        xp = _xp(idx)
        return _wrap((idx[..., None] == xp.arange(num_classes)).astype(np.int64))
    out = np.zeros(idx.shape + (num_classes,), np.int64)
    np.put_along_axis(out, idx[..., None], 1, axis=-1)
    return _wrap(out)


# ---------------------------------------------------------------- activations, losses,
# convolution, pooling, norms, resampling, attention: written in their own family files,
# exported here under torch's names
from . import _norm  # noqa: E402
from ._activation import (  # noqa: E402,F401
    celu,
    celu_,
    elu,
    elu_,
    gelu,
    glu,
    hardshrink,
    hardsigmoid,
    hardswish,
    hardtanh,
    hardtanh_,
    leaky_relu,
    leaky_relu_,
    logsigmoid,
    mish,
    prelu,
    relu,
    relu6,
    relu_,
    rrelu,
    rrelu_,
    selu,
    selu_,
    sigmoid,
    silu,
    softplus,
    softshrink,
    softsign,
    tanh,
    tanhshrink,
    threshold,
    threshold_,
)
from ._attention import multi_head_attention_forward, scaled_dot_product_attention  # noqa: E402,F401
from ._conv import (  # noqa: E402,F401
    conv1d,
    conv2d,
    conv3d,
    conv_transpose1d,
    conv_transpose2d,
    conv_transpose3d,
    fold,
    pad,
    unfold,
)
from ._ctc import ctc_loss  # noqa: E402,F401
from ._embedding import embedding, embedding_bag  # noqa: E402,F401
from ._functional_loss import *  # noqa: E402,F401,F403
from ._functional_loss import __all__ as _loss_names  # noqa: E402,F401
from ._grid_sample import grid_sample  # noqa: E402,F401
from ._margin_loss import *  # noqa: E402,F401,F403
from ._margin_loss import __all__ as _margin_names  # noqa: E402
from ._norm import (  # noqa: E402,F401
    batch_norm,
    group_norm,
    instance_norm,
    local_response_norm,
    rms_norm,
)
from ._pool import (  # noqa: E402,F401
    adaptive_avg_pool1d,
    adaptive_avg_pool2d,
    adaptive_avg_pool3d,
    adaptive_max_pool1d,
    adaptive_max_pool2d,
    avg_pool1d,
    avg_pool2d,
    avg_pool3d,
    lp_pool1d,
    lp_pool2d,
    max_pool1d,
    max_pool2d,
    max_pool3d,
    max_unpool1d,
    max_unpool2d,
)
from ._pool3d import *  # noqa: E402,F401,F403
from ._pool3d import __all__ as _pool3d_names  # noqa: E402
from ._pool_fractional import *  # noqa: E402,F401,F403
from ._pool_fractional import __all__ as _fractional_names  # noqa: E402
from ._resample import (  # noqa: E402,F401
    affine_grid,
    channel_shuffle,
    interpolate,
    pixel_shuffle,
    pixel_unshuffle,
    upsample,
    upsample_bilinear,
    upsample_nearest,
)

__all__ += _loss_names + _margin_names
__all__ += _pool3d_names + _fractional_names
