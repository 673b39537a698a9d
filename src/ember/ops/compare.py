"""Comparison, logical and bitwise ops, and the float predicates (isnan, isinf, ...).

None of these has a gradient: each promotes its operands with torch's rules, runs one NumPy
ufunc and wraps the result. Their in-place forms (`eq_`, `bitwise_and_`, ...) cast back into
`self` through `inplace._inplace`.
"""

__all__ = ["eq", "ne", "lt", "le", "gt", "ge", "less", "less_equal", "greater", "greater_equal",
           "not_equal", "equal", "logical_and", "logical_or", "logical_xor", "logical_not",
           "bitwise_and", "bitwise_or", "bitwise_xor", "bitwise_left_shift", "bitwise_right_shift",
           "bitwise_not", "isnan", "isinf", "isfinite", "isposinf", "isneginf", "signbit",
           "isreal"]

import numpy as np

from .._tensor import Tensor, _wrap
from ..autograd.function import _NUMPY_ERRORS, torch_error
from ._util import method, operand, result_type
from .inplace import _binary_inplace, _out


def _tensor_arg(a):
    if isinstance(a, Tensor):
        return a
    from .creation import tensor
    return tensor(a)


def _legacy(dt):
    return dt._legacy[:-6]


def _compare(ufunc, name, kernel=None):
    def op(input, other, *, out=None):
        if not isinstance(input, Tensor):
            input = _tensor_arg(input)
        dt = result_type(input, other)
        if kernel and dt.is_complex:
            raise NotImplementedError(f'"{kernel}_cpu" not implemented for \'{_legacy(dt)}\'')
        x, y = operand(input, dt), operand(other, dt)
        try:
            r = _wrap(ufunc(x, y))
        except _NUMPY_ERRORS as e:
            raise torch_error(e, (x, y)) from None
        return r if out is None else _out(r, out, name, (input, other), warn=2)
    return op


eq = method("eq")(_compare(np.equal, "eq"))
ne = method("ne", "not_equal")(_compare(np.not_equal, "ne"))
_COMPARABLE = (Tensor, bool, int, float, complex, np.generic)


@method("__eq__")
def _eq_operator(self, other):
    # `t == None` and `t == 'a'` are False in torch (Python's fallback), not an error
    if isinstance(other, np.ndarray):
        other = _tensor_arg(other)
    return eq(self, other) if isinstance(other, _COMPARABLE) else NotImplemented


@method("__ne__")
def _ne_operator(self, other):
    if isinstance(other, np.ndarray):
        other = _tensor_arg(other)
    return ne(self, other) if isinstance(other, _COMPARABLE) else NotImplemented
lt = method("lt", "less", "__lt__")(_compare(np.less, "lt", "lt"))
le = method("le", "less_equal", "__le__")(_compare(np.less_equal, "le", "le"))
gt = method("gt", "greater", "__gt__")(_compare(np.greater, "gt", "gt"))
ge = method("ge", "greater_equal", "__ge__")(_compare(np.greater_equal, "ge", "ge"))
less, less_equal, greater, greater_equal, not_equal = lt, le, gt, ge, ne


@method("equal")
def equal(input, other):
    return input.shape == other.shape and bool((input == other).all())


def _logical(ufunc, name):
    def op(input, other=None, *, out=None):
        if other is None:
            r = _wrap(ufunc(input._data))
        else:
            x = input._data if isinstance(input, Tensor) else input
            y = other._data if isinstance(other, Tensor) else other
            try:
                r = _wrap(ufunc(x, y))
            except _NUMPY_ERRORS as e:
                raise torch_error(e, (x, y)) from None
        return r if out is None else _out(r, out, name, (input, other))
    return op


logical_and = method("logical_and")(_logical(np.logical_and, "logical_and"))
logical_or = method("logical_or")(_logical(np.logical_or, "logical_or"))
logical_xor = method("logical_xor")(_logical(np.logical_xor, "logical_xor"))
logical_not = method("logical_not")(_logical(np.logical_not, "logical_not"))


def _bitwise(ufunc, kernel):
    def op(input, other, *, out=None):
        if not isinstance(input, Tensor):
            input = _tensor_arg(input)
        dt = result_type(input, other)
        if dt.is_floating_point or dt.is_complex:
            raise NotImplementedError(f'"{kernel}_cpu" not implemented for \'{_legacy(dt)}\'')
        x, y = operand(input, dt), operand(other, dt)
        try:
            r = _wrap(ufunc(x, y))
        except _NUMPY_ERRORS as e:
            raise torch_error(e, (x, y)) from None
        return r if out is None else _out(r, out, kernel, (input, other), warn=2)
    return op


bitwise_and = method("bitwise_and", "__and__", "__rand__")(_bitwise(np.bitwise_and,
                                                                    "bitwise_and"))
bitwise_or = method("bitwise_or", "__or__", "__ror__")(_bitwise(np.bitwise_or, "bitwise_or"))
bitwise_xor = method("bitwise_xor", "__xor__", "__rxor__")(_bitwise(np.bitwise_xor,
                                                                    "bitwise_xor"))
bitwise_left_shift = method("bitwise_left_shift", "__lshift__")(_bitwise(np.left_shift,
                                                                         "lshift"))
bitwise_right_shift = method("bitwise_right_shift", "__rshift__")(_bitwise(np.right_shift,
                                                                           "rshift"))


@method("__rlshift__")
def _rlshift(self, other):
    return bitwise_left_shift(_tensor_arg(other), self)


@method("__rrshift__")
def _rrshift(self, other):
    return bitwise_right_shift(_tensor_arg(other), self)


@method("bitwise_not")
def bitwise_not(input, *, out=None):
    if input.dtype.is_floating_point or input.dtype.is_complex:
        raise NotImplementedError(f'"bitwise_not_cpu" not implemented for '
                                  f"'{_legacy(input.dtype)}'")
    r = _wrap(np.invert(input._data))
    return r if out is None else _out(r, out, "bitwise_not", (input,),
                                      exact="Found dtype {out} but expected {result}")


def _predicate(fn):
    def op(input):
        return _wrap(fn(input._data))
    return op


def _predicate_out(fn, name):
    """The predicates torch gives an out= (which must be bool)."""
    def op(input, *, out=None):
        r = _wrap(fn(input._data))
        return r if out is None else _out(r, out, name, (input,), exact=(
            f"{name} does not support non-boolean outputs."))
    return op


isnan = method("isnan")(_predicate(np.isnan))
isinf = method("isinf")(_predicate(np.isinf))
isfinite = method("isfinite")(_predicate(np.isfinite))
isposinf = method("isposinf")(_predicate_out(np.isposinf, "isposinf"))
isneginf = method("isneginf")(_predicate_out(np.isneginf, "isneginf"))
signbit = method("signbit")(_predicate_out(np.signbit, "signbit"))
isreal = method("isreal")(_predicate(np.isreal))


for _name, _fn in (("eq_", eq), ("ne_", ne), ("lt_", lt), ("le_", le), ("gt_", gt),
                   ("ge_", ge), ("logical_and_", logical_and), ("logical_or_", logical_or),
                   ("logical_xor_", logical_xor), ("bitwise_and_", bitwise_and),
                   ("bitwise_or_", bitwise_or), ("bitwise_xor_", bitwise_xor),
                   ("bitwise_left_shift_", bitwise_left_shift),
                   ("bitwise_right_shift_", bitwise_right_shift)):
    setattr(Tensor, _name, _binary_inplace(_fn, saves_self=False))
Tensor.logical_not_ = lambda self: self.copy_(logical_not(self))
Tensor.bitwise_not_ = lambda self: self.copy_(bitwise_not(self))


@method("__invert__")
def _invert(self):
    if self.dtype.is_floating_point or self.dtype.is_complex:
        raise TypeError("~ (operator.invert) is only implemented on integer and Boolean-type "
                        "tensors")
    return _wrap(np.invert(self._data))
for _name, _op in (("__iand__", "bitwise_and_"), ("__ior__", "bitwise_or_"),
                   ("__ixor__", "bitwise_xor_"), ("__ilshift__", "bitwise_left_shift_"),
                   ("__irshift__", "bitwise_right_shift_")):
    setattr(Tensor, _name, getattr(Tensor, _op))
