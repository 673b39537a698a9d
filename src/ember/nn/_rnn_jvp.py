"""Forward-mode tangents of the fused recurrent layers (nn/_rnn.py): the recurrence replayed
with ember's differentiable ops on dual copies of the inputs, so each step's tangent follows
from the ops' own rules. torch runs RNN, GRU and the cells as composites there (they have
tangents), and nn.LSTM as mkldnn_rnn_layer (none: LSTMLayer refuses, LSTMCell replays).
"""

from ..autograd import forward_ad as _fwd


def replay(ctx, *tangents):
    """The layer's output tangents: (y, h_n[, c_n]) of the replayed recurrence."""
    kind = ctx.op._cell
    n = 2 if kind == "lstm" else 1
    args = ctx.inputs
    flags = args[5 + n:]
    relu = flags[0] if kind == "rnn" else False
    reverse, batch_sizes = flags[-2], flags[-1]

    def run(x, *tensors):
        states, (w_ih, w_hh, b_ih, b_hh) = list(tensors[:n]), tensors[n:]
        return _run(kind, x, states, w_ih, w_hh, b_ih, b_hh, relu, reverse, batch_sizes)
    return _fwd.through(run, args[:5 + n], tangents[:5 + n])


def _affine(x, w, b):
    y = x @ w.mT
    return y if b is None else y + b


def _step(kind, xt, states, w_hh, b_hh, relu):
    h = states[0]
    gh = _affine(h, w_hh, b_hh)
    if kind == "rnn":
        pre = xt + gh
        return [pre.relu() if relu else pre.tanh()]
    if kind == "lstm":
        i, f, g, o = (xt + gh).chunk(4, -1)
        c = f.sigmoid() * states[1] + i.sigmoid() * g.tanh()
        return [o.sigmoid() * c.tanh(), c]
    ir, iz, i_n = xt.chunk(3, -1)
    hr, hz, hn = gh.chunk(3, -1)
    r, z = (ir + hr).sigmoid(), (iz + hz).sigmoid()
    n = (i_n + r * hn).tanh()
    return [(1 - z) * n + z * h]


def _run(kind, x, states, w_ih, w_hh, b_ih, b_hh, relu, reverse, batch_sizes):
    from ..ops.creation import arange
    from ..ops.shape import stack
    T, B = x.shape[0], x.shape[1]
    gi = _affine(x, w_ih, b_ih)
    sizes = [B] * T if batch_sizes is None else list(batch_sizes)
    rows = arange(B).unsqueeze(1)
    ys = [None] * T
    for t in (reversed(range(T)) if reverse else range(T)):
        new = _step(kind, gi[t], states, w_hh, b_hh, relu)
        if sizes[t] == B:
            states = new
            ys[t] = new[0]
        else:  # a packed step: rows past the batch size keep their state, output zeros
            on = rows < sizes[t]
            states = [n.where(on, s) for n, s in zip(new, states)]
            ys[t] = new[0].where(on, new[0] * 0)
    return (stack(ys),) + tuple(states)
