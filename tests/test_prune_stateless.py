"""nn.utils.prune, nn.utils.stateless.functional_call and the hook-based
nn.utils.weight_norm / spectral_norm against torch 2.13: the same masks under the same seed,
state_dict keys, hooks, values, gradients, warnings and error texts."""

import importlib
import warnings

import numpy as np
import pytest

import ember
from oracle import check_error, torch
from test_parametrize import _both


def _prune(L):
    return importlib.import_module(L.__name__ + ".nn.utils.prune")


def _stateless(L):
    return importlib.import_module(L.__name__ + ".nn.utils.stateless")


def _summary(m, name="weight"):
    return [list(m.state_dict()), [n for n, _ in m.named_parameters()],
            getattr(m, name + "_mask"), getattr(m, name),
            [type(h).__name__ for h in m._forward_pre_hooks.values()]]


def test_unstructured_methods_and_container():
    def fn(L):
        PR = _prune(L)
        L.manual_seed(0)
        m = L.nn.Linear(6, 5)
        PR.random_unstructured(m, "weight", amount=0.3)
        first = _summary(m)
        PR.l1_unstructured(m, "weight", amount=4)
        second = _summary(m)
        y = m(L.ones(2, 6)).sum()
        y.backward()
        return first + second + [y, m.weight_orig.grad, PR.is_pruned(m), len(m._forward_pre_hooks),
                                 len(next(iter(m._forward_pre_hooks.values())))]

    def own(out):
        assert int(out[2].sum()) == 30 - 9 and int(out[7].sum()) == 30 - 9 - 4
    _both(fn, own=own)


@pytest.mark.parametrize("method", ["random", "ln1", "ln2", "lninf"])
@pytest.mark.parametrize("dim", [0, 1, -1])
def test_structured_methods(method, dim):
    def fn(L):
        PR = _prune(L)
        L.manual_seed(1)
        m = L.nn.Conv2d(3, 4, 3)
        if method == "random":
            PR.random_structured(m, "weight", amount=0.5, dim=dim)
        else:
            n = {"ln1": 1, "ln2": 2, "lninf": float("inf")}[method]
            PR.ln_structured(m, "weight", amount=1, n=n, dim=dim)
        PR.random_structured(m, "weight", amount=1, dim=0)  # a container, structured on top
        return _summary(m) + [m(L.ones(1, 3, 5, 5))]
    _both(fn)


def test_global_custom_identity_importance_and_remove():
    def fn(L):
        PR = _prune(L)
        L.manual_seed(2)
        a, b = L.nn.Linear(4, 4), L.nn.Linear(4, 2)
        PR.identity(a, "bias")
        PR.global_unstructured([(a, "weight"), (b, "weight")],
                               pruning_method=PR.L1Unstructured, amount=0.5)
        scores = L.arange(8.0).view(2, 4)
        PR.l1_unstructured(b, "bias", amount=1, importance_scores=L.tensor([1.0, 0.0]))
        PR.custom_from_mask(b, "weight", mask=L.tensor([[1.0, 0, 1, 1], [1, 1, 1, 0]]))
        c = L.nn.Linear(4, 2)
        PR.ln_structured(c, "weight", amount=1, n=1, dim=0, importance_scores=scores)
        res = _summary(a) + _summary(b) + [b.bias_mask, c.weight_mask]
        PR.remove(b, "weight")
        pruned = PR.L1Unstructured(amount=2).prune(L.tensor([3.0, -1, 2, 0.5]))
        return res + [list(b.state_dict()), b.weight, type(b.weight).__name__,
                      [type(h).__name__ for h in b._forward_pre_hooks.values()], pruned,
                      PR.is_pruned(L.nn.Linear(1, 1))]
    _both(fn)


def test_pruned_module_trains_and_masks_stay():
    e = ember.nn.Linear(3, 3)
    _prune(ember).l1_unstructured(e, "weight", amount=3)
    opt = ember.optim.SGD(e.parameters(), lr=0.5)
    for _ in range(2):
        opt.zero_grad()
        e(ember.ones(1, 3)).sum().backward()
        opt.step()
    e(ember.ones(1, 3))  # the hook refreshes weight from weight_orig
    mask = e.weight_mask.numpy()
    assert mask.sum() == 6
    assert np.all(e.weight.detach().numpy()[mask == 0] == 0)


@pytest.mark.parametrize("case", ["amount_type", "amount_neg", "amount_float", "amount_big",
                                  "dim", "one_dim", "global_structured", "remove",
                                  "importance_shape", "container_name"])
def test_prune_errors(case):
    def fn(L):
        PR = _prune(L)
        m = L.nn.Linear(3, 2)
        if case == "amount_type":
            PR.l1_unstructured(m, "weight", amount="1")
        elif case == "amount_neg":
            PR.random_unstructured(m, "weight", amount=-1)
        elif case == "amount_float":
            PR.l1_unstructured(m, "weight", amount=1.5)
        elif case == "amount_big":
            PR.l1_unstructured(m, "weight", amount=7)
        elif case == "dim":
            PR.ln_structured(m, "weight", amount=1, n=2, dim=2)
        elif case == "one_dim":
            PR.random_structured(m, "bias", amount=1, dim=0)
        elif case == "global_structured":
            PR.global_unstructured([(m, "weight")], pruning_method=PR.RandomStructured,
                                   amount=1)
        elif case == "remove":
            PR.remove(m, "weight")
        elif case == "importance_shape":
            PR.l1_unstructured(m, "weight", amount=1, importance_scores=L.ones(3))
        else:
            c = PR.PruningContainer(PR.Identity())
            c._tensor_name = "weight"
            other = PR.Identity()
            other._tensor_name = "bias"
            c.add_pruning_method(other)
        return m
    if case != "global_structured":
        check_error(fn)
        return
    # the message names the method's class, whose module path is ember's here
    with pytest.raises(TypeError) as ei:
        fn(ember)
    if torch is None:
        pytest.skip("torch (the oracle) is not installed")
    with pytest.raises(TypeError) as ti:
        fn(torch)
    assert str(ei.value) == str(ti.value).replace("'torch.", "'ember.")


def test_failed_prune_leaves_module_as_it_was():
    def fn(L):
        m = L.nn.Linear(3, 2)
        try:
            _prune(L).l1_unstructured(m, "weight", amount=7)
        except ValueError:
            pass
        return [list(m.state_dict()), len(m._forward_pre_hooks)]

    def own(out):  # weight is registered again, after bias (as torch does)
        assert out == [["bias", "weight"], 0]
    _both(fn, own=own)


# ---------------------------------------------------------------- stateless
def test_functional_call_values_grads_and_restore():
    def fn(L):
        L.manual_seed(3)
        m = L.nn.Sequential(L.nn.Linear(3, 2), L.nn.BatchNorm1d(2))
        before = m[0].weight.detach().clone()
        w = L.randn(2, 3, requires_grad=True)
        params = {"0.weight": w, "1.running_mean": L.ones(2)}
        with warnings.catch_warnings(record=True) as rec:
            warnings.simplefilter("always")
            y = _stateless(L).functional_call(m, params, L.arange(12.0).view(4, 3).sin())
        y.pow(2).sum().backward()
        return [y, w.grad, m[0].weight, before, m[1].running_mean, params["1.running_mean"],
                [str(r.message) for r in rec], [r.category.__name__ for r in rec],
                m[0].weight.grad is None]

    def own(out):  # the module's own weight is back
        np.testing.assert_array_equal(out[2].detach().numpy(), out[3].numpy())
    _both(fn, rtol=1e-3, atol=1e-5, own=own)  # gradients through batch norm: float32 noise


def test_functional_call_tied_strict_kwargs_and_func_form():
    def fn(L):
        S = _stateless(L)
        m = L.nn.Linear(2, 2, bias=False)
        m.other = m.weight  # tied
        m.forward = lambda x, scale=1.0: L.nn.functional.linear(x, m.weight + m.other) * scale
        x = L.ones(1, 2)
        res = [S._functional_call(m, {"weight": L.ones(2, 2)}, (x,), {"scale": 2.0}),
               S._functional_call(m, {"weight": L.ones(2, 2)}, x, tie_weights=False)]
        try:
            S._functional_call(m, {"weight": L.ones(2, 2), "other": L.zeros(2, 2)}, x)
        except ValueError as e:
            res.append(str(e))
        try:
            S._functional_call(m, {"nope": L.ones(1)}, x, strict=True)
        except RuntimeError as e:
            res.append(str(e))
        return res
    _both(fn)
    m = ember.nn.Linear(2, 1)
    S = _stateless(ember)
    y = S._func_functional_call(m, ({"weight": ember.ones(1, 2)}, {"bias": ember.zeros(1)}),
                                (ember.ones(1, 2),))
    assert y.item() == 2.0
    if torch is not None:
        t = torch.func.functional_call(torch.nn.Linear(2, 1), ({"weight": torch.ones(1, 2)},
                                       {"bias": torch.zeros(1)}), (torch.ones(1, 2),))
        assert t.item() == y.item()
    for bad in (({"bias": ember.ones(1)}, {"bias": ember.ones(1)}), [1], 3):
        with pytest.raises(ValueError):
            S._func_functional_call(m, bad, (ember.ones(1, 2),))


def test_functional_call_on_parametrized_module():
    def fn(L):
        P = importlib.import_module(L.__name__ + ".nn.utils.parametrizations")
        L.manual_seed(4)
        m = P.weight_norm(L.nn.Linear(3, 2))
        g = L.ones(2, 1)
        y = _stateless(L)._functional_call(
            m, {"parametrizations.weight.original0": g}, (L.ones(1, 3),))
        return [y, m(L.ones(1, 3))]
    _both(fn)


def test_functional_call_through_a_parametrized_name():
    def fn(L):  # assigning `weight` runs right_inverse in, and again to put the original back
        calls = []

        class Double(L.nn.Module):
            def forward(self, x):
                return 2 * x

            def right_inverse(self, x):
                calls.append(1)
                return x / 2
        L.manual_seed(8)
        m = L.nn.Linear(2, 2)
        importlib.import_module(L.__name__ + ".nn.utils.parametrize").register_parametrization(
            m, "weight", Double())
        before = m.weight.detach().clone()
        params = {"weight": L.ones(2, 2)}
        y = _stateless(L)._functional_call(m, params, (L.ones(1, 2),))
        return [len(calls), y, m.weight, before, params["weight"]]
    _both(fn)


# ---------------------------------------------------------------- hook-based norms
def test_weight_norm_hook():
    def fn(L):
        L.manual_seed(5)
        m = L.nn.Conv1d(2, 3, 2)
        with warnings.catch_warnings(record=True) as rec:
            warnings.simplefilter("always")
            L.nn.utils.weight_norm(m, dim=1)
        y = m(L.ones(1, 2, 4)).pow(2).sum()
        y.backward()
        res = [str(rec[0].message), rec[0].category.__name__, list(m.state_dict()), y,
               m.weight_g.grad, m.weight_v.grad, type(m.weight).__name__]
        L.nn.utils.remove_weight_norm(m)
        return res + [list(m.state_dict()), m.weight, len(m._forward_pre_hooks)]
    _both(fn)

    def twice(L):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            m = L.nn.utils.weight_norm(L.nn.Linear(2, 2))
            L.nn.utils.weight_norm(m)
    check_error(twice, exc=RuntimeError)
    check_error(lambda L: L.nn.utils.remove_weight_norm(L.nn.Linear(2, 2)), exc=ValueError)


def test_spectral_norm_hook():
    def fn(L):
        L.manual_seed(6)
        m = L.nn.utils.spectral_norm(L.nn.ConvTranspose1d(2, 3, 2))
        res = [list(m.state_dict()), dict(m.state_dict()._metadata), m.weight_u, m.weight_v]
        y = m(L.ones(1, 2, 3)).pow(2).sum()
        y.backward()
        res += [y, m.weight_orig.grad, m.weight_u, m.weight_v]
        m.eval()
        m(L.ones(1, 2, 3))
        res.append(m.weight)
        L.nn.utils.remove_spectral_norm(m)
        return res + [list(m.state_dict()), m.weight, len(m._state_dict_hooks)]
    _both(fn, rtol=1e-4, atol=1e-5)

    def twice(L):
        L.nn.utils.spectral_norm(L.nn.utils.spectral_norm(L.nn.Linear(2, 2)))
    check_error(twice, exc=RuntimeError)
    check_error(lambda L: L.nn.utils.remove_spectral_norm(L.nn.Linear(2, 2)), exc=ValueError)
    check_error(lambda L: L.nn.utils.spectral_norm(L.nn.Linear(2, 2), n_power_iterations=0),
                exc=ValueError)


def test_spectral_norm_hook_loads_version_zero_checkpoint():
    def fn(L):
        L.manual_seed(7)
        m = L.nn.utils.spectral_norm(L.nn.Linear(2, 3))  # W^T W full rank: v is unique
        w = L.tensor([[1.0, 2], [3, -1], [0.5, 4]])
        sd = {"weight_orig": w, "weight": w / 4, "weight_u": L.tensor([0.6, 0.0, 0.8]),
              "bias": L.zeros(3)}
        r = m.load_state_dict(sd)
        return [repr(r), m.weight_v, m.weight_u]
    _both(fn, rtol=1e-4, atol=1e-5)


def test_module_load_state_dict_pre_hooks():
    def fn(L):
        seen = []

        def rename(module, state_dict, prefix, local_metadata, strict, missing, unexpected,
                   errors):
            seen.append((type(module).__name__, prefix, sorted(local_metadata)))
            if prefix + "w" in state_dict:
                state_dict[prefix + "weight"] = state_dict.pop(prefix + "w")
        m = L.nn.Sequential(L.nn.Linear(2, 2))
        handle = m[0].register_load_state_dict_pre_hook(rename)
        sd = {"0.w": L.ones(2, 2), "0.bias": L.zeros(2)}
        r1 = repr(m.load_state_dict(sd))
        handle.remove()
        r2 = repr(m.load_state_dict({"0.w": L.ones(2, 2), "0.bias": L.zeros(2)}, strict=False))
        return [seen, r1, r2, m[0].weight]
    _both(fn)


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # jit.trace/script deprecations
def test_jit_refusals():
    def traced_with_cache(L):
        P = importlib.import_module(L.__name__ + ".nn.utils.parametrize")
        m = L.nn.Linear(2, 2)
        P.register_parametrization(m, "weight", L.nn.Identity())
        with P.cached():
            L.jit.trace(m, L.ones(1, 2))
    check_error(traced_with_cache, exc=RuntimeError)

    def scripted(L):
        m = L.jit.script(L.nn.Linear(2, 2))
        _stateless(L)._functional_call(m, {}, (L.ones(1, 2),))
    check_error(scripted, exc=RuntimeError)
