"""Convolutions with mixed input / weight / bias dtypes: torch's exception type and text for every
combination (which depend on the layer of torch that objects first: conv1d/2d/3d's bias check,
the complex check, oneDNN's type check, the slow kernels' dtype dispatch and weight read), what
torch computes for the mixes it takes, and the learner hint on a module's dtype error."""

import itertools
import warnings

import numpy as np
import pytest

import ember
from oracle import arr, check, check_error, torch

FNS = [("conv1d", 1, False), ("conv2d", 2, False), ("conv3d", 3, False),
       ("conv_transpose1d", 1, True), ("conv_transpose2d", 2, True),
       ("conv_transpose3d", 3, True)]
DTYPES = ["float32", "float64", "int64", "int32"]


def _outcome(L, fname, nd, tr, xd, wd, bd, batch, kw):
    xs = ((batch,) if batch is not None else ()) + (2,) + (4,) * nd
    x = L.ones(xs).to(getattr(L, xd))
    w = L.ones((2, 2) + (3,) * nd).to(getattr(L, wd))
    b = None if bd is None else L.ones(2).to(getattr(L, bd))
    try:
        y = getattr(L.nn.functional, fname)(x, w, b, **kw)
    except Exception as e:  # noqa: BLE001 - the outcome is what is compared
        return type(e).__name__, str(e)
    return "ok", str(y.dtype), tuple(y.shape), float(y.double().sum())


@pytest.mark.skipif(torch is None, reason="torch (the oracle) is not installed")
@pytest.mark.parametrize("batch,kw", [(1, {}), (2, {}), (None, {}), (1, {"dilation": 2})],
                         ids=["batch1-slow", "batch2-onednn", "unbatched", "dilated"])
@pytest.mark.parametrize("fname,nd,tr", FNS, ids=[f[0] for f in FNS])
def test_every_dtype_mix_raises_or_computes_as_torch(fname, nd, tr, batch, kw):
    seen = set()
    for xd, wd, bd in itertools.product(DTYPES, DTYPES, DTYPES + [None]):
        e = _outcome(ember, fname, nd, tr, xd, wd, bd, batch, kw)
        t = _outcome(torch, fname, nd, tr, xd, wd, bd, batch, kw)
        assert e == t, (xd, wd, bd, e, t)
        seen.add(t[0])
    assert "RuntimeError" in seen  # the mixes are refused somewhere, so the test can fail


T_INPUT_DOUBLE_BIAS = "Input type (double) and bias type (float) should be the same"
ERROR_CASES = [  # (function, x dtype, w dtype, b dtype, batch, torch's exception, its text)
    ("conv2d", "float64", "float64", "float32", 1, RuntimeError, T_INPUT_DOUBLE_BIAS),
    ("conv1d", "int64", "int64", "int32", 2, RuntimeError,
     "Input type (long int) and bias type (int) should be the same"),
    ("conv2d", "float64", "float32", None, 1, RuntimeError,
     "expected scalar type Double but found Float"),
    ("conv2d", "float32", "float64", None, 1, RuntimeError,
     "expected scalar type Float but found Double"),
    ("conv2d", "float32", "float64", None, 2, RuntimeError,
     "Input type (torch.FloatTensor) and weight type (torch.DoubleTensor) should be the same or "
     "input should be a MKLDNN tensor and weight is a dense tensor"),
    ("conv3d", "int64", "float32", "int64", 2, RuntimeError,
     "expected scalar type Long but found Float"),
    ("conv2d", "bool", "bool", None, 1, NotImplementedError,
     "\"slow_conv2d_cpu\" not implemented for 'Bool'"),
    ("conv3d", "bool", "float32", None, 1, NotImplementedError,
     "\"compute_columns3d\" not implemented for 'Bool'"),
    ("conv_transpose2d", "int32", "int32", None, 1, NotImplementedError,
     "\"slow_conv_transpose2d_out_cpu\" not implemented for 'Int'"),
    ("conv_transpose3d", "float32", "float32", "float64", 1, RuntimeError,
     "expected scalar type Float but found Double"),
    ("conv_transpose2d", "float32", "float32", "float64", 2, RuntimeError,
     "Input type (torch.FloatTensor) and bias type (torch.DoubleTensor) should be the same or "
     "input should be a MKLDNN tensor and bias is a dense tensor"),
    ("conv_transpose1d", "int64", "int64", "float32", 1, RuntimeError,
     "result type Float can't be cast to the desired output type Long"),
    ("conv2d", "complex64", "float32", None, 1, RuntimeError,
     "Input type (CPUComplexFloatType) and weight type (torch.FloatTensor) should be the same"),
    ("conv_transpose2d", "complex64", "complex64", "complex128", 1, RuntimeError,
     "Input type (CPUComplexFloatType) and bias type (CPUComplexDoubleType) should be the same"),
    ("conv2d", "uint8", "bool", "float16", 1, RuntimeError,
     "Input type (unsigned char) and bias type (c10::Half) should be the same"),
]


@pytest.mark.parametrize("case", range(len(ERROR_CASES)))
def test_exact_error_texts(case):
    fname, xd, wd, bd, batch, exc, text = ERROR_CASES[case]
    nd = int(fname[-2])
    tr = "transpose" in fname

    def fn(L):
        x = L.ones((batch, 2) + (4,) * nd, dtype=getattr(L, xd))
        w = L.ones((2, 2) + (3,) * nd, dtype=getattr(L, wd))
        b = None if bd is None else L.ones(2, dtype=getattr(L, bd))
        assert tr == fname.startswith("conv_t")
        return getattr(L.nn.functional, fname)(x, w, b)
    check_error(fn, exc=exc, match=text)


def test_padding_strings_skip_the_bias_check_and_the_kernel_casts_it():
    # conv2d(padding='same') goes straight to the backend, whose slow kernel casts the bias
    check(lambda L, x, w, b: L.nn.functional.conv2d(x, w, b.double(), padding="same"),
          arr((1, 2, 5, 5)), arr((3, 2, 3, 3), seed=1), arr((3,), seed=2))
    check(lambda L, x, w, b: L.nn.functional.conv1d(x.long(), w.long(), b, padding="valid"),
          arr((1, 2, 6), "int64", low=-3, high=3), arr((3, 2, 3), "int64", seed=1, low=-3,
                                                       high=3), arr((3,), seed=2), grad=False)


def test_transposed_2d_kernel_adds_any_castable_bias():
    y = check(lambda L, x, w, b: L.nn.functional.conv_transpose2d(x, w, b.double(), stride=2),
              arr((1, 2, 3, 3)), arr((2, 3, 3, 3), seed=1), arr((3,), seed=2))
    assert y.dtype is ember.float32
    check(lambda L, x, w: L.nn.functional.conv_transpose1d(x, w, L.ones(3, dtype=L.int32)),
          arr((1, 2, 4), "int64"), arr((2, 3, 3), "int64", seed=1), grad=False)


def test_empty_inputs_promote_as_torchs_multiply():
    # a zero batch: input * weight[0] (a 0-d tensor: float from an int64 input)
    y = check(lambda L, x, w: L.nn.functional.conv2d(x, w), arr((0, 2, 5, 5), "int64"),
              arr((3, 2, 3, 3)), grad=False)
    assert y.dtype is ember.float32 and y.shape == (0, 3, 3, 3)
    # no input channels: torch gives an output without channels, gradients of zeros
    y = check(lambda L, x, w, b: L.nn.functional.conv2d(x, w.double(), b, padding="valid"),
              arr((2, 0, 5, 5)), arr((3, 0, 3, 3)), arr((3,)), grad=False)
    assert y.dtype is ember.float64 and y.shape == (2, 0, 3, 3)
    check(lambda L, x, w, b: L.nn.functional.conv2d(x, w, b), arr((2, 0, 5, 5)),
          arr((3, 0, 3, 3)), arr((3,)))
    check_error(lambda L: L.nn.functional.conv_transpose2d(
        L.zeros(0, 2, 3, 3, dtype=L.float64), L.zeros(2, 3, 3, 3), L.zeros(3, dtype=L.complex64)),
        exc=RuntimeError, match="result type ComplexDouble can't be cast to the desired output "
                                "type Double")


def test_complex_bias_in_a_real_slow_kernel_is_cast_with_torchs_warning():
    def fn(L):
        with warnings.catch_warnings(record=True) as seen:
            warnings.simplefilter("always")
            y = L.nn.functional.conv2d(L.ones(1, 1, 3, 3, dtype=L.float64),
                                       L.ones(1, 1, 3, 3, dtype=L.float64),
                                       L.ones(1, dtype=L.complex64), padding="same")
        if L is ember:  # torch warns once per process (TORCH_WARN_ONCE): maybe not here
            assert any("discards the imaginary part" in str(w.message) for w in seen)
        return y
    assert fn(ember).dtype is ember.float64
    if torch is not None:
        np.testing.assert_allclose(fn(ember).numpy(), fn(torch).numpy())


@pytest.mark.skipif(torch is None, reason="torch (the oracle) is not installed")
def test_onednn_off_gives_nnpacks_text():
    def fn(L):
        x, w = L.ones(16, 2, 5, 5), L.ones(3, 2, 3, 3, dtype=L.float64)
        old = L.backends.mkldnn.enabled
        L.backends.mkldnn.enabled = False
        try:
            return L.nn.functional.conv2d(x, w)
        finally:
            L.backends.mkldnn.enabled = old
    check_error(fn, exc=RuntimeError, match="Mismatched Tensor types in NNPack convolutionOutput")


@pytest.mark.skipif(torch is None or not (torch.ops.mkldnn._is_mkldnn_bf16_supported() and
                                          torch.ops.mkldnn._is_mkldnn_fp16_supported()),
                    reason="torch's float16/bfloat16 texts depend on this CPU's oneDNN support")
@pytest.mark.parametrize("xd,wd", [("float16", "float32"), ("bfloat16", "float64"),
                                   ("float32", "bfloat16")])
def test_low_precision_inputs_go_to_onednn(xd, wd):
    check_error(lambda L: L.nn.functional.conv2d(L.ones(1, 2, 4, 4, dtype=getattr(L, xd)),
                                                 L.ones(2, 2, 3, 3, dtype=getattr(L, wd))))


@pytest.mark.parametrize("bias,dtype,text", [
    (True, "float64", "Input type (double) and bias type (float) should be the same"),
    (True, "int64", "Input type (long int) and bias type (float) should be the same"),
    (False, "float64", "expected scalar type Double but found Float"),
    (False, "int64", "expected scalar type Long but found Float"),
])
def test_conv_module_dtype_error_keeps_torchs_text_and_the_hint(bias, dtype, text):
    def fn(L):
        model = L.nn.Sequential(L.nn.Conv2d(1, 4, 3, bias=bias), L.nn.ReLU())
        return model(L.zeros(4, 1, 8, 8, dtype=getattr(L, dtype)))
    e = check_error(fn, exc=RuntimeError, match=text)
    notes = [n for n in getattr(e, "__notes__", ()) if n.startswith("ember hint: ")]
    assert len(notes) == 1, getattr(e, "__notes__", None)
    assert "raised in model.0 (Conv2d(1, 4, kernel_size=(3, 3), stride=(1, 1)" in notes[0]
    fix = "x.to(torch.float32)" if dtype == "float64" else "convert it with x.float()"
    assert fix in notes[0], notes[0]
