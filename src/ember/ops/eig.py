"""The general eigendecomposition: torch.linalg.eig and eigvals (complex results), through
NumPy's geev, which gives LAPACK's order of eigenvalues and its eigenvector normalisation
(unit norm, largest component real), as torch's CPU kernel does.

Forward only: its gradient is a complex-valued formula and ember has no complex autograd yet,
so backward refuses with ember's not-implemented error.
"""

import numpy as np

from .. import _dtype as D
from .._args import unsupported
from ..amp import _hook as _amp
from ..autograd import forward_ad as _fwd
from ..autograd.function import Op
from .decomp import _check_matrix, _rtype

_eig_t = _rtype("linalg_eig", ["eigenvalues", "eigenvectors"])
_COMPLEX = {"float32": np.complex64, "float64": np.complex128, "complex64": np.complex64,
            "complex128": np.complex128}


class Eig(Op):
    _name = "LinalgEigBackward0"
    jvp = _fwd.transposed

    def forward(ctx, a, vectors):
        if a.__class__ is not np.ndarray:
            unsupported("torch.linalg.eig", "device", "cuda")  # no geev in CuPy
        cd = _COMPLEX[a.dtype.name]
        if vectors:
            w, v = np.linalg.eig(a)
            return w.astype(cd, copy=False), v.astype(cd, copy=False)
        return np.linalg.eigvals(a).astype(cd, copy=False)

    def backward(ctx, *grads):
        unsupported("torch.linalg.eig", "requires_grad", True)


def _check(A, name):
    if A._data.ndim < 2:
        raise RuntimeError(f"{name}: The input tensor A must have at least 2 dimensions.")
    if not (A.dtype.is_floating_point or A.dtype.is_complex):
        raise RuntimeError(f"Unknown Complex ScalarType for {A.dtype._legacy[:-6]}")
    _check_matrix(A, name)
    if A.dtype is D.float16:
        raise NotImplementedError("\"linalg_eig_out_cpu\" not implemented for 'Half'")


def eig(A, *, out=None):
    """Matches torch.linalg.eig (forward)."""
    if _amp.on and out is None and _amp.active():
        return _amp.fp32(eig, A)
    _check(A, "linalg.eig")
    from .decomp import _tuple_out
    return _tuple_out(_eig_t(*Eig.apply(A, True)), out, "linalg_eig", "linalg_eig")


def eigvals(A, *, out=None):
    """Matches torch.linalg.eigvals (forward)."""
    if _amp.on and out is None and _amp.active():
        return _amp.fp32(eigvals, A)
    _check(A, "linalg.eigvals")
    from .inplace import _out
    r = Eig.apply(A, False)
    if r.grad_fn is not None:
        r.grad_fn._name = "LinalgEigBackward0"
    return _out(r, out, "linalg_eig", exact=True)
