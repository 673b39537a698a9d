"""nn.utils gradient clipping and parameter/vector conversion against live torch."""

import math

import numpy as np
import pytest

import ember
import ember.nn.utils
from oracle import requires_torch, torch

SHAPES = [(4, 3), (3,), (2, 2, 2)]


def _params(lib, seed=0, scale=1.0, dtype=np.float32, with_none=False):
    rng = np.random.default_rng(seed)
    ps = []
    for i, s in enumerate(SHAPES):
        p = lib.from_numpy(rng.standard_normal(s).astype(dtype)).requires_grad_()
        if not (with_none and i == 1):
            p.grad = lib.from_numpy((rng.standard_normal(s) * scale).astype(dtype))
        ps.append(p)
    return ps


def _grads_close(ep, tp, rtol=1e-6):
    for e, t in zip(ep, tp):
        if t.grad is None:
            assert e.grad is None
            continue
        np.testing.assert_allclose(e.grad.numpy(), t.grad.numpy(), rtol=rtol, atol=1e-7)


@requires_torch
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("norm_type", [2.0, 1, 3.5, 0.5, math.inf, -math.inf, 0, "inf"])
@pytest.mark.parametrize("max_norm", [0.5, 1e3])
def test_clip_grad_norm_matches_torch(norm_type, max_norm, dtype):
    ep, tp = _params(ember, dtype=dtype, with_none=True), _params(torch, dtype=dtype,
                                                                  with_none=True)
    en = ember.nn.utils.clip_grad_norm_(ep, max_norm, norm_type=norm_type)
    tn = torch.nn.utils.clip_grad_norm_(tp, max_norm, norm_type=norm_type)
    assert isinstance(en, ember.Tensor) and str(en.dtype) == str(tn.dtype) and en.ndim == 0
    np.testing.assert_allclose(float(en), float(tn), rtol=1e-6)
    _grads_close(ep, tp)


@requires_torch
def test_clip_grad_norm_single_tensor_foreach_and_bumps_version():
    e, t = _params(ember)[0], _params(torch)[0]
    v = e.grad._version
    en = ember.nn.utils.clip_grad_norm_(e, 0.1, foreach=True)
    tn = torch.nn.utils.clip_grad_norm_(t, 0.1, foreach=True)
    np.testing.assert_allclose(float(en), float(tn), rtol=1e-6)
    _grads_close([e], [t])
    assert e.grad._version > v


@requires_torch
@pytest.mark.parametrize("bad", [math.nan, math.inf])
def test_nonfinite_norm_error_matches_torch(bad):
    msgs = []
    for lib in (ember, torch):
        ps = _params(lib)
        ps[0].grad[0, 0] = bad
        with pytest.raises(RuntimeError) as info:
            lib.nn.utils.clip_grad_norm_(ps, 1.0, error_if_nonfinite=True)
        msgs.append(str(info.value))
        total = lib.nn.utils.clip_grad_norm_(ps, 1.0)  # no error: scales by the bad norm
        assert not math.isfinite(float(total))
    assert msgs[0] == msgs[1]


@requires_torch
def test_empty_and_no_grads_like_torch():
    for lib in (ember, torch):
        p = lib.zeros(3, requires_grad=True)
        total = lib.nn.utils.clip_grad_norm_([p], 1.0)
        assert float(total) == 0.0 and p.grad is None
        with pytest.warns(UserWarning, match="empty generator"):
            lib.nn.utils.clip_grad_norm_((q for q in []), 1.0)


@requires_torch
def test_get_total_norm_and_clip_grads_with_norm():
    ep, tp = _params(ember, scale=5.0), _params(torch, scale=5.0)
    en = ember.nn.utils.get_total_norm([p.grad for p in ep], 3.0)
    tn = torch.nn.utils.get_total_norm([p.grad for p in tp], 3.0)
    np.testing.assert_allclose(float(en), float(tn), rtol=1e-6)
    ember.nn.utils.clip_grads_with_norm_(ep, 2.0, en)
    torch.nn.utils.clip_grads_with_norm_(tp, 2.0, tn)
    _grads_close(ep, tp)


@requires_torch
@pytest.mark.parametrize("clip", [0.1, 0.7, 10])
def test_clip_grad_value_matches_torch(clip):
    ep, tp = _params(ember, with_none=True), _params(torch, with_none=True)
    assert ember.nn.utils.clip_grad_value_(ep, clip) is None
    torch.nn.utils.clip_grad_value_(tp, clip)
    _grads_close(ep, tp, rtol=0)


def test_clip_grad_value_handles_single_tensor():
    p = ember.zeros(3, requires_grad=True)
    p.grad = ember.tensor([-2.0, 0.5, 3.0])
    ember.nn.utils.clip_grad_value_(p, 1.0)
    assert p.grad.tolist() == [-1.0, 0.5, 1.0]


def test_clip_grad_norm_scales_to_max_norm():
    p = ember.zeros(2, requires_grad=True)
    p.grad = ember.tensor([3.0, 4.0])
    total = ember.nn.utils.clip_grad_norm_([p], 1.0)
    assert float(total) == 5.0
    np.testing.assert_allclose(p.grad.numpy(), [0.6, 0.8], rtol=1e-6)


@requires_torch
def test_parameters_to_vector_and_back():
    ep, tp = _params(ember), _params(torch)
    ev, tv = (ember.nn.utils.parameters_to_vector(ep),
              torch.nn.utils.parameters_to_vector(tp))
    np.testing.assert_array_equal(ev.detach().numpy(), tv.detach().numpy())
    assert ev.requires_grad and tuple(ev.shape) == (23,)
    (ev * ember.arange(23.0)).sum().backward()
    (tv * torch.arange(23.0)).sum().backward()
    _grads_close(ep, tp, rtol=0)
    new = np.arange(23, dtype=np.float32) / 7
    with ember.no_grad():
        ember.nn.utils.vector_to_parameters(ember.from_numpy(new.copy()), ep)
    with torch.no_grad():
        torch.nn.utils.vector_to_parameters(torch.from_numpy(new.copy()), tp)
    for e, t in zip(ep, tp):
        assert tuple(e.shape) == tuple(t.shape)
        np.testing.assert_array_equal(e.detach().numpy(), t.detach().numpy())


@requires_torch
def test_vector_to_parameters_type_error_matches_torch():
    msgs = []
    for lib in (ember, torch):
        with pytest.raises(TypeError) as info:
            lib.nn.utils.vector_to_parameters(np.zeros(3), [lib.zeros(3)])
        msgs.append(str(info.value))
    assert msgs[0] == msgs[1]
