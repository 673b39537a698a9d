"""dtypes and torch's type promotion (never NumPy's).

A `dtype` wraps a NumPy dtype. Promotion follows torch: a lattice over bool < unsigned/signed
ints < floats, and three priority levels (dim > 0 tensors, 0-d tensors, Python scalars) where a
lower level only wins when its *category* is higher (see `_combine`). Python floats take the
default dtype, set by `set_default_dtype`.

bfloat16 is a real dtype whose arrays are `ml_dtypes.bfloat16` arrays (NumPy has no bfloat16).
ml_dtypes is an optional extra (`pip install ember[bf16]`): most ember programs never touch
bfloat16, NumPy is ember's only required dependency, and the dtype object itself (printing,
promotion, comparisons, `finfo`) needs no array type. So `ember.bfloat16` exists at
`import ember` without ml_dtypes, and ml_dtypes is imported the first time a bfloat16 array is
made or converted (`bfloat16.np`); without it that first use raises an ImportError naming the
extra. ml_dtypes' elementwise kernels compute in float32 and round once to nearest-even, as
torch's CPU kernels do for bfloat16.
"""

import numpy as np

__all__ = ["dtype", "get_default_dtype", "set_default_dtype", "promote_types", "can_cast"]

# the NumPy dtypes whose torch-order CPU kernels (sums, losses, pooling) ember reproduces bit for
# bit: modules test `array.dtype in F32_64` before taking those paths
F32_64 = (np.dtype(np.float32), np.dtype(np.float64))


class dtype:
    """A tensor element type; `repr` is torch's (`torch.float32`) so printed text matches."""

    __slots__ = ("name", "np", "itemsize", "is_floating_point", "is_complex", "is_signed",
                 "_rank", "_legacy", "_storage")

    def __init__(self, name, np_dtype, rank, legacy, storage, kind=None, itemsize=None):
        self.name = name
        if np_dtype is not None:  # None: bfloat16's, loaded on first use (see __getattr__)
            self.np = np.dtype(np_dtype)
            kind, itemsize = self.np.kind, self.np.itemsize
        self.itemsize = itemsize
        self.is_floating_point = kind == "f"
        self.is_complex = kind == "c"
        self.is_signed = kind in "fic"
        self._rank = rank
        self._legacy = legacy  # legacy tensor type name, e.g. 'FloatTensor'
        self._storage = storage  # torch storage class name, e.g. 'FloatStorage'

    def __repr__(self):
        return "torch." + self.name

    # A dtype is an immutable value, as torch's: each is one shared object, so a write to it (a
    # checkpoint's BUILD opcode, say) would change every tensor of that dtype.
    def __setattr__(self, name, value):
        if hasattr(self, "_storage"):  # set last by __init__
            _refuse_write(name)
        object.__setattr__(self, name, value)

    def __delattr__(self, name):
        _refuse_write(name)

    def __getattr__(self, name):  # only reached when the attribute does not exist
        if name == "np" and self.name == "bfloat16":
            return _load_bfloat16()
        raise AttributeError(f"'torch.dtype' object has no attribute '{name}'")

    def __reduce__(self):
        return (_dtype_by_name, (self.name,))

    def to_complex(self):
        return {"float32": complex64, "float64": complex128, "float16": complex64,
                "bfloat16": complex64}.get(self.name, self)

    def to_real(self):
        return {"complex64": float32, "complex128": float64}.get(self.name, self)

    @property
    def is_bool(self):
        return self.name == "bool"


def _refuse_write(name):
    if name in dtype.__slots__:
        raise AttributeError(f"attribute '{name}' of 'torch.dtype' objects is not writable")
    raise AttributeError(f"'torch.dtype' object has no attribute '{name}'")


bool_ = dtype("bool", np.bool_, 0, "BoolTensor", "BoolStorage")
uint8 = dtype("uint8", np.uint8, 1, "ByteTensor", "ByteStorage")
int8 = dtype("int8", np.int8, 2, "CharTensor", "CharStorage")
int16 = dtype("int16", np.int16, 3, "ShortTensor", "ShortStorage")
int32 = dtype("int32", np.int32, 4, "IntTensor", "IntStorage")
int64 = dtype("int64", np.int64, 5, "LongTensor", "LongStorage")
float16 = dtype("float16", np.float16, 6, "HalfTensor", "HalfStorage")
bfloat16 = dtype("bfloat16", None, 7, "BFloat16Tensor", "BFloat16Storage", kind="f", itemsize=2)
float32 = dtype("float32", np.float32, 8, "FloatTensor", "FloatStorage")
float64 = dtype("float64", np.float64, 9, "DoubleTensor", "DoubleStorage")
complex64 = dtype("complex64", np.complex64, 10, "ComplexFloatTensor", "ComplexFloatStorage")
complex128 = dtype("complex128", np.complex128, 11, "ComplexDoubleTensor",
                   "ComplexDoubleStorage")

ALL = (bool_, uint8, int8, int16, int32, int64, float16, bfloat16, float32, float64, complex64,
       complex128)
_BY_NP = {d.np: d for d in ALL if d is not bfloat16}  # bfloat16's joins when ml_dtypes loads
_BY_NAME = {d.name: d for d in ALL}
ALIASES = {"half": float16, "float": float32, "double": float64, "short": int16,
           "int": int32, "long": int64, "cfloat": complex64, "cdouble": complex128}


def _dtype_by_name(name):
    return _BY_NAME[name]


BF16_EXTRA = ("torch.bfloat16 tensors need the optional package ml_dtypes: "
              "pip install ember[bf16]")


def _load_bfloat16():
    """Imports ml_dtypes, makes its bfloat16 bfloat16's NumPy dtype, and returns it."""
    try:
        import ml_dtypes
    except ImportError:
        raise ImportError(BF16_EXTRA) from None
    np_dtype = np.dtype(ml_dtypes.bfloat16)
    object.__setattr__(bfloat16, "np", np_dtype)  # dtype refuses writes; this is its own field
    _BY_NP[np_dtype] = bfloat16
    import sys
    tensor_module = sys.modules.get(__package__ + "._tensor")
    if tensor_module is not None:  # torch's C++ type names, for its error messages
        tensor_module._CPP_NAMES[np_dtype] = "c10::BFloat16"
    LOW_PRECISION[0] = True
    return np_dtype


# True once bfloat16 arrays can exist: ops then run `low_precision_forward` (until then an op
# pays one list read for bfloat16)
LOW_PRECISION = [False]


def low_precision_forward(cls, ctx, arrays, kwargs):
    """An op's forward on bfloat16 arrays as torch's CPU kernels compute it: in float32, with
    one rounding of each floating output back to bfloat16. Ops given a dtype (casts, sum(dtype=)),
    ops that view their input (those with a view geometry, `_geom`, or `keeps_storage`) and ops
    whose torch kernel rounds each step to bfloat16 (`in_dtype`: index_put_'s accumulation)
    run on the arrays as given."""
    bf = bfloat16.np
    for a in arrays:  # a bfloat16 operand always comes as an array (a scalar joins one)
        if a.__class__ is _ndarray and a.dtype is bf:
            break
    else:
        return cls.forward(ctx, *arrays, **kwargs)
    if hasattr(cls, "_geom") or getattr(cls, "keeps_storage", False) or getattr(
            cls, "in_dtype", False) or any(
            isinstance(v, (dtype, np.dtype)) for v in (*arrays, *kwargs.values())):
        return cls.forward(ctx, *arrays, **kwargs)
    up = [a.astype(_F32) if getattr(a, "dtype", None) is bf else a for a in arrays]
    if "alpha" in kwargs and getattr(cls, "_alpha_in_dtype", False):  # add/sub's alpha: torch
        # casts it to bfloat16 for the forward
        kwargs = {**kwargs, "alpha_in_dtype": float(bf.type(kwargs["alpha"]))}
    out = cls.forward(ctx, *up, **kwargs)
    outs = out if out.__class__ is tuple else (out,)
    copies = [u for u, a in zip(up, arrays) if u is not a]
    if any(isinstance(o, np.ndarray) and np.may_share_memory(o, u) for o in outs for u in copies):
        return cls.forward(ctx, *arrays, **kwargs)  # a view (split, unbind): of the input itself
    if out.__class__ is tuple:
        return tuple(_round_bf16(o) for o in out)
    return _round_bf16(out)


def float32_tensors(tensors, half=False):
    """`tensors` (a sequence) with each bfloat16 Tensor (and float16 one, with `half`) as
    float32, so that a backward computes in float32 as torch's backward kernels do (the engine
    rounds each input's gradient to its dtype); `tensors` itself when there is none."""
    low = (bfloat16, float16) if half else (bfloat16,)
    for t in tensors:
        if t is not None and getattr(t, "dtype", None) in low:
            break
    else:
        return tensors
    return [t.float() if getattr(t, "dtype", None) in low else t for t in tensors]


def _round_bf16(a):
    if isinstance(a, (np.ndarray, np.generic)) and a.dtype == _F32:
        return a.astype(bfloat16.np)
    return a


_F32 = np.dtype(np.float32)
_F64 = np.dtype(np.float64)
_ndarray = np.ndarray


def cast_array(a, dt):
    """`a.astype(dt.np)` with torch's conversions for the 16-bit floats: to bfloat16 or float16
    from anything but float32 through float32 (torch rounds a double or an integer to float
    first: two roundings), and from bfloat16 to anything but a float32/float64 through float32
    (an integer is then truncated from the float, as torch's is)."""
    to = dt.np
    src = a.dtype
    if src == to:
        return a.copy()
    if ((dt is bfloat16 or dt is float16) and src != _F32) or (
            src.kind == "V" and _BY_NP.get(src) is bfloat16 and to != _F32 and to != _F64):
        a = a.astype(_F32)
    return a.astype(to)


def has_bfloat16():
    """Whether bfloat16 arrays can be made (ml_dtypes is installed)."""
    try:
        bfloat16.np
    except ImportError:
        return False
    return True


def from_numpy_dtype(np_dtype):
    """The dtype of a user's NumPy array (torch converts none of ml_dtypes' types)."""
    try:
        d = _BY_NP[np_dtype]
    except KeyError:
        d = _BY_NP.get(np.dtype(np_dtype))
    if d is None or d is bfloat16:
        t = np.dtype(np_dtype).type  # torch names the scalar type: numpy.str_, ml_dtypes.bfloat16
        name = f"{'numpy' if t.__module__ == 'numpy' else t.__module__}.{t.__name__}"
        raise TypeError(
            f"can't convert np.ndarray of type {name}. The only "
            "supported types are: float64, float32, float16, complex64, complex128, int64, "
            "int32, int16, int8, uint64, uint32, uint16, uint8, and bool.") from None
    return d


_default = [float32]


def get_default_dtype():
    return _default[0]


def set_default_dtype(d):
    if d not in (float16, bfloat16, float32, float64):
        raise TypeError("only floating-point types are supported as the default type")
    _default[0] = d


def _category(d):
    return 3 if d.is_complex else 2 if d.is_floating_point else 0 if d is bool_ else 1


def _promote_pair(a, b):
    if a is b:
        return a
    ca, cb = _category(a), _category(b)
    if ca != cb:
        hi, lo = (a, b) if ca > cb else (b, a)
        if hi.is_complex and lo.is_floating_point and lo is float64:
            return complex128
        return hi
    if ca == 2 and {a, b} == {float16, bfloat16}:  # neither holds the other
        return float32
    if ca == 1:
        # uint8 with a signed int: the smallest signed type that holds both
        if a is uint8 or b is uint8:
            other = b if a is uint8 else a
            return int16 if other is int8 else other
    return a if a._rank > b._rank else b


_TABLE = {(a, b): _promote_pair(a, b) for a in ALL for b in ALL}


def promote_types(type1, type2):
    """Matches torch.promote_types."""
    return _TABLE[type1, type2]


def can_cast(from_, to):
    """Matches torch.can_cast: no cast to a lower category."""
    return _category(from_) <= _category(to)


def _combine(higher, lower):
    """torch's combine_categories: `lower` only counts when its category is higher."""
    if higher is None:
        return lower
    if lower is None:
        return higher
    if higher.is_complex:
        return higher
    if lower.is_complex:  # torch keeps a float's width: float32 with complex128 -> complex64
        return higher.to_complex() if higher.is_floating_point else lower
    if higher.is_floating_point:
        return higher
    if higher is bool_ or lower.is_floating_point or lower.is_complex:
        return _TABLE[higher, lower]
    return higher


def scalar_dtype(v):
    """The dtype a Python scalar stands for when it takes part in promotion."""
    if isinstance(v, bool):
        return bool_
    if isinstance(v, int):
        return int64
    if isinstance(v, complex):
        if _default[0] is bfloat16:
            raise RuntimeError("invalid default scalar type for complex")
        return complex128 if _default[0] is float64 else complex64
    return _default[0]


def result_type_of(dim_types, zero_types, scalar_types):
    """Promotes three priority levels as torch's ResultTypeState does."""
    levels = []
    for group in (dim_types, zero_types, scalar_types):
        r = None
        for d in group:
            r = d if r is None else _TABLE[r, d]
        levels.append(r)
    return _combine(levels[0], _combine(levels[1], levels[2]))


class memory_format:
    """Matches torch.memory_format. clone and *_like keep a dense input's strides unless given
    contiguous_format; channels_last is accepted and ignored."""

    def __init__(self, name):
        self._name = name

    def __repr__(self):
        return "torch." + self._name


contiguous_format = memory_format("contiguous_format")
preserve_format = memory_format("preserve_format")
channels_last = memory_format("channels_last")
channels_last_3d = memory_format("channels_last_3d")


class layout:
    """Matches torch.layout: `strided` for dense tensors, `sparse_coo` (ember._sparse)."""

    __slots__ = ("_name",)

    def __init__(self, name):
        self._name = name

    def __repr__(self):
        return "torch." + self._name

    def __reduce__(self):
        return (_layout_by_name, (self._name,))


def _layout_by_name(name):
    return strided if name == "strided" else sparse_coo


strided = layout("strided")
sparse_coo = layout("sparse_coo")
