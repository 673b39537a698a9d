"""Products: matmul (with broadcasting), mm, bmm, mv, dot, outer, addmm, baddbmm, einsum.

One `MatMul` primitive covers every rank combination; its backward handles the 1-d cases and
lets the engine sum broadcast batch dimensions away. Shape errors are checked up front with
torch's wording for each case (mm, mv, dot, bmm).
"""

__all__ = ["matmul", "mm", "bmm", "mv", "dot", "inner", "vdot", "outer", "ger", "addmm", "addmv",
           "baddbmm", "addbmm", "einsum", "tensordot"]

import numpy as np

from .._device import array_module as _xp
from .._device import match_devices
from .._gemm import matmul as _mm
from .._tensor import Tensor, _wrap
from ..amp import _hook as _amp
from ..autograd import forward_ad as _fwd
from ..autograd import grad_mode
from ..autograd.function import _NUMPY_ERRORS, Op, torch_error
from ._util import broadcast_error
from .inplace import _out

_ndarray = np.ndarray
_enabled = grad_mode._enabled
_fw = _fwd._fw


class MatMul(Op):
    _name = "MmBackward0"
    _holomorphic = True  # (complex gradients: Op._call_backward)
    jvp = _fwd.multilinear
    save_inputs = (0, 1)
    _keep_strides = True  # torch's node answers its inputs' strides after backward

    def forward(ctx, x, y):
        return _mm(x, y)  # around NumPy's slow paths (_gemm.py)

    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        x, y, g = a._data, b._data, grad._data
        if not _enabled[0] and x.ndim == 2 and y.ndim == 2 and g.__class__ is _ndarray:
            e = ctx._edges  # on arrays when nothing is recorded; fresh results the engine keeps
            return (_wrap(_mm(g, y.T)) if e[0][0] is not None else None,
                    _wrap(_mm(x.T, g)) if e[1][0] is not None else None)
        na, nb = a.dim(), b.dim()
        if na == 1 and nb == 1:
            return grad * b, grad * a
        if nb == 1:  # (..., n, k) @ (k,)
            g = grad.unsqueeze(-1)
            return g * b, g * a
        if na == 1:  # (k,) @ (..., k, m)
            return (b @ grad.unsqueeze(-1)).squeeze(-1), a.unsqueeze(-1) * grad.unsqueeze(-2)
        return grad @ b.mT, a.mT @ grad


_C_NAMES = {"float32": "float", "float64": "double", "float16": "c10::Half", "int64": "long int",
            "int32": "int", "int16": "short int", "int8": "signed char", "uint8": "unsigned char",
            "bool": "bool", "bfloat16": "c10::BFloat16"}


def _check_dtypes(a, b):
    """torch's wording differs by the kernel the rank pair reaches (dot, addmv, mm, bmm)."""
    da, db = a.dtype, b.dtype
    if da is db:
        return
    na, nb = a._data.ndim, b._data.ndim
    ca, cb = da._legacy[:-6], db._legacy[:-6]
    if na == 1 and nb == 1:
        msg = f"dot : expected both vectors to have same dtype, but found {ca} and {cb}"
    elif nb == 1:
        msg = f"addmv input tensors must have the same dtype, but got {cb}, {ca}, and {cb}"
    elif nb == 2:
        msg = (f"expected m1 and m2 to have the same dtype, but got: "
               f"{_C_NAMES.get(da.name, da.name)} != {_C_NAMES.get(db.name, db.name)}")
    else:
        msg = f"expected scalar type {ca} but found {cb}"
    raise RuntimeError(msg)


def _check_shapes(a, b):
    sa, sb = a._data.shape, b._data.shape
    na, nb = len(sa), len(sb)
    if na == 0 or nb == 0:
        raise RuntimeError(f"both arguments to matmul need to be at least 1D, but they are "
                           f"{na}D and {nb}D")
    if na == 1 and nb == 1:
        if sa[0] != sb[0]:
            raise RuntimeError(f"inconsistent tensor size, expected tensor [{sa[0]}] and src "
                               f"[{sb[0]}] to have the same number of elements, but got "
                               f"{sa[0]} and {sb[0]} elements respectively")
    elif nb == 1:
        if sa[-1] != sb[0]:
            if na == 2:
                raise RuntimeError(f"size mismatch, got input ({sa[0]}), mat ({sa[0]}x{sa[1]}), "
                                   f"vec ({sb[0]})")
            rows = int(np.prod(sa[:-1]))
            raise RuntimeError(f"size mismatch, got input ({rows}), mat ({rows}x{sa[-1]}), vec "
                               f"({sb[0]})")
    elif nb == 2:
        if sa[-1] != sb[0]:
            rows = 1 if na == 1 else int(np.prod(sa[:-1]))
            raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({rows}x{sa[-1]} and "
                               f"{sb[0]}x{sb[1]})")
    else:
        ba, bb = sa[:-2], sb[:-2]
        try:  # torch expands the batch dims first: their mismatch is reported before k's
            np.broadcast_shapes(ba, bb)
        except ValueError:
            z = np.int8(0)
            raise broadcast_error(np.broadcast_to(z, ba), np.broadcast_to(z, bb)) from None
        if sa[-1] != sb[-2]:
            batch = np.broadcast_shapes(sa[:-2], sb[:-2]) if na > 1 else sb[:-2]
            bsz = int(np.prod(batch))
            raise RuntimeError(f"Expected size for first two dimensions of batch2 tensor to be: "
                               f"[{bsz}, {sa[-1]}] but got: [{bsz}, {sb[-2]}].")


_NOKW = {}
_NAMES = {(1, 1): "DotBackward0", (1, 2): "SqueezeBackward4", (2, 1): "MvBackward0",
          (2, 2): "MmBackward0"}


def _matmul_name(na, nb):
    """The grad_fn torch's matmul ends with: its last step for this pair of ranks."""
    if (na, nb) in _NAMES:
        return _NAMES[(na, nb)]
    return "CloneBackward0" if na == 2 else "UnsafeViewBackward0"


def matmul(input, other, *, out=None):
    if _amp.on and out is None and _amp.active():
        return _amp.lower(matmul, input, other)
    if out is None and other.__class__ is Tensor and input.dtype is other.dtype and not _fw[0]:
        x, y = input._data, other._data
        if (x.ndim == 2 and y.ndim == 2 and x.shape[1] == y.shape[0]
                and x.__class__ is _ndarray and y.__class__ is _ndarray):
            if _enabled[0] and (input._rg or other._rg):  # checks passed: torch's mm node
                return MatMul.run((input, other), (x, y), _NOKW)
            try:
                # nothing to record: skip the Op machinery (np.dot: the least overhead)
                return _wrap(np.dot(x, y) if x.shape[1] != 1 else _mm(x, y))
            except _NUMPY_ERRORS as e:
                raise torch_error(e) from None
    if not isinstance(other, Tensor):
        raise TypeError(f"matmul(): argument 'other' (position 2) must be Tensor, not "
                        f"{type(other).__name__}")
    if (input._data.__class__ is not _ndarray or other._data.__class__ is not _ndarray) and (
            input.is_sparse or other.is_sparse):  # sparse @ dense, dense @ sparse (_sparse.py)
        from ..sparse._products import spmm
        return spmm(input, other)
    _check_shapes(input, other)
    return _product(input, other, _matmul_name(input._data.ndim, other._data.ndim), out)


def _product(input, other, name, out=None):
    if input._data.__class__ is not other._data.__class__:
        match_devices(input._data, other._data)  # raises for two devices
    _check_dtypes(input, other)
    cls = MatMul
    if name == "UnsafeViewBackward0" and other._data.ndim <= 2:  # torch folds the batch dims
        from ._matmul_view import MatMulFolded as cls
    r = cls.apply(input, other)
    if r.grad_fn is not None:
        r.grad_fn._name = name
    if out is not None:
        from .inplace import _out
        return _out(r, out)
    return r


def _rmatmul(self, other):
    return matmul(other, self)


def mm(input, mat2, *, out=None):
    if _amp.on and out is None and _amp.active():
        return _amp.lower(mm, input, mat2)
    if (input._data.__class__ is not _ndarray or mat2._data.__class__ is not _ndarray) and (
            input.is_sparse or mat2.is_sparse) and out is None:
        from ..sparse._products import spmm
        return spmm(input, mat2)
    if input._data.ndim != 2:
        raise RuntimeError("self must be a matrix")
    if mat2._data.ndim != 2:
        raise RuntimeError("mat2 must be a matrix")
    _check_shapes(input, mat2)
    return _product(input, mat2, "MmBackward0", out)


def bmm(input, mat2, *, out=None):
    if _amp.on and out is None and _amp.active():
        return _amp.lower(bmm, input, mat2)
    if input._data.ndim != 3:
        raise RuntimeError("batch1 must be a 3D tensor")
    if mat2._data.ndim != 3:
        raise RuntimeError("batch2 must be a 3D tensor")
    sa, sb = input.shape, mat2.shape
    if sb[0] != sa[0] or sb[1] != sa[2]:
        raise RuntimeError(f"Expected size for first two dimensions of batch2 tensor to be: "
                           f"[{sa[0]}, {sa[2]}] but got: [{sb[0]}, {sb[1]}].")
    return _product(input, mat2, "BmmBackward0", out)


def mv(input, vec, *, out=None):
    if input._data.ndim != 2 or vec._data.ndim != 1:
        raise RuntimeError(f"vector + matrix @ vector expected, got 1, {input.dim()}, "
                           f"{vec.dim()}")
    _check_shapes(input, vec)
    return _product(input, vec, "MvBackward0", out)


def _vectors(input, other):
    if input._data.ndim != 1 or other._data.ndim != 1:
        raise RuntimeError(f"1D tensors expected, but got {input.dim()}D and {other.dim()}D "
                           "tensors")
    _check_shapes(input, other)


def dot(input, tensor, *, out=None):
    _vectors(input, tensor)
    return _product(input, tensor, "DotBackward0", out)


def vdot(input, other, *, out=None):
    """Matches torch.vdot: the dot product with the first vector conjugated."""
    _vectors(input, other)
    return _product(input.conj() if input.dtype.is_complex else input, other, "VdotBackward0",
                    out)


def inner(input, other, *, out=None):
    """Matches torch.inner: a product over the last dimension of each (a 0-d operand scales)."""
    if input._data.ndim == 0 or other._data.ndim == 0:
        from .pointwise import mul
        return mul(input, other, out=out)
    sa, sb = input._data.shape, other._data.shape
    if sa[-1] != sb[-1]:
        raise RuntimeError("inner() the last dimension must match on both input tensors but got "
                           f"shapes [{', '.join(map(str, sa))}] and [{', '.join(map(str, sb))}]")
    r = tensordot(input, other, ([-1], [-1]))
    if r.grad_fn is not None:
        r.grad_fn._name = "ViewBackward0"
    if out is not None:
        from .inplace import _out
        return _out(r, out)
    return r


def outer(input, vec2, *, out=None):
    for name, t in (("self", input), ("vec2", vec2)):
        if t._data.ndim != 1:
            raise RuntimeError(f"outer: Expected 1-D argument {name}, but got {t.dim()}-D")
    return _out(input.unsqueeze(1) * vec2.unsqueeze(0), out)


ger = outer


class Addmm(Op):
    _name = "AddmmBackward0"
    _holomorphic = True  # (complex gradients: Op._call_backward)
    save_inputs = (1, 2)
    _keep_strides = True

    def forward(ctx, c, a, b, beta, alpha):
        ctx.beta, ctx.alpha = beta, alpha
        if a.dtype == _F16:  # torch's float16 gemm: float32 math, one rounding
            wide = [v.astype(np.float32) if getattr(v, "dtype", None) == _F16 else v
                    for v in (c, a, b)]
            return Addmm.forward(ctx, *wide, beta, alpha).astype(_F16)
        out = _mm(a, b)
        if alpha != 1:
            out *= alpha
        if beta != 0:
            out += c if beta == 1 else beta * c
        return out

    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        ga = grad @ b.mT
        gb = a.mT @ grad
        if ctx.alpha != 1:
            ga, gb = ga * ctx.alpha, gb * ctx.alpha
        gc = grad if ctx.beta == 1 else grad * ctx.beta
        return gc, ga, gb, None, None

    def jvp(ctx, tc, ta, tb, *_):  # beta tc + alpha (ta b + a tb)
        c, a, b = ctx.inputs[:3]
        parts = [] if tc is None or ctx.beta == 0 else [tc * ctx.beta]
        if ta is not None:
            parts.append(ta @ b * ctx.alpha)
        if tb is not None:
            parts.append(a @ tb * ctx.alpha)
        total = parts[0] if parts else None
        for p in parts[1:]:
            total = total + p
        return total


def addmm(input, mat1, mat2, *, beta=1, alpha=1, out=None):
    if _amp.on and out is None and _amp.active():
        return _amp.lower(addmm, input, mat1, mat2, beta=beta, alpha=alpha)
    for name, m in (("mat1", mat1), ("mat2", mat2)):
        if m._data.ndim != 2:
            raise RuntimeError(f"{name} must be a matrix, got {m.dim()}-D tensor")
    sa, sb = mat1.shape, mat2.shape
    if sa[1] != sb[0]:
        raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({sa[0]}x{sa[1]} and "
                           f"{sb[0]}x{sb[1]})")
    for name, a in (("self", input), ("mat1", mat1)):
        if a.dtype is not mat2.dtype:
            raise RuntimeError(f"{name} and mat2 must have the same dtype, but got "
                               f"{a.dtype._legacy[:-6]} and {mat2.dtype._legacy[:-6]}")
    input.expand(sa[0], sb[1])  # torch's error for an input that does not broadcast
    return _out(Addmm.apply(input, mat1, mat2, beta, alpha), out, "addmm", exact=True)


def _scaled_sum(input, product, beta, alpha):
    """beta * input + alpha * product, where beta == 0 ignores input (nan and inf too)."""
    r = product if alpha == 1 else product * alpha
    if beta == 0:  # a zero gradient for input, and no nan or inf from it
        return r + input.mul(0).nan_to_num(0.0, 0.0, 0.0) if input._rg else r
    return r + (input if beta == 1 else input * beta)


def addmv(input, mat, vec, *, beta=1, alpha=1, out=None):
    if mat._data.ndim != 2 or vec._data.ndim != 1 or input._data.ndim > 1:
        raise RuntimeError(f"vector + matrix @ vector expected, got {input.dim()}, {mat.dim()}, "
                           f"{vec.dim()}")
    n, k = mat.shape
    if vec.shape[0] != k or input._data.ndim and input.shape[0] not in (1, n):
        size = input.shape[0] if input._data.ndim else 1
        raise RuntimeError(f"size mismatch, got input ({size}), mat ({n}x{k}), vec "
                           f"({vec.shape[0]})")
    if not (input.dtype is mat.dtype is vec.dtype):
        raise RuntimeError("addmv input tensors must have the same dtype, but got "
                           f"{input.dtype._legacy[:-6]}, {mat.dtype._legacy[:-6]}, and "
                           f"{vec.dtype._legacy[:-6]}")
    return _out(_scaled_sum(input, mv(mat, vec), beta, alpha), out, "addmv", exact=True)


def _check_batches(input, batch1, batch2, name):
    for b, t in (("batch1", batch1), ("batch2", batch2)):
        if t._data.ndim != 3:
            raise RuntimeError(f"{b} must be a 3D tensor")
    if batch1.shape[0] != batch2.shape[0]:
        raise RuntimeError(f"batch1 and batch2 must have same number of batches, got "
                           f"{batch1.shape[0]} and {batch2.shape[0]}")
    if not (input.dtype is batch1.dtype is batch2.dtype):
        c = [_C_NAMES.get(t.dtype.name, t.dtype.name) for t in (input, batch1, batch2)]
        raise RuntimeError(f"Input dtypes must be the same, got: input {c[0]}, batch1: {c[1]}, "
                           f"batch2: {c[2]}")


def baddbmm(input, batch1, batch2, *, beta=1, alpha=1, out=None):
    if _amp.on and out is None and _amp.active():
        return _amp.lower(baddbmm, input, batch1, batch2, beta=beta, alpha=alpha)
    _check_batches(input, batch1, batch2, "baddbmm")
    input.expand(batch1.shape[0], batch1.shape[1], batch2.shape[2])
    return _out(_scaled_sum(input, bmm(batch1, batch2), beta, alpha), out, "baddbmm",
                exact=True)


def addbmm(input, batch1, batch2, *, beta=1, alpha=1, out=None):
    if _amp.on and out is None and _amp.active():
        return _amp.lower(addbmm, input, batch1, batch2, beta=beta, alpha=alpha)
    _check_batches(input, batch1, batch2, "addbmm")
    input.expand(batch1.shape[1], batch2.shape[2])
    if out is not None and isinstance(out, Tensor) and out.dtype is not batch2.dtype:
        raise RuntimeError(f"self and mat2 must have the same dtype, but got "
                           f"{out.dtype._legacy[:-6]} and {batch2.dtype._legacy[:-6]}")
    r = _scaled_sum(input, bmm(batch1, batch2).sum(0), beta, alpha)
    if r.grad_fn is not None:
        r.grad_fn._name = "AddbmmBackward0"  # (torch's one node for the composite)
    return _out(r, out, "addbmm", exact=True)


_F16 = np.dtype(np.float16)


class Einsum(Op):
    _name = "EinsumBackward0"
    _holomorphic = True  # (complex gradients: Op._call_backward)
    jvp = _fwd.multilinear

    def forward(ctx, *arrays, parts, out):
        ctx.parts, ctx.out = parts, out
        if any(a.dtype == _F16 for a in arrays):  # torch's float16 bmm and sums accumulate in
            wide = [a.astype(np.float32) if a.dtype == _F16 else a for a in arrays]  # float32
            return Einsum.forward(ctx, *wide, parts=parts, out=out).astype(_F16)
        if len(arrays) == 2:
            r = _pair(arrays[0], arrays[1], parts[0], parts[1], out)
            if r is not None:
                return r
        eq = ",".join(parts) + "->" + out
        return _xp(arrays[0]).einsum(eq, *arrays, optimize=len(arrays) > 2)

    def backward(ctx, grad):
        ops = ctx.saved_tensors
        return tuple(_einsum_grad(ctx.parts, ctx.out, ops, grad, i)
                     if ctx.needs_input_grad[i] else None
                     for i in range(len(ops)))


def _pair(a, b, pa, pb, po):
    """A two-operand einsum as torch computes it: letters found in one operand only (and not in
    the output) summed first, then one batched GEMM (batch, free of a, contracted) @ (batch,
    contracted, free of b), permuted to the output (NumPy's einsum loop took 7x as long and
    rounded otherwise). None (NumPy's einsum) for diagonals, broadcast sizes and dtypes
    without BLAS."""
    if (a.dtype != b.dtype or a.dtype.char not in "fdFD" or len(set(pa)) < len(pa)
            or len(set(pb)) < len(pb)):
        return None
    size = {}
    for p, x in ((pa, a), (pb, b)):
        for c, n in zip(p, x.shape):
            if size.setdefault(c, n) != n:
                return None
    xp = _xp(a)
    for which in (0, 1):
        p, q, x = (pa, pb, a) if which == 0 else (pb, pa, b)
        alone = tuple(i for i, c in enumerate(p) if c not in q and c not in po)
        if alone:
            x = x.sum(axis=alone)
            p = "".join(c for c in p if c in q or c in po)
            if which == 0:
                pa, a = p, x
            else:
                pb, b = p, x
    batch = [c for c in pa if c in pb and c in po]
    inner = [c for c in pa if c in pb and c not in po]
    fa = [c for c in pa if c not in pb]
    fb = [c for c in pb if c not in pa]

    def n(cs):
        r = 1
        for c in cs:
            r *= size[c]
        return r

    x = xp.transpose(a, [pa.index(c) for c in batch + fa + inner]).reshape(n(batch), n(fa),
                                                                           n(inner))
    y = xp.transpose(b, [pb.index(c) for c in batch + inner + fb]).reshape(n(batch), n(inner),
                                                                           n(fb))
    # (computed transposed, (y^T x^T) in C order, the bits equal torch's bmm on more shapes, 59
    # of 60 random ones against 43, but transposing a large result back costs more than the
    # GEMM: 7 ms for a 1024x1024 outer product)
    r = _mm(x, y).reshape([size[c] for c in batch + fa + fb])
    order = batch + fa + fb
    r = xp.transpose(r, [order.index(c) for c in po])
    return r if r.flags.c_contiguous else r.copy()


def _einsum_grad(parts, out, ops, grad, i):
    """d out / d operand i as one einsum of grad with the other operands.

    A repeated letter of operand i (a diagonal) gets a fresh name tied to the first by an
    identity operand; a letter found nowhere else (summed away) is brought back by a ones
    operand, so the result broadcasts along it.
    """
    p, shape = parts[i], ops[i].shape
    subs = [out] + [q for j, q in enumerate(parts) if j != i]
    extra, names = [], []
    fresh = iter(c for c in _LETTERS if c not in "".join(parts) + out)
    for k, c in enumerate(p):
        if c in names:
            c2 = next(fresh)
            subs.append(c + c2)
            extra.append(_eye(shape[k], grad))
            c = c2
        names.append(c)
    have = set("".join(subs))
    for k, c in enumerate(names):
        if c not in have:
            subs.append(c)
            extra.append(_ones(shape[k], grad))
    others = [o for j, o in enumerate(ops) if j != i]
    return einsum(",".join(subs) + "->" + "".join(names), grad, *others, *extra)


_LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"


def _eye(n, like):
    return _wrap(_xp(like._data).eye(n, dtype=like._data.dtype))


def _ones(n, like):
    return _wrap(_xp(like._data).ones(n, dtype=like._data.dtype))


def _parse(equation, operands):
    """Splits an einsum equation into per-operand subscripts and the output, '...' expanded."""
    eq = equation.replace(" ", "")
    ins, arrow, out = eq.partition("->")
    parts = ins.split(",")
    if len(parts) != len(operands):
        raise RuntimeError("einsum(): more operands were provided than specified in the equation"
                         if len(operands) > len(parts) else
                         "einsum(): fewer operands were provided than specified in the equation")
    used = set(eq)
    free = [c for c in _LETTERS if c not in used]
    ell_n = 0
    for q, o in zip(parts, operands):
        if "..." in q:
            ell_n = max(ell_n, o.dim() - (len(q) - 3))
    ell = "".join(free[:ell_n])
    parts = [q.replace("...", ell[ell_n - (o.dim() - (len(q) - 3)):]) if "..." in q else q
             for q, o in zip(parts, operands)]
    if not arrow:
        letters = "".join(parts)
        out = ell + "".join(sorted(c for c in set(letters) if letters.count(c) == 1
                                   and c not in ell))
    else:
        out = out.replace("...", ell)
    return parts, out


def tensordot(a, b, dims=2, out=None):
    """Matches torch.tensordot: a product over paired dims, as one matmul of reshaped views."""
    import numbers

    from .._tensor import _dim
    if isinstance(dims, Tensor):
        dims = int(dims.item()) if dims._data.ndim == 0 else dims.tolist()
    if isinstance(dims, numbers.Integral) and not isinstance(dims, bool):
        if dims < 0:
            raise RuntimeError(f"tensordot expects dims >= 0, but got dims={dims}")
        if dims > a.dim() or dims > b.dim():
            raise RuntimeError(f"tensordot expects dims < ndim_a or ndim_b, but got dims={dims}")
        da, db = list(range(-dims, 0)), list(range(dims))
    elif isinstance(dims, (tuple, list)):
        da, db = dims
        for d in (da, db):
            if not isinstance(d, (tuple, list)):
                raise TypeError(f"tensordot(): argument 'dims_self' (position 3) must be tuple "
                                f"of ints, not {type(d).__name__}")
        if len(da) != len(db):
            raise RuntimeError("both dimension lists should have same length")
    else:
        raise RuntimeError("tensordot expects dims to be int or tuple[list[int], list[int]] or "
                           f"list[list[int]] containing two lists, but got dims={dims}")
    if a.dtype is not b.dtype:
        raise RuntimeError("both inputs should have same dtype")
    wa = [_dim(d, a.dim()) for d in da]
    wb = [_dim(d, b.dim()) for d in db]
    for w in (wa, wb):
        seen = next((d for i, d in enumerate(w) if d in w[:i]), None)
        if seen is not None:
            raise RuntimeError(f"dim {seen} appears multiple times in the list of dims")
    for d1, d2, w1, w2 in zip(da, db, wa, wb):
        if a.shape[w1] != b.shape[w2]:
            raise RuntimeError(f"contracted dimensions need to match, but first has size "
                               f"{a.shape[w1]} in dim {d1} and second has size {b.shape[w2]} in "
                               f"dim {d2}")
    fa = [d for d in range(a.dim()) if d not in wa]
    fb = [d for d in range(b.dim()) if d not in wb]
    if _amp.on and not fa and not fb and _amp.active():  # a full contraction: torch uses no mm
        return _amp.plain(tensordot, a, b, dims, out)
    k = int(np.prod([a.shape[d] for d in wa]))
    sa, sb = [a.shape[d] for d in fa], [b.shape[d] for d in fb]
    left = a.permute(fa + wa).reshape(int(np.prod(sa)), k)
    right = b.permute(wb + fb).reshape(k, int(np.prod(sb)))
    r = mm(left, right).reshape(sa + sb)
    return r if out is None else _out(r, out, "tensordot", exact=True)


def _check_subscripts(parts, out, operands):
    """torch's einsum checks: each output letter once and from an input; consistent sizes."""
    letters = "".join(parts)
    for c in out:
        if out.count(c) > 1:
            raise RuntimeError(f"einsum(): output subscript {c} appears more than once in the "
                               "output")
        if c not in letters:
            raise RuntimeError(f"einsum(): output subscript {c} does not appear in the equation "
                               "for any input operand")
    seen = {}
    for i, (q, o) in enumerate(zip(parts, operands)):
        mine = {}
        for c, n in zip(q, o.shape):
            if c in mine and mine[c] != n:
                raise RuntimeError(f"einsum(): subscript {c} is repeated for operand {i} but the "
                                   f"sizes don't match, {n} != {mine[c]}")
            mine[c] = n
        for c, n in mine.items():
            m = seen.get(c)
            if m is not None and m != n and 1 not in (m, n):
                raise RuntimeError(f"einsum(): subscript {c} has size {n} for operand {i} which "
                                   f"does not broadcast with previously seen size {m}")
            if m is None or m == 1:
                seen[c] = n


def _contracts(parts, out):
    """A label summed across two operands: torch's einsum computes it with bmm."""
    return any(c not in out and sum(c in q for q in parts) > 1 for c in set("".join(parts)))


def _einsum_one(x, labels, out):
    """One operand, as torch's einsum takes it: each repeated label's diagonal (moved last),
    the dims permuted to the output's labels then the summed ones, and those summed (so the
    sum's order of additions and the graph, SumBackward1 over PermuteBackward0, are torch's)."""
    labels = list(labels)
    for c in dict.fromkeys(labels):
        while labels.count(c) > 1:
            i = labels.index(c)
            j = labels.index(c, i + 1)
            x = x.diagonal(0, i, j)
            labels = [d for k, d in enumerate(labels) if k not in (i, j)] + [c]
    summed = sorted((c for c in labels if c not in out), key=lambda c: (c.islower(), c))
    x = x.permute([labels.index(c) for c in out] + [labels.index(c) for c in summed])
    return x.sum(tuple(range(len(out), len(labels)))) if summed else x


def einsum(equation, *operands):
    """Matches torch.einsum (sublist format aside)."""
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    parts, out = _parse(equation, operands)
    for i, (q, o) in enumerate(zip(parts, operands)):
        if len(q) != o.dim():
            raise RuntimeError(f"einsum(): the number of subscripts in the equation ({len(q)}) "
                               f"does not match the number of dimensions ({o.dim()}) for "
                               f"operand {i} and no ellipsis was given")
    _check_subscripts(parts, out, operands)
    if len(operands) == 1:
        return _einsum_one(operands[0], parts[0], out)
    if _amp.on and _amp.active() and _contracts(parts, out):  # torch's einsum contracts by bmm
        return _amp.lower(einsum, equation, *operands)
    r = Einsum.run(tuple(operands), [o._data for o in operands], {"parts": parts, "out": out})
    node = r.grad_fn
    if node is not None:
        node._saved = tuple(operands)
        node._saved_vc = tuple(o._vc[0] for o in operands)
    return r
