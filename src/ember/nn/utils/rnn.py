"""Packed sequences: PackedSequence, pack_padded_sequence, pad_packed_sequence, pad_sequence,
pack_sequence, unpad_sequence, unpack_sequence, as torch.nn.utils.rnn.

`data` holds the rows time step by time step (batch sorted by decreasing length), and
`batch_sizes[t]` says how many sequences are still running at step t. Conversions to and from
a padded time-major tensor are advanced-indexing ops, so gradients flow through them.
"""

from collections import namedtuple

import numpy as np

from ..._compat import module_getattr as _module_getattr
from ..._tensor import Tensor, _wrap
from ...ops.shape import stack

__all__ = ["PackedSequence", "pack_padded_sequence", "pad_packed_sequence", "pad_sequence",
           "pack_sequence", "unpad_sequence", "unpack_sequence"]
__getattr__ = _module_getattr(__name__)


class PackedSequence(namedtuple("PackedSequence",
                                ["data", "batch_sizes", "sorted_indices", "unsorted_indices"])):
    """Matches torch.nn.utils.rnn.PackedSequence."""

    def __new__(cls, data, batch_sizes=None, sorted_indices=None, unsorted_indices=None):
        if unsorted_indices is None and sorted_indices is not None:
            unsorted_indices = _invert(sorted_indices)
        return super().__new__(cls, data, batch_sizes, sorted_indices, unsorted_indices)

    def to(self, *args, **kwargs):
        return type(self)(self.data.to(*args, **kwargs), self.batch_sizes,
                          self.sorted_indices, self.unsorted_indices)

    def cpu(self):
        return self

    @property
    def is_cuda(self):
        return self.data.is_cuda

    def is_pinned(self):
        return False


def _invert(perm):
    inv = np.empty_like(perm._data)
    inv[perm._data] = np.arange(perm._data.size)
    return _wrap(inv.astype(np.int64))


def _grid(batch_sizes):
    """(t, b) index arrays of the packed rows, in packed order."""
    bs = np.asarray(batch_sizes, np.int64)
    t = np.repeat(np.arange(len(bs)), bs)
    b = np.concatenate([np.arange(n) for n in bs]) if len(bs) else np.zeros(0, np.int64)
    return t, b


def _packed_to_padded(ps):
    """(padded time-major tensor, batch sizes as a list)."""
    bs = [int(v) for v in ps.batch_sizes._data]
    t, b = _grid(bs)
    data = ps.data
    padded = data.new_zeros((len(bs), bs[0]) + tuple(data.shape[1:]))
    return padded.index_put((_wrap(t), _wrap(b)), data), bs


def _padded_to_packed(x, like):
    t, b = _grid([int(v) for v in like.batch_sizes._data])
    return PackedSequence(x[_wrap(t), _wrap(b)], like.batch_sizes, like.sorted_indices,
                          like.unsorted_indices)


def pack_padded_sequence(input, lengths, batch_first=False, enforce_sorted=True):
    lengths = np.asarray(lengths._data if isinstance(lengths, Tensor) else lengths, np.int64)
    if enforce_sorted:
        if np.any(np.diff(lengths) > 0):
            raise RuntimeError("`lengths` array must be sorted in decreasing order when "
                               "`enforce_sorted` is True. You can pass `enforce_sorted=False` "
                               "to pack_padded_sequence and/or pack_sequence to sidestep this "
                               "requirement if you do not need ONNX exportability.")
        sorted_indices = None
    else:
        order = np.argsort(-lengths, kind="stable")
        lengths = lengths[order]
        sorted_indices = _wrap(order.astype(np.int64))
        input = input.index_select(0 if batch_first else 1, sorted_indices)
    if batch_first:
        input = input.transpose(0, 1)
    from ...autograd import forward_ad
    forward_ad.refuse("_pack_padded_sequence", input)
    if lengths.size and lengths.min() <= 0:
        raise RuntimeError("Length of all samples has to be greater than 0, but found an "
                           "element in 'lengths' that is <= 0")
    T = int(lengths.max()) if lengths.size else 0
    batch_sizes = np.array([(lengths > t).sum() for t in range(T)], np.int64)
    t, b = _grid(batch_sizes)
    data = input[_wrap(t), _wrap(b)]
    return PackedSequence(data, _wrap(batch_sizes), sorted_indices, None)


def pad_packed_sequence(sequence, batch_first=False, padding_value=0.0, total_length=None):
    padded, bs = _packed_to_padded(sequence)
    T = len(bs)
    lengths = np.array([(np.asarray(bs) > b).sum() for b in range(bs[0])], np.int64)
    if padding_value:
        mask = np.ones(padded.shape[:2], bool)
        mask[_grid(bs)] = False
        padded = padded.masked_fill(_wrap(mask.reshape(mask.shape + (1,) * (padded.dim() - 2))),
                                    padding_value)
    if total_length is not None:
        if total_length < T:
            raise ValueError("Expected total_length to be at least the length of the longest "
                             f"sequence in input, but got total_length={total_length} and max "
                             f"sequence length being {T}")
        if total_length > T:
            extra = padded.new_full((total_length - T,) + tuple(padded.shape[1:]), padding_value)
            from ...ops.shape import cat
            padded = cat([padded, extra], 0)
    if sequence.unsorted_indices is not None:
        padded = padded.index_select(1, sequence.unsorted_indices)
        lengths = lengths[sequence.unsorted_indices._data]
    if batch_first:
        padded = padded.transpose(0, 1)
    return padded, _wrap(lengths)


def pad_sequence(sequences, batch_first=False, padding_value=0.0, padding_side="right"):
    sequences = list(sequences)
    T = max(s.shape[0] for s in sequences)
    out = []
    for s in sequences:
        n = s.shape[0]
        if n < T:
            fill = s.new_full((T - n,) + tuple(s.shape[1:]), padding_value)
            from ...ops.shape import cat
            s = cat([s, fill] if padding_side == "right" else [fill, s], 0)
        out.append(s)
    return stack(out, 0 if batch_first else 1)


def unpad_sequence(padded_sequences, lengths, batch_first=False):
    x = padded_sequences if batch_first else padded_sequences.transpose(0, 1)
    return [x[i, :int(n)] for i, n in enumerate(lengths)]


def pack_sequence(sequences, enforce_sorted=True):
    lengths = [s.shape[0] for s in sequences]
    return pack_padded_sequence(pad_sequence(sequences), lengths, enforce_sorted=enforce_sorted)


def unpack_sequence(packed_sequences):
    padded, lengths = pad_packed_sequence(packed_sequences, batch_first=True)
    return unpad_sequence(padded, lengths, batch_first=True)
