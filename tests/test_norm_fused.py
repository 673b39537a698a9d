"""The fused layer_norm / group_norm / batch_norm kernels (`ember.nn._norm_fused`): values and
gradients against torch, the fused path against the composite it replaces (no torch needed),
torch's single graph node (name, edges, saved values), double backward, retain_graph, hooks,
saved-tensor hooks and in-place checks."""

import numpy as np
import pytest

import ember
from ember.autograd.function import _FREED
from ember.nn import _norm_fused
from oracle import arr, check, check_error, requires_torch, torch


def F(L):
    return L.nn.functional


def _ln(ns):
    return lambda L, x, w=None, b=None: F(L).layer_norm(x, ns, w, b, eps=1e-4)


def _gn(g):
    return lambda L, x, w=None, b=None: F(L).group_norm(x, g, w, b, eps=1e-4)


def _bn_train(L, x, w=None, b=None):
    return F(L).batch_norm(x, None, None, w, b, training=True, eps=1e-4)


def _bn_eval(L, x, w=None, b=None):
    C = x.shape[1] if x.dim() > 1 else x.shape[0]
    rm = L.from_numpy(arr((C,), str(x.dtype).split(".")[-1], seed=7))
    rv = L.from_numpy(arr((C,), str(x.dtype).split(".")[-1], seed=8, low=0.5, high=2.0))
    return F(L).batch_norm(x, rm, rv, w, b, training=False, eps=1e-4)


# (name, fn, input shape, parameter shape or None)
CASES = [
    ("ln_1d", _ln((7,)), (7,), (7,)),
    ("ln_2d", _ln((6,)), (5, 6), (6,)),
    ("ln_3d", _ln((8,)), (3, 4, 8), (8,)),
    ("ln_3d_ns2", _ln((4, 5)), (3, 4, 5), (4, 5)),
    ("ln_4d_ns2", _ln((3, 4)), (2, 3, 3, 4), (3, 4)),
    ("gn_2d", _gn(2), (3, 4), (4,)),
    ("gn_3d", _gn(3), (2, 6, 5), (6,)),
    ("gn_4d", _gn(2), (2, 4, 3, 3), (4,)),
    ("bn_train_2d", _bn_train, (6, 5), (5,)),
    ("bn_train_3d", _bn_train, (3, 4, 5), (4,)),
    ("bn_train_4d", _bn_train, (2, 3, 4, 4), (3,)),
    ("bn_eval_2d", _bn_eval, (4, 5), (5,)),
    ("bn_eval_4d", _bn_eval, (2, 3, 4, 4), (3,)),
]
IDS = [c[0] for c in CASES]
AFFINE = ["wb", "w", "b", "none"]


def _inputs(shape, pshape, affine, dtype):
    x = arr(shape, dtype, seed=1) * 1.5 + 0.25
    w = arr(pshape, dtype, seed=2) if "w" in affine else None
    b = arr(pshape, dtype, seed=3) if "b" in affine else None
    return x, w, b


def _call(fn, x, w, b):
    return lambda L, *t: fn(L, t[0], *(_pick(t[1:], w, b)))


def _pick(rest, w, b):
    it = iter(rest)
    return (next(it) if w is not None else None, next(it) if b is not None else None)


@pytest.mark.parametrize("affine,dtype", [(a, "float32") for a in AFFINE] +
                         [("wb", "float64"), ("none", "float64")])
@pytest.mark.parametrize("name,fn,shape,pshape", CASES, ids=IDS)
def test_values_and_gradients(name, fn, shape, pshape, affine, dtype):
    if name.startswith("gn") and affine == "b":
        pytest.skip("torch 2.13's group_norm backward fails with a bias and no weight")
    x, w, b = _inputs(shape, pshape, affine, dtype)
    tol = dict(rtol=1e-5, atol=1e-5) if dtype == "float32" else dict(rtol=1e-10, atol=1e-10)
    check(_call(fn, x, w, b), *[a for a in (x, w, b) if a is not None], fd=False, **tol)


def _run(fn, x, w, b, fused, create_graph=False):
    """(output, gradients of a fixed weighting) on ember, fused or composite."""
    ts = [None if a is None else ember.from_numpy(a.copy()).requires_grad_() for a in (x, w, b)]
    real = _norm_fused.eligible
    if not fused:
        _norm_fused.eligible = lambda *a: False
    try:
        y = fn(ember, *ts)
    finally:
        _norm_fused.eligible = real
    node = y.grad_fn
    assert (node._fast is not None) == fused
    g = ember.from_numpy(arr(tuple(y.shape), x.dtype.name, seed=9))
    leaves = [t for t in ts if t is not None]
    grads = ember.autograd.grad(y, leaves, g, create_graph=create_graph)
    return y, grads


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("affine", ["wb", "none"])
@pytest.mark.parametrize("name,fn,shape,pshape", CASES, ids=IDS)
def test_fused_matches_composite(name, fn, shape, pshape, affine, dtype):
    x, w, b = _inputs(shape, pshape, affine, dtype)
    tol = dict(rtol=2e-5, atol=2e-5) if dtype == "float32" else dict(rtol=1e-12, atol=1e-12)
    yf, gf = _run(fn, x, w, b, True)
    yc, gc = _run(fn, x, w, b, False)
    np.testing.assert_allclose(yf.detach().numpy(), yc.detach().numpy(), **tol)
    assert yf.dtype is yc.dtype and yf.shape == yc.shape
    for a, c in zip(gf, gc):
        assert a.dtype is c.dtype and a.shape == c.shape
        np.testing.assert_allclose(a.numpy(), c.numpy(), **tol)
    # create_graph recomputes the composite from the fused node: same first-order gradients
    _, gg = _run(fn, x, w, b, True, create_graph=True)
    for a, c in zip(gg, gf):
        np.testing.assert_allclose(a.detach().numpy(), c.numpy(), **tol)


@pytest.mark.parametrize("name,fn,shape,pshape", CASES, ids=IDS)
def test_double_backward(name, fn, shape, pshape):
    x, w, b = _inputs(shape, pshape, "wb", "float64")

    def f(L, x, w, b):
        y = fn(L, x, w, b)
        g = L.from_numpy(arr(tuple(y.shape), "float64", seed=9))
        gx, gw = L.autograd.grad((y * y).sum() * 0.5 + (y * g).sum(), (x, w), create_graph=True)
        return (gx * gx).sum() + (gw * gw.sin()).sum()
    check(f, x, w, b, rtol=1e-8, atol=1e-8, fd=False)


def _grads_of(t_or_e, fn, x, w, b, mask):
    L = t_or_e
    ts = [None if a is None else L.from_numpy(a.copy()).requires_grad_(m)
          for a, m in zip((x, w, b), mask)]
    return fn(L, *ts)


@requires_torch
@pytest.mark.parametrize("mask", [(True, True, True), (False, True, False), (True, False, True),
                                  (False, False, True)])
@pytest.mark.parametrize("name,fn,shape,pshape", CASES, ids=IDS)
def test_node_matches_torch(name, fn, shape, pshape, mask):
    x, w, b = _inputs(shape, pshape, "wb", "float32")
    ye = _grads_of(ember, fn, x, w, b, mask)
    yt = _grads_of(torch, fn, x, w, b, mask)
    ne, nt = ye.grad_fn, yt.grad_fn
    assert ne.name() == nt.name()
    assert [None if f is None else f.name() for f, _ in ne.next_functions] == \
        [None if f is None else f.name() for f, _ in nt.next_functions]
    assert [n for _, n in ne.next_functions] == [n for _, n in nt.next_functions]
    saved = sorted(a for a in dir(nt) if a.startswith("_saved_"))
    assert sorted(a for a in dir(ne) if a.startswith("_saved_")) == saved
    for a in saved:
        e, t = getattr(ne, a), getattr(nt, a)
        if isinstance(t, torch.Tensor):
            np.testing.assert_allclose(e.detach().numpy(), t.detach().numpy(), rtol=1e-5,
                                       atol=1e-5, err_msg=a)
            assert e.shape == t.shape, a
        elif t is None:
            assert e is None, a
        else:
            assert e == t, a


def test_retain_graph_and_freed():
    x, w, b = _inputs((4, 6), (6,), "wb", "float32")
    for fn in (_ln((6,)), _gn(3), _bn_train):
        ts = [ember.from_numpy(a).requires_grad_() for a in (x, w, b)]
        y = fn(ember, *ts).sum()
        y.backward(retain_graph=True)
        first = [t.grad.numpy().copy() for t in ts]
        y.backward()
        for t, f in zip(ts, first):
            np.testing.assert_allclose(t.grad.numpy(), 2 * f, rtol=1e-6, atol=1e-6)
        with pytest.raises(RuntimeError) as e:
            y.backward()
        assert str(e.value) == _FREED


def test_inplace_modified_input():
    x = arr((3, 6), seed=1)
    check_error(lambda L, x: _modified(L, x), x, exc=RuntimeError)


def _modified(L, x):
    x = x.clone().requires_grad_()
    h = x * 1
    y = F(L).layer_norm(h, (6,))
    h.add_(1)
    y.sum().backward()


@pytest.mark.filterwarnings("ignore:Anomaly Detection")
def test_node_hooks_and_anomaly():
    x, w, b = _inputs((4, 6), (6,), "wb", "float64")
    _, ref = _run(_ln((6,)), x, w, b, True)
    ts = [ember.from_numpy(a.copy()).requires_grad_() for a in (x, w, b)]
    y = _ln((6,))(ember, *ts)
    seen = []
    y.grad_fn.register_prehook(lambda g: (g[0] * 2,))
    y.grad_fn.register_hook(lambda gi, go: seen.append(len(gi)))
    with ember.autograd.detect_anomaly():
        got = ember.autograd.grad(y, ts, ember.from_numpy(arr((4, 6), "float64", seed=9)))
    assert seen == [3]
    for a, r in zip(got, ref):
        np.testing.assert_allclose(a.numpy(), 2 * r.numpy(), rtol=1e-12, atol=1e-12)


def test_saved_tensor_hooks_use_the_composite():
    x, w, b = _inputs((4, 6), (6,), "wb", "float64")
    _, ref = _run(_gn(2), x, w, b, True)
    ts = [ember.from_numpy(a.copy()).requires_grad_() for a in (x, w, b)]
    packed = []
    with ember.autograd.graph.saved_tensors_hooks(lambda t: packed.append(1) or t, lambda t: t):
        y = _gn(2)(ember, *ts)
    assert packed and y.grad_fn._fast is None
    got = ember.autograd.grad(y, ts, ember.from_numpy(arr((4, 6), "float64", seed=9)))
    for a, r in zip(got, ref):
        np.testing.assert_allclose(a.numpy(), r.numpy(), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("name,fn,shape,pshape", CASES, ids=IDS)
def test_no_grad_matches(name, fn, shape, pshape):
    x, w, b = _inputs(shape, pshape, "wb", "float32")
    ts = [ember.from_numpy(a.copy()) for a in (x, w, b)]
    with ember.no_grad():
        y = fn(ember, *ts)
    assert y.grad_fn is None and not y.requires_grad
    yc, _ = _run(fn, x, w, b, False)
    np.testing.assert_allclose(y.numpy(), yc.detach().numpy(), rtol=2e-5, atol=2e-5)


def test_batch_norm_running_stats_fused_and_no_grad():
    x = arr((6, 3, 4), seed=1)
    out = []
    for grad in (True, False):
        rm, rv = ember.zeros(3), ember.ones(3)
        t = ember.from_numpy(x.copy()).requires_grad_(grad)
        F(ember).batch_norm(t, rm, rv, training=True, momentum=0.2)
        out.append((rm.numpy(), rv.numpy()))
    mean = x.mean((0, 2))
    var = x.var((0, 2), ddof=1)
    for rm, rv in out:
        np.testing.assert_allclose(rm, 0.2 * mean, rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(rv, 0.8 + 0.2 * var, rtol=1e-5, atol=1e-6)


def test_fused_only_for_float32_float64():
    for dt in (ember.float16,):  # (bfloat16 takes the same route: tests/test_bfloat16.py)
        x = ember.randn(3, 4, dtype=dt, requires_grad=True)
        y = F(ember).layer_norm(x, (4,))
        assert y.dtype is dt and getattr(y.grad_fn, "_fast", None) is None
        assert not _norm_fused.eligible(x)
    x = ember.randn(3, 4, requires_grad=True)
    assert F(ember).layer_norm(x, (4,), ember.ones(4, dtype=ember.float64)).grad_fn._fast is None
