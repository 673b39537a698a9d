"""F.pad: constant, reflect, replicate and circular padding (negative constant pads crop), with
torch's checks and messages, and its adjoint."""

import itertools

import numpy as np

from .._device import array_module as _xp
from ..amp import _hook as _amp
from ..autograd import forward_ad as _fwd
from ..autograd.function import Op
from ._conv_kernels import _zero_pad
from ._pool_common import raster_add


def _sz(s):
    return "[" + ", ".join(str(int(a)) for a in s) + "]"


def _pad_index(n, lo, hi, mode):
    j = np.arange(-lo, n + hi)
    if mode == "reflect":
        j = np.abs(j)
        return np.where(j >= n, 2 * (n - 1) - j, j)
    if mode == "replicate":
        return np.clip(j, 0, n - 1)
    # circular, as torch's: crop the negative pads first, then wrap around what is left (where
    # nothing is left torch reads memory it never wrote; ember reads the first element)
    m = n + min(lo, 0) + min(hi, 0)
    j = np.arange(-max(lo, 0), m + max(hi, 0))
    return (j % m if m > 0 else j * 0) + max(-lo, 0)


def _runs(idx, start, stop):
    """idx[start:stop] cut into runs (o0, o1, p0, step): idx[o0:o1] = p0 + step * arange, with
    step in (-1, 0, 1); each run as long as it can be (a jump makes a run of one)."""
    runs, o = [], start
    d = np.diff(idx[start:stop])
    while o < stop:
        step = int(d[o - start]) if o + 1 < stop else 1
        if abs(step) > 1:
            runs.append((o, o + 1, int(idx[o]), 1))
            o += 1
            continue
        other = np.flatnonzero(d[o - start:] != step)
        end = o + 1 + (int(other[0]) if other.size else stop - 1 - o)
        runs.append((o, end, int(idx[o]), step))
        o = end
    return runs


def _span(p0, k, step):
    """The slice of k positions p0, p0 + step, ... (step 0: the one position, to broadcast)."""
    if step > 0:
        return slice(p0, p0 + k)
    if step < 0:
        return slice(p0, p0 - k if p0 >= k else None, -1)
    return slice(p0, p0 + 1)


def _index_pad(x, pads, mode):
    """x padded by index maps (reflect, replicate, circular): one output buffer, the source's
    block copied in once, then each dim's borders filled by slice copies of what is already
    there (pure copies: the same values as a take along each dim, at a fraction of its cost)."""
    xp = _xp(x)
    lead = x.ndim - len(pads)
    idxs = [_pad_index(n, lo, hi, mode) for n, (lo, hi) in zip(x.shape[lead:], pads)]
    blocks = [_block(idx) for idx in idxs]
    if not x.size or not all(len(idx) for idx in idxs) or None in blocks:
        for i, idx in enumerate(idxs):  # the general gather, for what has no source block
            x = xp.take(x, xp.asarray(idx), axis=lead + i)
        return x
    out = xp.empty(x.shape[:lead] + tuple(len(idx) for idx in idxs), x.dtype)
    whole = (slice(None),) * lead
    dst = tuple(slice(a, a + k) for a, _, k in blocks)
    out[whole + dst] = x[whole + tuple(slice(p, p + k) for _, p, k in blocks)]
    for i, (idx, (a, p, k)) in enumerate(zip(idxs, blocks)):
        pre = (slice(None),) * (lead + i)  # dims before i are complete, dims after hold the block
        post = dst[i + 1:]
        for start, stop in ((0, a), (a + k, len(idx))):
            if stop - start < 8:  # a narrow border: NumPy copies it fastest slice by slice
                for j in range(start, stop):
                    out[pre + (j,) + post] = out[pre + (a + int(idx[j]) - p,) + post]
                continue
            for o0, o1, p0, step in _runs(idx, start, stop):
                src = _span(a + p0 - p, o1 - o0, step)
                out[pre + (slice(o0, o1),) + post] = out[pre + (src,) + post]
    return out


def _block(idx):
    """(a, p, k): idx[a:a + k] = p, p + 1, ..., covering every value of idx; None if no such."""
    if not len(idx):
        return None
    p = int(idx.min())
    k = int(idx.max()) - p + 1
    want = np.arange(p, p + k)
    for a in np.flatnonzero(idx[:len(idx) - k + 1] == p):
        if np.array_equal(idx[a:a + k], want):
            return int(a), p, k
    return None


class Pad(Op):
    """Pads the trailing dims by (lo, hi) pairs; negative constant pads crop."""

    _name = "ConstantPadNdBackward0"

    def jvp(ctx, t, *_):  # linear in x; the constant fills with the tangent's zero
        return Pad.apply(t, ctx.inputs[1], ctx.inputs[2], 0)

    def forward(ctx, x, pads, mode, value):
        ctx.pads, ctx.mode, ctx.shape = pads, mode, x.shape
        if mode == "constant":
            lead = x.ndim - len(pads)
            crop = (Ellipsis,) + tuple(slice(max(-lo, 0), s - max(-hi, 0))
                                       for s, (lo, hi) in zip(x.shape[lead:], pads))
            pos = tuple((max(lo, 0), max(hi, 0)) for lo, hi in pads)
            y = _zero_pad(x[crop], pos, value)
            return y.copy() if y is x or y.base is x else y
        return _index_pad(x, pads, mode)

    def backward(ctx, grad):
        return PadGrad.apply(grad, ctx.pads, ctx.mode, ctx.shape), None, None, None


class PadGrad(Op):
    """Adjoint of Pad: interior slice plus the pad borders added back where they came from."""

    _name = "ConstantPadNdBackwardBackward0"
    jvp = _fwd.linear

    def forward(ctx, g, pads, mode, shape):
        ctx.pads, ctx.mode = pads, mode
        xp = _xp(g)
        lead = g.ndim - len(pads)
        if mode == "constant":
            out = xp.zeros(shape, g.dtype)
            src = tuple(slice(max(lo, 0), max(lo, 0) + s - max(-lo, 0) - max(-hi, 0))
                        for s, (lo, hi) in zip(shape[lead:], pads))
            dst = tuple(slice(max(-lo, 0), s - max(-hi, 0))
                        for s, (lo, hi) in zip(shape[lead:], pads))
            out[(Ellipsis,) + dst] = g[(Ellipsis,) + src]
            return out
        if mode != "circular":  # (torch's circular padding is composed of copies: its own order)
            return _raster_sum(g, pads, mode, shape)
        for i, (lo, hi) in enumerate(pads):
            ax = lead + i
            n = shape[ax]
            idx = _pad_index(n, lo, hi, mode)
            if lo < 0 or hi < 0:  # a crop too: every output index adds into its source
                gm = xp.moveaxis(g, ax, 0)
                acc = xp.zeros((n,) + gm.shape[1:], g.dtype)
                xp.add.at(acc, xp.asarray(idx), gm)
                g = xp.ascontiguousarray(xp.moveaxis(acc, 0, ax))
                continue
            pre = (slice(None),) * ax
            acc = g[pre + (slice(lo, lo + n),)] + g.dtype.type(0)  # 0 + g, as torch: -0.0 is +0.0
            # torch's copies, dim by dim: the right pad's gradient back first, then the left's
            for j in itertools.chain(range(lo + n, lo + n + hi), range(lo)):
                acc[pre + (int(idx[j]),)] += g[pre + (j,)]
            g = acc
        return g

    def backward(ctx, grad):
        return Pad.apply(grad, ctx.pads, ctx.mode, 0), None, None, None


def _raster_sum(g, pads, mode, shape):
    """Reflect / replicate padding's input gradient as torch's kernel sums it: zeros, then every
    output cell added into its source cell in the output's raster order (`raster_add`)."""
    lead = g.ndim - len(pads)
    return raster_add(_xp(g), g, [_pad_index(n, lo, hi, mode)
                                  for n, (lo, hi) in zip(shape[lead:], pads)], shape)


_PAD_HELP = ("Supported combinations for non-constant padding:\n"
             "  - 2D or 3D input: padding size = 2 (pads last dimension)\n"
             "  - 3D or 4D input: padding size = 4 (pads last 2 dimensions)\n"
             "  - 4D or 5D input: padding size = 6 (pads last 3 dimensions)")


def pad(input, pad, mode="constant", value=None):
    """Matches torch.nn.functional.pad: `pad` lists (lo, hi) from the last dim backwards."""
    pad = [int(p) for p in pad]
    if len(pad) % 2:
        raise RuntimeError("Padding length must be divisible by 2")
    if len(pad) // 2 > input.dim():
        raise RuntimeError("Padding length should be less than or equal to two times the input "
                           f"dimension but got padding length {len(pad)} and input of "
                           f"dimension {input.dim()}")
    pairs = tuple((pad[2 * i], pad[2 * i + 1]) for i in range(len(pad) // 2))[::-1]
    shape = tuple(input.shape)
    if mode == "constant":
        _check_crop(shape, pairs)
        r = Pad.apply(input, pairs, mode, 0 if value is None else value)
        if r.grad_fn is not None:
            r.grad_fn._given = tuple(pad)  # torch's saved `pad`
        return r
    if mode not in ("reflect", "replicate", "circular"):
        raise NotImplementedError(f"Unrecognised padding mode {mode}")
    if value is not None and value != 0:  # (torch lets a zero value through)
        raise RuntimeError(f'Padding mode "{mode}" doesn\'t take in value argument')
    n = len(pairs)
    if input.dim() not in (n + 1, n + 2) or n > 3:
        raise NotImplementedError(f"Padding size {len(pad)} is not supported for "
                                  f"{input.dim()}D input tensor.\n{_PAD_HELP}")
    if _amp.on and (n < 3 or mode == "replicate") and mode != "circular" and _amp.active():
        return _amp.fp32(_pad, input, pad, mode, value)  # torch's reflection/replication_pad
    if mode == "circular":
        _check_circular(shape, pairs)
    else:
        _check_border_pad(shape, pairs, mode)
    if mode == "circular":
        return Pad.apply(input, pairs, mode, 0)
    r = BorderPad.apply(input, pairs, mode, 0)
    if r.grad_fn is not None:  # torch's node per mode and rank, with its saved `padding`
        kind = "Reflection" if mode == "reflect" else "Replication"
        r.grad_fn._name = f"{kind}Pad{n}DBackward0"
        r.grad_fn._given = tuple(pad)
    return r


class BorderPad(Pad):
    """Reflect / replicate padding: torch's node saves the input."""

    save_inputs = (0,)


_pad = pad  # the function, which pad's own argument shadows


def _check_crop(shape, pairs):
    """torch crops a negative constant pad with narrow(), which refuses a negative length."""
    lead = len(shape) - len(pairs)
    for n, (lo, hi) in zip(shape[lead:], pairs):
        for p in (lo, hi):
            if p < 0:
                n += p
                if n < 0:
                    raise RuntimeError("narrow(): length must be non-negative.")


def _check_circular(shape, pairs):
    lead = len(shape) - len(pairs)
    for n, (lo, hi) in zip(shape[lead:], pairs):
        if lo > n or hi > n:
            raise RuntimeError("Padding value causes wrapping around more than once.")
        if n + lo + hi < 0:
            raise RuntimeError("Negative padding value is resulting in an empty dimension")


def _check_border_pad(shape, pairs, mode):
    """torch's checks of reflection / replication padding, in torch's order and words (the
    size check of a 2-d or 3-d pad passes while any output dim is positive)."""
    nd = len(pairs)
    if not all(shape[len(shape) == nd + 2:]):
        raise RuntimeError(f"Expected {nd + 1}D or {nd + 2}D (batch mode) tensor with possibly 0 "
                           "batch size and other non-zero dimensions for input, but got: "
                           f"{_sz(shape)}")
    lead = len(shape) - nd
    S = shape[lead:]
    if mode == "reflect":
        for i in reversed(range(nd)):  # W first, as torch
            lo, hi = pairs[i]
            if lo >= S[i] or hi >= S[i]:
                raise RuntimeError(
                    f"Argument #{4 + 2 * (nd - 1 - i)}: Padding size should be less than the "
                    f"corresponding input dimension, but got: padding ({lo}, {hi}) at dimension "
                    f"{lead + i} of input {_sz(shape)}")
    out = tuple(n + lo + hi for n, (lo, hi) in zip(S, pairs))
    if all(o < 1 for o in out):
        names = "DHW"[3 - nd:]
        if nd == 1:
            sizes = f"W: {S[0]})"
        elif nd == 2:
            sizes = f"H: {S[0]}, W: {S[1]}{' ' if mode == 'replicate' else ''})"
        else:
            sizes = f"D: {S[0]} H: {S[1]}, W: {S[2]})"
        raise RuntimeError(f"input ({sizes} is too small. Calculated output "
                           + " ".join(f"{a}: {o}" for a, o in zip(names, out)))
    neg = [o for o in out if o < 0]
    if neg:
        if nd == 2 and mode == "reflect":
            raise RuntimeError("numel: integer multiplication overflow")
        raise RuntimeError(f"Trying to create tensor with negative dimension {neg[0]}: "
                           f"{_sz(shape[:lead] + out)}")
