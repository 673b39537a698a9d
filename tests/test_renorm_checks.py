"""renorm refuses what torch's does, with its words and in its order (ember computed a result:
a negative maxnorm negated the rows, a 1-d input was renormed)."""

import pytest

import ember
from oracle import check_error

CASES = [
    ("L.renorm(L.ones(2, 3), 0, 0, 1.0)", RuntimeError, "renorm: non-positive-norm not supported"),
    ("L.renorm(L.ones(2, 3), -1, 0, 1.0)", RuntimeError,
     "renorm: non-positive-norm not supported"),
    ("L.renorm(L.ones(2, 3), 2, 0, -1.0)", RuntimeError,
     "renorm: expected maxnorm to be >= 0 but got -1"),
    ("L.renorm(L.ones(2, 3), 2, 0, -0.5)", RuntimeError,
     "renorm: expected maxnorm to be >= 0 but got -0.5"),
    ("L.renorm(L.tensor([1.0, 2.0]), 2, 0, 1.0)", RuntimeError,
     "renorm: input needs at least 2 dimensions, got 1 dimensions"),
    ("L.renorm(L.tensor(1.0), 2, 0, 1.0)", RuntimeError,
     "renorm: input needs at least 2 dimensions, got 0 dimensions"),
    ("L.renorm(L.ones(2, 3), 2, 2, 1.0)", IndexError,
     "Dimension out of range (expected to be in range of [-2, 1], but got 2)"),
]


@pytest.mark.parametrize("code,exc,msg", CASES)
def test_refused(code, exc, msg):
    check_error(lambda L: eval(code, {"L": L}), exc=exc, match=msg)


def test_still_renorms():
    r = ember.ones(2, 3).renorm(2, -1, 1.0)
    assert r.shape == (2, 3) and abs(float((r[:, 0] ** 2).sum()) - 1.0) < 1e-5


@pytest.mark.parametrize("p,dim,maxnorm", [(2, 0, 1.0), (1, 1, 2.0), (3, 0, 0.5), (2, 1, 1e-9)])
def test_float32_factor_divided_once(p, dim, maxnorm):
    """torch's factor is maxnorm / (norm + 1e-7), one float32 division; ember took the
    reciprocal and multiplied (a last-bit difference on a sixth of the elements)."""
    import numpy as np

    from oracle import torch
    x = (np.random.default_rng(0).standard_normal((6, 7)) * 3).astype(np.float32)
    got = ember.renorm(ember.tensor(x), p, dim, maxnorm).numpy()
    norm = ember.linalg.vector_norm(ember.tensor(x), p, dim=1 - dim, keepdim=True).numpy()
    factor = np.where(norm > maxnorm, np.float32(maxnorm) / (norm + np.float32(1e-7)),
                      np.float32(1.0))
    np.testing.assert_array_equal(got, x * factor)
    if torch is not None:
        np.testing.assert_array_equal(got, torch.renorm(torch.tensor(x), p, dim, maxnorm).numpy())
