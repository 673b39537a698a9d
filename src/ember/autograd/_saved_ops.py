"""torch's saved values (`grad_fn._saved_*`) of ember's tensor-op nodes: views and shape ops,
indexing, gathers and scatters, reductions, sorting, scans, clamps and matrix products.

Each entry maps torch's attribute name to a reader of ember's node (see `autograd._saved`).
Dims, indices and Python scalars read as the user gave them (`node._given`, set by the op's
function), as torch keeps them; a negative int64 reads as torch's uint64.
"""

from . import _saved
from ._saved import _In, _Result, _sizes

_I64_MAX = (1 << 63) - 1


def _u64(v):
    return v % (1 << 64)


def _given(n, k=None):
    g = n.__dict__.get("_given")
    if g is None:
        raise _saved.EmberNotImplemented_for(n)
    return g if k is None else g[k]


def _dim(k=None):
    return lambda n: _u64(_given(n, k))


def _dims(n):
    g = _given(n)
    return tuple(_u64(d) for d in ((g,) if isinstance(g, int) else g))


def _live(n):
    return _saved._live(n)


def _wrap(a):
    from .._tensor import _wrap as w
    return w(a)


def _idx(n):
    return _wrap(_saved.array(_live(n), "idx"))


# ---------------------------------------------------------------- basic indexing
def _key_op(n):
    """(dim, entry) of the one int or slice of a basic-indexing key; others are fused."""
    key = n.__dict__.get("key")
    if key is None or "_given" in n.__dict__:  # torch.select / Tensor.select
        return _given(n, 0), None
    nd = len(n._in_meta[0][0])
    entries = list(key)
    if Ellipsis in entries:
        at = entries.index(Ellipsis)
        entries[at:at + 1] = [slice(None)] * (nd - len(entries) + 1)
    ops = [(d, e) for d, e in enumerate(entries) if not (isinstance(e, slice) and e ==
                                                          slice(None))]
    if len(ops) != 1:
        raise _saved.EmberNotImplemented_for(n)
    return ops[0]


def _select_index(n):
    d, e = _key_op(n)
    return _u64(_given(n, 1) if e is None else int(e))


def _slice_part(k):
    def get(n):
        if type(n).__name__ == "Narrow":
            length = n._out_meta[0][0][n.dim]
            return (n.dim, n.start, n.start + length, 1)[k]
        d, e = _key_op(n)
        vals = (d, 0 if e.start is None else e.start, _I64_MAX if e.stop is None else e.stop,
                1 if e.step is None else e.step)
        return _u64(vals[k])
    return get


def _indices(n):
    from .. import _tensor
    out = []
    for e in n.key:
        if isinstance(e, slice) and e == slice(None):
            out.append(None)
        elif hasattr(e, "dtype") and hasattr(e, "shape"):
            out.append(_tensor._wrap(e))
        else:
            raise _saved.EmberNotImplemented_for(n)
    return tuple(out)


# ---------------------------------------------------------------- reductions
def _norm_dim(n):
    g = n.__dict__.get("_given", ())
    return None if g is None else tuple(_u64(d) for d in g)


def _split_size(n):
    return n._out_meta[0][0][n.dim]


def _given_or(attr):
    return lambda n: _u64(n.__dict__.get("_given", n.__dict__[attr]))


def _dim_idx(n):  # kept with the reduced dim, as torch's indices output
    return _wrap(_saved.array(_live(n), "idx").reshape(n._out_meta[0][0]))


_MAX_DIM = {"dim": _dim(), "indices": _dim_idx, "keepdim": lambda n: n.keepdim,
            "self_sym_sizes": _sizes(0)}
def _var(k):
    def get(n):
        g = _given(n)
        if k == "self":
            _live(n)
            return g[0]
        return {"dim": g[1][0], "correction": g[1][1], "keepdim": g[2]}[k]
    return get


_VAR = {"correction": _var("correction"), "dim": _var("dim"), "keepdim": _var("keepdim"),
        "self": _var("self")}
_SELF0 = {"self": _In(0)}
_RES = {"result": _Result()}
_SPECS = {
    "CatBackward0": {"dim": _dim()},
    "TransposeBackward0": {"dim0": _dim(0), "dim1": _dim(1)},
    "PermuteBackward0": {"dims": _dims},
    "UnsqueezeBackward0": {"dim": _dim()},
    "SqueezeBackward0": {"self_sym_sizes": _sizes(0)},
    "SqueezeBackward1": {"dim": _dim(), "self_sym_sizes": _sizes(0)},
    "SqueezeBackward2": {"dim": _dims, "self_sym_sizes": _sizes(0)},
    "ClampBackward1": {"max": lambda n: _given(n, 1), "min": lambda n: _given(n, 0),
                       "self": _In(0)},
    "ClampBackward0": {"max": _In(2), "min": _In(1), "self": _In(0)},
    "BmmBackward0": {"self": _In(0, when=1), "mat2": _In(1, when=0)},
    "MvBackward0": {"self": _In(0, when=1), "vec": _In(1, when=0)},
    "DotBackward0": {"self": _In(0, when=1), "tensor": _In(1, when=0)},
    "SelectBackward0": {"dim": lambda n: _u64(_key_op(n)[0]), "index": _select_index,
                        "self_sym_sizes": _sizes(0)},
    "SliceBackward0": {"dim": _slice_part(0), "start": _slice_part(1), "end": _slice_part(2),
                       "step": _slice_part(3), "self_sym_sizes": _sizes(0)},
    "IndexBackward0": {"indices": lambda n: _indices(_live(n)), "self_sym_sizes": _sizes(0)},
    "IndexSelectBackward0": {"dim": _dim(), "index": _idx, "self_sym_sizes": _sizes(0)},
    "GatherBackward0": {"dim": _dim(), "index": _idx, "self": _In(0),
                        "sparse_grad": lambda n: False},
    "ScatterBackward0": {"dim": _dim(), "index": _idx},
    "ScatterAddBackward0": {"dim": _dim(), "index": _idx},
    "LinalgVectorNormBackward0": {"dim": _norm_dim, "keepdim": lambda n: n.keepdim,
                                  "ord": lambda n: n.p, "result": _Result(), "self": _In(0)},
    "MaxBackward1": {"result": _Result(), "self": _In(0)},
    "MinBackward1": {"result": _Result(), "self": _In(0)},
    "MaxBackward0": _MAX_DIM, "MinBackward0": _MAX_DIM,
    "SoftmaxBackward0": {"dim": _given_or("dim"), "result": _Result()},
    "LogSoftmaxBackward0": {"dim": _given_or("dim"), "result": _Result()},
    "AmaxBackward0": {"dim": lambda n: tuple(n.axes), "keepdim": lambda n: n.keepdim,
                      "result": _Result(), "self": _In(0)},
    "AminBackward0": {"dim": lambda n: tuple(n.axes), "keepdim": lambda n: n.keepdim,
                      "result": _Result(), "self": _In(0)},
    "MaximumBackward0": {"other": _In(1), "self": _In(0)},
    "MinimumBackward0": {"other": _In(1), "self": _In(0)},
    "SortBackward0": {"dim": _dim(), "indices": _idx, "self_sym_sizes": _sizes(0)},
    "TopkBackward0": {"dim": _dim(), "indices": _idx, "self_sym_sizes": _sizes(0)},
    "CumsumBackward0": {"dim": _dim()},
    "VarBackward0": _VAR, "StdBackward0": dict(_VAR, result=_Result()),
    "CumprodBackward0": {"dim": _dim(), "result": _Result(), "self": _In(0)},
    "TanBackward0": _RES, "ReciprocalBackward0": _RES,
    "Log1PBackward0": _SELF0, "ErfBackward0": _SELF0,
    "Atan2Backward0": {"other": _In(1), "self": _In(0)},
    "ProdBackward0": {"result": _Result(), "self": _In(0)},
    "ProdBackward1": {"dim": lambda n: n.axis, "keepdim": lambda n: n.keepdim,
                      "result": _Result(), "self": _In(0)},
    "RepeatBackward0": {"repeats": lambda n: tuple(n.reps), "self_sym_sizes": _sizes(0)},
    "SplitBackward0": {"dim": lambda n: n.dim, "self_sym_sizes": _sizes(0),
                       "split_size": _split_size},
    "UnbindBackward0": {"dim": lambda n: n.dim},
    "FlipBackward0": {"dims": lambda n: tuple(n.axes)},
    "RollBackward0": {"dims": lambda n: tuple(n.axes), "shifts": lambda n: tuple(n.shifts)},
    "TrilBackward0": {"diagonal": lambda n: n.k}, "TriuBackward0": {"diagonal": lambda n: n.k},
    "MaskedFillBackward0": {"mask": lambda n: _wrap(_live(n).mask)},
    "UnfoldBackward0": {"dimension": lambda n: n.args[0], "self_sym_sizes": _sizes(0),
                        "size": lambda n: n.args[1], "step": lambda n: n.args[2]},
    "DiagonalBackward0": {"dim1": lambda n: n.args[1], "dim2": lambda n: n.args[2],
                          "offset": lambda n: n.args[0], "self_sym_sizes": _sizes(0)},
    "LerpBackward0": {"weight": _In(2, scalar_tensor=False)},
    "AddcmulBackward0": {"tensor1": _In(1), "tensor2": _In(2), "value": lambda n: _given(n)},
    "AddcdivBackward0": {"tensor1": _In(1), "tensor2": _In(2), "value": lambda n: _given(n)},
}
_saved.extend(_SPECS)
