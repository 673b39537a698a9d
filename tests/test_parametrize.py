"""nn.utils.parametrize and nn.utils.parametrizations against torch 2.13: values, gradients
through parametrized weights, state_dict keys, reprs, class swapping, caching, right_inverse,
and error texts. Each scenario runs the same function on ember and torch (`_both`)."""

import copy
import importlib
import pickle

import numpy as np
import pytest

import ember
from oracle import assert_same, check_error, torch


def _mods(L):
    nn = L.nn
    return nn, importlib.import_module(L.__name__ + ".nn.utils.parametrize"), \
        importlib.import_module(L.__name__ + ".nn.utils.parametrizations")


def _compare(e, t, what="result", rtol=1e-5, atol=1e-6):
    if isinstance(t, (list, tuple)):
        assert isinstance(e, (list, tuple)) and len(e) == len(t), f"{what}: {e!r} vs {t!r}"
        for i, (a, b) in enumerate(zip(e, t)):
            _compare(a, b, f"{what}[{i}]", rtol, atol)
    else:
        assert_same(e, t, rtol, atol, what)


def _both(fn, rtol=1e-5, atol=1e-6, own=None):
    """fn(L) on ember, then `own(result)` (checks that need no torch); with torch, fn(torch)
    too, and the two results compared."""
    e = fn(ember)
    if own is not None:
        own(e)
    if torch is None:
        pytest.skip("torch (the oracle) is not installed")
    _compare(e, fn(torch), rtol=rtol, atol=atol)
    return e


def _sym(L):
    class Symmetric(L.nn.Module):
        def forward(self, X):
            return X.triu() + X.triu(1).transpose(-1, -2)
    return Symmetric()


def _scale(L, k):
    class Scale(L.nn.Module):
        def forward(self, X):
            return X * k

        def right_inverse(self, X):
            return X / k
    return Scale()


def test_register_repr_keys_and_gradient():
    def fn(L):
        nn, P, _ = _mods(L)
        L.manual_seed(0)
        m = nn.Linear(3, 3)
        P.register_parametrization(m, "weight", _sym(L))
        m(L.ones(2, 3)).pow(2).sum().backward()
        orig = m.parametrizations.weight.original
        return [repr(m), type(m).__name__, P.type_before_parametrizations(m).__name__,
                list(m.state_dict()), [n for n, _ in m.named_parameters()], m.weight,
                orig.grad, m.bias.grad, P.is_parametrized(m), P.is_parametrized(m, "weight"),
                P.is_parametrized(m, "bias"), isinstance(m, nn.Linear)]

    def own(out):
        assert out[1] == "ParametrizedLinear" and out[-1] is True
        w = out[5].detach().numpy()
        np.testing.assert_array_equal(w, w.T)
    _both(fn, own=own)


def test_chain_right_inverse_and_assignment():
    def fn(L):
        nn, P, _ = _mods(L)
        L.manual_seed(1)
        m = nn.Linear(4, 3)
        before = m.weight.detach().clone()
        P.register_parametrization(m, "weight", _scale(L, 2.0))
        P.register_parametrization(m, "weight", _scale(L, 3.0))
        chain = m.parametrizations.weight
        orig_id = id(chain.original)
        first = [repr(m), chain.original.clone(), m.weight]
        with L.no_grad():
            m.weight = L.full((3, 4), 6.0)
        return first + [before, chain.original, m.weight, id(chain.original) == orig_id,
                        chain.original._version > 0]

    def own(out):  # registering ran Scale(2).right_inverse; assigning runs both in reverse
        np.testing.assert_allclose(out[1].detach().numpy() * 2, out[3].numpy())
        np.testing.assert_allclose(out[4].detach().numpy(), np.ones((3, 4)))
    _both(fn, own=own)


def test_right_inverse_returning_several_tensors_and_remove():
    def fn(L):
        nn, P, _ = _mods(L)

        class Sum(nn.Module):
            def forward(self, a, b):
                return a + b

            def right_inverse(self, X):
                return X * 0.25, X * 0.75
        L.manual_seed(2)
        m = nn.Linear(2, 2)
        P.register_parametrization(m, "weight", Sum())
        chain = m.parametrizations.weight
        keys = list(m.state_dict())
        m(L.ones(1, 2)).sum().backward()
        res = [keys, repr(m), chain.is_tensor, chain.ntensors, chain.original0.grad,
               type(chain.original1).__name__, m.weight]
        P.remove_parametrizations(m, "weight")
        return res + [repr(m), type(m).__name__, list(m.state_dict()), m.weight,
                      type(m.weight).__name__, m.weight.requires_grad]
    _both(fn)


def test_remove_leave_parametrized_false_and_buffers():
    def fn(L):
        nn, P, _ = _mods(L)
        L.manual_seed(3)
        m = nn.BatchNorm1d(3)
        with L.no_grad():
            m.running_var.add_(1.0)
        P.register_parametrization(m, "running_var", _scale(L, 2.0))
        res = [list(m.state_dict()), m.running_var, [n for n, _ in m.named_buffers()]]
        P.register_parametrization(m, "weight", _scale(L, 5.0))
        P.remove_parametrizations(m, "running_var", leave_parametrized=False)
        res += [type(m).__name__, m.running_var, list(m.state_dict())]
        P.remove_parametrizations(m, "weight", leave_parametrized=True)
        return res + [type(m).__name__, m.weight, hasattr(m, "parametrizations")]
    _both(fn)


def test_unsafe_and_cached():
    def fn(L):
        nn, P, _ = _mods(L)
        calls = []

        class Widen(nn.Module):
            def forward(self, X):
                calls.append(1)
                return L.cat([X, X], dim=0)
        L.manual_seed(4)
        m = nn.Linear(3, 2)
        P.register_parametrization(m, "weight", Widen(), unsafe=True)
        n0 = len(calls)
        with P.cached():
            a, b = m.weight, m.weight
            same = a is b
        c = m.weight
        return [n0, len(calls), same, c is a, tuple(c.shape), m.parametrizations.weight.unsafe]

    def own(out):  # one call inside the block, one after
        assert out[1] - out[0] == 2 and out[2] is True
    _both(fn, own=own)


def test_transfer_parametrizations_and_params():
    def fn(L):
        nn, P, _ = _mods(L)
        L.manual_seed(5)
        a, b = nn.Linear(3, 3), nn.Linear(3, 3)
        P.register_parametrization(a, "weight", _sym(L))
        P.transfer_parametrizations_and_params(a, b)
        return [repr(b), list(b.state_dict()), b.weight, a.weight,
                b.parametrizations.weight.original is a.parametrizations.weight.original]
    _both(fn)


def test_state_dict_roundtrip_between_frameworks():
    def build(L):
        nn, P, _ = _mods(L)
        L.manual_seed(6)
        m = nn.Linear(3, 3)
        P.register_parametrization(m, "weight", _sym(L))
        return m
    e = build(ember)
    rng = np.random.default_rng(0)
    sd = {k: ember.from_numpy(rng.standard_normal(tuple(v.shape)).astype(np.float32))
          for k, v in e.state_dict().items()}
    assert repr(e.load_state_dict(sd)) == "<All keys matched successfully>"
    np.testing.assert_array_equal(e.parametrizations.weight.original.detach().numpy(),
                                  sd["parametrizations.weight.original"].numpy())
    if torch is None:
        pytest.skip("torch (the oracle) is not installed")
    t = build(torch)
    t.load_state_dict({k: torch.from_numpy(v.numpy()) for k, v in sd.items()})
    x = np.ones((2, 3), np.float32)
    assert_same(e(ember.from_numpy(x)), t(torch.from_numpy(x)))


def test_deepcopy_pickle_and_optimizer_step():
    def fn(L):
        nn, P, _ = _mods(L)
        L.manual_seed(7)
        m = nn.Linear(3, 3)
        P.register_parametrization(m, "weight", _sym(L))
        c = copy.deepcopy(m)
        with pytest.raises(RuntimeError) as ei:
            pickle.dumps(m)
        opt = L.optim.SGD(m.parameters(), lr=0.1)
        m(L.ones(1, 3)).sum().backward()
        opt.step()
        return [type(c).__name__, c.weight, str(ei.value), m.weight,
                [n for n, _ in c.named_parameters()]]
    _both(fn)


@pytest.mark.parametrize("case", ["missing", "not_tensor", "dtype", "shape", "chain_shape",
                                  "remove", "no_inverse", "several_leave"])
def test_register_errors(case):
    def fn(L):
        nn, P, _ = _mods(L)
        m = nn.Linear(2, 2)

        class Bad(nn.Module):
            def forward(self, X):
                return {"not_tensor": lambda: 1.0, "dtype": lambda: X.double(),
                        "shape": lambda: X.t()[:1], "chain_shape": lambda: X[:1]}[case]()

        class Pair(nn.Module):
            def forward(self, a, b):
                return a + b

            def right_inverse(self, X):
                return X, X * 0
        if case == "missing":
            P.register_parametrization(m, "nope", _sym(L))
        elif case == "chain_shape":
            P.register_parametrization(m, "weight", _sym(L))
            P.register_parametrization(m, "weight", Bad())
        elif case == "remove":
            P.remove_parametrizations(m, "weight")
        elif case == "no_inverse":
            P.register_parametrization(m, "weight", _sym(L))
            m.weight = L.zeros(2, 2)
        elif case == "several_leave":
            P.register_parametrization(m, "weight", Pair())
            P.remove_parametrizations(m, "weight", leave_parametrized=False)
        else:
            P.register_parametrization(m, "weight", Bad())
    check_error(fn, exc=(RuntimeError if case == "no_inverse" else ValueError))


# ---------------------------------------------------------------- parametrizations
@pytest.mark.parametrize("layer", ["linear", "conv", "convT"])
def test_spectral_norm(layer):
    def fn(L):
        nn, P, PS = _mods(L)
        L.manual_seed(8)
        m = {"linear": lambda: nn.Linear(5, 4), "conv": lambda: nn.Conv2d(2, 3, 3),
             "convT": lambda: nn.ConvTranspose2d(2, 3, 3)}[layer]()
        PS.spectral_norm(m)
        x = L.ones(1, 5) if layer == "linear" else L.ones(1, 2, 5, 5)
        chain = m.parametrizations.weight
        res = [repr(m), list(m.state_dict()), chain[0]._u.clone(), chain[0]._v.clone()]
        y = m(x).pow(2).sum()
        y.backward()
        res += [y, chain.original.grad, chain[0]._u.clone(), chain[0].dim]
        m.eval()
        return res + [m.weight, chain[0]._u]
    _both(fn, rtol=1e-4, atol=1e-5)


def test_spectral_norm_sigma_is_one():
    m = ember.nn.utils.parametrizations.spectral_norm(ember.nn.Linear(6, 4),
                                                      n_power_iterations=30)
    for _ in range(5):
        m(ember.ones(1, 6))
    s = np.linalg.svd(m.weight.detach().numpy(), compute_uv=False)
    assert abs(s[0] - 1) < 1e-3  # torch-free: the normalized weight has spectral norm 1


def test_weight_norm_parametrization_and_compat_load():
    def fn(L):
        nn, P, PS = _mods(L)
        res = []
        for dim in (0, 1, None, -1):
            L.manual_seed(9)
            m = PS.weight_norm(nn.Linear(4, 3), dim=dim)
            y = m(L.ones(2, 4)).pow(2).sum()
            y.backward()
            chain = m.parametrizations.weight
            res += [list(m.state_dict()), y, chain.original0, chain.original0.grad,
                    chain.original1.grad]
        L.manual_seed(10)
        m = PS.weight_norm(nn.Linear(3, 2))
        sd = {"weight_g": L.full((2, 1), 2.0), "weight_v": L.ones(2, 3), "bias": L.zeros(2)}
        res.append(repr(m.load_state_dict(sd)))
        return res + [repr(m), m.weight]
    _both(fn)


@pytest.mark.parametrize("orthogonal_map", ["matrix_exp", "cayley", "householder", None])
@pytest.mark.parametrize("shape", [(4, 4), (5, 3), (3, 5), (2, 3, 3)])
def test_orthogonal(orthogonal_map, shape):
    def fn(L):
        nn, P, PS = _mods(L)
        L.manual_seed(11)
        m = nn.Linear(shape[-1], shape[-2])
        if len(shape) == 3:
            del m.weight
            m.weight = nn.Parameter(L.randn(*shape))
        PS.orthogonal(m, orthogonal_map=orthogonal_map)
        W = m.weight
        W.pow(3).sum().backward()
        chain = m.parametrizations.weight
        return [W, chain.original, chain.original.grad, chain[0].base, list(m.state_dict()),
                repr(m)]

    def own(out):
        W = out[0].detach().numpy()
        k = min(W.shape[-2:])
        gram = W @ np.swapaxes(W, -1, -2) if W.shape[-2] < W.shape[-1] else \
            np.swapaxes(W, -1, -2) @ W
        np.testing.assert_allclose(gram, np.broadcast_to(np.eye(k), gram.shape), atol=1e-5)
    _both(fn, rtol=1e-4, atol=1e-5, own=own)


@pytest.mark.parametrize("shape", [(4, 4), (5, 3), (3, 5)])
def test_orthogonal_householder_without_trivialization(shape):
    def fn(L):
        nn, P, PS = _mods(L)
        L.manual_seed(12)
        m = PS.orthogonal(nn.Linear(shape[1], shape[0]), orthogonal_map="householder",
                          use_trivialization=False)
        m.weight.sum().backward()
        chain = m.parametrizations.weight
        return [m.weight, chain.original, chain.original.grad, hasattr(chain[0], "base")]
    _both(fn, rtol=1e-4, atol=1e-5)


def test_orthogonal_assign_and_errors():
    def fn(L):
        nn, P, PS = _mods(L)
        L.manual_seed(13)
        m = PS.orthogonal(nn.Linear(3, 3))
        q = L.linalg.qr(L.randn(3, 3))[0]
        with L.no_grad():
            m.weight = q
        return [m.weight, m.parametrizations.weight.original, m.parametrizations.weight[0].base]
    _both(fn, rtol=1e-4, atol=1e-5)

    def orth(**kw):
        return lambda L: _mods(L)[2].orthogonal(L.nn.Linear(3, 3), **kw)
    check_error(orth(orthogonal_map="qr"), exc=ValueError)
    check_error(orth(name="bias"), exc=ValueError)
    check_error(orth(name="nope"), exc=ValueError)

    def no_triv(L):
        m = _mods(L)[2].orthogonal(L.nn.Linear(3, 3), use_trivialization=False)
        m.weight = L.eye(3)
    check_error(no_triv, exc=NotImplementedError)

    def complex_householder(L):
        m = L.nn.Linear(3, 3)
        m.weight = L.nn.Parameter(L.randn(3, 3, dtype=L.complex64))
        _mods(L)[2].orthogonal(m, orthogonal_map="householder")
    check_error(complex_householder, exc=ValueError)


def test_spectral_norm_of_a_vector_and_empty_list():
    def fn(L):
        L.manual_seed(14)
        m = _mods(L)[2].spectral_norm(L.nn.Linear(3, 2), "bias")
        m.bias.sum().backward()
        return [list(m.state_dict()), m.bias, m.parametrizations.bias.original.grad]
    _both(fn)
    check_error(lambda L: _mods(L)[1].ParametrizationList([], L.ones(2)), exc=ValueError)


@pytest.mark.parametrize("kw", [{"dim": 3}, {"n_power_iterations": 0}])
def test_spectral_norm_errors(kw):
    check_error(lambda L: _mods(L)[2].spectral_norm(L.nn.Linear(2, 2), **kw))
