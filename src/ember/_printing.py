"""Tensor printing that matches torch's `repr` character for character.

`tensor_repr` first cuts the displayed elements out of the array (the edges of every long dim
when the tensor is summarised), so a huge tensor costs a few slices, never a full conversion.
One `_Formatter` per part (real, imaginary) is then built from those elements only; `_block`
lays them out with torch's wrapping, and `_add_suffixes` appends `dtype=`, `grad_fn=`, ... .
"""

import math

import numpy as np

from ._device import to_host
from ._dtype import get_default_dtype

__all__ = ["set_printoptions", "get_printoptions", "tensor_repr", "parameter_repr"]

_DEFAULTS = {"precision": 4, "threshold": 1000, "edgeitems": 3, "linewidth": 80}
_PROFILES = {"default": _DEFAULTS,
             "short": dict(_DEFAULTS, precision=2, edgeitems=2),
             "full": dict(_DEFAULTS, threshold=math.inf)}
_OPTS = dict(_DEFAULTS, sci_mode=None)
_PREFIX = "tensor("


def set_printoptions(precision=None, threshold=None, edgeitems=None, linewidth=None,
                     profile=None, sci_mode=None):
    """Matches torch.set_printoptions, quirk included: omitting sci_mode resets it to None."""
    if profile is not None and profile in _PROFILES:
        _OPTS.update(_PROFILES[profile])
    given = {"precision": precision, "threshold": threshold, "edgeitems": edgeitems,
             "linewidth": linewidth}
    _OPTS.update({k: v for k, v in given.items() if v is not None})
    _OPTS["sci_mode"] = sci_mode


def get_printoptions():
    """The current options, as a dict that `set_printoptions(**d)` accepts."""
    return dict(_OPTS)


def _default_device_type():
    # a seam: torch prints `device=` relative to its default device, which ember fixes to cpu
    return "cpu"


class _Formatter:
    """Chooses int / fixed / scientific notation and a width from the displayed values."""

    def __init__(self, values, is_float):
        # values: a host ndarray of the displayed elements (float64 when is_float)
        self.is_float = is_float
        self.int_mode, self.sci_mode, self.width = True, False, 1
        self.precision = _OPTS["precision"]
        if not is_float:
            self.width = max([1] + [len(str(v)) for v in values.ravel().tolist()])
            return
        shown = values[np.isfinite(values) & (values != 0)]
        if shown.size == 0:
            return  # all zero / nan / inf: int mode, and the sci_mode option is ignored
        mag = np.abs(shown)
        lo, hi = float(mag.min()), float(mag.max())
        self.int_mode = bool(np.all(shown == np.ceil(shown)))
        sci = _OPTS["sci_mode"]
        self.sci_mode = (hi / lo > 1000.0 or hi > 1.0e8 or lo < 1.0e-4) if sci is None else sci
        self.width = max(len(self._text(v)) for v in shown.tolist())

    def _text(self, v):
        if not self.is_float:
            return str(v)
        if self.sci_mode:
            return f"{v:.{self.precision}e}"
        if self.int_mode:
            return f"{v:.0f}" if math.isinf(v) or math.isnan(v) else f"{v:.0f}."
        return f"{v:.{self.precision}f}"

    def format(self, v):
        return self._text(v).rjust(self.width)


def _displayed(a, shape, edge, summarize):
    """The host array of the elements torch shows: first and last `edge` of each long dim."""
    if not summarize:
        return to_host(a)
    if edge <= 0:
        return np.empty((0,) * len(shape), dtype=a.dtype)

    def cut(x, axis):
        if axis == len(shape):
            return to_host(x)
        if shape[axis] <= 2 * edge:
            return cut(x, axis + 1)
        head = (slice(None),) * axis
        return np.concatenate((cut(x[head + (slice(None, edge),)], axis + 1),
                               cut(x[head + (slice(-edge, None),)], axis + 1)), axis=axis)

    return cut(a, 0)


def _cells(host, is_float, is_complex):
    """Formatted element strings of `host`, in C order, and the item length for wrapping."""
    if is_complex:
        real, imag = host.real.astype(np.float64), host.imag.astype(np.float64)
        f1, f2 = _Formatter(real, True), _Formatter(imag, True)
        out = []
        for re, im in zip(real.ravel().tolist(), imag.ravel().tolist()):
            im_text = (f2.format(im) + "j").lstrip()
            out.append(f1.format(re) + ("" if im_text[0] in "+-" else "+") + im_text)
        return out, f1.width + 2 + f2.width + 1
    vals = host.astype(np.float64) if is_float else host
    f = _Formatter(vals, is_float)
    return [f.format(v) for v in vals.ravel().tolist()], f.width + 2


def _block(cells, shape, cut, indent, item_len):
    """Nested `[...]` text for `cells` (a flat list laid out as `shape`) with torch's wrapping."""
    edge, ndim = _OPTS["edgeitems"], len(shape)
    if ndim == 1:
        items = cells[:edge] + [" ..."] + cells[edge:] if cut[0] else cells
        per_line = max(1, (_OPTS["linewidth"] - indent) // item_len)
        lines = [", ".join(items[i:i + per_line]) for i in range(0, len(items), per_line)]
        return "[" + (",\n" + " " * (indent + 1)).join(lines) + "]"
    step = len(cells) // shape[0] if shape[0] else 0
    parts = [_block(cells[i * step:(i + 1) * step], shape[1:], cut[1:], indent + 1, item_len)
             for i in range(shape[0])]
    if cut[0]:
        parts = parts[:edge] + ["..."] + parts[edge:]
    return "[" + ("," + "\n" * (ndim - 1) + " " * (indent + 1)).join(parts) + "]"


def _tensor_str(a, dtype, indent):
    """The body of a non-empty tensor's repr, between `tensor(` and the suffixes."""
    shape = tuple(a.shape)
    edge = _OPTS["edgeitems"]
    summarize = a.size > _OPTS["threshold"]
    if summarize and edge <= 0:
        return "[...]"
    host = _displayed(a, shape, edge, summarize)
    cells, item_len = _cells(host, dtype.is_floating_point, dtype.is_complex)
    if not shape:
        return cells[0]
    cut = [summarize and n > 2 * edge for n in shape]
    return _block(cells, host.shape, cut, indent, item_len)


def _add_suffixes(text, suffixes, indent):
    # torch's quirk: the first line's length is counted as len + 2 (rfind gives -1)
    last = len(text) - text.rfind("\n") + 1
    out = [text]
    for s in suffixes:
        if last + len(s) + 2 > _OPTS["linewidth"]:
            out.append(",\n" + " " * indent + s)
            last = indent + len(s)
        else:
            out.append(", " + s)
            last += len(s) + 2
    return "".join(out) + ")"


def _grad_fn_name(fn):
    """The node's class name as torch prints it: CopySlices, not torch::autograd::CopySlices."""
    name = getattr(fn, "name", None)
    return name().rpartition("::")[2] if callable(name) else type(fn).__name__


def tensor_repr(t):
    """Matches repr(torch.Tensor) (which equals str)."""
    if getattr(t, "is_sparse", False):
        from ._sparse import sparse_repr
        return sparse_repr(t)
    indent = len(_PREFIX)
    dtype, shape, dev = t.dtype, tuple(t.shape), t.device
    default = get_default_dtype()
    suffixes = []
    if dev.type != _default_device_type():
        suffixes.append(f"device='{dev}'")
    size = f"size={shape}"
    if dev.type == "meta":
        body = "..."
        suffixes.append(size)
        if dtype is not default:
            suffixes.append(f"dtype={dtype!r}")
    elif math.prod(shape) == 0:
        body = "[]"
        if len(shape) != 1:
            suffixes.append(size)
        if dtype is not default:
            suffixes.append(f"dtype={dtype!r}")
    else:
        if not _OPTS["edgeitems"]:
            suffixes.append(size)
        partner = "complex128" if default.name == "float64" else "complex64"
        if dtype is not default and dtype.name not in (partner, "int64", "bool"):
            suffixes.append(f"dtype={dtype!r}")
        body = _tensor_str(t._data, dtype, indent)
    if t.grad_fn is not None:
        suffixes.append(f"grad_fn=<{_grad_fn_name(t.grad_fn)}>")
    elif t.requires_grad:
        suffixes.append("requires_grad=True")
    if getattr(t, "_tangent", None) is not None:  # a dual tensor (forward AD)
        from .autograd.forward_ad import tangent_of
        tangent = tangent_of(t)
        if tangent is not None:
            suffixes.append(f"tangent={tangent!r}")
    return _add_suffixes(_PREFIX + body, suffixes, indent)


def parameter_repr(p):
    """Matches repr(torch.nn.Parameter)."""
    return "Parameter containing:\n" + tensor_repr(p)
