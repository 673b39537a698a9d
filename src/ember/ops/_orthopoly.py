"""The orthogonal polynomials of torch.special, on flat arrays, branch for branch as torch's CPU
kernels evaluate them (so the same special values, the same trigonometric shortcut for large n
inside (-1, 1), and the same three-term recurrences in the input's float type otherwise).

Every kernel takes x (a float array) and n (int64, same length; a negative n, and a float n that
was NaN, infinite or out of int64's range, is already -1) and returns the values. Branches are
taken in torch's order: an element keeps the first branch that matches it (`_Pick`). The
recurrences run for all elements at once, dropping each element when it has done its n - 1
steps or its value became NaN (torch stops there too; the value stays NaN either way).
"""

import numpy as np

from .._device import array_module


class _Pick:
    """The result, filled branch by branch: `take(mask, f)` sets f(indices) where `mask` holds
    and no earlier branch did."""

    def __init__(self, x):
        self.xp = array_module(x)
        self.out = self.xp.zeros_like(x)
        self.todo = self.xp.ones(x.shape, dtype=bool)

    def take(self, mask, values):
        m = mask & self.todo
        if m.any():
            idx = self.xp.flatnonzero(m)
            with np.errstate(all="ignore"):
                self.out[idx] = values(idx)
            self.todo &= ~m

    def recur(self, x, n, q0, step):
        """q_1 = q0(x), q_{j+2} = step(x, q_{j+1}, q_j, j) from q_0 = 1: element i's value is
        q after n_i - 1 steps (the caller has taken n < 2)."""
        xp = self.xp
        idx = xp.flatnonzero(self.todo)
        if not idx.size:
            return self.out
        xs, left = x[idx], n[idx] - 1
        with np.errstate(all="ignore"):
            p, q = xp.ones_like(xs), q0(xs)
            j = 0
            while True:
                fin = (left <= j) | xp.isnan(q)
                if fin.any():
                    self.out[idx[fin]] = q[fin]
                    keep = ~fin
                    idx, xs, left, p, q = idx[keep], xs[keep], left[keep], p[keep], q[keep]
                    if not idx.size:
                        return self.out
                p, q = q, step(xs, q, p, j)
                j += 1


def _t(x, v):
    return x.dtype.type(v)


def _even(n):
    return n % 2 == 0


def _signed(n, odd_negative, v):
    return np.where(odd_negative & ~_even(n), -v, v)


def chebyshev_t(x, n):
    r, a = _Pick(x), abs(x)
    r.take(n < 0, lambda i: 0)
    r.take(a == 1, lambda i: np.where((x[i] > 0) | _even(n[i]), _t(x, 1), _t(x, -1)))
    r.take((n > 6) & (a < 1), lambda i: np.cos(n[i].astype(x.dtype) * np.arccos(x[i])))
    r.take(n == 0, lambda i: 1)
    r.take(n == 1, lambda i: x[i])
    return r.recur(x, n, lambda x: x, lambda x, q, p, j: (x + x) * q - p)


def chebyshev_u(x, n):
    r, a = _Pick(x), abs(x)
    r.take(n < 0, lambda i: 0)
    r.take(a == 1, lambda i: _signed(n[i], x[i] < 0, (n[i] + 1).astype(x.dtype)))

    def trig(i):
        m, acos = (n[i] + 1).astype(x.dtype), np.arccos(x[i])
        s = np.sin(acos)
        return np.where(s != 0, np.sin(m * acos) / s, m * np.cos(m * acos) / x[i])
    r.take((n > 8) & (a < 1), trig)
    r.take(n == 0, lambda i: 1)
    r.take(n == 1, lambda i: x[i] + x[i])
    return r.recur(x, n, lambda x: x + x, lambda x, q, p, j: (x + x) * q - p)


def chebyshev_v(x, n):
    r, a = _Pick(x), abs(x)
    r.take(n < 0, lambda i: 0)
    r.take(a == 1, lambda i: np.where(x[i] > 0, _t(x, 1),
                                      _signed(n[i], True, (2 * n[i] + 1).astype(x.dtype))))

    def trig(i):
        acos = np.arccos(x[i])
        half = acos / _t(x, 2)
        v = np.cos((n[i].astype(x.dtype) + _t(x, 0.5)) * acos) / np.cos(half)
        return np.where(np.sin(half) != 1, v, _signed(n[i], True, (2 * n[i] + 1).astype(x.dtype)))
    r.take((n > 8) & (a < 1), trig)
    r.take(n == 0, lambda i: 1)
    r.take(n == 1, lambda i: x[i] + x[i] - _t(x, 1))
    return r.recur(x, n, lambda x: x + x - _t(x, 1), lambda x, q, p, j: (x + x) * q - p)


def chebyshev_w(x, n):
    r, a = _Pick(x), abs(x)
    r.take(n < 0, lambda i: 0)
    r.take(a == 1, lambda i: np.where(x[i] > 0, (2 * n[i] + 1).astype(x.dtype),
                                      _signed(n[i], True, _t(x, 1))))

    def trig(i):
        acos = np.arccos(x[i])
        half = acos / _t(x, 2)
        v = np.sin((n[i].astype(x.dtype) + _t(x, 0.5)) * acos) / np.sin(half)
        edge = np.where(x[i] > 0, (2 * n[i] + 1).astype(x.dtype), _signed(n[i], True, _t(x, 1)))
        return np.where(np.cos(half) != 1, v, edge)
    r.take((n > 8) & (a < 1), trig)
    r.take(n == 0, lambda i: 1)
    r.take(n == 1, lambda i: x[i] + x[i] + _t(x, 1))
    return r.recur(x, n, lambda x: x + x + _t(x, 1), lambda x, q, p, j: (x + x) * q - p)


def _shifted(x):
    return x + x - _t(x, 1)


def shifted_chebyshev_t(x, n):
    r, y = _Pick(x), _shifted(x)
    r.take(n < 0, lambda i: 0)
    r.take(x == 1, lambda i: 1)
    r.take(x == 0, lambda i: _signed(n[i], True, _t(x, 1)))
    r.take((n > 6) & (abs(y) < 1), lambda i: np.cos(n[i].astype(x.dtype) * np.arccos(y[i])))
    r.take(n == 0, lambda i: 1)
    r.take(n == 1, lambda i: y[i])
    return r.recur(x, n, _shifted, lambda x, q, p, j: (_shifted(x) + _shifted(x)) * q - p)


def shifted_chebyshev_u(x, n):
    r, y = _Pick(x), _shifted(x)
    r.take(n < 0, lambda i: 0)
    r.take(x == 1, lambda i: (n[i] + 1).astype(x.dtype))
    r.take(x == 0, lambda i: _signed(n[i], True, (n[i] + 1).astype(x.dtype)))

    def trig(i):
        m, acos = (n[i] + 1).astype(x.dtype), np.arccos(y[i])
        s = np.sin(acos)
        return np.where(s != 0, np.sin(m * acos) / s, m * np.cos(m * acos) / y[i])
    r.take((n > 6) & (abs(y) < 1), trig)
    r.take(n == 0, lambda i: 1)
    r.take(n == 1, lambda i: y[i] + y[i])
    return r.recur(x, n, lambda x: _shifted(x) + _shifted(x),
                   lambda x, q, p, j: (_shifted(x) + _shifted(x)) * q - p)


def shifted_chebyshev_v(x, n):
    r, y = _Pick(x), _shifted(x)
    r.take(n < 0, lambda i: 0)
    r.take(x == 1, lambda i: 1)
    r.take(x == 0, lambda i: _signed(n[i], True, (2 * n[i] + 1).astype(x.dtype)))

    def trig(i):
        acos = np.arccos(y[i])
        half = acos / _t(x, 2)
        v = np.cos((n[i].astype(x.dtype) + _t(x, 0.5)) * acos) / np.cos(half)
        return np.where(np.sin(half) != 1, v, _signed(n[i], True, (2 * n[i] + 1).astype(x.dtype)))
    r.take((n > 6) & (abs(y) < 1), trig)
    r.take(n == 0, lambda i: 1)
    r.take(n == 1, lambda i: y[i] + y[i] - _t(x, 1))
    return r.recur(x, n, lambda x: _shifted(x) + _shifted(x) - _t(x, 1),
                   lambda x, q, p, j: (_shifted(x) + _shifted(x)) * q - p)


def shifted_chebyshev_w(x, n):
    r, y = _Pick(x), _shifted(x)
    r.take(n < 0, lambda i: 0)
    r.take(x == 1, lambda i: (2 * n[i] + 1).astype(x.dtype))
    r.take(x == 0, lambda i: _signed(n[i], True, _t(x, 1)))

    def trig(i):
        acos = np.arccos(y[i])
        half = acos / _t(x, 2)
        v = np.sin((n[i].astype(x.dtype) + _t(x, 0.5)) * acos) / np.sin(half)
        return np.where(np.cos(half) != 1, v, _signed(n[i], True, _t(x, 1)))
    r.take((n > 4) & (abs(y) < 1), trig)
    r.take(n == 0, lambda i: 1)
    r.take(n == 1, lambda i: y[i] + y[i] + _t(x, 1))
    return r.recur(x, n, lambda x: _shifted(x) + _shifted(x) + _t(x, 1),
                   lambda x, q, p, j: (_shifted(x) + _shifted(x)) * q - p)


def _hermite_limit(x):
    return 128 if x.dtype == np.float32 else 512


def hermite_h(x, n):
    r = _Pick(x)
    r.take(n < 0, lambda i: 0)
    r.take(n == 0, lambda i: 1)
    r.take(n == 1, lambda i: x[i] + x[i])
    r.take(n > _hermite_limit(x), lambda i: np.nan)
    # k = 2, 4, ..., 2n - 2; torch's loop has no NaN test, but NaN stays NaN
    return r.recur(x, n, lambda x: x + x, lambda x, q, p, j: (x + x) * q - _t(x, 2 * j + 2) * p)


def hermite_he(x, n):
    r = _Pick(x)
    r.take(n < 0, lambda i: 0)
    r.take(n == 0, lambda i: 1)
    r.take(n == 1, lambda i: x[i])
    r.take(n > _hermite_limit(x), lambda i: np.nan)
    return r.recur(x, n, lambda x: x, lambda x, q, p, j: x * q - _t(x, j + 1) * p)


def laguerre_l(x, n):
    r = _Pick(x)
    r.take(n < 0, lambda i: 0)
    r.take(x == 0, lambda i: 1)
    r.take(n == 0, lambda i: 1)
    r.take(n == 1, lambda i: _t(x, 1) - x[i])
    return r.recur(x, n, lambda x: _t(x, 1) - x, lambda x, q, p, j: (
        (_t(x, 2 * j + 2) + (_t(x, 1) - x)) * q - _t(x, j + 1) * p) / _t(x, j + 2))


def legendre_p(x, n):
    r = _Pick(x)
    r.take(n < 0, lambda i: 0)
    r.take(abs(x) == 1, lambda i: np.where((x[i] > 0) | _even(n[i]), _t(x, 1), _t(x, -1)))
    r.take(n == 0, lambda i: 1)
    r.take(n == 1, lambda i: x[i])
    return r.recur(x, n, lambda x: x, lambda x, q, p, j: (
        _t(x, 2 * j + 3) * x * q - _t(x, j + 1) * p) / _t(x, j + 2))


KERNELS = {
    "chebyshev_polynomial_t": chebyshev_t, "chebyshev_polynomial_u": chebyshev_u,
    "chebyshev_polynomial_v": chebyshev_v, "chebyshev_polynomial_w": chebyshev_w,
    "shifted_chebyshev_polynomial_t": shifted_chebyshev_t,
    "shifted_chebyshev_polynomial_u": shifted_chebyshev_u,
    "shifted_chebyshev_polynomial_v": shifted_chebyshev_v,
    "shifted_chebyshev_polynomial_w": shifted_chebyshev_w,
    "hermite_polynomial_h": hermite_h, "hermite_polynomial_he": hermite_he,
    "laguerre_polynomial_l": laguerre_l, "legendre_polynomial_p": legendre_p,
}
