"""Decompositions and solvers: det, slogdet, inv, solve, solve_triangular, cholesky, qr, eigh,
svd, and the torch.* functions built on them (torch.det, torch.inverse, torch.svd, ...).

The factorizations are primitives whose backward is the standard matrix-calculus formula,
written with ember ops so it is itself differentiable; everything else (logdet, matrix_power,
matrix_exp, cross) is a composite. The pseudo-inverse is in pinv.py. `ember.linalg` wraps these
in torch.linalg's API. Forwards run batched over leading dims through NumPy's gufuncs.
"""

__all__ = ["det", "inverse", "slogdet", "logdet", "cholesky", "pinverse", "matrix_power",
           "matrix_exp", "svd", "qr", "cross", "lu_unpack"]

import collections
import math
import numbers
import warnings

import numpy as np

from .._tensor import Tensor, _wrap
from ..amp import _hook as _amp
from ..autograd import forward_ad as _fwd
from ..autograd import grad_mode as _gm
from ..autograd.function import Op
from . import lu as _lu
from ._util import user_stacklevel
from .inplace import _out
from .linalg import _xp
from .lu import _getrf, lu_unpack  # noqa: F401  (lu_unpack: torch.lu_unpack)


class _LinAlgError(RuntimeError):
    """torch.linalg.LinAlgError: a factorization or solve failed on a singular/non-PD input."""

    __module__ = "torch._C"


def _rtype(name, fields):
    cls = collections.namedtuple(name, fields)
    cls.__module__ = "torch.return_types"
    cls.__repr__ = lambda self: f"torch.return_types.{name}(\n" + ",\n".join(
        f"{f}={v!r}" for f, v in zip(fields, self)) + ")"
    return cls


_OUT_TYPES = {}


def _out_rtype(r):
    """torch's `<name>_out` return type, which a function with out= gives back."""
    cls = r.__class__
    t = _OUT_TYPES.get(cls)
    if t is None:
        t = _OUT_TYPES[cls] = _rtype(cls.__name__ + "_out", list(cls._fields))
    return t


def _cname(dt):
    from .linalg import _C_NAMES
    return _C_NAMES.get(dt.name, dt.name)


_slogdet_t = _rtype("slogdet", ["sign", "logabsdet"])
_lslogdet_t = _rtype("linalg_slogdet", ["sign", "logabsdet"])
_eigh_t = _rtype("linalg_eigh", ["eigenvalues", "eigenvectors"])
_svd_t = _rtype("linalg_svd", ["U", "S", "Vh"])
_osvd_t = _rtype("svd", ["U", "S", "V"])
_qr_t = _rtype("linalg_qr", ["Q", "R"])
_lu_unpack_t = _rtype("lu_unpack", ["P", "L", "U"])
_oqr_t = _rtype("qr", ["Q", "R"])


# ---- argument checks, with torch's wording ------------------------------------------------------

def _check_matrix(a, name, square=True, arg="A", floating=True):
    """torch's checks in torch's order: at least 2 dims, square, floating or complex."""
    if a._data.ndim < 2:
        raise RuntimeError(f"{name}: The input tensor {arg} must have at least 2 dimensions.")
    m, n = a._data.shape[-2:]
    if square and m != n:
        raise RuntimeError(f"{name}: A must be batches of square matrices, but they are {m} by "
                           f"{n} matrices")
    if floating and not (a.dtype.is_floating_point or a.dtype.is_complex):
        raise RuntimeError(f"{name}: Expected a floating point or complex tensor as input. "
                           f"Got {a.dtype._legacy[:-6]}")


def _castable(r, out, name, api, grad=True):
    """out= for the linalg functions that cast their result into out (not exact dtypes)."""
    if out is not None and isinstance(out, Tensor):
        from .. import _dtype as D
        if not D.can_cast(r.dtype, out.dtype):
            raise RuntimeError(f"{api}: Expected result to be safely castable from "
                               f"{r.dtype._legacy[:-6]} dtype, but got result with dtype "
                               f"{out.dtype._legacy[:-6]}")
    return _out(r, out, name, grad=grad)


def _batch_prefix(a, k):
    return f"(Batch element {k}): " if a.ndim > 2 else ""


def _first_failure(info):
    """(batch index, LAPACK info) of the first failed matrix of a batch."""
    flat = np.asarray(info).reshape(-1)
    k = int(np.flatnonzero(flat)[0])
    return k, int(flat[k])


def _singular_index(a):
    """(batch index, zero pivot) of the first matrix in a batch that LAPACK cannot invert."""
    return _first_failure(_getrf(np.asarray(a))[2])


def _inv_ex(a, name, check):
    """(inverse, info) as torch's linalg.inv_ex; with `check`, a singular matrix raises."""
    xp = _xp(a)
    try:
        return xp.linalg.inv(a), xp.zeros(a.shape[:-2], np.int32)
    except np.linalg.LinAlgError:
        inv, info = _lu.inv_ex(np.asarray(a))
    if check:
        k, piv = _first_failure(info)
        raise _LinAlgError(f"{name}: {_batch_prefix(a, k)}The diagonal element {piv} is zero, the "
                           "inversion could not be completed because the input matrix is "
                           "singular.")
    return xp.asarray(inv), xp.asarray(info)


def _cholesky_ex(a, name, check):
    """(lower factor, info) as torch's linalg.cholesky_ex; with `check`, a failure raises."""
    xp = _xp(a)
    try:
        return xp.linalg.cholesky(a), xp.zeros(a.shape[:-2], np.int32)
    except np.linalg.LinAlgError:
        low, info = _lu.potrf_ex(np.asarray(a))
    if check:
        k, order = _first_failure(info)
        raise _LinAlgError(f"{name}: {_batch_prefix(a, k)}The factorization could not be "
                           "completed because the input is not positive-definite (the leading "
                           f"minor of order {order} is not positive-definite).")
    return xp.asarray(low), xp.asarray(info)


# ---- helpers on Tensors for the backward formulas ----------------------------------------------

def _eye_like(t, n):
    return _wrap(_xp(t._data).eye(n, dtype=t._data.dtype))


def _diag_embed(v):
    return v.unsqueeze(-1) * _eye_like(v, v.shape[-1])


def _diagonal(a):
    return (a * _eye_like(a, a.shape[-1])).sum(-1)


def _skew(a):
    return a - a.mH  # skew-Hermitian part (times 2); skew-symmetric for real a


class _Factor(Op):
    """An op with several outputs that its backward reads: kept as arrays, rebuilt on use."""

    def _outs(ctx):
        return tuple(_wrap(o, True, ctx, i) for i, o in enumerate(ctx._arrays))

    def _release(ctx):
        Op._release(ctx)
        ctx._arrays = None


# ---- primitives ---------------------------------------------------------------------------------

class Inv(Op):
    """(inverse, info); `check` raises torch's error for a singular matrix."""

    _name = "LinalgInvExBackward0"
    _holomorphic = True  # (complex gradients: Op._call_backward)
    jvp = _fwd.transposed
    save_output = True
    nondiff_outputs = (1,)

    def forward(ctx, a, name, check=True):
        return _inv_ex(a, name, check)

    def backward(ctx, grad, _):
        y = ctx.output
        return -(y.mT @ grad @ y.mT), None, None  # d A^-1 = -A^-T G A^-T


class Det(Op):
    _name = "LinalgDetBackward0"
    _holomorphic = True  # (complex gradients: Op._call_backward)
    jvp = _fwd.transposed
    save_inputs = (0,)
    save_output = True

    def forward(ctx, a):
        return _xp(a).asarray(_xp(a).linalg.det(a))

    def backward(ctx, grad):
        (a,), d = ctx.saved_tensors, ctx.output
        # d det = det A^-T. A singular A (det 0): torch's first-order formula solves with its LU
        # factors' zero pivots nudged to eps, so the gradient is 0 * finite (no error). (Its
        # double backward takes the adjugate through an SVD: ember's needs A invertible.)
        inv = _inverse_or_lu(a, nudge=True)
        return (grad * d).unsqueeze(-1).unsqueeze(-1) * inv.mT


def _inverse_or_lu(a, nudge=False):
    """inverse(a), or for a singular matrix in a first-order backward `_lu_inverse` (torch's
    det / slogdet backward solve with the LU factors: no error there)."""
    try:
        return inverse(a)
    except _LinAlgError:
        if _gm._enabled[0]:
            raise
        return _lu_inverse(a, nudge)


def _lu_inverse(a, nudge=False):
    """A^-1 from getrf's factors with IEEE arithmetic: a singular matrix gives inf / nan (or,
    with `nudge`, finite values: its zero pivots replaced by eps, torch's det backward), never
    an error. First-order backward only: an array wrapped without a graph."""
    x = a._data
    lu, piv, _ = _getrf(x)
    if nudge:
        dg = np.diagonal(lu, axis1=-2, axis2=-1).copy()
        eps = np.finfo(lu.real.dtype).eps
        np.einsum("...ii->...i", lu)[...] = np.where(dg == 0, eps, dg)
    eye = np.broadcast_to(np.eye(x.shape[-1], dtype=lu.dtype), lu.shape)
    return _wrap(_lu._getrs(lu, piv, eye).astype(x.dtype, copy=False))


class Slogdet(Op):
    """(sign, log|det|): log|det| real for complex A as well; both outputs differentiable as
    torch's (a real matrix's sign has no gradient)."""

    _name = "LinalgSlogdetBackward0"
    save_inputs = (0,)
    save_output = True
    _materialize = False  # an output without a gradient stays None (the engine's zeros would
    # give a real matrix's sign a zero gradient where torch leaves .grad None)

    def jvp(ctx, t):
        (a,) = ctx.saved_tensors
        sign = ctx.result[0]
        _fwd.attach(sign, sign.new_zeros(sign.shape))  # torch's sign of a real matrix: zeros
        return None, (inverse(a).mT * t).sum((-2, -1))  # d log|det| = tr(A^-1 dA)

    def forward(ctx, a):
        xp = _xp(a)
        sign, logabs = xp.linalg.slogdet(a)
        return xp.asarray(sign, dtype=a.dtype), xp.asarray(logabs, dtype=a.real.dtype)

    def backward(ctx, gsign, glog):
        (a,) = ctx.saved_tensors
        inv = _inverse_or_lu(a)  # (singular: inf / nan, as torch's
        if not a.dtype.is_complex:                           # LU solve gives them)
            if glog is None:
                return (None,)
            return glog.unsqueeze(-1).unsqueeze(-1) * inv.mT  # d log|det| = A^-T
        # torch's: g = glog + i im(gsign conj(sign)), gA = g A^-H
        g = glog
        if gsign is not None:
            phase = (gsign * ctx.output.conj()).imag * 1j
            g = phase if g is None else g + phase
        return g.unsqueeze(-1).unsqueeze(-1) * inv.mH


class Solve(Op):
    _name = "LinalgSolveExBackward0"
    _holomorphic = True  # (complex gradients: Op._call_backward)
    jvp = _fwd.transposed
    save_inputs = (0,)
    save_output = True

    def forward(ctx, a, b, vector):
        ctx.vector = vector
        xp = _xp(a)
        try:
            return xp.linalg.solve(a, b[..., None])[..., 0] if vector else xp.linalg.solve(a, b)
        except np.linalg.LinAlgError:
            k, _ = _singular_index(a)
            raise _LinAlgError(f"torch.linalg.solve: {_batch_prefix(a, k)}The solver failed "
                               "because the input matrix is singular.") from None

    def backward(ctx, grad):
        (a,), x = ctx.saved_tensors, ctx.output
        gb = Solve.apply(a.mT, grad, ctx.vector)  # A^T gB = G
        if ctx.vector:
            return -gb.unsqueeze(-1) * x.unsqueeze(-2), gb, None
        return -(gb @ x.mT), gb, None  # gA = -gB X^T


class SolveTriangular(Op):
    _name = "LinalgSolveTriangularBackward0"
    _holomorphic = True  # (complex gradients: Op._call_backward)
    jvp = _fwd.transposed
    save_inputs = (0,)
    save_output = True

    def forward(ctx, a, b, upper, left, unitriangular):
        ctx.flags = (upper, left, unitriangular)
        xp = _xp(a)
        t = xp.triu(a) if upper else xp.tril(a)
        if unitriangular:
            n = a.shape[-1]
            t = t * (1 - xp.eye(n, dtype=a.dtype)) + xp.eye(n, dtype=a.dtype)
        with np.errstate(all="ignore"):
            if left:
                return _lu.tri_solve(xp, t, b, upper)
            return xp.swapaxes(_lu.tri_solve(xp, xp.swapaxes(t, -1, -2), xp.swapaxes(b, -1, -2),
                                          not upper), -1, -2)

    def backward(ctx, grad):
        (a,), x = ctx.saved_tensors, ctx.output
        upper, left, unit = ctx.flags
        gb = SolveTriangular.apply(a.mT, grad, not upper, left, unit)
        ga = -(gb @ x.mT) if left else -(x.mT @ gb)  # as for solve, on the used triangle
        ga = ga.triu(int(unit)) if upper else ga.tril(-int(unit))
        return ga, gb, None, None, None


class CholeskySolve(Op):
    """X with (L L^H) X = B from the lower factor L (U^H U X = B from the upper one), reading
    only that triangle, as LAPACK's potrs; torch's gradient, which treats the factor as a full
    matrix: gB = cholesky_solve(G, L), gL = -(gB X^H + X gB^H) L (-U (...) when upper)."""

    _name = "CholeskySolveBackward0"
    save_inputs = (1,)
    save_output = True

    def forward(ctx, b, f, upper):
        ctx.upper = upper
        xp = _xp(f)
        low = xp.swapaxes(xp.triu(f), -1, -2).conj() if upper else xp.tril(f)
        with np.errstate(all="ignore"):
            y = _lu.tri_solve(xp, low, b, False)
            return _lu.tri_solve(xp, xp.swapaxes(low, -1, -2).conj(), y, True)

    def backward(ctx, grad):
        (f,), x = ctx.saved_tensors, ctx.output
        gb = CholeskySolve.apply(grad, f, ctx.upper)
        common = gb @ x.mH
        common = common + common.mH
        return gb, -(f @ common) if ctx.upper else -(common @ f), None


class Cholesky(Op):
    """(lower factor, info); `check` raises torch's error for a matrix that is not PD. With
    `upper`, the factor of the Hermitian matrix A's upper triangle gives (LAPACK's 'U'): the
    lower factor of A^H, whose gradient torch writes with the lower formula all the same."""

    _name = "LinalgCholeskyExBackward0"
    jvp = _fwd.transposed
    save_output = True
    nondiff_outputs = (1,)

    def forward(ctx, a, name, check=True, upper=False):
        if upper:
            a = _xp(a).swapaxes(a, -1, -2).conj()
        return _cholesky_ex(a, name, check)

    def backward(ctx, grad, _):
        low = ctx.output
        t = (low.mH @ grad).tril()
        mid = 0.5 * (t + t.tril(-1).mH)  # Hermitian, built from the lower triangle
        ga = SolveTriangular.apply(low.mH, mid, True, True, False)
        return (SolveTriangular.apply(low, ga, False, False, False),  # L^-H mid L^-1
                None, None, None)


class Qr(_Factor):
    _name = "LinalgQrBackward0"
    jvp = _fwd.transposed

    def forward(ctx, a, mode):
        ctx.mode = mode
        xp = _xp(a)
        if mode == "r":
            r = xp.linalg.qr(a, mode="r")
            q = xp.zeros((0,), dtype=a.dtype)
        else:
            q, r = xp.linalg.qr(a, mode=mode)
        ctx._arrays = (q, r)
        return q, r

    def backward(ctx, gq, gr):
        q, r = ctx._outs()
        m, n = q.shape[-2], r.shape[-1]
        if ctx.mode == "r":
            raise RuntimeError("The derivative of linalg.qr depends on Q, which is not computed "
                               "when mode='r'. Please use linalg.qr(A, mode='reduced') if you "
                               "are going to differentiate through linalg.qr.")
        if ctx.mode == "complete" and m > n:
            raise RuntimeError("The QR decomposition is not differentiable when mode='complete' "
                               "and nrows > ncols.")
        gq = gq if gq is not None else q * 0
        gr = gr if gr is not None else r * 0
        if m >= n:
            return _qr_grad(q, r, gq, gr), None
        # A = Q [R1 R2]: the square part X = Q R1, then Y = Q R2 adds Y gR2^T to gQ
        r1, gr1, gr2 = r.narrow(-1, 0, m), gr.narrow(-1, 0, m), gr.narrow(-1, m, n - m)
        y = q @ r.narrow(-1, m, n - m)
        gx = _qr_grad(q, r1, gq + y @ gr2.mH, gr1)
        from .rearrange import cat
        return cat([gx, q @ gr2], -1), None


def _qr_grad(q, r, gq, gr):
    """gA = [gQ + Q copyltu(M)] R^-H with M = R gR^H - gQ^H Q (m >= n); copyltu mirrors the
    lower triangle (conjugated) above the diagonal and keeps the diagonal's real part."""
    mm = r @ gr.mH - gq.mH @ q
    if mm.dtype.is_complex:
        sym = mm.tril(-1)
        sym = sym + sym.mH + _diag_embed(_diagonal(mm).real.to(mm.dtype))
    else:
        sym = mm.tril() + mm.tril(-1).mT
    return SolveTriangular.apply(r.mH, gq + q @ sym, False, False, False)


class Eigh(_Factor):
    _name = "LinalgEighBackward0"
    jvp = _fwd.transposed
    _materialize = False  # an unused output's gradient stays None (not zeros): eigvalsh's
    # gradient V diag(gL) V^H needs no eigenvalue gaps, finite at repeated eigenvalues

    def forward(ctx, a, uplo):
        w, v = _xp(a).linalg.eigh(a, UPLO=uplo)
        ctx._arrays = (w, v)
        return w, v

    def backward(ctx, gw, gv):
        w, v = ctx._outs()
        mid = 0
        if gv is not None:
            vhgv = v.mH @ gv
            if vhgv.dtype.is_complex:  # (the diagonal of skew(V^H gV) is the phase's part)
                im = _diagonal(vhgv).imag
                _check_gauge(im, im * 0, "linalg_eigh_backward: The eigenvectors")
                mid = 0.5 * _skew(vhgv) / _gaps(w)
                mid = mid - _diag_embed(_diagonal(mid))
            else:
                mid = 0.5 * _skew(vhgv) / _gaps(w)
        if gw is not None:
            mid = mid + _diag_embed(gw.to(v.dtype))  # (complex V: real gL taken as complex)
        return v @ mid @ v.mH, None  # V (diag(gL) + skew(V^H gV) / E) V^H


def _gaps(x):
    """E_ij = x_j - x_i off the diagonal, 1 on it (so a division leaves the diagonal alone)."""
    e = x.unsqueeze(-2) - x.unsqueeze(-1)
    return e + _eye_like(e, e.shape[-1])


class Svd(_Factor):
    _name = "LinalgSvdBackward0"
    jvp = _fwd.transposed
    _materialize = False  # (as Eigh's: svdvals' gradient U diag(gS) V^H at repeated values)

    def forward(ctx, a, full_matrices):
        ctx.full = full_matrices
        u, s, vh = _xp(a).linalg.svd(a, full_matrices=full_matrices)
        ctx._arrays = (u, s, vh)
        return u, s, vh

    def backward(ctx, gu, gs, gvh):
        u, s, vh = ctx._outs()
        m, n, k = u.shape[-2], vh.shape[-1], s.shape[-1]
        if ctx.full:  # the extra singular vectors are arbitrary: only the first k count
            u, vh = u.narrow(-1, 0, k), vh.narrow(-2, 0, k)
            gu = None if gu is None else gu.narrow(-1, 0, k)
            gvh = None if gvh is None else gvh.narrow(-2, 0, k)
        v, gv = vh.mH, None if gvh is None else gvh.mH
        e = _gaps(s * s)
        uhgu = None if gu is None else u.mH @ gu
        vhgv = None if gv is None else v.mH @ gv
        if u.dtype.is_complex:  # the loss must not depend on the vectors' phases
            ims = [None if x is None else _diagonal(x).imag for x in (uhgu, vhgv)]
            if ims[0] is not None or ims[1] is not None:
                im_u = ims[0] if ims[0] is not None else ims[1] * 0
                im_v = ims[1] if ims[1] is not None else ims[0] * 0
                _check_gauge(im_u, -im_v, "svd_backward: The singular vectors",
                             "this phase term, making it")
        mid = 0
        if gu is not None:
            uhgu = _skew(uhgu)
            mid = uhgu * s.unsqueeze(-2) / e
        if gv is not None:
            mid = mid + s.unsqueeze(-1) * _skew(vhgv) / e
        if gs is not None:
            mid = mid + _diag_embed(gs.to(u.dtype))
        if u.dtype.is_complex and gu is not None:
            mid = mid + _diag_embed(_diagonal(uhgu) / (2 * s))
        ga = u @ mid @ vh
        if m > k and gu is not None:  # (I - U U^H) gU S^-1 V^H
            gus = gu / s.unsqueeze(-2)
            ga = ga + (gus - u @ (u.mH @ gus)) @ vh
        if n > k and gv is not None:  # U S^-1 gV^H (I - V V^H)
            gvs = gv / s.unsqueeze(-2)
            ga = ga + u @ (gvs.mH - (gvs.mH @ v) @ vh)
        return ga, None


def _check_gauge(a, b, what, depends="this quantity, so it is"):
    """torch's check that a loss of complex eigen / singular vectors does not depend on their
    arbitrary phases: allclose(a, b, rtol=1e-2, atol=1e-2) for the imaginary parts a, b of the
    gradient's diagonal terms."""
    if bool(((a - b).abs() <= 1e-2 + 1e-2 * b.abs()).all()):
        return
    raise RuntimeError(f"{what} in the complex case are specified up to multiplication by "
                       f"e^{{i phi}}. The specified loss function depends on {depends} "
                       "ill-defined.")


# ---- functions shared by torch.* and torch.linalg ------------------------------------------------

def _svd(a, full_matrices, name="linalg.svd"):
    _check_matrix(a, name, square=False)
    return _svd_t(*Svd.apply(a, bool(full_matrices)))


def _qr(a, mode, name="linalg.qr"):
    if mode not in ("reduced", "r", "complete"):
        raise RuntimeError(f"qr received unrecognized mode '{mode}' but expected one of "
                           "'reduced' (default), 'r', or 'complete'")
    _check_matrix(a, name, square=False)
    return Qr.apply(a, mode)


def _cross(input, other, dim):
    nd = max(input.dim(), other.dim())
    d = dim + nd if dim < 0 else dim
    a_len = input.shape[d - nd + input.dim()] if input.dim() > d - nd + input.dim() >= 0 else 1
    b_len = other.shape[d - nd + other.dim()] if other.dim() > d - nd + other.dim() >= 0 else 1
    if a_len != 3 or b_len != 3:
        raise RuntimeError(f"linalg.cross: inputs dimension {dim} must have length 3. Got "
                           f"{a_len} and {b_len}")
    try:
        shape = np.broadcast_shapes(tuple(input.shape), tuple(other.shape))
    except ValueError:
        from ._util import broadcast_error
        raise broadcast_error(input._data, other._data) from None
    from .cross import cross
    if input.dtype is not other.dtype:
        raise RuntimeError(f"expected scalar type {input.dtype._legacy[:-6]} but found "
                           f"{other.dtype._legacy[:-6]}")
    return cross(input, other, d + len(shape) - nd)


# ---- torch.* and Tensor methods -----------------------------------------------------------------

def det(input):
    _check_matrix(input, "linalg.det")
    return Det.apply(input)


def inverse(input, *, out=None):
    if _amp.on and out is None and _amp.active():
        return _amp.fp32(inverse, input)
    _check_matrix(input, "linalg.inv")
    return _out(Inv.apply(input, "linalg.inv")[0], out, "linalg_inv_ex", exact=True)


def slogdet(input, *, out=None):
    _check_matrix(input, "linalg.slogdet")
    return _tuple_out(_slogdet_t(*Slogdet.apply(input)), out, "slogdet", "_linalg_slogdet")


def _tuple_out(r, out, parser, name):
    """out= for a function returning several tensors: a tuple, each with the exact dtype."""
    if out is None:
        return r
    if not isinstance(out, (tuple, list)):
        raise TypeError(f"{parser}(): argument 'out' must be tuple of Tensors, not "
                        f"{type(out).__name__}")
    if len(out) != len(r):
        raise TypeError(f"expected tuple of {len(r)} elements but got {len(out)}")
    return _out_rtype(r)(*_out(tuple(r), tuple(out), name, exact=True))


def logdet(input):
    _check_matrix(input, "logdet")
    sign, logabs = Slogdet.apply(input)
    if input.dtype.is_complex:
        return sign.log() + logabs
    from .ternary import where  # torch's: NaN for a negative determinant, with no gradient
    return where(sign == -1, math.nan, logabs)


def cholesky(input, upper=False, *, out=None):
    if _amp.on and out is None and _amp.active():
        return _amp.fp32(cholesky, input, upper)
    warnings.warn("torch.cholesky is deprecated in favor of torch.linalg.cholesky and will be "
                  "removed in a future PyTorch release.", UserWarning,
                  stacklevel=user_stacklevel())
    _check_matrix(input, "cholesky")
    low = Cholesky.apply(input, "cholesky", True, upper)[0]
    return _castable(low.mH if upper else low, out, "cholesky", "cholesky")


def pinverse(input, rcond=1e-15):
    if _amp.on and _amp.active():
        return _amp.fp32(pinverse, input, rcond)
    from .pinv import _pinv
    return _pinv(input, rtol=rcond)


def matrix_power(input, n, _parser="matrix_power"):
    if not isinstance(n, numbers.Integral) or isinstance(n, bool):
        raise TypeError(f"{_parser}(): argument 'n' (position 2) must be int, not "
                        f"{type(n).__name__}")
    _check_matrix(input, "linalg.matrix_power", floating=False)
    if n < 0:
        input, n = inverse(input), -n
    if n == 0:  # the identity exactly (inf and nan in input do not reach it)
        return input.mul(0).nan_to_num(0.0, 0.0, 0.0).add_(_eye_like(input, input.shape[-1]))
    if n == 1:
        return input.clone()
    result, base = None, input
    while n:  # binary powering: log2(n) products
        if n & 1:
            result = base if result is None else result @ base
        n >>= 1
        if n:
            base = base @ base
    return result


def matrix_exp(input):
    """Scaling and squaring of a degree-18 Taylor series; its gradient comes from the ops."""
    _check_matrix(input, "linalg.matrix_exp")
    x = input._data
    norm = float(np.abs(x).sum(-2).max()) if x.size else 0.0
    s = max(0, int(math.ceil(math.log2(norm))) + 1) if norm > 0 else 0
    a = input / (2.0 ** s)
    eye = _eye_like(input, input.shape[-1])
    e = eye
    for k in range(18, 0, -1):  # Horner: I + A/1 (I + A/2 (I + ...))
        e = eye + (a @ e) / k
    for _ in range(s):
        e = e @ e
    return e


def svd(input, some=True, compute_uv=True, *, out=None):
    if _amp.on and out is None and _amp.active():
        return _amp.fp32(svd, input, some, compute_uv)
    if input._data.ndim < 2:
        raise RuntimeError(f"linalg.svd: input should have at least 2 dimensions, but has "
                           f"{input._data.ndim} dimensions instead")
    if not compute_uv:  # torch fills U and V with zeros, at full size
        u, s, vh = _svd(input, True)
        r = _osvd_t(u.detach() * 0, _svd(input, False).S, vh.mH.detach() * 0)
    else:
        u, s, vh = _svd(input, not some)
        r = _osvd_t(u, s, vh.mH)  # torch.svd's V: A = U diag(S) V^H
    return _tuple_out(r, out, "svd", "_linalg_svd")


def qr(input, some=True, *, out=None):
    if _amp.on and out is None and _amp.active():
        return _amp.fp32(qr, input, some)
    warnings.warn("torch.qr is deprecated in favor of torch.linalg.qr and will be removed in a "
                  "future PyTorch release.\nThe boolean parameter 'some' has been replaced with a "
                  "string parameter 'mode'.\nQ, R = torch.qr(A, some)\nshould be replaced with\n"
                  "Q, R = torch.linalg.qr(A, 'reduced' if some else 'complete')", UserWarning,
                  stacklevel=user_stacklevel())
    return _tuple_out(_oqr_t(*_qr(input, "reduced" if some else "complete")), out, "qr",
                      "linalg_qr")


def cross(input, other, dim=None):
    if dim is None:
        warnings.warn("Using torch.cross without specifying the dim arg is deprecated.\nPlease "
                      "either pass the dim explicitly or simply use torch.linalg.cross.\nThe "
                      "default value of dim will change to agree with that of linalg.cross in a "
                      "future release.", UserWarning, stacklevel=user_stacklevel())
        dim = next((i for i, d in enumerate(input.shape) if d == 3), -1)
    if input.dim() != other.dim():  # (linalg.cross broadcasts them)
        raise RuntimeError("linalg.cross: inputs must have the same number of dimensions.")
    return _cross(input, other, dim)
