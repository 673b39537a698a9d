"""The pseudo-inverse (torch.linalg.pinv, torch.pinverse): its value from the SVD (eigh for a
Hermitian matrix) with torch's atol / rtol cut-off, and torch's pinv_backward / pinv_jvp as the
derivative, which treat A as a general matrix (hermitian=True too). Moved out of decomp.py,
whose Svd / Eigh primitives it uses, to keep that file under 700 lines.
"""

import numpy as np

from .._tensor import Tensor, _wrap
from ..autograd import grad_mode as _gm
from ..autograd.function import Op
from .decomp import Eigh, Svd


class Pinv(Op):
    """Attaches torch's pinv derivatives (pinv_backward / pinv_jvp, which treat A as a general
    matrix, hermitian=True too) to the pseudo-inverse computed by `_pinv_value`."""

    _name = "LinalgPinvBackward0"
    save_inputs = (0,)
    save_output = True

    def forward(ctx, a, r):
        return r

    def backward(ctx, grad):
        (a,), p = ctx.saved_tensors, ctx.output
        m, n = a.shape[-2:]
        ph, gh = p.mH, grad.mH
        if m <= n:
            k = gh @ p
            kph = k @ ph
            return -(p @ k).mH + kph - (a @ p) @ kph + (ph @ p) @ (gh - k @ a), None
        k = p @ gh
        phk = ph @ k
        return -(k @ p).mH + (gh - a @ k) @ p @ ph + phk - phk @ p @ a, None

    def jvp(ctx, ta, _):
        a, p = ctx.inputs[0], ctx.result
        from .creation import eye
        da_h, ph = ta.mH, p.mH
        m, n = a.shape[-2:]
        return (-(p @ ta @ p) + p @ ph @ da_h @ (eye(m, dtype=a.dtype) - a @ p)
                + (eye(n, dtype=a.dtype) - p @ a) @ da_h @ ph @ p)


def _pinv(a, atol=None, rtol=None, hermitian=False):
    if a._data.ndim < 2 or not (a.dtype.is_floating_point or a.dtype.is_complex):
        raise RuntimeError(f"linalg.pinv({a.dtype._legacy[0]}{a.dtype._legacy[1:-6]}"
                           f"{{{list(a.shape)}}}): expected a tensor with 2 or more dimensions "
                           "of float, double, cfloat or cdouble types")
    if not a.requires_grad:
        return _pinv_value(a, atol, rtol, hermitian)
    with _gm.no_grad():
        r = _pinv_value(a.detach(), atol, rtol, hermitian)
    return Pinv.apply(a, r._data)


def _pinv_value(a, atol, rtol, hermitian):
    if hermitian:
        w, v = Eigh.apply(a, "L")
        keep = _keep(w.abs(), w.abs().amax(-1, keepdim=True), a, atol, rtol)
        return (v * _safe_recip(w, keep).to(v.dtype).unsqueeze(-2)) @ v.mH
    u, s, vh = Svd.apply(a, False)
    keep = _keep(s, s.narrow(-1, 0, 1) if s.shape[-1] else s, a, atol, rtol)
    return (vh.mH * _safe_recip(s, keep).to(vh.dtype).unsqueeze(-2)) @ u.mH


def _keep(s, smax, a, atol, rtol):
    """Mask of singular values above max(atol, rtol * smax), torch's pinv / matrix_rank rule:
    tolerance tensors hold one value per matrix of the batch (broadcast over its singular
    values); rtol left out is 0 where atol > 0 and eps * max(m, n) elsewhere."""
    real = s._data.dtype
    if atol is not None:
        atol = (atol if isinstance(atol, Tensor) else _wrap(np.asarray(atol, real))).unsqueeze(-1)
    if rtol is None:
        default = float(np.finfo(real).eps) * max(a.shape[-2:])
        if atol is None:
            rtol = _wrap(np.asarray(default, real))
        else:
            from .ternary import where
            rtol = where(atol > 0, _wrap(np.asarray(0.0, real)),
                         _wrap(np.asarray(default, real)))
    elif isinstance(rtol, Tensor):
        rtol = rtol.unsqueeze(-1)
    else:
        rtol = _wrap(np.asarray(rtol, real))
    tol = smax * rtol
    if atol is not None:
        from .pointwise import maximum
        tol = maximum(tol, atol)
    return s > tol


def _safe_recip(s, keep):
    from .ternary import where
    one = s.detach() * 0 + 1
    return where(keep, 1 / where(keep, s, one), s * 0)
