"""conv_transpose's output_padding e: allowed below the stride or the dilation, so also at
stride 1 (dilation > e), and at e >= stride. The output grows by e on the high side, which padding
then cuts by hi - e. ember ignored e at stride 1 (a smaller output) and its backward failed where
e >= stride. Checked by the adjoint identity <conv_transpose(x), y> = <x, conv(y)> (with the
output size torch's formula gives; conv(y) may be longer: its first outputs are the adjoint's),
and against torch where installed."""

import numpy as np
import pytest

import ember
from oracle import torch

F = ember.nn.functional


def _cases():
    rng = np.random.default_rng(3)
    out = []
    for nd in (1, 2, 3):
        for _ in range(12):
            stride = tuple(int(v) for v in rng.integers(1, 4, nd))
            dil = tuple(int(v) for v in rng.integers(1, 4, nd))
            op = tuple(int(rng.integers(0, max(s, d))) for s, d in zip(stride, dil))
            pad = tuple(int(v) for v in rng.integers(0, 3, nd))
            xs = (2, 4) + tuple(int(v) for v in rng.integers(3, 6, nd))
            ws = (4, 2) + tuple(int(v) for v in rng.integers(1, 4, nd))
            size = [(n - 1) * s - 2 * p + d * (k - 1) + o + 1
                    for n, s, p, d, k, o in zip(xs[2:], stride, pad, dil, ws[2:], op)]
            if min(size) >= 1:
                out.append((nd, stride, dil, op, pad, xs, ws))
    out.append((1, (1,), (2,), (1,), (0,), (1, 1, 5), (1, 1, 2)))  # the report's case
    return out


CASES = _cases()


def _run(L, case, seed=0):
    nd, stride, dil, op, pad, xs, ws = case
    rng = np.random.default_rng(seed)
    x = L.tensor(rng.standard_normal(xs), requires_grad=True)
    w = L.tensor(rng.standard_normal(ws), requires_grad=True)
    b = L.tensor(rng.standard_normal(ws[1]), requires_grad=True)
    f = getattr(L.nn.functional, f"conv_transpose{nd}d")
    y = f(x, w, b, stride=stride, padding=pad, output_padding=op, dilation=dil)
    g = L.tensor(np.cos(np.arange(y.numel())).reshape(tuple(y.shape)))
    gx, gw, gb = L.autograd.grad(y, (x, w, b), g, create_graph=True)
    hx, hw = L.autograd.grad((gx * gx).sum() + (gw * gw).sum(), (x, w))
    return [t.detach().numpy() for t in (y, gx, gw, gb, hx, hw)]


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c[0]}d-s{c[1]}-d{c[2]}-op{c[3]}-p{c[4]}")
def test_output_padding(case):
    nd, stride, dil, op, pad, xs, ws = case
    got = _run(ember, case)
    size = tuple((n - 1) * s - 2 * p + d * (k - 1) + o + 1
                 for n, s, p, d, k, o in zip(xs[2:], stride, pad, dil, ws[2:], op))
    assert got[0].shape == xs[:1] + ws[1:2] + size
    # adjoint: <conv_transpose(x) - b, y> = <x, conv(y)>, conv(y) of the input's size
    rng = np.random.default_rng(1)
    x, w = (rng.standard_normal(s) for s in (xs, ws))
    yv = rng.standard_normal(got[0].shape)
    f = getattr(F, f"conv_transpose{nd}d")
    conv = getattr(F, f"conv{nd}d")
    ct = f(ember.tensor(x), ember.tensor(w), stride=stride, padding=pad, output_padding=op,
           dilation=dil).numpy()
    back = conv(ember.tensor(yv), ember.tensor(w), stride=stride, padding=pad, dilation=dil)
    back = back.numpy()[(Ellipsis,) + tuple(slice(0, n) for n in xs[2:])]  # its first n outputs
    assert back.shape == xs
    np.testing.assert_allclose((ct * yv).sum(), (x * back).sum(), rtol=1e-10)
    if torch is not None:
        for a, b in zip(got, _run(torch, case)):
            np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("nd", [1, 2, 3])
def test_output_too_small(nd):
    x, w = ember.ones((1, 1) + (2,) * nd), ember.ones((1, 1) + (1,) * nd)
    want = "1 x 2" if nd == 1 else " x ".join(["2"] * nd)
    with pytest.raises(RuntimeError, match=rf"Given input size per channel: \({want}\). "
                                           r"Calculated output size per channel: \(.*0\). "
                                           "Output size is too small"):
        getattr(F, f"conv_transpose{nd}d")(x, w, padding=(0,) * (nd - 1) + (1,))
