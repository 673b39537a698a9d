"""Gradient clipping: clip_grad_norm_ (any p-norm, inf included) and clip_grad_value_.

Works on the grads' arrays in place and bumps their versions. The total norm is the norm of the
per-tensor norms, and the scale is min(max_norm / (total + 1e-6), 1), both computed in the grads'
dtype as torch does, so clipped grads match torch's to rounding.
"""

import types
import warnings

import numpy as np

from ..._device import array_module
from ..._tensor import Tensor, _wrap
from ...ops.moments import norm_one as _norm_one

__all__ = ["clip_grad_norm", "clip_grad_norm_", "clip_grad_value_", "clip_grads_with_norm_",
           "get_total_norm"]


def _as_list(tensors):
    return [tensors] if isinstance(tensors, Tensor) else list(tensors)


def _vector_norm(a, p):
    """torch.linalg.vector_norm(a, p) on an array, as a 0-d array of a's dtype."""
    a = np.abs(a)  # (a device array's own ufunc, through __array_ufunc__)
    if a.size == 0:
        return array_module(a).zeros((), a.dtype)
    if p == 2.0:
        a = a.ravel()
        return np.sqrt(np.dot(a, a))
    if p == float("inf"):
        return a.max()
    if p == -float("inf"):
        return a.min()
    if p == 0.0:
        return array_module(a).asarray(np.count_nonzero(a), a.dtype)
    if p == 1.0:  # torch's order: |x| added in order (ops.moments.norm_one)
        r = _norm_one(a, None, False)
        return a.sum() if r is None else r
    return (a ** a.dtype.type(p)).sum() ** a.dtype.type(1.0 / p)


def get_total_norm(tensors, norm_type=2.0, error_if_nonfinite=False, foreach=None):
    """The norm of all the tensors together (the norm of their norms), as a 0-d Tensor."""
    tensors = _as_list(tensors)
    norm_type = float(norm_type)
    if len(tensors) == 0:
        from ...ops.creation import tensor
        return tensor(0.0)
    norms = [_vector_norm(t._data, norm_type) for t in tensors]
    xp = np if isinstance(norms[0], (np.ndarray, np.generic)) else array_module(norms[0])
    total = xp.asarray(_vector_norm(xp.stack(norms), norm_type))
    if error_if_nonfinite and not np.isfinite(total):
        raise RuntimeError(
            f"The total norm of order {norm_type} for gradients from `parameters` is "
            "non-finite, so it cannot be clipped. To disable this error and scale the gradients "
            "by the non-finite norm anyway, set `error_if_nonfinite=False`")
    return _wrap(total)


def clip_grads_with_norm_(parameters, max_norm, total_norm, foreach=None):
    """Scales every grad by min(max_norm / (total_norm + 1e-6), 1)."""
    grads = [p.grad for p in _as_list(parameters) if p.grad is not None]
    max_norm = float(max_norm)
    if not grads:
        return
    total = total_norm._data
    one = total.dtype.type(1)
    if total.__class__ is not np.ndarray:  # a device array: the scale stays on the device
        xp = array_module(total)
        coef = xp.minimum(one / (total + total.dtype.type(1e-6)) * total.dtype.type(max_norm),
                          one)
        for g in grads:
            g._data *= coef.astype(g._data.dtype)
            g._bump()
        return
    # torch's scalar / tensor is reciprocal(tensor) * scalar
    coef = min(one / (total + total.dtype.type(1e-6)) * total.dtype.type(max_norm), one)
    with np.errstate(invalid="ignore"):  # a non-finite norm makes NaNs, silently as in torch
        for g in grads:
            g._data *= g._data.dtype.type(coef)
            g._bump()


def clip_grad_norm_(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False,
                    foreach=None):
    """Matches torch.nn.utils.clip_grad_norm_: clips in place, returns the total norm."""
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    else:
        is_generator = isinstance(parameters, types.GeneratorType)
        parameters = list(parameters)
        if is_generator and len(parameters) == 0:
            warnings.warn("`parameters` is an empty generator, no gradient clipping will occur.",
                          stacklevel=3)
    grads = [p.grad for p in parameters if p.grad is not None]
    total_norm = get_total_norm(grads, norm_type, error_if_nonfinite, foreach)
    clip_grads_with_norm_(parameters, max_norm, total_norm, foreach)
    return total_norm


def clip_grad_norm(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False, foreach=None):
    """Deprecated alias of clip_grad_norm_."""
    warnings.warn("`torch.nn.utils.clip_grad_norm` is now deprecated in favor of "
                  "`torch.nn.utils.clip_grad_norm_`.", FutureWarning, stacklevel=2)
    return clip_grad_norm_(parameters, max_norm, norm_type, error_if_nonfinite, foreach)


def clip_grad_value_(parameters, clip_value, foreach=None):
    """Clamps every grad to [-clip_value, clip_value] in place."""
    clip_value = float(clip_value)
    for p in _as_list(parameters):
        g = p.grad
        if g is not None:
            a = g._data
            np.clip(a, a.dtype.type(-clip_value), a.dtype.type(clip_value), out=a)
            g._bump()
