"""Convolution, transposed convolution, unfold/fold, pad and the Conv modules against torch."""

import numpy as np
import pytest

import ember
from ember.nn import _conv
from ember.nn.modules import conv as conv_modules
from ember.nn.modules import padding as pad_modules
from oracle import arr, check, check_error, requires_torch, torch


def F(L):
    return _conv if L is ember else torch.nn.functional


TOL = {"float32": dict(rtol=1e-4, atol=1e-5), "float64": dict(rtol=1e-10, atol=1e-10)}

CONV = [
    ("conv2d", dict(padding=1), (2, 3, 7, 6), (4, 3, 3, 3)),
    ("conv2d", dict(stride=(3, 2), padding=(1, 2), dilation=(2, 1)), (2, 4, 9, 8), (6, 4, 3, 2)),
    ("conv2d", dict(groups=2, stride=4), (2, 4, 9, 8), (6, 2, 2, 2)),  # stride > kernel
    ("conv2d", dict(groups=4, padding="same", dilation=2), (2, 4, 9, 8), (8, 1, 4, 3)),
    ("conv2d", dict(padding=3), (1, 2, 5, 4), (3, 2, 2, 2)),  # pad > d*(k-1)
    ("conv2d", dict(), (3, 7, 6), (4, 3, 3, 3)),  # unbatched
    ("conv1d", dict(padding="valid", stride=2), (2, 3, 11), (5, 3, 4)),
    ("conv3d", dict(padding=1, stride=(1, 2, 1)), (2, 2, 5, 6, 4), (3, 2, 3, 2, 3)),
    ("conv_transpose2d", dict(stride=2, padding=1, output_padding=1), (2, 4, 5, 6), (4, 3, 3, 3)),
    ("conv_transpose2d", dict(stride=(3, 2), padding=(0, 1), groups=2, dilation=2,
                              output_padding=(1, 0)), (2, 4, 5, 6), (4, 3, 3, 2)),
    ("conv_transpose1d", dict(stride=3), (2, 4, 5), (4, 2, 3)),
    ("conv_transpose3d", dict(stride=2, padding=1), (1, 2, 3, 4, 3), (2, 2, 2, 3, 2)),
]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name,kw,xs,ws", CONV)
def test_conv(name, kw, xs, ws, dtype):
    out_c = ws[0] if "transpose" not in name else ws[1] * kw.get("groups", 1)
    check(lambda L, x, w, b: getattr(F(L), name)(x, w, b, **kw),
          arr(xs, dtype, seed=1), arr(ws, dtype, seed=2), arr((out_c,), dtype, seed=3),
          **TOL[dtype])


def test_conv_no_bias_and_depthwise():
    check(lambda L, x, w: F(L).conv2d(x, w, groups=3, padding=1),
          arr((2, 3, 6, 6)), arr((6, 1, 3, 3), seed=1), rtol=1e-4, atol=1e-5)


@requires_torch
def test_conv_double_backward():
    x, w = arr((2, 2, 5, 5), "float64"), arr((3, 2, 3, 3), "float64", seed=1)
    res = []
    for L in (ember, torch):
        xt, wt = L.from_numpy(x.copy()).requires_grad_(), L.from_numpy(w.copy()).requires_grad_()
        y = F(L).conv2d(xt, wt, stride=2, padding=1)
        gx, gw = L.autograd.grad((y * y).sum(), (xt, wt), create_graph=True)
        gg = L.autograd.grad((gx * gx).sum() + (gw ** 3).sum(), (xt, wt))
        res.append([t.detach().numpy() for t in (gx, gw) + tuple(gg)])
    for a, b in zip(*res):
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-9)


def test_unfold_fold():
    check(lambda L, x: F(L).unfold(x, (2, 3), dilation=(1, 2), padding=1, stride=2),
          arr((2, 3, 7, 8)))
    check(lambda L, x: F(L).fold(x, (7, 8), (2, 3), dilation=(1, 2), padding=1, stride=2),
          arr((2, 18, 12)))


@pytest.mark.parametrize("mode", ["constant", "reflect", "replicate", "circular"])
def test_pad(mode):
    check(lambda L, x: F(L).pad(x, (1, 2, 2, 1), mode=mode), arr((2, 3, 5, 6)))
    check(lambda L, x: F(L).pad(x, (3, 1), mode=mode), arr((2, 3, 5)))


def test_pad_negative_constant():
    check(lambda L, x: F(L).pad(x, (-1, 2, 0, 1, 1, 1), value=1.5), arr((2, 3, 5, 6)))


ERRORS = [
    (lambda L, x: F(L).conv2d(x, L.ones(4, 2, 3, 3))),
    (lambda L, x: F(L).conv2d(x, L.ones(4, 1, 3, 3), groups=3)),
    (lambda L, x: F(L).conv2d(x, L.ones(4, 3, 3, 3), stride=0)),
    (lambda L, x: F(L).conv2d(x, L.ones(4, 3, 3, 3), padding=-1)),
    (lambda L, x: F(L).conv2d(x, L.ones(4, 3, 3, 3), padding="same", stride=2)),
    (lambda L, x: F(L).conv2d(x, L.ones(4, 3, 3, 3), padding="foo")),
    (lambda L, x: F(L).conv2d(x, L.ones(4, 3, 3, 3), bias=L.ones(3))),
    (lambda L, x: F(L).conv2d(x, L.ones(4, 3, 3, 3), dilation=0)),
    (lambda L, x: F(L).conv2d(x, L.ones(4, 3, 3, 3), stride=(1, 2, 3))),
    (lambda L, x: F(L).conv2d(x, L.ones(4, 3, 3, 3, dtype=L.float64))),
    (lambda L, x: F(L).conv2d(x, L.ones(4, 3, 9, 9))),
    (lambda L, x: F(L).conv_transpose2d(x, L.ones(4, 3, 3, 3))),
    (lambda L, x: F(L).conv_transpose2d(x, L.ones(3, 3, 3, 3), stride=2, output_padding=2)),
    (lambda L, x: F(L).conv1d(x[0], L.ones(4, 3, 3))),
    (lambda L, x: F(L).fold(x.reshape(1, 24, 8), (8, 8), 3)),
    (lambda L, x: F(L).pad(x, (1, 1, 1), mode="reflect")),
    (lambda L, x: F(L).pad(x, (8, 8), mode="reflect")),
    (lambda L, x: F(L).pad(x, (1, 1, 1, 1, 1, 1, 1, 1), mode="reflect")),
]


@pytest.mark.parametrize("fn", ERRORS)
def test_errors(fn):
    check_error(fn, arr((1, 3, 8, 8)))


@pytest.mark.parametrize("case", ["conv2d_wrong_channels", "conv2d_2d_input",
                                  "conv2d_kernel_too_big"])
def test_error_vectors(case):
    msgs = {"conv2d_wrong_channels": ((3, 8, 5), (1, 1, 28, 28)),
            "conv2d_2d_input": ((1, 8, 5), (28, 28)),
            "conv2d_kernel_too_big": ((1, 8, 5), (1, 1, 3, 3))}
    args, shape = msgs[case]
    check_error(lambda L, x: (conv_modules.Conv2d if L is ember else torch.nn.Conv2d)(*args)(x),
                arr(shape))


def _module_pair(name, *args, **kw):
    torch.manual_seed(0)
    t = getattr(torch.nn, name)(*args, **kw)
    ember.manual_seed(0)
    e = getattr(conv_modules, name)(*args, **kw)
    return e, t


@requires_torch
@pytest.mark.parametrize("name,args,kw,shape", [
    ("Conv2d", (3, 4, 3), dict(padding=1), (2, 3, 6, 5)),
    ("Conv2d", (4, 6, (3, 2)), dict(stride=2, groups=2, bias=False), (2, 4, 7, 6)),
    ("Conv2d", (2, 3, 3), dict(padding="same", padding_mode="reflect"), (2, 2, 6, 5)),
    ("Conv2d", (2, 3, 3), dict(padding=2, padding_mode="circular"), (2, 2, 6, 5)),
    ("Conv1d", (2, 3, 3), dict(padding=1, padding_mode="replicate", dilation=2), (2, 2, 9)),
    ("Conv3d", (2, 3, 2), dict(), (1, 2, 4, 4, 3)),
    ("ConvTranspose2d", (4, 2, 3), dict(stride=2, padding=1, output_padding=1), (2, 4, 4, 5)),
    ("ConvTranspose1d", (4, 2, 3), dict(stride=2), (2, 4, 5)),
])
def test_modules_match_torch(name, args, kw, shape):
    e, t = _module_pair(name, *args, **kw)
    assert repr(e) == repr(t)
    for k, v in t.state_dict().items():
        np.testing.assert_array_equal(e.state_dict()[k].numpy(), v.numpy())
    check(lambda L, x: (e if L is ember else t)(x), arr(shape), rtol=1e-4, atol=1e-5)
    x = arr(shape)
    te, tt = ember.from_numpy(x), torch.from_numpy(x)
    e(te).sum().backward()
    t(tt).sum().backward()
    for (n, pe), (_, pt) in zip(e.named_parameters(), t.named_parameters()):
        np.testing.assert_allclose(pe.grad.numpy(), pt.grad.numpy(), rtol=1e-4, atol=1e-5)


@requires_torch
def test_conv_transpose_output_size():
    e, t = _module_pair("ConvTranspose2d", 2, 3, 3, stride=2)
    x = arr((1, 2, 4, 4))
    ye = e(ember.from_numpy(x), output_size=(10, 10))
    yt = t(torch.from_numpy(x), output_size=(10, 10))
    np.testing.assert_allclose(ye.detach().numpy(), yt.detach().numpy(), rtol=1e-5, atol=1e-6)


@requires_torch
def test_conv_module_errors():
    for kw in (dict(groups=0), dict(groups=2), dict(padding="foo"), dict(padding_mode="x"),
               dict(padding="same", stride=2)):
        with pytest.raises(ValueError) as te:
            torch.nn.Conv2d(3, 4, 3, **kw)
        with pytest.raises(ValueError) as ee:
            conv_modules.Conv2d(3, 4, 3, **kw)
        assert _unordered_sets(str(ee.value)) == _unordered_sets(str(te.value))


def _unordered_sets(msg):
    """torch formats a Python set of mode names, whose order follows the string hash seed."""
    import re
    return re.sub(r"\{[^}]*\}", lambda m: str(sorted(m.group(0)[1:-1].split(", "))), msg)


@requires_torch
@pytest.mark.parametrize("name,arg", [("ZeroPad2d", (1, 2, 0, 1)), ("ReflectionPad2d", 2),
                                      ("ReplicationPad1d", (2, 1)), ("CircularPad2d", 1),
                                      ("ConstantPad2d", (1, 1, 2, 0)), ("ReflectionPad1d", 1)])
def test_padding_modules(name, arg):
    args = (arg, 0.5) if name.startswith("Constant") else (arg,)
    e, t = getattr(pad_modules, name)(*args), getattr(torch.nn, name)(*args)
    assert repr(e) == repr(t)
    shape = (2, 3, 5) if name.endswith("1d") else (2, 3, 5, 4)
    check(lambda L, x: (e if L is ember else t)(x), arr(shape))


# ---------------------------------------------------------------- reused buffers and row columns
ROWS = [  # stride-1 2-d convs whose input gradient (and no-grad forward) use `_rows` columns
    (dict(padding=1), (3, 4, 8, 8), (5, 4, 3, 3)),
    (dict(padding="same"), (2, 3, 7, 9), (4, 3, 4, 2)),  # asymmetric pads
    (dict(padding=(2, 1), dilation=(2, 1)), (2, 3, 9, 8), (4, 3, 3, 3)),
    (dict(padding=1, groups=2), (2, 4, 6, 7), (6, 2, 3, 3)),
    (dict(), (2, 3, 9, 10), (4, 3, 2, 2)),  # valid: rows without zeros
]


@requires_torch
@pytest.mark.parametrize("kw,xs,ws", ROWS)
def test_conv_rows(kw, xs, ws):
    assert _conv._rows(xs, _conv._geometry(ember.zeros(xs), ember.zeros(ws), 1,
                                           kw.get("padding", 0), kw.get("dilation", 1),
                                           kw.get("groups", 1), 2)) is not None
    check(lambda L, x, w, b: F(L).conv2d(x, w, b, **kw), arr(xs, "float64"),
          arr(ws, "float64", seed=1), arr(ws[:1], "float64", seed=2), **TOL["float64"])
    with ember.no_grad():
        e = _conv.conv2d(*(ember.from_numpy(arr(s, seed=i)) for i, s in enumerate((xs, ws))),
                         **kw)
    t = torch.nn.functional.conv2d(*(torch.from_numpy(arr(s, seed=i))
                                     for i, s in enumerate((xs, ws))), **kw)
    np.testing.assert_allclose(e.numpy(), t.numpy(), rtol=1e-4, atol=1e-5)


@requires_torch
def test_conv_reused_buffers_stay_private():
    """Two graphs of the same shape alive at once, backward twice (retain_graph), a graph
    dropped without backward, and outputs/grads kept across steps: no buffer is shared."""
    x = [arr((2, 3, 6, 6), seed=s) for s in (0, 1)]
    w = arr((4, 3, 3, 3), seed=2)
    res = []
    for L in (ember, torch):
        wt = L.from_numpy(w.copy()).requires_grad_()
        xs = [L.from_numpy(a.copy()).requires_grad_() for a in x]
        F(L).conv2d(xs[0], wt, padding=1).sum()  # dropped graph
        ys = [F(L).conv2d(a, wt, padding=1) for a in xs]
        y0 = ys[0].detach().clone()
        l0 = (ys[0] ** 2).sum()
        l0.backward(retain_graph=True)
        g0 = xs[0].grad.clone()
        l0.backward()
        (ys[1] * 3).sum().backward()
        res.append([y0.numpy(), ys[1].detach().numpy(), g0.numpy(), xs[0].grad.numpy(),
                    xs[1].grad.numpy(), wt.grad.numpy()])
    for a, b in zip(*res):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-4)
