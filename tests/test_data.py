"""ember.utils.data against live torch: batches, collation, shuffled order (same seed, same
order, also with generator= and worker processes), samplers, random_split, workers and errors."""

import collections
import os
import time

import numpy as np
import pytest

import ember
import ember.utils.data as ed
from oracle import check_error, requires_torch, torch

if torch is not None:
    import torch.utils.data as td

Point = collections.namedtuple("Point", "x y")


def same(e, t):
    """Recursively: ember result e equals torch result t (types, dtypes, values)."""
    if torch is not None and isinstance(t, torch.Tensor):
        assert isinstance(e, ember.Tensor), type(e)
        assert str(e.dtype) == str(t.dtype) and tuple(e.shape) == tuple(t.shape)
        np.testing.assert_array_equal(e.numpy(), t.numpy())
    elif isinstance(t, dict):
        assert type(e) is type(t) and list(e) == list(t)
        for k in t:
            same(e[k], t[k])
    elif isinstance(t, (list, tuple)):
        assert type(e) is type(t) and len(e) == len(t), (e, t)
        for a, b in zip(e, t):
            same(a, b)
    else:
        assert e == t and type(e) is type(t)


def both(fn):
    """fn(lib_data, lib) on ember and on torch."""
    return fn(ed, ember), fn(td, torch)


class Squares(ed.Dataset):
    """Sample i: (tensor [i, i*i] float32, int i)."""

    def __init__(self, lib, n=10):
        self.lib, self.n = lib, n

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        return self.lib.tensor([float(i), float(i * i)]), i


class Probe(ed.Dataset):
    """Reports, per sample, the process and worker that produced it and a draw from the
    worker's seeded generators."""

    def __len__(self):
        return 8

    def __getitem__(self, i):
        info = ed.get_worker_info()
        return {"i": i, "pid": os.getpid(), "wid": info.id, "seed": info.seed,
                "nw": info.num_workers, "r": ember.rand(2), "np": float(np.random.rand()),
                "init": os.environ.get("EMBER_TEST_INIT", "")}


class TorchProbe(Probe):
    def __getitem__(self, i):
        info = td.get_worker_info()
        return {"seed": info.seed, "r": torch.rand(2), "wid": info.id}


class Stream(ed.IterableDataset):
    """0..n-1, each worker taking every num_workers-th element."""

    def __init__(self, n=11):
        self.n = n

    def __len__(self):
        return self.n

    def __iter__(self):
        info = ed.get_worker_info() or (td.get_worker_info() if torch is not None else None)
        start, step = (info.id, info.num_workers) if info else (0, 1)
        return iter(range(start, self.n, step))


class TorchStream(Stream, td.IterableDataset if torch is not None else object):
    pass


class Failing(ed.Dataset):
    def __len__(self):
        return 4

    def __getitem__(self, i):
        if i == 2:
            raise ValueError("bad sample 2")
        return i


class Slow(ed.Dataset):
    def __len__(self):
        return 2

    def __getitem__(self, i):
        time.sleep(1.5)  # far longer than the timeouts tested, even on a loaded machine
        return i


def _set_env(worker_id):
    os.environ["EMBER_TEST_INIT"] = f"init{worker_id}"


# ---- batches and collation -----------------------------------------------------------------------

@requires_torch
@pytest.mark.parametrize("batch_size,drop_last", [(3, False), (3, True), (10, False), (1, True),
                                                  (None, False)])
def test_batches_match_torch(batch_size, drop_last):
    e, t = both(lambda d, lib: d.DataLoader(Squares(lib), batch_size=batch_size,
                                            drop_last=drop_last))
    assert len(e) == len(t)
    same(list(e), list(t))
    same(list(e), list(t))  # iterating twice


@requires_torch
def test_tensor_dataset_and_samplers_match_torch():
    x, y = np.arange(20, dtype=np.float32).reshape(10, 2), np.arange(10)
    e, t = both(lambda d, lib: d.DataLoader(
        d.TensorDataset(lib.from_numpy(x.copy()), lib.from_numpy(y.copy())),
        batch_sampler=d.BatchSampler(d.SequentialSampler(range(10)), 4, False)))
    same(list(e), list(t))
    e, t = both(lambda d, lib: d.DataLoader(range(7), sampler=[6, 0, 3, 3], batch_size=3))
    same(list(e), list(t))


SAMPLES = [
    [{"a": 1.5, "b": np.int32(3), "c": "x"}, {"a": 2.5, "b": np.int32(4), "c": "y"}],
    [Point(1, True), Point(2, False)],
    [(np.arange(3, dtype=np.float64), [1, 2]), (np.ones(3), [3, 4])],
    [np.float32(1), np.float32(2)],
    [b"ab", b"cd"],
    [[1.0, 2.0], [3.0, 4.0]],
]


@requires_torch
@pytest.mark.parametrize("batch", SAMPLES)
def test_default_collate_matches_torch(batch):
    same(ed.default_collate(batch), td.default_collate(batch))


@requires_torch
def test_collate_tensors_and_convert_match_torch():
    e = ed.default_collate([ember.ones(2, dtype=ember.int16), ember.zeros(2, dtype=ember.int16)])
    t = td.default_collate([torch.ones(2, dtype=torch.int16), torch.zeros(2,
                                                                          dtype=torch.int16)])
    same(e, t)
    data = {"x": np.arange(4).reshape(2, 2), "y": (np.float64(2), "s"), "z": [np.ones(2)]}
    same(ed.default_convert(data), td.default_convert(data))


@requires_torch
def test_collate_errors_match_torch():
    check_error(lambda lib: lib.utils.data.default_collate([lib.zeros(2), lib.zeros(3)]))
    check_error(lambda lib: lib.utils.data.default_collate([[1, 2], [3]]))
    check_error(lambda lib: lib.utils.data.default_collate([object(), object()]))
    check_error(lambda lib: lib.utils.data.default_collate([np.array(["a"]), np.array(["b"])]))


def test_ragged_batch_error_text():
    loader = ed.DataLoader([ember.zeros(2), ember.zeros(3)], batch_size=2)
    with pytest.raises(RuntimeError, match=r"stack expects each tensor to be equal size, but "
                                           r"got \[2\] at entry 0 and \[3\] at entry 1"):
        next(iter(loader))


# ---- shuffled order: same seed, same order as torch ----------------------------------------------

def test_shuffle_golden_order():
    ember.manual_seed(0)
    loader = ed.DataLoader(range(10), batch_size=4, shuffle=True)
    assert [b.tolist() for b in loader] == [[6, 7, 1, 4], [2, 0, 9, 8], [3, 5]]
    assert [b.tolist() for b in loader] == [[2, 4, 7, 0], [8, 9, 5, 3], [6, 1]]


@requires_torch
@pytest.mark.parametrize("seed", [0, 7, 2**40 + 3])
@pytest.mark.parametrize("use_generator", [False, True])
def test_shuffle_order_matches_torch(seed, use_generator):
    def run(d, lib):
        lib.manual_seed(seed)
        gen = lib.Generator().manual_seed(seed + 1) if use_generator else None
        loader = d.DataLoader(range(37), batch_size=5, shuffle=True, generator=gen)
        epochs = [[b.tolist() for b in loader] for _ in range(2)]
        return epochs, lib.rand(3).tolist()  # the global stream after: same draws consumed
    assert run(ed, ember) == run(td, torch)


@requires_torch
def test_shuffle_with_workers_matches_torch_order():
    def run(d, lib, workers):
        lib.manual_seed(5)
        loader = d.DataLoader(range(23), batch_size=4, shuffle=True, num_workers=workers)
        return [[b.tolist() for b in loader] for _ in range(2)], lib.rand(2).tolist()
    assert run(ed, ember, 2) == run(td, torch, 0)


@requires_torch
def test_persistent_workers_order_matches_torch():
    ember.manual_seed(11)
    loader = ed.DataLoader(range(9), batch_size=4, shuffle=True, num_workers=2,
                           persistent_workers=True)
    got = [[b.tolist() for b in loader] for _ in range(2)]
    torch.manual_seed(11)
    torch.empty((), dtype=torch.int64).random_()  # persistent: one base seed, then per epoch
    sampler = td.BatchSampler(td.RandomSampler(range(9)), 4, False)  # only the sampler's seed
    assert got == [list(sampler), list(sampler)]


# ---- samplers and random_split -------------------------------------------------------------------

@requires_torch
@pytest.mark.parametrize("make", [
    lambda d, lib: d.RandomSampler(range(10)),
    lambda d, lib: d.RandomSampler(range(10), replacement=True, num_samples=70),
    lambda d, lib: d.RandomSampler(range(10), num_samples=25),
    lambda d, lib: d.RandomSampler(range(10), num_samples=4,
                                   generator=lib.Generator().manual_seed(3)),
    lambda d, lib: d.SubsetRandomSampler([5, 9, 1, 7]),
    lambda d, lib: d.WeightedRandomSampler([0.1, 0.9, 0.4, 0.7, 3.0, 0.6], 12),
    lambda d, lib: d.WeightedRandomSampler([0.9, 0.4, 0.05, 0.2, 0.3, 0.1], 5,
                                           replacement=False),
    lambda d, lib: d.BatchSampler(d.RandomSampler(range(11)), 3, True),
])
def test_samplers_match_torch(make):
    def run(d, lib):
        lib.manual_seed(42)
        s = make(d, lib)
        return [list(s), list(s)], len(s), lib.rand(2).tolist()
    assert run(ed, ember) == run(td, torch)


@requires_torch
@pytest.mark.parametrize("lengths", [[3, 7], [0.3, 0.3, 0.4], [0.5, 0.5]])
def test_random_split_matches_torch(lengths):
    def run(d, lib):
        lib.manual_seed(1)
        parts = d.random_split(range(10), lengths)
        seeded = d.random_split(range(10), lengths, generator=lib.Generator().manual_seed(42))
        return [list(p) for p in parts], [list(p) for p in seeded], lib.rand(1).tolist()
    assert run(ed, ember) == run(td, torch)


# ---- datasets ------------------------------------------------------------------------------------

def test_dataset_compositions():
    a, b = ed.TensorDataset(ember.arange(3)), ed.TensorDataset(ember.arange(10, 12))
    both_ = a + b
    assert isinstance(both_, ed.ConcatDataset) and len(both_) == 5
    assert [int(both_[i][0]) for i in range(-5, 5)] == [0, 1, 2, 10, 11] * 2
    with pytest.raises(ValueError, match="absolute value of index should not exceed"):
        both_[-6]
    sub = ed.Subset(both_, [4, 0])
    assert [int(s[0]) for s in sub] == [11, 0] and len(sub) == 2
    chained = Stream(3) + Stream(2)
    assert isinstance(chained, ed.ChainDataset) and list(chained) == [0, 1, 2, 0, 1]
    assert len(chained) == 5
    stacked = ed.StackDataset(a, ember.arange(3) * 2)
    assert [int(v) for v in stacked[2][0]] == [2] and int(stacked[2][1]) == 4
    with pytest.raises(AssertionError, match="Size mismatch between tensors"):
        ed.TensorDataset(ember.zeros(2), ember.zeros(3))
    with pytest.raises(NotImplementedError, match="Subclasses of Dataset"):
        ed.Dataset()[0]


# ---- worker processes ----------------------------------------------------------------------------

def test_workers_are_processes_seeded_like_torch():
    ember.manual_seed(3)
    loader = ed.DataLoader(Probe(), batch_size=2, num_workers=2, worker_init_fn=_set_env)
    batches = list(loader)
    ember.manual_seed(3)
    base = int(ember.empty((), dtype=ember.int64).random_().item())
    assert [b["i"].tolist() for b in batches] == [[0, 1], [2, 3], [4, 5], [6, 7]]
    assert [b["wid"].tolist() for b in batches] == [[0, 0], [1, 1], [0, 0], [1, 1]]
    assert all(os.getpid() not in b["pid"].tolist() for b in batches)
    assert batches[0]["pid"][0] != batches[1]["pid"][0]
    assert [b["seed"][0].item() for b in batches[:2]] == [base, base + 1]
    assert [b["init"] for b in batches[:2]] == [["init0", "init0"], ["init1", "init1"]]
    assert set(b["nw"][0].item() for b in batches) == {2}
    from ember.utils.data.worker import _numpy_seed  # NumPy's global state: torch's hash
    np.random.seed(_numpy_seed(base, 1))
    assert batches[1]["np"].tolist() == [np.random.rand(), np.random.rand()]
    assert ed.get_worker_info() is None


@requires_torch
def test_worker_seeds_and_streams_match_torch():
    ember.manual_seed(9)
    mine = list(ed.DataLoader(Probe(), batch_size=4, num_workers=2))
    torch.manual_seed(9)
    theirs = list(td.DataLoader(TorchProbe(), batch_size=4, num_workers=2))
    assert [b["seed"].tolist() for b in mine] == [b["seed"].tolist() for b in theirs]
    for m, t in zip(mine, theirs):
        np.testing.assert_array_equal(m["r"].numpy(), t["r"].numpy())


@requires_torch
@pytest.mark.parametrize("batch_size,drop_last", [(2, False), (2, True), (None, False)])
def test_iterable_dataset_with_workers_matches_torch(batch_size, drop_last):
    def run(d, cls, workers):
        loader = d.DataLoader(cls(), batch_size=batch_size, drop_last=drop_last,
                              num_workers=workers)
        return [b if isinstance(b, int) else b.tolist() for b in loader], len(loader)
    assert run(ed, Stream, 2) == run(td, TorchStream, 2)
    assert run(ed, Stream, 0) == run(td, TorchStream, 0)


def test_worker_exception_is_reraised():
    loader = ed.DataLoader(Failing(), batch_size=1, num_workers=2)
    with pytest.raises(ValueError, match="Caught ValueError in DataLoader worker process 0"):
        list(loader)


def test_timeout():
    loader = ed.DataLoader(Slow(), num_workers=1, timeout=0.1)
    with pytest.raises(RuntimeError, match=r"DataLoader timed out after 0.1 seconds"):
        next(iter(loader))


def test_legacy_next_len_and_pin_memory():
    loader = ed.DataLoader(range(5), batch_size=2)
    it = iter(loader)
    assert it.next().tolist() == [0, 1] and next(it).tolist() == [2, 3] and len(it) == 3
    with pytest.warns(UserWarning, match="pin_memory"):
        batch = next(iter(ed.DataLoader(range(5), batch_size=2, pin_memory=True)))
    assert batch.tolist() == [0, 1]


# ---- argument errors, as torch words them --------------------------------------------------------

BAD_ARGS = [
    lambda d, lib: d.DataLoader(range(3), shuffle=True, sampler=[0, 1]),
    lambda d, lib: d.DataLoader(range(3), batch_size=2, batch_sampler=[[0]]),
    lambda d, lib: d.DataLoader(range(3), batch_size=None, drop_last=True),
    lambda d, lib: d.DataLoader(range(3), num_workers=-1),
    lambda d, lib: d.DataLoader(range(3), timeout=-1),
    lambda d, lib: d.DataLoader(range(3), prefetch_factor=2),
    lambda d, lib: d.DataLoader(range(3), persistent_workers=True),
    lambda d, lib: d.DataLoader(Stream() if d is ed else TorchStream(), shuffle=True),
    lambda d, lib: d.BatchSampler(range(3), 0, False),
    lambda d, lib: d.RandomSampler(range(3), replacement=1),
    lambda d, lib: d.RandomSampler(range(3), num_samples=0),
    lambda d, lib: d.WeightedRandomSampler([[1.0]], 2),
    lambda d, lib: d.random_split(range(10), [3, 3]),
    lambda d, lib: d.random_split(range(10), [1.1, -0.1]),
    lambda d, lib: setattr(d.DataLoader(range(3)), "batch_size", 2),
]


@requires_torch
@pytest.mark.parametrize("make", BAD_ARGS)
def test_argument_errors_match_torch(make):
    check_error(lambda lib: make(lib.utils.data, lib))


def test_torch_module_paths_for_collate_and_workers():
    """torch's documented paths: torch.utils.data._utils.collate (collate with a custom
    collate_fn_map) and dataloader.get_worker_info (ember had neither path)."""
    from ember.utils.data._utils.collate import collate, default_collate_fn_map
    from ember.utils.data.dataloader import get_worker_info

    def as_text(batch, *, collate_fn_map=None):
        return "-".join(str(b) for b in batch)
    got = collate([(1, "a"), (2, "b")], collate_fn_map={**default_collate_fn_map, str: as_text})
    assert got[0].tolist() == [1, 2] and got[1] == "a-b"
    assert get_worker_info() is None
    assert ember.utils.data._utils.worker.get_worker_info is get_worker_info
