"""torch.cov and torch.corrcoef, composed from ember's ops (so differentiable), in torch's order:
the (weighted) mean of each variable's observations, the centred product by one matrix product,
divided by the normalization factor; corrcoef divides by the standard deviations and clips."""

import warnings

from .. import _dtype as D

__all__ = ["cov", "corrcoef"]


def _name(t):
    return t.dtype._legacy[:-6]


def _check_weights(w, kind, n, ok, want):
    if w.dim() > 1:
        raise RuntimeError(f"cov(): expected {kind} to have one or fewer dimensions but got "
                           f"{kind} with {w.dim()} dimensions")
    if not ok(w.dtype):
        raise RuntimeError(f"cov(): expected {kind} to have {want} dtype but got {kind} with "
                           f"{_name(w)} dtype")
    if w.numel() != n:
        raise RuntimeError(f"cov(): expected {kind} to have the same numel as there are "
                           f"observations in the input but got {w.numel()} != {n}")
    if n and not bool((w.min() >= 0).item()):
        raise RuntimeError(f"cov(): {kind} cannot be negative")


def cov(input, *, correction=1, fweights=None, aweights=None):
    if input.dim() > 2:
        raise RuntimeError("cov(): expected input to have two or fewer dimensions but got an "
                           f"input with {input.dim()} dimensions")
    if input.dtype is D.bool_:
        raise RuntimeError("cov(): bool dtype is not supported for input")
    x = input.reshape(1, -1) if input.dim() < 2 else input
    n = x.shape[1]
    w = None
    if fweights is not None:
        _check_weights(fweights, "fweights", n, lambda d: not d.is_floating_point and
                       not d.is_complex and d is not D.bool_, "integral")
        w = fweights
    if aweights is not None:
        _check_weights(aweights, "aweights", n, lambda d: d.is_floating_point, "floating point")
        w = aweights if w is None else w * aweights
    if w is None:
        from .creation import tensor
        w_sum = tensor(n)
    else:
        w_sum = w.sum()
        if not bool((w_sum != 0).item()):
            raise RuntimeError("cov(): weights sum to zero, can't be normalized")
    avg = (x if w is None else x * w).sum(1) / w_sum
    if w is not None and aweights is not None and correction != 0:
        norm = w_sum - correction * (w * aweights).sum() / w_sum
    else:
        norm = w_sum - correction
    if bool((norm <= 0).item()):
        warnings.warn("cov(): degrees of freedom is <= 0. Correction should be strictly less than "
                      "the number of observations.", UserWarning, stacklevel=2)
        norm = norm * 0
    x = x - avg.unsqueeze(1)
    c = x.mm((x if w is None else x * w).t().conj())
    return (c / norm).squeeze()


def corrcoef(input):
    if input.dim() > 2:
        raise RuntimeError("corrcoef(): expected input to have two or fewer dimensions but got an "
                           f"input with {input.dim()} dimensions")
    c = cov(input)
    if c.dim() == 0:  # one variable: nan for a covariance of nan, inf or 0, else 1
        return c / c
    d = c.diagonal()
    sd = (d.real if d.dtype.is_complex else d).sqrt()
    c = c / sd.reshape(-1, 1)
    c = c / sd.reshape(1, -1)
    if c.dtype.is_complex:
        from .creation import complex as _complex
        return _complex(c.real.clip(-1, 1), c.imag.clip(-1, 1))
    return c.clip(-1, 1)

