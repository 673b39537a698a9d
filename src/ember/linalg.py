"""torch.linalg: the public names, argument checks and the composites (norms, pinv, lstsq, rank).

The primitives and their gradients live in `ops/decomp.py` (and LU in `ops/lu.py`, eig in
`ops/eig.py`); this module only routes torch.linalg's signatures onto them, so each formula exists
once. Every `out=` goes through `ops.inplace._out`, with the dtype rule and the wording of the
kernel torch reaches (an exact dtype for most, a cast for the composites).
"""

import math
import numbers

import numpy as np

from . import _dtype as D
from ._compat import module_getattr as _module_getattr
from ._tensor import _wrap
from .amp import _hook as _amp
from .ops import decomp as _d
from .ops import lu as _lu
from .ops._util import broadcast_error
from .ops.eig import eig, eigvals  # noqa: F401  (torch.linalg.eig, eigvals)
from .ops.inplace import _out
from .ops.linalg import matmul
from .ops.moments import check_identity
from .ops.moments import norm as _norm
from .ops.pinv import _keep, _pinv

LinAlgError = _d._LinAlgError
_lstsq_t = _d._rtype("linalg_lstsq", ["solution", "residuals", "rank", "singular_values"])
_inv_ex_t = _d._rtype("linalg_inv_ex", ["inverse", "info"])
_solve_ex_t = _d._rtype("linalg_solve_ex", ["result", "info"])
_triangular_t = _d._rtype("triangular_solve", ["solution", "cloned_coefficient"])
_chol_ex_t = _d._rtype("linalg_cholesky_ex", ["L", "info"])
__all__ = ["LinAlgError", "cholesky", "cholesky_ex", "cond", "cross", "det", "eig", "eigh",
           "eigvals", "eigvalsh", "inv", "inv_ex", "lstsq", "lu", "lu_factor", "lu_factor_ex",
           "lu_solve", "matmul", "matrix_exp", "matrix_norm", "matrix_power", "matrix_rank",
           "multi_dot", "norm", "pinv", "qr", "slogdet", "solve", "solve_triangular", "svd",
           "svdvals", "vecdot", "vector_norm", "solve_ex", "tensorinv", "tensorsolve",
           "diagonal", "vander"]
__getattr__ = _module_getattr(__name__)


_outs = _d._tuple_out


def det(A, *, out=None):
    return _out(_d.det(A), out, "_linalg_det", exact=True)


def slogdet(A, *, out=None):
    _d._check_matrix(A, "linalg.slogdet")
    return _outs(_d._lslogdet_t(*_d.Slogdet.apply(A)), out, "linalg_slogdet", "_linalg_slogdet")


def inv(A, *, out=None):
    if _amp.on and out is None and _amp.active():
        return _amp.fp32(inv, A)
    return _d.inverse(A, out=out)


def inv_ex(A, *, check_errors=False, out=None):
    if _amp.on and out is None and _amp.active():
        return _amp.fp32(inv_ex, A, check_errors=check_errors)
    _d._check_matrix(A, "linalg.inv")
    r = _inv_ex_t(*_d.Inv.apply(A, "linalg.inv_ex", bool(check_errors)))
    return _outs(r, out, "linalg_inv_ex", "linalg_inv_ex")


def solve(A, B, *, left=True, out=None):
    if _amp.on and out is None and _amp.active():
        return _amp.fp32(solve, A, B, left=left)
    _d._check_matrix(A, "linalg.solve")
    if A.dtype is not B.dtype:
        raise RuntimeError(f"linalg.solve: Expected A and B to have the same dtype, but found A "
                           f"of type {A.dtype._legacy[:-6]} and B of type {B.dtype._legacy[:-6]} "
                           "instead")
    n = A.shape[-1]
    vector = B.dim() == 1 or (B.dim() == A.dim() - 1 and B.shape == A.shape[:-1])
    rows, cols = (B.shape[-1], 1) if vector else tuple(B.shape[-2:])
    if (rows if left else cols) != n:
        eq, shp = ("AX = B", f"{rows}x{cols}") if left else ("XA = B", f"{rows}x{cols}")
        raise RuntimeError(f"linalg.solve: Incompatible shapes of A and B for the equation {eq} "
                           f"({n}x{n} and {shp})")
    _batch_check(A, B, 1 if vector else 2)
    r = _d.Solve.apply(A, B, vector) if left else _d.Solve.apply(A.mT, B.mT, False).mT
    return _out(r, out, "_linalg_solve_ex", exact=True)


def solve_ex(A, B, *, left=True, check_errors=False, out=None):
    """(solution, info) as torch.linalg.solve_ex: a singular A gives info > 0 (the first zero
    pivot) and LAPACK's inf / nan solution instead of the error, unless check_errors."""
    _d._check_matrix(A, "linalg.solve_ex")
    a = A._data
    from .ops.lu import _getrf, _getrs
    lu, piv, info = _getrf(a if left else np.swapaxes(a, -1, -2))
    if info.any() and check_errors:
        k, _ = _d._singular_index(a)
        raise _d._LinAlgError(f"torch.linalg.solve_ex: {_d._batch_prefix(a, k)}The solver failed "
                              "because the input matrix is singular.")
    if not info.any():
        x = solve(A, B, left=left)
    else:
        vector = B.dim() == 1 or (B.dim() == A.dim() - 1 and B.shape == A.shape[:-1])
        b = B._data[..., None] if vector else (B._data if left else np.swapaxes(B._data, -1, -2))
        r = _getrs(lu, piv, b).astype(a.dtype)
        r = r[..., 0] if vector else (r if left else np.swapaxes(r, -1, -2))
        x = _wrap(r)
    r = _solve_ex_t(x, _wrap(info.astype(np.int32)))
    return r if out is None else _outs(r, out, "linalg_solve_ex", "linalg_solve_ex")


def cholesky_solve(B, L, upper=False, *, out=None):
    """torch.cholesky_solve: X with A X = B for A = L L^H (U^H U when upper)."""
    if L.shape[-1] != B.shape[-2]:
        raise RuntimeError(f"Incompatible matrix sizes for cholesky_solve: each A matrix is "
                           f"{L.shape[-2]} by {L.shape[-1]} but each b matrix is {B.shape[-2]} "
                           f"by {B.shape[-1]}")
    return _out(_d.CholeskySolve.apply(B, L, bool(upper)), out, "cholesky_solve")


def cholesky_inverse(L, upper=False, *, out=None):
    """torch.cholesky_inverse: A^-1 for A = L L^H (U^H U when upper)."""
    from .ops.creation import eye
    i = eye(L.shape[-1], dtype=L.dtype, device=L.device).expand(L.shape)
    return _out(cholesky_solve(i, L, upper), out, "cholesky_inverse")


def triangular_solve(b, A, upper=True, transpose=False, unitriangular=False, *, out=None):
    """The deprecated torch.triangular_solve: (solution of op(A) X = b, a copy of A)."""
    import warnings
    warnings.warn("torch.triangular_solve is deprecated in favor of torch.linalg.solve_triangular"
                  "and will be removed in a future PyTorch release.\ntorch.linalg.solve_triangular "
                  "has its arguments reversed and does not return a copy of one of the inputs.\nX "
                  "= torch.triangular_solve(B, A).solution\nshould be replaced with\nX = "
                  "torch.linalg.solve_triangular(A, B).", UserWarning, stacklevel=2)
    a = A.mT if transpose else A
    x = solve_triangular(a, b, upper=upper != bool(transpose), unitriangular=unitriangular)
    r = _triangular_t(x, A.clone())
    return r if out is None else _outs(r, out, "triangular_solve", "triangular_solve")


def tensorinv(A, ind=2, *, out=None):
    """torch.linalg.tensorinv: the inverse of A viewed as a prod(shape[:ind]) square matrix,
    shaped shape[ind:] + shape[:ind]."""
    if ind <= 0:
        raise RuntimeError(f"Expected a strictly positive integer for 'ind', but got {ind}")
    front, back = tuple(A.shape[:ind]), tuple(A.shape[ind:])
    n = int(np.prod(front))
    if int(np.prod(back)) != n:
        raise RuntimeError("Expected self to satisfy the requirement prod(self.shape[ind:]) == "
                           "prod(self.shape[:ind]), but got "
                           f"{int(np.prod(back))} != {n}")
    return _out(inv(A.reshape(n, n)).reshape(back + front), out, "linalg_tensorinv")


def tensorsolve(A, B, dims=None, *, out=None):
    """torch.linalg.tensorsolve: X with tensordot(A, X, X.dim()) = B."""
    if dims is not None:
        nd = A.dim()
        dims = [d % nd for d in dims]
        A = A.permute([d for d in range(nd) if d not in dims] + dims)
    rest = tuple(A.shape[B.dim():])
    n = int(np.prod(B.shape))
    x = solve(A.reshape(n, int(np.prod(rest))), B.reshape(n))
    return _out(x.reshape(rest), out, "linalg_tensorsolve")


def diagonal(A, *, offset=0, dim1=-2, dim2=-1):
    """torch.linalg.diagonal: torch.diagonal with the last two dims as defaults."""
    return A.diagonal(offset, dim1, dim2)


def vander(x, *, N=None):
    """torch.linalg.vander: x^0 ... x^(N-1) along a new last dim (batched)."""
    n = x.shape[-1] if N is None else N
    if n <= 1:
        raise RuntimeError("N must be greater than 1.")
    from .functional import _powers
    return _powers(x, n)


def _batch_check(A, B, core):
    """torch's broadcasting error for batch dims of A and B that do not broadcast."""
    ba, bb = A.shape[:-2], B.shape[:B.dim() - core]
    try:
        np.broadcast_shapes(ba, bb)
    except ValueError:
        z = np.int8(0)
        raise broadcast_error(np.broadcast_to(z, bb), np.broadcast_to(z, ba)) from None


def solve_triangular(A, B, *, upper, left=True, unitriangular=False, out=None):
    _d._check_matrix(A, "linalg.solve_triangular", floating=False)
    if B.dim() < 2:
        raise RuntimeError("linalg.solve_triangular: The input tensor B must have at least 2 "
                           "dimensions.")
    n, (rows, cols) = A.shape[-1], B.shape[-2:]
    if (rows if left else cols) != n:
        raise RuntimeError(f"linalg.solve_triangular: Incompatible shapes of A and B for the "
                           f"equation {'AX = B' if left else 'XA = B'} ({n}x{n} and "
                           f"{rows}x{cols})")
    _batch_check(A, B, 2)
    dt = A.dtype  # torch solves in A's dtype, casting B to it
    if not (dt.is_floating_point or dt.is_complex):
        raise NotImplementedError(f'"triangular_solve_cpu" not implemented for '
                                  f"'{dt._legacy[:-6]}'")
    B = B.to(dt)
    r = _d.SolveTriangular.apply(A, B, bool(upper), bool(left), bool(unitriangular))
    return _out(r, out, "linalg_solve_triangular",
                exact="expected scalar type {result} but found {out}")


def cholesky(A, *, upper=False, out=None):
    if _amp.on and out is None and _amp.active():
        return _amp.fp32(cholesky, A, upper=upper)
    _d._check_matrix(A, "linalg.cholesky")
    low = _d.Cholesky.apply(A, "linalg.cholesky", True, upper)[0]  # (upper: from A's upper
    # triangle, as LAPACK's 'U')
    return _out(low.mH if upper else low, out, "linalg_cholesky_ex", exact=True)


def cholesky_ex(A, *, upper=False, check_errors=False, out=None):
    if _amp.on and out is None and _amp.active():
        return _amp.fp32(cholesky_ex, A, upper=upper, check_errors=check_errors)
    _d._check_matrix(A, "linalg.cholesky")
    low, info = _d.Cholesky.apply(A, "linalg.cholesky_ex", bool(check_errors), upper)
    r = _chol_ex_t(low.mH if upper else low, info)
    return _outs(r, out, "linalg_cholesky_ex", "linalg_cholesky_ex")


def qr(A, mode="reduced", *, out=None):
    if _amp.on and out is None and _amp.active():
        return _amp.fp32(qr, A, mode)
    return _outs(_d._qr_t(*_d._qr(A, mode)), out, "linalg_qr", "linalg_qr")


def _uplo(UPLO):
    if not isinstance(UPLO, str) or UPLO.upper() not in ("L", "U"):
        raise RuntimeError(f"Expected UPLO argument to be 'L' or 'U', but got {UPLO}")
    return UPLO.upper()


def eigh(A, UPLO="L", *, out=None):
    if _amp.on and out is None and _amp.active():
        return _amp.fp32(eigh, A, UPLO)
    _d._check_matrix(A, "linalg.eigh")
    r = _d._eigh_t(*_d.Eigh.apply(A, _uplo(UPLO)))
    return _outs(r, out, "linalg_eigh", "_linalg_eigh")


def eigvalsh(A, UPLO="L", *, out=None):
    if _amp.on and out is None and _amp.active():
        return _amp.fp32(eigvalsh, A, UPLO)
    _d._check_matrix(A, "linalg.eigh")
    return _out(_d.Eigh.apply(A, _uplo(UPLO))[0], out, "_linalg_eigh", exact=True)


def _no_driver(driver):
    if driver is not None:
        raise RuntimeError("torch.linalg.svd: keyword argument `driver=` is only supported on "
                           "CUDA inputs with cuSOLVER backend.")


def svd(A, full_matrices=True, *, driver=None, out=None):
    if _amp.on and out is None and _amp.active():
        return _amp.fp32(svd, A, full_matrices, driver=driver)
    _no_driver(driver)
    return _outs(_d._svd(A, full_matrices), out, "linalg_svd", "_linalg_svd")


def svdvals(A, *, driver=None, out=None):
    if _amp.on and out is None and _amp.active():
        return _amp.fp32(svdvals, A, driver=driver)
    _no_driver(driver)
    return _out(_d._svd(A, False).S, out, "_linalg_svd", exact=True)


def pinv(A, rcond=None, hermitian=False, *, atol=None, rtol=None, out=None):
    """torch's two forms: (A, *, atol, rtol, hermitian) and the older (A, rcond, hermitian),
    rcond being rtol with atol 0."""
    if rcond is not None:
        _one_form("linalg_pinv", "rcond", atol, rtol)
        atol, rtol = 0.0, rcond
    return _d._castable(_pinv(A, atol, rtol, hermitian), out, "linalg_pinv", "linalg.pinv")


def _one_form(fn, old, atol, rtol):
    if atol is not None or rtol is not None:
        got = ", ".join(["Tensor", "float"] + [f"{k}=float" for k, v in (("atol", atol),
                                                                        ("rtol", rtol))
                                               if v is not None])
        raise TypeError(
            f"{fn}() received an invalid combination of arguments - got ({got}), but expected "
            "one of:\n * (Tensor input, *, Tensor atol = None, Tensor rtol = None, bool hermitian "
            "= False, Tensor out = None)\n * (Tensor input, *, float atol = None, float rtol = "
            f"None, bool hermitian = False, Tensor out = None)\n * (Tensor input, Tensor {old}, "
            f"bool hermitian = False, *, Tensor out = None)\n * (Tensor input, float {old}, bool "
            "hermitian = False, *, Tensor out = None)\n")


_DRIVERS = ("gels", "gelsy", "gelsd", "gelss")


def lstsq(A, B, rcond=None, *, driver=None):
    """Matches torch.linalg.lstsq on CPU: each driver's rank, residuals and singular values."""
    if _amp.on and _amp.active():
        return _amp.fp32(lstsq, A, B, rcond, driver=driver)
    if driver is not None and driver not in _DRIVERS:
        raise RuntimeError("torch.linalg.lstsq: parameter `driver` should be one of (gels, "
                           "gelsy, gelsd, gelss)")
    if A.dim() < 2:
        raise RuntimeError("torch.linalg.lstsq: input must have at least 2 dimensions.")
    if A.dtype is not B.dtype:
        raise RuntimeError(f"torch.linalg.lstsq: Expected input and other to have the same "
                           f"dtype, but got input's dtype {A.dtype._legacy[:-6]} and other's "
                           f"dtype {B.dtype._legacy[:-6]}")
    vector = B.dim() == A.dim() - 1
    if A.shape[-2] != B.shape[-1 if vector else -2]:
        raise RuntimeError("torch.linalg.lstsq: input.size(-2) should match other.size("
                           f"{-1 if vector else -2})")
    rhs = B.unsqueeze(-1) if vector else B
    driver = driver or "gelsy"
    if driver == "gels":  # QR (LQ when wide) with no rank decision: rcond does not apply
        x = _gels(A, rhs)
    else:
        if driver == "gelsy" and rcond is not None and bool(
                (matrix_rank(A, rtol=_lstsq_rcond(A, rcond)) < min(A.shape[-2:])).any()):
            from ._compat import EmberNotImplemented
            raise EmberNotImplemented(
                "ember does not implement torch.linalg.lstsq's gelsy rank decision (QR with "
                "column pivoting) for a matrix that rcond makes rank-deficient yet: "
                "driver='gelsd' gives the singular-value decision")
        x = _pinv(A, rtol=rcond) @ rhs
    empty = _wrap(np.zeros((0,), dtype=A._data.real.dtype))  # (real for a complex A too)
    rank, sv = _wrap(np.zeros((0,), np.int64)), empty
    if driver != "gels":
        rank = matrix_rank(A, rtol=_lstsq_rcond(A, rcond))
    if driver in ("gelsd", "gelss"):
        sv = svdvals(A)
    resid = empty
    m, n = A.shape[-2:]
    if driver != "gelsy" and m > n and bool((matrix_rank(A) == n).all()):
        r = A @ x - rhs
        resid = (r.abs() ** 2 if r.is_complex() else r ** 2).sum(-2)  # |r|^2, real
    return _lstsq_t(x.squeeze(-1) if vector else x, resid, rank, sv)


def _gels(A, B):
    """LAPACK gels: the least-squares solution of a full-rank A (m >= n) from A = QR, or the
    minimum-norm one of a wide A from A^H = QR; no rank decision (rank-deficient A: huge or
    infinite values, as LAPACK's)."""
    m, n = A.shape[-2:]
    if m >= n:
        q, r = _d.Qr.apply(A, "reduced")
        return solve_triangular(r, q.mH @ B, upper=True)
    q, r = _d.Qr.apply(A.mH, "reduced")
    return q @ solve_triangular(r.mH, B, upper=False)


def _lstsq_rcond(A, rcond):
    return rcond if rcond is not None else float(np.finfo(A._data.dtype).eps) * max(A.shape[-2:])


def matrix_power(A, n):
    return _d.matrix_power(A, n, "linalg_matrix_power")


def matrix_exp(A):
    if _amp.on and _amp.active():
        return _amp.plain(matrix_exp, A)
    return _d.matrix_exp(A)


def cross(input, other, *, dim=-1, out=None):
    if input.dim() != other.dim():
        raise RuntimeError("linalg.cross: inputs must have the same number of dimensions.")
    a, b = input.shape[dim] if input.dim() else 0, other.shape[dim] if other.dim() else 0
    if a != 3 or b != 3:
        raise RuntimeError(f"linalg.cross: inputs dimension {dim} must have length 3. Got {a} "
                           f"and {b}")
    try:
        np.broadcast_shapes(input.shape, other.shape)
    except ValueError:
        raise broadcast_error(input._data, other._data) from None
    if input.dtype is not other.dtype:
        raise RuntimeError(f"expected scalar type {input.dtype._legacy[:-6]} but found "
                           f"{other.dtype._legacy[:-6]}")
    return _out(_d._cross(input, other, dim), out, "linalg_cross", exact=True)


def vecdot(x, y, *, dim=-1, out=None):
    if _amp.on and out is None and _amp.active():
        return _amp.lower(vecdot, x, y, dim=dim)
    if x.dtype is not y.dtype:
        raise RuntimeError(f"linalg.vecdot: Expected x and y to have the same dtype, but found x "
                           f"of type {x.dtype._legacy[:-6]} and y of type {y.dtype._legacy[:-6]} "
                           "instead")
    return _out((x.conj() * y).sum(dim), out, "sum",
                exact="linalg.vecdot: Expected out of dtype{result} but found {out}")


def multi_dot(tensors, *, out=None):
    if _amp.on and out is None and _amp.active():
        return _amp.lower(multi_dot, tensors)
    tensors = list(tensors)
    n = len(tensors)
    if n < 2:
        raise RuntimeError(f"multi_dot(): expected at least 2 tensors but got {n}")
    first, last = tensors[0].dim(), tensors[-1].dim()
    if first not in (1, 2):
        raise RuntimeError(f"multi_dot(): the first tensor must be 1D or 2D but got {first}D")
    if last not in (1, 2):
        raise RuntimeError(f"multi_dot(): the last tensor must be 1D or 2D but got {last}D")
    for i, t in enumerate(tensors[1:-1], 1):
        if t.dim() != 2:
            raise RuntimeError(f"multi_dot(): tensor {i} must be 2D but got {t.dim()}D")
    for i, t in enumerate(tensors[1:], 1):
        if t.dtype is not tensors[0].dtype:
            raise RuntimeError(f"multi_dot(): all tensors must have be the same dtype but tensor "
                               f"0 is {_d._cname(tensors[0].dtype)} and tensor {i} "
                               f"{_d._cname(t.dtype)}")
    mats = [tensors[0].unsqueeze(0) if first == 1 else tensors[0]] + tensors[1:-1] + \
        [tensors[-1].unsqueeze(-1) if last == 1 else tensors[-1]]
    for i in range(n - 1):
        if mats[i].shape[-1] != mats[i + 1].shape[0]:
            raise RuntimeError(f"multi_dot(): tensors {i} and {i + 1} with shapes "
                               f"{list(tensors[i].shape)} and {list(tensors[i + 1].shape)} cannot "
                               "be multiplied")
    result = mats[0]
    for t in mats[1:]:
        result = result @ t
    if first == 1:
        result = result.squeeze(0)
    if last == 1:
        result = result.squeeze(-1)
    return _out(result, out, "mm",
                exact="multi_dot(): expected out tensor to have dtype {result_c} but got {out_c}")


def vector_norm(x, ord=2, dim=None, keepdim=False, *, dtype=None, out=None):
    if not isinstance(ord, numbers.Number) or isinstance(ord, bool):
        raise TypeError(f"linalg_vector_norm(): argument 'ord' must be Number, not "
                        f"{type(ord).__name__}")
    check_identity(x, ord, dim)
    if dim is None and keepdim:
        r = vector_norm(x, ord, tuple(range(x.dim())), True, dtype=dtype)
    else:
        r = _norm(x, ord, dim, keepdim, dtype=dtype)
    return _out(r, out, "linalg_vector_norm", exact=True)


_MATRIX_ORDS = ("fro", "nuc", 2, -2, 1, -1, math.inf, -math.inf)


def matrix_norm(A, ord="fro", dim=(-2, -1), keepdim=False, *, dtype=None, out=None):
    r = _matrix_norm(A, ord, dim, keepdim, dtype)
    return _out(r, out, grad=False,
                exact="linalg.matrix_norm expected out tensor dtype {result} but got: {out}")


def _matrix_norm(A, ord, dim, keepdim, dtype):
    if A.dim() < 2:
        raise RuntimeError("linalg.matrix_norm: The input tensor A must have at least 2 "
                           "dimensions.")
    if not isinstance(dim, (tuple, list)) or len(dim) != 2:
        got = " ".join(str(d) for d in dim) if isinstance(dim, (tuple, list)) else dim
        raise RuntimeError(f"linalg.matrix_norm: dim must be a 2-tuple. Got {got}")
    d0, d1 = (d % A.dim() for d in dim)
    if d0 == d1:
        raise RuntimeError(f"linalg.matrix_norm: dims must be different. Got ({dim[0]}, "
                           f"{dim[1]})")
    if ord not in _MATRIX_ORDS:
        raise RuntimeError(f"linalg.matrix_norm: Order {ord} not supported.")
    if dtype is not None:
        A = A.to(dtype)
    if ord == "fro":
        return vector_norm(A, 2, (d0, d1), keepdim)
    m = A.movedim((d0, d1), (-2, -1))
    if ord == "nuc" or ord in (2, -2):
        s = _d._svd(m, False, "linalg.matrix_norm").S
        r = s.sum(-1) if ord == "nuc" else s.amax(-1) if ord == 2 else s.amin(-1)
    else:
        sums = m.abs().sum(-2 if abs(ord) == 1 else -1)  # 1: column sums, inf: row sums
        r = sums.amax(-1) if ord > 0 else sums.amin(-1)
    if keepdim:
        for d in sorted((d0, d1)):
            r = r.unsqueeze(d)
    return r


def norm(A, ord=None, dim=None, keepdim=False, *, dtype=None, out=None):
    if isinstance(dim, numbers.Integral):
        dim = (dim,)
    if dim is None and ord is not None:
        if A.dim() not in (1, 2):
            raise RuntimeError(f"linalg.norm: If dim is not specified but ord is, the input must "
                               f"be 1D or 2D. Got {A.dim()}D.")
        dim = tuple(range(A.dim()))
    if ord is not None and len(dim) not in (1, 2):
        raise RuntimeError(f"linalg.norm: If dim is specified, it must be of length 1 or 2. Got "
                           f"{list(dim)}")
    if ord is None:
        r = vector_norm(A, 2, dim, keepdim, dtype=dtype)
    elif isinstance(ord, str) or len(dim) == 2:
        r = _matrix_norm(A, ord, dim, keepdim, dtype)
    else:
        r = vector_norm(A, ord, dim, keepdim, dtype=dtype)
    return _out(r, out, grad=False,
                exact="linalg.norm expected out tensor dtype {result} but got: {out}")


def matrix_rank(A, tol=None, hermitian=False, *, atol=None, rtol=None, out=None):
    """torch's two forms: (A, *, atol, rtol, hermitian) and the older (A, tol, hermitian), tol
    being atol with rtol 0."""
    if tol is not None:
        _one_form("linalg_matrix_rank", "tol", atol, rtol)
        atol, rtol = tol, 0.0
    if _amp.on and out is None and _amp.active():
        return _amp.fp32(matrix_rank, A, atol=atol, rtol=rtol, hermitian=hermitian)
    if A.dim() < 2:
        raise RuntimeError("torch.linalg.matrix_rank: The input tensor input must have at least "
                           "2 dimensions.")
    if hermitian:
        s = _d.Eigh.apply(A, "L")[0].abs()
    else:
        s = _d._svd(A, False, "linalg.matrix_rank").S
    smax = s.amax(-1, keepdim=True) if s.shape[-1] else s
    return _out(_keep(s, smax, A, atol, rtol).sum(-1), out, grad=False)


_COND_ORDS = (None, 2, -2, "fro", "nuc", 1, -1, math.inf, -math.inf)


def cond(A, p=None, *, out=None):
    if _amp.on and out is None and _amp.active():
        return _amp.fp32(cond, A, p)
    if A.dim() < 2:
        raise RuntimeError("linalg.cond: The input tensor must have at least 2 dimensions.")
    if p not in _COND_ORDS or isinstance(p, bool):
        raise RuntimeError(f"linalg.cond got an invalid norm type: {p}")
    if p is None or p in (2, -2):
        if not A.shape[-1] or not A.shape[-2]:  # torch's condition number of nothing: 0
            return _d._castable(_wrap(np.zeros(A.shape[:-2], A._data.real.dtype)), out, None,
                                "linalg.cond", grad=False)
        s = _d._svd(A, False).S  # descending: torch divides the first by the last
        big, small = s[..., 0], s[..., -1]
        r = small / big if p == -2 else big / small
    else:
        _d._check_matrix(A, f"linalg.cond(ord={p})")
        if A.shape[-1] == 0:
            r = _wrap(np.zeros(A.shape[:-2], A._data.dtype))
        else:
            inverse, info = _d.Inv.apply(A, "linalg.cond", False)
            r = _matrix_norm(A, p, (-2, -1), False, None) * _matrix_norm(
                inverse, p, (-2, -1), False, None)
            if bool(info._data.any()):  # a singular matrix has condition number inf
                from .ops.ternary import where
                r = where(info != 0, _wrap(np.asarray(np.inf, r._data.dtype)), r)
    return _d._castable(r, out, None, "linalg.cond", grad=False)


# ---- LU ------------------------------------------------------------------------------------------
_lu_factor_t = _d._rtype("linalg_lu_factor", ["LU", "pivots"])
_lu_factor_ex_t = _d._rtype("linalg_lu_factor_ex", ["LU", "pivots", "info"])
_lu_t = _d._rtype("linalg_lu", ["P", "L", "U"])


def _lu_checks(A, name, api):
    if A.dim() < 2:
        raise RuntimeError(f"{api}: Expected tensor with 2 or more dimensions. Got size: "
                           f"{list(A.shape)} instead")
    if not (A.dtype.is_floating_point or A.dtype.is_complex):
        raise NotImplementedError(f"\"lu_cpu\" not implemented for '{A.dtype._legacy[:-6]}'")


def _no_pivot(pivot):
    if not pivot:
        raise RuntimeError("linalg.lu_factor: LU without pivoting is not implemented on the CPU")


def lu_factor_ex(A, *, pivot=True, check_errors=False, out=None):
    _lu_checks(A, "linalg.lu_factor_ex", "torch.lu_factor")
    _no_pivot(pivot)
    r = _lu_factor_ex_t(*_lu.LuFactor.apply(A))
    if check_errors:
        _raise_singular(A, r.info, "torch.linalg.lu_factor_ex")
    return _outs(r, out, "linalg_lu_factor_ex", "linalg_lu_factor_ex")


def _raise_singular(A, info, name):
    if bool(info._data.any()):
        k, piv = _d._first_failure(info._data)
        raise RuntimeError(f"{name}: {_d._batch_prefix(A._data, k)}U[{piv},{piv}] is zero and "
                           "using it on lu_solve would result in a division by zero. If you still "
                           "want to perform the factorization, consider calling linalg.lu(A, "
                           "pivot) or linalg.lu_factor_ex(A, pivot)")


def lu_factor(A, *, pivot=True, out=None):
    _lu_checks(A, "linalg.lu_factor", "torch.lu_factor")
    _no_pivot(pivot)
    lu_, piv, info = _lu.LuFactor.apply(A)
    _raise_singular(A, info, "torch.linalg.lu_factor")
    return _outs(_lu_factor_t(lu_, piv), out, "linalg_lu_factor", "linalg_lu_factor")


def lu(A, *, pivot=True, out=None):
    _lu_checks(A, "linalg.lu", "linalg.lu")
    _no_pivot(pivot)
    lu_, piv, _ = _lu.LuFactor.apply(A)
    return _outs(_lu_t(*_lu.lu_unpack(lu_, piv)), out, "linalg_lu", "linalg_lu")


def lu_solve(LU, pivots, B, *, left=True, adjoint=False, out=None):
    """Matches torch.linalg.lu_solve: from lu_factor's result, through triangular solves (so
    the gradient reaches LU and B)."""
    if _amp.on and out is None and _amp.active():
        return _amp.plain(lu_solve, LU, pivots, B, left=left, adjoint=adjoint)
    if B.dim() < 2:
        raise RuntimeError("linalg.lu_solve: The input tensor B must have at least 2 "
                           "dimensions.")
    if pivots.dtype is not D.int32:
        raise RuntimeError("linalg.lu_solve: pivots should be a Tensor of scalar type "
                           "torch.int32")
    if LU.dtype is not B.dtype:
        raise RuntimeError(f"linalg.lu_solve: Expected LU and B to have the same dtype, but found "
                           f"LU of type {LU.dtype._legacy[:-6]} and B of type "
                           f"{B.dtype._legacy[:-6]} instead")
    n, (rows, cols) = LU.shape[-1], B.shape[-2:]
    if (rows if left else cols) != n:
        raise RuntimeError(f"linalg.lu_solve: Incompatible shapes of A and B for the equation "
                           f"{'AX = B' if left else 'XA = B'} ({n}x{n} and {rows}x{cols})")
    p, low, up = _lu.lu_unpack(LU, pivots)
    st = _d.SolveTriangular.apply
    if left and not adjoint:  # A X = B: X = U^-1 L^-1 P^T B
        x = st(up, st(low, p.mT @ B, False, True, True), True, True, False)
    elif left:  # A^H X = B: X = P L^-H U^-H B
        x = p @ st(low.mH, st(up.mH, B, False, True, False), True, True, True)
    elif not adjoint:  # X A = B: X = B U^-1 L^-1 P^T
        x = st(low, st(up, B, True, False, False), False, False, True) @ p.mT
    else:  # X A^H = B: X = B P L^-H U^-H
        x = st(up.mH, st(low.mH, B @ p, True, False, True), False, False, False)
    return _out(x, out, "linalg_lu_solve", exact=True)
