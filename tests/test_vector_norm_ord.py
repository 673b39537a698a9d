"""linalg.vector_norm: negative orders go through the p-norm op, whose gradient is torch's
sgn(x) |x|^(p-1) (0 at 0) * grad * norm^(1-p) for p < 1: 0, not NaN, where an element is 0
(the composite gave NaN there); dtype= reaches the norm (it landed in out=, a TypeError)."""

import numpy as np
import pytest

import ember
from oracle import torch


@pytest.mark.parametrize("p", [-3, -2, -1, -0.5, 0.3, 0.5, 1.5, 3])
def test_gradient_at_zero_elements(p):
    x = ember.tensor([0.0, 2.0, 3.0], dtype=ember.float64, requires_grad=True)
    y = ember.linalg.vector_norm(x, p)
    y.backward()
    g = x.grad.numpy()
    assert np.isfinite(g).all()
    if p < 0:  # a zero element makes the norm 0, and every gradient with it
        assert y.item() == 0 and (g == 0).all()
    v = np.array([0.5, 2.0, 3.0])  # away from 0: d/dx (sum |x|^p)^(1/p)
    xt = ember.tensor(v, requires_grad=True)
    ember.linalg.vector_norm(xt, p).backward()
    n = (np.abs(v) ** p).sum() ** (1 / p)
    np.testing.assert_allclose(xt.grad.numpy(), np.sign(v) * np.abs(v) ** (p - 1) * n ** (1 - p),
                               rtol=1e-12)
    if torch is not None:
        t = torch.tensor([0.0, 2.0, 3.0], dtype=torch.float64, requires_grad=True)
        torch.linalg.vector_norm(t, p).backward()
        np.testing.assert_allclose(g, t.grad.numpy(), rtol=1e-12)


def test_dtype():
    x = ember.tensor(np.random.default_rng(0).standard_normal((4, 5)).astype(np.float32))
    for r in (ember.linalg.vector_norm(x, dtype=ember.float64),
              ember.linalg.vector_norm(x, 3, dim=1, dtype=ember.float64),
              ember.linalg.norm(x[0], dtype=ember.float64)):
        assert r.dtype == ember.float64
    np.testing.assert_allclose(ember.linalg.vector_norm(x, dtype=ember.float64).item(),
                               np.linalg.norm(x.numpy().astype(np.float64)), rtol=1e-12)


_NO_IDENTITY = ("linalg.vector_norm cannot compute the {} norm on the dimension {}because this "
                "dimension is empty and the operation does not have an identity")


@pytest.mark.parametrize("p", [-1, -2, -0.5, float("-inf")])
def test_negative_order_over_nothing_is_refused(p):
    """torch refuses a negative order over an empty tensor or an empty reduced dimension (it
    gave inf); an empty result over a non-empty dim is fine. The words are torch 2.13's."""
    shown = f"{p:g}"
    for fn in (ember.linalg.vector_norm, ember.norm):
        with pytest.raises(RuntimeError) as e:
            fn(ember.ones(0), p)
        assert str(e.value) == (f"linalg.vector_norm cannot compute the {shown} norm on an empty "
                                "tensor because the operation does not have an identity")
        for shape, dim, bad in (((0, 3), 0, 0), ((3, 0), 1, 1), ((0, 3), -2, -2),
                                ((0, 3), (1, 0), 0), ((2, 0, 0), (2, 1), 2)):
            with pytest.raises(RuntimeError) as e:
                fn(ember.ones(shape), p, dim=dim)
            assert str(e.value) == _NO_IDENTITY.format(shown, bad)
        assert fn(ember.ones(0, 3), p, dim=1).shape == (0,)
    if torch is not None:
        with pytest.raises(RuntimeError) as e:
            torch.linalg.vector_norm(torch.ones(2, 0, 0), p, dim=(2, 1))
        assert str(e.value) == _NO_IDENTITY.format(shown, 2)


def test_nuclear_norm_through_norm():
    """torch.norm(p='nuc') is matrix_norm's nuclear norm (ember refused it)."""
    x = np.arange(18.0).reshape(2, 3, 3) ** 1.5
    got = ember.norm(ember.tensor(x[0]), p="nuc")
    np.testing.assert_allclose(got.item(), np.linalg.svd(x[0], compute_uv=False).sum(),
                               rtol=1e-6)
    batched = ember.norm(ember.tensor(x), p="nuc", dim=(1, 2), keepdim=True)
    assert batched.shape == (2, 1, 1)
    with pytest.raises(RuntimeError, match="must have at least 2 dimensions"):
        ember.norm(ember.arange(9.0), p="nuc")
    with pytest.raises(RuntimeError, match="dim must be a 2-tuple"):
        ember.norm(ember.ones(2, 2, 2), p="fro", dim=(0, 1, 2))
    if torch is not None:
        for kw in (dict(), dict(dim=(1, 2), keepdim=True)):
            t = torch.tensor(x, requires_grad=True)
            e = ember.tensor(x, requires_grad=True)
            tt, ee = (t, e) if kw else (t[0], e[0])
            want = torch.norm(tt, p="nuc", **kw)
            have = ember.norm(ee, p="nuc", **kw)
            np.testing.assert_allclose(have.detach().numpy(), want.detach().numpy(), rtol=1e-12)
            want.sum().backward()
            have.sum().backward()
            np.testing.assert_allclose(e.grad.numpy(), t.grad.numpy(), rtol=1e-9, atol=1e-12)
