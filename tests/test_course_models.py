"""The course's CIFAR-10 CNN and char-RNN LSTM (built in benchmarks/course_models.py) trained
side by side with torch: torch's initial weights, identical batches, both frameworks seeded
identically before the loop (dropout masks follow torch's stream), 20 steps; the loss sequences
agree to 1e-4 relative.

CNN: conv 3->16->32->64 (3x3, padding 1), max-pool 2 after each, dropout 0.25, fc 1024->500->10,
CrossEntropyLoss, SGD. Char-RNN: one-hot input over 83 symbols, 2-layer LSTM (hidden 256,
dropout 0.5 between layers, batch_first), dropout 0.5 before fc 256->83, seq 50, batch 32, the
hidden state carried (detached) from batch to batch as in the course, clip_grad_norm_(5), Adam
lr 0.001, CrossEntropyLoss on the output reshaped to (batch*seq, 83).
"""

import numpy as np
import pytest
from benchmarks.course_models import (
    HIDDEN,
    LAYERS,
    char_rnn,
    cifar_cnn,
    random_batches,
    text_batches,
)

import ember
import ember.nn  # noqa: F401
import ember.optim  # noqa: F401
from oracle import requires_torch, torch

STEPS = 20


def _copy_weights(e, t):
    e.load_state_dict({k: ember.from_numpy(v.detach().numpy().copy())
                       for k, v in t.state_dict().items()})


def _rel_diff(a, b):
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    return float(np.max(np.abs(a - b) / np.abs(b)))


def _train_cnn(L, model, xs, ys):
    opt = L.optim.SGD(model.parameters(), lr=0.01)
    crit = L.nn.CrossEntropyLoss()
    losses = []
    L.manual_seed(7)
    model.train()
    for x, y in zip(xs, ys):
        opt.zero_grad()
        loss = crit(model(L.from_numpy(x.copy())), L.from_numpy(y.copy()))
        loss.backward()
        opt.step()
        losses.append(loss.item())
    return losses


@requires_torch
def test_cifar_cnn_loss_sequence():
    xs, ys = random_batches(STEPS, (20, 3, 32, 32))
    torch.manual_seed(0)
    t = cifar_cnn(torch)
    e = cifar_cnn(ember)
    _copy_weights(e, t)
    tl = _train_cnn(torch, t, xs, ys)
    el = _train_cnn(ember, e, xs, ys)
    assert _rel_diff(el, tl) < 1e-4, (el, tl)


SEQ, BATCH = 50, 32


def _train_char_rnn(L, model, xs, ys):
    opt = L.optim.Adam(model.parameters(), lr=0.001)
    crit = L.nn.CrossEntropyLoss()
    losses = []
    L.manual_seed(11)
    model.train()
    h = (L.zeros(LAYERS, BATCH, HIDDEN), L.zeros(LAYERS, BATCH, HIDDEN))
    for x, y in zip(xs, ys):
        h = tuple(each.data for each in h)
        model.zero_grad()
        out, h = model(L.from_numpy(x.copy()), h)
        loss = crit(out, L.from_numpy(y.copy()).view(BATCH * SEQ).long())
        loss.backward()
        L.nn.utils.clip_grad_norm_(model.parameters(), 5)
        opt.step()
        losses.append(loss.item())
    return losses


@requires_torch
@pytest.mark.parametrize("steps", [STEPS])
def test_char_rnn_loss_sequence(steps):
    xs, ys = text_batches(steps, BATCH, SEQ)
    torch.manual_seed(0)
    t = char_rnn(torch)
    e = char_rnn(ember)
    _copy_weights(e, t)
    tl = _train_char_rnn(torch, t, xs, ys)
    el = _train_char_rnn(ember, e, xs, ys)
    assert _rel_diff(el, tl) < 1e-4, (el, tl)
