"""Hints for people learning: a note on torch's own error saying where it happened and what to do.

The exception's type and text stay exactly torch's; ember adds one note (`BaseException.add_note`,
which Python 3.11+ tracebacks print; on 3.10 the attribute `__ember_hint__`, which `ember run`
prints). Call sites reach this module only from an `except` block or just before a `raise`, so the
success path costs nothing: `Module.__call__` calls `module_error` when a forward raises (the
module path comes from the live `Module.__call__` frames), ops call `attach(exc, site, ...)`.
`_RULES` is the one table of hints: (site, exception types, condition, text). The `--explain`
detectors (`watch_zero_grad`, `watch_train_mode`, in _hints_watch.py and importable from here)
warn once each with a HintWarning.
"""

import re
import sys

_enabled = [True]
log = []  # every hint ember attached or warned, in order (for `ember explain`'s report)
_ERRORS = (RuntimeError, ValueError, IndexError, TypeError)
# an error no rule explains still gets the module's path when its text is about shapes or dtypes
_SHAPE_WORDS = re.compile(r"shape|size|dimension|\bdim\b|channels|dtype|scalar type|mat1|"
                          r"[0-9]D\b|must match")


def set_hints(enabled=True):
    """Turns ember's hints (notes on errors, --explain warnings) on or off."""
    _enabled[0] = bool(enabled)


class HintWarning(UserWarning):
    """A warning from ember's `--explain` detectors."""


class _Hint:
    __slots__ = ("where", "lines")

    def __init__(self):
        self.where, self.lines = None, []

    def text(self):
        head = [self.where] if self.where else []
        return "\n".join(["ember hint: " + (head + self.lines)[0]] + (head + self.lines)[1:])


# ---------------------------------------------------------------- small helpers
def _isa(obj, *names):
    return any(k.__name__ in names for k in type(obj).__mro__)


def _shape(t):
    return "[" + ", ".join(str(int(s)) for s in t.shape) + "]"


def _prod(dims):
    n = 1
    for d in dims:
        n *= int(d)
    return n


def _first_tensor(args):
    from ._tensor import Tensor
    return next((a for a in args if isinstance(a, Tensor)), None)


def _describe(m):
    """`Linear(in_features=128, out_features=10, bias=True)` for a leaf, the class name else."""
    if next(iter(m._modules.values()), None) is None:
        return f"{type(m).__name__}({m.extra_repr()})"
    return type(m).__name__


def _expects(m):
    """What a layer accepts, in shape notation, or None."""
    mro = [k.__name__ for k in type(m).__mro__]
    name = type(m).__name__
    if "LazyModuleMixin" in mro:
        return None  # sizes not known until the first call
    if "Linear" in mro:
        return f"[*, {m.in_features}]"
    if "_ConvNd" in mro:
        space = {1: ["L"], 2: ["H", "W"], 3: ["D", "H", "W"]}[len(m.kernel_size)]
        return f"[N, {m.in_channels}, {', '.join(space)}]"
    if "_BatchNorm" in mro:
        c = m.num_features
        return {"BatchNorm1d": f"[N, {c}] or [N, {c}, L]", "BatchNorm2d": f"[N, {c}, H, W]",
                "BatchNorm3d": f"[N, {c}, D, H, W]"}.get(name)
    if "LayerNorm" in mro:
        return "[*, " + ", ".join(str(s) for s in m.normalized_shape) + "]"
    if "Embedding" in mro:
        return f"integer indices in 0..{m.num_embeddings - 1}"
    if "RNNBase" in mro:
        return f"[N, L, {m.input_size}]" if m.batch_first else f"[L, N, {m.input_size}]"
    return None


# ---------------------------------------------------------------- rules: modules
def _linear_flat(e, c):
    m, x = c["module"], c["x"]
    return (_isa(m, "Linear") and x is not None and x.dim() >= 3 and "cannot be multiplied" in
            str(e) and x.shape[-1] != m.in_features and _prod(x.shape[1:]) == m.in_features)


def _linear_flat_text(e, c):
    x, n = c["x"], c["module"].in_features
    dims = "*".join(str(int(s)) for s in x.shape[1:])
    return (f"Likely fix: flatten the input first. Each sample has {dims} = {n} values, which is "
            f"in_features, but nn.Linear only reads the last dimension ({int(x.shape[-1])}). "
            f"Write x = x.flatten(1) (or x.view(x.size(0), -1)) before this layer, or put "
            f"nn.Flatten() in front of it in nn.Sequential.")


def _linear_size(e, c):
    m, x = c["module"], c["x"]
    return (_isa(m, "Linear") and x is not None and x.dim() >= 1 and
            str(e).startswith("mat1 and mat2 shapes cannot be multiplied") and not
            _linear_flat(e, c))


def _linear_size_text(e, c):
    m, x = c["module"], c["x"]
    k = int(x.shape[-1])
    text = (f"Likely fix: the input's last dimension has {k} features but in_features="
            f"{m.in_features}. If {k} is right, build this layer as nn.Linear({k}, "
            f"{m.out_features}); otherwise fix the layer before it (its output size), or a "
            f"view/flatten that gives the wrong size.")
    if x.dim() >= 3:
        text += (f" The input is {x.dim()}-d: nn.Linear works on the last dimension only; "
                 f"x.flatten(1) gives {_prod(x.shape[1:])} features per sample.")
    return text


def _dtype_mismatch(e, c):
    m, x = c["module"], c["x"]
    w = getattr(m, "weight", None)
    return (x is not None and w is not None and w.dtype.is_floating_point and
            x.dtype is not w.dtype and not _isa(m, "Embedding", "EmbeddingBag"))


def _dtype_text(e, c):
    x, w = c["x"], c["module"].weight
    if x.dtype.is_floating_point:
        src = (" (NumPy arrays are float64, and torch.from_numpy keeps that)"
               if str(x.dtype) == "torch.float64" else "")
        return (f"Likely fix: the input is {x.dtype}{src} but the layer's weights are "
                f"{w.dtype}: convert the input with x.to({w.dtype}) (x.float() for float32), "
                f"or the model with model.to({w.dtype}).")
    pixels = (" (uint8 pixels 0..255 usually also want / 255)"
              if str(x.dtype) == "torch.uint8" else "")
    return (f"Likely fix: the input is {x.dtype} but the layer computes in {w.dtype}: "
            f"convert it with x.float(){pixels}. Tensors made from Python ints, as in "
            f"torch.tensor([[1, 2]]), are int64.")


def _conv_channels(e, c):
    m, x = c["module"], c["x"]
    return (_isa(m, "_Conv") and x is not None and "channels instead" in str(e)
            and x.dim() >= 2)


def _conv_channels_text(e, c):
    m, x = c["module"], c["x"]
    ch = int(x.shape[1] if x.dim() == len(m.kernel_size) + 2 else x.shape[0])
    text = (f"Likely fix: this layer has in_channels={m.in_channels} but the input has {ch} "
            f"channel{'s' if ch != 1 else ''} (dimension 1 of {_shape(x)}). Build it with "
            f"in_channels={ch}, or feed {m.in_channels}-channel input.")
    if int(x.shape[-1]) == m.in_channels:
        text += (" The input looks channels-last ([N, H, W, C], as NumPy and PIL images are): "
                 "x.permute(0, 3, 1, 2) puts the channels first.")
    return text


def _conv_rank(e, c):
    return _isa(c["module"], "_ConvNd") and c["x"] is not None and "(unbatched)" in str(e)


def _conv_rank_text(e, c):
    m, x = c["module"], c["x"]
    text = (f"Likely fix: Conv{len(m.kernel_size)}d takes {_expects(m)} (or the same without "
            f"N), but the input is {_shape(x)}.")
    if x.dim() == 2 and len(m.kernel_size) == 2 and int(x.shape[1]) % m.in_channels == 0:
        side = int(round((int(x.shape[1]) // m.in_channels) ** 0.5))
        if side * side * m.in_channels == int(x.shape[1]):
            text += (f" Flat vectors must become images again: "
                     f"x.view(-1, {m.in_channels}, {side}, {side}).")
    return text


def _batch_norm(e, c):
    return (_isa(c["module"], "_NormBase") and c["x"] is not None and c["x"].dim() >= 2 and
            "running_mean should contain" in str(e))


def _batch_norm_text(e, c):
    m, x = c["module"], c["x"]
    return (f"Likely fix: {type(m).__name__}({m.num_features}) normalizes dimension 1 of its "
            f"input, which has size {int(x.shape[1])} here: build it with num_features="
            f"{int(x.shape[1])} (the out_features/out_channels of the layer before it).")


def _layer_norm(e, c):
    return _isa(c["module"], "LayerNorm") and str(e).startswith("Given normalized_shape=")


def _layer_norm_text(e, c):
    m, x = c["module"], c["x"]
    k = len(m.normalized_shape)
    return (f"Likely fix: LayerNorm normalizes the last {k} dimension(s), here "
            f"{list(int(s) for s in x.shape[x.dim() - k:])}: build it with normalized_shape "
            f"equal to them.")


def _rnn_size(e, c):
    return _isa(c["module"], "RNNBase") and "must be equal to input_size" in str(e)


def _rnn_size_text(e, c):
    m, x = c["module"], c["x"]
    order = "[N, L, features]" if m.batch_first else "[L, N, features] (or batch_first=True)"
    return (f"Likely fix: the last dimension of the input is the feature size, "
            f"{int(x.shape[-1])} here: build the layer with input_size={int(x.shape[-1])}, or "
            f"check the order of dimensions, {order}.")


def _embedding_index(e, c):
    return (_isa(c["module"], "Embedding") and c["x"] is not None and c["x"].numel() and
            str(e) == "index out of range in self")


def _embedding_index_text(e, c):
    m, x = c["module"], c["x"]
    top, low = int(x.max().item()), int(x.min().item())
    if low < 0:
        return f"Likely fix: indices must be 0..{m.num_embeddings - 1}; this input has {low}."
    return (f"Likely fix: indices must be 0..{m.num_embeddings - 1} (num_embeddings="
            f"{m.num_embeddings}), and this input has {top}: build it with num_embeddings="
            f"{top + 1} or more (the vocabulary size, counting padding and unknown tokens).")


def _embedding_float(e, c):
    return _isa(c["module"], "Embedding") and "argument #1 'indices'" in str(e)


def _embedding_float_text(e, c):
    return "Likely fix: nn.Embedding takes integer token ids: pass x.long()."


# ---------------------------------------------------------------- rules: losses
def _target_dtype(e, c):
    return str(e).startswith("expected target dtype to be Long or Byte")


def _target_dtype_text(e, c):
    return (f"Likely fix: {c['fn']} takes class indices as int64: use target.long() (labels "
            f"from NumPy or from float tensors come out as floats).")


def _target_rank(e, c):
    return str(e).startswith("0D or 1D target tensor expected")


def _target_rank_text(e, c):
    t, x = c["target"], c["input"]
    if t.dim() == 2 and int(t.shape[1]) == 1:
        return (f"Likely fix: the target has shape {_shape(t)}; {c['fn']} wants one class "
                f"index per sample, shape [{int(t.shape[0])}]: use target.squeeze(1) "
                f"(or target.view(-1)).")
    if t.shape == x.shape:
        return ("Likely fix: the target looks one-hot; pass class indices: "
                "target.argmax(dim=1).")
    return (f"Likely fix: {c['fn']} wants one class index per sample (a 1-d target), but "
            f"the target has shape {_shape(t)}.")


def _target_probs(e, c):
    return str(e).startswith("Expected floating point type for target with class probabilities")


def _target_probs_text(e, c):
    return (f"Likely fix: the target has the input's shape {_shape(c['input'])}, so "
            f"cross_entropy reads it as class probabilities, which are floats. For one-hot "
            f"labels pass class indices instead: target.argmax(dim=1); to keep probabilities, "
            f"target.float().")


def _batch_size(e, c):
    return str(e).startswith("Expected input batch_size")


def _batch_size_text(e, c):
    return ("Likely fix: the output and the targets must come from the same batch. A "
            "view(-1, k) with the wrong k in forward() changes the batch size; "
            "x.view(x.size(0), -1) keeps it.")


def _target_range(e, c):
    return isinstance(e, IndexError) and str(e).startswith("Target ")


def _target_range_text(e, c):
    x, t = c["input"], c["target"]
    n = int(x.shape[1] if x.dim() > 1 else x.shape[0])
    top = int(t.max().item())
    text = (f"Likely fix: the model gives scores for {n} classes, so targets must be "
            f"0..{n - 1}, and this batch has {top}: give the last layer out_features={top + 1} "
            f"(one per class)")
    if t.numel() and int(t.min().item()) >= 1 and top == n:
        text += ", or, if the labels count from 1, use target - 1"
    return text + "."


def _log_probs(e, c):
    g = getattr(c["input"], "grad_fn", None)
    return c["fn"] == "cross_entropy" and g is not None and g.name() in (
        "LogSoftmaxBackward0", "SoftmaxBackward0")


def _log_probs_text(e, c):
    kind = "log_softmax" if c["input"].grad_fn.name().startswith("Log") else "softmax"
    return (f"Also: this input comes out of {kind}, but cross_entropy applies log_softmax "
            f"itself. Give it the raw scores (drop the last {kind} layer), or keep log_softmax "
            f"and use nll_loss (nn.NLLLoss).")


# ---------------------------------------------------------------- rules: autograd, tensors
def _backward_text(e, c):
    t = c["tensor"]
    return (f"Likely fix: backward() needs a single number, and this tensor has shape "
            f"{_shape(t)}. Reduce it first (loss.mean() or loss.sum(); a loss made with "
            f"reduction='none' keeps one value per sample), or pass the gradient: "
            f"out.backward(torch.ones_like(out)).")


def _inplace_text(e, c):
    return ("Likely fix: this tensor is a leaf that requires grad (a parameter, or made with "
            "requires_grad=True), and autograd cannot record a change to it. Update weights "
            "under `with torch.no_grad():` (w -= lr * w.grad), or let an optimizer do it; "
            "w = w + 1 (not in place) makes a new tensor instead.")


def _numpy_text(e, c):
    return ("Likely fix: t.detach().numpy() (t.detach().cpu().numpy() for a GPU tensor), or "
            "compute under `with torch.no_grad():`; for one number, t.item().")


def _always(e, c):
    return True


_RULES = [  # (site, exception types, condition(exc, ctx), text(exc, ctx)), checked in order
    ("module", RuntimeError, _linear_flat, _linear_flat_text),
    ("module", RuntimeError, _linear_size, _linear_size_text),
    ("module", RuntimeError, _dtype_mismatch, _dtype_text),
    ("module", RuntimeError, _conv_channels, _conv_channels_text),
    ("module", RuntimeError, _conv_rank, _conv_rank_text),
    ("module", RuntimeError, _batch_norm, _batch_norm_text),
    ("module", RuntimeError, _layer_norm, _layer_norm_text),
    ("module", RuntimeError, _rnn_size, _rnn_size_text),
    ("module", IndexError, _embedding_index, _embedding_index_text),
    ("module", RuntimeError, _embedding_float, _embedding_float_text),
    ("loss", RuntimeError, _target_dtype, _target_dtype_text),
    ("loss", RuntimeError, _target_rank, _target_rank_text),
    ("loss", RuntimeError, _target_probs, _target_probs_text),
    ("loss", ValueError, _batch_size, _batch_size_text),
    ("loss", IndexError, _target_range, _target_range_text),
    ("loss", _ERRORS, _log_probs, _log_probs_text),
    ("backward", RuntimeError, _always, _backward_text),
    ("inplace", RuntimeError, _always, _inplace_text),
    ("numpy", RuntimeError, _always, _numpy_text),
]


# ---------------------------------------------------------------- attaching notes
def _rule_lines(exc, site, ctx):
    return [text(exc, ctx) for s, types, cond, text in _RULES
            if s == site and isinstance(exc, types) and cond(exc, ctx)]


def _publish(exc, hint):
    old = getattr(exc, "__ember_hint__", None)
    new = hint.text()
    exc.__ember_hint__ = new
    if old is None:
        log.append(hint)
    if hasattr(exc, "add_note"):
        notes = getattr(exc, "__notes__", None)
        at = next((i for i, n in enumerate(notes or ()) if n is old), None)
        if at is None:
            exc.add_note(new)
        else:
            notes[at] = new


def _hint_of(exc):
    hint = getattr(exc, "_ember_hint", None)
    if hint is None:
        hint = exc._ember_hint = _Hint()
    return hint


def attach(exc, site, **ctx):
    """Adds the hints `_RULES` has for `site` and `exc` as a note; returns `exc` (so a call site
    can write `raise attach(RuntimeError(...), "numpy")`)."""
    if _enabled[0]:
        try:
            lines = _rule_lines(exc, site, ctx)
            if lines:
                hint = _hint_of(exc)
                hint.lines += lines
                _publish(exc, hint)
        except Exception:  # a hint must never hide the error it explains
            pass
    return exc


def module_error(module, exc, args):
    """From Module.__call__'s except block: names the module the error left first (its path
    from the outermost module being called, its input) and adds that layer's hints."""
    if not _enabled[0] or not isinstance(exc, _ERRORS):
        return
    try:
        hint = getattr(exc, "_ember_hint", None)
        if hint is not None and hint.where is not None:
            return  # an inner module already said where
        x = _first_tensor(args)
        lines = _rule_lines(exc, "module", {"module": module, "x": x, "args": args})
        if not (lines or hint is not None or _SHAPE_WORDS.search(str(exc)) and
                not isinstance(exc, TypeError)):
            return  # not an error about the data a layer got: say nothing
        hint = _hint_of(exc)
        hint.where = _where(module, args, sys._getframe(1))
        hint.lines += lines
        _publish(exc, hint)
    except Exception:
        pass


def _where(module, args, frame):
    from ._tensor import Tensor
    root, caller = _outer_call(frame)
    name = _root_name(root or module, caller)
    text = f"raised in {_describe(module)}"
    if name is not None:
        text = f"raised in {name}{_path(root, module)} ({_describe(module)})"
    xs = [f"{_shape(a)} ({a.dtype})" for a in args if isinstance(a, Tensor)]
    if len(xs) == 1:
        text += f", whose input has shape {xs[0]}"
    elif xs:
        text += f", whose inputs have shapes {', '.join(xs)}"
    want = _expects(module)
    if want is not None:
        text += f"; it expects {want}"
    return text + "."


def _call_codes():
    from .nn.modules.module import Module
    return (Module.__call__.__code__, Module._call_with_hooks.__code__)


def _outer_call(frame):
    """The outermost module being called in this stack, and the frame that called it."""
    codes, root, caller = _call_codes(), None, None
    while frame is not None:
        if frame.f_code in codes:
            root, caller = frame.f_locals.get("self"), frame.f_back
        frame = frame.f_back
    return root, caller


def _root_name(root, caller):
    """How the calling code reaches the outermost module: a variable holding it (`model`), or
    one holding a module that contains it (`model.fc2`); None when neither is found."""
    if caller is None:
        return None
    scopes = (caller.f_locals, caller.f_globals)
    for scope in scopes:
        for name, value in scope.items():
            if value is root and name != "self":
                return name
    from .nn.modules.module import Module
    for scope in scopes:
        for name, value in scope.items():
            if isinstance(value, Module) and name != "self":
                sub = _path(value, root)
                if not sub.startswith(".<"):
                    return name + sub
    return None


def _path(root, module):
    if root is None or root is module:
        return ""
    for name, m in root.named_modules():
        if m is module and name:
            return "." + name
    return f".<unregistered {type(module).__name__}>"


# ---------------------------------------------------------------- --explain detectors
from ._hints_watch import (  # noqa: E402,F401  (they use the helpers above)
    _user_frame,
    _warn,
    watch,
    watch_train_mode,
    watch_zero_grad,
)
