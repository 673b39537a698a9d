"""Forward-mode AD, as torch.autograd.forward_ad: the dual level, make_dual/unpack_dual, and the
pass that carries tangents through ops (plus the generic jvp rules op families share).

A dual tensor is a view of its primal whose `_tangent` holds (level token, tangent); torch runs
one level at a time, and leaving it retires the token, so every tangent made in it is gone.
While a level is entered `function._fw[0]` is True: `Op.run` hands each result to `dual_run`,
which asks the op class's `jvp(ctx, *tangents)` rule (beside its forward and backward) for the
output tangents, and the ops' fast paths step aside. A rule runs with forward AD paused, so a
tangent never carries a tangent itself; grad mode stays as it is, so tangents can be
differentiated. The rule's ctx is a copy of the node with `op` (its class), `inputs`, `arrays`,
`kwargs` and `result` (the primal output) set, and `saved_tensors`, `output` and
`needs_input_grad` answering for the primals and the inputs that carry tangents, so a rule can
reuse the op's backward (`elementwise`, `reduction`).

Views and in-place ops follow torch: a view's tangent is the matching piece of its base's
tangent, and an in-place op writes the new tangent into that piece, so the base and every other
view see it. A record is (token, tangent) for a tangent an op made, (token, tangent, owner) for
an op's output that is a view of `owner`'s memory, and (token, tangent, layout) for an owner
whose tangent has its primal's memory layout (`make_dual`'s tangent when its strides match, as
torch keeps it, else a copy; an in-place op first turns its target's owner into one, copying
what an op made, since such a tangent may be shared). A view's tangent is then read through the
layout (`_piece`); a view made before its base had a tangent finds it through `_base`.
"""

import functools
import re
from typing import NamedTuple

import numpy as _np

from .. import _dtype as D
from .._args import unsupported
from .._tensor import Tensor, _wrap
from . import function

__all__ = ["UnpackedDualTensor", "enter_dual_level", "exit_dual_level", "make_dual",
           "unpack_dual", "dual_level"]

_fw = function._fw
_token = [None]  # the entered level's token (None: no level); tangents carry the one they got
_NO_EDGE = (None, 0)
MISSING = ("Trying to use forward AD with {} that does not support it because it has not been "
            "implemented yet.\nPlease file an issue to PyTorch at https://github.com/pytorch/"
            "pytorch/issues/new?template=feature-request.yml so that we can prioritize its "
            "implementation or submit a PR adding the implementation to derivatives.yaml")


class UnpackedDualTensor(NamedTuple):
    """Matches torch.autograd.forward_ad.UnpackedDualTensor."""

    primal: Tensor
    tangent: Tensor | None


def _level():
    return -1 if _token[0] is None else 0


def enter_dual_level():
    """Matches torch.autograd.forward_ad.enter_dual_level (one level at a time, as torch)."""
    if _token[0] is not None:
        raise RuntimeError("Nested forward mode AD is not supported at the moment")
    _token[0] = object()
    _fw[0] = True
    return 0


def exit_dual_level(*, level=None):
    """Matches torch.autograd.forward_ad.exit_dual_level: the level's tangents are dropped."""
    current = _level()
    if level is None:
        level = current
    if level != current:
        raise RuntimeError("Trying to exit a forward AD level that was not the last one that was "
                           "created. This is not supported.")
    if level < 0:
        raise RuntimeError("Dual level must be a positive number.")
    _token[0] = None
    _fw[0] = False


class dual_level:
    """Matches torch.autograd.forward_ad.dual_level (also as a decorator)."""

    def __call__(self, fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with dual_level():
                return fn(*args, **kwargs)
        return wrapper

    def __enter__(self):
        return enter_dual_level()

    def __exit__(self, *exc):
        exit_dual_level()


def tangent_of(t):
    """The tangent `t` carries at the entered level, or None."""
    d, tok = t._tangent, _token[0]
    if d is not None and d[0] is tok:
        if len(d) == 2 or d[2].__class__ is tuple:
            return d[1]
        got = _from_owner(t, d[2])  # a view: its piece of the owner's tangent, once laid out
        return d[1] if got is None else got
    b = t._base
    if b is not None and tok is not None:  # a view made before its base had a tangent
        return _from_owner(t, b)
    return None


def carries(t):
    """Whether `t` may carry a tangent (its own record, or its base's); cheap."""
    return t._tangent is not None or t._base is not None and t._base._tangent is not None


def _from_owner(t, owner):
    d = owner._tangent
    if d is not None and d[0] is _token[0] and len(d) == 3 and d[2].__class__ is tuple:
        return _piece(t, d[2])
    return None


def _place(a):
    """(address, element strides) of array `a`, or None where `a` is not plain strided memory."""
    try:
        ptr = a.__array_interface__["data"][0] if a.__class__ is _np.ndarray else a.data.ptr
    except AttributeError:
        return None
    isz = a.itemsize
    if any(s % isz for s in a.strides):
        return None
    return ptr, tuple(s // isz for s in a.strides)


def _extent(shape, es):
    """(lowest, highest) element offset an array of `shape` with element strides `es` reaches."""
    lo = sum((n - 1) * s for n, s in zip(shape, es) if s < 0)
    hi = sum((n - 1) * s for n, s in zip(shape, es) if s > 0)
    return lo, hi


def _strided(a, shape, es):
    st = _np.lib.stride_tricks if a.__class__ is _np.ndarray else \
        __import__("cupy").lib.stride_tricks
    return st.as_strided(a, shape, tuple(s * a.itemsize for s in es))


def _layout(primal, tangent=None):
    """The layout record of an owner: (flat buffer over the primal's memory span, lowest primal
    address, primal item size, whether the buffer is `tangent`'s memory), with `tangent`
    itself as that buffer where its element strides match the primal's (torch keeps such a
    tangent; writes land in it), else a fresh buffer holding `tangent` (or zeros). None where
    the primal is not plain strided memory."""
    a = primal._data
    pl = _place(a)
    if pl is None or 0 in a.shape:
        return None
    ptr, es = pl
    lo, hi = _extent(a.shape, es)
    if tangent is not None:
        ta = tangent._data
        tp = _place(ta)
        if tp is not None and tp[1] == es and ta.shape == a.shape and ta.flags.writeable:
            flat = _strided(ta[tuple(slice(None, None, -1) if s < 0 else slice(None)
                                     for s in es)], (hi - lo + 1,), (1,))
            return flat, ptr + lo * a.itemsize, a.itemsize, True
        dt = tangent._data.dtype
    else:
        dt = a.dtype
    xp = _np if a.__class__ is _np.ndarray else __import__("cupy")
    buf = xp.zeros(hi - lo + 1, dt)
    info = buf, ptr + lo * a.itemsize, a.itemsize, False
    if tangent is not None:
        _piece(primal, info)._data[...] = tangent._data
    return info


def _piece(t, info):
    """t's piece of an owner's laid-out tangent (a view of it), or None if t is not in it."""
    buf, lo, isz, _ = info
    a = t._data
    pl = _place(a)
    if pl is None or a.itemsize != isz:
        return None
    off, rem = divmod(pl[0] - lo, isz)
    first, last = _extent(a.shape, pl[1])
    if rem or off + first < 0 or off + last >= buf.shape[0]:
        return None
    return _wrap(_strided(buf[off:], a.shape, pl[1]))


def _own(owner):
    """`owner`'s layout record, made first if it has none (from the tangent it carries)."""
    d = owner._tangent
    if d is not None and d[0] is _token[0] and len(d) == 3 and d[2].__class__ is tuple:
        return d[2]
    info = _layout(owner, tangent_of(owner))
    if info is not None:
        owner._tangent = (_token[0], _piece(owner, info), info)
    return info


def _set_tangent(t, tangent):
    t._tangent = (_token[0], tangent)


def make_dual(tensor, tangent, *, level=None):
    """Matches torch.autograd.forward_ad.make_dual: a view of `tensor` carrying `tangent`."""
    current = _level()
    if level is None:
        level = current
    if level < 0:
        raise RuntimeError("Trying to create a dual Tensor for forward AD but no level exists, "
                           "make sure to enter_dual_level() first.")
    for name, t in (("primal", tensor), ("tangent", tangent)):
        if not (t.is_floating_point() or t.is_complex()):
            raise ValueError(f"Expected {name} to be floating point or complex, but got: "
                             f"{t.dtype}")
        if t.is_complex():
            unsupported("torch.autograd.forward_ad.make_dual", name, "<complex tensor>")
    if level != current:
        raise RuntimeError("Invalid level given to _make_dual")
    if tangent_of(tensor) is not None:
        raise RuntimeError(f"Making a dual Tensor based on a Tensor that already has a forward "
                           f"gradient at the same level {level} is not supported.")
    if tangent.shape != tensor.shape:
        raise RuntimeError(
            "Trying to set a forward gradient that has a different size than that of the "
            f"original Tensor, this is not supported. Tensor is of size {_fmt(tensor.shape)} "
            f"while the given forward gradient is of size {_fmt(tangent.shape)}.")
    dual = tensor.view_as(tensor)
    info = _layout(dual, tangent)
    if info is None:
        _set_tangent(dual, tangent)
    else:  # torch keeps the tangent itself when its layout is the primal's, else a copy
        dual._tangent = (_token[0], tangent if info[3] else _piece(dual, info), info)
    return dual


def _fmt(shape):
    return "[" + ", ".join(str(s) for s in shape) + "]"


def unpack_dual(tensor, *, level=None):
    """Matches torch.autograd.forward_ad.unpack_dual: (a view of the primal, the tangent)."""
    if level is None:
        level = _level()
    if level < 0:
        return UnpackedDualTensor(tensor, None)
    tangent = tangent_of(tensor) if level == _level() else None
    with _paused():
        primal = tensor.view_as(tensor)
    return UnpackedDualTensor(primal, tangent)


class _paused:
    """Forward AD off for a while: what runs inside propagates no tangents."""

    def __enter__(self):
        self.prev = _fw[0]
        _fw[0] = False

    def __exit__(self, *exc):
        _fw[0] = self.prev


# ---------------------------------------------------------------- the tangent pass
def dual_run(ctx, args, arrays, kwargs, out):
    """Op.run's ending under a dual level: the result, with tangents where an input has one."""
    res = function.finish(ctx, args, out)
    tok = _token[0]
    tans, any_t = [], False
    for a in args:
        if a.__class__ is Tensor and (a._tangent is not None or a._base is not None):
            d = a._tangent
            t = d[1] if d is not None and len(d) == 2 and d[0] is tok else tangent_of(a)
            tans.append(t)
            any_t = any_t or t is not None
        else:
            tans.append(None)
    if not any_t:
        return res
    cls = ctx.__class__
    outs = res if res.__class__ is tuple else (res,)
    nondiff = cls.nondiff_outputs
    diff = [i for i, o in enumerate(outs)
            if i not in nondiff and (o.dtype.is_floating_point or o.dtype.is_complex)]
    if not diff:
        return res
    if cls.jvp is None:
        raise NotImplementedError(MISSING.format(aten_name(cls)))
    jcls = _RULE_CTX.get(cls) or _rule_ctx(cls)
    j = jcls.__new__(jcls)
    j.__dict__.update(ctx.__dict__)
    j.op, j.inputs, j.arrays, j.kwargs, j.result = cls, args, arrays, kwargs, res
    j._edges = tuple(_TANGENT_EDGE if t is not None else _NO_EDGE for t in tans)
    j._saved = tuple(args[i] for i in cls.save_inputs)
    j._saved_vc = (None,) * len(j._saved)
    with _paused():
        got = cls.jvp(j, *tans)
    src = args[0] if args and args[0].__class__ is Tensor else None
    owner = _owner_of(src) if src is not None else None
    if res.__class__ is not tuple:
        attach(res, got)
        _viewed(res, src, owner)
        return res
    for i in diff:
        attach(outs[i], got[i])
        _viewed(outs[i], src, owner)
    return res


def _owner_of(a):
    """The tensor whose tangent a's tangent is a piece of (a itself for a tangent of its own)."""
    d = a._tangent
    if d is not None and d[0] is _token[0]:
        return d[2] if len(d) == 3 and d[2].__class__ is not tuple else a
    b = a._base
    return b if b is not None and _from_owner(a, b) is not None else None


def _viewed(out, src, owner):
    """An output that is a view of `src` remembers the owner of the tangent it is a piece of."""
    if owner is not None and out._base is not None and (out._base is src or
                                                         out._base is src._base):
        d = out._tangent
        if d is not None and len(d) == 2:
            out._tangent = (d[0], d[1], owner)


_RULE_CTX = {}


class _Tangent:
    """What a rule ctx's edge points to for an input with a tangent (needs_input_grad reads
    it); a backward the rule runs may build graph through the ctx, which ends here."""

    _edges = ()


_TANGENT_EDGE = (_Tangent(), 0)


def _rule_ctx(cls):
    """The class of a rule's ctx for op `cls`: `output` is the primal result (a backward the
    rule reuses reads it there)."""
    sub = _RULE_CTX[cls] = type(cls.__name__, (cls,), {"output": property(_primal_output)})
    return sub


def _primal_output(ctx):
    r = ctx.result
    return r[0] if r.__class__ is tuple else r


def attach(out, tangent):
    """`out` carries `tangent` (made real for a real `out`, widened to its dtype)."""
    if tangent is None:
        return
    if tangent.is_complex() and not out.is_complex():  # a real result's tangent is real
        tangent = tangent.real
    dt = D.promote_types(tangent.dtype, out.dtype)
    if dt is not tangent.dtype:  # a tangent is at least as wide as its primal
        tangent = tangent.to(dt)
    _set_tangent(out, tangent)


def aten_name(cls):
    """torch's operator name for an op class (its `_aten`, else read off its node name:
    MmBackward0 -> mm, Im2ColBackward0 -> im2col)."""
    if "_aten" in cls.__dict__:
        return cls._aten
    name = re.sub(r"Backward\d*$", "", cls._name or cls.__name__).split("::")[-1]
    return re.sub(r"(?<=[a-z])([A-Z])", r"_\1", name).lower()


def custom_jvp(cls, ctx, args, res):
    """A custom Function's output tangents from its jvp (tangent-less Tensor inputs get
    zeros, other arguments None, as torch passes them)."""
    tans = [tangent_of(a) if isinstance(a, Tensor) else None for a in args]
    if all(t is None for t in tans):
        return
    grads = [t if t is not None or not isinstance(a, Tensor) else a.detach().new_zeros(a.shape)
             for a, t in zip(args, tans)]
    ctx._in_jvp = True
    try:
        with _paused():
            got = cls.jvp(ctx, *grads)
    finally:
        ctx._in_jvp = False
    outs = res if isinstance(res, tuple) else (res,)
    got = got if isinstance(got, tuple) else (got,)
    for o, t in zip(outs, got):
        if isinstance(o, Tensor) and isinstance(t, Tensor) and (
                o.dtype.is_floating_point or o.dtype.is_complex):
            attach(o, t)


def inplace_tangent(t, result):
    """After an in-place op wrote `result` into `t`: t's piece of its owner's tangent holds
    result's tangent (zeros if it has none), as torch writes into the existing tangent."""
    new = tangent_of(result)
    if new is None and tangent_of(t) is None:
        return
    d = t._tangent
    if d is not None and d[0] is _token[0]:
        owner = d[2] if len(d) == 3 and d[2].__class__ is not tuple else t
    else:
        owner = t._base if t._base is not None else t
    if new is not None and new.dtype is not t.dtype and D.promote_types(new.dtype, t.dtype) \
            is t.dtype:
        new = new.to(t.dtype)
    info = _own(owner)
    piece = None if info is None else _piece(t, info)
    if piece is None or (new is not None and piece.dtype is not new.dtype):
        t._tangent = None if new is None else (_token[0], new)  # no shared layout: t alone
        return
    piece._data[...] = 0 if new is None else new._data
    if t is not owner:
        t._tangent = (_token[0], piece, owner)


def gather_tangent(src, out, dim, index, squeeze=False):
    """`out` (picked from `src` at `index` along `dim` outside any Op) carries the tangent
    picked the same way."""
    tangent = tangent_of(src)
    if tangent is not None:
        with _paused():
            t = tangent.gather(dim, index) if tangent.dim() else tangent
            _set_tangent(out, t.squeeze(dim) if squeeze and tangent.dim() else t)


def pass_tangents(src, dst):
    """Each Tensor of `dst` carries the tangent its counterpart in `src` has (stand-ins)."""
    for s, d in zip(src, dst):
        if d is not s and isinstance(s, Tensor):
            tangent = tangent_of(s)
            if tangent is not None:
                _set_tangent(d, tangent)


function._dual_run = dual_run
function._custom_jvp = custom_jvp


# ---------------------------------------------------------------- rules op families share
def refuse(name, *tensors, listed=True):
    """Raise torch's missing-derivative error for kernel `name` when forward AD is on and one of
    `tensors` carries a tangent (composites that torch runs as one kernel without a rule);
    `listed` False: torch's wording for a kernel derivatives.yaml does not list."""
    if _fw[0] and any(isinstance(t, Tensor) and tangent_of(t) is not None for t in tensors):
        msg = MISSING.format(name)
        raise NotImplementedError(msg if listed else msg[:msg.index(" or submit")] + ".")


def through(fn, args, tangents):
    """The output tangents of fn(*args), a differentiable composite of ember ops, run on dual
    copies of `args` (the primal `args` carrying `tangents`): how an op whose kernel has no
    transposable backward (grid_sampler_2d, the fused recurrent layers) gets its rule."""
    prev = _fw[0]
    _fw[0] = True  # rules run paused: here the composite's own rules carry the tangents
    try:
        duals = [make_dual(a.detach(), t) if t is not None else a for a, t in zip(args, tangents)]
        out = fn(*duals)
        outs = out if out.__class__ is tuple else (out,)
        got = tuple(tangent_of(o) for o in outs)
    finally:
        _fw[0] = prev
    return got if out.__class__ is tuple else got[0]


def missing(ctx, *tangents):
    """The rule of an op torch has no forward derivative for."""
    raise NotImplementedError(MISSING.format(aten_name(ctx.op)))


def elementwise(ctx, *tangents):
    """An elementwise op whose backward is the gradient times each partial derivative: the sum
    of backward(tangent, broadcast to the result)[i] over the inputs i that have a tangent."""
    out = ctx.result[0] if ctx.result.__class__ is tuple else ctx.result
    shape = out._data.shape
    total = None
    for i, t in enumerate(tangents):
        if t is None:
            continue
        full = t if t._data.shape == shape else t.expand(shape)
        part = ctx.op.backward(ctx, full)
        part = part[i] if part.__class__ is tuple else part
        total = part if total is None else total + part
    return total


def linear(ctx, t, *others):
    """An op linear in its first input, the rest fixed (views, shape ops, sums, ...): the op
    itself on the tangent."""
    if any(o is not None for o in others):
        return missing(ctx)
    return ctx.op.run((t,) + tuple(ctx.inputs[1:]), (t._data,) + tuple(ctx.arrays[1:]),
                         ctx.kwargs)


def linear_all(ctx, *tangents):
    """An op linear in all its Tensor inputs together (cat, stack): the op on the tangents,
    zeros standing for the inputs without one."""
    args = [t if t is not None else (_zeros(a) if _differentiable(a) else a)
            for a, t in zip(ctx.inputs, tangents)]
    arrays = [a._data if isinstance(a, Tensor) else x for a, x in zip(args, ctx.arrays)]
    return ctx.op.run(tuple(args), tuple(arrays), ctx.kwargs)


def multilinear(ctx, *tangents):
    """An op linear in each input separately (mul, matmul, einsum): the sum over inputs with a
    tangent of the op with that input replaced by its tangent."""
    total = None
    for i, t in enumerate(tangents):
        if t is None:
            continue
        args, arrays = list(ctx.inputs), list(ctx.arrays)
        args[i], arrays[i] = t, t._data
        part = ctx.op.run(tuple(args), tuple(arrays), ctx.kwargs)
        total = part if total is None else total + part
    return total


def reduction(ctx, t, *others):
    """A reduction whose backward spreads the gradient over the inputs it reduced (prod, max,
    amax, norms): the tangent weighted by backward(ones), summed over the reduced dims (the
    node's `axes`, or its one `axis`, and `keepdim`)."""
    if any(o is not None for o in others):
        return missing(ctx)
    out = _primal_output(ctx)
    g = ctx.op.backward(ctx, out.detach().new_ones(out.shape))
    g = g[0] if g.__class__ is tuple else g
    d = ctx.__dict__
    axes = d["axes"] if "axes" in d else (None if d.get("axis") is None else (d["axis"],))
    if axes is None:
        axes = tuple(range(t.dim()))
    return (g * t).sum(tuple(axes), keepdim=d.get("keepdim", False)) if axes else g * t


def transposed(ctx, *tangents):
    """Any op with a differentiable backward (linalg factorizations, scatters, losses, fused
    recurrent layers): backward is u -> J^H u, linear in u, so J t is the gradient at u = 0 of
    Re<backward(u), t>, the tangents' transpose of the transpose."""
    from . import grad as _grad
    from .grad_mode import enable_grad, is_grad_enabled
    outs = ctx.result if ctx.result.__class__ is tuple else (ctx.result,)
    nondiff = ctx.op.nondiff_outputs
    us = [o.detach().new_zeros(o.shape) for o in outs]
    wrt = [i for i, o in enumerate(outs) if i not in nondiff and _differentiable(o)]
    for i in wrt:
        us[i].requires_grad_()
    create = is_grad_enabled()
    with enable_grad():
        gs = ctx.op.backward(ctx, *us)
        gs = gs if gs.__class__ is tuple else (gs,)
        total = None
        for g, t in zip(gs, tangents):
            if g is None or t is None:
                continue
            part = (g.conj() * t).sum().real if g.is_complex() else (g * t).sum()
            total = part if total is None else total + part
        got = [None] * len(wrt)
        if total is not None and total.requires_grad:
            got = _grad(total, [us[i] for i in wrt], allow_unused=True, create_graph=create)
    res = [None] * len(outs)
    for i, g in zip(wrt, got):
        res[i] = g if g is not None else us[i].detach()
    return res[0] if ctx.result.__class__ is not tuple else tuple(res)


def _differentiable(a):
    return isinstance(a, Tensor) and (a.dtype.is_floating_point or a.dtype.is_complex)


def _zeros(a):
    return a.detach().new_zeros(a.shape)
