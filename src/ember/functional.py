"""torch.functional: the tensor functions torch defines in Python, with ember's implementations.

Most names are ember's existing top-level functions. The ones torch writes in this module
itself live here too, composed from ember ops so that autograd needs nothing new: cartesian_prod
(meshgrid + stack), block_diag (cat of zero-padded rows), cdist (torch's two algorithms: the
direct p-norm and, for p=2 on larger inputs, the matmul expansion), chain_matmul (multi_dot),
unravel_index (floor-divide and modulo by the strides), lu (lu_factor_ex) and svd_lowrank /
pca_lowrank (torch's randomized range finder, on ember's seeded randn). stft is in _spectral.py
(real signals) with istft.
"""

import collections
import itertools
import math
import operator
import warnings

from . import _dtype as D
from ._spectral import istft, stft
from ._tensor import Tensor
from .amp import _hook as _amp
from .autograd import Function
from .ops.creation import tensor, zeros
from .ops.grids import meshgrid
from .ops.linalg import einsum, tensordot
from .ops.moments import norm
from .ops.rearrange import atleast_1d, atleast_2d, atleast_3d
from .ops.shape import broadcast_shapes, broadcast_tensors, cat, stack
from .ops.sorting import unique, unique_consecutive
from .ops.split import split

__all__ = ["atleast_1d", "atleast_2d", "atleast_3d", "broadcast_shapes", "broadcast_tensors",
           "cartesian_prod", "block_diag", "cdist", "chain_matmul", "einsum", "istft", "lu",
           "norm", "meshgrid", "pca_lowrank", "split", "stft", "svd_lowrank", "tensordot",
           "unique", "unique_consecutive", "unravel_index"]  # (torch.functional's exactly;
# combinations, vander, pdist, renorm and addr below are top-level torch functions, lazily
# bound by ember/__init__.py)

_WARNED = set()


def _warn_once(key, text, stacklevel=3):
    if key not in _WARNED:  # torch's TORCH_WARN_ONCE
        _WARNED.add(key)
        warnings.warn(text, UserWarning, stacklevel=stacklevel)


def cartesian_prod(*tensors):
    """Matches torch.cartesian_prod: the rows of every combination, first tensor slowest."""
    for t in tensors:
        if t.dim() != 1:
            raise RuntimeError(f"Expect a 1D vector, but got shape {list(t.shape)}")
    if len(tensors) == 1:
        return tensors[0]
    if not tensors:  # meshgrid's checks, which ember.meshgrid does not make yet
        raise RuntimeError("meshgrid expects a non-empty TensorList")
    if any(t.dtype is not tensors[0].dtype for t in tensors):
        raise RuntimeError("meshgrid expects all tensors to have the same dtype")
    grids = meshgrid(*tensors, indexing="ij")
    return stack([g.reshape(-1) for g in grids], 1)


def combinations(input, r=2, with_replacement=False):
    """Matches torch.combinations: the r-element combinations of a 1-d tensor's elements, in
    itertools' order, as rows (differentiable: an index of the input)."""
    if input.dim() != 1:
        raise RuntimeError(f"Expect a 1D vector, but got shape {list(input.shape)}")
    if r < 0:
        raise RuntimeError(f"Expect a non-negative number, but got {r}")
    if r == 0:
        return input.new_empty((0,))
    pick = itertools.combinations_with_replacement if with_replacement else \
        itertools.combinations
    import numpy as np
    idx = np.array(list(pick(range(input.shape[0]), r)), np.int64).reshape(-1, r)
    return input[tensor(idx)]


def vander(x, N=None, increasing=False):
    """Matches torch.vander: columns x^(N-1) ... x^0 (x^0 ... x^(N-1) when increasing), the
    powers by a running product as torch's; integers stay integers."""
    if x.dim() != 1:
        raise RuntimeError("x must be a one-dimensional tensor.")
    n = x.shape[0] if N is None else N
    if n < 0:
        raise RuntimeError("N must be non-negative.")
    return _powers(x if x.dtype.is_floating_point or x.dtype.is_complex or x.dtype is D.int64
                   else x.to(D.int64), n, increasing)


def _powers(x, n, increasing=True):
    from .ops.creation import ones
    cols = [ones(tuple(x.shape) + (min(n, 1),), dtype=x.dtype, device=x.device)]
    if n > 1:
        cols.append(x.unsqueeze(-1).expand(*x.shape, n - 1).cumprod(-1))
    r = cat(cols, -1)
    return r if increasing else r.flip(-1)


def pdist(input, p=2):
    """Matches torch.pdist: the p-norm distances between the rows of a 2-d tensor, each pair
    i < j once, in row-major order of the pairs."""
    if input.dim() != 2:
        raise RuntimeError(f"pdist only supports 2D tensors, got: {input.dim()}D")
    if p < 0:
        raise RuntimeError("pdist only supports non-negative p values")
    from .autograd import forward_ad as _fwd
    if _fwd._fw[0] and _fwd.tangent_of(input) is not None:  # torch has no forward derivative
        raise NotImplementedError(_fwd.MISSING.format("_pdist_forward"))
    import numpy as np
    i, j = np.triu_indices(input.shape[0], 1)
    diff = input[tensor(i.astype(np.int64))] - input[tensor(j.astype(np.int64))]
    if p == 0:  # torch's _pdist_backward gives the count a zero gradient (not none)
        return _CountNonzero.apply(diff)
    from .linalg import vector_norm
    return vector_norm(diff, p, dim=-1)


def renorm(input, p, dim, maxnorm, *, out=None):
    """Matches torch.renorm: each slice along dim whose p-norm exceeds maxnorm scaled to
    maxnorm / (norm + 1e-7)."""
    from .linalg import vector_norm
    from .ops.ternary import where
    for name, v in (("p", p), ("maxnorm", maxnorm)):  # torch's checks, in its order
        if isinstance(v, complex):
            raise RuntimeError(f"renorm: {name} must be real-valued")
        if name == "p" and not p > 0:
            raise RuntimeError("renorm: non-positive-norm not supported")
    if not maxnorm >= 0:
        raise RuntimeError(f"renorm: expected maxnorm to be >= 0 but got {float(maxnorm):g}")
    if input.dim() < 2:
        raise RuntimeError(f"renorm: input needs at least 2 dimensions, got {input.dim()} "
                           "dimensions")
    from ._tensor import _dim
    d = _dim(dim, input.dim())
    dims = tuple(k for k in range(input.dim()) if k != d)
    with_grad = vector_norm(input, p, dim=dims, keepdim=True)
    from .ops.pointwise import div  # maxnorm / (norm + 1e-7) divided once, as torch's factor
    factor = div(_full_like(with_grad, maxnorm), with_grad + 1e-7)  # (not x * (1 / y))
    r = _named(input * where(with_grad > maxnorm, factor, 1.0), "RenormBackward0")
    if out is not None:
        from .ops.inplace import _out
        return _out(r, out, "renorm", (input,))
    return r


def _full_like(t, v):
    from .ops.creation import full
    return full((), v, dtype=t.dtype, device=t.device)


def _named(r, name):
    """The composite's last node named as torch's single node for the op."""
    if r.grad_fn is not None:
        r.grad_fn._name = name
    return r


def addr(input, vec1, vec2, *, beta=1, alpha=1, out=None):
    """Matches torch.addr: beta input + alpha vec1 (x) vec2, input ignored (NaN too) where beta
    is 0."""
    if vec1.dim() != 1 or vec2.dim() != 1:
        raise RuntimeError(f"addr: Expected 1-D argument vec1, but got {vec1.dim()}-D"
                           if vec1.dim() != 1 else
                           f"addr: Expected 1-D argument vec2, but got {vec2.dim()}-D")
    outer = (vec1.unsqueeze(1) * alpha) * vec2 if alpha != 1 else vec1.unsqueeze(1) * vec2
    if beta == 0:  # input's values unread; its gradient zeros, as torch's grad * beta
        from .ops.ternary import where
        r = where(tensor(False), input, outer)
    else:
        r = (input * beta if beta != 1 else input) + outer
    r = _named(r, "AddrBackward0")
    if out is not None:
        from .ops.inplace import _out
        return _out(r, out, "addr", (input, vec1, vec2))
    return r


def block_diag(*tensors):
    """Matches torch.block_diag: the inputs (0-d and 1-d as one row) along the diagonal."""
    for i, t in enumerate(tensors):
        if t.dim() > 2:
            raise RuntimeError("torch.block_diag: Input tensors must have 2 or fewer dimensions. "
                               f"Input {i} has {t.dim()} dimensions")
    if not tensors:
        return zeros(1, 0)
    mats = [t.reshape(1, 1) if t.dim() == 0 else t.reshape(1, -1) if t.dim() == 1 else t
            for t in tensors]
    dtype = mats[0].dtype
    for m in mats[1:]:
        dtype = D.promote_types(dtype, m.dtype)
    width = sum(m.shape[1] for m in mats)
    rows, left = [], 0
    for m in mats:
        r, c = m.shape
        parts = [zeros(r, left, dtype=dtype, device=m.device), m.to(dtype),
                 zeros(r, width - left - c, dtype=dtype, device=m.device)]
        rows.append(cat(parts, 1))
        left += c
    return cat(rows, 0)


_MODES = {"use_mm_for_euclid_dist_if_necessary": None, "use_mm_for_euclid_dist": True,
          "donot_use_mm_for_euclid_dist": False}


def cdist(x1, x2, p=2.0, compute_mode="use_mm_for_euclid_dist_if_necessary"):
    """Matches torch.cdist: the p-norm distance between each row of x1 and each row of x2."""
    if _amp.on and _amp.active():
        return _amp.fp32(cdist, x1, x2, p, compute_mode)
    if compute_mode not in _MODES:
        raise ValueError(f"{compute_mode} is not a valid value for compute_mode")
    for name, x in (("X1", x1), ("X2", x2)):
        if x.dim() < 2:
            raise RuntimeError(f"cdist only supports at least 2D tensors, {name} got: {x.dim()}D")
    if x1.shape[-1] != x2.shape[-1]:
        raise RuntimeError("X1 and X2 must have the same number of columns. "
                           f"X1: {x1.shape[-1]} X2: {x2.shape[-1]}")
    for name, x in (("X1", x1), ("X2", x2)):
        if not x.dtype.is_floating_point:
            raise RuntimeError(f"cdist only supports floating-point dtypes, {name} got: "
                               f"{x.dtype._legacy[:-6]}")
    if p < 0:
        raise RuntimeError("cdist only supports non-negative p values")
    if x1.dtype is not x2.dtype:
        raise RuntimeError(f"expected scalar type {x1.dtype._legacy[:-6]} but found "
                           f"{x2.dtype._legacy[:-6]}")
    mm = _MODES[compute_mode]
    if mm is None:
        mm = x1.shape[-2] > 25 or x2.shape[-2] > 25
    if p == 2 and mm:
        return _euclidean_dist(x1, x2)
    diff = x1.unsqueeze(-2) - x2.unsqueeze(-3)
    if p == 0:
        return _CountNonzero.apply(diff)
    if math.isinf(p):
        return diff.abs().amax(-1)
    from .linalg import vector_norm
    return vector_norm(diff, p, dim=-1)


class _CountNonzero(Function):
    """The p=0 "norm" (how many coordinates differ): piecewise constant, so its gradient is 0."""

    @staticmethod
    def forward(ctx, diff):
        ctx.shape = diff.shape
        return (diff != 0).sum(-1).to(diff.dtype)

    @staticmethod
    def backward(ctx, grad):
        return grad.new_zeros(ctx.shape)


def _euclidean_dist(x1, x2):
    return _EuclidMM.apply(x1, x2)


class _EuclidMM(Function):
    """torch's matmul form of the p=2 distance: |a|^2 + |b|^2 - 2ab as one product, clamped at
    0 (a point's distance to itself is 0), then the root. Its gradient is torch's
    _cdist_backward: grad * (x1_i - x2_j) / d_ij summed over the other side, 0 where d_ij = 0
    (the root's own derivative is infinite there)."""

    @staticmethod
    def forward(ctx, x1, x2):
        n1 = x1.pow(2).sum(-1, keepdim=True)
        n2 = x2.pow(2).sum(-1, keepdim=True)
        a = cat([x1 * -2, n1, n1.new_ones(n1.shape)], -1)
        b = cat([x2, n2.new_ones(n2.shape), n2], -1)
        d = (a @ b.mT).clamp_min(0).sqrt()
        ctx.save_for_backward(x1, x2, d)
        return d

    @staticmethod
    def backward(ctx, grad):
        x1, x2, d = ctx.saved_tensors
        r = (grad / d).masked_fill(d == 0, 0)
        g1 = x1 * r.sum(-1, keepdim=True) - r @ x2
        g2 = x2 * r.sum(-2).unsqueeze(-1) - r.mT @ x1
        return g1.sum_to_size(x1.shape), g2.sum_to_size(x2.shape)


def chain_matmul(*matrices, out=None):
    """Matches torch.chain_matmul (deprecated there): linalg.multi_dot of the matrices."""
    _warn_once("chain_matmul", "torch.chain_matmul is deprecated and will be removed in a future "
               "PyTorch release. Use torch.linalg.multi_dot instead, which accepts a list of two "
               "or more tensors rather than multiple parameters.")
    if not matrices:
        raise RuntimeError("chain_matmul(): Expected one or more matrices")
    for m in matrices:
        if m.dim() != 2:
            raise RuntimeError(f"Tensor dimension is {m.dim()}, expected 2 instead.")
    from .linalg import multi_dot
    from .ops.inplace import _out
    r = matrices[0].clone() if len(matrices) == 1 else multi_dot(list(matrices))
    return r if out is None else _out(r, out)


def unravel_index(indices, shape):
    """Matches torch.unravel_index: the coordinates of flat indices (wrapping as torch's)."""
    if not isinstance(indices, Tensor):
        raise AttributeError(f"'{type(indices).__name__}' object has no attribute 'is_complex'")
    if indices.dtype.is_floating_point or indices.dtype.is_complex or indices.dtype is D.bool_:
        raise TypeError(f"expected 'indices' to be integer dtype, but got {indices.dtype}")
    if isinstance(shape, bool) or not isinstance(shape, (int, collections.abc.Sequence)):
        raise TypeError(f"expected 'shape' to be int or sequence of ints, but got {type(shape)}")
    shape = [shape] if isinstance(shape, int) else list(shape)
    for d in shape:
        if not isinstance(d, int):
            raise TypeError(f"expected 'shape' sequence to only contain ints, but got {type(d)}")
    if any(d < 0 for d in shape):
        raise ValueError(f"'shape' cannot have negative values, but got {tuple(shape)}")
    coefs = list(itertools.accumulate(reversed(shape[1:] + [1]), operator.mul))[::-1]
    res = indices.unsqueeze(-1).floor_divide(tensor(coefs, dtype=D.int64)) % \
        tensor(shape, dtype=D.int64)
    return res.unbind(-1)


def lu(*args, **kwargs):
    """Matches torch.lu (deprecated there): linalg.lu_factor_ex without raising, returning
    (LU, pivots) or, with get_infos=True, (LU, pivots, infos)."""
    return _lu(*args, **kwargs)


def _lu(A, pivot=True, get_infos=False, out=None):
    if _amp.on and out is None and _amp.active():
        return _amp.fp32(_lu, A, pivot, get_infos)
    _warn_once("lu", "torch.lu is deprecated in favor of torch.linalg.lu_factor / "
               "torch.linalg.lu_factor_ex and will be removed in a future PyTorch release.\n"
               "LU, pivots = torch.lu(A, compute_pivots)\nshould be replaced with\n"
               "LU, pivots = torch.linalg.lu_factor(A, compute_pivots)\nand\n"
               "LU, pivots, info = torch.lu(A, compute_pivots, get_infos=True)\n"
               "should be replaced with\n"
               "LU, pivots, info = torch.linalg.lu_factor_ex(A, compute_pivots)", 4)
    from .linalg import lu_factor_ex
    r = lu_factor_ex(A, pivot=pivot)
    result = _LU_WITH_INFO(*r) if get_infos else tuple(r[:2])
    if out is None:
        return result
    from .ops.inplace import _out
    return tuple(_out(a, o) for a, o in zip(result, out))


_LU_WITH_INFO = collections.namedtuple("_lu_with_info", ["LU", "pivots", "info"])
_LU_WITH_INFO.__module__ = "torch.return_types"
_LU_WITH_INFO.__repr__ = lambda self: "torch.return_types._lu_with_info(\n" + ",\n".join(
    f"{f}={v!r}" for f, v in zip(self._fields, self)) + ")"



# ---------------------------------------------------------------- randomized low-rank SVD / PCA
# Halko et al.'s algorithm as torch runs it: a Gaussian sketch drawn with torch's randn (so a
# seeded run draws torch's numbers), power iterations re-orthonormalized by QR, then the SVD of
# the small projected matrix.
def _floating(A):
    return A.dtype if A.dtype in (D.float16, D.float32, D.float64) else D.float32


def _approximate_basis(A, q, niter, M):
    from .linalg import qr
    from .ops.sampling import randn
    niter = 2 if niter is None else niter
    dtype = A.dtype if A.dtype.is_complex else _floating(A)
    R = randn(A.shape[-1], q, dtype=dtype, device=A.device)
    X = A @ R if M is None else A @ R - M @ R
    Q = qr(X).Q
    for _ in range(niter):
        X = A.mH @ Q if M is None else A.mH @ Q - M.mH @ Q
        Q = qr(X).Q
        X = A @ Q if M is None else A @ Q - M @ Q
        Q = qr(X).Q
    return Q


def _svd_lowrank(A, q=6, niter=2, M=None):
    from .linalg import svd
    q = 6 if q is None else q
    m, n = A.shape[-2:]
    if M is not None:
        M = M.broadcast_to(A.shape)
    if m < n:  # work on the tall one
        A = A.mH
        M = None if M is None else M.mH
    Q = _approximate_basis(A, q, niter, M)
    B = Q.mH @ A if M is None else Q.mH @ A - Q.mH @ M
    U, S, Vh = svd(B, full_matrices=False)
    V, U = Vh.mH, Q @ U
    return (V, S, U) if m < n else (U, S, V)


def svd_lowrank(A, q=6, niter=2, M=None):
    """Matches torch.svd_lowrank: an approximate rank-q SVD (U, S, V) of A - M."""
    return _svd_lowrank(A, q, niter, M)


def pca_lowrank(A, q=None, center=True, niter=2):
    """Matches torch.pca_lowrank (dense inputs): svd_lowrank of A with its column means
    subtracted."""
    m, n = A.shape[-2:]
    if q is None:
        q = min(6, m, n)
    elif not 0 <= q <= min(m, n):
        raise ValueError(f"q(={q}) must be non-negative integer and not greater than "
                         f"min(m, n)={min(m, n)}")
    if not niter >= 0:
        raise ValueError(f"niter(={niter}) must be non-negative integer")
    if not center:
        return _svd_lowrank(A, q, niter)
    return _svd_lowrank(A - A.mean(dim=(-2,), keepdim=True), q, niter)
