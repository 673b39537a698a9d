"""The backward engine: `backward()` and `grad()` over the recorded graph.

It walks iteratively (no recursion) with dependency counts: one pass counts how many edges reach
each node, then nodes run when all of their gradients have arrived. Each gradient is summed down
to its input's shape (ops never unbroadcast) and cast to its dtype. Saved values are freed after
use unless retain_graph. Leaves accumulate into `.grad`, stealing a gradient array that nothing
else holds and copying otherwise. With `inputs` (autograd.grad, backward(inputs=...)) only the
nodes on a path to an input run, as in torch. `_tasks` tells hooks which backward pass runs
them and which nodes it will run (`autograd.graph.register_multi_grad_hook`).
"""

import sys
import warnings

import numpy as np

from .. import _allocator
from .._device import array_module as _xp
from ..ops._cascade import cascade_sum as _cascade_sum
from . import grad_mode
from .function import AccumulateGrad, _anomaly

_Tensor = None  # set by ember._tensor
_wrap = None
_CYCLE_WARNING = (
    "Using backward() with create_graph=True will create a reference cycle between the parameter "
    "and its gradient which can cause a memory leak. We recommend using autograd.grad when "
    "creating the graph to avoid this. If you have to use this function, make sure to reset the "
    ".grad fields of your parameters to None after use to break the cycle and avoid the leak.")


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
                from .._hints import attach
                raise attach(RuntimeError("grad can be implicitly created only for scalar "
                                          "outputs"), "backward", tensor=t)
            if not t.dtype.is_floating_point:
                raise RuntimeError(
                    "grad can be implicitly created only for real scalar outputs but got "
                    + repr(t.dtype))
            g = _wrap(_xp(t._data).ones_like(t._data))
        elif not isinstance(g, T):
            g = _wrap(_xp(t._data).full_like(t._data, g))
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


def _edge_of(t):
    fn = t.grad_fn
    if fn is not None:
        return fn, t._output_nr
    return t._accumulator(), 0


def _dependencies(start_nodes, targets=None):
    """How many edges reach each node. With `targets` (the nodes whose grads are wanted), only
    nodes on a path to one of them count, and the set of those nodes is returned too."""
    needed = None if targets is None else _needed(start_nodes, targets)
    deps = {}
    seen = set(start_nodes)
    stack = list(start_nodes)
    while stack:
        node = stack.pop()
        for nxt, _ in node._edges:
            if nxt is None or (needed is not None and nxt not in needed):
                continue
            deps[nxt] = deps.get(nxt, 0) + 1
            if nxt not in seen:
                seen.add(nxt)
                stack.append(nxt)
    return deps, needed


def _needed(start_nodes, targets):
    """The nodes from which some target can be reached (iterative post-order walk)."""
    needed, done = set(), set()
    stack = [(n, False) for n in start_nodes]
    while stack:
        node, expanded = stack.pop()
        if expanded:
            done.add(node)
            if node in targets or any(n in needed for n, _ in node._edges if n is not None):
                needed.add(node)
            continue
        if node in done:
            continue
        stack.append((node, True))
        stack.extend((n, False) for n, _ in node._edges if n is not None and n not in done)
    return needed


def _expandable(shape, to):
    """torch's is_expandable_to: `shape` broadcasts to `to` without changing `to`."""
    n = len(shape)
    if n > len(to):
        return False
    return all(s == t or s == 1 for s, t in zip(shape, to[len(to) - n:]))


def _invalid_grad(node, grads, g, shape):
    """torch's validate_outputs error for a gradient that cannot be summed to its input."""
    i = next(i for i, x in enumerate(grads) if x is g)
    return RuntimeError(f"Function {node.name()} returned an invalid gradient at index {i} - got "
                        f"[{', '.join(map(str, g.shape))}] but expected shape compatible with "
                        f"[{', '.join(map(str, shape))}]")


def _sum_to(g, shape, dtype, node=None, grads=None):
    a = g._data
    if node is not None and a.shape != shape and not _expandable(shape, a.shape):
        raise _invalid_grad(node, grads, g, shape)
    if not grad_mode._enabled[0] and a.__class__ is np.ndarray:  # nothing to record: arrays
        if a.shape != shape:
            lead = a.ndim - len(shape)
            # torch's sum_to: one sum over the leading and the broadcast (size-1) dims together,
            # in its order of additions where _cascade has it (adjacent dims), else NumPy's
            axes = tuple(range(lead)) + tuple(lead + i for i, s in enumerate(shape)
                                              if s == 1 and a.shape[lead + i] != 1)
            r = _cascade_sum(a, axes, False)
            if r is not None:
                a = r.reshape(shape)
            elif lead:
                a = np.add.reduce(a, axis=tuple(range(lead)))
            ones = tuple(i for i, s in enumerate(shape) if s == 1 and a.shape[i] != 1)
            if ones:
                a = np.add.reduce(a, axis=ones, keepdims=True)
            if a.shape != shape:
                a = a.reshape(shape)
        if a.dtype != dtype.np:
            a = a.astype(dtype.np)
        return g if a is g._data else _wrap(a)
    if g.shape != shape:
        g = g.sum_to_size(shape) if len(shape) else g.sum()
        if g.shape != shape:
            g = g.reshape(shape)
    if g.dtype is not dtype:
        g = g.to(dtype)
    return g


def _user_stacklevel():
    """warnings.warn's stacklevel for the first caller outside ember (Tensor.backward reaches
    run_backward through autograd.backward, which a caller may also call directly)."""
    f, level = sys._getframe(1), 1
    while f is not None and f.f_globals.get("__name__", "").startswith("ember."):
        f, level = f.f_back, level + 1
    return level


def run_backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False,
                 inputs=None, allow_unused=False, accumulate=True):
    """Runs the graph backward. Without `inputs`, accumulates into every leaf reached. With
    `inputs`, runs only what reaches them and returns their grads (autograd.grad), or, when
    `accumulate`, adds them into their `.grad` (backward(inputs=...))."""
    if _allocator.pending[0]:  # training starts: freed arrays stay in the heap (_allocator)
        _allocator.settle()
    if retain_graph is None:
        retain_graph = create_graph
    if create_graph and accumulate:
        warnings.warn(_CYCLE_WARNING, UserWarning, stacklevel=_user_stacklevel())
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
            if not isinstance(t, _Tensor):  # an autograd.graph.GradientEdge
                capture.setdefault((t[0], t[1]), []).append(i)
                continue
            if not t._rg:
                raise RuntimeError("One of the differentiated Tensors does not require grad")
            capture.setdefault(_edge_of(t), []).append(i)
        results = [None] * len(inputs)
    # ids of gradient arrays reachable from more than one place: a leaf must not steal those.
    # A node that hands one array to several edges is what makes one (pass-through along a
    # chain is not); `pins` keeps those arrays alive so their ids cannot be reused.
    shared = {id(g._data) for _, g in roots}
    pins = []
    deps, needed = _dependencies(root_nodes, None if capture is None else
                                 {node for node, _ in capture})
    ready = [n for n in root_nodes if deps.get(n, 0) == 0]
    prev = grad_mode._enabled[0]
    grad_mode._enabled[0] = bool(create_graph)
    _task_ids[0] += 1
    _tasks.append((_task_ids[0], deps, needed, root_nodes))
    try:
        while ready:
            node = ready.pop()
            grads = buffers.pop(node)
            if needed is not None and node not in needed:
                continue
            is_leaf = node.__class__ is AccumulateGrad
            # torch captures an input's grad before its tensor hooks when the walk goes on past
            # it, and after them when it ends there
            runs = not is_leaf and (needed is None or any(n in needed for n, _ in node._edges))
            if capture is not None and runs:
                _capture(capture, node, grads, results)
            if node._tensor_hooks:
                _run_tensor_hooks(node, grads)
                shared.update(id(g._data) for g in grads if g is not None)
            elif is_leaf and node.variable._meta_hooks:
                grads[0] = _run_leaf_hooks(node.variable, grads[0])
                shared.add(id(grads[0]._data))
            if capture is not None and not runs:
                _capture(capture, node, grads, results)
            if is_leaf and capture is None:
                if node._pre_hooks:
                    grads = _run_pre_hooks(node, grads)
                    shared.add(id(grads[0]._data))
                _accumulate(node.variable, grads[0], create_graph, shared, node)
                if node._hooks:
                    for h in list(node._hooks):
                        h((), tuple(grads))
            if not runs:
                continue
            if node._pre_hooks:
                grads = _run_pre_hooks(node, grads)
            if node._grad_inplace:
                node._own = capture is None and _owned(node, grads, shared)
            in_grads = _apply(node, grads)
            if not retain_graph:
                node._release()
            if node._hooks:
                in_grads = _run_post_hooks(node, in_grads, grads)
            if node._custom:  # a custom Function's backward may return arrays seen elsewhere
                shared.update(id(g._data) for g in in_grads if g is not None)
            seen = None
            for (nxt, nr), g, m in zip(node._edges, in_grads, node._in_meta):
                if nxt is None or (needed is not None and nxt not in needed):
                    continue
                if g is not None:
                    if g._data.shape != m[0] or g.dtype is not m[1]:
                        g = _sum_to(g, m[0], m[1], node, in_grads)
                    k = id(g._data)
                    if seen is None:
                        seen = k
                    elif seen == k or seen.__class__ is set and k in seen:
                        shared.add(k)
                        pins.append(g._data)
                    else:
                        seen = {seen, k} if seen.__class__ is int else seen | {k}
                    buf = buffers.get(nxt)
                    if buf is None:
                        buf = buffers[nxt] = [None] * len(nxt._out_meta)
                    buf[nr] = g if buf[nr] is None else buf[nr] + g
                else:
                    buffers.setdefault(nxt, [None] * len(nxt._out_meta))
                d = deps[nxt] - 1
                deps[nxt] = d
                if d == 0:  # (a gradient just stored: the node runs, no need to look)
                    if g is None and all(x is None for x in buffers[nxt]):
                        buffers.pop(nxt)
                        _skip(nxt, deps, buffers, ready, needed)
                    else:
                        ready.append(nxt)
    finally:
        grad_mode._enabled[0] = prev
        _tasks.pop()
    if capture is None:
        return None
    if accumulate:
        for t, g in zip(inputs, results):
            if g is not None and not (t.grad_fn is not None and t.__dict__.get("_retains")):
                # (a non-leaf that retains its grad got it from its retain_grad hook already)
                _accumulate(t, g, create_graph, shared,
                            t._accumulator() if t.grad_fn is None else None)
        return None
    for i, r in enumerate(results):
        if r is None and not allow_unused:
            raise RuntimeError(
                f"The differentiated Tensor at index {i} appears to not have been used in "
                "the graph. Set allow_unused=True if this is the desired behavior.")
    return tuple(r if r is None or create_graph else r.detach() for r in results)


_tasks = []  # the running backward passes: (id, deps, needed, roots), innermost last
_task_ids = [0]


def current_graph_task():
    """The innermost running backward pass's (id, deps, needed, roots), or None."""
    return _tasks[-1] if _tasks else None


def will_execute(node):
    """Whether the innermost running backward pass runs `node` (torch's
    _will_engine_execute_node)."""
    _, deps, needed, roots = _tasks[-1]
    return (node in deps or node in roots) and (needed is None or node in needed)


def _capture(capture, node, grads, results):
    for nr, g in enumerate(grads):
        for i in capture.get((node, nr), ()):
            results[i] = g


def _skip(node, deps, buffers, ready, needed):
    """A node reached only by None gradients: release its dependents without running it."""
    stack = [node]
    while stack:
        n = stack.pop()
        for nxt, _ in n._edges:
            if nxt is None or (needed is not None and nxt not in needed):
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


def _owned(node, grads, shared):
    """Whether nothing but node's backward can see its incoming gradient arrays, so that it may
    write into them: none is a view, was handed to two edges, came from or went through a hook
    (`shared`), or is seen by the node's hooks."""
    if node._hooks or node._pre_hooks or _anomaly[0]:
        return False
    for g in grads:
        if g is not None and (g._rg or g._data.base is not None or id(g._data) in shared):
            return False
    return True


def _apply(node, grads):
    meta = node._out_meta
    if len(grads) > 1 and any(g is None for g in grads) and getattr(node, "_materialize", True):
        # zeros for outputs that got no gradient
        xp = _xp(next(g for g in grads if g is not None)._data)
        for i, g in enumerate(grads):
            if g is None and meta[i] is not None:
                grads[i] = _wrap(xp.zeros(meta[i][0], meta[i][1].np))
    if _anomaly[0]:
        try:
            res = _call_checked(node, grads)
        except Exception:
            trace = node.__dict__.get("_trace", "")
            warnings.warn(f"Error detected in {node.name()}. Traceback of forward call that "
                          f"caused the error:\n{trace}", UserWarning, stacklevel=2)
            raise
    else:
        res = node._call_backward(grads)
        if res.__class__ is not tuple:
            res = (res,)
    n = len(node._edges)
    if len(res) != n:
        if len(res) > n and all(r is None for r in res[n:]):
            res = res[:n]
        else:
            raise RuntimeError(
                f"function {node.name()} returned an incorrect number of gradients "
                f"(expected {n}, got {len(res)})")
    return res


def _call_checked(node, grads):
    """A node's backward under anomaly mode: NaN in its results is an error naming it."""
    res = node._call_backward(grads)
    if res.__class__ is not tuple:
        res = (res,)
    if _anomaly[1]:
        for i, g in enumerate(res):
            if g is not None and g.dtype.is_floating_point and bool(g.isnan().any()):
                raise RuntimeError(
                    f"Function '{node.name()}' returned nan values in its {i}th output.")
    return res


def _checked(r, n, hook):
    if not isinstance(r, tuple):
        raise TypeError(f"expected tuple, but hook returned '{type(r).__name__}'")
    if len(r) != n:
        name = getattr(hook, "__name__", type(hook).__name__)
        raise RuntimeError(f"hook '{name}' has returned an incorrect number of values (got "
                           f"{len(r)}, but expected {n})")
    return r


def _run_pre_hooks(node, grads):
    """A node's pre hooks: each gets the gradients of its outputs and may replace them."""
    for h in list(node._pre_hooks):
        r = h(tuple(grads))
        if r is not None:
            grads = list(_checked(r, len(grads), h))
    return grads


def _run_post_hooks(node, in_grads, grads):
    """A node's post hooks see torch's grad_inputs: one per entry of next_functions (ember's
    nodes keep one per positional argument), and may replace them."""
    slots = node._grad_slots()
    view = tuple(in_grads[i] if node._edges[i][0] is not None else None for i in slots)
    for h in list(node._hooks):
        r = h(view, tuple(grads))
        if r is not None:
            r = _checked(r, len(view), h)
            for old, new in zip(view, r):
                if old is None and new is not None:
                    raise RuntimeError("can't replace a None gradient with a non-None value")
            view = r
    out = list(in_grads)
    for i, g in zip(slots, view):
        out[i] = g
    return tuple(out)


def _run_tensor_hooks(node, grads):
    for nr, hooks in node._tensor_hooks.items():
        for h in list(hooks):
            if grads[nr] is None:
                continue
            r = h(grads[nr])
            if r is not None:
                grads[nr] = r


def _run_leaf_hooks(leaf, g):
    for h in list(leaf._meta_hooks):
        r = h(g)
        if r is not None:
            g = r
    return g


def _obey_layout(g, v):
    """A copy of array g laid out as torch lays out a leaf's grad: with the leaf's strides when
    the leaf is dense and non-overlapping (a transposed leaf gets a transposed grad), else
    contiguous."""
    if hasattr(v.__class__, "_ember_layout"):  # a sparse leaf (ember/_sparse.py): no strides
        return g.copy()
    dims = sorted((s, n) for n, s in zip(v.shape, v.strides) if n != 1)
    expect = v.itemsize
    for s, n in dims:
        if s != expect:
            return g.copy()
        expect *= n
    out = _xp(g).empty_like(v, order="K")
    out[...] = g
    return out


accumulate_watch = []  # callables(leaf, old grad) run before each accumulation (ember._hints_watch)


def _accumulate(leaf, g, create_graph, shared, node=None):
    """Adds `g` into `leaf.grad`: steals g's array when nothing else can see it."""
    old = leaf._grad
    if accumulate_watch:
        for watcher in accumulate_watch:
            watcher(leaf, old)
    if old is None:
        data = g._data
        if create_graph or data.base is not None or id(data) in shared \
                or not data.flags.writeable or data.strides != leaf._data.strides:
            data = _obey_layout(data, leaf._data)
        leaf._grad = _wrap(data)
        if create_graph and g._rg:  # torch copies differentiably: .grad never aliases g
            leaf._grad.copy_(g)
    elif create_graph or old._rg:
        leaf._grad = old + g
    else:
        old._data += g._data
        old._bump()
    if node is not None:
        for h in node.__dict__.get("_post_hooks", ()):
            h(leaf)
