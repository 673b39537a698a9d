"""Pooling ops and modules against torch: values, indices, gradients, errors, reprs."""

import numpy as np
import pytest

import ember
from ember.nn import _pool
from ember.nn.modules import pooling
from oracle import arr, check, check_error, requires_torch, torch


def F(L):
    return _pool if L is ember else torch.nn.functional


CASES = [
    (lambda L, x: F(L).max_pool2d(x, 2), (2, 3, 8, 7)),
    (lambda L, x: F(L).max_pool2d(x, 3, 2, 1, ceil_mode=True, return_indices=True), (2, 3, 9, 8)),
    (lambda L, x: F(L).max_pool2d(x, (3, 2), (4, 3), dilation=(2, 1), return_indices=True),
     (2, 3, 11, 9)),
    (lambda L, x: F(L).max_pool2d(x, 2, stride=1, return_indices=True), (3, 6, 5)),
    (lambda L, x: F(L).max_pool1d(x, 3, 2, 1, ceil_mode=True, return_indices=True), (2, 3, 10)),
    (lambda L, x: F(L).max_pool3d(x, 2, stride=(1, 2, 2), return_indices=True), (2, 2, 5, 6, 4)),
    (lambda L, x: F(L).avg_pool2d(x, 3, 2, 1, ceil_mode=True), (2, 3, 9, 8)),
    (lambda L, x: F(L).avg_pool2d(x, 3, 2, 1, ceil_mode=True, count_include_pad=False),
     (2, 3, 9, 8)),
    (lambda L, x: F(L).avg_pool2d(x, (3, 2), (4, 1), (1, 1), divisor_override=5), (2, 3, 9, 8)),
    (lambda L, x: F(L).avg_pool1d(x, 4, 3, 2, ceil_mode=True, count_include_pad=False),
     (2, 3, 10)),
    (lambda L, x: F(L).lp_pool2d(x.abs() + 0.1, 2, 3, stride=2, ceil_mode=True), (2, 3, 9, 8)),
    (lambda L, x: F(L).lp_pool1d(x.abs() + 0.1, 3, 2), (2, 3, 9)),
    (lambda L, x: F(L).adaptive_avg_pool2d(x, (3, 4)), (2, 3, 7, 9)),
    (lambda L, x: F(L).adaptive_avg_pool2d(x, (1, None)), (3, 7, 9)),
    (lambda L, x: F(L).adaptive_avg_pool1d(x, 4), (2, 3, 10)),
    (lambda L, x: F(L).adaptive_max_pool2d(x, (3, 4), return_indices=True), (2, 3, 7, 9)),
    (lambda L, x: F(L).adaptive_max_pool2d(x, 5), (3, 7, 9)),
    (lambda L, x: F(L).adaptive_max_pool1d(x, 4, return_indices=True), (2, 3, 10)),
]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("i", range(len(CASES)))
def test_pool(i, dtype):
    fn, shape = CASES[i]
    check(fn, arr(shape, dtype))


def _unpool2d(L, x):
    y, i = F(L).max_pool2d(x, 2, stride=2, return_indices=True)
    return F(L).max_unpool2d(y * 2, i, 2, output_size=(9, 8))


def _unpool1d(L, x):  # overlapping windows: one input can win twice
    y, i = F(L).max_pool1d(x, 3, stride=2, return_indices=True)
    return F(L).max_unpool1d(y * 2, i, 3, 2)


@pytest.mark.parametrize("fn,shape", [(_unpool2d, (2, 3, 9, 8)), (_unpool1d, (2, 3, 9))])
def test_max_unpool(fn, shape):
    check(fn, arr(shape))


@requires_torch
def test_max_pool_double_backward():
    x = arr((2, 2, 6, 6), "float64")
    res = []
    for L in (ember, torch):
        xt = L.from_numpy(x.copy()).requires_grad_()
        y = F(L).max_pool2d(xt, 3, stride=2, padding=1)
        (g,) = L.autograd.grad((y ** 2).sum(), (xt,), create_graph=True)
        (gg,) = L.autograd.grad((g ** 2).sum(), (xt,))
        res.append([g.detach().numpy(), gg.numpy()])
    for a, b in zip(*res):
        np.testing.assert_allclose(a, b, rtol=1e-10)


def test_error_vector_maxpool_output_too_small():
    check_error(lambda L, x: F(L).max_pool2d(x, 2), arr((1, 1, 1, 1)))


ERRORS = [
    lambda L, x: F(L).max_pool2d(x, 3, padding=2),
    lambda L, x: F(L).max_pool2d(x, 2, stride=0),
    lambda L, x: F(L).avg_pool2d(x, 2, divisor_override=0),
    lambda L, x: F(L).max_pool2d(x, 2, dilation=0),
    lambda L, x: F(L).max_pool2d(x[0, 0], 2),
    lambda L, x: F(L).avg_pool1d(x, 2),
    lambda L, x: F(L).max_pool1d(x, 2),
    lambda L, x: F(L).avg_pool2d(x, 3, padding=2),
    lambda L, x: F(L).adaptive_max_pool2d(x[0, 0], 2),
    lambda L, x: F(L).adaptive_avg_pool2d(x[0, 0], 2),
    lambda L, x: F(L).adaptive_max_pool1d(x[0, 0, 0], 2),
    lambda L, x: F(L).adaptive_avg_pool2d(x[0, 0], (2, 2)),
]


@pytest.mark.parametrize("fn", ERRORS)
def test_errors(fn):
    check_error(fn, arr((1, 3, 8, 8)))


@requires_torch
@pytest.mark.parametrize("name,args,kw,shape", [
    ("MaxPool2d", (3,), dict(stride=2, padding=1, ceil_mode=True), (2, 3, 9, 8)),
    ("MaxPool1d", (2,), dict(return_indices=True), (2, 3, 9)),
    ("AvgPool2d", ((3, 2),), dict(stride=1, count_include_pad=False), (2, 3, 6, 5)),
    ("AvgPool1d", (3,), dict(stride=2, padding=1), (2, 3, 9)),
    ("LPPool2d", (2, 2), dict(), (2, 3, 6, 6)),
    ("AdaptiveAvgPool2d", ((2, 3),), dict(), (2, 3, 7, 8)),
    ("AdaptiveMaxPool2d", (3,), dict(return_indices=True), (2, 3, 7, 8)),
    ("AdaptiveAvgPool1d", (3,), dict(), (2, 3, 7)),
])
def test_modules(name, args, kw, shape):
    e, t = getattr(pooling, name)(*args, **kw), getattr(torch.nn, name)(*args, **kw)
    assert repr(e) == repr(t)
    pre = (lambda L, x: x.abs() + 0.1) if name.startswith("LP") else (lambda L, x: x)
    check(lambda L, x: (e if L is ember else t)(pre(L, x)), arr(shape))


@requires_torch
def test_max_unpool_module():
    e, t = pooling.MaxUnpool2d(2), torch.nn.MaxUnpool2d(2)
    assert repr(e) == repr(t)
    check(lambda L, x: (e if L is ember else t)(*F(L).max_pool2d(x, 2, return_indices=True)),
          arr((2, 3, 6, 6)))


# ---------------------------------------------------------------- tiled max pool (kernel == stride)
def _ties(shape, dtype="float32"):
    """Values on a coarse grid with many exact ties (and zeros, as after a ReLU)."""
    return np.round(arr(shape, dtype, seed=3)).clip(0, None).astype(dtype)


def _nans(shape):
    x = arr(shape, "float64", seed=4)
    x.reshape(-1)[::7] = np.nan
    return x


@requires_torch
@pytest.mark.parametrize("fn,x", [
    (lambda L, x: F(L).max_pool2d(x, 2), _ties((2, 3, 8, 6))),
    (lambda L, x: F(L).max_pool2d(x.relu(), 2, 2), arr((3, 4, 6, 8), "float64")),
    (lambda L, x: F(L).max_pool2d(x, 2), _ties((2, 3, 9, 7))),  # floor: a ragged edge
    (lambda L, x: F(L).max_pool2d(x, (3, 2)), _ties((2, 2, 9, 8), "float64")),
    (lambda L, x: F(L).max_pool2d(x, 2, ceil_mode=True), _ties((2, 3, 8, 6))),
    (lambda L, x: F(L).max_pool2d(x, 1), _ties((2, 3, 4, 5))),
    (lambda L, x: F(L).max_pool2d(x, (1, 2)), _ties((3, 4, 6))),  # unbatched
    (lambda L, x: F(L).max_pool1d(x, 3), _ties((2, 3, 10))),
    (lambda L, x: F(L).max_pool3d(x, 2), _ties((2, 2, 4, 6, 4))),
    (lambda L, x: F(L).max_pool2d(x, 2), _nans((2, 3, 8, 6))),
    (lambda L, x: F(L).max_pool2d(x, 2), arr((2, 3, 8, 6), noncontig=True)),
    (lambda L, x: F(L).max_pool2d(x, 2) * 1, -np.ones((1, 2, 4, 4), np.float32)),  # all tied
])
def test_max_pool_tiled(fn, x):
    check(fn, x)


@requires_torch
def test_max_pool_tiled_double_backward_and_inplace_output():
    x = _ties((2, 2, 6, 6), "float64")
    res = []
    for L in (ember, torch):
        xt = L.from_numpy(x.copy()).requires_grad_()
        y = F(L).max_pool2d(xt * 1, 2)
        (g,) = L.autograd.grad((y ** 2).sum(), (xt,), create_graph=True)
        (gg,) = L.autograd.grad((g ** 2).sum(), (xt,))
        z = F(L).max_pool2d(xt * 1, 2)
        z.relu_()  # the output changed in place: backward still routes by the input's max
        (gz,) = L.autograd.grad(z.sum(), (xt,))
        res.append([g.detach().numpy(), gg.numpy(), gz.numpy()])
    for a, b in zip(*res):
        np.testing.assert_allclose(a, b, rtol=1e-10)
    assert type(F(ember).max_pool2d(ember.from_numpy(x).requires_grad_(), 2).grad_fn).__name__ \
        == "MaxPoolTiled"


@requires_torch
def test_max_pool_tiled_nonfinite_grad():
    x = _ties((1, 2, 4, 4), "float64")
    g = np.ones((1, 2, 2, 2))
    g[0, 0, 0, 0], g[0, 1, 1, 1] = np.inf, np.nan
    res = []
    for L in (ember, torch):
        xt = L.from_numpy(x.copy()).requires_grad_()
        F(L).max_pool2d(xt, 2).backward(L.from_numpy(g.copy()))
        res.append(xt.grad.numpy())
    np.testing.assert_array_equal(*res)


@requires_torch
@pytest.mark.parametrize("fn,shape,kw", [
    ("max_pool2d", (1, 1, 5, 5), dict(kernel_size=3, stride=2, padding=1)),
    ("max_pool2d", (1, 1, 7, 6), dict(kernel_size=3, stride=2, padding=1, dilation=2)),
    ("max_pool2d", (1, 1, 7, 6), dict(kernel_size=(3, 2), stride=(1, 2), padding=(1, 1),
                                      ceil_mode=True)),
    ("max_pool1d", (1, 2, 7), dict(kernel_size=3, stride=2, padding=1)),
    ("max_pool3d", (1, 1, 3, 4, 4), dict(kernel_size=3, stride=2, padding=1)),
])
def test_max_pool_window_of_lowest_values_picks_its_first_real_cell(fn, shape, kw):
    """A window whose real cells all hold -inf: torch's index (and gradient) is its first real
    cell, never a padded one."""
    x = np.full(shape, -np.inf, np.float32)
    x.reshape(-1)[x.size // 3] = 1.0
    res = []
    for L in (torch, ember):
        t = L.from_numpy(x.copy()).requires_grad_()
        y, i = getattr(F(L), fn)(t, return_indices=True, **kw)
        y.backward(L.arange(float(y.numel())).reshape(y.shape))
        res.append((i.numpy(), t.grad.numpy()))
    for a, b in zip(*res):
        np.testing.assert_array_equal(a, b)


def test_integer_average_pooling():
    """torch's avg_pool of int64: int64 sums divided as C++ integers (toward zero); the other
    integer and bool dtypes, and every integer adaptive average pool, have no kernel (ember's
    float division failed, and its weight matrices gave adaptive pools zeros)."""
    F = ember.nn.functional
    assert F.avg_pool2d(ember.arange(16).reshape(1, 1, 4, 4), 2).tolist() == [[[[2, 4],
                                                                               [10, 12]]]]
    assert F.avg_pool1d(ember.tensor([[[-3, -4, 5, 7]]]), 2).tolist() == [[[-3, 6]]]
    with pytest.raises(NotImplementedError, match="\"avg_pool2d\" not implemented for 'Byte'"):
        F.avg_pool2d(ember.ones(1, 1, 2, 2, dtype=ember.uint8), 2)
    with pytest.raises(NotImplementedError,
                       match="\"adaptive_avg_pool2d\" not implemented for 'Long'"):
        F.adaptive_avg_pool2d(ember.arange(16).reshape(1, 1, 4, 4), 2)
