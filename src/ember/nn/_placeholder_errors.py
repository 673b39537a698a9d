"""torch's error for using an uninitialized parameter or buffer (nn.parameter's placeholders).

torch raises it from `__torch_function__`, naming the function it dispatched: a Tensor method
(`<method 'dim' of 'torch._C.TensorBase' objects>`, an operator by the method it calls), or the
torch function user code called when torch dispatches there first (`<built-in function
linear>`, `<function normal_ at 0x...>`). ember finds that function on the stack: the outermost
ember frame below user code. Addresses in the text are ember's (torch's differ every run).
"""

import sys

from .._tensor import Tensor
from ..ops._util import PY_FUNCTIONS, PY_METHODS

# what torch allows besides every property (UninitializedTensorMixin._allowed_methods)
ALLOWED = frozenset(("size", "copy_", "is_complex", "is_floating_point", "half", "float",
                     "double", "char", "short", "int", "long", "cuda", "cpu", "to", "get_device",
                     "materialize", "share_memory_"))
# dunders that keep working: object protocol, printing, pickling
KEEP = frozenset(("__new__", "__init__", "__getattribute__", "__getattr__", "__setattr__",
                  "__delattr__", "__hash__", "__repr__", "__str__", "__reduce_ex__", "__reduce__",
                  "__init_subclass__", "__subclasshook__", "__sizeof__", "__class_getitem__",
                  "__getstate__"))
# the Tensor method torch's error names for an operator; "<slot>" for a slot wrapper, a dotted
# name for a Python function of torch's
_DUNDER_METHOD = {
    "__abs__": "abs", "__add__": "add", "__radd__": "add", "__iadd__": "add_", "__sub__": "sub",
    "__isub__": "sub_", "__mul__": "mul", "__rmul__": "mul", "__imul__": "mul_",
    "__truediv__": "div", "__div__": "div", "__itruediv__": "div_", "__idiv__": "div_",
    "__ifloordiv__": "floor_divide_", "__mod__": "remainder", "__imod__": "remainder_",
    "__matmul__": "matmul", "__neg__": "neg", "__pos__": "positive", "__ge__": "ge",
    "__gt__": "gt", "__le__": "le", "__lt__": "lt", "__ne__": "ne", "__rand__": "bitwise_and",
    "__ror__": "bitwise_or", "__rxor__": "bitwise_xor", "__iter__": "dim", "__long__": "__int__",
    "__and__": "__and__", "__or__": "__or__", "__xor__": "__xor__", "__invert__": "__invert__",
    "__lshift__": "__lshift__", "__rshift__": "__rshift__", "__iand__": "__iand__",
    "__ior__": "__ior__", "__ixor__": "__ixor__", "__ilshift__": "__ilshift__",
    "__irshift__": "__irshift__", "__bool__": "__bool__", "__float__": "__float__",
    "__int__": "__int__", "__index__": "__index__", "__complex__": "__complex__",
    "__eq__": "__eq__", "__getitem__": "<slot>", "__setitem__": "<slot>",
    "__pow__": "TensorBase.pow", "__ipow__": "TensorBase.pow_", "__rtruediv__": "Tensor.__rdiv__"}
# torch's init functions that dispatch on their tensor
_INIT_DISPATCHING = frozenset(("uniform_", "normal_", "constant_", "kaiming_uniform_"))
# torch.nn.functional's C functions: torch._C._nn's (a builtin function, with torch's name) and
# torch's own (a builtin method of a type); every other one is a Python function
_NN_BUILTIN = {"avg_pool2d": "avg_pool2d", "avg_pool3d": "avg_pool3d", "elu_": "elu_",
               "gelu": "gelu", "hardtanh_": "hardtanh_", "leaky_relu_": "leaky_relu_",
               "linear": "linear", "logsigmoid": "log_sigmoid", "one_hot": "one_hot",
               "scaled_dot_product_attention": "scaled_dot_product_attention",
               "softplus": "softplus", "softshrink": "softshrink"}
# torch.nn.functional's Python functions that do not dispatch (the Tensor method they call
# does), and those whose error shows another function (the one they hand over to)
_F_NOT_DISPATCHING = frozenset(("sigmoid", "tanh"))
_F_SHOWN = {"upsample": "interpolate", "upsample_bilinear": "interpolate",
            "upsample_nearest": "interpolate", **{
                f"{kind}max_pool{n}d": "boolean_dispatch.<locals>.fn"
                for kind in ("", "adaptive_", "fractional_") for n in (1, 2, 3)}}
_TORCH_BUILTIN_IN_F = frozenset((
    "adaptive_avg_pool1d", "avg_pool1d", "bilinear", "celu_", "channel_shuffle", "conv1d",
    "conv2d", "conv3d", "conv_tbc", "conv_transpose1d", "conv_transpose2d", "conv_transpose3d",
    "cosine_similarity", "hardshrink", "native_channel_shuffle", "pairwise_distance", "pdist",
    "pixel_shuffle", "pixel_unshuffle", "prelu", "relu_", "rrelu_", "selu_", "threshold_"))


def use_error(cls, func):
    return ValueError(
        f"Attempted to use an uninitialized parameter in {func}. This error happens when you are "
        "using a `LazyModule` or explicitly manipulating "
        f"`torch.nn.parameter.{cls.__name__}` objects. When using LazyModules Call `forward` "
        "with a dummy batch to initialize the parameters before calling torch functions")


def _method_text(name, fn):
    shown = _DUNDER_METHOD.get(name, name)
    if name in PY_METHODS or "." in shown or name.startswith("__") and name not in \
            _DUNDER_METHOD:
        return f"<function {shown if '.' in shown else 'Tensor.' + name} at {id(fn):#x}>"
    if shown == "<slot>":
        return f"<slot wrapper '{name}' of 'torch._C.TensorBase' objects>"
    return f"<method '{shown}' of 'torch._C.TensorBase' objects>"


def refusing(name, fn):
    """A stand-in for Tensor method `name` that raises torch's error."""
    def refuse(self, *args, **kwargs):
        raise use_error(type(self), torch_function(_method_text(name, fn)))
    refuse.__name__ = name
    return refuse


_CODES = {}


def _torch_codes():
    """{code object: [(namespace, name, function)]} of the functions torch dispatches on:
    ember's top-level functions, nn.functional's and the dispatching init functions (wrappers
    unwrapped). Closures made by one factory share a code object, hence the lists."""
    if not _CODES:
        import ember

        from . import functional, init
        spaces = (("init", init, _INIT_DISPATCHING), ("nn", functional, vars(functional)),
                  ("torch", ember, vars(ember)))
        for kind, space, names in spaces:
            for name in names:
                f = vars(space).get(name)
                while callable(f) and not isinstance(f, type) and not name.startswith("_"):
                    code = getattr(f, "__code__", None)
                    if code is not None and not (kind == "nn" and name in _F_NOT_DISPATCHING):
                        _CODES.setdefault(code, []).append((kind, name, f))
                    f = getattr(f, "__wrapped__", None)
    return _CODES


def _which(frame, candidates):
    """The candidate running in `frame`: the one whose closure holds the frame's free
    variables."""
    if len(candidates) > 1 and frame.f_code.co_freevars:
        free = [frame.f_locals.get(n) for n in frame.f_code.co_freevars]
        for kind, name, f in candidates:
            if [c.cell_contents for c in f.__closure__ or ()] == free:
                return kind, name
    return candidates[0][:2]


def _text(kind, name):
    if kind == "nn" and name in _NN_BUILTIN:
        return f"<built-in function {_NN_BUILTIN[name]}>"
    if kind == "torch" and name not in PY_FUNCTIONS or kind == "nn" and \
            name in _TORCH_BUILTIN_IN_F:
        return f"<built-in method {name} of type object at {id(Tensor):#x}>"
    space = sys.modules["ember" if kind == "torch" else f"ember.nn.{kind}".replace(
        ".nn.nn", ".nn.functional")]
    shown = _F_SHOWN.get(name, name) if kind == "nn" else name
    return f"<function {shown} at {id(getattr(space, name)):#x}>"


def _first_dispatch():
    """torch's text for the outermost function on the stack that torch dispatches on (the
    first torch function that saw the placeholder), and the outermost public function's name;
    only the stack below user code counts."""
    frame, codes, public = sys._getframe(2), _torch_codes(), []
    while frame is not None:
        m = frame.f_globals.get("__name__", "")
        if m != "ember" and not m.startswith("ember."):
            break
        code = frame.f_code
        # not the placeholder's own frames, private helpers, or the first-call stand-in of a
        # torch-keyword wrapper (ops/_util._lazy's "stub")
        if m not in (__name__, "ember.nn.parameter") and not code.co_name.startswith(
                ("_", "<")) and code.co_name != "stub":
            public.append(frame)
        frame = frame.f_back
    for i in range(len(public) - 1, -1, -1):
        candidates = codes.get(public[i].f_code)
        hit = None if candidates is None else _which(public[i], candidates)
        # torch's init functions reach the tensor through its methods, not through each other:
        # only the one user code called dispatches
        if hit is not None and (hit[0] != "init" or i == len(public) - 1):
            return _text(*hit), public[-1].f_code.co_name
    return None, public[-1].f_code.co_name if public else None


def torch_function(default):
    """What torch's error names: the torch function that dispatched on the placeholder, else
    `default` (the Tensor method used; None: the ember function reading the array)."""
    text, name = _first_dispatch()
    if text is not None:
        return text
    if default is None:
        return f"<built-in function {name}>"
    return default


def dispatched_use(cls):
    """torch's error when a torch function dispatched on a placeholder before anything read it,
    else None (then what the placeholder was asked for decides the error)."""
    text, _ = _first_dispatch()
    return None if text is None else use_error(cls, text)
