"""float16 vector norms and einsum accumulate in float32 and round once, as torch's kernels
(its norm reduction and its half bmm/sum): ember squared and added in float16, so 300^2
overflowed (norm inf for torch's 519.5) and a 3000-term einsum drifted by 7%."""

import numpy as np
import pytest

import ember
from oracle import torch


@pytest.mark.parametrize("p", [2, 1, 3, 0.5, -1])
def test_float16_vector_norm(p):
    x = np.full(3, 300.0, np.float16)
    want = (np.abs(x.astype(np.float64)) ** p).sum() ** (1 / p)
    got = ember.linalg.vector_norm(ember.tensor(x), p)
    assert got.dtype is ember.float16
    assert got.item() == float(np.float16(want))
    rng = np.random.default_rng(0)
    y = (rng.standard_normal((5, 40)) * 300).astype(np.float16)
    r = ember.linalg.vector_norm(ember.tensor(y), p, dim=1)
    assert np.isfinite(r.float().numpy()).all() or p == 0.5
    if torch is not None:
        assert torch.linalg.vector_norm(torch.tensor(x), p).item() == got.item()
        np.testing.assert_array_equal(
            r.float().numpy(), torch.linalg.vector_norm(torch.tensor(y), p, dim=1).float().numpy())
    assert ember.norm(ember.tensor(x)).item() == float(np.float16(want)) or p != 2


@pytest.mark.parametrize("eq,shapes", [("ij,jk->ik", ((2, 3000), (3000, 2))),
                                       ("ij->i", ((3, 3000),)), ("i,i->", ((3000,), (3000,))),
                                       ("bij,bjk->bik", ((2, 5, 700), (2, 700, 4))),
                                       ("ii->i", ((4, 4),))])
def test_float16_einsum(eq, shapes):
    rng = np.random.default_rng(1)
    ops = [(rng.standard_normal(s) * 0.5 + 0.1).astype(np.float16) for s in shapes]
    got = ember.einsum(eq, *[ember.tensor(o) for o in ops])
    assert got.dtype is ember.float16
    wide = np.einsum(eq, *[o.astype(np.float64) for o in ops])
    np.testing.assert_allclose(got.float().numpy(), wide, rtol=2e-3, atol=2e-3)
    if torch is not None:
        want = torch.einsum(eq, *[torch.tensor(o) for o in ops])
        np.testing.assert_array_equal(got.float().numpy(), want.float().numpy())
