"""vmap's batching rules for nn.functional ops, indexing, einsum and in-place writes, against
torch.func.vmap: values and gradients through vmap, torch's errors (in-place writes into an
unbatched tensor, randomness flags, data-dependent shapes); none of these falls back."""

import pytest

import ember
from oracle import arr, check, check_error, requires_torch


def _F(L):
    return L.nn.functional


def _no_fallback(fn, *ins, grad=True):
    ember.func._fallback_counts.clear()
    check(fn, *ins, grad=grad, rtol=1e-4, atol=1e-5, fd=False)
    assert not ember.func._fallback_counts, dict(ember.func._fallback_counts)


X4 = arr((3, 2, 4, 5, 5), seed=1)
P = arr((3, 2, 4), seed=2, low=0.1, high=0.9)
CASES = {
    "layer_norm_batched_w": (lambda L, x, w, b: L.vmap(lambda t, a, c: _F(L).layer_norm(
        t, (5,), a, c))(x, w, b), arr((3, 2, 5)), arr((3, 5), seed=1), arr((3, 5), seed=2)),
    "group_norm": (lambda L, x, w: L.vmap(lambda t, a: _F(L).group_norm(t, 2, a))(x, w),
                   arr((3, 2, 4, 3)), arr((3, 4), seed=1)),
    "batch_norm_eval": (lambda L, x, m, v: L.vmap(lambda t: _F(L).batch_norm(
        t, m.detach(), v.detach().abs() + 0.5))(x), arr((3, 2, 4, 3)), arr((4,), seed=1),
        arr((4,), seed=2)),
    "batch_norm_train_no_stats": (lambda L, x, w: L.vmap(lambda t, a: _F(L).batch_norm(
        t, None, None, a, None, True))(x, w), arr((3, 4, 2, 3)), arr((3, 2), seed=1)),
    "batch_norm_batched_stats": (lambda L, x, m, v: (lambda mm, vv: (L.vmap(
        lambda t, a, b: _F(L).batch_norm(t, a, b, training=True))(x, mm, vv), mm, vv))(
        m.detach().clone(), v.detach().abs() + 0.5), arr((3, 4, 2)), arr((3, 2), seed=1),
        arr((3, 2), seed=2)),
    "instance_norm": (lambda L, x: L.vmap(lambda t: _F(L).instance_norm(t))(x),
                      arr((3, 2, 4, 5))),
    "embedding_per_sample_w": (lambda L, i, w: L.vmap(lambda a, b: _F(L).embedding(
        a, b, padding_idx=1))(i.long(), w), arr((3, 4), dtype="int64", low=0, high=5),
        arr((3, 5, 2))),
    "pad_modes": (lambda L, x: L.vmap(lambda t: (_F(L).pad(t, (1, 2)), _F(L).pad(
        t, (1, 1, 2, 0), mode="reflect"), _F(L).pad(t[0], (1, 1), mode="replicate"), _F(L).pad(
        t[0], (1, 1, 1, 1), mode="circular")))(x), X4[:, :, :, :4, :4]),
    "interpolate": (lambda L, x: L.vmap(lambda t: (_F(L).interpolate(
        t, scale_factor=2, mode="bilinear"), _F(L).interpolate(t[0], size=3),
        _F(L).interpolate(t, size=(3, 7), mode="bicubic", align_corners=True)))(x), X4),
    "dropout_eval_and_p0": (lambda L, x: L.vmap(lambda t: (_F(L).dropout(t, 0.0), _F(L).dropout2d(
        t, training=False)))(x), X4),
    "losses": (lambda L, x, p: L.vmap(lambda a, b: (lambda b: (
        _F(L).binary_cross_entropy(b, b.detach().round(), weight=a.detach().abs()),
        _F(L).binary_cross_entropy_with_logits(a, b, pos_weight=L.ones(4) * 2),
        _F(L).kl_div(a.log_softmax(-1), b, reduction="batchmean"),
        _F(L).smooth_l1_loss(a, b, beta=0.5), _F(L).huber_loss(a, b, delta=0.3),
        _F(L).soft_margin_loss(a, b), _F(L).poisson_nll_loss(a, b, reduction="sum"),
        _F(L).hinge_embedding_loss(a, b.round() * 2 - 1, reduction="none"),
        _F(L).cosine_embedding_loss(a, b, L.ones(2)),
        _F(L).multilabel_soft_margin_loss(a, b.round()),
        _F(L).triplet_margin_loss(a, b, a.flip(-1)),
        _F(L).margin_ranking_loss(a[0], b[0], L.ones(4)),
        _F(L).cosine_similarity(a, b, dim=-1), _F(L).pairwise_distance(a, b)))(b.detach()))(x, p),
        arr((3, 2, 4)), P),
    "bilinear_per_sample_w": (lambda L, x, y, w: L.vmap(_F(L).bilinear)(x, y, w),
                              arr((3, 2, 4)), arr((3, 2, 3), seed=1), arr((3, 5, 4, 3), seed=2)),
    "conv_transpose_per_sample_w": (lambda L, x, w, b: L.vmap(
        lambda t, a, c: _F(L).conv_transpose2d(t, a, c, stride=2, groups=2))(x, w, b),
        arr((3, 2, 4, 3, 3)), arr((3, 4, 3, 2, 2), seed=1), arr((3, 6), seed=2)),
    "sdpa": (lambda L, q, k, v, m: L.vmap(lambda a, b, c: _F(L).scaled_dot_product_attention(
        a, b, c, attn_mask=m))(q, k, v), arr((3, 2, 4, 8)), arr((3, 2, 5, 8), seed=1),
        arr((3, 2, 5, 8), seed=2), arr((4, 5), seed=3)),
    "glu_prelu_pixel": (lambda L, x, w: L.vmap(lambda t, a: (_F(L).glu(t, 1), _F(L).prelu(
        t, a), _F(L).pixel_shuffle(t, 2)))(x, w), arr((3, 2, 4, 2, 2)), arr((3, 4), seed=1)),
    "fold_unfold": (lambda L, x: L.vmap(lambda t: _F(L).fold(_F(L).unfold(t, 2), (4, 4), 2))(x),
                    arr((3, 2, 3, 4, 4))),
    "einsum": (lambda L, x, y: L.vmap(lambda a, b: (L.einsum("ij,jk->ik", a, b), L.einsum(
        "ij,jk", a, b), L.einsum("...j,jk->...k", a, b), L.einsum("ii", a[:, :2]), L.einsum(
        "ij,jk->ik", a, y[0])))(x, y), arr((3, 2, 4)), arr((3, 4, 5), seed=1)),
    "index_batched": (lambda L, x, i: L.vmap(lambda t, j: (t[j], t[:, j], t[j, :, j], t[
        ..., j], t[0, :, j], t[j, 1]))(x, i.long()), arr((3, 4, 4, 4)),
        arr((3, 2), dtype="int64", low=0, high=4)),
    "index_separated": (lambda L, x: L.vmap(lambda t: (t[[0, 1], :, [1, 2]], t[L.tensor(
        [0, 2]), :, 1], t[0, :, L.tensor([[1], [3]])]))(x), arr((3, 4, 4, 4))),
    "index_of_unbatched": (lambda L, x, i: L.vmap(lambda j: x[j])(i.long()), arr((5, 2)),
                           arr((3, 2), dtype="int64", low=0, high=5)),
}


@requires_torch
@pytest.mark.parametrize("name", sorted(CASES))
def test_rule(name):
    fn, *ins = CASES[name]
    grad = not any(a.dtype.kind == "i" for a in ins) and name != "batch_norm_batched_stats"
    _no_fallback(fn, *ins, grad=grad)


def test_setitem_batched_index():
    def f(L, x, v, i):
        def g(t, a, j):
            t = t.clone()
            t[j] = a
            t[:, j] = 0.5
            return t
        return L.vmap(g)(x, v, i.long())
    _no_fallback(f, arr((3, 4, 4)), arr((3, 4)), arr((3,), dtype="int64", low=0, high=4))


def test_inplace_into_unbatched_errors():
    x = arr((3, 4))
    for body in (lambda L, a: L.zeros(4).add_(a), lambda L, a: L.zeros(1, 4).add_(a),
                 lambda L, a: L.zeros(4).__iadd__(a), lambda L, a: L.zeros(4).mul_(a),
                 lambda L, a: L.zeros(4).sub_(a), lambda L, a: L.zeros(4).copy_(a),
                 lambda L, a: L.zeros(4).clamp_(min=a), lambda L, a: L.zeros(4).pow_(a),
                 lambda L, a: L.zeros(4).fill_(a.sum()), lambda L, a: L.zeros(4).lerp_(a, 0.5)):
        check_error(lambda L, t: L.vmap(lambda a: body(L, a))(t), x)
    # an unbatched tensor written with an unbatched value inside vmap is fine
    check(lambda L, t: L.vmap(lambda a: L.zeros(4).add_(1.0) + a)(t), x)


def test_randomness_of_unbatched_and_transforms():
    x = arr((3, 4))
    for mode in ("error", "different"):
        check_error(lambda L, t: L.vmap(lambda a: L.zeros(4).uniform_() + a,
                                        randomness=mode)(t), x)
        check_error(lambda L, t: L.vmap(lambda a: L.zeros(4).normal_() + a,
                                        randomness=mode)(t), x)
    check_error(lambda L, t: L.vmap(lambda a: _F(L).dropout(a))(t), x)
    check_error(lambda L, t: L.vmap(lambda a: _F(L).scaled_dot_product_attention(
        a[None], a[None], a[None], dropout_p=0.5))(t), x)
    check_error(lambda L, t: L.func.jacfwd(lambda a: a * L.rand(4))(t[0]), x)
    check_error(lambda L, t: L.func.jacfwd(lambda a: _F(L).dropout(a))(t[0]), x)
    check_error(lambda L, t: L.func.hessian(lambda a: (a * L.rand(4)).sum())(t[0]), x)
    check_error(lambda L, t: L.vmap(lambda a: _F(L).rrelu(a))(t), x)
    check_error(lambda L, t: L.vmap(lambda a: L.nonzero(a))(t), x)
    check_error(lambda L, t: L.vmap(lambda a: a[a > 0])(t), x)
    check_error(lambda L, t: L.vmap(lambda a: L.masked_select(a, a > 0))(t), x)
    check_error(lambda L, t: L.vmap(lambda a: _F(L).batch_norm(
        a, L.zeros(4), L.ones(4), training=True))(t[:, None].expand(3, 2, 4)), x)
    check_error(lambda L, t: L.vmap(lambda a: _F(L).instance_norm(
        a, L.zeros(2), L.ones(2)))(t.reshape(3, 1, 2, 2)), x)
    # 'same' in jacfwd: one evaluation, so one draw for every column
    out = ember.func.jacfwd(lambda a: a * ember.rand(4), randomness="same")(ember.ones(4))
    assert out.shape == (4, 4) and float((out - out.diagonal().diag()).abs().sum()) == 0


def test_different_randomness_shapes():
    """Draws on an unbatched input differ per entry; channel dropouts mask whole channels."""
    x = ember.ones(3, 2, 4, 5)
    out = ember.vmap(lambda a: _F(ember).dropout(ember.ones(4, 5)) * a, randomness="different")(x)
    assert out.shape == (3, 2, 4, 5)
    assert any(not ember.equal(out[0, 0], out[i, 0]) for i in range(1, 3))
    out = ember.vmap(lambda a: _F(ember).dropout2d(a, 0.5), randomness="different")(x)
    per_channel = out.reshape(3, 2, -1)
    assert bool(((per_channel == 0).all(-1) | (per_channel == 2).all(-1)).all())
    same = ember.vmap(lambda a: _F(ember).dropout(a, 0.5), randomness="same")(x)
    assert all(ember.equal(same[0], same[i]) for i in range(3))
    assert not ember.func._fallback_counts.get("dropout2d")
