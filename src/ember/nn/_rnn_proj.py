"""LSTM with projections (nn.LSTM(proj_size=P)): one layer and direction as a time loop of ember
ops, so autograd gives its gradients (torch too runs this case on its composite default kernel,
not oneDNN's fused one). Each step is torch's LSTM cell followed by h = W_hr (o * tanh(c)).
Variable-length batches advance only their first batch_sizes[t] rows at step t.
"""

import warnings

from ..amp import _hook as _amp
from ..ops.shape import cat, stack

_warned = [False]


def _warn_once():
    if not _warned[0]:
        _warned[0] = True
        warnings.warn("LSTM with projections is not supported with oneDNN. Using default "
                      "implementation.", stacklevel=4)


def lstm_proj_layer(x, h0, c0, w_ih, w_hh, b_ih, b_hh, w_hr, reverse, batch_sizes):
    """x (T, B, I), h0 (B, P), c0 (B, H) -> y (T, B, P), (h_n, c_n)."""
    _warn_once()
    if _amp.on and _amp.active():  # torch's lstm is on autocast's lower-precision list
        return _amp.lower(lstm_proj_layer, x, h0, c0, w_ih, w_hh, b_ih, b_hh, w_hr, reverse,
                          batch_sizes)
    T, B = x.shape[0], x.shape[1]
    gx = x @ w_ih.mT
    if b_ih is not None:
        gx = gx + b_ih
    h, c = h0, c0
    ys = [None] * T
    for t in (range(T - 1, -1, -1) if reverse else range(T)):
        b = B if batch_sizes is None else int(batch_sizes[t])
        hb, cb = (h, c) if b == B else (h[:b], c[:b])
        gates = gx[t, :b] + hb @ w_hh.mT
        if b_hh is not None:
            gates = gates + b_hh
        i, f, g, o = gates.chunk(4, 1)
        c_new = f.sigmoid() * cb + i.sigmoid() * g.tanh()
        h_new = (o.sigmoid() * c_new.tanh()) @ w_hr.mT
        if b == B:
            h, c = h_new, c_new
            ys[t] = h_new
        else:
            h, c = cat([h_new, h[b:]], 0), cat([c_new, c[b:]], 0)
            ys[t] = cat([h_new, h_new.new_zeros((B - b, h_new.shape[1]))], 0)
    y = stack(ys, 0) if T else gx.new_zeros((0, B, w_hr.shape[0]))
    return y, (h, c)
