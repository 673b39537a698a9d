"""Shape, view and joining ops refuse bad arguments with torch's exception type and text,
never with a NumPy exception or a silent result."""

import numpy as np
import pytest

import ember
from oracle import check_error, requires_torch

try:
    import torch
except ImportError:  # only the torch comparisons skip
    torch = None


def _x(L):
    return L.arange(6.).reshape(2, 3)


CASES = [
    # view / reshape / expand / permute / repeat: torch's argument parser
    lambda L, x: x.view(), lambda L, x: x.view(2.0, 3), lambda L, x: x.view((2, 3), 1),
    lambda L, x: x.view(2, 3, dtype=L.float32), lambda L, x: x.view([2.0, 3]),
    lambda L, x: x.view((2.0, 3)), lambda L, x: x.view(None), lambda L, x: x.view(2, None),
    lambda L, x: x.reshape(), lambda L, x: x.reshape(2.5), lambda L, x: x.reshape((2, 3), 1),
    lambda L, x: x.reshape([2.0, 3]), lambda L, x: x.reshape(2, 3.0),
    lambda L, x: x.expand(), lambda L, x: x.expand(2.0, 3), lambda L, x: x.expand([2.0, 3]),
    lambda L, x: x.permute(), lambda L, x: x.permute(0.0, 1), lambda L, x: x.permute(0.0),
    lambda L, x: x.repeat(), lambda L, x: x.repeat(2.0, 1), lambda L, x: x.tile(),
    lambda L, x: x.flip(), lambda L, x: x.flip(0.0), lambda L, x: x.transpose(0),
    # sizes and dims
    lambda L, x: x.view(4), lambda L, x: x.view(-1, -1), lambda L, x: x.t().view(6),
    lambda L, x: x.expand(3, 3), lambda L, x: x.expand(2), lambda L, x: x.expand(-1, -1, 3),
    lambda L, x: x.expand_as(L.zeros(3, 2)), lambda L, x: L.broadcast_to(x, (3, 2)),
    lambda L, x: x.permute(0, 0), lambda L, x: x.permute(0, 1, 2),
    lambda L, x: x.squeeze((0, 0)), lambda L, x: x.squeeze((0, -2)),
    lambda L, x: x.squeeze(1.0), lambda L, x: x.unsqueeze(1.0), lambda L, x: x.flatten(0.0),
    lambda L, x: x.select(0, 1.0), lambda L, x: x.chunk(2.0), lambda L, x: x.split(1.5),
    lambda L, x: x.unflatten(1, (2, 2)), lambda L, x: x.unflatten(1, ()),
    lambda L, x: x.unflatten(1, (0, -1)), lambda L, x: x.unflatten(1, (4, -1)),
    lambda L, x: x.unflatten(-1, (2, 2)), lambda L, x: x.unflatten(1, 3),
    lambda L, x: x.sum_to_size(2, 1, 1), lambda L, x: x.sum_to_size(4, 3),
    lambda L, x: x[0].adjoint(), lambda L, x: x[0].mT, lambda L, x: x[0].mH,
    lambda L, x: x[0].H, lambda L, x: x.unsqueeze(0).H,
    # view(dtype)
    lambda L, x: x.view(L.int64), lambda L, x: x.t().view(L.float16),
    lambda L, x: L.zeros(3, dtype=L.int8).view(L.int32), lambda L, x: x[0, 0].view(L.float16),
    lambda L, x: x[:, 1:].view(L.float64), lambda L, x: L.zeros(2, 4)[:, 1:3].view(L.float64),
    # joining and broadcasting
    lambda L, x: L.cat(x), lambda L, x: L.cat([x, 1]), lambda L, x: L.stack(x),
    lambda L, x: L.hstack([]), lambda L, x: L.vstack([]), lambda L, x: L.dstack([]),
    lambda L, x: L.column_stack([]), lambda L, x: L.broadcast_tensors([x, L.zeros(3)]),
    lambda L, x: L.broadcast_tensors(x, L.zeros(3, 2)),
    lambda L, x: L.broadcast_tensors(L.zeros(2, 1), L.zeros(3), L.zeros(4, 1)),
    lambda L, x: L.broadcast_shapes((2, 3), (3, 2)),
    lambda L, x: L.broadcast_shapes((2, 1), (3,), (4, 1)),
    lambda L, x: L.broadcast_shapes(2, (3,)), lambda L, x: L.broadcast_shapes((-1,), (3,)),
]


@pytest.mark.parametrize("fn", CASES)
def test_error_matches_torch(fn):
    check_error(lambda L, x: fn(L, _x(L)), np.zeros(1))


@requires_torch
@pytest.mark.parametrize("fn", [
    lambda L, x: x.unflatten(1, (-1, -1)),
    lambda L, x: L.zeros(2, 0).unflatten(1, (0, -1)),
])
def test_unflatten_unexpected_error(fn):
    """torch appends its C++ stack to these; the text before it is compared."""
    with pytest.raises(RuntimeError) as e:
        fn(ember, _x(ember))
    with pytest.raises(RuntimeError) as t:
        fn(torch, _x(torch))
    assert str(e.value) == str(t.value).split("\nException raised from")[0]


@requires_torch
@pytest.mark.parametrize("fn", [
    lambda L, x: x.view(size=(3, 2)), lambda L, x: x.reshape(L.tensor(6)),
    lambda L, x: x.view(L.Size([6])), lambda L, x: x.expand(L.tensor(2), 3),
    lambda L, x: x.permute([1, 0]), lambda L, x: x.flip(0, 1), lambda L, x: x.flip((0,)),
    lambda L, x: x.repeat([2, 1]), lambda L, x: L.broadcast_shapes((2, 1), (3,), [1, 1, 3]),
    lambda L, x: L.broadcast_tensors(x, L.zeros(3)), lambda L, x: x.view(L.int32),
    lambda L, x: L.zeros(2, 4).view(L.float64), lambda L, x: x.view(L.uint8).shape,
])
def test_accepted_forms_match_torch(fn):
    e, t = fn(ember, _x(ember)), fn(torch, _x(torch))
    if isinstance(t, torch.Size):
        assert isinstance(e, ember.Size) and tuple(e) == tuple(t)
    elif isinstance(t, torch.Tensor):
        assert e.shape == t.shape and e.stride() == t.stride()
        assert e.tolist() == t.tolist()
    elif isinstance(t, tuple):
        assert [v.tolist() for v in e] == [v.tolist() for v in t]
    else:
        raise AssertionError(f"unexpected result {t!r}")


def test_select_of_a_vector_is_a_view():
    x = ember.arange(3.)
    x.select(0, 1).fill_(5)
    assert x.tolist() == [0.0, 5.0, 2.0]


def test_view_dtype_shares_memory_and_version():
    x = ember.zeros(4)
    y = x.view(ember.int32)
    y.fill_(0)
    assert x._version == y._version == 1


@pytest.mark.parametrize("fn", [
    lambda L: L.repeat_interleave(L.arange(3), 2, output_size=6),
    lambda L: L.repeat_interleave(L.arange(3), 2, output_size=5),
    lambda L: L.repeat_interleave(L.arange(3), L.tensor([1, 2, 3]), output_size=6),
    lambda L: L.repeat_interleave(L.arange(3), L.tensor([1, 2, 3]), output_size=5),
    lambda L: L.repeat_interleave(L.tensor([1, 2, 3]), output_size=6),
    lambda L: L.repeat_interleave(L.tensor([1, 2, 3]), output_size=4),
    lambda L: L.arange(3).reshape(3, 1).repeat_interleave(2, dim=0, output_size=5),
])
def test_repeat_interleave_output_size(fn):
    """output_size is checked against the result's length, with torch's words."""
    if torch is None:
        pytest.skip("torch (the oracle) is not installed")
    try:
        t = fn(torch).tolist()
    except RuntimeError as exc:
        with pytest.raises(RuntimeError, match=str(exc)):
            fn(ember)
        return
    assert fn(ember).tolist() == t


def test_new_empty_strided_refuses_layout_and_pinning():
    x = ember.zeros(2)
    with pytest.raises(NotImplementedError):
        x.new_empty_strided((2, 3), (3, 1), layout="sparse")
    assert x.new_empty_strided((2, 3), (3, 1), layout=ember.strided).stride() == (3, 1)
