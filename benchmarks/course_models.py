"""The course's models, written once against the torch API with `lib` = ember or torch.

The benchmarks time them and tests/test_course_*.py train them beside torch. A loss-sequence test
compares them step by step, so the architectures, and the order in which constructors draw from
`lib`'s RNG, must stay as they are. Callers do the seeding. examples/ keeps its own copies, written
for users to read.
"""

from collections import OrderedDict

import numpy as np

MLP_SIZES = (784, 256, 128, 64, 10)
VOCAB, HIDDEN, LAYERS = 83, 256, 2  # char-RNN: one-hot symbols, LSTM width and depth


def mlp(lib, dropout=0.0, log_softmax=True):
    """The MNIST MLP 784-256-128-64-10: ReLU (and Dropout if `dropout`) after each hidden layer."""
    nn = lib.nn
    layers = []
    for i, (n_in, n_out) in enumerate(zip(MLP_SIZES[:-2], MLP_SIZES[1:-1])):
        layers += [(f"fc{i + 1}", nn.Linear(n_in, n_out)), (f"relu{i + 1}", nn.ReLU())]
        if dropout:
            layers.append((f"drop{i + 1}", nn.Dropout(dropout)))
    layers.append(("out", nn.Linear(*MLP_SIZES[-2:])))
    if log_softmax:
        layers.append(("log_softmax", nn.LogSoftmax(dim=1)))
    return nn.Sequential(OrderedDict(layers))


def cifar_cnn(lib):
    """The CIFAR-10 CNN: conv 3->16->32->64 (3x3, padding 1), max-pool 2 after each, dropout 0.25,
    fc 1024->500->10."""
    nn, F = lib.nn, lib.nn.functional

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
            x = self.dropout(x.view(-1, 64 * 4 * 4))
            x = self.dropout(F.relu(self.fc1(x)))
            return self.fc2(x)
    return Net()


def char_rnn(lib, vocab=VOCAB, hidden=HIDDEN, layers=LAYERS):
    """The char-RNN: a batch_first LSTM with dropout 0.5 between layers, then dropout 0.5 and fc
    hidden->vocab on the output flattened to (batch*seq, hidden)."""
    nn = lib.nn

    class CharRNN(nn.Module):
        def __init__(self):
            super().__init__()
            self.lstm = nn.LSTM(vocab, hidden, layers, dropout=0.5, batch_first=True)
            self.dropout = nn.Dropout(0.5)
            self.fc = nn.Linear(hidden, vocab)

        def forward(self, x, h):
            r, h = self.lstm(x, h)
            return self.fc(self.dropout(r).contiguous().view(-1, hidden)), h
    return CharRNN()


def train_step(lib, model, loss_fn, opt):
    """A step(x, y) that zeroes the grads, runs forward and backward, steps `opt` and returns the
    loss."""
    def step(x, y):
        opt.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()
        return loss
    return step


def random_batches(n, shape, classes=10, seed=0):
    """n float32 standard-normal inputs of `shape` and n int64 labels in [0, classes), as NumPy
    arrays: every input is drawn before the first label."""
    rng = np.random.default_rng(seed)
    xs = [rng.standard_normal(shape).astype(np.float32) for _ in range(n)]
    ys = [rng.integers(0, classes, shape[0]).astype(np.int64) for _ in range(n)]
    return xs, ys


def text_batches(n, batch, seq, vocab=VOCAB, seed=1):
    """n consecutive chunks of one random text: one-hot float32 inputs (batch, seq, vocab) and the
    next symbols as int64 targets (batch, seq)."""
    rng = np.random.default_rng(seed)
    eye = np.eye(vocab, dtype=np.float32)
    text = rng.integers(0, vocab, n * batch * seq + 1)
    xs, ys = [], []
    for i in range(n):
        chunk = text[i * batch * seq:(i + 1) * batch * seq + 1]
        xs.append(eye[chunk[:-1].reshape(batch, seq)])
        ys.append(chunk[1:].reshape(batch, seq).astype(np.int64))
    return xs, ys
