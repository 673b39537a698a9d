"""torch.func's autograd transforms against torch.func: grad, grad_and_value, vjp, jacrev,
jacfwd, hessian, jvp, linearize, functional_call, stack_module_state, their errors, and their
composition with vmap (per-sample gradients of a small CNN)."""

import numpy as np

import ember
from oracle import arr, assert_same, check, check_error, requires_torch, torch


def f_scalar(L, x, y):
    return (x.sin() * y).sum() + (x ** 2).mean()


def test_grad_and_value_argnums_aux():
    check(lambda L, x, y: L.func.grad(lambda a, b: f_scalar(L, a, b))(x, y), arr((3, 4)),
          arr((3, 4), seed=1), grad=False)
    check(lambda L, x, y: L.func.grad(lambda a, b: f_scalar(L, a, b), argnums=(0, 1))(x, y),
          arr((3, 4)), arr((3, 4), seed=1), grad=False)
    check(lambda L, x, y: L.func.grad_and_value(lambda a, b: (f_scalar(L, a, b), a * 2),
                                                argnums=-1, has_aux=True)(x, y),
          arr((3, 4)), arr((3, 4), seed=1), grad=False)
    check(lambda L, x, y: tuple(L.func.grad(lambda d: (d["w"] * d["b"]).sum())(
        {"w": x, "b": y}).values()), arr((3,)), arr((3,), seed=1), grad=False)


def test_grad_composes():
    check(lambda L, x: L.func.grad(
        lambda t: (t ** 3).sum() - L.func.grad(lambda u: (u * t).sum())(t).sum())(x),
        arr((4,), dtype="float64"), grad=False)
    check(lambda L, x: L.func.grad(lambda t: L.func.grad(lambda u: (u ** 3).sum())(t).sum())(x),
          arr((4,), dtype="float64"), grad=False)
    # the result keeps an outer graph when the input has one
    check(lambda L, x: L.func.grad(lambda t: (t ** 3).sum())(x), arr((4,), dtype="float64"))


def test_vjp_jacrev_jacfwd_hessian():
    check(lambda L, x, v: L.func.vjp(lambda t: (t.exp(), t.sum()), x)[1]((v, v.sum())), arr((3,)),
          arr((3,), seed=1), grad=False)
    check(lambda L, x: L.func.vjp(lambda t: (t * 2, t), x, has_aux=True)[::2], arr((3,)),
          grad=False)
    check(lambda L, x, y: L.func.jacrev(lambda a, b: a.sin() * b.sum(), argnums=(0, 1))(x, y),
          arr((3,)), arr((2,), seed=1), grad=False)
    check(lambda L, x: L.func.jacrev(lambda t: (t @ t.T, t.sum()), chunk_size=2)(x),
          arr((2, 3)), grad=False)
    check(lambda L, x: L.func.jacrev(lambda t: (t.exp(), t), has_aux=True)(x), arr((3,)),
          grad=False)
    check(lambda L, x: L.func.jacfwd(lambda t: t.exp() * t[0])(x), arr((3,)), grad=False)
    check(lambda L, x: L.func.hessian(lambda t: (t.sin() * t).sum())(x),
          arr((3,), dtype="float64"), grad=False)


def test_jvp_linearize():
    check(lambda L, x, v: L.func.jvp(lambda t: (t.exp() * t[0], t.sum()), (x,), (v,)), arr((3,)),
          arr((3,), seed=1), grad=False)
    check(lambda L, x, v: L.func.jvp(lambda t: (t.sin(), t), (x,), (v,), has_aux=True),
          arr((3,)), arr((3,), seed=1), grad=False)
    check(lambda L, x, v: L.func.linearize(lambda t: t.sin() * 2, x)[1](v), arr((3,)),
          arr((3,), seed=1), grad=False)


def test_vmap_of_transforms():
    check(lambda L, x: L.vmap(L.func.jacrev(lambda t: t.sin() * t.sum()))(x), arr((4, 3)),
          grad=False)
    check(lambda L, x, v: L.vmap(L.func.jvp, in_dims=(None, 0, 0))(lambda t: t.exp(), (x,), (v,)),
          arr((4, 3)), arr((4, 3), seed=1), grad=False)
    check(lambda L, x: L.vmap(L.func.hessian(lambda t: (t ** 3).sum()))(x),
          arr((2, 3), dtype="float64"), grad=False)
    check(lambda L, x: L.func.jacrev(L.vmap(lambda t: t.sin() * t[0]))(x), arr((2, 3)),
          grad=False)
    before = dict(ember.func._fallback_counts)
    check(lambda L, w, x: L.vmap(L.vmap(L.func.grad(lambda a, t: (L.tanh(t @ a) ** 2).sum()),
                                        in_dims=(None, 0)), in_dims=(None, 0))(w, x),
          arr((4,)), arr((2, 3, 4), seed=1), grad=False)
    check(lambda L, w, x: L.vmap(L.func.grad(lambda a, t: (t @ a).exp().sum(), argnums=1),
                                 in_dims=(None, 1))(w, x), arr((4,)), arr((2, 3, 4), seed=1),
          grad=False)
    assert dict(ember.func._fallback_counts) == before
    # vmap over a vjp_fn (jacrev's own shape of computation)
    check(lambda L, x, e: L.vmap(L.func.vjp(lambda t: t.exp() * t[0], x)[1])(e), arr((3,)),
          arr((3, 3), seed=2), grad=False)


def _cnn(L):
    nn, F = L.nn, L.nn.functional

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = nn.Conv2d(3, 4, 3, padding=1)
            self.pool = nn.MaxPool2d(2, 2)
            self.fc = nn.Linear(4 * 4 * 4, 5)

        def forward(self, x):
            x = self.pool(F.relu(self.conv(x)))
            return self.fc(x.view(-1, 4 * 4 * 4))
    return Net()


@requires_torch
def test_per_sample_gradients_cnn():
    """vmap(grad(loss), in_dims=(None, 0, 0)) equals a loop of per-sample backward passes."""
    x, y = arr((6, 3, 8, 8)), arr((6,), dtype="int64", low=0, high=5)
    res = {}
    before = dict(ember.func._fallback_counts)
    for L in (ember, torch):
        L.manual_seed(0)
        model = _cnn(L)
        params = {k: v.detach() for k, v in model.named_parameters()}

        def loss_fn(p, xb, yb):
            out = L.func.functional_call(model, p, (xb.unsqueeze(0),))
            return L.nn.functional.cross_entropy(out, yb.unsqueeze(0))
        res[L] = L.func.vmap(L.func.grad(loss_fn), in_dims=(None, 0, 0))(
            params, L.from_numpy(x), L.from_numpy(y))
    assert dict(ember.func._fallback_counts) == before
    for k in res[torch]:
        assert_same(res[ember][k], res[torch][k], rtol=1e-4, atol=1e-6, what=k)
    model = _cnn(ember)
    ember.manual_seed(0)
    model = _cnn(ember)
    model.zero_grad()
    ember.nn.functional.cross_entropy(model(ember.from_numpy(x[2:3])),
                                      ember.from_numpy(y[2:3])).backward()
    np.testing.assert_allclose(res[ember]["conv.weight"][2].numpy(),
                               model.conv.weight.grad.numpy(), rtol=1e-5, atol=1e-7)


@requires_torch
def test_functional_call_and_stack_module_state():
    outs = []
    for L in (ember, torch):
        L.manual_seed(1)
        models = [L.nn.Linear(3, 2) for _ in range(4)]
        params, buffers = L.func.stack_module_state(models)
        base = L.nn.Linear(3, 2).to("meta") if L is torch else L.nn.Linear(3, 2)
        x = L.from_numpy(arr((5, 3)))

        def call(p, b, xb):
            return L.func.functional_call(base, (p, b), (xb,))
        outs.append((L.vmap(call, in_dims=(0, 0, None))(params, buffers, x),
                     params["weight"].requires_grad, params["weight"].is_leaf))
    assert_same(outs[0][0], outs[1][0], rtol=1e-5)
    assert outs[0][1:] == outs[1][1:]
    check_error(lambda L: L.func.stack_module_state([]))
    check_error(lambda L: L.func.stack_module_state([L.nn.Linear(1, 1), L.nn.Linear(1, 1).eval()]))
    check_error(lambda L: L.func.stack_module_state([L.nn.Linear(1, 1), L.nn.ReLU()]))
    check_error(lambda L: L.func.functional_call(L.nn.Linear(1, 1), ({"weight": L.ones(1, 1)},
                                                                      {"weight": L.ones(1, 1)}),
                                                 (L.ones(1),)))


def test_transform_errors_match_torch():
    x = arr((3,))
    check_error(lambda L, t: L.func.grad(lambda a: a * 2)(t), x)
    check_error(lambda L, t: L.func.grad(lambda a: 2.0)(t), x)
    check_error(lambda L, t: L.func.grad(lambda a: a.sum(), has_aux=True)(t), x)
    check_error(lambda L, t: L.func.grad(lambda a: a.sum(), argnums=3)(t), x)
    check_error(lambda L, t: L.func.grad(lambda a: a.sum(), argnums=(0, 0))(t), x)
    check_error(lambda L, t: L.func.grad(lambda a: a.sum(), argnums=())(t), x)
    check_error(lambda L, t: L.func.grad(lambda a: a.sum(), argnums=0.5)(t), x)
    check_error(lambda L, t: L.func.grad(lambda a: a.sum())(1.0), x)
    check_error(lambda L, t: L.func.vjp(lambda a: (a * 2).long(), t), x)
    check_error(lambda L, t: L.func.vjp(lambda a: (a, a), t)[1](t), x)
    check_error(lambda L, t: L.func.jacrev(lambda a: a, chunk_size=0)(t), x)
    check_error(lambda L, t: L.func.jvp(lambda a: a, t, t), x)
    check_error(lambda L, t: L.func.jvp(lambda a: a, (t,), (t, t)), x)
    check_error(lambda L, t: L.func.jvp(lambda a: L.ones(3), (t,), (t,), strict=True), x)


def test_transforms_keep_the_graph_to_closed_over_tensors():
    """torch.func's results stay differentiable with respect to a tensor the function closes
    over that requires grad (ember detached them: w.grad missed the second-order part)."""
    w = ember.tensor([1.0, 2.0], requires_grad=True)
    x = ember.tensor([[1.0, 0.0], [0.0, 3.0]])
    g = ember.func.grad(lambda x: (x @ w).pow(2).sum())(x)  # g = 2 (x w) x^T rows
    assert g.requires_grad
    (g.sum() + w.sum()).backward()
    np.testing.assert_allclose(w.grad.numpy(), [21.0, 33.0])  # d/dw sum(2 x^T x w) + 1
    w = ember.tensor([1.0, 2.0], requires_grad=True)
    o, fn = ember.func.vjp(lambda x: (x @ w) ** 2, x)
    (v,) = fn(ember.ones(2))
    (o.sum() + v.sum()).backward()
    np.testing.assert_allclose(w.grad.numpy(), [22.0, 68.0])
    w = ember.tensor([1.0, 2.0], requires_grad=True)
    ember.func.hessian(lambda v: ((v * w) ** 3).sum())(ember.tensor([1.0, 2.0])).sum().backward()
    np.testing.assert_allclose(w.grad.numpy(), [18.0, 144.0])
    assert not ember.func.grad(lambda x: (x ** 2).sum())(ember.tensor([1.0, 2.0])).requires_grad
    with ember.no_grad():
        assert not ember.func.grad(lambda x: (x * w).sum())(ember.tensor([1.0, 2.0])).requires_grad
