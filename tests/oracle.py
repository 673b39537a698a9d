"""The torch-vs-ember oracle: run the same lambda on both frameworks and compare.

`check(fn, *inputs)` builds tensors from the same NumPy arrays in ember and (when installed)
torch, runs `fn(lib, *tensors)` on both, and compares shapes, dtypes, values, and, for float
inputs, the gradients of a random weighting of the outputs. Without torch, the comparison is
skipped and a float64 finite-difference check of ember's own gradients runs instead.
`check_error` compares exception type and message text.

Without torch nothing is compared with the oracle, so such a comparison is reported as a skip,
never as a pass: `check` first runs what can be checked without torch (the finite-difference
gradient check, which must pass) and then skips; `check_error` asserts the `exc`/`match` it was
given (always, with or without torch) and skips when it was given neither.
"""

import numpy as np
import pytest

import ember

try:
    import torch
except ImportError:  # the oracle is optional; the rest still runs
    torch = None

requires_torch = pytest.mark.skipif(torch is None, reason="torch (the oracle) is not installed")


def arr(shape, dtype="float32", seed=0, low=-2.0, high=2.0, noncontig=False):
    """A reproducible NumPy array: uniform floats, ints in [low, high), or random bools."""
    rng = np.random.default_rng(seed)
    shape = tuple(shape)
    if dtype == "bool":
        a = rng.random(shape) > 0.5
    elif np.dtype(dtype).kind in "iu":
        a = rng.integers(int(low), int(high), shape).astype(dtype)
    else:
        a = rng.uniform(low, high, shape).astype(dtype)
    if noncontig and a.ndim >= 2:
        a = np.ascontiguousarray(a.swapaxes(-1, -2)).swapaxes(-1, -2)  # same values, F-like
    return a


def _to(lib, a, grad, device=None):
    if isinstance(a, np.ndarray):
        t = lib.from_numpy(a.copy(order="K") if a.flags.c_contiguous else _keep_strides(a))
        if device is not None:
            t = t.to(device)
        if grad and a.dtype.kind == "f":
            t.requires_grad_(True)
        return t
    return a


def _keep_strides(a):
    b = np.empty_like(a, order="K")
    b[...] = a
    return b


def _flat(out):
    if isinstance(out, (tuple, list)):
        res = []
        for o in out:
            res.extend(_flat(o))
        return res
    return [out]


def _np(t):
    if ember.is_tensor(t):
        return t.detach().cpu().numpy()
    if torch is not None and isinstance(t, torch.Tensor):
        return t.detach().cpu().numpy()
    return t


def _dtype_name(t):
    return str(t.dtype).replace("torch.", "")


def assert_same(e, t, rtol=1e-5, atol=1e-6, what="output"):
    """Compares an ember result with a torch result (tensors or Python values)."""
    if torch is not None and isinstance(t, torch.Tensor):
        assert ember.is_tensor(e), f"{what}: ember returned {type(e).__name__}, not a Tensor"
        assert tuple(e.shape) == tuple(t.shape), f"{what}: shape {tuple(e.shape)} != " \
                                                 f"{tuple(t.shape)}"
        assert _dtype_name(e) == _dtype_name(t), f"{what}: dtype {e.dtype} != {t.dtype}"
        a, b = _np(e), _np(t)
        if a.dtype.kind in "fc":
            np.testing.assert_allclose(a, b, rtol=rtol, atol=atol, equal_nan=True, err_msg=what)
        else:
            np.testing.assert_array_equal(a, b, err_msg=what)
    elif isinstance(t, float):
        assert np.isclose(e, t, rtol=rtol, atol=atol, equal_nan=True), f"{what}: {e} != {t}"
    else:
        assert e == t, f"{what}: {e!r} != {t!r}"


def check(fn, *inputs, grad=True, rtol=1e-5, atol=1e-6, grad_rtol=None, grad_atol=None,
          seed=1234, fd=True, device=None, torch_device=None):
    """Runs fn(lib, *tensors) on ember and torch and compares outputs and input gradients.

    `device`: ember's inputs are made on it (its outputs and gradients must be there too) and
    torch's on `torch_device` (both None: cpu)."""
    e_in = [_to(ember, a, grad, device) for a in inputs]
    e_out = fn(ember, *e_in)
    if device is not None:
        _on(e_out, device)
    if torch is None:
        checked = fd and _self_check(fn, inputs, e_out, grad)
        pytest.skip("torch (the oracle) is not installed" +
                    ("; ember's gradients passed finite differences" if checked else ""))
    t_in = [_to(torch, a, grad, torch_device) for a in inputs]
    t_out = fn(torch, *t_in)
    e_flat, t_flat = _flat(e_out), _flat(t_out)
    assert len(e_flat) == len(t_flat), "different number of outputs"
    for i, (e, t) in enumerate(zip(e_flat, t_flat)):
        assert_same(e, t, rtol, atol, what=f"output {i}")
    if not grad:
        return e_out
    pairs = [(e, t) for e, t in zip(e_flat, t_flat)
             if isinstance(t, torch.Tensor) and t.requires_grad and t.dtype.is_floating_point]
    if not pairs:
        return e_out
    rng = np.random.default_rng(seed)
    e_loss, t_loss = 0, 0
    for e, t in pairs:
        w = rng.standard_normal(tuple(t.shape)).astype(_np(t).dtype)
        e_loss = e_loss + (e * ember.from_numpy(w.copy()).to(e.device)).sum()
        t_loss = t_loss + (t * torch.from_numpy(w.copy()).to(t.device)).sum()
    t_leaves = [t for t in t_in if isinstance(t, torch.Tensor) and t.requires_grad]
    e_leaves = [e for e in e_in if ember.is_tensor(e) and e.requires_grad]
    t_grads = torch.autograd.grad(t_loss, t_leaves, allow_unused=True)
    e_grads = ember.autograd.grad(e_loss, e_leaves, allow_unused=True)
    for i, (eg, tg) in enumerate(zip(e_grads, t_grads)):
        if tg is None:
            assert eg is None or not np.any(_np(eg)), f"grad {i}: torch has none"
            continue
        assert eg is not None, f"grad {i}: ember returned None"
        if device is not None:
            _on(eg, device)
        assert_same(eg, tg, grad_rtol or rtol * 10, grad_atol or atol * 10, what=f"grad {i}")
    if fd and device is None and any(isinstance(a, np.ndarray) and a.dtype == np.float64
                                     for a in inputs):
        _self_check(fn, inputs, e_out, grad)  # float64 cases also pass finite differences
    return e_out


def _on(out, device):
    """Asserts every tensor in `out` is on `device`'s type."""
    want = ember.device(device).type
    for i, o in enumerate(_flat(out)):
        if ember.is_tensor(o):
            assert o.device.type == want, f"output {i} is on {o.device}, not {want}"


def _self_check(fn, inputs, e_out, grad):
    """float64 finite differences of ember's own gradients; True when a check ran (and passed)."""
    if not grad:
        return False
    f64 = [a.astype(np.float64) if isinstance(a, np.ndarray) and a.dtype.kind == "f" else a
           for a in inputs]
    if not any(isinstance(a, np.ndarray) and a.dtype.kind == "f" for a in f64):
        return False
    ins = [_to(ember, a, True) for a in f64]
    outs = [o for o in _flat(fn(ember, *ins)) if ember.is_tensor(o)]
    if not any(o.requires_grad for o in outs):
        return False
    if not all(np.isfinite(_np(o)).all() for o in outs if o.dtype.is_floating_point):
        return False  # no derivative to check where the function itself is not finite
    diff = [t for t in ins if ember.is_tensor(t) and t.requires_grad and t.numel() <= 30]
    if not diff:
        return False

    def g(*d):
        it = iter(d)
        args = [next(it) if (ember.is_tensor(t) and t.requires_grad and t.numel() <= 30) else t
                for t in ins]
        return tuple(o for o in _flat(fn(ember, *args)) if ember.is_tensor(o) and
                     o.dtype.is_floating_point)
    ember.autograd.gradcheck(g, tuple(diff), eps=1e-6, atol=1e-4, rtol=1e-3)
    return True


def check_error(fn, *inputs, exc=None, match=None):
    """fn must raise the same exception type and message in ember as in torch; `exc` (a type)
    and `match` (the exact text), when given, are asserted too, with or without torch."""
    e_in = [_to(ember, a, False) for a in inputs]
    with pytest.raises(Exception) as ei:
        fn(ember, *e_in)
    if exc is not None:
        assert isinstance(ei.value, exc), f"{type(ei.value).__name__} is not {exc.__name__}"
    if match is not None:
        assert str(ei.value) == match, f"{str(ei.value)!r} != {match!r}"
    if torch is None:
        if exc is None and match is None:
            pytest.skip("torch (the oracle) is not installed")
        return ei.value
    t_in = [_to(torch, a, False) for a in inputs]
    with pytest.raises(Exception) as ti:
        fn(torch, *t_in)
    assert type(ei.value).__name__ == type(ti.value).__name__, \
        f"{type(ei.value).__name__} != {type(ti.value).__name__}: {ti.value}"
    assert str(ei.value) == str(ti.value)
    return ei.value
