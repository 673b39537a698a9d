"""Ops added for torch parity: pointwise math, views, diagonals, scans, quantiles, put/index_reduce.

The OPS table runs each lambda through the oracle on ember and torch; hand tests cover view
sharing (writes through the view reach the base, strides and offsets match torch) and errors.
"""

import numpy as np
import pytest

import ember
from oracle import arr, check, check_error, requires_torch, torch

F32, F64 = "float32", "float64"
POS = dict(low=0.2, high=4.0)


def _cases(fn, shapes, dtypes=(F32, F64), **kw):
    return [(fn, [arr(s, dt, seed=i, **kw) for i, s in enumerate(sh)]) for sh in shapes
            for dt in dtypes]


def _nc(shape, dt=F64, **kw):
    return arr(shape, dt, noncontig=True, **kw)


OPS = {
    "lgamma": _cases(lambda L, x: x.lgamma(), [[(3, 4)], [()], [(0,)]], low=-3.7, high=6),
    "digamma": _cases(lambda L, x: L.digamma(x), [[(3, 4)], [(5,)]], low=0.1, high=6),
    "polygamma1": _cases(lambda L, x: L.polygamma(1, x), [[(3, 4)]], **POS),
    "polygamma2": _cases(lambda L, x: x.polygamma(2), [[(6,)]], **POS),
    "i0": _cases(lambda L, x: L.i0(x), [[(3, 4)], [()]], low=-5, high=5),
    "sinc": _cases(lambda L, x: L.sinc(x), [[(3, 4)]]),
    "deg2rad": _cases(lambda L, x: L.deg2rad(x), [[(3, 4)]]) + _cases(
        lambda L, x: x.rad2deg(), [[(3,)]], dtypes=(F32, "int64")),
    "hypot": _cases(lambda L, a, b: L.hypot(a, b), [[(3, 4), (4,)]]),
    "logaddexp": _cases(lambda L, a, b: L.logaddexp(a, b), [[(3, 4), (3, 1)]]),
    "logaddexp2": _cases(lambda L, a, b: a.logaddexp2(b), [[(2, 3), (2, 3)]]),
    "copysign": _cases(lambda L, a, b: L.copysign(a, b), [[(3, 4), (4,)]]),
    "xlogy": _cases(lambda L, a, b: L.xlogy(a, b), [[(3, 4), (3, 4)]], **POS),
    "xlogy_scalar": _cases(lambda L, a: L.xlogy(a, 3.0), [[(5,)]]),
    "ldexp": _cases(lambda L, a, b: L.ldexp(a, b), [[(3, 4), (4,)]]),
    "frexp": _cases(lambda L, a: L.frexp(a), [[(3, 4)]]),
    "nextafter": _cases(lambda L, a, b: L.nextafter(a, b), [[(4,), (4,)]]),
    "heaviside": _cases(lambda L, a, b: L.heaviside(a, b), [[(3, 4), (4,)]]),
    "gcd": _cases(lambda L, a, b: L.gcd(a, b), [[(3, 4), (4,)]], dtypes=("int64",), low=-9,
                  high=30),
    "lcm": _cases(lambda L, a, b: a.lcm(b), [[(5,), (5,)]], dtypes=("int32",), low=1, high=12),
    "addcmul": _cases(lambda L, x, a, b: L.addcmul(x, a, b, value=0.5), [[(3, 4), (4,), (3, 1)]]),
    "addcdiv": _cases(lambda L, x, a, b: x.addcdiv(a, b, value=2), [[(3, 4), (3, 4), (4,)]],
                      **POS),
    "isclose": [(lambda L, a, b: (L.isclose(a, b, rtol=0.1), L.allclose(a, b, 1, 1)),
                 [arr((3, 4)), arr((3, 4), seed=3)])],
    "cross": _cases(lambda L, a, b: L.cross(a, b, dim=1), [[(2, 3), (2, 3)]]) + _cases(
        lambda L, a, b: L.linalg.cross(a, b) if L is torch else L.cross(a, b, dim=-1),
        [[(4, 3), (1, 3)]]),
    "kron": _cases(lambda L, a, b: L.kron(a, b), [[(2, 3), (3, 2)], [(2,), (2, 3)]]),
    "dist": _cases(lambda L, a, b: L.dist(a, b, 3), [[(3, 4), (4,)]]),
    "as_strided": [(lambda L, x: x.as_strided((2, 3), (1, 2), 1), [arr((3, 4), F64)]),
                   (lambda L, x: x.t().as_strided((3, 3), (1, 1)), [arr((4, 3), F64)])],
    "select": [(lambda L, x: (x.select(1, -1), L.select(x, 0, 1)), [_nc((3, 4))])],
    "diagonal": [(lambda L, x: (x.diagonal(), x.diagonal(1), L.diagonal(x, -2, 1, 0)),
                  [_nc((3, 4))]),
                 (lambda L, x: x.diagonal(0, -1, 0), [arr((3, 2, 3), F32)])],
    "diag": [(lambda L, x: (L.diag(x), x.diag(1), x.diag(-1)), [arr((4,), F64)]),
             (lambda L, x: (L.diag(x), x.diag(-1)), [_nc((3, 4))])],
    "diag_embed": [(lambda L, x: (L.diag_embed(x), L.diag_embed(x, 1, 0, 2)),
                    [arr((2, 3), F64)])],
    "diagflat": [(lambda L, x: L.diagflat(x, -1), [arr((2, 2), F64)])],
    "trace": [(lambda L, x: L.trace(x), [_nc((3, 4))]),
              (lambda L, x: x.trace(), [arr((3, 3), "int32")])],
    "unfold": [(lambda L, x: x.unfold(1, 2, 1), [_nc((3, 5))]),
               (lambda L, x: x.unfold(0, 2, 3), [arr((7, 2), F64)]),
               (lambda L, x: x.unfold(0, 1, 1), [arr((), F64)])],
    "ravel_rot90": [(lambda L, x: (x.t().ravel(), L.rot90(x), x.rot90(2), x.rot90(-1, [1, 0])),
                     [arr((3, 4), F64)])],
    "splits": [(lambda L, x: (L.vsplit(x, 2), L.hsplit(x, [1, 3]), x.split_with_sizes([1, 3], 1)),
                [arr((4, 4), F64)]),
               (lambda L, x: L.dsplit(x, 2), [arr((2, 2, 4), F32)])],
    "narrow_copy": [(lambda L, x: x.narrow_copy(1, 1, 2), [_nc((3, 4))])],
    "cummin": _cases(lambda L, x: L.cummin(x, 1), [[(3, 5)]]) + _cases(
        lambda L, x: x.cummin(0), [[()]]),
    "cummin_int": [(lambda L, x: L.cummin(x, 0), [arr((6, 2), "int64", low=0, high=3)])],
    "logcumsumexp": _cases(lambda L, x: L.logcumsumexp(x, -1), [[(3, 5)], [()]]),
    "diff": _cases(lambda L, x: (L.diff(x), x.diff(2, 0)), [[(4, 5)]]) + _cases(
        lambda L, x, p: L.diff(x, dim=0, prepend=p, append=p), [[(3, 2), (1, 2)]]),
    "diff_bool": [(lambda L, x: L.diff(x), [arr((6,), "bool")])],
    "quantile": _cases(lambda L, x: (L.quantile(x, 0.3), x.quantile(0.75, 1, True)),
                       [[(4, 5)]]),
    "quantile_modes": [(lambda L, x, m=m: x.quantile(0.4, 0, interpolation=m), [arr((6, 3), F64)])
                       for m in ("lower", "higher", "midpoint", "nearest")],
    "quantile_q": [(lambda L, x: L.quantile(x, L.tensor([0.0, 0.5, 1.0], dtype=L.float64), dim=1,
                                             keepdim=True), [arr((3, 4), F64)])],
    "cumsum_": _cases(lambda L, x: x.clone().cumsum_(1), [[(3, 4)]]) + _cases(
        lambda L, x: (x * 1).cumprod_(0), [[(3, 4)]]),
    "index_reduce": [(lambda L, x, s, m=m: x.index_reduce(0, L.tensor([0, 2, 0]), s, m),
                      [arr((3, 2), F64), arr((3, 2), F64, seed=5)])
                     for m in ("prod", "mean", "amax", "amin")],
    "index_reduce_excl": [(lambda L, x, s: x.index_reduce(1, L.tensor([1, 1]), s, "mean",
                                                           include_self=False),
                           [arr((2, 3)), arr((2, 2), seed=5)])],
    "put": [(lambda L, x, s: (L.put(x, L.tensor([1, -1, 4]), s),
                              x.put(L.tensor([0, 0]), s[:2], accumulate=True)),
             [_nc((2, 3)), arr((3,), F64, seed=2)])],
    "histc": [(lambda L, x: (L.histc(x, 5), x.histc(4, -1, 1)), [arr((20,), F32)])],
}
_FLAT = [(name, i) for name, cases in OPS.items() for i in range(len(cases))]


@requires_torch
@pytest.mark.parametrize("name,i", _FLAT, ids=[f"{n}-{i}" for n, i in _FLAT])
def test_op(name, i):
    fn, inputs = OPS[name][i]
    grad = name not in ("heaviside", "histc", "gcd", "lcm")
    check(fn, *inputs, grad=grad, rtol=1e-4 if name in ("polygamma2",) else 1e-5)


@requires_torch
def test_nan_reductions():
    x = arr((3, 5), F64)
    x[0, 1] = x[2, 4] = x[1, 0] = np.nan
    x[1, :] = np.nan
    check(lambda L, t: (L.nanmedian(t), t.nanmedian(1), L.nanquantile(t, 0.3, 1)), x)
    check(lambda L, t: (L.quantile(t, 0.3, 0), t.quantile(0.6), t.cummin(1)), x)


@requires_torch
def test_grad_fn_names():
    def names(L):
        x = L.ones(3, 4, dtype=L.float64, requires_grad=True) * 1
        outs = [x.select(1, 0), x.diagonal(), x.as_strided((2,), (1,)), x.unfold(1, 2, 1),
                x.lgamma(), x.digamma(), L.polygamma(1, x), x.i0(), x.sinc(), x.deg2rad(),
                L.hypot(x, x), L.logaddexp(x, x), L.xlogy(x, x), L.addcmul(x, x, x),
                L.addcdiv(x, x, x), L.cummin(x, 1)[0], x.logcumsumexp(0), L.trace(x),
                L.diag_embed(x), L.frexp(x)[0], L.copysign(x, x), L.ldexp(x, x)]
        return [o.grad_fn.name() for o in outs]
    assert names(ember) == names(torch)


@requires_torch
def test_views_share_storage():
    for L in (ember, torch):
        base = L.arange(24.0).reshape(4, 6)
        views = [base.select(1, 2), base.diagonal(1), base.as_strided((2, 2), (6, 2), 3),
                 base.unfold(1, 3, 2), base.t().diagonal(-1)]
        for k, v in enumerate(views):
            v.fill_(-1.0 - k)
        got = base.numpy()
        if L is ember:
            e_base, e_views = got.copy(), [(v.shape, v.stride(), v.storage_offset()) for v in views]
        else:
            t_base, t_views = got.copy(), [(tuple(v.shape), v.stride(), v.storage_offset())
                                           for v in views]
    np.testing.assert_array_equal(e_base, t_base)
    assert [(tuple(s), st, o) for s, st, o in e_views] == t_views


@requires_torch
def test_inplace_views_and_protocol():
    for L in (ember, torch):
        x = L.arange(6.0).reshape(2, 3)
        y = x.as_strided_((3, 2), (1, 3))
        assert y is x and x.stride() == (1, 3) and x[2, 1].item() == 5.0
    e, t = ember.zeros(2, 1, 3), torch.zeros(2, 1, 3)
    for step in (lambda a: a.squeeze_(1), lambda a: a.t_(), lambda a: a.unsqueeze_(1),
                 lambda a: a.transpose_(0, 2), lambda a: a.swapaxes_(1, 0),
                 lambda a: a.swapdims_(2, 1)):
        assert step(e) is e and step(t) is t
        assert tuple(e.shape) == tuple(t.shape) and e.stride() == t.stride()
    m = ember.zeros(5, 3)
    m.fill_diagonal_(2.0, wrap=True)
    tm = torch.zeros(5, 3).fill_diagonal_(2.0, wrap=True)
    np.testing.assert_array_equal(m.numpy(), tm.numpy())
    assert ember.ones(1).is_nonzero() and not ember.zeros(()).is_nonzero()
    assert ember.ones(2).is_cpu and not ember.ones(2).is_inference()
    assert ember.ones(2, 3).is_same_size(ember.zeros(2, 3))
    n = ember.ones(2, dtype=ember.float64).new_empty_strided((2, 3), (1, 2))
    assert n.stride() == (1, 2) and n.dtype is ember.float64
    check(lambda L, x: x.resize_as(L.ones(3, 2)), arr((2, 3), F64))
    put = ember.zeros(2, 2)
    put.put_(ember.tensor([3]), ember.tensor([5.0]))
    assert put.tolist() == [[0, 0], [0, 5]]


def test_lgamma_accuracy():
    import math
    xs = np.concatenate([np.linspace(-20.5, 50, 301), [1e-8, 0.5, 1, 2, 1e6]])
    got = ember.from_numpy(xs).lgamma().numpy()
    want = np.array([math.lgamma(v) for v in xs])
    np.testing.assert_allclose(got, want, rtol=2e-14, atol=2e-14)


ERRORS = [
    lambda L, x: x.select(2, 0), lambda L, x: x.select(1, 5), lambda L, x: x.diagonal(0, 1, 1),
    lambda L, x: x.unfold(1, 5, 1), lambda L, x: x.unfold(1, 2, 0),
    lambda L, x: L.diag(x.unsqueeze(0)), lambda L, x: x.as_strided((2, 2), (1, 2), 20),
    lambda L, x: L.rot90(x, 1, (0, 0)), lambda L, x: L.vsplit(x[0], 2),
    lambda L, x: L.hsplit(x, 3), lambda L, x: L.dsplit(x, 2),
    lambda L, x: L.trace(x.unsqueeze(0)), lambda L, x: x[0].fill_diagonal_(1),
    lambda L, x: L.quantile(x, 1.5), lambda L, x: L.quantile(x.long(), 0.5),
    lambda L, x: L.quantile(x, 0.5, interpolation="foo"),
    lambda L, x: x.index_reduce(0, L.tensor([0]), x[:1], "sum"),
    lambda L, x: L.histc(x.long()), lambda L, x: L.diff(x[0, 0]),
    lambda L, x: L.hypot(x.long(), x.long()), lambda L, x: L.gcd(x, x),
    lambda L, x: L.isclose(x, x.double()), lambda L, x: L.frexp(x.long()),
    lambda L, x: L.addcdiv(x, x.long(), x.long()),
    lambda L, x: L.heaviside(x, x.double()), lambda L, x: x.put(L.tensor([12]), x[0, :1]),
    lambda L, x: x.resize_as(L.ones(5)), lambda L, x: L.logcumsumexp(x.long(), 0),
]


@requires_torch
@pytest.mark.parametrize("i", range(len(ERRORS)))
def test_errors(i):
    check_error(ERRORS[i], arr((3, 4)))
