"""Small parameters stepped together: torch's `foreach` idea, on NumPy.

An optimizer whose update is elementwise (every value of a parameter's new state depends only
on the same position of the parameter, its gradient and its state, and on scalars) computes the
same bits on the concatenation of several parameters as on each one alone. Its per-parameter
cost is mostly fixed: Adam's update is a dozen NumPy calls and their Python, about 40 us a
parameter whatever its size, which is most of a step's optimizer time for biases and other
small tensors (measured: four biases of 10-256 elements, 340 -> 210 us a step; two of 2048,
88 -> 114 us, hence `SMALL`). SGD's three calls cost less than the gathering, so it stays one
by one. `step_batched` gathers the small parameters of a group
(same dtype, state of the same keys and the same scalar values, e.g. the step count) into flat
arrays, runs the optimizer's own `_update` once on them, and writes the results back into every
parameter and state tensor in place (no tensor is replaced: state_dict, hooks and views see the
same objects). Parameters above `SMALL` elements, other array types and anything unusual go
through `_update` one by one as before.
"""

import numpy as np

from .._tensor import Tensor, _wrap

SMALL = 2048  # elements; above this, copying in and out costs more than the calls it saves
LIMIT = 1 << 16  # elements per batch: the optimizer's scratch stays within a few of them


def chunks(items):
    """`items` (one key's) split into batches of at most LIMIT elements."""
    out, size = [[]], 0
    for it in items:
        n = it[0]._data.size
        if size + n > LIMIT and out[-1]:
            out.append([])
            size = 0
        out[-1].append(it)
        size += n
    return out


def key(p, g, state):
    """The batch a (parameter array, gradient array, state dict or None) belongs to, or None
    when it is stepped alone."""
    if p.__class__ is not np.ndarray or g.__class__ is not np.ndarray or p.size > SMALL \
            or not p.ndim or p.base is not None or p.dtype != g.dtype or p.shape != g.shape \
            or p.dtype.kind != "f":  # (a view may share memory with another parameter)
        return None
    if state is None:
        return (p.dtype,)
    parts = [p.dtype]
    for k, v in state.items():
        if not isinstance(v, Tensor):
            return None
        a = v._data
        if a.__class__ is not np.ndarray:
            return None
        if a.ndim == 0 and p.ndim != 0:  # a scalar (the step count): must agree to batch
            parts.append((k, a.dtype, a.item()))
        elif a.shape == p.shape and a.dtype == p.dtype:
            parts.append((k, None))
        else:
            return None
    return tuple(parts)


def step_batched(opt, group, items):
    """Runs opt._update on the flat concatenation of `items`, [(param Tensor, grad array,
    state dict or None)] sharing one `key`, and writes parameters and state back."""
    params = [p._data for p, _, _ in items]
    P = np.concatenate([a.reshape(-1) for a in params])
    G = np.concatenate([g.reshape(-1) for _, g, _ in items])
    states = [s for _, _, s in items]
    flat = None
    if states[0] is not None:
        flat = {}
        for k, v in states[0].items():
            if v._data.ndim == 0 and params[0].ndim != 0:
                flat[k] = _wrap(v._data.copy())
            else:
                flat[k] = _wrap(np.concatenate([s[k]._data.reshape(-1) for s in states]))
    opt._update(P, G, flat, group)
    offs = np.cumsum([0] + [a.size for a in params]).tolist()
    for i, a in enumerate(params):
        a[...] = P[offs[i]:offs[i + 1]].reshape(a.shape)
    if flat is None:
        return
    for k, v in flat.items():
        src = v._data  # 0-d: a scalar, the same for every parameter; else their values in turn
        for i, s in enumerate(states):
            part = src if src.ndim == 0 else src[offs[i]:offs[i + 1]].reshape(params[i].shape)
            t = s.get(k)
            if t is None:  # created by this update (SGD's first momentum buffer)
                s[k] = _wrap(np.array(part, copy=True))
            else:
                t._data[...] = part
