"""Autograd against torch: leaves, grad accumulation, graph structure, backward/grad options,
double backward, grad modes, hooks, custom Functions, gradcheck, anomaly detection and the
freeing of graphs. Most cases run one lambda on both frameworks (`same`)."""

import gc
import math
import warnings
import weakref

import numpy as np
import pytest

import ember
from oracle import arr, assert_same, torch

LIBS = [ember] if torch is None else [ember, torch]


def same(fn, *arrays, rtol=1e-5, atol=1e-6):
    """Runs fn(L, *leaves) on ember and torch; compares every returned value."""
    outs = []
    for L in LIBS:
        leaves = [L.from_numpy(a.copy()).requires_grad_() for a in arrays]
        outs.append(fn(L, *leaves))
    if torch is None:
        return outs[0]
    _compare(outs[0], outs[1], rtol, atol)
    return outs[0]


def _compare(e, t, rtol, atol, what="result"):
    if isinstance(t, (tuple, list)):
        assert isinstance(e, (tuple, list)) and len(e) == len(t), f"{what}: {e!r} vs {t!r}"
        for i, (a, b) in enumerate(zip(e, t)):
            _compare(a, b, rtol, atol, f"{what}[{i}]")
    elif t is None:
        assert e is None, f"{what}: {e!r} is not None"
    else:
        assert_same(e, t, rtol, atol, what)


def _graph(fn):
    """grad_fn names as nested (name, children) tuples, as torch shows them."""
    if fn is None:
        return None
    return (fn.name(), tuple(_graph(n) for n, _ in fn.next_functions))


x3 = arr((3,), "float64", seed=1)
m23 = arr((2, 3), "float64", seed=2)


# ---------------------------------------------------------------- leaves and .grad
def test_leaf_flags():
    def f(L, x):
        y = x * 2
        z = L.ones(3)
        d = y.detach()
        return [x.is_leaf, x.requires_grad, y.is_leaf, y.requires_grad, z.is_leaf,
                z.requires_grad, d.is_leaf, d.requires_grad, x.grad_fn is None,
                y.grad_fn.name(), (z * x).requires_grad, (z * 2).requires_grad]
    same(f, x3)


def test_grad_accumulates_across_backward_calls():
    def f(L, x):
        (x * x).sum().backward()
        g1 = x.grad.clone()
        (x * 3).sum().backward()
        g2 = x.grad.clone()
        x.grad.zero_()
        (x ** 3).sum().backward()
        return g1, g2, x.grad
    same(f, x3)


def test_grad_is_none_before_backward_and_for_unused():
    def f(L, x, y):
        (x * 2).sum().backward()
        return x.grad, y.grad
    same(f, x3, x3)


def test_grad_set_to_none_then_backward():
    def f(L, x):
        (x * 2).sum().backward()
        x.grad = None
        (x * 5).sum().backward()
        return x.grad
    same(f, x3)


def test_grad_of_broadcast_inputs_is_summed():
    def f(L, a, b, c):
        (a * b + c).sum().backward()
        return a.grad, b.grad, c.grad
    same(f, m23, arr((3,), "float64", seed=3), arr((), "float64", seed=4))


def test_same_leaf_used_many_times():
    def f(L, x):
        y = x * x + x.exp() * x - x.sin()
        y.sum().backward()
        return x.grad
    same(f, x3)


def test_backward_dtype_promotion():
    def f(L, x):
        y = (x.float() * L.ones(3, dtype=L.float64)).sum()
        y.backward()
        return x.grad
    same(f, x3.astype(np.float32))


# ---------------------------------------------------------------- graph structure
@pytest.mark.parametrize("expr", [
    "(x * 2 + y).sum()", "(x @ w).relu().mean()", "x.exp().sum(0)", "(2 - x).pow(2)",
    "x.view(3, 2).t()", "(x / y).max()", "x[0] * y[1]", "x.unsqueeze(0).expand(2, 2, 3)",
])
def test_next_functions_structure(expr):
    res = []
    for L in LIBS:
        x, y = L.ones(2, 3, requires_grad=True), L.ones(2, 3, requires_grad=True)
        w = L.ones(3, 2, requires_grad=True)
        res.append(_graph(eval(expr, {"x": x, "y": y, "w": w, "torch": L}).grad_fn))
    if torch is not None:
        assert res[0] == res[1]


def test_next_functions_point_at_leaves():
    x = ember.ones(3, requires_grad=True)
    y = ember.ones(3, requires_grad=True)
    z = (x * 2 + y).sum()
    add = z.grad_fn.next_functions[0][0]
    mul, acc_y = add.next_functions
    assert acc_y[0].variable is y and acc_y[1] == 0
    assert mul[0].next_functions[0][0].variable is x
    assert mul[0].next_functions[1] == (None, 0)
    assert repr(acc_y[0]).startswith("<AccumulateGrad object at 0x")
    assert repr(z.grad_fn).startswith("<SumBackward0 object at 0x")


def test_output_nr_of_multi_output_op():
    def f(L, x):
        a, b = x.split(2)
        m = x.max(0)
        return a.output_nr, b.output_nr, m.values.output_nr, m.indices.requires_grad
    same(f, arr((4,), "float64"))


# ---------------------------------------------------------------- backward options
def test_backward_with_gradient_argument():
    def f(L, x):
        y = x * x
        y.backward(L.tensor([1.0, 0.5, -2.0], dtype=L.float64))
        return x.grad
    same(f, x3)


def test_backward_retain_graph_twice():
    def f(L, x):
        y = (x.exp() * x).sum()
        y.backward(retain_graph=True)
        y.backward()
        return x.grad
    same(f, x3)


def test_backward_create_graph_gives_differentiable_grad():
    def f(L, x):
        with pytest.warns(UserWarning, match="create a reference cycle"):
            (x ** 3).sum().backward(create_graph=True)
        g = x.grad
        flags = (g.requires_grad, g.grad_fn is not None)
        x.grad = None
        g.sum().backward()
        return flags, x.grad
    same(f, x3)


def test_backward_inputs_argument():
    def f(L, x, y):
        (x * y).sum().backward(inputs=[x])
        return x.grad, y.grad
    same(f, x3, x3 + 1)


def test_backward_inputs_non_leaf_and_pruning():
    def f(L, x, y):
        h = x * y
        h.register_hook(lambda g: g * 2)
        seen = []
        y.register_hook(lambda g: seen.append(1))
        (h.exp()).sum().backward(inputs=[h])
        return h.grad, x.grad, y.grad, seen
    same(f, x3, x3 + 1)


def test_grad_captures_after_tensor_hooks():
    def f(L, x):
        h = x * 3
        h.register_hook(lambda g: g + 100)
        x.register_hook(lambda g: g * -1)
        return L.autograd.grad((h * h).sum(), [h, x])
    same(f, x3)


def test_node_hooks_and_post_accumulate_hook():
    def f(L, x):
        y = x.exp()
        calls = []
        y.grad_fn.register_prehook(lambda go: calls.append(("pre", go[0].shape)))
        y.grad_fn.register_hook(lambda gi, go: calls.append(("post", len(gi), len(go))))
        x.register_post_accumulate_grad_hook(lambda p: calls.append(("acc", p.grad.sum())))
        y.sum().backward()
        return calls
    same(f, x3)


def test_autograd_backward_function():
    def f(L, x, y):
        L.autograd.backward([(x * 2).sum(), (y * y).sum()])
        return x.grad, y.grad
    same(f, x3, x3)


# ---------------------------------------------------------------- autograd.grad
def test_grad_basic_and_no_accumulation():
    def f(L, x, y):
        z = (x * y + x.sin()).sum()
        gx, gy = L.autograd.grad(z, (x, y))
        return gx, gy, x.grad, gx.requires_grad
    same(f, x3, x3 + 1)


def test_grad_outputs_and_multiple_outputs():
    def f(L, x):
        a, b = x * 2, x.exp()
        go = (L.ones(3, dtype=L.float64), L.full((3,), 0.5, dtype=L.float64))
        return L.autograd.grad([a, b], x, grad_outputs=go)
    same(f, x3)


def test_grad_allow_unused():
    def f(L, x, y):
        return L.autograd.grad((x * 2).sum(), [x, y], allow_unused=True)
    same(f, x3, x3)


def test_grad_unused_error():
    msgs = []
    for L in LIBS:
        x, y = L.ones(2, requires_grad=True), L.ones(2, requires_grad=True)
        with pytest.raises(RuntimeError) as e:
            L.autograd.grad((x * 2).sum(), [x, y])
        msgs.append(str(e.value))
    assert msgs[0].startswith("The differentiated Tensor at index 1 appears to not have been")
    assert len(set(msgs)) == 1


def test_grad_retain_graph():
    def f(L, x):
        z = (x * x).sum()
        g1 = L.autograd.grad(z, x, retain_graph=True)
        g2 = L.autograd.grad(z, x)
        return g1, g2
    same(f, x3)


def test_grad_of_non_leaf_input():
    def f(L, x):
        h = x * 3
        z = (h * h).sum()
        return L.autograd.grad(z, h)
    same(f, x3)


# ---------------------------------------------------------------- double backward
@pytest.mark.parametrize("name,fn", [
    ("cube", lambda x: x ** 3), ("tanh", lambda x: x.tanh()), ("sigmoid", lambda x: x.sigmoid()),
    ("exp_sin", lambda x: x.exp() * x.sin()), ("log", lambda x: (x * x + 1).log()),
    ("div", lambda x: 1 / (x * x + 1)), ("sqrt", lambda x: (x * x + 1).sqrt()),
])
def test_double_backward(name, fn):
    def f(L, x):
        y = fn(x).sum()
        (g,) = L.autograd.grad(y, x, create_graph=True)
        (gg,) = L.autograd.grad(g.sum(), x, create_graph=True)
        (ggg,) = L.autograd.grad(gg.sum(), x)
        return g, gg, ggg
    same(f, x3, rtol=1e-6)


def test_double_backward_through_matmul():
    def f(L, x, w):
        y = (x @ w).tanh().sum()
        (gx,) = L.autograd.grad(y, x, create_graph=True)
        (gw,) = L.autograd.grad(gx.pow(2).sum(), w)
        return gx, gw
    same(f, m23, arr((3, 4), "float64", seed=5))


def test_hessian_vector_product():
    def f(L, x):
        y = (x ** 2 * x.roll(1)).sum()
        (g,) = L.autograd.grad(y, x, create_graph=True)
        v = L.tensor([1.0, -1.0, 2.0], dtype=L.float64)
        (hv,) = L.autograd.grad((g * v).sum(), x)
        return hv
    same(f, x3)


# ---------------------------------------------------------------- grad modes
def test_no_grad_context_and_nesting():
    def f(L, x):
        with L.no_grad():
            a = x * 2
            with L.enable_grad():
                b = x * 2
            c = x * 2
            flag = L.is_grad_enabled()
        return a.requires_grad, b.requires_grad, c.requires_grad, flag, L.is_grad_enabled()
    same(f, x3)


def test_grad_mode_decorators():
    def f(L, x):
        @L.no_grad()
        def a(t):
            return t * 2

        @L.no_grad
        def b(t):
            return t * 2

        @L.enable_grad()
        def c(t):
            return t * 2

        @L.set_grad_enabled(False)
        def d(t):
            return t * 2

        @L.inference_mode()
        def e(t):
            return t * 2

        with L.no_grad():
            cc = c(x)
        return (a(x).requires_grad, b(x).requires_grad, cc.requires_grad, d(x).requires_grad,
                e(x).requires_grad, L.is_grad_enabled(), a.__name__)
    same(f, x3)


def test_set_grad_enabled_as_function_and_context():
    def f(L, x):
        L.set_grad_enabled(False)
        a = x * 2
        L.set_grad_enabled(True)
        with L.set_grad_enabled(False):
            b = x * 2
        with L.set_grad_enabled(True):
            c = x * 2
        return a.requires_grad, b.requires_grad, c.requires_grad, L.is_grad_enabled()
    same(f, x3)


def test_inference_mode():
    def f(L, x):
        with L.inference_mode():
            a = x * 2
            inside = (L.is_inference_mode_enabled(), L.is_grad_enabled())
        with L.inference_mode(False):
            b = x * 2
        return a.requires_grad, inside, b.requires_grad, L.is_inference_mode_enabled()
    same(f, x3)


def test_grad_mode_restored_after_exception():
    for L in LIBS:
        with pytest.raises(ValueError):
            with L.no_grad():
                raise ValueError
        assert L.is_grad_enabled()


# ---------------------------------------------------------------- detach and friends
def test_detach_shares_memory_and_version():
    def f(L, x):
        d = x.detach()
        d[0] = 100.0
        return d.requires_grad, d.is_leaf, x._version == d._version, x.detach().grad_fn
    res = same(f, x3)
    assert res[2]


def test_detach_inplace():
    def f(L, x):
        y = x * 2
        y.detach_()
        return y.requires_grad, y.grad_fn, y.is_leaf
    same(f, x3)


def test_requires_grad_toggle():
    def f(L):
        a = L.ones(2)
        r1 = a.requires_grad_().requires_grad
        a.requires_grad_(False)
        a.requires_grad = True
        return r1, a.requires_grad, L.zeros(2, requires_grad=True).requires_grad
    same(f)


def test_retain_grad():
    def f(L, x):
        y = x * 3
        y.retain_grad()
        z = (y * y).sum()
        z.backward(retain_graph=True)
        g1 = y.grad.clone()
        z.backward()
        return g1, y.grad, y.retains_grad, x.retains_grad
    same(f, x3)


def test_non_leaf_grad_access_warns():
    for L in LIBS:
        x = L.ones(3, requires_grad=True)
        y = x * 2
        y.sum().backward()
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            assert y.grad is None
        assert any("is not a leaf Tensor is being accessed" in str(m.message) for m in w)


# ---------------------------------------------------------------- hooks
def test_hook_on_leaf_modifies_grad():
    def f(L, x):
        seen = []
        h = x.register_hook(lambda g: (seen.append(g.clone()), g * 10)[1])
        (x * x).sum().backward()
        h.remove()
        (x * 1).sum().backward()
        return seen, x.grad
    same(f, x3)


def test_hook_on_non_leaf_modifies_upstream():
    def f(L, x):
        y = x * 2
        seen = []
        y.register_hook(lambda g: seen.append(g.clone()))
        y.register_hook(lambda g: g + 1)
        (y * y).sum().backward()
        return seen, x.grad
    same(f, x3)


def test_hook_and_retain_grad_order():
    def f(L, x):
        y = x * 2
        y.retain_grad()
        y.register_hook(lambda g: g * 0)
        y.sum().backward()
        return y.grad, x.grad
    same(f, x3)


def test_hook_on_tensor_without_grad_errors():
    msgs = []
    for L in LIBS:
        with pytest.raises(RuntimeError) as e:
            L.ones(2).register_hook(lambda g: g)
        msgs.append(str(e.value))
    assert len(set(msgs)) == 1


# ---------------------------------------------------------------- custom Function
def _make_fns(L):
    class MyCube(L.autograd.Function):
        @staticmethod
        def forward(ctx, x, k):
            ctx.save_for_backward(x)
            ctx.k = k
            return x ** 3 * k

        @staticmethod
        def backward(ctx, grad):
            (x,) = ctx.saved_tensors
            return grad * 3 * x ** 2 * ctx.k, None

    class SortIdx(L.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            v, i = x.sort()
            ctx.mark_non_differentiable(i)
            ctx.save_for_backward(i)
            return v, i

        @staticmethod
        def backward(ctx, gv, gi):
            (i,) = ctx.saved_tensors
            return L.zeros_like(gv).scatter(0, i, gv)

    class Needs(L.autograd.Function):
        @staticmethod
        def forward(ctx, a, b):
            return a * b

        @staticmethod
        def backward(ctx, g):
            Needs.seen = ctx.needs_input_grad
            return g, g
    return MyCube, SortIdx, Needs


def test_custom_function():
    def f(L, x):
        MyCube, _, _ = _make_fns(L)
        y = MyCube.apply(x, 2.0)
        z = MyCube.apply(y, 0.5)  # the same Function twice in one graph
        z.sum().backward()
        fn = z.grad_fn
        return (y, x.grad, fn.name(), type(fn).__name__, _graph(fn),
                y.requires_grad, y.is_leaf)
    same(f, x3)


def test_custom_function_non_differentiable_and_needs_input_grad():
    def f(L, x):
        _, SortIdx, Needs = _make_fns(L)
        v, i = SortIdx.apply(x)
        (v * L.arange(3.0, dtype=L.float64)).sum().backward()
        w = L.ones(3, dtype=L.float64)
        Needs.apply(w, x).sum().backward()
        return v, i, i.requires_grad, v.requires_grad, x.grad, Needs.seen
    same(f, x3)


def test_custom_function_without_grad_inputs_records_nothing():
    def f(L):
        MyCube, _, _ = _make_fns(L)
        y = MyCube.apply(L.ones(2), 2.0)
        return y.requires_grad, y.grad_fn
    same(f)


def test_custom_function_double_backward():
    def f(L, x):
        MyCube, _, _ = _make_fns(L)
        (g,) = L.autograd.grad(MyCube.apply(x, 1.0).sum(), x, create_graph=True)
        (gg,) = L.autograd.grad(g.sum(), x)
        return g, gg
    same(f, x3)


# ---------------------------------------------------------------- gradcheck
def test_gradcheck_passes_and_fails():
    x = ember.from_numpy(arr((2, 3), "float64")).requires_grad_()
    w = ember.from_numpy(arr((3,), "float64", seed=3)).requires_grad_()
    assert ember.autograd.gradcheck(lambda a, b: (a * b).tanh().sum(1), (x, w))
    assert ember.autograd.gradgradcheck(lambda a, b: (a * b).tanh(), (x, w))

    class Wrong(ember.autograd.Function):
        @staticmethod
        def forward(ctx, a):
            return a * 2

        @staticmethod
        def backward(ctx, g):
            return g * 3
    assert not ember.autograd.gradcheck(Wrong.apply, (x,), raise_exception=False)
    with pytest.raises(RuntimeError, match="Jacobian mismatch for output 0 with respect to "
                                           "input 0"):
        ember.autograd.gradcheck(Wrong.apply, (x,))


# ---------------------------------------------------------------- anomaly detection
def test_detect_anomaly_names_the_op():
    msgs = []
    for L in LIBS:
        x = L.tensor([0.0, 1.0], requires_grad=True)
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            with pytest.raises(RuntimeError) as e:
                with L.autograd.detect_anomaly():
                    (x.sqrt() * 0).sum().backward()
        msgs.append(str(e.value))
        assert any("Error detected in SqrtBackward0" in str(m.message) for m in w)
        assert not L.is_anomaly_enabled()
    assert msgs[0] == "Function 'SqrtBackward0' returned nan values in its 0th output."
    assert len(set(msgs)) == 1


def test_set_detect_anomaly_check_nan_off():
    for L in LIBS:
        x = L.tensor([0.0, 1.0], requires_grad=True)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with L.autograd.set_detect_anomaly(True, check_nan=False):
                (x.sqrt() * 0).sum().backward()
        assert math.isnan(x.grad[0].item())


# ---------------------------------------------------------------- errors of autograd
def _error_pair(fn):
    res = []
    for L in LIBS:
        with pytest.raises(Exception) as e:
            fn(L)
        res.append((type(e.value).__name__, str(e.value)))
    if torch is not None:
        assert res[0] == res[1]
    return res[0]


@pytest.mark.parametrize("snippet", [
    lambda L: (L.ones(2, requires_grad=True) * 2).backward(),
    lambda L: L.ones(2).sum().backward(),
    lambda L: L.ones(2, requires_grad=True).add_(1),
    lambda L: L.ones(2, requires_grad=True)[0].mul_(2),
    lambda L: (L.ones(2, requires_grad=True) * 2).backward(L.ones(3)),
    lambda L: L.autograd.grad((L.ones(2, requires_grad=True) * 2).sum(), L.ones(2)),
    lambda L: L.autograd.grad(L.ones(2, requires_grad=True).sum(),
                              L.ones(2, requires_grad=True)),
    lambda L: L.ones(2, dtype=L.int64).requires_grad_(),
    lambda L: (L.ones(2, requires_grad=True) * 2).requires_grad_(False),
    lambda L: L.ones(2).retain_grad(),
])
def test_autograd_errors(snippet):
    _error_pair(snippet)


def test_backward_twice_error_and_retained_ok():
    kind, msg = _error_pair(lambda L: [f() for f in [
        (lambda y: lambda: y.backward())((L.ones(2, requires_grad=True).exp()).sum())] * 2])
    assert kind == "RuntimeError" and msg.startswith("Trying to backward through the graph a "
                                                     "second time")


@pytest.mark.parametrize("code", [
    "y = x.sigmoid()\ny.mul_(2)\ny.sum().backward()",
    "a = x * 1\nb = a * a\na.add_(1)\nb.sum().backward()",
    "y = x.exp()\ntorch.relu_(y)\ny.sum().backward()",
    "y = x.tanh()\nv = y[1:]\nv.zero_()\ny.sum().backward()",
    "a = x.exp()\na.add_(1)\na.sum().backward()",
    "w = x * 1\ny = w.sin()\nw.zero_()\ny.sum().backward()",
])
def test_version_counter_errors(code):
    def run(L):
        exec(code, {"torch": L, "x": L.ones(3, requires_grad=True)})
    kind, msg = _error_pair(run)
    assert "modified by an inplace operation" in msg


def test_inplace_on_non_leaf_is_differentiable():
    def f(L, x, b):
        a = x * 3
        a.mul_(b)
        a.add_(x)
        y = x * 1
        y[0] = b[1] * 2
        (a.sum() + y.sum()).backward()
        return a, y, x.grad, b.grad, a.grad_fn.name(), y.grad_fn.name()
    same(f, x3, x3 + 1)


def test_inplace_on_leaf_under_no_grad_is_allowed():
    def f(L, x):
        with L.no_grad():
            x.mul_(2)
            x += 1
        (x * x).sum().backward()
        return x, x.grad, x._version
    same(f, x3)


# ---------------------------------------------------------------- memory
def test_graph_freed_after_backward():
    x = ember.ones(3, requires_grad=True)
    y = x.exp() * 2
    z = y.sum()
    nodes = [weakref.ref(z.grad_fn), weakref.ref(y.grad_fn)]
    z.backward()
    del y, z
    gc.collect()
    assert all(n() is None for n in nodes)


def test_no_memory_growth_over_training_steps():
    """10,000 steps of a tiny MLP with manual SGD leave no object behind: every graph node,
    saved tensor and gradient is freed by reference counting alone (gc stays off)."""
    from ember.autograd.function import Node
    rng = np.random.default_rng(0)
    w1 = ember.from_numpy(rng.standard_normal((4, 8)) * 0.5).requires_grad_()
    b1 = ember.zeros(8, dtype=ember.float64, requires_grad=True)
    w2 = ember.from_numpy(rng.standard_normal((8, 1)) * 0.5).requires_grad_()
    xb = ember.from_numpy(rng.standard_normal((5, 4)))
    yb = ember.from_numpy(rng.standard_normal((5, 1)))

    def step():
        loss = (((xb @ w1 + b1).tanh() @ w2 - yb) ** 2).mean()
        loss.backward()
        with ember.no_grad():
            for w in (w1, b1, w2):
                w -= 0.05 * w.grad
                w.grad.zero_()
        return loss.item()

    def live():
        objs = gc.get_objects()
        kinds = [type(o) for o in objs]  # not isinstance: torch's lazy modules warn on it
        return (len(objs), sum(issubclass(k, ember.Tensor) for k in kinds),
                sum(issubclass(k, Node) for k in kinds))

    first = step()
    step()
    gc.collect()
    gc.disable()
    try:
        before = live()
        for _ in range(10_000):
            last = step()
        after = live()
    finally:
        gc.enable()
    assert after[1:] == before[1:], f"(objects, tensors, nodes) {before} -> {after}"
    assert after[0] - before[0] < 50, f"(objects, tensors, nodes) {before} -> {after}"
    assert last < first


def test_leaf_grads_never_alias_each_other_or_the_given_gradient():
    # the engine hands a node's output array to a leaf without a copy only where nothing else
    # can see it: an array one node hands to several edges, or the caller's gradient, is copied
    a, b = ember.ones(3, requires_grad=True), ember.ones(3, requires_grad=True)
    (a + b).sum().backward()
    assert not np.shares_memory(a.grad.numpy(), b.grad.numpy())
    a, b = ember.ones(3, requires_grad=True), ember.ones(3, requires_grad=True)
    y = a + b
    (y * 1 + y).sum().backward()
    assert not np.shares_memory(a.grad.numpy(), b.grad.numpy())
    a, g = ember.ones(3, requires_grad=True), ember.ones(3)
    (a * 1).backward(g)
    assert not np.shares_memory(a.grad.numpy(), g.numpy())
    w = ember.ones(4, 3, requires_grad=True)
    for _ in range(3):  # many arrays made and freed in between: reused ids mean nothing
        w.grad = None
        (ember.ones(2, 3) @ w.t()).relu().sum().backward()
        a, b = ember.ones(2, requires_grad=True), ember.ones(2, requires_grad=True)
        (a.clone() + b).sum().backward()
        assert not np.shares_memory(a.grad.numpy(), b.grad.numpy())
    assert w.grad.tolist() == [[2.0] * 3] * 4


def test_retain_grad_with_inputs_and_after_inplace():
    """retain_grad: backward(inputs=[y]) stores y's gradient once (ember added it twice), and
    after an in-place op on y the retained gradient is the new version's (ember kept the hook on
    the old node)."""
    x = ember.ones(2, requires_grad=True)
    y = x * 2
    y.retain_grad()
    (y * 3).sum().backward(inputs=[y])
    assert y.grad.tolist() == [3.0, 3.0] and x.grad is None
    x = ember.ones(2, requires_grad=True)
    y = x * 1
    y.retain_grad()
    y.mul_(2)
    (y ** 2).sum().backward()
    assert y.grad.tolist() == [4.0, 4.0] and x.grad.tolist() == [8.0, 8.0]


def test_once_differentiable():
    """A backward marked @once_differentiable runs under no_grad; differentiating its result
    raises torch's error (ember differentiated through it, silently wrong where it used NumPy)."""
    from ember.autograd.function import once_differentiable

    class Sq(ember.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x ** 2

        @staticmethod
        @once_differentiable
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return ember.tensor(g.detach().numpy() * 2 * x.detach().numpy())

    x = ember.tensor([1.0, 2.0], requires_grad=True)
    (g,) = ember.autograd.grad((Sq.apply(x) ** 2).sum(), x, create_graph=True)
    assert g.requires_grad and g.grad_fn.name() == "torch::autograd::Error"
    with pytest.raises(RuntimeError, match="trying to differentiate twice a function that was "
                                           "marked with @once_differentiable"):
        g.sum().backward()
    x = ember.tensor([1.0, 2.0], requires_grad=True)
    Sq.apply(x).sum().backward()
    assert x.grad.tolist() == [2.0, 4.0]


def test_grad_modes_nested_and_on_generators():
    """inference_mode(False) turns grad mode on (inside no_grad / inference_mode too), and the
    decorators set their mode while a decorated generator runs, as torch's."""
    x = ember.ones(2, requires_grad=True)
    with ember.inference_mode():
        with ember.inference_mode(False):
            assert ember.is_grad_enabled() and (x * 2).requires_grad
    with ember.no_grad():
        with ember.inference_mode(False):
            assert ember.is_grad_enabled()

    @ember.no_grad()
    def gen():
        yield ember.is_grad_enabled()
        yield ember.is_grad_enabled()
    assert list(gen()) == [False, False] and ember.is_grad_enabled()
