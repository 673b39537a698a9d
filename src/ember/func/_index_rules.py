"""Batching rules for indexing with batched or separated advanced indices, and torch's errors
for the ops whose output shape depends on the data (nonzero, masked_select, unique, boolean
masks).

The batch becomes one more advanced index, `arange(B)` at the front, broadcast against the
others. NumPy's rule then puts the advanced result first, which is where the logical result
has it too when the logical advanced indices are separated or lead; when they sit together
after some sliced dims, the advanced block is moved back behind those dims.
"""

from .._tensor import Tensor
from ._batched import RULES, BatchedTensor, make
from ._batching_rules import _batched, _expand, _pad

_DYNAMIC = ("vmap: We do not support batching operators that can output dynamic shape. "
            "Attempted to vmap over aten::{}. Please file an issue at "
            "https://github.com/pytorch/pytorch/issues if you need this feature.")
_MASK_INDEX = ("vmap: We do not support batching operators that can support dynamic shape. "
               "Attempting to batch over indexing with a boolean mask.")
_MASKED_SELECT = ("vmap: Attempted to vmap over `mask` in torch.masked_select(self, mask) We "
                  "cannot support this because for each batch this would return a differently "
                  "shaped Tensor. Please file an issue at https://github.com/pytorch/pytorch/"
                  "issues if you need this feature.")


def _raiser(text):
    def rule(call, level, size, args, kwargs):
        raise RuntimeError(text)
    return rule


RULES["nonzero"] = _raiser(_DYNAMIC.format("nonzero"))
RULES["unique"] = _raiser(_DYNAMIC.format("_unique2"))
RULES["masked_select"] = _raiser(_MASKED_SELECT)


def _is_adv(i):
    return isinstance(i, (Tensor, list)) or hasattr(i, "__array__")


def _plan(value, idx, level):
    """(value with the integer indices applied, physical index, rank of the advanced result,
    dims before it) or None. Integers select first, as in torch (t[0, :, j] keeps the sliced
    dim in front), so only tensor indices decide whether the advanced ones are together."""
    import ember
    idx = list(idx if isinstance(idx, tuple) else (idx,))
    for k, i in enumerate(idx):
        if isinstance(i, list) and all(type(j) is int for j in i):
            idx[k] = i = ember.tensor(i, device=value.device)
        if isinstance(i, Tensor) and i.dtype is ember.bool:
            if _batched(i, level):
                raise RuntimeError(_MASK_INDEX)
            return None
        if isinstance(i, (list, bool)):
            return None
    if not any(_is_adv(i) for i in idx):
        return None
    if any(i is Ellipsis for i in idx):
        k = idx.index(Ellipsis)
        used = sum(1 for i in idx if i is not None and i is not Ellipsis)
        idx[k:k + 1] = [slice(None)] * (value.dim() - 1 - used)
    rest, pos = [], 1
    for i in idx:
        if isinstance(i, int):
            value = value.select(pos, i)
        else:
            rest.append(i)
            pos += i is not None
    adv = [k for k, i in enumerate(rest) if _is_adv(i)]
    rank = max(i.dim() for i in rest if isinstance(i, Tensor))
    together = adv[-1] - adv[0] == len(adv) - 1
    pre = sum(1 for i in rest[:adv[0]] if isinstance(i, slice) or i is None) if together else 0
    size = value.shape[0]
    phys = [ember.arange(size, device=value.device).reshape((size,) + (1,) * rank)]
    for i in rest:
        phys.append(_pad(i._value, rank - i.dim()) if _batched(i, level) else i)
    return value, tuple(phys), rank, pre


def getitem(call, level, size, args, kwargs):
    x, idx = args
    plan = _plan(_expand(x, level, size), idx, level)
    if plan is None:
        return NotImplemented
    value, phys, rank, pre = plan
    out = value[phys]
    if pre:
        out = out.movedim(tuple(range(1, 1 + rank)), tuple(range(1 + pre, 1 + pre + rank)))
    return make(out, level)


def setitem(call, level, size, args, kwargs):
    x, idx, value = args
    if not _batched(x, level):
        return NotImplemented
    plan = _plan(x._value, idx, level)
    if plan is None:
        return NotImplemented
    base, phys, rank, pre = plan
    target = base[phys]
    shape = tuple(target.shape)
    if pre:  # the value in the logical layout, then moved as the result is
        logical = (shape[0],) + shape[1 + rank:1 + rank + pre] + shape[1:1 + rank] + \
            shape[1 + rank + pre:]
    else:
        logical = shape
    v = value._value if _batched(value, level) else value
    if isinstance(v, Tensor):
        if _batched(value, level):
            v = _pad(v, len(logical) - 1 - value.dim())
        v = v.expand(logical)
        if pre:
            v = v.movedim(tuple(range(1 + pre, 1 + pre + rank)), tuple(range(1, 1 + rank)))
    base[phys] = v


def _first(rule, fallback):
    def both(call, level, size, args, kwargs):
        out = rule(call, level, size, args, kwargs)
        if out is NotImplemented:
            return fallback(call, level, size, args, kwargs)
        return out
    return both


def _setitem_first(rule, general):
    def both(call, level, size, args, kwargs):
        x, idx, value = args
        idx_t = idx if isinstance(idx, tuple) else (idx,)
        if any(isinstance(i, BatchedTensor) for i in idx_t) or _separated(idx_t):
            out = general(call, level, size, args, kwargs)
            if out is not NotImplemented:
                return out
        return rule(call, level, size, args, kwargs)
    return both


def _separated(idx):
    """Advanced indices apart, or an integer among them (numpy would count it as advanced)."""
    adv = [k for k, i in enumerate(idx) if _is_adv(i) or (
        isinstance(i, int) and any(_is_adv(j) for j in idx))]
    return bool(adv) and (adv[-1] - adv[0] != len(adv) - 1 or any(
        isinstance(idx[k], int) for k in adv))


RULES["__getitem__"] = _first(RULES["__getitem__"], getitem)
RULES["__setitem__"] = _setitem_first(RULES["__setitem__"], setitem)
