"""ember._gemm.matmul: products whose inner dimension is 1 (outer products: the weight gradient of a
batch of one) are torch's: one mm of the folded rows gives the plain products (signed zeros kept),
a batched or single-row/column one goes through BLAS with k padded to 2, not NumPy's unblocked
loop, and keeps the loop's values (each element the one rounded product, +0.0 for a zero).
Against torch, the gradients of Linear and matmul at batch 1 are its exact products."""

import numpy as np
import pytest

import ember
from ember import _gemm
from oracle import requires_torch, torch

DTYPES = ["float32", "float64", "complex64", "complex128"]  # complex: NumPy's own path


def _rand(shape, dt, seed):
    rng = np.random.default_rng(seed)
    a = rng.standard_normal(shape) + 0.5  # no zeros: the sign of a zero product is not kept
    if np.dtype(dt).kind == "c":
        a = a + 1j * (rng.standard_normal(shape) + 0.5)
    return a.astype(dt)


@pytest.mark.parametrize("dt", DTYPES)
@pytest.mark.parametrize("sa,sb", [((784, 1), (1, 256)), ((64, 1), (1, 64)), ((3, 40, 1), (1, 30)),
                                   ((2, 1, 50, 1), (3, 1, 20)), ((8, 1), (1, 8))])
def test_inner_one_is_the_exact_product(dt, sa, sb):
    a, b = _rand(sa, dt, 0), _rand(sb, dt, 1)
    want = np.matmul(a, b)  # NumPy's loop: one rounded product per element
    got = _gemm.matmul(a, b)
    assert got.dtype == want.dtype and got.shape == want.shape
    if np.dtype(dt).kind == "c":  # NumPy's matmul loop (np.dot's BLAS may fuse the parts)
        np.testing.assert_array_equal(got, want)
        return
    np.testing.assert_array_equal(got, want)
    np.testing.assert_array_equal(got, a * b if a.ndim == 2 else want)
    out = np.empty_like(want)
    assert _gemm.matmul(a, b, out=out) is out
    np.testing.assert_array_equal(out, want)


def test_transposed_views_and_other_products_unchanged():
    a = _rand((1, 784), "float32", 2)
    g = _rand((1, 256), "float32", 3)
    np.testing.assert_array_equal(_gemm.matmul(a.T, g), a.T * g)
    for sa, sb in [((64, 784), (784, 256)), ((3, 4), (4, 5)), ((5, 7, 3), (3, 2)), ((4,), (4, 3))]:
        x, y = _rand(sa, "float32", 4), _rand(sb, "float32", 5)
        np.testing.assert_array_equal(_gemm.matmul(x, y), np.matmul(x, y))
    i, j = np.arange(300).reshape(300, 1), np.arange(4).reshape(1, 4)  # integers: NumPy's loop
    np.testing.assert_array_equal(_gemm.matmul(i, j), i * j)


def test_padded_path_is_taken(monkeypatch):
    calls = []
    real = _gemm._padded
    monkeypatch.setattr(_gemm, "_padded", lambda *a: calls.append(1) or real(*a))
    a = ember.randn(4, 50, 1, requires_grad=True)
    (a @ ember.randn(4, 1, 30)).sum().backward()  # torch's bmm: k = 1, batched
    assert len(calls) == 1
    lin = ember.nn.Linear(300, 20)
    lin(ember.randn(1, 300)).sum().backward()  # dW = g^T x with k = 1: one mm, plain products
    assert len(calls) == 1


def _signed(shape, dt, seed):
    """Values with +0, -0 and products that underflow to a signed zero."""
    rng = np.random.default_rng(seed)
    a = rng.standard_normal(shape).astype(dt)
    f = a.reshape(-1)
    f[rng.random(f.size) < 0.25] = 0.0
    f[rng.random(f.size) < 0.15] = -0.0
    tiny = rng.random(f.size) < 0.05
    f[tiny] = np.copysign(np.array(1e-30 if dt == "float32" else 1e-200, dt),
                          rng.standard_normal(tiny.sum()))
    return a


def _plain_products_in_torch(dt):
    """Whether this machine's torch returns the plain products for a (m, 1) @ (1, n) mm (its
    BLAS's k = 1 gemm; MKL's on the machines measured): the comparison below needs it."""
    a, b = _signed((6, 1), dt, 40), _signed((1, 5), dt, 41)
    r = (torch.from_numpy(a) @ torch.from_numpy(b)).numpy()
    return r.tobytes() == np.multiply(a, b).tobytes()


@pytest.mark.parametrize("dt", ["float32", "float64"])
def test_inner_one_zero_signs(dt):
    """Without torch: the folded mm's plain products, -0.0 where the signs differ; +0.0 from the
    batched (bmm) and single-row (gemv) products."""
    for sa, sb, plain in [((5, 1), (1, 7), True), ((3, 5, 1), (1, 6), True),
                          ((300, 1), (1, 9), True), ((1, 1), (1, 9), False),
                          ((40, 1), (1, 1), False), ((4, 50, 1), (4, 1, 30), False),
                          ((5, 1), (3, 1, 6), False)]:
        a, b = _signed(sa, dt, 11), _signed(sb, dt, 12)
        want = np.multiply(a, b) if plain else np.multiply(a, b) + np.zeros((), dt)
        assert _gemm.matmul(a, b).tobytes() == want.tobytes(), (sa, sb)


@requires_torch
@pytest.mark.parametrize("dt", ["float32", "float64"])
@pytest.mark.parametrize("sa,sb", [((5, 1), (1, 7)), ((300, 1), (1, 400)), ((3, 5, 1), (1, 6)),
                                   ((2, 3, 5, 1), (1, 6)), ((2, 1), (1, 2)), ((1, 1), (1, 9)),
                                   ((9, 1), (1, 1)), ((40, 1), (1, 1)), ((4, 5, 1), (4, 1, 6)),
                                   ((5, 1), (3, 1, 6)), ((4, 50, 1), (4, 1, 30))])
def test_inner_one_signed_zeros_equal_torch(dt, sa, sb):
    """k = 1 products with zeros of both signs and underflowing products: torch's mm keeps the
    sign of a zero product (-0.0 where the signs differ), its bmm and gemv give +0.0."""
    if not _plain_products_in_torch(dt):
        pytest.skip("this machine's torch BLAS adds k = 1 products to +0: ember keeps the signs")
    a, b = _signed(sa, dt, 1), _signed(sb, dt, 2)
    want = (torch.from_numpy(a) @ torch.from_numpy(b)).numpy()
    got = (ember.from_numpy(a) @ ember.from_numpy(b)).numpy()
    assert got.shape == want.shape and got.tobytes() == want.tobytes()


@requires_torch
@pytest.mark.parametrize("dt", ["float32", "float64"])
def test_batch_one_linear_gradients_keep_signed_zeros(dt):
    """Through Linear with zeros of both signs in x and in the incoming gradient: dW = g^T x at
    a batch of one and dx = g W with one output are torch's products, -0.0 where its are."""
    if not _plain_products_in_torch(dt):
        pytest.skip("this machine's torch BLAS adds k = 1 products to +0: ember keeps the signs")
    x1, w1, g1 = _signed((1, 30), dt, 3), _signed((20, 30), dt, 4), _signed((1, 20), dt, 5)
    x2, w2, g2 = _signed((6, 30), dt, 6), _signed((1, 30), dt, 7), _signed((6, 1), dt, 8)
    grads = []
    for lib in (ember, torch):
        t1 = lib.from_numpy(w1.copy()).requires_grad_(True)
        lib.nn.functional.linear(lib.from_numpy(x1), t1).backward(lib.from_numpy(g1))
        t2 = lib.from_numpy(x2.copy()).requires_grad_(True)
        lib.nn.functional.linear(t2, lib.from_numpy(w2)).backward(lib.from_numpy(g2))
        grads.append([t1.grad.numpy(), t2.grad.numpy()])
    for e, t in zip(*grads):
        assert e.dtype == t.dtype and e.tobytes() == t.tobytes()


@requires_torch
@pytest.mark.parametrize("dt", ["float32", "float64"])
def test_batch_one_gradients_equal_torch(dt):
    x, w, b = _rand((1, 300), dt, 6), _rand((40, 300), dt, 7) * 0.1, _rand((40,), dt, 8)
    grads = []
    for lib in (ember, torch):
        tw = lib.from_numpy(w.copy()).requires_grad_(True)
        tb = lib.from_numpy(b.copy()).requires_grad_(True)
        tv = lib.from_numpy(w.T.copy()).requires_grad_(True)
        out = lib.nn.functional.linear(lib.from_numpy(x), tw, tb)
        (out.sum() + (lib.from_numpy(x) @ tv).sum()).backward()
        grads.append([t.grad.numpy() for t in (tw, tb, tv)])
    for e, t in zip(*grads):
        assert e.dtype == t.dtype
        np.testing.assert_array_equal(e, t)


@pytest.mark.parametrize("eq,sa,sb,via", [
    ("bij,bjk->bik", (4, 5, 64), (4, 64, 6), lambda a, b: np.matmul(a, b)),
    ("bhqd,bhkd->bhqk", (2, 3, 5, 64), (2, 3, 7, 64),
     lambda a, b: np.matmul(a, b.swapaxes(-1, -2))),
    ("ij,jk->ik", (30, 64), (64, 20), lambda a, b: np.matmul(a[None], b[None])[0]),
    ("bij,jk->bki", (3, 4, 16), (16, 5), lambda a, b: np.matmul(a.reshape(1, 12, 16), b[None])
     .reshape(3, 4, 5).swapaxes(1, 2)),
    ("i,j->ij", (300,), (200,), lambda a, b: np.multiply.outer(a, b)),
])
def test_einsum_of_two_is_the_blas_product(eq, sa, sb, via):
    """torch runs a two-operand einsum as bmm; ember as one batched BLAS product (NumPy's
    unoptimised einsum loop was 7x slower and rounded otherwise)."""
    a, b = (_rand(s, "float32", i) for i, s in enumerate((sa, sb)))
    got = ember.einsum(eq, ember.from_numpy(a), ember.from_numpy(b)).numpy()
    np.testing.assert_array_equal(got, via(a, b))
    if torch is not None:
        t = torch.einsum(eq, torch.from_numpy(a), torch.from_numpy(b))
        np.testing.assert_allclose(got, t.numpy(), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("sa,sb", [((4, 5, 6), (6, 3)), ((2, 3, 4, 70), (70, 9)), ((4, 5, 6), (6,)),
                                   ((0, 5, 6), (6, 3)), ((4, 0, 6), (6, 3)), ((3, 5, 0), (0, 2))])
def test_batched_times_matrix_is_one_folded_product(sa, sb):
    """(..., n, k) @ (k, m): one product of the folded rows, forward and backward (torch's
    mm of the view), with and without create_graph."""
    x, w = _rand(sa, "float32", 2), _rand(sb, "float32", 3)
    rows = int(np.prod(sa[:-1]))
    a, b = ember.tensor(x, requires_grad=True), ember.tensor(w, requires_grad=True)
    y = a @ b
    want = (x.reshape(rows, sa[-1]) @ w).reshape(sa[:-1] + sb[1:])
    np.testing.assert_array_equal(y.detach().numpy(), want)
    g = _rand(want.shape, "float32", 4)
    y.backward(ember.tensor(g))
    g2 = g.reshape((rows,) + sb[1:])
    gw = x.reshape(rows, sa[-1]).T @ g2
    gx = (np.multiply.outer(g2, w) if len(sb) == 1 else g2 @ w.T).reshape(sa)
    np.testing.assert_array_equal(b.grad.numpy(), gw)
    np.testing.assert_array_equal(a.grad.numpy(), gx)
    a2, b2 = ember.tensor(x, requires_grad=True), ember.tensor(w, requires_grad=True)
    ga, gb = ember.autograd.grad(a2 @ b2, (a2, b2), ember.tensor(g), create_graph=True)
    np.testing.assert_allclose(ga.detach().numpy(), gx, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(gb.detach().numpy(), gw, rtol=1e-5, atol=1e-6)
    if len(sb) == 2 and rows:
        (ga * ga).sum().backward()  # differentiable: d/dw of |g w^T|^2
        np.testing.assert_allclose(b2.grad.numpy(), 2 * (g2 @ w.T).T @ g2, rtol=1e-4,
                                   atol=1e-4)
    if torch is not None:
        ta, tb = torch.tensor(x, requires_grad=True), torch.tensor(w, requires_grad=True)
        ty = ta @ tb
        ty.backward(torch.tensor(g))
        assert y.grad_fn.name() == ty.grad_fn.name()
        np.testing.assert_allclose(y.detach().numpy(), ty.detach().numpy(), rtol=1e-5,
                                   atol=1e-5)
        np.testing.assert_allclose(b.grad.numpy(), tb.grad.numpy(), rtol=1e-4, atol=1e-4)


def _wxt_same_bits():
    """Whether (W x^T)^T gives x W^T's float32 bits with this BLAS at linear's shapes."""
    rng = np.random.default_rng(0)
    for m, k, n in ((2, 48, 8), (8, 784, 256), (33, 200, 40), (64, 300, 70)):
        x = rng.standard_normal((m, k)).astype(np.float32)
        w = rng.standard_normal((n, k)).astype(np.float32)
        if not np.array_equal(np.matmul(x, w.T), np.matmul(w, x.T).T):
            return False
    return True


@pytest.mark.parametrize("m,k,n", [(1, 784, 256), (8, 784, 256), (64, 784, 256), (64, 128, 64),
                                   (20, 84, 10), (300, 256, 256), (2, 50, 7)])
def test_linear_orientation_keeps_float32_bits(m, k, n):
    """linear computes W x^T (then transposes) for a few rows and a long k, x W^T otherwise:
    float32 results are x W^T + b bit for bit either way with OpenBLAS's SkylakeX kernels;
    where the BLAS sums the two orientations in different orders (its Haswell kernels), close."""
    F = ember.nn.functional
    same = not (1 < m <= 64 and k >= 4 * m + 40) or _wxt_same_bits()
    x, w, bias = _rand((m, k), "float32", 5), _rand((n, k), "float32", 6), _rand(n, "float32", 7)
    got = F.linear(ember.tensor(x), ember.tensor(w), ember.tensor(bias))
    want = np.matmul(x, w.T)
    want += bias
    got3 = F.linear(ember.tensor(x.reshape(1, m, k)), ember.tensor(w))
    if same:
        np.testing.assert_array_equal(got.numpy(), want)
        np.testing.assert_array_equal(got3.numpy(), np.matmul(x, w.T).reshape(1, m, n))
    else:
        np.testing.assert_allclose(got.numpy(), want, rtol=1e-5, atol=1e-4)
        np.testing.assert_allclose(got3.numpy(), np.matmul(x, w.T).reshape(1, m, n), rtol=1e-5,
                                   atol=1e-4)


@requires_torch
@pytest.mark.parametrize("shape,n", [((64, 30), 256), ((64, 30), 10), ((20, 30), 500),
                                     ((7, 30), 33), ((4, 9, 30), 17), ((1, 30), 8)])
def test_linear_bias_grad_is_torchs_sum(shape, n):
    """linear's bias gradient is torch's grad.sum(0) bit for bit (its order of additions)."""
    rng = np.random.default_rng(11)
    x = rng.standard_normal(shape).astype(np.float32)
    w = rng.standard_normal((n, shape[-1])).astype(np.float32)
    g = rng.standard_normal(shape[:-1] + (n,)).astype(np.float32)
    got = []
    for L in (ember, torch):
        b = L.zeros(n, requires_grad=True)
        L.nn.functional.linear(L.from_numpy(x), L.from_numpy(w), b).backward(L.from_numpy(g))
        got.append(b.grad.numpy())
    np.testing.assert_array_equal(got[0], got[1])


@pytest.mark.parametrize("dt", ["float32", "float64"])
@pytest.mark.parametrize("sa,sb", [((784, 1), (1, 256)), ((70000, 1), (1, 3)),
                                   ((3, 1), (1, 30000))])
def test_large_outer_product_through_ger_keeps_every_bit(dt, sa, sb, monkeypatch):
    """A large 2-d (m, 1) @ (1, n) goes through the BLAS's ger on an array of -0.0 where NumPy's
    OpenBLAS is found: the plain products, zeros of both signs, underflows, inf and NaN as
    np.multiply gives them, and from strided operands too."""
    from ember import _fma
    calls = []
    real = _gemm._find_ger
    monkeypatch.setattr(_gemm, "_ger", {})
    monkeypatch.setattr(_gemm, "_find_ger", lambda d: calls.append(d) or real(d))
    a, b = _signed(sa, dt, 21), _signed(sb, dt, 22)
    a.reshape(-1)[:3] = [np.inf, np.nan, -np.inf]
    b.reshape(-1)[1] = 0.0
    with np.errstate(all="ignore"):
        want = np.multiply(a, b)
        got = _gemm.matmul(a, b)
        strided = _gemm.matmul(np.repeat(a, 2, axis=1)[:, :1], np.repeat(b, 2, axis=0)[:1])
    assert got.tobytes() == want.tobytes() and strided.tobytes() == want.tobytes()
    assert calls == [np.dtype(dt)]
    if _fma._blas_library() is not None and "openblas" in str(np.show_config(mode="dicts")).lower():
        assert _gemm._ger[np.dtype(dt)] is not None  # NumPy's OpenBLAS: ger is found and passes


def test_ger_check_fails_a_wrong_outer_product():
    """The one-time check rejects a ger that loses the sign of zero products (an array of +0.0
    to add into) or rounds otherwise."""
    plus_zero = lambda a, b: np.multiply(a, b) + np.zeros((), a.dtype)  # noqa: E731
    twice = lambda a, b: (np.multiply(a, b) * a.dtype.type(3)) / a.dtype.type(3)  # noqa: E731
    for dt in (np.dtype(np.float32), np.dtype(np.float64)):
        assert _gemm._ger_passes(lambda a, b: np.multiply(a, b), dt)
        assert not _gemm._ger_passes(plus_zero, dt)
        assert not _gemm._ger_passes(twice, dt)
