"""Module rules of the recurrent layers (RNN, LSTM, GRU) as ONNX's recurrent ops, one node per
layer as torch exports them: the gate blocks reordered to ONNX's (LSTM i,f,g,o -> i,o,f,c; GRU
r,z,n -> z,r,h, with linear_before_reset), both directions stacked, the biases joined, and the
new weights stored as `onnx::<Op>_<n>` initializers."""

import numpy as np

from .._tensor import Tensor
from ._graph import OnnxExporterError

_ORDER = {"LSTM": (0, 3, 1, 2), "GRU": (1, 0, 2)}
_OPS = {"LSTM": "LSTM", "GRU": "GRU", "RNN_TANH": "RNN", "RNN_RELU": "RNN"}


def _gates(w, mode):
    order = _ORDER.get(mode)
    if order is None:
        return w
    blocks = np.split(w, len(order), axis=0)
    return np.concatenate([blocks[i] for i in order], axis=0)


def _weights(g, m, layer, dirs, op):
    W, R, B = [], [], []
    for d in range(dirs):
        sfx = f"_l{layer}" + ("_reverse" if d else "")
        w_ih = g.constant_of(getattr(m, "weight_ih" + sfx))
        w_hh = g.constant_of(getattr(m, "weight_hh" + sfx))
        W.append(_gates(w_ih, m.mode))
        R.append(_gates(w_hh, m.mode))
        if m.bias:
            b = np.concatenate([_gates(g.constant_of(getattr(m, "bias_ih" + sfx)), m.mode),
                                _gates(g.constant_of(getattr(m, "bias_hh" + sfx)), m.mode)])
            B.append(b)
    return [g.initializer(np.stack(a), op) if a else "" for a in (W, R, B)]


def _state(g, h, layer, dirs):
    if h is None:
        return ""
    return g.node("Slice", [g.name(h, "Slice"), g.const([layer * dirs]),
                            g.const([(layer + 1) * dirs]), g.const([0])])


def _recurrent(g, module, original, args, kwargs):
    from ._trace import paused
    x = args[0]
    hx = args[1] if len(args) > 1 else kwargs.get("hx")
    if module.proj_size or not isinstance(x, Tensor) or x.dim() != 3:
        raise OnnxExporterError("ONNX export: recurrent layers export with batched 3-D inputs "
                                "and no proj_size only")
    with paused():
        out = original(*args, **kwargs)
    is_lstm = module.mode == "LSTM"
    op = _OPS[module.mode]
    dirs = 2 if module.bidirectional else 1
    h0, c0 = (hx if hx is not None else (None, None)) if is_lstm else (hx, None)
    y = g.name(x, op)
    if module.batch_first:
        y = g.node("Transpose", [y], perm=[1, 0, 2])
    hs, cs = [], []
    attrs = {"hidden_size": module.hidden_size,
             "direction": "bidirectional" if dirs == 2 else "forward"}
    if op == "GRU":
        attrs["linear_before_reset"] = 1
    if op == "RNN":
        attrs["activations"] = ["Relu" if module.mode == "RNN_RELU" else "Tanh"] * dirs
    for layer in range(module.num_layers):
        W, R, B = _weights(g, module, layer, dirs, op)
        ins = [y, W, R, B, "", _state(g, h0, layer, dirs)]
        if is_lstm:
            ins.append(_state(g, c0, layer, dirs))
        while ins[-1] == "":
            ins.pop()
        outs = g.node(op, ins, n_out=3 if is_lstm else 2, **attrs)
        seq = g.node("Transpose", [outs[0]], perm=[0, 2, 1, 3])  # [seq, batch, dirs, H]
        y = g.node("Reshape", [seq, g.const([0, 0, -1])], allowzero=0 if g.opset >= 14 else None)
        hs.append(outs[1])
        if is_lstm:
            cs.append(outs[2])
    if module.batch_first:
        y = g.node("Transpose", [y], perm=[1, 0, 2])
    h = hs[0] if len(hs) == 1 else g.node("Concat", hs, axis=0)
    output, hidden = out
    g.bind(output, y)
    if is_lstm:
        c = cs[0] if len(cs) == 1 else g.node("Concat", cs, axis=0)
        g.bind(hidden[0], h)
        g.bind(hidden[1], c)
    else:
        g.bind(hidden, h)
    return out


MODULE_RULES = {"RNN": _recurrent, "LSTM": _recurrent, "GRU": _recurrent}
