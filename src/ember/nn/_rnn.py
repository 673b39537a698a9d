"""Recurrent kernels: one fused Op per layer and direction for RNN (tanh/relu), LSTM and GRU.

The input projection of every time step is one GEMM up front; the time loop then does one small
GEMM per step on NumPy arrays, and backward runs backpropagation through time in the same way
(one GEMM per step, weight gradients as one GEMM each at the end). Variable-length batches
(packed sequences, sorted by decreasing length) are handled with `batch_sizes`: at step t only
the first batch_sizes[t] rows advance. Gates are torch's: LSTM i, f, g, o; GRU r, z, n.
First-order gradients only (as torch's fused CPU/cuDNN RNN kernels): a double backward raises.
"""

import numpy as np

from ..autograd.function import Op


def _sigmoid(x):
    with np.errstate(over="ignore"):
        return 1.0 / (1.0 + np.exp(-x))


def _steps(T, reverse):
    return range(T - 1, -1, -1) if reverse else range(T)


def _proj(x, w, b):
    T, B, _ = x.shape
    g = np.dot(x.reshape(T * B, -1), w.T)
    if b is not None:
        g += b
    return g.reshape(T, B, -1)


def _bsizes(batch_sizes, T, B):
    return [B] * T if batch_sizes is None else batch_sizes


class _RecurrentOp(Op):
    """Inputs: x (T,B,I), h0 (B,H), [c0], w_ih, w_hh, b_ih, b_hh. Outputs: y (T,B,H), h_n[, c_n]."""

    def backward(ctx, *grads):
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

    def forward(ctx, x, h0, w_ih, w_hh, b_ih, b_hh, relu, reverse, batch_sizes):
        T, B, _ = x.shape
        g = _proj(x, w_ih, b_ih)
        if b_hh is not None:
            g += b_hh
        bs = _bsizes(batch_sizes, T, B)
        H = w_hh.shape[0]
        ys = np.zeros((T, B, H), x.dtype)
        hprev = np.empty((T, B, H), x.dtype)
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
    dw_ih = np.dot(dg.T, x.reshape(T * B, -1))
    dw_hh = np.dot(dgh.T, hprev.reshape(T * B, -1))
    db_ih = dg.sum(0) if has_b else None
    db_hh = dgh.sum(0) if has_b else None
    if extra is None:
        return dx, dh0, dw_ih, dw_hh, db_ih, db_hh, None, None, None
    return dx, dh0, extra, dw_ih, dw_hh, db_ih, db_hh, None, None


class LSTMLayer(_RecurrentOp):
    _name = "MkldnnRnnLayerBackward0"

    def forward(ctx, x, h0, c0, w_ih, w_hh, b_ih, b_hh, reverse, batch_sizes):
        T, B, _ = x.shape
        H = w_hh.shape[1]
        g = _proj(x, w_ih, b_ih)
        if b_hh is not None:
            g += b_hh
        bs = _bsizes(batch_sizes, T, B)
        gates = np.zeros((T, B, 4 * H), x.dtype)  # activated i, f, g, o
        cs = np.zeros((T, B, H), x.dtype)
        cprev = np.empty((T, B, H), x.dtype)
        hprev = np.empty((T, B, H), x.dtype)
        ys = np.zeros((T, B, H), x.dtype)
        h, c = h0.copy(), c0.copy()
        w_hhT = np.ascontiguousarray(w_hh.T)
        for t in _steps(T, reverse):
            b = bs[t]
            hprev[t, :b], cprev[t, :b] = h[:b], c[:b]
            a = g[t, :b] + np.dot(h[:b], w_hhT)
            act = gates[t, :b]
            act[:, :2 * H] = _sigmoid(a[:, :2 * H])
            act[:, 2 * H:3 * H] = np.tanh(a[:, 2 * H:3 * H])
            act[:, 3 * H:] = _sigmoid(a[:, 3 * H:])
            i, f, gg, o = act[:, :H], act[:, H:2 * H], act[:, 2 * H:3 * H], act[:, 3 * H:]
            c[:b] = f * c[:b] + i * gg
            cs[t, :b] = c[:b]
            h[:b] = o * np.tanh(c[:b])
            ys[t, :b] = h[:b]
        ctx.saved = (x, h0, w_ih, w_hh, gates, cs, cprev, hprev, reverse, bs, b_ih is not None)
        return ys, h, c

    def _bptt(ctx, dy, dhn, dcn):
        x, h0, w_ih, w_hh, gates, cs, cprev, hprev, reverse, bs, has_b = ctx.saved
        T, B, H = cs.shape
        dh = np.zeros_like(h0) if dhn is None else dhn.copy()
        dc = np.zeros_like(h0) if dcn is None else dcn.copy()
        dgates = np.zeros_like(gates)
        for t in _steps(T, not reverse):
            b = bs[t]
            act = gates[t, :b]
            i, f, gg, o = act[:, :H], act[:, H:2 * H], act[:, 2 * H:3 * H], act[:, 3 * H:]
            tc = np.tanh(cs[t, :b])
            d_h = dh[:b] if dy is None else dy[t, :b] + dh[:b]
            d_c = dc[:b] + d_h * o * (1 - tc * tc)
            dg = dgates[t, :b]
            dg[:, :H] = d_c * gg * i * (1 - i)
            dg[:, H:2 * H] = d_c * cprev[t, :b] * f * (1 - f)
            dg[:, 2 * H:3 * H] = d_c * i * (1 - gg * gg)
            dg[:, 3 * H:] = d_h * tc * o * (1 - o)
            dc[:b] = d_c * f
            dh[:b] = np.dot(dg, w_hh)
        return _weights_grads(x, hprev, dgates, w_ih, dh, has_b, dc)


class GRULayer(_RecurrentOp):
    _name = "MkldnnRnnLayerBackward0"

    def forward(ctx, x, h0, w_ih, w_hh, b_ih, b_hh, reverse, batch_sizes):
        T, B, _ = x.shape
        H = w_hh.shape[1]
        gi = _proj(x, w_ih, b_ih)
        bs = _bsizes(batch_sizes, T, B)
        r_z = np.zeros((T, B, 2 * H), x.dtype)
        n_ = np.zeros((T, B, H), x.dtype)
        hn_ = np.zeros((T, B, H), x.dtype)  # W_hn h + b_hn
        hprev = np.empty((T, B, H), x.dtype)
        ys = np.zeros((T, B, H), x.dtype)
        h = h0.copy()
        w_hhT = np.ascontiguousarray(w_hh.T)
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
        dgi = np.zeros((T, B, 3 * H), x.dtype)
        dgh = np.zeros((T, B, 3 * H), x.dtype)
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
    ctx.saved = None
    ctx._saved = None
    ctx._out = None
    ctx._freed = True


_RecurrentOp._release = _release
