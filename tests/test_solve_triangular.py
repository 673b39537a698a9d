"""Triangular solves by substitution, as torch's trsm: a lower triangle went to LU with partial
pivoting, whose row swaps lose the substitution's accuracy (relative error ~1 on a random
100 x 100 lower triangle, where substitution is exact to rounding); one singular matrix in a
batch made every result NaN (trsm divides by the zero pivot: inf/nan in that matrix only)."""

from fractions import Fraction

import numpy as np
import pytest

import ember
from oracle import torch


def _exact_lower(t, b):
    n = t.shape[0]
    x = []
    for i in range(n):
        s = Fraction(float(b[i]))
        for j in range(i):
            s -= Fraction(float(t[i, j])) * x[j]
        x.append(s / Fraction(float(t[i, i])))
    return np.array([float(v) for v in x])


@pytest.mark.parametrize("n", [8, 40])
@pytest.mark.parametrize("how", ["lower", "right", "legacy"])
def test_ill_conditioned_lower_triangle(n, how):
    rng = np.random.default_rng(n)
    t = np.tril(rng.standard_normal((n, n)), -1) * 100 + np.diag(10.0 ** -(np.arange(n) % 9))
    b = rng.standard_normal((n, 1))
    want = _exact_lower(t, b[:, 0])
    T, B = ember.tensor(t), ember.tensor(b)
    if how == "lower":
        x = ember.linalg.solve_triangular(T, B, upper=False)[:, 0]
    elif how == "right":  # the same system transposed: x^T L^T = b^T, from the right
        x = ember.linalg.solve_triangular(T.mT, B.mT, upper=True, left=False)[0]
    else:
        x = ember.triangular_solve(B, T, upper=False).solution[:, 0]
    np.testing.assert_allclose(x.numpy(), want, rtol=1e-9, atol=0)


def test_one_singular_matrix_in_a_batch():
    a = np.stack([np.eye(2), np.zeros((2, 2))])
    b = np.ones((2, 2, 1))
    for upper in (True, False):
        x = ember.linalg.solve_triangular(ember.tensor(a), ember.tensor(b), upper=upper).numpy()
        np.testing.assert_array_equal(x[0], np.ones((2, 1)))
        assert not np.isfinite(x[1]).any()
        if torch is not None:
            t = torch.linalg.solve_triangular(torch.tensor(a), torch.tensor(b), upper=upper)
            np.testing.assert_array_equal(x, t.numpy())
    for m, upper in (([[1.0, 2], [0, 0]], True), ([[0.0, 0], [2, 1]], False)):
        x = ember.linalg.solve_triangular(ember.tensor(m), ember.ones(2, 1), upper=upper)
        if torch is not None:
            t = torch.linalg.solve_triangular(torch.tensor(m), torch.ones(2, 1), upper=upper)
            np.testing.assert_array_equal(x.numpy(), t.numpy())
