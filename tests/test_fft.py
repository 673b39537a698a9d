"""torch.fft against torch 2.13: values, dtypes, shapes, gradients and errors."""

import numpy as np
import pytest

import ember
from oracle import arr, check, check_error

C2C = ["fft", "ifft", "fft2", "ifft2", "fftn", "ifftn", "hfft", "hfft2", "hfftn", "irfft",
       "irfft2", "irfftn"]
R2C = ["rfft", "ihfft", "rfft2", "ihfft2", "rfftn", "ihfftn"]


def _kwargs(name, which):
    one = name[-1] not in "2n"
    return [{}, {"n": 5} if one else {"s": (2, 5)}, {"dim": 0} if one else
            ({"dim": (0,)} if name[-1] == "n" else {"dim": (1, 0)}),
            {"n": 3} if one else {"s": (-1, 3)}][which]


def _real_part(L, t):
    return L.view_as_real(t.resolve_conj()) if t.dtype.is_complex else t


@pytest.mark.parametrize("name", C2C + R2C)
@pytest.mark.parametrize("norm", [None, "ortho", "forward", "backward"])
@pytest.mark.parametrize("which", range(4))
def test_values_and_grads(name, norm, which):
    kw = _kwargs(name, which)

    def fn(L, x):
        return _real_part(L, getattr(L.fft, name)(x, norm=norm, **kw))
    check(fn, arr((3, 6)), atol=1e-5, grad_atol=1e-4)


@pytest.mark.parametrize("name", C2C)
def test_complex_input_and_double(name):
    def fn(L, re, im):
        x = L.view_as_complex(L.stack([re, im], -1))
        return _real_part(L, getattr(L.fft, name)(x))
    check(fn, arr((3, 6), seed=1), arr((3, 6), seed=2), atol=1e-5, grad_atol=1e-4)
    check(fn, arr((3, 6), "float64", seed=1), arr((3, 6), "float64", seed=2))


@pytest.mark.parametrize("name", ["fft", "rfft", "ifft", "ihfft"])
def test_dtypes(name):
    check(lambda L, x: _real_part(L, getattr(L.fft, name)(x)), arr((6,), "int64"), grad=False)
    check(lambda L, x: _real_part(L, getattr(L.fft, name)(x)), arr((6,), "float64"))


def test_freq_and_shift():
    for n in (0, 1, 4, 5):
        check(lambda L: L.fft.fftfreq(n), grad=False)
        check(lambda L: L.fft.rfftfreq(n, 0.5), grad=False)
    check(lambda L: L.fft.fftfreq(5, dtype=L.float64), grad=False)
    for dim in (None, 0, (0, 1), -1):
        check(lambda L, x: L.fft.fftshift(x, dim), arr((3, 5)))
        check(lambda L, x: L.fft.ifftshift(x, dim), arr((3, 5)))
    check(lambda L, x: L.fft.ifftshift(L.fft.fftshift(x)), arr((3, 5)))


@pytest.mark.parametrize("fn", [
    lambda L, x: L.fft.fft(x, norm="bad"), lambda L, x: L.fft.fft(x, n=0),
    lambda L, x: L.fft.fft(x, dim=2), lambda L, x: L.fft.fftn(x, s=(2, 2), dim=(0,)),
    lambda L, x: L.fft.fftn(x, dim=(0, 0)), lambda L, x: L.fft.rfft(x.to(L.complex64)),
    lambda L, x: L.fft.irfft(x, n=0), lambda L, x: L.fft.fft(x.half()),
    lambda L, x: L.fft.ihfft(x.to(L.complex64)), lambda L, x: L.fft.irfft(x[:, :1]),
    lambda L, x: L.fft.fft(x[0, 0]), lambda L, x: L.fft.rfftn(x, s=(2,), dim=(0, 1)),
    lambda L, x: L.fft.fft2(x[0]), lambda L, x: L.fft.fft(x[:, :0]),
])
def test_errors(fn):
    check_error(fn, arr((3, 4)))


def test_gradient_of_irfft_doubles_mirrored_bins():
    """irfft's backward: rfft of the gradient with the bins that stand for two doubled."""
    x = ember.complex(ember.zeros(4), ember.zeros(4)).requires_grad_()
    y = ember.fft.irfft(x, n=6)
    y.sum().backward()
    g = x.grad.numpy()
    assert np.allclose(g.real, [1.0, 0, 0, 0]) and g.shape == (4,)


FFT_ERRORS = {
    "fft n=-1": (lambda L: L.fft.fft(L.ones(4), n=-1), RuntimeError,
                 "Invalid number of data points (-1) specified"),
    "rfft n=-1": (lambda L: L.fft.rfft(L.ones(4), n=-1), RuntimeError,
                  "Invalid number of data points (-1) specified"),
    "irfft n=-1": (lambda L: L.fft.irfft(L.ones(4), n=-1), RuntimeError,
                   "Invalid number of data points (-1) specified"),
    "hfft n=-1": (lambda L: L.fft.hfft(L.ones(4), n=-1), RuntimeError,
                  "Invalid number of data points (-1) specified"),
    "ihfft n=-1": (lambda L: L.fft.ihfft(L.ones(4), n=-1), RuntimeError,
                   "Invalid number of data points (-1) specified"),
    "fftfreq int": (lambda L: L.fft.fftfreq(4, dtype=L.int64), RuntimeError,
                    "fftfreq requires a floating point or complex dtype"),
    "rfftfreq int": (lambda L: L.fft.rfftfreq(4, dtype=L.int32), RuntimeError,
                     "rfftfreq requires a floating point or complex dtype"),
    "fftfreq complex": (lambda L: L.fft.fftfreq(4, dtype=L.complex64), NotImplementedError,
                        "\"arange_cpu\" not implemented for 'ComplexFloat'"),
    "fftfreq -1": (lambda L: L.fft.fftfreq(-1), RuntimeError,
                   "Trying to create tensor with negative dimension -1: [-1]"),
}


@pytest.mark.parametrize("case", sorted(FFT_ERRORS))
def test_fft_argument_errors(case):
    """n=-1 was taken as the default length, and an integer fftfreq dtype gave zeros."""
    fn, exc, text = FFT_ERRORS[case]
    check_error(fn, exc=exc, match=text)


def test_fftn_minus_one_keeps_the_size():
    check(lambda L: L.fft.fftn(L.ones(4), s=(-1,)), grad=False)


@pytest.mark.parametrize("dtype", ["float32", "float64", "float16", "bfloat16"])
def test_freq_bits(dtype):
    """torch's fftfreq is arange(n) in the dtype times the scalar 1 / (n * d) taken in the
    dtype: one rounding in float32 (float64 for float64), not k / (n * d) rounded from float64
    (which was a last bit off for most n and d)."""
    if dtype == "bfloat16":
        pytest.importorskip("ml_dtypes")
    from oracle import torch
    np_dt = ember.bfloat16.np if dtype == "bfloat16" else np.dtype(dtype)
    work = np.float64 if dtype == "float64" else np.float32
    for n in (1, 7, 10, 33, 59):
        for d in (1.0, 0.1, 1 / 3, 2.5, -2.0, 1e-3):
            for name in ("fftfreq", "rfftfreq"):
                got = getattr(ember.fft, name)(n, d, dtype=getattr(ember, dtype))
                k = np.arange(n // 2 + 1) if name == "rfftfreq" else \
                    np.concatenate([np.arange((n + 1) // 2), np.arange(-(n // 2), 0)])
                scale = np.asarray(1.0 / (n * d)).astype(np_dt).astype(work)
                want = (k.astype(work) * scale).astype(np_dt).astype(work)
                np.testing.assert_array_equal(got.to(ember.float64).numpy(), want)
                if torch is not None:
                    t = getattr(torch.fft, name)(n, d, dtype=getattr(torch, dtype))
                    np.testing.assert_array_equal(got.to(ember.float64).numpy(),
                                                  t.double().numpy())


def test_freq_tensor_spacing():
    """torch's parser takes a 0-d tensor for `d` (and refuses a 1-d one)."""
    assert ember.fft.fftfreq(4, d=ember.tensor(0.5)).tolist() == [0.0, 0.5, -1.0, -0.5]
    assert ember.fft.rfftfreq(5, ember.tensor(2.0)).tolist() == [0.0, 0.10000000149011612,
                                                                 0.20000000298023224]
    check_error(lambda L: L.fft.fftfreq(4, d=L.tensor([0.5])), exc=TypeError,
                match="fft_fftfreq(): argument 'd' must be float, not Tensor")
