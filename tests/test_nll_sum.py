"""Losses in torch's order of additions: nll_loss's reduction (ember.nn._nll_sum), bit for bit
against torch and against a plain Python walk of ATen's loop where torch is absent; and
multi_margin_loss's kernel (values, gradients, its refused second derivative)."""

import numpy as np
import pytest
from tests.oracle import requires_torch, torch

import ember
from ember.nn import _loss_fused, _nll_sum

F = ember.nn.functional


def _aten_loop(v, counted, dtype, levels=8):
    """ATen's nll_loss partial sums, row by row (the reference the module's docstring states)."""
    parts = [dtype.type(0)] * levels
    for b in range(len(v)):
        if not counted[b]:
            continue
        parts[0] = dtype.type(parts[0] + v[b])
        for j in range(levels - 1):
            if b & (15 << (4 * j)):
                break
            parts[j + 1] = dtype.type(parts[j + 1] + parts[j])
            parts[j] = dtype.type(0)
    total = dtype.type(0)
    for p in parts:
        total = dtype.type(total + p)
    return total


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("n", [1, 2, 15, 16, 17, 33, 64, 255, 256, 257, 1000, 4097])
@pytest.mark.parametrize("ignored", [0.0, 0.3])
def test_cascade_equals_atens_loop(dtype, n, ignored):
    rng = np.random.default_rng(n)
    dt = np.dtype(dtype)
    v = (rng.standard_normal(n) * 10.0 ** rng.integers(-3, 4, n)).astype(dt)
    counted = rng.random(n) >= ignored
    counted[::16] |= ignored == 0.0
    v[~counted] = 0
    got = _nll_sum.cascade(v, None if counted.all() else counted)
    want = _aten_loop(v, counted, dt)
    assert got.dtype == dt and got.tobytes() == want.tobytes()


@pytest.mark.parametrize("ignored", [0.0, 0.3])
def test_the_top_level_with_fewer_levels(monkeypatch, ignored):
    # 16**7 rows reach ATen's top level; with 3 levels 16**2 do (the same code path)
    monkeypatch.setattr(_nll_sum, "_LEVELS", 3)
    rng = np.random.default_rng(5)
    for n in [255, 256, 257, 300, 4096 + 17, 9000]:
        v = rng.standard_normal(n).astype(np.float32)
        counted = rng.random(n) >= ignored
        v[~counted] = 0
        got = _nll_sum.cascade(v, None if counted.all() else counted)
        assert got.tobytes() == _aten_loop(v, counted, v.dtype, levels=3).tobytes(), n


def test_walked_and_regular_agree_when_no_multiple_of_16_is_ignored():
    rng = np.random.default_rng(1)
    v = rng.standard_normal(700).astype(np.float32)
    counted = rng.random(700) > 0.2
    counted[::16] = True
    v[~counted] = 0
    assert _nll_sum._walked(v, counted).tobytes() == _nll_sum._regular(v).tobytes()
    assert _nll_sum._walked(v, counted).tobytes() == _aten_loop(v, counted, v.dtype).tobytes()


def test_ignored_rows_are_not_read_and_give_plus_zero():
    x = np.array([[1.0, 2.0], [np.inf, -np.inf], [3.0, 0.5]], np.float32)
    t = [0, -100, 1]
    mean = F.nll_loss(ember.from_numpy(x), ember.tensor(t)).item()
    none = F.nll_loss(ember.from_numpy(x), ember.tensor(t), reduction="none").numpy()
    assert np.isfinite(mean) and np.isfinite(none).all() and not np.signbit(none[1])
    if torch is not None:
        tx, tt = torch.from_numpy(x), torch.tensor(t)
        assert mean == torch.nn.functional.nll_loss(tx, tt).item()
        assert none.tobytes() == torch.nn.functional.nll_loss(tx, tt, reduction="none").numpy(
        ).tobytes()


@requires_torch
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("ignore", [0.0, 0.2])
def test_nll_loss_bits_match_torch(dtype, reduction, weighted, ignore):
    rng = np.random.default_rng(7)
    for n in [1, 3, 16, 17, 64, 100, 256, 257, 513, 3000]:
        x = (rng.standard_normal((n, 7)) * 10.0 ** rng.integers(-2, 3, (n, 1))).astype(dtype)
        t = rng.integers(0, 7, n)
        if ignore:
            t[rng.random(n) < ignore] = -100
            t[0] = -100  # a multiple of 16 ignored: the row-by-row walk
        w = rng.random(7).astype(dtype) if weighted else None
        args = [(lib.from_numpy(x), lib.from_numpy(t), None if w is None else lib.from_numpy(w))
                for lib in (ember, torch)]
        got = F.nll_loss(args[0][0], args[0][1], weight=args[0][2], reduction=reduction)
        want = torch.nn.functional.nll_loss(args[1][0], args[1][1], weight=args[1][2],
                                            reduction=reduction)
        g, wv = got.numpy(), want.numpy()
        assert g.dtype == wv.dtype and g.shape == wv.shape
        assert g.tobytes() == wv.tobytes() or (np.isnan(g).all() and np.isnan(wv).all()), n


@requires_torch
def test_nll_loss_of_log_softmax_module_matches_torch_on_the_course_shape():
    rng = np.random.default_rng(3)
    bad = 0
    for _ in range(40):
        lp = rng.standard_normal((64, 10)).astype(np.float32) - 2.5
        t = rng.integers(0, 10, 64)
        got = ember.nn.NLLLoss()(ember.from_numpy(lp), ember.from_numpy(t)).item()
        want = torch.nn.NLLLoss()(torch.from_numpy(lp), torch.from_numpy(t)).item()
        bad += got != want
    assert bad == 0


# ---------------------------------------------------------------- multi_margin_loss's kernel
@requires_torch
@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_multi_margin_loss_bits_and_gradients_match_torch(reduction, dtype):
    rng = np.random.default_rng(11)
    for _ in range(40):
        n, c = int(rng.integers(1, 60)), int(rng.integers(1, 20))
        x = rng.standard_normal((n, c)).astype(dtype)
        t = rng.integers(0, c, n)
        p, margin = int(rng.integers(1, 3)), float(rng.choice([1.0, 0.7, -0.3]))
        w = rng.random(c).astype(dtype) if rng.random() < 0.5 else None
        go = rng.standard_normal(n if reduction == "none" else ()).astype(dtype)
        res = []
        for lib in (ember, torch):
            xx = lib.from_numpy(x.copy()).requires_grad_()
            loss = lib.nn.functional.multi_margin_loss(
                xx, lib.from_numpy(t), p=p, margin=margin, reduction=reduction,
                weight=None if w is None else lib.from_numpy(w))
            loss.backward(lib.from_numpy(go))
            res.append((loss.detach().numpy(), xx.grad.numpy(), loss.grad_fn.name()))
        (e, eg, en), (tv, tg, tn) = res
        assert e.dtype == tv.dtype and e.shape == tv.shape and e.tobytes() == tv.tobytes()
        assert eg.tobytes() == tg.tobytes() and en == tn


def test_multi_margin_loss_second_derivative_raises_as_torch():
    x = ember.randn(4, 5, requires_grad=True)
    loss = F.multi_margin_loss(x, ember.tensor([0, 1, 2, 3]), p=2)
    (g,) = ember.autograd.grad(loss, x, create_graph=True)
    assert g.requires_grad
    with pytest.raises(RuntimeError, match="derivative for aten::multi_margin_loss_backward is "
                                           "not implemented"):
        g.sum().backward()


# ---------------------------------------------------------------- binary cross entropy
@requires_torch
@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
def test_binary_cross_entropy_input_gradient_and_reduction_bits(reduction):
    rng = np.random.default_rng(21)
    for it in range(30):
        n, dtype = int(rng.integers(1, 3000)), (np.float32, np.float64)[it % 2]
        x, t = (rng.uniform(0.01, 0.99, n).astype(dtype) for _ in range(2))
        w = rng.random(n).astype(dtype) if it % 3 else None
        go = rng.standard_normal(n if reduction == "none" else ()).astype(dtype)
        res = []
        for lib in (ember, torch):
            xx = lib.from_numpy(x.copy()).requires_grad_()
            loss = lib.nn.functional.binary_cross_entropy(
                xx, lib.from_numpy(t), weight=None if w is None else lib.from_numpy(w),
                reduction=reduction)
            loss.backward(lib.from_numpy(go))
            res.append((loss.detach().numpy(), xx.grad.numpy()))
        assert res[0][1].tobytes() == res[1][1].tobytes()  # (the values' logs may differ)
        if reduction != "none":  # the sum of torch's own per-element losses, in its order
            tl = torch.nn.functional.binary_cross_entropy(
                torch.from_numpy(x), torch.from_numpy(t),
                weight=None if w is None else torch.from_numpy(w), reduction="none").numpy()
            got = _loss_fused._reduced(tl, reduction)
            assert got.tobytes() == res[1][0].tobytes()


@requires_torch
@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
def test_bce_with_logits_gradient_order(reduction):
    # at x = 0 sigmoid is 0.5 exactly in both: the gradients' order of operations is all left
    rng = np.random.default_rng(22)
    for it in range(30):
        n, dtype = int(rng.integers(1, 500)), (np.float32, np.float64)[it % 2]
        x, t = np.zeros(n, dtype), rng.uniform(0, 1, n).astype(dtype)
        w = rng.random(n).astype(dtype) if it % 3 else None
        pw = rng.random(n).astype(dtype) if it % 2 else None
        go = rng.standard_normal(n if reduction == "none" else ()).astype(dtype)
        res = []
        for lib in (ember, torch):
            xx = lib.from_numpy(x.copy()).requires_grad_()
            loss = lib.nn.functional.binary_cross_entropy_with_logits(
                xx, lib.from_numpy(t), weight=None if w is None else lib.from_numpy(w),
                pos_weight=None if pw is None else lib.from_numpy(pw), reduction=reduction)
            loss.backward(lib.from_numpy(go))
            res.append(xx.grad.numpy())
        assert res[0].tobytes() == res[1].tobytes()


# ---------------------------------------------------------------- smooth_l1 / huber gradients
@requires_torch
@pytest.mark.parametrize("kind", ["smooth_l1_loss", "huber_loss"])
@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
def test_smooth_l1_and_huber_gradients_bits(kind, reduction):
    # torch's vector loop, and its scalar tail (the last n % 16 float32 / n % 8 float64
    # elements), which reads beta / delta as a double
    rs = np.random.RandomState(5)
    for trial in range(40):
        dtype = (np.float32, np.float64)[trial % 2]
        n = int(rs.choice([1, 5, 7, 15, 16, 17, 33, 100, 1001]))
        par = float(rs.choice([0.3, 0.7, 1.0, 2.5, 0.1]))
        a, b = rs.randn(n).astype(dtype), rs.randn(n).astype(dtype)
        g, res = None, []
        for lib in (ember, torch):
            x, y = (lib.from_numpy(v.copy()).requires_grad_() for v in (a, b))
            kw = {"beta": par} if kind == "smooth_l1_loss" else {"delta": par}
            loss = getattr(lib.nn.functional, kind)(x, y, reduction=reduction, **kw)
            if g is None:
                g = rs.uniform(0.5, 2, tuple(loss.shape)).astype(dtype)
            loss.backward(lib.from_numpy(g))
            res.append((loss.detach().numpy(), x.grad.numpy(), y.grad.numpy()))
        for e, t in zip(*res):
            assert e.tobytes() == t.tobytes(), (n, par, dtype)
