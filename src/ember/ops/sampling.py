"""Random sampling with torch's signatures: rand/randn/randint/randperm/normal/bernoulli/
multinomial/poisson, the *_like factories and the in-place Tensor methods (uniform_, normal_,
random_, ...).

Arguments go through `_parser._Parser`, which follows torch's Python argument parser for these
functions: the same overloads tried in the same order, the same keyword forms
(`randint(10, size=(3,))`, `randn(size=(2, 3))`, `randperm(n=5)`, ...) and the same TypeErrors
for the calls it refuses. Each function then validates its values as torch does and asks
`_random` for the values torch would draw, written straight into the tensor's buffer in memory
order. Values are drawn on the host from ember's CPU generator; a CUDA tensor receives a copy
(torch's CUDA streams differ anyway).
"""

import math
import numbers
import warnings

import numpy as np

from .. import _dtype as D
from .. import _meta
from .. import _random as R
from .._device import _default, as_device, to_device, to_host
from .._tensor import Tensor, _check_inplace, _wrap
from ..autograd import grad_mode as _gm
from ..autograd.function import _NUMPY_ERRORS, Op, creation_error
from ._parser import _Parser, _tp_name
from ._util import check_factory, user_stacklevel
from .inplace import replaced as _replaced

__all__ = ["rand", "rand_like", "randn", "randn_like", "randint", "randint_like", "randperm",
           "normal", "bernoulli", "multinomial", "poisson"]


_FACTORY = ("Tensor out = None, torch.dtype dtype = None, torch.layout layout = None, "
            "torch.device device = None, bool? pin_memory = False, bool? requires_grad = False")
_LIKE = ("torch.memory_format memory_format = None, torch.dtype dtype = None, "
         "torch.layout layout = None, torch.device device = None, bool? pin_memory = False, "
         "bool? requires_grad = False")
_GEN = "torch.Generator? generator, "
_KWGEN = "*, torch.Generator generator = None"


def _overloads(head, tail):
    """torch's pair of factory overloads: with a required `generator` (None allowed) first."""
    return f"{head}, *, {_GEN}{tail}", f"{head}, *, {tail}"


_P_RAND = _Parser("rand", *_overloads("tuple of ints size", _FACTORY))
_P_RANDN = _Parser("randn", *_overloads("tuple of ints size", _FACTORY))
_P_RANDINT = _Parser("randint", *_overloads("int high, tuple of ints size", _FACTORY),
                     *_overloads("int low, int high, tuple of ints size", _FACTORY))
_P_RANDPERM = _Parser("randperm", *_overloads("int n", _FACTORY))
_P_NORMAL = _Parser("normal", f"Tensor mean, Tensor std, {_KWGEN}, Tensor out = None",
                    f"Tensor mean, float std = 1, {_KWGEN}, Tensor out = None",
                    f"float mean, Tensor std, {_KWGEN}, Tensor out = None",
                    f"float mean, float std, tuple of ints size, {_KWGEN}, {_FACTORY}")
_P_RAND_LIKE = _Parser("rand_like", *_overloads("Tensor input", _LIKE))
_P_RANDN_LIKE = _Parser("randn_like", *_overloads("Tensor input", _LIKE))
_P_RANDINT_LIKE = _Parser("randint_like", *_overloads("Tensor input, int low, int high", _LIKE),
                          *_overloads("Tensor input, Tensor high", _LIKE),
                          *_overloads("Tensor input, int high", _LIKE))
_P_BERNOULLI = _Parser("bernoulli", f"Tensor input, {_KWGEN}, Tensor out = None",
                       f"Tensor input, float p, {_KWGEN}")
_P_MULTINOMIAL = _Parser("multinomial", "Tensor input, int num_samples, bool replacement = False, "
                         f"{_KWGEN}, Tensor out = None")
_P_POISSON = _Parser("poisson", "Tensor input, torch.Generator generator = None")
_P_UNIFORM_ = _Parser("uniform_", f"float from = 0, float to = 1, {_KWGEN}")
_P_NORMAL_ = _Parser("normal_", f"float mean = 0, float std = 1, {_KWGEN}")
_P_RANDOM_ = _Parser("random_", _KWGEN, f"int from, int? to, {_KWGEN}", f"int to, {_KWGEN}")
_P_BERNOULLI_ = _Parser("bernoulli_", f"Tensor p, {_KWGEN}", f"float p = 0.5, {_KWGEN}")
_P_EXPONENTIAL_ = _Parser("exponential_", f"float lambd = 1, {_KWGEN}")
_P_GEOMETRIC_ = _Parser("geometric_", f"float p, {_KWGEN}")
_P_LOG_NORMAL_ = _Parser("log_normal_", f"float mean = 1, float std = 2, {_KWGEN}")
_P_CAUCHY_ = _Parser("cauchy_", f"float median = 0, float sigma = 1, {_KWGEN}")
_P_T_BERNOULLI = _Parser("bernoulli", _KWGEN, f"float p, {_KWGEN}")
_P_T_MULTINOMIAL = _Parser("multinomial", "int num_samples, bool replacement = False, "
                           f"{_KWGEN}")


# ---- argument values ----------------------------------------------------------------------------

def _int(v):
    return int(v.item()) if isinstance(v, Tensor) else int(v)


def _float(v):
    return float(v.item()) if isinstance(v, Tensor) else float(v)


def _size(name, size):
    """A parsed `tuple of ints` as a shape, with torch's errors for later elements and
    negative sizes."""
    if all(v.__class__ is int and v >= 0 for v in size):
        return tuple(size)
    out = []
    for i, v in enumerate(size):
        if isinstance(v, Tensor) and v.numel() == 1 and not v.dtype.is_floating_point:
            v = v.item()
        if not isinstance(v, (numbers.Integral, np.integer)):
            raise TypeError(f"{name}(): argument 'size' failed to unpack the object at pos {i + 1} "
                            f"with error \"type must be tuple of ints,but got {_tp_name(v)}\"")
        out.append(int(v))
    for v in out:
        if v < 0:
            raise RuntimeError(f"Trying to create tensor with negative dimension {v}: {out}")
    return tuple(out)


def _g(x):
    """A double as C++ streams print it in torch's messages (6 significant digits)."""
    return f"{x:g}"


_CPP = {"float16": "c10::Half", "float32": "float", "float64": "double",
        "bfloat16": "c10::BFloat16",
        "complex64": "c10::complex<float>", "complex128": "c10::complex<double>",
        "int8": "signed char", "int16": "short int", "int32": "int", "int64": "long int",
        "uint8": "unsigned char", "bool": "bool"}


def _type_name(dtype):
    """torch's ScalarType name ('Float', 'Long', 'ComplexFloat', ...)."""
    return {"float32": "Float", "float64": "Double", "float16": "Half", "int64": "Long",
            "int32": "Int", "int16": "Short", "int8": "Char", "uint8": "Byte", "bool": "Bool",
            "complex64": "ComplexFloat", "complex128": "ComplexDouble"}.get(dtype.name,
                                                                           dtype.name)


def _not_implemented(kernel, dtype):
    return NotImplementedError(f'"{kernel}" not implemented for \'{_type_name(dtype)}\'')


def _check_float(dtype, kernel):
    if not dtype.is_floating_point:
        raise _not_implemented(kernel, dtype)


def _gen(generator):
    return R.default_generator if generator is None else generator


_GRAD_DTYPE = "Only Tensors of floating point and complex dtype can require gradients"


def _set_requires_grad(t, requires_grad):
    if requires_grad:
        if not (t.dtype.is_floating_point or t.dtype.is_complex):
            raise RuntimeError(_GRAD_DTYPE)
        t.requires_grad_(True)
    return t


# ---- writing draws into tensors -----------------------------------------------------------------

def _write(t, produce):
    """Fill tensor t by `produce(flat)` (draw order = t's memory order) and bump its version."""
    data = t._data
    if t.is_meta:  # no data to draw into; torch's generator does not advance either
        t._bump()
        return t
    if data.__class__ is np.ndarray:
        R.write(data, produce)
    else:  # a device array: drawn on the host in its memory order, then copied
        axes = R.memory_axes(data)
        values = produce(np.empty(data.size, data.dtype))
        values = values.reshape([data.shape[a] for a in axes]).transpose(np.argsort(axes))
        data[...] = t.device.xp.asarray(values)
    t._bump()
    return t


def _write_real(t, produce):
    """Complex tensors draw into torch's view_as_real: (re, im) pairs in memory order."""
    def pairs(out):
        real = produce(np.empty(2 * out.size, out.real.dtype))
        out[...] = real.view(out.dtype)
        return out
    return _write(t, pairs)


def _dense(t):
    data = t._data
    return data.flags.c_contiguous or data.size <= 1


def _new(shape, dtype, out, default=None):
    """The tensor a factory draws into: a new one (of `dtype`, else `default`, else the default
    dtype), or `out` (dtype checked, resized)."""
    if out is None:
        dt = (dtype or default or D.get_default_dtype()).np
        try:
            return _wrap(np.empty(shape, dt))
        except _NUMPY_ERRORS as e:  # torch's allocation errors
            raise creation_error(e, shape, dt) from None
    if dtype is not None and out.dtype is not dtype:
        raise RuntimeError(f"dtype {dtype._legacy[:-6]} does not match dtype of out parameter "
                           f"({out.dtype._legacy[:-6]})")
    if _gm._enabled[0] and out._rg:
        raise RuntimeError("cannot resize variables that require grad")
    if tuple(out.shape) != tuple(shape):
        v = out._vc[0]
        out.resize_(shape)
        out._vc[0] = v
    return out


def _empty(shape, dtype, device):
    """An uninitialised row-major tensor on `device` (values are drawn on the host anyway)."""
    t = _wrap(np.empty(shape, dtype.np))
    return t if device.type == "cpu" else _wrap(to_device(t._data, device))


def _on(t, device):
    return t if device.type == "cpu" else _wrap(to_device(t._data, device))


def _finish(t, out, device, requires_grad):
    """A new tensor moved to `device`; requires_grad set last (after the draw, as torch)."""
    if out is None and device is not None:
        dev = as_device(device)
        if dev.type != "cpu":
            t = _wrap(to_device(t._data, dev))
    return _set_requires_grad(t, requires_grad)


def _factory(name, a, shape, fill, default=None):
    """The shared body of rand/randn/randint/randperm/normal(size=): layout and pin_memory
    honoured or refused, `out=` or a new tensor, filled, moved, requires_grad set."""
    if a["layout"] is not None or a["pin_memory"]:
        check_factory("torch." + name, a["layout"], a["pin_memory"])
    out, device = a["out"], a["device"]
    if out is not None and device is not None and as_device(device).type != out.device.type:
        raise RuntimeError(f"device type {as_device(device).type} does not match device type of "
                           f"out parameter ({out.device.type})")
    if out is None and device is None and _default and name != "normal":
        device = _default[-1]  # `torch.device` default (torch's normal(float, float) ignores it)
    if out is None and device is not None:
        if as_device(device).type == "meta":  # shape and dtype only: nothing is drawn
            dt = (a["dtype"] or default or D.get_default_dtype()).np
            return _set_requires_grad(_wrap(_meta.empty(shape, dt)), a["requires_grad"])
    t = _new(shape, a["dtype"], out, default)
    fill(t)
    return _finish(t, out, device, a["requires_grad"])


def _like(input, a):
    """empty_like(input, ...) as torch's *_like factories make it (layout kept)."""
    from .creation import empty_like
    if a["layout"] is not None or a["pin_memory"]:
        check_factory("torch.empty_like", a["layout"], a["pin_memory"])
    return empty_like(input, dtype=a["dtype"], device=a["device"],
                      memory_format=a["memory_format"])


# ---- uniform ------------------------------------------------------------------------------------

def _uniform(self, a, b, gen):
    """Tensor.uniform_(a, b) once the arguments are parsed."""
    dt = self.dtype
    if dt.is_complex:
        rd = D.float32 if dt is D.complex64 else D.float64
        _check_uniform_bounds(rd, a, b)
        return _write_real(self, lambda out: R.uniform_values(gen, out.size, out.dtype, a, b,
                                                              out))
    _check_float(dt, "check_uniform_bounds")
    _check_uniform_bounds(dt, a, b)
    return _write(self, lambda out: R.uniform_values(gen, out.size, out.dtype, a, b, out))


def _check_uniform_bounds(dt, a, b):
    info = np.finfo(dt.np)
    for name, v in (("from", a), ("to", b)):
        if not float(info.min) <= v <= float(info.max):
            raise RuntimeError(f"{name} is out of bounds for {_CPP[dt.name]}")
    if a > b:
        raise RuntimeError(f"uniform_ expects to return a [from, to) range, but found "
                           f"from={_g(a)} > to={_g(b)}")
    if b - a > float(info.max):
        raise RuntimeError(f"uniform_ expects to-from <= std::numeric_limits<{_type_name(dt)}>"
                           f"::max(), but found to={_g(b)} and from={_g(a)} which result in "
                           f"to-from to exceed the limit")


def _uniform_(self, *args, **kwargs):
    """Matches torch.Tensor.uniform_."""
    _, a = _P_UNIFORM_.parse(args, kwargs)
    _check_inplace(self)
    return _replaced(self, "UniformBackward0", lambda: _uniform(
        self, _float(a["from"]), _float(a["to"]), _gen(a.get("generator"))))


_NO_SIZE = object()


def rand(*args, size=_NO_SIZE, **kwargs):
    """Matches torch.rand."""
    if size is not _NO_SIZE:  # spelled out so that no generic size= wrapper stands in front
        kwargs["size"] = size
    _, a = _P_RAND.parse(args, kwargs)
    gen = _gen(a.get("generator"))
    return _factory("rand", a, _size("rand", a["size"]), lambda t: _uniform(t, 0.0, 1.0, gen))


def rand_like(*args, **kwargs):
    """Matches torch.rand_like."""
    _, a = _P_RAND_LIKE.parse(args, kwargs)
    t = _uniform(_like(a["input"], a), 0.0, 1.0, _gen(a.get("generator")))
    return _set_requires_grad(t, a["requires_grad"])


# ---- normal -------------------------------------------------------------------------------------

def _normal(self, mean, std, gen):
    """Tensor.normal_(mean, std) once the arguments are parsed."""
    if not std >= 0.0:
        raise RuntimeError(f"normal expects std >= 0.0, but found std {_g(std)}")
    dt = self.dtype
    if self.numel() == 0:
        return self
    dense = _dense(self)
    if dt.is_complex:  # real and imaginary parts each get half the variance
        s = std / math.sqrt(2.0)
        return _write_real(self, lambda out: R.normal_draw(gen, out.size, out.dtype, dense,
                                                           mean, s, out))
    _check_float(dt, "normal_kernel_cpu")
    return _write(self, lambda out: R.normal_draw(gen, out.size, out.dtype, dense, mean, std,
                                                  out))


def _normal_(self, *args, **kwargs):
    """Matches torch.Tensor.normal_."""
    _, a = _P_NORMAL_.parse(args, kwargs)
    _check_inplace(self)
    return _replaced(self, "NormalBackward0", lambda: _normal(
        self, _float(a["mean"]), _float(a["std"]), _gen(a.get("generator"))))


def randn(*args, size=_NO_SIZE, **kwargs):
    """Matches torch.randn."""
    if size is not _NO_SIZE:
        kwargs["size"] = size
    _, a = _P_RANDN.parse(args, kwargs)
    gen = _gen(a.get("generator"))
    return _factory("randn", a, _size("randn", a["size"]), lambda t: _normal(t, 0.0, 1.0, gen))


def randn_like(*args, **kwargs):
    """Matches torch.randn_like."""
    _, a = _P_RANDN_LIKE.parse(args, kwargs)
    t = _normal(_like(a["input"], a), 0.0, 1.0, _gen(a.get("generator")))
    return _set_requires_grad(t, a["requires_grad"])


class _ZeroGrad(Op):
    """The node of a sampling op whose inputs get a zero gradient (torch's formulas for
    normal, bernoulli(p tensor) and poisson); forward passes the drawn values through."""

    def forward(ctx, *arrays, values):
        return values

    def backward(ctx, grad):
        from .creation import zeros
        return tuple(None if m is None else zeros(m[0], dtype=m[1]) for m in ctx._in_meta)


class _Normal1(_ZeroGrad):
    _name = "NormalBackward1"


class _Normal2(_ZeroGrad):
    _name = "NormalBackward2"


class _Normal3(_ZeroGrad):
    _name = "NormalBackward3"


class _Bernoulli0(_ZeroGrad):
    _name = "BernoulliBackward0"


class _Poisson0(_ZeroGrad):
    _name = "PoissonBackward0"


class _NotImplemented(Op):
    _name = "torch::autograd::NotImplemented"

    def forward(ctx, x, values, op):
        ctx.op = op
        return values

    def backward(ctx, grad):
        raise RuntimeError(f"derivative for aten::{ctx.op} is not implemented")


def _graph(node, inputs, result):
    """Attach `node` over the tensor inputs when one of them requires grad."""
    if _gm._enabled[0] and any(isinstance(x, Tensor) and x._rg for x in inputs):
        arrays = [x._data if isinstance(x, Tensor) else None for x in inputs]
        return node.run(tuple(inputs), arrays, {"values": result._data})
    return result


def _resize_output(out, shape, name):
    """torch's resize_output: a wrong-shaped out= is resized, with the deprecation warning when
    it had elements."""
    from .inplace import _RESIZED
    if tuple(out.shape) != tuple(shape):
        if out.numel():
            warnings.warn(_RESIZED.format(list(out.shape), list(shape)), UserWarning,
                          stacklevel=user_stacklevel())
        v = out._vc[0]
        out.resize_(shape)
        out._vc[0] = v


def normal(*args, **kwargs):
    """Matches torch.normal (tensor/tensor, tensor/float, float/tensor, float/float + size)."""
    i, a = _P_NORMAL.parse(args, kwargs)
    gen, out = _gen(a.get("generator")), a["out"]
    mean, std = a["mean"], a["std"]
    if i == 3:
        mean, std = _float(mean), _float(std)
        return _factory("normal", a, _size("normal", a["size"]),
                        lambda t: _normal(t, mean, std, gen))
    if out is not None and _gm._enabled[0] and (out._rg or any(
            isinstance(x, Tensor) and x._rg for x in (mean, std))):
        raise RuntimeError("normal(): functions with out=... arguments don't support automatic "
                           "differentiation, but one of the arguments requires grad.")
    if i == 1:  # Tensor mean, float std
        std = _float(std)
        if not std >= 0.0:
            raise RuntimeError(f"normal expects std >= 0.0, but found std {_g(std)}")
        res = out if out is not None else _empty(mean._data.shape, mean.dtype, mean.device)
        shape = _infer_size(mean.shape, res.shape)
        if out is not None:
            _resize_output(out, shape, "normal")
        _normal(res, 0.0, std, gen)
        with _gm.no_grad():
            res.add_(mean)
        return res if out is not None else _graph(_Normal1, (mean, None), res)
    if std.numel() and not std._data.min() >= 0:
        raise RuntimeError("normal expects all elements of std >= 0.0")
    if i == 2:  # float mean, Tensor std
        mean = _float(mean)
        shape = tuple(std.shape)
        ref = std
    else:
        shape = _infer_size(mean.shape, std.shape)
        ref = mean
    if out is not None:
        _resize_output(out, shape, "normal")
        res = out
    else:
        res = _empty(shape, ref.dtype, ref.device)
    _normal(res, 0.0, 1.0, gen)
    with _gm.no_grad():
        res.mul_(std).add_(mean)
    if out is not None:
        return res
    return _graph(_Normal2, (None, std), res) if i == 2 else \
        _graph(_Normal3, (mean, std), res)


def _infer_size(a, b):
    try:
        return np.broadcast_shapes(tuple(a), tuple(b))
    except ValueError:
        from ._util import broadcast_error
        raise broadcast_error(np.empty(tuple(a), np.bool_), np.empty(tuple(b), np.bool_)) \
            from None


# ---- integers -----------------------------------------------------------------------------------

def _int_bounds(dtype):
    if dtype.is_bool:
        return 0, 1
    if dtype.is_floating_point:
        info = np.finfo(dtype.np)
        return float(info.min), float(info.max)
    info = np.iinfo(dtype.np)
    return int(info.min), int(info.max)


_PRECISION = ("{} is out of bounds [-(2^{}), 2^{}]. Due to precision limitations {} can support "
              "discrete uniform distribution only within this range. This warning will become "
              "an error in version 1.7 release, please fix the code in advance")


def _check_from_to(dtype, frm, to_inc):
    if dtype.is_complex:
        raise RuntimeError("check_random_bounds handles only integral, floating-point and "
                           "boolean types")
    lo, hi = _int_bounds(dtype)
    for name, v in (("from", frm), ("to - 1", to_inc)):
        if not lo <= v <= hi:
            raise RuntimeError(f"{name} is out of bounds for {_CPP[dtype.name]}")
    if dtype.is_floating_point:
        digits = np.finfo(dtype.np).nmant + 1
        for name, v in (("from", frm), ("to - 1", to_inc)):
            if not -(1 << digits) <= v <= (1 << digits):
                warnings.warn(_PRECISION.format(name, digits, digits, _CPP[dtype.name]),
                              UserWarning, stacklevel=user_stacklevel())


def _random(self, sig, frm, to, gen):
    """Tensor.random_ once parsed: sig 0 random_(), 1 random_(from, to|None), 2 random_(to)."""
    dt, npd = self.dtype, self.dtype.np
    if sig == 0:
        if dt.is_complex:
            raise _not_implemented("random_kernel_cpu", dt)
        return _write(self, lambda out: R.random_default_values(gen, out.size, npd, out))
    if sig == 2:
        frm = 0
    if to is not None:
        if frm >= to:
            raise RuntimeError(f"random_ expects 'from' to be less than 'to', but got "
                               f"from={frm} >= to={to}")
        if dt.is_floating_point:
            frm, to = R.float_bounds(frm, to, npd)
            if frm >= to:
                raise RuntimeError(f"random_ expects 'from' casted to dtype to be less than 'to' "
                                   f"casted to dtype, but got from={frm} >= to={to}")
        _check_from_to(dt, frm, to - 1)
        if self.numel() == 0:
            return self
        return _write(self, lambda out: R.randint_values(gen, out.size, frm, to, npd, out))
    if frm != -(1 << 63):
        if dt.is_floating_point:
            to_inc = min(1 << (np.finfo(npd).nmant + 1), (1 << 63) - 1)
            frm = R.float_bounds(frm, None, npd)[0]
            if not frm < to_inc:
                raise RuntimeError(f"random_ expects 'from' casted to dtype to be less than or "
                                   f"equal to 'to_inc' casted to dtype, but got from={frm} > "
                                   f"to_inc={to_inc}")
        elif dt.is_complex:
            raise RuntimeError("random_from_to_impl handles only integral, floating-point and "
                               "boolean types")
        else:
            to_inc = _int_bounds(dt)[1]
        _check_from_to(dt, frm, to_inc)
        if self.numel() == 0:
            return self
        return _write(self, lambda out: R.randint_values(gen, out.size, frm, to_inc + 1, npd,
                                                         out))
    if self.numel() == 0:
        return self
    if dt not in (D.int64, D.float64, D.float32):
        raise RuntimeError("random_full_64_bits_range_kernel_cpu handles only int64, double, "
                           "float and bfloat16")
    return _write(self, lambda out: R.random_full_values(gen, out.size, npd, out))


def _random_(self, *args, **kwargs):
    """Matches torch.Tensor.random_: random_(), random_(to), random_(from, to|None)."""
    sig, a = _P_RANDOM_.parse(args, kwargs)
    _check_inplace(self)
    frm = _int(a["from"]) if sig == 1 else None
    to = None if a.get("to") is None else _int(a["to"])
    return _replaced(self, ("RandomBackward2", "RandomBackward0", "RandomBackward1")[sig],
                   lambda: _random(self, sig, frm, to, _gen(a.get("generator"))))


def randint(*args, **kwargs):
    """Matches torch.randint: randint(high, size) or randint(low, high, size)."""
    sig, a = _P_RANDINT.parse(args, kwargs)
    low = _int(a["low"]) if sig >= 2 else 0
    high = _int(a["high"])
    for v in (low, high):
        if not -(1 << 63) <= v < (1 << 63):
            raise ValueError("Overflow when unpacking long long")
    gen = _gen(a.get("generator"))
    return _factory("randint", a, _size("randint", a["size"]),
                    lambda t: _random(t, 1, low, high, gen), D.int64)


def randint_like(*args, **kwargs):
    """Matches torch.randint_like: randint_like(input, high) or (input, low, high)."""
    sig, a = _P_RANDINT_LIKE.parse(args, kwargs)
    high = a["high"]
    if sig in (2, 3):
        if high.dim() != 0 or high.device.type != "cpu":
            raise RuntimeError("high must be a scalar tensor and on CPU")
    low = _int(a["low"]) if sig < 2 else 0
    high = _int(high)
    t = _random(_like(a["input"], a), 1, low, high, _gen(a.get("generator")))
    return _set_requires_grad(t, a["requires_grad"])


_PERM_LIMIT = {"float16": "2049", "float32": "2^24+1", "float64": "2^53+1"}
_INT_T = {"int8": "int8_t", "uint8": "uint8_t", "int16": "int16_t", "int32": "int32_t",
          "int64": "int64_t"}


def randperm(*args, **kwargs):
    """Matches torch.randperm."""
    _, a = _P_RANDPERM.parse(args, kwargs)
    n = _int(a["n"])
    dtype = a["dtype"] or (a["out"].dtype if a["out"] is not None else D.int64)
    shape = _size("randperm", (n,))
    if dtype.is_bool or dtype.is_complex:
        raise _not_implemented("randperm", dtype)
    if dtype.is_floating_point:
        limit = {"float16": 2049, "float32": 2 ** 24 + 1, "float64": 2 ** 53 + 1,
                 "bfloat16": math.inf}[dtype.name]  # torch has no bfloat16 limit
        if n > limit:
            raise RuntimeError(f"n cannot be greater than {_PERM_LIMIT[dtype.name]} for "
                               f"{_type_name(dtype)} type.")
    elif n - 1 > np.iinfo(dtype.np).max:
        raise RuntimeError(f"value cannot be converted to type {_INT_T[dtype.name]} without "
                           f"overflow")
    gen = _gen(a.get("generator"))
    if a["out"] is not None and _gm._enabled[0] and a["out"]._rg:
        raise RuntimeError("aten::randperm(): functions with out=... arguments don't support "
                           "automatic differentiation, but one of the arguments requires grad.")

    def fill(t):
        values = R.randperm_values(gen, n)
        return _write(t, lambda out: _assign(out, values))
    return _factory("randperm", a, shape, fill, D.int64)


def _assign(out, values):
    out[...] = values
    return out


# ---- Bernoulli and friends ----------------------------------------------------------------------

def _bernoulli_p(self, p, gen):
    """Tensor.bernoulli_(p: float)."""
    if not 0 <= p <= 1:
        raise RuntimeError(f"bernoulli_ expects p to be in [0, 1], but got p={_g(p)}")
    if self.dtype.is_complex:
        raise _not_implemented("bernoulli_scalar_cpu_", self.dtype)
    return _write(self, lambda out: R.bernoulli_scalar_values(gen, out.size, p, out))


_P_RANGE = ("Expected p_in >= 0 && p_in <= 1 to be true, but got false.  (Could this error "
            "message be improved?  If so, please report an enhancement request to PyTorch.)")


def _bernoulli_t(self, p, gen):
    """Tensor.bernoulli_(p: Tensor): p broadcast to self, read in self's memory order."""
    if not p.dtype.is_floating_point:
        raise _not_implemented("bernoulli_tensor_cpu_p_", p.dtype)
    shape = tuple(self.shape)
    probs = to_host(p._data if tuple(p.shape) == shape else p.expand(shape)._data)
    data = self._data
    axes = R.memory_axes(data if data.__class__ is np.ndarray else np.empty(shape))
    flat = np.ascontiguousarray(probs.transpose(axes)).reshape(-1)
    bad = np.flatnonzero(~((flat >= 0) & (flat <= 1)))
    if bad.size:  # torch draws element by element and stops at the first bad probability
        R.bernoulli_tensor_values(gen, flat[:bad[0]])
        raise RuntimeError(_P_RANGE)
    return _write(self, lambda out: R.bernoulli_tensor_values(gen, flat, out))


def _bernoulli_(self, *args, **kwargs):
    """Matches torch.Tensor.bernoulli_ (float p: a 53-bit uniform < p; tensor p: see
    bernoulli)."""
    sig, a = _P_BERNOULLI_.parse(args, kwargs)
    _check_inplace(self)
    gen = _gen(a.get("generator"))
    if sig == 0:
        return _replaced(self, "BernoulliBackward1", lambda: _bernoulli_t(self, a["p"], gen))
    return _replaced(self, "BernoulliBackward2", lambda: _bernoulli_p(self, _float(a["p"]), gen))


def bernoulli(*args, **kwargs):
    """Matches torch.bernoulli (probabilities in `input`, or a float `p`)."""
    sig, a = _P_BERNOULLI.parse(args, kwargs)
    return _bernoulli(sig, a["input"], a.get("p"), _gen(a.get("generator")), a.get("out"))


def _bernoulli(sig, input, p, gen, out):
    if sig == 1:  # a contiguous empty_like(input), then bernoulli_(p)
        res = _bernoulli_p(_empty(input._data.shape, input.dtype, input.device), _float(p), gen)
        if _gm._enabled[0] and input._rg:
            return _NotImplemented.run((input, None, None), (input._data, res._data,
                                                             "bernoulli"), {})
        return res
    if out is not None:
        if _gm._enabled[0] and (out._rg or input._rg):
            raise RuntimeError("bernoulli(): functions with out=... arguments don't support "
                               "automatic differentiation, but one of the arguments requires "
                               "grad.")
        if tuple(out.shape) != tuple(input.shape):
            v = out._vc[0]
            out.resize_(tuple(input.shape))
            out._vc[0] = v
        return _bernoulli_t(out, input, gen)
    res = _bernoulli_t(_empty(input._data.shape, input.dtype, input.device), input, gen)
    return _graph(_Bernoulli0, (input,), res)


def _tensor_bernoulli(self, *args, **kwargs):
    """Matches torch.Tensor.bernoulli."""
    sig, a = _P_T_BERNOULLI.parse(args, kwargs)
    return _bernoulli(sig, self, a.get("p"), _gen(a.get("generator")), None)


def _exponential_(self, *args, **kwargs):
    """Matches torch.Tensor.exponential_: -1/lambda * log1p(-u) in double."""
    _, a = _P_EXPONENTIAL_.parse(args, kwargs)
    _check_inplace(self)
    lambd = _float(a["lambd"])
    if not lambd > 0.0:
        raise RuntimeError(f"exponential_ expects lambda > 0.0, but found lambda={_g(lambd)}")
    if not self.dtype.is_floating_point:
        raise RuntimeError(f"Exponential distribution is a continuous probability distribution. "
                           f"dtype must be a floating point but you specified "
                           f"{_type_name(self.dtype)}")
    gen = _gen(a.get("generator"))
    return _replaced(self, "ExponentialBackward0", lambda: _write(
        self, lambda out: _assign(out, R.exponential_values(gen, out.size, lambd))))


def _geometric_(self, *args, **kwargs):
    """Matches torch.Tensor.geometric_."""
    _, a = _P_GEOMETRIC_.parse(args, kwargs)
    _check_inplace(self)
    p = _float(a["p"])
    if not 0 < p < 1:
        raise RuntimeError(f"geometric_ expects p to be in (0, 1), but got p={_g(p)}")
    if self.dtype is D.bool_:
        raise _not_implemented("geometric_cpu", self.dtype)
    gen = _gen(a.get("generator"))
    return _replaced(self, "GeometricBackward0", lambda: _write(
        self, lambda out: _assign(out, R.geometric_values(gen, out.size, p))))


def _log_normal_(self, *args, **kwargs):
    """Matches torch.Tensor.log_normal_ (uses and refills the cached scalar normal)."""
    _, a = _P_LOG_NORMAL_.parse(args, kwargs)
    _check_inplace(self)
    mean, std = _float(a["mean"]), _float(a["std"])
    if not std > 0.0:
        raise RuntimeError(f"log_normal_ expects std > 0.0, but found std={_g(std)}")
    _check_float(self.dtype, "log_normal_cpu")
    gen = _gen(a.get("generator"))
    return _replaced(self, "LogNormalBackward0", lambda: _write(
        self, lambda out: _assign(out, R.log_normal_values(gen, out.size, mean, std))))


def _cauchy_(self, *args, **kwargs):
    """Matches torch.Tensor.cauchy_."""
    _, a = _P_CAUCHY_.parse(args, kwargs)
    _check_inplace(self)
    median, sigma = _float(a["median"]), _float(a["sigma"])
    if not sigma > 0.0:
        raise RuntimeError(f"cauchy_ expects sigma > 0.0, but found sigma={_g(sigma)}")
    if not self.dtype.is_floating_point:
        raise RuntimeError(f"Cauchy distribution is a continuous probability distribution. "
                           f"dtype must be a floating point but you specified "
                           f"{_CPP[self.dtype.name]}")
    gen = _gen(a.get("generator"))
    return _replaced(self, "CauchyBackward0", lambda: _write(
        self, lambda out: _assign(out, R.cauchy_values(gen, out.size, median, sigma))))


def multinomial(*args, **kwargs):
    """Matches torch.multinomial."""
    _, a = _P_MULTINOMIAL.parse(args, kwargs)
    return _multinomial(a["input"], _int(a["num_samples"]), a["replacement"],
                        _gen(a.get("generator")), a["out"])


def _tensor_multinomial(self, *args, **kwargs):
    """Matches torch.Tensor.multinomial."""
    _, a = _P_T_MULTINOMIAL.parse(args, kwargs)
    return _multinomial(self, _int(a["num_samples"]), a["replacement"], _gen(a.get("generator")),
                        None)


def _multinomial(input, num_samples, replacement, gen, out):
    if out is not None and out.dtype is not D.int64:
        raise RuntimeError(f"multinomial expects Long tensor out, got: "
                           f"{_type_name(out.dtype)}")
    if input.dim() not in (1, 2):
        raise RuntimeError("prob_dist must be 1 or 2 dim")
    if not input.dtype.is_floating_point:
        raise RuntimeError(f"multinomial only supports floating-point dtypes for input, got: "
                           f"{_type_name(input.dtype)}")
    if num_samples <= 0:
        raise RuntimeError("cannot sample n_sample <= 0 samples")
    data = to_host(input._data)
    probs = data.reshape(-1, input.shape[-1]) if input.dim() == 2 else data[None]
    cats = probs.shape[1]
    if not replacement and num_samples > cats:
        raise RuntimeError("cannot sample n_sample > prob_dist.size(-1) samples without "
                           "replacement")
    if (probs < 0).any() or not np.isfinite(probs).all():
        raise RuntimeError("probability tensor contains either `inf`, `nan` or element < 0")
    positive = (probs > 0).sum(axis=1)
    if (positive == 0).any():
        raise RuntimeError("invalid multinomial distribution (sum of probabilities <= 0)")
    if not replacement and (positive < num_samples).any():
        raise RuntimeError("invalid multinomial distribution (with replacement=False, not "
                           "enough non-negative category to sample)")
    idx = R.multinomial_values(gen, np.ascontiguousarray(probs), num_samples, replacement)
    res = _on(_wrap(idx if input.dim() == 2 else idx[0]), input.device)
    if out is None:
        return res
    if tuple(out.shape) != tuple(res.shape):
        v = out._vc[0]
        out.resize_(tuple(res.shape))
        out._vc[0] = v
    out._data[...] = res._data
    out._bump()
    return out


def poisson(*args, **kwargs):
    """Matches torch.poisson."""
    _, a = _P_POISSON.parse(args, kwargs)
    input = a["input"]
    if not input.dtype.is_floating_point:
        raise _not_implemented("poisson_cpu", input.dtype)
    rates, gen = to_host(input._data), _gen(a.get("generator"))
    bad = np.flatnonzero(~(rates.reshape(-1) >= 0))
    if bad.size:  # torch samples element by element and stops at the first bad rate
        R.poisson_values(gen, rates.reshape(-1)[:bad[0]])
        raise RuntimeError("invalid Poisson rate, expected rate to be non-negative")
    values = R.poisson_values(gen, rates)
    res = _on(_wrap(values.astype(input.dtype.np).reshape(rates.shape)), input.device)
    return _graph(_Poisson0, (input,), res)
