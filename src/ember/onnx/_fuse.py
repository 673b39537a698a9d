"""Eval-mode Conv + BatchNormalization folding, as torch's exporter does it (its eval
peephole pass): the convolution's weight and bias absorb the normalization, and become new
initializers named `onnx::Conv_<n>`."""

import numpy as np


def fuse_conv_bn(g):
    producers = {}
    consumers = {}
    for n in g.nodes:
        for o in n.output:
            producers[o] = n
        for i in n.input:
            consumers[i] = consumers.get(i, 0) + 1
    outputs = {v[0] for v in g.values.values() if v[0] is not None}
    dead = set()
    for bn in g.nodes:
        if bn.op_type != "BatchNormalization":
            continue
        conv = producers.get(bn.input[0])
        if conv is None or conv.op_type != "Conv" or consumers.get(bn.input[0], 0) != 1:
            continue
        if not all(i in g.inits for i in list(bn.input[1:]) + list(conv.input[1:])):
            continue
        if _fold(g, conv, bn):
            dead.add(id(bn))
            _replace(g, bn.output[0], conv.output[0], outputs)
    g.nodes[:] = [n for n in g.nodes if id(n) not in dead]


def _fold(g, conv, bn):
    eps = next((a.f for a in bn.attribute if a.name == "epsilon"), 1e-5)
    w = np.asarray(g.inits[conv.input[1]])
    gamma, beta, mean, var = (np.asarray(g.inits[i], np.float64) for i in bn.input[1:5])
    if w.dtype.kind != "f":
        return False
    b = np.asarray(g.inits[conv.input[2]], np.float64) if len(conv.input) > 2 else \
        np.zeros(w.shape[0])
    scale = gamma / np.sqrt(var + np.float64(np.float32(eps)))
    new_w = (w.astype(np.float64) * scale.reshape((-1,) + (1,) * (w.ndim - 1))).astype(w.dtype)
    new_b = ((b - mean) * scale + beta).astype(w.dtype)
    wn = g.initializer(new_w, "Conv")
    bnm = g.initializer(new_b, "Conv")
    del conv.input[1:]
    conv.input.extend([wn, bnm])
    return True


def _replace(g, old, new, outputs):
    for n in g.nodes:
        for i, v in enumerate(n.input):
            if v == old:
                n.input[i] = new
    if old in outputs:
        for k, v in list(g.values.items()):
            if v[0] == old:
                g.values[k] = (new,) + v[1:]
