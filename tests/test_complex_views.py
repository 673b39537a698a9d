"""Complex views (real, imag, view_as_real, view_as_complex), Tensor.to's positional overloads
and kron's argument types, against torch."""

import numpy as np
import pytest

import ember
from oracle import arr, check_error, requires_torch, torch


def _cplx(shape, seed=0):
    return (arr(shape, seed=seed) + 1j * arr(shape, seed=seed + 1)).astype(np.complex64)


def _views(L, x):
    return {"real": x.real, "imag": x.imag, "view_as_real": L.view_as_real(x),
            "fn_real": L.real(x), "fn_imag": L.imag(x),
            "roundtrip": L.view_as_complex(L.view_as_real(x))}


@pytest.mark.parametrize("make", ["contig", "transposed", "sliced", "empty", "scalar"])
def test_complex_views_share_memory_with_torch_geometry(make):
    a = {"contig": _cplx((2, 3)), "transposed": _cplx((3, 2)).T, "sliced": _cplx((4, 5))[1::2, ::2],
         "empty": None, "scalar": _cplx(())}[make]
    if a is None:  # an empty tensor made by the library (NumPy gives empty arrays 0 strides)
        a = np.zeros((0, 3), np.complex64)
        mk = lambda L: L.zeros(0, 3, dtype=L.complex64)  # noqa: E731
    else:
        mk = lambda L: L.from_numpy(np.array(a))  # noqa: E731
    w = ember.from_numpy(np.array(a))
    w.real.add_(1)  # writes through the views reach the complex tensor: they share its memory
    w.imag.mul_(2)
    np.testing.assert_array_equal(w.numpy(), (np.array(a).real + 1) + 2j * np.array(a).imag)
    e = mk(ember)
    got = _views(ember, e)
    if torch is None:
        pytest.skip("torch (the oracle) is not installed")
    t = mk(torch)
    want = _views(torch, t)
    for k in want:
        g, w = got[k], want[k]
        assert tuple(g.shape) == tuple(w.shape), k
        assert g.stride() == w.stride(), (k, g.stride(), w.stride())
        assert g.storage_offset() == w.storage_offset(), k
        assert str(g.dtype) == str(w.dtype), k
        np.testing.assert_array_equal(g.numpy(), w.numpy())


@requires_torch
def test_complex_view_gradients_and_nodes():
    a = _cplx((2, 3))

    def run(L):
        x = L.from_numpy(a.copy()).requires_grad_()
        y = x.real * 2 + x.imag * 3 + L.view_as_real(x).sum(-1)
        y.sum().backward()
        return x.grad, [type(n).__name__ if L is torch else n.name() for n in
                        (x.real.grad_fn, x.imag.grad_fn, L.view_as_real(x).grad_fn)]

    eg, en = run(ember)
    tg, tn = run(torch)
    np.testing.assert_array_equal(eg.numpy(), tg.numpy())
    assert en == tn

    r = arr((3, 2))
    xe = ember.from_numpy(r.copy()).requires_grad_()
    xt = torch.from_numpy(r.copy()).requires_grad_()
    ce, ct = ember.view_as_complex(xe), torch.view_as_complex(xt)
    assert ce.grad_fn.name() == type(ct.grad_fn).__name__
    ember.view_as_real(ce * 2).sum().backward()
    torch.view_as_real(ct * 2).sum().backward()
    np.testing.assert_array_equal(xe.grad.numpy(), xt.grad.numpy())


def test_real_of_a_real_tensor_is_itself():
    x = ember.ones(2)
    assert x.real is x and ember.real(x) is x


@pytest.mark.parametrize("case", [
    lambda L: L.ones(2).imag,
    lambda L: L.view_as_real(L.ones(2)),
    lambda L: L.view_as_complex(L.ones(2, 3)),
    lambda L: L.view_as_complex(L.ones(3, 2).t().contiguous().t()),
    lambda L: L.view_as_complex(L.ones(2, 2, dtype=L.int64)),
    lambda L: L.view_as_complex(L.ones(3, 4)[:, 1:3]),
    lambda L: L.view_as_complex(L.ones(7)[1:].view(3, 2)),
])
def test_complex_view_errors(case):
    check_error(lambda L: case(L))


def test_real_imag_setters_write():
    z = ember.zeros(2, dtype=ember.complex128)
    z.real = ember.tensor([1.0, 2.0], dtype=ember.float64)
    z.imag = ember.tensor([3.0, 4.0], dtype=ember.float64)
    assert z.tolist() == [1 + 3j, 2 + 4j]


@pytest.mark.parametrize("args", [
    ("cpu", "float64", False), ("float64", False, True), ("cpu", None, False, True),
    ("other", False, True), ("cpu",), ("float64", False, True, 7),
])
def test_to_positional_overloads(args):
    def run(L):
        x = L.ones(2)
        conv = {"float64": L.float64, "other": L.ones(1, dtype=L.int32)}
        r = x.to(*[conv.get(a, a) if isinstance(a, str) else a for a in args])
        return str(r.dtype), r is x

    if args[-1] == 7:
        check_error(run)
        return
    got = run(ember)
    if torch is None:
        pytest.skip("torch (the oracle) is not installed")
    assert got == run(torch)


@pytest.mark.parametrize("case", [lambda L: L.kron(L.ones(2), 1),
                                  lambda L: L.kron(1, L.ones(2))])
def test_kron_argument_types(case):
    check_error(case)


def test_expand_then_reduce_backward():
    # the gradient of a reduction over an expanded view sums back to the input's shape
    x = ember.ones(3, 1, requires_grad=True)
    x.expand(3, 4).sum(1).sum().backward()
    assert x.grad.tolist() == [[4.0], [4.0], [4.0]]


@pytest.mark.parametrize("fn", [lambda L, x: x.resolve_conj(), lambda L, x: x.resolve_neg(),
                                lambda L, x: L.resolve_conj(x), lambda L, x: L.resolve_neg(x),
                                lambda L, x: x.conj().resolve_conj(), lambda L, x: x.conj()])
def test_resolve_conj_and_neg_keep_values(fn):
    a = _cplx((3,))
    got = fn(ember, ember.from_numpy(a.copy())).numpy()
    if torch is None:
        pytest.skip("torch (the oracle) is not installed")
    np.testing.assert_array_equal(got, fn(torch, torch.from_numpy(a.copy())).resolve_conj()
                                  .numpy())
