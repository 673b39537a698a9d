"""Export rules of the nn ops (linear, convolution, pooling, softmax, activations, embedding)
and the module rules: modules whose torch export is one ONNX node (BatchNorm, in eval or in
training mode) stand in for their forward during the trace; the recurrent layers' rules are
in `_rules_rnn`."""

import math

import numpy as np

from ._graph import ExportError, inp


def _linear(g, ctx, args, arrays, kwargs, out):
    x, w, b = args[0], args[1], args[2] if len(args) > 2 else None
    xn = inp(g, args, arrays, 0, "Gemm")
    if x.dim() == 2:
        ins = [xn, g.name(w, "Gemm")] + ([g.name(b, "Gemm")] if b is not None else [])
        return g.node("Gemm", ins, alpha=1.0, beta=1.0, transB=1)
    if g.fold and not g.is_dynamic(w):
        wt = g.initializer(np.ascontiguousarray(g.constant_of(w).T), "MatMul")
    else:
        wt = g.node("Transpose", [g.name(w, "Transpose")], perm=[1, 0])
    y = g.node("MatMul", [xn, wt])
    return y if b is None else g.node("Add", [g.name(b, "Add"), y])


def _conv(g, ctx, args, arrays, kwargs, out):
    k, s, pads, d, groups = arrays[3]
    ins = [inp(g, args, arrays, 0, "Conv"), g.name(args[1], "Conv")]
    if args[2] is not None:
        ins.append(g.name(args[2], "Conv"))
    return g.node("Conv", ins, dilations=list(d), group=int(groups), kernel_shape=list(k),
                  pads=[p[0] for p in pads] + [p[1] for p in pads], strides=list(s))


def _pool_pads(S, k, s, p, d, L):
    """Begin and end pads giving exactly the traced output sizes (ceil_mode included)."""
    ends = [max((li - 1) * si + di * (ki - 1) + 1 - n - pi, 0)
            for n, ki, si, pi, di, li in zip(S, k, s, p, d, L)]
    return list(p) + ends


def _ceil_mode(S, k, s, p, d, L):
    return int(any(li > (n + 2 * pi - di * (ki - 1) - 1) // si + 1
                   for n, ki, si, pi, di, li in zip(S, k, s, p, d, L)))


def _max_pool(g, ctx, args, arrays, kwargs, out):
    k, s, p, d, L = arrays[1]
    if len(arrays) > 2 and arrays[2]:
        raise ExportError("ONNX export: max pooling with return_indices=True is not supported")
    S = args[0].shape[-len(k):]
    return g.node("MaxPool", [inp(g, args, arrays, 0, "MaxPool")],
                  ceil_mode=_ceil_mode(S, k, s, p, d, L), dilations=list(d),
                  kernel_shape=list(k), pads=list(p) * 2, strides=list(s))


def _exclusive(S, k, s, p, L):
    """The divisors of count_include_pad=False: the window's cells inside the input."""
    div = np.ones((), np.int64)
    for n, ki, si, pi, li in zip(S, k, s, p, L):
        start = np.arange(li) * si - pi
        end = np.minimum(start + ki, n + pi)
        div = np.multiply.outer(div, np.minimum(end, n) - np.maximum(start, 0))
    return div


def _avg_pool(g, ctx, args, arrays, kwargs, out):
    (k, s, p, d, L), div = arrays[1], np.asarray(arrays[2])
    S = args[0].shape[-len(k):]
    x = inp(g, args, arrays, 0, "AveragePool")
    full = math.prod(k)
    if div.ndim and np.array_equal(div, _exclusive(S, k, s, p, L)):
        return g.node("AveragePool", [x], ceil_mode=_ceil_mode(S, k, s, p, d, L),
                      count_include_pad=0, kernel_shape=list(k), pads=list(p) * 2,
                      strides=list(s))
    y = g.node("AveragePool", [x], ceil_mode=0, count_include_pad=1, kernel_shape=list(k),
               pads=_pool_pads(S, k, s, p, d, L), strides=list(s))
    if np.all(div == full):
        return y
    scale = (full / div).astype(np.asarray(out).dtype)
    return g.node("Mul", [y, g.initializer(scale, "Mul")])


def _adaptive_avg(g, ctx, args, arrays, kwargs, out):
    x = args[0]
    mats = arrays[1]
    nd = len(mats)
    S, L = tuple(x.shape[-nd:]), tuple(np.shape(out)[-nd:])
    xn = inp(g, args, arrays, 0, "AveragePool")
    adaptive = ctx.__class__.__name__ == "AdaptiveAvg"
    if adaptive and all(n == 1 for n in L):
        return g.node("GlobalAveragePool", [xn])
    if adaptive and all(n % m == 0 for n, m in zip(S, L)):
        k = [n // m for n, m in zip(S, L)]
        return g.node("AveragePool", [xn], ceil_mode=0, kernel_shape=k, pads=[0] * (2 * nd),
                      strides=k)
    dt = np.asarray(out).dtype
    y = xn
    for i, m in enumerate(mats):  # each trailing dim mapped by its (out, in) matrix
        if m is None:
            continue
        ax = x.dim() - nd + i
        m = np.asarray(m, dt)
        if ax == x.dim() - 1:
            y = g.node("MatMul", [y, g.initializer(np.ascontiguousarray(m.T), "MatMul")])
        elif ax == x.dim() - 2:
            y = g.node("MatMul", [g.initializer(m, "MatMul"), y])
        else:
            raise ExportError("ONNX export: resampling (adaptive pooling, interpolate) over 3 "
                              "dims is not supported")
    return y


def _conv_transpose(g, ctx, args, arrays, kwargs, out):
    S, (k, s, pads, d, groups) = arrays[2], arrays[3]
    n = args[0].shape[2:]
    opad = [si - ((ni - 1) * st - lo - hi + di * (ki - 1) + 1)
            for si, ni, st, (lo, hi), di, ki in zip(S, n, s, pads, d, k)]
    return g.node("ConvTranspose", [inp(g, args, arrays, 0, "ConvTranspose"),
                                    g.name(args[1], "ConvTranspose")],
                  dilations=list(d), group=int(groups), kernel_shape=list(k),
                  output_padding=opad if any(opad) else None,
                  pads=[p[0] for p in pads] + [p[1] for p in pads], strides=list(s))


_PAD_MODES = {"constant": "constant", "reflect": "reflect", "replicate": "edge",
              "circular": "wrap"}


def _pad(g, ctx, args, arrays, kwargs, out):
    pads, mode, value = arrays[1], arrays[2], arrays[3]
    nd = args[0].dim()
    lead = nd - len(pads)
    begins = [0] * lead + [int(lo) for lo, _ in pads]
    ends = [0] * lead + [int(hi) for _, hi in pads]
    if mode == "circular" and g.opset < 19:
        raise ExportError("ONNX export: circular padding needs opset_version 19 or newer")
    ins = [inp(g, args, arrays, 0, "Pad"), g.const(begins + ends)]
    if mode == "constant":
        ins.append(g.const(value or 0, np.asarray(out).dtype))
    return g.node("Pad", ins, mode=_PAD_MODES[mode])


def _split(g, ctx, args, arrays, kwargs, out):
    dim, sizes = arrays[1], list(arrays[2])
    names = g.node("Split", [inp(g, args, arrays, 0, "Split"), g.const(sizes)],
                   n_out=len(sizes), axis=int(dim))
    return names if isinstance(names, list) else [names]


def _softmax(op):
    def rule(g, ctx, args, arrays, kwargs, out):
        dim = kwargs.get("dim", arrays[1] if len(arrays) > 1 else -1)
        return g.node(op, [inp(g, args, arrays, 0, op)], axis=int(dim) % np.ndim(out))
    return rule


def _params(ctx, arrays):
    return arrays[1] if len(arrays) > 1 else ctx.params


def _act(g, ctx, args, arrays, kwargs, out):
    name = ctx.__class__.__name__
    params = kwargs.get("params", arrays[1] if len(arrays) > 1 else ())
    x = inp(g, args, arrays, 0, name)
    dt = np.asarray(out).dtype
    if name == "Hardtanh":
        return g.node("Clip", [x, g.const(params[0], dt), g.const(params[1], dt)])
    if name == "LeakyRelu":
        return g.node("LeakyRelu", [x], alpha=float(params[0]))
    if name == "Gelu":
        if g.opset >= 20:
            return g.node("Gelu", [x], approximate=str(params[0]))
        return _gelu(g, x, params[0], dt)
    if name == "Silu":
        return g.node("Mul", [x, g.node("Sigmoid", [x])])
    if name == "Hardsigmoid":
        return g.node("HardSigmoid", [x], alpha=1.0 / 6, beta=0.5)
    if name == "Hardswish":
        if g.opset >= 14:
            return g.node("HardSwish", [x])
        return g.node("Mul", [x, g.node("HardSigmoid", [x], alpha=1.0 / 6, beta=0.5)])
    if name == "Mish":
        if g.opset >= 18:
            return g.node("Mish", [x])
        return g.node("Mul", [x, g.node("Tanh", [g.node("Softplus", [x])])])
    if name == "Logsigmoid":
        return g.node("Log", [g.node("Sigmoid", [x])])
    if name == "Elu":
        alpha, scale, in_scale = params
        if scale == 1 and in_scale == 1:
            return g.node("Elu", [x], alpha=float(alpha))
        if alpha == 1.6732632423543772 and scale == 1.0507009873554805 and in_scale == 1:
            return g.node("Selu", [x], alpha=float(alpha), gamma=float(scale))
    if name == "Softplus" and params[0] == 1:
        return g.node("Softplus", [x])
    raise ExportError(f"ONNX export: no export rule for op '{name}' with parameters {params}")


def _gelu(g, x, approximate, dt):
    """Gelu before opset 20: x/2 (1 + erf(x/sqrt 2)), or the tanh approximation."""
    c = lambda v: g.const(v, dt)  # noqa: E731
    if approximate == "tanh":
        cube = g.node("Mul", [g.node("Mul", [x, x]), x])
        inner = g.node("Mul", [g.node("Add", [x, g.node("Mul", [cube, c(0.044715)])]),
                               c(math.sqrt(2.0 / math.pi))])
        t = g.node("Add", [g.node("Tanh", [inner]), c(1.0)])
    else:
        t = g.node("Add", [g.node("Erf", [g.node("Div", [x, c(math.sqrt(2.0))])]), c(1.0)])
    return g.node("Mul", [g.node("Mul", [x, t]), c(0.5)])


def _embedding(g, ctx, args, arrays, kwargs, out):
    return g.node("Gather", [g.name(args[1], "Gather"), inp(g, args, arrays, 0, "Gather")])


RULES = {"_Linear": _linear, "Conv": _conv, "MaxPool": _max_pool, "MaxPoolTiled": _max_pool,
         "AvgPool": _avg_pool, "Separable": _adaptive_avg, "_Softmax": _softmax("Softmax"),
         "_LogSoftmax": _softmax("LogSoftmax"), "_Embedding": _embedding,
         "ConvInputGrad": _conv_transpose, "Pad": _pad, "Split": _split}
RULES.update({n: _act for n in ("Hardtanh", "LeakyRelu", "Gelu", "Silu", "Hardsigmoid",
                                "Hardswish", "Mish", "Logsigmoid", "Elu", "Softplus")})


def packed_projection():
    """During a trace, MultiheadAttention's self-attention input projection runs as torch's
    packed one (one linear with in_proj_weight, then split; with key is value, one for the
    query and one packed for key and value), so the graph has torch's MatMul and Add
    initializers; returns the undo list."""
    from ..nn import _attention
    from ..nn import functional as F
    original = _attention._in_projection

    def packed(query, key, value, w, b, separate):
        if separate or key is not value or w.dim() != 2:
            return original(query, key, value, w, b, separate)
        E = query.shape[-1]
        if query is key:
            proj = F.linear(query, w, b)
            proj = proj.unflatten(-1, (3, E)).unsqueeze(0).transpose(0, -2)
            proj = proj.squeeze(-2).contiguous()
            return proj[0], proj[1], proj[2]
        w_q, w_kv = w.split([E, 2 * E])  # cross-attention: q alone, k and v packed
        b_q, b_kv = (None, None) if b is None else b.split([E, 2 * E])
        q, kv = F.linear(query, w_q, b_q), F.linear(key, w_kv, b_kv)
        kv = kv.unflatten(-1, (2, E)).unsqueeze(0).transpose(0, -2).squeeze(-2).contiguous()
        return q, kv[0], kv[1]
    _attention._in_projection = packed
    return [(_attention, "_in_projection", original)]


# ---------------------------------------------------------------- module rules
def _batch_norm(g, module, original, args, kwargs):
    from ._trace import paused
    x = args[0]
    train = module.training
    if module.running_mean is None or not g.is_dynamic(x) or \
            train and not module.track_running_stats:
        return original(*args, **kwargs)  # batch statistics: traced through its ops
    if train and g.opset < 14:
        raise ExportError("ONNX export: BatchNormalization in training mode needs "
                          "opset_version 14 or newer")
    with paused():
        out = original(*args, **kwargs)
    m = module.momentum
    if train and m is None:  # the cumulative average's factor of this step
        m = 1.0 / float(module.num_batches_tracked)
    c = x.shape[1]
    dt = x._data.dtype
    w = g.name(module.weight, "BatchNormalization") if module.weight is not None else \
        g.initializer(np.ones(c, dt), "BatchNormalization")
    b = g.name(module.bias, "BatchNormalization") if module.bias is not None else \
        g.initializer(np.zeros(c, dt), "BatchNormalization")
    y = g.node("BatchNormalization", [g.name(x, "BatchNormalization"), w, b,
                                      g.name(module.running_mean, "BatchNormalization"),
                                      g.name(module.running_var, "BatchNormalization")],
               n_out=3 if train else 1,
               epsilon=float(module.eps), momentum=float(1 - m) if m is not None else None,
               training_mode=int(train) if g.opset >= 14 else None)
    g.bind(out, y[0] if train else y)
    return out


def _module_rules():
    rules = {f"BatchNorm{n}d": _batch_norm for n in (1, 2, 3)}
    from ._rules_rnn import MODULE_RULES as rnn
    rules.update(rnn)
    return rules


MODULE_RULES = _module_rules()
