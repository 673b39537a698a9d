"""LBFGS: torch's limited-memory BFGS, with fixed steps or a strong-Wolfe line search.

All parameters form one flat vector. `step(closure)` re-evaluates the loss through the closure,
keeps up to `history_size` curvature pairs (y = change of gradient, s = step taken) and turns
the gradient into a direction with the two-loop recursion. Scalars keep torch's types: what
torch holds as a 0-d tensor (dot products, `ro`, `H_diag`, a first step size) is a NumPy scalar
of the parameters' dtype here and a Python float stays a Python float, so NumPy's promotion
(NEP 50) rounds each operation as torch does; float32 dot products still round as NumPy's BLAS
does, not as torch's MKL, so float32 runs agree to a few ulps per iteration. The optimizer's
only state, under torch's keys, lives with the first parameter, as Tensors where torch keeps
tensors; the private helpers (`_strong_wolfe`, `_cubic_interpolate`) work on arrays.
"""

import numpy as np

from .. import _fma
from .._device import array_module as _xp
from .._tensor import Tensor, _wrap
from ..autograd.grad_mode import enable_grad, no_grad
from .optimizer import Optimizer, _check_lr

__all__ = ["LBFGS"]

# state entries that are tensors (or lists of them) in torch's LBFGS
_TENSOR_KEYS = ("d", "t", "old_dirs", "old_stps", "ro", "H_diag", "prev_flat_grad", "al")


def _cubic_interpolate(x1, f1, g1, x2, f2, g2, bounds=None):
    """The minimiser of the cubic through (x1, f1, slope g1) and (x2, f2, slope g2), clamped to
    `bounds` (default: between x1 and x2); their midpoint when the cubic has no minimum."""
    if bounds is not None:
        lo, hi = bounds
    else:
        lo, hi = (x1, x2) if x1 <= x2 else (x2, x1)
    d1 = g1 + g2 - 3 * (f1 - f2) / (x1 - x2)
    d2_square = d1 ** 2 - g1 * g2
    if d2_square >= 0:
        d2 = np.sqrt(d2_square)
        if x1 <= x2:
            min_pos = x2 - (x2 - x1) * ((g2 + d2 - d1) / (g2 - g1 + 2 * d2))
        else:
            min_pos = x1 - (x1 - x2) * ((g1 + d2 - d1) / (g1 - g2 + 2 * d2))
        return min(max(min_pos, lo), hi)
    return (lo + hi) / 2.0


class _Bracket:
    """The strong-Wolfe search's interval: step sizes, losses, gradients and slopes."""

    def __init__(self, t, f, g, gtd):
        self.t, self.f, self.g, self.gtd = list(t), list(f), list(g), list(gtd)

    def set(self, i, t, f, g, gtd):
        self.t[i], self.f[i], self.g[i], self.gtd[i] = t, f, g, gtd

    def low_high(self):
        return (0, 1) if self.f[0] <= self.f[-1] else (1, 0)


def _strong_wolfe(obj_func, x, t, d, f, g, gtd, c1=1e-4, c2=0.9, tolerance_change=1e-9,
                  max_ls=25):
    """A step t along d meeting the strong Wolfe conditions (minFunc's bracketing and zoom);
    returns (loss, flat gradient, t, evaluations)."""
    d_norm = abs(d).max()
    g = g.copy()
    f_new, g_new = obj_func(x, t, d)
    evals = 1
    gtd_new = g_new.dot(d)
    t_prev, f_prev, g_prev, gtd_prev = 0, f, g, gtd
    done = False
    ls_iter = 0
    bracket = None
    while ls_iter < max_ls:
        if f_new > (f + c1 * t * gtd) or (ls_iter > 1 and f_new >= f_prev):
            bracket = _Bracket((t_prev, t), (f_prev, f_new), (g_prev, g_new.copy()),
                               (gtd_prev, gtd_new))
            break
        if abs(gtd_new) <= -c2 * gtd:
            bracket = _Bracket((t,), (f_new,), (g_new,), ())
            done = True
            break
        if gtd_new >= 0:
            bracket = _Bracket((t_prev, t), (f_prev, f_new), (g_prev, g_new.copy()),
                               (gtd_prev, gtd_new))
            break
        min_step = t + 0.01 * (t - t_prev)
        max_step = t * 10
        tmp = t
        t = _cubic_interpolate(t_prev, f_prev, gtd_prev, t, f_new, gtd_new,
                               bounds=(min_step, max_step))
        t_prev, f_prev, g_prev, gtd_prev = tmp, f_new, g_new.copy(), gtd_new
        f_new, g_new = obj_func(x, t, d)
        evals += 1
        gtd_new = g_new.dot(d)
        ls_iter += 1
    if ls_iter == max_ls:
        # the bracketing ran out of evaluations: torch keeps the slopes it had, zooms no more
        bracket = _Bracket((0, t), (f, f_new), (g, g_new), ())
    evals, low = _zoom(obj_func, x, d, f, gtd, c1, c2, tolerance_change, max_ls, bracket,
                       done, evals, ls_iter, d_norm)
    return bracket.f[low], bracket.g[low], bracket.t[low], evals


def _zoom(obj_func, x, d, f, gtd, c1, c2, tolerance_change, max_ls, bk, done, evals, ls_iter,
          d_norm):
    """Shrinks the bracket `bk` in place until a point meets the conditions; returns the
    evaluation count and the index of the bracket's low end."""
    insuf_progress = False
    low, high = bk.low_high()
    while not done and ls_iter < max_ls:
        if abs(bk.t[1] - bk.t[0]) * d_norm < tolerance_change:
            break
        t = _cubic_interpolate(bk.t[0], bk.f[0], bk.gtd[0], bk.t[1], bk.f[1], bk.gtd[1])
        top, bottom = max(bk.t), min(bk.t)
        eps = 0.1 * (top - bottom)
        if min(top - t, t - bottom) < eps:
            # too close to an end: after a second such step, move 0.1 of the width inside
            if insuf_progress or t >= top or t <= bottom:
                t = top - eps if abs(t - top) < abs(t - bottom) else bottom + eps
                insuf_progress = False
            else:
                insuf_progress = True
        else:
            insuf_progress = False
        f_new, g_new = obj_func(x, t, d)
        evals += 1
        gtd_new = g_new.dot(d)
        ls_iter += 1
        if f_new > (f + c1 * t * gtd) or f_new >= bk.f[low]:
            bk.set(high, t, f_new, g_new.copy(), gtd_new)
            low, high = bk.low_high()
        else:
            if abs(gtd_new) <= -c2 * gtd:
                done = True
            elif gtd_new * (bk.t[high] - bk.t[low]) >= 0:
                bk.set(high, bk.t[low], bk.f[low], bk.g[low], bk.gtd[low])
            bk.set(low, t, f_new, g_new.copy(), gtd_new)
    return evals, low


def _unwrap(value):
    """A state entry as the step works on it: arrays, NumPy scalars for 0-d Tensors."""
    if isinstance(value, Tensor):
        return value._data if value._data.ndim else value._data[()]
    if isinstance(value, list):
        return [_unwrap(v) for v in value]
    return value


def _wrap_state(value, xp):
    if isinstance(value, list):
        return [_wrap_state(v, xp) for v in value]
    if isinstance(value, np.generic) or (value is not None and hasattr(value, "ndim")):
        return _wrap(xp.asarray(value))
    return value


class LBFGS(Optimizer):
    """Matches torch.optim.LBFGS (one parameter group; step needs a closure)."""

    def __init__(self, params, lr=1, max_iter=20, max_eval=None, tolerance_grad=1e-7,
                 tolerance_change=1e-9, history_size=100, line_search_fn=None):
        _check_lr(lr)
        if max_eval is None:
            max_eval = max_iter * 5 // 4
        defaults = {"lr": lr, "max_iter": max_iter, "max_eval": max_eval,
                    "tolerance_grad": tolerance_grad, "tolerance_change": tolerance_change,
                    "history_size": history_size, "line_search_fn": line_search_fn}
        super().__init__(params, defaults)
        if len(self.param_groups) != 1:
            raise ValueError("LBFGS doesn't support per-parameter options (parameter groups)")
        self._params = self.param_groups[0]["params"]

    def __setstate__(self, state):
        super().__setstate__(state)
        self._params = self.param_groups[0]["params"]

    def _gather_flat_grad(self):
        views = []
        for p in self._params:
            a = p._data
            g = p.grad._data if p.grad is not None else _xp(a).zeros(a.size, a.dtype)
            views.append(_real(g).reshape(-1))
        return _xp(views[0]).concatenate(views)

    def _add_grad(self, step_size, update):
        """p += step_size * (p's slice of update) for every parameter, as torch's p.add_(...,
        alpha=step_size)."""
        offset = 0
        for p in self._params:
            a = _real(p._data)
            n = a.size
            _axpy_(a, update[offset:offset + n].reshape(a.shape), step_size)
            p._bump()
            offset += n

    def _clone_param(self):
        return [p._data.copy() for p in self._params]

    def _set_param(self, params_data):
        for p, data in zip(self._params, params_data):
            p._data[...] = data
            p._bump()

    def _directional_evaluate(self, closure, x, t, d):
        self._add_grad(t, d)
        loss = float(closure())
        flat_grad = self._gather_flat_grad()
        self._set_param(x)
        return loss, flat_grad

    def _line_search(self, closure, line_search_fn, t, d, loss, flat_grad, gtd, max_ls):
        """Moves the parameters by the strong-Wolfe step along d; returns (loss, flat gradient,
        step, evaluations)."""
        if line_search_fn != "strong_wolfe":
            raise RuntimeError("only 'strong_wolfe' is supported")
        x_init = self._clone_param()

        def obj_func(x, t, d):
            return self._directional_evaluate(closure, x, t, d)

        loss, flat_grad, t, evals = _strong_wolfe(obj_func, x_init, t, d, loss, flat_grad, gtd,
                                                  max_ls=max_ls)
        self._add_grad(t, d)
        return loss, flat_grad, t, evals

    def step(self, closure):
        """Up to max_iter L-BFGS iterations on closure()'s loss; returns its first value."""
        with no_grad(), np.errstate(all="ignore"):
            return self._run(enable_grad()(closure))

    def _run(self, closure):
        group = self.param_groups[0]
        lr = group["lr"]
        lr = _unwrap(lr.squeeze() if isinstance(lr, Tensor) else lr)
        max_iter, max_eval = group["max_iter"], group["max_eval"]
        tolerance_grad, tolerance_change = group["tolerance_grad"], group["tolerance_change"]
        line_search_fn, history_size = group["line_search_fn"], group["history_size"]
        state = self.state[self._params[0]]
        state.setdefault("func_evals", 0)
        state.setdefault("n_iter", 0)

        orig_loss = closure()
        loss = float(orig_loss)
        current_evals = 1
        state["func_evals"] += 1
        flat_grad = self._gather_flat_grad()
        if abs(flat_grad).max() <= tolerance_grad:
            return orig_loss
        xp = _xp(flat_grad)
        d, t, old_dirs, old_stps, ro, H_diag, prev_flat_grad, al = (
            _unwrap(state.get(k)) for k in _TENSOR_KEYS)
        prev_loss = state.get("prev_loss")
        n_iter = 0
        while n_iter < max_iter:
            n_iter += 1
            state["n_iter"] += 1
            if state["n_iter"] == 1:
                d = -flat_grad
                old_dirs, old_stps, ro = [], [], []
                H_diag = 1
            else:
                H_diag = _remember(flat_grad - prev_flat_grad, d * t, old_dirs, old_stps, ro,
                                   H_diag, history_size)
                if "al" not in state:
                    al = state["al"] = [None] * history_size
                d = _two_loop(flat_grad, old_dirs, old_stps, ro, H_diag, al)
            if prev_flat_grad is None:
                prev_flat_grad = flat_grad.copy()
            else:
                prev_flat_grad[...] = flat_grad
            prev_loss = loss
            if state["n_iter"] == 1:
                t = min(1.0, 1.0 / abs(flat_grad).sum()) * lr
            else:
                t = lr
            gtd = flat_grad.dot(d)
            if gtd > -tolerance_change:
                break
            if line_search_fn is not None:
                loss, flat_grad, t, ls_func_evals = self._line_search(
                    closure, line_search_fn, t, d, loss, flat_grad, gtd, max_eval - current_evals)
            else:
                self._add_grad(t, d)
                ls_func_evals = 0
                if n_iter != max_iter:
                    # the last iteration skips this evaluation: with stochastic losses it
                    # would be wasted
                    loss = float(closure())
                    flat_grad = self._gather_flat_grad()
                    ls_func_evals = 1
            opt_cond = abs(flat_grad).max() <= tolerance_grad
            current_evals += ls_func_evals
            state["func_evals"] += ls_func_evals
            if n_iter == max_iter or current_evals >= max_eval or opt_cond:
                break
            if abs(d * t).max() <= tolerance_change:
                break
            if abs(loss - prev_loss) < tolerance_change:
                break
        values = {"d": d, "t": t, "old_dirs": old_dirs, "old_stps": old_stps, "ro": ro,
                  "H_diag": H_diag, "prev_flat_grad": prev_flat_grad}
        if "al" in state:
            state["al"] = _wrap_state(al, xp)
        for k, v in values.items():
            state[k] = _wrap_state(v, xp)
        state["prev_loss"] = prev_loss
        return orig_loss


def _remember(y, s, old_dirs, old_stps, ro, H_diag, history_size):
    """Stores the pair (y, s) when its curvature y.s is positive, dropping the oldest pair
    when full; returns the new initial inverse-Hessian scale y.s / y.y (else the old one)."""
    ys = y.dot(s)
    if ys > 1e-10:
        if len(old_dirs) == history_size:
            old_dirs.pop(0)
            old_stps.pop(0)
            ro.pop(0)
        old_dirs.append(y)
        old_stps.append(s)
        ro.append(1.0 / ys)
        H_diag = ys / y.dot(y)
    return H_diag


def _two_loop(flat_grad, old_dirs, old_stps, ro, H_diag, al):
    """The L-BFGS direction -H g from the stored pairs, in one buffer (`al` is reused)."""
    q = -flat_grad
    for i in range(len(old_dirs) - 1, -1, -1):
        al[i] = old_stps[i].dot(q) * ro[i]
        _axpy_(q, old_dirs[i], -al[i])
    r = q * H_diag
    for i in range(len(old_dirs)):
        be_i = old_dirs[i].dot(r) * ro[i]
        _axpy_(r, old_stps[i], al[i] - be_i)
    return r


def _real(a):
    """A complex array as its interleaved real and imaginary parts (torch's view_as_real)."""
    return a.view(a.real.dtype) if a.dtype.kind == "c" else a


def _axpy_(a, x, alpha):
    """a += alpha * x as torch's a.add_(x, alpha=alpha): alpha rounded to a's dtype, the
    multiply-add rounded once (float64's too: torch's kernel fuses it)."""
    if x.dtype != a.dtype:
        x = x.astype(a.dtype)
    _fma.fma_(a, x, alpha)
