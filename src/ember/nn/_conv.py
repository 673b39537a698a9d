"""Convolution family: conv1d/2d/3d and conv_transpose1d/2d/3d (unfold/fold in _conv_fold.py,
pad in _pad.py, both importable from here too).

A convolution is one bilinear map y = A(x, w). Its two adjoints are B (the input gradient, which
is also conv_transpose's forward) and C (the weight gradient). Each is a primitive whose backward
is written with the other two, so first and higher derivatives come from three array kernels
(in _conv_kernels.py): A is im2col and one GEMM, B one GEMM and col2im (or, at stride 1, a full
correlation: im2col and a GEMM), C one GEMM of the output gradient against A's columns.
"""


from .._meta import MetaArray
from ..amp import _hook as _amp
from ..autograd import forward_ad as _fwd
from ..autograd import grad_mode as _gm
from ..autograd.function import Op
from . import _conv_dtypes as _dt
from ._conv_kernels import (  # noqa: F401
    _POOL,
    _col2im,
    _conv_fwd,
    _conv_input_grad,
    _conv_weight_grad,
    _full_corr,
    _give,
    _im2col,
    _none,
    _ntuple,
    _out_size,
    _padded,
    _prod,
    _rows,
    _scratch,
    _strided,
    _take,
    _windows,
    _xp,
    _zero_pad,
)

_enabled = _gm._enabled


# ---------------------------------------------------------------- the three primitives
class Conv(Op):
    """A(x, w) + b: the convolution."""

    _name = "ConvolutionBackward0"
    save_inputs = (0, 1)

    def _grad_slots(self):  # torch's edges: input, weight and bias, (None, 0) without one
        return (0, 1, 2)

    def forward(ctx, x, w, b, geo):
        ctx.geo = geo
        if not x.shape[0] or not x.shape[1] or type(x) is MetaArray:  # nothing to compute
            ctx.cols = ctx.buf = None  # (torch gives no channels for an input without any)
            c = w.shape[0] if x.shape[1] else 0
            return _none(x, (x.shape[0], c) + _out_size(x.shape[2:], geo))
        keep = _enabled[0]  # a graph may be recorded: backward reuses the columns
        y, cols, buf = _conv_fwd(x, w, geo, keep, b)
        ctx.cols, ctx.buf = (cols, buf) if keep else (None, None)
        return y

    def backward(ctx, grad):
        x, w = ctx.saved_tensors
        need = ctx.needs_input_grad
        geo = ctx.geo
        if not x.shape[1]:  # an input without channels: every gradient is zero
            return (x.new_zeros(x.shape) if need[0] else None,
                    w.new_zeros(w.shape) if need[1] else None,
                    grad.new_zeros((w.shape[0],)) if need[2] else None, None)
        dx = ConvInputGrad.apply(grad, w, x.shape[2:], geo) if need[0] else None
        dw = ConvWeightGrad.apply(x, grad, w.shape, geo, ctx.cols) if need[1] else None
        db = grad.sum(dim=(0,) + tuple(range(2, grad.dim()))) if need[2] else None
        return dx, dw, db, None

    def jvp(ctx, tx, tw, tb, _):  # conv(tx, w) + conv(x, tw) + tb
        x, w, _, geo = ctx.inputs
        out = None
        for a, b in ((tx, w), (x, tw)):
            if a is not None and b is not None:
                part = Conv.run((a, b, None, geo), (a._data, b._data, None, geo), {})
                out = part if out is None else out + part
        if tb is not None:
            tb = tb.reshape((-1,) + (1,) * (ctx.result.dim() - 2))
            out = tb.expand(ctx.result.shape) if out is None else out + tb
        return out

    def _release(self):
        buf = self.__dict__.get("buf")
        self.cols = self.buf = None
        if buf is not None:
            _give(buf)
        Op._release(self)

    def __del__(self):  # a graph dropped without backward, or no graph recorded
        buf = self.__dict__.get("buf")
        if buf is not None:
            self.cols = self.buf = None
            _give(buf)


class ConvInputGrad(Op):
    """B(g, w): adjoint of Conv in x (conv_transpose's forward), with S the input's size."""

    _name = "ConvolutionBackwardBackward0"
    jvp = _fwd.multilinear
    save_inputs = (0, 1)

    def forward(ctx, g, w, S, geo):
        ctx.geo = geo
        if not g.shape[0] or type(g) is MetaArray:
            return _none(g, (g.shape[0], w.shape[1] * geo[4]) + tuple(S))
        return _conv_input_grad(g, w, S, geo)

    def backward(ctx, grad):
        g, w = ctx.saved_tensors
        need = ctx.needs_input_grad
        grad, geo = _unpad_output(grad, g.shape[2:], ctx.geo)
        dg = Conv.apply(grad, w, None, geo) if need[0] else None
        dw = ConvWeightGrad.apply(grad, g, w.shape, geo) if need[1] else None
        return dg, dw, None, None


def _unpad_output(grad, n_in, geo):
    """conv_transpose's output_padding e (below the stride or the dilation): the output's high
    side is cut by hi - e instead of hi. Its adjoint, a convolution, then pads that side by
    hi - e, or (e > hi) drops the gradient's last e - hi positions, which no input reached.
    Returns (grad, geo)."""
    k, stride, pads, dil, groups = geo
    over = [n - ((m - 1) * s - lo - hi + d * (kk - 1) + 1) for n, m, s, (lo, hi), d, kk in
            zip(grad.shape[2:], n_in, stride, pads, dil, k)]
    if not any(over):
        return grad, geo
    keep = tuple(slice(0, n - max(e - hi, 0)) for n, e, (_, hi) in zip(grad.shape[2:], over, pads))
    pads = tuple((lo, max(hi - e, 0)) for e, (lo, hi) in zip(over, pads))
    return grad[(Ellipsis,) + keep], (k, stride, pads, dil, groups)


class ConvWeightGrad(Op):
    """C(x, g): adjoint of Conv in w."""

    _name = "ConvolutionBackwardBackward0"
    jvp = _fwd.transposed
    save_inputs = (0, 1)

    def forward(ctx, x, g, wshape, geo, cols=None):
        ctx.geo = geo
        if not x.shape[0] or type(x) is MetaArray:
            return _none(g, wshape)
        return _conv_weight_grad(x, g, wshape, geo, cols)

    def backward(ctx, grad):
        x, g = ctx.saved_tensors
        need = ctx.needs_input_grad
        dx = ConvInputGrad.apply(g, grad, x.shape[2:], ctx.geo) if need[0] else None
        dg = Conv.apply(x, grad, None, ctx.geo) if need[1] else None
        return dx, dg, None, None, None


# ---------------------------------------------------------------- argument checks
def _sz(s):
    return "[" + ", ".join(str(int(a)) for a in s) + "]"


def _batched(input, nd, name):
    if input.dim() not in (nd + 1, nd + 2):
        raise RuntimeError(f"Expected {nd + 1}D (unbatched) or {nd + 2}D (batched) input to "
                           f"{name}, but got input of size: {_sz(input.shape)}")
    return input.dim() == nd + 2


def _geometry(input, weight, stride, padding, dilation, groups, nd):
    k = tuple(weight.shape[2:])
    stride = _ntuple(stride, nd, "stride")
    dil = _ntuple(dilation, nd, "dilation")
    if isinstance(padding, str):
        if padding == "valid":
            pads = ((0, 0),) * nd
        elif padding == "same":
            if any(s != 1 for s in stride):
                raise RuntimeError("padding='same' is not supported for strided convolutions")
            tot = [d * (n - 1) for d, n in zip(dil, k)]
            pads = tuple((t // 2, t - t // 2) for t in tot)
        else:
            raise RuntimeError(f"Invalid padding string: '{padding}'")
    else:
        p = _ntuple(padding, nd, "padding")
        if any(a < 0 for a in p):
            raise RuntimeError("negative padding is not supported")
        pads = tuple((a, a) for a in p)
    if any(s <= 0 for s in stride):
        raise RuntimeError("non-positive stride is not supported")
    if any(d <= 0 for d in dil):
        raise RuntimeError(f"dilation should be greater than zero, but got {list(dil)}")
    return k, stride, pads, dil, int(groups)


def _check_channels(input, weight, bias, groups, transposed):
    ws = _sz(weight.shape)
    if weight.shape[0] < groups:
        raise RuntimeError(f"Given groups={groups}, expected weight to be at least {groups} at "
                           f"dimension 0, but got weight of size {ws} instead")
    if weight.shape[0] % groups:
        raise RuntimeError(f"Given groups={groups}, expected weight to be divisible by {groups} "
                           f"at dimension 0, but got weight of size [{ws}] instead")
    want = weight.shape[0] if transposed else weight.shape[1] * groups
    if input.shape[1] != want:
        head = "Given transposed=1" if transposed else f"Given groups={groups}"
        raise RuntimeError(f"{head}, weight of size {ws}, expected input{_sz(input.shape)} to "
                           f"have {want} channels, but got {input.shape[1]} channels instead")
    out_c = weight.shape[1] * groups if transposed else weight.shape[0]
    if bias is not None and (bias.dim() != 1 or bias.shape[0] != out_c):
        raise RuntimeError(f"Given weight of size {ws}, expected bias to be 1-dimensional with "
                           f"{out_c} elements, but got bias of size {_sz(bias.shape)} instead")


def _check_size(input, geo):
    k, _, pads, dil, _ = geo
    S = input.shape[2:]
    Sp = [s + lo + hi for s, (lo, hi) in zip(S, pads)]
    kd = [d * (n - 1) + 1 for d, n in zip(dil, k)]
    if any(a < b for a, b in zip(Sp, kd)):
        raise RuntimeError(
            f"Calculated padded input size per channel: ({' x '.join(map(str, Sp))}). Kernel "
            f"size: ({' x '.join(map(str, kd))}). Kernel size can't be greater than actual input "
            "size")


def _check_empty(input):
    """torch's convolutions take a zero-size batch or channel count, no other empty input."""
    shape = input.shape
    if shape[0] and shape[1] and 0 in shape:
        if len(shape) == 3:  # torch reports a 1-d convolution's input as its 2-d view
            shape = shape[:2] + (1,) + shape[2:]
        raise RuntimeError("Only zero batch or zero channel inputs are supported, but got input "
                           f"shape: {_sz(shape)}")


def _conv(nd, name, input, weight, bias, stride, padding, dilation, groups):
    if not isinstance(padding, str):
        _dt.bias_first(input, bias)
    batched = _batched(input, nd, name)
    if not batched:
        input = input.unsqueeze(0)
    mixed = _dt.mixed(input, weight, bias)
    if mixed:
        _dt.complex_input(input, weight, bias)
    geo = _geometry(input, weight, stride, padding, dilation, groups, nd)
    _check_channels(input, weight, bias, geo[4], False)
    _check_size(input, geo)
    _check_empty(input)
    how = None
    if mixed:  # torch's backend checks; what it does with the dtypes it takes
        extra = [hi - lo for lo, hi in geo[2]] if padding == "same" else None
        how = _dt.backend(input, weight, bias, geo, False, extra=extra)
        if how is not None and bias is not None:
            bias = bias.to(input.dtype)
    out = Conv.apply(input, weight, bias, geo)
    if how is not None and how[0] == "cast_out" and out.dtype is not how[1]:
        out = out.to(how[1])
    return out if batched else out.squeeze(0)


def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """Matches torch.nn.functional.conv1d."""
    if _amp.on and _amp.active():
        return _amp.lower(conv1d, input, weight, bias, stride, padding, dilation, groups)
    return _conv(1, "conv1d", input, weight, bias, stride, padding, dilation, groups)


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """Matches torch.nn.functional.conv2d."""
    if _amp.on and _amp.active():
        return _amp.lower(conv2d, input, weight, bias, stride, padding, dilation, groups)
    return _conv(2, "conv2d", input, weight, bias, stride, padding, dilation, groups)


def conv3d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """Matches torch.nn.functional.conv3d."""
    if _amp.on and _amp.active():
        return _amp.lower(conv3d, input, weight, bias, stride, padding, dilation, groups)
    return _conv(3, "conv3d", input, weight, bias, stride, padding, dilation, groups)


_AXES = ("depth", "height", "width")


def _conv_transpose(nd, name, input, weight, bias, stride, padding, output_padding, groups,
                    dilation):
    if isinstance(padding, str):  # torch's transposed convolutions take no 'same' / 'valid'
        raise TypeError(f"{name}(): argument 'padding' must be tuple of ints, not str")
    batched = _batched(input, nd, name)
    if not batched:
        input = input.unsqueeze(0)
    mixed = _dt.mixed(input, weight, bias)
    if mixed:
        _dt.complex_input(input, weight, bias)
    geo = _geometry(input, weight, stride, padding, dilation, groups, nd)
    op = _ntuple(output_padding, nd, "output_padding")
    _, stride, pads, dil, groups = geo
    if any(o >= s and o >= d for o, s, d in zip(op, stride, dil)):
        ax = _AXES[3 - nd:]
        raise RuntimeError(
            "output padding must be smaller than either stride or dilation, but got "
            + " ".join(f"output_padding_{a}: {o}" for a, o in zip(ax, op)) + " "
            + " ".join(f"stride_{a}: {s}" for a, s in zip(ax, stride)) + " "
            + " ".join(f"dilation_{a}: {d}" for a, d in zip(ax, dil)))
    _check_channels(input, weight, bias, groups, True)
    _check_empty(input)
    how = _dt.backend(input, weight, bias, geo, True, op) if mixed else None
    S = tuple((n - 1) * s - lo - hi + d * (k - 1) + o + 1 for n, s, (lo, hi), d, k, o in
              zip(input.shape[2:], stride, pads, dil, weight.shape[2:], op))
    if min(S) < 1:  # (torch reports a 1-d convolution's sizes as its 2-d view's)
        lead = (1,) if nd == 1 else ()
        given, got = (" x ".join(map(str, lead + tuple(v))) for v in (input.shape[2:], S))
        raise RuntimeError(f"Given input size per channel: ({given}). Calculated output size "
                           f"per channel: ({got}). Output size is too small")
    out = ConvInputGrad.apply(input, weight, S, geo)
    if how is not None and how[0] == "cast_out" and out.dtype is not how[1]:
        out = out.to(how[1])
    if bias is not None:
        if how is not None and how[0] != "add_bias":
            bias = bias.to(out.dtype)
        out = out + bias.reshape((-1,) + (1,) * nd)
        if how is not None and out.dtype is not input.dtype and how[0] == "add_bias":
            out = out.to(input.dtype)  # torch adds in place: in the promoted dtype, into the output
    return out if batched else out.squeeze(0)


def conv_transpose1d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1,
                     dilation=1):
    """Matches torch.nn.functional.conv_transpose1d."""
    if _amp.on and _amp.active():
        return _amp.lower(conv_transpose1d, input, weight, bias, stride, padding, output_padding,
                          groups, dilation)
    return _conv_transpose(1, "conv_transpose1d", input, weight, bias, stride, padding,
                           output_padding, groups, dilation)


def conv_transpose2d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1,
                     dilation=1):
    """Matches torch.nn.functional.conv_transpose2d."""
    if _amp.on and _amp.active():
        return _amp.lower(conv_transpose2d, input, weight, bias, stride, padding, output_padding,
                          groups, dilation)
    return _conv_transpose(2, "conv_transpose2d", input, weight, bias, stride, padding,
                           output_padding, groups, dilation)


def conv_transpose3d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1,
                     dilation=1):
    """Matches torch.nn.functional.conv_transpose3d."""
    if _amp.on and _amp.active():
        return _amp.lower(conv_transpose3d, input, weight, bias, stride, padding, output_padding,
                          groups, dilation)
    return _conv_transpose(3, "conv_transpose3d", input, weight, bias, stride, padding,
                           output_padding, groups, dilation)



from ._conv_fold import Fold, Unfold, fold, unfold  # noqa: E402,F401
from ._pad import BorderPad, Pad, PadGrad, _pad_index, pad  # noqa: E402,F401
