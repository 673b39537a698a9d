"""torch.testing.make_tensor: a random tensor of a shape, dtype and device, drawn as torch draws
it (randint for bool and integers, uniform_ for floating and complex types), so under the same
seed ember's values are torch's: ember's generator reproduces torch's CPU streams.

Default ranges: bool [0, 2), unsigned [0, 10), signed integers [-9, 10), floating and complex
[-9, 9); a `low`/`high` outside the dtype's finite range is clamped to it.
"""
import collections.abc
import math
import warnings

import ember

_INTEGRAL = [getattr(ember, n) for n in ("uint8", "int8", "int16", "int32", "int64", "uint16",
                                         "uint32", "uint64") if hasattr(ember, n)]
_FLOATING = [getattr(ember, n) for n in ("float16", "bfloat16", "float32", "float64")
             if hasattr(ember, n)]
_COMPLEX = [getattr(ember, n) for n in ("complex32", "complex64", "complex128")
            if hasattr(ember, n)]
_BOOL_OR_INTEGRAL = [ember.bool, *_INTEGRAL]
_FLOATING_OR_COMPLEX = [*_FLOATING, *_COMPLEX]


def _uniform_(t, low, high):
    # uniform_ needs high - low within the dtype's range: draw half the range and double it
    if high - low >= ember.finfo(t.dtype).max:
        return t.uniform_(low / 2, high / 2).mul_(2)
    return t.uniform_(low, high)


def make_tensor(*shape, dtype, device, low=None, high=None, requires_grad=False,
                noncontiguous=False, exclude_zero=False, memory_format=None):
    """A tensor of `shape` filled with values drawn uniformly from [low, high)."""

    def bounds(low, high, *, lowest, highest, default_low, default_high):
        low = default_low if low is None else low
        high = default_high if high is None else high
        if any(isinstance(v, float) and math.isnan(v) for v in (low, high)):
            raise ValueError(f"`low` and `high` cannot be NaN, but got {low=} and {high=}")
        if low == high and dtype in _FLOATING_OR_COMPLEX:
            warnings.warn("Passing `low==high` to `torch.testing.make_tensor` for floating or "
                          "complex types is deprecated since 2.1 and will be removed in 2.3. "
                          "Use `torch.full(...)` instead.", FutureWarning, stacklevel=3)
        elif low >= high:
            raise ValueError(f"`low` must be less than `high`, but got {low} >= {high}")
        elif high < lowest or low >= highest:
            raise ValueError(f"The value interval specified by `low` and `high` is [{low}, "
                             f"{high}), but {dtype} only supports [{lowest}, {highest})")
        low, high = (min(max(v, lowest), highest) for v in (low, high))
        if dtype in _BOOL_OR_INTEGRAL:
            # randint's high is exclusive: ceil both so no value falls below low
            return math.ceil(low), math.ceil(high)
        return low, high

    if len(shape) == 1 and isinstance(shape[0], collections.abc.Sequence):
        shape = shape[0]
    shape = tuple(shape)
    if noncontiguous and memory_format is not None:
        raise ValueError("The parameters `noncontiguous` and `memory_format` are mutually "
                         f"exclusive, but got {noncontiguous=} and {memory_format=}")
    if requires_grad and dtype in _BOOL_OR_INTEGRAL:
        raise ValueError("`requires_grad=True` is not supported for boolean and integral dtypes, "
                         f"but got {dtype=}")
    noncontiguous = noncontiguous and math.prod(shape) > 1
    if noncontiguous:
        shape = (*shape[:-1], 2 * shape[-1])  # every other element of the last dim is kept

    if dtype is ember.bool:
        low, high = bounds(low, high, lowest=0, highest=2, default_low=0, default_high=2)
        result = ember.randint(low, high, shape, device=device, dtype=dtype)
    elif dtype in _BOOL_OR_INTEGRAL:
        info = ember.iinfo(dtype)
        # randint cannot draw int64's maximum, so its exclusive bound stays the maximum
        low, high = bounds(low, high, lowest=info.min,
                           highest=info.max + (1 if dtype is not ember.int64 else 0),
                           default_low=-9, default_high=10)
        result = ember.randint(low, high, shape, device=device, dtype=dtype)
    elif dtype in _FLOATING_OR_COMPLEX:
        info = ember.finfo(dtype)
        low, high = bounds(low, high, lowest=info.min, highest=info.max, default_low=-9,
                           default_high=9)
        result = ember.empty(shape, device=device, dtype=dtype)
        _uniform_(ember.view_as_real(result) if dtype in _COMPLEX else result, low, high)
    else:
        raise TypeError(f"The requested dtype '{dtype}' is not supported by "
                        "torch.testing.make_tensor(). To request support, file an issue at: "
                        "https://github.com/pytorch/pytorch/issues")

    if noncontiguous:
        result = result[..., 1::2]
    elif memory_format is not None:
        result = result.clone(memory_format=memory_format)
    if exclude_zero:
        result[result == 0] = 1 if dtype in _BOOL_OR_INTEGRAL else ember.finfo(dtype).tiny
    if dtype in _FLOATING_OR_COMPLEX:
        result.requires_grad = requires_grad
    return result
