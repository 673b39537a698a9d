"""The Python and NumPy protocols of Tensor, against torch: scalars, iteration, formatting,
sizes, dtype and device conversions, NumPy functions applied to tensors, pickling, .data and
the legacy Variable. Each case runs one lambda on both frameworks and compares the results."""

import copy
import pickle

import numpy as np
import pytest

import ember
from oracle import assert_same, torch

LIBS = [ember] if torch is None else [ember, torch]


def outcome(fn, L):
    """fn(L)'s value, or (exception type name, message) when it raises."""
    try:
        return fn(L)
    except Exception as e:  # noqa: BLE001 - the exception is the result being compared
        return (type(e).__name__, str(e))


def same(fn):
    """fn(L) gives equal results (tensors compared by value and dtype) on ember and torch."""
    res = [outcome(fn, L) for L in LIBS]
    if torch is not None:
        _compare(res[0], res[1])
    return res[0]


def _compare(e, t, what="result"):
    if torch is not None and isinstance(t, torch.Tensor):
        assert_same(e, t, what=what)
    elif torch is not None and isinstance(t, torch.Size):
        assert isinstance(e, ember.Size) and e == t and repr(e) == repr(t), f"{what}: {e} != {t}"
    elif isinstance(t, (tuple, list)):
        assert type(e) is type(t) and len(e) == len(t), f"{what}: {e!r} != {t!r}"
        for i, (a, b) in enumerate(zip(e, t)):
            _compare(a, b, f"{what}[{i}]")
    elif torch is not None and isinstance(t, (torch.dtype, torch.device)):
        assert str(e) == str(t), f"{what}: {e} != {t}"
    else:
        assert type(e) is type(t) and e == t, f"{what}: {e!r} != {t!r}"


def _m(L):
    return L.tensor([[1.5, 2.0, 3.0], [4.0, 5.0, 6.0]])


# ---------------------------------------------------------------- scalars
@pytest.mark.parametrize("fn", [
    lambda L: _m(L)[0, 0].item(),
    lambda L: L.tensor(3).item(),
    lambda L: L.tensor(True).item(),
    lambda L: L.tensor([[7]]).item(),
    lambda L: L.ones(2).item(),
    lambda L: float(L.tensor([2.5])),
    lambda L: float(L.ones(2)),
    lambda L: int(L.tensor(3.7)),
    lambda L: int(L.tensor(-3.7)),
    lambda L: int(L.ones(2)),
    lambda L: complex(L.tensor(2.0)),
    lambda L: bool(L.tensor([0.0])),
    lambda L: bool(L.tensor(3)),
    lambda L: bool(L.ones(2)),
    lambda L: bool(L.tensor([])),
    lambda L: [10, 20, 30][L.tensor(1)],
    lambda L: [10, 20, 30][L.tensor(1.0)],
    lambda L: [10, 20, 30][L.tensor([1, 2])],
    lambda L: list(range(6))[L.tensor(1):L.tensor(4)],
    lambda L: L.tensor(2).__index__(),
])
def test_scalar_conversions(fn):
    same(fn)


@pytest.mark.parametrize("spec", ["", ".3f", "8.2f", ".2e", "+.1%", "04d", "g"])
def test_format_zero_dim(spec):
    same(lambda L: format(L.tensor(2.71828) if "d" not in spec else L.tensor(7), spec))


def test_format_in_fstrings_and_non_scalars():
    same(lambda L: ("{:.3f}".format(_m(L).sum()), f"{_m(L)[1, 1]:.1f}", f"{L.tensor(5)}"))
    same(lambda L: format(_m(L), ""))
    same(lambda L: format(_m(L), ".2f"))
    same(lambda L: "{:.3f}".format(L.tensor(0.5, requires_grad=True) * 2))


def test_accumulating_python_numbers_with_tensors():
    def f(L):
        correct = 0
        for _ in range(3):
            correct += (L.tensor([1, 2, 3]) == L.tensor([1, 0, 3])).sum()
        loss = 0
        loss += L.tensor(0.5)
        loss = loss + 1
        return correct, loss, 2 * correct.item() + 1, sum(L.tensor([1.0, 2.0]))
    same(f)


# ---------------------------------------------------------------- containers
@pytest.mark.parametrize("fn", [
    lambda L: len(_m(L)),
    lambda L: len(L.tensor(1.0)),
    lambda L: list(L.tensor(1.0)),
    lambda L: [r for r in _m(L)],
    lambda L: [(r.dim(), r.tolist()) for r in _m(L)],
    lambda L: [int(v) for v in L.tensor([1, 2])],
    lambda L: [v.item() for v in L.tensor([1.5, 2.5])],
    lambda L: _m(L).tolist(),
    lambda L: L.tensor(2.5).tolist(),
    lambda L: L.tensor([[1, 2]], dtype=L.int32).tolist(),
    lambda L: L.tensor([True, False]).tolist(),
    lambda L: (2.0 in _m(L), 9 in _m(L)),
])
def test_len_iter_tolist(fn):
    same(fn)


def test_iteration_yields_views_with_grad():
    def f(L):
        x = L.ones(2, 3, requires_grad=True)
        rows = list(x * 2)
        rows[1].sum().backward()
        return [r.grad_fn is not None for r in rows], x.grad
    same(f)


# ---------------------------------------------------------------- sizes
@pytest.mark.parametrize("fn", [
    lambda L: repr(_m(L).shape),
    lambda L: str(_m(L).size()),
    lambda L: repr(L.tensor(1.0).shape),
    lambda L: repr(L.Size([2, 3])),
    lambda L: _m(L).shape == (2, 3),
    lambda L: _m(L).size() == L.Size([2, 3]),
    lambda L: tuple(_m(L).shape) == (2, 3) and list(_m(L).shape) == [2, 3],
    lambda L: hash(L.Size([2, 3])) == hash((2, 3)),
    lambda L: repr(_m(L).shape[1:]),
    lambda L: type(_m(L).shape[0]).__name__,
    lambda L: repr(L.Size([2, 3]) + (4,)),
    lambda L: L.Size([2, 3, 4]).numel(),
    lambda L: (_m(L).size(1), _m(L).size(-1), _m(L).size(dim=0)),
    lambda L: _m(L).size(2),
    lambda L: (_m(L).dim(), _m(L).ndim, _m(L).ndimension(), L.tensor(1.0).dim()),
    lambda L: (_m(L).numel(), _m(L).nelement(), L.ones(0, 3).numel()),
    lambda L: [L.ones(1, dtype=d).element_size() for d in
               (L.float16, L.float32, L.float64, L.int8, L.int16, L.int32, L.int64, L.uint8,
                L.bool)],
    lambda L: pickle.loads(pickle.dumps(L.Size([4, 5]))) == (4, 5),
    lambda L: repr(pickle.loads(pickle.dumps(L.Size([4, 5])))),
])
def test_size_and_shape(fn):
    same(fn)


# ---------------------------------------------------------------- dtypes and devices
@pytest.mark.parametrize("fn", [
    lambda L: [getattr(_m(L), m)().dtype for m in
               ("float", "double", "half", "long", "int", "short", "char", "byte", "bool")],
    lambda L: _m(L).to(L.int16),
    lambda L: _m(L).to(dtype=L.float64),
    lambda L: _m(L).to("cpu", L.float64),
    lambda L: _m(L).to(L.ones(1, dtype=L.int32)),
    lambda L: _m(L).to("cpu") is _m(L),
    lambda L: (lambda t: t.to("cpu") is t and t.cpu() is t and t.to(L.float32) is t)(_m(L)),
    lambda L: (lambda t: t.to(L.float32, copy=True) is t)(_m(L)),
    lambda L: (_m(L).type(), _m(L).long().type(), L.ones(1, dtype=L.bool).type()),
    lambda L: _m(L).type("torch.DoubleTensor"),
    lambda L: _m(L).type("torch.IntTensor").type(),
    lambda L: _m(L).type(L.LongTensor),
    lambda L: _m(L).type(L.float16),
    lambda L: _m(L).type_as(L.ones(1, dtype=L.int64)),
    lambda L: (str(_m(L).device), repr(_m(L).device), _m(L).is_cuda, _m(L).get_device()),
    lambda L: _m(L).device == L.device("cpu"),
    lambda L: L.ones(2, device="cpu").device.type,
    lambda L: L.ones(2).cuda(),
    lambda L: L.ones(2).to("cuda"),
    lambda L: L.ones(2, device="cuda"),
    lambda L: (_m(L).is_floating_point(), L.ones(1, dtype=L.int64).is_floating_point()),
])
def test_dtype_and_device_conversions(fn):
    same(fn)


def test_cuda_error_type_and_text():
    for L in LIBS:
        with pytest.raises(AssertionError, match="^Torch not compiled with CUDA enabled$"):
            L.ones(2).cuda()


def test_conversion_keeps_grad():
    def f(L):
        x = L.ones(2, requires_grad=True)
        y = x.double() * 3
        y.sum().backward()
        return y.dtype, y.grad_fn.name(), x.grad, x.float() is x
    same(f)


# ---------------------------------------------------------------- NumPy interop
def test_numpy_shares_memory_both_ways():
    def f(L):
        t = L.zeros(2, 3)
        a = t.numpy()
        a[0, 0] = 5
        t.mul_(2)
        b = np.arange(3.0)
        u = L.from_numpy(b)
        b[1] = 7
        return t, a.tolist(), u, type(a).__name__
    same(f)


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # torch's __array__ lacks copy=
@pytest.mark.parametrize("fn", [
    lambda L: L.ones(2, requires_grad=True).numpy(),
    lambda L: (L.ones(2, requires_grad=True) * 2).numpy(),
    lambda L: L.ones(2, requires_grad=True).detach().numpy().tolist(),
    lambda L: np.asarray(L.ones(2, requires_grad=True)),
    lambda L: np.asarray(_m(L)).tolist(),
    lambda L: np.asarray(_m(L), dtype=np.float64).dtype.name,
    lambda L: np.array(L.tensor([1, 2])).dtype.name,
])
def test_numpy_and_array_protocol(fn):
    same(fn)


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # torch's __array_wrap__ signature
@pytest.mark.parametrize("fn", [
    lambda L: np.squeeze(_m(L)[:1]),
    lambda L: np.squeeze(L.ones(1, 3, 1)),
    lambda L: np.transpose(_m(L), (1, 0)),
    lambda L: np.transpose(L.arange(24.0).reshape(2, 3, 4), (1, 2, 0)),
    lambda L: np.clip(_m(L), 2, 5),
    lambda L: np.clip(_m(L), 2.5, None),
    lambda L: np.exp(_m(L)),
    lambda L: np.sin(L.tensor(1.0)),
    lambda L: np.greater(_m(L), 3),
    lambda L: np.reshape(_m(L), (3, 2)),
    lambda L: np.add(_m(L), 1),
])
def test_numpy_functions_return_tensors(fn):
    same(fn)


def test_clip_result_feeds_back_into_tensor_code():
    def f(L):
        noisy = L.from_numpy(np.linspace(-1, 2, 6).astype(np.float32))
        x = np.clip(noisy, 0.0, 1.0)
        return x.sum(), (x * 2).dtype, type(x).__name__
    same(f)


# ---------------------------------------------------------------- pickle, copy, .data
@pytest.mark.parametrize("fn", [
    lambda L: pickle.loads(pickle.dumps(_m(L))),
    lambda L: pickle.loads(pickle.dumps(L.tensor([1, 2], dtype=L.int64))),
    lambda L: pickle.loads(pickle.dumps(L.tensor([True]))),
    lambda L: pickle.loads(pickle.dumps(L.tensor(3.5, dtype=L.float64))),
    lambda L: pickle.loads(pickle.dumps(_m(L)[:, 1])),
    lambda L: (lambda u: (u.is_contiguous(), u.stride()))(pickle.loads(pickle.dumps(_m(L).t()))),
    lambda L: (lambda u: (u.stride(), u.storage_offset(), u))(
        pickle.loads(pickle.dumps(_m(L)[:, 1]))),
    lambda L: (lambda p: (p[1].__setitem__(0, 9.0), p[0])[1])(
        pickle.loads(pickle.dumps((lambda t: (t, t[1]))(L.arange(6.0).view(2, 3))))),
    lambda L: (lambda u: (u.requires_grad, u.is_leaf, u.grad))(
        pickle.loads(pickle.dumps(L.ones(2, requires_grad=True)))),
    lambda L: [(t.tolist(), t.dtype) for t in
               pickle.loads(pickle.dumps({"a": [L.ones(2), L.zeros(1, dtype=L.int8)]}))["a"]],
    lambda L: pickle.loads(pickle.dumps(L.ones(2, requires_grad=True) * 2)),
])
def test_pickle(fn):
    same(fn)


def test_pickle_keeps_shared_storage_within_one_dump():
    def f(L):
        t = L.arange(4.0)
        a, b = pickle.loads(pickle.dumps((t, t)))
        a[0] = 9
        return b[0].item(), a is b
    same(f)


@pytest.mark.parametrize("fn", [
    lambda L: (lambda x: (lambda c: (c.requires_grad, c.is_leaf, c.data_ptr() != x.data_ptr(),
                                     c.tolist()))(copy.deepcopy(x)))(L.ones(2, requires_grad=True)),
    lambda L: copy.deepcopy(L.ones(2, requires_grad=True) * 2),
    lambda L: (lambda x: (x.sum().backward(), copy.deepcopy(x).grad)[1])(
        L.ones(2, requires_grad=True)),
    lambda L: (lambda d: d[0] is d[1])(copy.deepcopy([_m(L)] * 2)),
    lambda L: copy.copy(_m(L)),
])
def test_deepcopy(fn):
    same(fn)


def test_data_shares_memory_without_grad():
    def f(L):
        x = L.ones(3, requires_grad=True)
        d = x.data
        d[0] = 7.0
        d.mul_(2)
        (x * x).sum().backward()
        return d.requires_grad, d.is_leaf, d.grad_fn, x.grad, x.tolist()
    same(f)


def test_data_of_non_leaf_and_data_setter():
    def f(L):
        x = L.ones(3, requires_grad=True)
        y = x * 2
        dy = y.data
        x.data = L.zeros(4, dtype=L.float64)
        w = L.ones(2)
        w.data = L.arange(5.0)
        return (dy.requires_grad, dy.grad_fn, x.shape, x.dtype, x.requires_grad, x.is_leaf, w)
    same(f)


def test_data_inplace_init_like_the_course():
    def f(L):
        w = L.zeros(2, 3, requires_grad=True)
        w.data.fill_(0.5)
        w.data.zero_()
        w.data.add_(1)
        b = L.ones(3, requires_grad=True)
        b.data = b.data * 3
        return w, b, w.requires_grad, w._version > 0
    same(f)


# ---------------------------------------------------------------- Variable
@pytest.mark.parametrize("fn", [
    lambda L: (lambda v: (v.requires_grad, v.is_leaf, v))(L.autograd.Variable(L.ones(2))),
    lambda L: (lambda v: (v.requires_grad, v.is_leaf))(
        L.autograd.Variable(L.ones(2), requires_grad=True)),
    lambda L: (lambda x: (lambda v: (v is x, v.requires_grad, v.grad_fn, v.data_ptr() ==
                                     x.data_ptr()))(L.autograd.Variable(x)))(
        L.ones(2, requires_grad=True) * 2),
    lambda L: isinstance(_m(L), L.autograd.Variable),
    lambda L: L.autograd.Variable([1.0, 2.0]),
    lambda L: L.autograd.Variable(L.ones(2, dtype=L.int64), requires_grad=True),
])
def test_variable(fn):
    same(fn)


def test_variable_import_and_training_use():
    from ember.autograd import Variable

    w = Variable(ember.ones(3), requires_grad=True)
    (w * ember.tensor([1.0, 2.0, 3.0])).sum().backward()
    assert w.grad.tolist() == [1.0, 2.0, 3.0]


def test_eq_with_non_tensors_follows_torch():
    try:
        import torch as _torch  # the oracle, when installed
    except ImportError:
        _torch = None
    for lib in (ember, _torch) if _torch is not None else (ember,):
        t = lib.ones(2)
        assert (t == None) is False and (t != None) is True  # noqa: E711
        assert (t == "a") is False and (t == [1, 2]) is False
        assert (t == np.ones(2)).tolist() == [True, True]
