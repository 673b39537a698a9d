"""Every loss (functional and module form) against torch: values and gradients across
reductions and options, plus torch's error text."""

import numpy as np
import pytest

import ember
import ember.nn  # noqa: F401
from oracle import arr, check, check_error, requires_torch, torch

RED = ["mean", "sum", "none"]
T5 = np.array([1, 0, 4], np.int64)


def _f(name, **kw):
    return lambda L, *a: getattr(L.nn.functional, name)(*a, **kw)


def _m(name, call=(), **kw):
    return lambda L, *a: getattr(L.nn, name)(**kw)(*a)


@requires_torch
@pytest.mark.parametrize("reduction", RED)
@pytest.mark.parametrize("name", ["l1_loss", "mse_loss", "smooth_l1_loss", "huber_loss",
                                  "soft_margin_loss"])
def test_regression(name, reduction):
    t = arr((3, 4), seed=1)
    if name != "soft_margin_loss":  # torch has no target gradient for it
        check(_f(name, reduction=reduction), arr((3, 4)), t)
    check(lambda L, x: getattr(L.nn.functional, name)(x, L.from_numpy(t), reduction=reduction),
          arr((3, 4)))


@requires_torch
def test_regression_options():
    check(_f("smooth_l1_loss", beta=0.5), arr((3, 4)), arr((3, 4), seed=1))
    check(_f("smooth_l1_loss", beta=0.0), arr((3, 4)), arr((3, 4), seed=1))
    check(_f("huber_loss", delta=0.3), arr((3, 4)), arr((3, 4), seed=1))
    check(_m("MSELoss"), arr((3, 4)), arr((3, 4), seed=1))
    check(_m("L1Loss", reduction="sum"), arr((3, 4)), arr((3, 4), seed=1))
    check(_m("SmoothL1Loss", beta=2.0), arr((3, 4)), arr((3, 4), seed=1))
    check(_m("HuberLoss", delta=2.0), arr((3, 4)), arr((3, 4), seed=1))


def test_mse_broadcast_warning():
    with pytest.warns(UserWarning, match=r"Using a target size \(torch.Size\(\[3\]\)\) that is "
                                         r"different to the input size"):
        ember.nn.functional.mse_loss(ember.ones(3, 1), ember.ones(3))


@requires_torch
@pytest.mark.parametrize("reduction", RED)
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("ignore", [-100, 1])
def test_nll_loss(reduction, weighted, ignore):
    w = arr((5,), seed=3, low=0.1, high=2.0) if weighted else None

    def fn(L, x, t):
        lp = L.nn.functional.log_softmax(x, 1)
        wt = None if w is None else L.from_numpy(w)
        return L.nn.functional.nll_loss(lp, t, wt, ignore_index=ignore, reduction=reduction)
    check(fn, arr((3, 5)), T5)


@requires_torch
@pytest.mark.parametrize("reduction", RED)
def test_nll_loss_kdim_and_1d(reduction):
    t = np.array([[[0, 2], [1, 1], [2, 0]], [[1, 1], [0, 2], [2, 2]]], np.int64)
    check(_f("nll_loss", reduction=reduction), arr((2, 3, 3, 2)), t)
    check(_f("nll_loss", reduction=reduction), arr((5,)), np.array(3, np.int64))


@requires_torch
@pytest.mark.parametrize("reduction", RED)
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("smoothing", [0.0, 0.2])
def test_cross_entropy(reduction, weighted, smoothing):
    w = arr((5,), seed=3, low=0.1, high=2.0) if weighted else None
    for ignore in (-100, 0):
        check(lambda L, x, t: L.nn.functional.cross_entropy(
            x, t, None if w is None else L.from_numpy(w), reduction=reduction,
            label_smoothing=smoothing, ignore_index=ignore), arr((3, 5)), T5)


@requires_torch
@pytest.mark.parametrize("reduction", RED)
def test_cross_entropy_kdim_and_probs(reduction):
    t = np.array([[[0, 2], [1, 1]], [[1, 1], [0, 2]]], np.int64)
    check(_f("cross_entropy", reduction=reduction), arr((2, 3, 2, 2)), t)
    probs = np.random.default_rng(0).dirichlet(np.ones(5), 3).astype(np.float32)
    for kw in ({}, {"label_smoothing": 0.1}):
        w = arr((5,), seed=4, low=0.5, high=1.5)
        check(lambda L, x: L.nn.functional.cross_entropy(
            x, L.from_numpy(probs), L.from_numpy(w), reduction=reduction, **kw), arr((3, 5)))
        check(lambda L, x, t: L.nn.functional.cross_entropy(x, t, reduction=reduction, **kw),
              arr((3, 5)), probs)
    check(_f("cross_entropy", reduction=reduction), arr((5,)), np.array(2, np.int64))


@requires_torch
def test_cross_entropy_stable_and_modules():
    big = np.array([[1e4, -1e4, 0.0], [-1e4, -1e4, 1e4]], np.float32)
    check(_f("cross_entropy"), big, np.array([1, 2], np.int64))
    check(_m("CrossEntropyLoss", label_smoothing=0.1), arr((3, 5)), T5)
    check(_m("NLLLoss", reduction="sum"), arr((3, 5)), T5)

    def weighted(L, x, t):
        return L.nn.CrossEntropyLoss(weight=L.ones(5) * 0.5, ignore_index=4)(x, t)
    check(weighted, arr((3, 5)), T5)


@requires_torch
def test_cross_entropy_double_backward():
    def fn(L, x):
        y = L.nn.functional.cross_entropy(x, L.from_numpy(T5.copy()))
        (g,) = L.autograd.grad(y, x, create_graph=True)
        return g
    check(fn, arr((3, 5)))


@requires_torch
@pytest.mark.parametrize("case", [
    lambda L: L.nn.functional.cross_entropy(L.randn(3, 5), L.tensor([1.0, 0.0, 4.0])),
    lambda L: L.nn.functional.cross_entropy(L.randn(3, 5), L.tensor([1, 0, 4],
                                                                    dtype=L.int32)),
    lambda L: L.nn.functional.cross_entropy(L.randn(3, 5), L.zeros(3, 5, dtype=L.long)),
    lambda L: L.nn.functional.cross_entropy(L.randn(3, 5), L.tensor([1, 0, 5])),
    lambda L: L.nn.functional.cross_entropy(L.randn(3, 5), L.tensor([1, 0])),
    lambda L: L.nn.CrossEntropyLoss()(L.randn(2, 4), L.tensor([0.0, 3.0])),
    lambda L: L.nn.functional.nll_loss(L.randn(3, 5).log_softmax(1), L.tensor([1.0, 0.0, 4.0])),
    lambda L: L.nn.functional.binary_cross_entropy(L.tensor([0.5]), L.tensor([2.0])),
    lambda L: L.nn.functional.binary_cross_entropy(L.tensor([1.5]), L.tensor([1.0])),
    lambda L: L.nn.functional.binary_cross_entropy(L.tensor([0.5, 0.2]), L.tensor([1.0])),
    lambda L: L.nn.functional.binary_cross_entropy_with_logits(L.ones(2), L.ones(3)),
    lambda L: L.nn.functional.mse_loss(L.ones(2), L.ones(2), reduction="avg"),
])
def test_loss_errors(case):
    check_error(lambda L: case(L))


@requires_torch
@pytest.mark.parametrize("reduction", RED)
def test_bce(reduction):
    x = arr((3, 4), low=0.05, high=0.95)
    t = arr((3, 4), seed=1, low=0.0, high=1.0)
    check(_f("binary_cross_entropy", reduction=reduction), x, t)
    w = arr((4,), seed=2, low=0.1, high=2.0)
    check(lambda L, x, t: L.nn.functional.binary_cross_entropy(
        x, t, L.from_numpy(w), reduction=reduction), x, t)
    check(_m("BCELoss", reduction=reduction), x, t)


def test_bce_clamps_log():
    F = ember.nn.functional
    out = F.binary_cross_entropy(ember.tensor([0.0, 1.0]), ember.tensor([1.0, 0.0]))
    assert out.item() == 100.0


@requires_torch
@pytest.mark.parametrize("reduction", RED)
def test_bce_with_logits(reduction):
    x, t = arr((3, 4), low=-30, high=30), arr((3, 4), seed=1, low=0.0, high=1.0)
    check(_f("binary_cross_entropy_with_logits", reduction=reduction), x, t)
    w, pw = arr((4,), seed=2), arr((4,), seed=3, low=0.5, high=3.0)
    check(lambda L, x, t: L.nn.functional.binary_cross_entropy_with_logits(
        x, t, L.from_numpy(w), pos_weight=L.from_numpy(pw), reduction=reduction), x, t)
    check(_m("BCEWithLogitsLoss", reduction=reduction), x, t)


@requires_torch
@pytest.mark.parametrize("reduction", ["batchmean", "sum", "none"])
@pytest.mark.parametrize("log_target", [False, True])
def test_kl_div(reduction, log_target):
    x = np.log(arr((3, 4), low=0.05, high=1.0))
    t = arr((3, 4), seed=1, low=0.0, high=1.0)
    t[0, 0] = 0.0
    if log_target:
        t = np.log(t + 0.1)
    check(_f("kl_div", reduction=reduction, log_target=log_target), x, t)
    check(_m("KLDivLoss", reduction=reduction, log_target=log_target), x, t)


@requires_torch
@pytest.mark.parametrize("log_input,full", [(True, False), (False, False), (True, True),
                                            (False, True)])
def test_poisson_nll(log_input, full):
    x = arr((3, 4), low=0.1, high=2.0)
    t = np.round(arr((3, 4), seed=1, low=0.0, high=5.0))
    for red in RED:
        check(lambda L, x: L.nn.functional.poisson_nll_loss(
            x, L.from_numpy(t), log_input=log_input, full=full, reduction=red), x)
    check(lambda L, x: L.nn.PoissonNLLLoss(log_input, full)(x, L.from_numpy(t)), x)


@requires_torch
@pytest.mark.parametrize("full", [False, True])
@pytest.mark.parametrize("reduction", RED)
def test_gaussian_nll(full, reduction):
    v = arr((3, 4), seed=2, low=0.0, high=2.0)
    v[0, 0] = 0.0
    check(_f("gaussian_nll_loss", full=full, reduction=reduction), arr((3, 4)),
          arr((3, 4), seed=1), v)
    check(_f("gaussian_nll_loss", reduction=reduction), arr((3, 4)), arr((3, 4), seed=1),
          arr((3,), seed=2, low=0.1, high=2.0))
    check(_m("GaussianNLLLoss", full=full), arr((3, 4)), arr((3, 4), seed=1),
          arr((3, 1), seed=2, low=0.1, high=2.0))


@requires_torch
@pytest.mark.parametrize("reduction", RED)
def test_margin_losses(reduction):
    y = np.array([1.0, -1.0, 1.0, -1.0], np.float32)
    check(lambda L, a, b: L.nn.functional.cosine_embedding_loss(
        a, b, L.from_numpy(y), margin=0.2, reduction=reduction), arr((4, 3)), arr((4, 3), seed=1))
    check(lambda L, a, b: L.nn.functional.margin_ranking_loss(
        a, b, L.from_numpy(y), margin=0.1, reduction=reduction), arr((4,)), arr((4,), seed=1))
    check(lambda L, a: L.nn.functional.hinge_embedding_loss(
        a, L.from_numpy(y), margin=0.5, reduction=reduction), arr((4,)))
    check(lambda L, a: L.nn.HingeEmbeddingLoss(reduction=reduction)(a, L.from_numpy(y)),
          arr((4,)))
    check(lambda L, a, b: L.nn.CosineEmbeddingLoss(reduction=reduction)(
        a, b, L.from_numpy(y)), arr((4, 3)), arr((4, 3), seed=1))
    check(lambda L, a, b: L.nn.MarginRankingLoss(0.3, reduction=reduction)(
        a, b, L.from_numpy(y)), arr((4,)), arr((4,), seed=1))


@requires_torch
@pytest.mark.parametrize("p", [1, 2])
@pytest.mark.parametrize("reduction", RED)
def test_multi_margin(p, reduction):
    check(_f("multi_margin_loss", p=p, margin=0.7, reduction=reduction), arr((3, 5)), T5)
    w = arr((5,), seed=3, low=0.1, high=2.0)
    check(lambda L, x, t: L.nn.functional.multi_margin_loss(
        x, t, p=p, weight=L.from_numpy(w), reduction=reduction), arr((3, 5)), T5)
    check(_m("MultiMarginLoss", p=p, reduction=reduction), arr((3, 5)), T5)


@requires_torch
@pytest.mark.parametrize("reduction", RED)
def test_multilabel_soft_margin(reduction):
    t = (arr((3, 5), seed=1, low=0, high=1) > 0.5).astype(np.float32)
    check(lambda L, x: L.nn.functional.multilabel_soft_margin_loss(
        x, L.from_numpy(t), reduction=reduction), arr((3, 5)))
    w = arr((5,), seed=2)
    check(lambda L, x: L.nn.MultiLabelSoftMarginLoss(L.from_numpy(w), reduction=reduction)(
        x, L.from_numpy(t)), arr((3, 5)))


@requires_torch
@pytest.mark.parametrize("swap", [False, True])
@pytest.mark.parametrize("reduction", RED)
def test_triplet_margin(swap, reduction):
    check(_f("triplet_margin_loss", swap=swap, reduction=reduction), arr((4, 3)),
          arr((4, 3), seed=1), arr((4, 3), seed=2))
    check(_m("TripletMarginLoss", margin=2.0, p=1.0, swap=swap, reduction=reduction),
          arr((4, 3)), arr((4, 3), seed=1), arr((4, 3), seed=2))


@requires_torch
def test_loss_reprs_and_legacy_args():
    for name, kw in [("CrossEntropyLoss", {}), ("NLLLoss", {}), ("MSELoss", {}),
                     ("BCEWithLogitsLoss", {}), ("TripletMarginLoss", {}),
                     ("MultiMarginLoss", {})]:
        assert repr(getattr(ember.nn, name)(**kw)) == repr(getattr(torch.nn, name)(**kw))
    with pytest.warns(UserWarning, match="reduction='sum'"):
        m = ember.nn.MSELoss(size_average=False)
    assert m.reduction == "sum"
    assert list(ember.nn.CrossEntropyLoss(weight=ember.ones(3)).state_dict()) == ["weight"]


def test_late_loss_fixes():
    """multi_margin_loss of a 1-d input with a (1,) target kept no dim with reduction='none';
    triplet_margin_loss took margin <= 0; binary_cross_entropy's target gradient was clamped
    at +-50 where torch's -logit(x) is +-inf."""
    F = ember.nn.functional
    x = ember.tensor([0.3, -1.2, 0.8, 2.0])
    assert tuple(F.multi_margin_loss(x, ember.tensor([2]), reduction="none").shape) == (1,)
    assert tuple(F.multi_margin_loss(x, ember.tensor(2), reduction="none").shape) == ()
    for m in (-1.0, 0.0):
        with pytest.raises(ValueError, match=f"^margin must be greater than 0, got {m}$"):
            F.triplet_margin_loss(ember.ones(2, 3), ember.ones(2, 3), ember.zeros(2, 3), margin=m)
    p = ember.tensor([0.0, 1.0, 0.3], dtype=ember.float64, requires_grad=True)
    t = ember.tensor([1.0, 0.0, 0.5], dtype=ember.float64, requires_grad=True)
    F.binary_cross_entropy(p, t, reduction="sum").backward()
    assert t.grad.tolist()[:2] == [float("inf"), float("-inf")]
    assert t.grad.tolist()[2] == pytest.approx(-np.log(0.3 / 0.7), rel=1e-14)
    if torch is None:
        pytest.skip("torch (the oracle) is not installed")
    tp = torch.tensor([0.0, 1.0, 0.3], dtype=torch.float64, requires_grad=True)
    tt = torch.tensor([1.0, 0.0, 0.5], dtype=torch.float64, requires_grad=True)
    torch.nn.functional.binary_cross_entropy(tp, tt, reduction="sum").backward()
    assert t.grad.tolist() == tt.grad.tolist()
    assert tuple(torch.nn.functional.multi_margin_loss(
        torch.tensor([0.3, -1.2, 0.8, 2.0]), torch.tensor([2]), reduction="none").shape) == (1,)


def test_nll_checks_as_torch():
    """A (1,) target of a 1-d input is one sample (ember refused it: torch computes the
    forward, though its backward then fails); a longer one gets torch's ValueError; a weight
    of another dtype than the input is refused (ember cast it)."""
    F = ember.nn.functional
    v = ember.tensor([0.5, -0.3, 1.2, 0.1])
    one = F.nll_loss(v, ember.tensor([1]), reduction="none")
    assert one.shape == () and one.item() == pytest.approx(0.3)
    assert F.nll_loss(v, ember.tensor([1])).item() == pytest.approx(0.3)
    check_error(lambda L, v: L.nn.functional.nll_loss(v, L.tensor([1, 2])), v.numpy(),
                exc=ValueError,
                match="For 1D input, 1D target must have size 1, but got target size: 2")
    x = np.ones((3, 4), np.float32)
    check_error(lambda L, x: L.nn.functional.cross_entropy(x, L.tensor([0, 1, 2]),
                                                           weight=L.ones(4, dtype=L.float64)),
                x, exc=RuntimeError, match="expected scalar type Float but found Double")
    check_error(lambda L, x: L.nn.functional.nll_loss(x.double(), L.tensor([0, 1, 2]),
                                                      weight=L.ones(4)),
                x, exc=RuntimeError, match="expected scalar type Double but found Float")
    if torch is not None:
        t = torch.nn.functional.nll_loss(torch.tensor([0.5, -0.3, 1.2, 0.1]), torch.tensor([1]),
                                         reduction="none")
        assert t.shape == () and t.item() == pytest.approx(one.item())


def test_nll_loss_double_backward():
    """nll_loss's gradient did not require grad, so a second-order grad raised; torch's
    NllLossBackwardBackward0 reads the input too (its gradient there is zero)."""
    x0 = np.log(np.array([[0.2, 0.3, 0.5], [0.6, 0.3, 0.1]]))
    for L in [ember] + ([torch] if torch is not None else []):
        x = L.tensor(x0, requires_grad=True)
        g, = L.autograd.grad(L.nn.functional.nll_loss(x, L.tensor([2, 0])), x, create_graph=True)
        assert g.requires_grad and g.grad_fn.name() == "NllLossBackwardBackward0"
        gg, = L.autograd.grad((g * g).sum(), x)
        assert not gg.numpy().any()
        w = L.ones(2, requires_grad=True)
        g, = L.autograd.grad(L.nn.functional.nll_loss(x, L.tensor([2, 0]), reduction="none"), x,
                             grad_outputs=w, create_graph=True)
        gw, = L.autograd.grad(g.sum(), w)
        assert gw.tolist() == [-1.0, -1.0]
