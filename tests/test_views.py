"""Real views against torch: shared memory, strides, storage offsets, contiguity, version
counters, and backward's refusal of a saved tensor modified in place."""

import numpy as np
import pytest

import ember
from oracle import arr, check_error, requires_torch, torch

_CHAINS = {
    "slice": lambda x: x[1:, ::2],
    "int": lambda x: x[1],
    "int_last": lambda x: x[:, 2],
    "none": lambda x: x[None, :, None],
    "ellipsis": lambda x: x[..., 1:3],
    "view": lambda x: x.view(4, 6),
    "view_infer": lambda x: x.view(-1),
    "reshape_view": lambda x: x.reshape(2, 3, 4),
    "transpose": lambda x: x.transpose(0, 1),
    "t_then_slice": lambda x: x.t()[1:3],
    "T": lambda x: x.T,
    "mT": lambda x: x.view(2, 3, 4).mT,
    "permute": lambda x: x.view(2, 3, 4).permute(2, 0, 1),
    "expand": lambda x: x[:, :1].expand(4, 5),
    "expand_new_dim": lambda x: x[0].expand(3, 6),
    "unsqueeze": lambda x: x.unsqueeze(1),
    "squeeze": lambda x: x[:1].squeeze(0),
    "narrow": lambda x: x.narrow(1, 2, 3),
    "flatten_view": lambda x: x.flatten(),
    "unflatten": lambda x: x.unflatten(1, (2, 3)),
    "split": lambda x: x.split(2, 1)[1],
    "chunk": lambda x: x.chunk(2)[1],
    "unbind": lambda x: x.unbind(1)[3],
    "diagonal_step": lambda x: x[::2, 1::3],
    "slice_of_transpose": lambda x: x.t()[::2, 1:],
    "view_of_slice": lambda x: x[1:3].view(12),
    "transpose_view_slice": lambda x: x.view(2, 12).t()[3:7],
    "detach": lambda x: x.detach(),
    "movedim": lambda x: x.view(2, 3, 4).movedim(0, 2),
    "swapaxes": lambda x: x.swapaxes(0, 1)[2],
    "expand_as": lambda x: x[:1].expand_as(x),
    "contiguous_noop": lambda x: x.contiguous(),
    "select_neg": lambda x: x[-1, -2:],
    "size1_dims": lambda x: x[:1, :1],
    "broadcast_to": lambda x: x[0].broadcast_to(2, 6),
    "transpose_size1": lambda x: x[:1].t(),
    "view_size1": lambda x: x[:, :1].view(4),
    "tensor_split": lambda x: x.tensor_split(3, 1)[2],
}


def _both(name):
    a = np.arange(24, dtype=np.float32).reshape(4, 6)
    e = _CHAINS[name](ember.from_numpy(a.copy()))
    t = _CHAINS[name](torch.from_numpy(a.copy()))
    return e, t


@requires_torch
@pytest.mark.parametrize("name", list(_CHAINS))
def test_strides_offsets_contiguity(name):
    e, t = _both(name)
    assert tuple(e.shape) == tuple(t.shape)
    assert e.stride() == t.stride()
    assert e.storage_offset() == t.storage_offset()
    assert e.is_contiguous() == t.is_contiguous()
    assert np.array_equal(e.numpy(), t.numpy())
    for d in range(e.dim()):
        assert e.stride(d) == t.stride(d)


@pytest.mark.parametrize("name", [n for n in _CHAINS if n not in ("empty_slice",)])
def test_shares_memory(name):
    base = ember.from_numpy(np.arange(24, dtype=np.float32).reshape(4, 6))
    v = _CHAINS[name](base)
    before = base.clone()
    base.add_(100)  # writes through the base show in the view
    assert np.array_equal(v.numpy(), _CHAINS[name](before).numpy() + 100)
    if name.startswith(("expand", "broadcast")):
        return  # torch refuses to write into an expanded view too
    v.mul_(0)  # ... and writes through the view show in the base
    assert (base.numpy() == 0).sum() >= v.numel() or v.numel() == 0
    assert np.shares_memory(base.numpy(), v.numpy()) or v.numel() == 0


def test_from_numpy_and_numpy_share():
    a = np.zeros((2, 3), np.float32)
    t = ember.from_numpy(a)
    t[0, 1] = 5
    assert a[0, 1] == 5
    a[1, 2] = 7
    assert t[1, 2].item() == 7
    t.numpy()[0, 0] = -1
    assert a[0, 0] == -1
    tt = t.t()
    tt[2, 1] = 9
    assert a[1, 2] == 9


def test_basic_indexing_does_not_copy():
    x = ember.zeros(100, 100)
    v = x[10:20, ::3]
    assert v.data_ptr() == x.data_ptr() + (10 * 100) * 4
    assert v._base is x
    assert x.t()._base is x and x.view(-1)._base is x and x[0][1:]._base is x
    assert x[[0, 1]]._base is None  # advanced indexing copies


_REFUSED = {
    "t_view": lambda L, x: x.t().view(6),
    "transpose_of_view": lambda L, x: x.view(3, 2).t().view(6),
    "slice_view": lambda L, x: x[:, 1:].view(4),
    "permute_view": lambda L, x: x.view(1, 2, 3).permute(2, 1, 0).view(-1),
    "expand_view": lambda L, x: x[:1].expand(4, 3).view(12),
    "step_view": lambda L, x: x[:, ::2].view(4),
}


@pytest.mark.parametrize("name", list(_REFUSED))
def test_view_refuses(name):
    check_error(_REFUSED[name], arr((2, 3)))


_ALLOWED = {
    "t_view_same_dims": lambda x: x.t().view(3, 2),
    "t_split_last": lambda x: x.view(2, 3).t().view(3, 2, 1),
    "slice_rows": lambda x: x[1:].view(-1),
    "slice_cols_keep": lambda x: x[:, 1:].view(2, 2, 1),
    "expand_split": lambda x: x[:1].expand(4, 3).view(2, 2, 3),
    "unsqueeze_then_view": lambda x: x.t().unsqueeze(0).view(3, 2),
    "size1": lambda x: x[:, :1].view(1, 2),
}


@requires_torch
@pytest.mark.parametrize("name", list(_ALLOWED))
def test_view_allowed(name):
    a = np.arange(6, dtype=np.float32).reshape(2, 3)
    e, t = _ALLOWED[name](ember.from_numpy(a.copy())), _ALLOWED[name](torch.from_numpy(a.copy()))
    assert e.stride() == t.stride() and e.storage_offset() == t.storage_offset()
    assert np.array_equal(e.numpy(), t.numpy())


def _saved_vc(L):
    x = L.zeros(3, 4)
    out = [x._version]
    v = x[1]
    w = x.t()
    v.add_(1)
    out += [x._version, v._version, w._version]
    w.mul_(2)
    out += [x._version, v._version]
    x[0, 0] = 3.0
    out += [x._version, v._version]
    x.zero_()
    y = x.view(12)
    y.fill_(1)
    out += [x._version, y._version]
    u = x.clone()
    out.append(u._version)
    x.copy_(u)
    z = x.detach()
    z.add_(1)
    out += [x._version, z._version]
    x.data.add_(1)  # .data shares memory but not the version counter
    out.append(x._version)
    p = L.ones(2)
    p += 1
    p[...] = 2
    out.append(p._version)
    return out


@requires_torch
def test_version_counters():
    assert _saved_vc(ember) == _saved_vc(torch)


def _saved_then_modified(L, x):
    x.requires_grad_()
    y = x * 2
    z = y.exp()
    z[0] = 1.0
    z.sum().backward()


def _view_modified(L, x):
    x.requires_grad_()
    y = x.clone()
    s = y.sigmoid()
    s.t()[0].mul_(2)
    s.sum().backward()


def _input_modified(L, x):
    x.requires_grad_()
    a = x * 1
    b = a.pow(2)
    a[1:].add_(1)
    b.sum().backward()


def _matmul_modified(L, x):
    x.requires_grad_()
    a = x * 1
    b = a @ L.ones(3, 2, requires_grad=True)
    a.mul_(3)
    b.sum().backward()


@pytest.mark.parametrize("fn", [_saved_then_modified, _view_modified, _input_modified,
                                _matmul_modified])
def test_backward_refuses_modified(fn):
    check_error(fn, arr((2, 3)))


@requires_torch
def test_inplace_on_view_grad():
    """An in-place op on a view of a non-leaf sends gradient to the base (CopySlices)."""
    def run(L):
        x = L.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], requires_grad=True)
        y = x * 1
        v = y[:, 1]
        v.mul_(10)
        y.t()[2].exp_()
        (y * L.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])).sum().backward()
        return x.grad.numpy(), y.grad_fn.name(), v.grad_fn.name(), y._version
    e, t = run(ember), run(torch)
    np.testing.assert_allclose(e[0], t[0], rtol=1e-6)
    assert e[1:] == t[1:]


def test_multi_output_view_inplace_refused():
    def f(L, x):
        x.requires_grad_()
        a, b = (x * 1).split(1)
        a.mul_(2)
    check_error(f, arr((2, 3)))


def test_view_made_in_no_grad_modified_with_grad_on():
    """torch forbids an in-place op with grad on into a view made under no_grad of a tensor
    that requires grad (ember changed the leaf silently, recording nothing)."""
    x = ember.ones(2, requires_grad=True)
    with ember.no_grad():
        v = x[:1]
    with pytest.raises(RuntimeError, match="A view was created in no_grad mode and is being "
                                           "modified inplace with grad mode enabled"):
        v.mul_(2)
    assert x.tolist() == [1.0, 1.0]
    y = x * 1
    with ember.no_grad():
        w = y.view(2)
        w.mul_(2)  # both inside no_grad: allowed
    z = ember.ones(2)
    with ember.no_grad():
        u = z[:1]
    u.mul_(2)  # a base that does not require grad: allowed
    assert z.tolist() == [2.0, 1.0]
