"""Random sampling with torch's signatures: rand/randn/randint/randperm/normal/bernoulli/
multinomial/poisson and the in-place Tensor methods (uniform_, normal_, random_, ...).

Each function validates its arguments, then asks `_random` for the values torch would draw and
writes them into the tensor's array in memory order. Values are always drawn on the host from
ember's CPU generator; a CUDA tensor receives a copy (torch's CUDA streams differ anyway).
"""

import numpy as np

from .. import _dtype as D
from .. import _random as R
from .._device import as_device, to_device
from .._tensor import Tensor, _check_inplace, _wrap
from ._util import size_args

__all__ = ["rand", "rand_like", "randn", "randn_like", "randint", "randint_like", "randperm",
           "normal", "bernoulli", "multinomial", "poisson"]


# ---- plumbing -----------------------------------------------------------------------------------

def _gen(generator):
    return R.default_generator if generator is None else generator


def _write(t, values):
    """Store flat values (draw order) into tensor t in memory order and bump its version."""
    data = t._data
    if isinstance(data, np.ndarray):
        R.fill(data, values.astype(data.dtype, copy=False))
    else:
        data[...] = t.device.xp.asarray(values.reshape(data.shape)).astype(data.dtype)
    t._bump()
    return t


def _host_view(t):
    """An array with t's shape, strides order and dtype for deciding the normal path."""
    data = t._data
    return data if isinstance(data, np.ndarray) else np.empty(data.shape, data.dtype)


def _make(shape, dtype, device, requires_grad, out, fill):
    """A new tensor of `shape` filled by fill(tensor), or the same written into `out`."""
    if out is not None:
        if dtype is not None and out.dtype is not dtype:
            raise RuntimeError(f"dtype {dtype} does not match dtype of out parameter "
                               f"({out.dtype})")
        if tuple(out.shape) != tuple(shape):
            out._data = np.empty(shape, out.dtype.np)
        fill(out)
        return out
    dtype = dtype or D.get_default_dtype()
    t = _wrap(np.empty(shape, dtype.np))
    fill(t)
    dev = as_device(device) if device is not None else None
    if dev is not None and dev.type != "cpu":
        t = _wrap(to_device(t._data, dev))
    if requires_grad:
        t.requires_grad_(True)
    return t


def _like(input, dtype, device):
    return (dtype or input.dtype), (device if device is not None else input.device)


def _check_float(dtype, name):
    if not dtype.is_floating_point:
        raise RuntimeError(f'"{name}" not implemented for \'{_type_name(dtype)}\'')


def _type_name(dtype):
    return {"float32": "Float", "float64": "Double", "float16": "Half", "int64": "Long",
            "int32": "Int", "int16": "Short", "int8": "Char", "uint8": "Byte",
            "bool": "Bool"}.get(dtype.name, dtype.name)


# ---- uniform ------------------------------------------------------------------------------------

def _uniform_(self, from_=0.0, to=1.0, *, generator=None, **kwargs):
    """Matches torch.Tensor.uniform_."""
    from_, to = kwargs.pop("from", from_), to
    _check_inplace(self)
    _check_float(self.dtype, "check_uniform_bounds")
    info = np.finfo(self.dtype.np)
    for name, v in (("from", from_), ("to", to)):
        if not info.min <= v <= info.max:
            raise RuntimeError(f"{name} is out of bounds for {self.dtype}")
    if from_ > to:
        raise RuntimeError(f"uniform_ expects to return a [from, to) range, but found "
                           f"from={from_} > to={to}")
    values = R.uniform_values(_gen(generator), self.numel(), self.dtype.np, from_, to)
    return _write(self, values)


def rand(*size, generator=None, out=None, dtype=None, layout=None, device=None,
         requires_grad=False, pin_memory=False):
    """Matches torch.rand."""
    shape = size_args(size)
    if dtype is not None:
        _check_float(dtype, "check_uniform_bounds")
    return _make(shape, dtype, device, requires_grad, out,
                 lambda t: _uniform_(t, generator=generator))


def rand_like(input, *, generator=None, dtype=None, layout=None, device=None,
              requires_grad=False, memory_format=None):
    """Matches torch.rand_like."""
    dtype, device = _like(input, dtype, device)
    return rand(tuple(input.shape), generator=generator, dtype=dtype, device=device,
                requires_grad=requires_grad)


# ---- normal -------------------------------------------------------------------------------------

def _normal_(self, mean=0.0, std=1.0, *, generator=None):
    """Matches torch.Tensor.normal_."""
    _check_inplace(self)
    _check_float(self.dtype, "normal_kernel_cpu")
    if std < 0.0:
        raise RuntimeError(f"normal expects std >= 0.0, but found std {std}")
    if self.numel() == 0:
        return self
    values = R.normal_values(_gen(generator), _host_view(self), mean, std)
    return _write(self, values)


def randn(*size, generator=None, out=None, dtype=None, layout=None, device=None,
          requires_grad=False, pin_memory=False):
    """Matches torch.randn."""
    shape = size_args(size)
    if dtype is not None:
        _check_float(dtype, "normal_kernel_cpu")
    return _make(shape, dtype, device, requires_grad, out,
                 lambda t: _normal_(t, generator=generator))


def randn_like(input, *, generator=None, dtype=None, layout=None, device=None,
               requires_grad=False, memory_format=None):
    """Matches torch.randn_like."""
    dtype, device = _like(input, dtype, device)
    return randn(tuple(input.shape), generator=generator, dtype=dtype, device=device,
                 requires_grad=requires_grad)


def normal(mean=0.0, std=1.0, size=None, *, generator=None, out=None, dtype=None, layout=None,
           device=None, requires_grad=False, pin_memory=False):
    """Matches torch.normal (tensor/tensor, tensor/float, float/tensor, float/float + size)."""
    mean_t, std_t = isinstance(mean, Tensor), isinstance(std, Tensor)
    if not mean_t and not std_t:
        if size is None:
            raise TypeError("normal() missing required argument 'size' when mean and std are "
                            "floats")
        return _make(size_args((size,)), dtype, device, requires_grad, out,
                     lambda t: _normal_(t, mean, std, generator=generator))
    if std_t and std.numel() and float(std._data.min()) < 0:
        raise RuntimeError("normal expects all elements of std >= 0.0")
    if mean_t and not std_t:
        if std < 0.0:
            raise RuntimeError(f"normal expects std >= 0.0, but found std {std}")
        res = _make(tuple(mean.shape), mean.dtype, None, False, out,
                    lambda t: _normal_(t, 0.0, std, generator=generator))
        return _finish(res, res._data + mean._data.astype(res.dtype.np))
    ref = mean if mean_t else std
    shape = np.broadcast_shapes(mean.shape, std.shape) if mean_t else tuple(std.shape)
    res = _make(shape, ref.dtype, None, False, out,
                lambda t: _normal_(t, generator=generator))
    m = mean._data if mean_t else mean
    z = res._data * std._data.astype(res.dtype.np)  # torch: output.mul_(std).add_(mean)
    return _finish(res, z + np.asarray(m).astype(res.dtype.np))


def _finish(res, values):
    res._data[...] = values
    return res


# ---- integers -----------------------------------------------------------------------------------

def _int_bounds(dtype):
    if dtype.is_bool:
        return 0, 1
    if dtype.is_floating_point:
        info = np.finfo(dtype.np)
        return float(info.min), float(info.max)
    info = np.iinfo(dtype.np)
    return int(info.min), int(info.max)


_MISSING = object()


def _random_(self, from_=None, to=_MISSING, *, generator=None, **kwargs):
    """Matches torch.Tensor.random_: random_(), random_(to), random_(from, to|None)."""
    from_ = kwargs.pop("from", from_)
    _check_inplace(self)
    gen, n, npd, dtype = _gen(generator), self.numel(), self.dtype.np, self.dtype
    if from_ is None and to in (None, _MISSING):
        return _write(self, R.random_default_values(gen, n, npd))
    if to is _MISSING:
        from_, to = 0, from_  # random_(to)
    from_, to = int(from_), None if to is None else int(to)
    if to is None and from_ == -(1 << 63):
        return _write(self, R.random_full_values(gen, n, npd))
    if to is not None and from_ >= to:
        raise RuntimeError(f"random_ expects 'from' to be less than 'to', but got "
                           f"from={from_} >= to={to}")
    if dtype.is_floating_point:
        from_, to = R.float_bounds(from_, to, npd)
        if to is None:
            to = 1 << (np.finfo(npd).nmant + 1)
            to += 1
    elif to is None:
        to = _int_bounds(dtype)[1] + 1
    lo, hi = _int_bounds(dtype)
    if not lo <= from_ <= hi:
        raise RuntimeError(f"from is out of bounds for {dtype}")
    if not lo <= to - 1 <= hi:
        raise RuntimeError(f"to - 1 is out of bounds for {dtype}")
    if n == 0:
        return self
    return _write(self, R.randint_values(gen, n, from_, to, npd))


def randint(low=None, high=None, size=None, *, generator=None, out=None, dtype=None,
            layout=None, device=None, requires_grad=False, pin_memory=False):
    """Matches torch.randint: randint(high, size) or randint(low, high, size)."""
    if size is None and high is not None and isinstance(high, (tuple, list)):
        low, high, size = 0, low, high
    if size is None:
        raise TypeError("randint() missing required argument 'size'")
    low = 0 if low is None else low
    dtype = dtype or D.int64
    return _make(size_args((size,)), dtype, device, requires_grad, out,
                 lambda t: _random_(t, low, high, generator=generator))


def randint_like(input, low=0, high=None, *, generator=None, dtype=None, layout=None,
                 device=None, requires_grad=False, memory_format=None):
    """Matches torch.randint_like: randint_like(input, high) or (input, low, high)."""
    if high is None:
        low, high = 0, low
    dtype, device = _like(input, dtype, device)
    return randint(low, high, tuple(input.shape), generator=generator, dtype=dtype,
                   device=device, requires_grad=requires_grad)


def randperm(n, *, generator=None, out=None, dtype=None, layout=None, device=None,
             requires_grad=False, pin_memory=False):
    """Matches torch.randperm."""
    n = int(n)
    if n < 0:
        raise RuntimeError(f"n must be non-negative, got{n}")
    values = R.randperm_values(_gen(generator), n)
    return _make((n,), dtype or D.int64, device, requires_grad, out,
                 lambda t: _finish(t, values.astype(t.dtype.np)))


# ---- Bernoulli and friends ----------------------------------------------------------------------

def _bernoulli_(self, p=0.5, *, generator=None):
    """Matches torch.Tensor.bernoulli_ (float p: a 53-bit uniform < p; tensor p: see bernoulli)."""
    _check_inplace(self)
    gen = _gen(generator)
    if isinstance(p, Tensor):  # p broadcast to self, read in self's memory order
        axes = R.memory_axes(_host_view(self))
        probs = np.broadcast_to(p._data, self._data.shape).transpose(axes).reshape(-1)
        return _write(self, R.bernoulli_tensor_values(gen, probs))
    if not 0 <= p <= 1:
        raise RuntimeError(f"bernoulli_ expects p to be in [0, 1], but got p={p}")
    return _write(self, R.bernoulli_scalar_values(gen, self.numel(), p))


def bernoulli(input, p=None, *, generator=None, out=None):
    """Matches torch.bernoulli (probabilities in `input`, or a float `p`)."""
    res = _wrap(np.empty(input._data.shape, input.dtype.np))
    _bernoulli_(res, input if p is None else p, generator=generator)
    if out is not None:
        return _finish(out, res._data)
    return res


def _exponential_(self, lambd=1.0, *, generator=None):
    """Matches torch.Tensor.exponential_: -1/lambda * log1p(-u) in double."""
    _check_inplace(self)
    _check_float(self.dtype, "exponential_cpu")
    if lambd < 0:
        raise RuntimeError(f"exponential_ expects lambda > 0.0, but found lambda={lambd}")
    return _write(self, R.exponential_values(_gen(generator), self.numel(), lambd))


def _geometric_(self, p, *, generator=None):
    """Matches torch.Tensor.geometric_."""
    _check_inplace(self)
    if not 0 < p < 1:
        raise RuntimeError(f"geometric_ expects p to be in (0, 1), but got p={p}")
    return _write(self, R.geometric_values(_gen(generator), self.numel(), p))


def _log_normal_(self, mean=1.0, std=2.0, *, generator=None):
    """Matches torch.Tensor.log_normal_ (uses and refills the cached scalar normal)."""
    _check_inplace(self)
    _check_float(self.dtype, "log_normal_cpu")
    if not std > 0.0:
        raise RuntimeError(f"log_normal_ expects std > 0.0, but found std={std}")
    return _write(self, R.log_normal_values(_gen(generator), self.numel(), mean, std))


def _cauchy_(self, median=0.0, sigma=1.0, *, generator=None):
    """Matches torch.Tensor.cauchy_."""
    _check_inplace(self)
    _check_float(self.dtype, "cauchy_cpu")
    return _write(self, R.cauchy_values(_gen(generator), self.numel(), median, sigma))


def multinomial(input, num_samples, replacement=False, *, generator=None, out=None):
    """Matches torch.multinomial."""
    if input.dim() not in (1, 2):
        raise RuntimeError("prob_dist must be 1 or 2 dim")
    if not input.dtype.is_floating_point:
        raise RuntimeError(f"multinomial only supports floating-point dtypes for input, got: "
                           f"{_type_name(input.dtype)}")
    if num_samples <= 0:
        raise RuntimeError("cannot sample n_sample <= 0 samples")
    probs = input._data.reshape(-1, input.shape[-1]) if input.dim() == 2 else input._data[None]
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
    idx = R.multinomial_values(_gen(generator), np.ascontiguousarray(probs), num_samples,
                               replacement)
    res = _wrap(idx if input.dim() == 2 else idx[0])
    if out is not None:
        return _finish(out, res._data)
    return res


def poisson(input, generator=None):
    """Matches torch.poisson."""
    if (input._data < 0).any():
        raise RuntimeError("invalid Poisson rate, expected rate to be non-negative")
    values = R.poisson_values(_gen(generator), input._data)
    return _wrap(values.astype(input.dtype.np).reshape(input._data.shape))


def _tensor_bernoulli(self, p=None, *, generator=None):
    return bernoulli(self, p, generator=generator)


def _tensor_multinomial(self, num_samples, replacement=False, *, generator=None):
    return multinomial(self, num_samples, replacement, generator=generator)


Tensor.uniform_ = _uniform_
Tensor.normal_ = _normal_
Tensor.random_ = _random_
Tensor.bernoulli_ = _bernoulli_
Tensor.exponential_ = _exponential_
Tensor.geometric_ = _geometric_
Tensor.log_normal_ = _log_normal_
Tensor.cauchy_ = _cauchy_
Tensor.bernoulli = _tensor_bernoulli
Tensor.multinomial = _tensor_multinomial
