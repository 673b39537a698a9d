"""The fused LSTM kernel at sizes where its fast paths engage (per-step GEMM split into row
blocks, workspace buffers reused across calls, one GEMM for all weight and bias gradients),
against torch with identical weights; and graphs that keep several kernels' buffers alive."""

import numpy as np
import pytest

import ember
from ember.nn import _rnn
from oracle import assert_same, requires_torch, torch


def _pair(*args, **kwargs):
    e = ember.nn.LSTM(*args, **kwargs)
    t = torch.nn.LSTM(*args, **kwargs)
    e.load_state_dict({k: ember.from_numpy(v.detach().numpy().copy())
                       for k, v in t.state_dict().items()})
    return e, t


def _x(shape, seed):
    a = np.random.default_rng(seed).standard_normal(shape).astype(np.float32)
    return ember.from_numpy(a.copy()).requires_grad_(), torch.from_numpy(a.copy()).requires_grad_()


def _loss(lib, outs, seed):
    rng = np.random.default_rng(seed)
    total = 0
    for o in outs:
        w = rng.standard_normal(tuple(o.shape)).astype(np.float32)
        total = total + (o * lib.from_numpy(w)).sum()
    return total


def _grads(e, t, ex, tx, rtol=2e-4, atol=2e-5):
    assert_same(ex.grad, tx.grad, rtol, atol, "input grad")
    tp = dict(t.named_parameters())
    for name, p in e.named_parameters():
        assert_same(p.grad, tp[name].grad, rtol, atol, f"grad of {name}")


def test_row_blocks_partition():
    assert _rnn._row_blocks(40, 10, 3) == [(0, 40)]            # small: one GEMM
    assert _rnn._row_blocks(4096, 2048, 512) == [(0, 4096)]    # huge: blocks would be too thin
    blocks = _rnn._row_blocks(1024, 256, 32)
    assert blocks[0][0] == 0 and blocks[-1][1] == 1024 and len(blocks) > 1
    assert all(a[1] == b[0] for a, b in zip(blocks, blocks[1:]))
    assert all((hi - lo) * 256 * 32 <= 10 ** 6 for lo, hi in blocks)


@requires_torch
@pytest.mark.parametrize("kw", [dict(batch_first=True), dict(bias=False, bidirectional=True)])
def test_lstm_blocked_gemm_sizes(kw):
    """Hidden 128, batch 16: 4H x H x B is past the row-block threshold."""
    e, t = _pair(9, 128, num_layers=2, **kw)
    assert len(_rnn._row_blocks(512, 128, 16)) > 1 and len(_rnn._row_blocks(128, 512, 16)) > 1
    shape = (16, 4, 9) if kw.get("batch_first") else (4, 16, 9)
    ex, tx = _x(shape, 0)
    eo, (eh, ec) = e(ex)
    to, (th, tc) = t(tx)
    for a, b in ((eo, to), (eh, th), (ec, tc)):
        assert_same(a, b, 1e-5, 1e-6)
    _loss(ember, (eo, eh, ec), 1).backward()
    _loss(torch, (to, th, tc), 1).backward()
    _grads(e, t, ex, tx)


@requires_torch
def test_lstm_packed_blocked_sizes():
    e, t = _pair(5, 128, bidirectional=True)
    lengths = [4, 4, 3] + [2] * 13
    ex, tx = _x((4, 16, 5), 2)
    ep = ember.nn.utils.rnn.pack_padded_sequence(ex, lengths)
    tp = torch.nn.utils.rnn.pack_padded_sequence(tx, lengths)
    eo, (eh, ec) = e(ep)
    to, (th, tc) = t(tp)
    epad, _ = ember.nn.utils.rnn.pad_packed_sequence(eo)
    tpad, _ = torch.nn.utils.rnn.pad_packed_sequence(to)
    for a, b in ((epad, tpad), (eh, th), (ec, tc)):
        assert_same(a, b, 1e-5, 1e-6)
    _loss(ember, (epad, eh, ec), 3).backward()
    _loss(torch, (tpad, th, tc), 3).backward()
    _grads(e, t, ex, tx)


@requires_torch
def test_lstm_workspace_across_graphs():
    """Two graphs alive at once, one backward twice (retain_graph), then a fresh step: pooled
    buffers handed back by one backward must not be the ones another graph still reads."""
    e, t = _pair(6, 128, num_layers=2)
    (ex1, tx1), (ex2, tx2) = _x((3, 16, 6), 4), _x((3, 16, 6), 5)
    eo1, eo2 = e(ex1)[0], e(ex2)[0]
    to1, to2 = t(tx1)[0], t(tx2)[0]
    el, tl = _loss(ember, (eo1,), 6), _loss(torch, (to1,), 6)
    el.backward(retain_graph=True)
    tl.backward(retain_graph=True)
    el.backward()
    tl.backward()
    _loss(ember, (eo2,), 7).backward()
    _loss(torch, (to2,), 7).backward()
    _grads(e, t, ex1, tx1)
    _grads(e, t, ex2, tx2)
    ex3, tx3 = _x((3, 16, 6), 8)   # a third step reuses the buffers freed above
    eo3, to3 = e(ex3)[0], t(tx3)[0]
    assert_same(eo3, to3, 1e-5, 1e-6)


def test_workspace_pool_bounds(monkeypatch):
    monkeypatch.setattr(_rnn, "_POOL", {})
    monkeypatch.setattr(_rnn, "_pooled", [0])
    arrays = [np.empty((3, 5), np.float32) for _ in range(6)]
    _rnn._give(*arrays)
    assert len(_rnn._POOL[((3, 5), np.dtype(np.float32))]) == _rnn._POOL_CAP
    got = _rnn._take((3, 5), np.float32)
    assert any(got is a for a in arrays)
    assert _rnn._pooled[0] == (_rnn._POOL_CAP - 1) * got.nbytes
    assert _rnn._take((3, 6), np.float32).shape == (3, 6)       # a miss allocates
    monkeypatch.setattr(_rnn, "_POOL_MAX", _rnn._pooled[0])      # full: nothing more is kept
    _rnn._give(np.empty((2, 2), np.float64))
    assert not _rnn._POOL.get(((2, 2), np.dtype(np.float64)))
