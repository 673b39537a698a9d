"""NumPy's exceptions leave ember's ops as torch's (type and text).

The cases are generated: every public function, Tensor method and nn.functional function that
torch answers with its broadcast error for operands of shapes (3,) and (4,) (binary) or a
mismatched third operand (ternary), every one that torch answers with "Dimension out of range"
for dim=5 of a 2-d tensor, huge sizes for the creation functions and allocating ops (beyond
any address space, so no machine allocates them), non-finite and oversized ranges. Torch is
the oracle for which ops belong to a family and for the exact error; without torch the
generated families skip and the cases whose torch error follows from a rule alone still run.
"""

import math
import operator
import warnings

import numpy as np
import pytest

import ember
import ember.nn.functional as EF
from ember.autograd.function import CPUAllocError, Op, torch_error

try:
    import torch
    import torch.nn.functional as TF
except ImportError:  # the oracle comparisons skip
    torch = TF = None

_STATEFUL = {"compile", "load", "manual_seed", "save", "seed", "set_default_dtype",
             "set_default_tensor_type", "set_grad_enabled", "set_num_threads",
             "set_printoptions", "set_rng_state", "use_deterministic_algorithms"}
_DTYPES = ("float64", "int64", "bool")

# generated cases that fail for a cause outside the NumPy translation, with the file that owns
# the fix; strict, so a fixed case must leave this table
KNOWN = {}


def _known(case_id):
    reason = KNOWN.get(case_id)
    return [pytest.mark.xfail(strict=True, reason=reason)] if reason else []


def _outcome(fn):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            fn()
        except Exception as e:  # noqa: BLE001  (any exception is the outcome under test)
            return e
    return None


def _t(L, shape, dtype):
    return L.zeros(shape, dtype=getattr(L, dtype))


def _targets():
    """(label, getter(L)) for every public function whose torch counterpart exists."""
    if torch is None:
        return []
    out = []
    for n in ember.__all__:
        if n not in _STATEFUL and callable(getattr(torch, n, None)) and \
                not isinstance(getattr(torch, n), type):
            out.append((n, lambda L, n=n: getattr(L, n)))
    for n in EF.__all__:
        if hasattr(TF, n):
            out.append(("F." + n, lambda L, n=n: getattr(
                EF if L is ember else TF, n)))
    return out


def _method_targets():
    if torch is None:
        return []
    names = sorted(n for n in dir(ember.Tensor) if not n.startswith("_") and
                   callable(getattr(torch.Tensor, n, None)))
    return [("Tensor." + n, n) for n in names]


def _broadcast_cases():
    """Binary ops torch answers with its broadcast error, each with a dtype it accepts."""
    cases = []
    for label, get in _targets():
        for dt in _DTYPES:
            f = get(torch)
            if _outcome(lambda: f(_t(torch, 3, dt), _t(torch, 3, dt))) is not None:
                continue
            e = _outcome(lambda: f(_t(torch, 3, dt), _t(torch, 4, dt)))
            if e is not None and str(e).startswith("The size of tensor a"):
                cases.append(pytest.param(get, dt, id=f"{label}-{dt}",
                                          marks=_known(f"{label}-{dt}")))
            break
    for label, n in _method_targets():
        for dt in _DTYPES:
            if _outcome(lambda: getattr(_t(torch, 3, dt), n)(_t(torch, 3, dt))) is not None:
                continue
            e = _outcome(lambda: getattr(_t(torch, 3, dt), n)(_t(torch, 4, dt)))
            if e is not None and str(e).startswith("The size of tensor a"):
                cases.append(pytest.param(lambda L, n=n: lambda a, b: getattr(a, n)(b), dt,
                                          id=f"{label}-{dt}"))
            break
    return cases or [pytest.param(None, None, marks=pytest.mark.skip("torch is not installed"))]


def _ternary_cases():
    cases = []
    for label, get in _targets():
        f = get(torch)
        for kinds in (("float64",) * 3, ("bool", "float64", "float64"),
                      ("float64", "bool", "float64")):
            if _outcome(lambda: f(*[_t(torch, 3, k) for k in kinds])) is not None:
                continue
            for shapes in ((3, 3, 4), (3, 4, 3), (4, 3, 3)):
                e = _outcome(lambda: f(*[_t(torch, s, k) for s, k in zip(shapes, kinds)]))
                if e is not None and str(e).startswith("The size of tensor a"):
                    cases.append(pytest.param(get, kinds, shapes,
                                              id=f"{label}-{'-'.join(map(str, shapes))}"))
            break
    return cases or [pytest.param(None, None, None,
                                  marks=pytest.mark.skip("torch is not installed"))]


def _dim_cases():
    cases = []
    calls = {"pos": lambda f, x: f(x, 5), "kw": lambda f, x: f(x, dim=5)}
    for label, get in _targets():
        for how, call in calls.items():
            e = _outcome(lambda: call(get(torch), torch.zeros(2, 3)))
            if e is not None and str(e).startswith("Dimension out of range"):
                cases.append(pytest.param(get, how, id=f"{label}-{how}",
                                          marks=_known(f"{label}-{how}")))
                break
    for label, n in _method_targets():
        for how, call in calls.items():
            e = _outcome(lambda: call(getattr(torch.Tensor, n), torch.zeros(2, 3)))
            if e is not None and str(e).startswith("Dimension out of range"):
                cases.append(pytest.param(lambda L, n=n: getattr(L.Tensor, n), how,
                                          id=f"{label}-{how}"))
                break
    return cases or [pytest.param(None, None, marks=pytest.mark.skip("torch is not installed"))]


def _same_error(e_ember, e_torch):
    assert e_ember is not None, f"ember raised nothing; torch: {e_torch!r}"
    assert isinstance(e_ember, type(e_torch)), \
        f"{type(e_ember).__name__}: {e_ember} -- torch: {type(e_torch).__name__}: {e_torch}"
    assert str(e_ember) == str(e_torch)


@pytest.mark.parametrize("get,dtype", _broadcast_cases())
def test_binary_broadcast(get, dtype):
    e_torch = _outcome(lambda: get(torch)(_t(torch, 3, dtype), _t(torch, 4, dtype)))
    _same_error(_outcome(lambda: get(ember)(_t(ember, 3, dtype), _t(ember, 4, dtype))), e_torch)


@pytest.mark.parametrize("get,kinds,shapes", _ternary_cases())
def test_ternary_broadcast(get, kinds, shapes):
    def run(L):
        return _outcome(lambda: get(L)(*[_t(L, s, k) for s, k in zip(shapes, kinds)]))
    _same_error(run(ember), run(torch))


@pytest.mark.parametrize("get,how", _dim_cases())
def test_bad_dim(get, how):
    def run(L):
        f, x = get(L), L.zeros(2, 3)
        return _outcome(lambda: f(x, 5) if how == "pos" else f(x, dim=5))
    _same_error(run(ember), run(torch))


@pytest.mark.parametrize("op", ["add", "sub", "mul", "truediv", "floordiv", "mod", "pow", "eq",
                                "lt", "ge", "iadd", "imul", "isub", "itruediv"])
def test_operators_broadcast(op):
    """torch's text follows from the shapes alone: checked with or without torch."""
    e = _outcome(lambda: getattr(operator, op)(ember.zeros(3), ember.zeros(4)))
    assert type(e) is RuntimeError
    assert str(e) == ("The size of tensor a (3) must match the size of tensor b (4) at "
                      "non-singleton dimension 0")


# ---------------------------------------------------------------- sizes and ranges
_N = 2 ** 46  # 256 TiB of float32: beyond a 47-bit address space, so it never allocates
_SIZES = {
    "zeros": lambda L: L.zeros(_N), "ones": lambda L: L.ones(_N), "empty": lambda L: L.empty(_N),
    "zeros_f64": lambda L: L.zeros(_N, dtype=L.float64),
    "zeros_2d": lambda L: L.zeros(2 ** 23, 2 ** 23), "full": lambda L: L.full((_N,), 2.0),
    "empty_channels_last": lambda L: L.empty(1, 2 ** 23, 2 ** 23, 1,
                                             memory_format=L.channels_last),
    "eye": lambda L: L.eye(2 ** 23), "eye_nm": lambda L: L.eye(2 ** 22, 2 ** 24),
    "arange": lambda L: L.arange(_N), "arange_float": lambda L: L.arange(0.0, _N / 2, 0.5),
    "linspace": lambda L: L.linspace(0, 1, _N), "logspace": lambda L: L.logspace(0, 1, _N),
    "empty_strided": lambda L: L.empty_strided((_N,), (1,)),
    "empty_strided_2": lambda L: L.empty_strided((_N // 2,), (2,)),
    "new_zeros": lambda L: L.zeros(2).new_zeros(_N), "new_ones": lambda L: L.zeros(2).new_ones(_N),
    "new_empty": lambda L: L.zeros(2).new_empty(_N),
    "new_full": lambda L: L.zeros(2).new_full((_N,), 1.0),
    "broadcast_mul": lambda L: L.zeros(2 ** 23, 1) * L.zeros(2 ** 23),
    "broadcast_add_grad": lambda L: L.zeros(2 ** 23, 1, requires_grad=True) + L.zeros(2 ** 23),
    "expand_contiguous": lambda L: L.zeros(2 ** 23).expand(2 ** 23, 2 ** 23).contiguous(),
    "broadcast_eq": lambda L: L.zeros(2 ** 23, 1) == L.zeros(2 ** 23),
    "broadcast_and": lambda L: L.zeros(2 ** 23, 1, dtype=L.int64) & L.zeros(2 ** 23,
                                                                            dtype=L.int64),
    "logical_or": lambda L: L.logical_or(L.zeros(2 ** 23, 1), L.zeros(2 ** 23)),
    "where": lambda L: L.where(L.zeros(2 ** 23, 1, dtype=L.bool), L.zeros(2 ** 23), 0.0),
    "matmul": lambda L: L.zeros(2 ** 23, 1) @ L.zeros(1, 2 ** 23),
    "outer": lambda L: L.outer(L.zeros(2 ** 23), L.zeros(2 ** 23)),
    "cat": lambda L: L.cat([L.zeros(2 ** 45), L.zeros(2 ** 45)]),
    "repeat": lambda L: L.zeros(2 ** 23).repeat(2 ** 23),
    "exp_of_expanded": lambda L: L.zeros(2 ** 23).expand(2 ** 23, 2 ** 23).exp(),
    "rand": lambda L: L.rand(_N), "randn": lambda L: L.randn(_N),
    "randint": lambda L: L.randint(0, 5, (_N,)), "randperm": lambda L: L.randperm(_N),
    # the byte count overflows int64
    "zeros_overflow": lambda L: L.zeros(2 ** 62), "ones_overflow": lambda L: L.ones(2 ** 62),
    "empty_overflow": lambda L: L.empty(2 ** 62), "full_overflow": lambda L: L.full((2 ** 62,), 1.),
    "zeros_overflow_3d": lambda L: L.zeros(2 ** 31, 2 ** 31, 2),
    "empty_strided_overflow": lambda L: L.empty_strided((2 ** 62,), (1,)),
    "rand_overflow": lambda L: L.rand(2 ** 62), "randn_overflow": lambda L: L.randn(2 ** 62),
    "uint8_alloc": lambda L: L.zeros(2 ** 62, dtype=L.uint8),
}


@pytest.mark.parametrize("name", sorted(_SIZES))
def test_huge_sizes(name):
    e = _outcome(lambda: _SIZES[name](ember))
    assert isinstance(e, RuntimeError), f"{type(e).__name__}: {e}"
    if torch is None:
        pytest.skip("torch (the oracle) is not installed: the type alone was checked")
    _same_error(e, _outcome(lambda: _SIZES[name](torch)))


def test_allocation_error_is_runtime_and_memory_error():
    nbytes = _N * 4
    for catch in (RuntimeError, MemoryError):
        with pytest.raises(catch) as e:
            ember.zeros(_N)
        assert isinstance(e.value, CPUAllocError)
        assert str(e.value) == (
            "[enforce fail at alloc_cpu.cpp:127] err == 0. DefaultCPUAllocator: can't allocate "
            f"memory: you tried to allocate {nbytes} bytes. Error code 12 (Cannot allocate "
            "memory)")


_RANGES = {
    "arange_inf": lambda L: L.arange(0, math.inf), "arange_nan": lambda L: L.arange(0, math.nan),
    "arange_neg_inf": lambda L: L.arange(-math.inf, 0),
    "arange_start_nan": lambda L: L.arange(math.nan, 1.0),
    "arange_inf_neg_step": lambda L: L.arange(0, math.inf, -1),
    "arange_frac": lambda L: L.arange(0.5, math.inf, 0.25),
    "arange_big_start": lambda L: L.arange(1e20, math.inf),
    "arange_inf_zero_step": lambda L: L.arange(0, math.inf, 0),
    "arange_size": lambda L: L.arange(0, 1e19), "arange_int_size": lambda L: L.arange(-2 ** 62,
                                                                                     2 ** 62),
    "arange_int64_overflow": lambda L: L.arange(0, 10 ** 19),
    "range_inf": lambda L: L.range(0, math.inf), "range_nan": lambda L: L.range(math.nan, 1),
}


@pytest.mark.parametrize("name", sorted(_RANGES))
def test_non_finite_and_oversized_ranges(name):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # range() is deprecated in both
        e = _outcome(lambda: _RANGES[name](ember))
        assert type(e) is RuntimeError, f"{type(e).__name__}: {e}"
        if torch is None:
            pytest.skip("torch (the oracle) is not installed: the type alone was checked")
        _same_error(e, _outcome(lambda: _RANGES[name](torch)))


def test_unsupported_range_text():
    with pytest.raises(RuntimeError, match=r"^unsupported range: 0 -> inf$"):
        ember.arange(0, math.inf)


# ---------------------------------------------------------------- other families
_OTHERS = {
    "bincount_negative": lambda L: L.bincount(L.tensor([-1, 2])),
    "bincount_2d": lambda L: L.bincount(L.tensor([[1, 2]])),
    "unique_dim": lambda L: L.unique(L.zeros(2, 3), dim=5),
    "copy_broadcast": lambda L: L.zeros(3).copy_(L.zeros(4)),
    "copy_into_smaller": lambda L: L.zeros(3).copy_(L.zeros(2, 3)),
    "index_out_of_bounds": lambda L: L.zeros(3)[5],
    "index_negative_out_of_bounds": lambda L: L.zeros(3)[-5],
    "index_dim1": lambda L: L.zeros(3, 2)[:, 7],
    "reshape": lambda L: L.zeros(3).reshape(4),
    "scalar_dim": lambda L: L.zeros(()).sum(1),
    "mse_loss": lambda L: (EF if L is ember else TF).mse_loss(L.zeros(3), L.zeros(4)),
    "l1_loss": lambda L: (EF if L is ember else TF).l1_loss(L.zeros(3), L.zeros(4)),
    "complex": lambda L: L.complex(L.zeros(3), L.zeros(4)),
    "polar": lambda L: L.polar(L.zeros(3), L.zeros(4)),
}


@pytest.mark.parametrize("name", sorted(_OTHERS))
def test_other_families(name):
    e = _outcome(lambda: _OTHERS[name](ember))
    assert e is not None and not isinstance(e, ValueError), f"{type(e).__name__}: {e}"
    if torch is None:
        pytest.skip("torch (the oracle) is not installed: NumPy's ValueError was ruled out")
    _same_error(e, _outcome(lambda: _OTHERS[name](torch)))


# ---------------------------------------------------------------- the translation layer
class _Broadcasts(Op):
    def forward(ctx, x, y):
        return np.add(x, y)


class _Refuses(Op):
    def forward(ctx, x, y):
        raise ValueError("ember's own ValueError, raised on purpose")


class _Indexes(Op):
    def forward(ctx, x, y):
        return x[7]


def test_op_boundary_translates_numpy_and_keeps_ember_errors():
    a, b = ember.zeros(2, 3), ember.zeros(4, 1, 2)
    with pytest.raises(RuntimeError, match=r"^The size of tensor a \(3\) must match the size of "
                                           r"tensor b \(2\) at non-singleton dimension 2$"):
        _Broadcasts.apply(a, b)
    with pytest.raises(ValueError, match="on purpose"):
        _Refuses.apply(a, b)
    with pytest.raises(IndexError, match=r"^index 7 is out of bounds for dimension 0 with size "
                                         r"2$"):
        _Indexes.apply(a, b)


def _raised(fn):
    try:
        fn()
    except Exception as e:  # noqa: BLE001
        return e
    raise AssertionError("nothing raised")


@pytest.mark.parametrize("fn,exc,text", [
    (lambda: np.zeros(3).sum(5), IndexError,
     "Dimension out of range (expected to be in range of [-1, 0], but got 5)"),
    (lambda: np.zeros((2, 3)).sum(-3), IndexError,
     "Dimension out of range (expected to be in range of [-2, 1], but got -3)"),
    (lambda: np.add(np.zeros((2, 3)), np.zeros(3), out=np.zeros(3)), RuntimeError,
     "output with shape [3] doesn't match the broadcast shape [2, 3]"),
    (lambda: np.zeros(6).reshape(4, 5), RuntimeError, "shape '[4, 5]' is invalid for input of "
                                                      "size 6"),
    (lambda: np.broadcast_arrays(np.zeros((2, 3)), np.zeros(4)), RuntimeError,
     "The size of tensor a (3) must match the size of tensor b (4) at non-singleton dimension 1"),
    (lambda: np.where(np.zeros(3, bool), np.zeros(3), np.zeros(5)), RuntimeError,
     "The size of tensor a (3) must match the size of tensor b (5) at non-singleton dimension 0"),
    (lambda: np.zeros((2, 3))[:, 9], IndexError,
     "index 9 is out of bounds for dimension 1 with size 3"),
    (lambda: np.bincount([-1]), RuntimeError, "bincount only supports 1-d non-negative integral "
                                              "inputs."),
    (lambda: np.empty(2 ** 62), RuntimeError,  # no torch text without the sizes: NumPy's
     "array is too big; `arr.size * arr.dtype.itemsize` is larger than the maximum possible size."),
])
def test_torch_error_table(fn, exc, text):
    e = torch_error(_raised(fn))
    assert type(e) is exc and str(e) == text, f"{type(e).__name__}: {e}"


def test_torch_error_leaves_other_errors():
    e = ValueError("not NumPy's")
    assert torch_error(e) is e  # never raised: no NumPy frame
    try:
        raise KeyError("x")
    except KeyError as k:
        assert torch_error(k) is k
    plain = MemoryError()
    assert torch_error(plain) is plain
