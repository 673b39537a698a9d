"""cholesky(upper=True) factors the Hermitian matrix of A's upper triangle (LAPACK's 'U'), as
torch's; ember factored the lower triangle and transposed, a different factor for an input whose
triangles disagree. The gradient is torch's lower formula in either case."""

import numpy as np
import pytest

import ember
from oracle import torch


def _inputs():
    rng = np.random.default_rng(0)
    m = rng.standard_normal((2, 4, 4))
    a = m @ m.transpose(0, 2, 1) + 4 * np.eye(4)
    a[:, 2, 0] += 5.0  # the lower triangle no longer mirrors the upper one
    c = rng.standard_normal((3, 3)) + 1j * rng.standard_normal((3, 3))
    c = c @ c.conj().T + 3 * np.eye(3)
    c[0, 2] += 0.5j
    return a, c


@pytest.mark.filterwarnings("ignore:torch.cholesky is deprecated")
@pytest.mark.parametrize("which", ["linalg", "ex", "legacy"])
def test_upper_reads_upper_triangle(which):
    for x in _inputs():
        def run(L, upper):
            t = L.tensor(x, requires_grad=True)
            r = (L.linalg.cholesky(t, upper=upper) if which == "linalg" else
                 L.linalg.cholesky_ex(t, upper=upper)[0] if which == "ex" else
                 L.cholesky(t, upper=upper))
            g, = L.autograd.grad(r.real.sum() if r.is_complex() else r.sum(), t)
            return r.detach().numpy(), g.numpy()
        u, gu = run(ember, True)
        upper_sym = np.triu(x) + np.conj(np.swapaxes(np.triu(x, 1), -1, -2))
        np.testing.assert_allclose(u, np.conj(np.swapaxes(np.linalg.cholesky(upper_sym), -1, -2)),
                                   rtol=1e-12, atol=1e-12)
        assert np.allclose(np.triu(u), u)
        if torch is not None:
            tu, tgu = run(torch, True)
            np.testing.assert_allclose(u, tu, rtol=1e-12, atol=1e-12)
            np.testing.assert_allclose(gu, tgu, rtol=1e-10, atol=1e-14)
