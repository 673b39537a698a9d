"""pinv / matrix_rank tolerances as torch's: tensors hold one value per matrix of a batch (ember
compared them with the singular values and failed), rtol left out is 0 only where that matrix's
atol > 0, and the older forms pinv(A, rcond) (rtol with atol 0) and matrix_rank(A, tol) (atol
with rtol 0) are accepted (they raised)."""

import numpy as np
import pytest

import ember
from oracle import torch

CASES = [
    "L.linalg.pinv(A, atol=L.tensor([0.5, 2.0]))",
    "L.linalg.pinv(A, rcond=L.tensor([0.05, 0.5]))",
    "L.linalg.pinv(A, rcond=0.05)",
    "L.linalg.pinv(A, 0.05, True)",
    "L.linalg.matrix_rank(A, atol=L.tensor([0.05, 0.005]))",
    "L.linalg.matrix_rank(A, rtol=L.tensor([0.05, 0.5]))",
    "L.linalg.matrix_rank(A, atol=L.tensor([0.0, 0.5]))",
    "L.linalg.matrix_rank(A, tol=0.05)",
    "L.linalg.matrix_rank(A, 0.05, True)",
    "L.linalg.matrix_rank(A, hermitian=True, atol=L.tensor([0.05, 0.005]))",
]


def _a(L):
    rng = np.random.default_rng(0)
    m = rng.standard_normal((2, 4, 4)) @ np.diag([1, 0.1, 0.01, 1e-4])
    return L.tensor(m @ np.swapaxes(m, -1, -2))  # symmetric: hermitian=True applies too


@pytest.mark.parametrize("case", CASES)
def test_tolerance_forms(case):
    got = eval(case, {"L": ember, "A": _a(ember)}).numpy()
    if "matrix_rank" in case:
        s = np.linalg.svd(_a(ember).numpy(), compute_uv=False)
        assert got.shape == (2,) and ((0 <= got) & (got <= 4)).all()
        if "atol=L.tensor([0.05, 0.005])" in case:
            np.testing.assert_array_equal(got, (s > np.array([[0.05], [0.005]])).sum(-1))
    if torch is not None:
        np.testing.assert_allclose(got, eval(case, {"L": torch, "A": _a(torch)}).numpy(),
                                   rtol=1e-10, atol=1e-12)


def test_old_and_new_forms_do_not_mix():
    with pytest.raises(TypeError, match=r"linalg_pinv\(\) received an invalid combination"):
        ember.linalg.pinv(ember.eye(3), 0.5, atol=0.1)
    with pytest.raises(TypeError, match=r"linalg_matrix_rank\(\) received an invalid "):
        ember.linalg.matrix_rank(ember.eye(3), 0.5, rtol=0.1)
