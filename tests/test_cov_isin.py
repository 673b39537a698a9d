"""torch.isin, torch.cov and torch.corrcoef (and Tensor.cov / corrcoef): values against NumPy's
np.isin / np.cov / np.corrcoef (the same definitions), torch's weights, corrections, dtypes and
errors; against torch where installed."""

import warnings

import numpy as np
import pytest

import ember
from oracle import torch

X = np.array([[0.0, 1, 2, 4], [2, 1, 0, -1.0], [3, 1, 4, 1.5]])


def test_isin():
    a, b = np.array([1, 2, 3, 7]), np.array([1.0, 3.5, 7.0])
    got = ember.isin(ember.tensor(a), ember.tensor(b))
    assert got.dtype == ember.bool and got.tolist() == np.isin(a, b).tolist()
    assert ember.isin(ember.tensor([1.0, np.nan]), ember.tensor([np.nan, 1.0])).tolist() == [
        True, False]
    assert ember.isin(2, ember.tensor([1, 2])).item() is True
    assert ember.isin(ember.tensor([[1, 2], [3, 4]]), 2, invert=True).tolist() == [
        [True, False], [True, True]]
    with pytest.raises(RuntimeError, match="Unsupported input type encountered for isin"):
        ember.isin(ember.tensor([1, 2]), ember.tensor([True]))


@pytest.mark.parametrize("correction", [0, 1, 2])
def test_cov_plain_and_weighted(correction):
    fw, aw = np.array([1, 2, 1, 1]), np.array([0.5, 1.0, 1.0, 2.0])
    x = ember.tensor(X)
    np.testing.assert_allclose(ember.cov(x, correction=correction).numpy(),
                               np.cov(X, ddof=correction), rtol=1e-12)
    got = ember.cov(x, correction=correction, fweights=ember.tensor(fw),
                    aweights=ember.tensor(aw))
    np.testing.assert_allclose(got.numpy(), np.cov(X, ddof=correction, fweights=fw,
                                                   aweights=aw), rtol=1e-12)
    np.testing.assert_allclose(x.cov(correction=correction).numpy(), np.cov(X, ddof=correction))
    assert ember.cov(ember.tensor(X[0])).dim() == 0
    assert ember.cov(ember.tensor([[1, 2, 3]])).dtype == ember.float32


def test_corrcoef():
    np.testing.assert_allclose(ember.corrcoef(ember.tensor(X)).numpy(), np.corrcoef(X),
                               rtol=1e-12)
    assert ember.corrcoef(ember.tensor(X[0])).item() == 1.0
    z = X + 1j * X[::-1]
    np.testing.assert_allclose(ember.corrcoef(ember.tensor(z)).numpy(),
                               np.clip(np.corrcoef(z).real, -1, 1) +
                               1j * np.clip(np.corrcoef(z).imag, -1, 1), rtol=1e-12)
    x = ember.tensor(X, requires_grad=True)
    ember.corrcoef(x).sum().backward()
    assert x.grad is not None and np.isfinite(x.grad.numpy()).all()
    if torch is not None:
        t = torch.tensor(X, requires_grad=True)
        torch.corrcoef(t).sum().backward()
        np.testing.assert_allclose(x.grad.numpy(), t.grad.numpy(), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("kw,msg", [
    ({"fweights": [1.0, 1, 1, 1]}, "expected fweights to have integral dtype but got fweights "
                                   "with Float dtype"),
    ({"fweights": [1, -1, 1, 1]}, "fweights cannot be negative"),
    ({"aweights": [1, 1, 1, 1]}, "expected aweights to have floating point dtype but got "
                                 "aweights with Long dtype"),
    ({"fweights": [1, 1, 1]}, "expected fweights to have the same numel as there are "
                              "observations in the input but got 3 != 4"),
    ({"fweights": [0, 0, 0, 0]}, "weights sum to zero, can't be normalized")])
def test_cov_errors(kw, msg):
    kw = {k: ember.tensor(v) for k, v in kw.items()}
    with pytest.raises(RuntimeError, match="cov\\(\\): " + msg.replace("(", "\\(")):
        ember.cov(ember.tensor(X.astype(np.float32)), **kw)
    with pytest.raises(RuntimeError, match="expected input to have two or fewer dimensions"):
        ember.cov(ember.ones(2, 2, 2))


def test_cov_degrees_of_freedom_warning():
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        r = ember.cov(ember.tensor(X), correction=4)
    assert any("degrees of freedom is <= 0" in str(m.message) for m in w)
    assert np.isinf(r.numpy()).all()
