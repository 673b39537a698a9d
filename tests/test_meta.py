"""Meta tensors: shape, dtype and strides with no data, against torch's device='meta'."""

import warnings

import numpy as np
import pytest

import ember

try:
    import torch
except ImportError:  # only the torch comparisons skip
    torch = None

requires_torch = pytest.mark.skipif(torch is None, reason="torch (the oracle) is not installed")


def _outcome(fn):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            r = fn()
        except Exception as e:  # noqa: BLE001  (the exception is the outcome compared)
            return type(e).__name__, str(e)
    if hasattr(r, "shape") and hasattr(r, "stride"):
        return (repr(r), tuple(r.shape), r.stride(), r.is_contiguous(), r.storage_offset(),
                str(r.device), r.is_meta)
    if isinstance(r, tuple):
        return tuple(_outcome(lambda v=v: v) for v in r)
    return repr(r)


def _m(L):
    return L.empty(2, 3, device="meta")


CASES = [
    lambda L: _m(L), lambda L: L.empty(2, dtype=L.int64, device="meta"),
    lambda L: L.empty(2, device="meta", requires_grad=True),
    lambda L: L.empty(2, device="meta", requires_grad=True) * 2,
    lambda L: L.empty((), device="meta"), lambda L: L.empty(0, device="meta"),
    lambda L: L.zeros(2, 3, device=L.device("meta")), lambda L: L.ones(4, device="meta"),
    lambda L: L.empty(2, 3, 4, 5, device="meta", memory_format=L.channels_last),
    lambda L: L.zeros(3).to("meta"), lambda L: L.zeros(3, 2).t().to("meta"),
    lambda L: _m(L).t(), lambda L: _m(L)[:, 1:], lambda L: _m(L)[1], lambda L: _m(L)[None, :, 1],
    lambda L: _m(L).permute(1, 0).reshape(6), lambda L: _m(L).unsqueeze(1).expand(2, 4, 3),
    lambda L: _m(L).view(3, 2), lambda L: _m(L).t().contiguous(), lambda L: _m(L).clone(),
    lambda L: _m(L).diagonal(), lambda L: _m(L).as_strided((2, 2), (1, 2), 1),
    lambda L: _m(L).split(1, 1), lambda L: _m(L).narrow(1, 1, 2).unfold(1, 1, 1),
    lambda L: _m(L) + 1, lambda L: _m(L).exp(), lambda L: _m(L) == _m(L), lambda L: _m(L).sum(1),
    lambda L: _m(L).sum(), lambda L: _m(L).max(), lambda L: _m(L).mean(),
    lambda L: _m(L).argmax(1), lambda L: _m(L) @ _m(L).t(), lambda L: L.cat([_m(L), _m(L)]),
    lambda L: L.stack([_m(L), _m(L)]), lambda L: _m(L).to(L.float64), lambda L: L.softmax(_m(L), 1),
    lambda L: L.where(_m(L) > 0, _m(L), _m(L)), lambda L: _m(L).fill_(1), lambda L: _m(L).zero_(),
    lambda L: L.empty(3, device="meta").uniform_(), lambda L: L.zeros_like(_m(L)),
    lambda L: _m(L).new_zeros(3), lambda L: L.empty(10 ** 6, 10 ** 6, device="meta").sum(0),
    lambda L: L.matmul(L.empty(5, 4, 3, device="meta"), L.empty(3, 2, device="meta")),
    lambda L: L.nn.functional.linear(L.empty(4, 3, device="meta"), L.empty(5, 3, device="meta")),
    lambda L: _m(L).item(), lambda L: _m(L)[0, 0].item(), lambda L: _m(L).numpy(),
    lambda L: _m(L).tolist(), lambda L: _m(L).cpu(), lambda L: bool(_m(L)[0, 0]),
    lambda L: float(_m(L)[0, 0]), lambda L: _m(L).get_device(), lambda L: _m(L).data_ptr(),
]


@requires_torch
@pytest.mark.parametrize("fn", CASES)
def test_meta_matches_torch(fn):
    assert _outcome(lambda: fn(ember)) == _outcome(lambda: fn(torch))


@requires_torch
@pytest.mark.parametrize("make", [
    lambda L: L.nn.Linear(3, 2, device="meta"), lambda L: L.nn.Conv2d(3, 8, 3, device="meta"),
    lambda L: L.nn.Embedding(10, 3, device="meta"), lambda L: L.nn.BatchNorm1d(4, device="meta"),
    lambda L: L.nn.Sequential(L.nn.Linear(3, 4), L.nn.ReLU(), L.nn.Linear(4, 1)).to_empty(
        device="meta"),
])
def test_modules_on_meta(make):
    def run(L):
        m = make(L)
        return [repr(p) for p in m.parameters()] + [repr(b) for b in m.buffers()]
    assert run(ember) == run(torch)


@requires_torch
def test_meta_forward_pass_and_backward_shapes():
    def run(L):
        m = L.nn.Sequential(L.nn.Conv2d(3, 4, 3, device="meta"), L.nn.ReLU(), L.nn.Flatten(),
                            L.nn.Linear(4 * 6 * 6, 5, device="meta"))
        y = m(L.empty(2, 3, 8, 8, device="meta"))
        y.sum().backward()
        return repr(y), [repr(p.grad) for p in m[3].parameters()]
    assert run(ember) == run(torch)


def test_meta_module_draws_no_random_numbers_and_to_empty_gives_storage():
    ember.manual_seed(0)
    first = ember.rand(1).item()
    ember.manual_seed(0)
    m = ember.nn.Linear(300, 200, device="meta")
    assert ember.rand(1).item() == first  # building on meta advanced no generator
    m.to_empty(device="cpu")
    assert m.weight.device.type == "cpu" and m.weight.shape == (200, 300)
    assert m.weight.requires_grad and m.weight.is_meta is False
    ember.nn.init.zeros_(m.weight)
    assert not m.weight.detach().numpy().any()


def test_device_context_makes_meta_factories():
    with ember.device("meta"):
        t = ember.zeros(3)
        lin = ember.nn.Linear(2, 3)
    assert t.is_meta and lin.weight.is_meta
    assert not ember.zeros(3).is_meta  # the context is over


def test_huge_meta_tensors_allocate_nothing():
    big = ember.empty(10 ** 7, 10 ** 7, device="meta")
    r = (big * 2 + 1).exp().sum(1, keepdim=True)
    assert r.is_meta and r.shape == (10 ** 7, 1)
    assert (big @ big).shape == (10 ** 7, 10 ** 7)
    assert np.asarray(big._data).base is not None  # a view of one element, never the whole


def test_meta_errors_without_torch():
    m = ember.empty(2, device="meta")
    with pytest.raises(NotImplementedError, match="Cannot copy out of meta tensor; no data!"):
        m.cpu()
    with pytest.raises(RuntimeError, match="Tensor.item\\(\\) cannot be called on meta tensors"):
        m[0].item()
    assert repr(m) == "tensor(..., device='meta', size=(2,))"
