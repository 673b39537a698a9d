"""torch._foreach_*: an op applied to each tensor of a list (torch 2.13's 91 functions).

On CPU torch runs these through its per-tensor "slow path": each result is exactly the plain
op's, with its dtype promotion, errors and autograd. ember does the same, one loop per op over
ember's own functions, from the tables below. Argument parsing (overloads, errors) is torch's,
through ops/_parser.py; out-of-place forms return a tuple, in-place forms return `self` itself.
"""

from .._dtype import promote_types
from .._tensor import Tensor
from . import _parser as P

__all__ = []

_TL, _SL, _NUM = "tuple of Tensors", "tuple of Scalars", "Number"


def _is_scalar(v):
    import numpy as np
    return isinstance(v, (int, float, complex, np.number)) and not isinstance(v, np.bool_) \
        or isinstance(v, np.bool_)


def _is_number(v):
    """torch's Scalar parameter: a Python/NumPy number, or a 0-dim tensor without grad."""
    return _is_scalar(v) or isinstance(v, Tensor) and v.dim() == 0 and not v.requires_grad


def _is_scalar_list(v):
    return isinstance(v, (list, tuple)) and all(_is_scalar(x) for x in v)


P._CHECKS.setdefault(_NUM, _is_number)
P._CHECKS.setdefault(_SL, _is_scalar_list)
P._CHECKS.setdefault(_TL, lambda v: isinstance(v, (list, tuple)))


def _tensor_list_check(argnum):
    """torch's TensorList parameter: a list or tuple whose every element must be a Tensor, or
    torch's TypeError at once (no further overload is tried)."""
    def check(v):
        if not isinstance(v, (list, tuple)):
            return False
        for i, x in enumerate(v):
            if not isinstance(x, Tensor):
                raise TypeError(f"expected Tensor as element {i} in argument {argnum}, but got "
                                f"{P._tp_name(x)}")
        return True
    return check


class _ForeachParser(P._Parser):
    @property
    def sigs(self):
        if self._sigs is None:
            sigs = [P._Sig(self.name, s) for s in self._texts]
            for sig in sigs:
                for i, p in enumerate(sig.params):
                    if p.type == _TL:
                        p.check = _tensor_list_check(i)
            self._sigs = sigs
        return self._sigs


def _num(v):
    return v.item() if isinstance(v, Tensor) else v


def _nonempty(self):
    if not self:
        raise RuntimeError("Tensor list must have at least one tensor.")


def _same_len(self, other):
    if len(self) != len(other):
        raise RuntimeError(f"Tensor lists must have the same number of tensors, got "
                           f"{len(self)} and {len(other)}")


def _scalars_len(self, scalars):
    if len(self) != len(scalars):
        raise RuntimeError("Tensor list must have same number of elements as scalar list.")


def _packed(scalars, n):
    """A 1-D tensor of scalars (addcmul/addcdiv's `Tensor scalars`) as a list of numbers."""
    if scalars.dim() != 1:
        raise RuntimeError(f"Expected packed scalar Tensor to be of dimension 1. Got "
                           f"{scalars.dim()} instead.")
    if scalars.numel() != n:
        raise RuntimeError(f"Expected length of scalars to match input of length {n} but got "
                           f"{scalars.numel()} instead.")
    return scalars.tolist()


def _E():
    import ember
    return ember


def _done(self, results, inplace):
    return self if inplace else tuple(results)


# --- unary: each tensor through ember.<op> (or Tensor.<op>_ in place) ---------------------

_UNARY = ("abs acos asin atan ceil cos cosh erf erfc exp expm1 floor frac lgamma log log10 "
          "log1p log2 neg reciprocal round rsqrt sigmoid sign sin sinh sqrt tan tanh "
          "trunc").split()


def _make_unary(op, inplace):
    name = f"_foreach_{op}{'_' if inplace else ''}"
    parser = _ForeachParser(name, f"{_TL} self")

    def f(*args, **kwargs):
        self = parser.parse(args, kwargs)[1]["self"]
        _nonempty(self)
        if inplace:
            for x in self:
                getattr(x, op + "_")()
            return self
        fn = getattr(_E(), op)
        return tuple(fn(x) for x in self)
    f.__name__ = f.__qualname__ = name
    return f


# --- binary: (scalar | scalar list | scalar tensor | tensor list) --------------------------

_ADD_SIGS = (f"{_TL} self, {_NUM} scalar", f"{_TL} self, {_SL} scalars",
             f"{_TL} self, Tensor other, *, {_NUM} alpha = 1",
             f"{_TL} self, {_TL} other, *, {_NUM} alpha = 1")
_MUL_SIGS = (f"{_TL} self, {_SL} scalars", f"{_TL} self, Tensor other",
             f"{_TL} self, {_TL} other", f"{_TL} self, {_NUM} scalar")
_CLAMP_SIGS = (f"{_TL} self, {_NUM} scalar", f"{_TL} self, {_SL} scalars",
               f"{_TL} self, {_TL} other")
_SUB_SIGS = (f"{_TL} self, {_NUM} scalar", f"{_TL} self, {_SL} scalars",
             f"{_TL} self, {_TL} other, *, {_NUM} alpha = 1")
_POW_SIGS = (f"{_TL} self, {_NUM} exponent", f"{_TL} self, {_SL} exponent",
             f"{_TL} self, {_TL} exponent")
# name -> (overloads, out-of-place function name, in-place method name, takes alpha)
_BINARY = {
    "add": (_ADD_SIGS, "add", "add_", True), "sub": (_SUB_SIGS, "sub", "sub_", True),
    "mul": (_MUL_SIGS, "mul", "mul_", False), "div": (_MUL_SIGS, "div", "div_", False),
    "clamp_min": (_CLAMP_SIGS, "clamp_min", "clamp_min_", False),
    "clamp_max": (_CLAMP_SIGS, "clamp_max", "clamp_max_", False),
    "maximum": (_CLAMP_SIGS, "maximum", None, False),
    "minimum": (_CLAMP_SIGS, "minimum", None, False),
    "pow": (_POW_SIGS, "pow", "pow_", False),
}


def _scalar_tensor(other):
    if other.dim() != 0:
        raise RuntimeError(f"scalar tensor expected to be 0 dim but it has {other.dim()} "
                           f"dimensions and {other.numel()} elements.")
    return other


def _binary_one(op, method, x, o, alpha, inplace):
    E = _E()
    if op in ("maximum", "minimum"):
        if not isinstance(o, Tensor):  # torch clamps for a scalar bound
            fn = "clamp_min" if op == "maximum" else "clamp_max"
            return getattr(x, fn + "_")(o) if inplace else getattr(E, fn)(x, o)
        r = getattr(E, op)(x, o)
        return x.copy_(r) if inplace else r
    kw = {"alpha": alpha} if alpha is not None and alpha != 1 else {}
    return getattr(x, method)(o, **kw) if inplace else getattr(E, op)(x, o, **kw)


def _make_binary(op, inplace):
    sigs, _, method, has_alpha = _BINARY[op]
    name = f"_foreach_{op}{'_' if inplace else ''}"
    if op == "pow" and not inplace:
        sigs = (f"{_NUM} self, {_TL} exponent",) + sigs
    parser = _ForeachParser(name, *sigs)

    def f(*args, **kwargs):
        _, a = parser.parse(args, kwargs)
        self, alpha = a["self"], a.get("alpha")
        other = next(a[k] for k in ("scalar", "scalars", "other", "exponent") if k in a)
        if not isinstance(self, (list, tuple)):  # pow(Number self, tuple of Tensors exponent)
            _nonempty(other)
            E = _E()
            return tuple(E.pow(_num(self), e) for e in other)
        _nonempty(self)
        if isinstance(other, (list, tuple)):
            if other and isinstance(other[0], Tensor) or not other and "other" in a:
                _same_len(self, other)
            else:
                _scalars_len(self, other)
            pairs = zip(self, other)
        elif isinstance(other, Tensor) and "other" in a:
            o = _scalar_tensor(other)
            pairs = ((x, o) for x in self)
        else:
            o = _num(other)
            pairs = ((x, o) for x in self)
        alpha = _num(alpha) if has_alpha else None
        results = [_binary_one(op, method, x, o, alpha, inplace) for x, o in pairs]
        return _done(self, results, inplace)
    f.__name__ = f.__qualname__ = name
    return f


# --- addcmul / addcdiv / lerp ----------------------------------------------------------------

_ADDC_SIGS = (f"{_TL} self, {_TL} tensor1, {_TL} tensor2, {_SL} scalars",
              f"{_TL} self, {_TL} tensor1, {_TL} tensor2, Tensor scalars",
              f"{_TL} self, {_TL} tensor1, {_TL} tensor2, {_NUM} value = 1")
_LERP_SIGS = (f"{_TL} self, {_TL} tensors1, {_NUM} weight",
              f"{_TL} self, {_TL} tensors1, {_SL} weight",
              f"{_TL} self, {_TL} tensors1, {_TL} weights")


def _make_addc(op, inplace):
    name = f"_foreach_{op}{'_' if inplace else ''}"
    parser = _ForeachParser(name, *_ADDC_SIGS)

    def f(*args, **kwargs):
        _, a = parser.parse(args, kwargs)
        self, t1, t2 = a["self"], a["tensor1"], a["tensor2"]
        _nonempty(self)
        _same_len(self, t1)
        _same_len(self, t2)
        if "scalars" in a:
            s = a["scalars"]
            values = _packed(s, len(self)) if isinstance(s, Tensor) else s
            if not isinstance(s, Tensor):
                _scalars_len(self, values)
        else:
            values = [_num(a["value"])] * len(self)
        E = _E()
        results = [getattr(x, op + "_")(u, v, value=w) if inplace else
                   getattr(E, op)(x, u, v, value=w)
                   for x, u, v, w in zip(self, t1, t2, values)]
        return _done(self, results, inplace)
    f.__name__ = f.__qualname__ = name
    return f


def _make_lerp(inplace):
    name = f"_foreach_lerp{'_' if inplace else ''}"
    parser = _ForeachParser(name, *_LERP_SIGS)

    def f(*args, **kwargs):
        _, a = parser.parse(args, kwargs)
        self, ends = a["self"], a["tensors1"]
        _nonempty(self)
        _same_len(self, ends)
        w = a.get("weights", a.get("weight"))
        if isinstance(w, (list, tuple)):
            if "weights" in a:
                _same_len(self, w)
            else:
                _scalars_len(self, w)
            weights = w
        else:
            weights = [_num(w)] * len(self)
        E = _E()
        results = [x.lerp_(e, wt) if inplace else E.lerp(x, e, wt)
                   for x, e, wt in zip(self, ends, weights)]
        return _done(self, results, inplace)
    f.__name__ = f.__qualname__ = name
    return f


# --- the rest: reductions, mm, clone, copy_, zero_ -----------------------------------------

_NORM_SIG = f"{_TL} self, {_NUM} ord = 2, torch.dtype? dtype = None"


def _norm_one(x, ord, dtype):
    from .. import linalg
    if dtype is not None:  # vector_norm's dtype checks, then the norm in that dtype
        from .sampling import _type_name
        if not (dtype.is_floating_point or dtype.is_complex):
            raise RuntimeError(f"linalg.vector_norm: dtype should be floating point or complex, "
                               f"but got {_type_name(dtype)}")
        if promote_types(x.dtype, dtype) is not dtype:
            raise RuntimeError(f"linalg.vector_norm: the dtype of the input "
                               f"({_type_name(x.dtype)}) should be convertible without narrowing "
                               f"to the specified dtype ({_type_name(dtype)})")
        x = x.to(dtype)
    return linalg.vector_norm(x, _num(ord))


def _powsum_one(x, ord, dtype):
    """sum(|x| ** ord), literally (so 0 ** 0 counts 1 and 0 ** -1 is inf)."""
    if not (x.dtype.is_floating_point or x.dtype.is_complex):
        from .sampling import _type_name
        raise NotImplementedError(f'"powsum_cpu" not implemented for \'{_type_name(x.dtype)}\'')
    if dtype is not None:
        x = x.to(dtype)
    return x.abs().pow(_num(ord)).sum()


def _max_one(x):
    if x.numel() == 0:
        raise RuntimeError("_foreach_max cannot compute the maximum of an empty tensor; max "
                           "over zero elements is undefined.")
    return x.max()


def _make_simple(name, sig, body, inplace=False):
    parser = _ForeachParser(name, sig)

    def f(*args, **kwargs):
        a = parser.parse(args, kwargs)[1]
        self = a.pop("self")
        _nonempty(self)
        results = body(self, **a)
        return _done(self, results, inplace)
    f.__name__ = f.__qualname__ = name
    return f


def _mm(self, mat2):
    _same_len(self, mat2)
    E = _E()
    return [E.mm(a, b) for a, b in zip(self, mat2)]


def _copy(self, src, non_blocking):
    _same_len(self, src)
    return [x.copy_(s, non_blocking) for x, s in zip(self, src)]


_SIMPLE = {
    "_foreach_norm": (_NORM_SIG, lambda self, ord, dtype: [_norm_one(x, ord, dtype)
                                                           for x in self], False),
    "_foreach_powsum": (_NORM_SIG, lambda self, ord, dtype: [_powsum_one(x, ord, dtype)
                                                             for x in self], False),
    "_foreach_max": (f"{_TL} self", lambda self: [_max_one(x) for x in self], False),
    "_foreach_mm": (f"{_TL} self, {_TL} mat2", _mm, False),
    "_foreach_clone": (f"{_TL} self", lambda self: [x.clone() for x in self], False),
    "_foreach_copy_": (f"{_TL} self, {_TL} src, bool non_blocking = False", _copy, True),
    "_foreach_zero_": (f"{_TL} self", lambda self: [x.zero_() for x in self], True),
}


def _build():
    made = {}
    for op in _UNARY:
        for inplace in (False, True):
            f = _make_unary(op, inplace)
            made[f.__name__] = f
    for op in _BINARY:
        for inplace in (False, True):
            f = _make_binary(op, inplace)
            made[f.__name__] = f
    for op in ("addcmul", "addcdiv"):
        for inplace in (False, True):
            f = _make_addc(op, inplace)
            made[f.__name__] = f
    for inplace in (False, True):
        f = _make_lerp(inplace)
        made[f.__name__] = f
    for name, (sig, body, inplace) in _SIMPLE.items():
        made[name] = _make_simple(name, sig, body, inplace)
    return made


_ALL = _build()
globals().update(_ALL)
__all__ = sorted(_ALL)
