"""torch.nn.modules.utils: the tuple-expanding helpers layer code imports, and
consume_prefix_in_state_dict_if_present for state dicts saved from a wrapped (DDP) model."""

from collections.abc import Iterable

__all__ = ["consume_prefix_in_state_dict_if_present"]


def _ntuple(n, name="parse"):
    """A function turning a scalar into an n-tuple of it; an iterable becomes a tuple as is."""

    def parse(x):
        return tuple(x) if isinstance(x, Iterable) else (x,) * n

    parse.__name__ = name
    return parse


_single = _ntuple(1, "_single")
_pair = _ntuple(2, "_pair")
_triple = _ntuple(3, "_triple")
_quadruple = _ntuple(4, "_quadruple")


def _reverse_repeat_tuple(t, n):
    """Each entry of `t`, last first, repeated n times (conv padding -> F.pad's order)."""
    return tuple(v for v in t[::-1] for _ in range(n))


def _list_with_default(out_size, defaults):
    if isinstance(out_size, int):
        return out_size
    if len(defaults) <= len(out_size):
        raise ValueError(f"Input dimension should be at least {len(out_size) + 1}")
    tail = defaults[len(defaults) - len(out_size):]
    return [d if v is None else v for v, d in zip(out_size, tail)]


def _strip(mapping, prefix, skip_empty):
    for key in list(mapping):
        if skip_empty and not key:
            continue
        if key.startswith(prefix) or (skip_empty and key == prefix.replace(".", "")):
            mapping[key[len(prefix):]] = mapping.pop(key)


def consume_prefix_in_state_dict_if_present(state_dict, prefix):
    """Matches torch: removes `prefix` from the keys (and _metadata keys) in place."""
    _strip(state_dict, prefix, False)
    metadata = getattr(state_dict, "_metadata", None)
    if metadata is not None:
        _strip(metadata, prefix, True)
