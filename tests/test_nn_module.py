"""The Module system against torch: registration, iteration, state_dict, load_state_dict errors,
containers, hooks, conversions and reprs. The same code runs on both (`L` is ember or torch)."""

from collections import OrderedDict

import numpy as np
import pytest

import ember
import ember.nn  # noqa: F401
from oracle import check_error, requires_torch, torch


def net(L):
    class Net(L.nn.Module):
        def __init__(self):
            super().__init__()
            self.fc1 = L.nn.Linear(4, 3)
            self.act = L.nn.ReLU()
            self.seq = L.nn.Sequential(OrderedDict([("a", L.nn.Linear(3, 3)),
                                                    ("drop", L.nn.Dropout(0.1))]))
            self.shared = self.fc1
            self.scale = L.nn.Parameter(L.ones(1))
            self.register_buffer("count", L.zeros(2))
            self.register_buffer("tmp", L.ones(1), persistent=False)
            self.register_parameter("nothing", None)
            self.mods = L.nn.ModuleList([L.nn.Tanh(), L.nn.Tanh(), L.nn.Linear(3, 2)])
            self.md = L.nn.ModuleDict({"x": L.nn.Sigmoid()})
            self.pl = L.nn.ParameterList([L.nn.Parameter(L.ones(2, 3)), L.zeros(4)])
            self.pd = L.nn.ParameterDict({"b": L.nn.Parameter(L.ones(3)), "a": L.zeros(1)})

        def forward(self, x):
            return self.mods[2](self.seq(self.act(self.fc1(x)))) * self.scale

        def extra_repr(self):
            return "custom=1"
    return Net()


def both():
    torch.manual_seed(0)
    ember.manual_seed(0)
    return net(ember), net(torch)


@requires_torch
def test_repr_nested():
    e, t = both()
    assert repr(e) == repr(t)
    s = ember.nn.Sequential(ember.nn.Linear(2, 2), ember.nn.Sequential(ember.nn.ReLU()))
    assert repr(s) == repr(torch.nn.Sequential(torch.nn.Linear(2, 2),
                                               torch.nn.Sequential(torch.nn.ReLU())))
    assert repr(ember.nn.ModuleList()) == repr(torch.nn.ModuleList())
    assert repr(ember.nn.Sequential()) == repr(torch.nn.Sequential())


@requires_torch
def test_named_members():
    e, t = both()
    for fn in ("named_parameters", "named_buffers", "named_children", "named_modules"):
        assert [k for k, _ in getattr(e, fn)()] == [k for k, _ in getattr(t, fn)()], fn
    for kw in ({"prefix": "m"}, {"recurse": False}, {"remove_duplicate": False}):
        assert [k for k, _ in e.named_parameters(**kw)] == \
            [k for k, _ in t.named_parameters(**kw)]
    assert [k for k, _ in e.named_modules(prefix="p", remove_duplicate=False)] == \
        [k for k, _ in t.named_modules(prefix="p", remove_duplicate=False)]
    assert len(list(e.parameters())) == len(list(t.parameters()))
    assert len(list(e.children())) == len(list(t.children()))
    assert len(list(e.modules())) == len(list(t.modules()))
    assert sorted(dir(e)) == dir(e)
    assert "fc1" in dir(e) and "count" in dir(e) and "scale" in dir(e)


@requires_torch
def test_state_dict_keys_and_metadata():
    e, t = both()
    es, ts = e.state_dict(), t.state_dict()
    assert list(es) == list(ts)
    assert es._metadata == ts._metadata
    assert type(es) is OrderedDict
    for k in ts:
        np.testing.assert_array_equal(es[k].numpy(), ts[k].numpy())
    assert es["fc1.weight"].grad_fn is None and not es["fc1.weight"].requires_grad
    assert e.state_dict(keep_vars=True)["scale"] is e.scale
    assert list(e.state_dict(prefix="x.")) == list(t.state_dict(prefix="x."))


@requires_torch
def test_load_state_dict_roundtrip_and_result():
    e, t = both()
    sd = {k: ember.from_numpy(v.numpy() + 1) for k, v in t.state_dict().items()}
    res = e.load_state_dict(sd)
    assert repr(res) == "<All keys matched successfully>"
    np.testing.assert_array_equal(e.fc1.weight.detach().numpy(), sd["fc1.weight"].numpy())
    sd.pop("count")
    sd["extra.w"] = ember.ones(1)
    res = e.load_state_dict(sd, strict=False)
    tsd = {k: torch.from_numpy(v.numpy()) for k, v in sd.items()}
    tres = t.load_state_dict(tsd, strict=False)
    assert res.missing_keys == tres.missing_keys and res.unexpected_keys == tres.unexpected_keys
    assert repr(res) == repr(tres)


@pytest.mark.parametrize("case", [
    lambda L: L.nn.Linear(2, 2).load_state_dict({"weight": L.ones(2, 2)}),
    lambda L: L.nn.Linear(2, 2).load_state_dict({"weight": L.ones(3, 2), "bias": L.ones(2)}),
    lambda L: L.nn.Linear(2, 2).load_state_dict({"weight": L.ones(2, 2), "bias": L.ones(2),
                                                 "x": L.ones(1), "y.z": L.ones(1)}),
    lambda L: L.nn.Sequential(L.nn.Linear(2, 2)).load_state_dict(
        {"0.weight": L.ones(3, 3), "1.bias": L.ones(2)}),
    lambda L: L.nn.Linear(2, 2).load_state_dict({"weight": 3, "bias": L.ones(2)}),
    lambda L: L.nn.Linear(2, 2).load_state_dict([1, 2]),
])
def test_load_state_dict_errors(case):
    check_error(lambda L: case(L))


@pytest.mark.parametrize("case", [
    lambda L: L.nn.Linear(2, 2).register_buffer("a.b", L.ones(1)),
    lambda L: L.nn.Linear(2, 2).register_buffer("weight", L.ones(1)),
    lambda L: L.nn.Linear(2, 2).register_buffer("x", 3),
    lambda L: L.nn.Linear(2, 2).register_parameter("", None),
    lambda L: L.nn.Linear(2, 2).register_parameter("x", L.ones(1)),
    lambda L: L.nn.Linear(2, 2).register_parameter("x", L.nn.Parameter(L.ones(1)) * 2),
    lambda L: L.nn.Linear(2, 2).add_module("a.b", L.nn.ReLU()),
    lambda L: L.nn.Linear(2, 2).add_module("x", 3),
    lambda L: setattr(L.nn.Linear(2, 2), "weight", L.ones(2, 2)),
    lambda L: setattr(L.nn.Sequential(L.nn.ReLU()), "0", 5),
    lambda L: L.nn.Linear(2, 2).nope,
    lambda L: L.nn.Linear(2, 2).get_submodule("a.b"),
    lambda L: L.nn.Sequential(L.nn.ReLU()).get_parameter("0.weight"),
    lambda L: L.nn.Sequential(L.nn.Linear(1, 1)).get_submodule("0.weight"),
    lambda L: L.nn.Module()(1),
    lambda L: L.nn.Sequential(L.nn.ReLU())[3],
    lambda L: L.nn.ModuleList([L.nn.ReLU()])[-2],
    lambda L: L.nn.Linear(2, 2).train(1),
    lambda L: L.nn.Linear(2, 2).to(L.int64),
    lambda L: L.nn.ParameterList([L.ones(1)])(1),
])
def test_registration_errors(case):
    check_error(lambda L: case(L))


def test_setattr_registration_and_delattr():
    m = ember.nn.Linear(2, 2)
    m.extra = ember.nn.Parameter(ember.ones(3))
    m.child = ember.nn.ReLU()
    m.plain = 5
    assert "extra" in m._parameters and "child" in m._modules and m.__dict__["plain"] == 5
    m.child = None
    assert m._modules["child"] is None
    m.bias = None
    assert m.bias is None and [k for k, _ in m.named_parameters()] == ["weight", "extra"]
    m.buf = ember.nn.Buffer(ember.ones(2))
    m.buf2 = ember.nn.Buffer(ember.ones(2), persistent=False)
    assert list(m.state_dict()) == ["weight", "extra", "buf"]
    m.buf = ember.zeros(2)
    assert m._buffers["buf"].sum().item() == 0
    del m.extra, m.buf, m.child, m.plain
    assert "extra" not in m._parameters and "buf" not in m._buffers and not hasattr(m, "plain")
    w = ember.nn.Parameter(ember.ones(2, 2))
    m.weight = w
    assert m.weight is w
    assert m.get_parameter("weight") is w
    s = ember.nn.Sequential(OrderedDict(a=ember.nn.Sequential(ember.nn.Linear(1, 1))))
    assert s.get_submodule("a.0") is s.a[0]
    assert s.get_parameter("a.0.bias") is s.a[0].bias


@requires_torch
def test_parameter():
    p = ember.nn.Parameter(ember.tensor([1.0, 2.0]))
    t = torch.nn.Parameter(torch.tensor([1.0, 2.0]))
    assert repr(p) == repr(t)
    assert p.requires_grad and p.is_leaf and isinstance(p, ember.Tensor)
    assert not ember.nn.Parameter(ember.ones(1), requires_grad=False).requires_grad
    assert type(p * 2) is ember.Tensor
    base = ember.zeros(3)
    q = ember.nn.Parameter(base)
    base.add_(1)
    assert q.sum().item() == 3  # shares memory
    import copy
    c = copy.deepcopy(q)
    assert type(c) is ember.nn.Parameter and c.requires_grad and c.data_ptr() != q.data_ptr()
    import pickle
    r = pickle.loads(pickle.dumps(p))
    assert type(r) is ember.nn.Parameter and r.tolist() == [1.0, 2.0]
    assert repr(ember.nn.Parameter()) == repr(torch.nn.Parameter())


@requires_torch
def test_train_eval_zero_grad_requires_grad():
    e, _ = both()
    assert e.training and e.seq.drop.training
    assert e.eval() is e and not e.seq.drop.training and not e.mods[0].training
    e.train()
    assert e.seq.drop.training
    out = e(ember.ones(2, 4)).sum()
    out.backward()
    assert e.fc1.weight.grad is not None
    e.zero_grad(set_to_none=False)
    assert e.fc1.weight.grad.abs().sum().item() == 0
    e.zero_grad()
    assert e.fc1.weight.grad is None
    e.requires_grad_(False)
    assert not any(p.requires_grad for p in e.parameters())


@requires_torch
def test_conversions_and_apply():
    e, _ = both()
    w = e.fc1.weight
    assert e.double() is e and e.fc1.weight.dtype is ember.float64 and e.fc1.weight is w
    assert e.count.dtype is ember.float64
    e.float()
    assert e.fc1.weight.dtype is ember.float32
    e.to(ember.float64)
    assert e.scale.dtype is ember.float64
    e.to("cpu", dtype=ember.float32)
    assert e.cpu() is e and e.scale.dtype is ember.float32
    seen = []
    e.apply(lambda m: seen.append(type(m).__name__))
    _, t = both()
    tseen = []
    t.apply(lambda m: tseen.append(type(m).__name__))
    assert seen == tseen


@requires_torch
def test_containers():
    L = ember.nn
    s = L.Sequential(L.Linear(2, 3), L.ReLU(), L.Linear(3, 1))
    assert len(s) == 3 and isinstance(s[-1], L.Linear) and isinstance(s[1:], L.Sequential)
    assert [type(m).__name__ for m in s] == ["Linear", "ReLU", "Linear"]
    s[1] = L.Tanh()
    assert isinstance(s[1], L.Tanh)
    s.append(L.Sigmoid()).insert(0, L.Identity())
    assert [k for k, _ in s.named_children()] == ["0", "1", "2", "3", "4"]
    del s[0]
    assert isinstance(s[0], L.Linear) and list(s._modules) == ["0", "1", "2", "3"]
    s.extend([L.ReLU()])
    assert s.pop(-1).__class__ is L.ReLU and len(s) == 4
    assert len(s + L.Sequential(L.ReLU())) == 5
    ml = L.ModuleList([L.ReLU()])
    ml.extend([L.Tanh(), L.Tanh()])
    ml.append(L.ReLU())
    ml.insert(1, L.Sigmoid())
    ml += [L.ReLU()]
    assert [type(m).__name__ for m in ml] == ["ReLU", "Sigmoid", "Tanh", "Tanh", "ReLU", "ReLU"]
    t = torch.nn.ModuleList([torch.nn.ReLU(), torch.nn.Sigmoid(), torch.nn.Tanh(),
                             torch.nn.Tanh(), torch.nn.ReLU(), torch.nn.ReLU()])
    assert repr(ml) == repr(t)
    del ml[1:3]
    assert len(ml) == 4 and list(ml._modules) == ["0", "1", "2", "3"]
    md = L.ModuleDict([("b", L.ReLU()), ("a", L.Tanh())])
    md["c"] = L.Sigmoid()
    assert list(md) == ["b", "a", "c"] and "a" in md and len(md) == 3
    assert isinstance(md.pop("a"), L.Tanh) and list(md.keys()) == ["b", "c"]
    pl = L.ParameterList([ember.ones(2), L.Parameter(ember.zeros(3))])
    pl.append(ember.ones(1))
    assert len(pl) == 3 and all(isinstance(p, L.Parameter) for p in pl)
    assert [k for k, _ in pl.named_parameters()] == ["0", "1", "2"]
    tpl = torch.nn.ParameterList([torch.ones(2), torch.nn.Parameter(torch.zeros(3)),
                                  torch.ones(1)])
    assert repr(pl) == repr(tpl)
    pd = L.ParameterDict({"b": ember.ones(1), "a": ember.ones(2)})
    tpd = torch.nn.ParameterDict({"b": torch.ones(1), "a": torch.ones(2)})
    assert list(pd.keys()) == list(tpd.keys()) and repr(pd) == repr(tpd)
    pd["c"] = ember.zeros(1)
    assert isinstance(pd["c"], L.Parameter) and len(pd) == 3 and "c" in pd
    assert [k for k, _ in pd.named_parameters()] == ["a", "b", "c"]  # a dict is sorted


def test_forward_hooks():
    calls = []
    m = ember.nn.Linear(2, 2)
    h1 = m.register_forward_pre_hook(lambda mod, args: (args[0] * 2,))
    h2 = m.register_forward_hook(lambda mod, args, out: calls.append(args[0].sum().item()))
    h3 = m.register_forward_hook(lambda mod, args, kw, out: out * 0, with_kwargs=True)
    out = m(ember.ones(1, 2))
    assert calls == [4.0] and out.abs().sum().item() == 0
    h1.remove()
    h2.remove()
    h3.remove()
    assert m(ember.ones(1, 2)).abs().sum().item() > 0 and calls == [4.0]
    order = []
    m.register_forward_hook(lambda *a: order.append(1))
    m.register_forward_hook(lambda *a: order.append(0), prepend=True)
    m(ember.ones(1, 2))
    assert order == [0, 1]


@requires_torch
def test_full_backward_hooks_match_torch():
    def run(L):
        L.manual_seed(0)
        m = L.nn.Linear(3, 2)
        seen = {}

        def hook(mod, gin, gout):
            seen["in"] = [g.detach().numpy().copy() for g in gin]
            seen["out"] = [g.detach().numpy().copy() for g in gout]
            return (gin[0] * 3,)

        def pre(mod, gout):
            seen["pre"] = gout[0].detach().numpy().copy()
        m.register_full_backward_hook(hook)
        m.register_full_backward_pre_hook(pre)
        x = L.from_numpy(np.arange(6, dtype=np.float32).reshape(2, 3)).requires_grad_()
        (m(x) * L.tensor([1.0, 2.0])).sum().backward()
        return seen, x.grad.numpy()
    (es, eg), (ts, tg) = run(ember), run(torch)
    np.testing.assert_allclose(eg, tg, rtol=1e-6)
    np.testing.assert_allclose(es["pre"], ts["pre"])
    for a, b in zip(es["in"] + es["out"], ts["in"] + ts["out"]):
        np.testing.assert_allclose(a, b, rtol=1e-6)


@requires_torch
def test_state_dict_hooks_and_deepcopy():
    import copy
    e, _ = both()
    c = copy.deepcopy(e)
    assert c.fc1 is c.shared and c.fc1 is not e.fc1
    np.testing.assert_array_equal(c.fc1.weight.detach().numpy(), e.fc1.weight.detach().numpy())
    seen = []
    e.register_load_state_dict_post_hook(lambda mod, keys: seen.append(len(keys.missing_keys)))
    e.load_state_dict(e.state_dict())
    assert seen == [0]


def test_hook_handles_are_torch_utils_hooks_removable_handles():
    from ember.utils.hooks import RemovableHandle
    m = ember.nn.Linear(2, 2)
    opt = ember.optim.SGD(m.parameters(), lr=0.1)
    calls = []
    with m.register_forward_hook(lambda *a: calls.append("fwd")) as h1:
        assert isinstance(h1, RemovableHandle)
        m(ember.ones(1, 2))
    m(ember.ones(1, 2))  # the context removed the hook
    h2 = opt.register_step_pre_hook(lambda *a: calls.append("step"))
    assert isinstance(h2, RemovableHandle)
    opt.step()
    h2.remove()
    opt.step()
    assert calls == ["fwd", "step"]


def test_state_dict_pre_and_post_hooks():
    """Module.register_state_dict_pre_hook(module, prefix, keep_vars) and the public post hook
    (module, state_dict, prefix, local_metadata), which must return None."""
    m = ember.nn.Linear(2, 2)
    calls = []
    m.register_state_dict_pre_hook(lambda mod, prefix, keep: calls.append(("pre", prefix, keep)))
    h = m.register_state_dict_post_hook(
        lambda mod, sd, prefix, meta: calls.append(("post", prefix, list(sd))))
    ember.nn.Sequential(m).state_dict()
    assert calls == [("pre", "0.", False), ("post", "0.", ["0.weight", "0.bias"])]
    h.remove()
    m.register_state_dict_post_hook(lambda mod, sd, prefix, meta: {"x": 1})
    with pytest.raises(RuntimeError, match="state_dict post-hook must return None"):
        m.state_dict()


def test_softmax2d_and_deprecated_upsamples():
    x = ember.randn(2, 3, 4, 5)
    np.testing.assert_allclose(ember.nn.Softmax2d()(x).numpy(), ember.softmax(x, 1).numpy())
    with pytest.raises(ValueError, match="Softmax2d: expected input to be 3D or 4D, got 2D"):
        ember.nn.Softmax2d()(ember.ones(2, 2))
    with pytest.warns(UserWarning, match="upsample_bilinear` is deprecated"):
        r = ember.nn.functional.upsample_bilinear(ember.arange(4.0).reshape(1, 1, 2, 2),
                                                  scale_factor=2)
    np.testing.assert_allclose(r[0, 0, 0].numpy(), [0, 1 / 3, 2 / 3, 1], rtol=1e-6)
    with pytest.warns(UserWarning, match="upsample_nearest` is deprecated"):
        r = ember.nn.functional.upsample_nearest(ember.arange(4.0).reshape(1, 1, 2, 2), size=3)
    assert r[0, 0, 0].tolist() == [0.0, 0.0, 1.0]
