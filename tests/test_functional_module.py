"""torch.functional against torch 2.13: every name it exposes, ember's implementation of the ones
torch writes there (cartesian_prod, block_diag, cdist, chain_matmul, unravel_index, lu) compared
on values, dtypes, gradients, warnings and errors; stft/istft/*_lowrank refuse clearly."""

import warnings

import numpy as np
import pytest

import ember
import ember.functional as EF
from ember._args import EmberNotImplementedError
from oracle import arr, check, check_error

try:
    import torch
    import torch.functional as TF
except ImportError:  # the torch comparisons skip; ember's own checks still run
    torch = TF = None


def test_names_are_torch_functional_names():
    assert len(EF.__all__) == len(set(EF.__all__))
    if TF is not None:
        assert sorted(EF.__all__) == sorted(TF.__all__)
    for n in EF.__all__:
        assert callable(getattr(EF, n))
    for n in ("split", "norm", "einsum", "unique", "meshgrid", "tensordot", "broadcast_tensors"):
        assert getattr(EF, n) is getattr(ember, n)  # torch.functional's are torch's own too
    for n in ("cartesian_prod", "block_diag", "cdist", "chain_matmul", "unravel_index", "lu",
              "svd_lowrank", "pca_lowrank", "stft", "istft"):
        assert getattr(ember, n) is getattr(EF, n)


@pytest.mark.parametrize("shapes,p", [(((3, 4), (5, 4)), 2.0), (((2, 3, 4), (2, 5, 4)), 1.0),
                                      (((3, 4), (5, 4)), 0.0), (((3, 4), (2, 5, 4)), float("inf")),
                                      (((4, 3), (6, 3)), 3.0), (((30, 3), (6, 3)), 2.0),
                                      (((0, 3), (2, 3)), 2.0)])
def test_cdist(shapes, p):
    check(lambda L, a, b: L.cdist(a, b, p=p), *[arr(s, "float64", seed=i)
                                                  for i, s in enumerate(shapes)])


@pytest.mark.parametrize("mode", ["use_mm_for_euclid_dist", "donot_use_mm_for_euclid_dist"])
def test_cdist_compute_modes(mode):
    check(lambda L, a, b: L.cdist(a, b, compute_mode=mode), arr((3, 4)), arr((5, 4), seed=1),
          rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("fn", [
    lambda L: L.cdist(L.ones(2, 3), L.ones(4, 2)), lambda L: L.cdist(L.ones(3), L.ones(4, 3)),
    lambda L: L.cdist(L.ones(2, 3), L.ones(4, 3), p=-1),
    lambda L: L.cdist(L.ones(2, 3, dtype=L.int64), L.ones(4, 3, dtype=L.int64)),
    lambda L: L.cdist(L.ones(2, 3), L.ones(4, 3), compute_mode="x"),
    lambda L: L.cdist(L.ones(2, 3), L.ones(4, 3, dtype=L.float64)),
    lambda L: L.cartesian_prod(L.ones(2, 2)), lambda L: L.cartesian_prod(),
    lambda L: L.cartesian_prod(L.tensor([1, 2]), L.tensor([3.0])),
    lambda L: L.block_diag(L.ones(2, 2, 2)),
    lambda L: L.chain_matmul(), lambda L: L.chain_matmul(L.ones(2, 3), L.ones(3)),
    lambda L: L.chain_matmul(L.ones(2, 3), L.ones(2, 3)),
    lambda L: L.unravel_index(L.tensor(1.5), (2,)), lambda L: L.unravel_index(L.tensor(1), (-2, 4)),
    lambda L: L.unravel_index(L.tensor(1), 3.0), lambda L: L.unravel_index(L.tensor(1), (2.0, 3)),
    lambda L: L.unravel_index(L.tensor(True), (2, 3)),
    lambda L: L.lu(L.ones(2, 2), pivot=False)])
def test_errors(fn):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        check_error(fn)


def test_cartesian_prod_and_block_diag():
    check(lambda L, a, b, c: L.cartesian_prod(a, b, c), arr((2,)), arr((3,), seed=1),
          arr((2,), seed=2))
    check(lambda L, a: L.cartesian_prod(a), arr((3,)))
    check(lambda L, a, b: L.cartesian_prod(a, b), arr((2,), "int64", high=9),
          arr((0,), "int64"))
    check(lambda L, a, b, c, d: L.block_diag(a, b, c, d), np.array(1.5, np.float32),
          arr((2,), seed=1), arr((2, 3), "float64", seed=2), arr((0, 2), seed=3))
    check(lambda L, a, b: L.block_diag(a, b), arr((2, 2), "int64", high=9),
          arr((1, 3), "int32", high=9))
    check(lambda L: L.block_diag())


def test_chain_matmul_and_lu():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        check(lambda L, a, b, c: L.chain_matmul(a, b, c), arr((2, 3)), arr((3, 4), seed=1),
              arr((4, 2), seed=2))
        check(lambda L, a: L.chain_matmul(a), arr((2, 3)))
        check(lambda L, a: L.lu(a), arr((3, 3), "float64"), grad=False)
        check(lambda L, a: tuple(L.lu(a, get_infos=True)), arr((2, 3, 3), "float64"),
              grad=False)
        check(lambda L, a: tuple(L.lu(a * 0, get_infos=True)), arr((3, 3)), grad=False)
        e = ember.lu(ember.eye(2), get_infos=True)
    assert type(e).__name__ == "_lu_with_info" and repr(e).startswith(
        "torch.return_types._lu_with_info(\nLU=")
    if torch is not None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            assert repr(e) == repr(torch.lu(torch.eye(2), get_infos=True))


def test_deprecation_warnings_once():
    import ember.functional as F
    F._WARNED.clear()
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        for _ in range(2):
            ember.chain_matmul(ember.ones(1, 1))
            ember.lu(ember.eye(2))
    texts = [str(x.message) for x in w]
    assert len(texts) == 2 and texts[0].startswith("torch.chain_matmul is deprecated")
    if torch is not None:  # torch's text carries its C++ location after ours
        with warnings.catch_warnings(record=True) as tw:
            warnings.simplefilter("always")
            torch.chain_matmul(torch.ones(1, 1))
            torch.lu(torch.eye(2))
        for ours, theirs in zip(texts, [str(x.message) for x in tw]):
            assert theirs.startswith(ours + " (Triggered internally at")


def test_unravel_index():
    check(lambda L, i: L.unravel_index(i, (2, 4)), np.array([5, 7, -1, 9]), grad=False)
    check(lambda L, i: L.unravel_index(i, (10, 10, 10, 10)), np.array([[1234], [5678]]),
          grad=False)
    check(lambda L, i: L.unravel_index(i, 3), np.array([1, 2], dtype=np.int32), grad=False)
    check(lambda L, i: L.unravel_index(i, ()), np.array(1), grad=False)


def _lowrank(L, name, A, **kw):
    L.manual_seed(0)
    return [t.numpy() for t in getattr(L, name)(L.from_numpy(A.copy()), **kw)]


@pytest.mark.parametrize("name,shape,kw", [
    ("svd_lowrank", (9, 6), {"q": 3}), ("svd_lowrank", (2, 5, 8), {"q": 4, "niter": 1}),
    ("svd_lowrank", (6, 6), {"q": 2, "M": None}), ("pca_lowrank", (10, 5), {}),
    ("pca_lowrank", (4, 9), {"q": 3, "center": False}), ("pca_lowrank", (7, 4), {"niter": 0})])
def test_lowrank(name, shape, kw):
    A = arr(shape, "float64")
    U, S, V = _lowrank(ember, name, A, **kw)
    q = S.shape[-1]
    assert U.shape == shape[:-1] + (q,) and V.shape == shape[:-2] + (shape[-1], q)
    np.testing.assert_allclose(U.swapaxes(-1, -2) @ U, np.broadcast_to(np.eye(q), S.shape + (q,)),
                               atol=1e-10)
    if torch is not None:  # same sketch (seeded randn), so the same factors up to column signs
        tU, tS, tV = _lowrank(torch, name, A, **kw)
        np.testing.assert_allclose(S, tS, rtol=1e-9)
        sign = np.sign((U * tU).sum(-2, keepdims=True))
        np.testing.assert_allclose(U * sign, tU, atol=1e-9)
        np.testing.assert_allclose(V * sign, tV, atol=1e-9)


def test_lowrank_errors():
    check_error(lambda L: L.pca_lowrank(L.ones(3, 4), q=5))
    check_error(lambda L: L.pca_lowrank(L.ones(3, 4), niter=-1))


@pytest.mark.parametrize("kw", [{}, {"onesided": False}, {"normalized": True},
                                {"win_length": 10}, {"center": False, "hop_length": 7},
                                {"pad_mode": "constant"}, {"pad_mode": "replicate"},
                                {"center": False, "align_to_window": False}])
def test_stft_values(kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        check(lambda L, x: L.stft(x, 16, return_complex=True, **kw), arr((100,)), grad=False,
              rtol=1e-5, atol=1e-5)
        check(lambda L, x: L.stft(x, 12, return_complex=True, **kw), arr((2, 30), "float64"),
              grad=False)


def test_stft_real_layout_gradients():
    w = np.hanning(12).astype(np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        check(lambda L, x, w: L.stft(x, 16, win_length=12, window=w, return_complex=False),
              arr((2, 50)), w, rtol=1e-5, atol=1e-5)
        check(lambda L, x: L.stft(x, 10, hop_length=3, normalized=True, onesided=False,
                                  return_complex=False), arr((40,), "float64"))


@pytest.mark.parametrize("fn", [
    lambda L: L.stft(L.ones(100), 16), lambda L: L.stft(L.ones(100).long(), 16,
                                                       return_complex=True),
    lambda L: L.stft(L.ones(2, 2, 50), 16, return_complex=True),
    lambda L: L.stft(L.ones(100), 200, return_complex=True, center=False),
    lambda L: L.stft(L.ones(100), 16, hop_length=0, return_complex=True),
    lambda L: L.stft(L.ones(100), 16, win_length=20, return_complex=True),
    lambda L: L.stft(L.ones(100), 16, window=L.ones(15), return_complex=True),
    lambda L: L.stft(L.ones(100), 16, align_to_window=True, return_complex=True)])
def test_stft_errors(fn):
    check_error(fn)


def test_stft_warnings_once_and_refusals():
    import ember._spectral as S
    S._WARNED.clear()
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        for _ in range(2):
            ember.stft(ember.ones(32), 8, return_complex=False)
    texts = [str(x.message) for x in w]
    assert len(texts) == 2 and texts[0].startswith("stft with return_complex=False")
    assert texts[1].startswith("A window was not provided.")
    with pytest.raises(EmberNotImplementedError, match="return_complex=True"):
        ember.stft(ember.ones(32, requires_grad=True), 8, return_complex=True)
    with pytest.raises(EmberNotImplementedError, match="align_to_window"):
        ember.stft(ember.ones(32), 8, center=False, align_to_window=True, return_complex=True)


@pytest.mark.parametrize("kw", [{}, {"length": 120}, {"length": 50}, {"normalized": True},
                                {"hop_length": 6}, {"win_length": 12}, {"onesided": False},
                                {"onesided": False, "return_complex": True}])
def test_istft_inverts_stft_as_torch(kw):
    def go(L, x):
        w = L.from_numpy(np.hanning(kw.get("win_length", 16)).astype(x.numpy().dtype) + 0.1)
        sk = {k: v for k, v in kw.items() if k in ("normalized", "hop_length", "win_length",
                                                   "onesided")}
        spec = L.stft(x, 16, window=w, return_complex=True, **sk)
        if L is ember:  # the same spectrum on both sides
            spec = ember.from_numpy(go.spec)
        else:
            go.spec = spec.numpy()
        return L.istft(spec, 16, window=w, **kw)
    if torch is None:
        pytest.skip("the spectrum to invert comes from torch")
    for dtype in ("float32", "float64"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            t = go(torch, torch.from_numpy(arr((2, 100), dtype)))
            e = go(ember, ember.from_numpy(arr((2, 100), dtype)))
        assert str(e.dtype) == str(t.dtype) and tuple(e.shape) == tuple(t.shape)
        np.testing.assert_allclose(e.numpy(), t.numpy(), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("fn", [
    lambda L: L.istft(L.ones(9, 26), 16),
    lambda L: L.istft(L.ones(9, 26, dtype=L.complex64), 20),
    lambda L: L.istft(L.ones(9, 26, dtype=L.complex64), 16, onesided=False),
    lambda L: L.istft(L.ones(9, 26, dtype=L.complex64), 16, return_complex=True),
    lambda L: L.istft(L.ones(1, 1, 9, 26, dtype=L.complex64), 16),
    lambda L: L.istft(L.ones(9, 26, dtype=L.complex64), 16, window=L.zeros(16)),
    lambda L: L.istft(L.ones(9, 26, dtype=L.complex64), 16, hop_length=20),
    lambda L: L.istft(L.ones(9, 26, dtype=L.complex64), 16, window=L.ones(15)),
    lambda L: L.istft(L.ones(9, 0, dtype=L.complex64), 16)])
def test_istft_errors(fn):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        check_error(fn)


