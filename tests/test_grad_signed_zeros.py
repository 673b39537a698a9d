"""Signs of zero in the gradients of the value-selecting ops, bit for bit as torch's.

torch builds these gradients in two ways, and a -0.0 in the incoming gradient (g * 0 for a
negative g, common after a multiply by zeros) tells them apart:
- added into zeros (max_pool's CPU backward, an advanced index's index_put_ with accumulate):
  0 + (-0.0) is +0.0, and every cell no window picked is +0.0;
- written into zeros (zeros().scatter_ for sort, topk, kthvalue, (nan)median, mode and max/min
  along a dim; masked_scatter_ for masked_select; masked_fill_ for max() and median() of the
  whole tensor):
  a -0.0 stays -0.0, and every other cell is +0.0.
The expected gradients here are built from those definitions with NumPy (every case has zeros
of both signs in g and ties from ReLU zeros in x), and compared with live torch where installed.
"""

import numpy as np
import pytest

import ember
from oracle import requires_torch, torch

F = ember.nn.functional


def _x(shape, seed=0):
    rng = np.random.default_rng(seed)
    return np.maximum(rng.standard_normal(shape).astype(np.float32), 0)  # ReLU zeros: ties


def _g(shape, seed=1):
    rng = np.random.default_rng(seed)
    g = (rng.standard_normal(shape) * (rng.random(shape) > 0.3)).astype(np.float32)  # -0.0 and
    g.reshape(-1)[::5] = -0.0  # +0.0 products of a multiply by zeros
    return g


def _grad(lib, fn, x, g):
    t = lib.tensor(x, requires_grad=True)
    y = fn(lib, t)
    y = y[0] if isinstance(y, tuple) else y
    y.backward(lib.tensor(g))
    return t.grad.numpy()


def _bits(a):
    return np.ascontiguousarray(a).view(np.uint32)


def _pool_want(x, g, k):
    """max_pool2d's backward by its definition: each window's first maximum (row-major) gets
    0 + g, every other cell +0.0."""
    want = np.zeros_like(x)
    N, C, H, W = x.shape
    for n, c, i, j in np.ndindex(N, C, H // k, W // k):
        win = x[n, c, i * k:(i + 1) * k, j * k:(j + 1) * k]
        a, b = np.unravel_index(int(np.argmax(win)), win.shape)  # argmax: the first maximum
        want[n, c, i * k + a, j * k + b] += g[n, c, i, j]
    return want


@pytest.mark.parametrize("shape,k", [((2, 3, 8, 8), 2), ((2, 3, 9, 7), 2), ((1, 2, 8, 8), 4),
                                     ((1, 2, 6, 6), 3)])
def test_max_pool_gradient_is_added_into_zeros(shape, k):
    x = _x(shape)
    out = (shape[0], shape[1], shape[2] // k, shape[3] // k)
    g = _g(out)
    got = _grad(ember, lambda L, t: L.nn.functional.max_pool2d(t, k), x, g)
    want = _pool_want(x, g, k)
    assert not np.signbit(want[want == 0]).any()  # the definition gives +0.0 everywhere
    np.testing.assert_array_equal(_bits(got), _bits(want))


def _written(x, g, d, idx):
    """Zeros with g written (not added) at idx along d."""
    want = np.zeros_like(x)
    np.put_along_axis(want, idx, g, d)
    return want


def test_sort_topk_kthvalue_median_max_write_their_gradient():
    x = _x((4, 9), 2)
    gs = _g((4, 9), 3)
    order = np.argsort(-x, axis=1, kind="stable")  # descending, ties in index order
    got = _grad(ember, lambda L, t: t.sort(1, descending=True, stable=True)[0], x, gs)
    np.testing.assert_array_equal(_bits(got), _bits(_written(x, gs, 1, order)))
    g1 = _g((4, 1), 4)
    for fn in (lambda L, t: t.max(1, keepdim=True), lambda L, t: t.min(1, keepdim=True),
               lambda L, t: t.median(1, keepdim=True), lambda L, t: t.kthvalue(3, 1, True),
               lambda L, t: t.nanmedian(1, keepdim=True), lambda L, t: t.mode(1, True),
               lambda L, t: t.topk(1, 1)):
        t = ember.tensor(x, requires_grad=True)
        idx = fn(ember, t)[1].numpy()
        got = _grad(ember, fn, x, g1)
        np.testing.assert_array_equal(_bits(got), _bits(_written(x, g1, 1, idx)))
        assert np.signbit(got[got == 0]).sum() == np.signbit(g1[g1 == 0]).sum()  # kept -0.0


def test_masked_select_writes_and_whole_max_fills():
    x = _x((5, 6), 5)
    mask = x > 0.2
    g = _g((int(mask.sum()),), 6)
    want = np.zeros_like(x)
    want[mask] = g
    got = _grad(ember, lambda L, t: t.masked_select(L.tensor(mask)), x, g)
    np.testing.assert_array_equal(_bits(got), _bits(want))
    for whole in (lambda L, t: t.max(), lambda L, t: t.median()):
        for gv in (-2.0, -0.0):
            t = ember.tensor(x, requires_grad=True)
            v = whole(ember, t).item()
            got = _grad(ember, whole, x, np.float32(gv))
            tie = x == v
            want = np.where(tie, np.float32(gv) / np.float32(tie.sum()), np.float32(0))
            np.testing.assert_array_equal(_bits(got), _bits(want.astype(np.float32)))


def test_advanced_index_still_adds():
    x = _x((4, 5), 7)
    idx = np.array([0, 2, 2, 3])
    g = _g((4, 5), 8)
    want = np.zeros_like(x)
    np.add.at(want, idx, g)  # 0 + (-0.0): +0.0
    got = _grad(ember, lambda L, t: t[L.tensor(idx)], x, g)
    np.testing.assert_array_equal(_bits(got), _bits(want))


CASES = {
    "max_pool2d": ((2, 3, 8, 8), lambda L, t: L.nn.functional.max_pool2d(t, 2)),
    "max_pool2d_odd": ((2, 3, 9, 9), lambda L, t: L.nn.functional.max_pool2d(t, 2)),
    "max_pool2d_k4": ((1, 2, 8, 8), lambda L, t: L.nn.functional.max_pool2d(t, 4)),
    "max_pool2d_overlap": ((2, 3, 8, 8), lambda L, t: L.nn.functional.max_pool2d(t, 3, 2, 1)),
    "max_pool2d_ceil": ((2, 3, 8, 8), lambda L, t: L.nn.functional.max_pool2d(
        t, 2, 3, ceil_mode=True)),
    "max_pool2d_indices": ((2, 3, 8, 8), lambda L, t: L.nn.functional.max_pool2d(
        t, 2, return_indices=True)),
    "max_pool1d": ((2, 3, 12), lambda L, t: L.nn.functional.max_pool1d(t, 3)),
    "max_pool3d": ((1, 2, 4, 4, 4), lambda L, t: L.nn.functional.max_pool3d(t, 2)),
    "adaptive_max_pool2d": ((2, 3, 8, 8), lambda L, t: L.nn.functional.adaptive_max_pool2d(t, 3)),
    "sort": ((4, 9), lambda L, t: t.sort(1)),
    # (topk and kthvalue: torch's index among tied values comes from its selection
    # algorithm, not a stable order: compared without ties)
    "topk": ((4, 9), lambda L, t: t.topk(3, 1)),
    "kthvalue": ((4, 9), lambda L, t: t.kthvalue(2, 1)),
    "median_dim": ((4, 9), lambda L, t: t.median(1)),
    "nanmedian_dim": ((4, 9), lambda L, t: t.nanmedian(1)),
    "mode": ((4, 9), lambda L, t: t.mode(1)),
    "max_dim": ((4, 9), lambda L, t: t.max(1)),
    "min_dim": ((4, 9), lambda L, t: t.min(0)),
    "max_all": ((4, 9), lambda L, t: t.max()),
    "median_all": ((4, 9), lambda L, t: t.median()),
    "masked_select": ((4, 9), lambda L, t: t.masked_select(t > 0.3)),
    "index": ((4, 9), lambda L, t: t[L.tensor([0, 2, 2, 3])]),
    "index_select": ((4, 9), lambda L, t: t.index_select(1, L.tensor([0, 4, 4, 8]))),
    "gather": ((4, 9), lambda L, t: t.gather(1, L.tensor([[0, 1], [2, 2], [8, 0], [1, 1]]))),
}


@requires_torch
@pytest.mark.parametrize("name", sorted(CASES))
def test_signed_zero_gradients_equal_torch(name):
    shape, fn = CASES[name]
    x = _x(shape, 11)
    if name in ("kthvalue", "topk"):  # their index among ties is not ember's stable one
        x = x + np.arange(x.size, dtype=np.float32).reshape(shape) * np.float32(1e-3)
    out = fn(ember, ember.tensor(x))
    out = out[0] if isinstance(out, tuple) else out
    g = _g(tuple(out.shape), 12)
    got, want = _grad(ember, fn, x, g), _grad(torch, fn, x, g)
    assert got.shape == want.shape
    np.testing.assert_array_equal(_bits(got), _bits(want))


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("weighted", [False, True])
def test_nll_loss_gradient_is_written_at_the_targets(reduction, weighted):
    """torch's nll_loss backward: zeros, and at each counted row's target w[t] * -(g / total)
    ('mean') or w[t] * -g; an ignored row stays +0.0 (ember multiplied a dense -w / total by g:
    -0.0 everywhere for a negative g, and another rounding with weights)."""
    rng = np.random.default_rng(30)
    x = rng.standard_normal((7, 5)).astype(np.float32)
    t = np.array([0, 4, 2, 2, 1, 3, 2])
    w = (rng.random(5) + 0.1).astype(np.float32) if weighted else None
    n_out = (7,) if reduction == "none" else ()
    g = (rng.standard_normal(n_out) - 1).astype(np.float32)
    xt = ember.tensor(x, requires_grad=True)
    loss = F.nll_loss(xt, ember.tensor(t), weight=None if w is None else ember.tensor(w),
                      ignore_index=2, reduction=reduction)
    loss.backward(ember.tensor(g))
    keep = t != 2
    wt = np.where(keep, 1.0 if w is None else w[t], 0).astype(np.float32)
    gv = -(g / np.float32(wt.sum(dtype=np.float32))) if reduction == "mean" else -g
    want = np.zeros_like(x)
    rows = np.flatnonzero(keep)
    vals = np.broadcast_to(gv, (7,))[rows] * (1 if w is None else w[t[rows]])
    want[rows, t[rows]] = vals
    assert xt.grad.numpy().tobytes() == want.tobytes()
    if torch is not None:
        tt = torch.tensor(x, requires_grad=True)
        torch.nn.functional.nll_loss(tt, torch.tensor(t), weight=None if w is None else
                                     torch.tensor(w), ignore_index=2,
                                     reduction=reduction).backward(torch.tensor(g))
        assert xt.grad.numpy().tobytes() == tt.grad.numpy().tobytes()


def test_mode_values_carry_the_gradient():
    """mode's values are differentiable (torch's ModeBackward0); ember returned them detached,
    so a loss through them lost that part of the gradient, or failed to backpropagate."""
    x = np.array([[1.0, 2.0, 2.0, 3.0], [4.0, 4.0, 1.0, 1.0]], np.float32)
    t = ember.tensor(x, requires_grad=True)
    v, i = t.mode(1)
    assert v.requires_grad and v.grad_fn.name() == "ModeBackward0"
    (v * ember.tensor([-1.0, 2.0])).sum().backward()
    want = np.zeros_like(x)
    want[0, 2], want[1, 3] = -1.0, 2.0
    assert np.array_equal(t.grad.numpy(), want) and i.tolist() == [2, 3]
