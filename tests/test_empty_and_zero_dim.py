"""Reductions on no elements and 0-d inputs where torch answers: median / nanmedian of nothing
is NaN (an integer dtype's cast of NaN), median / nanmedian / mode of a 0-d tensor along dim 0
its element at index 0, softmax / log_softmax over an empty dim an empty result. ember raised
IndexError / AxisError / a NumPy reduction error."""

import warnings

import numpy as np
import pytest

import ember


def test_median_of_nothing():
    assert np.isnan(ember.median(ember.tensor([])).item())
    assert np.isnan(ember.nanmedian(ember.tensor([])).item())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        want = np.array(np.nan).astype(np.int64)
    assert ember.median(ember.tensor([], dtype=ember.int64)).item() == int(want)


@pytest.mark.parametrize("fn", ["median", "nanmedian", "mode"])
@pytest.mark.parametrize("keepdim", [False, True])
def test_zero_dim_along_dim(fn, keepdim):
    x = ember.tensor(3.0, requires_grad=True)
    v, i = getattr(ember, fn)(x, 0, keepdim)
    assert v.shape == () and i.shape == () and v.item() == 3.0 and i.item() == 0
    v.backward()
    assert x.grad.item() == 1.0


@pytest.mark.parametrize("fn", ["softmax", "log_softmax"])
def test_softmax_over_empty_dim(fn):
    x = ember.zeros(3, 0, requires_grad=True)
    y = getattr(ember, fn)(x, 1)
    assert y.shape == (3, 0) and y.grad_fn is not None
    y.sum().backward()
    assert x.grad.shape == (3, 0)
