"""Edge semantics against live torch: in-place ops under autograd (non-leaves, views of them,
chains of views), version counters, leaf `.grad` accumulation and layout, hooks, higher-order
grads, grad mode switches, dtype corners, and view metadata (strides, offsets, versions).

Each case is `fn(lib)` run once with ember and once with torch; the results (tensors, grads,
strides, flags) or the raised errors must be the same."""

import warnings

import numpy as np
import pytest

import ember
from oracle import assert_same, requires_torch, torch

A = np.random.default_rng(0).uniform(-2, 2, (3, 4)).astype(np.float32)
B = np.random.default_rng(1).uniform(-2, 2, (3, 4)).astype(np.float32)
X = np.arange(120, dtype=np.float32).reshape(2, 3, 4, 5)


def leaf(lib, a=A, rg=True):
    return lib.from_numpy(a.copy()).requires_grad_(rg)


def _cmp(e, t, what):
    if isinstance(t, (tuple, list)):
        assert isinstance(e, (tuple, list)) and len(e) == len(t), f"{what}: {e!r} vs {t!r}"
        for i, (x, y) in enumerate(zip(e, t)):
            _cmp(x, y, f"{what}[{i}]")
    elif t is None:
        assert e is None, f"{what}: {e!r}, torch has None"
    else:
        assert_same(e, t, what=what)


def same(fn):
    """fn(lib) gives the same results, or raises the same error, in ember and torch."""
    res = []
    for lib in (ember, torch):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                res.append((True, fn(lib)))
            except Exception as ex:  # noqa: BLE001 - the error itself is compared
                res.append((False, ex))
    (eok, e), (tok, t) = res
    if not (eok and tok):
        assert not eok and not tok, f"ember gave {e!r}, torch gave {t!r}" if eok else \
            f"ember raised {e!r}, torch gave {t!r}"
        assert (type(e).__name__, str(e)) == (type(t).__name__, str(t))
        return
    _cmp(e, t, fn.__name__)


CASES = {}


def case(f):
    CASES[f.__name__] = f
    return f


# ---------------------------------------------------------------- in-place on non-leaves
_INPLACE = {
    "add_": lambda L, y, w: y.add_(w, alpha=3),
    "mul_": lambda L, y, w: y.mul_(w),
    "div_": lambda L, y, w: y.div_(w),
    "clamp_": lambda L, y, w: y.clamp_(-1, 1),
    "clamp_tensor": lambda L, y, w: y.clamp_(min=w),
    "relu_": lambda L, y, w: y.relu_(),
    "sigmoid_": lambda L, y, w: y.sigmoid_(),
    "exp_": lambda L, y, w: y.exp_(),
    "tanh_": lambda L, y, w: y.tanh_(),
    "pow_": lambda L, y, w: y.pow_(2),
    "zero_": lambda L, y, w: y.zero_(),
    "fill_": lambda L, y, w: y.fill_(3),
    "fill_tensor": lambda L, y, w: y.fill_(w.sum()),
    "copy_": lambda L, y, w: y.copy_(w),
    "copy_broadcast": lambda L, y, w: y.copy_(w[0]),
    "index_put_": lambda L, y, w: y.index_put_((L.tensor([0, 2]),), w[:2]),
    "index_put_acc": lambda L, y, w: y.index_put_((L.tensor([0, 0]),), w[:2], accumulate=True),
    "masked_fill_": lambda L, y, w: y.masked_fill_(w > 0, 0.5),
    "masked_fill_tensor": lambda L, y, w: y.masked_fill_(w > 0, w.sum()),
    "scatter_": lambda L, y, w: y.scatter_(1, L.tensor([[0], [1], [3]]), w[:, :1]),
    "scatter_add_": lambda L, y, w: y.scatter_add_(1, L.tensor([[0, 0], [1, 2], [3, 3]]),
                                                   w[:, :2]),
    "setitem_mask": lambda L, y, w: y.__setitem__(w > 0, w[w > 0]),
    "setitem_adv": lambda L, y, w: y.__setitem__((L.tensor([0, 2]), L.tensor([1, 3])), w[0, :2]),
    "setitem_all": lambda L, y, w: y.__setitem__(Ellipsis, w),
    "lerp_": lambda L, y, w: y.lerp_(w, 0.3),
    # views of the non-leaf
    "row_mul_": lambda L, y, w: y[0].mul_(w[1]),
    "col_iadd": lambda L, y, w: y[:, 1].__iadd__(w[:, 2]),
    "t_add_": lambda L, y, w: y.t().add_(1),
    "t_mul_": lambda L, y, w: y.t().mul_(w.t()),
    "flat_setitem": lambda L, y, w: y.view(-1).__setitem__(2, 5.0),
    "flat_setitem_tensor": lambda L, y, w: y.view(-1).__setitem__(2, w[1, 1]),
    "element_mul_": lambda L, y, w: y[1, 2].mul_(w[0, 0]),
    "element_iadd": lambda L, y, w: y[0, 1].__iadd__(3.0),
    "narrow_copy_": lambda L, y, w: y.narrow(1, 1, 2).copy_(w[:, :2]),
    "chain_views": lambda L, y, w: y.t()[1:3].narrow(1, 0, 2).mul_(w[:2, :2]),
    "chain_step_sigmoid_": lambda L, y, w: y[1:, ::2].t().sigmoid_(),
    "view_then_base": lambda L, y, w: (y[0].mul_(w[0]), y.mul_(w)),
    "two_views": lambda L, y, w: (y[0].mul_(w[0]), y[:, 1].exp_()),
    "unsqueeze_add_": lambda L, y, w: y.unsqueeze(0).add_(w),
    "view_fill_": lambda L, y, w: y[:, 2].fill_(w[0, 0]),
}


@requires_torch
@pytest.mark.parametrize("name", list(_INPLACE))
def test_inplace_on_non_leaf(name):
    op = _INPLACE[name]

    def fn(L):
        x, w = leaf(L), leaf(L, B)
        y = x * 2
        op(L, y, w)
        (y * L.from_numpy(B.copy())).sum().backward()
        return y, x.grad, w.grad
    fn.__name__ = name
    same(fn)


@case
def view_taken_before_base_inplace(L):
    x = leaf(L)
    y = x * 2
    v = y[0]
    y.mul_(3)  # v's history is regenerated from y's new one
    (v * 1).sum().backward()
    return x.grad, v, v.grad_fn.name()


@case
def nested_view_inplace_then_base_grad(L):
    x = leaf(L)
    y = x * 2
    u = y[1:][:, 1:3]
    u.mul_(L.from_numpy(B[:2, :2].copy()))
    (y * y).sum().backward()
    return x.grad, y


@case
def sibling_view_after_view_inplace(L):
    x = leaf(L)
    y = x * 2
    a, b = y[0], y[:, 1]
    a.mul_(5)  # b overlaps a at y[0, 1]
    (b * b).sum().backward()
    return x.grad, b


@case
def unbind_output_inplace(L):
    a, _, _ = (leaf(L) * 1).unbind(0)
    a.mul_(2)


@case
def split_output_inplace(L):
    _, b = (leaf(L) * 1).split(2)
    b.add_(1)


@case
def split_output_inplace_no_grad(L):
    x = leaf(L, rg=False)
    _, b = x.split(2)
    b.add_(1)
    return x, b._version


@case
def leaf_inplace(L):
    leaf(L).add_(1)


@case
def leaf_view_inplace(L):
    leaf(L)[0].add_(1)


@case
def leaf_tril_(L):
    leaf(L).tril_()


@case
def saved_output_modified(L):
    z = (leaf(L) * 2).sigmoid()
    z.mul_(2)
    z.sum().backward()


@case
def saved_input_modified(L):
    y = leaf(L) * 2
    z = y * y
    y.add_(1)
    z.sum().backward()


@case
def saved_input_modified_through_view(L):
    y = leaf(L) * 2
    z = y.exp() * y
    y[0].add_(1)
    z.sum().backward()


@case
def unsaved_input_modified_ok(L):
    x = leaf(L)
    y = x * 2
    z = y + 1
    y.add_(1)
    z.sum().backward()
    return x.grad, y._version


@case
def detach_shares_version(L):
    z = (leaf(L) * 2).sigmoid()
    z.detach().add_(1)
    z.sum().backward()


@case
def data_edit_untracked(L):
    x = leaf(L)
    y = x * x
    x.data.mul_(2)
    y.sum().backward()
    return x.grad, x._version, y


@case
def detach_shares_memory(L):
    x = leaf(L)
    d = x.detach()
    d[0, 0] = 100.0
    return x, x._version, d._version, d.requires_grad, d._base


@case
def detach_inplace_non_leaf(L):
    y = leaf(L) * 2
    y.detach_()
    return y.requires_grad, y.grad_fn, y.is_leaf


@case
def detach_inplace_view_of_non_leaf(L):
    (leaf(L) * 2)[0].detach_()


@case
def detach_inplace_view_without_grad(L):
    leaf(L, rg=False)[0].detach_()


# ---------------------------------------------------------------- written-to memory overlap
_OVERLAP = {
    "add_": lambda y: y.add_(1),
    "mul_tensor": lambda y: y.mul_(ember.ones(3, 4) if isinstance(y, ember.Tensor) else
                                   torch.ones(3, 4)),
    "clamp_": lambda y: y.clamp_(0, 1),
    "sigmoid_": lambda y: y.sigmoid_(),
    "relu_": lambda y: y.relu_(),
    "copy_": lambda y: y.copy_(y.detach().clone()),
    "setitem_all": lambda y: y.__setitem__(Ellipsis, 2.0),
    "setitem_row": lambda y: y.__setitem__(0, 2.0),
    "row_add_": lambda y: y[0].add_(1),
    "scatter_": lambda y: y.scatter_(1, y.new_zeros(1, 1).long(), 2.0),
    "uniform_": lambda y: y.uniform_(),
    "fill_": lambda y: y.fill_(2),  # allowed
    "zero_": lambda y: y.zero_(),  # allowed
    "setitem_col": lambda y: y.__setitem__((slice(None), 0), 5.0),  # the column does not overlap
    "tril_": lambda y: y.tril_(),  # allowed
}


@requires_torch
@pytest.mark.parametrize("name", list(_OVERLAP))
def test_inplace_into_expanded(name):
    def fn(L):
        y = L.ones(3, 1).expand(3, 4)
        _OVERLAP[name](y)
        return y
    fn.__name__ = name
    same(fn)


# ---------------------------------------------------------------- leaves and .grad
@case
def requires_grad_on_int(L):
    L.tensor([1, 2]).requires_grad_()


@case
def requires_grad_false_on_non_leaf(L):
    (leaf(L) * 2).requires_grad_(False)


@case
def requires_grad_true_on_non_leaf(L):
    y = (leaf(L) * 2).requires_grad_(True)
    return y.requires_grad, y.is_leaf


@case
def accumulate_with_retain_graph(L):
    x = leaf(L)
    y = (x.exp() * 2).sum()
    y.backward(retain_graph=True)
    g1 = x.grad.clone()
    g = x.grad
    y.backward()
    return g1, x.grad, g is x.grad


@case
def zero_grad_in_place_between(L):
    x = leaf(L)
    y = x.sin().sum()
    y.backward(retain_graph=True)
    x.grad.zero_()
    y.backward()
    return x.grad


@case
def second_backward_without_retain(L):
    y = leaf(L).exp().sum()
    y.backward()
    y.backward()


@case
def module_zero_grad(L):
    m = L.nn.Linear(3, 2)
    m(L.ones(1, 3)).sum().backward()
    m.zero_grad()
    none = m.weight.grad
    m(L.ones(1, 3)).sum().backward()
    m.zero_grad(set_to_none=False)
    return none, m.weight.grad, m.bias.grad


@case
def broadcast_leaf(L):
    x, w = leaf(L, A[:1]), leaf(L, B)
    (x * w).sum().backward()
    return x.grad, w.grad


@case
def expanded_leaf(L):
    e = L.from_numpy(A[:1].copy()).expand(3, 4).requires_grad_()
    (e * L.from_numpy(B.copy())).sum().backward()
    return e.grad, e.grad.stride()


@case
def leaf_used_twice(L):
    x = leaf(L)
    (x * x + x).sum().backward()
    return x.grad


_LAYOUTS = {
    "transposed": lambda L: L.from_numpy(A.copy()).t(),
    "permuted": lambda L: L.from_numpy(X.copy()).permute(3, 0, 2, 1),
    "sliced": lambda L: L.from_numpy(X.copy())[:, ::2, 1:],
    "sliced_transposed": lambda L: L.from_numpy(X.copy())[:, :, ::2].transpose(1, 3),
}


@requires_torch
@pytest.mark.parametrize("name", list(_LAYOUTS))
def test_grad_layout_of_non_contiguous_leaf(name):
    """torch gives a dense leaf's grad the leaf's strides, a non-dense one's row-major."""
    def fn(L):
        x = _LAYOUTS[name](L).requires_grad_()
        (x.exp() * 2).sum().backward()
        first = (x.grad.clone(), x.grad.stride())
        (x * 3).sum().backward()
        return first, x.grad, x.grad.stride()
    fn.__name__ = name
    same(fn)


@case
def create_graph_grad_is_a_copy(L):
    x = L.ones(2, 3, requires_grad=True)
    v = L.full((6,), 2.0)
    x.view(-1).backward(v, create_graph=True)
    v.add_(1)  # x.grad must not alias the given gradient
    return x.grad


@case
def create_graph_grad_keeps_layout(L):
    x = L.from_numpy(A.copy()).t().requires_grad_()
    (x ** 3).sum().backward(create_graph=True)
    return x.grad, x.grad.stride(), x.grad.requires_grad


# ---------------------------------------------------------------- higher order, hooks, modes
@case
def third_derivatives(L):
    x = leaf(L, A.astype(np.float64))
    out = []
    for f in (L.sin, L.tanh):
        g1, = L.autograd.grad(f(x).sum(), x, create_graph=True)
        g2, = L.autograd.grad(g1.sum(), x, create_graph=True)
        g3, = L.autograd.grad(g2.sum(), x)
        out += [g1, g2, g3]
    return out


@case
def grad_of_grad_of_norm(L):
    x = leaf(L, A.astype(np.float64))
    g, = L.autograd.grad(x.norm(), x, create_graph=True)
    h, = L.autograd.grad((g * g).sum() + g.norm(), x)
    return g, h


@case
def gradient_penalty(L):
    x, w = leaf(L), leaf(L, B)
    g, = L.autograd.grad((x * w).tanh().sum(), x, create_graph=True)
    g.pow(2).sum().backward()
    return w.grad, x.grad


@requires_torch
@pytest.mark.parametrize("p", [2, 3, 1.5, 0.5, 1, "fro"])
def test_norm_grad_at_zero(p):
    def fn(L):
        x = L.tensor([[0.0, 0.0], [1.0, 2.0]], requires_grad=True)
        x.norm(p, dim=1).sum().backward()
        z = L.zeros(3, requires_grad=True)
        z.norm(p).backward()
        return x.grad, z.grad
    fn.__name__ = f"norm_{p}"
    same(fn)


@case
def normalize_zero_row(L):
    x = L.zeros(2, 3, requires_grad=True)
    L.nn.functional.normalize(x, dim=1).sum().backward()
    return x.grad


@case
def zero_norm_double_backward(L):
    x = L.zeros(3, dtype=L.float64, requires_grad=True)
    g, = L.autograd.grad(x.norm(), x, create_graph=True)
    return g


@case
def hooks_on_leaf_and_non_leaf(L):
    x = leaf(L)
    x.register_hook(lambda g: g * 3)
    y = x * 2
    y.register_hook(lambda g: g + 1)
    y.exp().sum().backward()
    return x.grad


@case
def hook_on_intermediate_used_twice(L):
    x = leaf(L)
    y = x * 2
    seen = []
    y.register_hook(lambda g: seen.append(g.clone()) or g * 2)
    (y * y + y.sin()).sum().backward()
    return x.grad, len(seen), seen[0]


@case
def retain_grad_sees_hooked_grad(L):
    x = leaf(L)
    y = x * 2
    y.retain_grad()
    y.register_hook(lambda g: g * 10)
    z = y * y
    z.retain_grad()
    z.sum().backward()
    return y.grad, z.grad, x.grad


@case
def retain_grad_accumulates(L):
    x = leaf(L)
    y = x * 2
    y.retain_grad()
    s = (y * y).sum()
    s.backward(retain_graph=True)
    s.backward()
    return y.grad, x.grad


@case
def backward_inputs(L):
    x, w = leaf(L), leaf(L, B)
    (x * w).sum().backward(inputs=[w])
    y = x * 2
    (y * y).sum().backward(inputs=[y])
    return x.grad, w.grad, y.grad


@case
def grad_through_integer_index(L):
    x = leaf(L)
    i = x.argmax(1)
    (x[L.arange(3), i].sum() + x.gather(1, i[:, None]).sum()).backward()
    return x.grad, i.requires_grad, (x > 0).long().requires_grad, x.round().requires_grad


@case
def grads_at_boundaries(L):
    x = L.tensor([-1.0, 0.0, 0.5, 1.0, 2.0], requires_grad=True)
    lo = L.tensor([0.0, 0.0, 0.5, 2.0, 2.0], requires_grad=True)
    (L.where(x > 0, x ** 2, -x) + x.clamp(0, 1) + x.clamp(min=lo) + x.relu() + x.abs()
     + x.masked_fill(x > 0.5, 0.0)).sum().backward()
    return x.grad, lo.grad


@case
def where_with_nan_branch(L):
    x = L.tensor([-1.0, 0.0, 4.0], requires_grad=True)
    L.where(x > 0, x.sqrt(), L.zeros(3)).sum().backward()
    return x.grad


@case
def no_grad_inside_graph(L):
    x = leaf(L)
    y = x * 2
    with L.no_grad():
        z = y * 3
    (y + z).sum().backward()
    return x.grad, z.requires_grad


@case
def set_grad_enabled_as_function(L):
    x = leaf(L)
    L.set_grad_enabled(False)
    try:
        y = x * 2
        off = L.is_grad_enabled()
    finally:
        L.set_grad_enabled(True)
    return y.requires_grad, off, (x * 2).requires_grad


@case
def inplace_under_no_grad(L):
    x = leaf(L)
    with L.no_grad():
        x[0] = 5.0
        x.mul_(2)
    return x, x._version, x.requires_grad, x.is_leaf


# ---------------------------------------------------------------- dtypes
@case
def float64_leaf_float32_op(L):
    x, w = leaf(L, A.astype(np.float64)), leaf(L, B)
    y = x * w
    y.sum().backward()
    z = x.float()
    (z * 2).sum().backward()
    return y, x.grad, w.grad


@case
def float16_values(L):
    a = L.from_numpy(A.astype(np.float16))
    b = L.from_numpy(B.astype(np.float16))
    return a + b, a * b, a / b, a @ b.t(), a + L.from_numpy(B), a * 2.5


@case
def float16_accumulates_in_float(L):
    a = L.from_numpy(np.random.default_rng(0).uniform(0, 10, (30, 100)).astype(np.float16))
    return a.sum(), a.sum(0), a.sum(1), a.mean(), a.mean(0), a.reshape(-1).cumsum(0)


@case
def float16_grad(L):
    a = L.from_numpy(A.astype(np.float16)).requires_grad_()
    (a * a).sum().backward()
    return a.grad


# ---------------------------------------------------------------- view metadata
_VIEWS = {
    "permute": lambda x: x.permute(3, 1, 0, 2),
    "none_ellipsis_step": lambda x: x[None, ..., ::2],
    "ellipsis_none_step": lambda x: x[..., None, 1::3],
    "steps": lambda x: x[:, ::2, 1::2, ::3],
    "negative_index": lambda x: x[-1, :, -2],
    "narrow_transpose": lambda x: x.narrow(2, 1, 2).transpose(0, 3),
    "unsqueeze_expand": lambda x: x[0, 0].unsqueeze(1).expand(4, 3, 5),
    "view_of_expanded": lambda x: x[0, 0, :1].expand(6, 5).view(2, 3, 5),
    "view_of_expanded_4d": lambda x: x[:, :1].expand(2, 3, 4, 5).view(2, 3, 20),
    "reshape_copies": lambda x: x.transpose(1, 2).reshape(2, 12, 5),
    "reshape_views": lambda x: x.transpose(0, 1).reshape(3, 2, 20),
    "flatten_copies": lambda x: x.permute(0, 2, 1, 3).flatten(1),
    "squeeze_all": lambda x: x[:1, :, :1].squeeze(),
    "unsqueeze_transposed": lambda x: x.transpose(0, 3).unsqueeze(2),
    "select_view_slice": lambda x: x[1].view(-1, 5)[3:],
    "mT": lambda x: x.mT,
    "movedim": lambda x: x.movedim(1, 3),
    "expand_size1": lambda x: x[:, :, :1, :1].expand(2, 3, 7, 1),
    "expand_neg1": lambda x: x[:, :, :1].expand(-1, -1, 4, -1),
    "element": lambda x: x[1, 2, 3, 4],
    "unbind_last": lambda x: x.unbind(3)[2],
    "split_sizes": lambda x: x.split([1, 3], 2)[1],
    "chunk": lambda x: x.chunk(3, 3)[2],
    "empty_slice": lambda x: x[:, 3:],
    "contiguous_of_transposed": lambda x: x.transpose(1, 2).contiguous(),
    "clone_transposed": lambda x: x.transpose(1, 2).clone(),
    "clone_permuted": lambda x: x.permute(3, 1, 0, 2).clone(),
    "clone_sliced_transposed": lambda x: x[:, :, ::2].transpose(1, 3).clone(),
    "clone_expanded": lambda x: x[:, :1].expand(2, 3, 4, 5).clone(),
    "clone_contiguous_format": lambda x: x.transpose(1, 2).clone(
        memory_format=(ember if isinstance(x, ember.Tensor) else torch).contiguous_format),
    "zeros_like_transposed": lambda x: (ember if isinstance(x, ember.Tensor) else torch)
    .zeros_like(x.transpose(1, 2)),
    "full_like_transposed": lambda x: (ember if isinstance(x, ember.Tensor) else torch)
    .full_like(x.transpose(1, 2), 2.0),
}


@requires_torch
@pytest.mark.parametrize("name", list(_VIEWS))
def test_view_metadata(name):
    def fn(L):
        v = _VIEWS[name](L.from_numpy(X.copy()))
        return (tuple(v.shape), v.stride(), v.is_contiguous(), v._version, v), \
            v.storage_offset() if v.numel() else 0
    fn.__name__ = name
    same(fn)


@case
def element_view_writes_through(L):
    x = L.zeros(3)
    x[1].fill_(5)
    for r in x:
        r.add_(1)
    return x, x[2].storage_offset(), x._version


@case
def element_of_non_leaf_inplace(L):
    x = L.zeros(2, 2, requires_grad=True)
    y = x * 1
    y[0, 1].mul_(3)
    y[1, 1] = 7.0
    y.sum().backward()
    return x.grad, y


@case
def contiguous_identity(L):
    b = L.from_numpy(X.copy())
    return b.contiguous() is b, b[:, 1].contiguous() is b, b[0].contiguous()._base is b


@case
def numpy_of_view_shares_memory(L):
    b = L.from_numpy(X.copy())
    b[:, 1, ::2].numpy()[0, 0, 0] = -7
    a = b.numpy()
    b[0, 0, 0, 0] = 99.0
    return b[0, 1, 0, 0].item(), float(a[0, 0, 0, 0])


@case
def from_numpy_negative_strides(L):
    L.from_numpy(A[:, ::-1])


@case
def from_numpy_strided(L):
    t = L.from_numpy(X.transpose(3, 0, 1, 2))
    u = L.from_numpy(np.broadcast_to(X[0, 0, 0], (3, 5)))
    return t.stride(), t.is_contiguous(), u.stride(), u.is_contiguous()


@case
def versions(L):
    b = L.from_numpy(X.copy())
    v = b.transpose(0, 1)
    v[1].add_(1)
    b.view(-1)[0] = 3
    d = b.detach()
    d.mul_(2)
    b.data.mul_(2)  # .data is not tracked
    b[0] = 1
    b[:, 1] += 1
    return b._version, v._version, b.clone()._version


@case
def out_and_resize_versions(L):
    o = L.empty(0)
    L.add(L.ones(3), 1, out=o)
    p = L.empty(3)
    p.resize_(3)
    same_shape = p._version
    p.resize_(1, 3)
    return o._version, same_shape, p._version


@case
def out_into_expanded(L):
    L.add(L.ones(3, 4), 1, out=L.ones(3, 1).expand(3, 4))


@case
def is_contiguous_with_size1_and_empty(L):
    b = L.ones(3, 1, 4)
    z = L.ones(3, 0, 4)
    return (b.transpose(0, 1).is_contiguous(), b[:, :, :1].is_contiguous(),
            L.ones(1, 5)[:, ::2].is_contiguous(), L.ones(4, 1)[::2].is_contiguous(),
            L.ones(1, 4).expand(1, 4).is_contiguous(), L.ones(1).expand(5).stride(),
            z.stride(), z.is_contiguous())


@requires_torch
@pytest.mark.parametrize("name", list(CASES))
def test_case(name):
    same(CASES[name])
