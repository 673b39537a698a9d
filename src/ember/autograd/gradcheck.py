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


def gradcheck(func, inputs, *, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True,
              nondet_tol=0.0, check_undefined_grad=True, check_grad_dtypes=False,
              check_batched_grad=False, check_batched_forward_grad=False, check_forward_ad=False,
              check_backward_ad=True, fast_mode=False, masked=None):
    """Matches torch.autograd.gradcheck (dense, real-valued, backward mode). fast_mode runs the
    full check, which decides at least as strictly; forward-mode AD is refused."""
    if not (check_forward_ad or check_backward_ad):
        raise AssertionError("Expected at least one of check_forward_ad or check_backward_ad to "
                             "be True")
    if check_batched_grad and not check_backward_ad:
        raise AssertionError("Setting check_batched_grad=True requires check_backward_ad to be "
                             "True")
    from .._args import refuse_if
    refuse_if("torch.autograd.gradcheck", "check_forward_ad", check_forward_ad, False)
    refuse_if("torch.autograd.gradcheck", "check_batched_forward_grad",
              check_batched_forward_grad, False)
    refuse_if("torch.autograd.gradcheck", "masked", masked or None)
    inputs = _as_tuple(inputs)
    try:
        _check(func, inputs, eps, atol, rtol, nondet_tol, check_undefined_grad,
               check_grad_dtypes, check_batched_grad)
    except GradcheckError:
        if raise_exception:
            raise
        return False
    return True


def _check(func, inputs, eps, atol, rtol, nondet_tol, undefined, dtypes, batched):
    outs = _flat_outputs(func, inputs)
    num = _numerical(func, inputs, outs, eps)
    ana = _analytical(func, inputs, outs)
    for i, (n, a) in enumerate(zip(num, ana)):
        if n is None:
            continue
        for j, (nj, aj) in enumerate(zip(n, a)):
            if not np.allclose(aj, nj, rtol=rtol, atol=atol):
                raise GradcheckError(f"Jacobian mismatch for output {j} with respect to input "
                                     f"{i},\nnumerical:{nj}\nanalytical:{aj}\n")
    again = _analytical(func, inputs, outs)
    for a, b in zip(ana, again):
        if a is not None and not all(np.allclose(x, y, rtol=0, atol=nondet_tol)
                                     for x, y in zip(a, b)):
            raise GradcheckError(
                "Backward is not reentrant, i.e., running backward with same input and "
                "grad_output multiple times gives different values, although analytical "
                "gradient matches numerical gradient.The tolerance for nondeterminism was "
                f"{nondet_tol}.")
    if dtypes or undefined or batched:
        _check_grads(func, inputs, outs, dtypes, undefined, batched)


def _check_grads(func, inputs, outs, dtypes, undefined, batched):
    """torch's checks on the gradients themselves: their dtypes, zero (undefined) output grads
    giving zero input grads, and batched grad_outputs giving the stacked gradients."""
    from .. import autograd
    diff = [t for t in inputs if _differentiable(t)]
    outs = [o for o in outs if o._rg]
    if not diff or not outs:
        return
    if dtypes:
        ones = [o.new_ones(o.shape) for o in outs]
        for t, g in zip(diff, autograd.grad(outs, diff, ones, retain_graph=True,
                                            allow_unused=True)):
            if g is not None and g.dtype is not t.dtype:
                raise GradcheckError("Gradient has dtype mismatch")
    if undefined:
        zeros = [o.new_zeros(o.shape) for o in outs]
        try:
            gs = autograd.grad(outs, diff, zeros, retain_graph=True, allow_unused=True)
        except RuntimeError as e:
            raise GradcheckError(
                "Expected backward function to handle undefined output grads. Please look at "
                '"Notes about undefined output gradients" in "tools/autograd/derivatives.yaml"'
            ) from e
        if any(g is not None and bool((g != 0).any()) for g in gs):
            raise GradcheckError("Expected all input grads to be undefined or zero when all "
                                 "output grads are undefined or zero.")
    if batched:
        rng = np.random.default_rng(0)
        from .._tensor import _wrap
        gos = [_wrap(rng.standard_normal((2, *o.shape)).astype(o.dtype.np)) for o in outs]
        stacked = autograd.grad(outs, diff, gos, retain_graph=True, allow_unused=True,
                                is_grads_batched=True)
        for b in range(2):
            each = autograd.grad(outs, diff, [g[b] for g in gos], retain_graph=True,
                                 allow_unused=True)
            for s, e in zip(stacked, each):
                if (s is None) != (e is None) or s is not None and not np.allclose(
                        s._data[b], e._data, rtol=1e-5, atol=1e-8):
                    raise GradcheckError("gradcheck or gradgradcheck failed while testing "
                                         "batched gradient computation.")


def gradgradcheck(func, inputs, grad_outputs=None, *, eps=1e-6, atol=1e-5, rtol=1e-3,
                  gen_non_contig_grad_outputs=False, raise_exception=True, nondet_tol=0.0,
                  check_undefined_grad=True, check_grad_dtypes=False, check_batched_grad=False,
                  check_fwd_over_rev=False, check_rev_over_rev=True, fast_mode=False,
                  masked=False):
    """Matches torch.autograd.gradgradcheck: gradcheck of the vector-Jacobian product."""
    from .. import autograd
    from .._args import refuse_if
    from .._tensor import _wrap
    refuse_if("torch.autograd.gradgradcheck", "check_fwd_over_rev", check_fwd_over_rev, False)
    if not check_rev_over_rev:
        return True
    inputs = _as_tuple(inputs)
    if grad_outputs is None:
        rng = np.random.default_rng(0)
        grad_outputs = [_wrap(rng.standard_normal(o.shape).astype(o.dtype.np)).requires_grad_()
                        for o in _flat_outputs(func, inputs)]
    grad_outputs = _as_tuple(grad_outputs)
    if gen_non_contig_grad_outputs:  # the same values, laid out as torch's non-contiguous ones
        grad_outputs = tuple(_non_contiguous(g) for g in grad_outputs)
    n_in = len(inputs)

    def first(*args):
        ins, gos = args[:n_in], args[n_in:]
        diff = [t for t in ins if _differentiable(t)]
        g = autograd.grad(_flat_outputs(func, ins), diff, gos, create_graph=True,
                          allow_unused=True)
        return tuple(x for x in g if x is not None)

    return gradcheck(first, inputs + grad_outputs, eps=eps, atol=atol, rtol=rtol,
                     raise_exception=raise_exception, nondet_tol=nondet_tol,
                     check_undefined_grad=check_undefined_grad,
                     check_grad_dtypes=check_grad_dtypes, check_batched_grad=check_batched_grad,
                     fast_mode=fast_mode, masked=masked or None)


def _non_contiguous(g):
    """g's values in a tensor whose elements are every other one of a larger buffer."""
    from .._tensor import _wrap
    buf = np.zeros(g.shape + (2,), g._data.dtype)
    buf[..., 0] = g._data
    t = _wrap(buf[..., 0])
    return t.requires_grad_(g.requires_grad)
