"""torch.func.vmap: in_dims/out_dims over nested inputs and outputs, chunking, randomness.

Each call opens a level on `_batched._STACK`, wraps the mapped inputs as BatchedTensors with
their batch moved to dim 0, runs the function (ops batch through their rules) and moves each
output's batch to its out_dim; an output not batched at this level is expanded.
"""

import functools

from .._tensor import Tensor
from ..utils._pytree import tree_flatten, tree_unflatten
from . import _batched
from ._batched import _STACK, BatchedTensor, make

__all__ = ["vmap"]


def _name(func):
    if hasattr(func, "__name__"):
        return func.__name__
    if isinstance(func, functools.partial):
        return f"functools.partial({_name(func.func)}, ...)"
    return repr(func)


def _broadcast_dims(dims, args):
    """in_dims/out_dims as one entry per flattened leaf, or None if the structures differ."""
    if dims is None or isinstance(dims, int):
        return [dims] * len(tree_flatten(args)[0])
    if isinstance(dims, (tuple, list)) and isinstance(args, (tuple, list)) and \
            len(dims) == len(args):
        out = []
        for d, a in zip(dims, args):
            sub = _broadcast_dims(d, a)
            if sub is None:
                return None
            out += sub
        return out
    if isinstance(dims, dict) and isinstance(args, dict) and set(dims) == set(args):
        out = []
        for k in args:
            sub = _broadcast_dims(dims[k], args[k])
            if sub is None:
                return None
            out += sub
        return out
    return None


def _check_inputs(func, in_dims, args):
    n = _name(func)
    if not isinstance(in_dims, (int, tuple)):
        raise ValueError(f"vmap({n}, in_dims={in_dims}, ...)(<inputs>): expected `in_dims` to "
                         "be int or a (potentially nested) tuple matching the structure of "
                         f"inputs, got: {type(in_dims)}.")
    if len(args) == 0:
        raise ValueError(f"vmap({n})(<inputs>): got no inputs. Maybe you forgot to add inputs, "
                         "or you are trying to vmap over a function with no inputs. The latter "
                         "is unsupported.")
    flat, spec = tree_flatten(args)
    dims = _broadcast_dims(in_dims, args)
    if dims is None:
        raise ValueError(f"vmap({n}, in_dims={in_dims}, ...)(<inputs>): in_dims is not "
                         "compatible with the structure of `inputs`. in_dims has structure "
                         f"{tree_flatten(in_dims)[1]} but inputs has structure {spec}.")
    for i, (a, d) in enumerate(zip(flat, dims)):
        if d is not None and not isinstance(d, int):
            raise ValueError(f"vmap({n}, in_dims={in_dims}, ...)(<inputs>): Got in_dim={d} for "
                             "an input but in_dim must be either an integer dimension or None.")
        if isinstance(d, int) and not isinstance(a, Tensor):
            raise ValueError(f"vmap({n}, in_dims={in_dims}, ...)(<inputs>): Got in_dim={d} for "
                             f"an input but the input is of type {type(a)}. We cannot vmap over "
                             "non-Tensor arguments, please use None as the respective in_dim")
        if d is not None and not -a.dim() <= d < a.dim():
            raise ValueError(f"vmap({n}, in_dims={in_dims}, ...)(<inputs>): Got in_dim={d} for "
                             "some input, but that input is a Tensor of dimensionality "
                             f"{a.dim()} so expected in_dim to satisfy -{a.dim()} <= in_dim < "
                             f"{a.dim()}.")
        if d is not None and d < 0:
            dims[i] = d % a.dim()
    sizes = [a.size(d) for a, d in zip(flat, dims) if d is not None]
    if not sizes:
        raise ValueError("vmap: Expected at least one Tensor to vmap over")
    if any(s != sizes[0] for s in sizes):
        raise ValueError("vmap: Expected all tensors to have the same size in the mapped "
                         f"dimension, got sizes {sizes} for the mapped dimension")
    return sizes[0], flat, dims, spec


def _check_out_dims(func, out_dims):
    leaves = [out_dims] if isinstance(out_dims, int) else tree_flatten(out_dims)[0]
    if out_dims is None:
        return
    for d in leaves:
        if d is not None and not isinstance(d, int):
            raise ValueError(f"vmap({_name(func)}, ..., out_dims={out_dims}): `out_dims` must "
                             "be an int, None or a python collection of ints representing where "
                             "in the outputs the vmapped dimension should appear.")


def _unbatch(func, out, level, size, out_dim):
    n = _name(func)
    if out_dim is None:
        if isinstance(out, BatchedTensor) and out._level == level:
            raise ValueError(f"vmap({n}, ...): `{n}` can not return a BatchedTensor when "
                             "out_dim is None")
        return out
    if not isinstance(out, Tensor):
        raise ValueError(f"vmap({n}, ...): `{n}` must only return Tensors, got type "
                         f"{type(out)}. Did you mean to set out_dims= to None for output?")
    if isinstance(out, BatchedTensor) and out._level == level:
        v = out._value
        return v.movedim(0, out_dim % v.dim()) if out_dim % v.dim() else v
    d = out_dim % (out.dim() + 1)
    return out.unsqueeze(d).expand(tuple(out.shape[:d]) + (size,) + tuple(out.shape[d:]))


def _unwrap_outputs(func, outputs, out_dims, level, size):
    flat, spec = tree_flatten(outputs)
    if isinstance(outputs, Tensor):
        if isinstance(out_dims, tuple) and len(out_dims) == 1:
            out_dims = out_dims[0]
        dims = [out_dims] if out_dims is None or isinstance(out_dims, int) else None
    else:
        dims = _broadcast_dims(out_dims, outputs)
    if dims is None:
        raise ValueError(f"vmap({_name(func)}, ..., out_dims={out_dims})(<inputs>): out_dims "
                         "is not compatible with the structure of `outputs`. out_dims has "
                         f"structure {tree_flatten(out_dims)[1]} but outputs has structure "
                         f"{spec}.")
    return tree_unflatten([_unbatch(func, o, level, size, d) for o, d in zip(flat, dims)], spec)


def _run(func, flat, dims, spec, size, out_dims, randomness, kwargs):
    frame = _batched._new_level(size, randomness)
    level = frame[0]
    batched = [a if d is None else make(a.movedim(d, 0) if d else a, level)
               for a, d in zip(flat, dims)]
    _STACK.append(frame)
    _batched.activate()
    try:
        outputs = _batched.dispatching(func)(*tree_unflatten(batched, spec), **kwargs)
    finally:
        _STACK.remove(frame)
        _batched.deactivate()
    return _unwrap_outputs(func, outputs, out_dims, level, size)


def _concat_chunks(chunks, out_dims):
    import ember
    flats = [tree_flatten(c)[0] for c in chunks]
    spec = tree_flatten(chunks[0])[1]
    dims = _broadcast_dims(out_dims, chunks[0]) if not isinstance(chunks[0], Tensor) \
        else [out_dims[0] if isinstance(out_dims, tuple) else out_dims]
    out = []
    for i, d in enumerate(dims):
        parts = [f[i] for f in flats]
        out.append(parts[0] if d is None else ember.cat(parts, d))
    return tree_unflatten(out, spec)


def vmap(func, in_dims=0, out_dims=0, randomness="error", *, chunk_size=None):
    """Matches torch.func.vmap: one vectorised call through per-op batching rules."""
    if randomness not in ("error", "different", "same"):
        raise RuntimeError("Only allowed values for randomness are 'error', 'different', or "
                           f"'same'. Got {randomness}")
    if chunk_size is not None and not (isinstance(chunk_size, int) and chunk_size > 0):
        raise ValueError(f"vmap: chunk_size should be None or greater than 0. (got {chunk_size})")

    @functools.wraps(func)
    def wrapped(*args, **kwargs):
        _check_out_dims(func, out_dims)
        size, flat, dims, spec = _check_inputs(func, in_dims, args)
        if chunk_size is None or chunk_size >= size:
            return _run(func, flat, dims, spec, size, out_dims, randomness, kwargs)
        chunks = []
        for start in range(0, size, chunk_size):
            n = min(chunk_size, size - start)
            part = [a if d is None else a.narrow(d, start, n) for a, d in zip(flat, dims)]
            chunks.append(_run(func, part, dims, spec, n, out_dims, randomness, kwargs))
        return _concat_chunks(chunks, out_dims)
    return wrapped
