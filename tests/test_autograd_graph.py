"""autograd introspection against torch: graph shapes along next_functions, the `_saved_*`
attributes of nodes, torch.autograd.graph (saved-tensor hooks, multi-grad hooks, Node,
GradientEdge) and node hooks."""

import numpy as np
import pytest

import ember
from oracle import arr, check, requires_torch, torch

_FREED = ("Trying to backward through the graph a second time (or directly access saved tensors "
          "after they have already been freed). Saved intermediate values of the graph are freed "
          "when you call .backward() or autograd.grad(). Specify retain_graph=True if you need to "
          "backward through the graph a second time or if you need to access saved tensors after "
          "calling backward.")


def _both(fn):
    """fn(lib) on ember and torch; their results must be equal."""
    e = fn(ember)
    t = fn(torch)
    assert e == t
    return e


def chain(t, depth=5):
    def walk(n, d):
        if n is None:
            return "None"
        kids = [walk(c, d + 1) for c, _ in n.next_functions] if d < depth else []
        return n.name() + ("(" + ", ".join(kids) + ")" if kids else "")
    return walk(t.grad_fn, 0)


def _x(L, *shape, seed=0):
    return L.from_numpy(arr(shape, seed=seed)).requires_grad_()


# ---------------------------------------------------------------- graph shapes
def _lin(L, shape, bias=True):
    L.manual_seed(0)
    return L.nn.Linear(3, 2, bias=bias)(_x(L, *shape))


_GRAPHS = {
    "mse_linear": lambda L: L.nn.MSELoss()(_lin(L, (4, 3)), L.zeros(4, 2)),
    "linear": lambda L: _lin(L, (4, 3)),
    "linear_nobias": lambda L: _lin(L, (4, 3), False),
    "linear_3d": lambda L: _lin(L, (2, 4, 3)),
    "linear_3d_nobias": lambda L: _lin(L, (2, 4, 3), False),
    "linear_1d": lambda L: _lin(L, (3,)),
    "linear_1d_nobias": lambda L: _lin(L, (3,), False),
    "linear_frozen_input": lambda L: L.nn.Linear(3, 2)(L.ones(2, 4, 3)),
    "cross_entropy": lambda L: L.nn.functional.cross_entropy(_x(L, 4, 3), L.tensor([0, 1, 2, 0])),
    "nll_log_softmax": lambda L: L.nn.NLLLoss()(L.nn.LogSoftmax(1)(_x(L, 4, 3)),
                                                L.tensor([0, 1, 2, 0])),
    "conv2d": lambda L: L.nn.Conv2d(1, 2, 3)(_x(L, 1, 1, 5, 5)),
    "conv2d_nobias": lambda L: L.nn.Conv2d(1, 2, 3, bias=False)(L.ones(1, 1, 5, 5)),
    "batch_norm": lambda L: L.nn.BatchNorm2d(2)(_x(L, 2, 2, 3, 3)),
    "batch_norm_eval": lambda L: L.nn.BatchNorm1d(3).eval()(_x(L, 4, 3)),
    "batch_norm_functional": lambda L: L.nn.functional.batch_norm(_x(L, 4, 3), None, None,
                                                                  training=True),
    "layer_norm": lambda L: L.nn.LayerNorm(3)(_x(L, 4, 3)),
    "dropout": lambda L: L.nn.Dropout(0.5)(_x(L, 4, 3)),
    "flatten_relu": lambda L: L.nn.Flatten()(_x(L, 2, 4, 3)).relu(),
    "view": lambda L: _x(L, 2, 4, 3).view(-1, 3),
    "max_pool": lambda L: L.nn.functional.max_pool2d(_x(L, 1, 1, 4, 4), 2),
    "embedding": lambda L: L.nn.Embedding(5, 3)(L.tensor([1, 2])),
    "l1_same_shape": lambda L: L.nn.functional.l1_loss(_x(L, 4, 3), L.ones(4, 3)),
    "stack": lambda L: L.stack([_x(L, 2), _x(L, 2) * 2]),
    "mlp": lambda L: L.nn.Sequential(L.nn.Linear(3, 4), L.nn.ReLU(), L.nn.Linear(4, 2),
                                     L.nn.LogSoftmax(dim=1))(_x(L, 5, 3)),
}


@requires_torch
@pytest.mark.parametrize("case", sorted(_GRAPHS))
def test_graph_shape(case):
    _both(lambda L: chain(_GRAPHS[case](L)))


@requires_torch
def test_fused_nodes_keep_their_view_nodes():
    def run(L):
        y = _lin(L, (2, 4, 3))
        mm = y.grad_fn.next_functions[0][0]
        return mm is y.grad_fn.next_functions[0][0], isinstance(mm, L.autograd.graph.Node)
    assert _both(run) == (True, True)


def test_fused_linear_refuses_post_hooks():
    y = _lin(ember, (4, 3))
    with pytest.raises(ember._compat.EmberNotImplemented, match="register_hook"):
        y.grad_fn.register_hook(lambda gi, go: None)
    with pytest.raises(ember._compat.EmberNotImplemented, match="TBackward0"):
        y.grad_fn.next_functions[2][0].register_prehook(lambda go: None)


# ---------------------------------------------------------------- saved values
def _describe(v, known):
    for name, t in known.items():
        if v is t:
            return name
    if hasattr(v, "detach") and hasattr(v, "dtype"):
        a = v.detach().numpy()
        return ("T", tuple(v.shape), str(v.dtype), np.round(a.astype(np.float64), 4).tolist())
    return repr(v)


def _saved(fn, out, known):
    return {a: _describe(getattr(fn, a), {**known, "result": out})
            for a in dir(fn) if a.startswith("_saved_")}


_IMG = (1, 2, 4, 4)
_SAVED = {
    "add": lambda L, x, w: x + w, "add_alpha": lambda L, x, w: L.add(x, w, alpha=2),
    "sub": lambda L, x, w: L.sub(x, w, alpha=3), "rsub": lambda L, x, w: 1 - x,
    "mul": lambda L, x, w: x * w, "mul_scalar": lambda L, x, w: x * 2,
    "mul_float": lambda L, x, w: 2.5 * x, "div": lambda L, x, w: x / w,
    "div_scalar": lambda L, x, w: x / 2, "pow": lambda L, x, w: x ** 2,
    "pow_tensor": lambda L, x, w: x.abs() ** w, "rpow": lambda L, x, w: 2 ** x,
    "exp": lambda L, x, w: x.exp(), "log": lambda L, x, w: x.abs().log(),
    "tanh": lambda L, x, w: x.tanh(), "sigmoid": lambda L, x, w: x.sigmoid(),
    "relu": lambda L, x, w: x.relu(), "mm": lambda L, x, w: x.mm(w.T),
    "addmm": lambda L, x, w: L.addmm(w[0, :1], x, w.T, beta=2, alpha=3),
    "view": lambda L, x, w: x.view(12), "t": lambda L, x, w: x.t(),
    "sum": lambda L, x, w: x.sum(), "sum_dim": lambda L, x, w: x.sum(-1),
    "mean": lambda L, x, w: x.mean(), "mean_dim": lambda L, x, w: x.mean((0, -1), keepdim=True),
    "nll": lambda L, x, w: L.nn.functional.nll_loss(x, L.tensor([0, 1, 2, 0])),
    "nll_weight": lambda L, x, w: L.nn.functional.nll_loss(
        x, L.tensor([0, 1, 2, 0]), weight=L.ones(3), reduction="sum", ignore_index=1),
    "cross_entropy": lambda L, x, w: L.nn.functional.cross_entropy(x, L.tensor([0, 1, 2, 0])),
    "log_softmax": lambda L, x, w: L.log_softmax(x, 1),
    "softmax": lambda L, x, w: L.softmax(x, 1),
    "conv": lambda L, x, w: L.nn.functional.conv2d(
        x.reshape(1, 1, 4, 3), w.reshape(1, 1, 4, 3)[..., :2, :2], padding=1, stride=(2, 1)),
    "conv_nobias": lambda L, x, w: L.nn.functional.conv2d(x.reshape(1, 1, 4, 3), w[None, None]),
    "max_pool": lambda L, x, w: L.nn.functional.max_pool2d(x.reshape(1, 1, 4, 3), 2),
    "max_pool_stride": lambda L, x, w: L.nn.functional.max_pool2d(x.reshape(1, 2, 2, 3), 2, 1),
    "batch_norm": lambda L, x, w: L.nn.functional.batch_norm(
        x, L.zeros(3), L.ones(3), w[0], w[1], training=True),
    "batch_norm_eval": lambda L, x, w: L.nn.functional.batch_norm(x, L.zeros(3), L.ones(3)),
    "layer_norm": lambda L, x, w: L.nn.functional.layer_norm(x, (3,)),
    "embedding": lambda L, x, w: L.nn.functional.embedding(L.tensor([1, 2]), w),
    "mse": lambda L, x, w: L.nn.functional.mse_loss(x, w),
    "linear": lambda L, x, w: L.nn.functional.linear(x, w[:2], w[2, :2]),
    "linear_nobias": lambda L, x, w: L.nn.functional.linear(x, w[:2]),
    "stack": lambda L, x, w: L.stack([x, w], 1),
    "expand": lambda L, x, w: x[:1].expand(3, 3),
    "where": lambda L, x, w: L.where(x > 0, x, w),
}


@requires_torch
@pytest.mark.parametrize("case", sorted(_SAVED))
def test_saved_attributes(case):
    def run(L):
        x, w = _x(L, 4, 3), _x(L, 4, 3, seed=1)
        out = _SAVED[case](L, x, w)
        return _saved(out.grad_fn, out, {"x": x, "w": w})
    assert _both(run) or case == "t"


@requires_torch
@pytest.mark.parametrize("case", ["mul", "exp", "mm", "mse", "batch_norm", "conv", "nll",
                                  "where", "linear"])
def test_saved_tensors_freed_after_backward(case):
    def run(L):
        x, w = _x(L, 4, 3), _x(L, 4, 3, seed=1)
        out = _SAVED[case](L, x, w)
        fn = out.grad_fn
        out.sum().backward()
        res = {}
        for a in dir(fn):
            if a.startswith("_saved_"):
                try:
                    res[a] = _describe(getattr(fn, a), {"x": x, "w": w})
                except RuntimeError as e:
                    res[a] = str(e)
        return res
    res = _both(run)
    assert _FREED in res.values()


@requires_torch
def test_raw_saved_tensor_register_hooks():
    def run(L):
        x = _x(L, 3)
        y = x.exp()
        calls = []
        raw = y.grad_fn._raw_saved_result
        raw.register_hooks(lambda t: calls.append("pack") or t * 1,
                           lambda t: calls.append("unpack") or t)
        errors = []
        try:
            raw.register_hooks(lambda t: t, lambda t: t)
        except RuntimeError as e:
            errors.append(str(e))
        y.sum().backward()
        try:
            y.grad_fn._raw_saved_result.register_hooks(lambda t: t, lambda t: t)
        except RuntimeError as e:
            errors.append(str(e))
        return calls, errors, np.round(x.grad.numpy().astype(np.float64), 5).tolist()
    _both(run)


# ---------------------------------------------------------------- saved-tensor hooks
def _hooked(L, hooks_cls, *args):
    x, w = _x(L, 4, 3), _x(L, 4, 3, seed=1)
    with hooks_cls(*args):
        loss = L.nn.functional.mse_loss((x * w).tanh() @ w.T, L.ones(4, 4))
    loss.backward()
    return np.round(x.grad.numpy().astype(np.float64), 5).tolist(), \
        np.round(w.grad.numpy().astype(np.float64), 5).tolist()


@requires_torch
def test_saved_tensors_hooks_pack_unpack():
    def run(L):
        log = []

        def pack(t):
            log.append(("pack", tuple(t.shape), t.requires_grad))
            return t.detach().numpy().copy()  # anything may stand for the tensor

        def unpack(a):
            log.append(("unpack", a.shape))
            return L.from_numpy(a)
        grads = _hooked(L, L.autograd.graph.saved_tensors_hooks, pack, unpack)
        return grads, sorted(log)
    _both(run)


@requires_torch
def test_saved_tensors_hooks_double_backward_and_identity():
    def run(L):
        x = _x(L, 3)
        with L.autograd.graph.saved_tensors_hooks(lambda t: t.detach().clone(), lambda t: t):
            y = (x * 2).exp() * x
        g, = L.autograd.grad(y.sum(), x, create_graph=True)
        gg, = L.autograd.grad(g.sum(), x)
        return np.round(gg.numpy().astype(np.float64), 4).tolist()
    _both(run)


@requires_torch
def test_saved_tensors_hooks_skip_the_version_check_and_check_unpack():
    def run(L):
        x = _x(L, 3)
        with L.autograd.graph.saved_tensors_hooks(lambda t: t, lambda t: t):
            y = x * x
        with L.no_grad():
            x.add_(1)
        y.sum().backward()
        with L.autograd.graph.saved_tensors_hooks(lambda t: t, lambda t: 5):
            z = x * x
        try:
            z.grad_fn._saved_self
        except TypeError as e:
            return x.grad.tolist(), str(e)
    _both(run)


@requires_torch
def test_save_on_cpu_and_disable():
    _both(lambda L: _hooked(L, L.autograd.graph.save_on_cpu))
    _both(lambda L: _hooked(L, L.autograd.graph.save_on_cpu, True))

    def run(L):
        errors = []
        with L.autograd.graph.disable_saved_tensors_hooks("no hooks here"):
            try:
                with L.autograd.graph.save_on_cpu():
                    pass
            except RuntimeError as e:
                errors.append(str(e))
        with L.autograd.graph.saved_tensors_hooks(lambda t: t, lambda t: t):
            try:
                with L.autograd.graph.disable_saved_tensors_hooks("hooks are on"):
                    pass
            except RuntimeError as e:
                errors.append(str(e))
        with L.autograd.graph.save_on_cpu():  # usable again
            pass
        return errors
    assert len(_both(run)) == 2


def test_saved_tensors_hooks_innermost_wins_and_custom_function():
    class Double(ember.autograd.Function):
        @staticmethod
        def forward(ctx, a):
            ctx.save_for_backward(a)
            return a * 2

        @staticmethod
        def backward(ctx, g):
            a, = ctx.saved_tensors
            return g * 2 + a * 0

    log = []
    x = _x(ember, 3)
    with ember.autograd.graph.saved_tensors_hooks(lambda t: log.append("outer") or t,
                                                  lambda t: t):
        with ember.autograd.graph.saved_tensors_hooks(lambda t: log.append("inner") or t,
                                                      lambda t: log.append("unpack") or t):
            y = Double.apply(x)
        z = y.exp()
    (z.sum()).backward()
    assert log == ["inner", "outer", "unpack"]
    assert np.allclose(x.grad.numpy(), 2 * np.exp(2 * x.detach().numpy()))
    assert ember.autograd.function._pack_hooks[0] is None


# ---------------------------------------------------------------- Node, hooks, edges
@requires_torch
def test_node_is_torch_abstract_node():
    def run(L):
        x = _x(L, 3)
        y = x * 2
        acc = y.grad_fn.next_functions[0][0]
        Node = L.autograd.graph.Node
        return (isinstance(y.grad_fn, Node), isinstance(acc, Node), isinstance(x, Node),
                issubclass(type(y.grad_fn), Node), y.grad_fn.name(), acc.name(),
                y.grad_fn.metadata, acc.variable is x)
    _both(run)


@requires_torch
def test_node_hooks_receive_and_replace():
    def run(L):
        log = []
        x = _x(L, 2)
        acc = (x * 1).grad_fn.next_functions[0][0]
        acc.register_prehook(lambda go: log.append(("acc pre", go[0].tolist())) or (go[0] * 10,))
        acc.register_hook(lambda gi, go: log.append(("acc post", gi, go[0].tolist())))
        x.register_hook(lambda g: log.append(("tensor", g.tolist())))
        y = x * 3
        n = y.grad_fn
        n.register_prehook(lambda go: log.append(("pre", len(go))))
        h = n.register_hook(lambda gi, go: log.append(("post", [g is None for g in gi])) or
                            (gi[0] + 1, None))
        y.exp().sum().backward(retain_graph=True)
        h.remove()
        errors = []
        for hook in (lambda gi, go: (gi[0], gi[0]), lambda gi, go: 5,
                     lambda gi, go: (gi[0], gi[1], gi[0])):
            w = x * 3
            w.grad_fn.register_hook(hook)
            try:
                w.sum().backward()
            except (RuntimeError, TypeError) as e:
                errors.append((type(e).__name__, str(e)))
        w = x * 3
        w.grad_fn.register_prehook(lambda go: 5)
        try:
            w.sum().backward()
        except TypeError as e:
            errors.append(str(e))
        return log, np.round(x.grad.numpy().astype(np.float64), 3).tolist(), errors
    _both(run)


@requires_torch
def test_composite_node_hooks():
    def run(L):
        log = []
        x, w = _x(L, 4, 3), _x(L, 4, 3, seed=1)
        loss = L.nn.functional.mse_loss(x, w)
        loss.grad_fn.register_hook(
            lambda gi, go: log.append([np.round(g.numpy().astype(np.float64), 4).tolist()
                                       for g in gi]) or (gi[0] * 2, gi[1]))
        loss.backward()
        return log, np.round(x.grad.numpy().astype(np.float64), 4).tolist()
    _both(run)


@requires_torch
def test_gradient_edge():
    def run(L):
        x = _x(L, 3)
        y = x * 2
        z = (y * y).sum()
        ey, ex = L.autograd.graph.get_gradient_edge(y), L.autograd.graph.get_gradient_edge(x)
        gy, gx = L.autograd.grad(z, (ey, ex))
        g1, = L.autograd.grad((x * 3).sum(), L.autograd.graph.get_gradient_edge(x))
        try:
            L.autograd.graph.get_gradient_edge(L.ones(2))
        except RuntimeError as e:
            err = str(e)
        return (ey.node is y.grad_fn, ey.output_nr, ex.node.name(), gy.tolist(), gx.tolist(),
                g1.tolist(), err, L.autograd.graph.GradientEdge._fields)
    _both(run)


@requires_torch
def test_increment_version():
    def run(L):
        x, y = L.ones(2), L.ones(3)
        L.autograd.graph.increment_version(x)
        L.autograd.graph.increment_version([x, y])
        return x._version, y._version
    assert _both(run) == (2, 1)


@requires_torch
def test_register_multi_grad_hook():
    def run(L):
        log = []
        leaves = _x(L, 2), _x(L, 2, seed=1), _x(L, 2, seed=2)
        a, b, c = (t * 1 for t in leaves)  # torch refuses leaves under autograd.grad
        h = L.autograd.graph.register_multi_grad_hook(
            (a, b, c), lambda gs: log.append(["-" if g is None else g.tolist() for g in gs]))
        (a * b).sum().backward(retain_graph=True)  # c is not in the graph
        out = (a * 2 + c).sum()
        L.autograd.grad(out, (a,), retain_graph=True)  # only a's gradient is computed
        h.remove()
        (a * b * c).sum().backward(retain_graph=True)
        any_log = []
        h = L.autograd.graph.register_multi_grad_hook(
            (a, b), lambda g: any_log.append(g.tolist()), mode="any")
        (a * 5 + b * 7).sum().backward()
        h.remove()
        try:
            L.autograd.graph.register_multi_grad_hook((a,), print, mode="every")
        except ValueError as e:
            err = str(e)
        return log, any_log, err
    log, any_log, _ = _both(run)
    assert len(log) == 2 and len(any_log) == 1


# ---------------------------------------------------------------- composites stay correct
@pytest.mark.parametrize("fn", [
    lambda L, x, w: L.nn.functional.mse_loss(x * w, w),
    lambda L, x, w: L.nn.functional.batch_norm(x, None, None, w[0], w[1], training=True),
    lambda L, x, w: L.nn.functional.layer_norm(x, (3,), w[0], w[1]),
    lambda L, x, w: L.stack([x, w], 1).sum(0),
])
def test_composite_gradients(fn):
    check(fn, arr((4, 3), "float64"), arr((4, 3), "float64", seed=1))


@pytest.mark.parametrize("fn", [
    lambda L, x, w: L.nn.functional.mse_loss(x * w, w),
    lambda L, x, w: L.nn.functional.batch_norm(x, None, None, w[0], w[1], training=True),
    lambda L, x, w: L.nn.functional.layer_norm(x, (3,), w[0], w[1]),
])
def test_composite_double_backward(fn):
    def grad_of_grad(L, x, w):
        out = fn(L, x, w)
        gx, = L.autograd.grad((out * out).sum(), x, create_graph=True)
        return (gx * gx).sum()
    check(grad_of_grad, arr((4, 3), "float64"), arr((4, 3), "float64", seed=1))


def test_batch_norm_running_stats_once():
    bn = ember.nn.BatchNorm1d(3)
    x = _x(ember, 4, 3)
    bn(x).sum().backward()
    m = x.detach().numpy().mean(0)
    assert np.allclose(bn.running_mean.numpy(), 0.1 * m)
    assert bn.num_batches_tracked.item() == 1


@requires_torch
def test_backward_inputs_gradient_edge_of_leaf():
    def run(L):
        x = _x(L, 2)
        L.autograd.backward(((x * 2) ** 2).sum(), inputs=L.autograd.graph.get_gradient_edge(x))
        return np.round(x.grad.numpy().astype(np.float64), 4).tolist()
    _both(run)


def test_gradient_edge_refusals():
    x = _x(ember, 2)
    y = x * 2
    edge = ember.autograd.graph.get_gradient_edge(y)
    with pytest.raises(ember._compat.EmberNotImplemented, match="non-leaf"):
        ember.autograd.backward((y * y).sum(), inputs=edge)
    with pytest.raises(ember._compat.EmberNotImplemented, match="GradientEdge outputs"):
        ember.autograd.grad(edge, x, grad_outputs=ember.ones(2))
