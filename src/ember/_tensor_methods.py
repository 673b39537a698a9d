"""Everything a Tensor can do beyond its class body: one table, `name -> function`, by family.

`Tensor` (_tensor.py) holds the core: data, dtype/device, autograd state, conversions. Every op
method is one entry below, the ops module's own function (a method call costs what the function
call costs: no wrapper), in-place variants and operators included. `ember/__init__.py` binds the
table once, after the ops modules load and before torch's keyword spellings are installed.
"""

from ._tensor import Tensor
from .ops import (
    creation,
    decomp,
    gather,
    index,
    linalg,
    rearrange,
    reduce,
    scan,
    shape,
    sorting,
    stats,
    views,
)
from .ops.creation import _new_like
from .ops.gather import _inplace_version
from .ops.inplace import _unary_inplace


def _softmax(self, dim=None, **kwargs):
    from .nn.functional import softmax as f
    return f(self, dim, **kwargs)


def _log_softmax(self, dim=None, **kwargs):
    from .nn.functional import log_softmax as f
    return f(self, dim, **kwargs)


def _cumsum(self, dim, dtype=None):  # cumsum_ takes no out=
    return reduce.cumsum(self, dim, dtype=dtype)


def _cumprod(self, dim, dtype=None):
    return reduce.cumprod(self, dim, dtype=dtype)


_IS_CPU = property(lambda self: self.device.type == "cpu")


def _is_inference(self):
    return False  # ember does not tag inference-mode tensors


METHODS = {
    # ---- new tensors like this one (ops/creation.py)
    "new": creation._new, "new_full": creation._new_full, "new_tensor": creation._new_tensor,
    "new_zeros": _new_like(creation.zeros), "new_ones": _new_like(creation.ones),
    "new_empty": _new_like(creation.empty),

    # ---- strided views, the diagonal family, splits (ops/views.py)
    "as_strided": views.as_strided, "as_strided_": views.as_strided_, "select": views.select,
    "diagonal": views.diagonal, "diag": views.diag, "diagflat": views.diagflat,
    "trace": views.trace, "fill_diagonal_": views.fill_diagonal_, "unfold": views.unfold,
    "ravel": views.ravel, "rot90": views.rot90, "vsplit": views.vsplit, "hsplit": views.hsplit,
    "dsplit": views.dsplit, "split_with_sizes": views.split_with_sizes,
    "narrow_copy": views.narrow_copy, "is_same_size": views.is_same_size,
    "new_empty_strided": views.new_empty_strided, "resize_as": views.resize_as,
    "diag_embed": views.diag_embed, "is_nonzero": views._is_nonzero, "is_cpu": _IS_CPU,
    "is_inference": _is_inference,
    "squeeze_": views._inplace_view(shape.squeeze, "squeeze_"),
    "unsqueeze_": views._inplace_view(shape.unsqueeze, "unsqueeze_"),
    "t_": views._inplace_view(shape.t, "t_"),
    "transpose_": views._inplace_view(shape.transpose, "transpose_"),
    "swapaxes_": views._inplace_view(shape.transpose, "swapaxes_"),
    "swapdims_": views._inplace_view(shape.transpose, "swapdims_"),

    # ---- gather/scatter, index_*, masked_*, take/put (ops/gather.py)
    "gather": gather.gather, "scatter_add": gather.scatter_add,
    "scatter_reduce": gather.scatter_reduce, "index_select": gather.index_select,
    "index_add": gather.index_add, "index_fill": gather.index_fill,
    "index_copy": gather.index_copy, "index_reduce": gather.index_reduce,
    "masked_fill": gather.masked_fill, "masked_scatter": gather.masked_scatter,
    "masked_select": gather.masked_select, "take": gather.take,
    "take_along_dim": gather.take_along_dim, "put": gather.put, "scatter": gather._scatter_method,
    "scatter_": gather._scatter_inplace, "scatter_add_": _inplace_version(gather.scatter_add),
    "scatter_reduce_": _inplace_version(gather.scatter_reduce, saves=True),
    "index_add_": _inplace_version(gather.index_add),
    "index_fill_": _inplace_version(gather.index_fill, overlap=False),
    "index_copy_": _inplace_version(gather.index_copy),
    "index_reduce_": _inplace_version(gather.index_reduce, saves=True),
    "masked_fill_": _inplace_version(gather.masked_fill, overlap=False),
    "masked_scatter_": gather._masked_scatter_inplace, "put_": _inplace_version(gather.put),

    # ---- shape and views (ops/shape.py)
    "view": shape.view, "reshape": shape.reshape, "view_as": shape.view_as,
    "reshape_as": shape.reshape_as, "flatten": shape.flatten, "unflatten": shape.unflatten,
    "permute": shape.permute, "transpose": shape.transpose, "swapaxes": shape.transpose,
    "swapdims": shape.transpose, "t": shape.t, "adjoint": shape.adjoint, "movedim": shape.movedim,
    "moveaxis": shape.movedim, "squeeze": shape.squeeze, "unsqueeze": shape.unsqueeze,
    "expand": shape.expand, "expand_as": shape.expand_as, "contiguous": shape.contiguous,
    "clone": shape.clone, "sum_to_size": shape.sum_to_size, "narrow": shape.narrow,
    "split": shape.split, "chunk": shape.chunk, "tensor_split": shape.tensor_split,
    "unbind": shape.unbind, "resize_": shape.resize_, "resize_as_": shape.resize_as_,
    "broadcast_to": shape.broadcast_to,

    # ---- copying rearrangements (ops/rearrange.py)
    "flip": rearrange.flip, "fliplr": rearrange.fliplr, "flipud": rearrange.flipud,
    "roll": rearrange.roll, "repeat": rearrange.repeat, "tile": rearrange.tile,
    "repeat_interleave": rearrange.repeat_interleave, "tril": rearrange.tril,
    "triu": rearrange.triu, "tril_": rearrange.tril_, "triu_": rearrange.triu_,

    # ---- reductions (ops/reduce.py)
    "sum": reduce.sum, "nansum": reduce.nansum, "mean": reduce.mean, "nanmean": reduce.nanmean,
    "prod": reduce.prod, "max": reduce.max, "min": reduce.min, "amax": reduce.amax,
    "amin": reduce.amin, "aminmax": reduce.aminmax, "argmax": reduce.argmax,
    "argmin": reduce.argmin, "var": reduce.var, "std": reduce.std, "logsumexp": reduce.logsumexp,
    "norm": reduce.norm, "all": reduce.all, "any": reduce.any,
    "count_nonzero": reduce.count_nonzero, "cumsum": reduce.cumsum, "cumprod": reduce.cumprod,
    "cummax": reduce.cummax, "median": reduce.median, "mode": reduce.mode,

    # ---- products (ops/linalg.py)
    "matmul": linalg.matmul, "__matmul__": linalg.matmul, "__rmatmul__": linalg._rmatmul,
    "mm": linalg.mm, "bmm": linalg.bmm, "mv": linalg.mv, "dot": linalg.dot, "inner": linalg.dot,
    "outer": linalg.outer, "ger": linalg.outer, "addmm": linalg.addmm, "addmv": linalg.addmv,
    "baddbmm": linalg.baddbmm, "addbmm": linalg.addbmm,

    # ---- decompositions and solvers (ops/decomp.py)
    "det": decomp.det, "inverse": decomp.inverse, "slogdet": decomp.slogdet,
    "logdet": decomp.logdet, "cholesky": decomp.cholesky, "pinverse": decomp.pinverse,
    "matrix_power": decomp.matrix_power, "matrix_exp": decomp.matrix_exp, "svd": decomp.svd,
    "qr": decomp.qr, "cross": decomp.cross,

    # ---- indexing (ops/index.py)
    "__getitem__": index._getitem, "__setitem__": index._setitem,
    "index_put_": index.index_put_, "index_put": index.index_put, "nonzero": index.nonzero,
    "argwhere": index.argwhere,

    # ---- scans (ops/scan.py; cumsum, cumprod and cummax are reductions)
    "cummin": scan.cummin, "logcumsumexp": scan.logcumsumexp, "diff": scan.diff,
    "cumsum_": _unary_inplace(_cumsum, False), "cumprod_": _unary_inplace(_cumprod, True),

    # ---- ordering (ops/sorting.py)
    "sort": sorting.sort, "argsort": sorting.argsort, "msort": sorting.msort,
    "topk": sorting.topk, "kthvalue": sorting.kthvalue, "unique": sorting.unique,
    "unique_consecutive": sorting.unique_consecutive, "bincount": sorting.bincount,

    # ---- statistics (ops/stats.py)
    "quantile": stats.quantile, "nanquantile": stats.nanquantile, "nanmedian": stats.nanmedian,
    "histc": stats.histc,

    # ---- softmax family (nn/functional.py, loaded on first use; it rebinds these when it loads)
    "softmax": _softmax, "log_softmax": _log_softmax,
}


def bind():
    for name, fn in METHODS.items():
        setattr(Tensor, name, fn)
