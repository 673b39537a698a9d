"""Index grids: meshgrid and tril_indices / triu_indices (their own module: creation.py holds
the tensor factories)."""

__all__ = ["meshgrid", "tril_indices", "triu_indices"]

import numpy as np

from .. import _dtype as D
from ._util import check_factory
from .creation import _finish


def meshgrid(*tensors, indexing="ij"):
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    n = len(tensors)
    shape = [t.numel() for t in tensors]
    if indexing == "xy" and n >= 2:
        shape[0], shape[1] = shape[1], shape[0]
    out = []
    for i, t in enumerate(tensors):
        sh = [1] * n
        pos = i
        if indexing == "xy" and n >= 2 and i < 2:
            pos = 1 - i
        sh[pos] = -1
        out.append(t.reshape(sh).expand(shape))
    return tuple(out)


def _indices(name, rc, dtype, device, layout):
    if layout is not None:
        check_factory("torch." + name, layout)
    dt = dtype or D.int64
    if dt is not D.int64 and dt is not D.int32:
        raise NotImplementedError(f'"{name}" not implemented for \'{dt._legacy[:-6]}\'')
    return _finish(np.stack(rc).astype(dt.np), device)


def _tri_checks(row, col):
    for name, v in (("row", row), ("col", col)):
        if v < 0:  # (torch's words run together)
            raise RuntimeError(f"{name} must be non-negative, got{v}")


def tril_indices(row, col, offset=0, *, dtype=None, device=None, layout=None):
    _tri_checks(row, col)
    return _indices("tril_indices", np.tril_indices(row, offset, col), dtype, device, layout)


def triu_indices(row, col, offset=0, *, dtype=None, device=None, layout=None):
    _tri_checks(row, col)
    return _indices("triu_indices", np.triu_indices(row, offset, col), dtype, device, layout)
