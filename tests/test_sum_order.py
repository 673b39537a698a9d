"""Sums in torch's order of additions beyond contiguous inputs (ember.ops._cascade): the outer
and inner dims around kept ones (a conv bias's (0, 2, 3)), permuted inputs (transposes), and
the gradient of a broadcast operand (autograd's sum_to: one sum over every reduced dim).
Sizes stay below torch's parallel grain (32768 elements), where its order depends on threads."""

import numpy as np
import pytest
from tests.oracle import requires_torch, torch

import ember
from ember.ops._cascade import cascade_sum

DTYPES = [np.float32, np.float64]


def _same(a, b):
    return a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()


@requires_torch
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape,dims", [((8, 16, 9, 9), (0, 2, 3)), ((7, 5, 33), (0, 2)),
                                        ((3, 4, 5), (0, 2)), ((2, 1, 5), (0, 2)),
                                        ((20, 3, 7), (0, 2)), ((2, 64, 100), (0, 2))])
def test_outer_and_inner_dims(dtype, shape, dims):
    rng = np.random.default_rng(sum(shape))
    for keepdim in (False, True):
        x = rng.standard_normal(shape).astype(dtype)
        got = ember.from_numpy(x).sum(dims, keepdim=keepdim).numpy()
        assert _same(got, torch.from_numpy(x).sum(dims, keepdim=keepdim).numpy())


@requires_torch
@pytest.mark.parametrize("dtype", DTYPES)
def test_permuted_inputs(dtype):
    rng = np.random.default_rng(0)
    covered = 0
    for _ in range(300):
        nd = int(rng.integers(2, 5))
        shape = tuple(int(rng.integers(1, 12 if nd > 2 else 120)) for _ in range(nd))
        x = rng.standard_normal(shape).astype(dtype)
        perm = tuple(int(p) for p in rng.permutation(nd))
        k = int(rng.integers(0, nd + 1))
        dims = tuple(sorted(rng.choice(nd, k, replace=False).tolist())) if k else None
        keepdim = bool(rng.integers(0, 2))
        e, t = ember.from_numpy(x).permute(*perm), torch.from_numpy(x).permute(*perm)
        got = (e.sum() if dims is None else e.sum(dims, keepdim=keepdim)).numpy()
        want = (t.sum() if dims is None else t.sum(dims, keepdim=keepdim)).numpy()
        if cascade_sum(x.transpose(perm), dims, keepdim) is not None:
            covered += 1
            assert _same(got, want), (shape, perm, dims, keepdim)
    assert covered > 200  # most layouts are reproduced (the rest keep NumPy's sum)


@requires_torch
def test_transposed_matrix_sums():
    rng = np.random.default_rng(1)
    for _ in range(50):
        a = rng.standard_normal((int(rng.integers(1, 90)), int(rng.integers(1, 90))))
        a = a.astype(np.float32)
        e, t = ember.from_numpy(a).t(), torch.from_numpy(a).t()
        for dims in (None, 0, 1):
            got = e.sum() if dims is None else e.sum(dims)
            want = t.sum() if dims is None else t.sum(dims)
            assert _same(got.numpy(), want.numpy())
        assert _same(e.mean(1).numpy(), t.mean(1).numpy())


@requires_torch
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("xs,vs", [((1000, 33), (33,)), ((4, 1001), (4, 1)),
                                   ((33, 700), (1, 700)), ((7, 5, 33), (5, 1)),
                                   ((8, 16, 9, 9), (16, 1, 1)), ((64, 50, 8), (8,)),
                                   ((64, 10), (10,)), ((3, 1, 5), (1, 1, 5))])
def test_gradient_of_a_broadcast_operand(dtype, xs, vs):
    rng = np.random.default_rng(2)
    x = rng.standard_normal(xs).astype(dtype)
    v = rng.standard_normal(vs).astype(dtype)
    g = rng.standard_normal(np.broadcast_shapes(xs, vs)).astype(dtype)
    grads = []
    for lib in (ember, torch):
        vv = lib.from_numpy(v.copy()).requires_grad_()
        (lib.from_numpy(x) + vv).backward(lib.from_numpy(g))
        grads.append(vv.grad.numpy())
    assert _same(*grads)


def test_permuted_sum_is_the_contiguous_arrays():
    # no torch needed: a transpose's full sum and its per-dim sums are the original's
    rng = np.random.default_rng(3)
    x = rng.standard_normal((37, 53)).astype(np.float32)
    assert _same(cascade_sum(x.T, None, False), cascade_sum(x, None, False))
    assert _same(cascade_sum(x.T, (1,), False), cascade_sum(x, (0,), False))
    assert _same(cascade_sum(x.T, (0,), True), cascade_sum(x, (1,), True).T)
    y = rng.standard_normal((4, 5, 6)).astype(np.float64).transpose(1, 0, 2)  # kept dims out of
    assert cascade_sum(y, (2,), False) is None  # memory order: ATen's loop follows the output


@requires_torch
@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64, np.complex64,
                                   np.complex128])
def test_trace_adds_the_diagonal_in_order_in_torchs_accumulate_type(dtype):
    rng = np.random.default_rng(4)
    for _ in range(30):
        n, m = int(rng.integers(1, 300)), int(rng.integers(1, 300))
        a = rng.standard_normal((n, m)) * 10.0 ** rng.integers(-2, 3, (n, m))
        if np.dtype(dtype).kind == "c":
            a = a + 1j * rng.standard_normal((n, m))
        a = a.astype(dtype)
        assert _same(ember.from_numpy(a).trace().numpy(), torch.from_numpy(a).trace().numpy())


@requires_torch
@pytest.mark.parametrize("eq", ["ij->", "ij->i", "ij->j", "ji->ij", "ij", "ijk->", "i->",
                                "bij->bj", "Aa->a", "...ij->j", "ii->i"])
def test_einsum_of_one_operand_is_torchs_permute_and_sum(eq):
    rng = np.random.default_rng(len(eq))
    lhs = eq.split("->")[0]
    for it in range(10):
        if "..." in eq:
            shape = tuple(int(rng.integers(1, 9)) for _ in range(len(lhs) - 1))
        else:
            sizes = {c: int(rng.integers(1, 40)) for c in set(lhs)}
            shape = tuple(sizes[c] for c in lhs)
        x = rng.standard_normal(shape).astype((np.float32, np.float64)[it % 2])
        res = []
        for lib in (ember, torch):
            xx = lib.from_numpy(x.copy()).requires_grad_()
            r = lib.einsum(eq, xx)
            r.backward(lib.ones_like(r))
            res.append((r.detach().numpy(), xx.grad.numpy(), r.grad_fn.name()))
        assert _same(res[0][0], res[1][0]) and _same(res[0][1], res[1][1])
        assert res[0][2] == res[1][2]


@requires_torch
@pytest.mark.parametrize("dtype", DTYPES)
def test_one_norm_adds_in_order(dtype):
    rng = np.random.default_rng(8)
    for _ in range(20):
        x = (rng.standard_normal((int(rng.integers(1, 20)), int(rng.integers(1, 200)), 3))
             * 10.0 ** rng.integers(-3, 4)).astype(dtype)
        for dim in (None, 1, (0, 2), -1):
            got = ember.linalg.vector_norm(ember.from_numpy(x), 1, dim=dim).numpy()
            assert _same(got, torch.linalg.vector_norm(torch.from_numpy(x), 1, dim=dim).numpy())
        ps = [rng.standard_normal(s).astype(dtype) for s in [(30, 20), (20,), (7,)]]
        res = []
        for lib in (ember, torch):
            params = [lib.from_numpy(a.copy()).requires_grad_() for a in ps]
            for q, a in zip(params, ps):
                q.grad = lib.from_numpy(a * 3)
            total = lib.nn.utils.clip_grad_norm_(params, 1.0, norm_type=1)
            res.append([total.numpy()] + [q.grad.numpy() for q in params])
        assert all(_same(a, b) for a, b in zip(*res))


@requires_torch
@pytest.mark.parametrize("dtype", DTYPES)
def test_prod_of_all_elements_bits(dtype):
    rng = np.random.default_rng(9)
    for it in range(80):
        n = int(rng.integers(1, 3000))
        a = rng.uniform(0.7, 1.4, (n,) if it % 3 else (n, 2)) * np.sign(rng.standard_normal())
        if it % 10 == 0:
            a[0] = 0
        x = a.astype(dtype)
        e = ember.from_numpy(x.copy()).requires_grad_()
        t = torch.from_numpy(x.copy()).requires_grad_()
        ep, tp = e.prod(), t.prod()
        assert _same(ep.detach().numpy(), tp.detach().numpy())
        ep.backward()
        tp.backward()
        assert _same(e.grad.numpy(), t.grad.numpy())


@requires_torch
def test_column_sums_of_fewer_than_four_rows():
    rng = np.random.default_rng(10)
    for n0 in (1, 2, 3):
        for n1 in list(range(1, 40)) + [100, 257]:
            for dtype in DTYPES:
                x = (rng.standard_normal((n0, n1)) * 10.0 ** rng.integers(-3, 4, (n0, n1)))
                x = x.astype(dtype)
                x[rng.random((n0, n1)) < 0.1] = -0.0
                assert _same(cascade_sum(x, (0,), False), torch.from_numpy(x).sum(0).numpy())


@pytest.fixture
def torch_one_thread():
    # torch's softmax backward takes another path (other bits on a row's tail) with 2 threads,
    # even on small tensors; ember follows its one-thread kernel, as the benchmarks run it
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)


@requires_torch
@pytest.mark.parametrize("dtype", DTYPES)
def test_softmax_backward_over_the_last_dim_is_torchs_kernel(dtype, torch_one_thread):
    from ember.nn._softmax_grad import softmax_grad
    rng = np.random.default_rng(11)
    for n in (1, 2, 3, 5, 8, 9, 10, 16, 17, 31, 33, 100, 257, 1001):
        shape = (int(rng.integers(1, 6)), int(rng.integers(1, 5)), n)
        y = torch.softmax(torch.from_numpy(rng.standard_normal(shape).astype(dtype)), -1)
        g = rng.standard_normal(shape).astype(dtype)
        want = torch._softmax_backward_data(torch.from_numpy(g), y, -1, y.dtype).numpy()
        assert _same(softmax_grad(g, y.numpy()), want)
        x = ember.from_numpy(rng.standard_normal(shape).astype(dtype)).requires_grad_()
        out = ember.softmax(x, -1)  # through autograd, against torch's kernel on ember's y
        out.backward(ember.from_numpy(g))
        want = torch._softmax_backward_data(torch.from_numpy(g), torch.from_numpy(
            out.detach().numpy()), -1, y.dtype).numpy()
        assert _same(x.grad.numpy(), want)
