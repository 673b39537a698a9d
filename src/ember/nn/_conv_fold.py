"""unfold / fold (torch's im2col / col2im as functions): the window view of `_conv_kernels`
copied out, and its adjoint."""

from .. import _meta
from .._meta import MetaArray
from ..autograd import forward_ad as _fwd
from ..autograd.function import Op
from ._conv_kernels import _col2im, _ntuple, _prod, _windows, _xp, _zero_pad


class Unfold(Op):
    _name = "Im2ColBackward0"
    _aten = "im2col"
    jvp = _fwd.linear

    def forward(ctx, x, geo):
        ctx.geo, ctx.S = geo, x.shape[2:]
        nd = len(geo[0])
        if type(x) is MetaArray:  # shapes only
            k, stride, pads, dil, _ = geo
            L = tuple((s + lo + hi - d * (n - 1) - 1) // st + 1
                      for s, (lo, hi), d, n, st in zip(x.shape[2:], pads, dil, k, stride))
            return _meta.empty((x.shape[0], x.shape[1] * _prod(k), _prod(L)), x.dtype)
        v, L = _windows(_zero_pad(x, geo[2]), geo[0], geo[1], geo[3], tuple(range(2 + 2 * nd)))
        return _xp(x).ascontiguousarray(v).reshape(x.shape[0], x.shape[1] * _prod(geo[0]),
                                                   _prod(L))  # -1 fails on an empty batch

    def backward(ctx, grad):
        return Fold.apply(grad, ctx.S, ctx.geo), None


class Fold(Op):
    _name = "Col2ImBackward0"
    _aten = "col2im"
    jvp = _fwd.linear

    def forward(ctx, cols, S, geo):
        ctx.geo = geo
        k, stride, pads, dil, _ = geo
        L = tuple((s + lo + hi - d * (n - 1) - 1) // st + 1
                  for s, (lo, hi), d, n, st in zip(S, pads, dil, k, stride))
        N = cols.shape[0]
        C = cols.shape[1] // _prod(k)  # (not -1: an empty batch has size 0)
        return _col2im(cols.reshape((N, C) + tuple(k) + L), S, geo)

    def backward(ctx, grad):
        return Unfold.apply(grad, ctx.geo), None, None


def _fold_geo(kernel_size, dilation, padding, stride):
    k = _ntuple(kernel_size, 2, "kernel_size")
    p = _ntuple(padding, 2, "padding")
    return k, _ntuple(stride, 2, "stride"), tuple((a, a) for a in p), \
        _ntuple(dilation, 2, "dilation"), 1


def unfold(input, kernel_size, dilation=1, padding=0, stride=1):
    """Matches torch.nn.functional.unfold (4-d input, or 3-d unbatched)."""
    geo = _fold_geo(kernel_size, dilation, padding, stride)
    nd = input.dim()
    if nd < 3:  # torch's im2col reads size(nd) first
        raise IndexError("Dimension specified as 1 but tensor has no dimensions" if not nd else
                         f"Dimension out of range (expected to be in range of [{-nd}, {nd - 1}], "
                         f"but got {nd})")
    if nd > 4:
        raise RuntimeError("Expected 3D or 4D (batch mode) tensor with possibly 0 batch size and "
                           "other non-zero dimensions for input, but got: "
                           f"[{', '.join(map(str, input.shape))}]")
    batched = nd == 4
    if not batched:
        input = input.unsqueeze(0)
    out = Unfold.apply(input, geo)
    return out if batched else out.squeeze(0)


def fold(input, output_size, kernel_size, dilation=1, padding=0, stride=1):
    """Matches torch.nn.functional.fold (3-d input, or 2-d unbatched)."""
    geo = _fold_geo(kernel_size, dilation, padding, stride)
    S = _ntuple(output_size, 2, "output_size")
    if input.dim() not in (2, 3):
        raise RuntimeError("Expected 2D or 3D (batch mode) tensor for input with possibly 0 batch "
                           "size and non-zero dimensions for input, but got: "
                           f"[{', '.join(map(str, input.shape))}]")
    batched = input.dim() == 3
    if not batched:
        input = input.unsqueeze(0)
    kk = _prod(geo[0])
    if input.shape[1] % kk:
        raise RuntimeError(
            "Expected size of input's dimension 1 to be divisible by the product of kernel_size, "
            f"but got input.size(1)={input.shape[1]} and kernel_size={geo[0]}.")
    k, st, pads, dil, _ = geo
    L = [(s + lo + hi - d * (n - 1) - 1) // t + 1 for s, (lo, hi), d, n, t in
         zip(S, pads, dil, k, st)]
    if input.shape[2] != L[0] * L[1]:
        raise RuntimeError(
            f"Given output_size={S}, kernel_size={k}, dilation={dil}, padding="
            f"{tuple(p for p, _ in pads)}, stride={st}, expected size of input's dimension 2 to "
            f"match the calculated number of sliding blocks {L[0]} * {L[1]} = {L[0] * L[1]}, "
            f"but got input.size(2)={input.shape[2]}.")
    out = Fold.apply(input, S, geo)
    return out if batched else out.squeeze(0)
