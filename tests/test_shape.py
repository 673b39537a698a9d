"""Shape and view ops against torch: values, dtypes, shapes, gradients and grad_fn names."""

import numpy as np
import pytest

import ember
from oracle import arr, check, check_error


def _named(fn):
    """Returns fn's output together with its grad_fn name (None when it has none)."""
    def run(L, *xs):
        out = fn(L, *xs)
        outs = out if isinstance(out, (tuple, list)) else (out,)
        return tuple(outs) + tuple(o.grad_fn.name() if o.grad_fn is not None else None
                                   for o in outs)
    return run


_OPS = {
    "view": (lambda L, x: x.view(3, 4), [(2, 6)]),
    "view_infer": (lambda L, x: x.view(-1, 2), [(2, 6)]),
    "view_tuple": (lambda L, x: x.view((4, 3)), [(2, 6)]),
    "view_0d": (lambda L, x: x.view(1, 1), [()]),
    "view_to_0d": (lambda L, x: x.view(()), [(1,)]),
    "view_empty": (lambda L, x: x.view(3, 0, 2), [(0, 3)]),
    "view_as": (lambda L, x, y: x.view_as(y), [(2, 6), (4, 3)]),
    "reshape": (lambda L, x: x.reshape(3, 4), [(2, 6)]),
    "reshape_fn": (lambda L, x: L.reshape(x, (-1,)), [(2, 3, 2)]),
    "reshape_noncontig": (lambda L, x: x.t().reshape(-1), [(2, 3)]),
    "reshape_as": (lambda L, x, y: x.reshape_as(y), [(2, 6), (3, 4)]),
    "flatten": (lambda L, x: x.flatten(), [(2, 3, 4)]),
    "flatten_range": (lambda L, x: L.flatten(x, 1, 2), [(2, 3, 4, 2)]),
    "flatten_0d": (lambda L, x: x.flatten(), [()]),
    "flatten_same": (lambda L, x: x.flatten(1, 1), [(2, 3)]),
    "unflatten": (lambda L, x: x.unflatten(1, (2, 3)), [(4, 6)]),
    "unflatten_infer": (lambda L, x: L.unflatten(x, -1, (-1, 2)), [(4, 6)]),
    "permute": (lambda L, x: x.permute(2, 0, 1), [(2, 3, 4)]),
    "permute_tuple": (lambda L, x: L.permute(x, (1, 0, 2)), [(2, 3, 4)]),
    "permute_neg": (lambda L, x: x.permute(-1, 0, 1), [(2, 3, 4)]),
    "transpose": (lambda L, x: x.transpose(0, 2), [(2, 3, 4)]),
    "transpose_neg": (lambda L, x: L.transpose(x, -1, -2), [(2, 3, 4)]),
    "swapaxes": (lambda L, x: x.swapaxes(0, 1), [(2, 3)]),
    "swapdims": (lambda L, x: L.swapdims(x, 0, 1), [(2, 3)]),
    "t": (lambda L, x: x.t(), [(2, 3)]),
    "t_1d": (lambda L, x: L.t(x), [(3,)]),
    "t_0d": (lambda L, x: x.t(), [()]),
    "T": (lambda L, x: x.T, [(2, 3)]),
    "mT": (lambda L, x: x.mT, [(2, 3, 4)]),
    "movedim": (lambda L, x: x.movedim(0, -1), [(2, 3, 4)]),
    "squeeze": (lambda L, x: x.squeeze(), [(1, 3, 1, 2)]),
    "squeeze_dim": (lambda L, x: x.squeeze(2), [(1, 3, 1, 2)]),
    "squeeze_dim_noop": (lambda L, x: x.squeeze(1), [(1, 3, 1, 2)]),
    "squeeze_neg": (lambda L, x: L.squeeze(x, -2), [(1, 3, 1, 2)]),
    "squeeze_tuple": (lambda L, x: x.squeeze((0, 2)), [(1, 3, 1, 2)]),
    "squeeze_0d": (lambda L, x: x.squeeze(), [()]),
    "squeeze_0d_dim": (lambda L, x: x.squeeze(0), [()]),
    "unsqueeze": (lambda L, x: x.unsqueeze(0), [(2, 3)]),
    "unsqueeze_end": (lambda L, x: L.unsqueeze(x, -1), [(2, 3)]),
    "unsqueeze_mid": (lambda L, x: x.unsqueeze(1), [(2, 3)]),
    "unsqueeze_0d": (lambda L, x: x.unsqueeze(0), [()]),
    "expand": (lambda L, x: x.expand(2, 3, 4), [(3, 1)]),
    "expand_neg": (lambda L, x: x.expand(-1, 4), [(3, 1)]),
    "expand_tuple": (lambda L, x: x.expand((2, 3, 1)), [(3, 1)]),
    "expand_0d": (lambda L, x: x.expand(3), [()]),
    "expand_as": (lambda L, x, y: x.expand_as(y), [(1, 3), (2, 3)]),
    "broadcast_to": (lambda L, x: L.broadcast_to(x, (2, 3)), [(3,)]),
    "repeat": (lambda L, x: x.repeat(2, 3), [(2, 3)]),
    "repeat_more": (lambda L, x: x.repeat(2, 1, 2), [(2, 3)]),
    "repeat_0d": (lambda L, x: x.repeat(3), [()]),
    "tile": (lambda L, x: x.tile((2,)), [(2, 3)]),
    "repeat_interleave": (lambda L, x: x.repeat_interleave(2), [(2, 3)]),
    "repeat_interleave_dim": (lambda L, x: L.repeat_interleave(x, 3, dim=1), [(2, 3)]),
    "repeat_interleave_neg": (lambda L, x: x.repeat_interleave(2, dim=-2), [(2, 3)]),
    "repeat_interleave_t": (lambda L, x: x.repeat_interleave(L.tensor([1, 0, 2]), dim=1),
                            [(2, 3)]),
    "flip": (lambda L, x: x.flip(0), [(2, 3)]),
    "flip_many": (lambda L, x: L.flip(x, (0, -1)), [(2, 3, 4)]),
    "fliplr": (lambda L, x: L.fliplr(x), [(2, 3)]),
    "flipud": (lambda L, x: x.flipud(), [(2, 3)]),
    "roll": (lambda L, x: x.roll(1), [(2, 3)]),
    "roll_dim": (lambda L, x: L.roll(x, -1, 1), [(2, 3)]),
    "roll_multi": (lambda L, x: x.roll((1, 2), (0, 1)), [(2, 3)]),
    "narrow": (lambda L, x: x.narrow(1, 1, 2), [(2, 4)]),
    "narrow_neg": (lambda L, x: L.narrow(x, 0, -2, 2), [(3, 4)]),
    "cat": (lambda L, x, y: L.cat([x, y]), [(2, 3), (1, 3)]),
    "cat_dim": (lambda L, x, y: L.cat((x, y), dim=1), [(2, 3), (2, 1)]),
    "cat_neg": (lambda L, x, y: L.cat([x, y], -1), [(2, 3), (2, 2)]),
    "cat_empty1d": (lambda L, x, y: L.cat([x, y]), [(0,), (2, 3)]),
    "concat": (lambda L, x, y: L.concat([x, y], 0), [(2,), (3,)]),
    "concatenate": (lambda L, x, y: L.concatenate([x, y], 1), [(2, 1), (2, 3)]),
    "cat_one": (lambda L, x: L.cat([x]), [(2, 3)]),
    "stack": (lambda L, x, y: L.stack([x, y]), [(2, 3), (2, 3)]),
    "stack_dim": (lambda L, x, y: L.stack([x, y], 1), [(2, 3), (2, 3)]),
    "stack_end": (lambda L, x, y: L.stack((x, y), dim=-1), [(2, 3), (2, 3)]),
    "stack_0d": (lambda L, x, y: L.stack([x, y]), [(), ()]),
    "hstack": (lambda L, x, y: L.hstack([x, y]), [(2, 3), (2, 1)]),
    "vstack": (lambda L, x, y: L.vstack([x, y]), [(3,), (2, 3)]),
    "split": (lambda L, x: x.split(2), [(5, 2)]),
    "split_sizes": (lambda L, x: L.split(x, [1, 3], dim=1), [(2, 4)]),
    "split_even": (lambda L, x: x.split(2, 1), [(2, 4)]),
    "chunk": (lambda L, x: x.chunk(3), [(5, 2)]),
    "chunk_dim": (lambda L, x: L.chunk(x, 2, dim=1), [(2, 4)]),
    "chunk_more": (lambda L, x: x.chunk(4), [(6,)]),
    "chunk_few": (lambda L, x: x.chunk(5), [(2, 3)]),
    "unbind": (lambda L, x: x.unbind(), [(3, 2)]),
    "unbind_dim": (lambda L, x: L.unbind(x, 1), [(3, 2)]),
    "tensor_split": (lambda L, x: x.tensor_split(3), [(7,)]),
    "tril": (lambda L, x: x.tril(), [(3, 4)]),
    "tril_k": (lambda L, x: L.tril(x, -1), [(2, 3, 3)]),
    "triu": (lambda L, x: x.triu(), [(3, 4)]),
    "triu_k": (lambda L, x: L.triu(x, diagonal=1), [(4, 3)]),
    "contiguous": (lambda L, x: x.t().contiguous(), [(2, 3)]),
    "contiguous_noop": (lambda L, x: x.contiguous(), [(2, 3)]),
    "clone": (lambda L, x: x.clone(), [(2, 3)]),
    "atleast_2d": (lambda L, x: L.atleast_2d(x), [(3,)]),
}

@pytest.mark.parametrize("name", list(_OPS))
@pytest.mark.parametrize("dtype", ["float32", "float64", "int64"])
def test_ops(name, dtype):
    fn, shapes = _OPS[name]
    if dtype == "int64" and name in ("T", "t", "squeeze"):
        pytest.skip("covered by float")
    check(_named(fn), *[arr(s, dtype, seed=i) for i, s in enumerate(shapes)])


@pytest.mark.parametrize("name", ["view", "reshape", "permute", "transpose", "flatten", "cat",
                                  "expand", "repeat", "flip", "roll", "tril", "stack"])
def test_ops_noncontig(name):
    fn, shapes = _OPS[name]
    check(_named(fn), *[arr(s, seed=i, noncontig=True) for i, s in enumerate(shapes)]) \
        if name != "view" else None


@pytest.mark.parametrize("name", ["cat", "stack", "flip", "tril", "repeat", "unbind"])
def test_ops_bool(name):
    fn, shapes = _OPS[name]
    check(fn, *[arr(s, "bool", seed=i) for i, s in enumerate(shapes)])


def test_cat_promotes():
    check(lambda L, x, y: L.cat([x, y]), arr((2,), "int64"), arr((3,)))
    check(lambda L, x, y: L.cat([x, y]), arr((2,), "float64"), arr((3,)))
    check(lambda L, x, y: L.stack([x, y]), arr((2,), "int32"), arr((2,), "int64"))


def test_squeeze_axis_numpy_kw():
    t = ember.zeros(1, 3, 1)
    assert t.squeeze(axis=0).shape == (3, 1)
    assert np.squeeze(t).shape == (3,)
    assert ember.squeeze(t, 2).shape == (1, 3)


def test_resize_():
    check(lambda L, x: x.clone().resize_(3, 2), arr((2, 3)), grad=False)
    check(lambda L, x: x.clone().resize_(4), arr((2, 3)), grad=False)
    check(lambda L, x: x.clone().resize_((2, 2)).shape, arr((6,)), grad=False)
    e = ember.zeros(2)
    e.resize_(2, 5)
    assert e.shape == (2, 5)
    assert e[0, :2].tolist() == [0.0, 0.0]


def test_stack_grad_is_views_of_inputs():
    check(lambda L, x, y: (L.stack([x, y], 2) * 3).sum(0), arr((2, 3)), arr((2, 3), seed=1))


_ERRORS = {
    "cat_size": (lambda L, x, y: L.cat([x, y]), [(2, 3), (2, 4)]),
    "cat_ndim": (lambda L, x, y: L.cat([x, y]), [(2, 3), (2, 3, 1)]),
    "cat_0d": (lambda L, x, y: L.cat([x, y]), [(), ()]),
    "cat_dim": (lambda L, x, y: L.cat([x, y], 2), [(2, 3), (2, 3)]),
    "cat_empty_list": (lambda L: L.cat([]), []),
    "stack_size": (lambda L, x, y: L.stack([x, y]), [(3,), (4,)]),
    "stack_size_2d": (lambda L, x, y, z: L.stack([x, y, z]), [(2, 3), (2, 3), (3, 2)]),
    "stack_empty": (lambda L: L.stack([]), []),
    "stack_dim": (lambda L, x: L.stack([x, x], 3), [(2, 3)]),
    "view_noncontig": (lambda L, x: x.t().view(6), [(2, 3)]),
    "view_after_transpose_of_view": (lambda L, x: x.view(3, 2).t().view(6), [(2, 3)]),
    "view_numel": (lambda L, x: x.view(4), [(2, 3)]),
    "view_infer_bad": (lambda L, x: x.view(3, -1), [(10,)]),
    "view_two_infer": (lambda L, x: x.view(-1, -1), [(6,)]),
    "view_neg": (lambda L, x: x.view(-2, 3), [(6,)]),
    "view_infer_zero": (lambda L, x: x.view(0, -1), [(0, 3)]),
    "reshape_numel": (lambda L, x: x.reshape(4, 2), [(2, 3)]),
    "expand_bad": (lambda L, x: x.expand(4, 3), [(2, 3)]),
    "expand_fewer": (lambda L, x: x.expand(3), [(2, 3)]),
    "expand_neg_lead": (lambda L, x: x.expand(-1, 2, 3), [(2, 3)]),
    "expand_int": (lambda L, x: x.long().expand(4, 3), [(2, 3)]),
    "expand_double": (lambda L, x: x.double().expand(3), [(2, 3)]),
    "permute_len": (lambda L, x: x.permute(0, 1), [(2, 3, 4)]),
    "permute_dup": (lambda L, x: x.permute(0, 0, 1), [(2, 3, 4)]),
    "permute_range": (lambda L, x: x.permute(0, 3), [(2, 3)]),
    "transpose_range": (lambda L, x: x.t().transpose(0, 1), [(3,)]),
    "t_3d": (lambda L, x: x.t(), [(2, 3, 4)]),
    "squeeze_range": (lambda L, x: x.squeeze(3), [(2, 3)]),
    "unsqueeze_range": (lambda L, x: x.unsqueeze(4), [(2, 3)]),
    "flatten_order": (lambda L, x: x.flatten(2, 1), [(2, 3, 4)]),
    "unflatten_bad": (lambda L, x: x.unflatten(1, (4, 2)), [(2, 6)]),
    "narrow_exceeds": (lambda L, x: x.narrow(0, 1, 3), [(3,)]),
    "narrow_range": (lambda L, x: x.narrow(0, 4, 1), [(3,)]),
    "split_sizes": (lambda L, x: x.split([1, 1], 0), [(3,)]),
    "repeat_fewer": (lambda L, x: x.repeat(2), [(2, 3)]),
    "tril_1d": (lambda L, x: x.tril(), [(3,)]),
    "triu_1d": (lambda L, x: L.triu(x), [(3,)]),
    "chunk_zero": (lambda L, x: x.chunk(0), [(3,)]),
    "unbind_0d": (lambda L, x: x.unbind(), [()]),
    "roll_mismatch": (lambda L, x: x.roll((1, 2), 0), [(3,)]),
    "flip_dup": (lambda L, x: x.flip(0, 0), [(3,)]),
    "movedim_dup": (lambda L, x: x.movedim((0, 0), (1, 0)), [(2, 3)]),
}


@pytest.mark.parametrize("name", list(_ERRORS))
def test_errors(name):
    fn, shapes = _ERRORS[name]
    check_error(fn, *[arr(s, seed=i) for i, s in enumerate(shapes)])
