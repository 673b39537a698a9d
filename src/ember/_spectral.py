"""torch.stft for real signals and torch.istft: frames, window and DFT, as torch's kernels.

The signal is padded (center=True, torch's pad modes), cut into frames with `unfold` and
windowed with ember ops, so autograd flows through them; `_RealDFT` is the one primitive: its
forward is NumPy's FFT (rounded to the input's precision), its backward the adjoint DFT
(Re(N * ifft) of the zero-extended gradient). The spectrum comes back complex (values only:
ember has no complex autograd, so an input that requires grad needs return_complex=False, which
returns torch's (..., 2) real layout and is differentiable). Complex signals or windows, and
align_to_window=True, are refused. istft (inverse DFT of each frame, windowed overlap-add divided
by the summed squared window) computes values with NumPy; ember's complex tensors carry no
gradient, so there is nothing to differentiate.
"""

import math
import warnings

import numpy as np

from . import _dtype as D
from ._args import EmberNotImplementedError, unsupported
from ._tensor import _wrap
from .autograd import Function
from .autograd.grad_mode import is_grad_enabled

_WARNED = set()


def _warn_once(key, text):
    if key not in _WARNED:  # torch's TORCH_WARN_ONCE
        _WARNED.add(key)
        warnings.warn(text, UserWarning, stacklevel=4)


class _RealDFT(Function):
    """(..., n) real frames -> (..., nfreq, 2) real and imaginary parts of their DFT."""

    @staticmethod
    def forward(ctx, frames, onesided, scale):
        x = frames._data
        ctx.n, ctx.scale = x.shape[-1], scale
        z = np.fft.rfft(x.astype(np.float64), axis=-1) if onesided else \
            np.fft.fft(x.astype(np.float64), axis=-1)
        z = z * scale
        return _wrap(np.stack([z.real, z.imag], -1).astype(x.dtype))

    @staticmethod
    def backward(ctx, grad):
        g = grad._data.astype(np.float64)
        full = np.zeros(g.shape[:-2] + (ctx.n,), np.complex128)
        full[..., :g.shape[-2]] = g[..., 0] + 1j * g[..., 1]
        dx = np.real(np.fft.ifft(full, axis=-1)) * ctx.n * ctx.scale  # the DFT's adjoint
        return _wrap(dx.astype(grad._data.dtype)), None, None


def _repr(x, n_fft, hop, win, window, normalized, onesided, return_complex, align):
    shown_window = "None" if window is None else \
        f"torch.{window.dtype._legacy}{{{list(window.shape)}}}"
    opt = (lambda v: "None" if v is None else str(int(v)))
    return (f"stft(torch.{x.dtype._legacy}{list(x.shape)}, n_fft={n_fft}, hop_length={hop}, "
            f"win_length={win}, window={shown_window}, normalized={int(normalized)}, "
            f"onesided={opt(onesided)}, return_complex={opt(return_complex)}, "
            f"align_to_window={opt(align)}) : ")


def stft(input, n_fft, hop_length=None, win_length=None, window=None, center=True,
         pad_mode="reflect", normalized=False, onesided=None, return_complex=None,
         align_to_window=None):
    """Matches torch.stft for real signals and windows."""
    if center and align_to_window is not None:
        raise RuntimeError("stft align_to_window should only be set when center = false")
    if align_to_window:
        unsupported("torch.stft", "align_to_window", align_to_window)
    if center:
        from .nn.functional import pad
        nd = input.dim()
        extended = [1] * (3 - nd) + list(input.shape)
        p = n_fft // 2
        input = pad(input.view(extended), [p, p], pad_mode)
        input = input.view(input.shape[-nd:])
    hop = hop_length if hop_length is not None else n_fft >> 2
    win = win_length if win_length is not None else n_fft
    shown = _repr(input, n_fft, hop, win, window, normalized, onesided, return_complex,
                  align_to_window)
    if input.dtype.is_complex or (window is not None and window.dtype.is_complex):
        raise EmberNotImplementedError("ember does not implement torch.stft of complex signals or"
                                       " windows yet: it has no complex autograd")
    if not return_complex:
        if return_complex is None:
            raise RuntimeError("stft requires the return_complex parameter be given for real "
                               "inputs, and will further require that return_complex=True in a "
                               "future PyTorch release.")
        _warn_once("real", "stft with return_complex=False is deprecated. In a future pytorch "
                   "release, stft will return complex tensors for all inputs, and "
                   "return_complex=False will raise an error.\nNote: you can still call "
                   "torch.view_as_real on the complex output to recover the old return format.")
    if not input.dtype.is_floating_point:
        raise RuntimeError(shown + "expected a tensor of floating point or complex values")
    if input.dim() not in (1, 2):
        raise RuntimeError(shown + "expected a 1D or 2D tensor")
    x = input.unsqueeze(0) if input.dim() == 1 else input
    length = x.shape[1]
    if n_fft <= 0 or n_fft > length:
        raise RuntimeError(shown + f"expected 0 < n_fft < {length}, but got n_fft={win}")
    if hop <= 0:
        raise RuntimeError(shown + f"expected hop_length > 0, but got hop_length={hop}")
    if win <= 0 or win > n_fft:
        raise RuntimeError(shown + f"expected 0 < win_length <= n_fft, but got win_length={win}")
    if window is not None and (window.dim() != 1 or window.shape[0] != win):
        raise RuntimeError(shown + f"expected a 1D window tensor of size equal to win_length="
                           f"{win}, but got window with size {list(window.shape)}")
    if window is None:
        _warn_once("window", "A window was not provided. A rectangular window will be applied,"
                   "which is known to cause spectral leakage. Other windows such as "
                   "torch.hann_window or torch.hamming_window are recommended to reduce spectral"
                   " leakage.To suppress this warning and use a rectangular window, explicitly "
                   "set `window=torch.ones(n_fft, device=<device>)`.")
    if onesided is None:
        onesided = True
    frames = x.unfold(-1, n_fft, hop)  # (batch, n_frames, n_fft)
    if window is not None or win < n_fft:
        frames = frames * _full_window(window, win, n_fft, x)
    spec = _RealDFT.apply(frames, onesided, 1 / math.sqrt(n_fft) if normalized else 1.0)
    spec = spec.transpose(1, 2).contiguous()  # (batch, freq, frames, 2)
    if input.dim() == 1:
        spec = spec.squeeze(0)
    if not return_complex:
        return spec
    if spec.requires_grad and is_grad_enabled():
        raise EmberNotImplementedError("ember does not implement torch.stft(return_complex=True)"
                                       " for inputs that require grad yet: ember has no complex "
                                       "autograd; use return_complex=False (real and imaginary "
                                       "parts in the last dimension)")
    a = spec._data
    c = D.complex128 if a.dtype == np.float64 else D.complex64
    return _wrap((a[..., 0] + 1j * a[..., 1]).astype(c.np))


def _full_window(window, win, n_fft, x):
    """The window centred in n_fft points (zeros around it), as torch pads a shorter one."""
    from .ops.creation import ones, zeros
    if win == n_fft:
        return window
    w = window if window is not None else ones(win, dtype=x.dtype)
    left = (n_fft - win) // 2
    from .ops.shape import cat
    return cat([zeros(left, dtype=w.dtype), w, zeros(n_fft - win - left, dtype=w.dtype)])



_COMPLEX_TYPE = {"complex64": "CPUComplexFloatType", "complex128": "CPUComplexDoubleType"}


def _irepr(x, n_fft, hop, win, window, center, normalized, onesided, length, return_complex):
    shown_window = "None" if window is None else \
        f"torch.{window.dtype._legacy}{{{list(window.shape)}}}"
    opt = (lambda v: "None" if v is None else str(int(v)))
    return (f"istft({_COMPLEX_TYPE.get(x.dtype.name, x.dtype.name)}{list(x.shape)}, "
            f"n_fft={n_fft}, hop_length={hop}, win_length={win}, window={shown_window}, "
            f"center={int(center)}, normalized={int(normalized)}, onesided={opt(onesided)}, "
            f"length={opt(length)}, return_complex={int(return_complex)}) ")


def istft(input, n_fft, hop_length=None, win_length=None, window=None, center=True,
          normalized=False, onesided=None, length=None, return_complex=False):
    """Matches torch.istft: the signal whose stft (with this window) is `input`."""
    if not input.dtype.is_complex:
        raise RuntimeError("istft requires a complex-valued input tensor matching the output "
                           "from stft with return_complex=True.")
    hop = hop_length if hop_length is not None else n_fft >> 2
    win = win_length if win_length is not None else n_fft
    shown = _irepr(input, n_fft, hop, win, window, center, normalized, onesided, length,
                   return_complex)
    if input.numel() == 0:
        raise RuntimeError(shown + ": input tensor cannot be empty.")
    if input.dim() + 1 not in (3, 4):
        raise RuntimeError(shown + ": expected a tensor with 3 or 4 dimensions, but got "
                           f"{input.dim() + 1}")
    fft_size, n_frames = input.shape[-2], input.shape[-1]
    sided = onesided if onesided is not None else fft_size != n_fft
    if sided and n_fft // 2 + 1 != fft_size:
        raise RuntimeError(shown + ": expected the frequency dimension (3rd to the last) of the "
                           "input tensor to match n_fft / 2 + 1 when onesided=True, but got "
                           f"{fft_size}")
    if not sided and n_fft != fft_size:
        raise RuntimeError(shown + ": expected the frequency dimension (3rd to the last) of the "
                           f"input tensor to match n_fft when onesided=False, but got {fft_size}")
    if not 0 < hop <= win:
        raise RuntimeError(shown + ": expected 0 < hop_length <= win_length")
    if not 0 < win <= n_fft:
        raise RuntimeError(shown + ": expected 0 < win_length <= n_fft")
    if window is not None and (window.dim() != 1 or window.shape[0] != win):
        raise RuntimeError(shown + ": Invalid window shape. window has to be 1D and length of "
                           "`win_length`")
    if window is None:
        _warn_once("iwindow", "A window was not provided. A rectangular window will be applied."
                   "Please provide the same window used by stft to make the inversion lossless."
                   "To suppress this warning and use a rectangular window, explicitly set "
                   "`window=torch.ones(n_fft, device=<device>)`.")
    if return_complex and sided:
        raise RuntimeError("Cannot have onesided output if window or input is complex")
    return _overlap_add(input, n_fft, hop, win, window, center, normalized, sided, length,
                        return_complex, shown, n_frames)


def _overlap_add(input, n_fft, hop, win, window, center, normalized, sided, length,
                 return_complex, shown, n_frames):
    real = np.float32 if input.dtype.name == "complex64" else np.float64
    w = np.ones(win, real) if window is None else window._data
    left = (n_fft - win) // 2
    w = np.pad(w, (left, n_fft - win - left))
    spec = input._data.reshape((-1,) + tuple(input.shape[-2:])).astype(np.complex128)
    norm = "ortho" if normalized else "backward"
    frames = np.fft.irfft(spec, n_fft, axis=1, norm=norm) if sided else \
        np.fft.ifft(spec, n_fft, axis=1, norm=norm)
    if not return_complex:
        frames = frames.real if np.iscomplexobj(frames) else frames
    out_dtype = np.result_type(real if not return_complex else input._data.dtype, w.dtype)
    w = w.astype(np.result_type(w.dtype, np.float64))
    frames = frames * w[None, :, None]  # (batch, n_fft, n_frames)
    total = n_fft + hop * (n_frames - 1)
    y = np.zeros((frames.shape[0], total), frames.dtype)
    w2 = w ** 2
    env = np.zeros(total, w2.dtype)
    for f in range(n_frames):
        y[:, f * hop:f * hop + n_fft] += frames[:, :, f]
        env[f * hop:f * hop + n_fft] += w2
    start = n_fft // 2 if center else 0
    end = start + length if length is not None else (total - n_fft // 2 if center else total)
    y, env = y[:, start:min(end, total)], env[start:min(end, total)]
    if env.size and np.abs(env).min() < 1e-11:
        raise RuntimeError(shown + "window overlap add min: 1\n[ CPUBoolType{} ]")
    y = y / env
    if end > total:
        _warn_once("ilength", "The length of signal is shorter than the length parameter. "
                   "Result is being padded with zeros in the tail. Please check your center "
                   "and hop_length settings.")
        y = np.pad(y, ((0, 0), (0, end - total)))
    y = y.astype(out_dtype)
    if input.dim() == 2:
        y = y[0]
    return _wrap(np.ascontiguousarray(y))
