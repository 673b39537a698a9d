"""LU factorization: torch.linalg.lu_factor, lu, lu_solve (and their torch.* forms), with the
array routines LAPACK's getrf/getrs/potrf stand for, written in NumPy.

The factorization is partial pivoting column by column, as LAPACK's getf2, batched over the
leading dims; it also gives `linalg.inv_ex` its `info` and the inf/nan values a singular matrix
produces, and `_potf2` gives `cholesky_ex` the partly factored matrix LAPACK leaves when the input
is not positive-definite; `tri_solve` is the triangular substitution (trsm) behind
solve_triangular and cholesky_solve. Gradients: lu_factor and lu through the standard formulas
for square inputs, lu_solve through B and the factors.
"""

import numpy as np

from .._args import unsupported
from .._tensor import _wrap
from ..autograd import forward_ad as _fwd
from ..autograd.function import Op

__all__ = ["lu_unpack"]


# ---------------------------------------------------------------- array routines
def _getrf(a):
    """(LU, pivots (1-based int32), info) of a batch of matrices, as LAPACK's getrf."""
    a = np.array(a, dtype=np.result_type(a.dtype, np.float32), copy=True)
    *batch, m, n = a.shape
    k_max = min(m, n)
    flat = a.reshape(-1, m, n)
    piv = np.zeros((flat.shape[0], k_max), np.int32)
    info = np.zeros(flat.shape[0], np.int32)
    rows = np.arange(flat.shape[0])
    with np.errstate(all="ignore"):
        for k in range(k_max):
            col = flat[:, k:, k]  # LAPACK's i?amax: |re| + |im| for a complex column
            p = k + np.argmax(np.abs(col.real) + np.abs(col.imag) if col.dtype.kind == "c"
                              else np.abs(col), axis=1)
            piv[:, k] = p + 1
            moved = p != k
            if moved.any():
                r, q = rows[moved], p[moved]
                top = flat[r, k, :].copy()
                flat[r, k, :] = flat[r, q, :]
                flat[r, q, :] = top
            pivot = flat[:, k, k]
            zero = pivot == 0
            info[(info == 0) & zero] = k + 1
            ok = ~zero  # a zero pivot leaves its column unscaled (it is all zero below)
            if ok.any():
                flat[ok, k + 1:, k] /= pivot[ok, None]
                flat[ok, k + 1:, k + 1:] -= flat[ok, k + 1:, k, None] * flat[ok, None, k, k + 1:]
    return flat.reshape(a.shape), piv.reshape(*batch, k_max), info.reshape(batch)


def tri_solve(xp, t, b, upper):
    """t x = b for a triangular t, by substitution as BLAS's trsm. An upper t goes to LAPACK's
    LU solve, which pivots nothing there (below the diagonal every candidate is 0) and so runs
    the back substitution; a lower one is reversed (rows and columns) into an upper one first,
    since LU's pivoting on a lower triangle loses the substitution's accuracy (relative error
    ~1 on random 100 x 100 lower triangles). A zero on the diagonal gives inf/nan as trsm's
    division does, in that matrix only."""
    if not upper:
        return tri_solve(xp, t[..., ::-1, ::-1], b[..., ::-1, :], True)[..., ::-1, :]
    try:
        return xp.linalg.solve(t, b)
    except np.linalg.LinAlgError:
        return _back_substitute(xp, t, b)


def _back_substitute(xp, u, b):
    """x with u x = b, u upper triangular, row by row from the last (zero pivots divide)."""
    shape = np.broadcast_shapes(u.shape[:-2], b.shape[:-2]) + b.shape[-2:]
    x = xp.zeros(shape, np.result_type(u.dtype, b.dtype))
    b = xp.broadcast_to(b, shape)
    for i in range(u.shape[-1] - 1, -1, -1):
        s = b[..., i, :] - xp.einsum("...j,...jk->...k", u[..., i, i + 1:], x[..., i + 1:, :])
        x[..., i, :] = s / u[..., i, i][..., None]
    return x


def _permute_rows(b, piv):
    """Applies getrf's row interchanges (in order) to b (..., n, k)."""
    b = b.copy()
    idx = np.indices(piv.shape[:-1])
    for k in range(piv.shape[-1]):
        p = piv[..., k] - 1
        row_k = b[(*idx, np.full_like(p, k))].copy()
        b[(*idx, np.full_like(p, k))] = b[(*idx, p)]
        b[(*idx, p)] = row_k
    return b


def _getrs(lu, piv, b):
    """Solves A X = B from getrf's factors: row swaps, then unit-lower and upper substitution
    (in IEEE arithmetic: a zero pivot gives inf and nan, as LAPACK's solve does)."""
    n = lu.shape[-1]
    x = _permute_rows(np.broadcast_to(b, np.broadcast_shapes(lu.shape[:-2], b.shape[:-2])
                                      + b.shape[-2:]), piv)
    with np.errstate(all="ignore"):
        for i in range(1, n):
            x[..., i, :] -= np.einsum("...j,...jk->...k", lu[..., i, :i], x[..., :i, :])
        for i in range(n - 1, -1, -1):
            rest = np.einsum("...j,...jk->...k", lu[..., i, i + 1:], x[..., i + 1:, :])
            x[..., i, :] = (x[..., i, :] - rest) / lu[..., i, i, None]
    return x


def _potf2(m):
    """Lower Cholesky of one matrix as LAPACK's potf2: (factor, info). On failure at column j
    the factor holds columns before j, the failed pivot, and the input elsewhere below."""
    a = np.array(m, copy=True)
    n = a.shape[0]
    for j in range(n):
        row = a[j, :j]
        ajj = (a[j, j] - np.vdot(row, row)).real
        if not ajj > 0:
            a[j, j] = ajj
            return np.tril(a), j + 1
        ajj = np.sqrt(ajj)
        a[j, j] = ajj
        a[j + 1:, j] = (a[j + 1:, j] - a[j + 1:, :j] @ row.conj()) / ajj
    return np.tril(a), 0


def potrf_ex(a):
    """(lower factors, info) of a batch, each as `_potf2` leaves it."""
    flat = np.asarray(a).reshape((-1,) + a.shape[-2:])
    low, info = np.empty_like(flat), np.zeros(flat.shape[0], np.int32)
    for k, m in enumerate(flat):
        try:
            low[k] = np.linalg.cholesky(m)
        except np.linalg.LinAlgError:
            low[k], info[k] = _potf2(m)
    return low.reshape(a.shape), info.reshape(a.shape[:-2])


def inv_ex(a):
    """(inverses, info) of a batch holding a singular matrix: getrf, then getrs on I."""
    lu, piv, info = _getrf(a)
    eye = np.eye(a.shape[-1], dtype=lu.dtype)
    out = _getrs(lu, piv, eye)
    good = info == 0
    if good.any():
        out[good] = np.linalg.inv(np.asarray(a)[good])
    return out.astype(a.dtype, copy=False), info


# ---------------------------------------------------------------- ops
def _perm_matrix(piv, m, dtype):
    """P with A = P L U from getrf's 1-based row interchanges."""
    batch = piv.shape[:-1]
    perm = np.broadcast_to(np.arange(m), batch + (m,)).copy()
    idx = np.indices(batch)
    for k in range(piv.shape[-1]):
        p = piv[..., k] - 1
        kk = np.full_like(p, k)
        a, b = perm[(*idx, kk)].copy(), perm[(*idx, p)].copy()
        perm[(*idx, kk)], perm[(*idx, p)] = b, a
    eye = np.eye(m, dtype=dtype)
    return np.moveaxis(eye[perm], -1, -2)  # P[r, c] = 1 where r == perm[c]


class LuFactor(Op):
    """(LU, pivots, info) of getrf; the gradient reaches A through LU (square A)."""
    jvp = _fwd.transposed

    _name = "LinalgLuFactorExBackward0"
    save_output = True
    nondiff_outputs = (1, 2)

    def forward(ctx, a):
        lu, piv, info = _getrf(a)
        ctx.piv = piv
        return lu.astype(a.dtype, copy=False), piv, info

    def backward(ctx, glu, _p, _i):
        from .decomp import SolveTriangular
        if glu is None:
            return None
        lu = ctx.output
        m, n = lu.shape[-2:]
        if m != n:
            unsupported("torch.linalg.lu_factor", "requires_grad", "non-square input")
        low, up = lu.tril(-1) + _eye(lu, m), lu.triu()
        phi = (low.mH @ glu).tril(-1) + (glu @ up.mH).triu()  # P L^-H phi U^-H
        x = SolveTriangular.apply(low.mH, phi, True, True, True)
        x = SolveTriangular.apply(up.mH, x, False, False, False)
        return _wrap(_perm_matrix(ctx.piv, m, lu._data.dtype)) @ x


def _eye(t, n):
    return _wrap(np.eye(n, dtype=t._data.dtype))


def lu_unpack(LU_data, LU_pivots, unpack_data=True, unpack_pivots=True, *, out=None):
    """Matches torch.lu_unpack: (P, L, U) from lu_factor's packed result."""
    from .decomp import _lu_unpack_t, _tuple_out
    m, n = LU_data.shape[-2:]
    k = min(m, n)
    dt = LU_data._data.dtype
    empty = _wrap(np.zeros((0,), dt))
    p = _wrap(_perm_matrix(LU_pivots._data.astype(np.int64), m, dt)) if unpack_pivots else empty
    if unpack_data:
        low = LU_data[..., :, :k].tril(-1) + _wrap(np.eye(m, k, dtype=dt))
        up = LU_data[..., :k, :].triu()
    else:
        low = up = empty
    return _tuple_out(_lu_unpack_t(p, low, up), out, "lu_unpack", "lu_unpack")
