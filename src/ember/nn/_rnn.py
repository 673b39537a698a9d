"""Recurrent kernels: one fused Op per layer and direction for RNN (tanh/relu), LSTM and GRU.

The input projection of every time step is one GEMM up front; the time loop then does one small
GEMM per step on NumPy arrays, and backward runs backpropagation through time in the same way
(one GEMM per step, weight gradients as one GEMM each at the end; LSTM's as a single GEMM, its
large buffers reused across calls from a small workspace pool). Variable-length batches
(packed sequences, sorted by decreasing length) are handled with `batch_sizes`: at step t only
the first batch_sizes[t] rows advance. Gates are torch's: LSTM i, f, g, o; GRU r, z, n.
First-order gradients only (as torch's fused CPU/cuDNN RNN kernels): a double backward raises.
"""

import numpy as np

from .. import _meta
from .._device import array_module as _xp
from .._gemm import matmul as _mm
from .._meta import MetaArray
from ..amp import _hook as _amp
from ..autograd import forward_ad as _fwd
from ..autograd.function import Op


def _sigmoid(x):
    with np.errstate(over="ignore"):
        return 1.0 / (1.0 + np.exp(-x))


def _steps(T, reverse):
    return range(T - 1, -1, -1) if reverse else range(T)


def _proj(x, w, b):
    T, B, _ = x.shape
    g = _mm(x.reshape(T * B, x.shape[2]), w.T)  # explicit sizes: B may be 0
    if b is not None:
        g += b
    return g.reshape(T, B, w.shape[0])


def _bsizes(batch_sizes, T, B):
    return [B] * T if batch_sizes is None else batch_sizes


# Workspace: the LSTM kernel's large per-call buffers (gates, states, their gradients) come from
# here and go back when backward is done with them (or the graph is freed), so a training loop
# reuses the same pages instead of faulting in fresh ones every step (about 1 ms per 6 MB).
# Bounded: at most _POOL_CAP free buffers per (shape, dtype) and _POOL_MAX bytes in all.
_POOL = {}
_POOL_CAP = 4
_POOL_MAX = 256 << 20
_pooled = [0]  # bytes held


def _take(shape, dt):
    free = _POOL.get((shape, np.dtype(dt)))
    try:  # pop, not a length test: another thread (DataParallel's replicas) may take it first
        a = free.pop()
    except (AttributeError, IndexError):
        return np.empty(shape, dt)
    _pooled[0] -= a.nbytes
    return a


def _give(*arrays):
    for a in arrays:
        free = _POOL.setdefault((a.shape, a.dtype), [])
        if len(free) < _POOL_CAP and _pooled[0] + a.nbytes <= _POOL_MAX:
            free.append(a)
            _pooled[0] += a.nbytes


def _row_blocks(M, K, N):
    """Row ranges splitting an (M, K) @ (K, N) GEMM: OpenBLAS packs a large operand on every
    call, and blocks of at most 10^6 multiply-adds run its unpacked small-matrix kernels, 10-30%
    faster for the LSTM's per-step products; problems too small or too large to gain stay one
    GEMM."""
    rows = 10 ** 6 // max(K * N, 1) // 8 * 8
    if M * K * N <= 10 ** 6 or rows < 16:
        return [(0, M)]
    return [(lo, min(lo + rows, M)) for lo in range(0, M, rows)]


def _proj_t(x, w, b_ih, b_hh):
    """Input projection of all steps of x (T, B, I) in the transposed layout (T, G, B), biases
    added: a workspace buffer. One row-blocked W_ih @ x_t^T per step (the dot products of one
    GEMM over the sequence) writes each step's slice in place: no transposing pass over a
    (G, T*B) result, which cost more than the GEMM's own packing saves."""
    T, B, I = x.shape
    G = w.shape[0]
    dt = np.result_type(x, w)
    out = _take((T, G, B), dt)
    xT = _take((T, I, B), x.dtype)
    np.copyto(xT, x.transpose(0, 2, 1))
    blocks = [(w[lo:hi], lo, hi) for lo, hi in _row_blocks(G, I, B)]
    b = None if b_ih is None else (b_ih + b_hh if b_hh is not None else b_ih)[:, None]
    for t in range(T):
        o, xt = out[t], xT[t]
        for wb, lo, hi in blocks:
            np.dot(wb, xt, out=o[lo:hi])
        if b is not None:
            o += b
    _give(xT)
    return out


class _RecurrentOp(Op):
    """Inputs: x (T,B,I), h0 (B,H), [c0], w_ih, w_hh, b_ih, b_hh. Outputs: y (T,B,H), h_n[, c_n]."""

    def jvp(ctx, *tangents):  # forward AD: the recurrence replayed on duals (nn/_rnn_jvp.py)
        from ._rnn_jvp import replay
        return replay(ctx, *tangents)

    @staticmethod
    def _meta(ctx, inputs, n_out):
        """Meta inputs: y (T,B,H) and the states (B,H) with no time loop; backward gives meta
        gradients shaped as the inputs."""
        x, h0 = inputs[0], inputs[1]
        ctx.meta = [(a.shape, a.dtype) if isinstance(a, np.ndarray) else None for a in inputs]
        ctx.saved = ()
        y = _meta.empty(x.shape[:2] + h0.shape[-1:], x.dtype)
        return (y,) + tuple(_meta.empty(h0.shape, h0.dtype) for _ in range(n_out - 1))

    def backward(ctx, *grads):
        if ctx.__dict__.get("meta") is not None:  # meta: gradients of the inputs' shapes
            from .._tensor import _wrap
            return tuple(None if m is None else _wrap(_meta.empty(*m)) for m in ctx.meta)
        if ctx.saved is None:
            from ..autograd.function import _FREED
            raise RuntimeError(_FREED)
        from .._tensor import _wrap
        from ..autograd import grad_mode
        if grad_mode.is_grad_enabled():
            raise RuntimeError("ember's fused RNN kernels do not support double backward")
        arrays = [None if g is None else g._data for g in grads]
        res = ctx._bptt(*arrays)
        return tuple(None if r is None else _wrap(r) for r in res)


def _zeros_like(a):
    return np.zeros_like(a)


class RNNLayer(_RecurrentOp):
    _name = "RnnTanhBackward0"
    _cell = "rnn"

    @classmethod
    def apply(cls, *args, **kwargs):
        if _amp.on and _amp.active():  # torch's RNN steps are linear ops: autocast's dtype
            return _amp.lower_fused(cls.apply, *args, **kwargs)
        return super().apply(*args, **kwargs)

    def forward(ctx, x, h0, w_ih, w_hh, b_ih, b_hh, relu, reverse, batch_sizes):
        if type(x) is MetaArray:
            return ctx._meta(ctx, (x, h0, w_ih, w_hh, b_ih, b_hh, relu, reverse, batch_sizes), 2)
        T, B, _ = x.shape
        g = _proj(x, w_ih, b_ih)
        if b_hh is not None:
            g += b_hh
        bs = _bsizes(batch_sizes, T, B)
        H = w_hh.shape[0]
        xp = _xp(x)  # NumPy, or CuPy for a device array (np.dot/np.tanh dispatch to it)
        ys = xp.zeros((T, B, H), x.dtype)
        hprev = xp.zeros((T, B, H), x.dtype)  # (packed: rows past a step's batch are read as 0)
        h = h0.copy()
        for t in _steps(T, reverse):
            b = bs[t]
            hprev[t, :b] = h[:b]
            a = g[t, :b] + np.dot(h[:b], w_hh.T)
            h[:b] = np.maximum(a, 0) if relu else np.tanh(a)
            ys[t, :b] = h[:b]
        ctx.saved = (x, h0, w_ih, w_hh, ys, hprev, relu, reverse, bs, b_ih is not None)
        return ys, h

    def _bptt(ctx, dy, dhn):
        x, h0, w_ih, w_hh, ys, hprev, relu, reverse, bs, has_b = ctx.saved
        T, B, H = ys.shape
        dy = np.zeros_like(ys) if dy is None else dy
        dh = np.zeros_like(h0) if dhn is None else dhn.copy()
        da = np.zeros_like(ys)
        for t in _steps(T, not reverse):
            b = bs[t]
            d = dy[t, :b] + dh[:b]
            d = d * (ys[t, :b] > 0) if relu else d * (1 - ys[t, :b] ** 2)
            da[t, :b] = d
            dh[:b] = np.dot(d, w_hh)
        return _weights_grads(x, hprev, da, w_ih, dh, has_b, None)


def _weights_grads(x, hprev, dgates, w_ih, dh0, has_b, extra, dgates_h=None):
    T, B, G = dgates.shape
    dg = dgates.reshape(T * B, G)
    dgh = dg if dgates_h is None else dgates_h.reshape(T * B, G)
    dx = np.dot(dg, w_ih).reshape(x.shape)
    dw_ih = np.dot(dg.T, x.reshape(T * B, x.shape[2]))
    dw_hh = np.dot(dgh.T, hprev.reshape(T * B, hprev.shape[2]))
    db_ih = dg.sum(0) if has_b else None
    db_hh = dgh.sum(0) if has_b else None
    if extra is None:
        return dx, dh0, dw_ih, dw_hh, db_ih, db_hh, None, None, None
    return dx, dh0, extra, dw_ih, dw_hh, db_ih, db_hh, None, None


def lstm_layer(*args):
    """nn.LSTM's layer: torch runs it as mkldnn_rnn_layer, on autocast's lower-precision list
    (LSTMCell is linear ops mixed with its float32 cell state, so it stays float32)."""
    if _amp.on and _amp.active():
        return _amp.lower_fused(LSTMLayer.apply, *args)
    return LSTMLayer.apply(*args)


class LSTMLayer(_RecurrentOp):
    """Time loop in a transposed (gates x batch) layout: one W_hh @ h^T GEMM per step (OpenBLAS
    runs the 4H x B output faster than B x 4H, and faster still in row blocks, `_row_blocks`,
    as it does backward's W_hh^T @ d_gates) and every elementwise pass written with out= into
    workspace buffers. Saved: activated gates (T,4H,B), cell states (T+1,H,B), tanh(c) (T,H,B)
    and hidden states (T+1,B,H), whose forward-order slice is also the output. Backward scales
    the gates' local derivatives step by step and takes every weight gradient (and the bias's)
    from one GEMM over the sequence."""

    _name = "MkldnnRnnLayerBackward0"
    _cell = "lstm"

    def jvp(ctx, *tangents):
        # torch runs float32/bfloat16/float16 LSTMs as mkldnn_rnn_layer, which has no forward
        # derivative; float64 runs step by step, whose ops have them
        if ctx.inputs[0].dtype.itemsize != 8:
            return _fwd.missing(ctx)
        return _RecurrentOp.jvp(ctx, *tangents)

    def _grad_slots(self):  # torch's edges: input, w_ih, w_hh, b_ih, b_hh, hx, cx
        return (0, 3, 4, 5, 6, 1, 2)

    def forward(ctx, x, h0, c0, w_ih, w_hh, b_ih, b_hh, reverse, batch_sizes):
        if type(x) is MetaArray:
            return ctx._meta(ctx, (x, h0, c0, w_ih, w_hh, b_ih, b_hh, reverse, batch_sizes), 3)
        if x.__class__ is not np.ndarray:  # a device array: nn/_rnn_xp.py's kernel
            from ._rnn_xp import lstm_forward
            return lstm_forward(ctx, x, h0, c0, w_ih, w_hh, b_ih, b_hh, reverse, batch_sizes)
        T, B, _ = x.shape
        H = w_hh.shape[1]
        H2, H3, G = 2 * H, 3 * H, 4 * H
        gates = _proj_t(x, w_ih, b_ih, b_hh)  # (T, 4H, B): pre-activations, activated in place
        dt = gates.dtype
        bs = _bsizes(batch_sizes, T, B)
        S = _take((T + 1, B, H), dt)          # hidden states, h0 at one end
        C = _take((T + 1, H, B), dt)          # cell states, transposed
        TC = _take((T, H, B), dt)             # tanh(c_t)
        if batch_sizes is not None:
            TC.fill(0)
        first = T if reverse else 0
        S[first] = h0
        C[first] = c0.T
        scratch = _take((G * B,), dt)
        hT = _take((H, B), dt)                # h_t^T, the next step's GEMM operand
        np.copyto(hT, h0.T)
        full = scratch.reshape(G, B)
        blocks = [(w_hh[lo:hi], full[lo:hi]) for lo, hi in _row_blocks(G, H, B)]
        with np.errstate(over="ignore"):
            for t in _steps(T, reverse):
                b = bs[t]
                p, n = (t + 1, t) if reverse else (t, t + 1)
                if b == B:
                    a = full
                    for wb, ob in blocks:
                        np.dot(wb, hT, out=ob)
                else:
                    a = scratch[:G * b].reshape(G, b)
                    np.dot(w_hh, S[p, :b].T, out=a)
                act = gates[t, :, :b]
                a += act
                for lo, hi in ((0, H2), (H3, G)):  # sigmoid(i, f) and sigmoid(o)
                    s = a[lo:hi]
                    np.negative(s, out=s)
                    np.exp(s, out=s)
                    s += 1
                    np.reciprocal(s, out=act[lo:hi])
                np.tanh(a[H2:H3], out=act[H2:H3])
                i, f, g, o = act[:H], act[H:H2], act[H2:H3], act[H3:]
                c = C[n, :, :b]
                np.multiply(f, C[p, :, :b], out=c)
                ig = a[:H]
                np.multiply(i, g, out=ig)
                c += ig
                tc = TC[t, :, :b]
                np.tanh(c, out=tc)
                if b == B:
                    np.multiply(o, tc, out=hT)
                    S[n] = hT.T
                else:
                    np.multiply(o, tc, out=ig)
                    S[n, :b] = ig.T
                    S[n, b:] = S[p, b:]  # packed: rows past b keep their state
                    C[n, :, b:] = C[p, :, b:]
                    np.copyto(hT, S[n].T)
        ys = (S[:T] if reverse else S[1:]).copy()
        if batch_sizes is not None:
            for t in range(T):
                ys[t, bs[t]:] = 0
        last = 0 if reverse else T
        _give(scratch, hT)
        ctx.saved = (x, w_ih, w_hh, gates, C, TC, S, reverse, bs, b_ih is not None,
                     batch_sizes is not None)
        ctx._pool = (gates, C, TC, S)
        return ys, S[last].copy(), C[last].T.copy()

    def _bptt(ctx, dy, dhn, dcn):
        if "xp_kernel" in ctx.__dict__:
            from ._rnn_xp import lstm_backward
            return lstm_backward(ctx, dy, dhn, dcn)
        x, w_ih, w_hh, gates, C, TC, S, reverse, bs, has_b, packed = ctx.saved
        T, B, H = S.shape[0] - 1, S.shape[1], S.shape[2]
        H2, H3, G = 2 * H, 3 * H, 4 * H
        I = x.shape[2]
        dt = gates.dtype
        dG = _take((T, G, B), dt)            # the gates' gradients of all steps
        if packed:
            dG.fill(0)                       # padded positions carry no gradient
        dh = np.zeros((H, B), dt) if dhn is None else dhn.T.copy()
        dc = np.zeros((H, B), dt) if dcn is None else dcn.T.copy()
        u = _take((H, B), dt)
        Dbuf = _take((G * B,), dt)
        scratch = _take((H * B,), dt)
        w_hhT = w_hh.T
        wT = np.ascontiguousarray(w_hhT)     # row blocks of W_hh^T, as in forward
        blocks = [(wT[lo:hi], dh[lo:hi]) for lo, hi in _row_blocks(H, G, B)]
        for t in _steps(T, not reverse):
            b = bs[t]
            # the gates' local derivatives: i(1-i) g, f(1-f) c_prev, (1-g^2) i, o(1-o) tanh(c)
            act = gates[t, :, :b]
            D = dG[t] if b == B else Dbuf[:G * b].reshape(G, b)  # contiguous
            i, f, g, o = act[:H], act[H:H2], act[H2:H3], act[H3:]
            tc = TC[t, :, :b]
            np.subtract(1, act, out=D)
            D *= act
            v = D[H2:H3]
            np.multiply(g, g, out=v)
            np.subtract(1, v, out=v)
            D[:H] *= g
            D[H:H2] *= C[t + 1 if reverse else t, :, :b]
            v *= i
            D[H3:] *= tc
            w = u[:, :b]                     # o * (1 - tanh(c)^2), then times d_h
            np.multiply(tc, tc, out=w)
            np.subtract(1, w, out=w)
            w *= o
            d_h = dh[:, :b]
            if dy is not None:
                d_h += dy[t, :b].T
            d_c = dc[:, :b]
            w *= d_h
            d_c += w
            D[:H3].reshape(3, H, b).__imul__(d_c)
            D[H3:] *= d_h
            d_c *= f
            if b < B:
                dG[t, :, :b] = D
            if b == B:
                for wb, ob in blocks:
                    np.dot(wb, D, out=ob)
            else:
                r = scratch[:H * b].reshape(H, b)
                np.dot(w_hhT, D, out=r)
                d_h[...] = r
        _give(u, Dbuf, scratch)
        dg2 = _take((G, T * B), dt)          # (G, T*B): the weight gradients' GEMM operand
        np.copyto(dg2.reshape(G, T, B), dG.transpose(1, 0, 2))
        _give(dG)
        # [x | h_prev | 1]: one GEMM gives dW_ih, dW_hh and the bias gradient
        K = I + H + has_b
        xh = _take((T * B, K), np.result_type(x, S))
        xh3 = xh.reshape(T, B, K)
        xh3[:, :, :I] = x
        xh3[:, :, I:I + H] = S[1:] if reverse else S[:T]
        if has_b:
            xh3[:, :, K - 1] = 1
        edges = getattr(ctx, "_edges", None)
        need_dx = not edges or edges[0][0] is not None  # x needs a gradient
        dx = np.dot(dg2.T, w_ih).reshape(x.shape) if need_dx else None
        dw = np.dot(dg2, xh)
        _give(dg2, xh)
        dw_ih, dw_hh = np.ascontiguousarray(dw[:, :I]), np.ascontiguousarray(dw[:, I:I + H])
        db = dw[:, K - 1].copy() if has_b else None
        return (dx, np.ascontiguousarray(dh.T), np.ascontiguousarray(dc.T), dw_ih, dw_hh, db,
                None if db is None else db.copy(), None, None)


class GRULayer(_RecurrentOp):
    _name = "MkldnnRnnLayerBackward0"
    _cell = "gru"

    def forward(ctx, x, h0, w_ih, w_hh, b_ih, b_hh, reverse, batch_sizes):
        if type(x) is MetaArray:
            return ctx._meta(ctx, (x, h0, w_ih, w_hh, b_ih, b_hh, reverse, batch_sizes), 2)
        T, B, _ = x.shape
        H = w_hh.shape[1]
        gi = _proj(x, w_ih, b_ih)
        bs = _bsizes(batch_sizes, T, B)
        xp = _xp(x)  # NumPy, or CuPy for a device array (np.dot/np.tanh dispatch to it)
        r_z = xp.zeros((T, B, 2 * H), x.dtype)
        n_ = xp.zeros((T, B, H), x.dtype)
        hn_ = xp.zeros((T, B, H), x.dtype)  # W_hn h + b_hn
        hprev = xp.zeros((T, B, H), x.dtype)  # (packed: rows past a step's batch are read as 0)
        ys = xp.zeros((T, B, H), x.dtype)
        h = h0.copy()
        w_hhT = xp.ascontiguousarray(w_hh.T)
        for t in _steps(T, reverse):
            b = bs[t]
            hprev[t, :b] = h[:b]
            gh = np.dot(h[:b], w_hhT)
            if b_hh is not None:
                gh += b_hh
            rz = _sigmoid(gi[t, :b, :2 * H] + gh[:, :2 * H])
            r_z[t, :b] = rz
            r, z = rz[:, :H], rz[:, H:]
            hn_[t, :b] = gh[:, 2 * H:]
            n = np.tanh(gi[t, :b, 2 * H:] + r * gh[:, 2 * H:])
            n_[t, :b] = n
            h[:b] = (1 - z) * n + z * h[:b]
            ys[t, :b] = h[:b]
        ctx.saved = (x, h0, w_ih, w_hh, r_z, n_, hn_, hprev, reverse, bs, b_ih is not None)
        return ys, h

    def _bptt(ctx, dy, dhn):
        x, h0, w_ih, w_hh, r_z, n_, hn_, hprev, reverse, bs, has_b = ctx.saved
        T, B, H = n_.shape
        dh = np.zeros_like(h0) if dhn is None else dhn.copy()
        xp = _xp(x)
        dgi = xp.zeros((T, B, 3 * H), x.dtype)
        dgh = xp.zeros((T, B, 3 * H), x.dtype)
        for t in _steps(T, not reverse):
            b = bs[t]
            r, z, n = r_z[t, :b, :H], r_z[t, :b, H:], n_[t, :b]
            d_h = dh[:b] if dy is None else dy[t, :b] + dh[:b]
            dn = d_h * (1 - z) * (1 - n * n)
            dz = d_h * (hprev[t, :b] - n) * z * (1 - z)
            dr = dn * hn_[t, :b] * r * (1 - r)
            dgi[t, :b, :H], dgi[t, :b, H:2 * H], dgi[t, :b, 2 * H:] = dr, dz, dn
            dgh[t, :b, :H], dgh[t, :b, H:2 * H], dgh[t, :b, 2 * H:] = dr, dz, dn * r
            dh[:b] = d_h * z + np.dot(dgh[t, :b], w_hh)
        return _weights_grads(x, hprev, dgi, w_ih, dh, has_b, None, dgh)


def _release(ctx):
    _give(*ctx.__dict__.pop("_pool", ()))  # the LSTM kernel's workspace buffers
    ctx.saved = None
    ctx._saved = None
    ctx._out = None
    ctx._freed = True


_RecurrentOp._release = _release


class LSTMCellOp(LSTMLayer):
    """LSTMLayer for nn.LSTMCell, which torch runs as a composite: it has tangents."""

    jvp = _RecurrentOp.jvp
