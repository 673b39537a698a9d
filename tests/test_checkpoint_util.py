"""torch.utils.checkpoint against torch 2.13: both variants recompute in backward with the RNG
restored (dropout masks match), give the gradients of the plain run and of torch, keep no
activations, and warn and refuse as torch does."""

import gc
import warnings
import weakref

import numpy as np
import pytest

import ember
import ember.utils.checkpoint as EC

try:
    import torch
    import torch.utils.checkpoint as TC
except ImportError:  # the torch comparisons skip; ember's own checks still run
    torch = TC = None

X = np.linspace(-1, 1, 8, dtype=np.float32).reshape(2, 4)


def C(L):
    return EC if L is ember else TC


def libs():
    return [ember] + ([torch] if torch is not None else [])


def net(L, seed=0):
    L.manual_seed(seed)
    lin1, lin2, drop = L.nn.Linear(4, 5), L.nn.Linear(5, 3), L.nn.Dropout(0.5)
    return lin1, lambda x, scale=1.0: lin2(drop(lin1(x).tanh())) * scale


def run(L, mode, preserve=True):
    lin1, seg = net(L)
    x = L.from_numpy(X.copy()).requires_grad_()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        y = seg(x) if mode == "plain" else C(L).checkpoint(
            seg, x, use_reentrant=mode, preserve_rng_state=preserve)
    (y * L.arange(3.0)).sum().backward()
    return [y.detach().numpy(), x.grad.numpy(), lin1.weight.grad.numpy()]


@pytest.mark.parametrize("mode", [True, False, None])
def test_gradients_match_plain_run_and_torch(mode):
    e = run(ember, mode)
    for a, b in zip(e, run(ember, "plain")):  # the dropout mask is drawn again identically
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)
    if torch is not None:
        for a, b in zip(e, run(torch, mode)):
            np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("mode", [True, False])
def test_without_preserved_rng_the_mask_is_redrawn_as_torch(mode):
    e = run(ember, mode, preserve=False)
    assert not np.allclose(e[2], run(ember, "plain")[2])
    if torch is not None:
        for a, b in zip(e, run(torch, mode, preserve=False)):
            np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_activations_are_not_kept():
    def make(L, kept):
        def seg(x):
            h = x.exp()
            m = h * 2
            kept.extend([weakref.ref(h._data), weakref.ref(m._data)])
            return m.sin()
        return seg

    x = ember.from_numpy(X.copy()).requires_grad_()
    kept = []
    y = make(ember, kept)(x)
    gc.collect()
    assert any(r() is not None for r in kept)  # the plain graph holds its activations
    for mode in (True, False):
        kept = []
        y = EC.checkpoint(make(ember, kept), x, use_reentrant=mode)
        gc.collect()
        assert kept and all(r() is None for r in kept), mode
        y.sum().backward()  # recomputed in backward


def test_warnings_and_errors_match_torch():
    def outcome(L, call):
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            try:
                r = call(L)
                res = ("ok", None if r is None else bool(r.requires_grad))
            except Exception as e:  # noqa: BLE001 - the type and text are compared
                res = (type(e).__name__, str(e))
        return res, [(x.category.__name__, str(x.message)) for x in w]

    lin = lambda L: L.nn.Linear(3, 3)  # noqa: E731
    calls = [
        lambda L: C(L).checkpoint(lin(L), L.ones(2, 3, requires_grad=True)),
        lambda L: C(L).checkpoint(lin(L), L.ones(2, 3), use_reentrant=True),
        lambda L: C(L).checkpoint(lin(L), L.ones(2, 3), use_reentrant=False),
        lambda L: C(L).checkpoint(lin(L), L.ones(2, 3), use_reentrant=True, foo=1),
        lambda L: C(L).checkpoint(lin(L), L.ones(2, 3), use_reentrant=True,
                                  context_fn=lambda: (None, None)),
        lambda L: C(L).checkpoint(lin(L), L.ones(2, 3), use_reentrant=True, debug=True),
        lambda L: C(L).checkpoint(lin(L), L.ones(2, 3), use_reentrant=False,
                                  determinism_check="foo"),
        lambda L: C(L).checkpoint_sequential(L.nn.Sequential(lin(L), lin(L)), 1,
                                             L.ones(2, 3, requires_grad=True)),
        lambda L: C(L).checkpoint_sequential([lin(L), lin(L)], 2, L.ones(2, 3), foo=1,
                                             use_reentrant=False),
        lambda L: C(L).detach_variable([L.ones(1)]),
    ]
    for call in calls:
        e = outcome(ember, call)
        assert torch is None or e == outcome(torch, call)


def test_reentrant_refuses_grad_and_backward_inputs():
    for call in (lambda L, y, x: L.autograd.grad(y.sum(), x),
                 lambda L, y, x: y.sum().backward(inputs=[x])):
        def go(L):
            x = L.ones(1, 2, requires_grad=True)
            y = C(L).checkpoint(L.nn.Linear(2, 2), x, use_reentrant=True)
            with pytest.raises(RuntimeError) as e:
                call(L, y, x)
            return str(e.value)
        msg = go(ember)
        assert msg.startswith("When use_reentrant=True, torch.utils.checkpoint is incompatible")
        assert torch is None or msg == go(torch)
    x = ember.ones(1, 2, requires_grad=True)  # plain backward() still works
    EC.checkpoint(ember.nn.Linear(2, 2), x, use_reentrant=True).sum().backward()
    assert x.grad is not None


@pytest.mark.parametrize("mode", [True, False])
@pytest.mark.parametrize("segments", [1, 2, 3])
def test_checkpoint_sequential(mode, segments):
    def go(L):
        L.manual_seed(1)
        model = L.nn.Sequential(L.nn.Linear(4, 6), L.nn.ReLU(), L.nn.Dropout(0.3),
                                L.nn.Linear(6, 6), L.nn.Tanh(), L.nn.Linear(6, 2))
        x = L.from_numpy(X.copy()).requires_grad_()
        y = C(L).checkpoint_sequential(model, segments, x, use_reentrant=mode)
        (y * y).sum().backward()
        return [y.detach().numpy(), x.grad.numpy()] + [p.grad.numpy()
                                                       for p in model.parameters()]
    e = go(ember)
    if torch is not None:
        for a, b in zip(e, go(torch)):
            np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_non_reentrant_kwargs_autograd_grad_and_context_fn():
    def go(L):
        lin1, seg = net(L)
        x = L.from_numpy(X.copy()).requires_grad_()
        entered = []

        class Ctx:
            def __init__(self, tag):
                self.tag = tag

            def __enter__(self):
                entered.append(self.tag)

            def __exit__(self, *a):
                pass
        y = C(L).checkpoint(seg, x, scale=2.0, use_reentrant=False,
                            context_fn=lambda: (Ctx("fwd"), Ctx("re")))
        gx, gw = L.autograd.grad(y.sum(), [x, lin1.weight])
        return [y.detach().numpy(), gx.numpy(), gw.numpy()], entered
    e, ent = go(ember)
    assert ent == ["fwd", "re"]
    if torch is not None:
        t, tent = go(torch)
        assert ent == tent
        for a, b in zip(e, t):
            np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_params_only_needs_non_reentrant():
    """With no input requiring grad, the reentrant variant drops the parameters' gradients
    (torch's documented pitfall); the non-reentrant one keeps them."""
    def go(L, mode):
        lin1, seg = net(L)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            y = C(L).checkpoint(seg, L.from_numpy(X.copy()), use_reentrant=mode)
        if not y.requires_grad:
            return None
        y.sum().backward()
        return lin1.weight.grad.numpy()
    assert go(ember, True) is None
    np.testing.assert_allclose(go(ember, False), run_plain_weight_grad(), rtol=1e-6)
    if torch is not None:
        assert go(torch, True) is None
        np.testing.assert_allclose(go(ember, False), go(torch, False), rtol=1e-5, atol=1e-6)


def run_plain_weight_grad():
    lin1, seg = net(ember)
    seg(ember.from_numpy(X.copy())).sum().backward()
    return lin1.weight.grad.numpy()


def test_helpers():
    t = ember.ones(2, requires_grad=True)
    d = EC.detach_variable((t, 3))
    assert d[1] == 3 and d[0].requires_grad and d[0].grad_fn is None and d[0] is not t
    assert EC.get_device_states(t) == ([], [])
    a, b = EC.noop_context_fn()
    with a, b:
        pass
    with pytest.raises(NotImplementedError, match="selective activation checkpointing"):
        EC.create_selective_checkpoint_contexts([])
    if TC is not None:
        assert sorted(EC.__all__) == sorted(TC.__all__)
    with EC.GraphExecGroup() as g:
        with pytest.raises(RuntimeError, match="GraphExecGroup contexts cannot be nested"):
            with EC.GraphExecGroup():
                pass
    assert isinstance(g, EC.GraphExecGroup)


def test_non_reentrant_create_graph():
    """backward(create_graph=True) through a non-reentrant checkpoint keeps the gradient
    differentiable (ember recomputed on detached copies: the second-order part was lost)."""
    from ember.utils.checkpoint import checkpoint
    x = ember.tensor([1.0, 2.0], requires_grad=True)
    y = checkpoint(lambda x: x ** 3, x, use_reentrant=False)
    (g,) = ember.autograd.grad(y.sum(), x, create_graph=True)
    assert g.requires_grad
    (y.sum() + g.sum()).backward()
    np.testing.assert_allclose(x.grad.numpy(), [9.0, 24.0])  # 3x^2 + 6x
    w = ember.tensor([2.0, 3.0], requires_grad=True)
    x = ember.tensor([1.0, 2.0], requires_grad=True)
    y = checkpoint(lambda x: (x * w) ** 2, x, use_reentrant=False)
    (g,) = ember.autograd.grad(y.sum(), x, create_graph=True)
    g.sum().backward()  # g = 2 x w^2
    np.testing.assert_allclose(x.grad.numpy(), [8.0, 18.0])
    np.testing.assert_allclose(w.grad.numpy(), [8.0, 24.0])
