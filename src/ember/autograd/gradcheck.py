"""gradcheck / gradgradcheck: analytical gradients against central finite differences."""

import numpy as np


def _as_tuple(x):
    return x if isinstance(x, tuple) else tuple(x) if isinstance(x, list) else (x,)


def _flat_outputs(fn, inputs):
    from .._tensor import Tensor
    out = _as_tuple(fn(*inputs))
    return [o for o in out if isinstance(o, Tensor)]


def _numerical(fn, inputs, eps):
    """d out_j / d in_i by central differences, as dense matrices [inputs][outputs]."""
    from .grad_mode import no_grad
    jac = []
    with no_grad():
        outs = _flat_outputs(fn, inputs)
        for t in inputs:
            if not (hasattr(t, "_rg") and t._rg):
                jac.append(None)
                continue
            flat = t._data.reshape(-1)
            cols = [np.zeros((flat.size, o.numel())) for o in outs]
            for k in range(flat.size):
                orig = flat[k].item()
                flat[k] = orig + eps
                plus = [o._data.astype(np.float64).reshape(-1).copy()
                        for o in _flat_outputs(fn, inputs)]
                flat[k] = orig - eps
                minus = [o._data.astype(np.float64).reshape(-1).copy()
                         for o in _flat_outputs(fn, inputs)]
                flat[k] = orig
                for c, p, m in zip(cols, plus, minus):
                    c[k] = (p - m) / (2 * eps)
            jac.append(cols)
    return jac


def _analytical(fn, inputs):
    from .. import autograd
    from .._tensor import _wrap
    outs = _flat_outputs(fn, inputs)
    diff = [t for t in inputs if hasattr(t, "_rg") and t._rg]
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
    pass


def gradcheck(func, inputs, *, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True, **kw):
    """Matches torch.autograd.gradcheck (dense, real-valued)."""
    inputs = _as_tuple(inputs)
    num = _numerical(func, inputs, eps)
    ana = _analytical(func, inputs)
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
    """Matches torch.autograd.gradgradcheck: gradcheck of the first derivative."""
    from .. import autograd
    from .._tensor import _wrap
    inputs = _as_tuple(inputs)
    outs = _flat_outputs(func, inputs)
    if grad_outputs is None:
        rng = np.random.default_rng(0)
        grad_outputs = [_wrap(rng.standard_normal(o.shape).astype(o.dtype.np)).requires_grad_()
                        for o in outs]
    grad_outputs = list(_as_tuple(grad_outputs))
    n_in = len(inputs)

    def first(*args):
        ins, gos = args[:n_in], args[n_in:]
        outs = _flat_outputs(func, ins)
        diff = [t for t in ins if hasattr(t, "_rg") and t._rg]
        g = autograd.grad(outs, diff, gos, create_graph=True, allow_unused=True)
        return tuple(x for x in g if x is not None)

    return gradcheck(first, tuple(inputs) + tuple(grad_outputs), eps=eps, atol=atol, rtol=rtol,
                     raise_exception=raise_exception)
