"""torch.func.vmap against torch: batching rules (values, dtypes, gradients through vmap),
in_dims/out_dims, nesting, chunking, randomness and the errors; the loop fallback is counted."""

import pytest

import ember
from oracle import arr, check, check_error, requires_torch, torch


def _F(L):
    return L.nn.functional


W = arr((5, 4), seed=3)
CASES = [
    ("unary", lambda L, x: L.vmap(lambda t: t.sin().exp() * 2 - t.abs())(x), (3, 5)),
    ("binary_broadcast", lambda L, x: L.vmap(lambda t: t + L.ones(4, 5) * t)(x), (3, 5)),
    ("two_batched", lambda L, x, y: L.vmap(L.mul)(x, y), (3, 5), (3, 5)),
    ("ranks", lambda L, x, y: L.vmap(lambda a, b: a * b, in_dims=(0, 1))(x, y), (3, 1), (4, 3)),
    ("where_clamp", lambda L, x: L.vmap(lambda t: L.where(t > 0, t, -t).clamp(max=1.0))(x),
     (3, 4)),
    ("sum_dims", lambda L, x: L.vmap(lambda t: (t.sum(), t.sum(0), t.sum((-1,), keepdim=True),
                                                t.mean(1)))(x), (2, 3, 4)),
    ("max_argmax", lambda L, x: L.vmap(lambda t: (t.max(1)[0], t.max(), t.argmax(),
                                                  t.amax(-1)))(x), (2, 3, 4)),
    ("scalar_reduce", lambda L, x: L.vmap(lambda t: (t.sum(), t.max(), t.argmax(), t.mean()))(x),
     (3,)),
    ("softmax", lambda L, x: L.vmap(lambda t: (_F(L).softmax(t, -1), t.log_softmax(0)))(x),
     (2, 3, 4)),
    ("views", lambda L, x: L.vmap(lambda t: (t.view(4, 3), t.reshape(-1), t.t(), t.T,
                                             t.permute(1, 0), t.unsqueeze(-1), t.flatten(),
                                             t.transpose(0, 1)))(x), (2, 3, 4)),
    ("squeeze_expand", lambda L, x: L.vmap(lambda t: (t.squeeze(), t.squeeze(0),
                                                      t.expand(2, 1, 4)))(x), (3, 1, 4)),
    ("indexing", lambda L, x: L.vmap(lambda t: (t[0], t[:, 1:3], t[..., -1], t[None, 1],
                                                t[L.tensor([2, 0])]))(x), (2, 3, 4)),
    ("cat_stack", lambda L, x, y: L.vmap(lambda a, b: (L.cat([a, b, b]), L.stack([a, b], 1)),
                                         in_dims=(0, None))(x, y), (2, 3), (3,)),
    ("matmul_vec_mat", lambda L, x, w: L.vmap(lambda t: t @ w)(x), (3, 5), (5, 4)),
    ("matmul_mat_vec", lambda L, x, w: L.vmap(lambda t: w.T @ t, in_dims=1)(x), (5, 3), (5, 4)),
    ("matmul_both", lambda L, x, y: L.vmap(L.matmul)(x, y), (3, 2, 5), (3, 5, 4)),
    ("matmul_dot", lambda L, x, y: L.vmap(L.dot)(x, y), (3, 5), (3, 5)),
    ("bmm_mv", lambda L, x, y: L.vmap(lambda a, b: (L.bmm(a, b), L.mv(a[0], b[0, :, 0])))(x, y),
     (2, 3, 4, 5), (2, 3, 5, 2)),
    ("linear", lambda L, x, w: L.vmap(lambda t: _F(L).linear(t, w))(x), (3, 2, 4), (5, 4)),
    ("linear_batched_w", lambda L, x, w, b: L.vmap(_F(L).linear)(x, w, b),
     (3, 2, 4), (3, 5, 4), (3, 5)),
    ("activations", lambda L, x: L.vmap(lambda t: (_F(L).relu(t), _F(L).gelu(t), L.tanh(t),
                                                   _F(L).leaky_relu(t, 0.1), _F(L).silu(t),
                                                   _F(L).softplus(t), L.sigmoid(t)))(x), (3, 4)),
    ("conv2d", lambda L, x, w, b: L.vmap(lambda t: _F(L).conv2d(t, w, b, padding=1))(x),
     (2, 3, 2, 6, 6), (4, 2, 3, 3), (4,)),
    ("conv2d_single", lambda L, x, w: L.vmap(lambda t: _F(L).conv2d(t, w, stride=2))(x),
     (2, 2, 7, 7), (4, 2, 3, 3)),
    ("conv2d_batched_w", lambda L, x, w: L.vmap(_F(L).conv2d)(x, w), (2, 1, 3, 6, 6),
     (2, 4, 3, 3, 3)),
    ("conv1d_groups", lambda L, x, w: L.vmap(lambda t: _F(L).conv1d(t, w, groups=2))(x),
     (2, 3, 4, 9), (6, 2, 3)),
    ("pool", lambda L, x: L.vmap(lambda t: (_F(L).max_pool2d(t, 2), _F(L).avg_pool2d(t, 2),
                                            _F(L).adaptive_avg_pool2d(t, 1)))(x),
     (2, 3, 2, 4, 4)),
    ("mse", lambda L, x, y: L.vmap(lambda a, b: (_F(L).mse_loss(a, b), _F(L).l1_loss(
        a, b, reduction="sum"), _F(L).mse_loss(a, b, reduction="none")))(x, y), (3, 4), (3, 4)),
    ("cross_entropy", lambda L, x, t: L.vmap(lambda a, b: (
        _F(L).cross_entropy(a, b), _F(L).cross_entropy(a, b, reduction="sum"),
        _F(L).cross_entropy(a, b, reduction="none")))(x, t.long()), (3, 4, 5), (3, 4, 0, 5)),
    ("nll_weight_ignore", lambda L, x, t, w: L.vmap(lambda a, b: _F(L).nll_loss(
        a.log_softmax(-1), b, weight=w.abs(), ignore_index=1))(x, t.long()),
     (3, 4, 5), (3, 4, 0, 5), (5,)),
    ("cross_entropy_1d", lambda L, x, t: L.vmap(_F(L).cross_entropy)(x, t.long()), (3, 5),
     (3, 0, 5)),
]


def _inputs(shapes):
    out = []
    for i, s in enumerate(shapes):
        if len(s) == 4 and s[2] == 0 and len(shapes) > 1 and i == 1 and isinstance(s[3], int) \
                and s[0] == 3 and s[1] == 4:
            out.append(arr((3, 4), dtype="int64", low=0, high=s[3], seed=i))
        elif len(s) == 3 and s[1] == 0:
            out.append(arr((s[0],), dtype="int64", low=0, high=s[2], seed=i))
        else:
            out.append(arr(s, seed=i))
    return out


@pytest.mark.parametrize("name,fn,shapes", [(c[0], c[1], c[2:]) for c in CASES],
                         ids=[c[0] for c in CASES])
def test_vmap_rules_match_torch(name, fn, shapes):
    ins = _inputs(shapes)
    grad = not any(a.dtype.kind == "i" for a in ins)
    before = dict(ember.func._fallback_counts)
    check(fn, *ins, grad=grad, rtol=1e-4, atol=1e-5, fd=False)
    assert dict(ember.func._fallback_counts) == before, "a covered op fell back to the loop"


def test_fallback_loops_and_counts():
    x = ember.randn(3, 2, 2)
    before = ember.func._fallback_counts["kron"]
    out = ember.vmap(lambda t: ember.kron(t, t))(x)
    assert ember.func._fallback_counts["kron"] == before + 1
    for i in range(3):
        assert ember.equal(out[i], ember.kron(x[i], x[i]))


def test_in_out_dims_nested_structures():
    def nested(L, x, y):
        o = L.vmap(lambda d, s: {"a": d["p"] * s, "b": (s, d["q"] + 1)},
                   in_dims=({"p": 1, "q": None}, 0),
                   out_dims={"a": 1, "b": (0, None)})({"p": x, "q": y}, y[:, 0])
        return o["a"], o["b"][0], o["b"][1]
    check(nested, arr((4, 3)), arr((3, 4)))
    check(lambda L, x: L.vmap(lambda t: t.sum(0), out_dims=1)(x), arr((2, 3, 4)))
    check(lambda L, x: L.vmap(lambda t: L.ones(2))(x), arr((3, 4)), grad=False)
    check(lambda L, x: L.vmap(lambda t, k: t * k, in_dims=(-1, None))(x, 3.0), arr((2, 3)))


def test_nested_vmap_and_chunks():
    check(lambda L, x, y: L.vmap(L.vmap(lambda a, b: (a * b).sum(), in_dims=(0, None)),
                                 in_dims=(None, 0))(x, y), arr((3, 4)), arr((5, 4)))
    check(lambda L, x, w: L.vmap(L.vmap(lambda t: _F(L).linear(t, w)))(x), arr((2, 3, 4)),
          arr((5, 4)))
    check(lambda L, x: L.vmap(lambda t: t.softmax(0) * 2, chunk_size=2)(x), arr((5, 3)))
    check(lambda L, x: L.vmap(lambda t: (t.sum(), t * 2), out_dims=(0, 1), chunk_size=1)(x),
          arr((3, 2)))


@requires_torch
def test_randomness_flags():
    for L in (ember, torch):
        L.manual_seed(3)
    x = arr((4, 3))
    for randomness in ("different", "same"):
        draws = []
        for L in (ember, torch):
            L.manual_seed(5)
            t = L.from_numpy(x.copy())
            draws.append((L.vmap(lambda a: a + L.rand(3), randomness=randomness)(t) - t).numpy())
        assert draws[0].tolist() == draws[1].tolist()
        assert (abs(draws[0][0] - draws[0][1]).max() < 1e-6) == (randomness == "same")
    check_error(lambda L, t: L.vmap(lambda a: a + L.randn(3))(t), x)
    check_error(lambda L, t: L.vmap(lambda a: L.bernoulli(a.sigmoid()), randomness="same")(t),
                x)
    check(lambda L, t: (L.manual_seed(0), L.vmap(lambda a: a.uniform_(), randomness="same")(
        t * 1))[1], x, grad=False)
    check(lambda L, t: L.vmap(lambda a: a * a.new_ones(3))(t), x)
    # dropout outside training draws nothing, so the error flag lets it pass
    check(lambda L, t: L.vmap(lambda a: L.nn.functional.dropout(a, 0.5, training=False))(t), x)


def test_errors_match_torch():
    x = arr((3, 4))

    def f(t):
        return t * 2
    check_error(lambda L, t: L.vmap(f, in_dims=(0, 0))(t), x)
    check_error(lambda L, t: L.vmap(f, in_dims=2)(t), x)
    check_error(lambda L, t: L.vmap(f, in_dims=[0])(t), x)
    check_error(lambda L, t: L.vmap(f, in_dims=0.5)(t), x)
    check_error(lambda L, t: L.vmap(lambda a, b: a + b)(t, L.ones(2, 4)), x)
    check_error(lambda L, t: L.vmap(lambda a, b: a, in_dims=(0, 0))(t, 1.0), x)
    check_error(lambda L, t: L.vmap(f, in_dims=None)(t), x)
    check_error(lambda L, t: L.vmap(f)(), x)
    check_error(lambda L, t: L.vmap(lambda a: 1.0)(t), x)
    check_error(lambda L, t: L.vmap(f, out_dims=None)(t), x)
    check_error(lambda L, t: L.vmap(f, out_dims="x")(t), x)
    check_error(lambda L, t: L.vmap(lambda a: a.sum().item())(t), x)
    check_error(lambda L, t: L.vmap(lambda a: a if a.sum() > 0 else -a)(t), x)
    check_error(lambda L, t: L.vmap(f, randomness="sometimes")(t), x)
