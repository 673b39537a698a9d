"""Argument plumbing shared by the op families: operand promotion, dims, sizes, keyword spellings.

Tensor methods are bound in one place, ember/_tensor_methods.py.
"""

import numbers
import sys

import numpy as np

from .. import _dtype as D
from .._args import unsupported
from .._tensor import Tensor, _dim, _wrap

_SCALARS = (bool, int, float, complex, np.generic)
_ndarray = np.ndarray


_CHECKED_NAMES = {"uint8": "uint8_t", "int8": "int8_t", "int16": "int16_t", "int32": "int",
                  "int64": "int64_t", "float32": "float", "float64": "double",
                  "float16": "c10::Half",
                  "bfloat16": "c10::BFloat16"}
_FLOAT_MAX = {"float32": 3.4028234663852886e38, "float16": 65504.0,
              "bfloat16": 3.3895313892515355e38}


def checked(v, dt, opmath=False):
    """A Python number `v` as torch's checked conversion (c10::checked_convert) takes it into
    dtype `dt`: RuntimeError where it does not fit (a finite number beyond a float type's
    largest; float64 and bool take anything). An integer for an unsigned type may be negative
    down to -max and wraps as C++'s does (uint8 -1 is 255). Returns the number to store.
    `opmath`: the op reads a float16 / bfloat16 tensor's number as float (where, addcmul,
    lerp, threshold), so only float's range is checked (1e5 then rounds to inf)."""
    if isinstance(v, complex) and not (dt.is_complex or dt is D.bool_):
        if v.imag:  # torch converts through double: the half types name it
            name = "double" if dt is D.float16 or dt is D.bfloat16 else _CHECKED_NAMES[dt.name]
            raise RuntimeError(f"value cannot be converted to type {name} without overflow")
        v = v.real
    if opmath and (dt is D.float16 or dt is D.bfloat16):
        dt = D.float32
    if dt.is_floating_point:
        top = _FLOAT_MAX.get(dt.name)
        if top is not None and not isinstance(v, complex) and top < abs(v) < _INF:
            raise _overflow(dt)
        return v
    if dt is D.bool_ or dt.is_complex or isinstance(v, (bool, np.bool_, complex)):
        return v
    info = np.iinfo(dt.np)
    if isinstance(v, (float, np.floating)):
        if not info.min <= v <= info.max:  # (NaN too)
            raise _overflow(dt)
        return v
    v = int(v)
    if not (info.min or -info.max) <= v <= info.max:
        raise _overflow(dt)
    return v + info.max + 1 if v < 0 and not info.min else v


_INF = float("inf")


def _overflow(dt):
    return RuntimeError(f"value cannot be converted to type {_CHECKED_NAMES[dt.name]} without "
                        "overflow")


def scalar_type(v):
    if isinstance(v, np.generic):
        v = v.item()
    return D.scalar_dtype(v)


def result_type(*args):
    dims, zeros, scalars = [], [], []
    for a in args:
        if isinstance(a, Tensor):
            (dims if a._data.ndim else zeros).append(a.dtype)
        elif isinstance(a, _SCALARS):
            scalars.append(scalar_type(a))
        elif isinstance(a, D.dtype):
            dims.append(a)
        else:
            raise TypeError(f"result_type(): argument of unsupported type {type(a).__name__}")
    return D.result_type_of(dims, zeros, scalars)


def operand(a, dt, like=None):
    """`a` (Tensor or scalar) as an array or NumPy scalar of dtype `dt`."""
    if isinstance(a, Tensor):
        x = a._data
        return x if x.dtype is dt.np or x.dtype == dt.np else D.cast_array(x, dt)
    if isinstance(a, np.generic):
        a = a.item()
    if dt is D.bfloat16 and not isinstance(a, complex):
        a = np.float32(a)  # torch rounds a scalar to float first, then to bfloat16
    try:
        return dt.np.type(a)
    except OverflowError:
        return np.array(a).astype(dt.np)[()]
    except TypeError:
        if isinstance(a, complex):
            raise RuntimeError(
                f"value cannot be converted to type {dt.name} without overflow") from None
        raise


def opmath_scalar(a, x, other):
    """A Python number or 0-d tensor `a` as the float32 value torch's bfloat16 kernels for mul
    and div read it as (not first rounded to bfloat16) when the `other` operand is an array of
    dim > 0; `x` (its operand) otherwise."""
    if other.__class__ is not _ndarray or not other.ndim:
        return x
    if isinstance(a, Tensor):
        if a._data.ndim or a.dtype.is_complex or a._data.__class__ is not _ndarray:
            return x
        a = a._data[()]
    elif isinstance(a, complex) or not isinstance(a, _SCALARS):
        return x
    return np.float32(a)


def as_tensor_arg(a, name="other"):
    if isinstance(a, Tensor):
        return a
    if isinstance(a, _SCALARS):
        return a
    if isinstance(a, (list, tuple)) or isinstance(a, _ndarray):
        from .creation import tensor
        return tensor(a)
    raise TypeError(f"unsupported operand type: {type(a).__name__}")


def broadcast_error(a, b):
    sa, sb = list(np.shape(a)), list(np.shape(b))
    n = max(len(sa), len(sb))
    sa, sb = [1] * (n - len(sa)) + sa, [1] * (n - len(sb)) + sb
    for i in range(n - 1, -1, -1):
        if sa[i] != sb[i] and sa[i] != 1 and sb[i] != 1:
            return RuntimeError(f"The size of tensor a ({sa[i]}) must match the size of tensor b "
                                f"({sb[i]}) at non-singleton dimension {i}")
    return RuntimeError("shapes cannot be broadcast")


def dims(dim, ndim):
    """Normalises an int / tuple / None dim argument to a sorted tuple of axes (None: all)."""
    if dim is None:
        return None
    if isinstance(dim, numbers.Integral):
        return (_dim(dim, ndim),)
    out = tuple(sorted(_dim(d, ndim) for d in dim))
    if len(set(out)) != len(out):
        raise RuntimeError(f"dim {out[0]} appears multiple times in the list of dims")
    return out


def size_args(size):
    """zeros(2, 3), zeros((2, 3)), zeros([2, 3]), zeros(Size) -> (2, 3)."""
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = size[0]
    out = []
    for s in size:
        if isinstance(s, Tensor):
            s = int(s)
        if not isinstance(s, numbers.Integral):
            raise TypeError(f"empty(): argument 'size' must be tuple of ints, but found element "
                            f"of type {type(s).__name__} at pos {len(out)}")
        out.append(int(s))
    for s in out:
        if s < 0:
            raise RuntimeError(f"Trying to create tensor with negative dimension {s}: {out}")
    return tuple(out)


def wrap(a):
    return _wrap(a)


def xp_of(t):
    return np if t._data.__class__ is _ndarray else t.device.xp


_PIN = ("pin_memory=True requires a CUDA or other accelerator backend; no pinned memory allocator "
        "is available on this system.")


def check_factory(api, layout=None, pin_memory=False):
    """A factory's layout= (strided only: others are refused) and pin_memory= (page-locking
    only speeds host-to-GPU copies, so it is honoured as a no-op where a GPU exists and refused
    with torch's error where none does). Call it only when either is given."""
    if layout is not None and layout is not D.strided:
        unsupported(api, "layout", layout)
    if pin_memory:
        from .._device import cuda_available
        if not cuda_available():
            raise RuntimeError(_PIN)


# ---------------------------------------------------------------- torch's keyword spellings
# torch's argument parser also accepts NumPy's names for four parameters (python_arg_parser.cpp,
# numpy_compatibility_arg_names) and a variadic size given by keyword under its own name:
# `x.sum(axis=1, keepdims=True)`, `torch.add(x1=a, x2=b)`, `torch.zeros(size=(2, 3))`,
# `x.view(size=(3, 2))`. `install_torch_args` gives ember's public functions and Tensor methods
# the same, once, at import: each function with such a parameter gets a wrapper (`torch_args`)
# with the function's own signature plus `**kw`, built on its first call, that forwards
# positionally and translates only when a keyword the function does not spell arrives. Python
# operators stay unwrapped, ember's own code calls the unwrapped functions, and a hot function
# may spell the aliases itself (reduce.sum's `axis`, `keepdims`) to skip the wrapper.
NUMPY_NAMES = _NUMPY_NAMES = {"dim": ("axis",), "keepdim": ("keepdims",),
                              "input": ("x", "a", "x1"), "other": ("x2",)}
_VARARG_NAMES = {
    "size": ("zeros", "ones", "empty", "rand", "randn", "view", "expand", "new_zeros", "new_ones",
             "new_empty", "broadcast_to", "resize_", "sum_to_size"),
    "shape": ("reshape",), "dims": ("permute", "flip", "tile"), "repeats": ("repeat",)}
_VARARG_NAME = {fn: kw for kw, fns in _VARARG_NAMES.items() for fn in fns}
# torch writes these in Python (torch/functional.py, torch/_tensor.py): its parser never sees
# their arguments, so torch refuses the NumPy spellings there, and so does ember
PY_FUNCTIONS = frozenset((
    "atleast_1d", "atleast_2d", "atleast_3d", "block_diag", "broadcast_shapes",
    "broadcast_tensors", "cartesian_prod", "cdist", "chain_matmul", "einsum", "lu",
    "pca_lowrank", "svd_lowrank", "unravel_index", "load", "save", "vmap",
    "meshgrid", "norm", "split", "stft", "tensordot", "unique", "unique_consecutive", "compile",
    "get_rng_state", "initial_seed", "is_tensor", "manual_seed", "seed", "set_default_dtype",
    "set_default_tensor_type", "set_printoptions", "set_rng_state",
    "use_deterministic_algorithms", "are_deterministic_algorithms_enabled",
    "is_deterministic_algorithms_warn_only_enabled", "get_default_device", "set_default_device",
    "get_device_module", "set_float32_matmul_precision", "get_float32_matmul_precision"))
PY_METHODS = frozenset((
    "backward", "is_shared", "istft", "lu", "norm", "register_hook",
    "register_post_accumulate_grad_hook", "resize_as", "share_memory_", "split", "stft",
    "unflatten", "unique", "unique_consecutive"))
_ALIASABLE = frozenset(_NUMPY_NAMES)
_CO_VARARGS = 0x04


def numpy_dims(name, dim, keepdim, axis, keepdims):
    """For a function spelling `axis`/`keepdims` itself: torch's parser's reading of them."""
    if axis is not None:
        if dim is not None:
            raise TypeError(f"{name}() got an unexpected keyword argument 'axis'")
        dim = axis
    if keepdims is not None:
        if keepdim:
            raise TypeError(f"{name}() got an unexpected keyword argument 'keepdims'")
        keepdim = keepdims
    return dim, keepdim


def user_stacklevel():
    """warnings.warn's stacklevel naming the first caller outside ember (torch_args wrappers
    included), so a warning points at the user's line however the op was reached."""
    f, level = sys._getframe(2), 2
    while f is not None and f.f_globals.get("__name__", "").startswith("ember."):
        f, level = f.f_back, level + 1
    return level


def _aliases(names, var, name, is_method):
    """{alias: parameter} the function does not spell itself, and its variadic keyword."""
    own = names[1:] if is_method else names
    aliases = {a: p for p in own for a in _NUMPY_NAMES.get(p, ()) if a not in names}
    var_kw = _VARARG_NAME.get(name) if var else None
    return aliases, (var_kw if var_kw not in names else None)


def _code_names(fn):
    code = getattr(fn, "__wrapped__", fn).__code__
    names = code.co_varnames[:code.co_argcount + code.co_kwonlyargcount]
    return names, bool(code.co_flags & _CO_VARARGS)


class _Required:
    __slots__ = ()

    def __repr__(self):
        return "<required>"


_REQUIRED = _Required()


class _Spec:
    __slots__ = ("fn", "name", "positional", "kwonly", "defaults", "aliases", "var", "var_kw",
                 "varkw")


def torch_args(fn, name=None, is_method=False):
    """`fn` also taking torch's keyword spellings: the NumPy aliases of its dim / keepdim /
    input / other parameters and its variadic size by keyword; `fn` itself when it has none."""
    import inspect
    name = name or fn.__name__
    try:
        params = list(inspect.signature(fn).parameters.values())
    except (TypeError, ValueError):
        return fn
    if any(p.kind is p.POSITIONAL_ONLY for p in params):
        return fn
    spec = _Spec()
    spec.fn, spec.name = fn, name
    spec.positional = [p.name for p in params if p.kind is p.POSITIONAL_OR_KEYWORD]
    spec.kwonly = [p.name for p in params if p.kind is p.KEYWORD_ONLY]
    spec.defaults = {p.name: p.default for p in params if p.default is not p.empty}
    spec.var = next((p.name for p in params if p.kind is p.VAR_POSITIONAL), None)
    spec.varkw = any(p.kind is p.VAR_KEYWORD for p in params)
    spec.aliases, spec.var_kw = _aliases(spec.positional + spec.kwonly, spec.var, name,
                                         is_method)
    if not spec.aliases and spec.var_kw is None:
        return fn
    return _generate(spec, is_method)


def _generate(spec, is_method):
    """The wrapper: fn's own signature plus **kw, forwarding positionally."""
    sig, fwd, checks, optional = [], [], [], False
    for i, p in enumerate(spec.positional):
        if p in spec.defaults:
            sig.append(f"{p}=_d[{p!r}]")
            optional = True
        elif (p in spec.aliases.values() and not (is_method and i == 0)) or optional:
            sig.append(f"{p}=_R")  # may arrive under an alias: checked in the slow path
            checks.append(f" or {p} is _R")
            optional = True
        else:
            sig.append(p)
        fwd.append(p)
    if spec.var is not None:
        sig.append("*" + spec.var)
        fwd.append("*" + spec.var)
    elif spec.kwonly:
        sig.append("*")
    for p in spec.kwonly:
        sig.append(f"{p}=_d[{p!r}]" if p in spec.defaults else p)
        fwd.append(f"{p}={p}")
    if spec.varkw:  # fn takes **kw itself: only the spellings it lacks go the slow way
        test, fwd = "_kw and not _keys.isdisjoint(_kw)", fwd + ["**_kw"]
    else:
        test = "_kw"
    names = spec.positional + spec.kwonly
    src = (f"def {spec.name}({', '.join(sig + ['**_kw'])}):\n"
           f"    if {test}{''.join(checks)}:\n"
           f"        return _slow(_s, ({', '.join(names + [''])}), {spec.var or '()'}, _kw)\n"
           f"    return _fn({', '.join(fwd)})\n")
    env = {"_d": spec.defaults, "_R": _REQUIRED, "_slow": _slow, "_s": spec, "_fn": spec.fn,
           "_keys": frozenset(spec.aliases) | {spec.var_kw}, "__name__": "ember._torch_args"}
    exec(compile(src, f"<torch_args {spec.name}>", "exec"), env)
    return _like(env[spec.name], spec.fn)


def _like(w, fn):
    w.__wrapped__, w.__doc__, w.__module__ = fn, fn.__doc__, fn.__module__
    w.__name__, w.__qualname__ = fn.__name__, fn.__qualname__
    return w


def _slow(spec, values, var, kw):
    """A call with keywords the function does not spell: translated as torch's parser does."""
    vals = dict(zip(spec.positional + spec.kwonly, values))
    for k in list(kw):
        target = spec.aliases.get(k)
        if target is not None:
            v = vals[target]
            if v is not _REQUIRED and v is not spec.defaults.get(target, _REQUIRED):
                raise TypeError(f"{spec.name}() got an unexpected keyword argument '{k}'")
            vals[target] = kw.pop(k)
        elif k == spec.var_kw:
            if var:
                raise TypeError(f"{spec.name}() got multiple values for argument '{k}'")
            v = kw.pop(k)
            if not isinstance(v, (tuple, list)):
                raise TypeError(f"{spec.name}(): argument '{k}' must be tuple of ints, not "
                                f"{type(v).__name__}")
            var = (v,)
    if kw and not spec.varkw:
        raise TypeError(f"{spec.name}() got an unexpected keyword argument '{next(iter(kw))}'")
    missing = [p for p in spec.positional if vals[p] is _REQUIRED]
    if missing:
        raise TypeError(f"{spec.name}() missing {len(missing)} required positional argument"
                        f"{'s' if len(missing) > 1 else ''}: "
                        f"{', '.join(repr(p) for p in missing)}")
    return spec.fn(*[vals[p] for p in spec.positional], *var,
                   **{p: vals[p] for p in spec.kwonly}, **kw)


def _lazy(fn, name, is_method, put, module, qualname):
    """A stand-in that builds fn's torch_args wrapper on its first call and puts it in place.
    Both are named where they are found (`ember.add`, `ember._tensor.Tensor.add`), so pickle
    finds the object in place."""
    built = []

    def stub(*args, **kw):
        if not built:
            w = torch_args(fn, name, is_method)
            if w is not fn:
                w.__module__, w.__qualname__ = module, qualname
            built.append(w)
            put(w, stub)
        return built[0](*args, **kw)
    stub = _like(stub, fn)
    stub.__module__, stub.__qualname__ = module, qualname
    return stub


def install_torch_args(namespace, cls=Tensor):
    """Gives the public functions in `namespace` and the methods of `cls` torch's keyword
    spellings (`torch_args`), except those torch itself writes in Python. Costs ~1 us a function
    at import: each wrapper is built on the function's first call."""
    import types

    def needs(v, name, is_method):  # a quick look: torch_args decides exactly, later
        if v.__class__ is not types.FunctionType:
            return False
        names, var = _code_names(v)
        return not _ALIASABLE.isdisjoint(names[is_method:]) or var and name in _VARARG_NAME

    for name, v in list(namespace.items()):
        if name[:1] != "_" and name not in PY_FUNCTIONS and needs(v, name, False) and \
                (v.__module__ or "").startswith("ember"):
            def put(w, stub, name=name):
                if namespace.get(name) is stub:
                    namespace[name] = w
            namespace[name] = _lazy(v, name, False, put, namespace.get("__name__", v.__module__),
                                    name)
    for name, v in list(vars(cls).items()):
        if name[:2] != "__" and name not in PY_METHODS and needs(v, name, True):
            def put(w, stub, name=name):
                if vars(cls).get(name) is stub:
                    setattr(cls, name, w)
            setattr(cls, name, _lazy(v, name, True, put, cls.__module__,
                                     f"{cls.__qualname__}.{name}"))


# ---------------------------------------------------------------- NumPy-only kernels on a device
def on_device(*tensors):
    """The device of the first tensor among `tensors` whose data is a device (CuPy) array."""
    for t in tensors:
        if isinstance(t, Tensor) and not isinstance(t._data, np.ndarray) and not t.is_sparse:
            return t.device
    return None


def on_host(dev, fn, *args, **kwargs):
    """fn(*args, **kwargs) with the device tensors among the arguments copied to the host and
    its tensor results copied back to `dev` (autograd flows through the copies): the one path
    of the few ops whose kernels are NumPy-only (unique, searchsorted, mode, quantile)."""
    def down(a):
        return a.cpu() if isinstance(a, Tensor) and a.device == dev else a
    return _to_dev(fn(*[down(a) for a in args], **{k: down(v) for k, v in kwargs.items()}), dev)


def _to_dev(r, dev):
    if isinstance(r, Tensor):
        return r.to(dev)
    if isinstance(r, tuple):
        items = [_to_dev(v, dev) for v in r]
        return type(r)(*items) if hasattr(r, "_fields") else type(r)(items)
    return r


# ---------------------------------------------------------------- complex inputs torch refuses
_KERNEL = '"{}" not implemented for \'{}\''
_NO_COMPLEX = {  # name -> (exception, message or kernel name)
    "sort": (RuntimeError, " Sort does not support complex dtypes on CPU"),
    "topk": (RuntimeError, " topk does not support complex dtypes on CPU"),
    "argmax": (RuntimeError, "argmax(): does not support complex input"),
    "argmin": (RuntimeError, "argmin(): does not support complex input"),
    "max_dim": (RuntimeError, "max(): does not support complex input"),
    "min_dim": (RuntimeError, "min(): does not support complex input"),
    "nansum": (RuntimeError, "nansum on CPU does not support complex inputs"),
    **{k: (NotImplementedError, k) for k in (
        "max_all", "min_all", "max_values_cpu", "min_values_cpu", "aminmax_cpu", "cummax_cpu",
        "cummin_cpu", "median_cpu", "median_out", "kthvalue_cpu", "mode_cpu", "unique",
        "searchsorted_out_cpu")},
}


def no_complex(t, name):
    """torch's error for a complex tensor where its kernel has none (ember's NumPy would order
    complex numbers lexicographically)."""
    if t.dtype.is_complex:
        exc, msg = _NO_COMPLEX[name]
        if exc is NotImplementedError:
            msg = _KERNEL.format(msg, t.dtype._legacy[:-6])
        raise exc(msg)
