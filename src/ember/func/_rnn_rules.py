"""Batching rules for the recurrent layers: the fused per-layer kernels of nn/_rnn.py (which the
cells run) fold the vmap batch into their N dim; nn.RNN, nn.LSTM, nn.GRU and nn.LSTMCell raise
torch's error, as torch has no batching rule for its fused ops lstm, gru, rnn_* and lstm_cell."""

from ._batched import RULES, make
from ._batching_rules import _batched, _expand

_NO_RULE = "Batching rule not implemented for aten::{}.input. We could not generate a fallback."


def _module_forward(call, level, size, args, kwargs):
    raise RuntimeError(_NO_RULE.format(args[0].mode.lower()))


RULES["rnn_module_forward"] = _module_forward


def _layer_rule(nstates):
    """x (T, N, I), nstates states (N, H), then w_ih, w_hh, b_ih, b_hh, flags, batch_sizes."""
    def rule(call, level, size, args, kwargs):
        x, states, rest = args[0], args[1:1 + nstates], args[1 + nstates:]
        if kwargs or rest[-1] is not None or x.dim() != 3 or any(
                w is not None and _batched(w, level) for w in rest[:4]):
            return NotImplemented
        T, n = x.shape[0], x.shape[1]
        X = _expand(x, level, size).movedim(0, 1).reshape((T, size * n) + tuple(x.shape[2:]))
        S = [_expand(s, level, size).reshape((size * n,) + tuple(s.shape[1:])) for s in states]
        out = call(X, *S, *rest)
        y = out[0].reshape((T, size, n) + tuple(out[0].shape[2:])).movedim(1, 0)
        return (make(y, level),) + tuple(
            make(h.reshape((size, n) + tuple(h.shape[1:])), level) for h in out[1:])
    return rule


RULES["rnn_layer"] = RULES["gru_layer"] = _layer_rule(1)
RULES["lstm_layer_op"] = _layer_rule(2)


def _lstm_cell(call, level, size, args, kwargs):
    raise RuntimeError("Batching rule not implemented for aten::lstm_cell. We could not generate "
                       "a fallback.")


RULES["lstm_cell_op"] = _lstm_cell
