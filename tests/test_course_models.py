"""The course's CIFAR-10 CNN and char-RNN LSTM trained side by side with torch: torch's initial
weights, identical batches, both frameworks seeded identically before the loop (dropout masks
follow torch's stream), 20 steps; the loss sequences agree to 1e-4 relative.

CNN: conv 3->16->32->64 (3x3, padding 1), max-pool 2 after each, dropout 0.25, fc 1024->500->10,
CrossEntropyLoss, SGD. Char-RNN: one-hot input over 83 symbols, 2-layer LSTM (hidden 256,
dropout 0.5 between layers, batch_first), dropout 0.5 before fc 256->83, seq 50, batch 32, the
hidden state carried (detached) from batch to batch as in the course, clip_grad_norm_(5), Adam
lr 0.001, CrossEntropyLoss on the output reshaped to (batch*seq, 83).
"""

import numpy as np
import pytest

import ember
import ember.nn  # noqa: F401
import ember.optim  # noqa: F401
from oracle import requires_torch, torch

pytestmark = requires_torch
STEPS = 20


def _copy_weights(e, t):
    e.load_state_dict({k: ember.from_numpy(v.detach().numpy().copy())
                       for k, v in t.state_dict().items()})


def _rel_diff(a, b):
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    return float(np.max(np.abs(a - b) / np.abs(b)))


def _cnn(L):
    nn, F = L.nn, L.nn.functional

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = nn.Conv2d(3, 16, 3, padding=1)
            self.conv2 = nn.Conv2d(16, 32, 3, padding=1)
            self.conv3 = nn.Conv2d(32, 64, 3, padding=1)
            self.pool = nn.MaxPool2d(2, 2)
            self.fc1 = nn.Linear(64 * 4 * 4, 500)
            self.fc2 = nn.Linear(500, 10)
            self.dropout = nn.Dropout(0.25)

        def forward(self, x):
            x = self.pool(F.relu(self.conv1(x)))
            x = self.pool(F.relu(self.conv2(x)))
            x = self.pool(F.relu(self.conv3(x)))
            x = x.view(-1, 64 * 4 * 4)
            x = self.dropout(x)
            x = F.relu(self.fc1(x))
            x = self.dropout(x)
            return self.fc2(x)
    return Net()


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


def test_cifar_cnn_loss_sequence():
    rng = np.random.default_rng(0)
    batch = 20
    xs = [rng.standard_normal((batch, 3, 32, 32)).astype(np.float32) for _ in range(STEPS)]
    ys = [rng.integers(0, 10, batch).astype(np.int64) for _ in range(STEPS)]
    torch.manual_seed(0)
    t = _cnn(torch)
    e = _cnn(ember)
    _copy_weights(e, t)
    tl = _train_cnn(torch, t, xs, ys)
    el = _train_cnn(ember, e, xs, ys)
    assert _rel_diff(el, tl) < 1e-4, (el, tl)


VOCAB, HIDDEN, LAYERS, SEQ, BATCH = 83, 256, 2, 50, 32


def _char_rnn(L):
    nn = L.nn

    class CharRNN(nn.Module):
        def __init__(self):
            super().__init__()
            self.lstm = nn.LSTM(VOCAB, HIDDEN, LAYERS, dropout=0.5, batch_first=True)
            self.dropout = nn.Dropout(0.5)
            self.fc = nn.Linear(HIDDEN, VOCAB)

        def forward(self, x, hidden):
            r_output, hidden = self.lstm(x, hidden)
            out = self.dropout(r_output)
            out = out.contiguous().view(-1, HIDDEN)
            return self.fc(out), hidden
    return CharRNN()


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


@pytest.mark.parametrize("steps", [STEPS])
def test_char_rnn_loss_sequence(steps):
    rng = np.random.default_rng(1)
    eye = np.eye(VOCAB, dtype=np.float32)
    text = rng.integers(0, VOCAB, steps * BATCH * SEQ + 1)
    xs, ys = [], []
    for i in range(steps):
        chunk = text[i * BATCH * SEQ:(i + 1) * BATCH * SEQ + 1]
        xs.append(eye[chunk[:-1].reshape(BATCH, SEQ)])
        ys.append(chunk[1:].reshape(BATCH, SEQ).astype(np.int64))
    torch.manual_seed(0)
    t = _char_rnn(torch)
    e = _char_rnn(ember)
    _copy_weights(e, t)
    tl = _train_char_rnn(torch, t, xs, ys)
    el = _train_char_rnn(ember, e, xs, ys)
    assert _rel_diff(el, tl) < 1e-4, (el, tl)
