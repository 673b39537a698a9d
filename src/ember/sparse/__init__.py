"""torch.sparse: products and reductions of sparse COO tensors (ember/_sparse.py holds the
tensor machinery), and the legacy sparse type constructors (`torch.sparse.FloatTensor(indices,
values, size)`, deprecated in torch). Other torch.sparse names raise ember's not-implemented
error.
"""

import builtins
import warnings

from .._compat import module_getattr as _module_getattr

__all__ = ["mm", "sum", "FloatTensor", "DoubleTensor", "HalfTensor", "BFloat16Tensor",
           "LongTensor", "IntTensor", "ShortTensor", "CharTensor", "ByteTensor"]
__getattr__ = _module_getattr(__name__)


def mm(mat1, mat2, reduce="sum"):
    """Matches torch.sparse.mm(sparse, dense): the sparse operand's gradient keeps its pattern."""
    from . import _products
    if reduce != "sum":
        from .._args import unsupported
        unsupported("torch.sparse.mm", "reduce", reduce)
    return _products._mm(mat1, mat2, True)


def sum(input, dim=None, dtype=None):  # noqa: A001 - torch's name
    """Matches torch.sparse.sum: over all dims a dense 0-d tensor; over `dim` a sparse tensor
    while a sparse dimension is left, else a dense one."""
    from .._args import refuse_if
    from . import _products
    refuse_if("torch.sparse.sum", "dtype", dtype, None)
    if not input.is_sparse:
        from .._args import unsupported
        unsupported("torch.sparse.sum", "input", "a dense tensor")
    if dim is None:
        return _products.SparseSum.apply(input)
    from .._tensor import _dim
    dims = tuple(sorted({_dim(d, input.dim()) for d in (
        dim if isinstance(dim, (tuple, list)) else (dim,))}))
    return _products.SparseSumDim.apply(input, dims)


_SHOWN = set()
_LEGACY_WARN = {
    "values": "torch.sparse.SparseTensor(indices, values, shape, *, device=) is deprecated.  "
              "Please use torch.sparse_coo_tensor(indices, values, shape, dtype=, device=).",
    "shape": "torch.sparse.SparseTensor(shape, *, device=) is deprecated.  Please use "
             "torch.sparse_coo_tensor(shape, dtype=, device=)."}


def _warn_once(kind):
    if kind not in _SHOWN:
        _SHOWN.add(kind)
        warnings.warn(_LEGACY_WARN[kind], UserWarning, stacklevel=3)


class _LegacyType(type):
    """torch.sparse.<T>Tensor: a sparse tensor of that dtype passes isinstance; calling it
    builds one from (indices, values[, size]) (values keep their dtype, as torch's) or an empty
    one from sizes."""

    def __instancecheck__(cls, obj):
        from .._tensor import Tensor
        return isinstance(obj, Tensor) and obj.is_sparse and obj.dtype.name == cls._dtype

    def __call__(cls, *args, device=None):
        from .. import _dtype as D
        from .. import _sparse
        from .._tensor import Tensor
        if device is not None and str(device) != "cpu":
            from .._args import unsupported
            unsupported(f"torch.sparse.{cls.__name__}", "device", device)
        if len(args) in (2, 3) and isinstance(args[0], Tensor) and isinstance(args[1], Tensor):
            _warn_once("values")
            return _sparse._build(args[0], args[1], args[2] if len(args) == 3 else None)
        if all(isinstance(n, builtins.int) and not isinstance(n, builtins.bool) for n in args):
            _warn_once("shape")
            import numpy as np
            dt = getattr(D, cls._dtype)
            return _sparse._make(np.zeros((len(args), 0), np.int64),
                                 np.zeros((0,), dt.np), args, True)
        from .._args import unsupported
        unsupported(f"torch.sparse.{cls.__name__}", "args", args)


def _legacy(name, dtype):
    return _LegacyType(name, (), {"_dtype": dtype, "__module__": "torch.sparse"})


FloatTensor, DoubleTensor, HalfTensor = (_legacy("FloatTensor", "float32"),
                                         _legacy("DoubleTensor", "float64"),
                                         _legacy("HalfTensor", "float16"))
BFloat16Tensor, LongTensor, IntTensor = (_legacy("BFloat16Tensor", "bfloat16"),
                                         _legacy("LongTensor", "int64"),
                                         _legacy("IntTensor", "int32"))
ShortTensor, CharTensor, ByteTensor = (_legacy("ShortTensor", "int16"),
                                       _legacy("CharTensor", "int8"),
                                       _legacy("ByteTensor", "uint8"))
