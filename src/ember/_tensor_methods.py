"""Everything a Tensor can do beyond its class body: one table, `name -> function`, by family.

`Tensor` (_tensor.py) holds the core: data, dtype/device, autograd state, conversions. Every op
method is one entry below, the ops module's own function (a method call costs what the function
call costs: no wrapper), in-place variants and operators included. `ember/__init__.py` binds the
table once, after the ops modules load and before torch's keyword spellings are installed.
"""

from ._tensor import Tensor
from .ops import (
    binary,
    compare,
    creation,
    decomp,
    gather,
    index,
    inplace,
    linalg,
    masked,
    moments,
    pointwise,
    rearrange,
    reduce,
    sampling,
    scan,
    shape,
    sorting,
    split,
    stats,
    ternary,
    unary,
    view_copy,
    views,
)
from .ops.creation import _new_like
from .ops.gather import _inplace_version
from .ops.inplace import _binary_inplace, _unary_inplace, replaced


def _bfloat16(self, memory_format=None):
    from . import _dtype
    return self.to(_dtype.bfloat16, memory_format=memory_format)


def _softmax(self, dim=None, **kwargs):
    from .nn.functional import softmax as f
    return f(self, dim, **kwargs)


def _log_softmax(self, dim=None, **kwargs):
    from .nn.functional import log_softmax as f
    return f(self, dim, **kwargs)


def _cumsum(self, dim, dtype=None):  # cumsum_ takes no out=
    return scan.cumsum(self, dim, dtype=dtype)


def _cumprod(self, dim, dtype=None):
    return scan.cumprod(self, dim, dtype=dtype)


# in-place forms shared by a method and its operator (`t += 1` is `t.add_(1)`); the flag says
# whether backward reads self's old value
_add_ = _binary_inplace(pointwise.add, False)
_sub_ = _binary_inplace(pointwise.sub, False)
_mul_ = _binary_inplace(pointwise.mul, True)
_div_ = _binary_inplace(pointwise.div, True)
_pow_ = _binary_inplace(pointwise.pow, True)
_remainder_ = _binary_inplace(pointwise.remainder, True)
_bitwise_and_ = _binary_inplace(compare.bitwise_and, saves_self=False)
_bitwise_or_ = _binary_inplace(compare.bitwise_or, saves_self=False)
_bitwise_xor_ = _binary_inplace(compare.bitwise_xor, saves_self=False)
_lshift_ = _binary_inplace(compare.bitwise_left_shift, saves_self=False)
_rshift_ = _binary_inplace(compare.bitwise_right_shift, saves_self=False)


def _floor_divide(a, b):  # floor_divide_ names its node as torch does
    return pointwise._div_mode(pointwise.NotDifferentiable, a, b, "floor", "floor_divide_")


_floor_divide_ = _binary_inplace(_floor_divide, False)


def _addcmul(self, tensor1, tensor2, value=1):  # addcmul_ takes no out=
    return binary.addcmul(self, tensor1, tensor2, value=value)


def _addcdiv(self, tensor1, tensor2, value=1):
    return binary.addcdiv(self, tensor1, tensor2, value=value)


def _logical_not_(self):
    return self.copy_(compare.logical_not(self))


def _bitwise_not_(self):
    return self.copy_(compare.bitwise_not(self))


_IS_CPU = property(lambda self: self.device.type == "cpu")


def _is_inference(self):
    return False  # ember does not tag inference-mode tensors


def _cov(self, *, correction=1, fweights=None, aweights=None):
    from .ops.correlation import cov
    return cov(self, correction=correction, fweights=fweights, aweights=aweights)


def _corrcoef(self):
    from .ops.correlation import corrcoef
    return corrcoef(self)


def _igamma(self, other, *, out=None):  # (special_fns.py loads on the first call)
    from .ops.special_fns import igamma
    return igamma(self, other, out=out)


def _igammac(self, other, *, out=None):
    from .ops.special_fns import igammac
    return igammac(self, other, out=out)


def _compare_inplace(fn, node):
    """eq_, lt_, ...: the comparison written into self; torch's node (EqBackward0 for a number,
    EqBackward1 for a tensor) gives self's old history a zero gradient."""
    write = _binary_inplace(fn, saves_self=False)

    def op(self, other, *args, **kw):
        return replaced(self, f"{node}Backward{int(isinstance(other, Tensor))}",
                        lambda: write(self, other, *args, **kw))
    op.__wrapped__ = fn
    return op


def _renorm(self, p, dim, maxnorm):
    from .functional import renorm
    return renorm(self, p, dim, maxnorm)


def _addr(self, vec1, vec2, *, beta=1, alpha=1):
    from .functional import addr
    return addr(self, vec1, vec2, beta=beta, alpha=alpha)


def _sparse_method(name):
    """A sparse-layout method: loads ember/_sparse.py on the first call."""
    def method(self, *args, **kwargs):
        from . import _sparse
        return _sparse.METHODS[name](self, *args, **kwargs)
    method.__name__ = method.__qualname__ = name
    return method


METHODS = {
    # ---- arithmetic (ops/pointwise.py)
    "add": pointwise.add, "__add__": pointwise.add, "__radd__": pointwise.add,
    "sub": pointwise.sub, "subtract": pointwise.sub, "__sub__": pointwise.sub,
    "__rsub__": pointwise._rsub, "mul": pointwise.mul, "multiply": pointwise.mul,
    "__mul__": pointwise.mul, "__rmul__": pointwise.mul, "div": pointwise.div,
    "divide": pointwise.div, "true_divide": pointwise.div, "__truediv__": pointwise.div,
    "__rtruediv__": pointwise._rdiv, "floor_divide": pointwise.floor_divide,
    "__floordiv__": pointwise.floor_divide, "__rfloordiv__": pointwise._rfloordiv,
    "pow": pointwise.pow, "__pow__": pointwise.pow, "__rpow__": pointwise._rpow,
    "float_power": pointwise.float_power, "square": pointwise.square, "atan2": pointwise.atan2,
    "arctan2": pointwise.atan2, "maximum": pointwise.maximum, "minimum": pointwise.minimum,
    "fmax": pointwise.fmax, "fmin": pointwise.fmin, "remainder": pointwise.remainder,
    "__mod__": pointwise.remainder, "__rmod__": pointwise._rmod, "fmod": pointwise.fmod,
    "add_": _add_, "__iadd__": _add_, "sub_": _sub_, "subtract_": _sub_, "__isub__": _sub_,
    "mul_": _mul_, "multiply_": _mul_, "__imul__": _mul_, "div_": _div_, "divide_": _div_,
    "true_divide_": _div_, "__itruediv__": _div_, "pow_": _pow_, "__ipow__": _pow_,
    "remainder_": _remainder_, "__imod__": _remainder_, "floor_divide_": _floor_divide_,
    "__ifloordiv__": _floor_divide_, "fmod_": _binary_inplace(pointwise.fmod, True),
    "atan2_": _binary_inplace(pointwise.atan2, True),
    "arctan2_": _binary_inplace(pointwise.atan2, True),
    "float_power_": _binary_inplace(pointwise.float_power, True),
    "square_": _unary_inplace(pointwise.square, True),

    # ---- unary math, each with its in-place form (ops/unary.py)
    "abs": unary.abs, "abs_": unary.abs_, "neg": unary.neg, "neg_": unary.neg_, "exp": unary.exp,
    "exp_": unary.exp_, "exp2": unary.exp2, "exp2_": unary.exp2_, "expm1": unary.expm1,
    "expm1_": unary.expm1_, "log": unary.log, "log_": unary.log_, "log2": unary.log2,
    "log2_": unary.log2_, "log10": unary.log10, "log10_": unary.log10_, "log1p": unary.log1p,
    "log1p_": unary.log1p_, "sqrt": unary.sqrt, "sqrt_": unary.sqrt_, "rsqrt": unary.rsqrt,
    "rsqrt_": unary.rsqrt_, "sin": unary.sin, "sin_": unary.sin_, "cos": unary.cos,
    "cos_": unary.cos_, "tan": unary.tan, "tan_": unary.tan_, "asin": unary.asin,
    "asin_": unary.asin_, "acos": unary.acos, "acos_": unary.acos_, "atan": unary.atan,
    "atan_": unary.atan_, "sinh": unary.sinh, "sinh_": unary.sinh_, "cosh": unary.cosh,
    "cosh_": unary.cosh_, "tanh": unary.tanh, "tanh_": unary.tanh_, "asinh": unary.asinh,
    "asinh_": unary.asinh_, "acosh": unary.acosh, "acosh_": unary.acosh_, "atanh": unary.atanh,
    "atanh_": unary.atanh_, "sigmoid": unary.sigmoid, "sigmoid_": unary.sigmoid_,
    "relu": unary.relu, "relu_": unary.relu_, "reciprocal": unary.reciprocal,
    "reciprocal_": unary.reciprocal_, "erf": unary.erf, "erf_": unary.erf_, "erfc": unary.erfc,
    "erfc_": unary.erfc_, "erfinv": unary.erfinv, "erfinv_": unary.erfinv_, "sign": unary.sign,
    "sign_": unary.sign_, "sgn": unary.sgn, "sgn_": unary.sgn_, "floor": unary.floor,
    "floor_": unary.floor_, "ceil": unary.ceil, "ceil_": unary.ceil_, "trunc": unary.trunc,
    "trunc_": unary.trunc_, "frac": unary.frac, "frac_": unary.frac_, "logit": unary.logit,
    "logit_": unary.logit_, "lgamma": unary.lgamma, "lgamma_": unary.lgamma_,
    "digamma": unary.digamma, "digamma_": unary.digamma_, "i0": unary.i0, "i0_": unary.i0_,
    "sinc": unary.sinc, "sinc_": unary.sinc_, "deg2rad": unary.deg2rad, "deg2rad_": unary.deg2rad_,
    "rad2deg": unary.rad2deg, "rad2deg_": unary.rad2deg_,
    "negative": unary.neg, "negative_": unary.neg_, "absolute": unary.abs, "absolute_": unary.abs_,
    "arcsin": unary.asin, "arcsin_": unary.asin_, "arccos": unary.acos, "arccos_": unary.acos_,
    "arctan": unary.atan, "arctan_": unary.atan_, "arcsinh": unary.asinh, "arcsinh_": unary.asinh_,
    "arccosh": unary.acosh, "arccosh_": unary.acosh_, "arctanh": unary.atanh,
    "arctanh_": unary.atanh_, "fix": unary.trunc, "fix_": unary.trunc_,
    "positive": unary.positive, "__pos__": unary.positive, "round": unary.round,
    "nan_to_num": unary.nan_to_num, "conj": unary.conj,
    "angle": unary.angle,
    "resolve_conj": unary.resolve_conj, "resolve_neg": unary.resolve_neg, "__neg__": unary.neg,
    "__abs__": unary.abs, "polygamma": unary._polygamma_method, "polygamma_": unary._polygamma_,
    "mvlgamma": unary.mvlgamma, "mvlgamma_": unary._mvlgamma_,
    "nan_to_num_": _unary_inplace(unary.nan_to_num, False),
    "round_": _unary_inplace(unary.round, False),

    # ---- where, clamp, lerp (ops/ternary.py)
    "where": ternary._where_method, "clamp": ternary.clamp, "clip": ternary.clamp,
    "clamp_min": ternary.clamp_min, "clamp_max": ternary.clamp_max, "lerp": ternary.lerp,
    "clamp_": _unary_inplace(ternary.clamp, True), "clip_": _unary_inplace(ternary.clamp, True),
    "clamp_min_": _unary_inplace(ternary.clamp_min, True),
    "clamp_max_": _unary_inplace(ternary.clamp_max, True),
    "lerp_": _binary_inplace(ternary.lerp, True),

    # ---- more binary math and fused multiply/divide-add (ops/binary.py)
    "hypot": binary.hypot, "logaddexp": binary.logaddexp, "logaddexp2": binary.logaddexp2,
    "copysign": binary.copysign, "xlogy": binary.xlogy, "nextafter": binary.nextafter,
    "ldexp": binary.ldexp, "frexp": binary.frexp, "heaviside": binary.heaviside, "gcd": binary.gcd,
    "lcm": binary.lcm, "addcmul": binary.addcmul, "addcdiv": binary.addcdiv,
    "isclose": binary.isclose, "allclose": binary.allclose, "dist": binary.dist,
    "kron": binary.kron, "hypot_": _binary_inplace(binary.hypot),
    "copysign_": _binary_inplace(binary.copysign), "xlogy_": _binary_inplace(binary.xlogy),
    "igamma": _igamma, "igammac": _igammac, "igamma_": _binary_inplace(_igamma),
    "igammac_": _binary_inplace(_igammac),
    "nextafter_": _binary_inplace(binary.nextafter), "ldexp_": _binary_inplace(binary.ldexp),
    "heaviside_": _binary_inplace(binary.heaviside), "gcd_": _binary_inplace(binary.gcd),
    "lcm_": _binary_inplace(binary.lcm), "addcmul_": _binary_inplace(_addcmul, False),
    "addcdiv_": _binary_inplace(_addcdiv, False),

    # ---- comparison, logical and bitwise (ops/compare.py)
    "__eq__": compare._eq_operator, "__ne__": compare._ne_operator, "equal": compare.equal,
    "__rlshift__": compare._rlshift, "__rrshift__": compare._rrshift,
    "bitwise_not": compare.bitwise_not, "__invert__": compare._invert, "eq": compare.eq,
    "ne": compare.ne, "not_equal": compare.ne, "lt": compare.lt, "less": compare.lt,
    "__lt__": compare.lt, "le": compare.le, "less_equal": compare.le, "__le__": compare.le,
    "gt": compare.gt, "greater": compare.gt, "__gt__": compare.gt, "ge": compare.ge,
    "greater_equal": compare.ge, "__ge__": compare.ge, "logical_and": compare.logical_and,
    "logical_or": compare.logical_or, "logical_xor": compare.logical_xor,
    "logical_not": compare.logical_not, "bitwise_and": compare.bitwise_and,
    "__and__": compare.bitwise_and, "__rand__": compare.bitwise_and,
    "bitwise_or": compare.bitwise_or, "__or__": compare.bitwise_or, "__ror__": compare.bitwise_or,
    "bitwise_xor": compare.bitwise_xor, "__xor__": compare.bitwise_xor,
    "__rxor__": compare.bitwise_xor, "bitwise_left_shift": compare.bitwise_left_shift,
    "__lshift__": compare.bitwise_left_shift, "bitwise_right_shift": compare.bitwise_right_shift,
    "__rshift__": compare.bitwise_right_shift, "isnan": compare.isnan, "isinf": compare.isinf,
    "isfinite": compare.isfinite, "isposinf": compare.isposinf, "isneginf": compare.isneginf,
    "signbit": compare.signbit, "isreal": compare.isreal,
    "eq_": _compare_inplace(compare.eq, "Eq"),
    "ne_": _compare_inplace(compare.ne, "Ne"),
    "lt_": _compare_inplace(compare.lt, "Lt"),
    "le_": _compare_inplace(compare.le, "Le"),
    "gt_": _compare_inplace(compare.gt, "Gt"),
    "ge_": _compare_inplace(compare.ge, "Ge"),
    "not_equal_": _compare_inplace(compare.ne, "Ne"),
    "less_": _compare_inplace(compare.lt, "Lt"),
    "less_equal_": _compare_inplace(compare.le, "Le"),
    "greater_": _compare_inplace(compare.gt, "Gt"),
    "greater_equal_": _compare_inplace(compare.ge, "Ge"),
    "logical_and_": _binary_inplace(compare.logical_and, saves_self=False),
    "logical_or_": _binary_inplace(compare.logical_or, saves_self=False),
    "logical_xor_": _binary_inplace(compare.logical_xor, saves_self=False),
    "bitwise_and_": _bitwise_and_, "__iand__": _bitwise_and_, "bitwise_or_": _bitwise_or_,
    "__ior__": _bitwise_or_, "bitwise_xor_": _bitwise_xor_, "__ixor__": _bitwise_xor_,
    "bitwise_left_shift_": _lshift_, "__ilshift__": _lshift_, "bitwise_right_shift_": _rshift_,
    "__irshift__": _rshift_, "logical_not_": _logical_not_, "bitwise_not_": _bitwise_not_,

    # ---- filling and copying (ops/inplace.py)
    "zero_": inplace.zero_, "fill_": inplace.fill_, "copy_": inplace.copy_,

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
    "_real": views.real, "_imag": views.imag,
    "is_inference": _is_inference,
    "squeeze_": views._inplace_view(shape.squeeze, "squeeze_"),
    "unsqueeze_": views._inplace_view(shape.unsqueeze, "unsqueeze_"),
    "t_": views._inplace_view(shape.t, "t_"),
    "transpose_": views._inplace_view(shape.transpose, "transpose_"),
    "swapaxes_": views._inplace_view(shape.transpose, "swapaxes_"),
    "swapdims_": views._inplace_view(shape.transpose, "swapdims_"),

    # ---- gather/scatter, index_*, take/put (ops/gather.py), masked_* (ops/masked.py)
    "gather": gather.gather, "scatter_add": gather.scatter_add,
    "scatter_reduce": gather.scatter_reduce, "index_select": gather.index_select,
    "index_add": gather.index_add, "index_fill": gather.index_fill,
    "index_copy": gather.index_copy, "index_reduce": gather.index_reduce,
    "masked_fill": masked.masked_fill, "masked_scatter": masked.masked_scatter,
    "masked_select": masked.masked_select, "take": gather.take,
    "take_along_dim": gather.take_along_dim, "put": gather.put, "scatter": gather._scatter_method,
    "scatter_": gather._scatter_inplace, "scatter_add_": _inplace_version(gather.scatter_add),
    "scatter_reduce_": _inplace_version(gather.scatter_reduce, saves=True),
    "index_add_": _inplace_version(gather.index_add),
    "index_fill_": gather.index_fill_,
    "index_copy_": _inplace_version(gather.index_copy),
    "index_reduce_": _inplace_version(gather.index_reduce, saves=True),
    "masked_fill_": masked.masked_fill_,
    "masked_scatter_": masked._masked_scatter_inplace, "put_": _inplace_version(gather.put),

    # ---- shape and views (ops/shape.py)
    "view": shape.view, "reshape": shape.reshape, "view_as": shape.view_as,
    "reshape_as": shape.reshape_as, "flatten": shape.flatten, "unflatten": shape.unflatten,
    "permute": shape.permute, "transpose": shape.transpose, "swapaxes": shape.transpose,
    "swapdims": shape.transpose, "t": shape.t, "adjoint": shape.adjoint, "movedim": shape.movedim,
    "moveaxis": shape.movedim, "squeeze": shape.squeeze, "unsqueeze": shape.unsqueeze,
    "expand": shape.expand, "expand_as": shape.expand_as, "contiguous": shape.contiguous,
    "clone": shape.clone, "sum_to_size": shape.sum_to_size, "narrow": split.narrow,
    "split": split.split, "chunk": split.chunk, "tensor_split": split.tensor_split,
    "unbind": split.unbind, "resize_": shape.resize_, "resize_as_": shape.resize_as_,
    "broadcast_to": shape.broadcast_to,

    # ---- copying rearrangements (ops/rearrange.py)
    "flip": rearrange.flip, "fliplr": rearrange.fliplr, "flipud": rearrange.flipud,
    "roll": rearrange.roll, "repeat": rearrange.repeat, "tile": rearrange.tile,
    "repeat_interleave": rearrange.repeat_interleave, "tril": rearrange.tril,
    "triu": rearrange.triu, "tril_": rearrange.tril_, "triu_": rearrange.triu_,

    # ---- reductions (ops/reduce.py, moments.py, scan.py, stats.py)
    "sum": reduce.sum, "nansum": reduce.nansum, "mean": reduce.mean, "nanmean": reduce.nanmean,
    "prod": reduce.prod, "max": reduce.max, "min": reduce.min, "amax": reduce.amax,
    "amin": reduce.amin, "aminmax": reduce.aminmax, "argmax": reduce.argmax,
    "argmin": reduce.argmin, "var": moments.var, "std": moments.std, "logsumexp": moments.logsumexp,
    "norm": moments.norm, "all": reduce.all, "any": reduce.any,
    "count_nonzero": reduce.count_nonzero, "cumsum": scan.cumsum, "cumprod": scan.cumprod,
    "cummax": scan.cummax, "median": stats.median, "mode": stats.mode,

    # ---- products (ops/linalg.py)
    "matmul": linalg.matmul, "__matmul__": linalg.matmul, "__rmatmul__": linalg._rmatmul,
    "mm": linalg.mm, "bmm": linalg.bmm, "mv": linalg.mv, "dot": linalg.dot,
    "inner": linalg.inner, "vdot": linalg.vdot,
    "outer": linalg.outer, "ger": linalg.outer, "addmm": linalg.addmm, "addmv": linalg.addmv,
    "baddbmm": linalg.baddbmm, "addbmm": linalg.addbmm,
    **{_n + "_": _binary_inplace(getattr(linalg, _n), saves_self=False, alias=False)
       for _n in ("addmm", "addmv", "baddbmm", "addbmm")},

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
    "histc": stats.histc, "histogram": stats.histogram,

    # ---- random draws into a tensor, bernoulli and multinomial (ops/sampling.py)
    "uniform_": sampling._uniform_, "normal_": sampling._normal_, "random_": sampling._random_,
    "bernoulli_": sampling._bernoulli_, "exponential_": sampling._exponential_,
    "geometric_": sampling._geometric_, "log_normal_": sampling._log_normal_,
    "cauchy_": sampling._cauchy_, "bernoulli": sampling._tensor_bernoulli,
    "multinomial": sampling._tensor_multinomial,

    # ---- casts beyond the class body's (float, half, ...)
    "bfloat16": _bfloat16,

    # ---- sparse COO layout (_sparse.py, loaded on the first call)
    **{_n: _sparse_method(_n) for _n in (
        "to_dense", "to_sparse", "coalesce", "is_coalesced", "indices", "values", "_indices",
        "_values", "_nnz", "sparse_dim", "dense_dim")},

    # ---- cov / corrcoef (ops/correlation.py, loaded on the first call)
    "cov": _cov, "corrcoef": _corrcoef, "renorm": _renorm, "addr": _addr,
    "renorm_": _binary_inplace(_renorm), "addr_": _binary_inplace(_addr, False, False),
    "conj_physical": unary.conj_physical, "conj_physical_": unary._conj_physical_,
    "select_scatter": view_copy.select_scatter, "slice_scatter": view_copy.slice_scatter,
    "diagonal_scatter": view_copy.diagonal_scatter,

    # ---- softmax family (nn/functional.py, loaded on first use; it rebinds these when it loads)
    "softmax": _softmax, "log_softmax": _log_softmax,
}


def bind():
    for name, fn in METHODS.items():
        setattr(Tensor, name, fn)
