"""Export rules of indexing: `x[key]` (Select) as Slice / Gather / Unsqueeze, as torch's
exporter emits them, and narrow/split pieces as Slice."""

import numpy as np

from ._graph import ExportError

_BIG = np.iinfo(np.int64).max


def _expand_key(key, ndim):
    key = key if isinstance(key, tuple) else (key,)
    used = sum(1 for k in key if k is not None and k is not Ellipsis)
    out = []
    for k in key:
        if k is Ellipsis:
            out.extend([slice(None)] * (ndim - used))
        else:
            out.append(k)
    if Ellipsis not in key:
        out.extend([slice(None)] * (ndim - used))
    return out


def _slice_parts(k, n, dynamic):
    start, stop, step = k.indices(n)
    if step > 0 and (stop >= n or dynamic and k.stop is None):
        stop = _BIG
    if start == 0 and stop == _BIG and step == 1:
        return None
    return start, stop, step


def _select(g, ctx, args, arrays, kwargs, out):
    x = args[0]
    key, advanced = arrays[1], arrays[2]
    shape = tuple(x.shape)
    items = _expand_key(key, len(shape))
    name = g.name(x, "Slice")
    starts, ends, axes, steps, ints, nones, arr = [], [], [], [], [], [], []
    ax = pos = 0
    for k in items:
        if k is None:
            nones.append(pos)
            pos += 1
        elif isinstance(k, (int, np.integer)):
            ints.append((ax, int(k)))
            ax += 1
        elif isinstance(k, slice):
            parts = _slice_parts(k, shape[ax], shape[ax] in g.dyn_sizes)
            if parts is not None:
                starts.append(parts[0])
                ends.append(parts[1])
                axes.append(ax)
                steps.append(parts[2])
            ax += 1
            pos += 1
        elif advanced and np.asarray(k).dtype.kind in "iu":
            arr.append((ax, np.asarray(k, np.int64)))
            ax += 1
            pos += 1
        else:
            raise ExportError(f"ONNX export: indexing with {type(k).__name__} "
                              f"({np.asarray(k).dtype} index) is not supported")
    if len(arr) > 1 or (arr and arr[0][1].ndim != 1):
        raise ExportError("ONNX export: indexing with more than one index tensor (or a "
                          "multi-dimensional index) is not supported")
    if starts:
        name = g.node("Slice", [name, g.const(starts), g.const(ends), g.const(axes),
                                g.const(steps)])
    for a, idx in arr:
        name = g.node("Gather", [name, g.const(idx)], axis=a)
    for a, i in sorted(ints, reverse=True):
        name = g.node("Gather", [name, g.const(i)], axis=a)
    if nones:
        name = g.node("Unsqueeze", [name, g.const(nones)])
    return name


RULES = {"Select": _select}
