"""torch.testing.assert_close: compare (nested) tensors, arrays and scalars with torch's rules,
tolerances and messages.

How a comparison runs, as in torch: the inputs are walked together (sequences by position,
mappings by key, with torch's length and key errors), each pair of leaves is handed to the first
pair type that accepts it (None, bool, Python/NumPy number, then tensor-like: a Tensor or
anything `as_tensor` takes, of directly related types), and each pair compares. A failure is
carried as an ErrorMeta (exception type, message, path of the item) and raised at the end as its
type, with "The failure occurred for item [...]" appended for nested items and the user's `msg`
(a string replacing the message, or a callable rewriting it) applied. Structural failures (a
length or key mismatch, or no pair type for the inputs) ignore `msg`, as torch's do.

Tensor values are compared with ember's own ops (isclose, abs, max, division), so the numbers in
the messages have torch's dtypes: integer differences in int64, relative ones in the default
float dtype, half differences rounded to half. Types in messages are named as torch names them
(`<class 'torch.Tensor'>`), since ember's classes are torch's under `ember run`.
"""
import cmath
import collections.abc
import contextlib
import warnings

import numpy as np

import ember

_PRECISIONS = {  # dtype name -> (rtol, atol); every other dtype compares exactly
    "float16": (0.001, 1e-5), "bfloat16": (0.016, 1e-5), "float32": (1.3e-6, 1e-5),
    "float64": (1e-7, 1e-7), "complex32": (0.001, 1e-5), "complex64": (1.3e-6, 1e-5),
    "complex128": (1e-7, 1e-7), "quint8": (1.3e-6, 1e-5), "quint2x4": (1.3e-6, 1e-5),
    "quint4x2": (1.3e-6, 1e-5), "qint8": (1.3e-6, 1e-5), "qint32": (1.3e-6, 1e-5),
}


def _type_name(cls):
    """repr(cls), with ember's classes under the torch names they stand for."""
    mod = getattr(cls, "__module__", "") or ""
    if mod == "ember" or mod.startswith("ember."):
        # ember's private top-level modules hold what torch has at its top (torch.Tensor, ...)
        mod = "torch" if mod == "ember" or mod.startswith("ember._") else "torch" + mod[5:]
        return f"<class '{mod}.{cls.__qualname__}'>"
    return repr(cls)


class ErrorMeta(Exception):
    """A comparison failure on its way out: the exception type and message to raise, and the
    path of the failing item."""

    def __init__(self, type, msg, *, id=()):
        super().__init__(msg)
        self.type, self.msg, self.id = type, msg, id

    def to_error(self, msg=None):
        if not isinstance(msg, str):
            text = self.msg
            if self.id:
                text += f"\n\nThe failure occurred for item {_path(self.id)}"
            msg = msg(text) if callable(msg) else text
        return self.type(msg)


def _path(id):
    return "".join(str([item]) for item in id)


class UnsupportedInputs(Exception):
    """A pair type does not take these inputs: the next one is tried."""


def default_tolerances(*inputs, dtype_precisions=None):
    """The loosest (rtol, atol) of the inputs' dtypes (tensors or dtypes)."""
    dtypes = []
    for x in inputs:
        if isinstance(x, ember.Tensor):
            dtypes.append(x.dtype)
        elif isinstance(x, ember.dtype):
            dtypes.append(x)
        else:
            raise TypeError(f"Expected a torch.Tensor or a torch.dtype, but got {type(x)} "
                            "instead.")
    if dtype_precisions:
        tols = [dtype_precisions.get(d, (0.0, 0.0)) for d in dtypes]
    else:
        tols = [_PRECISIONS.get(str(d).rpartition(".")[2], (0.0, 0.0)) for d in dtypes]
    return max(t[0] for t in tols), max(t[1] for t in tols)


def get_tolerances(*inputs, rtol, atol, id=()):
    if (rtol is None) != (atol is None):
        raise ErrorMeta(ValueError, "Both 'rtol' and 'atol' must be either specified or omitted, "
                       f"but got no {'rtol' if rtol is None else 'atol'}.", id=id)
    if rtol is not None:
        return rtol, atol
    return default_tolerances(*inputs)


def _mismatch_msg(identifier, default, extra, abs_diff, abs_idx, atol, rel_diff, rel_idx, rtol):
    exact = rtol == 0 and atol == 0
    name = default if identifier is None else (
        identifier(default) if callable(identifier) else identifier)

    def line(kind, diff, idx, tol):
        s = (f"{kind.title()} difference: {diff}" if idx is None
             else f"Greatest {kind} difference: {diff} at index {idx}")
        return s + ("" if exact else f" (up to {tol} allowed)") + "\n"

    msg = f"{name} are not {'equal' if exact else 'close'}!\n\n"
    if extra:
        msg += extra.strip() + "\n"
    msg += line("absolute", abs_diff, abs_idx, atol) + line("relative", rel_diff, rel_idx, rtol)
    return msg.strip()


def make_scalar_mismatch_msg(actual, expected, *, rtol, atol, identifier=None):
    abs_diff = abs(actual - expected)
    rel_diff = float("inf") if expected == 0 else abs_diff / abs(expected)
    return _mismatch_msg(identifier, "Scalars", f"Expected {expected} but got {actual}.",
                         abs_diff, None, atol, rel_diff, None, rtol)


def make_tensor_mismatch_msg(actual, expected, matches, *, rtol, atol, identifier=None):
    shape = tuple(matches.shape)

    def unravel(flat):
        return tuple(int(i) for i in np.unravel_index(flat, shape)) if shape else ()

    total = matches.numel()
    bad = total - int(ember.sum(matches))
    extra = f"Mismatched elements: {bad} / {total} ({bad / total:.1%})"
    a, e, ok = actual.flatten(), expected.flatten(), matches.flatten()
    if not actual.dtype.is_floating_point and not actual.dtype.is_complex:
        a, e = a.to(ember.int64), e.to(ember.int64)
    abs_diff = ember.abs(a - e)
    abs_diff[ok] = 0
    max_abs, abs_at = ember.max(abs_diff, 0)
    with np.errstate(divide="ignore", invalid="ignore"):  # x / 0 is inf or nan, quietly
        rel_diff = abs_diff / ember.abs(e)
    rel_diff[ok] = 0
    max_rel, rel_at = ember.max(rel_diff, 0)
    return _mismatch_msg(identifier, "Tensor-likes", extra, max_abs.item(),
                         unravel(int(abs_at)), atol, max_rel.item(), unravel(int(rel_at)), rtol)


class Pair:
    """One pair of leaf inputs; the constructor raises UnsupportedInputs for inputs it does not
    take, compare() raises ErrorMeta when they differ."""

    def __init__(self, actual, expected, *, id=(), **unknown_parameters):
        self.actual, self.expected, self.id = actual, expected, id
        self._unknown_parameters = unknown_parameters

    @staticmethod
    def _require(*inputs, cls):
        if not all(isinstance(x, cls) for x in inputs):
            raise UnsupportedInputs

    def _fail(self, type, msg):
        raise ErrorMeta(type, msg, id=self.id)

    def extra_repr(self):
        return []

    def __repr__(self):
        rows = [("id", self.id), ("actual", self.actual), ("expected", self.expected)]
        rows += [(k, getattr(self, k)) for k in self.extra_repr()]
        return "\n".join([f"{type(self).__name__}("] + [f"    {k}={v!s}," for k, v in rows]
                         + [")"])


class ObjectPair(Pair):
    """Any inputs, compared with `==` (the fallback of not_close_error_metas)."""

    def compare(self):
        try:
            equal = self.actual == self.expected
        except Exception as error:
            raise ErrorMeta(ValueError, f"{self.actual} == {self.expected} failed with:\n{error}.",
                            id=self.id) from error
        if not equal:
            self._fail(AssertionError, f"{self.actual} != {self.expected}")


class NonePair(Pair):
    def __init__(self, actual, expected, **options):
        if actual is not None and expected is not None:
            raise UnsupportedInputs
        super().__init__(actual, expected, **options)

    def compare(self):
        if not (self.actual is None and self.expected is None):
            self._fail(AssertionError, f"None mismatch: {self.actual} is not {self.expected}")


class BooleanPair(Pair):
    def __init__(self, actual, expected, *, id, **options):
        self._require(actual, expected, cls=(bool, np.bool_))
        super().__init__(bool(actual), bool(expected), **options)

    def compare(self):
        if self.actual is not self.expected:
            self._fail(AssertionError, f"Booleans mismatch: {self.actual} is not {self.expected}")


class NumberPair(Pair):
    _DTYPES = {int: "int64", float: "float64", complex: "complex128"}

    def __init__(self, actual, expected, *, id=(), rtol=None, atol=None, equal_nan=False,
                 check_dtype=False, **options):
        self._require(actual, expected, cls=(int, float, complex, np.number))
        actual, expected = (x.item() if isinstance(x, np.number) else x
                            for x in (actual, expected))
        super().__init__(actual, expected, id=id, **options)
        # a bool among numbers has no dtype here: a KeyError, reported as torch reports it
        dtypes = [getattr(ember, self._DTYPES[type(x)]) for x in (actual, expected)]
        self.rtol, self.atol = get_tolerances(*dtypes, rtol=rtol, atol=atol, id=id)
        self.equal_nan, self.check_dtype = equal_nan, check_dtype

    def compare(self):
        a, e = self.actual, self.expected
        if self.check_dtype and type(a) is not type(e):
            self._fail(AssertionError, f"The (d)types do not match: {type(a)} != {type(e)}.")
        if a == e or (self.equal_nan and cmath.isnan(a) and cmath.isnan(e)):
            return
        diff = abs(a - e)
        if cmath.isfinite(diff) and diff <= self.atol + self.rtol * abs(e):
            return
        self._fail(AssertionError,
                   make_scalar_mismatch_msg(a, e, rtol=self.rtol, atol=self.atol))

    def extra_repr(self):
        return ("rtol", "atol", "equal_nan", "check_dtype")


class TensorLikePair(Pair):
    def __init__(self, actual, expected, *, id=(), allow_subclasses=True, rtol=None, atol=None,
                 equal_nan=False, check_device=True, check_dtype=True, check_layout=True,
                 check_stride=False, **options):
        related = isinstance(actual, type(expected)) or isinstance(expected, type(actual))
        if not related or (not allow_subclasses and type(actual) is not type(expected)):
            raise UnsupportedInputs
        actual, expected = self._to_tensor(actual), self._to_tensor(expected)
        super().__init__(actual, expected, id=id, **options)
        self.rtol, self.atol = get_tolerances(actual, expected, rtol=rtol, atol=atol, id=id)
        self.equal_nan = equal_nan
        self.check_device, self.check_dtype = check_device, check_dtype
        self.check_layout, self.check_stride = check_layout, check_stride

    @staticmethod
    def _to_tensor(x):
        if isinstance(x, ember.Tensor):
            return x
        try:
            return ember.as_tensor(x)
        except Exception:
            raise UnsupportedInputs from None

    def compare(self):
        a, e = self.actual, self.expected
        self._compare_attributes(a, e)
        if a.device.type == "meta" or e.device.type == "meta":
            return
        a, e = self._equalize(a, e)
        self._compare_values(a, e)

    def _compare_attributes(self, a, e):
        def differ(name, x, y):
            self._fail(AssertionError,
                       f"The values for attribute '{name}' do not match: {x} != {y}.")

        if a.shape != e.shape:
            differ("shape", a.shape, e.shape)
        if a.layout != e.layout:
            if self.check_layout:
                differ("layout", a.layout, e.layout)
        elif self.check_stride and a.stride() != e.stride():
            differ("stride()", a.stride(), e.stride())
        if self.check_device and a.device != e.device:
            differ("device", a.device, e.device)
        if self.check_dtype and a.dtype != e.dtype:
            differ("dtype", a.dtype, e.dtype)

    @staticmethod
    def _equalize(a, e):
        if a.device != e.device:
            a, e = a.cpu(), e.cpu()
        if a.dtype != e.dtype:
            wide = {getattr(ember, n, None) for n in ("uint16", "uint32", "uint64")} - {None}
            da = ember.int64 if a.dtype in wide else a.dtype
            de = ember.int64 if e.dtype in wide else e.dtype
            dtype = ember.promote_types(da, de)
            a, e = a.to(dtype), e.to(dtype)
        return a, e

    def _compare_values(self, a, e, identifier=None):
        rtol, atol = self.rtol, self.atol
        matches = ember.isclose(a, e, rtol=rtol, atol=atol, equal_nan=self.equal_nan)
        if bool(ember.all(matches)):
            return
        if a.shape == ():
            msg = make_scalar_mismatch_msg(a.item(), e.item(), rtol=rtol, atol=atol,
                                           identifier=identifier)
        else:
            msg = make_tensor_mismatch_msg(a, e, matches, rtol=rtol, atol=atol,
                                           identifier=identifier)
        self._fail(AssertionError, msg)

    def extra_repr(self):
        return ("rtol", "atol", "equal_nan", "check_device", "check_dtype", "check_layout",
                "check_stride")


_UNEXPECTED = ("resulted in the unexpected exception above. If you are a user and see this "
               "message during normal operation please file an issue at "
               "https://github.com/pytorch/pytorch/issues. If you are a developer and working on "
               "the comparison functions, please except the previous error and raise an "
               "expressive `ErrorMeta` instead.")


_SEQ, _MAP = (collections.abc.Sequence,), (collections.abc.Mapping,)


def originate_pairs(actual, expected, *, pair_types, sequence_types=_SEQ, mapping_types=_MAP,
                    id=(), **options):
    """The leaf pairs of two (nested) inputs, in order."""
    seq, mapping = sequence_types, mapping_types
    options.update(sequence_types=seq, mapping_types=mapping)
    if (isinstance(actual, seq) and not isinstance(actual, str)
            and isinstance(expected, seq) and not isinstance(expected, str)):
        if len(actual) != len(expected):
            raise ErrorMeta(AssertionError, "The length of the sequences mismatch: "
                           f"{len(actual)} != {len(expected)}", id=id)
        return [p for i in range(len(actual)) for p in originate_pairs(
            actual[i], expected[i], pair_types=pair_types, id=(*id, i), **options)]
    if isinstance(actual, mapping) and isinstance(expected, mapping):
        ka, ke = set(actual.keys()), set(expected.keys())
        if ka != ke:
            raise ErrorMeta(AssertionError,
                           "The keys of the mappings do not match:\n"
                           f"Missing keys in the actual mapping: {sorted(ke - ka)}\n"
                           f"Additional keys in the actual mapping: {sorted(ka - ke)}", id=id)
        keys = ka
        with contextlib.suppress(Exception):
            keys = sorted(keys)  # deterministic order where the keys allow it
        return [p for k in keys for p in originate_pairs(
            actual[k], expected[k], pair_types=pair_types, id=(*id, k), **options)]
    options = {k: v for k, v in options.items() if k not in ("sequence_types", "mapping_types")}
    for pair_type in pair_types:
        try:
            return [pair_type(actual, expected, id=id, **options)]
        except UnsupportedInputs:
            continue
        except ErrorMeta:
            raise
        except Exception as error:
            raise RuntimeError(
                f"Originating a {pair_type.__name__}() at item {_path(id)} with\n\n"
                f"{type(actual).__name__}(): {actual}\n\nand\n\n"
                f"{type(expected).__name__}(): {expected}\n\n" + _UNEXPECTED) from error
    raise ErrorMeta(TypeError, "No comparison pair was able to handle inputs of type "
                   f"{_type_name(type(actual))} and {_type_name(type(expected))}.", id=id)


def not_close_error_metas(actual, expected, *, pair_types=(ObjectPair,), sequence_types=_SEQ,
                          mapping_types=_MAP, **options):
    """The failures of all leaf pairs (a structural failure raises at once)."""
    __tracebackhide__ = True
    try:
        pairs = originate_pairs(actual, expected, pair_types=pair_types,
                                sequence_types=sequence_types, mapping_types=mapping_types,
                                **options)
    except ErrorMeta as failure:
        raise failure.to_error() from None
    failures = []
    for pair in pairs:
        try:
            pair.compare()
        except ErrorMeta as failure:
            failures.append(failure)
        except Exception as error:
            raise RuntimeError(f"Comparing\n\n{pair}\n\n" + _UNEXPECTED) from error
    return failures


def assert_close(actual, expected, *, allow_subclasses=True, rtol=None, atol=None,
                 equal_nan=False, check_device=True, check_dtype=True, check_layout=True,
                 check_stride=False, msg=None):
    """Asserts that `actual` and `expected` are close (torch.testing.assert_close)."""
    __tracebackhide__ = True
    failures = not_close_error_metas(
        actual, expected, pair_types=(NonePair, BooleanPair, NumberPair, TensorLikePair),
        allow_subclasses=allow_subclasses, rtol=rtol, atol=atol, equal_nan=equal_nan,
        check_device=check_device, check_dtype=check_dtype, check_layout=check_layout,
        check_stride=check_stride, msg=msg)
    if failures:
        raise failures[0].to_error(msg)


_ALLCLOSE_DEPRECATED = (
    "`torch.testing.assert_allclose()` is deprecated since 1.12 and will be removed in a future "
    "release. Please use `torch.testing.assert_close()` instead. You can find detailed upgrade "
    "instructions in https://github.com/pytorch/pytorch/issues/61844.")


def assert_allclose(actual, expected, rtol=None, atol=None, equal_nan=True, msg=""):
    """Deprecated in torch since 1.12 (a FutureWarning): assert_close with looser default
    tolerances, NaN equal to NaN, dtypes promoted instead of checked."""
    warnings.warn(_ALLCLOSE_DEPRECATED, FutureWarning, stacklevel=2)
    if not isinstance(actual, ember.Tensor):
        actual = ember.tensor(actual)
    if not isinstance(expected, ember.Tensor):
        expected = ember.tensor(expected, dtype=actual.dtype)
    if rtol is None and atol is None:
        rtol, atol = default_tolerances(actual, expected, dtype_precisions={
            ember.float16: (1e-3, 1e-3), ember.float32: (1e-4, 1e-5),
            ember.float64: (1e-5, 1e-8)})
    assert_close(actual, expected, rtol=rtol, atol=atol, equal_nan=equal_nan, check_device=True,
                 check_dtype=False, check_stride=False, msg=msg or None)


assert_allclose.__deprecated__ = _ALLCLOSE_DEPRECATED
