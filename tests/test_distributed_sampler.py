"""DistributedSampler (ember.utils.data.distributed) against torch 2.13's index order; needs no
MPI: num_replicas and rank are given."""

import itertools

import pytest

import ember
from oracle import torch

CASES = [(n, w, seed, epoch, shuffle, drop)
         for n, w in [(0, 1), (1, 2), (7, 2), (10, 3), (11, 4), (64, 2), (100, 7), (3, 5)]
         for seed, epoch in [(0, 0), (42, 3)]
         for shuffle, drop in itertools.product([True, False], [True, False])]


def _indices(lib, n, w, rank, seed, epoch, shuffle, drop):
    s = lib.utils.data.distributed.DistributedSampler(range(n), num_replicas=w, rank=rank,
                                                       shuffle=shuffle, seed=seed, drop_last=drop)
    s.set_epoch(epoch)
    return list(s), len(s), s.total_size


@pytest.mark.skipif(torch is None, reason="torch (the oracle) is not installed")
@pytest.mark.parametrize("n,w,seed,epoch,shuffle,drop", CASES)
def test_indices_match_torch(n, w, seed, epoch, shuffle, drop):
    import torch.utils.data.distributed  # noqa: F401
    for rank in range(w):
        assert _indices(ember, n, w, rank, seed, epoch, shuffle, drop) == \
            _indices(torch, n, w, rank, seed, epoch, shuffle, drop)


def test_ranks_partition_the_padded_dataset():
    parts = [_indices(ember, 10, 3, r, 0, 0, True, False)[0] for r in range(3)]
    flat = sum(parts, [])
    assert [len(p) for p in parts] == [4, 4, 4]
    assert sorted(set(flat)) == list(range(10))  # every index, two of them twice (padding)
    a = _indices(ember, 10, 3, 0, 0, 0, True, False)[0]
    assert a != _indices(ember, 10, 3, 0, 0, 1, True, False)[0]  # set_epoch reshuffles


def test_errors():
    D = ember.utils.data.DistributedSampler
    with pytest.raises(ValueError, match=r"^Invalid rank 2, rank should be in the interval "
                                         r"\[0, 1\]$"):
        D(range(10), num_replicas=2, rank=2)
    if not ember.distributed.is_available():
        with pytest.raises(RuntimeError, match="Requires distributed package to be available"):
            D(range(10))
    else:
        with pytest.raises(ValueError, match="Default process group has not been initialized"):
            D(range(10))
