"""Gradients through eigenvalues and singular values alone at repeated values: torch's formula
is V diag(gL) V^H (U diag(gS) V^H), with no eigenvalue-gap term when the vectors are unused;
ember handed the unused vectors a zero gradient and divided 0 by the zero gaps (NaN). cond
divides the first singular value by the last, as torch's (its gradient at a tie included)."""

import numpy as np
import pytest

import ember
from oracle import torch

CASES = {
    "eigvalsh": (lambda L, a: L.linalg.eigvalsh(a).sum(), np.eye(3)),
    "eigh values": (lambda L, a: L.linalg.eigh(a)[0].sum(), np.eye(3)),
    "svdvals": (lambda L, a: L.linalg.svdvals(a).sum(), np.eye(3)),
    "svd S": (lambda L, a: L.linalg.svd(a)[1].pow(2).sum(), np.diag([2.0, 2.0, 1.0])),
    "nuclear norm": (lambda L, a: L.linalg.matrix_norm(a, "nuc"), np.eye(3)),
    "nuclear norm of 0": (lambda L, a: L.linalg.matrix_norm(a, "nuc"), np.zeros((2, 2))),
    "spectral norm tie": (lambda L, a: L.linalg.matrix_norm(a, 2), np.diag([2.0, 2.0, 1.0])),
    "cond": (lambda L, a: L.linalg.cond(a), np.eye(2)),
    "cond -2": (lambda L, a: L.linalg.cond(a, -2), np.diag([3.0, 1.0, 1.0])),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_gradient_at_repeated_values(name):
    fn, a0 = CASES[name]

    def grad(L):
        a = L.tensor(a0, requires_grad=True)
        fn(L, a).backward()
        return a.grad.numpy()
    g = grad(ember)
    assert np.isfinite(g).all()
    if torch is not None:
        np.testing.assert_allclose(g, grad(torch), rtol=1e-12, atol=1e-15)


def test_cond_of_empty_matrices_is_zero():
    for p in (None, 2, -2):
        assert ember.linalg.cond(ember.ones(2, 0, 0), p).tolist() == [0.0, 0.0]
        assert ember.linalg.cond(ember.ones(0, 3, 3), p).shape == (0,)
