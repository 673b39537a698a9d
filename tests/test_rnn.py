"""RNN / LSTM / GRU (and cells, packed sequences) against torch with identical weights."""

import numpy as np
import pytest

import ember
from oracle import assert_same, requires_torch, torch


def _pair(kind, *args, **kwargs):
    e = getattr(ember.nn, kind)(*args, **kwargs)
    t = getattr(torch.nn, kind)(*args, **kwargs)
    e.load_state_dict({k: ember.from_numpy(v.detach().numpy().copy())
                       for k, v in t.state_dict().items()})
    return e, t


def _inputs(shape, seed=0):
    a = np.random.default_rng(seed).standard_normal(shape).astype(np.float32)
    return (ember.from_numpy(a.copy()).requires_grad_(),
            torch.from_numpy(a.copy()).requires_grad_())


def _compare_grads(e, t, ein, tin, eouts, touts, rtol=1e-4, atol=1e-5):
    rng = np.random.default_rng(1)
    eloss, tloss = 0, 0
    for eo, to in zip(eouts, touts):
        w = rng.standard_normal(tuple(to.shape)).astype(np.float32)
        eloss = eloss + (eo * ember.from_numpy(w.copy())).sum()
        tloss = tloss + (to * torch.from_numpy(w.copy())).sum()
    eloss.backward()
    tloss.backward()
    for ei, ti in zip(ein, tin):
        assert_same(ei.grad, ti.grad, rtol, atol, "input grad")
    tp = dict(t.named_parameters())
    for name, p in e.named_parameters():
        assert_same(p.grad, tp[name].grad, rtol, atol, f"grad of {name}")


CONFIGS = [
    ("RNN", dict(num_layers=1)),
    ("RNN", dict(num_layers=2, nonlinearity="relu", bias=False)),
    ("LSTM", dict(num_layers=1)),
    ("LSTM", dict(num_layers=2, bidirectional=True)),
    ("LSTM", dict(num_layers=2, batch_first=True)),
    ("GRU", dict(num_layers=1)),
    ("GRU", dict(num_layers=2, bidirectional=True, batch_first=True)),
]


@requires_torch
@pytest.mark.parametrize("kind,kw", CONFIGS)
@pytest.mark.parametrize("with_state", [False, True])
def test_recurrent_layers(kind, kw, with_state):
    e, t = _pair(kind, 5, 7, **kw)
    assert repr(e) == repr(t)
    assert list(e.state_dict()) == list(t.state_dict())
    shape = (4, 3, 5) if kw.get("batch_first") else (3, 4, 5)
    ex, tx = _inputs(shape)
    dirs = 2 if kw.get("bidirectional") else 1
    L = kw.get("num_layers", 1)
    ein, tin = [ex], [tx]
    if with_state:
        eh, th = _inputs((L * dirs, 4, 7), seed=2)
        ein.append(eh)
        tin.append(th)
        if kind == "LSTM":
            ec, tc = _inputs(tuple(eh.shape), seed=3)
            ein.append(ec)
            tin.append(tc)
            eo, (eh_n, ec_n) = e(ex, (eh, ec))
            to, (th_n, tc_n) = t(tx, (th, tc))
            eouts, touts = [eo, eh_n, ec_n], [to, th_n, tc_n]
        else:
            eo, eh_n = e(ex, eh)
            to, th_n = t(tx, th)
            eouts, touts = [eo, eh_n], [to, th_n]
    else:
        eo, eh_n = e(ex)
        to, th_n = t(tx)
        eouts = [eo] + (list(eh_n) if kind == "LSTM" else [eh_n])
        touts = [to] + (list(th_n) if kind == "LSTM" else [th_n])
    for a, b in zip(eouts, touts):
        assert_same(a, b, 1e-5, 1e-6)
    _compare_grads(e, t, ein, tin, eouts, touts)


@requires_torch
def test_init_matches_torch_under_seed():
    ember.manual_seed(0)
    e = ember.nn.LSTM(10, 20, 2)
    torch.manual_seed(0)
    t = torch.nn.LSTM(10, 20, 2)
    for (n, p), (_, q) in zip(e.named_parameters(), t.named_parameters()):
        np.testing.assert_array_equal(p.detach().numpy(), q.detach().numpy(), err_msg=n)


@requires_torch
@pytest.mark.parametrize("kind", ["LSTM", "GRU", "RNN"])
@pytest.mark.parametrize("enforce_sorted", [True, False])
def test_packed_sequences(kind, enforce_sorted):
    e, t = _pair(kind, 3, 4, num_layers=2, bidirectional=True)
    lengths = [5, 3, 2] if enforce_sorted else [3, 5, 2]
    ex, tx = _inputs((5, 3, 3))
    ep = ember.nn.utils.rnn.pack_padded_sequence(ex, lengths, enforce_sorted=enforce_sorted)
    tp = torch.nn.utils.rnn.pack_padded_sequence(tx, lengths, enforce_sorted=enforce_sorted)
    assert_same(ep.data, tp.data)
    assert ep.batch_sizes.tolist() == tp.batch_sizes.tolist()
    eo, eh = e(ep)
    to, th = t(tp)
    assert_same(eo.data, to.data, 1e-5, 1e-6)
    epad, elen = ember.nn.utils.rnn.pad_packed_sequence(eo)
    tpad, tlen = torch.nn.utils.rnn.pad_packed_sequence(to)
    assert_same(epad, tpad, 1e-5, 1e-6)
    assert elen.tolist() == tlen.tolist()
    eh = list(eh) if kind == "LSTM" else [eh]
    th = list(th) if kind == "LSTM" else [th]
    for a, b in zip(eh, th):
        assert_same(a, b, 1e-5, 1e-6)
    _compare_grads(e, t, [ex], [tx], [epad] + eh, [tpad] + th)


@requires_torch
@pytest.mark.parametrize("kind", ["RNNCell", "LSTMCell", "GRUCell"])
def test_cells(kind):
    e, t = _pair(kind, 5, 6)
    assert repr(e) == repr(t)
    ex, tx = _inputs((3, 5))
    eo, to = e(ex), t(tx)
    eouts = list(eo) if isinstance(eo, tuple) else [eo]
    touts = list(to) if isinstance(to, tuple) else [to]
    for a, b in zip(eouts, touts):
        assert_same(a, b, 1e-5, 1e-6)
    _compare_grads(e, t, [ex], [tx], eouts, touts)


@requires_torch
def test_pad_sequence():
    seqs = [np.arange(n * 2, dtype=np.float32).reshape(n, 2) for n in (3, 1, 2)]
    for bf in (False, True):
        e = ember.nn.utils.rnn.pad_sequence([ember.from_numpy(s) for s in seqs], bf, -1.0)
        t = torch.nn.utils.rnn.pad_sequence([torch.from_numpy(s) for s in seqs], bf, -1.0)
        assert_same(e, t)


@requires_torch
def test_unbatched_input():
    e, t = _pair("GRU", 4, 3)
    ex, tx = _inputs((6, 4))
    assert_same(e(ex)[0], t(tx)[0], 1e-5, 1e-6)


@requires_torch
@pytest.mark.parametrize("input_grad", [False, True])
def test_lstm_course_size_grads(input_grad):
    """The char-RNN shape class (hidden 32 here, 2 layers, batch_first), the input with and
    without requires_grad (the kernel skips dx when nothing needs it), outputs only in the loss."""
    e, t = _pair("LSTM", 11, 32, num_layers=2, batch_first=True)
    a = np.random.default_rng(4).standard_normal((6, 9, 11)).astype(np.float32)
    ex, tx = ember.from_numpy(a.copy()), torch.from_numpy(a.copy())
    if input_grad:
        ex.requires_grad_()
        tx.requires_grad_()
    eo, _ = e(ex)
    to, _ = t(tx)
    assert_same(eo, to, 1e-5, 1e-6)
    _compare_grads(e, t, [ex] if input_grad else [], [tx] if input_grad else [], [eo], [to])


@requires_torch
def test_packed_lstm_with_state_and_float64():
    t = torch.nn.LSTM(3, 4, num_layers=2, bidirectional=True, dtype=torch.float64)
    e = ember.nn.LSTM(3, 4, num_layers=2, bidirectional=True, dtype=ember.float64)
    e.load_state_dict({k: ember.from_numpy(v.detach().numpy().copy())
                       for k, v in t.state_dict().items()})
    lengths = [5, 4, 2]
    a = np.random.default_rng(5).standard_normal((5, 3, 3))
    ex = ember.from_numpy(a.copy()).requires_grad_()
    tx = torch.from_numpy(a.copy()).requires_grad_()
    s = np.random.default_rng(6).standard_normal((2, 4, 3, 4))
    eh, ec = (ember.from_numpy(s[k].copy()).requires_grad_() for k in range(2))
    th, tc = (torch.from_numpy(s[k].copy()).requires_grad_() for k in range(2))
    ep = ember.nn.utils.rnn.pack_padded_sequence(ex, lengths)
    tp = torch.nn.utils.rnn.pack_padded_sequence(tx, lengths)
    eo, (ehn, ecn) = e(ep, (eh, ec))
    to, (thn, tcn) = t(tp, (th, tc))
    epad, _ = ember.nn.utils.rnn.pad_packed_sequence(eo)
    tpad, _ = torch.nn.utils.rnn.pad_packed_sequence(to)
    for x, y in ((epad, tpad), (ehn, thn), (ecn, tcn)):
        assert x.dtype == ember.float64
        assert_same(x, y, 1e-10, 1e-12)
    _compare_grads(e, t, [ex, eh, ec], [tx, th, tc], [epad, ehn, ecn], [tpad, thn, tcn],
                   1e-10, 1e-12)


def test_input_dtype_must_match_the_weights():
    msg = ("RNN input dtype (torch.float64) does not match weight dtype (torch.float32). "
           "Convert input: input.to(torch.float32), or convert model: model.to(torch.float64)")
    for kind in ("LSTM", "GRU", "RNN"):
        with pytest.raises(ValueError) as info:
            getattr(ember.nn, kind)(4, 3)(ember.ones(2, 1, 4, dtype=ember.float64))
        assert str(info.value) == msg
        if torch is not None:
            with pytest.raises(ValueError) as theirs:
                getattr(torch.nn, kind)(4, 3)(torch.ones(2, 1, 4, dtype=torch.float64))
            assert str(theirs.value) == msg


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_lstm_forward_ad_as_torch_dispatches(dtype):
    """torch runs float64 LSTMs step by step (forward derivatives exist) and float32 ones as
    mkldnn_rnn_layer (none): ember answers the same way."""
    def run(L):
        fw, dt = L.autograd.forward_ad, getattr(L, dtype)
        L.manual_seed(0)
        m = L.nn.LSTM(4, 3, num_layers=2).to(dt)
        x = L.arange(1., 9., dtype=dt).reshape(2, 1, 4) / 8
        with fw.dual_level():
            d = fw.make_dual(x, L.ones(2, 1, 4, dtype=dt))
            try:
                return fw.unpack_dual(m(d)[0]).tangent.detach().numpy()
            except NotImplementedError as e:
                return str(e).split("\n")[0]
    got = run(ember)
    if dtype == "float32":
        assert got.startswith("Trying to use forward AD with mkldnn_rnn_layer")
    else:  # against a central difference of the output along the tangent
        ember.manual_seed(0)
        m = ember.nn.LSTM(4, 3, num_layers=2).double()
        x = ember.arange(1., 9., dtype=ember.float64).reshape(2, 1, 4) / 8
        eps = 1e-6
        with ember.no_grad():
            fd = (m(x + eps)[0] - m(x - eps)[0]).numpy() / (2 * eps)
        np.testing.assert_allclose(got, fd, rtol=1e-6, atol=1e-8)
    if torch is not None:
        theirs = run(torch)
        if isinstance(got, str):
            assert got == theirs
        else:
            np.testing.assert_allclose(got, theirs, rtol=1e-10)


@pytest.mark.parametrize("kind", ["RNN", "GRU", "LSTM"])
def test_packed_sequences_read_no_uninitialised_memory(kind, monkeypatch):
    """With packed sequences a step advances only its first batch_sizes[t] rows; the hidden
    states saved for the weight gradients must hold zeros past them, not whatever np.empty
    returned (GRU and RNN read that memory: NaN gradients, depending on the heap)."""
    def grads(empty_value):
        ember.manual_seed(0)
        rnn = getattr(ember.nn, kind)(3, 4, num_layers=2, bidirectional=True)
        x = ember.tensor(np.random.default_rng(1).standard_normal((5, 3, 3)).astype(np.float32))
        packed = ember.nn.utils.rnn.pack_padded_sequence(x, [5, 3, 2])
        with monkeypatch.context() as m:
            if empty_value is not None:  # "uninitialised" memory made visible
                real = np.empty
                m.setattr(np, "empty", lambda *a, **k: np.full_like(real(*a, **k), empty_value))
            out, _ = rnn(packed)
            out.data.sum().backward()
        return [p.grad.numpy().copy() for p in rnn.parameters()]
    clean = grads(None)
    for g, c in zip(grads(np.nan), clean):
        assert np.isfinite(g).all()
        np.testing.assert_array_equal(g, c)
