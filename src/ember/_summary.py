"""`ember.summary(model, input_size=...)`: the model summary table torchinfo 1.8 prints (layer
tree, output shapes, parameter counts, trainable/non-trainable, mult-adds, memory estimate),
computed by running the model once under `no_grad` on a zero input (or the given input) with
forward hooks on every module. The arguments, their defaults and their errors are torchinfo's;
the rows and the table text live in `_summary_table.py`.
"""

import sys
import warnings

from ._summary_table import HEADERS, ROW_SETTINGS, LayerRow, ModelStatistics, input_bytes

__all__ = ["summary"]

_NEEDS_INPUT = ("input_size", "output_size", "mult_adds")
_cache = {}  # model class name -> rows, for cache_forward_pass=True


def summary(model, input_size=None, input_data=None, batch_dim=None, cache_forward_pass=None,
            col_names=None, col_width=25, depth=3, device=None, dtypes=None, mode=None,
            row_settings=None, verbose=None, **kwargs):
    """Print and return the summary of `model` (torchinfo.summary's arguments and table).

    input_size: the input's shape, batch included (a list of shapes for several inputs);
    input_data: the forward's arguments instead (a tensor, a list of them, or a dict of kwargs);
    dtypes: one dtype per input_size entry (default float32); depth: how deep the tree shows;
    col_names: any of input_size, output_size, num_params, params_percent, kernel_size,
    mult_adds, trainable; row_settings: any of depth, var_names, ascii_only,
    hide_recursive_layers; mode: "eval" (default) or "train" during the pass; verbose: 0 quiet,
    1 the table, 2 also each weight and bias; kwargs go to the model's forward."""
    from . import _device
    has_input = input_data is not None or input_size is not None
    if col_names is None:
        columns = ("output_size", "num_params") if has_input else ("num_params",)
    else:
        columns = tuple(_choice(c, tuple(HEADERS), "ColumnSettings") for c in col_names)
    rows = ({"depth"} if row_settings is None else
            {_choice(r, ROW_SETTINGS, "RowSettings") for r in row_settings})
    mode = "eval" if mode is None else _choice(mode, ("train", "eval"), "Mode")
    if verbose is None:
        verbose = 0 if getattr(sys, "ps1", None) else 1
    if cache_forward_pass is None:
        cache_forward_pass = False
    if device is None:
        device = _default_device(model) if input_data is None else None
    elif isinstance(device, str):
        device = _device.device(device)
    _validate(input_data, input_size, columns, col_width, device, dtypes, verbose)
    x, sizes = _inputs(input_data, input_size, batch_dim, device, dtypes)
    layers = _forward_pass(model, x, batch_dim, cache_forward_pass, device, mode, kwargs)
    result = ModelStatistics(layers, sizes, input_bytes(x), depth, verbose, columns, col_width,
                             rows)
    if verbose > 0:
        print(result)
    return result


def _choice(value, allowed, kind):
    value = getattr(value, "value", value)
    if value not in allowed:
        raise ValueError(f"{value!r} is not a valid {kind}")
    return value


def _default_device(model):
    from . import _device, cuda
    first = next(iter(model.parameters()), None)
    if first is not None and first.is_cuda:
        return first.device
    return _device.device("cuda" if cuda.is_available() else "cpu")


def _validate(input_data, input_size, columns, col_width, device, dtypes, verbose):
    from . import _dtype
    if col_width <= 0:
        raise ValueError(f"Column width must be greater than 0: col_width={col_width}")
    if verbose not in (0, 1, 2):
        raise ValueError("Verbose must be either 0 (quiet), 1 (default), or 2 (verbose).")
    if input_data is not None and input_size is not None:
        raise RuntimeError("Only one of (input_data, input_size) should be specified.")
    needed = {c for c in columns if c in _NEEDS_INPUT}
    if input_data is None and input_size is None and needed:
        raise ValueError(f"You must pass input_data or input_size in order to use columns: "
                         f"{needed}")
    if dtypes is not None and any(d in (_dtype.float16, _dtype.bfloat16) for d in dtypes):
        if input_size is not None:
            warnings.warn("Half precision is not supported with input_size parameter, and may "
                          "output incorrect results. Try passing input_data directly.",
                          stacklevel=3)
        if device is not None and device.type == "cpu":
            warnings.warn("Half precision is not supported on cpu. Set the `device` field or "
                          "pass `input_data` using the correct device.", stacklevel=3)


def _map(data, fn):
    """fn applied to every tensor in nested lists, tuples and dicts (numpy arrays included)."""
    import numpy as np

    from ._tensor import Tensor
    if isinstance(data, np.ndarray):
        from .ops.creation import from_numpy
        data = from_numpy(data)
    if isinstance(data, Tensor):
        return fn(data)
    if isinstance(data, dict):
        return type(data)((k, _map(v, fn)) for k, v in data.items())
    if isinstance(data, tuple) and hasattr(data, "_fields"):
        return type(data)(*(_map(v, fn) for v in data))
    if isinstance(data, (list, tuple)):
        return type(data)(_map(v, fn) for v in data)
    return data


def _flat(sizes):
    for s in sizes:
        if isinstance(s, (list, tuple)):
            yield from _flat(s)
        else:
            yield s


def _shapes(input_size):
    if not isinstance(input_size, (list, tuple)):
        raise TypeError(
            "Input_size is not a recognized type. Please ensure input_size is valid.\n"
            "For multiple inputs to the network, ensure input_size is a list of tuple "
            "sizes. If you are having trouble here, please submit a GitHub issue.")
    if not input_size or any(s <= 0 for s in _flat(input_size)):
        raise ValueError("Input_data is invalid, or negative size found in input_data.")
    if isinstance(input_size, list) and isinstance(input_size[0], int):
        return [tuple(input_size)]
    if isinstance(input_size, list):
        return input_size
    if isinstance(input_size, tuple) and isinstance(input_size[0], tuple):
        return list(input_size)
    return [input_size]


def _inputs(input_data, input_size, batch_dim, device, dtypes):
    """(the forward's positional arguments or kwargs dict, the sizes shown for them)."""
    from . import _dtype
    from ._tensor import Tensor
    from .ops.creation import zeros
    if input_data is not None:
        sizes = _map(input_data, lambda t: t.size())
        x = input_data if device is None else _map(input_data, lambda t: t.to(device))
        x = _map(x, lambda t: t)  # numpy arrays become tensors
        return ([x] if isinstance(x, Tensor) else x), sizes
    if input_size is None:
        return None, []
    sizes = _shapes(input_size)
    dtypes = dtypes or [_dtype.float32] * len(input_size)
    x = []
    for size, dtype in zip(sizes, dtypes):
        t = zeros(*size, device=device)
        if batch_dim is not None:
            t = t.unsqueeze(batch_dim)
        x.append(t.to(dtype))
    return x, sizes


def _hook_all(model, with_input, batch_dim):
    """Walk the module tree as torchinfo does (children in order, shared modules once per
    place; a module's hooks belong to its last place) and hook each module."""
    rows, seen, current, handles = [], set(), {}, {}
    stack = [(type(model).__name__, model, 0, None)]

    def pre_hook_for(name, depth, parent):
        def pre_hook(module, args):
            row = LayerRow(name, module, depth, parent)
            row.count_params()
            row.is_recursive = row.layer_id in seen
            rows.append(row)
            seen.add(row.layer_id)
            current[row.layer_id] = row
        return pre_hook

    def hook(module, args, output):
        row = current[id(module)]
        if row.has_lazy:
            row.count_params()
        row.input_size = _shape(args, batch_dim)[0]
        row.output_size, nbytes = _shape(output, batch_dim)
        row.output_bytes = nbytes * _prod(row.output_size)
        row.executed = True
        row.count_macs()

    while stack:
        name, module, depth, parent = stack.pop()
        current[id(module)] = LayerRow(name, module, depth, parent)  # used if never called
        pre_hook = pre_hook_for(name, depth, parent)
        if not with_input:
            pre_hook(module, None)
        else:
            for h in handles.pop(id(module), ()):
                h.remove()
            handles[id(module)] = (module.register_forward_pre_hook(pre_hook),
                                   module.register_forward_hook(hook))
        here = current[id(module)]
        stack += [(n, m, depth + 1, here) for n, m in reversed(module._modules.items())
                  if m is not None]
    return rows, handles


def _shape(value, batch_dim):
    from ._summary_table import shape_of
    return shape_of(value, batch_dim)


def _prod(values):
    from ._summary_table import _prod as prod
    return prod(values)


def _forward_pass(model, x, batch_dim, cache, device, mode, kwargs):
    from .autograd.grad_mode import no_grad
    name = type(model).__name__
    if cache and name in _cache:
        return _cache[name]
    rows, handles = _hook_all(model, x is not None, batch_dim)
    if x is None:
        _link(rows)
        return rows
    if device is not None:
        kwargs = _map(kwargs, lambda t: t.to(device))
    was_training = model.training
    try:
        model.train(mode == "train")
        with no_grad():
            model = model if device is None else model.to(device)
            if isinstance(x, dict):
                model(**x, **kwargs)
            else:
                model(*x, **kwargs)
    except Exception as e:
        ran = [r for r in rows if r.executed]
        raise RuntimeError("Failed to run ember.summary. See above stack traces for more "
                           f"details. Executed layers up to: {ran}") from e
    finally:
        for pair in handles.values():
            for h in pair:
                h.remove()
        model.train(was_training)
    _add_containers(rows)
    _link(rows)
    _cache[name] = rows
    return rows


def _link(rows):
    """Number the rows within each depth and give each row its children."""
    count = {}
    for i, row in enumerate(rows):
        count[row.depth] = count.get(row.depth, 0) + 1
        row.depth_index = count[row.depth]
        end = i + 1
        while end < len(rows) and rows[end].depth > row.depth:
            end += 1
        row.children = rows[i + 1:end]


def _add_containers(rows):
    """Insert the containers that never ran themselves (ModuleList, a Sequential entered only
    through its items) above their first child that did."""
    ids = {r.layer_id for r in rows}
    open_rows = {}
    i = 0
    while i < len(rows):
        row, added = rows[i], 0
        chain, p = {}, row.parent
        while p is not None and p.depth > 0:
            chain[p.depth] = p
            p = p.parent
        for d in range(1, row.depth):
            shown = open_rows.get(d)
            if ((shown is None or shown.module is not chain[d].module)
                    and chain[d] is not rows[i + added - 1]):
                chain[d].count_params()
                chain[d].is_recursive = chain[d].layer_id in ids
                rows.insert(i + added, chain[d])
                ids.add(chain[d].layer_id)
                open_rows[d] = chain[d]
                added += 1
        open_rows[row.depth] = row
        d = row.depth + 1
        while d in open_rows:
            del open_rows[d]
            d += 1
        i += 1  # as torchinfo walks the growing list: inserted rows are visited again
