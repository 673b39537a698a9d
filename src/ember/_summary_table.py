"""The rows and the text of `ember.summary`: one `LayerRow` per module call (or per container that
never ran), and `ModelStatistics`, whose repr is the table torchinfo 1.8 prints.

The counting rules are torchinfo's, so the numbers a learner sees match the tutorials: a
container's own "Param #" shows only the parameters its children do not show; a row at the
maximum depth shows everything beneath it; totals add leaf rows and containers' leftovers;
mult-adds are `batch * params` for a layer (`batch * spatial * params` for a convolution) and
`batch * steps * params` for the named weights of a recurrent layer; the forward/backward size
counts each leaf with parameters twice (output and its gradient); the input size is each input's
storage as Python's `sys.getsizeof` reports a torch storage (its bytes plus 64).
"""

import math

# column keys, in torchinfo's spelling, with their header titles
HEADERS = {"kernel_size": "Kernel Shape", "input_size": "Input Shape",
           "output_size": "Output Shape", "num_params": "Param #", "params_percent": "Param %",
           "mult_adds": "Mult-Adds", "trainable": "Trainable"}
ROW_SETTINGS = ("depth", "var_names", "ascii_only", "hide_recursive_layers")
_STORAGE_OVERHEAD = 64  # sys.getsizeof(torch storage) - its nbytes


def _prod(values):
    out = 1
    for v in values:
        out *= _prod(v) if isinstance(v, (list, tuple)) else v
    return out


def _is_tensor(x):
    from ._tensor import Tensor
    return isinstance(x, Tensor)


def _nested_size(value):
    """(shape, element bytes) of the first tensor found by descending first elements."""
    if hasattr(value, "tensors"):
        return _nested_size(value.tensors)
    if _is_tensor(value):
        return list(value.shape), value.element_size()
    if not hasattr(value, "__getitem__") or not value:
        return [], 0
    if isinstance(value, dict):
        return _nested_size(list(value.values()))
    if isinstance(value, (list, tuple)):
        return _nested_size(value[0])
    return [], 0


def shape_of(value, batch_dim):
    """(shape, element bytes) shown for a module's inputs or outputs."""
    if value is None:
        return [], 0
    if isinstance(value, (list, tuple)) and value and _is_tensor(getattr(value[0], "data", None)):
        size, nbytes = list(value[0].data.shape), value[0].data.element_size()
        if batch_dim is not None:
            size = size[:batch_dim] + [1] + size[batch_dim + 1:]
        return size, nbytes
    if isinstance(value, dict):
        size, nbytes = _nested_size(list(value.values())[-1])
        if batch_dim is not None:
            size = [size[:batch_dim] + [1] + size[batch_dim + 1:]]
        return size, nbytes
    if _is_tensor(value):
        return list(value.shape), value.element_size()
    if isinstance(value, (list, tuple)):
        size, nbytes = _nested_size(value)
        if batch_dim is not None and batch_dim < len(size):
            size[batch_dim] = 1
        return size, nbytes
    raise TypeError("Model contains a layer with an unsupported input or output type: "
                    f"{value}, type: {type(value)}")


def _param_count(module, name, param):
    """A pruned weight (`w_orig` beside its `w_mask` buffer) counts its unmasked entries."""
    if name.endswith("_orig"):
        base = name[:-5]
        mask = module
        for part in (base + "_mask").split("."):
            mask = getattr(mask, part, None)
        if mask is not None:
            return int(mask.sum().item()), base
    return param.numel(), name


def _is_lazy(param):
    from .nn.parameter import is_lazy
    return is_lazy(param)


class LayerRow:
    """One line of the table: a module, where it sits, and what it counted."""

    def __init__(self, var_name, module, depth, parent=None):
        self.layer_id = id(module)
        self.module = module
        self.class_name = getattr(module, "original_name", None) or type(module).__name__
        self.var_name, self.depth, self.parent = var_name, depth, parent
        self.depth_index = None
        self.children = []
        self.executed = False
        self.is_leaf = not any(True for _ in module.children())
        self.has_lazy = False
        self.is_recursive = False
        self.input_size, self.output_size = [], []
        k = getattr(module, "kernel_size", None)
        if k is not None and not isinstance(k, int):
            k = list(k)
        self.kernel_size = k
        self.num_params = self.trainable_params = self.param_bytes = 0
        self.output_bytes = self.macs = 0
        self.inner = {}

    def __repr__(self):
        return f"{self.class_name}: {self.depth}"

    @property
    def trainable(self):
        if self.num_params == 0:
            return "--"
        if self.trainable_params == 0:
            return "False"
        return "True" if self.num_params == self.trainable_params else "Partial"

    def count_params(self):
        self.num_params = self.trainable_params = self.param_bytes = 0
        self.inner = {}
        last = None
        for name, p in self.module.named_parameters():
            if _is_lazy(p):
                self.has_lazy = True
                continue
            n, name = _param_count(self.module, name, p)
            self.param_bytes += p.element_size() * n
            self.num_params += n
            self.trainable_params += n if p.requires_grad else 0
            shape = list(p.shape)
            if name == "weight" and len(shape) > 1:  # shown as [in, out, k...]
                shape[0], shape[1] = shape[1], shape[0]
            if self.parent is not None or "." not in name:
                self.inner[name] = {"kernel_size": str(shape), "num_params": f"├─{n:,}"}
                last = name
        if last is not None:
            self.inner[last]["num_params"] = "└─" + self.inner[last]["num_params"][2:]

    def count_macs(self):
        for name, p in self.module.named_parameters():
            n, name = _param_count(self.module, name, p)
            if name in ("weight", "bias"):
                if "Conv" in self.class_name:  # every output position, channels excluded
                    self.macs += int(n * _prod(self.output_size[:1] + self.output_size[2:]))
                else:
                    self.macs += self.output_size[0] * n
            elif "weight" in name or "bias" in name:  # a recurrent layer's weight_ih_l0 ...
                self.macs += _prod(self.output_size[:2]) * n

    def leftover_params(self):
        return self.num_params - sum(c.num_params if c.is_leaf else c.leftover_params()
                                     for c in self.children if not c.is_recursive)

    def leftover_trainable(self):
        return self.trainable_params - sum(
            c.trainable_params if c.is_leaf else c.leftover_trainable()
            for c in self.children if not c.is_recursive)

    def macs_text(self, at_max):
        if self.macs <= 0:
            return "--"
        if self.is_leaf:
            return f"{self.macs:,}"
        if at_max:
            return f"{sum(c.macs for c in self.children if c.is_leaf):,}"
        return "--"

    def params_text(self, at_max):
        if self.num_params == 0:
            return "--"
        if self.is_recursive:
            return "(recursive)"
        if at_max or self.is_leaf:
            text = f"{self.num_params:,}"
            return text if self.trainable_params else f"({text})"
        left = self.leftover_params()
        return f"{left:,}" if left > 0 else "--"

    def percent_text(self, total, at_max):
        zero = "     --"
        if total == 0:
            return zero
        if self.is_recursive:
            return "(recursive)"
        n = self.num_params if at_max or self.is_leaf else self.leftover_params()
        return zero if n == 0 else f"{n / total:>7.2%}"

    def title(self, var_names, depth):
        text = self.class_name
        if var_names and self.var_name:
            text += f" ({self.var_name})"
        if depth and self.depth > 0:
            text += f": {self.depth}"
            if self.depth_index is not None:
                text += f"-{self.depth_index}"
        return text


def _readable(num):
    """(unit letter, value): millions unless it reaches billions or trillions."""
    if num >= 1e12:
        return "T", num / 1e12
    if num >= 1e9:
        return "G", num / 1e9
    return "M", num / 1e6


def _number(num, unit=None):
    value = num if unit is None else _readable(num)[1]
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    shown = "" if unit is None else f" ({_readable(num)[0]})"
    return f"{shown}: {value:,d}" if isinstance(value, int) else f"{shown}: {value:,.2f}"


class ModelStatistics:
    """What `ember.summary` returns: the rows, the totals, and the table as its repr/str."""

    def __init__(self, rows, input_size, total_input, depth, verbose, col_names, col_width,
                 row_settings):
        self.summary_list, self.input_size, self.total_input = rows, input_size, total_input
        self.max_depth, self.verbose = depth, verbose
        self.col_names, self.col_width, self.row_settings = col_names, col_width, row_settings
        self.total_mult_adds = self.total_params = self.trainable_params = 0
        self.total_param_bytes = self.total_output_bytes = 0
        for row in rows:
            if row.is_leaf:
                self.total_mult_adds += row.macs
                if row.num_params > 0:
                    self.total_output_bytes += row.output_bytes * 2  # and the gradient
                if row.is_recursive:
                    continue
                self.total_params += max(row.num_params, 0)
                self.total_param_bytes += row.param_bytes
                self.trainable_params += max(row.trainable_params, 0)
            elif not row.is_recursive:
                self.total_params += max(row.leftover_params(), 0)
                self.trainable_params += max(row.leftover_trainable(), 0)
        self.name_width = 40
        longest = max((len(r.title(*self._title_flags())) + r.depth * 5 + 1 for r in rows),
                      default=0)
        if longest >= self.name_width:
            self.name_width = math.ceil(longest / 5) * 5

    def _title_flags(self):
        return "var_names" in self.row_settings, "depth" in self.row_settings

    def _line(self, name, values):
        text = f"{name:<{self.name_width}} "
        for col in self.col_names:
            text += f"{values.get(col, ''):<{self.col_width}} "
        return text.rstrip() + "\n"

    def _branch(self, depth):
        ascii_only = "ascii_only" in self.row_settings
        if depth == 0:
            return ""
        tip = "+ " if ascii_only else "└─"
        if depth == 1:
            return "+ " if ascii_only else "├─"
        return ("|    " if ascii_only else "│    ") * (depth - 1) + tip

    def _row(self, row, at_max):
        values = {"kernel_size": str(row.kernel_size) if row.kernel_size else "--",
                  "input_size": str(row.input_size) if row.input_size else "--",
                  "output_size": str(row.output_size) if row.output_size else "--",
                  "num_params": row.params_text(at_max),
                  "params_percent": row.percent_text(self.total_params, at_max),
                  "mult_adds": row.macs_text(at_max), "trainable": row.trainable}
        text = self._line(self._branch(row.depth) + row.title(*self._title_flags()), values)
        if self.verbose == 2:
            for name, inner in row.inner.items():
                text += self._line(self._branch(row.depth + 1) + name, inner)
        return text

    def __repr__(self):
        rule = "=" * (len(self.col_names) * self.col_width + self.name_width)
        header = " (var_name)" if "var_names" in self.row_settings else ""
        header += ":depth-idx" if "depth" in self.row_settings else ""
        hide = "hide_recursive_layers" in self.row_settings
        body = "".join(self._row(r, r.depth == self.max_depth) for r in self.summary_list
                       if r.depth <= self.max_depth and not (hide and r.is_recursive))
        text = (f"{rule}\n{self._line(f'Layer (type{header})', HEADERS)}{rule}\n{body}{rule}\n"
                f"Total params{_number(self.total_params)}\n"
                f"Trainable params{_number(self.trainable_params)}\n"
                f"Non-trainable params{_number(self.total_params - self.trainable_params)}\n")
        if self.input_size:
            parts = (self.total_input, self.total_output_bytes, self.total_param_bytes)
            mb, total = [n / 1e6 for n in parts], sum(parts)
            text += (f"Total mult-adds{_number(self.total_mult_adds, 'auto')}\n{rule}\n"
                     f"Input size (MB): {mb[0]:0.2f}\n"
                     f"Forward/backward pass size (MB): {mb[1]:0.2f}\n"
                     f"Params size (MB): {mb[2]:0.2f}\n"
                     f"Estimated Total Size (MB): {total / 1e6:0.2f}\n")
        return text + rule

    __str__ = __repr__


def input_bytes(tensors):
    """Bytes of the inputs as torchinfo reports them (storage bytes plus Python's overhead)."""
    if _is_tensor(tensors):
        return tensors.nbytes + _STORAGE_OVERHEAD
    if isinstance(tensors, dict):
        return sum(input_bytes(v) for v in tensors.values())
    if isinstance(tensors, (list, tuple)):
        return sum(input_bytes(v) for v in tensors)
    return 0
