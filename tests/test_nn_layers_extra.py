"""CTC loss, multilabel margin and triplet-with-distance losses, LSTM projections, 3-d and
fractional pooling, AdaptiveLogSoftmaxWithLoss and the distance layers, against torch."""

import warnings

import numpy as np
import pytest

import ember
from oracle import arr, check, check_error, requires_torch, torch

# ---------------------------------------------------------------- CTC
_TG = np.array([[1, 1, 2], [3, 4, 0], [2, 2, 2]])
_CAT = np.array([1, 1, 3, 4, 2, 2, 2])


def _ctc(tg, il, tl, **kw):
    def fn(L, x):
        lengths = [L.tensor(v) if isinstance(v, np.ndarray) else v for v in (il, tl)]
        return L.nn.functional.ctc_loss(x.log_softmax(-1), L.tensor(tg), *lengths, **kw)
    return fn


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("tg, il, tl, kw", [
    (_TG, [7, 6, 5], [3, 2, 0], {}),
    (_TG, [7, 6, 5], [3, 2, 2], {"reduction": "none"}),
    (_TG, [7, 2, 5], [3, 2, 3], {"reduction": "none"}),            # an impossible alignment
    (_TG, [7, 2, 5], [3, 2, 3], {"reduction": "sum", "zero_infinity": True}),
    (_TG, [7, 2, 5], [3, 2, 3], {"zero_infinity": True}),
    (_CAT, np.array([7, 6, 0]), np.array([2, 2, 3]), {"reduction": "none"}),
    (_TG, np.array([7, 6, 5]), np.array([3, 2, 2]), {"reduction": "mean"}),
    (_TG, [7, 6, 5], [3, 2, 2], {"reduction": "none", "blank": 2}),  # targets equal to blank
])
def test_ctc_loss(dtype, tg, il, tl, kw):
    fd = not (kw.get("reduction") == "none" and "zero_infinity" not in kw and il[1] == 2)
    check(_ctc(tg, il, tl, **kw), arr((7, 3, 5), dtype, seed=1), fd=fd)


def test_ctc_loss_unnormalised_input_and_unbatched():
    def raw(L, x):  # torch's gradient assumes log-probabilities; ember's is the same formula
        return L.nn.functional.ctc_loss(x, L.tensor(_TG), [7, 6, 5], [3, 2, 2],
                                        reduction="none")
    check(raw, arr((7, 3, 5), seed=2))
    check(lambda L, x: L.nn.functional.ctc_loss(x.log_softmax(-1), L.tensor(_TG[0]), [7], [3],
                                                reduction="none"), arr((7, 5), seed=3))
    check(lambda L, x: L.nn.CTCLoss(blank=4)(x.log_softmax(-1), L.tensor(_TG[0]), L.tensor(7),
                                            L.tensor(3)), arr((7, 5), seed=4))


def test_ctc_loss_batch_first_view_and_double_backward():
    check(lambda L, x: L.nn.functional.ctc_loss(x.transpose(0, 1).log_softmax(2), L.tensor(_TG),
                                                [7, 7, 6], [3, 2, 1]), arr((3, 7, 5), seed=5))

    def second(L, x):
        x.requires_grad_()
        loss = L.nn.functional.ctc_loss(x.log_softmax(2), L.tensor(_TG), [7, 7, 7], [3, 2, 2])
        (g,) = L.autograd.grad(loss, x, create_graph=True)
        g.sum().backward()
    check_error(second, arr((7, 3, 5), "float64"),
                match="derivative for aten::_ctc_loss_backward is not implemented")


@pytest.mark.parametrize("call", [
    lambda L, x: L.nn.functional.ctc_loss(x, L.tensor(_TG), L.tensor([7., 7, 7]),
                                          L.tensor([3, 2, 2])),
    lambda L, x: L.nn.functional.ctc_loss(x, L.tensor(_TG), L.tensor([7, 7, 7]),
                                          L.tensor([3., 2, 2])),
    lambda L, x: L.nn.functional.ctc_loss(x, L.tensor(_TG), [7, 8, 7], [3, 2, 2]),
    lambda L, x: L.nn.functional.ctc_loss(x, L.tensor(_TG), [7, -1, 7], [3, 2, 2]),
    lambda L, x: L.nn.functional.ctc_loss(x, L.tensor(_TG), [7, 7, 7], [3, -1, 2]),
    lambda L, x: L.nn.functional.ctc_loss(x, L.tensor(_TG), [7, 7, 7], [4, 2, 2]),
    lambda L, x: L.nn.functional.ctc_loss(x, L.tensor(_TG), [7, 7], [3, 2, 2]),
    lambda L, x: L.nn.functional.ctc_loss(x, L.tensor(_TG), [7, 7, 7], [3, 2]),
    lambda L, x: L.nn.functional.ctc_loss(x, L.tensor(_TG), [7, 7, 7], [3, 2, 2], blank=5),
    lambda L, x: L.nn.functional.ctc_loss(x, L.tensor(_TG), [7, 7, 7], [3, 2, 2],
                                          reduction="avg"),
    lambda L, x: L.nn.functional.ctc_loss(x[None], L.tensor(_TG), [7, 7, 7], [3, 2, 2]),
    lambda L, x: L.nn.functional.ctc_loss(x, L.tensor(_TG)[None], [7, 7, 7], [3, 2, 2]),
    lambda L, x: L.nn.functional.ctc_loss(x, L.tensor(_TG)[:2], [7, 7, 7], [3, 2, 2]),
    lambda L, x: L.nn.functional.ctc_loss(x, L.tensor(_CAT), [7, 7, 7], [3, 2, 3]),
    lambda L, x: L.nn.functional.ctc_loss(x.half(), L.tensor(_TG), [7, 7, 7], [3, 2, 2]),
    lambda L, x: L.nn.functional.ctc_loss(x[:, :0], L.tensor(_TG)[:0], [], []),
    lambda L, x: L.nn.functional.ctc_loss(x, L.tensor(_TG), L.tensor([7, 7, 7]), [3, 2, 2]),
    lambda L, x: L.nn.functional.ctc_loss(x, L.tensor(_TG), [7, 7, 7], L.tensor([3, 2, 2])),
    lambda L, x: L.nn.functional.ctc_loss(x, L.tensor(_TG), [7.5, 7, 7], [3, 2, 2]),
])
def test_ctc_loss_errors(call):
    check_error(call, arr((7, 3, 5)))


# ---------------------------------------------------------------- margin losses
_ML = np.array([[3, 0, -1, 1, 2], [1, 1, 3, -1, 0], [-1, 1, 2, 3, 0], [0, 1, 2, 3, 4]])


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("rows", [slice(None), 0])
def test_multilabel_margin_loss(reduction, rows):
    check(lambda L, x: L.nn.MultiLabelMarginLoss(reduction=reduction)(x, L.tensor(_ML[rows])),
          arr((4, 5), "float64", seed=5)[rows])


@pytest.mark.parametrize("target", [_ML[0], _ML.astype(np.int32), _ML + 2, _ML[:, :4]])
def test_multilabel_margin_loss_errors(target):
    check_error(lambda L, x: L.nn.functional.multilabel_margin_loss(x, L.tensor(target)),
                arr((4, 5)))
    check_error(lambda L, x: L.nn.functional.multilabel_margin_loss(x[None], L.tensor(_ML)),
                arr((4, 5)))


def test_triplet_margin_with_distance_loss():
    def cosine(L):
        return lambda u, v: 1 - L.nn.functional.cosine_similarity(u, v)
    a, p, n = (arr((3, 4), "float64", seed=s) for s in (6, 7, 8))
    check(lambda L, a, p, n: L.nn.TripletMarginWithDistanceLoss(
        distance_function=cosine(L), margin=0.5, swap=True)(a, p, n), a, p, n)
    check(lambda L, a, p, n: L.nn.functional.triplet_margin_with_distance_loss(
        a, p, n, reduction="none"), a, p, n)
    check(lambda L, a, p, n: L.nn.TripletMarginWithDistanceLoss(reduction="sum")(a, p, n),
          a, p, n)
    check_error(lambda L, a: L.nn.TripletMarginWithDistanceLoss(margin=0), a)
    check_error(lambda L, a: L.nn.functional.triplet_margin_with_distance_loss(a, a, a[0]), a)
    check_error(lambda L, a: L.nn.functional.triplet_margin_with_distance_loss(
        a, a, a, reduction="x"), a)


@requires_torch
def test_loss_and_distance_reprs():
    for build in (lambda nn: nn.TripletMarginWithDistanceLoss(),
                  lambda nn: nn.TripletMarginWithDistanceLoss(distance_function=nn.
                                                              PairwiseDistance(p=1)),
                  lambda nn: nn.CTCLoss(blank=3, zero_infinity=True),
                  lambda nn: nn.MultiLabelMarginLoss(), lambda nn: nn.CosineSimilarity(0),
                  lambda nn: nn.AdaptiveMaxPool3d((2, None, 3)), lambda nn: nn.LPPool3d(2, 3),
                  lambda nn: nn.LPPool3d(1.5, (1, 2, 3), 2, True), lambda nn: nn.MaxUnpool3d(2),
                  lambda nn: nn.FractionalMaxPool2d(2, output_ratio=0.5),
                  lambda nn: nn.FractionalMaxPool3d((2, 1, 2), output_size=3),
                  lambda nn: nn.LSTM(4, 6, proj_size=3, num_layers=2)):
        assert repr(build(ember.nn)) == repr(build(torch.nn))
    check(lambda L, a, b: L.nn.PairwiseDistance(p=1, keepdim=True)(a, b),
          arr((3, 4), seed=1), arr((3, 4), seed=2))
    check(lambda L, a, b: L.nn.CosineSimilarity(dim=0)(a, b), arr((3, 4), seed=1),
          arr((3, 4), seed=2))


# ---------------------------------------------------------------- LSTM with projections
def _lstm_case(L, x, kw, packed=False):
    L.manual_seed(0)
    m = L.nn.LSTM(4, 6, proj_size=3, **kw)
    if packed:
        x = L.nn.utils.rnn.pack_padded_sequence(x, [5, 3, 2], enforce_sorted=False)
        y, (h, c) = m(x, (L.ones(1, 3, 3), L.ones(1, 3, 6)))
        y = L.nn.utils.rnn.pad_packed_sequence(y)[0]
    else:
        y, (h, c) = m(x)
    grads = L.autograd.grad(y.sum() + h.pow(2).sum() + c.sum(), list(m.parameters()),
                            retain_graph=True)
    return [y, h, c] + list(grads)


@pytest.mark.parametrize("kw", [{}, {"num_layers": 2, "bidirectional": True},
                                {"batch_first": True, "bias": False}])
def test_lstm_proj_size(kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        # fd=False: the module's float32 weights cannot take float64 finite-difference inputs
        check(lambda L, x: _lstm_case(L, x, kw), arr((5, 3, 4), seed=9), rtol=1e-4, atol=1e-5,
              fd=False)
        check(lambda L, x: _lstm_case(L, x, {}, packed=True), arr((5, 3, 4), seed=9),
              rtol=1e-4, atol=1e-5, fd=False)


def test_lstm_proj_size_parameters_and_errors():
    m = ember.nn.LSTM(4, 6, proj_size=3, num_layers=2, bidirectional=True)
    shapes = [(n, tuple(p.shape)) for n, p in m.named_parameters()][:5]
    assert shapes == [("weight_ih_l0", (24, 4)), ("weight_hh_l0", (24, 3)),
                      ("bias_ih_l0", (24,)), ("bias_hh_l0", (24,)), ("weight_hr_l0", (3, 6))]
    assert m.weight_ih_l1.shape == (24, 6) and [len(w) for w in m.all_weights] == [5] * 4
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        check_error(lambda L, x: L.nn.LSTM(4, 6, proj_size=3)(x, (L.zeros(1, 3, 6),
                                                                   L.zeros(1, 3, 6))),
                    arr((5, 3, 4)))
        check_error(lambda L, x: L.nn.LSTM(4, 6, proj_size=3)(x, (L.zeros(1, 3, 3),
                                                                   L.zeros(1, 3, 3))),
                    arr((5, 3, 4)))
        check_error(lambda L, x: L.nn.LSTM(4, 6)(x, (L.zeros(1, 3, 5), L.zeros(1, 3, 6))),
                    arr((5, 3, 4)))
    check_error(lambda L, x: L.nn.LSTM(4, 6, proj_size=6), arr((1,)))
    check_error(lambda L, x: L.nn.GRU(4, 6, proj_size=2), arr((1,)))


# ---------------------------------------------------------------- pooling
_X5 = arr((2, 3, 6, 6, 8), seed=10)


def test_pool3d_forms():
    F = "nn.functional"
    check(lambda L, x: L.nn.functional.adaptive_max_pool3d(x, (2, 3, None), True), _X5)
    check(lambda L, x: L.nn.AdaptiveMaxPool3d(3)(x), _X5[0])
    check(lambda L, x: L.nn.functional.adaptive_max_pool3d_with_indices(x, 2), _X5)
    check(lambda L, x: L.nn.functional.lp_pool3d(x, 2, (2, 3, 2), 2, True), np.abs(_X5) + 0.1)
    check(lambda L, x: L.nn.LPPool3d(float("inf"), 2)(x), _X5)
    check(lambda L, x: L.nn.MaxUnpool3d(2)(*L.nn.functional.max_pool3d(x, 2,
                                                                          return_indices=True)),
          _X5)
    check(lambda L, x: L.nn.functional.max_unpool3d(
        *L.nn.functional.max_pool3d(x, 2, return_indices=True), 2, output_size=(7, 7, 9)), _X5)
    check(lambda L, x: L.nn.functional.max_pool2d_with_indices(x, 2), _X5[0])
    assert F


@pytest.mark.parametrize("call", [
    lambda L, x: L.nn.functional.adaptive_max_pool3d(x[0, 0], 2),
    lambda L, x: L.nn.functional.adaptive_max_pool3d(x[:, :, :0], 2),
    lambda L, x: L.nn.functional.adaptive_max_pool3d(x, (2, 2)),
    lambda L, x: L.nn.functional.max_unpool3d(x, x.long(), 2),
    lambda L, x: L.nn.functional.max_unpool3d(x, x.int(), 2),
    lambda L, x: L.nn.functional.max_unpool3d(x[0, 0], x[0, 0].long(), 2),
    lambda L, x: L.nn.functional.max_unpool3d(x, x.long()[:1], 2),
    lambda L, x: L.nn.functional.max_unpool3d(x[:, :, :0], x[:, :, :0].long(), 2),
    lambda L, x: L.nn.functional.max_unpool3d(x, x.long(), 2, output_size=(8, 10)),
    lambda L, x: L.nn.functional.max_unpool3d(x, (x.abs() * 0).long(), 2, stride=0),
])
def test_pool3d_errors(call):
    check_error(call, _X5)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_fractional_max_pool_draws_torchs_windows(dtype):
    def fn(nd, **kw):
        def run(L, x):
            L.manual_seed(5)
            f = getattr(L.nn.functional, f"fractional_max_pool{nd}d")
            return f(x, **kw) + (L.rand(1),)  # the generator is left where torch's is
        return run
    x4 = arr((4, 5, 25, 31), dtype, seed=11)
    check(fn(2, kernel_size=3, output_size=(11, 13), return_indices=True), x4)
    check(fn(2, kernel_size=(3, 2), output_ratio=(0.5, 0.5), return_indices=True), x4[0])
    check(fn(3, kernel_size=2, output_size=(2, 4, 4), return_indices=True), _X5.astype(dtype))
    check(fn(3, kernel_size=2, output_ratio=(0.5, 0.6, 0.7), return_indices=True),
          _X5[0].astype(dtype))
    xn = x4[:2, :2, :6, :6].copy()
    xn[0, 0, 1, 1] = xn[0, 0, 2, 2] = np.nan  # the last NaN of a window wins, as ATen's
    xn[1, 1, :4, :4] = -np.inf
    check(fn(2, kernel_size=3, output_size=(4, 4), return_indices=True), xn)


def test_fractional_max_pool_modules_and_samples():
    samples = arr((2, 5, 2), low=0, high=1, seed=12)
    check(lambda L, x, s: L.nn.FractionalMaxPool2d(2, output_size=4,
                                                   _random_samples=s)(x),
          arr((2, 5, 9, 9), seed=13), samples, grad=False)
    check(lambda L, x: L.nn.functional.fractional_max_pool2d_with_indices(
        x, 2, output_size=(3, 3), _random_samples=L.full((2, 5, 2), 0.999)),
        arr((2, 5, 7, 8), seed=14))


@pytest.mark.parametrize("call", [
    lambda L, x: L.nn.functional.fractional_max_pool2d(x, 2, output_ratio=0.5),
    lambda L, x: L.nn.functional.fractional_max_pool2d(x, 2),
    lambda L, x: L.nn.functional.fractional_max_pool2d(x, 2, output_size=(7, 8)),
    lambda L, x: L.nn.functional.fractional_max_pool2d(x, (2, 2, 2), output_size=3),
    lambda L, x: L.nn.functional.fractional_max_pool2d(x, 2, output_size=(3, 3, 3)),
    lambda L, x: L.nn.functional.fractional_max_pool2d(x[None], 2, output_size=3),
    lambda L, x: L.nn.functional.fractional_max_pool2d(x[:, :, :0], 2, output_size=3),
    lambda L, x: L.nn.functional.fractional_max_pool2d(
        x, 2, output_size=3, _random_samples=L.rand(2, 3, 2).double()),
    lambda L, x: L.nn.functional.fractional_max_pool2d(
        x, 2, output_size=3, _random_samples=L.rand(2, 3)),
    lambda L, x: L.nn.functional.fractional_max_pool2d(
        x, 2, output_size=3, _random_samples=L.rand(2, 4, 2)),
    lambda L, x: L.nn.functional.fractional_max_pool2d(
        x, 2, output_size=3, _random_samples=L.rand(2, 3, 3)),
    lambda L, x: L.nn.functional.fractional_max_pool2d(
        x, 2, output_size=3, _random_samples=L.rand(1, 3, 2)),
    lambda L, x: L.nn.functional.fractional_max_pool2d(x.long(), 2, output_size=3),
    lambda L, x: L.nn.functional.fractional_max_pool3d(x[None], 2, output_size=(2, 6, 3)),
    lambda L, x: L.nn.functional.fractional_max_pool3d(x[None], (2, 2), output_size=(2, 3, 3)),
    lambda L, x: L.nn.functional.fractional_max_pool3d(
        x[None].expand(3, 2, 3, 7, 8), 2, output_size=(1, 3, 8)),
    lambda L, x: L.nn.FractionalMaxPool2d(2),
    lambda L, x: L.nn.FractionalMaxPool2d(2, output_size=3, output_ratio=0.5),
    lambda L, x: L.nn.FractionalMaxPool3d(2, output_ratio=1.5),
])
def test_fractional_max_pool_errors(call):
    check_error(call, arr((2, 3, 7, 8), seed=15))


# ---------------------------------------------------------------- adaptive softmax
def _asm(L, x):
    L.manual_seed(0)
    m = L.nn.AdaptiveLogSoftmaxWithLoss(8, 10, [3, 6], div_value=2.0, head_bias=True)
    out = m(x, L.tensor([0, 4, 9, 2, 7]))
    one = m(x[0], L.tensor(3))
    with L.no_grad():
        extra = [m.log_prob(x), m.predict(x)]
    return [out.output, out.loss, one.output, one.loss] + extra


def test_adaptive_log_softmax_with_loss():
    check(_asm, arr((5, 8), seed=16), fd=False)  # float32 module: no float64 steps
    m = ember.nn.AdaptiveLogSoftmaxWithLoss(8, 10, [3, 6], div_value=2.0)
    assert list(m.state_dict()) == ["head.weight", "tail.0.0.weight", "tail.0.1.weight",
                                    "tail.1.0.weight", "tail.1.1.weight"]
    assert type(m(ember.zeros(2, 8), ember.tensor([1, 9]))).__name__ == "_ASMoutput"
    check_error(lambda L, x: L.nn.AdaptiveLogSoftmaxWithLoss(8, 10, [3, 6])(
        x, L.tensor([0, 4, 10, 2, 7])), arr((5, 8)))
    check_error(lambda L, x: L.nn.AdaptiveLogSoftmaxWithLoss(8, 10, [6, 3]), arr((1,)))
    check_error(lambda L, x: L.nn.AdaptiveLogSoftmaxWithLoss(8, 10, []), arr((1,)))
    check_error(lambda L, x: L.nn.AdaptiveLogSoftmaxWithLoss(8, 10, [3])(x, L.tensor([[1]])),
                arr((5, 8)))


@requires_torch
def test_rrelu_inplace_functional():
    for L in (torch, ember):
        L.manual_seed(2)
    x = np.linspace(-2, 1, 12).astype(np.float32)
    t, e = torch.from_numpy(x.copy()), ember.from_numpy(x.copy())
    torch.nn.functional.rrelu_(t, 0.1, 0.5, True)
    ember.nn.functional.rrelu_(e, 0.1, 0.5, True)
    np.testing.assert_array_equal(e.numpy(), t.numpy())


# ---------------------------------------------------------------- grid_sample, interpolate
_SPECIAL = np.array([-1.5, -1, -0.75, -0.5, 0, 0.25, 0.5, 1, 1.5, 3.3, -4.1])


@pytest.mark.parametrize("padding", ["zeros", "border", "reflection"])
@pytest.mark.parametrize("align", [False, True])
def test_grid_sample_bicubic_and_5d(padding, align):
    rng = np.random.default_rng(17)
    kw = {"padding_mode": padding, "align_corners": align}
    g2 = rng.choice(_SPECIAL, (2, 3, 4, 2)) * 0.9 + rng.uniform(-0.05, 0.05, (2, 3, 4, 2))
    check(lambda L, x, g: L.nn.functional.grid_sample(x, g, mode="bicubic", **kw),
          arr((2, 3, 5, 6), "float64", seed=18), g2, rtol=1e-6)
    g3 = rng.uniform(-1.3, 1.3, (2, 2, 3, 4, 3)).astype(np.float32)
    for mode in ("bilinear", "nearest"):
        check(lambda L, x, g: L.nn.functional.grid_sample(x, g, mode=mode, **kw),
              arr((2, 3, 4, 5, 6), seed=19), g3, rtol=1e-4, atol=1e-5)
    g3 = rng.choice(_SPECIAL, (1, 2, 3, 4, 3))  # on pixel borders and exact halves
    check(lambda L, x, g: L.nn.functional.grid_sample(x, g, **kw),
          arr((1, 2, 1, 4, 5), "float64", seed=20), g3, fd=False)


def test_grid_sample_5d_errors():
    check_error(lambda L, x: L.nn.functional.grid_sample(x, x[..., :3], mode="bicubic",
                                                         align_corners=False), arr((1, 1, 2, 2, 3)))
    check_error(lambda L, x: L.nn.functional.grid_sample(x.long(), x[..., :3].long(),
                                                         align_corners=False), arr((1, 1, 2, 2, 3)))


@pytest.mark.parametrize("mode", ["bilinear", "bicubic", "lanczos"])
def test_interpolate_antialias(mode):
    aligns = (False,) if mode == "lanczos" else (False, True)
    for align in aligns:
        for shape, kw in (((2, 3, 17, 13), {"size": (5, 4)}), ((1, 2, 6, 7), {"size": (13, 20)}),
                          ((1, 1, 9, 11), {"scale_factor": (2.5, 0.37)}),
                          ((1, 1, 8, 8), {"scale_factor": 0.5, "recompute_scale_factor": True})):
            check(lambda L, x: L.nn.functional.interpolate(
                x, mode=mode, align_corners=align, antialias=True, **kw),
                arr(shape, seed=21), rtol=1e-4, atol=1e-5)
    check_error(lambda L, x: L.nn.functional.interpolate(x, size=3, mode="lanczos"),
                arr((1, 1, 5, 5)))
    check_error(lambda L, x: L.nn.functional.interpolate(x, size=3, mode="lanczos",
                                                         align_corners=True, antialias=True),
                arr((1, 1, 5, 5)))


# ---------------------------------------------------------------- autocast
_AMP = {
    "ctc_loss": lambda L, x: L.nn.functional.ctc_loss(
        x[:, :3, :5].log_softmax(-1), L.tensor(_TG), [6, 6, 6], [3, 2, 2]),
    "adaptive_max_pool3d": lambda L, x: L.nn.functional.adaptive_max_pool3d(x[None], 2),
    "fractional_max_pool2d": lambda L, x: L.nn.functional.fractional_max_pool2d(
        x, 2, output_size=2, _random_samples=L.full((1, 6, 2), 0.5)),
    "multilabel_margin_loss": lambda L, x: L.nn.functional.multilabel_margin_loss(
        x[0, :4, :5], L.tensor(_ML)),
    "grid_sample_bicubic": lambda L, x: L.nn.functional.grid_sample(
        x[None], x[None, :2, :3, :2] / 2, mode="bicubic", align_corners=False),
    "lstm_proj": lambda L, x: L.nn.LSTM(6, 5, proj_size=2)(x[0])[0],
}


@requires_torch
@pytest.mark.parametrize("name", list(_AMP))
def test_autocast_policies(name):
    x = arr((6, 6, 6), seed=22)
    outs = []
    for L in (torch, ember):
        L.manual_seed(0)
        with warnings.catch_warnings(), L.autocast("cpu", dtype=L.bfloat16):
            warnings.simplefilter("ignore")
            out = _AMP[name](L, L.from_numpy(x.copy()))
        outs.append(out.detach().to(L.float64).numpy())
        assert str(out.dtype).endswith("float32" if name != "lstm_proj" else "bfloat16")
    np.testing.assert_allclose(outs[1], outs[0], rtol=1e-1, atol=1e-1)
