"""bfloat16 as a real dtype, against torch 2.13: promotion, casts (bitwise), creation, arithmetic,
autograd, printing, NumPy interop and checkpoints.

bfloat16 arrays need the optional ml_dtypes (`ember[bf16]`). Without it, `_need_bf16` checks
ember's clear error and then skips: the missing extra is checked, never silently skipped.
"""

import subprocess
import sys

import numpy as np
import pytest

import ember
from ember import _dtype
from oracle import torch

BF16_DTYPES = ("bool", "uint8", "int8", "int16", "int32", "int64", "float16", "bfloat16",
               "float32", "float64", "complex64", "complex128")


def _need_bf16():
    """Skips after checking ember's error when ml_dtypes is missing."""
    if _dtype.has_bfloat16():
        return
    with pytest.raises(ImportError) as ei:
        ember.zeros(2, dtype=ember.bfloat16)
    assert str(ei.value) == _dtype.BF16_EXTRA
    pytest.skip("ml_dtypes is not installed (its error was checked)")


def _need_torch():
    _need_bf16()
    if torch is None:
        pytest.skip("torch (the oracle) is not installed")


def _bits(t):
    """A bfloat16 tensor's bit patterns (ember's or torch's) as uint16."""
    if ember.is_tensor(t):
        return np.asarray(t._data).view(np.uint16)
    return t.view(torch.int16).numpy().view(np.uint16)


def _same_bits(e, t):
    """Bit-exact equality, NaNs counted equal (torch's NaN payloads vary with its CPU path)."""
    assert str(e.dtype) == str(t.dtype)
    assert tuple(e.shape) == tuple(t.shape)
    if str(t.dtype) != "torch.bfloat16":
        a, b = e.detach().numpy(), t.detach().numpy()
        np.testing.assert_array_equal(a, b)
        return
    a, b = _bits(e.detach()), _bits(t.detach())
    nan_a = (a & 0x7FFF) > 0x7F80
    nan_b = (b & 0x7FFF) > 0x7F80
    np.testing.assert_array_equal(nan_a, nan_b)
    np.testing.assert_array_equal(a[~nan_a], b[~nan_b])


def _values(seed=0, n=64, scale=3.0):
    rng = np.random.default_rng(seed)
    x = (rng.standard_normal(n) * scale).astype(np.float32)
    return x


# ---------------------------------------------------------------- the dtype object
def test_dtype_without_ml_dtypes():
    """`import ember` and the dtype object need no ml_dtypes; a bfloat16 array needs it and
    says so."""
    code = ("import sys; sys.modules['ml_dtypes'] = None\n"
            "import ember\n"
            "d = ember.bfloat16\n"
            "assert 'ml_dtypes' not in sys.modules or sys.modules['ml_dtypes'] is None\n"
            "print(d, d.itemsize, d.is_floating_point, d.is_signed, ember.finfo(d).eps,\n"
            "      ember.promote_types(d, ember.float16))\n"
            "try:\n"
            "    ember.ones(2, dtype=d)\n"
            "except ImportError as e:\n"
            "    print(e)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.splitlines()
    assert out == ["torch.bfloat16 2 True True 0.0078125 torch.float32", _dtype.BF16_EXTRA]


def test_import_does_not_load_ml_dtypes():
    code = "import sys, ember; print('ml_dtypes' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out.strip() == "False"


def test_dtype_attributes():
    d = ember.bfloat16
    got = (repr(d), d.itemsize, d.is_floating_point, d.is_complex, d.is_signed,
           d.to_complex(), d.to_real())
    if torch is None:
        pytest.skip("torch (the oracle) is not installed")
    t = torch.bfloat16
    assert got == (repr(t), t.itemsize, t.is_floating_point, t.is_complex, t.is_signed,
                   _dtype._BY_NAME[t.to_complex().__repr__()[6:]], d)
    assert ember.BFloat16Tensor.dtype is d


def test_promotion_table():
    if torch is None:
        pytest.skip("torch (the oracle) is not installed")
    for a in BF16_DTYPES:
        for b in ("bfloat16",):
            ea, eb = _dtype._BY_NAME[a], _dtype._BY_NAME[b]
            ta, tb = getattr(torch, a), getattr(torch, b)
            assert repr(ember.promote_types(ea, eb)) == repr(torch.promote_types(ta, tb))
            assert repr(ember.promote_types(eb, ea)) == repr(torch.promote_types(tb, ta))
            assert ember.can_cast(ea, eb) == torch.can_cast(ta, tb)
            assert ember.can_cast(eb, ea) == torch.can_cast(tb, ta)


@pytest.mark.parametrize("other", [1, 2.5, True, 1j, "f16_0d", "f32_0d", "f64_0d", "i64",
                                   "f16", "f32", "c64_0d"])
def test_result_type_with_bf16(other):
    _need_torch()

    def make(L):
        x = L.ones(3, dtype=L.bfloat16)
        o = {"f16_0d": lambda: L.tensor(1.0, dtype=L.float16),
             "f32_0d": lambda: L.tensor(1.0), "f64_0d": lambda: L.tensor(1.0, dtype=L.float64),
             "i64": lambda: L.ones(3, dtype=L.int64), "f16": lambda: L.ones(3, dtype=L.float16),
             "f32": lambda: L.ones(3), "c64_0d": lambda: L.tensor(1j)}
        y = o[other]() if isinstance(other, str) else other
        return L.result_type(x, y), (x + y).dtype, (y * x).dtype
    assert tuple(map(repr, make(ember))) == tuple(map(repr, make(torch)))


def test_0d_bf16_with_other_tensors():
    _need_torch()
    for name in ("float16", "float32", "int64", "uint8", "bool"):
        def f(L):
            return (L.ones(2, dtype=getattr(L, name)) + L.tensor(1, dtype=L.bfloat16)).dtype
        assert repr(f(ember)) == repr(f(torch))


# ---------------------------------------------------------------- casts, bitwise
_SPECIAL = [0.0, -0.0, 1.0, 1 + 2 ** -8, 1 + 3 * 2 ** -8, 1 + 2 ** -8 + 2 ** -30, 3.4e38, -3.4e38,
            1e-40, -1e-45, 65504.0, 1e30, float("inf"), float("-inf"), float("nan"), 300.7,
            -2.5, 1.5, 0.1, 255.9]


@pytest.mark.parametrize("src", ["float32", "float64", "float16", "int64", "int32", "uint8",
                                 "int8", "bool", "complex64"])
def test_cast_to_bf16(src):
    _need_torch()
    if src in ("int64", "int32", "uint8", "int8"):
        info = np.iinfo(src)
        vals = np.array([0, 1, -1, 7, 257, -129, 255, info.max, info.min, 2 ** 24 + 1,
                         2 ** 62 + 2 ** 54 + 1], dtype=object)
        a = np.array([int(v) for v in vals if info.min <= v <= info.max], dtype=src)
    elif src == "bool":
        a = np.array([True, False])
    elif src == "complex64":
        a = (np.array(_SPECIAL[:10], np.float32) + 1j).astype(np.complex64)
    else:
        with np.errstate(over="ignore"):
            a = np.concatenate([np.array(_SPECIAL, dtype=src), _values().astype(src)])
    e = ember.from_numpy(a.copy()).to(ember.bfloat16)
    t = torch.from_numpy(a.copy()).to(torch.bfloat16)
    _same_bits(e, t)
    _same_bits(ember.from_numpy(a.copy()).bfloat16(), t)


@pytest.mark.parametrize("dst", ["float32", "float64", "float16", "int64", "int32", "uint8",
                                 "int8", "bool", "complex64"])
def test_cast_from_bf16(dst):
    _need_torch()
    vals = np.array([v for v in _SPECIAL if dst in ("float32", "float64", "complex64")
                     or np.isfinite(v) and abs(v) < 100], np.float32)
    e = ember.from_numpy(vals.copy()).bfloat16()
    t = torch.from_numpy(vals.copy()).bfloat16()
    _same_bits(e.to(getattr(ember, dst)), t.to(getattr(torch, dst)))
    if dst == "float32":
        _same_bits(e.float(), t.float())


def test_tensor_with_dtype():
    _need_torch()
    data = [[1 + 2 ** -8 + 2 ** -30, 0.1, -3.3], [1e30, 7, float("nan")]]
    _same_bits(ember.tensor(data, dtype=ember.bfloat16), torch.tensor(data, dtype=torch.bfloat16))
    _same_bits(ember.tensor(2.7, dtype=ember.bfloat16), torch.tensor(2.7, dtype=torch.bfloat16))
    _same_bits(ember.as_tensor([1, 2, 3], dtype=ember.bfloat16),
               torch.as_tensor([1, 2, 3], dtype=torch.bfloat16))
    for name in ("zeros", "ones", "empty"):
        e, t = getattr(ember, name)(2, 3, dtype=ember.bfloat16), getattr(torch, name)(
            2, 3, dtype=torch.bfloat16)
        assert (e.dtype, e.shape, e.element_size()) == (ember.bfloat16, (2, 3), 2)
        if name != "empty":
            _same_bits(e, t)
    _same_bits(ember.full((2,), 0.1, dtype=ember.bfloat16),
               torch.full((2,), 0.1, dtype=torch.bfloat16))
    _same_bits(ember.arange(0, 3, 0.7, dtype=ember.bfloat16),
               torch.arange(0, 3, 0.7, dtype=torch.bfloat16))
    _same_bits(ember.ones(2).type(ember.BFloat16Tensor), torch.ones(2).type(torch.BFloat16Tensor))
    assert ember.ones(2, dtype=ember.bfloat16).type() == "torch.BFloat16Tensor"
    _same_bits(ember.BFloat16Tensor([1.3, 2]), torch.BFloat16Tensor([1.3, 2]))


def test_tensor_properties():
    _need_bf16()
    x = ember.ones(2, 3, dtype=ember.bfloat16)
    assert (x.element_size(), x.is_floating_point(), ember.is_floating_point(x),
            x.is_complex(), x.nbytes, x.itemsize) == (2, True, True, False, 12, 2)


# ---------------------------------------------------------------- arithmetic, bit for bit
def _pair(seed=0, shape=(8, 64)):
    rng = np.random.default_rng(seed)
    a = (rng.standard_normal(shape) * 2).astype(np.float32)
    b = (rng.standard_normal(shape) * 2).astype(np.float32)
    return a, b


_OPS = {
    "add": lambda L, x, y: x + y, "sub": lambda L, x, y: x - y, "mul": lambda L, x, y: x * y,
    "div": lambda L, x, y: x / y, "mul_scalar": lambda L, x, y: x * 1.1,
    "div_scalar": lambda L, x, y: x / 3.3, "add_scalar": lambda L, x, y: x + 1.1,
    "rsub_scalar": lambda L, x, y: 1.1 - x, "rdiv_scalar": lambda L, x, y: 1.1 / x,
    "mul_0d_f64": lambda L, x, y: x * L.tensor(0.3, dtype=L.float64),
    "neg": lambda L, x, y: -x, "abs": lambda L, x, y: x.abs(), "square": lambda L, x, y: x ** 2,
    "exp": lambda L, x, y: x.exp(), "log": lambda L, x, y: x.abs().log(),
    "sqrt": lambda L, x, y: x.abs().sqrt(), "tanh": lambda L, x, y: x.tanh(),
    "sigmoid": lambda L, x, y: x.sigmoid(), "sin": lambda L, x, y: x.sin(),
    "relu": lambda L, x, y: L.relu(x), "silu": lambda L, x, y: L.nn.functional.silu(x),
    "floor": lambda L, x, y: x.floor(), "round": lambda L, x, y: x.round(),
    "clamp": lambda L, x, y: x.clamp(-1, 1), "maximum": lambda L, x, y: L.maximum(x, y),
    "where": lambda L, x, y: L.where(x > 0, x, y), "addcmul": lambda L, x, y: L.addcmul(
        x, x, y, value=0.5),
    "matmul": lambda L, x, y: x @ y.T, "sum": lambda L, x, y: x.sum(),
    "sum_dim": lambda L, x, y: x.sum(1), "mean": lambda L, x, y: x.mean(),
    "mean_dim": lambda L, x, y: x.mean(-1), "softmax": lambda L, x, y: x.softmax(-1),
    "cumsum": lambda L, x, y: x.cumsum(1), "amax": lambda L, x, y: x.amax(1),
    "mixed_f32": lambda L, x, y: x * y.float(), "mixed_int": lambda L, x, y: x + L.arange(64),
    "argmax": lambda L, x, y: x.argmax(1), "eq": lambda L, x, y: x == y,
    "cat": lambda L, x, y: L.cat([x, y]), "sort": lambda L, x, y: x.sort(1)[0],
    "lerp_scalar": lambda L, x, y: L.lerp(x, y, 0.3), "layer_norm": lambda L, x, y:
        L.nn.functional.layer_norm(x, (64,), y[0], y[1]),
    "group_norm": lambda L, x, y: L.nn.functional.group_norm(x.reshape(8, 8, 8), 4, y[0, :8],
                                                             y[1, :8]),
    "log_softmax_last": lambda L, x, y: x.log_softmax(-1),
    "log_softmax_0": lambda L, x, y: x.log_softmax(0),
    "batch_norm_eval": lambda L, x, y: L.nn.functional.batch_norm(
        x, y[0] * 0.1, y[1].abs() + 0.5, y[2], y[3]),
}


@pytest.mark.parametrize("name", sorted(_OPS))
def test_ops_bitwise(name):
    _need_torch()
    a, b = _pair()
    f = _OPS[name]
    e = f(ember, ember.from_numpy(a).bfloat16(), ember.from_numpy(b).bfloat16())
    t = f(torch, torch.from_numpy(a).bfloat16(), torch.from_numpy(b).bfloat16())
    _same_bits(e, t)


def test_views_and_inplace_share_memory():
    """bfloat16 views stay views and in-place ops write into the tensor (ops run in float32)."""
    _need_torch()

    def run(L):
        x = L.arange(12.).reshape(3, 4).to(L.bfloat16)
        v, s = x.t(), x.split(2)[0]
        x.mul_(1.1)
        x[0] += 0.3
        return [str(v), str(s), str(x)]
    assert run(ember) == run(torch)


_GRAPHS = {
    "mul": lambda L, x, w: (x * w).sum(), "exp": lambda L, x, w: (x.exp() * w).sum(),
    "matmul": lambda L, x, w: (x @ w.T).sum(), "scalar": lambda L, x, w: (x * 1.5 + w).mean(),
    "fused": lambda L, x, w: (x.sigmoid() + x.tanh() + (x * w).softmax(-1)).sum(),
    "silu_pow": lambda L, x, w: (L.nn.functional.silu(x) * w ** 2).sum(),
}


@pytest.mark.parametrize("name", sorted(_GRAPHS))
def test_autograd_grads_in_bf16(name):
    """Gradients are bfloat16 and bit-exact: a backward reads bfloat16 gradients and saved
    tensors in float32 and rounds each input's gradient once, as torch's backward kernels."""
    _need_torch()
    a, b = _pair(1, (4, 8))

    def run(L):
        x = L.from_numpy(a).bfloat16().requires_grad_(True)
        w = L.from_numpy(b).bfloat16().requires_grad_(True)
        y = _GRAPHS[name](L, x, w)
        y.backward()
        return y, x.grad, w.grad if w.grad is not None else L.zeros(())
    for e, t in zip(run(ember), run(torch)):
        assert str(e.dtype) == str(t.dtype) == "torch.bfloat16"
        _same_bits(e.detach(), t.detach())


def test_bf16_model_forward_and_training_step():
    """A bfloat16 model (Module.bfloat16): the forward is torch's bit for bit (layer_norm
    computes in float32 as torch's kernel); gradients and an SGD step are bfloat16 and agree
    to bfloat16's precision."""
    _need_torch()

    def run(L):
        L.manual_seed(0)
        m = L.nn.Sequential(L.nn.Embedding(10, 16), L.nn.LayerNorm(16), L.nn.Linear(16, 32),
                            L.nn.GELU(approximate="tanh"), L.nn.Linear(32, 10)).bfloat16()
        y = m(L.tensor([[1, 2, 3], [4, 5, 6]]))
        loss = L.nn.functional.cross_entropy(y.reshape(-1, 10), L.tensor([1, 2, 3, 4, 5, 6]))
        loss.backward()
        with L.no_grad():  # an SGD step in bfloat16 (torch's optimizers load dynamo: slow)
            for p in m.parameters():
                p.sub_(p.grad * 0.1)
        return y, loss, m[2].weight.grad, m[2].weight
    e, t = run(ember), run(torch)
    _same_bits(e[0].detach(), t[0].detach())
    for a, b in zip(e[1:], t[1:]):
        assert str(a.dtype) == str(b.dtype) == "torch.bfloat16"
        np.testing.assert_allclose(a.detach().float().numpy(), b.detach().float().numpy(),
                                   rtol=2 ** -6, atol=2 ** -9)


# ---------------------------------------------------------------- printing and NumPy
def test_printing():
    _need_torch()
    vals = [[0.1, -2.5, 1e-3, 300.7], [float("nan"), float("inf"), 1e20, -1e-20]]
    for data in (vals, vals[0][:2], 0.1, [1.0, 2.0], []):
        e = ember.tensor(data, dtype=ember.bfloat16)
        t = torch.tensor(data, dtype=torch.bfloat16)
        assert repr(e) == repr(t)
    x = ember.ones(2, dtype=ember.bfloat16, requires_grad=True) * 3
    assert repr(x) == repr(torch.ones(2, dtype=torch.bfloat16, requires_grad=True) * 3)


def test_numpy_refuses_bf16():
    _need_bf16()
    x = ember.ones(2, dtype=ember.bfloat16)
    with pytest.raises(TypeError) as ei:
        x.numpy()
    assert str(ei.value) == "Got unsupported ScalarType BFloat16"
    if torch is not None:
        with pytest.raises(TypeError) as ti:
            torch.ones(2, dtype=torch.bfloat16).numpy()
        assert str(ti.value) == str(ei.value)


def test_from_numpy_refuses_ml_dtypes_arrays():
    _need_bf16()
    a = np.ones(2, dtype=ember.bfloat16.np)
    for fn in (ember.from_numpy, ember.tensor, ember.as_tensor):
        with pytest.raises(TypeError) as ei:
            fn(a)
        if torch is not None:
            with pytest.raises(TypeError) as ti:
                getattr(torch, fn.__name__)(a)
            assert str(ei.value) == str(ti.value)


def test_randn_values():
    _need_torch()
    for L in (ember, torch):
        L.manual_seed(0)
    e = ember.randn(3, 5, dtype=ember.bfloat16)
    t = torch.randn(3, 5, dtype=torch.bfloat16)
    _same_bits(e, t)
    for L in (ember, torch):
        L.manual_seed(1)
    _same_bits(ember.rand(7, dtype=ember.bfloat16), torch.rand(7, dtype=torch.bfloat16))


# ---------------------------------------------------------------- checkpoints
def _state(L):
    L.manual_seed(0)
    w = L.randn(4, 5).to(L.bfloat16)
    return {"w": w, "view": w[1:3, 2:], "f": L.randn(3),
            "p": L.nn.Parameter(L.randn(2, 2).to(L.bfloat16))}


@pytest.mark.parametrize("legacy", [False, True])
def test_checkpoint_from_torch_and_back(legacy, tmp_path):
    _need_torch()
    sd = _state(torch)
    path = tmp_path / "t.pt"
    torch.save(sd, path, _use_new_zipfile_serialization=not legacy)
    loaded = ember.load(path)
    for k, t in sd.items():
        assert type(loaded[k]).__name__ == type(t).__name__
        _same_bits(loaded[k].detach(), t.detach())
    back = tmp_path / "e.pt"
    ember.save(loaded, back, _use_new_zipfile_serialization=not legacy)
    again = torch.load(back)
    for k, t in sd.items():
        assert again[k].dtype == t.dtype and torch.equal(again[k], t)
    if not legacy:
        mapped = ember.load(path, mmap=True)
        _same_bits(mapped["w"], sd["w"])


def test_checkpoint_without_ml_dtypes(tmp_path):
    """Without ml_dtypes a bfloat16 checkpoint still loads, widened exactly to float32, with a
    warning naming the extra."""
    _need_bf16()
    x = ember.tensor([0.1, -3.3, 1e30], dtype=ember.bfloat16)
    path = tmp_path / "x.pt"
    ember.save({"x": x}, path)
    code = ("import sys, warnings; sys.modules['ml_dtypes'] = None\n"
            "import ember\n"
            "with warnings.catch_warnings(record=True) as w:\n"
            "    warnings.simplefilter('always')\n"
            f"    t = ember.load({str(path)!r})['x']\n"
            "print(t.dtype, t.tolist())\n"
            "print(str(w[0].message))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.splitlines()
    assert out[0] == f"torch.float32 {x.float().tolist()}"
    assert "pip install ember[bf16]" in out[1]


def test_safetensors_bf16(tmp_path):
    """safetensors' BF16 entries: little-endian bfloat16 bits, as safetensors.torch writes
    torch's bfloat16 tensors."""
    _need_torch()
    from ember import _safetensors
    vals = [[0.1, -3.3], [1e30, 7.0]]
    data = _safetensors.save({"x": ember.tensor(vals, dtype=ember.bfloat16)})
    assert b'"dtype":"BF16"' in data
    raw = torch.tensor(vals, dtype=torch.bfloat16).view(torch.int16).numpy().astype("<i2")
    assert data.endswith(raw.tobytes())
    back = _safetensors.load(data)["x"]
    _same_bits(back, torch.tensor(vals, dtype=torch.bfloat16))
    path = tmp_path / "x.safetensors"
    path.write_bytes(data)
    _same_bits(ember.load(str(path))["x"], torch.tensor(vals, dtype=torch.bfloat16))


def test_copy_randperm_and_default_dtype():
    _need_torch()
    src = [1 + 2 ** -8 + 2 ** -30, 0.1, -7.77]
    _same_bits(ember.zeros(3, dtype=ember.bfloat16).copy_(ember.tensor(src, dtype=ember.float64)),
               torch.zeros(3, dtype=torch.bfloat16).copy_(torch.tensor(src, dtype=torch.float64)))
    for L in (ember, torch):
        L.manual_seed(0)
    _same_bits(ember.randperm(300, dtype=ember.bfloat16), torch.randperm(300, dtype=torch.bfloat16))

    def default(L):
        L.set_default_dtype(L.bfloat16)
        try:
            L.manual_seed(0)
            return L.tensor([0.1, 2.7]), L.randn(4), L.arange(0., 2, 0.3), L.ones(2) * 0.1
        finally:
            L.set_default_dtype(L.float32)
    for e, t in zip(default(ember), default(torch)):
        _same_bits(e, t)


@pytest.mark.parametrize("case", ["matmul", "linear", "lerp"])
def test_dtype_mismatch_errors_name_bfloat16(case):
    """torch's errors name bfloat16 as its C++ type, c10::BFloat16."""
    _need_torch()

    def run(L):
        x, w = L.ones(2, 3, dtype=L.bfloat16), L.ones(3, 2)
        fn = {"matmul": lambda: x @ w, "linear": lambda: L.nn.functional.linear(x, w.T),
              "lerp": lambda: L.lerp(x, x, L.ones(2, 3))}[case]
        with pytest.raises(RuntimeError) as ei:
            fn()
        return str(ei.value)
    assert run(ember) == run(torch)


# ---------------------------------------------------------------- float16, which shares the casts
def test_float16_rounds_doubles_through_float32():
    """torch converts a double to half through float (two roundings), as to bfloat16."""
    if torch is None:
        pytest.skip("torch (the oracle) is not installed")
    x = np.array([1 + 2 ** -11 + 2 ** -40, 3 + 2 ** -9 + 2 ** -35, 2049.0000001, 1e6, -0.1])

    def run(L):
        return [L.from_numpy(x.copy()).half(), L.tensor(list(x), dtype=L.float16),
                L.tensor(x, dtype=L.float16), L.as_tensor(x, dtype=L.float16),
                L.zeros(5, dtype=L.float16).copy_(L.from_numpy(x.copy()))]
    for e, t in zip(run(ember), run(torch)):
        np.testing.assert_array_equal(e.numpy(), t.numpy())


@pytest.mark.parametrize("kind", ["longdouble", "str", "object"])
def test_unsupported_numpy_types_named_as_torch(kind):
    if torch is None:
        pytest.skip("torch (the oracle) is not installed")
    a = {"longdouble": np.array([1], np.longdouble), "str": np.array(["a"]),
         "object": np.array([1], object)}[kind]
    for name in ("as_tensor", "from_numpy"):
        with pytest.raises(TypeError) as ei:
            getattr(ember, name)(a)
        with pytest.raises(TypeError) as ti:
            getattr(torch, name)(a)
        assert str(ei.value) == str(ti.value)
