"""Tensor printing: golden vectors printed by torch 2.13, and live comparisons with torch.

The vectors (tests/data/print_vectors.json, made by tools/gen_print_vectors.py) carry each
input's exact bytes, so every case is rebuilt as a real ember Tensor without ember's ops.
`_Stub` is a minimal tensor with the attributes the printer reads, for what ember cannot hold
(bfloat16, meta, a cuda tensor on a host without a GPU).
"""

import base64
import json
import math
import os
import time
import zlib

import numpy as np
import pytest

from ember import _dtype, _printing
from ember._device import cuda_available, device
from ember._printing import get_printoptions, parameter_repr, set_printoptions, tensor_repr
from ember._tensor import _wrap
from ember.autograd.function import Node

HERE = os.path.dirname(os.path.abspath(__file__))
with open(os.path.join(HERE, "data", "print_vectors.json")) as f:
    VECTORS = json.load(f)["cases"]
# bfloat16 is a real dtype when ml_dtypes is installed; without it a stub prints it
DTYPES = {k: v for k, v in _dtype._BY_NAME.items() if k != "bfloat16" or _dtype.has_bfloat16()}


class _FakeDtype:
    """A dtype ember does not have (bfloat16), enough for printing."""

    def __init__(self, name):
        self.name, self.is_floating_point, self.is_complex = name, True, False

    def __repr__(self):
        return "torch." + self.name


class _GradFn:
    def __init__(self, name):
        self._name = name

    def name(self):
        return self._name


class _Stub:
    def __init__(self, data, dtype=None, requires_grad=False, grad_fn=None, dev="cpu",
                 shape=None):
        self._data = data
        self.dtype = dtype or _dtype.from_numpy_dtype(data.dtype)
        self.shape = tuple(data.shape) if shape is None else tuple(shape)
        self.requires_grad = requires_grad
        self.grad_fn = _GradFn(grad_fn) if grad_fn else None
        self.device = device(dev)


@pytest.fixture(autouse=True)
def _reset_options():
    set_printoptions(profile="default")
    _dtype.set_default_dtype(_dtype.float32)
    yield
    set_printoptions(profile="default")
    _dtype.set_default_dtype(_dtype.float32)


def _array(inp):
    raw = zlib.decompress(base64.b64decode(inp["raw"]))
    if inp["dtype"] == "bfloat16":  # the top half of a float32
        bits = np.frombuffer(raw, np.uint16)
        a = (bits.view(DTYPES["bfloat16"].np) if "bfloat16" in DTYPES else
             (bits.astype(np.uint32) << 16).view(np.float32))
    else:
        a = np.frombuffer(raw, DTYPES[inp["dtype"]].np)
    return a.reshape(inp["shape"])


def _tensor(data, requires_grad=False, grad_fn=None):
    """A real ember Tensor on `data`, with a graph node named `grad_fn` if given."""
    node = None
    if grad_fn:
        node = Node()
        node._name = grad_fn
    return _wrap(data, requires_grad, node)


def _from_vector(case):
    inp = case["input"]
    if inp["dtype"] in DTYPES and inp["device"] == "cpu":
        return _tensor(_array(inp), inp["requires_grad"], inp["grad_fn"])
    dtype = DTYPES.get(inp["dtype"]) or _FakeDtype(inp["dtype"])
    data = np.empty(0, np.float32) if inp["device"] == "meta" else _array(inp)
    return _Stub(data, dtype, inp["requires_grad"], inp["grad_fn"], inp["device"], inp["shape"])


def _apply_case_options(case):
    set_printoptions(**case["printoptions"])
    _dtype.set_default_dtype(DTYPES[case["default_dtype"]])


TESTABLE = [c for c in VECTORS if c["input"]["layout"] == "strided"]


def test_enough_vectors():
    assert len(TESTABLE) >= 150


@pytest.mark.parametrize("case", TESTABLE, ids=[c["id"] for c in TESTABLE])
def test_vector(case, monkeypatch):
    if "_default_device" in case.get("note", ""):
        monkeypatch.setattr(_printing, "_default_device_type", lambda: "cuda")
    t = _from_vector(case)
    _apply_case_options(case)
    text = parameter_repr(t) if case["input"]["is_parameter"] else tensor_repr(t)
    assert text == case["expected"]


def test_printoptions_quirks():
    assert get_printoptions() == {"precision": 4, "threshold": 1000, "edgeitems": 3,
                                  "linewidth": 80, "sci_mode": None}
    set_printoptions(precision=2, sci_mode=True)
    assert get_printoptions()["sci_mode"] is True
    set_printoptions(linewidth=100)  # omitting sci_mode resets it
    assert get_printoptions() == {"precision": 2, "threshold": 1000, "edgeitems": 3,
                                  "linewidth": 100, "sci_mode": None}
    set_printoptions(profile="short")
    assert get_printoptions()["precision"] == 2 and get_printoptions()["edgeitems"] == 2
    assert get_printoptions()["linewidth"] == 80
    set_printoptions(profile="full", precision=6)
    assert get_printoptions()["threshold"] == math.inf and get_printoptions()["precision"] == 6


def test_huge_tensor_is_fast():
    # 10**9 elements through a zero-stride view: only the edges may be touched
    data = np.broadcast_to(np.float32(1.5), (1000, 1000, 1000))
    start = time.perf_counter()
    text = repr(_tensor(data))
    assert time.perf_counter() - start < 0.5
    assert text.startswith("tensor([[[1.5000, 1.5000, 1.5000,  ..., 1.5000, 1.5000, 1.5000],")
    assert text.count("...") == 1 + 6 + 6 * 6  # one per cut dim of each block


def test_non_contiguous_view():
    data = np.arange(12, dtype=np.int64).reshape(3, 4)[:, ::-2].T
    assert repr(_tensor(data)) == "tensor([[ 3,  7, 11],\n        [ 1,  5,  9]])"


# ------------------------------------------------------------------ live comparison with torch
_LIVE_DTYPES = ["float32", "float64", "float16", "complex64", "complex128", "int64", "int32",
                "int16", "int8", "uint8", "bool"]
_SHAPES = [(), (1,), (5,), (17,), (3, 4), (2, 3, 5), (2, 1, 3, 2), (40, 30), (1200,),
           (7, 9, 20), (0,), (3, 0), (2, 2, 2, 2, 2)]
_OPTIONS = [{}, {"precision": 2}, {"precision": 7}, {"sci_mode": True}, {"sci_mode": False},
            {"threshold": 20}, {"threshold": 20, "edgeitems": 1}, {"edgeitems": 0},
            {"linewidth": 45}, {"linewidth": 150, "precision": 1}, {"profile": "short"},
            {"threshold": 5, "edgeitems": 4, "linewidth": 30}]


def _random_array(rng, dtype, shape):
    if dtype == "bool":
        return rng.random(shape) < 0.5
    if dtype in ("int64", "int32", "int16", "int8", "uint8"):
        info = np.iinfo(dtype)
        hi = min(info.max, 10 ** int(rng.integers(1, 19)))
        lo = max(info.min, -hi)
        return rng.integers(lo, hi, size=shape, endpoint=True).astype(dtype)
    real = _random_floats(rng, shape)
    if dtype.startswith("complex"):
        real = real + 1j * _random_floats(rng, shape)
    return real.astype(dtype)


def _random_floats(rng, shape):
    kind = rng.integers(0, 5)
    scale = 10.0 ** rng.integers(-12, 13)
    x = rng.standard_normal(shape) * scale
    if kind == 1:  # integral values
        x = np.round(rng.standard_normal(shape) * 10 ** rng.integers(0, 10))
    elif kind == 2:  # specials sprinkled in
        x = np.where(rng.random(shape) < 0.2, rng.choice([0.0, -0.0, np.nan, np.inf, -np.inf],
                                                          size=shape), x)
    elif kind == 3:  # wide dynamic range
        x = x * 10.0 ** rng.integers(-6, 7, size=shape)
    return np.asarray(x, dtype=np.float64)


def test_live_random_against_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(1234)
    mismatches = []
    try:
        for i in range(600):
            dtype = _LIVE_DTYPES[i % len(_LIVE_DTYPES)]
            shape = _SHAPES[int(rng.integers(len(_SHAPES)))]
            opts = _OPTIONS[int(rng.integers(len(_OPTIONS)))]
            with np.errstate(all="ignore"):
                arr = np.asarray(_random_array(rng, dtype, shape))
            if rng.random() < 0.2 and arr.ndim >= 2:
                arr = arr.swapaxes(0, -1)  # non-contiguous
            grad = dtype.startswith("float") and rng.random() < 0.2
            ref = torch.from_numpy(arr.copy()).requires_grad_(grad)  # copy: C order, 0-d kept
            for set_options in (torch.set_printoptions, set_printoptions):
                set_options(profile="default")
                set_options(**opts)
            got = repr(_tensor(arr, requires_grad=grad))
            if got != repr(ref):
                mismatches.append((dtype, shape, opts, got, repr(ref)))
    finally:
        torch.set_printoptions(profile="default")
    assert not mismatches, mismatches[:3]


def test_live_default_dtype_suffixes_against_torch():
    torch = pytest.importorskip("torch")
    try:
        for default in ("float64", "float16", "float32"):
            torch.set_default_dtype(getattr(torch, default))
            _dtype.set_default_dtype(DTYPES[default])
            for name in _LIVE_DTYPES:
                for shape in ((2,), (0,), (2, 0)):
                    arr = np.ones(shape, dtype=name)
                    assert repr(_tensor(arr)) == repr(torch.from_numpy(arr))
    finally:
        torch.set_default_dtype(torch.float32)


# ------------------------------------------------------------------ the vectors' code on ember
# Snippets that need something ember lacks; the printing itself is checked for them by
# test_vector. Strict: a snippet that starts to work must leave this table.
_KNOWN = {} if "bfloat16" in DTYPES else {"bf16": "ember needs ml_dtypes for bfloat16"}
_EXEC_CASES = [
    pytest.param(c, id=c["id"], marks=[pytest.mark.xfail(reason=_KNOWN[c["id"]], strict=True)]
                 if c["id"] in _KNOWN else [])
    for c in TESTABLE if not c.get("derived") and "_default_device" not in c.get("note", "")]


@pytest.mark.parametrize("case", _EXEC_CASES)
def test_vector_code_on_ember(case):
    import ember

    ns = {"torch": ember}
    exec(case["code"], ns)
    assert repr(ns["t"]) == case["expected"]


def test_cuda_tensor_prints_device():
    if not cuda_available():
        pytest.skip("no CUDA device")
    cp = device("cuda", 0).xp
    data = np.arange(2000, dtype=np.float64).reshape(40, 50) / 3
    t = _wrap(cp.asarray(data), True)
    expected = tensor_repr(_Stub(data, requires_grad=True, dev="cuda:0"))
    assert "device='cuda:0', dtype=torch.float64" in expected
    assert repr(t) == expected


def test_grad_fn_printed_without_namespace():
    """torch prints a C++ node by its class name (CopySlices), not its qualified name()."""
    import ember
    a = ember.ones(2, requires_grad=True)
    b = a * 1
    b[0] = 5
    assert b.grad_fn.name() == "torch::autograd::CopySlices"
    assert repr(b) == "tensor([5., 1.], grad_fn=<CopySlices>)"
    m = ember.ones(2, device="meta", requires_grad=True) * 1
    m[0] = 5
    assert repr(m) == "tensor(..., device='meta', size=(2,), grad_fn=<CopySlices>)"
