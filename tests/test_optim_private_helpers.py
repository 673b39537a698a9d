"""torch.optim.optimizer's module-level helpers that custom optimizers import (ParamsT, the
differentiable-step decorator, the fused/foreach choice, device-dtype grouping) against torch."""
import importlib

import pytest

import ember

try:
    import torch
except ImportError:
    torch = None


def _opt(L):
    return importlib.import_module(L.__name__ + ".optim.optimizer")


def _cases(L):
    O = _opt(L)
    p = [L.nn.Parameter(L.ones(2)), L.ones(2, dtype=L.float64), L.ones(3)]
    out = [O._default_to_fused_or_foreach(p, False, True),
           O._default_to_fused_or_foreach(p, False, False),
           O._default_to_fused_or_foreach(p, True, True),
           O._default_to_fused_or_foreach(p + [L.ones(2, dtype=L.int64)], False, True),
           O._default_to_fused_or_foreach([None], False, True),
           O._get_capturable_supported_devices(), O._get_capturable_supported_devices(False)]
    for lists, idx in (([p, [None, L.zeros(2), L.zeros(3)]], True), ([p], False),
                       ([p, []], True)):
        g = O.Optimizer._group_tensors_by_device_and_dtype(lists, with_indices=idx)
        out.append({repr(k): repr(v) for k, v in g.items()})  # torch's order is unspecified
    with pytest.raises(RuntimeError):
        O.Optimizer._group_tensors_by_device_and_dtype([p, [L.zeros(1)]])
    return out


def _step_modes(L):
    seen = []

    class Opt(L.optim.Optimizer):
        def __init__(self, params, differentiable):
            super().__init__(params, {"differentiable": differentiable})

        @_opt(L)._use_grad_for_differentiable
        def step(self, closure=None):
            "doc"
            seen.append(L.is_grad_enabled())

    w = L.nn.Parameter(L.ones(1))
    Opt([w], False).step()
    Opt([w], True).step()
    with L.no_grad():
        Opt([w], True).step()
    seen += [L.is_grad_enabled(), Opt.step.__doc__, Opt.step.__name__]
    return seen


def test_helpers_choose_and_group_as_torch():
    got = _cases(ember)
    assert got[0] == (True, False)  # fused is available on the CPU, foreach only on GPUs
    if torch is None:
        pytest.skip("torch (the oracle) is not installed")
    assert got == _cases(torch)


def test_use_grad_for_differentiable_sets_and_restores_grad_mode():
    got = _step_modes(ember)
    assert got[:4] == [False, True, True, True]
    if torch is None:
        pytest.skip("torch (the oracle) is not installed")
    assert got == _step_modes(torch)


def test_params_type_alias():
    from typing import get_args
    assert len(get_args(ember.optim.optimizer.ParamsT)) == 3
