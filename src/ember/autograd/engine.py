"""The backward engine: `backward()` and `grad()` over the recorded graph.

It walks iteratively (no recursion) with dependency counts: one pass counts how many edges reach
each node, then nodes run when all of their gradients have arrived. Each gradient is summed down
to its input's shape (ops never unbroadcast) and cast to its dtype. Saved values are freed after
use unless retain_graph. Leaves accumulate into `.grad`, stealing a gradient array that nothing
else holds and copying otherwise.
"""

import math

from . import grad_mode
from .function import AccumulateGrad

_Tensor = None  # set by ember._tensor
_wrap = None
_anomaly = [False, True]  # enabled, check_nan


def _roots(tensors, grad_tensors, create_graph, what="grad"):
    T = _Tensor
    if isinstance(tensors, T):
        tensors = (tensors,)
    tensors = tuple(tensors)
    if grad_tensors is None:
        grad_tensors = (None,) * len(tensors)
    elif isinstance(grad_tensors, T):
        grad_tensors = (grad_tensors,)
    grad_tensors = tuple(grad_tensors)
    if len(grad_tensors) != len(tensors):
        raise RuntimeError(f"{what} can be implicitly created only for scalar outputs")
    roots = []
    for i, (t, g) in enumerate(zip(tensors, grad_tensors)):
        if not t._rg:
            raise RuntimeError(
                f"element {i} of tensors does not require grad and does not have a grad_fn")
        if g is None:
            if t._data.size != 1:
                raise RuntimeError("grad can be implicitly created only for scalar outputs")
            if not t.dtype.is_floating_point:
                raise RuntimeError(
                    "grad can be implicitly created only for real scalar outputs but got "
                    + repr(t.dtype))
            g = _wrap(t._data.__class__.__call__ if False else _ones_like(t._data))
        elif not isinstance(g, T):
            g = _wrap(_full_like(t._data, g))
        else:
            if g.shape != t.shape:
                raise RuntimeError(
                    f"Mismatch in shape: grad_output[{i}] has a shape of {_sz(g.shape)} and "
                    f"output[{i}] has a shape of {_sz(t.shape)}.")
            g = g if create_graph else g.detach()
        roots.append((t, g))
    return roots


def _sz(shape):
    return "torch.Size([" + ", ".join(str(s) for s in shape) + "])"


def _ones_like(a):
    import numpy as np
    xp = np if isinstance(a, np.ndarray) else __import__("cupy")
    return xp.ones_like(a)


def _full_like(a, v):
    import numpy as np
    xp = np if isinstance(a, np.ndarray) else __import__("cupy")
    return xp.full_like(a, v)


def _edge_of(t):
    fn = t.grad_fn
    if fn is not None:
        return fn, t._output_nr
    return t._accumulator(), 0


def _dependencies(start_nodes):
    deps = {}
    seen = set()
    stack = list(start_nodes)
    for n in start_nodes:
        seen.add(n)
    while stack:
        node = stack.pop()
        for nxt, _ in node.next_functions:
            if nxt is None:
                continue
            deps[nxt] = deps.get(nxt, 0) + 1
            if nxt not in seen:
                seen.add(nxt)
                stack.append(nxt)
    return deps


def _sum_to(g, shape, dtype):
    if g.shape != shape:
        g = g.sum_to_size(shape) if len(shape) else g.sum()
        if g.shape != shape:
            g = g.reshape(shape)
    if g.dtype is not dtype:
        g = g.to(dtype)
    return g


def run_backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False,
                 inputs=None, allow_unused=False, accumulate=True):
    """Runs the graph backward; returns the captured grads of `inputs` when accumulate=False."""
    if retain_graph is None:
        retain_graph = create_graph
    roots = _roots(tensors, grad_tensors, create_graph)
    buffers = {}
    root_nodes = []
    for t, g in roots:
        node, nr = _edge_of(t)
        buf = buffers.get(node)
        if buf is None:
            buf = buffers[node] = [None] * len(node._out_meta)
            root_nodes.append(node)
        buf[nr] = g if buf[nr] is None else buf[nr] + g
    capture = None
    if inputs is not None:
        capture = {}
        for i, t in enumerate(inputs):
            if not t._rg:
                raise RuntimeError("One of the differentiated Tensors does not require grad")
            capture.setdefault(_edge_of(t), []).append(i)
        results = [None] * len(inputs)
    # ids of gradient arrays reachable from more than one place: a leaf must not steal those
    shared = {id(g._data) for _, g in roots}
    seen = set()
    deps = _dependencies(root_nodes)
    ready = [n for n in root_nodes if deps.get(n, 0) == 0]
    prev = grad_mode._enabled[0]
    grad_mode._enabled[0] = bool(create_graph)
    try:
        while ready:
            node = ready.pop()
            grads = buffers.pop(node)
            if capture is not None:
                for nr in range(len(grads)):
                    idx = capture.get((node, nr))
                    if idx is not None:
                        for i in idx:
                            results[i] = grads[nr]
            if node._tensor_hooks:
                _run_tensor_hooks(node, grads)
                shared.update(id(g._data) for g in grads if g is not None)
            if isinstance(node, AccumulateGrad):
                if accumulate:
                    _accumulate(node, grads[0], create_graph, shared)
                continue
            if node._pre_hooks:
                for h in node._pre_hooks:
                    r = h(tuple(grads))
                    if r is not None:
                        grads = list(r)
            in_grads = _apply(node, grads)
            if not retain_graph:
                node._release()
            if node._hooks:
                for h in node._hooks:
                    r = h(tuple(in_grads), tuple(grads))
                    if r is not None:
                        in_grads = r
            meta = node._in_meta
            for (nxt, nr), g, m in zip(node.next_functions, in_grads, meta):
                if nxt is None:
                    continue
                if g is not None:
                    g = _sum_to(g, m[0], m[1])
                    k = id(g._data)
                    if k in seen:
                        shared.add(k)
                    else:
                        seen.add(k)
                    buf = buffers.get(nxt)
                    if buf is None:
                        buf = buffers[nxt] = [None] * len(nxt._out_meta)
                    buf[nr] = g if buf[nr] is None else buf[nr] + g
                else:
                    buffers.setdefault(nxt, [None] * len(nxt._out_meta))
                d = deps[nxt] - 1
                deps[nxt] = d
                if d == 0:
                    if all(x is None for x in buffers[nxt]):
                        buffers.pop(nxt)
                        _skip(nxt, deps, buffers, ready)
                    else:
                        ready.append(nxt)
    finally:
        grad_mode._enabled[0] = prev
    if capture is not None:
        for i, r in enumerate(results):
            if r is None and not allow_unused:
                raise RuntimeError(
                    "One of the differentiated Tensors appears to not have been used in the "
                    "graph. Set allow_unused=True if this is the desired behavior.")
        return tuple(r if r is None or create_graph else r.detach() for r in results)
    return None


def _skip(node, deps, buffers, ready):
    """A node reached only by None gradients: release its dependents without running it."""
    stack = [node]
    while stack:
        n = stack.pop()
        for nxt, _ in n.next_functions:
            if nxt is None:
                continue
            d = deps[nxt] - 1
            deps[nxt] = d
            if d == 0:
                buf = buffers.get(nxt)
                if buf is None or all(x is None for x in buf):
                    buffers.pop(nxt, None)
                    stack.append(nxt)
                else:
                    ready.append(nxt)


def _apply(node, grads):
    meta = node._out_meta
    for i, g in enumerate(grads):
        if g is None and meta[i] is not None and getattr(node, "_materialize", True):
            shape, dt = meta[i]
            import numpy as np
            grads[i] = _wrap(np.zeros(shape, dt.np))
    res = node._call_backward(grads)
    if res.__class__ is not tuple:
        res = (res,)
    if _anomaly[0] and _anomaly[1]:
        for g in res:
            if g is not None and g.dtype.is_floating_point and bool(g.isnan().any()):
                raise RuntimeError(
                    f"Function '{node.name()}' returned nan values in its "
                    f"{_ordinal(res.index(g))} output.")
    n = len(node.next_functions)
    if len(res) != n:
        if len(res) > n and all(r is None for r in res[n:]):
            res = res[:n]
        else:
            raise RuntimeError(
                f"function {node.name()} returned an incorrect number of gradients "
                f"(expected {n}, got {len(res)})")
    return res


def _ordinal(i):
    return {0: "0th", 1: "1st", 2: "2nd"}.get(i, f"{i}th")


def _run_tensor_hooks(node, grads):
    for nr, hooks in node._tensor_hooks.items():
        for h in list(hooks):
            if grads[nr] is None:
                continue
            r = h(grads[nr])
            if r is not None:
                grads[nr] = r


def _accumulate(node, g, create_graph, shared):
    leaf = node.variable
    if leaf._meta_hooks:
        for h in list(leaf._meta_hooks):
            r = h(g)
            if r is not None:
                g = r
    old = leaf.grad
    if old is None:
        if create_graph:
            leaf.grad = g
        else:
            data = g._data
            if data.base is not None or id(data) in shared or not data.flags.writeable \
                    or data.strides != leaf._data.strides:
                data = data.copy()
            leaf.grad = _wrap(data)
    elif create_graph or old._rg:
        leaf.grad = old + g
    else:
        old._data += g._data
        old._bump()
    for h in node.__dict__.get("_post_hooks", ()):
        h(leaf)


def _is_finite(x):
    return math.isfinite(x)
