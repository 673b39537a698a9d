"""Forward-mode AD coverage: every ember.nn.functional function (and ember.linalg / ember.fft and
a few tensor ops) under a dual level, against torch.

Each case runs in both frameworks with the same arrays and seeded tangents: where torch raises
(its missing-forward-derivative NotImplementedError, or any other error), ember must raise the
same type and text; otherwise the primals and tangents must match. `test_every_function_listed`
fails when a new nn.functional function has no row, so a regression cannot hide.
"""

import inspect

import numpy as np
import pytest

import ember
from oracle import assert_same, torch

_R = np.random.default_rng(3)


def _u(*shape, low=-1.5, high=1.5):
    return _R.uniform(low, high, shape).astype(np.float32)


def _p(*shape):  # in (0.05, 0.95): probabilities
    return _R.uniform(0.05, 0.95, shape).astype(np.float32)


A1, A2, A3 = _u(2, 3, 7), _u(2, 3, 6, 6), _u(2, 3, 4, 4, 4)
M = _u(3, 4)
M2 = _u(3, 4)
P, P2 = _p(3, 4), _p(3, 4)
SPD = (lambda a: (a @ a.T + 4 * np.eye(4)).astype(np.float32))(_u(4, 4))
SQ = _u(4, 4)
SEQ = _u(5, 2, 3)  # (seq, batch, features)
LBL = np.array([1, 0, 3], np.int64)
SIGNS = np.array([1.0, -1.0, 1.0], np.float32)


def F(L):
    return L.nn.functional


def _seeded(fn):
    def run(L, *a):
        L.manual_seed(0)
        return fn(L, *a)
    return run


def _fp(L, a, cls, *args):  # fractional max pooling with fixed samples (as a float input)
    return getattr(F(L), cls)(a, *args, _random_samples=L.full((2, 3, a.dim() - 2), 0.4))


def _mha(L, q):
    e = 6
    w = L.from_numpy(np.linspace(-1, 1, 3 * e * e, dtype=np.float32).reshape(3 * e, e))
    b = L.from_numpy(np.linspace(-0.5, 0.5, 3 * e, dtype=np.float32))
    ow = L.from_numpy(np.linspace(1, -1, e * e, dtype=np.float32).reshape(e, e))
    return F(L).multi_head_attention_forward(q, q, q, e, 2, w, b, None, None, False, 0.0, ow,
                                             None, training=False)


def _ctc(L, a):
    lp = a.reshape(7, 2, 3).log_softmax(2)
    return F(L).ctc_loss(lp, L.tensor([[1, 2], [1, 1]]), L.tensor([7, 7]), L.tensor([2, 2]))


# name: [(fn(L, *inputs), inputs), ...]; float arrays become duals with seeded tangents
FUNCTIONAL = {
    "adaptive_avg_pool1d": [(lambda L, a: F(L).adaptive_avg_pool1d(a, 3), [A1])],
    "adaptive_avg_pool2d": [(lambda L, a: F(L).adaptive_avg_pool2d(a, (4, 3)), [A2])],
    "adaptive_avg_pool3d": [(lambda L, a: F(L).adaptive_avg_pool3d(a, 3), [A3])],
    "adaptive_max_pool1d": [(lambda L, a: F(L).adaptive_max_pool1d(a, 3), [A1])],
    "adaptive_max_pool1d_with_indices": [
        (lambda L, a: F(L).adaptive_max_pool1d_with_indices(a, 3), [A1])],
    "adaptive_max_pool2d": [(lambda L, a: F(L).adaptive_max_pool2d(a, 4), [A2])],
    "adaptive_max_pool2d_with_indices": [
        (lambda L, a: F(L).adaptive_max_pool2d_with_indices(a, 4), [A2])],
    "adaptive_max_pool3d": [(lambda L, a: F(L).adaptive_max_pool3d(a, 3), [A3])],
    "adaptive_max_pool3d_with_indices": [
        (lambda L, a: F(L).adaptive_max_pool3d_with_indices(a, 3), [A3])],
    "affine_grid": [(lambda L, t: F(L).affine_grid(t, [2, 3, 4, 5], align_corners=False),
                     [_u(2, 2, 3)])],
    "alpha_dropout": [(_seeded(lambda L, a: F(L).alpha_dropout(a, 0.3, True)), [M])],
    "avg_pool1d": [(lambda L, a: F(L).avg_pool1d(a, 3, 2, 1), [A1])],
    "avg_pool2d": [(lambda L, a: F(L).avg_pool2d(a, 3, 2, 1, ceil_mode=True,
                                                 count_include_pad=False), [A2])],
    "avg_pool3d": [(lambda L, a: F(L).avg_pool3d(a, 2, divisor_override=3), [A3])],
    "batch_norm": [(lambda L, a, w, b: F(L).batch_norm(a, None, None, w, b, True), [A2, _u(3),
                                                                                    _u(3)])],
    "bilinear": [(lambda L, a, b, w: F(L).bilinear(a, b, w), [M, M2, _u(2, 4, 4)])],
    "binary_cross_entropy": [
        (lambda L, p, y: F(L).binary_cross_entropy(p, y), [P, P2]),
        (lambda L, p, y: F(L).binary_cross_entropy(p, y, L.from_numpy(P), reduction="none"),
         [P, P2]),
        (lambda L, p, w: F(L).binary_cross_entropy(p.detach(), L.from_numpy(P2), w), [P, P2])],
    "binary_cross_entropy_with_logits": [
        (lambda L, a, y: F(L).binary_cross_entropy_with_logits(a, y), [M, P2]),
        (lambda L, a, y: F(L).binary_cross_entropy_with_logits(
            a, y, L.from_numpy(P), reduction="sum", pos_weight=L.from_numpy(P2[0])), [M, P2]),
        (lambda L, a, w: F(L).binary_cross_entropy_with_logits(a.detach(), L.from_numpy(P2), w,
                                                               pos_weight=w[0]), [M, P])],
    "celu": [(lambda L, a: F(L).celu(a, 0.7), [M])],
    "celu_": [(lambda L, a: F(L).celu_(a * 1, 0.7), [M])],
    "conv1d": [(lambda L, a, w, b: F(L).conv1d(a, w, b, 2, 1, 2), [A1, _u(4, 3, 2), _u(4)])],
    "conv2d": [(lambda L, a, w: F(L).conv2d(a, w, groups=3, padding="same"),
                [A2, _u(6, 1, 3, 3)])],
    "conv3d": [(lambda L, a, w, b: F(L).conv3d(a, w, b, padding=1), [A3, _u(2, 3, 2, 2, 2),
                                                                     _u(2)])],
    "conv_transpose1d": [(lambda L, a, w, b: F(L).conv_transpose1d(a, w, b, 2, 1, 1),
                          [A1, _u(3, 2, 3), _u(2)])],
    "conv_transpose2d": [(lambda L, a, w: F(L).conv_transpose2d(a, w, stride=2, groups=3),
                          [A2, _u(3, 1, 2, 2)])],
    "conv_transpose3d": [(lambda L, a, w, b: F(L).conv_transpose3d(a, w, b, dilation=2),
                          [A3, _u(3, 2, 2, 2, 2), _u(2)])],
    "cosine_embedding_loss": [
        (lambda L, a, b, y: F(L).cosine_embedding_loss(a, b, y, 0.1), [M, M2, SIGNS])],
    "cosine_similarity": [(lambda L, a, b: F(L).cosine_similarity(a, b), [M, M2])],
    "cross_entropy": [(lambda L, a, p: F(L).cross_entropy(a, p.softmax(1)), [M, P])],
    "ctc_loss": [(_ctc, [_u(7, 6)])],
    "dropout": [(_seeded(lambda L, a: F(L).dropout(a, 0.4)), [M])],
    "dropout1d": [(_seeded(lambda L, a: F(L).dropout1d(a, 0.4)), [A1])],
    "dropout2d": [(_seeded(lambda L, a: F(L).dropout2d(a, 0.4)), [A2])],
    "dropout3d": [(_seeded(lambda L, a: F(L).dropout3d(a, 0.4)), [A3])],
    "elu": [(lambda L, a: F(L).elu(a, 0.5), [M])],
    "elu_": [(lambda L, a: F(L).elu_(a * 1), [M])],
    "gumbel_softmax": [(_seeded(lambda L, a: F(L).gumbel_softmax(a, 0.5)), [M]),
                       (_seeded(lambda L, a: F(L).gumbel_softmax(a, hard=True)), [M])],
    "embedding": [(lambda L, w: F(L).embedding(L.tensor([[0, 2], [3, 2]]), w), [M])],
    "embedding_bag": [
        (lambda L, w: F(L).embedding_bag(L.tensor([0, 2, 1, 2]), w, L.tensor([0, 1]),
                                         mode="mean"), [M]),
        (lambda L, w, s: F(L).embedding_bag(L.tensor([[0, 2], [1, 2]]), w, mode="sum",
                                            per_sample_weights=s), [M, _u(2, 2)]),
        (lambda L, w: F(L).embedding_bag(L.tensor([[0, 2], [1, 2]]), w, mode="max"), [M]),
        (lambda L, s: F(L).embedding_bag(L.tensor([[0, 2], [1, 2]]), L.from_numpy(M), mode="sum",
                                         per_sample_weights=s), [_u(2, 2)])],
    "feature_alpha_dropout": [(_seeded(lambda L, a: F(L).feature_alpha_dropout(a, 0.3)), [A2])],
    "fold": [(lambda L, a: F(L).fold(a, (4, 5), 2), [_u(2, 8, 12)])],
    "fractional_max_pool2d": [(lambda L, a: _fp(L, a, "fractional_max_pool2d", 2, (3, 3)),
                               [A2])],
    "fractional_max_pool2d_with_indices": [
        (lambda L, a: _fp(L, a, "fractional_max_pool2d_with_indices", 2, (3, 3)), [A2])],
    "fractional_max_pool3d": [(lambda L, a: _fp(L, a, "fractional_max_pool3d", 2, 2), [A3])],
    "fractional_max_pool3d_with_indices": [
        (lambda L, a: _fp(L, a, "fractional_max_pool3d_with_indices", 2, 2), [A3])],
    "gaussian_nll_loss": [(lambda L, a, y, v: F(L).gaussian_nll_loss(a, y, v), [M, M2, P])],
    "gelu": [(lambda L, a: F(L).gelu(a), [M])],
    "glu": [(lambda L, a: F(L).glu(a, 1), [M])],
    "grid_sample": [
        (lambda L, a, g: F(L).grid_sample(a, g, align_corners=False), [A2, _u(2, 3, 4, 2)]),
        (lambda L, a, g: F(L).grid_sample(a, g, "nearest", "border", True),
         [A2, _u(2, 3, 4, 2)]),
        (lambda L, a, g: F(L).grid_sample(a, g, "bilinear", "reflection", False),
         [A3, _u(2, 2, 3, 2, 3)])],
    "group_norm": [(lambda L, a, w, b: F(L).group_norm(a, 3, w, b), [_u(2, 6, 5), _u(6),
                                                                     _u(6)])],
    "hardshrink": [(lambda L, a: F(L).hardshrink(a, 0.3), [M])],
    "hardsigmoid": [(lambda L, a: F(L).hardsigmoid(a * 4), [M])],
    "hardswish": [(lambda L, a: F(L).hardswish(a * 4), [M])],
    "hardtanh": [(lambda L, a: F(L).hardtanh(a, -0.5, 0.5), [M])],
    "hardtanh_": [(lambda L, a: F(L).hardtanh_(a * 1), [M])],
    "hinge_embedding_loss": [(lambda L, a, y: F(L).hinge_embedding_loss(a, y, 0.5),
                              [M[0, :3].copy(), SIGNS])],
    "huber_loss": [(lambda L, a, b: F(L).huber_loss(a, b, delta=0.5), [M, M2])],
    "instance_norm": [
        (lambda L, a, w, b: F(L).instance_norm(a, weight=w, bias=b), [A1, _u(3), _u(3)])],
    "interpolate": [
        (lambda L, a: F(L).interpolate(a, scale_factor=2), [A1]),
        (lambda L, a: F(L).interpolate(a, size=5, mode="linear"), [A1]),
        (lambda L, a: F(L).interpolate(a, size=(4, 9), mode="bilinear", align_corners=True),
         [A2]),
        (lambda L, a: F(L).interpolate(a, scale_factor=1.5, mode="bicubic"), [A2]),
        (lambda L, a: F(L).interpolate(a, size=(3, 5), mode="nearest-exact"), [A2]),
        (lambda L, a: F(L).interpolate(a, size=3, mode="area"), [A2]),
        (lambda L, a: F(L).interpolate(a, scale_factor=2, mode="trilinear"), [A3]),
        (lambda L, a: F(L).interpolate(a, size=(5, 3, 6), mode="nearest"), [A3])],
    "kl_div": [(lambda L, a, b: F(L).kl_div(a, b, reduction="batchmean"), [M, P]),
               (lambda L, a, b: F(L).kl_div(a, b, log_target=True), [M, M2])],
    "l1_loss": [(lambda L, a, b: F(L).l1_loss(a, b), [M, M2])],
    "layer_norm": [(lambda L, a, w: F(L).layer_norm(a, (4,), w), [M, _u(4)])],
    "leaky_relu": [(lambda L, a: F(L).leaky_relu(a, 0.2), [M])],
    "leaky_relu_": [(lambda L, a: F(L).leaky_relu_(a * 1), [M])],
    "linear": [(lambda L, a, w, b: F(L).linear(a, w, b), [M, M2, _u(3)])],
    "local_response_norm": [(lambda L, a: F(L).local_response_norm(a, 2), [A2]),
                            (lambda L, a: F(L).local_response_norm(a, 3), [A1])],
    "log_softmax": [(lambda L, a: F(L).log_softmax(a, 1), [M])],
    "logsigmoid": [(lambda L, a: F(L).logsigmoid(a), [M])],
    "lp_pool1d": [(lambda L, a: F(L).lp_pool1d(a + 2, 2, 3), [A1])],
    "lp_pool2d": [(lambda L, a: F(L).lp_pool2d(a + 2, 3, 2), [A2])],
    "lp_pool3d": [(lambda L, a: F(L).lp_pool3d(a + 2, 2, 2), [A3])],
    "margin_ranking_loss": [(lambda L, a, b, y: F(L).margin_ranking_loss(a, b, y, 0.2),
                             [M[0, :3].copy(), M2[0, :3].copy(), SIGNS])],
    "max_pool1d": [(lambda L, a: F(L).max_pool1d(a, 3, 2, 1), [A1])],
    "max_pool1d_with_indices": [(lambda L, a: F(L).max_pool1d_with_indices(a, 2), [A1])],
    "max_pool2d": [(lambda L, a: F(L).max_pool2d(a, 3, 2, 1, 2, ceil_mode=True), [A2])],
    "max_pool2d_with_indices": [(lambda L, a: F(L).max_pool2d_with_indices(a, 2), [A2])],
    "max_pool3d": [(lambda L, a: F(L).max_pool3d(a, 2, 1), [A3])],
    "max_pool3d_with_indices": [(lambda L, a: F(L).max_pool3d_with_indices(a, 2), [A3])],
    "max_unpool1d": [(lambda L, a: F(L).max_unpool1d(*F(L).max_pool1d(a, 2, return_indices=True),
                                                     2), [A1])],
    "max_unpool2d": [(lambda L, a: F(L).max_unpool2d(*F(L).max_pool2d(a, 2, return_indices=True),
                                                     2), [A2])],
    "max_unpool3d": [(lambda L, a: F(L).max_unpool3d(*F(L).max_pool3d(a, 2, return_indices=True),
                                                     2), [A3])],
    "mish": [(lambda L, a: F(L).mish(a), [M])],
    "mse_loss": [(lambda L, a, b: F(L).mse_loss(a, b), [M, M2])],
    "multi_head_attention_forward": [(_mha, [_u(4, 2, 6)])],
    "multi_margin_loss": [(lambda L, a: F(L).multi_margin_loss(a, L.tensor(LBL)), [M])],
    "multilabel_margin_loss": [
        (lambda L, a: F(L).multilabel_margin_loss(a, L.tensor([[1, 2, -1, 0]] * 3)), [M])],
    "multilabel_soft_margin_loss": [
        (lambda L, a, w: F(L).multilabel_soft_margin_loss(a, (M2 > 0).astype(np.float32)
                                                          if False else L.ones(3, 4) * 0.5, w),
         [M, _u(4)])],
    "nll_loss": [(lambda L, a: F(L).nll_loss(a, L.tensor(LBL), ignore_index=0), [M])],
    "normalize": [(lambda L, a: F(L).normalize(a, 3.0, 0), [M])],
    "one_hot": [(lambda L: F(L).one_hot(L.tensor([1, 0]), 3), [])],
    "pad": [(lambda L, a: F(L).pad(a, (1, 2), value=0.5), [A1]),
            (lambda L, a: F(L).pad(a, (2, 1), "reflect"), [A1]),
            (lambda L, a: F(L).pad(a, (1, 2, 2, 1), "replicate"), [A2]),
            (lambda L, a: F(L).pad(a, (1, 1, 1, 2, 0, 1), "circular"), [A3]),
            (lambda L, a: F(L).pad(a, (1, 1, 2, 2), "reflect"), [A2]),
            (lambda L, a: F(L).pad(a, (1, 0, 1, 1, 2, 1), "replicate"), [A3])],
    "pairwise_distance": [(lambda L, a, b: F(L).pairwise_distance(a, b), [M, M2])],
    "pdist": [(lambda L, a: F(L).pdist(a, 3), [M])],
    "upsample_bilinear": [(lambda L, a: F(L).upsample_bilinear(a, scale_factor=2),
                           [_u(1, 2, 3, 3)])],
    "upsample_nearest": [(lambda L, a: F(L).upsample_nearest(a, size=5), [_u(1, 2, 3, 3)])],
    "channel_shuffle": [(lambda L, a: F(L).channel_shuffle(a, 2), [_u(1, 4, 2, 3)])],
    "pixel_shuffle": [(lambda L, a: F(L).pixel_shuffle(a, 2), [_u(1, 8, 2, 3)])],
    "pixel_unshuffle": [(lambda L, a: F(L).pixel_unshuffle(a, 2), [_u(1, 2, 4, 6)])],
    "poisson_nll_loss": [(lambda L, a, b: F(L).poisson_nll_loss(a, b), [M, P]),
                         (lambda L, a, b: F(L).poisson_nll_loss(a, b * 3, False, True), [P, P2])],
    "prelu": [(lambda L, a, w: F(L).prelu(a, w), [A2, _u(3)])],
    "relu": [(lambda L, a: F(L).relu(a), [M])],
    "relu6": [(lambda L, a: F(L).relu6(a * 5), [M])],
    "relu_": [(lambda L, a: F(L).relu_(a * 1), [M])],
    "rms_norm": [(lambda L, a, w: F(L).rms_norm(a, (4,), w), [M, _u(4)])],
    "rrelu": [(_seeded(lambda L, a: F(L).rrelu(a, training=True)), [M])],
    "rrelu_": [(_seeded(lambda L, a: F(L).rrelu_(a * 1, training=True)), [M]),
               (lambda L, a: F(L).rrelu_(a * 1), [M])],
    "scaled_dot_product_attention": [
        (lambda L, q, k, v: F(L).scaled_dot_product_attention(q, k, v, is_causal=True),
         [_u(2, 3, 4), _u(2, 3, 4), _u(2, 3, 4)])],
    "selu": [(lambda L, a: F(L).selu(a), [M])],
    "selu_": [(lambda L, a: F(L).selu_(a * 1), [M])],
    "sigmoid": [(lambda L, a: F(L).sigmoid(a), [M])],
    "silu": [(lambda L, a: F(L).silu(a), [M])],
    "smooth_l1_loss": [(lambda L, a, b: F(L).smooth_l1_loss(a, b, beta=0.5), [M, M2])],
    "soft_margin_loss": [
        (lambda L, a, y: F(L).soft_margin_loss(a, y), [M[0, :3].copy(), SIGNS]),
        (lambda L, a, y: F(L).soft_margin_loss(a, y.detach()), [M[0, :3].copy(), SIGNS]),
        (lambda L, a, y: F(L).soft_margin_loss(a.detach(), y), [M[0, :3].copy(), SIGNS])],
    "softmax": [(lambda L, a: F(L).softmax(a, 0), [M])],
    "softmin": [(lambda L, a: F(L).softmin(a, 0), [M])],
    "softplus": [(lambda L, a: F(L).softplus(a, 2, 1.0), [M])],
    "softshrink": [(lambda L, a: F(L).softshrink(a, 0.3), [M])],
    "softsign": [(lambda L, a: F(L).softsign(a), [M])],
    "tanh": [(lambda L, a: F(L).tanh(a), [M])],
    "tanhshrink": [(lambda L, a: F(L).tanhshrink(a), [M])],
    "threshold": [(lambda L, a: F(L).threshold(a, 0.1, -1.0), [M])],
    "threshold_": [(lambda L, a: F(L).threshold_(a * 1, 0.1, -1.0), [M])],
    "triplet_margin_loss": [(lambda L, a, p, n: F(L).triplet_margin_loss(a, p, n), [M, M2, P])],
    "triplet_margin_with_distance_loss": [
        (lambda L, a, p, n: F(L).triplet_margin_with_distance_loss(a, p, n, swap=True),
         [M, M2, P])],
    "unfold": [(lambda L, a: F(L).unfold(a, 2, padding=1), [A2])],
    "upsample": [(lambda L, a: F(L).upsample(a, scale_factor=2, mode="bilinear"), [A2])],
}

_IDX = np.array([[0, 1, 2, 0], [2, 0, 1, 1]], np.int64)

# tensor, linalg and fft ops
OPS = {
    "cumprod": [(lambda L, a: a.cumprod(1), [M])],
    "cumprod_zero": [(lambda L, a: (a * L.tensor([1.0, 0.0, 1.0, 1.0])).cumprod(1), [M])],
    "logcumsumexp": [(lambda L, a: a.logcumsumexp(0), [M]),
                     (lambda L, a: (a * 30).logcumsumexp(1), [M])],
    "cummin": [(lambda L, a: a.cummin(1), [M])],
    "inplace": [(lambda L, a, b: (a * 1).zero_() + a, [M, M2]),
                (lambda L, a, b: (a * 1).fill_(2.0) * a, [M, M2]),
                (lambda L, a, b: (a * 1).fill_(b[0, 0]), [M, M2]),
                (lambda L, a, b: (a * 1).copy_(b[0]), [M, M2])],
    "lu_factor": [(lambda L, a: L.linalg.lu_factor(a)[0], [SQ])],
    "solve_triangular": [(lambda L, a, b: L.linalg.solve_triangular(a.triu() + 3 * L.eye(4), b,
                                                                    upper=True), [SQ, SQ])],
    "eigvalsh": [(lambda L, a: L.linalg.eigvalsh(a + a.mT), [SPD])],
    "scatter": [(lambda L, a, s: a.scatter(0, L.tensor(_IDX), s), [M, M2[:2].copy()]),
                (lambda L, a: a.scatter(0, L.tensor(_IDX), 0.5), [M])],
    "scatter_add": [(lambda L, a, s: a.scatter_add(0, L.tensor(_IDX), s), [M, M2[:2].copy()])],
    "scatter_reduce": [
        (lambda L, a, s: a.scatter_reduce(0, L.tensor(_IDX), s, "sum"), [M, M2[:2].copy()]),
        (lambda L, a, s: a.scatter_reduce(0, L.tensor(_IDX), s, "mean"), [M, M2[:2].copy()]),
        (lambda L, a, s: a.scatter_reduce(0, L.tensor(_IDX), s, "amax"), [M, M2[:2].copy()]),
        (lambda L, a, s: a.scatter_reduce(0, L.tensor(_IDX), s, "prod"), [M, M2[:2].copy()])],
    "index_add": [(lambda L, a, s: a.index_add(1, L.tensor([3, 0]), s, alpha=2),
                   [M, M2[:, :2].copy()])],
    "index_copy": [(lambda L, a, s: a.index_copy(1, L.tensor([3, 0]), s), [M, M2[:, :2].copy()])],
    "masked_scatter": [(lambda L, a, s: a.masked_scatter(L.from_numpy(M2 > 0), s), [M, M2])],
    "view_as_real": [(lambda L, a: L.view_as_real(a.to(L.complex64) * 2), [M])],
    "view_as_complex": [
        (lambda L, a: L.view_as_real(L.view_as_complex(a.reshape(3, 2, 2)) * 2), [M])],
    "det": [(lambda L, a: L.linalg.det(a), [SQ])],
    "slogdet": [(lambda L, a: L.linalg.slogdet(a), [SQ])],
    "inv": [(lambda L, a: L.linalg.inv(a), [SQ])],
    "solve": [(lambda L, a, b: L.linalg.solve(a, b), [SQ, M.T.copy()])],
    "cholesky": [(lambda L, a: L.linalg.cholesky(a + a.mT), [SPD])],
    "qr": [(lambda L, a: L.linalg.qr(a), [M.T.copy()])],
    "eigh": [(lambda L, a: (lambda w, v: (w, v.abs()))(*L.linalg.eigh(a + a.mT)), [SPD])],
    "svd": [(lambda L, a: L.linalg.svd(a, full_matrices=False), [M])],
    "svdvals": [(lambda L, a: L.linalg.svdvals(a), [M])],
    "vector_norm": [(lambda L, a: L.linalg.vector_norm(a, 3, 1), [M])],
    "matrix_norm": [(lambda L, a: L.linalg.matrix_norm(a), [M]),
                    (lambda L, a: L.linalg.matrix_norm(a, "nuc"), [M]),
                    (lambda L, a: L.linalg.matrix_norm(a, 2), [M])],
    "norm": [(lambda L, a: L.linalg.norm(a), [M])],
    "fft": [(lambda L, a: L.view_as_real(L.fft.fft(a)), [M])],
    "rfft": [(lambda L, a: L.view_as_real(L.fft.rfft2(a)), [M])],
    "irfft": [(lambda L, a: L.fft.irfft(L.fft.rfft(a), 4), [M])],
    "ifftn": [(lambda L, a: L.view_as_real(L.fft.ifftn(a.to(L.complex64))), [M])],
    "hfft": [(lambda L, a: L.fft.hfft(a.to(L.complex64)), [M])],
    "fftshift": [(lambda L, a: L.fft.fftshift(a), [M])],
}


def _rnn(kind, cell=False, **kw):
    def run(L, x, h):
        L.manual_seed(0)
        feat = x.shape[-1]
        if cell:
            m = getattr(L.nn, kind)(feat, 4, **kw)
            hx = h[0] if kind != "LSTMCell" else (h[0], h[0] * 0.5)
            return m(x[0], hx)
        m = getattr(L.nn, kind)(feat, 4, **kw)
        h0 = h if kind != "LSTM" else (h, h * 0.5)
        return m(x, h0)
    return run


def _packed(L, x, h):
    L.manual_seed(0)
    m = L.nn.RNN(3, 4, bidirectional=False)
    seq = L.nn.utils.rnn.pack_padded_sequence(x, L.tensor([3, 2, 1]))
    out, hn = m(seq, h)
    return L.nn.utils.rnn.pad_packed_sequence(out)[0], hn


RNNS = {
    "RNN": [(_rnn("RNN", num_layers=2), [SEQ, _u(2, 2, 4)])],
    "RNN_relu_bi": [(_rnn("RNN", nonlinearity="relu", bidirectional=True), [SEQ, _u(2, 2, 4)])],
    "LSTM": [(_rnn("LSTM"), [SEQ, _u(1, 2, 4)])],
    "GRU": [(_rnn("GRU", batch_first=True), [SEQ, _u(1, 5, 4)])],
    "GRU_bi": [(_rnn("GRU", bidirectional=True, num_layers=2), [SEQ, _u(4, 2, 4)])],
    "RNN_packed": [(_packed, [_u(3, 3, 3), _u(1, 3, 4)])],
    "RNNCell": [(_rnn("RNNCell", True), [SEQ, _u(1, 2, 4)])],
    "LSTMCell": [(_rnn("LSTMCell", True), [SEQ, _u(1, 2, 4)])],
    "GRUCell": [(_rnn("GRUCell", True), [SEQ, _u(1, 2, 4)])],
}


def _run(L, fn, arrays):
    """(outcome, payload): ("ok", unpacked outputs) or ("err", (type, text))."""
    fw = L.autograd.forward_ad
    try:
        with fw.dual_level():
            ins = []
            for i, a in enumerate(arrays):
                if a.dtype.kind == "f":
                    t = np.random.default_rng(11 + i).standard_normal(a.shape).astype(a.dtype)
                    ins.append(fw.make_dual(L.from_numpy(a.copy()), L.from_numpy(t)))
                else:
                    ins.append(L.from_numpy(a.copy()))
            out = fn(L, *ins)
            outs = out if isinstance(out, (tuple, list)) else (out,)
            flat = []
            for o in outs:
                flat.extend(o if isinstance(o, (tuple, list)) else (o,))
            return "ok", [_dense(L, fw.unpack_dual(o)) for o in flat]
    except Exception as e:  # noqa: BLE001 - the error is what is compared
        return "err", (type(e), str(e))


def _dense(L, u):  # torch's ZeroTensor tangents as zeros
    t = u.tangent
    if t is not None and getattr(t, "_is_zerotensor", lambda: False)():
        u = u._replace(tangent=L.zeros(t.shape, dtype=t.dtype))
    return u


def _compare(fn, arrays):
    e_kind, e = _run(ember, fn, arrays)
    if torch is None:
        pytest.skip("torch (the oracle) is not installed")
    t_kind, t = _run(torch, fn, arrays)
    if t_kind == "err":
        assert e_kind == "err", f"torch raises {t[0].__name__}: {t[1][:200]}"
        assert e[0].__name__ == t[0].__name__ and e[1] == t[1], (e, t)
        return
    assert e_kind == "ok", f"ember raises {e[0].__name__}: {e[1][:300]}"
    assert len(e) == len(t)
    for i, (ue, ut) in enumerate(zip(e, t)):
        assert_same(ue.primal, ut.primal, 1e-4, 1e-5, what=f"primal {i}")
        if ut.tangent is None:
            assert ue.tangent is None, f"output {i}: torch has no tangent"
        else:
            assert ue.tangent is not None, f"output {i}: ember has no tangent"
            assert_same(ue.tangent, ut.tangent, 1e-4, 1e-5, what=f"tangent {i}")


def _cases(table):
    return [pytest.param(fn, arrays, id=f"{name}-{i}") for name, rows in table.items()
            for i, (fn, arrays) in enumerate(rows)]


@pytest.mark.parametrize("fn,arrays", _cases(FUNCTIONAL))
def test_functional(fn, arrays):
    _compare(fn, arrays)


@pytest.mark.parametrize("fn,arrays", _cases(OPS))
def test_ops(fn, arrays):
    _compare(fn, arrays)


@pytest.mark.parametrize("fn,arrays", _cases(RNNS))
def test_recurrent(fn, arrays):
    _compare(fn, arrays)


def test_every_function_listed():
    import ember.nn.functional as EF
    names = {n for n in dir(EF) if not n.startswith("_") and inspect.isfunction(getattr(EF, n))}
    assert sorted(names - set(FUNCTIONAL)) == []


# ---------------------------------------------------------------- every nn layer
def _layer_arrays(specs):
    """test_nn_zero_size's inputs with each zero-size dim made 2 (a real batch)."""
    rng = np.random.default_rng(5)
    out = []
    for spec in specs:
        kind, shape = spec[0], tuple(2 if n == 0 else n for n in spec[1])
        if kind == "f":
            out.append(rng.uniform(-1, 1, shape).astype(np.float32))
        elif kind == "u":
            out.append(rng.uniform(0.1, 0.9, shape).astype(np.float32))
        elif kind == "s":  # +-1 labels (not duals)
            out.append(np.where(rng.random(shape) > 0.5, 1, -1).astype(np.int8))
        else:
            out.append(rng.integers(0, spec[2], shape).astype(np.int64))
    return out


def _layer_case(name):
    import test_nn_zero_size as Z
    specs = Z.LAYERS[name][2] if name in Z.LAYERS else (Z.WRAPPERS.get(name) or Z.LAZY[name])[1]
    arrays = _layer_arrays(specs)
    modules = {}

    def fn(L, *ins):
        if L not in modules:
            L.manual_seed(0)
            modules[L] = Z._build(L, name)
            if L is ember and name not in Z.LAZY:
                modules[L].load_state_dict({k: ember.from_numpy(v.detach().numpy().copy())
                                            for k, v in modules[torch].state_dict().items()})
        L.manual_seed(1)
        ins = [a.float() if a.dtype == L.int8 else a for a in ins]
        return modules[L](*ins)
    return fn, arrays


def _layer_names():
    import test_nn_zero_size as Z
    return sorted(Z.LAYERS) + sorted(Z.WRAPPERS) + sorted(Z.LAZY)


@pytest.mark.parametrize("name", _layer_names())
def test_layer(name):
    if torch is None:
        pytest.skip("torch (the oracle) is not installed")
    fn, arrays = _layer_case(name)
    t_kind, t = _run(torch, fn, arrays)  # torch first: ember's layer copies its state
    e_kind, e = _run(ember, fn, arrays)
    if t_kind == "err":
        assert e_kind == "err", f"torch raises {t[0].__name__}: {t[1][:200]}"
        assert e[0].__name__ == t[0].__name__ and e[1] == t[1], (e, t)
        return
    assert e_kind == "ok", f"ember raises {e[0].__name__}: {e[1][:300]}"
    assert len(e) == len(t)
    for i, (ue, ut) in enumerate(zip(e, t)):
        assert_same(ue.primal, ut.primal, 1e-4, 1e-5, what=f"primal {i}")
        if ut.tangent is None:
            assert ue.tangent is None, f"output {i}: torch has no tangent"
        else:
            assert ue.tangent is not None, f"output {i}: ember has no tangent"
            assert_same(ue.tangent, ut.tangent, 1e-4, 1e-5, what=f"tangent {i}")
