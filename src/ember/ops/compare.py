"""Comparison, logical and bitwise ops, and the float predicates (isnan, isinf, ...).

None of these has a gradient: each promotes its operands with torch's rules, runs one NumPy
ufunc and wraps the result. Their in-place forms (`eq_`, `bitwise_and_`, ...) cast back into
`self` through `inplace._inplace`.
"""

__all__ = ["eq", "ne", "lt", "le", "gt", "ge", "less", "less_equal", "greater", "greater_equal",
           "not_equal", "equal", "logical_and", "logical_or", "logical_xor", "logical_not",
           "bitwise_and", "bitwise_or", "bitwise_xor", "bitwise_left_shift", "bitwise_right_shift",
           "bitwise_not", "isnan", "isinf", "isfinite", "isposinf", "isneginf", "signbit",
           "isreal", "isin"]

import numpy as np

from .._device import match_devices
from .._tensor import Tensor, _wrap
from ..autograd.function import _NUMPY_ERRORS, torch_error
from ._util import operand, result_type
from .inplace import _out


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
        if x.__class__ is not y.__class__:
            x, y = match_devices(x, y)
        try:
            r = _wrap(ufunc(x, y))
        except _NUMPY_ERRORS as e:
            raise torch_error(e, (x, y)) from None
        return r if out is None else _out(r, out, name, (input, other), warn=2)
    return op


eq = _compare(np.equal, "eq")
ne = _compare(np.not_equal, "ne")
_COMPARABLE = (Tensor, bool, int, float, complex, np.generic)


def _eq_operator(self, other):
    # `t == None` and `t == 'a'` are False in torch (Python's fallback), not an error
    if isinstance(other, np.ndarray):
        other = _tensor_arg(other)
    return eq(self, other) if isinstance(other, _COMPARABLE) else NotImplemented


def _ne_operator(self, other):
    if isinstance(other, np.ndarray):
        other = _tensor_arg(other)
    return ne(self, other) if isinstance(other, _COMPARABLE) else NotImplemented
lt = _compare(np.less, "lt", "lt")
le = _compare(np.less_equal, "le", "le")
gt = _compare(np.greater, "gt", "gt")
ge = _compare(np.greater_equal, "ge", "ge")
less, less_equal, greater, greater_equal, not_equal = lt, le, gt, ge, ne


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


logical_and = _logical(np.logical_and, "logical_and")
logical_or = _logical(np.logical_or, "logical_or")
logical_xor = _logical(np.logical_xor, "logical_xor")
logical_not = _logical(np.logical_not, "logical_not")


def _bitwise(ufunc, kernel):
    def op(input, other, *, out=None):
        if not isinstance(input, Tensor):
            input = _tensor_arg(input)
        dt = result_type(input, other)
        if dt.is_floating_point or dt.is_complex:
            raise NotImplementedError(f'"{kernel}_cpu" not implemented for \'{_legacy(dt)}\'')
        x, y = operand(input, dt), operand(other, dt)
        if x.__class__ is not y.__class__:
            x, y = match_devices(x, y)
        try:
            r = _wrap(ufunc(x, y))
        except _NUMPY_ERRORS as e:
            raise torch_error(e, (x, y)) from None
        return r if out is None else _out(r, out, kernel, (input, other), warn=2)
    return op


bitwise_and = _bitwise(np.bitwise_and, "bitwise_and")
bitwise_or = _bitwise(np.bitwise_or, "bitwise_or")
bitwise_xor = _bitwise(np.bitwise_xor, "bitwise_xor")
bitwise_left_shift = _bitwise(np.left_shift, "lshift")
bitwise_right_shift = _bitwise(np.right_shift, "rshift")


def _rlshift(self, other):
    return bitwise_left_shift(_tensor_arg(other), self)


def _rrshift(self, other):
    return bitwise_right_shift(_tensor_arg(other), self)


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


isnan = _predicate(np.isnan)
isinf = _predicate(np.isinf)
isfinite = _predicate(np.isfinite)
isposinf = _predicate_out(np.isposinf, "isposinf")
isneginf = _predicate_out(np.isneginf, "isneginf")
signbit = _predicate_out(np.signbit, "signbit")
isreal = _predicate(np.isreal)


def _invert(self):
    if self.dtype.is_floating_point or self.dtype.is_complex:
        raise TypeError("~ (operator.invert) is only implemented on integer and Boolean-type "
                        "tensors")
    return _wrap(np.invert(self._data))


def isin(elements, test_elements, *, assume_unique=False, invert=False, out=None):
    """Whether each element is among test_elements (compared in their promoted dtype; NaN is
    never in), as torch.isin; either may be a Number."""
    for v in (elements, test_elements):
        if isinstance(v, Tensor) and v.dtype.is_bool or isinstance(v, bool):
            raise RuntimeError("Unsupported input type encountered for isin(): Bool")
    dt = result_type(elements, test_elements)
    a, b = operand(elements, dt), operand(test_elements, dt)
    r = _wrap(np.asarray(np.isin(a, b, assume_unique=bool(assume_unique), invert=bool(invert))))
    return r if out is None else _out(r, out, "isin", (elements, test_elements))
