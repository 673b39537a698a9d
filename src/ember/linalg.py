"""torch.linalg: the public names, argument checks and the composites (norms, pinv, lstsq, rank).

The primitives and their gradients live in `ops/decomp.py`; this module only routes torch.linalg's
signatures onto them, so each formula exists once.
"""

import math
import numbers

import numpy as np

from ._tensor import _wrap
from .ops import decomp as _d
from .ops._util import broadcast_error
from .ops.linalg import matmul
from .ops.reduce import norm as _norm

LinAlgError = _d._LinAlgError
_lstsq_t = _d._rtype("linalg_lstsq", ["solution", "residuals", "rank", "singular_values"])
_inv_ex_t = _d._rtype("linalg_inv_ex", ["inverse", "info"])
_chol_ex_t = _d._rtype("linalg_cholesky_ex", ["L", "info"])
__all__ = ["LinAlgError", "cholesky", "cholesky_ex", "cond", "cross", "det", "eigh", "eigvalsh",
           "inv", "inv_ex", "lstsq", "matmul", "matrix_exp", "matrix_norm", "matrix_power",
           "matrix_rank", "multi_dot", "norm", "pinv", "qr", "slogdet", "solve",
           "solve_triangular", "svd", "svdvals", "vecdot", "vector_norm"]


def det(A, *, out=None):
    return _d.det(A)


def slogdet(A, *, out=None):
    _d._check_matrix(A, "linalg.slogdet")
    return _d._lslogdet_t(*_d.Slogdet.apply(A))


def inv(A, *, out=None):
    return _d.inverse(A)


def inv_ex(A, *, check_errors=False, out=None):
    _d._check_matrix(A, "linalg.inv")
    return _inv_ex_t(_d.Inv.apply(A, "linalg.inv"), _info(A))


def _info(A):
    return _wrap(np.zeros(A.shape[:-2], dtype=np.int32))


def solve(A, B, *, left=True, out=None):
    _d._check_matrix(A, "linalg.solve")
    if A.dtype is not B.dtype:
        raise RuntimeError(f"linalg.solve: Expected A and B to have the same dtype, but found A "
                           f"of type {A.dtype._legacy[:-6]} and B of type {B.dtype._legacy[:-6]} "
                           "instead")
    if not left:
        return solve(A.mT, B.mT).mT
    n = A.shape[-1]
    vector = B.dim() == 1 or (B.dim() == A.dim() - 1 and B.shape == A.shape[:-1])
    rows, cols = (B.shape[-1], 1) if vector else tuple(B.shape[-2:])
    if rows != n:
        raise RuntimeError(f"linalg.solve: Incompatible shapes of A and B for the equation AX = B "
                           f"({n}x{n} and {rows}x{cols})")
    return _d.Solve.apply(A, B, vector)


def solve_triangular(A, B, *, upper, left=True, unitriangular=False, out=None):
    _d._check_matrix(A, "linalg.solve_triangular")
    return _d.SolveTriangular.apply(A, B, bool(upper), bool(left), bool(unitriangular))


def cholesky(A, *, upper=False, out=None):
    _d._check_matrix(A, "linalg.cholesky")
    low = _d.Cholesky.apply(A, "linalg.cholesky")
    return low.mT if upper else low


def cholesky_ex(A, *, upper=False, check_errors=False, out=None):
    return _chol_ex_t(cholesky(A, upper=upper), _info(A))


def qr(A, mode="reduced", *, out=None):
    return _d._qr_t(*_d._qr(A, mode))


def eigh(A, UPLO="L", *, out=None):
    _d._check_matrix(A, "linalg.eigh")
    return _d._eigh_t(*_d.Eigh.apply(A, UPLO))


def eigvalsh(A, UPLO="L", *, out=None):
    _d._check_matrix(A, "linalg.eigvalsh")
    return _d.Eigh.apply(A, UPLO)[0]


def svd(A, full_matrices=True, *, driver=None, out=None):
    return _d._svd(A, full_matrices)


def svdvals(A, *, driver=None, out=None):
    return _d._svd(A, False, "linalg.svdvals").S


def pinv(A, *, atol=None, rtol=None, hermitian=False, out=None):
    return _d._pinv(A, atol, rtol, hermitian)


def lstsq(A, B, rcond=None, *, driver=None):
    """Matches torch.linalg.lstsq with CPU's default driver 'gelsy' (no residuals or S)."""
    if A.shape[-2] != B.shape[-2] if B.dim() > 1 else A.shape[-2] != B.shape[-1]:
        raise RuntimeError("torch.linalg.lstsq: input.size(-2) should match other.size(-2)")
    vector = B.dim() == A.dim() - 1
    rhs = B.unsqueeze(-1) if vector else B
    x = _d._pinv(A, rtol=rcond) @ rhs
    empty = _wrap(np.zeros((0,), dtype=A._data.dtype))
    return _lstsq_t(x.squeeze(-1) if vector else x, empty, matrix_rank(A, rtol=rcond),
                    empty)


def matrix_power(A, n):
    return _d.matrix_power(A, n)


def matrix_exp(A):
    return _d.matrix_exp(A)


def cross(input, other, *, dim=-1, out=None):
    a, b = input.shape[dim] if input.dim() else 0, other.shape[dim] if other.dim() else 0
    if a != 3 or b != 3:
        raise RuntimeError(f"linalg.cross: inputs dimension {dim} must have length 3. Got {a} "
                           f"and {b}")
    try:
        np.broadcast_shapes(input.shape, other.shape)
    except ValueError:
        raise broadcast_error(input._data, other._data) from None
    return _d._cross(input, other, dim)


def vecdot(x, y, *, dim=-1, out=None):
    return (x.conj() * y).sum(dim)


def multi_dot(tensors, *, out=None):
    result = tensors[0]
    for t in tensors[1:]:
        result = result @ t
    return result


def vector_norm(x, ord=2, dim=None, keepdim=False, *, dtype=None, out=None):
    if not isinstance(ord, numbers.Number) or isinstance(ord, bool):
        raise TypeError(f"linalg_vector_norm(): argument 'ord' must be Number, not "
                        f"{type(ord).__name__}")
    if dim is None and keepdim:
        return vector_norm(x, ord, tuple(range(x.dim())), True, dtype=dtype)
    return _norm(x, ord, dim, keepdim, dtype)


_MATRIX_ORDS = ("fro", "nuc", 2, -2, 1, -1, math.inf, -math.inf)


def matrix_norm(A, ord="fro", dim=(-2, -1), keepdim=False, *, dtype=None, out=None):
    if A.dim() < 2:
        raise RuntimeError("linalg.matrix_norm: The input tensor A must have at least 2 "
                           "dimensions.")
    if ord not in _MATRIX_ORDS:
        raise RuntimeError(f"linalg.matrix_norm: Order {ord} not supported.")
    if dtype is not None:
        A = A.to(dtype)
    if ord == "fro":
        return vector_norm(A, 2, dim, keepdim)
    d0, d1 = (d % A.dim() for d in dim)
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
    if isinstance(dim, int):
        dim = (dim,)
    if dim is None and ord is not None:
        if A.dim() not in (1, 2):
            raise RuntimeError(f"linalg.norm: If dim is not specified but ord is, the input must "
                               f"be 1D or 2D. Got {A.dim()}D.")
        dim = tuple(range(A.dim()))
    if ord is None:
        return vector_norm(A, 2, dim, keepdim, dtype=dtype)
    if len(dim) == 2 or isinstance(ord, str):
        return matrix_norm(A, ord, dim if dim is not None else (-2, -1), keepdim, dtype=dtype)
    return vector_norm(A, ord, dim, keepdim, dtype=dtype)


def matrix_rank(A, *, atol=None, rtol=None, hermitian=False, out=None):
    if hermitian:
        s = _d.Eigh.apply(A, "L")[0].abs()
    else:
        s = _d._svd(A, False, "linalg.matrix_rank").S
    smax = s.amax(-1, keepdim=True) if s.shape[-1] else s
    return _d._keep(s, smax, A, atol, rtol).sum(-1)


def cond(A, p=None, *, out=None):
    if p is None or p in (2, -2):
        s = svdvals(A)
        r = s.amax(-1) / s.amin(-1)
        return r if p != -2 else 1 / r
    return matrix_norm(A, p) * matrix_norm(inv(A), p)

