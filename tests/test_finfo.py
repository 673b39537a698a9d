"""torch.finfo / torch.iinfo against torch 2.13: every attribute's value and type, reprs, equality,
immutability and the errors for wrong arguments."""

import pytest

import ember
from oracle import requires_torch, torch

FLOATS = ("float16", "bfloat16", "float32", "float64", "complex64", "complex128")
INTS = ("uint8", "int8", "int16", "int32", "int64")
F_ATTRS = ("bits", "eps", "max", "min", "tiny", "smallest_normal", "resolution", "dtype")
I_ATTRS = ("bits", "min", "max", "dtype")


def _fields(info, attrs):
    return [(a, getattr(info, a), type(getattr(info, a)).__name__) for a in attrs]


def test_lazy_names():
    assert ember.finfo is ember._finfo.finfo and ember.iinfo is ember._finfo.iinfo


def test_without_torch_basics():
    """Self-consistency that needs no oracle (the oracle tests pin the exact values)."""
    f = ember.finfo(ember.float32)
    assert (f.bits, f.dtype, f.min, f.eps) == (32, "float32", -f.max, 2.0 ** -23)
    b = ember.finfo(ember.bfloat16)
    assert (b.bits, b.eps, b.tiny) == (16, 2.0 ** -7, 2.0 ** -126)
    assert ember.iinfo(ember.int8).min == -128


@requires_torch
@pytest.mark.parametrize("name", FLOATS)
def test_finfo_values(name):
    e, t = ember.finfo(getattr(ember, name)), torch.finfo(getattr(torch, name))
    assert _fields(e, F_ATTRS) == _fields(t, F_ATTRS)
    assert repr(e) == repr(t) and str(e) == str(t)
    assert ember.finfo(type=getattr(ember, name)) == e


@requires_torch
@pytest.mark.parametrize("name", INTS)
def test_iinfo_values(name):
    e, t = ember.iinfo(getattr(ember, name)), torch.iinfo(getattr(torch, name))
    assert _fields(e, I_ATTRS) == _fields(t, I_ATTRS)
    assert repr(e) == repr(t) and str(e) == str(t)
    assert ember.iinfo(type=getattr(ember, name)) == e


@requires_torch
@pytest.mark.parametrize("name", ["float64", "bfloat16", "float16"])
def test_finfo_default_is_default_dtype(name):
    for L in (ember, torch):
        L.set_default_dtype(getattr(L, name))
    try:
        assert repr(ember.finfo()) == repr(torch.finfo())
    finally:
        ember.set_default_dtype(ember.float32)
        torch.set_default_dtype(torch.float32)


def _outcome(fn):
    try:
        r = fn()
    except Exception as e:  # noqa: BLE001 -- the exception is the outcome compared
        return type(e).__name__, str(e)
    return "ok", repr(r)


_CASES = [
    lambda L: L.iinfo(L.bool),
    lambda L: L.iinfo(L.float32),
    lambda L: L.iinfo(L.complex64),
    lambda L: L.finfo(L.int32),
    lambda L: L.finfo(L.bool),
    lambda L: L.finfo("float"),
    lambda L: L.finfo(None),
    lambda L: L.iinfo(3),
    lambda L: L.iinfo(),
    lambda L: L.finfo(L.float32, 1),
    lambda L: L.finfo(L.float32, L.float32),
    lambda L: L.finfo(1, 2, 3),
    lambda L: L.finfo(L.int32, type=L.float32),
    lambda L: L.finfo(foo=1),
    lambda L: L.iinfo(foo=1),
    lambda L: L.iinfo(L.int32, 1),
    lambda L: L.iinfo(L.float32, type=L.float32),
    lambda L: setattr(L.finfo(L.float32), "eps", 1),
    lambda L: setattr(L.iinfo(L.int8), "max", 1),
    lambda L: L.finfo(L.float32).foo,
    lambda L: hash(L.finfo(L.float32)),
    lambda L: L.finfo(L.float32) == L.finfo(L.float32),
    lambda L: L.finfo(L.float32) == L.finfo(L.complex64),
    lambda L: L.finfo(L.float32) != L.finfo(L.float64),
    lambda L: L.finfo(L.float32) == 1,
    lambda L: L.finfo(L.float32) == L.iinfo(L.int32),
    lambda L: L.iinfo(L.int32) == L.iinfo(L.int32),
    lambda L: isinstance(L.finfo(L.float16), L.finfo),
    lambda L: type(L.finfo).__name__,
]


@requires_torch
@pytest.mark.parametrize("case", range(len(_CASES)))
def test_outcomes_match_torch(case):
    fn = _CASES[case]
    assert _outcome(lambda: fn(ember)) == _outcome(lambda: fn(torch))
