"""Export rules of the layer functions whose torch export is one ONNX node (or torch's short
pattern) though ember computes them with several ops: prelu (PRelu), group_norm
(InstanceNormalization between two Reshapes, then the affine Mul and Add), interpolate
(Resize), flatten to 2-D (Flatten), the transposed convolutions (ConvTranspose with its bias
as the third input) and dropout in training mode (Dropout with its ratio and training_mode
inputs; torch refuses the feature and alpha dropouts in training mode, and so does ember).

While a trace runs every binding of these functions is swapped (as `_rules_fn` swaps its
table) for a wrapper that asks the rule for a plan: the rule claims the call (returns the
function emitting its nodes) or declines it (returns None: the call is traced op by op, as
before, e.g. interpolate's 'area' mode, which torch exports as adaptive pooling). A claimed
call computes its output untraced and binds it to the emitted node's output."""

import inspect
import warnings

import numpy as np

from .._tensor import Tensor, _wrap
from . import TrainingMode
from ._graph import OnnxExporterError, onnx_type


def _dt(x):
    return np.dtype(x._data.dtype)


def _same_float(*ts):
    """All given Tensors of one floating dtype (mixed dtypes take ember's cast paths)."""
    ts = [t for t in ts if t is not None]
    return all(isinstance(t, Tensor) for t in ts) and len({_dt(t) for t in ts}) == 1 and \
        _dt(ts[0]).kind == "f"


def _broadcast(g, t, rank, consumer):
    """A per-channel vector `t` unsqueezed to (C, 1, ..., 1) for a rank-`rank` input, as
    torch's _unsqueeze_helper gives it: folded into an `onnx::<consumer>_<n>` initializer,
    or an Unsqueeze node when the value is dynamic or folding is off."""
    axes = list(range(1, rank - 1))
    if not axes:
        return g.name(t, consumer)
    if g.fold and not g.is_dynamic(t):
        arr = np.asarray(g.constant_of(t))
        return g.initializer(arr.reshape(arr.shape + (1,) * len(axes)), consumer)
    return g.node("Unsqueeze", [g.name(t, "Unsqueeze"), g.const(axes)])


# ---------------------------------------------------------------- prelu
def _prelu(g, fn, args, kwargs):
    b = inspect.signature(fn).bind(*args, **kwargs).arguments
    x, w = b["input"], b["weight"]
    if not _same_float(x, w):
        return None

    def emit(out):
        rank = x.dim()
        if rank == 0 and tuple(w.shape) == (1,):
            if g.fold and not g.is_dynamic(w):
                slope = g.initializer(np.asarray(g.constant_of(w)).reshape(()), "PRelu")
            else:
                slope = g.node("Squeeze", [g.name(w, "Squeeze"), g.const([0])])
        else:
            slope = _broadcast(g, w, rank, "PRelu")
        return g.node("PRelu", [g.name(x, "PRelu"), slope])
    return emit


# ---------------------------------------------------------------- group_norm
def _group_norm(g, fn, args, kwargs):
    b = inspect.signature(fn).bind(*args, **kwargs)
    b.apply_defaults()
    a = b.arguments
    x, G, w, bias, eps = a["input"], a["num_groups"], a["weight"], a["bias"], a["eps"]
    if not _same_float(x, w, bias) or x.dim() < 2:
        return None

    def emit(out):
        dt = _dt(x)
        allow = 0 if g.opset >= 14 else None
        xn = g.name(x, "Reshape")
        r = g.node("Reshape", [xn, g.const([0, int(G), -1])], allowzero=allow)
        n = g.node("InstanceNormalization", [r, g.const([1.0] * G, dt), g.const([0.0] * G, dt)],
                   epsilon=float(eps))
        y = g.node("Reshape", [n, g.node("Shape", [xn])], allowzero=allow)
        rank = x.dim()
        made = {}  # unfolded, torch makes both missing Constants first
        for k, (t, v) in enumerate(((w, 1.0), (bias, 0.0))):
            if t is None and not g.fold:
                made[k] = g.const([v], dt)
        y = g.node("Mul", [y, _affine(g, w, 1.0, rank, dt, "Mul", made.get(0))])
        return g.node("Add", [y, _affine(g, bias, 0.0, rank, dt, "Add", made.get(1))])
    return emit


def _affine(g, t, default, rank, dt, consumer, c):
    """group_norm's weight or bias as (C, 1, ...); a missing one is torch's [default]
    Constant `c`, unsqueezed (folded into one Constant when folding)."""
    if t is not None:
        return _broadcast(g, t, rank, consumer)
    if g.fold:
        return g.const(np.full((1,) * (rank - 1), default), dt)
    axes = list(range(1, rank - 1))
    return g.node("Unsqueeze", [c, g.const(axes)]) if axes else c


# ---------------------------------------------------------------- interpolate
_RESIZE = {"nearest": "nearest", "linear": "linear", "bilinear": "linear",
           "trilinear": "linear", "bicubic": "cubic"}


def _interpolate(g, fn, args, kwargs):
    from ..nn import _resample
    b = inspect.signature(fn).bind(*args, **kwargs)
    b.apply_defaults()
    a = b.arguments
    x, mode = a["input"], a["mode"]
    if mode not in _RESIZE or a["antialias"] or not _same_float(x) or x.dim() not in (3, 4, 5):
        return None  # ember's own ops (and their refusals)
    if mode == "linear" and x.dim() != 3 or mode == "bilinear" and x.dim() != 4 or \
            mode in ("trilinear",) and x.dim() != 5 or mode == "bicubic" and x.dim() != 4:
        return None  # the function raises torch's error
    size, scales = _resample._sizes(x, a["size"], a["scale_factor"],
                                    a["recompute_scale_factor"])
    ct = "asymmetric" if mode == "nearest" else \
        "align_corners" if a["align_corners"] else "half_pixel"

    def emit(out):
        xn = g.name(x, "Resize")
        attrs = dict(coordinate_transformation_mode=ct, cubic_coeff_a=-0.75,
                     mode=_RESIZE[mode], nearest_mode="floor")
        if all(s is not None for s in scales):  # unfolded: torch's Concat of the two
            sc = [float(s) for s in scales]
            sc = g.const([1.0, 1.0] + sc, np.float32) if g.fold else g.node(
                "Concat", [g.const([1.0, 1.0], np.float32), g.const(sc, np.float32)], axis=0)
            return g.node("Resize", [xn, "", sc], **attrs)
        sizes = None if g.fold else g.const([int(s) for s in size])
        shape = g.node("Shape", [xn])
        axes, starts, ends = g.const([0]), g.const([0]), g.const([2])
        lead = g.node("Slice", [shape, starts, ends, axes])
        if sizes is None:
            sizes = g.const([int(s) for s in size])
        else:
            sizes = g.node("Cast", [sizes], to=onnx_type(g, np.int64))
        full = g.node("Concat", [lead, sizes], axis=0)
        return g.node("Resize", [xn, "", "", full], **attrs)
    return emit


# ---------------------------------------------------------------- conv_transpose
def _conv_transpose(g, fn, args, kwargs):
    from ..nn import _conv
    a = inspect.signature(fn).bind(*args, **kwargs).arguments
    nd, x, w, bias = a["nd"], a["input"], a["weight"], a["bias"]
    if not _same_float(x, w, bias) or x.dim() != nd + 2:
        return None
    k, s, pads, d, groups = _conv._geometry(x, w, a["stride"], a["padding"], a["dilation"],
                                            a["groups"], nd)
    op = _conv._ntuple(a["output_padding"], nd, "output_padding")

    def emit(out):
        ins = [g.name(x, "ConvTranspose"), g.name(w, "ConvTranspose")]
        if bias is not None:
            ins.append(g.name(bias, "ConvTranspose"))
        return g.node("ConvTranspose", ins, dilations=list(d), group=int(groups),
                      kernel_shape=list(k), output_padding=list(op) if any(op) else None,
                      pads=[p[0] for p in pads] + [p[1] for p in pads], strides=list(s))
    return emit


# ---------------------------------------------------------------- dropout
def _dropout(g, fn, args, kwargs):
    b = inspect.signature(fn).bind(*args, **kwargs)
    b.apply_defaults()
    a = b.arguments
    if not a["training"]:
        return None  # the identity, as torch exports it
    if a["feature"] or a["alpha"]:
        op = ("feature_" if a["feature"] else "") + ("alpha_" if a["alpha"] else "") + \
            "dropout" + ("_" if a["inplace"] else "")
        raise OnnxExporterError(
            f"Unsupported: ONNX export of operator aten::{op}, training mode. Please feel free "
            "to request support or submit a pull request on PyTorch GitHub: "
            "https://github.com/pytorch/pytorch/issues")
    if g.mode is not None and g.mode != TrainingMode.PRESERVE and not g.train:
        warnings.warn(f"ONNX export mode is set to {g.mode}, but operator 'dropout' is set to "
                      "train=True. Exporting with train=True.", UserWarning, stacklevel=4)

    def emit(out):
        ratio = g.const(float(a["p"]), np.float32)
        mode = g.const(True, np.bool_)
        name = g.node("Dropout", [g.name(a["input"], "Dropout"), ratio, mode], n_out=2)[0]
        if out is a["input"] and not a["inplace"]:  # p = 0 hands the input back: a new
            out = _wrap(out._data)                  # Tensor names the Dropout's output
        return out, name
    return emit


# ---------------------------------------------------------------- flatten
def _flatten(g, fn, args, kwargs):
    b = inspect.signature(fn).bind(*args, **kwargs)
    b.apply_defaults()
    a = b.arguments
    x, start, end = a["input"], a["start_dim"], a["end_dim"]
    n = x.dim()
    if n < 2 or not all(isinstance(v, int) for v in (start, end)):
        return None
    if start == 1 and end in (-1, n - 1):
        axis = 1  # torch's Flatten cases (output 2-D); the others stay a Reshape
    elif start == 0 and end in (-2, n - 2):
        axis = end + 1  # (as given: -2 gives -1)
    else:
        return None

    def emit(out):
        name = g.node("Flatten", [g.name(x, "Flatten")], axis=axis)
        if out is x:  # a 2-D input handed back: a new Tensor names the node's output
            out = _wrap(out._data)
        return out, name
    return emit


def _fns():
    from ..nn import _activation, _conv, _norm, _resample, functional
    from ..ops import shape
    return {"prelu": _activation.prelu, "group_norm": _norm.group_norm,
            "interpolate": _resample.interpolate, "_conv_transpose": _conv._conv_transpose,
            "_dropout_impl": functional._dropout_impl, "flatten": shape.flatten}


_RULES = {"prelu": _prelu, "group_norm": _group_norm, "interpolate": _interpolate,
          "_conv_transpose": _conv_transpose, "_dropout_impl": _dropout, "flatten": _flatten}


def _wrapper(g, fn, rule):
    from ._rules_fn import _depth
    from ._trace import paused

    def traced(*args, **kwargs):
        tensors = [a for a in list(args) + list(kwargs.values()) if isinstance(a, Tensor)]
        if _depth[0] or not any(g.is_dynamic(t) for t in tensors):
            return fn(*args, **kwargs)  # nested, or constant: traced (folded) as ever
        emit = rule(g, fn, args, kwargs)
        if emit is None:
            return fn(*args, **kwargs)
        with paused():
            out = fn(*args, **kwargs)
        name = emit(out)
        if isinstance(name, tuple):
            out, name = name
        g.bind(out, name)
        return out
    return traced


def install(g):
    """Swap every binding of the rules' functions (in ember's modules, and Tensor's methods)
    for its wrapper;
    returns the undo list of (namespace, name, original)."""
    import sys
    table = {inspect.unwrap(f): _RULES[n] for n, f in _fns().items()}
    undo = []
    spaces = [m for n, m in list(sys.modules.items())
              if m is not None and (n == "ember" or n.startswith("ember."))]
    for m in [Tensor] + spaces:
        for attr, value in list(m.__dict__.items()):
            if not callable(value):
                continue
            try:
                rule = table.get(inspect.unwrap(value))
            except (ValueError, TypeError):
                continue
            if rule is not None:
                undo.append((m, attr, value))
                setattr(m, attr, _wrapper(g, value, rule))
    return undo
