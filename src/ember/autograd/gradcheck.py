"""gradcheck / gradgradcheck: analytical gradients against central finite differences.

Both Jacobians are dense float64 matrices [input][output] of shape (input.numel(), out.numel()).
The numerical one perturbs each input element in place, so it runs with grad mode on:
gradgradcheck's function itself calls autograd.grad.
"""

import numpy as np


def _as_tuple(x):
    return x if isinstance(x, tuple) else tuple(x) if isinstance(x, list) else (x,)


def _differentiable(t):
    return getattr(t, "_rg", False)


def _flat_outputs(fn, inputs):
    from .._tensor import Tensor
    return [o for o in _as_tuple(fn(*inputs)) if isinstance(o, Tensor)]


def _values(fn, inputs):
    return [o._data.astype(np.float64).reshape(-1) for o in _flat_outputs(fn, inputs)]


def _numerical(fn, inputs, outs, eps):
    jac = []
    for t in inputs:
        if not _differentiable(t):
            jac.append(None)
            continue
        a = t._data  # written through directly, so non-contiguous inputs work too
        cols = [np.zeros((a.size, o.numel())) for o in outs]
        for k, idx in enumerate(np.ndindex(a.shape)):
            orig = a[idx].item()
            a[idx] = orig + eps
            plus = _values(fn, inputs)
            a[idx] = orig - eps
            minus = _values(fn, inputs)
            a[idx] = orig
            for c, p, m in zip(cols, plus, minus):
                c[k] = (p - m) / (2 * eps)
        jac.append(cols)
    return jac


def _analytical(fn, inputs, outs):
    from .. import autograd
    from .._tensor import _wrap
    diff = [t for t in inputs if _differentiable(t)]
    jac = {id(t): [np.zeros((t.numel(), o.numel())) for o in outs] for t in diff}
    for j, o in enumerate(outs):
        if not o._rg:
            continue
        for k in range(o.numel()):
            g = np.zeros(o.shape, o.dtype.np)
            g.reshape(-1)[k] = 1
            grads = autograd.grad(o, diff, _wrap(g), retain_graph=True, allow_unused=True)
            for t, gr in zip(diff, grads):
                if gr is not None:
                    jac[id(t)][j][:, k] = gr._data.astype(np.float64).reshape(-1)
    return [jac.get(id(t)) for t in inputs]


class GradcheckError(RuntimeError):
    """Matches torch.autograd.gradcheck.GradcheckError."""


def gradcheck(func, inputs, *, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True, **kw):
    """Matches torch.autograd.gradcheck (dense, real-valued)."""
    inputs = _as_tuple(inputs)
    outs = _flat_outputs(func, inputs)
    num = _numerical(func, inputs, outs, eps)
    ana = _analytical(func, inputs, outs)
    for i, (n, a) in enumerate(zip(num, ana)):
        if n is None:
            continue
        for j, (nj, aj) in enumerate(zip(n, a)):
            if not np.allclose(aj, nj, rtol=rtol, atol=atol):
                if raise_exception:
                    raise GradcheckError(
                        f"Jacobian mismatch for output {j} with respect to input {i},\n"
                        f"numerical:{nj}\nanalytical:{aj}\n")
                return False
    return True


def gradgradcheck(func, inputs, grad_outputs=None, *, eps=1e-6, atol=1e-5, rtol=1e-3,
                  raise_exception=True, **kw):
    """Matches torch.autograd.gradgradcheck: gradcheck of the vector-Jacobian product."""
    from .. import autograd
    from .._tensor import _wrap
    inputs = _as_tuple(inputs)
    if grad_outputs is None:
        rng = np.random.default_rng(0)
        grad_outputs = [_wrap(rng.standard_normal(o.shape).astype(o.dtype.np)).requires_grad_()
                        for o in _flat_outputs(func, inputs)]
    grad_outputs = _as_tuple(grad_outputs)
    n_in = len(inputs)

    def first(*args):
        ins, gos = args[:n_in], args[n_in:]
        diff = [t for t in ins if _differentiable(t)]
        g = autograd.grad(_flat_outputs(func, ins), diff, gos, create_graph=True,
                          allow_unused=True)
        return tuple(x for x in g if x is not None)

    return gradcheck(first, inputs + grad_outputs, eps=eps, atol=atol, rtol=rtol,
                     raise_exception=raise_exception)
