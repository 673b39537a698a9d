"""nn.attention (sdpa_kernel), nn.DataParallel, nn.Fold/Unfold, rms_norm/RMSNorm, trapezoid,
the *_copy functions, torchvision.ops.misc.FrozenBatchNorm2d: against torch 2.13."""

import warnings

import numpy as np
import pytest

import ember
from oracle import arr, assert_same, check, check_error, requires_torch, torch


# ---------------------------------------------------------------- nn.attention
@requires_torch
def test_sdpbackend_members():
    from torch.nn.attention import SDPBackend as T

    from ember.nn.attention import SDPBackend
    assert list(SDPBackend.__members__) == list(T.__members__)
    for name in T.__members__:
        e, t = getattr(SDPBackend, name), getattr(T, name)
        assert (repr(e), str(e), int(e), e.name, e.value) == (repr(t), str(t), int(t), t.name,
                                                              t.value)
    assert (SDPBackend.MATH == 0) is (T.MATH == 0)


def _sdpa(L, backends, **kw):
    import importlib
    A = importlib.import_module(f"{L.__name__}.nn.attention")
    q = L.from_numpy(arr((1, 2, 4, 8), seed=0))
    args = kw.pop("args", (q, q, q))
    if callable(args):
        args = args(L)
    bk = [getattr(A.SDPBackend, b) for b in backends] if isinstance(backends, list) else \
        getattr(A.SDPBackend, backends)
    with A.sdpa_kernel(bk):
        return L.nn.functional.scaled_dot_product_attention(*args, **kw)


@requires_torch
@pytest.mark.parametrize("backends", [["MATH"], ["FLASH_ATTENTION"], "FLASH_ATTENTION",
                                      ["MATH", "CUDNN_ATTENTION"]])
@pytest.mark.parametrize("kw", [{}, {"is_causal": True}])
def test_sdpa_kernel_runs(backends, kw):
    assert_same(_sdpa(ember, backends, **kw), _sdpa(torch, backends, **kw), atol=1e-5)


def _q(shape, seed=0):
    return lambda L: L.from_numpy(arr(shape, seed=seed))


@requires_torch
@pytest.mark.parametrize("backends,kw", [
    (["EFFICIENT_ATTENTION"], {}), (["CUDNN_ATTENTION"], {}), (["OVERRIDEABLE"], {}), ([], {}),
    (["FLASH_ATTENTION"], {"dropout_p": 0.5}),
    (["FLASH_ATTENTION"], {"args": lambda L: (_q((2, 4, 8))(L),) * 3}),
    (["FLASH_ATTENTION"], {"args": lambda L: (_q((1, 2, 4, 8))(L), _q((1, 2, 4, 8))(L),
                                              _q((1, 2, 4, 6))(L))}),
    (["FLASH_ATTENTION"], {"args": lambda L: (_q((1, 2, 4, 8))(L), _q((2, 2, 4, 8))(L),
                                              _q((2, 2, 4, 8))(L))}),
])
def test_sdpa_kernel_no_kernel(backends, kw):
    got = {}
    for L in (ember, torch):
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            with pytest.raises(RuntimeError) as ei:
                _sdpa(L, backends, **dict(kw))
        got[L] = (str(ei.value), [str(x.message).split(" (Triggered internally")[0]
                                  for x in w])
    assert got[ember] == got[torch]


@requires_torch
def test_sdpa_kernel_restores_flags_and_checks_type():
    from ember.nn.attention import SDPBackend, _cur_sdpa_kernel_backends, sdpa_kernel
    before = _cur_sdpa_kernel_backends()
    with sdpa_kernel([SDPBackend.MATH]):
        assert _cur_sdpa_kernel_backends() == [SDPBackend.MATH]
        assert not ember.backends.cuda.flash_sdp_enabled()
    assert _cur_sdpa_kernel_backends() == before
    check_error(lambda L, a: L.nn.attention.sdpa_kernel("x").__enter__(), arr((1,)))
    assert ember.nn.attention.list_flash_attention_impls() == \
        torch.nn.attention.list_flash_attention_impls()


# ---------------------------------------------------------------- DataParallel
@requires_torch
def test_data_parallel_on_cpu():
    out = {}
    for L in (ember, torch):
        L.manual_seed(0)
        lin = L.nn.Linear(2, 3)
        m = L.nn.DataParallel(lin, device_ids=[0, 1], output_device=1)
        x = L.from_numpy(arr((4, 2)))
        out[L] = (repr(m), list(m.state_dict()), m.device_ids, m.module is lin,
                  hasattr(m, "output_device"), m(x), lin(x))
    e, t = out[ember], out[torch]
    assert e[:5] == t[:5]
    assert_same(e[5], t[5])
    np.testing.assert_array_equal(e[5].detach().numpy(), e[6].detach().numpy())


def test_data_parallel_refused_where_a_gpu_is(monkeypatch):
    monkeypatch.setattr(ember.cuda, "is_available", lambda: True)
    with pytest.raises(AttributeError, match="^ember does not implement torch.nn.DataParallel "
                                             "across GPUs yet; call the module itself$"):
        ember.nn.DataParallel(ember.nn.Linear(2, 3))


# ---------------------------------------------------------------- Fold / Unfold, RMSNorm
@requires_torch
def test_fold_unfold_modules():
    for L in (ember, torch):
        assert repr(L.nn.Unfold(2, padding=1)) == repr(torch.nn.Unfold(2, padding=1))
        assert repr(L.nn.Fold((4, 5), 2, stride=1)) == repr(torch.nn.Fold((4, 5), 2, stride=1))
    check(lambda L, x: L.nn.Unfold((2, 3), dilation=1, padding=1, stride=2)(x),
          arr((2, 3, 5, 6)))
    check(lambda L, x: L.nn.Fold((4, 5), 2)(x), arr((2, 12, 12)))


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("eps", [None, 1e-3])
def test_rms_norm(dtype, eps):
    check(lambda L, x, w: L.nn.functional.rms_norm(x, (3, 4), w, eps), arr((2, 3, 4), dtype),
          arr((3, 4), dtype, seed=1))
    check(lambda L, x: L.nn.functional.rms_norm(x, [4], eps=eps), arr((2, 3, 4), dtype))


def test_rms_norm_half_and_errors():
    check_error(lambda L, x: L.nn.functional.rms_norm(x, (4, 5)), arr((2, 3)), exc=RuntimeError,
                match="Given normalized_shape=[4, 5], expected input with shape [*4, 5], but got "
                      "input of size[2, 3]")
    check_error(lambda L, x: L.nn.functional.rms_norm(x, (3,), L.ones(2)), arr((2, 3)),
                exc=RuntimeError, match="Expected weight to be of same shape as normalized_shape,"
                                        " but got weight of shape [2] and normalized_shape = [3]")
    check_error(lambda L, x: L.nn.functional.rms_norm(x, 3), arr((2, 3)), exc=TypeError,
                match="rms_norm(): argument 'normalized_shape' (position 2) must be tuple of "
                      "ints, not int")
    x = arr((2, 4))
    h = ember.nn.functional.rms_norm(ember.from_numpy(x).half(), [4])
    xh = x.astype("float16").astype("float32")  # eps is float16's, as torch's default
    ref = xh / np.sqrt((xh * xh).mean(-1, keepdims=True) + np.finfo("float16").eps)
    assert h.dtype == ember.float16
    np.testing.assert_allclose(h.float().numpy(), ref, rtol=1e-3, atol=1e-3)
    # no finite differences: float16 rounding swallows their steps of 1e-6
    check(lambda L, x: L.nn.functional.rms_norm(x.half(), [4]).float(), x, atol=1e-3, fd=False)


@requires_torch
def test_rms_norm_module():
    for args, kw in [(([3],), {}), ((3,), {"eps": 1e-3, "elementwise_affine": False})]:
        e, t = ember.nn.RMSNorm(*args, **kw), torch.nn.RMSNorm(*args, **kw)
        assert repr(e) == repr(t) and list(e.state_dict()) == list(t.state_dict())
        assert e.eps == t.eps
    check(lambda L, x: L.nn.RMSNorm(4)(x), arr((2, 4)))


# ---------------------------------------------------------------- trapezoid, *_copy
_X34 = [[0.0, 1.0, -2.0, 0.5], [1.5, 1.0, 4.0, 2.0], [2.0, 3.5, 5.0, 1.0]]  # uneven spacings


@pytest.mark.parametrize("fn", [
    lambda L, y: L.trapezoid(y), lambda L, y: L.trapezoid(y, dx=2.5, dim=0),
    lambda L, y: L.trapz(y, dx=2), lambda L, y: L.cumulative_trapezoid(y),
    lambda L, y: L.cumulative_trapezoid(y, dx=0.5, dim=0),
    lambda L, y: L.trapezoid(y, L.tensor([0.0, 1.0, 3.0, 3.5])),
    lambda L, y: L.cumulative_trapezoid(y, L.tensor([0.0, 1.0, 3.0, 3.5])),
    # x a constant of y's shape: one computed from y would move with the finite differences
    lambda L, y: L.trapezoid(y, L.tensor(_X34), dim=0),
    lambda L, y: L.trapezoid(y[:, :0]), lambda L, y: L.cumulative_trapezoid(y[:, :0]),
])
def test_trapezoid(fn):
    check(fn, arr((3, 4)))


def test_trapezoid_int_and_errors():
    check(lambda L, y: L.trapezoid(y), arr((2, 3), "int64"), grad=False)
    check(lambda L, y: L.cumulative_trapezoid(y), arr((2, 3), "int64"), grad=False)
    check_error(lambda L, y: L.trapezoid(y, L.tensor([0.0, 1.0])), arr((2, 3)))
    check_error(lambda L, y: L.cumulative_trapezoid(y, L.tensor([0.0, 1.0])), arr((2, 3)))
    check_error(lambda L, y: L.trapezoid(y, dim=3), arr((2, 3)))
    check_error(lambda L, y: L.trapezoid(y[0, 0]), arr((2, 3)))


@pytest.mark.parametrize("fn", [
    lambda L, x: L.expand_copy(x[:, :1], (3, 4)), lambda L, x: L.permute_copy(x, (1, 0)),
    lambda L, x: L.transpose_copy(x, 0, 1), lambda L, x: L.t_copy(x),
    lambda L, x: L.view_copy(x, (4, 3)), lambda L, x: L.unsqueeze_copy(x, 1),
    lambda L, x: L.squeeze_copy(x[:1]), lambda L, x: L.diagonal_copy(x),
    lambda L, x: L.select_copy(x, 1, 2), lambda L, x: L.narrow_copy(x, 1, 1, 2),
    lambda L, x: L.unfold_copy(x, 1, 2, 1), lambda L, x: L.unbind_copy(x),
    lambda L, x: L.split_copy(x, 2, 1),
    lambda L, x: L.alias_copy(x), lambda L, x: L.split_with_sizes_copy(x, [1, 3], 1),
])
def test_view_copies(fn):
    check(fn, arr((3, 4)))


def test_detach_copy():
    check(lambda L, x: L.detach_copy(x), arr((3, 4)), grad=False)


@requires_torch
def test_view_copies_do_not_share_memory_and_types():
    for L in (ember, torch):
        x = L.zeros(3, 1)
        y = L.expand_copy(x, (3, 2))
        y += 1
        assert x.sum().item() == 0 and y.is_contiguous()
    assert type(ember.split_copy(ember.zeros(4), 2)) is type(torch.split_copy(torch.zeros(4), 2))
    assert type(ember.unbind_copy(ember.zeros(2, 2))) is \
        type(torch.unbind_copy(torch.zeros(2, 2)))


# ---------------------------------------------------------------- FrozenBatchNorm2d
def test_frozen_batch_norm_2d():
    from ember.vision.ops import FrozenBatchNorm2d
    from ember.vision.ops.misc import FrozenBatchNorm2d as F2
    assert FrozenBatchNorm2d is F2
    bn = ember.nn.BatchNorm2d(3)
    with ember.no_grad():
        bn.weight.copy_(ember.from_numpy(arr((3,), seed=1)))
        bn.bias.copy_(ember.from_numpy(arr((3,), seed=2)))
        bn.running_mean.copy_(ember.from_numpy(arr((3,), seed=3)))
        bn.running_var.copy_(ember.from_numpy(arr((3,), seed=4, low=0.5, high=2)))
    m = FrozenBatchNorm2d(3)
    m.load_state_dict(bn.state_dict())  # num_batches_tracked dropped
    assert repr(m) == "FrozenBatchNorm2d(3, eps=1e-05)"  # torchvision's __repr__ format
    assert list(m.state_dict()) == ["weight", "bias", "running_mean", "running_var"]
    assert not list(m.parameters())
    x = ember.from_numpy(arr((2, 3, 4, 4)))
    ref = bn.eval()(x)
    np.testing.assert_allclose(m(x).numpy(), ref.detach().numpy(), rtol=1e-5, atol=1e-6)
    if torch is not None:  # torch's eval-mode batch_norm: the same affine map
        t = torch.nn.functional.batch_norm(
            torch.from_numpy(arr((2, 3, 4, 4))), torch.from_numpy(arr((3,), seed=3)),
            torch.from_numpy(arr((3,), seed=4, low=0.5, high=2)),
            torch.from_numpy(arr((3,), seed=1)), torch.from_numpy(arr((3,), seed=2)))
        np.testing.assert_allclose(m(x).numpy(), t.numpy(), rtol=1e-5, atol=1e-5)


def test_torchvision_version():
    from packaging.version import Version
    assert Version(ember.vision.__version__) >= Version("0.28")
