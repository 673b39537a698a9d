"""torch's dtype rules for the convolutions on the CPU: which mixes of input, weight and bias
dtypes torch refuses, with which exception and text, and what it computes for the mixes it takes.

torch checks in layers, and the first layer to object speaks:
1. conv1d/2d/3d with integer padding compare the bias dtype with the input's (C++ type names:
   "Input type (float) and bias type (double) should be the same"); `bias_first`.
2. A complex input compares the weight's and bias's types (torch's tensor type strings:
   "Input type (CPUComplexFloatType) and weight type (torch.FloatTensor) ..."); `complex_input`.
3. After the shape checks a backend is chosen from dtype, shape and thread count, and each has
   its own checks (`backend`): an empty batch multiplies (dtypes promote); oneDNN (float32 at most
   sizes, bfloat16 and float16 always) compares types; NNPACK (float32, batch >= 16, oneDNN
   off) refuses any mix; torch's own "slow" kernels dispatch on the input dtype
   (NotImplementedError for those they lack), then read the weight as the input's dtype
   ("expected scalar type Float but found Double"). Their bias: the 2-d and 3-d non-transposed
   kernels cast it, the 2-d transposed kernel adds it in place (any dtype that casts to the
   output's), the 3-d transposed kernel reads it as the input's dtype.
The success path never comes here: `_conv.py` calls `mixed` first, which is cheap.
"""

from .. import _dtype as D

# input dtypes every kernel takes when weight and bias share them
_PLAIN = frozenset((D.float32, D.float64, D.float16, D.bfloat16, D.int64, D.complex64,
                    D.complex128))
_SMALL_INTS = frozenset((D.int32, D.int16, D.int8, D.uint8, D.bool_))
# the kernels: (name torch dispatches under, input dtypes it lacks)
_SLOW2D = ("slow_conv2d_cpu", frozenset((D.bool_,)))
_DILATED = ("slow_conv_dilated<>", _SMALL_INTS)
_TRANSPOSE2D = ("slow_conv_transpose2d_out_cpu", _SMALL_INTS)
_TRANSPOSE3D = ("slow_conv_transpose3d_out_cpu", _SMALL_INTS)
_CPP = {"float32": "float", "float64": "double", "float16": "c10::Half",
        "bfloat16": "c10::BFloat16", "int64": "long int", "int32": "int", "int16": "short int",
        "int8": "signed char", "uint8": "unsigned char", "bool": "bool",
        "complex64": "c10::complex<float>", "complex128": "c10::complex<double>"}
_TYPE_OBJECT = frozenset(("bfloat16", "bool", "complex64", "complex128"))


def mixed(x, w, b):
    """Whether `backend` has anything to say: dtypes differ, or an input dtype some kernel
    lacks."""
    dt = x.dtype
    return w.dtype is not dt or (b is not None and b.dtype is not dt) or dt not in _PLAIN


def _name(d):
    return d._legacy[:-6]


def _type_string(t):
    """torch's Tensor::toString: `torch.FloatTensor`, or `CPUBFloat16Type` for the dtypes with
    no legacy tensor type."""
    d = t.dtype
    if t.device.type == "cuda":
        return (f"CUDA{_name(d)}Type" if d.name in _TYPE_OBJECT else
                f"torch.cuda.{d._legacy}")
    return f"CPU{_name(d)}Type" if d.name in _TYPE_OBJECT else f"torch.{d._legacy}"


def _same_type(x, t, what, suffix=""):
    if t is not None and (t.dtype is not x.dtype or t.device != x.device):
        raise RuntimeError(f"Input type ({_type_string(x)}) and {what} type ({_type_string(t)}) "
                           f"should be the same{suffix}")


def bias_first(x, b):
    """conv1d/2d/3d's first check (integer padding only)."""
    if b is not None and b.dtype is not x.dtype:
        raise RuntimeError(f"Input type ({_CPP[x.dtype.name]}) and bias type "
                           f"({_CPP[b.dtype.name]}) should be the same")


def complex_input(x, w, b):
    """A complex input's check, before the shape checks."""
    if x.dtype.is_complex:
        _same_type(x, w, "weight")
        _same_type(x, b, "bias")


def _cast_check(out, other, zero_dim=True):
    """An in-place add's check: the promoted type must cast to the output's (`other` a 0-d
    tensor, or one with dimensions)."""
    if other is None:
        return
    r = D.result_type_of([out], [other], []) if zero_dim else D.promote_types(out, other)
    if not D.can_cast(r, out):
        # a 0-d complex keeps float16's width: torch's ComplexHalf, which ember does not have
        name = "ComplexHalf" if zero_dim and out is D.float16 else _name(r)
        raise RuntimeError(f"result type {name} can't be cast to the desired output type "
                           f"{_name(out)}")


def _threads():
    from .._threads import get_num_threads
    return get_num_threads()


def _mkldnn_enabled():
    from ..backends.mkldnn import _STATE
    return _STATE["enabled"]


_LOW = {}


def _low_precision_cpu(dt):
    """oneDNN's device checks for bfloat16 / float16 convolutions on this CPU (AVX-512 core /
    AVX-512 FP16, or AVX-NE-CONVERT); taken as passed where /proc/cpuinfo cannot be read."""
    if not _LOW:
        try:
            with open("/proc/cpuinfo") as f:
                flags = set(next((ln for ln in f if ln.startswith("flags")), "").split())
        except OSError:
            flags = None
        core = flags is None or {"avx512f", "avx512bw", "avx512vl", "avx512dq"} <= flags
        ne = flags is not None and "avx_ne_convert" in flags
        _LOW[D.bfloat16] = core or ne
        _LOW[D.float16] = flags is None or (core and "avx512_fp16" in flags) or ne
    return _LOW[dt]


def _use_mkldnn(x, w_shape, x_shape, geo, transposed, out_pad):
    """torch's ConvParams::use_mkldnn (shapes as the 2-d view torch takes of a 1-d conv)."""
    if not _mkldnn_enabled():
        return False
    _, stride, _, dil, groups = geo
    if transposed and any(o >= s for o, s in zip(out_pad, stride)):
        return False
    if x.dtype in (D.bfloat16, D.float16) and _low_precision_cpu(x.dtype):
        return True
    if x.dtype is not D.float32:
        return False
    strided, dilated = any(s != 1 for s in stride), any(d != 1 for d in dil)
    n = x_shape[0]
    first = (strided or dilated or n >= 16 or w_shape[-1] != 1 or w_shape[-2] != 1
             or _threads() > 1)
    return first and (groups > 1 or (w_shape[-1] > 3 and w_shape[-2] > 3) or n > 1
                      or n * x_shape[1] * x_shape[2] * x_shape[3] > 20480)


def _use_nnpack(x, w_shape, x_shape, geo, transposed):
    _, _, _, dil, _ = geo
    return (x.dtype is D.float32 and not transposed and not any(d != 1 for d in dil)
            and len(x_shape) == 4 and w_shape[2] < 17 and w_shape[3] < 17 and x_shape[0] >= 16)


def _kernel(x, w, name, lacks):
    if x.dtype in lacks:
        raise NotImplementedError(f'"{name}" not implemented for \'{_name(x.dtype)}\'')
    if w.dtype is not x.dtype:
        raise RuntimeError(f"expected scalar type {_name(x.dtype)} but found {_name(w.dtype)}")


def backend(x, w, b, geo, transposed, out_pad=None, extra=None):
    """The backend's checks for batched `x` (after the shape checks). Returns what to do beyond
    the plain convolution: None; ("cast_bias",): convert the bias to the input's dtype;
    ("add_bias", dtype): add the bias after the convolution, in the promoted dtype, then cast
    to `dtype`; ("cast_out", dtype): the (empty) result takes dtype `dtype`. `extra` holds the
    sizes 'same' padding adds to the input before torch's convolution."""
    xs, ws = tuple(x.shape), tuple(w.shape)
    nd = len(xs) - 2
    if xs[0] == 0 or xs[1] == 0:  # torch's Empty backend: input * weight[0] (+ bias[0])
        if xs[1] == 0:
            out = D.promote_types(x.dtype, w.dtype)
        else:
            out = D.result_type_of([x.dtype], [w.dtype], [])
            if x.dtype is D.float16 and w.dtype.is_complex:
                from .._args import EmberNotImplementedError
                raise EmberNotImplementedError(
                    "ember does not implement the complex32 dtype (an empty float16 "
                    "convolution with a complex weight) yet")
        _cast_check(out, None if b is None else b.dtype)
        return ("cast_out", out)
    if x.device.type == "cuda":  # cuDNN's check (not verified here: the oracle is CPU torch)
        _same_type(x, w, "weight")
        _same_type(x, b, "bias")
        return None
    if extra:
        xs = xs[:2] + tuple(s + e for s, e in zip(xs[2:], extra))
    if nd == 1:  # torch computes a 1-d convolution as a 2-d one of height 1
        xs, ws = xs[:2] + (1,) + xs[2:], ws[:2] + (1,) + ws[2:]
        geo = (None, (1,) + tuple(geo[1]), None, (1,) + tuple(geo[3]), geo[4])
        out_pad = None if out_pad is None else (0,) + tuple(out_pad)
    if _use_mkldnn(x, ws, xs, geo, transposed, out_pad):
        suffix = " or input should be a MKLDNN tensor and {} is a dense tensor"
        _same_type(x, w, "weight", suffix.format("weight"))
        _same_type(x, b, "bias", suffix.format("bias"))
        return None
    if not _mkldnn_enabled() and _use_nnpack(x, ws, xs, geo, transposed):
        if w.dtype is not x.dtype or (b is not None and b.dtype is not x.dtype):
            raise RuntimeError("Mismatched Tensor types in NNPack convolutionOutput")
        return None
    _, stride, pads, dil, _ = geo
    dilated = any(d != 1 for d in dil)
    if transposed:
        if len(xs) == 5:
            _kernel(x, w, *_TRANSPOSE3D)
            if b is not None and b.dtype is not x.dtype:
                raise RuntimeError(f"expected scalar type {_name(x.dtype)} but found "
                                   f"{_name(b.dtype)}")
            return None
        _kernel(x, w, *_TRANSPOSE2D)
        if b is None or b.dtype is x.dtype:
            return None
        _cast_check(x.dtype, b.dtype, zero_dim=False)
        return ("add_bias", x.dtype)
    if dilated:
        _kernel(x, w, *_DILATED)
    elif len(xs) == 5:
        columns = (any(k != 1 for k in ws[2:]) or any(s != 1 for s in stride)
                   or any(lo != 0 for lo, _ in pads))
        _kernel(x, w, "compute_columns3d" if columns else "slow_conv3d_cpu", _SLOW2D[1])
    else:
        _kernel(x, w, *_SLOW2D)
    return None if b is None or b.dtype is x.dtype else ("cast_bias",)
