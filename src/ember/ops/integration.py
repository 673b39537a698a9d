"""torch.trapezoid / trapz / cumulative_trapezoid: the trapezoidal rule along a dim, composed
of ember ops (so gradients come from the primitives), with torch's formulas and errors."""

from .._tensor import Tensor

__all__ = ["trapezoid", "trapz", "cumulative_trapezoid"]


def _dim(y, dim, name):
    if y.dim() == 0:
        raise IndexError(f"Dimension specified as {dim} but tensor has no dimensions")
    n = y.dim()
    if not -n <= dim < n:
        raise IndexError(f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], "
                         f"but got {dim})")
    return dim % n


def _spacing(y, x, dim, name):
    """x's spacing along dim, shaped to broadcast against y's pairs of neighbours."""
    if x.dim() == 1:
        if x.shape[0] != y.shape[dim]:
            raise RuntimeError(f"{name}: There must be one `x` value for each sample point")
        shape = [1] * y.dim()
        shape[dim] = x.shape[0] - 1
        return x.diff().view(shape)
    return x.diff(dim=dim)


def _pairs(y, dim):
    n = y.shape[dim]
    return y.narrow(dim, 1, n - 1) + y.narrow(dim, 0, n - 1)


def _zeros_without(y, dim):
    from .creation import zeros
    shape = list(y.shape)
    del shape[dim]
    return zeros(shape, dtype=y.dtype if y.dtype.is_floating_point or y.dtype.is_complex
                 else None)


def trapezoid(y, x=None, *, dx=None, dim=-1):
    """Matches torch.trapezoid(y, x, *, dim) and torch.trapezoid(y, *, dx=1, dim)."""
    d = _dim(y, dim, "trapezoid")
    if isinstance(x, Tensor):
        if y.shape[d] == 0:
            return _zeros_without(y, d)
        return (_spacing(y, x, d, "trapezoid") * _pairs(y, d)).sum(d) / 2.0
    dx = 1 if dx is None else dx
    if y.shape[d] == 0:
        return _zeros_without(y, d)
    return (y.sum(d) - (y.select(d, 0) + y.select(d, -1)) * 0.5) * dx


def trapz(y, x=None, *, dx=None, dim=-1):
    """torch.trapz, the older name of trapezoid."""
    return trapezoid(y, x, dx=dx, dim=dim)


def cumulative_trapezoid(y, x=None, *, dx=None, dim=-1):
    """Matches torch.cumulative_trapezoid: the running trapezoid sums (one fewer along dim)."""
    d = _dim(y, dim, "cumulative_trapezoid")
    if y.shape[d] == 0:
        return y.narrow(d, 0, 0) * 1.0
    if isinstance(x, Tensor):
        return (_spacing(y, x, d, "cumulative_trapezoid") * _pairs(y, d)).cumsum(d) / 2.0
    dx = 1 if dx is None else dx
    return (dx / 2.0 * _pairs(y, d)).cumsum(d)
