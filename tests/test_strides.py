"""Strides, contiguity and storage offsets follow torch's rules, on sizes 0 and 1 as well.

A randomized differential test runs the same random chains of view ops on ember and torch and
compares shape, stride(), is_contiguous() for each memory format, storage_offset() and values
after every step; hand tests cover the memory-format entry points.
"""

import numpy as np
import pytest

import ember
from oracle import requires_torch

try:
    import torch
except ImportError:  # only the torch comparisons skip
    torch = None


def _geometry(lib, t):
    fmts = [None]
    if t.dim() == 4:
        fmts.append(lib.channels_last)
    if t.dim() == 5:
        fmts.append(lib.channels_last_3d)
    contig = tuple(t.is_contiguous() if f is None else t.is_contiguous(memory_format=f)
                   for f in fmts)
    return tuple(t.shape), t.stride(), contig, t.storage_offset()


def _rand_key(rng, shape):
    key, d = [], 0
    while d < len(shape) and rng.random() < 0.8:
        n, r = shape[d], rng.random()
        if r < 0.2 and n:
            key.append(int(rng.integers(-n, n)))
            d += 1
        elif r < 0.35:
            key.append(None)
        else:
            a, b = sorted(int(v) for v in rng.integers(-1, n + 2, 2))
            key.append(slice(a, b, int(rng.integers(1, 3))))
            d += 1
    if rng.random() < 0.2:
        key.insert(int(rng.integers(0, len(key) + 1)), Ellipsis)
    return tuple(key)


def _rand_op(rng, shape):
    """A view op (as a lambda on (lib, tensor)) chosen for `shape`, and its name."""
    nd = len(shape)
    ops = ["key", "unsqueeze", "expand", "clone", "contiguous", "reshape", "view", "empty_like",
           "as_strided"]
    if nd:
        ops += ["permute", "transpose", "squeeze", "squeeze_dim", "narrow", "movedim",
                "unflatten", "flatten", "split", "unbind", "unfold"]
        if any(s for s in shape):
            ops.append("select")
    if nd <= 2:
        ops.append("t")
    if nd >= 2:
        ops.append("diagonal")
    if nd in (4, 5):
        ops.append("channels_last")
    name = ops[int(rng.integers(len(ops)))]
    d = int(rng.integers(0, nd)) if nd else 0
    if name == "key":
        key = _rand_key(rng, shape)
        return name, lambda L, x: x[key]
    if name == "unsqueeze":
        k = int(rng.integers(-nd - 1, nd + 1))
        return name, lambda L, x: x.unsqueeze(k)
    if name == "expand":
        lead = [int(v) for v in rng.integers(1, 3, int(rng.integers(0, 2)))]
        size = lead + [int(rng.integers(1, 4)) if s == 1 and rng.random() < 0.5 else
                       (-1 if rng.random() < 0.3 else s) for s in shape]
        return name, lambda L, x: x.expand(*size)
    if name == "permute":
        perm = [int(v) for v in rng.permutation(nd)]
        return name, lambda L, x: x.permute(*perm)
    if name == "transpose":
        e = int(rng.integers(0, nd))
        return name, lambda L, x: x.transpose(d, e)
    if name == "squeeze":
        return name, lambda L, x: x.squeeze()
    if name == "squeeze_dim":
        return name, lambda L, x: x.squeeze(d)
    if name == "narrow":
        n = shape[d]
        start = int(rng.integers(0, n + 1))
        length = int(rng.integers(0, n - start + 1))
        return name, lambda L, x: x.narrow(d, start, length)
    if name == "select":
        d = next(i for i in range(nd) if shape[(d + i) % nd]) + d
        d %= nd
        i = int(rng.integers(-shape[d], shape[d]))
        return name, lambda L, x: x.select(d, i)
    if name == "movedim":
        e = int(rng.integers(0, nd))
        return name, lambda L, x: x.movedim(d, e)
    if name == "unflatten":
        n = shape[d]
        sizes = (n, 1) if rng.random() < 0.5 else (1, -1)
        if n and n % 2 == 0 and rng.random() < 0.5:
            sizes = (2, n // 2)
        return name, lambda L, x: x.unflatten(d, sizes)
    if name == "flatten":
        e = int(rng.integers(d, nd))
        return name, lambda L, x: x.flatten(d, e)
    if name in ("reshape", "view"):
        numel = int(np.prod(shape))
        new = _rand_shape_of(rng, numel)
        return name, lambda L, x: getattr(x, name)(*new)
    if name == "split":
        n = shape[d]
        size = int(rng.integers(1, max(n, 1) + 1))
        k = int(rng.integers(0, max(-(-n // size), 1)))
        return name, lambda L, x: x.split(size, d)[k]
    if name == "unbind":
        if not shape[d]:
            return name, lambda L, x: x
        i = int(rng.integers(0, shape[d]))
        return name, lambda L, x: x.unbind(d)[i]
    if name == "diagonal":
        off = int(rng.integers(-2, 3))
        e = (d + 1 + int(rng.integers(0, nd - 1))) % nd
        return name, lambda L, x: x.diagonal(off, d, e)
    if name == "as_strided":  # the tensor's own geometry, read back in storage coordinates
        return name, lambda L, x: x.as_strided(x.size(), x.stride(), x.storage_offset())
    if name == "unfold":
        size = int(rng.integers(0, shape[d] + 1))
        step = int(rng.integers(1, 3))
        return name, lambda L, x: x.unfold(d, size, step)
    if name == "t":
        return name, lambda L, x: x.t()
    if name == "channels_last":
        return name, lambda L, x: x.contiguous(
            memory_format=L.channels_last if nd == 4 else L.channels_last_3d)
    if name == "empty_like":
        return name, lambda L, x: L.empty_like(x).fill_(7)
    return name, lambda L, x: getattr(x, name)()


def _rand_shape_of(rng, numel):
    if numel == 0:
        return [int(v) for v in rng.integers(0, 3, int(rng.integers(1, 4)))] + [0]
    dims = []
    n = numel
    for p in (2, 3, 5, 7):
        while n % p == 0:
            dims.append(p)
            n //= p
    dims.append(n)
    rng.shuffle(dims)
    out = []
    for v in dims:
        if out and rng.random() < 0.5:
            out[-1] *= v
        else:
            out.append(v)
    for _ in range(int(rng.integers(0, 3))):
        out.insert(int(rng.integers(0, len(out) + 1)), 1)
    if rng.random() < 0.3:
        out[int(rng.integers(0, len(out)))] = -1
    return out


def _start(rng):
    nd = int(rng.integers(0, 5))
    shape = tuple(int(rng.choice([0, 1, 1, 2, 3])) for _ in range(nd))
    n = int(np.prod(shape))
    perm = [int(v) for v in rng.permutation(nd)]
    step = int(rng.integers(1, 3))
    return shape, n, perm, step


def _make(L, shape, n, perm, step):
    base = L.arange(n * step, dtype=L.float32)[::step]
    return base.reshape(shape).permute(perm)


@requires_torch
@pytest.mark.parametrize("seed", range(8))
def test_random_view_chains_match_torch(seed):
    rng = np.random.default_rng(seed)
    for chain in range(60):
        start = _start(rng)
        e, t = _make(ember, *start), _make(torch, *start)
        steps = []
        for _ in range(int(rng.integers(1, 6))):
            name, fn = _rand_op(rng, tuple(t.shape))
            steps.append(name)
            try:
                t2 = fn(torch, t)
            except Exception as exc:  # torch refuses: ember must too, with the same type
                with pytest.raises(type(exc)):
                    fn(ember, e)
                break
            e2 = fn(ember, e)
            where = f"seed {seed} chain {chain} start {start} steps {steps}"
            assert _geometry(ember, e2) == _geometry(torch, t2), where
            assert e2.tolist() == t2.tolist(), where
            e, t = e2, t2


@requires_torch
@pytest.mark.parametrize("make", [
    lambda L: L.zeros(2, 0, 3), lambda L: L.ones(0), lambda L: L.empty(1, 0),
    lambda L: L.zeros(3, 1, 1), lambda L: L.arange(6.).reshape(2, 3)[1:1],
    lambda L: L.arange(6.).reshape(2, 3)[:, 3:], lambda L: L.zeros(2, 0, 3).permute(2, 0, 1),
    lambda L: L.zeros(2, 0, 3).permute(2, 0, 1).clone(),
    lambda L: L.zeros(2, 0, 3).transpose(0, 2).contiguous(),
    lambda L: L.arange(4.).expand(1, 4), lambda L: L.arange(4.).expand(2, 1, 4),
    lambda L: L.zeros(4, 3).t().unsqueeze(1),
    lambda L: L.zeros(4, 1, 3).transpose(0, 2).squeeze(),
    lambda L: L.zeros(3, 4).t().reshape(4, 1, 3),
    lambda L: L.zeros(2, 3, 1).transpose(0, 1).clone(),
    lambda L: L.empty_like(L.zeros(3, 1, 4).permute(2, 0, 1)),
    lambda L: L.zeros_like(L.zeros(2, 3, 4, 5).permute(0, 2, 3, 1)[:, ::2]),
])
def test_sizes_zero_and_one(make):
    e, t = make(ember), make(torch)
    assert _geometry(ember, e) == _geometry(torch, t)


@requires_torch
@pytest.mark.parametrize("fn", [
    lambda L, x: x.contiguous(memory_format=L.channels_last),
    lambda L, x: x.to(memory_format=L.channels_last),
    lambda L, x: x.to(memory_format=L.channels_last).contiguous(),
    lambda L, x: x.to(memory_format=L.channels_last).clone(),
    lambda L, x: x.to(memory_format=L.channels_last).to(memory_format=L.contiguous_format),
    lambda L, x: x.permute(0, 2, 3, 1).clone(memory_format=L.channels_last),
    lambda L, x: x.clone(memory_format=L.contiguous_format),
    lambda L, x: x[:, :1].to(memory_format=L.channels_last),
    lambda L, x: x.to(L.float64, memory_format=L.channels_last),
    lambda L, x: L.zeros_like(x, memory_format=L.channels_last),
    lambda L, x: L.ones_like(x.permute(0, 2, 3, 1)),
    lambda L, x: x.reshape(2, 3, 4, 5, 1).contiguous(memory_format=L.channels_last_3d),
    lambda L, x: x.to(memory_format=L.preserve_format),
    lambda L, x: x[:1, :1],
    lambda L, x: x.permute(0, 2, 3, 1),
    lambda L, x: x.reshape(2, 1, 1, 60).to(memory_format=L.channels_last),
])
def test_memory_formats(fn):
    e = fn(ember, ember.arange(120.).reshape(2, 3, 4, 5))
    t = fn(torch, torch.arange(120.).reshape(2, 3, 4, 5))
    assert _geometry(ember, e) == _geometry(torch, t)
    assert e.tolist() == t.tolist()


@requires_torch
def test_to_memory_format_aliases_and_records_a_copy():
    for L in (ember, torch):
        x = L.arange(120.).reshape(2, 3, 4, 5).requires_grad_()
        assert x.to(memory_format=L.contiguous_format) is x
        y = x.to(memory_format=L.channels_last)
        assert y.grad_fn.name() == "ToCopyBackward0"
        y.sum().backward()
        assert x.grad.tolist() == L.ones(2, 3, 4, 5).tolist()


@pytest.mark.parametrize("fn", [
    lambda L, x: x.contiguous(memory_format=L.channels_last),
    lambda L, x: x.clone(memory_format=L.channels_last_3d),
    lambda L, x: x.to(memory_format=L.channels_last),
    lambda L, x: L.empty_like(x, memory_format=L.channels_last),
    lambda L, x: x.t().contiguous(memory_format=L.preserve_format),
    lambda L, x: L.empty(2, 3, memory_format=L.channels_last),
    lambda L, x: L.empty(2, 3, 4, 5, memory_format=L.preserve_format),
])
def test_memory_format_errors(fn):
    from oracle import check_error
    check_error(lambda L, x: fn(L, x[0]), np.zeros((2, 3, 4), np.float32))
