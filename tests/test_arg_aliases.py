"""torch's keyword spellings: NumPy's aliases (axis=, keepdims=, x=/a=/x1=, x2=) and a variadic
size given by keyword (zeros(size=...), view(size=...), permute(dims=...)).

The cases are generated from ember's own public functions and Tensor methods, so a new function
with a `dim`, `keepdim`, `input`, `other` or variadic size parameter is covered the day it lands:
each spelling runs in ember and in torch and both must agree (same values, or the same exception
type and text; torch refuses the aliases for the functions it writes in Python, and so must
ember). A function whose required arguments the generic input cannot fill needs a line in
`EXTRA`.
"""

import inspect
import warnings

import numpy as np
import pytest

import ember
from ember.ops import _util
from oracle import assert_same, requires_torch

try:
    import torch
except ImportError:
    torch = None

_X = np.random.default_rng(0).standard_normal((2, 3, 4)).astype(np.float32)


def _idx(L, shape, high):
    return L.from_numpy(np.random.default_rng(1).integers(0, high, shape))


# the other required arguments, by torch's parameter names (dim is 1 and x is (2, 3, 4))
EXTRA = {
    "gather": lambda L: {"index": _idx(L, (2, 2, 4), 3)},
    "take_along_dim": lambda L: {"indices": _idx(L, (2, 2, 4), 3)},
    "index_select": lambda L: {"index": _idx(L, (2,), 3)},
    "index_add": lambda L: {"index": _idx(L, (2,), 3), "source": L.ones(2, 2, 4)},
    "index_copy": lambda L: {"index": L.tensor([2, 0]), "source": L.ones(2, 2, 4)},
    "index_fill": lambda L: {"index": _idx(L, (2,), 3), "value": 1.5},
    "index_fill_": lambda L: {"index": _idx(L, (2,), 3), "value": 1.5},
    "index_reduce": lambda L: {"index": _idx(L, (2,), 3), "source": L.ones(2, 2, 4),
                               "reduce": "prod"},
    "scatter": lambda L: {"index": _idx(L, (2, 2, 4), 3), "src": L.ones(2, 2, 4)},
    "scatter_add": lambda L: {"index": _idx(L, (2, 2, 4), 3), "src": L.ones(2, 2, 4)},
    "scatter_reduce": lambda L: {"index": _idx(L, (2, 2, 4), 3), "src": L.ones(2, 2, 4),
                                 "reduce": "amax"},
    "narrow": lambda L: {"start": 1, "length": 2},
    "narrow_copy": lambda L: {"start": 1, "length": 2},
    "select": lambda L: {"index": 1},
    "select_scatter": lambda L: {"src": L.ones(2, 4), "index": 1},
    "renorm": lambda L: {"p": 2, "maxnorm": 1.0},
    "renorm_": lambda L: {"p": 2, "maxnorm": 1.0},
    "slice_scatter": lambda L: {"src": L.ones(2, 3, 4)},
    "split": lambda L: ((2,), {}),
    "split_with_sizes": lambda L: {"split_sizes": [1, 2]},
    "tensor_split": lambda L: ((2,), {}),
    "scatter_": lambda L: {"index": _idx(L, (2, 2, 4), 3), "src": L.ones(2, 2, 4)},
    "chunk": lambda L: {"chunks": 2},
    "unflatten": lambda L: {"sizes": (3, 1)},
    "topk": lambda L: {"k": 2},
    "kthvalue": lambda L: {"k": 2},
    "quantile": lambda L: {"q": 0.25},
    "nanquantile": lambda L: {"q": 0.25},
    "repeat_interleave": lambda L: {"repeats": 2},
    "cross": lambda L: {"other": L.ones(2, 3, 4)},
    "cat": lambda L: {"tensors": [L.ones(2, 3, 4), L.zeros(2, 3, 4)]},
    "concat": lambda L: {"tensors": [L.ones(2, 3, 4), L.zeros(2, 3, 4)]},
    "concatenate": lambda L: {"tensors": [L.ones(2, 3, 4), L.zeros(2, 3, 4)]},
    "stack": lambda L: {"tensors": [L.ones(2, 3, 4), L.zeros(2, 3, 4)]},
    "diff": lambda L: {},
}
# functions taking no `input` first: their tensors come from EXTRA only
_NO_INPUT = {"cat", "concat", "concatenate", "stack"}


def _candidates():
    """(kind, name, parameters) for ember's public functions and Tensor methods."""
    out = []
    for name in sorted(dir(ember)):
        f = getattr(ember, name)
        if name[:1] != "_" and inspect.isfunction(f):
            out.append(("torch", name, inspect.signature(f).parameters))
    for name in sorted(vars(ember.Tensor)):
        f = inspect.getattr_static(ember.Tensor, name)
        if name[:2] != "__" and inspect.isfunction(f):
            params = dict(inspect.signature(f).parameters)
            params.pop(next(iter(params)))  # self
            out.append(("Tensor", name, params))
    return out


def _call(L, kind, name, kw, x_kw="input"):
    args = ()
    if "()" in kw:  # positional arguments after input (EXTRA gives (args, kwargs))
        kw = dict(kw)
        args = kw.pop("()")
    x = L.from_numpy(_X.copy())
    if kind == "Tensor":
        return getattr(x, name)(*args, **kw)
    if name not in _NO_INPUT:
        if args:
            return getattr(L, name)(x, *args, **kw)
        kw = {**kw, x_kw: x}
    return getattr(L, name)(*args, **kw)


def _extra(name):
    """EXTRA's arguments as one keyword dict ('()' holds positional ones)."""
    def make(L):
        e = EXTRA.get(name, lambda L: {})(L)
        return {"()": e[0], **e[1]} if isinstance(e, tuple) else e
    return make


def _outcome(L, kind, name, kw, x_kw="input"):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return "ok", _call(L, kind, name, kw, x_kw)
        except Exception as e:  # noqa: BLE001 - compared with torch's
            return "err", (type(e).__name__, str(e))


def _flat(r):
    if isinstance(r, (tuple, list)):
        return [t for v in r for t in _flat(v)]
    return [r]


def _agree(kind, name, kw, x_kw="input"):
    e = _outcome(ember, kind, name, kw(ember), x_kw)
    t = _outcome(torch, kind, name, kw(torch), x_kw)
    what = f"{kind}.{name}({', '.join(kw(ember))}{', ' + x_kw + '=' if x_kw != 'input' else ''})"
    assert e[0] == t[0], f"{what}: ember {e}, torch {t}"
    if e[0] == "err":
        assert e[1][0] == t[1][0], f"{what}: ember {e}, torch {t}"
        python = name in (_util.PY_METHODS if kind == "Tensor" else _util.PY_FUNCTIONS)
        if "received an invalid combination of arguments" not in t[1][1] and not python:
            # torch's parser lists every overload there, and torch's Python functions name
            # their inner helpers; elsewhere the texts agree
            assert e[1][1] == t[1][1].replace("Tensor.", "", 1), what
        return
    er, tr = _flat(e[1]), _flat(t[1])
    assert len(er) == len(tr), what
    for a, b in zip(er, tr):
        assert_same(a, b, what=what)


def _dim_cases():
    cases = []
    for kind, name, params in _candidates():
        if "dim" in params or "keepdim" in params:
            cases.append(pytest.param(kind, name, sorted(params), id=f"{kind}.{name}"))
    return cases


@requires_torch
@pytest.mark.parametrize("kind,name,params", _dim_cases())
def test_dim_and_keepdim_aliases(kind, name, params):
    """axis= and keepdims= work wherever torch's parser takes them, and fail as torch's
    where torch writes the function in Python."""
    extra = _extra(name)
    dim = {"dim": 1} if "dim" in params else {}
    base = _outcome(torch, kind, name, {**extra(torch), **dim})
    assert base[0] == "ok" or name in EXTRA, (
        f"{kind}.{name}(dim=1) fails in torch with the generic input ({base[1]}): give it its "
        "other arguments in EXTRA")
    if "dim" in params:
        _agree(kind, name, lambda L: {**extra(L), "axis": 1})
        _agree(kind, name, lambda L: {**extra(L), "dim": 1, "axis": 0})
    if "keepdim" in params:
        _agree(kind, name, lambda L: {**extra(L), **dim, "keepdims": True})


def _input_cases():
    cases = []
    for kind, name, params in _candidates():
        if kind == "torch" and "input" in params and name not in _NO_INPUT and (
                "dim" in params or len([p for p in params.values()
                                        if p.default is p.empty]) == 1):
            cases.append(pytest.param(name, sorted(params), id=name))
    return cases


@requires_torch
@pytest.mark.parametrize("name,params", _input_cases())
def test_input_aliases(name, params):
    """torch.f(x=t), f(a=t), f(x1=t) bind `input` as torch's parser does."""
    extra = _extra(name)
    dim = {"dim": 1} if "dim" in params else {}
    if "()" in extra(torch) or _outcome(torch, "torch", name, {**extra(torch), **dim})[0] != "ok":
        pytest.skip("torch.f(input=x) itself fails with the generic input")
    for spelling in ("x", "a", "x1"):
        _agree("torch", name, lambda L: {**extra(L), **dim}, x_kw=spelling)


_BINARY = ["add", "sub", "mul", "div", "atan2", "maximum", "fmod", "remainder", "eq", "lt",
           "logical_and", "hypot", "copysign", "matmul", "where"]


@requires_torch
@pytest.mark.parametrize("name", _BINARY)
def test_other_alias(name):
    def kw(L):
        y = L.from_numpy(_X[::-1].copy())
        if name == "matmul":
            return {"x1": L.from_numpy(_X.copy()), "x2": L.ones(4, 2)}
        if name == "where":
            return {"condition": y > 0, "input": y, "x2": L.zeros(2, 3, 4)}
        return {"x1": L.from_numpy(_X.copy()), "x2": y}
    _agree("torch", name, kw, x_kw="input" if name == "where" else "x1")
    if name not in ("matmul", "where"):
        _agree("Tensor", name, lambda L: {"x2": L.from_numpy(_X[::-1].copy())})


# ---------------------------------------------------------------- a variadic size by keyword
_SIZE_SAMPLES = {
    "zeros": (2, 3), "ones": (2, 3), "empty": (2, 3), "rand": (2, 3), "randn": (2, 3),
    "view": (4, 6), "reshape": (6, 4), "permute": (2, 0, 1), "flip": (0, 2), "repeat": (1, 2, 1),
    "expand": (2, 2, 3, 4), "tile": (2, 1), "new_zeros": (2,), "new_ones": (2,),
    "new_empty": (0,), "broadcast_to": (2, 2, 3, 4), "resize_": (24,), "sum_to_size": (1, 3, 1),
}


def _vararg_functions():
    """ember's functions and methods with a variadic parameter whose torch counterpart exists."""
    found = []
    for kind, name, params in _candidates():
        if any(p.kind is p.VAR_POSITIONAL for p in params.values()) and name in _SIZE_SAMPLES:
            found.append((kind, name))
    return found


def test_every_variadic_size_is_sampled():
    """A function or method with a variadic size (a new one too) must be in _VARARG_NAME."""
    for kind, name, params in _candidates():
        var = [p.name for p in params.values() if p.kind is p.VAR_POSITIONAL]
        if var and var[0] in ("size", "shape", "dims", "sizes", "dims_", "repeats"):
            assert name in _util._VARARG_NAME, f"{kind}.{name}(*{var[0]}): torch's keyword?"
            assert name in _SIZE_SAMPLES, f"{kind}.{name}: add a sample to _SIZE_SAMPLES"


def _size_call(L, kind, name, **kw):
    x = L.from_numpy(_X.copy())
    if name in ("zeros", "ones", "empty", "rand", "randn"):
        L.manual_seed(0)
        r = getattr(L, name)(**kw)
        return r if name not in ("empty",) else r.shape
    if kind == "torch":
        return getattr(L, name)(x, **kw)
    r = getattr(x, name)(**kw)
    return r.shape if name in ("new_empty", "resize_") else r


@requires_torch
@pytest.mark.parametrize("kind,name", _vararg_functions())
def test_variadic_size_by_keyword(kind, name):
    keyword = _util._VARARG_NAME[name]
    size = _SIZE_SAMPLES[name]
    for kw in ({keyword: size}, {keyword: list(size)}, {keyword: size[0]},
               {"shape" if keyword != "shape" else "size": size}):
        e = _outcome_size(ember, kind, name, kw)
        t = _outcome_size(torch, kind, name, kw)
        assert e[0] == t[0], f"{kind}.{name}({kw}): ember {e}, torch {t}"
        if e[0] == "ok":
            for a, b in zip(_flat(e[1]), _flat(t[1])):
                assert_same(a, b)
        else:
            assert e[1][0] == t[1][0], f"{kind}.{name}({kw}): ember {e}, torch {t}"


def _outcome_size(L, kind, name, kw):
    try:
        return "ok", _size_call(L, kind, name, **kw)
    except Exception as e:  # noqa: BLE001
        return "err", (type(e).__name__, str(e))


def test_size_keyword_with_positional_sizes_is_refused():
    with pytest.raises(TypeError, match=r"zeros\(\) got multiple values for argument 'size'"):
        ember.zeros(2, size=(2, 3))


@requires_torch
def test_python_written_functions_match_torch():
    """PY_FUNCTIONS / PY_METHODS list exactly the names torch writes in Python."""
    import types
    lazy = {n for k, v in vars(ember).items() if k.startswith("_LAZY") for n in v}
    for name in sorted(set(dir(ember)) | lazy):  # lazily loaded ones too, loaded yet or not
        f, t = getattr(ember, name), getattr(torch, name, None)
        if name[:1] == "_" or not inspect.isfunction(f) or t is None or not callable(t):
            continue
        in_python = not isinstance(t, (types.BuiltinFunctionType, types.BuiltinMethodType))
        if isinstance(t, type):
            continue
        assert (name in _util.PY_FUNCTIONS) == in_python, name
    for name, f in vars(ember.Tensor).items():
        if name[:2] == "__" or not inspect.isfunction(f) or not hasattr(torch.Tensor, name):
            continue
        t = inspect.getattr_static(torch.Tensor, name)
        assert (name in _util.PY_METHODS) == inspect.isfunction(t), name


def test_no_keywords_pays_no_translation():
    """The wrapper forwards a plain call straight to the function (and the operators and
    Tensor.sum/mean are not wrapped at all)."""
    x = ember.arange(6.0).reshape(2, 3)
    x.sum(), x.mean()  # the first call resolves the lazy stub: to the function itself here
    assert ember.Tensor.__add__ is ember.ops.pointwise.add
    assert ember.Tensor.sum is ember.ops.reduce.sum
    assert ember.Tensor.mean is ember.ops.reduce.mean
    assert ember.cumsum(x, 1).tolist() == [[0.0, 1.0, 3.0], [3.0, 7.0, 12.0]]
    assert inspect.signature(ember.cumsum) == inspect.signature(ember.ops.scan.cumsum)


def test_wrapped_functions_pickle_by_name():
    """pickle finds the public function where it is found, before and after its first call."""
    import pickle
    x = ember.ones(2)
    for _ in range(2):
        assert pickle.loads(pickle.dumps(ember.logaddexp)) is ember.logaddexp
        assert pickle.loads(pickle.dumps(ember.Tensor.tile)) is ember.Tensor.tile
        ember.logaddexp(x, x)
        x.tile(2)
