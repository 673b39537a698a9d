"""Products: matmul (with broadcasting), mm, bmm, mv, dot, outer, addmm, baddbmm, einsum.

One `MatMul` primitive covers every rank combination; its backward handles the 1-d cases and
lets the engine sum broadcast batch dimensions away. Shape errors are checked up front with
torch's wording for each case (mm, mv, dot, bmm).
"""

import numpy as np

from .._tensor import Tensor, _wrap
from ..autograd.function import Op
from ._util import method

_ndarray = np.ndarray


def _xp(a):
    if a.__class__ is _ndarray:
        return np
    import importlib
    return importlib.import_module("cupy")


class MatMul(Op):
    _name = "MmBackward0"
    save_inputs = (0, 1)

    def forward(ctx, x, y):
        return _xp(x).matmul(x, y)

    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        na, nb = a.dim(), b.dim()
        if na == 1 and nb == 1:
            return grad * b, grad * a
        if nb == 1:  # (..., n, k) @ (k,)
            g = grad.unsqueeze(-1)
            return g * b, g * a
        if na == 1:  # (k,) @ (..., k, m)
            return (b @ grad.unsqueeze(-1)).squeeze(-1), a.unsqueeze(-1) * grad.unsqueeze(-2)
        return grad @ b.mT, a.mT @ grad


def _check_dtypes(a, b):
    if a.dtype is not b.dtype:
        n = {"float32": "float", "float64": "double", "int64": "long int", "int32": "int",
             "float16": "c10::Half"}
        raise RuntimeError(f"expected m1 and m2 to have the same dtype, but got: "
                           f"{n.get(a.dtype.name, a.dtype.name)} != "
                           f"{n.get(b.dtype.name, b.dtype.name)}")


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
        if sa[-1] != sb[-2]:
            batch = np.broadcast_shapes(sa[:-2], sb[:-2]) if na > 1 else sb[:-2]
            bsz = int(np.prod(batch))
            raise RuntimeError(f"Expected size for first two dimensions of batch2 tensor to be: "
                               f"[{bsz}, {sa[-1]}] but got: [{bsz}, {sb[-2]}].")


_NAMES = {(1, 1): "DotBackward0", (2, 1): "MvBackward0", (2, 2): "MmBackward0",
          (3, 3): "BmmBackward0"}


@method("matmul", "__matmul__")
def matmul(input, other, *, out=None):
    if not isinstance(other, Tensor):
        raise TypeError(f"matmul(): argument 'other' (position 2) must be Tensor, not "
                        f"{type(other).__name__}")
    _check_shapes(input, other)
    _check_dtypes(input, other)
    r = MatMul.apply(input, other)
    if r.grad_fn is not None:
        key = (input._data.ndim, other._data.ndim)
        r.grad_fn._name = _NAMES.get(key, "MvBackward0" if key[1] == 1 else "UnsafeViewBackward0"
                                     if key[0] > 2 and key[1] == 2 else "BmmBackward0"
                                     if key[0] == key[1] else "UnsafeViewBackward0")
    if out is not None:
        from .pointwise import _out
        return _out(r, out)
    return r


@method("__rmatmul__")
def _rmatmul(self, other):
    return matmul(other, self)


@method("mm")
def mm(input, mat2, *, out=None):
    if input._data.ndim != 2:
        raise RuntimeError("self must be a matrix")
    if mat2._data.ndim != 2:
        raise RuntimeError("mat2 must be a matrix")
    return matmul(input, mat2, out=out)


@method("bmm")
def bmm(input, mat2, *, out=None):
    if input._data.ndim != 3:
        raise RuntimeError("batch1 must be a 3D tensor")
    if mat2._data.ndim != 3:
        raise RuntimeError("batch2 must be a 3D tensor")
    sa, sb = input.shape, mat2.shape
    if sb[0] != sa[0] or sb[1] != sa[2]:
        raise RuntimeError(f"Expected size for first two dimensions of batch2 tensor to be: "
                           f"[{sa[0]}, {sa[2]}] but got: [{sb[0]}, {sb[1]}].")
    return matmul(input, mat2, out=out)


@method("mv")
def mv(input, vec, *, out=None):
    if input._data.ndim != 2 or vec._data.ndim != 1:
        raise RuntimeError(f"vector + matrix @ vector expected, got 1, {input.dim()}, "
                           f"{vec.dim()}")
    return matmul(input, vec, out=out)


@method("dot", "inner")
def dot(input, other, *, out=None):
    if input._data.ndim != 1 or other._data.ndim != 1:
        raise RuntimeError(f"1D tensors expected, but got {input.dim()}D and {other.dim()}D "
                           "tensors")
    return matmul(input, other, out=out)


inner = dot
vdot = dot


@method("outer", "ger")
def outer(input, vec2):
    return input.unsqueeze(1) * vec2.unsqueeze(0)


ger = outer


class Addmm(Op):
    _name = "AddmmBackward0"
    save_inputs = (1, 2)

    def forward(ctx, c, a, b, beta, alpha):
        ctx.beta, ctx.alpha = beta, alpha
        out = _xp(a).matmul(a, b)
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


@method("addmm")
def addmm(input, mat1, mat2, *, beta=1, alpha=1, out=None):
    if mat1._data.ndim != 2 or mat2._data.ndim != 2:
        raise RuntimeError("mat1 must be a matrix, got " + str(mat1.dim()) + "-D tensor")
    sa, sb = mat1.shape, mat2.shape
    if sa[1] != sb[0]:
        raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({sa[0]}x{sa[1]} and "
                           f"{sb[0]}x{sb[1]})")
    if mat1.dtype is not mat2.dtype:
        raise RuntimeError(f"mat1 and mat2 must have the same dtype, but got "
                           f"{mat1.dtype._legacy[:-6]} and {mat2.dtype._legacy[:-6]}")
    return Addmm.apply(input, mat1, mat2, beta, alpha)


@method("addmv")
def addmv(input, mat, vec, *, beta=1, alpha=1):
    return input * beta + (mat @ vec) * alpha


@method("baddbmm")
def baddbmm(input, batch1, batch2, *, beta=1, alpha=1):
    return input * beta + bmm(batch1, batch2) * alpha


@method("addbmm")
def addbmm(input, batch1, batch2, *, beta=1, alpha=1):
    return input * beta + bmm(batch1, batch2).sum(0) * alpha


class Einsum(Op):
    _name = "EinsumBackward0"

    def forward(ctx, eq, *arrays):
        ctx.eq = eq
        return _xp(arrays[0]).einsum(eq, *arrays, optimize=True)

    def backward(ctx, grad):
        ins, out = ctx.eq.split("->")
        parts = ins.split(",")
        ops = ctx._inputs
        res = [None]
        for i, p in enumerate(parts):
            others = [parts[j] for j in range(len(parts)) if j != i]
            eq = ",".join([out] + others) + "->" + p
            # letters of p missing from out and the others: the grad is constant along them
            avail = set(out + "".join(others))
            missing = [c for c in p if c not in avail]
            if missing:
                red = "".join(c for c in p if c in avail)
                g = einsum(",".join([out] + others) + "->" + red,
                           grad, *[ops[j] for j in range(len(parts)) if j != i])
                shape = [ops[i].shape[k] if c in missing else 1 for k, c in enumerate(p)]
                idx = [k for k, c in enumerate(p) if c not in missing]
                full = [1] * len(p)
                for k, s in zip(idx, g.shape):
                    full[k] = s
                g = g.reshape(full).expand([max(a, b) for a, b in zip(full, shape)])
            else:
                g = einsum(eq, grad, *[ops[j] for j in range(len(parts)) if j != i])
            res.append(g)
        return tuple(res)


def _norm_eq(eq, arrays):
    eq = eq.replace(" ", "")
    if "->" not in eq:
        ins = eq.split(",")
        letters = "".join(ins)
        out = "".join(sorted(c for c in set(letters) if letters.count(c) == 1 and c != "."))
        eq = eq + "->" + out
    if "." in eq:
        raise NotImplementedError("ember does not implement torch.einsum with '...' yet")
    return eq


def einsum(equation, *operands):
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    eq = _norm_eq(equation, operands)
    r = Einsum.run((None,) + tuple(operands), (eq,) + tuple(o._data for o in operands), {})
    if r.grad_fn is not None:
        r.grad_fn._inputs = operands
        r.grad_fn._name = "ViewBackward0"
    return r


def _t(x):
    return _wrap(x)
