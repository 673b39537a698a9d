"""Lazy modules (LazyLinear, LazyConv*, LazyConvTranspose*, LazyBatchNorm*, LazyInstanceNorm*)
and the uninitialized placeholders, against torch.

Each layer is built seeded in both frameworks and called once: the reprs before and after, the
class it becomes, the parameters drawn at the first call, the outputs and the gradients must be
torch's. Then the placeholders' rules (what raises, with which text), state_dict saving and
loading in both states, conversions before the first call, and a d2l-style network trained by
an optimizer created after the first call.
"""

import copy
import pickle
import re

import numpy as np
import pytest

import ember
import ember.nn as enn
from oracle import arr, assert_same, requires_torch, torch

# name: (constructor args, constructor kwargs, first input's shape)
LAZY = [
    ("LazyLinear", (3,), {}, (2, 5)),
    ("LazyLinear", (4,), {"bias": False}, (3, 2, 6)),
    ("LazyConv1d", (4, 3), {"padding": 1}, (2, 3, 8)),
    ("LazyConv2d", (4, 3), {"stride": 2, "padding": 1}, (2, 3, 7, 7)),
    ("LazyConv2d", (6, 3), {"groups": 2, "bias": False}, (3, 4, 6, 6)),
    ("LazyConv2d", (2, 3), {"padding_mode": "reflect", "padding": 1}, (3, 5, 5)),
    ("LazyConv3d", (2, 2), {}, (1, 3, 4, 4, 4)),
    ("LazyConvTranspose1d", (4, 3), {"stride": 2}, (2, 3, 5)),
    ("LazyConvTranspose2d", (4, 3), {"output_padding": 1, "stride": 2}, (2, 3, 4, 4)),
    ("LazyConvTranspose3d", (2, 2), {"groups": 1}, (1, 3, 3, 3, 3)),
    ("LazyBatchNorm1d", (), {}, (4, 3)),
    ("LazyBatchNorm1d", (), {"momentum": None, "bias": False}, (4, 3, 5)),
    ("LazyBatchNorm2d", (), {"affine": False}, (4, 3, 4, 4)),
    ("LazyBatchNorm3d", (), {"track_running_stats": False}, (2, 3, 2, 2, 2)),
    ("LazyInstanceNorm1d", (), {}, (2, 3, 5)),
    ("LazyInstanceNorm2d", (), {"affine": False, "track_running_stats": False}, (2, 3, 4, 4)),
    ("LazyInstanceNorm3d", (), {}, (2, 3, 2, 2, 2)),
]


def _ids(case):
    return f"{case[0]}-{'-'.join(f'{k}={v}' for k, v in case[2].items())}"


def _pair(name, args, kw, seed=0):
    torch.manual_seed(seed)
    ember.manual_seed(seed)
    return getattr(torch.nn, name)(*args, **kw), getattr(enn, name)(*args, **kw)


def _same_state(em, tm):
    """Parameters (drawn at the first call) bit for bit; running statistics to rounding."""
    es, ts = em.state_dict(), tm.state_dict()
    assert list(es) == list(ts)
    params = dict(tm.named_parameters())
    for k in ts:
        tol = 0 if k in params else 1e-6
        assert_same(es[k], ts[k], rtol=tol, atol=tol, what=k)


@requires_torch
@pytest.mark.parametrize("case", LAZY, ids=[_ids(c) for c in LAZY])
def test_first_call_matches_torch(case):
    name, args, kw, shape = case
    tm, em = _pair(name, args, kw)
    assert repr(em) == repr(tm)
    assert repr(em.state_dict()) == repr(tm.state_dict())
    assert em.has_uninitialized_params() == tm.has_uninitialized_params()
    x = arr(shape, seed=1)
    tx, ex = torch.from_numpy(x).requires_grad_(), ember.from_numpy(x).requires_grad_()
    to, eo = tm(tx), em(ex)
    assert type(em).__name__ == type(tm).__name__ == getattr(tm, "cls_to_become", type(tm)) \
        .__name__
    assert type(em) is getattr(enn, type(tm).__name__)
    assert repr(em) == repr(tm)
    assert not hasattr(em, "_initialize_hook") and not em._forward_pre_hooks
    assert [type(p).__name__ for p in em.parameters()] == ["Parameter"] * len(
        list(tm.parameters()))
    assert [type(b).__name__ for b in em.buffers()] == ["Tensor"] * len(list(tm.buffers()))
    _same_state(em, tm)
    assert_same(eo, to, what="output")
    w = arr(tuple(to.shape), seed=2)
    (to * torch.from_numpy(w)).sum().backward()
    (eo * ember.from_numpy(w)).sum().backward()
    assert_same(ex.grad, tx.grad, what="input grad")
    for (k, ep), tp in zip(em.named_parameters(), tm.parameters()):
        assert_same(ep.grad, tp.grad, what=f"grad of {k}")
    # a second call draws nothing more: the next numbers of both generators still agree
    em(ex), tm(tx)
    assert_same(ember.rand(3), torch.rand(3), rtol=0, atol=0)


def test_lazy_linear_becomes_linear():
    ember.manual_seed(0)
    m = enn.LazyLinear(3)
    assert isinstance(m.weight, enn.UninitializedParameter)
    assert isinstance(m, enn.modules.lazy.LazyModuleMixin)
    y = m(ember.ones(2, 5))
    assert type(m) is enn.Linear and m.in_features == 5 and tuple(y.shape) == (2, 3)
    assert type(m.weight) is enn.Parameter and tuple(m.weight.shape) == (3, 5)
    assert not hasattr(m, "has_uninitialized_params")  # a plain Linear now
    ember.manual_seed(0)
    ref = enn.Linear(5, 3)
    np.testing.assert_array_equal(m.weight.detach().numpy(), ref.weight.detach().numpy())
    np.testing.assert_array_equal(m.bias.detach().numpy(), ref.bias.detach().numpy())


def _eager_twin(name, args, kw, x):
    """The eager layer a lazy one becomes for input `x`, built from the inferred size."""
    eager = getattr(enn, name[4:])
    if name == "LazyLinear":
        return eager(x.shape[-1], *args, **kw)
    if "Conv" in name:
        return eager(x.shape[1] if x.dim() == eager._nd + 2 else x.shape[0], *args, **kw)
    if "InstanceNorm" in name:
        kw = {"affine": True, "track_running_stats": True, **kw}  # the lazy ones' defaults
    placeholders = kw.get("affine", True) or kw.get("track_running_stats", True)
    return eager(x.shape[1] if placeholders else 0, *args, **kw)  # nothing to infer: 0 stays


@pytest.mark.parametrize("case", LAZY, ids=[_ids(c) for c in LAZY])
def test_first_call_draws_as_the_eager_layer(case):
    """Without the oracle too: seeded alike, the lazy layer's first call draws what the eager
    layer's constructor draws, and both compute the same."""
    name, args, kw, shape = case
    x = ember.from_numpy(arr(shape, seed=1))
    ember.manual_seed(3)
    lazy = getattr(enn, name)(*args, **kw)
    y = lazy(x)
    ember.manual_seed(3)
    eager = _eager_twin(name, args, kw, x)
    assert type(lazy) is type(eager) and repr(lazy) == repr(eager)
    ref = eager(x)
    for (k, a), b in zip(lazy.state_dict().items(), eager.state_dict().values()):
        np.testing.assert_array_equal(a.numpy(), b.numpy(), err_msg=k)
    np.testing.assert_array_equal(y.detach().numpy(), ref.detach().numpy())


def test_placeholder_reprs():
    assert repr(enn.UninitializedParameter()) == "<UninitializedParameter>"
    assert str(enn.UninitializedBuffer()) == "<UninitializedBuffer>"
    assert repr(enn.LazyLinear(3).state_dict()) == (
        "OrderedDict([('weight', <UninitializedParameter>), ('bias', <UninitializedParameter>)])")
    p = enn.UninitializedParameter(dtype=ember.float64)
    assert p.dtype is ember.float64 and p.requires_grad and p.size() == (0,)
    b = enn.UninitializedBuffer()
    assert not b.requires_grad and b.persistent
    assert enn.parameter.is_lazy(p) and enn.parameter.is_lazy(b)
    assert not enn.parameter.is_lazy(enn.Parameter(ember.ones(2)))


def _w(L):
    return L.nn.LazyLinear(3).weight


# uses of a placeholder, each raising torch's error (type and text)
ERRORS = {
    "shape": lambda L: _w(L).shape,
    "dim": lambda L: _w(L).dim(),
    "numel": lambda L: _w(L).numel(),
    "add_operator": lambda L: _w(L) + 1,
    "radd_operator": lambda L: 1 + _w(L),
    "mul_method": lambda L: _w(L).mul(2),
    "matmul": lambda L: _w(L) @ L.ones(0),
    "neg": lambda L: -_w(L),
    "eq": lambda L: _w(L) == 1,
    "getitem": lambda L: _w(L)[0],
    "iter": lambda L: list(_w(L)),
    "bool": lambda L: bool(_w(L)),
    "iadd": lambda L: _w(L).__iadd__(1),
    "detach": lambda L: _w(L).detach(),
    "clone": lambda L: _w(L).clone(),
    "requires_grad_": lambda L: _w(L).requires_grad_(False),
    "numpy": lambda L: _w(L).numpy(),
    "F.linear": lambda L: L.nn.functional.linear(L.ones(2, 3), _w(L)),
    "init.xavier": lambda L: L.nn.init.xavier_uniform_(_w(L)),
    "init.kaiming": lambda L: L.nn.init.kaiming_uniform_(_w(L)),
    "share_memory_": lambda L: _w(L).share_memory_(),
    "module.share_memory": lambda L: L.nn.LazyLinear(3).share_memory(),
    "copy_ outside no_grad": lambda L: _w(L).copy_(L.ones(0)),
    "module.requires_grad_": lambda L: L.nn.LazyLinear(2).requires_grad_(False),
    "module.to channels_last": lambda L: L.nn.LazyConv2d(2, 3).to(
        memory_format=L.channels_last),
    "deepcopy buffer": lambda L: copy.deepcopy(L.nn.LazyBatchNorm1d()),
    "load uninit into init": lambda L: L.nn.Linear(4, 3).load_state_dict(
        L.nn.LazyLinear(3).state_dict()),
    "missing keys": lambda L: L.nn.LazyLinear(3).load_state_dict({}),
    "partly loaded": lambda L: _partly_loaded(L),
    "no input": lambda L: L.nn.LazyLinear(3)(),
    "0-d input": lambda L: L.nn.LazyLinear(3)(L.ones(())),
    "wrong in_features later": lambda L: _second_call(L),
    "conv input dims": lambda L: L.nn.LazyConv2d(4, 3)(L.ones(2, 3)),
    "conv3d input dims": lambda L: L.nn.LazyConvTranspose3d(4, 3)(L.ones(2, 3)),
    "conv groups": lambda L: L.nn.LazyConv2d(4, 3, groups=2)(L.ones(1, 3, 5, 5)),
    "conv out groups": lambda L: L.nn.LazyConv2d(3, 3, groups=2)(L.ones(1, 4, 5, 5)),
    "transposed padding_mode": lambda L: L.nn.LazyConvTranspose1d(3, 3, padding_mode="reflect"),
    "batchnorm dims": lambda L: L.nn.LazyBatchNorm2d()(L.ones(2, 3)),
    "batchnorm1d dims": lambda L: L.nn.LazyBatchNorm1d()(L.ones(2, 3, 4, 5)),
    "instancenorm unbatched": lambda L: L.nn.LazyInstanceNorm1d()(L.ones(3, 5)),
    "instancenorm dims": lambda L: L.nn.LazyInstanceNorm2d()(L.ones(3, 5)),
    "base initialize_parameters": lambda L: L.nn.modules.lazy.LazyModuleMixin
    .initialize_parameters(L.nn.Linear(2, 3)),
    "dtype mismatch": lambda L: L.nn.LazyLinear(3, dtype=L.float64)(L.ones(2, 2)),
    # a move to meta replaces each parameter by a plain empty one: no longer lazy
    "moved to meta first": lambda L: L.nn.LazyLinear(3).to("meta")(L.ones(2, 4, device="meta")),
}


def _partly_loaded(L):
    m = L.nn.LazyLinear(3)
    m.load_state_dict({"weight": L.ones(3, 4)}, strict=False)
    assert type(m.weight).__name__ == "Parameter"
    assert type(m.bias).__name__ == "UninitializedParameter"
    return m(L.ones(2, 4))


def _second_call(L):
    m = L.nn.LazyLinear(3)
    m(L.ones(2, 5))
    return m(L.ones(2, 4))


def _raised(fn, L):
    with pytest.raises(Exception) as ei:
        fn(L)
    return ei.value


def _address_free(e):
    return type(e).__name__, re.sub(r" at 0x[0-9a-f]+", " at 0x...", str(e))


@requires_torch
@pytest.mark.parametrize("name", sorted(ERRORS))
def test_placeholder_errors(name):
    """torch's exception and text; where torch's text shows a function's address, up to it."""
    e, t = _raised(ERRORS[name], ember), _raised(ERRORS[name], torch)
    assert _address_free(e) == _address_free(t)


def test_placeholder_error_text_without_torch():
    with pytest.raises(ValueError) as ei:
        enn.LazyLinear(3).weight.dim()
    assert str(ei.value) == (
        "Attempted to use an uninitialized parameter in <method 'dim' of "
        "'torch._C.TensorBase' objects>. This error happens when you are using a `LazyModule` "
        "or explicitly manipulating `torch.nn.parameter.UninitializedParameter` objects. When "
        "using LazyModules Call `forward` with a dummy batch to initialize the parameters "
        "before calling torch functions")
    with pytest.raises(RuntimeError, match="^Can't access the shape of an uninitialized"):
        enn.LazyBatchNorm1d().running_mean.shape
    with pytest.raises(RuntimeError, match="^module LazyLinear has not been fully initialized$"):
        m = enn.LazyLinear(3)
        m.initialize_parameters = lambda x: None
        m(ember.ones(2, 2))


def _u(L):
    return L.nn.UninitializedParameter()


# functions given a placeholder: torch names the first one that dispatched on it, or the Tensor
# method it reached
FUNCTIONS = {
    "torch.add": lambda L: L.add(_u(L), 1),
    "torch.matmul": lambda L: L.matmul(L.ones(3), _u(L)),
    "torch.stack": lambda L: L.stack([_u(L)]),
    "torch.exp": lambda L: L.exp(_u(L)),
    "torch.zeros_like": lambda L: L.zeros_like(_u(L)),
    "torch.einsum": lambda L: L.einsum("i->", _u(L)),
    "torch.split": lambda L: L.split(_u(L), 1),
    "F.relu": lambda L: L.nn.functional.relu(_u(L)),
    "F.gelu": lambda L: L.nn.functional.gelu(_u(L)),
    "F.sigmoid": lambda L: L.nn.functional.sigmoid(_u(L)),
    "F.softmax": lambda L: L.nn.functional.softmax(_u(L), 0),
    "F.conv2d": lambda L: L.nn.functional.conv2d(L.ones(1, 1, 3, 3), _u(L)),
    "F.avg_pool2d": lambda L: L.nn.functional.avg_pool2d(_u(L), 2),
    "F.max_pool2d": lambda L: L.nn.functional.max_pool2d(_u(L), 2),
    "F.layer_norm": lambda L: L.nn.functional.layer_norm(L.ones(2, 3), (3,), _u(L)),
    "F.cross_entropy": lambda L: L.nn.functional.cross_entropy(_u(L), L.ones(0, dtype=L.long)),
    "F.batch_norm": lambda L: L.nn.functional.batch_norm(
        L.ones(2, 3), L.nn.LazyBatchNorm1d().running_mean, None),
    "init.normal_": lambda L: L.nn.init.normal_(_u(L)),
    "init.constant_": lambda L: L.nn.init.constant_(_u(L), 1.0),
    "init.ones_": lambda L: L.nn.init.ones_(_u(L)),
    "init.zeros_": lambda L: L.nn.init.zeros_(_u(L)),
    "init.kaiming_normal_": lambda L: L.nn.init.kaiming_normal_(_u(L)),
    "parameters_to_vector": lambda L: L.nn.utils.parameters_to_vector(
        L.nn.LazyLinear(3).parameters()),
    "Module.to_empty": lambda L: L.nn.LazyLinear(3).to_empty(device="cpu"),
}


@requires_torch
@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_functional_use(name):
    """torch's ValueError naming the function (where torch shows an address, up to it)."""
    e, t = _raised(FUNCTIONS[name], ember), _raised(FUNCTIONS[name], torch)
    assert _address_free(e) == _address_free(t)


def test_allowed_uses():
    p = enn.LazyLinear(3).weight
    assert p.size() == (0,) and p.size(0) == 0 and p.ndim == 1 and p.nbytes == 0
    assert p.is_floating_point() and not p.is_complex() and p.get_device() == -1
    assert p.float() is p and p.cpu() is p and p.to("cpu") is p
    assert type(p.double()) is ember.Tensor and p.double().dtype is ember.float64
    assert p.long().dtype is ember.int64 and p.half().dtype is ember.float16
    assert p.is_leaf and p.grad is None and p.grad_fn is None
    assert p.device == ember.device("cpu") and p.dtype is ember.float32
    assert repr(p.data) == "tensor([])"
    with ember.no_grad():
        assert p.copy_(enn.UninitializedParameter()) is p
    assert hash(p) == hash(p) and p in [p] and p in {p}


@requires_torch
def test_state_dict_both_ways():
    tl, el = _pair("LazyLinear", (3,), {})
    assert repr(el.state_dict(keep_vars=True)) == repr(tl.state_dict(keep_vars=True))
    assert el.state_dict()["weight"] is el.weight
    # an initialized state into a lazy module: shapes taken, values copied, still lazy until
    # the first call, which checks the input against the loaded weight
    torch.manual_seed(3)
    src = torch.nn.Linear(4, 3)
    el.load_state_dict({k: ember.from_numpy(v.detach().numpy().copy())
                        for k, v in src.state_dict().items()})
    tl.load_state_dict(src.state_dict())
    assert type(el).__name__ == type(tl).__name__ == "LazyLinear"
    assert repr(el) == repr(tl) and not el.has_uninitialized_params()
    x = arr((2, 4))
    assert_same(el(ember.from_numpy(x)), tl(torch.from_numpy(x)))
    assert repr(el) == repr(tl) == "Linear(in_features=4, out_features=3, bias=True)"
    _same_state(el, tl)
    # a lazy state into a lazy module: nothing changes
    tb, eb = _pair("LazyBatchNorm2d", (), {})
    assert repr(eb.load_state_dict(enn.LazyBatchNorm2d().state_dict())) == repr(
        tb.load_state_dict(torch.nn.LazyBatchNorm2d().state_dict()))
    assert eb.has_uninitialized_params()
    x = arr((2, 3, 4, 4))
    assert_same(eb(ember.from_numpy(x)), tb(torch.from_numpy(x)))
    _same_state(eb, tb)


def test_pickle_and_deepcopy_before_first_call():
    m = enn.LazyLinear(3)
    for c in (copy.deepcopy(m), pickle.loads(pickle.dumps(m))):
        assert type(c) is enn.LazyLinear and c.has_uninitialized_params()
        assert tuple(c(ember.ones(2, 6)).shape) == (2, 3)
        assert type(c) is enn.Linear and c.in_features == 6
    assert type(m) is enn.LazyLinear and m.has_uninitialized_params()
    p = pickle.loads(pickle.dumps(enn.UninitializedParameter(requires_grad=False)))
    assert type(p) is enn.UninitializedParameter and not p.requires_grad


@requires_torch
@pytest.mark.parametrize("convert", ["double", "to_float64", "half_then_float"])
def test_conversion_before_first_call(convert):
    def go(L):
        L.manual_seed(0)
        m = L.nn.Sequential(L.nn.LazyLinear(4), L.nn.LazyBatchNorm1d())
        if convert == "double":
            m.double()
        elif convert == "to_float64":
            m.to(L.float64)
        else:
            m.half().float()
        kinds = [type(t).__name__ for t in m.state_dict().values()]
        dtypes = [str(t.dtype) for t in m[1].buffers()]
        x = L.from_numpy(arr((5, 3), "float64" if convert != "half_then_float" else "float32"))
        return m, m(x), kinds, dtypes
    em, eo, ek, ed = go(ember)
    tm, to, tk, td = go(torch)
    assert ek == tk and ed == td
    assert_same(eo, to)
    _same_state(em, tm)


@requires_torch
def test_factory_kwargs():
    torch.manual_seed(0)
    ember.manual_seed(0)
    tm = torch.nn.LazyConv2d(2, 3, dtype=torch.float64, device="cpu")
    em = enn.LazyConv2d(2, 3, dtype=ember.float64, device="cpu")
    x = arr((1, 2, 5, 5), "float64")
    assert_same(em(ember.from_numpy(x)), tm(torch.from_numpy(x)))
    assert em.weight.dtype is ember.float64
    _same_state(em, tm)
    tb, eb = torch.nn.LazyBatchNorm1d(dtype=torch.float64), enn.LazyBatchNorm1d(
        dtype=ember.float64)
    assert eb.running_mean.dtype is ember.float64 and eb.num_batches_tracked.dtype is ember.int64
    x = arr((4, 3), "float64")
    assert_same(eb(ember.from_numpy(x)), tb(torch.from_numpy(x)))
    _same_state(eb, tb)


def _d2l_net(L):
    nn = L.nn
    return nn.Sequential(
        nn.LazyConv2d(6, kernel_size=5, padding=2), nn.LazyBatchNorm2d(), nn.Sigmoid(),
        nn.AvgPool2d(kernel_size=2, stride=2),
        nn.LazyConv2d(16, kernel_size=5), nn.LazyBatchNorm2d(), nn.Sigmoid(),
        nn.AvgPool2d(kernel_size=2, stride=2), nn.Flatten(),
        nn.LazyLinear(120), nn.LazyBatchNorm1d(), nn.Sigmoid(),
        nn.LazyLinear(84), nn.LazyBatchNorm1d(), nn.Sigmoid(), nn.LazyLinear(10))


@requires_torch
def test_d2l_lenet_batchnorm_trains_as_torch():
    """d2l's BNLeNet built from lazy layers: seeded, initialized by the first batch, then trained
    by an optimizer created after that call."""
    x = arr((8, 1, 16, 16), seed=5)
    y = np.random.default_rng(6).integers(0, 10, 8)
    results = {}
    for L in (torch, ember):
        L.manual_seed(42)
        net = _d2l_net(L)
        before = repr(net)
        xs, ys = L.from_numpy(x), L.from_numpy(y)
        out = net(xs)
        loss = L.nn.functional.cross_entropy(out, ys)
        loss.backward()
        grads = [p.grad.clone() for p in net.parameters()]
        first = (before, repr(net), out, loss, grads, copy.deepcopy(net.state_dict()))
        opt = L.optim.SGD(net.parameters(), lr=0.5, momentum=0.9)
        losses = []
        for _ in range(3):
            opt.zero_grad()
            loss = L.nn.functional.cross_entropy(net(xs), ys)
            loss.backward()
            opt.step()
            losses.append(loss.item())
        results[L.__name__] = first, losses, net.state_dict()
    (eb, ea, eo, el, eg, es), e_losses, e_final = results["ember"]
    (tb, ta, to, tl, tg, ts), t_losses, t_final = results["torch"]
    assert eb == tb and ea == ta
    assert "LazyConv2d(0, 6, kernel_size=(5, 5)" in eb and "Conv2d(1, 6, kernel_size" in ea
    params = dict(net.named_parameters())
    for k in ts:
        tol = 0 if k in params else 1e-6
        assert_same(es[k], ts[k], rtol=tol, atol=tol, what=f"initial {k}")
    assert_same(eo, to, what="first output")
    assert_same(el, tl, what="first loss")
    for i, (e, t) in enumerate(zip(eg, tg)):
        assert_same(e, t, rtol=1e-4, atol=1e-6, what=f"grad {i}")
    np.testing.assert_allclose(e_losses, t_losses, rtol=1e-4)
    for k in t_final:
        assert_same(e_final[k], t_final[k], rtol=1e-4, atol=1e-5, what=f"trained {k}")


@requires_torch
def test_optimizer_made_before_first_call():
    """torch's parameters stay the same objects through materialization, so an optimizer made
    on the placeholders updates the materialized weights."""
    x = arr((4, 5))
    res = []
    for L in (torch, ember):
        L.manual_seed(0)
        m = L.nn.LazyLinear(2)
        opt = L.optim.SGD(m.parameters(), lr=0.1)
        m(L.from_numpy(x)).sum().backward()
        opt.step()
        res.append(m.state_dict())
    for k in res[0]:
        assert_same(res[1][k], res[0][k], what=k)


@requires_torch
def test_initialize_parameters_directly():
    """initialize_parameters alone materializes; the first call then only swaps the class."""
    x = arr((2, 3, 6, 6))
    res = []
    for L in (torch, ember):
        L.manual_seed(1)
        m = L.nn.LazyConvTranspose2d(2, 3)
        m.initialize_parameters(L.from_numpy(x))
        kinds = (type(m).__name__, m.has_uninitialized_params(), repr(m))
        y = m(L.from_numpy(x), output_size=(8, 8))
        res.append((kinds, type(m).__name__, y, m.state_dict()))
    (tk, tn, ty, ts), (ek, en, ey, es) = res
    assert ek == tk and en == tn == "ConvTranspose2d"
    assert_same(ey, ty)
    for k in ts:
        assert_same(es[k], ts[k], rtol=0, atol=0, what=k)


@requires_torch
def test_save_before_first_call():
    """A placeholder is written as torch writes it (its class), so torch reads ember's file;
    weights_only refuses it in both."""
    import io
    buf = io.BytesIO()
    ember.save({"model": enn.LazyLinear(3), "sd": enn.LazyBatchNorm1d().state_dict()}, buf)
    for L in (ember, torch):
        buf.seek(0)
        got = L.load(buf, weights_only=False)
        assert repr(got["sd"]) == repr(torch.nn.LazyBatchNorm1d().state_dict())
        assert tuple(got["model"](L.ones(2, 5)).shape) == (2, 3)
        assert type(got["model"]).__name__ == "Linear"
        buf.seek(0)
        with pytest.raises(Exception) as ei:
            L.load(buf)
        assert type(ei.value).__name__ == "UnpicklingError"


@requires_torch
def test_meta_move_replaces_parameters():
    """torch cannot swap a parameter's data between meta and real storage: Module.to makes new
    Parameters there (placeholders included), and keeps the objects otherwise."""
    for L in (torch, ember):
        m = L.nn.Linear(2, 3)
        w = m.weight
        m.to(L.float64)
        assert m.weight is w
        m.to("meta")
        assert m.weight is not w and type(m.weight).__name__ == "Parameter"
        assert m.weight.is_meta and m.weight.requires_grad
        lazy = L.nn.LazyLinear(3, device="meta")
        assert type(lazy.to("meta").weight).__name__ == "UninitializedParameter"
        assert not L.nn.LazyLinear(3).to("meta").has_uninitialized_params()
