"""out= is torch's: the result is written into `out` and `out` itself is returned, with torch's
dtype rules, resize warning, overlap and autograd refusals. Each case runs in ember and torch
and compares the returned object's identity, out's dtype, shape and values, the warnings and
the exception type and text.
"""

import re
import warnings

import numpy as np
import pytest

import ember
from oracle import requires_torch

try:
    import torch
except ImportError:
    torch = None

_TRIGGERED = re.compile(r" \(Triggered internally at .*\)$", re.S)


def _mk(lib, spec):
    """An out tensor from (shape, dtype name[, fill]); fill keeps the test deterministic."""
    if isinstance(spec, list):
        return [_mk(lib, s) for s in spec]
    if isinstance(spec, tuple) and spec and isinstance(spec[0], tuple) and len(spec) > 1 and \
            isinstance(spec[1], tuple):
        return tuple(_mk(lib, s) for s in spec)
    shape, dt = spec[0], spec[1]
    fill = spec[2] if len(spec) > 2 else 7
    return lib.full(shape, fill, dtype=getattr(lib, dt))


def _run(lib, fn, inputs, spec, grad):
    ins = [lib.from_numpy(a.copy()) if isinstance(a, np.ndarray) else a for a in inputs]
    if grad:
        ins[0].requires_grad_(True)
    out = _mk(lib, spec) if spec is not None else None
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        try:
            r = fn(lib, *ins, out=out)
            err = None
        except Exception as e:  # noqa: BLE001 - compared below
            r, err = None, e
    msgs = [_TRIGGERED.sub("", str(x.message)) for x in w
            if not str(x.message).startswith("torch.range is deprecated")]
    return r, out, err, msgs


def _flat(x):
    return [t for o in x for t in _flat(o)] if isinstance(x, (tuple, list)) else [x]


def check_out(fn, *inputs, out, grad=False):
    """fn(lib, *tensors, out=...) writes into out and returns it, as torch's does."""
    re_, eo, ee, ew = _run(ember, fn, inputs, out, grad)
    if torch is None:
        if ee is not None:
            raise ee
        for a, b in zip(_flat(re_), _flat(eo)):
            assert a is b
        return re_
    rt, to, te, tw = _run(torch, fn, inputs, out, grad)
    if te is not None or ee is not None:
        assert ee is not None, f"torch raised {type(te).__name__}: {te}"
        assert te is not None, f"ember raised {type(ee).__name__}: {ee}"
        assert (type(ee).__name__, str(ee)) == (type(te).__name__, str(te))
        return None
    assert ew == tw
    if out is None:
        eo, to = re_, rt
    for i, (a, b, x, y) in enumerate(zip(_flat(re_), _flat(rt), _flat(eo), _flat(to))):
        assert (a is x) == (b is y), f"output {i}: returned object is not out"
        assert str(x.dtype) == str(y.dtype), f"output {i}: {x.dtype} != {y.dtype}"
        assert tuple(x.shape) == tuple(y.shape), f"output {i}: {x.shape} != {y.shape}"
        assert x.stride() == y.stride(), f"output {i}: strides {x.stride()} != {y.stride()}"
        np.testing.assert_allclose(x.detach().numpy(), y.detach().numpy(), rtol=1e-6, atol=1e-6,
                                   err_msg=f"output {i}")
    return re_


# ---------------------------------------------------------------- creation
@pytest.mark.parametrize("spec", [((2, 3), "float32"), ((6,), "float32"), ((0,), "float64"),
                                  ((2, 3), "int64"), ((1,), "bool")])
@pytest.mark.parametrize("name", ["zeros", "ones"])
def test_zeros_ones_write_into_out_with_its_dtype(name, spec):
    check_out(lambda L, out: getattr(L, name)(2, 3, out=out), out=spec)


@pytest.mark.parametrize("case", [
    lambda L, out: L.full((2, 2), 2.7, out=out),
    lambda L, out: L.full((3,), True, out=out),
    lambda L, out: L.arange(4, out=out),
    lambda L, out: L.arange(1, 2.5, 0.5, out=out),
    lambda L, out: L.linspace(0, 10, 5, out=out),
    lambda L, out: L.logspace(0, 2, 3, out=out),
    lambda L, out: L.eye(2, 3, out=out),
    lambda L, out: L.range(0, 3, out=out),
])
@pytest.mark.parametrize("spec", [((4,), "float32"), ((2, 2), "int64"), ((5,), "float64"),
                                  ((0,), "int32")])
def test_factories_write_into_out(case, spec):
    check_out(case, out=spec)


@pytest.mark.parametrize("case", [
    lambda L, out: L.zeros(2, dtype=L.float64, out=out),
    lambda L, out: L.full((2,), 1, dtype=L.int64, out=out),
    lambda L, out: L.arange(3, dtype=L.int32, out=out),
    lambda L, out: L.eye(2, dtype=L.float64, out=out),
    lambda L, out: L.linspace(0, 1, 2, dtype=L.float64, out=out),
    lambda L, out: L.empty(2, dtype=L.float64, out=out),
])
def test_factory_dtype_must_match_out(case):
    check_out(case, out=((2,), "float32"))


@pytest.mark.parametrize("spec", [((2, 2), "int64"), ((4,), "float64")])
def test_empty_into_out_keeps_its_values_when_the_shape_fits(spec):
    check_out(lambda L, out: L.empty(2, 2, out=out), out=spec)


def test_empty_into_out_resizes_it():
    o = ember.ones(3, dtype=ember.int32)
    assert ember.empty(2, 2, out=o) is o and o.shape == (2, 2) and o.dtype is ember.int32


def test_factory_out_requiring_grad_is_refused():
    check_out(lambda L, out: L.zeros(2, out=out.requires_grad_()), out=((2,), "float32"))
    check_out(lambda L, out: L.arange(2, out=out.requires_grad_()), out=((2,), "float32"))
    check_out(lambda L, out: L.empty(3, out=out.requires_grad_()), out=((2,), "float32"))


@requires_torch
def test_empty_memory_format_and_layout():
    for fmt, shape in (("channels_last", (2, 3, 4, 5)), ("channels_last_3d", (2, 3, 4, 5, 6)),
                       ("contiguous_format", (2, 3))):
        e = ember.empty(shape, memory_format=getattr(ember, fmt))
        t = torch.empty(shape, memory_format=getattr(torch, fmt))
        assert e.stride() == t.stride()
        e = ember.zeros_like(ember.zeros(shape), memory_format=getattr(ember, fmt))
        t = torch.zeros_like(torch.zeros(shape), memory_format=getattr(torch, fmt))
        assert e.stride() == t.stride()
    for fmt, shape in (("channels_last", (2, 3)), ("channels_last_3d", (2, 3, 4, 5)),
                       ("preserve_format", (2, 3))):
        with pytest.raises(RuntimeError) as te:
            torch.empty(shape, memory_format=getattr(torch, fmt))
        with pytest.raises(RuntimeError, match=re.escape(str(te.value))):
            ember.empty(shape, memory_format=getattr(ember, fmt))


def test_factory_refuses_other_layouts():
    for call in (lambda: ember.zeros(2, layout="torch.sparse_coo"),
                 lambda: ember.empty_like(ember.ones(2), layout="torch.sparse_coo"),
                 lambda: ember.arange(3, layout="torch.sparse_csr")):
        with pytest.raises(NotImplementedError, match="ember does not implement torch"):
            call()
    assert ember.zeros(2, layout=ember.strided).shape == (2,)


def test_integer_arange_with_a_step_truncated_to_zero():
    check_out(lambda L, out: L.arange(0, 2.5, 0.5, out=out), out=((5,), "int64"))
    check_out(lambda L, out: L.arange(0, 5.5, 1.5, dtype=L.int64), out=None)
