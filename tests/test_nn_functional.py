"""nn.functional against torch: activations (values and grads, at kinks too), linear, softmax
family, dropout streams, embeddings, padding, distances."""

import warnings

import numpy as np
import pytest

import ember
import ember.nn  # noqa: F401
from oracle import arr, check, check_error, requires_torch, torch

X = arr((3, 5))
KINKS = np.array([[-3.0, -1.0, -0.5, 0.0, 0.5], [1.0, 3.0, 6.0, -6.0, 20.0],
                  [-20.0, 2.0, -2.0, 1e-3, -1e-3]], np.float32)

ACTIVATIONS = [
    ("relu", {}), ("relu6", {}), ("leaky_relu", {}), ("leaky_relu", {"negative_slope": 0.2}),
    ("elu", {}), ("elu", {"alpha": 0.5}), ("selu", {}), ("celu", {"alpha": 1.5}),
    ("gelu", {}), ("gelu", {"approximate": "tanh"}), ("silu", {}), ("mish", {}),
    ("sigmoid", {}), ("tanh", {}), ("hardtanh", {}), ("hardtanh", {"min_val": -0.5,
                                                                    "max_val": 2.0}),
    ("hardsigmoid", {}), ("hardswish", {}), ("softplus", {}),
    ("softplus", {"beta": 2.0, "threshold": 1.0}), ("softsign", {}), ("tanhshrink", {}),
    ("threshold", {"threshold": 0.5, "value": -1.0}), ("logsigmoid", {}), ("hardshrink", {}),
    ("softshrink", {"lambd": 1.0}),
]


@requires_torch
@pytest.mark.parametrize("name,kw", ACTIVATIONS, ids=lambda v: str(v))
@pytest.mark.parametrize("x", [X, KINKS], ids=["random", "kinks"])
def test_activation(name, kw, x):
    check(lambda L, t: getattr(L.nn.functional, name)(t, **kw), x)


@requires_torch
@pytest.mark.parametrize("name,kw", [("relu", {}), ("elu", {}), ("leaky_relu", {}),
                                     ("hardtanh", {}), ("silu", {}), ("selu", {})])
def test_activation_inplace(name, kw):
    def fn(L, t):
        y = t * 1.0
        return getattr(L.nn.functional, name)(y, inplace=True, **kw) * 2
    check(fn, X)


@requires_torch
def test_activation_double_backward():
    def fn(L, t):
        y = L.nn.functional.gelu(t).sum()
        (g,) = L.autograd.grad(y, t, create_graph=True)
        return g
    check(fn, X)


@requires_torch
def test_prelu_and_glu():
    check(lambda L, x, w: L.nn.functional.prelu(x, w), arr((2, 3, 4)), arr((3,), seed=1))
    check(lambda L, x, w: L.nn.functional.prelu(x, w), arr((2, 3)), arr((1,), seed=1))
    check(lambda L, x: L.nn.functional.glu(x, 1), arr((2, 6, 3)))
    check_error(lambda L, x: L.nn.functional.glu(x), arr((2, 5)))


@requires_torch
@pytest.mark.parametrize("fn", ["softmax", "log_softmax", "softmin"])
@pytest.mark.parametrize("dim", [0, 1, -1])
def test_softmax_family(fn, dim):
    check(lambda L, x: getattr(L.nn.functional, fn)(x, dim=dim), arr((3, 4, 5)))


@requires_torch
def test_softmax_stable_and_methods():
    big = np.array([[1e4, -1e4, 0.0], [-1e4, -1e4, 1e4]], np.float32)
    check(lambda L, x: L.nn.functional.log_softmax(x, 1), big)
    check(lambda L, x: L.nn.functional.softmax(x, 1), big)
    check(lambda L, x: x.softmax(0) + x.log_softmax(-1), arr((3, 4)))
    check(lambda L, x: L.nn.functional.softmax(x, 1, dtype=L.float64), arr((3, 4)))
    with pytest.warns(UserWarning, match="Implicit dimension choice for softmax"):
        ember.nn.functional.softmax(ember.ones(2, 3))


@requires_torch
def test_softmax_double_backward():
    def fn(L, x):
        y = (L.nn.functional.log_softmax(x, 1) * x).sum()
        (g,) = L.autograd.grad(y, x, create_graph=True)
        return g
    check(fn, arr((3, 4)))


@requires_torch
@pytest.mark.parametrize("xshape", [(4, 3), (3,), (2, 4, 3)])
@pytest.mark.parametrize("bias", [True, False])
def test_linear(xshape, bias):
    args = [arr(xshape), arr((5, 3), seed=1)] + ([arr((5,), seed=2)] if bias else [])
    check(lambda L, *a: L.nn.functional.linear(*a), *args)


def test_linear_grad_fn_names():
    x = ember.randn(4, 3, requires_grad=True)
    w = ember.randn(5, 3, requires_grad=True)
    b = ember.randn(5, requires_grad=True)
    F = ember.nn.functional
    assert F.linear(x, w, b).grad_fn.name() == "AddmmBackward0"
    assert F.linear(x, w).grad_fn.name() == "MmBackward0"


@requires_torch
def test_linear_errors():
    check_error(lambda L, x, w: L.nn.functional.linear(x, w), arr((64, 100)), arr((128, 784)))
    check_error(lambda L, x, w: L.nn.functional.linear(x, w), arr((100,)), arr((128, 784)))
    check_error(lambda L, x, w: L.nn.functional.linear(x, w), arr((2, 3), "int64"),
                arr((2, 3)))
    check_error(lambda L, x, w: L.nn.functional.linear(x, w), arr((64, 1, 28, 28)),
                arr((10, 784)))


@requires_torch
def test_linear_double_backward():
    def fn(L, x, w):
        y = (L.nn.functional.linear(x, w) ** 2).sum()
        gx, gw = L.autograd.grad(y, (x, w), create_graph=True)
        return gx, gw
    check(fn, arr((4, 3)), arr((2, 3), seed=1))


@requires_torch
def test_bilinear():
    check(lambda L, a, b, w, c: L.nn.functional.bilinear(a, b, w, c), arr((4, 3)),
          arr((4, 2), seed=1), arr((5, 3, 2), seed=2), arr((5,), seed=3))


@requires_torch
@pytest.mark.parametrize("p", [0.0, 0.3, 0.5, 1.0])
def test_dropout_stream(p):
    def fn(L, x):
        L.manual_seed(7)
        return L.nn.functional.dropout(x, p) * 3
    check(fn, arr((6, 50)))


@requires_torch
def test_dropout_variants():
    def fn(L, x):
        L.manual_seed(3)
        F = L.nn.functional
        return (F.dropout(x, 0.2, training=False), F.alpha_dropout(x, 0.2, training=True),
                F.dropout2d(x.reshape(2, 3, 5, 4), 0.4).sum(), F.dropout1d(x[:5], 0.5))
    check(fn, arr((6, 20)))
    check_error(lambda L, x: L.nn.functional.dropout(x, 1.5), arr((2,)))


@requires_torch
def test_dropout_inplace():
    def fn(L, x):
        L.manual_seed(1)
        y = x * 1.0
        L.nn.functional.dropout(y, 0.5, inplace=True)
        return y
    check(fn, arr((4, 10)))


@requires_torch
def test_embedding():
    idx = np.array([[1, 2, 4], [4, 3, 1]], np.int64)
    check(lambda L, w, i: L.nn.functional.embedding(i, w), arr((6, 3)), idx)
    check(lambda L, w, i: L.nn.functional.embedding(i, w, padding_idx=4), arr((6, 3)), idx)
    check(lambda L, w, i: L.nn.functional.embedding(i, w, scale_grad_by_freq=True),
          arr((6, 3)), idx)

    def renorm(L, w, i):
        w2 = w.detach().clone()
        out = L.nn.functional.embedding(i, w2, max_norm=1.0)
        return out, w2
    check(renorm, arr((6, 3)), idx, grad=False)


@requires_torch
@pytest.mark.parametrize("mode", ["sum", "mean", "max"])
def test_embedding_bag(mode):
    idx = np.array([1, 2, 4, 5, 4, 3, 2, 0], np.int64)
    off = np.array([0, 2, 2, 5], np.int64)
    check(lambda L, w, i, o: L.nn.functional.embedding_bag(i, w, o, mode=mode), arr((6, 3)),
          idx, off)
    check(lambda L, w, i: L.nn.functional.embedding_bag(i, w, mode=mode), arr((6, 3)),
          idx.reshape(2, 4))


def test_embedding_bag_max_gradient_goes_to_the_first_maximum():
    """Tied rows in a bag: the whole gradient goes to the first maximum in bag order (torch's
    max_indices), not shared between them (amax's rule), a repeated row once."""
    w = np.array([[1, 2, 3], [1, 0, 3], [5, 2, 1], [0, 0, 0]], np.float32)
    g = np.array([[1.0, 10.0, 100.0]], np.float32)
    for bag, want in [([0, 1], [[1, 10, 100], [0, 0, 0]]), ([1, 0], [[0, 10, 0], [1, 0, 100]]),
                      ([0, 0, 1], [[1, 10, 100], [0, 0, 0]])]:
        t = ember.tensor(w, requires_grad=True)
        ember.nn.functional.embedding_bag(ember.tensor([bag]), t, mode="max").backward(
            ember.tensor(g))
        np.testing.assert_array_equal(t.grad.numpy()[:2], np.array(want, np.float32))
    t = ember.tensor(w, requires_grad=True)
    ember.nn.functional.embedding_bag(ember.tensor([[2, 0, 1]]), t, mode="max").backward(
        ember.tensor(g))
    np.testing.assert_array_equal(t.grad.numpy()[[0, 2]], [[0, 0, 100], [1, 10, 0]])
    tied = np.repeat(np.arange(4, dtype=np.float32)[:, None], 3, 1)[[0, 2, 2, 1, 3, 3]]
    check(lambda L, w, i, o: L.nn.functional.embedding_bag(i, w, o, mode="max"), tied,
          np.array([1, 2, 4, 5, 0, 3], np.int64), np.array([0, 3], np.int64))


@requires_torch
def test_embedding_bag_weights_and_padding():
    idx = np.array([1, 2, 4, 5, 4, 3], np.int64)
    off = np.array([0, 2, 4], np.int64)
    check(lambda L, w, i, o, p: L.nn.functional.embedding_bag(
        i, w, o, mode="sum", per_sample_weights=p), arr((6, 3)), idx, off, arr((6,), seed=3))
    check(lambda L, w, i, o: L.nn.functional.embedding_bag(i, w, o, padding_idx=4),
          arr((6, 3)), idx, off)
    check(lambda L, w, i, o: L.nn.functional.embedding_bag(i, w, o, include_last_offset=True),
          arr((6, 3)), idx, np.array([0, 2, 6], np.int64))


@requires_torch
def test_layer_norm():
    check(lambda L, x: L.nn.functional.layer_norm(x, (5,)), arr((3, 5)))
    check(lambda L, x, w, b: L.nn.functional.layer_norm(x, (4, 5), w, b, 1e-3),
          arr((2, 4, 5)), arr((4, 5), seed=1), arr((4, 5), seed=2))


@requires_torch
def test_normalize_and_distances():
    check(lambda L, x: L.nn.functional.normalize(x), arr((3, 4)))
    check(lambda L, x: L.nn.functional.normalize(x, p=1.0, dim=0), arr((3, 4)))
    check(lambda L, a, b: L.nn.functional.cosine_similarity(a, b), arr((3, 4)),
          arr((3, 4), seed=1))
    check(lambda L, a, b: L.nn.functional.cosine_similarity(a, b, dim=0), arr((3, 4)),
          arr((1, 4), seed=1))
    check(lambda L, a, b: L.nn.functional.pairwise_distance(a, b), arr((3, 4)),
          arr((3, 4), seed=1))
    check(lambda L, a, b: L.nn.functional.pairwise_distance(a, b, p=1.0, keepdim=True),
          arr((3, 4)), arr((3, 4), seed=1))


@requires_torch
def test_one_hot():
    check(lambda L, t: L.nn.functional.one_hot(t), np.array([0, 3, 1], np.int64))
    check(lambda L, t: L.nn.functional.one_hot(t, 5), np.array([[0, 3], [1, 4]], np.int64))
    check_error(lambda L, t: L.nn.functional.one_hot(t, 2), np.array([0, 3], np.int64))
    check_error(lambda L, t: L.nn.functional.one_hot(t), np.array([0, 3], np.int32))


@requires_torch
@pytest.mark.parametrize("mode", ["constant", "reflect", "replicate", "circular"])
def test_pad(mode):
    check(lambda L, x: L.nn.functional.pad(x, (1, 2), mode=mode), arr((2, 3, 4)))
    check(lambda L, x: L.nn.functional.pad(x, (1, 2, 2, 1), mode=mode), arr((1, 2, 3, 4)))


@requires_torch
def test_pad_constant_options():
    check(lambda L, x: L.nn.functional.pad(x, (1, 1, 0, 2), value=2.5), arr((3, 4)))
    check(lambda L, x: L.nn.functional.pad(x, (-1, 2)), arr((3, 4)))
    check(lambda L, x: L.nn.functional.pad(x, (1, 1, 1, 1, 1, 1)), arr((2, 3, 4)))


@requires_torch
def test_linear_dtype_errors():
    check_error(lambda L, x, w, b: L.nn.functional.linear(x, w, b), arr((2, 3), "int64"),
                arr((2, 3)), arr((2,)))
    check_error(lambda L, x, w, b: L.nn.functional.linear(x, w, b), arr((2, 3)),
                arr((2, 3)), arr((2,), "float64"))


def test_dropout2d_of_a_3d_input_is_batched_1d():
    """torch's dropout2d reads a 3-d input as a batch (N, C, L) of channel-wise 1-d dropout, with
    its warning (ember took it as one (C, H, W) image: other masks from the same draws); the
    warning comes in eval mode too."""
    ember.manual_seed(0)
    with pytest.warns(UserWarning, match="Received a 3D input to dropout2d and assuming that "
                                         "channel-wise 1D dropout"):
        y = ember.nn.functional.dropout2d(ember.ones(3, 4, 5), 0.5, True)
    mask = y[:, :, 0].numpy()
    assert (y.numpy() == mask[:, :, None]).all()  # one draw per (n, c), shared along L
    ember.manual_seed(0)
    draws = ember.empty(3, 4, 1).bernoulli_(0.5).numpy()[:, :, 0] * 2
    np.testing.assert_array_equal(mask, draws)
    with pytest.warns(UserWarning, match="Received a 3D input to dropout2d"):
        ember.nn.Dropout2d().eval()(ember.ones(3, 4, 5))
    if torch is not None:
        torch.manual_seed(0)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            t = torch.nn.functional.dropout2d(torch.ones(3, 4, 5), 0.5, True)
        np.testing.assert_array_equal(y.numpy(), t.numpy())


@pytest.mark.filterwarnings("ignore:dropout3d")
@pytest.mark.parametrize("shape", [(2, 3, 4), (2, 3), (5, 2, 3, 4), (3, 2, 2, 2, 2)])
@pytest.mark.parametrize("inplace", [False, True])
def test_dropout3d_takes_any_but_5d_as_unbatched(shape, inplace):
    """torch's dropout3d unsqueezes every input but a 5-d one: a 3-d (C, H, W) input drops whole
    x[i] slices (ember drew one mask per (dim 0, dim 1) pair)."""
    def run(L):
        L.manual_seed(0)
        x = L.ones(shape)
        r = L.nn.functional.dropout3d(x, 0.5, inplace=inplace)
        return (x if inplace else r).numpy()
    got = run(ember)
    if len(shape) in (2, 3, 4):  # one keep/drop per x[i]: each slice all 0 or all 2
        flat = got.reshape(shape[0], -1)
        assert all(len(set(row.tolist())) == 1 for row in flat)
    if torch is not None:
        np.testing.assert_array_equal(got, run(torch))


@pytest.mark.parametrize("hard", [False, True])
def test_gumbel_softmax(hard):
    """F.gumbel_softmax (ember refused it): torch's Gumbel draws (-log of exponential_ on its
    stream), the soft sample, or the hard one-hot with the soft sample's gradient."""
    def run(L):
        L.manual_seed(3)
        x = L.tensor(np.arange(12.0).reshape(3, 4) / 5, requires_grad=True)
        y = L.nn.functional.gumbel_softmax(x, tau=0.7, hard=hard)
        (y * L.arange(4.0)).sum().backward()
        return y.detach().numpy(), x.grad.numpy(), L.rand(2).numpy()
    y, g, after = run(ember)
    np.testing.assert_allclose(y.sum(-1), 1.0, rtol=1e-12)
    if hard:
        assert set(np.unique(y)) <= {0.0, 1.0} and (y.sum(-1) == 1).all()
    assert np.isfinite(g).all() and np.abs(g).sum() > 0
    if torch is not None:
        ty, tg, tafter = run(torch)
        np.testing.assert_allclose(y, ty, rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose(g, tg, rtol=1e-9, atol=1e-12)
        np.testing.assert_array_equal(after, tafter)  # the same draws were taken


def test_top_level_and_in_place_activations():
    """torch.selu/celu/rrelu/threshold/hardshrink/prelu at the top level and F.selu_/celu_
    (ember refused them)."""
    x = np.array([-1.0, 0.5, 2.0], np.float32)

    def run(L):
        t = L.tensor(x)
        outs = [L.selu(t), L.celu(t, 0.5), L.threshold(t, 0.6, -9.0), L.hardshrink(t, 0.7),
                L.prelu(t, L.tensor([0.25]))]
        for f, args in ((L.selu_, ()), (L.celu_, ()), (L.nn.functional.selu_, ()),
                        (L.nn.functional.celu_, (2.0,)), (L.threshold_, (0.6, 0.0))):
            y = t.clone()
            f(y, *args)
            outs.append(y)
        return [o.numpy() for o in outs]
    got = run(ember)
    np.testing.assert_allclose(got[0], ember.nn.functional.selu(ember.tensor(x)).numpy())
    np.testing.assert_array_equal(got[2], np.array([-9.0, -9.0, 2.0], np.float32))
    if torch is not None:
        for a, b in zip(got, run(torch)):
            np.testing.assert_array_equal(a, b)
