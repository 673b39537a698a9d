"""Reductions against torch: the REDUCE table runs every reduction over dim None / int / tuple,
keepdim, 0-d, empty and non-contiguous inputs in float32/float64 (int and bool where torch
allows), comparing values, dtypes, shapes, gradients and grad_fn names."""

import numpy as np
import pytest

import ember
from oracle import _flat, _to, arr, check, check_error, torch


def run(fn, *inputs, **kw):
    """check() plus the grad_fn name of every output (SumBackward1 ...)."""
    e_out = check(fn, *inputs, **kw)
    if torch is not None:
        t_out = fn(torch, *[_to(torch, a, kw.get("grad", True)) for a in inputs])
        names = [[getattr(getattr(o, "grad_fn", None), "name", lambda: None)() for o in _flat(r)]
                 for r in (e_out, t_out)]
        assert names[0] == names[1], f"grad_fn: ember {names[0]} != torch {names[1]}"
    return e_out


REDUCE = [  # (name, fn(L, x, dim, keepdim)); dim None means the full reduction form
    ("sum", lambda L, x, d, k: x.sum() if d is None else L.sum(x, d, keepdim=k)),
    ("mean", lambda L, x, d, k: x.mean() if d is None else x.mean(d, keepdim=k)),
    ("prod", lambda L, x, d, k: x.prod() if d is None else x.prod(d[0] if isinstance(d, tuple)
                                                                   else d, keepdim=k)),
    ("max", lambda L, x, d, k: x.max() if d is None else L.max(x, _one(d), keepdim=k)),
    ("min", lambda L, x, d, k: x.min() if d is None else x.min(_one(d), k)),
    ("amax", lambda L, x, d, k: L.amax(x) if d is None else L.amax(x, d, keepdim=k)),
    ("amin", lambda L, x, d, k: x.amin() if d is None else x.amin(d, k)),
    ("argmax", lambda L, x, d, k: x.argmax() if d is None else x.argmax(_one(d), keepdim=k)),
    ("argmin", lambda L, x, d, k: L.argmin(x) if d is None else L.argmin(x, _one(d), k)),
    ("std", lambda L, x, d, k: x.std() if d is None else x.std(d, keepdim=k)),
    ("var", lambda L, x, d, k: x.var() if d is None else L.var(x, d, keepdim=k)),
    ("var_c0", lambda L, x, d, k: x.var(d, correction=0, keepdim=k)),
    ("std_unbiased", lambda L, x, d, k: x.std(d, unbiased=False, keepdim=k)),
    ("std_c2", lambda L, x, d, k: L.std(x, dim=d, correction=2, keepdim=k)),
    ("logsumexp", lambda L, x, d, k: L.logsumexp(x, tuple(range(x.dim())) or 0 if d is None
                                                 else d, keepdim=k)),
    ("norm", lambda L, x, d, k: x.norm() if d is None else x.norm(dim=d, keepdim=k)),
    ("norm_p1", lambda L, x, d, k: L.norm(x, p=1, dim=d, keepdim=k)),
    ("norm_p3", lambda L, x, d, k: x.norm(3, d, k)),
    ("norm_inf", lambda L, x, d, k: x.norm(float("inf"), d, k)),
    ("all", lambda L, x, d, k: (x > 0).all() if d is None else (x > 0).all(d, keepdim=k)),
    ("any", lambda L, x, d, k: L.any(x > 0) if d is None else L.any(x > 0, d, keepdim=k)),
    ("cumsum", lambda L, x, d, k: x.cumsum(0 if d is None else _one(d))),
    ("cumprod", lambda L, x, d, k: L.cumprod(x, -1 if d is None else _one(d))),
    ("count_nonzero", lambda L, x, d, k: L.count_nonzero(_round(x)) if d is None else
     _round(x).count_nonzero(d)),
    ("nansum", lambda L, x, d, k: L.nansum(x, d, keepdim=k) if d is not None else x.nansum()),
    ("aminmax", lambda L, x, d, k: L.aminmax(x) if d is None else x.aminmax(dim=_one(d),
                                                                           keepdim=k)),
]


def _round(x):
    return x.round() if x.is_floating_point() else x


def _one(d):
    return d[-1] if isinstance(d, tuple) else d


DIMS = [(None, False), (0, False), (1, True), (-1, False), ((0, 2), False), ((1, 2), True)]


@pytest.mark.parametrize("dim,keepdim", DIMS)
@pytest.mark.parametrize("name,fn", REDUCE, ids=[r[0] for r in REDUCE])
def test_reduce(name, fn, dim, keepdim):
    dtype = "float64" if isinstance(dim, tuple) else "float32"
    x = arr((2, 3, 4), dtype, seed=hash(name) % 1000, low=0.2 if "prod" in name else -2,
            noncontig=dim == -1)
    # std_c2 over the size-2 dim 0 divides by 0: inf, only comparable against torch
    run(lambda L, x: fn(L, x, dim, keepdim), x, grad=torch is not None or (name, dim) != (
        "std_c2", 0))


SHAPES = [((), None), ((), 0), ((5,), 0), ((0, 3), 1), ((0, 3), 0), ((3, 0), None)]
EMPTY_OK = {"sum", "mean", "prod", "std", "var", "var_c0", "std_unbiased",
            "std_c2", "logsumexp", "norm", "norm_p1", "norm_p3", "all", "any",
            "cumsum", "cumprod", "count_nonzero", "nansum"}


@pytest.mark.parametrize("shape,dim", SHAPES)
@pytest.mark.parametrize("name,fn", REDUCE, ids=[r[0] for r in REDUCE])
def test_reduce_shapes(name, fn, shape, dim):
    x = arr(shape, "float64", seed=3, low=0.2 if "prod" in name else -2)
    if 0 in shape:
        # the reduced dim is empty for dim=None/0 on (0, 3) and dim=None/1 on (3, 0)
        reduced_empty = dim is None or shape[dim] == 0
        if reduced_empty and name not in EMPTY_OK:
            check_error(lambda L, x: fn(L, x, dim, False), x)
            return
    # one element and correction >= 1: nan/inf, only comparable against torch
    nan = ("std" in name or "var" in name) and x.size == 1 or name == "std_c2" and shape == (5,)
    run(lambda L, x: fn(L, x, dim, False), x, grad=torch is not None or not nan)


INT_REDUCE = ["sum", "prod", "max", "min", "amax", "amin", "argmax", "argmin", "all", "any",
              "cumsum", "cumprod", "count_nonzero", "aminmax"]


@pytest.mark.parametrize("dtype", ["int64", "int32", "uint8", "bool"])
@pytest.mark.parametrize("name", INT_REDUCE)
def test_reduce_int(name, dtype):
    fn = dict(REDUCE)[name]
    x = arr((3, 4), dtype, seed=2, low=0 if dtype == "uint8" else -3, high=4)
    for dim in (None, 1):
        if dtype == "bool" and name in ("argmax", "argmin"):
            check_error(lambda L, x: fn(L, x, dim, False), x)
            continue
        run(lambda L, x: fn(L, x, dim, False), x)


ERRORS = [
    lambda L, x: x.mean(),                       # int input
    lambda L, x: x.float().max(dim=2),
    lambda L, x: x.float().sum((0, 0)),
    lambda L, x: x.float()[:0].max(),
    lambda L, x: x.float()[:0].argmax(),
    lambda L, x: x.float()[:0].amax(0),
    lambda L, x: x.float()[:0].max(0),
    lambda L, x: x.std(),
    lambda L, x: L.logsumexp(x.float(), 5),
    lambda L, x: x.norm(),
    lambda L, x: x.float()[:0].norm(float("-inf")),
    lambda L, x: x.float()[:0].norm(float("inf"), 0),
    lambda L, x: x.float().amax((0, -2)),
]


@pytest.mark.parametrize("i", range(len(ERRORS)))
def test_reduce_errors(i):
    check_error(ERRORS[i], arr((2, 3), "int64"))


def test_dtype_arguments():
    x = arr((2, 3), "int32")
    for fn in (lambda L, x: x.sum(), lambda L, x: x.sum(0, dtype=L.float64),
               lambda L, x: x.prod(1), lambda L, x: x.cumsum(0),
               lambda L, x: x.cumsum(1, dtype=L.int16),
               lambda L, x: x.mean(dtype=L.float32), lambda L, x: x.float().sum(dtype=L.float64),
               lambda L, x: L.sum(x > 0), lambda L, x: x.cumprod(0, dtype=L.float32)):
        run(fn, x)


def test_max_ties():
    # max(dim) routes the gradient to the chosen index; full max()/amax split evenly
    x = np.array([[1.0, 3.0, 3.0], [2.0, 2.0, 0.5]])
    for fn in (lambda L, x: x.max(), lambda L, x: x.amax(), lambda L, x: x.amax(1),
               lambda L, x: x.max(1), lambda L, x: x.min(0), lambda L, x: x.amin(0),
               lambda L, x: x.max(1, keepdim=True).values, lambda L, x: x.argmax(1),
               lambda L, x: x.norm(float("inf")), lambda L, x: L.logsumexp(x, 1)):
        run(fn, x, grad=torch is not None, fd=False)  # finite differences fail at ties


def test_nan_handling():
    x = np.array([[1.0, np.nan, 3.0], [2.0, 0.0, -np.inf]])
    for fn in (lambda L, x: x.max(), lambda L, x: x.max(1), lambda L, x: x.amin(1),
               lambda L, x: x.argmax(1), lambda L, x: x.argmin(), lambda L, x: x.sum(1),
               lambda L, x: L.nansum(x), lambda L, x: x.logsumexp(1), lambda L, x: x.cumsum(1)):
        run(fn, x, grad=False)


def test_prod_cumprod_zeros():
    x = np.array([[1.5, 0.0, 2.0], [0.0, 0.0, 3.0], [1.0, 2.0, -1.0]])
    for fn in (lambda L, x: x.prod(), lambda L, x: x.prod(1), lambda L, x: x.prod(0, True),
               lambda L, x: x.cumprod(1), lambda L, x: x.cumprod(0)):
        run(fn, x)


def test_named_tuple():
    x = ember.tensor([[1.0, 5.0], [7.0, 2.0]])
    r = x.max(1)
    assert r.values.tolist() == [5.0, 7.0] and r.indices.tolist() == [1, 0]
    v, i = ember.min(x, 0, keepdim=True)
    assert v.shape == (1, 2) and i.tolist() == [[0, 1]]
    assert type(r).__name__ == "max" and type(r).__module__ == "torch.return_types"
    if torch is not None:
        t = torch.tensor([[1.0, 5.0], [7.0, 2.0]]).max(1)
        assert repr(r) == repr(t)


DOUBLE = [
    lambda x: x.sum(), lambda x: x.mean(1), lambda x: (x * x).sum(0), lambda x: x.prod(1),
    lambda x: x.std(0), lambda x: x.logsumexp(1), lambda x: x.norm(), lambda x: x.cumsum(1),
    lambda x: x.amax(1), lambda x: x.var(),
]


@pytest.mark.parametrize("i", range(len(DOUBLE)))
def test_gradgradcheck(i):
    x = ember.from_numpy(arr((2, 3), "float64", seed=i, low=0.3, high=1.5)).requires_grad_()
    assert ember.autograd.gradgradcheck(DOUBLE[i], (x,))


def _complex(shape, seed=0):
    a = arr(shape, seed=seed) + 1j * arr(shape, seed=seed + 1)
    return a.astype(np.complex64)


@pytest.mark.parametrize("fn", [
    lambda L, x: L.std(x), lambda L, x: L.var(x, 1), lambda L, x: L.var_mean(x, 0),
    lambda L, x: L.std_mean(x), lambda L, x: L.norm(x), lambda L, x: L.norm(x, 1, 1),
    lambda L, x: L.norm(x, float("inf")), lambda L, x: L.dist(x, x * 2),
    lambda L, x: L.dist(x, x * 2, 3), lambda L, x: L.linalg.vector_norm(x, 0.5),
    lambda L, x: L.linalg.matrix_norm(x), lambda L, x: L.linalg.norm(x, dim=0),
    lambda L, x: L.float_power(x, x), lambda L, x: L.float_power(x, 2),
    lambda L, x: L.float_power(x.real, 1j),
])
def test_complex_reductions_are_torch_s(fn):
    # the variance and every norm of a complex tensor are real; float_power stays complex
    check(fn, _complex((3, 4)), grad=False, rtol=1e-4)


EMPTY_DIM = {
    "std": lambda L, x: L.std(x, dim=()), "var": lambda L, x: L.var(x, dim=[]),
    "var keepdim": lambda L, x: L.var(x, dim=(), keepdim=True),
    "std correction": lambda L, x: x.std((), correction=0),
    "var_mean": lambda L, x: L.var_mean(x, dim=()), "std_mean": lambda L, x: L.std_mean(x, dim=[]),
    "count_nonzero ()": lambda L, x: L.count_nonzero(x, dim=()),
    "count_nonzero []": lambda L, x: L.count_nonzero(x, dim=[]),
}


@pytest.mark.parametrize("case", sorted(EMPTY_DIM))
@pytest.mark.parametrize("dt", ["float64", "float32"])
def test_empty_dim_list_reduces_every_dim(case, dt):
    """dim=() / [] reduces over every dim in torch; ember's var / std divided by n - 1 over no
    elements (inf) or kept the shape (float32), and count_nonzero returned 0 / 1 per element."""
    x = np.array([[0.0, 1.0, 2.0], [3.0, 0.0, 5.0]], dt)
    got = EMPTY_DIM[case](ember, ember.tensor(x))
    flat = got if isinstance(got, tuple) else (got,)
    whole = {"std": np.std(x, ddof=1), "var": np.var(x, ddof=1),
             "var keepdim": np.var(x, ddof=1), "std correction": np.std(x),
             "var_mean": np.var(x, ddof=1), "std_mean": np.std(x, ddof=1),
             "count_nonzero ()": 4, "count_nonzero []": 4}[case]
    assert flat[0].numel() == 1
    np.testing.assert_allclose(flat[0].item(), whole, rtol=1e-6)
    if torch is None:
        pytest.skip("torch (the oracle) is not installed")
    want = EMPTY_DIM[case](torch, torch.tensor(x))
    want = want if isinstance(want, tuple) else (want,)
    for g, w in zip(flat, want):
        assert tuple(g.shape) == tuple(w.shape) and str(g.dtype) == str(w.dtype)
        np.testing.assert_allclose(g.numpy(), w.numpy(), rtol=1e-6)


@pytest.mark.parametrize("call", ["median()", "median(1)", "nanmedian()", "nanmedian(1)"])
def test_median_of_bool_refused(call):
    """torch has no bool median kernel; ember computed one."""
    kernel = "median_cpu" if call.endswith("()") else "median_out"
    name, arg = call[:-1].split("(")
    check_error(lambda L, b: getattr(b, name)(*([int(arg)] if arg else [])),
                np.array([[True, False, True]]), exc=NotImplementedError,
                match=f"\"{kernel}\" not implemented for 'Bool'")
