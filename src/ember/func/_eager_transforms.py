"""torch.func's autograd transforms: grad, grad_and_value, vjp, jacrev, jacfwd, jvp, hessian,
linearize.

Each transform runs ember's reverse-mode autograd on *physical* tensors. Inside vmap, every
differentiated input is first made batched at every active vmap level (an unbatched one is
expanded), so the function's outputs are batched too; since vmap keeps batch entries
independent, the gradient of their sum with respect to the batched input is the per-entry
gradient. Forward mode (jvp, linearize) uses the double-vjp identity: J v is the gradient with
respect to u of <J^T u, v>, so it needs only reverse mode; jacfwd gives the same Jacobian as
jacrev and is computed as one.
"""

import functools

from .. import autograd
from .._tensor import Tensor
from ..autograd.grad_mode import enable_grad
from ..utils._pytree import tree_flatten, tree_unflatten, treespec_pprint
from ._batched import _STACK, BatchedTensor, make, random_guard

__all__ = ["grad", "grad_and_value", "vjp", "jacrev", "jacfwd", "jvp", "hessian", "linearize"]

_DEPTH = [0]  # transforms running: an inner one keeps its graph for the outer one


# ---- physical layout helpers ----
def _frames():
    return [(f[0], f[1]) for f in _STACK]


def _to_phys(x, frames):
    """x as one tensor whose leading dims are the batches of `frames` (outermost first)."""
    have = []
    v = x
    while v.__class__ is BatchedTensor:
        have.append(v._level)
        v = v._value
    have.reverse()
    for i, (level, size) in enumerate(frames):
        if level not in have:
            v = v.unsqueeze(i)
            v = v.expand(tuple(v.shape[:i]) + (size,) + tuple(v.shape[i + 1:]))
            have.insert(i, level)
    return v


def _from_phys(p, frames):
    for level, _ in frames:
        p = make(p, level)
    return p


def _lift(t, frames):
    """(logical tensor, physical tensor) of a differentiable copy of input `t`."""
    if not isinstance(t, Tensor):
        raise ValueError(f"Thing passed to transform API must be Tensor, got {type(t)}")
    p = _to_phys(t, frames)
    p = p.view_as(p) if p.requires_grad else p.detach().requires_grad_()
    return _from_phys(p, frames), p


# ---- argnums ----
def _wrap_argnum(a, n):
    if not isinstance(a, int):
        raise RuntimeError(f"argnum must be int, got: {type(a)}")
    if -n <= a < n:
        return a % n
    raise RuntimeError(f"Got argnum={a}, but only {n} positional inputs")


def _argnums(argnums, n):
    if isinstance(argnums, int):
        return _wrap_argnum(argnums, n)
    if not isinstance(argnums, tuple):
        raise RuntimeError(f"argnums must be int or Tuple[int, ...], got: {type(argnums)}")
    nums = tuple(_wrap_argnum(a, n) for a in argnums)
    if len(nums) == 0:
        raise RuntimeError("argnums must be non-empty")
    if len(set(nums)) != len(nums):
        raise RuntimeError(f"argnums elements must be unique, got {nums}")
    return nums


def _prepare(args, argnums, frames):
    """Lift the differentiated args: (new args, diff spec, physical leaves)."""
    nums = _argnums(argnums, len(args))
    diff = args[nums] if isinstance(nums, int) else tuple(args[i] for i in nums)
    flat, spec = tree_flatten(diff)
    lifted = [_lift(t, frames) for t in flat]
    new_diff = tree_unflatten([lg for lg, _ in lifted], spec)
    args = list(args)
    if isinstance(nums, int):
        args[nums] = new_diff
    else:
        for i, v in zip(nums, new_diff):
            args[i] = v
    return tuple(args), spec, [p for _, p in lifted], flat


def _call(func, args, kwargs):
    _DEPTH[0] += 1
    try:
        return func(*args, **kwargs)
    finally:
        _DEPTH[0] -= 1


def _keep_graph(flat_inputs):
    return _DEPTH[0] > 0 or any(t.requires_grad for t in flat_inputs)


def _reaches_outside(outs, phys, enabled):
    """Whether grad mode was on outside the transform and the outputs' graph reaches a leaf
    that requires grad other than the transform's own inputs (a tensor the function closes
    over): then the results stay differentiable with respect to it, as torch's."""
    if not enabled:
        return False
    from ..autograd.function import AccumulateGrad
    own = {id(p) for p in phys}
    seen, stack = set(), [o.grad_fn for o in outs if isinstance(o, Tensor) and
                          o.grad_fn is not None]
    while stack:
        node = stack.pop()
        if node is None or id(node) in seen:
            continue
        seen.add(id(node))
        if node.__class__ is AccumulateGrad:
            if id(node.variable) not in own:
                return True
            continue
        stack.extend(n for n, _ in node._edges)
    return False


def _grads(outs, inputs, grad_outputs, create, retain=None):
    import ember
    gs = autograd.grad(outs, inputs, grad_outputs, retain_graph=retain, create_graph=create,
                       allow_unused=True)
    return [ember.zeros_like(p) if g is None else g for g, p in zip(gs, inputs)]


def _plain(t, create):
    return t if create or not isinstance(t, Tensor) else t.detach()


# ---- grad ----
def _grad_and_value(func, argnums, has_aux, args, kwargs):
    import ember
    frames = _frames()
    enabled = autograd.grad_mode.is_grad_enabled()
    with enable_grad():
        args, spec, phys, flat = _prepare(args, argnums, frames)
        create = _keep_graph(flat)
        output = _call(func, args, kwargs)
        aux = None
        if has_aux:
            if not (isinstance(output, tuple) and len(output) == 2):
                raise RuntimeError("grad_and_value(f)(*args): output of function f should be a "
                                   "tuple: (output, aux) if has_aux is True")
            output, aux = output
        if not isinstance(output, Tensor):
            raise RuntimeError("grad_and_value(f)(*args): Expected f(*args) to return a Tensor, "
                               f"got {type(output)}")
        if output.dim() != 0:
            raise RuntimeError("grad_and_value(f)(*args): Expected f(*args) to return a scalar "
                               f"Tensor, got tensor with {output.dim()} dims. Maybe you wanted "
                               "to use the vjp or jacrev APIs instead?")
        out = _to_phys(output, frames)
        create = create or _reaches_outside([out], phys, enabled)
        if out.requires_grad:
            gs = _grads([out], phys, [ember.ones_like(out)], create)
        else:
            gs = [ember.zeros_like(p) for p in phys]
    grads = tree_unflatten([_from_phys(_plain(g, create), frames) for g in gs], spec)
    value = _plain(output, create)
    if has_aux:
        aux = tree_unflatten([_plain(a, create) for a in tree_flatten(aux)[0]],
                             tree_flatten(aux)[1])
        return grads, (value, aux)
    return grads, value


def grad_and_value(func, argnums=0, has_aux=False):
    """Matches torch.func.grad_and_value."""
    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        return _grad_and_value(func, argnums, has_aux, args, kwargs)
    return wrapper


def grad(func, argnums=0, has_aux=False):
    """Matches torch.func.grad."""
    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        g, value = _grad_and_value(func, argnums, has_aux, args, kwargs)
        return (g, value[1]) if has_aux else g
    return wrapper


# ---- vjp ----
def _check_outputs(flat, api):
    if not flat:
        raise RuntimeError(f"{api}: Expected f to be a function that has non-empty output "
                           f"(got output = {flat})")
    for o in flat:
        if not isinstance(o, Tensor):
            raise RuntimeError(f"{api}: expected f(*primals) to return only tensors, got "
                               f"unsupported type {type(o)}")


def vjp(func, *primals, has_aux=False):
    """Matches torch.func.vjp: (output, vjp_fn[, aux])."""
    frames = _frames()
    enabled = autograd.grad_mode.is_grad_enabled()
    with enable_grad():
        flat_p, p_spec = tree_flatten(primals)
        lifted = [_lift(t, frames) for t in flat_p]
        create = _keep_graph(flat_p)
        output = _call(func, tree_unflatten([lg for lg, _ in lifted], p_spec), {})
        aux = None
        if has_aux:
            if not (isinstance(output, tuple) and len(output) == 2):
                raise RuntimeError("vjp(f, *primals): output of function f should be a tuple: "
                                   "(output, aux) if has_aux is True")
            output, aux = output
        flat_o, o_spec = tree_flatten(output)
        _check_outputs(flat_o, "vjp(f, *primals)")
        for o in flat_o:
            if not (o.is_floating_point() or o.is_complex()):
                raise RuntimeError("vjp(f, ...): All outputs of f must be floating-point or "
                                   f"complex Tensors, got Tensor with dtype {o.dtype}")
        outs = [_to_phys(o, frames) for o in flat_o]
    phys = [p for _, p in lifted]
    create = create or _reaches_outside(outs, phys, enabled)

    def vjp_fn(cotangents, retain_graph=True, create_graph=None):
        flat_c, c_spec = tree_flatten(cotangents)
        if c_spec != o_spec:
            raise RuntimeError("Expected pytree structure of cotangents to be the same as "
                               "pytree structure of outputs to the function. cotangents: "
                               f"{treespec_pprint(c_spec)}, primal output: "
                               f"{treespec_pprint(o_spec)}")
        return _vjp_apply(flat_c, outs, phys, frames, p_spec,
                          create if create_graph is None else create_graph, retain_graph)

    result = tree_unflatten([_plain(o, create) for o in flat_o], o_spec)
    return (result, vjp_fn, aux) if has_aux else (result, vjp_fn)


def _vjp_apply(flat_c, outs, phys, frames, p_spec, create, retain):
    """Cotangents batched at a vmap level the primals did not see loop over that level."""
    known = {level for level, _ in frames}
    extra = None
    for c in flat_c:
        v = c
        while v.__class__ is BatchedTensor:
            if v._level not in known and (extra is None or v._level > extra):
                extra = v._level
            v = v._value
    if extra is not None:
        from ._batched import _batch_size, _entry, _stack_outputs
        rows = [_vjp_apply([_entry(c, extra, b) for c in flat_c], outs, phys, frames, p_spec,
                           create, True) for b in range(_batch_size(extra))]
        return _stack_outputs(rows, extra)
    with enable_grad():
        cts = [_to_phys(c, frames) for c in flat_c]
        live = [(o, c) for o, c in zip(outs, cts) if o.requires_grad]
        if live:
            gs = _grads([o for o, _ in live], phys, [c for _, c in live], create, retain)
        else:
            import ember
            gs = [ember.zeros_like(p) for p in phys]
    return tree_unflatten([_from_phys(_plain(g, create), frames) for g in gs], p_spec)


# ---- jacobians ----
def _jac_rows(out, phys, frames, create):
    """d out / d each physical input, as (batch..., *out.shape, *input.shape) tensors."""
    import ember
    nb = len(frames)
    flat = out.reshape(tuple(out.shape[:nb]) + (-1,))
    n = flat.shape[-1]
    rows = []
    for k in range(n):
        elem = flat[(Ellipsis, k)]
        if elem.requires_grad:
            rows.append(_grads([elem], phys, [ember.ones_like(elem)], create, True))
        else:
            rows.append([ember.zeros_like(p) for p in phys])
    jacs = []
    for i, p in enumerate(phys):
        shape = tuple(out.shape) + tuple(p.shape[nb:])
        if n == 0:
            jacs.append(ember.zeros(shape, dtype=p.dtype))
            continue
        jacs.append(ember.stack([r[i] for r in rows], nb).reshape(shape))
    return jacs


def jacrev(func, argnums=0, *, has_aux=False, chunk_size=None, _preallocate_and_copy=False):
    """Matches torch.func.jacrev. Rows are computed one at a time, which fits any chunk_size."""
    if not (chunk_size is None or chunk_size > 0):
        raise ValueError("jacrev: `chunk_size` should be greater than 0.")

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        return _jacobian(func, argnums, has_aux, args, kwargs, "jacrev(f, ...)(*args)")
    wrapper._preallocate_and_copy = _preallocate_and_copy  # torch's internal layout switch
    return wrapper


def _jacobian(func, argnums, has_aux, args, kwargs, api):
    frames = _frames()
    enabled = autograd.grad_mode.is_grad_enabled()
    with enable_grad():
        args, spec, phys, flat = _prepare(args, argnums, frames)
        create = _keep_graph(flat)
        output = _call(func, args, kwargs)
        aux = None
        if has_aux:
            if not (isinstance(output, tuple) and len(output) == 2):
                raise RuntimeError(f"{api.split('(')[0]}(f, *primals): output of function f "
                                   "should be a tuple: (output, aux) if has_aux is True")
            output, aux = output
        flat_o, o_spec = tree_flatten(output)
        _check_outputs(flat_o, "vjp(f, *primals)")
        create = create or _reaches_outside([_to_phys(o, frames) for o in flat_o], phys,
                                            enabled)
        per_out = []
        for o in flat_o:
            jacs = _jac_rows(_to_phys(o, frames), phys, frames, create)
            per_out.append(tree_unflatten(
                [_from_phys(_plain(j, create), frames) for j in jacs], spec))
    result = tree_unflatten(per_out, o_spec)
    if has_aux:
        return result, tree_unflatten([_plain(a, create) for a in tree_flatten(aux)[0]],
                                      tree_flatten(aux)[1])
    return result


def jacfwd(func, argnums=0, has_aux=False, *, randomness="error"):
    """Matches torch.func.jacfwd (computed by reverse mode: the same Jacobian)."""
    if randomness not in ("error", "same"):  # one evaluation of f: every column sees one draw
        from .._args import unsupported
        unsupported("torch.func.jacfwd", "randomness", randomness)

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        with random_guard(randomness):
            return _jacobian(func, argnums, has_aux, args, kwargs, "jacfwd(f, ...)(*args)")
    return wrapper


def hessian(func, argnums=0):
    """Matches torch.func.hessian."""
    return jacfwd(jacrev(func, argnums), argnums)


# ---- forward mode through double vjp ----
def _check_jvp_args(primals, tangents):
    api = "jvp(f, primals, tangents)"
    for name, elts in (("primals", primals), ("tangents", tangents)):
        if not isinstance(elts, tuple):
            if name == "primals":
                raise RuntimeError(f"{api}: Expected primals to be a tuple. E.g. it should be "
                                   "valid to call f(*primals).")
            raise RuntimeError(f"{api}: Expected {name} to be a tuple of Tensors, got "
                               f"{type(elts)}")
    flat_p, p_spec = tree_flatten(primals)
    flat_t, t_spec = tree_flatten(tangents)
    if p_spec != t_spec:
        raise RuntimeError(f"{api}: Expected primals and tangents to have the same python "
                           "structure. For example, if primals is a tuple of 3 tensors, tangents "
                           f"also must be. Got primals with structure {p_spec} and tangents with "
                           f"structure {t_spec}")
    for name, flat in (("primals", flat_p), ("tangents", flat_t)):
        if not flat:
            raise RuntimeError(f"{api}: Expected {name} to contain at least one Tensor.")
        for t in flat:
            if not isinstance(t, Tensor):
                raise RuntimeError(f"{api}: Expected {name} to only contain Tensors, got "
                                   f"{type(t)}")
    return flat_p, p_spec, flat_t


def _linearized(func, flat_p, p_spec, has_aux, api):
    """Run func once: (outputs, out spec, aux, dummies u, g = J^T u per input, frames, create)."""
    import ember
    frames = _frames()
    enabled = autograd.grad_mode.is_grad_enabled()
    with enable_grad():
        lifted = [_lift(t, frames) for t in flat_p]
        create = _keep_graph(flat_p)
        output = _call(func, tree_unflatten([lg for lg, _ in lifted], p_spec), {})
        aux = None
        if has_aux:
            if not (isinstance(output, tuple) and len(output) == 2):
                raise RuntimeError(f"{api}: output of function f should be a tuple: "
                                   "(output, aux) if has_aux is True")
            output, aux = output
        flat_o, o_spec = tree_flatten(output)
        for o in flat_o:
            if not isinstance(o, Tensor):
                raise RuntimeError(f"{api}: expected f(*args) to return only tensors, got "
                                   f"unsupported type {type(o)}")
        outs = [_to_phys(o, frames) for o in flat_o]
        phys = [p for _, p in lifted]
        create = create or _reaches_outside(outs, phys, enabled)
        us = [ember.zeros_like(o).requires_grad_() for o in outs]
        live = [(o, u) for o, u in zip(outs, us) if o.requires_grad]
        gs = autograd.grad([o for o, _ in live], phys, [u for _, u in live], create_graph=True,
                           allow_unused=True) if live else [None] * len(phys)
    return flat_o, o_spec, aux, us, gs, frames, create


def _push(tangents, us, gs, frames, create, strict, api):
    import ember
    with enable_grad():
        pairs = [(g, _to_phys(t, frames)) for g, t in zip(gs, tangents)
                 if g is not None and g.requires_grad]
        if pairs:
            outs = autograd.grad([g for g, _ in pairs], us, [t for _, t in pairs],
                                 retain_graph=True, create_graph=create, allow_unused=True)
        else:
            outs = [None] * len(us)
    res = []
    for o, u in zip(outs, us):
        if o is None:
            if strict:
                raise RuntimeError(f"{api}: The output of f is independent of the inputs. This "
                                   "is not allowed with strict=True.")
            o = ember.zeros_like(u.detach())
        res.append(_from_phys(_plain(o, create), frames))
    return res


def jvp(func, primals, tangents, *, strict=False, has_aux=False):
    """Matches torch.func.jvp: (output, J @ tangents[, aux])."""
    flat_p, p_spec, flat_t = _check_jvp_args(primals, tangents)
    flat_o, o_spec, aux, us, gs, frames, create = _linearized(
        func, flat_p, p_spec, has_aux, "jvp(f, primals, tangents)")
    tans = _push(flat_t, us, gs, frames, create, strict,
                 "jvp(f, primals, tangents, strict=True)")
    out = tree_unflatten([_plain(o, create) for o in flat_o], o_spec)
    result = (out, tree_unflatten(tans, o_spec))
    return result + (aux,) if has_aux else result


def linearize(func, *primals):
    """Matches torch.func.linearize: (output, jvp_fn) with the graph built once."""
    flat_p, p_spec = tree_flatten(primals)
    flat_o, o_spec, _, us, gs, frames, create = _linearized(func, flat_p, p_spec, False,
                                                             "linearize")

    def jvp_fn(*tangents):
        flat_t, t_spec = tree_flatten(tangents)
        if t_spec != p_spec:
            raise RuntimeError(f"Expected the tangents {t_spec} to have the same argument "
                               f"structure as the primals {p_spec}")
        return tree_unflatten(_push(flat_t, us, gs, frames, create, False, "linearize"),
                              o_spec)
    return tree_unflatten([_plain(o, create) for o in flat_o], o_spec), jvp_fn
