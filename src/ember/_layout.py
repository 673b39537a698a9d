"""torch's stride rules, in elements: contiguous and channels-last strides, the contiguity
checks for each memory format, the strides `view` gives, the layout `empty_like`/`clone` keep,
and the output layout of an elementwise op (TensorIterator's).

A tensor's `_data` carries torch's strides. NumPy agrees with torch on every dimension of size
above 1 of a non-empty array (the memory addresses fix them), and is free on dimensions of size 1
and on empty arrays; where NumPy's choice there differs from torch's, `restride` gives the array
torch's strides with the same memory (`as_strided`), so stride(), is_contiguous() and every view
made later follow torch. The one exception is a fresh empty array, to which NumPy gives all-zero
strides: `strides_of` reads it as contiguous, as torch allocates it, unless `as_strided` made it
(every view of an empty tensor is made so, with torch's strides, which may all be zero).
"""

import numpy as np

from . import _meta
from ._meta import MetaArray

_np_as_strided = np.lib.stride_tricks.as_strided
_ndarray = np.ndarray


def _as_strided(a, shape, strides):
    """as_strided of the array's own module (NumPy, or CuPy for a device array). A view inside
    a C-contiguous NumPy array is made by ndarray's constructor on its buffer: the same view
    (base `a`, writeable as `a` is), at a fifth of as_strided's cost (~1 against ~5 us), which
    every expand and broadcast gradient pays; the constructor refuses a view reaching outside
    `a`'s own elements, which as_strided then makes."""
    if type(a) is _ndarray and a.flags.c_contiguous:
        try:
            return _ndarray(shape, a.dtype, a, 0, strides)
        except (ValueError, TypeError):
            pass
    if isinstance(a, np.ndarray):
        return _np_as_strided(a, shape, strides)
    from ._device import array_module
    return array_module(a).lib.stride_tricks.as_strided(a, shape, strides)


def contiguous(shape):
    st, acc = [], 1
    for n in reversed(shape):
        st.append(acc)
        acc *= max(n, 1)
    return tuple(reversed(st))


def strides_of(a):
    """a's strides in elements, as torch has them."""
    if type(a) is MetaArray:
        return _meta.strides(a)
    it = a.itemsize
    st = tuple(s // it for s in a.strides)
    if a.ndim and not a.size and not any(st):
        b = a.base
        if b is None or isinstance(b, _ndarray):  # not as_strided's: NumPy's fresh zeros
            return contiguous(a.shape)
    return st


# ---------------------------------------------------------------- memory formats
_ORDER = {4: (1, 3, 2, 0), 5: (1, 4, 3, 2, 0)}  # channels-last dims, fastest first
_RANK = {"channels_last": 4, "channels_last_3d": 5}


def format_rank(fmt, ndim):
    """Refuses a channels-last format for a tensor of the wrong rank, with torch's words."""
    name = fmt._name
    if name == "preserve_format":
        raise RuntimeError("unsupported memory format Preserve")
    rank = _RANK.get(name)
    if rank is not None and ndim != rank:
        raise RuntimeError(f"required rank {rank} tensor to use {name} format")


def format_strides(shape, fmt):
    """Strides of a new tensor of `shape` in memory format `fmt` (rank already checked)."""
    if fmt is None or fmt._name == "contiguous_format":
        return contiguous(shape)
    st, acc = [0] * len(shape), 1
    for d in _ORDER[len(shape)]:  # torch multiplies by the raw sizes here: zeros propagate
        st[d] = acc
        acc *= shape[d]
    return tuple(st)


def is_contiguous(shape, strides, fmt=None):
    name = "contiguous_format" if fmt is None else fmt._name
    if name in ("contiguous_format", "preserve_format"):
        if 0 in shape:
            return True
        order = range(len(shape) - 1, -1, -1)
    else:
        order = _ORDER.get(len(shape)) if _RANK[name] == len(shape) else None
        if order is None:
            return False
    expected = 1
    for d in order:
        n = shape[d]
        if n != 1:
            if strides[d] != expected:
                return False
            expected *= n
    return True


def non_overlapping_and_dense(shape, strides):
    if is_contiguous(shape, strides) or len(shape) in (4, 5) and is_contiguous(
            shape, strides, _CL if len(shape) == 4 else _CL3):
        return True  # torch's flag: an empty tensor always counts as dense
    nd = len(shape)
    if nd == 1:
        return shape[0] < 2 or strides[0] == 1
    perm = sorted((d for d in range(nd) if shape[d] >= 2), key=lambda d: strides[d])
    need = 1
    for d in perm:
        if strides[d] != need:
            return False
        need *= shape[d]
    return True


def overlap(a, b):
    """torch's get_overlap_status of two arrays (a written-to one and an input): 1 when they are
    the same elements in the same layout, 2 when they share some memory otherwise, 0 when they
    share none, or when torch does not look (one of them is empty, or not non-overlapping and
    dense: an expanded, strided or flipped view). Shared memory is read as torch reads it: the
    byte ranges [first element, first + numel * itemsize) intersect."""
    if a is b:
        return 1
    if not a.size or not b.size or type(a) is MetaArray or type(b) is MetaArray:
        return 0
    if isinstance(a, _ndarray):
        if not isinstance(b, _ndarray) or not np.may_share_memory(a, b):
            return 0
        pa, pb = a.__array_interface__["data"][0], b.__array_interface__["data"][0]
    else:  # a device array: its module's test, its pointer
        from ._device import array_module
        if type(b) is not type(a) or not array_module(a).may_share_memory(a, b):
            return 0
        pa, pb = a.data.ptr, b.data.ptr
    sa, sb = strides_of(a), strides_of(b)
    if not (non_overlapping_and_dense(a.shape, sa) and non_overlapping_and_dense(b.shape, sb)):
        return 0
    ea, eb = pa + a.nbytes, pb + b.nbytes
    if pa == pb and ea == eb:
        return 1 if sa == sb else 2
    return 2 if pa < eb and pb < ea else 0


def _like_channels_last(shape, strides):
    """torch's is_channels_last_strides_2d/3d: strides that read as channels-last."""
    order = _ORDER.get(len(shape))
    if order is None or strides[1] == 0:
        return False
    low = 0
    for d in order:
        if shape[d] == 0 or strides[d] < low:
            return False
        if d == 0 and low == strides[1]:
            return False  # N111 and similar ambiguous layouts default to contiguous
        low = strides[d] * (shape[d] if shape[d] > 1 else 1)
    return True


def suggest(shape, strides):
    """torch's suggest_memory_format: the format name the strides look like."""
    if _like_channels_last(shape, strides):
        return "channels_last" if len(shape) == 4 else "channels_last_3d"
    return "contiguous_format"


def preserve(shape, strides):
    """Strides of empty_like(x)/clone(x) with preserve_format: x's own when dense, else dense
    strides in the order of x's (torch's infer_dense_strides)."""
    if non_overlapping_and_dense(shape, strides):
        return tuple(strides)
    out, acc = [0] * len(shape), 1
    for d in _perm(shape, [strides]):
        out[d] = acc
        if shape[d] > 1:
            acc *= shape[d]
    return tuple(out)


def like_strides(a, fmt):
    """Strides for a new tensor made like array `a` in memory format `fmt` (None: preserve),
    or None when they are the contiguous ones."""
    if fmt is None or fmt._name == "preserve_format":
        if a.size and a.flags.c_contiguous and 1 not in a.shape:
            return None
        st = preserve(a.shape, strides_of(a))
    else:
        format_rank(fmt, a.ndim)
        st = format_strides(a.shape, fmt)
    return None if st == contiguous(a.shape) else st


# ---------------------------------------------------------------- views
def view_strides(old_shape, old_strides, new_shape):
    """torch's computeStride: strides for viewing old as new_shape, or None if impossible."""
    if not old_shape:
        return (1,) * len(new_shape)
    numel = 1
    for n in old_shape:
        numel *= n
    if numel == 0:
        return tuple(old_strides) if tuple(old_shape) == tuple(new_shape) else \
            contiguous(new_shape)
    new = [0] * len(new_shape)
    view_d = len(new_shape) - 1
    base = old_strides[-1]
    t_numel = v_numel = 1
    for d in range(len(old_shape) - 1, -1, -1):
        t_numel *= old_shape[d]
        if d == 0 or (old_shape[d - 1] != 1 and old_strides[d - 1] != t_numel * base):
            while view_d >= 0 and (v_numel < t_numel or new_shape[view_d] == 1):
                new[view_d] = v_numel * base
                v_numel *= new_shape[view_d]
                view_d -= 1
            if v_numel != t_numel:
                return None
            if d > 0:
                base = old_strides[d - 1]
                t_numel = v_numel = 1
    return None if view_d != -1 else tuple(new)


def expand_strides(shape, strides, sizes):
    """torch's inferExpandGeometry: strides of x.expand(sizes) (sizes already resolved)."""
    nd, lead = len(sizes), len(sizes) - len(shape)
    out = [0] * nd
    if not shape:
        return tuple(out)  # a 0-d tensor expands with zero strides throughout
    for i in range(nd - 1, -1, -1):
        d = i - lead
        if d >= 0:
            st = strides[d]
            if shape[d] != sizes[i]:
                st = 0
        else:
            st = sizes[i + 1] * out[i + 1] if i + 1 < nd else 1
            if sizes[i] != 1:
                st = 0
        out[i] = st
    return tuple(out)


# ---------------------------------------------------------------- elementwise outputs
def iter_strides(shape, operands):
    """The strides TensorIterator gives the output of an elementwise op of `shape` whose tensor
    inputs have the (shape, strides) pairs in `operands`."""
    same = all(tuple(s) == tuple(shape) for s, _ in operands) and operands and shape
    if same:
        sts = [tuple(st) for _, st in operands]
        if all(is_contiguous(shape, st) for st in sts):
            return contiguous(shape)
        if len(shape) == 4 and all(_cl_contig(shape, st) for st in sts):
            return format_strides(shape, _CL)
        if all(non_overlapping_and_dense(shape, st) for st in sts) and len(set(sts)) == 1:
            return sts[0]
    nd = len(shape)
    per = []  # each operand's strides broadcast to `shape` (0 along broadcast dims)
    for s, st in operands:
        lead = nd - len(s)
        per.append([0] * lead + [0 if s[i] == 1 and shape[lead + i] != 1 else st[i]
                                 for i in range(len(s))])
    perm = _perm(shape, per)
    if perm == list(range(nd - 1, -1, -1)):
        return contiguous(shape)
    out, acc = [0] * nd, 1
    for d in perm:
        out[d] = acc
        acc *= shape[d]
    return tuple(out)


def _perm(shape, per):
    """TensorIterator's dimension order (fastest first) for operands with strides `per`: an
    insertion sort by stride in which a zero stride leaves the order to the next operand."""
    nd = len(shape)
    perm = list(range(nd - 1, -1, -1))

    def swap(d0, d1):
        for st in per:
            s0, s1 = st[d0], st[d1]
            if s0 == 0 or s1 == 0:
                continue
            if s0 != s1:
                return -1 if s0 < s1 else 1
            if shape[d0] > shape[d1]:
                return 1
        return 0

    for i in range(1, nd):
        d1 = i
        for d0 in range(i - 1, -1, -1):
            c = swap(perm[d0], perm[d1])
            if c > 0:
                perm[d0], perm[d1] = perm[d1], perm[d0]
                d1 = d0
            elif c < 0:
                break
    return perm


def _cl_contig(shape, st):
    return is_contiguous(shape, st, _CL)


class _Fmt:
    def __init__(self, name):
        self._name = name


_CL, _CL3 = _Fmt("channels_last"), _Fmt("channels_last_3d")


# ---------------------------------------------------------------- arrays
def restride(a, strides):
    """`a` with `strides` (elements) on the same memory; `a` itself when they already agree."""
    if type(a) is not _ndarray:
        return _meta.empty(a.shape, a.dtype, strides, a._off) if type(a) is MetaArray else a
    it = a.itemsize
    st = tuple(s * it for s in strides)
    if st == a.strides:
        return a
    return _as_strided(a, a.shape, st)


def shifted(a, delta, shape, strides):
    """A view `delta` elements past a's first element, with shape and strides (elements)."""
    if type(a) is MetaArray:
        return _meta.empty(shape, a.dtype, strides, a._off + delta)
    it = a.itemsize
    head = _as_strided(a, (delta + 1,), (it,))[delta:] if delta > 0 else a
    return _as_strided(head, tuple(shape), tuple(s * it for s in strides))


def allocate(shape, strides, dtype, xp=np):
    """An uninitialised array of `shape` with the given non-overlapping strides."""
    shape = tuple(shape)
    if xp is not np or strides == contiguous(shape):
        return xp.empty(shape, dtype)
    n = 1 + sum((s - 1) * st for s, st in zip(shape, strides)) if all(shape) else 0
    itemsize = np.dtype(dtype).itemsize
    return _as_strided(np.empty(max(n, 1), dtype), shape, tuple(s * itemsize for s in strides))


def copy_to(a, strides, dtype=None):
    """A copy of `a` (cast to dtype) with the given non-overlapping strides."""
    if type(a) is MetaArray:
        return _meta.empty(a.shape, dtype or a.dtype, strides)
    if type(a) is not _ndarray:
        return a.astype(dtype or a.dtype, order="C", copy=True)
    out = allocate(a.shape, strides, dtype or a.dtype)
    out[...] = a
    return out
