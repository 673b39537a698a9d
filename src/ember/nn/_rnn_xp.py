"""The LSTM layer's kernel on a device array module (CuPy): the same math as nn/_rnn.py's
NumPy kernel, written with whole-array operations of `xp` and no host workspace pool.

nn/_rnn.py's LSTMLayer hands non-NumPy inputs here: forward is one input-projection GEMM over
the sequence, then per step one (B, H) @ (H, 4H) GEMM and the gate activations (torch's order
i, f, g, o); backward is backpropagation through time with one GEMM per step and each weight
gradient as one GEMM over the sequence. Packed sequences (`batch_sizes`) stay on the CPU kernel.
"""

import numpy as np

from .._args import unsupported
from .._device import array_module


def _sigmoid(xp, a):
    with np.errstate(over="ignore"):  # NumPy-backed stand-ins; CuPy does not warn
        return 1.0 / (1.0 + xp.exp(-a))


def _steps(T, reverse):
    return range(T - 1, -1, -1) if reverse else range(T)


def lstm_forward(ctx, x, h0, c0, w_ih, w_hh, b_ih, b_hh, reverse, batch_sizes):
    """Outputs y (T, B, H), h_n, c_n; saves what lstm_backward needs on `ctx.saved`."""
    if batch_sizes is not None:
        unsupported("torch.nn.LSTM on cuda", "input", "PackedSequence")
    xp = array_module(x)
    T, B, I = x.shape
    H = w_hh.shape[1]
    H2, H3 = 2 * H, 3 * H
    gx = xp.matmul(x.reshape(T * B, I), w_ih.T).reshape(T, B, 4 * H)
    if b_ih is not None:
        gx += b_ih if b_hh is None else b_ih + b_hh
    dt = gx.dtype
    acts = xp.empty((T, B, 4 * H), dt)
    S = xp.empty((T + 1, B, H), dt)  # hidden states, h0 at one end
    C = xp.empty((T + 1, B, H), dt)  # cell states
    TC = xp.empty((T, B, H), dt)     # tanh(c_t)
    first = T if reverse else 0
    S[first] = h0
    C[first] = c0
    w_hhT = w_hh.T
    for t in _steps(T, reverse):
        p, n = (t + 1, t) if reverse else (t, t + 1)
        a = gx[t] + xp.matmul(S[p], w_hhT)
        act = acts[t]
        act[:, :H2] = _sigmoid(xp, a[:, :H2])
        act[:, H2:H3] = xp.tanh(a[:, H2:H3])
        act[:, H3:] = _sigmoid(xp, a[:, H3:])
        C[n] = act[:, H:H2] * C[p] + act[:, :H] * act[:, H2:H3]
        TC[t] = xp.tanh(C[n])
        S[n] = act[:, H3:] * TC[t]
    ys = (S[:T] if reverse else S[1:]).copy()
    last = 0 if reverse else T
    ctx.saved = (x, w_ih, w_hh, acts, C, TC, S, reverse, b_ih is not None)
    ctx.xp_kernel = True
    return ys, S[last].copy(), C[last].copy()


def lstm_backward(ctx, dy, dhn, dcn):
    """Gradients of x, h0, c0, w_ih, w_hh, b_ih, b_hh (and None for reverse, batch_sizes)."""
    x, w_ih, w_hh, acts, C, TC, S, reverse, has_b = ctx.saved
    xp = array_module(x)
    T, B, I = x.shape
    H = w_hh.shape[1]
    H2, H3 = 2 * H, 3 * H
    dt = acts.dtype
    dh = xp.zeros((B, H), dt) if dhn is None else dhn.copy()
    dc = xp.zeros((B, H), dt) if dcn is None else dcn.copy()
    dG = xp.empty((T, B, 4 * H), dt)
    for t in _steps(T, not reverse):
        p = t + 1 if reverse else t
        if dy is not None:
            dh = dh + dy[t]
        act, tc = acts[t], TC[t]
        i, f, g, o = act[:, :H], act[:, H:H2], act[:, H2:H3], act[:, H3:]
        dc = dc + dh * o * (1 - tc * tc)
        d = dG[t]
        d[:, :H] = dc * g * i * (1 - i)
        d[:, H:H2] = dc * C[p] * f * (1 - f)
        d[:, H2:H3] = dc * i * (1 - g * g)
        d[:, H3:] = dh * tc * o * (1 - o)
        dc = dc * f
        dh = xp.matmul(d, w_hh)
    dG2 = dG.reshape(T * B, 4 * H)
    hprev = S[1:] if reverse else S[:T]
    dx = xp.matmul(dG2, w_ih).reshape(x.shape)
    dw_ih = xp.matmul(dG2.T, x.reshape(T * B, I))
    dw_hh = xp.matmul(dG2.T, hprev.reshape(T * B, H))
    db = dG2.sum(0) if has_b else None
    return (dx, dh, dc, dw_ih, dw_hh, db, None if db is None else db.copy(), None, None)
